//! serve → record on 127.0.0.1 gives the take back: positions within float rounding, labels,
//! rate, timecode, nothing dropped. Real corpus take (CMU subject 39, 330 points at 120 Hz).

use mocap_data::{LengthUnit, MarkerTrajectories, Timecode, TimecodeFormat, UpAxis};
use mocap_formats::c3d;
use mocap_live::natnet::ConnectForm;
use mocap_live::{
    ClientConfig, LiveClient, LiveEvent, RecordConfig, ServeConfig, Session, TakeStream, serve,
};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::{Duration, Instant};

/// Serves `take` (speed ×`speed`) and records it with a client in `form`; returns the session.
fn serve_and_record(take: TakeStream, speed: f64, form: ConnectForm) -> (Session, u64) {
    serve_and_record_with(take, speed, form, None)
}

fn serve_and_record_with(
    take: TakeStream,
    speed: f64,
    form: ConnectForm,
    multicast: Option<SocketAddrV4>,
) -> (Session, u64) {
    let server = serve(
        take,
        ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            speed,
            multicast,
            ..ServeConfig::default()
        },
    )
    .expect("server starts on loopback");
    let mut cfg = ClientConfig::new(server.addr());
    cfg.connect_form = form;
    if let Some(g) = multicast {
        cfg.multicast = Some(*g.ip());
        cfg.data_port = g.port();
    }
    let client = LiveClient::start(cfg).expect("client starts");
    let mut session = Session::new(RecordConfig::default(), None);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last_frame: Option<Instant> = None;
    while Instant::now() < deadline {
        if let Some(ev) = client.events.pop_timeout(Duration::from_millis(20)) {
            if matches!(ev, LiveEvent::Frame(_)) {
                last_frame = Some(Instant::now());
            }
            session.handle(&ev).expect("no solve, no error");
        }
        if server.is_finished()
            && last_frame.is_some_and(|t| t.elapsed() > Duration::from_millis(500))
        {
            break;
        }
    }
    let malformed = client
        .stats
        .packets_malformed
        .load(std::sync::atomic::Ordering::Relaxed);
    client.stop();
    server.stop();
    (session, malformed)
}

fn back_to(rec: &MarkerTrajectories, unit: LengthUnit, up: UpAxis) -> MarkerTrajectories {
    let mut m = rec.to_unit(unit);
    for p in m.positions_mut() {
        let q = UpAxis::Y.convert_point(up, [p[0] as f64, p[1] as f64, p[2] as f64]);
        *p = [q[0] as f32, q[1] as f32, q[2] as f32];
    }
    m.up_axis = up;
    m
}

#[test]
fn serve_record_round_trip_gives_the_corpus_take_back() {
    let Some(path) = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let file = c3d::read_path(&path).expect("corpus take reads");
    let src = &file.points;
    let format = TimecodeFormat::for_rate(src.rate);
    let start = Timecode::parse("01:02:03:04", format.nominal_fps).expect("timecode");
    let stream = TakeStream::new(src, "39_01", Some(start)).expect("stream");
    let (session, malformed) = serve_and_record(stream, 2.0, ConnectForm::Sdk);
    let report = session.report(malformed);
    assert_eq!(report.frames_received, src.frame_count() as u64);
    assert_eq!(report.frames_dropped, 0);
    assert_eq!(report.frames_out_of_order, 0);
    assert_eq!(report.packets_malformed, 0);
    let rec = session.recorder.finish().expect("recording");
    assert_eq!(rec.markers.rate, src.rate);
    assert_eq!(rec.start_timecode, Some(start));
    assert_eq!(rec.markers.labels, src.labels, "labels in take order");
    assert_eq!(rec.markers.frame_count(), src.frame_count());
    let back = back_to(&rec.markers, src.unit, src.up_axis);
    assert_eq!(back.valid(), src.valid());
    let mut worst = 0.0f32;
    for ((a, b), v) in back
        .positions()
        .iter()
        .zip(src.positions())
        .zip(src.valid())
    {
        if *v {
            for k in 0..3 {
                let tol = 1e-6 * b[k].abs().max(1.0);
                worst = worst.max((a[k] - b[k]).abs() / tol);
            }
        }
    }
    assert!(worst <= 1.0, "position error {worst} × tolerance");
}

/// The first 60 frames of the corpus take.
fn short_take() -> Option<MarkerTrajectories> {
    let path = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d")?;
    let file = c3d::read_path(&path).expect("corpus take reads");
    let mut short = file.points.clone();
    // The first 60 frames are enough to show the short NAT_CONNECT form streams.
    let keep = 60 * short.marker_count();
    let (labels, rate, unit, up) = (short.labels.clone(), short.rate, short.unit, short.up_axis);
    let positions = short.positions()[..keep].to_vec();
    let valid = short.valid()[..keep].to_vec();
    short = MarkerTrajectories::from_parts(
        labels,
        60,
        rate,
        unit,
        up,
        positions,
        vec![0.0; keep],
        vec![0; keep],
        valid,
    )
    .expect("60 frames");
    Some(short)
}

#[test]
fn ping_form_connect_records_too() {
    let Some(short) = short_take() else {
        return;
    };
    let rate = short.rate;
    let stream = TakeStream::new(&short, "short", None).expect("stream");
    let (session, _) = serve_and_record(stream, 4.0, ConnectForm::Ping);
    assert_eq!(session.recorder.counters.frames_received, 60);
    let rec = session.recorder.finish().expect("recording");
    assert_eq!(rec.markers.frame_count(), 60);
    // Timecode 00:00:00:00 packs to 0 like "no timecode"; it is counted back from frame 1.
    assert_eq!(
        rec.start_timecode,
        Some(Timecode::from_frame_count(
            0,
            TimecodeFormat::for_rate(rate)
        ))
    );
}

#[test]
fn multicast_on_loopback_records_every_frame_once() {
    let Some(short) = short_take() else {
        return;
    };
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let group = SocketAddrV4::new(Ipv4Addr::new(239, 255, 42, 99), port);
    let stream = TakeStream::new(&short, "short", None).expect("stream");
    let (session, malformed) = serve_and_record_with(stream, 4.0, ConnectForm::Sdk, Some(group));
    let report = session.report(malformed);
    // Frames come through the group only (no unicast copy): none twice, none lost.
    assert_eq!(report.frames_received, 60);
    assert_eq!(report.frames_out_of_order, 0);
    assert_eq!(report.frames_dropped, 0);
    let rec = session.recorder.finish().expect("recording");
    assert_eq!(rec.markers.labels, short.labels);
}
