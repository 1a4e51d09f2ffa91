//! Processor/storage variants of the same data, writer variants, long takes and broken input.

mod c3d_common;

use c3d_common::{assert_same_take, c3d_file};
use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::c3d::{self, C3dFile, Processor, Storage, WriteOptions};
use mocap_testkit::data_dir;

fn read(root: &std::path::Path, rel: &str) -> C3dFile {
    let p = c3d_file(root, rel);
    c3d::read_path(&p).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Quantisation step of an integer file, for comparing it with its float twin.
fn step(f: &C3dFile) -> f32 {
    match f.storage {
        Storage::Integer { scale } => scale,
        Storage::Float => 0.0,
    }
}

#[test]
fn sample01_intel_dec_int_float_agree() {
    let Some(root) = data_dir() else { return };
    let pi = read(&root, "c3d_org/sample_01/Eb015pi.c3d");
    assert_eq!(pi.processor, Processor::Intel);
    assert!(matches!(pi.storage, Storage::Integer { .. }));
    let cases = [
        ("c3d_org/sample_01/Eb015pr.c3d", Processor::Intel, true),
        ("c3d_org/sample_01/Eb015vi.c3d", Processor::Dec, false),
        ("c3d_org/sample_01/Eb015vr.c3d", Processor::Dec, true),
    ];
    for (rel, proc, float) in cases {
        let f = read(&root, rel);
        assert_eq!(f.processor, proc, "{rel}");
        assert_eq!(matches!(f.storage, Storage::Float), float, "{rel}");
        // Float copies were converted from the integers: within one quantisation step.
        assert_same_take(&pi, &f, step(&pi) * 0.51 + 1e-3, 1e-3, rel);
        assert_eq!(
            f.parameters.get("POINT", "LABELS"),
            pi.parameters.get("POINT", "LABELS")
        );
    }
}

#[test]
fn sample02_pc_dec_int_real_agree() {
    let Some(root) = data_dir() else { return };
    let di = read(&root, "c3d_org/sample_02/dec_int.c3d");
    for rel in [
        "c3d_org/sample_02/pc_real.c3d",
        "c3d_org/sample_02/dec_real.c3d",
    ] {
        let f = read(&root, rel);
        assert_same_take(&di, &f, step(&di) * 0.51 + 1e-3, 1e-3, rel);
    }
    // pc_int.c3d was quantised differently from the other five (the reference readers' point
    // sums differ by 15 mm over 6.5e6 too): same layout and gaps, coordinates within 0.5 mm.
    let pc = read(&root, "c3d_org/sample_02/pc_int.c3d");
    assert_same_take(&di, &pc, 0.5, 1e-3, "pc_int");
    assert_eq!(di.processor, Processor::Dec);
    assert_eq!(pc.processor, Processor::Intel);
}

/// The MIPS copies of sample_01/02 are not in the data folder, so MIPS is checked by writing
/// every processor × storage combination of the Intel file and reading it back.
#[test]
fn every_processor_and_storage_round_trips_to_the_same_values() {
    let Some(root) = data_dir() else { return };
    let pi = read(&root, "c3d_org/sample_01/Eb015pi.c3d");
    let scale = step(&pi);
    for processor in [Processor::Intel, Processor::Dec, Processor::Mips] {
        for storage in [Storage::Float, Storage::Integer { scale }] {
            let mut bytes = Vec::new();
            c3d::write_with(&pi, &mut bytes, WriteOptions { processor, storage })
                .unwrap_or_else(|e| panic!("{processor:?} {storage:?}: {e}"));
            let back = c3d::parse(&bytes).unwrap_or_else(|e| panic!("{processor:?}: {e}"));
            assert_eq!(back.processor, processor);
            assert_eq!(back.storage, storage);
            assert!(back.warnings.is_empty(), "{:?}", back.warnings);
            assert_same_take(&pi, &back, 0.0, 1e-4, &format!("{processor:?} {storage:?}"));
            assert_eq!(back.points.residuals(), pi.points.residuals());
            assert_eq!(back.points.camera_masks(), pi.points.camera_masks());
            // Writing any variant with the default writer gives an Intel float file with the
            // same values.
            let mut intel = Vec::new();
            c3d::write(&back, &mut intel).expect("write");
            let again = c3d::parse(&intel).expect("read");
            assert_eq!(again.processor, Processor::Intel);
            assert_eq!(again.storage, Storage::Float);
            assert_eq!(again.points, back.points);
        }
    }
    // MIPS really is big-endian: the header's point count sits in the high byte first.
    let mut bytes = Vec::new();
    c3d::write_with(
        &pi,
        &mut bytes,
        WriteOptions {
            processor: Processor::Mips,
            storage: Storage::Float,
        },
    )
    .expect("write");
    assert_eq!(&bytes[2..4], &26u16.to_be_bytes());
    assert_eq!(bytes[512 + 3], 86);
}

#[test]
fn dec_and_int_files_write_as_intel_float_with_same_values() {
    let Some(root) = data_dir() else { return };
    for rel in [
        "c3d_org/sample_01/Eb015vr.c3d",
        "c3d_org/sample_01/Eb015vi.c3d",
        "c3d_org/sample_03/gait-pig.c3d",
    ] {
        let f = read(&root, rel);
        let mut bytes = Vec::new();
        c3d::write(&f, &mut bytes).expect("write");
        assert_eq!(bytes[512 + 3], 84, "Intel processor byte");
        let back = c3d::parse(&bytes).expect("re-read");
        assert_eq!(back.storage, Storage::Float);
        assert_eq!(back.points, f.points, "{rel}");
        assert_eq!(back.analog, f.analog, "{rel}");
        assert_eq!(back.events, f.events, "{rel}");
    }
}

#[test]
fn sample08_section_pointers_are_honoured() {
    let Some(root) = data_dir() else { return };
    let reference = read(&root, "c3d_org/sample_08/EB015PI.c3d");
    for rel in ["TESTAPI.c3d", "TESTBPI.c3d", "TESTCPI.c3d", "TESTDPI.c3d"] {
        let f = read(&root, &format!("c3d_org/sample_08/{rel}"));
        assert_same_take(&reference, &f, 0.0, 0.0, rel);
    }
}

fn synthetic(markers: usize, frames: usize) -> MarkerTrajectories {
    let labels = (0..markers).map(|m| format!("M{m:03}")).collect();
    MarkerTrajectories::from_fn(
        labels,
        frames,
        FrameRate::FPS_120,
        LengthUnit::Millimetre,
        UpAxis::Z,
        |f, m| {
            if (f + 7 * m) % 97 == 0 {
                MarkerSample::GAP
            } else {
                MarkerSample {
                    position: [f as f32 * 0.5, m as f32 * 10.0, -(f as f32) * 0.25],
                    residual: ((f + m) % 200) as f32 * 0.1,
                    camera_mask: ((f * 3 + m) % 128) as u8,
                    valid: true,
                }
            }
        },
    )
    .expect("sizes")
}

#[test]
fn seventy_thousand_frames_round_trip_with_long_frames() {
    let mut t = synthetic(3, 70_000);
    t.first_frame = 5;
    let mut file = C3dFile::from_trajectories(t);
    // Residuals are stored in 0.1 mm steps; the synthetic ones are multiples of that.
    for r in file.points.residuals_mut() {
        *r = (*r / 0.1).round() * 0.1f32;
    }
    let mut bytes = Vec::new();
    c3d::write(&file, &mut bytes).expect("write");
    let back = c3d::parse(&bytes).expect("read");
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.points.frame_count(), 70_000);
    assert_eq!(back.points.first_frame, 5);
    let lf = back
        .parameters
        .get("POINT", "LONG_FRAMES")
        .expect("LONG_FRAMES");
    assert_eq!(lf.count(), Some(70_000));
    let end = back
        .parameters
        .get("TRIAL", "ACTUAL_END_FIELD")
        .expect("ACTUAL_END_FIELD")
        .counts();
    assert_eq!(end, vec![Some((70_004 & 0xffff) as u32), Some(1)]);
    // The 16-bit header saturates.
    assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), 65535);
    assert_eq!(back.points, file.points);
}

#[test]
fn more_than_255_labels_use_labels2() {
    let t = synthetic(300, 4);
    let file = C3dFile::from_trajectories(t);
    let mut bytes = Vec::new();
    c3d::write(&file, &mut bytes).expect("write");
    let back = c3d::parse(&bytes).expect("read");
    assert_eq!(back.points.labels, file.points.labels);
    let l2 = back.parameters.get("POINT", "labels2").expect("LABELS2");
    assert_eq!(l2.strings().len(), 45);
    assert_eq!(l2.strings()[0], "M255");
}

#[test]
fn events_round_trip() {
    let mut file = C3dFile::from_trajectories(synthetic(2, 100));
    file.events = vec![
        mocap_data::Event {
            label: "Foot Strike".into(),
            context: "Left".into(),
            time_s: 0.25,
            description: "heel contact".into(),
        },
        mocap_data::Event {
            label: "Foot Off".into(),
            context: "Right".into(),
            time_s: 75.5,
            description: String::new(),
        },
    ];
    let mut bytes = Vec::new();
    c3d::write(&file, &mut bytes).expect("write");
    let back = c3d::parse(&bytes).expect("read");
    assert_eq!(back.events, file.events);
    let times = back.parameters.get("EVENT", "TIMES").expect("TIMES");
    assert_eq!(times.dims, vec![2, 2]);
    assert_eq!(times.values_f64(), vec![0.0, 0.25, 1.0, 15.5]);
}

#[test]
fn broken_inputs_give_errors_or_repairs_not_panics() {
    let mut bytes = Vec::new();
    c3d::write(&C3dFile::from_trajectories(synthetic(4, 50)), &mut bytes).expect("write");
    // Empty and tiny files.
    for n in [0usize, 40, 511] {
        let e = c3d::parse(&bytes[..n.min(bytes.len())]).expect_err("too short");
        assert!(e.to_string().contains("<memory>"), "{e}");
    }
    // Not a C3D file.
    assert!(c3d::parse(&vec![7u8; 2048]).is_err());
    // Truncated data section: the complete frames are read, with a warning.
    let cut = &bytes[..bytes.len() - 600];
    let f = c3d::parse(cut).expect("truncated data still reads");
    assert!(f.points.frame_count() < 50 && f.points.frame_count() > 30);
    assert!(!f.warnings.is_empty());
    // No parameter section (pointer 0): the header alone describes the points.
    let mut no_params = bytes.clone();
    no_params[0] = 0;
    let f = c3d::parse(&no_params).expect("header-only read");
    assert_eq!(f.points.frame_count(), 50);
    assert_eq!(f.points.marker_count(), 4);
    assert!(f.points.labels.iter().all(String::is_empty));
    // Its residuals use the header's scale, and survive a rewrite (which adds the parameters).
    assert!(f.points.residuals().iter().any(|r| *r > 0.0));
    let mut rewritten = Vec::new();
    c3d::write(&f, &mut rewritten).expect("write");
    let again = c3d::parse(&rewritten).expect("read");
    assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    assert_eq!(again.points, f.points);
    // Corrupt parameter section: a huge dimension is caught before allocating.
    let mut corrupt = bytes.clone();
    for b in &mut corrupt[520..700] {
        *b = 0xff;
    }
    let _ = c3d::parse(&corrupt);
    // A 40-byte header claiming 65 535 points × 65 535 frames must not allocate.
    let mut liar = vec![0u8; 1024];
    liar[0] = 2;
    liar[1] = 0x50;
    liar[2..4].copy_from_slice(&u16::MAX.to_le_bytes());
    liar[6..8].copy_from_slice(&1u16.to_le_bytes());
    liar[8..10].copy_from_slice(&u16::MAX.to_le_bytes());
    liar[12..16].copy_from_slice(&(-1.0f32).to_le_bytes());
    liar[16..18].copy_from_slice(&3u16.to_le_bytes());
    liar[515] = 84;
    let f = c3d::parse(&liar).expect("reads zero complete frames");
    assert_eq!(f.points.frame_count(), 0);
}

#[test]
fn gap_conventions_of_real_writers_are_read_as_gaps() {
    let mut t = synthetic(2, 3);
    t.set_sample(
        0,
        0,
        MarkerSample {
            position: [1.0, 2.0, 3.0],
            residual: 0.2,
            camera_mask: 0x41,
            valid: true,
        },
    );
    let file = C3dFile::from_trajectories(t);
    let mut bytes = Vec::new();
    c3d::write(&file, &mut bytes).expect("write");
    let data = 512 * (bytes[512 + 2] as usize + 1);
    // Frame 0, marker 0 reads back with its residual (2 steps of 0.1 mm) and camera mask.
    let f = c3d::parse(&bytes).expect("read");
    let s = f.points.sample(0, 0);
    assert!(s.valid);
    assert_eq!((s.residual, s.camera_mask), (0.2, 0x41));
    // A NaN coordinate with a valid 4th word is a gap (py-c3d's check_nan).
    let mut nan = bytes.clone();
    nan[data + 4..data + 8].copy_from_slice(&f32::NAN.to_le_bytes());
    assert!(!c3d::parse(&nan).expect("read").points.sample(0, 0).valid);
    // Vicon/Qualisys write −1.0 (0xBF80 in the high word); any negative 4th word is a gap.
    let mut neg = bytes.clone();
    neg[data + 12..data + 16].copy_from_slice(&(-0.5f32).to_le_bytes());
    let g = c3d::parse(&neg).expect("read").points.sample(0, 0);
    assert_eq!(g, MarkerSample::GAP);
    // Integer storage: a negative residual word is a gap.
    let mut ints = Vec::new();
    c3d::write_with(
        &file,
        &mut ints,
        WriteOptions {
            processor: Processor::Intel,
            storage: Storage::Integer { scale: 0.1 },
        },
    )
    .expect("write");
    let ok = c3d::parse(&ints).expect("read");
    assert!(ok.points.sample(0, 0).valid);
    ints[data + 6..data + 8].copy_from_slice(&(-1i16).to_le_bytes());
    assert!(!c3d::parse(&ints).expect("read").points.sample(0, 0).valid);
}

#[test]
fn cmu_takes_read_cleanly_and_round_trip() {
    let Some(root) = data_dir() else { return };
    for rel in ["cmu_subject39_walk/39_01.c3d", "cmu_02_01_walk/02_01.c3d"] {
        let p = root.join("c3d_plus_skeleton").join(rel);
        assert!(p.is_file(), "test data file missing: {}", p.display());
        let f = c3d::read_path(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(f.warnings.is_empty(), "{rel}: {:?}", f.warnings);
        assert!(
            f.points.marker_count() > 30 && f.points.frame_count() > 100,
            "{rel}"
        );
        assert!(f.points.valid_fraction() > 0.5, "{rel}");
        let mut bytes = Vec::new();
        c3d::write(&f, &mut bytes).expect("write");
        let back = c3d::parse(&bytes).expect("read");
        assert_eq!(back.points, f.points, "{rel}");
        assert_eq!(back.analog, f.analog, "{rel}");
    }
}
