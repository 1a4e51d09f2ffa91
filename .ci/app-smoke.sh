#!/usr/bin/env bash
# Smoke test of the studio app: render the demo under Xvfb, save a screenshot, check it.
#
# Usage: .ci/app-smoke.sh PATH/TO/mocap-studio [OUT.png]
#   e.g. cargo build -p mocap-studio && .ci/app-smoke.sh "$CARGO_TARGET_DIR/debug/mocap-studio"
#
# Needs: xvfb (xvfb-run), xauth, mesa-vulkan-drivers (lavapipe, software Vulkan), python3 (stdlib
# only). Without a GPU wgpu picks lavapipe by itself; expect ~3-6 frames/s.
#
# Checks (on the PNG, with a stdlib-only PNG decoder):
#   - it is the 1280x720 window;
#   - the egui panels are there: the menu bar, the right-hand inspector column and the timeline's
#     transport row are mostly the panel fill colour and contain text;
#   - the viewport shows a lit character: enough bright, unsaturated (mannequin) pixels with
#     varied shading (not a flat silhouette), outside the HUD box.
#
# Subtitles: a third run with --demo-scripts (OUT3: OUT with -scripts before .png) shows one line per
# script (Chinese, Japanese, Korean, Arabic, Hebrew, Thai) over the viewport with Bevy text and
# the Noto system fonts; besides the checks above, the overlay must hold six separate lines of
# white text above the viewport's bottom edge, and the log must not report a missing font.
#
# With MOCAP_TEST_DATA set (the shared data folder) it also opens two Soldier.glb characters with the
# Bandai walk and kick BVHs as two actors of one take, each character playing one actor through
# mocap_solver::retarget, and runs the same checks on that screenshot (OUT2: OUT with -character
# before .png), where the only bodies on screen are the retargeted characters (driven characters
# hide the take's own mannequins and bones).
set -euo pipefail

CI_DIR=$(cd "$(dirname "$0")" && pwd)
export CI_DIR
BIN=${1:?usage: $0 PATH/TO/mocap-studio [OUT.png]}
WORK=$(mktemp -d)
OUT=${2:-$WORK/app-smoke.png}
FRAMES=${SMOKE_FRAMES:-30}
OUT2=${OUT%.png}-character.png
OUT3=${OUT%.png}-scripts.png

# A private runtime dir and an empty config dir: no saved layout or settings from the machine.
export XDG_RUNTIME_DIR="$WORK/runtime"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
export XDG_CONFIG_HOME="$WORK/config"

# run_app OUT.png ARGS…: the app under Xvfb, screenshot after $FRAMES frames; fails on exit code or panic.
run_app() {
    local out=$1
    shift
    echo "app-smoke: $BIN $* --screenshot $out --exit-after-frames $FRAMES"
    local start
    start=$(date +%s)
    timeout 600 xvfb-run -a -s '-screen 0 1280x720x24' \
        "$BIN" "$@" --screenshot "$out" --exit-after-frames "$FRAMES" >"$WORK/app.log" 2>&1 || {
        rc=$?
        echo "app-smoke: the app exited with $rc; last log lines:" >&2
        tail -n 40 "$WORK/app.log" >&2
        exit 1
    }
    echo "app-smoke: rendered and saved in $(( $(date +%s) - start )) s"
    if grep -q "panicked" "$WORK/app.log"; then
        echo "app-smoke: the app panicked" >&2
        grep -A5 "panicked" "$WORK/app.log" >&2
        exit 1
    fi
}

# check_png OUT.png [overlay]: the checks listed at the top (overlay: also the subtitle lines).
check_png() {
    python3 - "$1" "${2:-}" <<'PY'
import os, sys

sys.path.insert(0, os.environ["CI_DIR"])
from png import load

path = sys.argv[1]
width, height, px = load(path)

def lum(p):
    return 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2]

fail = []
if (width, height) != (1280, 720):
    fail.append(f"window is {width}x{height}, expected 1280x720")

def region_stats(x0, y0, x1, y1):
    """(fraction of panel-fill pixels, fraction of text-like bright pixels)."""
    fill = text = n = 0
    for y in range(y0, y1, 2):
        for x in range(x0, x1, 2):
            p = px(x, y)
            l = lum(p)
            n += 1
            if max(p) - min(p) < 12 and 8 <= l <= 60:
                fill += 1
            if l > 140:
                text += 1
    return fill / n, text / n

W, H = width, height
for name, box in {
    "inspector (right)": (int(W * 0.76), int(H * 0.06), W - 4, H - 4),
    "timeline transport (bottom)": (4, int(H * 0.755), int(W * 0.72), int(H * 0.805)),
    "menu bar (top)": (4, 2, int(W * 0.5), int(H * 0.025)),
}.items():
    f, t = region_stats(*box)
    print(f"app-smoke: {name}: panel fill {f:.0%}, text {t:.1%}")
    if f < 0.5 or t < 0.004:
        fail.append(f"{name} does not look like an egui panel with text (fill {f:.0%}, text {t:.1%})")

# Character: bright, unsaturated pixels in the viewport, outside the HUD box (top-left).
vx0, vy0, vx1, vy1 = 8, int(H * 0.08), int(W * 0.72), int(H * 0.68)
hud = (0, 0, 360, int(H * 0.2))
lums = []
for y in range(vy0, vy1):
    for x in range(vx0, vx1):
        if hud[0] <= x < hud[2] and hud[1] <= y < hud[3]:
            continue
        p = px(x, y)
        l = lum(p)
        # The grid's far haze is ~90; the lit mannequin is ~110-200; subtitle text is white.
        if l > 110 and (max(p) - min(p)) < 0.3 * max(p) and min(p) <= 230:
            lums.append(l)
n = len(lums)
mean = sum(lums) / n if n else 0.0
sd = (sum((v - mean) ** 2 for v in lums) / n) ** 0.5 if n else 0.0
print(f"app-smoke: viewport: {n} character pixels, luminance {mean:.0f} +- {sd:.1f}")
if n < 400:
    fail.append(f"no character in the viewport ({n} bright unsaturated pixels, need >= 400)")
elif sd < 8:
    fail.append(f"the character is flat, not lit (luminance spread {sd:.1f} < 8)")

if len(sys.argv) > 2 and sys.argv[2] == "overlay":
    # Subtitle lines: rows of the viewport with white (text) pixels, grouped into bands.
    rows_with_text = []
    for y in range(int(H * 0.2), int(H * 0.70)):
        n_white = sum(1 for x in range(8, int(W * 0.72)) if min(px(x, y)) > 225)
        if n_white >= 3:
            rows_with_text.append(y)
    bands, start, prev_y = [], None, None
    for y in rows_with_text:
        if start is None:
            start = y
        elif y - prev_y > 6:
            bands.append((start, prev_y))
            start = y
        prev_y = y
    if start is not None:
        bands.append((start, prev_y))
    bands = [b for b in bands if b[1] - b[0] >= 8]
    print(f"app-smoke: subtitle overlay: {len(bands)} text lines at rows {bands}")
    if len(bands) < 6:
        fail.append(f"the subtitle overlay shows {len(bands)} lines of text, expected 6 (one per script)")

if fail:
    for f in fail:
        print("app-smoke: FAIL:", f, file=sys.stderr)
    sys.exit(1)
print(f"app-smoke: OK ({path})")
PY
}

# check_cleanup_png OUT.png: the Cleanup tab (bottom dock) shows the marker table and stack
# (text) and the curve plot of the selected marker (saturated red/green/blue line pixels).
check_cleanup_png() {
    python3 - "$1" <<'PY'
import os, sys

sys.path.insert(0, os.environ["CI_DIR"])
from png import load

path = sys.argv[1]
W, H, px = load(path)
fail = []
# Bottom dock below the tab bar: left two thirds are the table and the stack, right third the plot.
y0, y1 = int(H * 0.80), H - 4
text = n = 0
for y in range(y0, y1, 2):
    for x in range(4, int(W * 0.48), 2):
        p = px(x, y)
        n += 1
        if 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2] > 140:
            text += 1
print(f"app-smoke: cleanup table and stack: text {text / n:.1%}")
if text / n < 0.01:
    fail.append(f"the Cleanup table/stack has no text ({text / n:.1%})")
curves = {"r": 0, "g": 0, "b": 0}
for y in range(y0, y1):
    for x in range(int(W * 0.49), int(W * 0.74)):
        r, g, b = px(x, y)
        if r > 170 and g < 130 and b < 130:
            curves["r"] += 1
        elif g > 150 and r < 140 and b < 150:
            curves["g"] += 1
        elif b > 190 and r < 150:
            curves["b"] += 1
print(f"app-smoke: cleanup curves: {curves}")
for k, v in curves.items():
    if v < 40:
        fail.append(f"no {k} curve in the Cleanup plot ({v} pixels)")
if fail:
    for f in fail:
        print("app-smoke: FAIL:", f, file=sys.stderr)
    sys.exit(1)
print(f"app-smoke: OK ({path})")
PY
}

run_app "$OUT" --demo
check_png "$OUT"

run_app "$OUT3" --demo-scripts
if grep -q "Subtitle font missing" "$WORK/app.log"; then
    echo "app-smoke: subtitle fonts are missing (.ci/install-deps installs fonts-noto-core and fonts-noto-cjk):" >&2
    grep "Subtitle font missing" "$WORK/app.log" >&2
    exit 1
fi
check_png "$OUT3" overlay

if [ -n "${MOCAP_TEST_DATA:-}" ]; then
    GLB="$MOCAP_TEST_DATA/gltf/threejs_examples/Soldier.glb"
    WALK="$MOCAP_TEST_DATA/bvh/bandai_dataset-1_walk_normal_001.bvh"
    KICK="$MOCAP_TEST_DATA/bvh/bandai_dataset-1_kick_normal_001.bvh"
    for f in "$GLB" "$WALK" "$KICK"; do
        [ -f "$f" ] || { echo "app-smoke: missing test file $f" >&2; exit 1; }
    done
    # Two actors (walk, kick) in one take, each playing its own Soldier.
    run_app "$OUT2" "$GLB" "$GLB" "$WALK" "$KICK"
    if ! grep -q "actor 2 of the take" "$WORK/app.log"; then
        echo "app-smoke: the second motion did not join the take as an actor" >&2
        exit 1
    fi
    if [ "$(grep -c "Character .*Soldier.glb: .* bones retargeted" "$WORK/app.log")" -ne 2 ]; then
        echo "app-smoke: both characters were not retargeted; log:" >&2
        grep -i "character\|error" "$WORK/app.log" >&2 || true
        exit 1
    fi
    if grep -q "Cannot drive character" "$WORK/app.log"; then
        echo "app-smoke: the character is not driven:" >&2
        grep "Cannot drive character" "$WORK/app.log" >&2
        exit 1
    fi
    check_png "$OUT2"

    # The Cleanup panel on a real take with a saved operation stack beside it (#7).
    OUT4=${OUT%.png}-cleanup.png
    TAKE_DIR="$WORK/cleanup-take"
    mkdir -p "$TAKE_DIR"
    cp "$MOCAP_TEST_DATA/c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d" "$TAKE_DIR/"
    cat >"$TAKE_DIR/39_01.ops.ron" <<'RON'
#![enable(implicit_some, unwrap_variant_newtypes)]
(
    version: 1,
    entries: [
        (op: Despike(threshold_mads: 8.0)),
        (op: FillGaps(method: spline, max_gap: 30)),
        (op: Lowpass(cutoff_hz: 6.0, order: 4), markers: Labels(["SteveWalk:LFWT"]), note: "hip jitter"),
    ],
)
RON
    run_app "$OUT4" "$TAKE_DIR/39_01.c3d" --tab cleanup --marker SteveWalk:LFWT
    grep -q "Loaded 3 clean-up operations" "$WORK/app.log" || {
        echo "app-smoke: the take's operation stack was not loaded; log:" >&2
        tail -n 20 "$WORK/app.log" >&2
        exit 1
    }
    check_cleanup_png "$OUT4"
else
    echo "app-smoke: MOCAP_TEST_DATA unset: skipping the glTF character run"
fi
