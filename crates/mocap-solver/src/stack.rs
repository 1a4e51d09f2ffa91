//! The clean-up **operation stack**: a non-destructive, ordered list of marker repair
//! operations (fill gaps, low-pass, despike, fix swaps, delete samples, trim, swap labels), each
//! with its parameters, frame range and marker selection, that can be toggled, reordered and
//! edited. The take's samples are never modified: the stack is applied to a copy.
//!
//! Two evaluators give bit-identical results:
//!
//! * [`OpStack::apply`] — the reference: every enabled entry in order on a copy of the input,
//!   through the same functions `mocap clean` uses (`mocap clean --ops` calls it);
//! * [`StackEvaluator`] — incremental, for the app: after an edit ([`StackEvaluator::set_stack`])
//!   only the entries from the first changed one on are re-run, and for per-marker operations
//!   (linear/spline fill, low-pass, despike, delete, trim) only on the markers whose input
//!   changed.
//!
//! # File format
//!
//! A stack is saved beside its take as RON ([`OpStack::sidecar_path`]: `39_01.c3d` →
//! `39_01.ops.ron`). Frames are 0-based sample indices, ranges half-open `[start, end)`.
//! The `implicit_some` and `unwrap_variant_newtypes` extensions are always on when reading
//! (saved files also name them in their header), so parameters go directly in the operation's
//! parentheses — `FillGaps(method: spline)`, not `FillGaps((…))`; `Despike()` takes every
//! default — and a range is written without `Some`: `range: (start: 0, end: 500)`. Omitted fields take their defaults (`enabled: true`, `range: None` = whole
//! take, `markers: All`, `note: ""`; parameter defaults as in each operation's params type).
//!
//! ```ron
//! #![enable(implicit_some, unwrap_variant_newtypes)]
//! (
//!     version: 1,
//!     entries: [
//!         (op: FixSwaps(min_jump_mm: 15.0, max_cost_ratio: 0.25)),
//!         (op: Despike(threshold_mads: 8.0), markers: Labels(["LFHD", "RFHD"])),
//!         (op: FillGaps(method: spline, max_gap: 30), range: (start: 0, end: 500)),
//!         (op: DeleteSamples, range: (start: 900, end: 960), markers: Labels(["LTOE"]),
//!          note: "bad reflection"),
//!         (op: Lowpass(cutoff_hz: 6.0, order: 4), enabled: false),
//!     ],
//! )
//! ```
//!
//! # Failed entries
//!
//! [`OpStack::apply`] stops at the first entry that fails (invalid parameter, unknown marker,
//! range outside the take) with [`SolverError::StackEntry`]. The incremental evaluator instead
//! records the failure in that entry's report ([`EntryOutcome::Failed`]) and passes the take
//! through unchanged, so the app keeps showing a result while the user fixes the entry; its
//! result then equals [`OpStack::apply`] of the stack with the failed entries disabled.
//!
//! # Memory of the incremental evaluator
//!
//! Per entry it keeps, for every marker the entry changed, that marker's column (all frames) as
//! it was before the entry ran, plus the entry's report. Memory is therefore bounded by the
//! changed columns (an entry on one marker of a 10-minute 120 Hz take keeps 72 000 samples,
//! about 1.3 MB), at most one copy of the take per entry.

use crate::SolverError;
use crate::clean::CleanParams;
use crate::fill::{FillMethod, FillParams, FillReport};
use crate::filter::{LowpassParams, LowpassReport};
use crate::gaps::{FrameRange, MarkerSelection};
use crate::spikes::{DespikeParams, DespikeReport};
use crate::swaps::{SwapParams, SwapReport};
use mocap_data::{MarkerSample, MarkerTrajectories};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The newest [`OpStack::version`] this build reads and writes.
pub const OPSTACK_VERSION: u32 = 1;

/// One marker operation of the stack, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Operation {
    /// Fill gaps ([`crate::fill::apply`]). Linear and spline fills are per marker; rigid and
    /// pattern fills read other markers (donors).
    FillGaps(FillParams),
    /// Zero-phase Butterworth low-pass ([`crate::filter::apply`]), per marker.
    Lowpass(LowpassParams),
    /// Spike removal → gaps ([`crate::spikes::apply`]), per marker.
    Despike(DespikeParams),
    /// Automatic label-swap repair among the selected markers ([`crate::swaps::apply`]).
    FixSwaps(SwapParams),
    /// Turns every sample of the selected markers inside the entry's range into a gap (the
    /// whole take when the entry has no range).
    DeleteSamples,
    /// Turns every sample of the selected markers **outside** the entry's range into a gap (no
    /// range: nothing changes). The frame count is kept, so later entries' ranges and the app's
    /// timeline stay valid; cropping the file is left to export.
    Trim,
    /// Manually exchanges the samples of markers `a` and `b` (labels) inside the entry's range
    /// (the entry's marker selection is ignored).
    SwapLabels {
        /// First marker's label.
        a: String,
        /// Second marker's label.
        b: String,
    },
}

impl Operation {
    /// The variant's name as written in the RON file (`FillGaps`, `Lowpass`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::FillGaps(_) => "FillGaps",
            Self::Lowpass(_) => "Lowpass",
            Self::Despike(_) => "Despike",
            Self::FixSwaps(_) => "FixSwaps",
            Self::DeleteSamples => "DeleteSamples",
            Self::Trim => "Trim",
            Self::SwapLabels { .. } => "SwapLabels",
        }
    }

    /// `true` when each selected marker's result depends only on that marker's own samples
    /// (the incremental evaluator then recomputes marker by marker).
    pub fn is_per_marker(&self) -> bool {
        match self {
            Self::FillGaps(p) => matches!(p.method, FillMethod::Linear | FillMethod::Spline),
            Self::Lowpass(_) | Self::Despike(_) | Self::DeleteSamples | Self::Trim => true,
            Self::FixSwaps(_) | Self::SwapLabels { .. } => false,
        }
    }
}

fn yes() -> bool {
    true
}

fn current_version() -> u32 {
    OPSTACK_VERSION
}

/// One entry of the stack: an operation, whether it runs, where, on which markers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackEntry {
    /// The operation and its parameters.
    pub op: Operation,
    /// Disabled entries are skipped (kept in the stack, so they can be toggled back on).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Frames the operation works on (`None`: the whole take), 0-based, end exclusive.
    #[serde(default)]
    pub range: Option<FrameRange>,
    /// Markers the operation works on.
    #[serde(default)]
    pub markers: MarkerSelection,
    /// Free text shown in the app (why the entry exists); does not affect the result.
    #[serde(default)]
    pub note: String,
}

impl StackEntry {
    /// An enabled entry of `op` over the whole take and every marker.
    pub fn new(op: Operation) -> Self {
        Self {
            op,
            enabled: true,
            range: None,
            markers: MarkerSelection::All,
            note: String::new(),
        }
    }

    /// `true` when both entries compute the same thing (everything but the note is equal).
    pub fn same_computation(&self, other: &Self) -> bool {
        self.op == other.op
            && self.enabled == other.enabled
            && self.range == other.range
            && self.markers == other.markers
    }
}

/// An ordered list of operations, saved with the take (see the module docs for the format).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpStack {
    /// File format version ([`OPSTACK_VERSION`]).
    #[serde(default = "current_version")]
    pub version: u32,
    /// The entries, applied first to last.
    #[serde(default)]
    pub entries: Vec<StackEntry>,
    /// Optional solve stage after the marker entries: the cleaned markers solved onto the
    /// take's skeleton ([`crate::resolve::solve`]). Absent in files without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solve: Option<crate::resolve::SolveStage>,
    /// Operations on the solved motion (foot lock), applied first to last after the solve
    /// stage ([`crate::resolve::apply_motion_ops`]); ignored without an enabled solve stage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub motion: Vec<crate::resolve::MotionEntry>,
    /// Curve operations on the take's facial performance ([`crate::face_ops`]), applied first to
    /// last by [`crate::face_ops::apply`]; independent of the marker entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub face: Vec<crate::face_ops::FaceEntry>,
}

impl Default for OpStack {
    fn default() -> Self {
        Self {
            version: OPSTACK_VERSION,
            entries: Vec::new(),
            solve: None,
            motion: Vec::new(),
            face: Vec::new(),
        }
    }
}

/// What one entry did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpReport {
    /// [`Operation::FillGaps`].
    Fill(FillReport),
    /// [`Operation::Lowpass`].
    Lowpass(LowpassReport),
    /// [`Operation::Despike`].
    Despike(DespikeReport),
    /// [`Operation::FixSwaps`].
    Swaps(SwapReport),
    /// [`Operation::DeleteSamples`], [`Operation::Trim`]: valid samples turned into gaps;
    /// [`Operation::SwapLabels`]: frames exchanged.
    Samples {
        /// Samples (marker-frames) deleted, or frames exchanged.
        changed: usize,
    },
}

impl OpReport {
    /// Appends the report of more markers (the per-marker evaluation's merge).
    fn merge(&mut self, other: &OpReport) {
        match (self, other) {
            (Self::Fill(a), Self::Fill(b)) => {
                a.gaps.extend(b.gaps.iter().cloned());
                a.gaps_filled += b.gaps_filled;
                a.frames_filled += b.frames_filled;
            }
            (Self::Lowpass(a), Self::Lowpass(b)) => {
                a.runs_filtered += b.runs_filtered;
                a.samples_filtered += b.samples_filtered;
                a.short_runs += b.short_runs;
            }
            (Self::Despike(a), Self::Despike(b)) => a.spikes.extend(b.spikes.iter().cloned()),
            (Self::Swaps(a), Self::Swaps(b)) => a.swaps.extend(b.swaps.iter().cloned()),
            (Self::Samples { changed: a }, Self::Samples { changed: b }) => *a += *b,
            _ => {}
        }
    }

    /// Rewrites marker indices of a report computed on a one-marker take to `marker`.
    fn remap(&mut self, marker: usize) {
        match self {
            Self::Fill(r) => r.gaps.iter_mut().for_each(|g| g.marker = marker),
            Self::Despike(r) => r.spikes.iter_mut().for_each(|s| s.marker = marker),
            _ => {}
        }
    }
}

/// What happened to one entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryOutcome {
    /// The entry is disabled.
    Disabled,
    /// The entry ran.
    Done(OpReport),
    /// The entry could not run (incremental evaluator only); the take passed through unchanged.
    Failed(String),
}

/// What every entry of the stack did, in stack order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StackReport {
    /// One outcome per entry.
    pub entries: Vec<EntryOutcome>,
}

impl StackReport {
    /// The failed entries: (index, message).
    pub fn failures(&self) -> Vec<(usize, &str)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                EntryOutcome::Failed(m) => Some((i, m.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// Extensions always on when reading, and named in the header [`OpStack::to_ron`] writes.
fn ron_extensions() -> ron::extensions::Extensions {
    ron::extensions::Extensions::IMPLICIT_SOME
        | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES
}

impl OpStack {
    /// Whether the stack does nothing: no marker entries, no solve stage, no motion or face
    /// operations (a take without a sidecar has such a stack, and nothing to save).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.solve.is_none()
            && self.motion.is_empty()
            && self.face.is_empty()
    }

    /// An empty stack of the current version.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stack equivalent of `mocap clean`'s step flags: fix swaps → despike → fill →
    /// low-pass (the steps present in `params`), each over `range` and `markers`. Applying it
    /// gives the same result as [`crate::clean::apply`] with the same arguments.
    pub fn from_clean_params(
        params: &CleanParams,
        range: Option<FrameRange>,
        markers: &MarkerSelection,
    ) -> Self {
        let ops = [
            params.fix_swaps.clone().map(Operation::FixSwaps),
            params.despike.clone().map(Operation::Despike),
            params.fill.clone().map(Operation::FillGaps),
            params.lowpass.clone().map(Operation::Lowpass),
        ];
        Self {
            version: OPSTACK_VERSION,
            entries: ops
                .into_iter()
                .flatten()
                .map(|op| StackEntry {
                    range,
                    markers: markers.clone(),
                    ..StackEntry::new(op)
                })
                .collect(),
            solve: None,
            motion: Vec::new(),
            face: Vec::new(),
        }
    }

    /// The sidecar file of a take: the take's path with its extension replaced by `ops.ron`
    /// (`takes/39_01.c3d` → `takes/39_01.ops.ron`; `walk` → `walk.ops.ron`).
    pub fn sidecar_path(take: &Path) -> PathBuf {
        take.with_extension("ops.ron")
    }

    /// The stack as pretty RON (with the `#![enable(implicit_some, unwrap_variant_newtypes)]`
    /// header), as [`Self::save`] writes it.
    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new()
            .extensions(ron_extensions())
            .struct_names(false);
        match ron::ser::to_string_pretty(self, cfg) {
            Ok(s) => s + "\n",
            // Every type here serialises (no maps with non-string keys, no borrowed data).
            Err(e) => format!("// cannot serialise the stack: {e}\n"),
        }
    }

    /// Parses a stack from RON text; `origin` names the file in errors (which carry the 1-based
    /// line and column).
    pub fn from_ron(text: &str, origin: &Path) -> Result<Self, SolverError> {
        let stack: Self = ron::Options::default()
            .with_default_extension(ron_extensions())
            .from_str(text)
            .map_err(|e| SolverError::BadOpStack {
                path: origin.to_path_buf(),
                line: e.span.start.line,
                col: e.span.start.col,
                reason: e.code.to_string(),
            })?;
        if stack.version > OPSTACK_VERSION {
            return Err(SolverError::UnsupportedOpStackVersion {
                path: origin.to_path_buf(),
                version: stack.version,
                supported: OPSTACK_VERSION,
            });
        }
        Ok(stack)
    }

    /// Reads a stack file.
    pub fn load(path: &Path) -> Result<Self, SolverError> {
        let text = std::fs::read_to_string(path).map_err(|error| SolverError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        Self::from_ron(&text, path)
    }

    /// Writes the stack atomically: to a temporary file beside `path`, flushed to disk, then
    /// renamed over `path`, so a failure never leaves a truncated file or loses the previous one.
    pub fn save(&self, path: &Path) -> Result<(), SolverError> {
        use std::io::Write;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ops.ron".into());
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        let io = |p: &Path| {
            let p = p.to_path_buf();
            move |error| SolverError::Io { path: p, error }
        };
        let write = || -> Result<(), SolverError> {
            let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(self.to_ron().as_bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
            std::fs::rename(&tmp, path).map_err(io(path))
        };
        let r = write();
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    }

    /// Applies the enabled entries in order to a copy of `input` (the reference evaluation;
    /// deterministic). Stops at the first entry that fails, with [`SolverError::StackEntry`].
    pub fn apply(
        &self,
        input: &MarkerTrajectories,
    ) -> Result<(MarkerTrajectories, StackReport), SolverError> {
        let mut t = input.clone();
        let mut report = StackReport::default();
        for (index, e) in self.entries.iter().enumerate() {
            if !e.enabled {
                report.entries.push(EntryOutcome::Disabled);
                continue;
            }
            let r = run_op(&e.op, &mut t, e.range, &e.markers).map_err(|source| {
                SolverError::StackEntry {
                    index,
                    op: e.op.name(),
                    source: Box::new(source),
                }
            })?;
            report.entries.push(EntryOutcome::Done(r));
        }
        Ok((t, report))
    }
}

/// Runs one operation on `t` (whole-take semantics).
fn run_op(
    op: &Operation,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<OpReport, SolverError> {
    Ok(match op {
        Operation::FillGaps(p) => OpReport::Fill(crate::fill::apply(p, t, range, markers)?),
        Operation::Lowpass(p) => OpReport::Lowpass(crate::filter::apply(p, t, range, markers)?),
        Operation::Despike(p) => OpReport::Despike(crate::spikes::apply(p, t, range, markers)?),
        Operation::FixSwaps(p) => OpReport::Swaps(crate::swaps::apply(p, t, range, markers)?),
        Operation::DeleteSamples | Operation::Trim => {
            let r = FrameRange::resolve(range, t.frame_count())?;
            let inside = matches!(op, Operation::DeleteSamples);
            let mut changed = 0;
            for m in markers.resolve(t)? {
                for f in 0..t.frame_count() {
                    if r.contains(&f) == inside {
                        changed += usize::from(t.position(f, m).is_some());
                        t.set_sample(f, m, MarkerSample::GAP);
                    }
                }
            }
            OpReport::Samples { changed }
        }
        Operation::SwapLabels { a, b } => {
            let r = FrameRange::resolve(range, t.frame_count())?;
            let (ma, mb) = swap_pair(t, a, b)?;
            if ma != mb {
                for f in r.clone() {
                    let sa = t.sample(f, ma);
                    let sb = t.sample(f, mb);
                    t.set_sample(f, ma, sb);
                    t.set_sample(f, mb, sa);
                }
            }
            OpReport::Samples {
                changed: if ma == mb { 0 } else { r.len() },
            }
        }
    })
}

fn swap_pair(t: &MarkerTrajectories, a: &str, b: &str) -> Result<(usize, usize), SolverError> {
    let idx = |l: &str| {
        t.marker_index(l)
            .ok_or_else(|| SolverError::UnknownMarker(l.to_string()))
    };
    Ok((idx(a)?, idx(b)?))
}

/// `true` when both takes have the same shape, labels, metadata and bit-identical samples
/// (positions and residuals compared as IEEE bits, so `-0.0 ≠ 0.0` and equal NaNs match).
pub fn same_bits(a: &MarkerTrajectories, b: &MarkerTrajectories) -> bool {
    a.labels == b.labels
        && a.frame_count() == b.frame_count()
        && a.rate == b.rate
        && a.unit == b.unit
        && a.up_axis == b.up_axis
        && a.first_frame == b.first_frame
        && a.valid() == b.valid()
        && a.camera_masks() == b.camera_masks()
        && a.residuals()
            .iter()
            .zip(b.residuals())
            .all(|(x, y)| x.to_bits() == y.to_bits())
        && a.positions()
            .iter()
            .zip(b.positions())
            .all(|(x, y)| x.map(f32::to_bits) == y.map(f32::to_bits))
}

// ---------------------------------------------------------------------------------------------
// Incremental evaluation
// ---------------------------------------------------------------------------------------------

/// All frames of one marker.
#[derive(Debug, Clone)]
struct Column {
    positions: Vec<[f32; 3]>,
    residuals: Vec<f32>,
    masks: Vec<u8>,
    valid: Vec<bool>,
}

impl Column {
    fn extract(t: &MarkerTrajectories, m: usize) -> Self {
        let n = t.marker_count();
        let nf = t.frame_count();
        let (p, r, c, v) = (t.positions(), t.residuals(), t.camera_masks(), t.valid());
        Self {
            positions: (0..nf).map(|f| p[f * n + m]).collect(),
            residuals: (0..nf).map(|f| r[f * n + m]).collect(),
            masks: (0..nf).map(|f| c[f * n + m]).collect(),
            valid: (0..nf).map(|f| v[f * n + m]).collect(),
        }
    }

    /// The column of a one-marker take.
    fn from_single(t: &MarkerTrajectories) -> Self {
        Self {
            positions: t.positions().to_vec(),
            residuals: t.residuals().to_vec(),
            masks: t.camera_masks().to_vec(),
            valid: t.valid().to_vec(),
        }
    }

    fn write(&self, t: &mut MarkerTrajectories, m: usize) {
        let n = t.marker_count();
        for (f, x) in self.positions.iter().enumerate() {
            t.positions_mut()[f * n + m] = *x;
        }
        for (f, x) in self.residuals.iter().enumerate() {
            t.residuals_mut()[f * n + m] = *x;
        }
        for (f, x) in self.masks.iter().enumerate() {
            t.camera_masks_mut()[f * n + m] = *x;
        }
        for (f, x) in self.valid.iter().enumerate() {
            t.valid_mut()[f * n + m] = *x;
        }
    }

    /// Exchanges this column with marker `m` of `t`.
    fn swap(&mut self, t: &mut MarkerTrajectories, m: usize) {
        let n = t.marker_count();
        for (f, x) in self.positions.iter_mut().enumerate() {
            std::mem::swap(x, &mut t.positions_mut()[f * n + m]);
        }
        for (f, x) in self.residuals.iter_mut().enumerate() {
            std::mem::swap(x, &mut t.residuals_mut()[f * n + m]);
        }
        for (f, x) in self.masks.iter_mut().enumerate() {
            std::mem::swap(x, &mut t.camera_masks_mut()[f * n + m]);
        }
        for (f, x) in self.valid.iter_mut().enumerate() {
            std::mem::swap(x, &mut t.valid_mut()[f * n + m]);
        }
    }

    fn same_bits(&self, o: &Self) -> bool {
        self.valid == o.valid
            && self.masks == o.masks
            && self
                .residuals
                .iter()
                .zip(&o.residuals)
                .all(|(a, b)| a.to_bits() == b.to_bits())
            && self
                .positions
                .iter()
                .zip(&o.positions)
                .all(|(a, b)| a.map(f32::to_bits) == b.map(f32::to_bits))
    }

    /// A one-marker take holding this column, with `t`'s metadata and marker `m`'s label.
    fn to_single(
        &self,
        t: &MarkerTrajectories,
        m: usize,
    ) -> Result<MarkerTrajectories, SolverError> {
        let mut one = MarkerTrajectories::from_parts(
            vec![t.labels[m].clone()],
            t.frame_count(),
            t.rate,
            t.unit,
            t.up_axis,
            self.positions.clone(),
            self.residuals.clone(),
            self.masks.clone(),
            self.valid.clone(),
        )?;
        one.first_frame = t.first_frame;
        Ok(one)
    }
}

/// The cached state of one entry.
#[derive(Debug, Clone)]
struct EntryCache {
    entry: StackEntry,
    /// Markers this entry changed → their column before the entry ran (between the two passes
    /// of [`StackEvaluator::set_stack`]: after it ran).
    saved: BTreeMap<usize, Column>,
    /// Per-marker operations: the report of the parameter/range check (no markers), and each
    /// selected marker's report.
    base: Option<OpReport>,
    per_marker: BTreeMap<usize, OpReport>,
    outcome: EntryOutcome,
}

impl EntryCache {
    fn new(entry: StackEntry) -> Self {
        Self {
            entry,
            saved: BTreeMap::new(),
            base: None,
            per_marker: BTreeMap::new(),
            outcome: EntryOutcome::Disabled,
        }
    }

    fn assemble(&mut self) {
        if let Some(base) = &self.base {
            let mut r = base.clone();
            for rep in self.per_marker.values() {
                r.merge(rep);
            }
            self.outcome = EntryOutcome::Done(r);
        }
    }
}

/// What one [`StackEvaluator::set_stack`] recomputed (for tests and the app's status line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EditSummary {
    /// Index of the first entry that was recomputed or replayed (the stack length when nothing
    /// changed).
    pub first_changed: usize,
    /// Entries run again (whole or for some markers).
    pub entries_run: usize,
    /// Marker columns run through a per-marker operation.
    pub marker_runs: usize,
    /// Whole-take runs of cross-marker operations (swaps, rigid/pattern fill, swap labels).
    pub full_runs: usize,
}

/// Incremental evaluation of an [`OpStack`] on one take (the app owns one per open take).
///
/// Invariant: [`Self::result`] is bit-identical to [`OpStack::apply`] of [`Self::stack`] (with
/// failed entries disabled) on [`Self::input`].
#[derive(Debug, Clone)]
pub struct StackEvaluator {
    input: MarkerTrajectories,
    stack: OpStack,
    result: MarkerTrajectories,
    caches: Vec<EntryCache>,
}

impl StackEvaluator {
    /// Evaluates `stack` on `input` (a full evaluation; later edits are incremental).
    pub fn new(input: MarkerTrajectories, stack: OpStack) -> Self {
        let mut ev = Self {
            result: input.clone(),
            input,
            stack: OpStack {
                version: stack.version,
                ..OpStack::default()
            },
            caches: Vec::new(),
        };
        ev.set_stack(stack);
        ev
    }

    /// The take the stack is applied to (never modified).
    pub fn input(&self) -> &MarkerTrajectories {
        &self.input
    }

    /// The current stack.
    pub fn stack(&self) -> &OpStack {
        &self.stack
    }

    /// The input with the stack applied.
    pub fn result(&self) -> &MarkerTrajectories {
        &self.result
    }

    /// What each entry did, in stack order.
    pub fn reports(&self) -> StackReport {
        StackReport {
            entries: self.caches.iter().map(|c| c.outcome.clone()).collect(),
        }
    }

    /// The outcome of entry `index`.
    pub fn outcome(&self, index: usize) -> Option<&EntryOutcome> {
        self.caches.get(index).map(|c| &c.outcome)
    }

    /// Replaces the stack and brings [`Self::result`] up to date, recomputing only what the
    /// edit affects. Any edit works (toggle, parameter/range/selection change, reorder, insert,
    /// remove, several at once): the old and new stacks are aligned by their longest common
    /// prefix and suffix (entries equal up to the note); entries in between are re-run, and
    /// entries of the common suffix are replayed from their cache unless their input markers
    /// changed, in which case per-marker operations re-run only those markers.
    pub fn set_stack(&mut self, stack: OpStack) -> EditSummary {
        let old = std::mem::take(&mut self.caches);
        let (n, m) = (old.len(), stack.entries.len());
        let same = |a: &StackEntry, b: &StackEntry| a.same_computation(b);
        let prefix = old
            .iter()
            .zip(&stack.entries)
            .take_while(|(o, e)| same(&o.entry, e))
            .count();
        let suffix = old[prefix..]
            .iter()
            .rev()
            .zip(stack.entries[prefix..].iter().rev())
            .take_while(|(o, e)| same(&o.entry, e))
            .count();
        let mut summary = EditSummary {
            first_changed: prefix.min(m),
            ..EditSummary::default()
        };
        let mut old = old.into_iter();
        let mut caches: Vec<EntryCache> = Vec::with_capacity(m);
        for (c, e) in old.by_ref().take(prefix).zip(&stack.entries) {
            caches.push(EntryCache {
                entry: e.clone(),
                ..c
            });
        }
        let mut rest: Vec<EntryCache> = old.collect();
        if prefix == n && prefix == m {
            self.caches = caches;
            self.stack = stack;
            return summary;
        }
        // Undo pass: back to the state before entry `prefix`; each cache keeps its after-state.
        let w = &mut self.result;
        for c in rest.iter_mut().rev() {
            for (&marker, col) in c.saved.iter_mut() {
                col.swap(w, marker);
            }
        }
        let mut dirty = vec![false; w.marker_count()];
        let unmatched = rest.len() - suffix;
        let matched: Vec<EntryCache> = rest.split_off(unmatched);
        for c in &rest {
            for &marker in c.saved.keys() {
                dirty[marker] = true;
            }
        }
        let fresh = m - prefix - suffix;
        let new_entries = &stack.entries[prefix..];
        let olds = std::iter::repeat_with(|| None)
            .take(fresh)
            .chain(matched.into_iter().map(Some));
        for (e, old) in new_entries.iter().zip(olds) {
            let c = eval_entry(w, e, old, &mut dirty, &mut summary);
            caches.push(c);
        }
        self.caches = caches;
        self.stack = stack;
        summary
    }
}

/// Brings one entry up to date. `w` holds the state before the entry; `old` is the matched
/// previous cache (its `saved` columns holding after-states), `None` for a new entry.
fn eval_entry(
    w: &mut MarkerTrajectories,
    e: &StackEntry,
    old: Option<EntryCache>,
    dirty: &mut [bool],
    summary: &mut EditSummary,
) -> EntryCache {
    let mut c = EntryCache::new(e.clone());
    if !e.enabled {
        return c;
    }
    let old = old.filter(|o| !matches!(o.outcome, EntryOutcome::Failed(_)));
    // Markers the old entry changed: its effect there is gone if this one fails.
    let old_keys: Vec<usize> = old
        .as_ref()
        .map(|o| o.saved.keys().copied().collect())
        .unwrap_or_default();
    let result = if e.op.is_per_marker() {
        eval_per_marker(w, &mut c, old, dirty, summary)
    } else {
        eval_cross(w, &mut c, old, dirty, summary)
    };
    match result {
        Ok(()) => c.assemble(),
        Err(err) => {
            // The entry passes the take through unchanged.
            for (&marker, col) in &c.saved {
                col.write(w, marker);
                dirty[marker] = true;
            }
            for marker in old_keys {
                dirty[marker] = true;
            }
            c.saved.clear();
            c.base = None;
            c.per_marker.clear();
            c.outcome = EntryOutcome::Failed(err.to_string());
        }
    }
    c
}

fn eval_per_marker(
    w: &mut MarkerTrajectories,
    c: &mut EntryCache,
    old: Option<EntryCache>,
    dirty: &mut [bool],
    summary: &mut EditSummary,
) -> Result<(), SolverError> {
    let e = c.entry.clone();
    let mut old = old;
    // The parameter, range and selection checks, in the order the whole-take call makes them.
    let mut col_op = e.op.clone();
    let mut empty =
        MarkerTrajectories::new(Vec::new(), w.frame_count(), w.rate, w.unit, w.up_axis)?;
    empty.first_frame = w.first_frame;
    if let Operation::FillGaps(p) = &mut col_op {
        p.donors.clear();
    }
    let base = run_op(
        &col_op,
        &mut empty,
        e.range,
        &MarkerSelection::Indices(Vec::new()),
    )?;
    let sel = e.markers.resolve(w)?;
    if let Operation::FillGaps(p) = &e.op {
        for l in &p.donors {
            w.marker_index(l)
                .ok_or_else(|| SolverError::UnknownMarker(l.clone()))?;
        }
    }
    c.base = Some(base);
    summary.entries_run += 1;
    let fresh = old.is_none();
    for &marker in &sel {
        let replay = !fresh && !dirty[marker];
        if replay {
            if let Some(o) = old.as_mut() {
                if let Some(mut col) = o.saved.remove(&marker) {
                    col.swap(w, marker);
                    c.saved.insert(marker, col);
                }
                if let Some(r) = o.per_marker.remove(&marker) {
                    c.per_marker.insert(marker, r);
                }
            }
            continue;
        }
        summary.marker_runs += 1;
        let before = Column::extract(w, marker);
        let mut one = before.to_single(w, marker)?;
        let run = run_op(
            &col_op,
            &mut one,
            e.range,
            &MarkerSelection::Indices(vec![0]),
        );
        let mut rep = run?;
        rep.remap(marker);
        let after = Column::from_single(&one);
        if !after.same_bits(&before) {
            after.write(w, marker);
            c.saved.insert(marker, before);
            dirty[marker] = true;
        }
        c.per_marker.insert(marker, rep);
    }
    Ok(())
}

fn eval_cross(
    w: &mut MarkerTrajectories,
    c: &mut EntryCache,
    old: Option<EntryCache>,
    dirty: &mut [bool],
    summary: &mut EditSummary,
) -> Result<(), SolverError> {
    let e = c.entry.clone();
    let (reads, writes): (Option<Vec<usize>>, Vec<usize>) = match &e.op {
        Operation::SwapLabels { a, b } => {
            let (ma, mb) = swap_pair(w, a, b)?;
            (Some(vec![ma, mb]), vec![ma, mb])
        }
        Operation::FixSwaps(_) => {
            let sel = e.markers.resolve(w)?;
            (Some(sel.clone()), sel)
        }
        // Rigid/pattern fill: donors may be any marker.
        _ => (None, e.markers.resolve(w)?),
    };
    if let Some(mut o) = old {
        let clean = match &reads {
            Some(r) => r.iter().all(|&k| !dirty[k]),
            None => !dirty.iter().any(|&d| d),
        };
        if clean {
            for (&marker, col) in o.saved.iter_mut() {
                col.swap(w, marker);
            }
            c.saved = o.saved;
            c.base = o.base;
            return Ok(());
        }
        for &marker in o.saved.keys() {
            dirty[marker] = true;
        }
    }
    summary.entries_run += 1;
    summary.full_runs += 1;
    let before: Vec<(usize, Column)> = writes.iter().map(|&k| (k, Column::extract(w, k))).collect();
    match run_op(&e.op, w, e.range, &e.markers) {
        Ok(rep) => {
            for (marker, col) in before {
                if !Column::extract(w, marker).same_bits(&col) {
                    dirty[marker] = true;
                    c.saved.insert(marker, col);
                }
            }
            c.base = Some(rep);
            Ok(())
        }
        Err(err) => {
            for (marker, col) in &before {
                col.write(w, *marker);
            }
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaps::test_util::{cut, make};

    const EXAMPLE: &str = r#"#![enable(implicit_some, unwrap_variant_newtypes)]
(
    version: 1,
    entries: [
        (op: FixSwaps(min_jump_mm: 15.0, max_cost_ratio: 0.25)),
        (op: Despike(threshold_mads: 8.0), markers: Labels(["LFHD", "RFHD"])),
        (op: FillGaps(method: spline, max_gap: 30), range: (start: 0, end: 500)),
        (op: DeleteSamples, range: (start: 900, end: 960), markers: Labels(["LTOE"]),
         note: "bad reflection"),
        (op: Lowpass(cutoff_hz: 6.0, order: 4), enabled: false),
    ],
)
"#;

    #[test]
    fn ron_example_parses_and_round_trips() {
        let s = OpStack::from_ron(EXAMPLE, Path::new("x.ops.ron")).unwrap();
        assert_eq!(s.entries.len(), 5);
        assert_eq!(
            s.entries[1].op,
            Operation::Despike(DespikeParams {
                threshold_mads: 8.0,
                ..DespikeParams::default()
            })
        );
        assert_eq!(s.entries[2].range, Some(FrameRange::new(0, 500)));
        assert!(!s.entries[4].enabled && s.entries[3].enabled);
        assert_eq!(s.entries[3].note, "bad reflection");
        let text = s.to_ron();
        assert!(text.starts_with("#![enable("), "{text}");
        assert_eq!(OpStack::from_ron(&text, Path::new("y")).unwrap(), s);
        // Without the header (the extensions are on by default), and all-default parameters.
        let plain = "(entries: [(op: FillGaps(method: linear), range: (start: 1, end: 2)), (op: Despike())])";
        let p = OpStack::from_ron(plain, Path::new("p")).unwrap();
        assert_eq!(p.version, OPSTACK_VERSION);
        assert_eq!(p.entries[0].op, Operation::FillGaps(FillParams::default()));
        assert_eq!(p.entries[0].range, Some(FrameRange::new(1, 2)));
        assert_eq!(
            p.entries[1].op,
            Operation::Despike(DespikeParams::default())
        );
        let swap = OpStack::from_ron(
            "(entries: [(op: SwapLabels(a: \"A\", b: \"B\"))])",
            Path::new("s"),
        )
        .unwrap();
        assert_eq!(
            swap.entries[0].op,
            Operation::SwapLabels {
                a: "A".into(),
                b: "B".into()
            }
        );
    }

    #[test]
    fn ron_errors_name_file_line_and_column() {
        let bad = "(\n  entries: [\n    (op: Blur(radius: 3)),\n  ],\n)\n";
        let e = OpStack::from_ron(bad, Path::new("take.ops.ron")).unwrap_err();
        let SolverError::BadOpStack {
            ref path,
            line,
            col,
            ..
        } = e
        else {
            panic!("{e:?}")
        };
        assert_eq!((path.as_path(), line), (Path::new("take.ops.ron"), 3));
        assert!(col > 1);
        let msg = e.to_string();
        assert!(msg.starts_with("operation stack take.ops.ron:3:"), "{msg}");
        assert!(msg.contains("Blur"), "{msg}");
        let newer = OpStack::from_ron("(version: 9)", Path::new("n")).unwrap_err();
        assert!(matches!(
            newer,
            SolverError::UnsupportedOpStackVersion { version: 9, .. }
        ));
    }

    #[test]
    fn sidecar_and_atomic_save() {
        assert_eq!(
            OpStack::sidecar_path(Path::new("takes/39_01.c3d")),
            PathBuf::from("takes/39_01.ops.ron")
        );
        assert_eq!(
            OpStack::sidecar_path(Path::new("walk")),
            PathBuf::from("walk.ops.ron")
        );
        let dir = std::env::temp_dir().join(format!("mocap-stack-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = OpStack::sidecar_path(&dir.join("a.c3d"));
        let s = OpStack::from_ron(EXAMPLE, Path::new("x")).unwrap();
        s.save(&path).unwrap();
        assert_eq!(OpStack::load(&path).unwrap(), s);
        // Saving into a missing folder fails and leaves the saved file alone.
        assert!(s.save(&dir.join("missing/b.ops.ron")).is_err());
        assert_eq!(OpStack::load(&path).unwrap(), s);
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(OpStack::load(&path), Err(SolverError::Io { .. })));
    }

    #[test]
    fn stack_from_clean_flags_equals_mocap_clean() {
        let t = crate::synth::cleanup_take(6, 800, 11).unwrap();
        let params = CleanParams {
            fix_swaps: Some(SwapParams::default()),
            despike: Some(DespikeParams::default()),
            fill: Some(FillParams {
                method: FillMethod::Spline,
                ..FillParams::default()
            }),
            lowpass: Some(LowpassParams::default()),
        };
        let sel = MarkerSelection::Labels(vec!["M01".into(), "M03".into()]);
        let range = Some(FrameRange::new(50, 700));
        let stack = OpStack::from_clean_params(&params, range, &sel);
        assert_eq!(stack.entries.len(), 4);
        let (out, _) = stack.apply(&t).unwrap();
        let mut reference = t.clone();
        crate::clean::apply(&params, &mut reference, range, &sel).unwrap();
        assert!(same_bits(&out, &reference));
        assert!(!same_bits(&out, &t));
    }

    #[test]
    fn delete_trim_and_swap_labels() {
        let mut t = make(3, 20, |f, m| [f as f32, m as f32, 0.0]);
        cut(&mut t, 0, 2, 4);
        let entry = |op, r: Option<FrameRange>, m: &[&str]| StackEntry {
            range: r,
            markers: MarkerSelection::Labels(m.iter().map(|s| s.to_string()).collect()),
            ..StackEntry::new(op)
        };
        let mut stack = OpStack::new();
        stack.entries = vec![
            entry(
                Operation::DeleteSamples,
                Some(FrameRange::new(0, 5)),
                &["M0"],
            ),
            entry(Operation::Trim, Some(FrameRange::new(5, 15)), &["M1"]),
            entry(
                Operation::SwapLabels {
                    a: "M1".into(),
                    b: "M2".into(),
                },
                Some(FrameRange::new(10, 12)),
                &[],
            ),
        ];
        let (out, rep) = stack.apply(&t).unwrap();
        assert_eq!(
            rep.entries,
            vec![
                EntryOutcome::Done(OpReport::Samples { changed: 3 }),
                EntryOutcome::Done(OpReport::Samples { changed: 10 }),
                EntryOutcome::Done(OpReport::Samples { changed: 2 }),
            ]
        );
        assert!((0..5).all(|f| out.position(f, 0).is_none()));
        assert_eq!(out.position(5, 0), Some([5.0, 0.0, 0.0]));
        assert!(out.position(4, 1).is_none() && out.position(15, 1).is_none());
        assert_eq!(out.position(10, 1), Some([10.0, 2.0, 0.0]));
        assert_eq!(out.position(11, 2), Some([11.0, 1.0, 0.0]));
        assert_eq!(out.position(12, 2), Some([12.0, 2.0, 0.0]));
        let ev = StackEvaluator::new(t, stack);
        assert!(same_bits(ev.result(), &out));
    }
}
