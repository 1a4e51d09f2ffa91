//! `mocap retarget` end to end on real data (needs `MOCAP_TEST_DATA`; skips with a notice when
//! unset, fails when a file is missing): writes BVH, reads it back, checks names, frame count,
//! bone directions against the source and the scaled root path.

use mocap_data::{DVec3, Skeleton, fk};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

use mocap_testkit::data;

fn mocap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "mocap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON report on stdout")
}

fn angle_deg(a: DVec3, b: DVec3) -> f64 {
    a.normalize()
        .dot(b.normalize())
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
}

/// Worst angle over all frames between the source bone `sa→sb` and the output bone `ta→tb`.
fn worst_angle(
    src: &mocap_formats::bvh::BvhFile,
    out: &mocap_formats::bvh::BvhFile,
    pairs: &[(&str, &str, &str, &str)],
) -> f64 {
    let idx = |sk: &Skeleton, n: &str| sk.joint_index(n).unwrap_or_else(|| panic!("joint {n}"));
    let mut worst: f64 = 0.0;
    for f in 0..src.motion.frame_count() {
        let ps = fk::pose(&src.skeleton, src.motion.frame(f));
        let pt = fk::pose(&out.skeleton, out.motion.frame(f));
        for (sa, sb, ta, tb) in pairs {
            let ds =
                ps[idx(&src.skeleton, sb)].translation - ps[idx(&src.skeleton, sa)].translation;
            let dt =
                pt[idx(&out.skeleton, tb)].translation - pt[idx(&out.skeleton, ta)].translation;
            worst = worst.max(angle_deg(ds, dt));
        }
    }
    worst
}

#[test]
fn bandai_walk_onto_soldier_glb_writes_bvh_with_glb_names() {
    let (Some(input), Some(target)) = (
        data("bvh/bandai_dataset-1_walk_normal_001.bvh"),
        data("gltf/threejs_examples/Soldier.glb"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let output = dir.path().join("soldier_walk.bvh");
    let j = json_of(&mocap(&[
        "retarget",
        s(&input),
        "--to",
        s(&target),
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["source_map"], "bandai");
    assert_eq!(j["target_map"], "mixamo");
    assert_eq!(j["root_joint"], "mixamorig:Hips");
    let src = mocap_formats::bvh::read_path(&input).expect("source");
    let out = mocap_formats::bvh::read_path(&output).expect("output BVH");
    assert_eq!(out.skeleton.joints.len(), 49);
    assert_eq!(out.skeleton.joints[0].name, "mixamorig:Hips");
    assert_eq!(out.motion.frame_count(), src.motion.frame_count());
    assert!(out.motion.values.iter().all(|v| v.is_finite()));
    let worst = worst_angle(
        &src,
        &out,
        &[
            (
                "UpperLeg_L",
                "LowerLeg_L",
                "mixamorig:LeftUpLeg",
                "mixamorig:LeftLeg",
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
                "LowerArm_R",
                "Hand_R",
                "mixamorig:RightForeArm",
                "mixamorig:RightHand",
            ),
            ("Hips", "Spine", "mixamorig:Hips", "mixamorig:Spine"),
            ("Neck", "Head", "mixamorig:Neck", "mixamorig:Head"),
        ],
    );
    eprintln!("Soldier.glb via CLI: worst bone direction error {worst:.4}°");
    assert!(worst < 0.1, "{worst}°");
    // The output is in the source's unit (cm): hips path = root_scale (m per source cm) × 100.
    let scale = j["root_scale"].as_f64().expect("scale") * 100.0;
    let hs = src.skeleton.joint_index("Hips").expect("hips");
    for f in [0, 97, 194] {
        let ps = fk::pose(&src.skeleton, src.motion.frame(f))[hs].translation;
        let pt = fk::pose(&out.skeleton, out.motion.frame(f))[0].translation;
        assert!(
            (ps * scale - pt).length() < 1e-2,
            "frame {f}: {pt} vs {}",
            ps * scale
        );
    }
}

#[test]
fn bandai_walk_onto_mixamo_bvh_and_custom_map() {
    let (Some(input), Some(target)) = (
        data("bvh/bandai_dataset-1_walk_normal_001.bvh"),
        data("bvh/bvhpython_test_freebvh.bvh"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let output = dir.path().join("mixamo_walk.bvh");
    let out = mocap(&["retarget", s(&input), "--to", s(&target), "-o", s(&output)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("(bandai map)") && text.contains("(mixamo map)"),
        "{text}"
    );
    let src = mocap_formats::bvh::read_path(&input).expect("source");
    let res = mocap_formats::bvh::read_path(&output).expect("output BVH");
    let tgt = mocap_formats::bvh::read_path(&target).expect("target");
    let names = |sk: &Skeleton| sk.joints.iter().map(|j| j.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&res.skeleton), names(&tgt.skeleton));
    let worst = worst_angle(
        &src,
        &res,
        &[
            (
                "UpperLeg_R",
                "LowerLeg_R",
                "mixamorig:RightUpLeg",
                "mixamorig:RightLeg",
            ),
            (
                "Foot_L",
                "Toes_L",
                "mixamorig:LeftFoot",
                "mixamorig:LeftToeBase",
            ),
            (
                "UpperArm_R",
                "LowerArm_R",
                "mixamorig:RightArm",
                "mixamorig:RightForeArm",
            ),
        ],
    );
    assert!(worst < 0.1, "{worst}°");

    // A saved map file wins over the built-in presets when it fits as well: here a map that
    // swaps the arms (a deliberate mirror) drives the left target arm from the right source arm.
    let preset = mocap_solver::retarget::BoneMap::presets()
        .into_iter()
        .find(|m| m.name == "bandai")
        .expect("bandai preset");
    let mut mirrored = preset.clone();
    mirrored.name = "bandai_mirrored_arms".into();
    use mocap_solver::retarget::HumanBone::*;
    for (l, r) in [
        (LeftUpperArm, RightUpperArm),
        (LeftLowerArm, RightLowerArm),
        (LeftHand, RightHand),
        (LeftShoulder, RightShoulder),
    ] {
        let (a, b) = (preset.bones[&l].clone(), preset.bones[&r].clone());
        mirrored.bones.insert(l, b);
        mirrored.bones.insert(r, a);
    }
    let map_path = dir.path().join("mirrored.json");
    std::fs::write(&map_path, mirrored.to_json()).expect("write map");
    let j = json_of(&mocap(&[
        "retarget",
        s(&input),
        "--to",
        s(&target),
        "--map",
        s(&map_path),
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["source_map"], "bandai_mirrored_arms");
    let res = mocap_formats::bvh::read_path(&output).expect("output BVH");
    let worst = worst_angle(
        &src,
        &res,
        &[(
            "UpperArm_R",
            "LowerArm_R",
            "mixamorig:LeftArm",
            "mixamorig:LeftForeArm",
        )],
    );
    assert!(worst < 0.1, "{worst}°");
}

#[test]
fn unusable_targets_are_errors() {
    let (Some(input), Some(no_skin)) = (
        data("bvh/bandai_dataset-1_walk_normal_001.bvh"),
        data("gltf/khronos/MorphStressTest.gltf"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let output = dir.path().join("x.bvh");
    let out = mocap(&["retarget", s(&input), "--to", s(&no_skin), "-o", s(&output)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error:") && err.contains("no skin"),
        "{err}"
    );
    let bad_map = dir.path().join("bad.json");
    std::fs::write(&bad_map, "{\"name\": \"x\", \"bones\": {\"tail\": \"T\"}}").expect("write");
    let out = mocap(&[
        "retarget",
        s(&input),
        "--to",
        s(&input),
        "--map",
        s(&bad_map),
        "-o",
        s(&output),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bone map"));
}
