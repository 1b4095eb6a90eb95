//! The page's side of campaigns: showing the prompt a decision calls for (or handing a custom action to the host),
//! and turning what the visitor does with it into outcomes.
//!
//! Opening and closing a prompt moves focus, which can run the page's own handlers, so both are deferred until the
//! SDK state is released ([`Outbox::defer`](super::super::emitter::Outbox::defer)).

use std::cell::RefCell;

use super::*;
use crate::core::campaigns::{Decision, Outcome};
use crate::core::json::{Map, Value};
use crate::web::convert::{object, to_js};
use crate::web::prompt::{Prompt, PromptEvent};

thread_local! {
    /// The prompt on the page, if any (the engine never shows two at once).
    static OPEN: RefCell<Option<Prompt>> = const { RefCell::new(None) };
    /// The change of prompt waiting for its task ([`carry_out_soon`]): the latest asked for, and the element that
    /// had the focus when the first of them was.
    static NEXT: RefCell<Option<Next>> = const { RefCell::new(None) };
    /// The timer callback that carries it out.
    static SOON: crate::web::convert::Callback = acting(carry_out_next);
    /// The animation-frame callback that moves the focus into the prompt just opened.
    static FOCUS: crate::web::convert::Callback = acting(focus_open);
}

/// A change of prompt to carry out, and the element that had the focus when it was asked for.
type Next = (Option<Box<Opening>>, Option<web_sys::Element>);

impl Sdk {
    /// Carries out the campaigns' decisions: a prompt for `show` (`campaign:show` once it is built,
    /// [`Sdk::prompt_built`]), `campaign:show` at once for a custom action (the whole story), `campaign:close` for a
    /// prompt closed by an in-app navigation (and the SDK's own removed, [`Sdk::close_prompt`]), and one console
    /// line per decision in debug mode.
    pub(super) fn announce_decisions(&mut self) {
        // By reference: an owning loop links the vector's `IntoIter` and its drop code.
        let decisions = self.tracker.take_decisions();
        for d in &decisions {
            if self.debug {
                console::debug(&console::join(&["campaign ", &d.render()]));
            }
            match d {
                Decision::Show { campaign } => self.show(campaign.clone()),
                Decision::Closed { campaign } => {
                    // The SDK's own prompt (the one on the page: showing it replaced any other); a host's own
                    // is the host's to remove.
                    let own = !self.tracker.is_custom(campaign);
                    self.close_prompt(Some(campaign.clone()), "navigation", own);
                }
                _ => {}
            }
        }
    }

    fn show(&mut self, campaign: String) {
        let Some(action) = self.tracker.campaign_action(&campaign).cloned() else {
            return;
        };
        // The host builds a custom action: told now. The SDK's own prompt is told once built.
        if self.tracker.is_custom(&campaign) {
            self.announce(campaign, &action);
            return;
        }
        self.announced = None;
        let config = self.tracker.config();
        let theme = config.and_then(|c| crate::core::campaigns::theme::of(c, &campaign, &action));
        let strings = config.and_then(|c| c.get("strings")).cloned();
        self.outbox.defer(Some(Box::new(Opening {
            campaign,
            action,
            theme,
            strings,
        })));
    }

    /// Tells the page's listeners `campaign:show` for `campaign`, whose `action` the host builds (a custom one) or
    /// the SDK built.
    fn announce(&mut self, campaign: String, action: &Value) {
        let kind = action
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        self.outbox.emit(
            "campaign:show",
            object(
                "campaign|type|headless|action",
                &[
                    campaign.as_str().into(),
                    kind.into(),
                    (kind == "custom").into(),
                    to_js(action),
                ],
            ),
        );
        self.announced = Some(campaign);
    }

    /// The prompt `o` describes was built (`built`): the page's listeners hear `campaign:show` (with the action it
    /// was built from) and its show is recorded; or it never reached the screen: its show is taken back, and the
    /// page hears nothing of it (see [`Tracker::prompt_built`]).
    ///
    /// A show built is stored (with the log and the profile) at the SDK's next timer task rather than with the
    /// next coalesced write, so another tab triggering a moment later knows of it. (Not at the decision: a show
    /// another tab took in would come back from it though taken back here, as shows merge by union.)
    pub(super) fn prompt_built(&mut self, o: &Opening, built: bool, now: Millis) {
        if built {
            self.announce(o.campaign.clone(), &o.action);
            self.queue_write_at = Some(now);
        }
        self.tracker.prompt_built(&o.campaign, built, now);
    }

    /// What the visitor did with the prompt: the outcome is recorded (and tells the engine), and the page's
    /// listeners hear `survey:answer` / `reward:claim`.
    pub(super) fn on_prompt_event(&mut self, campaign: &str, event: PromptEvent, now: Millis) {
        let mut props = Map::new();
        let outcome = match event {
            PromptEvent::Answered { question, answer } => {
                self.outbox.emit(
                    "survey:answer",
                    object(
                        "campaign|question|answer",
                        &[campaign.into(), question.as_str().into(), to_js(&answer)],
                    ),
                );
                props.insert("question", question.into());
                props.insert("answer", answer);
                Outcome::Answered
            }
            PromptEvent::Completed => Outcome::Completed,
            PromptEvent::Dismissed => Outcome::Dismissed,
            PromptEvent::RewardClaimed { how } => {
                let reward = self
                    .tracker
                    .campaign_action(campaign)
                    .and_then(|a| a.get("reward"))
                    .cloned()
                    .unwrap_or(Value::Null);
                self.outbox.emit(
                    "reward:claim",
                    object(
                        "campaign|reward|how",
                        &[campaign.into(), to_js(&reward), how.into()],
                    ),
                );
                props.insert("reward", reward);
                props.insert("how", how.into());
                Outcome::RewardClaimed
            }
        };
        self.tracker.campaign_outcome(campaign, outcome, props, now);
    }

    /// The page is left: a prompt still waiting for its task ([`carry_out_soon`]) never reaches the screen (the
    /// task may not run before the page goes, and a page restored from the back/forward cache does not show it
    /// late): its show is taken back before the state is written.
    pub(super) fn drop_unbuilt(&mut self, now: Millis) {
        let unbuilt = NEXT.with(|n| n.borrow_mut().as_mut().and_then(|(task, _)| task.take()));
        if let Some(o) = unbuilt {
            self.prompt_built(&o, false, now);
        }
    }

    /// The SDK closes the open prompt, `open` (read before the change that closes it): the page's listeners hear
    /// `campaign:close` (`{ campaign, reason }`), so a host rendering its own removes it, if they heard its
    /// `campaign:show` (the SDK's own prompt not built yet never reaches the screen: its show is taken back, and
    /// the page hears nothing of it); with `own`, the SDK's prompt on the page is removed (a logout, a denial or
    /// another visitor: `reset`, `consent`).
    pub(super) fn close_prompt(&mut self, open: Option<String>, reason: &str, own: bool) {
        if let Some(campaign) = open.filter(|c| self.announced.as_ref() == Some(c)) {
            let payload = object("campaign|reason", &[campaign.into(), reason.into()]);
            self.outbox.emit("campaign:close", payload);
        }
        if own {
            self.outbox.defer(None);
        }
    }
}

/// A prompt to open once the SDK state is released: the campaign, its action, theme and the config's strings.
pub struct Opening {
    campaign: String,
    action: Value,
    theme: Option<Value>,
    strings: Option<Value>,
}

/// Carries out `task` (see [`carry_out`]) in a task of its own, at once after the current one: building a prompt,
/// parsing its stylesheet and moving the focus (which lays the page out) take milliseconds, which the call that
/// triggered the campaign (the page's `track`, say) must not wait for; and the whole is one SDK task of its own,
/// which SPEC §11 bounds. Each change replaces the prompt on the page or closes it, so of changes asked for before
/// that task runs only the latest is carried out (a prompt shown and closed by a `reset` in the same moment never
/// flashes on screen).
///
/// A prompt opened after the page moved the focus (its own dialog, right after the call that triggered the campaign)
/// leaves it there, as when the prompt was built inside the call, before the page's move.
pub fn carry_out_soon(task: Option<Box<Opening>>) {
    // Read before the borrow: reading it may run the page's code (a `shadowRoot` getter), which may call the SDK.
    let focus = crate::web::prompt::focused_in_page();
    let (waiting, replaced) = NEXT.with(|n| {
        let mut n = n.borrow_mut();
        let (focus, waiting, replaced) = match n.take() {
            Some((old, first)) => (first, true, old),
            None => (focus, false, None),
        };
        // (By the same campaign's again, the show that counts is the one built.)
        let replaced = replaced.filter(|o| task.as_ref().is_none_or(|t| t.campaign != o.campaign));
        *n = Some((task, focus));
        (waiting, replaced)
    });
    // A prompt replaced before it was built never reaches the screen: its show is taken back.
    if let Some(o) = replaced {
        act(Action::Built(o, false));
    }
    if waiting {
        return;
    }
    let scheduled = crate::web::env::window().and_then(|w| {
        SOON.with(|f| crate::web::convert::call2(&w, "setTimeout", f.as_ref(), &0.into()))
    });
    if scheduled.is_none() {
        if let Some(a) = carry_out_next(JsValue::UNDEFINED) {
            act(a);
        }
    }
}

/// The timer's callback of [`carry_out_soon`]; then what the SDK is told of the prompt it opened (see
/// [`carry_out`]).
///
/// An in-app navigation since the change was asked for (a `history.pushState` right after the call that triggered
/// the campaign) is taken in first: its page view waits for the SDK's next call or task (see
/// `Sdk::on_navigation`), and this task can come before the SDK's timer. On a page the campaign does not target,
/// the navigation closes the prompt before it is built, which replaces the change waiting here and takes its show
/// back (see [`carry_out_soon`]): no prompt, no `Campaign Shown`, no `campaign:show`.
fn carry_out_next(_: JsValue) -> Option<Action> {
    act(Action::Building);
    let (task, focus) = NEXT.with(|n| n.take())?;
    carry_out(task, crate::web::prompt::focused_in_page() != focus)
}

/// Opens the prompt `task` describes in place of the one on the page, or with `None` closes the one on the page.
/// (Data rather than a boxed closure each: a closure type is a vtable, a shim and drop code of its own.)
/// The one on the page closes first: it gives the focus back to the page, so the new one takes it from there and
/// gives it back there in turn (opened first, it would remember the old prompt, removed by then, and leave the
/// focus nowhere when it closes).
/// With `moved`, the focus moved since the change was asked for: the prompt leaves it where it is.
/// Gives, for a prompt to open, what to tell the SDK: whether it was built (its show is told and recorded) or not
/// (taken back).
pub fn carry_out(task: Option<Box<Opening>>, moved: bool) -> Option<Action> {
    if let Some(old) = OPEN.with(|o| o.take()) {
        old.close();
    }
    let prompt = task.as_ref().and_then(|o| {
        let id = o.campaign.clone();
        // Through `act`, as the browser's other callbacks: a closure of its own handed to `run` was code of its own.
        let on_event = move |e| act(Action::Prompted(id.clone(), e));
        Prompt::open(
            &o.campaign,
            &o.action,
            o.theme.as_ref(),
            o.strings.as_ref(),
            on_event,
        )
    });
    let built = prompt.is_some();
    let opened = match &prompt {
        Some(p) if moved => {
            p.leave_focus();
            false
        }
        p => p.is_some(),
    };
    // One opened meanwhile by the page's own focus handlers (a `track` in a `focus` listener) gives way too.
    if let Some(other) = OPEN.with(|o| o.replace(prompt)) {
        other.close();
    }
    // The focus moves in at the next frame, whose layout it needs (moved now, it would lay the page out in this
    // task, and the frame again).
    if opened {
        if let Some(w) = crate::web::env::window() {
            FOCUS.with(|f| crate::web::convert::call1(&w, "requestAnimationFrame", f.as_ref()));
        }
    }
    task.map(|o| Action::Built(o, built))
}

/// Before each SDK task, outside its state: a prompt the page removed from the document (replacing its `body`, as
/// Turbo does on each navigation) is no longer on screen. It is let go, and its campaign given, for the SDK to close
/// it (no outcome, no cooldown; its show counts), as a prompt left with its page is, so that it does not block
/// other prompts for 30 minutes.
pub fn removed_prompt() -> Option<String> {
    let gone = OPEN.with(|o| {
        let mut o = o.borrow_mut();
        if o.as_ref().is_some_and(|p| !p.is_open()) {
            o.take()
        } else {
            None
        }
    })?;
    gone.close();
    Some(gone.campaign())
}

/// The animation-frame callback after a prompt opened: the focus moves into the prompt on the page (if it is still
/// the one, or another opened since that has not taken it yet).
fn focus_open(_: JsValue) -> Option<Action> {
    // A handle, so that no borrow is held while focus events run the page's handlers.
    if let Some(p) = OPEN.with(|o| o.borrow().clone()) {
        p.take_focus();
    }
    None
}
