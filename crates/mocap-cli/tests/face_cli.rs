//! `mocap face info|convert` end to end on a generated Live Link Face CSV take.

use std::process::Command;

fn mocap(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

/// 90 frames at 30 fps from 01:00:00:00: jawOpen ramps 0 → 0.89, one weight is 1.3 (clamped),
/// HeadYaw is −0.2 rad throughout; MouthClose is absent.
fn take_csv() -> String {
    let mut s =
        String::from("Timecode,BlendShapeCount,JawRight,JawLeft,JawOpen,EyeBlinkLeft,HeadYaw\n");
    for f in 0..90 {
        let blink = if f == 40 { "1.3" } else { "0.1" };
        s += &format!(
            "01:00:{:02}:{:02}.000,61,0.0,0.25,{},{blink},-0.2\n",
            f / 30,
            f % 30,
            f as f32 / 100.0
        );
    }
    s
}

#[test]
fn face_info_reports_channels_rate_duration_timecode_and_ranges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("take.csv");
    std::fs::write(&csv, take_csv()).expect("write");
    let out = mocap(&[
        "face".as_ref(),
        "info".as_ref(),
        "--json".as_ref(),
        csv.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["format"], "live_link_face");
    assert_eq!(v["frames"], 90);
    assert_eq!(v["rate"], "30/1");
    assert_eq!(v["rate_inferred"], true);
    assert_eq!(v["duration_s"], 3.0);
    assert_eq!(v["start_timecode"], "01:00:00:00");
    assert_eq!(v["end_timecode"], "01:00:02:29");
    assert_eq!(v["arkit_channels"], 4);
    assert_eq!(v["rotation_channels"], 1);
    assert!(
        v["missing_arkit"]
            .as_array()
            .expect("list")
            .iter()
            .any(|m| m == "mouthClose")
    );
    let ch = |name: &str| {
        v["channels"]
            .as_array()
            .expect("channels")
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(ch("jawOpen")["max"], 0.89);
    assert_eq!(ch("jawLeft")["min"], 0.25);
    assert_eq!(ch("eyeBlinkLeft")["max"], 1.0);
    assert_eq!(ch("headYaw")["kind"], "rotation");
    assert_eq!(ch("headYaw")["mean"], -0.2);
    let warnings = v["warnings"].to_string();
    assert!(
        warnings.contains("1 weights outside 0–1 clamped (first: line 42"),
        "{warnings}"
    );

    // Convert to JSON and back to CSV: the same report.
    let json = dir.path().join("take.json");
    let csv2 = dir.path().join("again.csv");
    assert!(
        mocap(&[
            "face".as_ref(),
            "convert".as_ref(),
            csv.as_os_str(),
            json.as_os_str()
        ])
        .status
        .success()
    );
    assert!(
        mocap(&[
            "face".as_ref(),
            "convert".as_ref(),
            json.as_os_str(),
            csv2.as_os_str()
        ])
        .status
        .success()
    );
    let again = mocap(&[
        "face".as_ref(),
        "info".as_ref(),
        "--json".as_ref(),
        "--rate".as_ref(),
        "30".as_ref(),
        csv2.as_os_str(),
    ]);
    let w: serde_json::Value = serde_json::from_slice(&again.stdout).expect("JSON");
    assert_eq!(w["frames"], 90);
    assert_eq!(w["start_timecode"], "01:00:00:00");
    assert_eq!(w["channels"], v["channels"]);
}

#[test]
fn broken_face_take_is_one_error_line_with_the_line_number() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("cut.csv");
    let mut text = take_csv();
    text.truncate(text.len() - 12);
    std::fs::write(&csv, text).expect("write");
    let out = mocap(&["face".as_ref(), "info".as_ref(), csv.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: ") && err.contains("cut.csv: line 91"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn mocap_clean_runs_the_stacks_face_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("take.csv");
    std::fs::write(&csv, take_csv()).expect("write");
    let ops = dir.path().join("take.ops.ron");
    std::fs::write(
        &ops,
        "#![enable(implicit_some, unwrap_variant_newtypes)]\n(version: 1, face: [\n\
         (op: GainOffset(gain: 0.5, offset: 0.0), channels: Names([\"JawOpen\"])),\n\
         (op: FaceDespike(threshold: 0.3)),\n])\n",
    )
    .expect("write");
    let out = dir.path().join("clean.json");
    let run = mocap(&[
        "clean".as_ref(),
        csv.as_os_str(),
        "--ops".as_ref(),
        ops.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--json".as_ref(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let rep: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON");
    assert_eq!(rep["entries"][0]["samples_changed"], 89); // frame 0 stays 0
    // The clamped 1.3 blink at frame 40 (now 1.0 between 0.1s) is a spike.
    assert_eq!(rep["entries"][1]["samples_changed"], 1);
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&out).expect("output")).expect("JSON take");
    assert!((j["blendshapes"]["jawOpen"][80].as_f64().expect("value") - 0.4).abs() < 1e-6);
    assert!(
        (j["blendshapes"]["eyeBlinkLeft"][40]
            .as_f64()
            .expect("value")
            - 0.1)
            .abs()
            < 1e-6
    );
    // Without --ops: one clear error.
    let bad = mocap(&[
        "clean".as_ref(),
        csv.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--ops"));
}
