//! Reads the `campaigns` array, `campaignLimits` and the prompts' `theme` and `strings` of a config, reporting
//! every error with its location (`campaigns[2].timing.delay: ...`). The format is documented in
//! `docs/campaigns.md`.

use super::duration;
use super::limits::*;
use super::model::*;
use super::pattern::UrlPattern;
use crate::core::json::{Map, Value};
use crate::core::rules::{self, Diagnostic, Program};

/// One problem in the config, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `campaigns[2].timing.delay`
    pub path: String,
    pub message: String,
    /// For rule errors: the rule's source line with a caret under the problem.
    pub detail: Option<String>,
}

impl ConfigError {
    fn new(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            path: path.into(),
            message: message.into(),
            detail: None,
        }
    }

    /// `path: message`, then the detail lines if any.
    pub fn render(&self) -> String {
        let mut out = format!("{}: {}", self.path, self.message);
        if let Some(d) = &self.detail {
            out.push('\n');
            out.push_str(d.trim_end());
        }
        out
    }
}

/// Segment names and journeys (with their stages) that the config defines, for checking references.
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub segments: Vec<String>,
    pub journeys: Vec<(String, Vec<String>)>,
}

impl Known {
    pub fn from_config(config: &Value) -> Known {
        let segments = config
            .get("segments")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, _)| k.to_string()).collect())
            .unwrap_or_default();
        let journeys = config
            .get("journeys")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(name, stages)| {
                        let names = stages
                            .as_array()
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|s| s.get("stage").and_then(Value::as_str))
                            .map(str::to_string)
                            .collect();
                        (name.to_string(), names)
                    })
                    .collect()
            })
            .unwrap_or_default();
        Known { segments, journeys }
    }

    fn has_segment(&self, name: &str) -> bool {
        self.segments.iter().any(|s| s == name)
    }

    fn stages(&self, journey: &str) -> Option<&[String]> {
        self.journeys
            .iter()
            .find(|(j, _)| j == journey)
            .map(|(_, s)| s.as_slice())
    }
}

/// Everything the engine needs from a config.
#[derive(Debug, Clone, Default)]
pub struct Campaigns {
    pub campaigns: Vec<Campaign>,
    pub limits: GlobalLimits,
}

/// Reads `campaigns` and `campaignLimits` (both optional). Every error is reported, not just the first.
pub fn read(config: &Value) -> Result<Campaigns, Vec<ConfigError>> {
    let known = Known::from_config(config);
    let mut r = Reader {
        errors: Vec::new(),
        known: &known,
    };
    let limits = match config.get("campaignLimits") {
        None => GlobalLimits::default(),
        Some(v) => r.limits(v),
    };
    if let Some(t) = config.get("theme") {
        r.theme("theme", t);
    }
    if let Some(s) = config.get("strings") {
        r.strings(s);
    }
    let mut campaigns = Vec::new();
    match config.get("campaigns") {
        None => {}
        Some(Value::Array(items)) => {
            if items.len() > MAX_CAMPAIGNS {
                r.err(
                    "campaigns",
                    format!(
                        "at most {MAX_CAMPAIGNS} campaigns; this config has {}",
                        items.len()
                    ),
                );
            }
            for (i, item) in items.iter().take(MAX_CAMPAIGNS).enumerate() {
                let path = format!("campaigns[{i}]");
                if let Some(c) = r.campaign(&path, item) {
                    if campaigns.iter().any(|o: &Campaign| o.id == c.id) {
                        r.err(
                            format!("{path}.id"),
                            format!("campaign id {:?} is used twice", c.id),
                        );
                    }
                    campaigns.push(c);
                }
            }
        }
        Some(_) => r.err("campaigns", "\"campaigns\" is a list of campaign objects"),
    }
    if r.errors.is_empty() {
        Ok(Campaigns { campaigns, limits })
    } else {
        Err(r.errors)
    }
}

pub(super) struct Reader<'k> {
    pub(super) errors: Vec<ConfigError>,
    pub(super) known: &'k Known,
}

mod action;
mod audience;

pub use action::{is_css_length, is_css_value, scale_range, POSITIONS, STRING_KEYS, THEME_KEYS};
mod campaign;
mod timing;
mod trigger;

const CAMPAIGN_KEYS: &[&str] = &[
    "id",
    "trigger",
    "audience",
    "action",
    "timing",
    "priority",
    "holdout",
    "name",
    "description",
];

/// `; did you mean "x"?` for the candidate a name was probably meant to be, or nothing.
pub(super) fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match rules::functions::closest(name, candidates) {
        Some(meant) => format!("; did you mean {meant:?}?"),
        None => String::new(),
    }
}

impl Reader<'_> {
    pub(super) fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError::new(path, message));
    }

    pub(super) fn object<'v>(&mut self, path: &str, v: &'v Value, what: &str) -> Option<&'v Map> {
        let m = v.as_object();
        if m.is_none() {
            self.err(path, format!("{what} is an object"));
        }
        m
    }

    pub(super) fn unknown_keys(&mut self, path: &str, m: &Map, allowed: &[&str]) {
        for (k, _) in m.iter() {
            if !allowed.contains(&k) {
                self.err(
                    format!("{path}.{k}"),
                    format!(
                        "unknown key (expected one of: {}){}",
                        allowed.join(", "),
                        did_you_mean(k, allowed.iter().copied())
                    ),
                );
            }
        }
    }

    pub(super) fn duration(&mut self, path: &str, v: &Value, max: i64) -> Option<i64> {
        let Some(ms) = v.as_str().and_then(duration::parse) else {
            self.err(
                path,
                format!(
                    "{} is not a duration: write a number and a unit, like \"30s\", \"10m\", \"1h30m\", \"7d\"",
                    v.to_json()
                ),
            );
            return None;
        };
        if ms > max {
            self.err(
                path,
                format!("{} is longer than the limit of {}ms", v.to_json(), max),
            );
            return None;
        }
        Some(ms)
    }

    pub(super) fn percent(&mut self, path: &str, v: &Value) -> Option<f64> {
        match v.as_f64() {
            Some(p) if (0.0..=100.0).contains(&p) => Some(p),
            _ => {
                self.err(
                    path,
                    format!("{} is not a percentage from 0 to 100", v.to_json()),
                );
                None
            }
        }
    }

    pub(super) fn pattern(&mut self, path: &str, v: &Value) -> Option<UrlPattern> {
        let Some(s) = v.as_str() else {
            self.err(path, "a URL pattern is a string");
            return None;
        };
        match UrlPattern::parse(s) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(path, e);
                None
            }
        }
    }

    pub(super) fn segment_ref(&mut self, path: &str, name: &str) {
        if !self.known.has_segment(name) {
            let hint = did_you_mean(name, self.known.segments.iter().map(String::as_str));
            self.err(
                path,
                format!("unknown segment {name:?} (not in \"segments\"){hint}"),
            );
        }
    }

    pub(super) fn stage_ref(&mut self, path: &str, journey: &str, stage: Option<&str>) {
        match self.known.stages(journey) {
            None => {
                let hint =
                    did_you_mean(journey, self.known.journeys.iter().map(|(j, _)| j.as_str()));
                self.err(
                    path,
                    format!("unknown journey {journey:?} (not in \"journeys\"){hint}"),
                );
            }
            Some(stages) => {
                if let Some(stage) = stage {
                    if !stages.iter().any(|s| s == stage) {
                        let hint = did_you_mean(stage, stages.iter().map(String::as_str));
                        self.err(
                            path,
                            format!("journey {journey:?} has no stage {stage:?}{hint}"),
                        );
                    }
                }
            }
        }
    }

    /// Compiles a rule (text) or a condition (GrowthBook JSON); rules read facts now, not history.
    pub(super) fn rule(&mut self, path: &str, v: &Value, condition: bool) -> Option<Box<Program>> {
        let (source, compiled) = if condition {
            (v.to_json(), rules::compile_condition(v))
        } else {
            let Some(s) = v.as_str() else {
                self.err(path, "a rule is a string (see docs/rules.md)");
                return None;
            };
            (s.to_string(), rules::compile(s))
        };
        let program = match compiled {
            Ok(p) => p,
            Err(diags) => {
                for d in diags {
                    self.rule_error(path, &source, &d);
                }
                return None;
            }
        };
        if !program.aggregates().is_empty() {
            self.err(
                path,
                "campaign rules read the visitor's facts now, not history: put behaviour (count, last, sequence, ...) in a segment and use in_segment(\"...\")",
            );
            return None;
        }
        let deps = program.deps().clone();
        for s in &deps.segments {
            self.segment_ref(path, s);
        }
        for j in &deps.journeys {
            self.stage_ref(path, j, None);
        }
        Some(Box::new(program))
    }

    pub(super) fn rule_error(&mut self, path: &str, source: &str, d: &Diagnostic) {
        let rendered = d.render(source, "");
        let detail = rendered.split_once('\n').map(|(_, rest)| rest.to_string());
        self.errors.push(ConfigError {
            path: path.to_string(),
            message: format!("{}:{}: {}", d.line, d.column, d.message),
            detail,
        });
    }
}

/// `wayline check` for campaigns: every error as `file:path: message` (with the rule's line and caret for rule
/// errors), or the number of campaigns checked.
pub fn check_config(config_text: &str, file: &str) -> Result<usize, String> {
    let config = crate::core::json::parse(config_text)
        .map_err(|e| format!("{file}: not valid JSON: {e}\n"))?;
    match read(&config) {
        Ok(c) => Ok(c.campaigns.len()),
        Err(errors) => Err(errors
            .iter()
            .map(|e| format!("{file}:{}\n", e.render()))
            .collect()),
    }
}
