//! Shared helpers of the solve tests: a small humanoid skeleton with ball, universal and hinge
//! joints (ASF-like rest rotations and limits) and a smooth synthetic motion for it.
#![allow(dead_code)]

use mocap_data::{
    Channel, DQuat, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
};

fn joint(
    name: &str,
    parent: usize,
    offset: [f64; 3],
    rot: &[Channel],
    limits: &[(f64, f64)],
) -> Joint {
    let mut j = Joint::new(name, Some(parent), DVec3::from_array(offset));
    j.channels = rot.to_vec();
    j.rotation_order = RotationOrder::Xyz;
    j.limits = if limits.is_empty() {
        Vec::new()
    } else {
        limits.iter().map(|l| Some(*l)).collect()
    };
    j
}

/// A 16-joint humanoid in millimetres, Y up, facing +Z.
pub fn humanoid() -> Skeleton {
    use Channel::*;
    let ball = [Xrotation, Yrotation, Zrotation];
    let mut root = Joint::new("root", None, DVec3::ZERO);
    root.channels = vec![
        Xposition, Yposition, Zposition, Xrotation, Yrotation, Zrotation,
    ];
    root.rotation_order = RotationOrder::Xyz;
    let mut joints = vec![root];
    let mut add = |j: Joint| {
        joints.push(j);
        joints.len() - 1
    };
    let lhip = add(joint("lfemur", 0, [90.0, -60.0, 0.0], &ball, &[]));
    let lknee = add(joint(
        "ltibia",
        lhip,
        [0.0, -420.0, 0.0],
        &[Xrotation],
        &[(-5.0, 160.0)],
    ));
    let lankle = add(joint(
        "lfoot",
        lknee,
        [0.0, -400.0, 0.0],
        &[Xrotation, Zrotation],
        &[],
    ));
    let rhip = add(joint("rfemur", 0, [-90.0, -60.0, 0.0], &ball, &[]));
    let rknee = add(joint(
        "rtibia",
        rhip,
        [0.0, -420.0, 0.0],
        &[Xrotation],
        &[(-5.0, 160.0)],
    ));
    let rankle = add(joint(
        "rfoot",
        rknee,
        [0.0, -400.0, 0.0],
        &[Xrotation, Zrotation],
        &[],
    ));
    let spine = add(joint("lowerback", 0, [0.0, 100.0, 0.0], &ball, &[]));
    let chest = add(joint("thorax", spine, [0.0, 250.0, 0.0], &ball, &[]));
    let head = add(joint("head", chest, [0.0, 250.0, 0.0], &ball, &[]));
    let lsh = add(joint("lhumerus", chest, [180.0, 200.0, 0.0], &ball, &[]));
    let lel = add(joint(
        "lradius",
        lsh,
        [280.0, 0.0, 0.0],
        &[Yrotation],
        &[(-150.0, 5.0)],
    ));
    let lwr = add(joint(
        "lhand",
        lel,
        [250.0, 0.0, 0.0],
        &[Xrotation, Zrotation],
        &[],
    ));
    let rsh = add(joint("rhumerus", chest, [-180.0, 200.0, 0.0], &ball, &[]));
    let rel = add(joint(
        "rradius",
        rsh,
        [-280.0, 0.0, 0.0],
        &[Yrotation],
        &[(-5.0, 150.0)],
    ));
    let rwr = add(joint(
        "rhand",
        rel,
        [-250.0, 0.0, 0.0],
        &[Xrotation, Zrotation],
        &[],
    ));
    for (j, end) in [
        (lankle, [0.0, -60.0, 140.0]),
        (rankle, [0.0, -60.0, 140.0]),
        (head, [0.0, 200.0, 0.0]),
        (lwr, [120.0, 0.0, 0.0]),
        (rwr, [-120.0, 0.0, 0.0]),
    ] {
        joints[j].end_site = Some(DVec3::from_array(end));
    }
    // An ASF-like tilted rest frame on one joint, so rest rotations are exercised.
    joints[lsh].rest_rotation = DQuat::from_rotation_z(0.2);
    Skeleton {
        joints,
        unit: LengthUnit::Millimetre,
        up_axis: UpAxis::Y,
    }
}

/// `frames` frames of a smooth walking-like motion at 120 Hz (degrees, mm).
pub fn walk_motion(skeleton: &Skeleton, frames: usize) -> Motion {
    let mut m = Motion::zeros(skeleton, frames, FrameRate::FPS_120).expect("motion");
    let offs = skeleton.channel_offsets();
    for f in 0..frames {
        let t = f as f64 / 120.0;
        let s = (t * 2.0 * std::f64::consts::PI).sin();
        let c = (t * 2.0 * std::f64::consts::PI).cos();
        let frame = m.frame_mut(f);
        frame[0] = (200.0 * t) as f32;
        frame[1] = (950.0 + 15.0 * c) as f32;
        frame[2] = (900.0 * t) as f32;
        frame[3] = (3.0 * s) as f32;
        frame[4] = (20.0 * s + 10.0) as f32;
        frame[5] = (2.0 * c) as f32;
        for (j, joint) in skeleton.joints.iter().enumerate().skip(1) {
            let ph = j as f64 * 0.7;
            for (k, ch) in joint.channels.iter().enumerate() {
                let amp = match joint.name.as_str() {
                    "ltibia" | "rtibia" => 30.0,
                    "lradius" | "rradius" => 25.0,
                    _ => 15.0,
                };
                let mut v = amp * (t * 6.0 + ph + k as f64).sin();
                if ch.axis() == 2 && joint.name.ends_with("humerus") {
                    v += if joint.name.starts_with('l') {
                        -70.0
                    } else {
                        70.0
                    };
                }
                if joint.name.ends_with("tibia") {
                    v = v.abs() + 5.0;
                }
                if joint.name == "lradius" {
                    v = -(v.abs() + 10.0);
                }
                if joint.name == "rradius" {
                    v = v.abs() + 10.0;
                }
                frame[offs[j] + k] = v as f32;
            }
        }
    }
    m
}
