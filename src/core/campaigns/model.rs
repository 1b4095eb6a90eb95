//! A campaign as the engine holds it once the config is read: trigger, audience, action, timing, priority and
//! holdout. See `docs/campaigns.md` for the config that produces it.

use super::pattern::UrlPattern;
use crate::core::json::Value;
use crate::core::rules::Program;

#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: String,
    pub trigger: Trigger,
    pub audience: Audience,
    pub action: Action,
    pub timing: Timing,
    /// Higher wins when several campaigns could show at once; ties go to the one earlier in the config.
    pub priority: i64,
    /// Percentage (0–100) of the audience held out: they get a held-out decision instead of the prompt.
    pub holdout: f64,
}

/// What starts a campaign.
#[derive(Debug, Clone)]
pub enum Trigger {
    /// A tracked event by name, optionally filtered by a rule over its properties (`properties.revenue > 50`).
    Event {
        name: String,
        filter: Option<Box<Program>>,
    },
    SegmentEnter(String),
    SegmentExit(String),
    /// Entering a journey stage.
    Stage {
        journey: String,
        stage: String,
    },
    /// A page view whose URL matches.
    Page(UrlPattern),
    ExitIntent,
    /// The visitor has been idle this long (ms).
    Idle(i64),
    /// The page has been scrolled this far (percent, 0–100).
    Scroll(f64),
    /// Engaged time in the session reached this much (ms).
    EngagedTime(i64),
    SessionStart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Mobile,
    Tablet,
    Desktop,
}

impl Device {
    pub fn parse(s: &str) -> Option<Device> {
        match s {
            "mobile" => Some(Device::Mobile),
            "tablet" => Some(Device::Tablet),
            "desktop" => Some(Device::Desktop),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Desktop => "desktop",
        }
    }
}

/// Who may see it, and when.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// A rule over the visitor's facts (traits, context, page, segments, stages, bucketing).
    pub rule: Option<Box<Program>>,
    /// When non-empty, the current URL must match one of these.
    pub include: Vec<UrlPattern>,
    /// The current URL must match none of these.
    pub exclude: Vec<UrlPattern>,
    /// When non-empty, the visitor's device must be one of these.
    pub devices: Vec<Device>,
    /// Epoch ms: not before (inclusive) / not from (exclusive end).
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// Percentage (0–100) of visitors, by a deterministic hash of visitor and campaign.
    pub sample: Option<f64>,
}

impl Audience {
    /// Whether the include list lets `url` in: it is empty, or a pattern of it matches.
    pub fn includes_url(&self, url: &str) -> bool {
        self.include.is_empty() || self.include.iter().any(|p| p.matches(url))
    }

    /// The first exclude pattern that matches `url`, if any.
    pub fn url_excluded_by(&self, url: &str) -> Option<&UrlPattern> {
        self.exclude.iter().find(|p| p.matches(url))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Survey,
    Reward,
    /// Headless: the host renders it from the payload.
    Custom,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Survey => "survey",
            ActionKind::Reward => "reward",
            ActionKind::Custom => "custom",
        }
    }
}

/// What is shown. The engine only validates it; the prompt UI (or the host, for `custom`) reads `spec`.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub kind: ActionKind,
    /// The action object exactly as configured.
    pub spec: Value,
}

/// How often a campaign may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// At most once, ever (the default).
    Once,
    /// Again on later triggers until the visitor answers, completes or claims.
    UntilAnswered,
    /// At most `max` times in any window of `per_ms` (`None`: ever).
    Max { max: u32, per_ms: Option<i64> },
    /// No per-campaign cap; only the global limits apply.
    Always,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// Wait this long after the trigger, then check eligibility again (ms; 0 shows at once).
    pub delay_ms: i64,
    /// Events that cancel a pending delay.
    pub cancel_on: Vec<String>,
    pub frequency: Frequency,
    /// Not eligible for this long after a dismissal (ms).
    pub cooldown_ms: Option<i64>,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            delay_ms: 0,
            cancel_on: Vec::new(),
            frequency: Frequency::Once,
            cooldown_ms: None,
        }
    }
}

/// Limits across all campaigns (`campaignLimits` in the config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GlobalLimits {
    /// At most this many prompts per session.
    pub per_session: Option<u32>,
    /// At least this long between two prompts (from one prompt's show to the next), ms.
    pub min_gap_ms: Option<i64>,
}
