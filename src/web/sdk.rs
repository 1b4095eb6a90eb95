//! The running SDK: the core tracker plus the browser resources that carry out its decisions.
//!
//! All state sits in one thread-local cell. Every entry point goes through [`run`], which borrows the state, lets
//! the core decide, carries out sends, storage writes and the timer, then releases the state before any host
//! callback runs (an [`Outbox`]).

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

use super::console;
use super::emitter::Outbox;
use super::env;
use super::listeners::Listeners;
use super::options::InitOptions;
use super::storage::Store;
use super::transport;
use crate::core::queue::SendOutcome;
use crate::core::time::{Millis, SECOND};
use crate::core::tracker::{Tracker, Warning};

/// Profile writes are coalesced: at most one per this interval, and one on page exit.
const PROFILE_WRITE_DELAY: Millis = SECOND;
/// What `sendBeacon`/`keepalive` may have in flight per page (64 KiB), less a margin for headers.
const EXIT_BUDGET: usize = 60 * 1024;

pub struct Sdk {
    pub tracker: Tracker,
    pub window: web_sys::Window,
    pub endpoint: String,
    pub debug: bool,
    pub auto_page: bool,
    pub last_href: String,
    store: Store,
    profile_key: String,
    profile_write_at: Option<Millis>,
    timer: Option<(i32, Millis)>,
    flush_waiters: Vec<Function>,
    outbox: Outbox,
    closures: Closures,
    pub listeners: Option<Listeners>,
}

/// Callbacks created once and reused for every timer and request.
struct Closures {
    timer: Closure<dyn FnMut()>,
    response: Closure<dyn FnMut(JsValue)>,
    network_error: Closure<dyn FnMut(JsValue)>,
}

thread_local! {
    static SDK: RefCell<Option<Sdk>> = const { RefCell::new(None) };
}

pub fn is_running() -> bool {
    SDK.with(|s| s.try_borrow().map(|s| s.is_some()).unwrap_or(true))
}

/// Runs `f` on the SDK state at the current time, settles what it decided, then delivers callbacks.
/// `None` when the SDK is not initialised (or, defensively, when re-entered).
pub fn run<R>(f: impl FnOnce(&mut Sdk, Millis) -> R) -> Option<R> {
    let mut f = Some(f);
    let mut result = None;
    run_dyn(&mut |sdk, now| {
        if let Some(f) = f.take() {
            result = Some(f(sdk, now));
        }
    });
    result
}

/// The non-generic body of [`run`]: one copy in the wasm however many entry points there are.
fn run_dyn(f: &mut dyn FnMut(&mut Sdk, Millis)) {
    let outbox = SDK.with(|cell| {
        let mut guard = cell.try_borrow_mut().ok()?;
        let sdk = guard.as_mut()?;
        let now = env::now();
        f(sdk, now);
        sdk.settle(now);
        Some(std::mem::take(&mut sdk.outbox))
    });
    if let Some(outbox) = outbox {
        outbox.deliver();
    }
}

/// Installs the SDK, attaches its listeners, records the first page view and emits `ready`.
pub fn install(options: InitOptions, window: web_sys::Window) {
    let (store, storage_warning) = Store::open(&window);
    let profile_key = format!("wayline:{}:profile", options.tracker.write_key);
    let stored = store.get(&profile_key);
    let page = env::page(&window, None);
    let last_href = page.url.clone();
    let tracker = Tracker::new(
        options.tracker,
        stored.as_deref(),
        env::environment(&window),
        page,
        env::seed(&window),
    );
    let closures = Closures {
        timer: Closure::new(|| {
            run(|sdk, now| sdk.on_timer(now));
        }),
        response: Closure::new(|resp: JsValue| {
            let (status, retry_after) = transport::read_response(&resp);
            run(|sdk, now| sdk.on_send_result(status, retry_after, now));
        }),
        network_error: Closure::new(|_err: JsValue| {
            run(|sdk, now| sdk.on_send_result(0, None, now));
        }),
    };
    let mut sdk = Sdk {
        tracker,
        window,
        endpoint: options.endpoint,
        debug: options.debug,
        auto_page: options.auto_page,
        last_href,
        store,
        profile_key,
        profile_write_at: None,
        timer: None,
        flush_waiters: Vec::new(),
        outbox: Outbox::default(),
        closures,
        listeners: None,
    };
    if let Some(w) = storage_warning {
        sdk.report(&w);
    }
    let online = sdk.window.navigator().on_line();
    sdk.tracker.queue_mut().set_paused(!online);
    let track_clicks = options.track_clicks;
    SDK.with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            *slot = Some(sdk);
        }
    });
    // Listeners capture nothing but call back through `run`, so they are created once the state is in place.
    run(|sdk, now| {
        let listeners = Listeners::attach(&sdk.window, track_clicks);
        sdk.listeners = listeners;
        if sdk.auto_page {
            let page = env::page(&sdk.window, None);
            sdk.tracker.page_view(page, None, None, now);
        }
        sdk.outbox.emit("ready", JsValue::TRUE);
    });
}

impl Sdk {
    fn batch_url(&self) -> String {
        format!("{}/v1/batch", self.endpoint)
    }

    pub fn report(&mut self, w: &Warning) {
        console::warn(w.code, &w.message);
        let payload = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&payload, &"code".into(), &w.code.into());
        let _ = js_sys::Reflect::set(&payload, &"message".into(), &w.message.as_str().into());
        self.outbox.emit("warning", payload.into());
    }

    /// Carries out what the core decided: warnings, due sends, profile writes, flush promises, the timer.
    fn settle(&mut self, now: Millis) {
        for w in self.tracker.take_warnings() {
            self.report(&w);
        }
        self.send_due(now);
        if self.tracker.profile_dirty() && self.profile_write_at.is_none() {
            self.profile_write_at = Some(now + PROFILE_WRITE_DELAY);
        }
        if self.profile_write_at.is_some_and(|at| at <= now) {
            self.write_profile();
        }
        if self.tracker.queue().is_empty() {
            for resolve in self.flush_waiters.drain(..) {
                self.outbox.call(resolve, JsValue::TRUE);
            }
        }
        self.arm_timer(now);
    }

    fn send_due(&mut self, now: Millis) {
        let Some(batch) = self.tracker.take_due_batch(now) else {
            return;
        };
        if self.debug {
            console::debug(&format!("sending {} events", batch.count));
        }
        transport::post(
            &self.window,
            &self.batch_url(),
            &batch.body,
            &self.closures.response,
            &self.closures.network_error,
        );
    }

    fn on_send_result(&mut self, status: u16, retry_after: Option<Millis>, now: Millis) {
        let Some((first, last)) = self.tracker.queue().in_flight() else {
            return;
        };
        let outcome = SendOutcome::from_status(status, retry_after);
        if self.debug {
            console::debug(&format!("batch answered {status}"));
        }
        if let SendOutcome::Rejected { status } = outcome {
            self.report(&Warning {
                code: "batch_rejected",
                message: format!(
                    "the collector refused a batch with status {status}; its events were dropped"
                ),
            });
        }
        let jitter = self.tracker.rng().next_f64();
        self.tracker
            .queue_mut()
            .ack(first, last, outcome, now, jitter);
    }

    fn on_timer(&mut self, now: Millis) {
        self.timer = None;
        let _ = now;
    }

    fn write_profile(&mut self) {
        self.profile_write_at = None;
        if let Some(json) = self.tracker.take_profile_write() {
            if let Some(w) = self.store.set(&self.profile_key, json) {
                self.report(&w);
            }
        }
    }

    fn arm_timer(&mut self, now: Millis) {
        let next = [self.tracker.queue().next_send_at(), self.profile_write_at]
            .into_iter()
            .flatten()
            .min();
        match (next, self.timer) {
            (None, None) => {}
            (Some(at), Some((_, armed))) if armed <= at.max(now) => {}
            (next, current) => {
                if let Some((handle, _)) = current {
                    self.window.clear_timeout_with_handle(handle);
                    self.timer = None;
                }
                if let Some(at) = next {
                    let at = at.max(now);
                    let delay = (at - now).min(i64::from(i32::MAX)) as i32;
                    let f: &Function =
                        wasm_bindgen::JsCast::unchecked_ref(self.closures.timer.as_ref());
                    if let Ok(handle) = self
                        .window
                        .set_timeout_with_callback_and_timeout_and_arguments_0(f, delay)
                    {
                        self.timer = Some((handle, at));
                    }
                }
            }
        }
    }

    /// The page is being hidden or left: write the profile and hand every queued event to `sendBeacon`.
    pub fn on_exit(&mut self, now: Millis) {
        self.write_profile();
        let url = self.batch_url();
        let mut budget = EXIT_BUDGET;
        while let Some(batch) = self.tracker.take_exit_batch(now, budget) {
            if !transport::beacon(&self.window, &url, &batch.body) {
                break;
            }
            budget = budget.saturating_sub(batch.body.len());
            self.tracker.queue_mut().ack(
                batch.first_seq,
                batch.last_seq,
                SendOutcome::Accepted,
                now,
                0.0,
            );
        }
    }

    /// Called when the URL may have changed (history API, `popstate`): a page view if the page is new.
    pub fn on_navigation(&mut self, now: Millis) {
        if !self.auto_page {
            return;
        }
        let href = env::href(&self.window);
        let same = crate::core::url::Url::without_hash(&href)
            == crate::core::url::Url::without_hash(&self.last_href);
        if same {
            return;
        }
        let previous = std::mem::replace(&mut self.last_href, href);
        let page = env::page(&self.window, Some(previous));
        self.tracker.page_view(page, None, None, now);
    }

    pub fn add_flush_waiter(&mut self, resolve: Function) {
        self.tracker.queue_mut().request_flush();
        self.flush_waiters.push(resolve);
    }

    pub fn set_online(&mut self, online: bool) {
        self.tracker.queue_mut().set_paused(!online);
    }

    pub fn reset(&mut self, now: Millis) {
        self.tracker.reset(now);
        self.write_profile();
    }
}
