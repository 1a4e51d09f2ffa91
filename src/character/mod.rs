//! glTF / GLB characters driven by the take's motion, through `mocap_solver::retarget`.
//!
//! When the session has both a character file (spawned by the viewport through Bevy's glTF loader,
//! tagged [`CharacterModel`]) and a skeleton motion (BVH, ASF+AMC or the demo), this plugin:
//!
//! 1. reads the file's bytes once and prepares the retarget ([`build_retarget`]) on a worker
//!    thread, one for all characters in turn (not Bevy's async compute pool, which the
//!    renderer's pipeline compiles can keep busy for seconds, and not a thread each, which would
//!    starve the main thread on small machines; the viewport keeps drawing;
//!    [`CharacterLoading`] marks the character meanwhile): [`skeleton_from_gltf`] for the target skeleton,
//!    [`BoneMap::for_skeleton`] for both bone
//!    maps (each side's own map from [`bonemap`] first: the user's, or the file beside the
//!    character or the motion),
//!    and a [`Retargeter`] (the
//!    frame-independent part of the solve, well under a millisecond);
//! 2. binds the character's joint entities by [`Name`] (glTF node names) once Bevy's scene has
//!    spawned, which happens some frames after the asset loads, and removes Bevy's own
//!    [`AnimationPlayer`] / [`AnimatedBy`] there so the file's clips never fight the take;
//! 3. every frame solves the playback frame of the take's motion on demand
//!    ([`Retargeter::frame`], tens of microseconds; no whole-motion pass, so a 1-hour take drives
//!    a character from the first frame after its file is read) and sets the joints' local
//!    `Transform` rotations (and the root joint's translation) from it ([`apply_pose`]).
//!
//! Whole-motion results (exports) come from `mocap_solver::retarget::retarget`, which runs the
//! same [`Retargeter`] over every frame.
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
use mocap_solver::retarget::{BoneMap, GltfTarget, RetargetPose, Retargeter, skeleton_from_gltf};

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
                    finish_retargets,
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

/// A character whose file is being read and retarget prepared on a worker thread.
#[derive(Component)]
pub struct CharacterLoading {
    /// The loader thread's answer: the retarget, or a message for the user.
    task: std::sync::Mutex<std::sync::mpsc::Receiver<Result<CharacterRetarget, String>>>,
    /// When the character appeared (app clock, seconds), for the log.
    since: f64,
}

/// The take's motion retargeted onto one character.
#[derive(Debug, Clone)]
pub struct CharacterRetarget {
    /// The character's skeleton (first skin), Y-up metres, and how to write its glTF nodes.
    pub target: GltfTarget,
    /// The prepared retarget of the take's skeleton onto `target.skeleton`: solves any frame of
    /// the take's motion on demand ([`Self::pose`]).
    pub retargeter: Retargeter,
    /// Name of the bone map used for the source skeleton.
    pub source_map: String,
    /// Name of the bone map used for the character.
    pub target_map: String,
}

impl CharacterRetarget {
    /// The retargeted pose at frame `frame` (clamped to the motion) of `motion`, the take's
    /// motion of the source skeleton; `None` for an empty motion or one that no longer fits the
    /// skeleton the retarget was prepared for.
    pub fn pose(&self, motion: &Motion, frame: usize) -> Option<RetargetPose> {
        let last = motion.frame_count().checked_sub(1)?;
        self.retargeter.frame(motion, frame.min(last)).ok()
    }
}

/// A character driven by the take: its retarget and, once the scene has spawned, its joint
/// entities (in `retarget.target.skeleton` joint order).
#[derive(Component, Debug, Clone)]
pub struct CharacterDrive {
    /// The retarget prepared when the character and the motion were both loaded.
    pub retarget: CharacterRetarget,
    /// Joint entities, once bound.
    pub joints: Option<Vec<Entity>>,
    /// Frame rate of the source motion (an actor may differ from the take's rate).
    pub rate: mocap_data::FrameRate,
}

/// Prepares the retarget of motions of `source` onto the skinned character in `gltf_bytes`
/// (a `.glb` or a `.gltf` file's bytes): target skeleton from the first skin; bone maps as `mocap
/// retarget` chooses them ([`BoneMap::for_skeleton`]: presets, else the automatic map), the
/// character's being `target_map` when given (the user's map, or the file beside the character,
/// see [`bonemap::target_map_for`]); and the [`Retargeter`] (no frame is solved here; see
/// [`CharacterRetarget::pose`]). Errors are messages for the user.
pub fn build_retarget(
    gltf_bytes: &[u8],
    source: &Skeleton,
    target_map: Option<&BoneMap>,
) -> Result<CharacterRetarget, String> {
    build_retarget_with(gltf_bytes, source, None, target_map)
}

/// [`build_retarget`] with the take's skeleton's own map too when given (`source_map`: the
/// user's, or the file beside the motion; see [`bonemap::source_map_for`]).
pub fn build_retarget_with(
    gltf_bytes: &[u8],
    source: &Skeleton,
    source_map: Option<&BoneMap>,
    target_map: Option<&BoneMap>,
) -> Result<CharacterRetarget, String> {
    let target = skeleton_from_gltf(gltf_bytes).map_err(|e| e.to_string())?;
    let presets = BoneMap::presets();
    let source_map = match source_map {
        Some(m) => m.clone(),
        None => {
            BoneMap::for_skeleton(source, &presets)
                .map_err(|e| format!("no bone map fits the take's skeleton: {e}"))?
                .0
        }
    };
    let target_map = match target_map {
        Some(m) => m.clone(),
        None => {
            BoneMap::for_skeleton(&target.skeleton, &presets)
                .map_err(|e| format!("no bone map fits the character's skeleton: {e}"))?
                .0
        }
    };
    let retargeter = Retargeter::new(source, &source_map, &target.skeleton, &target_map)
        .map_err(|e| e.to_string())?;
    Ok(CharacterRetarget {
        target,
        retargeter,
        source_map: source_map.name,
        target_map: target_map.name,
    })
}

/// Writes `pose` (of `retarget`'s target skeleton) into the joint entities' local transforms:
/// every joint's rotation, and the root joint's translation when it is a root of the skin's
/// skeleton (glTF node units, i.e. below any scaled parent node). Scales are kept.
pub fn apply_pose(
    retarget: &CharacterRetarget,
    joints: &[Entity],
    pose: &RetargetPose,
    transforms: &mut Query<&mut Transform>,
) {
    let t = &retarget.target;
    let root = retarget.retargeter.root_joint();
    for ((j, &e), &local) in joints.iter().enumerate().zip(&pose.local_rotations) {
        let Ok(mut tr) = transforms.get_mut(e) else {
            continue;
        };
        tr.rotation = to_quat(t.node_rotation(j, local));
        if Some(j) == root
            && t.skeleton
                .joints
                .get(j)
                .is_some_and(|jt| jt.parent.is_none())
        {
            tr.translation = to_vec3(t.node_translation(j, pose.root_translation));
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

/// Work for the character loader thread.
type LoaderJob = Box<dyn FnOnce() + Send>;

/// Queues `job` on the character loader thread (started on first use, one for the process).
fn start_loading(job: LoaderJob) -> Result<(), String> {
    static LOADER: std::sync::OnceLock<std::sync::Mutex<std::sync::mpsc::Sender<LoaderJob>>> =
        std::sync::OnceLock::new();
    let loader = LOADER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<LoaderJob>();
        let spawned = std::thread::Builder::new()
            .name("character loader".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    job();
                }
            });
        if let Err(err) = spawned {
            error!("cannot start the character loader thread: {err}");
        }
        std::sync::Mutex::new(tx)
    });
    let tx = loader
        .lock()
        .map_err(|_| "the character loader failed; restart the app".to_string())?;
    tx.send(job)
        .map_err(|_| "the character loader thread is not running; restart the app".to_string())
}

/// Starts preparing the retarget of the take onto each new character (once per character
/// entity; the viewport respawns characters when the take changes): the file is read and parsed
/// on a worker thread ([`CharacterLoading`]), so the viewport keeps drawing.
fn build_retargets(
    mut commands: Commands,
    session: Res<Session>,
    chars: Query<
        (Entity, &CharacterModel),
        (
            Without<CharacterDrive>,
            Without<CharacterUndriven>,
            Without<CharacterLoading>,
        ),
    >,
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
        if let Err(err) = motion.check(sk) {
            let reason = format!("the take's motion does not fit its skeleton: {err}");
            log.push(
                LogLevel::Error,
                format!("Cannot drive character {}: {reason}", c.path.display()),
                now,
            );
            commands.entity(e).insert(CharacterUndriven { reason });
            continue;
        }
        let (path, sk) = (c.path.clone(), sk.clone());
        // The user's maps, or the ones saved beside the character and the motion (Bone Map tab).
        let map = bonemap::target_map_for(maps.as_deref(), &c.path);
        let source_map = session
            .take
            .as_ref()
            .and_then(|t| t.actor_source(c.actor))
            .and_then(|m| bonemap::source_map_for(maps.as_deref(), m));
        let work = move || {
            std::fs::read(&path)
                .map_err(|err| format!("cannot read the file: {err}"))
                .and_then(|bytes| {
                    build_retarget_with(&bytes, &sk, source_map.as_ref(), map.as_ref())
                })
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: LoaderJob = Box::new(move || {
            // The character may be gone (respawned) by then: nobody to tell.
            let _ = tx.send(work());
        });
        match start_loading(job) {
            Ok(()) => {
                commands.entity(e).insert(CharacterLoading {
                    task: std::sync::Mutex::new(rx),
                    since: now,
                });
            }
            Err(err) => {
                let reason = err;
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

/// Collects finished retarget preparations: the character becomes driven (its joints are bound
/// by [`bind_joints`] in the same frame when its scene has spawned) or undriven with the reason.
fn finish_retargets(
    mut commands: Commands,
    session: Res<Session>,
    mut chars: Query<(Entity, &CharacterModel, &mut CharacterLoading)>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for (e, c, mut loading) in &mut chars {
        let built = match loading.task.get_mut().map(|rx| rx.try_recv()) {
            Ok(Ok(built)) => built,
            Ok(Err(std::sync::mpsc::TryRecvError::Empty)) => continue,
            _ => Err("the thread reading the file failed".to_string()),
        };
        let since = loading.since;
        commands.entity(e).remove::<CharacterLoading>();
        let motion = session.take.as_ref().and_then(|t| t.actor(c.actor));
        match (built, motion) {
            (Ok(r), Some((_, motion))) => {
                log.push(
                    LogLevel::Info,
                    format!(
                        "Character {}: {} joints, {} bones retargeted ({} → {} map), {} frames solved on demand; ready in {:.0} ms",
                        c.path.display(),
                        r.target.skeleton.joints.len(),
                        r.retargeter.bones().len(),
                        r.source_map,
                        r.target_map,
                        motion.frame_count(),
                        (now - since).max(0.0) * 1e3
                    ),
                    now,
                );
                commands.entity(e).insert(CharacterDrive {
                    retarget: r,
                    joints: None,
                    rate: motion.rate,
                });
            }
            (Ok(_), None) => {
                // The take lost its motion while the file was read: try again with what is there.
                continue;
            }
            (Err(reason), _) => {
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
    session: Res<Session>,
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
        if let (Some(b), Some(cam)) = (bounds.as_deref_mut(), camera.as_deref_mut())
            && let Some((m, f)) = source_at(&session, &playback, c.actor, &drive)
            && let Some(pose) = drive.retarget.pose(m, f)
        {
            frame_character(&drive.retarget, &pose, b, cam);
        }
        drive.joints = Some(found);
    }
}

/// The take's motion a character follows (its actor's) and the frame of it at the playhead
/// (the actor's rate may differ from the take's); `None` without a take or that actor.
fn source_at<'a>(
    session: &'a Session,
    playback: &Playback,
    actor: usize,
    drive: &CharacterDrive,
) -> Option<(&'a Motion, usize)> {
    let take = session.take.as_ref()?;
    let (_, m) = take.actor(actor)?;
    let f = crate::model::session::motion_frame(
        take.rate,
        playback.frame(),
        drive.rate,
        m.frame_count(),
    );
    Some((m, f))
}

/// World-space (Bevy: metres, Y-up) joint positions of the character in `pose`, by forward
/// kinematics of the retargeted local rotations on the glTF skeleton; the scene root is assumed
/// at identity, as the viewport spawns it.
pub fn joint_positions(retarget: &CharacterRetarget, pose: &RetargetPose) -> Vec<Vec3> {
    let sk = &retarget.target.skeleton;
    let root = retarget.retargeter.root_joint();
    let n = sk.joints.len().min(pose.local_rotations.len());
    let mut w = vec![mocap_data::DQuat::IDENTITY; n];
    let mut p = vec![mocap_data::DVec3::ZERO; n];
    for (j, joint) in sk.joints.iter().enumerate().take(n) {
        let l = pose.local_rotations[j];
        match joint.parent {
            Some(pa) => {
                w[j] = w[pa] * l;
                p[j] = p[pa] + w[pa] * joint.offset;
            }
            None => {
                w[j] = l;
                p[j] = if Some(j) == root {
                    pose.root_translation
                } else {
                    joint.offset
                };
            }
        }
    }
    p.into_iter().map(to_vec3).collect()
}

/// Frames the camera on a newly bound character in its current `pose` (the camera then tracks
/// it, see [`drive_characters`]): a character's own node scale can make it far smaller
/// (Soldier.glb: 0.22 m tall) than the take's skeleton, which the viewport framed.
fn frame_character(
    retarget: &CharacterRetarget,
    pose: &RetargetPose,
    bounds: &mut SceneBounds,
    camera: &mut Messages<CameraCommand>,
) {
    let pts = joint_positions(retarget, pose);
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

/// Poses every bound character at the playback frame, solving that frame on demand. The camera
/// tracks the first one: its focus moves with the character's hips (world metres), so a small
/// character walking out of its framing stays in view; the user's orbit, pan and dolly still
/// apply on top.
fn drive_characters(
    playback: Res<Playback>,
    session: Res<Session>,
    chars: Query<(&CharacterModel, &CharacterDrive)>,
    mut transforms: Query<&mut Transform>,
    mut cams: Query<&mut OrbitCamera>,
    mut tracked: Local<Option<Vec3>>,
) {
    let mut hips = None;
    for (c, drive) in &chars {
        let Some(joints) = &drive.joints else {
            continue;
        };
        let Some(pose) = source_at(&session, &playback, c.actor, drive)
            .and_then(|(m, f)| drive.retarget.pose(m, f))
        else {
            continue;
        };
        apply_pose(&drive.retarget, joints, &pose, &mut transforms);
        if hips.is_none() {
            hips = Some(to_vec3(pose.hips_world));
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

fn update_status(
    chars: Query<&CharacterDrive>,
    loading: Query<(), With<CharacterLoading>>,
    mut status: ResMut<CharacterStatus>,
) {
    let driven = chars.iter().filter(|d| d.joints.is_some()).count();
    status.set_if_neq(CharacterStatus {
        driven,
        loading: loading.iter().count(),
    });
}
