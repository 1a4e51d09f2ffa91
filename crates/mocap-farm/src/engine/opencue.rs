//! The OpenCue engine: one `cuecmd` job per dependency level (cuecmd submits one layer of
//! commands; a command per plan job, `--chunk 1`). Each command is `mocap farm exec PLAN JOB
//! --wait-deps --record opencue`: it waits for its dependencies' status files, runs with retries
//! and records its own result, so the levels may run as soon as OpenCue dispatches them. With
//! `--pretend`, cuecmd prints the job it would submit and nothing is submitted.

use super::RunOptions;
use crate::error::{FarmError, Result};
use crate::plan::Plan;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The `cuecmd` to run: `$MOCAP_CUECMD`, else the one beside `$MOCAP_PYTHON` (the peers'
/// virtual environment), else `cuecmd` on `PATH`.
pub fn cuecmd() -> PathBuf {
    if let Some(p) = std::env::var_os("MOCAP_CUECMD") {
        return PathBuf::from(p);
    }
    if let Some(py) = std::env::var_os("MOCAP_PYTHON") {
        let p = Path::new(&py).with_file_name("cuecmd");
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("cuecmd")
}

/// Dependency depth of every job (0 = no dependencies), in plan order.
pub fn levels(plan: &Plan) -> Vec<usize> {
    let mut depth: HashMap<&str, usize> = HashMap::new();
    plan.jobs
        .iter()
        .map(|j| {
            let d = j
                .deps
                .iter()
                .filter_map(|d| depth.get(d.as_str()))
                .map(|d| d + 1)
                .max()
                .unwrap_or(0);
            depth.insert(j.id.as_str(), d);
            d
        })
        .collect()
}

fn quote(s: &str) -> String {
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-=:,".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Writes one command file per level and hands each to `cuecmd` (with `--pretend` when asked).
/// Returns cuecmd's output per level.
pub(super) fn submit(plan: &Plan, opts: &RunOptions) -> Result<Vec<String>> {
    let lv = levels(plan);
    let dir = plan.work_dir.join("opencue");
    std::fs::create_dir_all(&dir).map_err(|e| FarmError::io(&dir, e))?;
    let mut outputs = Vec::new();
    let top = lv.iter().copied().max().unwrap_or(0);
    let stem = opts
        .plan_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plan");
    for level in 0..=top {
        let mut lines = String::new();
        for (j, _) in plan.jobs.iter().zip(&lv).filter(|(_, l)| **l == level) {
            let parts = [
                quote(&opts.program.to_string_lossy()),
                "farm".into(),
                "exec".into(),
                quote(&opts.plan_path.to_string_lossy()),
                quote(&j.id),
                "--max-retries".into(),
                opts.max_retries.to_string(),
                "--wait-deps".into(),
                "--record".into(),
                "opencue".into(),
            ];
            lines.push_str(&parts.join(" "));
            lines.push('\n');
        }
        let file = dir.join(format!("level-{level}.cmds"));
        std::fs::write(&file, lines).map_err(|e| FarmError::io(&file, e))?;
        let mut cmd = Command::new(cuecmd());
        cmd.arg(&file)
            .args(["--chunk", "1", "--job-name"])
            .arg(format!(
                "{}-level{level}",
                super::super::plan::file_safe(stem)
            ));
        if opts.pretend {
            cmd.arg("--pretend");
        }
        let shown = format!("{cmd:?}");
        let out = cmd.output().map_err(|e| FarmError::Scheduler {
            command: shown.clone(),
            message: format!(
                "cannot start: {e} (install PyPI opencue-cuecmd, or set MOCAP_CUECMD)"
            ),
        })?;
        if !out.status.success() {
            return Err(FarmError::Scheduler {
                command: shown,
                message: format!(
                    "{}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            });
        }
        outputs.push(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(outputs)
}
