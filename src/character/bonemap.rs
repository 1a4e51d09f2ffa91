//! Characters' bone maps in the studio (see [`crate::model::bonemap`]): the map each character is
//! built with and the map of the take's skeleton that drives it (the retarget's source, keyed by
//! its motion file: [`source_map_for`]), the user's reassignments of either (rebuilding the
//! characters' retargets), saving a map beside the character or the motion
//! (`CHARACTER.bonemap.json`, `MOTION.bonemap.json`, `mocap retarget --map`'s format), picking a
//! character joint in the viewport for a bone, and the mapped joints highlighted there.
//!
//! The map a character is built with ([`target_map_for`]): the one in [`CharacterBoneMaps`] once
//! the studio holds one for its file, else the file saved beside it, else what
//! [`BoneMap::for_skeleton`] chooses over the presets (the automatic map when none fits), the
//! same choice as `mocap retarget` / `mocap bonemap` with `--map CHARACTER.bonemap.json`.

use std::collections::BTreeMap;
use std::path::Path;

use bevy::prelude::*;
use mocap_solver::retarget::{BoneMap, HumanBone, skeleton_from_gltf};

use super::{CharacterDrive, CharacterSet, CharacterUndriven};
use crate::model::bonemap::{
    BoneMapCommand, BoneMapPanel, CharacterBoneMaps, CharacterMap, read_sidecar, sidecar_path,
};
use crate::model::edit::EditCommand;
use crate::model::log::{AppLog, LogLevel};
use crate::model::scene::CharacterModel;
use crate::model::session::Session;
use crate::viewport::camera::{SceneCamera, ViewportInput};

/// Bone maps: fills [`CharacterBoneMaps`], rebuilds edited characters, applies
/// [`BoneMapCommand`]s, viewport picking and highlights (the latter with a renderer only).
pub struct BoneMapPlugin;

impl Plugin for BoneMapPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CharacterBoneMaps>()
            .init_resource::<BoneMapPanel>()
            .add_message::<BoneMapCommand>()
            .add_message::<EditCommand>()
            .add_systems(
                Update,
                (apply_commands, pick_joint, track_maps)
                    .chain()
                    .after(super::update_status)
                    .in_set(CharacterSet),
            );
        if app.is_plugin_added::<bevy::gizmos::GizmoPlugin>() {
            // After transform propagation: the joints where this frame's pose put them.
            app.add_systems(
                PostUpdate,
                highlight_joints.after(bevy::transform::TransformSystems::Propagate),
            );
        }
    }
}

/// The revisions of the maps a character entity was built with: its own [`CharacterMap`]'s and
/// its motion's (the take skeleton's, 0 when it has none).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltWithMap(pub u64, pub u64);

/// The map the take's skeleton read from `motion` is retargeted with, when it has its own: the
/// studio's (the user's edits) or the file saved beside the motion (`MOTION.bonemap.json`).
/// `None`: choose among the presets (or map automatically), as `mocap retarget` does.
pub fn source_map_for(maps: Option<&CharacterBoneMaps>, motion: &Path) -> Option<BoneMap> {
    if let Some(m) = maps.and_then(|m| m.motions.get(motion)) {
        return Some(m.map.clone());
    }
    read_sidecar(motion).ok().flatten()
}

/// The map `character` is to be built with, when it has its own: the studio's (the user's
/// edits) or the file saved beside it. `None`: choose among the presets (or map automatically).
pub fn target_map_for(maps: Option<&CharacterBoneMaps>, character: &Path) -> Option<BoneMap> {
    if let Some(m) = maps.and_then(|m| m.maps.get(character)) {
        return Some(m.map.clone());
    }
    read_sidecar(character).ok().flatten()
}

/// The map a character with skeleton `sk` starts with, as [`super::build_retarget`] chooses it
/// without an entry in [`CharacterBoneMaps`]: the file beside it, else
/// [`BoneMap::for_skeleton`] over the presets; with neither, an empty map the user fills in.
/// A file that does not parse is reported in the second value.
pub fn initial_map(character: &Path, sk: &mocap_data::Skeleton) -> (CharacterMap, Option<String>) {
    let joints: Vec<String> = sk.joints.iter().map(|j| j.name.clone()).collect();
    let (file, problem) = match read_sidecar(character) {
        Ok(m) => (m, None),
        Err(e) => (None, Some(e)),
    };
    if let Some(map) = file {
        let confidence = map.resolve(sk).keys().map(|b| (*b, 1.0)).collect();
        return (CharacterMap::new(map, confidence, joints, true), problem);
    }
    match BoneMap::for_skeleton(sk, &BoneMap::presets()) {
        Ok((map, confidence)) => (CharacterMap::new(map, confidence, joints, false), problem),
        Err(e) => {
            let stem = character
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let map = BoneMap {
                name: stem,
                description: String::new(),
                bones: BTreeMap::new(),
            };
            let mut m = CharacterMap::new(map, BTreeMap::new(), joints, false);
            m.sources.clear();
            (m, Some(problem.unwrap_or_else(|| e.to_string())))
        }
    }
}

/// A map's bones resolved on `sk`: bone → (joint name, confidence).
fn resolved_bones(
    sk: &mocap_data::Skeleton,
    map: &BoneMap,
    conf: &BTreeMap<HumanBone, f32>,
) -> BTreeMap<HumanBone, (String, f32)> {
    map.resolve(sk)
        .into_iter()
        .filter_map(|(b, j)| {
            Some((
                b,
                (
                    sk.joints.get(j)?.name.clone(),
                    conf.get(&b).copied().unwrap_or(1.0),
                ),
            ))
        })
        .collect()
}

/// The source skeleton's map, bone → (joint name, confidence), as the retarget uses it: the
/// motion's own map (made once per motion file in [`CharacterBoneMaps::motions`]: the file
/// beside it, else chosen automatically), or for a generated motion the automatic choice.
/// Returns the bones and the motion map's revision (0 without a motion file).
fn source_bones(
    maps: &mut CharacterBoneMaps,
    sk: &mocap_data::Skeleton,
    motion: Option<&Path>,
    log: &mut AppLog,
    now: f64,
) -> (BTreeMap<HumanBone, (String, f32)>, u64) {
    let Some(motion) = motion else {
        let Ok((map, conf)) = BoneMap::for_skeleton(sk, &BoneMap::presets()) else {
            return (BTreeMap::new(), 0);
        };
        return (resolved_bones(sk, &map, &conf), 0);
    };
    let m = maps.motions.entry(motion.to_path_buf()).or_insert_with(|| {
        let (m, problem) = initial_map(motion, sk);
        if let Some(p) = problem {
            log.push(
                LogLevel::Warning,
                format!(
                    "Bone map of the take's skeleton ({}): {p} (assign its bones in the Bone Map tab)",
                    motion.display()
                ),
                now,
            );
        }
        m
    });
    (resolved_bones(sk, &m.map, &m.confidence), m.revision)
}

/// The revision of the map of the motion that drives `actor` (0 when it has none).
fn motion_revision(maps: &CharacterBoneMaps, session: &Session, actor: usize) -> u64 {
    session
        .take
        .as_ref()
        .and_then(|t| t.actor_source(actor))
        .and_then(|p| maps.motions.get(p))
        .map_or(0, |m| m.revision)
}

/// Keeps [`CharacterBoneMaps`] in step with the characters: a built character gets its entry
/// (the map it was built with), its motion's entry, and [`BuiltWithMap`]; a character whose map
/// or motion map was edited since is sent back to be built again (its drive removed:
/// [`super::build_retargets`] runs next frame).
#[allow(clippy::type_complexity)]
fn track_maps(
    mut commands: Commands,
    mut maps: ResMut<CharacterBoneMaps>,
    session: Res<Session>,
    chars: Query<
        (
            Entity,
            &CharacterModel,
            Option<&CharacterDrive>,
            Option<&BuiltWithMap>,
        ),
        Or<(With<CharacterDrive>, With<CharacterUndriven>)>,
    >,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for (e, c, drive, built) in &chars {
        let revision = maps.maps.get(&c.path).map(|m| m.revision);
        let source_revision = motion_revision(&maps, &session, c.actor);
        match (built, revision) {
            (Some(b), Some(r)) if b.0 != r || b.1 != source_revision => {
                commands
                    .entity(e)
                    .remove::<(CharacterDrive, CharacterUndriven, BuiltWithMap)>();
            }
            (Some(b), None) if b.1 != source_revision => {
                commands
                    .entity(e)
                    .remove::<(CharacterDrive, CharacterUndriven, BuiltWithMap)>();
            }
            (Some(_), _) => {}
            (None, _) => {
                let actor = session.take.as_ref().and_then(|t| {
                    t.actor(c.actor)
                        .map(|(sk, _)| (sk, t.actor_source(c.actor)))
                });
                let (src, source_revision) = match actor {
                    Some((sk, motion)) => source_bones(&mut maps, sk, motion, &mut log, now),
                    None => (BTreeMap::new(), 0),
                };
                if let Some(m) = maps.maps.get_mut(&c.path) {
                    m.source_bones = src;
                    commands
                        .entity(e)
                        .insert(BuiltWithMap(m.revision, source_revision));
                    continue;
                }
                let sk = match drive {
                    Some(d) => Some(d.retarget.target.skeleton.clone()),
                    None => std::fs::read(&c.path)
                        .ok()
                        .and_then(|b| skeleton_from_gltf(&b).ok())
                        .map(|t| t.skeleton),
                };
                let Some(sk) = sk else {
                    // No skin to map: nothing the panel could show.
                    commands.entity(e).insert(BuiltWithMap(0, source_revision));
                    continue;
                };
                let (mut m, problem) = initial_map(&c.path, &sk);
                if let Some(p) = problem {
                    log.push(
                        LogLevel::Warning,
                        format!(
                            "Bone map of {}: {p} (assign its bones in the Bone Map tab)",
                            c.path.display()
                        ),
                        now,
                    );
                }
                m.source_bones = src;
                commands
                    .entity(e)
                    .insert(BuiltWithMap(m.revision, source_revision));
                maps.maps.insert(c.path.clone(), m);
            }
        }
    }
}

/// Writes `character`'s map beside it ([`sidecar_path`]); returns the file written.
pub fn save_map(
    maps: &mut CharacterBoneMaps,
    character: &Path,
) -> Result<std::path::PathBuf, String> {
    let m = maps
        .get_mut(character)
        .ok_or_else(|| format!("{} has no bone map (is it loaded?)", character.display()))?;
    let path = sidecar_path(character);
    let mut map = m.map.clone();
    if map.name.is_empty()
        || map.name == "auto"
        || BoneMap::presets().iter().any(|p| p.name == map.name)
    {
        map.name = character
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "character".into());
    }
    if map.description.is_empty() {
        map.description = format!(
            "Saved by Mocap Studio for {}",
            character
                .file_name()
                .map(|f| f.to_string_lossy())
                .unwrap_or_default()
        );
    }
    crate::model::util::write_atomically(&path, map.to_json().as_bytes()).map_err(|e| {
        format!(
            "cannot write {}: {e} (choose a writable folder for the character)",
            path.display()
        )
    })?;
    m.map = map;
    m.saved = true;
    Ok(path)
}

fn apply_commands(
    mut cmds: MessageReader<BoneMapCommand>,
    mut maps: ResMut<CharacterBoneMaps>,
    mut panel: ResMut<BoneMapPanel>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for c in cmds.read() {
        match c {
            BoneMapCommand::Select(p) => {
                panel.character = Some(p.clone());
                panel.picking = None;
            }
            BoneMapCommand::Pick(b) => {
                panel.picking = *b;
                if b.is_some() {
                    panel.highlight = *b;
                }
            }
            BoneMapCommand::Save(p) => match save_map(&mut maps, p) {
                Ok(path) => log.push(
                    LogLevel::Info,
                    format!("Saved the bone map to {}", path.display()),
                    now,
                ),
                Err(e) => log.push(
                    LogLevel::Error,
                    format!("Cannot save the bone map: {e}"),
                    now,
                ),
            },
        }
    }
}

/// The character the Bone Map panel shows: the chosen one, else the first with a map.
pub fn shown_character<'a>(
    maps: &'a CharacterBoneMaps,
    panel: &BoneMapPanel,
) -> Option<(&'a Path, &'a CharacterMap)> {
    panel
        .character
        .as_ref()
        .and_then(|p| {
            maps.maps
                .get_key_value(p)
                .or_else(|| maps.motions.get_key_value(p))
        })
        .or_else(|| maps.maps.iter().next())
        .or_else(|| maps.motions.iter().next())
        .map(|(p, m)| (p.as_path(), m))
}

/// Index of the joint whose projection (`project`: world → logical window pixels) is nearest to
/// `cursor` within `max_px`.
pub fn nearest_joint(
    joints: &[Vec3],
    cursor: Vec2,
    max_px: f32,
    project: impl Fn(Vec3) -> Option<Vec2>,
) -> Option<usize> {
    let ps: Vec<Option<Vec3>> = joints.iter().copied().map(Some).collect();
    crate::viewport::pick_nearest(&ps, cursor, max_px, project)
}

/// While the panel waits for a pick, a left click in the viewport gives the bone to the
/// shown character's joint nearest the cursor (an undoable [`EditCommand::SetBone`]).
#[allow(clippy::too_many_arguments)]
fn pick_joint(
    mut panel: ResMut<BoneMapPanel>,
    maps: Res<CharacterBoneMaps>,
    input: Option<Res<ViewportInput>>,
    buttons: Option<Res<ButtonInput<MouseButton>>>,
    windows: Query<&Window>,
    cams: Query<(&Camera, &GlobalTransform), With<SceneCamera>>,
    chars: Query<(&CharacterModel, &CharacterDrive)>,
    globals: Query<&GlobalTransform>,
    mut edits: MessageWriter<EditCommand>,
) {
    let Some(bone) = panel.picking else { return };
    let (Some(input), Some(buttons)) = (input, buttons) else {
        return;
    };
    if !input.hovered || !buttons.just_pressed(MouseButton::Left) {
        return;
    }
    let Some((path, map)) = shown_character(&maps, &panel) else {
        return;
    };
    if maps.is_motion(path) {
        // The take's skeleton is reassigned from the panel's lists.
        return;
    }
    let (Ok(window), Ok((camera, cam_t))) = (windows.single(), cams.single()) else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    let Some(joints) = chars
        .iter()
        .find(|(c, _)| c.path == path)
        .and_then(|(_, d)| d.joints.clone())
    else {
        return;
    };
    let pos: Vec<Vec3> = joints
        .iter()
        .map(|e| globals.get(*e).map_or(Vec3::NAN, |g| g.translation()))
        .collect();
    let project = |p: Vec3| camera.world_to_viewport(cam_t, p).ok();
    if let Some(j) = nearest_joint(&pos, cursor, 14.0, project)
        && let Some(name) = map.joints.get(j)
    {
        edits.write(EditCommand::SetBone {
            character: path.to_path_buf(),
            bone,
            joint: Some(name.clone()),
        });
        panel.picking = None;
        panel.highlight = Some(bone);
    }
}

/// Draws the shown character's mapped joints: a dot per mapped bone, coloured by confidence
/// (green ≥ 0.8, amber ≥ 0.5, red below), the highlighted or picking bone ringed in white, and
/// every joint faintly while a pick waits, so the user sees what can be clicked.
fn highlight_joints(
    panel: Res<BoneMapPanel>,
    maps: Res<CharacterBoneMaps>,
    chars: Query<(&CharacterModel, &CharacterDrive)>,
    globals: Query<&GlobalTransform>,
    mut gizmos: Gizmos,
) {
    let Some((path, map)) = shown_character(&maps, &panel) else {
        return;
    };
    let Some(joints) = chars
        .iter()
        .find(|(c, _)| c.path == path)
        .and_then(|(_, d)| d.joints.clone())
    else {
        return;
    };
    let pos: Vec<Option<Vec3>> = joints
        .iter()
        .map(|e| globals.get(*e).ok().map(|g| g.translation()))
        .collect();
    let (lo, hi) = pos.iter().flatten().fold(
        (Vec3::splat(f32::MAX), Vec3::splat(f32::MIN)),
        |(lo, hi), p| (lo.min(*p), hi.max(*p)),
    );
    if lo.x > hi.x {
        return;
    }
    // Dots sized by the character (Soldier.glb is 0.22 m tall, others 1.8 m).
    let r = ((hi - lo).max_element() * 0.012).max(0.001);
    if panel.picking.is_some() {
        for p in pos.iter().flatten() {
            gizmos.sphere(
                Isometry3d::from_translation(*p),
                r * 0.6,
                Color::srgba(1.0, 1.0, 1.0, 0.4),
            );
        }
    }
    let sk_index = |name: &str| map.joints.iter().position(|j| j == name);
    for (bone, joint) in &map.map.bones {
        let Some(p) = sk_index(joint).and_then(|j| pos.get(j).copied().flatten()) else {
            continue;
        };
        let c = map.confidence.get(bone).copied().unwrap_or(0.0);
        let colour = if c >= 0.8 {
            Color::srgb(0.3, 0.9, 0.4)
        } else if c >= 0.5 {
            Color::srgb(0.95, 0.75, 0.2)
        } else {
            Color::srgb(0.95, 0.3, 0.3)
        };
        gizmos.sphere(Isometry3d::from_translation(p), r, colour);
        if panel.highlight == Some(*bone) || panel.picking == Some(*bone) {
            gizmos.sphere(Isometry3d::from_translation(p), r * 2.5, Color::WHITE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_projected_joint_within_reach_is_picked() {
        // A camera looking down −Z: x, y map to pixels 100 per metre around (400, 300).
        let project = |p: Vec3| Some(Vec2::new(400.0 + p.x * 100.0, 300.0 - p.y * 100.0));
        let joints = [
            Vec3::new(0.0, 1.0, 0.0),
            Vec3::new(0.5, 1.0, 0.0),
            Vec3::new(NAN_SAFE, 0.0, 0.0),
        ];
        assert_eq!(
            nearest_joint(&joints, Vec2::new(446.0, 203.0), 14.0, project),
            Some(1)
        );
        assert_eq!(
            nearest_joint(&joints, Vec2::new(420.0, 250.0), 14.0, project),
            None
        );
    }
    const NAN_SAFE: f32 = -3.0;
}
