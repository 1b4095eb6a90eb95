//! Getting batches to the collector: `fetch` for normal sends, `sendBeacon` when the page goes away.
//!
//! Bodies are `text/plain` so the request is CORS-simple: no preflight, and `sendBeacon` may carry it.

use wasm_bindgen::JsValue;

use super::convert::{call1, call2, call_str, number, parsed, prop, put, then, Callback};

use crate::core::time::Millis;

/// A `Response`'s status (read through [`prop`], as are its headers: a typed getter is an import each).
fn status(resp: &JsValue) -> u16 {
    number(resp, "status") as u16
}

/// `response.headers.get(name)`.
pub fn header(resp: &JsValue, name: &str) -> Option<String> {
    call_str(&prop(resp, "headers"), "get", name)?.as_string()
}

/// What the response handler needs from a `Response`: its status and any `Retry-After` delay.
pub fn read_response(value: &JsValue) -> (u16, Option<Millis>) {
    // Anything but an object (a `Response`: `fetch` resolves with nothing else) reads as a failed send, as does
    // the error a failed `fetch` rejects with (it has no `status` or `headers`). Not an `instanceof Response`
    // check, which would be one more import and glue function.
    if !value.is_object() {
        return (0, None);
    }
    // Seconds, or an HTTP date, which `Date.parse` reads (each of the three forms HTTP allows).
    let retry_after = header(value, "Retry-After").and_then(|v| {
        let date = super::env::window()
            .and_then(|w| call_str(&prop(&w, "Date"), "parse", &v))
            .and_then(|ms| ms.as_f64())
            .filter(|ms| ms.is_finite())
            .map(|ms| ms as Millis);
        crate::core::queue::retry_after(&v, date, super::env::now())
    });
    (status(value), retry_after)
}

/// The `error` object of the collector's JSON error in a response's body `text` (`{"error": {"code", "message",
/// "diagnostics"?}}`), or `undefined` when the body is not one.
pub fn collector_error(window: &web_sys::Window, text: &JsValue) -> JsValue {
    prop(
        &call1(&prop(window, "JSON"), "parse", text).unwrap_or_default(),
        "error",
    )
}

/// Starts a POST of `body`; `on_settled` gets the `Response`, or the error of a network failure (which
/// [`read_response`] reads as status 0).
pub fn post(window: &web_sys::Window, url: &str, body: &str, on_settled: &Callback) {
    let init = request(&body.into());
    give_up_after(window, &init, SEND_TIMEOUT);
    fetch(window, url, &init, on_settled);
}

/// How long a batch's request may go unanswered: then it fails, and is retried as a network error is. One batch is
/// in flight at a time, so a connection that hangs (a proxy that never answers, a network that changed under a
/// mobile browser) would otherwise hold every later batch for the life of the page. Long enough for the largest
/// batch (450 KB) over a slow mobile uplink; the collector stores a batch sent twice once (`messageId`).
pub const SEND_TIMEOUT: f64 = 30_000.0;

/// A request made with `init` fails when unanswered after `ms` (`AbortSignal.timeout`, where the browser has it).
fn give_up_after(window: &web_sys::Window, init: &JsValue, ms: f64) {
    if let Some(signal) = call1(&prop(window, "AbortSignal"), "timeout", &ms.into()) {
        put(init, "signal", &signal);
    }
}

/// The options of a POST of `body`: a plain object rather than `RequestInit`'s setters (an import each, and enum
/// tables in the glue), its constant part parsed from JSON text (one string rather than a key and a value
/// converted for each option).
fn request(body: &JsValue) -> JsValue {
    let init = parsed(
        r#"{"method":"POST","mode":"cors","credentials":"omit","headers":{"Content-Type":"text/plain"}}"#,
    );
    put(&init, "body", body);
    init
}

/// `fetch(url, init)`, its promise settling into `on_settled` (through [`call2`]: the typed binding is an import
/// and a glue function of its own). A `fetch` the page replaced with one that throws, or that returns no promise,
/// still settles, later and as a failed send: otherwise the batch would stay in flight and nothing more would be
/// sent.
fn fetch(window: &web_sys::Window, url: &str, init: &JsValue, on_settled: &Callback) {
    settle(
        window,
        call2(window, "fetch", &url.into(), init),
        on_settled,
    );
}

/// Settles a request's promise (`None`: the request could not start, which settles as failed) into `on_settled`,
/// always later, through `Promise.resolve`: `on_settled` runs the SDK, which is busy while this runs, and a
/// promise-like object the page made could otherwise call back at once and be lost.
pub fn settle(window: &web_sys::Window, started: Option<JsValue>, on_settled: &Callback) {
    let promises = prop(window, "Promise");
    let settling = match started {
        Some(promise) => call1(&promises, "resolve", &promise),
        None => call1(&promises, "reject", super::convert::NULL),
    };
    if let Some(promise) = settling {
        let _ = then(&promise, on_settled.as_ref(), on_settled.as_ref());
    }
}

/// Starts a GET of `url` (the config), revalidating with `If-None-Match` when the SDK holds a copy tagged `etag`;
/// `on_settled` gets the `Response`, or the error of a network failure.
#[cfg(feature = "segments")]
pub fn get(window: &web_sys::Window, url: &str, etag: Option<&str>, on_settled: &Callback) {
    // The compiled format this SDK reads, asked of the collector (see `compiled::FORMAT_QUERY`); another URL (a
    // file, perhaps a signed one) is requested as given.
    // (`url::find`: `str::contains` brings in the two-way searcher, over 1 KB.)
    use crate::core::url::{find, find_byte};
    let url = match (find(url, "/v1/config"), find_byte(url, b'?')) {
        (None, _) => url.to_string(),
        (Some(_), query) => super::console::join(&[
            url,
            if query.is_some() { "&" } else { "?" },
            crate::core::compiled::FORMAT_QUERY,
        ]),
    };
    let init = parsed(r#"{"credentials":"omit"}"#);
    if let Some(etag) = etag {
        let headers = super::convert::object("If-None-Match", &[etag.into()]);
        super::convert::put(&init, "headers", &headers);
    }
    // A request unanswered this long fails, so that a hung connection does not hold the config's one request, and
    // every later check, for the life of the page.
    give_up_after(window, &init, CONFIG_TIMEOUT);
    fetch(window, &url, &init, on_settled);
}

/// See [`get`]; the script tag's early request (js/src/stub.js) uses the same.
#[cfg(feature = "segments")]
pub const CONFIG_TIMEOUT: f64 = 10_000.0;

/// Hands `body` to `navigator.sendBeacon`; false when the browser refused it (over its in-flight budget).
/// Where the page took `sendBeacon` away (deleted it, or wrapped it in a way that throws), `fetch` with `keepalive`
/// carries it instead: it outlives the page as a beacon does, under the same budget. Its answer is not awaited
/// (the page is going; the events stay stored until a confirmed send), and its failure is caught by a function of
/// the browser's own (`Boolean`) rather than read as an unhandled rejection.
pub fn beacon(window: &web_sys::Window, url: &str, body: &str) -> bool {
    let url = url.into();
    let body = body.into();
    match call2(&prop(window, "navigator"), "sendBeacon", &url, &body) {
        Some(sent) => super::convert::is_true(&sent),
        None => {
            let init = request(&body);
            put(&init, "keepalive", super::convert::TRUE);
            call2(window, "fetch", &url, &init)
                .and_then(|p| call1(&p, "catch", &prop(window, "Boolean")))
                .is_some()
        }
    }
}
