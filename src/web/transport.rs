//! Getting batches to the collector: `fetch` for normal sends, `sendBeacon` when the page goes away.
//!
//! Bodies are `text/plain` so the request is CORS-simple: no preflight, and `sendBeacon` may carry it.

#[cfg(feature = "segments")]
use std::cell::RefCell;
#[cfg(feature = "segments")]
use std::rc::Rc;

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

#[cfg(feature = "segments")]
/// GETs `url` as text; `done` gets the body, or the reason it could not be had. Used once per page (the config),
/// so its callbacks are one-shot closures.
pub fn get_text(
    window: &web_sys::Window,
    url: &str,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    type Done = Box<dyn FnOnce(Result<String, String>)>;
    let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(done))));
    let finish = move |result: Result<String, String>| {
        let f = done.borrow_mut().take();
        if let Some(f) = f {
            f(result);
        }
    };
    let fail = finish.clone();
    let fail_text = finish.clone();
    let on_text = Closure::once_into_js(move |text: JsValue| {
        finish(text.as_string().ok_or_else(|| "not text".into()))
    });
    let on_text_error =
        Closure::once_into_js(move |_e: JsValue| fail_text(Err("unreadable body".into())));
    let on_error = Closure::once_into_js(move |_e: JsValue| fail(Err("network error".into())));
    let on_error_again = on_error.clone();
    let on_response = Closure::once_into_js(move |resp: JsValue| {
        let Some(r) = resp.dyn_ref::<Response>() else {
            return;
        };
        if !r.ok() {
            if let Some(f) = on_error_again.dyn_ref::<js_sys::Function>() {
                let _ = f.call1(&JsValue::UNDEFINED, &JsValue::from(r.status()));
            }
            return;
        }
        if let Ok(p) = r.text() {
            let _ = then(&p.into(), &on_text, &on_text_error);
        }
    });
    let promise: JsValue = window.fetch_with_str(url).into();
    let _ = then(&promise, &on_response, &on_error);
}

/// `promise.then(ok, err)` for callbacks given as plain functions.
#[cfg(feature = "segments")]
fn then(promise: &JsValue, ok: &JsValue, err: &JsValue) -> Option<JsValue> {
    let f = js_sys::Reflect::get(promise, &JsValue::from_str("then")).ok()?;
    let f: js_sys::Function = f.dyn_into().ok()?;
    f.call2(promise, ok, err).ok()
}

/// Hands `body` to `navigator.sendBeacon`; false when the browser refused it (over its in-flight budget).
pub fn beacon(window: &web_sys::Window, url: &str, body: &str) -> bool {
    window
        .navigator()
        .send_beacon_with_opt_str(url, Some(body))
        .unwrap_or(false)
}
