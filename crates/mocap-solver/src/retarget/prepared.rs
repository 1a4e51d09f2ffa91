//! The prepared retarget ([`Retargeter`]): everything that does not depend on the frame (bone
//! maps resolved and checked, rest poses, rest alignment, root scale) computed once, then any
//! single frame solved on demand ([`Retargeter::frame`]). [`super::retarget`] runs it over every
//! frame, so per-frame and whole-motion results come from one code path.

use super::{
    Aim, BoneMap, HumanBone, MappedBone, aims, is_ancestor, leg_length, orient, rest_pose,
    up_axis_rotation,
};
use crate::SolverError;
use glam::{DQuat, DVec3};
use mocap_data::fk;
use mocap_data::{Motion, Skeleton};
use std::collections::BTreeMap;

/// How one mapped target joint is solved (all vectors in the target joint's rest frame or in
/// source joint indices; nothing depends on the frame).
#[derive(Debug, Clone, PartialEq)]
struct JointSolve {
    /// Source joint index of the same canonical bone.
    source_joint: usize,
    /// Inverse of the source joint's world rest rotation.
    source_rest_inv: DQuat,
    /// Target world rotation of this joint in the source's rest pose (rest alignment).
    aligned: DQuat,
    /// Primary child: the target rest vector to it in this joint's frame (target unit, `None`
    /// when degenerate) and the source joints (this, child) whose world direction it follows.
    primary: Option<(Option<DVec3>, usize, usize)>,
    /// Lateral children: target rest vector right → left in this joint's frame (target unit)
    /// and the source (left, right) joints; `None` without a usable pair.
    lateral: Option<(DVec3, usize, usize)>,
}

/// One retargeted frame for the target skeleton.
#[derive(Debug, Clone, PartialEq)]
pub struct RetargetPose {
    /// Per target joint: local rotation relative to the parent joint's frame, including the rest
    /// rotation (as [`super::RetargetedMotion::local_rotations`]). Signs are as solved; use
    /// [`Self::keep_signs_of`] for continuity with a previous frame.
    pub local_rotations: Vec<DQuat>,
    /// The root joint's local translation in its parent's frame (skeleton space for a root),
    /// target unit; zero when there is no root joint.
    pub root_translation: DVec3,
    /// Target hips world position, target unit and up axis.
    pub hips_world: DVec3,
}

impl RetargetPose {
    /// Negates the rotations whose dot product with the same joint's in `prev` is negative, so
    /// consecutive frames never flip sign (same rotations).
    pub fn keep_signs_of(&mut self, prev: &[DQuat]) {
        for (q, p) in self.local_rotations.iter_mut().zip(prev) {
            if p.dot(*q) < 0.0 {
                *q = -*q;
            }
        }
    }
}

/// A retarget of one source skeleton onto one target skeleton with their bone maps, prepared
/// once (microseconds for humanoids); [`Self::frame`] solves any frame of a motion of the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Retargeter {
    /// The source skeleton (motions passed to [`Self::frame`] are of it).
    source: Skeleton,
    /// The target skeleton.
    target: Skeleton,
    /// Rotation converting source world vectors into the target's up axis.
    u: DQuat,
    /// Target unit per source unit for the hips path (see [`super::RetargetedMotion::root_scale`]).
    root_scale: f64,
    /// Per target joint: how it is solved when mapped.
    solve: Vec<Option<JointSolve>>,
    /// Target hips joint index.
    hips_t: usize,
    /// Source hips joint index.
    hips_s: usize,
    /// Joint carrying the root translation and the chain of joints from it (exclusive) down to
    /// the hips (inclusive), hips first.
    root: Option<(usize, Vec<usize>)>,
    /// The canonical bones both skeletons map.
    bones: Vec<MappedBone>,
}

impl Retargeter {
    /// Prepares the retarget of `source` onto `target` with the bone maps of each: checks both
    /// skeletons and the maps (the hips mapped on both, each bone on its own joint, the map's
    /// hierarchy consistent with the skeleton's).
    pub fn new(
        source: &Skeleton,
        source_map: &BoneMap,
        target: &Skeleton,
        target_map: &BoneMap,
    ) -> Result<Self, SolverError> {
        source.validate()?;
        target.validate()?;
        let src_map = source_map.resolve(source);
        let tgt_map = target_map.resolve(target);
        let src_rest = rest_pose(source);
        let tgt_rest = rest_pose(target);
        let common: Vec<HumanBone> = HumanBone::ALL
            .iter()
            .copied()
            .filter(|b| src_map.contains_key(b) && tgt_map.contains_key(b))
            .collect();
        if !common.contains(&HumanBone::Hips) {
            return Err(SolverError::BoneMap(format!(
                "the hips are not mapped on both skeletons (source map {:?}, target map {:?}); fix the maps",
                source_map.name, target_map.name
            )));
        }
        let parent_of: BTreeMap<HumanBone, Option<HumanBone>> = common
            .iter()
            .map(|&b| {
                (
                    b,
                    b.ancestors().iter().copied().find(|a| common.contains(a)),
                )
            })
            .collect();
        check_maps(
            &common,
            &parent_of,
            [(&src_map, source, "source"), (&tgt_map, target, "target")],
        )?;
        let aim = aims(&common, &parent_of);
        let u = up_axis_rotation(source.up_axis, target.up_axis);
        let leg_s = leg_length(source, &src_map, &src_rest);
        let leg_t = leg_length(target, &tgt_map, &tgt_rest);
        let root_scale = match (leg_s, leg_t) {
            (Some(s), Some(t)) if s > 0.0 && t > 0.0 => t / s,
            _ => source.unit.factor_to(target.unit),
        };

        // Target rest vectors (in each mapped joint's frame) to the primary and lateral children.
        let local_vec = |b: HumanBone, c: HumanBone| -> DVec3 {
            let j = tgt_map[&b];
            let r = &tgt_rest;
            r[j].rotation.inverse() * (r[tgt_map[&c]].translation - r[j].translation)
        };
        let nj = target.joints.len();
        let mut solve: Vec<Option<JointSolve>> = vec![None; nj];
        for &b in &common {
            let a: Aim = aim[&b];
            let sj = src_map[&b];
            solve[tgt_map[&b]] = Some(JointSolve {
                source_joint: sj,
                source_rest_inv: src_rest[sj].rotation.inverse(),
                aligned: DQuat::IDENTITY,
                primary: a.primary.map(|c| {
                    let v = Some(local_vec(b, c)).filter(|v| v.length() > 1e-9);
                    (v, sj, src_map[&c])
                }),
                lateral: a.lateral.and_then(|(l, r)| {
                    let vl = local_vec(b, l) - local_vec(b, r);
                    (vl.length() > 1e-9).then_some((vl, src_map[&l], src_map[&r]))
                }),
            });
        }
        let mut me = Self {
            source: source.clone(),
            target: target.clone(),
            u,
            root_scale,
            solve,
            hips_t: tgt_map[&HumanBone::Hips],
            hips_s: src_map[&HumanBone::Hips],
            root: None,
            bones: common
                .iter()
                .map(|&b| MappedBone {
                    bone: b,
                    source_joint: src_map[&b],
                    target_joint: tgt_map[&b],
                    parent: parent_of[&b],
                })
                .collect(),
        };

        // Rest alignment: target world rotation of each mapped joint in the source's rest pose.
        let mut correction = vec![DQuat::IDENTITY; nj];
        for (j, joint) in target.joints.iter().enumerate() {
            let inherited = joint
                .parent
                .map(|p| correction[p])
                .unwrap_or(DQuat::IDENTITY);
            let guess = inherited * tgt_rest[j].rotation;
            let aligned = match &me.solve[j] {
                Some(s) => me.solve_joint(s, guess, &src_rest),
                None => guess,
            };
            if let Some(s) = me.solve[j].as_mut() {
                s.aligned = aligned;
            }
            correction[j] = aligned * tgt_rest[j].rotation.inverse();
        }

        // The joint that carries root translation.
        me.root = root_joint(target, me.hips_t);
        Ok(me)
    }

    /// Target world rotation of one mapped joint given the twist guess and the source pose.
    fn solve_joint(&self, s: &JointSolve, guess: DQuat, pose: &[fk::JointTransform]) -> DQuat {
        let dir = |a: usize, b: usize| self.u * (pose[b].translation - pose[a].translation);
        let (vp, dp) = match s.primary {
            Some((v, a, c)) => (v, Some(dir(a, c)).filter(|d| d.length() > 1e-9)),
            None => (None, None),
        };
        let lat = s.lateral.and_then(|(vl, l, r)| {
            let dl = dir(r, l);
            (dl.length() > 1e-9).then_some((vl, dl))
        });
        orient(guess, vp, dp, lat)
    }

    /// The source skeleton.
    pub fn source(&self) -> &Skeleton {
        &self.source
    }

    /// The target skeleton.
    pub fn target(&self) -> &Skeleton {
        &self.target
    }

    /// The canonical bones both skeletons map.
    pub fn bones(&self) -> &[MappedBone] {
        &self.bones
    }

    /// The joint carrying the root translation (see [`super::RetargetedMotion::root_joint`]).
    pub fn root_joint(&self) -> Option<usize> {
        self.root.as_ref().map(|r| r.0)
    }

    /// Target unit per source unit applied to the source hips path.
    pub fn root_scale(&self) -> f64 {
        self.root_scale
    }

    /// Solves frame `frame` of `motion` (of the source skeleton). Errors when the motion does
    /// not fit the source skeleton or the frame is past its end.
    pub fn frame(&self, motion: &Motion, frame: usize) -> Result<RetargetPose, SolverError> {
        motion.check(&self.source)?;
        if frame >= motion.frame_count() {
            return Err(SolverError::InvalidRange {
                start: frame,
                end: frame + 1,
                frame_count: motion.frame_count(),
            });
        }
        Ok(self.solve_pose(&fk::pose(&self.source, motion.frame(frame))))
    }

    /// Solves one source pose (world transforms of the source joints, as [`fk::pose`] gives).
    fn solve_pose(&self, pose: &[fk::JointTransform]) -> RetargetPose {
        let nj = self.target.joints.len();
        let u = self.u;
        let hips_target = u * pose[self.hips_s].translation * self.root_scale;
        let mut root_t = DVec3::ZERO;
        let mut world_r = vec![DQuat::IDENTITY; nj];
        let mut world_p = vec![DVec3::ZERO; nj];
        let mut local_rotations = Vec::with_capacity(nj);
        for (j, joint) in self.target.joints.iter().enumerate() {
            let (pr, pp) = match joint.parent {
                Some(p) => (world_r[p], world_p[p]),
                None => (DQuat::IDENTITY, DVec3::ZERO),
            };
            world_r[j] = match &self.solve[j] {
                Some(s) => {
                    let sj = s.source_joint;
                    let delta = u * (pose[sj].rotation * s.source_rest_inv) * u.inverse();
                    self.solve_joint(s, (delta * s.aligned).normalize(), pose)
                }
                None => pr * joint.rest_rotation,
            };
            world_p[j] = pp + pr * joint.offset;
            if let Some((r, chain)) = &self.root
                && *r == j
            {
                // Position this joint so that the hips land on their target.
                let mut k = DVec3::ZERO;
                let mut rot = world_r[j];
                for &c in chain.iter().rev() {
                    k += rot * self.target.joints[c].offset;
                    rot *= self.target.joints[c].rest_rotation;
                }
                world_p[j] = hips_target - k;
                root_t = pr.inverse() * (world_p[j] - pp);
            }
            local_rotations.push((pr.inverse() * world_r[j]).normalize());
        }
        RetargetPose {
            local_rotations,
            root_translation: root_t,
            hips_world: world_p[self.hips_t],
        }
    }
}

/// Checks both sides' maps: each bone on its own joint, and each bone below its nearest mapped
/// ancestor bone in the skeleton's hierarchy.
#[allow(clippy::type_complexity)]
fn check_maps(
    common: &[HumanBone],
    parent_of: &BTreeMap<HumanBone, Option<HumanBone>>,
    sides: [(&BTreeMap<HumanBone, usize>, &Skeleton, &str); 2],
) -> Result<(), SolverError> {
    for (map, sk, name) in sides {
        let mut seen = BTreeMap::new();
        for &b in common {
            let j = map[&b];
            if let Some(other) = seen.insert(j, b) {
                return Err(SolverError::BoneMap(format!(
                    "{name} joint {:?} is mapped to both {} and {}; map each bone to its own joint",
                    sk.joints[j].name,
                    other.name(),
                    b.name()
                )));
            }
            if let Some(Some(p)) = parent_of.get(&b)
                && !is_ancestor(sk, map[p], j)
            {
                return Err(SolverError::BoneMap(format!(
                    "{name} joint {:?} ({}) is not below {:?} ({}) in the hierarchy; check the bone map",
                    sk.joints[j].name,
                    b.name(),
                    sk.joints[map[p]].name,
                    p.name()
                )));
            }
        }
    }
    Ok(())
}

/// The target joint that carries root translation (the hips when they have position channels,
/// or the skeleton has no channels at all; else their nearest ancestor with position channels)
/// and the joints between it and the hips, which keep their rest local rotations.
fn root_joint(target: &Skeleton, hips_t: usize) -> Option<(usize, Vec<usize>)> {
    let has_pos = |j: usize| target.joints[j].channels.iter().any(|c| !c.is_rotation());
    let no_channels = target.joints.iter().all(|j| j.channels.is_empty());
    let root_joint = if has_pos(hips_t) || no_channels {
        Some(hips_t)
    } else {
        let mut p = target.joints[hips_t].parent;
        loop {
            match p {
                Some(a) if has_pos(a) => break Some(a),
                Some(a) => p = target.joints[a].parent,
                None => break None,
            }
        }
    };
    root_joint.map(|j| {
        // Joints between the root joint and the hips keep their rest local rotations.
        let mut chain = Vec::new();
        if j != hips_t {
            chain.push(hips_t);
            let mut c = hips_t;
            while let Some(p) = target.joints[c].parent {
                if p == j {
                    break;
                }
                chain.push(p);
                c = p;
            }
        }
        (j, chain)
    })
}
