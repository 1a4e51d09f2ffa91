//! `mocap farm`: the pipeline on a render farm (plans, engines, chunk stitching). The logic lives
//! in the `mocap-farm` crate; this module parses arguments and prints reports.

use anyhow::{Context, bail};
use mocap_farm::engine::{Engine, ExecOptions, RunOptions};
use mocap_farm::plan::{Plan, PlanRequest, Step, StepOptions, TakeInput};
use mocap_farm::store::StoreSpec;
use std::path::{Path, PathBuf};
use take_library::{Library, OpenMode, TakeQuery, TakeStatus};

/// Arguments of `mocap farm`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: FarmCommand,
}

#[derive(clap::Subcommand, Debug)]
enum FarmCommand {
    /// Write a plan: one job per take and step, with dependencies; current results are skipped.
    Plan(Box<PlanArgs>),
    /// Run a plan on an engine and record the results.
    Run(RunArgs),
    /// Run one job of a plan (what a farm node runs).
    Exec(ExecArgs),
    /// Stitch the chunks of a chunked solve into one BVH.
    Stitch(StitchArgs),
}

#[derive(clap::Args, Debug)]
struct PlanArgs {
    /// A folder of .c3d takes (instead of --db).
    #[arg(required_unless_present = "db", conflicts_with = "db")]
    folder: Option<PathBuf>,
    /// The take library to plan from; results are recorded in it as versions.
    #[arg(long, value_name = "LIBRARY")]
    db: Option<PathBuf>,
    /// Only takes of this scene (with --db).
    #[arg(long, requires = "db")]
    scene: Option<String>,
    /// Only takes of this capture session (day) (with --db).
    #[arg(long, requires = "db", value_name = "DAY")]
    session: Option<String>,
    /// Only takes with this status (with --db): none, circled, approved, rejected, needs-fix.
    #[arg(long, requires = "db")]
    status: Option<String>,
    /// Steps, comma-separated (run in the order clean → solve → export → qc).
    #[arg(long, default_value = "solve")]
    steps: String,
    /// Clean: gap fill method (linear, spline, rigid, pattern); `spline` when no clean flag is given.
    #[arg(long)]
    fill: Option<String>,
    /// Clean: longest gap to fill, frames.
    #[arg(long)]
    max_gap: Option<usize>,
    /// Clean: low-pass cutoff, Hz.
    #[arg(long)]
    lowpass: Option<f64>,
    /// Clean: remove spikes.
    #[arg(long)]
    despike: bool,
    /// Clean: undo label swaps.
    #[arg(long)]
    fix_swaps: bool,
    /// Solve: marker set preset or JSON file.
    #[arg(long, default_value = "cmu41")]
    markerset: String,
    /// Solve: skeleton (.asf/.bvh); the built-in template when absent.
    #[arg(long)]
    skeleton: Option<PathBuf>,
    /// Solve: temporal smoothness weight (dimensionless).
    #[arg(long)]
    smooth: Option<f64>,
    /// Solve: calibration window, frames.
    #[arg(long)]
    calibration_frames: Option<usize>,
    /// Solve takes longer than this in chunks of this many frames (rounded up to 256), in
    /// parallel, then stitch; 0 = never.
    #[arg(long, default_value_t = 0, value_name = "FRAMES")]
    chunk_frames: usize,
    /// Output folder (`OUT/<take>/…`); default: `<plan>.out` beside the plan.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// The plan file to write.
    #[arg(short = 'o', long = "output", value_name = "PLAN.json")]
    output: PathBuf,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// The plan (from `mocap farm plan`).
    plan: PathBuf,
    /// local (process pool), slurm (sbatch arrays) or opencue (cuecmd).
    #[arg(long, default_value = "local")]
    engine: String,
    /// Retries of a failed job before it is reported.
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_retries: u32,
    /// Local engine: jobs at the same time (0 = one per CPU).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// OpenCue: print the job cuecmd would submit, submit nothing.
    #[arg(long)]
    pretend: bool,
    /// Give up waiting for the scheduler after this many seconds.
    #[arg(long, default_value_t = 86400.0, value_name = "S")]
    timeout: f64,
}

#[derive(clap::Args, Debug)]
struct ExecArgs {
    /// The plan.
    plan: PathBuf,
    /// The job id (`TAKE/STEP`).
    job: String,
    /// Retries before the job is reported failed.
    #[arg(long, default_value_t = 0, value_name = "N")]
    max_retries: u32,
    /// The scheduler's id for this job (recorded).
    #[arg(long, default_value = "manual")]
    scheduler_id: String,
    /// Wait for the dependencies' status files first.
    #[arg(long)]
    wait_deps: bool,
    /// Record the result as run by this engine.
    #[arg(long, value_name = "ENGINE")]
    record: Option<String>,
}

#[derive(clap::Args, Debug)]
struct StitchArgs {
    /// Chunk BVH files in take order.
    #[arg(required = true)]
    chunks: Vec<PathBuf>,
    /// Frames at the start of every chunk after the first that the previous chunk covers.
    #[arg(long, value_name = "FRAMES")]
    overlap: usize,
    /// The stitched BVH.
    #[arg(short = 'o', long = "output", value_name = "OUT.bvh")]
    output: PathBuf,
}

/// Runs `mocap farm`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        FarmCommand::Plan(a) => plan(*a),
        FarmCommand::Run(a) => run_plan(a),
        FarmCommand::Exec(a) => exec(a),
        FarmCommand::Stitch(a) => {
            let frames = mocap_farm::chunk::stitch_files(&a.chunks, a.overlap, &a.output)?;
            eprintln!("wrote {} ({frames} frames)", a.output.display());
            Ok(())
        }
    }
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(p)
        .with_context(|| format!("{}: cannot make the path absolute", p.display()))
}

fn library_takes(a: &PlanArgs, db: &Path) -> anyhow::Result<Vec<TakeInput>> {
    let mut lib = Library::open(db, OpenMode::MustExist)?;
    let query = TakeQuery {
        scene: a.scene.clone(),
        session: a.session.clone(),
        status: a.status.as_deref().map(TakeStatus::parse).transpose()?,
        ..TakeQuery::default()
    };
    let (takes, without) = mocap_farm::select::from_query(&mut lib, &query)?;
    for name in without {
        eprintln!("skipping take {name}: it has no .c3d file");
    }
    Ok(takes)
}

fn plan(a: PlanArgs) -> anyhow::Result<()> {
    let steps = Step::parse_list(&a.steps)?;
    let output = absolute(&a.output)?;
    let base = output.with_extension("");
    let out_dir = match &a.out_dir {
        Some(d) => absolute(d)?,
        None => PathBuf::from(format!("{}.out", base.display())),
    };
    let (takes, store) = match (&a.db, &a.folder) {
        (Some(db), _) => {
            let db = absolute(db)?;
            (library_takes(&a, &db)?, StoreSpec::Library(db))
        }
        (None, Some(dir)) => (
            mocap_farm::select::from_folder(dir, a.chunk_frames > 0)?,
            StoreSpec::Folder(out_dir.join("farm-results.json")),
        ),
        (None, None) => bail!("give a FOLDER of takes or --db LIBRARY"),
    };
    let mut clean_args = Vec::new();
    if let Some(f) = &a.fill {
        clean_args.extend(["--fill".to_string(), f.clone()]);
    }
    if let Some(n) = a.max_gap {
        clean_args.extend(["--max-gap".to_string(), n.to_string()]);
    }
    if let Some(hz) = a.lowpass {
        clean_args.extend(["--lowpass".to_string(), hz.to_string()]);
    }
    if a.despike {
        clean_args.push("--despike".into());
    }
    if a.fix_swaps {
        clean_args.push("--fix-swaps".into());
    }
    let program = std::env::current_exe().context("cannot find the running mocap executable")?;
    let req = PlanRequest {
        takes,
        steps,
        options: StepOptions {
            clean_args,
            markerset: a.markerset.clone(),
            skeleton: a.skeleton.as_deref().map(absolute).transpose()?,
            smooth: a.smooth,
            calibration_frames: a.calibration_frames,
            chunk_frames: a.chunk_frames,
        },
        out_dir,
        work_dir: PathBuf::from(format!("{}.farm", base.display())),
        tool_version: mocap_farm::select::tool_version(&program, env!("CARGO_PKG_VERSION"))?,
        program,
        store,
    };
    let plan = Plan::build(&req)?;
    plan.save(&output)?;
    eprintln!(
        "wrote {}: {} jobs to run, {} results current",
        output.display(),
        plan.jobs.len(),
        plan.up_to_date.len()
    );
    Ok(())
}

fn run_plan(a: RunArgs) -> anyhow::Result<()> {
    let plan_path = absolute(&a.plan)?;
    let mut plan = Plan::load(&plan_path)?;
    let opts = RunOptions {
        engine: Engine::parse(&a.engine)?,
        max_retries: a.max_retries,
        workers: a.workers,
        program: std::env::current_exe().context("cannot find the running mocap executable")?,
        plan_path,
        pretend: a.pretend,
        timeout_s: a.timeout,
    };
    let report = mocap_farm::run_plan(&mut plan, &opts)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.failed.is_empty() {
        let first = &report.failed[0].outcome;
        bail!(
            "{} job(s) failed after {} attempt(s) each at most ({} not run); first: {} (log {})",
            report.failed.len(),
            a.max_retries + 1,
            report.not_run.len(),
            first.job,
            first.log.display()
        );
    }
    Ok(())
}

fn exec(a: ExecArgs) -> anyhow::Result<()> {
    let opts = ExecOptions {
        max_retries: a.max_retries,
        scheduler_id: a.scheduler_id,
        wait_deps: a.wait_deps,
        record: a.record.as_deref().map(Engine::parse).transpose()?,
        wait_timeout_s: 86400.0,
    };
    let o = mocap_farm::engine::exec_plan_job(&absolute(&a.plan)?, &a.job, &opts)?;
    if !o.ok {
        bail!(
            "{}: failed after {} attempt(s), exit {:?}; log {}",
            o.job,
            o.attempts,
            o.exit_code,
            o.log.display()
        );
    }
    Ok(())
}
