//! The running SDK: the core tracker plus the browser resources that carry out its decisions.
//!
//! All state sits in one thread-local cell. Every entry point goes through [`run`], which borrows the state, lets
//! the core decide, carries out sends, storage writes and the timer, then releases the state before any host
//! callback runs (an [`Outbox`]).

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::console;
use super::convert::{Callback, Handler};
use super::emitter::Outbox;
use super::env;
use super::options::{ConfigSource, InitOptions};
use super::storage::{Notice, Store};
use super::tabs::Tabs;
use super::transport;
use crate::core::consent::Consent;
use crate::core::drop_notice::DropNotice;
use crate::core::queue::SendOutcome;
use crate::core::time::{Millis, SECOND};
use crate::core::tracker::Tracker;

#[path = "segments.rs"]
mod segments;

#[path = "remote_config.rs"]
mod remote_config;

#[cfg(feature = "segments")]
#[path = "campaigns.rs"]
mod campaigns;
#[cfg(feature = "segments")]
pub use campaigns::{carry_out_soon, Opening};

/// Profile writes are coalesced: at most one per this interval, and one on page exit.
const PROFILE_WRITE_DELAY: Millis = SECOND;
/// Queue writes likewise, more often: what a crash (no `pagehide`) can lose is what was tracked in this window.
const QUEUE_WRITE_DELAY: Millis = 250;
/// How long after a rule changes with time alone a hidden tab re-checks it: the sending tab, and any other.
/// Every open tab reaches that instant together; the visible tab reports the change at once and stores it within
/// `QUEUE_WRITE_DELAY`, and a hidden tab takes that write in first (its timers may also run up to a second
/// late), so the change is reported once. The sending tab goes next, for when no tab is visible (hidden, it
/// writes at once). The others wait over a minute: a page hidden for minutes has its timers run at whole
/// minutes (Chrome's intensive throttling), and a shorter wait could land on the sending tab's minute.
#[cfg(feature = "segments")]
const HIDDEN_SENDER_RECHECK: Millis = 2 * SECOND;
#[cfg(feature = "segments")]
const HIDDEN_TAB_RECHECK: Millis = 70 * SECOND;
/// What `sendBeacon`/`keepalive` may have in flight per page (64 KiB), less a margin for headers.
const EXIT_BUDGET: usize = 60 * 1024;
/// Bytes of the stored log one timer task writes at most (a few parts; see `core::queue::PART_BYTES`); the parts
/// still out of date are written in the next task. A part is written whole, so a task may go one part over.
const LOG_WRITE_BUDGET: usize = 128 * 1024;
/// What removing a part that no longer holds an event counts for against that budget. `removeItem` is not free:
/// about 0.15 ms a key in headless Chromium, a third of writing a whole part. Offline at the queue's bound, one
/// burst can empty dozens of parts; uncounted, their removals made the next timer task 3.5–7 ms long where the
/// others take about 1 ms (`node bench/track.mjs 5000 --offline`).
const LOG_REMOVE_COST: usize = 16 * 1024;
/// Bytes of other tabs' logs the sender reads at most in one timer task (likewise, a part may go over): under a
/// full part, so a task reads one full part, or several small ones. Reading is parsing: at 128 KiB the slowest
/// task after a reload at the queue's bound took 6-14 ms on a busy machine, at 64 KiB (two parts) 3-8 ms, at one
/// part 2.2-5.4 ms (`node bench/tabs.mjs`, alternating runs; on a quiet machine all of them stay under 7 ms).
const LOG_READ_BUDGET: usize = 32 * 1024;

pub struct Sdk {
    pub tracker: Tracker,
    pub window: web_sys::Window,
    /// `window.document`, read once: a window's document is the same object for the SDK's life (`document.open()`
    /// keeps it; a frame navigated from its first `about:blank` to a page of its origin keeps its window but gets
    /// another document, and the SDK loaded before does not carry over to that page). Every call that records a
    /// message reads its `title`, and reading `document` cost about as much again.
    pub document: JsValue,
    pub endpoint: String,
    pub debug: bool,
    pub auto_page: bool,
    pub last_href: String,
    /// An automatic page view of an SPA navigation, waiting for the app to title its new view: the page as it was
    /// at the navigation, and when (see [`Sdk::on_navigation`]).
    pending_view: Option<(crate::core::message::Page, Millis)>,
    store: Store,
    profile_key: String,
    /// Where segment and journey state is kept.
    state_key: String,
    profile_write_at: Option<Millis>,
    queue_write_at: Option<Millis>,
    pub tabs: Tabs,
    /// Between `pagehide`/hidden and the page coming back: storage is written at once, not coalesced.
    exiting: bool,
    /// When the next `events_dropped` warning is due.
    drop_notice: DropNotice,
    /// The current task is the SDK's timer: the only one that carries out coalesced storage writes.
    in_timer_task: bool,
    /// The last send failed before any answer: a network error, or a request the browser refused (the page's
    /// `connect-src`, an extension that blocks the collector, CORS). See [`Sdk::on_send_result`].
    unreachable: bool,
    timer: Option<(i32, Millis)>,
    flush_waiters: Vec<Function>,
    outbox: Outbox,
    closures: Closures,
    /// The config fetched from a URL.
    #[cfg(feature = "segments")]
    remote: remote_config::Remote,
    /// `personalizeWithoutConsent: false`: segments, journeys and campaigns run only while consent is granted.
    #[cfg(feature = "segments")]
    pub(super) consent_first: bool,
    /// Meanwhile, the config's audience waits here.
    #[cfg(feature = "segments")]
    pub(super) held_audience: Option<Box<crate::core::audience::Audience>>,
    /// The campaign of the last show the page's listeners were told of (`campaign:show`): a custom action's at its
    /// decision, the SDK's own prompt's once built. Only its close is told (`campaign:close`).
    #[cfg(feature = "segments")]
    pub(super) announced: Option<String>,
}

/// Callbacks created once and reused for every timer and request.
struct Closures {
    timer: Callback,
    /// Both reactions of a send: a `Response`, or the error of a failed request, which reads as status 0 (no
    /// `status`), as the collector's silence should.
    response: Callback,
    /// A refusal's status and body, read to say why (see [`Sdk::on_refusal`]).
    refusal: Callback,
}

thread_local! {
    static SDK: RefCell<Option<Sdk>> = const { RefCell::new(None) };
}

/// Whether the SDK holds its state now: a call made now re-enters it, from page code the SDK itself is running (a
/// getter of a config response, a `localStorage` method the page replaced, a listener of an event the SDK caused).
pub fn busy() -> bool {
    SDK.with(|s| s.try_borrow_mut().is_err())
}

pub fn is_running() -> bool {
    SDK.with(|s| s.try_borrow().map(|s| s.is_some()).unwrap_or(true))
}

/// Runs `f` on the SDK state at the current time, settles what it decided, then delivers callbacks.
/// `None` when the SDK is not initialised (or, defensively, when re-entered).
pub fn run<R>(f: impl FnOnce(&mut Sdk, Millis) -> R) -> Option<R> {
    let mut task = Once(Some(f), None);
    run_dyn(&mut task);
    task.1
}

/// What [`run_dyn`] calls. A trait of its own rather than `dyn FnMut`: the vtable of a `dyn FnMut` also holds a
/// `call_once` shim, one more function per entry point that nothing calls.
trait Task {
    fn go(&mut self, sdk: &mut Sdk, now: Millis);
}

/// A closure called at most once, and what it returned.
struct Once<F, R>(Option<F>, Option<R>);

impl<F: FnOnce(&mut Sdk, Millis) -> R, R> Task for Once<F, R> {
    fn go(&mut self, sdk: &mut Sdk, now: Millis) {
        if let Some(f) = self.0.take() {
            // The page view of a navigation before the call comes first (see `Sdk::on_navigation`).
            sdk.view_pending();
            self.1 = Some(f(sdk, now));
        }
    }
}

/// The non-generic body of [`run`]: one copy in the wasm however many entry points there are.
fn run_dyn(task: &mut dyn Task) {
    #[cfg(feature = "segments")]
    let removed = campaigns::removed_prompt();
    let outbox = SDK.with(|cell| {
        let mut guard = cell.try_borrow_mut().ok()?;
        let sdk = guard.as_mut()?;
        let now = env::now();
        #[cfg(feature = "segments")]
        if let Some(campaign) = &removed {
            sdk.tracker.prompt_removed(campaign);
        }
        task.go(sdk, now);
        sdk.settle(now);
        Some(std::mem::take(&mut sdk.outbox))
    });
    if let Some(outbox) = outbox {
        outbox.deliver();
    }
}

/// What the browser asks of the SDK (its events, timer, responses and lock grants), and its start. Every such
/// callback goes through one [`act`]: each closure handed to [`run`] is code of its own, and a match on this is
/// smaller than a dozen of them.
pub enum Action {
    /// Hidden; `true` for `pagehide` (the page is left).
    Hidden(bool),
    /// `pagehide` of a page the browser keeps in the back/forward cache (`persisted`): left, and its locks let go.
    Cached,
    /// The page is frozen (`freeze`: in the background, or entering the back/forward cache).
    Frozen,
    /// The page runs again after `freeze` (`resume`).
    Resumed,
    /// Visible again.
    Returned,
    /// Shown from the back/forward cache (`pageshow` with `persisted`).
    Restored,
    /// A Web Lock was granted to this tab: what releases it (see `tabs::held`).
    Holding(JsValue),
    Online(bool),
    /// The URL may have changed (`popstate`, the `history` wrappers).
    Navigated,
    /// Another tab wrote this key: its new value (`null`: removed), read as text only where it is used.
    Storage(String, JsValue),
    #[cfg(feature = "segments")]
    ExitIntent,
    /// The scroll depth, in percent.
    Scrolled(f64),
    Activity,
    /// A tagged click: the event and its properties.
    Clicked(String, Option<String>),
    /// The SDK's timer fired.
    Timer,
    /// A send settled: the `Response`, or the error of a failed request (read as status 0).
    Sent(JsValue),
    /// The body of a response that refused a batch was read: `Promise.allSettled` of its status and its text.
    Refusal(JsValue),
    /// This tab got the sender lock.
    Sender,
    /// A query of the held locks settled: its snapshot, or the error it failed with.
    Live(JsValue),
    /// The SDK was installed: whether to track tagged clicks, and the config given to `init`.
    Started(bool, Option<ConfigSource>),
    /// A config request settled (a `Response` or an error).
    #[cfg(feature = "segments")]
    ConfigResponse(JsValue),
    /// The page's config response (`configResponse`) settled.
    #[cfg(feature = "segments")]
    EarlyConfigResponse(JsValue),
    /// A config response's body was read (its text or an error).
    #[cfg(feature = "segments")]
    ConfigBody(JsValue),
    /// The visitor did something with the prompt of this campaign.
    #[cfg(feature = "segments")]
    Prompted(String, super::prompt::PromptEvent),
    /// The prompt was built (`true`), or will never be (see [`Sdk::prompt_built`]).
    #[cfg(feature = "segments")]
    Built(Box<Opening>, bool),
    /// A prompt is about to be built: only the page view of a navigation before it, recorded first as for every
    /// action (see `campaigns::carry_out_next`).
    #[cfg(feature = "segments")]
    Building,
}

/// Carries out `action` on the SDK (nothing when it is not running).
pub fn act(action: Action) {
    run_dyn(&mut Some(action));
}

/// An action is a task of its own (carried out at most once), rather than a closure around it given to [`run`]: one
/// wrapper less.
impl Task for Option<Action> {
    fn go(&mut self, s: &mut Sdk, now: Millis) {
        let Some(action) = self.take() else {
            return;
        };
        // The page view of a navigation before the event comes first (see `Sdk::on_navigation`); a navigation
        // records it only if it is one (the Navigation API's `currententrychange` also reports a `pushState`, at
        // once, before the app could title its view).
        if !matches!(action, Action::Navigated) {
            s.view_pending();
        }
        match action {
            Action::Hidden(left) => s.hide(left, now),
            Action::Cached => {
                s.hide(true, now);
                s.suspend(now);
            }
            Action::Frozen => s.suspend(now),
            Action::Resumed => s.resume(),
            Action::Returned => s.returned(now),
            Action::Restored => {
                // The visitor sees the page again: a page view, as a load would record (the page's engagement was
                // recorded as it was left). In Chromium `resume` came first; elsewhere this is where the page asks
                // for its locks again.
                s.resume();
                s.returned(now);
                if s.auto_page {
                    s.view_page(None, None, None, now);
                }
            }
            Action::Holding(resolve) => s.tabs.hold(resolve),
            Action::Online(online) => {
                s.set_online(online);
                if online {
                    s.config_online(now);
                }
            }
            Action::Navigated => s.on_navigation(now),
            Action::Storage(key, value) => s.on_storage(&key, value, now),
            #[cfg(feature = "segments")]
            Action::ExitIntent => s
                .tracker
                .campaign_signal(&crate::core::campaigns::Signal::ExitIntent, now),
            Action::Scrolled(percent) => s.tracker.scrolled(percent, now),
            Action::Activity => s.tracker.activity(now),
            Action::Clicked(name, props) => {
                s.refresh_title(now);
                s.tracker.track(&name, props.as_deref(), now);
            }
            Action::Timer => s.on_timer(now),
            Action::Sent(resp) => s.on_send_result(&resp, now),
            Action::Refusal(text) => s.on_refusal(&text),
            Action::Sender => s.become_sender(),
            Action::Started(track_clicks, config) => s.start(track_clicks, config, now),
            Action::Live(held) => s.tabs.set_live(held),
            #[cfg(feature = "segments")]
            Action::ConfigResponse(resp) => s.on_config_response(resp, now),
            #[cfg(feature = "segments")]
            Action::EarlyConfigResponse(resp) => s.on_early_config_response(resp, now),
            #[cfg(feature = "segments")]
            Action::ConfigBody(text) => s.on_config_body(text, now),
            #[cfg(feature = "segments")]
            Action::Prompted(campaign, event) => {
                // The visitor's answer or claim is a message of the page as it is now, as a call's is.
                s.refresh_title(now);
                s.on_prompt_event(&campaign, event, now);
            }
            #[cfg(feature = "segments")]
            Action::Built(opening, built) => s.prompt_built(&opening, built, now),
            #[cfg(feature = "segments")]
            Action::Building => {}
        }
    }
}

/// A callback that carries out what `make` reads from its argument, if anything (the DOM events, the timer,
/// responses). One closure type for every callback the SDK's state answers: each closure handed to the browser is
/// code of its own.
pub fn acting(make: fn(JsValue) -> Option<Action>) -> Callback {
    Callback::of(Handler::Act(make, false))
}

/// The same for a Web Lock grant: the lock is held until the tab lets go of its locks (`Tabs::release`).
pub fn holding(make: fn(JsValue) -> Option<Action>) -> Callback {
    Callback::of(Handler::Act(make, true))
}

/// What an [`acting`] or [`holding`] callback does with its argument `v`.
pub fn acted(make: fn(JsValue) -> Option<Action>, hold: bool, v: JsValue) -> JsValue {
    if let Some(action) = make(v) {
        act(action);
    }
    if hold {
        super::tabs::held()
    } else {
        JsValue::UNDEFINED
    }
}

/// A new tab's id (a random number, as text).
fn tab_id(tracker: &mut Tracker) -> String {
    let mut id = String::new();
    crate::core::json::write_int((tracker.rng().next_u64() >> 24) as i64, &mut id);
    id
}

/// Installs the SDK, attaches its listeners, records the first page view and emits `ready`.
pub fn install(options: InitOptions, window: web_sys::Window) {
    let (store, storage_warning) = Store::open(&window);
    let profile_key = console::join(&["wayline:", &options.tracker.write_key, ":profile"]);
    let state_key = console::join(&["wayline:", &options.tracker.write_key, ":segments"]);
    let consent = options.consent;
    let stored = if consent == Consent::Denied {
        None
    } else {
        store.get(&profile_key)
    };
    let document = super::convert::prop(&window, "document");
    let page = env::page(&window, &document, None);
    let last_href = page.url.clone();
    let mut tracker = Tracker::new(
        options.tracker,
        stored.as_deref(),
        env::environment(&window),
        page,
        env::seed(&window),
    );
    tracker.set_consent(consent);
    let id = tab_id(&mut tracker);
    let mut tabs = Tabs::new(&window, tracker.write_key(), id);
    if store.is_memory_only() {
        // Nothing is shared between tabs: this tab sends its own events.
        tabs.sender = true;
    }
    let closures = Closures {
        timer: acting(|_| Some(Action::Timer)),
        response: acting(|resp| Some(Action::Sent(resp))),
        refusal: acting(|text| Some(Action::Refusal(text))),
    };
    let mut sdk = Sdk {
        tracker,
        window,
        document,
        endpoint: options.endpoint,
        debug: options.debug,
        auto_page: options.auto_page,
        last_href,
        pending_view: None,
        store,
        profile_key,
        state_key,
        profile_write_at: None,
        queue_write_at: None,
        tabs,
        exiting: false,
        drop_notice: DropNotice::default(),
        in_timer_task: false,
        unreachable: false,
        timer: None,
        flush_waiters: Vec::new(),
        outbox: Outbox::default(),
        closures,
        #[cfg(feature = "segments")]
        remote: Default::default(),
        #[cfg(feature = "segments")]
        consent_first: !options.personalize_without_consent,
        #[cfg(feature = "segments")]
        held_audience: None,
        #[cfg(feature = "segments")]
        announced: None,
    };
    sdk.notice(storage_warning);
    if consent == Consent::Denied {
        sdk.purge_storage();
    } else if !sdk.tabs.has_locks() && !sdk.store.is_memory_only() {
        sdk.adopt_all_logs();
    }
    // `navigator.onLine` (read once: see `convert::prop`).
    let online = super::convert::is_true(&super::convert::prop(
        &super::convert::prop(&sdk.window, "navigator"),
        "onLine",
    ));
    sdk.tracker.queue_mut().set_paused(!online);
    #[cfg(feature = "segments")]
    {
        sdk.remote.refresh = options.config_refresh;
        sdk.remote.early = options.config_response;
    }
    // The SDK lives as long as the page, so it is never dropped: `init` installs only while the slot is empty and
    // not borrowed (`is_running`), so it holds nothing to drop and the borrow succeeds. (Forgotten rather than
    // assigned: neither path then needs the drop code of the whole state, about 480 B.)
    // In a `ManuallyDrop` as well: `with` drops its closure when the slot cannot be reached (it then traps), and a
    // closure owning the state would bring that drop code back (about 200 B gzip).
    let sdk = std::mem::ManuallyDrop::new(sdk);
    SDK.with(move |cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            std::mem::forget(slot.replace(std::mem::ManuallyDrop::into_inner(sdk)));
        }
    });
    // Listeners capture nothing but call back through `run`, so they are created once the state is in place.
    act(Action::Started(options.track_clicks, options.config));
}

impl Sdk {
    /// Attaches the listeners, loads the config, records the first page view and emits `ready`.
    fn start(&mut self, track_clicks: bool, config: Option<ConfigSource>, now: Millis) {
        super::listeners::attach(&self.window, track_clicks);
        if !self.store.is_memory_only() {
            self.tabs.request_locks();
        }
        segments::start(self, config, now);
        if self.auto_page {
            // The URL is the one read at install: `document.referrer` is the referrer.
            self.view_page(None, None, None, now);
        }
        // A new visitor, and a session the page view started, are stored at once, in the task that read the stored
        // profile, not with the first write of the log: a tab opened right after this one (several links opened
        // together), or a frame of this page, is then the same visitor in the same session, rather than a visitor
        // or a session of its own that one of the two later adopts, its events split between two ids and its
        // prompt closed as another visitor's. (Here, with the state in place: page code the write runs, a
        // `setItem` the page replaced, may call the SDK, and its call is then made again rather than lost.)
        if self.tracker.take_write_soon() {
            self.write_profile();
        }
        self.outbox.emit("ready", JsValue::TRUE);
    }

    fn batch_url(&self) -> String {
        console::join(&[&self.endpoint, "/v1/batch"])
    }

    /// A warning: on the console and to the `warning` listeners. (Code and message borrowed: most messages are
    /// literals, which a `Warning` would copy into a `String` first.)
    pub fn report(&mut self, code: &str, message: &str) {
        console::warn(code, message);
        let payload = super::convert::object("code|message", &[code.into(), message.into()]);
        self.outbox.emit("warning", payload);
    }

    /// Reports a storage warning, if any. A write that failed left the page's data in its memory alone (see
    /// `Store::set`), where no other tab's sender can read this tab's events: it sends them itself from then on,
    /// as a tab without storage does from the start. (A page whose first write fails, a consent manager's
    /// `setItem` that throws or Safari's old private mode, has not asked for the sender lock, and sent nothing.)
    fn notice(&mut self, notice: Option<Notice>) {
        if let Some((code, message)) = notice {
            self.tabs.sender |= self.store.is_memory_only();
            self.report(code, message);
        }
    }

    /// Carries out what the core decided: warnings, due sends, storage writes, flush promises, the timer.
    fn settle(&mut self, now: Millis) {
        #[cfg(feature = "segments")]
        self.give_up_early_config(now);
        #[cfg(feature = "segments")]
        // Rules changing with time alone wait in a hidden page (it may have started so: opened in the background).
        self.tracker
            .set_time_change_delay(if !self.tracker.page_is_hidden() {
                0
            } else if self.tabs.sender {
                HIDDEN_SENDER_RECHECK
            } else {
                HIDDEN_TAB_RECHECK
            });
        // By reference, as the loops below: an owning loop instantiates the vector's iterator for its type.
        for w in &self.tracker.take_warnings() {
            self.report(w.code, &w.message);
        }
        if self.tracker.next_wakeup().is_some_and(|at| at <= now)
            || self.tracker.clock_set_back(now)
        {
            // What time alone brings (a segment left, a journey stage) is a message of the page as it is now, as a
            // call's is: the app may have retitled its view since the last call.
            #[cfg(feature = "segments")]
            self.tracker.retitle(env::title(&self.document));
            self.tracker.advance(now);
        }
        self.announce_changes();
        self.announce_drops(now);
        if self.exiting {
            self.exit_flush(now);
        }
        let consent = self.tracker.consent();
        if consent.may_send() && self.tabs.sender {
            // Other tabs' logs are read in the SDK's timer task, a few parts at a time, never in the page's call.
            if self.in_timer_task {
                self.import_other_logs();
            }
            self.send_due(now);
            self.publish_acks();
            self.forget_finished_tabs();
            self.tabs.check_liveness(now);
        }
        if consent.may_persist() {
            // A write planned on a clock since set back is not put off until it catches up.
            self.queue_write_at = self
                .queue_write_at
                .map(|at| at.min(now + QUEUE_WRITE_DELAY));
            self.profile_write_at = self
                .profile_write_at
                .map(|at| at.min(now + PROFILE_WRITE_DELAY));
            if self.tracker.queue().has_dirty_parts() && self.queue_write_at.is_none() {
                self.queue_write_at = Some(now + QUEUE_WRITE_DELAY);
            }
            // In the same task as the log's write (`Tracker::take_write_soon` says why).
            if self.tracker.take_write_soon() {
                self.profile_write_at = self.queue_write_at.or(Some(now));
            }
            if self.tracker.profile_or_state_dirty() && self.profile_write_at.is_none() {
                self.profile_write_at = Some(now + PROFILE_WRITE_DELAY);
            }
        }
        // Writes that fell due are carried out in the timer's own task, never inside the page's call: at the
        // queue's bound the log is about 2 MiB, and writing it takes longer than a frame. (The page's exit writes
        // at once: `exit_flush`.)
        if std::mem::take(&mut self.in_timer_task) {
            if self.profile_write_at.is_some_and(|at| at <= now) {
                self.write_profile();
            }
            if self.queue_write_at.is_some_and(|at| at <= now) {
                self.write_queue(LOG_WRITE_BUDGET, now);
            }
        }
        let done = if self.tabs.sender {
            // Other tabs' parts still to read count as waiting, but only while they can be sent.
            self.tracker.queue().is_empty()
                && !(self.tracker.consent().may_send() && self.tabs.imports_pending())
        } else {
            !self.tracker.queue().has_own()
        };
        // While nothing can be sent (consent pending, the browser offline), a flush answers `false` at once rather
        // than keep a page that awaits it before navigating waiting; the events stay queued.
        let blocked = !self.tracker.consent().may_send() || self.tracker.queue().is_paused();
        if done || blocked {
            self.answer_flushes(done);
        }
        self.arm_timer(now);
    }

    /// Resolves every waiting `flush()` with `sent`.
    fn answer_flushes(&mut self, sent: bool) {
        for resolve in &std::mem::take(&mut self.flush_waiters) {
            self.outbox.call(resolve.clone(), JsValue::from_bool(sent));
        }
    }

    fn send_due(&mut self, now: Millis) {
        let Some(batch) = self.tracker.take_due_batch(now) else {
            return;
        };
        if self.debug {
            console::debug(&console::join(&[
                "sending ",
                &console::num(batch.count as i64),
                " events",
            ]));
        }
        transport::post(
            &self.window,
            &self.batch_url(),
            &batch.body,
            &self.closures.response,
        );
    }

    /// Raises an `events_dropped` warning with the totals when [`DropNotice`] says one is due.
    fn announce_drops(&mut self, now: Millis) {
        let Some(dropped) = self.drop_notice.due(self.tracker.queue().dropped, now) else {
            return;
        };
        self.report(
            "events_dropped",
            &console::join(&[
                "events were dropped (totals: ",
                &console::num(dropped.overflow as i64),
                " over the queue bound, ",
                &console::num(dropped.expired as i64),
                " too old, ",
                &console::num(dropped.rejected as i64),
                " refused by the collector, ",
                &console::num(dropped.corrupt as i64),
                " corrupt in storage); the collector is told in the next batch",
            ]),
        );
    }

    fn on_send_result(&mut self, resp: &JsValue, now: Millis) {
        if self.tracker.queue().in_flight().is_none() {
            return;
        }
        let (status, retry_after) = transport::read_response(resp);
        let outcome = SendOutcome::from_status(status, retry_after);
        if self.debug {
            console::debug(&console::join(&[
                "batch answered ",
                &console::num(i64::from(status)),
            ]));
        }
        let jitter = self.tracker.rng().next_f64();
        let dropped = self.tracker.queue().dropped.rejected;
        // The answer to a batch sent before the page handed its log over (frozen, or in the back/forward cache) and
        // came back as a tab of its own is not this tab's: its events went with the log, and whichever tab sends
        // that log again gets its own answer, and reports that one. It only ends the wait for the old request:
        // reported here too, one refusal would be said twice, and a retry would hold back this tab's new events.
        let own = self.tracker.queue_mut().ack_in_flight(outcome, now, jitter);
        // No answer at all, twice in a row: a waiting flush answers `false` now, as while offline, rather than
        // through every retry (a collector blocked by the page's policy or an extension never answers); the events
        // stay queued. A single failure (a connection reset) is retried first, after its backoff (a second at first).
        // Any answer, the old request's too, shows the collector reachable; that request's network error counts not.
        let unreachable = status == 0;
        if own || !unreachable {
            if unreachable && self.unreachable {
                self.answer_flushes(false);
            }
            self.unreachable = unreachable;
        }
        if !own {
            return;
        }
        // A refusal that dropped none of this tab's events is not this tab's to report either.
        if let SendOutcome::Rejected { status } = outcome {
            if self.tracker.queue().dropped.rejected == dropped {
                return;
            }
            // Reported once its body says why (the collector's `{"error": {"code", "message"}}`); a body that
            // cannot be read reports the status alone, later in the same way. The status goes with its body: a
            // later batch may be refused before this body is read.
            let read = super::convert::array();
            let body = super::convert::call1(resp, "text", super::convert::UNDEFINED);
            let _ = super::convert::call2(
                &read,
                "push",
                &JsValue::from(status),
                &body.unwrap_or_default(),
            );
            let settled = super::convert::call1(
                &super::convert::prop(&self.window, "Promise"),
                "allSettled",
                &read,
            );
            transport::settle(&self.window, settled, &self.closures.refusal);
        }
    }

    /// Reports a refused batch ([`Sdk::on_send_result`]): its status, and the code and message of the collector's
    /// error in its body, if it has one (`read`: the settled status and text).
    fn on_refusal(&mut self, read: &JsValue) {
        let value = |at| super::convert::prop(&super::convert::at(read, at), "value");
        let status = value(0).as_f64().unwrap_or(0.0) as i64;
        let text = &value(1);
        let error = transport::collector_error(&self.window, text);
        let code = super::convert::text(&error, "code");
        let why = if code.is_empty() {
            code
        } else {
            console::join(&[
                " (",
                &code,
                ": ",
                &super::convert::text(&error, "message"),
                ")",
            ])
        };
        self.report(
            "batch_rejected",
            &console::join(&[
                "the collector refused a batch with status ",
                &console::num(status),
                &why,
                "; its events were dropped",
            ]),
        );
    }

    fn on_timer(&mut self, now: Millis) {
        self.timer = None;
        self.in_timer_task = true;
        let _ = now;
    }

    fn write_profile(&mut self) {
        self.profile_write_at = None;
        if !self.tracker.consent().may_persist() {
            return;
        }
        // The state first: another tab, hearing of the profile, reads the state written with it
        // (`Tracker::absorb_stored_profile`), and its copy of storage takes the writes in the order they were made.
        if let Some(state) = self.tracker.take_state_write() {
            let notice = self.store.set(&self.state_key, state);
            self.notice(notice);
        }
        if let Some(json) = self.tracker.take_profile_write() {
            let notice = self.store.set(&self.profile_key, json);
            self.notice(notice);
        }
    }

    /// Writes the parts of this tab's log that changed (removing those left empty), lowest first, until about
    /// `budget` bytes are written; the rest are written in the next timer task.
    fn write_queue(&mut self, budget: usize, now: Millis) {
        self.queue_write_at = None;
        if !self.tracker.consent().may_persist() {
            return;
        }
        let mut written = 0;
        let mut warning = None;
        while let Some((part, text)) = self.tracker.queue_mut().next_dirty_part() {
            let key = self.tabs.log_part_key(part);
            match text {
                Some(text) => {
                    written += text.len();
                    // One warning per write, however many parts storage refused.
                    warning = warning.or(self.store.set(&key, text));
                }
                None => {
                    written += LOG_REMOVE_COST;
                    self.store.remove(&key);
                }
            }
            if written >= budget && self.tracker.queue().has_dirty_parts() {
                self.queue_write_at = Some(now);
                break;
            }
        }
        self.notice(warning);
    }

    /// Removes everything Wayline stored for this write key: profile, segment state, every tab's log,
    /// acknowledgements and the flush nudge.
    fn purge_storage(&mut self) {
        self.store.remove(&self.profile_key);
        self.store.remove(&self.state_key);
        let prefix = console::join(&["wayline:", self.tracker.write_key(), ":"]);
        for key in &self.store.keys_with_prefix(&prefix) {
            self.store.remove(key);
        }
        self.profile_write_at = None;
        self.queue_write_at = None;
    }

    /// The keys of other tabs' log parts in storage, lowest part first (a tab's parts hold ascending sequence
    /// numbers, so importing them in this order never skips one).
    fn other_log_parts(&self) -> Vec<(u32, String)> {
        let mut parts = Vec::new();
        for key in &self.store.keys_with_prefix(&self.tabs.queue_key_of("")) {
            if let Some((_, part)) = self.tabs.log_part_of(key) {
                super::tabs::insert_in_part_order(&mut parts, part, key.clone());
            }
        }
        parts
    }

    /// The sender brings in what other tabs logged since it last looked: every part of every log when it has
    /// not read them yet, and after that only the parts a storage event said changed (a tab at the queue's bound
    /// has about 2 MiB of log, and reading all of it again for each write of a few KiB would take tens of ms).
    /// At most about [`LOG_READ_BUDGET`] bytes are read per call; the rest wait for the next timer task.
    fn import_other_logs(&mut self) {
        if !self.tabs.has_locks() || self.store.is_memory_only() {
            self.tabs.foreign_dirty = false;
            self.tabs.changed_logs.clear();
            return;
        }
        if std::mem::take(&mut self.tabs.foreign_dirty) {
            self.tabs.changed_logs.clear();
            self.tabs.pending_logs = self.other_log_parts();
        }
        for key in &std::mem::take(&mut self.tabs.changed_logs) {
            if let Some((_, part)) = self.tabs.log_part_of(key) {
                self.tabs.queue_import(part, key.clone());
            }
        }
        let mut read = 0;
        while read < LOG_READ_BUDGET && !self.tabs.pending_logs.is_empty() {
            let (_, key) = self.tabs.pending_logs.remove(0);
            read += self.import_part(&key);
        }
    }

    /// Imports one part of another tab's log; the bytes read.
    fn import_part(&mut self, key: &str) -> usize {
        let Some(tab) = self.tabs.log_part_of(key).map(|(tab, _)| tab.to_string()) else {
            return 0;
        };
        let Some(text) = self.store.get(key) else {
            return 0;
        };
        let stored_ack = self.store.get(&self.tabs.ack_key_of(&tab));
        let foreign = self.tabs.foreign_mut(&tab);
        if foreign.acked_through == 0 {
            foreign.acked_through = stored_ack
                .and_then(|a| crate::core::queue::parse_ack(&a))
                .unwrap_or(0);
        }
        let after = foreign.imported_through.max(foreign.acked_through);
        let origin = foreign.origin;
        match self.tracker.queue_mut().import(&text, origin, after) {
            Some(highest) => {
                let foreign = self.tabs.foreign_mut(&tab);
                foreign.imported_through = foreign.imported_through.max(highest);
            }
            None => {
                // Not a log this version reads: nothing in it can be sent.
                self.store.remove(key);
                self.report(
                    "queue_discarded",
                    "a stored event log was not in a format this version reads and was discarded",
                );
            }
        }
        text.len()
    }

    /// Tells other tabs which of their events the collector accepted.
    fn publish_acks(&mut self) {
        for &(origin, seq) in &self.tracker.queue_mut().take_foreign_acks() {
            let Some(f) = self.tabs.foreign.iter_mut().find(|f| f.origin == origin) else {
                continue;
            };
            f.acked_through = f.acked_through.max(seq);
            let value = console::num(f.acked_through as i64);
            let tab = f.tab.clone();
            let key = self.tabs.ack_key_of(&tab);
            let notice = self.store.set(&key, value);
            self.notice(notice);
        }
    }

    /// Removes the logs of tabs that are gone once everything in them was delivered. A last write of a dead tab
    /// may not have been imported yet, so its log is first queued to be read once more; it is removed when that
    /// read is done and brought nothing new.
    fn forget_finished_tabs(&mut self) {
        if self.tabs.imports_pending() {
            return;
        }
        let mut finished: Vec<String> = Vec::new();
        for f in &self.tabs.foreign {
            if self.tabs.is_dead(&f.tab)
                && f.acked_through >= f.imported_through
                && !self.tracker.queue().has_origin(f.origin)
            {
                finished.push(f.tab.clone());
            }
        }
        if finished.is_empty() {
            return;
        }
        let parts = self.other_log_parts();
        for tab in &finished {
            let recheck = !std::mem::replace(&mut self.tabs.foreign_mut(tab).rechecked, true);
            for (part, key) in &parts {
                if self
                    .tabs
                    .log_part_of(key)
                    .is_none_or(|(t, _)| t != tab.as_str())
                {
                    continue;
                }
                if recheck {
                    self.tabs.queue_import(*part, key.clone());
                } else {
                    self.store.remove(key);
                }
            }
            if recheck {
                continue;
            }
            self.store.remove(&self.tabs.ack_key_of(tab));
            // One record per tab (see `Tabs::foreign_mut`); the records are looked up, their order does not matter.
            if let Some(at) = self.tabs.foreign.iter().position(|f| f.tab == *tab) {
                self.tabs.foreign.swap_remove(at);
            }
        }
    }

    /// Without Web Locks: take over the logs earlier tabs left behind.
    fn adopt_all_logs(&mut self) {
        for (_, key) in &self.other_log_parts() {
            if let Some(text) = self.store.get(key) {
                self.tracker.queue_mut().restore(&text);
            }
            self.store.remove(key);
            if let Some((tab, _)) = self.tabs.log_part_of(key) {
                self.store.remove(&self.tabs.ack_key_of(tab));
            }
        }
    }

    /// This tab got the sender lock.
    pub fn become_sender(&mut self) {
        // A grant that was already on its way as the tab let go of its locks (frozen) is given back at once
        // (`Tabs::hold`): the tab does not send meanwhile.
        if self.tabs.released {
            return;
        }
        self.tabs.sender = true;
        self.tabs.foreign_dirty = true;
    }

    /// Another tab changed a shared key, or cleared storage (the empty key).
    pub fn on_storage(&mut self, key: &str, value: JsValue, now: Millis) {
        if key.is_empty() {
            self.restore_if_cleared(now);
        } else if key == self.profile_key {
            // Tabs open at once merge their profiles rather than overwrite each other's (`profile_merge.rs`).
            self.absorb_profile(&value.as_string().unwrap_or_default(), now);
        } else if self.tabs.is_own_ack_key(key) {
            if let Some(seq) = value
                .as_string()
                .and_then(|v| crate::core::queue::parse_ack(&v))
            {
                self.tracker.queue_mut().prune_own_through(seq);
            }
        } else if cfg!(feature = "segments") && key == self.state_key {
            // Another tab's counts, campaign caps and histories, which this tab's next write would otherwise drop.
            if let Some(text) = value.as_string() {
                self.tracker.adopt_stored_state(&text, now);
            }
        } else if self.tabs.log_part_of(key).is_some() {
            // Only the sender reads other logs (a tab that becomes the sender reads them all), so only its list
            // grows; it is emptied at each import.
            if self.tabs.sender && !self.tabs.changed_logs.iter().any(|k| k == key) {
                self.tabs.changed_logs.push(key.to_string());
            }
        } else if key == self.tabs.flush_key() && self.tabs.sender {
            self.tracker.queue_mut().request_flush();
        }
    }

    /// The page is back (visible again, or restored from the back/forward cache): a frozen page hears no
    /// `storage` events, so what other tabs (or later pages) stored meanwhile is taken in now as if it had just
    /// been written, before this page's older copy could overwrite it.
    fn absorb_stored(&mut self, now: Millis) {
        if !self.tracker.consent().may_record() {
            return;
        }
        // The profile, and the state stored beside it with it (without a profile, the state alone).
        let text = self.store.get(&self.profile_key).unwrap_or_default();
        self.absorb_profile(&text, now);
    }

    /// Another tab's profile (see `profile_merge.rs`); another visitor's closes the prompt, as `reset` does.
    fn absorb_profile(&mut self, text: &str, now: Millis) {
        // The state the other tab stored with it (see `Tracker::absorb_stored_profile`).
        #[cfg(feature = "segments")]
        let (state, open) = (
            self.store.get(&self.state_key),
            self.tracker.open_campaign(),
        );
        #[cfg(not(feature = "segments"))]
        let state: Option<String> = None;
        if self
            .tracker
            .absorb_stored_profile(text, state.as_deref(), now)
        {
            #[cfg(feature = "segments")]
            self.close_prompt(open, "reset", true);
        }
    }

    /// Applies a consent decision (SPEC §8).
    pub fn set_consent(&mut self, consent: Consent, now: Millis) {
        // What was recorded while consent was granted is written now, as it would have been a moment later:
        // under pending nothing is (a page left meanwhile would lose those events and the profile's changes), and
        // they are sent once consent is granted again.
        if consent == Consent::Pending && self.tracker.consent() == Consent::Granted {
            self.write_profile();
            self.write_queue(usize::MAX, now);
        }
        // A new visitor: the prompt on the page was the former one's (as on `reset`).
        #[cfg(feature = "segments")]
        if consent == Consent::Denied {
            self.close_prompt(self.tracker.open_campaign(), "consent", true);
        }
        self.tracker.set_consent(consent);
        match consent {
            Consent::Denied => {
                self.purge_storage();
            }
            Consent::Granted => {
                // Persist and send what was held in memory (every part: storage may have been purged since
                // the log was last written).
                self.profile_write_at = Some(now);
                self.queue_write_at = Some(now);
                self.tracker.queue_mut().rewrite_all_parts();
                self.tracker.queue_mut().request_flush();
                #[cfg(feature = "segments")]
                self.store_config();
            }
            Consent::Pending => {}
        }
        #[cfg(feature = "segments")]
        self.gate_audience(consent, now);
    }

    fn arm_timer(&mut self, now: Millis) {
        let sending = self.tracker.consent().may_send() && self.tabs.sender;
        let send_at = if sending {
            self.tracker.queue().next_send_at(now)
        } else {
            None
        };
        let import_at = (sending && self.tabs.imports_pending()).then_some(now);
        // The earliest of them (a plain loop: an iterator chain is code of its own).
        let mut next: Option<Millis> = None;
        for at in [
            send_at,
            import_at,
            self.profile_write_at,
            self.queue_write_at,
            self.tracker.next_wakeup(),
            self.pending_view.as_ref().map(|(_, at)| *at),
            self.early_config_until(),
            // Drops the last `events_dropped` notice did not include, announced when due even if nothing else
            // happens by then.
            self.drop_notice.next_due(self.tracker.queue().dropped),
        ]
        .iter()
        .flatten()
        {
            if next.is_none_or(|n| *at < n) {
                next = Some(*at);
            }
        }
        match (next, self.timer) {
            (None, None) => {}
            (Some(at), Some((_, armed))) if armed <= at.max(now) => {}
            (next, current) => {
                // `setTimeout`/`clearTimeout` through `call` rather than typed bindings (an import each).
                if let Some((handle, _)) = current {
                    let _ = super::convert::call1(&self.window, "clearTimeout", &handle.into());
                    self.timer = None;
                }
                if let Some(at) = next {
                    let at = at.max(now);
                    let delay = (at - now).min(i64::from(i32::MAX)) as i32;
                    let handle = super::convert::call2(
                        &self.window,
                        "setTimeout",
                        self.closures.timer.as_ref(),
                        &delay.into(),
                    );
                    if let Some(handle) = handle.and_then(|h| h.as_f64()) {
                        self.timer = Some((handle as i32, at));
                    }
                }
            }
        }
    }

    /// The page is being hidden or left: hand queued events to `sendBeacon`, then write the profile and the
    /// queue synchronously (an asynchronous write might not finish before the page is gone). Beaconed events stay
    /// in the stored queue: the next page sends them again unless a fetch confirmed them first, so a beacon lost
    /// on the network loses nothing; the collector stores each `messageId` once.
    pub fn on_exit(&mut self, now: Millis) {
        self.exiting = true;
        self.restore_if_cleared(now);
        self.exit_flush(now);
    }

    /// The page is hidden, or left (`pagehide`): engaged time stops, and for a page left its engagement is
    /// recorded; then what is queued is beaconed and stored (see [`Sdk::on_exit`]).
    fn hide(&mut self, left: bool, now: Millis) {
        self.tracker.page_hidden(now);
        if left {
            // The page's engagement is a message of the page as the visitor leaves it.
            self.refresh_title(now);
            self.tracker.page_left(now);
            #[cfg(feature = "segments")]
            self.drop_unbuilt(now);
            // Campaign delays waiting go to the next page of the tab, with the state written now.
            self.tracker.page_leaving(true);
        }
        self.on_exit(now);
    }

    /// The page is visible again (back from another tab, or restored from the back/forward cache).
    fn returned(&mut self, now: Millis) {
        // What other tabs stored while this page could not hear it (frozen, or in the back/forward cache, whose
        // `visibilitychange` comes before its `pageshow`) is taken in first: a campaign waiting for the page is
        // then checked against caps and answers recorded elsewhere meanwhile. (Taking in what it already has
        // changes nothing.)
        self.absorb_stored(now);
        // Back after being left (the back/forward cache): the delays are those the later page handed back.
        self.tracker.page_leaving(false);
        self.tracker.page_shown(now);
        self.exiting = false;
        self.refresh_config(now);
    }

    /// The page is frozen, in the background or as it enters the back/forward cache (it was hidden first, and
    /// beaconed and stored what it had): it lets go of its locks, so that another tab sends meanwhile, taking
    /// this tab's stored log over as a closed tab's, and so that Chromium keeps the page in its cache when the
    /// next page of the site asks for them. A tab on its own (storage in memory alone) keeps its events.
    fn suspend(&mut self, now: Millis) {
        if self.tabs.released || !self.tabs.has_locks() || self.store.is_memory_only() {
            return;
        }
        self.exit_flush(now);
        self.tabs.release();
    }

    /// The page runs again after [`Sdk::suspend`]: it comes back as a tab of its own, with a new id. What it had
    /// queued is in the stored log it left, which the sending tab (maybe this one) takes over, so it is neither
    /// lost nor sent again from memory; with consent pending nothing was stored, and it keeps its events.
    fn resume(&mut self) {
        if !self.tabs.released {
            return;
        }
        if self.tracker.consent().may_persist() {
            self.tracker.queue_mut().hand_over();
            // A flush waiting since before the freeze cannot learn when the log it left is delivered (the tab
            // that sends acknowledges it under the old id): it answers `false`, as for events that wait, rather
            // than `true` for a queue that is empty because it was handed over.
            self.answer_flushes(false);
        }
        let id = tab_id(&mut self.tracker);
        self.tabs.renew(id);
    }

    /// Storage was cleared under the SDK (`localStorage.clear()` in another tab or in the page, the visitor
    /// clearing the site's data): with the stored profile gone, this tab writes its profile, its segment and
    /// campaign state and its whole log again (the writes fall due at once), so the visitor stays who they were in
    /// every tab and no queued event is lost with the log. Checked when another tab clears storage, and as the
    /// page is hidden or left.
    fn restore_if_cleared(&mut self, now: Millis) {
        if self.tracker.consent().may_persist()
            && !self.store.is_memory_only()
            && self.store.get(&self.profile_key).is_none()
        {
            self.tracker.stored_lost();
            self.profile_write_at = Some(now);
            self.queue_write_at = Some(now);
        }
    }

    /// Hands what is queued to `sendBeacon` (the sending tab only: another tab's sender imports a closing
    /// tab's log, so beaconing it as well would send it twice) and writes storage synchronously. Runs on exit and
    /// after every call while the page is going away, so events tracked in the page's own exit handlers, which
    /// may run after ours, are not lost.
    fn exit_flush(&mut self, now: Millis) {
        if self.tabs.sender
            && self.tracker.consent().may_send()
            && !self.tracker.queue().is_paused()
        {
            let url = self.batch_url();
            let mut budget = EXIT_BUDGET;
            while let Some(batch) = self.tracker.take_exit_batch(now, budget) {
                if !transport::beacon(&self.window, &url, &batch.body) {
                    break;
                }
                budget = budget.saturating_sub(batch.body.len());
                self.tracker.queue_mut().mark_beaconed(&batch);
            }
        }
        self.write_profile();
        self.write_queue(usize::MAX, now);
    }

    /// Called when the URL may have changed (history API, `popstate`): a page view if the page is new, or with
    /// automatic page views off, the page later messages carry (see [`Tracker::set_page`]).
    ///
    /// The page view waits for the end of the app's task: routers set `document.title` once the new view renders,
    /// after they navigate (in the same task, or in a microtask after it), so the view recorded at once would carry
    /// the previous page's title. It is recorded, as of the navigation, with the title the page has by the SDK's
    /// next task (its timer, due at once) or by the next call or event the SDK handles, whichever comes first, so
    /// it still precedes anything recorded after the navigation (as Google's autotrack defers its page view to the
    /// next task for the same reason).
    pub fn on_navigation(&mut self, now: Millis) {
        let href = env::href(&self.window);
        let bare = crate::core::url::Url::without_hash;
        if bare(&href) == bare(&self.last_href) {
            return;
        }
        self.view_pending();
        // The title the page left has now (an app sets the next page's once that view renders): its engagement,
        // sent now, carries it.
        self.refresh_title(now);
        if self.auto_page {
            self.pending_view = Some((self.current_page(), now));
        } else {
            let page = self.current_page();
            self.tracker.set_page(page, now);
            // Another page, whose scroll depth is reported afresh, as a page view's is (see `view_page`).
            super::listeners::forget_scroll();
        }
    }

    /// The title the page has now, for the message a call makes: apps set it after they navigate (most routers do,
    /// once the new view renders), and analytics.js reads it at each call. One read of `document.title`; the rules
    /// see a new one with the call's event (see [`crate::core::tracker::Tracker::set_page`]).
    pub fn refresh_title(&mut self, now: Millis) {
        let title = env::title(&self.document);
        if title != self.tracker.page().title {
            let mut page = self.tracker.page().clone();
            page.title = title;
            self.tracker.set_page(page, now);
        }
    }

    /// The page the visitor is on: the previous URL is its referrer when they differ (fragments aside), else the
    /// referrer of the page already known (`document.referrer` on the landing page).
    fn current_page(&mut self) -> crate::core::message::Page {
        // Compared and given without fragments, as the page views' URLs are sent (a browser's referrer has none).
        let href = env::href(&self.window);
        let bare = crate::core::url::Url::without_hash;
        let referrer = if bare(&href) != bare(&self.last_href) {
            let mut previous = std::mem::replace(&mut self.last_href, href);
            previous.truncate(bare(&previous).len());
            previous
        } else {
            self.tracker.page().referrer.clone()
        };
        env::page(&self.window, &self.document, Some(referrer))
    }

    /// A page view of the current page (see [`Sdk::current_page`]); its scroll depth is reported afresh. The first
    /// page view, a manual one and an SPA navigation share this body (each copy inlined into its dispatcher was
    /// code of its own).
    pub fn view_page(
        &mut self,
        category: Option<&str>,
        name: Option<&str>,
        props: Option<&str>,
        now: Millis,
    ) {
        let page = self.current_page();
        self.record_view(page, category, name, props, now);
    }

    /// Records the automatic page view waiting for the app's title ([`Sdk::on_navigation`]), if any.
    pub fn view_pending(&mut self) {
        if let Some((mut page, at)) = self.pending_view.take() {
            page.title = env::title(&self.document);
            self.record_view(page, None, None, None, at);
        }
    }

    fn record_view(
        &mut self,
        page: crate::core::message::Page,
        category: Option<&str>,
        name: Option<&str>,
        props: Option<&str>,
        now: Millis,
    ) {
        self.tracker.page_view_in(page, category, name, props, now);
        super::listeners::forget_scroll();
    }

    pub fn add_flush_waiter(&mut self, resolve: Function) {
        self.tracker.queue_mut().request_flush();
        // After a send that got no answer, a flush tries again now rather than after the backoff (up to a minute),
        // and answers `false` as soon as that fails too (`on_send_result`). A collector that answered, with a
        // `Retry-After` say, keeps its wait.
        if self.unreachable {
            self.tracker.queue_mut().retry_now();
        }
        // Not while nothing can be sent (consent pending or denied: the flush answers at once, `settle`), when
        // nothing may be written either.
        if !self.tabs.sender && self.tracker.consent().may_send() {
            // Persist (in the next timer task) and nudge the sender tab, which also reads the log when it changes.
            self.queue_write_at = Some(0);
            let key = self.tabs.flush_key();
            let notice = self.store.set(&key, console::num(env::now()));
            self.notice(notice);
        }
        self.flush_waiters.push(resolve);
    }

    pub fn set_online(&mut self, online: bool) {
        self.tracker.queue_mut().set_paused(!online);
    }

    pub fn reset(&mut self, now: Millis) {
        #[cfg(feature = "segments")]
        self.close_prompt(self.tracker.open_campaign(), "reset", true);
        self.tracker.reset(now);
        self.write_profile();
    }
}
