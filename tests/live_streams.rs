//! The studio's live stage with skeleton streams, faces and the live solve, headless
//! (`MinimalPlugins` + `CorePlugins` + `LivePlugin`), against `mocap_live`'s own peers on
//! 127.0.0.1:
//!
//! - a VMC sender (`mocap_live::vmc::VmcSender`) streams a BVH walk: the live take's skeleton
//!   motion has its frames and the joints land where the sender's skeleton put them; recording
//!   while connected writes a BVH that joins the library;
//! - Live Link Face packets (`mocap_formats::livelink`'s encoder) fill the live take's face with
//!   the weights sent; garbage is counted malformed;
//! - a NatNet server streams a CMU walk (CMU's 41-marker set) with the live solve on: a skeleton motion
//!   appears in the live take and the received → pose-ready latency is measured;
//! - a NatNet server streams a BVH walk as a NatNet skeleton without markers (a suit's stream):
//!   the live take's skeleton joints land where the served motion's do, no solve involved.
//!
//! Data from `MOCAP_TEST_DATA` (skipped without it, failed with `CI=true`).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mocap_data::fk;
use mocap_formats::livelink::{FaceFrame, LiveLinkPacket};
use mocap_live::vmc::{VmcSender, unity_name};
use mocap_live::{ServeConfig, TakeStream, serve};
use mocap_solver::retarget::BoneMap;
use mocap_studio::live::{LiveLink, LivePlugin};
use mocap_studio::model::commands::LiveCommand;
use mocap_studio::model::library::LibraryCommand;
use mocap_studio::model::session::Session;

fn data(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("MOCAP_TEST_DATA").map(PathBuf::from);
    let p = root.map(|r| r.join(rel)).filter(|p| p.exists());
    if p.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "MOCAP_TEST_DATA/{rel} is needed on CI"
        );
        eprintln!("skipped: set MOCAP_TEST_DATA to the shared data folder ({rel})");
    }
    p
}

fn link(app: &bevy::app::App) -> &LiveLink {
    app.world().resource::<LiveLink>()
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

fn live_app() -> bevy::app::App {
    let mut app = common::app();
    app.add_plugins(LivePlugin);
    app
}

#[test]
fn vmc_bones_drive_the_live_take_and_record_without_reconnecting() {
    let Some(path) = data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let walk = mocap_formats::bvh::read_path(&path).expect("the walk");
    let (sk, motion) = (&walk.skeleton, &walk.motion);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("takes.db");
    let mut app = live_app();
    common::send(&mut app, LibraryCommand::Open(db.clone()));
    common::send(
        &mut app,
        LiveCommand::ListenVmc {
            bind: "127.0.0.1:0".parse().expect("addr"),
        },
    );
    app.update();
    let addr = link(&app).vmc.as_ref().expect("listening").local_addr();
    let sender = VmcSender::new(addr, sk).expect("a humanoid");
    let rate = motion.rate.hz();
    let frames = 90.min(motion.frame_count());
    let mut sent = 0;
    let mut send_until = |app: &mut bevy::app::App, to: usize| {
        while sent < to {
            sender
                .send(motion.frame(sent), sent as f64 / rate)
                .expect("sent");
            sent += 1;
            app.update();
            std::thread::sleep(Duration::from_millis(4));
        }
    };
    send_until(&mut app, 30);
    update_until(&mut app, 10, |a| {
        link(a).vmc.as_ref().is_some_and(|v| v.frames >= 30)
    });
    common::send(&mut app, LiveCommand::StartRecording);
    app.update();
    let generation = app.world().resource::<Session>().generation;
    send_until(&mut app, frames);
    update_until(&mut app, 10, |a| {
        link(a)
            .vmc
            .as_ref()
            .is_some_and(|v| v.frames >= frames as u64)
    });
    // While recording, the timeline's working range is the recorded span.
    let session = app.world().resource::<Session>();
    assert_eq!(
        session.generation, generation,
        "frames do not rebuild the scene"
    );
    let take = session.take.as_ref().expect("the live take");
    assert_eq!(take.out_frame, Some(take.frame_count - 1));
    let span = take.frame_count - take.in_frame.expect("recorded span");
    assert!(
        (frames - 30 - 2..=frames - 30 + 2).contains(&span),
        "{span} frames recorded on the timeline"
    );
    assert!(take.markers.is_none(), "a skeleton stream has no markers");
    let live_sk = take.skeleton.as_ref().expect("the VMC skeleton");
    let live = take.motion.as_ref().expect("the live motion");
    assert_eq!(live.frame_count(), take.frame_count);
    // The newest frames are the last ones sent; joints land where the sender's did (metres).
    let k = sk.unit.factor_to(mocap_data::LengthUnit::Metre);
    let map = BoneMap::best_for(sk, &BoneMap::presets()).expect("a bone map");
    let mut compared = 0;
    for back in 0..3 {
        let got = fk::pose(live_sk, live.frame(live.frame_count() - 1 - back));
        let want = fk::pose(sk, motion.frame(frames - 1 - back));
        for (bone, &j) in map.resolve(sk).iter() {
            let name = unity_name(*bone);
            let Some(lj) = live_sk.joints.iter().position(|x| x.name == name) else {
                continue;
            };
            let (g, w) = (got[lj].translation, want[j].translation * k);
            assert!(
                (g - w).length() < 1e-3,
                "{name} at frame {}: {g:?} vs {w:?}",
                frames - 1 - back
            );
            compared += 1;
        }
    }
    assert!(compared >= 3 * 15, "{compared} joints compared");
    let v = link(&app).vmc.as_ref().expect("vmc");
    let pose = mocap_live::record::Percentiles::of(&v.pose_ms.iter().copied().collect::<Vec<_>>());
    println!(
        "VMC received -> pose ready (debug build, headless): p50 {:?} ms, p99 {:?} ms over {} frames",
        pose.p50,
        pose.p99,
        v.pose_ms.len()
    );

    common::send(&mut app, LiveCommand::StopRecording);
    update_until(&mut app, 30, |a| link(a).last_saved.is_some());
    app.update();
    app.update();
    let saved = link(&app).last_saved.clone().expect("saved");
    assert_eq!(saved.extension().and_then(|e| e.to_str()), Some("bvh"));
    let bvh = mocap_formats::bvh::read_path(&saved).expect("the recorded BVH");
    let n = bvh.motion.frame_count();
    assert!(
        (frames - 30 - 2..=frames - 30 + 2).contains(&n),
        "{n} frames recorded"
    );
    assert!(
        link(&app).vmc.is_some() && link(&app).connection.is_some(),
        "still listening after Stop"
    );
    let library =
        take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("the library");
    let abs = std::path::absolute(&saved).expect("absolute");
    assert!(library.take_for_path(&abs).expect("query").is_some());
    assert!(
        common::errors(&app).is_empty(),
        "{:?}",
        common::errors(&app)
    );
}

/// Weight `i` of face frame `n` (unitless, 0–1).
fn weight(n: i32, i: usize) -> f32 {
    ((i as i32 + n) % 11) as f32 / 10.0
}

fn face_packet(n: i32) -> Vec<u8> {
    let mut values = [0.0f32; 61];
    for (i, v) in values.iter_mut().enumerate().take(52) {
        *v = weight(n, i);
    }
    values[52] = 0.01 * n as f32; // head yaw, radians
    LiveLinkPacket::new(
        "$0A1B2C3D-0000-4000-8000-000000000001",
        "iPhone",
        Some(FaceFrame {
            frame_number: n,
            subframe: 0.0,
            rate_num: 60,
            rate_den: 1,
            values,
        }),
    )
    .encode()
}

#[test]
fn live_link_faces_become_the_live_take_face() {
    let mut app = live_app();
    common::send(
        &mut app,
        LiveCommand::ListenFaces(Some("127.0.0.1:0".parse().expect("addr"))),
    );
    app.update();
    let addr: SocketAddr = link(&app).face.as_ref().expect("listening").local_addr();
    let phone = UdpSocket::bind("127.0.0.1:0").expect("socket");
    phone.send_to(b"not a face", addr).expect("garbage");
    for n in 100..=130 {
        if n == 120 {
            continue; // lost on the way
        }
        phone.send_to(&face_packet(n), addr).expect("sent");
        std::thread::sleep(Duration::from_millis(2));
    }
    update_until(&mut app, 10, |a| {
        link(a).face.as_ref().is_some_and(|f| f.frames >= 30)
    });
    app.update();
    let session = app.world().resource::<Session>();
    let take = session
        .take
        .as_ref()
        .expect("a live take of the face alone");
    let face = take.face.as_ref().expect("the face");
    assert_eq!(face.rate.hz(), 60.0);
    let last = face.frame_count() - 1;
    for (i, c) in face.blendshapes.iter().enumerate() {
        assert_eq!(c.name, mocap_data::face::ARKIT_BLENDSHAPES[i]);
        assert_eq!(c.values[last], weight(130, i), "{} at 130", c.name);
        assert_eq!(c.values[last - 1], weight(129, i), "{} at 129", c.name);
        // 120 never came: it holds 119.
        assert_eq!(c.values[last - 10], weight(119, i), "{} at 120", c.name);
    }
    let yaw = face.curve("headYaw").expect("head yaw");
    assert!((yaw.values[last] - 1.30).abs() < 1e-6);
    let folder = PathBuf::from("/tmp");
    let view = link(&app).view(folder);
    let f = view.face.expect("face figures");
    assert_eq!(f.subject.as_deref(), Some("iPhone"));
    assert_eq!((f.frames, f.lost, f.malformed), (30, 1, 1));
    assert!(f.drawn.p50.is_some(), "received -> drawn measured");
    println!(
        "face received -> drawn (headless): p50 {:?} ms, p99 {:?} ms",
        f.drawn.p50, f.drawn.p99
    );
}

#[test]
fn natnet_markers_solved_live_give_the_live_take_a_skeleton_motion() {
    let Some(path) = data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let file = mocap_formats::c3d::read_path(&path).expect("the walk");
    let server = serve(
        TakeStream::new(&file.points, "walk", None).expect("stream"),
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            looping: true,
            ..ServeConfig::default()
        },
    )
    .expect("server");
    let mut app = live_app();
    common::send(&mut app, LiveCommand::SetSolve(Some("cmu41".into())));
    common::send(
        &mut app,
        LiveCommand::Connect {
            server: server.addr(),
            multicast: None,
            local: "127.0.0.1".parse().expect("addr"),
        },
    );
    // Calibration on the first 120 frames, then every frame solved (a debug build is slow).
    update_until(&mut app, 240, |a| {
        a.world()
            .resource::<Session>()
            .take
            .as_ref()
            .and_then(|t| t.motion.as_ref())
            .is_some_and(|m| {
                let last = m.frame(m.frame_count() - 1);
                last.iter().any(|v| *v != 0.0)
            })
    });
    // The worker publishes its figures a few times a second.
    update_until(&mut app, 10, |a| {
        link(a)
            .status
            .report
            .latency_ms
            .received_to_pose_ready
            .p50
            .is_some()
    });
    let l = link(&app);
    assert_eq!(l.status.skeletons.len(), 1, "one actor solved");
    let take = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .expect("live take");
    assert_eq!(
        take.markers.as_ref().map(|m| m.labels.clone()),
        Some(file.points.labels.clone())
    );
    let sk = take.skeleton.as_ref().expect("the solved skeleton");
    let m = take.motion.as_ref().expect("the solved motion");
    // The hips are near the markers (the walk's pelvis, metres).
    let pose = fk::pose(sk, m.frame(m.frame_count() - 1));
    let hips = pose[0].translation * sk.unit.factor_to(mocap_data::LengthUnit::Metre);
    let markers = take.markers.as_ref().expect("markers");
    let last = markers.frame_count() - 1;
    let centre = (0..markers.marker_count())
        .filter_map(|i| markers.position(last, i))
        .fold((mocap_data::DVec3::ZERO, 0.0), |(s, n), p| {
            (
                s + mocap_data::DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64),
                n + 1.0,
            )
        });
    let centre = centre.0 / centre.1;
    assert!(
        (hips - centre).length() < 0.6,
        "solved hips {hips:?} far from the markers' centre {centre:?}"
    );
    let p = l.status.report.latency_ms.received_to_pose_ready;
    assert!(p.p50.is_some(), "received -> pose ready measured");
    println!(
        "NatNet + live solve received -> pose ready (debug build): p50 {:?} ms, p99 {:?} ms; rms {:?} mm",
        p.p50, p.p99, l.status.report.solve_rms_mm
    );
    common::send(&mut app, LiveCommand::Disconnect);
    app.update();
    server.stop();
}

#[test]
fn natnet_skeletons_drive_the_live_take_without_the_marker_solve() {
    let Some(path) = data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let walk = mocap_formats::bvh::read_path(&path).expect("the walk");
    let (sk, motion) = (&walk.skeleton, &walk.motion);
    // A suit's stream: no markers, one skeleton (bone descriptions + per-frame local poses).
    let none = mocap_data::MarkerTrajectories::new(
        Vec::new(),
        motion.frame_count(),
        motion.rate,
        mocap_data::LengthUnit::Metre,
        mocap_data::UpAxis::Y,
    )
    .expect("an empty take");
    let mut stream = TakeStream::new(&none, "suit", None).expect("stream");
    stream
        .add_motion("Suit".into(), sk, motion)
        .expect("the skeleton fits");
    let first_frame = stream.markers.first_frame;
    let server = serve(
        stream,
        ServeConfig {
            bind: "127.0.0.1:0".parse().expect("addr"),
            looping: true,
            ..ServeConfig::default()
        },
    )
    .expect("server");
    let mut app = live_app();
    common::send(
        &mut app,
        LiveCommand::Connect {
            server: server.addr(),
            multicast: None,
            local: "127.0.0.1".parse().expect("addr"),
        },
    );
    update_until(&mut app, 60, |a| {
        link(a).shown.is_some()
            && a.world()
                .resource::<Session>()
                .take
                .as_ref()
                .and_then(|t| t.motion.as_ref())
                // The three newest rows compared below all hold received frames (rows before
                // the first frame received are zeros).
                .is_some_and(|m| {
                    m.frame_count() >= 3
                        && (1..=3).all(|b| m.frame(m.frame_count() - b).iter().any(|v| *v != 0.0))
                })
    });
    // The worker publishes its figures a few times a second; then compare the newest frames
    // with the served motion.
    update_until(&mut app, 10, |a| {
        link(a)
            .status
            .report
            .latency_ms
            .received_to_pose_ready
            .p50
            .is_some()
    });
    let l = link(&app);
    assert_eq!(l.status.skeletons.len(), 1, "one streamed skeleton");
    assert_eq!(l.status.skeletons[0].0, "Suit");
    assert!(l.solve.is_none(), "no marker solve");
    let shown = l.shown.expect("a frame shown").frame_number;
    let take = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .expect("the live take");
    assert!(take.markers.is_none(), "a skeleton stream has no markers");
    let live_sk = take.skeleton.as_ref().expect("the streamed skeleton");
    assert_eq!(live_sk.joints.len(), sk.joints.len());
    let live = take.motion.as_ref().expect("the live motion");
    let k = sk.unit.factor_to(mocap_data::LengthUnit::Metre);
    let n = motion.frame_count() as i64;
    let mut compared = 0;
    for back in 0..3 {
        let served = (shown - back - first_frame).rem_euclid(n) as usize;
        let got = fk::pose(live_sk, live.frame(live.frame_count() - 1 - back as usize));
        let want = fk::pose(sk, motion.frame(served));
        for (j, joint) in sk.joints.iter().enumerate() {
            let lj = live_sk.joint_index(&joint.name).expect("the bone's joint");
            let w = want[j].translation * k;
            let w = sk
                .up_axis
                .convert_point(mocap_data::UpAxis::Y, w.to_array());
            let w = mocap_data::DVec3::from_array(w);
            let g = got[lj].translation;
            assert!(
                (g - w).length() < 1e-3,
                "{} at served frame {served}: {g:?} vs {w:?}",
                joint.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 3 * 20, "{compared} joints compared");
    let p = l.status.report.latency_ms.received_to_pose_ready;
    println!(
        "NatNet skeleton received -> pose ready (debug build): p50 {:?} ms, p99 {:?} ms",
        p.p50, p.p99
    );
    assert!(
        common::errors(&app).is_empty(),
        "{:?}",
        common::errors(&app)
    );
    common::send(&mut app, LiveCommand::Disconnect);
    app.update();
    server.stop();
}
