#!/usr/bin/env bash
# Keeps CI's warm cargo target directory (kept between runs, outside the
# clone) from filling the disk. Called by .ci/run before `make test`.
#
#   scripts/ci-cache.sh TARGET_DIR
#
# A cold `make test` fills about 11 GB (docs/performance.md, "Build
# footprint"). When the directory has grown past CI_CACHE_BUDGET_GB, or the
# disk has less than CI_MIN_FREE_GB left, the incremental caches go first;
# if that is not enough, the whole directory goes and the run is cold
# (about 40 minutes on 2 cores, well inside CI's limit).
set -euo pipefail

target="${1:?usage: scripts/ci-cache.sh TARGET_DIR}"
budget_gb="${CI_CACHE_BUDGET_GB:-25}"
min_free_gb="${CI_MIN_FREE_GB:-15}"

say() { printf '[ci-cache] %s\n' "$*"; }
size_gb() { du -s --block-size=1G "$target" 2>/dev/null | cut -f1; }
free_gb() { df --output=avail --block-size=1G "$target" | tail -1 | tr -dc '0-9'; }
fits() { [ "$(size_gb)" -le "$budget_gb" ] && [ "$(free_gb)" -ge "$min_free_gb" ]; }

[ -d "$target" ] || exit 0
say "target $(size_gb) GB (budget ${budget_gb} GB), disk free $(free_gb) GB (floor ${min_free_gb} GB)"
fits && exit 0

say "trimming: dropping the incremental caches"
find "$target" -mindepth 2 -maxdepth 3 -type d -name incremental -prune -exec rm -rf {} +
fits && { say "now $(size_gb) GB, $(free_gb) GB free"; exit 0; }

say "still over: emptying the target directory (this run builds cold)"
find "$target" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
say "now $(free_gb) GB free"
if [ "$(free_gb)" -lt "$min_free_gb" ]; then
  say "warning: only $(free_gb) GB free without any cache; a cold build needs about 11 GB" >&2
fi
