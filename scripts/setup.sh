#!/usr/bin/env bash
# Installs what `make run` and `make test` need, and nothing that is already
# there. Idempotent; takes seconds when everything is present. Downloads only
# from package registries (crates.io, npm, Debian), never from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

# Rust: the wasm target and the components the checks use.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for comp in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$comp"; then
    say "adding rustup component $comp"
    rustup component add "$comp"
  fi
done

# Trunk, pinned (0.22 needs a newer rustc).
if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (takes about 10 minutes once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# wasm-bindgen-cli at exactly Cargo.lock's wasm-bindgen version. Not --locked:
# one of its locked dependency versions is missing from the registry.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
if [ -z "$WB_VERSION" ]; then
  echo "setup: cannot read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  say "installing wasm-bindgen-cli $WB_VERSION"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# wasm-split-cli splits the release wasm into chunks loaded on demand
# (scripts/wasm-bundle.sh). It has no --version; cargo's install list knows.
WSPLIT_VERSION=0.2.4
if ! cargo install --list | grep -q "^wasm_split_cli_support v$WSPLIT_VERSION:"; then
  say "installing wasm-split-cli $WSPLIT_VERSION"
  cargo install wasm_split_cli_support --version "$WSPLIT_VERSION" --features build-binary --force
fi

# npm: binaryen (wasm-opt), KERN UX, Playwright, axe. Re-run npm ci only when
# package-lock.json changed since the last install.
STAMP=node_modules/.setup-stamp
LOCK_SUM=$(sha256sum package-lock.json | awk '{print $1}')
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$LOCK_SUM" ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
  echo "$LOCK_SUM" > "$STAMP"
fi

# C libraries for -sys crates (OpenSSL: the identity provider's RSA keys).
if ! dpkg -s libssl-dev pkg-config >/dev/null 2>&1; then
  say "installing libssl-dev and pkg-config"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libssl-dev pkg-config
fi

# Debian's Chromium and its driver, for browser tests (never Playwright's own download).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  say "installing Debian's chromium and chromium-driver"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi

# Firefox ESR and WebKitGTK for the WebDriver journey (e2e-webdriver/) and the
# wasm-bindgen tests in Firefox: Debian's firefox-esr, webkit2gtk-driver
# (WebKitWebDriver and the MiniBrowser under the webkit2gtk lib directory)
# and xvfb (xvfb-run: WebKitGTK needs a display). Playwright's own Firefox
# and WebKit builds are never downloaded.
if ! command -v firefox-esr >/dev/null 2>&1 || ! command -v WebKitWebDriver >/dev/null 2>&1 \
  || ! command -v xvfb-run >/dev/null 2>&1; then
  say "installing Debian's firefox-esr, webkit2gtk-driver and xvfb"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq firefox-esr webkit2gtk-driver xvfb
fi

# The relay on PostgreSQL and behind a load balancer, for its tests
# (scripts/pg-test.sh starts a throwaway server from Debian's postgresql;
# relay/tests/instances.rs puts two relays behind Debian's haproxy).
# Only the binaries are used: no cluster is created or started here.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! [ -x /usr/sbin/haproxy ]; then
  say "installing Debian's postgresql and haproxy"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql haproxy
fi

# SAML 2.0 (issue #20): XML signatures and encryption through xmlsec, for the
# `samael` crate's `xmlsec` feature (the stand-in's IdP and the relay's SP).
# libclang-dev is for the bindings bindgen generates at build time.
if ! dpkg -s libxmlsec1-dev libxml2-dev libclang-dev pkg-config >/dev/null 2>&1; then
  say "installing Debian's libxmlsec1-dev, libxml2-dev, libclang-dev and pkg-config"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libxmlsec1-dev libxml2-dev libclang-dev pkg-config
fi

# geckodriver (Firefox's WebDriver server), pinned, from crates.io.
GECKODRIVER_VERSION=0.37.1
if [ "$(geckodriver --version 2>/dev/null | awk 'NR==1 {print $2}')" != "$GECKODRIVER_VERSION" ]; then
  say "installing geckodriver $GECKODRIVER_VERSION (takes about 3 minutes once)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --locked
fi

say "ready: $(trunk --version), wasm-bindgen $WB_VERSION, wasm-opt $(wasm-opt --version | awk '{print $3}'), $(chromium --version 2>/dev/null | head -1), $(firefox-esr --version 2>/dev/null | head -1), geckodriver $GECKODRIVER_VERSION, WebKitGTK $(dpkg-query -W -f='${Version}' webkit2gtk-driver 2>/dev/null), PostgreSQL $(dpkg-query -W -f='${Version}' postgresql 2>/dev/null), haproxy $(dpkg-query -W -f='${Version}' haproxy 2>/dev/null)"
