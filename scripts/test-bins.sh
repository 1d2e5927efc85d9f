#!/usr/bin/env bash
# Step 3 of `make test`: every native test binary of the workspace, as
# `cargo test --workspace` runs them, but TEST_JOBS (default 3) binaries at
# a time instead of one after the other. Each binary runs in its package's
# directory with CARGO_MANIFEST_DIR set, as cargo does; its output goes to a
# log that is printed when it fails. The doc tests follow through cargo.
#
# Why: one after the other the binaries took 741 s in CI; most of them
# start servers and wait on them, so three at a time keep both cores busy
# (measured: 444 s for the same binaries, docs/performance.md "CI time").
# Each test starts its servers on free ports with scratch directories, so
# binaries do not share state.
#
# usage: scripts/test-bins.sh [cargo test selection…]   (default --workspace)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${TEST_JOBS:-3}"
logs="${CARGO_TARGET_DIR:-target}/test-logs"
rm -rf "$logs"
mkdir -p "$logs"

# Build once, and list each test binary with its package directory and
# target kind (scripts/test.sh's PostgreSQL step reads the relay's
# integration tests from this list).
list="$logs/binaries.tsv"
cargo test "${@:---workspace}" --no-run --message-format=json-render-diagnostics |
  python3 -c '
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m.get("profile", {}).get("test"):
        print(m["executable"], os.path.dirname(m["manifest_path"]), ",".join(m["target"]["kind"]), sep="\t")' >"$list"
[ -s "$list" ] || { echo "test-bins: no test binary was built" >&2; exit 1; }
# The longest ones first (about 50–110 s each in CI), so that none of them
# starts last and runs alone at the end; the order is all this changes.
slow='/(keys|offers|payment|idp_oidc|saml_idp|security|fitconnect_flow|termine)-[0-9a-f]+	'
{ grep -E "$slow" "$list" || true; grep -vE "$slow" "$list" || true; } >"$list.sorted"
mv "$list.sorted" "$list"

# One binary: its package's directory, its own log, a one-line result.
run_one() {
  local bin="$1" dir="$2" log="$3/$(basename "$1").log" start rc=0
  start=$(date +%s)
  (cd "$dir" && CARGO_MANIFEST_DIR="$dir" "$bin") >"$log" 2>&1 || rc=$?
  local result
  result=$(grep -E '^test result:' "$log" | tail -1 || true)
  printf '%-40s %4ss  %s\n' "$(basename "$dir")/$(basename "$bin" | sed 's/-[0-9a-f]*$//')" \
    "$(( $(date +%s) - start ))" "${result:-no result (exit $rc)}"
  [ "$rc" -eq 0 ] || { echo "FAILED: $bin" >>"$3/failed"; }
  return 0
}
export -f run_one

echo "running $(wc -l <"$list") test binaries, $jobs at a time (logs: $logs)"
export TEST_LOGS="$logs"
cut -f1,2 "$list" | tr '\t' '\n' | xargs -d '\n' -n 2 -P "$jobs" bash -c 'run_one "$0" "$1" "$TEST_LOGS"'
if [ -f "$logs/failed" ]; then
  while read -r _ bin; do
    echo
    echo "==== $bin"
    cat "$logs/$(basename "$bin").log"
  done <"$logs/failed"
  echo "test-bins: $(wc -l <"$logs/failed") test binaries failed" >&2
  exit 1
fi
cargo test "${@:---workspace}" --doc -q
