#!/usr/bin/env bash
# Every check and test, in the order CI runs them. Prerequisites: scripts/setup.sh --test.
set -euo pipefail
cd "$(dirname "$0")/.."

# CI builds the tree once from nothing: incremental caches would only take disk (1.7 of 6.2 GB,
# and a CI machine ran out of space). Set CARGO_INCREMENTAL=1 to keep them.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

start=$SECONDS
# The build and the tests take about 6 GB (target dir, peers' packages): say what there is.
df -h . | awk 'NR == 2 {print "disk free here: " $4 " of " $2}'
step() {
  local name=$1; shift
  printf '\n\033[1;34m== %s\033[0m\n' "$name"
  local t=$SECONDS
  "$@"
  printf '\033[1;32m== %s: ok (%ss)\033[0m\n' "$name" $((SECONDS - t))
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

step "UI typecheck" npm --prefix ui run --silent typecheck
step "UI lint" npm --prefix ui run --silent lint
step "UI unit tests (Vitest)" npm --prefix ui test --silent
step "UI build" npm --prefix ui run --silent build
step "cargo fmt --check" cargo fmt --all -- --check
step "baton-core stays pure" core_is_pure
step "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
# One build of everything the tests need, the app binary included: building tests and the app in
# one invocation unifies dependency features, so `cargo test` below compiles nothing again.
step "build (app, tests, examples)" cargo build --workspace --all-targets --locked
step "cargo test (unit, store, engine, sim, examples, end-to-end)" cargo test --workspace --locked
# The store, the engine and the CLI once more on PostgreSQL (a server the tests start in a temp
# folder): one suite, both engines (docs/testing.md).
step "cargo test on PostgreSQL (store, engine, CLI)" env BATON_TEST_STORE=postgres \
  cargo test --locked -p baton-store -p baton-engine -p baton-cli

printf '\n\033[1;32mall checks passed in %ss\033[0m\n' $((SECONDS - start))
# How much disk the build took: the figure to watch when CI machines are small.
du -sh "${CARGO_TARGET_DIR:-target}" 2>/dev/null || true
