//! The web layer in a real browser (wasm-bindgen-test in headless Chromium).
//!
//! The SDK is one instance per page, so the test that initialises it walks through the whole lifecycle in order.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

use super::convert::{self, Json};
use super::storage::Store;

wasm_bindgen_test_configure!(run_in_browser);

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

fn text(v: &JsValue) -> String {
    match convert::to_json(v) {
        Json::Text(t) | Json::Repaired(t) => t,
        Json::Absent => "<absent>".into(),
        Json::Lost => "<lost>".into(),
    }
}

#[wasm_bindgen_test]
fn the_core_reads_and_writes_numbers_as_javascript_does() {
    use crate::core::json::{self, Value};
    json::use_host_numbers(convert::HOST_NUMBERS);
    let numbers = [
        0.1,
        -2.5,
        1.5e-7,
        123_456_789.125,
        1e21,
        -1.7976931348623157e308,
        5e-324,
        0.30000000000000004,
        9_007_199_254_740_993.0,
    ];
    for n in numbers {
        let text = Value::Array(vec![Value::Number(n), Value::Number(7.0)]).to_json();
        // What JavaScript writes, and it reads back as the same number (through both parsers).
        let js = js_sys::JSON::stringify(&Array::of2(&n.into(), &7.into()))
            .unwrap()
            .as_string()
            .unwrap();
        assert_eq!(text, js);
        assert_eq!(
            json::parse(&text).unwrap(),
            Value::Array(vec![Value::Number(n), Value::Number(7.0)])
        );
        let back = js_sys::JSON::parse(&text).unwrap();
        assert_eq!(Reflect::get_u32(&back, 0).unwrap().as_f64(), Some(n));
    }
}

#[wasm_bindgen_test]
fn properties_become_json_and_unserialisable_values_are_repaired() {
    assert_eq!(
        text(&obj(&[("a", 1.into()), ("b", "x".into())])),
        r#"{"a":1,"b":"x"}"#
    );
    assert!(matches!(
        convert::to_json(&JsValue::UNDEFINED),
        Json::Absent
    ));

    let cyclic = obj(&[("name", "loop".into())]);
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let big = js_sys::BigInt::from(12_345_678_901_234_567_890u128);
    let f = Function::new_no_args("return 1");
    let mixed = obj(&[
        ("cyclic", cyclic.clone()),
        ("big", big.into()),
        ("fn", f.into()),
        ("list", Array::of2(&1.into(), &JsValue::NULL).into()),
    ]);
    match convert::to_json(&mixed) {
        Json::Repaired(t) => assert_eq!(
            t,
            r#"{"cyclic":{"name":"loop","self":"[Circular]"},"big":"12345678901234567890","list":[1,null]}"#
        ),
        other => panic!("expected a repair, got {}", matches!(other, Json::Text(_))),
    }
}

#[wasm_bindgen_test]
fn log_parts_inserted_one_at_a_time_are_in_stable_part_order() {
    // Every sequence of up to six parts numbered 0–2, against the stable sort the list of parts used before.
    for len in 0..=6u32 {
        for mut code in 0..3u32.pow(len) {
            let mut inserted = Vec::new();
            let mut sorted = Vec::new();
            for i in 0..len {
                let part = code % 3;
                code /= 3;
                super::tabs::insert_in_part_order(&mut inserted, part, i.to_string());
                sorted.push((part, i.to_string()));
            }
            crate::core::order::sort_by_key(&mut sorted, |(part, _)| *part);
            assert_eq!(inserted, sorted);
        }
    }
}

#[wasm_bindgen_test]
fn storage_round_trips_through_local_storage() {
    let window = web_sys::window().unwrap();
    let (mut store, warning) = Store::open(&window);
    assert!(warning.is_none());
    assert!(store.set("wayline:test:key", "value-1".into()).is_none());
    assert_eq!(store.get("wayline:test:key").as_deref(), Some("value-1"));
    let raw = window
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("wayline:test:key")
        .unwrap();
    assert_eq!(raw.as_deref(), Some("value-1"));
}

#[wasm_bindgen_test]
fn the_sdk_lifecycle() {
    // Bad options are WaylineErrors with a stable code.
    let err = super::init(JsValue::from_str("nope")).unwrap_err();
    assert_eq!(get(&err, "name"), "WaylineError");
    assert_eq!(get(&err, "code"), "invalid_options");
    assert!(err.is_instance_of::<js_sys::Error>());
    let err = super::init(obj(&[
        ("writeKey", "wk".into()),
        ("flushAt", "lots".into()),
    ]))
    .unwrap_err();
    assert_eq!(get(&err, "code"), "invalid_options");

    // A listener that re-enters the SDK while being called: allowed, because callbacks run after the state is
    // released.
    let warnings = Array::new();
    let sink = warnings.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |w: JsValue| {
        sink.push(&get(&w, "code"));
        super::track("Warning Seen".into(), JsValue::UNDEFINED);
    });
    super::on("warning".into(), listener.as_ref().clone());
    listener.forget();

    let options = obj(&[
        ("writeKey", "wk_test".into()),
        ("endpoint", "http://127.0.0.1:1".into()),
        ("flushAt", 1000.into()),
        ("flushInterval", 3_600_000.into()),
    ]);
    super::init(options).unwrap();
    let state = super::debug_state();
    assert_eq!(get(&state, "queued"), 1.0, "the automatic page view");
    assert_eq!(get(&state, "sessionCount"), 1.0);
    let anon = super::anonymous_id().unwrap();
    assert_eq!(anon.len(), 36);

    super::track("Clicked".into(), obj(&[("n", 1.into())]));
    super::identify("user-1".into(), obj(&[("plan", "pro".into())]));
    assert_eq!(super::user_id().as_deref(), Some("user-1"));
    assert_eq!(get(&super::debug_state(), "queued"), 3.0);

    // SPA navigation through the patched history API.
    let history = web_sys::window().unwrap().history().unwrap();
    let here = web_sys::window().unwrap().location().href().unwrap();
    history
        .push_state_with_url(&JsValue::NULL, "", Some("/wayline-spa-test"))
        .unwrap();
    assert_eq!(
        get(&super::debug_state(), "queued"),
        4.0,
        "pushState is a page view"
    );
    history
        .replace_state_with_url(&JsValue::NULL, "", Some("/wayline-spa-test"))
        .unwrap();
    assert_eq!(
        get(&super::debug_state(), "queued"),
        4.0,
        "a no-op replaceState is not"
    );
    history
        .replace_state_with_url(&JsValue::NULL, "", Some(&here))
        .unwrap();
    assert_eq!(get(&super::debug_state(), "queued"), 5.0);

    // Bad input warns (and the warning listener tracks, re-entrantly).
    super::track(JsValue::from_f64(42.0), JsValue::UNDEFINED);
    assert_eq!(warnings.length(), 1);
    assert_eq!(warnings.get(0), "invalid_event_name");
    assert_eq!(
        get(&super::debug_state(), "queued"),
        6.0,
        "the listener's own event"
    );

    // Properties are read before the SDK's state is taken: a `toJSON` (or getter) that calls the SDK is heard.
    let to_json = Closure::<dyn FnMut() -> JsValue>::new(|| {
        super::track("Read While Stringified".into(), JsValue::UNDEFINED);
        obj(&[("n", 2.into())])
    });
    super::track(
        "Stringified".into(),
        obj(&[("toJSON", to_json.as_ref().clone())]),
    );
    assert_eq!(
        get(&super::debug_state(), "queued"),
        8.0,
        "the event and the one tracked from its properties' toJSON"
    );

    // A second init keeps the first configuration.
    super::init(obj(&[("writeKey", "other".into())])).unwrap();
    assert_eq!(super::anonymous_id().as_deref(), Some(anon.as_str()));

    // Logout.
    super::reset();
    assert_ne!(super::anonymous_id().as_deref(), Some(anon.as_str()));
    assert_eq!(super::user_id(), None);
    let stored = web_sys::window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap()
        .get_item("wayline:wk_test:profile")
        .unwrap()
        .unwrap();
    assert!(
        stored.contains(&super::anonymous_id().unwrap()),
        "reset is persisted at once"
    );
}
