//! Hostile input: garbage, truncated, oversized, duplicated and reordered packets, NaN
//! positions, marker counts changing mid-stream, a server that restarts. Every case is counted
//! and skipped, never a panic.

use mocap_live::natnet::{self, FrameOfData, LabeledMarker, MarkerSetDef, Packet, Version};
use mocap_live::{ClientConfig, LiveClient, LiveEvent, RecordConfig, Session};
use proptest::prelude::*;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn frame(number: i32, markers: &[(u16, [f32; 3])]) -> FrameOfData {
    let empty = || natnet::RawSection {
        count: 0,
        payload: Vec::new(),
    };
    FrameOfData {
        frame_number: number,
        marker_sets: Vec::new(),
        other_markers: Vec::new(),
        rigid_bodies: Vec::new(),
        skeletons: empty(),
        assets: empty(),
        labeled_markers: markers
            .iter()
            .map(|(m, p)| LabeledMarker {
                id: natnet::marker_id(1, *m),
                position: *p,
                size: 0.014,
                params: 0,
                residual: 0.0,
            })
            .collect(),
        force_plates: empty(),
        devices: empty(),
        timing: natnet::FrameTiming {
            timecode: 0,
            timecode_subframe: 0,
            timestamp: number as f64 / 100.0,
            camera_mid_exposure: 0,
            camera_data_received: 0,
            transmit: 0,
            precision_timestamp_secs: 0,
            precision_timestamp_fractional_secs: 0,
        },
        params: 0,
    }
}

fn frame_datagram(number: i32, markers: &[(u16, [f32; 3])]) -> Vec<u8> {
    frame(number, markers)
        .to_datagram(Version::V4_1)
        .expect("frame encodes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = natnet::fuzz_decode(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_frame_header_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let d = natnet::frame_message(natnet::NAT_FRAMEOFDATA, &body);
        let _ = natnet::fuzz_decode(&d);
    }

    #[test]
    fn mutated_frames_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
        let mut d = frame_datagram(5, &[(1, [0.1, 0.2, 0.3]), (2, [1.0, 2.0, 3.0])]);
        for (at, x) in flips {
            let i = at % d.len();
            d[i] ^= x;
        }
        let _ = natnet::fuzz_decode(&d);
    }
}

#[test]
fn every_truncation_of_a_frame_is_an_error() {
    let d = frame_datagram(5, &[(1, [0.1, 0.2, 0.3]), (2, [1.0, 2.0, 3.0])]);
    assert!(matches!(
        natnet::decode(&d, Version::V4_1),
        Ok(Packet::Frame(_))
    ));
    for len in 0..d.len() {
        assert!(
            natnet::decode(&d[..len], Version::V4_1).is_err(),
            "a frame cut at {len} bytes decoded"
        );
    }
    // Cut but with the header's size patched to match: still refused by the body grammar.
    for len in 4..d.len() {
        let mut cut = d[..len].to_vec();
        let size = (len - 4) as u16;
        cut[2..4].copy_from_slice(&size.to_le_bytes());
        assert!(natnet::decode(&cut, Version::V4_1).is_err());
    }
}

/// A fake server on loopback: answers the client's connect, then sends `script`.
fn hostile_stream(script: Vec<Vec<u8>>) -> (Session, u64) {
    hostile_stream_with(script, true)
}

fn hostile_stream_with(script: Vec<Vec<u8>>, keep_frames: bool) -> (Session, u64) {
    let fake = UdpSocket::bind("127.0.0.1:0").expect("fake server socket");
    fake.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut cfg = ClientConfig::new(fake.local_addr().expect("addr"));
    cfg.reconnect_after = Duration::from_secs(30);
    let client = LiveClient::start(cfg).expect("client");
    let mut buf = [0u8; 2048];
    let (_, peer): (usize, SocketAddr) = fake.recv_from(&mut buf).expect("client connects");
    let info = natnet::ServerInfo {
        application_name: "fake".into(),
        server_version: Version::new(1, 0, 0, 0),
        protocol_version: Version::V4_1,
        high_res_clock_frequency: 1_000_000,
        connection: natnet::ConnectionInfo {
            data_port: 1511,
            multicast: false,
            multicast_group: [0; 4],
        },
    };
    let def = natnet::model_def(vec![MarkerSetDef {
        name: "A".into(),
        marker_names: vec!["m1".into(), "m2".into(), "m3".into()],
    }]);
    let rate = natnet::frame_message(natnet::NAT_RESPONSE, &100.0f32.to_le_bytes());
    for d in [
        info.to_datagram().expect("info"),
        def.to_datagram(Version::V4_1).expect("def"),
        rate,
    ]
    .into_iter()
    .chain(script)
    {
        fake.send_to(&d, peer).expect("send");
        std::thread::sleep(Duration::from_micros(300));
    }
    let mut session = Session::new(
        RecordConfig {
            keep_frames,
            ..RecordConfig::default()
        },
        None,
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut quiet_since = Instant::now();
    while Instant::now() < deadline && quiet_since.elapsed() < Duration::from_millis(500) {
        if let Some(ev) = client.events.pop_timeout(Duration::from_millis(20)) {
            quiet_since = Instant::now();
            session.handle(&ev).expect("no solve");
        }
    }
    let malformed = client.stats.packets_malformed.load(Ordering::Relaxed);
    client.stop();
    (session, malformed)
}

#[test]
fn hostile_stream_is_counted_and_recorded() {
    let p = |x: f32| [x, 1.0, 2.0];
    let good = |n: i32| frame_datagram(n, &[(1, p(n as f32)), (2, p(1.0)), (3, p(2.0))]);
    let mut script = Vec::new();
    // Frames 1–3 in order.
    script.extend((1..=3).map(good));
    // Garbage, a truncated frame, an oversized datagram, an empty one.
    script.push(b"definitely not natnet".to_vec());
    let f4 = good(4);
    script.push(f4[..f4.len() / 2].to_vec());
    script.push(vec![7u8; 65_000]);
    script.push(Vec::new());
    // Frame 4 whole, then 6 before 5 (reordered), 6 again (duplicated).
    script.push(f4);
    script.push(good(6));
    script.push(good(5));
    script.push(good(6));
    // NaN positions and a marker count that changes: frame 7 has one marker, NaN in marker 2.
    script.push(frame_datagram(7, &[(1, p(7.0)), (2, [f32::NAN, 0.0, 0.0])]));
    script.push(frame_datagram(8, &[(3, p(8.0))]));
    // Frame 9 lost; 10 arrives. A marker id no model defines.
    script.push(frame_datagram(10, &[(1, p(10.0)), (9, p(0.0))]));
    // The server restarts: frame 1 again (discarded, counted).
    script.push(good(1));
    let (mut session, malformed) = hostile_stream(script);
    // Garbage, truncated, oversized and empty datagrams (the empty one is < 4 bytes).
    assert_eq!(malformed, 4);
    let report = session.report(malformed);
    assert_eq!(report.packets_malformed, 4);
    // 5 after 6, the duplicate 6, the restarted 1.
    assert_eq!(report.frames_out_of_order, 3);
    assert_eq!(report.frames_received, 11);
    assert_eq!(report.frames_dropped, 1, "frame 9");
    session.recorder.count_unknown();
    let c = &session.recorder.counters;
    assert_eq!(c.markers_non_finite, 1);
    assert_eq!(c.markers_unknown, 1);
    let rec = session.recorder.finish().expect("recording");
    let m = &rec.markers;
    assert_eq!(m.frame_count(), 10);
    assert_eq!(m.labels, ["A:m1", "A:m2", "A:m3"]);
    assert_eq!(m.rate.hz(), 100.0);
    // Frame 5 (index 4) arrived late but is there; 9 (index 8) is a gap; 7 lost marker 2.
    assert_eq!(m.position(4, 0), Some(p(5.0)));
    assert!(m.frame_valid(8).iter().all(|v| !v));
    assert_eq!(m.frame_valid(6), [true, false, false]);
    assert_eq!(m.frame_valid(7), [false, false, true]);
}

#[test]
fn garbage_at_the_server_is_counted_and_it_keeps_serving() {
    let take = mocap_data::MarkerTrajectories::from_fn(
        vec!["A:x".into()],
        20,
        mocap_data::FrameRate::integer(100).expect("rate"),
        mocap_data::LengthUnit::Millimetre,
        mocap_data::UpAxis::Y,
        |f, _| mocap_data::MarkerSample {
            position: [f as f32, 0.0, 0.0],
            residual: 0.0,
            camera_mask: 0,
            valid: true,
        },
    )
    .expect("take");
    let stream = mocap_live::TakeStream::new(&take, "t", None).expect("stream");
    let server = mocap_live::serve(
        stream,
        mocap_live::ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            ..Default::default()
        },
    )
    .expect("server");
    let attacker = UdpSocket::bind("127.0.0.1:0").expect("socket");
    for g in [
        &b"xx"[..],
        &[0u8; 3][..],
        &[7u8, 0, 200, 0, 1][..],
        &[0xFFu8; 1000][..],
    ] {
        attacker.send_to(g, server.addr()).expect("send");
    }
    let client = LiveClient::start(ClientConfig::new(server.addr())).expect("client");
    let mut frames = 0;
    let deadline = Instant::now() + Duration::from_secs(10);
    while frames < 20 && Instant::now() < deadline {
        if let Some(LiveEvent::Frame(_)) = client.events.pop_timeout(Duration::from_millis(20)) {
            frames += 1;
        }
    }
    assert_eq!(frames, 20);
    client.stop();
    let malformed = server.stats.packets_malformed.load(Ordering::Relaxed);
    server.stop();
    // "xx" and 3 zero bytes are short; id 7 declaring 200 bytes with 1 is truncated; 0xFFFF
    // declares 65 535 with 996: all four refused.
    assert_eq!(malformed, 4);
}

#[test]
fn impaired_network_every_loss_reorder_and_garbage_is_counted() {
    use mocap_live::impair::{Impairment, Relay};
    let frames = 600usize;
    let take = mocap_data::MarkerTrajectories::from_fn(
        (0..20)
            .map(|m| format!("Actor{}:m{m}", m / 10 + 1))
            .collect(),
        frames,
        mocap_data::FrameRate::integer(240).expect("rate"),
        mocap_data::LengthUnit::Millimetre,
        mocap_data::UpAxis::Z,
        |f, m| mocap_data::MarkerSample {
            position: [f as f32, m as f32, 1000.0],
            residual: 0.5,
            camera_mask: 0,
            valid: (f + m) % 17 != 0,
        },
    )
    .expect("take");
    let stream = mocap_live::TakeStream::new(&take, "t", None).expect("stream");
    let server = mocap_live::serve(
        stream,
        mocap_live::ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            speed: 2.0,
            ..Default::default()
        },
    )
    .expect("server");
    let relay = Relay::start(
        server.addr(),
        Impairment {
            loss: 0.05,
            reorder: 0.05,
            garbage: 0.05,
            until_frame: frames as i64 - 5,
            seed: 7,
        },
    )
    .expect("relay");
    let client = LiveClient::start(ClientConfig::new(relay.addr())).expect("client");
    let mut session = Session::new(RecordConfig::default(), None);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = Instant::now();
    while Instant::now() < deadline
        && !(server.is_finished() && last.elapsed() > Duration::from_millis(500))
    {
        if let Some(ev) = client.events.pop_timeout(Duration::from_millis(20)) {
            last = Instant::now();
            session.handle(&ev).expect("no solve");
        }
    }
    let malformed = client.stats.packets_malformed.load(Ordering::Relaxed);
    client.stop();
    let c = &relay.counts;
    let (dropped, reordered, garbage, forwarded) = (
        c.dropped.load(Ordering::Relaxed),
        c.reordered.load(Ordering::Relaxed),
        c.garbage.load(Ordering::Relaxed),
        c.forwarded.load(Ordering::Relaxed),
    );
    // The seed makes every kind happen.
    assert!(
        dropped > 5 && reordered > 5 && garbage > 5,
        "{dropped} {reordered} {garbage}"
    );
    let report = session.report(malformed);
    assert_eq!(report.frames_received, forwarded);
    assert_eq!(report.frames_received + dropped, frames as u64);
    assert_eq!(report.frames_dropped, dropped);
    assert_eq!(report.frames_out_of_order, reordered);
    assert_eq!(report.packets_malformed, garbage);
    let rec = session.recorder.finish().expect("recording");
    assert_eq!(rec.markers.frame_count(), frames);
    // Every frame that arrived holds the served samples (metres, Y-up: x, z, −y).
    let mut checked = 0;
    for f in 0..frames {
        if rec.markers.frame_valid(f).iter().any(|v| *v) {
            assert_eq!(rec.markers.frame_valid(f), take.frame_valid(f));
            // `to_unit` scales in f32: mm × 0.001.
            let x = f as f32 * 0.001f64 as f32;
            if take.frame_valid(f)[1] {
                assert_eq!(rec.markers.position(f, 1), Some([x, 1.0, -0.001]));
            }
            checked += 1;
        }
    }
    assert_eq!(checked as u64, forwarded);
}

#[test]
fn without_keeping_frames_the_counts_are_the_same() {
    let p = |x: f32| [x, 1.0, 2.0];
    let good = |n: i32| frame_datagram(n, &[(1, p(n as f32)), (2, p(1.0)), (3, p(2.0))]);
    // 1, 2, 4, 3 (late), 3 (duplicate), 7 (5 and 6 lost), 6 (late), 8.
    let script: Vec<Vec<u8>> = [1, 2, 4, 3, 3, 7, 6, 8].into_iter().map(good).collect();
    let counts = |keep: bool| {
        let (session, malformed) = hostile_stream_with(script.clone(), keep);
        let r = session.report(malformed);
        (r.frames_received, r.frames_dropped, r.frames_out_of_order)
    };
    // 8 arrived; 5 never did; 3, the duplicate 3 and 6 came late.
    assert_eq!(counts(true), (8, 1, 3));
    assert_eq!(counts(false), (8, 1, 3));
}
