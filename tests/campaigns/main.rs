//! Runs the data-driven campaign cases in `tests/campaigns/*.json` against a virtual clock.
//!
//! Each file holds `{"cases": [...]}`. A case has a `name`, a `config` (segments, journeys, campaigns,
//! campaignLimits), optional `facts` (a rule-engine snapshot: traits, segments, anonymousId, ...), an optional
//! `device`, and a `timeline` of steps, each at a time `at` (epoch ms) with one input and what to expect.
//! The step format is described in `docs/campaigns.md`, "Testing campaigns".
#![cfg(not(target_arch = "wasm32"))]

mod explain_agrees;
mod invariants;

use std::path::Path;

use wayline::core::campaigns::{Decision, Device, Engine, Outcome, Signal};
use wayline::core::json::{Map, Value};
use wayline::core::rules::Snapshot;

fn describe(d: &Decision) -> String {
    match d {
        Decision::Show { campaign } => format!("show {campaign}"),
        Decision::HeldOut { campaign } => format!("heldOut {campaign}"),
        Decision::Delayed { campaign, due } => format!("delayed {campaign} until {due}"),
        Decision::Cancelled { campaign, by } => format!("cancelled {campaign} by {by}"),
        Decision::Closed { campaign } => format!("closed {campaign}"),
        Decision::Skipped { campaign, reasons } => {
            let codes: Vec<&str> = reasons.iter().map(|r| r.code()).collect();
            format!("skipped {campaign}: {}", codes.join(", "))
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect()
}

fn build(config: &Value, device: Option<Device>) -> Result<Engine, String> {
    let mut e = Engine::from_config(config).map_err(|errs| {
        errs.iter()
            .map(|e| e.render())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    e.set_device(device);
    Ok(e)
}

fn run(case: &Value) -> Result<usize, String> {
    let config = case.get("config").cloned().unwrap_or(Value::Null);
    let device = case
        .get("device")
        .and_then(Value::as_str)
        .and_then(Device::parse);
    let mut engine = build(&config, device)?;
    let mut facts = Snapshot::from_value(case.get("facts").unwrap_or(&Value::Null));
    let empty = Map::new();
    let mut checks = 0;
    let mut url: Option<String> = None;
    // What the followed page last wrote to storage (`take_state_write`), and a page left into the back/forward
    // cache (`leave`), which `back` returns to.
    let mut stored: Option<String> = None;
    let mut left: Option<Engine> = None;
    for (i, step) in case
        .get("timeline")
        .and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let at = step
            .get("at")
            .and_then(Value::as_f64)
            .ok_or(format!("step {i}: no `at`"))? as i64;
        let here = |msg: String| format!("step {i} (at {at}): {msg}");
        if let Some(t) = step.get("traits").and_then(Value::as_object) {
            facts.traits = t.clone();
        }
        // The visitor's anonymous id changes (a tab taking in another tab's identity): no signal.
        if let Some(id) = step.get("anonymousId").and_then(Value::as_str) {
            facts.anonymous_id = id.to_string();
        }
        let str_of = |k: &str| step.get(k).and_then(Value::as_str);
        let decisions = if let Some(name) = str_of("event") {
            let props = step
                .get("properties")
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            Some(engine.handle(
                &Signal::Event {
                    name,
                    properties: props,
                },
                &facts,
                at,
            ))
        } else if let Some(u) = str_of("page") {
            url = Some(u.to_string());
            Some(engine.handle(&Signal::Page { url: u }, &facts, at))
        } else if let Some(s) = str_of("segmentEnter") {
            facts.segments.push(s.to_string());
            Some(engine.handle(&Signal::SegmentEnter(s), &facts, at))
        } else if let Some(s) = str_of("segmentExit") {
            facts.segments.retain(|x| x != s);
            Some(engine.handle(&Signal::SegmentExit(s), &facts, at))
        } else if let Some(st) = step.get("stage") {
            let journey = st.get("journey").and_then(Value::as_str).unwrap_or("");
            let to = st.get("to").and_then(Value::as_str);
            facts.stages.retain(|(j, _)| j != journey);
            if let Some(to) = to {
                facts.stages.push((journey.to_string(), to.to_string()));
            }
            Some(engine.handle(
                &Signal::Stage {
                    journey,
                    from: None,
                    to,
                },
                &facts,
                at,
            ))
        } else if step.get("exitIntent").is_some() {
            Some(engine.handle(&Signal::ExitIntent, &facts, at))
        } else if let Some(ms) = step.get("idle").and_then(Value::as_f64) {
            Some(engine.handle(&Signal::Idle { ms: ms as i64 }, &facts, at))
        } else if let Some(p) = step.get("scroll").and_then(Value::as_f64) {
            Some(engine.handle(&Signal::Scroll { percent: p }, &facts, at))
        } else if let Some(ms) = step.get("engaged").and_then(Value::as_f64) {
            Some(engine.handle(
                &Signal::Engaged {
                    total_ms: ms as i64,
                },
                &facts,
                at,
            ))
        } else if let Some(id) = step.get("session").and_then(Value::as_f64) {
            Some(engine.handle(&Signal::SessionStart { id: id as i64 }, &facts, at))
        } else if let Some(o) = str_of("outcome") {
            let outcome = Outcome::parse(o).ok_or_else(|| here(format!("unknown outcome {o}")))?;
            let campaign = str_of("campaign").unwrap_or("");
            Some(engine.handle(&Signal::Outcome { campaign, outcome }, &facts, at))
        } else if step.get("advance").is_some() {
            Some(engine.advance(&facts, at))
        } else if let Some(hidden) = step.get("hidden").and_then(Value::as_bool) {
            let mut out = Vec::new();
            engine.set_hidden(hidden, &facts, at, &mut out);
            Some(out)
        } else if step.get("sessionEnded").is_some() {
            // The timer fired after the session ended by inactivity, as the SDK tells the engine.
            let mut out = Vec::new();
            engine.end_session(at, &mut out);
            engine.advance_into(&facts, at, &mut out);
            Some(out)
        } else if step.get("newTab").is_some() {
            // Another tab opens: a new engine restored from what this tab stored (while not being left); the
            // timeline follows the new tab.
            let text = engine.take_state_write().or(stored.clone());
            engine = build(&config, device)?;
            engine.set_url(url.clone());
            if let Some(text) = text {
                let saved =
                    wayline::core::json::parse(&text).map_err(|e| here(format!("{e:?}")))?;
                let _ = engine.restore(&saved);
            }
            None
        } else if step.get("leave").is_some() {
            // The page is left, into the back/forward cache: it writes its state as it goes, and the next page of
            // the tab restores that; the timeline follows the next page, and `back` returns to this one.
            engine.set_leaving(true);
            let text = engine
                .take_state_write()
                .or(stored.clone())
                .unwrap_or_default();
            let mut next = build(&config, device)?;
            next.set_url(url.clone());
            let saved = wayline::core::json::parse(&text).map_err(|e| here(format!("{e:?}")))?;
            let _ = next.restore(&saved);
            left = Some(std::mem::replace(&mut engine, next));
            None
        } else if step.get("back").is_some() {
            // Back to the page left: this one is left (and writes), the page in the cache takes in what is stored
            // and is back.
            engine.set_leaving(true);
            let text = engine
                .take_state_write()
                .or(stored.clone())
                .unwrap_or_default();
            let mut back = left
                .take()
                .ok_or_else(|| here("`back` needs a `leave` before".into()))?;
            let saved = wayline::core::json::parse(&text).map_err(|e| here(format!("{e:?}")))?;
            let mut out = Vec::new();
            back.absorb(&saved, &mut out);
            back.set_leaving(false);
            back.advance_into(&facts, at, &mut out);
            left = Some(std::mem::replace(&mut engine, back));
            Some(out)
        } else if step.get("reload").is_some() {
            // A new page load: the state goes through its persisted text form into a new engine.
            let text = engine.to_value().to_json();
            engine = build(&config, device)?;
            engine.set_url(url.clone());
            let saved = wayline::core::json::parse(&text).map_err(|e| here(format!("{e:?}")))?;
            engine
                .restore(&saved)
                .map_err(|e| here(format!("restore: {e:?}")))?;
            None
        } else {
            None
        };
        if let Some(text) = engine.take_state_write() {
            stored = Some(text);
        }
        if let Some(expected) = step.get("expect") {
            let got: Vec<String> = decisions
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(describe)
                .collect();
            let want = strings(Some(expected));
            if got != want {
                return Err(here(format!(
                    "decisions\n  got:  {got:?}\n  want: {want:?}"
                )));
            }
            checks += 1;
        }
        if let Some(w) = step.get("wakeup") {
            let want = w.as_f64().map(|w| w as i64);
            if engine.next_wakeup() != want {
                return Err(here(format!(
                    "next_wakeup {:?}, want {want:?}",
                    engine.next_wakeup()
                )));
            }
            checks += 1;
        }
        if let Some(id) = str_of("explain") {
            let ex = engine
                .explain(id, &facts, at)
                .ok_or_else(|| here(format!("no campaign {id}")))?;
            let want = step
                .get("explained")
                .ok_or_else(|| here("`explain` needs `explained`".into()))?;
            if let Some(el) = want.get("eligible").and_then(Value::as_bool) {
                if el != ex.eligible {
                    return Err(here(format!(
                        "eligible {}, want {el}: {}",
                        ex.eligible,
                        ex.render()
                    )));
                }
            }
            if let Some(p) = want.get("pendingUntil") {
                let p = p.as_f64().map(|p| p as i64);
                if p != ex.pending_until {
                    return Err(here(format!(
                        "pendingUntil {:?}, want {p:?}",
                        ex.pending_until
                    )));
                }
            }
            if let Some(h) = want.get("pageHidden").and_then(Value::as_bool) {
                let got = ex.to_value().get("pageHidden").and_then(Value::as_bool);
                if got.unwrap_or(false) != h {
                    return Err(here(format!("pageHidden {got:?}, want {h}")));
                }
            }
            let codes: Vec<String> = ex.reasons.iter().map(|r| r.code().to_string()).collect();
            if want.get("reasons").is_some() && codes != strings(want.get("reasons")) {
                return Err(here(format!(
                    "reasons {codes:?}, want {:?}",
                    strings(want.get("reasons"))
                )));
            }
            let messages: Vec<String> = ex.reasons.iter().map(|r| r.message()).collect();
            for m in strings(want.get("messages")) {
                if !messages.iter().any(|x| x.contains(&m)) {
                    return Err(here(format!("no reason says {m:?}: {messages:?}")));
                }
            }
            checks += 1;
        }
    }
    Ok(checks)
}

#[test]
fn data_driven_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/campaigns");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let (mut cases, mut checks) = (0, 0);
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc = wayline::core::json::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        let origin = file.file_name().unwrap().to_string_lossy().to_string();
        for case in doc
            .get("cases")
            .and_then(Value::as_array)
            .unwrap_or_default()
        {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("?");
            cases += 1;
            match run(case) {
                Ok(n) if n > 0 => checks += n,
                Ok(_) => failures.push(format!("{origin}: {name}: checks nothing")),
                Err(e) => failures.push(format!("{origin}: {name}: {e}")),
            }
        }
    }
    println!(
        "{cases} campaign cases, {checks} checks, in {} files",
        files.len()
    );
    assert!(cases >= 12, "only {cases} cases found");
    assert!(
        failures.is_empty(),
        "{} failing:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Prints visitors' buckets, to pick ids for holdout and sampling cases: `cargo test --test campaigns buckets -- --ignored --nocapture`.
#[test]
#[ignore]
fn buckets() {
    for v in ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"] {
        for c in ["nps", "promo"] {
            println!(
                "{v} {c}: sample {:.2} holdout {:.2}",
                wayline::core::campaigns::check::bucket("sample", c, v),
                wayline::core::campaigns::check::bucket("holdout", c, v)
            );
        }
    }
}
