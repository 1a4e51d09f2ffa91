//! The studio's live stage, headless (`MinimalPlugins` + `CorePlugins` + `LivePlugin`): a
//! `mocap_live` NatNet server on 127.0.0.1 streams a generated take; Connect shows its markers
//! in the session's live take with the playhead on the newest frame; Record/Stop writes a C3D
//! beside the open take library that reads back with the served labels and rate, joins the
//! library and opens for review; Disconnect.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_live::{ServeConfig, TakeStream, serve};
use mocap_studio::live::{LiveLink, LivePlugin};
use mocap_studio::model::commands::LiveCommand;
use mocap_studio::model::library::LibraryCommand;
use mocap_studio::model::session::Session;
use mocap_studio::playback::Playback;

const FRAMES: usize = 240;
const LABELS: [&str; 3] = ["A:x", "A:y", "B:z"];

/// Served sample of take frame `f`, marker `m` (metres).
fn sample(f: usize, m: usize) -> MarkerSample {
    MarkerSample {
        position: [f as f32 * 0.01, m as f32, 0.5],
        residual: 0.0,
        camera_mask: 0,
        valid: !(m == 2 && f.is_multiple_of(3)),
    }
}

fn served_take() -> MarkerTrajectories {
    MarkerTrajectories::from_fn(
        LABELS.iter().map(|s| s.to_string()).collect(),
        FRAMES,
        FrameRate::integer(120).expect("rate"),
        LengthUnit::Metre,
        UpAxis::Y,
        sample,
    )
    .expect("take")
}

/// Updates the app (a ~200 Hz loop) until `done` or `secs` pass.
fn update_until(
    app: &mut bevy::app::App,
    secs: u64,
    mut done: impl FnMut(&bevy::app::App) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out after {secs} s");
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn link(app: &bevy::app::App) -> &LiveLink {
    app.world().resource::<LiveLink>()
}

#[test]
fn connect_shows_the_stream_then_record_writes_a_c3d_that_opens() {
    let take = served_take();
    let server = serve(
        TakeStream::new(&take, "t", None).expect("stream"),
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            looping: true,
            ..ServeConfig::default()
        },
    )
    .expect("server");
    let dir = tempfile::tempdir().expect("tempdir");
    // With a take library open, recordings go beside it and join it.
    let db = dir.path().join("takes.db");
    let folder = dir.path().join("recordings");
    let mut app = common::app();
    app.add_plugins(LivePlugin);
    common::send(&mut app, LibraryCommand::Open(db.clone()));
    app.update();
    common::send(
        &mut app,
        LiveCommand::Connect {
            server: server.addr(),
            multicast: None,
            local: IpAddr::V4(Ipv4Addr::LOCALHOST),
        },
    );
    update_until(&mut app, 20, |a| link(a).shown.is_some());
    // A few more frames, then the viewport's frame is the newest one received.
    for _ in 0..20 {
        app.update();
        std::thread::sleep(Duration::from_millis(5));
    }
    let shown = link(&app).shown.expect("a frame shown");
    let status = &link(&app).status;
    assert_eq!(status.server.as_deref(), Some("Mocap Studio"));
    assert_eq!(status.labels, LABELS);
    assert_eq!(status.rate_hz, Some(120.0));
    let session = app.world().resource::<Session>();
    let live = session.take.as_ref().expect("the live take");
    let markers = live.markers.as_ref().expect("markers");
    assert_eq!(markers.labels, LABELS);
    assert_eq!(markers.unit, LengthUnit::Metre);
    assert_eq!(markers.up_axis, UpAxis::Y);
    assert_eq!(markers.rate, FrameRate::integer(120).expect("rate"));
    let playback = app.world().resource::<Playback>();
    let f = playback.frame();
    assert_eq!(
        f,
        live.frame_count - 1,
        "the playhead is on the newest frame"
    );
    assert!(!playback.playing);
    // Served frame numbers start at 1 and keep counting while the server loops.
    let served = (shown.frame_number - 1) as usize % FRAMES;
    for m in 0..LABELS.len() {
        let want = sample(served, m);
        let got = markers.sample(f, m);
        assert_eq!(
            got.valid, want.valid,
            "marker {m} at frame {}",
            shown.frame_number
        );
        if want.valid {
            assert_eq!(got.position, want.position, "marker {m}");
        }
    }
    // The frame before it in the ring is its predecessor (or a gap where one was lost).
    let prev = markers.sample(f - 1, 0);
    if prev.valid {
        assert_eq!(
            prev.position,
            sample((served + FRAMES - 1) % FRAMES, 0).position
        );
    }
    let generation = session.generation;

    // Record about a second.
    common::send(&mut app, LiveCommand::StartRecording);
    let start = Instant::now();
    update_until(&mut app, 5, |_| {
        start.elapsed() > Duration::from_millis(1200)
    });
    assert_eq!(
        app.world().resource::<Session>().generation,
        generation,
        "new frames move markers, they do not rebuild the scene"
    );
    common::send(&mut app, LiveCommand::StopRecording);
    update_until(&mut app, 30, |a| link(a).last_saved.is_some());
    // The recording opens for review (the Open is read in the background), and the live view
    // yields.
    app.update();
    assert!(
        mocap_studio::session::wait_until_opened(&mut app, 10_000),
        "the recording never opened"
    );
    app.update();
    let path = link(&app).last_saved.clone().expect("saved");
    assert_eq!(path, folder.join("live_001.c3d"));
    let file = mocap_formats::c3d::read_path(&path).expect("read the recording");
    let pts = &file.points;
    assert_eq!(pts.labels, LABELS);
    assert_eq!(pts.rate, FrameRate::integer(120).expect("rate"));
    assert!(
        (90..=240).contains(&pts.frame_count()),
        "about a second at 120 Hz: {}",
        pts.frame_count()
    );
    let mut checked = 0;
    for i in 0..pts.frame_count() {
        let served = (pts.first_frame + i as i64 - 1) as usize % FRAMES;
        for m in 0..LABELS.len() {
            let s = pts.sample(i, m);
            if s.valid {
                let want = sample(served, m);
                assert!(want.valid, "frame {i} marker {m} should be a gap");
                for k in 0..3 {
                    assert!(
                        (s.position[k] - want.position[k]).abs() < 1e-4,
                        "{s:?} vs {want:?}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked} samples compared");
    let session = app.world().resource::<Session>();
    let opened = session.take.as_ref().expect("the recording is open");
    assert!(opened.sources.contains(&path), "{:?}", opened.sources);
    assert!(!link(&app).following, "the live view yields to the review");
    assert!(
        link(&app).connection.is_some(),
        "still connected after Stop"
    );
    let library =
        take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("the library");
    let abs = std::path::absolute(&path).expect("absolute");
    assert!(
        library.take_for_path(&abs).expect("query").is_some(),
        "the recording joined the library"
    );
    let drawn = link(&app).drawn_percentiles();
    println!(
        "received -> drawn (headless update loop): p50 {:?} ms, p99 {:?} ms over {} frames; {} drained, {} late",
        drawn.p50,
        drawn.p99,
        link(&app).drawn_ms.len(),
        link(&app).frames_drained,
        link(&app).frames_queue_dropped
    );
    assert!(drawn.p50.is_some());

    common::send(&mut app, LiveCommand::Disconnect);
    app.update();
    assert!(link(&app).connection.is_none());
    assert!(
        common::errors(&app).is_empty(),
        "{:?}",
        common::errors(&app)
    );
    server.stop();
}
