//! Reading the browser's facts: environment, current page, time, randomness.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::message::{Environment, Page};
use crate::core::time::Millis;

pub fn now() -> Millis {
    js_sys::Date::now() as Millis
}

pub fn environment(window: &web_sys::Window) -> Environment {
    let nav = window.navigator();
    let screen = window.screen().ok();
    let timezone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options()
        .dyn_into::<js_sys::Object>()
        .ok()
        .and_then(|o| Reflect::get(&o, &JsValue::from_str("timeZone")).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    Environment {
        user_agent: nav.user_agent().unwrap_or_default(),
        locale: nav.language().unwrap_or_default(),
        timezone,
        screen_width: screen
            .as_ref()
            .and_then(|s| s.width().ok())
            .unwrap_or(0)
            .max(0) as u32,
        screen_height: screen
            .as_ref()
            .and_then(|s| s.height().ok())
            .unwrap_or(0)
            .max(0) as u32,
        screen_density: window.device_pixel_ratio(),
    }
}

pub fn href(window: &web_sys::Window) -> String {
    window.location().href().unwrap_or_default()
}

/// The current page; `referrer` is `document.referrer` on a load and the previous URL after SPA navigation.
pub fn page(window: &web_sys::Window, referrer: Option<String>) -> Page {
    let doc = window.document();
    Page {
        url: href(window),
        title: doc.as_ref().map(|d| d.title()).unwrap_or_default(),
        referrer: referrer.unwrap_or_else(|| doc.map(|d| d.referrer()).unwrap_or_default()),
    }
}

/// 32 random bytes from `crypto.getRandomValues`, mixed with the clock if that is unavailable.
pub fn seed(window: &web_sys::Window) -> [u8; 32] {
    let mut seed = [0u8; 32];
    let filled = window
        .crypto()
        .ok()
        .and_then(|c| c.get_random_values_with_u8_array(&mut seed).ok())
        .is_some();
    if !filled {
        let mut x = (js_sys::Date::now() * 1000.0) as u64 ^ (js_sys::Math::random() * 1e15) as u64;
        for b in &mut seed {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            *b = (x >> 56) as u8;
        }
    }
    seed
}
