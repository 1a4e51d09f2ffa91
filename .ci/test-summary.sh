#!/usr/bin/env bash
# The closing summary of a `cargo test` run: passed, failed and ignored tests summed over every
# `test result:` line of the log, and the tests that skipped for a missing peer or missing data
# (one line each in the skip log mocap-testkit appends to, MOCAP_SKIP_LOG), listed after the line.
#
# Usage: .ci/test-summary.sh TEST_LOG SKIP_LOG
# Prints: `workspace: P passed, F failed, I ignored, S skipped for a missing peer or data`.
# Exits 0 (the caller decides what fails); a log without any `test result:` line counts zero.
set -euo pipefail
log=$1
skip_log=$2
skips=0
[ -f "$skip_log" ] && skips=$(wc -l <"$skip_log")
{ grep -E '^test result:' "$log" || true; } | awk -v skips="$skips" '
  { for (i = 2; i <= NF; i++) {
      if ($(i) ~ /^passed;?$/) p += $(i-1)
      if ($(i) ~ /^failed;?$/) f += $(i-1)
      if ($(i) ~ /^ignored;?$/) s += $(i-1) } }
  END { printf "workspace: %d passed, %d failed, %d ignored, %d skipped for a missing peer or data\n", p, f, s, skips }'
if [ "$skips" != 0 ]; then
  echo "skipped (kind, test, reason):"
  cat "$skip_log"
fi
