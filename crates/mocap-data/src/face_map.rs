//! Driving a character's morph targets from ARKit channels: name-mapping presets.
//!
//! A [`FaceMap`] says, for each morph target of a character, which ARKit channels drive it and how
//! strongly: target weight = Σ gain · channel weight, clamped to 0–1. Presets:
//! - [`MorphPreset::ArkitCamel`] (`jawOpen`), [`MorphPreset::Pascal`] (`JawOpen`),
//!   [`MorphPreset::Prefixed`] (`blendShape1.jawOpen`, `head_jawOpen`, `eyeBlink_L`): one ARKit
//!   channel per target, gain 1;
//! - [`MorphPreset::Vrm`]: VRM 1.0 expressions, each a blend of ARKit channels, as in
//!   [`VRM_FROM_ARKIT`] (the documented mapping below);
//! - [`MorphPreset::Auto`]: VRM when the names are VRM expressions and none is an ARKit name,
//!   else every spelling [`crate::face::normalize_name`] accepts.
//!
//! ARKit → VRM 1.0 (gains; "L"/"R" are the subject's left and right, which VRM's `blinkLeft`
//! also means):
//!
//! | VRM | from ARKit |
//! |---|---|
//! | `aa` | jawOpen 1.0 |
//! | `ih` | mouthStretchLeft/Right 0.35 each, jawOpen 0.3 |
//! | `ou` | mouthPucker 1.0 |
//! | `ee` | mouthStretchLeft/Right 0.5 each |
//! | `oh` | mouthFunnel 0.6, jawOpen 0.4 |
//! | `blink` | eyeBlinkLeft/Right 0.5 each (only when the character has no `blinkLeft`/`blinkRight`) |
//! | `blinkLeft` / `blinkRight` | eyeBlinkLeft / eyeBlinkRight 1.0 |
//! | `happy` | mouthSmileLeft/Right 0.5 each |
//! | `angry` | browDownLeft/Right 0.5 each |
//! | `sad` | mouthFrownLeft/Right 0.35 each, browInnerUp 0.3 |
//! | `surprised` | browInnerUp 0.5, eyeWideLeft/Right 0.25 each |
//! | `relaxed` | cheekSquintLeft/Right 0.5 each |
//! | `lookUp` / `lookDown` | eyeLookUp… / eyeLookDown… Left/Right 0.5 each |
//! | `lookLeft` | eyeLookOutLeft 0.5, eyeLookInRight 0.5 (the subject looks to their left) |
//! | `lookRight` | eyeLookInLeft 0.5, eyeLookOutRight 0.5 |

use crate::face::{ARKIT_BLENDSHAPES, arkit_index, pascal_case};
use serde::{Deserialize, Serialize};

/// How a character's morph targets are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MorphPreset {
    /// Guess from the names (see the module docs).
    #[default]
    Auto,
    /// Exactly ARKit's camelCase names (`eyeBlinkLeft`).
    ArkitCamel,
    /// PascalCase (`EyeBlinkLeft`, Live Link Face CSV spelling).
    Pascal,
    /// Any spelling with namespaces, prefixes or `_L`/`_R` suffixes.
    Prefixed,
    /// VRM 1.0 preset expressions (`aa`, `ih`, `ou`, `ee`, `oh`, `blink`, …).
    Vrm,
}

/// The ARKit → VRM 1.0 expression table: expression name, then (ARKit channel, gain) terms.
pub const VRM_FROM_ARKIT: &[(&str, &[(&str, f32)])] = &[
    ("aa", &[("jawOpen", 1.0)]),
    (
        "ih",
        &[
            ("mouthStretchLeft", 0.35),
            ("mouthStretchRight", 0.35),
            ("jawOpen", 0.3),
        ],
    ),
    ("ou", &[("mouthPucker", 1.0)]),
    (
        "ee",
        &[("mouthStretchLeft", 0.5), ("mouthStretchRight", 0.5)],
    ),
    ("oh", &[("mouthFunnel", 0.6), ("jawOpen", 0.4)]),
    ("blink", &[("eyeBlinkLeft", 0.5), ("eyeBlinkRight", 0.5)]),
    ("blinkLeft", &[("eyeBlinkLeft", 1.0)]),
    ("blinkRight", &[("eyeBlinkRight", 1.0)]),
    (
        "happy",
        &[("mouthSmileLeft", 0.5), ("mouthSmileRight", 0.5)],
    ),
    ("angry", &[("browDownLeft", 0.5), ("browDownRight", 0.5)]),
    (
        "sad",
        &[
            ("mouthFrownLeft", 0.35),
            ("mouthFrownRight", 0.35),
            ("browInnerUp", 0.3),
        ],
    ),
    (
        "surprised",
        &[
            ("browInnerUp", 0.5),
            ("eyeWideLeft", 0.25),
            ("eyeWideRight", 0.25),
        ],
    ),
    (
        "relaxed",
        &[("cheekSquintLeft", 0.5), ("cheekSquintRight", 0.5)],
    ),
    ("lookUp", &[("eyeLookUpLeft", 0.5), ("eyeLookUpRight", 0.5)]),
    (
        "lookDown",
        &[("eyeLookDownLeft", 0.5), ("eyeLookDownRight", 0.5)],
    ),
    (
        "lookLeft",
        &[("eyeLookOutLeft", 0.5), ("eyeLookInRight", 0.5)],
    ),
    (
        "lookRight",
        &[("eyeLookInLeft", 0.5), ("eyeLookOutRight", 0.5)],
    ),
];

/// One driven morph target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MorphBinding {
    /// Index of the morph target on the character (position in the names given to
    /// [`map_morph_targets`]).
    pub target: usize,
    /// The target's name as the character spells it.
    pub target_name: String,
    /// (index into [`ARKIT_BLENDSHAPES`], gain) terms; weight = Σ gain · channel, clamped 0–1.
    pub terms: Vec<(usize, f32)>,
}

/// Which ARKit channels drive which morph targets of one character (editable: the studio shows it
/// like the bone map).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FaceMap {
    /// The preset that produced the map ([`MorphPreset::Auto`] resolved to what it chose).
    pub preset: MorphPreset,
    /// Number of morph targets the character has.
    pub target_count: usize,
    /// Driven targets.
    pub bindings: Vec<MorphBinding>,
    /// Names of targets no channel drives.
    pub unmapped: Vec<String>,
}

impl FaceMap {
    /// Morph weights (unitless 0–1, one per target; undriven targets 0) from 52 ARKit weights.
    pub fn weights(&self, arkit: &[f32; 52], out: &mut [f32]) {
        out.iter_mut().for_each(|w| *w = 0.0);
        for b in &self.bindings {
            if let Some(o) = out.get_mut(b.target) {
                // Indices past the 52 channels (a hand-edited file) drive nothing.
                let v: f32 = b
                    .terms
                    .iter()
                    .map(|&(i, g)| g * arkit.get(i).copied().unwrap_or(0.0))
                    .sum();
                *o = v.clamp(0.0, 1.0);
            }
        }
    }

    /// ARKit channels no target uses.
    pub fn unused_channels(&self) -> Vec<&'static str> {
        let mut used = [false; 52];
        for b in &self.bindings {
            for &(i, _) in &b.terms {
                used[i] = true;
            }
        }
        (0..52)
            .filter(|&i| !used[i])
            .map(|i| ARKIT_BLENDSHAPES[i])
            .collect()
    }

    /// The (ARKit channel index, gain) terms driving the target named `name`, if it is driven.
    pub fn terms_of(&self, name: &str) -> Option<&[(usize, f32)]> {
        self.bindings
            .iter()
            .find(|b| b.target_name == name)
            .map(|b| b.terms.as_slice())
    }

    /// This map applied by target **name** to a mesh whose targets are `names` (in its order):
    /// a name this map drives gets the same terms, any other is unmapped. Lets one character map
    /// drive each of its meshes, and a saved map survive a reordering of the targets.
    pub fn remap<S: AsRef<str>>(&self, names: &[S]) -> FaceMap {
        let mut out = FaceMap {
            preset: self.preset,
            target_count: names.len(),
            ..FaceMap::default()
        };
        for (target, name) in names.iter().map(AsRef::as_ref).enumerate() {
            match self.terms_of(name) {
                Some(terms) => out.bindings.push(MorphBinding {
                    target,
                    target_name: name.to_string(),
                    terms: terms.to_vec(),
                }),
                None => out.unmapped.push(name.to_string()),
            }
        }
        out
    }

    /// Drives target `target` (of the targets `names`, the names this map was made for) by
    /// `terms` (empty: undriven); returns the terms it had (empty if none). `None`, and no
    /// change, when `target` is not one of `names` or a term names no ARKit channel (index 52
    /// or more) or has a gain that is not finite.
    pub fn set_terms<S: AsRef<str>>(
        &mut self,
        names: &[S],
        target: usize,
        terms: Vec<(usize, f32)>,
    ) -> Option<Vec<(usize, f32)>> {
        let name = names.get(target)?.as_ref();
        if terms
            .iter()
            .any(|&(i, g)| i >= ARKIT_BLENDSHAPES.len() || !g.is_finite())
        {
            return None;
        }
        let before = match self.bindings.iter().position(|b| b.target == target) {
            Some(k) => self.bindings.remove(k).terms,
            None => Vec::new(),
        };
        if !terms.is_empty() {
            let at = self.bindings.partition_point(|b| b.target < target);
            self.bindings.insert(
                at,
                MorphBinding {
                    target,
                    target_name: name.to_string(),
                    terms,
                },
            );
        }
        self.target_count = names.len();
        self.unmapped = names
            .iter()
            .enumerate()
            .filter(|(i, _)| !self.bindings.iter().any(|b| b.target == *i))
            .map(|(_, n)| n.as_ref().to_string())
            .collect();
        Some(before)
    }
}

impl MorphPreset {
    /// Short label for the studio and reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::ArkitCamel => "ARKit camelCase",
            Self::Pascal => "PascalCase",
            Self::Prefixed => "ARKit names (any spelling)",
            Self::Vrm => "VRM 1.0 expressions",
        }
    }
}

fn vrm_terms(name: &str) -> Option<Vec<(usize, f32)>> {
    let (_, terms) = VRM_FROM_ARKIT.iter().find(|(n, _)| *n == name)?;
    terms
        .iter()
        .map(|&(c, g)| arkit_index(c).map(|i| (i, g)))
        .collect()
}

fn arkit_terms(preset: MorphPreset, name: &str) -> Option<Vec<(usize, f32)>> {
    let i = match preset {
        MorphPreset::ArkitCamel => ARKIT_BLENDSHAPES.iter().position(|n| *n == name),
        MorphPreset::Pascal => ARKIT_BLENDSHAPES
            .iter()
            .position(|n| pascal_case(n) == name),
        _ => arkit_index(name),
    }?;
    Some(vec![(i, 1.0)])
}

/// The map from ARKit channels to a character's morph targets, named `names` (in the
/// character's target order), under `preset`.
pub fn map_morph_targets<S: AsRef<str>>(names: &[S], preset: MorphPreset) -> FaceMap {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    let preset = match preset {
        MorphPreset::Auto => {
            let vrm = names.iter().filter(|n| vrm_terms(n).is_some()).count();
            let arkit = names.iter().filter(|n| arkit_index(n).is_some()).count();
            if vrm > 0 && arkit == 0 {
                MorphPreset::Vrm
            } else {
                MorphPreset::Prefixed
            }
        }
        p => p,
    };
    let has_lr = names.contains(&"blinkLeft") && names.contains(&"blinkRight");
    let mut map = FaceMap {
        preset,
        target_count: names.len(),
        ..FaceMap::default()
    };
    for (target, name) in names.iter().enumerate() {
        let terms = match preset {
            MorphPreset::Vrm if *name == "blink" && has_lr => None,
            MorphPreset::Vrm => vrm_terms(name),
            p => arkit_terms(p, name),
        };
        match terms {
            Some(terms) => map.bindings.push(MorphBinding {
                target,
                target_name: (*name).to_string(),
                terms,
            }),
            None => map.unmapped.push((*name).to_string()),
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arkit_with(pairs: &[(&str, f32)]) -> [f32; 52] {
        let mut w = [0.0; 52];
        for &(n, v) in pairs {
            w[arkit_index(n).unwrap()] = v;
        }
        w
    }

    #[test]
    fn presets_map_their_spellings_and_reject_others() {
        let camel = ["jawOpen", "EyeBlinkLeft", "extra"];
        let m = map_morph_targets(&camel, MorphPreset::ArkitCamel);
        assert_eq!(m.bindings.len(), 1);
        assert_eq!(m.unmapped, ["EyeBlinkLeft", "extra"]);
        let m = map_morph_targets(&camel, MorphPreset::Pascal);
        assert_eq!(m.bindings[0].target_name, "EyeBlinkLeft");
        let pre = ["blendShape1.jawOpen", "head_eyeBlink_L", "Body"];
        let m = map_morph_targets(&pre, MorphPreset::Auto);
        assert_eq!(m.preset, MorphPreset::Prefixed);
        let mut out = [9.0; 3];
        m.weights(
            &arkit_with(&[("jawOpen", 0.7), ("eyeBlinkLeft", 0.2)]),
            &mut out,
        );
        assert_eq!(out, [0.7, 0.2, 0.0]);
        assert_eq!(m.unused_channels().len(), 50);
    }

    #[test]
    fn vrm_expressions_blend_arkit_channels() {
        let names = [
            "aa",
            "oh",
            "blink",
            "blinkLeft",
            "blinkRight",
            "happy",
            "lookLeft",
            "neutral",
        ];
        let m = map_morph_targets(&names, MorphPreset::Auto);
        assert_eq!(m.preset, MorphPreset::Vrm);
        // blink is left alone when both one-eye blinks exist.
        assert_eq!(m.unmapped, ["blink", "neutral"]);
        let mut out = [0.0; 8];
        let w = arkit_with(&[
            ("jawOpen", 0.5),
            ("mouthFunnel", 1.0),
            ("eyeBlinkRight", 1.0),
            ("mouthSmileLeft", 1.0),
            ("mouthSmileRight", 0.6),
            ("eyeLookOutLeft", 1.0),
            ("eyeLookInRight", 1.0),
        ]);
        m.weights(&w, &mut out);
        assert!((out[0] - 0.5).abs() < 1e-6); // aa
        assert!((out[1] - 0.8).abs() < 1e-6); // oh = 0.6 + 0.2
        assert_eq!(out[2], 0.0);
        assert_eq!((out[3], out[4]), (0.0, 1.0));
        assert!((out[5] - 0.8).abs() < 1e-6);
        assert!((out[6] - 1.0).abs() < 1e-6);
        // Without one-eye blinks, blink is driven by both eyes.
        let m = map_morph_targets(&["blink"], MorphPreset::Vrm);
        let mut o = [0.0];
        m.weights(
            &arkit_with(&[("eyeBlinkLeft", 1.0), ("eyeBlinkRight", 1.0)]),
            &mut o,
        );
        assert!((o[0] - 1.0).abs() < 1e-6);
        // Every table entry names real ARKit channels.
        for (n, _) in VRM_FROM_ARKIT {
            assert!(vrm_terms(n).is_some(), "{n}");
        }
    }

    #[test]
    fn remap_and_set_terms_edit_by_name() {
        let names = ["Body", "jawOpen", "eyeBlinkLeft"];
        let mut m = map_morph_targets(&names, MorphPreset::Auto);
        assert_eq!(m.unmapped, ["Body"]);
        // Another mesh with the targets in another order, one missing.
        let r = m.remap(&["eyeBlinkLeft", "Teeth", "jawOpen"]);
        assert_eq!(r.bindings.len(), 2);
        assert_eq!((r.bindings[0].target, r.bindings[1].target), (0, 2));
        assert_eq!(r.unmapped, ["Teeth"]);
        // Drive Body by mouthClose, clear jawOpen.
        let mc = arkit_index("mouthClose").unwrap();
        assert_eq!(m.set_terms(&names, 0, vec![(mc, 1.0)]), Some(vec![]));
        let jaw = arkit_index("jawOpen").unwrap();
        assert_eq!(m.set_terms(&names, 1, vec![]), Some(vec![(jaw, 1.0)]));
        assert_eq!(m.unmapped, ["jawOpen"]);
        assert_eq!(
            m.bindings.iter().map(|b| b.target).collect::<Vec<_>>(),
            [0, 2]
        );
        let mut out = [0.0; 3];
        m.weights(
            &arkit_with(&[("mouthClose", 0.4), ("jawOpen", 0.9)]),
            &mut out,
        );
        assert_eq!(out, [0.4, 0.0, 0.0]);
        // Bad requests change nothing.
        assert_eq!(m.set_terms(&names, 3, vec![]), None);
        assert_eq!(m.set_terms(&names, 0, vec![(52, 1.0)]), None);
        assert_eq!(m.set_terms(&names, 0, vec![(1, f32::NAN)]), None);
        assert_eq!(m.terms_of("Body"), Some(&[(mc, 1.0)][..]));
    }
}
