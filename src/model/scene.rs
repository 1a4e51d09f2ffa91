//! What the 3D scene shares between plugins: characters on stage and whether they drive the view.

use std::path::PathBuf;

use bevy::prelude::*;

/// How many characters the take drives now. While one does, the viewport hides the take's own
/// mannequin and bones: the character shows the motion, and at its own scale (Soldier.glb is
/// 0.22 m tall) the full-size take skeleton would fill the view around it.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CharacterStatus {
    /// Characters with bound, driven joints.
    pub driven: usize,
    /// Characters whose file is still being read and retarget prepared (in the background).
    pub loading: usize,
}

/// A glTF / GLB character's root entity (the entity holding Bevy's scene instance).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct CharacterModel {
    /// The file the character was loaded from (read again for its skin).
    pub path: PathBuf,
    /// The take's actor it plays (0: the primary skeleton; see [`crate::model::session::Take::actor`]).
    pub actor: usize,
}
