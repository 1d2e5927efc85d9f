#!/usr/bin/env bash
# `make test`: every check, in order. `scripts/test.sh e2e` runs only the
# end-to-end suite. Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER=/usr/bin/chromedriver
export CARGO_TERM_COLOR=never

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
timer_start=$(date +%s)

only="${1:-all}"

if [ "$only" = all ]; then
  step "1/5 cargo fmt --check"
  cargo fmt --all -- --check

  step "2/5 cargo clippy (native and wasm) -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings
  cargo clippy -p buergeramt --target wasm32-unknown-unknown -- -D warnings

  step "3/5 cargo test --workspace (native)"
  cargo test --workspace

  step "4/5 wasm-bindgen-test in headless Chromium"
  cargo test -p buergeramt --target wasm32-unknown-unknown --test 'web_*'
fi

step "5/5 Playwright end-to-end (fresh server, free port, temporary data)"
trunk build --release --offline
cargo build -p backends --bins
# The size budget (budget.json): fails when the first load (index.html and
# everything it references, brotli) is over. Sizes are deterministic;
# timings stay in `make bench`.
"${CARGO_TARGET_DIR:-target}/debug/bench" dist --check budget.json | tail -2
npx playwright test

printf '\n\033[1mAll checks passed in %ss.\033[0m\n' "$(( $(date +%s) - timer_start ))"
