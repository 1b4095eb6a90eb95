//! Errors thrown to JavaScript are real `Error` objects with a stable `name` and `code`.

use wasm_bindgen::JsValue;

pub const ERROR_NAME: &str = "WaylineError";

/// An `Error` whose `name` is `WaylineError` and whose `code` says what went wrong.
pub fn wayline_error(code: &str, message: &str) -> JsValue {
    let e: JsValue = js_sys::Error::new(message).into();
    super::convert::put(&e, "name", &ERROR_NAME.into());
    super::convert::put(&e, "code", &code.into());
    e
}
