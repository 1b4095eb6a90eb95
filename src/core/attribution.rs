//! Channel attribution: where a visit came from, from its UTM parameters, ad click ids and referrer.
//!
//! The profile keeps the first touch ever and the last touch. Like Google Analytics' "last non-direct click",
//! a direct visit does not overwrite an earlier known channel as the last touch: coming back by typing the URL
//! after clicking a newsletter is still credited to the newsletter.

use super::json::{write_number, write_string};
use super::message::{clip, MAX_CAMPAIGN_TEXT};
use super::time::{write_iso8601, Millis};
use super::url::{decode_or_keep, find, split_once_byte, Url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Direct,
    Search,
    Social,
    Email,
    Paid,
    Referral,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::Search => "search",
            Channel::Social => "social",
            Channel::Email => "email",
            Channel::Paid => "paid",
            Channel::Referral => "referral",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Some(match s {
            "direct" => Channel::Direct,
            "search" => Channel::Search,
            "social" => Channel::Social,
            "email" => Channel::Email,
            "paid" => Channel::Paid,
            "referral" => Channel::Referral,
            _ => return None,
        })
    }
}

/// The UTM parameters of a landing URL (Segment's `context.campaign`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Campaign {
    pub name: String,
    pub source: String,
    pub medium: String,
    pub term: String,
    pub content: String,
    /// Any other `utm_*` parameter, by its name after `utm_` (`utm_id` is `id`), as analytics.js sends it: at most
    /// [`MAX_OTHER_UTM`], each name of at most [`MAX_UTM_NAME`] bytes. One with an empty value is not sent.
    pub other: Vec<(String, String)>,
}

/// The most `utm_*` parameters besides the five a campaign carries (the first ones of the URL).
pub const MAX_OTHER_UTM: usize = 10;
/// The longest name (after `utm_`) of such a parameter.
pub const MAX_UTM_NAME: usize = 64;

impl Campaign {
    /// `None` when the URL carries no UTM parameter with a value. Read as analytics-next's `utm` reads the
    /// search: pairs are split at `&` and at any further `?`, a name is taken as written (not decoded), and the
    /// last of a repeated parameter counts; `utm_campaign` (and `utm_name`) is the `name`. A value is decoded as
    /// `decodeURIComponent` decodes it after `+` became a space, or kept as written if that fails. Unlike
    /// analytics.js, a parameter with an empty value is left out (and so is a campaign of none), a value is
    /// everything after the first `=` (analytics.js stops at a second one), and only names that start with
    /// `utm_` count (analytics.js takes any name containing it: `xutm_a` as `_a`).
    pub fn from_url(url: &Url) -> Option<Campaign> {
        let mut c = Campaign::default();
        let mut rest = url.search.get(1..).unwrap_or_default();
        // Parts between `&`s and `?`s, by a byte scan (`split` with chars brings in the char searcher).
        while !rest.is_empty() {
            let end = rest
                .bytes()
                .position(|b| b == b'&' || b == b'?')
                .unwrap_or(rest.len());
            let part = rest.get(..end).unwrap_or_default();
            rest = rest.get(end + 1..).unwrap_or_default();
            let (key, value) = split_once_byte(part, b'=').unwrap_or((part, ""));
            let Some(key) = key.strip_prefix("utm_").filter(|k| !k.is_empty()) else {
                continue;
            };
            // Cut: nothing bounds a URL, and the first touch stays in every message of the visitor.
            let mut value = decode_or_keep(value);
            value.truncate(clip(&value, MAX_CAMPAIGN_TEXT).len());
            let field = match key {
                "campaign" | "name" => &mut c.name,
                "source" => &mut c.source,
                "medium" => &mut c.medium,
                "term" => &mut c.term,
                "content" => &mut c.content,
                _ => {
                    if let Some(other) = c.other.iter_mut().find(|(k, _)| k == key) {
                        other.1 = value;
                    } else if c.other.len() < MAX_OTHER_UTM && key.len() <= MAX_UTM_NAME {
                        c.other.push((key.to_string(), value));
                    }
                    continue;
                }
            };
            *field = value;
        }
        let any = [&c.name, &c.source, &c.medium, &c.term, &c.content]
            .iter()
            .any(|v| !v.is_empty())
            || c.other.iter().any(|(_, v)| !v.is_empty());
        any.then_some(c)
    }

    /// Whether it names where the visit came from (a campaign, source or medium): only then is the landing a
    /// campaign touch and a new campaign a new session. A term or a content alone is not.
    pub fn is_touch(&self) -> bool {
        !(self.name.is_empty() && self.source.is_empty() && self.medium.is_empty())
    }

    /// What identifies "a new campaign" for session rotation.
    pub fn key(&self) -> String {
        let mut key =
            String::with_capacity(self.name.len() + self.source.len() + self.medium.len() + 2);
        for (i, part) in [&self.name, &self.source, &self.medium].iter().enumerate() {
            if i > 0 {
                key.push('|');
            }
            key.push_str(part);
        }
        key
    }
}

/// One attributed visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touch {
    pub channel: Channel,
    /// `utm_source`, else the referring host, else empty.
    pub source: String,
    pub medium: String,
    pub campaign: String,
    pub at: Millis,
}

/// Mediums that name their channel outright (compared lowercased). None of them contains "email", so looking
/// them up before the "email" substring test gives what testing paid mediums, then "email", then the rest did.
const MEDIUMS: &[(&str, Channel)] = &[
    ("cpc", Channel::Paid),
    ("ppc", Channel::Paid),
    ("paid", Channel::Paid),
    ("paidsearch", Channel::Paid),
    ("paid_search", Channel::Paid),
    ("paid-search", Channel::Paid),
    ("cpm", Channel::Paid),
    ("cpv", Channel::Paid),
    ("display", Channel::Paid),
    ("banner", Channel::Paid),
    ("paid_social", Channel::Paid),
    ("paidsocial", Channel::Paid),
    ("paid-social", Channel::Paid),
    ("affiliate", Channel::Paid),
    ("newsletter", Channel::Email),
    ("social", Channel::Social),
    ("social-network", Channel::Social),
    ("social_network", Channel::Social),
    ("sm", Channel::Social),
    ("organic", Channel::Search),
    ("referral", Channel::Referral),
];
const AD_CLICK_IDS: &[&str] = &[
    "gclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "dclid",
    "ttclid",
    "li_fat_id",
];
const SEARCH_ENGINES: &[&str] = &[
    "google",
    "bing",
    "yahoo",
    "duckduckgo",
    "baidu",
    "yandex",
    "ecosia",
    "qwant",
    "startpage",
    "naver",
    "seznam",
    "ask",
    "search",
];
const SOCIAL_NETWORKS: &[&str] = &[
    "facebook",
    "fb",
    "instagram",
    "twitter",
    "linkedin",
    "lnkd",
    "reddit",
    "pinterest",
    "youtube",
    "tiktok",
    "threads",
    "bsky",
    "mastodon",
    "quora",
    "tumblr",
    "vk",
    "snapchat",
    "whatsapp",
    "telegram",
];
const SOCIAL_HOSTS: &[&str] = &["t.co", "x.com"];
const WEBMAIL_HOSTS: &[&str] = &[
    "mail.google.com",
    "outlook.live.com",
    "outlook.office.com",
    "outlook.office365.com",
    "mail.yahoo.com",
    "mail.proton.me",
    "webmail",
];

/// Whether `s` is one of `names`: a loop, where `contains` links the standard library's unrolled search.
#[allow(clippy::manual_contains)]
fn listed(names: &[&str], s: &str) -> bool {
    names.iter().any(|&n| n == s)
}

/// Whether a dot-separated label of `host` is one of `names` (a byte scan, not `split` with a `char`).
fn has_label(host: &str, names: &[&str]) -> bool {
    let mut rest = host;
    loop {
        let (label, after) = match split_once_byte(rest, b'.') {
            Some((label, after)) => (label, Some(after)),
            None => (rest, None),
        };
        if listed(names, label) {
            return true;
        }
        match after {
            Some(after) => rest = after,
            None => return false,
        }
    }
}

fn is_webmail(host: &str) -> bool {
    WEBMAIL_HOSTS.iter().any(|h| {
        host.strip_prefix(*h)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("."))
    })
}

fn channel_of_host(host: &str) -> Channel {
    if is_webmail(host) {
        Channel::Email
    } else if listed(SOCIAL_HOSTS, host) || has_label(host, SOCIAL_NETWORKS) {
        Channel::Social
    } else if has_label(host, SEARCH_ENGINES) {
        Channel::Search
    } else {
        Channel::Referral
    }
}

fn channel_of_medium(medium: &str, source: &str) -> Channel {
    let m = medium.to_ascii_lowercase();
    if let Some(&(_, channel)) = MEDIUMS.iter().find(|(name, _)| *name == m) {
        channel
    } else if find(&m, "email").is_some() || find(&m, "e-mail").is_some() {
        Channel::Email
    } else {
        let s = source.to_ascii_lowercase();
        match channel_of_host(&s) {
            Channel::Referral if s.is_empty() => Channel::Direct,
            c => c,
        }
    }
}

fn same_site(a: &str, b: &str) -> bool {
    let strip = |h: &str| h.strip_prefix("www.").unwrap_or(h).to_ascii_lowercase();
    strip(a) == strip(b)
}

/// Classifies a landing: `None` for navigation inside the site (not a new touch).
pub fn classify(landing: &Url, referrer: &str, now: Millis) -> Option<Touch> {
    let ref_host = Url::parse(referrer).host;
    let ad_click = AD_CLICK_IDS
        .iter()
        .any(|id| landing.query_param(id).is_some());
    // One `Touch` built at the end: each literal would be its own copy of the construction.
    let (channel, source, medium, campaign) =
        if let Some(c) = Campaign::from_url(landing).filter(Campaign::is_touch) {
            let channel = if ad_click {
                Channel::Paid
            } else {
                match channel_of_medium(&c.medium, &c.source) {
                    Channel::Direct => Channel::Referral,
                    ch => ch,
                }
            };
            (channel, c.source, c.medium, c.name)
        } else {
            let channel = if ad_click {
                Channel::Paid
            } else if ref_host.is_empty() {
                Channel::Direct
            } else if same_site(ref_host, landing.host) {
                return None;
            } else {
                channel_of_host(&ref_host.to_ascii_lowercase())
            };
            let source = clip(ref_host, MAX_CAMPAIGN_TEXT).to_string();
            (channel, source, String::new(), String::new())
        };
    Some(Touch {
        channel,
        source,
        medium,
        campaign,
        at: now,
    })
}

/// First and last touch of a visitor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attribution {
    pub first: Option<Touch>,
    pub last: Option<Touch>,
}

impl Attribution {
    /// Writes `{"first":<touch>,"last":<touch>}`, each touch only when there is one. One writer for the message
    /// context and the stored profile, which differ only in how a touch's time is written: ISO 8601 text in
    /// messages (`iso_times`), a number of milliseconds in the profile.
    pub fn write(&self, iso_times: bool, out: &mut String) {
        out.push('{');
        let mut sep = "";
        for &(name, touch) in &[("\"first\":", &self.first), ("\"last\":", &self.last)] {
            let Some(t) = touch else { continue };
            out.push_str(sep);
            sep = ",";
            out.push_str(name);
            out.push_str("{\"channel\":");
            write_string(t.channel.as_str(), out);
            out.push_str(",\"source\":");
            write_string(&t.source, out);
            out.push_str(",\"medium\":");
            write_string(&t.medium, out);
            out.push_str(",\"campaign\":");
            write_string(&t.campaign, out);
            out.push_str(",\"at\":");
            if iso_times {
                out.push('"');
                write_iso8601(t.at, out);
                out.push('"');
            } else {
                write_number(t.at as f64, out);
            }
            out.push('}');
        }
        out.push('}');
    }

    /// Records a session's entry touch.
    pub fn record(&mut self, touch: Touch) {
        if self.first.is_none() {
            self.first = Some(touch.clone());
        }
        let keep_last = touch.channel == Channel::Direct && self.last.is_some();
        if !keep_last {
            self.last = Some(touch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(landing: &str, referrer: &str) -> Option<Channel> {
        classify(&Url::parse(landing), referrer, 0).map(|t| t.channel)
    }

    #[test]
    fn classifies_channels() {
        let cases = [
            ("https://shop.test/", "", Some(Channel::Direct)),
            (
                "https://shop.test/",
                "https://www.google.co.uk/",
                Some(Channel::Search),
            ),
            (
                "https://shop.test/",
                "https://duckduckgo.com/",
                Some(Channel::Search),
            ),
            (
                "https://shop.test/",
                "https://t.co/abc",
                Some(Channel::Social),
            ),
            (
                "https://shop.test/",
                "https://m.facebook.com/",
                Some(Channel::Social),
            ),
            (
                "https://shop.test/",
                "https://mail.google.com/mail/u/0",
                Some(Channel::Email),
            ),
            (
                "https://shop.test/",
                "https://blog.example/post",
                Some(Channel::Referral),
            ),
            ("https://shop.test/a", "https://shop.test/b", None),
            ("https://www.shop.test/a", "https://shop.test/b", None),
            (
                "https://shop.test/?utm_source=news&utm_medium=email",
                "",
                Some(Channel::Email),
            ),
            (
                "https://shop.test/?utm_source=google&utm_medium=cpc",
                "https://google.com/",
                Some(Channel::Paid),
            ),
            (
                "https://shop.test/?gclid=123",
                "https://google.com/",
                Some(Channel::Paid),
            ),
            (
                "https://shop.test/?utm_source=facebook",
                "",
                Some(Channel::Social),
            ),
            (
                "https://shop.test/?utm_source=partner&utm_medium=referral",
                "",
                Some(Channel::Referral),
            ),
            (
                "https://shop.test/?utm_campaign=spring",
                "https://shop.test/",
                Some(Channel::Referral),
            ),
            (
                "https://shop.test/?utm_source=bing&utm_medium=organic",
                "",
                Some(Channel::Search),
            ),
        ];
        for (landing, referrer, want) in cases {
            assert_eq!(
                channel(landing, referrer),
                want,
                "{landing} from {referrer:?}"
            );
        }
    }

    /// The medium rules as first written: paid mediums, then "email", then the other named mediums.
    #[test]
    fn reads_mediums_as_the_ordered_tests_did() {
        let paid = [
            "cpc",
            "ppc",
            "paid",
            "paidsearch",
            "paid_search",
            "paid-search",
            "cpm",
            "cpv",
            "display",
            "banner",
            "paid_social",
            "paidsocial",
            "paid-social",
            "affiliate",
        ];
        let old = |medium: &str, source: &str| {
            let m = medium.to_ascii_lowercase();
            if paid.contains(&m.as_str()) {
                Channel::Paid
            } else if m.contains("email") || m.contains("e-mail") || m == "newsletter" {
                Channel::Email
            } else if m == "social" || m == "social-network" || m == "social_network" || m == "sm" {
                Channel::Social
            } else if m == "organic" {
                Channel::Search
            } else if m == "referral" {
                Channel::Referral
            } else {
                let s = source.to_ascii_lowercase();
                match channel_of_host(&s) {
                    Channel::Referral if s.is_empty() => Channel::Direct,
                    c => c,
                }
            }
        };
        let mut mediums: Vec<String> = MEDIUMS.iter().map(|(m, _)| m.to_string()).collect();
        mediums.extend(MEDIUMS.iter().map(|(m, _)| m.to_ascii_uppercase()));
        mediums.extend(MEDIUMS.iter().map(|(m, _)| format!("{m}-email")));
        for m in [
            "",
            "Email",
            "e-mail blast",
            "mail",
            "socials",
            "cpc2",
            "referral ",
            "newsletters",
        ] {
            mediums.push(m.into());
        }
        for m in &mediums {
            for source in ["", "google", "facebook.com", "news"] {
                assert_eq!(
                    channel_of_medium(m, source),
                    old(m, source),
                    "{m} / {source}"
                );
            }
        }
    }

    #[test]
    fn keeps_utm_details() {
        let t = classify(
            &Url::parse(
                "https://s.test/?utm_source=nl&utm_medium=email&utm_campaign=black%20friday",
            ),
            "",
            5,
        )
        .unwrap();
        assert_eq!(
            (
                t.source.as_str(),
                t.medium.as_str(),
                t.campaign.as_str(),
                t.at
            ),
            ("nl", "email", "black friday", 5)
        );
    }

    #[test]
    fn direct_visits_do_not_replace_the_last_known_channel() {
        let touch = |channel, at| Touch {
            channel,
            source: String::new(),
            medium: String::new(),
            campaign: String::new(),
            at,
        };
        let mut a = Attribution::default();
        a.record(touch(Channel::Direct, 1));
        assert_eq!(a.last.as_ref().map(|t| t.channel), Some(Channel::Direct));
        a.record(touch(Channel::Email, 2));
        a.record(touch(Channel::Direct, 3));
        a.record(touch(Channel::Search, 4));
        assert_eq!(
            a.first.as_ref().map(|t| (t.channel, t.at)),
            Some((Channel::Direct, 1))
        );
        assert_eq!(
            a.last.as_ref().map(|t| (t.channel, t.at)),
            Some((Channel::Search, 4))
        );
        a.record(touch(Channel::Direct, 5));
        assert_eq!(a.last.as_ref().map(|t| t.at), Some(4));
    }

    #[test]
    fn campaign_key_changes_with_campaign() {
        let a = Campaign::from_url(&Url::parse("http://s/?utm_campaign=a&utm_source=x")).unwrap();
        let b = Campaign::from_url(&Url::parse("http://s/?utm_campaign=b&utm_source=x")).unwrap();
        assert_ne!(a.key(), b.key());
        assert!(
            Campaign::from_url(&Url::parse("http://s/?utm_medium=x")).is_some_and(|c| c.is_touch())
        );
        let term = Campaign::from_url(&Url::parse("http://s/?utm_term=x")).unwrap();
        assert!(!term.is_touch());
        let other = Campaign::from_url(&Url::parse("http://s/?utm_x=x")).unwrap();
        assert!(!other.is_touch());
        assert!(
            Campaign::from_url(&Url::parse("http://s/?utm_x=&utm_source=&xutm_a=1&utm_=2"))
                .is_none()
        );
    }

    /// The pages of `tests/e2e/page-facts.json` (which the end-to-end test loads in Chromium): the campaign read
    /// from each URL as the browser gives it, `context.campaign` less its empty values, is the one expected there.
    #[test]
    fn reads_the_campaigns_of_the_page_facts_pages() {
        let doc =
            crate::core::json::parse(include_str!("../../tests/e2e/page-facts.json")).unwrap();
        let cases = doc.get("cases").and_then(|c| c.as_array()).unwrap();
        assert!(cases.len() > 100);
        for case in cases {
            let location = case.get("location").and_then(|l| l.as_str()).unwrap();
            let got: Vec<(String, String)> = match Campaign::from_url(&Url::parse(location)) {
                None => Vec::new(),
                Some(c) => [
                    ("name", &c.name),
                    ("source", &c.source),
                    ("medium", &c.medium),
                    ("term", &c.term),
                    ("content", &c.content),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .chain(c.other.iter().cloned())
                .filter(|(_, v)| !v.is_empty())
                .collect(),
            };
            let want: Vec<(String, String)> =
                match case.get("expect").and_then(|e| e.get("campaign")) {
                    Some(crate::core::json::Value::Object(m)) => m
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.as_str().unwrap().to_string()))
                        .collect(),
                    _ => Vec::new(),
                };
            let sorted = |mut v: Vec<(String, String)>| {
                v.sort();
                v
            };
            assert_eq!(sorted(got), sorted(want), "{location}");
        }
    }

    #[test]
    fn reads_utm_parameters_as_analytics_next() {
        let c = Campaign::from_url(&Url::parse(
            "http://s/?utm_source=a&utm_source=b+c?utm_campaign=%zz+x&utm_name=n&utm%5Fterm=t&utm_id=1&utm_id=&utm_content=x=y#utm_medium=h",
        ))
        .unwrap();
        assert_eq!(
            (
                c.name.as_str(),
                c.source.as_str(),
                c.medium.as_str(),
                c.term.as_str(),
                c.content.as_str()
            ),
            ("n", "b c", "", "", "x=y")
        );
        assert_eq!(
            c.other,
            [("id".to_string(), String::new())],
            "the last value, empty, is not sent"
        );
        let many: String = (0..20).map(|i| format!("&utm_k{i}=v")).collect();
        let c = Campaign::from_url(&Url::parse(&format!("http://s/?utm_k3=first{many}"))).unwrap();
        assert_eq!(c.other.len(), MAX_OTHER_UTM);
        assert_eq!(
            c.other.first().map(|(k, v)| (k.as_str(), v.as_str())),
            Some(("k3", "v"))
        );
    }
}
