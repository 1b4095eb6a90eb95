//! The few DOM helpers the prompt needs. Every element is a plain `Element` (one binding for all tags), and text
//! goes in only through `textContent` or attributes, never as HTML.

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Document, Element, HtmlElement, Node};

/// Appends `<tag class=class>text</tag>` to `parent` (an empty class or text is left out).
pub(super) fn add(
    doc: &Document,
    parent: &Node,
    tag: &str,
    class: &str,
    text: &str,
) -> Option<Element> {
    let e = doc.create_element(tag).ok()?;
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    parent.append_child(&e).ok()?;
    Some(e)
}

/// A `<button type=button data-a=action>`: the shadow root's one listener dispatches on `data-a` (and `data-v`).
pub(super) fn button(
    doc: &Document,
    parent: &Element,
    class: &str,
    action: &str,
    text: &str,
) -> Option<Element> {
    let b = add(doc, parent, "button", class, text)?;
    set(&b, "type", "button");
    set(&b, "data-a", action);
    Some(b)
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

/// `target[method](...args)`: for the JS APIs without a binding here (clipboard, share, promises, selection).
/// None if it is not a function or it throws.
pub(super) fn call(target: &JsValue, method: &str, args: &[&JsValue]) -> Option<JsValue> {
    let f = Reflect::get(target, &JsValue::from_str(method))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    f.apply(target, &list).ok()
}
