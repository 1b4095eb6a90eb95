//! The SDK's console voice: every message is prefixed so a site owner can tell it apart.

use wasm_bindgen::JsValue;

pub fn warn(code: &str, message: &str) {
    web_sys::console::warn_1(&JsValue::from(format!("[wayline] {message} ({code})")));
}

pub fn debug(message: &str) {
    web_sys::console::debug_1(&JsValue::from(format!("[wayline] {message}")));
}

pub fn error_with(message: &str, value: &JsValue) {
    web_sys::console::error_2(&JsValue::from(format!("[wayline] {message}")), value);
}
