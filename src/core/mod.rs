//! The pure core: every module here takes time and inputs as arguments and returns decisions.
pub mod attribution;
pub mod audience;
pub mod campaigns;
pub mod consent;
pub mod engagement;
pub mod json;
pub mod message;
pub mod profile;
pub mod queue;
pub mod random;
pub mod rules;
pub mod sanitize;
pub mod segments;
pub mod session;
pub mod time;
pub mod tracker;
pub mod url;
