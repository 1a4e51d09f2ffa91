//! A realistic accuracy run: the solver is not told the truth. Markers sit where the marker set
//! says plus an unknown error per marker, the subject's segments differ from the template by an
//! unknown few per cent, markers drift slowly on the skin, and the subject is calibrated from a
//! generated range-of-motion trial before the take is solved. The oracle figure (true skeleton
//! and true marker offsets given to the solver, what [`crate::synth::accuracy_run`] measures)
//! is reported beside it, labelled as such.

use crate::SolverError;
use crate::ik::IkSolver;
use crate::markerset::{MarkerSet, PlacedMarker};
use crate::model::SolverModel;
use crate::pipeline::{self, Calibration, PipelineOptions};
use crate::synth::{
    AccuracyConfig, MotionError, SynthRng, add_noise, compare_models, markers_from_motion, occlude,
    swap_nearby,
};
use mocap_data::{MarkerTrajectories, Motion, Skeleton};

/// The unknown errors of a realistic run.
#[derive(Debug, Clone, PartialEq)]
pub struct Realism {
    /// Each marker's true offset differs from the marker set's by up to this much per axis
    /// (uniform), mm.
    pub offset_error_mm: f64,
    /// Each segment's true length differs from the template's by up to this fraction (uniform).
    pub length_error: f64,
    /// Soft-tissue drift: each marker moves by up to this much per axis, mm, slowly.
    pub drift_mm: f64,
    /// Drift periods are drawn between this and twice this, seconds.
    pub drift_period_s: f64,
    /// Frames per rotation channel in the generated range-of-motion trial.
    pub rom_frames_per_channel: usize,
}

impl Default for Realism {
    fn default() -> Self {
        Self {
            offset_error_mm: 15.0,
            length_error: 0.05,
            drift_mm: 3.0,
            drift_period_s: 6.0,
            rom_frames_per_channel: 24,
        }
    }
}

/// Figures of one solve against the truth.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figures {
    /// Mean per-joint position error, mm.
    pub mpjpe_mm: f64,
    /// Largest joint position error, mm.
    pub max_joint_err_mm: f64,
    /// Mean geodesic angle of joint global rotations, degrees.
    pub rotation_err_deg: f64,
}

impl From<MotionError> for Figures {
    fn from(e: MotionError) -> Self {
        Self {
            mpjpe_mm: e.mpjpe_mm,
            max_joint_err_mm: e.max_mm,
            rotation_err_deg: e.rotation_err_deg,
        }
    }
}

/// Outcome of [`realistic_run`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RealisticReport {
    /// The solve after calibrating on the range-of-motion trial (what a user gets).
    pub calibrated: Figures,
    /// Oracle: the solver given the true skeleton and true marker offsets (no calibration).
    pub oracle: Figures,
    /// Frames of the generated range-of-motion trial.
    pub rom_frames: usize,
    /// Frames solved.
    pub frames: usize,
    /// Markers placed.
    pub markers: usize,
    /// RMS residual of the calibration's marker fit, mm.
    pub calibration_rms_mm: f64,
}

/// The template with every non-root segment length scaled by 1 ± `e` (uniform).
fn perturbed_skeleton(sk: &Skeleton, e: f64, rng: &mut SynthRng) -> Skeleton {
    let mut out = sk.clone();
    for j in out.joints.iter_mut().filter(|j| j.parent.is_some()) {
        let k = 1.0 + e * (2.0 * rng.uniform() - 1.0);
        j.offset *= k;
        if let Some(es) = &mut j.end_site {
            *es *= k;
        }
    }
    out
}

/// A range-of-motion trial from `base` (a standing frame): every non-root rotation channel in
/// turn swings ±35° over `per` frames, the root held.
fn rom_motion(
    sk: &Skeleton,
    base: &[f32],
    per: usize,
    rate: mocap_data::FrameRate,
) -> Result<Motion, SolverError> {
    let offsets = sk.channel_offsets();
    let cols: Vec<usize> = sk
        .joints
        .iter()
        .enumerate()
        .filter(|(_, j)| j.parent.is_some())
        .flat_map(|(i, j)| {
            let o = offsets[i];
            j.channels
                .iter()
                .enumerate()
                .filter(|(_, c)| c.is_rotation())
                .map(move |(k, _)| o + k)
        })
        .collect();
    let frames = (cols.len() * per).max(1);
    let mut m = Motion::zeros(sk, frames, rate)
        .map_err(|e| SolverError::BadSkeleton(format!("range of motion: {e}")))?;
    for f in 0..frames {
        let row = m.frame_mut(f);
        row.copy_from_slice(base);
        if let Some(&c) = cols.get(f / per.max(1)) {
            let t = (f % per.max(1)) as f64 / per.max(1) as f64;
            row[c] += (35.0 * (std::f64::consts::TAU * t).sin()) as f32;
        }
    }
    Ok(m)
}

/// Adds slow sinusoidal drift (amplitude up to `mm` per axis, periods `period_s`–2×) to every
/// valid sample.
fn add_drift(take: &mut MarkerTrajectories, mm: f64, period_s: f64, rng: &mut SynthRng) {
    if mm <= 0.0 {
        return;
    }
    let n = take.marker_count();
    let params: Vec<[(f64, f64, f64); 3]> = (0..n)
        .map(|_| {
            std::array::from_fn(|_| {
                (
                    mm * rng.uniform(),
                    period_s * (1.0 + rng.uniform()),
                    std::f64::consts::TAU * rng.uniform(),
                )
            })
        })
        .collect();
    let dt = 1.0 / take.rate.hz();
    let frames = take.frame_count();
    let valid = take.valid().to_vec();
    let pos = take.positions_mut();
    for f in 0..frames {
        let t = f as f64 * dt;
        for (m, p) in params.iter().enumerate() {
            let k = f * n + m;
            if valid[k] {
                for (axis, (a, per, ph)) in p.iter().enumerate() {
                    pos[k][axis] += (a * (std::f64::consts::TAU * t / per + ph).sin()) as f32;
                }
            }
        }
    }
}

/// Runs the realistic accuracy measurement on a real `motion` of `skeleton` (see the module
/// documentation); `config` gives the marker set, noise, occlusion, swaps, seed and frames.
pub fn realistic_run(
    skeleton: &Skeleton,
    motion: &Motion,
    config: &AccuracyConfig,
    realism: &Realism,
) -> Result<RealisticReport, SolverError> {
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
    let tol = 1.0 / skeleton.unit.to_mm();
    let opts = crate::model::ModelOptions {
        translation_joints: crate::model::moving_translation_joints(skeleton, &motion, tol),
    };
    let template = crate::model::bake_position_channels(skeleton, &motion, 0);
    let nominal = SolverModel::new(&template, &opts)?;
    let (placed, _) = config.markerset.place(&nominal);
    let (set, placed) = if (placed.len() as f64) < 0.8 * config.markerset.markers.len() as f64 {
        let auto = MarkerSet::automatic(&nominal);
        let p = auto.place(&nominal).0;
        (auto, p)
    } else {
        (config.markerset.clone(), placed)
    };
    let mut rng = SynthRng::new(config.seed);
    // The truth the solver is not told.
    let truth_sk = perturbed_skeleton(&template, realism.length_error, &mut rng);
    let truth = SolverModel::new(&truth_sk, &opts)?;
    let e = realism.offset_error_mm;
    let true_placed: Vec<PlacedMarker> = placed
        .iter()
        .map(|p| PlacedMarker {
            offset_mm: std::array::from_fn(|k| p.offset_mm[k] + e * (2.0 * rng.uniform() - 1.0)),
            ..p.clone()
        })
        .collect();
    let rom = rom_motion(
        &template,
        motion.frame(0),
        realism.rom_frames_per_channel,
        motion.rate,
    )?;
    let mut rom_take = markers_from_motion(&truth, &true_placed, &rom)?;
    add_drift(
        &mut rom_take,
        realism.drift_mm,
        realism.drift_period_s,
        &mut rng,
    );
    add_noise(&mut rom_take, config.noise_mm, &mut rng);
    let mut take = markers_from_motion(&truth, &true_placed, &motion)?;
    add_drift(
        &mut take,
        realism.drift_mm,
        realism.drift_period_s,
        &mut rng,
    );
    add_noise(&mut take, config.noise_mm, &mut rng);
    swap_nearby(&mut take, config.swaps, &mut rng);
    occlude(&mut take, config.occlusion, 1, 60, &mut rng);

    let mut popts = PipelineOptions {
        model: opts.clone(),
        solve: config.solve.clone(),
        ..PipelineOptions::default()
    };
    popts.calibration.frame_window = rom_take.frame_count();
    popts.calibration.fit_scale = true;
    let solves = pipeline::solve_take(
        &template,
        &set,
        &take,
        Calibration::Trial(&rom_take),
        &popts,
        None,
    )?;
    let s = solves
        .into_iter()
        .next()
        .ok_or_else(|| SolverError::BadSkeleton("the take has no actor".into()))?;
    let mask = s.solver.determined_joints();
    let calibrated = compare_models(
        &truth,
        &motion,
        s.solver.model(),
        &s.result.motion,
        &mask,
        None,
    );
    // Oracle: the true skeleton and offsets.
    let binding = crate::markerset::bind(&truth, &true_placed, &take.labels, "");
    let oracle_solver = IkSolver::new(truth.clone(), binding.markers, config.solve.for_set(&set))?;
    let o = oracle_solver.solve_take(&take, None)?;
    let oracle = compare_models(&truth, &motion, &truth, &o.motion, &mask, None);
    Ok(RealisticReport {
        calibrated: calibrated.into(),
        oracle: oracle.into(),
        rom_frames: rom_take.frame_count(),
        frames: motion.frame_count(),
        markers: placed.len(),
        calibration_rms_mm: s.subject.as_ref().map_or(f64::NAN, |c| c.marker_rms_mm),
    })
}
