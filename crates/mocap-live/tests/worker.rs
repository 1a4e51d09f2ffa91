//! The studio's path: a LiveWorker on its own thread, drained once per "drawn frame" without
//! waiting; status, markers in label order, the recording at the end.

use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_live::{ClientConfig, LiveWorker, RecordConfig, ServeConfig, TakeStream, serve};
use std::time::{Duration, Instant};

#[test]
fn worker_publishes_frames_and_status_and_hands_back_the_recording() {
    let frames = 240;
    let take = MarkerTrajectories::from_fn(
        vec!["A:x".into(), "A:y".into(), "B:z".into()],
        frames,
        FrameRate::integer(240).expect("rate"),
        LengthUnit::Metre,
        UpAxis::Y,
        |f, m| MarkerSample {
            position: [f as f32, m as f32, 0.5],
            residual: 0.0,
            camera_mask: 0,
            valid: !(m == 2 && f.is_multiple_of(2)),
        },
    )
    .expect("take");
    let server = serve(
        TakeStream::new(&take, "t", None).expect("stream"),
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            ..ServeConfig::default()
        },
    )
    .expect("server");
    let worker = LiveWorker::start(
        ClientConfig::new(server.addr()),
        RecordConfig::default(),
        None,
    )
    .expect("worker");
    // A 60 Hz "app": drain, never wait.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < frames && Instant::now() < deadline {
        for u in worker.updates.drain() {
            seen.push(u);
        }
        std::thread::sleep(Duration::from_millis(16));
    }
    let status = worker.status();
    assert_eq!(status.server.as_deref(), Some("Mocap Studio"));
    assert_eq!(status.labels, ["A:x", "A:y", "B:z"]);
    assert_eq!(seen.len() as u64 + worker.updates.dropped(), frames as u64);
    for u in &seen {
        let f = (u.frame_number - 1) as usize;
        assert_eq!(u.markers[0].position, [f as f32, 0.0, 0.5]);
        assert_eq!(u.markers[2].valid, !f.is_multiple_of(2));
        assert!(u.poses.is_empty());
    }
    let (rec, session) = worker.finish_recording().expect("recording");
    server.stop();
    assert_eq!(rec.markers.frame_count(), frames);
    assert_eq!(session.recorder.counters.frames_received, frames as u64);
}
