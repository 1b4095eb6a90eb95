//! Reward prompts: a coupon code to copy, points or a badge to acknowledge, a referral link to copy or share.
//! The claim is recorded when the visitor acts, whatever the clipboard then does; "Copied" shows once the
//! clipboard has the text, and if it refuses, the text is selected for copying by hand.

use web_sys::Element;

use super::strings::{self, fill};
use super::{dom, text, After, PromptEvent, Ui};
use crate::core::json::{write_number, Value};

/// The buttons (Share only ever follows Copy).
const COPY: &str = "button|class|n|type|button|data-a|copy";
const SHARE: &str = "button|class|n n2|type|button|data-a|share";
const OK: &str = "button|class|n|type|button|data-a|ok";

/// The reward types, in the order of the constants below ([`super::kind_of`]).
const REWARDS: &str = "coupon|referral|points|badge";
const COUPON: usize = 0;
const REFERRAL: usize = 1;
const POINTS: usize = 2;
const BADGE: usize = 3;

/// `n` as the visitor's locale writes it (`1,500` in English, `1 500` in French, `1.500` in German): the browser's
/// `Intl.NumberFormat(locale).format(n)`, `locale` the `navigator.language` that picks the prompt's strings
/// ([`strings::Strings`]). JSON's digits where that fails (a tag the browser refuses: a page may set its own
/// `navigator.language`).
fn locale_number(n: f64, locale: &wasm_bindgen::JsValue) -> String {
    use crate::web::convert::{call1, prop};
    let shown = crate::web::env::window()
        .and_then(|w| call1(&prop(&w, "Intl"), "NumberFormat", locale))
        .and_then(|format| call1(&format, "format", &n.into()))
        .and_then(|v| v.as_string());
    shown.unwrap_or_else(|| {
        let mut s = String::new();
        write_number(n, &mut s);
        s
    })
}

impl Ui {
    fn spec(&self, key: &str) -> &str {
        text(&self.action, key)
    }

    /// Renders the reward; returns the button to focus.
    pub(super) fn reward(&mut self) -> Option<Element> {
        let body = &self.body;
        let kind = super::kind_of(REWARDS, self.spec("reward"));
        let text = self.spec("text");
        if !text.is_empty() {
            dom::add(body, "p|class|q|id|q", text);
            self.label("q");
        }
        let points;
        // The copyable code or link; None for points or a badge, which are acknowledged with OK.
        let (shown, code) = match kind {
            COUPON => (self.spec("code"), true),
            REFERRAL => (self.spec("url"), true),
            POINTS => {
                let count = self
                    .action
                    .get("points")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                let n = locale_number(count, &self.strings.locale);
                let key = if count == 1.0 {
                    strings::POINT
                } else {
                    strings::POINTS
                };
                points = fill(self.strings.get(key), &n, "");
                (points.as_str(), false)
            }
            BADGE => (self.spec("badge"), false),
            _ => return None,
        };
        // A referral link in a smaller type than a code, so that a usual one fits on a line.
        let box_spec = if kind == REFERRAL {
            "p|class|k u|id|k"
        } else {
            "p|class|k|id|k"
        };
        let k = dom::add(body, box_spec, shown);
        if text.is_empty() {
            self.label("k");
        }
        // What is offered describes the dialog, unless it names it: the focus goes to the button, so a screen
        // reader entering the dialog reads its name, this, then "Copy" or "OK".
        if self.titled || !text.is_empty() {
            dom::set(
                &self.dialog,
                "aria-describedby",
                if self.titled { "q k" } else { "k" },
            );
        }
        let first = if code {
            dom::add(body, COPY, self.strings.get(strings::COPY))
        } else {
            dom::add(body, OK, self.strings.get(strings::CLAIM))
        };
        if kind == REFERRAL && self.can_share() {
            dom::add(body, SHARE, self.strings.get(strings::SHARE));
        }
        if code {
            self.code = Some(k);
        }
        Some(first)
    }

    fn can_share(&self) -> bool {
        crate::web::env::window()
            .is_some_and(|w| dom::prop(&dom::prop(&w, "navigator"), "share").is_function())
    }

    pub(super) fn claim(&mut self, how: &'static str, after: &mut After) {
        if !self.done {
            self.done = true;
            after.event = Some(PromptEvent::RewardClaimed { how });
        }
    }

    /// Copy (`navigator.clipboard.writeText`) or Share (`navigator.share`, whose button only exists where it
    /// does): claimed at once; the promise comes back to the listener. A copy that cannot start selects the code.
    pub(super) fn send(&mut self, share: bool, after: &mut After) {
        self.claim(if share { "share" } else { "copy" }, after);
        let nav = crate::web::env::window().map(|w| dom::prop(&w, "navigator"));
        let started = nav.and_then(|nav| {
            if share {
                let data = crate::web::convert::object("", &[]);
                for key in &["url", "title", "text"] {
                    let v = self.spec(key);
                    if !v.is_empty() {
                        dom::put(&data, key, &v.into());
                    }
                }
                dom::call1(&nav, "share", &data)
            } else {
                // The code or link as shown (the Copy button comes only with one): its text as the page has it,
                // rather than read again from the action and copied in.
                let shown = self.code.as_ref().map(|k| dom::prop(k, "textContent"));
                dom::call1(
                    &dom::prop(&nav, "clipboard"),
                    "writeText",
                    &shown.unwrap_or_default(),
                )
            }
        });
        match started.and_then(|p| dom::call(&p, "then", &self.listener, &self.listener)) {
            Some(_) => {
                after.promises += 1;
                if !share {
                    self.copies += 1;
                }
            }
            None if !share => self.select_code(),
            None => {}
        }
    }

    /// A clipboard write or share settled: "Copied" for a write that worked; otherwise the code or link is
    /// selected, so the visitor can copy it by hand.
    pub(super) fn settled(&mut self, ok: bool) {
        if !ok {
            self.select_code();
        } else if self.copies > 0 {
            self.say(strings::COPIED);
        }
        self.copies = self.copies.saturating_sub(1);
    }

    /// Selects the code or link.
    fn select_code(&self) {
        if let Some(code) = &self.code {
            let sel = dom::call0(&dom::prop(code, "ownerDocument"), "getSelection");
            if let Some(sel) = sel {
                dom::call1(&sel, "selectAllChildren", code);
            }
        }
    }
}
