//! Synthetic markers: place a marker set on a skeleton + motion, corrupt the result the way real
//! captures are corrupted (noise, occlusion runs, swaps), and measure a solve against the truth.
//!
//! Used by `mocap bench accuracy`, the accuracy tests and the studio's demo session. All
//! randomness comes from [`SynthRng`] (SplitMix64, seeded): the same seed gives the same take.

use crate::error::SolverError;
use crate::markerset::{MarkerSet, PlacedMarker};
use crate::model::{Pose, SolverModel, WorldPose};
use mocap_data::{DQuat, DVec3, LengthUnit, MarkerTrajectories, Motion};

/// Small deterministic random number generator (SplitMix64) with uniform and Gaussian draws.
#[derive(Debug, Clone)]
pub struct SynthRng {
    state: u64,
    spare: Option<f64>,
}

impl SynthRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
            spare: None,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `lo..=hi` (`lo` when `hi < lo`).
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    /// Standard normal draw (Box–Muller).
    pub fn gaussian(&mut self) -> f64 {
        if let Some(s) = self.spare.take() {
            return s;
        }
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let t = std::f64::consts::TAU * u2;
        self.spare = Some(r * t.sin());
        r * t.cos()
    }
}

/// Places `placed` markers on `model` animated by `motion` (the model skeleton's channels) and
/// returns their trajectories: millimetres, the skeleton's up axis, the motion's rate, labels =
/// marker names, every sample valid, residual 0.
pub fn markers_from_motion(
    model: &SolverModel,
    placed: &[PlacedMarker],
    motion: &Motion,
) -> Result<MarkerTrajectories, SolverError> {
    motion
        .check(&model.skeleton)
        .map_err(|e| SolverError::BadSkeleton(format!("motion does not fit the skeleton: {e}")))?;
    let mut segs = Vec::with_capacity(placed.len());
    for p in placed {
        let s = model.joint_index(&p.segment).ok_or_else(|| {
            SolverError::BadSkeleton(format!(
                "marker {} is on segment {}, which the skeleton lacks",
                p.name, p.segment
            ))
        })?;
        segs.push((s, DVec3::from_array(p.offset_mm)));
    }
    let frames = motion.frame_count();
    let m = placed.len();
    let mut positions = Vec::with_capacity(frames * m);
    let mut pose = model.rest_pose();
    let mut world = WorldPose::new(model.joints.len());
    for f in 0..frames {
        model.set_pose_from_channels(motion.frame(f), &mut pose);
        model.forward(&pose, &mut world);
        for (s, o) in &segs {
            let p = world.position_mm[*s] + world.rotation[*s] * *o;
            positions.push([p.x as f32, p.y as f32, p.z as f32]);
        }
    }
    let n = frames * m;
    MarkerTrajectories::from_parts(
        placed.iter().map(|p| p.name.clone()).collect(),
        frames,
        motion.rate,
        LengthUnit::Millimetre,
        model.skeleton.up_axis,
        positions,
        vec![0.0; n],
        vec![0; n],
        vec![true; n],
    )
    .map_err(|e| SolverError::BadSkeleton(e.to_string()))
}

/// Places marker set `set` on `model` + `motion` (see [`markers_from_motion`]). When fewer than
/// `min_fraction` of the set's markers fit the skeleton's joint names, the automatic set
/// ([`MarkerSet::automatic`]) is used instead. Returns the trajectories, the placed markers and
/// whether the automatic set was used.
pub fn synthesize(
    model: &SolverModel,
    set: &MarkerSet,
    motion: &Motion,
    min_fraction: f64,
) -> Result<(MarkerTrajectories, Vec<PlacedMarker>, bool), SolverError> {
    let (placed, _unplaced) = set.place(model);
    let (placed, auto) = if (placed.len() as f64) < min_fraction * set.markers.len() as f64 {
        (MarkerSet::automatic(model).place(model).0, true)
    } else {
        (placed, false)
    };
    let t = markers_from_motion(model, &placed, motion)?;
    Ok((t, placed, auto))
}

/// Adds Gaussian noise of standard deviation `sigma` (the take's length unit) to every valid
/// sample, independently per axis.
pub fn add_noise(take: &mut MarkerTrajectories, sigma: f64, rng: &mut SynthRng) {
    if sigma.is_nan() || sigma <= 0.0 {
        return;
    }
    let valid = take.valid().to_vec();
    for (p, v) in take.positions_mut().iter_mut().zip(valid) {
        if v {
            for c in p.iter_mut() {
                *c += (rng.gaussian() * sigma) as f32;
            }
        }
    }
}

/// Occludes about `fraction` of all marker-frames in runs of `min_run..=max_run` frames (random
/// marker, start and length). Returns the number of samples turned into gaps.
pub fn occlude(
    take: &mut MarkerTrajectories,
    fraction: f64,
    min_run: usize,
    max_run: usize,
    rng: &mut SynthRng,
) -> usize {
    let frames = take.frame_count();
    let m = take.marker_count();
    let total = frames * m;
    if total == 0 || fraction.is_nan() || fraction <= 0.0 {
        return 0;
    }
    let target = ((fraction.min(1.0)) * total as f64).round() as usize;
    let mut hidden = 0usize;
    let mut guard = 0usize;
    while hidden < target && guard < total * 4 {
        guard += 1;
        let marker = rng.range(0, m - 1);
        let len = rng.range(min_run.max(1), max_run.max(min_run.max(1)));
        let start = rng.range(0, frames - 1);
        for f in start..(start + len).min(frames) {
            let i = f * m + marker;
            if take.valid()[i] {
                take.valid_mut()[i] = false;
                hidden += 1;
                if hidden >= target {
                    break;
                }
            }
        }
    }
    hidden
}

/// Swaps about `fraction` of all marker-frames between a marker and its nearest visible
/// neighbour (at the run's first frame), in runs of 1–10 frames — the labelling error of a real
/// auto-labeller. Returns the number of marker-frames affected (each swap touches two).
pub fn swap_nearby(take: &mut MarkerTrajectories, fraction: f64, rng: &mut SynthRng) -> usize {
    let frames = take.frame_count();
    let m = take.marker_count();
    let total = frames * m;
    if total == 0 || m < 2 || fraction.is_nan() || fraction <= 0.0 {
        return 0;
    }
    let target = (fraction.min(1.0) * total as f64).round() as usize;
    let mut affected = 0usize;
    let mut guard = 0usize;
    while affected < target && guard < total * 4 {
        guard += 1;
        let a = rng.range(0, m - 1);
        let start = rng.range(0, frames - 1);
        let len = rng.range(1, 10);
        let Some(pa) = take.position(start, a) else {
            continue;
        };
        let mut best: Option<(usize, f32)> = None;
        for b in 0..m {
            if b == a {
                continue;
            }
            if let Some(pb) = take.position(start, b) {
                let d = (0..3).map(|k| (pa[k] - pb[k]).powi(2)).sum::<f32>();
                if best.is_none_or(|(_, bd)| d < bd) {
                    best = Some((b, d));
                }
            }
        }
        let Some((b, _)) = best else {
            continue;
        };
        for f in start..(start + len).min(frames) {
            let sa = take.sample(f, a);
            let sb = take.sample(f, b);
            if sa.valid && sb.valid {
                take.set_sample(f, a, sb);
                take.set_sample(f, b, sa);
                affected += 2;
            }
        }
    }
    affected
}

/// A synthetic take to exercise marker clean-up (tests, `mocap bench stack`): `markers`
/// markers labelled `M00`, `M01`, … at 120 Hz, millimetres, Z up, each moving smoothly (a few
/// sinusoids) with 0.3 mm noise, about 2 % of samples occluded in runs of 1–40 frames, and a
/// one-frame 40 mm spike every ~500 frames per marker. Deterministic for a given `seed`.
/// Fails only when `markers × frames` overflows.
pub fn cleanup_take(
    markers: usize,
    frames: usize,
    seed: u64,
) -> Result<MarkerTrajectories, SolverError> {
    let mut rng = SynthRng::new(seed);
    let labels: Vec<String> = (0..markers).map(|i| format!("M{i:02}")).collect();
    let n = markers * frames;
    let params: Vec<[f64; 6]> = (0..markers)
        .map(|_| std::array::from_fn(|_| rng.uniform()))
        .collect();
    let mut positions = Vec::with_capacity(n);
    for f in 0..frames {
        let s = f as f64 / 120.0;
        for p in &params {
            let w = 0.5 + 2.0 * p[0];
            positions.push([
                (300.0 * p[1] + 200.0 * (w * s + 6.0 * p[2]).sin()) as f32,
                (300.0 * p[3] + 150.0 * (0.7 * w * s).cos()) as f32,
                (800.0 + 500.0 * p[4] + 80.0 * (1.3 * w * s + p[5]).sin()) as f32,
            ]);
        }
    }
    let mut take = MarkerTrajectories::from_parts(
        labels,
        frames,
        mocap_data::FrameRate::FPS_120,
        LengthUnit::Millimetre,
        mocap_data::UpAxis::Z,
        positions,
        vec![0.5; n],
        vec![0b0111; n],
        vec![true; n],
    )?;
    add_noise(&mut take, 0.3, &mut rng);
    if markers > 0 && frames > 2 {
        for _ in 0..(n / 500) {
            let (f, m) = (rng.range(1, frames - 2), rng.range(0, markers - 1));
            let i = f * markers + m;
            take.positions_mut()[i][0] += 40.0;
        }
    }
    occlude(&mut take, 0.02, 1, 40, &mut rng);
    Ok(take)
}

/// Errors of a solved motion against the truth, over the joints in `mask`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MotionError {
    /// Mean per-joint position error, mm.
    pub mpjpe_mm: f64,
    /// Largest joint position error, mm.
    pub max_mm: f64,
    /// Mean geodesic angle between solved and true joint global rotations, degrees.
    pub rotation_err_deg: f64,
    /// Joints evaluated.
    pub joints: usize,
    /// Frames evaluated.
    pub frames: usize,
}

/// Compares `solved` with `truth` (both channels of `model`'s skeleton) frame by frame over the
/// joints where `mask[j]` is true (all when `mask` is empty), skipping frames where `frame_ok`
/// is false (when given).
pub fn compare_motions(
    model: &SolverModel,
    truth: &Motion,
    solved: &Motion,
    mask: &[bool],
    frame_ok: Option<&[bool]>,
) -> MotionError {
    compare_models(model, truth, model, solved, mask, frame_ok)
}

/// [`compare_motions`] where the solve ran on another model of the same joints (e.g. a
/// calibrated, rescaled copy of the true skeleton): world positions and rotations of
/// `truth_model`/`truth` against `solved_model`/`solved`.
pub fn compare_models(
    truth_model: &SolverModel,
    truth: &Motion,
    solved_model: &SolverModel,
    solved: &Motion,
    mask: &[bool],
    frame_ok: Option<&[bool]>,
) -> MotionError {
    let frames = truth.frame_count().min(solved.frame_count());
    let n = truth_model.joints.len().min(solved_model.joints.len());
    let mut pa: Pose = truth_model.rest_pose();
    let mut pb: Pose = solved_model.rest_pose();
    let mut wa = WorldPose::new(truth_model.joints.len());
    let mut wb = WorldPose::new(solved_model.joints.len());
    let (mut sum, mut max, mut ang, mut cnt, mut used_frames) = (0.0, 0.0f64, 0.0, 0usize, 0);
    for f in 0..frames {
        if let Some(ok) = frame_ok
            && !ok.get(f).copied().unwrap_or(false)
        {
            continue;
        }
        used_frames += 1;
        truth_model.set_pose_from_channels(truth.frame(f), &mut pa);
        solved_model.set_pose_from_channels(solved.frame(f), &mut pb);
        truth_model.forward(&pa, &mut wa);
        solved_model.forward(&pb, &mut wb);
        for j in 0..n {
            if !mask.is_empty() && !mask[j] {
                continue;
            }
            let d = (wa.position_mm[j] - wb.position_mm[j]).length();
            sum += d;
            max = max.max(d);
            ang += geodesic_deg(wa.rotation[j], wb.rotation[j]);
            cnt += 1;
        }
    }
    let c = cnt.max(1) as f64;
    MotionError {
        mpjpe_mm: if cnt > 0 { sum / c } else { f64::NAN },
        max_mm: max,
        rotation_err_deg: if cnt > 0 { ang / c } else { f64::NAN },
        joints: cnt.checked_div(used_frames).unwrap_or(0),
        frames: used_frames,
    }
}

/// Angle of the rotation taking `a` to `b`, degrees (0–180).
pub fn geodesic_deg(a: DQuat, b: DQuat) -> f64 {
    let d = a.dot(b).abs().min(1.0);
    (2.0 * d.acos()).to_degrees()
}

/// Settings of an accuracy run ([`accuracy_run`]).
#[derive(Debug, Clone)]
pub struct AccuracyConfig {
    /// Marker set to place (the automatic set is used when fewer than 80 % of it fits).
    pub markerset: MarkerSet,
    /// Gaussian noise, standard deviation per axis, mm.
    pub noise_mm: f64,
    /// Fraction of marker-frames occluded, in runs of 1–60 frames.
    pub occlusion: f64,
    /// Fraction of marker-frames swapped between nearby markers.
    pub swaps: f64,
    /// Random seed.
    pub seed: u64,
    /// Use only frames `start..end` of the motion (0-based; clipped), all when `None`.
    pub frames: Option<std::ops::Range<usize>>,
    /// Solver options.
    pub solve: crate::ik::SolveOptions,
}

/// Outcome of an accuracy run.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AccuracyReport {
    /// Mean per-joint position error vs truth, mm.
    pub mpjpe_mm: f64,
    /// Largest joint position error, mm.
    pub max_joint_err_mm: f64,
    /// Mean geodesic angle of joint global rotations vs truth, degrees.
    pub rotation_err_deg: f64,
    /// Joints evaluated (those the markers determine).
    pub joints_evaluated: usize,
    /// Frames solved.
    pub frames: usize,
    /// Frames the solver marked failed (evaluated anyway, holding the last good pose).
    pub frames_failed: usize,
    /// Markers placed.
    pub markers: usize,
    /// Whether the automatic marker set replaced the requested one.
    pub automatic_markerset: bool,
    /// Fraction of marker-frames actually occluded.
    pub occluded_fraction: f64,
    /// Fraction of marker-frames actually swapped.
    pub swapped_fraction: f64,
    /// RMS residual of visible markers after the solve, mm.
    pub marker_rms_mm: f64,
    /// Solve throughput (frames/s, wall clock, all cores the solver used).
    pub solve_fps: f64,
}

/// Places markers on a real `motion` of `skeleton`, corrupts them per `config`, solves with the
/// true skeleton and true marker offsets, and measures the solve against the motion.
/// Position channels of non-root joints that move (e.g. `Hips` under a static root) are solved;
/// static ones are baked in from frame 0.
pub fn accuracy_run(
    skeleton: &mocap_data::Skeleton,
    motion: &Motion,
    config: &AccuracyConfig,
) -> Result<AccuracyReport, SolverError> {
    motion
        .check(skeleton)
        .map_err(|e| SolverError::BadSkeleton(format!("motion does not fit the skeleton: {e}")))?;
    let mut motion = motion.clone();
    if let Some(r) = &config.frames {
        let cpf = motion.channels_per_frame;
        let end = r.end.min(motion.frame_count());
        let start = r.start.min(end);
        motion.values = motion.values[start * cpf..end * cpf].to_vec();
    }
    if motion.frame_count() == 0 {
        return Err(SolverError::BadSkeleton("the motion has no frames".into()));
    }
    let tol = 1.0 / skeleton.unit.to_mm(); // 1 mm in the skeleton's unit
    let opts = crate::model::ModelOptions {
        translation_joints: crate::model::moving_translation_joints(skeleton, &motion, tol),
    };
    let baked = crate::model::bake_position_channels(skeleton, &motion, 0);
    let model = SolverModel::new(&baked, &opts)?;
    let (mut take, placed, auto) = synthesize(&model, &config.markerset, &motion, 0.8)?;
    let mut rng = SynthRng::new(config.seed);
    let total = (take.frame_count() * take.marker_count()).max(1) as f64;
    add_noise(&mut take, config.noise_mm, &mut rng);
    let swapped = swap_nearby(&mut take, config.swaps, &mut rng);
    let hidden = occlude(&mut take, config.occlusion, 1, 60, &mut rng);
    let binding = crate::markerset::bind(&model, &placed, &take.labels, "");
    let solver = crate::ik::IkSolver::new(
        model.clone(),
        binding.markers,
        config.solve.for_set(&config.markerset),
    )?;
    let t0 = std::time::Instant::now();
    let res = solver.solve_take(&take, None)?;
    let secs = t0.elapsed().as_secs_f64();
    let mask = solver.determined_joints();
    let err = compare_motions(&model, &motion, &res.motion, &mask, None);
    let (rms, _) = res.marker_rms_max_mm();
    Ok(AccuracyReport {
        mpjpe_mm: err.mpjpe_mm,
        max_joint_err_mm: err.max_mm,
        rotation_err_deg: err.rotation_err_deg,
        joints_evaluated: err.joints,
        frames: err.frames,
        frames_failed: res.frame_ok.iter().filter(|ok| !**ok).count(),
        markers: placed.len(),
        automatic_markerset: auto,
        occluded_fraction: hidden as f64 / total,
        swapped_fraction: swapped as f64 / total,
        marker_rms_mm: rms,
        solve_fps: motion.frame_count() as f64 / secs.max(1e-9),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_deterministic_and_roughly_normal() {
        let mut a = SynthRng::new(7);
        let mut b = SynthRng::new(7);
        let xs: Vec<f64> = (0..20000).map(|_| a.gaussian()).collect();
        let ys: Vec<f64> = (0..20000).map(|_| b.gaussian()).collect();
        assert_eq!(xs, ys);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
