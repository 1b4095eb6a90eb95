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
/// the glue. An unknown code (`explain` and `outcome` without the rule engine) does nothing.
/// `init` answers the `WaylineError` of unusable options (`undefined` when it started), which the facade throws: a
/// `Result` here would make the export a multi-value shim and its wrapper in the glue larger (about 100 B gzip).
/// `d` is analytics.js's `options` of `track`, `page`, `identify`, `group` and `alias`, which the facade finds
/// among their arguments (`core::call_options`).
#[wasm_bindgen]
pub fn call(code: u32, a: JsValue, b: JsValue, c: JsValue, d: JsValue) -> JsValue {
    match code {
        8 => {
            if let Err(e) = init(a) {
                return e;
            }
        }
        7 => on(a, b),
        5 => off(a, b),
        _ => return ask(code, a, b, c, d),
    }
    JsValue::UNDEFINED
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
    // The page's origin, where batches go by default: its address's; else, in an `about:srcdoc` or `about:blank`
    // frame (whose address's origin is "null"), the document's, its parent's. A page of no web origin (`file:`,
    // `data:`, a sandboxed `srcdoc`) has none, and must name its `endpoint`.
    let mut origin = convert::text(&location, "origin");
    if !origin.starts_with("http") {
        origin = convert::text(&window, "origin");
    }
    if !origin.starts_with("http") {
        origin.clear();
    }
    let mut opts = InitOptions::read(&options, &origin)?;
    let query = convert::text(&location, "search");
    if crate::core::url::query_value(&query, "wayline_debug").as_deref() == Some("1") {
        opts.debug = true;
    }
    sdk::install(opts, window);
    Ok(())
}

/// The calls on the running SDK, by their `call` code. One `sdk::run` serves them all: each closure handed to it is
/// code of its own. What the page gets when the SDK is not running is at the end.
fn ask(code: u32, a: JsValue, b: JsValue, c: JsValue, d: JsValue) -> JsValue {
    // A command made while the SDK holds its state (from page code it runs) answers `true`, which no command
    // answers otherwise: the facade makes it again once the SDK is done (`js/src/facade.js`), rather than it
    // being lost.
    if matches!(code, 0..=4 | 6 | 9 | 16 | 17) && sdk::busy() {
        return JsValue::TRUE;
    }
    let text = a.as_string();
    // Checked before the SDK is asked: an invalid consent is reported even when it is not running.
    let consent = match code {
        4 => match text
            .as_deref()
            .and_then(crate::core::consent::Consent::parse)
        {
            Some(consent) => Some(consent),
            None => {
                console::warn(
                    "invalid_consent",
                    "consent() expects 'granted', 'pending' or 'denied'",
                );
                return JsValue::UNDEFINED;
            }
        },
        _ => None,
    };
    // `stage` and `explain` of what is not a string answer without asking the SDK.
    if matches!(code, 11 | 12) && text.is_none() {
        return if code == 12 {
            JsValue::NULL
        } else {
            JsValue::UNDEFINED
        };
    }
    // The properties of `track`/`page`/`identify` (for `page` and `identify` a first argument that is an object is
    // the properties or traits: the name or id is then absent) and `outcome`'s details. For `page`, a string second
    // argument is the name, as analytics.js reads `page(category, name, properties)`: a string first argument is
    // then the category, and the properties come third; so do they after a missing second argument
    // (`page(name, undefined, properties)`, as analytics-next reads it).
    let shifted = matches!(code, 1 | 2) && a.is_object();
    let name = if code == 1 { b.as_string() } else { None };
    // They are read before the SDK's state is taken: `JSON.stringify` runs the page's getters and `toJSON` methods,
    // which may call the SDK. A repair is reported once the state is had.
    let (props, note) = match match code {
        0..=2 => convert::to_json(if shifted {
            &a
        } else if name.is_some() || (code == 1 && convert::is_nullish(&b)) {
            &c
        } else {
            &b
        }),
        #[cfg(feature = "segments")]
        6 => convert::to_json(&c),
        16 => convert::to_json(&b),
        _ => Json::Absent,
    } {
        Json::Absent => (None, None),
        Json::Text(t) => (Some(t), None),
        Json::Repaired(t) => (
            Some(t),
            Some((
                "properties_repaired",
                "properties had cycles, BigInts or invalid Dates; cycles became \"[Circular]\", BigInts strings, \
                 such Dates null",
            )),
        ),
        Json::Lost => (
            None,
            Some((
                "properties_lost",
                "properties could not be written as JSON; recorded without them",
            )),
        ),
    };
    let options = match convert::to_json(&d) {
        Json::Text(t) | Json::Repaired(t) => Some(t),
        Json::Absent | Json::Lost => None,
    };
    let answer = sdk::run(|s, now| {
        // The calls that record a message (`page` reads the whole page itself).
        if matches!(code, 0 | 2 | 6 | 16 | 17) {
            s.refresh_title(now);
        }
        // For this call's message alone: forgotten below (the calls that take options return nothing early), so
        // that a call refused before it recorded anything leaves none to a later page view.
        s.tracker.set_call_options(options.as_deref());
        if let Some((code, message)) = note {
            s.report(code, message);
        }
        match code {
            // `track(event, properties?)`; `page()`, `page(name)`, `page(name, properties)`,
            // `page(category, name, properties?)` or `page(properties)`, a manual page view of the current URL;
            // `identify(userId, traits?)` or `identify(traits)`. One reading of the arguments for the three.
            0..=2 => {
                let first = if shifted { None } else { text.as_deref() };
                match code {
                    0 => {
                        s.tracker
                            .track(first.unwrap_or_default(), props.as_deref(), now);
                    }
                    1 => s.view_page(
                        first.filter(|_| name.is_some()),
                        name.as_deref().or(first),
                        props.as_deref(),
                        now,
                    ),
                    _ => {
                        // A missing id (`identify(null, traits)`) keeps the user id, as analytics-next reads it;
                        // so does an empty one, which analytics-next's `User.identify` passes over.
                        let id = (!shifted
                            && !convert::is_nullish(&a)
                            && !text.as_ref().is_some_and(String::is_empty))
                        .then(|| id_text(&a));
                        s.tracker.identify(id.as_deref(), props.as_deref(), now);
                    }
                }
            }
            // `group(groupId, traits?)`, `alias(userId, previousId?)` (by default the current user id, else the
            // anonymous id).
            16 => {
                s.tracker.group(&id_text(&a), props.as_deref(), now);
            }
            17 => {
                // A second argument that is no id is analytics.js's options (`alias(to, options)`).
                let previous = (b.is_string() || b.as_f64().is_some()).then(|| id_text(&b));
                s.tracker.alias(&id_text(&a), previous.as_deref(), now);
            }
            // Logout: a new anonymous id, no user id, no traits.
            3 => s.reset(now),
            // `consent('granted' | 'pending' | 'denied')`: see SPEC §8 and docs/sdk.md.
            4 => {
                if let Some(consent) = consent {
                    s.set_consent(consent, now);
                }
            }
            // `outcome(campaignId, 'shown' | 'dismissed' | 'answered' | 'completed' | 'rewardClaimed', details?)`:
            // what the visitor did with a prompt the host renders itself (a custom action). `details` become the
            // outcome event's properties (`{question, answer}` for an answer).
            #[cfg(feature = "segments")]
            6 => {
                let outcome = b.as_string().unwrap_or_default();
                let details = props
                    .as_deref()
                    .and_then(|t| match crate::core::json::parse(t) {
                        Ok(crate::core::json::Value::Object(m)) => Some(m),
                        _ => None,
                    });
                s.host_outcome(text.as_deref().unwrap_or_default(), &outcome, details, now);
            }
            // `flush()`: see `flush`.
            9 => s.add_flush_waiter(a.clone().unchecked_into()),
            // The segments the visitor is in now.
            10 => {
                let list = convert::array();
                for name in &s.tracker.segments() {
                    convert::call_str(&list, "push", name);
                }
                return list;
            }
            // The visitor's current stage in a journey, if any.
            11 => {
                if let Some(stage) = text.as_deref().and_then(|j| s.tracker.stage(j)) {
                    return stage.into();
                }
            }
            // `explain(campaignId)`: whether the campaign would show if it triggered now, and every reason it
            // would not (`docs/campaigns.md`); `null` for an unknown campaign or when no config is loaded.
            #[cfg(feature = "segments")]
            12 => {
                return text
                    .as_deref()
                    .and_then(|id| s.tracker.explain(id, now))
                    .map_or_else(convert::null, |v| convert::to_js(&v))
            }
            13 => return s.tracker.profile().anonymous_id.as_str().into(),
            14 => return s.tracker.profile().user_id.as_deref().into(),
            // Counters for diagnostics and tests: queued events, bytes, dropped events, session.
            15 => {
                let q = s.tracker.queue();
                let sessions = &s.tracker.profile().sessions;
                let n = |v: f64| JsValue::from(v);
                return convert::object(
                    "queued|queuedBytes|droppedOverflow|droppedRejected|sessionCount|sessionId|droppedExpired|\
                     droppedCorrupt|consent",
                    &[
                        n(q.len() as f64),
                        n(q.bytes() as f64),
                        n(q.dropped.overflow as f64),
                        n(q.dropped.rejected as f64),
                        n(f64::from(sessions.count)),
                        n(sessions.id().unwrap_or(0) as f64),
                        n(q.dropped.expired as f64),
                        n(q.dropped.corrupt as f64),
                        s.tracker.consent().as_str().into(),
                    ],
                );
            }
            _ => {}
        }
        s.tracker.set_call_options(None);
        JsValue::UNDEFINED
    });
    // `c` is `outcome`'s alone, which the build without the rule engine lacks.
    let _ = c;
    answer.unwrap_or_else(|| match code {
        9 => {
            // `resolve.call(undefined, false)` through `convert::call2`, as other calls.
            let _ = convert::call2(&a, "call", convert::UNDEFINED, convert::FALSE);
            JsValue::UNDEFINED
        }
        10 => convert::array(),
        12 | 15 => JsValue::NULL,
        _ => JsValue::UNDEFINED,
    })
}

/// An id argument (`identify`'s, `group`'s, `alias`'s): a string as it is, a finite number as its JSON text (as
/// analytics.js sends it), anything else as "", which the call refuses with a warning.
fn id_text(v: &JsValue) -> String {
    v.as_string().unwrap_or_else(|| {
        let mut id = String::new();
        // NaN and the infinities are no ids (JSON would write them as `null`).
        if let Some(n) = v.as_f64().filter(|n| n.is_finite()) {
            crate::core::json::write_number(n, &mut id);
        }
        id
    })
}

// The calls by name, for the Rust tests.

fn ask_without_options(code: u32, a: JsValue, b: JsValue, c: JsValue) -> JsValue {
    ask(code, a, b, c, JsValue::UNDEFINED)
}

/// `track(event, properties?)`.
pub fn track(event: JsValue, props: JsValue) {
    ask_without_options(0, event, props, JsValue::UNDEFINED);
}

/// `identify(userId, traits?)` or `identify(traits)`.
pub fn identify(user_id: JsValue, traits: JsValue) {
    ask_without_options(2, user_id, traits, JsValue::UNDEFINED);
}

/// Logout: a new anonymous id, no user id, no traits.
pub fn reset() {
    ask_without_options(
        3,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    );
}

/// Sends everything queued now; `resolve` is called with `true` once the collector has accepted all of it
/// (retrying as needed), or at once with `false` when the SDK is not running. (The facade makes the promise:
/// `Promise::new` here would cost a closure type of its own.)
pub fn flush(resolve: Function) {
    ask_without_options(9, resolve.into(), JsValue::UNDEFINED, JsValue::UNDEFINED);
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
    // Checked with `is_function` and cast: `dyn_into`'s `Result` is code of its own.
    match (name.as_string(), listener.is_function()) {
        (Some(n), true) if add => emitter::add(n, listener.unchecked_into()),
        (Some(n), true) => emitter::remove(&n, listener.unchecked_ref()),
        _ if add => console::warn(
            "invalid_listener",
            "on(name, listener) expects a string and a function",
        ),
        _ => {}
    }
}

/// The segments the visitor is in now.
pub fn segments() -> js_sys::Array {
    ask_without_options(
        10,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .unchecked_into()
}

/// The visitor's current stage in `journey`, if any.
pub fn stage(journey: JsValue) -> Option<String> {
    ask_without_options(11, journey, JsValue::UNDEFINED, JsValue::UNDEFINED).as_string()
}

pub fn anonymous_id() -> Option<String> {
    ask_without_options(
        13,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .as_string()
}

pub fn user_id() -> Option<String> {
    ask_without_options(
        14,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
    .as_string()
}

/// Counters for diagnostics and tests: queued events, bytes, dropped events, session.
pub fn debug_state() -> JsValue {
    ask_without_options(
        15,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
    )
}
