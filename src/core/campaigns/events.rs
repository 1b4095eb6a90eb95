//! Names of the events that carry campaign outcomes to the collector, and the way back: a stored outcome event
//! read as an [`Outcome`], so replaying a visitor's events reproduces their caps and cooldowns.

use super::signal::Outcome;
use crate::core::json::Map;

pub const SHOWN: &str = "Campaign Shown";
pub const DISMISSED: &str = "Campaign Dismissed";
/// One per answer, with `campaign`, `question` and `answer` properties (the SPEC's `"Survey Answered"`).
pub const ANSWERED: &str = "Survey Answered";
pub const COMPLETED: &str = "Campaign Completed";
pub const REWARD_CLAIMED: &str = "Reward Claimed";
/// Sent instead of showing, for a visitor in the holdout.
pub const HELD_OUT: &str = "Campaign Held Out";
/// The property naming the campaign in every event above.
pub const CAMPAIGN: &str = "campaign";

pub fn event_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Shown => SHOWN,
        Outcome::Dismissed => DISMISSED,
        Outcome::Answered => ANSWERED,
        Outcome::Completed => COMPLETED,
        Outcome::RewardClaimed => REWARD_CLAIMED,
    }
}

/// The outcome an event records, with its campaign: `None` for any other event.
pub fn outcome_of<'a>(name: &str, properties: &'a Map) -> Option<(&'a str, Outcome)> {
    let outcome = match name {
        SHOWN => Outcome::Shown,
        DISMISSED => Outcome::Dismissed,
        ANSWERED => Outcome::Answered,
        COMPLETED => Outcome::Completed,
        REWARD_CLAIMED => Outcome::RewardClaimed,
        _ => return None,
    };
    let campaign = properties.get(CAMPAIGN)?.as_str()?;
    Some((campaign, outcome))
}
