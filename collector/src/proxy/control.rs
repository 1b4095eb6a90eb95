//! The control endpoint, answered by the proxy itself and never forwarded:
//!
//! - `POST /__faults` sets the fault plan (JSON body) and restarts its counters;
//! - `GET /__faults` returns the plan and how many requests it has seen and hit;
//! - `GET /__faults/log` returns the log of ingest requests; `DELETE /__faults/log` clears it.

use serde_json::json;

use super::plan::Plan;
use super::reply;
use super::request::Request;
use super::Shared;

pub const PREFIX: &str = "/__faults";

pub fn is_control(path: &str) -> bool {
    path == PREFIX || path.starts_with("/__faults/")
}

pub fn handle(shared: &Shared, request: &Request) -> Vec<u8> {
    match (request.method.as_str(), request.path()) {
        ("POST", PREFIX) => match Plan::from_json(&request.body) {
            Ok(plan) => {
                let mut faults = shared.faults();
                faults.set(plan);
                reply::json(200, &faults.to_json(), &[])
            }
            Err(err) => reply::error(400, "invalid_plan", &err.to_string(), &[]),
        },
        ("GET", PREFIX) => reply::json(200, &shared.faults().to_json(), &[]),
        ("GET", "/__faults/log") => reply::json(200, &shared.log().to_json(), &[]),
        ("DELETE", "/__faults/log") => {
            shared.log().clear();
            reply::json(200, &json!({"ok": true}), &[])
        }
        (_, PREFIX | "/__faults/log") => reply::error(
            405,
            "method_not_allowed",
            "use POST or GET on /__faults, GET or DELETE on /__faults/log",
            &[],
        ),
        _ => reply::error(404, "not_found", "no such control endpoint", &[]),
    }
}
