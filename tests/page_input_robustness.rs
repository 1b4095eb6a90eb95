//! What the page hands the SDK — its URL, title and referrer, event names, properties and traits, user ids — is
//! whatever the site (or a visitor crafting a link) makes it. These property tests feed a tracker, with the demo
//! store's segments and campaigns loaded where the rule engine is built in, random URLs (percent signs, odd
//! schemes, ports, fragments, non-ASCII), random text and random JSON, consent changes and resets, at times that
//! jump back and forth (a clock set back, a laptop waking after months, a page's `Date` stubbed), and check that it
//! never panics and that every batch it sends is well-formed, with each message within the collector's 32 KB per
//! event.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use wayline::core::consent::Consent;
use wayline::core::json::{self, Map, Value};
use wayline::core::message::{Environment, Page};
use wayline::core::queue::SendOutcome;
use wayline::core::tracker::{Tracker, TrackerOptions};

#[path = "support/damage.rs"]
mod damage;

const START: i64 = 1_700_000_000_000;

fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?|ftp|javascript|data|)(:|://)[a-zA-Z0-9.%-]{0,12}(:[0-9]{0,7})?(/[a-zA-Z0-9%?#&=+;é😀._~-]{0,24}){0,4}",
        "https://shop\\.example/[a-z]{0,8}\\?(utm_(source|medium|campaign|term|content)=[a-zA-Z0-9%+&=]{0,16}&?){0,5}(gclid=[a-z0-9%]{0,8})?(#[a-z]{0,5})?",
        "\\PC{0,60}",
        Just(String::new()),
        Just(format!("https://shop.example/?q={}", "%".repeat(300))),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,40}",
        Just(String::new()),
        Just("x".repeat(300)),
        Just("é".repeat(200))
    ]
}

/// Properties as the page's object becomes JSON text, or (rarely) text that is not JSON at all.
fn properties() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => prop::collection::vec(("\\PC{0,12}", damage::odd_value()), 0..6).prop_map(|members| {
            let mut m = Map::new();
            for (k, v) in members {
                m.insert(k, v);
            }
            Some(Value::Object(m).to_json())
        }),
        1 => damage::odd_value().prop_map(|v| Some(v.to_json())),
        1 => "\\PC{0,30}".prop_map(Some),
        1 => Just(None),
    ]
}

#[derive(Debug, Clone)]
enum Call {
    Page(String, String, String, Option<String>),
    Track(String, Option<String>),
    Identify(Option<String>, Option<String>),
    Scroll(f64),
    Hidden,
    Reset,
    Consent(&'static str),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        (url(), text(), url(), properties()).prop_map(|(u, t, r, p)| Call::Page(u, t, r, p)),
        (text(), properties()).prop_map(|(n, p)| Call::Track(n, p)),
        (prop::option::of(text()), properties()).prop_map(|(id, t)| Call::Identify(id, t)),
        prop::sample::select(vec![-1.0, 0.0, 50.0, 100.0, 1e300, f64::NAN, f64::INFINITY])
            .prop_map(Call::Scroll),
        Just(Call::Hidden),
        Just(Call::Reset),
        prop::sample::select(vec!["granted", "pending", "denied"]).prop_map(Call::Consent),
    ]
}

fn tracker(page: Page) -> Tracker {
    #[allow(unused_mut)]
    let mut t = Tracker::new(
        TrackerOptions::new("wk_test"),
        None,
        Environment::default(),
        page,
        [3; 32],
    );
    #[cfg(feature = "segments")]
    {
        let demo = json::parse(include_str!("../www/demo-config.json")).unwrap();
        let compiled =
            json::parse(&wayline::core::compiled::compile(&demo).unwrap().to_json()).unwrap();
        let audience = wayline::core::audience::Audience::boxed_compiled(&compiled).unwrap();
        t.set_audience(audience, None, START);
    }
    t
}

fn apply(t: &mut Tracker, c: &Call, now: i64) {
    match c {
        Call::Page(url, title, referrer, props) => {
            let page = Page {
                url: url.clone(),
                title: title.clone(),
                referrer: referrer.clone(),
            };
            t.page_view(page, Some(title), props.as_deref(), now);
        }
        Call::Track(name, props) => {
            t.track(name, props.as_deref(), now);
        }
        Call::Identify(id, traits) => {
            t.identify(id.as_deref(), traits.as_deref(), now);
        }
        Call::Scroll(p) => t.scrolled(*p, now),
        Call::Hidden => t.page_hidden(now),
        Call::Reset => t.reset(now),
        Call::Consent(c) => {
            if let Some(c) = Consent::parse(c) {
                t.set_consent(c);
            }
        }
    }
}

/// How far the clock moves before a call: mostly seconds forward, sometimes back, sometimes far.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => 0..60_000i64,
        1 => prop::sample::select(vec![
            -1, -3_600_000, -400 * 86_400_000, 31 * 86_400_000, 10 * 365 * 86_400_000,
            1 << 52, -(1 << 52), i64::MAX / 4, i64::MIN / 4,
        ]),
    ]
}

fn run(landing: (String, String, String), calls: &[(i64, Call)]) -> Result<(), TestCaseError> {
    let (url, title, referrer) = landing;
    let mut t = tracker(Page {
        url,
        title,
        referrer,
    });
    let mut now = START;
    for (step, c) in calls {
        now = now.saturating_add(*step);
        apply(&mut t, c, now);
        let _ = t.take_warnings();
        let _ = t.take_profile_write();
        #[cfg(feature = "segments")]
        {
            let _ = t.segments();
            let _ = t.stage("lifecycle");
            let _ = t.explain("cart-exit", now);
            if t.next_wakeup().is_some_and(|at| at <= now) {
                t.advance(now);
            }
        }
    }
    // Whatever the visitor last chose, granting consent sends what is held (denied dropped it already).
    t.set_consent(Consent::Granted);
    let _ = t.take_exit_batch(now, 60 * 1024);
    #[cfg(feature = "segments")]
    t.advance(now);
    for _ in 0..100 {
        now = now.saturating_add(60_000);
        let Some(batch) = t.take_due_batch(now) else {
            if t.queue().is_empty() {
                break;
            }
            continue;
        };
        let body = json::parse(&batch.body)
            .map_err(|e| TestCaseError::fail(format!("{e:?}: {}", batch.body)))?;
        let items = body
            .get("batch")
            .and_then(Value::as_array)
            .ok_or_else(|| TestCaseError::fail("no batch"))?;
        for item in items {
            prop_assert!(item.get("messageId").and_then(Value::as_str).is_some());
            let size = item.to_json().len();
            prop_assert!(size <= 32 * 1024, "a message of {} bytes", size);
        }
        t.queue_mut().ack_in_flight(SendOutcome::Accepted, now, 0.5);
    }
    prop_assert!(t.queue().is_empty());
    Ok(())
}

/// A long visit of random calls: what is persisted stays within its documented bounds (profile 32 KiB, segment
/// and campaign state 48 KiB of aggregates plus the campaign history, the queue 10,000 events or 2 MiB).
fn long_visit(calls: &[(i64, Call)]) -> Result<(), TestCaseError> {
    let mut t = tracker(page());
    let mut now = START;
    for (i, (step, c)) in calls.iter().enumerate() {
        now = now.saturating_add((*step).clamp(0, 600_000));
        apply(&mut t, c, now);
        if i % 97 == 0 {
            if let Some(p) = t.take_profile_write() {
                prop_assert!(p.len() <= 32 * 1024, "a profile of {} bytes", p.len());
            }
            #[cfg(feature = "segments")]
            if let Some(s) = t.take_state_write() {
                prop_assert!(s.len() <= 64 * 1024, "a segment state of {} bytes", s.len());
            }
            prop_assert!(t.queue().len() <= 10_000);
            prop_assert!(t.queue().bytes() <= 2 << 20);
        }
    }
    Ok(())
}

fn page() -> Page {
    Page {
        url: "https://shop.example/".into(),
        title: "Shop".into(),
        referrer: String::new(),
    }
}

proptest! {
    // Few cases: each is a visit of 3,000 calls.
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn a_long_visit_stays_within_its_bounds(calls in prop::collection::vec((step(), call()), 3000)) {
        long_visit(&calls)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_page_input_is_tracked_or_refused(
        landing in (url(), text(), url()),
        calls in prop::collection::vec((step(), call()), 1..12),
    ) {
        run(landing, &calls)?;
    }
}
