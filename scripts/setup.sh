#!/usr/bin/env bash
# Installs every prerequisite Baton needs to build, run and test, skipping what is present.
# Idempotent; safe to run on every `make run` / `make test`.
#   scripts/setup.sh            build + run prerequisites
#   scripts/setup.sh --test     also the test prerequisites (Xvfb, WebKitWebDriver, tauri-driver, …)
#   scripts/setup.sh --bench    also what `make bench` needs: the test prerequisites, nginx-light and
#                               prometheus (the benchmarks run their own instances; no system
#                               service is started or left enabled)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
want_bench=false
[ "${1:-}" = "--test" ] && want_test=true
[ "${1:-}" = "--bench" ] && want_test=true && want_bench=true

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# --- Debian/Ubuntu packages -------------------------------------------------------------
apt_packages=(
  # Tauri build
  libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config
)
if $want_test; then
  # headless window, WebDriver for the real webview, screenshots
  apt_packages+=(xvfb xauth webkit2gtk-driver imagemagick)
  # desktop notifications: a private session bus and a notification daemon with buttons
  # (dunst), its calls recorded by dbus-monitor (tests/src/notification_daemon.rs)
  apt_packages+=(dbus-daemon dbus-bin dunst)
  # the real third-party peers (PyPI) run in their own virtualenv
  apt_packages+=(python3 python3-venv)
  # the store's suites run on a real PostgreSQL too: the tests start their own server in a
  # temporary folder (initdb + pg_ctl), none is started here
  apt_packages+=(postgresql)
fi
# Packages that come with a system service (nginx on :80, prometheus on :9090, PostgreSQL on
# :5432); the tests and benchmarks start their own instances.
daemon_packages=(nginx-light prometheus postgresql)
if $want_bench; then
  # vs_prometheus: static targets served by nginx, scraped by Prometheus and polled by Baton
  apt_packages+=("${daemon_packages[@]}")
fi

missing=()
for pkg in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "Missing packages (${missing[*]}) and no apt-get: install them with your package manager." >&2
    exit 1
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  say "installing ${#missing[@]} apt packages: ${missing[*]}"
  # Their maintainer scripts would start nginx and prometheus as system services. A policy-rc.d
  # that answers 101 ("action forbidden") stops invoke-rc.d and deb-systemd-invoke from starting
  # them; it is only added (and removed again) when the machine has none (Docker images ship one).
  daemons=()
  for pkg in "${missing[@]}"; do
    for daemon in "${daemon_packages[@]}"; do
      [ "$pkg" = "$daemon" ] && daemons+=("${pkg%-light}")
    done
  done
  policy=/usr/sbin/policy-rc.d
  if [ ${#daemons[@]} -gt 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# added by Baton scripts/setup.sh while installing: start no service\nexit 101\n' \
      | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Whatever a policy allowed: stop the services just installed, and on systemd keep them from
  # starting at boot (Baton's benchmarks start their own nginx and prometheus).
  for daemon in "${daemons[@]}"; do
    if [ -d /run/systemd/system ]; then
      $sudo systemctl disable --now --quiet "$daemon" 2>/dev/null || true
    elif [ -x "/etc/init.d/$daemon" ]; then
      $sudo "/etc/init.d/$daemon" stop >/dev/null 2>&1 || true
    fi
    say "installed $daemon without starting its system service"
  done
else
  say "apt packages present"
fi

# --- Toolchains (never downloaded here: they must already be on the machine) ---------------
for tool in cargo node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is not installed. Install Rust (rustup) and Node.js 20+ first." >&2
    exit 1
  fi
done

# --- UI packages ----------------------------------------------------------------------
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "installing UI packages (npm ci)"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
else
  say "UI packages present"
fi

# --- Test-only tools --------------------------------------------------------------------
if $want_test; then
  if ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
    say "installing tauri-driver"
    cargo install tauri-driver --locked --version '^2' --quiet
  else
    say "tauri-driver present"
  fi
fi
# cargo-nextest runs the tests (scripts/test.sh): each test a process of its own, several at
# once. From crates.io, built once (~3 min) when it is not on the machine.
if $want_test; then
  if ! command -v cargo-nextest >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-nextest" ]; then
    say "installing cargo-nextest"
    cargo install cargo-nextest --locked --quiet
  else
    say "cargo-nextest present"
  fi
fi
# --- Real peers from PyPI (test only), in .venv-peers/ ---------------------------------------
if $want_test; then
  venv=.venv-peers
  # module to import : requirement to install
  peers=("mocklimit:mocklimit==0.6.*"
         "a2a.server.routes:a2a-sdk[http-server]==1.3.0"
         "uvicorn:uvicorn==0.54.*"
         # fasta2a (pydantic-ai's A2A server) and the LangGraph dev server: tests/peers/*-notes.md
         "fasta2a:fasta2a==2.1.1"
         "pydantic_ai:pydantic-ai-slim==2.68.0"
         "langgraph:langgraph==1.2.22"
         "langgraph_api:langgraph-api==0.16.7"
         "langgraph_runtime_inmem:langgraph-runtime-inmem==0.36.7"
         "langgraph_cli:langgraph-cli[inmem]==0.4.40")
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the peers' virtualenv ($venv)"
    python3 -m venv "$venv"
  fi
  missing_peers=()
  for peer in "${peers[@]}"; do
    if ! "$venv/bin/python" -c "import ${peer%%:*}" 2>/dev/null; then
      missing_peers+=("${peer#*:}")
    fi
  done
  if [ ${#missing_peers[@]} -gt 0 ]; then
    say "installing PyPI peers: ${missing_peers[*]}"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${missing_peers[@]}"
  else
    say "PyPI peers present"
  fi
fi
# --- Google ADK (test only), in its own virtualenv .venv-adk/ --------------------------------
# An ADK agent served with ADK's own `to_a2a` (tests/peers/adk_agent.py). Its own virtualenv:
# google-adk pins protobuf, websockets and opentelemetry at versions the LangGraph peers in
# .venv-peers do not share. ~60 packages, ~150 MB, ~30 s from PyPI.
if $want_test; then
  adk_venv=.venv-adk
  if [ ! -x "$adk_venv/bin/python" ]; then
    say "creating the ADK peer's virtualenv ($adk_venv)"
    python3 -m venv "$adk_venv"
  fi
  if ! "$adk_venv/bin/python" -c "import google.adk.a2a.utils.agent_to_a2a, uvicorn" 2>/dev/null; then
    say "installing google-adk[a2a] into $adk_venv"
    "$adk_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "google-adk[a2a]==2.13.0" "a2a-sdk[http-server]==1.3.0" "uvicorn==0.54.*"
  else
    say "google-adk present"
  fi
  # The OpenTelemetry SDK's OTLP/HTTP exporter, at the SDK's version google-adk brought (1.44):
  # the ADK agent exporting its spans to Baton's receiver (tests/peers/otel_adk_agent.py).
  if ! "$adk_venv/bin/python" -c "import opentelemetry.exporter.otlp.proto.http.trace_exporter" 2>/dev/null; then
    say "installing opentelemetry-exporter-otlp-proto-http into $adk_venv"
    "$adk_venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      "opentelemetry-exporter-otlp-proto-http==1.44.0"
  else
    say "the OTLP/HTTP exporter present"
  fi
fi
# --- The A2A JavaScript SDK (test only), in .peers-a2a-js/ -----------------------------------
# The official @a2a-js/sdk with express (tests/peers/a2a_js_agent.mjs); ~70 packages, ~10 MB.
if $want_test; then
  if ! grep -qs '"version": "1.3.0"' .peers-a2a-js/node_modules/@a2a-js/sdk/package.json \
     || [ ! -d .peers-a2a-js/node_modules/express ]; then
    say "installing @a2a-js/sdk and express into .peers-a2a-js/"
    mkdir -p .peers-a2a-js
    npm install --prefix .peers-a2a-js --no-audit --no-fund --loglevel=error \
      @a2a-js/sdk@1.3.0 express@5.3.0
  else
    say "@a2a-js/sdk present"
  fi
fi
# --- Coding-agent CLIs from npm (test only), in .peers-node/ ----------------------------------
# The real Claude Code, Codex, Copilot CLI, Gemini CLI and OpenCode, driven offline by scripted
# stand-ins for their model APIs. Each line: the command it installs, the pinned package.
# (opencode-ai brings its binary as a package per platform, ~180 MB.)
if $want_test; then
  while read -r bin package; do
    if [ ! -x ".peers-node/node_modules/.bin/$bin" ]; then
      say "installing $package into .peers-node/"
      npm install --prefix .peers-node --no-audit --no-fund --loglevel=error "$package"
    else
      say "$package present"
    fi
  done <<'PEERS'
claude @anthropic-ai/claude-code@2.1.328
codex @openai/codex@0.169.0
copilot @github/copilot@1.0.102
gemini @google/gemini-cli@0.61.0
opencode opencode-ai@1.18.33
PEERS
fi
say "ready"
