//! `mocap clean` end to end: runs the binary on C3D files (synthetic, and real CMU data with
//! `MOCAP_TEST_DATA`) and checks the written file and the JSON report.

use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::c3d::{self, C3dFile};
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

fn gap(t: &mut MarkerTrajectories, m: usize, r: std::ops::Range<usize>) {
    for f in r {
        t.set_sample(f, m, MarkerSample::GAP);
    }
}

#[test]
fn linear_fill_of_a_synthetic_line_is_exact() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut t = MarkerTrajectories::new(
        vec!["A".into(), "B".into()],
        100,
        FrameRate::FPS_50,
        LengthUnit::Millimetre,
        UpAxis::Z,
    )
    .expect("take");
    for f in 0..100 {
        for m in 0..2 {
            t.set_sample(
                f,
                m,
                MarkerSample {
                    position: [2.0 * f as f32, 100.0 * m as f32, 50.0 - 0.5 * f as f32],
                    residual: 0.5,
                    camera_mask: 3,
                    valid: true,
                },
            );
        }
    }
    let truth = t.clone();
    gap(&mut t, 0, 20..30);
    gap(&mut t, 1, 40..95); // longer than --max-gap
    let input = dir.path().join("in.c3d");
    let output = dir.path().join("out.c3d");
    c3d::write_path(&C3dFile::from_trajectories(t), &input).expect("write");
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "linear",
        "--max-gap",
        "20",
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["summary"]["gaps_before"], 2);
    assert_eq!(j["summary"]["gaps_filled"], 1);
    assert_eq!(j["summary"]["frames_filled"], 10);
    assert_eq!(j["summary"]["gaps_left"], 1);
    assert_eq!(j["report"]["fill"]["gaps"][1]["skipped"], "too_long");
    // Per-marker gap lists before and after.
    assert_eq!(j["gaps_before"][0]["gaps"][0]["start"], 20);
    assert_eq!(j["gaps_before"][0]["gaps"][0]["len"], 10);
    assert_eq!(j["gaps_before"][1]["longest_gap"], 55);
    assert_eq!(j["gaps_before"][0]["valid_percent"], 90.0);
    assert_eq!(j["gaps_after"][0]["valid_percent"], 100.0);
    assert_eq!(j["gaps_after"][1]["gaps"].as_array().map(Vec::len), Some(1));
    let back = c3d::read_path(&output).expect("read output").points;
    for f in 20..30 {
        let p = back.position(f, 0).expect("filled");
        let q = truth.position(f, 0).expect("truth");
        for k in 0..3 {
            assert!((p[k] - q[k]).abs() < 1e-4, "frame {f}: {p:?} vs {q:?}");
        }
    }
    assert!(back.position(50, 1).is_none());
    // A frame range and a marker selection limit the work.
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "linear",
        "--max-gap",
        "100",
        "--frames",
        "0:50",
        "--markers",
        "B",
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["summary"]["gaps_filled"], 0, "B's gap runs past frame 50");
    assert_eq!(j["report"]["fill"]["gaps"][0]["skipped"], "outside_range");
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "linear",
        "--frames",
        "10:40",
        "--markers",
        "A",
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["summary"]["gaps_filled"], 1);
    assert_eq!(j["gaps_before"].as_array().map(Vec::len), Some(1));
    let out = mocap(&[
        "clean",
        s(&input),
        "--fill",
        "linear",
        "--frames",
        "40",
        "-o",
        s(&output),
    ]);
    assert_eq!(out.status.code(), Some(1));
    // The plain summary names what was done.
    let out = mocap(&["clean", s(&input), "--fill", "linear", "-o", s(&output)]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("gaps filled:   2"), "{text}");
}

#[test]
fn errors_exit_1_with_one_error_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let out_path = dir.path().join("o.c3d");
    for args in [
        vec![
            "clean",
            "/nonexistent/in.c3d",
            "--fill",
            "linear",
            "-o",
            s(&out_path),
        ],
        vec!["clean", "/nonexistent/in.c3d", "-o", s(&out_path)],
        vec![
            "clean",
            "/nonexistent/in.c3d",
            "--fill",
            "cubist",
            "-o",
            s(&out_path),
        ],
    ] {
        let out = mocap(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error"), "{args:?}: {err}");
    }
    // A cutoff above Nyquist is refused with advice.
    let input = dir.path().join("in.c3d");
    let t = MarkerTrajectories::new(
        vec!["A".into()],
        10,
        FrameRate::FPS_50,
        LengthUnit::Millimetre,
        UpAxis::Z,
    )
    .expect("take");
    c3d::write_path(&C3dFile::from_trajectories(t), &input).expect("write");
    let out = mocap(&["clean", s(&input), "--lowpass", "40", "-o", s(&out_path)]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Nyquist"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Index of the marker whose label ends with `suffix` (CMU labels carry a subject prefix).
fn find(t: &MarkerTrajectories, suffix: &str) -> usize {
    t.labels
        .iter()
        .position(|l| l.ends_with(suffix))
        .unwrap_or_else(|| panic!("no marker {suffix}"))
}

#[test]
fn rigid_fill_of_real_head_markers() {
    let Some(path) = data("c3d_plus_skeleton/cmu_02_01_walk/02_01.c3d") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut file = c3d::read_path(&path).expect("read");
    let truth = file.points.clone();
    let lfhd = find(&truth, "LFHD");
    gap(&mut file.points, lfhd, 100..160);
    let input = dir.path().join("gappy.c3d");
    let output = dir.path().join("filled.c3d");
    c3d::write_path(&file, &input).expect("write");
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "rigid",
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["summary"]["gaps_filled"], 1);
    let mut donors: Vec<String> = j["report"]["fill"]["gaps"][0]["donors"]
        .as_array()
        .expect("donors")
        .iter()
        .map(|d| {
            d.as_str()
                .expect("label")
                .rsplit(':')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    donors.sort();
    assert_eq!(
        donors,
        vec!["LBHD", "RBHD", "RFHD"],
        "the other head markers are the rigid donors"
    );
    let worst = |out: &Path| -> f32 {
        let back = c3d::read_path(out).expect("read output").points;
        (100..160)
            .map(|f| {
                let p = back.position(f, lfhd).expect("filled");
                let q = truth.position(f, lfhd).expect("truth");
                ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
            })
            .fold(0.0, f32::max)
    };
    let rigid = worst(&output);
    // The same gap filled by a spline through the neighbours, for comparison.
    let spline_out = dir.path().join("spline.c3d");
    json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "spline",
        "-o",
        s(&spline_out),
        "--json",
    ]));
    let spline = worst(&spline_out);
    eprintln!("LFHD 60-frame gap: rigid fill max error {rigid:.2} mm, spline {spline:.2} mm");
    // The head markers wobble 1–2 mm relative to each other, so a rigid fill is not exact here,
    // but it follows the head far better than an interpolation.
    assert!(rigid < 10.0, "{rigid} mm");
    assert!(
        rigid * 2.0 < spline,
        "rigid {rigid} mm vs spline {spline} mm"
    );
    // Explicit donors override; with too few visible donors the gap is left alone.
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fill",
        "rigid",
        "--donors",
        &format!(
            "{},{}",
            truth.labels[find(&truth, "RFHD")],
            truth.labels[find(&truth, "LBHD")]
        ),
        "-o",
        s(&output),
        "--json",
    ]));
    assert_eq!(j["report"]["fill"]["gaps"][0]["skipped"], "no_donors");
}

#[test]
fn swaps_and_spikes_on_real_markers() {
    let Some(path) = data("c3d_plus_skeleton/cmu_02_01_walk/02_01.c3d") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let mut file = c3d::read_path(&path).expect("read");
    let truth = file.points.clone();
    // Swap the left and right knee markers for 40 frames, and spike the right ankle marker.
    let (a, b) = (find(&truth, "LKNE"), find(&truth, "RKNE"));
    for f in 150..190 {
        let sa = file.points.sample(f, a);
        let sb = file.points.sample(f, b);
        file.points.set_sample(f, a, sb);
        file.points.set_sample(f, b, sa);
    }
    let rank = find(&truth, "RANK");
    let mut sp = file.points.sample(80, rank);
    sp.position[2] += 60.0;
    file.points.set_sample(80, rank, sp);
    let input = dir.path().join("messy.c3d");
    let output = dir.path().join("clean.c3d");
    c3d::write_path(&file, &input).expect("write");
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fix-swaps",
        "--despike",
        "-o",
        s(&output),
        "--json",
    ]));
    eprintln!("{}", j["summary"]);
    assert_eq!(j["summary"]["swaps_fixed"], 2);
    let spikes = j["report"]["despike"]["spikes"].as_array().expect("spikes");
    assert!(
        spikes
            .iter()
            .any(|x| x["marker"] == rank && x["frame"] == 80),
        "{spikes:?}"
    );
    let back = c3d::read_path(&output).expect("read output").points;
    for f in 0..truth.frame_count() {
        assert_eq!(back.position(f, a), truth.position(f, a), "frame {f}");
        assert_eq!(back.position(f, b), truth.position(f, b), "frame {f}");
    }
    assert!(back.position(80, rank).is_none(), "the spike became a gap");
    // Real walking data without injected spikes: few false detections (< 0.1% of samples).
    let spikes_elsewhere = spikes.iter().filter(|x| x["marker"] != rank).count();
    assert!(
        spikes_elsewhere * 1000 < truth.frame_count() * truth.marker_count(),
        "{spikes_elsewhere}"
    );
    // Everything together, low-pass last.
    let j = json_of(&mocap(&[
        "clean",
        s(&input),
        "--fix-swaps",
        "--despike",
        "--fill",
        "spline",
        "--max-gap",
        "10",
        "--lowpass",
        "6",
        "--order",
        "4",
        "-o",
        s(&output),
        "--json",
    ]));
    // Spikes removed at the last frames leave gaps at the end of the take, which a spline
    // (needing samples on both sides) leaves alone; every other gap is filled.
    let left: Vec<&Value> = j["report"]["fill"]["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .filter(|g| !g["skipped"].is_null())
        .collect();
    assert_eq!(j["summary"]["gaps_left"], left.len());
    assert!(
        left.iter().all(|g| g["skipped"] == "at_take_edge"),
        "{left:?}"
    );
    assert!(j["summary"]["lowpass_runs"].as_u64().expect("runs") >= truth.marker_count() as u64);
    assert_eq!(j["params"]["lowpass"]["cutoff_hz"], 6.0);
}
