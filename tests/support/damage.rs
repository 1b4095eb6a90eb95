//! Random damage to a JSON document, for the robustness property tests: a value replaced by one of another kind
//! or by an odd one of its own kind, a member or item removed, a subtree copied over another.

#![allow(dead_code)] // Each test crate uses part of it.

use proptest::prelude::*;
use wayline::core::json::{Map, Value};

#[derive(Debug, Clone)]
pub enum Damage {
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

pub fn odd_value() -> impl Strategy<Value = Value> {
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

pub fn damage() -> impl Strategy<Value = (usize, Damage)> {
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

pub fn damaged(mut config: Value, damages: &[(usize, Damage)]) -> Value {
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
