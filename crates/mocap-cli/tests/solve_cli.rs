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
    // With the markers where Vicon's poses put them our solve comes closer (upper bounds only:
    // coming within 15 mm of Vicon's joints must never fail a test).
    let again = num("reference_offsets_joint_rms_mm");
    assert!(again < j, "{r}");
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
    solved_bvh_opens_on_its_take(&out, &take);
    // `mocap convert` places the solved joints in the take's world the same way.
    let trc_out = dir.path().join("joints.trc");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("convert")
        .arg(&out)
        .arg(&trc_out)
        .arg("--like")
        .arg(&take)
        .output()
        .expect("run mocap");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let joints = mocap_formats::trc::read_path(&trc_out)
        .expect("trc")
        .markers;
    let t = mocap_formats::c3d::read_path(&take).expect("take").points;
    let root = joints
        .labels
        .iter()
        .position(|l| l == "root")
        .expect("root marker");
    let pelvis = t
        .labels
        .iter()
        .position(|l| l.ends_with(":PEL0"))
        .expect("PEL0");
    for f in 0..t.frame_count() {
        let (Some(p), Some(q)) = (joints.position(f, root), t.position(f, pelvis)) else {
            continue;
        };
        let d = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>().sqrt();
        assert!(d < 80.0, "frame {f}: solved root {d} mm from Vicon's PEL0");
    }
}

/// The solved BVH is in centimetres (as MotionBuilder and Blender read BVH): our reader's
/// default and the size guess agree, and, turned from BVH's Y up to the take's Z up, its root
/// stays among the take's markers on every frame.
fn solved_bvh_opens_on_its_take(bvh_path: &std::path::Path, take: &std::path::Path) {
    use mocap_data::LengthUnit;
    use mocap_formats::{bvh, c3d};
    let f = bvh::read_path(bvh_path).expect("read the solved BVH");
    assert_eq!(f.skeleton.unit, LengthUnit::Centimetre);
    let g = bvh::guess_unit(&f.skeleton);
    assert_eq!(g.unit, LengthUnit::Centimetre, "{}", g.reason);
    assert!(
        g.plausible && (1.4..2.1).contains(&g.size_m),
        "{}",
        g.reason
    );
    let mm = f.to_unit(LengthUnit::Millimetre);
    let mut joints = Vec::new();
    mocap_data::fk::world_positions(&mm.skeleton, &mm.motion, &mut joints);
    let nj = mm.skeleton.joints.len();
    let t = c3d::read_path(take).expect("take");
    assert_eq!(t.points.unit, LengthUnit::Millimetre);
    assert_eq!(t.points.frame_count(), mm.motion.frame_count());
    // Every frame: the root lies within 250 mm of the markers' centroid (the pelvis sits in
    // the middle of the body's markers), and every marker within 1.2 m of the root.
    for fr in 0..t.points.frame_count() {
        let valid: Vec<[f32; 3]> = (0..t.points.marker_count())
            .filter_map(|m| t.points.position(fr, m))
            .collect();
        let n = valid.len() as f32;
        let c = valid.iter().fold([0.0f32; 3], |a, p| {
            [a[0] + p[0] / n, a[1] + p[1] / n, a[2] + p[2] / n]
        });
        // BVH is Y-up; the take is Z-up: the standard right-handed turn places it.
        let r = joints[fr * nj];
        let root = f
            .skeleton
            .up_axis
            .convert_point(t.points.up_axis, [r[0] as f64, r[1] as f64, r[2] as f64])
            .map(|v| v as f32);
        let d = |p: [f32; 3]| {
            ((p[0] - root[0]).powi(2) + (p[1] - root[1]).powi(2) + (p[2] - root[2]).powi(2)).sqrt()
        };
        assert!(
            d(c) < 250.0,
            "frame {fr}: root {root:?}, markers' centroid {c:?}"
        );
        let far = valid.iter().map(|&p| d(p)).fold(0.0f32, f32::max);
        assert!(far < 1200.0, "frame {fr}: a marker {far} mm from the root");
    }
}
