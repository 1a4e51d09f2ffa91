//! Bone maps of the characters on stage: which joint of each glTF character plays each humanoid
//! bone ([`HumanBone`]), with a confidence and where each assignment came from, the user's
//! reassignments (undoable [`crate::model::edit::EditCommand::SetBone`]) and the Bone Map panel's
//! state. The character plugin fills [`CharacterBoneMaps`] when it builds a retarget and rebuilds
//! a character's retarget when its map's `revision` changes.
//!
//! The take's own skeleton (the retarget's source) has a map too, keyed by its motion file and
//! edited the same way ([`CharacterBoneMaps::motions`]).
//!
//! A map saved beside a character is `CHARACTER.bonemap.json` ([`sidecar_path`]) in the exact
//! format of [`BoneMap::to_json`] / [`BoneMap::from_json`], the file `mocap retarget --map` and
//! `mocap bonemap --map` read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use mocap_solver::retarget::{BoneMap, HumanBone};

/// Where one bone's assignment came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapSource {
    /// A built-in preset (its name).
    Preset(String),
    /// The automatic map (topology and joint-name tokens).
    Auto,
    /// The map file saved beside the character.
    File,
    /// Reassigned by the user in this session.
    Edited,
}

impl MapSource {
    /// Short label for the panel.
    pub fn label(&self) -> String {
        match self {
            Self::Preset(n) => n.clone(),
            Self::Auto => "auto".into(),
            Self::File => "file".into(),
            Self::Edited => "edited".into(),
        }
    }
}

/// One character's bone map as the studio uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterMap {
    /// The map (bone → joint name of the character's glTF skeleton).
    pub map: BoneMap,
    /// Confidence per mapped bone, 0–1 (1 for presets, files and edits).
    pub confidence: BTreeMap<HumanBone, f32>,
    /// Where each mapped bone's assignment came from.
    pub sources: BTreeMap<HumanBone, MapSource>,
    /// The character's joint names (first skin), in skeleton order: what a bone can be given.
    pub joints: Vec<String>,
    /// The take's source skeleton map for the character's actor: bone → (joint, confidence).
    pub source_bones: BTreeMap<HumanBone, (String, f32)>,
    /// Bumped by every reassignment: a character built with another revision is rebuilt.
    pub revision: u64,
    /// The map equals the file beside the character (nothing to save).
    pub saved: bool,
}

impl CharacterMap {
    /// A map as chosen automatically (`from_file`: read from the file beside the character),
    /// with `confidence` per bone as [`BoneMap::for_skeleton`] gives it.
    pub fn new(
        map: BoneMap,
        confidence: BTreeMap<HumanBone, f32>,
        joints: Vec<String>,
        from_file: bool,
    ) -> Self {
        let source = if from_file {
            MapSource::File
        } else if map.name == "auto" {
            MapSource::Auto
        } else {
            MapSource::Preset(map.name.clone())
        };
        let sources = map.bones.keys().map(|b| (*b, source.clone())).collect();
        Self {
            map,
            confidence,
            sources,
            joints,
            source_bones: BTreeMap::new(),
            revision: 0,
            saved: from_file,
        }
    }

    /// Gives `bone` to `joint` (`None`: unmaps it); returns the joint it had.
    pub fn set_bone(&mut self, bone: HumanBone, joint: Option<String>) -> Option<String> {
        let before = match joint {
            Some(j) => {
                self.confidence.insert(bone, 1.0);
                self.sources.insert(bone, MapSource::Edited);
                self.map.bones.insert(bone, j)
            }
            None => {
                self.confidence.remove(&bone);
                self.sources.remove(&bone);
                self.map.bones.remove(&bone)
            }
        };
        self.revision += 1;
        self.saved = false;
        before
    }
}

/// Bone maps of the characters on stage, by character file, and of the take's skeletons (the
/// retarget's source side), by motion file.
#[derive(Resource, Debug, Default, Clone)]
pub struct CharacterBoneMaps {
    /// Character file → its map.
    pub maps: BTreeMap<PathBuf, CharacterMap>,
    /// Motion file (BVH, AMC) → its skeleton's map (`source_bones` unused), saved beside the
    /// motion as `MOTION.bonemap.json` ([`sidecar_path`]).
    pub motions: BTreeMap<PathBuf, CharacterMap>,
}

impl CharacterBoneMaps {
    /// The map of `file`: a character's, else a motion's.
    pub fn get(&self, file: &Path) -> Option<&CharacterMap> {
        self.maps.get(file).or_else(|| self.motions.get(file))
    }

    /// [`Self::get`], mutable.
    pub fn get_mut(&mut self, file: &Path) -> Option<&mut CharacterMap> {
        match self.maps.get_mut(file) {
            Some(m) => Some(m),
            None => self.motions.get_mut(file),
        }
    }

    /// Whether `file` is a motion's (the take's skeleton) rather than a character's.
    pub fn is_motion(&self, file: &Path) -> bool {
        !self.maps.contains_key(file) && self.motions.contains_key(file)
    }
}

/// The Bone Map panel's state (UI state, not undoable).
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct BoneMapPanel {
    /// The character shown (`None`: the first one).
    pub character: Option<PathBuf>,
    /// The bone the next joint picked in the viewport is given to.
    pub picking: Option<HumanBone>,
    /// The bone highlighted in the viewport (the last one reassigned or picked for).
    pub highlight: Option<HumanBone>,
}

/// Requests of the Bone Map panel that are not map edits.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum BoneMapCommand {
    /// Show this character's map.
    Select(PathBuf),
    /// Give `bone` the next joint picked in the viewport (`None`: stop picking).
    Pick(Option<HumanBone>),
    /// Write the character's map beside it ([`sidecar_path`]).
    Save(PathBuf),
}

/// The bone map file beside a character or a motion: `DIR/STEM.bonemap.json` for `DIR/STEM.glb`
/// (or `DIR/STEM.bvh`, `DIR/STEM.amc`).
pub fn sidecar_path(character: &Path) -> PathBuf {
    let stem = character
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "character".into());
    character.with_file_name(format!("{stem}.bonemap.json"))
}

/// The map saved beside `character`, when there is one; a file that does not parse is an error
/// in words (the caller logs it and maps automatically).
pub fn read_sidecar(character: &Path) -> Result<Option<BoneMap>, String> {
    let p = sidecar_path(character);
    if !p.is_file() {
        return Ok(None);
    }
    BoneMap::read_path(&p).map(Some).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_sits_beside_the_character() {
        assert_eq!(
            sidecar_path(Path::new("/a/b/Soldier.glb")),
            PathBuf::from("/a/b/Soldier.bonemap.json")
        );
    }

    #[test]
    fn set_bone_records_the_edit_and_returns_the_old_joint() {
        let map = BoneMap {
            name: "auto".into(),
            description: String::new(),
            bones: [(HumanBone::Hips, "Hips".to_string())].into(),
        };
        let mut m = CharacterMap::new(
            map,
            [(HumanBone::Hips, 0.5)].into(),
            vec!["Hips".into(), "Pelvis".into()],
            false,
        );
        assert_eq!(m.sources[&HumanBone::Hips], MapSource::Auto);
        let before = m.set_bone(HumanBone::Hips, Some("Pelvis".into()));
        assert_eq!(before.as_deref(), Some("Hips"));
        assert_eq!(m.sources[&HumanBone::Hips], MapSource::Edited);
        assert_eq!(m.confidence[&HumanBone::Hips], 1.0);
        assert_eq!(m.revision, 1);
        assert_eq!(m.set_bone(HumanBone::Head, None), None);
        assert!(!m.map.bones.contains_key(&HumanBone::Head));
    }
}
