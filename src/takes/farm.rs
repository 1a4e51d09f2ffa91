//! "Send to farm" from the Takes browser: a farm run of chosen takes on a worker thread, on
//! the engine the user picked (local, Slurm, OpenCue), its jobs' progress read from their status
//! files while it runs, and its results (versions in the library) logged when it ends.

use std::path::PathBuf;

use bevy::prelude::*;

use super::take_finished;
use crate::model::library::TakeBrowser;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;

/// The studio's farm run (see [`LibraryCommand::SendToFarm`]).
#[derive(Resource, Default)]
pub(crate) struct FarmJob {
    result: Option<std::sync::Mutex<std::sync::mpsc::Receiver<FarmResult>>>,
    /// The run's plan file (written by `send` before its jobs start).
    plan: Option<PathBuf>,
    /// When its progress was last read, seconds.
    polled_s: f64,
}

type FarmResult = Result<mocap_farm::send::SendOutcome, String>;

/// The farm request for `ids`: the open library, this installation's `mocap`, outputs in a
/// `farm/` folder beside the library.
fn farm_request(
    browser: &TakeBrowser,
    ids: Vec<i64>,
    steps: &str,
    engine: mocap_farm::Engine,
) -> Result<mocap_farm::send::SendRequest, String> {
    let library = browser
        .path
        .clone()
        .ok_or("open a take library first (File → Take library…)")?;
    if ids.is_empty() {
        return Err("select a take first".into());
    }
    let steps = mocap_farm::Step::parse_list(steps).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().ok();
    let program = mocap_farm::send::find_mocap(exe.as_deref()).ok_or(
        "the `mocap` command-line tool is not beside the studio or on PATH (set MOCAP_CLI)",
    )?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let base = if take_library::store::is_postgres_url(&library.to_string_lossy()) {
        crate::model::settings::config_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("farm")
    } else {
        library
            .parent()
            .map_or_else(|| PathBuf::from("farm"), |d| d.join("farm"))
    };
    Ok(mocap_farm::send::SendRequest {
        library,
        take_ids: ids,
        steps,
        options: mocap_farm::StepOptions::default(),
        program,
        version: env!("CARGO_PKG_VERSION").into(),
        folder: base.join(format!("studio-{stamp}")),
        workers: 0,
        max_retries: 1,
        engine,
    })
}

/// Logs a finished farm run and re-reads the library (its results are new versions).
pub(crate) fn finish_farm(
    mut job: ResMut<FarmJob>,
    mut browser: ResMut<TakeBrowser>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let Some(result) = take_finished(&mut job.result, "the farm run") else {
        return;
    };
    job.plan = None;
    browser.farm_progress = None;
    let what = browser.farm.take().map(|(w, _)| w).unwrap_or_default();
    let now = time.elapsed_secs_f64();
    match result {
        Ok(o) => {
            let r = &o.report;
            let level = if r.failed.is_empty() {
                LogLevel::Info
            } else {
                LogLevel::Error
            };
            let mut text = format!(
                "Farm ({what}): {} job(s) run, {} current already, {} new version(s), {} failed",
                r.submitted,
                r.up_to_date,
                r.recorded.len(),
                r.failed.len()
            );
            if let Some(f) = r.failed.first() {
                text.push_str(&format!(
                    "; first failure {} (log {})",
                    f.outcome.job,
                    f.outcome.log.display()
                ));
            }
            if !o.without_c3d.is_empty() {
                text.push_str(&format!(
                    "; skipped (no .c3d): {}",
                    o.without_c3d.join(", ")
                ));
            }
            log.push(level, text, now);
            browser.dirty = true;
        }
        Err(e) => log.push(LogLevel::Error, format!("Farm ({what}): {e}"), now),
    }
}

/// Starts a farm run of `steps` on the takes `ids` on a worker thread.
pub(crate) fn start_farm(
    ids: Vec<i64>,
    steps: &str,
    engine: mocap_farm::Engine,
    browser: &mut TakeBrowser,
    farm: &mut FarmJob,
    log: &mut AppLog,
    now: f64,
) {
    let what = format!("{steps} on {} take(s), {}", ids.len(), engine.as_str());
    let usable = mocap_farm::send::engine_choices()
        .into_iter()
        .find(|c| c.engine == engine)
        .and_then(|c| c.unavailable);
    if let Some(why) = usable {
        log.push(LogLevel::Error, format!("Send to farm: {why}"), now);
        return;
    }
    match farm_request(browser, ids, steps, engine) {
        Ok(req) if farm.result.is_none() => {
            farm.plan = Some(mocap_farm::send::plan_path(&req));
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let _ = tx.send(mocap_farm::send::send(&req).map_err(|e| e.to_string()));
            });
            farm.result = Some(std::sync::Mutex::new(rx));
            log.push(LogLevel::Info, format!("Sent to the farm: {what}"), now);
            browser.farm = Some((what, std::time::Instant::now()));
        }
        Ok(_) => log.push(
            LogLevel::Warning,
            "A farm run from the studio is still going: wait for it to finish",
            now,
        ),
        Err(e) => log.push(LogLevel::Error, format!("Send to farm: {e}"), now),
    }
}

/// How often a running farm run's status files are read, seconds.
const PROGRESS_S: f64 = 1.0;

/// Reads the running farm run's progress (jobs finished and failed) from its status files.
pub(crate) fn poll_farm(
    mut job: ResMut<FarmJob>,
    mut browser: ResMut<TakeBrowser>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    if job.result.is_none() || now - job.polled_s < PROGRESS_S {
        return;
    }
    job.polled_s = now;
    let Some(plan) = job.plan.as_ref().filter(|p| p.is_file()) else {
        return;
    };
    // A plan half written or status files being replaced: keep the last figures.
    let Ok(plan) = mocap_farm::Plan::load(plan) else {
        return;
    };
    let Ok(jobs) = mocap_farm::engine::progress(&plan) else {
        return;
    };
    let done = jobs.iter().filter(|(_, o)| o.is_some()).count();
    let failed = jobs
        .iter()
        .filter(|(_, o)| o.as_ref().is_some_and(|o| !o.ok))
        .count();
    let progress = Some((done, failed, jobs.len()));
    if browser.farm_progress != progress {
        browser.farm_progress = progress;
    }
}
