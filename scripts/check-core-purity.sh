#!/usr/bin/env bash
# The core decides; only src/web touches the browser. The web crates are wasm32-only dependencies, so a native
# build of a core module that uses them already fails; this check also catches wall-clock and randomness sources
# that would compile natively but make the core impure.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='\b(web_sys|js_sys|wasm_bindgen|gloo[a-z_]*|serde_wasm_bindgen)::|SystemTime::now|Instant::now|thread_rng'
if grep -rnE "$pattern" src/core; then
  echo "pure core check: src/core must not use the browser, the clock or ambient randomness (see above)" >&2
  exit 1
fi
echo "pure core check: ok (src/core uses no web, clock or randomness APIs)"
