//! The DOM events the SDK listens to: page exit, connectivity, SPA navigation and tagged clicks.
//!
//! Each handler only forwards to the SDK through `sdk::run`; none of them can throw into the page.

use gloo_events::EventListener;
use js_sys::{Function, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Element, VisibilityState};

use super::sdk;

/// A replacement for `history.pushState`/`replaceState`: `(state, unused, url)`, the original's result.
type HistoryWrapper = Closure<dyn FnMut(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>>;

pub struct Listeners {
    _events: Vec<EventListener>,
    _history: Vec<HistoryWrapper>,
}

impl Listeners {
    pub fn attach(window: &web_sys::Window, track_clicks: bool) -> Option<Listeners> {
        let document = window.document()?;
        let mut events = vec![
            EventListener::new(window, "pagehide", |_| {
                sdk::run(|s, now| s.on_exit(now));
            }),
            EventListener::new(window, "online", |_| {
                sdk::run(|s, _| s.set_online(true));
            }),
            EventListener::new(window, "offline", |_| {
                sdk::run(|s, _| s.set_online(false));
            }),
            EventListener::new(window, "popstate", |_| {
                sdk::run(|s, now| s.on_navigation(now));
            }),
        ];
        let doc = document.clone();
        events.push(EventListener::new(
            &document,
            "visibilitychange",
            move |_| {
                if doc.visibility_state() == VisibilityState::Hidden {
                    sdk::run(|s, now| s.on_exit(now));
                }
            },
        ));
        if track_clicks {
            events.push(EventListener::new(&document, "click", |event| {
                on_click(event);
            }));
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
            _events: events,
            _history: patched,
        })
    }
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
