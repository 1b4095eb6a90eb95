//! Host callbacks registered with `on`.
//!
//! Listeners live outside the SDK state so they can be registered before `init`. Emitting only collects
//! (listener, payload) pairs; they are called after the SDK has released its state, so a callback may call back
//! into the SDK, and a callback that throws is reported without reaching the code that triggered it.

use std::cell::Cell;

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::console;

thread_local! {
    static LISTENERS: Cell<Vec<(String, Function)>> = const { Cell::new(Vec::new()) };
}

/// The listeners, taken out of their thread-local while they are read or changed (and put back with [`put`]):
/// one `take` and one `set` for every use, where a `with` per use would each be code of its own. Nothing between
/// the two calls runs page code.
fn take() -> Vec<(String, Function)> {
    LISTENERS.with(Cell::take)
}

fn put(listeners: Vec<(String, Function)>) {
    LISTENERS.with(|l| l.set(listeners));
}

pub fn add(name: String, f: Function) {
    let mut l = take();
    l.push((name, f));
    put(l);
}

pub fn remove(name: &str, f: &Function) {
    // Every registration of it (a listener added twice is removed entirely).
    let mut l = take();
    // Compared as `JsValue`s (`===`, which for functions is `Object.is`): `Function`'s own `==` is `Object.is`,
    // an import of its own.
    while let Some(at) = l
        .iter()
        .position(|(n, g)| n == name && <JsValue as PartialEq>::eq(g, f))
    {
        l.remove(at);
    }
    put(l);
}

/// Work to do once the SDK state is released.
#[derive(Default)]
pub struct Outbox {
    calls: Vec<(Function, JsValue)>,
    /// Page work that may run the page's own handlers (opening a prompt moves focus): done after the calls. A
    /// prompt to open, or `None` to close the one on the page (`sdk::carry_out_soon`).
    #[cfg(feature = "segments")]
    tasks: Vec<Option<Box<super::sdk::Opening>>>,
}

impl Outbox {
    /// Queues a call of every listener of `name` with `payload`.
    pub fn emit(&mut self, name: &str, payload: JsValue) {
        let l = take();
        for (n, f) in &l {
            if n == name {
                self.calls.push((f.clone(), payload.clone()));
            }
        }
        put(l);
    }

    /// Queues a plain function call (for example resolving a promise).
    pub fn call(&mut self, f: Function, arg: JsValue) {
        self.calls.push((f, arg));
    }

    /// Queues a prompt to open (`None`: the open one to close) once the SDK state is released.
    #[cfg(feature = "segments")]
    pub fn defer(&mut self, task: Option<Box<super::sdk::Opening>>) {
        self.tasks.push(task);
    }

    pub fn deliver(self) {
        // By reference: an owning loop instantiates the vector's iterator for its type.
        for (f, arg) in &self.calls {
            if let Err(e) = f.call1(super::convert::UNDEFINED, arg) {
                console::error_with("a listener threw", &e);
            }
        }
        #[cfg(feature = "segments")]
        {
            // Each taken out in place: an owning loop instantiates the vector's iterator and its drop guard.
            let mut tasks = self.tasks;
            for task in &mut tasks {
                super::sdk::carry_out_soon(task.take());
            }
        }
    }
}
