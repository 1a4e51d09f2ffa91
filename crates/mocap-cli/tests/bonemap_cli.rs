//! `mocap bonemap CHARACTER --json` and `mocap retarget IN.bvh --to CHARACTER -o OUT.bvh` with no
//! `--map` on every glTF character in `$MOCAP_TEST_DATA/gltf`: the humanoids (three.js Soldier,
//! a Mixamo rig; Khronos CesiumMan, `Skeleton_torso_joint_1`/`leg_joint_L_1` names that no
//! preset knows) are mapped and driven; the quadruped Fox and the rigs that are no body at all
//! are refused with "not a humanoid".

mod common;

use std::process::Command;

fn mocap(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

#[test]
fn every_gltf_humanoid_maps_and_retargets_without_a_map() {
    let Some(bvh) = mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let dir = bvh
        .parent()
        .and_then(|p| p.parent())
        .expect("data root")
        .join("gltf");
    let mut files = Vec::new();
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("gltf folder").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("glb") || x.eq_ignore_ascii_case("gltf"))
            {
                files.push(p);
            }
        }
    }
    files.sort();
    let tmp = tempfile::tempdir().expect("tmp");
    let mut humanoids = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let out = mocap(&["bonemap".as_ref(), f.as_os_str(), "--json".as_ref()]);
        let err = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            assert_eq!(out.status.code(), Some(1), "{name}: {err}");
            assert!(
                err.contains("not a humanoid") || err.contains("no skin"),
                "{name}: {err}"
            );
            if name == "Fox.glb" {
                assert!(
                    err.contains("not a humanoid") && err.contains("quadruped"),
                    "{err}"
                );
            }
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let bones = v["bones"].as_object().expect("bones");
        assert!(bones.len() >= 18, "{name}: {} bones", bones.len());
        for b in [
            "hips",
            "head",
            "leftUpperArm",
            "rightLowerArm",
            "leftUpperLeg",
            "rightFoot",
        ] {
            let c = bones[b]["confidence"].as_f64().expect("confidence");
            assert!((0.0..=1.0).contains(&c), "{name} {b}: {c}");
        }
        // Left is left: the left hand's joint says L/Left, or sits on the character's left.
        let lh = bones["leftHand"]["joint"]
            .as_str()
            .expect("joint")
            .to_lowercase();
        assert!(!lh.contains("right") && !lh.contains("_r"), "{name}: {lh}");
        let o = tmp.path().join(format!("{name}.bvh"));
        let run = mocap(&[
            "retarget".as_ref(),
            bvh.as_os_str(),
            "--to".as_ref(),
            f.as_os_str(),
            "-o".as_ref(),
            o.as_os_str(),
        ]);
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let back = mocap_formats::bvh::read_path(&o).expect("retargeted BVH");
        assert_eq!(back.motion.frame_count(), 195, "{name}");
        humanoids.push((name, v["map"].as_str().unwrap_or("").to_string()));
    }
    eprintln!("humanoids: {humanoids:?}");
    let names: Vec<&str> = humanoids.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["CesiumMan.glb", "Soldier.glb"]);
    assert!(
        humanoids
            .iter()
            .any(|(n, m)| n == "CesiumMan.glb" && m == "auto")
    );
}
