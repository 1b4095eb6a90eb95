//! The Wayline collector: ingests Segment-shaped event batches from the browser SDK into
//! SQLite or PostgreSQL, reports on them, and serves the demo site and the built SDK.
//!
//! The modules are split so that validation ([`ingest`], [`clock`]) is pure and testable
//! without a server, storage ([`store`], on SQLite or on PostgreSQL through [`pg`]) knows
//! nothing of HTTP, and the HTTP layer ([`http`], [`body`], [`cors`], [`static_files`],
//! [`remote_config`]) only translates. The commands that read the database ([`events`],
//! [`count`], [`drops`]) go through [`store`], as do the reports ([`reports`], drawn by
//! [`dashboard`], served by [`report_routes`]). The test tools ([`proxy`], [`loadgen`])
//! share a minimal HTTP/1.1 framing ([`wire`]). The rule commands ([`check`], [`replay`],
//! [`condition`]) expose the SDK crate's rule engine: the same code that decides segments
//! and journeys in the browser.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod body;
pub mod check;
pub mod cli;
pub mod clock;
pub mod condition;
pub mod config;
pub mod cors;
pub mod count;
pub mod dashboard;
pub mod drops;
pub mod error;
pub mod events;
pub mod http;
pub mod ingest;
pub mod loadgen;
pub mod pg;
pub mod proxy;
pub mod remote_config;
pub mod replay;
pub mod report_routes;
pub mod reports;
pub mod server;
pub mod static_files;
pub mod stats;
pub mod store;
pub mod wire;

pub use http::{router, AppState};
