//! The DOM events the SDK listens to: page exit, connectivity, SPA navigation, other tabs' storage writes and
//! tagged clicks.
//!
//! One closure serves every event and dispatches on its type: a closure per event would cost wasm bytes for each.
//! Each handler only forwards to the SDK through `sdk::run`; none of them can throw into the page.

use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, EventTarget, VisibilityState};

use super::sdk;

/// A replacement for `history.pushState`/`replaceState`: `(state, unused, url)`, the original's result.
type HistoryWrapper = Closure<dyn FnMut(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>;

pub struct Listeners {
    _dispatch: Closure<dyn FnMut(web_sys::Event)>,
    _history: Vec<HistoryWrapper>,
}

const WINDOW_EVENTS: [&str; 6] = [
    "pagehide", "pageshow", "online", "offline", "popstate", "storage",
];

impl Listeners {
    pub fn attach(window: &web_sys::Window, track_clicks: bool) -> Option<Listeners> {
        let document = window.document()?;
        let dispatch = Closure::<dyn FnMut(web_sys::Event)>::new(on_event);
        let f: &Function = dispatch.as_ref().unchecked_ref();
        let listen = |target: &EventTarget, name: &str| {
            let _ = target.add_event_listener_with_callback(name, f);
        };
        for name in WINDOW_EVENTS {
            listen(window, name);
        }
        listen(&document, "visibilitychange");
        if track_clicks {
            listen(&document, "click");
        }
        let history = window.history().ok();
        let patched = history
            .map(|h| {
                ["pushState", "replaceState"]
                    .iter()
                    .filter_map(|name| patch_history(&h, name))
                    .collect()
            })
            .unwrap_or_default();
        Some(Listeners {
            _dispatch: dispatch,
            _history: patched,
        })
    }
}

fn on_event(event: web_sys::Event) {
    match event.type_().as_str() {
        "pagehide" => {
            sdk::run(|s, now| s.on_exit(now));
        }
        "visibilitychange" => {
            let hidden = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == VisibilityState::Hidden);
            if hidden {
                sdk::run(|s, now| s.on_exit(now));
            } else {
                sdk::run(|s, _| s.on_return());
            }
        }
        "pageshow" => {
            sdk::run(|s, _| s.on_return());
        }
        "online" => {
            sdk::run(|s, _| s.set_online(true));
        }
        "offline" => {
            sdk::run(|s, _| s.set_online(false));
        }
        "popstate" => {
            sdk::run(|s, now| s.on_navigation(now));
        }
        "storage" => on_storage(&event),
        "click" => on_click(&event),
        _ => {}
    }
}

fn on_storage(event: &web_sys::Event) {
    let Some(e) = event.dyn_ref::<web_sys::StorageEvent>() else {
        return;
    };
    let Some(key) = e.key().filter(|k| k.starts_with("wayline:")) else {
        return;
    };
    let value = e.new_value();
    sdk::run(|s, _| s.on_storage(&key, value.clone()));
}

/// Wraps `history[name]` so the SDK hears of the navigation after the original ran. The original's result and
/// exceptions (a cross-origin URL throws) reach the caller unchanged.
fn patch_history(history: &web_sys::History, name: &str) -> Option<HistoryWrapper> {
    let key = JsValue::from_str(name);
    let original: Function = Reflect::get(history, &key).ok()?.dyn_into().ok()?;
    let target: JsValue = history.into();
    let this = target.clone();
    let wrapper = HistoryWrapper::new(move |state: JsValue, unused: JsValue, url: JsValue| {
        let result = if url.is_undefined() {
            original.call2(&this, &state, &unused)
        } else {
            original.call3(&this, &state, &unused, &url)
        }?;
        sdk::run(|s, now| s.on_navigation(now));
        Ok(result)
    });
    Reflect::set(&target, &key, wrapper.as_ref()).ok()?;
    Some(wrapper)
}

/// A click inside an element with `data-wayline-event="Name"` tracks that event, with the JSON object in
/// `data-wayline-properties` as its properties.
fn on_click(event: &web_sys::Event) {
    let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Ok(Some(tagged)) = target.closest("[data-wayline-event]") else {
        return;
    };
    let name = tagged
        .get_attribute("data-wayline-event")
        .unwrap_or_default();
    let props = tagged.get_attribute("data-wayline-properties");
    sdk::run(|s, now| s.tracker.track(&name, props.as_deref(), now));
}
