#!/usr/bin/env bash
# Installs every prerequisite Baton needs to build, run and test, skipping what is present.
# Idempotent; safe to run on every `make run` / `make test`.
#   scripts/setup.sh            build + run prerequisites
#   scripts/setup.sh --test     also the test prerequisites (Xvfb, WebKitWebDriver, tauri-driver, …)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=false
[ "${1:-}" = "--test" ] && want_test=true

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
  # the real third-party peers (PyPI) run in their own virtualenv
  apt_packages+=(python3 python3-venv)
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
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
# --- Real peers from PyPI (test only), in .venv-peers/ ---------------------------------------
if $want_test; then
  venv=.venv-peers
  # module to import : requirement to install
  peers=("mocklimit:mocklimit==0.6.*"
         "a2a.server.routes:a2a-sdk[http-server]==1.3.0"
         "uvicorn:uvicorn==0.54.*")
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
say "ready"
