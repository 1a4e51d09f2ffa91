//! Running a plan: the engines and what they share (one job's execution with retries, status
//! files, recording results).

mod local;
pub mod opencue;
pub mod slurm;

use crate::error::{FarmError, Result};
use crate::plan::{Job, Plan, file_safe};
use crate::store::{FarmInfo, Store, TakeRef};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Which scheduler runs the jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// A process pool on this machine.
    Local,
    /// Slurm: `sbatch` array jobs with dependencies.
    Slurm,
    /// OpenCue: one `cuecmd` job per dependency level.
    Opencue,
}

impl Engine {
    /// Stable name (`local`, `slurm`, `opencue`).
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Local => "local",
            Engine::Slurm => "slurm",
            Engine::Opencue => "opencue",
        }
    }

    /// Parses an engine name.
    pub fn parse(text: &str) -> Result<Engine> {
        match text.to_ascii_lowercase().as_str() {
            "local" => Ok(Engine::Local),
            "slurm" => Ok(Engine::Slurm),
            "opencue" | "cue" => Ok(Engine::Opencue),
            _ => Err(FarmError::Invalid(format!(
                "unknown engine `{text}`; use local, slurm or opencue"
            ))),
        }
    }
}

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The engine.
    pub engine: Engine,
    /// Retries of a failed job before it is reported (0 = run once).
    pub max_retries: u32,
    /// Jobs at the same time (local engine); 0 = one per CPU.
    pub workers: usize,
    /// The plan file (Slurm and OpenCue jobs run `mocap farm exec PLAN JOB`), absolute.
    pub plan_path: PathBuf,
    /// The `mocap` executable that runs `farm exec` on the scheduler's nodes, absolute.
    pub program: PathBuf,
    /// OpenCue: print what would be submitted (`cuecmd --pretend`) instead of submitting.
    pub pretend: bool,
    /// Give up waiting for the scheduler after this many seconds.
    pub timeout_s: f64,
}

/// What happened to one job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobOutcome {
    /// The plan's job id.
    pub job: String,
    /// Whether it succeeded (at some attempt).
    pub ok: bool,
    /// Attempts made (1 + retries used).
    pub attempts: u32,
    /// Exit status of the last attempt (`None` when killed by a signal or not started).
    pub exit_code: Option<i32>,
    /// The scheduler's id for it (`1234_5` on Slurm, `local-PID-N` locally).
    pub scheduler_id: String,
    /// Its log file (every attempt's stderr, and stdout unless stdout is the output).
    pub log: PathBuf,
}

/// A result recorded in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedVersion {
    /// The plan's job id.
    pub job: String,
    /// Derived-version kind (`solve`, …).
    pub kind: String,
    /// Version number.
    pub version: i64,
    /// Output file.
    pub output: PathBuf,
}

/// A failed job in the report: its outcome and the end of its log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedJob {
    /// The outcome.
    #[serde(flatten)]
    pub outcome: JobOutcome,
    /// The last lines of the log (at most 4 kB).
    pub log_tail: String,
}

/// What `mocap farm run` did (printed as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// Engine name.
    pub engine: String,
    /// Jobs handed to the engine.
    pub submitted: usize,
    /// Jobs of the plan skipped because their recorded result is current.
    pub up_to_date: usize,
    /// Jobs that succeeded.
    pub succeeded: Vec<String>,
    /// Jobs that failed after every retry, with their logs.
    pub failed: Vec<FailedJob>,
    /// Jobs not run because a job they depend on failed.
    pub not_run: Vec<String>,
    /// Results recorded as new versions.
    pub recorded: Vec<RecordedVersion>,
    /// OpenCue: the scheduler's output (the job description with `--pretend`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub submissions: Vec<String>,
}

/// Where a job's log goes.
pub fn log_path(work_dir: &Path, job: &Job) -> PathBuf {
    work_dir
        .join("logs")
        .join(format!("{}.log", file_safe(&job.id)))
}

/// Where a job's status file goes (written when it finishes).
pub fn status_path(work_dir: &Path, job: &Job) -> PathBuf {
    work_dir
        .join("status")
        .join(format!("{}.json", file_safe(&job.id)))
}

fn run_once(job: &Job, log: &mut std::fs::File, log_path: &Path) -> Result<Option<i32>> {
    let err = log.try_clone().map_err(|e| FarmError::io(log_path, e))?;
    let out: Stdio = match &job.stdout {
        Some(p) => std::fs::File::create(p)
            .map_err(|e| FarmError::io(p, e))?
            .into(),
        None => log
            .try_clone()
            .map_err(|e| FarmError::io(log_path, e))?
            .into(),
    };
    let status = Command::new(&job.program)
        .args(&job.args)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status();
    match status {
        Ok(s) if s.success() => Ok(Some(0)),
        Ok(s) => Ok(Some(s.code().unwrap_or(-1))),
        Err(e) => {
            let _ = writeln!(log, "cannot start {}: {e}", job.program.display());
            Ok(None)
        }
    }
}

/// Runs one job (up to `1 + max_retries` attempts), appending every attempt to its log, and
/// writes its status file. `scheduler_id` names it in the outcome.
pub fn exec_job(
    job: &Job,
    work_dir: &Path,
    max_retries: u32,
    scheduler_id: &str,
) -> Result<JobOutcome> {
    let log_path = log_path(work_dir, job);
    for p in [&log_path, &job.output] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| FarmError::io(dir, e))?;
        }
    }
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| FarmError::io(&log_path, e))?;
    let mut outcome = JobOutcome {
        job: job.id.clone(),
        ok: false,
        attempts: 0,
        exit_code: None,
        scheduler_id: scheduler_id.into(),
        log: log_path.clone(),
    };
    for attempt in 1..=max_retries.saturating_add(1) {
        let _ = writeln!(
            log,
            "== {} attempt {attempt} ({scheduler_id}): {} {}",
            job.id,
            job.program.display(),
            job.args.join(" ")
        );
        outcome.attempts = attempt;
        outcome.exit_code = run_once(job, &mut log, &log_path)?;
        if outcome.exit_code == Some(0) && job.output.is_file() {
            outcome.ok = true;
            break;
        }
        let _ = writeln!(
            log,
            "== attempt {attempt} failed: exit {:?}{}",
            outcome.exit_code,
            if outcome.exit_code == Some(0) {
                ", output missing"
            } else {
                ""
            }
        );
    }
    let status = status_path(work_dir, job);
    let text = serde_json::to_string(&outcome)
        .map_err(|e| FarmError::Invalid(format!("cannot serialise a status: {e}")))?;
    crate::store::write_atomic(&status, text.as_bytes())?;
    Ok(outcome)
}

/// Reads a job's status file (`None` when it has not finished).
pub fn read_status(work_dir: &Path, job: &Job) -> Result<Option<JobOutcome>> {
    let p = status_path(work_dir, job);
    match std::fs::read_to_string(&p) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| FarmError::BadFile {
                path: p,
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(FarmError::io(p, e)),
    }
}

/// The last `max` bytes of a log (on a line start when possible).
pub fn log_tail(path: &Path, max: usize) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(max);
    let text = String::from_utf8_lossy(&bytes[start..]);
    match (start > 0, text.find('\n')) {
        (true, Some(i)) => text[i + 1..].to_string(),
        _ => text.into_owned(),
    }
}

/// Records a successful job's output in the store (input hashes taken now).
pub fn record_job(
    store: &mut Store,
    job: &Job,
    engine: Engine,
    outcome: &JobOutcome,
) -> Result<i64> {
    let mut hashes = Vec::with_capacity(job.inputs.len());
    for p in &job.inputs {
        hashes.push(take_library::util::hash_file(p)?.0);
    }
    store.record(
        &TakeRef {
            name: job.take.clone(),
            take_id: job.take_id,
        },
        &job.step,
        hashes,
        &job.operations,
        &FarmInfo {
            engine: engine.as_str().into(),
            job_id: outcome.scheduler_id.clone(),
            log_path: outcome.log.clone(),
            plan_job: job.id.clone(),
        },
        &job.output,
    )
}

/// Runs `plan` on the engine: jobs whose result is already recorded are skipped, the others
/// run with their dependencies, and every successful result is recorded.
pub fn run_plan(plan: &mut Plan, opts: &RunOptions) -> Result<RunReport> {
    let mut store = Store::open(&plan.store)?;
    plan.resolve(&mut store)?;
    let mut report = RunReport {
        engine: opts.engine.as_str().into(),
        submitted: plan.jobs.len(),
        up_to_date: plan.up_to_date.len(),
        succeeded: Vec::new(),
        failed: Vec::new(),
        not_run: Vec::new(),
        recorded: Vec::new(),
        submissions: Vec::new(),
    };
    if plan.jobs.is_empty() {
        return Ok(report);
    }
    for j in &plan.jobs {
        // A stale status file from an earlier run must not count as this run's result.
        let _ = std::fs::remove_file(status_path(&plan.work_dir, j));
    }
    let outcomes = match opts.engine {
        Engine::Local => local::run(plan, opts)?,
        Engine::Slurm => slurm::run(plan, opts)?,
        Engine::Opencue => {
            report.submissions = opencue::submit(plan, opts)?;
            return Ok(report);
        }
    };
    for j in &plan.jobs {
        match outcomes.iter().find(|o| o.job == j.id) {
            Some(o) if o.ok => {
                report.succeeded.push(j.id.clone());
                if j.record {
                    let version = record_job(&mut store, j, opts.engine, o)?;
                    report.recorded.push(RecordedVersion {
                        job: j.id.clone(),
                        kind: j.step.clone(),
                        version,
                        output: j.output.clone(),
                    });
                }
            }
            Some(o) => report.failed.push(FailedJob {
                outcome: o.clone(),
                log_tail: log_tail(&o.log, 4096),
            }),
            None => report.not_run.push(j.id.clone()),
        }
    }
    Ok(report)
}

/// How `mocap farm exec` runs one job of a plan on a scheduler's node.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// Retries before the job is reported failed.
    pub max_retries: u32,
    /// The scheduler's id for the job (for the status file and the recorded version).
    pub scheduler_id: String,
    /// Wait for the dependencies' status files first (schedulers without dependencies); a failed
    /// dependency fails the job without running it.
    pub wait_deps: bool,
    /// Record the result in the store as run by this engine (when no driver records it).
    pub record: Option<Engine>,
    /// Longest wait for dependencies, seconds.
    pub wait_timeout_s: f64,
}

/// Runs job `job_id` of the plan at `plan_path` (`mocap farm exec`).
pub fn exec_plan_job(plan_path: &Path, job_id: &str, opts: &ExecOptions) -> Result<JobOutcome> {
    let plan = Plan::load(plan_path)?;
    let Some(job) = plan.job(job_id) else {
        return Err(FarmError::Invalid(format!(
            "{}: no job `{job_id}` in the plan",
            plan_path.display()
        )));
    };
    if opts.wait_deps {
        let t0 = std::time::Instant::now();
        for d in &job.deps {
            let Some(dj) = plan.job(d) else { continue };
            loop {
                match read_status(&plan.work_dir, dj)? {
                    Some(o) if o.ok => break,
                    Some(_) => {
                        return Err(FarmError::Invalid(format!(
                            "{job_id}: dependency {d} failed; see {}",
                            log_path(&plan.work_dir, dj).display()
                        )));
                    }
                    None if t0.elapsed().as_secs_f64() > opts.wait_timeout_s => {
                        return Err(FarmError::Invalid(format!(
                            "{job_id}: dependency {d} did not finish in {} s",
                            opts.wait_timeout_s
                        )));
                    }
                    None => std::thread::sleep(std::time::Duration::from_millis(200)),
                }
            }
        }
    }
    let outcome = exec_job(job, &plan.work_dir, opts.max_retries, &opts.scheduler_id)?;
    if let (Some(engine), true, true) = (opts.record, outcome.ok, job.record) {
        let mut store = Store::open(&plan.store)?;
        record_job(&mut store, job, engine, &outcome)?;
    }
    Ok(outcome)
}

/// Progress of a running plan from the jobs' status files (any engine): every job with its
/// outcome once it finished. A UI polls this while [`run_plan`] runs on another thread.
pub fn progress(plan: &Plan) -> Result<Vec<(String, Option<JobOutcome>)>> {
    plan.jobs
        .iter()
        .map(|j| Ok((j.id.clone(), read_status(&plan.work_dir, j)?)))
        .collect()
}
