//! Forward kinematics: joint world transforms from a skeleton and its motion.
//!
//! [`pose`] is the reference implementation (f64, one frame). Fast all-frames paths live beside
//! it and are tested against it.

use crate::{Channel, DQuat, DVec3, DataError, Motion, Skeleton};

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

// ---------------------------------------------------------------------------------------------
// Fast all-frames path

/// Frames processed together, structure-of-arrays, so the per-lane loops vectorise.
const LANES: usize = 16;

/// Where one axis of a joint's local translation comes from.
#[derive(Debug, Clone, Copy)]
enum TransSrc {
    /// The rest offset (skeleton unit).
    Const(f32),
    /// A position channel: column within the frame.
    Chan(usize),
}

/// Precomputed per-joint work: channel columns, rotation axes in composition order, rest rotation.
#[derive(Debug, Clone)]
struct JointPlan {
    parent: Option<usize>,
    /// Row-major rest rotation matrix, `None` when identity.
    rest: Option<[f32; 9]>,
    trans: [TransSrc; 3],
    /// `(axis 0..3, column)` for each rotation channel, in composition order.
    rots: Vec<(usize, usize)>,
}

/// A compiled skeleton: everything [`world_positions`] needs per joint, no per-frame lookups.
#[derive(Debug, Clone)]
struct Plan {
    joints: Vec<JointPlan>,
    cpf: usize,
}

impl Plan {
    fn new(skeleton: &Skeleton, motion: &Motion) -> Result<Self, DataError> {
        skeleton.validate()?;
        motion.check(skeleton)?;
        let offsets = skeleton.channel_offsets();
        let joints = skeleton
            .joints
            .iter()
            .zip(&offsets)
            .map(|(j, &base)| {
                let mut trans = [
                    TransSrc::Const(j.offset.x as f32),
                    TransSrc::Const(j.offset.y as f32),
                    TransSrc::Const(j.offset.z as f32),
                ];
                let mut by_axis = [None; 3];
                for (k, c) in j.channels.iter().enumerate() {
                    if c.is_rotation() {
                        by_axis[c.axis()] = Some(base + k);
                    } else {
                        trans[c.axis()] = TransSrc::Chan(base + k);
                    }
                }
                let rots = j
                    .rotation_order
                    .axes()
                    .iter()
                    .filter_map(|&a| by_axis[a].map(|col| (a, col)))
                    .collect();
                let rest = (j.rest_rotation.dot(DQuat::IDENTITY).abs() < 1.0 - 1e-15).then(|| {
                    let m = glam::DMat3::from_quat(j.rest_rotation.normalize());
                    // glam is column-major: m.col(c)[r].
                    let mut out = [0.0f32; 9];
                    for r in 0..3 {
                        for c in 0..3 {
                            out[r * 3 + c] = m.col(c)[r] as f32;
                        }
                    }
                    out
                });
                JointPlan {
                    parent: j.parent,
                    rest,
                    trans,
                    rots,
                }
            })
            .collect();
        Ok(Self {
            joints,
            cpf: skeleton.channel_count(),
        })
    }
}

type Lanes = [f32; LANES];

/// Sine and cosine of angles in **degrees**, per lane.
///
/// The angle is reduced to `r ∈ [-180°, 180°]` (exact for |angle| < 2^22·360°), the half angle
/// `h = r·π/360 ∈ [-π/2, π/2]` goes through Taylor polynomials to h^11 (sin) and h^12 (cos),
/// whose truncation error is below 6e-8 on that interval, and `sin r = 2·sin h·cos h`,
/// `cos r = 1 − 2·sin² h`. Measured maximum absolute error against `f64` over a dense sweep of
/// ±720°: 8.5e-7, bound asserted at 1e-6 (test `fast_sincos_accuracy`). NaN propagates.
#[inline(always)]
fn sincos_deg(a: &Lanes, s: &mut Lanes, c: &mut Lanes) {
    const ROUND: f32 = 12_582_912.0; // 1.5 · 2^23: (x + ROUND) − ROUND rounds to nearest.
    const HALF_RAD_PER_DEG: f32 = std::f32::consts::PI / 360.0;
    const S3: f32 = -1.0 / 6.0;
    const S5: f32 = 1.0 / 120.0;
    const S7: f32 = -1.0 / 5040.0;
    const S9: f32 = 1.0 / 362_880.0;
    const S11: f32 = -1.0 / 39_916_800.0;
    const C2: f32 = -0.5;
    const C4: f32 = 1.0 / 24.0;
    const C6: f32 = -1.0 / 720.0;
    const C8: f32 = 1.0 / 40_320.0;
    const C10: f32 = -1.0 / 3_628_800.0;
    const C12: f32 = 1.0 / 479_001_600.0;
    for l in 0..LANES {
        let x = a[l];
        let k = (x * (1.0 / 360.0) + ROUND) - ROUND;
        let r = x - k * 360.0;
        let h = r * HALF_RAD_PER_DEG;
        let h2 = h * h;
        let sh = h * (1.0 + h2 * (S3 + h2 * (S5 + h2 * (S7 + h2 * (S9 + h2 * S11)))));
        let ch = 1.0 + h2 * (C2 + h2 * (C4 + h2 * (C6 + h2 * (C8 + h2 * (C10 + h2 * C12)))));
        s[l] = 2.0 * sh * ch;
        c[l] = 1.0 - 2.0 * sh * sh;
    }
}

/// World rotation (row-major 3×3, per lane) and position (per lane) of every joint of a block.
struct Scratch {
    rot: Vec<[Lanes; 9]>,
    pos: Vec<[Lanes; 3]>,
}

/// Runs FK for `LANES` frames: `vals` holds exactly `LANES * plan.cpf` values (frame-major),
/// `out` receives `LANES * joints` positions (frame-major).
#[inline(always)]
fn block(plan: &Plan, vals: &[f32], scratch: &mut Scratch, out: &mut [[f32; 3]]) {
    let cpf = plan.cpf;
    let nj = plan.joints.len();
    let gather = |col: usize, dst: &mut Lanes| {
        for (l, d) in dst.iter_mut().enumerate() {
            *d = vals[l * cpf + col];
        }
    };
    let mut t: [Lanes; 3] = [[0.0; LANES]; 3];
    let mut ang: Lanes = [0.0; LANES];
    let mut s: Lanes = [0.0; LANES];
    let mut c: Lanes = [0.0; LANES];
    for (j, jp) in plan.joints.iter().enumerate() {
        for (a, src) in jp.trans.iter().enumerate() {
            match *src {
                TransSrc::Const(v) => t[a] = [v; LANES],
                TransSrc::Chan(col) => gather(col, &mut t[a]),
            }
        }
        let (mut r, p) = match jp.parent {
            Some(pi) => {
                let pr = scratch.rot[pi];
                let pp = scratch.pos[pi];
                let mut p = [[0.0f32; LANES]; 3];
                for row in 0..3 {
                    for l in 0..LANES {
                        p[row][l] = pp[row][l]
                            + pr[row * 3][l] * t[0][l]
                            + pr[row * 3 + 1][l] * t[1][l]
                            + pr[row * 3 + 2][l] * t[2][l];
                    }
                }
                (pr, p)
            }
            None => {
                let mut r = [[0.0f32; LANES]; 9];
                r[0] = [1.0; LANES];
                r[4] = [1.0; LANES];
                r[8] = [1.0; LANES];
                (r, t)
            }
        };
        if let Some(m) = &jp.rest {
            let prev = r;
            for row in 0..3 {
                for col in 0..3 {
                    for l in 0..LANES {
                        r[row * 3 + col][l] = prev[row * 3][l] * m[col]
                            + prev[row * 3 + 1][l] * m[3 + col]
                            + prev[row * 3 + 2][l] * m[6 + col];
                    }
                }
            }
        }
        for &(axis, col) in &jp.rots {
            gather(col, &mut ang);
            sincos_deg(&ang, &mut s, &mut c);
            // Right-multiply by the axis rotation: only two columns change.
            let (i, k) = match axis {
                0 => (1, 2), // Rx: col1' = col1·c + col2·s, col2' = col2·c − col1·s
                1 => (2, 0), // Ry: col2' = col2·c + col0·s, col0' = col0·c − col2·s
                _ => (0, 1), // Rz: col0' = col0·c + col1·s, col1' = col1·c − col0·s
            };
            for row in 0..3 {
                for l in 0..LANES {
                    let a = r[row * 3 + i][l];
                    let b = r[row * 3 + k][l];
                    r[row * 3 + i][l] = a * c[l] + b * s[l];
                    r[row * 3 + k][l] = b * c[l] - a * s[l];
                }
            }
        }
        scratch.rot[j] = r;
        scratch.pos[j] = p;
    }
    for (l, frame_out) in out.chunks_exact_mut(nj).enumerate() {
        for (j, o) in frame_out.iter_mut().enumerate() {
            let p = &scratch.pos[j];
            *o = [p[0][l], p[1][l], p[2][l]];
        }
    }
}

#[inline(always)]
fn run_blocks(plan: &Plan, values: &[f32], out: &mut [[f32; 3]]) {
    let nj = plan.joints.len();
    let cpf = plan.cpf;
    let mut scratch = Scratch {
        rot: vec![[[0.0; LANES]; 9]; nj],
        pos: vec![[[0.0; LANES]; 3]; nj],
    };
    let frames = out.len() / nj.max(1);
    let full = frames / LANES;
    for b in 0..full {
        let f0 = b * LANES;
        block(
            plan,
            &values[f0 * cpf..(f0 + LANES) * cpf],
            &mut scratch,
            &mut out[f0 * nj..(f0 + LANES) * nj],
        );
    }
    let rest = frames - full * LANES;
    if rest > 0 {
        let f0 = full * LANES;
        let mut vals = vec![0.0f32; LANES * cpf];
        vals[..rest * cpf].copy_from_slice(&values[f0 * cpf..frames * cpf]);
        let mut tmp = vec![[0.0f32; 3]; LANES * nj];
        block(plan, &vals, &mut scratch, &mut tmp);
        out[f0 * nj..].copy_from_slice(&tmp[..rest * nj]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_blocks_avx2(plan: &Plan, values: &[f32], out: &mut [[f32; 3]]) {
    run_blocks(plan, values, out);
}

fn run_blocks_baseline(plan: &Plan, values: &[f32], out: &mut [[f32; 3]]) {
    run_blocks(plan, values, out);
}

/// World positions of every joint at every frame, `f32`, frame-major (`out[frame * joints +
/// joint]`), in the skeleton's unit and up axis. `out` is cleared and refilled (its capacity is
/// reused).
///
/// Same semantics as [`positions_reference`] (see [`Joint`](crate::Joint)), computed in blocks
/// of 16 frames as structure-of-arrays with a per-joint plan built once, a polynomial sine/cosine
/// (absolute error < 1e-6, see `sincos_deg`) and, on x86-64 CPUs that have it (detected at run
/// time), AVX2. Position error against the `f64` reference grows with chain length and
/// magnitude: ~1e-6 relative of the largest coordinate for typical skeletons.
///
/// If the skeleton is invalid or the motion does not fit it, `out` is left empty; use
/// [`try_world_positions`] to get the reason.
pub fn world_positions(skeleton: &Skeleton, motion: &Motion, out: &mut Vec<[f32; 3]>) {
    if try_world_positions(skeleton, motion, out).is_err() {
        out.clear();
    }
}

/// [`world_positions`], returning why nothing was computed when the skeleton is invalid or the
/// motion does not fit it (`out` is then empty).
pub fn try_world_positions(
    skeleton: &Skeleton,
    motion: &Motion,
    out: &mut Vec<[f32; 3]>,
) -> Result<(), DataError> {
    out.clear();
    let plan = Plan::new(skeleton, motion)?;
    let frames = motion.frame_count();
    let n = frames
        .checked_mul(skeleton.joints.len())
        .ok_or(DataError::TooLarge {
            what: "joint positions",
            count: frames as u128 * skeleton.joints.len() as u128,
        })?;
    if n == 0 {
        return Ok(());
    }
    out.resize(n, [0.0; 3]);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports AVX2 and FMA, checked just above.
        unsafe { run_blocks_avx2(&plan, &motion.values, out) };
        return Ok(());
    }
    run_blocks_baseline(&plan, &motion.values, out);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FrameRate, Joint, LengthUnit, RotationOrder, UpAxis};

    #[test]
    fn two_bone_chain() {
        let mut root = Joint::new("root", None, DVec3::ZERO);
        root.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
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

    #[test]
    fn fast_sincos_accuracy() {
        let mut a = [0.0f32; LANES];
        let (mut s, mut c) = ([0.0f32; LANES], [0.0f32; LANES]);
        let mut worst = 0.0f64;
        let n = 1_440_000;
        for start in (0..n).step_by(LANES) {
            for (l, x) in a.iter_mut().enumerate() {
                *x = ((start + l) as f64 * 1440.0 / n as f64 - 720.0) as f32;
            }
            sincos_deg(&a, &mut s, &mut c);
            for l in 0..LANES {
                let r = (a[l] as f64).to_radians();
                worst = worst
                    .max((s[l] as f64 - r.sin()).abs())
                    .max((c[l] as f64 - r.cos()).abs());
            }
        }
        assert!(worst < 1e-6, "max abs error {worst}");
    }

    /// A random-ish skeleton exercising every path: 6-channel joints, partial rotations, all
    /// orders, rest rotations, channel-less joints; frame counts that are not multiples of 16.
    #[test]
    fn fast_path_matches_reference() {
        let orders = [
            RotationOrder::Xyz,
            RotationOrder::Xzy,
            RotationOrder::Yxz,
            RotationOrder::Yzx,
            RotationOrder::Zxy,
            RotationOrder::Zyx,
        ];
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut joints = Vec::new();
        for i in 0..23 {
            let parent = if i == 0 {
                None
            } else {
                Some((rnd() * i as f64) as usize)
            };
            let mut j = Joint::new(
                format!("j{i}"),
                parent,
                DVec3::new(
                    rnd() * 20.0 - 10.0,
                    rnd() * 20.0 - 10.0,
                    rnd() * 20.0 - 10.0,
                ),
            );
            let order = orders[i % 6];
            j.rotation_order = order;
            let mut ch: Vec<Channel> = Vec::new();
            if i % 4 == 0 {
                ch.extend([Channel::Yposition, Channel::Xposition]);
            }
            let rot = [Channel::Xrotation, Channel::Yrotation, Channel::Zrotation];
            let nrot = [3, 3, 2, 1, 0][i % 5];
            for &a in order.axes().iter().take(nrot) {
                ch.push(rot[a]);
            }
            j.channels = ch;
            if i % 3 == 1 {
                j.rest_rotation = RotationOrder::Xyz.to_quat([
                    rnd() * 180.0,
                    rnd() * 90.0 - 45.0,
                    rnd() * 360.0 - 180.0,
                ]);
            }
            joints.push(j);
        }
        let sk = Skeleton {
            joints,
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        };
        for frames in [0usize, 1, 15, 16, 37] {
            let mut m = Motion::zeros(&sk, frames, FrameRate::FPS_30).unwrap();
            for v in &mut m.values {
                *v = (rnd() * 720.0 - 360.0) as f32;
            }
            let want = positions_reference(&sk, &m);
            let mut got = vec![[9.0; 3]; 3];
            world_positions(&sk, &m, &mut got);
            assert_eq!(got.len(), want.len());
            let scale = want
                .iter()
                .map(|p| p.abs().max_element())
                .fold(1.0, f64::max);
            for (g, w) in got.iter().zip(&want) {
                let d = (DVec3::new(g[0] as f64, g[1] as f64, g[2] as f64) - *w).length();
                assert!(d < 2e-5 * scale, "{g:?} vs {w:?} (scale {scale})");
            }
            // The baseline (non-AVX2) kernel gives the same answer.
            let plan = Plan::new(&sk, &m).unwrap();
            let mut base = vec![[0.0f32; 3]; got.len()];
            run_blocks_baseline(&plan, &m.values, &mut base);
            for (a, b) in base.iter().zip(&got) {
                for k in 0..3 {
                    assert!((a[k] - b[k]).abs() <= 1e-4 * scale as f32);
                }
            }
        }
    }

    #[test]
    fn mismatched_motion_gives_empty_output() {
        let sk = Skeleton {
            joints: vec![Joint::new("a", None, DVec3::ZERO)],
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        };
        let m = Motion {
            rate: FrameRate::FPS_30,
            frame_time_s: 1.0 / 30.0,
            channels_per_frame: 3,
            values: vec![0.0; 9],
        };
        let mut out = vec![[1.0; 3]];
        world_positions(&sk, &m, &mut out);
        assert!(out.is_empty());
        assert!(try_world_positions(&sk, &m, &mut out).is_err());
    }
}
