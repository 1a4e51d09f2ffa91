//! `mocap-studio --bench`: figures for the app's performance targets on a generated 1-hour take
//! (60 markers × 432 000 frames at 120 Hz, written as C3D and opened like a user's file), with
//! the render-free plugins ([`crate::CorePlugins`]: session, playback, history, take library,
//! clean-up) under `MinimalPlugins`. Prints one line per figure.
//!
//! The second part adds [`CHARACTERS`] characters driven by a 1-hour motion through
//! [`crate::character::CharacterPlugin`]: the project's own mannequin, written as GLB by
//! `mocap_solver::mannequin::to_glb`, its nodes spawned as plain entities (no GPU), its retarget
//! prepared in the background on load (time to the first driven frame) and every frame solved on
//! demand and posed with transform propagation.
//!
//! The third part gives the take a face as long as the take and times driving [`CHARACTERS`]
//! faces (the face systems alone).
//!
//! Not covered here (see the README's performance table): rendering and egui, which need a window
//! and GPU (the HUD's "CPU frame" shows the full frame in the app).

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::model::commands::PlaybackCommand;
use crate::model::session::Session;
use crate::model::session::SessionCommand;
use crate::playback::Playback;

/// Frames of the generated take (1 hour at 120 Hz).
pub const FRAMES: usize = 432_000;
/// Markers of the generated take.
pub const MARKERS: usize = 60;
/// Characters driven in the second part.
pub const CHARACTERS: usize = 10;

/// Median, p99 and maximum of `v` in milliseconds ([`mocap_data::stats::p50_p99_max`]).
fn median_ms(v: Vec<Duration>) -> (f64, f64, f64) {
    let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    mocap_data::stats::p50_p99_max(&mut ms)
}

/// Times 300 seeks to frames scattered over a take of `frames` frames (Seek + one update each);
/// every seek must land. Playback is paused first, as when an animator scrubs: a playing clock
/// would move on from the seek by however long the update took, so the check would depend on the
/// machine's speed.
fn jumps(app: &mut App, frames: usize) -> anyhow::Result<Vec<Duration>> {
    app.world_mut().write_message(PlaybackCommand::Pause);
    app.update();
    let mut out = Vec::with_capacity(300);
    let mut f: usize = 1;
    for _ in 0..300 {
        f = (f * 7_919 + 104_729) % frames;
        let t0 = Instant::now();
        app.world_mut().write_message(PlaybackCommand::Seek(f));
        app.update();
        out.push(t0.elapsed());
        anyhow::ensure!(
            app.world().resource::<Playback>().frame() == f,
            "seek to {f} did not land"
        );
    }
    Ok(out)
}

/// Starts playback and times 600 updates.
fn playing(app: &mut App) -> Vec<Duration> {
    app.world_mut().write_message(PlaybackCommand::Play);
    (0..600)
        .map(|_| {
            let t0 = Instant::now();
            app.update();
            t0.elapsed()
        })
        .collect()
}

/// Runs the benchmark on a take of [`FRAMES`] frames, writing the generated files into `dir`.
pub fn run(dir: &Path) -> anyhow::Result<()> {
    run_with(dir, FRAMES)?;
    run_resolve(dir)
}

/// Runs the benchmark on a take of `frames` frames (tests use a short one).
pub fn run_with(dir: &Path, frames: usize) -> anyhow::Result<()> {
    anyhow::ensure!(frames >= 2, "the bench needs at least 2 frames");
    let t0 = Instant::now();
    let take = mocap_solver::synth::cleanup_take(MARKERS, frames, 7)?;
    let path = dir.join("bench-1h.c3d");
    mocap_formats::c3d::write_path(&mocap_formats::c3d::C3dFile::from_trajectories(take), &path)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "bench: generated {MARKERS} markers × {frames} frames @120 Hz ({:.0} MB C3D) in {:.1} s",
        size as f64 / 1e6,
        t0.elapsed().as_secs_f64()
    );

    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(crate::core_plugins());
    app.update();
    let t0 = Instant::now();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![path.clone()]));
    crate::session::wait_until_opened(&mut app, 100_000);
    let open = t0.elapsed();
    let loaded = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .is_some_and(|t| t.frame_count == frames);
    anyhow::ensure!(loaded, "the generated take did not load");
    println!(
        "bench: open take (C3D read + session + clean-up tables): {:.0} ms (target ≤ 500 ms)",
        open.as_secs_f64() * 1e3
    );

    // Jumps to frames spread over the hour (a deterministic scatter).
    let (med, p99, max) = median_ms(jumps(&mut app, frames)?);
    println!(
        "bench: jump to a frame (Seek + one ECS update): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 16 ms)"
    );

    // Playing: ECS update per frame.
    let (med, p99, max) = median_ms(playing(&mut app));
    println!(
        "bench: CPU per frame while playing (core plugins, no render, no characters): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 4 ms with 10 characters)"
    );
    drop(app);
    characters(dir, &path, frames)
}

/// Second part: the 1-hour take with a 1-hour skeleton motion and [`CHARACTERS`] characters.
fn characters(dir: &Path, take_path: &Path, frames: usize) -> anyhow::Result<()> {
    use crate::character::{CharacterDrive, CharacterPlugin, spawn_gltf_nodes};
    use crate::model::scene::{CharacterModel, CharacterStatus};

    let t0 = Instant::now();
    let skeleton = crate::session::demo::demo_skeleton();
    let (motion, _) = crate::session::demo::demo_motion(&skeleton, frames)?;
    let (short, _) = crate::session::demo::demo_motion(&skeleton, 120)?;
    let glb = mocap_solver::mannequin::to_glb(&skeleton, &short, "bench character")?;
    let glb_path = dir.join("bench-character.glb");
    std::fs::write(&glb_path, &glb)?;
    println!(
        "bench: generated a {frames}-frame motion ({} joints) and the mannequin GLB ({:.0} kB) in {:.1} s",
        skeleton.joints.len(),
        glb.len() as f64 / 1e3,
        t0.elapsed().as_secs_f64()
    );

    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(bevy::transform::TransformPlugin)
        .add_plugins(crate::core_plugins())
        .add_plugins(CharacterPlugin);
    app.update();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![take_path.to_path_buf()]));
    crate::session::wait_until_opened(&mut app, 100_000);
    {
        let mut session = app.world_mut().resource_mut::<Session>();
        let take = session
            .take
            .as_mut()
            .ok_or_else(|| anyhow::anyhow!("the generated take did not load"))?;
        take.skeleton = Some(skeleton);
        take.motion = Some(motion);
        session.generation += 1;
    }
    // The characters' GLBs "load" (as when Bevy's loader spawns their scenes) all at once, while
    // the take plays; each is driven from the first frame after its retarget is prepared (in the
    // background), solving the playback frame on demand.
    app.world_mut().write_message(PlaybackCommand::Play);
    // Let the new take settle (systems reacting to it) before the characters appear.
    for _ in 0..10 {
        app.update();
    }
    let mut loaded_at = Vec::with_capacity(CHARACTERS);
    for i in 0..CHARACTERS {
        let world = app.world_mut();
        let root = world
            .spawn((
                CharacterModel {
                    path: glb_path.clone(),
                    actor: 0,
                },
                Transform::from_xyz(i as f32 * 1.2, 0.0, 0.0),
            ))
            .id();
        spawn_gltf_nodes(world, &glb, root).map_err(anyhow::Error::msg)?;
        loaded_at.push((root, Instant::now(), None::<Duration>));
    }
    let t0 = Instant::now();
    let mut frame_times = Vec::new();
    while loaded_at.iter().any(|l| l.2.is_none()) {
        let f0 = Instant::now();
        app.update();
        let done = Instant::now();
        frame_times.push(done - f0);
        for (root, at, first) in &mut loaded_at {
            let driven = app
                .world()
                .get::<CharacterDrive>(*root)
                .is_some_and(|d| d.joints.is_some());
            if first.is_none() && driven {
                *first = Some(done - *at);
            }
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(120),
            "only {} of {CHARACTERS} characters were driven after 2 minutes: {:?}",
            app.world().resource::<CharacterStatus>().driven,
            crate::model::log::last_errors(app.world(), 3)
        );
    }
    anyhow::ensure!(
        app.world().resource::<CharacterStatus>().driven == CHARACTERS,
        "{} of {CHARACTERS} characters driven",
        app.world().resource::<CharacterStatus>().driven
    );
    let latencies: Vec<Duration> = loaded_at.iter().filter_map(|l| l.2).collect();
    let (med, _, max) = median_ms(latencies);
    println!(
        "bench: GLB loaded → first driven frame, {CHARACTERS} characters at once on a {frames}-frame motion: p50 {med:.1} ms, max {max:.1} ms (target ≤ 50 ms)"
    );
    let (fmed, _, fmax) = median_ms(frame_times.clone());
    println!(
        "bench: CPU per frame while the {CHARACTERS} characters load ({} frames, playing): median {fmed:.3} ms, max {fmax:.3} ms (the viewport keeps drawing){}",
        frame_times.len(),
        if frame_times.len() <= 12 {
            let ms: Vec<String> = frame_times
                .iter()
                .map(|d| format!("{:.1}", d.as_secs_f64() * 1e3))
                .collect();
            format!("; frames {} ms", ms.join(", "))
        } else {
            String::new()
        }
    );

    let (med, p99, max) = median_ms(playing(&mut app));
    println!(
        "bench: CPU per frame while playing with {CHARACTERS} driven characters (ECS update incl. transform propagation, no render): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 4 ms)"
    );
    let (med, p99, max) = median_ms(jumps(&mut app, frames)?);
    println!(
        "bench: jump to a frame with {CHARACTERS} characters: median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 16 ms)"
    );
    faces(&mut app, frames)?;
    println!(
        "bench: not measured here: rendering and egui (need a window; the HUD shows the full CPU frame), start-up to first frame (`--exit-after-frames 3` logs it)"
    );
    Ok(())
}

/// Faces: the take gets the demo's face generator's curves as long as the take (60 Hz) and
/// [`CHARACTERS`] faces are driven (the mannequin's identity ARKit map, 52 weights each, and a
/// head joint each). Times the face systems alone (sample at the playhead, keep the face maps in
/// step, write the weights,
/// turn the joints) per frame at scattered frames, through registered systems so their state
/// persists as in the app.
fn faces(app: &mut App, frames: usize) -> anyhow::Result<()> {
    use crate::face::{FaceJoint, FaceMorphs, FacePart};
    use bevy::mesh::morph::MorphWeights;
    let t0 = Instant::now();
    let duration_s = frames as f64 / 120.0;
    let face = crate::session::demo::demo_face(duration_s);
    let face_frames = face.frame_count();
    {
        let mut session = app.world_mut().resource_mut::<Session>();
        if let Some(take) = session.take.as_mut() {
            take.face = Some(face);
        }
        session.generation += 1;
    }
    let mut driven = Vec::new();
    for _ in 0..CHARACTERS {
        let e = app
            .world_mut()
            .spawn((
                FaceMorphs::arkit(0),
                MorphWeights::new(vec![0.0; 52], None)?,
            ))
            .id();
        app.world_mut().spawn((
            Transform::default(),
            FaceJoint::new(0, FacePart::Head, [Vec3::Y, Vec3::X, Vec3::Z]),
        ));
        driven.push(e);
    }
    println!(
        "bench: face of {face_frames} frames @60 Hz generated and {CHARACTERS} faces spawned in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    let world = app.world_mut();
    let sample = world.register_system(crate::face::sample_face);
    let sync = world.register_system(crate::face::facemap::sync_face_morphs);
    let drive = world.register_system(crate::face::drive_face_morphs);
    let joints = world.register_system(crate::face::drive_face_joints);
    let mut times = Vec::with_capacity(600);
    let mut moved = 0usize;
    for k in 0..600usize {
        let f = (k * 7919) % frames;
        world.resource_mut::<Playback>().position_s = f as f64 / 120.0;
        let t = Instant::now();
        world.run_system(sample)?;
        world.run_system(sync)?;
        world.run_system(drive)?;
        world.run_system(joints)?;
        times.push(t.elapsed());
        moved += driven
            .iter()
            .filter_map(|e| world.get::<MorphWeights>(*e))
            .filter(|w| w.weights().iter().any(|x| *x > 0.0))
            .count();
    }
    anyhow::ensure!(moved > 0, "no face moved");
    let (med, p99, max) = median_ms(times);
    println!(
        "bench: driving {CHARACTERS} faces (sample the face by time, check each face map's revision, 52 morph weights and a head joint each): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms per frame (target ≤ 0.5 ms)"
    );
    Ok(())
}

/// Frames of the re-solve bench's take (10 minutes at 120 Hz).
pub const RESOLVE_FRAMES: usize = 72_000;

/// CPU time the calling thread has run, from `/proc/thread-self/schedstat` (nanoseconds;
/// Linux; the kernel updates it at scheduler ticks, so single short updates can read low — the
/// wall time printed beside it is the upper bound). `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// `mocap-studio --bench-resolve` (also the end of `--bench`): a full re-solve of a generated
/// 10-minute 120 Hz take (`mocap_solver::resolve::synthetic_take`: the template skeleton, 41
/// `cmu41` markers) started from the Cleanup engine ([`CleanupCommand::Resolve`]) while the
/// main thread keeps running the ECS update loop, paced at 60 Hz and playing. Prints the main
/// thread's CPU time per update while the solve runs (p50/p99/max) and the frame rate that CPU
/// time allows, the update that applies the result, and the solve's total time.
pub fn run_resolve(dir: &Path) -> anyhow::Result<()> {
    use crate::cleanup::Cleanup;
    use crate::model::commands::CleanupCommand;
    use crate::model::edit::EditCommand;
    let t0 = Instant::now();
    let (_, take) = mocap_solver::resolve::synthetic_take(RESOLVE_FRAMES)?;
    let markers = take.marker_count();
    let path = dir.join("bench-resolve-10min.c3d");
    mocap_formats::c3d::write_path(&mocap_formats::c3d::C3dFile::from_trajectories(take), &path)?;
    println!(
        "bench: re-solve take: {markers} markers × {RESOLVE_FRAMES} frames @120 Hz generated in {:.1} s; {} solver threads",
        t0.elapsed().as_secs_f64(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut app = App::new();
    app.add_plugins(MinimalPlugins)
        .add_plugins(crate::core_plugins());
    app.update();
    app.world_mut()
        .write_message(SessionCommand::Open(vec![path.clone()]));
    crate::session::wait_until_opened(&mut app, 100_000);
    app.update();
    let mut stack = mocap_solver::stack::OpStack::new();
    stack.solve = Some(mocap_solver::resolve::SolveStage::default());
    stack.motion.push(mocap_solver::resolve::MotionEntry::new(
        mocap_solver::resolve::MotionOperation::FootLock(
            mocap_solver::resolve::FootLockStage::default(),
        ),
    ));
    app.world_mut().write_message(EditCommand::SetCleanupStack {
        stack: Box::new(stack.clone()),
        what: "bench".into(),
        merge: None,
    });
    app.update();
    app.world_mut().write_message(PlaybackCommand::Play);
    app.world_mut().write_message(CleanupCommand::Resolve);
    let solving = |app: &App| app.world().resource::<Cleanup>().motion.is_solving();
    let start = Instant::now();
    app.update();
    anyhow::ensure!(solving(&app), "the re-solve did not start");
    let pace = Duration::from_micros(16_667);
    let (mut cpu, mut wall) = (Vec::new(), Vec::new());
    while solving(&app) {
        let c0 = thread_cpu();
        let w0 = Instant::now();
        app.update();
        let w = w0.elapsed();
        if let (Some(a), Some(b)) = (c0, thread_cpu()) {
            cpu.push(b.saturating_sub(a));
        }
        wall.push(w);
        std::thread::sleep(pace.saturating_sub(w));
    }
    let total = start.elapsed();
    // The update that collected the result wrote the edit; the next ones apply and show it.
    let mut apply = Duration::ZERO;
    for _ in 0..3 {
        let w0 = Instant::now();
        app.update();
        apply = apply.max(w0.elapsed());
    }
    let solved = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .and_then(|t| t.solved.clone());
    let Some(solved) = solved else {
        anyhow::bail!("the re-solve produced no motion");
    };
    let updates = wall.len();
    let (cpu_med, cpu_p99, cpu_max) = median_ms(if cpu.is_empty() { wall.clone() } else { cpu });
    let (wall_med, wall_p99, _) = median_ms(wall);
    println!(
        "bench: re-solve in the background: {} frames solved ({} failed), marker RMS {:.2} mm, total {:.1} s ({:.0} frames/s)",
        solved.frames_solved,
        solved.frames_failed,
        solved.marker_rms_mm,
        total.as_secs_f64(),
        RESOLVE_FRAMES as f64 / total.as_secs_f64()
    );
    println!(
        "bench: main-thread CPU per ECS update during the re-solve ({updates} updates, paced at 60 Hz, playing): p50 {cpu_med:.3} ms, p99 {cpu_p99:.3} ms, max {cpu_max:.3} ms → {:.0} fps of CPU time at p99 (target ≥ 30 fps, ≤ 33 ms); wall p50 {wall_med:.3} ms, p99 {wall_p99:.3} ms",
        1e3 / cpu_p99.max(1e-3)
    );
    println!(
        "bench: applying the result (edit + foot lock + showing the motion, main thread): {:.1} ms wall",
        apply.as_secs_f64() * 1e3
    );
    // A contact edit re-runs the foot lock on the main thread: time that update.
    let feet = app.world().resource::<Cleanup>().motion.feet.clone();
    if let Some(foot) = feet.first() {
        let edited = crate::cleanup::panel::with_contact_edit(
            &stack,
            mocap_solver::resolve::ContactEdit::Add {
                foot: foot.clone(),
                start: 100,
                end: 160,
            },
        )
        .ok_or_else(|| anyhow::anyhow!("no foot lock entry"))?;
        app.world_mut().write_message(EditCommand::SetCleanupStack {
            stack: Box::new(edited),
            what: "bench contact".into(),
            merge: None,
        });
        let t0 = Instant::now();
        let mut worst = Duration::ZERO;
        let mut updates = 0;
        loop {
            let w0 = Instant::now();
            app.update();
            worst = worst.max(w0.elapsed());
            updates += 1;
            let m = &app.world().resource::<Cleanup>().motion;
            if !m.is_updating() || updates > 100_000 {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // One more update shows the result.
        let w0 = Instant::now();
        app.update();
        worst = worst.max(w0.elapsed());
        println!(
            "bench: a contact edit (foot lock re-run over {RESOLVE_FRAMES} frames in the background): shown after {:.1} ms; longest main-thread update {:.1} ms wall",
            t0.elapsed().as_secs_f64() * 1e3,
            worst.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
