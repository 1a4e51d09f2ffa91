//! Foot contact detection and foot locking on solved motion (skeleton + motion).
//!
//! **Contacts.** For each tested joint, per frame: its height above the floor along the
//! skeleton's up axis, and its speed (central difference of world positions; one-sided at the
//! ends), both converted to millimetres. The floor is `floor_mm` when given, otherwise the
//! lowest height the joint reaches in the range. A contact starts when height < `enter_height_mm`
//! **and** speed < `enter_speed_mm_s`, and lasts until height > `exit_height_mm` **or**
//! speed > `exit_speed_mm_s` (hysteresis); contacts shorter than `min_frames` are dropped.
//!
//! **Foot lock.** During each contact of a foot (ankle) joint the joint is pinned at its world
//! position at the contact's first frame. The leg (the foot's parent = knee, its parent = hip)
//! is solved with analytic two-bone IK: the knee's interior angle from the law of cosines about
//! the current bend axis, then the hip swung so the ankle reaches the target; the foot's world
//! orientation is kept. The target blends from the animated position to the pin over
//! `blend_frames` frames before the contact and back after it. Only the hip, knee and foot
//! rotation channels change.

use crate::SolverError;
use crate::gaps::FrameRange;
use crate::retarget::{BoneMap, HumanBone};
use glam::{DQuat, DVec3};
use mocap_data::{Motion, Skeleton, UpAxis, fk};
use serde::{Deserialize, Serialize};

/// Contact detection parameters. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContactParams {
    /// Joint names to test. Empty: the feet and toes found by the built-in bone maps.
    pub joints: Vec<String>,
    /// Floor height along the up axis, millimetres; `None`: each joint's lowest height in the
    /// range.
    pub floor_mm: Option<f64>,
    /// Height above the floor below which a contact may start, millimetres.
    pub enter_height_mm: f64,
    /// Height above the floor above which a contact ends, millimetres (≥ enter).
    pub exit_height_mm: f64,
    /// Speed below which a contact may start, millimetres per second.
    pub enter_speed_mm_s: f64,
    /// Speed above which a contact ends, millimetres per second (≥ enter).
    pub exit_speed_mm_s: f64,
    /// Shortest contact reported, frames.
    pub min_frames: usize,
}

impl Default for ContactParams {
    fn default() -> Self {
        Self {
            joints: Vec::new(),
            floor_mm: None,
            enter_height_mm: 40.0,
            exit_height_mm: 60.0,
            enter_speed_mm_s: 250.0,
            exit_speed_mm_s: 500.0,
            min_frames: 3,
        }
    }
}

/// One contact of one joint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Joint index.
    pub joint: usize,
    /// Joint name.
    pub name: String,
    /// First frame in contact (0-based).
    pub start: usize,
    /// One past the last frame in contact.
    pub end: usize,
}

/// World positions (skeleton unit) of every joint at every frame of `range`.
fn world_positions(sk: &Skeleton, m: &Motion, range: std::ops::Range<usize>) -> Vec<Vec<DVec3>> {
    range
        .map(|f| {
            fk::pose(sk, m.frame(f))
                .iter()
                .map(|t| t.translation)
                .collect()
        })
        .collect()
}

fn up(sk: &Skeleton, p: DVec3) -> f64 {
    match sk.up_axis {
        UpAxis::Y => p.y,
        UpAxis::Z => p.z,
    }
}

fn resolve_joints(
    sk: &Skeleton,
    names: &[String],
    bones: &[HumanBone],
) -> Result<Vec<usize>, SolverError> {
    if names.is_empty() {
        let map = BoneMap::best_for(sk, &BoneMap::presets())
            .map_err(|e| {
                SolverError::Joint(format!(
                    "cannot find the feet automatically ({e}); name the joints"
                ))
            })?
            .resolve(sk);
        let js: Vec<usize> = bones.iter().filter_map(|b| map.get(b).copied()).collect();
        if js.is_empty() {
            return Err(SolverError::Joint(
                "the bone map names no foot joints; name the joints".into(),
            ));
        }
        return Ok(js);
    }
    names
        .iter()
        .map(|n| {
            sk.joint_index(n).ok_or_else(|| {
                SolverError::Joint(format!(
                    "no joint named {n:?}; use one of the skeleton's joint names"
                ))
            })
        })
        .collect()
}

fn check_contact_params(p: &ContactParams) -> Result<(), SolverError> {
    let bad = |name: &'static str, v: f64, what: &str| SolverError::InvalidParameter {
        name,
        value: v.to_string(),
        expected: what.into(),
    };
    for (n, v) in [
        ("enter_height_mm", p.enter_height_mm),
        ("exit_height_mm", p.exit_height_mm),
        ("enter_speed_mm_s", p.enter_speed_mm_s),
        ("exit_speed_mm_s", p.exit_speed_mm_s),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(bad(n, v, "a finite value ≥ 0"));
        }
    }
    if p.exit_height_mm < p.enter_height_mm {
        return Err(bad(
            "exit_height_mm",
            p.exit_height_mm,
            "at least enter_height_mm",
        ));
    }
    if p.exit_speed_mm_s < p.enter_speed_mm_s {
        return Err(bad(
            "exit_speed_mm_s",
            p.exit_speed_mm_s,
            "at least enter_speed_mm_s",
        ));
    }
    if let Some(f) = p.floor_mm
        && !f.is_finite()
    {
        return Err(bad("floor_mm", f, "a finite height in millimetres"));
    }
    Ok(())
}

/// Detects contacts of the chosen joints within `range` (`None`: whole take).
pub fn detect_contacts(
    params: &ContactParams,
    sk: &Skeleton,
    motion: &Motion,
    range: Option<FrameRange>,
) -> Result<Vec<Contact>, SolverError> {
    use HumanBone::*;
    check_contact_params(params)?;
    motion.check(sk)?;
    let r = FrameRange::resolve(range, motion.frame_count())?;
    let joints = resolve_joints(
        sk,
        &params.joints,
        &[LeftFoot, LeftToes, RightFoot, RightToes],
    )?;
    let pos = world_positions(sk, motion, r.clone());
    Ok(contacts_from_positions(
        params, sk, motion, &pos, r.start, &joints,
    ))
}

fn contacts_from_positions(
    params: &ContactParams,
    sk: &Skeleton,
    motion: &Motion,
    pos: &[Vec<DVec3>],
    first: usize,
    joints: &[usize],
) -> Vec<Contact> {
    let mm = sk.unit.to_mm();
    let dt = motion.rate.frame_duration_s();
    let n = pos.len();
    let mut out = Vec::new();
    for &j in joints {
        let h: Vec<f64> = pos.iter().map(|p| up(sk, p[j]) * mm).collect();
        let floor = params
            .floor_mm
            .unwrap_or_else(|| h.iter().copied().fold(f64::INFINITY, f64::min));
        let speed = |i: usize| -> f64 {
            if n < 2 {
                return 0.0;
            }
            let (a, b) = (i.saturating_sub(1), (i + 1).min(n - 1));
            (pos[b][j] - pos[a][j]).length() * mm / ((b - a) as f64 * dt)
        };
        let mut start: Option<usize> = None;
        for i in 0..=n {
            let in_contact = start.is_some();
            let now = if i == n {
                false
            } else {
                let height = h[i] - floor;
                let v = speed(i);
                if in_contact {
                    height <= params.exit_height_mm && v <= params.exit_speed_mm_s
                } else {
                    height < params.enter_height_mm && v < params.enter_speed_mm_s
                }
            };
            match (start, now) {
                (None, true) => start = Some(i),
                (Some(s), false) => {
                    if i - s >= params.min_frames.max(1) {
                        out.push(Contact {
                            joint: j,
                            name: sk.joints[j].name.clone(),
                            start: first + s,
                            end: first + i,
                        });
                    }
                    start = None;
                }
                _ => {}
            }
        }
    }
    out.sort_by_key(|c| (c.joint, c.start));
    out
}

/// Foot-lock parameters. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FootLockParams {
    /// Contact detection. `joints` here are the foot (ankle) joints to pin; empty: left and
    /// right foot from the built-in bone maps.
    pub contact: ContactParams,
    /// Frames over which the pin blends in before a contact and out after it.
    pub blend_frames: usize,
}

impl Default for FootLockParams {
    fn default() -> Self {
        Self {
            contact: ContactParams::default(),
            blend_frames: 4,
        }
    }
}

/// What [`foot_lock`] did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FootLockReport {
    /// The contacts that were pinned.
    pub contacts: Vec<Contact>,
    /// Frames whose channels changed (per foot, summed).
    pub frames_adjusted: usize,
    /// Largest distance between a foot and its target after IK over frames where the target is
    /// within the leg's reach, millimetres (numerical error only).
    pub max_residual_mm: f64,
    /// Frames (per foot, summed) whose target was out of the leg's reach (too far from or too
    /// close to the hip): the leg is straightened (or folded) towards the target instead.
    pub unreachable_frames: usize,
    /// Largest distance between a foot and its target over those frames, millimetres.
    pub max_unreachable_mm: f64,
}

/// Writes a local rotation into joint `j`'s rotation channels of `frame`, choosing each angle
/// within 180° of its previous value. Errors unless the joint has 3 rotation channels.
fn write_rotation(
    sk: &Skeleton,
    offsets: &[usize],
    frame: &mut [f32],
    j: usize,
    local: DQuat,
) -> Result<(), SolverError> {
    let joint = &sk.joints[j];
    if joint.rotation_dof() != 3 {
        return Err(SolverError::Joint(format!(
            "joint {:?} has {} rotation channels; foot lock needs 3 on the hip, knee and foot",
            joint.name,
            joint.rotation_dof()
        )));
    }
    let r = joint.rest_rotation.inverse() * local;
    let ang = joint.rotation_order.from_quat(r);
    for (c, ch) in joint.channels.iter().enumerate() {
        if ch.is_rotation() {
            let old = frame[offsets[j] + c] as f64;
            let mut a = ang[ch.axis()];
            a -= 360.0 * ((a - old) / 360.0).round();
            frame[offsets[j] + c] = a as f32;
        }
    }
    Ok(())
}

/// Detects foot contacts and pins the feet during them by two-bone IK on the legs (see the
/// module docs). Only frames in `range` (`None`: whole take) change.
pub fn foot_lock(
    params: &FootLockParams,
    sk: &Skeleton,
    motion: &mut Motion,
    range: Option<FrameRange>,
) -> Result<FootLockReport, SolverError> {
    foot_lock_with_contacts(params, sk, motion, range, None)
}

/// The foot (ankle) joints [`foot_lock`] pins: `params.contact.joints`, or the left and right
/// foot of the built-in bone maps (in that order).
pub fn foot_joints(params: &FootLockParams, sk: &Skeleton) -> Result<Vec<usize>, SolverError> {
    use HumanBone::*;
    resolve_joints(sk, &params.contact.joints, &[LeftFoot, RightFoot])
}

/// [`foot_lock`] with the contacts given instead of detected (`None`: detected as
/// [`foot_lock`] does). Contacts of joints that are not pinned feet are ignored; contacts are
/// clipped to `range`, and those starting outside it are ignored.
pub fn foot_lock_with_contacts(
    params: &FootLockParams,
    sk: &Skeleton,
    motion: &mut Motion,
    range: Option<FrameRange>,
    given: Option<&[Contact]>,
) -> Result<FootLockReport, SolverError> {
    check_contact_params(&params.contact)?;
    motion.check(sk)?;
    let r = FrameRange::resolve(range, motion.frame_count())?;
    let feet = foot_joints(params, sk)?;
    let mut legs = Vec::new();
    for &a in &feet {
        let k = sk.joints[a].parent;
        let h = k.and_then(|k| sk.joints[k].parent);
        let (Some(k), Some(h)) = (k, h) else {
            return Err(SolverError::Joint(format!(
                "foot joint {:?} needs a parent (knee) and grandparent (hip)",
                sk.joints[a].name
            )));
        };
        for j in [h, k, a] {
            if sk.joints[j].rotation_dof() != 3 {
                return Err(SolverError::Joint(format!(
                    "joint {:?} has {} rotation channels; foot lock needs 3 on the hip, knee and foot",
                    sk.joints[j].name,
                    sk.joints[j].rotation_dof()
                )));
            }
        }
        legs.push((h, k, a));
    }
    let pos = world_positions(sk, motion, r.clone());
    let contacts = match given {
        None => contacts_from_positions(&params.contact, sk, motion, &pos, r.start, &feet),
        Some(list) => list
            .iter()
            .filter(|c| feet.contains(&c.joint) && r.contains(&c.start) && c.end > c.start)
            .map(|c| Contact {
                end: c.end.min(r.end),
                ..c.clone()
            })
            .collect(),
    };
    let offsets = sk.channel_offsets();
    let mm = sk.unit.to_mm();
    let b = params.blend_frames;
    let mut report = FootLockReport {
        contacts: contacts.clone(),
        ..FootLockReport::default()
    };
    for &(h, k, a) in &legs {
        // Per frame: (weight, pin) of the strongest contact influence.
        let mut target: Vec<Option<(f64, DVec3)>> = vec![None; r.len()];
        for c in contacts.iter().filter(|c| c.joint == a) {
            let pin = pos[c.start - r.start][a];
            let lo = c.start.saturating_sub(b).max(r.start);
            let hi = (c.end + b).min(r.end);
            for f in lo..hi {
                let w = if f < c.start {
                    (f + b + 1 - c.start) as f64 / (b + 1) as f64
                } else if f >= c.end {
                    1.0 - (f + 1 - c.end) as f64 / (b + 1) as f64
                } else {
                    1.0
                };
                let slot = &mut target[f - r.start];
                if slot.is_none_or(|s| w > s.0) {
                    *slot = Some((w, pin));
                }
            }
        }
        for (i, t) in target.iter().enumerate() {
            let Some((w, pin)) = *t else { continue };
            let f = r.start + i;
            let pose = fk::pose(sk, motion.frame(f));
            let (hp, kp, ap) = (
                pose[h].translation,
                pose[k].translation,
                pose[a].translation,
            );
            let goal = ap.lerp(pin, w);
            let l1 = (kp - hp).length();
            let l2 = (ap - kp).length();
            if l1 < 1e-9 || l2 < 1e-9 {
                continue;
            }
            let eps = 1e-6 * (l1 + l2);
            let reach = (goal - hp).length();
            let d = reach.clamp((l1 - l2).abs() + eps, l1 + l2 - eps);
            let reachable = d == reach;
            let u = hp - kp;
            let v = ap - kp;
            let theta0 = u.angle_between(v);
            let theta1 = ((l1 * l1 + l2 * l2 - d * d) / (2.0 * l1 * l2))
                .clamp(-1.0, 1.0)
                .acos();
            let axis = u
                .cross(v)
                .try_normalize()
                .or_else(|| u.cross(goal - hp).try_normalize())
                .unwrap_or_else(|| u.any_orthonormal_vector());
            let knee_delta = DQuat::from_axis_angle(axis, theta1 - theta0);
            let a1 = kp + knee_delta * v;
            let hip_delta = match ((a1 - hp).try_normalize(), (goal - hp).try_normalize()) {
                (Some(x), Some(y)) => DQuat::from_rotation_arc(x, y),
                _ => DQuat::IDENTITY,
            };
            let wh = (hip_delta * pose[h].rotation).normalize();
            let wk = (hip_delta * knee_delta * pose[k].rotation).normalize();
            let wa = pose[a].rotation;
            let parent_h = sk.joints[h]
                .parent
                .map(|p| pose[p].rotation)
                .unwrap_or(DQuat::IDENTITY);
            let frame = motion.frame_mut(f);
            write_rotation(sk, &offsets, frame, h, parent_h.inverse() * wh)?;
            write_rotation(sk, &offsets, frame, k, wh.inverse() * wk)?;
            write_rotation(sk, &offsets, frame, a, wk.inverse() * wa)?;
            report.frames_adjusted += 1;
            let after = fk::pose(sk, motion.frame(f));
            let res = (after[a].translation - goal).length() * mm;
            if reachable {
                report.max_residual_mm = report.max_residual_mm.max(res);
            } else {
                report.unreachable_frames += 1;
                report.max_unreachable_mm = report.max_unreachable_mm.max(res);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{Channel, FrameRate, Joint, LengthUnit};

    /// A leg: root (6 ch) → hip → knee → foot (3 rotation channels each), Y-up, millimetres.
    fn leg() -> Skeleton {
        let rot = Channel::ROTATION_ZXY.to_vec();
        let mut root = Joint::new("Hips", None, DVec3::ZERO);
        root.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
        let mut hip = Joint::new("UpperLeg_L", Some(0), DVec3::new(100.0, 0.0, 0.0));
        hip.channels = rot.clone();
        let mut knee = Joint::new("LowerLeg_L", Some(1), DVec3::new(0.0, -450.0, 0.0));
        knee.channels = rot.clone();
        let mut foot = Joint::new("Foot_L", Some(2), DVec3::new(0.0, -420.0, 0.0));
        foot.channels = rot;
        Skeleton {
            joints: vec![root, hip, knee, foot],
            unit: LengthUnit::Millimetre,
            up_axis: UpAxis::Y,
        }
    }

    #[test]
    fn contacts_with_hysteresis_known_answer() {
        let sk = leg();
        // Root height profile: foot (870 mm below the root) at floor+0 for frames 0..10, rising
        // 10 mm/frame to 100 mm, then down again.
        let heights: Vec<f64> = (0..40)
            .map(|f| match f {
                0..10 => 0.0,
                10..20 => 10.0 * (f - 9) as f64,
                20..30 => 100.0 - 10.0 * (f - 19) as f64,
                _ => 0.0,
            })
            .collect();
        let mut m = Motion::zeros(&sk, heights.len(), FrameRate::FPS_30).unwrap();
        for (f, h) in heights.iter().enumerate() {
            m.frame_mut(f)[1] = (870.0 + h) as f32;
        }
        let p = ContactParams {
            joints: vec!["Foot_L".into()],
            enter_height_mm: 25.0,
            exit_height_mm: 45.0,
            enter_speed_mm_s: 100.0,
            exit_speed_mm_s: 1000.0,
            min_frames: 2,
            floor_mm: None,
        };
        let c = detect_contacts(&p, &sk, &m, None).unwrap();
        // Exit when height > 45 mm (frame 14: 50 mm; frame 13 at 40 mm moving 300 mm/s stays in
        // thanks to the hysteresis). Re-entry needs height < 25 mm and speed < 100 mm/s: frame 29
        // is on the floor but its central-difference speed is 10 mm / (2/30 s) = 150 mm/s, so the
        // contact restarts at frame 30.
        let ranges: Vec<(usize, usize)> = c.iter().map(|c| (c.start, c.end)).collect();
        assert_eq!(ranges, vec![(0, 14), (30, 40)]);
        // Range and explicit floor.
        let c = detect_contacts(
            &ContactParams {
                floor_mm: Some(-100.0),
                ..p.clone()
            },
            &sk,
            &m,
            Some(FrameRange::new(0, 20)),
        )
        .unwrap();
        assert!(c.is_empty(), "{c:?}");
        assert!(
            detect_contacts(
                &ContactParams {
                    exit_height_mm: 1.0,
                    ..p
                },
                &sk,
                &m,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn foot_lock_pins_a_sliding_foot() {
        let sk = leg();
        // The root slides forward 5 mm per frame with the foot on the floor: a foot skate.
        let frames = 30;
        let mut m = Motion::zeros(&sk, frames, FrameRate::FPS_30).unwrap();
        for f in 0..frames {
            let v = m.frame_mut(f);
            v[1] = 850.0; // knee slightly bent so the leg can reach
            v[2] = 5.0 * f as f32;
            v[6 + 1] = -20.0; // hip flexion (X)
            v[9 + 1] = 40.0; // knee (X)
            v[12 + 1] = -20.0;
        }
        let p = FootLockParams {
            contact: ContactParams {
                joints: vec!["Foot_L".into()],
                enter_speed_mm_s: 200.0,
                exit_speed_mm_s: 400.0,
                ..ContactParams::default()
            },
            blend_frames: 3,
        };
        let before = m.clone();
        let r = foot_lock(&p, &sk, &mut m, None).unwrap();
        assert_eq!(r.contacts.len(), 1);
        assert_eq!((r.contacts[0].start, r.contacts[0].end), (0, frames));
        assert!(r.max_residual_mm < 1e-3, "{}", r.max_residual_mm);
        let pin = fk::pose(&sk, before.frame(0))[3].translation;
        for f in 0..frames {
            let after = fk::pose(&sk, m.frame(f));
            assert!((after[3].translation - pin).length() < 1e-2, "frame {f}");
            // The root is untouched and the foot keeps its world orientation.
            assert_eq!(&m.frame(f)[..6], &before.frame(f)[..6]);
            let orig = fk::pose(&sk, before.frame(f));
            assert!(after[3].rotation.dot(orig[3].rotation).abs() > 1.0 - 1e-9);
        }
    }
}
