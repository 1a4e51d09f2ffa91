//! `mocap export-glb` files open in three.js and in Blender.
//!
//! three.js: `.ci/threejs-load.mjs` loads each GLB with
//! three.js's own GLTFLoader (npm `three`, found by `mocap_testkit::npm_package`: skipped with a
//! notice locally when it or node is absent, failed under `CI=true`),
//! plays the first clip with an AnimationMixer at t = 0 and t = duration / 2, and reports what it
//! sees. Real takes from `MOCAP_TEST_DATA` (skips with a notice when unset, fails when a file is
//! missing): the Bandai walk BVH and the CMU subject 39 ASF/AMC walk.
//!
//! Asserted: exactly one SkinnedMesh; its skeleton has one bone per source joint, named and
//! ordered as the joints; one clip, named after the input, lasting (frames − 1) / rate within
//! 1 ms; and the bone world positions three.js computes at both times equal our own forward
//! kinematics ([`mocap_data::fk`]) of the source, converted to glTF's metres +Y up as the exporter
//! does, within 1 mm.
//!
//! Blender (`blender` on `PATH`, `mocap_testkit::tool`; skipped with a notice locally when absent,
//! failed under `CI=true`): `.ci/blender-load.py`
//! imports the GLB with Blender's own glTF add-on; asserted: one armature with one skinned mesh,
//! one bone per joint with the joints' names, an action spanning the take's duration at the scene
//! rate, and the pose bones' heads at the first and last frame equal our FK within 1 mm (Blender
//! is Z-up: glTF (x, y, z) is Blender (x, −z, y)).

use mocap_data::{DQuat, DVec3, LengthUnit, Motion, Skeleton, fk};
use mocap_formats::{asf, bvh, glb};
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use mocap_testkit::data;

/// Largest allowed distance between a bone's position in three.js and in our FK, metres.
const TOLERANCE_M: f64 = 1e-3;

/// Where three.js can be run: the `node_modules` dir, or `None` after a recorded skip.
fn threejs() -> Option<PathBuf> {
    mocap_testkit::npm_package("three")
}

/// Runs `mocap export-glb` with `args` (input, options) writing `out`.
fn export(args: &[&Path], out: &Path) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mocap"));
    cmd.arg("export-glb");
    for (k, a) in args.iter().enumerate() {
        if k == 1 {
            cmd.arg("--skeleton");
        }
        cmd.arg(a);
    }
    let run = cmd.arg("-o").arg(out).output().expect("run mocap");
    assert!(
        run.status.success(),
        "mocap export-glb failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// What `.ci/threejs-load.mjs` reports for `glb`.
fn load_in_threejs(modules: &Path, glb: &Path) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/threejs-load.mjs");
    common::node_json(modules, &script, &[glb])
}

/// The keyframe interval holding time `t` (seconds, as three.js samples it) and the fraction
/// through it, with key times in single precision as the exporter writes them.
fn key_interval(motion: &Motion, t: f64) -> (usize, usize, f64) {
    let key = |f: usize| (f as f64 * motion.frame_time_s) as f32 as f64;
    let last = motion.frame_count() - 1;
    let a = (0..last).rev().find(|&f| key(f) <= t).unwrap_or(0);
    let b = (a + 1).min(last);
    let alpha = if b == a {
        0.0
    } else {
        ((t - key(a)) / (key(b) - key(a))).clamp(0.0, 1.0)
    };
    (a, b, alpha)
}

/// World positions of every joint at time `t`, skeleton space: `fk::pose` of the keyframe when
/// `t` falls on one; between keyframes, the glTF LINEAR semantics three.js implements (local
/// rotations slerped, local translations lerped, then composed down the hierarchy).
fn fk_at(skeleton: &Skeleton, motion: &Motion, t: f64) -> (Vec<DVec3>, String) {
    let (a, b, alpha) = key_interval(motion, t);
    const ON_KEY: f64 = 1e-4;
    if !(ON_KEY..=1.0 - ON_KEY).contains(&alpha) {
        let f = if alpha < ON_KEY { a } else { b };
        let pose = fk::pose(skeleton, motion.frame(f));
        return (
            pose.iter().map(|p| p.translation).collect(),
            format!("frame {f}"),
        );
    }
    let offsets = skeleton.channel_offsets();
    let local = |f: usize, j: usize| {
        let n = skeleton.joints[j].channels.len();
        fk::local_transform(skeleton, j, &motion.frame(f)[offsets[j]..offsets[j] + n])
    };
    let mut world: Vec<(DQuat, DVec3)> = Vec::with_capacity(skeleton.joints.len());
    for (j, joint) in skeleton.joints.iter().enumerate() {
        let (ra, ta) = local(a, j);
        let (rb, tb) = local(b, j);
        let (r, t) = (ra.slerp(rb, alpha), ta.lerp(tb, alpha));
        world.push(match joint.parent {
            Some(p) => (world[p].0 * r, world[p].1 + world[p].0 * t),
            None => (r, t),
        });
    }
    (
        world.into_iter().map(|(_, t)| t).collect(),
        format!("frames {a}..{b} at {alpha:.6}"),
    )
}

/// Loads `glb` in three.js and checks it against the source `skeleton` and `motion`.
fn check(modules: &Path, glb: &Path, name: &str, skeleton: &Skeleton, motion: &Motion) {
    let v = load_in_threejs(modules, glb);
    let n = skeleton.joints.len();
    assert_eq!(v["skinnedMeshes"], 1, "SkinnedMesh count");
    assert_eq!(v["bones"], n, "bones in the skeleton");
    let names: Vec<&str> = v["boneNames"]
        .as_array()
        .expect("boneNames")
        .iter()
        .map(|s| s.as_str().expect("bone name"))
        .collect();
    let joints: Vec<&str> = skeleton.joints.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, joints, "bone names in skin order");

    let clips = v["clips"].as_array().expect("clips");
    assert_eq!(clips.len(), 1, "animation clips: {clips:?}");
    assert_eq!(clips[0]["name"], name);
    let duration = clips[0]["duration"].as_f64().expect("duration");
    let expected = (motion.frame_count() - 1) as f64 * motion.frame_time_s;
    assert!(
        (duration - expected).abs() < 1e-3,
        "clip lasts {duration} s; the take lasts {expected} s"
    );
    assert!(clips[0]["tracks"].as_u64().expect("tracks") > 0);

    // Our FK in glTF space: metres, the up-axis turn applied to world positions.
    let scale = skeleton.unit.factor_to(LengthUnit::Metre);
    let up = glb::to_y_up(skeleton.up_axis);
    let times = v["times"].as_array().expect("times");
    let positions = v["positions"].as_array().expect("positions");
    assert_eq!(times.len(), 2);
    assert_eq!(positions.len(), 2);
    let mut worst = 0.0f64;
    let mut moved: Vec<Vec<DVec3>> = Vec::new();
    for (t, at) in times.iter().zip(positions) {
        let t = t.as_f64().expect("time");
        let (ours, label) = fk_at(skeleton, motion, t);
        let theirs = at.as_array().expect("positions at t");
        assert_eq!(theirs.len(), n);
        let mut worst_here = (0.0f64, 0usize);
        let mut theirs_all = Vec::with_capacity(n);
        for (j, (p, q)) in ours.iter().zip(theirs).enumerate() {
            let ours = up * (*p * scale);
            let q = q.as_array().expect("[x, y, z]");
            let theirs = DVec3::new(
                q[0].as_f64().expect("x"),
                q[1].as_f64().expect("y"),
                q[2].as_f64().expect("z"),
            );
            theirs_all.push(theirs);
            let d = ours.distance(theirs);
            if d > worst_here.0 {
                worst_here = (d, j);
            }
            assert!(
                d < TOLERANCE_M,
                "{name} t = {t} s ({label}): bone {} at {theirs} in three.js, {ours} by our FK ({:.3} mm apart)",
                joints[j],
                d * 1e3
            );
        }
        eprintln!(
            "{name}: t = {t:.4} s ({label}): max bone difference {:.6} mm ({})",
            worst_here.0 * 1e3,
            joints[worst_here.1]
        );
        worst = worst.max(worst_here.0);
        moved.push(theirs_all);
    }
    // The clip really plays: the walk carries the body well over 10 cm between the two times.
    let travel = moved[0]
        .iter()
        .zip(&moved[1])
        .map(|(a, b)| a.distance(*b))
        .fold(0.0, f64::max);
    assert!(
        travel > 0.1,
        "{name}: bones move only {travel} m in half the clip"
    );
    eprintln!(
        "{name}: max bone difference {:.6} mm over both times; largest bone travel {travel:.3} m",
        worst * 1e3
    );
}

#[test]
fn bandai_walk_glb_plays_in_threejs_as_our_fk() {
    let Some(input) = data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let Some(modules) = threejs() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("walk.glb");
    export(&[&input], &out);
    let src = bvh::read_path(&input).expect("read BVH");
    check(
        &modules,
        &out,
        "bandai_dataset-1_walk_normal_001",
        &src.skeleton,
        &src.motion,
    );
}

#[test]
fn cmu_asf_amc_glb_plays_in_threejs_as_our_fk() {
    let (Some(asf_path), Some(amc)) = (
        data("c3d_plus_skeleton/cmu_subject39_walk/39.asf"),
        data("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"),
    ) else {
        return;
    };
    let Some(modules) = threejs() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmu.glb");
    export(&[&amc, &asf_path], &out);
    // As `mocap export-glb` reads it: the AMC laid out for the ASF skeleton in millimetres.
    let a = asf::read_asf_path(&asf_path).expect("read ASF");
    let motion = asf::read_amc_path(&amc, &a).expect("read AMC");
    let skeleton = a.to_skeleton(LengthUnit::Millimetre);
    check(&modules, &out, "39_01", &skeleton, &motion);
}

/// What `.ci/blender-load.py` reports for `glb`, or `None` (a recorded skip) without Blender.
fn load_in_blender(glb: &Path) -> Option<serde_json::Value> {
    let blender = mocap_testkit::tool("blender")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/blender-load.py");
    let out = Command::new(&blender)
        .args(["-b", "--factory-startup", "--python"])
        .arg(&script)
        .arg("--")
        .arg(glb)
        .output()
        .expect("run blender");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix("JSON"));
    let Some(line) = line else {
        panic!(
            "Blender did not import {}: {}\n{}",
            glb.display(),
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    Some(serde_json::from_str(line).expect("JSON from blender-load.py"))
}

/// Checks Blender's import of `glb` against the source `skeleton` and `motion`.
fn check_blender(glb: &Path, name: &str, skeleton: &Skeleton, motion: &Motion) {
    let Some(v) = load_in_blender(glb) else {
        return;
    };
    assert_eq!(v["armatures"], 1, "{name}: armatures");
    assert_eq!(v["skinned"], 1, "{name}: skinned meshes");
    let bones: Vec<&str> = v["bones"]
        .as_array()
        .expect("bones")
        .iter()
        .map(|b| b.as_str().expect("bone name"))
        .collect();
    assert_eq!(bones.len(), skeleton.joints.len(), "{name}: bones");
    let fps = v["fps"].as_f64().expect("fps");
    let range = v["frame_range"].as_array().expect("frame_range");
    let (f0, f1) = (
        range[0].as_f64().expect("start"),
        range[1].as_f64().expect("end"),
    );
    let duration = (motion.frame_count() - 1) as f64 * motion.frame_time_s;
    assert!(
        ((f1 - f0) / fps - duration).abs() < 1e-3,
        "{name}: action spans {} s, the take {duration} s",
        (f1 - f0) / fps
    );
    let scale = skeleton.unit.factor_to(LengthUnit::Metre);
    let up = glb::to_y_up(skeleton.up_axis);
    let positions = v["positions"].as_array().expect("positions");
    let mut worst = 0.0f64;
    for (at, frame) in positions.iter().zip([0, motion.frame_count() - 1]) {
        let pose = fk::pose(skeleton, motion.frame(frame));
        for (j, joint) in skeleton.joints.iter().enumerate() {
            // Blender may rename a joint whose name it cannot use; bones keep the skin's order.
            let q = at[bones[j]].as_array().expect("[x, y, z]");
            let b = |i: usize| q[i].as_f64().expect("coordinate");
            let theirs = DVec3::new(b(0), b(2), -b(1)); // Blender Z-up → glTF Y-up
            let ours = up * (pose[j].translation * scale);
            let d = ours.distance(theirs);
            worst = worst.max(d);
            assert!(
                d < TOLERANCE_M,
                "{name} frame {frame}: bone {} ({}) at {theirs} in Blender, {ours} by our FK ({:.3} mm apart)",
                bones[j],
                joint.name,
                d * 1e3
            );
        }
    }
    eprintln!(
        "{name}: Blender import: max bone difference {:.6} mm at the first and last frame",
        worst * 1e3
    );
}

#[test]
fn bandai_walk_glb_imports_in_blender_as_our_fk() {
    let Some(input) = data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("walk.glb");
    export(&[&input], &out);
    let src = bvh::read_path(&input).expect("read BVH");
    check_blender(&out, "bandai walk", &src.skeleton, &src.motion);
}

#[test]
fn cmu_asf_amc_glb_imports_in_blender_as_our_fk() {
    let (Some(asf_path), Some(amc)) = (
        data("c3d_plus_skeleton/cmu_subject39_walk/39.asf"),
        data("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmu.glb");
    export(&[&amc, &asf_path], &out);
    let a = asf::read_asf_path(&asf_path).expect("read ASF");
    let motion = asf::read_amc_path(&amc, &a).expect("read AMC");
    let skeleton = a.to_skeleton(LengthUnit::Millimetre);
    check_blender(&out, "cmu 39_01", &skeleton, &motion);
}
