//! Headless ECS tests of the studio's render-free plugins (`MinimalPlugins` + `CorePlugins`):
//! loading, real-time playback, J/K/L shuttle, loop within in/out, undo. No window, no GPU.
//!
//! Real-data tests read `MOCAP_TEST_DATA` (the shared data folder): unset → notice and return;
//! set and a file missing → fail.

mod common;
use common::data_dir;

use std::path::PathBuf;
use std::time::Duration;

use bevy::prelude::*;
use bevy::time::TimeUpdateStrategy;
use mocap_data::FrameRate;
use mocap_studio::core_plugins;
use mocap_studio::model::commands::PlaybackCommand;
use mocap_studio::model::edit::EditCommand;
use mocap_studio::model::edit::HistoryCommand;
use mocap_studio::model::log::AppLog;
use mocap_studio::model::log::LogLevel;
use mocap_studio::model::session::Session;
use mocap_studio::model::session::SessionCommand;
use mocap_studio::playback::Playback;

/// An app advancing exactly `step` of virtual time per update.
fn app(step: Duration) -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(core_plugins())
        .insert_resource(TimeUpdateStrategy::ManualDuration(step));
    app
}

fn run(app: &mut App, updates: usize) {
    for _ in 0..updates {
        app.update();
    }
}

fn playback(app: &App) -> &Playback {
    app.world().resource::<Playback>()
}

fn send<M: Message>(app: &mut App, m: M) {
    app.world_mut().write_message(m);
}

const SIXTIETH: Duration = Duration::from_nanos(16_666_667);

#[test]
fn demo_plays_in_real_time_at_120_hz() {
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    send(&mut app, PlaybackCommand::Play);
    app.update();
    let start = playback(&app).frame();
    assert_eq!(playback(&app).rate, FrameRate::FPS_120);
    assert_eq!(playback(&app).frame_count, 1200);
    // One second of 60 Hz display frames is 120 take frames.
    run(&mut app, 60);
    let advanced = playback(&app).frame() - start;
    assert!(
        (119..=121).contains(&advanced),
        "advanced {advanced} frames in 1 s"
    );
}

#[test]
fn jkl_shuttle_through_messages() {
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    send(&mut app, PlaybackCommand::Seek(600));
    send(&mut app, PlaybackCommand::ShuttleForward);
    send(&mut app, PlaybackCommand::ShuttleForward); // L L: 2× forward
    app.update();
    let p = playback(&app);
    assert!(p.playing && p.speed == 2.0 && p.direction > 0.0);
    let f0 = p.frame();
    run(&mut app, 30); // 0.5 s at 2× = 1 s of take = 120 frames
    let f1 = playback(&app).frame();
    assert!((118..=122).contains(&(f1 - f0)), "{f0} → {f1}");
    send(&mut app, PlaybackCommand::ShuttleReverse); // J: 1× reverse
    app.update();
    let f2 = playback(&app).frame();
    run(&mut app, 30);
    let f3 = playback(&app).frame();
    assert!((58..=62).contains(&(f2 - f3)), "{f2} → {f3}");
    send(&mut app, PlaybackCommand::ShuttleStop); // K
    app.update();
    let f4 = playback(&app).frame();
    run(&mut app, 10);
    assert_eq!(playback(&app).frame(), f4);
}

#[test]
fn loops_inside_in_out_and_undo_restores_the_range() {
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    send(&mut app, EditCommand::SetInPoint(Some(100)));
    send(&mut app, EditCommand::SetOutPoint(Some(219)));
    app.update();
    assert_eq!(playback(&app).range, (100, 219));
    send(&mut app, PlaybackCommand::GoToStart);
    send(&mut app, PlaybackCommand::Play);
    app.update();
    let mut seen_wrap = false;
    let mut last = playback(&app).frame();
    for _ in 0..120 {
        app.update();
        let f = playback(&app).frame();
        assert!((100..=219).contains(&f), "frame {f} left the range");
        seen_wrap |= f < last;
        last = f;
    }
    assert!(seen_wrap, "2 s of playback in a 1 s range must wrap");
    // Without loop it stops at the out point.
    send(&mut app, PlaybackCommand::SetLoop(false));
    run(&mut app, 80);
    assert_eq!(playback(&app).frame(), 219);
    assert!(!playback(&app).playing);
    // Undo both edits: the range is the whole take again.
    send(&mut app, HistoryCommand::Undo);
    send(&mut app, HistoryCommand::Undo);
    app.update();
    app.update();
    assert_eq!(playback(&app).range, (0, 1199));
    send(&mut app, HistoryCommand::Redo);
    app.update();
    app.update();
    assert_eq!(playback(&app).range, (100, 1199));
}

#[test]
fn speed_range_and_slow_motion() {
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    send(&mut app, PlaybackCommand::SetSpeed(0.1));
    send(&mut app, PlaybackCommand::Play);
    app.update();
    let f0 = playback(&app).frame();
    run(&mut app, 60); // 1 s at 0.1× = 12 frames
    let d = playback(&app).frame() - f0;
    assert!((11..=13).contains(&d), "{d}");
    send(&mut app, PlaybackCommand::SetSpeed(100.0));
    app.update();
    assert_eq!(playback(&app).speed, 4.0);
}

fn require(path: PathBuf) -> PathBuf {
    assert!(path.exists(), "missing test data file {}", path.display());
    path
}

#[test]
fn opens_real_c3d_asf_amc_and_bvh() {
    let Some(dir) = data_dir() else { return };
    let c3d = require(dir.join("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d"));
    let asf = require(dir.join("c3d_plus_skeleton/cmu_subject39_walk/39.asf"));
    let amc = require(dir.join("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"));
    let bvh = require(dir.join("bvh/bandai_dataset-1_walk_normal_001.bvh"));

    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::Open(vec![asf, amc, c3d]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let log = app.world().resource::<AppLog>();
    let errors: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.level == LogLevel::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let take = app.world().resource::<Session>().take.clone().unwrap();
    let markers = take.markers.as_ref().unwrap();
    assert!(markers.marker_count() > 30);
    assert_eq!(markers.rate, FrameRate::FPS_120);
    let sk = take.skeleton.as_ref().unwrap();
    assert!(sk.joints.len() > 20);
    assert_eq!(
        take.frame_count,
        markers
            .frame_count()
            .max(take.motion.as_ref().unwrap().frame_count())
    );
    // The mannequin builds from a real skeleton with normalised weights.
    let m = mocap_studio::viewport::mannequin::build(sk);
    assert!(m.positions.len() > 1000);
    assert!(
        m.weights
            .iter()
            .all(|w| (w.iter().sum::<f32>() - 1.0).abs() < 1e-5)
    );

    // A BVH replaces the character (the take already has one) in a new take.
    send(&mut app, SessionCommand::Open(vec![bvh]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let take = app.world().resource::<Session>().take.clone().unwrap();
    assert!(take.markers.is_none());
    let motion = take.motion.as_ref().unwrap();
    assert!(motion.frame_count() > 100);
    assert_eq!(playback(&app).frame_count, take.frame_count);
}

#[test]
fn a_broken_file_is_an_error_message_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("mocap-studio-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("broken.c3d");
    std::fs::write(&bad, b"\x02\x50this is not a c3d file").unwrap();
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    send(&mut app, SessionCommand::Open(vec![bad.clone()]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let log = app.world().resource::<AppLog>();
    let last = log.entries.last().unwrap();
    assert_eq!(last.level, LogLevel::Error);
    assert!(last.text.contains("broken.c3d"), "{}", last.text);
    // The demo take is still there.
    assert_eq!(
        app.world()
            .resource::<Session>()
            .take
            .as_ref()
            .unwrap()
            .frame_count,
        1200
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn several_motions_in_one_open_become_actors_of_one_take() {
    let Some(dir) = data_dir() else { return };
    let walk = require(dir.join("bvh/bandai_dataset-1_walk_normal_001.bvh"));
    let kick = require(dir.join("bvh/bandai_dataset-1_kick_normal_001.bvh"));
    let asf = require(dir.join("c3d_plus_skeleton/cmu_subject39_walk/39.asf"));
    let amc = require(dir.join("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc"));

    let mut app = app(SIXTIETH);
    send(
        &mut app,
        SessionCommand::Open(vec![walk.clone(), kick.clone()]),
    );
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    assert!(mocap_studio::model::log::last_errors(app.world(), 5).is_empty());
    let take = app.world().resource::<Session>().take.clone().unwrap();
    assert_eq!(take.actor_count(), 2);
    assert_eq!(take.actors[0].name, "bandai_dataset-1_kick_normal_001");
    let (walk_frames, kick_frames) = (
        take.motion.as_ref().unwrap().frame_count(),
        take.actors[0].motion.frame_count(),
    );
    assert_ne!(walk_frames, kick_frames);
    assert_eq!(take.frame_count, walk_frames.max(kick_frames));
    assert_eq!(playback(&app).frame_count, take.frame_count);
    let (sk1, m1) = take.actor(1).unwrap();
    assert_eq!(m1.channels_per_frame, sk1.channel_count());
    assert!(take.actor(2).is_none());

    // An Acclaim pair added as a third actor (AMC at 120 Hz beside BVHs at their own rate).
    send(&mut app, SessionCommand::Open(vec![asf]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    // The ASF alone waits for its AMC; the take is unchanged.
    assert_eq!(
        app.world()
            .resource::<Session>()
            .take
            .as_ref()
            .unwrap()
            .actor_count(),
        2
    );
    send(&mut app, SessionCommand::AddActor(amc));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    assert!(mocap_studio::model::log::last_errors(app.world(), 5).is_empty());
    let take = app.world().resource::<Session>().take.clone().unwrap();
    assert_eq!(take.actor_count(), 3);
    assert_eq!(take.actor_name(2), "39_01");
    assert!(take.actor(2).unwrap().0.joints.len() > 20);

    // Opening one motion on its own still starts a new take (a single actor).
    send(&mut app, SessionCommand::Open(vec![kick]));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let take = app.world().resource::<Session>().take.clone().unwrap();
    assert_eq!(take.actor_count(), 1);
    assert!(take.actors.is_empty());
}

#[test]
fn actor_frames_follow_time_across_rates() {
    use mocap_studio::model::session::motion_frame;
    let r120 = FrameRate::FPS_120;
    let r30 = FrameRate::integer(30).unwrap();
    assert_eq!(motion_frame(r120, 240, r120, 1000), 240);
    assert_eq!(motion_frame(r120, 240, r30, 1000), 60);
    assert_eq!(motion_frame(r30, 10, r120, 1000), 40);
    // Past the end: the last frame is held.
    assert_eq!(motion_frame(r120, 5000, r30, 100), 99);
    assert_eq!(motion_frame(r120, 7, r30, 0), 0);
}

/// One world (issue 15): a CMU take opened with Vicon's own ASF/AMC solve shows the skeleton on its
/// markers. The C3D holds Vicon's joint-centre points computed from the same AMC; the studio's
/// skeleton, placed in the viewport by the same transforms the viewport uses for joints and
/// markers, lands on them within a millimetre on every frame.
#[test]
fn cmu_skeleton_opened_with_its_take_lands_on_vicon_joint_centres() {
    use mocap_studio::viewport::{skeleton_space_transform, take_space_transform};
    let Some(dir) = data_dir() else { return };
    let walk = dir.join("c3d_plus_skeleton/cmu_subject39_walk");
    let files = vec![
        require(walk.join("39_01.c3d")),
        require(walk.join("39.asf")),
        require(walk.join("39_01.amc")),
    ];
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::Open(files));
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    let session = app.world().resource::<Session>();
    let take = session.take.as_ref().expect("a take");
    let markers = take.markers.as_ref().expect("markers");
    let (sk, motion) = take.actor(0).expect("the skeleton");
    let joint_space = skeleton_space_transform(sk.unit, take.actor_axes(0));
    let marker_space = take_space_transform(markers.unit, markers.up_axis);
    let mut checked = 0;
    for (joint, centre) in [
        ("root", "PEL0"),
        ("ltibia", "LFE0"),
        ("rtibia", "RFE0"),
        ("lfoot", "LTI0"),
        ("rfoot", "RTI0"),
        ("lradius", "LHU0"),
        ("rradius", "RHU0"),
    ] {
        let j = sk
            .joints
            .iter()
            .position(|x| x.name == joint)
            .expect("joint");
        let m = markers
            .labels
            .iter()
            .position(|l| l.ends_with(&format!(":{centre}")) || l == centre)
            .expect("Vicon centre");
        for f in 0..take.frame_count {
            let Some(p) = markers.position(f, m) else {
                continue;
            };
            let mf = mocap_studio::model::session::motion_frame(
                take.rate,
                f,
                motion.rate,
                motion.frame_count(),
            );
            let pose = mocap_data::fk::pose(sk, motion.frame(mf));
            let t = pose[j].translation;
            let jw = joint_space.transform_point(Vec3::new(t.x as f32, t.y as f32, t.z as f32));
            let mw = marker_space.transform_point(Vec3::from_array(p));
            let d_mm = jw.distance(mw) * 1000.0;
            assert!(
                d_mm <= 1.0,
                "frame {f}: {joint} is {d_mm:.2} mm from {centre}"
            );
            checked += 1;
        }
    }
    assert!(checked > 2_000, "only {checked} samples compared");
}

/// A large C3D opens on a worker thread: the demo keeps playing (the app keeps updating, the
/// playhead moves, the HUD says what is being read) until the new take is installed.
#[test]
fn a_large_take_opens_in_the_background_while_the_app_keeps_updating() {
    let dir = std::env::temp_dir().join(format!("mocap-studio-bgopen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("large.c3d");
    // 40 markers × 12 000 frames (100 s at 120 Hz): about 7.7 MB.
    let markers = mocap_solver::synth::cleanup_take(40, 12_000, 3).expect("synthetic take");
    mocap_formats::c3d::write_path(
        &mocap_formats::c3d::C3dFile::from_trajectories(markers),
        &path,
    )
    .expect("C3D written");

    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    send(&mut app, PlaybackCommand::Play);
    run(&mut app, 3);
    let demo_generation = app.world().resource::<Session>().generation;
    send(&mut app, SessionCommand::Open(vec![path.clone()]));
    app.update();
    // The update returned with the file still being read: the demo is still the take.
    let opening = app
        .world()
        .resource::<mocap_studio::model::session::Opening>()
        .clone();
    assert!(opening.busy(), "{opening:?}");
    assert_eq!(
        opening
            .current
            .as_ref()
            .map(|(p, bytes, _)| (p.clone(), *bytes)),
        Some((
            path.clone(),
            std::fs::metadata(&path).expect("written").len()
        ))
    );
    let line = opening.status_line(0.0).expect("a HUD line");
    assert!(line.starts_with("Opening large.c3d (7."), "{line}");
    assert_eq!(
        app.world().resource::<Session>().generation,
        demo_generation
    );
    let at = playback(&app).position_s;

    // Pump until it is in: every update returns, and the demo plays meanwhile.
    let mut updates_while_loading = 1;
    let mut played = false;
    while app
        .world()
        .resource::<mocap_studio::model::session::Opening>()
        .busy()
    {
        assert!(updates_while_loading < 100_000, "the file never opened");
        if app.world().resource::<Session>().generation == demo_generation {
            played |= playback(&app).position_s > at;
        }
        std::thread::sleep(Duration::from_millis(1));
        app.update();
        updates_while_loading += 1;
    }
    assert!(updates_while_loading >= 2, "{updates_while_loading}");
    assert!(played, "the demo did not play while the file was read");
    let take = app
        .world()
        .resource::<Session>()
        .take
        .clone()
        .expect("the take");
    assert_eq!(take.name, "large");
    assert_eq!(take.frame_count, 12_000);
    assert_eq!(take.markers.as_ref().map(|m| m.marker_count()), Some(40));
    assert!(
        app.world()
            .resource::<mocap_studio::model::session::Opening>()
            .current
            .is_none()
    );
    let log = app.world().resource::<AppLog>();
    assert!(
        log.entries
            .iter()
            .any(|e| e.level == LogLevel::Info && e.text.starts_with("Opened ")),
        "{:?}",
        log.entries
    );
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

/// Requests sent behind a running open wait their turn: close, then open, then export, in order.
#[test]
fn requests_behind_an_open_apply_in_order() {
    let dir = std::env::temp_dir().join(format!("mocap-studio-order-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut app = app(SIXTIETH);
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    let bvh = dir.join("demo.bvh");
    send(&mut app, SessionCommand::ExportBvh(bvh.clone()));
    // The BVH is read on the worker; the close waits behind it and then empties the session.
    send(&mut app, SessionCommand::Open(vec![bvh.clone()]));
    send(&mut app, SessionCommand::Close);
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    assert!(app.world().resource::<Session>().take.is_none());
    let log = app.world().resource::<AppLog>();
    let opened = log
        .entries
        .iter()
        .position(|e| e.text.starts_with("Opened "));
    assert!(opened.is_some(), "{:?}", log.entries);
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}
