//! Runs the data-driven rule cases in `tests/rules/*.json`.
//!
//! Each file holds `{"cases": [...]}`; a case has a `name` and a `rule`, and either
//! - `errors`: every compile error expected, as `{code, line, column}` in source order, or
//! - `expect`: the rule's value (`true`/`false`) for the given `input` (see `docs/rules.md`, "Testing rules").
//!
//! `regex-differential.json` (from `regex-differential.mjs`, JavaScript's `RegExp` the reference) also holds
//! patterns with `errors`: one JavaScript refuses (`javascript`: its message) must be refused too (`bad-regex`);
//! one JavaScript accepts but that uses a feature docs/rules.md lists as unsupported (`unsupported`: the features)
//! must be refused with a message that says one of them is not supported. Every other pattern JavaScript accepts
//! must compile and give JavaScript's answer.
#![cfg(not(target_arch = "wasm32"))]

mod cases;
mod robustness;

use std::path::Path;

#[test]
fn data_driven_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut ran = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let doc =
            wayline::core::json::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let origin = file.file_name().unwrap().to_string_lossy().to_string();
        for case in doc
            .get("cases")
            .and_then(|c| c.as_array())
            .expect("a `cases` array")
        {
            ran += 1;
            if let Err(why) = cases::run(case) {
                let name = case.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                failures.push(format!("{origin}: {name}: {why}"));
            }
        }
    }
    println!("{ran} data-driven rule cases, {} failed", failures.len());
    assert!(ran > 0, "no cases found in {}", dir.display());
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
