//! Reads the `campaigns` array and `campaignLimits` of a config, reporting every error with its location
//! (`campaigns[2].timing.delay: ...`). The format is documented in `docs/campaigns.md`.

use super::colour::is_colour;
use super::duration;
use super::limits::*;
use super::model::*;
use super::pattern::UrlPattern;
use crate::core::json::{Map, Value};
use crate::core::rules::{self, Diagnostic, Program};
use crate::core::time::parse_iso8601;

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

struct Reader<'k> {
    errors: Vec<ConfigError>,
    known: &'k Known,
}

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

impl Reader<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError::new(path, message));
    }

    fn object<'v>(&mut self, path: &str, v: &'v Value, what: &str) -> Option<&'v Map> {
        let m = v.as_object();
        if m.is_none() {
            self.err(path, format!("{what} is an object"));
        }
        m
    }

    fn unknown_keys(&mut self, path: &str, m: &Map, allowed: &[&str]) {
        for (k, _) in m.iter() {
            if !allowed.contains(&k) {
                self.err(
                    format!("{path}.{k}"),
                    format!("unknown key (expected one of: {})", allowed.join(", ")),
                );
            }
        }
    }

    fn duration(&mut self, path: &str, v: &Value, max: i64) -> Option<i64> {
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

    fn percent(&mut self, path: &str, v: &Value) -> Option<f64> {
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

    fn pattern(&mut self, path: &str, v: &Value) -> Option<UrlPattern> {
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

    fn limits(&mut self, v: &Value) -> GlobalLimits {
        let mut out = GlobalLimits::default();
        let Some(m) = self.object("campaignLimits", v, "\"campaignLimits\"") else {
            return out;
        };
        self.unknown_keys("campaignLimits", m, &["perSession", "minGap"]);
        if let Some(n) = m.get("perSession") {
            match n.as_f64() {
                Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 1000.0 => {
                    out.per_session = Some(n as u32)
                }
                _ => self.err("campaignLimits.perSession", "a whole number from 0 to 1000"),
            }
        }
        if let Some(g) = m.get("minGap") {
            out.min_gap_ms = self.duration("campaignLimits.minGap", g, MAX_DURATION_MS);
        }
        out
    }

    fn campaign(&mut self, path: &str, v: &Value) -> Option<Campaign> {
        let m = self.object(path, v, "a campaign")?;
        let before = self.errors.len();
        self.unknown_keys(path, m, CAMPAIGN_KEYS);
        let id = match m.get("id").and_then(Value::as_str) {
            Some(id) if !id.is_empty() && id.len() <= MAX_ID_BYTES => id.to_string(),
            _ => {
                self.err(
                    format!("{path}.id"),
                    format!("a campaign needs an \"id\": a non-empty string of at most {MAX_ID_BYTES} bytes"),
                );
                String::new()
            }
        };
        let trigger = match m.get("trigger") {
            Some(t) => self.trigger(&format!("{path}.trigger"), t),
            None => {
                self.err(format!("{path}.trigger"), "a campaign needs a \"trigger\"");
                None
            }
        };
        let audience = match m.get("audience") {
            Some(a) => self.audience(&format!("{path}.audience"), a),
            None => Audience::default(),
        };
        let action = match m.get("action") {
            Some(a) => self.action(&format!("{path}.action"), a),
            None => {
                self.err(format!("{path}.action"), "a campaign needs an \"action\"");
                None
            }
        };
        let timing = match m.get("timing") {
            Some(t) => self.timing(&format!("{path}.timing"), t),
            None => Timing::default(),
        };
        let priority = match m.get("priority") {
            None => 0,
            Some(p) => match p.as_f64() {
                Some(p) if p.fract() == 0.0 && p.abs() <= MAX_PRIORITY as f64 => p as i64,
                _ => {
                    self.err(
                        format!("{path}.priority"),
                        format!("a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}"),
                    );
                    0
                }
            },
        };
        let holdout = match m.get("holdout") {
            None => 0.0,
            Some(h) => self.percent(&format!("{path}.holdout"), h).unwrap_or(0.0),
        };
        if self.errors.len() != before {
            return None;
        }
        Some(Campaign {
            id,
            trigger: trigger?,
            audience,
            action: action?,
            timing,
            priority,
            holdout,
        })
    }

    fn segment_ref(&mut self, path: &str, name: &str) {
        if !self.known.has_segment(name) {
            self.err(
                path,
                format!("unknown segment {name:?} (not in \"segments\")"),
            );
        }
    }

    fn stage_ref(&mut self, path: &str, journey: &str, stage: Option<&str>) {
        match self.known.stages(journey) {
            None => self.err(
                path,
                format!("unknown journey {journey:?} (not in \"journeys\")"),
            ),
            Some(stages) => {
                if let Some(stage) = stage {
                    if !stages.iter().any(|s| s == stage) {
                        self.err(path, format!("journey {journey:?} has no stage {stage:?}"));
                    }
                }
            }
        }
    }

    /// Compiles a rule (text) or a condition (GrowthBook JSON); rules read facts now, not history.
    fn rule(&mut self, path: &str, v: &Value, condition: bool) -> Option<Box<Program>> {
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

    fn rule_error(&mut self, path: &str, source: &str, d: &Diagnostic) {
        let rendered = d.render(source, "");
        let detail = rendered.split_once('\n').map(|(_, rest)| rest.to_string());
        self.errors.push(ConfigError {
            path: path.to_string(),
            message: format!("{}:{}: {}", d.line, d.column, d.message),
            detail,
        });
    }

    fn trigger(&mut self, path: &str, v: &Value) -> Option<Trigger> {
        let m = self.object(path, v, "a trigger")?;
        let kinds = [
            "event",
            "segmentEnter",
            "segmentExit",
            "stage",
            "page",
            "exitIntent",
            "idle",
            "scroll",
            "engagedTime",
            "sessionStart",
        ];
        let present: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| m.get(k).is_some())
            .collect();
        let kind = match present.as_slice() {
            [k] => *k,
            _ => {
                self.err(
                    path,
                    format!("a trigger has exactly one of: {}", kinds.join(", ")),
                );
                return None;
            }
        };
        let mut allowed = vec![kind];
        match kind {
            "event" => allowed.push("where"),
            "stage" => allowed.push("journey"),
            _ => {}
        }
        self.unknown_keys(path, m, &allowed);
        let val = m.get(kind)?;
        let sub = format!("{path}.{kind}");
        let text = |r: &mut Self| -> Option<String> {
            match val.as_str() {
                Some(s) if !s.is_empty() => Some(s.to_string()),
                _ => {
                    r.err(&sub, "a non-empty string");
                    None
                }
            }
        };
        let flag = |r: &mut Self| -> bool {
            let ok = val.as_bool() == Some(true);
            if !ok {
                r.err(&sub, "write `true`");
            }
            ok
        };
        Some(match kind {
            "event" => {
                let name = text(self)?;
                let filter = match m.get("where") {
                    None => None,
                    Some(w) => Some(self.rule(&format!("{path}.where"), w, false)?),
                };
                Trigger::Event { name, filter }
            }
            "segmentEnter" | "segmentExit" => {
                let name = text(self)?;
                self.segment_ref(&sub, &name);
                if kind == "segmentEnter" {
                    Trigger::SegmentEnter(name)
                } else {
                    Trigger::SegmentExit(name)
                }
            }
            "stage" => {
                let stage = text(self)?;
                let Some(journey) = m.get("journey").and_then(Value::as_str) else {
                    self.err(
                        format!("{path}.journey"),
                        "a stage trigger names its \"journey\"",
                    );
                    return None;
                };
                self.stage_ref(&sub, journey, Some(&stage));
                Trigger::Stage {
                    journey: journey.to_string(),
                    stage,
                }
            }
            "page" => Trigger::Page(self.pattern(&sub, val)?),
            "exitIntent" => flag(self).then_some(Trigger::ExitIntent)?,
            "sessionStart" => flag(self).then_some(Trigger::SessionStart)?,
            "idle" => Trigger::Idle(self.duration(&sub, val, MAX_DURATION_MS)?),
            "engagedTime" => Trigger::EngagedTime(self.duration(&sub, val, MAX_DURATION_MS)?),
            "scroll" => Trigger::Scroll(self.percent(&sub, val)?),
            _ => return None,
        })
    }

    fn patterns(&mut self, path: &str, v: &Value) -> Vec<UrlPattern> {
        let Some(items) = v.as_array() else {
            self.err(path, "a list of URL patterns");
            return Vec::new();
        };
        if items.len() > MAX_URL_PATTERNS {
            self.err(path, format!("at most {MAX_URL_PATTERNS} patterns"));
        }
        items
            .iter()
            .take(MAX_URL_PATTERNS)
            .enumerate()
            .filter_map(|(i, p)| self.pattern(&format!("{path}[{i}]"), p))
            .collect()
    }

    fn date(&mut self, path: &str, v: &Value) -> Option<i64> {
        let t = match v {
            Value::String(s) => parse_iso8601(s),
            _ => None,
        };
        if t.is_none() {
            self.err(
                path,
                format!(
                    "{} is not an ISO-8601 date (\"2026-12-01T00:00:00Z\")",
                    v.to_json()
                ),
            );
        }
        t
    }

    fn audience(&mut self, path: &str, v: &Value) -> Audience {
        let mut a = Audience::default();
        let Some(m) = self.object(path, v, "an audience") else {
            return a;
        };
        self.unknown_keys(
            path,
            m,
            &[
                "rule",
                "condition",
                "urls",
                "devices",
                "start",
                "end",
                "sample",
            ],
        );
        match (m.get("rule"), m.get("condition")) {
            (Some(_), Some(_)) => self.err(path, "give \"rule\" or \"condition\", not both"),
            (Some(r), None) => a.rule = self.rule(&format!("{path}.rule"), r, false),
            (None, Some(c)) => a.rule = self.rule(&format!("{path}.condition"), c, true),
            (None, None) => {}
        }
        if let Some(u) = m.get("urls") {
            let up = format!("{path}.urls");
            if let Some(um) = self.object(&up, u, "\"urls\"") {
                self.unknown_keys(&up, um, &["include", "exclude"]);
                if let Some(i) = um.get("include") {
                    a.include = self.patterns(&format!("{up}.include"), i);
                }
                if let Some(e) = um.get("exclude") {
                    a.exclude = self.patterns(&format!("{up}.exclude"), e);
                }
            }
        }
        if let Some(d) = m.get("devices") {
            let dp = format!("{path}.devices");
            match d.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str().and_then(Device::parse) {
                            Some(dev) => a.devices.push(dev),
                            None => self.err(
                                format!("{dp}[{i}]"),
                                format!(
                                    "{} is not a device: mobile, tablet or desktop",
                                    item.to_json()
                                ),
                            ),
                        }
                    }
                }
                None => self.err(dp, "a list of devices: mobile, tablet, desktop"),
            }
        }
        if let Some(s) = m.get("start") {
            a.start = self.date(&format!("{path}.start"), s);
        }
        if let Some(e) = m.get("end") {
            a.end = self.date(&format!("{path}.end"), e);
        }
        if let (Some(s), Some(e)) = (a.start, a.end) {
            if e <= s {
                self.err(
                    format!("{path}.end"),
                    "the end date is not after the start date",
                );
            }
        }
        if let Some(s) = m.get("sample") {
            a.sample = self.percent(&format!("{path}.sample"), s);
        }
        a
    }

    fn timing(&mut self, path: &str, v: &Value) -> Timing {
        let mut t = Timing::default();
        let Some(m) = self.object(path, v, "\"timing\"") else {
            return t;
        };
        self.unknown_keys(path, m, &["delay", "cancelOn", "frequency", "cooldown"]);
        if let Some(d) = m.get("delay") {
            t.delay_ms = self
                .duration(&format!("{path}.delay"), d, MAX_DELAY_MS)
                .unwrap_or(0);
        }
        if let Some(c) = m.get("cancelOn") {
            let cp = format!("{path}.cancelOn");
            match c.as_array() {
                Some(items) if items.len() <= MAX_CANCEL_EVENTS => {
                    for (i, item) in items.iter().enumerate() {
                        match item.as_str() {
                            Some(s) if !s.is_empty() => t.cancel_on.push(s.to_string()),
                            _ => self.err(format!("{cp}[{i}]"), "an event name"),
                        }
                    }
                }
                _ => self.err(
                    cp,
                    format!("a list of at most {MAX_CANCEL_EVENTS} event names"),
                ),
            }
        }
        if let Some(f) = m.get("frequency") {
            if let Some(f) = self.frequency(&format!("{path}.frequency"), f) {
                t.frequency = f;
            }
        }
        if let Some(c) = m.get("cooldown") {
            t.cooldown_ms = self.duration(&format!("{path}.cooldown"), c, MAX_DURATION_MS);
        }
        t
    }

    fn frequency(&mut self, path: &str, v: &Value) -> Option<Frequency> {
        match v {
            Value::String(s) => match s.as_str() {
                "once" => Some(Frequency::Once),
                "untilAnswered" => Some(Frequency::UntilAnswered),
                "always" => Some(Frequency::Always),
                _ => {
                    self.err(
                        path,
                        format!("{s:?} is not a frequency: \"once\", \"untilAnswered\", \"always\" or {{\"max\": N, \"per\": \"30d\"}}"),
                    );
                    None
                }
            },
            Value::Object(m) => {
                self.unknown_keys(path, m, &["max", "per"]);
                let max = match m.get("max").and_then(Value::as_f64) {
                    Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= MAX_SHOWS_KEPT as f64 => {
                        n as u32
                    }
                    _ => {
                        self.err(
                            format!("{path}.max"),
                            format!("a whole number from 1 to {MAX_SHOWS_KEPT}"),
                        );
                        return None;
                    }
                };
                let per_ms = match m.get("per") {
                    None => None,
                    Some(p) => Some(self.duration(&format!("{path}.per"), p, MAX_DURATION_MS)?),
                };
                Some(Frequency::Max { max, per_ms })
            }
            _ => {
                self.err(
                    path,
                    "a frequency is a string or {\"max\": N, \"per\": \"30d\"}",
                );
                None
            }
        }
    }

    fn action(&mut self, path: &str, v: &Value) -> Option<Action> {
        let m = self.object(path, v, "an action")?;
        let before = self.errors.len();
        let kind = match m.get("type").and_then(Value::as_str) {
            Some("survey") => ActionKind::Survey,
            Some("reward") => ActionKind::Reward,
            Some("custom") => ActionKind::Custom,
            _ => {
                self.err(
                    format!("{path}.type"),
                    "an action's \"type\" is survey, reward or custom",
                );
                return None;
            }
        };
        match kind {
            ActionKind::Survey => self.survey(path, m),
            ActionKind::Reward => self.reward(path, m),
            ActionKind::Custom => {}
        }
        if let Some(t) = m.get("theme") {
            self.theme(&format!("{path}.theme"), t);
        }
        (self.errors.len() == before).then(|| Action {
            kind,
            spec: v.clone(),
        })
    }

    fn survey(&mut self, path: &str, m: &Map) {
        let qp = format!("{path}.questions");
        let Some(questions) = m.get("questions").and_then(Value::as_array) else {
            self.err(
                qp,
                "a survey needs \"questions\": a list of at least one question",
            );
            return;
        };
        if questions.is_empty() || questions.len() > MAX_QUESTIONS {
            self.err(
                qp,
                format!("a survey has from 1 to {MAX_QUESTIONS} questions"),
            );
            return;
        }
        let mut ids: Vec<&str> = Vec::new();
        for (i, q) in questions.iter().enumerate() {
            let p = format!("{qp}[{i}]");
            let Some(qm) = self.object(&p, q, "a question") else {
                continue;
            };
            match qm.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {
                    if ids.contains(&id) {
                        self.err(
                            format!("{p}.id"),
                            format!("question id {id:?} is used twice"),
                        );
                    }
                    ids.push(id);
                }
                _ => self.err(format!("{p}.id"), "a question needs an \"id\""),
            }
            if !matches!(qm.get("text"), Some(Value::String(s)) if !s.is_empty()) {
                self.err(format!("{p}.text"), "a question needs its \"text\"");
            }
            let kind = qm.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "nps" | "csat" | "rating" | "text" => {}
                "single" | "multiple" => {
                    let ok = matches!(qm.get("choices").and_then(Value::as_array),
                        Some(c) if !c.is_empty() && c.len() <= MAX_CHOICES && c.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())));
                    if !ok {
                        self.err(
                            format!("{p}.choices"),
                            format!("a {kind} choice question needs 1 to {MAX_CHOICES} non-empty \"choices\""),
                        );
                    }
                }
                _ => self.err(
                    format!("{p}.type"),
                    "a question's \"type\" is nps, csat, rating, single, multiple or text",
                ),
            }
        }
    }

    fn reward(&mut self, path: &str, m: &Map) {
        let need = |r: &mut Self, key: &str, what: &str| {
            if !matches!(m.get(key), Some(Value::String(s)) if !s.is_empty()) {
                r.err(
                    format!("{path}.{key}"),
                    format!("a {what} reward needs \"{key}\""),
                );
            }
        };
        match m.get("reward").and_then(Value::as_str) {
            Some("coupon") => need(self, "code", "coupon"),
            Some("points") => {
                if !m
                    .get("points")
                    .and_then(Value::as_f64)
                    .is_some_and(|p| p > 0.0)
                {
                    self.err(
                        format!("{path}.points"),
                        "a points reward needs a positive \"points\"",
                    );
                }
            }
            Some("badge") => need(self, "badge", "badge"),
            Some("referral") => {
                need(self, "url", "referral");
                if let Some(u) = m.get("url").and_then(Value::as_str) {
                    if !(u.starts_with("https://") || u.starts_with("http://")) {
                        self.err(
                            format!("{path}.url"),
                            format!("{u:?} is not an http(s) URL"),
                        );
                    }
                }
            }
            _ => self.err(
                format!("{path}.reward"),
                "a reward's \"reward\" is coupon, points, badge or referral",
            ),
        }
    }

    /// Colour keys (any key ending in `color`/`Color`, and the same under `dark`) must be colours.
    fn theme(&mut self, path: &str, v: &Value) {
        let Some(m) = self.object(path, v, "a theme") else {
            return;
        };
        for (k, val) in m.iter() {
            let p = format!("{path}.{k}");
            if k == "dark" {
                self.theme(&p, val);
            } else if (k.ends_with("color") || k.ends_with("Color"))
                && !val.as_str().is_some_and(is_colour)
            {
                self.err(
                    p,
                    format!(
                        "{} is not a colour (#rgb, #rrggbb, rgb(...), hsl(...))",
                        val.to_json()
                    ),
                );
            }
        }
    }
}
