//! Skeleton streams over VMC (inertial suits through their VMC plug-ins, VSeeFace, any VMC
//! performer): `mocap_live`'s [`VmcReceiver`] receives on its own thread into a bounded queue;
//! each update drains it and turns every frame into one frame of channel values on a humanoid
//! skeleton named as Unity names its bones (`mocap_live::vmc_take`), which the live take's
//! motion ring shows and characters follow through the same retargeting as playback.
//!
//! The skeleton comes from a *template*: the first pose of every bone the stream has sent (and
//! the first root), so its offsets stay fixed; a bone that appears later extends the template
//! (a new skeleton, the live take is rebuilt). The rate is estimated from the first frames'
//! `/VMC/Ext/T` clock ([`vmc_take::estimate_rate`]).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use mocap_data::{FrameRate, Skeleton};
use mocap_live::vmc_in::VmcFrame;
use mocap_live::vmc_take;
use mocap_live::{VmcInConfig, VmcReceiver};

/// Frames looked at before the rate is estimated.
const RATE_FRAMES: usize = 12;

/// Received → pose-ready samples kept for the percentiles.
const POSE_SAMPLES: usize = 2000;

/// Frames a recording keeps at most (one hour at 120 Hz; later frames are counted, not kept).
pub const MAX_RECORDED_FRAMES: usize = 432_000;

/// One pose for the live take.
#[derive(Debug, Clone)]
pub struct VmcPose {
    /// When its datagram was read.
    pub received: Instant,
    /// Channel values on [`VmcSource::skeleton`] (metres, degrees).
    pub values: Vec<f32>,
}

/// A running VMC receiver and what it has learnt of the stream.
#[derive(Debug)]
pub struct VmcSource {
    receiver: VmcReceiver,
    /// The first pose of every bone seen (and the first root): the skeleton's offsets.
    template: Option<VmcFrame>,
    /// The first frames, for the rate.
    first: Vec<VmcFrame>,
    /// The humanoid skeleton of the template (Unity bone names, metres, Y-up).
    pub skeleton: Option<Skeleton>,
    /// The stream's rate, once estimated.
    pub rate: Option<FrameRate>,
    /// Frames with a pose drained so far.
    pub frames: u64,
    /// Received → pose ready (the channel values computed), milliseconds.
    pub pose_ms: VecDeque<f64>,
    /// Frames kept while recording (`None`: not recording).
    pub recording: Option<Vec<VmcFrame>>,
    /// Frames a recording could not keep (over [`MAX_RECORDED_FRAMES`]).
    pub recording_overflow: u64,
    /// The last error turning frames into poses (no hips, …).
    pub error: Option<String>,
    /// When the newest frame arrived.
    pub last_received: Option<Instant>,
}

impl VmcSource {
    /// Binds `bind` and starts receiving.
    pub fn start(bind: SocketAddr) -> Result<Self, String> {
        let receiver = VmcReceiver::start(VmcInConfig {
            bind,
            ..VmcInConfig::default()
        })
        .map_err(|e| format!("Cannot listen for VMC on {bind}: {e}"))?;
        Ok(Self {
            receiver,
            template: None,
            first: Vec::new(),
            skeleton: None,
            rate: None,
            frames: 0,
            pose_ms: VecDeque::new(),
            recording: None,
            recording_overflow: 0,
            error: None,
            last_received: None,
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.receiver.local_addr()
    }

    /// Datagrams read, malformed, frames the queue dropped, unknown bone names.
    pub fn counters(&self) -> (u64, u64, u64, u64) {
        let s = &self.receiver.stats;
        (
            s.packets_received.load(Ordering::Relaxed),
            s.packets_malformed.load(Ordering::Relaxed),
            self.receiver.frames.dropped(),
            s.bones_unknown.load(Ordering::Relaxed),
        )
    }

    /// Takes what arrived (never waits): keeps it for a running recording and returns one
    /// pose per frame with bones, on [`Self::skeleton`] (empty until the rate is known).
    pub fn drain(&mut self) -> Vec<VmcPose> {
        let mut out = Vec::new();
        for frame in self.receiver.frames.drain() {
            if frame.root.is_none() && frame.bones.is_empty() {
                continue;
            }
            self.frames += 1;
            self.last_received = Some(frame.received);
            if let Some(rec) = &mut self.recording {
                if rec.len() < MAX_RECORDED_FRAMES {
                    rec.push(frame.clone());
                } else {
                    self.recording_overflow += 1;
                }
            }
            self.extend_template(&frame);
            if self.rate.is_none() {
                self.first.push(frame.clone());
                if self.first.len() < RATE_FRAMES {
                    continue;
                }
                self.rate = Some(vmc_take::estimate_rate(&self.first));
                // The frames that waited for the rate: only the newest is worth a pose.
                self.first.clear();
            }
            if let Some(p) = self.pose(&frame) {
                out.push(p);
            }
        }
        out
    }

    /// Adds the bones (and root) `frame` has that the template lacks.
    fn extend_template(&mut self, frame: &VmcFrame) {
        let t = self.template.get_or_insert_with(|| VmcFrame {
            bones: Vec::new(),
            blendshapes: Vec::new(),
            ..frame.clone()
        });
        if t.root.is_none() {
            t.root = frame.root;
        }
        for (b, p) in &frame.bones {
            if !t.bones.iter().any(|(x, _)| x == b) {
                t.bones.push((*b, *p));
            }
        }
    }

    /// `frame` as channel values on the template's skeleton (which it sets).
    fn pose(&mut self, frame: &VmcFrame) -> Option<VmcPose> {
        let rate = self.rate?;
        let template = self.template.clone()?;
        match vmc_take::take_from_frames(&[template, frame.clone()], rate) {
            Ok(t) => {
                if self.skeleton.as_ref() != Some(&t.skeleton) {
                    self.skeleton = Some(t.skeleton);
                }
                self.error = None;
                let values = t.motion.frame(t.motion.frame_count().checked_sub(1)?);
                let ms = frame.received.elapsed().as_secs_f64() * 1000.0;
                if self.pose_ms.len() >= POSE_SAMPLES {
                    self.pose_ms.pop_front();
                }
                self.pose_ms.push_back(ms);
                Some(VmcPose {
                    received: frame.received,
                    values: values.to_vec(),
                })
            }
            Err(e) => {
                self.error = Some(e.to_string());
                None
            }
        }
    }
}
