//! VMC frames → a motion on a humanoid skeleton (and blendshape curves), so a skeleton stream
//! (an inertial suit, VSeeFace, any VMC performer) records as BVH and drives characters through
//! the retargeting without the marker solve.
//!
//! The skeleton has one joint per Unity humanoid bone the stream sent, named as Unity names it
//! (`Hips`, `LeftUpperLeg`, `LeftIndexProximal`, …; the humanoid automap and the `vrm` bone map
//! read these names), parented to the nearest ancestor bone the stream has, offsets from the
//! first frame that sent each bone, metres, right-handed Y-up, identity rest rotations (so the
//! channel rotations are the VMC local rotations). The hips carry the root translation (the
//! avatar root composed with the hips' local transform); every joint rotates in ZXY order,
//! degrees, unwrapped frame to frame so curves do not jump by 360°. Later changes of a bone's
//! local position (other than the hips') are not kept: a skeleton's offsets are fixed.

use crate::vmc_in::{BonePose, UNITY_BONES, VmcFrame, unity_bone_index};
use mocap_data::face::{ARKIT_BLENDSHAPES, FaceChannel, normalize_name};
use mocap_data::{
    Channel, Curve, DQuat, DVec3, FaceCurves, FrameRate, Joint, LengthUnit, Motion, RotationOrder,
    Skeleton, UpAxis,
};

/// Why VMC frames do not make a take.
#[derive(Debug, thiserror::Error)]
pub enum VmcTakeError {
    /// No frame had a pose.
    #[error("no VMC frame with bones arrived; is the sender streaming to this port?")]
    NoFrames,
    /// The stream never sent the hips.
    #[error(
        "the VMC stream sent no Hips bone (got {0}); a humanoid needs the hips to root the skeleton"
    )]
    NoHips(String),
    /// A data error building the motion.
    #[error("building the motion: {0}")]
    Data(#[from] mocap_data::DataError),
}

/// A recorded VMC stream.
#[derive(Debug, Clone)]
pub struct VmcTake {
    /// The humanoid skeleton (Unity bone names, metres, Y-up).
    pub skeleton: Skeleton,
    /// One frame per VMC frame with a pose (rotations degrees, hips translation metres).
    pub motion: Motion,
    /// Blendshape weights per motion frame (unitless; ARKit channels under their camelCase
    /// names first, then other names as sent); `None` when the stream sent none.
    pub face: Option<FaceCurves>,
    /// Joint of each [`UNITY_BONES`] entry the skeleton has.
    pub joints: Vec<(usize, usize)>,
}

/// The stream's frame rate: the median interval of the sender's `/VMC/Ext/T` clock over the
/// frames that have it (else of the arrival times), rounded to a whole rate when within 1 %; 60 Hz with fewer than two
/// frames.
pub fn estimate_rate(frames: &[VmcFrame]) -> FrameRate {
    let sent: Vec<f64> = frames.iter().filter_map(|f| f.time_s).collect();
    let times: Vec<f64> = if sent.len() >= 2 {
        sent
    } else {
        let t0 = frames.first().map(|f| f.received);
        frames
            .iter()
            .filter_map(|f| Some(f.received.duration_since(t0?).as_secs_f64()))
            .collect()
    };
    let mut d: Vec<f64> = times
        .windows(2)
        .filter_map(|w| Some(w.get(1)? - w.first()?))
        .filter(|d| d.is_finite() && *d > 1e-5)
        .collect();
    d.sort_by(f64::total_cmp);
    let Some(median) = d.get(d.len() / 2) else {
        return FrameRate::FPS_60;
    };
    let hz = 1.0 / median;
    let whole = hz.round();
    if whole >= 1.0 && ((hz - whole) / hz).abs() < 0.01 {
        return FrameRate::integer(whole as u32).unwrap_or(FrameRate::FPS_60);
    }
    FrameRate::from_hz(hz).unwrap_or(FrameRate::FPS_60)
}

/// The skeleton, motion and blendshape curves of `frames` (those with a pose) at `rate`.
pub fn take_from_frames(frames: &[VmcFrame], rate: FrameRate) -> Result<VmcTake, VmcTakeError> {
    let posed: Vec<&VmcFrame> = frames.iter().filter(|f| posed(f)).collect();
    if posed.is_empty() {
        return Err(VmcTakeError::NoFrames);
    }
    let (skeleton, joints) = skeleton_of(&posed)?;
    let hips = unity_bone_index("Hips").unwrap_or(0);
    let offsets = skeleton.channel_offsets();
    let mut motion = Motion::zeros(&skeleton, posed.len(), rate)?;
    // Latest local transform per joint (held while a bone is not re-sent).
    let mut local: Vec<DQuat> = vec![DQuat::IDENTITY; skeleton.joints.len()];
    let mut hips_local: Option<BonePose> = None;
    let mut root = BonePose {
        position: DVec3::ZERO,
        rotation: DQuat::IDENTITY,
    };
    let mut prev: Option<Vec<f32>> = None;
    for (f, frame) in posed.iter().enumerate() {
        if let Some(r) = frame.root {
            root = r;
        }
        for (b, pose) in &frame.bones {
            if let Some(&(_, j)) = joints.iter().find(|(u, _)| u == b) {
                if let Some(slot) = local.get_mut(j) {
                    *slot = pose.rotation;
                }
                if *b == hips {
                    hips_local = Some(*pose);
                }
            }
        }
        let h = hips_local.unwrap_or(BonePose {
            position: DVec3::ZERO,
            rotation: DQuat::IDENTITY,
        });
        let hips_pos = root.position + root.rotation * h.position;
        let hips_rot = (root.rotation * h.rotation).normalize();
        let values = motion.frame_mut(f);
        for (j, joint) in skeleton.joints.iter().enumerate() {
            let q = if j == 0 { hips_rot } else { local[j] };
            let angles = joint.rotation_order.from_quat(q);
            let base = offsets.get(j).copied().unwrap_or(0);
            for (k, c) in joint.channels.iter().enumerate() {
                let v = if c.is_rotation() {
                    angles[c.axis()]
                } else {
                    hips_pos.to_array()[c.axis()]
                };
                if let Some(slot) = values.get_mut(base + k) {
                    *slot = v as f32;
                }
            }
        }
        // Unwrap rotations: the equivalent angle nearest the previous frame's.
        if let Some(p) = &prev {
            for (j, joint) in skeleton.joints.iter().enumerate() {
                let base = offsets.get(j).copied().unwrap_or(0);
                for (k, c) in joint.channels.iter().enumerate() {
                    if let (true, Some(v), Some(pv)) =
                        (c.is_rotation(), values.get_mut(base + k), p.get(base + k))
                    {
                        *v += 360.0 * ((pv - *v) / 360.0).round();
                    }
                }
            }
        }
        prev = Some(values.to_vec());
    }
    let face = face_of(frames, rate);
    Ok(VmcTake {
        skeleton,
        motion,
        face,
        joints,
    })
}

fn posed(f: &VmcFrame) -> bool {
    f.root.is_some() || !f.bones.is_empty()
}

/// The skeleton of the bones `frames` sent, and the joint of each.
fn skeleton_of(frames: &[&VmcFrame]) -> Result<(Skeleton, Vec<(usize, usize)>), VmcTakeError> {
    let mut first: Vec<Option<BonePose>> = vec![None; UNITY_BONES.len()];
    let mut first_root: Option<BonePose> = None;
    for f in frames {
        if first_root.is_none() {
            first_root = f.root;
        }
        for (b, p) in &f.bones {
            if let Some(slot) = first.get_mut(*b)
                && slot.is_none()
            {
                *slot = Some(*p);
            }
        }
    }
    let Some(hips) = first.first().copied().flatten() else {
        let got: Vec<&str> = UNITY_BONES
            .iter()
            .zip(&first)
            .filter(|(_, p)| p.is_some())
            .map(|((n, _), _)| *n)
            .collect();
        return Err(VmcTakeError::NoHips(if got.is_empty() {
            "no bones".into()
        } else {
            got.join(", ")
        }));
    };
    let root = first_root.unwrap_or(BonePose {
        position: DVec3::ZERO,
        rotation: DQuat::IDENTITY,
    });
    let mut joints: Vec<Joint> = Vec::new();
    let mut map: Vec<(usize, usize)> = Vec::new();
    for (b, ((name, ancestors), pose)) in UNITY_BONES.iter().zip(&first).enumerate() {
        let Some(pose) = pose else { continue };
        let parent = ancestors.iter().find_map(|a| {
            let ia = unity_bone_index(a)?;
            map.iter().find(|(u, _)| *u == ia).map(|(_, j)| *j)
        });
        let (offset, channels) = if b == 0 {
            (
                root.position + root.rotation * hips.position,
                Channel::POSITION_ROTATION_ZXY.to_vec(),
            )
        } else {
            (pose.position, Channel::ROTATION_ZXY.to_vec())
        };
        // Every joint after the hips has a parent: the hips are an ancestor of every bone.
        let mut joint = Joint::new(*name, if b == 0 { None } else { parent }, offset);
        joint.channels = channels;
        joint.rotation_order = RotationOrder::Zxy;
        map.push((b, joints.len()));
        joints.push(joint);
    }
    // End sites on the leaves (viewers draw the last bone from them): along the incoming bone.
    let n = joints.len();
    for j in 0..n {
        if !joints.iter().any(|c| c.parent == Some(j)) {
            let dir = joints
                .get(j)
                .map_or(DVec3::Y, |x| x.offset.try_normalize().unwrap_or(DVec3::Y));
            if let Some(x) = joints.get_mut(j) {
                x.end_site = Some(dir * 0.05);
            }
        }
    }
    let skeleton = Skeleton {
        joints,
        unit: LengthUnit::Metre,
        up_axis: UpAxis::Y,
    };
    skeleton.validate()?;
    Ok((skeleton, map))
}

/// Blendshape curves, one value per frame with a pose (the last applied weight held, also from
/// frames of blendshapes only; 0 before the first).
fn face_of(frames: &[VmcFrame], rate: FrameRate) -> Option<FaceCurves> {
    // Canonical names: ARKit channels in their order, then others in first-seen order.
    let canonical = |n: &str| match normalize_name(n) {
        Some(FaceChannel::Blendshape(i)) => ARKIT_BLENDSHAPES.get(i).map(|s| s.to_string()),
        _ => None,
    };
    let mut arkit: Vec<usize> = Vec::new();
    let mut other: Vec<String> = Vec::new();
    for f in frames {
        for (n, _) in &f.blendshapes {
            match normalize_name(n) {
                Some(FaceChannel::Blendshape(i)) if !arkit.contains(&i) => arkit.push(i),
                Some(FaceChannel::Blendshape(_)) => {}
                _ if !other.contains(n) => other.push(n.clone()),
                _ => {}
            }
        }
    }
    if arkit.is_empty() && other.is_empty() {
        return None;
    }
    arkit.sort_unstable();
    let names: Vec<String> = arkit
        .iter()
        .filter_map(|i| ARKIT_BLENDSHAPES.get(*i).map(|s| s.to_string()))
        .chain(other)
        .collect();
    let mut current = vec![0.0f32; names.len()];
    let mut curves: Vec<Curve> = names
        .iter()
        .map(|n| Curve {
            name: n.clone(),
            values: Vec::with_capacity(frames.len()),
        })
        .collect();
    for f in frames {
        for (n, v) in &f.blendshapes {
            let key = canonical(n).unwrap_or_else(|| n.clone());
            if let Some(i) = names.iter().position(|x| *x == key)
                && let Some(slot) = current.get_mut(i)
            {
                *slot = *v;
            }
        }
        for (c, v) in curves.iter_mut().zip(&current) {
            if posed(f) {
                c.values.push(*v);
            }
        }
    }
    FaceCurves::new(rate, None, curves, Vec::new()).ok()
}
