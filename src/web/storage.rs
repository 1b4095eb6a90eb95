//! Persistence in `localStorage`, falling back to memory when storage is missing, blocked or full.
//!
//! Every access is guarded: a sandboxed iframe throws on `window.localStorage`, Safari's private mode and a full
//! quota throw on `setItem`. The first failure is reported once; after it the page's data lives in memory.

use std::collections::HashMap;

use crate::core::tracker::Warning;

pub struct Store {
    local: Option<web_sys::Storage>,
    memory: HashMap<String, String>,
}

impl Store {
    /// Opens `localStorage`, or memory with a warning when it cannot be used.
    pub fn open(window: &web_sys::Window) -> (Store, Option<Warning>) {
        match window.local_storage() {
            Ok(Some(local)) => (
                Store {
                    local: Some(local),
                    memory: HashMap::new(),
                },
                None,
            ),
            _ => (
                Store {
                    local: None,
                    memory: HashMap::new(),
                },
                Some(Warning {
                    code: "storage_unavailable",
                    message: "localStorage is unavailable; the profile is kept in memory for this page only".into(),
                }),
            ),
        }
    }

    pub fn get(&self, key: &str) -> Option<String> {
        if let Some(v) = self.memory.get(key) {
            return Some(v.clone());
        }
        self.local
            .as_ref()
            .and_then(|s| s.get_item(key).ok().flatten())
    }

    /// Writes a value; on failure keeps it in memory and returns a warning (once: storage is not tried again).
    pub fn set(&mut self, key: &str, value: String) -> Option<Warning> {
        if let Some(local) = &self.local {
            if local.set_item(key, &value).is_ok() {
                return None;
            }
            self.local = None;
            self.memory.insert(key.to_string(), value);
            return Some(Warning {
                code: "storage_write_failed",
                message: "localStorage refused a write (full or blocked); the profile is kept in memory from now on".into(),
            });
        }
        self.memory.insert(key.to_string(), value);
        None
    }
}
