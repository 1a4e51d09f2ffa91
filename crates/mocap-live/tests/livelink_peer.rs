//! PyPI `pylivelinkface` 0.1 sends Live Link Face packets to our receiver on 127.0.0.1; the
//! recorded subject, written as Live Link Face CSV and read back with our reader, holds the
//! values sent, with a gap where a frame was skipped, the late frame in place and the duplicate
//! and the other phone's frames left out; the cut packet and the noise are counted malformed.

use mocap_data::FrameRate;
use mocap_formats::face::{FaceReadOptions, read_csv, write_csv};
use mocap_live::face_record::{FaceRecordConfig, FaceRecorder};
use mocap_live::livelink::{LiveLinkConfig, LiveLinkReceiver};
use std::ffi::OsStr;
use std::time::{Duration, Instant};

const SENDER: &str = include_str!("peers/pylivelinkface_sender.py");

/// What the script sends for packet offset `k`, value `i` (weights then rotations).
fn sent(k: i64, i: usize) -> f32 {
    if i < 52 {
        ((7 * k + i as i64) % 64) as f32 / 64.0
    } else {
        -((k + i as i64 - 51) as f32) / 16.0
    }
}

#[test]
fn pylivelinkface_packets_are_recorded_and_read_back() {
    let Some(py) = mocap_testkit::python_module("pylivelinkface") else {
        return;
    };
    let rx = LiveLinkReceiver::start(LiveLinkConfig {
        bind: "127.0.0.1:0".parse().expect("address"),
        ..LiveLinkConfig::default()
    })
    .expect("receiver starts");
    let port = rx.local_addr().port().to_string();
    // Offsets (seconds at 1 fps): 3 skipped, 5 late, 6 twice.
    let offsets = "0,1,2,4,6,5,6,7";
    let out = mocap_testkit::run_python(&py, SENDER, &[OsStr::new(&port), OsStr::new(offsets)]);
    let datagrams: u64 = out.trim().parse().expect("the script prints what it sent");
    assert_eq!(datagrams, 18);
    let deadline = Instant::now() + Duration::from_secs(10);
    while LiveLinkReceiver::count(&rx.stats.packets_received) < datagrams
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        LiveLinkReceiver::count(&rx.stats.packets_received),
        datagrams
    );
    assert_eq!(LiveLinkReceiver::count(&rx.stats.packets_malformed), 2);
    assert_eq!(LiveLinkReceiver::count(&rx.stats.frames_decoded), 16);
    let subjects = rx.subjects();
    let names: Vec<&str> = subjects.iter().map(|s| s.subject.as_str()).collect();
    assert_eq!(names, ["OtherPhone", "PeerFace"]);
    assert_eq!(
        subjects[1].device_id,
        "$11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(subjects[1].rate, FrameRate::integer(1).ok());

    let mut rec = FaceRecorder::new(FaceRecordConfig {
        subject: Some("PeerFace".into()),
        ..FaceRecordConfig::default()
    });
    for f in rx.frames.drain() {
        rec.frame(&f);
    }
    rx.stop();
    let c = rec.counters.clone();
    assert_eq!(c.frames_received, 8);
    assert_eq!(c.frames_other_subject, 8);
    assert_eq!(c.frames_out_of_order, 2); // 5 late, 6 again
    assert_eq!(c.frames_duplicate, 1);
    assert_eq!(rec.frames_missing(), 1); // 3
    let recording = rec.finish().expect("a recording");
    // `timecode` counts from 1: 10:00:00 at 1 fps is frame number 36001, i.e. 10:00:01:00.
    assert_eq!(recording.first_frame_number, 36_001);

    let mut csv = Vec::new();
    write_csv(&recording.curves, &mut csv).expect("CSV writes");
    let text = String::from_utf8(csv.clone()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + 8);
    assert!(lines[1].starts_with("10:00:01:00.000,61,"), "{}", lines[1]);
    assert!(
        lines[4].contains("NaN"),
        "the skipped frame is a gap: {}",
        lines[4]
    );
    let back = read_csv(
        &csv,
        FaceReadOptions {
            rate: FrameRate::integer(1).ok(),
        },
    )
    .expect("our reader reads it back");
    let f = &back.curves;
    assert_eq!(f.frame_count(), 8);
    assert_eq!(f.start_timecode.map(|t| t.to_frame_count()), Some(36_001));
    assert!(
        back.warnings.iter().any(|w| w.contains("missing")),
        "{:?}",
        back.warnings
    );
    let names = mocap_data::face::ARKIT_BLENDSHAPES
        .iter()
        .chain(&mocap_data::face::FACE_ROTATIONS);
    for (i, name) in names.enumerate() {
        let values = &f.curve(name).expect(name).values;
        for (k, v) in values.iter().enumerate() {
            // The reader holds the previous frame's value over the gap.
            let k_sent = if k == 3 { 2 } else { k as i64 };
            assert_eq!(*v, sent(k_sent, i), "{name} frame {k}");
        }
    }
}
