//! Face maps of the characters on stage: which ARKit channels drive each morph target of each
//! character (`mocap_data::face_map`, applied by target name to every morphing mesh of the
//! character), where each assignment came from, the user's reassignments (undoable
//! [`crate::model::edit::EditCommand::SetMorph`]) and the Face Map panel's state. The face plugin
//! fills [`CharacterFaceMaps`] as characters' meshes load and re-binds a character's meshes when
//! its map's `revision` changes.
//!
//! A map saved beside a character is `CHARACTER.facemap.json` ([`sidecar_path`]) in the format
//! of `mocap_formats::face_map_file`, the file `mocap export-glb --face-map` reads. The built-in
//! mannequin's map ([`MANNEQUIN`]) is editable for the session but has no file to sit beside.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use mocap_data::face_map::{FaceMap, MorphPreset, map_morph_targets};

use crate::model::bonemap::MapSource;

/// The key of the built-in mannequin's face in [`CharacterFaceMaps`] (no file).
pub const MANNEQUIN: &str = "Mannequin (built-in)";

/// Whether `character` is the built-in mannequin rather than a file.
pub fn is_mannequin(character: &Path) -> bool {
    character == Path::new(MANNEQUIN)
}

/// One character's face map as the studio uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct CharacterFaceMap {
    /// The character's morph target names: every morphing mesh's, first seen first, once each.
    pub targets: Vec<String>,
    /// ARKit channels → `targets` (target indices are positions in `targets`).
    pub map: FaceMap,
    /// The naming preset detected from the target names (`MorphPreset::Auto` resolved).
    pub detected: MorphPreset,
    /// Where each driven target's assignment came from, by target name.
    pub sources: BTreeMap<String, MapSource>,
    /// The map file beside the character as read (`None`: none, or it did not parse); targets
    /// of meshes that load later take their terms from it.
    pub file: Option<FaceMap>,
    /// Bumped by every change: meshes bound with another revision are re-bound.
    pub revision: u64,
    /// The map equals the file beside the character (nothing to save).
    pub saved: bool,
}

impl CharacterFaceMap {
    /// The map for targets `names`: from `file` (the map saved beside the character) when there
    /// is one, else the preset detected from the names.
    pub fn new(names: &[String], file: Option<FaceMap>) -> Self {
        let mut m = Self {
            targets: Vec::new(),
            map: FaceMap::default(),
            detected: MorphPreset::Auto,
            sources: BTreeMap::new(),
            saved: file.is_some(),
            file,
            revision: 0,
        };
        m.add_targets(names);
        m.revision = 0;
        m
    }

    /// Adds the targets of another mesh of the character (names it has already are skipped);
    /// returns whether any was new.
    pub fn add_targets(&mut self, names: &[String]) -> bool {
        let mut new = Vec::new();
        for n in names {
            if !self.targets.contains(n) && !new.contains(n) {
                new.push(n.clone());
            }
        }
        if new.is_empty() {
            return false;
        }
        self.targets.extend(new.iter().cloned());
        let auto = map_morph_targets(&self.targets, MorphPreset::Auto);
        self.detected = auto.preset;
        let mut map = self.map.remap(&self.targets);
        map.preset = auto.preset;
        for n in &new {
            let Some(t) = self.targets.iter().position(|x| x == n) else {
                continue;
            };
            let from_file = self.file.as_ref().map(|f| f.terms_of(n));
            let (terms, source) = match from_file {
                Some(Some(terms)) => (terms.to_vec(), MapSource::File),
                // A file that leaves the target undriven keeps it so.
                Some(None) => continue,
                None => match auto.terms_of(n) {
                    Some(terms) => (
                        terms.to_vec(),
                        MapSource::Preset(auto.preset.label().to_string()),
                    ),
                    None => continue,
                },
            };
            map.set_terms(&self.targets, t, terms);
            self.sources.insert(n.clone(), source);
        }
        self.map = map;
        self.revision += 1;
        true
    }

    /// Drives target `target` (a name in [`Self::targets`]) by `terms` ((ARKit channel index,
    /// gain); empty: undriven); returns the terms it had.
    pub fn set_terms(
        &mut self,
        target: &str,
        terms: Vec<(usize, f32)>,
    ) -> Result<Vec<(usize, f32)>, String> {
        let t = self
            .targets
            .iter()
            .position(|n| n == target)
            .ok_or_else(|| format!("the character has no morph target {target:?}"))?;
        let driven = !terms.is_empty();
        let before = self.map.set_terms(&self.targets, t, terms).ok_or_else(|| {
            format!("{target}: a channel is no ARKit channel or a gain is not finite")
        })?;
        if driven {
            self.sources.insert(target.to_string(), MapSource::Edited);
        } else {
            self.sources.remove(target);
        }
        self.revision += 1;
        self.saved = false;
        Ok(before)
    }

    /// The map for one mesh of the character, whose targets are `names`.
    pub fn for_mesh(&self, names: &[String]) -> FaceMap {
        self.map.remap(names)
    }
}

/// Face maps of the characters on stage, by character file ([`MANNEQUIN`] for the built-in one).
#[derive(Resource, Debug, Default, Clone)]
pub struct CharacterFaceMaps {
    /// Character file → its map.
    pub maps: BTreeMap<PathBuf, CharacterFaceMap>,
}

/// The Face Map panel's state (UI state, not undoable).
#[derive(Resource, Debug, Default, Clone, PartialEq)]
pub struct FaceMapPanel {
    /// The character shown (`None`: the first one).
    pub character: Option<PathBuf>,
}

/// Requests of the Face Map panel that are not map edits.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum FaceMapCommand {
    /// Show this character's map.
    Select(PathBuf),
    /// Write the character's map beside it ([`sidecar_path`]).
    Save(PathBuf),
}

/// The face map file beside a character: `DIR/STEM.facemap.json` for `DIR/STEM.glb`.
pub fn sidecar_path(character: &Path) -> PathBuf {
    let stem = character
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "character".into());
    character.with_file_name(format!("{stem}.facemap.json"))
}

/// The map saved beside `character`, when there is one; a file that does not parse is an error
/// in words (the caller logs it and maps by the preset).
pub fn read_sidecar(character: &Path) -> Result<Option<FaceMap>, String> {
    if is_mannequin(character) {
        return Ok(None);
    }
    let p = sidecar_path(character);
    if !p.is_file() {
        return Ok(None);
    }
    mocap_formats::face_map_file::read_face_map(&p)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Writes `character`'s map beside it ([`sidecar_path`]); returns the file written.
pub fn save_map(maps: &mut CharacterFaceMaps, character: &Path) -> Result<PathBuf, String> {
    if is_mannequin(character) {
        return Err("the built-in mannequin has no file to save its face map beside".into());
    }
    let m = maps
        .maps
        .get_mut(character)
        .ok_or_else(|| format!("{} has no face map (is it loaded?)", character.display()))?;
    let path = sidecar_path(character);
    let text = mocap_formats::face_map_file::face_map_to_json(&m.map);
    crate::model::util::write_atomically(&path, text.as_bytes()).map_err(|e| {
        format!(
            "cannot write {}: {e} (choose a writable folder for the character)",
            path.display()
        )
    })?;
    m.saved = true;
    m.file = Some(m.map.clone());
    Ok(path)
}

/// The character the Face Map panel shows: the chosen one, else the first with a map.
pub fn shown_character<'a>(
    maps: &'a CharacterFaceMaps,
    panel: &FaceMapPanel,
) -> Option<(&'a Path, &'a CharacterFaceMap)> {
    panel
        .character
        .as_ref()
        .and_then(|p| maps.maps.get_key_value(p))
        .or_else(|| maps.maps.iter().next())
        .map(|(p, m)| (p.as_path(), m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::face::arkit_index;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sidecar_sits_beside_the_character() {
        assert_eq!(
            sidecar_path(Path::new("/a/b/Fox.glb")),
            PathBuf::from("/a/b/Fox.facemap.json")
        );
        assert!(read_sidecar(Path::new(MANNEQUIN)).unwrap().is_none());
    }

    #[test]
    fn meshes_join_one_map_and_edits_are_recorded() {
        let mut m = CharacterFaceMap::new(&names(&["jawOpen", "Wrinkles"]), None);
        assert_eq!(m.detected, MorphPreset::Prefixed);
        assert_eq!(m.map.unmapped, ["Wrinkles"]);
        assert_eq!(m.revision, 0);
        // A second mesh (teeth) with one new target.
        assert!(m.add_targets(&names(&["jawOpen", "tongueOut"])));
        assert_eq!(m.targets, ["jawOpen", "Wrinkles", "tongueOut"]);
        assert_eq!(
            m.for_mesh(&names(&["tongueOut", "jawOpen"])).bindings.len(),
            2
        );
        assert!(!m.add_targets(&names(&["jawOpen"])));
        let smile = arkit_index("mouthSmileLeft").unwrap();
        let before = m.set_terms("Wrinkles", vec![(smile, 1.0)]).unwrap();
        assert!(before.is_empty());
        assert_eq!(m.sources["Wrinkles"], MapSource::Edited);
        assert!(m.map.unmapped.is_empty());
        assert!(m.set_terms("Nope", vec![]).is_err());
        let jaw = arkit_index("jawOpen").unwrap();
        assert_eq!(m.set_terms("jawOpen", vec![]).unwrap(), vec![(jaw, 1.0)]);
        assert_eq!(m.map.unmapped, ["jawOpen"]);
        assert!(!m.saved);
        // A file beside the character wins over the preset, by name.
        let file = m.map.clone();
        let f = CharacterFaceMap::new(&names(&["Wrinkles", "jawOpen"]), Some(file));
        assert_eq!(f.map.terms_of("Wrinkles"), Some(&[(smile, 1.0)][..]));
        assert_eq!(f.map.terms_of("jawOpen"), None);
        assert_eq!(f.sources["Wrinkles"], MapSource::File);
        assert!(f.saved);
    }
}
