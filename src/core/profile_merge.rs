//! Tabs open at the same time share one stored profile. Each keeps its own copy in memory and writes it whole,
//! so without a merge the last writer wins: an `identify` in one tab was undone by another tab's next write.
//! When another tab writes, this tab absorbs what it wrote:
//!
//! - **Identity** (anonymous id and user id): the later identity wins (`identity_at`; `identify` naming another
//!   user and `reset` set it), with its traits, sessions and attribution, which belong to that visitor. Equal
//!   times are settled by comparing the ids, so both tabs pick the same one.
//! - **Traits** of the same identity: the union; where both hold a key, the later traits (`traits_at`) win.
//! - **Session**: the later-started session wins (a new session in either tab, after inactivity or through a
//!   new campaign, ends the other's); of the same session, the latest activity and the most engaged time. The
//!   session count is the larger.
//! - **Attribution**: the earlier first touch and the later last touch.
//!
//! The merge is idempotent and gives both tabs the same answer, so each write is answered by at most one write
//! back (by the tab that held something the writer lacked), and the tabs settle.

use super::attribution::Touch;
use super::json::{self, Map, Value};
use super::profile::{Profile, MAX_PROFILE_BYTES};
use super::session::Sessions;

/// What absorbing another tab's profile changed in this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Absorbed {
    /// Another visitor: the other tab reset (or identified someone else) after this one.
    pub visitor: bool,
    /// The user id or the traits changed.
    pub traits: bool,
    /// The session or the attribution changed (they are part of every message's context).
    pub context: bool,
    /// This tab holds something the other's write lacks, so it should write the merged profile.
    pub ours_newer: bool,
}

impl Profile {
    /// Merges the profile another tab stored into this one (see the module's comment). Taken by value: its
    /// traits and touches move here rather than being copied.
    pub fn absorb(&mut self, other: Profile) -> Absorbed {
        let mut out = Absorbed::default();
        if self.anonymous_id != other.anonymous_id || self.user_id != other.user_id {
            let ours = (self.identity_at, &self.anonymous_id, &self.user_id);
            if ours > (other.identity_at, &other.anonymous_id, &other.user_id) {
                out.ours_newer = true;
                return out;
            }
            out.visitor = self.anonymous_id != other.anonymous_id;
            out.traits = true;
            out.context = true;
            *self = other;
            return out;
        }
        let mut newer = later(&mut self.identity_at, other.identity_at);
        newer |= self.absorb_traits(other.traits, other.traits_at, &mut out);
        newer |= self.absorb_session(other.sessions, &mut out);
        let a = &mut self.attribution;
        newer |= pick(&mut a.first, other.attribution.first, &mut out, true);
        newer |= pick(&mut a.last, other.attribution.last, &mut out, false);
        out.ours_newer = newer;
        out
    }

    /// The union of both tabs' traits, the later ones winning a shared key; whether ours hold something theirs
    /// lack. A union over the stored bound keeps the later traits alone.
    fn absorb_traits(&mut self, theirs: Map, theirs_at: i64, out: &mut Absorbed) -> bool {
        let theirs_later = theirs_at > self.traits_at;
        let tie = theirs_at == self.traits_at;
        let mut newer = later(&mut self.traits_at, theirs_at);
        let mut merged = self.traits.clone();
        for (k, v) in theirs.iter() {
            let t = text(v);
            match merged.get(k).map(text) {
                Some(ours) if ours == t => continue,
                // Traits of the same time (a tie between tabs) are settled by their text, the same in both.
                Some(ours) if !(theirs_later || tie && t > ours) => {
                    newer = true;
                    continue;
                }
                _ => merged.insert(k, v.clone()),
            }
            out.traits = true;
        }
        // A key of ours they lack.
        newer |= merged.len() > theirs.len();
        let mut size = String::new();
        json::write_map(&merged, &mut size);
        if size.len() > MAX_PROFILE_BYTES / 2 {
            // Traits of the same time are settled by their text here too, so that both tabs keep the same ones.
            let theirs_win = theirs_later || tie && map_text(&theirs) > map_text(&self.traits);
            if theirs_win {
                self.traits = theirs;
                out.traits = true;
            }
            return !theirs_win;
        }
        self.traits = merged;
        newer
    }

    /// The later-started session, or the latest of the same one; whether ours is ahead of theirs.
    fn absorb_session(&mut self, theirs: Sessions, out: &mut Absorbed) -> bool {
        let mut newer = self.sessions.count > theirs.count;
        self.sessions.count = self.sessions.count.max(theirs.count);
        match (&mut self.sessions.current, theirs.current) {
            (Some(ours), Some(t)) if ours.id == t.id => {
                newer |= later(&mut ours.last_activity, t.last_activity);
                newer |= later(&mut ours.engaged_ms, t.engaged_ms);
            }
            (ours, Some(t)) if ours.as_ref().is_none_or(|s| s.id < t.id) => {
                *ours = Some(t);
                out.context = true;
            }
            (ours, _) => newer |= ours.is_some(),
        }
        newer
    }
}

/// `ours` becomes the later of the two times; whether ours was the later.
fn later(ours: &mut i64, theirs: i64) -> bool {
    let newer = *ours > theirs;
    *ours = (*ours).max(theirs);
    newer
}

/// Takes `theirs` into `ours` when ours is empty or theirs is better: the earlier when `earlier` (a first touch),
/// else the later (a last touch). Whether ours was kept and theirs differs (they lack it).
fn pick(
    ours: &mut Option<Touch>,
    theirs: Option<Touch>,
    out: &mut Absorbed,
    earlier: bool,
) -> bool {
    match (ours.as_ref(), &theirs) {
        (Some(o), Some(t)) if !better(t, o, earlier) => o.at != t.at,
        (Some(_), None) => true,
        (_, None) => false,
        _ => {
            *ours = theirs;
            out.context = true;
            false
        }
    }
}

/// Whether touch `t` is better than `o`: the earlier when `earlier`, else the later.
fn better(t: &Touch, o: &Touch, earlier: bool) -> bool {
    if earlier {
        t.at < o.at
    } else {
        t.at > o.at
    }
}

/// Traits as JSON text (see [`text`]).
fn map_text(m: &Map) -> String {
    let mut out = String::new();
    json::write_map(m, &mut out);
    out
}

/// A value as JSON text: compared this way rather than through `PartialEq`, whose code the module would link
/// for this alone.
fn text(v: &Value) -> String {
    v.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::attribution::Channel;

    fn same_traits(a: &Map, b: &Map) -> bool {
        a.len() == b.len() && a.iter().all(|(k, v)| b.get(k) == Some(v))
    }

    fn profile(anon: &str, user: Option<&str>, identity_at: i64) -> Profile {
        let mut p = Profile::new(anon.into());
        p.user_id = user.map(str::to_string);
        p.identity_at = identity_at;
        p
    }

    fn touch(channel: Channel, at: i64) -> Touch {
        Touch {
            channel,
            source: String::new(),
            medium: String::new(),
            campaign: String::new(),
            at,
        }
    }

    /// Merging `b` into `a` and `a` into `b` gives the same profile (traits compared as sets), and merging
    /// again changes nothing: two tabs settle on one profile.
    fn converge(a: &Profile, b: &Profile) -> Profile {
        let (mut ab, mut ba) = (a.clone(), b.clone());
        ab.absorb(b.clone());
        ba.absorb(a.clone());
        assert!(same_traits(&ab.traits, &ba.traits), "{ab:?} / {ba:?}");
        ba.traits = ab.traits.clone();
        assert_eq!(ab, ba);
        let mut again = ab.clone();
        let second = again.absorb(ab.clone());
        assert_eq!(second, Absorbed::default());
        assert_eq!(again, ab);
        ab
    }

    #[test]
    fn the_later_identity_wins_with_its_own_data() {
        let mut anon = profile("a-1", None, 100);
        anon.traits.insert("x", 1.0.into());
        anon.sessions.touch(1_000, None, 1_800_000);
        let mut user = profile("a-1", Some("u-1"), 200);
        user.traits.insert("plan", "pro".into());
        user.sessions.touch(2_000, None, 1_800_000);

        let mut tab = anon.clone();
        let got = tab.absorb(user.clone());
        assert_eq!(tab, user);
        assert!(got.traits && got.context && !got.visitor && !got.ours_newer);

        // The tab that identified keeps its identity and must write it again over the older one.
        let mut tab = user.clone();
        let got = tab.absorb(anon.clone());
        assert_eq!(tab, user);
        assert_eq!(
            got,
            Absorbed {
                ours_newer: true,
                ..Absorbed::default()
            }
        );

        // A reset in the other tab: another visitor.
        let reset = profile("a-2", None, 300);
        let mut tab = user.clone();
        assert!(tab.absorb(reset.clone()).visitor);
        assert_eq!(tab, reset);
        converge(&user, &reset);
    }

    #[test]
    fn equal_identity_times_settle_on_one_identity() {
        let a = profile("a-1", None, 0);
        let b = profile("a-2", None, 0);
        assert_eq!(converge(&a, &b).anonymous_id, "a-2");
    }

    #[test]
    fn traits_are_united_and_the_later_win_a_shared_key() {
        let mut a = profile("a", Some("u"), 10);
        a.traits.insert("plan", "free".into());
        a.traits.insert("name", "Ada".into());
        a.traits_at = 50;
        let mut b = profile("a", Some("u"), 10);
        b.traits.insert("plan", "pro".into());
        b.traits.insert("seats", 3.0.into());
        b.traits_at = 60;
        let mut tied = b.clone();
        tied.traits_at = a.traits_at;
        assert_eq!(converge(&a, &tied).traits.get("plan"), Some(&"pro".into()));
        let merged = converge(&a, &b);
        assert_eq!(merged.traits.get("plan"), Some(&"pro".into()));
        assert_eq!(merged.traits.get("name"), Some(&"Ada".into()));
        assert_eq!(merged.traits.get("seats"), Some(&3.0.into()));
        assert_eq!(merged.traits_at, 60);

        let mut tab = a.clone();
        let got = tab.absorb(b.clone());
        assert!(
            got.traits && !got.context && got.ours_newer,
            "a held `name`: {got:?}"
        );
        let mut tab = merged.clone();
        assert_eq!(
            tab.absorb(b.clone()),
            Absorbed {
                ours_newer: true,
                ..Absorbed::default()
            }
        );
    }

    /// Each tab's traits fit the stored bound; their union may not, and then the later traits are kept alone.
    #[test]
    fn a_union_over_the_bound_keeps_the_later_traits() {
        let big = "x".repeat(MAX_PROFILE_BYTES / 3);
        let mut a = profile("a", None, 0);
        a.traits.insert("one", big.as_str().into());
        a.traits_at = 1;
        let mut b = profile("a", None, 0);
        b.traits.insert("two", big.as_str().into());
        b.traits_at = 2;
        let merged = converge(&a, &b);
        assert_eq!(merged.traits.len(), 1);
        assert!(merged.traits.get("two").is_some());
        // Of the same time: both tabs keep the same traits, and stop writing.
        b.traits_at = a.traits_at;
        assert_eq!(converge(&a, &b).traits.len(), 1);
    }

    #[test]
    fn the_later_session_wins_and_the_same_one_keeps_the_latest_activity() {
        let idle = 1_800_000;
        let mut a = profile("a", None, 0);
        a.sessions.touch(1_000, None, idle);
        let mut b = a.clone();
        a.sessions.touch(5_000, None, idle);
        if let Some(s) = &mut a.sessions.current {
            s.engaged_ms = 700;
        }
        b.sessions.touch(9_000, None, idle);
        let merged = converge(&a, &b);
        let s = merged.sessions.current.clone().unwrap();
        assert_eq!((s.id, s.last_activity, s.engaged_ms), (1_000, 9_000, 700));

        // A new session in one tab (after inactivity) ends the other's.
        let mut c = a.clone();
        c.sessions.touch(1_000 + 2 * idle, None, idle);
        let merged = converge(&b, &c);
        assert_eq!(merged.sessions.id(), Some(1_000 + 2 * idle));
        assert_eq!(merged.sessions.count, 2);
        let mut tab = b.clone();
        assert!(tab.absorb(c.clone()).context);
        // Both tabs started a session of their own: they settle on the later one and count it once.
        let mut d = a.clone();
        d.sessions.touch(1_500 + 2 * idle, None, idle);
        let merged = converge(&c, &d);
        assert_eq!(merged.sessions.id(), Some(1_500 + 2 * idle));
        assert_eq!(merged.sessions.count, 2);
    }

    #[test]
    fn attribution_keeps_the_earliest_first_and_the_latest_last_touch() {
        let mut a = profile("a", None, 0);
        a.attribution.record(touch(Channel::Email, 100));
        a.attribution.record(touch(Channel::Paid, 300));
        let mut b = profile("a", None, 0);
        b.attribution.record(touch(Channel::Social, 50));
        b.attribution.record(touch(Channel::Referral, 200));
        let merged = converge(&a, &b);
        assert_eq!(merged.attribution.first, Some(touch(Channel::Social, 50)));
        assert_eq!(merged.attribution.last, Some(touch(Channel::Paid, 300)));
    }
}

// proptest is a native-only dev-dependency (the crate's tests also build for wasm32).
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use crate::core::attribution::Channel;
    use crate::core::session::Session;
    use proptest::prelude::*;

    /// A touch whose content follows from its time: two tabs' records of one instant are the same record (the
    /// merge keeps either on a tie, so records that differ at the same millisecond would not settle).
    fn touch_at(at: i64) -> Touch {
        let channels = [Channel::Direct, Channel::Search, Channel::Email];
        Touch {
            channel: channels[(at % 3) as usize],
            source: at.to_string(),
            medium: String::new(),
            campaign: String::new(),
            at,
        }
    }

    prop_compose! {
        fn a_profile()(
            anon in 0..2u8,
            user in proptest::option::of(0..2u8),
            identity_at in 0..4i64,
            traits_at in 0..4i64,
            traits in proptest::collection::btree_map(0..4u8, 0..3u8, 0..4),
            session in proptest::option::of((0..4i64, 0..4i64, 0..3i64)),
            count in 0..3u32,
            first in proptest::option::of(0..5i64),
            last in proptest::option::of(0..5i64),
        ) -> Profile {
            let mut p = Profile::new(["a", "b"][anon as usize].into());
            p.user_id = user.map(|u| ["u1", "u2"][u as usize].to_string());
            p.identity_at = identity_at;
            p.traits_at = traits_at;
            for (k, v) in traits {
                p.traits.insert(k.to_string(), f64::from(v).into());
            }
            p.sessions.current = session.map(|(id, idle, engaged)| Session {
                id,
                last_activity: id + idle,
                campaign: id.to_string(),
                engaged_ms: engaged,
            });
            p.sessions.count = count;
            p.attribution.first = first.map(touch_at);
            p.attribution.last = last.map(touch_at);
            p
        }
    }

    /// The same profile, traits compared as a set (two tabs may hold the same traits in another order).
    fn same(a: &Profile, b: &Profile) -> bool {
        let mut b = b.clone();
        let traits_equal = a.traits.len() == b.traits.len()
            && a.traits.iter().all(|(k, v)| b.traits.get(k) == Some(v));
        b.traits = a.traits.clone();
        traits_equal && *a == b
    }

    proptest! {
        /// Whatever two tabs hold: taking in each other's write gives both the same profile; taking it in again
        /// changes nothing and asks for no write; "ours is newer" is exactly "the merged profile is not theirs";
        /// and the tab that wrote, taking in the write back, has nothing newer to say.
        #[test]
        fn two_tabs_settle_on_one_profile(a in a_profile(), b in a_profile()) {
            let (mut ab, mut ba) = (a.clone(), b.clone());
            let got_ab = ab.absorb(b.clone());
            let got_ba = ba.absorb(a.clone());
            prop_assert!(same(&ab, &ba), "{:?}\n{:?}", ab, ba);
            prop_assert_eq!(got_ab.ours_newer, !same(&ab, &b));
            prop_assert_eq!(got_ba.ours_newer, !same(&ba, &a));
            let mut again = ab.clone();
            prop_assert_eq!(again.absorb(ab.clone()), Absorbed::default());
            prop_assert!(same(&again, &ab));
            let mut writer = b.clone();
            writer.absorb(ab.clone());
            prop_assert!(same(&writer, &ab));
            let mut settled = writer.clone();
            prop_assert!(!settled.absorb(ab.clone()).ours_newer);
        }
    }
}
