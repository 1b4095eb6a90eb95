//! Random signal sequences against a config that uses every rule: the engine never panics, stays within its
//! bounds, and never breaks a global limit (two prompts at once, more per session than allowed, two prompts
//! closer than the minimum gap). Its state survives a round trip through its persisted text at every step, and a
//! page load closes the prompt the page left open. The open prompt, the session's count and the last prompt's time
//! are those of a model, which also follows the page's reports: a prompt never built taken back (`unshow`, the last
//! show, even once a navigation closed it, until an outcome for it, `close` or a later show) and a prompt the page
//! removed closed (`close`).

use proptest::prelude::*;
use wayline::core::campaigns::limits::{MAX_OPEN_MS, MAX_PENDING, MAX_SHOWS_KEPT};
use wayline::core::campaigns::{Decision, Engine, Outcome, Signal};
use wayline::core::json::{parse, Map, Value};
use wayline::core::rules::Snapshot;

const CONFIG: &str = r#"{
  "segments": {"s": "traits.x == 1"},
  "journeys": {"j": [{"stage": "a", "rule": "true"}, {"stage": "b", "rule": "traits.x == 2"}]},
  "campaignLimits": {"perSession": 2, "minGap": "1m"},
  "campaigns": [
    {"id": "c0", "trigger": {"event": "e0"}, "action": {"type": "custom"}, "timing": {"delay": "10s", "cancelOn": ["e1"], "frequency": "always"}},
    {"id": "c1", "trigger": {"event": "e1"}, "action": {"type": "custom"}, "timing": {"frequency": "untilAnswered", "cooldown": "2m"}, "priority": 3},
    {"id": "c2", "trigger": {"exitIntent": true}, "action": {"type": "custom"}, "timing": {"frequency": {"max": 3, "per": "10m"}}, "holdout": 50},
    {"id": "c3", "trigger": {"segmentEnter": "s"}, "audience": {"sample": 70, "urls": {"exclude": ["/x*"]}}, "action": {"type": "custom"}, "timing": {"delay": "30s", "frequency": "always"}},
    {"id": "c4", "trigger": {"stage": "b", "journey": "j"}, "action": {"type": "custom"}, "timing": {"frequency": "always"}, "priority": -1},
    {"id": "c5", "trigger": {"scroll": 50}, "action": {"type": "custom"}, "timing": {"delay": "5s", "frequency": "always"}},
    {"id": "c6", "trigger": {"idle": "20s"}, "action": {"type": "custom"}, "timing": {"frequency": "always"}},
    {"id": "c7", "trigger": {"sessionStart": true}, "action": {"type": "custom"}, "timing": {"frequency": "always"}},
    {"id": "c8", "trigger": {"page": "/p*"}, "action": {"type": "custom"}, "timing": {"frequency": "always", "delay": "1s"}}
  ]}"#;

#[derive(Debug, Clone)]
enum Step {
    Event(u8),
    Enter,
    Exit,
    Stage(bool),
    Page(u8),
    Exit2,
    Idle(u32),
    Scroll(u8),
    Session(u8),
    Outcome(u8, u8),
    Advance,
    Reload,
    /// The page never built the prompt of this campaign (`Engine::unshow`).
    Unshow(u8),
    /// The page removed the prompt of this campaign (`Engine::close`).
    Close(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..3).prop_map(Step::Event),
        Just(Step::Enter),
        Just(Step::Exit),
        any::<bool>().prop_map(Step::Stage),
        (0u8..3).prop_map(Step::Page),
        Just(Step::Exit2),
        (0u32..40_000).prop_map(Step::Idle),
        (0u8..101).prop_map(Step::Scroll),
        (0u8..3).prop_map(Step::Session),
        (0u8..10, 0u8..5).prop_map(|(c, o)| Step::Outcome(c, o)),
        Just(Step::Advance),
        Just(Step::Reload),
        (0u8..10).prop_map(Step::Unshow),
        (0u8..10).prop_map(Step::Close),
    ]
}

fn engine() -> Engine {
    let config = parse(CONFIG).unwrap_or(Value::Null);
    match Engine::from_config(&config) {
        Ok(e) => e,
        Err(errs) => panic!("{errs:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn limits_hold_for_any_sequence(steps in prop::collection::vec((step(), 0i64..90_000), 1..120), visitor in "[a-z]{1,6}") {
        limits_hold(steps, visitor)?;
    }
}

/// The cases proptest found and saved (`tests/proptest-regressions/invariants.txt`), each as it was found: a seed
/// saved there generates other steps once the strategy has steps it had not.
#[test]
fn the_saved_cases_hold() {
    use Step::*;
    let cases = [
        vec![
            (Scroll(50), 0),
            (Outcome(0, 0), 0),
            (Session(0), 0),
            (Enter, 0),
            (Page(1), 60000),
            (Event(0), 0),
            (Page(0), 5428),
            (Outcome(0, 0), 54572),
        ],
        vec![(Enter, 0), (Reload, 18488), (Page(1), 11512)],
        vec![(Session(0), 0), (Advance, 0), (Unshow(7), 0)],
        // A navigation closes c3's prompt before the page built it: still taken back.
        vec![
            (Page(2), 0),
            (Enter, 0),
            (Advance, 0),
            (Page(1), 0),
            (Unshow(3), 0),
            (Close(3), 0),
        ],
    ];
    let visitors = ["q", "f", "a", "a"];
    for (steps, visitor) in cases.into_iter().zip(visitors) {
        if let Err(e) = limits_hold(steps.clone(), visitor.to_string()) {
            panic!("{steps:?}: {e}");
        }
    }
}

/// Runs `steps` (each after its time step) on an engine and on the model, as `visitor`.
fn limits_hold(steps: Vec<(Step, i64)>, visitor: String) -> Result<(), TestCaseError> {
    let mut e = engine();
    let mut facts = Snapshot {
        anonymous_id: visitor,
        ..Snapshot::default()
    };
    let props = Map::new();
    let mut now = 1_000_000i64;
    // Our own model of the global limits: the open prompt, shows this session, the last show.
    let mut open: Option<(String, i64)> = None;
    let mut session: Option<i64> = None;
    let mut session_shows: u32 = 0;
    let mut last_show: Option<i64> = None;
    // The last show while the page may take it back: its campaign, its time and the last show before it.
    let mut takeback: Option<(String, i64, Option<i64>)> = None;
    let names = ["e0", "e1", "e2"];
    let urls = [
        "https://a.example/p1",
        "https://a.example/x",
        "https://a.example/",
    ];
    let outcomes = [
        Outcome::Shown,
        Outcome::Dismissed,
        Outcome::Answered,
        Outcome::Completed,
        Outcome::RewardClaimed,
    ];
    let ids: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
    for (s, dt) in steps {
        now += dt;
        let d = match &s {
            Step::Event(n) => e.handle(
                &Signal::Event {
                    name: names[*n as usize],
                    properties: &props,
                },
                &facts,
                now,
            ),
            Step::Enter => {
                facts.segments = vec!["s".into()];
                e.handle(&Signal::SegmentEnter("s"), &facts, now)
            }
            Step::Exit => {
                facts.segments.clear();
                e.handle(&Signal::SegmentExit("s"), &facts, now)
            }
            Step::Stage(b) => e.handle(
                &Signal::Stage {
                    journey: "j",
                    from: None,
                    to: Some(if *b { "b" } else { "a" }),
                },
                &facts,
                now,
            ),
            Step::Page(u) => e.handle(
                &Signal::Page {
                    url: urls[*u as usize],
                },
                &facts,
                now,
            ),
            Step::Exit2 => e.handle(&Signal::ExitIntent, &facts, now),
            Step::Idle(ms) => e.handle(&Signal::Idle { ms: i64::from(*ms) }, &facts, now),
            Step::Scroll(p) => e.handle(
                &Signal::Scroll {
                    percent: f64::from(*p),
                },
                &facts,
                now,
            ),
            Step::Session(id) => {
                let id = i64::from(*id);
                if session != Some(id) {
                    session = Some(id);
                    session_shows = 0;
                    open = None;
                }
                e.handle(&Signal::SessionStart { id }, &facts, now)
            }
            Step::Outcome(c, o) => {
                let campaign = &ids[*c as usize];
                e.handle(
                    &Signal::Outcome {
                        campaign,
                        outcome: outcomes[*o as usize],
                    },
                    &facts,
                    now,
                )
            }
            Step::Advance => {
                now = now.max(e.next_wakeup().unwrap_or(now));
                e.advance(&facts, now)
            }
            Step::Reload => {
                let saved = parse(&e.to_value().to_json()).unwrap_or(Value::Null);
                // Carried within the page (a changed config), the state is the same.
                let mut same_page = engine();
                prop_assert!(same_page.restore_state(&saved, true).is_ok());
                prop_assert_eq!(same_page.state(), e.state());
                // On the next page, a prompt open when this one was left left with it.
                let mut again = engine();
                prop_assert!(again.restore(&saved).is_ok());
                let mut then = e.state().clone();
                then.open = None;
                prop_assert_eq!(again.state(), &then);
                open = None;
                takeback = None;
                e = again;
                Vec::new()
            }
            Step::Unshow(c) => {
                let campaign = &ids[*c as usize];
                let shows = |e: &Engine| {
                    e.state()
                        .history
                        .iter()
                        .find(|(i, _)| *i == usize::from(*c))
                        .map_or(0, |(_, h)| h.shows.len())
                };
                let before = shows(&e);
                e.unshow(campaign);
                if let Some((_, at, prior)) = takeback.take_if(|(id, ..)| id == campaign) {
                    prop_assert_eq!(shows(&e) + 1, before, "the show at {} taken back", at);
                    open = open.filter(|(id, _)| id != campaign);
                    session_shows = session_shows.saturating_sub(1);
                    last_show = prior;
                } else {
                    prop_assert_eq!(shows(&e), before, "nothing to take back");
                }
                Vec::new()
            }
            Step::Close(c) => {
                let campaign = &ids[*c as usize];
                e.close(campaign);
                if open.as_ref().is_some_and(|(id, _)| id == campaign) {
                    open = None;
                    takeback = None;
                }
                Vec::new()
            }
        };
        // A page the open prompt's campaign does not target closes it (before anything shows).
        for x in &d {
            if let Decision::Closed { campaign } = x {
                prop_assert!(
                    open.as_ref().is_some_and(|(c, _)| c == campaign),
                    "closed what is not open: {:?}",
                    d
                );
                open = None;
            }
        }
        // Then a prompt open too long is closed (with every signal, after the page's own closing).
        let signalled = !matches!(s, Step::Unshow(_) | Step::Close(_) | Step::Reload);
        if signalled && open.as_ref().is_some_and(|(_, at)| now >= at + MAX_OPEN_MS) {
            open = None;
        }
        let shows: Vec<&Decision> = d
            .iter()
            .filter(|d| matches!(d, Decision::Show { .. }))
            .collect();
        prop_assert!(shows.len() <= 1, "two shows at once: {:?}", d);
        if let Some(Decision::Show { campaign }) = shows.first() {
            let at = now;
            prop_assert!(
                open.as_ref()
                    .is_none_or(|(_, since)| at >= since + MAX_OPEN_MS),
                "shown over an open prompt: {:?}",
                d
            );
            prop_assert!(session_shows < 2, "more than 2 prompts in a session");
            prop_assert!(
                last_show.is_none_or(|l| at >= l + 60_000),
                "within the minimum gap"
            );
            takeback = Some((campaign.clone(), at, last_show));
            open = Some((campaign.clone(), at));
            session_shows += 1;
            last_show = Some(at);
        }
        // Outcomes apply after the delays that fell due before them (the engine handles those first).
        if let Step::Outcome(c, o) = &s {
            let campaign = &ids[*c as usize];
            let outcome = outcomes[*o as usize];
            let is_open = open
                .as_ref()
                .is_some_and(|(id, at)| id == campaign && now < at + MAX_OPEN_MS);
            if outcome == Outcome::Shown && *c < 9 && !is_open {
                // A host-reported show counts as a prompt of its own.
                takeback = Some((campaign.clone(), now, last_show));
                open = Some((campaign.clone(), now));
                session_shows += 1;
                last_show = Some(now);
            }
            if matches!(outcome, Outcome::Dismissed | Outcome::Completed) && is_open {
                open = None;
            }
            // Any other outcome says the visitor saw it: its show is no longer taken back.
            if outcome != Outcome::Shown {
                takeback = takeback.filter(|(id, ..)| id != campaign);
            }
        }
        let st = e.state();
        prop_assert_eq!(
            st.open.map(|(i, at)| (format!("c{i}"), at)),
            open.clone(),
            "the open prompt after {:?}",
            s
        );
        prop_assert_eq!(
            st.session_prompts,
            session_shows,
            "the session's count after {:?}",
            s
        );
        prop_assert_eq!(
            st.last_prompt_at,
            last_show,
            "the last prompt after {:?}",
            s
        );
        prop_assert!(st.pending.len() <= MAX_PENDING);
        prop_assert!(st
            .history
            .iter()
            .all(|(_, h)| h.shows.len() <= MAX_SHOWS_KEPT));
        if let Some(w) = e.next_wakeup() {
            prop_assert!(w > now - MAX_OPEN_MS - 90_000);
        }
    }
    Ok(())
}

const KEYS: &[&str] = &[
    "id",
    "trigger",
    "audience",
    "action",
    "timing",
    "priority",
    "holdout",
    "event",
    "where",
    "segmentEnter",
    "stage",
    "journey",
    "page",
    "idle",
    "scroll",
    "rule",
    "condition",
    "urls",
    "include",
    "exclude",
    "devices",
    "start",
    "end",
    "sample",
    "type",
    "questions",
    "text",
    "choices",
    "reward",
    "code",
    "url",
    "theme",
    "accentColor",
    "dark",
    "delay",
    "cancelOn",
    "frequency",
    "max",
    "per",
    "cooldown",
    "campaigns",
    "campaignLimits",
    "perSession",
    "minGap",
    "segments",
];
const STRINGS: &[&str] = &[
    "30s",
    "10m",
    "7d",
    "",
    "x",
    "/p*",
    "https://a.example/*",
    "#fff",
    "rgb(1,2,3)",
    "survey",
    "reward",
    "custom",
    "nps",
    "single",
    "coupon",
    "referral",
    "once",
    "untilAnswered",
    "always",
    "mobile",
    "traits.x == 1",
    "count(\"a\") > 1",
    "in_segment(\"s\")",
    "2026-01-01T00:00:00Z",
    "((",
    "\u{0}",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        prop_oneof![
            Just(-1.0),
            Just(0.0),
            Just(1.5),
            Just(50.0),
            Just(1e300),
            Just(33.0)
        ]
        .prop_map(Value::Number),
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                let mut m = Map::new();
                for (k, v) in kv {
                    m.insert(k, v);
                }
                Value::Object(m)
            }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    /// Any config, however wrong, reads to an engine or to located errors; never a panic.
    #[test]
    fn config_reading_never_panics(campaigns in prop::collection::vec(json(), 0..4), limits in json()) {
        let mut m = Map::new();
        m.insert("segments", parse(r#"{"s": "traits.x == 1"}"#).unwrap_or(Value::Null));
        m.insert("campaigns", Value::Array(campaigns));
        m.insert("campaignLimits", limits);
        match Engine::from_config(&Value::Object(m)) {
            Ok(mut e) => {
                let facts = Snapshot::default();
                e.handle(&Signal::ExitIntent, &facts, 0);
                let _ = e.to_value();
            }
            Err(errs) => prop_assert!(errs.iter().all(|e| !e.path.is_empty() && !e.message.is_empty())),
        }
    }
}
