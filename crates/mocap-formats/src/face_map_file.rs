//! Face map files (`CHARACTER.facemap.json`): which ARKit channels drive each morph target of a
//! character, as the studio's Face Map tab saves it and `mocap export-glb --face-map` reads it.
//!
//! ```json
//! {
//!   "format": "mocap-studio face map",
//!   "version": 1,
//!   "preset": "Prefixed",
//!   "targets": [
//!     { "target": "jawOpen", "channels": [["jawOpen", 1.0]] },
//!     { "target": "ih", "channels": [["mouthStretchLeft", 0.35], ["jawOpen", 0.3]] },
//!     { "target": "Wrinkles", "channels": [] }
//!   ]
//! }
//! ```
//! Targets are matched **by name** ([`FaceMap::remap`]): the file's order need not be the mesh's.
//! Channel names may be any spelling [`mocap_data::face::normalize_name`] accepts; the target's
//! weight is Σ gain · channel weight, clamped to 0–1. An unknown channel, a non-finite gain or a
//! target listed twice is an error naming the target.

use std::path::Path;

use crate::{FormatError, Location};
use mocap_data::face::{ARKIT_BLENDSHAPES, arkit_index};
use mocap_data::face_map::{FaceMap, MorphBinding, MorphPreset};
use serde::{Deserialize, Serialize};

/// The `format` value of a face map file.
pub const FACE_MAP_FORMAT: &str = "mocap-studio face map";

#[derive(Serialize, Deserialize)]
struct FileTarget {
    target: String,
    #[serde(default)]
    channels: Vec<(String, f32)>,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: String,
    version: u32,
    #[serde(default)]
    preset: MorphPreset,
    targets: Vec<FileTarget>,
}

fn bad(msg: impl Into<String>) -> FormatError {
    FormatError::malformed(Path::new("<memory>"), Location::Line(1, None), msg)
}

/// The map's targets in target order: (name, terms; empty when undriven). `unmapped` fills
/// the indices no binding has, in order (as [`mocap_data::face_map::map_morph_targets`] and
/// [`FaceMap::set_terms`] keep it).
pub fn targets_in_order(map: &FaceMap) -> Vec<(String, Vec<(usize, f32)>)> {
    let mut unmapped = map.unmapped.iter();
    let count = map
        .target_count
        .max(map.bindings.iter().map(|b| b.target + 1).max().unwrap_or(0));
    (0..count)
        .filter_map(|i| match map.bindings.iter().find(|b| b.target == i) {
            Some(b) => Some((b.target_name.clone(), b.terms.clone())),
            None => unmapped.next().map(|n| (n.clone(), Vec::new())),
        })
        .collect()
}

/// The map as a face map file (pretty JSON, targets in the map's order).
pub fn face_map_to_json(map: &FaceMap) -> String {
    let file = File {
        format: FACE_MAP_FORMAT.into(),
        version: 1,
        preset: map.preset,
        targets: targets_in_order(map)
            .into_iter()
            .map(|(target, terms)| FileTarget {
                target,
                channels: terms
                    .into_iter()
                    .filter_map(|(i, g)| ARKIT_BLENDSHAPES.get(i).map(|n| (n.to_string(), g)))
                    .collect(),
            })
            .collect(),
    };
    // Serialising plain strings, numbers and lists cannot fail.
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Reads a face map file from memory (errors name `<memory>`). The map's targets are the file's,
/// in its order: apply it to a mesh with [`FaceMap::remap`].
pub fn face_map_from_json(bytes: &[u8]) -> Result<FaceMap, FormatError> {
    let file: File = serde_json::from_slice(bytes).map_err(|e| {
        FormatError::malformed(
            Path::new("<memory>"),
            Location::Line(e.line(), Some(e.column())),
            format!(
                "not a face map: {e} (expected {{\"format\": \"{FACE_MAP_FORMAT}\", \"version\": 1, \
                 \"targets\": [{{\"target\": NAME, \"channels\": [[ARKIT_NAME, GAIN]]}}]}})"
            ),
        )
    })?;
    if file.format != FACE_MAP_FORMAT {
        return Err(bad(format!(
            "format is {:?}, not {FACE_MAP_FORMAT:?}: is this a face map?",
            file.format
        )));
    }
    if file.version != 1 {
        return Err(bad(format!(
            "version {} is newer than this program reads (1); update Mocap Studio",
            file.version
        )));
    }
    let mut map = FaceMap {
        preset: file.preset,
        target_count: file.targets.len(),
        ..FaceMap::default()
    };
    for (target, t) in file.targets.into_iter().enumerate() {
        if map.bindings.iter().any(|b| b.target_name == t.target)
            || map.unmapped.contains(&t.target)
        {
            return Err(bad(format!(
                "target {:?} is listed twice; keep one entry",
                t.target
            )));
        }
        let mut terms = Vec::with_capacity(t.channels.len());
        for (c, g) in &t.channels {
            let i = arkit_index(c).ok_or_else(|| {
                bad(format!(
                    "target {:?}: {c:?} is no ARKit channel (use names such as jawOpen, \
                     eyeBlinkLeft)",
                    t.target
                ))
            })?;
            if !g.is_finite() {
                return Err(bad(format!(
                    "target {:?}: the gain of {c} must be a finite number",
                    t.target
                )));
            }
            terms.push((i, *g));
        }
        if terms.is_empty() {
            map.unmapped.push(t.target);
        } else {
            map.bindings.push(MorphBinding {
                target,
                target_name: t.target,
                terms,
            });
        }
    }
    Ok(map)
}

/// Reads a face map file.
pub fn read_face_map(path: &Path) -> Result<FaceMap, FormatError> {
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    face_map_from_json(&bytes).map_err(|e| e.with_path(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::face_map::map_morph_targets;

    #[test]
    fn a_map_round_trips_by_name_and_bad_files_say_why() {
        let names = ["aa", "Body", "blinkLeft", "ih"];
        let map = map_morph_targets(&names, MorphPreset::Auto);
        let text = face_map_to_json(&map);
        assert!(text.contains("\"mouthStretchLeft\""), "{text}");
        let back = face_map_from_json(text.as_bytes()).unwrap();
        assert_eq!(back, map);
        // Applied to a mesh with another order.
        let r = back.remap(&["ih", "aa"]);
        assert_eq!(r.bindings[0].terms.len(), 3);
        assert_eq!(r.bindings[1].target_name, "aa");
        let err = |s: &str| face_map_from_json(s.as_bytes()).unwrap_err().to_string();
        let head = r#"{"format": "mocap-studio face map", "version": 1, "targets": "#;
        let e = err(&format!(
            r#"{head}[{{"target": "x", "channels": [["jawOpn", 1]]}}]}}"#
        ));
        assert!(e.contains("\"jawOpn\" is no ARKit channel"), "{e}");
        let e = err(&format!(
            r#"{head}[{{"target": "x"}}, {{"target": "x"}}]}}"#
        ));
        assert!(e.contains("listed twice"), "{e}");
        let e = err(r#"{"format": "bone map", "version": 1, "targets": []}"#);
        assert!(e.contains("is this a face map"), "{e}");
        let e = err("{");
        assert!(e.contains("not a face map"), "{e}");
        // Any spelling of a channel name.
        let m = face_map_from_json(
            format!(r#"{head}[{{"target": "Mouth", "channels": [["JawOpen", 0.5]]}}]}}"#)
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(
            m.terms_of("Mouth"),
            Some(&[(arkit_index("jawOpen").unwrap(), 0.5)][..])
        );
    }
}
