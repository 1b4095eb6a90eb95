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

#[test]
fn step_budget_makes_the_rule_false() {
    use crate::core::json::{Map, Value};
    let p = compile(r#"traits.text matches "^(a|aa)*(b|c)$""#).unwrap();
    let mut traits = Map::new();
    traits.insert("text", Value::String("a".repeat(20_000)));
    let snap = Snapshot {
        traits,
        ..Snapshot::default()
    };
    let r = evaluate(&p, &snap, 0);
    assert!(!r.value);
    assert_eq!(
        r.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec!["step-budget"]
    );
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
