#!/usr/bin/env bash
# Every check and test, in the order CI runs them. Prerequisites: scripts/setup.sh --test.
#   scripts/test.sh          everything (`make test`, CI)
#   scripts/test.sh --quick  fmt, clippy, the unit tests and the UI's checks (`make check`)
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
[ "${1:-}" = "--quick" ] && quick=true

# CI builds the tree once from nothing: incremental caches would only take disk (1.7 of 6.2 GB,
# and a CI machine ran out of space). Set CARGO_INCREMENTAL=1 to keep them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Clippy rides on the one build. `cargo clippy` is `cargo check` with clippy-driver as the
# workspace's rustc wrapper; as the wrapper of `cargo build` it lints the workspace's crates
# while it compiles them (clippy-driver is rustc with the lints), and the dependencies are
# compiled once, for the tests, instead of once more in check mode. Every cargo command below
# runs with the same wrapper, so none of them compiles the workspace again.
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
if [ -z "$clippy_driver" ]; then
  echo "clippy-driver is missing: rustup component add clippy" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

start=$SECONDS
# The build and the tests take about 6 GB (target dir, peers' packages): say what there is.
df -h . | awk 'NR == 2 {print "disk free here: " $4 " of " $2}'
times=()
step() {
  local name=$1; shift
  printf '\n\033[1;34m== %s\033[0m\n' "$name"
  local t=$SECONDS
  "$@"
  printf '\033[1;32m== %s: ok (%ss)\033[0m\n' "$name" $((SECONDS - t))
  times+=("$(printf '%5ss  %s' $((SECONDS - t)) "$name")")
}

core_is_pure() {
  # baton-core must build without an async runtime, a database or the UI toolkit.
  local deps
  deps=$(cargo tree -p baton-core -e normal,build --prefix none --locked | awk '{print $1}' | sort -u)
  for forbidden in tauri tokio rusqlite libsqlite3-sys wry webkit2gtk; do
    if grep -qx "$forbidden" <<<"$deps"; then
      echo "baton-core depends on $forbidden" >&2
      return 1
    fi
  done
  echo "baton-core depends on none of: tauri tokio rusqlite wry webkit2gtk"
}

# The tests run under cargo-nextest (.config/nextest.toml): each test a process of its own,
# several at once, no retries. The store's, the engine's and the CLI's suites run twice, on
# SQLite and on PostgreSQL (BATON_TEST_STORE=postgres; docs/testing.md), from one build.
NEXTEST=(cargo nextest run --workspace --locked --no-fail-fast --hide-progress-bar)
ON_POSTGRES='package(baton-store) | package(baton-engine) | package(baton-cli)'
# The SQLite pass runs three tests at a time, the app's first (one at a time: nextest's `app`
# group), the PostgreSQL pass two, its longest first; each is bound by the sum of its tests'
# times (most wait on servers, agents and sleeps). These tests try both stores themselves (or
# none) whatever BATON_TEST_STORE says, so they run in the PostgreSQL pass: both passes end
# about together (docs/testing.md, "How the suite runs").
BESIDE_POSTGRES='package(baton-tests) & (test(/^peer_a2a/) | test(/^peer_claude_code/))'

# One PostgreSQL for every test process of the run, a database per test (crates/baton-testdb);
# the tests that stop or restart a server start their own. Stopped when this script ends.
shared_pg() {
  BATON_TEST_PG_SHARED=$(mktemp -d "${TMPDIR:-/tmp}/baton-pg-run.XXXXXX")
  export BATON_TEST_PG_SHARED
  echo $$ >"$BATON_TEST_PG_SHARED/owner"
  trap 'stop_shared_pg' EXIT
}
# Its folder holds a database per test (about 600, 5 GB): removing it took 18–22 s at the end
# of a run, so it goes after the script has ended, in a process of its own.
stop_shared_pg() {
  if [ -f "$BATON_TEST_PG_SHARED/server/stop" ]; then
    sh -c "$(cat "$BATON_TEST_PG_SHARED/server/stop")" >/dev/null 2>&1 || true
  fi
  local gone
  gone="$BATON_TEST_PG_SHARED.gone"
  mv "$BATON_TEST_PG_SHARED" "$gone" 2>/dev/null || gone="$BATON_TEST_PG_SHARED"
  setsid rm -rf "$gone" </dev/null >/dev/null 2>&1 &
}

# After the build, the rest at once: most tests wait on servers, agents and sleeps (the two
# passes' longest: the app's tests one at a time on SQLite, three watchers through 20 kills on
# PostgreSQL), so the UI's checks and the doc tests take the core they leave. Each part's lines
# carry its name (`[postgres]`, `[ui]`, `[doc]`; the SQLite pass's none); each part's result and
# time come at the end.
parts_dir=""
part() {
  local name=$1; shift
  (
    set +e
    local t=$SECONDS
    if [ "$name" = sqlite ]; then
      "$@" 2>&1
    else
      "$@" 2>&1 | sed -u "s/^/[$name] /"
    fi
    local rc=${PIPESTATUS[0]}
    echo "$rc $((SECONDS - t))" >"$parts_dir/$name"
  ) &
}
# The UI's type check is the UI build's (`tsc -b && vite build`, the first step): not run twice.
ui_checks() {
  npm --prefix ui run --silent lint && npm --prefix ui test --silent
}
all_at_once() {
  parts_dir=$(mktemp -d)
  part sqlite "${NEXTEST[@]}" --test-threads 3 -E "not ($BESIDE_POSTGRES)"
  part postgres env BATON_TEST_STORE=postgres "${NEXTEST[@]}" --profile postgres \
    -E "$ON_POSTGRES | ($BESIDE_POSTGRES)"
  part ui ui_checks
  part doc cargo test --workspace --doc --locked
  wait
  local failed=0 name rc secs
  for name in sqlite postgres ui doc; do
    read -r rc secs <"$parts_dir/$name"
    printf '%-9s %s (%ss)\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")" "$secs"
    times+=("$(printf '%5ss    %s' "$secs" "$name")")
    [ "$rc" = 0 ] || failed=1
  done
  rm -rf "$parts_dir"
  return $failed
}

if ! command -v cargo-nextest >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-nextest" ]; then
  echo "cargo-nextest is missing: run scripts/setup.sh --test (make test does)" >&2
  exit 1
fi

# The quick loop runs the UI's checks beside the build and the unit tests (the build waits on
# the linker and on single crates for much of its time): their lines carry `[ui]`.
ui_pid=""
if $quick; then
  ui_log=$(mktemp)
  (ui_checks >"$ui_log" 2>&1) &
  ui_pid=$!
  ui_started=$SECONDS
  trap 'kill "$ui_pid" 2>/dev/null || true; rm -f "$ui_log"' EXIT
fi
# The app's crate embeds ui/dist (clippy reads it too).
step "UI build" npm --prefix ui run --silent build
step "cargo fmt --check" cargo fmt --all -- --check
step "baton-core stays pure" core_is_pure
# One build of everything the tests need, the app binary included, linted by clippy as it
# compiles (-D warnings): building tests and the app in one invocation unifies dependency
# features, and in the profile nextest and the doc tests use (`test`: Cargo.toml says how it
# differs from `dev`), so nextest compiles nothing again.
if $quick; then
  # The crates, the app and their unit tests only (the integration tests and examples are
  # linted and built by `make test`): nextest builds the unit tests with the same wrapper.
  step "build and clippy (crates, app)" cargo build --profile test --workspace --lib --bins --locked
  step "unit tests (nextest), linted as they build" "${NEXTEST[@]}" --lib --bins
  printf '\n\033[1;34m== UI lint and Vitest (beside the build; the UI build type-checks)\033[0m\n'
  ui_rc=0
  wait "$ui_pid" || ui_rc=$?
  sed 's/^/[ui] /' "$ui_log"
  rm -f "$ui_log"
  if [ "$ui_rc" != 0 ]; then
    echo "UI checks failed (exit $ui_rc)" >&2
    exit "$ui_rc"
  fi
  times+=("$(printf '%5ss  %s' $((SECONDS - ui_started)) "UI lint and Vitest (from the start, beside the rest)")")
else
  step "build and clippy (app, tests, examples)" cargo build --profile test --workspace --all-targets --locked
  shared_pg
  step "tests on SQLite and PostgreSQL, the UI's checks, doc tests (at once)" all_at_once
fi

printf '\n\033[1;32mall checks passed in %ss\033[0m\n' $((SECONDS - start))
printf '%s\n' "${times[@]}"
# How much disk the build took: the figure to watch when CI machines are small.
du -sh "${CARGO_TARGET_DIR:-target}" 2>/dev/null || true
