//! `mocap-studio --bench`: figures for the app's performance targets on a generated 1-hour take
//! (60 markers × 432 000 frames at 120 Hz, written as C3D and opened like a user's file), with
//! the render-free plugins ([`crate::CorePlugins`]: session, playback, history, take library,
//! clean-up) under `MinimalPlugins`. Prints one line per figure.
//!
//! Not covered here (see the README's performance table): rendering, egui, and glTF characters,
//! which need a window and GPU.

use std::path::Path;
use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::playback::{Playback, PlaybackCommand};
use crate::session::{Session, SessionCommand};

/// Frames of the generated take (1 hour at 120 Hz).
pub const FRAMES: usize = 432_000;
/// Markers of the generated take.
pub const MARKERS: usize = 60;

fn median_ms(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let p = |q: f64| ms(v[((v.len() - 1) as f64 * q).round() as usize]);
    (p(0.5), p(0.99), ms(*v.last().unwrap_or(&Duration::ZERO)))
}

/// Runs the benchmark, writing the generated take into `dir`.
pub fn run(dir: &Path) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let take = mocap_solver::synth::cleanup_take(MARKERS, FRAMES, 7)?;
    let path = dir.join("bench-1h.c3d");
    mocap_formats::c3d::write_path(&mocap_formats::c3d::C3dFile::from_trajectories(take), &path)?;
    let size = std::fs::metadata(&path)?.len();
    println!(
        "bench: generated {MARKERS} markers × {FRAMES} frames @120 Hz ({:.0} MB C3D) in {:.1} s",
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
    app.update();
    let open = t0.elapsed();
    let loaded = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .is_some_and(|t| t.frame_count == FRAMES);
    anyhow::ensure!(loaded, "the generated take did not load");
    println!(
        "bench: open take (C3D read + session + clean-up tables): {:.0} ms (target ≤ 500 ms)",
        open.as_secs_f64() * 1e3
    );

    // Jumps to frames spread over the hour (a deterministic scatter).
    let mut jumps = Vec::new();
    let mut f: usize = 1;
    for _ in 0..300 {
        f = (f * 7_919 + 104_729) % FRAMES;
        let t0 = Instant::now();
        app.world_mut().write_message(PlaybackCommand::Seek(f));
        app.update();
        jumps.push(t0.elapsed());
        anyhow::ensure!(
            app.world().resource::<Playback>().frame() == f,
            "seek to {f} did not land"
        );
    }
    let (med, p99, max) = median_ms(jumps);
    println!(
        "bench: jump to a frame (Seek + one ECS update): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 16 ms)"
    );

    // Playing: ECS update per frame.
    app.world_mut().write_message(PlaybackCommand::Play);
    let mut frames = Vec::new();
    for _ in 0..600 {
        let t0 = Instant::now();
        app.update();
        frames.push(t0.elapsed());
    }
    let (med, p99, max) = median_ms(frames);
    println!(
        "bench: CPU per frame while playing (core plugins, no render, no characters): median {med:.3} ms, p99 {p99:.3} ms, max {max:.3} ms (target ≤ 4 ms with 10 characters)"
    );
    println!(
        "bench: not measured here: 10 glTF characters (needs the render app), start-up to first frame (see README)"
    );
    Ok(())
}
