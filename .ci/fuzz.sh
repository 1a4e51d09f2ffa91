#!/usr/bin/env bash
# Fuzzing on the stable toolchain (issue #14): builds every target in fuzz/ with cargo-afl (AFL++)
# and runs each for a short fixed budget; fails when any target crashed.
#
# Usage: bash .ci/fuzz.sh [SECONDS_PER_TARGET (default 20)] [TARGET…]  (default: every target)
# Targets: c3d bvh trc asf_amc subtitles wav edl glb_roundtrip face livelink natnet vmc_in. Seeds come from fuzz's `seeds`
# binary (files written by our own writers). Findings land in
# $FUZZ_OUT/<target>/default/{crashes,hangs}/ (FUZZ_OUT defaults to $CARGO_TARGET_DIR/fuzz-out);
# reproduce one with `$FUZZ_TARGET_DIR/release/<target> < FILE`, then commit it as a regression
# test in the reader's crate. The long run is described in fuzz/README.md.
#
# Needs: git and a C compiler (cargo-afl builds AFL++ on first use), network for `cargo install`
# on the first run. Prints one line per target: executions, crashes, hangs, executions per second.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

budget=${1:-20}
shift || true
all=(c3d bvh trc asf_amc subtitles wav edl glb_roundtrip face livelink natnet vmc_in)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

# The fuzz crate is its own workspace built with AFL's instrumentation: keep it out of the main
# target folder so the two builds never invalidate each other.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/mocap-studio/target}-fuzz}"
out="${FUZZ_OUT:-$CARGO_TARGET_DIR/fuzz-out}"

if ! cargo afl --version >/dev/null 2>&1; then
  echo "installing cargo-afl 0.18.2 (builds AFL++ for this rustc)"
  cargo install cargo-afl --version 0.18.2 --locked
fi
# AFL++ itself is built once per cargo-afl/rustc pair (after a rustc upgrade, here); a second
# `config --build` refuses with "already built", which is fine.
if ! cfg=$(cargo afl config --build 2>&1); then
  grep -q "already built" <<<"$cfg" || { echo "$cfg"; echo "FAIL: building AFL++ failed"; exit 1; }
fi

# Not --locked: fuzz/Cargo.lock follows the readers' crates, whose dependencies other changes move.
(cd fuzz && cargo afl build --release)
bin="$CARGO_TARGET_DIR/release"
rm -rf "$out"
mkdir -p "$out"
"$bin/seeds" "$out/seeds"

# In containers: no CPU frequency control, no core_pattern access, no UI; the machine is shared,
# so no CPU binding.
export AFL_SKIP_CPUFREQ=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1

failed=()
for t in "${targets[@]}"; do
  [ -d "$out/seeds/$t" ] || { echo "FAIL: no seeds for target $t (is it in fuzz/src/bin and seeds.rs?)"; exit 1; }
  # -V: stop after the budget; -m 2048: readers must check sizes before allocating, so a
  # gigabyte-sized allocation is a finding, not a pass.
  cargo afl fuzz -i "$out/seeds/$t" -o "$out/$t" -V "$budget" -m 2048 "$bin/$t" >"$out/$t.log" 2>&1 || {
    echo "FAIL: afl-fuzz did not run $t:"; tail -20 "$out/$t.log"; exit 1; }
  stats="$out/$t/default/fuzzer_stats"
  get() { sed -n "s/^$1 *: *//p" "$stats"; }
  crashes=$(get saved_crashes)
  printf '%-14s %10s execs  %6s/s  %s crashes  %s hangs  %s paths\n' \
    "$t" "$(get execs_done)" "$(get execs_per_sec)" "$crashes" "$(get saved_hangs)" "$(get corpus_count)"
  if [ "${crashes:-0}" != 0 ]; then
    failed+=("$t")
    ls "$out/$t/default/crashes/" | grep -v README | sed "s|^|  $out/$t/default/crashes/|"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAIL: crashes in ${failed[*]} (inputs listed above; reproduce with $bin/TARGET < FILE)"
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, ${budget} s each, no crash"
