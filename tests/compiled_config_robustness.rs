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

#[path = "support/damage.rs"]
mod damage;
use damage::{damage, damaged};

fn demo_compiled() -> Value {
    let demo = json::parse(include_str!("../www/demo-config.json")).unwrap();
    json::parse(&compiled::compile(&demo).unwrap().to_json()).unwrap()
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
    a.set_facts(
        traits,
        "anon-1",
        Some((
            json::parse(r#"{"path":"/pricing"}"#).unwrap(),
            json::parse(r#"{"first":"email","last":"direct"}"#).unwrap(),
        )),
        now,
    );
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
        match a.next_wakeup(0) {
            Some(at) if at > now && at < now + 400 * 86_400_000 => {
                now = at;
                a.advance(now, 0);
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
