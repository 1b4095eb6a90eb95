//! Reports over one source's stored events (SPEC §10): events over time, segment and stage sizes, survey answers
//! and NPS, reward claims, and each campaign's outcomes against its holdout.
//!
//! Everything is computed from the `events` table with SQL over the stored messages (SQLite's JSON functions
//! read the properties), on a read-only connection, so a report never blocks ingest. The source's config, when
//! it has one, names the segments, the journeys' stage order and each survey question's kind (which answers
//! make an NPS score); without it, the report shows what the events name.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use time::{Date, Duration, Month};

use wayline::core::audience::{SEGMENT_ENTERED, SEGMENT_EXITED, STAGE_CHANGED};
use wayline::core::campaigns::events as outcome;
use wayline::core::json::Value as CoreValue;

use crate::store::{Dialect, Reader, StoreError};

/// The longest range one report covers, in days: a report scans the range's events.
pub const MAX_DAYS: i64 = 366;
/// The range when none is asked for: the last 30 days, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// Named series in "events over time"; the rest are summed as `other`.
pub const MAX_SERIES: usize = 6;
/// Free-text answers listed per question, newest first.
pub const MAX_TEXTS: usize = 20;
/// The conversion goal and window when none is asked for.
pub const DEFAULT_GOAL: &str = "Order Completed";
pub const DEFAULT_WINDOW_DAYS: i64 = 7;

/// What a report covers: whole UTC days `from..=to`, and the conversion goal (an event name) counted within
/// `window_days` after a visitor's first exposure to a campaign (shown, or held out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: Date,
    pub to: Date,
    pub goal: String,
    pub window_days: i64,
}

impl ReportQuery {
    /// Reads `from`, `to` (`YYYY-MM-DD`), `goal` and `window` (days) from a query string; what is absent or
    /// empty takes its default, relative to `today`.
    pub fn parse(query: &str, today: Date) -> Result<Self, String> {
        let mut from = None;
        let mut to = None;
        let mut goal = DEFAULT_GOAL.to_owned();
        let mut window_days = DEFAULT_WINDOW_DAYS;
        for (key, value) in wayline::core::url::query_pairs(query) {
            let value = wayline::core::url::decode(value);
            // An empty value (a cleared field of the dashboard's form) means the default.
            if value.trim().is_empty() {
                continue;
            }
            match key {
                "from" => {
                    from = Some(parse_date(&value).ok_or("`from` must be a date, YYYY-MM-DD")?)
                }
                "to" => to = Some(parse_date(&value).ok_or("`to` must be a date, YYYY-MM-DD")?),
                "goal" => goal = value.trim().to_owned(),
                "window" => {
                    window_days = value
                        .parse::<i64>()
                        .ok()
                        .filter(|d| (1..=365).contains(d))
                        .ok_or("`window` must be a whole number of days from 1 to 365")?
                }
                _ => {}
            }
        }
        let to = to.unwrap_or(today);
        // Stored times are written with four-digit years, and the range's end is the next day's midnight, so a
        // range lies within 0000-01-01..=9999-12-30; the default one starts no earlier than that.
        let (first, last) = (first_day(), last_day());
        if to > last {
            return Err(format!("`to` must be {} or earlier", date_text(last)));
        }
        let from = from.unwrap_or((to - Duration::days(DEFAULT_DAYS - 1)).max(first));
        if from > to {
            return Err("`from` is after `to`".into());
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(format!("a report covers at most {MAX_DAYS} days"));
        }
        Ok(Self {
            from,
            to,
            goal,
            window_days,
        })
    }

    /// The range as stored timestamps compare: `[start, end)`.
    fn bounds(&self) -> (String, String) {
        let start = format!("{}T00:00:00.000Z", date_text(self.from));
        let end = format!("{}T00:00:00.000Z", date_text(self.to + Duration::days(1)));
        (start, end)
    }

    fn days(&self) -> Vec<String> {
        let mut days = Vec::new();
        let mut day = self.from;
        while day <= self.to {
            days.push(date_text(day));
            day += Duration::days(1);
        }
        days
    }
}

/// The first day a report can cover.
fn first_day() -> Date {
    Date::from_calendar_date(0, Month::January, 1).unwrap_or(Date::MIN)
}

/// The last day a report can cover: the day after it must still have a four-digit year.
fn last_day() -> Date {
    Date::from_calendar_date(9999, Month::December, 30).unwrap_or(Date::MAX)
}

pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let month = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

pub fn date_text(day: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        u8::from(day.month()),
        day.day()
    )
}

/// What the source's config tells a report; empty without a config.
#[derive(Debug, Default, Clone)]
pub struct ConfigOutline {
    pub segments: Vec<String>,
    /// Each journey with its stages in order.
    pub journeys: Vec<(String, Vec<String>)>,
    /// Campaign ids in config order, with their action type.
    pub campaigns: Vec<(String, String)>,
    /// `(campaign, question)` → question type (`nps`, `csat`, `rating`, `single`, `multiple`, `text`).
    pub questions: BTreeMap<(String, String), String>,
    /// `(campaign, question)` in config order: the order each survey asks them.
    pub question_order: Vec<(String, String)>,
}

impl ConfigOutline {
    /// Reads the parts a report needs from a config as written (with the SDK's JSON reader, which keeps the
    /// order of segments and journeys as written); anything unexpected is skipped: checking the config is
    /// `wayline check`'s job, not the report's.
    pub fn from_config(config: &CoreValue) -> Self {
        let mut outline = Self::default();
        if let Some(segments) = config.get("segments").and_then(CoreValue::as_object) {
            outline.segments = segments.iter().map(|(name, _)| name.to_owned()).collect();
        }
        if let Some(journeys) = config.get("journeys").and_then(CoreValue::as_object) {
            for (name, stages) in journeys.iter() {
                let stages = stages
                    .as_array()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|s| s.get("stage").and_then(CoreValue::as_str))
                    .map(str::to_owned)
                    .collect();
                outline.journeys.push((name.to_owned(), stages));
            }
        }
        for campaign in config
            .get("campaigns")
            .and_then(CoreValue::as_array)
            .unwrap_or_default()
        {
            let Some(id) = campaign.get("id").and_then(CoreValue::as_str) else {
                continue;
            };
            let action = campaign.get("action");
            let kind = action
                .and_then(|a| a.get("type"))
                .and_then(CoreValue::as_str)
                .unwrap_or_default();
            outline.campaigns.push((id.to_owned(), kind.to_owned()));
            for question in action
                .and_then(|a| a.get("questions"))
                .and_then(CoreValue::as_array)
                .unwrap_or_default()
            {
                if let (Some(q), Some(t)) = (
                    question.get("id").and_then(CoreValue::as_str),
                    question.get("type").and_then(CoreValue::as_str),
                ) {
                    let key = (id.to_owned(), q.to_owned());
                    outline.question_order.push(key.clone());
                    outline.questions.insert(key, t.to_owned());
                }
            }
        }
        outline
    }

    /// The outline of config text; empty when it is not JSON.
    pub fn from_text(text: &str) -> Self {
        wayline::core::json::parse(text.trim_start_matches('\u{feff}'))
            .map(|config| Self::from_config(&config))
            .unwrap_or_default()
    }
}

/// Builds the whole report for `source`.
pub fn build(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    outline: &ConfigOutline,
) -> Result<Value, StoreError> {
    Ok(json!({
        "source": source,
        "from": date_text(query.from),
        "to": date_text(query.to),
        "goal": query.goal,
        "windowDays": query.window_days,
        "events": events_over_time(conn, source, query)?,
        "segments": segments(conn, source, query, outline)?,
        "journeys": journeys(conn, source, query, outline)?,
        "surveys": surveys(conn, source, query, outline)?,
        "rewards": rewards(conn, source, query)?,
        "campaigns": campaigns(conn, source, query, outline)?,
    }))
}

/// The stored message as PostgreSQL's `jsonb`. `jsonb` refuses the escape `\u0000`, which JSON allows and a stored
/// body keeps: cast as it is, one such message anywhere in a report's rows failed the whole report. It is read as
/// U+FFFD instead. The replacement is on the text, so a string holding the six characters `\u0000` themselves (its
/// backslash escaped) reads `\ufffd` in a report.
const PG_BODY: &str = "replace(body, '\\u0000', '\\ufffd')::jsonb";

/// A property of the stored message, as text (numbers as their digits, lists as JSON).
fn prop(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("CAST(json_extract(body, '$.properties.{name}') AS TEXT)"),
        Dialect::Postgres => format!("({PG_BODY} #>> '{{properties,{name}}}')"),
    }
}

/// The JSON type of a property: SQLite says `integer`/`real`/`text`/`array`, PostgreSQL `number`/`string`/`array`
/// (see [`answer_keys`]).
fn prop_type(dialect: Dialect, name: &str) -> String {
    match dialect {
        Dialect::Sqlite => format!("json_type(body, '$.properties.{name}')"),
        Dialect::Postgres => format!("jsonb_typeof({PG_BODY} #> '{{properties,{name}}}')"),
    }
}

/// A stored timestamp plus a number of days (a parameter), as stored timestamps are written.
fn plus_days(dialect: Dialect, at: &str, days: &str) -> String {
    match dialect {
        Dialect::Sqlite => {
            format!("strftime('%Y-%m-%dT%H:%M:%fZ', {at}, '+' || {days} || ' days')")
        }
        Dialect::Postgres => format!(
            "to_char(({at})::timestamptz AT TIME ZONE 'UTC' + {days}::bigint * interval '1 day', \
             'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        ),
    }
}

/// Events per day: the busiest names (track events by name, page views as `Page Viewed`, identifies as `Identify`,
/// as rules name them), and the rest as `other`.
fn events_over_time(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
) -> Result<Value, StoreError> {
    let (start, end) = query.bounds();
    let rows = conn.rows(
        // Named as rules name them (`count("Page Viewed")`), so a track event called `page` is not a page view.
        "SELECT substr(timestamp, 1, 10),
             CASE type WHEN 'track' THEN event WHEN 'page' THEN 'Page Viewed' WHEN 'screen' THEN 'Screen Viewed'
                 WHEN 'identify' THEN 'Identify' WHEN 'group' THEN 'Group' ELSE 'Alias' END,
             COUNT(*)
         FROM events WHERE source = ?1 AND timestamp >= ?2 AND timestamp < ?3
         GROUP BY 1, 2",
        &[source.into(), start.as_str().into(), end.as_str().into()],
    )?;
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows {
        let day = row[0].text().unwrap_or_default().to_owned();
        let name = row[1].text().unwrap_or_default().to_owned();
        let n = row[2].int();
        *totals.entry(name.clone()).or_default() += n;
        *counts.entry((name, day)).or_default() += n;
    }
    let mut names: Vec<(&String, &i64)> = totals.iter().collect();
    names.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let named: Vec<&String> = names.iter().take(MAX_SERIES).map(|(n, _)| *n).collect();
    let days = query.days();
    let mut series = Vec::new();
    for name in &named {
        let per_day: Vec<i64> = days
            .iter()
            .map(|d| {
                counts
                    .get(&((*name).clone(), d.clone()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        series.push(json!({"name": name, "total": totals[*name], "counts": per_day}));
    }
    if names.len() > named.len() {
        let mut other = vec![0; days.len()];
        let mut total = 0;
        for ((name, day), n) in &counts {
            if named.contains(&name) {
                continue;
            }
            if let Some(i) = days.iter().position(|d| d == day) {
                other[i] += n;
                total += n;
            }
        }
        // Marked, as a track event may be called `other` too.
        series.push(json!({"name": "other", "rest": true, "total": total, "counts": other}));
    }
    let total: i64 = totals.values().sum();
    Ok(json!({"days": days, "total": total, "series": series}))
}

/// Each segment's members at the end of the range (visitors whose last enter/exit event for it was an entry),
/// and the entries and exits within the range.
fn segments(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    outline: &ConfigOutline,
) -> Result<Value, StoreError> {
    let (start, end) = query.bounds();
    let segment = prop(conn.dialect(), "segment");
    let mut rows: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    for name in &outline.segments {
        rows.insert(name.clone(), [0; 3]);
    }
    let members = conn.rows(
        &format!(
            "SELECT segment, SUM(CASE WHEN event = ?2 THEN 1 ELSE 0 END) FROM (
                 SELECT {segment} AS segment, event,
                     ROW_NUMBER() OVER (PARTITION BY anonymous_id, {segment}
                                        ORDER BY timestamp DESC, id DESC) AS latest
                 FROM events
                 WHERE source = ?1 AND type = 'track' AND event IN (?2, ?3) AND timestamp < ?4) AS moves
             WHERE latest = 1 AND segment IS NOT NULL GROUP BY segment"
        ),
        &[source.into(), SEGMENT_ENTERED.into(), SEGMENT_EXITED.into(), end.as_str().into()],
    )?;
    for row in members {
        if let Some(name) = row[0].text() {
            rows.entry(name.to_owned()).or_default()[0] = row[1].int();
        }
    }
    let moves = conn.rows(
        &format!(
            "SELECT {segment}, SUM(CASE WHEN event = ?2 THEN 1 ELSE 0 END),
                 SUM(CASE WHEN event = ?3 THEN 1 ELSE 0 END)
             FROM events
             WHERE source = ?1 AND type = 'track' AND event IN (?2, ?3) AND timestamp >= ?4 AND timestamp < ?5
             GROUP BY 1"
        ),
        &[source.into(), SEGMENT_ENTERED.into(), SEGMENT_EXITED.into(), start.as_str().into(), end.as_str().into()],
    )?;
    for row in moves {
        if let Some(name) = row[0].text() {
            let slot = rows.entry(name.to_owned()).or_default();
            slot[1] = row[1].int();
            slot[2] = row[2].int();
        }
    }
    let order = config_order(outline.segments.iter(), rows.keys());
    Ok(Value::Array(
        order
            .iter()
            .map(|name| {
                let [members, entered, exited] = rows.get(name).copied().unwrap_or_default();
                json!({"segment": name, "members": members, "entered": entered, "exited": exited})
            })
            .collect(),
    ))
}

/// Each journey's visitors per stage at the end of the range (their last stage change), stages in config order.
fn journeys(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    outline: &ConfigOutline,
) -> Result<Value, StoreError> {
    let (_, end) = query.bounds();
    let journey = prop(conn.dialect(), "journey");
    let stage = prop(conn.dialect(), "to");
    let rows = conn.rows(
        &format!(
            "SELECT journey, stage, COUNT(*) FROM (
                 SELECT {journey} AS journey, {stage} AS stage,
                     ROW_NUMBER() OVER (PARTITION BY anonymous_id, {journey}
                                        ORDER BY timestamp DESC, id DESC) AS latest
                 FROM events WHERE source = ?1 AND type = 'track' AND event = ?2 AND timestamp < ?3) AS changes
             WHERE latest = 1 AND journey IS NOT NULL AND stage IS NOT NULL GROUP BY 1, 2"
        ),
        &[source.into(), STAGE_CHANGED.into(), end.as_str().into()],
    )?;
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in rows {
        if let (Some(journey), Some(stage)) = (row[0].text(), row[1].text()) {
            counts.insert((journey.to_owned(), stage.to_owned()), row[2].int());
        }
    }
    let mut journeys: Vec<(String, Vec<String>)> = outline.journeys.clone();
    for (journey, stage) in counts.keys() {
        match journeys.iter_mut().find(|(name, _)| name == journey) {
            Some((_, stages)) if !stages.contains(stage) => stages.push(stage.clone()),
            Some(_) => {}
            None => journeys.push((journey.clone(), vec![stage.clone()])),
        }
    }
    Ok(Value::Array(
        journeys
            .iter()
            .map(|(journey, stages)| {
                let stages: Vec<Value> = stages
                    .iter()
                    .map(|stage| {
                        let n = counts
                            .get(&(journey.clone(), stage.clone()))
                            .copied()
                            .unwrap_or(0);
                        json!({"stage": stage, "visitors": n})
                    })
                    .collect();
                json!({"journey": journey, "stages": stages})
            })
            .collect(),
    ))
}

/// One answer as it is counted: numbers and strings as themselves, each element of a multiple choice apart.
/// `kind` is the JSON type as either database names it.
fn answer_keys(kind: &str, text: &str) -> Vec<String> {
    match kind {
        "array" => serde_json::from_str::<Vec<Value>>(text)
            .unwrap_or_default()
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        // A number is one answer however it was written (`9` and `9.0`, as other clients send them).
        "integer" | "real" | "number" => vec![text
            .parse::<f64>()
            .ok()
            .and_then(crate::ingest::integer_text)
            .unwrap_or_else(|| text.to_owned())],
        "text" | "string" => vec![text.to_owned()],
        _ => Vec::new(),
    }
}

/// The survey answers of a range (`?1` source, `?2` the answered event, `?3`–`?4` the range) with their campaign,
/// question, JSON type (`kind`) and answer, numbered per visitor and question from the last (`nth = 1`): a visitor
/// who answers a question again (back to a survey left half-way, or shown it again) is one respondent, with their
/// last answer, as NPS counts respondents. A visitor is the anonymous id (else the user id, else the message).
fn last_answers(d: Dialect) -> String {
    let (campaign, question) = (prop(d, "campaign"), prop(d, "question"));
    format!(
        "SELECT id, timestamp, {campaign} AS campaign, {question} AS question, {} AS kind, {} AS answer,
                ROW_NUMBER() OVER (PARTITION BY {campaign}, {question}, COALESCE(anonymous_id, user_id, message_id)
                                   ORDER BY timestamp DESC, id DESC) AS nth
         FROM events
         WHERE source = ?1 AND type = 'track' AND event = ?2 AND timestamp >= ?3 AND timestamp < ?4",
        prop_type(d, "answer"),
        prop(d, "answer")
    )
}

/// Every question answered in the range (each visitor's last answer, [`last_answers`]): answer counts, and by the
/// question's kind an NPS score (0–10: share
/// of 9–10 minus share of 0–6, in points), a CSAT share (4–5 of 1–5) or an average rating; free text is listed.
fn surveys(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    outline: &ConfigOutline,
) -> Result<Value, StoreError> {
    let (start, end) = query.bounds();
    let rows = conn.rows(
        &format!(
            "SELECT campaign, question, kind, answer, COUNT(*) FROM ({}) answers
             WHERE nth = 1
             GROUP BY 1, 2, 3, 4",
            last_answers(conn.dialect())
        ),
        &[
            source.into(),
            outcome::ANSWERED.into(),
            start.as_str().into(),
            end.as_str().into(),
        ],
    )?;
    // (campaign, question) → (responses, answer → count)
    let mut questions: BTreeMap<(String, String), (i64, BTreeMap<String, i64>)> = BTreeMap::new();
    for row in rows {
        let (Some(campaign), Some(question), Some(kind), Some(text)) =
            (row[0].text(), row[1].text(), row[2].text(), row[3].text())
        else {
            continue;
        };
        let n = row[4].int();
        let entry = questions
            .entry((campaign.to_owned(), question.to_owned()))
            .or_default();
        entry.0 += n;
        for key in answer_keys(kind, text) {
            *entry.1.entry(key).or_default() += n;
        }
    }
    let mut out = Vec::new();
    for ((campaign, question), (responses, answers)) in &questions {
        let kind = outline
            .questions
            .get(&(campaign.clone(), question.clone()))
            .map_or("", String::as_str);
        let mut item = Map::new();
        item.insert("campaign".into(), json!(campaign));
        item.insert("question".into(), json!(question));
        item.insert("kind".into(), json!(kind));
        item.insert("responses".into(), json!(responses));
        let numeric = |lo: f64, hi: f64| -> Vec<(f64, i64)> {
            answers
                .iter()
                .filter_map(|(k, n)| k.parse::<f64>().ok().map(|v| (v, *n)))
                .filter(|(v, _)| (lo..=hi).contains(v))
                .collect()
        };
        match kind {
            "nps" => {
                let scores = numeric(0.0, 10.0);
                let total: i64 = scores.iter().map(|(_, n)| n).sum();
                let share = |f: &dyn Fn(f64) -> bool| -> i64 {
                    scores.iter().filter(|(v, _)| f(*v)).map(|(_, n)| n).sum()
                };
                let (promoters, detractors) = (share(&|v| v >= 9.0), share(&|v| v <= 6.0));
                let passives = total - promoters - detractors;
                let score = (total > 0).then(|| {
                    ((promoters - detractors) as f64 * 100.0 / total as f64).round() as i64
                });
                item.insert(
                    "nps".into(),
                    json!({"score": score, "promoters": promoters, "passives": passives,
                           "detractors": detractors}),
                );
            }
            "csat" => {
                let scores = numeric(1.0, 5.0);
                let total: i64 = scores.iter().map(|(_, n)| n).sum();
                let satisfied: i64 = scores
                    .iter()
                    .filter(|(v, _)| *v >= 4.0)
                    .map(|(_, n)| n)
                    .sum();
                let share =
                    (total > 0).then(|| (satisfied as f64 * 100.0 / total as f64).round() as i64);
                item.insert(
                    "csat".into(),
                    json!({"satisfiedPercent": share, "satisfied": satisfied}),
                );
            }
            "rating" => {
                let scores = numeric(f64::MIN, f64::MAX);
                let total: i64 = scores.iter().map(|(_, n)| n).sum();
                let sum: f64 = scores.iter().map(|(v, n)| v * *n as f64).sum();
                let average = (total > 0).then(|| (sum / total as f64 * 100.0).round() / 100.0);
                item.insert("average".into(), json!(average));
            }
            _ => {}
        }
        if kind == "text" {
            item.insert(
                "texts".into(),
                json!(latest_texts(conn, source, query, campaign, question)?),
            );
        } else {
            let mut counts: Vec<(&String, &i64)> = answers.iter().collect();
            if !matches!(kind, "nps" | "csat" | "rating") {
                counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            } else {
                counts.sort_by(|a, b| {
                    let value = |k: &str| k.parse::<f64>().unwrap_or(f64::MAX);
                    value(a.0).total_cmp(&value(b.0))
                });
            }
            item.insert(
                "answers".into(),
                Value::Array(
                    counts
                        .iter()
                        .map(|(answer, n)| json!({"answer": answer, "count": n}))
                        .collect(),
                ),
            );
        }
        out.push(Value::Object(item));
    }
    // Config order of campaigns, then of each survey's questions; what the config does not name after, by name.
    let position = |v: &Value| {
        let id = v["campaign"].as_str().unwrap_or_default();
        let question = v["question"].as_str().unwrap_or_default();
        let campaign = outline.campaigns.iter().position(|(c, _)| c == id);
        let asked = outline
            .question_order
            .iter()
            .position(|(c, q)| c == id && q == question);
        (campaign.unwrap_or(usize::MAX), asked.unwrap_or(usize::MAX))
    };
    out.sort_by_key(position);
    Ok(Value::Array(out))
}

fn latest_texts(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    campaign: &str,
    question: &str,
) -> Result<Vec<Value>, StoreError> {
    let (start, end) = query.bounds();
    let d = conn.dialect();
    let string = match d {
        Dialect::Sqlite => "'text'",
        Dialect::Postgres => "'string'",
    };
    let rows = conn.rows(
        &format!(
            "SELECT timestamp, answer FROM ({}) answers
             WHERE nth = 1 AND campaign = ?5 AND question = ?6 AND kind = {string}
             ORDER BY timestamp DESC, id DESC LIMIT ?7",
            last_answers(d)
        ),
        &[
            source.into(),
            outcome::ANSWERED.into(),
            start.as_str().into(),
            end.as_str().into(),
            campaign.into(),
            question.into(),
            (MAX_TEXTS as i64).into(),
        ],
    )?;
    Ok(rows
        .iter()
        .map(|row| json!({"at": row[0].text(), "text": row[1].text()}))
        .collect())
}

/// Reward claims in the range per campaign: claims, visitors, and how (copy, share, …).
fn rewards(conn: &mut Reader, source: &str, query: &ReportQuery) -> Result<Value, StoreError> {
    let (start, end) = query.bounds();
    let d = conn.dialect();
    let rows = conn.rows(
        &format!(
            "SELECT {}, COALESCE({}, ''), COUNT(*)
             FROM events
             WHERE source = ?1 AND type = 'track' AND event = ?2 AND timestamp >= ?3 AND timestamp < ?4
             GROUP BY 1, 2",
            prop(d, "campaign"),
            prop(d, "how")
        ),
        &[source.into(), outcome::REWARD_CLAIMED.into(), start.as_str().into(), end.as_str().into()],
    )?;
    let mut by_campaign: BTreeMap<String, (i64, Map<String, Value>)> = BTreeMap::new();
    for row in rows {
        let Some(campaign) = row[0].text() else {
            continue;
        };
        let how = row[1].text().unwrap_or_default();
        let n = row[2].int();
        let entry = by_campaign.entry(campaign.to_owned()).or_default();
        entry.0 += n;
        // A claim with no `how` and one saying "unknown" are one kind: added up, not the one replacing the other.
        let how = if how.is_empty() { "unknown" } else { how };
        let count = entry.1.entry(how).or_insert(json!(0));
        *count = json!(count.as_i64().unwrap_or(0) + n);
    }
    let visitors: BTreeMap<String, i64> = conn
        .rows(
            &format!(
                "SELECT {}, COUNT(DISTINCT anonymous_id)
                 FROM events
                 WHERE source = ?1 AND type = 'track' AND event = ?2 AND timestamp >= ?3 AND timestamp < ?4
                 GROUP BY 1",
                prop(d, "campaign")
            ),
            &[source.into(), outcome::REWARD_CLAIMED.into(), start.as_str().into(), end.as_str().into()],
        )?
        .iter()
        .filter_map(|row| Some((row[0].text()?.to_owned(), row[1].int())))
        .collect();
    Ok(Value::Array(
        by_campaign
            .into_iter()
            .map(|(campaign, (claims, how))| {
                let n = visitors.get(&campaign).copied().unwrap_or(0);
                json!({"campaign": campaign, "claims": claims, "visitors": n, "how": how})
            })
            .collect(),
    ))
}

/// Each campaign's outcomes in the range, in visitors, and conversion to the goal for the shown arm against the
/// held-out arm: a visitor converts when the goal event follows their first exposure within the window. A visitor
/// is in one arm, that of their first exposure in the range (shown or held out; the first received at the same
/// time), even when a later one (after the holdout changed) was of the other.
fn campaigns(
    conn: &mut Reader,
    source: &str,
    query: &ReportQuery,
    outline: &ConfigOutline,
) -> Result<Value, StoreError> {
    let (start, end) = query.bounds();
    let d = conn.dialect();
    let kinds = [
        (outcome::SHOWN, "shown"),
        (outcome::HELD_OUT, "heldOut"),
        (outcome::ANSWERED, "answered"),
        (outcome::COMPLETED, "completed"),
        (outcome::DISMISSED, "dismissed"),
        (outcome::REWARD_CLAIMED, "rewardClaimed"),
    ];
    let rows = conn.rows(
        &format!(
            "SELECT {}, event, COUNT(DISTINCT anonymous_id)
             FROM events
             WHERE source = ?1 AND type = 'track' AND event IN (?2, ?3, ?4, ?5, ?6, ?7)
                 AND timestamp >= ?8 AND timestamp < ?9
             GROUP BY 1, 2",
            prop(d, "campaign")
        ),
        &[
            source.into(),
            kinds[0].0.into(),
            kinds[1].0.into(),
            kinds[2].0.into(),
            kinds[3].0.into(),
            kinds[4].0.into(),
            kinds[5].0.into(),
            start.as_str().into(),
            end.as_str().into(),
        ],
    )?;
    let mut counts: BTreeMap<String, BTreeMap<&'static str, i64>> = BTreeMap::new();
    for (id, _) in &outline.campaigns {
        counts.entry(id.clone()).or_default();
    }
    for row in rows {
        let (Some(campaign), Some(event)) = (row[0].text(), row[1].text()) else {
            continue;
        };
        if let Some((_, key)) = kinds.iter().find(|(name, _)| *name == event) {
            counts
                .entry(campaign.to_owned())
                .or_default()
                .insert(key, row[2].int());
        }
    }
    let rows = conn.rows(
        &format!(
            "WITH exposures AS (
                 SELECT {} AS campaign, event AS arm, anonymous_id AS visitor, timestamp AS at,
                     ROW_NUMBER() OVER (PARTITION BY {}, anonymous_id ORDER BY timestamp, id) AS nth
                 FROM events
                 WHERE source = ?1 AND type = 'track' AND event IN (?2, ?3) AND timestamp >= ?4 AND timestamp < ?5),
             exposure AS (SELECT campaign, arm, visitor, at FROM exposures WHERE nth = 1),
             goal AS (
                 SELECT anonymous_id AS visitor, timestamp AS at FROM events
                 WHERE source = ?1 AND type = 'track' AND event = ?6 AND timestamp >= ?4)
             SELECT campaign, arm, COUNT(*), SUM(CASE WHEN EXISTS (
                 SELECT 1 FROM goal WHERE goal.visitor = exposure.visitor AND goal.at > exposure.at
                     AND goal.at <= {}) THEN 1 ELSE 0 END)
             FROM exposure WHERE campaign IS NOT NULL GROUP BY 1, 2",
            prop(d, "campaign"),
            prop(d, "campaign"),
            plus_days(d, "exposure.at", "?7")
        ),
        &[source.into(), outcome::SHOWN.into(), outcome::HELD_OUT.into(), start.as_str().into(), end.as_str().into(), query.goal.as_str().into(), query.window_days.into()],
    )?;
    let mut arms: BTreeMap<(String, bool), (i64, i64)> = BTreeMap::new();
    for row in rows {
        let (Some(campaign), Some(arm)) = (row[0].text(), row[1].text()) else {
            continue;
        };
        arms.insert(
            (campaign.to_owned(), arm == outcome::SHOWN),
            (row[2].int(), row[3].int()),
        );
    }
    let order = config_order(outline.campaigns.iter().map(|(id, _)| id), counts.keys());
    let counts_of = |campaign: &str, shown: bool| {
        arms.get(&(campaign.to_owned(), shown))
            .copied()
            .unwrap_or((0, 0))
    };
    let arm = |(visitors, converted): (i64, i64)| {
        let rate = rate(converted, visitors);
        (
            json!({"visitors": visitors, "converted": converted, "rate": rate}),
            rate,
        )
    };
    Ok(Value::Array(
        order
            .iter()
            .map(|id| {
                let kind = outline
                    .campaigns
                    .iter()
                    .find(|(c, _)| c == id)
                    .map_or("", |(_, k)| k.as_str());
                let mut outcomes = Map::new();
                for (_, key) in kinds {
                    let n = counts
                        .get(id)
                        .and_then(|c| c.get(key))
                        .copied()
                        .unwrap_or(0);
                    outcomes.insert(key.into(), json!(n));
                }
                let (shown_visitors, shown_converted) = counts_of(id, true);
                let (held_visitors, held_converted) = counts_of(id, false);
                let (shown, shown_rate) = arm((shown_visitors, shown_converted));
                let (held_out, held_rate) = arm((held_visitors, held_converted));
                // Lift in points of conversion rate; undefined without both arms.
                let lift = match (shown_rate, held_rate) {
                    (Some(s), Some(h)) => json!(((s - h) * 10.0).round() / 10.0),
                    _ => Value::Null,
                };
                // Its 95% interval: a lift whose interval holds 0 may be noise.
                let interval = crate::stats::difference_interval(
                    shown_converted,
                    shown_visitors,
                    held_converted,
                    held_visitors,
                )
                .map_or(Value::Null, |(low, high)| {
                    json!([
                        (low * 1000.0).round() / 10.0,
                        (high * 1000.0).round() / 10.0
                    ])
                });
                json!({
                    "campaign": id,
                    "action": kind,
                    "outcomes": outcomes,
                    "conversion": {
                        "shown": shown,
                        "heldOut": held_out,
                        "liftPoints": lift,
                        "liftInterval": interval,
                    },
                })
            })
            .collect(),
    ))
}

/// The config's names in config order, then those only the events name.
fn config_order<'a>(
    configured: impl Iterator<Item = &'a String>,
    seen: impl Iterator<Item = &'a String>,
) -> Vec<String> {
    let mut order: Vec<String> = configured.cloned().collect();
    for name in seen {
        if !order.contains(name) {
            order.push(name.clone());
        }
    }
    order
}

/// A share in percent with one decimal, or `None` of nothing.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{params, Connection};

    fn day(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    fn db() -> Reader {
        let conn = Connection::open_in_memory().unwrap();
        crate::store::create_schema(&conn).unwrap();
        Reader::Sqlite(conn)
    }

    /// Stores one event of `visitor` at `at` (`MM-DDTHH:MM`, in November 2026).
    fn put(
        reader: &mut Reader,
        visitor: &str,
        kind: &str,
        event: Option<&str>,
        at: &str,
        properties: Value,
    ) {
        let Reader::Sqlite(conn) = reader else {
            unreachable!("the report tests run on SQLite")
        };
        let n: i64 = conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))
            .unwrap();
        let timestamp = if at.ends_with('Z') {
            format!("2026-{at}")
        } else {
            format!("2026-{at}:00.000Z")
        };
        let body =
            json!({"type": kind, "event": event, "anonymousId": visitor, "properties": properties});
        conn.execute(
            "INSERT INTO events (source, message_id, type, event, anonymous_id, user_id, timestamp, received_at, body)
             VALUES ('demo', ?1, ?2, ?3, ?4, NULL, ?5, ?5, ?6)",
            params![format!("m{n}"), kind, event, visitor, timestamp, body.to_string()],
        )
        .unwrap();
    }

    fn track(conn: &mut Reader, visitor: &str, event: &str, at: &str, properties: Value) {
        put(conn, visitor, "track", Some(event), at, properties);
    }

    fn november() -> ReportQuery {
        ReportQuery::parse("from=2026-11-01&to=2026-11-30", day("2026-11-25")).unwrap()
    }

    #[test]
    fn a_number_is_one_answer_however_it_was_written() {
        assert_eq!(answer_keys("real", "9.0"), ["9"]);
        assert_eq!(answer_keys("number", "9"), ["9"]);
        assert_eq!(answer_keys("integer", "9"), ["9"]);
        assert_eq!(answer_keys("real", "4.5"), ["4.5"]);
        assert_eq!(answer_keys("string", "9.0"), ["9.0"]);
    }

    fn outline() -> ConfigOutline {
        ConfigOutline::from_text(&json!({
            "segments": {"buyers": "count(\"Order Completed\") >= 1", "idle": "false"},
            "journeys": {"lifecycle": [{"stage": "awareness", "rule": "true"}, {"stage": "purchase", "rule": "x"}]},
            "campaigns": [
                {"id": "nps", "action": {"type": "survey", "questions": [
                    {"id": "score", "type": "nps"}, {"id": "love", "type": "multiple"}, {"id": "why", "type": "text"}]}},
                {"id": "coupon", "action": {"type": "reward"}}
            ]
        }).to_string())
    }

    #[test]
    fn the_outline_keeps_the_config_order() {
        let outline = ConfigOutline::from_text(
            r#"{"segments": {"zeta": "true", "alpha": "true"},
                "journeys": {"z": [{"stage": "b"}, {"stage": "a"}], "a": []},
                "campaigns": [{"id": "q", "action": {"type": "survey", "questions": [{"id": "s", "type": "nps"}]}}]}"#,
        );
        assert_eq!(outline.segments, ["zeta", "alpha"]);
        assert_eq!(
            outline.journeys[0],
            ("z".to_owned(), vec!["b".to_owned(), "a".to_owned()])
        );
        assert_eq!(outline.journeys[1].0, "a");
        assert_eq!(outline.campaigns, [("q".to_owned(), "survey".to_owned())]);
        assert_eq!(outline.questions[&("q".to_owned(), "s".to_owned())], "nps");
        assert!(ConfigOutline::from_text("not json").campaigns.is_empty());
    }

    #[test]
    fn the_query_defaults_to_the_last_30_days_and_refuses_bad_ranges() {
        let today = day("2026-11-25");
        let q = ReportQuery::parse("", today).unwrap();
        assert_eq!((q.from, q.to), (day("2026-10-27"), today));
        assert_eq!(
            (q.goal.as_str(), q.window_days),
            (DEFAULT_GOAL, DEFAULT_WINDOW_DAYS)
        );
        let q = ReportQuery::parse(
            "?from=2026-01-01&to=2026-01-31&goal=Signed%20Up&window=3",
            today,
        )
        .unwrap();
        assert_eq!(
            (q.from, q.to, q.goal.as_str(), q.window_days),
            (day("2026-01-01"), day("2026-01-31"), "Signed Up", 3)
        );
        assert_eq!(
            q.bounds(),
            (
                "2026-01-01T00:00:00.000Z".into(),
                "2026-02-01T00:00:00.000Z".into()
            )
        );
        for bad in [
            "from=2026-02-01&to=2026-01-01",
            "from=2026-13-01",
            "to=yesterday",
            "from=2026-1-01",
            "window=0",
            "window=366",
            "from=2024-01-01&to=2025-12-31",
        ] {
            assert!(ReportQuery::parse(bad, today).is_err(), "{bad}");
        }
        assert!(ReportQuery::parse("from=2025-01-01&to=2026-01-01", today).is_ok());
    }

    #[test]
    fn an_empty_parameter_takes_its_default() {
        let today = day("2026-11-25");
        let default = ReportQuery::parse("", today).unwrap();
        for query in [
            "from=&to=&goal=&window=",
            "from=+&to=%20&window=",
            "from&to&window",
        ] {
            assert_eq!(
                ReportQuery::parse(query, today),
                Ok(default.clone()),
                "{query}"
            );
        }
        let q = ReportQuery::parse("from=&to=2026-01-31", today).unwrap();
        assert_eq!((q.from, q.to), (day("2026-01-02"), day("2026-01-31")));
    }

    #[test]
    fn the_query_stays_within_four_digit_years() {
        let today = day("2026-11-25");
        for bad in ["to=9999-12-31", "from=9999-12-31&to=9999-12-31"] {
            assert!(ReportQuery::parse(bad, today).is_err(), "{bad}");
        }
        let q = ReportQuery::parse("from=9999-12-30&to=9999-12-30", today).unwrap();
        assert_eq!(
            q.bounds(),
            (
                "9999-12-30T00:00:00.000Z".into(),
                "9999-12-31T00:00:00.000Z".into()
            )
        );
        let q = ReportQuery::parse("to=0000-01-05", today).unwrap();
        assert_eq!((q.from, q.to), (day("0000-01-01"), day("0000-01-05")));
        assert_eq!(q.days().first().map(String::as_str), Some("0000-01-01"));
        assert_eq!(q.bounds().0, "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn events_over_time_counts_each_day_with_the_busiest_names_and_the_rest_as_other() {
        let mut conn = db();
        put(&mut conn, "a", "page", None, "11-01T10:00", json!({}));
        put(&mut conn, "a", "page", None, "11-03T10:00", json!({}));
        put(&mut conn, "b", "identify", None, "11-03T11:00", json!({}));
        for (i, name) in ["A", "B", "C", "D", "E", "F", "G"].iter().enumerate() {
            for _ in 0..(10 - i) {
                track(&mut conn, "a", name, "11-02T09:00", json!({}));
            }
        }
        // Outside the range: not counted.
        put(&mut conn, "a", "page", None, "12-01T00:00", json!({}));
        let q = ReportQuery::parse("from=2026-11-01&to=2026-11-03", day("2026-11-25")).unwrap();
        let events = events_over_time(&mut conn, "demo", &q).unwrap();
        assert_eq!(
            events["days"],
            json!(["2026-11-01", "2026-11-02", "2026-11-03"])
        );
        assert_eq!(events["total"], json!(3 + 10 + 9 + 8 + 7 + 6 + 5 + 4));
        let series = events["series"].as_array().unwrap();
        let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "other"]);
        assert_eq!(series[6]["rest"], true);
        assert_eq!(series[0]["counts"], json!([0, 10, 0]));
        // G (4), page (2) and identify (1) are the rest.
        assert_eq!(series[6]["counts"], json!([1, 4, 2]));
        assert_eq!(series[6]["total"], json!(7));
        // Another source's events are not this source's.
        assert_eq!(
            events_over_time(&mut conn, "other", &q).unwrap()["total"],
            json!(0)
        );
    }

    /// Page views and identifies are named as rules name them, so a track event called `page` or `identify` is
    /// its own series; one called `Page Viewed` counts with page views, as `count("Page Viewed")` counts it. The
    /// rest is marked as such, apart from a track event called `other`.
    #[test]
    fn events_over_time_names_built_in_kinds_as_rules_do() {
        let mut conn = db();
        put(&mut conn, "a", "page", None, "11-01T10:00", json!({}));
        put(&mut conn, "a", "identify", None, "11-01T10:00", json!({}));
        track(&mut conn, "a", "page", "11-01T10:00", json!({}));
        track(&mut conn, "a", "Page Viewed", "11-01T10:00", json!({}));
        track(&mut conn, "a", "other", "11-01T10:00", json!({}));
        let q = ReportQuery::parse("from=2026-11-01&to=2026-11-01", day("2026-11-25")).unwrap();
        let events = events_over_time(&mut conn, "demo", &q).unwrap();
        let totals: BTreeMap<&str, i64> = events["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["total"].as_i64().unwrap()))
            .collect();
        assert_eq!(
            totals,
            BTreeMap::from([
                ("Page Viewed", 2),
                ("Identify", 1),
                ("page", 1),
                ("other", 1)
            ]),
            "{events}"
        );
        assert!(events["series"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["rest"].is_null()));
    }

    #[test]
    fn segment_members_are_visitors_whose_last_move_was_an_entry() {
        let mut conn = db();
        let seg = |s: &str| json!({"segment": s});
        track(
            &mut conn,
            "a",
            SEGMENT_ENTERED,
            "11-02T10:00",
            seg("buyers"),
        );
        track(
            &mut conn,
            "b",
            SEGMENT_ENTERED,
            "11-02T10:00",
            seg("buyers"),
        );
        track(&mut conn, "b", SEGMENT_EXITED, "11-03T10:00", seg("buyers"));
        track(
            &mut conn,
            "c",
            SEGMENT_ENTERED,
            "10-20T10:00",
            seg("buyers"),
        );
        track(&mut conn, "d", SEGMENT_ENTERED, "11-05T10:00", seg("vip"));
        // After the range: not yet.
        track(&mut conn, "a", SEGMENT_EXITED, "12-02T10:00", seg("buyers"));
        let rows = segments(&mut conn, "demo", &november(), &outline()).unwrap();
        assert_eq!(
            rows,
            json!([
                {"segment": "buyers", "members": 2, "entered": 2, "exited": 1},
                {"segment": "idle", "members": 0, "entered": 0, "exited": 0},
                {"segment": "vip", "members": 1, "entered": 1, "exited": 0},
            ])
        );
    }

    #[test]
    fn stage_sizes_take_each_visitors_last_stage_in_config_order() {
        let mut conn = db();
        let to = |s: &str| json!({"journey": "lifecycle", "from": null, "to": s});
        track(
            &mut conn,
            "a",
            STAGE_CHANGED,
            "11-02T10:00",
            to("awareness"),
        );
        track(&mut conn, "a", STAGE_CHANGED, "11-03T10:00", to("purchase"));
        track(
            &mut conn,
            "b",
            STAGE_CHANGED,
            "11-02T10:00",
            to("awareness"),
        );
        track(
            &mut conn,
            "c",
            STAGE_CHANGED,
            "11-02T10:00",
            json!({"journey": "onboarding", "to": "setup"}),
        );
        let rows = journeys(&mut conn, "demo", &november(), &outline()).unwrap();
        assert_eq!(
            rows,
            json!([
                {"journey": "lifecycle", "stages": [
                    {"stage": "awareness", "visitors": 1}, {"stage": "purchase", "visitors": 1}]},
                {"journey": "onboarding", "stages": [{"stage": "setup", "visitors": 1}]},
            ])
        );
    }

    #[test]
    fn surveys_give_nps_counts_choices_apart_and_list_free_text_newest_first() {
        let mut conn = db();
        let answer = |q: &str, a: Value| json!({"campaign": "nps", "question": q, "answer": a});
        for (visitor, score) in [("a", 10), ("b", 9), ("c", 8), ("d", 3)] {
            track(
                &mut conn,
                visitor,
                outcome::ANSWERED,
                "11-02T10:00",
                answer("score", json!(score)),
            );
        }
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:01",
            answer("love", json!(["price", "speed"])),
        );
        track(
            &mut conn,
            "b",
            outcome::ANSWERED,
            "11-02T10:01",
            answer("love", json!(["speed"])),
        );
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:02",
            answer("why", json!("cheap")),
        );
        track(
            &mut conn,
            "b",
            outcome::ANSWERED,
            "11-03T10:02",
            answer("why", json!("<b>fast</b>")),
        );
        let rows = surveys(&mut conn, "demo", &november(), &outline()).unwrap();
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 3);
        // In the order the survey asks them, not by name.
        let asked: Vec<&str> = rows.iter().filter_map(|r| r["question"].as_str()).collect();
        assert_eq!(asked, ["score", "love", "why"]);
        let score = rows.iter().find(|r| r["question"] == "score").unwrap();
        assert_eq!(score["kind"], "nps");
        assert_eq!(score["responses"], 4);
        // 2 promoters, 1 passive, 1 detractor of 4: (2 - 1) / 4 = 25.
        assert_eq!(
            score["nps"],
            json!({"score": 25, "promoters": 2, "passives": 1, "detractors": 1})
        );
        assert_eq!(
            score["answers"],
            json!([{"answer": "3", "count": 1}, {"answer": "8", "count": 1},
                   {"answer": "9", "count": 1}, {"answer": "10", "count": 1}])
        );
        let love = rows.iter().find(|r| r["question"] == "love").unwrap();
        assert_eq!(love["responses"], 2);
        assert_eq!(
            love["answers"],
            json!([{"answer": "speed", "count": 2}, {"answer": "price", "count": 1}])
        );
        let why = rows.iter().find(|r| r["question"] == "why").unwrap();
        let texts: Vec<&str> = why["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts, ["<b>fast</b>", "cheap"]);
    }

    /// A visitor who answers a question again (back to a survey left half-way, or shown it again) is one
    /// respondent: their last answer counts, as NPS counts respondents, and their last text is the one listed.
    #[test]
    fn each_visitor_counts_once_per_question_with_their_last_answer() {
        let mut conn = db();
        let answer = |q: &str, a: Value| json!({"campaign": "nps", "question": q, "answer": a});
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:00",
            answer("score", json!(3)),
        );
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:05",
            answer("score", json!(10)),
        );
        track(
            &mut conn,
            "b",
            outcome::ANSWERED,
            "11-02T10:00",
            answer("score", json!(9)),
        );
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:01",
            answer("why", json!("too")),
        );
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:06",
            answer("why", json!("too slow")),
        );
        let rows = surveys(&mut conn, "demo", &november(), &outline()).unwrap();
        let score = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["question"] == "score")
            .unwrap();
        assert_eq!(score["responses"], 2);
        assert_eq!(
            score["nps"],
            json!({"score": 100, "promoters": 2, "passives": 0, "detractors": 0})
        );
        let why = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["question"] == "why")
            .unwrap();
        assert_eq!(why["responses"], 1);
        assert_eq!(why["texts"].as_array().unwrap().len(), 1);
        assert_eq!(why["texts"][0]["text"], "too slow");
    }

    #[test]
    fn rewards_count_claims_visitors_and_how() {
        let mut conn = db();
        let claim = |how: &str| json!({"campaign": "coupon", "how": how});
        track(
            &mut conn,
            "a",
            outcome::REWARD_CLAIMED,
            "11-02T10:00",
            claim("copy"),
        );
        track(
            &mut conn,
            "a",
            outcome::REWARD_CLAIMED,
            "11-02T10:01",
            claim("copy"),
        );
        track(
            &mut conn,
            "b",
            outcome::REWARD_CLAIMED,
            "11-02T10:00",
            claim("share"),
        );
        let rows = rewards(&mut conn, "demo", &november()).unwrap();
        assert_eq!(
            rows,
            json!([{"campaign": "coupon", "claims": 3, "visitors": 2, "how": {"copy": 2, "share": 1}}])
        );
        // A claim with no `how`, one with an empty `how` and one saying "unknown" are all counted as unknown.
        track(
            &mut conn,
            "c",
            outcome::REWARD_CLAIMED,
            "11-03T10:00",
            json!({"campaign": "coupon"}),
        );
        track(
            &mut conn,
            "c",
            outcome::REWARD_CLAIMED,
            "11-03T10:01",
            claim(""),
        );
        track(
            &mut conn,
            "c",
            outcome::REWARD_CLAIMED,
            "11-03T10:02",
            claim("unknown"),
        );
        let rows = rewards(&mut conn, "demo", &november()).unwrap();
        assert_eq!(rows[0]["claims"], 6);
        assert_eq!(rows[0]["how"]["unknown"], 3, "{rows}");
    }

    #[test]
    fn campaigns_compare_conversion_of_the_shown_and_held_out_arms_within_the_window() {
        let mut conn = db();
        let c = json!({"campaign": "nps"});
        // Shown: a converts after 2 days, b after 10 (outside 7), c never; e converted before being shown.
        for v in ["a", "b", "c", "e"] {
            track(&mut conn, v, outcome::SHOWN, "11-02T10:00", c.clone());
        }
        track(&mut conn, "a", outcome::SHOWN, "11-03T10:00", c.clone());
        track(&mut conn, "a", "Order Completed", "11-04T10:00", json!({}));
        track(&mut conn, "b", "Order Completed", "11-12T10:00", json!({}));
        track(&mut conn, "e", "Order Completed", "11-01T10:00", json!({}));
        track(
            &mut conn,
            "a",
            outcome::ANSWERED,
            "11-02T10:01",
            json!({"campaign": "nps", "question": "score", "answer": 9}),
        );
        track(&mut conn, "c", outcome::DISMISSED, "11-02T10:01", c.clone());
        // Held out: f converts, g does not.
        track(&mut conn, "f", outcome::HELD_OUT, "11-02T10:00", c.clone());
        track(&mut conn, "g", outcome::HELD_OUT, "11-02T10:00", c.clone());
        track(&mut conn, "f", "Order Completed", "11-02T12:00", json!({}));
        let rows = campaigns(&mut conn, "demo", &november(), &outline()).unwrap();
        let nps = &rows[0];
        assert_eq!(nps["campaign"], "nps");
        assert_eq!(nps["action"], "survey");
        assert_eq!(
            nps["outcomes"],
            json!({"shown": 4, "heldOut": 2, "answered": 1, "completed": 0, "dismissed": 1, "rewardClaimed": 0})
        );
        assert_eq!(
            nps["conversion"]["shown"],
            json!({"visitors": 4, "converted": 1, "rate": 25.0})
        );
        assert_eq!(
            nps["conversion"]["heldOut"],
            json!({"visitors": 2, "converted": 1, "rate": 50.0})
        );
        assert_eq!(nps["conversion"]["liftPoints"], json!(-25.0));
        // 1 of 4 against 1 of 2: far from telling.
        assert_eq!(nps["conversion"]["liftInterval"], json!([-70.4, 35.5]));
        // A campaign with no events is listed with zeros and no lift.
        assert_eq!(rows[1]["campaign"], "coupon");
        assert_eq!(rows[1]["conversion"]["liftPoints"], Value::Null);
        assert_eq!(rows[1]["conversion"]["liftInterval"], Value::Null);
        // A wider window counts b too.
        let wide = ReportQuery {
            window_days: 14,
            ..november()
        };
        let rows = campaigns(&mut conn, "demo", &wide, &outline()).unwrap();
        assert_eq!(rows[0]["conversion"]["shown"]["converted"], 2);
    }

    #[test]
    fn a_visitor_counts_in_the_arm_of_their_first_exposure_only() {
        let mut conn = db();
        let c = json!({"campaign": "nps"});
        // The holdout changed mid-range: v was shown, then held out; w was held out, then shown.
        track(&mut conn, "v", outcome::SHOWN, "11-02T10:00", c.clone());
        track(&mut conn, "v", outcome::HELD_OUT, "11-03T10:00", c.clone());
        track(&mut conn, "v", "Order Completed", "11-04T10:00", json!({}));
        track(&mut conn, "w", outcome::HELD_OUT, "11-02T10:00", c.clone());
        track(&mut conn, "w", outcome::SHOWN, "11-05T10:00", c.clone());
        // Shown and held out at the same time: the first received decides.
        track(&mut conn, "x", outcome::HELD_OUT, "11-06T10:00", c.clone());
        track(&mut conn, "x", outcome::SHOWN, "11-06T10:00", c.clone());
        track(&mut conn, "x", "Order Completed", "11-07T10:00", json!({}));
        let rows = campaigns(&mut conn, "demo", &november(), &outline()).unwrap();
        let conversion = &rows[0]["conversion"];
        assert_eq!(
            conversion["shown"],
            json!({"visitors": 1, "converted": 1, "rate": 100.0})
        );
        assert_eq!(
            conversion["heldOut"],
            json!({"visitors": 2, "converted": 1, "rate": 50.0})
        );
        assert_eq!(conversion["liftPoints"], json!(50.0));
    }

    #[test]
    fn the_whole_report_has_every_part() {
        let mut conn = db();
        put(&mut conn, "a", "page", None, "11-02T10:00", json!({}));
        let report = build(&mut conn, "demo", &november(), &outline()).unwrap();
        for key in [
            "events",
            "segments",
            "journeys",
            "surveys",
            "rewards",
            "campaigns",
        ] {
            assert!(report.get(key).is_some(), "{key}");
        }
        assert_eq!(report["from"], "2026-11-01");
        assert_eq!(report["goal"], DEFAULT_GOAL);
        // And it draws.
        let page = crate::dashboard::render(&report);
        assert!(page.contains("<svg"));
        assert!(page.contains("Segments"));
    }
}
