#!/usr/bin/env bash
# Installs what building and testing Wayline needs, skipping whatever is already present:
# the wasm32 target and rust-src, wasm-bindgen-cli at the exact version of the wasm-bindgen crate in Cargo.lock,
# npm packages from package-lock.json, and (with --browser, for the test suites) Debian's chromium and chromedriver
# and Debian's postgresql (the collector's PostgreSQL tests start their own server; none is left running).
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
[[ "${1:-}" == "--browser" ]] && want_browser=1

say() { echo "setup: $*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The shipped module rebuilds the standard library with size options (scripts/build-sdk.sh), from rust-src.
if ! rustup component list --installed | grep -q '^rust-src'; then
  say "adding rust component rust-src"
  rustup component add rust-src
fi

wb_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ -z "$wb_version" ]]; then
  echo "setup: cannot find the wasm-bindgen version in Cargo.lock" >&2
  exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wb_version" ]]; then
  say "installing wasm-bindgen-cli $wb_version (takes a few minutes once)"
  cargo install wasm-bindgen-cli --version "$wb_version" --locked \
    || cargo install wasm-bindgen-cli --version "$wb_version"
fi

# npm ci only when the lockfile changed since the last install.
stamp=node_modules/.wayline-lock-sha
lock_sha=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sha" ]]; then
  say "installing npm packages from package-lock.json"
  npm ci --no-audit --no-fund
  echo "$lock_sha" > "$stamp"
fi

if (( want_browser )) && { [[ ! -x /usr/bin/chromium ]] || [[ ! -x /usr/bin/chromedriver ]]; }; then
  say "installing Debian's chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if (( want_browser )) && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  say "installing Debian's postgresql (server binaries for the collector's PostgreSQL tests)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
