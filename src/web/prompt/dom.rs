//! The few DOM helpers the prompt needs. Every element is a plain `Element`, and text goes in only through
//! `textContent` or attributes, never as HTML.
//!
//! DOM methods and properties are reached through [`call`] and [`prop`] (one `Reflect` path) rather than a
//! binding each: every binding adds its own import and glue to the shipped SDK.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::Element;

/// `doc.createElement(tag)`.
pub(super) fn create(doc: &JsValue, tag: &str) -> Option<Element> {
    call(doc, "createElement", &[&tag.into()])?.dyn_into().ok()
}

/// Appends an element to `parent`, built from `spec` and `text` (an empty text is left out). `spec` is static
/// markup data, never config text: the tag, then attribute names and values, all separated by `|`
/// (`"button|class|o|type|button"`); dynamic attributes are set with [`set`] afterwards.
pub(super) fn add(doc: &JsValue, parent: &JsValue, spec: &str, text: &str) -> Option<Element> {
    let mut parts = spec.split('|');
    let e = create(doc, parts.next()?)?;
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        set(&e, name, value);
    }
    if !text.is_empty() {
        set_text(&e, text);
    }
    call(parent, "appendChild", &[&e])?;
    Some(e)
}

pub(super) fn set(e: &Element, name: &str, value: &str) {
    call(e, "setAttribute", &[&name.into(), &value.into()]);
}

/// Sets `textContent` (an empty text empties the element).
pub(super) fn set_text(e: &Element, text: &str) {
    let _ = Reflect::set(e, &"textContent".into(), &text.into());
}

pub(super) fn focus(e: &Element) {
    call(e, "focus", &[]);
}

/// Marks `radio` checked in its radiogroup and makes it the group's one tab stop (a roving tabindex).
pub(super) fn check(radio: &Element) {
    let mut child = elem(radio, "parentElement").and_then(|g| elem(&g, "firstElementChild"));
    while let Some(c) = child {
        let on = c == *radio;
        set(&c, "aria-checked", if on { "true" } else { "false" });
        set(&c, "tabindex", if on { "0" } else { "-1" });
        child = elem(&c, "nextElementSibling");
    }
}

/// The radio an arrow key (or Home/End) moves to from `radio`, wrapping around; None for other keys.
pub(super) fn step(radio: &Element, key: &str) -> Option<Element> {
    let group = elem(radio, "parentElement")?;
    // The sibling to move to, else the end of the group to wrap around to.
    let (sibling, end) = match key {
        "ArrowRight" | "ArrowDown" => ("nextElementSibling", "firstElementChild"),
        "ArrowLeft" | "ArrowUp" => ("previousElementSibling", "lastElementChild"),
        "Home" => ("", "firstElementChild"),
        "End" => ("", "lastElementChild"),
        _ => return None,
    };
    elem(radio, sibling).or_else(|| elem(&group, end))
}

/// `target[key]`, or undefined.
pub(super) fn prop(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or_default()
}

/// `target[key]` if it is an element.
pub(super) fn elem(target: &JsValue, key: &str) -> Option<Element> {
    prop(target, key).dyn_into().ok()
}

/// `target[method](...args)`. None if it is not a function or it throws.
pub(super) fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f = prop(target, method).dyn_into::<Function>().ok()?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(target, &list).ok()
}
