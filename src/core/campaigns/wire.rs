//! Campaigns as data in a compiled config: the model the config reader produces, written with durations and
//! dates already resolved to milliseconds and rules compiled (`rules/wire.rs`), and read back without the
//! reader's checks and messages. Reading is strict: anything that is not what [`to_value`] writes gives `None`.

use super::config::Campaigns;
use super::limits::{MAX_DELAY_MS, MAX_DURATION_MS, MAX_PRIORITY, MAX_TIME_MS};
use super::model::{
    Action, ActionKind, Audience, Campaign, Device, Frequency, GlobalLimits, Timing, Trigger,
};
use super::pattern::UrlPattern;
use crate::core::json::Value;
use crate::core::rules::wire::{index, program_from_value, program_to_value, read_strings, string};
use crate::core::rules::Program;

fn num(x: f64) -> Value {
    Value::Number(x)
}

fn text(s: &str) -> Value {
    Value::String(s.to_string())
}

fn opt_ms(x: Option<i64>) -> Value {
    x.map_or(Value::Null, |x| num(x as f64))
}

/// A number in `lo..=hi`, as the config check bounds it (durations, times, priorities): anything else is a
/// damaged config, and reading it would let the time arithmetic leave its range.
fn in_range(v: &Value, lo: i64, hi: i64) -> Option<i64> {
    let n = v.as_f64()?;
    (lo as f64..=hi as f64).contains(&n).then_some(n as i64)
}

/// A duration of at most `max`.
fn ms_upto(v: &Value, max: i64) -> Option<i64> {
    in_range(v, 0, max)
}

/// A percentage.
fn percent(v: &Value) -> Option<f64> {
    v.as_f64().filter(|p| (0.0..=100.0).contains(p))
}

fn read_opt_ms(v: &Value, max: i64) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        v => Some(Some(ms_upto(v, max)?)),
    }
}

/// A date (start or end), as a time in the supported range.
fn read_opt_time(v: &Value) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        v => Some(Some(in_range(v, -MAX_TIME_MS, MAX_TIME_MS)?)),
    }
}

fn program(p: &Option<Box<Program>>) -> Value {
    p.as_ref().map_or(Value::Null, |p| program_to_value(p))
}

/// A campaign's rule or an event trigger's filter. It reads the visitor's facts now, never history: one with
/// aggregates is not what the compiler writes (the config check refuses behaviour in campaign rules), and would read
/// aggregates it was never bound to.
fn fact_program(v: &Value) -> Option<Box<Program>> {
    let p = program_from_value(v)?;
    p.aggregates.is_empty().then(|| Box::new(p))
}

fn read_program(v: &Value) -> Option<Option<Box<Program>>> {
    match v {
        Value::Null => Some(None),
        v => Some(Some(fact_program(v)?)),
    }
}

fn patterns(ps: &[UrlPattern]) -> Value {
    Value::Array(ps.iter().map(|p| text(p.as_str())).collect())
}

/// Appends the patterns to `out` (filled in place: see [`campaign_from_value`]).
fn read_patterns(v: &Value, out: &mut Vec<UrlPattern>) -> Option<()> {
    for p in v.as_array()? {
        out.push(UrlPattern::trusted(p.as_str()?));
    }
    Some(())
}

/// `[[campaign, ...], perSession, minGapMs]`.
pub fn to_value(c: &Campaigns) -> Value {
    Value::Array(vec![
        Value::Array(c.campaigns.iter().map(campaign_to_value).collect()),
        c.limits
            .per_session
            .map_or(Value::Null, |n| num(f64::from(n))),
        opt_ms(c.limits.min_gap_ms),
    ])
}

pub fn from_value(v: &Value) -> Option<Campaigns> {
    let [campaigns, per_session, min_gap] = v.as_array()? else {
        return None;
    };
    let per_session = match per_session {
        Value::Null => None,
        n => Some(whole_in(n, 0.0)?),
    };
    let mut out = Campaigns {
        campaigns: Vec::new(),
        limits: GlobalLimits {
            per_session,
            min_gap_ms: read_opt_ms(min_gap, MAX_DURATION_MS)?,
        },
    };
    for c in campaigns.as_array()? {
        campaign_from_value(c, &mut out.campaigns)?;
    }
    Some(out)
}

/// A number from `min` to 10⁶, as a count (a fraction is cut off).
fn whole_in(v: &Value, min: f64) -> Option<u32> {
    let n = v.as_f64()?;
    if n >= min && n <= 1e6 {
        Some(n as u32)
    } else {
        None
    }
}

/// Devices, by their number on the wire.
const DEVICES: [Device; 3] = [Device::Mobile, Device::Tablet, Device::Desktop];

/// Frequencies other than a maximum, by their number on the wire (a maximum is `[max, perMs]`).
const FREQUENCIES: [Frequency; 3] = [Frequency::Once, Frequency::UntilAnswered, Frequency::Always];

fn read_devices(v: &Value, out: &mut Vec<Device>) -> Option<()> {
    for d in v.as_array()? {
        out.push(*DEVICES.get(index(d)?)?);
    }
    Some(())
}

/// `[id, trigger, rule, include, exclude, devices, start, end, sample, action, delay, cancelOn, frequency,
/// cooldown, priority, holdout]`: the audience's fields from `rule` to `sample`, the action's spec as written,
/// the timing's fields from `delay` to `cooldown`.
fn campaign_to_value(c: &Campaign) -> Value {
    let a = &c.audience;
    let t = &c.timing;
    let frequency = match t.frequency {
        Frequency::Max { max, per_ms } => Value::Array(vec![num(f64::from(max)), opt_ms(per_ms)]),
        f => num(FREQUENCIES.iter().position(|x| *x == f).unwrap_or(0) as f64),
    };
    Value::Array(vec![
        text(&c.id),
        trigger_to_value(&c.trigger),
        program(&a.rule),
        patterns(&a.include),
        patterns(&a.exclude),
        Value::Array(
            a.devices
                .iter()
                .map(|d| num(DEVICES.iter().position(|x| x == d).unwrap_or(0) as f64))
                .collect(),
        ),
        opt_ms(a.start),
        opt_ms(a.end),
        a.sample.map_or(Value::Null, num),
        c.action.spec.clone(),
        num(t.delay_ms as f64),
        Value::Array(t.cancel_on.iter().map(|e| text(e)).collect()),
        frequency,
        opt_ms(t.cooldown_ms),
        num(c.priority as f64),
        num(c.holdout),
    ])
}

/// Reads a campaign onto the end of `out`. Every field that can be checked without building anything is checked
/// first (the id as a string too); the campaign is then pushed, with its id and its action's spec (copies that
/// cannot fail), and its other owning fields are filled in place, so a malformed field anywhere leaves a partly
/// filled campaign for the caller to drop with the rest, rather than a clean-up path per field.
fn campaign_from_value(v: &Value, out: &mut Vec<Campaign>) -> Option<()> {
    let [id, trigger, rule, include, exclude, devices, start, end, sample, spec, delay, cancel_on, frequency, cooldown, priority, holdout] =
        v.as_array()?
    else {
        return None;
    };
    let kind = match spec.get("type")?.as_str()? {
        "survey" => ActionKind::Survey,
        "reward" => ActionKind::Reward,
        "custom" => ActionKind::Custom,
        _ => return None,
    };
    let frequency = match frequency {
        Value::Array(a) => {
            let [max, per] = a.as_slice() else {
                return None;
            };
            Frequency::Max {
                max: whole_in(max, 1.0)?,
                per_ms: read_opt_ms(per, MAX_DURATION_MS)?,
            }
        }
        f => *FREQUENCIES.get(index(f)?)?,
    };
    let start = read_opt_time(start)?;
    let end = read_opt_time(end)?;
    let sample = match sample {
        Value::Null => None,
        s => Some(percent(s)?),
    };
    let delay_ms = ms_upto(delay, MAX_DELAY_MS)?;
    let cooldown_ms = read_opt_ms(cooldown, MAX_DURATION_MS)?;
    let priority = in_range(priority, -MAX_PRIORITY, MAX_PRIORITY)?;
    let holdout = percent(holdout)?;
    let id = id.as_str()?;
    out.push(Campaign {
        id: id.to_string(),
        trigger: Trigger::ExitIntent,
        audience: Audience {
            start,
            end,
            sample,
            ..Audience::default()
        },
        action: Action {
            kind,
            spec: spec.clone(),
        },
        timing: Timing {
            delay_ms,
            cancel_on: Vec::new(),
            frequency,
            cooldown_ms,
        },
        priority,
        holdout,
    });
    let c = out.last_mut()?;
    c.trigger = trigger_from_value(trigger)?;
    c.audience.rule = read_program(rule)?;
    read_patterns(include, &mut c.audience.include)?;
    read_patterns(exclude, &mut c.audience.exclude)?;
    read_devices(devices, &mut c.audience.devices)?;
    c.timing.cancel_on = read_strings(cancel_on)?;
    Some(())
}

// Trigger tags.
const EVENT: usize = 0;
const ENTER: usize = 1;
const EXIT: usize = 2;
const STAGE: usize = 3;
const PAGE: usize = 4;
const EXIT_INTENT: usize = 5;
const IDLE: usize = 6;
const SCROLL: usize = 7;
const ENGAGED: usize = 8;
const SESSION: usize = 9;

/// `[EVENT, name, filter]`, `[ENTER, s]`, `[EXIT, s]`, `[STAGE, journey, stage]`, `[PAGE, pattern]`,
/// `[EXIT_INTENT]`, `[IDLE, ms]`, `[SCROLL, percent]`, `[ENGAGED, ms]`, `[SESSION]`.
fn trigger_to_value(t: &Trigger) -> Value {
    let (tag, args) = match t {
        Trigger::Event { name, filter } => (EVENT, vec![text(name), program(filter)]),
        Trigger::SegmentEnter(s) => (ENTER, vec![text(s)]),
        Trigger::SegmentExit(s) => (EXIT, vec![text(s)]),
        Trigger::Stage { journey, stage } => (STAGE, vec![text(journey), text(stage)]),
        Trigger::Page(p) => (PAGE, vec![text(p.as_str())]),
        Trigger::ExitIntent => (EXIT_INTENT, vec![]),
        Trigger::Idle(ms) => (IDLE, vec![num(*ms as f64)]),
        Trigger::Scroll(p) => (SCROLL, vec![num(*p)]),
        Trigger::EngagedTime(ms) => (ENGAGED, vec![num(*ms as f64)]),
        Trigger::SessionStart => (SESSION, vec![]),
    };
    let mut out = vec![num(tag as f64)];
    out.extend(args);
    Value::Array(out)
}

fn trigger_from_value(v: &Value) -> Option<Trigger> {
    let (tag, args) = v.as_array()?.split_first()?;
    Some(match (index(tag)?, args) {
        // Strings are checked before anything is built, so that a refusal has nothing to drop.
        (EVENT, [name, filter]) => {
            let name = name.as_str()?;
            Trigger::Event {
                filter: read_program(filter)?,
                name: name.to_string(),
            }
        }
        (ENTER, [s]) => Trigger::SegmentEnter(string(s)?),
        (EXIT, [s]) => Trigger::SegmentExit(string(s)?),
        (STAGE, [journey, stage]) => {
            let (journey, stage) = (journey.as_str()?, stage.as_str()?);
            Trigger::Stage {
                journey: journey.to_string(),
                stage: stage.to_string(),
            }
        }
        (PAGE, [p]) => Trigger::Page(UrlPattern::trusted(p.as_str()?)),
        (EXIT_INTENT, []) => Trigger::ExitIntent,
        (IDLE, [ms]) => Trigger::Idle(ms_upto(ms, MAX_DURATION_MS)?),
        (SCROLL, [p]) => Trigger::Scroll(percent(p)?),
        (ENGAGED, [ms]) => Trigger::EngagedTime(ms_upto(ms, MAX_DURATION_MS)?),
        (SESSION, []) => Trigger::SessionStart,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::campaigns::config::read;
    use crate::core::json::parse;
    use crate::core::rules::wire::tests::{places, replaced};

    #[test]
    fn the_demo_campaigns_read_back_as_written() {
        let config = parse(include_str!("../../../www/demo-config.json")).unwrap();
        let campaigns = read(&config).unwrap();
        let v = to_value(&campaigns);
        let back = from_value(&v).unwrap();
        assert_eq!(to_value(&back), v);
        assert_eq!(back.campaigns.len(), campaigns.campaigns.len());
        assert_eq!(back.limits, campaigns.limits);
        // And through its JSON text, as the browser receives it.
        let again = from_value(&parse(&v.to_json()).unwrap()).unwrap();
        assert_eq!(to_value(&again), v);
    }

    #[test]
    fn anything_else_is_refused() {
        let config = parse(include_str!("../../../www/demo-config.json")).unwrap();
        let good = to_value(&read(&config).unwrap()).to_json();
        for (from, to) in [
            (r#",[5],"#, r#",[15],"#),                // an unknown trigger
            (r#",[5],"#, r#",[5,1],"#),               // a trigger with an argument it does not take
            (r#""cart-exit","#, r#""cart-exit",1,"#), // a campaign of the wrong shape
            (r#""type":"survey""#, r#""type":"poll""#),
        ] {
            let bad = good.replacen(from, to, 1);
            assert_ne!(bad, good, "{from}");
            assert!(
                from_value(&parse(&bad).unwrap()).is_none(),
                "{from} -> {to}"
            );
        }
    }

    /// The campaigns' wire form `good` with field `field` of its first campaign set to `value`.
    fn with_field(good: &Value, field: usize, value: Value) -> Value {
        let mut v = good.clone();
        if let Value::Array(parts) = &mut v {
            if let Value::Array(list) = &mut parts[0] {
                if let Value::Array(c) = &mut list[0] {
                    c[field] = value;
                }
            }
        }
        v
    }

    /// Each field of a campaign's wire form, by position, with a value of the wrong kind.
    #[test]
    fn a_field_of_the_wrong_kind_is_refused() {
        let config = parse(include_str!("../../../www/demo-config.json")).unwrap();
        let good = to_value(&read(&config).unwrap());
        assert!(from_value(&good).is_some());
        for (field, bad) in [
            (0, "1"),
            (1, "[]"),
            (2, "[]"),
            (3, r#"["/a", 1]"#),
            (4, "null"),
            (5, "[3]"),
            (5, "[0.5]"),
            (6, r#""2026""#),
            (7, "[]"),
            (8, "true"),
            (9, r#"{"type": 1}"#),
            (10, "null"),
            (11, "[null]"),
            (12, "3"),
            (12, "[0, null]"),
            (12, "[2]"),
            (13, "{}"),
            (14, "null"),
            (15, r#""5""#),
            // Numbers of the right kind outside the ranges the config check allows: the time arithmetic
            // relies on those ranges.
            (1, "[6, 1e300]"),
            (1, "[6, -1]"),
            (1, "[7, 101]"),
            (1, "[8, 1e300]"),
            (6, "-1e300"),
            (7, "1e300"),
            (8, "100.5"),
            (10, "-1"),
            (10, "86400000"),
            (12, "[1, 1e300]"),
            (12, "[1, -5]"),
            (13, "-1e300"),
            (13, "31708800001"),
            (14, "1e300"),
            (15, "-1"),
        ] {
            let v = with_field(&good, field, parse(bad).unwrap());
            assert_ne!(v, good);
            assert!(from_value(&v).is_none(), "field {field}: {bad}");
        }
        // A rule, or an event trigger's filter, that reads history.
        let history = program_to_value(
            &crate::core::rules::compile(r#"count("Order Completed") > 1"#).unwrap(),
        );
        let filter = Value::Array(vec![
            Value::Number(0.0),
            Value::String("x".into()),
            history.clone(),
        ]);
        for (field, bad) in [(2, history), (1, filter)] {
            let v = with_field(&good, field, bad.clone());
            assert!(from_value(&v).is_none(), "field {field}: {}", bad.to_json());
        }
    }

    /// Reading as the first form did (it checked the fields in another order): see
    /// `the_reader_agrees_with_its_first_form`.
    fn first_from_value(v: &Value) -> Option<Campaigns> {
        let [campaigns, per_session, min_gap] = v.as_array()? else {
            return None;
        };
        let per_session = match per_session {
            Value::Null => None,
            n => Some(whole_in(n, 0.0)?),
        };
        let mut out = Campaigns {
            campaigns: Vec::new(),
            limits: GlobalLimits {
                per_session,
                min_gap_ms: read_opt_ms(min_gap, MAX_DURATION_MS)?,
            },
        };
        for c in campaigns.as_array()? {
            first_campaign(c, &mut out.campaigns)?;
        }
        Some(out)
    }

    fn first_campaign(v: &Value, out: &mut Vec<Campaign>) -> Option<()> {
        let [id, trigger, rule, include, exclude, devices, start, end, sample, spec, delay, cancel_on, frequency, cooldown, priority, holdout] =
            v.as_array()?
        else {
            return None;
        };
        let kind = match spec.get("type")?.as_str()? {
            "survey" => ActionKind::Survey,
            "reward" => ActionKind::Reward,
            "custom" => ActionKind::Custom,
            _ => return None,
        };
        let frequency = match frequency {
            Value::Array(a) => {
                let [max, per] = a.as_slice() else {
                    return None;
                };
                Frequency::Max {
                    max: whole_in(max, 1.0)?,
                    per_ms: read_opt_ms(per, MAX_DURATION_MS)?,
                }
            }
            f => *FREQUENCIES.get(index(f)?)?,
        };
        let audience = Audience {
            start: read_opt_time(start)?,
            end: read_opt_time(end)?,
            sample: match sample {
                Value::Null => None,
                s => Some(percent(s)?),
            },
            ..Audience::default()
        };
        let timing = Timing {
            delay_ms: ms_upto(delay, MAX_DELAY_MS)?,
            cancel_on: Vec::new(),
            frequency,
            cooldown_ms: read_opt_ms(cooldown, MAX_DURATION_MS)?,
        };
        let priority = in_range(priority, -MAX_PRIORITY, MAX_PRIORITY)?;
        let holdout = percent(holdout)?;
        out.push(Campaign {
            id: String::new(),
            trigger: first_trigger(trigger)?,
            audience,
            action: Action {
                kind,
                spec: Value::Null,
            },
            timing,
            priority,
            holdout,
        });
        let c = out.last_mut()?;
        c.id.push_str(id.as_str()?);
        c.audience.rule = read_program(rule)?;
        read_patterns(include, &mut c.audience.include)?;
        read_patterns(exclude, &mut c.audience.exclude)?;
        read_devices(devices, &mut c.audience.devices)?;
        for e in cancel_on.as_array()? {
            c.timing.cancel_on.push(e.as_str()?.to_string());
        }
        c.action.spec = spec.clone();
        Some(())
    }

    fn first_trigger(v: &Value) -> Option<Trigger> {
        let (tag, args) = v.as_array()?.split_first()?;
        let string = |s: &Value| s.as_str().map(str::to_string);
        Some(match (index(tag)?, args) {
            (EVENT, [name, filter]) => Trigger::Event {
                name: string(name)?,
                filter: read_program(filter)?,
            },
            (ENTER, [s]) => Trigger::SegmentEnter(string(s)?),
            (EXIT, [s]) => Trigger::SegmentExit(string(s)?),
            (STAGE, [journey, stage]) => Trigger::Stage {
                journey: string(journey)?,
                stage: string(stage)?,
            },
            (PAGE, [p]) => Trigger::Page(UrlPattern::trusted(p.as_str()?)),
            (EXIT_INTENT, []) => Trigger::ExitIntent,
            (IDLE, [ms]) => Trigger::Idle(ms_upto(ms, MAX_DURATION_MS)?),
            (SCROLL, [p]) => Trigger::Scroll(percent(p)?),
            (ENGAGED, [ms]) => Trigger::EngagedTime(ms_upto(ms, MAX_DURATION_MS)?),
            (SESSION, []) => Trigger::SessionStart,
            _ => return None,
        })
    }

    /// The demo campaigns' wire form with each place in it replaced by each of a few values of every kind: the
    /// reader refuses, and reads, exactly what its first form did.
    #[test]
    fn the_reader_agrees_with_its_first_form() {
        let config = parse(include_str!("../../../www/demo-config.json")).unwrap();
        let good = to_value(&read(&config).unwrap());
        let mut all = Vec::new();
        places(&good, &mut Vec::new(), &mut all);
        let values: Vec<Value> = [
            "null",
            "true",
            "0",
            "-1",
            "1.5",
            "2",
            "5",
            "9",
            "100",
            "1e300",
            r#""x""#,
            r#""/a""#,
            "[]",
            "{}",
            r#"["x"]"#,
            "[0]",
            "[1, null]",
            "[5]",
            r#"[0, "x", null]"#,
            r#"[3, "j", "s"]"#,
            r#"{"type": "reward"}"#,
        ]
        .iter()
        .map(|t| parse(t).unwrap())
        .collect();
        let mut refused = 0;
        for place in &all {
            for with in &values {
                let v = replaced(&good, place, with);
                let now = from_value(&v).map(|c| to_value(&c));
                assert_eq!(
                    now,
                    first_from_value(&v).map(|c| to_value(&c)),
                    "{place:?} = {}",
                    with.to_json()
                );
                refused += usize::from(now.is_none());
            }
        }
        assert!(
            all.len() > 100 && refused > all.len(),
            "{} places, {refused} refused",
            all.len()
        );
    }
}
