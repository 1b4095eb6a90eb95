#!/usr/bin/env bash
# Builds the shipped SDK into js/dist: release wasm → wasm-bindgen glue → wasm-opt -Oz → bundled JS.
# Expects the tools that scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --quiet --release --target wasm32-unknown-unknown -p wayline --lib
out=target/wasm-pkg
rm -rf "$out"
wasm-bindgen target/wasm32-unknown-unknown/release/wayline.wasm \
  --target web --out-dir "$out" --out-name wayline --no-typescript
# Debian's binaryen is too old for wasm-bindgen's output; the npm one is pinned in package-lock.json.
# The feature flags are those rustc enables by default for wasm32-unknown-unknown.
node_modules/.bin/wasm-opt -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/wayline_bg.wasm" -o "$out/wayline_bg.opt.wasm"
node js/build.mjs "$out" "$out/wayline_bg.opt.wasm"
