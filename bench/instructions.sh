#!/usr/bin/env bash
# Instructions per operation of the rule engine, counted by callgrind: each operation runs N times and 0 times
# after the same setup (tests/rules/bench/examples/instructions.rs), and the difference is divided by N. Unlike
# the criterion timings (`cargo bench --manifest-path tests/rules/bench/Cargo.toml`), the counts do not move when
# other work loads the machine, so they are what a change to the engine is checked against.
#   bash bench/instructions.sh [N]      (default 1000; needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
manifest=tests/rules/bench/Cargo.toml
cargo build --quiet --release --manifest-path "$manifest" --example instructions
# The same without the rule engine in the tracker (the plain build, js/dist), for `track-plain`.
cargo build --quiet --release --manifest-path "$manifest" --example instructions --no-default-features \
  --target-dir tests/rules/bench/target/plain
bin=tests/rules/bench/target/release/examples/instructions
plain=tests/rules/bench/target/plain/release/examples/instructions
count() {
  local b=$bin
  [ "$1" = track-plain ] && b=$plain
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$b" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-14s %s\n' operation "instructions per operation (N=$n)"
for op in rule growthbook ingest-demo ingest-100 audience-demo absorb-demo queue-contexts queue-bound track-demo track-plain compile-demo; do
  runs=$n
  [ "$op" = compile-demo ] && runs=$(( n / 20 > 0 ? n / 20 : 1 ))
  [ "$op" = absorb-demo ] && runs=$(( n / 50 > 0 ? n / 50 : 1 ))
  [ "$op" = queue-contexts ] && runs=$(( n / 50 > 0 ? n / 50 : 1 ))
  # Ten times as many: at least 10,000 pushes at the bound, so the clearing out of dropped events' slots is counted.
  [ "$op" = queue-bound ] && runs=$(( n * 10 ))
  base=$(count "$op" 0)
  total=$(count "$op" "$runs")
  printf '%-14s %d\n' "$op" $(( (total - base) / runs ))
done
