//! The page's values as JSON text.
//!
//! `JSON.stringify` is the fast path (native code, one call). It throws on cycles and BigInt; then it runs again
//! with a replacer that writes BigInts as their decimal text and a repeated or circular reference as
//! `"[Circular]"`. Functions and symbols are left out, as `JSON.stringify` does. Anything that still throws
//! (a getter that throws, nesting deep enough to exhaust the stack, a page's `JSON.stringify` wrapper that drops
//! the replacer) leaves the properties absent, which the caller reports ([`Json::Lost`]).

use std::mem::ManuallyDrop;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// `undefined`, `null`, `true` and `false` to borrow: a borrowed `JsValue::UNDEFINED` is a temporary with a drop
/// call at every site (the drop does nothing for these, but it is not inlined); in a `ManuallyDrop` it has none.
pub const UNDEFINED: &ManuallyDrop<JsValue> = &ManuallyDrop::new(JsValue::UNDEFINED);
pub const NULL: &ManuallyDrop<JsValue> = &ManuallyDrop::new(JsValue::NULL);
pub const TRUE: &ManuallyDrop<JsValue> = &ManuallyDrop::new(JsValue::TRUE);
pub const FALSE: &ManuallyDrop<JsValue> = &ManuallyDrop::new(JsValue::FALSE);

/// `null` as a fallback made only when needed (`unwrap_or_else(null)`): `unwrap_or(JsValue::NULL)` drops the
/// default when it is not used, a drop call at the site.
pub fn null() -> JsValue {
    JsValue::NULL
}

/// `v === true`. Checks of a page value go through `===` (`PartialEq`), one import for all of them, rather than
/// `as_bool`, `is_truthy`, `is_null` and `is_undefined`, an import and a glue function each.
pub fn is_true(v: &JsValue) -> bool {
    v == &**TRUE
}

/// `v == null`: `undefined` or `null` (as [`is_true`]).
pub fn is_nullish(v: &JsValue) -> bool {
    v == &**UNDEFINED || v == &**NULL
}

/// A plain object (listener payloads): `keys` separated by `|`, one for each of `values` (`object("ok|source",
/// &[ok, source])`). One static string for the keys rather than a pair per value, each a pointer and a length at
/// the call site.
pub fn object(keys: &'static str, values: &[JsValue]) -> JsValue {
    debug_assert!(values.is_empty() || keys.split('|').count() == values.len());
    // `JSON.parse("{}")`, an import the SDK has anyway, rather than `new Object`, one more (as `array`).
    let o = parsed("{}");
    let mut rest = keys;
    for v in values {
        let (k, next) = crate::core::url::split_once_byte(rest, b'|').unwrap_or((rest, ""));
        put(&o, k, v);
        rest = next;
    }
    o
}

/// A new empty array (`JSON.parse("[]")`, an import the SDK has anyway, rather than `new Array` and its `push`,
/// two imports; elements go in with `call1(&array, "push", …)`).
pub fn array() -> JsValue {
    parsed("[]")
}

/// The value of JSON text the SDK writes itself (empty objects and arrays, constant request options), or
/// `undefined` if it does not parse.
pub fn parsed(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or_default()
}

/// The one closure signature the SDK hands the browser for its callbacks (events, the timer, promise reactions,
/// lock grants, the `history` wrappers, the `JSON.stringify` replacer, the prompt's listener): each closure
/// signature costs an invoke shim in the wasm and a factory in the glue. The arguments are whatever the browser
/// passes (`undefined` for those it does not); a callback with nothing to answer returns `undefined`. No `Result`:
/// the one callback that throws (a `history` wrapper) does so with `throw_val`, and a `Result` would cost every
/// callback a larger shim.
type Callback3 = Closure<dyn FnMut(JsValue, JsValue, JsValue) -> JsValue>;

/// A callback handed to the browser.
pub struct Callback(Callback3);

/// What a callback does. Every callback is one closure type that matches on this: each closure type is a vtable,
/// a call shim and drop code of its own.
pub enum Handler {
    /// Carries out what the function reads from the first argument (`sdk::acting`); with `true`, answers a promise
    /// that settles when the tab lets go of its locks (a Web Lock grant: `tabs::held`).
    Act(fn(JsValue) -> Option<super::sdk::Action>, bool),
    /// `JSON.stringify`'s replacer in [`repaired`]: the objects seen so far, and `Date.prototype.toISOString` on a
    /// Prototype.js page (see [`to_json`]; `undefined` elsewhere).
    Replacer(Vec<JsValue>, JsValue),
    /// A wrapper of `history[method]`: the original and `history` (`listeners::patch_history`).
    History(js_sys::Function, JsValue),
    /// An open prompt's listener: its DOM events and clipboard and share results.
    #[cfg(feature = "segments")]
    Prompt(super::prompt::Listening),
}

impl Callback {
    pub fn of(mut handler: Handler) -> Callback {
        Callback(Callback3::new(
            move |a: JsValue, b: JsValue, c: JsValue| match &mut handler {
                Handler::Act(make, hold) => super::sdk::acted(*make, *hold, a),
                Handler::Replacer(seen, iso) => replace(seen, iso, b),
                Handler::History(original, this) => {
                    super::listeners::navigated(original, this, a, b, c)
                }
                #[cfg(feature = "segments")]
                Handler::Prompt(listening) => {
                    listening.handle(a);
                    JsValue::UNDEFINED
                }
            },
        ))
    }
}

impl Callback {
    /// Hands the callback to the page for good (DOM listeners, the `history` wrappers, lock grants): it is never
    /// released, as the SDK's state, which lives as long as the page, never is. Forgotten rather than kept in a
    /// field: a vector of them was code of its own (its growth and drop).
    pub fn keep(self) {
        std::mem::forget(self);
    }
}

impl AsRef<JsValue> for Callback {
    fn as_ref(&self) -> &JsValue {
        self.0.as_ref()
    }
}

/// `promise.then(ok, err)`, for callbacks as JS functions.
pub fn then(promise: &JsValue, ok: &JsValue, err: &JsValue) -> Option<JsValue> {
    call2(promise, "then", ok, err)
}

/// `target[key] = value` (ignoring a refusal).
pub fn put(target: &JsValue, key: &'static str, value: &JsValue) {
    let _ = js_sys::Reflect::set(target, &js_name(key), value);
}

/// `target[key]`, or `undefined` when that throws. For what is read once or rarely: each typed web-sys getter
/// costs a wasm import and a glue function.
pub fn prop(target: &JsValue, key: &'static str) -> JsValue {
    js_sys::Reflect::get(target, &js_name(key)).unwrap_or_default()
}

thread_local! {
    /// The names made so far (see [`js_name`]).
    static NAMES: std::cell::Cell<Vec<(&'static str, JsValue)>> = const { std::cell::Cell::new(Vec::new()) };
}

/// One of the SDK's own names (a property or method of a page object, written in its code) as a JavaScript string,
/// made once and kept for the page's life: making one from wasm text runs the glue's `TextDecoder`, which costs
/// more than the read or call it is for, and every `track` reads several (`Array.prototype.toJSON`,
/// `document.title`, an open prompt's `isConnected`). Found by where its text is (a `'static` text never changes
/// there). (wasm-bindgen's own interning hashes every string the SDK hands JavaScript, and costs more code.)
fn js_name(key: &'static str) -> JsValue {
    NAMES.with(|cell| {
        // Taken out while it is searched (nothing here runs page code; if something did, it would find none).
        let mut names = cell.take();
        let v = match names.iter().find(|(k, _)| std::ptr::eq(*k, key)) {
            Some((_, v)) => v.clone(),
            None => {
                let v = JsValue::from_str(key);
                names.push((key, v.clone()));
                v
            }
        };
        cell.set(names);
        v
    })
}

/// `target[index]` (array elements), or `undefined` when that throws.
pub fn at(target: &JsValue, index: u32) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from(index)).unwrap_or_default()
}

/// `target[key]` as text, or "" when it is not a string (one call for what most reads of page facts do).
pub fn text(target: &JsValue, key: &'static str) -> String {
    prop(target, key).as_string().unwrap_or_default()
}

/// `target[key]` as a number, or 0 when it is not one (sizes, counts, statuses).
pub fn number(target: &JsValue, key: &'static str) -> f64 {
    prop(target, key).as_f64().unwrap_or(0.0)
}

/// `target[key]` if it is an object (`document`, `localStorage`, `navigator.locks`: absent or blocked ones are not).
pub fn prop_object(target: &JsValue, key: &'static str) -> Option<JsValue> {
    Some(prop(target, key)).filter(JsValue::is_object)
}

/// `target[method](text)`.
pub fn call_str(target: &JsValue, method: &'static str, text: &str) -> Option<JsValue> {
    call1(target, method, &text.into())
}

/// `target[method](arg)`; `None` when it is not a function or it throws. (Rare DOM calls, as [`prop`].)
pub fn call1(target: &JsValue, method: &'static str, arg: &JsValue) -> Option<JsValue> {
    method_of(target, method)?.call1(target, arg).ok()
}

/// `target[method](a, b)`; `None` when it is not a function or it throws. (As [`call1`].)
pub fn call2(target: &JsValue, method: &'static str, a: &JsValue, b: &JsValue) -> Option<JsValue> {
    method_of(target, method)?.call2(target, a, b).ok()
}

/// `new window[name](...args)` (`args` an array: see [`array`]), or `undefined` where there is no such
/// constructor or it throws. One import for the SDK's few constructions (a promise, an `AbortController`).
pub fn construct(name: &'static str, args: &JsValue) -> JsValue {
    let Some(ctor) = super::env::window()
        .map(|w| prop(&w, name))
        .filter(JsValue::is_function)
    else {
        return JsValue::UNDEFINED;
    };
    js_sys::Reflect::construct::<fn() -> JsValue>(ctor.unchecked_ref(), args.unchecked_ref())
        .unwrap_or_default()
}

/// `target[method](a, b, c)`; `None` when it is not a function or it throws. (As [`call1`].)
pub fn call3(
    target: &JsValue,
    method: &'static str,
    a: &JsValue,
    b: &JsValue,
    c: &JsValue,
) -> Option<JsValue> {
    method_of(target, method)?.call3(target, a, b, c).ok()
}

/// `target[method]` if it is a function (checked and cast: `dyn_into`'s `Result` is code of its own).
fn method_of(target: &JsValue, method: &'static str) -> Option<js_sys::Function> {
    Some(prop(target, method))
        .filter(JsValue::is_function)
        .map(JsCast::unchecked_into)
}

/// A core value as a JS value, through JSON (config objects, answers and explanations are small).
#[cfg(feature = "segments")]
pub fn to_js(v: &crate::core::json::Value) -> JsValue {
    js_sys::JSON::parse(&v.to_json()).unwrap_or_else(|_| null())
}

/// The core's JSON numbers that are not plain, read and written as JavaScript does (`json::use_host_numbers`).
pub const HOST_NUMBERS: crate::core::json::HostNumbers = crate::core::json::HostNumbers {
    write: write_float,
    read: read_float,
};

/// Writes a number as `JSON.stringify` does: shortest round-trip, `1e+21` style exponents (which JSON allows).
fn write_float(n: f64, out: &mut String) {
    match stringify(&JsValue::from_f64(n), UNDEFINED).ok().flatten() {
        Some(text) => out.push_str(&text),
        None => out.push_str("null"),
    }
}

/// Reads a number in the JSON grammar as `JSON.parse` does: correctly rounded.
fn read_float(text: &str) -> f64 {
    parsed(text).as_f64().unwrap_or(f64::NAN)
}

pub enum Json {
    Absent,
    Text(String),
    /// Had to be repaired; the text is what will be sent.
    Repaired(String),
    /// Could not be written even with the repair: sent without them, and reported.
    Lost,
}

#[inline(never)]
pub fn to_json(v: &JsValue) -> Json {
    if is_nullish(v) {
        return Json::Absent;
    }
    // Prototype.js 1.6 gives `Array.prototype` a `toJSON` that answers JSON text, so that `JSON.stringify` writes
    // every array as a string (`"[1, 2]"`), and `Date.prototype` one that writes its quotes into the string. Where
    // Array has one (no browser's does), it is taken away while the page's value is written and Date's is the
    // browser's text (`toISOString`); both are put back after. `toISOString` throws for an invalid Date, where the
    // browser's `toJSON` gives `null`: then the repair runs with no `toJSON` on Date and its replacer writes Dates as
    // the browser's `toJSON` does. Other objects' own `toJSON` (Prototype's `Hash`) are honoured, as
    // `JSON.stringify` does. (docs/sdk.md, "Pages that change JavaScript's globals".)
    // (`Array.prototype` read once: this runs on every `track`, where each read crosses into JavaScript.)
    ARRAY_PROTOTYPE.with(|array| {
        let own = prop(array, "toJSON");
        let date = own.is_function().then(|| {
            let date = prototype("Date");
            let theirs = prop(&date, "toJSON");
            put(array, "toJSON", UNDEFINED);
            put(&date, "toJSON", &prop(&date, "toISOString"));
            (date, theirs)
        });
        // With an `undefined` replacer: the same as none, and one binding for both calls.
        let json = match stringify(v, UNDEFINED) {
            Ok(text) => text.map_or(Json::Absent, Json::Text),
            Err(()) => {
                let iso = match &date {
                    Some((date, _)) => {
                        put(date, "toJSON", UNDEFINED);
                        prop(date, "toISOString")
                    }
                    None => JsValue::UNDEFINED,
                };
                repaired(v, iso).map_or(Json::Lost, Json::Repaired)
            }
        };
        if let Some((date, theirs)) = date {
            put(array, "toJSON", &own);
            put(&date, "toJSON", &theirs);
        }
        json
    })
}

thread_local! {
    /// The page's `Array.prototype` (see [`to_json`]).
    static ARRAY_PROTOTYPE: JsValue = prototype("Array");
}

/// `window[constructor].prototype` (`undefined` where there is none).
fn prototype(constructor: &'static str) -> JsValue {
    super::env::window()
        .map(|w| prop(&prop(&w, constructor), "prototype"))
        .unwrap_or_default()
}

/// `JSON.stringify(v, replacer)`: its text, `None` when it is not a string (a function or a symbol gives
/// `undefined`), `Err` when it throws. One place for the three uses.
fn stringify(v: &JsValue, replacer: &JsValue) -> Result<Option<String>, ()> {
    match js_sys::JSON::stringify_with_replacer(v, replacer) {
        Ok(text) => Ok(text.as_string()),
        Err(_) => Err(()),
    }
}

fn repaired(v: &JsValue, iso: JsValue) -> Option<String> {
    let replacer = Callback::of(Handler::Replacer(Vec::new(), iso));
    stringify(v, replacer.as_ref()).ok().flatten()
}

/// The replacer's answer for `value` (its key is not needed), `seen` the objects met so far, `iso`
/// `Date.prototype.toISOString` when Dates reach it (see [`to_json`]).
fn replace(seen: &mut Vec<JsValue>, iso: &JsValue, value: JsValue) -> JsValue {
    if iso.is_function() && prop(&value, "toISOString") == *iso {
        // A Date, written as the browser's `toJSON` writes it: its ISO text, `null` when invalid (which throws).
        return call1(&value, "toISOString", UNDEFINED).unwrap_or_else(null);
    }
    if value.is_bigint() {
        // Its decimal text, `String(value)` (the window's `String` through `call1`: the typed `toString`
        // binding is an import and a glue function of its own, and `Reflect.get` refuses a primitive).
        return super::env::window()
            .and_then(|w| call1(&w, "String", &value))
            .unwrap_or_else(null);
    }
    if value.is_object() {
        // `===`, which for objects is `Object.is`.
        if seen.contains(&value) {
            return JsValue::from_str("[Circular]");
        }
        seen.push(value.clone());
    }
    value
}
