//! "Send to farm" from the studio: a plan for chosen takes of a take library, run on the engine
//! the user picks (local, Slurm, OpenCue: [`engine_choices`] says which can run here), results
//! recorded as versions in that library. The same [`Plan`] and runner as
//! `mocap farm plan --db LIBRARY … && mocap farm run PLAN --engine ENGINE`.

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
    /// The scheduler that runs the jobs.
    pub engine: Engine,
}

/// An engine and whether it can run on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineChoice {
    /// The engine.
    pub engine: Engine,
    /// Why it cannot run here (in words, with what to do), or `None` when it can.
    pub unavailable: Option<String>,
}

/// What [`engine_choices_with`] looks at (injected so the choice is testable).
pub struct EngineProbe<'a> {
    /// True when a program of this name is on `PATH` (or is an existing file, for a path).
    pub has_tool: &'a dyn Fn(&str) -> bool,
    /// The value of an environment variable, when set and not empty.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// True when a file exists.
    pub has_file: &'a dyn Fn(&str) -> bool,
}

/// The engines "Send to farm" offers on this machine: local always; Slurm when `sbatch` is on
/// `PATH` and a configuration is known (`SLURM_CONF`, or `/etc/slurm/slurm.conf`); OpenCue when
/// its `cuecmd` is found (see [`crate::engine::opencue::cuecmd`]).
pub fn engine_choices() -> Vec<EngineChoice> {
    let cue = crate::engine::opencue::cuecmd();
    let cue_text = cue.to_string_lossy().into_owned();
    engine_choices_with(
        &EngineProbe {
            has_tool: &|t| {
                let p = Path::new(t);
                if p.components().count() > 1 {
                    return p.is_file();
                }
                on_path(t).is_some()
            },
            env: &|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()),
            has_file: &|f| Path::new(f).is_file(),
        },
        &cue_text,
    )
}

/// [`engine_choices`] with what it looks at given: `cuecmd` is the OpenCue tool to look for.
pub fn engine_choices_with(probe: &EngineProbe<'_>, cuecmd: &str) -> Vec<EngineChoice> {
    let slurm = if !(probe.has_tool)("sbatch") {
        Some(
            "Slurm's `sbatch` is not on PATH: install Slurm's client tools (and set SLURM_CONF \
             to the cluster's slurm.conf)"
                .to_string(),
        )
    } else if (probe.env)("SLURM_CONF").is_none() && !(probe.has_file)("/etc/slurm/slurm.conf") {
        Some(
            "`sbatch` is there but no Slurm configuration: set SLURM_CONF to the cluster's \
             slurm.conf"
                .to_string(),
        )
    } else {
        None
    };
    let opencue = (!(probe.has_tool)(cuecmd)).then(|| {
        format!(
            "OpenCue's `{cuecmd}` is not found: `pip install opencue-cuecmd` (or set MOCAP_CUECMD \
             to it)"
        )
    });
    vec![
        EngineChoice {
            engine: Engine::Local,
            unavailable: None,
        },
        EngineChoice {
            engine: Engine::Slurm,
            unavailable: slurm,
        },
        EngineChoice {
            engine: Engine::Opencue,
            unavailable: opencue,
        },
    ]
}

/// The program `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
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

/// The plan file [`send`] writes for `req` (its jobs' progress: [`crate::engine::progress`]).
pub fn plan_path(req: &SendRequest) -> PathBuf {
    req.folder.join("plan.json")
}

/// Plans and runs `req` on its engine, blocking until every job ended (call it off the UI
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
    let plan_path = plan_path(req);
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
            engine: req.engine,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(tools: &[&str], env: &[&str], files: &[&str]) -> Vec<EngineChoice> {
        engine_choices_with(
            &EngineProbe {
                has_tool: &|t| tools.contains(&t),
                env: &|k| env.contains(&k).then(|| "/etc/x.conf".to_string()),
                has_file: &|f| files.contains(&f),
            },
            "cuecmd",
        )
    }

    fn usable(c: &[EngineChoice]) -> Vec<&str> {
        c.iter()
            .filter(|c| c.unavailable.is_none())
            .map(|c| c.engine.as_str())
            .collect()
    }

    #[test]
    fn engines_are_offered_when_their_tools_are_there() {
        let bare = choices(&[], &[], &[]);
        assert_eq!(usable(&bare), ["local"]);
        assert!(
            bare[1]
                .unavailable
                .as_deref()
                .is_some_and(|r| r.contains("sbatch"))
        );
        assert!(
            bare[2]
                .unavailable
                .as_deref()
                .is_some_and(|r| r.contains("cuecmd"))
        );
        // sbatch without a configuration is not enough.
        let no_conf = choices(&["sbatch"], &[], &[]);
        assert_eq!(usable(&no_conf), ["local"]);
        assert!(
            no_conf[1]
                .unavailable
                .as_deref()
                .is_some_and(|r| r.contains("SLURM_CONF"))
        );
        assert_eq!(
            usable(&choices(&["sbatch"], &["SLURM_CONF"], &[])),
            ["local", "slurm"]
        );
        assert_eq!(
            usable(&choices(&["sbatch"], &[], &["/etc/slurm/slurm.conf"])),
            ["local", "slurm"]
        );
        // SLURM_CONF alone (no client tools) is not enough either.
        assert_eq!(usable(&choices(&[], &["SLURM_CONF"], &[])), ["local"]);
        assert_eq!(
            usable(&choices(&["sbatch", "cuecmd"], &["SLURM_CONF"], &[])),
            ["local", "slurm", "opencue"]
        );
        assert_eq!(
            usable(&choices(&["cuecmd"], &[], &[])),
            ["local", "opencue"]
        );
    }
}
