//! The canonical humanoid bone set and saved bone maps (skeleton joint names → canonical bones).

use crate::SolverError;
use mocap_data::Skeleton;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Canonical humanoid bones, named as the glTF/VRM humanoid does. Each bone is identified with
/// the joint at its start (e.g. `LeftUpperLeg` is the hip joint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub enum HumanBone {
    Hips,
    Spine,
    Chest,
    UpperChest,
    Neck,
    Head,
    LeftShoulder,
    LeftUpperArm,
    LeftLowerArm,
    LeftHand,
    RightShoulder,
    RightUpperArm,
    RightLowerArm,
    RightHand,
    LeftUpperLeg,
    LeftLowerLeg,
    LeftFoot,
    LeftToes,
    RightUpperLeg,
    RightLowerLeg,
    RightFoot,
    RightToes,
}

impl HumanBone {
    /// Every bone, parents before children.
    pub const ALL: [HumanBone; 22] = [
        Self::Hips,
        Self::Spine,
        Self::Chest,
        Self::UpperChest,
        Self::Neck,
        Self::Head,
        Self::LeftShoulder,
        Self::LeftUpperArm,
        Self::LeftLowerArm,
        Self::LeftHand,
        Self::RightShoulder,
        Self::RightUpperArm,
        Self::RightLowerArm,
        Self::RightHand,
        Self::LeftUpperLeg,
        Self::LeftLowerLeg,
        Self::LeftFoot,
        Self::LeftToes,
        Self::RightUpperLeg,
        Self::RightLowerLeg,
        Self::RightFoot,
        Self::RightToes,
    ];

    /// The VRM/glTF humanoid name (`leftUpperArm`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Hips => "hips",
            Self::Spine => "spine",
            Self::Chest => "chest",
            Self::UpperChest => "upperChest",
            Self::Neck => "neck",
            Self::Head => "head",
            Self::LeftShoulder => "leftShoulder",
            Self::LeftUpperArm => "leftUpperArm",
            Self::LeftLowerArm => "leftLowerArm",
            Self::LeftHand => "leftHand",
            Self::RightShoulder => "rightShoulder",
            Self::RightUpperArm => "rightUpperArm",
            Self::RightLowerArm => "rightLowerArm",
            Self::RightHand => "rightHand",
            Self::LeftUpperLeg => "leftUpperLeg",
            Self::LeftLowerLeg => "leftLowerLeg",
            Self::LeftFoot => "leftFoot",
            Self::LeftToes => "leftToes",
            Self::RightUpperLeg => "rightUpperLeg",
            Self::RightLowerLeg => "rightLowerLeg",
            Self::RightFoot => "rightFoot",
            Self::RightToes => "rightToes",
        }
    }

    /// Canonical ancestors, nearest first (the bone's parent is the first of these that a
    /// skeleton maps).
    pub fn ancestors(self) -> &'static [HumanBone] {
        use HumanBone::*;
        match self {
            Hips => &[],
            Spine => &[Hips],
            Chest => &[Spine, Hips],
            UpperChest => &[Chest, Spine, Hips],
            Neck => &[UpperChest, Chest, Spine, Hips],
            Head => &[Neck, UpperChest, Chest, Spine, Hips],
            LeftShoulder | RightShoulder => &[UpperChest, Chest, Spine, Hips],
            LeftUpperArm => &[LeftShoulder, UpperChest, Chest, Spine, Hips],
            RightUpperArm => &[RightShoulder, UpperChest, Chest, Spine, Hips],
            LeftLowerArm => &[LeftUpperArm],
            RightLowerArm => &[RightUpperArm],
            LeftHand => &[LeftLowerArm],
            RightHand => &[RightLowerArm],
            LeftUpperLeg | RightUpperLeg => &[Hips],
            LeftLowerLeg => &[LeftUpperLeg],
            RightLowerLeg => &[RightUpperLeg],
            LeftFoot => &[LeftLowerLeg],
            RightFoot => &[RightLowerLeg],
            LeftToes => &[LeftFoot],
            RightToes => &[RightFoot],
        }
    }

    /// Whether the bone lies on the body's centre line (hips to head).
    pub fn is_central(self) -> bool {
        matches!(
            self,
            Self::Hips | Self::Spine | Self::Chest | Self::UpperChest | Self::Neck | Self::Head
        )
    }

    /// The mirror bone (left ↔ right); central bones are their own mirror.
    pub fn mirror(self) -> Self {
        use HumanBone::*;
        match self {
            LeftShoulder => RightShoulder,
            LeftUpperArm => RightUpperArm,
            LeftLowerArm => RightLowerArm,
            LeftHand => RightHand,
            RightShoulder => LeftShoulder,
            RightUpperArm => LeftUpperArm,
            RightLowerArm => LeftLowerArm,
            RightHand => LeftHand,
            LeftUpperLeg => RightUpperLeg,
            LeftLowerLeg => RightLowerLeg,
            LeftFoot => RightFoot,
            LeftToes => RightToes,
            RightUpperLeg => LeftUpperLeg,
            RightLowerLeg => LeftLowerLeg,
            RightFoot => LeftFoot,
            RightToes => LeftToes,
            b => b,
        }
    }

    /// Whether this is a left-side bone.
    pub fn is_left(self) -> bool {
        self.name().starts_with("left")
    }
}

/// A saved, reusable bone map: which joint of one skeleton family plays each canonical bone.
/// Stored as JSON (`presets/bonemaps/*.json`):
/// `{"name": "…", "description": "…", "bones": {"hips": "Hips", "leftUpperArm": "UpperArm_L", …}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoneMap {
    /// Short name (`bandai`, `mixamo`, …).
    pub name: String,
    /// What skeletons the map is for.
    #[serde(default)]
    pub description: String,
    /// Canonical bone → joint name.
    pub bones: BTreeMap<HumanBone, String>,
}

const PRESETS: [&str; 5] = [
    include_str!("../../presets/bonemaps/bandai.json"),
    include_str!("../../presets/bonemaps/cmu_asf.json"),
    include_str!("../../presets/bonemaps/cmu_cgspeed.json"),
    include_str!("../../presets/bonemaps/mixamo.json"),
    include_str!("../../presets/bonemaps/vrm.json"),
];

/// Joint name without a namespace prefix (`mixamorig:Hips` → `Hips`), lower-cased.
fn bare(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

impl BoneMap {
    /// Parses a bone map from JSON.
    pub fn from_json(text: &str) -> Result<Self, SolverError> {
        serde_json::from_str(text).map_err(|e| {
            SolverError::BoneMap(format!(
                "cannot parse the map JSON ({e}); expected {{\"name\": …, \"bones\": {{\"hips\": \"<joint>\", …}}}} with VRM humanoid bone names as keys"
            ))
        })
    }

    /// Reads a bone map file (JSON).
    pub fn read_path(path: &std::path::Path) -> Result<Self, SolverError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SolverError::BoneMap(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| SolverError::BoneMap(format!("{}: {e}", path.display())))
    }

    /// The map as pretty JSON (the saved-file format).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The built-in presets: `bandai` (Bandai Namco BVH), `cmu_asf` (CMU Acclaim ASF bone
    /// names), `cmu_cgspeed` (CMU BVH by cgspeed), `mixamo` (`mixamorig:` names), `vrm` (glTF/VRM
    /// humanoid names).
    pub fn presets() -> Vec<BoneMap> {
        PRESETS
            .iter()
            .filter_map(|t| serde_json::from_str(t).ok())
            .collect()
    }

    /// Joint index of every canonical bone this map names and `sk` has. A name matches a joint
    /// exactly, or else case-insensitively after dropping any `prefix:` namespace on both sides
    /// (so `mixamorig:Hips` also finds `mixamorig1:Hips` or `Hips`).
    pub fn resolve(&self, sk: &Skeleton) -> BTreeMap<HumanBone, usize> {
        let mut out = BTreeMap::new();
        for (bone, name) in &self.bones {
            let j = sk.joint_index(name).or_else(|| {
                let b = bare(name);
                sk.joints.iter().position(|j| bare(&j.name) == b)
            });
            if let Some(j) = j {
                out.insert(*bone, j);
            }
        }
        out
    }

    /// The map among `candidates` that resolves the most bones of `sk` (ties: the most exact
    /// name matches, then the first). Errors when none maps the hips and at least 8 bones.
    pub fn best_for(sk: &Skeleton, candidates: &[BoneMap]) -> Result<BoneMap, SolverError> {
        let mut best: Option<(usize, usize, &BoneMap)> = None;
        for m in candidates {
            let r = m.resolve(sk);
            if !r.contains_key(&HumanBone::Hips) {
                continue;
            }
            let exact = m
                .bones
                .values()
                .filter(|n| sk.joint_index(n).is_some())
                .count();
            let score = (r.len(), exact);
            if best.is_none_or(|b| score > (b.0, b.1)) {
                best = Some((score.0, score.1, m));
            }
        }
        match best {
            Some((n, _, m)) if n >= 8 => Ok(m.clone()),
            _ => Err(SolverError::BoneMap(format!(
                "no bone map fits the skeleton whose root is {:?} (tried {}); write a map file with its joint names and pass it with --map",
                sk.joints.first().map(|j| j.name.as_str()).unwrap_or(""),
                candidates
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

impl BoneMap {
    /// The map for `sk` with a confidence per bone: the best of `candidates` (map files, then
    /// presets) when it names at least 14 bones including the hips (confidence 1 for each),
    /// else the automatic map from topology and names ([`super::automap`]); a candidate naming
    /// at least 8 bones is the fallback when the skeleton is not recognised as a humanoid.
    /// Errors say "not a humanoid" and why.
    pub fn for_skeleton(
        sk: &Skeleton,
        candidates: &[BoneMap],
    ) -> Result<(BoneMap, BTreeMap<HumanBone, f32>), SolverError> {
        let preset = Self::best_for(sk, candidates).ok();
        let full = |m: &BoneMap| {
            let r = m.resolve(sk);
            let c: BTreeMap<HumanBone, f32> = r.keys().map(|b| (*b, 1.0)).collect();
            (r.len(), c)
        };
        if let Some(m) = &preset {
            let (n, c) = full(m);
            if n >= 14 {
                return Ok((m.clone(), c));
            }
        }
        match super::automap(sk) {
            Ok(a) => Ok((a.map, a.confidence)),
            Err(e) => match preset {
                Some(m) => {
                    let (_, c) = full(&m);
                    Ok((m, c))
                }
                None => Err(e),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_parse_and_round_trip() {
        let p = BoneMap::presets();
        assert_eq!(p.len(), PRESETS.len());
        for m in &p {
            assert!(m.bones.contains_key(&HumanBone::Hips), "{}", m.name);
            assert!(
                m.bones.len() >= 18,
                "{} maps {} bones",
                m.name,
                m.bones.len()
            );
            assert_eq!(&BoneMap::from_json(&m.to_json()).expect("json"), m);
        }
        assert!(BoneMap::from_json("{\"name\": \"x\", \"bones\": {\"tail\": \"T\"}}").is_err());
        for b in HumanBone::ALL {
            assert_eq!(b.mirror().mirror(), b);
            for a in b.ancestors() {
                let ia = HumanBone::ALL.iter().position(|x| x == a);
                let ib = HumanBone::ALL.iter().position(|x| *x == b);
                assert!(ia < ib, "{b:?}");
            }
        }
    }
}
