//! Re-solve and motion operations of the clean-up stack: the one solve entry point that
//! `mocap solve`, `mocap clean --ops … --motion-out` and the studio's background re-solve share.
//!
//! * [`SolveSkeleton`] — the skeleton to solve onto, read from an ASF/BVH file exactly as
//!   `mocap solve --skeleton` reads it ([`SolveSkeleton::load`]), or the built-in template.
//! * [`solve`] — labelled (cleaned) markers → [`SolvedMotion`]: the BVH-ready skeleton
//!   (millimetres, rest rotations baked) and motion that `mocap solve` writes, with progress
//!   reported through a [`SolveProgress`] and cancellation checked per chunk of frames.
//! * [`SolveStage`] / [`MotionEntry`] — the stack's optional solve stage (after the marker
//!   operations) and the motion operations after it (today [`MotionOperation::FootLock`], with
//!   the user's contact edits); [`apply_motion_ops`] is their reference evaluation.

use crate::SolverError;
use crate::calibrate::CalibrationOptions;
use crate::foot::{Contact, ContactParams, FootLockParams, FootLockReport};
use crate::gaps::FrameRange;
use crate::markerset::MarkerSet;
use crate::model::{ModelOptions, bake_rest_rotations};
use crate::pipeline::{self, ActorSolve, Calibration, PipelineOptions};
use mocap_data::{LengthUnit, MarkerTrajectories, Motion, Skeleton};
use mocap_formats::{FileKind, asf, bvh};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The skeleton a solve works on, with how its model is built.
#[derive(Debug, Clone)]
pub struct SolveSkeleton {
    /// The skeleton (its own unit and up axis).
    pub skeleton: Skeleton,
    /// Model options (translation DOFs of BVH exports whose root is a static node).
    pub model: ModelOptions,
    /// Scale the skeleton to the subject during calibration (the built-in template only).
    pub fit_scale: bool,
    /// The Acclaim skeleton when read from an ASF (AMC references need it).
    pub asf: Option<Box<asf::AsfSkeleton>>,
}

impl SolveSkeleton {
    /// The built-in CMU-topology template, scaled to the subject during calibration.
    pub fn template() -> Result<Self, SolverError> {
        Ok(Self {
            skeleton: crate::model::template_skeleton()?,
            model: ModelOptions::default(),
            fit_scale: true,
            asf: None,
        })
    }

    /// A skeleton already in memory, solved as it is (no translation DOFs but the root's).
    pub fn from_skeleton(skeleton: Skeleton) -> Self {
        Self {
            skeleton,
            model: ModelOptions::default(),
            fit_scale: false,
            asf: None,
        }
    }

    /// Reads `path` (.asf in millimetres; .bvh in `bvh_unit`, its first frame's position
    /// channels baked except those that move, which stay solved) — what `mocap solve
    /// --skeleton` reads.
    pub fn load(path: &Path, bvh_unit: LengthUnit) -> Result<Self, SolverError> {
        match FileKind::from_path(path) {
            Some(FileKind::Asf) => {
                let a = asf::read_asf_path(path)?;
                Ok(Self {
                    skeleton: a.to_skeleton(LengthUnit::Millimetre),
                    model: ModelOptions::default(),
                    fit_scale: false,
                    asf: Some(Box::new(a)),
                })
            }
            Some(FileKind::Bvh) => {
                let f = bvh::read_path_with(
                    path,
                    &bvh::ReadOptions {
                        unit: bvh_unit,
                        ..bvh::ReadOptions::default()
                    },
                )?;
                // Joints whose position channels move in the file (e.g. Hips under a static
                // root) keep translation DOFs; the others are baked at their first-frame values.
                let tol = 1.0 / f.skeleton.unit.to_mm();
                let model = ModelOptions {
                    translation_joints: crate::model::moving_translation_joints(
                        &f.skeleton,
                        &f.motion,
                        tol,
                    ),
                };
                let sk = crate::model::bake_position_channels(&f.skeleton, &f.motion, 0);
                Ok(Self {
                    skeleton: sk,
                    model,
                    fit_scale: false,
                    asf: None,
                })
            }
            _ => Err(SolverError::BadSkeleton(format!(
                "{}: the skeleton must be an .asf or .bvh file",
                path.display()
            ))),
        }
    }
}

/// Where one actor's file goes when a take with several actors is written to `out`:
/// `STEM_ACTOR.EXT` beside it (the actor name with every character other than ASCII letters,
/// digits and `-` replaced by `_`). `mocap solve` and the studio's exports name files this way.
pub fn actor_output_path(out: &std::path::Path, actor: &str) -> std::path::PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "solve".into());
    let safe: String = actor
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let name = match out.extension() {
        Some(e) => format!("{stem}_{safe}.{}", e.to_string_lossy()),
        None => format!("{stem}_{safe}"),
    };
    out.with_file_name(name)
}

/// Progress and cancellation of a running solve, shared between the solving thread and the
/// thread that shows it. All counters are frames (summed over actors).
#[derive(Debug, Default)]
pub struct SolveProgress {
    /// Set to ask the solve to stop; it returns [`SolverError::Cancelled`] after the chunks
    /// already running.
    pub cancel: AtomicBool,
    /// Frames solved so far.
    pub frames_done: AtomicUsize,
    /// Frames to solve (0 until the solve starts).
    pub frames_total: AtomicUsize,
}

impl SolveProgress {
    /// Asks the solve to stop.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Fraction done, 0–1.
    pub fn fraction(&self) -> f32 {
        let total = self.frames_total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.frames_done.load(Ordering::Relaxed) as f32 / total as f32).min(1.0)
    }
}

fn default_markerset() -> String {
    "cmu41".into()
}

fn default_calibration_frames() -> usize {
    600
}

fn default_smooth() -> f64 {
    0.01
}

fn yes() -> bool {
    true
}

/// The stack's solve stage: the cleaned markers solved onto a skeleton. Its fields mirror
/// `mocap solve`'s options, with the same defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveStage {
    /// Disabled: the take keeps the motion it was opened with.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Marker set: a preset name (`cmu41`, `fullbody53`) or a marker-set JSON file.
    #[serde(default = "default_markerset")]
    pub markerset: String,
    /// Skeleton file (.asf or .bvh in centimetres). `None`: the take's skeleton (the studio:
    /// the take's .asf/.bvh source, else the skeleton in memory; `mocap clean`: `--skeleton`,
    /// else the built-in template).
    #[serde(default)]
    pub skeleton: Option<PathBuf>,
    /// Frames (from the first) used to calibrate the subject on the take.
    #[serde(default = "default_calibration_frames")]
    pub calibration_frames: usize,
    /// Temporal smoothness weight (dimensionless; 0 = off), as `mocap solve --smooth`.
    #[serde(default = "default_smooth")]
    pub smooth: f64,
    /// Actor to solve (label prefix before `:`); `None`: the first one found.
    #[serde(default)]
    pub actor: Option<String>,
    /// Free text shown in the app.
    #[serde(default)]
    pub note: String,
}

impl Default for SolveStage {
    fn default() -> Self {
        Self {
            enabled: true,
            markerset: default_markerset(),
            skeleton: None,
            calibration_frames: default_calibration_frames(),
            smooth: default_smooth(),
            actor: None,
            note: String::new(),
        }
    }
}

/// A solve's result: what `mocap solve` writes as BVH, and what the studio shows.
#[derive(Debug, Clone, PartialEq)]
pub struct SolvedMotion {
    /// Actor (label prefix; empty when labels have none).
    pub actor: String,
    /// The skeleton in millimetres with rest rotations baked (BVH-ready).
    pub skeleton: Skeleton,
    /// Channel values for `skeleton` (positions in millimetres, rotations in degrees).
    pub motion: Motion,
    /// Frames the solver converged on.
    pub frames_solved: usize,
    /// Frames that failed (kept as the solver left them).
    pub frames_failed: usize,
    /// RMS marker residual over solved frames, millimetres (NaN when none).
    pub marker_rms_mm: f64,
}

/// Converts position channel values of `motion` from the skeleton's unit to millimetres.
pub fn scale_positions(skeleton: &Skeleton, motion: &mut Motion, unit_mm: f64) {
    if unit_mm == 1.0 {
        return;
    }
    let offs = skeleton.channel_offsets();
    let cpf = motion.channels_per_frame;
    for f in 0..motion.frame_count() {
        for (j, joint) in skeleton.joints.iter().enumerate() {
            for (k, c) in joint.channels.iter().enumerate() {
                if !c.is_rotation() {
                    let v = &mut motion.values[f * cpf + offs[j] + k];
                    *v = (*v as f64 * unit_mm) as f32;
                }
            }
        }
    }
}

/// The BVH-ready skeleton and motion of one actor's solve: centimetres (BVH has no unit field;
/// MotionBuilder, Blender and our BVH reader take its numbers as centimetres), rest rotations
/// baked (what `mocap solve` writes).
pub fn bvh_motion(s: &ActorSolve) -> (Skeleton, Motion) {
    let model = s.solver.model();
    let sk_mm = model.skeleton_mm();
    let mut motion = s.result.motion.clone();
    scale_positions(&model.skeleton, &mut motion, model.unit_mm);
    let (sk, m) = bake_rest_rotations(&sk_mm, &motion);
    in_unit(&sk, &m, LengthUnit::Centimetre)
}

/// `skeleton` and `motion` in another length `unit`: offsets, end sites, translation limits and
/// position channels scaled (a clone when the unit is the same).
pub fn in_unit(skeleton: &Skeleton, motion: &Motion, unit: LengthUnit) -> (Skeleton, Motion) {
    if skeleton.unit == unit {
        return (skeleton.clone(), motion.clone());
    }
    let k = skeleton.unit.factor_to(unit);
    let mut s = crate::calibrate::scale_skeleton(skeleton, k);
    s.unit = unit;
    let mut m = motion.clone();
    scale_positions(skeleton, &mut m, k);
    (s, m)
}

/// The pipeline options of `mocap solve` for these settings (calibration on the take's first
/// `calibration_frames` frames; `fit_scale` for the template skeleton).
pub fn pipeline_options(
    skeleton: &SolveSkeleton,
    calibration_frames: usize,
    smooth: f64,
    actors: Vec<String>,
) -> PipelineOptions {
    PipelineOptions {
        model: skeleton.model.clone(),
        calibration: CalibrationOptions {
            frame_window: calibration_frames.max(1),
            fit_scale: skeleton.fit_scale,
            ..CalibrationOptions::default()
        },
        actors,
        solve: crate::ik::SolveOptions {
            temporal_weight: smooth.max(0.0),
            ..crate::ik::SolveOptions::default()
        },
    }
}

/// Solves `markers` onto `skeleton` as the stage says (one actor: the stage's, else the first
/// found), reporting progress and checking cancellation through `progress`.
pub fn solve(
    stage: &SolveStage,
    skeleton: &SolveSkeleton,
    markers: &MarkerTrajectories,
    progress: Option<&SolveProgress>,
) -> Result<SolvedMotion, SolverError> {
    let set = MarkerSet::load(&stage.markerset)?;
    let mut actors: Vec<String> = stage.actor.iter().cloned().collect();
    if actors.is_empty() {
        actors = pipeline::find_actors(markers, &set)
            .into_iter()
            .take(1)
            .collect();
    }
    let options = pipeline_options(skeleton, stage.calibration_frames, stage.smooth, actors);
    if let Some(p) = progress {
        p.frames_total
            .store(markers.frame_count(), Ordering::Relaxed);
        p.frames_done.store(0, Ordering::Relaxed);
    }
    let cb = |done: usize, total: usize| {
        if let Some(p) = progress {
            p.frames_total.store(total, Ordering::Relaxed);
            p.frames_done.fetch_max(done, Ordering::Relaxed);
        }
    };
    let solves = pipeline::solve_take_cancellable(
        &skeleton.skeleton,
        &set,
        markers,
        Calibration::FromTake,
        &options,
        Some(&cb),
        progress.map(|p| &p.cancel),
    )?;
    let Some(s) = solves.into_iter().next() else {
        return Err(SolverError::TooFewMarkers {
            actor: "the take".into(),
            found: 0,
            wanted: set.markers.len(),
            needed: 1,
            missing: "every actor".into(),
        });
    };
    let (skeleton, motion) = bvh_motion(&s);
    let solved = s.result.frame_ok.iter().filter(|o| **o).count();
    let (rms, _) = s.result.marker_rms_max_mm();
    Ok(SolvedMotion {
        actor: s.actor.clone(),
        skeleton,
        motion,
        frames_solved: solved,
        frames_failed: s.result.frame_ok.len() - solved,
        marker_rms_mm: rms,
    })
}

/// A user edit of one foot's contact ranges (frames: 0-based, end exclusive), applied in order
/// on the detected contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ContactEdit {
    /// A contact of `foot` over `[start, end)`; merged with contacts it overlaps or touches.
    Add {
        /// Foot joint name.
        foot: String,
        /// First frame.
        start: usize,
        /// One past the last frame.
        end: usize,
    },
    /// Removes the contact of `foot` that covers `frame`.
    Remove {
        /// Foot joint name.
        foot: String,
        /// A frame inside the contact.
        frame: usize,
    },
    /// Moves the ends of the contact of `foot` that covers `frame` to `[start, end)`.
    Set {
        /// Foot joint name.
        foot: String,
        /// A frame inside the contact.
        frame: usize,
        /// New first frame.
        start: usize,
        /// New end (exclusive).
        end: usize,
    },
}

impl ContactEdit {
    /// The foot joint the edit concerns.
    pub fn foot(&self) -> &str {
        match self {
            Self::Add { foot, .. } | Self::Remove { foot, .. } | Self::Set { foot, .. } => foot,
        }
    }
}

/// Foot lock on the solved motion, with the user's contact edits.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FootLockStage {
    /// Detection and lock parameters.
    pub params: FootLockParams,
    /// Edits of the detected contacts, applied in order.
    pub edits: Vec<ContactEdit>,
}

/// One operation on the solved motion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MotionOperation {
    /// Pins the feet during their contacts ([`crate::foot::foot_lock_with_contacts`]).
    FootLock(FootLockStage),
}

impl MotionOperation {
    /// The variant's name as written in the RON file.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FootLock(_) => "FootLock",
        }
    }
}

/// One entry of the motion operations after the solve stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MotionEntry {
    /// The operation and its parameters.
    pub op: MotionOperation,
    /// Disabled entries are skipped.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Frames the operation changes (`None`: the whole take), 0-based, end exclusive.
    #[serde(default)]
    pub range: Option<FrameRange>,
    /// Free text shown in the app.
    #[serde(default)]
    pub note: String,
}

impl MotionEntry {
    /// An enabled entry over the whole take.
    pub fn new(op: MotionOperation) -> Self {
        Self {
            op,
            enabled: true,
            range: None,
            note: String::new(),
        }
    }
}

/// What a motion entry did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MotionReport {
    /// The entry is disabled.
    Disabled,
    /// [`MotionOperation::FootLock`]: the contacts pinned (after edits) and the lock report.
    FootLock(FootLockReport),
}

/// The contacts of the pinned feet detected on `motion` within `range`, with `edits` applied
/// (sorted by joint, then start).
pub fn foot_contacts(
    stage: &FootLockStage,
    skeleton: &Skeleton,
    motion: &Motion,
    range: Option<FrameRange>,
) -> Result<Vec<Contact>, SolverError> {
    let feet = crate::foot::foot_joints(&stage.params, skeleton)?;
    let params = ContactParams {
        joints: feet
            .iter()
            .map(|&j| skeleton.joints[j].name.clone())
            .collect(),
        ..stage.params.contact.clone()
    };
    let mut contacts = crate::foot::detect_contacts(&params, skeleton, motion, range)?;
    apply_contact_edits(&mut contacts, skeleton, &stage.edits, motion.frame_count())?;
    Ok(contacts)
}

/// Applies `edits` in order to `contacts` (frames clamped to `frame_count`); errors on an edit
/// naming a joint the skeleton lacks.
pub fn apply_contact_edits(
    contacts: &mut Vec<Contact>,
    skeleton: &Skeleton,
    edits: &[ContactEdit],
    frame_count: usize,
) -> Result<(), SolverError> {
    for e in edits {
        let joint = skeleton.joint_index(e.foot()).ok_or_else(|| {
            SolverError::Joint(format!(
                "contact edit names {:?}, which the skeleton lacks",
                e.foot()
            ))
        })?;
        let covering = |cs: &Vec<Contact>, frame: usize| {
            cs.iter()
                .position(|c| c.joint == joint && c.start <= frame && frame < c.end)
        };
        match e {
            ContactEdit::Add { start, end, .. } => {
                add_contact(contacts, skeleton, joint, *start, *end, frame_count);
            }
            ContactEdit::Remove { frame, .. } => {
                if let Some(i) = covering(contacts, *frame) {
                    contacts.remove(i);
                }
            }
            ContactEdit::Set {
                frame, start, end, ..
            } => {
                if let Some(i) = covering(contacts, *frame) {
                    contacts.remove(i);
                    add_contact(contacts, skeleton, joint, *start, *end, frame_count);
                }
            }
        }
    }
    contacts.sort_by_key(|c| (c.joint, c.start));
    Ok(())
}

fn add_contact(
    contacts: &mut Vec<Contact>,
    skeleton: &Skeleton,
    joint: usize,
    start: usize,
    end: usize,
    frame_count: usize,
) {
    let (mut s, mut e) = (start.min(frame_count), end.min(frame_count));
    if e <= s {
        return;
    }
    contacts.retain(|c| {
        let touches = c.joint == joint && c.start <= e && s <= c.end;
        if touches {
            s = s.min(c.start);
            e = e.max(c.end);
        }
        !touches
    });
    contacts.push(Contact {
        joint,
        name: skeleton.joints[joint].name.clone(),
        start: s,
        end: e,
    });
    contacts.sort_by_key(|c| (c.joint, c.start));
}

/// Applies the enabled motion entries in order to a copy of `motion` (the reference
/// evaluation; deterministic). Stops at the first entry that fails, with
/// [`SolverError::StackEntry`] (`index` into `entries`).
pub fn apply_motion_ops(
    entries: &[MotionEntry],
    skeleton: &Skeleton,
    motion: &Motion,
) -> Result<(Motion, Vec<MotionReport>), SolverError> {
    let mut m = motion.clone();
    let mut reports = Vec::with_capacity(entries.len());
    for (index, e) in entries.iter().enumerate() {
        if !e.enabled {
            reports.push(MotionReport::Disabled);
            continue;
        }
        let wrap = |source: SolverError| SolverError::StackEntry {
            index,
            op: e.op.name(),
            source: Box::new(source),
        };
        match &e.op {
            MotionOperation::FootLock(stage) => {
                let contacts = foot_contacts(stage, skeleton, &m, e.range).map_err(wrap)?;
                let r = crate::foot::foot_lock_with_contacts(
                    &stage.params,
                    skeleton,
                    &mut m,
                    e.range,
                    Some(&contacts),
                )
                .map_err(wrap)?;
                reports.push(MotionReport::FootLock(r));
            }
        }
    }
    Ok((m, reports))
}

/// Everything a stack produces from a take: the cleaned markers and, with an enabled solve
/// stage, the solved motion and the motion after the motion operations.
#[derive(Debug, Clone)]
pub struct StackOutput {
    /// The markers after the marker operations.
    pub markers: MarkerTrajectories,
    /// What each marker operation did.
    pub report: crate::stack::StackReport,
    /// The solve stage's result (absent without an enabled stage).
    pub solved: Option<SolvedMotion>,
    /// The solved motion after the motion operations, and what each did.
    pub motion: Option<(Motion, Vec<MotionReport>)>,
}

/// The reference evaluation of a whole stack (`mocap clean --ops … --motion-out`): the marker
/// operations ([`crate::stack::OpStack::apply`]), then, with an enabled solve stage, [`solve`]
/// onto `skeleton` (`None`: the stage's skeleton file, else the built-in template) and
/// [`apply_motion_ops`].
pub fn apply_stack(
    stack: &crate::stack::OpStack,
    raw: &MarkerTrajectories,
    skeleton: Option<&SolveSkeleton>,
    progress: Option<&SolveProgress>,
) -> Result<StackOutput, SolverError> {
    let (markers, report) = stack.apply(raw)?;
    let Some(stage) = stack.solve.as_ref().filter(|s| s.enabled) else {
        return Ok(StackOutput {
            markers,
            report,
            solved: None,
            motion: None,
        });
    };
    let loaded;
    let sk = match (skeleton, &stage.skeleton) {
        (Some(s), _) => s,
        (None, Some(p)) => {
            loaded = SolveSkeleton::load(p, LengthUnit::Centimetre)?;
            &loaded
        }
        (None, None) => {
            loaded = SolveSkeleton::template()?;
            &loaded
        }
    };
    let solved = solve(stage, sk, &markers, progress)?;
    let motion = apply_motion_ops(&stack.motion, &solved.skeleton, &solved.motion)?;
    Ok(StackOutput {
        markers,
        report,
        solved: Some(solved),
        motion: Some(motion),
    })
}

/// A generated take for benches and tests: the built-in template skeleton (solved as it is)
/// moving every channel by slow sines (rotations ±20°, root ±200 mm), and the `cmu41` markers
/// placed on it (millimetres, every sample valid) at 120 Hz, `frames` frames long.
pub fn synthetic_take(frames: usize) -> Result<(SolveSkeleton, MarkerTrajectories), SolverError> {
    let sk = SolveSkeleton::from_skeleton(crate::model::template_skeleton()?);
    let model = crate::model::SolverModel::new(&sk.skeleton, &sk.model)?;
    let set = MarkerSet::load(&default_markerset())?;
    let cpf = sk.skeleton.channel_count();
    let mm = sk.skeleton.unit.to_mm();
    let offs = sk.skeleton.channel_offsets();
    let mut values = vec![0.0f32; frames * cpf];
    for (j, joint) in sk.skeleton.joints.iter().enumerate() {
        for (k, c) in joint.channels.iter().enumerate() {
            let ch = offs[j] + k;
            let (amp, w) = if c.is_rotation() {
                (20.0, 0.8 + 0.05 * ch as f64)
            } else {
                (200.0 / mm, 0.3 + 0.1 * k as f64)
            };
            for f in 0..frames {
                let t = f as f64 / 120.0;
                values[f * cpf + ch] = (amp * (w * t + ch as f64).sin()) as f32;
            }
        }
    }
    let motion = Motion {
        rate: mocap_data::FrameRate::FPS_120,
        frame_time_s: 1.0 / 120.0,
        channels_per_frame: cpf,
        values,
    };
    let (t, _, _) = crate::synth::synthesize(&model, &set, &motion, 0.5)?;
    Ok((sk, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_feet() -> Skeleton {
        crate::model::template_skeleton().expect("template")
    }

    #[test]
    fn contact_edits_add_merge_remove_and_move() {
        let sk = two_feet();
        let foot = sk.joints[1].name.clone();
        let mut cs = Vec::new();
        let edits = vec![
            ContactEdit::Add {
                foot: foot.clone(),
                start: 10,
                end: 20,
            },
            ContactEdit::Add {
                foot: foot.clone(),
                start: 40,
                end: 50,
            },
            // Overlaps the first: merged.
            ContactEdit::Add {
                foot: foot.clone(),
                start: 15,
                end: 30,
            },
            ContactEdit::Set {
                foot: foot.clone(),
                frame: 45,
                start: 42,
                end: 60,
            },
            ContactEdit::Remove {
                foot: foot.clone(),
                frame: 12,
            },
            // Nothing under frame 5: no change.
            ContactEdit::Remove {
                foot: foot.clone(),
                frame: 5,
            },
        ];
        apply_contact_edits(&mut cs, &sk, &edits, 55).expect("edits");
        assert_eq!(cs.len(), 1);
        assert_eq!((cs[0].start, cs[0].end, cs[0].joint), (42, 55, 1));
        let bad = [ContactEdit::Remove {
            foot: "NoSuchJoint".into(),
            frame: 0,
        }];
        assert!(apply_contact_edits(&mut cs, &sk, &bad, 55).is_err());
    }

    #[test]
    fn stack_with_stages_round_trips_and_old_files_load() {
        let text = r#"(
            entries: [(op: Despike())],
            solve: (markerset: "cmu41", smooth: 0.02),
            motion: [(op: FootLock(params: (blend_frames: 6), edits: [Add(foot: "lfoot", start: 3, end: 9)]))],
        )"#;
        let s = crate::stack::OpStack::from_ron(text, Path::new("t")).expect("parse");
        let stage = s.solve.clone().expect("solve stage");
        assert_eq!(stage.smooth, 0.02);
        assert_eq!(stage.calibration_frames, 600);
        assert!(stage.enabled);
        let MotionOperation::FootLock(f) = &s.motion[0].op;
        assert_eq!(f.params.blend_frames, 6);
        assert_eq!(f.edits.len(), 1);
        let back = crate::stack::OpStack::from_ron(&s.to_ron(), Path::new("u")).expect("again");
        assert_eq!(back, s);
        let old = crate::stack::OpStack::from_ron("(entries: [])", Path::new("o")).expect("old");
        assert!(old.solve.is_none() && old.motion.is_empty());
        assert!(!old.to_ron().contains("solve"), "{}", old.to_ron());
    }

    #[test]
    fn actor_files_sit_beside_the_output() {
        let p = actor_output_path(Path::new("out/take.bvh"), "Actor 1:x");
        assert_eq!(p, Path::new("out/take_Actor_1_x.bvh"));
        let p = actor_output_path(Path::new("scene.glb"), "Steve-Walk");
        assert_eq!(p, Path::new("scene_Steve-Walk.glb"));
        assert_eq!(
            actor_output_path(Path::new("noext"), "a"),
            Path::new("noext_a")
        );
    }

    #[test]
    fn solve_reports_progress_and_cancels() {
        let (sk, t) = synthetic_take(240).expect("synthetic take");
        let p = SolveProgress::default();
        let s = solve(&SolveStage::default(), &sk, &t, Some(&p)).expect("solve");
        assert_eq!(s.frames_solved + s.frames_failed, 240);
        assert!(s.frames_solved > 200, "{} solved", s.frames_solved);
        assert!(s.marker_rms_mm < 5.0, "rms {}", s.marker_rms_mm);
        assert_eq!(p.fraction(), 1.0);
        assert_eq!(s.motion.frame_count(), 240);
        // The same as the pipeline + the BVH conversion `mocap solve` writes.
        let set = MarkerSet::load("cmu41").expect("set");
        let opts = pipeline_options(&sk, 600, 0.01, vec![s.actor.clone()]);
        let all = pipeline::solve_take(&sk.skeleton, &set, &t, Calibration::FromTake, &opts, None)
            .expect("pipeline");
        let (bs, bm) = bvh_motion(&all[0]);
        assert_eq!((bs, bm), (s.skeleton.clone(), s.motion.clone()));
        let cancelled = SolveProgress::default();
        cancelled.cancel();
        let r = solve(&SolveStage::default(), &sk, &t, Some(&cancelled));
        assert!(matches!(r, Err(SolverError::Cancelled)), "{r:?}");
    }
}
