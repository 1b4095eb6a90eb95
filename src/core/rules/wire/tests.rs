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

/// Reading an aggregate as the first form did (it read the kind before the filter, and the steps of a sequence
/// before its flag and window): see `the_aggregate_reader_agrees_with_its_first_form`.
fn agg_first_form(v: &Value, source_len: usize) -> Option<AggSpec> {
    let [event, filter, window, key, kind, args @ ..] = v.as_array()? else {
        return None;
    };
    // What needs no allocation is checked first: a refusal after an allocation costs its clean-up code.
    let (event, key) = (event.as_str()?, key.as_str()?);
    let window_ms = match window {
        Value::Null => None,
        w => Some(window_of(w)?),
    };
    let kind = match (whole(kind), args) {
        (0, []) => AggKind::Count,
        (1, []) => AggKind::First,
        (2, []) => AggKind::Last,
        (3, []) => AggKind::Sessions,
        (4, []) => AggKind::Engaged,
        (k @ 5..=7, [p]) => AggKind::Number(*COMBINE.get(k - 5)?, read_strings(p)?),
        (8, [p]) => AggKind::LastValue(read_strings(p)?),
        (9, [p, absent, within]) => AggKind::Sequence {
            steps: read_strings(p)?,
            absent_last: absent.as_bool()?,
            within_ms: window_of(within)?,
        },
        _ => return None,
    };
    // A filter reads only the event: it has no aggregates of its own.
    let filter = match filter {
        Value::Null => None,
        f => Some(
            Reader {
                aggregates: 0,
                source_len,
            }
            .node(f, 0)?,
        ),
    };
    Some(AggSpec {
        kind,
        event: event.to_string(),
        filter,
        window_ms,
        key: key.to_string(),
    })
}

/// Every place in `v` (an array's item or an object's member, at any depth), as the positions leading to it.
/// (Also for the campaign reader's test in `campaigns::wire`.)
pub(crate) fn places(v: &Value, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(m) => m.iter().map(|(_, v)| v).collect(),
        _ => return,
    };
    for (i, item) in items.into_iter().enumerate() {
        at.push(i);
        out.push(at.clone());
        places(item, at, out);
        at.pop();
    }
}

/// `v` with the value at `place` replaced by `with`.
pub(crate) fn replaced(v: &Value, place: &[usize], with: &Value) -> Value {
    let mut v = v.clone();
    let mut at = &mut v;
    for &i in place {
        at = match at {
            Value::Array(items) => &mut items[i],
            Value::Object(m) => &mut m.entries_mut()[i].1,
            _ => unreachable!(),
        };
    }
    *at = with.clone();
    v
}

/// Aggregates of every kind, with and without filters and windows, with each place in them replaced by each of a
/// few values of every kind: the reader refuses, and reads, exactly what its first form did.
#[test]
fn the_aggregate_reader_agrees_with_its_first_form() {
    let p = compile(
        r#"count("A", where: x > 1, within: 7d) > 1 && time_since(first("B")) > 1m
        && time_since(last("C")) > 1m && session_count(within: 30d) > 1 && engaged_time() > 1m
        && sum("D", "v") > 1 && min("D", "v", within: 1d) > 1 && max("D", "v") > 1
        && last("E").plan == "pro" && sequence("A", "B", within: 1h)
        && sequence("A", not "B", within: 2h)"#,
    )
    .unwrap();
    let Value::Array(parts) = program_to_value(&p) else {
        unreachable!()
    };
    let aggs = parts[2].as_array().unwrap();
    assert_eq!(aggs.len(), 11);
    let values: Vec<Value> = [
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5",
        "2",
        "5",
        "8",
        "9",
        "1000",
        "1e300",
        r#""x""#,
        "[]",
        "{}",
        r#"["x"]"#,
        "[0]",
        r#"[24, 0, 1, true]"#,
        r#"[24, 0, 900, true]"#,
    ]
    .iter()
    .map(|t| parse(t).unwrap())
    .collect();
    let len = p.source().len();
    let mut refused = 0;
    let mut tried = 0;
    for agg in aggs {
        let mut all = Vec::new();
        places(agg, &mut Vec::new(), &mut all);
        for place in &all {
            for with in &values {
                let v = replaced(agg, place, with);
                let now = agg_from_value(&v, len).map(|a| agg_to_value(&a));
                assert_eq!(
                    now,
                    agg_first_form(&v, len).map(|a| agg_to_value(&a)),
                    "{} with {place:?} = {}",
                    agg.to_json(),
                    with.to_json()
                );
                refused += usize::from(now.is_none());
                tried += 1;
            }
        }
    }
    assert!(
        refused > tried / 2 && refused < tried,
        "{tried} tried, {refused} refused"
    );
}
