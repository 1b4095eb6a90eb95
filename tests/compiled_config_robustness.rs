//! A compiled config comes from the network (`GET /v1/config`, or a cached copy in storage), so the SDK must
//! never panic on one that is damaged, truncated by a proxy, or written by another version: it either refuses it
//! (and keeps the last good one) or runs it. These property tests take the demo store's compiled config, damage
//! it at random places (a value replaced by one of another kind or an out-of-range number, a member or item
//! removed, a subtree copied over another), and drive every entry point the SDK uses with the result: events,
//! page views, signals, the passage of time, `explain`, and the persisted state written and read back. Debug
//! builds check arithmetic overflow, so an overflowing index or duration fails here too.
#![cfg(all(not(target_arch = "wasm32"), feature = "segments"))]

use proptest::prelude::*;
use wayline::core::audience::{Audience, Kind};
use wayline::core::campaigns::{Outcome, Signal};
use wayline::core::compiled;
use wayline::core::json::{self, Map, Value};

fn demo_compiled() -> Value {
    let demo = json::parse(include_str!("../www/demo-config.json")).unwrap();
    json::parse(&compiled::compile(&demo).unwrap().to_json()).unwrap()
}

#[derive(Debug, Clone)]
enum Damage {
    Replace(Value),
    Remove,
    /// The subtree at another place (by pre-order index) copied over this one.
    CopyFrom(usize),
    /// A number or a string replaced by another of its kind (so the config still reads, with odd values:
    /// indices out of range, huge or negative durations, unknown names); other values are left alone.
    Tweak(Value),
}

fn odd_number() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        -1.0,
        -0.5,
        0.0,
        0.5,
        1.0,
        2.0,
        3.0,
        7.0,
        64.0,
        255.0,
        65536.0,
        1e9,
        4294967296.0,
        9007199254740993.0,
        1e300,
        -1e300,
    ])
    .prop_map(Value::Number)
}

fn odd_string() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        "",
        "x",
        "0",
        "-1",
        "1e999",
        "$in",
        "count",
        "Page Viewed",
        "/pricing",
        "30m",
        "#fff",
        "\u{0}",
        "é",
        "😀",
    ])
    .prop_map(|s| Value::String(s.to_string()))
}

fn odd_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        odd_number(),
        odd_string(),
        Just(Value::String("a".repeat(300))),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|members| {
                let mut m = Map::new();
                for (k, v) in members {
                    m.insert(k, v);
                }
                Value::Object(m)
            }),
        ]
    })
}

fn damage() -> impl Strategy<Value = (usize, Damage)> {
    let what = prop_oneof![
        3 => odd_value().prop_map(Damage::Replace),
        2 => Just(Damage::Remove),
        2 => any::<usize>().prop_map(Damage::CopyFrom),
        6 => prop_oneof![odd_number(), odd_string()].prop_map(Damage::Tweak),
    ];
    (any::<usize>(), what)
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(m) => m.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// The node at pre-order index `*at` (counting down), cloned.
fn nth(v: &Value, at: &mut usize) -> Option<Value> {
    if *at == 0 {
        return Some(v.clone());
    }
    *at -= 1;
    match v {
        Value::Array(items) => items.iter().find_map(|c| nth(c, at)),
        Value::Object(m) => m.iter().find_map(|(_, c)| nth(c, at)),
        _ => None,
    }
}

/// Applies `damage` to the node at pre-order index `*at` (never the root itself for a removal).
fn apply(v: &mut Value, at: &mut usize, damage: &Damage, source: &Option<Value>) -> bool {
    if *at == 0 {
        match damage {
            Damage::Replace(new) => *v = new.clone(),
            Damage::CopyFrom(_) => {
                if let Some(s) = source {
                    *v = s.clone();
                }
            }
            Damage::Remove => return false,
            Damage::Tweak(new) => {
                if std::mem::discriminant(v) == std::mem::discriminant(new) {
                    *v = new.clone();
                }
            }
        }
        return true;
    }
    *at -= 1;
    match v {
        Value::Array(items) => {
            for i in 0..items.len() {
                if *at == 0 && matches!(damage, Damage::Remove) {
                    items.remove(i);
                    return true;
                }
                if apply(&mut items[i], at, damage, source) {
                    return true;
                }
            }
            false
        }
        Value::Object(m) => {
            let keys: Vec<String> = m.iter().map(|(k, _)| k.to_string()).collect();
            for k in keys {
                if *at == 0 && matches!(damage, Damage::Remove) {
                    let mut kept = Map::new();
                    for (key, value) in m.iter() {
                        if key != k.as_str() {
                            kept.insert(key.to_string(), value.clone());
                        }
                    }
                    *m = kept;
                    return true;
                }
                let Some(child) = m.get_mut(&k) else {
                    continue;
                };
                if apply(child, at, damage, source) {
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

fn damaged(mut config: Value, damages: &[(usize, Damage)]) -> Value {
    for (at, d) in damages {
        let n = count(&config);
        let source = match d {
            Damage::CopyFrom(from) => nth(&config, &mut (from % n)),
            _ => None,
        };
        apply(&mut config, &mut (at % n), d, &source);
    }
    config
}

fn page(path: &str) -> Map {
    let mut m = Map::new();
    m.insert("url", Value::String(format!("https://shop.example{path}")));
    m.insert("path", Value::String(path.to_string()));
    m
}

/// Everything the SDK does with an audience, in the order a visit does it; returns the state it persisted.
fn drive(a: &mut Audience, config: &Value) -> String {
    let mut order = Map::new();
    order.insert("revenue", Value::Number(42.0));
    order.insert("currency", Value::String("EUR".into()));
    let mut traits = Map::new();
    traits.insert("plan", Value::String("pro".into()));
    let mut now = 1_700_000_000_000;
    a.set_anonymous_id("anon-1", now);
    a.set_traits(traits, now);
    a.set_channel(
        json::parse(r#"{"first":"email","last":"direct"}"#).unwrap(),
        now,
    );
    a.set_context(json::parse(r#"{"path":"/pricing"}"#).unwrap(), now);
    let steps: [(Kind, &str, Map); 7] = [
        (Kind::Page, "Page Viewed", page("/")),
        (Kind::Page, "Page Viewed", page("/pricing")),
        (Kind::Track, "Product Added", Map::new()),
        (Kind::Track, "Checkout Started", Map::new()),
        (Kind::Track, "Order Completed", order.clone()),
        (Kind::Track, "Order Completed", order),
        (Kind::Identify, "Identify", Map::new()),
    ];
    for (kind, name, props) in &steps {
        now += 90_000;
        a.ingest(*kind, name, props, Some(1), now);
        for signal in [
            Signal::ExitIntent,
            Signal::Idle { ms: 60_000 },
            Signal::Scroll { percent: 80.0 },
            Signal::Engaged { total_ms: 120_000 },
        ] {
            a.signal(&signal, now);
        }
        for d in a.take_decisions() {
            let _ = format!("{d:?}");
        }
    }
    // Time passes: at most a bounded number of wake-ups (a config must not make the SDK spin either).
    for _ in 0..20 {
        match a.next_wakeup() {
            Some(at) if at > now && at < now + 400 * 86_400_000 => {
                now = at;
                a.advance(now);
            }
            _ => break,
        }
    }
    let ids: Vec<String> = config
        .get("campaigns")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("id").or_else(|| c.as_array()?.first()))
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    for id in ids.iter().map(String::as_str).chain(["nps-q4", "nobody"]) {
        let _ = a.explain(id, now);
        let _ = a.campaign_action(id);
        for outcome in [Outcome::Shown, Outcome::Answered, Outcome::Dismissed] {
            a.signal(
                &Signal::Outcome {
                    campaign: id,
                    outcome,
                },
                now,
            );
        }
    }
    let _ = a.segments();
    let _ = a.stage("lifecycle");
    let _ = a.take_state_write();
    a.state_text()
}

#[test]
fn the_undamaged_demo_config_runs() {
    let config = demo_compiled();
    let mut a = Audience::from_compiled(&config).unwrap();
    let state = drive(&mut a, &config);
    let mut b = Audience::from_compiled(&config).unwrap();
    assert!(b.restore(&state), "{state}");
    assert!(!a.segments().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Refused or run, never a panic; what it persisted reads back into an audience of the same config.
    #[test]
    fn a_damaged_compiled_config_is_refused_or_runs(damages in prop::collection::vec(damage(), 1..4)) {
        let config = damaged(demo_compiled(), &damages);
        if let Ok(mut a) = Audience::from_compiled(&config) {
            let state = drive(&mut a, &config);
            let mut again = Audience::from_compiled(&config).unwrap();
            again.restore(&state);
            drive(&mut again, &config);
        }
    }

    /// A stored state that is damaged (another tab's, an old version's, edited by hand) is refused or read,
    /// never a panic, and the audience keeps working after either.
    #[test]
    fn a_damaged_stored_state_is_refused_or_read(damages in prop::collection::vec(damage(), 1..4)) {
        let config = demo_compiled();
        let mut a = Audience::from_compiled(&config).unwrap();
        let state = json::parse(&drive(&mut a, &config)).unwrap();
        let text = damaged(state, &damages).to_json();
        let mut b = Audience::from_compiled(&config).unwrap();
        b.restore(&text);
        drive(&mut b, &config);
    }
}
