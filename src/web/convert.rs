//! The page's values as JSON text.
//!
//! `JSON.stringify` is the fast path (native code, one call). It throws on cycles and BigInt; then a careful walk
//! builds the value: cycles become `"[Circular]"`, BigInts their decimal text, and depth is capped. Functions and
//! symbols are left out, as `JSON.stringify` does.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::json::{Map, Value};

const MAX_WALK_DEPTH: usize = 16;

pub enum Json {
    Absent,
    Text(String),
    /// Had to be repaired; the text is what will be sent.
    Repaired(String),
}

pub fn to_json(v: &JsValue) -> Json {
    if v.is_undefined() || v.is_null() {
        return Json::Absent;
    }
    match js_sys::JSON::stringify(v) {
        Ok(s) => s.as_string().map_or(Json::Absent, Json::Text),
        Err(_) => {
            let mut seen = Vec::new();
            let value = walk(v, 0, &mut seen).unwrap_or(Value::Null);
            Json::Repaired(value.to_json())
        }
    }
}

fn walk(v: &JsValue, depth: usize, seen: &mut Vec<JsValue>) -> Option<Value> {
    if v.is_null() {
        return Some(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Some(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Some(Value::Number(n));
    }
    if let Some(s) = v.as_string() {
        return Some(Value::String(s));
    }
    if v.is_bigint() {
        let text = v
            .dyn_ref::<js_sys::BigInt>()
            .and_then(|b| b.to_string(10).ok())
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        return Some(Value::String(text));
    }
    if v.is_undefined() || v.is_function() || v.is_symbol() || !v.is_object() {
        return None;
    }
    if seen.iter().any(|s| Object::is(s, v)) {
        return Some(Value::String("[Circular]".into()));
    }
    if depth >= MAX_WALK_DEPTH {
        return Some(Value::String("[Too deep]".into()));
    }
    if let Some(d) = v.dyn_ref::<js_sys::Date>() {
        return Some(
            d.to_iso_string()
                .as_string()
                .map_or(Value::Null, Value::String),
        );
    }
    seen.push(v.clone());
    let out = if Array::is_array(v) {
        let arr: &Array = v.unchecked_ref();
        Value::Array(
            arr.iter()
                .map(|item| walk(&item, depth + 1, seen).unwrap_or(Value::Null))
                .collect(),
        )
    } else {
        let mut map = Map::new();
        let obj: &Object = v.unchecked_ref();
        for key in Object::keys(obj).iter() {
            let Some(k) = key.as_string() else { continue };
            let child = Reflect::get(v, &key).unwrap_or(JsValue::UNDEFINED);
            if let Some(c) = walk(&child, depth + 1, seen) {
                map.insert(k, c);
            }
        }
        Value::Object(map)
    };
    seen.pop();
    Some(out)
}
