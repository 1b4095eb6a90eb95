//! Hostile input: no source text, token soup, JSON condition or regex may make the compiler or the evaluator
//! panic, hang, or point outside the source. (A property-based stand-in for fuzzing that runs with the tests.)

use proptest::prelude::*;
use wayline::core::json::{Map, Value};
use wayline::core::rules::regex::Regex;
use wayline::core::rules::{
    compile, compile_condition, compile_condition_lenient, evaluate, Snapshot,
};

const VOCAB: &[&str] = &[
    "traits",
    "context",
    "page",
    "event",
    "properties",
    "channel",
    ".",
    "plan",
    "query",
    "x",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "&&",
    "||",
    "!",
    "not",
    "in",
    "and",
    "or",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "exists",
    "true",
    "false",
    "null",
    "\"pro\"",
    "'a'",
    "\"(a|b)*c\"",
    "\"(\"",
    "1",
    "-2.5",
    "7d",
    "30m",
    "1h30m",
    "5x",
    "v\"1.2.3\"",
    "v\"x\"",
    "count",
    "sum",
    "min",
    "max",
    "first",
    "last",
    "time_since",
    "days_since",
    "sequence",
    "session_count",
    "engaged_time",
    "in_segment",
    "stage",
    "bucket",
    "in_rollout",
    "version",
    "where",
    "within",
    "\"E\"",
    "=",
    "&",
    "|",
    "@",
    "\"",
    "é",
    "//c\n",
    "\n",
];

fn snapshot() -> Snapshot {
    let input = wayline::core::json::parse(
        r#"{"traits":{"plan":"pro","x":[1,"a",null],"n":3},"page":{"path":"/p","search":"?x=1"},
            "event":{"type":"track","event":"E","properties":{"x":2}},"anonymousId":"a"}"#,
    )
    .unwrap();
    Snapshot::from_value(&input)
}

fn check_rule(src: &str) -> Result<(), TestCaseError> {
    match compile(src) {
        Ok(p) => {
            let _ = evaluate(&p, &snapshot(), 1_000);
        }
        Err(errors) => {
            prop_assert!(!errors.is_empty());
            for d in &errors {
                prop_assert!(d.span.start <= d.span.end && d.span.end <= src.len().max(d.span.end));
                prop_assert!(d.line >= 1 && d.column >= 1);
                let _ = d.render(src, "fuzz");
            }
        }
    }
    Ok(())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-5i32..50).prop_map(|n| Value::Number(f64::from(n))),
        prop::sample::select(vec![
            "$eq",
            "$ne",
            "$lt",
            "$gt",
            "$in",
            "$nin",
            "$ini",
            "$all",
            "$alli",
            "$elemMatch",
            "$size",
            "$exists",
            "$type",
            "$regex",
            "$regexi",
            "$not",
            "$and",
            "$or",
            "$nor",
            "$veq",
            "$vgt",
            "$inGroup",
            "a",
            "b.c",
            "1.2.3",
            "(x",
            "string",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "$eq",
                        "$ne",
                        "$lt",
                        "$gte",
                        "$in",
                        "$nin",
                        "$ini",
                        "$all",
                        "$elemMatch",
                        "$size",
                        "$exists",
                        "$type",
                        "$regex",
                        "$not",
                        "$and",
                        "$or",
                        "$nor",
                        "$vlt",
                        "$inGroup",
                        "$notInGroup",
                        "$bogus",
                        "a",
                        "b",
                        "a.b",
                        "tags",
                        "0",
                    ]),
                    inner
                ),
                0..4
            )
            .prop_map(|entries| {
                let mut m = Map::new();
                for (k, v) in entries {
                    m.insert(k, v);
                }
                Value::Object(m)
            }),
        ]
    })
}

proptest! {
    // RULES_FUZZ_CASES raises the count for a longer run (`RULES_FUZZ_CASES=500000 cargo test --test rules`).
    #![proptest_config(ProptestConfig {
        cases: std::env::var("RULES_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        check_rule(&src)?;
    }

    #[test]
    fn token_soup_never_panics(tokens in prop::collection::vec(prop::sample::select(VOCAB), 0..60)) {
        check_rule(&tokens.join(" "))?;
        check_rule(&tokens.concat())?;
    }

    #[test]
    fn json_conditions_never_panic(cond in json_value(), attrs in json_value()) {
        let _ = compile_condition(&cond);
        let program = compile_condition_lenient(&cond);
        let mut groups = Map::new();
        groups.insert("a", Value::Array(vec![Value::from("a"), Value::Number(1.0)]));
        let snapshot = Snapshot {
            attributes: Some(attrs.as_object().cloned().unwrap_or_default()),
            saved_groups: groups,
            ..Snapshot::default()
        };
        let _ = evaluate(&program, &snapshot, 0);
    }

    #[test]
    fn regexes_never_panic(pattern in "[a-c.*+?|()\\[\\]^$\\\\{},0-9dwsbDWS-]{0,30}", text in "[a-c0-9 _-]{0,50}") {
        if let Ok(re) = Regex::new(&pattern) {
            let mut budget = u32::MAX;
            let _ = re.is_match(&text, &mut budget);
        }
    }
}
