//! glTF / GLB characters driven by the take's motion, through `mocap_solver::retarget`.
//!
//! When the session has both a character file (spawned by the viewport through Bevy's glTF loader,
//! tagged [`CharacterModel`]) and a skeleton motion (BVH, ASF+AMC or the demo), this plugin:
//!
//! 1. reads the file's bytes once and builds the retarget ([`build_retarget`]):
//!    [`skeleton_from_gltf`] for the target skeleton, [`BoneMap::for_skeleton`] for both bone
//!    maps (the character's own map from [`bonemap`] first: the user's, or the file beside it),
//!    and [`retarget`] over every frame of the motion;
//! 2. binds the character's joint entities by [`Name`] (glTF node names) once Bevy's scene has
//!    spawned, which happens some frames after the asset loads, and removes Bevy's own
//!    [`AnimationPlayer`] / [`AnimatedBy`] there so the file's clips never fight the take;
//! 3. every frame sets the joints' local `Transform` rotations (and the root joint's translation)
//!    from the [`RetargetedMotion`] at the playback frame ([`apply_frame`]).
//!
//! ## Spaces
//! glTF is Y-up, metres, like Bevy's world; the character's scene root entity has an identity
//! transform, so glTF "world" (the space of [`GltfTarget::skeleton`], node scales such as the
//! Soldier's 0.0012 `Character` node included) is Bevy world space. The source motion's unit and
//! up axis are converted by the solver (root path scaled by target / source leg length). Node
//! values are written through [`GltfTarget::node_rotation`] and [`GltfTarget::node_translation`],
//! which undo the non-joint nodes above the joints; node scales are never touched.
//!
//! ## View
//! While a character is driven the viewport hides the take's own mannequin and bones
//! ([`CharacterStatus`]), the camera frames the character when it is bound and then tracks its
//! hips, so a character at its own (possibly tiny) scale stays in view while it walks.
//!
//! Failures (no skin, no bone map fits, joints missing from the spawned scene) go to the
//! [`AppLog`] (and so to a toast), never a panic.

use bevy::animation::{AnimatedBy, AnimationPlayer};
use bevy::camera::visibility::NoFrustumCulling;
use bevy::prelude::*;
use mocap_data::{Motion, Skeleton};
use mocap_solver::retarget::{BoneMap, GltfTarget, RetargetedMotion, retarget, skeleton_from_gltf};

pub mod bonemap;
pub mod bonemap_panel;

use crate::model::commands::CameraCommand;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::scene::{CharacterModel, CharacterStatus};
use crate::model::session::Session;
use crate::playback::{Playback, PlaybackSet};
use crate::viewport::camera::{CameraSet, OrbitCamera, SceneBounds};

/// Character systems: build retargets, bind joints, pose them (after playback, and after the
/// viewport has spawned this frame's characters).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CharacterSet;

/// Drives loaded glTF characters with the take's motion (see the module docs).
pub struct CharacterPlugin;

impl Plugin for CharacterPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CharacterStatus>()
            .configure_sets(
                Update,
                CharacterSet
                    .after(PlaybackSet)
                    .after(crate::viewport::ViewportSet)
                    .before(CameraSet),
            )
            .add_systems(
                Update,
                (
                    build_retargets,
                    bind_joints,
                    drive_characters,
                    update_status,
                )
                    .chain()
                    .in_set(CharacterSet),
            )
            .add_plugins(bonemap::BoneMapPlugin);
    }
}

/// Why a character is not driven (set once; the error was logged).
#[derive(Component, Debug, Clone, PartialEq)]
pub struct CharacterUndriven {
    /// The reason, as logged.
    pub reason: String,
}

/// The take's motion retargeted onto one character.
#[derive(Debug, Clone)]
pub struct CharacterRetarget {
    /// The character's skeleton (first skin), Y-up metres, and how to write its glTF nodes.
    pub target: GltfTarget,
    /// Per-frame local rotations and root translations for `target.skeleton`.
    pub motion: RetargetedMotion,
    /// Name of the bone map used for the source skeleton.
    pub source_map: String,
    /// Name of the bone map used for the character.
    pub target_map: String,
}

/// A character driven by the take: its retarget and, once the scene has spawned, its joint
/// entities (in `retarget.target.skeleton` joint order).
#[derive(Component, Debug, Clone)]
pub struct CharacterDrive {
    /// The retarget built when the character and the motion were both loaded.
    pub retarget: CharacterRetarget,
    /// Joint entities, once bound.
    pub joints: Option<Vec<Entity>>,
    /// Frame rate of the source motion (an actor may differ from the take's rate).
    pub rate: mocap_data::FrameRate,
}

/// Builds the retarget of `motion` (of `source`) onto the skinned character in `gltf_bytes`
/// (a `.glb` or a `.gltf` file's bytes): target skeleton from the first skin; bone maps as `mocap
/// retarget` chooses them ([`BoneMap::for_skeleton`]: presets, else the automatic map), the
/// character's being `target_map` when given (the user's map, or the file beside the character,
/// see [`bonemap::target_map_for`]); all frames retargeted. Errors are messages for the user.
pub fn build_retarget(
    gltf_bytes: &[u8],
    source: &Skeleton,
    motion: &Motion,
    target_map: Option<&BoneMap>,
) -> Result<CharacterRetarget, String> {
    let target = skeleton_from_gltf(gltf_bytes).map_err(|e| e.to_string())?;
    let presets = BoneMap::presets();
    let (source_map, _) = BoneMap::for_skeleton(source, &presets)
        .map_err(|e| format!("no bone map fits the take's skeleton: {e}"))?;
    let target_map = match target_map {
        Some(m) => m.clone(),
        None => {
            BoneMap::for_skeleton(&target.skeleton, &presets)
                .map_err(|e| format!("no bone map fits the character's skeleton: {e}"))?
                .0
        }
    };
    let motion = retarget(source, motion, &source_map, &target.skeleton, &target_map)
        .map_err(|e| e.to_string())?;
    Ok(CharacterRetarget {
        target,
        motion,
        source_map: source_map.name,
        target_map: target_map.name,
    })
}

/// Writes frame `frame` (clamped to the motion) of `retarget` into the joint entities' local
/// transforms: every joint's rotation, and the root joint's translation when it is a root of the
/// skin's skeleton (glTF node units, i.e. below any scaled parent node). Scales are kept.
pub fn apply_frame(
    retarget: &CharacterRetarget,
    joints: &[Entity],
    frame: usize,
    transforms: &mut Query<&mut Transform>,
) {
    let m = &retarget.motion;
    if m.frame_count == 0 {
        return;
    }
    let f = frame.min(m.frame_count - 1);
    let t = &retarget.target;
    for (j, &e) in joints.iter().enumerate() {
        let Ok(mut tr) = transforms.get_mut(e) else {
            continue;
        };
        tr.rotation = to_quat(t.node_rotation(j, m.local_rotation(f, j)));
        if Some(j) == m.root_joint
            && t.skeleton
                .joints
                .get(j)
                .is_some_and(|jt| jt.parent.is_none())
            && let Some(&root_t) = m.root_translations.get(f)
        {
            tr.translation = to_vec3(t.node_translation(j, root_t));
        }
    }
}

fn to_quat(q: mocap_data::DQuat) -> Quat {
    Quat::from_xyzw(q.x as f32, q.y as f32, q.z as f32, q.w as f32).normalize()
}

fn to_vec3(v: mocap_data::DVec3) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

/// Spawns the default scene of a glTF/GLB file (`bytes`) as plain entities below `root`: `Name`
/// and `Transform` (each node's translation, rotation and scale), parented as in the file, as
/// Bevy's glTF loader does but without meshes, materials or the asset server, so headless runs
/// (tests, `--bench`) can drive characters without a GPU. Returns `(node name, entity)` pairs.
pub fn spawn_gltf_nodes(
    world: &mut World,
    bytes: &[u8],
    root: Entity,
) -> Result<Vec<(String, Entity)>, String> {
    let doc = bevy::gltf::gltf::Gltf::from_slice(bytes).map_err(|e| e.to_string())?;
    let scene = doc
        .default_scene()
        .or_else(|| doc.scenes().next())
        .ok_or("the file has no scene")?;
    let mut out = Vec::new();
    let mut stack: Vec<_> = scene.nodes().map(|n| (n, root)).collect();
    while let Some((node, parent)) = stack.pop() {
        let (t, r, s) = node.transform().decomposed();
        let name = node.name().unwrap_or("").to_string();
        let e = world
            .spawn((
                Name::new(name.clone()),
                Transform {
                    translation: Vec3::from_array(t),
                    rotation: Quat::from_array(r),
                    scale: Vec3::from_array(s),
                },
                ChildOf(parent),
            ))
            .id();
        out.push((name, e));
        stack.extend(node.children().map(|c| (c, e)));
    }
    Ok(out)
}

/// Retargets the take onto each new character (once per character entity; the viewport respawns
/// characters when the take changes).
fn build_retargets(
    mut commands: Commands,
    session: Res<Session>,
    chars: Query<(Entity, &CharacterModel), (Without<CharacterDrive>, Without<CharacterUndriven>)>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
    maps: Option<Res<crate::model::bonemap::CharacterBoneMaps>>,
) {
    let now = time.elapsed_secs_f64();
    for (e, c) in &chars {
        let Some((sk, motion)) = session.take.as_ref().and_then(|t| t.actor(c.actor)) else {
            let reason = "no skeleton motion in the take (open a BVH or ASF+AMC) to drive it";
            log.push(
                LogLevel::Info,
                format!("Character {}: {reason}", c.path.display()),
                now,
            );
            commands.entity(e).insert(CharacterUndriven {
                reason: reason.into(),
            });
            continue;
        };
        let built = std::fs::read(&c.path)
            .map_err(|err| format!("cannot read the file: {err}"))
            .and_then(|bytes| {
                let map = bonemap::target_map_for(maps.as_deref(), &c.path);
                build_retarget(&bytes, sk, motion, map.as_ref())
            });
        match built {
            Ok(r) => {
                log.push(
                    LogLevel::Info,
                    format!(
                        "Character {}: {} joints, {} bones retargeted ({} → {} map), {} frames",
                        c.path.display(),
                        r.target.skeleton.joints.len(),
                        r.motion.bones.len(),
                        r.source_map,
                        r.target_map,
                        r.motion.frame_count
                    ),
                    now,
                );
                commands.entity(e).insert(CharacterDrive {
                    retarget: r,
                    joints: None,
                    rate: motion.rate,
                });
            }
            Err(reason) => {
                log.push(
                    LogLevel::Error,
                    format!("Cannot drive character {}: {reason}", c.path.display()),
                    now,
                );
                commands.entity(e).insert(CharacterUndriven { reason });
            }
        }
    }
}

/// Finds each target joint's entity by name below the character once its scene has spawned, and
/// turns off Bevy's animation player there.
fn bind_joints(
    mut commands: Commands,
    mut chars: Query<(Entity, &CharacterModel, &mut CharacterDrive)>,
    children: Query<&Children>,
    names: Query<&Name>,
    players: Query<(), Or<(With<AnimationPlayer>, With<AnimatedBy>)>>,
    meshes: Query<(), With<Mesh3d>>,
    playback: Res<Playback>,
    mut bounds: Option<ResMut<SceneBounds>>,
    mut camera: Option<ResMut<Messages<CameraCommand>>>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    for (root, c, mut drive) in &mut chars {
        if drive.joints.is_some() {
            continue;
        }
        let below: Vec<Entity> = children.iter_descendants(root).collect();
        if below.is_empty() {
            // The scene has not spawned yet.
            continue;
        }
        let mut by_name = std::collections::HashMap::new();
        for &e in &below {
            if let Ok(n) = names.get(e) {
                by_name.entry(n.as_str().to_string()).or_insert(e);
            }
        }
        let sk = &drive.retarget.target.skeleton;
        let mut found = Vec::with_capacity(sk.joints.len());
        let mut missing = Vec::new();
        for j in &sk.joints {
            match by_name.get(&j.name) {
                Some(&e) => found.push(e),
                None => missing.push(j.name.clone()),
            }
        }
        if !missing.is_empty() {
            let reason = format!(
                "{} joints not found by name in the spawned scene (e.g. {:?})",
                missing.len(),
                missing[0]
            );
            log.push(
                LogLevel::Error,
                format!("Cannot drive character {}: {reason}", c.path.display()),
                time.elapsed_secs_f64(),
            );
            commands
                .entity(root)
                .remove::<CharacterDrive>()
                .insert(CharacterUndriven { reason });
            continue;
        }
        for e in std::iter::once(root).chain(below.iter().copied()) {
            if players.contains(e) {
                commands
                    .entity(e)
                    .remove::<AnimationPlayer>()
                    .remove::<AnimatedBy>();
            }
            // Retargeted poses leave the bind-pose bounds: never cull the skinned meshes.
            if meshes.contains(e) {
                commands.entity(e).insert(NoFrustumCulling);
            }
        }
        // Head and eye joints turn with the take's face (actor 0 holds it), on top of the pose.
        if c.actor == 0
            && let Some(h) = crate::viewport::mannequin::head_frame(sk)
        {
            for (i, j) in sk.joints.iter().enumerate() {
                if let (Some(part), Some(axes), Some(&e)) = (
                    crate::face::FacePart::from_joint_name(&j.name),
                    crate::viewport::mannequin::face_joint_axes(sk, &h, i),
                    found.get(i),
                ) {
                    commands
                        .entity(e)
                        .insert(crate::face::FaceJoint::new(0, part, axes));
                }
            }
        }
        if let (Some(b), Some(c)) = (bounds.as_deref_mut(), camera.as_deref_mut()) {
            frame_character(&drive.retarget, playback.frame(), b, c);
        }
        drive.joints = Some(found);
    }
}

/// World-space (Bevy: metres, Y-up) joint positions of the character at `frame` (clamped), by
/// forward kinematics of the retargeted local rotations on the glTF skeleton; the scene root is
/// assumed at identity, as the viewport spawns it.
pub fn joint_positions(retarget: &CharacterRetarget, frame: usize) -> Vec<Vec3> {
    let m = &retarget.motion;
    let sk = &retarget.target.skeleton;
    if m.frame_count == 0 {
        return Vec::new();
    }
    let f = frame.min(m.frame_count - 1);
    let mut w = vec![mocap_data::DQuat::IDENTITY; sk.joints.len()];
    let mut p = vec![mocap_data::DVec3::ZERO; sk.joints.len()];
    for (j, joint) in sk.joints.iter().enumerate() {
        let l = m.local_rotation(f, j);
        match joint.parent {
            Some(pa) => {
                w[j] = w[pa] * l;
                p[j] = p[pa] + w[pa] * joint.offset;
            }
            None => {
                w[j] = l;
                p[j] = if Some(j) == m.root_joint {
                    m.root_translations.get(f).copied().unwrap_or(joint.offset)
                } else {
                    joint.offset
                };
            }
        }
    }
    p.into_iter().map(to_vec3).collect()
}

/// Frames the camera on a newly bound character at the current frame (the camera then tracks it,
/// see [`drive_characters`]): a character's own node scale can make it far smaller (Soldier.glb:
/// 0.22 m tall) than the take's skeleton, which the viewport framed.
fn frame_character(
    retarget: &CharacterRetarget,
    frame: usize,
    bounds: &mut SceneBounds,
    camera: &mut Messages<CameraCommand>,
) {
    let pts = joint_positions(retarget, frame);
    let Some(first) = pts.first().copied() else {
        return;
    };
    let (lo, hi) = pts
        .iter()
        .fold((first, first), |(lo, hi), p| (lo.min(*p), hi.max(*p)));
    if !lo.is_finite() || !hi.is_finite() {
        return;
    }
    // Joints are inside the skin, and the limbs swing: pad by a quarter of the height.
    let pad = Vec3::splat(0.25 * (hi.y - lo.y).max(1e-3));
    bounds.take = Some((lo - pad, hi + pad));
    debug!("framing the character: {lo} .. {hi} m");
    camera.write(CameraCommand::FrameTake);
}

/// Poses every bound character at the playback frame. The camera tracks the first one: its focus
/// moves with the character's hips (world metres), so a small character walking out of its
/// framing stays in view; the user's orbit, pan and dolly still apply on top.
fn drive_characters(
    playback: Res<Playback>,
    session: Res<Session>,
    chars: Query<&CharacterDrive>,
    mut transforms: Query<&mut Transform>,
    mut cams: Query<&mut OrbitCamera>,
    mut tracked: Local<Option<Vec3>>,
) {
    let mut hips = None;
    for drive in &chars {
        let Some(joints) = &drive.joints else {
            continue;
        };
        let m = &drive.retarget.motion;
        let f = match session.take.as_ref() {
            Some(t) => crate::model::session::motion_frame(
                t.rate,
                playback.frame(),
                drive.rate,
                m.frame_count,
            ),
            None => playback.frame(),
        };
        apply_frame(&drive.retarget, joints, f, &mut transforms);
        if hips.is_none() && m.frame_count > 0 {
            hips = m
                .hips_world
                .get(f.min(m.frame_count - 1))
                .copied()
                .map(to_vec3);
        }
    }
    if let (Some(now), Some(before)) = (hips, *tracked)
        && now != before
        && let Ok(mut cam) = cams.single_mut()
    {
        cam.focus += now - before;
    }
    *tracked = hips;
}

fn update_status(chars: Query<&CharacterDrive>, mut status: ResMut<CharacterStatus>) {
    let driven = chars.iter().filter(|d| d.joints.is_some()).count();
    status.set_if_neq(CharacterStatus { driven });
}
