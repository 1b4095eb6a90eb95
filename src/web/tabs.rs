//! Many tabs of one site: one queue, one sender.
//!
//! Every tab keeps its own log of unsent events in `localStorage` (`wayline:<key>:queue:<tab>`, and
//! `wayline:<key>:queue:<tab>~<n>` for its later parts: see `core::queue::PART_BYTES`), written only by that tab,
//! so no two tabs ever write the same key. One tab, the *sender*, holds the Web Lock
//! `wayline:<key>:sender`; it imports the other tabs' logs, sends everything, and publishes per tab the highest
//! sequence number the collector accepted (`wayline:<key>:ack:<tab>`, written only by the sender). Owners drop what
//! was acknowledged. Each tab also holds the lock `wayline:<key>:tab:<tab>` for its lifetime, so the sender can
//! tell a live tab's log from a dead one's: a dead tab's log is sent and then removed. When the sender dies, the
//! lock passes to a waiting tab, which re-imports everything not acknowledged: delivery stays at least once, and
//! the collector's `messageId` dedupe makes storage exactly once. A reload is a new tab: the previous page's log
//! is a dead tab's log. So is a page frozen or kept in the back/forward cache: it lets go of both locks
//! ([`Tabs::release`]) and comes back as a tab with a new id ([`Tabs::renew`]).
//!
//! Without Web Locks (old browsers) each tab sends its own events, and logs of earlier tabs are taken over when a
//! tab starts (a live tab's log taken over that way is sent twice, which the collector's dedupe absorbs).

use wasm_bindgen::JsValue;

use super::console::join;
use super::convert::{number, prop, prop_object, then, Callback};
use super::sdk::{self, Action};
use crate::core::time::{Millis, SECOND};

/// How often the sender re-checks which tabs are alive while it holds other tabs' events.
const LIVENESS_INTERVAL: Millis = 3 * SECOND;

/// Another tab whose log the sender has imported.
pub struct Foreign {
    pub origin: u32,
    pub tab: String,
    pub imported_through: u64,
    pub acked_through: u64,
    /// The tab was seen dead with everything delivered, and its log was queued to be read once more (a last write
    /// may not have been imported yet); once that read is done, the log is removed.
    pub rechecked: bool,
}

pub struct Tabs {
    pub id: String,
    prefix: String,
    locks: Option<JsValue>,
    pub sender: bool,
    pub foreign: Vec<Foreign>,
    next_origin: u32,
    /// Every other tab's log should be read (none was read yet, or this tab just became the sender).
    pub foreign_dirty: bool,
    /// Keys of other tabs' log parts that changed since the sender last imported: only these are read again.
    pub changed_logs: Vec<String>,
    /// Log parts waiting to be read by the sender, lowest part first (read a few per timer task).
    pub pending_logs: Vec<(u32, String)>,
    /// Tab ids holding their lifetime lock at the last check; `None` before the first answer.
    live: Option<Vec<String>>,
    last_liveness_check: Millis,
    liveness_pending: bool,
    /// Both reactions of a liveness query (see `set_live`).
    on_liveness: Callback,
    /// What releases the locks this tab holds: the `resolve` of each grant's promise ([`held`]).
    holds: Vec<JsValue>,
    /// The `AbortController` of this tab's lock requests, which cancels one still waiting (the sender lock).
    abort: JsValue,
    /// The tab let go of its locks (frozen, or in the back/forward cache) and has not asked for them again.
    pub released: bool,
    /// Takes the rejection of a lock request cancelled by [`Tabs::release`] (else an unhandled rejection).
    ignore: Callback,
}

/// A promise that settles when this tab lets go of its locks ([`Tabs::release`]), for holding the lock whose grant
/// answers it until then: until the page is gone, or frozen (in the back/forward cache, or by the browser in the
/// background). Its `resolve` reaches [`Tabs::hold`] through `Action::Holding`, from the executor that
/// `new Promise` calls at once. (The executor is one more [`sdk::acting`] callback, of the SDK's one closure type.)
pub fn held() -> JsValue {
    let executor = sdk::acting(|resolve| Some(Action::Holding(resolve)));
    let args = super::convert::array();
    let _ = super::convert::call1(&args, "push", executor.as_ref());
    super::convert::construct("Promise", &args)
}

impl Tabs {
    pub fn new(window: &web_sys::Window, write_key: &str, id: String) -> Tabs {
        let locks = prop_object(&prop(window, "navigator"), "locks");
        Tabs {
            id,
            prefix: join(&["wayline:", write_key, ":"]),
            sender: locks.is_none(),
            locks,
            foreign: Vec::new(),
            next_origin: 1,
            foreign_dirty: true,
            changed_logs: Vec::new(),
            pending_logs: Vec::new(),
            live: None,
            last_liveness_check: 0,
            liveness_pending: false,
            on_liveness: sdk::acting(|settled| Some(Action::Live(settled))),
            holds: Vec::new(),
            abort: JsValue::UNDEFINED,
            released: false,
            ignore: sdk::acting(|_| None),
        }
    }

    pub fn has_locks(&self) -> bool {
        self.locks.is_some()
    }

    /// The key of part `part` of this tab's log. Part 0 keeps the key a whole log had before logs were cut into
    /// parts, so an older version's log is read as a log of one part.
    pub fn log_part_key(&self, part: u32) -> String {
        let key = self.queue_key_of(&self.id);
        if part == 0 {
            return key;
        }
        join(&[&key, "~", &super::console::num(i64::from(part))])
    }

    pub fn queue_key_of(&self, tab: &str) -> String {
        join(&[&self.prefix, "queue:", tab])
    }

    pub fn ack_key_of(&self, tab: &str) -> String {
        join(&[&self.prefix, "ack:", tab])
    }

    pub fn flush_key(&self) -> String {
        join(&[&self.prefix, "flush"])
    }

    /// The tab id a storage key is a log part of, and the part's number, if it is another tab's log.
    pub fn log_part_of<'a>(&self, key: &'a str) -> Option<(&'a str, u32)> {
        let rest = key
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix("queue:")?;
        let (tab, part) = crate::core::queue::log_part_name(rest)?;
        (tab != self.id).then_some((tab, part))
    }

    /// Whether `key` is where the sender acknowledges this tab's events.
    pub fn is_own_ack_key(&self, key: &str) -> bool {
        key == self.ack_key_of(&self.id)
    }

    /// Takes the tab's lifetime lock and queues for the sender lock. The callbacks run later, from the browser.
    /// Both are held until [`Tabs::release`]; a request still waiting then is cancelled through its signal.
    pub fn request_locks(&mut self) {
        let Some(locks) = &self.locks else {
            return;
        };
        let controller = super::convert::construct("AbortController", &super::convert::array());
        let options = super::convert::object("signal", &[prop(&controller, "signal")]);
        self.abort = controller;
        // `locks.request(name, options, callback)` through `call3`, as every rare DOM call.
        let hold = sdk::holding(|_lock| None);
        let lead = sdk::holding(|_lock| Some(Action::Sender));
        let tab_lock = join(&[&self.prefix, "tab:", &self.id]);
        let sender_lock = join(&[&self.prefix, "sender"]);
        for (name, grant) in [(tab_lock, &hold), (sender_lock, &lead)] {
            if let Some(request) =
                super::convert::call3(locks, "request", &name.into(), &options, grant.as_ref())
            {
                let _ = then(&request, super::convert::UNDEFINED, self.ignore.as_ref());
            }
        }
        hold.keep();
        lead.keep();
    }

    /// A lock was granted: its release, kept until the tab lets go of its locks (at once if it already has).
    pub fn hold(&mut self, resolve: JsValue) {
        if self.released {
            let _ = super::convert::call1(&resolve, "call", super::convert::UNDEFINED);
        } else {
            self.holds.push(resolve);
        }
    }

    /// Lets go of this tab's locks and cancels the request still waiting: a page frozen (by the browser, or as it
    /// enters the back/forward cache) that held them would keep every other tab from sending, and Chromium
    /// evicts a cached page that holds a lock another page asks for (`WebLocksContention`), so a back navigation
    /// within the site would load the page afresh. Its log is then a closed tab's to the tab that sends.
    pub fn release(&mut self) {
        for resolve in &std::mem::take(&mut self.holds) {
            let _ = super::convert::call1(resolve, "call", super::convert::UNDEFINED);
        }
        let _ = super::convert::call1(&self.abort, "abort", super::convert::UNDEFINED);
        self.released = true;
        self.sender = false;
    }

    /// The page is back after [`Tabs::release`]: it is a tab of its own, `id`, which knows no other tab's log
    /// yet, and asks for its locks again.
    pub fn renew(&mut self, id: String) {
        self.id = id;
        self.released = false;
        self.foreign.clear();
        self.foreign_dirty = true;
        self.changed_logs.clear();
        self.pending_logs.clear();
        self.live = None;
        self.request_locks();
    }

    /// Asks the browser which tabs are alive (when due); the answer arrives through `set_live`.
    pub fn check_liveness(&mut self, now: Millis) {
        if self.liveness_pending
            || !crate::core::time::elapsed(self.last_liveness_check, now, LIVENESS_INTERVAL)
            || self.foreign.is_empty()
        {
            return;
        }
        let Some(locks) = &self.locks else {
            return;
        };
        // The answer is a promise; it is pending once its reactions are registered (they run later).
        let Some(answer) = super::convert::call1(locks, "query", super::convert::UNDEFINED) else {
            return;
        };
        let registered = then(
            &answer,
            self.on_liveness.as_ref(),
            self.on_liveness.as_ref(),
        );
        if registered.is_some() {
            self.last_liveness_check = now;
            self.liveness_pending = true;
        }
    }

    /// The answer to a liveness check, a `LockManager.query()` snapshot, or the error the query failed with (which
    /// has no `held` list: nothing is learnt from it): the tabs holding their lifetime lock are those of its `held`
    /// locks named for one. (Read through `prop`, indexing the list by number: typed `Array` access would cost
    /// imports of its own; and here rather than into a list of names first, which was a vector of its own carried
    /// in the `Action`. One callback for both outcomes, as for a send's.)
    pub fn set_live(&mut self, settled: JsValue) {
        self.liveness_pending = false;
        let held = prop(&settled, "held");
        if !held.is_object() {
            return;
        }
        let marker = join(&[&self.prefix, "tab:"]);
        let mut live = Vec::new();
        let count = number(&held, "length") as u32;
        for i in 0..count {
            let name = prop(&super::convert::at(&held, i), "name").as_string();
            if let Some(tab) = name
                .as_deref()
                .and_then(|n| n.strip_prefix(marker.as_str()))
            {
                live.push(tab.to_string());
            }
        }
        self.live = Some(live);
    }

    /// Whether `tab` is known to be gone. Without Web Locks nothing is known, and logs are taken over at start.
    pub fn is_dead(&self, tab: &str) -> bool {
        self.live
            .as_ref()
            .is_some_and(|live| !live.iter().any(|t| t == tab))
    }

    /// The record of another tab's log, created when first seen.
    /// Whether the sender has log parts to read.
    pub fn imports_pending(&self) -> bool {
        self.foreign_dirty || !self.changed_logs.is_empty() || !self.pending_logs.is_empty()
    }

    /// Queues a log part to be read, in part order, once.
    pub fn queue_import(&mut self, part: u32, key: String) {
        if self.pending_logs.iter().any(|(_, k)| *k == key) {
            return;
        }
        insert_in_part_order(&mut self.pending_logs, part, key);
    }

    pub fn foreign_mut(&mut self, tab: &str) -> &mut Foreign {
        let at = match self.foreign.iter().position(|f| f.tab == tab) {
            Some(at) => at,
            None => {
                self.foreign.push(Foreign {
                    origin: self.next_origin,
                    tab: tab.to_string(),
                    imported_through: 0,
                    acked_through: 0,
                    rechecked: false,
                });
                self.next_origin += 1;
                self.foreign.len() - 1
            }
        };
        &mut self.foreign[at]
    }
}

/// Inserts a log part's key after those of lower or equal parts: a list built this way is in part order, and
/// keys of one part stay in the order they came (a stable sort, one element at a time). The queue of parts to read
/// and the list of every part in storage both use it: a sort of its own for the second was code of its own.
pub fn insert_in_part_order(parts: &mut Vec<(u32, String)>, part: u32, key: String) {
    let mut at = parts.len();
    while at > 0 && parts[at - 1].0 > part {
        at -= 1;
    }
    parts.insert(at, (part, key));
}

#[cfg(test)]
mod tests {
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// After the clock is set back, the sender still checks which other tabs are open: the last check, on the old
    /// clock, seems to lie ahead, and must not hold the next one until the clock catches up (meanwhile the logs
    /// of closed tabs, delivered, would stay in storage).
    #[wasm_bindgen_test]
    fn a_clock_set_back_does_not_hold_the_liveness_checks() {
        let window = web_sys::window().expect("a window");
        let mut tabs = super::Tabs::new(&window, "wk_liveness", "t1".into());
        tabs.foreign_mut("t2");
        let day = 86_400_000;
        tabs.check_liveness(10 * day);
        assert!(tabs.liveness_pending, "the first check is made");
        // Its answer (read as nothing learnt: no `held` list).
        tabs.set_live(JsValue::UNDEFINED);
        tabs.check_liveness(10 * day + 1);
        assert!(!tabs.liveness_pending, "not again at once");
        tabs.check_liveness(9 * day);
        assert!(tabs.liveness_pending, "checked again a day back");
    }
}
