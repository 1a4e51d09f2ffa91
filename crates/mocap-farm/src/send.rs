//! "Send to farm" from the studio: a plan for chosen takes of a take library, run on the local
//! engine, results recorded as versions in that library. The same [`Plan`] and runner as
//! `mocap farm plan --db LIBRARY … && mocap farm run PLAN --engine local`.

use crate::engine::{Engine, RunOptions, RunReport, run_plan};
use crate::error::{FarmError, Result};
use crate::plan::{Plan, PlanRequest, Step, StepOptions};
use crate::store::StoreSpec;
use std::path::{Path, PathBuf};
use take_library::{Library, OpenMode};

/// What to send.
#[derive(Debug, Clone)]
pub struct SendRequest {
    /// The take library (SQLite file or PostgreSQL URL) the takes are in and results go to.
    pub library: PathBuf,
    /// The takes (library ids).
    pub take_ids: Vec<i64>,
    /// Steps to run (dependency order is the plan's).
    pub steps: Vec<Step>,
    /// Step options (marker set, skeleton, clean flags).
    pub options: StepOptions,
    /// The `mocap` executable the jobs run (absolute).
    pub program: PathBuf,
    /// The `mocap` version recorded with results.
    pub version: String,
    /// Where the plan, its outputs (`OUT/`) and work files (`WORK/`) go.
    pub folder: PathBuf,
    /// Jobs at the same time (0 = one per CPU).
    pub workers: usize,
    /// Retries of a failed job.
    pub max_retries: u32,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct SendOutcome {
    /// The plan file written.
    pub plan: PathBuf,
    /// Takes left out: they have no `.c3d` file.
    pub without_c3d: Vec<String>,
    /// The run's report (succeeded, failed with logs, recorded versions).
    pub report: RunReport,
}

/// Plans and runs `req` on this machine, blocking until every job ended (call it off the UI
/// thread).
pub fn send(req: &SendRequest) -> Result<SendOutcome> {
    let (takes, without_c3d) = {
        let mut lib = Library::open(&req.library, OpenMode::MustExist)?;
        crate::select::from_ids(&mut lib, &req.take_ids)?
    };
    if takes.is_empty() {
        return Err(FarmError::Invalid(format!(
            "nothing to send: none of the {} take(s) has a .c3d file ({})",
            req.take_ids.len(),
            without_c3d.join(", ")
        )));
    }
    std::fs::create_dir_all(&req.folder).map_err(|source| FarmError::Io {
        path: req.folder.clone(),
        source,
    })?;
    let plan_path = req.folder.join("plan.json");
    let preq = PlanRequest {
        takes,
        steps: req.steps.clone(),
        options: req.options.clone(),
        out_dir: req.folder.join("OUT"),
        work_dir: req.folder.join("WORK"),
        tool_version: crate::select::tool_version(&req.program, &req.version)?,
        program: req.program.clone(),
        store: StoreSpec::Library(req.library.clone()),
    };
    let mut plan = Plan::build(&preq)?;
    plan.save(&plan_path)?;
    let report = run_plan(
        &mut plan,
        &RunOptions {
            engine: Engine::Local,
            max_retries: req.max_retries,
            workers: req.workers,
            plan_path: plan_path.clone(),
            program: req.program.clone(),
            pretend: false,
            timeout_s: 7.0 * 86400.0,
        },
    )?;
    Ok(SendOutcome {
        plan: plan_path,
        without_c3d,
        report,
    })
}

/// The `mocap` executable beside `exe` (the studio's own binary; also one folder up, for test
/// binaries under `deps/`), else `MOCAP_CLI`, else `mocap` on `PATH`.
pub fn find_mocap(exe: Option<&Path>) -> Option<PathBuf> {
    let name = if cfg!(windows) { "mocap.exe" } else { "mocap" };
    if let Some(p) = std::env::var_os("MOCAP_CLI").map(PathBuf::from)
        && p.is_file()
    {
        return Some(p);
    }
    if let Some(dir) = exe.and_then(Path::parent) {
        for d in [Some(dir), dir.parent()].into_iter().flatten() {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}
