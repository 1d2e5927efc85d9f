#!/usr/bin/env bash
# `make bench`: every performance figure of this run in one table
# (docs/performance.md explains each). Expects `trunk build --release` (dist/)
# and `cargo build --release -p backends --bins` to have run (the Makefile
# does both). Each part is independent: one that fails puts FAILED in its
# rows and the others still run. Exits non-zero if any part failed.
#
#   scripts/bench.sh [PART...]    PART: sizes search load relay browser (default: all)
set -uo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="$TARGET_DIR/release"
CACHE="$TARGET_DIR/bench-cache"
CITIZENS="${BENCH_CITIZENS:-200}"
PARTS=("${@:-sizes search load relay browser}")
PARTS=(${PARTS[*]})

WORK="$(mktemp -d "${TMPDIR:-/tmp}/buergeramt-bench-XXXXXX")"
ROWS="$WORK/rows.tsv"
: >"$ROWS"
FAILED=0
SERVER_PID=""

cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*" >&2; }
row() { printf 'ROW\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$ROWS"; }
fail() { row "$1" "$2" "FAILED ($3)" ""; FAILED=1; }
want() { [[ " ${PARTS[*]} " == *" $1 "* ]]; }
# Runs a part: shows its output except the ROW lines, which go to the table.
run() {
  "$@" 2>&1 | tee "$WORK/out.txt" | grep -av '^ROW	'
  local rc=${PIPESTATUS[0]}
  grep -a '^ROW	' "$WORK/out.txt" >>"$ROWS"
  return "$rc"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"
}

# A fresh release stand-in on a free port with an empty data directory.
start_server() {
  PORT="$(free_port)"
  DATA="$WORK/data-$1"
  mkdir -p "$DATA"
  PORT="$PORT" BUERGERAMT_DATA="$DATA" BUERGERAMT_DIST=dist RUST_LOG=warn \
    "$BIN/buergeramt-backends" >"$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!
  BASE="http://127.0.0.1:$PORT"
  for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "stand-in did not come up; its log:" >&2
  tail -20 "$WORK/server-$1.log" >&2
  stop_server
  return 1
}

stop_server() {
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
  fi
}


# ---- 1. dist sizes and the Open Forms SDK anchor ---------------------------
if want sizes; then
  say "dist sizes (bench dist)"
  OURS=()
  if "$BIN/bench" dist >"$WORK/dist.txt" 2>&1; then
    cat "$WORK/dist.txt"
    # Asset lines: name, then raw / gzip / brotli as "<n> KB", then "yes" for first load.
    awk '
      /^asset / { next }
      /^FIRST LOAD/ {
        n = 0; for (i = 1; i <= NF; i++) if ($i == "KB") v[++n] = $(i-1)
        printf "ROW\tdist sizes\tFIRST LOAD (html+js+wasm+css)\t%s / %s / %s\tKB raw / gzip / br\n", v[1], v[2], v[3]
        next
      }
      NF >= 7 && $3 == "KB" && $5 == "KB" && $7 == "KB" {
        printf "ROW\tdist sizes\t%s%s\t%s / %s / %s\tKB raw / gzip / br\n", $1, ($8 == "yes" ? " (first load)" : ""), $2, $4, $6
      }' "$WORK/dist.txt" >>"$ROWS"
    read -r -a OURS < <(awk '/^FIRST LOAD/ { n = 0; for (i = 1; i <= NF; i++) if ($i == "KB") printf "%s ", $(i-1) }' "$WORK/dist.txt")
    [[ ${#OURS[@]} -eq 3 ]] || fail "dist sizes" "FIRST LOAD" "line not found in bench dist output"
  else
    cat "$WORK/dist.txt" >&2
    fail "dist sizes" "bench dist" "exit $?"
  fi

  say "Open Forms SDK 3.3.0 (npm) anchor"
  if ! run node scripts/bench/openforms.mjs "$CACHE" "${OURS[@]}"; then
    fail "open forms" "SDK bundle" "see output above"
  fi
fi

# ---- 2. search latency -----------------------------------------------------
if want search; then
  say "search latency (search-bench)"
  if ! run nice -n 10 "$BIN/search-bench"; then
    fail "search" "search-bench" "see output above"
  fi
fi

# ---- 3. load on the stand-in and its memory --------------------------------
if want load; then
  say "load: $CITIZENS citizens submitting at once (load-bench)"
  if start_server load; then
    if ! run nice -n 10 "$BIN/load-bench" --base "$BASE" --db "$DATA/buergeramt.sqlite" --citizens "$CITIZENS" --server-pid "$SERVER_PID"; then
      row "load" "load-bench" "FAILED (see output above)" ""
      FAILED=1
    fi
    stop_server
  else
    fail "load" "stand-in" "did not start"
  fi
fi

# ---- 3b. what the relay adds, and its memory ----------------------------------
if want relay; then
  say "relay: catalogue straight and through the relay; $CITIZENS citizens through it (relay-bench)"
  RELAY_PORT="$(free_port)"
  export BUERGERAMT_RELAY_URL="http://127.0.0.1:$RELAY_PORT"
  if start_server relay; then
    PORT="$RELAY_PORT" RELAY_UPSTREAM="$BASE" RELAY_DATA="$WORK/relay-data" RUST_LOG=warn \
      "$BIN/buergeramt-relay" >"$WORK/relay.log" 2>&1 &
    RELAY_PID=$!
    for _ in $(seq 1 120); do
      curl -fsS -o /dev/null "http://127.0.0.1:$RELAY_PORT/healthz" 2>/dev/null && break
      sleep 0.5
    done
    if ! run nice -n 10 "$BIN/relay-bench" --upstream "$BASE" --relay "http://127.0.0.1:$RELAY_PORT" \
        --relay-pid "$RELAY_PID" --citizens "$CITIZENS"; then
      row "relay" "relay-bench" "FAILED (see output above)" ""
      FAILED=1
    fi
    kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
    stop_server
  else
    fail "relay" "stand-in" "did not start"
  fi
  unset BUERGERAMT_RELAY_URL
fi

# ---- 4. Lighthouse mobile and the app's heap ----------------------------------
if want browser; then
  say "Lighthouse mobile and JS heap (Playwright + Chromium)"
  if start_server browser; then
    BENCH_BASE="$BASE" BENCH_ROWS="$ROWS" CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}" \
      nice -n 10 playwright test -c scripts/bench/playwright.config.ts 2>&1 | grep -av '^ROW	'
    [[ ${PIPESTATUS[0]} -eq 0 ]] || FAILED=1
    grep -q '	lighthouse mobile	' "$ROWS" || fail "lighthouse mobile" "all pages" "no result"
    grep -q '	memory	app JS heap' "$ROWS" || fail "memory" "app JS heap after journey" "no result"
    stop_server
  else
    fail "lighthouse mobile" "stand-in" "did not start"
  fi
fi

# ---- the table ---------------------------------------------------------------
say "all figures of this run ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores)"
awk -F'\t' '
  { g[NR] = $2; m[NR] = $3; v[NR] = $4; u[NR] = $5
    if (length($2) > wg) wg = length($2); if (length($3) > wm) wm = length($3); if (length($4) > wv) wv = length($4) }
  END {
    printf "| %-*s | %-*s | %*s | %s\n", wg, "group", wm, "measurement", wv, "value", "unit"
    line = sprintf("|%s|%s|%s|------", sprintf("%*s", wg + 2, ""), sprintf("%*s", wm + 2, ""), sprintf("%*s", wv + 2, ""))
    gsub(/ /, "-", line); print line
    for (i = 1; i <= NR; i++) printf "| %-*s | %-*s | %*s | %s\n", wg, g[i], wm, m[i], wv, v[i], u[i]
  }' "$ROWS"
exit "$FAILED"
