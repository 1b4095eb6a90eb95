//! What the SDK reads from the network and from storage, damaged: a compiled config (as `GET /v1/config` serves
//! it), a stored profile, a stored segment and campaign state, and a stored event log. None of them may panic, in
//! reading or in the visit that follows (events, time passing, outcomes, `explain`, the next writes): in the
//! browser a panic is a trap that ends the SDK.
//!
//! The first byte picks the input and how it is damaged. The documents start as a real visit leaves them (the demo
//! store's config, or the test site's campaigns config, compiled; a visit's profile, state and log); the rest of
//! the bytes either replace the text outright (so libFuzzer's own mutations reach the parsers) or edit the
//! document's tree, four bytes an edit (node, operation, argument), so that most results still parse and reach the
//! readers' checks of indexes, counts, times and types.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wayline::core::audience::Audience;
use wayline::core::campaigns::signal::Outcome;
use wayline::core::json::{self, Map, Value};
use wayline::core::message::{Environment, Page};
use wayline::core::time::{DAY, HOUR, MINUTE};
use wayline::core::tracker::{Tracker, TrackerOptions};

const CONFIGS: [&str; 2] = [
    include_str!("../../../../www/demo-config.json"),
    include_str!("../../../e2e/site/campaigns-config.json"),
];

/// A document of each kind as a visit leaves it.
struct Seeds {
    configs: Vec<Value>,
    profile: Value,
    state: Value,
    log: String,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let configs: Vec<Value> = CONFIGS
            .iter()
            .filter_map(|c| json::parse(c).ok())
            .filter_map(|c| wayline::core::compiled::compile(&c).ok())
            .collect();
        assert_eq!(configs.len(), CONFIGS.len(), "the seed configs compile");
        let mut t = tracker(None);
        if let Ok(a) = Audience::boxed_compiled(&configs[0]) {
            t.set_audience(a, None, 0);
        }
        visit(&mut t, 0);
        let profile = t.take_profile_write().and_then(|p| json::parse(&p).ok());
        let state = t.take_state_write().and_then(|s| json::parse(&s).ok());
        let seeds = Seeds {
            configs,
            profile: profile.unwrap_or(Value::Null),
            state: state.unwrap_or(Value::Null),
            log: t
                .queue_mut()
                .next_dirty_part()
                .and_then(|(_, text)| text)
                .unwrap_or_default(),
        };
        assert!(
            seeds.profile.as_object().is_some()
                && seeds.state.as_object().is_some()
                && !seeds.log.is_empty(),
            "the seed visit leaves a profile, a state and a log"
        );
        seeds
    })
}

fn page(path: &str) -> Page {
    Page {
        url: ["https://shop.test", path].concat(),
        title: "Shop".into(),
        referrer: "https://www.google.com/".into(),
    }
}

fn tracker(stored_profile: Option<&str>) -> Tracker {
    Tracker::new(
        TrackerOptions::new("wk"),
        stored_profile,
        Environment::default(),
        page("/"),
        [7; 32],
    )
}

/// A visit that reaches the demo's segments, journeys and campaigns: page views, products, a cart, orders, an
/// identify, outcomes for every campaign, time passing by minutes and days, and `explain` of each campaign.
fn visit(t: &mut Tracker, start: i64) {
    let mut now = start;
    t.page_view(page("/?utm_source=news&utm_medium=email"), None, None, now);
    for (i, path) in ["/pricing", "/product.html?sku=1", "/cart.html"]
        .iter()
        .enumerate()
    {
        now += MINUTE;
        t.page_view(page(path), None, Some(r#"{"sku":"1"}"#), now);
        t.track("Product Viewed", Some(r#"{"sku":"1","price":20}"#), now + 1);
        t.activity(now + 2);
        t.scrolled(40.0 + 20.0 * i as f64, now + 3);
    }
    t.track(
        "Product Added",
        Some(r#"{"sku":"1","price":20,"quantity":2}"#),
        now + 5,
    );
    t.identify(
        Some("user-1"),
        Some(r#"{"plan":"pro","email":"a@b.test"}"#),
        now + 6,
    );
    for order in 0..2 {
        now += DAY;
        t.track("Checkout Started", None, now);
        t.track(
            "Order Completed",
            Some(r#"{"revenue":42,"currency":"EUR"}"#),
            now + 1,
        );
        t.track("Newsletter Signed Up", None, now + 2);
        t.track("Referral Shared", Some(r#"{"channel":"copy"}"#), now + 3);
        t.advance(now + 10 * MINUTE * (order + 1));
    }
    let ids: Vec<String> = t
        .config()
        .and_then(|c| c.get("campaigns"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|c| c.get("id").or_else(|| c.as_array()?.first()))
                .filter_map(|id| id.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    for id in &ids {
        let _ = t.explain(id, now);
        for outcome in [
            Outcome::Shown,
            Outcome::Answered,
            Outcome::Dismissed,
            Outcome::Completed,
            Outcome::RewardClaimed,
        ] {
            let mut props = Map::new();
            props.insert("question", "q1".into());
            props.insert("answer", Value::Number(9.0));
            t.campaign_outcome(id, outcome, props, now + 1);
        }
    }
    t.advance(now + 8 * DAY);
    t.page_left(now + 8 * DAY + HOUR);
    let _ = t.take_decisions();
    let _ = t.take_changes();
    let _ = t.take_warnings();
    let _ = t.take_rule_diagnostics();
}

/// Edits `doc`: each four bytes pick a node (in document order), an operation and its argument.
fn edit(doc: &mut Value, bytes: &[u8]) {
    for op in bytes.chunks(4) {
        let at = |i: usize| op.get(i).copied().unwrap_or(0);
        let nodes = count(doc);
        let target = usize::from(u16::from_le_bytes([at(0), at(1)])) % nodes;
        let mut seen = 0;
        apply(doc, target, &mut seen, at(2), at(3));
    }
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count).sum(),
        Value::Object(m) => m.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

fn apply(v: &mut Value, target: usize, seen: &mut usize, kind: u8, arg: u8) -> bool {
    if *seen == target {
        change(v, kind, arg);
        return true;
    }
    *seen += 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|c| apply(c, target, seen, kind, arg)),
        Value::Object(m) => m
            .entries_mut()
            .iter_mut()
            .any(|(_, c)| apply(c, target, seen, kind, arg)),
        _ => false,
    }
}

const NUMBERS: [f64; 16] = [
    -1.0,
    0.5,
    -0.0,
    1e9,
    4_294_967_296.0,
    9_007_199_254_740_993.0,
    1e300,
    -1e300,
    65_535.0,
    65_536.0,
    2_147_483_648.0,
    -2_147_483_649.0,
    1e-300,
    255.0,
    256.0,
    f64::MAX,
];

const STRINGS: [&str; 8] = ["", "x", "a.b.c", "segments", "0", "-1", "\u{1F600}", "ÿ"];

fn change(v: &mut Value, kind: u8, arg: u8) {
    let i = usize::from(arg);
    match kind % 12 {
        0 => *v = Value::Number(f64::from(arg) - 8.0),
        1 => *v = Value::Number(NUMBERS[i % NUMBERS.len()]),
        2 => *v = Value::String(STRINGS[i % STRINGS.len()].to_string()),
        3 => *v = Value::String("x".repeat(i * 40)),
        4 => *v = Value::Null,
        5 => *v = Value::Bool(arg % 2 == 1),
        6 => match v {
            Value::Array(a) if !a.is_empty() => {
                a.remove(i % a.len());
            }
            Value::Object(m) if !m.is_empty() => {
                let key = m.iter().nth(i % m.len()).map(|(k, _)| k.to_string());
                if let Some(key) = key {
                    m.remove(&key);
                }
            }
            _ => *v = Value::Array(Vec::new()),
        },
        7 => match v {
            Value::Array(a) if !a.is_empty() => {
                let copy = a[i % a.len()].clone();
                for _ in 0..=(arg % 4) {
                    a.push(copy.clone());
                }
            }
            _ => *v = Value::Object(Map::new()),
        },
        8 => match v {
            Value::Array(a) if a.len() > 1 => {
                let n = a.len();
                a.swap(i % n, (i / n + 1) % n);
            }
            _ => *v = Value::Array(vec![std::mem::replace(v, Value::Null)]),
        },
        9 => *v = Value::Array(vec![Value::Number(f64::from(arg)); usize::from(arg % 8)]),
        10 => {
            if let Value::Number(n) = v {
                *n = if arg % 2 == 0 { *n + 1.0 } else { *n - 1.0 };
            } else {
                *v = Value::Number(f64::from(arg) * 1000.0);
            }
        }
        _ => {
            let mut m = Map::new();
            m.insert(STRINGS[i % STRINGS.len()], Value::Number(f64::from(arg)));
            *v = Value::Object(m);
        }
    }
}

/// The document as text: the bytes themselves (when `raw`), or the seed with the bytes' edits.
fn damaged(seed: &Value, bytes: &[u8], raw: bool) -> Option<String> {
    if raw {
        return std::str::from_utf8(bytes).ok().map(str::to_string);
    }
    let mut doc = seed.clone();
    edit(&mut doc, bytes);
    Some(doc.to_json())
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let s = seeds();
    let raw = first & 0x80 != 0;
    let start = 30 * DAY;
    match first & 0x7f {
        // A compiled config, then a visit with it, and the state it leaves read back.
        0..=31 => {
            let seed = &s.configs[usize::from(first) % s.configs.len()];
            let Some(text) = damaged(seed, rest, raw) else {
                return;
            };
            let Ok(config) = json::parse(&text) else {
                return;
            };
            let Ok(audience) = Audience::boxed_compiled(&config) else {
                return;
            };
            let mut t = tracker(None);
            t.set_audience(audience, None, start);
            visit(&mut t, start);
            if let (Some(state), Ok(again)) =
                (t.take_state_write(), Audience::boxed_compiled(&config))
            {
                let mut next = tracker(t.take_profile_write().as_deref());
                next.set_audience(again, Some(&state), start + 9 * DAY);
                visit(&mut next, start + 9 * DAY);
            }
        }
        // A stored profile: read at start, and taken in from another tab.
        32..=63 => {
            let Some(text) = damaged(&s.profile, rest, raw) else {
                return;
            };
            let mut t = tracker(Some(&text));
            if let Ok(a) = Audience::boxed_compiled(&s.configs[0]) {
                t.set_audience(a, None, start);
            }
            visit(&mut t, start);
            t.absorb_stored_profile(&text, None, start + 9 * DAY);
            visit(&mut t, start + 10 * DAY);
        }
        // A stored segment and campaign state: restored at start, and taken in from another tab.
        64..=95 => {
            let Some(text) = damaged(&s.state, rest, raw) else {
                return;
            };
            let mut t = tracker(None);
            if let Ok(a) = Audience::boxed_compiled(&s.configs[0]) {
                t.set_audience(a, Some(&text), start);
            }
            visit(&mut t, start);
            t.adopt_stored_state(&text, start + 9 * DAY);
            if let Some(profile) = t.take_profile_write() {
                t.absorb_stored_profile(&profile, Some(&text), start + 9 * DAY);
            }
            visit(&mut t, start + 10 * DAY);
        }
        // A stored event log (line-based text, so damaged as bytes): restored, and imported from another tab.
        _ => {
            let mut text = s.log.clone();
            if raw {
                text = String::from_utf8_lossy(rest).into_owned();
            } else {
                let mut bytes = text.into_bytes();
                for op in rest.chunks(3) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = usize::from(u16::from_le_bytes([op[0], *op.get(1).unwrap_or(&0)]));
                    let at = at % bytes.len();
                    match op.get(2) {
                        Some(&b) if b < 0x80 => bytes[at] = b,
                        Some(&b) => {
                            bytes.remove(at);
                            if b & 1 == 1 {
                                bytes.insert(at, b'\n');
                            }
                        }
                        None => bytes.truncate(at),
                    }
                }
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            let mut t = tracker(None);
            t.queue_mut().restore(&text);
            t.queue_mut().import(&text, 2, 0);
            t.track("After", None, start);
            while let Some(batch) = t.take_due_batch(start + 60 * MINUTE) {
                let _ = json::parse(&batch.body);
                let outcome = wayline::core::queue::SendOutcome::from_status(200, None);
                t.queue_mut()
                    .ack_in_flight(outcome, start + 61 * MINUTE, 0.5);
            }
            while t.queue_mut().next_dirty_part().is_some() {}
            let _ = t.queue_mut().take_foreign_acks();
        }
    }
});
