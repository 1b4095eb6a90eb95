//! The rule commands as processes: `wayline check`, `wayline replay`, `wayline condition`, run on the
//! fixtures in `tests/fixtures/rules/` (from that directory, so file names in the output are short).

use std::process::{Command, Output};

const WAYLINE: &str = env!("CARGO_BIN_EXE_wayline");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rules");

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn wayline(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(WAYLINE)
        .args(args)
        .current_dir(FIXTURES)
        .output()
        .unwrap();
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Asserts that `report` holds an error starting with `header` (`file:origin:line:col: `) whose message
/// mentions `word`, followed by exactly the rule line `source` and the caret line `caret`.
fn assert_error(report: &str, header: &str, word: &str, source: &str, caret: &str) {
    let lines: Vec<&str> = report.lines().collect();
    let Some(i) = lines.iter().position(|l| l.starts_with(header)) else {
        panic!("no error at {header:?} in:\n{report}");
    };
    assert!(
        lines[i].contains(word),
        "{:?} should mention {word:?}",
        lines[i]
    );
    assert_eq!(
        lines.get(i + 1),
        Some(&source),
        "source line of {header}\n{report}"
    );
    assert_eq!(
        lines.get(i + 2),
        Some(&caret),
        "caret line of {header}\n{report}"
    );
}

#[test]
fn check_accepts_a_valid_config() {
    let run = wayline(&["check", "valid.json"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "valid.json: 13 rules ok\n");
    assert_eq!(run.stderr, "");
}

#[test]
fn replay_interleaves_campaign_decisions_with_segment_changes() {
    let run = wayline(&["replay", "campaigns.json", "campaigns.jsonl"]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "2026-01-01T09:05:00.000Z segment-enter buyers\n\
         2026-01-01T09:05:00.000Z delayed nps until 2026-01-01T09:05:05.000Z\n\
         2026-01-01T09:05:05.000Z show nps\n"
    );
}

#[test]
fn check_reports_every_campaign_error_with_its_location() {
    let run = wayline(&["check", "bad-campaigns.json"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", run.stdout);
    assert!(lines[0].starts_with("bad-campaigns.json:campaigns[0].action.questions: "));
    assert!(
        lines[1].starts_with("bad-campaigns.json:campaigns[0].timing.delay: ")
            && lines[1].contains("5 parsecs")
    );
    assert!(
        lines[2].starts_with("bad-campaigns.json:campaigns[1].trigger.segmentEnter: ")
            && lines[2].contains("nobody-defined-this")
    );
    assert_eq!(lines[3], "bad-campaigns.json: 3 errors");
}

#[test]
fn check_reports_every_bad_rule_with_line_column_and_caret() {
    let run = wayline(&["check", "invalid.json"]);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert_error(
        out,
        "invalid.json:segments.pricing-interest:1:1: ",
        "cout",
        r#"cout("Page Viewed", within: 7d) >= 3"#,
        "^^^^",
    );
    // A rule spanning two lines: the error is on its second line.
    assert_error(
        out,
        "invalid.json:segments.lapsed:2:3: ",
        "duration",
        r#"  time_since(last("Order Completed")) > 30"#,
        &format!("  {}", "^".repeat(40)),
    );
    assert_error(
        out,
        "invalid.json:segments.upsell:1:1: ",
        "pricing-intrest",
        r#"in_segment("pricing-intrest") && traits.seats >= 10"#,
        &"^".repeat(29),
    );
    // A GrowthBook condition: the message names the JSON path.
    assert_error(
        out,
        "invalid.json:segments.north-america:1:1: ",
        "$.country.$inn",
        r#"{"country":{"$inn":["US","CA"]}}"#,
        "^",
    );
    assert_error(
        out,
        "invalid.json:journeys.lifecycle.purchase:1:29: ",
        "expected",
        r#"count("Order Completed") >= "#,
        &format!("{}^", " ".repeat(28)),
    );
    assert!(out.ends_with("invalid.json: 5 errors\n"), "{out}");
    assert!(!out.contains("ok-one"), "valid rules are not mentioned");
    assert_eq!(run.stderr, "");
}

#[test]
fn check_places_a_json_syntax_error() {
    let run = wayline(&["check", "broken-json.json"]);
    assert_eq!(run.code, Some(1));
    assert_error(
        &run.stdout,
        "broken-json.json:4:3: not valid JSON",
        "unexpected character",
        "  }",
        "  ^",
    );
    assert!(run.stdout.ends_with("broken-json.json: 1 error\n"));
}

#[test]
fn check_reports_every_mis_shaped_rule() {
    let run = wayline(&["check", "mis-shaped.json"]);
    assert_eq!(run.code, Some(1));
    for origin in [
        "mis-shaped.json:segments.buyer: ",
        "mis-shaped.json:segments.pro: ",
        "mis-shaped.json:journeys.lifecycle[0]: ",
    ] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(origin)),
            "{origin} in\n{}",
            run.stdout
        );
    }
    assert!(run.stdout.ends_with("mis-shaped.json: 3 errors\n"));
}

#[test]
fn check_failures_and_usage_errors() {
    let run = wayline(&["check", "no-such-config.json"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("wayline: cannot read no-such-config.json: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");

    let run = wayline(&["check"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with("wayline: check needs CONFIG\n"),
        "{}",
        run.stderr
    );

    let run = wayline(&["check", "valid.json", "invalid.json"]);
    assert_eq!(run.code, Some(2));
}

const TIMELINE: &str = "\
2026-01-01T09:00:00.000Z stage lifecycle - -> awareness
2026-01-03T11:30:00.000Z segment-enter pricing-interest
2026-01-03T11:30:00.000Z stage lifecycle awareness -> consideration
2026-01-03T11:40:00.000Z segment-enter pro
2026-01-03T12:15:00.000Z segment-enter cart-abandoner
2026-01-04T08:00:00.000Z segment-exit cart-abandoner
2026-01-04T08:10:00.000Z segment-enter buyer
2026-01-04T08:10:00.000Z stage lifecycle consideration -> purchase
";

#[test]
fn replay_prints_the_timeline_as_the_events_say() {
    let run = wayline(&["replay", "journey.json", "journey.jsonl"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    // The abandonment at 12:15 is due to time alone (30 minutes without an order after a checkout); it
    // is reported at that instant, when the next event moves the clock past it.
    assert_eq!(run.stdout, TIMELINE);
    assert_eq!(run.stderr, "");
    // Deterministic: the same input gives the same bytes.
    assert_eq!(
        wayline(&["replay", "journey.json", "journey.jsonl"]).stdout,
        TIMELINE
    );
}

#[test]
fn replay_visitor_follows_one_visitor_in_a_file_of_many() {
    // Another visitor's order, interleaved with a-1's journey, as `wayline events` prints a collector's store.
    let journey = std::fs::read_to_string(format!("{FIXTURES}/journey.jsonl")).unwrap();
    let order = r#"{"anonymousId":"b-2","event":"Order Completed","messageId":"o-1","properties":{},"timestamp":"2026-01-01T09:01:00.000Z","type":"track"}"#;
    let mut mixed = String::new();
    for (i, line) in journey.lines().enumerate() {
        mixed.push_str(line);
        mixed.push('\n');
        if i == 0 {
            mixed.push_str(order);
            mixed.push('\n');
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.jsonl");
    std::fs::write(&path, mixed).unwrap();
    let path = path.to_str().unwrap();
    let run = wayline(&["replay", "journey.json", path, "--visitor", "a-1"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, TIMELINE);
    // Without it, the other visitor's order is taken for a-1's.
    assert_ne!(wayline(&["replay", "journey.json", path]).stdout, TIMELINE);
    let run = wayline(&["replay", "journey.json", path, "--visitor", "nobody"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("no event has anonymousId or userId \"nobody\""),
        "{}",
        run.stderr
    );
}

#[test]
fn replay_until_shows_a_window_expiring_with_no_new_event() {
    // The three pricing views fell in the hour buckets of Jan 1 09:00, Jan 2 10:00 and Jan 3 11:00; the
    // 7-day count drops to two when the first bucket leaves the window, on Jan 8 at 09:00, long after the
    // last event. It is reported at that instant, not at --until.
    let run = wayline(&[
        "replay",
        "journey.json",
        "journey.jsonl",
        "--until",
        "2026-01-20T00:00:00Z",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("{TIMELINE}2026-01-08T09:00:00.000Z segment-exit pricing-interest\n")
    );

    // One second before the expiry, nothing has expired yet; --until may also come first, with an offset.
    let run = wayline(&[
        "replay",
        "--until=2026-01-08T09:59:59+01:00",
        "journey.json",
        "journey.jsonl",
    ]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, TIMELINE);
}

#[test]
fn replay_names_the_malformed_events_line() {
    let run = wayline(&["replay", "journey.json", "bad-events.jsonl"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .starts_with("wayline: bad-events.jsonl: events line 3: not valid JSON"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn replay_refuses_a_bad_config_with_checks_report() {
    let run = wayline(&["replay", "invalid.json", "journey.jsonl"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "");
    // The same report as `wayline check`, on stderr since stdout is the timeline.
    assert_eq!(run.stderr, wayline(&["check", "invalid.json"]).stdout);
}

#[test]
fn replay_failures_and_usage_errors() {
    let run = wayline(&["replay", "journey.json", "no-such-events.jsonl"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("cannot read no-such-events.jsonl"),
        "{}",
        run.stderr
    );

    let run = wayline(&["replay", "journey.json"]);
    assert_eq!(run.code, Some(2));
    assert!(run
        .stderr
        .starts_with("wayline: replay needs CONFIG EVENTS.jsonl\n"));

    let run = wayline(&[
        "replay",
        "journey.json",
        "journey.jsonl",
        "--until",
        "next week",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.starts_with("wayline: --until takes an ISO-8601"),
        "{}",
        run.stderr
    );
}

#[test]
fn condition_prints_true_or_false() {
    let cond = r#"{"country": {"$in": ["US", "CA"]}, "age": {"$gte": 18}}"#;
    let run = wayline(&["condition", cond, r#"{"country": "CA", "age": "21"}"#]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "true\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    let run = wayline(&["condition", cond, r#"{"country": "FR", "age": 30}"#]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), "false\n"));
    // A missing attribute.
    let run = wayline(&["condition", cond, r#"{"country": "US"}"#]);
    assert_eq!(run.stdout, "false\n");
}

#[test]
fn condition_reads_files_and_saved_groups() {
    let run = wayline(&[
        "condition",
        "@condition.json",
        "@attributes.json",
        "@saved-groups.json",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (Some(0), "true\n"),
        "{}",
        run.stderr
    );
    // Without the saved groups, `$inGroup` finds no group.
    let run = wayline(&["condition", "@condition.json", "@attributes.json"]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), "false\n"));
    let run = wayline(&[
        "condition",
        r#"{"id": {"$inGroup": "staff"}}"#,
        r#"{"id": "user-1"}"#,
        "@saved-groups.json",
    ]);
    assert_eq!(run.stdout, "true\n");
}

#[test]
fn condition_warns_about_parts_that_never_match() {
    let run = wayline(&[
        "condition",
        r#"{"country": {"$inn": ["US"]}}"#,
        r#"{"country": "US"}"#,
    ]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), "false\n"));
    assert!(
        run.stderr
            .starts_with("wayline: warning: condition: $.country.$inn: unknown operator"),
        "{}",
        run.stderr
    );
}

#[test]
fn condition_warnings_say_what_the_part_does() {
    // GrowthBook reads a `$or`, `$and` or `$nor` of anything but a list as one of an empty list, and a
    // condition that is a number, boolean or null as an empty object.
    for (condition, stdout, warning) in [
        (
            r#"{"$or": 5}"#,
            "true\n",
            "$.$or: `$or` takes a list of conditions; anything else counts as an empty list, so it always holds",
        ),
        (
            r#"{"$and": "x"}"#,
            "true\n",
            "$.$and: `$and` takes a list of conditions; anything else counts as an empty list, so it always holds",
        ),
        (
            r#"{"$nor": {}}"#,
            "false\n",
            "$.$nor: `$nor` takes a list of conditions; anything else counts as an empty list, so it never holds",
        ),
        (
            r#"{"$or": [5]}"#,
            "true\n",
            "$.$or[0]: a condition is an object; a number, boolean or null counts as an empty one, so it always holds",
        ),
        (
            r#"{"$or": ["x"]}"#,
            "false\n",
            "$.$or[0]: a condition is an object; anything else never holds",
        ),
        (
            r#"{"country": {"$inn": ["US"]}}"#,
            "false\n",
            "$.country.$inn: unknown operator `$inn`, which never matches",
        ),
        (
            r#"{"country": {"$in": "US"}}"#,
            "false\n",
            "$.country.$in: `$in` takes a list; anything else never matches",
        ),
        (
            r#"{"country": {"$regex": 1}}"#,
            "false\n",
            "$.country.$regex: a regex is a string; anything else never matches",
        ),
    ] {
        let run = wayline(&["condition", condition, r#"{"country": "US"}"#]);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (Some(0), stdout),
            "{condition}"
        );
        assert_eq!(
            run.stderr,
            format!("wayline: warning: condition: {warning}\n"),
            "{condition}"
        );
    }
}

#[test]
fn condition_malformed_arguments_exit_2() {
    let run = wayline(&["condition", r#"{"country": "#, "{}"]);
    assert_eq!(run.code, Some(2));
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("wayline: condition: not valid JSON: unexpected end"),
        "{}",
        run.stderr
    );

    let run = wayline(&["condition", "{}", "{country: 'US'}"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .starts_with("wayline: attributes: not valid JSON"),
        "{}",
        run.stderr
    );

    let run = wayline(&["condition", "{}", r#"["US"]"#]);
    assert_eq!(run.code, Some(2));
    assert_eq!(
        run.stderr,
        "wayline: attributes: must be a JSON object, not an array\n"
    );

    let run = wayline(&["condition", "{}", "{}", "@broken-json.json"]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr
            .starts_with("wayline: saved groups: not valid JSON"),
        "{}",
        run.stderr
    );

    let run = wayline(&["condition", "@no-such-condition.json", "{}"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("cannot read no-such-condition.json"),
        "{}",
        run.stderr
    );

    let run = wayline(&["condition", "{}"]);
    assert_eq!(run.code, Some(2));
    let run = wayline(&["condition", "{}", "{}", "{}", "{}"]);
    assert_eq!(run.code, Some(2));
}

#[test]
fn help_lists_the_rule_commands() {
    let run = wayline(&["help"]);
    assert_eq!(run.code, Some(0));
    for usage in [
        "wayline check CONFIG\n",
        "wayline replay CONFIG EVENTS.jsonl [--until TIME] [--visitor ID]\n",
        "wayline condition CONDITION ATTRIBUTES [SAVED_GROUPS]\n",
    ] {
        assert!(run.stdout.contains(usage), "{usage} in\n{}", run.stdout);
    }
}

#[test]
fn compile_prints_what_the_sdk_reads_and_refuses_an_invalid_config() {
    let run = wayline(&["compile", "campaigns.json"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let compiled = wayline::core::json::parse(run.stdout.trim()).unwrap();
    assert!(wayline::core::compiled::is_compiled(&compiled));
    let read = wayline::core::compiled::read(&compiled).expect("the SDK reads it");
    assert!(!read.campaigns.campaigns.is_empty());

    // The errors go to stderr, as `replay` reports them: `wayline compile cfg.json > out.json` must not
    // write them into out.json and show nothing on the terminal. Stdout is the compiled JSON only.
    let run = wayline(&["compile", "invalid.json"]);
    assert_eq!(run.code, Some(1));
    assert_eq!(run.stdout, "", "nothing on stdout");
    assert_eq!(run.stderr, wayline(&["check", "invalid.json"]).stdout);
}

/// A config file holding bytes that are not UTF-8 (a Latin-1 `é` from an editor that did not save as UTF-8, an
/// emoji cut short) is read as a browser's `response.text()` reads it: each maximal invalid sequence is one U+FFFD,
/// and a warning names the first one's bytes, line and column, and how many more there are; the config stays valid
/// and `compile` (what the collector serves) has the U+FFFD. Before, the file was refused as unreadable.
#[test]
fn a_config_with_bytes_that_are_not_utf8_is_read_as_a_browser_reads_it_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.json");
    // After a byte-order mark, which is dropped as before.
    let text: &[u8] = b"\xEF\xBB\xBF{\"segments\": {\n  \"pro\": \"traits.plan == \\\"pro\\\"\",\n  \
        \"cafe\": \"traits.shop == \\\"Caf\xE9 \xF0\x9F\x98\\\" || traits.shop == \\\"\xFF\\\"\"\n}}\n";
    std::fs::write(&path, text).unwrap();
    let file = path.to_str().unwrap();
    let run = wayline(&["check", file]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        format!(
            "{file}:3:32: warning: byte e9 is not UTF-8; it is read as U+FFFD (\u{FFFD}), as a browser reads it \
             (2 more such sequences further on)\n{file}: 2 rules ok, 1 warning\n"
        )
    );
    let run = wayline(&["compile", file]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("Caf\u{FFFD} \u{FFFD}") && run.stdout.contains("\"\u{FFFD}\""),
        "{}",
        run.stdout
    );
}
