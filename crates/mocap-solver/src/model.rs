//! The solver's skeleton model: degrees of freedom, forward kinematics and the analytic Jacobian.
//!
//! A [`SolverModel`] is built from a [`mocap_data::Skeleton`] (read from ASF, BVH or a template).
//! Internally everything is `f64` and **millimetres**; the world axes are the skeleton's (its
//! [`mocap_data::UpAxis`]).
//!
//! Degrees of freedom per joint, from the skeleton's channels:
//! - translation: the position channels of the root, and of other joints listed in
//!   [`ModelOptions::translation_joints`] (BVH exports where the hips, not the root, move);
//!   other position channels stay fixed at their [`ModelJoint::translation_mm`];
//! - 3 rotation channels → a *ball* joint parametrised by a quaternion updated with incremental
//!   rotation vectors (no gimbal lock); converted back to the skeleton's Euler order on output;
//! - 1 or 2 rotation channels → hinge / universal joints parametrised by their Euler angles
//!   directly (exactly the skeleton's channels);
//! - limits (degrees in the skeleton, radians here) where the skeleton has them (ASF), on
//!   Euler joints only: a ball joint's per-axis Euler limits are ill-posed near gimbal lock and
//!   are dropped.
//!
//! Local transform, as in [`mocap_data::fk`]: `T(translation) · rest_rotation · R(channels)`.

use crate::error::SolverError;
use mocap_data::{Channel, DQuat, DVec3, Motion, RotationOrder, Skeleton};

/// How a joint's rotation is parametrised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationDofs {
    /// No rotation channel: the joint is rigid relative to its parent.
    Fixed,
    /// One or two rotation channels — or three whose limits keep the middle angle within ±85°,
    /// so gimbal lock cannot occur — as Euler angles about `axes[..count]` (0 = X, 1 = Y,
    /// 2 = Z), composed in that order (the skeleton's rotation order, absent axes skipped).
    Euler {
        /// Axis indices in composition order.
        axes: [usize; 3],
        /// Number of angles (1 or 2).
        count: usize,
    },
    /// Three rotation channels without such limits: a quaternion, updated by rotation vectors
    /// in the joint frame (no gimbal lock anywhere).
    Ball,
}

/// One joint of the solver model.
#[derive(Debug, Clone)]
pub struct ModelJoint {
    /// Joint (segment) name, as in the skeleton.
    pub name: String,
    /// Parent joint index (parents precede children); `None` for a root.
    pub parent: Option<usize>,
    /// Fixed local translation from the parent (mm, parent joint frame): the skeleton's offset,
    /// used on every axis that is not a solved translation DOF.
    pub translation_mm: DVec3,
    /// Rest orientation relative to the parent frame.
    pub rest_rotation: DQuat,
    /// Rotation parametrisation.
    pub rotation: RotationDofs,
    /// Which translation axes (parent frame) are solved DOFs.
    pub translation_axes: [bool; 3],
    /// Index of this joint's first DOF in the model's parameter vector.
    pub dof_start: usize,
    /// Number of DOFs (translation first, then rotation).
    pub dof_count: usize,
    /// The skeleton's Euler composition order (used to convert ball joints to channels).
    pub rotation_order: RotationOrder,
    /// Rotation limits per axis `[x, y, z]` in **radians**, `None` where unlimited (always
    /// `None` on [`RotationDofs::Ball`] joints).
    pub limits_rad: [Option<(f64, f64)>; 3],
    /// The skeleton's channels of this joint, in motion-frame order.
    pub channels: Vec<Channel>,
    /// Index of this joint's first channel in a motion frame.
    pub channel_start: usize,
    /// Bone end used to place markers "along" the segment (mm, joint frame): the first child's
    /// translation, else the end site, else zero.
    pub bone_end_mm: DVec3,
}

impl ModelJoint {
    /// Number of translation DOFs (0–3).
    pub fn translation_dof_count(&self) -> usize {
        self.translation_axes.iter().filter(|a| **a).count()
    }
}

/// Choices made when turning a skeleton into a model.
#[derive(Debug, Clone, Default)]
pub struct ModelOptions {
    /// Names of non-root joints whose position channels are solved too (e.g. `Hips` in BVH
    /// exports whose root is a static ground node). Roots always have their position channels
    /// solved. See [`moving_translation_joints`].
    pub translation_joints: Vec<String>,
}

/// The solver's kinematic model of one skeleton (millimetres, f64).
#[derive(Debug, Clone)]
pub struct SolverModel {
    /// Joints, parents before children (same indices as the source skeleton).
    pub joints: Vec<ModelJoint>,
    /// Total DOFs (length of the parameter vector).
    pub dof_count: usize,
    /// Millimetres per skeleton length unit (for channel conversion).
    pub unit_mm: f64,
    /// The skeleton this model was built from (kept for output and FK of reference motions).
    pub skeleton: Skeleton,
    /// Per DOF: the joint it belongs to.
    pub dof_joint: Vec<usize>,
    /// Per DOF: `true` for a translation DOF.
    pub dof_is_translation: Vec<bool>,
}

/// A pose of a [`SolverModel`]: local joint state.
#[derive(Debug, Clone, PartialEq)]
pub struct Pose {
    /// Local translation per joint (mm, parent frame); fixed joints keep their offset.
    pub translation_mm: Vec<DVec3>,
    /// Local channel rotation `R(channels)` per joint (rest rotation not included).
    pub rotation: Vec<DQuat>,
    /// Euler angles per joint `[x, y, z]` in radians, meaningful for [`RotationDofs::Euler`]
    /// joints (kept in sync with `rotation`).
    pub euler_rad: Vec<[f64; 3]>,
}

impl Pose {
    /// Copies `other` into `self` without allocating (same model).
    pub fn copy_from(&mut self, other: &Pose) {
        self.translation_mm.copy_from_slice(&other.translation_mm);
        self.rotation.copy_from_slice(&other.rotation);
        self.euler_rad.copy_from_slice(&other.euler_rad);
    }
}

/// World transforms of every joint (mm, skeleton world axes).
#[derive(Debug, Clone)]
pub struct WorldPose {
    /// World rotation of each joint frame.
    pub rotation: Vec<DQuat>,
    /// World position of each joint origin, mm.
    pub position_mm: Vec<DVec3>,
}

impl WorldPose {
    /// World transforms for `n` joints, all identity.
    pub fn new(n: usize) -> Self {
        Self {
            rotation: vec![DQuat::IDENTITY; n],
            position_mm: vec![DVec3::ZERO; n],
        }
    }
}

/// Names of joints (other than roots) whose position channels vary by more than `tolerance`
/// (skeleton unit) over `motion`: their translation should be solved (e.g. `Hips` under a static
/// `joint_Root`).
pub fn moving_translation_joints(
    skeleton: &Skeleton,
    motion: &Motion,
    tolerance: f64,
) -> Vec<String> {
    let offsets = skeleton.channel_offsets();
    let mut out = Vec::new();
    if motion.check(skeleton).is_err() {
        return out;
    }
    for (j, joint) in skeleton.joints.iter().enumerate() {
        if joint.parent.is_none() {
            continue;
        }
        let moving = joint.channels.iter().enumerate().any(|(k, c)| {
            if c.is_rotation() {
                return false;
            }
            let col = offsets[j] + k;
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for f in 0..motion.frame_count() {
                let v = motion.frame(f)[col] as f64;
                lo = lo.min(v);
                hi = hi.max(v);
            }
            hi - lo > tolerance
        });
        if moving {
            out.push(joint.name.clone());
        }
    }
    out
}

/// A copy of `skeleton` whose offsets on axes with a position channel are replaced by that
/// channel's value at `frame` of `motion` (BVH files whose non-root position channels hold the
/// real bone vectors). Rotations are untouched. Returns the skeleton unchanged if the motion does
/// not fit or has no such frame.
pub fn bake_position_channels(skeleton: &Skeleton, motion: &Motion, frame: usize) -> Skeleton {
    let mut out = skeleton.clone();
    if motion.check(skeleton).is_err() || frame >= motion.frame_count() {
        return out;
    }
    let values = motion.frame(frame);
    let offsets = skeleton.channel_offsets();
    for (j, joint) in out.joints.iter_mut().enumerate() {
        for (k, c) in joint.channels.iter().enumerate() {
            let v = values[offsets[j] + k] as f64;
            match c {
                Channel::Xposition => joint.offset.x = v,
                Channel::Yposition => joint.offset.y = v,
                Channel::Zposition => joint.offset.z = v,
                _ => {}
            }
        }
    }
    out
}

impl SolverModel {
    /// Builds the model of `skeleton` (any unit; converted to mm).
    pub fn new(skeleton: &Skeleton, options: &ModelOptions) -> Result<Self, SolverError> {
        skeleton
            .validate()
            .map_err(|e| SolverError::BadSkeleton(e.to_string()))?;
        if skeleton.joints.is_empty() {
            return Err(SolverError::BadSkeleton("it has no joints".into()));
        }
        let unit_mm = skeleton.unit.to_mm();
        let channel_offsets = skeleton.channel_offsets();
        let mut joints = Vec::with_capacity(skeleton.joints.len());
        let mut dof = 0usize;
        let mut dof_joint = Vec::new();
        let mut dof_is_translation = Vec::new();
        for (j, sj) in skeleton.joints.iter().enumerate() {
            let solve_translation =
                sj.parent.is_none() || options.translation_joints.iter().any(|n| n == &sj.name);
            let mut translation_axes = [false; 3];
            let mut rot_present = [false; 3];
            let mut limits_rad = [None; 3];
            for (k, c) in sj.channels.iter().enumerate() {
                if c.is_rotation() {
                    if rot_present[c.axis()] {
                        return Err(SolverError::BadSkeleton(format!(
                            "joint {} lists the {} channel twice",
                            sj.name,
                            c.name()
                        )));
                    }
                    rot_present[c.axis()] = true;
                    if let Some(Some((lo, hi))) = sj.limits.get(k)
                        && lo.is_finite()
                        && hi.is_finite()
                        && lo <= hi
                    {
                        limits_rad[c.axis()] = Some((lo.to_radians(), hi.to_radians()));
                    }
                } else if solve_translation {
                    translation_axes[c.axis()] = true;
                }
            }
            let rcount = rot_present.iter().filter(|p| **p).count();
            // A 3-DOF joint whose limits keep the middle Euler angle within ±85° can use its
            // Euler angles directly (no gimbal lock inside the limits; limits then clamp
            // exactly); otherwise a quaternion.
            let middle = sj.rotation_order.axes()[1];
            let gimbal_safe = matches!(limits_rad[middle], Some((lo, hi))
                if lo > -(85f64.to_radians()) && hi < 85f64.to_radians());
            let rotation = match rcount {
                0 => RotationDofs::Fixed,
                3 if !gimbal_safe => RotationDofs::Ball,
                n => {
                    let mut axes = [0usize; 3];
                    let mut i = 0;
                    for a in sj.rotation_order.axes() {
                        if rot_present[a] {
                            axes[i] = a;
                            i += 1;
                        }
                    }
                    RotationDofs::Euler { axes, count: n }
                }
            };
            // Per-axis Euler limits on a ball joint are a box in angles that reach gimbal lock
            // (that is why the joint is a ball): near the singularity the decomposition is not
            // unique and clamping it jumps. They are not enforced (CMU ASF humerus limits, for
            // one, are exceeded by the subjects' own markers and by Vicon's solves).
            if rotation == RotationDofs::Ball {
                limits_rad = [None; 3];
            }
            let tcount = translation_axes.iter().filter(|a| **a).count();
            let dof_count = tcount + rcount;
            for k in 0..dof_count {
                dof_joint.push(j);
                dof_is_translation.push(k < tcount);
            }
            let first_child = skeleton
                .joints
                .iter()
                .skip(j + 1)
                .find(|c| c.parent == Some(j))
                .map(|c| c.offset);
            let bone_end = first_child.or(sj.end_site).unwrap_or(DVec3::ZERO) * unit_mm;
            let off = sj.offset * unit_mm;
            if !off.is_finite() || !sj.rest_rotation.is_finite() {
                return Err(SolverError::BadSkeleton(format!(
                    "joint {} has a non-finite offset or rest rotation",
                    sj.name
                )));
            }
            joints.push(ModelJoint {
                name: sj.name.clone(),
                parent: sj.parent,
                translation_mm: off,
                rest_rotation: sj.rest_rotation.normalize(),
                rotation,
                translation_axes,
                dof_start: dof,
                dof_count,
                rotation_order: sj.rotation_order,
                limits_rad,
                channels: sj.channels.clone(),
                channel_start: channel_offsets[j],
                bone_end_mm: bone_end,
            });
            dof += dof_count;
        }
        Ok(Self {
            joints,
            dof_count: dof,
            unit_mm,
            skeleton: skeleton.clone(),
            dof_joint,
            dof_is_translation,
        })
    }

    /// Index of the joint named `name` (exact, then ASCII case-insensitive).
    pub fn joint_index(&self, name: &str) -> Option<usize> {
        self.joints.iter().position(|j| j.name == name).or_else(|| {
            self.joints
                .iter()
                .position(|j| j.name.eq_ignore_ascii_case(name))
        })
    }

    /// The rest pose (all channels zero, fixed translations at their offsets).
    pub fn rest_pose(&self) -> Pose {
        let n = self.joints.len();
        Pose {
            translation_mm: self.joints.iter().map(|j| j.translation_mm).collect(),
            rotation: vec![DQuat::IDENTITY; n],
            euler_rad: vec![[0.0; 3]; n],
        }
    }

    /// Pose from one motion frame of the skeleton's channels (degrees, skeleton unit). Values
    /// beyond `frame.len()` count as zero; solved translation axes take the channel value,
    /// fixed ones keep the model's offset.
    pub fn pose_from_channels(&self, frame: &[f32]) -> Pose {
        let mut pose = self.rest_pose();
        self.set_pose_from_channels(frame, &mut pose);
        pose
    }

    /// [`Self::pose_from_channels`] into an existing pose (no allocation).
    pub fn set_pose_from_channels(&self, frame: &[f32], pose: &mut Pose) {
        for (j, joint) in self.joints.iter().enumerate() {
            let mut t = joint.translation_mm;
            let mut angles = [0.0f64; 3];
            for (k, c) in joint.channels.iter().enumerate() {
                let v = frame.get(joint.channel_start + k).copied().unwrap_or(0.0) as f64;
                let v = if v.is_finite() { v } else { 0.0 };
                if c.is_rotation() {
                    angles[c.axis()] = v.to_radians();
                } else if joint.translation_axes[c.axis()] {
                    t[c.axis()] = v * self.unit_mm;
                }
            }
            pose.translation_mm[j] = t;
            pose.euler_rad[j] = angles;
            pose.rotation[j] = match joint.rotation {
                RotationDofs::Fixed => DQuat::IDENTITY,
                _ => euler_to_quat(joint.rotation_order, angles),
            };
        }
    }

    /// Writes `pose` as channel values (degrees, skeleton unit) into `frame` (the skeleton's
    /// channel count). Ball joints are decomposed in the joint's rotation order; each angle is
    /// unwrapped by ±360° to lie closest to the value already in `frame` (pass the previous
    /// frame's values for continuous curves, or zeros).
    pub fn write_channels(&self, pose: &Pose, frame: &mut [f32]) {
        for (j, joint) in self.joints.iter().enumerate() {
            let angles_deg = match joint.rotation {
                RotationDofs::Ball => joint.rotation_order.from_quat(pose.rotation[j]),
                _ => {
                    let a = pose.euler_rad[j];
                    [a[0].to_degrees(), a[1].to_degrees(), a[2].to_degrees()]
                }
            };
            for (k, c) in joint.channels.iter().enumerate() {
                let Some(slot) = frame.get_mut(joint.channel_start + k) else {
                    continue;
                };
                if c.is_rotation() {
                    let mut v = angles_deg[c.axis()];
                    if matches!(joint.rotation, RotationDofs::Ball) {
                        let prev = *slot as f64;
                        if prev.is_finite() {
                            v += ((prev - v) / 360.0).round() * 360.0;
                        }
                    }
                    *slot = v as f32;
                } else {
                    *slot = (pose.translation_mm[j][c.axis()] / self.unit_mm) as f32;
                }
            }
        }
    }

    /// Forward kinematics: world transforms of all joints for `pose` (no allocation).
    pub fn forward(&self, pose: &Pose, world: &mut WorldPose) {
        for (j, joint) in self.joints.iter().enumerate() {
            let local = joint.rest_rotation * pose.rotation[j];
            match joint.parent {
                Some(p) => {
                    let pr = world.rotation[p];
                    world.position_mm[j] = world.position_mm[p] + pr * pose.translation_mm[j];
                    world.rotation[j] = pr * local;
                }
                None => {
                    world.position_mm[j] = pose.translation_mm[j];
                    world.rotation[j] = local;
                }
            }
        }
    }

    /// Forward kinematics that also records, per DOF, its world axis (unit vector; the
    /// direction of motion for translation DOFs) and pivot (the joint's world position), so that
    /// `∂p/∂θ = axis × (p − pivot)` for rotation DOFs and `∂p/∂t = axis` for translations, for
    /// any point `p` rigidly attached to a descendant segment. Rotation DOFs of ball joints are
    /// rotation vectors applied on the right of the joint's channel rotation (`q ← q·exp(δ)`).
    pub fn forward_with_axes(
        &self,
        pose: &Pose,
        world: &mut WorldPose,
        dof_axis: &mut [DVec3],
        dof_pivot: &mut [DVec3],
    ) {
        for (j, joint) in self.joints.iter().enumerate() {
            let (parent_rot, parent_pos) = match joint.parent {
                Some(p) => (world.rotation[p], world.position_mm[p]),
                None => (DQuat::IDENTITY, DVec3::ZERO),
            };
            let pos = parent_pos + parent_rot * pose.translation_mm[j];
            let frame = parent_rot * joint.rest_rotation;
            let rot = frame * pose.rotation[j];
            let mut d = joint.dof_start;
            for (a, on) in joint.translation_axes.iter().enumerate() {
                if *on {
                    dof_axis[d] = parent_rot * unit_axis(a);
                    dof_pivot[d] = pos;
                    d += 1;
                }
            }
            match joint.rotation {
                RotationDofs::Fixed => {}
                RotationDofs::Ball => {
                    for a in 0..3 {
                        dof_axis[d] = rot * unit_axis(a);
                        dof_pivot[d] = pos;
                        d += 1;
                    }
                }
                RotationDofs::Euler { axes, count } => {
                    let mut acc = frame;
                    for &a in &axes[..count] {
                        dof_axis[d] = acc * unit_axis(a);
                        dof_pivot[d] = pos;
                        acc *= axis_rotation(a, pose.euler_rad[j][a]);
                        d += 1;
                    }
                }
            }
            world.position_mm[j] = pos;
            world.rotation[j] = rot;
        }
    }

    /// Applies a step `delta` (one value per DOF: mm for translations, radians for rotations)
    /// to `pose`, then projects onto the joint limits. DOFs whose `active` flag is `false` are
    /// left unchanged.
    pub fn apply_step(&self, pose: &mut Pose, delta: &[f64], active: &[bool]) {
        for (j, joint) in self.joints.iter().enumerate() {
            let mut d = joint.dof_start;
            for a in 0..3 {
                if joint.translation_axes[a] {
                    if active[d] {
                        pose.translation_mm[j][a] += delta[d];
                    }
                    d += 1;
                }
            }
            match joint.rotation {
                RotationDofs::Fixed => {}
                RotationDofs::Euler { axes, count } => {
                    for &a in &axes[..count] {
                        if active[d] {
                            let mut v = pose.euler_rad[j][a] + delta[d];
                            if let Some((lo, hi)) = joint.limits_rad[a] {
                                v = v.clamp(lo, hi);
                            }
                            pose.euler_rad[j][a] = v;
                        }
                        d += 1;
                    }
                    pose.rotation[j] = euler_to_quat(joint.rotation_order, pose.euler_rad[j]);
                }
                RotationDofs::Ball => {
                    let mut v = DVec3::ZERO;
                    for a in 0..3 {
                        if active[d + a] {
                            v[a] = delta[d + a];
                        }
                    }
                    if v != DVec3::ZERO {
                        let q = (pose.rotation[j] * DQuat::from_scaled_axis(v)).normalize();
                        pose.rotation[j] = q;
                        self.project_ball(j, pose);
                    }
                }
            }
        }
    }

    /// Projects ball joint `j` of `pose` onto its limits (Euler decomposition in the joint's
    /// order, clamp, recompose). No-op without limits.
    pub fn project_ball(&self, j: usize, pose: &mut Pose) {
        let joint = &self.joints[j];
        if joint.limits_rad.iter().all(|l| l.is_none()) {
            return;
        }
        let deg = joint.rotation_order.from_quat(pose.rotation[j]);
        let mut rad = [
            deg[0].to_radians(),
            deg[1].to_radians(),
            deg[2].to_radians(),
        ];
        let mut changed = false;
        for a in 0..3 {
            if let Some((lo, hi)) = joint.limits_rad[a] {
                let c = rad[a].clamp(lo, hi);
                if c != rad[a] {
                    changed = true;
                    rad[a] = c;
                }
            }
        }
        if changed {
            pose.rotation[j] = euler_to_quat(joint.rotation_order, rad);
        }
    }

    /// Whether rotation DOF `d` (of an Euler joint) sits on a limit, and on which side:
    /// `Some(-1)` at the lower bound, `Some(1)` at the upper, `None` otherwise.
    pub fn at_limit(&self, pose: &Pose, d: usize) -> Option<i8> {
        let j = *self.dof_joint.get(d)?;
        let joint = &self.joints[j];
        let RotationDofs::Euler { axes, .. } = joint.rotation else {
            return None;
        };
        let k = d - joint.dof_start - joint.translation_dof_count();
        let a = axes[k];
        let (lo, hi) = joint.limits_rad[a]?;
        let v = pose.euler_rad[j][a];
        if v <= lo + 1e-9 {
            Some(-1)
        } else if v >= hi - 1e-9 {
            Some(1)
        } else {
            None
        }
    }

    /// For each joint, the DOF indices of the joint and all its ancestors (what moves a point
    /// attached to it), ascending.
    pub fn ancestor_dofs(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = Vec::with_capacity(self.joints.len());
        for joint in &self.joints {
            let mut v = match joint.parent {
                Some(p) => out[p].clone(),
                None => Vec::new(),
            };
            v.extend(joint.dof_start..joint.dof_start + joint.dof_count);
            out.push(v);
        }
        out
    }

    /// World positions of every joint (mm) at every frame of `motion` (the skeleton's channels),
    /// frame-major `frame * joints + joint`. Frames that do not fit give rest-pose values.
    pub fn joint_positions(&self, motion: &Motion) -> Vec<DVec3> {
        let n = self.joints.len();
        let mut out = Vec::with_capacity(motion.frame_count() * n);
        let mut pose = self.rest_pose();
        let mut world = WorldPose::new(n);
        for f in 0..motion.frame_count() {
            self.set_pose_from_channels(motion.frame(f), &mut pose);
            self.forward(&pose, &mut world);
            out.extend_from_slice(&world.position_mm);
        }
        out
    }

    /// A copy of the source skeleton converted to millimetres (offsets, end sites and limits of
    /// position channels scaled), for writing solved motion.
    pub fn skeleton_mm(&self) -> Skeleton {
        let mut s = crate::calibrate::scale_skeleton(&self.skeleton, self.unit_mm);
        s.unit = mocap_data::LengthUnit::Millimetre;
        s
    }
}

/// Re-expresses `skeleton` + `motion` with identity rest rotations (what BVH can store): every
/// joint frame becomes world-aligned at rest, offsets and end sites are rotated accordingly, and
/// each joint with rotation channels gets three channels (`Zrotation Xrotation Yrotation`,
/// order ZXY) holding `G·R·G⁻¹` (`G` = the joint's rest world rotation). Joint world positions are
/// unchanged frame by frame. Non-root position channels are rotated into the new parent frame.
/// Returns the inputs unchanged when every rest rotation is already identity.
pub fn bake_rest_rotations(skeleton: &Skeleton, motion: &Motion) -> (Skeleton, Motion) {
    let n = skeleton.joints.len();
    if skeleton
        .joints
        .iter()
        .all(|j| j.rest_rotation.abs_diff_eq(DQuat::IDENTITY, 1e-12))
    {
        return (skeleton.clone(), motion.clone());
    }
    let mut g = vec![DQuat::IDENTITY; n];
    for (j, joint) in skeleton.joints.iter().enumerate() {
        let gp = joint.parent.map(|p| g[p]).unwrap_or(DQuat::IDENTITY);
        g[j] = (gp * joint.rest_rotation).normalize();
    }
    let mut out = skeleton.clone();
    for (j, joint) in out.joints.iter_mut().enumerate() {
        let gp = joint.parent.map(|p| g[p]).unwrap_or(DQuat::IDENTITY);
        joint.offset = gp * joint.offset;
        joint.end_site = joint.end_site.map(|e| g[j] * e);
        joint.rest_rotation = DQuat::IDENTITY;
        let has_rot = joint.channels.iter().any(|c| c.is_rotation());
        let has_pos = joint.channels.iter().any(|c| !c.is_rotation());
        let mut ch = Vec::new();
        if has_pos {
            ch.extend([Channel::Xposition, Channel::Yposition, Channel::Zposition]);
        }
        if has_rot {
            ch.extend([Channel::Zrotation, Channel::Xrotation, Channel::Yrotation]);
        }
        joint.channels = ch;
        joint.rotation_order = RotationOrder::Zxy;
        joint.limits = Vec::new();
    }
    let src_off = skeleton.channel_offsets();
    let cpf = out.channel_count();
    let frames = if motion.check(skeleton).is_ok() {
        motion.frame_count()
    } else {
        0
    };
    let mut values = Vec::with_capacity(frames * cpf);
    for f in 0..frames {
        let src = motion.frame(f);
        let start = values.len();
        for (j, joint) in skeleton.joints.iter().enumerate() {
            let gp = joint.parent.map(|p| g[p]).unwrap_or(DQuat::IDENTITY);
            let mut t = joint.offset;
            let mut angles = [0.0f64; 3];
            let mut has_rot = false;
            let mut has_pos = false;
            for (k, c) in joint.channels.iter().enumerate() {
                let v = src[src_off[j] + k] as f64;
                match c {
                    Channel::Xposition => t.x = v,
                    Channel::Yposition => t.y = v,
                    Channel::Zposition => t.z = v,
                    r => angles[r.axis()] = v,
                }
                has_rot |= c.is_rotation();
                has_pos |= !c.is_rotation();
            }
            if has_pos {
                let t2 = gp * t;
                values.extend([t2.x as f32, t2.y as f32, t2.z as f32]);
            }
            if has_rot {
                let r = joint.rotation_order.to_quat(angles);
                let r2 = g[j] * r * g[j].inverse();
                let e = RotationOrder::Zxy.from_quat(r2);
                values.extend([e[2] as f32, e[0] as f32, e[1] as f32]);
            }
        }
        debug_assert_eq!(values.len() - start, cpf);
    }
    let mut m = Motion {
        rate: motion.rate,
        frame_time_s: motion.frame_time_s,
        channels_per_frame: cpf,
        values,
    };
    if let Ok(model) = SolverModel::new(&out, &ModelOptions::default()) {
        crate::ik::unwrap_angles(&model, &mut m);
    }
    (out, m)
}

const CMU_TEMPLATE_JSON: &str = include_str!("../presets/skeletons/cmu_template.json");

/// The built-in template skeleton for solving without a measured one: CMU ASF topology and joint
/// names (`root`, `lfemur`, `ltibia`, …, `lhand`; no hip-joint, finger or thumb bones), adult
/// proportions (about 1.75 m), millimetres, Y up, facing +Z, T-pose, identity rest rotations
/// (`presets/skeletons/cmu_template.json`). Calibration fits a uniform scale to the subject, then a
/// length factor per leg, arm and the spine ([`crate::calibrate::CHAIN_SEGMENTS`]).
pub fn template_skeleton() -> Result<Skeleton, SolverError> {
    let s: Skeleton = serde_json::from_str(CMU_TEMPLATE_JSON)
        .map_err(|e| SolverError::BadSkeleton(format!("built-in template: {e}")))?;
    s.validate()
        .map_err(|e| SolverError::BadSkeleton(format!("built-in template: {e}")))?;
    Ok(s)
}

/// Unit vector along axis `a` (0 = X, 1 = Y, 2 = Z).
#[inline]
pub fn unit_axis(a: usize) -> DVec3 {
    match a {
        0 => DVec3::X,
        1 => DVec3::Y,
        _ => DVec3::Z,
    }
}

/// Rotation by `angle_rad` about axis `a`.
#[inline]
pub fn axis_rotation(a: usize, angle_rad: f64) -> DQuat {
    match a {
        0 => DQuat::from_rotation_x(angle_rad),
        1 => DQuat::from_rotation_y(angle_rad),
        _ => DQuat::from_rotation_z(angle_rad),
    }
}

/// Composes Euler angles given per axis `[x, y, z]` in **radians** in `order`.
pub fn euler_to_quat(order: RotationOrder, angles_rad: [f64; 3]) -> DQuat {
    let mut q = DQuat::IDENTITY;
    for a in order.axes() {
        if angles_rad[a] != 0.0 {
            q *= axis_rotation(a, angles_rad[a]);
        }
    }
    q
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use mocap_data::{FrameRate, Joint, LengthUnit, UpAxis, fk};

    pub(crate) fn test_skeleton() -> Skeleton {
        let mut root = Joint::new("root", None, DVec3::ZERO);
        root.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
        let mut a = Joint::new("a", Some(0), DVec3::new(0.0, 10.0, 0.0));
        a.channels = vec![Channel::Xrotation, Channel::Zrotation];
        a.rest_rotation = DQuat::from_rotation_y(0.3);
        a.rotation_order = RotationOrder::Xyz;
        let mut b = Joint::new("b", Some(1), DVec3::new(0.0, 20.0, 0.0));
        b.channels = vec![Channel::Xrotation];
        b.limits = vec![Some((-10.0, 120.0))];
        let mut c = Joint::new("c", Some(0), DVec3::new(5.0, 0.0, 0.0));
        c.channels = vec![Channel::Zrotation, Channel::Yrotation, Channel::Xrotation];
        c.rotation_order = RotationOrder::Zyx;
        c.end_site = Some(DVec3::new(0.0, -15.0, 0.0));
        Skeleton {
            joints: vec![root, a, b, c],
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        }
    }

    #[test]
    fn forward_matches_reference_fk_and_round_trips_channels() {
        let sk = test_skeleton();
        let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
        assert_eq!(model.dof_count, 6 + 2 + 1 + 3);
        let mut m = Motion::zeros(&sk, 1, FrameRate::FPS_30).expect("motion");
        let vals = [
            1.0f32, 2.0, 3.0, 30.0, -20.0, 10.0, 40.0, -15.0, 60.0, 25.0, 35.0, -45.0,
        ];
        m.frame_mut(0).copy_from_slice(&vals);
        let reference = fk::pose(&sk, m.frame(0));
        let pose = model.pose_from_channels(m.frame(0));
        let mut world = WorldPose::new(4);
        model.forward(&pose, &mut world);
        for j in 0..4 {
            let r = reference[j].translation * 10.0;
            assert!((world.position_mm[j] - r).length() < 1e-9, "joint {j}");
            assert!(world.rotation[j].dot(reference[j].rotation).abs() > 1.0 - 1e-12);
        }
        let mut out = vec![0.0f32; 12];
        model.write_channels(&pose, &mut out);
        for (a, b) in out.iter().zip(vals) {
            assert!((a - b).abs() < 1e-3, "{out:?}");
        }
    }

    #[test]
    fn baked_rest_rotations_keep_joint_positions() {
        let sk = test_skeleton();
        let mut m = Motion::zeros(&sk, 2, FrameRate::FPS_30).expect("motion");
        m.frame_mut(0).copy_from_slice(&[
            1.0, 2.0, 3.0, 30.0, -20.0, 10.0, 40.0, -15.0, 60.0, 25.0, 35.0, -45.0,
        ]);
        m.frame_mut(1).copy_from_slice(&[
            -1.0, 0.0, 3.0, 0.0, 120.0, -10.0, -40.0, 15.0, 10.0, 5.0, -35.0, 145.0,
        ]);
        let (bs, bm) = bake_rest_rotations(&sk, &m);
        assert!(bs.joints.iter().all(|j| j.rest_rotation == DQuat::IDENTITY));
        let a = fk::positions_reference(&sk, &m);
        let b = fk::positions_reference(&bs, &bm);
        for (x, y) in a.iter().zip(&b) {
            assert!((*x - *y).length() < 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn template_skeleton_fits_the_presets() {
        let sk = template_skeleton().expect("template");
        let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
        for name in crate::markerset::PRESET_NAMES {
            let set = crate::markerset::MarkerSet::preset(name).expect("preset");
            let (placed, unplaced) = set.place(&model);
            assert!(unplaced.is_empty(), "{name}: {unplaced:?}");
            assert_eq!(placed.len(), set.markers.len());
        }
    }

    #[test]
    fn limits_are_projected() {
        let sk = test_skeleton();
        let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
        let mut pose = model.rest_pose();
        let mut delta = vec![0.0; model.dof_count];
        let d = model.joints[2].dof_start;
        delta[d] = 3.0; // 172° > 120° limit
        model.apply_step(&mut pose, &delta, &vec![true; model.dof_count]);
        assert!((pose.euler_rad[2][0] - 120f64.to_radians()).abs() < 1e-12);
        assert_eq!(model.at_limit(&pose, d), Some(1));
    }
}
