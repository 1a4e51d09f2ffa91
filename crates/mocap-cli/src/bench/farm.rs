//! `mocap bench farm`: the Slurm runner against the local process pool — per-job overhead with
//! trivial jobs, and throughput solving generated takes (needs a running Slurm: `SLURM_CONF`).

use anyhow::{Context, Result, bail};
use mocap_farm::engine::{Engine, RunOptions};
use mocap_farm::plan::{Job, PLAN_FORMAT, Plan, PlanRequest, Step, StepOptions, TakeInput};
use mocap_farm::store::StoreSpec;
use mocap_formats::c3d;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mocap bench farm`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Generated takes solved by each engine.
    #[arg(long, default_value_t = 100)]
    takes: usize,
    /// Frames per generated take (120 Hz).
    #[arg(long, default_value_t = 30)]
    frames: usize,
    /// Trivial jobs (`mocap info`) for the per-job overhead.
    #[arg(long, default_value_t = 40)]
    trivial_jobs: usize,
    /// Local engine workers (0 = one per CPU; Slurm gets what its node offers).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// Work folder (default: a temporary folder, deleted after).
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Target: per-job overhead of the Slurm runner, seconds.
    #[arg(long, default_value_t = 1.0)]
    target_overhead_s: f64,
    /// Target: Slurm throughput within this fraction of the local runner's.
    #[arg(long, default_value_t = 0.10)]
    target_throughput: f64,
}

fn timed(plan: &mut Plan, path: &Path, engine: Engine, workers: usize) -> Result<f64> {
    plan.save(path)?;
    let opts = RunOptions {
        engine,
        max_retries: 0,
        workers,
        plan_path: path.to_path_buf(),
        program: std::env::current_exe().context("cannot find the mocap executable")?,
        pretend: false,
        timeout_s: 7200.0,
    };
    let t0 = Instant::now();
    let r = mocap_farm::run_plan(plan, &opts)?;
    let s = t0.elapsed().as_secs_f64();
    if !r.failed.is_empty() || !r.not_run.is_empty() {
        bail!(
            "{} jobs failed on {}: {:?}",
            r.failed.len(),
            engine.as_str(),
            r.failed.first()
        );
    }
    Ok(s)
}

fn trivial_plan(dir: &Path, takes: &[PathBuf], n: usize, tag: &str) -> Result<Plan> {
    let program = std::env::current_exe().context("cannot find the mocap executable")?;
    let jobs = (0..n)
        .map(|i| {
            let take = &takes[i % takes.len()];
            let out = dir.join(format!("{tag}/info-{i:04}.json"));
            Job {
                id: format!("t{i:04}/info"),
                take: format!("t{i:04}"),
                take_id: None,
                task: i as u32,
                step: "info".into(),
                program: program.clone(),
                args: vec![
                    "info".into(),
                    "--json".into(),
                    take.to_string_lossy().into_owned(),
                ],
                stdout: Some(out.clone()),
                inputs: vec![take.clone()],
                output: out,
                deps: Vec::new(),
                record: false,
                serves: None,
                operations: serde_json::Value::Null,
            }
        })
        .collect();
    Ok(Plan {
        format: PLAN_FORMAT.into(),
        tool_version: "bench".into(),
        store: StoreSpec::Folder(dir.join(format!("{tag}/results.json"))),
        work_dir: dir.join(format!("{tag}.farm")),
        out_dir: dir.join(tag),
        jobs,
        up_to_date: Vec::new(),
    })
}

fn solve_plan(dir: &Path, takes: &[PathBuf], tag: &str) -> Result<Plan> {
    let program = std::env::current_exe().context("cannot find the mocap executable")?;
    let out = dir.join(format!("{tag}.out"));
    let req = PlanRequest {
        takes: takes
            .iter()
            .map(|p| TakeInput {
                name: p.file_stem().and_then(|s| s.to_str()).unwrap_or("t").into(),
                take_id: None,
                path: p.clone(),
                frames: None,
            })
            .collect(),
        steps: vec![Step::Solve],
        options: StepOptions {
            calibration_frames: Some(20),
            ..StepOptions::default()
        },
        store: StoreSpec::Folder(out.join("farm-results.json")),
        out_dir: out,
        work_dir: dir.join(format!("{tag}.farm")),
        program,
        tool_version: "bench".into(),
    };
    Ok(Plan::build(&req)?)
}

/// Runs `mocap bench farm`.
pub fn run(args: Args) -> Result<()> {
    if std::env::var_os("SLURM_CONF").is_none() && which("sbatch").is_none() {
        bail!("no Slurm: start one (`eval \"$(bash .ci/slurm.sh start)\"`) and run again");
    }
    let (dir, temporary) = match &args.dir {
        Some(d) => (d.clone(), false),
        None => (
            std::env::temp_dir().join(format!("mocap-bench-farm-{}", std::process::id())),
            true,
        ),
    };
    std::fs::create_dir_all(dir.join("capture"))
        .with_context(|| format!("{}: cannot create", dir.display()))?;
    let result = bench(&args, &dir);
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn bench(args: &Args, dir: &Path) -> Result<()> {
    let workers = if args.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        args.workers
    };
    let takes: Vec<PathBuf> = (0..args.takes.max(1))
        .map(|i| {
            let (_, t) = mocap_solver::resolve::synthetic_take(args.frames + i)?;
            let p = dir.join(format!("capture/Take_{:03}.c3d", i + 1));
            c3d::write_path(&c3d::C3dFile::from_trajectories(t), &p)?;
            Ok(p)
        })
        .collect::<Result<_>>()?;
    println!(
        "farm bench: {} takes of ~{} frames, {workers} local workers",
        takes.len(),
        args.frames
    );

    let n = args.trivial_jobs.max(1);
    let mut p = trivial_plan(dir, &takes, n, "trivial-local")?;
    let local = timed(
        &mut p,
        &dir.join("trivial-local.json"),
        Engine::Local,
        workers,
    )?;
    let mut p = trivial_plan(dir, &takes, n, "trivial-slurm")?;
    let slurm = timed(
        &mut p,
        &dir.join("trivial-slurm.json"),
        Engine::Slurm,
        workers,
    )?;
    // One job alone, three times each (the median): submit → recorded, less sensitive to the
    // machine's load than the batch figure above.
    let singles = |engine: Engine, tag: &str| -> Result<f64> {
        let mut t = (0..3)
            .map(|k| {
                let tag = format!("{tag}-{k}");
                let mut p = trivial_plan(dir, &takes, 1, &tag)?;
                timed(&mut p, &dir.join(format!("{tag}.json")), engine, workers)
            })
            .collect::<Result<Vec<f64>>>()?;
        t.sort_by(f64::total_cmp);
        Ok(t[1])
    };
    let single_local = singles(Engine::Local, "single-local")?;
    let single = singles(Engine::Slurm, "single-slurm")?;
    let overhead = (slurm - local).max(0.0) * workers as f64 / n as f64;
    println!("  {n} trivial jobs: local {local:.2} s, slurm {slurm:.2} s");
    println!(
        "  slurm per-job overhead: {overhead:.3} s per job slot (target ≤ {:.1} s: {})",
        args.target_overhead_s,
        if overhead <= args.target_overhead_s {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  one job submit→recorded (median of 3): local {single_local:.2} s, slurm {single:.2} s (single-job overhead {:.2} s)",
        single - single_local
    );

    let mut p = solve_plan(dir, &takes, "solve-local")?;
    let local = timed(
        &mut p,
        &dir.join("solve-local.json"),
        Engine::Local,
        workers,
    )?;
    let mut p = solve_plan(dir, &takes, "solve-slurm")?;
    let slurm = timed(
        &mut p,
        &dir.join("solve-slurm.json"),
        Engine::Slurm,
        workers,
    )?;
    let per_hour = |s: f64| takes.len() as f64 * 3600.0 / s;
    let ratio = per_hour(slurm) / per_hour(local);
    println!(
        "  solve {} takes: local {local:.1} s ({:.0} takes/h), slurm {slurm:.1} s ({:.0} takes/h), slurm/local {:.3} (target ≥ {:.2}: {})",
        takes.len(),
        per_hour(local),
        per_hour(slurm),
        ratio,
        1.0 - args.target_throughput,
        if ratio >= 1.0 - args.target_throughput {
            "met"
        } else {
            "MISSED"
        }
    );
    println!(
        "  expected per node: jobs are independent per take, so takes/h scale with cores: about {:.0} takes/h per core of this machine's speed (a 32-core node ≈ {:.0} takes/h)",
        per_hour(local) / workers as f64,
        per_hour(local) / workers as f64 * 32.0
    );
    Ok(())
}
