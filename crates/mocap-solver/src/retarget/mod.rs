//! Retargeting: motion of one skeleton onto another with different proportions, joint names
//! and rest pose.
//!
//! Both skeletons are mapped onto the canonical humanoid set ([`HumanBone`]) by a [`BoneMap`]
//! (saved JSON files, presets in `presets/bonemaps/`). Only bones both maps name take part.
//! Per frame and per mapped target joint, in hierarchy order:
//!
//! * **Direction.** The world-space direction of the bone from the joint to its mapped child
//!   (for the hips and the spine joint carrying the neck: the central child; other joints: the
//!   only mapped child) is set equal to the source's. Where the joint also has a mapped
//!   left/right pair of children (hips → upper legs, chest → shoulders), the frame is completed
//!   by that lateral direction (projected). So after retargeting, bone DIRECTIONS in world space
//!   match the source's exactly for every single-child and central bone; the directions to
//!   lateral children differ only by the difference of the two skeletons' rest geometry.
//! * **Twist** about the bone comes from the source joint's world rotation change since its rest
//!   pose, applied to the target's rest pose aligned to the source's (rest-pose alignment), so a
//!   T-pose target follows an A-pose source and vice versa.
//! * **Root motion.** The target hips move along the source hips' path (world space, converted
//!   between up axes) scaled by `root_scale` = target leg length / source leg length (upper
//!   leg plus lower leg, averaged over both sides, each skeleton in its own unit; falls back to
//!   the hips rest height when legs are not mapped).
//!
//! Unmapped target joints keep their rest local rotation. Results come as per-joint LOCAL
//! rotations (quaternions, what a glTF node's `rotation` takes) plus the root joint's
//! translation per frame ([`RetargetedMotion`]), and as BVH channels
//! ([`RetargetedMotion::to_motion`], [`RetargetedMotion::to_bvh`]).

mod automap;
mod bones;
mod gltf_target;
mod prepared;

pub use automap::{AutoMap, automap, tokens};
pub use bones::{BoneMap, HumanBone};
pub use gltf_target::{GltfTarget, skeleton_from_gltf};
pub use prepared::{RetargetPose, Retargeter};

use crate::SolverError;
use glam::{DMat3, DQuat, DVec3};
use mocap_data::fk;
use mocap_data::{Channel, FrameRate, Motion, RotationOrder, Skeleton, UpAxis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// World transform at rest (all channels ignored: local = `T(offset) · rest_rotation`), per joint.
pub fn rest_pose(sk: &Skeleton) -> Vec<fk::JointTransform> {
    let mut out: Vec<fk::JointTransform> = Vec::with_capacity(sk.joints.len());
    for j in &sk.joints {
        let w = match j.parent.and_then(|p| out.get(p).copied()) {
            Some(pw) => fk::JointTransform {
                rotation: pw.rotation * j.rest_rotation,
                translation: pw.translation + pw.rotation * j.offset,
            },
            None => fk::JointTransform {
                rotation: j.rest_rotation,
                translation: j.offset,
            },
        };
        out.push(w);
    }
    out
}

/// Rotation converting world vectors of a skeleton with up axis `from` into `to`'s world.
pub fn up_axis_rotation(from: UpAxis, to: UpAxis) -> DQuat {
    match (from, to) {
        (UpAxis::Y, UpAxis::Z) => DQuat::from_rotation_x(std::f64::consts::FRAC_PI_2),
        (UpAxis::Z, UpAxis::Y) => DQuat::from_rotation_x(-std::f64::consts::FRAC_PI_2),
        _ => DQuat::IDENTITY,
    }
}

/// One canonical bone both skeletons map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappedBone {
    /// The canonical bone.
    pub bone: HumanBone,
    /// Source joint index.
    pub source_joint: usize,
    /// Target joint index.
    pub target_joint: usize,
    /// The nearest mapped canonical ancestor, if any.
    pub parent: Option<HumanBone>,
}

/// Retargeted motion for a target skeleton.
#[derive(Debug, Clone, PartialEq)]
pub struct RetargetedMotion {
    /// Target joint names, in the target skeleton's joint order.
    pub joint_names: Vec<String>,
    /// Frames.
    pub frame_count: usize,
    /// Frame rate (the source motion's).
    pub rate: FrameRate,
    /// Per frame, per target joint (frame-major, `frame * joints + joint`): the joint's local
    /// rotation relative to its parent joint's frame, including the rest rotation, i.e.
    /// `rest_rotation · R(channels)`; for a glTF target exactly the node's `rotation` (for the
    /// skeleton root, relative to the skeleton space — see [`GltfTarget::node_rotation`]).
    /// Consecutive frames have non-negative dot products (no sign flips).
    pub local_rotations: Vec<DQuat>,
    /// The joint carrying the root translation (the hips when they can move, otherwise the
    /// nearest ancestor with position channels); `None` when no joint can translate.
    pub root_joint: Option<usize>,
    /// Per frame: the root joint's local translation in its parent's frame (skeleton space for
    /// a root), in the target skeleton's unit.
    pub root_translations: Vec<DVec3>,
    /// Per frame: target hips world position, target unit and up axis.
    pub hips_world: Vec<DVec3>,
    /// Scale applied to the source hips path: target leg length / source leg length
    /// (target unit per source unit).
    pub root_scale: f64,
    /// The canonical bones both skeletons map.
    pub bones: Vec<MappedBone>,
}

fn is_ancestor(sk: &Skeleton, anc: usize, mut j: usize) -> bool {
    while let Some(p) = sk.joints[j].parent {
        if p == anc {
            return true;
        }
        j = p;
    }
    false
}

fn leg_length(
    sk: &Skeleton,
    map: &BTreeMap<HumanBone, usize>,
    rest: &[fk::JointTransform],
) -> Option<f64> {
    use HumanBone::*;
    let mut total = 0.0;
    let mut n = 0.0;
    for (a, b, c) in [
        (LeftUpperLeg, LeftLowerLeg, LeftFoot),
        (RightUpperLeg, RightLowerLeg, RightFoot),
    ] {
        if let (Some(&a), Some(&b), Some(&c)) = (map.get(&a), map.get(&b), map.get(&c)) {
            total += (rest[b].translation - rest[a].translation).length()
                + (rest[c].translation - rest[b].translation).length();
            n += 1.0;
        }
    }
    if n > 0.0 && total > 0.0 {
        return Some(total / n);
    }
    let hips = *map.get(&Hips)?;
    let up = match sk.up_axis {
        UpAxis::Y => rest[hips].translation.y,
        UpAxis::Z => rest[hips].translation.z,
    };
    (up.abs() > 0.0).then_some(up.abs())
}

/// Rotation taking unit `a` onto unit `b` by the shortest arc (`None` if either is degenerate).
fn arc(a: DVec3, b: DVec3) -> Option<DQuat> {
    let a = a.try_normalize()?;
    let b = b.try_normalize()?;
    Some(DQuat::from_rotation_arc(a, b))
}

/// Rotation `W` with `W·p ∥ dp` exactly and `W·l` in the plane of `dp`, `dl` (positive side).
fn frame_fit(p: DVec3, l: DVec3, dp: DVec3, dl: DVec3) -> Option<DQuat> {
    let basis = |p: DVec3, l: DVec3| -> Option<DMat3> {
        let e1 = p.try_normalize()?;
        let e2 = (l - e1 * l.dot(e1)).try_normalize()?;
        Some(DMat3::from_cols(e1, e2, e1.cross(e2)))
    };
    let from = basis(p, l)?;
    let to = basis(dp, dl)?;
    let q = DQuat::from_mat3(&(to * from.transpose())).normalize();
    q.is_finite().then_some(q)
}

/// How one mapped target joint is oriented.
#[derive(Debug, Clone, Copy)]
struct Aim {
    /// Primary child bone (direction matched exactly).
    primary: Option<HumanBone>,
    /// Left and right children (lateral direction).
    lateral: Option<(HumanBone, HumanBone)>,
}

fn aims(
    common: &[HumanBone],
    parent_of: &BTreeMap<HumanBone, Option<HumanBone>>,
) -> BTreeMap<HumanBone, Aim> {
    let mut out = BTreeMap::new();
    for &b in common {
        let children: Vec<HumanBone> = common
            .iter()
            .copied()
            .filter(|c| parent_of.get(c).copied().flatten() == Some(b))
            .collect();
        let central = children.iter().copied().find(|c| c.is_central());
        let primary = central.or(if children.len() == 1 {
            Some(children[0])
        } else {
            None
        });
        let lateral = children
            .iter()
            .copied()
            .find(|c| c.is_left() && children.contains(&c.mirror()))
            .map(|l| (l, l.mirror()));
        out.insert(b, Aim { primary, lateral });
    }
    out
}

/// Target world rotation of one mapped joint given the twist guess `guess`, the target rest
/// vectors in the joint's frame and the desired world directions.
fn orient(
    guess: DQuat,
    v_primary: Option<DVec3>,
    d_primary: Option<DVec3>,
    lat: Option<(DVec3, DVec3)>,
) -> DQuat {
    match (v_primary, d_primary) {
        (Some(v), Some(d)) => {
            if let Some((vl, dl)) = lat
                && let Some(q) = frame_fit(v, vl, d, dl)
            {
                return q;
            }
            match arc(guess * v, d) {
                Some(s) => (s * guess).normalize(),
                None => guess,
            }
        }
        _ => guess,
    }
}

/// Retargets `motion` of `source` onto `target`, with the bone maps of each: a [`Retargeter`]
/// run over every frame, signs kept continuous between frames.
pub fn retarget(
    source: &Skeleton,
    motion: &Motion,
    source_map: &BoneMap,
    target: &Skeleton,
    target_map: &BoneMap,
) -> Result<RetargetedMotion, SolverError> {
    let r = Retargeter::new(source, source_map, target, target_map)?;
    motion.check(source)?;
    let frames = motion.frame_count();
    let nj = target.joints.len();
    let mut local_rotations: Vec<DQuat> = Vec::with_capacity(frames * nj);
    let mut root_translations = Vec::with_capacity(frames);
    let mut hips_world = Vec::with_capacity(frames);
    for f in 0..frames {
        let mut pose = r.frame(motion, f)?;
        if let Some(prev) = local_rotations.len().checked_sub(nj) {
            pose.keep_signs_of(local_rotations.get(prev..).unwrap_or(&[]));
        }
        local_rotations.extend_from_slice(&pose.local_rotations);
        root_translations.push(pose.root_translation);
        hips_world.push(pose.hips_world);
    }
    Ok(RetargetedMotion {
        joint_names: target.joints.iter().map(|j| j.name.clone()).collect(),
        frame_count: frames,
        rate: motion.rate,
        local_rotations,
        root_joint: r.root_joint(),
        root_translations,
        hips_world,
        root_scale: r.root_scale(),
        bones: r.bones().to_vec(),
    })
}

impl RetargetedMotion {
    /// Local rotation of `joint` at `frame`.
    pub fn local_rotation(&self, frame: usize, joint: usize) -> DQuat {
        self.local_rotations[frame * self.joint_names.len() + joint]
    }

    /// BVH channel values for `target` (the skeleton this was retargeted onto): rotation
    /// channels from `rest_rotation⁻¹ · local` in each joint's rotation order (degrees, unwrapped
    /// to stay within 180° of the previous frame), the root joint's position channels from the
    /// root translation, other position channels from the joints' offsets. Joints with fewer
    /// than 3 rotation channels keep only the angles they have.
    pub fn to_motion(&self, target: &Skeleton) -> Result<Motion, SolverError> {
        if target.joints.len() != self.joint_names.len() {
            return Err(SolverError::Joint(format!(
                "the skeleton has {} joints but the motion was retargeted onto {}; pass the same target skeleton",
                target.joints.len(),
                self.joint_names.len()
            )));
        }
        let mut m = Motion::zeros(target, self.frame_count, self.rate)?;
        let offsets = target.channel_offsets();
        let mut prev: Vec<[f64; 3]> = vec![[0.0; 3]; target.joints.len()];
        for f in 0..self.frame_count {
            let frame = m.frame_mut(f);
            for (j, joint) in target.joints.iter().enumerate() {
                if joint.channels.is_empty() {
                    continue;
                }
                let r = joint.rest_rotation.inverse() * self.local_rotation(f, j);
                let mut ang = joint.rotation_order.from_quat(r);
                for k in 0..3 {
                    if f > 0 {
                        let d = ang[k] - prev[j][k];
                        ang[k] -= 360.0 * (d / 360.0).round();
                    }
                }
                prev[j] = ang;
                let t = if Some(j) == self.root_joint {
                    self.root_translations[f]
                } else {
                    joint.offset
                };
                for (c, ch) in joint.channels.iter().enumerate() {
                    frame[offsets[j] + c] = match ch {
                        Channel::Xposition => t.x,
                        Channel::Yposition => t.y,
                        Channel::Zposition => t.z,
                        r => ang[r.axis()],
                    } as f32;
                }
            }
        }
        Ok(m)
    }

    /// A BVH-writable skeleton and motion for `target`: `target` itself with [`Self::to_motion`]
    /// when every rest rotation is identity and every joint has 3 rotation channels (the root
    /// joint also 3 position channels); otherwise a copy with rest rotations baked into the
    /// offsets (rest pose = all channels zero, bones as in the target's rest pose), 3 rotation
    /// channels (ZXY) on every joint, 3 position channels on the root joint, names kept
    /// (whitespace and braces replaced by `_`, as BVH cannot hold them).
    pub fn to_bvh(&self, target: &Skeleton) -> Result<(Skeleton, Motion), SolverError> {
        let usable = target.joints.iter().enumerate().all(|(j, joint)| {
            joint.rest_rotation.abs_diff_eq(DQuat::IDENTITY, 1e-12)
                && joint.rotation_dof() == 3
                && (Some(j) != self.root_joint || joint.channels.len() == 6)
        });
        if usable && !target.joints.is_empty() {
            return Ok((target.clone(), self.to_motion(target)?));
        }
        let rest = rest_pose(target);
        let mut sk = target.clone();
        for (j, joint) in sk.joints.iter_mut().enumerate() {
            let pr = joint
                .parent
                .map(|p| rest[p].rotation)
                .unwrap_or(DQuat::IDENTITY);
            joint.offset = pr * joint.offset;
            joint.end_site = joint.end_site.map(|e| rest[j].rotation * e);
            joint.rest_rotation = DQuat::IDENTITY;
            joint.rotation_order = RotationOrder::Zxy;
            joint.channels = if Some(j) == self.root_joint || joint.parent.is_none() {
                Channel::POSITION_ROTATION_ZXY.to_vec()
            } else {
                Channel::ROTATION_ZXY.to_vec()
            };
            joint.limits = Vec::new();
            joint.name = joint
                .name
                .chars()
                .map(|c| {
                    if c.is_whitespace() || c == '{' || c == '}' {
                        '_'
                    } else {
                        c
                    }
                })
                .collect();
            if joint.name.is_empty() {
                joint.name = format!("joint{j}");
            }
        }
        // Local rotations in the baked frames: W' = W · W0⁻¹, L' = W'_parent⁻¹ · W'.
        let nj = target.joints.len();
        let mut baked = self.clone();
        baked.joint_names = sk.joints.iter().map(|j| j.name.clone()).collect();
        let mut world = vec![DQuat::IDENTITY; nj];
        let mut world_baked = vec![DQuat::IDENTITY; nj];
        for f in 0..self.frame_count {
            for (j, joint) in target.joints.iter().enumerate() {
                let pw = joint.parent.map(|p| world[p]).unwrap_or(DQuat::IDENTITY);
                world[j] = pw * self.local_rotation(f, j);
                world_baked[j] = world[j] * rest[j].rotation.inverse();
                let pwb = joint
                    .parent
                    .map(|p| world_baked[p])
                    .unwrap_or(DQuat::IDENTITY);
                baked.local_rotations[f * nj + j] = (pwb.inverse() * world_baked[j]).normalize();
            }
            // Root translation: in the baked frames the parent's frame is rotated by its rest.
            if let Some(r) = self.root_joint {
                let pr = target.joints[r]
                    .parent
                    .map(|p| rest[p].rotation)
                    .unwrap_or(DQuat::IDENTITY);
                baked.root_translations[f] = pr * self.root_translations[f];
            }
        }
        // Joints that are roots but not the root joint keep their offsets as position values.
        let motion = baked.to_motion(&sk)?;
        Ok((sk, motion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{Joint, LengthUnit};

    /// A humanoid with VRM joint names (prefixed), Y-up, in `unit`, with limb lengths scaled by
    /// `k` and the arms hanging `arm_down_deg` below horizontal at rest.
    fn humanoid(prefix: &str, k: f64, arm_down_deg: f64, unit: LengthUnit) -> Skeleton {
        let mut joints: Vec<Joint> = Vec::new();
        let mut add = |name: &str, parent: Option<usize>, off: DVec3| -> usize {
            let mut j = Joint::new(format!("{prefix}{name}"), parent, off * k);
            j.channels = if parent.is_none() {
                Channel::POSITION_ROTATION_ZXY.to_vec()
            } else {
                Channel::ROTATION_ZXY.to_vec()
            };
            joints.push(j);
            joints.len() - 1
        };
        let hips = add("hips", None, DVec3::new(0.0, 95.0, 0.0));
        let spine = add("spine", Some(hips), DVec3::new(0.0, 10.0, 0.0));
        let chest = add("chest", Some(spine), DVec3::new(0.0, 15.0, 1.0));
        let neck = add("neck", Some(chest), DVec3::new(0.0, 20.0, 0.0));
        add("head", Some(neck), DVec3::new(0.0, 10.0, 2.0));
        let (s, c) = arm_down_deg.to_radians().sin_cos();
        for (side, x) in [("left", 1.0), ("right", -1.0)] {
            let sh = add(
                &format!("{side}Shoulder"),
                Some(chest),
                DVec3::new(3.0 * x, 18.0, 0.0),
            );
            let ua = add(
                &format!("{side}UpperArm"),
                Some(sh),
                DVec3::new(15.0 * x, 0.0, 0.0),
            );
            let la = add(
                &format!("{side}LowerArm"),
                Some(ua),
                DVec3::new(28.0 * c * x, -28.0 * s, 0.0),
            );
            add(
                &format!("{side}Hand"),
                Some(la),
                DVec3::new(25.0 * c * x, -25.0 * s, 0.0),
            );
            let ul = add(
                &format!("{side}UpperLeg"),
                Some(hips),
                DVec3::new(9.0 * x, -5.0, 0.0),
            );
            let ll = add(
                &format!("{side}LowerLeg"),
                Some(ul),
                DVec3::new(0.0, -43.0, 0.0),
            );
            let ft = add(
                &format!("{side}Foot"),
                Some(ll),
                DVec3::new(0.0, -42.0, 0.0),
            );
            add(
                &format!("{side}Toes"),
                Some(ft),
                DVec3::new(0.0, -6.0, 12.0),
            );
        }
        Skeleton {
            joints,
            unit,
            up_axis: UpAxis::Y,
        }
    }

    fn map_with_prefix(prefix: &str) -> BoneMap {
        BoneMap {
            name: format!("{prefix}vrm"),
            description: String::new(),
            bones: HumanBone::ALL
                .iter()
                .filter(|b| **b != HumanBone::UpperChest)
                .map(|b| (*b, format!("{prefix}{}", b.name())))
                .collect(),
        }
    }

    #[test]
    fn synthetic_retarget_matches_directions_and_scales_the_root() {
        let src = humanoid("", 1.0, 0.0, LengthUnit::Centimetre);
        // 1.2 × the source's size, in metres (source in cm), arms at 45° at rest.
        let tgt = humanoid("t_", 0.012, 45.0, LengthUnit::Metre);
        let frames = 40;
        let mut m = Motion::zeros(&src, frames, FrameRate::FPS_30).unwrap();
        for f in 0..frames {
            let v = m.frame_mut(f);
            let s = f as f32 / 30.0;
            v[0] = 50.0 * s;
            v[1] = 95.0 + 3.0 * (6.0 * s).sin();
            v[2] = 10.0 * s;
            for (i, x) in v.iter_mut().enumerate().skip(3) {
                *x = 35.0 * (1.3 * s + i as f32 * 0.7).sin();
            }
        }
        let r = retarget(&src, &m, &map_with_prefix(""), &tgt, &map_with_prefix("t_")).unwrap();
        assert_eq!(r.bones.len(), 21);
        // Leg length ratio in target units (m) per source unit (cm).
        assert!((r.root_scale - 0.012).abs() < 1e-12, "{}", r.root_scale);
        let (bsk, bm) = r.to_bvh(&tgt).unwrap();
        assert_eq!(bsk, tgt, "a BVH-ready target is used as it is");
        for f in 0..frames {
            let ps = fk::pose(&src, m.frame(f));
            let pt = fk::pose(&bsk, bm.frame(f));
            assert!((pt[0].translation - ps[0].translation * 0.012).length() < 1e-6);
            for b in &r.bones {
                let Some(p) = b.parent else { continue };
                // Bones matched exactly: central ones and only children (lateral children of
                // the hips and chest follow the rest geometry, see the module docs).
                let siblings = r.bones.iter().filter(|x| x.parent == Some(p)).count();
                if !(b.bone.is_central() || siblings == 1) {
                    continue;
                }
                let pj = r.bones.iter().find(|x| x.bone == p).unwrap();
                let ds = ps[b.source_joint].translation - ps[pj.source_joint].translation;
                let dt = pt[b.target_joint].translation - pt[pj.target_joint].translation;
                let a = ds.angle_between(dt).to_degrees();
                assert!(a < 0.01, "frame {f} {:?}: {a}°", b.bone);
            }
        }
    }

    #[test]
    fn bad_maps_are_reported() {
        let src = humanoid("", 1.0, 0.0, LengthUnit::Centimetre);
        let m = Motion::zeros(&src, 2, FrameRate::FPS_30).unwrap();
        let mut bad = map_with_prefix("");
        bad.bones.insert(HumanBone::LeftHand, "leftUpperLeg".into());
        bad.bones.insert(HumanBone::LeftUpperLeg, "leftHand".into());
        let e = retarget(&src, &m, &bad, &src, &map_with_prefix("")).unwrap_err();
        assert!(e.to_string().contains("not below"), "{e}");
        let mut no_hips = map_with_prefix("");
        no_hips.bones.remove(&HumanBone::Hips);
        assert!(retarget(&src, &m, &no_hips, &src, &map_with_prefix("")).is_err());
        assert!(BoneMap::best_for(&src, &[]).is_err());
        assert_eq!(
            BoneMap::best_for(&src, &BoneMap::presets()).unwrap().name,
            "vrm"
        );
    }
}
