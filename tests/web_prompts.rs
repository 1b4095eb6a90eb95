//! The prompt UI in a real browser (wasm-bindgen-test in headless Chromium): surveys driven through the shadow
//! root with keyboard events and clicks, branching, dismissal and focus, config text shown as text, rewards, the
//! theme as custom properties, strings per locale. Runs with `--features segments` for wasm32; empty otherwise.
#![cfg(all(target_arch = "wasm32", feature = "segments"))]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use wayline::core::campaigns::theme::render;
use wayline::core::json::{parse, Value};
use wayline::web::prompt::{Prompt, PromptEvent};
use web_sys::{Document, Element, HtmlElement, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

type Log = Rc<RefCell<Vec<String>>>;

fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn json(text: &str) -> Value {
    parse(text).unwrap()
}

fn open_with(
    campaign: &str,
    action: &str,
    theme: Option<&str>,
    strings: Option<&Value>,
) -> (Prompt, Log) {
    let log: Log = Rc::default();
    let sink = log.clone();
    // The theme as the compiler hands it to the SDK: the action's over the config's, checked and rendered.
    let action = json(action);
    let theme = theme.map(json);
    let theme = render(action.get("theme"), theme.as_ref());
    let prompt = Prompt::open(campaign, &action, Some(&theme), strings, move |e| {
        sink.borrow_mut().push(match e {
            PromptEvent::Answered { question, answer } => {
                format!("answered {question} {}", answer.to_json())
            }
            PromptEvent::Completed => "completed".into(),
            PromptEvent::Dismissed => "dismissed".into(),
            PromptEvent::RewardClaimed { how } => format!("claimed {how}"),
        })
    })
    .expect("the prompt opens");
    // As the SDK does at the next frame.
    prompt.take_focus();
    (prompt, log)
}

fn open(campaign: &str, action: &str) -> (Prompt, Log) {
    open_with(campaign, action, None, None)
}

fn host(campaign: &str) -> Option<Element> {
    doc()
        .query_selector(&format!("wayline-prompt[data-campaign={campaign}]"))
        .unwrap()
}

fn root(campaign: &str) -> ShadowRoot {
    host(campaign)
        .expect("the host is on the page")
        .shadow_root()
        .expect("an open shadow root")
}

fn find(root: &ShadowRoot, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector} in the prompt"))
}

fn focused(root: &ShadowRoot) -> Element {
    root.active_element().expect("the focus is in the prompt")
}

/// A keydown as the browser sends it (bubbling, cancelable) on `target`.
fn press(target: &Element, key: &str) {
    press_with(target, key, false);
}

/// `press`, while an input method composes text or not.
fn press_with(target: &Element, key: &str, composing: bool) {
    let init = Object::new();
    for (k, v) in [
        ("key", JsValue::from_str(key)),
        ("isComposing", composing.into()),
        ("bubbles", true.into()),
        ("cancelable", true.into()),
        ("composed", true.into()),
    ] {
        Reflect::set(&init, &k.into(), &v).unwrap();
    }
    let ctor: Function = Reflect::get(&web_sys::window().unwrap(), &"KeyboardEvent".into())
        .unwrap()
        .unchecked_into();
    let event = Reflect::construct(&ctor, &Array::of2(&"keydown".into(), &init)).unwrap();
    target.dispatch_event(event.unchecked_ref()).unwrap();
}

/// Presses `key` on whatever has the focus in the prompt.
fn press_focused(root: &ShadowRoot, key: &str) {
    press(&focused(root), key);
}

fn click(e: &Element) {
    e.unchecked_ref::<HtmlElement>().click();
}

fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

fn computed(e: &Element, property: &str) -> String {
    let window = web_sys::window().unwrap();
    let get: Function = Reflect::get(&window, &"getComputedStyle".into())
        .unwrap()
        .unchecked_into();
    let style = get.call1(&window, e).unwrap();
    let value: Function = Reflect::get(&style, &"getPropertyValue".into())
        .unwrap()
        .unchecked_into();
    value
        .call1(&style, &property.into())
        .unwrap()
        .as_string()
        .unwrap()
        .trim()
        .to_string()
}

fn log(l: &Log) -> Vec<String> {
    l.borrow().clone()
}

#[wasm_bindgen_test]
fn an_nps_survey_is_answered_with_the_keyboard_only() {
    let (prompt, events) = open(
        "kbd",
        r#"{"type": "survey", "title": "Quick question", "thanks": "Thanks a lot",
            "questions": [{"id": "nps", "type": "nps", "text": "How likely are you to recommend us?"},
                          {"id": "stars", "type": "rating", "text": "Rate the checkout"}]}"#,
    );
    let r = root("kbd");
    let dialog = find(&r, "[role=dialog]");
    assert_eq!(
        dialog.get_attribute("aria-labelledby").as_deref(),
        Some("h")
    );
    assert_eq!(text(&find(&r, "#h")), "Quick question");
    assert_eq!(text(&find(&r, ".p")), "1 of 2");
    let group = find(&r, "[role=radiogroup]");
    assert_eq!(group.get_attribute("aria-labelledby").as_deref(), Some("q"));
    assert_eq!(group.child_element_count(), 11);

    // The focus starts on the group's first radio, the only tab stop.
    let first = focused(&r);
    assert_eq!(first.get_attribute("data-v").as_deref(), Some("0"));
    assert_eq!(first.get_attribute("tabindex").as_deref(), Some("0"));
    for _ in 0..8 {
        press_focused(&r, "ArrowRight");
    }
    let eight = focused(&r);
    assert_eq!(eight.get_attribute("data-v").as_deref(), Some("8"));
    assert_eq!(eight.get_attribute("aria-checked").as_deref(), Some("true"));
    assert_eq!(first.get_attribute("tabindex").as_deref(), Some("-1"));
    assert!(log(&events).is_empty(), "moving is not answering");
    press_focused(&r, "Enter");
    assert_eq!(log(&events), ["answered nps 8"]);

    // The rating: arrows wrap around, Space chooses.
    assert_eq!(text(&find(&r, ".p")), "2 of 2");
    assert_eq!(focused(&r).get_attribute("data-v").as_deref(), Some("1"));
    press_focused(&r, "ArrowLeft");
    assert_eq!(focused(&r).get_attribute("data-v").as_deref(), Some("5"));
    press_focused(&r, "ArrowRight");
    press_focused(&r, "ArrowRight");
    press_focused(&r, "ArrowDown");
    press_focused(&r, "ArrowRight");
    assert_eq!(
        focused(&r).get_attribute("aria-label").as_deref(),
        Some("4")
    );
    press_focused(&r, " ");
    assert_eq!(
        log(&events),
        ["answered nps 8", "answered stars 4", "completed"]
    );

    // The thank-you step: the text in the live region, the focus on the close button, which closes quietly.
    let status = find(&r, "[role=status]");
    assert_eq!(text(&status), "Thanks a lot");
    let close = focused(&r);
    assert_eq!(close.get_attribute("aria-label").as_deref(), Some("Close"));
    press(&close, "Enter");
    assert!(host("kbd").is_none());
    assert!(!prompt.is_open());
    assert_eq!(
        log(&events).len(),
        3,
        "closing after completing is not a dismissal"
    );
}

#[wasm_bindgen_test]
fn a_branch_skips_a_question_and_multiple_choice_is_an_array() {
    let action = r#"{"type": "survey", "questions": [
        {"id": "score", "type": "nps", "text": "Recommend us?", "next": {"9-10": "more", "*": "why"}},
        {"id": "why", "type": "text", "text": "Why?", "placeholder": "Tell us"},
        {"id": "more", "type": "multiple", "text": "What do you like?", "choices": ["Speed", "Price", "Support"]}]}"#;
    let (prompt, events) = open("branch", action);
    let r = root("branch");
    click(&find(&r, "[data-v='9']"));
    assert_eq!(
        text(&find(&r, "#q")),
        "What do you like?",
        "9 skips \"why\""
    );
    assert_eq!(text(&find(&r, ".p")), "3 of 3");
    let boxes = find(&r, "[role=group]");
    assert_eq!(boxes.child_element_count(), 3);
    let speed = find(&r, "[role=checkbox][data-v='0']");
    assert_eq!(focused(&r), speed);
    press(&speed, " ");
    press(&find(&r, "[role=checkbox][data-v='2']"), "Enter");
    click(&find(&r, "[role=checkbox][data-v='1']"));
    click(&find(&r, "[role=checkbox][data-v='1']"));
    assert_eq!(speed.get_attribute("aria-checked").as_deref(), Some("true"));
    let submit = find(&r, "[data-a=n]");
    assert_eq!(text(&submit), "Submit");
    click(&submit);
    assert_eq!(
        log(&events),
        [
            "answered score 9",
            r#"answered more ["Speed","Support"]"#,
            "completed"
        ]
    );
    prompt.close();
    assert!(host("branch").is_none());

    // The other way: a low score asks why; free text is trimmed; an empty answer is not sent.
    let (prompt, events) = open("branch", action);
    let r = root("branch");
    click(&find(&r, "[data-v='3']"));
    let area = find(&r, "textarea");
    assert_eq!(
        area.get_attribute("placeholder").as_deref(),
        Some("Tell us")
    );
    assert_eq!(focused(&r), area);
    Reflect::set(&area, &"value".into(), &"  too slow \n".into()).unwrap();
    let next = find(&r, "[data-a=n]");
    assert_eq!(text(&next), "Next");
    click(&next);
    click(&find(&r, "[data-a=n]"));
    assert_eq!(
        log(&events),
        [
            "answered score 3",
            r#"answered why "too slow""#,
            "completed"
        ]
    );
    prompt.close();
}

#[wasm_bindgen_test]
fn escape_dismisses_removes_the_host_and_gives_the_focus_back() {
    // A button had the focus (from a text field it would stay there: see the typing test below).
    let button = doc().create_element("button").unwrap();
    doc().body().unwrap().append_child(&button).unwrap();
    button.unchecked_ref::<HtmlElement>().focus().unwrap();
    let (prompt, events) = open(
        "esc",
        r#"{"type": "survey", "questions": [{"id": "s", "type": "single", "text": "Pick", "choices": ["a", "b"]}]}"#,
    );
    assert!(prompt.is_open());
    assert_eq!(
        doc().active_element(),
        host("esc"),
        "the focus moved into the prompt"
    );
    let r = root("esc");
    press_focused(&r, "ArrowDown");
    assert_eq!(focused(&r).get_attribute("data-v").as_deref(), Some("1"));
    press_focused(&r, "Escape");
    assert_eq!(log(&events), ["dismissed"]);
    assert!(host("esc").is_none());
    assert!(!prompt.is_open());
    assert_eq!(doc().active_element().as_ref(), Some(&button));
    prompt.close();
    assert_eq!(
        log(&events),
        ["dismissed"],
        "close is idempotent and silent"
    );
    button.remove();

    // The close button dismisses too.
    let (_prompt, events) = open(
        "esc",
        r#"{"type": "reward", "reward": "badge", "badge": "Gold"}"#,
    );
    click(&find(&root("esc"), "[data-a=x]"));
    assert_eq!(log(&events), ["dismissed"]);
    assert!(host("esc").is_none());
}

#[wasm_bindgen_test]
fn config_text_is_shown_as_text() {
    let (prompt, _) = open(
        "xss",
        r#"{"type": "survey", "title": "<script>window.pwned = 1</script>",
            "questions": [{"id": "q", "type": "single", "text": "<img src=x onerror=\"window.pwned = 1\">",
                           "choices": ["<b>bold</b>"]}]}"#,
    );
    let r = root("xss");
    assert_eq!(
        text(&find(&r, "#q")),
        "<img src=x onerror=\"window.pwned = 1\">"
    );
    assert_eq!(text(&find(&r, "#h")), "<script>window.pwned = 1</script>");
    assert_eq!(text(&find(&r, "[role=radio]")), "<b>bold</b>");
    for tag in ["img", "script", "b"] {
        assert!(r.query_selector(tag).unwrap().is_none(), "no {tag} element");
    }
    assert!(Reflect::get(&web_sys::window().unwrap(), &"pwned".into())
        .unwrap()
        .is_undefined());
    prompt.close();
}

#[wasm_bindgen_test]
fn rewards_are_claimed() {
    let (prompt, events) = open(
        "coupon",
        r#"{"type": "reward", "reward": "coupon", "code": "SAVE10", "title": "A gift", "text": "10% off your next order"}"#,
    );
    let r = root("coupon");
    let code = find(&r, ".k");
    assert_eq!(text(&code), "SAVE10");
    assert_eq!(
        computed(&code, "user-select"),
        "all",
        "the code stays selectable"
    );
    let copy = focused(&r);
    assert_eq!(copy.get_attribute("data-a").as_deref(), Some("copy"));
    assert_eq!(text(&copy), "Copy");
    // Headless, the clipboard may refuse: the claim is recorded anyway, once.
    click(&copy);
    press(&copy, "Enter");
    assert_eq!(log(&events), ["claimed copy"]);
    assert!(prompt.is_open());
    press(&copy, "Escape");
    assert_eq!(
        log(&events),
        ["claimed copy"],
        "closing after a claim is not a dismissal"
    );
    assert!(host("coupon").is_none());

    let (prompt, events) = open(
        "points",
        r#"{"type": "reward", "reward": "points", "points": 120}"#,
    );
    let r = root("points");
    assert_eq!(text(&find(&r, ".k")), "120 points");
    assert_eq!(
        find(&r, "[role=dialog]")
            .get_attribute("aria-labelledby")
            .as_deref(),
        Some("k")
    );
    click(&find(&r, "[data-a=ok]"));
    assert_eq!(log(&events), ["claimed ok"]);
    assert!(!prompt.is_open(), "acknowledged, it closes");

    let (prompt, _) = open(
        "ref",
        r#"{"type": "reward", "reward": "referral", "url": "https://shop.example/r/42"}"#,
    );
    let r = root("ref");
    assert_eq!(text(&find(&r, ".k")), "https://shop.example/r/42");
    let can_share = Reflect::get(&web_sys::window().unwrap().navigator(), &"share".into())
        .unwrap()
        .is_function();
    assert_eq!(
        r.query_selector("[data-a=share]").unwrap().is_some(),
        can_share
    );
    prompt.close();

    assert!(Prompt::open(
        "bad",
        &json(r#"{"type": "reward", "reward": "hug"}"#),
        None,
        None,
        |_| {}
    )
    .is_none());
    assert!(Prompt::open("bad", &json(r#"{"type": "custom"}"#), None, None, |_| {}).is_none());
    assert!(host("bad").is_none());
}

#[wasm_bindgen_test]
fn the_theme_becomes_custom_properties_and_the_page_cannot_break_the_prompt() {
    let (prompt, _) = open_with(
        "theme",
        r##"{"type": "survey", "questions": [{"id": "q", "type": "csat", "text": "Happy?"}],
            "theme": {"accentColor": "#ff0000", "radius": 6, "font": "Georgia, serif", "position": "bottom-left",
                      "dark": {"backgroundColor": "#000000"}}}"##,
        Some(r##"{"accentColor": "#00ff00", "textColor": "#123456", "position": "center"}"##),
        None,
    );
    let h = host("theme").unwrap();
    assert_eq!(
        computed(&h, "--wl-accent"),
        "#ff0000",
        "the action's theme wins"
    );
    assert_eq!(
        computed(&h, "--wl-fg"),
        "#123456",
        "the config's theme fills in"
    );
    assert_eq!(computed(&h, "--wl-radius"), "6px");
    assert_eq!(computed(&h, "--wl-font"), "Georgia, serif");
    let r = root("theme");
    let dialog = find(&r, "[role=dialog]");
    assert_eq!(
        dialog.get_attribute("data-pos").as_deref(),
        Some("bottom-left")
    );
    assert_eq!(computed(&dialog, "border-radius"), "6px");
    assert_eq!(computed(&dialog, "font-size"), "15px");

    // A hostile page stylesheet, and a page author's override of one property on the host.
    let style = doc().create_element("style").unwrap();
    style.set_text_content(Some(
        "* { display: block !important; font-size: 40px !important; color: red !important; position: static !important }
         wayline-prompt { --wl-accent: #0000ff }",
    ));
    doc().body().unwrap().append_child(&style).unwrap();
    assert_eq!(computed(&h, "--wl-accent"), "#0000ff");
    assert_eq!(computed(&dialog, "font-size"), "15px");
    assert_eq!(computed(&dialog, "position"), "fixed");
    assert_eq!(computed(&dialog, "color"), "rgb(18, 52, 86)");
    assert_eq!(computed(&find(&r, "[role=radio]"), "font-size"), "15px");
    style.remove();
    prompt.close();
}

#[wasm_bindgen_test]
fn strings_come_from_the_config_for_the_visitors_locale() {
    let lang = web_sys::window().unwrap().navigator().language().unwrap();
    let base = lang.split('-').next().unwrap().to_string();
    let mut strings = wayline::core::json::Map::new();
    let exact = json(r#"{"submit": "Go"}"#);
    let fallback = json(r#"{"submit": "Not this one", "next": "Onward", "close": "Shut"}"#);
    if base != lang {
        strings.insert(lang.clone(), exact);
        strings.insert(base, fallback);
    } else {
        strings.insert(
            lang.clone(),
            json(r#"{"submit": "Go", "next": "Onward", "close": "Shut"}"#),
        );
    }
    let strings = Value::Object(strings);
    let (prompt, _) = open_with(
        "strings",
        r#"{"type": "survey", "questions": [{"id": "a", "type": "text", "text": "One"}, {"id": "b", "type": "text", "text": "Two"}]}"#,
        None,
        Some(&strings),
    );
    let r = root("strings");
    assert_eq!(text(&find(&r, "[data-a=n]")), "Onward");
    assert_eq!(
        find(&r, "[data-a=x]")
            .get_attribute("aria-label")
            .as_deref(),
        Some("Shut")
    );
    click(&find(&r, "[data-a=n]"));
    assert_eq!(text(&find(&r, "[data-a=n]")), "Go");
    prompt.close();
}

#[wasm_bindgen_test]
fn a_visitor_typing_in_a_field_keeps_the_focus() {
    let body = doc().body().unwrap();
    let survey =
        r#"{"type": "survey", "questions": [{"id": "q", "type": "csat", "text": "How was it?"}]}"#;
    for (markup, editing) in [
        ("<input type=email>", true),
        ("<textarea></textarea>", true),
        ("<div contenteditable=true tabindex=0>notes</div>", true),
        ("<input readonly>", true),
        ("<input type=bogus>", true),
        ("<select><option>one</option></select>", true),
        ("<input type=checkbox>", false),
        ("<input type=RANGE>", false),
        ("<div contenteditable=false tabindex=0>notes</div>", false),
        ("<button>Buy</button>", false),
    ] {
        let holder = doc().create_element("div").unwrap();
        holder.set_inner_html(markup);
        body.append_child(&holder).unwrap();
        let field: HtmlElement = holder.first_element_child().unwrap().unchecked_into();
        field.focus().unwrap();
        let (prompt, _) = open("typing", survey);
        let active = doc().active_element().unwrap();
        if editing {
            assert!(
                active == *field.unchecked_ref::<Element>(),
                "{markup} keeps the focus"
            );
        } else {
            assert_eq!(
                focused(&root("typing")).get_attribute("role").as_deref(),
                Some("radio"),
                "from {markup} the focus moves to the prompt"
            );
        }
        prompt.close();
        holder.remove();
    }
}

#[wasm_bindgen_test]
fn copy_hands_the_clipboard_the_code_or_link_shown() {
    // navigator.clipboard replaced by one that keeps what it is given (and refuses nothing).
    let nav: JsValue = web_sys::window().unwrap().navigator().into();
    let copied: Log = Rc::default();
    let sink = copied.clone();
    let write =
        wasm_bindgen::closure::Closure::<dyn Fn(JsValue) -> JsValue>::new(move |t: JsValue| {
            sink.borrow_mut()
                .push(t.as_string().unwrap_or_else(|| "(not a string)".into()));
            js_sys::Promise::resolve(&JsValue::UNDEFINED).into()
        });
    let clipboard = Object::new();
    Reflect::set(&clipboard, &"writeText".into(), write.as_ref()).unwrap();
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"value".into(), &clipboard).unwrap();
    Reflect::set(&descriptor, &"configurable".into(), &true.into()).unwrap();
    let before =
        Object::get_own_property_descriptor(nav.unchecked_ref::<Object>(), &"clipboard".into());
    Object::define_property(
        nav.unchecked_ref::<Object>(),
        &"clipboard".into(),
        &descriptor,
    );

    for (campaign, action, shown) in [
        (
            "copy-coupon",
            r#"{"type": "reward", "reward": "coupon", "code": "SAVE10 <b>", "url": "https://no.example"}"#,
            "SAVE10 <b>",
        ),
        (
            "copy-ref",
            r#"{"type": "reward", "reward": "referral", "url": "https://shop.example/r/42", "code": "NO"}"#,
            "https://shop.example/r/42",
        ),
        (
            "copy-empty",
            r#"{"type": "reward", "reward": "coupon"}"#,
            "",
        ),
    ] {
        let (prompt, _) = open(campaign, action);
        click(&find(&root(campaign), "[data-a=copy]"));
        assert_eq!(
            copied.borrow_mut().pop().as_deref(),
            Some(shown),
            "{campaign}"
        );
        prompt.close();
    }

    // The page's own clipboard back (an own property of navigator only if it was one).
    if before.is_undefined() {
        Reflect::delete_property(nav.unchecked_ref::<Object>(), &"clipboard".into()).unwrap();
    } else {
        Object::define_property(
            nav.unchecked_ref::<Object>(),
            &"clipboard".into(),
            before.unchecked_ref(),
        );
    }
    write.forget();
}

#[wasm_bindgen_test]
fn a_visitor_typing_in_a_components_field_or_a_frame_keeps_the_focus() {
    let body = doc().body().unwrap();
    let survey =
        r#"{"type": "survey", "questions": [{"id": "q", "type": "nps", "text": "Recommend us?"}]}"#;

    // A text field inside a web component (an open shadow root): the page's active element is the component.
    let component = doc().create_element("div").unwrap();
    body.append_child(&component).unwrap();
    let init = Object::new();
    Reflect::set(&init, &"mode".into(), &"open".into()).unwrap();
    let attach: Function = Reflect::get(&component, &"attachShadow".into())
        .unwrap()
        .unchecked_into();
    let shadow: ShadowRoot = attach.call1(&component, &init).unwrap().unchecked_into();
    shadow.set_inner_html("<label>Name <input type=text></label>");
    let field: HtmlElement = shadow
        .query_selector("input")
        .unwrap()
        .unwrap()
        .unchecked_into();
    field.focus().unwrap();
    assert_eq!(doc().active_element().as_ref(), Some(&component));
    let (prompt, events) = open("typing-inside", survey);
    assert_eq!(
        shadow.active_element().as_ref(),
        Some(field.unchecked_ref::<Element>()),
        "the component's field keeps the focus"
    );
    assert_eq!(doc().active_element().as_ref(), Some(&component));
    // A space typed next goes to the field, not to the prompt's first radio.
    assert!(log(&events).is_empty());
    prompt.close();
    component.remove();

    // A frame (a card form, a chat widget): what has the focus inside it cannot be seen, so it keeps it.
    let frame = doc().create_element("iframe").unwrap();
    body.append_child(&frame).unwrap();
    let inner: Document = Reflect::get(&frame, &"contentDocument".into())
        .unwrap()
        .unchecked_into();
    inner.body().unwrap().set_inner_html("<input type=text>");
    let field: HtmlElement = inner
        .query_selector("input")
        .unwrap()
        .unwrap()
        .unchecked_into();
    field.focus().unwrap();
    assert_eq!(doc().active_element().as_ref(), Some(&frame));
    let (prompt, _) = open("typing-frame", survey);
    assert_eq!(
        doc().active_element().as_ref(),
        Some(&frame),
        "the frame keeps the focus"
    );
    prompt.close();
    frame.remove();
}

/// Where the browser cannot construct a stylesheet (Safari before 16.4), the prompt still shows, styled by a
/// `<style>` element in its shadow root; and a prompt shown before the page has a body (a script in the head) goes
/// on the root element. Either way its show was already recorded, so it must be on screen.
#[wasm_bindgen_test]
fn a_prompt_shows_without_constructable_stylesheets_and_before_the_body_exists() {
    let window: JsValue = web_sys::window().unwrap().into();
    let constructor = Reflect::get(&window, &"CSSStyleSheet".into()).unwrap();
    Reflect::set(&window, &"CSSStyleSheet".into(), &JsValue::UNDEFINED).unwrap();
    let opened = Prompt::open(
        "old-safari",
        &json(
            r#"{"type": "survey", "questions": [{"id": "q", "type": "nps", "text": "Recommend us?"}]}"#,
        ),
        None,
        None,
        |_| {},
    );
    Reflect::set(&window, &"CSSStyleSheet".into(), &constructor).unwrap();
    let prompt = opened.expect("the prompt opens");
    let shadow = root("old-safari");
    let style = find(&shadow, "style");
    assert!(style.text_content().unwrap_or_default().contains(":host"));
    assert!(find(&shadow, "[role=dialog]").is_connected());
    prompt.close();

    let body = doc().body().unwrap();
    body.remove();
    let opened = Prompt::open(
        "no-body",
        &json(r#"{"type": "reward", "reward": "coupon", "code": "SAVE10"}"#),
        None,
        None,
        |_| {},
    );
    doc()
        .document_element()
        .unwrap()
        .append_child(&body)
        .unwrap();
    let prompt = opened.expect("the prompt opens");
    let host = host("no-body").expect("the host is on the page");
    assert_eq!(
        host.parent_element().map(|p| p.tag_name()),
        Some("HTML".to_string())
    );
    prompt.close();
}

/// Escape while an input method composes text in the free-text box ends the composition, not the survey.
#[wasm_bindgen_test]
fn escape_while_composing_text_does_not_dismiss() {
    let (prompt, events) = open(
        "ime",
        r#"{"type": "survey", "questions": [{"id": "why", "type": "text", "text": "Why?"}]}"#,
    );
    let r = root("ime");
    let field = find(&r, "textarea");
    press_with(&field, "Escape", true);
    assert!(prompt.is_open());
    assert!(log(&events).is_empty());
    press_with(&field, "Escape", false);
    assert_eq!(log(&events), ["dismissed"]);
    prompt.close();
}

/// What the visitor typed or ticked and did not submit is still an answer when they close the survey or leave the
/// page (SPEC §7: answers recorded when the visitor leaves half-way): sent before `Dismissed`, or as the page is
/// left, and not a second time if the same answer is then submitted (a page back from the back/forward cache).
#[wasm_bindgen_test]
fn an_answer_typed_or_ticked_but_not_submitted_is_sent_on_dismissal_or_leaving() {
    let (prompt, events) = open(
        "typed",
        r#"{"type": "survey", "questions": [{"id": "why", "type": "text", "text": "What stopped you?"}]}"#,
    );
    let r = root("typed");
    Reflect::set(
        &find(&r, "textarea"),
        &"value".into(),
        &"shipping cost ".into(),
    )
    .unwrap();
    click(&find(&r, "[data-a=x]"));
    assert_eq!(
        log(&events),
        [r#"answered why "shipping cost""#, "dismissed"]
    );
    assert!(!prompt.is_open());

    let (prompt, events) = open(
        "ticked",
        r#"{"type": "survey", "questions": [{"id": "m", "type": "multiple", "text": "Which?", "choices": ["a", "b", "c"]}]}"#,
    );
    let r = root("ticked");
    click(&find(&r, "[data-a=t][data-v='2']"));
    press_focused(&r, "Escape");
    assert_eq!(log(&events), [r#"answered m ["c"]"#, "dismissed"]);
    prompt.close();

    // Nothing typed: a plain dismissal.
    let (prompt, events) = open(
        "empty",
        r#"{"type": "survey", "questions": [{"id": "why", "type": "text", "text": "Why?"}]}"#,
    );
    click(&find(&root("empty"), "[data-a=x]"));
    assert_eq!(log(&events), ["dismissed"]);
    prompt.close();

    let (prompt, events) = open(
        "left",
        r#"{"type": "survey", "questions": [{"id": "why", "type": "text", "text": "Why?"}]}"#,
    );
    let r = root("left");
    Reflect::set(&find(&r, "textarea"), &"value".into(), &"too slow".into()).unwrap();
    let leave = web_sys::Event::new("pagehide").unwrap();
    web_sys::window().unwrap().dispatch_event(&leave).unwrap();
    assert_eq!(log(&events), [r#"answered why "too slow""#]);
    assert!(
        prompt.is_open(),
        "the page is going away; the prompt stays as it is"
    );
    click(&find(&r, "[data-a=n]"));
    assert_eq!(
        log(&events),
        [r#"answered why "too slow""#, "completed"],
        "the same answer is not sent twice"
    );
    prompt.close();
}

/// A phone's browser may kill a hidden tab without `pagehide`: what the visitor typed is sent when the page is hidden
/// (`visibilitychange`), and not again when they come back and submit the same answer.
#[wasm_bindgen_test]
fn an_answer_not_submitted_is_sent_when_the_page_is_hidden() {
    let (prompt, events) = open(
        "hidden",
        r#"{"type": "survey", "questions": [{"id": "why", "type": "text", "text": "Why?"}, {"id": "more", "type": "text", "text": "More?"}]}"#,
    );
    let r = root("hidden");
    Reflect::set(&find(&r, "textarea"), &"value".into(), &"no time".into()).unwrap();
    // `visibilityState` as a browser sets it when the tab is hidden or shown again, then the event.
    let set_visibility = |state: &str| {
        Function::new_with_args(
            "state",
            "Object.defineProperty(document, 'visibilityState', { get: () => state, configurable: true });\
             document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));",
        )
        .call1(&JsValue::NULL, &state.into())
        .unwrap();
    };
    set_visibility("hidden");
    assert_eq!(log(&events), [r#"answered why "no time""#]);
    set_visibility("visible");
    assert_eq!(
        log(&events),
        [r#"answered why "no time""#],
        "coming back sends nothing"
    );
    click(&find(&r, "[data-a=n]"));
    assert_eq!(
        log(&events),
        [r#"answered why "no time""#],
        "the same answer is not sent twice"
    );
    assert!(prompt.is_open(), "on to the next question");
    Reflect::delete_property(&doc(), &"visibilityState".into()).unwrap();
    prompt.close();
}

/// Points are written as the visitor's locale writes numbers; where the browser refuses the locale tag (a page's
/// own `navigator.language`), as JSON's digits, and the prompt still opens.
#[wasm_bindgen_test]
fn points_follow_the_locale_and_a_tag_the_browser_refuses_gives_plain_digits() {
    let set_language = |tag: &str| {
        Function::new_with_args(
            "tag",
            "Object.defineProperty(navigator, 'language', { get: () => tag, configurable: true });",
        )
        .call1(&JsValue::NULL, &tag.into())
        .unwrap();
    };
    for (tag, points, shown) in [
        ("en-US", "1234567.5", "1,234,567.5 points"),
        ("de", "1234567.5", "1.234.567,5 points"),
        ("not a locale!", "1234567", "1234567 points"),
    ] {
        set_language(tag);
        let action = format!(r#"{{"type": "reward", "reward": "points", "points": {points}}}"#);
        let (prompt, _) = open("locale-points", &action);
        assert_eq!(text(&find(&root("locale-points"), ".k")), shown, "{tag}");
        prompt.close();
    }
    let navigator = web_sys::window().unwrap().navigator();
    Reflect::delete_property(&navigator, &"language".into()).unwrap();
}

/// One point is "1 point", not "1 points" (the `point` string, also per locale).
#[wasm_bindgen_test]
fn one_point_is_singular() {
    let (prompt, _) = open(
        "one-point",
        r#"{"type": "reward", "reward": "points", "points": 1}"#,
    );
    assert_eq!(text(&find(&root("one-point"), ".k")), "1 point");
    prompt.close();
}

/// A button inside a web component (an open shadow root) had the focus: it gets it back when the prompt closes,
/// not the component's host (which cannot take it, leaving the focus nowhere).
#[wasm_bindgen_test]
fn the_focus_goes_back_into_the_web_component_that_had_it() {
    let component = doc().create_element("div").unwrap();
    doc().body().unwrap().append_child(&component).unwrap();
    let init = Object::new();
    Reflect::set(&init, &"mode".into(), &"open".into()).unwrap();
    let attach: Function = Reflect::get(&component, &"attachShadow".into())
        .unwrap()
        .unchecked_into();
    let shadow: ShadowRoot = attach.call1(&component, &init).unwrap().unchecked_into();
    shadow.set_inner_html("<button>Buy</button>");
    let button = shadow.query_selector("button").unwrap().unwrap();
    button.unchecked_ref::<HtmlElement>().focus().unwrap();
    let (prompt, _) = open(
        "component",
        r#"{"type": "survey", "questions": [{"id": "q", "type": "nps", "text": "Recommend us?"}]}"#,
    );
    assert_eq!(
        doc().active_element(),
        host("component"),
        "the focus moved into the prompt"
    );
    press_focused(&root("component"), "Escape");
    assert!(!prompt.is_open());
    assert_eq!(doc().active_element().as_ref(), Some(&component));
    assert_eq!(
        shadow.active_element().as_ref(),
        Some(&button),
        "the component's button has the focus again"
    );
    component.remove();
}

/// A word longer than the dialog is wide (a URL, a product code, a long compound) wraps: nothing in the dialog
/// scrolls or runs out sideways, at 320 px or wider.
#[wasm_bindgen_test]
fn long_words_wrap_inside_the_dialog() {
    let long = "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen".repeat(2);
    for (campaign, action) in [
        (
            "long-survey",
            format!(
                r#"{{"type": "survey", "title": "{long}", "questions": [{{"id": "s", "type": "single", "text": "{long}", "choices": ["{long}", "b"]}}]}}"#
            ),
        ),
        (
            "long-reward",
            format!(
                r#"{{"type": "reward", "reward": "badge", "text": "{long}", "badge": "{long}"}}"#
            ),
        ),
        (
            "long-thanks",
            format!(
                r#"{{"type": "survey", "thanks": "{long}", "questions": [{{"id": "q", "type": "csat", "text": "Ok?"}}]}}"#
            ),
        ),
    ] {
        let (prompt, _) = open(campaign, &action);
        let r = root(campaign);
        if campaign == "long-thanks" {
            press_focused(&r, "Enter");
        }
        let dialog = find(&r, "[role=dialog]");
        assert!(
            dialog.scroll_width() <= dialog.client_width(),
            "{campaign}: {} wide in {}",
            dialog.scroll_width(),
            dialog.client_width()
        );
        prompt.close();
    }
}

/// A page whose element claims a shadow root focused on itself (a getter, not a real one) does not hold the prompt
/// in an endless search for the focused element.
#[wasm_bindgen_test]
fn a_shadow_root_that_points_back_at_its_host_does_not_hang_the_prompt() {
    let body = doc().body().unwrap();
    let button: HtmlElement = doc().create_element("button").unwrap().unchecked_into();
    body.append_child(&button).unwrap();
    let fake = Object::new();
    Reflect::set(&fake, &"activeElement".into(), &button).unwrap();
    let descriptor = Object::new();
    Reflect::set(&descriptor, &"value".into(), &fake).unwrap();
    Object::define_property(
        button.unchecked_ref::<Object>(),
        &"shadowRoot".into(),
        &descriptor,
    );
    button.focus().unwrap();
    let survey =
        r#"{"type": "survey", "questions": [{"id": "q", "type": "nps", "text": "Recommend us?"}]}"#;
    let (prompt, _) = open("self-shadow", survey);
    assert!(prompt.is_open());
    prompt.close();
    button.remove();
}
