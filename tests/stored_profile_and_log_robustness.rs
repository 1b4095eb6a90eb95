//! What the SDK reads back from `localStorage` — the visitor's profile and the event log — may have been written
//! by another version, edited by hand, cut short by a full disk or damaged by the page. These property tests
//! damage a real profile and a real log at random and start a tracker from them: it must never panic, and
//! whatever it then sends is a well-formed Segment batch of at most the events it was given, each with a
//! `messageId` (the collector checks the rest of each event, and refuses only the bad ones). From an undamaged or
//! a repeated log line no message is sent twice (the collector dedupes by `messageId` in any case, which is what
//! covers damage that splices one line into another).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use wayline::core::json::{self, Value};
use wayline::core::message::{Environment, Page};
use wayline::core::queue::SendOutcome;
use wayline::core::tracker::{Tracker, TrackerOptions};

#[path = "support/damage.rs"]
mod damage;
use damage::{damage, damaged};

const START: i64 = 1_700_000_000_000;

fn page() -> Page {
    Page {
        url: "https://shop.example/pricing?utm_source=news&utm_medium=email".into(),
        title: "Pricing".into(),
        referrer: "https://www.google.com/".into(),
    }
}

/// `seed` stands for the page's random bytes: a restarted page has other ones (the same seed would give the same
/// message ids again).
fn tracker(profile: Option<&str>, seed: u8) -> Tracker {
    Tracker::new(
        TrackerOptions::new("wk_test"),
        profile,
        Environment::default(),
        page(),
        [seed; 32],
    )
}

/// A profile and the stored log parts of a visit: page views, events with properties, an identify.
fn stored_visit() -> (String, Vec<String>) {
    let mut t = tracker(None, 1);
    t.page_view(page(), None, None, START);
    t.identify(
        Some("user-42"),
        Some(r#"{"plan":"pro","seats":5}"#),
        START + 1,
    );
    for i in 0..40 {
        t.track(
            if i % 3 == 0 {
                "Order Completed"
            } else {
                "Product Added"
            },
            Some(r#"{"revenue":42,"currency":"EUR","items":[{"sku":"a","qty":1}],"note":"é😀"}"#),
            START + 2 + i,
        );
    }
    let profile = t
        .take_profile_write()
        .expect("a new visitor's profile is written");
    let mut parts = Vec::new();
    while let Some((_, text)) = t.queue_mut().next_dirty_part() {
        parts.extend(text);
    }
    assert!(!parts.is_empty());
    (profile, parts)
}

/// Byte-level damage to the log's text: a cut, a removed or repeated range, a changed byte. The result is cut
/// back to a character boundary, as storage holds strings.
#[derive(Debug, Clone)]
enum TextDamage {
    Truncate(usize),
    Remove(usize, usize),
    Repeat(usize, usize),
    Replace(usize, u8),
}

fn text_damage() -> impl Strategy<Value = TextDamage> {
    prop_oneof![
        any::<usize>().prop_map(TextDamage::Truncate),
        (any::<usize>(), 1..200usize).prop_map(|(a, n)| TextDamage::Remove(a, n)),
        (any::<usize>(), 1..400usize).prop_map(|(a, n)| TextDamage::Repeat(a, n)),
        (
            any::<usize>(),
            prop::sample::select(b" \n{}[]\",:0123456789-ecx\\".to_vec())
        )
            .prop_map(|(a, b)| TextDamage::Replace(a, b)),
    ]
}

fn damage_text(text: &str, damages: &[TextDamage]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for d in damages {
        let n = bytes.len().max(1);
        match *d {
            TextDamage::Truncate(at) => bytes.truncate(at % n),
            TextDamage::Remove(at, len) => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            TextDamage::Repeat(at, len) => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                let copy = bytes[at.min(end)..end].to_vec();
                bytes.splice(end..end, copy);
            }
            TextDamage::Replace(at, b) => {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = b;
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Starts from the stored profile and log, keeps tracking, and sends everything; checks each batch.
fn restart_and_send(
    profile: Option<&str>,
    parts: &[String],
    once: bool,
) -> Result<(), TestCaseError> {
    let mut t = tracker(profile, 2);
    let mut given = 0;
    for part in parts {
        t.queue_mut().restore(part);
    }
    given += t.queue().len();
    t.page_view(page(), Some("After Restart"), None, START + 10_000);
    t.track("After Restart", Some(r#"{"ok":true}"#), START + 10_001);
    given += 2;
    let _ = t.take_warnings();
    let _ = t.take_profile_write();
    let mut sent = std::collections::HashSet::new();
    let mut now = START + 20_000;
    for _ in 0..200 {
        now += 60_000;
        let Some(batch) = t.take_due_batch(now) else {
            if t.queue().is_empty() {
                break;
            }
            continue;
        };
        let body = json::parse(&batch.body).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let items = body
            .get("batch")
            .and_then(Value::as_array)
            .ok_or_else(|| TestCaseError::fail("no batch array"))?;
        prop_assert!(body.get("sentAt").and_then(Value::as_str).is_some());
        prop_assert_eq!(
            body.get("writeKey").and_then(Value::as_str),
            Some("wk_test")
        );
        for item in items {
            let id = item
                .get("messageId")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    TestCaseError::fail(format!("an item without a messageId: {}", item.to_json()))
                })?;
            prop_assert!(sent.insert(id.to_string()) || !once, "{} sent twice", id);
        }
        t.queue_mut().ack_in_flight(SendOutcome::Accepted, now, 0.5);
    }
    prop_assert!(
        t.queue().is_empty(),
        "{} events never sent",
        t.queue().len()
    );
    prop_assert!(
        sent.len() <= given,
        "{} sent of {} given",
        sent.len(),
        given
    );
    prop_assert!(
        sent.len() >= 2,
        "the events tracked after the restart were sent"
    );
    let _ = t.take_exit_batch(now, 60 * 1024);
    Ok(())
}

#[test]
fn an_undamaged_visit_restarts_whole() {
    let (profile, parts) = stored_visit();
    let t = tracker(Some(&profile), 2);
    assert_eq!(t.profile().user_id.as_deref(), Some("user-42"));
    restart_and_send(Some(&profile), &parts, true).unwrap();
}

#[test]
fn a_repeated_log_line_is_sent_once() {
    let (profile, parts) = stored_visit();
    let part = &parts[0];
    let lines: Vec<&str> = part.lines().collect();
    let event_line = lines.iter().position(|l| l.starts_with("e ")).unwrap();
    let mut repeated: Vec<&str> = lines.clone();
    repeated.insert(event_line + 1, lines[event_line]);
    repeated.push(lines[event_line]);
    let mut copy = parts.clone();
    copy[0] = repeated.join("\n");
    restart_and_send(Some(&profile), &copy, true).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_damaged_profile_is_read_or_replaced(damages in prop::collection::vec(damage(), 1..4)) {
        let (profile, parts) = stored_visit();
        let profile = damaged(json::parse(&profile).unwrap(), &damages).to_json();
        restart_and_send(Some(&profile), &parts, true)?;
    }

    #[test]
    fn a_damaged_profile_text_is_read_or_replaced(damages in prop::collection::vec(text_damage(), 1..4)) {
        let (profile, parts) = stored_visit();
        restart_and_send(Some(&damage_text(&profile, &damages)), &parts, true)?;
    }

    #[test]
    fn a_damaged_log_sends_what_it_can_read_once(damages in prop::collection::vec(text_damage(), 1..6)) {
        let (profile, parts) = stored_visit();
        let parts: Vec<String> = parts.iter().map(|p| damage_text(p, &damages)).collect();
        restart_and_send(Some(&profile), &parts, false)?;
    }
}
