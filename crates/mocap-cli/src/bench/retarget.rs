//! `mocap bench retarget`: the headless part of driving a character (what the studio's character
//! plugin runs): from a GLB's bytes to its first retargeted frame (read, parse the skin,
//! choose the bone maps, prepare the [`Retargeter`], solve the frame at the playhead), then
//! solving frames on demand at scattered frames of a 1-hour motion for `--characters`
//! characters, against the whole-motion pass that was done before.

use anyhow::{Context, Result};
use mocap_data::Motion;
use mocap_solver::retarget::{BoneMap, Retargeter, retarget, skeleton_from_gltf};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `mocap bench retarget`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Source BVH (its motion is repeated to `--minutes`); default: the Bandai walk in
    /// `$MOCAP_TEST_DATA/bvh`.
    #[arg(long)]
    bvh: Option<PathBuf>,
    /// Character GLB; default: `$MOCAP_TEST_DATA/gltf/threejs_examples/Soldier.glb`.
    #[arg(long)]
    glb: Option<PathBuf>,
    /// Motion length, minutes.
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Motion rate, Hz (the clip's frames are repeated at this rate, as a 1-hour 120 Hz take).
    #[arg(long, default_value_t = 120.0)]
    hz: f64,
    /// Characters driven at once.
    #[arg(long, default_value_t = 10)]
    characters: usize,
    /// Timed loads (GLB bytes → first frame).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Also time the whole-motion retarget of one character (what loading did before).
    #[arg(long)]
    whole: bool,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// p50 and max of `v`, milliseconds.
fn p50_max(v: &[Duration]) -> (f64, f64) {
    let mut x: Vec<f64> = v.iter().copied().map(ms).collect();
    let (p50, _, max) = mocap_data::stats::p50_p99_max(&mut x);
    (p50, max)
}

fn data(rel: &str) -> Result<PathBuf> {
    let dir = std::env::var_os("MOCAP_TEST_DATA")
        .context("give --bvh and --glb, or set MOCAP_TEST_DATA to the shared data folder")?;
    Ok(PathBuf::from(dir).join(rel))
}

/// Runs `mocap bench retarget`.
pub fn run(a: Args) -> Result<()> {
    let bvh = match a.bvh {
        Some(p) => p,
        None => data("bvh/bandai_dataset-1_walk_normal_001.bvh")?,
    };
    let glb = match a.glb {
        Some(p) => p,
        None => data("gltf/threejs_examples/Soldier.glb")?,
    };
    let src = mocap_formats::bvh::read_path(&bvh).with_context(|| format!("{}", bvh.display()))?;
    let (sk, clip) = (src.skeleton, src.motion);
    anyhow::ensure!(clip.frame_count() > 0, "{} has no frames", bvh.display());
    let rate = mocap_data::FrameRate::from_hz(a.hz)?;
    let frames = ((a.minutes * 60.0 * rate.hz()).round() as usize).max(1);
    let mut motion: Motion = Motion::zeros(&sk, frames, rate)?;
    for f in 0..frames {
        motion
            .frame_mut(f)
            .copy_from_slice(clip.frame(f % clip.frame_count()));
    }
    let size = std::fs::metadata(&glb)?.len();
    println!(
        "retarget bench: {} ({} joints) repeated to {frames} frames ({:.0} min @ {} Hz) onto {} ({:.0} kB)",
        bvh.display(),
        sk.joints.len(),
        a.minutes,
        rate.hz(),
        glb.display(),
        size as f64 / 1e3
    );

    // GLB bytes → first frame solved, step by step.
    let playhead = frames / 2;
    let (mut read, mut parse, mut maps, mut prep, mut first, mut total) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut r = None;
    for _ in 0..a.runs.max(3) {
        let t0 = Instant::now();
        let bytes = std::fs::read(&glb)?;
        let t1 = Instant::now();
        let target = skeleton_from_gltf(&bytes)?;
        let t2 = Instant::now();
        let presets = BoneMap::presets();
        let sm = BoneMap::best_for(&sk, &presets)?;
        let tm = BoneMap::best_for(&target.skeleton, &presets)?;
        let t3 = Instant::now();
        let rt = Retargeter::new(&sk, &sm, &target.skeleton, &tm)?;
        let t4 = Instant::now();
        let pose = rt.frame(&motion, playhead)?;
        let t5 = Instant::now();
        anyhow::ensure!(pose.local_rotations.iter().all(|q| q.is_finite()));
        read.push(t1 - t0);
        parse.push(t2 - t1);
        maps.push(t3 - t2);
        prep.push(t4 - t3);
        first.push(t5 - t4);
        total.push(t5 - t0);
        r = Some(rt);
    }
    let r = r.context("no run")?;
    for (what, v) in [
        ("read the GLB", &read),
        ("skeleton_from_gltf", &parse),
        ("bone maps (presets, best_for ×2)", &maps),
        ("Retargeter::new", &prep),
        ("first frame (Retargeter::frame)", &first),
    ] {
        let (p50, max) = p50_max(v);
        println!("retarget bench:   {what}: p50 {p50:.3} ms, max {max:.3} ms");
    }
    let (p50, max) = p50_max(&total);
    println!(
        "retarget bench: GLB bytes → first retargeted frame, one character: p50 {p50:.3} ms, max {max:.3} ms; {} characters one after another ≈ {:.1} ms (target ≤ 50 ms to each one's first driven frame)",
        a.characters,
        p50 * a.characters as f64
    );

    // On demand: every displayed frame solves `characters` characters at the playhead.
    let mut per_frame = Vec::new();
    let mut f: usize = 1;
    for _ in 0..1000 {
        f = (f * 7_919 + 104_729) % frames;
        let t0 = Instant::now();
        for _ in 0..a.characters {
            std::hint::black_box(r.frame(&motion, f)?);
        }
        per_frame.push(t0.elapsed());
    }
    let mut x: Vec<f64> = per_frame.iter().copied().map(ms).collect();
    let (p50, p99, max) = mocap_data::stats::p50_p99_max(&mut x);
    println!(
        "retarget bench: solving the playhead frame for {} characters (scattered frames over the motion): p50 {p50:.3} ms, p99 {p99:.3} ms, max {max:.3} ms per displayed frame",
        a.characters
    );

    if a.whole {
        let target = skeleton_from_gltf(&std::fs::read(&glb)?)?;
        let presets = BoneMap::presets();
        let sm = BoneMap::best_for(&sk, &presets)?;
        let tm = BoneMap::best_for(&target.skeleton, &presets)?;
        let t0 = Instant::now();
        let whole = retarget(&sk, &motion, &sm, &target.skeleton, &tm)?;
        let dt = t0.elapsed();
        println!(
            "retarget bench: whole-motion retarget (before: done on load), one character, {} frames: {:.2} s; {} characters ≈ {:.1} s",
            whole.frame_count,
            dt.as_secs_f64(),
            a.characters,
            dt.as_secs_f64() * a.characters as f64
        );
    }
    Ok(())
}
