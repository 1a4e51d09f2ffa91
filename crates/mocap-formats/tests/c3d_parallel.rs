//! The parallel data-section decode (positional reads, one range of frames per thread) gives
//! bit-identical results to the serial stream decode, for every real file and for generated
//! multi-part files of every processor and storage type with analog channels, events and
//! LONG_FRAMES.

mod c3d_common;

use c3d_common::walk_c3d;
use mocap_data::{AnalogData, Event, FrameRate, LengthUnit, MarkerSample, MarkerTrajectories};
use mocap_formats::c3d::{self, C3dFile, Processor, ReadOptions, Storage, WriteOptions};
use mocap_testkit::data_dir;
use std::path::{Path, PathBuf};

/// One thread, one stream: the reference.
fn serial() -> ReadOptions {
    ReadOptions {
        threads: 1,
        parallel_min_bytes: u64::MAX,
        ..ReadOptions::default()
    }
}

/// Parallel decodes to compare with the reference: thread counts that do and do not divide the
/// frame count, chunks of one frame, of a few kilobytes and the default, and the parallel path
/// forced on inputs of any size.
fn parallel_variants() -> Vec<ReadOptions> {
    let mut v = Vec::new();
    for threads in [2, 3, 7] {
        for chunk_bytes in [1, 4096, ReadOptions::default().chunk_bytes] {
            v.push(ReadOptions {
                threads,
                parallel_min_bytes: 0,
                chunk_bytes,
            });
        }
    }
    v.push(ReadOptions {
        threads: 0,
        parallel_min_bytes: 0,
        ..ReadOptions::default()
    });
    v
}

fn bits3(v: &[[f32; 3]]) -> Vec<[u32; 3]> {
    v.iter().map(|p| p.map(f32::to_bits)).collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Asserts that two reads of the same file are identical, comparing floats bit for bit (so NaN
/// analog samples compare too).
fn assert_identical(a: &C3dFile, b: &C3dFile, what: &str) {
    let (pa, pb) = (&a.points, &b.points);
    assert_eq!(pa.frame_count(), pb.frame_count(), "{what}: frames");
    assert_eq!(pa.labels, pb.labels, "{what}: labels");
    assert_eq!(pa.first_frame, pb.first_frame, "{what}: first frame");
    assert_eq!(pa.rate, pb.rate, "{what}: rate");
    assert_eq!(pa.unit, pb.unit, "{what}: unit");
    assert!(
        bits3(pa.positions()) == bits3(pb.positions()),
        "{what}: positions differ"
    );
    assert!(
        bits(pa.residuals()) == bits(pb.residuals()),
        "{what}: residuals differ"
    );
    assert!(
        pa.camera_masks() == pb.camera_masks(),
        "{what}: camera masks differ"
    );
    assert!(pa.valid() == pb.valid(), "{what}: validity differs");
    assert_eq!(a.analog.labels, b.analog.labels, "{what}: analog labels");
    assert_eq!(
        a.analog.rate_hz.to_bits(),
        b.analog.rate_hz.to_bits(),
        "{what}: analog rate"
    );
    assert!(
        bits(&a.analog.values) == bits(&b.analog.values),
        "{what}: analog values differ"
    );
    assert_eq!(a.analog.units, b.analog.units, "{what}: analog units");
    assert_eq!(a.events, b.events, "{what}: events");
    assert!(a.parameters == b.parameters, "{what}: parameters differ");
    assert_eq!(a.processor, b.processor, "{what}: processor");
    assert_eq!(a.storage, b.storage, "{what}: storage");
    assert_eq!(a.header, b.header, "{what}: header");
    assert_eq!(a.warnings, b.warnings, "{what}: warnings");
}

/// Reads `path` serially and in every parallel variant (from the file and from memory) and
/// compares them all with the serial stream read.
fn check_file(path: &Path) {
    let name = path.display().to_string();
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let reference = c3d::read_with(std::io::BufReader::new(f), path, &serial())
        .unwrap_or_else(|e| panic!("{name}: serial stream read: {e}"));
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{name}: {e}"));
    let one = c3d::read_path_with(path, &serial())
        .unwrap_or_else(|e| panic!("{name}: serial positional read: {e}"));
    assert_identical(&reference, &one, &format!("{name}, 1 thread, positional"));
    for o in parallel_variants() {
        let what = format!(
            "{name}, {} threads, {}-byte chunks",
            o.threads, o.chunk_bytes
        );
        let from_file =
            c3d::read_path_with(path, &o).unwrap_or_else(|e| panic!("{what}: file: {e}"));
        assert_identical(&reference, &from_file, &format!("{what}, file"));
        let from_memory = c3d::parse_with(&bytes, &o).unwrap_or_else(|e| panic!("{what}: {e}"));
        // Only the path in messages differs; the data must not.
        assert_identical(&reference, &from_memory, &format!("{what}, memory"));
        let streamed = c3d::read_with(std::io::Cursor::new(&bytes), path, &o)
            .unwrap_or_else(|e| panic!("{what}: stream: {e}"));
        assert_identical(&reference, &streamed, &format!("{what}, stream"));
    }
}

#[test]
fn every_real_file_decodes_identically_in_parallel() {
    let Some(root) = data_dir() else { return };
    let dir = root.join("c3d");
    assert!(dir.is_dir(), "test data folder missing: {}", dir.display());
    let files = walk_c3d(&dir);
    assert!(files.len() >= 40, "only {} C3D files found", files.len());
    for p in &files {
        check_file(p);
    }
}

/// A take with gaps, residuals and camera masks that change from frame to frame, analog channels
/// at 4 samples per frame and two events.
fn generated(markers: usize, frames: usize) -> C3dFile {
    let labels = (0..markers).map(|m| format!("M{m:03}")).collect();
    let mut t = MarkerTrajectories::from_fn(
        labels,
        frames,
        FrameRate::FPS_120,
        LengthUnit::Millimetre,
        mocap_data::UpAxis::Z,
        |f, m| {
            if (f * 7 + m * 3) % 53 == 0 {
                MarkerSample::GAP
            } else {
                MarkerSample {
                    position: [
                        (f as f32 * 0.37 + m as f32).sin() * 800.0,
                        (f as f32 * 0.11).cos() * 500.0 + m as f32,
                        f as f32 * 0.01 - 20.0,
                    ],
                    residual: ((f + m) % 50) as f32 * 0.1,
                    camera_mask: ((f + 5 * m) % 128) as u8,
                    valid: true,
                }
            }
        },
    )
    .expect("sizes");
    t.first_frame = 3;
    let mut file = C3dFile::from_trajectories(t);
    let channels = 3;
    let spf = 4;
    file.analog = AnalogData {
        labels: (0..channels).map(|c| format!("A{c}")).collect(),
        units: vec!["V".into(); channels],
        rate_hz: 120.0 * spf as f64,
        values: (0..frames * spf * channels)
            .map(|i| ((i % 997) as f32 - 498.0) * 0.5)
            .collect(),
    };
    file.events = vec![
        Event {
            label: "Foot Strike".into(),
            context: "Left".into(),
            time_s: 0.5,
            description: String::new(),
        },
        Event {
            label: "Foot Off".into(),
            context: "Right".into(),
            time_s: 1.25,
            description: "toe".into(),
        },
    ];
    file
}

fn temp_path(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "mocap-c3d-parallel-{}-{tag}.c3d",
        std::process::id()
    ))
}

#[test]
fn generated_files_of_every_processor_and_storage_decode_identically_in_parallel() {
    let file = generated(5, 301);
    for processor in [Processor::Intel, Processor::Dec, Processor::Mips] {
        for storage in [Storage::Float, Storage::Integer { scale: 0.05 }] {
            let opts = WriteOptions { processor, storage };
            let path = temp_path(&format!("{processor:?}-{}", storage == Storage::Float));
            let mut bytes = Vec::new();
            c3d::write_with(&file, &mut bytes, opts).expect("write");
            std::fs::write(&path, &bytes).expect("write temp file");
            let back = c3d::read_path(&path).expect("read");
            assert_eq!(back.processor, processor);
            assert_eq!(back.points.frame_count(), 301);
            assert_eq!(back.analog.channel_count(), 3);
            assert_eq!(back.analog.values.len(), 301 * 4 * 3);
            assert_eq!(back.events.len(), 2);
            assert!(back.points.valid().iter().any(|v| !v));
            check_file(&path);
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[test]
fn long_frames_file_decodes_identically_in_parallel() {
    let file = generated(2, 70_000);
    let path = temp_path("long");
    c3d::write_path(&file, &path).expect("write");
    let back = c3d::read_path(&path).expect("read");
    assert_eq!(back.points.frame_count(), 70_000);
    assert!(
        back.parameters.get("POINT", "LONG_FRAMES").is_some(),
        "LONG_FRAMES written"
    );
    assert_eq!(back.points.first_frame, 3);
    // The data section (≈ 4.5 MB) is above the default parallel threshold.
    assert!(std::fs::metadata(&path).expect("size").len() > 4 << 20);
    check_file(&path);
    let _ = std::fs::remove_file(&path);
}
