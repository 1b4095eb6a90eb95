#!/usr/bin/env bash
# Runs the demo: builds the SDK and the collector, then serves the demo site, the SDK and the collector API on
# http://127.0.0.1:8080 (override with WAYLINE_LISTEN=ADDR:PORT), storing events in wayline.db.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-sdk.sh
bash scripts/build-sdk.sh --segments
node_modules/.bin/vite build www/npm-app --logLevel warn
cargo build --release -p wayline-collector
listen="${WAYLINE_LISTEN:-127.0.0.1:8080}"
echo "demo: open http://$listen/ ; reports: http://$listen/dashboard (read key rk_demo as the user name, no password)"
# The demo store runs the build with the rule engine, so its segments and journeys work.
exec target/release/wayline serve --listen "$listen" --db wayline.db --www www --sdk js/dist-segments
