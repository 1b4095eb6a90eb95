//! Getting batches to the collector: `fetch` for normal sends, `sendBeacon` when the page goes away.
//!
//! Bodies are `text/plain` so the request is CORS-simple: no preflight, and `sendBeacon` may carry it.

#[cfg(feature = "segments")]
use std::cell::RefCell;
#[cfg(feature = "segments")]
use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::RequestInit;

use super::convert::{call1, object, prop, then, Callback};

use crate::core::time::{Millis, SECOND};

/// A `Response`'s status (read through [`prop`], as are its headers: a typed getter is an import each).
fn status(resp: &JsValue) -> u16 {
    prop(resp, "status").as_f64().unwrap_or(0.0) as u16
}

/// `response.headers.get(name)`.
fn header(resp: &JsValue, name: &str) -> Option<String> {
    call1(&prop(resp, "headers"), "get", &JsValue::from_str(name))?.as_string()
}

/// What the response handler needs from a `Response`: its status and any `Retry-After` delay.
pub fn read_response(value: &JsValue) -> (u16, Option<Millis>) {
    // Anything but an object (a `Response`: `fetch` resolves with nothing else) reads as a failed send, as does
    // the error a failed `fetch` rejects with (it has no `status` or `headers`). Not an `instanceof Response`
    // check, which would be one more import and glue function.
    if !value.is_object() {
        return (0, None);
    }
    let retry_after = header(value, "Retry-After")
        .and_then(|v| {
            crate::core::json::parse(crate::core::sanitize::trim(&v))
                .ok()?
                .as_f64()
        })
        .filter(|secs| (0.0..=86_400.0).contains(secs))
        .map(|secs| (secs * SECOND as f64) as Millis);
    (status(value), retry_after)
}

/// Starts a POST of `body`; `on_settled` gets the `Response`, or the error of a network failure (which
/// [`read_response`] reads as status 0).
pub fn post(window: &web_sys::Window, url: &str, body: &str, on_settled: &Callback) -> bool {
    // A plain object rather than `RequestInit`'s setters (an import each, and enum tables in the glue).
    let init = object(&[
        ("method", "POST".into()),
        ("body", body.into()),
        ("mode", "cors".into()),
        ("credentials", "omit".into()),
        ("headers", object(&[("Content-Type", "text/plain".into())])),
    ]);
    let promise: Promise = window.fetch_with_str_and_init(url, init.unchecked_ref::<RequestInit>());
    let _ = then(&promise, on_settled.as_ref(), on_settled.as_ref());
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

/// GETs of a text (the config), revalidating with `If-None-Match` when the SDK holds a copy tagged `etag`. The
/// reactions are made once and reused by every request: there is one request at a time (the caller waits for
/// `done` before asking again), and one closure type ([`Callback`]) serves them all. Each serves both outcomes of
/// its promise: what a promise of `fetch` or `text()` rejects with is an error, with no `status` and not a string.
#[cfg(feature = "segments")]
pub struct TextRequest {
    on_response: Callback,
    _on_text: Callback,
}

#[cfg(feature = "segments")]
impl TextRequest {
    /// `done` gets the outcome of each request.
    pub fn new(done: fn(Fetched)) -> TextRequest {
        // The `ETag` of the response whose body is being read.
        let tag: Rc<RefCell<Option<String>>> = Rc::default();
        let tag_seen = tag.clone();
        let on_text = Callback::new(move |text: JsValue| {
            done(match text.as_string() {
                Some(text) => Fetched::Text {
                    text,
                    etag: tag.borrow_mut().take(),
                },
                None => Fetched::Failed("unreadable body".into()),
            });
            JsValue::UNDEFINED
        });
        let text_settled: JsValue = on_text.as_ref().clone();
        let on_response = Callback::new(move |resp: JsValue| {
            let Some(status) = prop(&resp, "status").as_f64() else {
                done(Fetched::Failed("network error".into()));
                return JsValue::UNDEFINED;
            };
            match status as u16 {
                304 => done(Fetched::NotModified),
                200..=299 => {
                    *tag_seen.borrow_mut() = header(&resp, "ETag");
                    if let Some(p) = call1(&resp, "text", &JsValue::UNDEFINED) {
                        let _ = then(&p, &text_settled, &text_settled);
                    }
                }
                status => done(Fetched::Failed(crate::web::console::join(&[
                    "status ",
                    &crate::web::console::num(i64::from(status)),
                ]))),
            }
            JsValue::UNDEFINED
        });
        TextRequest {
            on_response,
            _on_text: on_text,
        }
    }

    /// Starts a GET of `url`; its outcome goes to `done`.
    pub fn get(&self, window: &web_sys::Window, url: &str, etag: Option<&str>) {
        let init = object(&[("credentials", "omit".into())]);
        if let Some(etag) = etag {
            let headers = object(&[("If-None-Match", etag.into())]);
            let _ = js_sys::Reflect::set(&init, &"headers".into(), &headers);
        }
        let promise: JsValue = window
            .fetch_with_str_and_init(url, init.unchecked_ref::<RequestInit>())
            .into();
        let _ = then(
            &promise,
            self.on_response.as_ref(),
            self.on_response.as_ref(),
        );
    }
}

/// Hands `body` to `navigator.sendBeacon`; false when the browser refused it (over its in-flight budget).
pub fn beacon(window: &web_sys::Window, url: &str, body: &str) -> bool {
    let navigator: JsValue = window.navigator().into();
    let Ok(send) = prop(&navigator, "sendBeacon").dyn_into::<js_sys::Function>() else {
        return false;
    };
    send.call2(&navigator, &url.into(), &body.into())
        .is_ok_and(|sent| sent.as_bool() == Some(true))
}
