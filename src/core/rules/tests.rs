//! Unit tests of the compile pipeline; data-driven cases live in `tests/rules/*.json`.

use super::*;

fn errors(src: &str) -> Vec<(&'static str, usize, usize)> {
    compile(src)
        .err()
        .unwrap_or_default()
        .iter()
        .map(|d| (d.code, d.line, d.column))
        .collect()
}

#[test]
fn compiles_the_spec_examples() {
    for src in [
        r#"count("Page Viewed", where: path starts_with "/pricing", within: 7d) >= 3 && count("Order Completed") == 0"#,
        r#"days_since(last("Order Completed")) > 30 && traits.plan == "pro""#,
        r#"sequence("Checkout Started", not "Order Completed", within: 30m)"#,
        r#"last("Survey Answered", where: survey == "nps").score >= 9"#,
        r#"in_segment("potential") && channel.first == "email""#,
        r#"traits.app_version >= v"1.2.3" && page.query.utm_source in ["news", "mail"]"#,
        r#"in_rollout("new-nav", 20) && time_since(first("Signed Up")) < 14d"#,
    ] {
        if let Err(e) = compile(src) {
            panic!("{src}: {e:?}");
        }
    }
}

#[test]
fn shares_identical_aggregates_within_a_rule() {
    let p = compile(
        r#"count("A", within: 7d) > 1 && count( "A" , within: 168h ) < 5 && count("A") > 0"#,
    )
    .unwrap();
    assert_eq!(p.aggregates().len(), 2);
}

#[test]
fn reports_every_error_with_position() {
    assert_eq!(
        errors("cout(\"x\") > 1 && 1 == \"a\" && traits.x > 5x"),
        vec![
            ("unknown-function", 1, 1),
            ("type-mismatch", 1, 18),
            ("bad-duration", 1, 41)
        ]
    );
}

/// `program`'s value for a visitor with these traits, and the codes of the run-time diagnostics it gave.
fn value_and_codes(program: &Program, traits: crate::core::json::Map) -> (bool, Vec<&'static str>) {
    let snap = Snapshot {
        traits,
        ..Snapshot::default()
    };
    let r = evaluate(program, &snap, 0);
    (r.value, r.diagnostics.iter().map(|d| d.code).collect())
}

#[test]
fn step_budget_makes_the_rule_false() {
    use crate::core::json::{Map, Value};
    let p = compile(r#"traits.text matches "^(a|aa)*(b|c)$""#).unwrap();
    let mut traits = Map::new();
    traits.insert("text", Value::String("a".repeat(20_000)));
    let (value, codes) = value_and_codes(&p, traits);
    assert!(!value);
    assert_eq!(codes, vec!["step-budget"]);
}

/// `contains` costs one step per 16 bytes of the text it searches: 1.59 MB fits in the budget, 1.61 MB does not.
#[test]
fn contains_costs_a_step_per_16_bytes() {
    use crate::core::json::{Map, Value};
    let p = compile(r#"traits.text contains "b""#).unwrap();
    for (len, over) in [(1_590_000, false), (1_610_000, true)] {
        let mut traits = Map::new();
        traits.insert("text", Value::String("a".repeat(len)));
        let (value, codes) = value_and_codes(&p, traits);
        assert!(!value);
        assert_eq!(codes.contains(&"step-budget"), over, "{len}: {codes:?}");
    }
}

/// `x in list` with an array `x` compares every element of `x` with every item: it costs their product, so two
/// long arrays run out of steps instead of taking time quadratic in their length; with a literal list, each item
/// costs the length of `x`.
#[test]
fn in_with_an_array_costs_a_step_per_pair() {
    use crate::core::json::{Map, Value};
    let numbers = |from: u32, n: u32| {
        Value::Array(
            (from..from + n)
                .map(|i| Value::Number(f64::from(i)))
                .collect(),
        )
    };
    let literal: Vec<String> = (0..256).map(|i| (1_000_000 + i).to_string()).collect();
    let with_literal = format!("traits.a in [{}]", literal.join(", "));
    for (rule, n, over) in [
        ("traits.a in traits.b", 300, false),
        ("traits.a in traits.b", 400, true),
        (with_literal.as_str(), 300, false),
        (with_literal.as_str(), 400, true),
    ] {
        let p = compile(rule).unwrap();
        let mut traits = Map::new();
        traits.insert("a", numbers(0, n));
        traits.insert("b", numbers(n, n));
        let (value, codes) = value_and_codes(&p, traits);
        assert!(!value);
        assert_eq!(codes.contains(&"step-budget"), over, "{n}: {codes:?}");
    }
}

/// The same for a GrowthBook `$regex`, also under `$not` (which would otherwise turn the regex's false into true).
#[test]
fn step_budget_makes_a_growthbook_condition_false() {
    use crate::core::json::{parse, Map, Value};
    let mut traits = Map::new();
    traits.insert("x", Value::String("a".repeat(60_000)));
    for cond in [
        r#"{"x": {"$regex": "a*a*a*b"}}"#,
        r#"{"x": {"$not": {"$regex": "a*a*a*b"}}}"#,
    ] {
        let p = compile_condition(&parse(cond).unwrap()).unwrap();
        let (value, codes) = value_and_codes(&p, traits.clone());
        assert!(!value, "{cond}");
        assert_eq!(codes, vec!["step-budget"], "{cond}");
    }
}

#[test]
fn run_time_diagnostics_point_at_the_comparison() {
    use crate::core::json::parse;
    let src = r#"traits.plan == "pro" && traits.age > 30"#;
    let p = compile(src).unwrap();
    let snap = Snapshot::from_value(&parse(r#"{"traits":{"plan":"pro","age":"old"}}"#).unwrap());
    let r = evaluate(&p, &snap, 0);
    assert!(!r.value);
    assert_eq!(
        &src[r.diagnostics[0].span.start..r.diagnostics[0].span.end],
        "traits.age > 30"
    );
}

mod behaviour {
    use super::super::*;
    use crate::core::json::{parse, Map, Value};

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;

    fn track(name: &str, props: &str) -> OwnedEvent {
        OwnedEvent::from_value(
            &parse(&format!(
                r#"{{"type":"track","event":"{name}","properties":{props}}}"#
            ))
            .unwrap(),
        )
        .unwrap()
    }

    fn bound(src: &str, store: &mut Store) -> Program {
        let mut p = compile(src).unwrap();
        store.bind(&mut p).unwrap();
        p
    }

    fn eval(p: &Program, store: &Store, now: i64) -> bool {
        let snap = Snapshot::default();
        evaluate(
            p,
            &WithAggregates {
                input: &snap,
                store,
            },
            now,
        )
        .value
    }

    #[test]
    fn rules_share_aggregates_in_one_store() {
        let mut store = Store::new();
        let a = bound(r#"count("A", within: 7d) >= 2"#, &mut store);
        let b = bound(
            r#"count("A", within: 168h) < 5 && count("B") == 0"#,
            &mut store,
        );
        assert_eq!(store.specs().len(), 2);
        assert_eq!(a.slot(0), b.slot(0));
        let e = track("A", "{}");
        assert_eq!(store.ingest(&e.as_event(), 0), vec![0]);
        assert!(store.ingest(&track("C", "{}").as_event(), 1).is_empty());
        store.ingest(&e.as_event(), 2);
        assert!(eval(&a, &store, 3) && eval(&b, &store, 3));
    }

    #[test]
    fn state_round_trips_through_json() {
        let src = r#"count("A", within: 7d) >= 2 && sum("A", "x") > 1 && last("A").x == 2 && sequence("A", "B", within: 1h) && sequence("A", not "C", within: 30m) && session_count() >= 1 && time_since(first("A")) > 1s"#;
        let mut store = Store::new();
        let p = bound(src, &mut store);
        let mut e = track("A", r#"{"x":1}"#);
        e.session_id = Some(7);
        store.ingest(&e.as_event(), D);
        store.ingest(&track("A", r#"{"x":2}"#).as_event(), D + 1);
        store.ingest(&track("B", "{}").as_event(), D + 2);
        assert!(eval(&p, &store, D + H));
        let saved = parse(&store.to_value().to_json()).unwrap();
        let mut fresh = Store::new();
        let p2 = bound(src, &mut fresh);
        let report = fresh.restore(&saved).unwrap();
        assert_eq!(
            report,
            Restored {
                restored: 7,
                discarded: 0
            }
        );
        assert_eq!(fresh.to_value(), store.to_value());
        assert!(eval(&p2, &fresh, D + H));
    }

    #[test]
    fn restore_discards_what_does_not_fit() {
        let mut store = Store::new();
        let _p = bound(r#"count("A", within: 7d) > 0"#, &mut store);
        assert_eq!(
            store.restore(&parse("[1]").unwrap()),
            Err(StateError::Foreign)
        );
        assert_eq!(
            store.restore(&parse(r#"{"v":99,"a":{}}"#).unwrap()),
            Err(StateError::Version)
        );
        let key = store.specs()[0].key.clone();
        let mut aggs = Map::new();
        aggs.insert(key.clone(), parse(r#"{"b":1000,"c":[1,1]}"#).unwrap()); // another bucket size
        aggs.insert("gone|rule", parse("{}").unwrap());
        let mut root = Map::new();
        root.insert("v", Value::Number(1.0));
        root.insert("a", Value::Object(aggs));
        let report = store.restore(&Value::Object(root)).unwrap();
        assert_eq!(
            report,
            Restored {
                restored: 0,
                discarded: 1
            }
        );
        let mut aggs = Map::new();
        aggs.insert(key, parse(r#"{"b":3600000,"c":[5,1,3,1]}"#).unwrap()); // not ascending: corrupt
        let mut root = Map::new();
        root.insert("v", Value::Number(1.0));
        root.insert("a", Value::Object(aggs));
        assert_eq!(store.restore(&Value::Object(root)).unwrap().discarded, 1);
    }

    /// A stored bucket index far outside time (edited or damaged storage) is held in range: the next change
    /// of the count is a time, not an overflow.
    #[test]
    fn a_stored_bucket_index_out_of_time_is_held_in_range() {
        for index in ["1e300", "-1e300", "9007199254740993", "-9007199254740993"] {
            let mut store = Store::new();
            let p = bound(r#"count("A", within: 7d) > 0"#, &mut store);
            let key = store.specs()[0].key.clone();
            let mut aggs = Map::new();
            aggs.insert(
                key,
                parse(&format!(r#"{{"b":3600000,"c":[{index},1]}}"#)).unwrap(),
            );
            let mut root = Map::new();
            root.insert("v", Value::Number(1.0));
            root.insert("a", Value::Object(aggs));
            assert_eq!(store.restore(&Value::Object(root)).unwrap().restored, 1);
            let _ = eval(&p, &store, D);
            if let Some(at) = store.next_change(0, D) {
                assert!(at.abs() <= limits::MAX_TIME_MS + 7 * D, "{index}: {at}");
            }
        }
    }

    #[test]
    fn state_stays_under_its_byte_budget() {
        let mut store = Store::new();
        let mut programs = Vec::new();
        for i in 0..40 {
            programs.push(bound(
                &format!(r#"count("E{i}", within: 400d) > 0"#),
                &mut store,
            ));
        }
        for day in 0..400 {
            for i in 0..40 {
                store.ingest(&track(&format!("E{i}"), "{}").as_event(), day * D);
            }
        }
        assert!(store.state_bytes() <= limits::MAX_STATE_BYTES);
        assert!(store.to_value().to_json().len() <= limits::MAX_STATE_BYTES);
        assert!(store.dropped_buckets > 0);
    }

    #[test]
    fn too_many_aggregates_is_an_error() {
        let mut store = Store::new();
        for i in 0..limits::MAX_AGGREGATES {
            let mut p = compile(&format!(r#"count("E{i}") > 0"#)).unwrap();
            store.bind(&mut p).unwrap();
        }
        let mut p = compile(r#"count("one more") > 0"#).unwrap();
        assert_eq!(store.bind(&mut p), Err(StoreError::TooManyAggregates));
    }

    #[test]
    fn ten_thousand_events_stay_small() {
        let mut store = Store::new();
        let _a = bound(
            r#"count("Page Viewed", where: path starts_with "/pricing", within: 7d) >= 3 && count("Order Completed") == 0"#,
            &mut store,
        );
        let _b = bound(
            r#"days_since(last("Order Completed")) > 30 && sum("Order Completed", "revenue", within: 30d) > 100"#,
            &mut store,
        );
        let _c = bound(
            r#"sequence("Checkout Started", not "Order Completed", within: 30m) && session_count(within: 30d) > 2"#,
            &mut store,
        );
        let page = OwnedEvent::from_value(
            &parse(r#"{"type":"page","properties":{"path":"/pricing"}}"#).unwrap(),
        )
        .unwrap();
        for i in 0..10_000i64 {
            let t = i * 7 * 60_000; // one every 7 minutes: ~48 days
            let mut e = if i % 50 == 0 {
                track("Order Completed", r#"{"revenue":30}"#)
            } else {
                page.clone()
            };
            e.session_id = Some(t / (2 * H));
            store.ingest(&e.as_event(), t);
        }
        let bytes = store.to_value().to_json().len();
        assert!(bytes < 8 * 1024, "{bytes} bytes");
    }
}

#[test]
fn explain_names_the_false_clause() {
    use crate::core::json::parse;
    let src = r#"traits.plan == "pro" && (traits.seats > 10 || traits.vip) && page.path starts_with "/pricing""#;
    let p = compile(src).unwrap();
    let snap = Snapshot::from_value(
        &parse(r#"{"traits":{"plan":"pro","seats":3},"page":{"path":"/pricing"}}"#).unwrap(),
    );
    let clauses: Vec<(&str, bool)> = explain(&p, &snap, 0)
        .iter()
        .map(|c| (&src[c.span.start..c.span.end], c.value))
        .collect();
    assert_eq!(
        clauses,
        vec![
            (r#"traits.plan == "pro""#, true),
            ("(traits.seats > 10 || traits.vip)", false),
            (r#"page.path starts_with "/pricing""#, true)
        ]
    );
    // The campaigns' audience check lists the false ones as written.
    assert_eq!(
        crate::core::rules::eval::false_clauses(&p, &snap, 0),
        vec!["(traits.seats > 10 || traits.vip)"]
    );
    let none = Snapshot::from_value(&parse("{}").unwrap());
    assert_eq!(
        crate::core::rules::eval::false_clauses(&p, &none, 0),
        vec![
            r#"traits.plan == "pro""#,
            "(traits.seats > 10 || traits.vip)",
            r#"page.path starts_with "/pricing""#
        ]
    );
}

#[test]
fn comparing_two_elapsed_times_sets_no_timer() {
    use crate::core::json::parse;
    let mut store = Store::new();
    let mut p = compile(r#"time_since(first("A")) > time_since(last("B"))"#).unwrap();
    store.bind(&mut p).unwrap();
    let mut q = compile(r#"time_since(last("B")) >= 1h"#).unwrap();
    store.bind(&mut q).unwrap();
    for (name, t) in [("A", 0), ("B", 5_000)] {
        let e =
            OwnedEvent::from_value(&parse(&format!(r#"{{"event":"{name}"}}"#)).unwrap()).unwrap();
        store.ingest(&e.as_event(), t);
    }
    let snap = Snapshot::default();
    let input = WithAggregates {
        input: &snap,
        store: &store,
    };
    assert!(evaluate(&p, &input, 10_000).value);
    assert_eq!(wakeup::next_wakeup(&p, &input, &store, 10_000), None);
    assert_eq!(
        wakeup::next_wakeup(&q, &input, &store, 10_000),
        Some(5_000 + 3_600_000)
    );
}

#[test]
fn every_limit_is_enforced() {
    use crate::core::json::parse;
    use limits::*;
    let code = |src: &str| compile(src).err().map(|e| e[0].code);
    // Source length.
    let long = format!("traits.x == \"{}\"", "a".repeat(MAX_SOURCE_BYTES));
    assert_eq!(code(&long), Some("too-long"));
    assert_eq!(
        code(&format!(
            "traits.x == \"{}\"",
            "a".repeat(MAX_SOURCE_BYTES - 20)
        )),
        None
    );
    // Nesting depth.
    let deep = |n: usize| "(".repeat(n) + "true" + &")".repeat(n);
    assert_eq!(code(&deep(MAX_DEPTH + 1)), Some("too-deep"));
    assert_eq!(code(&deep(MAX_DEPTH / 2)), None);
    // A long `&&` chain is flat, not deep; a long path is deep.
    let chain = vec!["true"; 600].join("&&");
    let p = compile(&chain).unwrap();
    assert!(evaluate(&p, &Snapshot::default(), 0).value);
    let path = format!("traits{} == 1", ".a".repeat(MAX_DEPTH + 1));
    assert_eq!(code(&path), Some("too-deep"));
    assert_eq!(
        code(&format!("traits{} == 1", ".a".repeat(MAX_DEPTH / 2))),
        None
    );
    // List items.
    let list = |n: usize| format!("traits.x in [{}]", vec!["1"; n].join(","));
    assert_eq!(code(&list(MAX_LIST_ITEMS + 1)), Some("too-long"));
    assert_eq!(code(&list(MAX_LIST_ITEMS)), None);
    // Sequence steps.
    let seq = |n: usize| {
        let steps: Vec<String> = (0..n).map(|i| format!("\"E{i}\"")).collect();
        format!("sequence({}, within: 1h)", steps.join(", "))
    };
    assert_eq!(code(&seq(MAX_SEQUENCE_STEPS + 1)), Some("arity"));
    assert_eq!(code(&seq(MAX_SEQUENCE_STEPS)), None);
    // Windows.
    let window = |d: i64| format!("count(\"A\", within: {d}d) > 0");
    assert_eq!(
        code(&window(MAX_WINDOW_MS / 86_400_000 + 1)),
        Some("bad-duration")
    );
    assert_eq!(code(&window(MAX_WINDOW_MS / 86_400_000)), None);
    // Regex size.
    assert_eq!(
        code(&format!(
            "traits.x matches \"{}\"",
            "a".repeat(MAX_REGEX_BYTES + 1)
        )),
        Some("bad-regex")
    );
    assert_eq!(
        code(&format!(
            "traits.x matches \"a{{{}}}\"",
            MAX_REGEX_REPEAT + 1
        )),
        Some("bad-regex")
    );
    // Stored strings are cut.
    let mut store = Store::new();
    let mut p = compile(r#"last("A").s exists"#).unwrap();
    store.bind(&mut p).unwrap();
    let e = OwnedEvent::from_value(
        &parse(&format!(
            r#"{{"event":"A","properties":{{"s":"{}"}}}}"#,
            "é".repeat(MAX_STORED_STRING_BYTES)
        ))
        .unwrap(),
    )
    .unwrap();
    store.ingest(&e.as_event(), 0);
    match store.value(0, 0) {
        Fact::Value(v) => assert_eq!(v.as_str().map(str::len), Some(MAX_STORED_STRING_BYTES)),
        other => panic!("{other:?}"),
    }
}
