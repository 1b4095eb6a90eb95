//! Survey steps: one question at a time, answers sent as the visitor moves on, branches, the thank-you step.
//!
//! Scales (nps, csat, rating) and single choice are radiogroups of buttons (`role=radio`, a roving tabindex,
//! arrow keys); choosing one answers and moves on. Multiple choice is a group of `role=checkbox` buttons and
//! free text a textarea, each with a Next/Submit button. An empty answer is not sent.

use web_sys::Element;

use super::strings::{
    fill, NEXT, NOT_LIKELY, PROGRESS, SATISFIED, SUBMIT, THANKS, UNSATISFIED, VERY_LIKELY,
};
use super::{dom, kind_of, text, After, PromptEvent, Ui};
use crate::core::campaigns::config::scale_range;
use crate::core::campaigns::limits::MAX_CHOICES;
use crate::core::json::Value;
use crate::web::console::num;

// Multiple choice keeps the boxes checked as the bits of a u64.
const _: () = assert!(MAX_CHOICES <= 64);

fn questions(action: &Value) -> &[Value] {
    action
        .get("questions")
        .and_then(Value::as_array)
        .unwrap_or_default()
}

/// The question types, in the order of the constants below: a question's type is read once as one of these
/// numbers, then compared as a number (each comparison of strings is code of its own).
const KINDS: &str = "nps|csat|rating|single|multiple|text";
const NPS: usize = 0;
const CSAT: usize = 1;
const RATING: usize = 2;
const SINGLE: usize = 3;
const MULTIPLE: usize = 4;
const TEXT: usize = 5;

/// A question's type (its place in [`KINDS`]; past the last for any other) and choices (none for a scale or
/// free text).
fn kind_and_choices(q: &Value) -> (usize, &[Value]) {
    let choices = q.get("choices").and_then(Value::as_array);
    (kind_of(KINDS, text(q, "type")), choices.unwrap_or_default())
}

/// Where a question's `next` sends this answer: the first key it matches (a scale value or range, a choice,
/// one of the chosen choices), else `*`; None without a branch.
fn branch<'a>(q: &'a Value, answer: Option<&Value>) -> Option<&'a str> {
    let mut other = None;
    for (key, to) in q.get("next")?.as_object()?.iter() {
        let Some(to) = to.as_str() else { continue };
        let hit = match answer {
            _ if key == "*" => {
                other = other.or(Some(to));
                false
            }
            Some(Value::Number(n)) => {
                scale_range(key).is_some_and(|(a, b)| a as f64 <= *n && *n <= b as f64)
            }
            Some(Value::String(s)) => s == key,
            Some(Value::Array(xs)) => xs.iter().any(|x| x.as_str() == Some(key)),
            _ => false,
        };
        if hit {
            return Some(to);
        }
    }
    other
}

impl Ui {
    /// Renders question `i`; returns the control to focus.
    pub(super) fn question(&self, i: usize) -> Option<Element> {
        self.clear();
        let body = &self.body;
        let qs = questions(&self.action);
        let q = qs.get(i)?;
        let n = qs.len();
        if n > 1 {
            let p = fill(
                self.strings.get(PROGRESS),
                &num(i as i64 + 1),
                &num(n as i64),
            );
            dom::add(body, "p|class|p", &p);
        }
        dom::add(body, "p|class|q|id|q", text(q, "text"));
        self.label("q");
        let (kind, choices) = kind_and_choices(q);
        // Choosing a radio answers: no Next button.
        let mut radios = false;
        // The question types with buttons: the group's class, for a scale its first value and count (the choices'
        // buttons have a count of 0), and the string keys of the labels under a scale's ends.
        let (class, lo, count, ends) = match kind {
            NPS => ("g n11", 0, 11, Some((NOT_LIKELY, VERY_LIKELY))),
            CSAT => ("g", 1, 5, Some((UNSATISFIED, SATISFIED))),
            RATING => ("g r", 1, 5, None),
            SINGLE | MULTIPLE => ("g ch", 0, 0, None),
            _ => ("", 0, 0, None),
        };
        if !class.is_empty() {
            let radio = kind != MULTIPLE;
            let g = dom::add(
                body,
                if radio {
                    "div|role|radiogroup|aria-labelledby|q"
                } else {
                    "div|role|group|aria-labelledby|q"
                },
                "",
            );
            dom::set(&g, "class", class);
            let rating = kind == RATING;
            let options = if count > 0 { count } else { choices.len() };
            for j in 0..options {
                let v = num((lo + j) as i64);
                let label = match choices.get(j) {
                    _ if rating => "★",
                    _ if count > 0 => &v,
                    Some(c) => c.as_str().unwrap_or_default(),
                    None => "",
                };
                let b = dom::add(
                    &g,
                    if radio {
                        "button|class|o|type|button|data-a|v|role|radio|aria-checked|false"
                    } else {
                        "button|class|o|type|button|data-a|t|role|checkbox|aria-checked|false"
                    },
                    label,
                );
                dom::set(&b, "data-v", &v);
                if radio {
                    dom::set(&b, "tabindex", if j == 0 { "0" } else { "-1" });
                    radios = true;
                }
                if rating {
                    dom::set(&b, "aria-label", &v);
                }
                if ends.is_some() && (j == 0 || j + 1 == options) {
                    dom::set(&b, "aria-describedby", if j == 0 { "l0" } else { "l1" });
                }
            }
            // Each end's label describes the option at that end ("0", "Not likely"): said of the group, it would
            // not tell which end is which.
            if let Some((lo_label, hi_label)) = ends {
                let l = dom::add(body, "div|class|l", "");
                dom::add(&l, "span|id|l0", self.strings.get(lo_label));
                dom::add(&l, "span|id|l1", self.strings.get(hi_label));
            }
        }
        if kind == TEXT {
            let t = dom::add(body, "textarea|aria-labelledby|q|maxlength|2000", "");
            let ph = text(q, "placeholder");
            if !ph.is_empty() {
                dom::set(&t, "placeholder", ph);
            }
        }
        if !radios {
            let label = self.strings.get(if i + 1 == n { SUBMIT } else { NEXT });
            dom::add(body, "button|class|n|type|button|data-a|n", label);
        }
        // The first control, in document order: the group's first button, the textarea, else Next.
        dom::call_str(body, "querySelector", ".o,textarea,.n").and_then(dom::as_elem)
    }

    /// A multiple-choice box toggled.
    pub(super) fn toggle(&mut self, b: &Element) {
        let Some((i, _)) = scale_range(&dom::attr(b, "data-v")) else {
            return;
        };
        // A bit per choice: a config has at most MAX_CHOICES of them.
        let bit = 1u64.checked_shl(i as u32).unwrap_or(0);
        self.picked ^= bit;
        let on = self.picked & bit != 0;
        dom::set(b, "aria-checked", if on { "true" } else { "false" });
    }

    /// A radio chosen (`radio`: click, Enter or Space), or Next/Submit under a multiple-choice or text question:
    /// sends the answer (if any) and shows the next question: the branch's, else the following one; after the
    /// last, the thank-you step.
    pub(super) fn answer(&mut self, radio: Option<&Element>, after: &mut After) {
        if let Some(r) = radio {
            dom::check(r);
        }
        let qs = questions(&self.action);
        let Some(q) = qs.get(self.step) else {
            return;
        };
        let (kind, choices) = kind_and_choices(q);
        let answer = match radio {
            Some(r) => {
                let v = scale_range(&dom::attr(r, "data-v"));
                if kind == SINGLE {
                    v.and_then(|(i, _)| choices.get(i as usize)).cloned()
                } else {
                    v.map(|(n, _)| Value::Number(n as f64))
                }
            }
            None => self.held(kind, choices),
        };
        // A branch back (or to this question) is ignored.
        let mut next = self.step + 1;
        match branch(q, answer.as_ref()) {
            Some("end") => next = qs.len(),
            Some(to) => {
                for (j, x) in qs.iter().enumerate() {
                    if x.get("id").and_then(Value::as_str) == Some(to) {
                        next = next.max(j);
                        break;
                    }
                }
            }
            None => {}
        }
        let more = next < qs.len();
        // Not again if the page sent it as it was left (and came back from the back/forward cache).
        let sent = self.sent.take();
        if answer.is_some() && answer != sent {
            after.event = answer.map(|answer| PromptEvent::Answered {
                question: text(q, "id").to_string(),
                answer,
            });
        }
        self.picked = 0;
        if more {
            self.step = next;
            after.focus = self.question(next);
        } else {
            self.done = true;
            after.focus = self.thanks();
            after.completed = true;
        }
    }

    /// What a multiple-choice or text question holds and has not sent: the boxes ticked, the text typed.
    fn held(&self, kind: usize, choices: &[Value]) -> Option<Value> {
        if kind == MULTIPLE {
            let mut picked = Vec::new();
            for (i, c) in choices.iter().enumerate() {
                if self.picked.checked_shr(i as u32).unwrap_or(0) & 1 != 0 {
                    picked.push(c.clone());
                }
            }
            return (!picked.is_empty()).then_some(Value::Array(picked));
        }
        if kind != TEXT {
            return None;
        }
        dom::call_str(&self.body, "querySelector", "textarea")
            .and_then(|t| dom::prop(&t, "value").as_string())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .map(Value::String)
    }

    /// The current question's answer not sent yet (see [`Ui::held`]), as the visitor dismisses the survey or
    /// leaves the page: SPEC §7's answers recorded when the visitor leaves half-way include what they typed.
    pub(super) fn unsent(&mut self) -> Option<PromptEvent> {
        if self.done {
            return None;
        }
        let q = questions(&self.action).get(self.step)?;
        let (kind, choices) = kind_and_choices(q);
        let answer = self.held(kind, choices)?;
        if self.sent.as_ref() == Some(&answer) {
            return None;
        }
        self.sent = Some(answer.clone());
        Some(PromptEvent::Answered {
            question: text(q, "id").to_string(),
            answer,
        })
    }

    /// The thank-you step: the text in the status line, the focus on the close button.
    fn thanks(&self) -> Option<Element> {
        self.clear();
        let own = text(&self.action, "thanks");
        let t = if own.is_empty() {
            self.strings.get(THANKS)
        } else {
            own
        };
        dom::set_text(&self.live, t);
        self.label("s");
        Some(self.close.clone())
    }
}
