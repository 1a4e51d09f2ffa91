//! `mocap bench accuracy` and `mocap bench solve`: solver accuracy on real motion with synthetic,
//! corrupted markers, and solver speed (single core, batch scaling, live multi-actor latency).

use anyhow::bail;
use mocap_data::{LengthUnit, MarkerTrajectories, Motion, Skeleton};
use mocap_formats::{asf, bvh, c3d};
use mocap_solver::ik::{IkSolver, SolveOptions};
use mocap_solver::markerset::{self, MarkerSet};
use mocap_solver::model::SolverModel;
use mocap_solver::pipeline::{self, Calibration, PipelineOptions};
use mocap_solver::synth::{self, AccuracyConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mocap bench accuracy`.
#[derive(clap::Args, Debug)]
pub struct AccuracyArgs {
    /// Real motion (BVH) to place markers on.
    #[arg(long, value_name = "X.bvh")]
    motion: PathBuf,
    /// Length unit of the BVH (BVH files do not state one).
    #[arg(long, default_value = "cm", value_parser = parse_unit)]
    bvh_unit: LengthUnit,
    /// Marker set to place (the automatic 3-per-segment set replaces it when its segment
    /// names do not fit the skeleton).
    #[arg(long, default_value = "fullbody53", value_name = "NAME|FILE")]
    markerset: String,
    /// Gaussian noise per axis, standard deviation in mm.
    #[arg(long, default_value_t = 0.0, value_name = "SIGMA")]
    noise_mm: f64,
    /// Fraction of marker-frames occluded, in runs of 1–60 frames.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    occlusion: f64,
    /// Fraction of marker-frames swapped between nearby markers.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    swaps: f64,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Use at most this many frames (from the first).
    #[arg(long, value_name = "N")]
    frames: Option<usize>,
    /// Realistic run: the solver is not told the truth (marker offsets off by up to
    /// `--offset-error-mm`, segment lengths by up to `--length-error`, slow drift of up to
    /// `--drift-mm`); the subject is calibrated on a generated range-of-motion trial first.
    /// The oracle figure (truth given to the solver) is printed beside it.
    #[arg(long)]
    realistic: bool,
    /// Realistic run: marker offset error, mm per axis (uniform).
    #[arg(long, default_value_t = 15.0)]
    offset_error_mm: f64,
    /// Realistic run: segment length error, fraction (uniform).
    #[arg(long, default_value_t = 0.05)]
    length_error: f64,
    /// Realistic run: soft-tissue drift amplitude, mm per axis.
    #[arg(long, default_value_t = 3.0)]
    drift_mm: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn parse_unit(s: &str) -> Result<LengthUnit, String> {
    LengthUnit::parse(s).ok_or_else(|| format!("unknown unit {s:?}; use mm, cm, m or in"))
}

#[derive(Serialize)]
struct AccuracyOut {
    motion: String,
    noise_mm: f64,
    occlusion: f64,
    swaps: f64,
    seed: u64,
    #[serde(flatten)]
    report: synth::AccuracyReport,
}

/// Runs `mocap bench accuracy`.
pub fn run_accuracy(args: AccuracyArgs) -> anyhow::Result<()> {
    for (name, v) in [("--occlusion", args.occlusion), ("--swaps", args.swaps)] {
        if !(0.0..=1.0).contains(&v) {
            bail!("{name} {v}: give a fraction between 0 and 1");
        }
    }
    if !(args.noise_mm >= 0.0 && args.noise_mm.is_finite()) {
        bail!(
            "--noise-mm {}: give a standard deviation ≥ 0",
            args.noise_mm
        );
    }
    let f = bvh::read_path_with(
        &args.motion,
        &bvh::ReadOptions {
            unit: args.bvh_unit,
            ..bvh::ReadOptions::default()
        },
    )?;
    let config = AccuracyConfig {
        markerset: MarkerSet::load(&args.markerset)?,
        noise_mm: args.noise_mm,
        occlusion: args.occlusion,
        swaps: args.swaps,
        seed: args.seed,
        frames: args.frames.map(|n| 0..n),
        solve: SolveOptions::default(),
    };
    if args.realistic {
        let realism = mocap_solver::synth_real::Realism {
            offset_error_mm: args.offset_error_mm,
            length_error: args.length_error,
            drift_mm: args.drift_mm,
            ..Default::default()
        };
        let r = mocap_solver::synth_real::realistic_run(&f.skeleton, &f.motion, &config, &realism)?;
        if args.json {
            println!("{}", serde_json::to_string_pretty(&r)?);
        } else {
            println!(
                "{}: {} frames, {} markers; offsets ±{} mm, lengths ±{:.0} %, drift {} mm, \
                 noise {} mm; calibrated on a {}-frame range of motion (fit RMS {:.2} mm)",
                args.motion.display(),
                r.frames,
                r.markers,
                args.offset_error_mm,
                args.length_error * 100.0,
                args.drift_mm,
                args.noise_mm,
                r.rom_frames,
                r.calibration_rms_mm
            );
            println!(
                "calibrated: MPJPE {:.2} mm (max {:.1} mm), rotation error {:.2}°",
                r.calibrated.mpjpe_mm, r.calibrated.max_joint_err_mm, r.calibrated.rotation_err_deg
            );
            println!(
                "oracle (true skeleton and marker offsets given to the solver): MPJPE {:.2} mm, \
                 rotation error {:.2}°",
                r.oracle.mpjpe_mm, r.oracle.rotation_err_deg
            );
        }
        return Ok(());
    }
    let report = synth::accuracy_run(&f.skeleton, &f.motion, &config)?;
    let out = AccuracyOut {
        motion: args.motion.display().to_string(),
        noise_mm: args.noise_mm,
        occlusion: args.occlusion,
        swaps: args.swaps,
        seed: args.seed,
        report,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let r = &out.report;
        println!(
            "{}: {} frames, {} markers{}, noise {} mm, occlusion {:.3}, swaps {:.3}",
            out.motion,
            r.frames,
            r.markers,
            if r.automatic_markerset {
                " (automatic set)"
            } else {
                ""
            },
            out.noise_mm,
            r.occluded_fraction,
            r.swapped_fraction
        );
        println!(
            "MPJPE {:.2} mm (max {:.1} mm), rotation error {:.2}°, marker RMS {:.2} mm, {} failed frames, {:.0} frames/s",
            r.mpjpe_mm,
            r.max_joint_err_mm,
            r.rotation_err_deg,
            r.marker_rms_mm,
            r.frames_failed,
            r.solve_fps
        );
    }
    Ok(())
}

/// Arguments of `mocap bench solve`.
#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// Skeleton of the 41-marker take (default: the CMU subject 39 ASF under
    /// `$MOCAP_TEST_DATA/c3d_plus_skeleton/cmu_subject39_walk/`).
    #[arg(long, value_name = "X.asf")]
    asf: Option<PathBuf>,
    /// The 41-marker take (default: `39_01.c3d` beside the default ASF).
    #[arg(long, value_name = "X.c3d")]
    take: Option<PathBuf>,
    /// Seconds to spend per single-core measurement.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Scaling {
    threads: usize,
    frames_per_s: f64,
    speedup: f64,
}

#[derive(Serialize)]
struct SolveBench {
    take: String,
    markers: usize,
    active_dofs: usize,
    frames: usize,
    single_core_frames_per_s: f64,
    single_core_marker_rms_mm: f64,
    single_core_median_iterations: u32,
    template_single_core_frames_per_s: f64,
    template_marker_rms_mm: f64,
    batch_frames: usize,
    batch_scaling: Vec<Scaling>,
    live_actors: usize,
    live_markers_per_actor: usize,
    live_frame_latency_median_ms: f64,
    live_frame_latency_p99_ms: f64,
    live_frame_latency_max_ms: f64,
}

fn default_data(file: &str) -> anyhow::Result<PathBuf> {
    let Some(d) = std::env::var_os("MOCAP_TEST_DATA") else {
        bail!(
            "no --asf/--take given and MOCAP_TEST_DATA is unset: pass the 41-marker take and its skeleton, or set MOCAP_TEST_DATA to the shared data folder"
        );
    };
    Ok(PathBuf::from(d)
        .join("c3d_plus_skeleton/cmu_subject39_walk")
        .join(file))
}

/// `take` repeated `times` times end to end (a longer take with the same content).
fn tile(take: &MarkerTrajectories, times: usize) -> anyhow::Result<MarkerTrajectories> {
    let n = take.frame_count() * times;
    let mut out =
        MarkerTrajectories::new(take.labels.clone(), n, take.rate, take.unit, take.up_axis)?;
    for t in 0..times {
        for f in 0..take.frame_count() {
            for m in 0..take.marker_count() {
                out.set_sample(t * take.frame_count() + f, m, take.sample(f, m));
            }
        }
    }
    Ok(out)
}

/// Runs `mocap bench solve`.
pub fn run_solve(args: SolveArgs) -> anyhow::Result<()> {
    let asf_path = match &args.asf {
        Some(p) => p.clone(),
        None => default_data("39.asf")?,
    };
    let take_path = match &args.take {
        Some(p) => p.clone(),
        None => default_data("39_01.c3d")?,
    };
    let a = asf::read_asf_path(&asf_path)?;
    let skeleton = a.to_skeleton(LengthUnit::Millimetre);
    let take = c3d::read_path(&take_path)?.points;
    let set = MarkerSet::preset("cmu41")?;

    // Calibrate once (not timed), then time the batch solve on one core.
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let solves = pipeline::solve_take(
        &skeleton,
        &set,
        &take,
        Calibration::FromTake,
        &PipelineOptions::default(),
        None,
    )?;
    let Some(first) = solves.first() else {
        bail!("{}: no actor found", take_path.display());
    };
    let solver = first.solver.clone();
    let serial = IkSolver::new(
        solver.model().clone(),
        solver.markers().to_vec(),
        SolveOptions {
            parallel: false,
            ..solver.options().clone()
        },
    )?;
    let mut frames = 0usize;
    let t0 = Instant::now();
    let mut last = None;
    while t0.elapsed().as_secs_f64() < args.seconds || last.is_none() {
        let r = single.install(|| serial.solve_take(&take, None))?;
        frames += take.frame_count();
        last = Some(r);
    }
    let single_fps = frames as f64 / t0.elapsed().as_secs_f64();
    let Some(last) = last else {
        bail!("no solve ran");
    };
    let (rms, _) = last.marker_rms_max_mm();
    let mut it = last.iterations.clone();
    it.sort_unstable();
    let median_it = it.get(it.len() / 2).copied().unwrap_or(0);

    // The same take on the built-in template skeleton (scale calibrated; no joint limits).
    let (template_fps, template_rms) = template_solve(&set, &take, &single, args.seconds)?;

    // Batch scaling on a longer take (the take tiled), 1..=cores threads.
    let long = tile(&take, 20)?;
    let scaling = batch_scaling(&solver, &long)?;

    // Live: 5 actors × 53 markers (fullbody53 on this skeleton, driven by our solve of the
    // take, actors 2 m apart), one frame at a time, warm-started from the previous frame.
    let actors = 5usize;
    let (m, lat) = live_latencies(&skeleton, &first.result.motion, actors, &asf_path)?;
    let pick = |q: f64| {
        lat.get(((lat.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };

    let out = SolveBench {
        take: take_path.display().to_string(),
        markers: solver.markers().len(),
        active_dofs: solver.active_dof_count(),
        frames: take.frame_count(),
        single_core_frames_per_s: single_fps,
        single_core_marker_rms_mm: rms,
        single_core_median_iterations: median_it,
        template_single_core_frames_per_s: template_fps,
        template_marker_rms_mm: template_rms,
        batch_frames: long.frame_count(),
        batch_scaling: scaling,
        live_actors: actors,
        live_markers_per_actor: m,
        live_frame_latency_median_ms: pick(0.5),
        live_frame_latency_p99_ms: pick(0.99),
        live_frame_latency_max_ms: pick(1.0),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_solve_bench(&out);
    }
    Ok(())
}

/// The take solved on the built-in template skeleton on one core for `seconds`: (frames per
/// second, marker RMS in mm); NaN when no actor was found.
fn template_solve(
    set: &MarkerSet,
    take: &MarkerTrajectories,
    single: &rayon::ThreadPool,
    seconds: f64,
) -> anyhow::Result<(f64, f64)> {
    let template = mocap_solver::model::template_skeleton()?;
    let t_solves = pipeline::solve_take(
        &template,
        set,
        take,
        Calibration::FromTake,
        &PipelineOptions {
            calibration: mocap_solver::calibrate::CalibrationOptions {
                fit_scale: true,
                ..Default::default()
            },
            ..PipelineOptions::default()
        },
        None,
    )?;
    Ok(match t_solves.first() {
        Some(ts) => {
            let s = IkSolver::new(
                ts.solver.model().clone(),
                ts.solver.markers().to_vec(),
                SolveOptions {
                    parallel: false,
                    ..ts.solver.options().clone()
                },
            )?;
            let mut frames = 0usize;
            let t0 = Instant::now();
            let mut rms = f64::NAN;
            while t0.elapsed().as_secs_f64() < seconds || frames == 0 {
                let r = single.install(|| s.solve_take(take, None))?;
                frames += take.frame_count();
                rms = r.marker_rms_max_mm().0;
            }
            (frames as f64 / t0.elapsed().as_secs_f64(), rms)
        }
        None => (f64::NAN, f64::NAN),
    })
}

/// Batch solve speed of `long` on 1, 2, 4, … threads up to the core count.
fn batch_scaling(solver: &IkSolver, long: &MarkerTrajectories) -> anyhow::Result<Vec<Scaling>> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mut counts = vec![1usize];
    let mut c = 2;
    while c < cores {
        counts.push(c);
        c *= 2;
    }
    if cores > 1 {
        counts.push(cores);
    }
    let mut scaling: Vec<Scaling> = Vec::new();
    for &threads in &counts {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        let t = Instant::now();
        pool.install(|| solver.solve_take(long, None))?;
        let fps = long.frame_count() as f64 / t.elapsed().as_secs_f64();
        let base = scaling.first().map(|s| s.frames_per_s).unwrap_or(fps);
        scaling.push(Scaling {
            threads,
            frames_per_s: fps,
            speedup: fps / base,
        });
    }
    Ok(scaling)
}

/// Live solving of `actors` copies of the fullbody53 set driven by `motion` (2 m apart), one
/// frame at a time: markers per actor and the sorted per-frame latencies (ms).
fn live_latencies(
    skeleton: &Skeleton,
    motion: &Motion,
    actors: usize,
    asf_path: &Path,
) -> anyhow::Result<(usize, Vec<f64>)> {
    let fb = MarkerSet::preset("fullbody53")?;
    let model = SolverModel::new(skeleton, &Default::default())?;
    let (placed, unplaced) = fb.place(&model);
    if !unplaced.is_empty() {
        bail!(
            "fullbody53 does not fit {}: {unplaced:?}",
            asf_path.display()
        );
    }
    let one = synth::markers_from_motion(&model, &placed, motion)?;
    let m = one.marker_count();
    let mut labels = Vec::new();
    for a in 0..actors {
        labels.extend(one.labels.iter().map(|l| format!("Actor{}:{l}", a + 1)));
    }
    let frames_n = one.frame_count();
    let mut multi = MarkerTrajectories::new(labels, frames_n, one.rate, one.unit, one.up_axis)?;
    for f in 0..frames_n {
        for a in 0..actors {
            for k in 0..m {
                let mut s = one.sample(f, k);
                s.position[0] += 2000.0 * a as f32;
                multi.set_sample(f, a * m + k, s);
            }
        }
    }
    let live_opts = SolveOptions {
        parallel: false,
        ..SolveOptions::default()
    }
    .for_set(&fb);
    let mut live = Vec::new();
    for a in 0..actors {
        let b = markerset::bind(&model, &placed, &multi.labels, &format!("Actor{}", a + 1));
        let s = IkSolver::new(model.clone(), b.markers, live_opts.clone())?;
        let ws = s.workspace();
        let pose = model.rest_pose();
        live.push((s, ws, pose.clone(), pose));
    }
    // Warm up on frame 0 (cold start), then time every following frame.
    for (s, ws, pose, _) in &mut live {
        s.load_frame(&multi, 0, ws);
        s.solve_frame(ws, pose, None, true);
    }
    let mut lat = Vec::with_capacity(frames_n);
    for f in 1..frames_n {
        let t = Instant::now();
        for (s, ws, pose, prev) in &mut live {
            prev.copy_from(pose);
            s.load_frame(&multi, f, ws);
            s.solve_frame(ws, pose, Some(prev), false);
        }
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(|x, y| x.total_cmp(y));
    Ok((m, lat))
}

/// Prints the solver benchmark as text.
fn print_solve_bench(out: &SolveBench) {
    println!(
        "single core: {:.0} frames/s ({} markers, {} DOF, median {} iterations, marker RMS {:.2} mm)",
        out.single_core_frames_per_s,
        out.markers,
        out.active_dofs,
        out.single_core_median_iterations,
        out.single_core_marker_rms_mm
    );
    println!(
        "single core, template skeleton (no limits): {:.0} frames/s (marker RMS {:.2} mm)",
        out.template_single_core_frames_per_s, out.template_marker_rms_mm
    );
    for s in &out.batch_scaling {
        println!(
            "batch {} frames, {} thread(s): {:.0} frames/s ({:.2}×)",
            out.batch_frames, s.threads, s.frames_per_s, s.speedup
        );
    }
    println!(
        "live: {} actors × {} markers, one frame: median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        out.live_actors,
        out.live_markers_per_actor,
        out.live_frame_latency_median_ms,
        out.live_frame_latency_p99_ms,
        out.live_frame_latency_max_ms
    );
}
