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

/// What a config request brought.
#[cfg(feature = "segments")]
pub enum Fetched {
    /// A 200: the body and its `ETag`, if any.
    Text { text: String, etag: Option<String> },
    /// A 304: the copy the SDK has (whose tag it sent) is current.
    NotModified,
    /// The reason it could not be had (network error, status).
    Failed(String),
}

#[cfg(feature = "segments")]
/// GETs `url` as text, revalidating with `If-None-Match` when the SDK holds a copy tagged `etag`. Used once per
/// page and on refreshes (the config), so its callbacks are one-shot closures.
pub fn get_text(
    window: &web_sys::Window,
    url: &str,
    etag: Option<&str>,
    done: impl FnOnce(Fetched) + 'static,
) {
    type Done = Box<dyn FnOnce(Fetched)>;
    let done: Rc<RefCell<Option<Done>>> = Rc::new(RefCell::new(Some(Box::new(done))));
    let finish = move |result: Fetched| {
        let f = done.borrow_mut().take();
        if let Some(f) = f {
            f(result);
        }
    };
    let fail = finish.clone();
    let fail_text = finish.clone();
    let answered = finish.clone();
    let tag: Rc<RefCell<Option<String>>> = Rc::default();
    let tag_seen = tag.clone();
    let on_text = Closure::once_into_js(move |text: JsValue| {
        finish(match text.as_string() {
            Some(text) => Fetched::Text {
                text,
                etag: tag.borrow_mut().take(),
            },
            None => Fetched::Failed("not text".into()),
        })
    });
    let on_text_error = Closure::once_into_js(move |_e: JsValue| {
        fail_text(Fetched::Failed("unreadable body".into()))
    });
    let on_error =
        Closure::once_into_js(move |_e: JsValue| fail(Fetched::Failed("network error".into())));
    let on_response = Closure::once_into_js(move |resp: JsValue| {
        let Some(r) = resp.dyn_ref::<Response>() else {
            return;
        };
        match r.status() {
            304 => answered(Fetched::NotModified),
            200..=299 => {
                *tag_seen.borrow_mut() = r.headers().get("ETag").ok().flatten();
                if let Ok(p) = r.text() {
                    let _ = then(&p.into(), &on_text, &on_text_error);
                }
            }
            status => answered(Fetched::Failed(crate::web::console::join(&[
                "status ",
                &crate::web::console::num(i64::from(status)),
            ]))),
        }
    });
    let init = RequestInit::new();
    init.set_credentials(RequestCredentials::Omit);
    if let Some(etag) = etag {
        let headers = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&headers, &"If-None-Match".into(), &etag.into());
        init.set_headers(&headers);
    }
    let promise: JsValue = window.fetch_with_str_and_init(url, &init).into();
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
