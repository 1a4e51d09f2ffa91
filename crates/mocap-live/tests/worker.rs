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
    assert_eq!(status.rate_hz, Some(240.0));
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

/// A relay that holds the server's model definitions back for `delay`, so frames reach the
/// client before their labels do (what a busy machine or a multicast stream joined late does).
fn late_model_def_relay(server: std::net::SocketAddr, delay: Duration) -> std::net::SocketAddr {
    use std::net::UdpSocket;
    let front = UdpSocket::bind("127.0.0.1:0").expect("bind front");
    let back = UdpSocket::bind("127.0.0.1:0").expect("bind back");
    let addr = front.local_addr().expect("addr");
    let client = std::sync::Arc::new(std::sync::Mutex::new(None));
    let (f2, b2, c2) = (
        front.try_clone().expect("clone"),
        back.try_clone().expect("clone"),
        client.clone(),
    );
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, from)) = f2.recv_from(&mut buf) {
            *c2.lock().expect("lock") = Some(from);
            let _ = b2.send_to(&buf[..n], server);
        }
    });
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok((n, _)) = back.recv_from(&mut buf) {
            let Some(to) = *client.lock().expect("lock") else {
                continue;
            };
            let datagram = buf[..n].to_vec();
            let id = u16::from_le_bytes([datagram[0], datagram[1]]);
            if id == mocap_live::natnet::NAT_MODELDEF {
                let f = front.try_clone().expect("clone");
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let _ = f.send_to(&datagram, to);
                });
            } else {
                let _ = front.send_to(&datagram, to);
            }
        }
    });
    addr
}

#[test]
fn frames_that_arrive_before_the_labels_are_published_labelled() {
    let frames = 120;
    let take = MarkerTrajectories::from_fn(
        vec!["A:x".into(), "A:y".into()],
        frames,
        FrameRate::integer(120).expect("rate"),
        LengthUnit::Metre,
        UpAxis::Y,
        |f, m| MarkerSample {
            position: [f as f32, m as f32, 0.5],
            residual: 0.0,
            camera_mask: 0,
            valid: true,
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
    let relay = late_model_def_relay(server.addr(), Duration::from_millis(300));
    let config = ClientConfig::new(relay);
    let worker = LiveWorker::start(config, RecordConfig::default(), None).expect("worker");
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() as u64 + worker.updates.dropped() < frames as u64 && Instant::now() < deadline
    {
        seen.extend(worker.updates.drain());
        std::thread::sleep(Duration::from_millis(16));
    }
    // 300 ms of a 120 Hz stream came before the labels: more than the queue holds, so the
    // oldest were dropped (and counted); every frame published has its markers, labelled.
    assert!(worker.updates.dropped() > 0, "the labels came late");
    assert_eq!(seen.len() as u64 + worker.updates.dropped(), frames as u64);
    for u in &seen {
        let f = (u.frame_number - 1) as usize;
        assert_eq!(u.markers.len(), 2, "frame {f} published without its labels");
        assert_eq!(u.markers[1].position, [f as f32, 1.0, 0.5]);
    }
    drop(worker);
    server.stop();
}
