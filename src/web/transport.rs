//! Getting batches to the collector: `fetch` for normal sends, `sendBeacon` when the page goes away.
//!
//! Bodies are `text/plain` so the request is CORS-simple: no preflight, and `sendBeacon` may carry it.

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{RequestCredentials, RequestInit, RequestMode, Response};

use crate::core::time::{Millis, SECOND};

/// What the response handler needs from a `Response`: its status and any `Retry-After` delay.
pub fn read_response(value: &JsValue) -> (u16, Option<Millis>) {
    let Some(resp) = value.dyn_ref::<Response>() else {
        return (0, None);
    };
    let retry_after = resp
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|v| crate::core::json::parse(v.trim()).ok()?.as_f64())
        .filter(|secs| (0.0..=86_400.0).contains(secs))
        .map(|secs| (secs * SECOND as f64) as Millis);
    (resp.status(), retry_after)
}

/// Starts a POST of `body`; `on_response` gets the `Response`, `on_error` a network failure.
pub fn post(
    window: &web_sys::Window,
    url: &str,
    body: &str,
    on_response: &Closure<dyn FnMut(JsValue)>,
    on_error: &Closure<dyn FnMut(JsValue)>,
) -> bool {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    init.set_mode(RequestMode::Cors);
    init.set_credentials(RequestCredentials::Omit);
    let headers = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&headers, &"Content-Type".into(), &"text/plain".into());
    init.set_headers(&headers);
    let promise: Promise = window.fetch_with_str_and_init(url, &init);
    let _ = promise.then2(on_response, on_error);
    true
}

/// Hands `body` to `navigator.sendBeacon`; false when the browser refused it (over its in-flight budget).
pub fn beacon(window: &web_sys::Window, url: &str, body: &str) -> bool {
    window
        .navigator()
        .send_beacon_with_opt_str(url, Some(body))
        .unwrap_or(false)
}
