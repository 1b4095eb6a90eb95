#!/usr/bin/env bash
# Runs every gate and test suite: formatting, clippy (host and wasm32), the core-purity check, native tests, the
# SDK build and its size budget, wasm-bindgen tests in headless Chromium, and end-to-end tests that drive Chromium
# against the real collector. Installs what it needs first (scripts/setup.sh), skipping what is present.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - started ))s)"; }

step "setup"
bash scripts/setup.sh --browser

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, host (without and with the segments feature)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --features wayline/segments -- -D warnings

step "clippy, wasm32 (tracking only; with the rule engine; with the rule compiler too)"
cargo clippy -p wayline --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p wayline --target wasm32-unknown-unknown --all-targets --features segments -- -D warnings
cargo clippy -p wayline --target wasm32-unknown-unknown --all-targets --features compiler -- -D warnings

step "pure core check"
bash scripts/check-core-purity.sh

step "native tests"
cargo test --workspace --features wayline/segments

step "build SDK (js/dist; js/dist-segments with the rule engine; js/dist-full with the compiler too)"
bash scripts/build-sdk.sh
bash scripts/build-sdk.sh --segments
bash scripts/build-sdk.sh --full

step "TypeScript declarations (tsc --noEmit on a usage file)"
node_modules/.bin/tsc -p tests/types

step "size budget (SPEC §11: 60 KB gzip for a script-tag user)"
node js/size-report.mjs --budget-gzip 61440
echo "with the rule engine, campaigns and prompts, reading compiled configs (not yet within the budget):"
node js/size-report.mjs --dist js/dist-segments
echo "the same with the rule compiler:"
node js/size-report.mjs --dist js/dist-full

step "wasm-bindgen tests, headless Chromium"
CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p wayline --target wasm32-unknown-unknown --lib
CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p wayline --target wasm32-unknown-unknown --features compiler --test web_segments
CHROMEDRIVER=/usr/bin/chromedriver \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/webdriver.json" \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test -p wayline --target wasm32-unknown-unknown --features segments --test web_prompts

step "npm-bundled demo page (Vite)"
node_modules/.bin/vite build www/npm-app --base ./ --logLevel warn

step "collector binary"
cargo build -p wayline-collector

step "the config's JSON Schema against wayline check (tests/schema/cases.json)"
node --test tests/schema/

step "end-to-end, headless Chromium against wayline serve"
node --test --test-concurrency=1 tests/e2e/

step "all passed"
