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
        (r#"[28,0,"#, r#"[28,900,"#), // a span outside the source
        (r#"[28,"#, r#"[99,"#),       // unknown tag
        (r#"[28,0,10,0]"#, r#"[28,0,10,0,[0,0,0]]"#), // a child on a leaf
        (r#""count|\"A\"",0]"#, r#""count|\"A\"",0,[]]"#), // a bad aggregate (a path on `count`)
        (r#",6,2,4,"#, r#",6,999,4,"#), // a jump out of the regex program
        (r#",0,98,0,"#, r#",0,98,"#), // an instruction cut short
        (r#"[34,19,45,"#, r#"[34,19,45,1,"#), // a regex that is not one
        (r#"[2,0,45,"#, r#"[4,0,45,"#), // `!` with two children
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        let v = parse(&bad).unwrap();
        assert!(program_from_value(&v).is_none(), "{from} -> {to}");
    }
    let mut deep = Value::Array(vec![24.0.into(), 0.0.into(), 0.0.into(), Value::Bool(true)]);
    for _ in 0..300 {
        deep = Value::Array(vec![4.0.into(), 0.0.into(), 0.0.into(), deep]);
    }
    let mut v = program_to_value(&compile("true").unwrap());
    if let Value::Array(items) = &mut v {
        items[1] = deep;
    }
    assert!(program_from_value(&v).is_none(), "too deep");
}

#[test]
fn numbers_that_are_not_whole_are_refused() {
    let p = compile(r#"count("A") >= 1"#).unwrap();
    let good = program_to_value(&p).to_json();
    for (from, to) in [
        (r#"[28,0,10,0]"#, r#"[28.5,0,10,0]"#),           // a tag
        (r#"[28,0,10,0]"#, r#"[-28,0,10,0]"#),            // a negative tag
        (r#"[28,0,10,0]"#, r#"[28,-1,10,0]"#),            // a start
        (r#"[28,0,10,0]"#, r#"[28,0,"10",0]"#),           // an end
        (r#"[28,0,10,0]"#, r#"[28,"x","y",0]"#),          // start and end both unreadable
        (r#"[28,0,10,0]"#, r#"[28,0,10,0.5]"#),           // an aggregate index
        (r#""count|\"A\"",0]"#, r#""count|\"A\"",0.5]"#), // an aggregate's kind
        (r#"]],0,[],[]]"#, r#"]],32,[],[]]"#),            // flags out of range
        (r#"]],0,[],[]]"#, r#"]],4.5,[],[]]"#),           // flags not whole
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        let v = parse(&bad).unwrap();
        assert!(program_from_value(&v).is_none(), "{from} -> {to}");
    }
}

#[test]
fn an_aggregate_index_must_exist() {
    let p = compile(r#"count("A") >= 1"#).unwrap();
    let mut v = program_to_value(&p);
    if let Value::Array(items) = &mut v {
        items[2] = Value::Array(vec![]);
    }
    assert!(program_from_value(&v).is_none());
}

#[test]
fn a_node_must_have_its_number_of_children() {
    let p = compile(r#"properties.x matches "a+b""#).unwrap();
    let leaf = || Value::Array(vec![24.0.into(), 0.0.into(), 0.0.into(), Value::Bool(true)]);
    let re = Regex::new("a+b").unwrap().to_value();
    let with_root = |root: Value| {
        let mut v = program_to_value(&p);
        if let Value::Array(items) = &mut v {
            items[1] = root;
        }
        v
    };
    let node = |tag: f64, payload: Option<Value>, kids: usize| {
        let mut items = vec![tag.into(), 0.0.into(), 0.0.into()];
        items.extend(payload);
        items.extend((0..kids).map(|_| leaf()));
        Value::Array(items)
    };
    // As written, each reads back.
    for good in [
        node(34.0, Some(re.clone()), 1),
        node(4.0, None, 1),
        node(12.0, None, 2),
        node(1.0, None, 0),
        node(1.0, None, 3),
        node(0.0, None, 0),
    ] {
        assert!(
            program_from_value(&with_root(good.clone())).is_some(),
            "{good:?}"
        );
    }
    for bad in [
        node(34.0, Some(re.clone()), 0),
        node(34.0, Some(re), 2),
        node(4.0, None, 0),
        node(4.0, None, 2),
        node(12.0, None, 1),
        node(12.0, None, 3),
        node(0.0, None, 1),
        node(24.0, Some(Value::Bool(true)), 1),
    ] {
        assert!(
            program_from_value(&with_root(bad.clone())).is_none(),
            "{bad:?}"
        );
    }
}

#[test]
fn a_condition_is_kept_as_written_and_damaged_ones_are_refused() {
    use crate::core::rules::compile_condition;
    let condition = parse(
        r#"{"country": {"$in": ["US", "CA"]}, "$or": [{"age": {"$gt": 18}}, {"$not": {"tags": {"$elemMatch": {"$eq": "x"}}}}],
            "name": {"$regex": "^a+b", "$exists": true}, "v": {"$vgte": "1.2.0"}, "list": {"$all": ["a"], "$size": 1},
            "odd": {"$eq": [29, 0], "$in": [[29, 0]]}}"#,
    )
    .unwrap();
    let p = compile_condition(&condition).unwrap();
    let v = program_to_value(&p);
    let back = program_from_value(&v).unwrap();
    assert_eq!(program_to_value(&back), v);
    assert_eq!(back.root(), p.root());
    let good = v.to_json();
    for (from, to) in [
        (r#"[0,[4,["country"]"#, r#"[9,[4,["country"]"#), // an unknown condition tag
        (r#"[4,["country"],"#, r#"[4,[1],"#),             // a path that is not text
        (r#"[4,["country"],"#, r#"[4,["country"],1,"#),   // a field with a third part
        (r#"[[15,["US","CA"]]]"#, r#"[[15,"US"]]"#),      // `$in` without a list
        (r#"[[15,["US","CA"]]]"#, r#"[[40,1]]"#),         // an unknown operator
        (r#"[[15,["US","CA"]]]"#, r#"[[31,1]]"#),         // an argument where none is taken
        (r#"[[15,["US","CA"]]]"#, r#"[[15]]"#),           // an argument missing
        (r#"[[15,["US","CA"]]]"#, r#"[{"$in":1}]"#),      // an object as a test
        (r#"[[29,["^a+b","#, r#"[[29,[1,"#),              // a regex that is not one
        (r#"[14,true]"#, r#"[14,1]"#),                    // `$exists` without a boolean
        (r#"[3,[0,[4,"#, r#"[3,[5],[0,[4,"#),             // `$not` of two conditions
    ] {
        let bad = good.replacen(from, to, 1);
        assert_ne!(bad, good, "{from}");
        let v = parse(&bad).unwrap();
        assert!(program_from_value(&v).is_none(), "{from} -> {to}");
    }
    let mut deep = Value::Array(vec![5.0.into()]);
    for _ in 0..300 {
        deep = Value::Array(vec![3.0.into(), deep]);
    }
    let mut v = program_to_value(&compile_condition(&parse("{}").unwrap()).unwrap());
    if let Value::Array(items) = &mut v {
        if let Value::Array(root) = &mut items[1] {
            root[3] = deep;
        }
    }
    assert!(program_from_value(&v).is_none(), "too deep");
}

/// Each field of a program's wire form, by position, with a value of the wrong kind.
#[test]
fn a_program_field_of_the_wrong_kind_is_refused() {
    let good = program_to_value(
        &compile(r#"count("A") >= 1 && in_segment("s") && stage("j") == "x""#).unwrap(),
    );
    assert!(program_from_value(&good).is_some());
    for (field, bad) in [
        (0, "1"),
        (1, "[]"),
        (2, r#""x""#),
        (2, "[1]"),
        (3, "32"),
        (3, "1.5"),
        (4, "[1]"),
        (4, "{}"),
        (5, "[null]"),
        (5, "null"),
    ] {
        let mut v = good.clone();
        if let Value::Array(parts) = &mut v {
            parts[field] = parse(bad).unwrap();
        }
        assert_ne!(v, good);
        assert!(program_from_value(&v).is_none(), "field {field}: {bad}");
    }
}
