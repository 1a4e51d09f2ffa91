#!/usr/bin/env bash
# End-to-end session of the studio under Xvfb, driven by real X input events (xdotool), as an
# animator would: open a real take (a copy of CMU 39_01.c3d, markers only), add a solve stage in
# the Cleanup tab, type the skeleton's path (39.asf) into its field, re-solve, save the operation
# stack, export a BVH through the in-app file browser (no desktop portal, no zenity here), take a
# screenshot of the screen and quit with Ctrl+Q.
#
# Usage: .ci/e2e.sh DIR   (DIR holds the mocap-studio and mocap binaries, e.g. $CARGO_TARGET_DIR/debug)
# Needs: MOCAP_TEST_DATA (the shared data folder; only read: the take is copied to a temp folder),
#        xvfb-run, xdotool, xwd (x11-apps), python3 (stdlib only), lavapipe.
#
# Where the controls are: the app writes the rectangles of the controls this script drives to the
# file named by MOCAP_UI_PROBE (src/widgets/probe.rs); the script clicks their centres. It waits on
# states (a control shown, a log line, a file on disk, the process gone), never on fixed delays
# alone, and fails (exit 1) with the app's log on any step that does not happen.
#
# Checks: NAME.ops.ron exists beside the take and names the typed skeleton path; the exported BVH
# exists and `mocap info --json` reads it (frames = the take's 378, joints of the ASF); the app
# exited 0 without a panic; the screenshot is the 1280x720 window with panels and text in it.
set -euo pipefail

CI_DIR=$(cd "$(dirname "$0")" && pwd)
BIN_DIR=$(cd "${1:?usage: $0 DIR-WITH-mocap-studio-AND-mocap}" && pwd)

# Re-run inside a fresh X server (its own display, 1280x720), with nothing of a desktop session: no
# D-Bus session bus (so no xdg portal) and a PATH without zenity, so only the in-app browser is left.
if [ -z "${MOCAP_E2E_INNER:-}" ]; then
    clean_path=""
    IFS=: read -ra dirs <<<"$PATH"
    for d in "${dirs[@]}"; do
        [ -n "$d" ] && [ ! -x "$d/zenity" ] && [ ! -x "$d/kdialog" ] && clean_path="${clean_path:+$clean_path:}$d"
    done
    exec env -u DBUS_SESSION_BUS_ADDRESS -u WAYLAND_DISPLAY PATH="$clean_path" MOCAP_E2E_INNER=1 \
        timeout 900 xvfb-run -a -s "-screen 0 1280x720x24" bash ${E2E_TRACE:+-x} "$0" "$@"
fi

DATA=${MOCAP_TEST_DATA:?MOCAP_TEST_DATA must name the shared data folder}
SRC_C3D="$DATA/c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d"
SRC_ASF="$DATA/c3d_plus_skeleton/cmu_subject39_walk/39.asf"
for f in "$SRC_C3D" "$SRC_ASF" "$BIN_DIR/mocap-studio" "$BIN_DIR/mocap"; do
    [ -f "$f" ] || { echo "e2e: missing $f" >&2; exit 1; }
done
for tool in xdotool xwd python3; do
    command -v "$tool" >/dev/null || { echo "e2e: $tool is not installed (.ci/install-deps)" >&2; exit 1; }
done
command -v zenity >/dev/null && { echo "e2e: zenity is still on PATH" >&2; exit 1; }

WORK=$(mktemp -d /tmp/mocap-e2e.XXXXXX)
echo "e2e: working in $WORK (DISPLAY=$DISPLAY)"
mkdir -p "$WORK/take" "$WORK/skeletons"
cp "$SRC_C3D" "$WORK/take/"
# Elsewhere than the take, so the skeleton only comes from the typed path.
cp "$SRC_ASF" "$WORK/skeletons/"
TAKE="$WORK/take/39_01.c3d"
ASF="$WORK/skeletons/39.asf"
OPS="$WORK/take/39_01.ops.ron"
BVH="$WORK/take/walk_solved.bvh"
PROBE="$WORK/ui-probe.txt"
LOG="$WORK/app.log"
SHOT_XWD="$WORK/final.xwd"
SHOT=${E2E_SCREENSHOT:-$WORK/final.png}

# No saved layout or settings from the machine; no desktop session.
# (XDG_STATE_HOME: the crash-recovery folder; another run's leftovers would open a modal prompt.)
export XDG_RUNTIME_DIR="$WORK/runtime" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
    XDG_STATE_HOME="$WORK/state"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"

fail() {
    echo "e2e: FAIL: $*" >&2
    xwd -root -silent >"$WORK/fail.xwd" 2>/dev/null && python3 "$CI_DIR/xwd2png.py" "$WORK/fail.xwd" "$WORK/fail.png" >&2 || true
    echo "e2e: last app log lines:" >&2
    tail -n 40 "$LOG" >&2 || true
    [ -f "$PROBE" ] && { echo "e2e: controls on screen:" >&2; cat "$PROBE" >&2; }
    exit 1
}

# wait_for DESCRIPTION SECONDS COMMAND…: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
    local what=$1 secs=$2
    shift 2
    local end=$((SECONDS + secs))
    until "$@"; do
        kill -0 "$APP_PID" 2>/dev/null || fail "the app exited while waiting for $what"
        [ "$SECONDS" -lt "$end" ] || fail "no $what after $secs s"
        sleep 0.2
    done
}
shown() { grep -q "^$1 .* ${2:-[01]}\$" "$PROBE" 2>/dev/null; }
logged() { grep -qF -- "$1" "$LOG"; }

# rect NAME: "X Y W H" of the control NAME (window pixels).
rect() { awk -v n="$1" '$1 == n {print $2, $3, $4, $5}' "$PROBE"; }

# click NAME: a real pointer move and button press/release (XTEST events, as from a mouse: no
# --window, which would send synthetic events that winit ignores) at the centre of the control
# NAME, once it is on screen and enabled; scrolls its panel with the wheel while it is below the
# window's bottom edge.
click() {
    wait_for "enabled control '$1'" 60 shown "$1" 1
    local x y w h tries=0
    read -r x y w h < <(rect "$1") || fail "'$1' left the screen"
    while [ $((y + h)) -gt $((WIN_H - 2)) ]; do
        [ "$tries" -lt 40 ] || fail "'$1' stays below the window (y $y) after scrolling"
        tries=$((tries + 1))
        xdotool mousemove --window "$WID" --sync $((x + w / 2)) $((WIN_H - 40)) click 5
        local before=$y
        wait_for "'$1' to move after a wheel step" 10 moved "$1" "$before"
        read -r x y w h < <(rect "$1") || fail "'$1' left the screen"
    done
    xdotool mousemove --window "$WID" --sync $((x + w / 2)) $((y + h / 2))
    # Let egui see the pointer over the control (hover) before the press.
    next_frame
    xdotool click 1
    echo "e2e: $(date -u +%T) clicked $1 at $((x + w / 2)),$((y + h / 2))"
}
# next_frame: waits until the app has drawn two more frames (the probe file is rewritten each).
next_frame() {
    local k m
    for k in 1 2; do
        m=$(stat -c %y "$PROBE")
        wait_for "a frame" 30 changed "$m"
    done
}
changed() { [ "$(stat -c %y "$PROBE" 2>/dev/null)" != "$1" ]; }

# chord MOD KEY: MOD held down over frame boundaries before and after KEY. bevy_egui 0.42 takes
# the modifiers of all of a frame's key events from the state at the frame's end
# (write_modifiers_keys_state_system), so a Ctrl+A whose press and release land in one frame
# (at 2 frames/s under lavapipe) types an "a"; a person's fingers are never that fast, xdotool's are.
chord() {
    xdotool keydown "$1"
    next_frame
    xdotool key "$2"
    next_frame
    xdotool keyup "$1"
}

moved() { local r; r=$(rect "$1"); [ -n "$r" ] && [ "$(echo "$r" | cut -d' ' -f2)" != "$2" ]; }

echo "e2e: starting $BIN_DIR/mocap-studio $TAKE --tab cleanup"
(cd "$WORK/take" && exec env MOCAP_UI_PROBE="$PROBE" RUST_LOG=info \
    "$BIN_DIR/mocap-studio" "$TAKE" --tab cleanup --width 1280 --height 720 >"$LOG" 2>&1) &
APP_PID=$!
trap 'kill "$APP_PID" 2>/dev/null || true' EXIT

WID=$(xdotool search --sync --name '^Mocap Studio$' | head -n 1)
[ -n "$WID" ] || fail "no Mocap Studio window"
# No window manager on a bare Xvfb: windowactivate needs _NET_ACTIVE_WINDOW, so focus directly then.
xdotool windowactivate --sync "$WID" 2>/dev/null || xdotool windowfocus --sync "$WID"
WIN_H=$(xdotool getwindowgeometry --shell "$WID" | sed -n 's/^HEIGHT=//p')
echo "e2e: window $WID, $WIN_H pixels high"

wait_for "take loaded" 120 logged "Opened $TAKE"
wait_for "first frame" 120 logged "first frame presented"
# 1. Cleanup → Add solve stage, then type the skeleton's path and press Enter.
click add_solve_stage
wait_for "skeleton field" 30 shown solve_skeleton
click solve_skeleton
chord ctrl a
xdotool type --delay 30 "$ASF"
xdotool key Return

# 2. Re-solve (a background job; the log says when it is done).
click resolve
resolved() {
    logged "Re-solve: " && fail "the re-solve failed: $(grep -F "Re-solve: " "$LOG" | tail -n 1)"
    logged "Re-solved "
}
wait_for "re-solve" 600 resolved
grep -F "Re-solved " "$LOG" | tail -n 1 | sed 's/^.*Re-solved/e2e: app: Re-solved/'


# 3. Save the operation stack beside the take.
click save_stack
wait_for "$OPS" 30 test -s "$OPS"
wait_for "'Saved' on the stack button" 30 shown stack_saved

# 4. File → Export BVH… with no desktop dialog: the in-app browser opens in the take's folder
#    (the working directory); type the file name over the proposed one and press Enter.
click menu_file
click menu_export_bvh
wait_for "the in-app file browser" 30 logged "the studio's own file browser opens instead"
wait_for "the file browser's window" 30 shown file_dialog
chord ctrl a
xdotool type --delay 30 "$(basename "$BVH")"
xdotool key Return
wait_for "$BVH" 60 test -s "$BVH"
wait_for "export logged" 30 logged "Exported"

# 5. Screenshot of the whole screen (the app's window), then quit with Ctrl+Q.
wait_for "the file browser to close" 30 bash -c "! grep -q '^file_dialog ' '$PROBE'"
# Two frames later the window without the browser is on screen (rendering lags a frame).
next_frame
next_frame
xwd -root -silent >"$SHOT_XWD"
python3 "$CI_DIR/xwd2png.py" "$SHOT_XWD" "$SHOT"
# Ctrl held over a frame boundary (see chord), released once the app is gone.
xdotool keydown ctrl
next_frame
xdotool key q
end=$((SECONDS + 60))
while kill -0 "$APP_PID" 2>/dev/null; do
    [ "$SECONDS" -lt "$end" ] || fail "the app did not quit on Ctrl+Q"
    sleep 0.2
done
xdotool keyup ctrl
set +e
wait "$APP_PID"
rc=$?
set -e
trap - EXIT
[ "$rc" = 0 ] || fail "the app exited with $rc"
grep -q "panicked" "$LOG" && fail "the app panicked"

# Files on disk.
grep -qF "$ASF" "$OPS" || fail "$OPS does not name the typed skeleton $ASF: $(cat "$OPS")"
echo "e2e: $OPS names $ASF"
"$BIN_DIR/mocap" info --json "$BVH" >"$WORK/bvh-info.json" || fail "mocap info cannot read $BVH"
python3 - "$WORK/bvh-info.json" "$SHOT" "$CI_DIR" <<'PY'
import json, os, sys

sys.path.insert(0, sys.argv[3])
from png import load

fail = []
info = json.load(open(sys.argv[1]))
joints = info.get("joints", [])
print(f"e2e: exported BVH: {info.get('frames')} frames at {info.get('rate_hz')} Hz, {len(joints)} joints")
if info.get("format") != "bvh":
    fail.append(f"the export is not read as BVH: {info.get('format')}")
if info.get("frames") != 378:
    fail.append(f"the BVH has {info.get('frames')} frames, the take has 378")
# CMU's 39.asf: root + 30 bones.
for j in ("root", "lfemur", "rhumerus", "head"):
    if j not in joints:
        fail.append(f"the BVH lacks the ASF joint {j} (joints: {joints[:8]}…)")

W, H, px = load(sys.argv[2])
if (W, H) != (1280, 720):
    fail.append(f"screenshot is {W}x{H}, expected 1280x720")
colours, bright, n = set(), 0, 0
for y in range(0, H, 3):
    for x in range(0, W, 3):
        p = px(x, y)
        colours.add(p)
        n += 1
        if 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2] > 140:
            bright += 1
print(f"e2e: screenshot: {len(colours)} colours, {bright / n:.1%} bright (text, markers) pixels")
if len(colours) < 200:
    fail.append(f"the screenshot is near blank ({len(colours)} colours)")
if bright / n < 0.005:
    fail.append(f"the screenshot has no text ({bright / n:.2%} bright pixels)")
if fail:
    for f in fail:
        print("e2e: FAIL:", f, file=sys.stderr)
    sys.exit(1)
PY
echo "e2e: OK (ops $OPS, BVH $BVH, screenshot $SHOT)"
rm -rf "$WORK/runtime" "$SHOT_XWD"
