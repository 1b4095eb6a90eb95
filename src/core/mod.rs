//! The pure core: every module here takes time and inputs as arguments and returns decisions.
pub mod attribution;
pub mod json;
pub mod random;
pub mod session;
pub mod time;
pub mod url;
pub mod queue;
