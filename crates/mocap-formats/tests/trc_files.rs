//! TRC reader and writer: an OpenSim-format snippet with gaps, generated round trips, malformed
//! input, and never panicking on mutated input.

use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::{FormatError, Location, trc};
use proptest::prelude::*;

/// OpenSim layout (as in its `subject01_walk1.trc` example), 3 markers × 4 frames, with an empty
/// gap (frame 2, marker 2), a `NaN` gap (frame 3, marker 1) and a row whose trailing gap cells
/// are omitted (frame 4, marker 3). Marker names contain spaces and dots.
const OPENSIM: &str = "PathFileType\t4\t(X/Y/Z)\tsubject01_walk1.trc\n\
DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n\
60.00\t60.00\t4\t3\tmm\t60.00\t10\t150\n\
Frame#\tTime\tR.ASIS\t\t\tL.ASIS\t\t\tV Sacral\t\t\n\
\t\tX1\tY1\tZ1\tX2\tY2\tZ2\tX3\tY3\tZ3\n\
\n\
10\t0.15\t1002.5\t923.45\t-105.2\t989.1\t920.3\t106.7\t900\t930\t0.5\n\
11\t0.166667\t1003.5\t924.45\t-104.2\t\t\t\t901\t931\t1.5\n\
12\t0.183333\tNaN\tNaN\tNaN\t991.1\t922.3\t108.7\t902\t932\t2.5\n\
13\t0.2\t1005.5\t926.45\t-102.2\t992.1\t923.3\t109.7\n";

#[test]
fn opensim_snippet_with_gaps() {
    for text in [OPENSIM.to_string(), OPENSIM.replace('\n', "\r\n")] {
        let f = trc::parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let m = &f.markers;
        assert_eq!(m.labels, ["R.ASIS", "L.ASIS", "V Sacral"]);
        assert_eq!(m.frame_count(), 4);
        assert_eq!(m.rate, FrameRate::FPS_60);
        assert_eq!(m.unit, LengthUnit::Millimetre);
        assert_eq!(m.up_axis, UpAxis::Y);
        assert_eq!(m.first_frame, 10);
        assert_eq!(f.path_file_type, "4");
        assert_eq!(f.axes_label, "(X/Y/Z)");
        assert_eq!(f.file_name, "subject01_walk1.trc");
        assert_eq!(f.orig_data_start_frame, 10);
        assert_eq!(f.orig_num_frames, 150);
        assert_eq!(f.units, "mm");
        assert_eq!(f.frame_numbers, [10, 11, 12, 13]);
        assert_eq!(f.times_s, [0.15, 0.166667, 0.183333, 0.2]);
        assert_eq!(m.position(0, 0), Some([1002.5, 923.45, -105.2]));
        assert_eq!(m.position(0, 2), Some([900.0, 930.0, 0.5]));
        assert_eq!(m.position(1, 1), None);
        assert_eq!(m.position(1, 2), Some([901.0, 931.0, 1.5]));
        assert_eq!(m.position(2, 0), None);
        assert_eq!(m.position(3, 1), Some([992.1, 923.3, 109.7]));
        assert_eq!(m.position(3, 2), None);
        assert_eq!(m.valid().iter().filter(|v| !**v).count(), 3);
    }
}

fn sample_markers(
    frames: usize,
    markers: usize,
    rate: FrameRate,
    unit: LengthUnit,
) -> MarkerTrajectories {
    let labels = (0..markers).map(|i| format!("M{i}:Sub ject")).collect();
    let mut t = MarkerTrajectories::new(labels, frames, rate, unit, UpAxis::Y).expect("alloc");
    t.first_frame = 7;
    for f in 0..frames {
        for k in 0..markers {
            if (f * 7 + k * 3) % 11 == 0 {
                continue; // gap
            }
            let x = f as f32 * 1.37 - k as f32 * 100.25;
            t.set_sample(
                f,
                k,
                MarkerSample {
                    position: [x, x.sin() * 1000.0, -0.0001 * x * x],
                    residual: 0.0,
                    camera_mask: 0,
                    valid: true,
                },
            );
        }
    }
    t
}

#[test]
fn generated_round_trip() {
    for (rate, unit) in [
        (FrameRate::FPS_120, LengthUnit::Millimetre),
        (FrameRate::FPS_29_97, LengthUnit::Metre),
    ] {
        let m = sample_markers(50, 9, rate, unit);
        let mut bytes = Vec::new();
        trc::write(&m, &mut bytes).expect("write");
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("PathFileType\t4\t(X/Y/Z)"));
        assert_eq!(
            lines[1],
            "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames"
        );
        assert!(lines[3].starts_with("Frame#\tTime\tM0:Sub ject\t\t\tM1"));
        assert!(lines[4].starts_with("\t\tX1\tY1\tZ1\tX2"));
        assert_eq!(lines[5], "");
        let back = trc::parse(&bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.markers, m);
        assert_eq!(back.frame_numbers.first(), Some(&7));
        assert_eq!(back.times_s[0], rate.frames_to_seconds(6));
        // Writing again is byte-identical.
        let mut again = Vec::new();
        trc::write(&back.markers, &mut again).expect("write");
        assert_eq!(again, bytes);
    }
}

#[test]
fn write_path_records_file_name() {
    let dir = std::env::temp_dir().join(format!("mocap-trc-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join("take.trc");
    let m = sample_markers(3, 2, FrameRate::FPS_60, LengthUnit::Millimetre);
    trc::write_path(&m, &p).expect("write");
    let back = trc::read_path(&p).expect("read");
    assert_eq!(back.file_name, "take.trc");
    assert_eq!(back.markers, m);
    let _ = std::fs::remove_dir_all(&dir);
}

fn loc(e: &FormatError) -> Option<Location> {
    match e {
        FormatError::Malformed { location, .. } | FormatError::Unsupported { location, .. } => {
            Some(*location)
        }
        _ => None,
    }
}

#[test]
fn malformed_trc_is_reported() {
    // (edit, expected line, message fragment)
    let cases: &[(&str, &str, usize, &str)] = &[
        ("\t3\tmm", "\t2\tmm", 4, "marker names"),
        ("60.00\t60.00\t4", "60.00\t60.00\t5", 3, "data rows"),
        ("60.00\t60.00\t4", "60.00\t60.00\t3", 10, "more data rows"),
        ("926.45", "92x6.45", 10, "not a number"),
        ("\tmm\t", "\tfurlongs\t", 3, "Units"),
        ("PathFileType", "PathFileTipe", 1, "PathFileType"),
        (
            "60.00\t60.00\t4\t3",
            "60.00\t60.00\t4000000000\t3",
            3,
            "cannot fit",
        ),
    ];
    for (from, to, line, needle) in cases {
        let text = OPENSIM.replacen(from, to, 1);
        let e = trc::parse(text.as_bytes()).expect_err(to);
        assert!(e.to_string().contains(needle), "{to}: {e}");
        assert!(
            matches!(loc(&e), Some(Location::Line(l, _)) if l == *line),
            "{to}: {e}"
        );
    }
    // Column of a bad cell: `92x6.45` is the 4th cell of line 10.
    let e = trc::parse(OPENSIM.replacen("926.45", "92x6.45", 1).as_bytes()).expect_err("bad");
    let want_col = "13\t0.2\t1005.5\t".len() + 1;
    assert_eq!(loc(&e), Some(Location::Line(10, Some(want_col))));
    // A label with a tab cannot be written.
    let mut m = sample_markers(1, 1, FrameRate::FPS_60, LengthUnit::Millimetre);
    m.labels[0] = "a\tb".into();
    assert!(matches!(
        trc::write(&m, Vec::new()),
        Err(FormatError::InvalidData { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn mutated_trc_never_panics(pos in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000, op in 0u8..3) {
        let mut b = OPENSIM.as_bytes().to_vec();
        let p = pos % b.len();
        match op {
            0 => b[p] = byte,
            1 => b.insert(p, byte),
            _ => b.truncate(cut % b.len()),
        }
        let _ = trc::parse(&b);
    }

    #[test]
    fn random_trajectories_round_trip(frames in 0usize..20, markers in 0usize..6, seed in any::<u32>()) {
        let mut m = MarkerTrajectories::new(
            (0..markers).map(|i| format!("m{i}")).collect(),
            frames,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Y,
        ).expect("alloc");
        let mut s = seed | 1;
        for f in 0..frames {
            for k in 0..markers {
                s ^= s << 13; s ^= s >> 17; s ^= s << 5;
                if s % 5 == 0 { continue; }
                let v = f32::from_bits(s & 0x7f7f_ffff); // finite
                m.set_sample(f, k, MarkerSample { position: [v, -v, v * 0.5], residual: 0.0, camera_mask: 0, valid: true });
            }
        }
        let mut bytes = Vec::new();
        trc::write(&m, &mut bytes).expect("write");
        let back = trc::parse(&bytes).expect("parse");
        prop_assert_eq!(back.markers, m);
    }
}
