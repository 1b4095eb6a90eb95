//! Eligibility: every reason a campaign cannot show now. Split in two: what concerns the campaign alone
//! (audience, dates, sampling, frequency, cooldown, the session limit), checked when it triggers and again when
//! its delay ends; and what concerns the moment (a prompt on screen, the minimum gap), checked only when a
//! prompt is about to show.

use super::limits::MAX_OPEN_MS;
use super::model::{Campaign, Device, Frequency, GlobalLimits};
use super::reason::Reason;
use super::state::State;
use crate::core::rules::hash::gb_hash;
use crate::core::rules::{evaluate, explain, Input};

/// What the engine knows about the page and the device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    pub url: Option<String>,
    pub device: Option<Device>,
}

/// The visitor's position in [0, 100) for a campaign and a purpose, GrowthBook-compatible (hash v2).
pub fn bucket(purpose: &str, campaign: &str, visitor: &str) -> f64 {
    let seed = ["wayline-", purpose, ":", campaign].concat();
    gb_hash(&seed, visitor, 2).unwrap_or(0.0) * 100.0
}

pub fn held_out(c: &Campaign, facts: &dyn Input) -> bool {
    c.holdout > 0.0 && bucket("holdout", &c.id, facts.anonymous_id()) < c.holdout
}

/// Reasons tied to the campaign at position `i` of `campaigns`. With `explain`, a false audience rule lists its
/// false clauses.
pub fn campaign_blockers(
    campaigns: &[Campaign],
    i: usize,
    state: &State,
    limits: &GlobalLimits,
    ctx: &Context,
    facts: &dyn Input,
    now: i64,
) -> Vec<Reason> {
    let mut out = Vec::new();
    let Some(c) = campaigns.get(i) else {
        return out;
    };
    let a = &c.audience;
    if let Some(start) = a.start {
        if now < start {
            out.push(Reason::BeforeStart { start });
        }
    }
    if let Some(end) = a.end {
        if now >= end {
            out.push(Reason::Ended { end });
        }
    }
    if let Some(rule) = &a.rule {
        if !evaluate(rule, facts, now).value {
            let mut failing = Vec::new();
            for cl in &explain(rule, facts, now) {
                if !cl.value {
                    let text = rule.source().get(cl.span.start..cl.span.end);
                    failing.push(text.unwrap_or_default().to_string());
                }
            }
            out.push(Reason::Rule { failing });
        }
    }
    if !a.include.is_empty() || !a.exclude.is_empty() {
        match ctx.url.as_deref() {
            None if !a.include.is_empty() => out.push(Reason::UrlNotIncluded { url: None }),
            None => {}
            Some(url) => {
                if !a.include.is_empty() && !a.include.iter().any(|p| p.matches(url)) {
                    out.push(Reason::UrlNotIncluded {
                        url: Some(url.to_string()),
                    });
                }
                if let Some(p) = a.exclude.iter().find(|p| p.matches(url)) {
                    out.push(Reason::UrlExcluded {
                        url: url.to_string(),
                        pattern: p.as_str().to_string(),
                    });
                }
            }
        }
    }
    if !a.devices.is_empty() && !ctx.device.is_some_and(|d| a.devices.contains(&d)) {
        out.push(Reason::Device {
            device: ctx.device.map(Device::as_str),
        });
    }
    if let Some(percent) = a.sample {
        if bucket("sample", &c.id, facts.anonymous_id()) >= percent {
            out.push(Reason::NotSampled { percent });
        }
    }
    if let Some(h) = state.history(i) {
        match c.timing.frequency {
            Frequency::Once => {
                if !h.shows.is_empty() {
                    out.push(Reason::ShownOnce);
                }
            }
            Frequency::UntilAnswered => {
                if h.answered || h.held_out {
                    out.push(Reason::Answered);
                }
            }
            Frequency::Max { max, per_ms } => {
                let max = max as usize;
                let mut recent: Vec<i64> = Vec::new();
                for &t in &h.shows {
                    if per_ms.is_none_or(|per| t > now - per) {
                        recent.push(t);
                    }
                }
                if recent.len() >= max {
                    // Eligible again when the oldest show that still counts leaves the window.
                    let until =
                        per_ms.and_then(|per| recent.get(recent.len() - max).map(|&t| t + per));
                    out.push(Reason::Capped { until });
                }
            }
            Frequency::Always => {}
        }
        if let (Some(cool), Some(d)) = (c.timing.cooldown_ms, h.dismissed_at) {
            if now < d + cool {
                out.push(Reason::Cooldown { until: d + cool });
            }
        }
    }
    if let Some(limit) = limits.per_session {
        if state.session_prompts >= limit {
            out.push(Reason::SessionLimit { limit });
        }
    }
    out
}

/// Reasons tied to the moment: a prompt on screen (of one of `campaigns`), the minimum gap since the last one.
pub fn moment_blockers(
    campaigns: &[Campaign],
    state: &State,
    limits: &GlobalLimits,
    now: i64,
) -> Vec<Reason> {
    let mut out = Vec::new();
    push_moment_blockers(campaigns, state, limits, now, &mut out);
    out
}

/// [`moment_blockers`], added to `out`.
pub fn push_moment_blockers(
    campaigns: &[Campaign],
    state: &State,
    limits: &GlobalLimits,
    now: i64,
    out: &mut Vec<Reason>,
) {
    if let Some((i, since)) = state.open {
        if now < since + MAX_OPEN_MS {
            out.push(Reason::PromptOpen {
                campaign: campaigns.get(i).map_or("", |c| &c.id).to_string(),
            });
        }
    }
    if let (Some(gap), Some(last)) = (limits.min_gap_ms, state.last_prompt_at) {
        if now < last + gap {
            out.push(Reason::MinGap { until: last + gap });
        }
    }
}
