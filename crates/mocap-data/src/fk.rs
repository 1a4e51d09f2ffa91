//! Forward kinematics: joint world transforms from a skeleton and its motion.
//!
//! [`pose`] is the reference implementation (f64, one frame). Fast all-frames paths live beside
//! it and are tested against it.

use crate::{Channel, DQuat, DVec3, Motion, Skeleton};

/// World transform of one joint: rotation of its frame and position of its origin, in the
/// skeleton's unit and up axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JointTransform {
    /// Orientation of the joint frame in world space.
    pub rotation: DQuat,
    /// Position of the joint in world space, skeleton unit.
    pub translation: DVec3,
}

/// Local rotation and translation of joint `j` given its channel values (degrees / unit).
pub fn local_transform(skeleton: &Skeleton, j: usize, values: &[f32]) -> (DQuat, DVec3) {
    let joint = &skeleton.joints[j];
    let mut t = joint.offset;
    let mut angles = [0.0f64; 3];
    for (c, v) in joint.channels.iter().zip(values) {
        let v = *v as f64;
        match c {
            Channel::Xposition => t.x = v,
            Channel::Yposition => t.y = v,
            Channel::Zposition => t.z = v,
            r => angles[r.axis()] = v,
        }
    }
    (
        joint.rest_rotation * joint.rotation_order.to_quat(angles),
        t,
    )
}

/// World transforms of every joint for one frame of channel values (`frame.len()` must equal the
/// skeleton's channel count). Reference implementation, f64.
pub fn pose(skeleton: &Skeleton, frame: &[f32]) -> Vec<JointTransform> {
    let mut out: Vec<JointTransform> = Vec::with_capacity(skeleton.joints.len());
    let mut c = 0;
    for (j, joint) in skeleton.joints.iter().enumerate() {
        let n = joint.channels.len();
        let vals = frame.get(c..c + n).unwrap_or(&[]);
        c += n;
        let (r, t) = local_transform(skeleton, j, vals);
        let w = match joint.parent {
            Some(p) => {
                let pw = out[p];
                JointTransform {
                    rotation: pw.rotation * r,
                    translation: pw.translation + pw.rotation * t,
                }
            }
            None => JointTransform {
                rotation: r,
                translation: t,
            },
        };
        out.push(w);
    }
    out
}

/// World positions of every joint at every frame, frame-major (`frame * joints + joint`), f64
/// reference path.
pub fn positions_reference(skeleton: &Skeleton, motion: &Motion) -> Vec<DVec3> {
    let mut out = Vec::with_capacity(motion.frame_count() * skeleton.joints.len());
    for f in 0..motion.frame_count() {
        out.extend(
            pose(skeleton, motion.frame(f))
                .iter()
                .map(|t| t.translation),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FrameRate, Joint, LengthUnit, RotationOrder, UpAxis};

    #[test]
    fn two_bone_chain() {
        let mut root = Joint::new("root", None, DVec3::ZERO);
        root.channels = vec![
            Channel::Xposition,
            Channel::Yposition,
            Channel::Zposition,
            Channel::Zrotation,
            Channel::Xrotation,
            Channel::Yrotation,
        ];
        root.rotation_order = RotationOrder::Zxy;
        let mut child = Joint::new("child", Some(0), DVec3::new(10.0, 0.0, 0.0));
        child.channels = vec![Channel::Zrotation];
        let tip = Joint::new("tip", Some(1), DVec3::new(5.0, 0.0, 0.0));
        let sk = Skeleton {
            joints: vec![root, child, tip],
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        };
        let mut m = Motion::zeros(&sk, 1, FrameRate::FPS_30).unwrap();
        // root at (1,2,3) rotated 90° about Z; child bent 90° about Z.
        m.frame_mut(0)
            .copy_from_slice(&[1.0, 2.0, 3.0, 90.0, 0.0, 0.0, 90.0]);
        let p = positions_reference(&sk, &m);
        assert!((p[0] - DVec3::new(1.0, 2.0, 3.0)).length() < 1e-9);
        assert!((p[1] - DVec3::new(1.0, 12.0, 3.0)).length() < 1e-9);
        assert!((p[2] - DVec3::new(-4.0, 12.0, 3.0)).length() < 1e-9);
    }

    #[test]
    fn euler_round_trip() {
        for order in [
            RotationOrder::Xyz,
            RotationOrder::Xzy,
            RotationOrder::Yxz,
            RotationOrder::Yzx,
            RotationOrder::Zxy,
            RotationOrder::Zyx,
        ] {
            let a = [10.0, -35.0, 70.0];
            let q = order.to_quat(a);
            let b = order.from_quat(q);
            let q2 = order.to_quat(b);
            assert!(q.dot(q2).abs() > 1.0 - 1e-12, "{order:?} {a:?} {b:?}");
        }
    }
}
