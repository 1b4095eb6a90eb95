//! The visitor's persisted profile: identity, traits, sessions and attribution.
//!
//! Stored as one JSON document with a version number. A value that does not parse, carries another version or
//! exceeds the size bound is discarded by the caller with a warning; it never stops the SDK.

use super::attribution::{Attribution, Channel, Touch};
use super::json::{self, Map, Value};
use super::session::{Session, Sessions};
use super::time::{Millis, MAX_DATE_MS};

pub const PROFILE_VERSION: f64 = 1.0;
/// Upper bound of the serialised profile. Traits beyond it are refused by `identify`.
pub const MAX_PROFILE_BYTES: usize = 32 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub anonymous_id: String,
    pub user_id: Option<String>,
    pub traits: Map,
    pub sessions: Sessions,
    pub attribution: Attribution,
    /// When this identity began (the profile was made, or `identify` named another user), 0 when unknown. Tabs
    /// open at once merge what each stores (`profile_merge.rs`): the later identity wins.
    pub identity_at: Millis,
    /// When `identify` last changed the traits, 0 when never: on a conflict between tabs the later traits win.
    pub traits_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileError {
    /// Not JSON, or not the shape this version writes.
    Corrupt,
    /// Written by another version of the format.
    Version,
    TooLarge,
}

impl ProfileError {
    pub fn code(&self) -> &'static str {
        match self {
            ProfileError::Corrupt => "profile_corrupt",
            ProfileError::Version => "profile_version",
            ProfileError::TooLarge => "profile_too_large",
        }
    }
}

impl Profile {
    pub fn new(anonymous_id: String) -> Self {
        Profile {
            anonymous_id,
            user_id: None,
            traits: Map::new(),
            sessions: Sessions::default(),
            attribution: Attribution::default(),
            identity_at: 0,
            traits_at: 0,
        }
    }

    /// Written directly rather than through a [`Map`] of the fields: the same text (keys in this order, numbers
    /// as [`json::write_number`] writes them) without copying the traits.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(512);
        out.push_str("{\"v\":");
        json::write_number(PROFILE_VERSION, &mut out);
        out.push_str(",\"anonymousId\":");
        json::write_string(&self.anonymous_id, &mut out);
        if let Some(u) = &self.user_id {
            out.push_str(",\"userId\":");
            json::write_string(u, &mut out);
        }
        times(",\"idAt\":", self.identity_at, &mut out);
        times(",\"traitsAt\":", self.traits_at, &mut out);
        out.push_str(",\"traits\":");
        json::write_map(&self.traits, &mut out);
        out.push_str(",\"session\":{\"count\":");
        json::write_number(f64::from(self.sessions.count), &mut out);
        if let Some(cur) = &self.sessions.current {
            out.push_str(",\"id\":");
            json::write_number(cur.id as f64, &mut out);
            out.push_str(",\"last\":");
            json::write_number(cur.last_activity as f64, &mut out);
            out.push_str(",\"campaign\":");
            json::write_string(&cur.campaign, &mut out);
            if cur.engaged_ms > 0 {
                out.push_str(",\"engaged\":");
                json::write_number(cur.engaged_ms as f64, &mut out);
            }
        }
        out.push_str("},\"attribution\":");
        self.attribution.write(false, &mut out);
        out.push('}');
        out
    }

    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        if text.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge);
        }
        let v = json::parse(text).map_err(|_| ProfileError::Corrupt)?;
        let root = Some(&v);
        if num(root, "v") != Some(PROFILE_VERSION) {
            return Err(if v.get("v").is_some() {
                ProfileError::Version
            } else {
                ProfileError::Corrupt
            });
        }
        let anonymous_id = member_text(root, "anonymousId")
            .filter(|s| !s.is_empty())
            .ok_or(ProfileError::Corrupt)?
            .to_string();
        let user_id = member_text(root, "userId").map(str::to_string);
        let traits = v
            .get("traits")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let s = v.get("session");
        // Times are held to a JavaScript `Date`'s range, as the session code adds to them.
        let date = MAX_DATE_MS as f64;
        let current = match (num(s, "id"), num(s, "last")) {
            (Some(id), Some(last)) => Some(Session {
                id: id.clamp(-date, date) as Millis,
                last_activity: last.clamp(-date, date) as Millis,
                campaign: owned_text(s, "campaign"),
                engaged_ms: num(s, "engaged").unwrap_or(0.0).clamp(0.0, date) as Millis,
            }),
            _ => None,
        };
        let sessions = Sessions {
            current,
            count: num(s, "count")
                .unwrap_or(0.0)
                .clamp(0.0, f64::from(u32::MAX)) as u32,
        };
        let a = v.get("attribution");
        let attribution = Attribution {
            first: touch(a, "first"),
            last: touch(a, "last"),
        };
        Ok(Profile {
            anonymous_id,
            user_id,
            traits,
            sessions,
            attribution,
            identity_at: num(root, "idAt").unwrap_or(0.0).clamp(0.0, date) as Millis,
            traits_at: num(root, "traitsAt").unwrap_or(0.0).clamp(0.0, date) as Millis,
        })
    }
}

/// `key` and the time, when there is one (a profile written before these times existed has none).
fn times(key: &str, at: Millis, out: &mut String) {
    if at > 0 {
        out.push_str(key);
        json::write_number(at as f64, out);
    }
}

// Member readers shared by every field of the stored profile (each is an optional member of an optional object),
// rather than a chain of `get`/`and_then`/`as_*` written out per field.

/// `o[key]` when `o` is an object and that member is a number.
fn num(o: Option<&Value>, key: &str) -> Option<f64> {
    o?.get(key)?.as_f64()
}

/// `o[key]` when `o` is an object and that member is a string.
pub(crate) fn member_text<'a>(o: Option<&'a Value>, key: &str) -> Option<&'a str> {
    o?.get(key)?.as_str()
}

/// `o[key]` as [`member_text`] reads it, or empty.
fn owned_text(o: Option<&Value>, key: &str) -> String {
    member_text(o, key).unwrap_or_default().to_string()
}

/// The touch stored as `o[key]`, when it names a known channel.
fn touch(o: Option<&Value>, key: &str) -> Option<Touch> {
    let t = o?.get(key);
    Some(Touch {
        channel: Channel::parse(member_text(t, "channel")?)?,
        source: owned_text(t, "source"),
        medium: owned_text(t, "medium"),
        campaign: owned_text(t, "campaign"),
        at: num(t, "at").unwrap_or(0.0) as Millis,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        let mut p = Profile::new("anon-1".into());
        p.user_id = Some("user-42".into());
        p.traits.insert("plan", "pro".into());
        p.identity_at = 900;
        p.traits_at = 950;
        p.sessions.touch(1_000, Some("c|s|m".into()), 1_800_000);
        p.attribution.record(Touch {
            channel: Channel::Email,
            source: "nl".into(),
            medium: "email".into(),
            campaign: "spring".into(),
            at: 1_000,
        });
        p
    }

    /// The stored format as it was first written, through a map of the fields.
    fn via_map(p: &Profile) -> String {
        let touch = |t: &Touch| {
            let mut m = Map::new();
            m.insert("channel", t.channel.as_str().into());
            m.insert("source", t.source.as_str().into());
            m.insert("medium", t.medium.as_str().into());
            m.insert("campaign", t.campaign.as_str().into());
            m.insert("at", Value::Number(t.at as f64));
            Value::Object(m)
        };
        let mut m = Map::new();
        m.insert("v", Value::Number(PROFILE_VERSION));
        m.insert("anonymousId", p.anonymous_id.as_str().into());
        if let Some(u) = &p.user_id {
            m.insert("userId", u.as_str().into());
        }
        if p.identity_at > 0 {
            m.insert("idAt", Value::Number(p.identity_at as f64));
        }
        if p.traits_at > 0 {
            m.insert("traitsAt", Value::Number(p.traits_at as f64));
        }
        m.insert("traits", Value::Object(p.traits.clone()));
        let mut s = Map::new();
        s.insert("count", Value::Number(f64::from(p.sessions.count)));
        if let Some(cur) = &p.sessions.current {
            s.insert("id", Value::Number(cur.id as f64));
            s.insert("last", Value::Number(cur.last_activity as f64));
            s.insert("campaign", cur.campaign.as_str().into());
            if cur.engaged_ms > 0 {
                s.insert("engaged", Value::Number(cur.engaged_ms as f64));
            }
        }
        m.insert("session", Value::Object(s));
        let mut a = Map::new();
        if let Some(t) = &p.attribution.first {
            a.insert("first", touch(t));
        }
        if let Some(t) = &p.attribution.last {
            a.insert("last", touch(t));
        }
        m.insert("attribution", Value::Object(a));
        Value::Object(m).to_json()
    }

    #[test]
    fn writes_the_stored_format_unchanged() {
        let mut p = sample();
        assert_eq!(p.to_json(), via_map(&p));
        if let Some(s) = &mut p.sessions.current {
            s.engaged_ms = 12_345;
        }
        p.traits.insert("n", Value::Number(1.5));
        assert_eq!(p.to_json(), via_map(&p));
        p.attribution.first = None;
        assert_eq!(p.to_json(), via_map(&p));
        p.attribution.last = None;
        p.user_id = None;
        assert_eq!(p.to_json(), via_map(&p));
        let fresh = Profile::new("a\"b".into());
        assert_eq!(fresh.to_json(), via_map(&fresh));
    }

    #[test]
    fn round_trips() {
        let p = sample();
        assert_eq!(Profile::from_json(&p.to_json()), Ok(p));
        let fresh = Profile::new("a".into());
        assert_eq!(Profile::from_json(&fresh.to_json()), Ok(fresh));
    }

    #[test]
    fn refuses_corrupt_foreign_and_oversized_values() {
        assert_eq!(Profile::from_json("not json"), Err(ProfileError::Corrupt));
        assert_eq!(
            Profile::from_json("{\"anonymousId\":\"a\"}"),
            Err(ProfileError::Corrupt)
        );
        assert_eq!(
            Profile::from_json("{\"v\":2,\"anonymousId\":\"a\"}"),
            Err(ProfileError::Version)
        );
        assert_eq!(
            Profile::from_json("{\"v\":1,\"anonymousId\":\"\"}"),
            Err(ProfileError::Corrupt)
        );
        assert_eq!(Profile::from_json("[1]"), Err(ProfileError::Corrupt));
        let big = format!(
            "{{\"v\":1,\"anonymousId\":\"a\",\"traits\":{{\"x\":\"{}\"}}}}",
            "y".repeat(MAX_PROFILE_BYTES)
        );
        assert_eq!(Profile::from_json(&big), Err(ProfileError::TooLarge));
    }

    /// Session times from storage are held to a `Date`'s range: a later visit adds to them.
    #[test]
    fn session_times_out_of_range_are_held_in_range() {
        for t in ["1e300", "-1e300", "9223372036854775807"] {
            let mut p = Profile::from_json(&format!(
                "{{\"v\":1,\"anonymousId\":\"a\",\"session\":{{\"id\":{t},\"last\":{t},\"count\":1}}}}"
            ))
            .unwrap();
            let id = p.sessions.id().unwrap();
            assert!(id.abs() <= MAX_DATE_MS, "{t}: {id}");
            p.sessions
                .touch(1_700_000_000_000, Some("new".into()), 1_800_000);
            assert_eq!(p.sessions.count, 2);
        }
    }

    #[test]
    fn tolerates_missing_optional_parts() {
        let p = Profile::from_json(
            "{\"v\":1,\"anonymousId\":\"a\",\"attribution\":{\"first\":{\"channel\":\"nope\"}}}",
        )
        .unwrap();
        assert_eq!(p.sessions, Sessions::default());
        assert_eq!(p.attribution, Attribution::default());
    }
}
