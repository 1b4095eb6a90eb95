//! The DOM events the SDK listens to: page exit, connectivity, SPA navigation, other tabs' storage writes, tagged
//! clicks, engagement (interactions, scroll depth) and exit intent.
//!
//! One closure serves every event and dispatches on its type: a closure per event would cost wasm bytes for each.
//! Each handler only reads the event into an [`Action`], which that closure (the SDK's one, [`acting`]) carries
//! out; none of them can throw into the page.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use super::convert::{
    call1, call2, call_str, number, prop, prop_object, put, text, Callback, Handler,
};
use super::sdk::{act, acting, Action};

/// Interactions (`pointerdown`, `keydown`, `mousemove`) count towards engaged time, forwarded at most once per this
/// many ms.
const ACTIVITY_EVERY: crate::core::time::Millis = 1_000;

/// Every event the SDK listens to: the first seven on `window`, the last ([`ENTRY_CHANGE`]) on `navigation`, the
/// rest on `document` (`freeze` and `resume` are the Page Lifecycle API's, Chromium's alone). [`on_event`] matches on an event's index here (one scan of this list rather than a
/// comparison per name), and the indexes of `mouseout` (exit intent) and `click` (tagged clicks) are [`MOUSEOUT`]
/// and [`CLICK`].
const EVENTS: [&str; 16] = [
    "pagehide",
    "pageshow",
    "online",
    "offline",
    "popstate",
    "storage",
    "scroll",
    "visibilitychange",
    "pointerdown",
    "keydown",
    "mousemove",
    "mouseout",
    "click",
    "freeze",
    "resume",
    "currententrychange",
];
const ON_WINDOW: usize = 7;
const MOUSEOUT: usize = 11;
const CLICK: usize = 12;
/// On `navigation` (the Navigation API), where the browser has it.
const ENTRY_CHANGE: usize = 15;

/// Listens to the page's events and wraps `history.pushState`/`replaceState` (for good: see [`Callback::keep`]).
pub fn attach(window: &web_sys::Window, track_clicks: bool) {
    // `document` and `navigator` through `prop`, as everywhere: a typed getter is an import each.
    let Some(document) = prop_object(window, "document") else {
        return;
    };
    let dispatch = acting(on_event);
    // `addEventListener` through `call2` rather than its typed binding (an import and glue function).
    let listen = |target: &JsValue, name: &str| {
        let _ = call2(target, "addEventListener", &name.into(), dispatch.as_ref());
    };
    // Exit intent (a campaign trigger) only with the rule engine, and only in the top window: in a frame, the
    // pointer leaving through the frame's top edge goes on to the page around it, and the frame's own scrolling is
    // no flick towards the browser's bar. Tagged clicks only when asked for.
    #[cfg(feature = "segments")]
    let framed = {
        let here: &JsValue = window;
        prop(here, "top") != *here
    };
    #[cfg(not(feature = "segments"))]
    let framed = true;
    for (i, name) in EVENTS.iter().enumerate() {
        if (i == MOUSEOUT && framed) || (i == CLICK && !track_clicks) {
            continue;
        }
        if i == ENTRY_CHANGE {
            // An app that navigates through the Navigation API (`navigation.navigate()`, or a link its `navigate`
            // handler intercepts) changes the URL without `history.pushState`.
            if let Some(navigation) = prop_object(window, "navigation") {
                listen(&navigation, name);
            }
            continue;
        }
        listen(if i < ON_WINDOW { window } else { &document }, name);
    }
    // Touch screens show exit intent by a quick flick back up instead (`core::flick`).
    #[cfg(feature = "segments")]
    {
        let mut s = seen();
        s.touch = !framed && number(&prop(window, "navigator"), "maxTouchPoints") > 0.0;
        remember(s);
    }
    let history = prop(window, "history");
    for name in &["pushState", "replaceState"] {
        patch_history(&history, name);
    }
    dispatch.keep();
}

/// What a DOM event asks of the SDK, if anything.
fn on_event(event: JsValue) -> Option<Action> {
    // `type` through `prop`: `Event.type` is the only typed event getter the SDK would need.
    let kind = text(&event, "type");
    let action = match EVENTS.iter().position(|e| *e == kind)? {
        // pagehide; of a page kept in the back/forward cache, `persisted`.
        0 if super::convert::is_true(&prop(&event, "persisted")) => Action::Cached,
        0 => Action::Hidden(true),
        // visibilitychange
        7 => {
            let hidden =
                super::env::window().is_some_and(|w| super::env::is_hidden(&prop(&w, "document")));
            if hidden {
                Action::Hidden(false)
            } else {
                Action::Returned
            }
        }
        // pageshow, online, offline, popstate (and the Navigation API's entry change), storage, scroll
        // Only a page restored from the back/forward cache: the first `pageshow` is the page's load.
        1 if super::convert::is_true(&prop(&event, "persisted")) => Action::Restored,
        2 => Action::Online(true),
        3 => Action::Online(false),
        4 | ENTRY_CHANGE => Action::Navigated,
        5 => return on_storage(&event),
        6 => return on_scroll(),
        // pointerdown, keydown, mousemove
        8..=10 if throttled() => Action::Activity,
        #[cfg(feature = "segments")]
        MOUSEOUT => return on_mouseout(&event),
        CLICK => return on_click(&event),
        // freeze, resume
        13 => Action::Frozen,
        14 => Action::Resumed,
        _ => return None,
    };
    Some(action)
}

/// Exit intent: the pointer leaves the page through its top edge (towards the tabs, the address bar or the
/// close button). On touch screens, which have no such gesture, see [`on_scroll`].
#[cfg(feature = "segments")]
fn on_mouseout(event: &JsValue) -> Option<Action> {
    let left_the_page = prop(event, "relatedTarget") == **super::convert::NULL;
    let at_top = prop(event, "clientY").as_f64().is_some_and(|y| y <= 0.0);
    // `then` rather than `then_some`, here and in `on_scroll`: an `Action` made eagerly is dropped when it is not
    // used, which is a call of `Action`'s drop code where nothing needs dropping.
    (left_the_page && at_top).then(|| Action::ExitIntent)
}

/// What the event handlers remember between events: one thread-local, read and written whole through [`seen`] and
/// [`remember`] (each `with` on a thread-local is code of its own).
#[derive(Clone, Copy)]
struct Seen {
    /// The scroll depth last reported for the current page, in whole percent (reported only when it changes).
    scroll: i32,
    /// When an interaction was last forwarded (`performance`-free: `Date.now()`).
    activity_at: crate::core::time::Millis,
    /// A touch screen (`navigator.maxTouchPoints > 0`): exit intent is a quick flick back up the page.
    #[cfg(feature = "segments")]
    touch: bool,
    #[cfg(feature = "segments")]
    flick: crate::core::flick::Flick,
}

thread_local! {
    static SEEN: std::cell::Cell<Seen> = const {
        std::cell::Cell::new(Seen {
            scroll: -1,
            activity_at: 0,
            #[cfg(feature = "segments")]
            touch: false,
            #[cfg(feature = "segments")]
            flick: crate::core::flick::Flick::new(),
        })
    };
}

fn seen() -> Seen {
    SEEN.with(std::cell::Cell::get)
}

fn remember(seen: Seen) {
    SEEN.with(|s| s.set(seen));
}

/// True at most once per [`ACTIVITY_EVERY`]: interactions come in bursts, engaged time needs one per second. Also
/// at once after the clock was set back (the last one then seems to lie ahead): not only once it has caught up.
fn throttled() -> bool {
    let now = super::env::now();
    let mut s = seen();
    let due = crate::core::time::elapsed(s.activity_at, now, ACTIVITY_EVERY);
    if due {
        s.activity_at = now;
        remember(s);
    }
    due
}

/// Scroll depth: how much of the page has been in view, in percent, reported when the whole percent changes; on a
/// touch screen, also exit intent when the scroll is a quick flick back up (`core::flick`).
fn on_scroll() -> Option<Action> {
    let window = super::env::window()?;
    // Read through `prop`: the scroll path needs four values, and each typed getter costs an import and its glue.
    let root = prop(&prop(&window, "document"), "documentElement");
    if !root.is_object() {
        return None;
    }
    let y = number(&window, "scrollY");
    let viewport = number(&window, "innerHeight");
    #[cfg(feature = "segments")]
    {
        let mut s = seen();
        if s.touch {
            let fired = s.flick.scrolled(y, viewport, super::env::now());
            remember(s);
            if fired {
                act(Action::ExitIntent);
            }
        }
    }
    let depth = y + viewport;
    let height = number(&root, "scrollHeight").max(1.0);
    let percent = (depth / height * 100.0).clamp(0.0, 100.0);
    let whole = percent as i32;
    // Read again: an exit intent above ran the SDK.
    let mut s = seen();
    let last = std::mem::replace(&mut s.scroll, whole);
    remember(s);
    // (`then`: see `on_mouseout`.)
    (last != whole).then(|| Action::Scrolled(percent))
}

/// A new page view started: its scroll depth is reported afresh at the next scroll, even at the same whole
/// percent as the previous page's (an in-app navigation often keeps the scroll position).
pub fn forget_scroll() {
    let mut s = seen();
    s.scroll = -1;
    #[cfg(feature = "segments")]
    {
        s.flick = crate::core::flick::Flick::new();
    }
    remember(s);
}

/// Another tab wrote or cleared `localStorage`. (Read through [`prop`]: a `storage` event that is not a `StorageEvent`
/// has no string `key` and is ignored, as a failed cast would be, without an `instanceof` import.)
fn on_storage(event: &JsValue) -> Option<Action> {
    let key = prop(event, "key");
    // No key: storage was cleared (`localStorage.clear()` in another tab), read as the empty key.
    let key = if key.is_null() {
        String::new()
    } else {
        key.as_string().filter(|k| k.starts_with("wayline:"))?
    };
    // Not read as text here: for another tab's log part it is a whole part (up to 48 KiB), which only its key
    // matters for, and copying it into the module on every such write cost each storage event that much.
    Some(Action::Storage(key, prop(event, "newValue")))
}

/// Wraps `history[name]` so the SDK hears of the navigation after the original ran. The original's result and
/// exceptions (a cross-origin URL throws) reach the caller unchanged (rethrown with `throw_val`: the closure
/// signature the SDK shares returns no `Result`).
fn patch_history(history: &JsValue, name: &'static str) {
    let original = prop(history, name);
    if !original.is_function() {
        return;
    }
    let original: Function = original.unchecked_into();
    let wrapper = Callback::of(Handler::History(original, history.clone()));
    // Kept even where `history` refuses the write: it is then never called.
    put(history, name, wrapper.as_ref());
    wrapper.keep();
}

/// A wrapper of `history[method]` called with `(state, unused, url)`: the original's result, and the SDK hears of
/// the navigation.
pub fn navigated(
    original: &Function,
    this: &JsValue,
    state: JsValue,
    unused: JsValue,
    url: JsValue,
) -> JsValue {
    let result = if url == **super::convert::UNDEFINED {
        original.call2(this, &state, &unused)
    } else {
        original.call3(this, &state, &unused, &url)
    };
    // A throw runs no destructors: the arguments are released first.
    drop((state, unused, url));
    match result {
        Ok(result) => {
            act(Action::Navigated);
            result
        }
        Err(e) => wasm_bindgen::throw_val(e),
    }
}

/// A click inside an element with `data-wayline-event="Name"` tracks that event, with the JSON object in
/// `data-wayline-properties` as its properties.
///
/// The DOM calls go through [`call1`]: a click is not a hot path, and typed bindings cost an import each. A
/// target that is not an element has no `closest` and is ignored.
fn on_click(event: &JsValue) -> Option<Action> {
    let target = prop(event, "target");
    let selector = JsValue::from_str("[data-wayline-event]");
    let tagged = call1(&target, "closest", &selector).filter(|t| t.is_object())?;
    let attribute = |name: &str| call_str(&tagged, "getAttribute", name)?.as_string();
    let name = attribute("data-wayline-event").unwrap_or_default();
    let props = attribute("data-wayline-properties");
    Some(Action::Clicked(name, props))
}
