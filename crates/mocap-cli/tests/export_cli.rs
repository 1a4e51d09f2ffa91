//! `mocap export-glb` end to end on a real BVH take (needs `MOCAP_TEST_DATA`; skips with a notice
//! when unset, fails when the file is missing): the GLB parses back with every joint named, and
//! the Khronos glTF validator (npm `gltf-validator`, found by `mocap_testkit::npm_package`:
//! skipped with a notice locally when it or `node` is absent, failed under `CI=true`) reports no
//! errors.

use std::path::Path;
use std::process::Command;

mod common;
use mocap_testkit::data;

/// Runs the validator script; `(numErrors, numWarnings, messages)`.
fn validate(modules: &Path, glb: &Path) -> (u64, u64, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gltf_validate.js");
    let v = common::node_json(modules, &script, &[glb]);
    (
        v["numErrors"].as_u64().expect("numErrors"),
        v["numWarnings"].as_u64().expect("numWarnings"),
        v["messages"].to_string(),
    )
}

#[test]
fn bandai_walk_exports_a_valid_glb() {
    let Some(input) = data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("walk.glb");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(["export-glb"])
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run mocap");
    assert!(
        run.status.success(),
        "mocap export-glb failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    let bytes = std::fs::read(&out).expect("GLB written");
    assert_eq!(&bytes[..4], b"glTF");
    let src = mocap_formats::bvh::read_path(&input).expect("read BVH");
    let doc: serde_json::Value = {
        let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
        serde_json::from_slice(&bytes[20..20 + len]).expect("JSON chunk")
    };
    let nodes = doc["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), src.skeleton.joints.len() + 1);
    for (j, joint) in src.skeleton.joints.iter().enumerate() {
        assert_eq!(nodes[j]["name"], joint.name.as_str());
    }
    let anim = &doc["animations"][0];
    assert_eq!(anim["name"], "bandai_dataset-1_walk_normal_001");
    let times = &doc["accessors"][anim["samplers"][0]["input"].as_u64().expect("input") as usize];
    assert_eq!(times["count"], src.motion.frame_count());

    assert_valid(&out);
}

/// Asserts that the Khronos validator reports no errors for `glb` (a recorded skip when the
/// validator or node is absent; a failure under `CI=true`).
fn assert_valid(glb: &Path) {
    let Some(modules) = mocap_testkit::npm_package("gltf-validator") else {
        return;
    };
    let (errors, warnings, messages) = validate(&modules, glb);
    eprintln!("gltf-validator: {errors} errors, {warnings} warnings {messages}");
    assert_eq!(errors, 0, "glTF validator errors: {messages}");
}

#[test]
fn cmu_asf_amc_exports_a_valid_glb() {
    let (Some(asf), Some(amc)) = (
        data("c3d_plus_skeleton/cmu_subject39_walk/39.asf"),
        data("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("cmu.glb");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("export-glb")
        .arg(&amc)
        .arg("--skeleton")
        .arg(&asf)
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run mocap");
    assert!(
        run.status.success(),
        "mocap export-glb failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_valid(&out);
}

#[test]
fn amc_without_skeleton_is_one_error_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let amc = dir.path().join("x.amc");
    std::fs::write(&amc, ":FULLY-SPECIFIED\n:DEGREES\n").expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("export-glb")
        .arg(&amc)
        .arg("-o")
        .arg(dir.path().join("x.glb"))
        .output()
        .expect("run mocap");
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("--skeleton"),
        "{err}"
    );
}
