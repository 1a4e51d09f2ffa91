//! User settings and where they live on disk.
//!
//! Settings and the dock layout are JSON files in `$XDG_CONFIG_HOME/mocap-studio/` (or
//! `~/.config/mocap-studio/`). A missing or unreadable file falls back to defaults with a log line;
//! it never stops the app.

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use mocap_data::{LengthUnit, UpAxis};
use serde::{Deserialize, Serialize};

use crate::model::lanes::DisplayRate;

/// Maximum number of recent files remembered.
pub const MAX_RECENT: usize = 10;

/// Colours as sRGB bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Colours {
    /// Viewport background.
    pub background: [u8; 3],
    /// Markers on the left side (labels starting with `L`, or left segments).
    pub marker_left: [u8; 3],
    /// Markers on the right side.
    pub marker_right: [u8; 3],
    /// Markers on the midline / unknown side.
    pub marker_centre: [u8; 3],
    /// The selected marker.
    pub marker_selected: [u8; 3],
    /// Skeleton bones.
    pub bones: [u8; 3],
    /// The built-in mannequin's skin.
    pub mannequin: [u8; 3],
}

impl Default for Colours {
    fn default() -> Self {
        Self {
            background: [38, 40, 45],
            marker_left: [70, 160, 255],
            marker_right: [255, 110, 70],
            marker_centre: [240, 220, 90],
            marker_selected: [255, 255, 255],
            bones: [120, 235, 160],
            mannequin: [150, 156, 166],
        }
    }
}

/// User preferences, saved as `settings.json`.
#[derive(Resource, Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Unit used to display lengths in panels (data keeps its own unit).
    pub display_unit: LengthUnit,
    /// Up axis assumed for files that do not state one.
    pub default_up_axis: UpAxis,
    /// Marker billboard radius, millimetres.
    pub marker_radius_mm: f32,
    /// Colours.
    pub colours: Colours,
    /// Draw markers.
    pub show_markers: bool,
    /// Draw skeleton bones.
    pub show_bones: bool,
    /// Draw the built-in mannequin.
    pub show_mannequin: bool,
    /// Draw the ground grid.
    pub show_grid: bool,
    /// Marker trails: frames drawn either side of the playhead (0 = no trails).
    pub trail_frames: u32,
    /// Trails for every marker (`false`: the selected marker only).
    pub trail_all: bool,
    /// Draw the HUD overlay.
    pub show_hud: bool,
    /// The camera follows the performers (its orbit focus eases onto their centroid every frame;
    /// orbit and dolly still apply). View menu, Shift+F.
    pub follow_performers: bool,
    /// Timecode display rate.
    pub display_rate: DisplayRate,
    /// Ruler shows frame numbers instead of timecode.
    pub show_frames: bool,
    /// Recently opened files, most recent first.
    pub recent_files: Vec<PathBuf>,
    /// The take library opened last (offered again in the File menu).
    pub last_library: Option<PathBuf>,
    /// Take libraries opened lately, most recent first: files, and `postgres://` URLs without
    /// their password (never stored; the server's own authentication applies).
    pub recent_libraries: Vec<String>,
    /// The studio's user: author of notes and status changes, and whose notifications the
    /// Takes panel shows (empty: `$MOCAP_USER`, else `$USER`).
    pub user: String,
    /// Hotkey bindings that differ from the defaults (see [`crate::model::hotkeys`]).
    pub hotkeys: crate::model::hotkeys::Hotkeys,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            display_unit: LengthUnit::Millimetre,
            default_up_axis: UpAxis::Y,
            marker_radius_mm: 14.0,
            colours: Colours::default(),
            show_markers: true,
            show_bones: true,
            show_mannequin: true,
            show_grid: true,
            trail_frames: 0,
            trail_all: false,
            show_hud: true,
            follow_performers: false,
            display_rate: DisplayRate::Fps30,
            show_frames: false,
            recent_files: Vec::new(),
            last_library: None,
            recent_libraries: Vec::new(),
            user: String::new(),
            hotkeys: Default::default(),
        }
    }
}

impl Settings {
    /// Puts `path` at the top of the recent files list.
    pub fn add_recent(&mut self, path: &Path) {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        self.recent_files.retain(|p| *p != path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

/// Libraries kept in [`Settings::recent_libraries`].
pub const MAX_RECENT_LIBRARIES: usize = 8;

impl Settings {
    /// Puts the library `path` (a file or a `postgres://` URL) at the top of the recent
    /// libraries; a URL's password is left out.
    pub fn add_recent_library(&mut self, path: &Path) {
        let text = path.to_string_lossy();
        let entry = if take_library::store::is_postgres_url(&text) {
            without_password(text.trim())
        } else {
            path.canonicalize()
                .unwrap_or_else(|_| path.to_path_buf())
                .to_string_lossy()
                .into_owned()
        };
        self.recent_libraries.retain(|p| *p != entry);
        self.recent_libraries.insert(0, entry);
        self.recent_libraries.truncate(MAX_RECENT_LIBRARIES);
    }
}

/// `url` without the password of its user (`postgres://anna:pw@h/db` → `postgres://anna@h/db`).
pub use take_library::store::without_password;

/// The app's configuration directory (`$XDG_CONFIG_HOME/mocap-studio` or
/// `~/.config/mocap-studio`), if one can be determined.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("mocap-studio"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".config").join("mocap-studio"))
}

/// The app's data folder (`$XDG_DATA_HOME/mocap-studio` or `~/.local/share/mocap-studio`;
/// the temporary folder when neither can be determined): recordings, the demo take library.
pub fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|x| !x.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|x| !x.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("share"))
        })
        .unwrap_or_else(std::env::temp_dir)
        .join("mocap-studio")
}

/// Reads JSON from `dir/name`; `Ok(None)` when the file does not exist.
pub fn load_json<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    name: &str,
) -> Result<Option<T>, String> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes `value` as pretty JSON to `dir/name` (atomically: temp file then rename).
///
/// JSON has no infinities: serde_json writes non-finite floats as `null`, which cannot be read
/// back as `f32`. egui points (`{"x", "y"}` objects, e.g. the dock's not-yet-laid-out rectangles,
/// which are ±∞) get such nulls replaced by 0 — the dock recomputes its rectangles every frame.
pub fn save_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut json = serde_json::to_value(value).map_err(|e| e.to_string())?;
    zero_nonfinite_points(&mut json);
    let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| format!("{}: {e}", dir.display()))
}

/// Replaces `null` coordinates of `{"x": …, "y": …}` objects by 0 (see [`save_json`]).
pub fn zero_nonfinite_points(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let is_point = map.len() == 2 && map.contains_key("x") && map.contains_key("y");
            for (_, child) in map.iter_mut() {
                if is_point && child.is_null() {
                    *child = serde_json::Value::from(0.0);
                } else {
                    zero_nonfinite_points(child);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(zero_nonfinite_points),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_tolerate_missing_fields() {
        let dir = std::env::temp_dir().join(format!("mocap-studio-test-{}", std::process::id()));
        let mut s = Settings {
            display_unit: LengthUnit::Metre,
            display_rate: DisplayRate::Fps29_97Df,
            ..Default::default()
        };
        s.add_recent(Path::new("/tmp/a.c3d"));
        s.add_recent(Path::new("/tmp/b.bvh"));
        s.add_recent(Path::new("/tmp/a.c3d"));
        assert_eq!(s.recent_files.len(), 2);
        assert_eq!(s.recent_files[0], PathBuf::from("/tmp/a.c3d"));
        save_json(&dir, "settings.json", &s).unwrap();
        let back: Settings = load_json(&dir, "settings.json").unwrap().unwrap();
        assert_eq!(back, s);
        // Older files without newer fields still load.
        std::fs::write(dir.join("old.json"), r#"{"show_grid": false}"#).unwrap();
        let old: Settings = load_json(&dir, "old.json").unwrap().unwrap();
        assert!(!old.show_grid && old.show_markers);
        assert!(
            load_json::<Settings>(&dir, "absent.json")
                .unwrap()
                .is_none()
        );
        std::fs::write(dir.join("bad.json"), "{").unwrap();
        assert!(load_json::<Settings>(&dir, "bad.json").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
