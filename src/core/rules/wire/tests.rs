//! The wire format refuses what it did not write.

use super::*;
use crate::core::json::parse;
use crate::core::rules::compile;

#[test]
fn a_program_reads_back_as_written() {
    let p = compile(r#"count("Page Viewed", where: path matches "^/pr[io]c", within: 7d) >= 2 && traits.plan in ["pro", "team"] && in_rollout("x", 20)"#).unwrap();
    let v = program_to_value(&p);
    let back = program_from_value(&v).unwrap();
    assert_eq!(program_to_value(&back), v);
    assert_eq!(back.source(), p.source());
    assert_eq!(back.root(), p.root());
    assert_eq!(back.aggregates(), p.aggregates());
    assert_eq!(back.deps(), p.deps());
}

#[test]
fn damaged_programs_are_refused() {
    let p = compile(r#"count("A") >= 1 && properties.x matches "a+b""#).unwrap();
    let good = program_to_value(&p).to_json();
    for (from, to) in [
        (r#"["a",0,"#, r#"["a",900,"#),   // a span outside the source
        (r#"["a","#, r#"["zz","#),        // unknown tag
        (r#""aggs":["#, r#""aggs":[1,"#), // a bad aggregate
        (r#"[6,"#, r#"[6,999,"#), // a jump out of the regex program (if the regex has a split)
    ] {
        let bad = good.replacen(from, to, 1);
        if bad == good {
            continue;
        }
        let v = parse(&bad).unwrap();
        assert!(program_from_value(&v).is_none(), "{from} -> {to}");
    }
    let mut deep = Value::Array(vec!["b".into(), 0.0.into(), 0.0.into(), Value::Bool(true)]);
    for _ in 0..300 {
        deep = Value::Array(vec!["!".into(), 0.0.into(), 0.0.into(), deep]);
    }
    let mut v = program_to_value(&compile("true").unwrap());
    if let Value::Object(m) = &mut v {
        m.insert("root", deep);
    }
    assert!(program_from_value(&v).is_none(), "too deep");
}

#[test]
fn an_aggregate_index_must_exist() {
    let p = compile(r#"count("A") >= 1"#).unwrap();
    let mut v = program_to_value(&p);
    if let Value::Object(m) = &mut v {
        m.insert("aggs", Value::Array(vec![]));
    }
    assert!(program_from_value(&v).is_none());
}
