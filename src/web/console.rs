//! The SDK's console voice: every message is prefixed so a site owner can tell it apart.

use wasm_bindgen::JsValue;

/// Joins text pieces: the SDK's messages are built without `format!`, whose machinery costs wasm bytes.
pub fn join(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// A number as text, without `core::fmt`. (Not generic over the number type: one copy in the wasm.)
pub fn num(n: i64) -> String {
    let mut s = String::new();
    crate::core::json::write_int(n, &mut s);
    s
}

pub fn warn(code: &str, message: &str) {
    web_sys::console::warn_1(&JsValue::from(join(&[
        "[wayline] ",
        message,
        " (",
        code,
        ")",
    ])));
}

pub fn debug(message: &str) {
    web_sys::console::debug_1(&JsValue::from(join(&["[wayline] ", message])));
}

pub fn error_with(message: &str, value: &JsValue) {
    web_sys::console::error_2(&JsValue::from(join(&["[wayline] ", message])), value);
}
