//! Faces in the live stage: Epic's Live Link Face (iPhone ARKit) packets received by
//! `mocap_live`'s [`LiveLinkReceiver`] on its own thread into a bounded queue. Each update
//! drains it; the first subject heard drives the live take's face ring (by its frame numbers:
//! lost numbers hold the last face), so the mannequin's head and characters' morph targets move;
//! while recording, a [`FaceRecorder`] keeps the subject's frames for the face CSV.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;

use mocap_data::FrameRate;
use mocap_live::{FaceRecordConfig, FaceRecorder, LiveLinkConfig, LiveLinkReceiver};

use super::ring::ring_frames;

/// Received → drawn samples kept for the percentiles.
const DRAWN_SAMPLES: usize = 2000;

/// Faces are this many frames of the face's rate apart at most before the ring restarts.
const MAX_SHIFT: i64 = 100_000;

/// One face for the live take's ring.
#[derive(Debug, Clone)]
pub struct FaceUpdate {
    /// Face frames since the previous one (the ring scrolls this far).
    pub shift: usize,
    /// The 52 ARKit weights (unitless, clamped 0–1).
    pub weights: [f32; 52],
    /// Head and eye yaw, pitch, roll, radians.
    pub rotations: [f32; 9],
    /// When its datagram was read.
    pub received: Instant,
}

/// A running Live Link Face receiver and its figures.
#[derive(Debug)]
pub struct FaceSource {
    receiver: LiveLinkReceiver,
    /// The subject that drives the face (name, device id): the first one heard.
    pub subject: Option<(String, String)>,
    /// Its rate, once a frame stated one.
    pub rate: Option<FrameRate>,
    last_number: Option<i64>,
    /// Faces of the subject taken into the ring.
    pub frames: u64,
    /// Frame numbers that never arrived between those taken.
    pub frames_lost: u64,
    /// Faces that came late or repeated a number (not shown).
    pub frames_late: u64,
    /// Received → drawn (end of the update that put the face in the scene), milliseconds.
    pub drawn_ms: VecDeque<f64>,
    /// The newest face put in the scene and not yet timed.
    pub fresh: Option<Instant>,
    /// Recording the subject (`None`: not recording).
    pub recorder: Option<FaceRecorder>,
}

impl FaceSource {
    /// Binds `bind` and starts receiving.
    pub fn start(bind: SocketAddr) -> Result<Self, String> {
        let receiver = LiveLinkReceiver::start(LiveLinkConfig {
            bind,
            ..LiveLinkConfig::default()
        })
        .map_err(|e| format!("Cannot listen for Live Link Face on {bind}: {e}"))?;
        Ok(Self {
            receiver,
            subject: None,
            rate: None,
            last_number: None,
            frames: 0,
            frames_lost: 0,
            frames_late: 0,
            drawn_ms: VecDeque::new(),
            fresh: None,
            recorder: None,
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.receiver.local_addr()
    }

    /// Datagrams that did not decode.
    pub fn malformed(&self) -> u64 {
        self.receiver
            .stats
            .packets_malformed
            .load(Ordering::Relaxed)
    }

    /// Faces the queue dropped (the app drained too slowly).
    pub fn queue_dropped(&self) -> u64 {
        self.receiver.frames.dropped()
    }

    /// Starts recording the driving subject (or the first heard).
    pub fn start_recording(&mut self) {
        self.recorder = Some(FaceRecorder::new(FaceRecordConfig {
            subject: self.subject.as_ref().map(|(s, _)| s.clone()),
            ..FaceRecordConfig::default()
        }));
    }

    /// Notes received → drawn for the face this update put in the scene.
    pub fn note_drawn(&mut self) {
        if let Some(t) = self.fresh.take() {
            if self.drawn_ms.len() >= DRAWN_SAMPLES {
                self.drawn_ms.pop_front();
            }
            self.drawn_ms.push_back(t.elapsed().as_secs_f64() * 1000.0);
        }
    }

    /// Takes what arrived (never waits): every face goes to a running recording; the driving
    /// subject's faces come back in order with how far the ring scrolls for each.
    pub fn drain(&mut self) -> Vec<FaceUpdate> {
        let mut out = Vec::new();
        for f in self.receiver.frames.drain() {
            if let Some(r) = &mut self.recorder {
                r.frame(&f);
            }
            let who = (f.subject.clone(), f.device_id.clone());
            match &self.subject {
                None => self.subject = Some(who),
                Some(s) if *s != who => continue,
                Some(_) => {}
            }
            let rate = f.frame.rate();
            if rate.is_some() && rate != self.rate {
                self.rate = rate;
                self.last_number = None;
            }
            let Some(rate) = self.rate else { continue };
            let n = f.frame.frame_number as i64;
            let ring = ring_frames(rate);
            let shift = match self.last_number {
                Some(last) if n <= last => {
                    self.frames_late += 1;
                    continue;
                }
                Some(last) if n - last < MAX_SHIFT => {
                    self.frames_lost += (n - last - 1) as u64;
                    usize::try_from(n - last).unwrap_or(ring)
                }
                _ => ring,
            };
            self.last_number = Some(n);
            self.frames += 1;
            let (weights, _) = f.frame.weights_clamped();
            out.push(FaceUpdate {
                shift: shift.min(ring),
                weights,
                rotations: f.frame.rotations(),
                received: f.received,
            });
        }
        out
    }
}
