//! Engine tests: timelines, errors, persistence, and a property test against a from-scratch oracle.

use super::*;
use crate::core::json::{parse, Value};
use crate::core::rules::OwnedEvent;

const M: i64 = 60_000;
const H: i64 = 60 * M;
const D: i64 = 24 * H;

fn seg(name: &str, rule: &str) -> SegmentDef {
    SegmentDef {
        name: name.into(),
        rule: Rule::Text(rule.into()),
    }
}

fn ev(json: &str) -> OwnedEvent {
    OwnedEvent::from_value(&parse(json).unwrap()).unwrap()
}

fn page(path: &str) -> OwnedEvent {
    ev(&format!(
        r#"{{"type":"page","properties":{{"path":"{path}"}}}}"#
    ))
}

#[test]
fn enters_then_leaves_when_the_window_expires_without_an_event() {
    let mut e = Engine::new(
        &[seg(
            "pricing",
            r#"count("Page Viewed", where: path starts_with "/pricing", within: 7d) >= 3"#,
        )],
        &[],
    )
    .unwrap();
    assert!(e.advance(0).is_empty());
    assert_eq!(e.next_wakeup(), None);
    for day in 1..=3 {
        let changes = e.ingest(&page("/pricing").as_event(), day * D);
        if day < 3 {
            assert!(changes.is_empty());
        } else {
            assert_eq!(
                changes,
                vec![Change::SegmentEnter {
                    segment: "pricing".into(),
                    at: 3 * D
                }]
            );
        }
    }
    assert_eq!(e.segments(), vec!["pricing"]);
    // The first view's hour bucket leaves the window at day 8: one timer, set for exactly then.
    assert_eq!(e.next_wakeup(), Some(8 * D));
    assert!(e.advance(8 * D - 1).is_empty());
    assert_eq!(
        e.advance(9 * D),
        vec![Change::SegmentExit {
            segment: "pricing".into(),
            at: 8 * D
        }]
    );
    assert!(e.segments().is_empty());
}

/// A clock a year ahead, then set right: what was recorded on it is not a year in the future for the rules. The
/// jump back counts as no time passed, and time runs on from there: the segment is left a window after the jump,
/// with its one timer set for then (not a year away, and not due at once in a loop).
#[test]
fn a_clock_set_right_after_running_ahead_does_not_hold_a_segment() {
    let mut e = Engine::new(&[seg("hot", r#"count("View", within: 1d) >= 1"#)], &[]).unwrap();
    let t0 = 100 * D;
    let view = ev(r#"{"event":"View"}"#);
    assert_eq!(e.ingest(&view.as_event(), t0 + 365 * D).len(), 1);
    assert!(e.advance(t0).is_empty(), "no time passed");
    assert_eq!(e.segments(), vec!["hot"]);
    let w = e.next_wakeup().unwrap();
    assert!(w > t0 && w <= t0 + D, "wake-up at {w}");
    assert!(e.advance(w - 1).is_empty());
    assert_eq!(
        e.advance(w),
        vec![Change::SegmentExit {
            segment: "hot".into(),
            at: w
        }]
    );
}

/// A clock set back days: the time since an event stays what it was at the jump and then grows as time runs on
/// the new clock, so a rule on it changes when it would have, counted in time that really passed.
#[test]
fn time_since_runs_on_after_a_clock_set_back() {
    let mut e = Engine::new(&[seg("recent", r#"time_since(last("View")) < 2h"#)], &[]).unwrap();
    let t0 = 100 * D;
    e.ingest(&ev(r#"{"event":"View"}"#).as_event(), t0);
    assert!(e.advance(t0 + H).is_empty());
    let back = t0 + H - 10 * D;
    assert!(e.advance(back).is_empty());
    assert_eq!(e.segments(), vec!["recent"]);
    assert_eq!(e.next_wakeup(), Some(back + H));
    assert!(e.advance(back + H - 1).is_empty());
    assert_eq!(e.advance(back + H).len(), 1);
    assert!(e.segments().is_empty());
}

#[test]
fn a_new_context_and_channel_are_seen_together() {
    let rule = r#"channel.last == "direct" && context.campaign.source == "newsletter""#;
    let direct = parse(r#"{"first":"direct","last":"direct"}"#).unwrap();
    let email = parse(r#"{"first":"direct","last":"email"}"#).unwrap();
    let plain = parse(r#"{"locale":"en"}"#).unwrap();
    let from_newsletter = parse(r#"{"locale":"en","campaign":{"source":"newsletter"}}"#).unwrap();
    let start = |e: &mut Engine| {
        e.set_context_and_channel(plain.clone(), direct.clone(), 0);
        assert!(e.segments().is_empty());
    };
    // One at a time, the rule sees the new context with the old channel for a moment: an enter and an exit that
    // no change of the visitor's caused.
    let mut apart = Engine::new(&[seg("odd", rule)], &[]).unwrap();
    start(&mut apart);
    let mut changes = apart.set_context(from_newsletter.clone(), M);
    changes.append(&mut apart.set_channel(email.clone(), M));
    assert_eq!(changes.len(), 2, "{changes:?}");
    // Together, nothing changes.
    let mut together = Engine::new(&[seg("odd", rule)], &[]).unwrap();
    start(&mut together);
    assert!(together
        .set_context_and_channel(from_newsletter, email, M)
        .is_empty());
    assert!(together.segments().is_empty());
}

#[test]
fn journey_stage_is_the_furthest_that_holds() {
    let mut e = Engine::new(
        &[],
        &[JourneyDef {
            name: "lifecycle".into(),
            stages: vec![
                seg("awareness", r#"count("Page Viewed") >= 1"#),
                seg(
                    "consideration",
                    r#"count("Page Viewed", where: path starts_with "/pricing") >= 1"#,
                ),
                seg("purchase", r#"count("Order Completed") >= 1"#),
                seg("lapsed", r#"days_since(last("Order Completed")) > 30"#),
            ],
        }],
    )
    .unwrap();
    let stage = |c: &[Change]| -> Vec<(Option<String>, Option<String>, i64)> {
        c.iter()
            .map(|c| match c {
                Change::Stage { from, to, at, .. } => (from.clone(), to.clone(), *at),
                _ => panic!(),
            })
            .collect()
    };
    assert!(e.advance(0).is_empty());
    assert_eq!(
        stage(&e.ingest(&page("/").as_event(), 1)),
        vec![(None, Some("awareness".into()), 1)]
    );
    assert_eq!(
        stage(&e.ingest(&page("/pricing").as_event(), 2)),
        vec![(Some("awareness".into()), Some("consideration".into()), 2)]
    );
    assert_eq!(
        stage(&e.ingest(&ev(r#"{"event":"Order Completed"}"#).as_event(), 3)),
        vec![(Some("consideration".into()), Some("purchase".into()), 3)]
    );
    assert_eq!(e.stage("lifecycle"), Some("purchase"));
    assert_eq!(e.next_wakeup(), Some(3 + 30 * D));
    assert_eq!(
        stage(&e.advance(40 * D)),
        vec![(
            Some("purchase".into()),
            Some("lapsed".into()),
            3 + 30 * D + 1
        )]
    );
}

#[test]
fn explains_a_segment_clause_by_clause() {
    let mut e = Engine::new(
        &[seg(
            "hot",
            r#"count("Page Viewed", within: 7d) >= 2 && traits.plan == "pro""#,
        )],
        &[],
    )
    .unwrap();
    e.advance(0);
    e.ingest(&page("/").as_event(), 1);
    let (source, clauses) = e.explain_segment("hot", 2).unwrap();
    let parts: Vec<(&str, bool)> = clauses
        .iter()
        .map(|c| (&source[c.span.start..c.span.end], c.value))
        .collect();
    assert_eq!(
        parts,
        vec![
            (r#"count("Page Viewed", within: 7d) >= 2"#, false),
            (r#"traits.plan == "pro""#, false)
        ]
    );
    assert!(e.explain_segment("nope", 2).is_none());
}

#[test]
fn segments_read_segments_and_cascade() {
    let mut e = Engine::new(
        &[
            seg("vip", r#"in_segment("buyer") && traits.plan == "pro""#),
            seg("buyer", r#"count("Order Completed") > 0"#),
        ],
        &[],
    )
    .unwrap();
    e.advance(0);
    e.ingest(
        &ev(r#"{"type":"identify","traits":{"plan":"pro"}}"#).as_event(),
        1,
    );
    let changes = e.ingest(&ev(r#"{"event":"Order Completed"}"#).as_event(), 2);
    assert_eq!(
        changes,
        vec![
            Change::SegmentEnter {
                segment: "buyer".into(),
                at: 2
            },
            Change::SegmentEnter {
                segment: "vip".into(),
                at: 2
            }
        ]
    );
}

#[test]
fn reports_every_config_error_with_its_origin() {
    let errors = Engine::new(
        &[
            seg("a", r#"cout("x") > 1"#),
            seg("b", r#"in_segment("nope")"#),
            seg("c", r#"traits.x == 1 && 3 == "3""#),
        ],
        &[JourneyDef {
            name: "j".into(),
            stages: vec![seg("s1", "traits.plan = \"pro\"")],
        }],
    )
    .unwrap_err();
    let rendered: Vec<String> = errors.iter().map(|e| e.render("config.json")).collect();
    assert_eq!(errors.len(), 4, "{rendered:?}");
    assert!(rendered[0].starts_with("config.json:segments.a:1:1: unknown function `cout`"));
    assert!(rendered[1].starts_with("config.json:segments.c:1:18: `==` compares"));
    assert!(rendered[2].starts_with("config.json:journeys.j.s1:1:13: unexpected `=`"));
    // A compile error elsewhere does not hide an unknown reference.
    assert!(rendered[3].starts_with("config.json:segments.b:1:1: no segment is named `nope`"));
    // With those fixed, the unknown segment reference is reported.
    let errors =
        Engine::new(&[seg("b", r#"traits.x == 1 || in_segment("nope")"#)], &[]).unwrap_err();
    assert_eq!(errors[0].diagnostics[0].code, "unknown-segment");
    assert_eq!(errors[0].diagnostics[0].column, 18);
    // A near miss names the segment meant.
    let errors = Engine::new(
        &[
            seg("buyers", "traits.x == 1"),
            seg("b", r#"in_segment("buyer")"#),
        ],
        &[],
    )
    .unwrap_err();
    assert!(
        errors[0].diagnostics[0]
            .message
            .ends_with("did you mean `buyers`?"),
        "{}",
        errors[0].diagnostics[0].message
    );
    let cycle = Engine::new(
        &[
            seg("a", r#"in_segment("b")"#),
            seg("b", r#"!in_segment("a")"#),
        ],
        &[],
    )
    .unwrap_err();
    assert_eq!(cycle.len(), 2);
    assert_eq!(cycle[0].diagnostics[0].code, "cycle");
}

#[test]
fn growthbook_conditions_are_segments_too() {
    let mut e = Engine::new(
        &[
            SegmentDef {
                name: "na-pro".into(),
                rule: Rule::Condition(
                    parse(r#"{"country": {"$in": ["US", "CA"]}, "plan": "pro"}"#).unwrap(),
                ),
            },
            seg(
                "na-pro-buyer",
                r#"in_segment("na-pro") && count("Order Completed") > 0"#,
            ),
        ],
        &[],
    )
    .unwrap();
    e.advance(0);
    e.ingest(
        &ev(r#"{"type":"identify","traits":{"country":"CA","plan":"pro"}}"#).as_event(),
        1,
    );
    assert_eq!(e.segments(), vec!["na-pro"]);
    e.ingest(&ev(r#"{"event":"Order Completed"}"#).as_event(), 2);
    assert_eq!(e.segments(), vec!["na-pro", "na-pro-buyer"]);
    let bad = Engine::new(
        &[SegmentDef {
            name: "x".into(),
            rule: Rule::Condition(parse(r#"{"country": {"$inn": ["US"]}}"#).unwrap()),
        }],
        &[],
    )
    .unwrap_err();
    assert_eq!(bad[0].diagnostics[0].code, "unknown-operator");
}

#[test]
fn run_time_mismatches_are_kept_for_debug_mode() {
    let mut e = Engine::new(&[seg("adult", "traits.age >= 18")], &[]).unwrap();
    e.advance(0);
    e.ingest(
        &ev(r#"{"type":"identify","traits":{"age":"old"}}"#).as_event(),
        1,
    );
    assert!(e.segments().is_empty());
    let d = e.take_diagnostics();
    assert_eq!(d.len(), 1);
    assert!(
        d[0].render()
            .starts_with("segments.adult:1:1: these values cannot be ordered"),
        "{}",
        d[0].render()
    );
    assert!(e.take_diagnostics().is_empty());
}

/// Past the bound, the oldest diagnostics leave and the newest 32 stay, in order.
#[test]
fn only_the_newest_run_time_diagnostics_are_kept() {
    let defs: Vec<SegmentDef> = (0..40)
        .map(|i| seg(&format!("s{i}"), "traits.age >= 18"))
        .collect();
    let mut e = Engine::new(&defs, &[]).unwrap();
    e.advance(0);
    e.ingest(
        &ev(r#"{"type":"identify","traits":{"age":"old"}}"#).as_event(),
        1,
    );
    let origins: Vec<String> = e
        .take_diagnostics()
        .iter()
        .map(|d| d.origin.clone())
        .collect();
    let want: Vec<String> = (8..40).map(|i| format!("segments.s{i}")).collect();
    assert_eq!(origins, want);
}

#[test]
fn extreme_times_do_not_overflow() {
    let mut e = Engine::new(
        &[
            seg(
                "a",
                r#"count("A", within: 7d) > 0 && sequence("A", not "B", within: 1h)"#,
            ),
            seg(
                "b",
                r#"days_since(last("A")) > 1 || time_since(first("A")) < 1s"#,
            ),
        ],
        &[],
    )
    .unwrap();
    for t in [i64::MIN, -1, 0, i64::MAX / 2, i64::MAX, i64::MAX] {
        e.ingest(&ev(r#"{"event":"A"}"#).as_event(), t);
        e.advance(t);
        let _ = e.next_wakeup();
    }
    let mut s = e.to_value().to_json();
    s = s.replace("\"clock\":", "\"clock\":1e300,\"x\":");
    let mut again = Engine::new(&[seg("a", r#"count("A", within: 7d) > 0"#)], &[]).unwrap();
    let _ = again.restore(&parse(&s).unwrap());
    again.advance(i64::MAX);
}

#[test]
fn state_survives_a_reload_without_re_announcing() {
    let defs = [seg("engaged", r#"count("Page Viewed", within: 1d) >= 2"#)];
    let mut e = Engine::new(&defs, &[]).unwrap();
    e.advance(0);
    e.ingest(&page("/").as_event(), H);
    assert_eq!(e.ingest(&page("/").as_event(), 2 * H).len(), 1);
    let saved = parse(&e.to_value().to_json()).unwrap();
    let mut again = Engine::new(&defs, &[]).unwrap();
    again.restore(&saved).unwrap();
    assert!(again.advance(3 * H).is_empty());
    assert_eq!(again.segments(), vec!["engaged"]);
    assert_eq!(again.next_wakeup(), Some(D + H));
    assert_eq!(again.advance(2 * D).len(), 1);
    assert!(again.restore(&Value::Null).is_err());
}

/// A from-scratch evaluator: aggregates computed by scanning the full event list, following the documented
/// semantics directly, with no incremental state.
#[cfg(not(target_arch = "wasm32"))]
mod oracle {
    use crate::core::json::{Map, Value};
    use crate::core::rules::eval::matches_event;
    use crate::core::rules::limits::MAX_STEPS;
    use crate::core::rules::series::layout;
    use crate::core::rules::series::Combine;
    use crate::core::rules::spec::{AggKind, AggSpec};
    use crate::core::rules::{evaluate, Event, Fact, Input, OwnedEvent, Program, Store};

    pub struct Oracle {
        pub segments: Vec<(String, Program)>,
        pub journeys: Vec<(String, Vec<(String, Program)>)>,
        pub specs: Vec<AggSpec>,
    }

    impl Oracle {
        pub fn new(segments: &[super::SegmentDef], journeys: &[super::JourneyDef]) -> Oracle {
            let mut store = Store::new();
            let mut compile = |src: &str| {
                let mut p = crate::core::rules::compile(src).unwrap();
                store.bind(&mut p).unwrap();
                p
            };
            let text = |r: &super::Rule| match r {
                super::Rule::Text(t) => t.clone(),
                super::Rule::Condition(c) => c.to_json(),
            };
            let segments = segments
                .iter()
                .map(|s| (s.name.clone(), compile(&text(&s.rule))))
                .collect();
            let journeys = journeys
                .iter()
                .map(|j| {
                    (
                        j.name.clone(),
                        j.stages
                            .iter()
                            .map(|s| (s.name.clone(), compile(&text(&s.rule))))
                            .collect(),
                    )
                })
                .collect();
            Oracle {
                segments,
                journeys,
                specs: store.specs().iter().map(|s| (**s).clone()).collect(),
            }
        }

        /// Memberships and stages at `now`, given every event up to then.
        pub fn answer(
            &self,
            events: &[(OwnedEvent, i64)],
            now: i64,
        ) -> (Vec<String>, Vec<Option<String>>) {
            let mut traits = Map::new();
            for (e, _) in events {
                if e.kind == "identify" {
                    traits.merge(&e.properties);
                }
            }
            let mut view = View {
                events,
                specs: &self.specs,
                traits,
                context: events
                    .last()
                    .map_or(Value::Null, |(e, _)| e.context.clone()),
                members: Vec::new(),
                stages: Vec::new(),
            };
            for (name, p) in &self.segments {
                let v = evaluate(p, &view, now).value;
                view.members.push((name.clone(), v));
            }
            for (name, stages) in &self.journeys {
                let s = stages
                    .iter()
                    .rposition(|(_, p)| evaluate(p, &view, now).value)
                    .map(|k| stages[k].0.clone());
                view.stages.push((name.clone(), s));
            }
            (
                view.members
                    .iter()
                    .filter(|(_, m)| *m)
                    .map(|(n, _)| n.clone())
                    .collect(),
                view.stages.into_iter().map(|(_, s)| s).collect(),
            )
        }
    }

    struct View<'a> {
        events: &'a [(OwnedEvent, i64)],
        specs: &'a [AggSpec],
        traits: Map,
        context: Value,
        members: Vec<(String, bool)>,
        stages: Vec<(String, Option<String>)>,
    }

    fn in_window(t: i64, now: i64, window: Option<i64>) -> bool {
        match window {
            None => true,
            Some(w) => {
                let (b, span) = layout(w);
                t.div_euclid(b) > now.div_euclid(b) - span
            }
        }
    }

    fn passes(spec: &AggSpec, e: &OwnedEvent) -> bool {
        match &spec.filter {
            None => true,
            Some(f) => {
                let mut budget = MAX_STEPS;
                matches_event(f, &[], e.as_event(), &mut budget)
            }
        }
    }

    fn at<'a>(e: &'a OwnedEvent, path: &[String]) -> Option<&'a Value> {
        let (first, rest) = path.split_first()?;
        let mut v = e.properties.get(first)?;
        for f in rest {
            v = v.get(f)?;
        }
        Some(v)
    }

    impl Input for View<'_> {
        fn traits(&self) -> Option<&Map> {
            Some(&self.traits)
        }
        fn context(&self) -> Option<&Value> {
            Some(&self.context)
        }
        fn event(&self) -> Option<Event<'_>> {
            self.events.last().map(|(e, _)| e.as_event())
        }
        fn in_segment(&self, name: &str) -> bool {
            self.members.iter().any(|(n, m)| *m && n == name)
        }
        fn stage(&self, journey: &str) -> Option<&str> {
            self.stages
                .iter()
                .find(|(j, _)| j == journey)
                .and_then(|(_, s)| s.as_deref())
        }
        fn aggregate(&self, slot: usize, now: i64) -> Fact<'_> {
            let spec = &self.specs[slot];
            let named = |e: &OwnedEvent| e.name == spec.event && passes(spec, e);
            let mut live = self
                .events
                .iter()
                .filter(|(e, t)| named(e) && in_window(*t, now, spec.window_ms));
            let nums = |p: &[String]| -> Vec<f64> {
                live.clone()
                    .filter_map(|(e, _)| at(e, p).and_then(Value::as_f64))
                    .collect()
            };
            match &spec.kind {
                AggKind::Count => Fact::Num(live.count() as f64),
                AggKind::Number(Combine::Sum, p) => Fact::Num(nums(p).iter().sum()),
                AggKind::Number(Combine::Min, p) => nums(p)
                    .into_iter()
                    .reduce(f64::min)
                    .map_or(Fact::Absent, Fact::Num),
                AggKind::Number(Combine::Max, p) => nums(p)
                    .into_iter()
                    .reduce(f64::max)
                    .map_or(Fact::Absent, Fact::Num),
                AggKind::First => live.map(|(_, t)| *t).min().map_or(Fact::Absent, Fact::Time),
                AggKind::Last => live.map(|(_, t)| *t).max().map_or(Fact::Absent, Fact::Time),
                AggKind::LastValue(p) => live
                    .next_back()
                    .and_then(|(e, _)| at(e, p))
                    .map_or(Fact::Absent, Fact::Value),
                AggKind::Sequence {
                    steps,
                    absent_last: false,
                    within_ms,
                } => {
                    // For each start, match the later steps as early as possible.
                    let ev = self.events;
                    let found = (0..ev.len())
                        .filter(|&i| ev[i].0.name == steps[0])
                        .any(|i| {
                            let mut pos = i;
                            for s in &steps[1..] {
                                match (pos + 1..ev.len()).find(|&k| ev[k].0.name == *s) {
                                    Some(k) => pos = k,
                                    None => return false,
                                }
                            }
                            ev[pos].1 - ev[i].1 <= *within_ms
                        });
                    Fact::Bool(found)
                }
                AggKind::Sequence {
                    steps, within_ms, ..
                } => {
                    let ev = self.events;
                    let Some(a) = (0..ev.len()).rev().find(|&i| ev[i].0.name == steps[0]) else {
                        return Fact::Bool(false);
                    };
                    let followed = ev[a + 1..].iter().any(|(e, _)| e.name == steps[1]);
                    Fact::Bool(!followed && now - ev[a].1 >= *within_ms)
                }
                AggKind::Sessions => {
                    let mut last = None;
                    let mut n = 0.0;
                    for (e, t) in self.events {
                        if let Some(id) = e.session_id {
                            if last != Some(id) {
                                last = Some(id);
                                if in_window(*t, now, spec.window_ms) {
                                    n += 1.0;
                                }
                            }
                        }
                    }
                    Fact::Num(n)
                }
                AggKind::Engaged => Fact::Num(
                    self.events
                        .iter()
                        .filter(|(e, t)| e.engaged_ms > 0.0 && in_window(*t, now, spec.window_ms))
                        .map(|(e, _)| e.engaged_ms)
                        .sum(),
                ),
            }
        }
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(not(target_arch = "wasm32"))]
mod property {
    use super::oracle::Oracle;
    use super::*;
    use proptest::prelude::*;

    fn atom() -> impl Strategy<Value = String> {
        let name = 0..4u8;
        let window = prop::sample::select(vec![
            "",
            ", within: 1h",
            ", within: 90m",
            ", within: 1d",
            ", within: 7d",
            ", within: 45s",
            ", within: 7m",
        ]);
        let dur = prop::sample::select(vec!["10m", "1h", "2h", "1d", "3d"]);
        prop_oneof![
            (name.clone(), name.clone()).prop_map(|(a, b)| format!(
                r#"time_since(last("E{a}")) < time_since(first("E{b}"))"#
            )),
            (name.clone(), 1..30u8).prop_map(|(a, d)| format!(
                r#"days_since(first("E{a}")) <= {}"#,
                f64::from(d) / 10.0
            )),
            (name.clone(), window.clone(), 1..4u8)
                .prop_map(|(a, w, k)| format!(r#"count("E{a}"{w}) >= {k}"#)),
            (name.clone(), 0..10u8, window.clone(), 1..3u8)
                .prop_map(|(a, v, w, k)| format!(r#"count("E{a}", where: x > {v}{w}) >= {k}"#)),
            (name.clone(), window.clone(), 0..20u8)
                .prop_map(|(a, w, v)| format!(r#"sum("E{a}", "x"{w}) > {v}"#)),
            (name.clone(), window.clone(), 0..10u8)
                .prop_map(|(a, w, v)| format!(r#"min("E{a}", "x"{w}) < {v}"#)),
            (name.clone(), window.clone(), 0..10u8)
                .prop_map(|(a, w, v)| format!(r#"max("E{a}", "x"{w}) >= {v}"#)),
            (name.clone(), 1..30u8).prop_map(|(a, d)| format!(
                r#"days_since(last("E{a}")) > {}"#,
                f64::from(d) / 10.0
            )),
            (name.clone(), dur.clone())
                .prop_map(|(a, d)| format!(r#"time_since(first("E{a}")) < {d}"#)),
            (name.clone(), dur.clone())
                .prop_map(|(a, d)| format!(r#"time_since(last("E{a}")) >= {d}"#)),
            (name.clone(), name.clone(), dur.clone())
                .prop_map(|(a, b, d)| format!(r#"sequence("E{a}", "E{b}", within: {d})"#)),
            (name.clone(), name.clone(), dur.clone())
                .prop_map(|(a, b, d)| format!(r#"sequence("E{a}", not "E{b}", within: {d})"#)),
            (name.clone(), 0..10u8).prop_map(|(a, v)| format!(r#"last("E{a}").x == {v}"#)),
            (window.clone(), 1..4u8).prop_map(|(w, k)| format!(
                r#"session_count({}) >= {k}"#,
                w.trim_start_matches(", ")
            )),
            dur.clone().prop_map(|d| format!("engaged_time() > {d}")),
            Just(r#"traits.plan == "pro""#.to_string()),
            name.clone()
                .prop_map(|a| format!(r#"event.name == "E{a}""#)),
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        prop_oneof![
            atom(),
            (atom(), atom()).prop_map(|(a, b)| format!("{a} && {b}")),
            (atom(), atom()).prop_map(|(a, b)| format!("{a} || !({b})")),
        ]
    }

    #[derive(Debug, Clone)]
    struct Step {
        gap_ms: i64,
        name: u8,
        x: Option<u8>,
        session: Option<u8>,
        engaged: u32,
        identify: Option<bool>,
        /// The clock is set back this many days before the event (instead of `gap_ms` passing).
        back: Option<u8>,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            prop_oneof![0..5 * M, 0..3 * H, 0..2 * D],
            0..4u8,
            prop::option::of(0..10u8),
            prop::option::of(0..3u8),
            prop_oneof![Just(0u32), 1_000..600_000u32],
            prop::option::weighted(0.1, any::<bool>()),
            prop::option::weighted(0.1, 1..40u8),
        )
            .prop_map(|(gap_ms, name, x, session, engaged, identify, back)| Step {
                gap_ms,
                name,
                x,
                session,
                engaged,
                identify,
                back,
            })
    }

    fn to_event(s: &Step) -> OwnedEvent {
        let mut json = match s.identify {
            Some(pro) => format!(
                r#"{{"type":"identify","traits":{{"plan":"{}"}}"#,
                if pro { "pro" } else { "free" }
            ),
            None => {
                let x = s.x.map(|x| format!(r#","x":{x}"#)).unwrap_or_default();
                format!(
                    r#"{{"event":"E{}","properties":{{"engagedMs":{}{x}}}"#,
                    s.name, s.engaged
                )
            }
        };
        if let Some(id) = s.session {
            json.push_str(&format!(r#","context":{{"sessionId":{id}}}"#));
        }
        json.push('}');
        ev(&json)
    }

    proptest! {
        // SEGMENTS_PROPTEST_CASES raises the count for a longer run.
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SEGMENTS_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        /// Also with the clock set back by whole days between events: the engine answers as if everything so far
        /// had happened that much earlier (see `docs/rules.md`, "When the clock jumps").
        fn incremental_engine_matches_from_scratch_evaluation(
            rules in prop::collection::vec(rule(), 1..5),
            stage_rules in prop::collection::vec(rule(), 0..3),
            chained in any::<bool>(),
            steps in prop::collection::vec(step(), 0..40),
            probes in prop::collection::vec(0..1000i64, 40),
        ) {
            let mut segments: Vec<SegmentDef> =
                rules.iter().enumerate().map(|(i, r)| seg(&format!("s{i}"), r)).collect();
            if chained && segments.len() > 1 {
                let last = segments.len() - 1;
                segments[last] = seg(&format!("s{last}"), &format!("in_segment(\"s0\") && !({})", rules[last]));
            }
            let journeys = vec![JourneyDef {
                name: "j".into(),
                stages: stage_rules.iter().enumerate().map(|(i, r)| seg(&format!("t{i}"), r)).collect(),
            }];
            let mut engine = Engine::new(&segments, &journeys).unwrap();
            let oracle = Oracle::new(&segments, &journeys);
            let answer = |e: &Engine| -> (Vec<String>, Vec<Option<String>>) {
                (e.segments().iter().map(|s| s.to_string()).collect(), vec![e.stage("j").map(str::to_string)])
            };
            let mut history: Vec<(OwnedEvent, i64)> = Vec::new();
            let mut now = 0i64;
            engine.advance(now);
            prop_assert_eq!(answer(&engine), oracle.answer(&history, now));
            for (i, s) in steps.iter().enumerate() {
                if let Some(days) = s.back {
                    // The clock set back: no time passed, and everything so far happened that much earlier on
                    // the new clock (whole days, so that every window's buckets move exactly).
                    let d = i64::from(days) * D;
                    for h in &mut history {
                        h.1 -= d;
                    }
                    now -= d;
                    engine.advance(now);
                    prop_assert_eq!(answer(&engine), oracle.answer(&history, now), "set back {} days at {}", days, now);
                    if let Some(w) = engine.next_wakeup() {
                        prop_assert!(w > now, "a wake-up at {} is due at once at {}", w, now);
                    }
                }
                let next = now + if s.back.is_some() { 0 } else { s.gap_ms };
                // Time passes with no event: probe just before and at the engine's wake-up, and at a random time.
                if let Some(w) = engine.next_wakeup().filter(|&w| w < next) {
                    for t in [w - 1, w] {
                        if t > now {
                            engine.advance(t);
                            prop_assert_eq!(answer(&engine), oracle.answer(&history, t), "at {} (wake-up {})", t, w);
                            now = t;
                        }
                    }
                }
                let mid = now + (next - now) * probes[i % probes.len()] / 1000;
                engine.advance(mid);
                prop_assert_eq!(answer(&engine), oracle.answer(&history, mid), "between events at {}", mid);
                now = next;
                let e = to_event(s);
                engine.ingest(&e.as_event(), now);
                history.push((e, now));
                prop_assert_eq!(answer(&engine), oracle.answer(&history, now), "after event {} at {}", i, now);
            }
            for jump in [M, H, D, 8 * D, 40 * D] {
                let t = now + jump;
                engine.advance(t);
                prop_assert_eq!(answer(&engine), oracle.answer(&history, t), "{} after the last event", t - now);
            }
        }
    }
}

mod cli {
    use super::super::config::{check_config, condition, replay};

    const CONFIG: &str = r#"{
      "segments": {
        "pricing-interest": "count(\"Page Viewed\", where: path starts_with \"/pricing\", within: 7d) >= 2",
        "north-america": {"condition": {"country": {"$in": ["US", "CA"]}}}
      },
      "journeys": {
        "lifecycle": [
          {"stage": "awareness", "rule": "count(\"Page Viewed\") >= 1"},
          {"stage": "consideration", "rule": "in_segment(\"pricing-interest\")"},
          {"stage": "purchase", "rule": "count(\"Order Completed\") >= 1"}
        ]
      }
    }"#;

    #[test]
    fn check_counts_rules_and_reports_every_error() {
        assert_eq!(check_config(CONFIG, "c.json"), Ok(5));
        let bad = r#"{"segments": {"a": "cout(\"x\") > 1", "b": "traits.x = 1", "c": {"condition": {"x": {"$bad": 1}}}},
                      "journeys": {"j": [{"rule": "true"}]}}"#;
        let report = check_config(bad, "c.json").unwrap_err();
        assert!(
            report.contains("c.json:journeys.j[0]: a stage needs a \"stage\" name"),
            "{report}"
        );
        let bad = r#"{"segments": {"a": "cout(\"x\") > 1", "b": "traits.x = 1", "c": {"condition": {"x": {"$bad": 1}}}}}"#;
        let report = check_config(bad, "c.json").unwrap_err();
        assert!(report.contains("c.json:segments.a:1:1: unknown function `cout`; did you mean `count`?\ncout(\"x\") > 1\n^^^^\n"), "{report}");
        assert!(
            report.contains("c.json:segments.b:1:10: unexpected `=`"),
            "{report}"
        );
        assert!(report.contains("unknown operator `$bad`"), "{report}");
        assert!(check_config("{", "c.json")
            .unwrap_err()
            .starts_with("c.json: not valid JSON"));
    }

    #[test]
    fn replay_prints_a_deterministic_timeline() {
        let events = [
            r#"{"type":"identify","traits":{"country":"CA"},"timestamp":"2026-01-01T00:00:00.000Z"}"#,
            r#"{"type":"page","properties":{"path":"/"},"timestamp":"2026-01-01T00:01:00.000Z"}"#,
            r#"{"type":"page","properties":{"path":"/pricing"},"timestamp":"2026-01-02T00:00:00.000Z"}"#,
            r#"{"type":"page","properties":{"path":"/pricing"},"timestamp":"2026-01-03T00:00:00.000Z"}"#,
        ]
        .join("\n");
        let until = crate::core::time::parse_iso8601("2026-01-20T00:00:00Z");
        let timeline = replay(CONFIG, &events, until, "c.json").unwrap();
        assert_eq!(
            timeline,
            "2026-01-01T00:00:00.000Z segment-enter north-america\n\
             2026-01-01T00:01:00.000Z stage lifecycle - -> awareness\n\
             2026-01-03T00:00:00.000Z segment-enter pricing-interest\n\
             2026-01-03T00:00:00.000Z stage lifecycle awareness -> consideration\n\
             2026-01-09T00:00:00.000Z segment-exit pricing-interest\n\
             2026-01-09T00:00:00.000Z stage lifecycle consideration -> awareness\n"
        );
        assert_eq!(replay(CONFIG, &events, until, "c.json").unwrap(), timeline);
        assert!(replay(CONFIG, "{\"type\":\"page\"}", None, "c.json")
            .unwrap_err()
            .contains("no timestamp"));
    }

    #[test]
    fn condition_answers_like_growthbook() {
        assert_eq!(
            condition(r#"{"age": {"$gt": 5}}"#, r#"{"age": "8"}"#, None),
            Ok(true)
        );
        assert_eq!(
            condition(
                r#"{"id": {"$inGroup": "beta"}}"#,
                r#"{"id": "u1"}"#,
                Some(r#"{"beta": ["u1"]}"#)
            ),
            Ok(true)
        );
        assert!(condition("{", "{}", None).is_err());
    }
}

#[test]
fn too_many_rules_is_an_error() {
    use crate::core::rules::limits::MAX_RULES;
    let defs: Vec<SegmentDef> = (0..=MAX_RULES)
        .map(|i| seg(&format!("s{i}"), "true"))
        .collect();
    let errors = Engine::new(&defs, &[]).unwrap_err();
    assert_eq!(errors[0].diagnostics[0].code, "too-many-rules");
    assert!(Engine::new(&defs[..MAX_RULES], &[]).is_ok());
}

/// The persisted state's text, every kind of aggregate state in it, is exactly as earlier versions wrote it
/// (stored state must read back across SDK updates).
#[test]
fn the_persisted_state_is_written_as_before() {
    let mut e = Engine::new(
        &[
            seg("a", r#"count("A", within: 1d) >= 1 && count("A") >= 1"#),
            seg(
                "b",
                r#"sum("A", "n") > 0 && min("A", "n", within: 2d) < 1 && max("A", "n") > 1"#,
            ),
            seg(
                "c",
                r#"time_since(first("A")) > 1s && last("A").n == 2 && last("B").n == 2"#,
            ),
            seg(
                "d",
                r#"sequence("A", "B", within: 1h) || sequence("A", not "B", within: 1h)"#,
            ),
            seg(
                "e",
                r#"session_count(within: 1d) > 0 && engaged_time() > 0m && session_count() > 0"#,
            ),
        ],
        &[JourneyDef {
            name: "j".into(),
            stages: vec![
                seg("s1", r#"count("A") >= 1"#),
                seg("s2", r#"count("B") >= 1"#),
            ],
        }],
    )
    .unwrap();
    e.advance(0);
    e.ingest(
        &ev(r#"{"event":"A","properties":{"n":2.5},"context":{"sessionId":7}}"#).as_event(),
        H,
    );
    e.ingest(
        &ev(r#"{"event":"A","properties":{"n":-1},"context":{"sessionId":9}}"#).as_event(),
        2 * H,
    );
    let want = concat!(
        r#"{"v":1,"store":{"v":1,"a":{"count|\"A\"|within:86400000":{"b":900000,"c":[4,1,8,1]},"#,
        r#""count|\"A\"":{"e":2},"sum|\"A\"|\"n\"":{"e":1.5},"#,
        r#""min|\"A\"|\"n\"|within:172800000":{"b":900000,"c":[4,2.5,8,-1]},"#,
        r#""max|\"A\"|\"n\"":{"e":2.5},"first|\"A\"":{"t":3600000},"last_value|\"A\"|\"n\"":{"v":-1},"#,
        r#""last_value|\"B\"|\"n\"":{},"sequence|\"\"|\"A\"|\"B\"|3600000":{"p":[7200000],"d":null},"#,
        r#""sequence|\"\"|\"A\"|\"B\"|absent|3600000":{"s":7200000,"f":false},"#,
        r#""sessions|\"\"|within:86400000":{"i":9,"n":{"b":900000,"c":[4,1,8,1]}},"#,
        r#""engaged|\"\"":{"e":null},"sessions|\"\"":{"i":9,"n":{"e":2}},"count|\"B\"":{"e":null}}},"#,
        r#""segments":["a","b"],"stages":{"j":"s1"},"clock":7200000}"#,
    );
    assert_eq!(e.to_value().to_json(), want);
    let mut written = String::new();
    e.write_state(&mut written);
    assert_eq!(written, want);
}

/// A compiled config is read as it is: stages of one journey may share a name, and journeys may share one. The
/// visitor's stage is a name, so moving between stages of the same name is no change, and the state keeps each
/// journey name once, with the last journey's stage.
#[test]
fn repeated_names_are_stages_by_name() {
    let journey = |name: &str, stages: &[(&str, &str)]| JourneyDef {
        name: name.into(),
        stages: stages.iter().map(|(n, r)| seg(n, r)).collect(),
    };
    let journeys = [
        journey(
            "j",
            &[("s", r#"count("A") >= 1"#), ("s", r#"count("B") >= 1"#)],
        ),
        journey("k", &[("x", r#"count("A") >= 1"#)]),
        journey("j", &[("t", r#"count("C") >= 1"#)]),
    ];
    let mut e = Engine::new(&[], &journeys).unwrap();
    let changes = e.ingest(&ev(r#"{"event":"A"}"#).as_event(), 1);
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert_eq!(e.stage("j"), Some("s"));
    assert!(e.ingest(&ev(r#"{"event":"B"}"#).as_event(), 2).is_empty());
    assert_eq!(e.stage("j"), Some("s"));
    let changes = e.ingest(&ev(r#"{"event":"C"}"#).as_event(), 3);
    assert!(
        matches!(&changes[..], [Change::Stage { journey, from: None, to: Some(t), .. }] if journey == "j" && t == "t"),
        "{changes:?}"
    );
    let mut state = String::new();
    e.write_state(&mut state);
    assert!(state.contains(r#""stages":{"j":"t","k":"x"}"#), "{state}");
    let mut again = Engine::new(&[], &journeys).unwrap();
    again.restore(&parse(&state).unwrap()).unwrap();
    assert_eq!(
        again.stage("j"),
        None,
        "the first journey named j has no stage t"
    );
    assert_eq!(again.stage("k"), Some("x"));
    let changes = again.advance(4);
    assert!(
        matches!(&changes[..], [Change::Stage { journey, from: None, to: Some(s), .. }] if journey == "j" && s == "s"),
        "{changes:?}"
    );
}

/// Two tabs of one site, each with its own engine over one stored state: what one writes, the other merges in
/// (`Engine::absorb`).
mod tabs {
    use super::*;
    use crate::core::rules::Fact;

    fn count_segment(rule: &str) -> Engine {
        Engine::new(&[seg("s", rule)], &[]).unwrap()
    }

    fn event(name: &str) -> OwnedEvent {
        ev(&format!(r#"{{"event":"{name}"}}"#))
    }

    /// The tab writes its state where the other reads it.
    fn write(e: &mut Engine) -> Value {
        e.mark_written();
        e.to_value()
    }

    fn enter(at: i64) -> Vec<Change> {
        vec![Change::SegmentEnter {
            segment: "s".into(),
            at,
        }]
    }

    /// A state another tab wrote on a clock since set back (a year ahead, then set right) is taken in on the new
    /// clock, as this tab's own state is: its times move back by as much, so its window and `time_since` run on
    /// from the new reading rather than hold the segment for the year until the clock catches up.
    #[test]
    fn a_state_written_before_a_clock_set_back_is_taken_in_on_the_new_clock() {
        for rule in [
            r#"count("View", within: 1d) >= 1"#,
            r#"time_since(last("View")) < 1d"#,
        ] {
            let (mut a, mut b) = (count_segment(rule), count_segment(rule));
            let ahead = 465 * D;
            a.advance(ahead);
            b.advance(ahead);
            assert_eq!(
                a.ingest(&event("View").as_event(), ahead + H),
                enter(ahead + H)
            );
            let from_a = write(&mut a);
            // The clock is set right a year back; B, which had not heard of A's event yet, takes its state in.
            let now = 100 * D + 2 * H;
            b.absorb(&from_a, (None, None, None), now);
            assert_eq!(b.segments(), ["s"], "{rule}");
            let w = b.next_wakeup().unwrap();
            assert!(
                w > now && w <= now + D,
                "{rule}: wake-up at {w}, a day after {now}"
            );
            // And A, writing again on the new clock, agrees with B when B takes its state in.
            a.advance(now);
            let from_a = write(&mut a);
            b.absorb(&from_a, (None, None, None), now + 1);
            assert!(b.next_wakeup().is_some_and(|w| w <= now + D), "{rule}");
        }
    }

    #[test]
    fn a_count_met_by_both_tabs_together_enters_once() {
        let (mut a, mut b) = (
            count_segment(r#"count("E") >= 3"#),
            count_segment(r#"count("E") >= 3"#),
        );
        a.advance(0);
        b.advance(0);
        assert!(a.ingest(&event("E").as_event(), 1_000).is_empty());
        assert!(a.ingest(&event("E").as_event(), 2_000).is_empty());
        assert!(b.ingest(&event("E").as_event(), 3_000).is_empty());
        // Neither tab counted three; B, taking in A's two, is the first to: it reports the entry, and has its own
        // event to write back.
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), 4_000),
            (enter(4_000), true)
        );
        assert_eq!(b.segments(), ["s"]);
        // A takes in B's write: the entry B reported is not reported again, and A has nothing to write back.
        let from_b = write(&mut b);
        assert_eq!(
            a.absorb(&from_b, (None, None, None), 5_000),
            (vec![], false)
        );
        assert_eq!(a.segments(), ["s"]);
        assert_eq!(a.store().value(0, 5_000), Fact::Num(3.0));
        // Nor does B, taking A's answer back.
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), 6_000),
            (vec![], false)
        );
    }

    #[test]
    fn an_entry_one_tab_reported_is_not_reported_by_the_other() {
        let (mut a, mut b) = (
            count_segment(r#"count("E") >= 2"#),
            count_segment(r#"count("E") >= 2"#),
        );
        a.advance(0);
        b.advance(0);
        a.ingest(&event("E").as_event(), 1_000);
        assert_eq!(a.ingest(&event("E").as_event(), 2_000), enter(2_000));
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), 3_000),
            (vec![], false)
        );
        assert_eq!(b.segments(), ["s"]);
        // For this tab's listeners only, when it learnt of it.
        assert_eq!(b.take_heard(), enter(3_000));
        assert!(b.take_heard().is_empty());
    }

    #[test]
    fn a_merged_window_wakes_the_tab_when_the_other_tabs_events_expire() {
        let rule = r#"count("E", within: 7d) >= 2"#;
        let (mut a, mut b) = (count_segment(rule), count_segment(rule));
        a.advance(0);
        b.advance(0);
        a.ingest(&event("E").as_event(), D);
        b.ingest(&event("E").as_event(), 3 * D);
        assert_eq!(b.next_wakeup(), Some(10 * D));
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), 3 * D + 1),
            (enter(3 * D + 1), true)
        );
        // A's event leaves the window at day 8: B wakes then, and leaves.
        assert_eq!(b.next_wakeup(), Some(8 * D));
        assert_eq!(
            b.advance(8 * D),
            vec![Change::SegmentExit {
                segment: "s".into(),
                at: 8 * D
            }]
        );
    }

    /// Time alone ends the membership in both tabs at the same instant: the tab whose write reports the exit
    /// first has it; the other, taking that write in after the instant, does not report it again.
    #[test]
    fn an_exit_by_time_one_tab_reported_is_not_reported_by_the_other() {
        let rule = r#"count("E", within: 1h) >= 1"#;
        let (mut a, mut b) = (count_segment(rule), count_segment(rule));
        a.advance(0);
        b.advance(0);
        assert_eq!(a.ingest(&event("E").as_event(), 1_000), enter(1_000));
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), 2_000),
            (vec![], false)
        );
        assert_eq!(b.take_heard(), enter(2_000));
        let at = a.next_wakeup().unwrap();
        let exit = vec![Change::SegmentExit {
            segment: "s".into(),
            at,
        }];
        assert_eq!(a.advance(at), exit);
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), at + 500),
            (vec![], false)
        );
        assert!(b.segments().is_empty());
        // Its page still hears of the exit, at the instant it happened.
        assert_eq!(b.take_heard(), exit);
        // Had the other tab's write come before the instant, this tab reports the exit itself, at its time.
        let (mut a, mut b) = (count_segment(rule), count_segment(rule));
        a.advance(0);
        b.advance(0);
        a.ingest(&event("E").as_event(), 1_000);
        let from_a = write(&mut a);
        b.absorb(&from_a, (None, None, None), 2_000);
        let from_a = write(&mut a);
        assert_eq!(
            b.absorb(&from_a, (None, None, None), at + 500),
            (exit, false)
        );
    }

    #[test]
    fn a_journey_stage_reached_by_merging_is_reported_once() {
        let journeys = [JourneyDef {
            name: "j".into(),
            stages: vec![
                seg("one", r#"count("E") >= 1"#),
                seg("two", r#"count("E") >= 2"#),
            ],
        }];
        let mut a = Engine::new(&[], &journeys).unwrap();
        let mut b = a.clone();
        a.advance(0);
        b.advance(0);
        a.ingest(&event("E").as_event(), 1_000);
        b.ingest(&event("E").as_event(), 1_500);
        let from_a = write(&mut a);
        let (changes, beyond) = b.absorb(&from_a, (None, None, None), 2_000);
        assert!(beyond);
        assert_eq!(
            changes,
            vec![Change::Stage {
                journey: "j".into(),
                from: Some("one".into()),
                to: Some("two".into()),
                at: 2_000
            }]
        );
        let from_b = write(&mut b);
        assert_eq!(
            a.absorb(&from_b, (None, None, None), 2_500),
            (vec![], false)
        );
        assert_eq!(a.stage("j"), Some("two"));
    }

    #[test]
    fn a_state_of_another_version_changes_nothing() {
        let mut a = count_segment(r#"count("E") >= 1"#);
        a.ingest(&event("E").as_event(), 1_000);
        for other in [r#"{"v":2,"store":{}}"#, r#"{"v":1}"#, "[]"] {
            assert_eq!(
                a.absorb(&parse(other).unwrap(), (None, None, None), 2_000),
                (vec![], false),
                "{other}"
            );
            assert_eq!(a.segments(), ["s"]);
        }
    }
}

/// Two tabs against one engine fed every event: with each write taken in by the other tab at once (storage events
/// arrive in order, before either tab acts again), the tabs settle on the same aggregates and memberships as the
/// one engine, whenever they write.
#[cfg(not(target_arch = "wasm32"))]
mod tabs_property {
    use super::*;
    use proptest::prelude::*;

    fn atom() -> impl Strategy<Value = String> {
        let window = prop::sample::select(vec!["", ", within: 1h", ", within: 1d"]);
        prop_oneof![
            (0..2u8, window.clone(), 1..6u8)
                .prop_map(|(a, w, k)| format!(r#"count("E{a}"{w}) >= {k}"#)),
            (0..2u8, window.clone(), 0..20u8)
                .prop_map(|(a, w, v)| format!(r#"sum("E{a}", "x"{w}) > {v}"#)),
            (0..2u8, window, 0..5u8).prop_map(|(a, w, v)| format!(r#"max("E{a}", "x"{w}) >= {v}"#)),
        ]
    }

    fn rule() -> impl Strategy<Value = String> {
        prop_oneof![
            atom(),
            (atom(), atom()).prop_map(|(a, b)| format!("{a} && {b}")),
            (atom(), atom()).prop_map(|(a, b)| format!("{a} || {b}")),
        ]
    }

    /// An event: which tab sees it, after how long, its name and `x`; and whether that tab writes afterwards.
    #[derive(Debug, Clone)]
    struct Step {
        tab: usize,
        gap_ms: i64,
        name: u8,
        x: u8,
        write: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            0..2usize,
            prop_oneof![0..5 * M, 0..3 * H],
            0..2u8,
            0..5u8,
            any::<bool>(),
        )
            .prop_map(|(tab, gap_ms, name, x, write)| Step {
                tab,
                gap_ms,
                name,
                x,
                write,
            })
    }

    /// A tab: its engine, whether its state holds what is not written, and the entries it reported.
    struct Tab {
        engine: Engine,
        dirty: bool,
        entries: usize,
    }

    impl Tab {
        fn note(&mut self, changes: &[Change]) {
            self.dirty |= !changes.is_empty();
            self.entries += changes
                .iter()
                .filter(|c| matches!(c, Change::SegmentEnter { segment, .. } if segment.starts_with("ever")))
                .count();
        }
    }

    /// Tab `from` writes; the other takes it in at once.
    fn write(tabs: &mut [Tab; 2], from: usize, now: i64) {
        let stored = tabs[from].engine.to_value();
        tabs[from].engine.mark_written();
        tabs[from].dirty = false;
        let other = &mut tabs[1 - from];
        let (changes, beyond) = other.engine.absorb(&stored, (None, None, None), now);
        other.note(&changes);
        other.dirty |= beyond;
    }

    fn answer(e: &Engine, slots: usize, now: i64) -> (Vec<String>, Option<String>, Vec<String>) {
        let mut values = Vec::new();
        for slot in 0..slots {
            values.push(format!("{:?}", e.store().value(slot, now)));
        }
        (
            e.segments().iter().map(|s| s.to_string()).collect(),
            e.stage("j").map(str::to_string),
            values,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: std::env::var("SEGMENTS_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// What holds: after the last event and a settling exchange (each tab writes while it holds something the
        /// other lacks or announced a change: three writes at most, the third when time alone changed a rule in the
        /// tab that heard last, as its clock caught up with the merge), both tabs hold the one engine's counts, sums and maxima, its
        /// memberships and its stage, then and as time passes. Writing after every event, moreover, a segment that
        /// a count reached for good (`count(...) >= k` over all time) is reported entered exactly as often as by
        /// the one engine (once), across both tabs. With writes at random points a tab can reach such a count
        /// alone before it hears of the other's events, and both report it: each tab acts on what it knows.
        #[test]
        fn two_tabs_settle_on_what_one_engine_fed_every_event_holds(
            rules in prop::collection::vec(rule(), 1..4),
            ever in (0..2u8, 1..8u8),
            stages in prop::collection::vec(atom(), 0..3),
            steps in prop::collection::vec(step(), 1..30),
            every_event in any::<bool>(),
        ) {
            let mut segments: Vec<SegmentDef> =
                rules.iter().enumerate().map(|(i, r)| seg(&format!("s{i}"), r)).collect();
            segments.push(seg("ever", &format!(r#"count("E{}") >= {}"#, ever.0, ever.1)));
            let journeys = [JourneyDef {
                name: "j".into(),
                stages: stages.iter().enumerate().map(|(i, r)| seg(&format!("t{i}"), r)).collect(),
            }];
            let mut one = Engine::new(&segments, &journeys).unwrap();
            let slots = one.store().specs().len();
            let mut one_entries = 0;
            let mut tabs = [0, 1].map(|_| Tab { engine: one.clone(), dirty: false, entries: 0 });
            one.advance(0);
            for t in &mut tabs {
                t.engine.advance(0);
            }
            let mut now = 0;
            for s in &steps {
                now += s.gap_ms;
                let e = ev(&format!(r#"{{"event":"E{}","properties":{{"x":{}}}}}"#, s.name, s.x));
                one_entries += one
                    .ingest(&e.as_event(), now)
                    .iter()
                    .filter(|c| matches!(c, Change::SegmentEnter { segment, .. } if segment == "ever"))
                    .count();
                let changes = tabs[s.tab].engine.ingest(&e.as_event(), now);
                tabs[s.tab].note(&changes);
                tabs[s.tab].dirty = true;
                if every_event || s.write {
                    write(&mut tabs, s.tab, now);
                }
            }
            // Each tab writes while it holds what the other lacks.
            let mut writes = 0;
            while let Some(from) = (0..2).find(|&i| tabs[i].dirty) {
                prop_assert!(writes < 3, "the tabs do not settle within three writes");
                write(&mut tabs, from, now);
                writes += 1;
            }
            for later in [0, M, H, D, 2 * D] {
                let t = now + later;
                one.advance(t);
                let expected = answer(&one, slots, t);
                for (i, tab) in tabs.iter_mut().enumerate() {
                    tab.engine.advance(t);
                    prop_assert_eq!(&answer(&tab.engine, slots, t), &expected, "tab {} at {}", i, t);
                }
            }
            if every_event {
                prop_assert_eq!(tabs[0].entries + tabs[1].entries, one_entries);
            }
        }
    }
}
