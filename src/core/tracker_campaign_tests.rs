//! Campaigns through the tracker: decisions become events and page work, outcomes reach the engine and the
//! collector, and caps hold across a reload.

use super::audience_tests::{page, sent, tracker};
use super::*;
use crate::core::audience::Audience;
use crate::core::campaigns::{Decision, Outcome, Signal};
use crate::core::json::Value;
use crate::core::segments::Change;
use crate::core::time::{MINUTE, SECOND};

fn config(holdout: u32) -> Value {
    json::parse(&format!(
        r#"{{"segments": {{"buyer": "count(\"Order Completed\") >= 1"}},
            "campaigns": [
              {{"id": "nps", "trigger": {{"segmentEnter": "buyer"}}, "holdout": {holdout},
                "action": {{"type": "survey", "questions": [{{"id": "score", "type": "nps", "text": "Recommend us?"}}]}},
                "timing": {{"delay": "5s", "frequency": "untilAnswered", "cooldown": "1d"}}}},
              {{"id": "exit", "trigger": {{"exitIntent": true}},
                "action": {{"type": "custom", "payload": {{"x": 1}}}}}}
            ]}}"#
    ))
    .unwrap()
}

fn names(t: &Tracker) -> Vec<String> {
    sent(t).into_iter().map(|(n, _)| n).collect()
}

#[test]
fn a_delayed_campaign_shows_when_its_delay_ends_and_is_recorded() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Delayed { due, .. }] if *due == 6_000));
    assert_eq!(t.next_wakeup(), Some(6_000));
    t.advance(6_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "nps"));
    // Recorded once the page has built the prompt.
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
    t.prompt_built("nps", true, 6_010);
    let (name, props) = sent(&t).pop().unwrap();
    assert_eq!(name, "Campaign Shown");
    assert_eq!(props.get("campaign").and_then(Value::as_str), Some("nps"));
    assert_eq!(
        t.campaign_action("nps")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str),
        Some("survey")
    );
}

/// `explain` answers as of the time it is asked: a delay due by then has ended (as a trigger then would end it
/// first), though the timer has not fired yet; and asking shows nothing and sends nothing.
#[test]
fn explain_answers_as_of_now_before_the_timer_fires_and_changes_nothing() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    t.take_decisions();
    let before = sent(&t).len();
    let why = t.explain("nps", 5_999).unwrap();
    assert_eq!(
        why.get("pendingUntil").and_then(Value::as_f64),
        Some(6_000.0)
    );
    let why = t.explain("nps", 6_000).unwrap();
    assert_eq!(why.get("pendingUntil"), None, "{}", why.to_json());
    let why = t.explain("exit", 7_000).unwrap();
    assert_eq!(why.get("eligible"), Some(&Value::Bool(false)));
    assert!(why.to_json().contains("prompt-open"), "{}", why.to_json());
    assert!(t.take_decisions().is_empty());
    assert_eq!(sent(&t).len(), before);
    assert_eq!(t.next_wakeup(), Some(6_000));
}

#[test]
fn outcomes_are_recorded_and_cap_the_campaign() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    t.advance(6_000);
    t.take_decisions();
    let mut answer = Map::new();
    answer.insert("question", "score".into());
    answer.insert("answer", 9.0.into());
    assert!(t.campaign_outcome("nps", Outcome::Answered, answer, 7_000));
    assert!(t.campaign_outcome("nps", Outcome::Completed, Map::new(), 7_100));
    let tail: Vec<(String, Value)> = sent(&t).split_off(sent(&t).len() - 2);
    assert_eq!(tail[0].0, "Survey Answered");
    assert_eq!(tail[0].1.get("answer").and_then(Value::as_f64), Some(9.0));
    assert_eq!(tail[1].0, "Campaign Completed");
    let why = t.explain("nps", 8_000).unwrap();
    assert_eq!(why.get("eligible"), Some(&Value::Bool(false)));
    assert!(why.to_json().contains("answered"), "{}", why.to_json());
    // A typo in a headless host's report is a warning, not an event.
    let before = sent(&t).len();
    assert!(!t.campaign_outcome("npz", Outcome::Dismissed, Map::new(), 9_000));
    assert_eq!(sent(&t).len(), before);
    assert!(t
        .take_warnings()
        .iter()
        .any(|w| w.code == "unknown_campaign"));
}

#[test]
fn a_headless_hosts_shown_for_the_prompt_on_screen_is_not_a_second_show() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "exit"));
    let shows = |t: &Tracker| names(t).iter().filter(|n| *n == "Campaign Shown").count();
    assert_eq!(shows(&t), 1);
    // The host renders the custom action it was handed and reports it shown: that show is already recorded.
    assert!(t.campaign_outcome("exit", Outcome::Shown, Map::new(), 2_100));
    assert_eq!(shows(&t), 1, "one show, one event");
    assert!(t.campaign_outcome("exit", Outcome::Completed, Map::new(), 3_000));
    // A show the engine did not choose is one of its own.
    assert!(t.campaign_outcome("nps", Outcome::Shown, Map::new(), 4_000));
    assert_eq!(shows(&t), 2);
}

/// A host's `outcome()` counts for the prompt open in this page only: one never shown records nothing, a closing
/// outcome closes it (a repeat records nothing), answers may come while it is open, a claim completes it, and a
/// prompt open when the page was left is closed on the next page.
#[test]
fn a_hosts_outcome_counts_once_and_only_for_the_prompt_open_in_this_page() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    let count = |t: &Tracker, name: &str| names(t).iter().filter(|n| *n == name).count();
    // Never shown: nothing recorded, and the engine is not told (no cooldown).
    assert!(!t.host_outcome("exit", Outcome::Dismissed, Map::new(), 1_500));
    assert!(!t.host_outcome("exit", Outcome::Completed, Map::new(), 1_500));
    assert_eq!(
        count(&t, "Campaign Dismissed") + count(&t, "Campaign Completed"),
        0
    );
    t.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "exit"));
    let mut answer = Map::new();
    answer.insert("question", "q1".into());
    answer.insert("answer", "yes".into());
    assert!(t.host_outcome("exit", Outcome::Answered, answer.clone(), 2_100));
    answer.insert("question", "q2".into());
    assert!(t.host_outcome("exit", Outcome::Answered, answer, 2_200));
    assert!(t.host_outcome("exit", Outcome::Completed, Map::new(), 2_300));
    // Closed: a repeat, or another outcome after it, is ignored.
    assert!(!t.host_outcome("exit", Outcome::Completed, Map::new(), 2_400));
    assert!(!t.host_outcome("exit", Outcome::Dismissed, Map::new(), 2_500));
    assert_eq!(count(&t, "Survey Answered"), 2);
    assert_eq!(count(&t, "Campaign Completed"), 1);
    assert_eq!(count(&t, "Campaign Dismissed"), 0);
    // A show of the host's own opens it; a claim completes it, so a second claim is ignored.
    assert!(t.host_outcome("exit", Outcome::Shown, Map::new(), 3_000));
    assert!(t.host_outcome("exit", Outcome::RewardClaimed, Map::new(), 3_100));
    assert!(!t.host_outcome("exit", Outcome::RewardClaimed, Map::new(), 3_200));
    assert_eq!(count(&t, "Reward Claimed"), 1);
    assert_eq!(count(&t, "Campaign Completed"), 2);
    // Open when the page is left: closed on the next page, where its outcome is ignored.
    assert!(t.host_outcome("exit", Outcome::Shown, Map::new(), 4_000));
    let state = t.take_state_write().unwrap();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), Some(&state), 5_000);
    assert!(!t.host_outcome("exit", Outcome::Dismissed, Map::new(), 5_100));
    assert_eq!(count(&t, "Campaign Dismissed"), 0);
    // Unknown campaigns keep their own warning.
    assert!(t.host_outcome("npz", Outcome::Dismissed, Map::new(), 6_000));
    assert!(t
        .take_warnings()
        .iter()
        .any(|w| w.code == "unknown_campaign"));
}

/// A prompt the page could not build (or that a later change replaced before it was built) never reached the
/// screen: no `Campaign Shown`, and its show is taken back: not open (another prompt may show), not counted for the
/// campaign's frequency, the session's limit or the minimum gap.
#[test]
fn a_prompt_never_built_is_not_recorded_as_shown_and_its_show_is_taken_back() {
    let config = json::parse(
        r#"{"campaignLimits": {"perSession": 1, "minGap": "1h"},
            "campaigns": [
              {"id": "once", "trigger": {"event": "Go"}, "timing": {"frequency": "once"},
               "action": {"type": "reward", "reward": "badge", "badge": "B"}}]}"#,
    )
    .unwrap();
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.track("Go", None, 2_000);
    assert!(shown(&t.take_decisions(), "once"));
    t.prompt_built("once", false, 2_010);
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
    let why = t.explain("once", 2_020).unwrap();
    assert_eq!(
        why.get("eligible"),
        Some(&Value::Bool(true)),
        "{}",
        why.to_json()
    );
    // Shown again, and built this time: recorded once, and it counts.
    t.track("Go", None, 3_000);
    assert!(shown(&t.take_decisions(), "once"));
    t.prompt_built("once", true, 3_010);
    assert_eq!(
        names(&t).iter().filter(|n| *n == "Campaign Shown").count(),
        1
    );
    let why = t.explain("once", 3_020).unwrap().to_json();
    for code in ["shown-once", "session-limit", "prompt-open", "min-gap"] {
        assert!(why.contains(code), "{code}: {why}");
    }
    // A report for a campaign that is not open (closed since) changes nothing.
    t.campaign_outcome("once", Outcome::Dismissed, Map::new(), 3_030);
    t.prompt_built("once", false, 3_040);
    let why = t.explain("once", 3_050).unwrap().to_json();
    for code in ["shown-once", "session-limit", "min-gap"] {
        assert!(why.contains(code), "{code}: {why}");
    }
}

/// A prompt an in-app navigation closed before the page built it (the navigation came in the same moment as the
/// show, before the prompt's task ran) never reached the screen either: its show is taken back, as any prompt never
/// built, though it is closed already.
#[test]
fn a_prompt_closed_by_a_navigation_before_it_was_built_is_taken_back() {
    let config = json::parse(
        r#"{"campaignLimits": {"perSession": 1, "minGap": "1h"},
            "campaigns": [
              {"id": "shop", "trigger": {"event": "Go"}, "timing": {"frequency": "once"},
               "audience": {"urls": {"exclude": ["*/checkout*"]}},
               "action": {"type": "reward", "reward": "badge", "badge": "B"}}]}"#,
    )
    .unwrap();
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.track("Go", None, 2_000);
    assert!(shown(&t.take_decisions(), "shop"));
    t.page_view(page("/checkout"), None, None, 2_001);
    assert!(
        matches!(&t.take_decisions()[..], [Decision::Closed { campaign }] if campaign == "shop")
    );
    t.prompt_built("shop", false, 2_002);
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
    t.page_view(page("/"), None, None, 3_000);
    let why = t.explain("shop", 3_010).unwrap();
    assert_eq!(
        why.get("eligible"),
        Some(&Value::Bool(true)),
        "{}",
        why.to_json()
    );
    t.track("Go", None, 3_020);
    assert!(shown(&t.take_decisions(), "shop"));
    // Built this time: its show stands, though a navigation closes it.
    t.prompt_built("shop", true, 3_030);
    t.page_view(page("/checkout"), None, None, 3_040);
    t.page_view(page("/"), None, None, 3_060);
    let why = t.explain("shop", 3_070).unwrap().to_json();
    for code in ["shown-once", "session-limit", "min-gap"] {
        assert!(why.contains(code), "{code}: {why}");
    }
}

/// A changed config that arrives between a show and the build of its prompt replaces the engine: the show can still
/// be taken back, though its campaign moved in the new config (another inserted before it).
#[test]
fn a_show_is_taken_back_after_a_new_config_arrived_before_its_prompt_was_built() {
    let campaign = r#"{"id": "once", "trigger": {"event": "Go"}, "timing": {"frequency": "once"},
                       "action": {"type": "reward", "reward": "badge", "badge": "B"}}"#;
    let with = |before: &str| {
        json::parse(&format!(
            r#"{{"campaignLimits": {{"perSession": 1, "minGap": "1h"}}, "campaigns": [{before}{campaign}]}}"#
        ))
        .unwrap()
    };
    let other = r#"{"id": "other", "trigger": {"event": "Other"}, "action": {"type": "custom", "payload": {}}},"#;
    let mut t = tracker();
    t.set_audience(Audience::boxed(&with("")).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.track("Go", None, 2_000);
    assert!(shown(&t.take_decisions(), "once"));
    t.replace_audience(Audience::boxed(&with(other)).unwrap(), 2_001);
    t.prompt_built("once", false, 2_010);
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
    let why = t.explain("once", 2_020).unwrap();
    assert_eq!(
        why.get("eligible"),
        Some(&Value::Bool(true)),
        "{}",
        why.to_json()
    );
    // Built once the config changed: its show stands.
    t.track("Go", None, 3_000);
    assert!(shown(&t.take_decisions(), "once"));
    t.replace_audience(Audience::boxed(&with("")).unwrap(), 3_001);
    t.prompt_built("once", true, 3_010);
    assert_eq!(
        names(&t).iter().filter(|n| *n == "Campaign Shown").count(),
        1
    );
    let why = t.explain("once", 3_030).unwrap().to_json();
    for code in ["shown-once", "session-limit", "prompt-open", "min-gap"] {
        assert!(why.contains(code), "{code}: {why}");
    }
}

/// A prompt the page removed (its body replaced) is closed: no outcome, no cooldown, its show counts, and another
/// prompt may show.
#[test]
fn a_prompt_the_page_removed_is_closed_without_an_outcome() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&two_prompts()).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(shown(&t.take_decisions(), "exit"));
    let sent_before = sent(&t).len();
    t.prompt_removed("promo");
    t.track("Promo", None, 3_000);
    assert!(
        !shown(&t.take_decisions(), "promo"),
        "another campaign's removal closes nothing"
    );
    t.prompt_removed("exit");
    t.track("Promo", None, 4_000);
    assert!(shown(&t.take_decisions(), "promo"));
    assert!(!names(&t)[sent_before..]
        .iter()
        .any(|n| n == "Campaign Dismissed"));
}

#[test]
fn a_held_out_visitor_gets_an_event_instead_of_a_prompt() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(100)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    t.take_decisions();
    t.advance(6_000);
    assert!(matches!(
        &t.take_decisions()[..],
        [Decision::HeldOut { .. }]
    ));
    assert_eq!(
        names(&t).last().map(String::as_str),
        Some("Campaign Held Out")
    );
}

#[test]
fn page_signals_trigger_campaigns_and_caps_hold_across_a_reload() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "exit"));
    t.campaign_outcome("exit", Outcome::Dismissed, Map::new(), 3_000);
    let state = t.take_state_write().unwrap();

    let mut again = tracker();
    again.set_audience(
        Audience::boxed(&config(0)).unwrap(),
        Some(&state),
        10 * SECOND,
    );
    again.campaign_signal(&Signal::ExitIntent, 11 * SECOND);
    let d = again.take_decisions();
    assert!(
        matches!(&d[..], [Decision::Skipped { campaign, .. }] if campaign == "exit"),
        "once means once, after a reload too: {d:?}"
    );
}

#[test]
fn a_show_in_another_tab_survives_this_tabs_write_and_caps_the_campaign_here() {
    // Two tabs of one site, both started from the same stored state.
    let mut a = tracker();
    a.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    a.page_view(page("/"), None, None, 1_000);
    let before = a.take_state_write().unwrap();
    let mut b = tracker();
    b.set_audience(Audience::boxed(&config(0)).unwrap(), Some(&before), 1_500);
    b.page_view(page("/"), None, None, 1_600);
    b.take_state_write();

    // Tab A shows the once-only prompt and stores its state.
    a.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(matches!(&a.take_decisions()[..], [Decision::Show { campaign }] if campaign == "exit"));
    let shown = a.take_state_write().unwrap();

    // Tab B hears of the write, then writes its own state (a segment change).
    b.adopt_stored_state(&shown, 2_500);
    b.track("Order Completed", None, 3_000);
    let written = b.take_state_write().unwrap();
    let exit = json::parse(&written).unwrap();
    let shows = exit
        .get("campaigns")
        .and_then(|c| c.get("c"))
        .and_then(|c| c.get("exit"))
        .and_then(|h| h.get("s"))
        .and_then(Value::as_array)
        .map(<[Value]>::len);
    assert_eq!(shows, Some(1), "tab A's show is kept: {written}");
    // Tab A, hearing of B's write, has nothing B lacks: no write answers it.
    a.adopt_stored_state(&written, 3_500);
    assert_eq!(a.take_state_write(), None);
    b.take_decisions();
    b.campaign_signal(&Signal::ExitIntent, 4_000);
    let d = b.take_decisions();
    assert!(
        matches!(&d[..], [Decision::Skipped { campaign, .. }] if campaign == "exit"),
        "once means once, across tabs too: {d:?}"
    );
}

/// Two prompts on their own triggers, each shown every time, and a cooldown that a dismissal would start.
fn two_prompts() -> Value {
    json::parse(
        r#"{"campaigns": [
              {"id": "exit", "trigger": {"exitIntent": true}, "action": {"type": "custom", "payload": {}},
               "timing": {"frequency": "always", "cooldown": "1d"}},
              {"id": "promo", "trigger": {"event": "Promo"}, "action": {"type": "custom", "payload": {}},
               "timing": {"frequency": "always"}}]}"#,
    )
    .unwrap()
}

fn shown(d: &[Decision], id: &str) -> bool {
    matches!(d, [Decision::Show { campaign }] if campaign == id)
}

#[test]
fn a_prompt_open_when_the_page_is_left_does_not_block_the_next_page_but_stays_open_across_a_new_config(
) {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&two_prompts()).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    t.campaign_signal(&Signal::ExitIntent, 2_000);
    assert!(shown(&t.take_decisions(), "exit"));

    // A changed config in the same page: the prompt is still on screen, so nothing else shows.
    t.replace_audience(Audience::boxed(&two_prompts()).unwrap(), 3_000);
    t.track("Promo", None, 4_000);
    let d = t.take_decisions();
    assert!(
        matches!(&d[..], [Decision::Skipped { campaign, reasons }]
            if campaign == "promo" && reasons.iter().any(|r| r.code() == "prompt-open")),
        "{d:?}"
    );

    // The next page of the same session (a new session would close every prompt anyway): the prompt left with
    // the page it was on. Not dismissed, so no cooldown either.
    let state = t.take_state_write().unwrap();
    let profile = t.take_profile_write().unwrap();
    let mut again = Tracker::new(
        TrackerOptions::new("wk"),
        Some(&profile),
        Environment::default(),
        page("/next"),
        [9; 32],
    );
    again.set_audience(
        Audience::boxed(&two_prompts()).unwrap(),
        Some(&state),
        5_000,
    );
    again.page_view(page("/next"), None, None, 5_000);
    assert_eq!(again.take_decisions(), []);
    assert_eq!(again.next_wakeup(), None, "no open prompt to expire");
    again.track("Promo", None, 6_000);
    let d = again.take_decisions();
    assert!(shown(&d, "promo"), "{d:?}");
    again.campaign_outcome("promo", Outcome::Completed, Map::new(), 7_000);
    again.campaign_signal(&Signal::ExitIntent, 8_000);
    let d = again.take_decisions();
    assert!(shown(&d, "exit"), "{d:?}");
}

#[test]
fn a_delay_waiting_at_a_reload_still_ends_in_the_same_session() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    // Written while the page is open, the state holds no waiting delay: a tab opened beside it starts none.
    let state = t.take_state_write().unwrap();
    let mut beside = tracker();
    beside.set_audience(Audience::boxed(&config(0)).unwrap(), Some(&state), 1_500);
    assert_eq!(beside.next_wakeup(), None);
    // The page is left (`pagehide`): the state written then hands the delay to the next page of the tab.
    t.page_leaving(true);
    let state = t.take_state_write().unwrap();
    let mut again = tracker();
    again.set_audience(Audience::boxed(&config(0)).unwrap(), Some(&state), 2_000);
    assert_eq!(again.next_wakeup(), Some(6_000));
    // Its next write takes the delay out of storage: a tab opened after that starts none either.
    let state = again.take_state_write().unwrap();
    assert!(state.contains("\"pending\":[]"), "{state}");
    again.advance(6_000);
    assert!(matches!(
        &again.take_decisions()[..],
        [Decision::Show { .. }]
    ));
}

/// A campaign whose delay (45 minutes) outlasts the session timeout (30 minutes).
const LONG_DELAY: &str = r#"{"campaigns": [{"id": "later", "trigger": {"event": "Cart Viewed"},
    "action": {"type": "custom", "payload": {}}, "timing": {"delay": "45m"}}]}"#;

/// A delay that would end after the visitor's session has ended (no event for the session timeout) is cancelled,
/// as the next session would cancel it: the prompt does not show to a visitor who has gone, and is not left on
/// screen for a session that no longer counts it as open.
#[test]
fn a_delay_ending_after_the_session_has_timed_out_is_cancelled_not_shown() {
    let long_delay = json::parse(LONG_DELAY).unwrap();
    let mut t = tracker();
    t.set_audience(Audience::boxed(&long_delay).unwrap(), None, 0);
    t.track("Cart Viewed", None, 1_000);
    let due = 1_000 + 45 * MINUTE;
    assert_eq!(t.next_wakeup(), Some(due));
    t.take_decisions();
    // No event since: the session ended 30 minutes after the last one, before the delay.
    t.advance(due);
    assert!(
        matches!(&t.take_decisions()[..], [Decision::Cancelled { by, .. }] if by == "session"),
        "cancelled by the session's end"
    );
    assert_eq!(t.next_wakeup(), None);

    // With an event within the session timeout, the session is alive when the delay ends: it shows.
    let mut t = tracker();
    t.set_audience(Audience::boxed(&long_delay).unwrap(), None, 0);
    t.track("Cart Viewed", None, 1_000);
    t.track("Scrolled", None, 1_000 + 20 * MINUTE);
    t.take_decisions();
    t.advance(due);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { .. }]));
}

/// A campaign ready while the page is hidden (the visitor is in another tab) shows when the page is visible
/// again, and only then is it recorded as shown; one whose delay ends while hidden waits too. A config installed
/// while hidden holds them as well.
#[test]
fn a_campaign_ready_while_the_page_is_hidden_shows_when_it_is_visible() {
    let mut t = tracker();
    t.page_hidden(0);
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    t.take_decisions();
    // The delay (5 s) ends while hidden: nothing shows, and no timer is wanted for it.
    assert_eq!(t.next_wakeup(), None);
    t.advance(7_000);
    // A campaign with no delay, ready while hidden, waits as well.
    t.campaign_signal(&Signal::ExitIntent, 8_000);
    assert!(!t
        .take_decisions()
        .iter()
        .any(|d| matches!(d, Decision::Show { .. })));
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
    t.page_shown(9_000);
    assert!(matches!(
        &t.take_decisions()[..],
        [Decision::Show { campaign }, Decision::Skipped { .. }] if campaign == "nps"
    ));
    t.prompt_built("nps", true, 9_010);
    assert_eq!(
        names(&t).iter().filter(|n| *n == "Campaign Shown").count(),
        1
    );
}

/// A delay that ended while the page was hidden, visible again only after the session has ended by inactivity:
/// it is cancelled by the session, not shown to a visitor coming back hours later.
#[test]
fn a_delay_held_while_hidden_past_the_sessions_end_is_cancelled_when_the_page_is_visible() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config(0)).unwrap(), None, 0);
    t.track("Order Completed", None, 1_000);
    t.page_hidden(2_000);
    t.take_decisions();
    t.page_shown(1_000 + 2 * 60 * MINUTE);
    assert!(
        matches!(&t.take_decisions()[..], [Decision::Cancelled { by, .. }] if by == "session"),
        "cancelled by the session's end"
    );
    assert!(!names(&t).iter().any(|n| n == "Campaign Shown"));
}

/// A delay the visitor's own activity starts after the session has timed out (a long read: scrolling, with no
/// event for more than the session timeout) is not one of the ended session's: it shows when it ends, as the same
/// campaign without a delay shows at once.
#[test]
fn a_delay_the_visitor_starts_after_the_session_timed_out_shows_when_it_ends() {
    let scroll = json::parse(
        r#"{"campaigns": [{"id": "deep", "trigger": {"scroll": 75},
              "action": {"type": "custom", "payload": {}}, "timing": {"delay": "5s"}}]}"#,
    )
    .unwrap();
    let mut t = tracker();
    t.set_audience(Audience::boxed(&scroll).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 1_000);
    let at = 1_000 + 31 * MINUTE;
    t.campaign_signal(&Signal::Scroll { percent: 80.0 }, at);
    assert!(matches!(
        &t.take_decisions()[..],
        [Decision::Delayed { .. }]
    ));
    t.advance(at + 5 * SECOND);
    let d = t.take_decisions();
    assert!(
        matches!(&d[..], [Decision::Show { campaign }] if campaign == "deep"),
        "shown, not cancelled by the session that ended before it started: {d:?}"
    );
}

#[test]
fn the_device_comes_from_the_user_agent() {
    use crate::core::audience::device_of;
    use crate::core::campaigns::Device;
    let iphone =
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
    let tablet =
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 Chrome/120 Safari/537.36";
    let desktop =
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/156 Safari/537.36";
    // iPadOS's Safari asks for desktop pages as a Mac does: only the touch screen tells an iPad.
    let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15";
    let device = |ua: &str, touch_points| {
        device_of(&Environment {
            user_agent: ua.into(),
            touch_points,
            ..Environment::default()
        })
    };
    assert_eq!(device(iphone, 5), Device::Mobile);
    assert_eq!(device(tablet, 5), Device::Tablet);
    assert_eq!(device(desktop, 0), Device::Desktop);
    assert_eq!(device(mac, 5), Device::Tablet, "an iPad");
    assert_eq!(device(mac, 0), Device::Desktop, "a Mac");
    assert_eq!(
        device(desktop, 10),
        Device::Desktop,
        "a touch-screen laptop"
    );
}

fn engagement_config() -> Value {
    json::parse(
        r#"{"segments": {"engaged": "engaged_time() >= 20s"},
            "campaigns": [
              {"id": "idle", "trigger": {"idle": "30s"}, "timing": {"frequency": "always"},
               "action": {"type": "reward", "reward": "badge", "badge": "Still there?"}},
              {"id": "reader", "trigger": {"engagedTime": "15s"},
               "action": {"type": "reward", "reward": "badge", "badge": "Reader"}}
            ]}"#,
    )
    .unwrap()
}

#[test]
fn idleness_wakes_the_sdk_once_per_threshold_and_activity_resets_it() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&engagement_config()).unwrap(), None, 0);
    t.page_view(page("/"), None, None, 0);
    assert_eq!(
        t.next_wakeup(),
        None,
        "no interaction yet: nobody to be idle"
    );
    t.activity(1_000);
    assert_eq!(t.next_wakeup(), Some(31_000));
    t.advance(31_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "idle"));
    t.campaign_outcome("idle", Outcome::Dismissed, Map::new(), 32_000);
    assert_eq!(t.next_wakeup(), None, "crossed: no further threshold");
    t.activity(40_000);
    assert_eq!(
        t.next_wakeup(),
        Some(70_000),
        "active again: the threshold can be crossed again"
    );
}

/// The clock set back a day while the visitor is idle: no time passed at the jump, and idleness runs on from the new
/// reading (its threshold is crossed 30 s of the new clock later, not a day later, once the clock has caught up).
#[test]
fn idleness_runs_on_the_new_clock_after_it_is_set_back() {
    let day = 24 * 60 * MINUTE;
    let mut t = tracker();
    t.set_audience(
        Audience::boxed(&engagement_config()).unwrap(),
        None,
        10 * day,
    );
    t.page_view(page("/"), None, None, 10 * day);
    t.activity(10 * day + SECOND);
    let back = 9 * day;
    t.advance(back);
    assert!(t.take_decisions().is_empty(), "no time passed at the jump");
    assert_eq!(t.next_wakeup(), Some(back + 30 * SECOND));
    t.advance(back + 30 * SECOND);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "idle"));
}

#[test]
fn engaged_time_triggers_campaigns_feeds_rules_and_is_recorded_per_page() {
    let mut t = tracker();
    t.set_audience(Audience::boxed(&engagement_config()).unwrap(), None, 0);
    t.page_view(page("/a"), None, None, 0);
    t.activity(0);
    t.activity(10 * SECOND);
    assert!(t.take_decisions().is_empty());
    t.scrolled(55.4, 16 * SECOND);
    assert!(
        matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "reader")
    );
    assert_eq!(
        t.profile().sessions.current.as_ref().unwrap().engaged_ms,
        16 * SECOND
    );
    t.page_view(page("/b"), None, None, 20 * SECOND);
    let (name, props) = sent(&t)
        .into_iter()
        .find(|(n, _)| n == crate::core::tracker::PAGE_ENGAGEMENT)
        .unwrap();
    assert_eq!(name, "Page Engagement");
    assert_eq!(props.get("path").and_then(Value::as_str), Some("/a"));
    assert_eq!(
        props.get("engagedMs").and_then(Value::as_f64),
        Some(20_000.0)
    );
    assert_eq!(
        props.get("scrollDepth").and_then(Value::as_f64),
        Some(55.0),
        "whole percent, rounded down"
    );
    assert!(
        t.segments().contains(&"engaged"),
        "rules read engaged_time()"
    );
    t.page_hidden(25 * SECOND);
    t.page_left(26 * SECOND);
    let engagements = sent(&t)
        .iter()
        .filter(|(n, _)| n == "Page Engagement")
        .count();
    assert_eq!(
        engagements, 2,
        "the second page: the rest of the window until hidden"
    );
}

/// A campaign triggered as the config is installed (the facts it installs with put the visitor in a segment),
/// before the campaigns have been told the session: it triggers when the first event tells them, so its delay
/// belongs to that session and is not cancelled as an old session's.
#[test]
fn a_delay_triggered_as_the_config_installs_survives_the_first_session_start() {
    let config = json::parse(
        r#"{"segments": {"pro": "traits.plan == \"pro\""},
            "campaigns": [
              {"id": "welcome", "trigger": {"segmentEnter": "pro"},
               "action": {"type": "custom", "payload": {"x": 1}}, "timing": {"delay": "5s"}}
            ]}"#,
    )
    .unwrap();
    let mut t = tracker();
    t.identify(None, Some("{\"plan\":\"pro\"}"), 0);
    t.set_audience(Audience::boxed(&config).unwrap(), None, 1_000);
    assert_eq!(t.take_decisions(), []);
    t.track("Product Viewed", None, 2_000);
    assert!(matches!(&t.take_decisions()[..], [Decision::Delayed { due, .. }] if *due == 7_000));
    t.advance(7_000);
    assert!(
        matches!(&t.take_decisions()[..], [Decision::Show { campaign }] if campaign == "welcome")
    );
}

/// A segment that needs events from two tabs open at once.
fn browsing() -> Value {
    json::parse(r#"{"segments": {"browsing": "count(\"Product Viewed\", within: 7d) >= 3"}}"#)
        .unwrap()
}

/// Two tabs of one visitor, with a config each (the same one, or a tab loaded before a config changed).
fn two_tabs(a: &Value, b: &Value) -> (Tracker, Tracker) {
    let tab = |config| {
        let mut t = tracker();
        t.set_audience(Audience::boxed(config).unwrap(), None, 0);
        t
    };
    (tab(a), tab(b))
}

fn entered(t: &Tracker) -> usize {
    names(t).iter().filter(|n| *n == "Segment Entered").count()
}

#[test]
fn a_count_reached_by_two_tabs_together_enters_once_and_is_not_announced_again() {
    let (mut a, mut b) = two_tabs(&browsing(), &browsing());
    a.track("Product Viewed", None, 1_000);
    a.track("Product Viewed", None, 2_000);
    b.track("Product Viewed", None, 2_500);
    let from_a = a.take_state_write().unwrap();
    assert!(b.segments().is_empty());

    // Tab B takes in A's two views: with its own, three.
    b.adopt_stored_state(&from_a, 3_000);
    assert_eq!(b.segments(), ["browsing"]);
    assert!(
        matches!(&b.take_changes()[..], [Change::SegmentEnter { segment, at: 3_000 }] if segment == "browsing")
    );
    assert_eq!(entered(&b), 1);
    // B holds its own view, which A's state lacks: it writes back.
    let from_b = b.take_state_write().expect("B writes back its own view");

    // Tab A takes that in: in the segment too, with nothing to announce and nothing to write back. Its page's
    // listeners hear of the entry (no event is sent and no campaign told: B did both).
    a.adopt_stored_state(&from_b, 3_500);
    assert_eq!(a.segments(), ["browsing"]);
    assert!(
        matches!(&a.take_changes()[..], [Change::SegmentEnter { segment, at: 3_500 }] if segment == "browsing")
    );
    assert_eq!(entered(&a), 0);
    assert_eq!(a.take_state_write(), None);
    // And both leave the segment when A's first view leaves the window.
    assert_eq!(a.next_wakeup(), b.next_wakeup());
}

fn exited(t: &Tracker) -> usize {
    names(t).iter().filter(|n| *n == "Segment Exited").count()
}

/// A window ends in both tabs at the same instant. The tab in the background re-checks it later; meanwhile it
/// takes in what the visible tab stored when it reported the exit, so the visitor leaves the segment once, with
/// one `Segment Exited` between the two tabs.
#[test]
fn a_window_ending_in_two_tabs_is_reported_by_the_tab_that_does_not_wait() {
    let (mut a, mut b) = two_tabs(&browsing(), &browsing());
    for at in [1_000, 2_000, 3_000] {
        a.track("Product Viewed", None, at);
    }
    b.adopt_stored_state(&a.take_state_write().unwrap(), 3_500);
    assert_eq!(
        (a.segments(), b.segments()),
        (vec!["browsing"], vec!["browsing"])
    );
    b.set_time_change_delay(5_000);
    let ends = a.next_wakeup().unwrap();
    assert_eq!(b.next_wakeup(), Some(ends + 5_000));

    // The instant passes; the waiting tab's timer is not due, and were it run early it would still wait.
    a.advance(ends);
    b.advance(ends + 100);
    assert_eq!((exited(&a), exited(&b)), (1, 0));
    assert_eq!(b.segments(), ["browsing"]);
    // The visible tab's write arrives: the background tab leaves without an event of its own, and its page hears
    // of it, at the instant it happened.
    b.take_changes();
    b.adopt_stored_state(&a.take_state_write().unwrap(), ends + 300);
    assert!(b.segments().is_empty());
    assert!(matches!(&b.take_changes()[..], [Change::SegmentExit { at, .. }] if *at == ends));
    b.advance(ends + 5_000);
    assert_eq!(exited(&b), 0);
    assert_eq!(b.next_wakeup(), None);

    // Without the other tab's write, the waiting tab reports the exit itself when its delay ends, at the instant
    // the window ended; an event of its own re-checks at once.
    let (mut a, mut c) = two_tabs(&browsing(), &browsing());
    for at in [1_000, 2_000, 3_000] {
        a.track("Product Viewed", None, at);
    }
    let stored = a.take_state_write().unwrap();
    c.adopt_stored_state(&stored, 3_500);
    c.set_time_change_delay(5_000);
    c.take_changes();
    c.advance(ends + 5_000);
    assert!(matches!(&c.take_changes()[..], [Change::SegmentExit { at, .. }] if *at == ends));
    let (_, mut d) = two_tabs(&browsing(), &browsing());
    d.adopt_stored_state(&stored, 3_500);
    d.set_time_change_delay(5_000);
    d.track("Cart Viewed", None, ends + 10);
    assert_eq!(exited(&d), 1);
}

#[test]
fn a_view_not_yet_written_survives_a_new_config_and_still_adds_to_the_other_tabs() {
    let (mut a, mut b) = two_tabs(&browsing(), &browsing());
    a.track("Product Viewed", None, 1_000);
    a.track("Product Viewed", None, 2_000);
    b.track("Product Viewed", None, 2_500);
    // B's config is refreshed before B writes its view.
    b.replace_audience(Audience::boxed(&browsing()).unwrap(), 2_600);
    let from_a = a.take_state_write().unwrap();
    b.adopt_stored_state(&from_a, 3_000);
    assert_eq!(b.segments(), ["browsing"]);
}

/// A segment on traits, and a campaign it triggers.
fn pro() -> Value {
    json::parse(
        r#"{"segments": {"pro": "traits.plan == \"pro\""},
            "campaigns": [{"id": "welcome-pro", "trigger": {"segmentEnter": "pro"}, "timing": {"frequency": "once"},
                           "action": {"type": "custom", "payload": {"x": 1}}}]}"#,
    )
    .unwrap()
}

#[test]
fn traits_another_tab_identified_with_enter_its_segment_here_without_a_second_announcement() {
    let (mut a, mut b) = two_tabs(&pro(), &pro());
    a.identify(None, Some(r#"{"plan":"pro"}"#), 1_000);
    assert_eq!(entered(&a), 1);
    assert!(
        matches!(&a.take_decisions()[..], [Decision::Show { campaign }] if campaign == "welcome-pro")
    );
    let profile = a.take_profile_write().unwrap();
    let state = a.take_state_write().unwrap();

    // B takes the traits in with A's state, written in the same task: in the segment, announced by A only, and
    // the campaign A showed is not shown again.
    b.absorb_stored_profile(&profile, Some(&state), 1_500);
    assert_eq!(b.segments(), ["pro"]);
    assert_eq!(entered(&b), 0);
    assert!(b.take_decisions().is_empty());
    // The storage event for the state itself, which follows, changes nothing.
    b.adopt_stored_state(&state, 1_600);
    assert_eq!(entered(&b), 0);
    assert!(b.take_decisions().is_empty());

    // A tab whose other tab stored no segment state (its page has no config) announces the entry itself.
    let mut c = tracker();
    c.set_audience(Audience::boxed(&pro()).unwrap(), None, 0);
    c.absorb_stored_profile(&profile, None, 1_500);
    assert_eq!(c.segments(), ["pro"]);
    assert_eq!(entered(&c), 1);
}

#[test]
fn another_tabs_reset_starts_this_tab_afresh_without_repeating_that_tabs_announcements() {
    let fresh_entry = r#"{"segments": {"new": "count(\"Order Completed\") == 0"}}"#;
    let config = json::parse(fresh_entry).unwrap();
    let (mut a, mut b) = two_tabs(&config, &config);
    a.track("Order Completed", None, 500);
    b.adopt_stored_state(&a.take_state_write().unwrap(), 600);
    assert!(b.segments().is_empty());
    let entered_before = entered(&a);
    a.reset(1_000);
    assert_eq!(
        entered(&a),
        entered_before + 1,
        "the new visitor enters `new`"
    );
    let profile = a.take_profile_write().unwrap();
    let state = a.take_state_write().unwrap();
    let before = entered(&b);
    assert!(b.absorb_stored_profile(&profile, Some(&state), 1_500));
    assert_eq!(b.profile().anonymous_id, a.profile().anonymous_id);
    assert_eq!(b.segments(), ["new"]);
    assert_eq!(entered(&b), before);
}

/// Two tabs write their states in turn, each taking in the other's write: how many writes until neither has
/// anything left to write (at most `bound`, else the test fails).
fn exchange(a: &mut Tracker, b: &mut Tracker, bound: usize) {
    let mut now = 2_000;
    let mut pending = a.take_state_write();
    let mut writes = 0;
    let mut to_b = true;
    while let Some(state) = pending {
        writes += 1;
        assert!(
            writes <= bound,
            "still exchanging writes after {writes}: {state}"
        );
        now += 1_000;
        let reader = if to_b { &mut *b } else { &mut *a };
        reader.adopt_stored_state(&state, now);
        pending = reader.take_state_write();
        to_b = !to_b;
    }
}

/// Two tabs running different configs (one loaded before a deploy, one after), each with a segment the other
/// lacks: what each writes is taken in by the other and answered at most once more, not for as long as both
/// stay open.
#[test]
fn two_tabs_with_different_segments_settle_instead_of_answering_each_other_forever() {
    let config = |name: &str, event: &str| {
        json::parse(&format!(
            r#"{{"segments": {{"{name}": "count(\"{event}\") >= 1"}}}}"#
        ))
        .unwrap()
    };
    let (mut a, mut b) = two_tabs(&config("old", "X"), &config("new", "Y"));
    a.track("X", None, 1_000);
    b.track("Y", None, 1_200);
    exchange(&mut a, &mut b, 3);
    assert_eq!(a.segments(), ["old"]);
    assert_eq!(b.segments(), ["new"]);
}

/// The same with a campaign each tab's config lacks, shown in the other.
#[test]
fn two_tabs_with_different_campaigns_settle_instead_of_answering_each_other_forever() {
    let config = |id: &str, event: &str| {
        json::parse(&format!(
            r#"{{"campaigns": [{{"id": "{id}", "trigger": {{"event": "{event}"}},
                "action": {{"type": "custom", "payload": {{}}}}, "timing": {{"frequency": "always"}}}}]}}"#
        ))
        .unwrap()
    };
    let (mut a, mut b) = two_tabs(&config("old", "X"), &config("new", "Y"));
    a.track("X", None, 1_000);
    b.track("Y", None, 1_200);
    assert_eq!(a.take_decisions().len(), 1);
    assert_eq!(b.take_decisions().len(), 1);
    exchange(&mut a, &mut b, 3);
    // B's write keeps A's show of the campaign B does not know, for A's config to read on the next page.
    b.track("Y", None, 9_000);
    b.take_decisions();
    let written = b.take_state_write().unwrap();
    assert!(written.contains(r#""old":{"s":[1000]"#), "{written}");
}

/// A session started in another tab ends this tab's session, with the delays waiting in it, as a new session
/// started here does.
#[test]
fn a_session_started_in_another_tab_cancels_the_delays_waiting_here() {
    let config = json::parse(
        r#"{"campaigns": [{"id": "later", "trigger": {"event": "Promo"}, "action": {"type": "custom", "payload": {}},
                           "timing": {"delay": "1h", "frequency": "always"}}]}"#,
    )
    .unwrap();
    const MIN: i64 = 60 * SECOND;
    let mut a = tracker();
    a.set_audience(Audience::boxed(&config).unwrap(), None, 0);
    a.track("Start", None, 1_000);
    let profile = a.take_profile_write().unwrap();
    let mut b = Tracker::new(
        TrackerOptions::new("wk"),
        Some(&profile),
        Environment::default(),
        page("/"),
        [7; 32],
    );
    b.set_audience(
        Audience::boxed(&config).unwrap(),
        a.take_state_write().as_deref(),
        1_500,
    );
    b.track("Promo", None, 2_000);
    assert!(matches!(
        &b.take_decisions()[..],
        [Decision::Delayed { .. }]
    ));
    // Tab A, idle for 31 minutes, starts a new session, and writes its state, then its profile.
    a.track("Back", None, 31 * MIN + 2_000);
    let state = a.take_state_write();
    let profile = a.take_profile_write().unwrap();
    assert!(!b.absorb_stored_profile(&profile, state.as_deref(), 31 * MIN + 2_100));
    b.track("Here", None, 31 * MIN + 3_000);
    b.advance(61 * MIN + 2_000);
    let d = b.take_decisions();
    assert!(
        !d.iter().any(|d| matches!(d, Decision::Show { .. })),
        "a delay of the session that ended shows in the next one: {d:?}"
    );
}

#[test]
fn without_a_readable_profile_the_state_beside_it_is_still_taken_in() {
    let (mut a, mut b) = two_tabs(&browsing(), &browsing());
    a.track("Product Viewed", None, 1_000);
    a.track("Product Viewed", None, 2_000);
    a.track("Product Viewed", None, 2_500);
    let state = a.take_state_write().unwrap();
    assert!(!b.absorb_stored_profile("", Some(&state), 3_000));
    assert_eq!(b.segments(), ["browsing"]);
}

/// Time that passed without the timer firing (a throttled background tab, a busy page) is caught up before the
/// page's next input is decided on: a visitor whose segment window ended before an exit intent is out of the
/// segment when the exit-intent campaign checks its audience (an event's own rules were already brought up to date
/// by the event), and the exit is recorded before the input's own messages, as the timer would have.
#[test]
fn a_window_that_ended_before_a_page_signal_or_an_event_is_caught_up_first() {
    let config = json::parse(
        r#"{"segments": {"recent": "count(\"Viewed Pricing\", within: 1h) >= 1"},
            "campaigns": [
              {"id": "leaving", "trigger": {"exitIntent": true}, "audience": {"rule": "in_segment(\"recent\")"},
               "action": {"type": "custom", "payload": {"x": 1}}},
              {"id": "offer", "trigger": {"event": "Clicked Buy"}, "audience": {"rule": "in_segment(\"recent\")"},
               "action": {"type": "custom", "payload": {"x": 1}}}
            ]}"#,
    )
    .unwrap();
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config).unwrap(), None, 0);
    t.track("Viewed Pricing", None, 1_000);
    assert_eq!(t.segments(), vec!["recent"]);
    assert!(t.next_wakeup().is_some_and(|w| w <= 1_000 + 61 * MINUTE));
    t.take_decisions();
    // Two hours on, the timer has not fired: an exit intent comes first.
    t.campaign_signal(&Signal::ExitIntent, 1_000 + 120 * MINUTE);
    let decided = t.take_decisions();
    assert!(
        matches!(&decided[..], [Decision::Skipped { campaign, .. }] if campaign == "leaving"),
        "{decided:?}"
    );
    assert!(t.segments().is_empty());
    // Back in the segment, and out of it again when a click comes: its exit is recorded before the click.
    t.track("Viewed Pricing", None, 1_000 + 121 * MINUTE);
    t.take_decisions();
    t.track("Clicked Buy", None, 1_000 + 200 * MINUTE);
    let decided = t.take_decisions();
    assert!(
        matches!(&decided[..], [Decision::Skipped { campaign, .. }] if campaign == "offer"),
        "{decided:?}"
    );
    let sent = names(&t);
    let exit = sent.iter().rposition(|n| n == "Segment Exited");
    let click = sent.iter().position(|n| n == "Clicked Buy");
    assert!(exit.is_some() && exit < click, "{sent:?}");
}

/// A delay that would end after the session has timed out, when the timer fires late and a call or a page signal
/// comes first (after the delay's end): catching up ends the session first, as the timer would, so the delay is
/// cancelled by it rather than shown to the visitor coming back.
#[test]
fn a_delay_past_the_sessions_end_caught_up_by_a_call_or_a_signal_is_cancelled_not_shown() {
    let long_delay = json::parse(LONG_DELAY).unwrap();
    let late = 1_000 + 50 * MINUTE;
    let calls: [&dyn Fn(&mut Tracker); 4] = [
        &|t| {
            t.track("Came Back", None, late);
        },
        &|t| {
            t.page_view(page("/back"), None, None, late);
        },
        &|t| {
            t.identify(Some("user-1"), None, late);
        },
        &|t| t.campaign_signal(&Signal::ExitIntent, late),
    ];
    for (n, call) in calls.iter().enumerate() {
        let mut t = tracker();
        t.set_audience(Audience::boxed(&long_delay).unwrap(), None, 0);
        t.track("Cart Viewed", None, 1_000);
        t.take_decisions();
        call(&mut t);
        let d = t.take_decisions();
        assert!(
            !d.iter().any(|d| matches!(d, Decision::Show { .. })),
            "call {n}: {d:?}"
        );
        assert!(
            d.iter()
                .any(|d| matches!(d, Decision::Cancelled { by, .. } if by == "session")),
            "call {n}: {d:?}"
        );
        assert!(!names(&t).iter().any(|n| n == "Campaign Shown"), "call {n}");
    }
}

/// A clock a year ahead, set right in the middle of a visit, then an hour of inactivity: the page views around the
/// jump are one session, the jump itself counts as no time passed (the segment stays, nothing is announced), and
/// time then runs on the new clock: the segment is left and a new session starts an hour later, not a year
/// later. Every message is kept, once, with the times the clock gave (the collector corrects them by `sentAt`).
#[test]
fn a_visit_across_a_clock_set_right_after_running_a_year_ahead() {
    let config = json::parse(
        r#"{"segments": {"recent": "count(\"Viewed Pricing\", within: 1h) >= 1"},
            "campaigns": [{"id": "nps", "trigger": {"exitIntent": true}, "audience": {"rule": "in_segment(\"recent\")"},
                           "action": {"type": "custom"}, "timing": {"frequency": "always", "cooldown": "1d"}}]}"#,
    )
    .unwrap();
    let year = 365 * 24 * 60 * MINUTE;
    let t0 = 1_700_000_000_000;
    let mut t = tracker();
    t.set_audience(Audience::boxed(&config).unwrap(), None, t0 + year);
    t.page_view(page("/pricing"), None, None, t0 + year);
    t.track("Viewed Pricing", None, t0 + year + SECOND);
    t.campaign_signal(&Signal::ExitIntent, t0 + year + 2 * SECOND);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { .. }]));
    t.campaign_outcome(
        "nps",
        Outcome::Dismissed,
        Map::new(),
        t0 + year + 3 * SECOND,
    );
    // The clock is set right.
    t.page_view(page("/pricing/teams"), None, None, t0);
    assert_eq!(t.segments(), vec!["recent"]);
    assert_eq!(t.profile().sessions.count, 1);
    let w = t.next_wakeup().unwrap();
    assert!(w > t0 && w <= t0 + 61 * MINUTE, "wake-up {w}");
    t.advance(w);
    assert!(t.segments().is_empty(), "left an hour after the jump");
    t.page_view(page("/"), None, None, t0 + 62 * MINUTE);
    assert_eq!(t.profile().sessions.count, 2);
    // The cooldown of a day lasts a day from the jump, not a year.
    t.track("Viewed Pricing", None, t0 + 24 * 60 * MINUTE);
    t.take_decisions();
    t.campaign_signal(&Signal::ExitIntent, t0 + 24 * 60 * MINUTE + SECOND);
    assert!(matches!(&t.take_decisions()[..], [Decision::Show { .. }]));
    let names = names(&t);
    assert_eq!(
        names.iter().filter(|n| *n == "Segment Entered").count(),
        2,
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| *n == "Segment Exited").count(),
        1,
        "{names:?}"
    );
    let ids: Vec<String> = t
        .queue()
        .items()
        .map(|i| {
            let m = json::parse(&t.queue().message_json(i)).unwrap();
            m.get("messageId")
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        })
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());
}
