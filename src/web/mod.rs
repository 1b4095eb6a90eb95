//! The web layer: wasm-bindgen exports, DOM listeners, storage, transport.
