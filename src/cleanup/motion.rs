//! Re-solve and foot lock in the studio: the clean-up stack's solve stage and motion
//! operations ([`mocap_solver::resolve`]), the same code `mocap clean --ops … --motion-out`
//! runs.
//!
//! **Re-solve** ([`CleanupCommand::Resolve`]) runs [`mocap_solver::resolve::solve`] on a
//! background thread over the take's current (cleaned) markers; the panel shows its progress
//! ([`SolveProgress`]) and can cancel it ([`CleanupCommand::CancelResolve`]). When it finishes,
//! the result becomes the take's solved motion through ONE undoable
//! [`EditCommand::SetSolvedMotion`]; a cancelled or failed solve leaves the take as it was. The
//! main thread only polls the thread's handle, so the UI never waits for it.
//!
//! **Motion operations** (foot lock with the user's contact edits) run on the solved motion
//! whenever it or the stack's `motion` entries change ([`mocap_solver::resolve::apply_motion_ops`]);
//! the result, converted to the unit of the skeleton the take was opened with, is the take's
//! skeleton and motion. Undoing the re-solve brings the opened skeleton and motion back. The
//! pinned contacts show on the timeline as the lanes "Contacts L" / "Contacts R"
//! ([`TimelineLanes::extra`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use bevy::prelude::*;
use mocap_data::{LengthUnit, Motion, Skeleton};
use mocap_solver::SolverError;
use mocap_solver::foot::Contact;
use mocap_solver::resolve::{
    MotionEntry, MotionOperation, MotionReport, SolveProgress, SolveSkeleton, SolveStage,
    SolvedMotion,
};

use crate::cleanup::Cleanup;
use crate::model::commands::CleanupCommand;
use crate::model::edit::EditCommand;
use crate::model::lanes::Lane;
use crate::model::lanes::TimelineLanes;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::session::Session;

/// Keys of the contact lanes in [`TimelineLanes::extra`] (left foot, right foot).
pub const CONTACT_LANES: [&str; 2] = ["contacts-l", "contacts-r"];

/// Motion operations run on a solve: the locked motion and the reports, or the error text.
type MotionOpsResult = Result<(Motion, Vec<MotionReport>), String>;

/// A finished solve and, run on the same worker thread so that showing it costs the main thread
/// nothing, the stack's motion operations (foot lock) as they were when it started.
type SolveResult = Result<(SolvedMotion, Vec<MotionEntry>, MotionOpsResult), SolverError>;

/// A re-solve running on a background thread.
pub struct ResolveJob {
    /// Progress and cancellation, shared with the thread.
    pub progress: Arc<SolveProgress>,
    handle: Option<JoinHandle<SolveResult>>,
    generation: u64,
    /// When it started.
    pub started: Instant,
}

/// Re-solve and motion-operation state of the Cleanup engine (a field of [`Cleanup`]).
#[derive(Default)]
pub struct MotionState {
    generation: Option<u64>,
    /// The skeleton and motion the take was opened with (restored when no solve is applied).
    original: Option<(Option<Skeleton>, Option<Motion>)>,
    /// How the opened skeleton's axes relate to the lab's (restored with it).
    original_axes: Option<crate::model::session::AxisConvention>,
    /// Inputs of the last evaluation: the solve result and the motion entries.
    evaluated: Option<(Option<Arc<SolvedMotion>>, Vec<MotionEntry>)>,
    /// The running re-solve.
    pub job: Option<ResolveJob>,
    /// Pinned foot joints (names), left then right, when a solve is shown.
    pub feet: Vec<String>,
    /// Contacts pinned by the motion operations (after the user's edits).
    pub contacts: Vec<Contact>,
    /// One line about the motion shown ("solved 378 frames…", "foot lock failed: …").
    pub status: Option<String>,
    /// Motion operations the re-solve thread already ran on its result (used by [`evaluate`]
    /// while the solve and the entries are unchanged).
    prepared: Option<(Arc<SolvedMotion>, Vec<MotionEntry>, MotionOpsResult)>,
    /// Overrides [`BACKGROUND_MOTION_OPS_FRAMES`] (tests force the background path with 0).
    pub background_from_frames: Option<usize>,
    /// Motion operations running on a worker thread for a long take (solve, entries, thread).
    pending: Option<(
        Arc<SolvedMotion>,
        Vec<MotionEntry>,
        JoinHandle<MotionOpsResult>,
    )>,
}

/// Takes at least this long (frames) run their motion operations (foot lock) off the main
/// thread after an edit: about 30 ms of work at 20 000 frames on the build machine.
pub const BACKGROUND_MOTION_OPS_FRAMES: usize = 20_000;

impl MotionState {
    /// Whether motion operations are being recomputed in the background.
    pub fn is_updating(&self) -> bool {
        self.pending.is_some()
    }

    /// The skeleton and motion the take was opened with (before any re-solve), when it had one:
    /// what a re-solve is compared with.
    pub fn original(&self) -> Option<(&Skeleton, &Motion)> {
        let (sk, mo) = self.original.as_ref()?;
        sk.as_ref().zip(mo.as_ref())
    }
}

/// What the Cleanup panel shows of the solve stage and the motion operations.
#[derive(Debug, Clone, Copy, Default)]
pub struct MotionView<'a> {
    /// Fraction done, frames done and to do, seconds elapsed of the running re-solve.
    pub job: Option<(f32, usize, usize, f64)>,
    /// Whether the running re-solve was asked to stop.
    pub cancelling: bool,
    /// Pinned foot joints, left then right.
    pub feet: &'a [String],
    /// Contacts pinned (after edits).
    pub contacts: &'a [Contact],
    /// Status line.
    pub status: Option<&'a str>,
}

impl MotionState {
    /// The panel's view.
    pub fn view(&self) -> MotionView<'_> {
        MotionView {
            job: self.job.as_ref().map(|j| {
                use std::sync::atomic::Ordering::Relaxed;
                (
                    j.progress.fraction(),
                    j.progress.frames_done.load(Relaxed),
                    j.progress.frames_total.load(Relaxed),
                    j.started.elapsed().as_secs_f64(),
                )
            }),
            cancelling: self.job.as_ref().is_some_and(|j| j.progress.is_cancelled()),
            feet: &self.feet,
            contacts: &self.contacts,
            status: self.status.as_deref(),
        }
    }

    /// Whether a re-solve is running.
    pub fn is_solving(&self) -> bool {
        self.job.is_some()
    }
}

/// Where the re-solve's skeleton comes from.
enum SkeletonSource {
    File(PathBuf),
    Memory(Skeleton),
    Template,
}

impl SkeletonSource {
    fn load(self) -> Result<SolveSkeleton, SolverError> {
        match self {
            Self::File(p) => SolveSkeleton::load(&p, LengthUnit::Centimetre),
            Self::Memory(s) => Ok(SolveSkeleton::from_skeleton(s)),
            Self::Template => SolveSkeleton::template(),
        }
    }
}

/// The skeleton file of a take, which a re-solve reads as `mocap clean --skeleton` does: its
/// first .asf or .bvh source, else the .asf of its .amc source (found as the session finds it:
/// beside it with the same stem, else the only .asf in its folder).
pub fn skeleton_source(take: &crate::model::session::Take) -> Option<PathBuf> {
    let ext = |p: &PathBuf, e: &str| p.extension().is_some_and(|x| x.eq_ignore_ascii_case(e));
    if let Some(p) = take.sources.iter().find(|p| ext(p, "asf") || ext(p, "bvh")) {
        return Some(p.clone());
    }
    let amc = take.sources.iter().find(|p| ext(p, "amc"))?;
    let sibling = amc.with_extension("asf");
    if sibling.exists() {
        return Some(sibling);
    }
    crate::session::single_asf_in(amc.parent().unwrap_or(std::path::Path::new(".")))
}

/// Keeps the opened skeleton and motion of each new take; stops a re-solve of a closed one.
pub(crate) fn follow_take(session: Res<Session>, mut cleanup: ResMut<Cleanup>) {
    let m = &mut cleanup.motion;
    if m.generation == Some(session.generation) {
        return;
    }
    if let Some(job) = m.job.take() {
        // The thread ends at its next chunk; its result is dropped.
        job.progress.cancel();
    }
    *m = MotionState {
        background_from_frames: m.background_from_frames,
        generation: Some(session.generation),
        original: session
            .take
            .as_ref()
            .map(|t| (t.skeleton.clone(), t.motion.clone())),
        original_axes: session.take.as_ref().map(|t| t.skeleton_axes),
        ..MotionState::default()
    };
}

/// Starts and cancels re-solves; turns contact-lane drags into contact edits.
pub(crate) fn apply_commands(
    mut commands: MessageReader<CleanupCommand>,
    mut cleanup: ResMut<Cleanup>,
    session: Res<Session>,
    mut edits: MessageWriter<crate::model::edit::EditCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for cmd in commands.read() {
        match cmd {
            CleanupCommand::MoveLaneSpan { key, from, to } => {
                let Some(side) = CONTACT_LANES.iter().position(|k| k == key) else {
                    continue;
                };
                let (Some(foot), Some(take)) =
                    (cleanup.motion.feet.get(side), session.take.as_ref())
                else {
                    continue;
                };
                let edit = mocap_solver::resolve::ContactEdit::Set {
                    foot: foot.clone(),
                    frame: from.0,
                    start: to.0,
                    end: to.1 + 1,
                };
                match crate::cleanup::panel::with_contact_edit(&take.cleanup, edit) {
                    Some(stack) => {
                        edits.write(crate::model::edit::EditCommand::SetCleanupStack {
                            stack: Box::new(stack),
                            what: format!("Move {foot} contact to frames {}–{}", to.0, to.1),
                            merge: None,
                        });
                    }
                    None => log.push(
                        LogLevel::Warning,
                        "No foot lock in the stack: add one to edit contacts",
                        now,
                    ),
                }
            }
            CleanupCommand::CancelResolve => {
                if let Some(job) = &cleanup.motion.job {
                    job.progress.cancel();
                }
            }
            CleanupCommand::Resolve => {
                if cleanup.motion.job.is_some() {
                    log.push(LogLevel::Warning, "A re-solve is already running", now);
                    continue;
                }
                let Some(take) = session.take.as_ref() else {
                    continue;
                };
                let (Some(stage), Some(markers)) = (
                    take.cleanup.solve.clone().filter(|s| s.enabled),
                    take.markers.clone(),
                ) else {
                    log.push(
                        LogLevel::Warning,
                        "Re-solve needs markers and an enabled solve stage in the stack",
                        now,
                    );
                    continue;
                };
                let source = match (&stage.skeleton, skeleton_source(take)) {
                    (Some(p), _) => SkeletonSource::File(p.clone()),
                    (None, Some(p)) => SkeletonSource::File(p),
                    (None, None) => {
                        match cleanup.motion.original.as_ref().and_then(|o| o.0.clone()) {
                            Some(s) => SkeletonSource::Memory(s),
                            None => SkeletonSource::Template,
                        }
                    }
                };
                match spawn(stage, source, markers, take.cleanup.motion.clone()) {
                    Ok((progress, handle)) => {
                        cleanup.motion.job = Some(ResolveJob {
                            progress,
                            handle: Some(handle),
                            generation: session.generation,
                            started: Instant::now(),
                        });
                    }
                    Err(e) => log.push(
                        LogLevel::Error,
                        format!("Re-solve: cannot start a thread: {e}"),
                        now,
                    ),
                }
            }
            _ => {}
        }
    }
}

fn spawn(
    stage: SolveStage,
    source: SkeletonSource,
    markers: mocap_data::MarkerTrajectories,
    ops: Vec<MotionEntry>,
) -> std::io::Result<(Arc<SolveProgress>, JoinHandle<SolveResult>)> {
    let progress = Arc::new(SolveProgress::default());
    let p = Arc::clone(&progress);
    let handle = std::thread::Builder::new()
        .name("re-solve".into())
        .spawn(move || {
            let skeleton = source.load()?;
            let s = mocap_solver::resolve::solve(&stage, &skeleton, &markers, Some(&p))?;
            let locked = mocap_solver::resolve::apply_motion_ops(&ops, &s.skeleton, &s.motion)
                .map_err(|e| e.to_string());
            Ok((s, ops, locked))
        })?;
    Ok((progress, handle))
}

/// Collects a finished re-solve: its result becomes one undoable edit.
pub(crate) fn poll_job(
    mut cleanup: ResMut<Cleanup>,
    session: Res<Session>,
    mut edits: MessageWriter<EditCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let finished = cleanup
        .motion
        .job
        .as_ref()
        .is_some_and(|j| j.handle.as_ref().is_none_or(JoinHandle::is_finished));
    if !finished {
        return;
    }
    let Some(mut job) = cleanup.motion.job.take() else {
        return;
    };
    let now = time.elapsed_secs_f64();
    let secs = job.started.elapsed().as_secs_f64();
    let result = match job.handle.take().map(JoinHandle::join) {
        Some(Ok(r)) => r,
        _ => {
            log.push(
                LogLevel::Error,
                "Re-solve: the solving thread panicked",
                now,
            );
            return;
        }
    };
    match result {
        Ok(_) if job.generation != session.generation => {}
        Ok((s, ops, locked)) => {
            log.push(
                LogLevel::Info,
                format!(
                    "Re-solved {} frames ({} failed), marker RMS {:.2} mm, in {secs:.1} s",
                    s.frames_solved, s.frames_failed, s.marker_rms_mm
                ),
                now,
            );
            let s = Arc::new(s);
            cleanup.motion.prepared = Some((Arc::clone(&s), ops, locked));
            edits.write(EditCommand::SetSolvedMotion {
                solved: Some(s),
                what: "Re-solve".into(),
            });
        }
        Err(SolverError::Cancelled) => log.push(
            LogLevel::Info,
            "Re-solve cancelled: the take is unchanged",
            now,
        ),
        Err(e) => log.push(LogLevel::Error, format!("Re-solve: {e}"), now),
    }
}

/// Shows solve `s` on `take`: the motion operations applied (reusing what the re-solve thread
/// prepared), in the opened skeleton's unit, placed as the solve's world; the status line and
/// pinned feet of `m`.
fn show_solve(m: &mut MotionState, take: &mut crate::model::session::Take, s: &Arc<SolvedMotion>) {
    let unit = m
        .original
        .as_ref()
        .and_then(|o| o.0.as_ref())
        .map_or(s.skeleton.unit, |sk| sk.unit);
    // The re-solve thread ran the same operations on this solve already: reuse them.
    let prepared = m
        .prepared
        .as_ref()
        .filter(|(p, ops, _)| Arc::ptr_eq(p, s) && *ops == take.cleanup.motion)
        .map(|(_, _, r)| r.clone());
    let result = prepared.unwrap_or_else(|| {
        mocap_solver::resolve::apply_motion_ops(&take.cleanup.motion, &s.skeleton, &s.motion)
            .map_err(|e| e.to_string())
    });
    let locked = match result {
        Ok((motion, reports)) => {
            for r in reports {
                if let MotionReport::FootLock(r) = r {
                    m.contacts.extend(r.contacts);
                }
            }
            m.status = Some(format!(
                "Solved: {} frames ({} failed), marker RMS {:.2} mm; {} contacts pinned",
                s.frames_solved,
                s.frames_failed,
                s.marker_rms_mm,
                m.contacts.len()
            ));
            motion
        }
        Err(e) => {
            m.status = Some(format!("Motion operations failed: {e}"));
            s.motion.clone()
        }
    };
    let params = take
        .cleanup
        .motion
        .iter()
        .map(|e| match &e.op {
            MotionOperation::FootLock(f) => f.params.clone(),
        })
        .next()
        .unwrap_or_default();
    if let Ok(feet) = mocap_solver::foot::foot_joints(&params, &s.skeleton) {
        m.feet = feet
            .iter()
            .map(|&j| s.skeleton.joints[j].name.clone())
            .collect();
    }
    let (sk, mo) = mocap_solver::resolve::in_unit(&s.skeleton, &locked, unit);
    // The solve works in the markers' world turned to the skeleton's up axis (the
    // standard quarter turn), whatever axes the opened skeleton had (e.g. Vicon's ASF).
    take.skeleton_axes = crate::model::session::AxisConvention::Up(sk.up_axis);
    take.skeleton = Some(sk);
    take.motion = Some(mo);
}

/// Shows the solved motion after the motion operations (or the opened motion without a solve)
/// when either changed, and updates the contact lanes.
pub(crate) fn evaluate(
    mut session: ResMut<Session>,
    mut cleanup: ResMut<Cleanup>,
    mut lanes: ResMut<TimelineLanes>,
) {
    let Some(take) = session.take.as_mut() else {
        return;
    };
    let m = &mut cleanup.motion;
    let same = m.evaluated.as_ref().is_some_and(|(s, ops)| {
        let same_solve = match (s, &take.solved) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same_solve && (take.solved.is_none() || *ops == take.cleanup.motion)
    });
    if same || (m.evaluated.is_none() && take.solved.is_none()) {
        return;
    }
    // Long takes: the motion operations run on a worker thread; the take keeps showing the
    // previous motion until they finish (checked every update).
    if let Some(s) = take.solved.clone() {
        let ops = take.cleanup.motion.clone();
        let ready = m
            .prepared
            .as_ref()
            .is_some_and(|(p, o, _)| Arc::ptr_eq(p, &s) && *o == ops);
        let threshold = m
            .background_from_frames
            .unwrap_or(BACKGROUND_MOTION_OPS_FRAMES);
        if !ready && s.motion.frame_count() >= threshold {
            let running = m
                .pending
                .as_ref()
                .is_some_and(|(p, o, _)| Arc::ptr_eq(p, &s) && *o == ops);
            if !running {
                // A newer edit supersedes a running one (its thread finishes unobserved).
                let (s2, ops2) = (Arc::clone(&s), ops.clone());
                let spawned =
                    std::thread::Builder::new()
                        .name("motion-ops".into())
                        .spawn(move || {
                            mocap_solver::resolve::apply_motion_ops(&ops2, &s2.skeleton, &s2.motion)
                                .map_err(|e| e.to_string())
                        });
                match spawned {
                    Ok(h) => {
                        m.pending = Some((Arc::clone(&s), ops, h));
                        m.status = Some("Foot lock: updating in the background…".into());
                        return;
                    }
                    // No thread: run it here (below).
                    Err(_) => m.pending = None,
                }
            } else if m.pending.as_ref().is_some_and(|(_, _, h)| !h.is_finished()) {
                return;
            } else if let Some((p, o, h)) = m.pending.take() {
                let r = h
                    .join()
                    .unwrap_or_else(|_| Err("the foot lock thread panicked".into()));
                m.prepared = Some((p, o, r));
            }
        }
    }
    m.evaluated = Some((take.solved.clone(), take.cleanup.motion.clone()));
    m.contacts.clear();
    m.feet.clear();
    m.status = None;
    match take.solved.clone() {
        None => {
            if let Some((sk, mo)) = m.original.clone() {
                take.skeleton = sk;
                take.motion = mo;
            }
            if let Some(axes) = m.original_axes {
                take.skeleton_axes = axes;
            }
        }
        Some(s) => show_solve(m, take, &s),
    }
    // Lanes: one per pinned foot (left, right), only while a solve is shown.
    for (i, key) in CONTACT_LANES.iter().enumerate() {
        let lane = m.feet.get(i).map(|foot| contact_lane(i, foot, &m.contacts));
        match lane {
            Some(l) => {
                lanes.extra.insert((*key).into(), l);
            }
            None => {
                lanes.extra.remove(*key);
            }
        }
    }
}

/// The timeline lane of one foot's contacts (`side` 0: "Contacts L", 1: "Contacts R").
pub fn contact_lane(side: usize, foot: &str, contacts: &[Contact]) -> Lane {
    let colour = if side == 0 {
        [86, 180, 233]
    } else {
        [230, 159, 0]
    };
    Lane {
        name: format!("Contacts {}", if side == 0 { "L" } else { "R" }),
        spans: contacts
            .iter()
            .filter(|c| c.name == foot && c.end > c.start)
            .map(|c| {
                (
                    c.start,
                    c.end - 1,
                    colour,
                    format!("{foot} pinned, frames {}–{}", c.start, c.end - 1),
                )
            })
            .collect(),
        ticks: Vec::new(),
        // Drag a contact's ends on the lane (see `CleanupCommand::MoveLaneSpan`).
        edit_key: Some(CONTACT_LANES[side.min(1)].to_string()),
    }
}
