//! `wayline replay` for campaigns: feeds a file of events (one Segment-shaped JSON message per line, each with a
//! `timestamp`) through the config's segments, journeys and campaigns on a virtual clock, and lists every
//! campaign decision with its reasons.
//!
//! Each event, in order: delays and time-based segment changes due before it are played first; the session id
//! (`context.sessionId`) starts a session when it changes; a page view sets the URL (`context.page.url`, or
//! `properties.url`); the event goes to the segments engine, whose changes become signals; then the event itself
//! is a signal, and an outcome event (`Campaign Dismissed` with a `campaign` property, ...) is applied as that
//! outcome. The device is `context.device.type` when it is `mobile`, `tablet` or `desktop`.
//!
//! One engine plays the whole file: page loads are not modelled, since a page view does not say whether it was a
//! full load (which closes an open prompt, [`Engine::restore`]) or an in-app navigation (which does not). A prompt
//! stays open until its outcome event, a new session or [`super::limits::MAX_OPEN_MS`].

use super::engine::Engine;
use super::events::outcome_of;
use super::model::Device;
use super::signal::Signal;
use crate::core::json::{parse, Map, Value};
use crate::core::rules::{OwnedEvent, Snapshot};
use crate::core::segments::config::engine_from_config;
use crate::core::segments::Change;
use crate::core::session::DEFAULT_IDLE_TIMEOUT;
use crate::core::time::write_iso8601;

/// The timeline of decisions, one per line: `2026-01-08T00:00:05.000Z show nps`,
/// `... skipped promo: cooling down after a dismissal, until ...`. On a bad config, every error with its location.
pub fn replay(
    config_text: &str,
    events_jsonl: &str,
    until_ms: Option<i64>,
    file: &str,
) -> Result<String, String> {
    let config = parse(config_text).map_err(|e| format!("{file}: not valid JSON: {e}\n"))?;
    let mut segments = engine_from_config(&config)
        .map_err(|errs| errs.iter().map(|e| e.render(file)).collect::<String>())?;
    let mut campaigns = Engine::from_config(&config).map_err(|errs| {
        errs.iter()
            .map(|e| format!("{file}:{}\n", e.render()))
            .collect::<String>()
    })?;
    let journeys: Vec<String> = super::config::Known::from_config(&config)
        .journeys
        .into_iter()
        .map(|(j, _)| j)
        .collect();
    let mut facts = Snapshot::default();
    let mut out = String::new();
    let mut now = i64::MIN;
    let mut session: Option<i64> = None;
    for (i, line) in events_jsonl.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v = parse(line).map_err(|e| format!("events line {}: not valid JSON: {e}\n", i + 1))?;
        let event = OwnedEvent::from_value(&v)
            .ok_or_else(|| format!("events line {}: not an object\n", i + 1))?;
        let at = event
            .timestamp_ms
            .ok_or_else(|| format!("events line {}: no timestamp\n", i + 1))?;
        // The session ends after the SDK's default timeout with no event (the last one was at `now`).
        let session_end = session.map(|_| now.saturating_add(DEFAULT_IDLE_TIMEOUT));
        now = now.max(at);
        play_until(
            &mut segments,
            &mut campaigns,
            &mut facts,
            &journeys,
            (now, session_end),
            &mut out,
        );

        if let Some(id) = v.get("anonymousId").and_then(Value::as_str) {
            if facts.anonymous_id != id {
                facts.anonymous_id = id.to_string();
                let changes = segments.set_anonymous_id(id, now);
                signal_changes(
                    &changes,
                    &mut campaigns,
                    &mut facts,
                    &segments,
                    &journeys,
                    now,
                    &mut out,
                );
            }
        }
        if let Some(d) = event
            .context
            .get("device")
            .and_then(|d| d.get("type"))
            .and_then(Value::as_str)
        {
            campaigns.set_device(Device::parse(d));
        }
        if event.kind == "identify" {
            facts.traits.merge(&event.properties);
        }
        if !matches!(event.context, Value::Null) {
            facts.context = event.context.clone();
        }
        if let Some(s) = event.session_id {
            if session != Some(s) {
                session = Some(s);
                refresh(&mut facts, &segments, &journeys);
                let d = campaigns.handle(&Signal::SessionStart { id: s }, &facts, now);
                write(&d, now, &mut out);
            }
        }
        if event.kind == "page" {
            let url = event
                .context
                .get("page")
                .and_then(|p| p.get("url"))
                .or_else(|| event.properties.get("url"))
                .and_then(Value::as_str);
            if let Some(url) = url {
                let d = campaigns.handle(&Signal::Page { url }, &facts, now);
                write(&d, now, &mut out);
            }
        }
        let changes = segments.ingest(&event.as_event(), now);
        signal_changes(
            &changes,
            &mut campaigns,
            &mut facts,
            &segments,
            &journeys,
            now,
            &mut out,
        );
        refresh(&mut facts, &segments, &journeys);
        let props: &Map = &event.properties;
        let d = campaigns.handle(
            &Signal::Event {
                name: &event.name,
                properties: props,
            },
            &facts,
            now,
        );
        write(&d, now, &mut out);
        if let Some((campaign, outcome)) = outcome_of(&event.name, props) {
            campaigns.handle(&Signal::Outcome { campaign, outcome }, &facts, now);
        }
    }
    if let Some(until) = until_ms {
        let session_end = session.map(|_| now.saturating_add(DEFAULT_IDLE_TIMEOUT));
        play_until(
            &mut segments,
            &mut campaigns,
            &mut facts,
            &journeys,
            (until, session_end),
            &mut out,
        );
    }
    Ok(out)
}

/// Plays every segment wakeup and campaign delay due at or before `until`, in time order; delays that would end
/// after `session_end`, the session's end by inactivity, are cancelled as the SDK cancels them.
fn play_until(
    segments: &mut crate::core::segments::Engine,
    campaigns: &mut Engine,
    facts: &mut Snapshot,
    journeys: &[String],
    (until, session_end): (i64, Option<i64>),
    out: &mut String,
) {
    // Each round handles the earliest wakeup; a round always consumes one, so this ends (bounded anyway).
    for _ in 0..10_000 {
        let next = match (segments.next_wakeup(), campaigns.next_wakeup()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return,
            },
        };
        if next > until {
            return;
        }
        let changes = segments.advance(next);
        signal_changes(&changes, campaigns, facts, segments, journeys, next, out);
        refresh(facts, segments, journeys);
        let mut d = Vec::new();
        if let Some(end) = session_end.filter(|&end| end <= next) {
            campaigns.end_session(end, &mut d);
        }
        campaigns.advance_into(facts, next, &mut d);
        write(&d, next, out);
    }
}

fn refresh(facts: &mut Snapshot, segments: &crate::core::segments::Engine, journeys: &[String]) {
    facts.segments = segments
        .segments()
        .into_iter()
        .map(str::to_string)
        .collect();
    facts.stages = journeys
        .iter()
        .filter_map(|j| segments.stage(j).map(|s| (j.clone(), s.to_string())))
        .collect();
}

fn signal_changes(
    changes: &[Change],
    campaigns: &mut Engine,
    facts: &mut Snapshot,
    segments: &crate::core::segments::Engine,
    journeys: &[String],
    now: i64,
    out: &mut String,
) {
    if changes.is_empty() {
        return;
    }
    refresh(facts, segments, journeys);
    for c in changes {
        let d = campaigns.handle(&Signal::from(c), facts, now);
        write(&d, now, out);
    }
}

fn write(decisions: &[super::Decision], at: i64, out: &mut String) {
    for d in decisions {
        write_iso8601(at, out);
        out.push(' ');
        out.push_str(&d.render());
        out.push('\n');
    }
}
