//! Subject calibration: fit each marker's offset in its segment's frame (and, without a
//! measured skeleton, a uniform skeleton scale, then one length factor per limb chain and for the
//! spine) from a static or range-of-motion trial, or from the first frames of a take.
//!
//! Alternates (1) a pose solve of the selected frames with the current offsets and (2) a
//! per-marker least-squares offset update `o = Σ wᶠ Rᶠᵀ(pᶠ − tᶠ) / Σ wᶠ` (robust weights,
//! lightly regularised towards the marker set's initial guess), until offsets move less than
//! 0.05 mm. The result saves to and loads from JSON (`--subject S.json`).

use crate::error::SolverError;
use crate::ik::{IkSolver, RobustLoss, SolveOptions};
use crate::markerset::{self, MarkerSet, PlacedMarker};
use crate::model::{ModelOptions, SolverModel};
use mocap_data::{DVec3, MarkerTrajectories, Skeleton};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Format tag written into subject files.
pub const SUBJECT_FORMAT: &str = "mocap-studio-subject/1";

/// Options of [`calibrate`].
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationOptions {
    /// Use frames `first_frame..first_frame + frame_window` of the trial (0-based sample
    /// indices; clipped to the take).
    pub first_frame: usize,
    /// Length of the frame window (frames).
    pub frame_window: usize,
    /// At most this many frames (evenly spaced in the window) enter the fit.
    pub max_frames: usize,
    /// Alternations of pose solve and offset fit.
    pub iterations: usize,
    /// Strength of the pull towards the marker set's initial offsets, in frame-equivalents.
    pub prior_frames: f64,
    /// Also fit a uniform scale of the skeleton (when it is a template, not measured), then a
    /// length factor per chain (each leg, each arm, the spine; see [`CHAIN_SEGMENTS`]).
    pub fit_scale: bool,
    /// Robust loss used for the pose solves and offset weights.
    pub loss: RobustLoss,
    /// Joint stiffness of the pose solves (see [`SolveOptions::stiffness`]): with it the
    /// offsets are fitted for a pose near rest where the markers cannot tell the joints apart.
    pub stiffness: Vec<crate::ik::JointStiffness>,
}

impl Default for CalibrationOptions {
    fn default() -> Self {
        Self {
            first_frame: 0,
            frame_window: 600,
            max_frames: 120,
            iterations: 12,
            prior_frames: 2.0,
            fit_scale: false,
            loss: RobustLoss::Cauchy { scale_mm: 30.0 },
            stiffness: Vec::new(),
        }
    }
}

/// A calibrated subject: marker offsets on one skeleton (and the scale applied to it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubjectCalibration {
    /// Always [`SUBJECT_FORMAT`].
    pub format: String,
    /// Marker set the calibration started from.
    pub markerset: String,
    /// Actor (label prefix) of the trial.
    pub actor: String,
    /// Uniform scale applied to the skeleton's offsets (1 for a measured skeleton).
    pub skeleton_scale: f64,
    /// Per-segment length factors applied after `skeleton_scale` (empty for a measured
    /// skeleton); see [`scale_segments`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segment_scales: Vec<SegmentScale>,
    /// Calibrated markers: offsets in mm in their segment's frame (of the scaled skeleton).
    pub markers: Vec<PlacedMarker>,
    /// Frames used in the fit.
    pub frames_used: usize,
    /// RMS marker residual over the fit frames after calibration, mm.
    pub marker_rms_mm: f64,
}

/// A length factor on one segment's bone, fitted by calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentScale {
    /// Segment (joint) name in the skeleton.
    pub segment: String,
    /// Factor on the segment's bone: its children's offsets and its end site (dimensionless).
    pub scale: f64,
}

/// Chains whose length calibration fits with one factor each (when fitting a scale): each
/// leg's thigh and shin, each arm's upper arm and forearm, and the spine. Each entry lists, per
/// segment, the names it may have (CMU ASF, then common BVH names); segments a skeleton lacks
/// are left out of the chain.
pub const CHAIN_SEGMENTS: &[(&str, &[&[&str]])] = &[
    (
        "left leg",
        &[
            &["lfemur", "LeftUpLeg", "LeftHip"],
            &["ltibia", "LeftLeg", "LeftKnee"],
        ],
    ),
    (
        "right leg",
        &[
            &["rfemur", "RightUpLeg", "RightHip"],
            &["rtibia", "RightLeg", "RightKnee"],
        ],
    ),
    (
        "left arm",
        &[
            &["lhumerus", "LeftArm", "LeftShoulder"],
            &["lradius", "LeftForeArm", "LeftElbow"],
        ],
    ),
    (
        "right arm",
        &[
            &["rhumerus", "RightArm", "RightShoulder"],
            &["rradius", "RightForeArm", "RightElbow"],
        ],
    ),
    (
        "spine",
        &[
            &["lowerback", "Spine"],
            &["upperback", "Spine1", "Chest"],
            &["thorax", "Spine2", "Chest2"],
        ],
    ),
];

/// A copy of `skeleton` whose listed segments' bones are scaled: each factor multiplies the
/// offsets of the segment's children and its end site. Names the skeleton lacks are skipped.
pub fn scale_segments(skeleton: &Skeleton, scales: &[SegmentScale]) -> Skeleton {
    let mut s = skeleton.clone();
    for sc in scales {
        let Some(j) = s.joints.iter().position(|j| j.name == sc.segment) else {
            continue;
        };
        s.joints[j].end_site = s.joints[j].end_site.map(|e| e * sc.scale);
        for c in s.joints.iter_mut().filter(|c| c.parent == Some(j)) {
            c.offset *= sc.scale;
        }
    }
    s
}

impl SubjectCalibration {
    /// `skeleton` with this subject's uniform and per-segment scales applied (what the markers
    /// were calibrated on).
    pub fn scaled_skeleton(&self, skeleton: &Skeleton) -> Skeleton {
        let s = if (self.skeleton_scale - 1.0).abs() > 1e-12 {
            scale_skeleton(skeleton, self.skeleton_scale)
        } else {
            skeleton.clone()
        };
        if self.segment_scales.is_empty() {
            s
        } else {
            scale_segments(&s, &self.segment_scales)
        }
    }

    /// Serialises to pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a subject file.
    pub fn from_json(text: &str) -> Result<Self, SolverError> {
        let s: Self =
            serde_json::from_str(text).map_err(|e| SolverError::BadSubject(e.to_string()))?;
        if s.format != SUBJECT_FORMAT {
            return Err(SolverError::BadSubject(format!(
                "format `{}` is not `{SUBJECT_FORMAT}`",
                s.format
            )));
        }
        if s.segment_scales
            .iter()
            .any(|c| !(c.scale.is_finite() && c.scale > 0.0))
        {
            return Err(SolverError::BadSubject(
                "a segment scale is not a positive number".into(),
            ));
        }
        if !(s.skeleton_scale.is_finite() && s.skeleton_scale > 0.0) {
            return Err(SolverError::BadSubject(format!(
                "skeleton_scale {} is not a positive number",
                s.skeleton_scale
            )));
        }
        if s.markers
            .iter()
            .any(|m| !m.offset_mm.iter().all(|v| v.is_finite()) || !m.weight.is_finite())
        {
            return Err(SolverError::BadSubject(
                "a marker offset or weight is not finite".into(),
            ));
        }
        Ok(s)
    }

    /// Writes the JSON file.
    pub fn save(&self, path: &Path) -> Result<(), SolverError> {
        std::fs::write(path, self.to_json()).map_err(|source| SolverError::Io {
            path: path.to_path_buf(),
            error: source,
        })
    }

    /// Reads a JSON file.
    pub fn load(path: &Path) -> Result<Self, SolverError> {
        let text = std::fs::read_to_string(path).map_err(|source| SolverError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
        Self::from_json(&text)
    }
}

/// A copy of `skeleton` with every offset, end site and position limit multiplied by `scale`.
pub fn scale_skeleton(skeleton: &Skeleton, scale: f64) -> Skeleton {
    let mut s = skeleton.clone();
    for j in &mut s.joints {
        j.offset *= scale;
        j.end_site = j.end_site.map(|e| e * scale);
        for (c, l) in j.channels.iter().zip(j.limits.iter_mut()) {
            if !c.is_rotation()
                && let Some((lo, hi)) = l
            {
                *lo *= scale;
                *hi *= scale;
            }
        }
    }
    s
}

/// Frames of the window with at least 80 % of the bound markers visible, evenly subsampled.
fn pick_frames(take: &MarkerTrajectories, cols: &[usize], opts: &CalibrationOptions) -> Vec<usize> {
    let end = opts
        .first_frame
        .saturating_add(opts.frame_window)
        .min(take.frame_count());
    let need = (cols.len() * 4).div_ceil(5).max(1);
    let good: Vec<usize> = (opts.first_frame.min(end)..end)
        .filter(|&f| {
            let pos = take.frame_positions(f);
            let val = take.frame_valid(f);
            cols.iter()
                .filter(|&&c| val[c] && pos[c].iter().all(|v| v.is_finite()))
                .count()
                >= need
        })
        .collect();
    let k = opts.max_frames.max(1);
    if good.len() <= k {
        return good;
    }
    (0..k).map(|i| good[i * good.len() / k]).collect()
}

/// Calibrates `actor`'s markers of `set` (initial offsets `initial`, usually `set.place(model)`)
/// on `skeleton` from `trial`. Errors when too few markers match or the trial is degenerate.
pub fn calibrate(
    skeleton: &Skeleton,
    model_options: &ModelOptions,
    set: &MarkerSet,
    trial: &MarkerTrajectories,
    actor: &str,
    opts: &CalibrationOptions,
) -> Result<SubjectCalibration, SolverError> {
    calibrate_cancellable(skeleton, model_options, set, trial, actor, opts, None)
}

/// What the scale searches and the offset fit share: the trial, the set and a cancel flag.
struct FitContext<'a> {
    model_options: &'a ModelOptions,
    set: &'a MarkerSet,
    trial: &'a MarkerTrajectories,
    actor: &'a str,
    opts: &'a CalibrationOptions,
    cancel: Option<&'a AtomicBool>,
}

impl FitContext<'_> {
    /// [`SolverError::Cancelled`] once the cancel flag is set.
    fn check(&self) -> Result<(), SolverError> {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            Err(SolverError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// [`calibrate`] that stops with [`SolverError::Cancelled`] once `cancel` is set (checked at
/// every cost evaluation of the scale searches and every frame of the offset fit, so within a
/// few milliseconds).
pub fn calibrate_cancellable(
    skeleton: &Skeleton,
    model_options: &ModelOptions,
    set: &MarkerSet,
    trial: &MarkerTrajectories,
    actor: &str,
    opts: &CalibrationOptions,
    cancel: Option<&AtomicBool>,
) -> Result<SubjectCalibration, SolverError> {
    let ctx = FitContext {
        model_options,
        set,
        trial,
        actor,
        opts,
        cancel,
    };
    ctx.check()?;
    let frames = calibration_frames(skeleton, &ctx)?;

    let mut scale = 1.0;
    let mut segment_scales = Vec::new();
    if opts.fit_scale {
        scale = fit_scale(skeleton, &ctx, &frames)?;
        segment_scales = fit_chain_scales(&scale_skeleton(skeleton, scale), &ctx, &frames)?;
    }
    let sk = scale_segments(&scale_skeleton(skeleton, scale), &segment_scales);
    let model = SolverModel::new(&sk, model_options)?;
    let (prior, _) = set.place(&model);
    let binding = markerset::bind(&model, &prior, &trial.labels, actor);
    let mut markers = binding.markers.clone();
    let solve_opts = SolveOptions {
        loss: opts.loss,
        parallel: false,
        max_iterations: 20,
        // Early iterations have large residuals by design: never "fail" a frame here.
        fail_median_mm: 1e6,
        stiffness: opts.stiffness.clone(),
        ..SolveOptions::default()
    }
    .for_set(set);
    let mut rms = f64::INFINITY;
    let mut relax = 1.6f64;
    let mut world = crate::model::WorldPose::new(model.joints.len());
    for _ in 0..opts.iterations.max(1) {
        let solver = IkSolver::new(model.clone(), markers.clone(), solve_opts.clone())?;
        let OffsetSums { acc, wsum, sq, cnt } =
            offset_pass(&ctx, &model, &solver, &markers, &frames, &mut world)?;
        if cnt == 0 {
            return Err(SolverError::DegenerateCalibration(
                "no calibration frame could be solved".into(),
            ));
        }
        let new_rms = (sq / cnt as f64).sqrt();
        if new_rms > rms * 1.001 {
            relax = 1.0;
        }
        rms = new_rms;
        let mut moved = 0.0f64;
        for (i, bm) in markers.iter_mut().enumerate() {
            let p = prior
                .iter()
                .find(|p| p.name == bm.name)
                .map(|p| DVec3::from_array(p.offset_mm))
                .unwrap_or(bm.offset_mm);
            let mu = opts.prior_frames.max(0.0);
            if wsum[i] + mu <= 0.0 {
                continue;
            }
            let fit = (acc[i] + p * mu) / (wsum[i] + mu);
            // Over-relaxed update: alternating pose/offset fits converge slowly along
            // directions the poses can partly absorb; stepping 1.6× further speeds that up
            // (relaxation drops back to 1 when the residual grows).
            let new = bm.offset_mm + (fit - bm.offset_mm) * relax;
            moved = moved.max((new - bm.offset_mm).length());
            bm.offset_mm = new;
        }
        if moved < 0.05 {
            break;
        }
    }
    Ok(SubjectCalibration {
        format: SUBJECT_FORMAT.into(),
        markerset: set.name.clone(),
        actor: actor.to_string(),
        skeleton_scale: scale,
        segment_scales,
        markers: markers
            .iter()
            .map(|b| PlacedMarker {
                name: b.name.clone(),
                segment: model.joints[b.segment].name.clone(),
                offset_mm: b.offset_mm.to_array(),
                weight: b.weight,
            })
            .collect(),
        frames_used: frames.len(),
        marker_rms_mm: rms,
    })
}

/// The frames the calibration fits (enough markers visible), checked to spread in space.
fn calibration_frames(
    skeleton: &Skeleton,
    ctx: &FitContext<'_>,
) -> Result<Vec<usize>, SolverError> {
    let FitContext {
        model_options,
        set,
        trial,
        actor,
        opts,
        ..
    } = *ctx;
    let base_model = SolverModel::new(skeleton, model_options)?;
    let (initial, unplaced) = set.place(&base_model);
    let mut binding = markerset::bind(&base_model, &initial, &trial.labels, actor);
    binding.missing.extend(
        unplaced
            .iter()
            .map(|n| format!("{n} (segment not in the skeleton)")),
    );
    markerset::check_binding(&binding, set.markers.len())?;
    let cols: Vec<usize> = binding.markers.iter().map(|m| m.take_index).collect();
    let frames = pick_frames(trial, &cols, opts);
    if frames.is_empty() {
        return Err(SolverError::DegenerateCalibration(format!(
            "no frame in {}..{} shows at least 80 % of the {} markers",
            opts.first_frame,
            opts.first_frame.saturating_add(opts.frame_window),
            cols.len()
        )));
    }
    // Markers must spread in space: a trial with every marker at one point (or on a line)
    // cannot place a skeleton.
    let f0 = frames[0];
    let pts: Vec<DVec3> = cols
        .iter()
        .filter_map(|&c| trial.position(f0, c))
        .map(|p| DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64) * trial.unit.to_mm())
        .collect();
    if crate::linalg::second_principal_variance(&pts) < 100.0 {
        return Err(SolverError::DegenerateCalibration(
            "the markers are (nearly) collinear or coincident".into(),
        ));
    }
    Ok(frames)
}

/// What one pass of pose solves says about each marker's offset on its segment.
struct OffsetSums {
    /// Per marker: weighted sum of observed positions in segment space (mm).
    acc: Vec<DVec3>,
    /// Per marker: sum of the weights (unitless).
    wsum: Vec<f64>,
    /// Sum of squared residuals over visible markers of solved frames (mm²).
    sq: f64,
    /// Number of residuals in `sq`.
    cnt: usize,
}

/// Solves `frames` with the current `markers` (warm-started in sequence) and sums each
/// visible marker's position in its segment's space.
fn offset_pass(
    ctx: &FitContext<'_>,
    model: &SolverModel,
    solver: &IkSolver,
    markers: &[markerset::BoundMarker],
    frames: &[usize],
    world: &mut crate::model::WorldPose,
) -> Result<OffsetSums, SolverError> {
    let (trial, opts) = (ctx.trial, ctx.opts);
    let mut ws = solver.workspace();
    let m = markers.len();
    let mut acc = vec![DVec3::ZERO; m];
    let mut wsum = vec![0.0f64; m];
    let (mut sq, mut cnt) = (0.0f64, 0usize);
    let mut last: Option<crate::model::Pose> = None;
    for &f in frames {
        ctx.check()?;
        solver.load_frame(trial, f, &mut ws);
        // Sequential warm start through the selected frames (cold on the first): poses
        // follow the improving offsets instead of staying in an early local minimum.
        let (mut pose, cold) = match &last {
            Some(p) => (p.clone(), false),
            None => (model.rest_pose(), true),
        };
        let rep = solver.solve_frame(&mut ws, &mut pose, None, cold);
        if !rep.ok {
            last = None;
            continue;
        }
        model.forward(&pose, world);
        for (i, bm) in markers.iter().enumerate() {
            if !ws.visible[i] {
                continue;
            }
            let r = ws.residual_mm[i];
            sq += r * r;
            cnt += 1;
            let w = opts.loss.eval(r).1;
            let rot = world.rotation[bm.segment];
            let t = world.position_mm[bm.segment];
            acc[i] += rot.inverse() * (ws.observed[i] - t) * w;
            wsum[i] += w;
        }
        last = Some(pose);
    }
    Ok(OffsetSums { acc, wsum, sq, cnt })
}

/// Robust marker cost of cold pose solves of `frames` with the marker set's initial offsets on
/// `skeleton`.
fn preset_cost(
    skeleton: &Skeleton,
    ctx: &FitContext<'_>,
    frames: &[usize],
) -> Result<f64, SolverError> {
    ctx.check()?;
    let FitContext {
        model_options,
        set,
        trial,
        actor,
        opts,
        ..
    } = *ctx;
    let model = SolverModel::new(skeleton, model_options)?;
    let (placed, _) = set.place(&model);
    let b = markerset::bind(&model, &placed, &trial.labels, actor);
    let solver = IkSolver::new(
        model.clone(),
        b.markers,
        SolveOptions {
            loss: opts.loss,
            parallel: false,
            stiffness: opts.stiffness.clone(),
            ..SolveOptions::default()
        }
        .for_set(set),
    )?;
    let mut ws = solver.workspace();
    let mut pose = model.rest_pose();
    let mut cost = 0.0;
    for &f in frames {
        solver.load_frame(trial, f, &mut ws);
        solver.solve_frame(&mut ws, &mut pose, None, true);
        for r in ws.residual_mm.iter().filter(|r| r.is_finite()) {
            cost += opts.loss.eval(*r).0;
        }
    }
    Ok(cost)
}

/// Golden-section minimum of `f` on `[a, b]` after `steps` reductions.
fn golden(
    mut a: f64,
    mut b: f64,
    steps: usize,
    mut f: impl FnMut(f64) -> Result<f64, SolverError>,
) -> Result<f64, SolverError> {
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = b - g * (b - a);
    let mut d = a + g * (b - a);
    let mut fc = f(c)?;
    let mut fd = f(d)?;
    for _ in 0..steps {
        if fc < fd {
            b = d;
            d = c;
            fd = fc;
            c = b - g * (b - a);
            fc = f(c)?;
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + g * (b - a);
            fd = f(d)?;
        }
    }
    Ok(0.5 * (a + b))
}

/// Frames for the scale searches: at most 20 of `frames`, evenly spaced.
fn scale_frames(frames: &[usize]) -> Vec<usize> {
    frames
        .iter()
        .step_by(frames.len().div_ceil(20).max(1))
        .copied()
        .collect()
}

/// Golden-section search of a uniform skeleton scale in [0.5, 2] minimising the robust marker
/// cost of pose solves with the marker set's initial offsets on the scaled skeleton.
fn fit_scale(
    skeleton: &Skeleton,
    ctx: &FitContext<'_>,
    frames: &[usize],
) -> Result<f64, SolverError> {
    let sub = scale_frames(frames);
    golden(0.5, 2.0, 18, |s| {
        preset_cost(&scale_skeleton(skeleton, s), ctx, &sub)
    })
}

/// One length factor per chain of [`CHAIN_SEGMENTS`] (in [0.8, 1.25], on top of the uniform
/// scale already applied to `skeleton`), by golden-section search per chain, two sweeps over the
/// chains. Factors within 0.5 % of 1 are dropped.
fn fit_chain_scales(
    skeleton: &Skeleton,
    ctx: &FitContext<'_>,
    frames: &[usize],
) -> Result<Vec<SegmentScale>, SolverError> {
    let sub = scale_frames(frames);
    let chains: Vec<Vec<String>> = CHAIN_SEGMENTS
        .iter()
        .map(|(_, segs)| {
            segs.iter()
                .filter_map(|names| {
                    names
                        .iter()
                        .find(|n| skeleton.joints.iter().any(|j| j.name == **n))
                        .map(|n| n.to_string())
                })
                .collect::<Vec<String>>()
        })
        .filter(|c: &Vec<String>| !c.is_empty())
        .collect();
    let mut factors = vec![1.0f64; chains.len()];
    let scales = |factors: &[f64]| -> Vec<SegmentScale> {
        chains
            .iter()
            .zip(factors)
            .flat_map(|(c, f)| {
                c.iter().map(move |n| SegmentScale {
                    segment: n.clone(),
                    scale: *f,
                })
            })
            .collect()
    };
    for _sweep in 0..2 {
        for k in 0..chains.len() {
            let mut trial_factors = factors.clone();
            factors[k] = golden(0.8, 1.25, 12, |f| {
                trial_factors[k] = f;
                preset_cost(
                    &scale_segments(skeleton, &scales(&trial_factors)),
                    ctx,
                    &sub,
                )
            })?;
        }
    }
    Ok(scales(&factors)
        .into_iter()
        .filter(|s| (s.scale - 1.0).abs() > 0.005)
        .collect())
}

/// Binds a calibrated subject's markers to `take` for `actor` on `model` (the skeleton scaled by
/// the subject's `skeleton_scale`).
pub fn bind_subject(
    model: &SolverModel,
    subject: &SubjectCalibration,
    take: &MarkerTrajectories,
    actor: &str,
) -> Result<markerset::MarkerBinding, SolverError> {
    for m in &subject.markers {
        if model.joint_index(&m.segment).is_none() {
            return Err(SolverError::BadSubject(format!(
                "marker {} sits on segment {}, which this skeleton lacks (calibrated on another skeleton?)",
                m.name, m.segment
            )));
        }
    }
    let b = markerset::bind(model, &subject.markers, &take.labels, actor);
    markerset::check_binding(&b, subject.markers.len())?;
    Ok(b)
}
