//! Persistence in `localStorage`, falling back to memory when storage is missing, blocked or full.
//!
//! Every access is guarded: a sandboxed iframe throws on `window.localStorage`, Safari's private mode and a full
//! quota throw on `setItem`. The first failure is reported once; after it the page's data lives in memory.
//!
//! `Storage` is used through `convert`'s [`prop_object`], [`number`] and [`call1`]/[`call2`]/[`call_str`] rather than
//! its typed bindings: each of those is a wasm import and a glue function, and these calls are few.

use wasm_bindgen::JsValue;

use super::convert::{call1, call2, call_str, number, prop_object};

/// A warning about storage: its code and message.
pub type Notice = (&'static str, &'static str);

pub struct Store {
    /// `localStorage`.
    local: Option<JsValue>,
    /// Values that could not be stored (few: the profile), looked up linearly.
    memory: Vec<(String, String)>,
}

impl Store {
    /// Opens `localStorage`, or memory with a warning when it cannot be used.
    pub fn open(window: &web_sys::Window) -> (Store, Option<Notice>) {
        // Reading `localStorage` throws where it is blocked (`prop` answers `undefined` then).
        match prop_object(window, "localStorage") {
            Some(local) => (
                Store {
                    local: Some(local),
                    memory: Vec::new(),
                },
                None,
            ),
            _ => (
                Store {
                    local: None,
                    memory: Vec::new(),
                },
                Some((
                    "storage_unavailable",
                    "localStorage is unavailable; the profile is kept in memory for this page only",
                )),
            ),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        if let Some((_, v)) = self.memory.iter().find(|(k, _)| k == key) {
            return Some(v.clone());
        }
        call_str(self.local.as_ref()?, "getItem", key)?.as_string()
    }

    /// Writes a value; on failure keeps it in memory and returns a warning (once: storage is not tried again).
    pub fn set(&mut self, key: &str, value: String) -> Option<Notice> {
        if let Some(local) = &self.local {
            if call2(local, "setItem", &key.into(), &value.as_str().into()).is_some() {
                return None;
            }
            self.local = None;
            self.remember(key, value);
            return Some((
                "storage_write_failed",
                "localStorage refused a write (full or blocked); the profile is kept in memory from now on",
            ));
        }
        self.remember(key, value);
        None
    }

    /// Whether values live only in this page's memory (no `localStorage`).
    pub fn is_memory_only(&self) -> bool {
        self.local.is_none()
    }

    /// Keys in `localStorage` that start with `prefix`.
    pub fn keys_with_prefix(&self, prefix: &str) -> Vec<String> {
        let Some(local) = &self.local else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        let count = number(local, "length") as u32;
        for i in 0..count {
            if let Some(k) = call1(local, "key", &i.into()).and_then(|k| k.as_string()) {
                if k.starts_with(prefix) {
                    keys.push(k);
                }
            }
        }
        keys
    }

    pub fn remove(&mut self, key: &str) {
        // A key is in memory at most once (see `remember`), and the order of entries does not matter.
        if let Some(at) = self.memory.iter().position(|(k, _)| k == key) {
            self.memory.swap_remove(at);
        }
        if let Some(local) = &self.local {
            let _ = call_str(local, "removeItem", key);
        }
    }

    fn remember(&mut self, key: &str, value: String) {
        match self.memory.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.memory.push((key.to_string(), value)),
        }
    }
}
