//! Campaigns: the right moment to ask for feedback or offer a reward, and never to pester.
//!
//! A campaign joins a trigger, an audience, an action and timing rules (`docs/campaigns.md`). The [`Engine`] is
//! pure: signals and the time come in as arguments, [`Decision`]s come out, and [`Engine::next_wakeup`] says when
//! a pending delay needs the clock again. Audience rules are the rule language's, evaluated against the facts the
//! caller passes (an [`Input`](crate::core::rules::Input), such as the segments engine's).

pub mod check;
pub mod colour;
pub mod config;
pub mod contrast;
pub mod decision;
pub mod duration;
pub mod engine;
pub mod events;
pub mod explain;
pub mod limits;
pub mod model;
pub mod pattern;
pub mod reason;
pub mod replay;
pub mod signal;
pub mod state;
pub mod theme;
pub mod trigger;
pub mod wire;

pub use config::{check_config, read, Campaigns, ConfigError};
pub use decision::Decision;
pub use engine::Engine;
pub use explain::Explanation;
pub use model::{Action, ActionKind, Campaign, Device, Frequency, GlobalLimits, Trigger};
pub use reason::Reason;
pub use replay::replay;
pub use signal::{Outcome, Signal};
pub use state::{StateError, STATE_VERSION};

#[cfg(test)]
mod tests;
