//! Headless tests of `CharacterPlugin` (`MinimalPlugins`, no window, no GPU): a glTF character's
//! node hierarchy as plain `Transform` entities, driven by a BVH take through
//! `mocap_solver::retarget`, must reproduce the source's world-space bone directions.
//!
//! Real-data tests read `MOCAP_TEST_DATA` (the shared data folder): unset → notice and return;
//! set and a file missing → fail.

mod common;
use common::{data_dir, data_file};

use std::path::Path;

use bevy::animation::AnimationPlayer;
use bevy::prelude::*;
use bevy::transform::TransformPlugin;
use mocap_data::fk;
use mocap_solver::retarget::up_axis_rotation;
use mocap_studio::character::{CharacterDrive, CharacterPlugin, CharacterUndriven};
use mocap_studio::core_plugins;
use mocap_studio::model::commands::PlaybackCommand;
use mocap_studio::model::log::AppLog;
use mocap_studio::model::log::LogLevel;
use mocap_studio::model::scene::{CharacterModel, CharacterStatus};
use mocap_studio::model::session::Session;
use mocap_studio::model::session::SessionCommand;
use mocap_studio::viewport::camera::OrbitCamera;

fn app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(TransformPlugin)
        .add_plugins(core_plugins())
        .add_plugins(CharacterPlugin);
    app
}

/// Updates until every entity in `roots` is either driven ([`CharacterDrive`]) or undriven: the
/// character's file is read and its retarget prepared on a worker thread.
fn settle(app: &mut App, roots: &[Entity]) {
    let t0 = std::time::Instant::now();
    loop {
        app.update();
        let done = roots.iter().all(|&e| {
            app.world().get::<CharacterDrive>(e).is_some()
                || app.world().get::<CharacterUndriven>(e).is_some()
        });
        if done {
            return;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "characters not prepared after 60 s: {:?}",
            app.world().resource::<AppLog>().entries
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn spawn_gltf_nodes(world: &mut World, path: &Path, root: Entity) -> Vec<(String, Entity)> {
    let bytes = std::fs::read(path).expect("read glTF");
    mocap_studio::character::spawn_gltf_nodes(world, &bytes, root).expect("glTF scene")
}

fn entity(nodes: &[(String, Entity)], name: &str) -> Entity {
    nodes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, e)| *e)
        .unwrap_or_else(|| panic!("no node {name}"))
}

fn world_pos(app: &App, e: Entity) -> Vec3 {
    app.world()
        .get::<GlobalTransform>(e)
        .expect("global transform")
        .translation()
}

fn angle_deg(a: Vec3, b: Vec3) -> f32 {
    a.normalize()
        .dot(b.normalize())
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
}

/// (Bandai source joint, child) ↔ (Mixamo target node, child): limb bones and the spine.
const BONES: [(&str, &str, &str, &str); 10] = [
    (
        "UpperLeg_L",
        "LowerLeg_L",
        "mixamorig:LeftUpLeg",
        "mixamorig:LeftLeg",
    ),
    (
        "LowerLeg_L",
        "Foot_L",
        "mixamorig:LeftLeg",
        "mixamorig:LeftFoot",
    ),
    (
        "UpperLeg_R",
        "LowerLeg_R",
        "mixamorig:RightUpLeg",
        "mixamorig:RightLeg",
    ),
    (
        "LowerLeg_R",
        "Foot_R",
        "mixamorig:RightLeg",
        "mixamorig:RightFoot",
    ),
    (
        "UpperArm_L",
        "LowerArm_L",
        "mixamorig:LeftArm",
        "mixamorig:LeftForeArm",
    ),
    (
        "LowerArm_L",
        "Hand_L",
        "mixamorig:LeftForeArm",
        "mixamorig:LeftHand",
    ),
    (
        "UpperArm_R",
        "LowerArm_R",
        "mixamorig:RightArm",
        "mixamorig:RightForeArm",
    ),
    (
        "LowerArm_R",
        "Hand_R",
        "mixamorig:RightForeArm",
        "mixamorig:RightHand",
    ),
    ("Neck", "Head", "mixamorig:Neck", "mixamorig:Head"),
    (
        "UpperLeg_L",
        "UpperLeg_R",
        "mixamorig:LeftUpLeg",
        "mixamorig:RightUpLeg",
    ),
];

/// Per bone of [`BONES`]: angle (degrees) between the source's world direction at `source_frame`
/// and the character entities' world direction now.
fn bone_angles(
    app: &App,
    nodes: &[(String, Entity)],
    source_frame: usize,
) -> Vec<(&'static str, f32)> {
    actor_bone_angles(app, nodes, 0, source_frame)
}

/// [`bone_angles`] against actor `actor` of the take.
fn actor_bone_angles(
    app: &App,
    nodes: &[(String, Entity)],
    actor: usize,
    source_frame: usize,
) -> Vec<(&'static str, f32)> {
    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    let (sk, motion) = take.actor(actor).expect("actor");
    let (sk, motion) = (sk.clone(), motion.clone());
    // Bandai BVH is Y-up (cm); glTF and Bevy world are Y-up (m): directions convert by the
    // up-axis rotation only (identity here, kept explicit).
    let u = up_axis_rotation(sk.up_axis, mocap_data::UpAxis::Y);
    let pose = fk::pose(&sk, motion.frame(source_frame));
    let src = |n: &str| pose[sk.joint_index(n).expect("source joint")].translation;
    BONES
        .iter()
        .map(|&(sa, sb, ta, tb)| {
            let ds = u * (src(sb) - src(sa));
            let ds = Vec3::new(ds.x as f32, ds.y as f32, ds.z as f32);
            let dt = world_pos(app, entity(nodes, tb)) - world_pos(app, entity(nodes, ta));
            (tb, angle_deg(ds, dt))
        })
        .collect()
}

#[test]
fn soldier_glb_follows_the_bandai_walk() {
    let Some(dir) = data_dir() else { return };
    let glb = data_file(&dir, "gltf/threejs_examples/Soldier.glb");
    let bvh = data_file(&dir, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let mut app = app();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![bvh]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    // The character root (as the viewport spawns it, identity transform) and, a frame later like
    // Bevy's scene spawner, its nodes; an animation player from the file must be removed.
    let root = app
        .world_mut()
        .spawn((
            CharacterModel {
                path: glb.clone(),
                actor: 0,
            },
            Transform::IDENTITY,
        ))
        .id();
    settle(&mut app, &[root]);
    assert!(
        app.world().get::<CharacterDrive>(root).is_some(),
        "retarget built: {:?}",
        app.world().resource::<AppLog>().entries
    );
    let nodes = spawn_gltf_nodes(app.world_mut(), &glb, root);
    app.world_mut()
        .entity_mut(root)
        .insert(AnimationPlayer::default());
    // A second, undriven copy stays in the file's rest pose (T-pose): the negative control.
    let rest_root = app.world_mut().spawn(Transform::IDENTITY).id();
    let rest_nodes = spawn_gltf_nodes(app.world_mut(), &glb, rest_root);
    app.update();
    let drive = app
        .world()
        .get::<CharacterDrive>(root)
        .expect("drive")
        .clone();
    assert!(drive.joints.is_some(), "joints bound by name");
    assert_eq!(drive.retarget.target_map, "mixamo");
    assert!(app.world().get::<AnimationPlayer>(root).is_none());
    assert_eq!(app.world().resource::<CharacterStatus>().driven, 1);
    // Node scales are kept (the `Character` node scales the cm rig to metres).
    let character = entity(&nodes, "Character");
    let s = app.world().get::<Transform>(character).expect("t").scale;
    assert!((s.x - 0.001_193_68).abs() < 1e-7, "{s}");

    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    let (_, motion) = take.actor(0).expect("actor");
    let frames = motion.frame_count();
    assert_eq!(frames, 195);
    let mut worst = 0.0f32;
    // The camera tracks the character: its focus moves with the hips.
    let cam = app.world_mut().spawn(OrbitCamera::default()).id();
    let mut last: Option<(Vec3, Vec3)> = None;
    for k in [0, 37, frames / 2, 150, frames - 1] {
        app.world_mut().write_message(PlaybackCommand::Seek(k));
        app.update();
        let focus = app.world().get::<OrbitCamera>(cam).expect("camera").focus;
        let hips_now = world_pos(&app, entity(&nodes, "mixamorig:Hips"));
        if let Some((f0, h0)) = last {
            let moved = (focus - f0) - (hips_now - h0);
            assert!(
                moved.length() < 1e-4,
                "frame {k}: focus off the hips by {moved}"
            );
            assert!(
                (hips_now - h0).length() > 0.01,
                "frame {k}: the hips did not move"
            );
        }
        last = Some((focus, hips_now));
        // Chain bones (single child) are matched exactly by the solver; hips → legs is lateral
        // and differs by the rest geometry (a few degrees).
        for (bone, a) in bone_angles(&app, &nodes, k) {
            let tol = if bone == "mixamorig:RightUpLeg" {
                15.0
            } else {
                2.0
            };
            assert!(a < tol, "frame {k}: {bone} off by {a:.2}°");
            worst = worst.max(a);
        }
        // Root motion: the hips entity lands where the solver puts them (metres, world).
        let hips = world_pos(&app, entity(&nodes, "mixamorig:Hips"));
        let want = drive.retarget.pose(motion, k).expect("pose").hips_world;
        let want = Vec3::new(want.x as f32, want.y as f32, want.z as f32);
        assert!(
            (hips - want).length() < 1e-3,
            "frame {k}: hips {hips} vs {want}"
        );
        // The test can fail: the rest pose (T-pose arms) and a frame half a stride away do not
        // match the source.
        let rest_worst = bone_angles(&app, &rest_nodes, k)
            .iter()
            .map(|b| b.1)
            .fold(0.0, f32::max);
        assert!(
            rest_worst > 30.0,
            "frame {k}: rest pose within {rest_worst}°"
        );
        let other = (k + 17) % frames;
        let off = bone_angles(&app, &nodes, other)
            .iter()
            .map(|b| b.1)
            .fold(0.0, f32::max);
        assert!(off > 10.0, "frame {k} vs {other}: within {off}°");
    }
    eprintln!("Soldier.glb driven by the Bandai walk: worst bone direction {worst:.3}°");
}

#[test]
fn unusable_characters_are_logged_not_fatal() {
    let dir = std::env::temp_dir().join(format!("mocap-studio-char-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let no_skin = dir.join("no_skin.gltf");
    std::fs::write(
        &no_skin,
        r#"{"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"name": "a"}]}"#,
    )
    .expect("write");
    let unmapped = dir.join("unmapped.gltf");
    std::fs::write(
        &unmapped,
        r#"{"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}],
           "nodes": [{"name": "bone_a", "children": [1]}, {"name": "bone_b", "translation": [0, 1, 0]}],
           "skins": [{"joints": [0, 1]}]}"#,
    )
    .expect("write");
    let mut app = app();
    app.world_mut().write_message(SessionCommand::LoadDemo);
    app.update();
    let a = app
        .world_mut()
        .spawn(CharacterModel {
            path: no_skin,
            actor: 0,
        })
        .id();
    let b = app
        .world_mut()
        .spawn(CharacterModel {
            path: unmapped,
            actor: 0,
        })
        .id();
    let c = app
        .world_mut()
        .spawn(CharacterModel {
            path: dir.join("missing.glb"),
            actor: 0,
        })
        .id();
    settle(&mut app, &[a, b, c]);
    for (e, what) in [(a, "no skin"), (b, "no bone map fits"), (c, "cannot read")] {
        let u = app
            .world()
            .get::<CharacterUndriven>(e)
            .unwrap_or_else(|| panic!("{what}: not marked undriven"));
        assert!(u.reason.contains(what), "{what}: {}", u.reason);
        assert!(app.world().get::<CharacterDrive>(e).is_none());
    }
    let errors = app
        .world()
        .resource::<AppLog>()
        .entries
        .iter()
        .filter(|e| e.level == LogLevel::Error && e.text.contains("Cannot drive character"))
        .count();
    assert_eq!(errors, 3);
    std::fs::remove_dir_all(&dir).expect("clean up");
}

#[test]
fn demo_motion_drives_a_character_whose_joints_are_missing_logs_it() {
    // The demo take with a real character file whose scene lacks the joint names.
    let Some(dir) = data_dir() else { return };
    let glb = data_file(&dir, "gltf/threejs_examples/Soldier.glb");
    let mut app = app();
    app.world_mut().write_message(SessionCommand::LoadDemo);
    app.update();
    let root = app
        .world_mut()
        .spawn((
            CharacterModel {
                path: glb,
                actor: 0,
            },
            Transform::IDENTITY,
        ))
        .id();
    settle(&mut app, &[root]);
    let drive = app
        .world()
        .get::<CharacterDrive>(root)
        .unwrap_or_else(|| panic!("{:?}", app.world().resource::<AppLog>().entries));
    assert!(drive.joints.is_none(), "nothing spawned yet: waits");
    app.world_mut()
        .spawn((Name::new("not a joint"), Transform::IDENTITY, ChildOf(root)));
    app.update();
    let u = app
        .world()
        .get::<CharacterUndriven>(root)
        .expect("marked undriven");
    assert!(u.reason.contains("not found"), "{}", u.reason);
    assert_eq!(app.world().resource::<CharacterStatus>().driven, 0);
}

#[test]
fn two_characters_play_two_actors_of_one_take() {
    let Some(dir) = data_dir() else { return };
    let glb = data_file(&dir, "gltf/threejs_examples/Soldier.glb");
    let walk = data_file(&dir, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let kick = data_file(&dir, "bvh/bandai_dataset-1_kick_normal_001.bvh");
    let mut app = app();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![walk, kick]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let mut roots = Vec::new();
    for actor in [0, 1] {
        let root = app
            .world_mut()
            .spawn((
                CharacterModel {
                    path: glb.clone(),
                    actor,
                },
                Transform::IDENTITY,
            ))
            .id();
        roots.push(root);
    }
    settle(&mut app, &roots);
    let nodes: Vec<_> = roots
        .iter()
        .map(|&r| spawn_gltf_nodes(app.world_mut(), &glb, r))
        .collect();
    app.update();
    assert_eq!(app.world().resource::<CharacterStatus>().driven, 2);
    let k = 60;
    app.world_mut().write_message(PlaybackCommand::Seek(k));
    app.update();
    for actor in [0, 1] {
        for (bone, a) in actor_bone_angles(&app, &nodes[actor], actor, k) {
            let tol = if bone == "mixamorig:RightUpLeg" {
                15.0
            } else {
                2.0
            };
            assert!(a < tol, "actor {actor}, frame {k}: {bone} off by {a:.2}°");
        }
    }
    // Each character follows its own actor, not the other one.
    let crossed = actor_bone_angles(&app, &nodes[1], 0, k);
    let worst = crossed.iter().map(|(_, a)| *a).fold(0.0f32, f32::max);
    assert!(
        worst > 10.0,
        "the kick character looks like the walk: {crossed:?}"
    );
}
