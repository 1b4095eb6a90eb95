//! The few DOM helpers the prompt needs. Every element is a plain `Element`, and text goes in only through
//! `textContent` or attributes, never as HTML.
//!
//! DOM methods and properties are reached through [`call`] and [`prop`] (one `Reflect` path) rather than a
//! binding each: every binding adds its own import and glue to the shipped SDK.

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::Element;

/// `doc.createElement(tag)`. `tag` is always a valid name, so this does not fail.
pub(super) fn create(doc: &JsValue, tag: &str) -> Element {
    call_str(doc, "createElement", tag)
        .unwrap_or_default()
        .unchecked_into()
}

/// Appends an element to `parent`, built from `spec` and `text` (an empty text is left out). `spec` is static
/// markup data, never config text: the tag, then attribute names and values, all separated by `|`
/// (`"button|class|o|type|button"`); dynamic attributes are set with [`set`] afterwards. A new element appended
/// to the prompt's own tree: nothing here can fail.
pub(super) fn add(parent: &JsValue, spec: &str, text: &str) -> Element {
    let (tag, mut rest) = crate::core::url::split_once_byte(spec, b'|').unwrap_or((spec, ""));
    let e = create(&prop(parent, "ownerDocument"), tag);
    while let Some((name, after)) = crate::core::url::split_once_byte(rest, b'|') {
        let (value, next) = crate::core::url::split_once_byte(after, b'|').unwrap_or((after, ""));
        set(&e, name, value);
        rest = next;
    }
    if !text.is_empty() {
        set_text(&e, text);
    }
    call1(parent, "appendChild", &e);
    e
}

pub(super) fn set(e: &Element, name: &str, value: &str) {
    call(e, "setAttribute", &name.into(), &value.into());
}

/// Sets `textContent` (an empty text empties the element).
pub(super) fn set_text(e: &Element, text: &str) {
    put(e, "textContent", &text.into());
}

pub(super) fn focus(e: &Element) {
    call0(e, "focus");
}

/// Marks `radio` checked in its radiogroup and makes it the group's one tab stop (a roving tabindex).
pub(super) fn check(radio: &Element) {
    let mut child = elem(radio, "parentElement").and_then(|g| elem(&g, "firstElementChild"));
    while let Some(c) = child {
        // `===` (as `JsValue`s: an element's own `==` is `Object.is`, an import of its own).
        let on = <JsValue as PartialEq>::eq(&c, radio);
        set(&c, "aria-checked", if on { "true" } else { "false" });
        set(&c, "tabindex", if on { "0" } else { "-1" });
        child = elem(&c, "nextElementSibling");
    }
}

/// The radio an arrow key (or Home/End) moves to from `radio`, wrapping around; None for other keys.
pub(super) fn step(radio: &Element, key: &str) -> Option<Element> {
    let group = elem(radio, "parentElement")?;
    // The sibling to move to, else the end of the group to wrap around to.
    let mut k = crate::core::url::field_position(
        "ArrowRight|ArrowDown|ArrowLeft|ArrowUp|Home|End",
        b'|',
        key,
    );
    // A row of a right-to-left page runs from the right (the prompt inherits the page's direction): there the left
    // arrow moves on and the right arrow back, as WAI-ARIA's radio group pattern has it.
    if k % 2 == 0
        && k < 4
        && call_str(radio, "matches", ":dir(rtl)").is_some_and(|v| crate::web::convert::is_true(&v))
    {
        k = 2 - k;
    }
    let (sibling, end) = match k {
        0 | 1 => ("nextElementSibling", "firstElementChild"),
        2 | 3 => ("previousElementSibling", "lastElementChild"),
        4 => ("", "firstElementChild"),
        5 => ("", "lastElementChild"),
        _ => return None,
    };
    elem(radio, sibling).or_else(|| elem(&group, end))
}

// The SDK's one `Reflect` path (`convert`): a copy of it here was code of its own.
pub(super) use crate::web::convert::{call1, call2 as call, call_str, prop, put};

/// `target[key]` if it is an element.
pub(super) fn elem(target: &JsValue, key: &'static str) -> Option<Element> {
    as_elem(prop(target, key))
}

/// `v` as an element, None for null or undefined. Only ever given what a DOM property or method returns in place
/// of an element (so an object is one): an `instanceof` check would cost an import of its own.
pub(super) fn as_elem(v: JsValue) -> Option<Element> {
    v.is_object().then(|| v.unchecked_into())
}

/// `e.getAttribute(name)`, or "".
pub(super) fn attr(e: &JsValue, name: &str) -> String {
    call_str(e, "getAttribute", name)
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// `target[method]()` (`undefined` as its argument, which DOM methods take as absent).
pub(super) fn call0(target: &JsValue, method: &'static str) -> Option<JsValue> {
    call1(target, method, crate::web::convert::UNDEFINED)
}
