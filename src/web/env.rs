//! Reading the browser's facts: environment, current page, time, randomness.

use wasm_bindgen::prelude::wasm_bindgen;

use super::convert::{call1, number, prop, text};
use crate::core::message::{Environment, Page};
use crate::core::time::Millis;

#[wasm_bindgen]
extern "C" {
    type GlobalThis;
    /// `globalThis.window`: the page's window, absent in a worker or on a server. A getter import rather than a
    /// `thread_local_v2` static, whose lazily filled cache is code of its own (about 200 B).
    #[wasm_bindgen(static_method_of = GlobalThis, js_class = "globalThis", getter, js_name = window)]
    fn window_of_global() -> Option<web_sys::Window>;
}

/// The page's window. One import: `web_sys::window()` probes four globals (`globalThis`, `self`, `window`,
/// `global`) and checks the result with `instanceof`, each an import and its glue.
pub fn window() -> Option<web_sys::Window> {
    GlobalThis::window_of_global()
}

pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

/// Read once per page, through [`prop`] rather than typed getters (see there).
pub fn environment(window: &web_sys::Window) -> Environment {
    let nav = prop(window, "navigator");
    let screen = prop(window, "screen");
    // A dimension as the typed getters read it (a missing one is 0).
    let size = |key: &'static str| (number(&screen, key) as i32).max(0) as u32;
    // `Temporal.Now.timeZoneId()` where the browser has it: the same IANA name without building a date formatter,
    // which on the first page of a new renderer process costs 10-70 ms (ICU loading its locale data; measured in
    // headless Chromium 156) and was most of the time from the script tag to ready (`node bench/ready.mjs`).
    // Otherwise `Intl.DateTimeFormat().resolvedOptions().timeZone` (called as a function, the constructor makes
    // an instance with the default locale and options).
    let none = super::convert::UNDEFINED;
    let mut zone = call1(&prop(&prop(window, "Temporal"), "Now"), "timeZoneId", none);
    if zone.is_none() {
        let format = call1(&prop(window, "Intl"), "DateTimeFormat", none).unwrap_or_default();
        zone = call1(&format, "resolvedOptions", none).map(|o| prop(&o, "timeZone"));
    }
    let timezone = zone.and_then(|z| z.as_string()).unwrap_or_default();
    Environment {
        user_agent: text(&nav, "userAgent"),
        locale: text(&nav, "language"),
        timezone,
        screen_width: size("width"),
        screen_height: size("height"),
        screen_density: prop(window, "devicePixelRatio")
            .as_f64()
            .unwrap_or(f64::NAN),
        // Read for campaigns' device targeting only (the build without the rule engine has none).
        touch_points: if cfg!(feature = "segments") {
            number(&nav, "maxTouchPoints") as u32
        } else {
            0
        },
    }
}

/// Whether `document` (the page's) is hidden: another tab in front, the browser minimised, the page going away.
pub fn is_hidden(document: &wasm_bindgen::JsValue) -> bool {
    text(document, "visibilityState") == "hidden"
}

/// `document.title` (the SDK's document, `Sdk::document`).
pub fn title(document: &wasm_bindgen::JsValue) -> String {
    text(document, "title")
}

pub fn href(window: &web_sys::Window) -> String {
    text(&prop(window, "location"), "href")
}

/// The current page; `referrer` is `document.referrer` on a load and the previous URL after SPA navigation.
pub fn page(
    window: &web_sys::Window,
    document: &wasm_bindgen::JsValue,
    referrer: Option<String>,
) -> Page {
    Page {
        url: href(window),
        title: title(document),
        referrer: referrer.unwrap_or_else(|| text(document, "referrer")),
    }
}

/// 32 random bytes from `crypto.getRandomValues`, mixed with the clock if that is unavailable.
pub fn seed(window: &web_sys::Window) -> [u8; 32] {
    let mut seed = [0u8; 32];
    // Through `call1` and `prop` on a `Uint8Array.from({ length: 32 })` rather than the typed `crypto` and
    // `getRandomValues` bindings: two imports and their glue, and a view of the wasm memory, for one call.
    let bytes = call1(
        &prop(window, "Uint8Array"),
        "from",
        &super::convert::parsed(r#"{"length":32}"#),
    )
    .unwrap_or_default();
    let filled = call1(&prop(window, "crypto"), "getRandomValues", &bytes).is_some();
    if filled {
        for (i, b) in seed.iter_mut().enumerate() {
            *b = super::convert::at(&bytes, i as u32).as_f64().unwrap_or(0.0) as u8;
        }
    } else {
        let random = call1(&prop(window, "Math"), "random", super::convert::UNDEFINED)
            .and_then(|r| r.as_f64())
            .unwrap_or(0.0);
        let mut x = (js_sys::Date::now() * 1000.0) as u64 ^ (random * 1e15) as u64;
        for b in &mut seed {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            *b = (x >> 56) as u8;
        }
    }
    seed
}
