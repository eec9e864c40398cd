# Baton: two commands on a fresh Debian/Ubuntu machine.
#   make run    installs what is missing, builds, opens the app
#   make test   installs what is missing, runs every check and test
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup setup-test setup-bench ui run dev preview test check bindings recordings usage-samples icons bench

help:
	@echo "make run     install prerequisites, build and open Baton"
	@echo "make test    install prerequisites and run every check and test"
	@echo "make check   the quick loop between commits: fmt, clippy, unit tests, UI typecheck + Vitest"
	@echo "make dev     UI hot reload (vite) + app"
	@echo "make preview the UI in a browser on the real engine (baton preview: the demo fleet)"
	@echo "make bindings  regenerate ui/src/bindings from the Rust types"
	@echo "make recordings  regenerate the answers the UI tests replay (ui/src/test/recorded)"
	@echo "make icons   regenerate icons/ from icons/icon.svg"
	@echo "make bench   store (SQLite and PostgreSQL), timeline, rules, detectors, board, ownership-map, rate-limit, fleet-load, watchers-failover, vs-Prometheus, hook, app-floor and app-soak benchmarks (figures for docs/performance.md)"

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

# setup-test's prerequisites plus nginx-light and prometheus (no system service started).
setup-bench:
	@scripts/setup.sh --bench

ui:
	npm --prefix ui run build

# The app installs coding agents' hooks that run baton-hook, built beside it (and `baton`).
run: setup ui
	cargo build -p baton-cli -p baton-hooks
	cargo run -p baton-app

# Hot reload: the app loads the Vite dev server, whose live-reload socket the CSP must allow.
DEV_CONFIG := {"build":{"devUrl":"http://localhost:1420","beforeDevCommand":"npm --prefix ../ui run dev"},"app":{"security":{"csp":{"connect-src":"ipc: http://ipc.localhost ws://localhost:1420"}}}}
dev: setup
	cd src-tauri && ../ui/node_modules/.bin/tauri dev --config '$(DEV_CONFIG)'

# The UI in a browser on the real engine: open the URL it prints (the demo fleet, a temp store).
preview: setup ui
	cargo build -p baton-hooks
	cargo run -p baton-cli -- preview

test: setup-test
	@scripts/test.sh

# The minutes between commits: fmt, clippy, the unit tests (nextest) and the UI's checks.
check: setup-test
	@scripts/test.sh --quick

bindings:
	UPDATE_BINDINGS=1 cargo test -p baton-core --test integration bindings::

# The answers the UI's tests replay, from the real engine (never edited by hand).
recordings:
	cargo build -p baton-hooks
	cargo run -p baton-cli -- preview --record ui/src/test/recorded

# The usage parsers' samples, written by the real Claude Code and Codex (never edited by hand).
usage-samples: setup-test
	cargo build -p baton-cli -p baton-hooks
	BATON_RECORD_USAGE_SAMPLES=1 cargo test -p baton-tests --test integration peer_usage::

icons:
	scripts/icons.sh

# Figures for docs/performance.md: each benchmark after the figure recorded for it (release
# builds, and the debug app for the map; not part of `make test`). scripts/bench.sh lists them.
bench: setup-bench
	@scripts/bench.sh
