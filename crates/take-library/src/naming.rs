//! Grouping capture files into takes by their names.
//!
//! A pattern is a regular expression with the named groups `scene` and `take` (digits), matched
//! against the file name up to its first `.` (so `Scene_012_Take_003.en.srt` is matched as
//! `Scene_012_Take_003`).

use crate::error::{LibraryError, Result};
use crate::library::normalize_scene;
use regex::Regex;

/// The default patterns, tried in order.
pub const DEFAULT_PATTERNS: [&str; 3] = [
    // Scene_012_Take_003, scene-12 take-3, Scene012Take003_extra
    r"(?i)^scene[ _-]?(?P<scene>\d+)[ _-]*take[ _-]?(?P<take>\d+)(?:[ _-].*)?$",
    // S012_T003, s12t3
    r"(?i)^s(?P<scene>\d+)[ _-]?t(?P<take>\d+)(?:[ _-].*)?$",
    // <name>_<NN>: walk_01, Fight Scene-12
    r"^(?P<scene>.*?[^ _-])[ _-]+(?P<take>\d{1,4})$",
];

/// Where a file belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeKey {
    /// Scene name, normalised (all-digit scenes zero-padded to 3 digits).
    pub scene: String,
    /// Take number.
    pub number: i64,
    /// Canonical take name: `Scene_012_Take_003` for numeric scenes, `<scene>_<NN>` otherwise.
    pub name: String,
}

/// A set of naming patterns.
#[derive(Debug, Clone)]
pub struct NamingPattern {
    patterns: Vec<Regex>,
}

impl Default for NamingPattern {
    fn default() -> Self {
        Self {
            patterns: DEFAULT_PATTERNS
                .iter()
                .filter_map(|p| Regex::new(p).ok())
                .collect(),
        }
    }
}

impl NamingPattern {
    /// A custom pattern; it must compile and have the named groups `scene` and `take`.
    pub fn custom(pattern: &str) -> Result<Self> {
        let re = Regex::new(pattern)
            .map_err(|e| LibraryError::invalid("naming pattern", format!("{e}")))?;
        let names: Vec<&str> = re.capture_names().flatten().collect();
        for group in ["scene", "take"] {
            if !names.contains(&group) {
                return Err(LibraryError::invalid(
                    "naming pattern",
                    format!(
                        "`{pattern}` has no named group `(?P<{group}>…)`; it needs both `scene` and `take`"
                    ),
                ));
            }
        }
        Ok(Self { patterns: vec![re] })
    }

    /// The take a file name belongs to, or `None` when no pattern matches.
    pub fn classify(&self, file_name: &str) -> Option<TakeKey> {
        let base = file_name.split('.').next().unwrap_or(file_name);
        self.patterns.iter().find_map(|re| {
            let caps = re.captures(base)?;
            let scene = caps.name("scene")?.as_str().trim();
            let number: i64 = caps.name("take")?.as_str().trim().parse().ok()?;
            if scene.is_empty() {
                return None;
            }
            let scene = normalize_scene(scene);
            let name = if scene.bytes().all(|b| b.is_ascii_digit()) {
                format!("Scene_{scene}_Take_{number:03}")
            } else {
                format!("{scene}_{number:02}")
            };
            Some(TakeKey {
                scene,
                number,
                name,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Option<(String, i64, String)> {
        NamingPattern::default()
            .classify(name)
            .map(|k| (k.scene, k.number, k.name))
    }

    #[test]
    fn default_patterns() {
        let want = Some(("012".to_string(), 3, "Scene_012_Take_003".to_string()));
        assert_eq!(key("Scene_012_Take_003.c3d"), want);
        assert_eq!(key("S012_T003.bvh"), want);
        assert_eq!(key("s12t3.wav"), want);
        assert_eq!(key("Scene_012_Take_003.en.srt"), want);
        assert_eq!(key("Scene_012_Take_003_audio.wav"), want);
        assert_eq!(
            key("walk_01.bvh"),
            Some(("walk".into(), 1, "walk_01".into()))
        );
        assert_eq!(
            key("Fight Scene-12.c3d"),
            Some(("Fight Scene".into(), 12, "Fight Scene_12".into()))
        );
        assert_eq!(key("README.md"), None);
        assert_eq!(key("_01.c3d"), None);
        assert_eq!(key("calibration.c3d"), None);
    }

    #[test]
    fn custom_pattern_needs_both_groups() {
        assert!(NamingPattern::custom(r"(?P<scene>\d+)").is_err());
        assert!(NamingPattern::custom(r"(").is_err());
        let p = NamingPattern::custom(r"^shot(?P<scene>\d+)x(?P<take>\d+)$").expect("pattern");
        assert_eq!(
            p.classify("shot7x2.c3d").map(|k| k.name),
            Some("Scene_007_Take_002".into())
        );
        assert_eq!(p.classify("Scene_012_Take_003.c3d"), None);
    }
}
