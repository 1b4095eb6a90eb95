//! Eligibility: every reason a campaign cannot show now. Split in two: what concerns the campaign alone
//! (audience, dates, sampling, frequency, cooldown, the session limit), checked when it triggers and again when
//! its delay ends; and what concerns the moment (a prompt on screen, the minimum gap), checked only when a
//! prompt is about to show.

use super::limits::MAX_OPEN_MS;
use super::model::{Campaign, Device, Frequency, GlobalLimits};
use super::reason::Reason;
use super::state::State;
use crate::core::rules::eval::false_clauses;
use crate::core::rules::hash::gb_hash_v2;
use crate::core::rules::{evaluate, Input};

/// What the engine knows about the page and the device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    pub url: Option<String>,
    pub device: Option<Device>,
}

/// The visitor's position in [0, 100) for a campaign and a purpose, GrowthBook-compatible (hash v2).
pub fn bucket(purpose: &str, campaign: &str, visitor: &str) -> f64 {
    let seed = ["wayline-", purpose, ":", campaign].concat();
    gb_hash_v2(&seed, visitor) * 100.0
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
            out.push(Reason::Rule {
                failing: false_clauses(rule, facts, now),
            });
        }
    }
    if !a.include.is_empty() || !a.exclude.is_empty() {
        match ctx.url.as_deref() {
            None if !a.include.is_empty() => out.push(Reason::UrlNotIncluded { url: None }),
            None => {}
            Some(url) => {
                if !a.includes_url(url) {
                    out.push(Reason::UrlNotIncluded {
                        url: Some(url.to_string()),
                    });
                }
                if let Some(p) = a.url_excluded_by(url) {
                    out.push(Reason::UrlExcluded {
                        url: url.to_string(),
                        pattern: p.as_str().to_string(),
                    });
                }
            }
        }
    }
    if !a.devices.is_empty() && !ctx.device.is_some_and(|d| targets(&a.devices, d)) {
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
            // Held out: one held-out decision, then none; but only while this visitor is held out. A tab
            // that took in another tab's identity (two tabs opened at once on a first visit) and its state keeps
            // a hold-out of the id that lost, which must not keep the visitor from the survey until answered.
            Frequency::UntilAnswered => {
                if h.answered || (h.held_out && held_out(c, facts)) {
                    out.push(Reason::Answered);
                }
            }
            Frequency::Max { max, per_ms } => {
                if let Some(until) = capped(&h.shows, max as usize, per_ms, now) {
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

/// Whether `device` is among `devices`: a loop, where `contains` links the standard library's unrolled search for
/// this alone.
#[allow(clippy::manual_contains)]
fn targets(devices: &[Device], device: Device) -> bool {
    devices.iter().any(|&d| d == device)
}

/// Whether `max` shows per `per_ms` (ever, without a period) are reached at `now`, and if so when the cap lifts:
/// when the oldest show that still counts leaves the window (never without a period, or for a cap of zero).
/// The shows that count are counted, then walked again to that one: no list of them is built.
fn capped(shows: &[i64], max: usize, per_ms: Option<i64>, now: i64) -> Option<Option<i64>> {
    let counts = |t: i64| per_ms.is_none_or(|per| t > now - per);
    let mut recent = 0;
    for &t in shows {
        recent += usize::from(counts(t));
    }
    if recent < max {
        return None;
    }
    let mut until = None;
    if let (Some(per), true) = (per_ms, max > 0) {
        // The show `recent - max` places into those that count.
        let mut skip = recent - max;
        for &t in shows {
            if counts(t) {
                if skip == 0 {
                    until = Some(t + per);
                    break;
                }
                skip -= 1;
            }
        }
    }
    Some(until)
}

/// Reasons tied to the moment: a prompt on screen (of one of `campaigns`), the minimum gap since the last one.
pub fn moment_blockers(
    campaigns: &[Campaign],
    state: &State,
    limits: &GlobalLimits,
    now: i64,
) -> Vec<Reason> {
    let mut out = Vec::new();
    push_moment_blockers(campaigns, state.open, state, limits, now, &mut out);
    out
}

/// [`moment_blockers`], added to `out`, with `open` as the prompt on screen (and since when).
pub fn push_moment_blockers(
    campaigns: &[Campaign],
    open: Option<(usize, i64)>,
    state: &State,
    limits: &GlobalLimits,
    now: i64,
    out: &mut Vec<Reason>,
) {
    if let Some((i, since)) = open {
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

#[cfg(test)]
mod tests {
    use super::capped;

    /// What the cap was first written as (a list of the shows that count) must agree with it.
    #[test]
    fn capped_agrees_with_its_first_form() {
        fn then(shows: &[i64], max: usize, per_ms: Option<i64>, now: i64) -> Option<Option<i64>> {
            let mut recent: Vec<i64> = Vec::new();
            for &t in shows {
                if per_ms.is_none_or(|per| t > now - per) {
                    recent.push(t);
                }
            }
            (recent.len() >= max)
                .then(|| per_ms.and_then(|per| recent.get(recent.len() - max).map(|&t| t + per)))
        }
        // Every sorted list of up to five shows at times 0..6, every cap and period, at several times.
        for mask in 0u32..(1 << 7) {
            for dup in 0..3 {
                let mut shows: Vec<i64> = (0..7).filter(|t| mask & (1 << t) != 0).collect();
                if let Some(&first) = shows.first() {
                    for _ in 0..dup {
                        shows.insert(0, first);
                    }
                }
                for max in 0..7 {
                    for per in [None, Some(1), Some(2), Some(4), Some(100)] {
                        for now in [0, 3, 6, 7, 10, 200] {
                            assert_eq!(
                                capped(&shows, max, per, now),
                                then(&shows, max, per, now),
                                "{shows:?} max {max} per {per:?} now {now}"
                            );
                        }
                    }
                }
            }
        }
    }
}
