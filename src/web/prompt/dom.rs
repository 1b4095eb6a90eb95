//! The few DOM helpers the prompt needs. Every element is a plain `Element` (one binding for all tags), and text
//! goes in only through `textContent` or attributes, never as HTML.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Document, Element, HtmlElement, Node};

/// Appends an element to `parent`, built from `spec` and `text` (an empty text is left out). `spec` is static
/// markup data, never config text: the tag, then attribute names and values, all separated by `|`
/// (`"button|class|o|type|button"`); dynamic attributes are set with [`set`] afterwards.
pub(super) fn add(doc: &Document, parent: &Node, spec: &str, text: &str) -> Option<Element> {
    let mut parts = spec.split('|');
    let e = doc.create_element(parts.next()?).ok()?;
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        set(&e, name, value);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e).ok()?;
    Some(e)
}

pub(super) fn set(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

pub(super) fn focus(e: &Element) {
    let _ = e.unchecked_ref::<HtmlElement>().focus();
}

/// Marks `radio` checked in its radiogroup and makes it the group's one tab stop (a roving tabindex).
pub(super) fn check(radio: &Element) {
    let mut child = radio.parent_element().and_then(|g| g.first_element_child());
    while let Some(c) = child {
        let on = c == *radio;
        set(&c, "aria-checked", if on { "true" } else { "false" });
        set(&c, "tabindex", if on { "0" } else { "-1" });
        child = c.next_element_sibling();
    }
}

/// The radio an arrow key (or Home/End) moves to from `radio`, wrapping around; None for other keys.
pub(super) fn step(radio: &Element, key: &str) -> Option<Element> {
    let group = radio.parent_element()?;
    match key {
        "ArrowRight" | "ArrowDown" => radio
            .next_element_sibling()
            .or_else(|| group.first_element_child()),
        "ArrowLeft" | "ArrowUp" => radio
            .previous_element_sibling()
            .or_else(|| group.last_element_child()),
        "Home" => group.first_element_child(),
        "End" => group.last_element_child(),
        _ => None,
    }
}

/// `target[key]`, or undefined.
pub(super) fn prop(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or_default()
}

/// `target[method](...args)`: for the JS APIs without a binding here (clipboard, share, promises, selection).
/// None if it is not a function or it throws.
pub(super) fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f = prop(target, method).dyn_into::<Function>().ok()?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(target, &list).ok()
}
