//! The SDK's console voice: every message is prefixed so a site owner can tell it apart.

use wasm_bindgen::JsValue;

use super::convert::{call1, call2, prop};

/// Joins text pieces: the SDK's messages are built without `format!`, whose machinery costs wasm bytes.
/// (`concat` is in the wasm anyway.)
pub fn join(parts: &[&str]) -> String {
    crate::core::json::concat(parts)
}

/// A number as text, without `core::fmt` (the core's, so there is one copy in the wasm).
pub use crate::core::json::int_text as num;

pub fn warn(code: &str, message: &str) {
    log("warn", &["[wayline] ", message, " (", code, ")"], None);
}

pub fn debug(message: &str) {
    log("debug", &["[wayline] ", message], None);
}

pub fn error_with(message: &str, value: &JsValue) {
    log("error", &["[wayline] ", message], Some(value));
}

/// `console[method](text, value?)`: one path for the SDK's few console calls rather than a typed binding (a wasm
/// import and a glue function) for each.
fn log(method: &'static str, text: &[&str], value: Option<&JsValue>) {
    let Some(window) = super::env::window() else {
        return;
    };
    let console = prop(&window, "console");
    let text = JsValue::from(join(text));
    let _ = match value {
        Some(v) => call2(&console, method, &text, v),
        None => call1(&console, method, &text),
    };
}
