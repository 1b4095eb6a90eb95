//! Config reading, limits and state. The timing rules are covered by the data-driven cases in
//! `tests/campaigns/`.

use super::limits::*;
use super::*;
use crate::core::json::{parse, Value};
use crate::core::rules::Snapshot;

fn config(text: &str) -> Value {
    parse(text).unwrap_or(Value::Null)
}

fn errors(text: &str) -> Vec<String> {
    match Engine::from_config(&config(text)) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ConfigError::render).collect(),
    }
}

fn has(errs: &[String], prefix: &str) -> bool {
    errs.iter().any(|e| e.starts_with(prefix))
}

const SURVEY: &str =
    r#"{"type": "survey", "questions": [{"id": "q", "type": "nps", "text": "How likely?"}]}"#;

fn one(campaign_body: &str) -> String {
    format!(
        r#"{{"segments": {{"buyers": "traits.orders > 0"}}, "campaigns": [{{"id": "ok", "trigger": {{"exitIntent": true}}, "action": {SURVEY}}}, {{"id": "c", {campaign_body}}}]}}"#
    )
}

#[test]
fn a_valid_config_reads() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"event": "Order Completed", "where": "properties.revenue > 10"}},
           "audience": {{"rule": "in_segment(\"buyers\") && traits.plan == \"pro\"", "urls": {{"include": ["/shop*"], "exclude": ["/shop/checkout"]}},
                         "devices": ["mobile", "desktop"], "start": "2026-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z", "sample": 50}},
           "action": {SURVEY}, "timing": {{"delay": "10s", "cancelOn": ["Order Refunded"], "frequency": {{"max": 2, "per": "30d"}}, "cooldown": "7d"}},
           "priority": 5, "holdout": 10"#
    )));
    assert!(errs.is_empty(), "{errs:?}");
}

#[test]
fn every_error_has_its_location() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"segmentEnter": "nobody"}}, "action": {SURVEY}, "timing": {{"delay": "ten seconds"}}"#
    )));
    assert!(
        has(
            &errs,
            "campaigns[1].trigger.segmentEnter: unknown segment \"nobody\""
        ),
        "{errs:?}"
    );
    assert!(
        has(
            &errs,
            "campaigns[1].timing.delay: \"ten seconds\" is not a duration"
        ),
        "{errs:?}"
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
}

/// A threshold a measure starts at can never be crossed: such a trigger would never fire.
#[test]
fn a_threshold_of_zero_is_an_error() {
    for (trigger, message) in [
        (r#"{"scroll": 0}"#, "campaigns[1].trigger.scroll: 0 never triggers: the scroll depth starts there; use a percentage above 0"),
        (r#"{"idle": "0s"}"#, "campaigns[1].trigger.idle: \"0s\" never triggers: idleness starts there; use a duration above 0"),
        (r#"{"engagedTime": "0ms"}"#, "campaigns[1].trigger.engagedTime: \"0ms\" never triggers: engaged time starts there; use a duration above 0"),
    ] {
        let errs = errors(&one(&format!(r#""trigger": {trigger}, "action": {SURVEY}"#)));
        assert_eq!(errs, [message], "{trigger}");
    }
    assert!(errors(&one(&format!(
        r#""trigger": {{"scroll": 0.5}}, "action": {SURVEY}"#
    )))
    .is_empty());
}

#[test]
fn unknown_segment_in_a_rule() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"exitIntent": true}}, "audience": {{"rule": "in_segment(\"ghosts\")"}}, "action": {SURVEY}"#
    )));
    assert!(
        has(
            &errs,
            "campaigns[1].audience.rule: unknown segment \"ghosts\""
        ),
        "{errs:?}"
    );
}

#[test]
fn rule_errors_point_into_the_rule() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"exitIntent": true}}, "audience": {{"rule": "traits.plan == "}}, "action": {SURVEY}"#
    )));
    assert!(has(&errs, "campaigns[1].audience.rule: 1:"), "{errs:?}");
    assert_eq!(
        errs[0],
        "campaigns[1].audience.rule: 1:16: expected a value, found the end of the rule\ntraits.plan == \n               ^"
    );
    assert!(errs[0].contains('^'), "{errs:?}");
}

#[test]
fn history_in_an_audience_rule_is_refused() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"exitIntent": true}}, "audience": {{"rule": "count(\"Order Completed\") >= 2"}}, "action": {SURVEY}"#
    )));
    assert!(
        has(&errs, "campaigns[1].audience.rule: campaign rules read"),
        "{errs:?}"
    );
}

#[test]
fn survey_without_questions() {
    let errs = errors(&one(
        r#""trigger": {"exitIntent": true}, "action": {"type": "survey", "questions": []}"#,
    ));
    assert!(has(&errs, "campaigns[1].action.questions:"), "{errs:?}");
    let errs = errors(&one(
        r#""trigger": {"exitIntent": true}, "action": {"type": "survey"}"#,
    ));
    assert!(has(&errs, "campaigns[1].action.questions:"), "{errs:?}");
    let errs = errors(&one(
        r#""trigger": {"exitIntent": true}, "action": {"type": "survey", "questions": [{"id": "a", "type": "single", "text": "?"}]}"#,
    ));
    assert!(
        has(&errs, "campaigns[1].action.questions[0].choices:"),
        "{errs:?}"
    );
}

#[test]
fn malformed_url_patterns() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"page": "pricing"}}, "audience": {{"urls": {{"include": ["/ok", "/a b"]}}}}, "action": {SURVEY}"#
    )));
    assert!(
        has(
            &errs,
            "campaigns[1].trigger.page: URL pattern \"pricing\" must start"
        ),
        "{errs:?}"
    );
    assert!(
        has(&errs, "campaigns[1].audience.urls.include[1]:"),
        "{errs:?}"
    );
}

#[test]
fn theme_colours() {
    let errs = errors(&one(
        r##""trigger": {"exitIntent": true}, "action": {"type": "custom", "theme": {"accentColor": "#12", "dark": {"backgroundColor": "url(x)"}, "textColor": "#fff"}}"##,
    ));
    assert!(
        has(
            &errs,
            "campaigns[1].action.theme.accentColor: \"#12\" is not a colour"
        ),
        "{errs:?}"
    );
    assert!(
        has(&errs, "campaigns[1].action.theme.dark.backgroundColor:"),
        "{errs:?}"
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
}

#[test]
fn other_shape_errors() {
    let errs = errors(&one(&format!(
        r#""trigger": {{"exitIntent": true, "idle": "5s"}}, "action": {SURVEY}, "holdout": 150, "priority": 1.5, "colour": 1,
           "timing": {{"frequency": "sometimes", "delay": "9h"}}, "audience": {{"devices": ["phone"], "start": "soon"}}"#
    )));
    for p in [
        "campaigns[1].trigger:",
        "campaigns[1].holdout:",
        "campaigns[1].priority:",
        "campaigns[1].colour: unknown key",
        "campaigns[1].timing.frequency:",
        "campaigns[1].timing.delay: \"9h\" is longer",
        "campaigns[1].audience.devices[0]:",
        "campaigns[1].audience.start:",
    ] {
        assert!(has(&errs, p), "{p} in {errs:?}");
    }
    let errs = errors(
        r#"{"campaigns": [{"id": "a", "trigger": {"exitIntent": true}, "action": {"type": "custom"}}, {"id": "a", "trigger": {"exitIntent": true}, "action": {"type": "custom"}}], "campaignLimits": {"minGap": "x"}}"#,
    );
    assert!(
        has(&errs, "campaigns[1].id: campaign id \"a\" is used twice"),
        "{errs:?}"
    );
    assert!(has(&errs, "campaignLimits.minGap:"), "{errs:?}");
}

#[test]
fn campaign_count_is_bounded() {
    let one = r#"{"id": "x", "trigger": {"exitIntent": true}, "action": {"type": "custom"}}"#;
    let many = vec![one; MAX_CAMPAIGNS + 1].join(",");
    let errs = errors(&format!(r#"{{"campaigns": [{many}]}}"#));
    assert!(has(&errs, "campaigns: at most 64 campaigns"), "{errs:?}");
}

#[test]
fn limits_are_what_the_docs_say() {
    assert_eq!(MAX_CAMPAIGNS, 64);
    assert_eq!(MAX_PENDING, 16);
    assert_eq!(MAX_SHOWS_KEPT, 32);
    assert_eq!(MAX_DELAY_MS, 4 * 3_600_000);
    assert_eq!(MAX_OPEN_MS, 30 * 60_000);
}

fn always(id: &str, delay: &str) -> String {
    format!(
        r#"{{"id": "{id}", "trigger": {{"event": "go"}}, "action": {{"type": "custom"}}, "timing": {{"frequency": "always", "delay": "{delay}"}}}}"#
    )
}

#[test]
fn pending_delays_are_bounded() {
    let list: Vec<String> = (0..MAX_PENDING + 3)
        .map(|i| always(&format!("c{i}"), "1m"))
        .collect();
    let mut e = match Engine::from_config(&config(&format!(
        r#"{{"campaigns": [{}]}}"#,
        list.join(",")
    ))) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    };
    let props = crate::core::json::Map::new();
    let d = e.handle(
        &Signal::Event {
            name: "go",
            properties: &props,
        },
        &Snapshot::default(),
        0,
    );
    assert_eq!(
        d.iter()
            .filter(|d| matches!(d, Decision::Delayed { .. }))
            .count(),
        MAX_PENDING
    );
    assert_eq!(
        d.iter().filter(|d| matches!(d, Decision::Skipped { reasons, .. } if reasons == &[Reason::TooManyPending])).count(),
        3
    );
    assert_eq!(e.next_wakeup(), Some(60_000));
}

#[test]
fn state_round_trips_and_restore_is_bounded() {
    let mut e = match Engine::from_config(&config(&format!(
        r#"{{"campaigns": [{}, {}]}}"#,
        always("a", "0s"),
        always("b", "5m")
    ))) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    };
    let props = crate::core::json::Map::new();
    let facts = Snapshot::default();
    e.handle(&Signal::SessionStart { id: 7 }, &facts, 0);
    e.handle(
        &Signal::Event {
            name: "go",
            properties: &props,
        },
        &facts,
        1_000,
    );
    e.handle(
        &Signal::Outcome {
            campaign: "a",
            outcome: Outcome::Dismissed,
        },
        &facts,
        2_000,
    );
    let saved = e.to_value();
    let text = saved.to_json();
    // The persisted form, as earlier versions wrote it too (a stored state must keep reading back).
    assert_eq!(
        e.state_json(),
        r#"{"v":1,"c":{"a":{"s":[1000],"d":2000}},"session":7,"sp":1,"last":1000,"pending":[{"c":"b","due":301000,"at":1000,"s":7}]}"#
    );
    assert_eq!(text, e.state_json());
    let mut again = match Engine::from_config(&config(&format!(
        r#"{{"campaigns": [{}, {}]}}"#,
        always("a", "0s"),
        always("b", "5m")
    ))) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    };
    assert_eq!(again.restore(&config(&text)), Ok(()));
    assert_eq!(again.state(), e.state());
    assert_eq!(again.next_wakeup(), Some(301_000));

    // Another version, or garbage: refused, the engine keeps a fresh state.
    assert_eq!(
        again.restore(&config(r#"{"v": 99}"#)),
        Err(StateError::Version)
    );
    assert_eq!(again.restore(&config("[1]")), Err(StateError::NotAnObject));

    // A foreign state with too much in it is trimmed to the bounds.
    let shows: Vec<String> = (0..100).map(|i| i.to_string()).collect();
    let pending: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"c": "a", "due": {i}, "at": 0}}"#))
        .collect();
    let big = format!(
        r#"{{"v": 1, "c": {{"a": {{"s": [{}]}}, "zzz": {{"s": [1]}}}}, "pending": [{}], "open": ["nope", 5]}}"#,
        shows.join(","),
        pending.join(",")
    );
    assert_eq!(again.restore(&config(&big)), Ok(()));
    let s = again.state();
    assert_eq!(s.history.len(), 1);
    assert_eq!(s.history[0].1.shows.len(), MAX_SHOWS_KEPT);
    assert_eq!(s.history[0].1.shows[0], 100 - MAX_SHOWS_KEPT as i64);
    assert_eq!(s.pending.len(), 1);
    assert_eq!(s.open, None);
}

#[test]
fn hostile_input_does_not_panic() {
    for text in [
        "null",
        "[]",
        r#"{"campaigns": 3}"#,
        r#"{"campaigns": [null, 1, "x", {}]}"#,
        r#"{"campaigns": [{"id": "x", "trigger": {"scroll": -1}, "action": {"type": "survey", "questions": [1, {"type": "single", "choices": [1]}]}}]}"#,
    ] {
        let _ = Engine::from_config(&config(text));
    }
}

#[test]
fn buckets_are_growthbook_hashes_per_campaign_and_purpose() {
    let h = check::bucket("holdout", "nps", "v1");
    let want =
        crate::core::rules::hash::gb_hash("wayline-holdout:nps", "v1", 2).unwrap_or(-1.0) * 100.0;
    assert!((h - want).abs() < 1e-9);
    assert!((h - 10.76).abs() < 1e-9, "{h}");
    // Another campaign or purpose puts the same visitor elsewhere: holdouts are independent.
    assert!((check::bucket("sample", "nps", "v1") - 10.88).abs() < 1e-9);
    assert!((check::bucket("holdout", "promo", "v1") - 51.70).abs() < 1e-9);
}

#[test]
fn decisions_render_for_people() {
    let d = Decision::Skipped {
        campaign: "promo".into(),
        reasons: vec![
            Reason::Cooldown { until: 86_402_000 },
            Reason::SessionLimit { limit: 1 },
        ],
    };
    assert_eq!(
        d.render(),
        "skipped promo: cooling down after a dismissal, until 1970-01-02T00:00:02.000Z; 1 prompt(s) already shown this session"
    );
    assert_eq!(
        d.to_value().to_json(),
        r#"{"decision":"skipped","campaign":"promo","reasons":["cooldown","session-limit"]}"#
    );
}

#[test]
fn the_example_in_the_docs_reads() {
    let doc = include_str!("../../../docs/campaigns.md");
    let start = doc.find("```json\n").map_or(0, |i| i + 8);
    let end = doc[start..].find("```").map_or(start, |i| start + i);
    let errs = errors(&doc[start..end]);
    assert!(errs.is_empty(), "{errs:?}");
    let engine = Engine::from_config(&config(&doc[start..end]));
    assert_eq!(engine.map(|e| e.campaigns().len()).ok(), Some(1));
}

#[test]
fn replay_lists_decisions_on_the_events_clock() {
    let config = r#"{
      "segments": {"repeat-buyers": "count(\"Order Completed\") >= 2"},
      "campaignLimits": {"perSession": 1},
      "campaigns": [
        {"id": "nps", "trigger": {"segmentEnter": "repeat-buyers"}, "action": {"type": "custom"}, "timing": {"delay": "5s"}},
        {"id": "exit", "trigger": {"event": "Exit Intent"}, "action": {"type": "custom"}, "timing": {"frequency": "always"}}
      ]}"#;
    let events = [
        r#"{"type": "page", "timestamp": 1000, "anonymousId": "v2", "context": {"sessionId": 1, "page": {"url": "https://a.example/"}}}"#,
        r#"{"type": "track", "event": "Order Completed", "timestamp": 2000, "context": {"sessionId": 1}}"#,
        r#"{"type": "track", "event": "Order Completed", "timestamp": 3000, "context": {"sessionId": 1}}"#,
        r#"{"type": "track", "event": "Campaign Dismissed", "properties": {"campaign": "nps"}, "timestamp": 9000, "context": {"sessionId": 1}}"#,
        r#"{"type": "track", "event": "Exit Intent", "timestamp": 10000, "context": {"sessionId": 1}}"#,
        r#"{"type": "track", "event": "Exit Intent", "timestamp": 20000, "context": {"sessionId": 2}}"#,
    ]
    .join("\n");
    let out = replay(config, &events, Some(30_000), "c.json").unwrap_or_else(|e| e);
    assert_eq!(
        out,
        "1970-01-01T00:00:03.000Z delayed nps until 1970-01-01T00:00:08.000Z\n\
         1970-01-01T00:00:08.000Z show nps\n\
         1970-01-01T00:00:10.000Z skipped exit: 1 prompt(s) already shown this session\n\
         1970-01-01T00:00:20.000Z show exit\n"
    );
    let bad = replay(r#"{"campaigns": [{"id": "x"}]}"#, "", None, "c.json").unwrap_or_else(|e| e);
    assert!(bad.starts_with("c.json:campaigns[0].trigger: "), "{bad}");
}

/// `wayline replay` ends a session's delays when the session ends by inactivity (the SDK's default 30 minutes
/// after the session's last event), as the SDK does.
#[test]
fn replay_cancels_a_delay_that_would_end_after_the_session() {
    let config = r#"{"campaigns": [
        {"id": "later", "trigger": {"event": "Cart Viewed"}, "action": {"type": "custom"}, "timing": {"delay": "45m"}}]}"#;
    let events = [
        r#"{"type": "track", "event": "Cart Viewed", "timestamp": 1000, "context": {"sessionId": 1}}"#,
        r#"{"type": "track", "event": "Back", "timestamp": 4000000, "context": {"sessionId": 4000000}}"#,
    ]
    .join("\n");
    let out = replay(config, &events, None, "c.json").unwrap_or_else(|e| e);
    assert_eq!(
        out,
        "1970-01-01T00:00:01.000Z delayed later until 1970-01-01T00:45:01.000Z\n\
         1970-01-01T00:45:01.000Z cancelled later by session\n"
    );
}

#[test]
fn check_config_reports_with_the_file_name() {
    assert_eq!(
        check_config(
            &one(r#""trigger": {"exitIntent": true}, "action": {"type": "custom"}"#),
            "c.json"
        ),
        Ok(2)
    );
    assert_eq!(
        check_config(r#"{"campaigns": [{"id": "x", "trigger": {"idle": "soon"}, "action": {"type": "custom"}}]}"#, "c.json"),
        Err("c.json:campaigns[0].trigger.idle: \"soon\" is not a duration: write a number and a unit, like \"30s\", \"10m\", \"1h30m\", \"7d\"\n".to_string())
    );
    assert!(check_config("{", "c.json").is_err_and(|e| e.starts_with("c.json: not valid JSON")));
}

#[test]
fn state_is_written_only_when_it_changes() {
    let text = r#"{"campaigns": [{"id": "a", "trigger": {"exitIntent": true}, "action": {"type": "custom"}, "timing": {"frequency": "always"}},
        {"id": "e", "trigger": {"engagedTime": "1m"}, "action": {"type": "custom"}, "timing": {"frequency": "always"}}]}"#;
    let mut e = match Engine::from_config(&config(text)) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    };
    let facts = Snapshot::default();
    let props = crate::core::json::Map::new();
    assert_eq!(e.take_state_write(), None);
    e.handle(&Signal::SessionStart { id: 1 }, &facts, 0);
    assert!(e.take_state_write().is_some());
    e.handle(&Signal::SessionStart { id: 1 }, &facts, 10);
    e.handle(
        &Signal::Event {
            name: "Page Viewed",
            properties: &props,
        },
        &facts,
        20,
    );
    e.handle(&Signal::Engaged { total_ms: 30_000 }, &facts, 30);
    assert_eq!(e.take_state_write(), None, "nothing that matters changed");
    e.handle(&Signal::ExitIntent, &facts, 40);
    let saved = e.take_state_write();
    assert!(saved.is_some());
    assert_eq!(e.take_state_write(), None);
    e.handle(
        &Signal::Outcome {
            campaign: "a",
            outcome: Outcome::Completed,
        },
        &facts,
        50,
    );
    assert!(e.take_state_write().is_some());
    e.handle(&Signal::Engaged { total_ms: 61_000 }, &facts, 60);
    assert!(
        e.take_state_write().is_some(),
        "crossing a threshold is kept"
    );
}

#[test]
fn extreme_clocks_do_not_overflow() {
    let text = r#"{"campaignLimits": {"minGap": "366d"}, "campaigns": [
        {"id": "a", "trigger": {"exitIntent": true}, "action": {"type": "custom"}, "timing": {"delay": "4h", "frequency": {"max": 1, "per": "366d"}, "cooldown": "366d"}}]}"#;
    let mut e = match Engine::from_config(&config(text)) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    };
    let facts = Snapshot::default();
    for now in [i64::MAX, i64::MIN, 0, i64::MAX - 1] {
        e.handle(&Signal::ExitIntent, &facts, now);
        e.handle(
            &Signal::Outcome {
                campaign: "a",
                outcome: Outcome::Dismissed,
            },
            &facts,
            now,
        );
        e.advance(&facts, now);
        let _ = e.explain("a", &facts, now);
        let _ = e.next_wakeup();
    }
    let v = e.to_value();
    assert!(e.restore(&v).is_ok());
}
