//! Marker clean-up in the studio: the take's non-destructive operation stack
//! ([`mocap_solver::stack::OpStack`]), evaluated incrementally by
//! [`mocap_solver::stack::StackEvaluator`] — the same code `mocap clean --ops` runs, so the app
//! and the pipeline produce bit-identical markers.
//!
//! The stack lives on the [`Take`](crate::model::session::Take) (`cleanup`), so editing it is an
//! ordinary undoable [`EditCommand::SetCleanupStack`]. [`CleanupPlugin`] keeps the raw markers
//! as read from the file, re-evaluates when the stack changes and writes the result into the
//! take's markers (what the viewport, timeline and exports show). The stack is saved beside the
//! take as `NAME.ops.ron` (loaded again when the take is opened) and, on export, recorded as a
//! derived version in the take library when one is open.

pub mod face;
pub mod motion;
pub mod panel;

use crate::model::commands::{CleanupCommand, MarkerColumn};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bevy::prelude::*;
use mocap_solver::gaps::{FrameRange, MarkerGapReport, MarkerSelection, gap_report};
use mocap_solver::stack::{EntryOutcome, OpReport, OpStack, StackEvaluator};

use crate::history::HistorySet;
use crate::model::library::OpenLibrary;
use crate::model::library::TakeBrowser;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::session::Session;
use crate::model::session::Take;
use crate::session::SessionSet;

/// Systems that load the take's stack, re-evaluate it and apply [`CleanupCommand`]s (after
/// [`HistorySet`], which applies stack edits).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CleanupSet;

/// The Cleanup panel's engine: operation stack evaluation, sidecar files, export.
pub struct CleanupPlugin;

impl Plugin for CleanupPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Cleanup {
            sort: (MarkerColumn::Index, true),
            ..Default::default()
        })
        .init_resource::<face::FaceCleanup>()
        .add_message::<CleanupCommand>()
        .init_resource::<crate::model::lanes::TimelineLanes>()
        .configure_sets(PreUpdate, CleanupSet.after(HistorySet).after(SessionSet))
        .add_systems(
            PreUpdate,
            (
                follow_take,
                evaluate,
                apply_commands,
                motion::follow_take,
                motion::apply_commands,
                motion::poll_job,
                motion::evaluate,
                face::evaluate_face,
            )
                .chain()
                .in_set(CleanupSet),
        );
    }
}

/// A detected label swap: markers `labels` are exchanged over `frames` (half-open).
#[derive(Debug, Clone, PartialEq)]
pub struct SwapSpan {
    /// The two labels.
    pub labels: [String; 2],
    /// Frames where the samples are exchanged, 0-based, end exclusive.
    pub frames: FrameRange,
}

/// Pairs swap events into spans: an exchange at `frame` lasts until the next event of the same
/// pair (the swap back) or the end of the take.
pub fn swap_spans(events: &[mocap_solver::swaps::SwapEvent], frame_count: usize) -> Vec<SwapSpan> {
    let mut spans = Vec::new();
    let mut open: Vec<(usize, [usize; 2], [String; 2])> = Vec::new();
    for e in events {
        if let Some(i) = open.iter().position(|(_, m, _)| *m == e.markers) {
            let (start, _, labels) = open.remove(i);
            spans.push(SwapSpan {
                labels,
                frames: FrameRange::new(start, e.frame),
            });
        } else {
            open.push((e.frame, e.markers, e.labels.clone()));
        }
    }
    for (start, _, labels) in open {
        spans.push(SwapSpan {
            labels,
            frames: FrameRange::new(start, frame_count),
        });
    }
    spans.sort_by_key(|s| s.frames.start);
    spans
}

/// One row of the marker table (on the cleaned result).
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerRow {
    /// Gap statistics over the whole take.
    pub gaps: MarkerGapReport,
    /// Mean residual of the valid samples, in the take's length unit; `None` when the file gave
    /// none (all zero) or the marker has no valid sample.
    pub mean_residual: Option<f64>,
}

impl Cleanup {
    /// The session generation the engine has caught up with (its take, its sidecar stack).
    pub fn generation(&self) -> Option<u64> {
        self.generation
    }
}

/// State of the clean-up engine.
#[derive(Resource, Default)]
pub struct Cleanup {
    /// Incremental evaluator over the raw markers (`None`: the take has no markers).
    evaluator: Option<StackEvaluator>,
    /// Whether the loaded take has markers.
    has_markers: bool,
    /// Session generation the evaluator was built for.
    generation: Option<u64>,
    /// Marker file the take came from (sidecar and export), if any.
    pub source: Option<PathBuf>,
    /// Marker table rows, sorted by `sort`.
    pub rows: Vec<MarkerRow>,
    /// Sort column and ascending flag.
    pub sort: (MarkerColumn, bool),
    /// Selected stack entry.
    pub selected_entry: Option<usize>,
    /// Per entry: a one-line outcome ("12 gaps filled", "failed: …").
    pub outcomes: Vec<String>,
    /// Wall time of the last re-evaluation, milliseconds, and how many marker runs it did.
    pub last_eval: Option<(f64, usize)>,
    /// The stack as last saved or loaded from the sidecar (unsaved changes differ).
    pub saved: Option<OpStack>,
    /// Swaps found by [`CleanupCommand::FindSwaps`] on the current result (cleared when it
    /// changes).
    pub swaps: Option<Vec<SwapSpan>>,
    /// Re-solve and motion operations.
    pub motion: motion::MotionState,
}

impl Cleanup {
    /// The raw markers (before the stack), if a take with markers is loaded.
    pub fn raw(&self) -> Option<&mocap_data::MarkerTrajectories> {
        self.evaluator.as_ref().map(StackEvaluator::input)
    }

    /// Whether the loaded take has markers to clean.
    pub fn has_markers(&self) -> bool {
        self.has_markers
    }
}

/// The marker file of a take (first C3D or TRC source).
pub fn marker_source(take: &Take) -> Option<&Path> {
    take.sources
        .iter()
        .find(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("c3d") || e.eq_ignore_ascii_case("trc"))
        })
        .map(PathBuf::as_path)
}

fn follow_take(
    mut session: ResMut<Session>,
    mut cleanup: ResMut<Cleanup>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    if cleanup.generation == Some(session.generation) {
        return;
    }
    let generation = session.generation;
    cleanup.generation = Some(generation);
    cleanup.evaluator = None;
    cleanup.has_markers = false;
    cleanup.source = None;
    cleanup.saved = None;
    cleanup.selected_entry = None;
    cleanup.rows.clear();
    cleanup.outcomes.clear();
    cleanup.swaps = None;
    let Some(take) = session.as_mut().take.as_mut() else {
        return;
    };
    if take.markers.is_none() {
        return;
    }
    let source = marker_source(take).map(Path::to_path_buf);
    // A stack saved beside the take comes back with it.
    let mut stack = take.cleanup.clone();
    if let Some(src) = &source {
        let sidecar = OpStack::sidecar_path(src);
        if sidecar.exists() {
            match OpStack::load(&sidecar) {
                Ok(s) => {
                    log.push(
                        LogLevel::Info,
                        format!(
                            "Loaded {} clean-up operations from {}",
                            s.entries.len(),
                            sidecar.display()
                        ),
                        time.elapsed_secs_f64(),
                    );
                    cleanup.saved = Some(s.clone());
                    stack = s;
                }
                Err(e) => log.push(
                    LogLevel::Error,
                    format!("Clean-up stack not loaded (the file is left as it is): {e}"),
                    time.elapsed_secs_f64(),
                ),
            }
        }
    }
    cleanup.source = source;
    cleanup.has_markers = true;
    take.cleanup = stack;
    // With an empty stack the take's markers are the raw markers: the evaluator (which keeps a
    // copy of them) is only built on the first operation, so opening a long take stays cheap.
    if take.cleanup.entries.is_empty() {
        if let Some(m) = take.markers.as_ref() {
            refresh_rows(&mut cleanup, m);
        }
    } else if let Some(markers) = take.markers.clone() {
        let t0 = Instant::now();
        let evaluator = StackEvaluator::new(markers, take.cleanup.clone());
        cleanup.last_eval = Some((t0.elapsed().as_secs_f64() * 1e3, 0));
        take.markers = Some(evaluator.result().clone());
        cleanup.evaluator = Some(evaluator);
        if let Some(m) = take.markers.as_ref() {
            refresh_rows(&mut cleanup, m);
        }
    }
}

/// Re-evaluates when the take's stack differs from the evaluated one (an edit, undo or redo).
fn evaluate(mut session: ResMut<Session>, mut cleanup: ResMut<Cleanup>) {
    if !cleanup.has_markers {
        return;
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let empty = OpStack::default();
    let evaluated = cleanup
        .evaluator
        .as_ref()
        .map_or(&empty, StackEvaluator::stack);
    // The solve stage and motion operations are `cleanup_motion`'s.
    if take.cleanup.entries == evaluated.entries {
        return;
    }
    let stack = take.cleanup.clone();
    if cleanup.evaluator.is_none() {
        // First operation: the take's markers are still the raw ones.
        let Some(raw) = take.markers.clone() else {
            return;
        };
        cleanup.evaluator = Some(StackEvaluator::new(raw, OpStack::default()));
    }
    let t0 = Instant::now();
    let (summary, result) = {
        let Some(ev) = cleanup.evaluator.as_mut() else {
            return;
        };
        let summary = ev.set_stack(stack);
        (summary, ev.result().clone())
    };
    cleanup.last_eval = Some((t0.elapsed().as_secs_f64() * 1e3, summary.marker_runs));
    cleanup.swaps = None;
    if let Some(take) = session.take.as_mut() {
        // Labels edited in the session (renames) stay.
        let labels = take.markers.as_ref().map(|m| m.labels.clone());
        let mut result = result;
        if let Some(l) = labels.filter(|l| l.len() == result.labels.len()) {
            result.labels = l;
        }
        take.markers = Some(result);
    }
    if let Some(m) = session.take.as_ref().and_then(|t| t.markers.as_ref()) {
        refresh_rows(&mut cleanup, m);
    }
}

fn refresh_rows(cleanup: &mut Cleanup, result: &mocap_data::MarkerTrajectories) {
    let report = gap_report(result, None, &MarkerSelection::All).unwrap_or_default();
    let n = result.marker_count();
    let mut sum = vec![0.0f64; n];
    let mut count = vec![0usize; n];
    for (i, (r, v)) in result.residuals().iter().zip(result.valid()).enumerate() {
        if *v {
            sum[i % n.max(1)] += f64::from(*r);
            count[i % n.max(1)] += 1;
        }
    }
    cleanup.rows = report
        .into_iter()
        .map(|g| {
            let k = g.marker;
            let mean = (count[k] > 0).then(|| sum[k] / count[k] as f64);
            MarkerRow {
                gaps: g,
                mean_residual: mean.filter(|m| *m > 0.0),
            }
        })
        .collect();
    let (col, asc) = cleanup.sort;
    sort_markers(&mut cleanup.rows, col, asc);
    cleanup.outcomes = match cleanup.evaluator.as_ref() {
        Some(ev) => (0..ev.stack().entries.len())
            .map(|i| ev.outcome(i).map(outcome_text).unwrap_or_default())
            .collect(),
        None => Vec::new(),
    };
}

/// One line describing what an entry did.
pub fn outcome_text(o: &EntryOutcome) -> String {
    match o {
        EntryOutcome::Disabled => "off".into(),
        EntryOutcome::Failed(e) => format!("failed: {e}"),
        EntryOutcome::Done(r) => match r {
            OpReport::Fill(f) => format!(
                "{} gaps filled ({} frames), {} left",
                f.gaps_filled,
                f.frames_filled,
                f.gaps.len().saturating_sub(f.gaps_filled)
            ),
            OpReport::Lowpass(l) => format!("{} samples filtered", l.samples_filtered),
            OpReport::Despike(d) => format!("{} spikes removed", d.spikes.len()),
            OpReport::Swaps(s) => format!("{} swaps undone", s.swaps.len()),
            OpReport::Samples { changed } => format!("{changed} samples changed"),
        },
    }
}

/// Sorts marker rows in place.
pub fn sort_markers(rows: &mut [MarkerRow], col: MarkerColumn, ascending: bool) {
    rows.sort_by(|a, b| {
        let o = match col {
            MarkerColumn::Index => a.gaps.marker.cmp(&b.gaps.marker),
            MarkerColumn::Label => crate::model::util::natural_cmp(&a.gaps.label, &b.gaps.label),
            MarkerColumn::Gaps => a.gaps.gaps.len().cmp(&b.gaps.gaps.len()),
            MarkerColumn::Longest => a.gaps.longest_gap.cmp(&b.gaps.longest_gap),
            MarkerColumn::Valid => a.gaps.valid_percent.total_cmp(&b.gaps.valid_percent),
            MarkerColumn::Residual => a
                .mean_residual
                .unwrap_or(-1.0)
                .total_cmp(&b.mean_residual.unwrap_or(-1.0)),
        }
        .then(a.gaps.marker.cmp(&b.gaps.marker));
        if ascending { o } else { o.reverse() }
    });
}

fn apply_commands(
    mut commands: MessageReader<CleanupCommand>,
    mut cleanup: ResMut<Cleanup>,
    session: Res<Session>,
    library: Option<Res<OpenLibrary>>,
    browser: Option<ResMut<TakeBrowser>>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    let mut browser = browser;
    for cmd in commands.read() {
        match cmd {
            CleanupCommand::SelectEntry(i) => cleanup.selected_entry = *i,
            // Handled by `motion::apply_commands`.
            CleanupCommand::Resolve
            | CleanupCommand::CancelResolve
            | CleanupCommand::MoveLaneSpan { .. } => {}
            CleanupCommand::FindSwaps(params) => {
                let Some(mut m) = session.take.as_ref().and_then(|t| t.markers.clone()) else {
                    continue;
                };
                match mocap_solver::swaps::apply(params, &mut m, None, &MarkerSelection::All) {
                    Ok(r) => {
                        let spans = swap_spans(&r.swaps, m.frame_count());
                        log.push(
                            LogLevel::Info,
                            format!("Found {} label swaps", spans.len()),
                            now,
                        );
                        cleanup.swaps = Some(spans);
                    }
                    Err(e) => log.push(LogLevel::Error, format!("Find swaps: {e}"), now),
                }
            }
            CleanupCommand::SortMarkers(c) => {
                let asc = if cleanup.sort.0 == *c {
                    !cleanup.sort.1
                } else {
                    true
                };
                cleanup.sort = (*c, asc);
                sort_markers(&mut cleanup.rows, *c, asc);
            }
            CleanupCommand::SaveStack | CleanupCommand::SaveStackAs(_) => {
                let Some(stack) = session
                    .take
                    .as_ref()
                    .filter(|_| cleanup.has_markers)
                    .map(|t| t.cleanup.clone())
                else {
                    log.push(LogLevel::Warning, "No take with markers to clean", now);
                    continue;
                };
                let path = match cmd {
                    CleanupCommand::SaveStackAs(p) => p.clone(),
                    _ => match &cleanup.source {
                        Some(src) => OpStack::sidecar_path(src),
                        None => {
                            log.push(
                                LogLevel::Warning,
                                "The take was not read from a marker file: use Save stack as…",
                                now,
                            );
                            continue;
                        }
                    },
                };
                match stack.save(&path) {
                    Ok(()) => {
                        log.push(
                            LogLevel::Info,
                            format!("Saved the clean-up stack to {}", path.display()),
                            now,
                        );
                        cleanup.saved = Some(stack);
                    }
                    Err(e) => log.push(LogLevel::Error, format!("Save stack: {e}"), now),
                }
            }
            CleanupCommand::Export(path) => {
                let result = export(&cleanup, &session, path);
                match result {
                    Ok(()) => {
                        log.push(
                            LogLevel::Info,
                            format!("Exported cleaned markers to {}", path.display()),
                            now,
                        );
                        // A version of the take's clean-up in the library, when it is there.
                        let take_id = browser
                            .as_ref()
                            .and_then(|b| b.active.as_ref().map(|a| a.summary.id));
                        if let (Some(id), Some(lib), Some(stack)) = (
                            take_id,
                            library.as_ref(),
                            session.take.as_ref().map(|t| &t.cleanup),
                        ) {
                            let recorded =
                                lib.with(|l| record_version(l, id, stack, &cleanup, path));
                            match recorded {
                                Some(Ok(v)) => {
                                    log.push(
                                        LogLevel::Info,
                                        format!(
                                            "Recorded clean-up version {v} in the take library"
                                        ),
                                        now,
                                    );
                                    if let Some(b) = browser.as_mut() {
                                        b.mark_dirty();
                                    }
                                }
                                Some(Err(e)) => log.push(
                                    LogLevel::Warning,
                                    format!("Exported, but not recorded in the take library: {e}"),
                                    now,
                                ),
                                None => {}
                            }
                        }
                    }
                    Err(e) => {
                        log.push(LogLevel::Error, format!("Export cleaned markers: {e}"), now)
                    }
                }
            }
        }
    }
}

fn record_version(
    lib: &mut take_library::Library,
    take_id: i64,
    stack: &OpStack,
    cleanup: &Cleanup,
    output: &Path,
) -> Result<i64, String> {
    let input = match &cleanup.source {
        Some(src) => vec![
            take_library::util::hash_file(src)
                .map_err(|e| e.to_string())?
                .0,
        ],
        None => Vec::new(),
    };
    let operations = serde_json::to_value(stack).map_err(|e| e.to_string())?;
    lib.record_derived(
        &take_library::NewDerived {
            take_id,
            kind: "cleanup".into(),
            input_sha256: input,
            operations,
            output_path: output.to_path_buf(),
            author: crate::model::library::default_author(),
        },
        crate::model::library::signing_key(),
    )
    .map(|v| v.version)
    .map_err(|e| e.to_string())
}

/// Writes the cleaned markers: a C3D source is re-read and written with its points replaced
/// (parameters, analog and events kept, exactly as `mocap clean`); otherwise TRC.
fn export(cleanup: &Cleanup, session: &Session, path: &Path) -> Result<(), String> {
    let result = session
        .take
        .as_ref()
        .and_then(|t| t.markers.clone())
        .filter(|_| cleanup.has_markers)
        .ok_or("the take has no markers")?;
    let is_c3d = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("c3d"));
    match (&cleanup.source, is_c3d) {
        (Some(src), true)
            if src
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("c3d")) =>
        {
            let mut file = mocap_formats::c3d::read_path(src).map_err(|e| e.to_string())?;
            if file.points.marker_count() != result.marker_count()
                || file.points.frame_count() != result.frame_count()
            {
                return Err(format!(
                    "{} changed on disk since it was opened ({} markers × {} frames now); reopen it",
                    src.display(),
                    file.points.marker_count(),
                    file.points.frame_count()
                ));
            }
            file.points = result;
            mocap_formats::c3d::write_path(&file, path).map_err(|e| e.to_string())
        }
        (_, true) => {
            let file = mocap_formats::c3d::C3dFile::from_trajectories(result);
            mocap_formats::c3d::write_path(&file, path).map_err(|e| e.to_string())
        }
        (_, false) => mocap_formats::trc::write_path(&result, path).map_err(|e| e.to_string()),
    }
}
