//! The local engine: a pool of worker threads, each running one job's process at a time.

use super::{JobOutcome, RunOptions, exec_job};
use crate::error::Result;
use crate::plan::Plan;
use std::collections::{HashMap, HashSet};

/// Runs every job of `plan` whose dependencies succeed, `opts.workers` at a time.
pub(super) fn run(plan: &Plan, opts: &RunOptions) -> Result<Vec<JobOutcome>> {
    let workers = if opts.workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.workers
    };
    let pid = std::process::id();
    let mut pending: Vec<usize> = (0..plan.jobs.len()).collect();
    let mut ok: HashSet<&str> = HashSet::new();
    let mut failed: HashSet<&str> = HashSet::new();
    let mut outcomes = Vec::new();
    let mut first_error = None;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Result<JobOutcome>)>();
        let mut running: HashMap<usize, ()> = HashMap::new();
        loop {
            // Jobs whose dependency failed (or was not run) are dropped.
            pending.retain(|&i| {
                let j = &plan.jobs[i];
                if j.deps.iter().any(|d| failed.contains(d.as_str())) {
                    failed.insert(j.id.as_str());
                    false
                } else {
                    true
                }
            });
            while running.len() < workers {
                let Some(pos) = pending
                    .iter()
                    .position(|&i| plan.jobs[i].deps.iter().all(|d| ok.contains(d.as_str())))
                else {
                    break;
                };
                let i = pending.remove(pos);
                running.insert(i, ());
                let tx = tx.clone();
                let job = &plan.jobs[i];
                let work = &plan.work_dir;
                let retries = opts.max_retries;
                scope.spawn(move || {
                    let id = format!("local-{pid}-{i}");
                    let _ = tx.send((i, exec_job(job, work, retries, &id)));
                });
            }
            if running.is_empty() {
                break;
            }
            let Ok((i, r)) = rx.recv() else { break };
            running.remove(&i);
            let id = plan.jobs[i].id.as_str();
            match r {
                Ok(o) => {
                    if o.ok {
                        ok.insert(id);
                    } else {
                        failed.insert(id);
                    }
                    outcomes.push(o);
                }
                Err(e) => {
                    failed.insert(id);
                    first_error.get_or_insert(e);
                }
            }
        }
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(outcomes),
    }
}
