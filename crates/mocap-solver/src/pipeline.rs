//! The whole solve of a take, without file I/O: find the actors (label prefixes), calibrate or
//! load each subject, bind markers, solve every actor, and compare joints with a reference.
//! `mocap solve` and the real-data tests drive this.

use crate::calibrate::{self, CalibrationOptions, SubjectCalibration};
use crate::error::SolverError;
use crate::ik::{IkSolver, SolveOptions, TakeSolve};
use crate::markerset::{self, MarkerSet};
use crate::model::{ModelOptions, SolverModel};
use mocap_data::{DVec3, MarkerTrajectories, Skeleton};

/// Where marker offsets come from.
#[derive(Debug, Clone)]
pub enum Calibration<'a> {
    /// The marker set's initial offsets, unrefined.
    Preset,
    /// Calibrate on the take itself (the window in [`CalibrationOptions`]).
    FromTake,
    /// Calibrate on a separate static / range-of-motion trial.
    Trial(&'a MarkerTrajectories),
    /// A saved subject (one for every actor).
    Subject(&'a SubjectCalibration),
}

/// Options of [`solve_take`].
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    /// Model building.
    pub model: ModelOptions,
    /// Per-frame / batch solve.
    pub solve: SolveOptions,
    /// Calibration (when calibrating).
    pub calibration: CalibrationOptions,
    /// Solve only these actors (label prefixes); all found when empty.
    pub actors: Vec<String>,
}

/// One actor's solve.
#[derive(Debug, Clone)]
pub struct ActorSolve {
    /// Actor name (label prefix; empty when labels have none).
    pub actor: String,
    /// The solver used (model, bound markers).
    pub solver: IkSolver,
    /// The per-frame result.
    pub result: TakeSolve,
    /// The calibration used (absent for [`Calibration::Preset`]).
    pub subject: Option<SubjectCalibration>,
    /// Marker-set markers the take lacks for this actor (solved without them).
    pub missing: Vec<String>,
    /// Wall-clock seconds of the batch solve (calibration excluded).
    pub solve_s: f64,
}

/// Actors of `take` for `set`: label prefixes with at least a quarter of the set's names (at
/// least 4).
pub fn find_actors(take: &MarkerTrajectories, set: &MarkerSet) -> Vec<String> {
    let names: Vec<&str> = set.markers.iter().map(|m| m.name.as_str()).collect();
    markerset::actors_in_take(
        &take.labels,
        names.iter().copied(),
        (set.markers.len() / 4).max(4),
    )
}

/// Solves every actor of `take` with `set` on `skeleton`. `progress(frames_done, total)` is
/// called during the batch solves (summed over actors).
pub fn solve_take(
    skeleton: &Skeleton,
    set: &MarkerSet,
    take: &MarkerTrajectories,
    calibration: Calibration<'_>,
    options: &PipelineOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<Vec<ActorSolve>, SolverError> {
    solve_take_cancellable(skeleton, set, take, calibration, options, progress, None)
}

/// [`solve_take`] that stops with [`SolverError::Cancelled`] once `cancel` is set (checked
/// during each actor's calibration and before each solve chunk).
pub fn solve_take_cancellable(
    skeleton: &Skeleton,
    set: &MarkerSet,
    take: &MarkerTrajectories,
    calibration: Calibration<'_>,
    options: &PipelineOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Vec<ActorSolve>, SolverError> {
    let cancelled = || cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
    let mut actors = find_actors(take, set);
    if !options.actors.is_empty() {
        actors.retain(|a| options.actors.iter().any(|w| w == a));
    }
    if actors.is_empty() {
        // Report the binding of the most likely prefix to say what is missing.
        let model = SolverModel::new(skeleton, &options.model)?;
        let (placed, unplaced) = set.place(&model);
        let prefix = take
            .labels
            .first()
            .map(|l| markerset::split_label(l).0.to_string())
            .unwrap_or_default();
        let mut b = markerset::bind(&model, &placed, &take.labels, &prefix);
        b.missing.extend(
            unplaced
                .iter()
                .map(|n| format!("{n} (segment not in the skeleton)")),
        );
        markerset::check_binding(&b, set.markers.len())?;
        actors.push(prefix);
    }
    let total = take.frame_count() * actors.len();
    let mut out = Vec::with_capacity(actors.len());
    for (ai, actor) in actors.iter().enumerate() {
        if cancelled() {
            return Err(SolverError::Cancelled);
        }
        let subject = match calibration {
            Calibration::Preset => None,
            Calibration::FromTake => Some(calibrate::calibrate_cancellable(
                skeleton,
                &options.model,
                set,
                take,
                actor,
                &options.calibration,
                cancel,
            )?),
            Calibration::Trial(trial) => {
                // The trial may label the subject differently: use its only actor if the
                // take's name is absent.
                let trial_actors = find_actors(trial, set);
                let name = if trial_actors.iter().any(|a| a == actor) {
                    actor.clone()
                } else if trial_actors.len() == 1 {
                    trial_actors[0].clone()
                } else {
                    actor.clone()
                };
                let mut s = calibrate::calibrate_cancellable(
                    skeleton,
                    &options.model,
                    set,
                    trial,
                    &name,
                    &options.calibration,
                    cancel,
                )?;
                s.actor = actor.clone();
                Some(s)
            }
            Calibration::Subject(s) => Some(s.clone()),
        };
        let sk = match &subject {
            Some(s) => s.scaled_skeleton(skeleton),
            None => skeleton.clone(),
        };
        let model = SolverModel::new(&sk, &options.model)?;
        let binding = match &subject {
            Some(s) => calibrate::bind_subject(&model, s, take, actor)?,
            None => {
                let (placed, unplaced) = set.place(&model);
                let mut b = markerset::bind(&model, &placed, &take.labels, actor);
                b.missing.extend(
                    unplaced
                        .iter()
                        .map(|n| format!("{n} (segment not in the skeleton)")),
                );
                markerset::check_binding(&b, set.markers.len())?;
                b
            }
        };
        let solver = IkSolver::new(model, binding.markers, options.solve.for_set(set))?;
        let base = ai * take.frame_count();
        let cb = |d: usize| {
            if let Some(p) = progress {
                p(base + d, total);
            }
        };
        let t0 = std::time::Instant::now();
        let result = solver.solve_take_cancellable(take, Some(&cb), cancel)?;
        let solve_s = t0.elapsed().as_secs_f64();
        out.push(ActorSolve {
            actor: actor.clone(),
            solver,
            result,
            subject,
            missing: binding.missing,
            solve_s,
        });
    }
    Ok(out)
}

impl ActorSolve {
    /// Each solved marker's take column, name and segment joint name: the input of
    /// [`rigid_marker_fit`].
    pub fn marker_segments(&self) -> Vec<(usize, String, String)> {
        let model = self.solver.model();
        self.solver
            .markers()
            .iter()
            .map(|m| {
                (
                    m.take_index,
                    m.name.clone(),
                    model.joints[m.segment].name.clone(),
                )
            })
            .collect()
    }
}

/// Position differences between two sets of joint trajectories matched by joint name.
#[derive(Debug, Clone, PartialEq)]
pub struct JointComparison {
    /// RMS distance over matched joints and frames, mm.
    pub rms_mm: f64,
    /// Largest distance, mm.
    pub max_mm: f64,
    /// Per matched joint: name and RMS distance (mm).
    pub per_joint_rms_mm: Vec<(String, f64)>,
    /// The constant part of the difference: RMS over joints of each joint's mean difference
    /// vector over the compared frames, mm (world axes). A joint-centre or marker-placement
    /// convention that differs between the two solves shows here.
    pub constant_rms_mm: f64,
    /// What varies from frame to frame: RMS of each difference minus its joint's mean, mm.
    /// `constant_rms_mm² + varying_rms_mm² = rms_mm²`.
    pub varying_rms_mm: f64,
    /// Frames compared.
    pub frames: usize,
}

/// Compares joint world positions `a` (frame-major, `a_names.len()` joints per frame, mm) with
/// `b` over joints whose names match (ASCII case-insensitive) and the first
/// `min(frames_a, frames_b)` frames, skipping frames where `frame_ok` (for `a`) is false.
/// `None` when no joint names match.
pub fn compare_joint_positions(
    a_names: &[String],
    a: &[DVec3],
    b_names: &[String],
    b: &[DVec3],
    frame_ok: Option<&[bool]>,
) -> Option<JointComparison> {
    let pairs: Vec<(usize, usize)> = a_names
        .iter()
        .enumerate()
        .filter_map(|(i, n)| {
            b_names
                .iter()
                .position(|m| m.eq_ignore_ascii_case(n))
                .map(|j| (i, j))
        })
        .collect();
    if pairs.is_empty() || a_names.is_empty() || b_names.is_empty() {
        return None;
    }
    let frames = (a.len() / a_names.len()).min(b.len() / b_names.len());
    let mut per = vec![(0.0f64, 0usize); pairs.len()];
    let mut per_sum = vec![DVec3::ZERO; pairs.len()];
    let (mut s, mut n, mut mx, mut used) = (0.0, 0usize, 0.0f64, 0usize);
    for f in 0..frames {
        if let Some(ok) = frame_ok
            && !ok.get(f).copied().unwrap_or(false)
        {
            continue;
        }
        used += 1;
        for (k, (i, j)) in pairs.iter().enumerate() {
            let v = a[f * a_names.len() + i] - b[f * b_names.len() + j];
            let d = v.length();
            per_sum[k] += v;
            s += d * d;
            n += 1;
            mx = mx.max(d);
            per[k].0 += d * d;
            per[k].1 += 1;
        }
    }
    if n == 0 {
        return None;
    }
    // Σ_joints count·|mean|² is the constant part of Σ|d|²; the rest varies.
    let constant_sq: f64 = per
        .iter()
        .zip(&per_sum)
        .filter(|((_, c), _)| *c > 0)
        .map(|((_, c), sum)| sum.length_squared() / *c as f64)
        .sum();
    Some(JointComparison {
        rms_mm: (s / n as f64).sqrt(),
        constant_rms_mm: (constant_sq / n as f64).sqrt(),
        varying_rms_mm: ((s - constant_sq).max(0.0) / n as f64).sqrt(),
        max_mm: mx,
        per_joint_rms_mm: pairs
            .iter()
            .zip(&per)
            .map(|((i, _), (s, c))| (a_names[*i].clone(), (s / (*c).max(1) as f64).sqrt()))
            .collect(),
        frames: used,
    })
}

/// Rotation about the vertical axis by a multiple of 90° (`0..4`), applied to points in a
/// right-handed Y-up or Z-up space.
pub fn quarter_turn(p: DVec3, up: mocap_data::UpAxis, k: usize) -> DVec3 {
    let mut q = p;
    for _ in 0..(k % 4) {
        q = match up {
            mocap_data::UpAxis::Y => DVec3::new(q.z, q.y, -q.x),
            mocap_data::UpAxis::Z => DVec3::new(-q.y, q.x, q.z),
        };
    }
    q
}

/// [`compare_joint_positions`] with `a` first turned by `turns` quarter turns about `up` (the
/// heading [`compare_joint_positions_any_heading`] found).
pub fn compare_joint_positions_turned(
    a_names: &[String],
    a: &[DVec3],
    turns: usize,
    up: mocap_data::UpAxis,
    b_names: &[String],
    b: &[DVec3],
    frame_ok: Option<&[bool]>,
) -> Option<JointComparison> {
    let turned: Vec<DVec3> = a.iter().map(|p| quarter_turn(*p, up, turns)).collect();
    compare_joint_positions(a_names, &turned, b_names, b, frame_ok)
}

/// Lab conventions differ by a quarter turn about the up axis (CMU's AMC world is the C3D lab
/// with X→Z, Y→X, Z→Y; the generic Z-up→Y-up conversion maps X→X). Returns the number of
/// quarter turns `k` (0–3) that, applied to `a`, best matches `b` on joints of the same name
/// (mean distance of the first joint in common over all frames), with the comparison made that
/// way. `None` when no joint names match.
pub fn compare_joint_positions_any_heading(
    a_names: &[String],
    a: &[DVec3],
    b_names: &[String],
    b: &[DVec3],
    up: mocap_data::UpAxis,
    frame_ok: Option<&[bool]>,
) -> Option<(usize, JointComparison)> {
    let mut best: Option<(usize, JointComparison)> = None;
    for k in 0..4 {
        if let Some(c) = compare_joint_positions_turned(a_names, a, k, up, b_names, b, frame_ok)
            && best.as_ref().is_none_or(|(_, bc)| c.rms_mm < bc.rms_mm)
        {
            best = Some((k, c));
        }
    }
    best
}

/// How well a motion's poses explain a take's markers as rigidly attached points: per marker,
/// the fixed offset in its segment's frame that fits best (the mean over frames) and the RMS
/// distance left. A solver's own result scores its marker residual or better; another solver's
/// result (a reference) scores how closely its segments follow the markers.
#[derive(Debug, Clone, PartialEq)]
pub struct RigidMarkerFit {
    /// RMS over all fitted markers and frames, mm.
    pub rms_mm: f64,
    /// Per marker (name, RMS mm), in the order given.
    pub per_marker_rms_mm: Vec<(String, f64)>,
    /// Per marker (name, best fixed offset in its segment's frame, mm), in the same order: where
    /// the motion's poses put the marker on average.
    pub offsets_mm: Vec<(String, DVec3)>,
}

/// Fits each marker of `markers` (take column, segment joint name in `model`) rigidly to the
/// segment of that name posed by `motion` (see [`RigidMarkerFit`]). Marker positions are taken
/// from `take` (any unit and up axis), converted into `model`'s space and turned by `turns`
/// quarter turns about its up axis (as [`compare_joint_positions_any_heading`] found). Frames
/// where a marker is missing, or where `frame_ok` is false, are skipped. `None` when no marker's
/// segment is in `model`.
pub fn rigid_marker_fit(
    model: &SolverModel,
    motion: &mocap_data::Motion,
    take: &MarkerTrajectories,
    markers: &[(usize, String, String)],
    turns: usize,
    frame_ok: Option<&[bool]>,
) -> Option<RigidMarkerFit> {
    let up = model.skeleton.up_axis;
    let cpf = motion.channels_per_frame;
    let frames = motion.frame_count().min(take.frame_count());
    let mut world = crate::model::WorldPose::new(model.joints.len());
    let segs: Vec<Option<usize>> = markers
        .iter()
        .map(|(_, _, s)| model.joint_index(s))
        .collect();
    if segs.iter().all(Option::is_none) || cpf == 0 {
        return None;
    }
    // Local positions per marker per frame (segment frame, mm).
    let mut local: Vec<Vec<DVec3>> = vec![Vec::new(); markers.len()];
    let to_mm = take.unit.to_mm();
    for f in 0..frames {
        if frame_ok.is_some_and(|ok| !ok.get(f).copied().unwrap_or(false)) {
            continue;
        }
        let pose = model.pose_from_channels(&motion.values[f * cpf..(f + 1) * cpf]);
        model.forward(&pose, &mut world);
        for (k, (col, _, _)) in markers.iter().enumerate() {
            let (Some(j), Some(p)) = (segs[k], take.position(f, *col)) else {
                continue;
            };
            let p = [
                p[0] as f64 * to_mm,
                p[1] as f64 * to_mm,
                p[2] as f64 * to_mm,
            ];
            if !p.iter().all(|v| v.is_finite()) {
                continue;
            }
            let q = crate::ik::convert_axes(take.up_axis, up, p);
            let w = quarter_turn(DVec3::from_array(q), up, turns);
            local[k].push(world.rotation[j].inverse() * (w - world.position_mm[j]));
        }
    }
    let (mut sq, mut n) = (0.0f64, 0usize);
    let mut per = Vec::new();
    let mut offsets = Vec::new();
    for (k, (_, name, _)) in markers.iter().enumerate() {
        let l = &local[k];
        if l.is_empty() {
            continue;
        }
        let mean = l.iter().copied().sum::<DVec3>() / l.len() as f64;
        let s: f64 = l.iter().map(|v| (*v - mean).length_squared()).sum();
        sq += s;
        n += l.len();
        per.push((name.clone(), (s / l.len() as f64).sqrt()));
        offsets.push((name.clone(), mean));
    }
    (n > 0).then(|| RigidMarkerFit {
        rms_mm: (sq / n as f64).sqrt(),
        per_marker_rms_mm: per,
        offsets_mm: offsets,
    })
}

/// Whether marker offsets fitted on `b`'s segments carry over to `a`'s: every joint of `a` that
/// carries one of `a`'s markers, and each of its ancestors, exists in `b` by name (ASCII
/// case-insensitive) with the same rest translation (within 0.5 mm, on the axes neither model
/// solves as a translation DOF) and rest rotation (within 0.05°). True for a reference solved on the skeleton we solve on (an AMC on its ASF).
pub fn same_segment_frames(a: &IkSolver, b: &SolverModel) -> bool {
    let model = a.model();
    let mut need = vec![false; model.joints.len()];
    for m in a.markers() {
        let mut j = Some(m.segment);
        while let Some(k) = j {
            need[k] = true;
            j = model.joints[k].parent;
        }
    }
    model
        .joints
        .iter()
        .zip(&need)
        .filter(|(_, n)| **n)
        .all(|(ja, _)| {
            b.joints
                .iter()
                .find(|jb| jb.name.eq_ignore_ascii_case(&ja.name))
                .is_some_and(|jb| {
                    // Axes either model solves as a translation DOF (a root's position) do not
                    // place the segment relative to its parent.
                    let d = ja.translation_mm - jb.translation_mm;
                    let fixed = |a: usize| !ja.translation_axes[a] && !jb.translation_axes[a];
                    let d = DVec3::new(
                        if fixed(0) { d.x } else { 0.0 },
                        if fixed(1) { d.y } else { 0.0 },
                        if fixed(2) { d.z } else { 0.0 },
                    );
                    d.length() <= 0.5
                        && ja.rest_rotation.angle_between(jb.rest_rotation) <= 0.05f64.to_radians()
                })
        })
}

/// Solves `actor`'s take again with the same model and options, each marker moved to the
/// offset given for it by name in `offsets_mm` (segment frame, mm; markers not named keep
/// theirs). With the offsets a reference's poses imply ([`RigidMarkerFit::offsets_mm`]), the
/// joint difference that is left is the part no marker placement removes: how far the
/// reference's poses are from following the markers at all.
pub fn resolve_with_offsets(
    actor: &ActorSolve,
    take: &MarkerTrajectories,
    offsets_mm: &[(String, DVec3)],
) -> Result<TakeSolve, SolverError> {
    let markers = actor
        .solver
        .markers()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            if let Some((_, o)) = offsets_mm.iter().find(|(n, _)| *n == m.name) {
                m.offset_mm = *o;
            }
            m
        })
        .collect();
    let solver = IkSolver::new(
        actor.solver.model().clone(),
        markers,
        actor.solver.options().clone(),
    )?;
    solver.solve_take(take, None)
}
