#!/usr/bin/env bash
# `make bench`: every benchmark in turn, each after its row of docs/performance.md's table (the
# figure recorded last, its goal, machine, date and commit), so what it prints now reads beside
# what was recorded; at the end, the table's rows again. Prerequisites: scripts/setup.sh --bench.
# Benchmarks print figures and assert nothing; when you measure again, replace the row.
set -euo pipefail
cd "$(dirname "$0")/.."

table=docs/performance.md
# A server sized for a fleet of 1,000 agents, as docs/team.md advises (PostgreSQL's defaults
# are for a small machine): the PostgreSQL benchmarks run on it, and fleet_load once on the
# defaults.
team_server="-c shared_buffers=1GB -c max_wal_size=4GB"
hook_bench=(cargo run --release --locked -p baton-cli --example hook_bench -- --events 100000 --leases 1000)

# The table's row named $1, as "recorded: … | goal: … | machine, date and commit".
recorded() {
  awk -F'|' -v name="$1" '
    { gsub(/^ +| +$/, "", $2) }
    $2 == name { gsub(/^ +| +$/, "", $4); gsub(/^ +| +$/, "", $5); gsub(/^ +| +$/, "", $6);
                 gsub(/^ +| +$/, "", $7);
                 printf "recorded: %s\ngoal: %s\nmeasured on: %s, %s\n", $4, $5, $6, $7; found = 1 }
    END { if (!found) print "recorded: (no row in the table yet)" }' "$table"
}

# The guard: a hot path's benchmark prints `guard <name> <figure>` (lower is better); the
# figure recorded for <name> is in docs/performance.md's "Guarded figures" table. One more than
# 10 % worse is said loudly, after the benchmark and again at the end.
guards=()
guard_recorded() {
  awk -F'|' -v name="$1" '
    /^## Guarded figures/ {on = 1} /^## / && !/Guarded/ {on = 0}
    on { n = $2; gsub(/[ `]/, "", n); if (n == name) { v = $3; gsub(/ /, "", v); print v; exit } }' "$table"
}
check_guards() {
  local out=$1 name figure was verdict
  while read -r _ name figure; do
    was=$(guard_recorded "$name")
    verdict=$(awk -v now="$figure" -v was="$was" 'BEGIN {
      if (now !~ /^[0-9.]+$/) { print "no figure"; exit }
      if (was !~ /^[0-9.]+$/) { print "nothing recorded: add it to the table"; exit }
      d = (now - was) / (was > 0 ? was : 1) * 100
      if (d > 10) printf "WORSE by %.0f %% than recorded (%s): look before you stop\n", d, was
      else printf "ok (recorded %s, %+.0f %%)\n", was, d }')
    if [[ $verdict == WORSE* ]]; then
      printf '\033[1;31m!! %s %s: %s\033[0m\n' "$name" "$figure" "$verdict"
    else
      printf '\033[1;32mguard %s %s: %s\033[0m\n' "$name" "$figure" "$verdict"
    fi
    guards+=("$(printf '%-45s %8s  %s' "$name" "$figure" "$verdict")")
  done < <(grep '^guard ' "$out" || true)
}

# measure "<row of the table>" command…: the row, then the benchmark, then its guards.
measure() {
  local row=$1; shift
  printf '\n\033[1;34m== %s\033[0m\n' "$row"
  recorded "$row" | sed 's/^/   /'
  printf '\033[2m$ %s\033[0m\n' "$*"
  local out
  out=$(mktemp)
  "$@" | tee "$out"
  check_guards "$out"
  rm -f "$out"
}

measure "Store, SQLite" cargo run --release --locked -p baton-store --example store_bench
measure "Store, both engines" cargo run --release --locked -p baton-store --example engines_bench
measure "Timeline, 50 agents" cargo run --release --locked -p baton-store --example timeline_bench
measure "Timeline, 1,000 agents" cargo run --release --locked -p baton-store --example timeline_bench -- --agents 1000
measure "Rules, overlap lint" cargo run --release --locked -p baton-core --example rules_bench
measure "Detection latency" cargo run --release --locked -p baton-engine --example detection_latency
measure "Detectors, one run" cargo run --release --locked -p baton-engine --example detect_bench -- --agents 1000
measure "Detectors, 5 runs a second" cargo run --release --locked -p baton-engine --example detect_bench -- --agents 1000 --runs-per-second 5
measure "Merge check" cargo run --release --locked -p baton-engine --example merge_check_bench
measure "Coding usage" cargo run --release --locked -p baton-hooks --example usage_bench
measure "Rate-limit ledger" cargo run --release --locked -p baton-engine --example rate_limit_bench target/rate-limit-bench
measure "OTLP ingest" cargo run --release --locked -p baton-engine --example otlp_bench -- --seconds 60
measure "UI state (Node 20)" npm --prefix ui run -s bench
# The debug app and engine, as `make test` builds them.
npm --prefix ui run -s build
cargo build -p baton-app
measure "Ownership map in the app" cargo test -p baton-tests --test integration -- map_bench:: --ignored --nocapture
measure "Rate-limit chart in the app" cargo test -p baton-tests --test integration -- ratelimit_bench:: --ignored --nocapture
measure "A2A poll" cargo test -p baton-tests --test integration -- a2a_bench:: --ignored --nocapture
# Decide from the phone: the release engine and hook call through the test ntfy server.
measure "Decide from the phone" cargo test --release --locked -p baton-tests --test integration -- notify_bench:: --ignored --nocapture
# fleet_load, watchers_failover, crashtest, vs_prometheus and hook_bench spawn the release
# `baton` and `baton-hook`, as a user runs them.
cargo build --release --locked -p baton-cli -p baton-hooks
measure "Busy fleet, SQLite" cargo run --release --locked -p baton-cli --example fleet_load -- --agents 1000 --seconds 600
measure "OTLP with a fleet" cargo run --release --locked -p baton-cli --example fleet_load -- --agents 200 --seconds 600 --otlp-rate 20000
measure "Busy fleet, PostgreSQL defaults" cargo run --release --locked -p baton-cli --example fleet_load -- --agents 1000 --seconds 300 --postgres
measure "Busy fleet, PostgreSQL sized" env BATON_TEST_PG_OPTIONS="$team_server" cargo run --release --locked -p baton-cli --example fleet_load -- --agents 1000 --seconds 300 --postgres
measure "Watchers failover, restart at once" env BATON_TEST_PG_OPTIONS="$team_server" cargo run --release --locked -p baton-cli --example watchers_failover -- --agents 1000 --watchers 2 --kills 20
measure "Watchers failover, restart after 10 s" env BATON_TEST_PG_OPTIONS="$team_server" cargo run --release --locked -p baton-cli --example watchers_failover -- --agents 1000 --watchers 2 --kills 20 --restart-after-seconds 10
measure "Crash test" cargo run --release --locked -p baton-cli --example crashtest -- --kills 1000
measure "Next to Prometheus" cargo run --release --locked -p baton-cli --example vs_prometheus -- --targets 1000 --seconds 300 --warmup 30
measure "Hooks, app running" "${hook_bench[@]}" --processes 10 --calls 100 --burst --served
measure "Hooks, app running" "${hook_bench[@]}" --processes 10 --calls 100 --served
measure "Hooks, no app" "${hook_bench[@]}" --processes 10 --calls 100 --burst
measure "Hooks, no app" "${hook_bench[@]}" --processes 10 --calls 100
measure "Hooks, no app" "${hook_bench[@]}" --processes 10 --calls 100 --cli
measure "Hooks, PostgreSQL 5 ms away" "${hook_bench[@]}" --processes 1 --calls 200 --postgres --delay-ms 5
measure "Hooks, PostgreSQL 5 ms away" "${hook_bench[@]}" --processes 10 --calls 100 --burst --postgres --delay-ms 5
measure "Hooks, PostgreSQL 5 ms away" "${hook_bench[@]}" --processes 10 --calls 100 --burst --served --postgres --delay-ms 5
for away in 30 100; do
  measure "Hooks, PostgreSQL 30 / 100 ms away" "${hook_bench[@]}" --processes 1 --calls 100 --postgres --delay-ms "$away"
  measure "Hooks, PostgreSQL 30 / 100 ms away" "${hook_bench[@]}" --processes 1 --calls 100 --served --postgres --delay-ms "$away"
  measure "Hooks, PostgreSQL 30 / 100 ms away" "${hook_bench[@]}" --processes 1 --calls 100 --no-own-server --postgres --delay-ms "$away"
done
# The app's memory: the release app beside the least a Tauri app of its size costs here.
cargo build --release --locked -p baton-app
npm --prefix ui run -s build:floor
cargo build --release --locked -p baton-app --features floor --example baton-app-floor
measure "App memory floor" env BATON_APP_BIN="$PWD/target/release/baton-app" \
  BATON_FLOOR_BIN="$PWD/target/release/examples/baton-app-floor" \
  cargo test --release --locked -p baton-tests --test integration -- floor_bench:: --ignored --nocapture
measure "App soak" env BATON_APP_BIN="$PWD/target/release/baton-app" \
  cargo test --release --locked -p baton-tests --test integration -- soak_bench:: --ignored --nocapture

printf '\n\033[1;34m== the hot paths against the figures recorded (more than 10 %% worse: !!)\033[0m\n'
printf '%s\n' "${guards[@]}"
printf '\n\033[1;34m== the figures recorded in %s\033[0m\n' "$table"
awk '/^## Current figures/ {on = 1} on && /^\|/ {print} on && /^$/ && seen {exit} /^\|/ {seen = 1}' "$table"
