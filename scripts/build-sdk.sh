#!/usr/bin/env bash
# Builds the shipped SDK: release wasm → wasm-bindgen glue → wasm-opt -Oz → bundled JS.
#   bash scripts/build-sdk.sh              → js/dist           (tracking and delivery; the size-budgeted build)
#   bash scripts/build-sdk.sh --segments   → js/dist-segments  (with the rule engine: segments, journeys, campaigns and
#                                                              prompts; reads compiled configs, as /v1/config serves)
#   bash scripts/build-sdk.sh --full       → js/dist-full      (the same, plus the rule compiler for configs as written)
# Expects the tools that scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-target}
features=()
out=js/dist
pkg=$target/wasm-pkg
case "${1:-}" in
  --segments) features=(--features segments); out=js/dist-segments; pkg=$target/wasm-pkg-segments ;;
  --full) features=(--features compiler); out=js/dist-full; pkg=$target/wasm-pkg-full ;;
  "") ;;
  *) echo "usage: build-sdk.sh [--segments|--full]" >&2; exit 2 ;;
esac
# Another output directory, for side-by-side size experiments.
out=${WAYLINE_SDK_OUT:-$out}

# The standard library is rebuilt for the shipped module with `panic=immediate-abort`: a panic (which the SDK's code
# never reaches on purpose; library code denies unwrap/expect/panic) becomes a bare trap, so core's panic messages,
# locations and the formatting machinery behind them stay out of the wasm (about 10 KB gzip in the segments build).
# `-Zlocation-detail=none` drops the file paths that std's remaining bounds-check sites still carry, and
# `-Zfmt-debug=none` any `Debug` formatting that would otherwise stay linked. All four flags are unstable;
# RUSTC_BOOTSTRAP lets the pinned stable toolchain use them for this one build. The release wasm32 profile is used
# by nothing else, so these flags do not invalidate other builds in target/.
# LLVM's inliner runs with a threshold of 8 rather than opt-level z's 5: small functions called from a few places
# are inlined where calling them cost more bytes than their bodies (about 650 B gzip in the segments build, 400 B in
# js/dist; 5 is the same as the default, 11 and above grow the module again; `track` costs the same,
# bench/track.mjs).
# The standard library is built with its `optimize_for_size` feature: the same results from smaller code where it has
# a choice (integer formatting, sorts, character counting). The rule compiler in js/dist-full uses them most (about
# 3.8 KB gzip there); js/dist and the segments build link none of them today.
# Reference types are turned off, so wasm-bindgen keeps the page's values in a JavaScript array rather than a wasm
# table of externrefs: the module then has no externref shim per import and export and no table allocator, which
# is more than the array's glue (about 600 B gzip in the segments build; `track` costs the same, bench/track.mjs).
rustflags="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none -Cllvm-args=-inline-threshold=8"
RUSTC_BOOTSTRAP=1 RUSTFLAGS="$rustflags -Ctarget-feature=-reference-types" \
  cargo build --quiet --release --target wasm32-unknown-unknown -p wayline --lib "${features[@]}" \
  -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size
rm -rf "$pkg"
wasm-bindgen "$target/wasm32-unknown-unknown/release/wayline.wasm" \
  --target web --out-dir "$pkg" --out-name wayline --no-typescript
# The function table keeps the invoke shim of every closure signature some js-sys or web-sys binding takes, used or
# not; they are pointed at one `unreachable` stub so that wasm-opt drops them (js/dead-table-entries.mjs says why
# that is sound; about 500 B gzip).
node js/dead-table-entries.mjs "$pkg/wayline_bg.wasm" > /dev/null
# Debian's binaryen is too old for wasm-bindgen's output; the npm one is pinned in package-lock.json.
# The feature flags (scripts/wasm-opt-features, shared with js/size-breakdown.mjs) are those rustc enables by
# default for wasm32-unknown-unknown, less reference types (above). Import and export names, and the import
# module's name, are shortened; js/build.mjs renames them in the glue from names.json. The `producers` and
# `target_features` custom sections (toolchain versions and feature names) are not needed to run the module.
# `--low-memory-unused` lets it fold constant pointer offsets into loads and stores (about 350 B gzip). It is sound
# here: rustc's wasm32 layout puts the stack first, growing down from 1 MiB, so addresses below 1 KB are reached only
# by a stack overflow, which the folded form turns into a trap rather than a silent write at the bottom of memory.
# After the first -Oz, `--flatten --rereloop` rebuilds each function's control flow from scratch (Binaryen's relooper)
# and two more -Oz rounds clean up after it: the branches and blocks rustc and the first round leave come out
# smaller (about 1 KB gzip in the segments build; `track` costs the same, bench/track.mjs).
read -r -a wasm_features < scripts/wasm-opt-features
node_modules/.bin/wasm-opt -Oz "${wasm_features[@]}" --low-memory-unused --flatten --rereloop -Oz -Oz \
  --strip-producers --strip-target-features \
  --minify-imports-and-exports-and-modules \
  "$pkg/wayline_bg.wasm" -o "$pkg/wayline_bg.opt.wasm" > "$pkg/names.json"
# Functions of one shape are put next to each other, where gzip's 32 KB window sees them together (js/order-functions.mjs
# says how; about 1.3 KB gzip in the segments build). It prints the candidates' sizes, which the build keeps quiet.
node js/order-functions.mjs "$pkg/wayline_bg.opt.wasm" > /dev/null
node js/build.mjs "$pkg" "$pkg/wayline_bg.opt.wasm" "$out"
