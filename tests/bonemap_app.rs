//! Headless app tests (`MinimalPlugins`, no window, no GPU) of issue #15's Bone Map and BVH unit
//! override: a bone of a real character (Soldier.glb, driven by a Bandai BVH walk) is reassigned
//! as an undoable edit that rebuilds the character's retarget, the map is saved beside the
//! character, reads back with `BoneMap::read_path`, is what `mocap retarget --map` uses, and is
//! used again when the studio loads the character. The take's own skeleton map (the retarget's
//! source) is reassigned, undone and saved beside the motion the same way. The BVH's unit can be
//! changed as an undoable edit that scales the figure and its path together.
//!
//! Real-data tests read `MOCAP_TEST_DATA` (the shared data folder): unset → notice and return;
//! set and a file missing → fail.

mod common;
use common::{data_dir, data_file};

use std::path::Path;

use bevy::prelude::*;
use bevy::transform::TransformPlugin;
use mocap_data::LengthUnit;
use mocap_solver::retarget::{BoneMap, HumanBone, retarget, skeleton_from_gltf};
use mocap_studio::character::{CharacterDrive, CharacterPlugin};
use mocap_studio::core_plugins;
use mocap_studio::model::bonemap::{BoneMapCommand, CharacterBoneMaps, MapSource, sidecar_path};
use mocap_studio::model::edit::{EditCommand, HistoryCommand};
use mocap_studio::model::scene::CharacterModel;
use mocap_studio::model::session::{Session, SessionCommand};

fn new_app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(TransformPlugin)
        .add_plugins(core_plugins())
        .add_plugins(CharacterPlugin);
    app
}

/// Opens `bvh`, puts the character `glb` on stage as the viewport does (root, then its nodes a
/// frame later) and runs until it is driven. Returns the root entity.
fn stage(app: &mut App, bvh: &Path, glb: &Path) -> Entity {
    app.world_mut()
        .write_message(SessionCommand::Open(vec![bvh.to_path_buf()]));
    assert!(mocap_studio::session::wait_until_opened(app, 20_000));
    let root = app
        .world_mut()
        .spawn((
            CharacterModel {
                path: glb.to_path_buf(),
                actor: 0,
            },
            Transform::IDENTITY,
        ))
        .id();
    app.update();
    let bytes = std::fs::read(glb).expect("read glb");
    mocap_studio::character::spawn_gltf_nodes(app.world_mut(), &bytes, root).expect("nodes");
    settle(app);
    root
}

/// Updates until every character is driven with its joints bound, or undriven: its file is read
/// and its retarget prepared on a worker thread (a rebuilt map goes through that again); then a
/// few more updates for the bone map bookkeeping.
fn settle(app: &mut App) {
    let t0 = std::time::Instant::now();
    loop {
        app.update();
        let mut q = app
            .world_mut()
            .query::<(Entity, &mocap_studio::model::scene::CharacterModel)>();
        let chars: Vec<Entity> = q.iter(app.world()).map(|(e, _)| e).collect();
        let done = !chars.is_empty()
            && chars.iter().all(|&e| {
                app.world()
                    .get::<CharacterDrive>(e)
                    .is_some_and(|d| d.joints.is_some())
                    || app
                        .world()
                        .get::<mocap_studio::character::CharacterUndriven>(e)
                        .is_some()
            });
        if done {
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(60),
            "characters not prepared after 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    for _ in 0..4 {
        app.update();
    }
}

/// The character's joint that `bone` is retargeted onto in its current drive.
fn driven_joint(app: &App, root: Entity, bone: HumanBone) -> String {
    let d = app
        .world()
        .get::<CharacterDrive>(root)
        .expect("character driven");
    assert!(d.joints.is_some(), "joints bound");
    let b = d
        .retarget
        .retargeter
        .bones()
        .iter()
        .find(|b| b.bone == bone)
        .expect("bone retargeted");
    d.retarget.target.skeleton.joints[b.target_joint]
        .name
        .clone()
}

fn mapped(app: &App, glb: &Path, bone: HumanBone) -> Option<String> {
    app.world().resource::<CharacterBoneMaps>().maps[glb]
        .map
        .bones
        .get(&bone)
        .cloned()
}

#[test]
fn reassigned_bone_rebuilds_undoes_saves_and_is_what_the_cli_uses() {
    let Some(dir) = data_dir() else { return };
    let src_glb = data_file(&dir, "gltf/threejs_examples/Soldier.glb");
    let bvh = data_file(&dir, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let tmp = tempfile::tempdir().expect("temp dir");
    let glb = tmp.path().join("Soldier.glb");
    std::fs::copy(&src_glb, &glb).expect("copy");

    let mut app = new_app();
    let root = stage(&mut app, &bvh, &glb);
    // The map the character was built with: the mixamo preset, as `mocap bonemap` says.
    {
        let maps = app.world().resource::<CharacterBoneMaps>();
        let m = &maps.maps[&glb];
        assert_eq!(m.map.name, "mixamo");
        assert_eq!(m.map.bones.len(), 22);
        assert_eq!(
            m.sources[&HumanBone::LeftHand],
            MapSource::Preset("mixamo".into())
        );
        assert_eq!(m.confidence[&HumanBone::LeftHand], 1.0);
        assert!(!m.saved);
        // The take's source skeleton (Bandai) is shown beside it.
        assert_eq!(m.source_bones[&HumanBone::LeftHand].0, "Hand_L");
    }
    assert_eq!(
        driven_joint(&app, root, HumanBone::LeftHand),
        "mixamorig:LeftHand"
    );

    // Reassign the left hand to its index finger's first joint.
    let finger = "mixamorig:LeftHandIndex1".to_string();
    app.world_mut().write_message(EditCommand::SetBone {
        character: glb.clone(),
        bone: HumanBone::LeftHand,
        joint: Some(finger.clone()),
    });
    settle(&mut app);
    assert_eq!(
        mapped(&app, &glb, HumanBone::LeftHand),
        Some(finger.clone())
    );
    assert_eq!(
        app.world().resource::<CharacterBoneMaps>().maps[&glb].sources[&HumanBone::LeftHand],
        MapSource::Edited
    );
    assert_eq!(
        driven_joint(&app, root, HumanBone::LeftHand),
        finger,
        "the character's retarget was rebuilt with the new map"
    );

    // Undo and redo go through the history like any edit.
    app.world_mut().write_message(HistoryCommand::Undo);
    settle(&mut app);
    assert_eq!(
        driven_joint(&app, root, HumanBone::LeftHand),
        "mixamorig:LeftHand"
    );
    app.world_mut().write_message(HistoryCommand::Redo);
    settle(&mut app);
    assert_eq!(driven_joint(&app, root, HumanBone::LeftHand), finger);
    // Giving a bone a joint another bone plays takes it from that bone (a joint plays one bone,
    // or the retarget refuses the map); undo gives it back.
    app.world_mut().write_message(EditCommand::SetBone {
        character: glb.clone(),
        bone: HumanBone::Chest,
        joint: Some("mixamorig:Spine2".into()),
    });
    settle(&mut app);
    assert_eq!(mapped(&app, &glb, HumanBone::UpperChest), None);
    assert_eq!(
        mapped(&app, &glb, HumanBone::Chest).as_deref(),
        Some("mixamorig:Spine2")
    );
    assert_eq!(
        driven_joint(&app, root, HumanBone::LeftHand),
        finger,
        "still driven"
    );
    app.world_mut().write_message(HistoryCommand::Undo);
    settle(&mut app);
    assert_eq!(
        mapped(&app, &glb, HumanBone::Chest).as_deref(),
        Some("mixamorig:Spine1")
    );
    assert_eq!(
        mapped(&app, &glb, HumanBone::UpperChest).as_deref(),
        Some("mixamorig:Spine2")
    );
    assert_eq!(driven_joint(&app, root, HumanBone::LeftHand), finger);
    // A joint the character does not have is refused (logged, not recorded).
    app.world_mut().write_message(EditCommand::SetBone {
        character: glb.clone(),
        bone: HumanBone::Head,
        joint: Some("NoSuchJoint".into()),
    });
    settle(&mut app);
    assert_eq!(
        mapped(&app, &glb, HumanBone::Head).as_deref(),
        Some("mixamorig:Head")
    );

    // Save beside the character, in the `--map` format.
    app.world_mut()
        .write_message(BoneMapCommand::Save(glb.clone()));
    settle(&mut app);
    let file = sidecar_path(&glb);
    assert_eq!(file, tmp.path().join("Soldier.bonemap.json"));
    let saved = BoneMap::read_path(&file).expect("the saved map reads back");
    let studio_map = app.world().resource::<CharacterBoneMaps>().maps[&glb].clone();
    assert!(studio_map.saved);
    assert_eq!(saved, studio_map.map);
    assert_eq!(saved.name, "Soldier");
    assert_eq!(saved.bones[&HumanBone::LeftHand], finger);

    // `mocap retarget --map` chooses it: the same crate calls as crates/mocap-cli/src/retarget.rs.
    let src = mocap_formats::bvh::read_path(&bvh).expect("bvh");
    let target = skeleton_from_gltf(&std::fs::read(&glb).expect("glb"))
        .expect("skin")
        .skeleton;
    let mut candidates = vec![saved.clone()];
    candidates.extend(BoneMap::presets());
    let (cli_map, conf) = BoneMap::for_skeleton(&target, &candidates).expect("target map");
    assert_eq!(cli_map, saved, "the CLI picks the saved map");
    assert_eq!(conf.len(), 22);
    let (src_map, _) = BoneMap::for_skeleton(&src.skeleton, &candidates).expect("source map");
    let r = retarget(&src.skeleton, &src.motion, &src_map, &target, &cli_map).expect("retarget");
    let hand = r
        .bones
        .iter()
        .find(|b| b.bone == HumanBone::LeftHand)
        .expect("hand");
    assert_eq!(target.joints[hand.target_joint].name, finger);
    // And the `mocap` binary itself, when it was built beside this test.
    let mocap = std::env::current_exe()
        .ok()
        .and_then(|e| Some(e.parent()?.parent()?.join("mocap")))
        .filter(|p| p.is_file());
    match mocap {
        Some(exe) => {
            let out = std::process::Command::new(&exe)
                .arg("retarget")
                .arg(&bvh)
                .arg("--to")
                .arg(&glb)
                .arg("-o")
                .arg(tmp.path().join("out.bvh"))
                .arg("--map")
                .arg(&file)
                .output()
                .expect("run mocap");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(text.contains("(Soldier map)"), "{text}");
        }
        None => eprintln!("mocap binary not built beside the test: CLI run skipped"),
    }

    // A fresh studio loading the character uses the saved file.
    let mut app2 = new_app();
    let root2 = stage(&mut app2, &bvh, &glb);
    let m = &app2.world().resource::<CharacterBoneMaps>().maps[&glb];
    assert_eq!(m.map, saved);
    assert!(m.saved);
    assert_eq!(m.sources[&HumanBone::LeftHand], MapSource::File);
    assert_eq!(driven_joint(&app2, root2, HumanBone::LeftHand), finger);
}

/// The take joint that drives `bone` in the character's current retarget.
fn driving_joint(app: &App, root: Entity, bone: HumanBone) -> String {
    let d = app
        .world()
        .get::<CharacterDrive>(root)
        .expect("character driven");
    let b = d
        .retarget
        .retargeter
        .bones()
        .iter()
        .find(|b| b.bone == bone)
        .expect("bone retargeted");
    d.retarget.retargeter.source().joints[b.source_joint]
        .name
        .clone()
}

#[test]
fn the_takes_own_bone_map_is_reassigned_undone_saved_beside_the_motion_and_reused() {
    let Some(dir) = data_dir() else { return };
    let glb = data_file(&dir, "gltf/threejs_examples/Soldier.glb");
    let src_bvh = data_file(&dir, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let tmp = tempfile::tempdir().expect("temp dir");
    let bvh = tmp.path().join("walk.bvh");
    std::fs::copy(&src_bvh, &bvh).expect("copy");

    let mut app = new_app();
    let root = stage(&mut app, &bvh, &glb);
    // The take's skeleton has its own map, keyed by the motion file, beside the character's.
    {
        let maps = app.world().resource::<CharacterBoneMaps>();
        let m = maps.motions.get(&bvh).expect("the motion's map");
        assert!(maps.is_motion(&bvh) && !maps.is_motion(&glb));
        assert_eq!(m.map.bones[&HumanBone::LeftHand], "Hand_L");
        assert!(m.joints.iter().any(|j| j == "LowerArm_L"));
        assert!(!m.saved);
    }
    assert_eq!(driving_joint(&app, root, HumanBone::LeftHand), "Hand_L");
    assert_eq!(driving_joint(&app, root, HumanBone::Head), "Head");

    // Reassign the take's head to its neck: the character's head is now driven by the neck.
    app.world_mut().write_message(EditCommand::SetBone {
        character: bvh.clone(),
        bone: HumanBone::Head,
        joint: Some("Neck".into()),
    });
    settle(&mut app);
    {
        let maps = app.world().resource::<CharacterBoneMaps>();
        let m = &maps.motions[&bvh];
        assert_eq!(m.map.bones[&HumanBone::Head], "Neck");
        assert_eq!(m.sources[&HumanBone::Head], MapSource::Edited);
        // The Neck joint played the neck bone: a joint plays one bone, so it was unmapped.
        assert_eq!(m.map.bones.get(&HumanBone::Neck), None);
        // The character's panel row shows the new driving joint.
        assert_eq!(maps.maps[&glb].source_bones[&HumanBone::Head].0, "Neck");
    }
    assert_eq!(
        driving_joint(&app, root, HumanBone::Head),
        "Neck",
        "the retarget was rebuilt with the take's new map"
    );

    // Undo restores both bones and the drive; redo applies it again.
    app.world_mut().write_message(HistoryCommand::Undo);
    settle(&mut app);
    assert_eq!(driving_joint(&app, root, HumanBone::Head), "Head");
    assert_eq!(
        app.world().resource::<CharacterBoneMaps>().motions[&bvh]
            .map
            .bones[&HumanBone::Neck],
        "Neck"
    );
    app.world_mut().write_message(HistoryCommand::Redo);
    settle(&mut app);
    assert_eq!(driving_joint(&app, root, HumanBone::Head), "Neck");

    // Saved beside the motion, read back, and used by a fresh studio opening that motion.
    app.world_mut()
        .write_message(BoneMapCommand::Save(bvh.clone()));
    settle(&mut app);
    let file = sidecar_path(&bvh);
    assert_eq!(file, tmp.path().join("walk.bonemap.json"));
    let saved = BoneMap::read_path(&file).expect("the saved map reads back");
    assert_eq!(saved.bones[&HumanBone::Head], "Neck");
    assert_eq!(saved.name, "walk");
    assert!(app.world().resource::<CharacterBoneMaps>().motions[&bvh].saved);
    let mut app2 = new_app();
    let root2 = stage(&mut app2, &bvh, &glb);
    let m = &app2.world().resource::<CharacterBoneMaps>().motions[&bvh];
    assert_eq!(m.map, saved);
    assert_eq!(m.sources[&HumanBone::Head], MapSource::File);
    assert_eq!(driving_joint(&app2, root2, HumanBone::Head), "Neck");
}

#[test]
fn changing_the_bvh_unit_scales_the_figure_and_its_path_and_undoes() {
    let Some(dir) = data_dir() else { return };
    let bvh = data_file(&dir, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let mut app = new_app();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![bvh]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let (guess, unit) = {
        let t = app
            .world()
            .resource::<Session>()
            .take
            .clone()
            .expect("take");
        (
            t.skeleton_unit_guess.clone().expect("BVH unit guessed"),
            t.skeleton.as_ref().expect("skeleton").unit,
        )
    };
    assert_eq!(guess.unit, unit);
    assert_eq!(unit, LengthUnit::Centimetre, "{}", guess.reason);
    // World positions (Bevy metres) of the hips at two frames, as the viewport places them.
    let world = |app: &App| {
        let t = app
            .world()
            .resource::<Session>()
            .take
            .clone()
            .expect("take");
        let sk = t.skeleton.clone().expect("skeleton");
        let m = t.motion.clone().expect("motion");
        let space = mocap_studio::viewport::skeleton_space_transform(sk.unit, t.actor_axes(0));
        [0, 100].map(|f| {
            let pose = mocap_data::fk::pose(&sk, m.frame(f));
            let head = pose[sk.joint_index("Head").expect("head")].translation;
            let hips = pose[sk.joint_index("Hips").expect("hips")].translation;
            let p = |v: mocap_data::DVec3| {
                space.transform_point(Vec3::new(v.x as f32, v.y as f32, v.z as f32))
            };
            (p(hips), p(head))
        })
    };
    let before = world(&app);
    let figure = |w: &[(Vec3, Vec3); 2]| (w[0].1 - w[0].0).length();
    let path = |w: &[(Vec3, Vec3); 2]| (w[1].0 - w[0].0).length();
    assert!(
        (0.3..1.0).contains(&figure(&before)),
        "hips→head {} m",
        figure(&before)
    );
    app.world_mut().write_message(EditCommand::SetSkeletonUnit {
        actor: 0,
        unit: LengthUnit::Millimetre,
    });
    app.update();
    let after = world(&app);
    for (what, a, b) in [
        ("figure", figure(&after), figure(&before)),
        ("path", path(&after), path(&before)),
    ] {
        assert!((a / b - 0.1).abs() < 1e-4, "{what}: {a} vs {b}");
    }
    let t = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("take");
    assert_eq!(
        t.skeleton.as_ref().map(|s| s.unit),
        Some(LengthUnit::Millimetre)
    );
    assert_eq!(
        t.skeleton_unit_guess.as_ref(),
        Some(&guess),
        "the guess and its reason stay"
    );
    app.world_mut().write_message(HistoryCommand::Undo);
    app.update();
    let back = world(&app);
    assert!((figure(&back) - figure(&before)).abs() < 1e-6);
}
