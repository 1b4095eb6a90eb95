//! A campaign's `audience`: rule or condition, URL patterns, devices, dates, sampling.

use super::Reader;
use crate::core::campaigns::limits::MAX_URL_PATTERNS;
use crate::core::campaigns::model::{Audience, Device};
use crate::core::campaigns::pattern::UrlPattern;
use crate::core::json::Value;
use crate::core::time::parse_iso8601;

impl Reader<'_> {
    pub(super) fn patterns(&mut self, path: &str, v: &Value) -> Vec<UrlPattern> {
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

    pub(super) fn date(&mut self, path: &str, v: &Value) -> Option<i64> {
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

    pub(super) fn audience(&mut self, path: &str, v: &Value) -> Audience {
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
}
