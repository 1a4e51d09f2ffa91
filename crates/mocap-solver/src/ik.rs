//! Marker → skeleton inverse kinematics.
//!
//! Per frame, Levenberg–Marquardt on weighted marker residuals (mm) with the analytic Jacobian of
//! [`SolverModel::forward_with_axes`], a robust loss by iteratively reweighted least squares
//! (Huber or Cauchy, so a swapped or ghost marker cannot wreck the pose), joint limits on Euler
//! DOFs (clamped; DOFs resting on a limit frozen when the gradient pushes outwards; ball joints
//! carry no limits, see [`crate::model`]), warm start by extrapolating the previous two frames,
//! occluded markers dropped, and per-marker residuals reported.
//!
//! The normal equations `JᵀWJ + λ·diag` are never formed from `J`: every Jacobian column is a
//! twist `(ω, v)` acting on a marker position `q` (`ω × q + v`), and a marker depends only on
//! its segment's ancestor DOFs, so `JᵀWJ` and `JᵀWr` follow from five per-joint moments of the
//! markers below each joint (`Σw`, `Σw·q`, `Σw·q·qᵀ`, `Σw·q×r`, `Σw·r`) in
//! O(markers + DOFs × depth). The matrix is stored column-packed with only the ancestor entries
//! and factored by a no-fill tree Cholesky ([`crate::linalg::packed_tree_cholesky`], deepest
//! DOFs eliminated first, contiguous updates) on buffers owned by a [`Workspace`]: the per-frame
//! loop does not allocate. A rejected step below the step tolerance ends the frame (converged).
//!
//! Batch mode ([`IkSolver::solve_take`]) cuts the take into fixed chunks of
//! [`SolveOptions::chunk_frames`]; every chunk starts cold a few warm-up frames before its first
//! frame and runs sequentially, so results are bit-identical whether the chunks run serially or
//! in parallel (rayon), on any number of threads. An optional temporal term pulls each frame
//! towards the previous frame's solution.

use crate::error::SolverError;
use crate::linalg::{
    packed_tree_cholesky, packed_tree_cholesky_solve, packed_tree_offsets, rigid_fit, rotation_fit,
};
use crate::markerset::BoundMarker;
use crate::model::{Pose, RotationDofs, SolverModel, WorldPose};
use glam::DMat3;
use mocap_data::{DQuat, DVec3, MarkerTrajectories, Motion, UpAxis};
use rayon::prelude::*;

/// Robust loss on each marker's residual distance `r` (mm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RobustLoss {
    /// Plain least squares `r²/2`.
    None,
    /// Huber: quadratic up to `scale_mm`, linear beyond.
    Huber {
        /// Transition distance, mm.
        scale_mm: f64,
    },
    /// Cauchy / Lorentzian `c²/2·ln(1 + (r/c)²)`: far outliers get almost no weight.
    Cauchy {
        /// Scale `c`, mm.
        scale_mm: f64,
    },
}

impl RobustLoss {
    /// `(ρ(r), w(r))`: loss value and IRLS weight `ρ'(r)/r` for a residual of `r` mm.
    #[inline]
    pub fn eval(self, r: f64) -> (f64, f64) {
        match self {
            RobustLoss::None => (0.5 * r * r, 1.0),
            RobustLoss::Huber { scale_mm: k } => {
                if r <= k {
                    (0.5 * r * r, 1.0)
                } else {
                    (k * (r - 0.5 * k), k / r)
                }
            }
            RobustLoss::Cauchy { scale_mm: c } => {
                let u = r / c;
                (0.5 * c * c * (u * u).ln_1p(), 1.0 / (1.0 + u * u))
            }
        }
    }
}

/// Options of the solve. Defaults suit 60–240 Hz full-body takes in millimetres.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveOptions {
    /// Robust loss on marker residuals.
    pub loss: RobustLoss,
    /// Maximum LM iterations for a warm-started frame.
    pub max_iterations: usize,
    /// Maximum LM iterations for a cold start (first frame of a chunk, after a failure).
    pub cold_iterations: usize,
    /// Convergence: stop when the largest step is below this (mm for translations; radians ×
    /// 100 mm for rotations).
    pub step_tolerance_mm: f64,
    /// Convergence: stop when an accepted step lowers the cost by less than this fraction (the
    /// remaining motion is along directions the markers barely see).
    pub cost_tolerance: f64,
    /// Weight of the temporal term pulling each frame towards the previous solution
    /// (dimensionless; 0 = off). A rotation DOF counts with a 100 mm lever.
    pub temporal_weight: f64,
    /// Frames per batch chunk (fixed, independent of the thread count).
    pub chunk_frames: usize,
    /// Frames solved (and discarded) before each chunk to warm it up.
    pub warmup_frames: usize,
    /// Solve chunks in parallel with rayon (results identical to serial).
    pub parallel: bool,
    /// Minimum visible markers for a frame to be solved; fewer marks the frame failed.
    pub min_markers: usize,
    /// A frame whose median marker residual exceeds this (mm) after a cold retry is marked
    /// failed.
    pub fail_median_mm: f64,
    /// Joint stiffness: a pull of the named joints' rotations towards the skeleton's rest pose,
    /// for joints the markers barely separate (a spine with one marker between three joints,
    /// clavicles under a single shoulder marker). Empty = no pull.
    pub stiffness: Vec<JointStiffness>,
}

/// A pull of some joints' rotations towards the rest pose (see [`SolveOptions::stiffness`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct JointStiffness {
    /// Joint names this applies to (ASCII case-insensitive; list a joint's names in several
    /// skeleton conventions, e.g. `["lowerback", "Spine"]`; names a skeleton lacks are ignored).
    pub joints: Vec<String>,
    /// Weight, in the same units as [`SolveOptions::temporal_weight`] (dimensionless; a rotation
    /// counts with a 100 mm lever): 1 costs as much as a 100 mm marker residual per radian.
    pub weight: f64,
}

impl SolveOptions {
    /// These options with `set`'s joint stiffness put before this options' own (a later entry
    /// wins for a joint both name): what every solve with that marker set uses.
    pub fn for_set(&self, set: &crate::markerset::MarkerSet) -> Self {
        let mut o = self.clone();
        o.stiffness = set
            .stiffness
            .iter()
            .chain(&self.stiffness)
            .cloned()
            .collect();
        o
    }
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            loss: RobustLoss::Cauchy { scale_mm: 25.0 },
            max_iterations: 10,
            cold_iterations: 100,
            step_tolerance_mm: 0.1,
            cost_tolerance: 1e-3,
            temporal_weight: 0.01,
            chunk_frames: 256,
            warmup_frames: 8,
            parallel: true,
            min_markers: 6,
            fail_median_mm: 40.0,
            stiffness: Vec::new(),
        }
    }
}

/// Outcome of one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameReport {
    /// `true` when the frame was solved (enough markers, sane residuals).
    pub ok: bool,
    /// LM iterations used (including a cold retry).
    pub iterations: u32,
    /// RMS of the residuals of the markers used, mm (NaN when none).
    pub rms_mm: f64,
    /// Markers used.
    pub markers_used: usize,
}

/// Per-solve scratch memory. Create with [`IkSolver::workspace`]; reuse across frames.
#[derive(Debug, Clone)]
pub struct Workspace {
    world: WorldPose,
    dof_axis: Vec<DVec3>,
    dof_pivot: Vec<DVec3>,
    trial: Pose,
    backup: Pose,
    /// Observed marker positions (mm, model world axes), one per bound marker.
    pub observed: Vec<DVec3>,
    /// Whether each observed position is present.
    pub visible: Vec<bool>,
    /// Residual distance of each bound marker after the last solve (mm; NaN when not visible).
    pub residual_mm: Vec<f64>,
    /// Per joint, over the visible markers on the joint's segment and below it (positions `q`
    /// relative to the root, mm; IRLS weights `w`): `Σw`, `Σw·q`, `Σw·q·qᵀ`, `Σw·q×r`, `Σw·r`.
    sub_w: Vec<f64>,
    sub_q: Vec<DVec3>,
    sub_qq: Vec<DMat3>,
    sub_qr: Vec<DVec3>,
    sub_r: Vec<DVec3>,
    /// Per active DOF: its twist `(ω, v)` (the column of a point `q` is `ω × q + v`).
    twist_w: Vec<DVec3>,
    twist_v: Vec<DVec3>,
    /// Normal matrix in the packed column layout of [`packed_tree_offsets`], and its damped
    /// copy / factor.
    a: Vec<f64>,
    d: Vec<f64>,
    g: Vec<f64>,
    step: Vec<f64>,
    full_step: Vec<f64>,
    frozen: Vec<bool>,
    irls: Vec<f64>,
    src: Vec<DVec3>,
    dst: Vec<DVec3>,
    wts: Vec<f64>,
    sorted: Vec<f64>,
}

/// A ready-to-run solver: a model, the markers bound to one actor's take columns, options.
#[derive(Debug, Clone)]
pub struct IkSolver {
    model: SolverModel,
    markers: Vec<BoundMarker>,
    /// Per marker: range into `chain` (compact DOF indices of the segment's ancestors).
    chain_range: Vec<(usize, usize)>,
    chain: Vec<usize>,
    /// Compact index → model DOF.
    active: Vec<usize>,
    /// Model DOF → whether solved.
    active_mask: Vec<bool>,
    /// Per marker: weight for the initial rigid alignment.
    init_weight: Vec<f64>,
    /// Per joint: markers on the joint's segment or below it, with their depth below it.
    subtree_markers: Vec<Vec<(usize, usize)>>,
    /// Per active DOF: the active DOFs it couples with that have a smaller index (its ancestors'
    /// and its joint's earlier DOFs): the sparsity of the normal matrix.
    pattern: Vec<Vec<usize>>,
    /// Column offsets of the packed normal matrix (see [`packed_tree_offsets`]).
    packed_start: Vec<usize>,
    /// Per active DOF `k`: the later columns `k'` coupling with it and the packed slot of
    /// `A(k, k')` (zeroed, with column `k`, when `k` is frozen on a limit).
    coupled_slots: Vec<Vec<(usize, usize)>>,
    /// Per joint: rest-pose stiffness × lever² (0 = none), from [`SolveOptions::stiffness`].
    stiffness: Vec<f64>,
    options: SolveOptions,
}

/// Result of a batch solve of one actor.
#[derive(Debug, Clone)]
pub struct TakeSolve {
    /// Solved channel values for the model's skeleton (degrees, skeleton unit).
    pub motion: Motion,
    /// Per frame: solved (`true`) or failed (`false`; the pose is held from the last good one).
    pub frame_ok: Vec<bool>,
    /// Residual distance per frame and bound marker (frame-major, mm; NaN where not visible).
    pub residual_mm: Vec<f32>,
    /// Marker names in the column order of `residual_mm`.
    pub marker_names: Vec<String>,
    /// LM iterations per frame.
    pub iterations: Vec<u32>,
}

impl TakeSolve {
    /// Per-marker RMS residual (mm) over frames where the marker was visible and the frame
    /// solved (NaN for a marker never seen).
    pub fn per_marker_rms_mm(&self) -> Vec<f64> {
        let m = self.marker_names.len();
        let mut sum = vec![0.0f64; m];
        let mut cnt = vec![0usize; m];
        for (f, ok) in self.frame_ok.iter().enumerate() {
            if !ok {
                continue;
            }
            for k in 0..m {
                let r = self.residual_mm[f * m + k];
                if r.is_finite() {
                    sum[k] += (r as f64) * (r as f64);
                    cnt[k] += 1;
                }
            }
        }
        sum.iter()
            .zip(&cnt)
            .map(|(s, c)| {
                if *c > 0 {
                    (s / *c as f64).sqrt()
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// `(rms, max)` marker residual over all visible markers of solved frames, mm (NaN when
    /// nothing was solved).
    pub fn marker_rms_max_mm(&self) -> (f64, f64) {
        let m = self.marker_names.len();
        let mut s = 0.0f64;
        let mut n = 0usize;
        let mut mx = f64::NAN;
        for (f, ok) in self.frame_ok.iter().enumerate() {
            if !ok {
                continue;
            }
            for r in &self.residual_mm[f * m..(f + 1) * m] {
                if r.is_finite() {
                    let r = *r as f64;
                    s += r * r;
                    n += 1;
                    mx = if mx.is_nan() { r } else { mx.max(r) };
                }
            }
        }
        if n == 0 {
            (f64::NAN, f64::NAN)
        } else {
            ((s / n as f64).sqrt(), mx)
        }
    }
}

const ROT_LEVER_MM: f64 = 100.0;

impl IkSolver {
    /// Builds a solver for `markers` (bound to take columns) on `model`.
    pub fn new(
        model: SolverModel,
        markers: Vec<BoundMarker>,
        options: SolveOptions,
    ) -> Result<Self, SolverError> {
        if markers.is_empty() {
            return Err(SolverError::TooFewMarkers {
                actor: "the take".into(),
                found: 0,
                wanted: 0,
                needed: 1,
                missing: String::new(),
            });
        }
        let anc = model.ancestor_dofs();
        let mut active_mask = vec![false; model.dof_count];
        for m in &markers {
            if m.segment >= model.joints.len() {
                return Err(SolverError::BadSkeleton(format!(
                    "marker {} names joint index {} of a {}-joint model",
                    m.name,
                    m.segment,
                    model.joints.len()
                )));
            }
            for &d in &anc[m.segment] {
                active_mask[d] = true;
            }
        }
        let active: Vec<usize> = (0..model.dof_count).filter(|d| active_mask[*d]).collect();
        let mut compact = vec![usize::MAX; model.dof_count];
        for (k, d) in active.iter().enumerate() {
            compact[*d] = k;
        }
        let mut chain = Vec::new();
        let mut chain_range = Vec::new();
        let mut init_weight = Vec::new();
        for m in &markers {
            let start = chain.len();
            chain.extend(anc[m.segment].iter().map(|d| compact[*d]));
            chain_range.push((start, chain.len()));
            // Rigid init trusts markers near the root: weight by rotational depth.
            let mut depth = 0usize;
            let mut j = Some(m.segment);
            while let Some(i) = j {
                if model.joints[i].parent.is_some()
                    && !matches!(model.joints[i].rotation, RotationDofs::Fixed)
                {
                    depth += 1;
                }
                j = model.joints[i].parent;
            }
            init_weight.push(m.weight / (1.0 + depth as f64).powi(4));
        }
        let mut subtree_markers = vec![Vec::new(); model.joints.len()];
        for (i, m) in markers.iter().enumerate() {
            let mut j = Some(m.segment);
            let mut depth = 0usize;
            while let Some(k) = j {
                subtree_markers[k].push((i, depth));
                depth += 1;
                j = model.joints[k].parent;
            }
        }
        let mut pattern = Vec::with_capacity(active.len());
        for &d in &active {
            let j = model.dof_joint[d];
            pattern.push(
                anc[j]
                    .iter()
                    .filter(|&&e| e < d && active_mask[e])
                    .map(|&e| compact[e])
                    .collect::<Vec<usize>>(),
            );
        }
        let packed_start = packed_tree_offsets(&pattern).ok_or_else(|| {
            SolverError::BadSkeleton(
                "its joints are not ordered parents first; re-export the skeleton".into(),
            )
        })?;
        let mut coupled_slots = vec![Vec::new(); active.len()];
        for (k2, pat) in pattern.iter().enumerate() {
            for (x, &k) in pat.iter().enumerate() {
                coupled_slots[k].push((k2, packed_start[k2] + x));
            }
        }
        let mut stiffness = vec![0.0; model.joints.len()];
        for st in &options.stiffness {
            if !(st.weight.is_finite() && st.weight >= 0.0) {
                return Err(SolverError::BadSkeleton(format!(
                    "joint stiffness {} on {:?} is not a finite non-negative weight",
                    st.weight, st.joints
                )));
            }
            for (j, joint) in model.joints.iter().enumerate() {
                if joint.parent.is_some()
                    && st
                        .joints
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(&joint.name))
                {
                    stiffness[j] = st.weight * ROT_LEVER_MM * ROT_LEVER_MM;
                }
            }
        }
        Ok(Self {
            stiffness,
            pattern,
            packed_start,
            coupled_slots,
            subtree_markers,
            model,
            markers,
            chain_range,
            chain,
            active,
            active_mask,
            init_weight,
            options,
        })
    }

    /// The model.
    pub fn model(&self) -> &SolverModel {
        &self.model
    }

    /// The bound markers.
    pub fn markers(&self) -> &[BoundMarker] {
        &self.markers
    }

    /// The options.
    pub fn options(&self) -> &SolveOptions {
        &self.options
    }

    /// Per model DOF: whether it is solved (moves at least one bound marker).
    pub fn active_mask(&self) -> &[bool] {
        &self.active_mask
    }

    /// Joints whose world position and rotation are determined by the markers: every DOF of the
    /// joint and of its ancestors is solved.
    pub fn determined_joints(&self) -> Vec<bool> {
        let mut out: Vec<bool> = Vec::with_capacity(self.model.joints.len());
        for joint in &self.model.joints {
            let own =
                (joint.dof_start..joint.dof_start + joint.dof_count).all(|d| self.active_mask[d]);
            let up = joint.parent.map(|p| out[p]).unwrap_or(true);
            out.push(own && up);
        }
        out
    }

    /// Number of solved DOFs (those that move at least one marker).
    pub fn active_dof_count(&self) -> usize {
        self.active.len()
    }

    /// Scratch memory for this solver.
    pub fn workspace(&self) -> Workspace {
        let n = self.active.len();
        let m = self.markers.len();
        let nj = self.model.joints.len();
        let packed = self.packed_start.last().copied().unwrap_or(0);
        let rest = self.model.rest_pose();
        Workspace {
            world: WorldPose::new(self.model.joints.len()),
            dof_axis: vec![DVec3::ZERO; self.model.dof_count],
            dof_pivot: vec![DVec3::ZERO; self.model.dof_count],
            trial: rest.clone(),
            backup: rest,
            observed: vec![DVec3::ZERO; m],
            visible: vec![false; m],
            residual_mm: vec![f64::NAN; m],
            sub_w: vec![0.0; nj],
            sub_q: vec![DVec3::ZERO; nj],
            sub_qq: vec![DMat3::ZERO; nj],
            sub_qr: vec![DVec3::ZERO; nj],
            sub_r: vec![DVec3::ZERO; nj],
            twist_w: vec![DVec3::ZERO; n],
            twist_v: vec![DVec3::ZERO; n],
            a: vec![0.0; packed],
            d: vec![0.0; packed],
            g: vec![0.0; n],
            step: vec![0.0; n],
            full_step: vec![0.0; self.model.dof_count],
            frozen: vec![false; n],
            irls: vec![1.0; m],
            src: Vec::with_capacity(m),
            dst: Vec::with_capacity(m),
            wts: Vec::with_capacity(m),
            sorted: Vec::with_capacity(m),
        }
    }

    /// Loads the observations of `frame` of `take` into `ws` (converted to mm and to the
    /// model's up axis). Gaps and non-finite samples become invisible.
    pub fn load_frame(&self, take: &MarkerTrajectories, frame: usize, ws: &mut Workspace) {
        let k = take.unit.to_mm();
        let pos = take.frame_positions(frame);
        let valid = take.frame_valid(frame);
        let to = self.model.skeleton.up_axis;
        for (i, m) in self.markers.iter().enumerate() {
            let (Some(p), Some(v)) = (pos.get(m.take_index), valid.get(m.take_index)) else {
                ws.visible[i] = false;
                continue;
            };
            let p = [p[0] as f64 * k, p[1] as f64 * k, p[2] as f64 * k];
            let ok = *v && p.iter().all(|c| c.is_finite());
            ws.visible[i] = ok;
            if ok {
                ws.observed[i] = DVec3::from_array(convert_axes(take.up_axis, to, p));
            }
        }
    }

    /// World positions (mm) of every bound marker for `pose`, via `ws`.
    pub fn marker_positions(&self, pose: &Pose, ws: &mut Workspace) -> Vec<DVec3> {
        self.model.forward(pose, &mut ws.world);
        self.markers
            .iter()
            .map(|m| ws.world.position_mm[m.segment] + ws.world.rotation[m.segment] * m.offset_mm)
            .collect()
    }

    /// Analytic Jacobian (3·markers × active DOFs, row-major, mm per mm / mm per radian) of all
    /// bound marker positions at `pose`. For tests and diagnostics; the solve itself never forms
    /// the full matrix.
    pub fn jacobian(&self, pose: &Pose, ws: &mut Workspace) -> Vec<f64> {
        let n = self.active.len();
        let mut jac = vec![0.0; 3 * self.markers.len() * n];
        self.model
            .forward_with_axes(pose, &mut ws.world, &mut ws.dof_axis, &mut ws.dof_pivot);
        for (i, m) in self.markers.iter().enumerate() {
            let p = ws.world.position_mm[m.segment] + ws.world.rotation[m.segment] * m.offset_mm;
            let (s, e) = self.chain_range[i];
            for &k in &self.chain[s..e] {
                let col = self.column(ws, k, p);
                for r in 0..3 {
                    jac[(3 * i + r) * n + k] = col[r];
                }
            }
        }
        jac
    }

    /// Applies a step given per active DOF (see [`SolverModel::apply_step`]).
    pub fn apply_active_step(&self, pose: &mut Pose, step: &[f64], ws: &mut Workspace) {
        self.apply_active_step_into(pose, step, &mut ws.full_step);
    }

    fn apply_active_step_into(&self, pose: &mut Pose, step: &[f64], full_step: &mut [f64]) {
        full_step.iter_mut().for_each(|v| *v = 0.0);
        for (k, d) in self.active.iter().enumerate() {
            full_step[*d] = step[k];
        }
        self.model.apply_step(pose, full_step, &self.active_mask);
    }

    #[inline]
    fn column(&self, ws: &Workspace, k: usize, p: DVec3) -> DVec3 {
        let d = self.active[k];
        if self.model.dof_is_translation[d] {
            ws.dof_axis[d]
        } else {
            ws.dof_axis[d].cross(p - ws.dof_pivot[d])
        }
    }

    /// Robust cost of `pose` (FK into `ws.world`), storing residual distances. Returns
    /// `(cost, markers used)`.
    fn cost(
        &self,
        pose: &Pose,
        prior: Option<&Pose>,
        loss: RobustLoss,
        world: &mut WorldPose,
        residual: &mut [f64],
        observed: &[DVec3],
        visible: &[bool],
    ) -> (f64, usize) {
        self.model.forward(pose, world);
        let mut c = 0.0;
        let mut used = 0;
        for (i, m) in self.markers.iter().enumerate() {
            if !visible[i] {
                residual[i] = f64::NAN;
                continue;
            }
            let p = world.position_mm[m.segment] + world.rotation[m.segment] * m.offset_mm;
            let r = (p - observed[i]).length();
            residual[i] = r;
            c += m.weight * loss.eval(r).0;
            used += 1;
        }
        if let Some(prev) = prior {
            c += self.prior_cost(pose, prev);
        }
        c += self.stiffness_cost(pose);
        (c, used)
    }

    /// Rotation of joint `j` away from rest, per rotation DOF of the joint (radians): the
    /// Euler angles, or a ball joint's rotation vector.
    fn rest_deviation(&self, pose: &Pose, j: usize) -> [f64; 3] {
        match self.model.joints[j].rotation {
            RotationDofs::Fixed => [0.0; 3],
            RotationDofs::Euler { axes, count } => {
                let mut d = [0.0; 3];
                for (k, &a) in axes[..count].iter().enumerate() {
                    d[k] = pose.euler_rad[j][a];
                }
                d
            }
            RotationDofs::Ball => rotation_log(pose.rotation[j]).to_array(),
        }
    }

    fn stiffness_cost(&self, pose: &Pose) -> f64 {
        let mut c = 0.0;
        for (j, &k) in self.stiffness.iter().enumerate() {
            if k > 0.0 {
                let d = self.rest_deviation(pose, j);
                c += 0.5 * k * (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            }
        }
        c
    }

    fn prior_cost(&self, pose: &Pose, prev: &Pose) -> f64 {
        let w = self.options.temporal_weight;
        if w <= 0.0 {
            return 0.0;
        }
        let mut c = 0.0;
        for (j, joint) in self.model.joints.iter().enumerate() {
            let dt = pose.translation_mm[j] - prev.translation_mm[j];
            for a in 0..3 {
                if joint.translation_axes[a] {
                    c += 0.5 * w * dt[a] * dt[a];
                }
            }
            let lever = w * ROT_LEVER_MM * ROT_LEVER_MM;
            match joint.rotation {
                RotationDofs::Fixed => {}
                RotationDofs::Euler { axes, count } => {
                    for &a in &axes[..count] {
                        let d = pose.euler_rad[j][a] - prev.euler_rad[j][a];
                        c += 0.5 * lever * d * d;
                    }
                }
                RotationDofs::Ball => {
                    let v = rotation_log(prev.rotation[j].inverse() * pose.rotation[j]);
                    c += 0.5 * lever * v.length_squared();
                }
            }
        }
        c
    }

    /// One solve of the current frame from `pose`: with `cold`, a plain least-squares solve from
    /// the cold initialisation first, then the robust solve with the temporal prior. Returns the
    /// LM iterations spent.
    fn solve_from(
        &self,
        ws: &mut Workspace,
        pose: &mut Pose,
        prior: Option<&Pose>,
        cold: bool,
    ) -> u32 {
        let mut iterations = 0;
        if cold {
            ws.frozen.iter_mut().for_each(|f| *f = false);
            self.cold_init(ws, pose);
            iterations += self.lm(
                ws,
                pose,
                None,
                RobustLoss::None,
                self.options.cold_iterations,
            );
        }
        iterations
            + self.lm(
                ws,
                pose,
                prior,
                self.options.loss,
                self.options.max_iterations,
            )
    }

    /// Solves one frame whose observations are already in `ws` (see [`Self::load_frame`]).
    /// `pose` holds the warm start on entry (ignored when `cold`) and the solution on exit;
    /// `prior` is the previous frame's solution for the temporal term.
    pub fn solve_frame(
        &self,
        ws: &mut Workspace,
        pose: &mut Pose,
        prior: Option<&Pose>,
        cold: bool,
    ) -> FrameReport {
        let visible = ws.visible.iter().filter(|v| **v).count();
        if visible < self.options.min_markers.max(1) {
            ws.residual_mm.iter_mut().for_each(|r| *r = f64::NAN);
            return FrameReport {
                ok: false,
                iterations: 0,
                rms_mm: f64::NAN,
                markers_used: visible,
            };
        }
        let mut iterations = 0u32;
        iterations += self.solve_from(ws, pose, prior, cold);
        let mut median = self.median_residual(ws);
        let bad = median.is_nan() || median > self.options.fail_median_mm;
        if !cold && bad {
            // Warm start went wrong (fast motion, swaps): retry cold, keep the better.
            ws.backup.copy_from(pose);
            let keep_median = median;
            iterations += self.solve_from(ws, pose, prior, true);
            median = self.median_residual(ws);
            if median.is_nan() || median >= keep_median {
                pose.copy_from(&ws.backup);
                median = keep_median;
                let (obs, vis) = (
                    std::mem::take(&mut ws.observed),
                    std::mem::take(&mut ws.visible),
                );
                self.cost(
                    pose,
                    None,
                    RobustLoss::None,
                    &mut ws.world,
                    &mut ws.residual_mm,
                    &obs,
                    &vis,
                );
                ws.observed = obs;
                ws.visible = vis;
            }
        }
        let mut s = 0.0;
        let mut n = 0usize;
        for r in &ws.residual_mm {
            if r.is_finite() {
                s += r * r;
                n += 1;
            }
        }
        FrameReport {
            ok: median <= self.options.fail_median_mm,
            iterations,
            rms_mm: if n > 0 {
                (s / n as f64).sqrt()
            } else {
                f64::NAN
            },
            markers_used: n,
        }
    }

    fn median_residual(&self, ws: &mut Workspace) -> f64 {
        ws.sorted.clear();
        ws.sorted
            .extend(ws.residual_mm.iter().copied().filter(|r| r.is_finite()));
        if ws.sorted.is_empty() {
            return f64::NAN;
        }
        ws.sorted.sort_by(|a, b| a.total_cmp(b));
        ws.sorted[ws.sorted.len() / 2]
    }

    /// Cold start: rest pose with the root placed by a rigid fit of the markers (weighted
    /// towards those near the root).
    fn cold_init(&self, ws: &mut Workspace, pose: &mut Pose) {
        for (j, joint) in self.model.joints.iter().enumerate() {
            pose.translation_mm[j] = joint.translation_mm;
            pose.rotation[j] = DQuat::IDENTITY;
            pose.euler_rad[j] = [0.0; 3];
        }
        self.model.forward(pose, &mut ws.world);
        ws.src.clear();
        ws.dst.clear();
        ws.wts.clear();
        for (i, m) in self.markers.iter().enumerate() {
            if ws.visible[i] {
                ws.src.push(
                    ws.world.position_mm[m.segment] + ws.world.rotation[m.segment] * m.offset_mm,
                );
                ws.dst.push(ws.observed[i]);
                ws.wts.push(self.init_weight[i]);
            }
        }
        let Some((q, t)) = rigid_fit(&ws.src, &ws.dst, &ws.wts) else {
            return;
        };
        for (j, joint) in self.model.joints.iter().enumerate() {
            if joint.parent.is_some() {
                continue;
            }
            // New world = q·old world: adjust the root's channel rotation and translation.
            let old = joint.rest_rotation * pose.rotation[j];
            let target = q * old;
            let chan = joint.rest_rotation.inverse() * target;
            match joint.rotation {
                RotationDofs::Ball => pose.rotation[j] = chan.normalize(),
                RotationDofs::Euler { axes, count } => {
                    let deg = joint.rotation_order.from_quat(chan);
                    for &a in &axes[..count] {
                        pose.euler_rad[j][a] = deg[a].to_radians();
                    }
                    pose.rotation[j] =
                        crate::model::euler_to_quat(joint.rotation_order, pose.euler_rad[j]);
                }
                RotationDofs::Fixed => {}
            }
            let p = q * pose.translation_mm[j] + t;
            for a in 0..3 {
                if joint.translation_axes[a] {
                    pose.translation_mm[j][a] = p[a];
                }
            }
        }
        // Then, parents first, turn each joint so its subtree's markers point the right way
        // (rotation about the joint; handles rest T-poses against arms-down captures).
        for (j, joint) in self.model.joints.iter().enumerate() {
            let Some(parent) = joint.parent else {
                continue;
            };
            if matches!(joint.rotation, RotationDofs::Fixed) || self.subtree_markers[j].len() < 2 {
                continue;
            }
            self.model.forward(pose, &mut ws.world);
            let pivot = ws.world.position_mm[j];
            ws.src.clear();
            ws.dst.clear();
            ws.wts.clear();
            for &(i, depth) in &self.subtree_markers[j] {
                if !ws.visible[i] {
                    continue;
                }
                let m = &self.markers[i];
                let p =
                    ws.world.position_mm[m.segment] + ws.world.rotation[m.segment] * m.offset_mm;
                ws.src.push(p - pivot);
                ws.dst.push(ws.observed[i] - pivot);
                ws.wts.push(m.weight / (1.0 + depth as f64));
            }
            let Some(r) = rotation_fit(&ws.src, &ws.dst, &ws.wts) else {
                continue;
            };
            let frame = ws.world.rotation[parent] * joint.rest_rotation;
            let chan = (frame.inverse() * r * frame * pose.rotation[j]).normalize();
            match joint.rotation {
                RotationDofs::Ball => {
                    pose.rotation[j] = chan;
                    self.model.project_ball(j, pose);
                }
                RotationDofs::Euler { axes, count } => {
                    let deg = joint.rotation_order.from_quat(chan);
                    let mut e = [0.0; 3];
                    for &a in &axes[..count] {
                        let mut v = deg[a].to_radians();
                        if let Some((lo, hi)) = joint.limits_rad[a] {
                            // Start a little inside the range: a DOF starting on its limit
                            // is frozen there by the first step and can lock a limb into a
                            // twisted local minimum (a straight knee that should bend).
                            let margin = (0.1 * (hi - lo)).min(15f64.to_radians());
                            v = if hi - lo > 2.0 * margin {
                                v.clamp(lo + margin, hi - margin)
                            } else {
                                v.clamp(lo, hi)
                            };
                        }
                        e[a] = v;
                    }
                    pose.euler_rad[j] = e;
                    pose.rotation[j] = crate::model::euler_to_quat(joint.rotation_order, e);
                }
                RotationDofs::Fixed => {}
            }
        }
    }

    /// Levenberg–Marquardt with IRLS; returns iterations used.
    fn lm(
        &self,
        ws: &mut Workspace,
        pose: &mut Pose,
        prior: Option<&Pose>,
        loss: RobustLoss,
        max_iterations: usize,
    ) -> u32 {
        let n = self.active.len();
        if n == 0 {
            return 0;
        }
        let observed = std::mem::take(&mut ws.observed);
        let visible = std::mem::take(&mut ws.visible);
        let (mut cost, _) = self.cost(
            pose,
            prior,
            loss,
            &mut ws.world,
            &mut ws.residual_mm,
            &observed,
            &visible,
        );
        let mut lambda = 1e-3;
        let mut iters = 0u32;
        // Whether `ws.residual_mm` holds the residuals of `pose` (not of a rejected trial).
        let mut residuals_current = true;
        for _ in 0..max_iterations {
            iters += 1;
            self.build_normal_equations(ws, pose, prior, loss, &observed, &visible);
            // Start from the DOFs resting on a limit that were frozen before (the previous
            // iteration's or frame's active set) or that the gradient pushes past: usually the
            // final active set, so one factorisation per iteration.
            for k in 0..n {
                ws.frozen[k] = match self.model.at_limit(pose, self.active[k]) {
                    Some(side) => ws.frozen[k] || (side as f64) * -ws.g[k] > 0.0,
                    None => false,
                };
            }
            let mut accepted = false;
            let mut max_step = 0.0f64;
            for _try in 0..8 {
                // Active set: DOFs on a limit whose step would push further out are frozen and
                // the step recomputed (a few rounds at most).
                let mut solved = false;
                for _round in 0..4 {
                    if !self.damped_step(ws, lambda) {
                        break;
                    }
                    solved = true;
                    let mut changed = false;
                    for k in 0..n {
                        let Some(side) = self.model.at_limit(pose, self.active[k]) else {
                            continue;
                        };
                        let side = side as f64;
                        if !ws.frozen[k] {
                            if side * ws.step[k] > 0.0 {
                                ws.frozen[k] = true;
                                changed = true;
                            }
                        } else if side * -self.model_gradient(ws, k) < 0.0 {
                            // The damped model at the step pulls this DOF off its limit.
                            ws.frozen[k] = false;
                            changed = true;
                        }
                    }
                    if !changed {
                        break;
                    }
                }
                if !solved {
                    lambda *= 10.0;
                    continue;
                }
                max_step = 0.0;
                for k in 0..n {
                    let s = if self.model.dof_is_translation[self.active[k]] {
                        ws.step[k].abs()
                    } else {
                        ws.step[k].abs() * ROT_LEVER_MM
                    };
                    max_step = max_step.max(s);
                }
                ws.trial.copy_from(pose);
                self.apply_active_step_into(&mut ws.trial, &ws.step, &mut ws.full_step);
                let (c, _) = self.cost(
                    &ws.trial,
                    prior,
                    loss,
                    &mut ws.world,
                    &mut ws.residual_mm,
                    &observed,
                    &visible,
                );
                residuals_current = c <= cost;
                if c <= cost {
                    pose.copy_from(&ws.trial);
                    let rel = (cost - c) / cost.max(1e-30);
                    cost = c;
                    lambda = (lambda * 0.1).max(1e-9);
                    accepted = true;
                    if rel < self.options.cost_tolerance {
                        max_step = 0.0;
                    }
                    break;
                }
                if max_step < self.options.step_tolerance_mm {
                    // A step below the tolerance that does not lower the cost: converged.
                    break;
                }
                lambda *= 10.0;
            }
            if !accepted || max_step < self.options.step_tolerance_mm {
                break;
            }
        }
        // Residuals for the final pose (plain distances, no temporal term needed).
        if !residuals_current {
            self.cost(
                pose,
                None,
                RobustLoss::None,
                &mut ws.world,
                &mut ws.residual_mm,
                &observed,
                &visible,
            );
        }
        ws.observed = observed;
        ws.visible = visible;
        iters
    }

    /// Row `k` of the damped model's gradient at `ws.step`: `((A + λ·diag(A))·h + g)_k`, for a
    /// frozen DOF `k` (`h_k = 0`, so the damped diagonal does not contribute).
    fn model_gradient(&self, ws: &Workspace, k: usize) -> f64 {
        let s = self.packed_start[k];
        let mut r = ws.g[k];
        for (&l, &a) in self.pattern[k].iter().zip(&ws.a[s..]) {
            r += a * ws.step[l];
        }
        for &(k2, slot) in &self.coupled_slots[k] {
            r += ws.a[slot] * ws.step[k2];
        }
        r
    }

    /// Solves the damped normal equations for `ws.step` (frozen DOFs get 0). `false` when the
    /// matrix is not positive definite or the step not finite.
    fn damped_step(&self, ws: &mut Workspace, lambda: f64) -> bool {
        let n = self.active.len();
        ws.d.copy_from_slice(&ws.a);
        for k in 0..n {
            let s = self.packed_start[k];
            let diag = s + self.pattern[k].len();
            let v = ws.d[diag];
            ws.d[diag] = v + lambda * v + 1e-9;
            if ws.frozen[k] {
                ws.d[s..diag].iter_mut().for_each(|v| *v = 0.0);
                for &(_, slot) in &self.coupled_slots[k] {
                    ws.d[slot] = 0.0;
                }
                ws.d[diag] = 1.0;
            }
        }
        if !packed_tree_cholesky(&mut ws.d, &self.packed_start, &self.pattern) {
            return false;
        }
        for k in 0..n {
            ws.step[k] = if ws.frozen[k] { 0.0 } else { -ws.g[k] };
        }
        packed_tree_cholesky_solve(&ws.d, &self.packed_start, &self.pattern, &mut ws.step);
        ws.step.iter().all(|v| v.is_finite())
    }

    /// Fills `ws.a` (upper triangle of `JᵀΩJ` + temporal term) and `ws.g` (`JᵀΩr` + temporal
    /// gradient) at `pose`.
    fn build_normal_equations(
        &self,
        ws: &mut Workspace,
        pose: &Pose,
        prior: Option<&Pose>,
        loss: RobustLoss,
        observed: &[DVec3],
        visible: &[bool],
    ) {
        // Every Jacobian column is a twist `(ω, v)` applied to the marker position `q`:
        // `ω × q + v` (rotation DOF: `ω` its world axis, `v = pivot × ω`; translation: `ω = 0`,
        // `v` its axis). A marker moves with the DOFs of its segment's ancestors, so
        // `A(l, k) = Σ_{markers below k's joint} w·(ω_l × q + v_l)·(ω_k × q + v_k)`, which
        // needs only the per-joint subtree moments `Σw`, `Σw·q`, `Σw·q·qᵀ` (and `Σw·q×r`,
        // `Σw·r` for the gradient): O(markers + DOFs × depth), without forming J.
        let n = self.active.len();
        let nj = self.model.joints.len();
        self.model
            .forward_with_axes(pose, &mut ws.world, &mut ws.dof_axis, &mut ws.dof_pivot);
        // Positions relative to the root keep the moments well conditioned.
        let origin = ws.world.position_mm.first().copied().unwrap_or(DVec3::ZERO);
        ws.sub_w.iter_mut().for_each(|v| *v = 0.0);
        ws.sub_q.iter_mut().for_each(|v| *v = DVec3::ZERO);
        ws.sub_qq.iter_mut().for_each(|v| *v = DMat3::ZERO);
        ws.sub_qr.iter_mut().for_each(|v| *v = DVec3::ZERO);
        ws.sub_r.iter_mut().for_each(|v| *v = DVec3::ZERO);
        for (i, m) in self.markers.iter().enumerate() {
            if !visible[i] {
                continue;
            }
            let p = ws.world.position_mm[m.segment] + ws.world.rotation[m.segment] * m.offset_mm;
            let r = p - observed[i];
            let w = m.weight * loss.eval(r.length()).1;
            ws.irls[i] = w;
            if w <= 0.0 {
                continue;
            }
            let s = m.segment;
            let q = p - origin;
            let wq = q * w;
            ws.sub_w[s] += w;
            ws.sub_q[s] += wq;
            ws.sub_qq[s] += DMat3::from_cols(wq * q.x, wq * q.y, wq * q.z);
            ws.sub_qr[s] += wq.cross(r);
            ws.sub_r[s] += r * w;
        }
        // Children follow their parents: fold subtrees upwards in reverse order.
        for j in (0..nj).rev() {
            if let Some(p) = self.model.joints[j].parent {
                let (w, q, qq, qr, r) = (
                    ws.sub_w[j],
                    ws.sub_q[j],
                    ws.sub_qq[j],
                    ws.sub_qr[j],
                    ws.sub_r[j],
                );
                ws.sub_w[p] += w;
                ws.sub_q[p] += q;
                ws.sub_qq[p] += qq;
                ws.sub_qr[p] += qr;
                ws.sub_r[p] += r;
            }
        }
        for k in 0..n {
            let d = self.active[k];
            let j = self.model.dof_joint[d];
            let axis = ws.dof_axis[d];
            let (tw, tv) = if self.model.dof_is_translation[d] {
                (DVec3::ZERO, axis)
            } else {
                (axis, (ws.dof_pivot[d] - origin).cross(axis))
            };
            ws.twist_w[k] = tw;
            ws.twist_v[k] = tv;
            let (sw, sq, sqq) = (ws.sub_w[j], ws.sub_q[j], ws.sub_qq[j]);
            // M·ξ with M = Σ w·[−[q]×, I]ᵀ[−[q]×, I].
            let trace = sqq.x_axis.x + sqq.y_axis.y + sqq.z_axis.z;
            let top = tw * trace - sqq * tw + sq.cross(tv);
            let bot = tw.cross(sq) + tv * sw;
            let s = self.packed_start[k];
            let pat = &self.pattern[k];
            for (x, &l) in pat.iter().enumerate() {
                ws.a[s + x] = ws.twist_w[l].dot(top) + ws.twist_v[l].dot(bot);
            }
            ws.a[s + pat.len()] = tw.dot(top) + tv.dot(bot);
            ws.g[k] = tw.dot(ws.sub_qr[j]) + tv.dot(ws.sub_r[j]);
        }
        if let Some(prev) = prior
            && self.options.temporal_weight > 0.0
        {
            let w = self.options.temporal_weight;
            let lever = w * ROT_LEVER_MM * ROT_LEVER_MM;
            for (k, &d) in self.active.iter().enumerate() {
                let j = self.model.dof_joint[d];
                let joint = &self.model.joints[j];
                let local = d - joint.dof_start;
                let tcount = joint.translation_dof_count();
                let (weight, diff) = if local < tcount {
                    let axis = (0..3)
                        .filter(|a| joint.translation_axes[*a])
                        .nth(local)
                        .unwrap_or(0);
                    (
                        w,
                        pose.translation_mm[j][axis] - prev.translation_mm[j][axis],
                    )
                } else {
                    let r = local - tcount;
                    match joint.rotation {
                        RotationDofs::Euler { axes, .. } => (
                            lever,
                            pose.euler_rad[j][axes[r]] - prev.euler_rad[j][axes[r]],
                        ),
                        RotationDofs::Ball => {
                            let v = rotation_log(prev.rotation[j].inverse() * pose.rotation[j]);
                            (lever, v[r])
                        }
                        RotationDofs::Fixed => (0.0, 0.0),
                    }
                };
                ws.a[self.packed_start[k] + self.pattern[k].len()] += weight;
                ws.g[k] += weight * diff;
            }
        }
        for (k, &d) in self.active.iter().enumerate() {
            let j = self.model.dof_joint[d];
            let stiff = self.stiffness[j];
            if stiff <= 0.0 {
                continue;
            }
            let joint = &self.model.joints[j];
            let Some(r) = (d - joint.dof_start).checked_sub(joint.translation_dof_count()) else {
                continue;
            };
            let dev = self.rest_deviation(pose, j);
            ws.a[self.packed_start[k] + self.pattern[k].len()] += stiff;
            ws.g[k] += stiff * dev[r.min(2)];
        }
    }

    /// Solves every frame of `take` for this actor (see the module docs for chunking). `progress`
    /// is called with the number of frames finished so far after each chunk.
    pub fn solve_take(
        &self,
        take: &MarkerTrajectories,
        progress: Option<&(dyn Fn(usize) + Sync)>,
    ) -> Result<TakeSolve, SolverError> {
        self.solve_take_cancellable(take, progress, None)
    }

    /// [`Self::solve_take`] that stops early with [`SolverError::Cancelled`] once `cancel` is
    /// set (checked before each chunk; chunks already running finish).
    pub fn solve_take_cancellable(
        &self,
        take: &MarkerTrajectories,
        progress: Option<&(dyn Fn(usize) + Sync)>,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<TakeSolve, SolverError> {
        let cancelled = || cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
        let frames = take.frame_count();
        let cpf = self.model.skeleton.channel_count();
        let chunk = self.options.chunk_frames.max(1);
        let chunks = frames.div_ceil(chunk);
        let done = std::sync::atomic::AtomicUsize::new(0);
        let run = |c: usize| {
            if cancelled() {
                return None;
            }
            let out = self.solve_chunk(take, c * chunk, ((c + 1) * chunk).min(frames));
            let d =
                done.fetch_add(out.ok.len(), std::sync::atomic::Ordering::Relaxed) + out.ok.len();
            if let Some(p) = progress {
                p(d);
            }
            Some(out)
        };
        let parts: Vec<Option<ChunkOut>> = if self.options.parallel {
            (0..chunks).into_par_iter().map(run).collect()
        } else {
            (0..chunks).map(run).collect()
        };
        let Some(parts) = parts.into_iter().collect::<Option<Vec<ChunkOut>>>() else {
            return Err(SolverError::Cancelled);
        };
        let mut motion = Motion {
            rate: take.rate,
            frame_time_s: take.rate.frame_duration_s(),
            channels_per_frame: cpf,
            values: Vec::with_capacity(frames * cpf),
        };
        let mut frame_ok = Vec::with_capacity(frames);
        let mut residual_mm = Vec::with_capacity(frames * self.markers.len());
        let mut iterations = Vec::with_capacity(frames);
        for p in parts {
            motion.values.extend_from_slice(&p.values);
            frame_ok.extend_from_slice(&p.ok);
            residual_mm.extend_from_slice(&p.residual);
            iterations.extend_from_slice(&p.iterations);
        }
        // Unwrap ball-joint Euler angles across chunk boundaries (the same in serial and
        // parallel: done after assembly).
        unwrap_angles(&self.model, &mut motion);
        Ok(TakeSolve {
            motion,
            frame_ok,
            residual_mm,
            marker_names: self.markers.iter().map(|m| m.name.clone()).collect(),
            iterations,
        })
    }

    /// `out = b ⊕ (b ⊖ a)`: one more step of the motion from `a` to `b` (translations and Euler
    /// angles linearly, quaternions by the same relative rotation), within the joint limits.
    pub fn extrapolate(&self, a: &Pose, b: &Pose, out: &mut Pose) {
        for (j, joint) in self.model.joints.iter().enumerate() {
            out.translation_mm[j] = b.translation_mm[j] * 2.0 - a.translation_mm[j];
            match joint.rotation {
                RotationDofs::Fixed => out.rotation[j] = b.rotation[j],
                RotationDofs::Euler { axes, count } => {
                    let mut e = b.euler_rad[j];
                    for &ax in &axes[..count] {
                        let mut v = 2.0 * b.euler_rad[j][ax] - a.euler_rad[j][ax];
                        if let Some((lo, hi)) = joint.limits_rad[ax] {
                            v = v.clamp(lo, hi);
                        }
                        e[ax] = v;
                    }
                    out.euler_rad[j] = e;
                    out.rotation[j] = crate::model::euler_to_quat(joint.rotation_order, e);
                }
                RotationDofs::Ball => {
                    let delta = a.rotation[j].inverse() * b.rotation[j];
                    out.rotation[j] = (b.rotation[j] * delta).normalize();
                    self.model.project_ball(j, out);
                }
            }
        }
    }

    fn solve_chunk(&self, take: &MarkerTrajectories, start: usize, end: usize) -> ChunkOut {
        let cpf = self.model.skeleton.channel_count();
        let m = self.markers.len();
        let mut ws = self.workspace();
        let mut pose = self.model.rest_pose();
        let mut prev = self.model.rest_pose();
        let mut prev2 = self.model.rest_pose();
        let mut have_prev = false;
        let mut have_prev2 = false;
        let mut out = ChunkOut {
            values: vec![0.0; (end - start) * cpf],
            ok: Vec::with_capacity(end - start),
            residual: Vec::with_capacity((end - start) * m),
            iterations: Vec::with_capacity(end - start),
        };
        let mut last_channels = vec![0.0f32; cpf];
        let first = start.saturating_sub(self.options.warmup_frames);
        for f in first..end {
            self.load_frame(take, f, &mut ws);
            let cold = !have_prev;
            if have_prev && have_prev2 {
                // Warm start by constant-velocity extrapolation of the last two solutions.
                self.extrapolate(&prev2, &prev, &mut pose);
            }
            let prior = (have_prev && self.options.temporal_weight > 0.0).then_some(&prev);
            let rep = self.solve_frame(&mut ws, &mut pose, prior, cold);
            if rep.ok {
                prev2.copy_from(&prev);
                have_prev2 = have_prev;
                prev.copy_from(&pose);
                have_prev = true;
            } else {
                // Hold the last good pose; the next frame restarts cold.
                if have_prev {
                    pose.copy_from(&prev);
                }
                have_prev = false;
                have_prev2 = false;
            }
            if f >= start {
                let i = f - start;
                let slot = &mut out.values[i * cpf..(i + 1) * cpf];
                slot.copy_from_slice(&last_channels);
                self.model.write_channels(&pose, slot);
                last_channels.copy_from_slice(slot);
                out.ok.push(rep.ok);
                out.iterations.push(rep.iterations);
                out.residual.extend(
                    ws.residual_mm
                        .iter()
                        .map(|r| if rep.ok { *r as f32 } else { f32::NAN }),
                );
            }
        }
        out
    }
}

struct ChunkOut {
    values: Vec<f32>,
    ok: Vec<bool>,
    residual: Vec<f32>,
    iterations: Vec<u32>,
}

/// Rotation vector (axis × angle, radians) of a unit quaternion, shortest path.
pub fn rotation_log(q: DQuat) -> DVec3 {
    let q = if q.w < 0.0 { -q } else { q };
    let v = DVec3::new(q.x, q.y, q.z);
    let s = v.length();
    if s < 1e-12 {
        return v * 2.0;
    }
    let angle = 2.0 * s.atan2(q.w);
    v * (angle / s)
}

/// Converts a point between up-axis conventions (right-handed, rotation about X).
#[inline]
pub fn convert_axes(from: UpAxis, to: UpAxis, p: [f64; 3]) -> [f64; 3] {
    from.convert_point(to, p)
}

/// Makes every rotation channel continuous over time (±360° jumps removed).
pub fn unwrap_angles(model: &SolverModel, motion: &mut Motion) {
    let cpf = motion.channels_per_frame;
    if cpf == 0 {
        return;
    }
    let frames = motion.frame_count();
    for joint in &model.joints {
        for (k, c) in joint.channels.iter().enumerate() {
            if !c.is_rotation() {
                continue;
            }
            let col = joint.channel_start + k;
            for f in 1..frames {
                let prev = motion.values[(f - 1) * cpf + col] as f64;
                let v = motion.values[f * cpf + col] as f64;
                let w = v + ((prev - v) / 360.0).round() * 360.0;
                motion.values[f * cpf + col] = w as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::test_skeleton;

    /// The subtree-moment normal equations equal `JᵀWJ` and `JᵀWr` formed from the explicit
    /// Jacobian (robust weights included), in the packed layout.
    #[test]
    fn normal_equations_match_the_explicit_jacobian() {
        let sk = test_skeleton();
        let model = SolverModel::new(&sk, &Default::default()).expect("model");
        let offsets = [
            (0, DVec3::new(30.0, 10.0, -20.0)),
            (0, DVec3::new(-40.0, 5.0, 25.0)),
            (1, DVec3::new(10.0, 60.0, 5.0)),
            (2, DVec3::new(-15.0, 120.0, 30.0)),
            (2, DVec3::new(20.0, 90.0, -10.0)),
            (3, DVec3::new(5.0, -80.0, 12.0)),
            (3, DVec3::new(-25.0, -140.0, 0.0)),
        ];
        let markers: Vec<BoundMarker> = offsets
            .iter()
            .enumerate()
            .map(|(i, (seg, off))| BoundMarker {
                name: format!("M{i}"),
                take_index: i,
                segment: *seg,
                offset_mm: *off,
                weight: 1.0 + 0.25 * i as f64,
            })
            .collect();
        let opts = SolveOptions {
            temporal_weight: 0.0,
            ..SolveOptions::default()
        };
        let s = IkSolver::new(model.clone(), markers, opts).expect("solver");
        let mut ws = s.workspace();
        let mut pose = model.rest_pose();
        let channels = [
            150.0f32, 90.0, -220.0, 30.0, -20.0, 10.0, 40.0, -15.0, 60.0, 25.0, 35.0, -45.0,
        ];
        model.set_pose_from_channels(&channels, &mut pose);
        // Observations: the model's markers displaced by a few cm (one far off: robust weight).
        let exact = s.marker_positions(&pose, &mut ws);
        let observed: Vec<DVec3> = exact
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let k = i as f64;
                *p + DVec3::new(3.0 * k - 7.0, 11.0 - 2.0 * k, if i == 4 { 90.0 } else { k })
            })
            .collect();
        let visible: Vec<bool> = (0..observed.len()).map(|i| i != 1).collect();
        let loss = RobustLoss::Cauchy { scale_mm: 25.0 };
        s.build_normal_equations(&mut ws, &pose, None, loss, &observed, &visible);
        let n = s.active_dof_count();
        let jac = s.jacobian(&pose, &mut ws);
        for k in 0..n {
            let mut g = 0.0;
            for (i, m) in s.markers().iter().enumerate() {
                if !visible[i] {
                    continue;
                }
                let r = exact[i] - observed[i];
                let w = m.weight * loss.eval(r.length()).1;
                for c in 0..3 {
                    g += w * jac[(3 * i + c) * n + k] * r[c];
                }
            }
            assert!((g - ws.g[k]).abs() <= 1e-9 * g.abs().max(1.0), "g[{k}]");
            let pat = &s.pattern[k];
            for (x, &l) in pat.iter().chain(std::iter::once(&k)).enumerate() {
                let mut a = 0.0;
                for (i, m) in s.markers().iter().enumerate() {
                    if !visible[i] {
                        continue;
                    }
                    let r = exact[i] - observed[i];
                    let w = m.weight * loss.eval(r.length()).1;
                    for c in 0..3 {
                        a += w * jac[(3 * i + c) * n + k] * jac[(3 * i + c) * n + l];
                    }
                }
                let got = ws.a[s.packed_start[k] + x];
                assert!(
                    (a - got).abs() <= 1e-9 * a.abs().max(1.0),
                    "A({l}, {k}) = {got}, explicit {a}"
                );
            }
            // Entries outside the pattern are structurally zero.
            for l in 0..k {
                if pat.contains(&l) {
                    continue;
                }
                let a: f64 = (0..3 * s.markers().len())
                    .map(|row| jac[row * n + k] * jac[row * n + l])
                    .sum();
                assert_eq!(a, 0.0, "A({l}, {k}) outside the pattern");
            }
        }
    }
}
