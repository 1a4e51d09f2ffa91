//! Faces in the studio, headless (`MinimalPlugins` + `CorePlugins`): a face file opened beside
//! the demo becomes the take's face, the Face plugin samples it by time at the playhead and
//! writes it into morph weights (the mannequin's identity ARKit map, and a glTF-style mesh bound
//! by its target names) and head joints; the demo has its own generated face.

mod common;

use bevy::mesh::morph::MorphWeights;
use bevy::prelude::*;
use mocap_data::face::{ARKIT_BLENDSHAPES, FACE_ROTATIONS};
use mocap_data::{Curve, FaceCurves, FrameRate, Timecode};
use mocap_studio::face::{FaceJoint, FaceMorphs, FacePart, FacePose};
use mocap_studio::model::commands::PlaybackCommand;
use mocap_studio::model::scene::CharacterModel;
use mocap_studio::model::session::{Session, SessionCommand};

use common::{app, errors, send};

fn idx(name: &str) -> usize {
    ARKIT_BLENDSHAPES
        .iter()
        .position(|n| *n == name)
        .unwrap_or_else(|| panic!("{name} is no ARKit name"))
}

/// A 3-second 60 Hz face unlike the demo's: jawOpen ramps 0 → 1, eyeBlinkLeft and
/// mouthSmileRight oscillate, headYaw swings ±0.3 rad.
fn generated_face() -> FaceCurves {
    let frames = 180;
    let mut face = FaceCurves::zeros_arkit(FrameRate::FPS_60, frames);
    face.start_timecode = Timecode::parse("01:00:00:00", 60).ok();
    for f in 0..frames {
        let t = f as f32 / 60.0;
        face.blendshapes[idx("jawOpen")].values[f] = f as f32 / (frames - 1) as f32;
        face.blendshapes[idx("eyeBlinkLeft")].values[f] = 0.5 + 0.5 * (t * 7.0).sin();
        face.blendshapes[idx("mouthSmileRight")].values[f] = 0.5 + 0.5 * (t * 3.0).cos();
    }
    face.rotations = FACE_ROTATIONS
        .iter()
        .map(|n| Curve {
            name: (*n).to_string(),
            values: (0..frames)
                .map(|f| {
                    if *n == "headYaw" {
                        0.3 * (f as f32 / 60.0 * 2.0).sin()
                    } else {
                        0.0
                    }
                })
                .collect(),
        })
        .collect();
    face.check().expect("consistent curves");
    face
}

fn write_face_csv(face: &FaceCurves) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("actor_face.csv");
    mocap_formats::face::write_csv_path(face, &path).expect("write face CSV");
    (dir, path)
}

/// The mannequin's face as the viewport spawns it, less the mesh: an identity ARKit map.
fn spawn_mannequin_face(app: &mut App) -> Entity {
    app.world_mut()
        .spawn((
            FaceMorphs::arkit(0),
            MorphWeights::new(vec![0.0; 52], None).expect("52 weights"),
        ))
        .id()
}

fn weights(app: &App, e: Entity) -> Vec<f32> {
    app.world()
        .get::<MorphWeights>(e)
        .expect("morph weights")
        .weights()
        .to_vec()
}

#[test]
fn a_face_csv_beside_the_demo_drives_the_mannequin_morphs_by_time() {
    let face = generated_face();
    let (_dir, path) = write_face_csv(&face);
    let mut app = app();
    let morphs = spawn_mannequin_face(&mut app);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    send(&mut app, SessionCommand::Open(vec![path.clone()]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    // The demo's body stays; the face is the file's.
    assert!(take.markers.is_some() && take.skeleton.is_some());
    assert!(take.sources.contains(&path));
    let got = take.face.as_ref().expect("the take has the face");
    assert_eq!(got.rate, FrameRate::FPS_60);
    assert_eq!(got.frame_count(), 180);
    for name in ["jawOpen", "eyeBlinkLeft", "mouthSmileRight"] {
        let (a, b) = (got.curve(name).expect(name), face.curve(name).expect(name));
        for (x, y) in a.values.iter().zip(&b.values) {
            assert!((x - y).abs() < 1e-4, "{name}: {x} vs {y}");
        }
    }
    // Frames of the 120 Hz take, the face at 60 Hz: odd take frames fall between face frames.
    for frame in [0usize, 101, 240, 333] {
        send(&mut app, PlaybackCommand::Seek(frame));
        app.update();
        let t = frame as f64 / 120.0;
        let pose = app.world().resource::<FacePose>().clone();
        assert!(pose.active);
        assert!((pose.time_s - t).abs() < 1e-9, "{} vs {t}", pose.time_s);
        let w = weights(&app, morphs);
        assert_eq!(w.len(), 52);
        for name in ["jawOpen", "eyeBlinkLeft", "mouthSmileRight", "browInnerUp"] {
            let want = got.curve(name).map_or(0.0, |c| c.sample(t * 60.0));
            let i = idx(name);
            assert!(
                (w[i] - want).abs() < 1e-5,
                "frame {frame} {name}: morph {} vs curve {want}",
                w[i]
            );
        }
        let yaw = got.curve("headYaw").expect("headYaw").sample(t * 60.0);
        assert!((pose.rotations[0] - yaw).abs() < 1e-6);
    }
    // jawOpen ramps: at take frame 240 (2 s, face frame 120) it is 120/179.
    send(&mut app, PlaybackCommand::Seek(240));
    app.update();
    let w = weights(&app, morphs);
    assert!(
        (w[idx("jawOpen")] - 120.0 / 179.0).abs() < 1e-4,
        "{}",
        w[idx("jawOpen")]
    );
}

#[test]
fn a_face_file_alone_opens_as_a_take_and_close_neutralises() {
    let face = generated_face();
    let (_dir, path) = write_face_csv(&face);
    let mut app = app();
    let morphs = spawn_mannequin_face(&mut app);
    send(&mut app, SessionCommand::Open(vec![path]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    assert_eq!(take.rate, FrameRate::FPS_60);
    assert_eq!(take.frame_count, 180);
    assert_eq!(take.start_timecode.to_string(), "01:00:00:00");
    send(&mut app, PlaybackCommand::Seek(179));
    app.update();
    assert!((weights(&app, morphs)[idx("jawOpen")] - 1.0).abs() < 1e-4);
    send(&mut app, SessionCommand::Close);
    app.update();
    assert!(!app.world().resource::<FacePose>().active);
    assert!(weights(&app, morphs).iter().all(|w| *w == 0.0));
}

#[test]
fn the_demo_has_a_face_that_talks_and_blinks() {
    let mut app = app();
    let morphs = spawn_mannequin_face(&mut app);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    let face = take.face.as_ref().expect("the demo has a face");
    assert_eq!(face.blendshapes.len(), 52);
    assert_eq!(face.rotations.len(), 9);
    assert!((face.duration_s() - 10.0).abs() < 0.05);
    // The mouth moves during the first line (0.6–2.4 s) and rests before it.
    let jaw = face.curve("jawOpen").expect("jawOpen");
    let r = jaw.range();
    assert!(r.max > 0.3, "jawOpen peaks at {}", r.max);
    assert!(face.curve("eyeBlinkLeft").expect("blink").range().max > 0.9);
    let mut moved = 0;
    for frame in (84..288).step_by(6) {
        send(&mut app, PlaybackCommand::Seek(frame));
        app.update();
        let w = weights(&app, morphs)[idx("jawOpen")];
        let want = jaw.sample(frame as f64 / 120.0 * face.rate.hz());
        assert!((w - want).abs() < 1e-5);
        moved += usize::from(w > 0.05);
    }
    assert!(moved > 5, "the jaw opened on {moved} sampled frames");
}

#[test]
fn head_joints_turn_by_the_face_once_per_pose() {
    let face = generated_face();
    let (_dir, path) = write_face_csv(&face);
    let mut app = app();
    let body = Quat::from_rotation_x(0.2);
    let head = app
        .world_mut()
        .spawn((
            Transform::from_rotation(body),
            FaceJoint::new(0, FacePart::Head, [Vec3::Y, Vec3::X, Vec3::Z]),
        ))
        .id();
    send(&mut app, SessionCommand::Open(vec![path]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    send(&mut app, PlaybackCommand::Seek(45));
    app.update();
    let yaw = face.curve("headYaw").expect("yaw").values[45];
    assert!(yaw.abs() > 0.1);
    let want = body * Quat::from_rotation_y(yaw);
    for _ in 0..3 {
        // Nobody re-poses the joint: the face's turn is applied once, not accumulated.
        app.update();
        let got = app
            .world()
            .get::<Transform>(head)
            .expect("transform")
            .rotation;
        assert!(got.angle_between(want) < 1e-4, "{got} vs {want}");
    }
    assert_eq!(
        FacePart::from_joint_name("mixamorig:Head"),
        Some(FacePart::Head)
    );
    assert_eq!(
        FacePart::from_joint_name("LeftEye"),
        Some(FacePart::LeftEye)
    );
    assert_eq!(FacePart::from_joint_name("eye_R"), Some(FacePart::RightEye));
    assert_eq!(FacePart::from_joint_name("HeadTop_End"), None);
}

#[test]
fn a_character_mesh_is_bound_by_its_morph_target_names() {
    let face = generated_face();
    let (_dir, path) = write_face_csv(&face);
    let mut app = app();
    app.add_plugins(bevy::asset::AssetPlugin::default())
        .init_asset::<Mesh>();
    let mut mesh = Mesh::new(
        bevy::mesh::PrimitiveTopology::TriangleList,
        bevy::asset::RenderAssetUsages::default(),
    );
    // PascalCase (Live Link Face / many rigs), a prefixed name and one no channel drives.
    mesh.set_morph_target_names(vec![
        "JawOpen".into(),
        "head_eyeBlink_L".into(),
        "Wrinkles".into(),
    ]);
    let handle = app.world_mut().resource_mut::<Assets<Mesh>>().add(mesh);
    let character = app
        .world_mut()
        .spawn((
            CharacterModel {
                path: "character.glb".into(),
                actor: 0,
            },
            Transform::default(),
        ))
        .id();
    let node = app
        .world_mut()
        .spawn((
            MorphWeights::new(vec![0.5; 3], Some(handle)).expect("weights"),
            ChildOf(character),
        ))
        .id();
    send(&mut app, SessionCommand::Open(vec![path]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    send(&mut app, PlaybackCommand::Seek(90));
    app.update();
    app.update();
    let map = &app.world().get::<FaceMorphs>(node).expect("bound").map;
    assert_eq!(map.bindings.len(), 2);
    assert_eq!(map.unmapped, ["Wrinkles"]);
    let w = weights(&app, node);
    let at = |n: &str| face.curve(n).expect(n).values[90];
    assert!((w[0] - at("jawOpen")).abs() < 1e-4, "{w:?}");
    assert!((w[1] - at("eyeBlinkLeft")).abs() < 1e-4, "{w:?}");
    assert_eq!(w[2], 0.0);
}

#[test]
fn a_driven_characters_head_turns_with_the_face_on_top_of_its_pose() {
    use mocap_studio::character::{CharacterDrive, CharacterPlugin, spawn_gltf_nodes};
    let mut app = app();
    app.add_plugins(bevy::transform::TransformPlugin)
        .add_plugins(CharacterPlugin);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    // The project's mannequin as a glTF character (as `--bench` does).
    let sk = mocap_studio::session::demo::demo_skeleton();
    let (short, _) = mocap_studio::session::demo::demo_motion(&sk, 120).expect("motion");
    let glb = mocap_solver::mannequin::to_glb(&sk, &short, "face test").expect("GLB");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("mannequin.glb");
    std::fs::write(&path, &glb).expect("write GLB");
    let root = app
        .world_mut()
        .spawn((CharacterModel { path, actor: 0 }, Transform::default()))
        .id();
    let nodes = spawn_gltf_nodes(app.world_mut(), &glb, root).expect("nodes");
    let head = nodes
        .iter()
        .find(|(n, _)| n == "Head")
        .map(|(_, e)| *e)
        .expect("Head node");
    send(&mut app, PlaybackCommand::Seek(700));
    // The retarget is prepared on a worker thread: update until the character is driven.
    let t0 = std::time::Instant::now();
    while app
        .world()
        .get::<CharacterDrive>(root)
        .is_none_or(|d| d.joints.is_none())
    {
        assert!(t0.elapsed().as_secs() < 60, "not driven after 60 s");
        std::thread::sleep(std::time::Duration::from_millis(1));
        app.update();
    }
    for _ in 0..3 {
        app.update();
    }
    let fj = app
        .world()
        .get::<FaceJoint>(head)
        .expect("the head is a face joint")
        .clone();
    assert_eq!(fj.part, FacePart::Head);
    let pose = app.world().resource::<FacePose>().clone();
    assert!(pose.rotations[0].abs() + pose.rotations[1].abs() > 1e-3);
    let drive = app
        .world()
        .get::<CharacterDrive>(root)
        .expect("driven")
        .retarget
        .clone();
    let j = drive
        .target
        .skeleton
        .joint_index("Head")
        .expect("Head joint");
    let take = app
        .world()
        .resource::<mocap_studio::model::session::Session>()
        .take
        .clone()
        .expect("take");
    let (_, motion) = take.actor(0).expect("actor");
    let body_pose = drive.pose(motion, 700).expect("pose");
    let body = drive.target.node_rotation(j, body_pose.local_rotations[j]);
    let body = Quat::from_array(body.as_quat().to_array());
    let want = body * fj.offset([pose.rotations[0], pose.rotations[1], pose.rotations[2]]);
    let got = app.world().get::<Transform>(head).expect("t").rotation;
    assert!(got.angle_between(want) < 1e-3, "{got} vs {want}");
    assert!(got.angle_between(body) > 1e-4, "the face turned the head");
}

#[test]
fn face_operations_in_the_stack_change_the_face_and_undo_restores_it() {
    use mocap_solver::face_ops::{ChannelSelection, FaceEntry, FaceOp};
    use mocap_studio::model::edit::{EditCommand, HistoryCommand};
    let mut app = app();
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    let take = |app: &App| {
        app.world()
            .resource::<Session>()
            .take
            .clone()
            .expect("take")
    };
    let raw = take(&app).face.expect("the demo has a face");
    let raw_jaw = raw.curve("jawOpen").expect("jawOpen").values.clone();
    assert!(raw_jaw.iter().any(|v| *v > 0.3));
    // Gain 0 + offset 0.25 on jawOpen only (as the Cleanup tab's Face section adds it).
    let mut stack = take(&app).cleanup.clone();
    let mut e = FaceEntry::new(FaceOp::GainOffset {
        gain: 0.0,
        offset: 0.25,
    });
    e.channels = ChannelSelection::Names(vec!["jawOpen".into()]);
    stack.face.push(e);
    send(
        &mut app,
        EditCommand::SetCleanupStack {
            stack: Box::new(stack),
            what: "Add face Gain / offset".into(),
            merge: None,
        },
    );
    app.update();
    app.update();
    let face = take(&app).face.expect("face");
    let jaw = &face.curve("jawOpen").expect("jawOpen").values;
    assert!(
        jaw.iter().all(|v| (*v - 0.25).abs() < 1e-6),
        "jawOpen not flattened"
    );
    // Other channels are as captured.
    assert_eq!(
        face.curve("eyeBlinkLeft").expect("blink").values,
        raw.curve("eyeBlinkLeft").expect("blink").values
    );
    let outcomes = &app
        .world()
        .resource::<mocap_studio::cleanup::face::FaceCleanup>()
        .outcomes;
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes[0].contains("in 1 curves"), "{outcomes:?}");
    // Undo: the face as loaded again.
    send(&mut app, HistoryCommand::Undo);
    app.update();
    app.update();
    let face = take(&app).face.expect("face");
    assert_eq!(face.curve("jawOpen").expect("jawOpen").values, raw_jaw);
}
