//! The web layer: wasm-bindgen exports, DOM listeners, storage, transport. The only code that touches the browser.
//!
//! Exported functions take `JsValue`s and check them here, so a wrong type from the page becomes a warning (or,
//! for `init`, a `WaylineError`) instead of a glue-code exception. None of them panics or throws from an event
//! handler.

mod console;
mod convert;
mod emitter;
mod env;
mod errors;
mod listeners;
mod options;
#[cfg(feature = "segments")]
pub mod prompt;
mod sdk;
mod storage;
mod tabs;
#[cfg(test)]
mod tests;
mod transport;

use js_sys::Function;

#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
use wasm_bindgen::prelude::*;

use convert::Json;
use options::InitOptions;

/// The page's calls: `call(code, ...args)`, `code` the method's index in `CODES` in `js/src/facade.js` (the same
/// order as here). One export rather than one per method: each export costs a shim in the wasm and a wrapper in
/// the glue. An unknown code (`explain` and `outcome` without the rule engine) does nothing and answers
/// `undefined`.
#[wasm_bindgen]
pub fn call(code: u32, a: JsValue, b: JsValue, c: JsValue) -> Result<JsValue, JsValue> {
    let answer = match code {
        8 => return init(a).map(|()| JsValue::UNDEFINED),
        10 => segments().into(),
        11 => stage(a).into(),
        #[cfg(feature = "segments")]
        12 => explain(a),
        13 => anonymous_id().into(),
        14 => user_id().into(),
        15 => debug_state(),
        code => {
            match code {
                0 => track(a, b),
                1 => page(a, b),
                2 => identify(a, b),
                3 => reset(),
                4 => consent(a),
                5 => off(a, b),
                #[cfg(feature = "segments")]
                6 => outcome(a, b, c),
                7 => on(a, b),
                9 => flush(a.unchecked_into()),
                _ => {}
            }
            JsValue::UNDEFINED
        }
    };
    // `c` is `outcome`'s alone, which the build without the rule engine lacks.
    let _ = c;
    Ok(answer)
}

/// Starts the SDK. Throws a `WaylineError` (`code: "invalid_options"`) for unusable options; calling it twice
/// warns and keeps the first configuration.
pub fn init(options: JsValue) -> Result<(), JsValue> {
    crate::core::json::use_host_numbers(convert::HOST_NUMBERS);
    let window = env::window()
        .ok_or_else(|| errors::wayline_error("no_window", "Wayline runs in a browser window"))?;
    if sdk::is_running() {
        console::warn(
            "already_initialised",
            "init was called again; the first configuration stays in effect",
        );
        return Ok(());
    }
    // Read once: through `prop` rather than typed getters (see there).
    let location = convert::prop(&window, "location");
    let origin = convert::prop(&location, "origin")
        .as_string()
        .unwrap_or_default();
    let mut opts = InitOptions::read(&options, &origin)?;
    let query = convert::prop(&location, "search")
        .as_string()
        .unwrap_or_default();
    if crate::core::url::find(&query, "wayline_debug=1").is_some() {
        opts.debug = true;
    }
    sdk::install(opts, window);
    Ok(())
}

/// Reads properties handed in by the page, reporting a repair.
fn properties(value: &JsValue, s: &mut sdk::Sdk) -> Option<String> {
    match convert::to_json(value) {
        Json::Absent => None,
        Json::Text(t) => Some(t),
        Json::Repaired(t) => {
            s.report(&crate::core::tracker::Warning {
                code: "properties_repaired",
                message: "properties had cycles or BigInt values; cycles became \"[Circular]\", BigInts strings".into(),
            });
            Some(t)
        }
    }
}

/// `track(event, properties?)`.
pub fn track(event: JsValue, props: JsValue) {
    sdk::run(|s, now| {
        let name = event.as_string().unwrap_or_default();
        let text = properties(&props, s);
        s.tracker.track(&name, text.as_deref(), now);
    });
}

/// `page()`, `page(name)`, `page(name, properties)` or `page(properties)`: a manual page view of the current URL.
pub fn page(name: JsValue, props: JsValue) {
    sdk::run(|s, now| {
        let (name, props) = if name.is_object() {
            (JsValue::UNDEFINED, name)
        } else {
            (name, props)
        };
        let text = properties(&props, s);
        let href = env::href(&s.window);
        let referrer = (href != s.last_href).then(|| std::mem::replace(&mut s.last_href, href));
        let page = env::page(&s.window, referrer);
        s.tracker
            .page_view(page, name.as_string().as_deref(), text.as_deref(), now);
        listeners::forget_scroll();
    });
}

/// `identify(userId, traits?)` or `identify(traits)`.
pub fn identify(user_id: JsValue, traits: JsValue) {
    sdk::run(|s, now| {
        let (id, traits) = if user_id.is_object() {
            (None, user_id)
        } else {
            (Some(user_id), traits)
        };
        let id = match id {
            None => None,
            Some(v) => match v.as_string().or_else(|| {
                let mut text = String::new();
                crate::core::json::write_number(v.as_f64()?, &mut text);
                Some(text)
            }) {
                Some(s) => Some(s),
                None => Some(String::new()),
            },
        };
        let text = properties(&traits, s);
        s.tracker.identify(id.as_deref(), text.as_deref(), now);
    });
}

/// `consent('granted' | 'pending' | 'denied')`: see SPEC §8 and docs/sdk.md.
pub fn consent(state: JsValue) {
    let parsed = state
        .as_string()
        .and_then(|s| crate::core::consent::Consent::parse(&s));
    match parsed {
        Some(c) => {
            sdk::run(|s, now| s.set_consent(c, now));
        }
        None => console::warn(
            "invalid_consent",
            "consent() expects 'granted', 'pending' or 'denied'",
        ),
    }
}

/// Logout: a new anonymous id, no user id, no traits.
pub fn reset() {
    sdk::run(|s, now| s.reset(now));
}

/// Sends everything queued now; `resolve` is called with `true` once the collector has accepted all of it
/// (retrying as needed), or at once with `false` when the SDK is not running. (The facade makes the promise:
/// `Promise::new` here would cost a closure type of its own.)
pub fn flush(resolve: Function) {
    let registered = sdk::run(|s, _| s.add_flush_waiter(resolve.clone()));
    if registered.is_none() {
        let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::FALSE);
    }
}

/// Registers a listener (`ready`, `warning`); may be called before `init`.
pub fn on(name: JsValue, listener: JsValue) {
    listen(name, listener, true);
}

pub fn off(name: JsValue, listener: JsValue) {
    listen(name, listener, false);
}

/// `on` (`add`) and `off`, one body for both: each export's body is inlined into its shim.
#[inline(never)]
fn listen(name: JsValue, listener: JsValue, add: bool) {
    match (name.as_string(), listener.dyn_into::<Function>()) {
        (Some(n), Ok(f)) if add => emitter::add(n, f),
        (Some(n), Ok(f)) => emitter::remove(&n, &f),
        _ if add => console::warn(
            "invalid_listener",
            "on(name, listener) expects a string and a function",
        ),
        _ => {}
    }
}

/// The segments the visitor is in now.
pub fn segments() -> js_sys::Array {
    sdk::run(|s, _| {
        s.tracker
            .segments()
            .into_iter()
            .map(JsValue::from_str)
            .collect()
    })
    .unwrap_or_default()
}

/// The visitor's current stage in `journey`, if any.
pub fn stage(journey: JsValue) -> Option<String> {
    let journey = journey.as_string()?;
    sdk::run(|s, _| s.tracker.stage(&journey).map(str::to_string)).flatten()
}

/// `explain(campaignId)`: whether the campaign would show if it triggered now, and every reason it would not
/// (`docs/campaigns.md`); `null` for an unknown campaign or when no config is loaded.
#[cfg(feature = "segments")]
pub fn explain(campaign: JsValue) -> JsValue {
    let Some(id) = campaign.as_string() else {
        return JsValue::NULL;
    };
    sdk::run(|s, now| s.tracker.explain(&id, now))
        .flatten()
        .map_or(JsValue::NULL, |v| convert::to_js(&v))
}

/// `outcome(campaignId, 'shown' | 'dismissed' | 'answered' | 'completed' | 'rewardClaimed', details?)`: what the
/// visitor did with a prompt the host renders itself (a custom action). `details` become the outcome event's
/// properties (`{question, answer}` for an answer).
#[cfg(feature = "segments")]
pub fn outcome(campaign: JsValue, outcome: JsValue, details: JsValue) {
    sdk::run(|s, now| {
        let campaign = campaign.as_string().unwrap_or_default();
        let outcome = outcome.as_string().unwrap_or_default();
        let details = properties(&details, s).and_then(|t| match crate::core::json::parse(&t) {
            Ok(crate::core::json::Value::Object(m)) => Some(m),
            _ => None,
        });
        s.host_outcome(&campaign, &outcome, details, now);
    });
}

pub fn anonymous_id() -> Option<String> {
    sdk::run(|s, _| s.tracker.profile().anonymous_id.clone())
}

pub fn user_id() -> Option<String> {
    sdk::run(|s, _| s.tracker.profile().user_id.clone()).flatten()
}

/// Counters for diagnostics and tests: queued events, bytes, dropped events, session.
pub fn debug_state() -> JsValue {
    sdk::run(|s, _| {
        let q = s.tracker.queue();
        let sessions = &s.tracker.profile().sessions;
        let n = |v: f64| JsValue::from(v);
        convert::object(&[
            ("queued", n(q.len() as f64)),
            ("queuedBytes", n(q.bytes() as f64)),
            ("droppedOverflow", n(q.dropped.overflow as f64)),
            ("droppedRejected", n(q.dropped.rejected as f64)),
            ("sessionCount", n(f64::from(sessions.count))),
            ("sessionId", n(sessions.id().unwrap_or(0) as f64)),
            ("droppedExpired", n(q.dropped.expired as f64)),
            ("droppedCorrupt", n(q.dropped.corrupt as f64)),
            ("consent", s.tracker.consent().as_str().into()),
        ])
    })
    .unwrap_or(JsValue::NULL)
}
