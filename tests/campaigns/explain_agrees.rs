//! `explain` agrees with what the engine decides: after random signal sequences over a config that uses every
//! rule, each campaign's explanation is compared with what triggering it at that very moment does (on a copy of
//! the engine). Eligible means a trigger shows it (or starts its delay); not eligible means it does not, for
//! reasons the explanation lists; a held-out visitor whose only reason is the holdout gets a held-out decision
//! (or, with a delay, the delay starts); `pendingUntil` is when the waiting delay ends; and a reason with an
//! `until` holds until then, and no longer. Asked before the timer has fired, `explain` gives the same answer as
//! after (it answers as of now).

use proptest::prelude::*;
use wayline::core::campaigns::{Decision, Engine, Outcome, Reason, Signal, Trigger};
use wayline::core::json::{parse, Map, Value};
use wayline::core::rules::Snapshot;

// Times start at 1,000,000 ms (1970-01-01T00:16:40Z); `c5` runs from 00:20 to 02:00.
const CONFIG: &str = r#"{
  "segments": {"s": "traits.x == 1"},
  "journeys": {"j": [{"stage": "a", "rule": "true"}, {"stage": "b", "rule": "traits.x == 2"}]},
  "campaignLimits": LIMITS,
  "campaigns": [
    {"id": "c0", "trigger": {"event": "go"}, "audience": {"rule": "in_segment(\"s\")"}, "action": {"type": "custom"}, "timing": {"frequency": {"max": 2, "per": "10m"}, "cooldown": "2m"}, "priority": 5, "holdout": 30},
    {"id": "c1", "trigger": {"event": "go"}, "audience": {"sample": 60, "urls": {"exclude": ["/x*"]}}, "action": {"type": "custom"}, "timing": {"frequency": "always"}, "priority": 5},
    {"id": "c2", "trigger": {"event": "go"}, "audience": {"rule": "stage(\"j\") == \"b\""}, "action": {"type": "custom"}, "timing": {"frequency": "untilAnswered", "cooldown": "5m"}, "priority": 1},
    {"id": "c3", "trigger": {"event": "go"}, "action": {"type": "custom"}, "timing": {"delay": "10s", "cancelOn": ["stop"], "frequency": {"max": 1, "per": "5m"}}, "priority": 2, "holdout": 50},
    {"id": "c4", "trigger": {"event": "go"}, "action": {"type": "custom"}, "timing": {"delay": "10s", "frequency": "always", "cooldown": "3m"}, "priority": 3},
    {"id": "c5", "trigger": {"exitIntent": true}, "audience": {"start": "1970-01-01T00:20:00Z", "end": "1970-01-01T02:00:00Z", "urls": {"include": ["/p*"]}}, "action": {"type": "custom"}, "timing": {"frequency": "once"}, "priority": 4},
    {"id": "c6", "trigger": {"exitIntent": true}, "action": {"type": "custom"}, "timing": {"frequency": "always", "cooldown": "1m"}, "priority": 2, "holdout": 20},
    {"id": "c7", "trigger": {"exitIntent": true}, "audience": {"rule": "traits.plan == \"pro\""}, "action": {"type": "custom"}, "timing": {"delay": "5s", "frequency": {"max": 2}}},
    {"id": "c8", "trigger": {"event": "buy"}, "audience": {"urls": {"include": ["/p*"], "exclude": ["/pricing/old"]}}, "action": {"type": "custom"}, "timing": {"frequency": {"max": 3, "per": "4m"}}, "holdout": 40},
    {"id": "c9", "trigger": {"page": "/p*"}, "action": {"type": "custom"}, "timing": {"frequency": "always", "cooldown": "90s"}, "priority": 4},
    {"id": "c10", "trigger": {"page": "/pricing*"}, "action": {"type": "custom"}, "timing": {"frequency": "always"}},
    {"id": "c11", "trigger": {"sessionStart": true}, "action": {"type": "custom"}, "timing": {"frequency": "always"}, "priority": 1},
    {"id": "c12", "trigger": {"event": "buy"}, "action": {"type": "custom"}, "timing": {"delay": "20s", "frequency": "untilAnswered", "cancelOn": ["go", "buy"]}, "priority": 9}
  ]}"#;

const IDS: [&str; 13] = [
    "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10", "c11", "c12",
];
const URLS: [&str; 5] = [
    "https://a.example/p1",
    "https://a.example/pricing",
    "https://a.example/pricing/old",
    "https://a.example/x",
    "https://a.example/",
];
const EVENTS: [&str; 4] = ["go", "buy", "stop", "other"];
const OUTCOMES: [Outcome; 5] = [
    Outcome::Shown,
    Outcome::Dismissed,
    Outcome::Answered,
    Outcome::Completed,
    Outcome::RewardClaimed,
];

#[derive(Debug, Clone)]
enum Step {
    Event(u8),
    Enter,
    Exit,
    Stage(bool),
    Page(u8),
    ExitIntent,
    Session(u8),
    Outcome(u8, u8),
    Advance,
    Reload,
    Plan(bool),
    Hidden(bool),
    /// The page never built this campaign's prompt (`Engine::unshow`).
    Unshow(u8),
    /// The page removed this campaign's prompt (`Engine::close`).
    Close(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4).prop_map(Step::Event),
        1 => Just(Step::Enter),
        1 => Just(Step::Exit),
        1 => any::<bool>().prop_map(Step::Stage),
        1 => (0u8..5).prop_map(Step::Page),
        2 => Just(Step::ExitIntent),
        1 => (0u8..3).prop_map(Step::Session),
        3 => (0u8..13, 0u8..5).prop_map(|(c, o)| Step::Outcome(c, o)),
        2 => Just(Step::Advance),
        1 => Just(Step::Reload),
        1 => any::<bool>().prop_map(Step::Plan),
        1 => any::<bool>().prop_map(Step::Hidden),
        1 => (0u8..13).prop_map(Step::Unshow),
        1 => (0u8..13).prop_map(Step::Close),
    ]
}

/// The global limits the config is tried with.
const LIMITS: [&str; 4] = [
    r#"{"perSession": 3, "minGap": "1m"}"#,
    r#"{"perSession": 1}"#,
    r#"{"perSession": 0, "minGap": "30s"}"#,
    r#"{}"#,
];

fn engine(limits: usize) -> Engine {
    let config = parse(&CONFIG.replace("LIMITS", LIMITS[limits])).unwrap_or(Value::Null);
    match Engine::from_config(&config) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    }
}

/// The signal that triggers campaign `c` now, if one does without changing what its audience reads (a page
/// trigger: the current page viewed again, when it matches; a session-start trigger: a new session). Threshold
/// triggers (idle, scroll, engaged time) and segment or stage triggers are not tried: what would fire them, or
/// what their signal changes in the facts, is not the moment `explain` describes.
fn trigger_of<'a>(
    c: &Trigger,
    url: Option<&'a str>,
    session: i64,
    properties: &'a Map,
) -> Option<Signal<'a>> {
    match c {
        Trigger::Event { name, .. } => {
            let name = EVENTS.iter().find(|e| **e == name.as_str())?;
            Some(Signal::Event { name, properties })
        }
        Trigger::ExitIntent => Some(Signal::ExitIntent),
        Trigger::Page(p) => url.filter(|u| p.matches(u)).map(|url| Signal::Page { url }),
        Trigger::SessionStart => Some(Signal::SessionStart { id: session }),
        _ => None,
    }
}

fn until_of(r: &Reason) -> Option<i64> {
    match r {
        Reason::Capped { until } => *until,
        Reason::Cooldown { until } | Reason::MinGap { until } => Some(*until),
        Reason::BeforeStart { start } => Some(*start),
        _ => None,
    }
}

fn codes(reasons: &[Reason]) -> Vec<&'static str> {
    reasons.iter().map(Reason::code).collect()
}

/// Compares every campaign's explanation at `now` with what a trigger at `now` does.
fn check(
    e: &Engine,
    facts: &Snapshot,
    url: Option<&str>,
    hidden: bool,
    now: i64,
) -> Result<(), TestCaseError> {
    // Asked before the timer fires, `explain` answers as of now, as it does once the timer has fired: delays due by
    // now have ended (a trigger would end them first), and asking changes nothing.
    let raw = &mut e.clone();
    let found = e;
    let mut e = e.clone();
    let _ = e.advance(facts, now);
    let next_session = e.state().session.unwrap_or(0) + 100;
    let props = Map::new();
    for (i, id) in IDS.iter().enumerate() {
        let c = &e.campaigns()[i].clone();
        let delayed = c.timing.delay_ms > 0;
        let Some(ex) = e.explain(id, facts, now) else {
            return Err(TestCaseError::fail(format!("no explanation for {id}")));
        };
        prop_assert_eq!(
            raw.explain(id, facts, now),
            Some(ex.clone()),
            "{} before the timer",
            id
        );
        prop_assert_eq!(
            raw.state(),
            found.state(),
            "asking {} changed the state",
            id
        );
        prop_assert_eq!(raw.state_dirty(), found.state_dirty());
        let waiting = e.state().pending(i).map(|p| p.due);
        prop_assert_eq!(ex.pending_until, waiting, "{}: pendingUntil", id);
        let held_at = ex.reasons.iter().position(|r| r.code() == "held-out");
        prop_assert_eq!(held_at.is_some(), ex.held_out);
        // With the holdout: the reasons before it are those that block.
        let only_holdout = held_at.is_some_and(|k| k == 0);
        let Some(signal) = trigger_of(&c.trigger, url, next_session, &props) else {
            continue;
        };
        let mut what_if = e.clone();
        let decisions = what_if.handle(&signal, facts, now);
        // A new session cancels the delays of the old one, this campaign's too, before it triggers; a page closes
        // the open prompt of a campaign that does not target it before it triggers.
        let mine: Vec<&Decision> = decisions
            .iter()
            .filter(|d| {
                d.campaign() == *id
                    && !matches!(d, Decision::Cancelled { .. } | Decision::Closed { .. })
            })
            .collect();
        let context = || {
            format!(
                "{id} at {now}: {}\n  decisions: {decisions:?}\n  state: {:?}",
                ex.render(),
                e.state()
            )
        };
        prop_assert!(mine.len() <= 1, "{}", context());
        match mine.first() {
            None => prop_assert!(
                waiting.is_some(),
                "no decision, no delay waiting: {}",
                context()
            ),
            Some(Decision::Show { .. }) => {
                prop_assert!(!delayed && !hidden && ex.eligible, "shown: {}", context())
            }
            Some(Decision::HeldOut { .. }) => prop_assert!(
                !delayed && !hidden && ex.held_out && only_holdout,
                "held out: {}",
                context()
            ),
            Some(Decision::Delayed { due, .. }) => {
                // Not a waiting delay restarted (not even by an event that also cancels it); a new session's
                // trigger starts one after the old session's was cancelled.
                let by_session = decisions.iter().any(
                    |d| matches!(d, Decision::Cancelled { campaign, by } if campaign == id && by == "session"),
                );
                prop_assert!(waiting.is_none() || by_session, "restarted: {}", context());
                prop_assert_eq!(*due, now + c.timing.delay_ms, "{}", context());
                prop_assert!(
                    (delayed || hidden) && (ex.eligible || only_holdout),
                    "delayed: {}",
                    context()
                );
            }
            Some(Decision::Skipped { reasons, .. }) => {
                prop_assert!(!ex.eligible && !only_holdout, "skipped: {}", context());
                let explained = codes(&ex.reasons);
                for code in codes(reasons) {
                    prop_assert!(
                        explained.contains(&code),
                        "skipped for {} not explained: {}",
                        code,
                        context()
                    );
                }
            }
            Some(Decision::Cancelled { .. } | Decision::Closed { .. }) => {}
        }
        // A reason with an `until` holds until then and is gone at that time (a delay ending by then, at that time
        // as a late timer ends it, may bring the same rule back with a later `until`: a new reason).
        for r in &ex.reasons {
            let Some(until) = until_of(r) else { continue };
            prop_assert!(
                until > now,
                "{}: until in the past: {}",
                r.code(),
                context()
            );
            let before = e
                .clone()
                .explain(id, facts, until - 1)
                .map(|x| codes(&x.reasons));
            prop_assert!(
                before.is_some_and(|b| b.contains(&r.code())),
                "{} gone before {}: {}",
                r.code(),
                until,
                context()
            );
            let after = e.clone().explain(id, facts, until).map(|x| x.reasons);
            prop_assert!(
                after.is_some_and(|a| !a.contains(r)),
                "{} still there at {}: {}",
                r.code(),
                until,
                context()
            );
        }
        // A waiting delay ends at `pendingUntil`, not before (when the page is visible).
        if let (Some(due), false) = (waiting, hidden) {
            let mut early = e.clone();
            let d = early.advance(facts, due - 1);
            prop_assert!(
                d.iter().all(|d| d.campaign() != *id),
                "ended before {}: {:?}",
                due,
                d
            );
            let d = early.advance(facts, due);
            prop_assert!(
                d.iter()
                    .any(|d| d.campaign() == *id && !matches!(d, Decision::Cancelled { .. })),
                "not ended at {}: {:?}",
                due,
                d
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn explain_agrees_with_a_trigger_now(
        steps in prop::collection::vec((step(), 0i64..90_000, any::<bool>()), 1..80),
        visitor in "[a-z]{1,6}",
        limits in 0..LIMITS.len(),
    ) {
        agrees(steps, visitor, limits)?;
    }
}

/// The cases proptest found and saved (`tests/proptest-regressions/explain_agrees.txt`), each as it was found: a
/// seed saved there generates other steps once the strategy has steps it had not.
#[test]
fn the_saved_cases_agree() {
    use Step::*;
    let steps = vec![
        (Page(2), 0, false),
        (Outcome(8, 0), 0, false),
        (Outcome(0, 1), 0, true),
    ];
    if let Err(e) = agrees(steps, "a".to_string(), 3) {
        panic!("{e}");
    }
}

/// Runs `steps` (each after its time step, then `explain` checked if asked) as `visitor` with `LIMITS[limits]`.
fn agrees(
    steps: Vec<(Step, i64, bool)>,
    visitor: String,
    limits: usize,
) -> Result<(), TestCaseError> {
    let mut e = engine(limits);
    let mut facts = Snapshot {
        anonymous_id: visitor,
        ..Snapshot::default()
    };
    let props = Map::new();
    let mut now = 1_000_000i64;
    let mut url: Option<&str> = None;
    let mut hidden = false;
    for (s, dt, look) in steps {
        now += dt;
        match &s {
            Step::Event(n) => {
                e.handle(
                    &Signal::Event {
                        name: EVENTS[*n as usize],
                        properties: &props,
                    },
                    &facts,
                    now,
                );
            }
            Step::Enter => {
                facts.traits.insert("x", 1.0.into());
                facts.segments = vec!["s".into()];
                e.handle(&Signal::SegmentEnter("s"), &facts, now);
            }
            Step::Exit => {
                facts.traits.insert("x", 0.0.into());
                facts.segments.clear();
                e.handle(&Signal::SegmentExit("s"), &facts, now);
            }
            Step::Stage(b) => {
                let to = if *b { "b" } else { "a" };
                facts.stages = vec![("j".into(), to.into())];
                e.handle(
                    &Signal::Stage {
                        journey: "j",
                        from: None,
                        to: Some(to),
                    },
                    &facts,
                    now,
                );
            }
            Step::Page(u) => {
                url = Some(URLS[*u as usize]);
                e.handle(
                    &Signal::Page {
                        url: URLS[*u as usize],
                    },
                    &facts,
                    now,
                );
            }
            Step::ExitIntent => {
                e.handle(&Signal::ExitIntent, &facts, now);
            }
            Step::Session(id) => {
                e.handle(&Signal::SessionStart { id: i64::from(*id) }, &facts, now);
            }
            Step::Outcome(c, o) => {
                e.handle(
                    &Signal::Outcome {
                        campaign: IDS[*c as usize],
                        outcome: OUTCOMES[*o as usize],
                    },
                    &facts,
                    now,
                );
            }
            Step::Advance => {
                now = now.max(e.next_wakeup().unwrap_or(now));
                e.advance(&facts, now);
            }
            Step::Reload => {
                let saved = parse(&e.to_value().to_json()).unwrap_or(Value::Null);
                let mut again = engine(limits);
                prop_assert!(again.restore(&saved).is_ok());
                again.set_url(url.map(str::to_string));
                e = again;
                hidden = false;
            }
            Step::Plan(pro) => {
                facts
                    .traits
                    .insert("plan", (if *pro { "pro" } else { "free" }).into());
            }
            Step::Hidden(h) => {
                hidden = *h;
                let mut out = Vec::new();
                e.set_hidden(*h, &facts, now, &mut out);
            }
            Step::Unshow(c) => e.unshow(IDS[*c as usize]),
            Step::Close(c) => e.close(IDS[*c as usize]),
        }
        if look {
            check(&e, &facts, url, hidden, now)?;
        }
    }
    Ok(())
}
