#!/usr/bin/env bash
# `make test`: every check, in order. `scripts/test.sh e2e` runs only the
# end-to-end suites (Playwright, then the WebDriver journey);
# `scripts/test.sh webdriver` only the WebDriver journey (builds what it needs).
# Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TERM_COLOR=never

timer_start=$(date +%s)
# Each step's line says when it started (minutes since the start), so a
# CI log shows where the time goes.
step() {
  local t=$(( $(date +%s) - timer_start ))
  printf '\n\033[1m==> [%d:%02d] %s\033[0m\n' $(( t / 60 )) $(( t % 60 )) "$*"
}

only="${1:-all}"
# A failing step must not leave a background step (PostgreSQL tests, the
# release build) running.
trap 'jobs -p | xargs -r kill 2>/dev/null || true' EXIT

if [ "$only" = all ]; then
  step "1/7 cargo fmt --check"
  cargo fmt --all -- --check

  step "2/7 cargo clippy (native and wasm) -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p buergeramt --target wasm32-unknown-unknown -- -D warnings

  step "3/7 cargo test --workspace (native; the relay on SQLite, two relays behind haproxy; three test binaries at a time)"
  scripts/test-bins.sh

  # The relay's integration tests once more on PostgreSQL (a throwaway
  # server: scripts/pg-test.sh), in the background while the browser tests
  # of steps 4 and 5 run; waited for before step 6.
  step "3/7 relay integration tests on PostgreSQL (in the background; log: target/pg-test.log)"
  pg_log="${CARGO_TARGET_DIR:-target}/pg-test.log"
  mkdir -p "$(dirname "$pg_log")"
  # The test binaries built by step 3 run directly, so that cargo's lock on
  # the target directory is not held while steps 4 and 5 build: the relay's
  # integration tests from step 3's list (scripts/test-bins.sh).
  pg_bins=$(awk -F'\t' '$3 == "test" && $2 ~ /\/relay$/ { print $1 }' "${CARGO_TARGET_DIR:-target}/test-logs/binaries.tsv")
  [ -n "$pg_bins" ] || { echo "no relay integration test in step 3's list" >&2; exit 1; }
  (cd relay && ../scripts/pg-test.sh bash -c 'for t in "$@"; do echo "== $t"; "$t" || exit 1; done' pg $pg_bins) \
    >"$pg_log" 2>&1 &
  pg_pid=$!

  # The release build of step 6 (its own profile and target directories, so
  # no cargo lock is shared with steps 4 and 5) runs in the background too:
  # steps 4 and 5 mostly wait on browsers. Waited for in step 6.
  step "6/7 (start) release build of the app in the background (log: target/release-build.log)"
  release_log="${CARGO_TARGET_DIR:-target}/release-build.log"
  trunk build --release --offline >"$release_log" 2>&1 &
  release_pid=$!

  step "4/7 wasm-bindgen-test in headless Chromium"
  cargo test -p buergeramt --target wasm32-unknown-unknown --test 'web_*'

  # The same tests, already built, in Firefox ESR (webdriver.json: headless).
  step "5/7 wasm-bindgen-test in headless Firefox ESR"
  env -u CHROMEDRIVER GECKODRIVER="${GECKODRIVER:-$(command -v geckodriver)}" \
    cargo test -p buergeramt --target wasm32-unknown-unknown --test 'web_*'

  step "3/7 (end) the relay on PostgreSQL"
  if wait "$pg_pid"; then
    grep -E '^(pg-test|test result)' "$pg_log" || true
  else
    cat "$pg_log"
    echo "the relay's integration tests failed on PostgreSQL" >&2
    exit 1
  fi
fi

# A citizen's journey over WebDriver in Firefox ESR (geckodriver, headless)
# and WebKit (WebKitWebDriver with the MiniBrowser, under xvfb-run -a),
# against one stand-in and relay of its own (e2e-webdriver/).
webdriver_journey() {
  step "7/7 WebDriver journey in Firefox ESR and WebKit (search, login, Hundesteuer sent, postbox)"
  node --test --test-reporter=spec --test-concurrency=1 e2e-webdriver/
}

if [ "$only" = webdriver ]; then
  trunk build --release --offline
  cargo build -p backends -p relay --bins
  webdriver_journey
  exit 0
fi

step "6/7 Playwright end-to-end (fresh stand-in and relay, free ports, temporary data)"
if [ -n "${release_pid:-}" ]; then
  if ! wait "$release_pid"; then
    cat "$release_log"
    echo "the release build failed" >&2
    exit 1
  fi
  tail -3 "$release_log"
else
  trunk build --release --offline
fi
# The app talks to the relay only: no upstream path may be left in what the
# browser loads (scripts, wasm, pages, the service worker, JSON).
upstream_paths='/pvog/|/fitconnect/|/zbp/|/idp/token'
offenders=$(find dist -type f \( -name '*.js' -o -name '*.wasm' -o -name '*.html' -o -name '*.json' -o -name '*.webmanifest' \) \
  -exec grep -l -a -E -e "$upstream_paths" {} + || true)
if [ -n "$offenders" ]; then
  printf 'dist/ still names an upstream path (%s) in:\n%s\n' "$upstream_paths" "$offenders" >&2
  for f in $offenders; do grep -a -o -E -e ".{0,40}($upstream_paths).{0,40}" "$f" | head -3 | tr -c '[:print:]\n' '.' >&2 || true; done
  exit 1
fi
cargo build -p backends -p relay --bins
# The size budget (budget.json): fails when the first load (index.html and
# everything it references, brotli) is over. Sizes are deterministic;
# timings stay in `make bench`.
"${CARGO_TARGET_DIR:-target}/debug/bench" dist --check budget.json | tail -2
npx playwright test

webdriver_journey

printf '\n\033[1mAll checks passed in %ss.\033[0m\n' "$(( $(date +%s) - timer_start ))"
