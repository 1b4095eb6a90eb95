//! The prompt UI: a survey or a reward prompt rendered in a Shadow DOM root (`docs/prompts.md`).
//!
//! `Prompt::open` builds the whole dialog under a `<wayline-prompt>` host appended to `document.body`; the
//! shadow root adopts a constructed stylesheet (a strict CSP blocks `<style>`), and config text only ever goes
//! in through `textContent` and attributes. One closure listens for `click` and `keydown` on the shadow root and
//! dispatches on the target's `data-a` (and `data-v`); it also receives the clipboard and share promises'
//! results. It lives until the prompt closes: it holds the prompt, and closing drops it, which ends the cycle.
//!
//! Reentrancy: the state's `RefCell` is only borrowed inside that listener, never while `on_event` runs, focus
//! moves or the host is removed (which can run page code synchronously); `close` and `is_open` never borrow it.

mod dom;
mod reward;
mod strings;
mod style;
mod survey;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, Element, ShadowRoot};

use crate::core::json::Value;
use crate::web::convert::{is_true, Handler};
use strings::Strings;

/// The smallest viewport (CSS px, width and height) a prompt is shown in: below it the window is a hidden or tiny
/// frame, where a prompt could not be seen or used (its controls need about this much; it is laid out for 320 px
/// and up).
pub const MIN_VIEWPORT: (f64, f64) = (200.0, 100.0);

/// The string at `v[key]`, or "".
fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The place of `kind` among the `|`-separated names of `table` (past the last for any other): a type read once
/// as a number, then compared as one (each comparison of strings is code of its own).
fn kind_of(table: &str, kind: &str) -> usize {
    crate::core::url::field_position(table, b'|', kind)
}

/// What the visitor did, reported to the SDK. Never called while the prompt module holds a RefCell borrow.
pub enum PromptEvent {
    /// One question answered; sent as soon as the visitor moves past the question, so partial answers are kept.
    /// `answer` is a number (nps 0–10, csat 1–5, rating 1–5), a string (single choice, free text) or an array of
    /// strings (multiple).
    Answered { question: String, answer: Value },
    /// The last step of a survey was answered (the thank-you step now shows).
    Completed,
    /// Closed by the visitor before completing (close button or Escape).
    Dismissed,
    /// A reward was claimed: `how` is "copy" (coupon code or referral link copied), "share" (navigator.share),
    /// or "ok" (points/badge acknowledged).
    RewardClaimed { how: &'static str },
}

/// An open prompt (a cheap handle: clones share it).
#[derive(Clone)]
pub struct Prompt(Rc<Inner>);

/// The SDK's one callback type: a closure of its own would add a vtable, a call shim and drop code.
type Listener = crate::web::convert::Callback;

/// What the prompt's listener holds (a [`Handler::Prompt`]): the prompt, and what its events are reported to.
pub struct Listening(Rc<Inner>, Box<dyn Fn(PromptEvent)>);

impl Listening {
    pub(crate) fn handle(&self, v: JsValue) {
        handle(&self.0, &*self.1, v);
    }
}

/// `root[method](event, f)` for the events the listener handles (`addEventListener`, `removeEventListener`).
fn listen(root: &JsValue, method: &'static str, f: &JsValue) {
    for t in &["click", "keydown"] {
        dom::call(root, method, &(*t).into(), f);
    }
    // The page's window: its `pagehide`, and `visibilitychange` (which bubbles there from the document): a
    // phone's browser may kill a hidden tab without `pagehide`.
    let window = dom::prop(&dom::prop(root, "ownerDocument"), "defaultView");
    for t in &["pagehide", "visibilitychange"] {
        dom::call(&window, method, &(*t).into(), f);
    }
}

struct Inner {
    open: Cell<bool>,
    host: Element,
    root: ShadowRoot,
    /// What had the focus before the prompt opened (inside a web component, the element focused there).
    prev: Option<Element>,
    listener: Cell<Option<Listener>>,
    /// Clipboard and share promises not yet settled: they call the listener, which must outlive them.
    pending: Cell<u32>,
    /// The control the focus moves to ([`Prompt::take_focus`]), until it has.
    first: Cell<Option<Element>>,
    ui: RefCell<Ui>,
}

/// The dialog's elements and where the visitor is in it.
struct Ui {
    action: Value,
    strings: Strings,
    dialog: Element,
    close: Element,
    /// The current step's content.
    body: Element,
    /// The status line (a polite live region): "Copied", the thank-you text.
    live: Element,
    /// A coupon code or referral URL, selected when the clipboard refuses.
    code: Option<Element>,
    titled: bool,
    /// The listener as a JS function, for promise callbacks.
    listener: JsValue,
    /// The current question.
    step: usize,
    /// Multiple choice: the indexes checked, as bits.
    picked: u64,
    /// Clipboard writes not yet settled.
    copies: u32,
    /// Completed or claimed: closing now is not a dismissal.
    done: bool,
    /// The current question's answer as sent when the page was left (see [`Ui::unsent`]).
    sent: Option<Value>,
}

/// What a handled event leads to, done once the state is no longer borrowed.
#[derive(Default)]
struct After {
    /// At most one event per DOM event or promise result, then possibly `Completed`: an answer to the last
    /// question is `Answered` then `Completed`; a dismissal or a claim is alone.
    event: Option<PromptEvent>,
    /// Then `Dismissed` (after the answer the visitor had not sent, if any).
    dismissed: bool,
    completed: bool,
    close: bool,
    focus: Option<Element>,
    /// Promises handed the listener.
    promises: u32,
}

impl Prompt {
    /// Renders `action` (the campaign's action object as written in the config: `{"type": "survey"|"reward",
    /// ...}`) for campaign `campaign`. `theme` is the campaign's theme as the compiler renders it (`[CSS,
    /// position]`: `core::campaigns::theme::render`), if any; `strings` is the config's top-level `strings` object
    /// if any (per-locale UI strings). Returns None if the document is unavailable, the action is not renderable,
    /// or the window has no room for a usable prompt: a viewport, or the box of a frame of the page's origin, under
    /// [`MIN_VIEWPORT`] (none for a frame hidden with `display: none`), where nobody would see or use it.
    pub fn open(
        campaign: &str,
        action: &Value,
        theme: Option<&Value>,
        strings: Option<&Value>,
        on_event: impl Fn(PromptEvent) + 'static,
    ) -> Option<Prompt> {
        let survey = match text(action, "type") {
            "survey" => true,
            "reward" => false,
            _ => return None,
        };
        let window = crate::web::env::window()?;
        // In a frame of the page's origin, the frame's box (none when it or an element around it is hidden with
        // `display: none`; a frame hidden after it was laid out keeps its viewport); elsewhere (the top window, a
        // frame of another origin) the viewport (none in a frame hidden from the start).
        let frame = dom::prop(&window, "frameElement");
        let (o, w, h) = match frame.is_object() {
            true => (&frame, "offsetWidth", "offsetHeight"),
            false => (window.as_ref(), "innerWidth", "innerHeight"),
        };
        let size = |key| crate::web::convert::number(o, key);
        if size(w) < MIN_VIEWPORT.0 || size(h) < MIN_VIEWPORT.1 {
            return None;
        }
        let doc = crate::web::convert::prop_object(&window, "document")?;
        // A script in the head can show a prompt before the body exists: the root element holds it then.
        let page = dom::elem(&doc, "body").or_else(|| dom::elem(&doc, "documentElement"))?;
        let host = dom::create(&doc, "wayline-prompt");
        dom::set(&host, "data-campaign", campaign);
        let init = crate::web::convert::parsed(r#"{"mode":"open"}"#);
        let root: ShadowRoot = dom::call1(&host, "attachShadow", &init)?.unchecked_into();
        // A constructed sheet, which a strict Content-Security-Policy allows; a `<style>` element where the browser
        // cannot construct one (Safari before 16.4), rather than no prompt at all after its show was recorded.
        let css = style::sheet(theme);
        let adopted = CssStyleSheet::new()
            .ok()
            .and_then(|sheet| dom::call_str(&sheet, "replaceSync", &css).map(|_| sheet));
        match adopted {
            Some(sheet) => {
                let sheets = crate::web::convert::array();
                dom::call1(&sheets, "push", &sheet);
                dom::put(&root, "adoptedStyleSheets", &sheets);
            }
            None => {
                dom::add(&root, "style", &css);
            }
        }

        let lang = dom::prop(&dom::prop(&window, "navigator"), "language");
        let strings = Strings::new(strings, lang);
        // Focusable but not a tab stop: a click on its text (not a control) leaves the focus in the dialog, where
        // Escape and the other keys are heard, rather than on the page's body.
        let dialog = dom::add(
            &root,
            "div|class|d|role|dialog|aria-modal|false|tabindex|-1",
            "",
        );
        dom::set(&dialog, "data-pos", style::position(theme));
        let close = dom::add(&dialog, "button|class|x|type|button|data-a|x", "×");
        dom::set(&close, "aria-label", strings.get(strings::CLOSE));
        let title = text(action, "title");
        let titled = !title.is_empty();
        if titled {
            dom::add(&dialog, "h2|id|h", title);
            dom::set(&dialog, "aria-labelledby", "h");
        }
        let body = dom::add(&dialog, "div", "");
        let live = dom::add(&dialog, "p|class|s|id|s|role|status", "");
        let mut ui = Ui {
            action: action.clone(),
            strings,
            dialog,
            close,
            body,
            live,
            code: None,
            titled,
            listener: JsValue::UNDEFINED,
            step: 0,
            picked: 0,
            copies: 0,
            done: false,
            sent: None,
        };
        let first = if survey { ui.question(0) } else { ui.reward() }?;

        let inner = Rc::new(Inner {
            open: Cell::new(true),
            prev: focused(&doc),
            host,
            root,
            listener: Cell::new(None),
            pending: Cell::new(0),
            first: Cell::new(Some(first)),
            ui: RefCell::new(ui),
        });
        let listener = Listener::of(Handler::Prompt(Listening(
            inner.clone(),
            Box::new(on_event),
        )));
        let f: &Function = listener.as_ref().unchecked_ref();
        listen(&inner.root, "addEventListener", f);
        if let Ok(mut ui) = inner.ui.try_borrow_mut() {
            ui.listener = f.clone().into();
        }
        inner.listener.set(Some(listener));
        if dom::call1(&page, "appendChild", &inner.host).is_none() {
            inner.close();
            return None;
        }
        Some(Prompt(inner))
    }

    /// Moves the focus to the prompt's first control, once: unless the visitor is typing in a field, which keeps
    /// the focus (the prompt is not modal, appears beside the form and is reached with Tab), or the focus moved
    /// since the prompt opened (the page's or the visitor's move comes first). Apart from [`Prompt::open`] because
    /// moving the focus lays the page out: the SDK does it at the next frame, which lays the page out anyway, rather
    /// than in the task that built the prompt.
    pub fn take_focus(&self) {
        let Some(first) = self.0.first.take() else {
            return;
        };
        let now = focused(&dom::prop(&self.0.host, "ownerDocument"));
        if self.is_open() && now == self.0.prev && !now.as_ref().is_some_and(is_editing) {
            dom::focus(&first);
        }
    }

    /// The focus stays where it is: [`Prompt::take_focus`] does nothing.
    pub fn leave_focus(&self) {
        self.0.first.take();
    }

    /// Removes the prompt from the page (the SDK calls this on reset); restores focus. Idempotent.
    pub fn close(&self) {
        self.0.close();
    }

    /// The campaign it shows.
    pub fn campaign(&self) -> String {
        dom::attr(&self.0.host, "data-campaign")
    }

    /// Whether it is still on the page.
    pub fn is_open(&self) -> bool {
        self.0.open.get() && is_true(&dom::prop(&self.0.host, "isConnected"))
    }
}

impl Inner {
    fn close(&self) {
        if !self.open.replace(false) {
            return;
        }
        let listener = self.listener.take();
        if let Some(l) = &listener {
            let f: &Function = l.as_ref().unchecked_ref();
            listen(&self.root, "removeEventListener", f);
        }
        // Give the focus back only if it is still ours (or nobody's: no active element, or the body): the dialog
        // is not modal.
        let doc = dom::prop(&self.host, "ownerDocument");
        let active = dom::prop(&doc, "activeElement");
        let host: &JsValue = &self.host;
        let restore = !active.is_object() || active == *host || active == dom::prop(&doc, "body");
        dom::call0(&self.host, "remove");
        if restore {
            if let Some(p) = &self.prev {
                dom::focus(p);
            }
        }
        // Dropped last: when closing from inside the listener, wasm-bindgen frees it once the call returns. A
        // promise still to settle keeps it until then (see `handle`).
        if self.pending.get() > 0 {
            self.listener.set(listener);
        }
    }
}

/// The element with the focus in the page (see [`focused`]).
pub fn focused_in_page() -> Option<Element> {
    focused(&dom::prop(&crate::web::env::window()?.into(), "document"))
}

/// The element with the focus, looking through open shadow roots to the one focused inside a web component: the
/// focus goes back to that one (the component's host itself may not take it), and it is the one typed into.
fn focused(doc: &JsValue) -> Option<Element> {
    let mut e = dom::elem(doc, "activeElement")?;
    // A bounded number of levels: a page's own `shadowRoot` getter may point back at its host.
    for _ in 0..32 {
        match dom::elem(&dom::prop(&e, "shadowRoot"), "activeElement") {
            Some(inner) => e = inner,
            None => break,
        }
    }
    Some(e)
}

/// Whether `e` (the element with the focus: [`focused`]) takes typed text: a text-like `<input>`, a `<textarea>`,
/// a `<select>` or editable content (`:read-write` outside inputs and textareas is exactly `isContentEditable`); or
/// a frame, whose focused element cannot be seen.
fn is_editing(e: &Element) -> bool {
    dom::call_str(e, "matches", EDITING).is_some_and(|m| is_true(&m))
}

const EDITING: &str =
    "textarea,select,iframe,:read-write,input:not([type=button i],[type=checkbox i],[type=color i],\
    [type=file i],[type=image i],[type=radio i],[type=range i],[type=reset i],[type=submit i])";

/// The shadow root's listener: a DOM event, or a clipboard or share promise's result (`undefined` when it
/// worked, an error when it did not).
fn handle(inner: &Rc<Inner>, on_event: &dyn Fn(PromptEvent), v: JsValue) {
    // Only an event has an `eventPhase` (a promise's result is `undefined` or an error): cheaper than an
    // `instanceof Event`, which would be an import of its own.
    let event = dom::prop(&v, "eventPhase").as_f64().is_some();
    if !event {
        inner.pending.set(inner.pending.get().saturating_sub(1));
        if !inner.open.get() {
            if inner.pending.get() == 0 {
                drop(inner.listener.take());
            }
            return;
        }
    }
    let after = {
        let Ok(mut ui) = inner.ui.try_borrow_mut() else {
            return;
        };
        let mut after = After::default();
        if event {
            ui.on_dom(&v, &mut after);
        } else {
            ui.settled(v == **crate::web::convert::UNDEFINED);
        }
        after
    };
    inner.pending.set(inner.pending.get() + after.promises);
    if after.close {
        inner.close();
    }
    if let Some(f) = &after.focus {
        dom::focus(f);
    }
    if let Some(e) = after.event {
        on_event(e);
    }
    if after.dismissed {
        on_event(PromptEvent::Dismissed);
    }
    if after.completed {
        on_event(PromptEvent::Completed);
    }
}

impl Ui {
    fn on_dom(&mut self, e: &JsValue, after: &mut After) {
        // The page is left or hidden with the prompt open: what the visitor typed or ticked is sent (the SDK's
        // own `pagehide` and `visibilitychange` listeners came first and go on writing what is recorded after
        // them). The page shown again sends nothing.
        let kind = crate::web::convert::text(e, "type");
        if kind == "pagehide" || kind == "visibilitychange" {
            let doc = dom::prop(&self.dialog, "ownerDocument");
            if kind == "pagehide" || crate::web::env::is_hidden(&doc) {
                after.event = self.unsent();
            }
            return;
        }
        // None for a click.
        let key = dom::prop(e, "key").as_string();
        // Escape while an input method composes text (Japanese, Chinese, ...) cancels the composition, not the
        // survey.
        if key.as_deref() == Some("Escape")
            && !crate::web::convert::is_true(&dom::prop(e, "isComposing"))
        {
            // Taken here, as the topmost of nested dialogs takes it: a page dialog under the prompt that closes on
            // Escape stays open.
            dom::call0(e, "stopPropagation");
            self.dismiss(after);
            return;
        }
        // The second click of a double click lands on what the first put there (the next question's option at
        // the same place): it chooses nothing. (A key's `detail` is 0.)
        if crate::web::convert::number(e, "detail") > 1.0 {
            return;
        }
        let Some(target) =
            dom::call_str(&dom::prop(e, "target"), "closest", "[data-a]").and_then(dom::as_elem)
        else {
            return;
        };
        let a = dom::attr(&target, "data-a");
        if let Some(k) = key.as_deref() {
            if k != "Enter" && k != " " {
                // Arrow keys, Home and End move through a radiogroup; the radio under focus is the one checked.
                if a == "v" {
                    if let Some(r) = dom::step(&target, k) {
                        dom::call0(e, "preventDefault");
                        dom::check(&r);
                        after.focus = Some(r);
                    }
                }
                return;
            }
            // Handled here, so the browser must not click as well; a held-down key answers only once.
            dom::call0(e, "preventDefault");
            if is_true(&dom::prop(e, "repeat")) {
                return;
            }
        }
        match a.as_str() {
            "x" => self.dismiss(after),
            "v" => self.answer(Some(&target), after),
            "t" => self.toggle(&target),
            "n" => self.answer(None, after),
            "copy" => self.send(false, after),
            "share" => self.send(true, after),
            "ok" => {
                self.claim("ok", after);
                after.close = true;
            }
            _ => {}
        }
    }

    fn dismiss(&mut self, after: &mut After) {
        after.close = true;
        after.event = self.unsent();
        after.dismissed = !self.done;
        self.done = true;
    }

    /// Empties the step's content and the status line.
    fn clear(&self) {
        dom::set_text(&self.body, "");
        dom::set_text(&self.live, "");
    }

    /// Names the dialog by element `id` unless a title does.
    fn label(&self, id: &str) {
        if !self.titled {
            dom::set(&self.dialog, "aria-labelledby", id);
        }
    }

    /// Shows a UI string (its index in `STRING_KEYS`) in the status line.
    fn say(&self, key: usize) {
        let said = self.strings.get(key);
        // A screen reader announces a live region's text when it changes: the same words said again (a second
        // "Copied") end in a no-break space this time, which is not read, so that they are announced again.
        let mut text = said.to_string();
        if crate::web::convert::text(&self.live, "textContent") == said {
            text.push('\u{a0}');
        }
        dom::set_text(&self.live, &text);
    }
}
