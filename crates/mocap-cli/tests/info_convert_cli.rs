//! `mocap info` and `mocap convert`: the JSON contract on real files, conversions that round trip,
//! and the error contract (exit 1, one `error:` line, never 101).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mocap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

fn data() -> Option<PathBuf> {
    mocap_testkit::data_dir()
}

fn need(root: &Path, rel: &str) -> String {
    let p = root.join(rel);
    assert!(p.is_file(), "test data missing: {}", p.display());
    p.to_str().expect("utf-8 path").to_string()
}

fn json_ok(args: &[&str]) -> Value {
    let out = mocap(args);
    assert!(
        out.status.success(),
        "mocap {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object on stdout")
}

fn assert_error_contract(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1), "exit code must be 1");
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one stderr line, got: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(
        err.contains(needle),
        "error should mention {needle:?}: {err}"
    );
}

#[test]
fn c3d_info_json_matches_the_reference_reader() {
    let Some(root) = data() else { return };
    let file = need(&root, "c3d/c3d_org/sample_01/Eb015pi.c3d");
    let v = json_ok(&["info", "--json", &file]);
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("c3d/expected_reference_reader_output.json")).unwrap(),
    )
    .unwrap();
    let exp = &expected["c3d_org/sample_01/Eb015pi.c3d"];
    assert_eq!(v["format"], "c3d");
    assert_eq!(v["frames"], exp["frames"]);
    assert_eq!(v["first_frame"], 1);
    assert_eq!(v["rate_hz"].as_f64(), exp["point_rate"].as_f64());
    assert_eq!(v["units"], "mm");
    assert_eq!(v["markers"], exp["point_labels"]);
    assert_eq!(v["analog"]["channels"], exp["n_analog"]);
    assert_eq!(v["analog"]["rate_hz"].as_f64(), exp["analog_rate"].as_f64());
    assert_eq!(v["analog"]["labels"], exp["analog_labels"]);
    let ours = v["first_frame_xyz"].as_array().unwrap();
    let theirs = exp["first_frame_xyz"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len());
    for (o, t) in ours.iter().zip(theirs) {
        if t[0].is_null() {
            assert!(o.is_null(), "gap expected, got {o}");
            continue;
        }
        for k in 0..3 {
            let (a, b) = (o[k].as_f64().unwrap(), t[k].as_f64().unwrap());
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }
    let vf = v["valid_fraction"].as_f64().unwrap();
    let total = 450.0 * 26.0;
    let nan_points = exp["point_nan_count"].as_f64().unwrap() / 3.0;
    assert!(
        (vf - (total - nan_points) / total).abs() < 1e-9,
        "valid_fraction {vf}"
    );
    assert!(
        !v["events"].as_array().unwrap().is_empty(),
        "Eb015pi has gait events"
    );
}

#[test]
fn bvh_and_amc_info_json() {
    let Some(root) = data() else { return };
    let bvh = need(&root, "bvh/bandai_dataset-1_walk_normal_001.bvh");
    let v = json_ok(&["info", "--json", &bvh]);
    assert_eq!(v["format"], "bvh");
    assert_eq!(v["frames"], 195);
    assert!((v["frame_time_s"].as_f64().unwrap() - 0.0333333).abs() < 1e-9);
    assert_eq!(v["joints"].as_array().unwrap().len(), 22);
    assert_eq!(v["joints"][0], "joint_Root");
    assert_eq!(v["channels"], 132);

    let asf = need(&root, "c3d_plus_skeleton/cmu_subject39_walk/39.asf");
    let amc = need(&root, "c3d_plus_skeleton/cmu_subject39_walk/39_01.amc");
    let v = json_ok(&["info", "--json", "--skeleton", &asf, &amc]);
    assert_eq!(v["format"], "amc");
    assert_eq!(v["frames"], 378);
    assert_eq!(v["joints"][0], "root");
    assert_eq!(v["channels"], 62);
}

#[test]
fn c3d_to_trc_to_c3d_keeps_the_markers() {
    let Some(root) = data() else { return };
    let c3d = need(&root, "c3d_plus_skeleton/cmu_02_01_walk/02_01.c3d");
    let dir = tempfile::tempdir().unwrap();
    let trc = dir.path().join("take.trc");
    let back = dir.path().join("back.c3d");
    let trc_s = trc.to_str().unwrap();
    assert!(mocap(&["convert", &c3d, trc_s]).status.success());
    assert!(
        mocap(&["convert", trc_s, back.to_str().unwrap()])
            .status
            .success()
    );
    let a = json_ok(&["info", "--json", &c3d]);
    let t = json_ok(&["info", "--json", trc_s]);
    let b = json_ok(&["info", "--json", back.to_str().unwrap()]);
    for v in [&t, &b] {
        assert_eq!(v["frames"], a["frames"]);
        assert_eq!(v["markers"], a["markers"]);
        assert_eq!(v["rate_hz"], a["rate_hz"]);
        assert_eq!(v["valid_fraction"], a["valid_fraction"]);
        for (p, q) in v["first_frame_xyz"]
            .as_array()
            .unwrap()
            .iter()
            .zip(a["first_frame_xyz"].as_array().unwrap())
        {
            assert_eq!(p.is_null(), q.is_null());
            if !p.is_null() {
                for k in 0..3 {
                    // TRC stores text with limited decimals.
                    assert!((p[k].as_f64().unwrap() - q[k].as_f64().unwrap()).abs() < 1e-3);
                }
            }
        }
    }
}

#[test]
fn amc_to_bvh_conversion_reads_back() {
    let Some(root) = data() else { return };
    let asf = need(&root, "c3d_plus_skeleton/cmu_subject39_walk/39.asf");
    let amc = need(&root, "c3d_plus_skeleton/cmu_subject39_walk/39_01.amc");
    let dir = tempfile::tempdir().unwrap();
    let bvh = dir.path().join("39_01.bvh");
    let out = mocap(&["convert", "--skeleton", &asf, &amc, bvh.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_ok(&["info", "--json", bvh.to_str().unwrap()]);
    assert_eq!(v["format"], "bvh");
    assert_eq!(v["frames"], 378);
    assert!((v["frame_time_s"].as_f64().unwrap() - 1.0 / 120.0).abs() < 1e-6);
    assert!(
        v["joints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j == "lfemur")
    );
}

#[test]
fn bad_input_gives_one_error_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    // A 40-byte file that claims to be a C3D.
    let c3d = dir.path().join("tiny.c3d");
    let mut bytes = vec![0u8; 40];
    bytes[0] = 2;
    bytes[1] = 0x50;
    std::fs::write(&c3d, &bytes).unwrap();
    assert_error_contract(
        &mocap(&["info", "--json", c3d.to_str().unwrap()]),
        "tiny.c3d",
    );

    let bvh = dir.path().join("broken.bvh");
    std::fs::write(&bvh, "HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0\n").unwrap();
    assert_error_contract(&mocap(&["info", bvh.to_str().unwrap()]), "broken.bvh");

    let missing = dir.path().join("missing.trc");
    assert_error_contract(&mocap(&["info", missing.to_str().unwrap()]), "missing.trc");

    let odd = dir.path().join("take.xyz");
    std::fs::write(&odd, "x").unwrap();
    assert_error_contract(
        &mocap(&["info", odd.to_str().unwrap()]),
        "unknown file type",
    );

    let amc = dir.path().join("walk.amc");
    std::fs::write(&amc, ":FULLY-SPECIFIED\n").unwrap();
    assert_error_contract(&mocap(&["info", amc.to_str().unwrap()]), "--skeleton");

    let out = dir.path().join("out.c3d");
    assert_error_contract(
        &mocap(&["convert", bvh.to_str().unwrap(), out.to_str().unwrap()]),
        "cannot convert",
    );
    assert!(!out.exists(), "nothing written on failure");
}

/// The workspace has one file classifier (`mocap_formats::FileKind`) and one subtitle-extension
/// list (`subtitles::Format::EXTENSIONS`): every extension the subtitle reader knows classifies
/// as a subtitle file.
#[test]
fn every_subtitle_extension_classifies_as_subtitles() {
    for ext in subtitles::Format::EXTENSIONS {
        assert_eq!(
            mocap_formats::FileKind::from_extension(ext),
            Some(mocap_formats::FileKind::Subtitle),
            ".{ext}"
        );
    }
}

/// `mocap convert MOTION OUT.trc --skeleton X.asf --like TAKE.c3d`: every joint as a marker
/// named after it, in the take's world, unit and rate; 39_01's knees, ankles, elbows and root
/// land on Vicon's joint centres in the take (within 1 mm on every frame).
#[test]
fn amc_to_trc_like_its_take_lands_on_vicon_joint_centres() {
    use mocap_formats::{c3d, trc};
    let Some(root) = data() else { return };
    let dir_rel = "c3d_plus_skeleton/cmu_subject39_walk";
    let (asf, amc, take) = (
        need(&root, &format!("{dir_rel}/39.asf")),
        need(&root, &format!("{dir_rel}/39_01.amc")),
        need(&root, &format!("{dir_rel}/39_01.c3d")),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("joints.trc");
    let run = mocap(&[
        "convert",
        &amc,
        out.to_str().expect("utf-8"),
        "--skeleton",
        &asf,
        "--like",
        &take,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let t = trc::read_path(&out).expect("read the TRC").markers;
    let c = c3d::read_path(Path::new(&take)).expect("take").points;
    assert_eq!(t.unit, c.unit);
    assert_eq!(t.rate, c.rate);
    assert_eq!(t.frame_count(), c.frame_count());
    assert!(
        t.labels.iter().any(|l| l == "lfemur") && t.labels.len() == 31,
        "{:?}",
        t.labels
    );
    for (joint, centre) in [
        ("root", "PEL0"),
        ("ltibia", "LFE0"),
        ("rtibia", "RFE0"),
        ("lfoot", "LTI0"),
        ("rfoot", "RTI0"),
        ("lradius", "LHU0"),
        ("rradius", "RHU0"),
    ] {
        let j = t
            .labels
            .iter()
            .position(|l| l == joint)
            .expect("joint marker");
        let v = c
            .labels
            .iter()
            .position(|l| l.ends_with(&format!(":{centre}")))
            .expect("Vicon centre");
        for f in 0..c.frame_count() {
            let (Some(p), Some(q)) = (t.position(f, j), c.position(f, v)) else {
                continue;
            };
            let d = (0..3).map(|k| (p[k] - q[k]).powi(2)).sum::<f32>().sqrt();
            assert!(d <= 1.0, "frame {f}: {joint} is {d} mm from {centre}");
        }
    }
}
