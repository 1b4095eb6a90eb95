//! Compiled configs: a config's segments, journeys and campaigns compiled once (by the collector, or `wayline
//! compile`) into data the browser reads without the compiler.
//!
//! The rule compiler, the GrowthBook compiler and the config checks — with every error message they can give —
//! are most of the rule engine's weight. Compiling where the config is served keeps them out of the shipped SDK;
//! the browser only reads the result (`rules/wire.rs`, `campaigns/wire.rs`), strictly: a compiled config that
//! does not read back exactly is refused as a whole.
//!
//! ```json
//! {"wayline": "compiled", "v": 3,
//!  "segments": [["pro", PROGRAM], ...], "journeys": [["lifecycle", [["awareness", PROGRAM], ...]], ...],
//!  "campaigns": [[CAMPAIGN, ...], perSession, minGapMs], "themes": {"id": [CSS, position], ...},
//!  "theme": {...}, "strings": {...}}
//! ```

use super::campaigns;
use super::json::{Map, Value};
use super::rules::wire::{program_from_value, program_to_value};
use super::rules::Program;
use super::segments::config::engine_from_config;
use super::segments::{Engine, Rules};

/// The format's version: a reader refuses any other.
pub const VERSION: f64 = 3.0;

/// What the SDK adds to the query of its requests for the collector's config (a URL naming `/v1/config`;
/// js/src/stub.js's too): the format it reads, which the collector refuses to serve in another (`406
/// unsupported_config_format`), so that an SDK of another release hears why instead of being served a config it
/// would refuse. A query parameter rather than a header: no CORS preflight, and HTTP caches key on it without
/// `Vary`.
pub const FORMAT_QUERY: &str = "format=3";

/// Whether `v` is a compiled config (rather than a config as written).
pub fn is_compiled(v: &Value) -> bool {
    v.get("wayline").and_then(Value::as_str) == Some("compiled")
}

/// Whether `v` is a compiled config of another version than this reader's (one stored by an SDK of another
/// release may be). Not inlined: [`read`] and the SDK's check of its stored copy share it.
#[inline(never)]
pub fn is_other_version(v: &Value) -> bool {
    is_compiled(v) && v.get("v").and_then(Value::as_f64) != Some(VERSION)
}

/// Builds the segments engine and reads the campaigns of a config as written; on failure, every error of both,
/// rendered with its location (`config:segments.x:1:5: ...` with the source line and a caret,
/// `config:campaigns[0].timing.delay: ...`). Used to compile, and by an SDK build that has the compiler.
pub fn build_source(config: &Value) -> Result<(Engine, campaigns::Campaigns), Vec<String>> {
    let engine = engine_from_config(config).map_err(|errors| {
        errors
            .iter()
            .map(|e| e.render("config"))
            .collect::<Vec<_>>()
    });
    let campaigns = campaigns::read(config).map_err(|errors| {
        errors
            .iter()
            .map(|e| ["config:", &e.render()].concat())
            .collect::<Vec<_>>()
    });
    match (engine, campaigns) {
        (Ok(e), Ok(c)) => Ok((e, c)),
        (a, b) => Err([a.err().unwrap_or_default(), b.err().unwrap_or_default()].concat()),
    }
}

/// Compiles a config as written; on failure, every error rendered with its location (see [`build_source`]).
pub fn compile(config: &Value) -> Result<Value, Vec<String>> {
    let (engine, campaigns) = build_source(config)?;
    let rules = engine.rules();
    let named = |(name, p): &(String, Program)| {
        Value::Array(vec![Value::String(name.clone()), program_to_value(p)])
    };
    let mut segments = Vec::new();
    let mut journeys = Vec::new();
    for u in &rules.units {
        let stages = rules.of(u);
        if u.journey {
            journeys.push(Value::Array(vec![
                Value::String(u.name.clone()),
                Value::Array(stages.iter().map(named).collect()),
            ]));
        } else if let Some((_, p)) = stages.first() {
            segments.push(named(&(u.name.clone(), p.clone())));
        }
    }
    let mut m = Map::new();
    m.insert("wayline", "compiled".into());
    m.insert("v", Value::Number(VERSION));
    m.insert("segments", Value::Array(segments));
    m.insert("journeys", Value::Array(journeys));
    m.insert("campaigns", campaigns::wire::to_value(&campaigns));
    m.insert(
        "themes",
        campaigns::theme::render_all(&campaigns, config.get("theme")),
    );
    for key in ["theme", "strings"] {
        if let Some(v) = config.get(key) {
            m.insert(key, v.clone());
        }
    }
    Ok(Value::Object(m))
}

/// What a compiled config defines.
pub struct Definitions {
    pub rules: Rules,
    pub campaigns: campaigns::Campaigns,
}

/// Reads a compiled config; `None` for anything [`compile`] did not write (another version included).
pub fn read(v: &Value) -> Option<Definitions> {
    if !is_compiled(v) || is_other_version(v) {
        return None;
    }
    // Filled in place (lists pushed onto, then completed), so that a refusal anywhere drops what was read
    // once, here, rather than through a clean-up path per field. Plain loops: in wasm, each instantiation of a
    // generic list reader and each of its closures costs bytes.
    let mut rules = Rules::default();
    // One loop for both lists: a segment `[name, PROGRAM]` reads as a journey of one stage, itself (a segment's
    // rule is named as the segment).
    for &(key, journey) in &[("segments", false), ("journeys", true)] {
        for unit in v.get(key)?.as_array()? {
            let [name, stages] = unit.as_array()? else {
                return None;
            };
            rules.unit(name.as_str()?.to_string(), journey);
            let stages = if journey {
                stages.as_array()?
            } else {
                std::slice::from_ref(unit)
            };
            for x in stages {
                let [name, p] = x.as_array()? else {
                    return None;
                };
                // The program is read before the name is copied: a refusal then has no copy to drop.
                let name = name.as_str()?;
                let p = program_from_value(p)?;
                rules.rule(name.to_string(), p);
            }
        }
    }
    Some(Definitions {
        rules,
        campaigns: campaigns::wire::from_value(v.get("campaigns")?)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::json::parse;

    #[test]
    fn the_demo_config_compiles_and_reads_back() {
        let config = parse(include_str!("../../www/demo-config.json")).unwrap();
        let compiled = compile(&config).unwrap();
        let text = compiled.to_json();
        let back = read(&parse(&text).unwrap()).unwrap();
        let units = &back.rules.units;
        assert_eq!(units.iter().filter(|u| !u.journey).count(), 6);
        let journey = units.iter().find(|u| u.journey).unwrap();
        assert_eq!(back.rules.of(journey).len(), 6);
        assert_eq!(back.campaigns.campaigns.len(), 5);
        assert!(compiled.get("theme").is_some());
        assert!(!is_compiled(&config));
    }

    #[test]
    fn errors_are_all_reported_and_other_versions_refused() {
        let bad = parse(
            r#"{"segments": {"a": "count(\"x\") >= "}, "campaigns": [{"id": "c", "trigger": {"exitIntent": true},
                "action": {"type": "survey", "questions": []}}]}"#,
        )
        .unwrap();
        let errors = compile(&bad).unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        let good = compile(&parse(r#"{"segments": {"a": "true"}}"#).unwrap()).unwrap();
        // Version 1 (string tags, objects), 2 (themes rendered by the SDK) and any later version are refused
        // as a whole.
        for v in [r#""v":1"#, r#""v":2"#, r#""v":4"#] {
            let other = good.to_json().replace(r#""v":3"#, v);
            assert_ne!(other, good.to_json());
            assert!(read(&parse(&other).unwrap()).is_none());
            assert!(is_other_version(&parse(&other).unwrap()));
        }
        assert!(read(&good).is_some());
        assert!(!is_other_version(&good) && !is_other_version(&bad));
    }

    #[test]
    fn the_format_the_sdk_asks_for_is_the_one_it_reads() {
        assert_eq!(FORMAT_QUERY, format!("format={VERSION}"));
        // The stub's early request asks for it too.
        assert!(include_str!("../../js/src/stub.js").contains(&format!("'{FORMAT_QUERY}'")));
    }
}
