//! Campaigns as data in a compiled config: the model the config reader produces, written with durations and
//! dates already resolved to milliseconds and rules compiled (`rules/wire.rs`), and read back without the
//! reader's checks and messages. Reading is strict: anything that is not what [`to_value`] writes gives `None`.

use super::config::Campaigns;
use super::model::{
    Action, ActionKind, Audience, Campaign, Device, Frequency, GlobalLimits, Timing, Trigger,
};
use super::pattern::UrlPattern;
use crate::core::json::{Map, Value};
use crate::core::rules::wire::{list, program_from_value, program_to_value};
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

fn read_opt_ms(v: Option<&Value>) -> Option<Option<i64>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(v) => Some(Some(v.as_f64()? as i64)),
    }
}

fn program(p: &Option<Box<Program>>) -> Value {
    p.as_ref().map_or(Value::Null, |p| program_to_value(p))
}

fn read_program(v: Option<&Value>) -> Option<Option<Box<Program>>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(v) => Some(Some(Box::new(program_from_value(v)?))),
    }
}

fn patterns(ps: &[UrlPattern]) -> Value {
    Value::Array(ps.iter().map(|p| text(p.as_str())).collect())
}

fn read_patterns(v: &Value) -> Option<Vec<UrlPattern>> {
    list(v, &|p| p.as_str().map(UrlPattern::trusted))
}

/// `{"campaigns": [...], "limits": [perSession, minGapMs]}`.
pub fn to_value(c: &Campaigns) -> Value {
    let mut m = Map::new();
    m.insert(
        "campaigns",
        Value::Array(c.campaigns.iter().map(campaign_to_value).collect()),
    );
    m.insert(
        "limits",
        Value::Array(vec![
            c.limits
                .per_session
                .map_or(Value::Null, |n| num(f64::from(n))),
            opt_ms(c.limits.min_gap_ms),
        ]),
    );
    Value::Object(m)
}

pub fn from_value(v: &Value) -> Option<Campaigns> {
    let campaigns = list(v.get("campaigns")?, &campaign_from_value)?;
    let [per_session, min_gap] = v.get("limits")?.as_array()? else {
        return None;
    };
    let per_session = match per_session {
        Value::Null => None,
        n => Some(n.as_f64().filter(|n| (0.0..=1e6).contains(n))? as u32),
    };
    Some(Campaigns {
        campaigns,
        limits: GlobalLimits {
            per_session,
            min_gap_ms: read_opt_ms(Some(min_gap))?,
        },
    })
}

fn campaign_to_value(c: &Campaign) -> Value {
    let mut m = Map::new();
    m.insert("id", text(&c.id));
    m.insert("trigger", trigger_to_value(&c.trigger));
    let a = &c.audience;
    m.insert(
        "audience",
        Value::Array(vec![
            program(&a.rule),
            patterns(&a.include),
            patterns(&a.exclude),
            Value::Array(a.devices.iter().map(|d| text(d.as_str())).collect()),
            opt_ms(a.start),
            opt_ms(a.end),
            a.sample.map_or(Value::Null, num),
        ]),
    );
    m.insert("action", c.action.spec.clone());
    let t = &c.timing;
    let frequency = match t.frequency {
        Frequency::Once => text("once"),
        Frequency::UntilAnswered => text("untilAnswered"),
        Frequency::Always => text("always"),
        Frequency::Max { max, per_ms } => Value::Array(vec![num(f64::from(max)), opt_ms(per_ms)]),
    };
    m.insert(
        "timing",
        Value::Array(vec![
            num(t.delay_ms as f64),
            Value::Array(t.cancel_on.iter().map(|e| text(e)).collect()),
            frequency,
            opt_ms(t.cooldown_ms),
        ]),
    );
    m.insert("priority", num(c.priority as f64));
    m.insert("holdout", num(c.holdout));
    Value::Object(m)
}

fn campaign_from_value(v: &Value) -> Option<Campaign> {
    let [rule, include, exclude, devices, start, end, sample] = v.get("audience")?.as_array()?
    else {
        return None;
    };
    let audience = Audience {
        rule: read_program(Some(rule))?,
        include: read_patterns(include)?,
        exclude: read_patterns(exclude)?,
        devices: list(devices, &|d| d.as_str().and_then(Device::parse))?,
        start: read_opt_ms(Some(start))?,
        end: read_opt_ms(Some(end))?,
        sample: match sample {
            Value::Null => None,
            s => Some(s.as_f64()?),
        },
    };
    let spec = v.get("action")?.clone();
    let kind = match spec.get("type")?.as_str()? {
        "survey" => ActionKind::Survey,
        "reward" => ActionKind::Reward,
        "custom" => ActionKind::Custom,
        _ => return None,
    };
    let [delay, cancel_on, frequency, cooldown] = v.get("timing")?.as_array()? else {
        return None;
    };
    let frequency = match frequency {
        Value::String(s) => match s.as_str() {
            "once" => Frequency::Once,
            "untilAnswered" => Frequency::UntilAnswered,
            "always" => Frequency::Always,
            _ => return None,
        },
        Value::Array(a) => {
            let [max, per] = a.as_slice() else {
                return None;
            };
            Frequency::Max {
                max: max.as_f64().filter(|m| (1.0..=1e6).contains(m))? as u32,
                per_ms: read_opt_ms(Some(per))?,
            }
        }
        _ => return None,
    };
    Some(Campaign {
        id: v.get("id")?.as_str()?.to_string(),
        trigger: trigger_from_value(v.get("trigger")?)?,
        audience,
        action: Action { kind, spec },
        timing: Timing {
            delay_ms: delay.as_f64()? as i64,
            cancel_on: list(cancel_on, &|e| e.as_str().map(str::to_string))?,
            frequency,
            cooldown_ms: read_opt_ms(Some(cooldown))?,
        },
        priority: v.get("priority")?.as_f64()? as i64,
        holdout: v.get("holdout")?.as_f64()?,
    })
}

/// `["event", name, filter]`, `["enter", s]`, `["exit", s]`, `["stage", journey, stage]`, `["page", pattern]`,
/// `["exitIntent"]`, `["idle", ms]`, `["scroll", percent]`, `["engaged", ms]`, `["session"]`.
fn trigger_to_value(t: &Trigger) -> Value {
    Value::Array(match t {
        Trigger::Event { name, filter } => vec![text("event"), text(name), program(filter)],
        Trigger::SegmentEnter(s) => vec![text("enter"), text(s)],
        Trigger::SegmentExit(s) => vec![text("exit"), text(s)],
        Trigger::Stage { journey, stage } => vec![text("stage"), text(journey), text(stage)],
        Trigger::Page(p) => vec![text("page"), text(p.as_str())],
        Trigger::ExitIntent => vec![text("exitIntent")],
        Trigger::Idle(ms) => vec![text("idle"), num(*ms as f64)],
        Trigger::Scroll(p) => vec![text("scroll"), num(*p)],
        Trigger::EngagedTime(ms) => vec![text("engaged"), num(*ms as f64)],
        Trigger::SessionStart => vec![text("session")],
    })
}

fn trigger_from_value(v: &Value) -> Option<Trigger> {
    let items = v.as_array()?;
    let arg = |i: usize| items.get(1 + i);
    let string = |i: usize| arg(i)?.as_str().map(str::to_string);
    let number = |i: usize| arg(i)?.as_f64();
    Some(match items.first()?.as_str()? {
        "event" => Trigger::Event {
            name: string(0)?,
            filter: read_program(arg(1))?,
        },
        "enter" => Trigger::SegmentEnter(string(0)?),
        "exit" => Trigger::SegmentExit(string(0)?),
        "stage" => Trigger::Stage {
            journey: string(0)?,
            stage: string(1)?,
        },
        "page" => Trigger::Page(UrlPattern::trusted(arg(0)?.as_str()?)),
        "exitIntent" => Trigger::ExitIntent,
        "idle" => Trigger::Idle(number(0)? as i64),
        "scroll" => Trigger::Scroll(number(0)?),
        "engaged" => Trigger::EngagedTime(number(0)? as i64),
        "session" => Trigger::SessionStart,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::campaigns::config::read;
    use crate::core::json::parse;

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
            (r#""once""#, r#""twice""#),
            (r#"["exitIntent"]"#, r#"["exitIntnet"]"#),
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
}
