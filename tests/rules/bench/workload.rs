//! The workloads the rule-engine benchmarks share (criterion's `benches/rules.rs` and callgrind's
//! `examples/instructions.rs`): the demo store's config, a hundred rules of every kind, and an event stream of page
//! views and shop events five minutes apart.

use wayline::core::json::{parse, Value};
use wayline::core::rules::{OwnedEvent, Snapshot};

pub const DEMO_CONFIG: &str = include_str!("demo-config.json");
/// The demo store's whole config as the demo site uses it: its segments and journeys, and its campaigns.
#[allow(dead_code)]
pub const DEMO_STORE_CONFIG: &str = include_str!("../../../www/demo-config.json");

/// The 5-clause condition, in the rule language and as GrowthBook JSON, and the visitor it is evaluated for.
pub const FIVE_CLAUSES: &str = r#"traits.country in ["US", "CA"] && traits.plan == "pro" && traits.seats >= 10 && traits.email ends_with "@acme.io" && traits.app >= v"2.1.0""#;
pub const FIVE_CLAUSES_JSON: &str = r#"{"country": {"$in": ["US", "CA"]}, "plan": "pro", "seats": {"$gte": 10}, "email": {"$regex": "@acme\\.io$"}, "app": {"$vgte": "2.1.0"}}"#;

pub fn visitor() -> Snapshot {
    Snapshot::from_value(
        &parse(r#"{"traits": {"country": "CA", "plan": "pro", "seats": 12, "email": "a@acme.io", "app": "2.3.0"}}"#)
            .unwrap(),
    )
}

pub fn events(n: usize) -> Vec<(OwnedEvent, i64)> {
    let names = [
        "Page Viewed",
        "Product Viewed",
        "Added to Cart",
        "Checkout Started",
        "Order Completed",
    ];
    (0..n)
        .map(|i| {
            let name = names[i % 7 % names.len()];
            let json = if name == "Page Viewed" {
                format!(
                    r#"{{"type":"page","properties":{{"path":"/pricing/{}"}},"context":{{"sessionId":{}}}}}"#,
                    i % 3,
                    i / 40
                )
            } else {
                format!(
                    r#"{{"event":"{name}","properties":{{"revenue":{}}},"context":{{"sessionId":{}}}}}"#,
                    i % 90,
                    i / 40
                )
            };
            (OwnedEvent::from_value(&parse(&json).unwrap()).unwrap(), i as i64 * 5 * 60_000)
        })
        .collect()
}

pub fn hundred_rules() -> Value {
    let mut segs = Vec::new();
    for i in 0..100 {
        let rule = match i % 5 {
            0 => format!(
                r#"count("Page Viewed", within: {}d) >= {}"#,
                1 + i % 30,
                1 + i % 4
            ),
            1 => format!(
                r#"sum("Order Completed", "revenue", within: {}d) > {}"#,
                1 + i % 60,
                i
            ),
            2 => format!(r#"days_since(last("E{}")) > {}"#, i % 10, i % 30),
            3 => format!(r#"sequence("Product Viewed", "E{}", within: 1h)"#, i % 10),
            _ => format!(
                r#"count("E{}", where: revenue > {}) > 0 && traits.plan == "pro""#,
                i % 10,
                i
            ),
        };
        segs.push(format!("\"s{i}\": {}", Value::String(rule).to_json()));
    }
    parse(&format!("{{\"segments\": {{{}}}}}", segs.join(","))).unwrap()
}
