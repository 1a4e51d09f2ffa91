//! UI probe for scripted end-to-end runs: with `MOCAP_UI_PROBE=FILE` set, the rectangles of the
//! controls a script drives (by name) are written to FILE after every egui pass, one per line:
//! `NAME X Y W H ENABLED` in physical pixels from the window's top-left corner (ENABLED: 1 or 0). `.ci/e2e.sh` reads it to
//! click with real X events (xdotool) instead of guessing coordinates. Unset: nothing is done.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use bevy_egui::egui;

/// The probe file, read once from `MOCAP_UI_PROBE`.
fn probe_file() -> Option<&'static PathBuf> {
    static FILE: OnceLock<Option<PathBuf>> = OnceLock::new();
    FILE.get_or_init(|| std::env::var_os("MOCAP_UI_PROBE").map(PathBuf::from))
        .as_ref()
}

/// The egui pass being recorded and the rectangles (pixels) named in it.
static RECTS: Mutex<(u64, BTreeMap<String, ([f32; 4], bool)>)> = Mutex::new((0, BTreeMap::new()));

/// Records where the control `name` is this pass (only when `MOCAP_UI_PROBE` is set). Controls
/// not shown in a pass drop out of the file, so a script never clicks where one used to be.
pub fn probe(response: &egui::Response, name: &str) {
    probe_rect(&response.ctx, name, response.rect, response.enabled());
}

/// [`probe`] for what is not a single response (a window's area): its rectangle in points.
pub fn probe_rect(ctx: &egui::Context, name: &str, r: egui::Rect, enabled: bool) {
    let Some(file) = probe_file() else { return };
    let ppp = ctx.pixels_per_point();
    let pass = ctx.cumulative_pass_nr();
    let Ok(mut g) = RECTS.lock() else { return };
    if g.0 != pass {
        // A new pass: the one before is complete, so that is what the file shows (a reader
        // never sees a pass half recorded).
        write(file, &g.1);
        g.0 = pass;
        g.1.clear();
    }
    g.1.insert(
        name.to_owned(),
        (
            [
                r.min.x * ppp,
                r.min.y * ppp,
                r.width() * ppp,
                r.height() * ppp,
            ],
            enabled,
        ),
    );
}

/// Writes `rects` to `file` whole (a temporary file renamed over it).
fn write(file: &std::path::Path, rects: &BTreeMap<String, ([f32; 4], bool)>) {
    let text: String = rects
        .iter()
        .map(|(n, ([x, y, w, h], on))| {
            format!("{n} {x:.0} {y:.0} {w:.0} {h:.0} {}\n", u8::from(*on))
        })
        .collect();
    let tmp = file.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, file);
    }
}
