//! Face takes: Live Link Face CSV by name, generic CSV, JSON, writer round trips, bad input.

use mocap_data::face::{ARKIT_BLENDSHAPES, FACE_ROTATIONS};
use mocap_data::{FaceCurves, FrameRate, Timecode, TimecodeFormat};
use mocap_formats::face::{
    FaceLayout, FaceReadOptions, LIVE_LINK_FACE_CSV_COLUMNS, read_csv, read_json, to_json,
    write_csv,
};

/// A Live Link Face CSV in the app's column order: column c of row r holds (c + 1) / 100 + r / 1000
/// for weights and −(c + 1) / 100 for rotations.
fn llf_csv(rows: usize) -> String {
    let mut s = String::from("Timecode,BlendShapeCount");
    for c in LIVE_LINK_FACE_CSV_COLUMNS {
        s += ",";
        s += c;
    }
    s += "\n";
    for r in 0..rows {
        let start = (17 * 3600 + 25 * 60 + 4) * 60 + 50; // 17:25:04:50 at 60 fps
        let tc = Timecode::from_frame_count(start + r as i64, TimecodeFormat::ndf(60));
        s += &format!("{tc}.418,61");
        for c in 0..61 {
            let v = if c < 52 {
                (c + 1) as f32 / 100.0 + (r % 100) as f32 / 1000.0
            } else {
                -((c + 1) as f32) / 100.0
            };
            s += &format!(",{v}");
        }
        s += "\r\n";
    }
    s
}

#[test]
fn live_link_face_columns_are_mapped_by_name() {
    let take = read_csv(llf_csv(5).as_bytes(), FaceReadOptions::default()).unwrap();
    let c = &take.curves;
    assert_eq!(take.layout, FaceLayout::LiveLinkFace);
    assert_eq!(c.frame_count(), 5);
    assert_eq!(c.blendshapes.len(), 52);
    assert_eq!(c.rotations.len(), 9);
    // Canonical (UDP) order, whatever the CSV order was.
    for (curve, name) in c.blendshapes.iter().zip(ARKIT_BLENDSHAPES) {
        assert_eq!(curve.name, name);
    }
    // JawRight is CSV column 16 (1-based among values), JawLeft 17: by name, not position.
    let jaw_right = c.curve("jawRight").unwrap().values[0];
    let jaw_left = c.curve("jawLeft").unwrap().values[0];
    assert!((jaw_right - 0.16).abs() < 1e-6 && (jaw_left - 0.17).abs() < 1e-6);
    assert!((c.curve("mouthLeft").unwrap().values[3] - (0.23 + 0.003)).abs() < 1e-6);
    assert!((c.curve("RightEyeRoll").unwrap().values[2] + 0.61).abs() < 1e-6);
    // The timecodes reach frame 54, so the rate is 60 (inferred, with a warning).
    assert_eq!(c.rate, FrameRate::FPS_60);
    assert!(take.rate_inferred);
    assert!(take.warnings.iter().any(|w| w.contains("60 fps assumed")));
    assert_eq!(c.start_timecode.unwrap().to_string(), "17:25:04:50");
    // A given rate wins.
    let t = read_csv(
        llf_csv(2).as_bytes(),
        FaceReadOptions {
            rate: Some(FrameRate::FPS_60),
        },
    )
    .unwrap();
    assert!(!t.rate_inferred && t.warnings.is_empty());
}

#[test]
fn writer_round_trips_through_csv_and_json() {
    let mut f = FaceCurves::zeros_arkit(FrameRate::FPS_30, 40);
    for (i, c) in f.blendshapes.iter_mut().enumerate() {
        for (k, v) in c.values.iter_mut().enumerate() {
            *v = ((i * 7 + k * 3) % 101) as f32 / 100.0;
        }
    }
    f.rotations = FACE_ROTATIONS
        .iter()
        .map(|n| mocap_data::Curve {
            name: n.to_string(),
            values: (0..40).map(|k| (k as f32 - 20.0) / 50.0).collect(),
        })
        .collect();
    f.start_timecode = Some(Timecode::parse("01:02:03:04", 30).unwrap());
    let mut csv = Vec::new();
    write_csv(&f, &mut csv).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with("Timecode,BlendShapeCount,EyeBlinkLeft,"));
    assert!(text.contains(",JawRight,JawLeft,"));
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .starts_with("01:02:03:04.000,61,")
    );
    let back = read_csv(
        &csv,
        FaceReadOptions {
            rate: Some(FrameRate::FPS_30),
        },
    )
    .unwrap()
    .curves;
    assert_eq!(back.start_timecode, f.start_timecode);
    for (a, b) in back
        .blendshapes
        .iter()
        .chain(&back.rotations)
        .zip(f.blendshapes.iter().chain(&f.rotations))
    {
        assert_eq!(a.name, b.name);
        for (x, y) in a.values.iter().zip(&b.values) {
            assert!((x - y).abs() < 1e-6);
        }
    }
    let json = to_json(&f);
    let j = read_json(json.as_bytes(), FaceReadOptions::default()).unwrap();
    assert_eq!(j.layout, FaceLayout::Json);
    assert_eq!(j.curves, f);
}

#[test]
fn generic_csv_takes_rate_from_time_and_keeps_unknown_names() {
    let csv = "time,blendShape1.jawOpen,EyeBlink_L,custom_smirk\n\
               0.0,0.1,0.0,0.5\n0.02,0.2,1.0,0.5\n0.04,0.3,0.5,0.5\n";
    let t = read_csv(csv.as_bytes(), FaceReadOptions::default()).unwrap();
    assert_eq!(t.layout, FaceLayout::GenericCsv);
    assert_eq!(t.curves.rate, FrameRate::FPS_50);
    let names: Vec<_> = t
        .curves
        .blendshapes
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["eyeBlinkLeft", "jawOpen", "custom_smirk"]);
    assert!(t.warnings.iter().any(|w| w.contains("custom_smirk")));
    assert_eq!(t.curves.curve("jawOpen").unwrap().values, [0.1, 0.2, 0.3]);
}

#[test]
fn bad_values_are_clamped_or_held_with_warnings() {
    let csv = "jawOpen,eyeBlinkLeft,headYaw\n0.5,1.4,0.1\n,-0.2,NaN\n0.7,nan,-3.0\n";
    let t = read_csv(csv.as_bytes(), FaceReadOptions::default()).unwrap();
    let c = &t.curves;
    assert_eq!(c.curve("jawOpen").unwrap().values, [0.5, 0.5, 0.7]);
    assert_eq!(c.curve("eyeBlinkLeft").unwrap().values, [1.0, 0.0, 0.0]);
    // Rotations are not clamped (radians), only held.
    assert_eq!(c.curve("headYaw").unwrap().values, [0.1, 0.1, -3.0]);
    let w = t.warnings.join("\n");
    assert!(
        w.contains("2 weights outside 0–1 clamped (first: line 2, eyeBlinkLeft = 1.4)"),
        "{w}"
    );
    assert!(w.contains("3 missing or non-finite values"), "{w}");
}

#[test]
fn malformed_files_are_errors_with_lines() {
    let opts = FaceReadOptions::default();
    let err = |s: &str| read_csv(s.as_bytes(), opts).unwrap_err().to_string();
    let e = err("jawOpen,mouthClose\n0.1,0.2\n0.3\n");
    assert!(
        e.contains("line 3") && e.contains("row has 1 cells but the header has 2"),
        "{e}"
    );
    let e = err("jawOpen,mouthClose\n0.1,zero\n");
    assert!(
        e.contains("line 2, column 2") && e.contains("\"zero\" is not a number"),
        "{e}"
    );
    let e = err("jawOpen,mouthClose\n0.1,0.2,0.3\n");
    assert!(e.contains("line 2, column 3"), "{e}");
    let e = err("Timecode,Foo,Bar\n00:00:00:00,1,2\n");
    assert!(e.contains("no face channel"), "{e}");
    let e = err("Timecode,JawOpen\n00:00:0x:00,0.2\n");
    assert!(
        e.contains("line 2, column 1") && e.contains("timecode"),
        "{e}"
    );
    let e = err("jawOpen,JawOpen\n");
    assert!(e.contains("same channel"), "{e}");
    let e = err("jawOpen\n0.1\n\n0.2\n");
    assert!(e.contains("blank line"), "{e}");
    assert!(read_json(b"{\"blendshapes\":{\"jawOpen\":[0.1,\"x\"]}}", opts).is_err());
    assert!(
        read_json(
            b"{\"blendshapes\":{\"jawOpen\":[0.1],\"mouthClose\":[]}}",
            opts
        )
        .is_err()
    );
    assert!(read_json(b"[1,2", opts).is_err());
}

#[test]
fn large_files_parse_in_chunks_with_correct_line_numbers() {
    // Over 1 MiB so the parallel path runs; an error deep in the file still names its line.
    let mut s = llf_csv(3000);
    let good = read_csv(s.as_bytes(), FaceReadOptions::default()).unwrap();
    assert_eq!(good.curves.frame_count(), 3000);
    assert!(
        (good.curves.curve("jawOpen").unwrap().values[2999] - (0.18 + 2.999)).clamp(-1.0, 1.0)
            <= 0.0
    );
    let cut = s.rfind('\n').unwrap();
    let cut = s[..cut - 1].rfind('\n').unwrap();
    s.truncate(cut + 40);
    let e = read_csv(s.as_bytes(), FaceReadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("line 3001"), "{e}");
}

proptest::proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
        let _ = read_csv(&data, FaceReadOptions::default());
        let _ = read_json(&data, FaceReadOptions::default());
        let mut with_header = b"Timecode,BlendShapeCount,JawOpen,HeadYaw\n".to_vec();
        with_header.extend_from_slice(&data);
        let _ = read_csv(&with_header, FaceReadOptions::default());
    }
}

#[test]
fn a_file_over_16_mib_reads_in_pieces_like_the_bytes_in_memory() {
    // 90 000 rows of the 52 ARKit weights (~19 MB: the file is read by a thread per core), one
    // empty cell, two weights out of range, in different curves far apart.
    let names: Vec<String> = ARKIT_BLENDSHAPES
        .iter()
        .map(|n| mocap_data::face::pascal_case(n))
        .collect();
    let mut s = names.join(",") + "\n";
    let col = |n: &str| ARKIT_BLENDSHAPES.iter().position(|x| *x == n).unwrap();
    for r in 0..90_000usize {
        for c in 0..52 {
            if c > 0 {
                s.push(',');
            }
            match (r, c) {
                (25_000, c) if c == col("mouthClose") => {}
                (30_000, c) if c == col("browInnerUp") => s.push_str("1.5"),
                (31_000, c) if c == col("jawOpen") => s.push_str("-0.7"),
                _ => s.push_str(if (r + c) % 3 == 0 { "0" } else { "0.25" }),
            }
        }
        s.push('\n');
    }
    assert!(s.len() > 16 << 20);
    let dir = std::env::temp_dir().join(format!("mocap-face-big-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.csv");
    std::fs::write(&path, &s).unwrap();
    let opts = FaceReadOptions {
        rate: Some(FrameRate::FPS_60),
    };
    let from_file = mocap_formats::face::read_path(&path, opts).unwrap();
    let in_memory = read_csv(s.as_bytes(), opts).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(from_file.curves, in_memory.curves);
    assert_eq!(from_file.curves.frame_count(), 90_000);
    let w = in_memory.warnings.join("\n");
    assert!(
        w.contains("1 missing or non-finite values held from the previous frame (first: line 25002, mouthClose)"),
        "{w}"
    );
    assert!(
        // "First" in column order, as the serial pass found it.
        w.contains("2 weights outside 0–1 clamped (first: line 31002, jawOpen = -0.7)"),
        "{w}"
    );
    let c = |n: &str, r: usize| in_memory.curves.curve(n).unwrap().values[r];
    assert_eq!(c("mouthClose", 25_000), c("mouthClose", 24_999));
    assert_eq!((c("browInnerUp", 30_000), c("jawOpen", 31_000)), (1.0, 0.0));
    assert_eq!(
        c("jawOpen", 89_999),
        if 89_999 % 3 == 0 { 0.0 } else { 0.25 }
    );
}
