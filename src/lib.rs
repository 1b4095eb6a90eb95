//! Wayline: an in-browser personalization SDK.
//!
//! `core` is pure: it decides, it never touches the DOM, storage, timers or the network, and it compiles and
//! tests natively. `web` (wasm32 only) is the thin layer that talks to the browser.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod core;

/// The browser entry points (public so that wasm-bindgen integration tests can drive them).
#[cfg(target_arch = "wasm32")]
pub mod web;
