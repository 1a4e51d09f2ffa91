//! `mocap solve` on real data: the report's contract fields, the BVH's joint names, and the
//! comparison with Vicon's own solve (`--reference`), including the rigid-marker fit of both.

use std::process::Command;

#[test]
fn solve_cmu_39_01_writes_the_report_contract() {
    let (Some(take), Some(asf), Some(amc)) = (
        mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d"),
        mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39.asf"),
        mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("o.bvh");
    let rep = dir.path().join("r.json");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("solve")
        .arg(&take)
        .args(["--markerset", "cmu41", "--skeleton"])
        .arg(&asf)
        .arg("--reference")
        .arg(&amc)
        .arg("-o")
        .arg(&out)
        .arg("--report")
        .arg(&rep)
        .output()
        .expect("run mocap");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("markers as rigid points"), "{stderr}");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&rep).expect("report")).expect("json");
    let num = |k: &str| {
        r[k].as_f64()
            .unwrap_or_else(|| panic!("{k} missing in {r}"))
    };
    assert_eq!(num("frames_solved"), 378.0);
    assert_eq!(num("frames_failed"), 0.0);
    assert!(num("marker_rms_mm") <= 5.5 && num("marker_max_mm") >= num("marker_rms_mm"));
    assert!(num("solve_fps") > 0.0);
    assert_eq!(
        r["per_marker_rms_mm"].as_object().map(|o| o.len()),
        Some(41)
    );
    assert!(num("joint_rms_mm") <= 22.8 && num("joint_max_mm") >= num("joint_rms_mm"));
    // Ours follows the markers as rigid points; Vicon's poses do not (see solve_cmu_real.rs).
    assert!(num("marker_fit_rms_mm") <= 6.0, "{r}");
    assert!(num("reference_marker_fit_rms_mm") >= 15.0, "{r}");
    // The joint difference splits into a constant and a varying part (squares add up).
    let (c, v, j) = (
        num("joint_constant_rms_mm"),
        num("joint_varying_rms_mm"),
        num("joint_rms_mm"),
    );
    assert!((c * c + v * v - j * j).abs() < 1e-6 * j * j, "{r}");
    // With the markers where Vicon's poses put them our solve comes closer, but not to 15 mm.
    let again = num("reference_offsets_joint_rms_mm");
    assert!(again < j && again >= 15.0, "{r}");
    assert!(num("reference_offsets_marker_rms_mm") <= 10.0, "{r}");
    assert!(
        stderr.contains("where the reference's poses put them"),
        "{stderr}"
    );
    assert_eq!(
        r["reference_per_marker_fit_mm"]
            .as_object()
            .map(|o| o.len()),
        Some(41)
    );
    // Joint names are the ASF's bone names.
    let bvh = std::fs::read_to_string(&out).expect("bvh");
    for j in [
        "ROOT root",
        "JOINT lowerback",
        "JOINT rhumerus",
        "JOINT ltibia",
    ] {
        assert!(bvh.contains(j), "{j} missing from the BVH");
    }
}
