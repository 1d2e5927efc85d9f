#!/usr/bin/env bash
# `make bench`: every performance figure of this run in one table
# (docs/performance.md explains each). Expects `trunk build --release` (dist/)
# and `cargo build --release -p backends --bins` to have run (the Makefile
# does both). Each part is independent: one that fails puts FAILED in its
# rows and the others still run. Exits non-zero if any part failed.
#
#   scripts/bench.sh [PART...]    PART: sizes search termine load relay relay-scale browser (default: all)
#   BENCH_BEFORE_DIST=<dir>       browser part: also measure that earlier build (first visit, every Lighthouse page)
#   BENCH_BROWSER_GREP=<regexp>   browser part: only the benches whose title matches (e.g. Lighthouse)
#   BENCH_LIGHTHOUSE_SAVE=<dir>   browser part: keep every Lighthouse report there (JSON), to see where the time goes
#   BENCH_LIGHTHOUSE_PAGES=/,/suche  browser part: Lighthouse on these pages only (/, /suche, form step, /postfach; all when unset)
set -uo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
BIN="${BENCH_BIN:-$TARGET_DIR/release}"
CACHE="$TARGET_DIR/bench-cache"
CITIZENS="${BENCH_CITIZENS:-200}"
PARTS=("${@:-sizes search termine load relay relay-scale browser}")
PARTS=(${PARTS[*]})

WORK="$(mktemp -d "${TMPDIR:-/tmp}/buergeramt-bench-XXXXXX")"
ROWS="$WORK/rows.tsv"
: >"$ROWS"
FAILED=0
SERVER_PID=""

cleanup() {
  stop_scale
  stop_pg
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

# A fresh release stand-in on a free port with an empty data directory
# (the binary of directory $2 if given, else $BIN's).
start_server() {
  PORT="$(free_port)"
  DATA="$WORK/data-$1"
  mkdir -p "$DATA"
  PORT="$PORT" BUERGERAMT_DATA="$DATA" BUERGERAMT_DIST=dist RUST_LOG=warn \
    "${2:-$BIN}/buergeramt-backends" >"$WORK/server-$1.log" 2>&1 &
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
  # Through the relay (issue #19): a release stand-in with 5,000 synthetic
  # services besides the seed, a release relay in front of it, the same 200
  # queries over HTTP (relay-bench --search-queries).
  SEARCH_SYNTHETIC="${BENCH_SEARCH_SYNTHETIC:-5000}"
  say "search through the relay at seed + $SEARCH_SYNTHETIC synthetic services (relay-bench)"
  RELAY_PORT="$(free_port)"
  export BUERGERAMT_RELAY_URL="http://127.0.0.1:$RELAY_PORT"
  if BUERGERAMT_SYNTHETIC_SERVICES="$SEARCH_SYNTHETIC" start_server search-relay; then
    PORT="$RELAY_PORT" RELAY_UPSTREAM="$BASE" RELAY_DATA="$WORK/relay-search-data" RUST_LOG=warn \
      "$BIN/buergeramt-relay" >"$WORK/relay-search.log" 2>&1 &
    RELAY_PID=$!
    for _ in $(seq 1 120); do
      curl -fsS -o /dev/null "http://127.0.0.1:$RELAY_PORT/healthz" 2>/dev/null && break
      sleep 0.5
    done
    if ! run nice -n 10 "$BIN/relay-bench" --upstream "$BASE" --relay "http://127.0.0.1:$RELAY_PORT" \
        --relay-pid "$RELAY_PID" --search-queries backends/benches/pvog_queries.txt \
        --search-label "seed + $SEARCH_SYNTHETIC synthetic"; then
      fail "search" "through the relay" "see output above"
    fi
    kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
    stop_server
  else
    fail "search" "stand-in with synthetic services" "did not start"
  fi
  unset BUERGERAMT_RELAY_URL
fi

# ---- 2b. appointment slots (issue #22) ----------------------------------------
if want termine; then
  say "appointment slot query, one office over four weeks (termine-bench)"
  if ! run nice -n 10 "$BIN/termine-bench"; then
    fail "termine" "termine-bench" "see output above"
  fi
fi

# ---- 3. load on the stand-in and its memory --------------------------------
# load-bench (backends/src/bin/load-bench.rs) at each of BENCH_LOAD_CITIZENS
# (default "$BENCH_CITIZENS 1000"); before the first, BENCH_REGISTER
# (default $BENCH_CITIZENS) citizens register and log in at once. The bound
# of the pipeline comes from `openssl speed rsa4096` on all cores, measured
# here. BENCH_PREVIOUS_BIN=<dir with an older buergeramt-backends>: each run
# goes against that one too, first, for a side-by-side table.
LOAD_CITIZENS="${BENCH_LOAD_CITIZENS:-$CITIZENS 1000}"
LOAD_REGISTER="${BENCH_REGISTER:-$CITIZENS}"
if want load; then
  CORES="$(nproc)"
  say "openssl speed rsa4096: one process (CPU time per signature) and $CORES at once (the pipeline's bound)"
  # One process: sign/s per CPU second (openssl counts its user time), the
  # cost of one private-key operation. -multi: what all cores manage
  # together in wall time, with whatever else runs on the machine now.
  RSA_ONE="$(openssl speed -seconds 5 rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ { v = $6 } END { print v }')"
  RSA_SIGN="$(openssl speed -seconds 5 -multi "$CORES" rsa4096 2>/dev/null | awk '/^rsa 4096 bits/ { v = $6 } END { print v }')"
  if [[ -n "$RSA_SIGN" && -n "$RSA_ONE" ]]; then
    row "load" "openssl speed rsa4096, one process: sign/s (CPU time)" "$RSA_ONE" "1/s"
    row "load" "openssl speed rsa4096 -multi $CORES: sign/s (wall time)" "$RSA_SIGN" "1/s"
    RSA_ARGS=(--rsa-sign-per-sec "$RSA_SIGN" --rsa-sign-per-cpu-sec "$RSA_ONE" --cores "$CORES")
  else
    fail "load" "openssl speed rsa4096" "no figure"
    RSA_ARGS=()
  fi
  # A socket per citizen on both sides; every citizen comes from 127.0.0.1.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  export BUERGERAMT_IDP_REGISTER_LIMIT=100000000 BUERGERAMT_IDP_LOGIN_LIMIT=100000000
  first=1
  for n in $LOAD_CITIZENS; do
    register=0
    [[ $first == 1 ]] && register="$LOAD_REGISTER"
    first=0
    builds=("new|$BIN|load $n")
    [[ -n "${BENCH_PREVIOUS_BIN:-}" ]] && builds=("old|$BENCH_PREVIOUS_BIN|load $n (previous build)" "${builds[@]}")
    for b in "${builds[@]}"; do
      IFS='|' read -r tag dir group <<<"$b"
      say "load: $n citizens submitting at once ($group; $register register first) (load-bench)"
      if start_server "load-$n-$tag" "$dir"; then
        if ! run nice -n 10 "$BIN/load-bench" --base "$BASE" --db "$DATA/buergeramt.sqlite" \
            --citizens "$n" --register "$register" --server-pid "$SERVER_PID" \
            --clk-tck "$(getconf CLK_TCK)" --group "$group" "${RSA_ARGS[@]}"; then
          row "$group" "load-bench" "FAILED (see output above)" ""
          FAILED=1
        fi
        stop_server
      else
        fail "$group" "stand-in" "did not start"
      fi
    done
  done
  unset BUERGERAMT_IDP_REGISTER_LIMIT BUERGERAMT_IDP_LOGIN_LIMIT
fi

# ---- 3b. what the relay adds, and its memory ----------------------------------
if want relay; then
  say "relay: catalogue straight and through the relay; $CITIZENS citizens through it (relay-bench)"
  RELAY_PORT="$(free_port)"
  export BUERGERAMT_RELAY_URL="http://127.0.0.1:$RELAY_PORT"
  if start_server relay; then
    # Every citizen logs in from 127.0.0.1: the relay's limits out of reach.
    PORT="$RELAY_PORT" RELAY_UPSTREAM="$BASE" RELAY_DATA="$WORK/relay-data" RUST_LOG=warn \
      RELAY_LIMIT_LOGIN_PER_IP=100000000 RELAY_LIMIT_LOGIN_PER_SESSION=100000000 \
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

# ---- 3c. the relay at scale: one on SQLite, two on PostgreSQL behind haproxy --
# relay-load (relay/src/bin/relay-load.rs): N citizens register and log in
# (not timed), then all send a Hundesteuer application through the relay at
# once; each setup at each number of citizens, with a fresh stand-in and a
# fresh relay database per run. The side-by-side table is printed at the end.
SCALE_CITIZENS="${BENCH_SCALE_CITIZENS:-200 1000}"
SCALE_DB_CONNECTIONS="${BENCH_SCALE_DB_CONNECTIONS:-16}"
SCALE_SETUPS="${BENCH_SCALE_SETUPS:-sqlite postgres}"
SCALE_PIDS=()
PG_PID=""
SCALE_TSV="$WORK/scale.tsv"
: >"$SCALE_TSV"

stop_scale() {
  local p
  for p in "${SCALE_PIDS[@]}"; do
    kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
  done
  SCALE_PIDS=()
}

stop_pg() {
  if [[ -n "$PG_PID" ]]; then
    touch "$WORK/pg-stop"
    wait "$PG_PID" 2>/dev/null
    PG_PID=""
  fi
}

wait_up() { # URL PID
  for _ in $(seq 1 240); do
    curl -fsS -o /dev/null "$1/healthz" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# One relay instance: NAME PORT PUBLIC_URL [DATABASE_URL]
start_relay() {
  local name=$1 port=$2 public=$3 db=${4:-}
  mkdir -p "$WORK/scale-$name"
  env PORT="$port" RELAY_UPSTREAM="$BASE" RELAY_PUBLIC_URL="$public" \
    RELAY_DATA="$WORK/scale-$name" RUST_LOG=warn \
    RELAY_DATABASE_MAX_CONNECTIONS="$SCALE_DB_CONNECTIONS" \
    RELAY_LIMIT_LOGIN_PER_IP=100000000 RELAY_LIMIT_LOGIN_PER_SESSION=100000000 \
    RELAY_LIMIT_SUBMIT_PER_IP=100000000 RELAY_LIMIT_SUBMIT_PER_SESSION=100000000 \
    ${BENCH_SCALE_UPSTREAM_TIMEOUT_MS:+RELAY_UPSTREAM_TIMEOUT_MS=$BENCH_SCALE_UPSTREAM_TIMEOUT_MS} \
    ${db:+DATABASE_URL=$db} \
    "$BIN/buergeramt-relay" >"$WORK/scale-$name.log" 2>&1 &
  SCALE_PIDS+=($!)
  if ! wait_up "http://127.0.0.1:$port" "$!"; then
    echo "relay $name did not come up; its log:" >&2
    tail -20 "$WORK/scale-$name.log" >&2
    return 1
  fi
}

# One measurement: SETUP (sqlite|postgres) CITIZENS
scale_run() {
  local setup=$1 n=$2 label front port a b lb db="" args=()
  if [[ $setup == sqlite ]]; then
    label="SQLite, 1 relay"
    port="$(free_port)"
    front="http://127.0.0.1:$port"
  else
    label="PostgreSQL, 2 relays"
    lb="$(free_port)"
    front="http://127.0.0.1:$lb"
    db="${PG_URL%/*}/scale_$n"
    PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS scale_$n" -c "CREATE DATABASE scale_$n" \
      || { fail "relay-scale" "$label · $n citizens" "CREATE DATABASE"; return; }
  fi
  export BUERGERAMT_RELAY_URL="$front"
  if ! start_server "scale-$setup-$n"; then
    fail "relay-scale" "$label · $n citizens" "stand-in did not start"
    unset BUERGERAMT_RELAY_URL
    return
  fi
  local ok=1
  if [[ $setup == sqlite ]]; then
    start_relay "sqlite-$n" "$port" "$front" || ok=0
    args=(--sqlite "$WORK/scale-sqlite-$n/relay.sqlite")
  else
    a="$(free_port)"; b="$(free_port)"
    start_relay "pg-$n-a" "$a" "$front" "$db" || ok=0
    [[ $ok == 1 ]] && { start_relay "pg-$n-b" "$b" "$front" "$db" || ok=0; }
    if [[ $ok == 1 ]]; then
      cat >"$WORK/haproxy-$n.cfg" <<HAPROXY
global
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 300s
  timeout server 300s
frontend relay
  bind 127.0.0.1:$lb
  default_backend relays
backend relays
  balance roundrobin
  option forwardfor
  server a 127.0.0.1:$a
  server b 127.0.0.1:$b
HAPROXY
      "${HAPROXY:-/usr/sbin/haproxy}" -db -f "$WORK/haproxy-$n.cfg" >"$WORK/haproxy-$n.log" 2>&1 &
      SCALE_PIDS+=($!)
      wait_up "$front" "$!" || { tail -20 "$WORK/haproxy-$n.log" >&2; ok=0; }
    fi
    args=(--database-url "$db")
  fi
  if [[ $ok == 1 ]]; then
    local pids=()
    for p in "${SCALE_PIDS[@]}"; do pids+=(--pid "$p"); done
    # Without the haproxy pid (the last one) on PostgreSQL.
    [[ $setup == postgres ]] && pids=("${pids[@]:0:4}")
    # BENCH_SCALE_LOGIN_CONCURRENCY: citizens registering and logging in at
    # once before the clock (default 8; "$n": all at once, mass registration).
    if ! run nice -n 10 "$BIN/relay-load" --base "$front" --setup "$label" --citizens "$n" \
        --login-concurrency "${BENCH_SCALE_LOGIN_CONCURRENCY:-8}" \
        "${args[@]}" --standin-db "$DATA/buergeramt.sqlite" "${pids[@]}"; then
      row "relay-scale" "$label · $n citizens" "FAILED (see output above)" ""
      FAILED=1
    fi
    grep -a '^SCALE	' "$WORK/out.txt" >>"$SCALE_TSV"
  else
    fail "relay-scale" "$label · $n citizens" "relay or load balancer did not start"
  fi
  stop_scale
  stop_server
  unset BUERGERAMT_RELAY_URL
}

if want relay-scale; then
  say "relay at scale: $SCALE_CITIZENS citizens at once; SQLite with one relay, PostgreSQL with two behind haproxy (relay-load)"
  # A socket per citizen at the client, haproxy (both sides) and the relays.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  echo "open files: $(ulimit -n); database connections per relay instance: $SCALE_DB_CONNECTIONS" >&2
  row "relay-scale" "database connections per relay instance (PostgreSQL)" "$SCALE_DB_CONNECTIONS" ""
  export BUERGERAMT_IDP_REGISTER_LIMIT=100000000 BUERGERAMT_IDP_LOGIN_LIMIT=100000000
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  PG_URL=""
  # pg-test.sh picks a random port; another server may take it first: retry.
  for attempt in 1 2 3; do
    [[ " $SCALE_SETUPS " == *" postgres "* ]] || break
    rm -f "$WORK/pg-url" "$WORK/pg-stop"
    scripts/pg-test.sh bash -c 'echo "$RELAY_TEST_DATABASE_URL" >"$1.tmp" && mv "$1.tmp" "$1"; while [ ! -e "$2" ]; do sleep 0.5; done' \
      _ "$WORK/pg-url" "$WORK/pg-stop" >"$WORK/pg.log" 2>&1 &
    PG_PID=$!
    for _ in $(seq 1 300); do
      [[ -s "$WORK/pg-url" ]] && break
      kill -0 "$PG_PID" 2>/dev/null || break
      sleep 0.2
    done
    cat "$WORK/pg.log" >&2
    if [[ -s "$WORK/pg-url" ]]; then
      PG_URL="$(cat "$WORK/pg-url")"
      break
    fi
    wait "$PG_PID" 2>/dev/null
    PG_PID=""
    echo "PostgreSQL did not start (attempt $attempt)" >&2
  done
  for n in $SCALE_CITIZENS; do
    for setup in $SCALE_SETUPS; do
      if [[ $setup == postgres && -z "$PG_URL" ]]; then
        fail "relay-scale" "PostgreSQL, 2 relays · $n citizens" "no PostgreSQL (scripts/pg-test.sh)"
      else
        scale_run "$setup" "$n"
      fi
    done
  done
  stop_pg
  unset BUERGERAMT_IDP_REGISTER_LIMIT BUERGERAMT_IDP_LOGIN_LIMIT
fi

scale_table() {
  [[ -s "$SCALE_TSV" ]] || return 0
  printf '\n| setup | citizens | submissions/s | p50 ms | p95 ms | errors | rows / sent |\n|---|--:|--:|--:|--:|--:|--:|\n'
  sort -t$'\t' -k3,3n -k2,2r "$SCALE_TSV" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s / %s |\n", $2, $3, $4, $5, $6, $7, $8, $9 }'
}
if want relay-scale; then
  say "relay at scale, side by side ($SCALE_DB_CONNECTIONS database connections per relay on PostgreSQL)"
  scale_table
fi

# ---- 4. Lighthouse mobile and the app's heap ----------------------------------
if want browser; then
  say "Lighthouse mobile and JS heap (Playwright + Chromium, the app through a relay)"
  # The app has one origin, the relay: it serves dist/ and /api/, and the
  # stand-in behind it plays the state's systems (as in the e2e suite).
  RELAY_PORT="$(free_port)"
  export BUERGERAMT_RELAY_URL="http://127.0.0.1:$RELAY_PORT"
  # A second relay for BENCH_BEFORE_DIST: the stand-in's provider must know
  # its origin too, or the logged-in pages cannot be measured for it.
  if [[ -n "${BENCH_BEFORE_DIST:-}" ]]; then
    BEFORE_PORT="$(free_port)"
    BUERGERAMT_RELAY_URL="$BUERGERAMT_RELAY_URL,http://127.0.0.1:$BEFORE_PORT"
  fi
  if start_server browser; then
    PORT="$RELAY_PORT" RELAY_UPSTREAM="$BASE" RELAY_DIST=dist RELAY_DATA="$WORK/relay-browser" RUST_LOG=warn \
      "$BIN/buergeramt-relay" >"$WORK/relay-browser.log" 2>&1 &
    RELAY_PID=$!
    for _ in $(seq 1 120); do
      curl -fsS -o /dev/null "http://127.0.0.1:$RELAY_PORT/healthz" 2>/dev/null && break
      sleep 0.5
    done
    # BENCH_BEFORE_DIST=<a copy of an earlier dist/>: a second relay serves
    # it (same stand-in behind), and the first visit's bytes and Lighthouse
    # on every measured page are taken for both builds side by side (issue #19).
    BEFORE_BASE=""
    if [[ -n "${BENCH_BEFORE_DIST:-}" ]]; then
      PORT="$BEFORE_PORT" RELAY_UPSTREAM="$BASE" RELAY_DIST="$BENCH_BEFORE_DIST" RELAY_DATA="$WORK/relay-before" RUST_LOG=warn \
        "$BIN/buergeramt-relay" >"$WORK/relay-before.log" 2>&1 &
      BEFORE_PID=$!
      for _ in $(seq 1 120); do
        curl -fsS -o /dev/null "http://127.0.0.1:$BEFORE_PORT/healthz" 2>/dev/null && { BEFORE_BASE="http://127.0.0.1:$BEFORE_PORT"; break; }
        sleep 0.5
      done
      [[ -n "$BEFORE_BASE" ]] || fail "first visit" "before (BENCH_BEFORE_DIST)" "relay did not start"
    fi
    BENCH_BASE="http://127.0.0.1:$RELAY_PORT" BENCH_BASE_BEFORE="$BEFORE_BASE" BENCH_ROWS="$ROWS" CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}" \
      nice -n 10 playwright test -c scripts/bench/playwright.config.ts ${BENCH_BROWSER_GREP:+--grep "$BENCH_BROWSER_GREP"} 2>&1 | grep -av '^ROW	'
    [[ ${PIPESTATUS[0]} -eq 0 ]] || FAILED=1
    grep -q '	lighthouse mobile	' "$ROWS" || fail "lighthouse mobile" "all pages" "no result"
    grep -q '	memory	app JS heap' "$ROWS" || fail "memory" "app JS heap after journey" "no result"
    grep -q '	first visit	' "$ROWS" || fail "first visit" "/ for 60 s" "no result"
    kill "$RELAY_PID" 2>/dev/null && wait "$RELAY_PID" 2>/dev/null
    if [[ -n "${BEFORE_PID:-}" ]]; then
      kill "$BEFORE_PID" 2>/dev/null && wait "$BEFORE_PID" 2>/dev/null
      BEFORE_PID=""
    fi
    stop_server
  else
    fail "lighthouse mobile" "stand-in" "did not start"
  fi
  unset BUERGERAMT_RELAY_URL
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
if want relay-scale; then
  say "relay at scale, side by side"
  scale_table
fi
exit "$FAILED"
