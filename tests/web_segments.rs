//! The SDK with the rule engine in a real browser (wasm-bindgen-test in headless Chromium): an inline config
//! decides segments and stages in the page, and changes reach listeners. Its own test binary, so its SDK instance
//! is the only one. Runs with `--features compiler` for wasm32 (the config is inline, as written); empty otherwise.
#![cfg(all(target_arch = "wasm32", feature = "compiler"))]

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;
use wayline::web;

wasm_bindgen_test_configure!(run_in_browser);

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

#[wasm_bindgen_test]
fn an_inline_config_decides_segments_in_the_page() {
    let entered = Array::new();
    let sink = entered.clone();
    let listener = Closure::<dyn FnMut(JsValue)>::new(move |c: JsValue| {
        sink.push(&Reflect::get(&c, &"segment".into()).unwrap());
    });
    web::on("segment:enter".into(), listener.as_ref().clone());
    listener.forget();
    let config = js_sys::JSON::parse(
        r#"{"segments": {"engaged": "count(\"Clicked\") >= 2", "pro": "traits.plan == \"pro\""},
            "journeys": {"lifecycle": [{"stage": "visitor", "rule": "count(\"Page Viewed\") >= 1"}]}}"#,
    )
    .unwrap();
    web::init(obj(&[
        ("writeKey", "wk_segments".into()),
        ("endpoint", "http://127.0.0.1:1".into()),
        ("flushAt", 1000.into()),
        ("flushInterval", 3_600_000.into()),
        ("config", config),
    ]))
    .unwrap();
    assert_eq!(
        web::stage("lifecycle".into()).as_deref(),
        Some("visitor"),
        "the automatic page view"
    );
    web::track("Clicked".into(), JsValue::UNDEFINED);
    assert_eq!(web::segments().length(), 0);
    web::track("Clicked".into(), JsValue::UNDEFINED);
    assert_eq!(web::segments().get(0), "engaged");
    web::identify("u".into(), obj(&[("plan", "pro".into())]));
    assert_eq!(web::segments().length(), 2);
    assert_eq!(entered.length(), 2);
    assert_eq!(entered.get(0), "engaged");
    assert_eq!(entered.get(1), "pro");
}
