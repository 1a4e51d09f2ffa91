//! A recording session: the events of a [`crate::LiveClient`] recorded into a take and, when
//! asked, solved live. `mocap live record` and the studio's Live panel both drive one.

use crate::client::{LiveEvent, ReceivedFrame};
use crate::record::{FrameFate, LiveReport, RecordConfig, Recorder, labels_of};
use crate::skeleton_stream::SkeletonStream;
use crate::solve::LiveSolver;
use mocap_data::{MarkerSample, Skeleton};
use mocap_solver::SolverError;
use mocap_solver::resolve::SolveSkeleton;
use std::collections::HashMap;

/// How to solve live.
#[derive(Debug, Clone)]
pub struct SolveConfig {
    /// Marker set: preset name (`cmu41`, `fullbody53`) or JSON file.
    pub markerset: String,
    /// Skeleton to solve onto.
    pub skeleton: SolveSkeleton,
    /// Frames buffered to calibrate each subject before solving live.
    pub calibration_frames: usize,
    /// Temporal smoothness weight (`mocap solve --smooth`).
    pub smooth: f64,
}

/// Records (and solves) what a client receives.
#[derive(Debug)]
pub struct Session {
    /// The recorder.
    pub recorder: Recorder,
    solve: Option<SolveConfig>,
    /// The live solver, once the model definitions and the rate are known.
    pub solver: Option<LiveSolver>,
    /// The stream's own skeletons (NatNet skeleton data): posed every frame, no solve.
    pub skeletons: SkeletonStream,
    columns: HashMap<i32, usize>,
    labels: usize,
    first: Option<i64>,
    next_solve: i64,
}

impl Session {
    /// A session recording with `config`, solving with `solve` when given.
    pub fn new(config: RecordConfig, solve: Option<SolveConfig>) -> Self {
        Self {
            recorder: Recorder::new(config),
            solve,
            solver: None,
            skeletons: SkeletonStream::default(),
            columns: HashMap::new(),
            labels: 0,
            first: None,
            next_solve: 0,
        }
    }

    /// Handles one event. Frames are stored, solved when the solver is ready (frames lost
    /// before them become held poses), and their received → pose-ready latency noted (frames
    /// buffered for calibration excluded).
    pub fn handle(&mut self, ev: &LiveEvent) -> Result<(), SolverError> {
        let fate = self.recorder.event(ev);
        if let LiveEvent::ModelDef(d) = ev {
            let (labels, columns) = labels_of(Some(d));
            self.labels = labels.len();
            self.columns = columns;
            self.skeletons.set_model_def(d);
        }
        let LiveEvent::Frame(rf) = ev else {
            return Ok(());
        };
        let n = rf.frame.frame_number as i64;
        if fate == Some(FrameFate::Stored) && self.first.is_none() {
            self.first = Some(n);
        }
        if fate != Some(FrameFate::Stored) {
            return Ok(());
        }
        // Skeleton streams drive characters directly: their bones become poses, no solve.
        self.skeletons.update(&rf.frame);
        // Frames buffered for calibration wait for it: their latency is not the live path's.
        let live = match self.solve {
            Some(_) => self.solve_frame(rf, n)? == 1,
            None => true,
        };
        if live {
            self.recorder.pose_ready(rf.received);
        }
        Ok(())
    }

    /// Solves the frame; returns how many frames the solver solved (1: this one, live).
    fn solve_frame(&mut self, rf: &ReceivedFrame, n: i64) -> Result<usize, SolverError> {
        if self.solver.is_none() {
            let (Some(cfg), Some(rate), Some(def)) =
                (&self.solve, self.recorder.rate(), self.recorder.model_def())
            else {
                return Ok(0);
            };
            let (labels, _) = labels_of(Some(def));
            let mut solver = LiveSolver::new(
                &cfg.markerset,
                cfg.skeleton.clone(),
                labels,
                rate,
                cfg.calibration_frames,
                cfg.smooth,
            )?;
            solver.keep_motion = self.recorder.config().keep_frames;
            self.solver = Some(solver);
            // Solving starts with this frame; the motion's frame 0 is the recording's first.
            self.next_solve = n;
            if let Some(first) = self.first {
                for _ in first..n {
                    let gaps = vec![MarkerSample::GAP; self.labels];
                    if let Some(s) = &mut self.solver {
                        s.push(&gaps)?;
                    }
                }
            }
        }
        let Some(solver) = &mut self.solver else {
            return Ok(0);
        };
        while self.next_solve < n {
            solver.push(&vec![MarkerSample::GAP; self.labels])?;
            self.next_solve += 1;
        }
        let mut samples = vec![MarkerSample::GAP; self.labels];
        for m in &rf.frame.labeled_markers {
            if let Some(&c) = self.columns.get(&m.id)
                && m.position.iter().all(|v| v.is_finite())
                && let Some(s) = samples.get_mut(c)
            {
                *s = MarkerSample {
                    position: m.position,
                    residual: m.residual.max(0.0),
                    camera_mask: 0,
                    valid: true,
                };
            }
        }
        let solved = solver.push(&samples)?;
        self.next_solve = n + 1;
        Ok(solved)
    }

    /// Ends the session: calibrates and solves what is still buffered (a stream shorter than
    /// the calibration window).
    pub fn finish_solve(&mut self) -> Result<(), SolverError> {
        if let Some(s) = &mut self.solver {
            s.finish()?;
        }
        Ok(())
    }

    /// Every actor's skeleton: the stream's own skeletons first, then the live solve's actors
    /// whose names they do not take (a streamed skeleton drives its actor without the solve).
    pub fn actor_skeletons(&self) -> Vec<(String, Skeleton)> {
        let mut out: Vec<(String, Skeleton)> = self
            .skeletons
            .skeletons
            .iter()
            .map(|s| (s.name.clone(), s.skeleton.clone()))
            .collect();
        if let Some(s) = &self.solver {
            for i in 0..s.actors.len() {
                let name = &s.actors[i].actor;
                if out.iter().any(|(n, _)| n == name) {
                    continue;
                }
                if let Some((sk, _, _)) = s.latest_pose(i) {
                    out.push((name.clone(), sk.clone()));
                }
            }
        }
        out
    }

    /// Every actor's newest pose (channel values on its [`Self::actor_skeletons`] skeleton),
    /// named as there.
    pub fn actor_poses(&self) -> Vec<(String, Vec<f32>)> {
        let mut out: Vec<(String, Vec<f32>)> = self
            .skeletons
            .poses()
            .map(|(n, p)| (n.to_string(), p.to_vec()))
            .collect();
        let streamed = |name: &str| self.skeletons.skeletons.iter().any(|s| s.name == name);
        if let Some(s) = &self.solver {
            for i in 0..s.actors.len() {
                let name = &s.actors[i].actor;
                if streamed(name) {
                    continue;
                }
                if let Some((_, pose, _)) = s.latest_pose(i) {
                    out.push((name.clone(), pose.to_vec()));
                }
            }
        }
        out
    }

    /// The report so far (with the client's malformed-packet count).
    pub fn report(&self, packets_malformed: u64) -> LiveReport {
        let mut r = LiveReport::new(&self.recorder, packets_malformed);
        r.solve_rms_mm = self.solver.as_ref().and_then(LiveSolver::rms_mm);
        r
    }
}
