//! Live solve: every actor of the stream solved frame by frame with `mocap-solver`, as
//! `mocap solve` does it in batch (same marker set, calibration and solver options), but
//! warm-started from the actor's previous two poses as each frame arrives.
//!
//! The first `calibration_frames` frames are buffered; the subject of every actor found is
//! then calibrated on them (`calibrate::calibrate`, as `mocap solve` calibrates on the take),
//! the buffered frames are solved, and every later frame is solved when it arrives.

use mocap_data::{
    FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, Motion, Skeleton, UpAxis,
};
use mocap_solver::SolverError;
use mocap_solver::calibrate;
use mocap_solver::ik::{IkSolver, Workspace};
use mocap_solver::markerset::MarkerSet;
use mocap_solver::model::{Pose, SolverModel, bake_rest_rotations};
use mocap_solver::pipeline::{PipelineOptions, find_actors};
use mocap_solver::resolve::{SolveSkeleton, pipeline_options, scale_positions};

/// One actor being solved.
#[derive(Debug)]
pub struct ActorLive {
    /// Actor name (label prefix = the NatNet marker set).
    pub actor: String,
    solver: IkSolver,
    ws: Workspace,
    pose: Pose,
    prev: Pose,
    prev2: Pose,
    have_prev: bool,
    have_prev2: bool,
    /// Channel values per solved frame (skeleton's unit, degrees), frame-major.
    values: Vec<f32>,
    sq_sum_mm: f64,
    solved: usize,
}

/// Solves a stream's actors live. Frames are in the stream's space (metres, Y-up).
#[derive(Debug)]
pub struct LiveSolver {
    set: MarkerSet,
    skeleton: SolveSkeleton,
    options: PipelineOptions,
    calibration_frames: usize,
    labels: Vec<String>,
    rate: FrameRate,
    buffer: Vec<Vec<MarkerSample>>,
    scratch: MarkerTrajectories,
    /// The actors, once calibrated (empty before).
    pub actors: Vec<ActorLive>,
    /// Keep every solved pose for [`Self::motions`] (`false`: only the latest, memory flat).
    pub keep_motion: bool,
}

impl LiveSolver {
    /// A solver for markers labelled `labels` (`ACTOR:MARKER`, metres, Y-up) at `rate`,
    /// with marker set `markerset` (preset name or JSON file) on `skeleton`, calibrated on the
    /// first `calibration_frames` frames; `smooth` is `mocap solve --smooth` (0.01 there).
    pub fn new(
        markerset: &str,
        skeleton: SolveSkeleton,
        labels: Vec<String>,
        rate: FrameRate,
        calibration_frames: usize,
        smooth: f64,
    ) -> Result<Self, SolverError> {
        let set = MarkerSet::load(markerset)?;
        let calibration_frames = calibration_frames.max(1);
        let options = pipeline_options(&skeleton, calibration_frames, smooth, Vec::new());
        let scratch =
            MarkerTrajectories::new(labels.clone(), 1, rate, LengthUnit::Metre, UpAxis::Y)?;
        Ok(Self {
            set,
            skeleton,
            options,
            calibration_frames,
            labels,
            rate,
            buffer: Vec::new(),
            scratch,
            actors: Vec::new(),
            keep_motion: true,
        })
    }

    /// Whether the actors are calibrated (frames are solved as they come).
    pub fn is_calibrated(&self) -> bool {
        !self.actors.is_empty()
    }

    /// Adds the next frame (one sample per label; frames lost on the network are passed as
    /// all gaps so the motion keeps the take's timing). Returns how many frames were solved
    /// by this call (0 while calibrating, the buffered frames at the end of calibration).
    pub fn push(&mut self, frame: &[MarkerSample]) -> Result<usize, SolverError> {
        if self.is_calibrated() {
            self.solve_one(frame);
            return Ok(1);
        }
        self.buffer.push(frame.to_vec());
        if self.buffer.len() < self.calibration_frames {
            return Ok(0);
        }
        self.calibrate()?;
        let buffered = std::mem::take(&mut self.buffer);
        for f in &buffered {
            self.solve_one(f);
        }
        Ok(buffered.len())
    }

    /// At the end of a stream shorter than the calibration window: calibrates on what is
    /// buffered and solves it. Does nothing when already calibrated or empty.
    pub fn finish(&mut self) -> Result<usize, SolverError> {
        if self.is_calibrated() || self.buffer.is_empty() {
            return Ok(0);
        }
        self.calibrate()?;
        let buffered = std::mem::take(&mut self.buffer);
        for f in &buffered {
            self.solve_one(f);
        }
        Ok(buffered.len())
    }

    /// Calibrates on what is buffered.
    fn calibrate(&mut self) -> Result<(), SolverError> {
        let n = self.buffer.len();
        let labels = self.labels.clone();
        let buffer = &self.buffer;
        let trial = MarkerTrajectories::from_fn(
            labels,
            n,
            self.rate,
            LengthUnit::Metre,
            UpAxis::Y,
            |f, m| buffer[f].get(m).copied().unwrap_or(MarkerSample::GAP),
        )?;
        let actors = find_actors(&trial, &self.set);
        if actors.is_empty() {
            return Err(SolverError::TooFewMarkers {
                actor: "the stream".into(),
                found: 0,
                wanted: self.set.markers.len(),
                needed: mocap_solver::markerset::minimum_markers(self.set.markers.len()),
                missing: "no marker set of the stream matches the marker set's names".into(),
            });
        }
        for actor in actors {
            let subject = calibrate::calibrate(
                &self.skeleton.skeleton,
                &self.options.model,
                &self.set,
                &trial,
                &actor,
                &self.options.calibration,
            )?;
            let sk = subject.scaled_skeleton(&self.skeleton.skeleton);
            let model = SolverModel::new(&sk, &self.options.model)?;
            let binding = calibrate::bind_subject(&model, &subject, &trial, &actor)?;
            let solver = IkSolver::new(
                model,
                binding.markers,
                self.options.solve.for_set(&self.set),
            )?;
            let rest = solver.model().rest_pose();
            self.actors.push(ActorLive {
                actor,
                ws: solver.workspace(),
                pose: rest.clone(),
                prev: rest.clone(),
                prev2: rest,
                have_prev: false,
                have_prev2: false,
                values: Vec::new(),
                sq_sum_mm: 0.0,
                solved: 0,
                solver,
            });
        }
        Ok(())
    }

    fn solve_one(&mut self, frame: &[MarkerSample]) {
        for (m, s) in frame.iter().enumerate().take(self.labels.len()) {
            self.scratch.set_sample(0, m, *s);
        }
        for a in &mut self.actors {
            a.solve(&self.scratch, self.keep_motion);
        }
    }

    /// Actor `i`'s skeleton (its unit, rest rotations not baked), its latest pose (channel
    /// values, degrees) and how many frames it has solved (`None` before any).
    pub fn latest_pose(&self, i: usize) -> Option<(&Skeleton, &[f32], usize)> {
        let a = self.actors.get(i)?;
        let sk = &a.solver.model().skeleton;
        let cpf = sk.channel_count();
        let n = a.values.len().checked_div(cpf)?;
        let last = a.values.get(n.checked_sub(1)? * cpf..n * cpf)?;
        Some((sk, last, n))
    }

    /// RMS marker residual over every solved frame of every actor, millimetres (`None`
    /// before any).
    pub fn rms_mm(&self) -> Option<f64> {
        let (s, n) = self
            .actors
            .iter()
            .fold((0.0, 0usize), |(s, n), a| (s + a.sq_sum_mm, n + a.solved));
        (n > 0).then(|| (s / n as f64).sqrt())
    }

    /// Every actor's BVH-ready skeleton and motion (millimetres, rest rotations baked), as
    /// `mocap solve` writes them.
    pub fn motions(&self) -> Result<Vec<(String, Skeleton, Motion)>, SolverError> {
        let mut out = Vec::new();
        for a in &self.actors {
            let model = a.solver.model();
            let cpf = model.skeleton.channel_count();
            let frames = a.values.len().checked_div(cpf).unwrap_or(0);
            let mut motion = Motion::zeros(&model.skeleton, frames, self.rate)?;
            motion.values.copy_from_slice(&a.values[..frames * cpf]);
            scale_positions(&model.skeleton, &mut motion, model.unit_mm);
            let (sk, m) = bake_rest_rotations(&model.skeleton_mm(), &motion);
            out.push((a.actor.clone(), sk, m));
        }
        Ok(out)
    }
}

impl ActorLive {
    /// Solves the frame in `take` (sample 0), warm-started from the previous poses.
    fn solve(&mut self, take: &MarkerTrajectories, keep: bool) {
        self.solver.load_frame(take, 0, &mut self.ws);
        let cold = !self.have_prev;
        if self.have_prev && self.have_prev2 {
            self.solver
                .extrapolate(&self.prev2, &self.prev, &mut self.pose);
        }
        let temporal = self.solver.options().temporal_weight > 0.0;
        let prior = (self.have_prev && temporal).then_some(&self.prev);
        let rep = self
            .solver
            .solve_frame(&mut self.ws, &mut self.pose, prior, cold);
        if rep.ok {
            self.prev2.copy_from(&self.prev);
            self.have_prev2 = self.have_prev;
            self.prev.copy_from(&self.pose);
            self.have_prev = true;
            if rep.rms_mm.is_finite() {
                self.sq_sum_mm += rep.rms_mm * rep.rms_mm;
                self.solved += 1;
            }
        } else {
            if self.have_prev {
                self.pose.copy_from(&self.prev);
            }
            self.have_prev = false;
            self.have_prev2 = false;
        }
        let cpf = self.solver.model().skeleton.channel_count();
        if !keep && self.values.len() > cpf {
            // Only the latest pose: drop older frames (the latest stays the warm fill).
            let keep_from = self.values.len() - cpf;
            self.values.drain(..keep_from);
        }
        let start = self.values.len();
        if start >= cpf {
            self.values.extend_from_within(start - cpf..start);
        } else {
            self.values.resize(start + cpf, 0.0);
        }
        self.solver
            .model()
            .write_channels(&self.pose, &mut self.values[start..start + cpf]);
    }

    /// Frames solved successfully.
    pub fn frames_solved(&self) -> usize {
        self.solved
    }
}
