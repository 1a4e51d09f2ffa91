//! Faces in the studio: the take's facial performance ([`crate::model::session::Take::face`],
//! ARKit blendshape weights and head/eye rotations at the face's own rate) sampled by time at the
//! playhead into [`FacePose`], then written to every entity with a [`FaceMorphs`] map (its Bevy
//! `MorphWeights`) and to [`FaceJoint`]s (head and eyes, rotated on top of the body's pose).
//!
//! Who drives what: the viewport's built-in mannequin gets the generated head of
//! `mocap_solver::mannequin_face` with the 52 ARKit targets in canonical order (an identity map),
//! and its head/eye joints get [`FaceJoint`]s; glTF characters' meshes with morph targets are
//! bound here by their target names through `mocap_data::face_map` (`MorphPreset::Auto`: ARKit
//! camelCase, PascalCase, prefixed names or VRM 1.0 expressions) once their mesh has loaded, and
//! the character plugin gives a driven character's head/eye nodes [`FaceJoint`]s.
//! Only actor 0 has a face (a take holds one performance); other actors keep a neutral face.
//!
//! Each character's map is one [`crate::model::facemap::CharacterFaceMap`] over all its meshes'
//! target names (the built-in mannequin's under [`crate::model::facemap::MANNEQUIN`]): the file
//! saved beside the character, else the preset detected; the Face Map tab ([`facemap_panel`])
//! shows and edits it, [`facemap`] keeps the meshes' [`FaceMorphs`] in step with it and saves it.

use bevy::mesh::morph::MorphWeights;
use bevy::prelude::*;
use mocap_data::face::{ARKIT_BLENDSHAPES, FACE_ROTATIONS};
use mocap_data::face_map::{FaceMap, MorphPreset, map_morph_targets};

use crate::model::facemap::{CharacterFaceMaps, MANNEQUIN};
use crate::model::scene::CharacterModel;
use crate::model::session::Session;
use crate::playback::{Playback, PlaybackSet};

pub mod facemap;
pub mod facemap_panel;

/// Face systems: sample the face after the clock (Update), drive morphs and joints after every
/// plugin has posed this frame's skeletons (PostUpdate, before transform propagation).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct FaceSet;

/// Samples the take's face at the playhead and drives faces (see the module docs).
pub struct FacePlugin;

impl Plugin for FacePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FacePose>()
            .add_plugins(facemap::FaceMapPlugin)
            .configure_sets(Update, FaceSet.after(PlaybackSet))
            .configure_sets(
                PostUpdate,
                FaceSet.before(bevy::transform::TransformSystems::Propagate),
            )
            .add_systems(Update, sample_face.in_set(FaceSet))
            .add_systems(
                PostUpdate,
                (
                    bind_character_morphs,
                    facemap::sync_face_morphs,
                    drive_face_morphs,
                    drive_face_joints,
                )
                    .chain()
                    .in_set(FaceSet),
            );
    }
}

/// The face at the playhead.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct FacePose {
    /// Whether the open take has a face (otherwise every weight and rotation is 0).
    pub active: bool,
    /// The time sampled: the start of the shown frame, seconds from the take's frame 0.
    pub time_s: f64,
    /// The face's fractional frame at `time_s` (face frames at the face's own rate).
    pub face_frame: f64,
    /// The 52 ARKit weights (unitless 0–1, [`ARKIT_BLENDSHAPES`] order; channels the face lacks 0).
    pub weights: [f32; 52],
    /// Head and eye rotations, radians ([`FACE_ROTATIONS`] order; absent ones 0).
    pub rotations: [f32; 9],
}

impl Default for FacePose {
    fn default() -> Self {
        Self {
            active: false,
            time_s: 0.0,
            face_frame: 0.0,
            weights: [0.0; 52],
            rotations: [0.0; 9],
        }
    }
}

/// An entity whose `MorphWeights` the face drives: target weights from the 52 ARKit weights
/// through `map` (see `mocap_data::face_map`).
#[derive(Component, Debug, Clone)]
pub struct FaceMorphs {
    /// The actor whose face drives it (only actor 0 has one).
    pub actor: usize,
    /// ARKit channels → this mesh's morph targets.
    pub map: FaceMap,
    /// The character whose map ([`CharacterFaceMaps`]) this mesh follows (`None`: its own map).
    pub character: Option<std::path::PathBuf>,
    /// This mesh's morph target names, in its order.
    pub targets: Vec<String>,
    /// The revision of the character's map `map` was made from (`None`: not yet synced).
    pub revision: Option<u64>,
}

impl FaceMorphs {
    /// The identity map for a mesh whose targets are the 52 ARKit channels in canonical order
    /// (the mannequin's generated head), following the mannequin's map in the Face Map tab.
    pub fn arkit(actor: usize) -> Self {
        Self {
            actor,
            map: map_morph_targets(&ARKIT_BLENDSHAPES, MorphPreset::ArkitCamel),
            character: Some(MANNEQUIN.into()),
            targets: ARKIT_BLENDSHAPES.iter().map(|n| n.to_string()).collect(),
            revision: None,
        }
    }
}

/// Which face rotation a joint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacePart {
    /// `headYaw`/`headPitch`/`headRoll`.
    Head,
    /// `leftEyeYaw`/`leftEyePitch`/`leftEyeRoll`.
    LeftEye,
    /// `rightEyeYaw`/`rightEyePitch`/`rightEyeRoll`.
    RightEye,
}

impl FacePart {
    /// The part a joint name stands for (`Head`, `LeftEye`, `eye_L`, …), if any.
    pub fn from_joint_name(name: &str) -> Option<Self> {
        let tail = name.rsplit([':', '|']).next().unwrap_or(name);
        let n: String = tail
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match n.as_str() {
            "head" => Some(Self::Head),
            "lefteye" | "eyeleft" | "eyel" | "leye" => Some(Self::LeftEye),
            "righteye" | "eyeright" | "eyer" | "reye" => Some(Self::RightEye),
            _ => None,
        }
    }

    fn offset(self) -> usize {
        match self {
            Self::Head => 0,
            Self::LeftEye => 3,
            Self::RightEye => 6,
        }
    }
}

/// A joint the face's head or eye rotation turns, on top of the rotation the body's pose gave it
/// this frame. Axes are the joint's **local** unit axes at rest: the character's up (yaw), left
/// (pitch: positive looks down) and forward (roll).
#[derive(Component, Debug, Clone)]
pub struct FaceJoint {
    /// The actor (only actor 0 has a face).
    pub actor: usize,
    /// Head, left eye or right eye.
    pub part: FacePart,
    /// Local up, left, forward axes (unit).
    pub axes: [Vec3; 3],
    /// The rotation written last and the face offset it included, so a joint no one re-posed
    /// this frame is not turned twice.
    last: Option<(Quat, Quat)>,
}

impl FaceJoint {
    /// A face joint with local axes `axes` (up, left, forward).
    pub fn new(actor: usize, part: FacePart, axes: [Vec3; 3]) -> Self {
        Self {
            actor,
            part,
            axes,
            last: None,
        }
    }

    /// The local rotation of yaw, pitch, roll (radians) about this joint's axes.
    pub fn offset(&self, ypr: [f32; 3]) -> Quat {
        Quat::from_axis_angle(self.axes[0], ypr[0])
            * Quat::from_axis_angle(self.axes[1], ypr[1])
            * Quat::from_axis_angle(self.axes[2], ypr[2])
    }
}

/// Samples the take's face at the start of the shown frame.
pub fn sample_face(
    session: Res<Session>,
    playback: Res<Playback>,
    mut pose: ResMut<FacePose>,
    mut lookup: Local<Option<((u64, usize, usize), [Option<usize>; 52], [Option<usize>; 9])>>,
) {
    let Some(face) = session.take.as_ref().and_then(|t| t.face.as_ref()) else {
        if pose.active {
            *pose = FacePose::default();
        }
        return;
    };
    // Curve indices stay valid while the content generation and the curve counts do (an edit
    // that changes the curves without a new generation still gets a fresh lookup).
    let key = (
        session.generation,
        face.blendshapes.len(),
        face.rotations.len(),
    );
    let stale = !matches!(*lookup, Some((k, ..)) if k == key);
    if stale {
        let rot = FACE_ROTATIONS.map(|n| face.rotations.iter().position(|c| c.name == n));
        *lookup = Some((key, face.arkit_lookup(), rot));
    }
    let Some((_, arkit, rot)) = lookup.as_ref() else {
        return;
    };
    let t = playback.frame_start_s(playback.frame());
    let f = t * face.rate.hz();
    // Lost samples (NaN in a live recording) show as neutral.
    let finite = |v: f32| if v.is_finite() { v } else { 0.0 };
    let weights = face.arkit_at(arkit, t).map(|w| finite(w).clamp(0.0, 1.0));
    let rotations = rot.map(|c| {
        c.and_then(|c| face.rotations.get(c))
            .map_or(0.0, |c| finite(c.sample(f)))
    });
    let next = FacePose {
        active: true,
        time_s: t,
        face_frame: f,
        weights,
        rotations,
    };
    if *pose != next {
        *pose = next;
    }
}

/// Gives glTF characters' morphing meshes a [`FaceMorphs`] map from their target names, once the
/// mesh asset is there: the character's map in [`CharacterFaceMaps`] (made on its first mesh
/// from the file beside it, else the preset its names fit).
fn bind_character_morphs(
    mut commands: Commands,
    unbound: Query<(Entity, &MorphWeights), Without<FaceMorphs>>,
    parents: Query<&ChildOf>,
    characters: Query<&CharacterModel>,
    meshes: Option<Res<Assets<Mesh>>>,
    mut maps: ResMut<CharacterFaceMaps>,
    mut log: ResMut<crate::model::log::AppLog>,
    time: Res<Time<Real>>,
) {
    let Some(meshes) = meshes else { return };
    for (e, weights) in &unbound {
        let Some(model) = parents
            .iter_ancestors(e)
            .find_map(|a| characters.get(a).ok())
        else {
            continue;
        };
        let Some(mesh) = weights.first_mesh().and_then(|h| meshes.get(h)) else {
            continue;
        };
        let names: Vec<String> = match mesh.try_morph_target_names() {
            Ok(Some(n)) => n.to_vec(),
            _ => Vec::new(),
        };
        let entry = facemap::character_entry(&mut maps, &model.path, &names, |problem| {
            log.push(
                crate::model::log::LogLevel::Warning,
                format!(
                    "Face map of {}: {problem} (mapping by target names instead; fix or delete \
                     the file, or save the map from the Face Map tab)",
                    model.path.display()
                ),
                time.elapsed_secs_f64(),
            );
        });
        let map = entry.for_mesh(&names);
        info!(
            "face: {} drives {} of {} morph targets ({:?}; unmapped: {:?})",
            model.path.display(),
            map.bindings.len(),
            weights.weights().len(),
            map.preset,
            map.unmapped
        );
        commands.entity(e).insert(FaceMorphs {
            actor: model.actor,
            map,
            character: Some(model.path.clone()),
            targets: names,
            revision: Some(entry.revision),
        });
    }
}

/// Writes the face's weights into every driven `MorphWeights` (maps that drive nothing are left
/// alone).
pub fn drive_face_morphs(pose: Res<FacePose>, mut q: Query<(&FaceMorphs, &mut MorphWeights)>) {
    let neutral = [0.0; 52];
    for (m, mut w) in &mut q {
        if m.map.bindings.is_empty() {
            continue;
        }
        let src = if pose.active && m.actor == 0 {
            &pose.weights
        } else {
            &neutral
        };
        m.map.weights(src, w.weights_mut());
    }
}

/// Turns head and eye joints by the face's rotations on top of this frame's body pose.
pub fn drive_face_joints(pose: Res<FacePose>, mut q: Query<(&mut FaceJoint, &mut Transform)>) {
    for (mut fj, mut t) in &mut q {
        let base = match fj.last {
            // Nobody re-posed the joint since we wrote it: take our offset back out.
            Some((written, offset)) if written == t.rotation => written * offset.inverse(),
            _ => t.rotation,
        };
        let o = fj.part.offset();
        let offset = if pose.active && fj.actor == 0 {
            fj.offset([
                pose.rotations[o],
                pose.rotations[o + 1],
                pose.rotations[o + 2],
            ])
        } else {
            Quat::IDENTITY
        };
        let r = (base * offset).normalize();
        t.rotation = r;
        fj.last = Some((r, offset));
    }
}

/// The Face timeline lane: spans of take frames where the face has valid samples (every
/// blendshape finite; a live recording leaves NaN where packets were lost). `None` without a face.
pub fn face_lane(take: &crate::model::session::Take) -> Option<crate::model::lanes::Lane> {
    let face = take.face.as_ref()?;
    let n = face.frame_count();
    let last_take = take.frame_count.saturating_sub(1);
    let to_take = |f: usize| {
        let t = face.rate.frames_to_seconds(f as i64);
        usize::try_from(take.rate.seconds_to_frame_round(t))
            .unwrap_or(0)
            .min(last_take)
    };
    let valid = |f: usize| {
        face.blendshapes
            .iter()
            .all(|c| c.values.get(f).is_some_and(|v| v.is_finite()))
    };
    let mut spans = Vec::new();
    let mut start: Option<usize> = None;
    for f in 0..=n {
        let ok = f < n && valid(f);
        match (ok, start) {
            (true, None) => start = Some(f),
            (false, Some(s)) => {
                let e = f - 1;
                spans.push((
                    to_take(s),
                    to_take(e),
                    [196, 120, 230],
                    format!(
                        "Face: {} frames at {} Hz ({:.2}–{:.2} s)",
                        e + 1 - s,
                        face.rate,
                        face.rate.frames_to_seconds(s as i64),
                        face.rate.frames_to_seconds(e as i64 + 1)
                    ),
                ));
                start = None;
            }
            _ => {}
        }
    }
    Some(crate::model::lanes::Lane {
        name: "Face".into(),
        spans,
        ticks: Vec::new(),
        edit_key: None,
    })
}
