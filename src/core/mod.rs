//! The pure core: every module here takes time and inputs as arguments and returns decisions.
pub mod json;
