//! Characters' face maps in the studio (see [`crate::model::facemap`]): the map each character's
//! morphing meshes are bound with, re-binding them when the user reassigns a target (an undoable
//! [`crate::model::edit::EditCommand::SetMorph`], applied by the history plugin), choosing the
//! character the Face Map tab shows, and saving the map beside the character
//! (`CHARACTER.facemap.json`, what `mocap export-glb --face-map` reads).

use std::path::Path;

use bevy::prelude::*;

use super::FaceMorphs;
use crate::model::edit::EditCommand;
use crate::model::facemap::{
    CharacterFaceMap, CharacterFaceMaps, FaceMapCommand, FaceMapPanel, read_sidecar, save_map,
};
use crate::model::log::{AppLog, LogLevel};

/// Face maps: [`CharacterFaceMaps`], the panel's state and its [`FaceMapCommand`]s (binding and
/// re-binding meshes runs in the face plugin's PostUpdate chain, [`sync_face_morphs`]).
pub struct FaceMapPlugin;

impl Plugin for FaceMapPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CharacterFaceMaps>()
            .init_resource::<FaceMapPanel>()
            .add_message::<FaceMapCommand>()
            .add_message::<EditCommand>()
            .add_systems(Update, apply_commands.in_set(super::FaceSet));
    }
}

/// The map of `character` in `maps`, made on first use for a mesh with targets `names` (from
/// the file beside the character, else the preset the names fit; a file that does not parse
/// goes to `problem`), and grown by the targets of each further mesh.
pub fn character_entry<'a>(
    maps: &'a mut CharacterFaceMaps,
    character: &Path,
    names: &[String],
    problem: impl FnOnce(String),
) -> &'a CharacterFaceMap {
    let entry = maps.maps.entry(character.to_path_buf()).or_insert_with(|| {
        let file = match read_sidecar(character) {
            Ok(f) => f,
            Err(e) => {
                problem(e);
                None
            }
        };
        CharacterFaceMap::new(names, file)
    });
    entry.add_targets(names);
    entry
}

/// Keeps every mesh's [`FaceMorphs`] in step with its character's map: a mesh bound with
/// another revision (an edit, undo or redo) gets the character's map for its targets again.
pub fn sync_face_morphs(mut maps: ResMut<CharacterFaceMaps>, mut q: Query<&mut FaceMorphs>) {
    for mut fm in &mut q {
        let Some(character) = fm.character.as_ref() else {
            continue;
        };
        // In step (every frame, cheap): a map only grows targets with a new revision.
        if let Some(m) = maps.maps.get(character)
            && fm.revision == Some(m.revision)
        {
            continue;
        }
        let character = character.clone();
        let fm = &mut *fm;
        let m = character_entry(&mut maps, &character, &fm.targets, |_| {});
        fm.map = m.for_mesh(&fm.targets);
        fm.revision = Some(m.revision);
    }
}

fn apply_commands(
    mut cmds: MessageReader<FaceMapCommand>,
    mut maps: ResMut<CharacterFaceMaps>,
    mut panel: ResMut<FaceMapPanel>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for c in cmds.read() {
        match c {
            FaceMapCommand::Select(p) => panel.character = Some(p.clone()),
            FaceMapCommand::Save(p) => match save_map(&mut maps, p) {
                Ok(path) => log.push(
                    LogLevel::Info,
                    format!("Saved the face map to {}", path.display()),
                    now,
                ),
                Err(e) => log.push(
                    LogLevel::Error,
                    format!("Cannot save the face map: {e}"),
                    now,
                ),
            },
        }
    }
}
