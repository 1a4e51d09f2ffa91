//! Recording a NatNet stream into a take: frames placed by frame number (gaps where frames were
//! lost), labels from the model definitions, the server's rate and timecode; counters and
//! latency figures for the report.

use crate::client::{LiveEvent, ReceivedFrame};
use crate::natnet::{self, ModelDef};
use mocap_data::{
    FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, Timecode, TimecodeFormat, UpAxis,
};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Limits of a recording.
#[derive(Debug, Clone)]
pub struct RecordConfig {
    /// Frames kept at most (later frames are counted as dropped): bounds memory.
    pub max_frames: usize,
    /// A frame number further than this from the highest seen is taken as garbage (counted
    /// out of order) rather than opening a huge gap.
    pub max_jump_frames: i64,
    /// Keep the frames to build the take (`false`: count and time only, memory flat, for
    /// monitoring and soaks; [`Recorder::finish`] then has nothing to build).
    pub keep_frames: bool,
}

impl Default for RecordConfig {
    fn default() -> Self {
        Self {
            // One hour at 240 Hz.
            max_frames: 864_000,
            max_jump_frames: 2_400,
            keep_frames: true,
        }
    }
}

/// One stored frame: labeled markers (id, position in the server's unit and axes, residual).
#[derive(Debug, Clone)]
struct Stored {
    markers: Vec<(i32, [f32; 3], f32)>,
    timecode: u32,
}

/// What happened to a frame handed to [`Recorder::frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFate {
    /// Stored in order.
    Stored,
    /// Arrived late but filled its gap.
    StoredLate,
    /// Duplicate, too old, too far ahead, or over capacity: not stored.
    Discarded,
}

/// Rolling figures of a recording.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordCounters {
    /// Frames decoded and handed to the recorder (duplicates included).
    pub frames_received: u64,
    /// Frames whose number was not above the highest seen (late, duplicated, restarted).
    pub frames_out_of_order: u64,
    /// Frames not stored because the recording was full.
    pub frames_over_capacity: u64,
    /// Labeled markers with a non-finite coordinate (stored as gaps).
    pub markers_non_finite: u64,
    /// Labeled markers whose id no model definition names (skipped).
    pub markers_unknown: u64,
}

/// Receives a stream and builds the take.
#[derive(Debug)]
pub struct Recorder {
    config: RecordConfig,
    model: Option<ModelDef>,
    rate_hz: Option<f64>,
    frames: BTreeMap<i64, Stored>,
    highest: Option<i64>,
    first: Option<i64>,
    /// Frame numbers seen within `max_jump_frames` of the highest (older ones pruned).
    seen: std::collections::BTreeSet<i64>,
    /// Numbers skipped between the first and the highest and not (yet) filled.
    missing: u64,
    first_stamp: Option<(i64, f64)>,
    last_stamp: Option<(i64, f64)>,
    /// Counters so far.
    pub counters: RecordCounters,
    /// Capture → received per frame, milliseconds: the most recent frames, between
    /// [`LATENCY_WINDOW`] and twice that many (memory stays bounded on an endless stream).
    pub capture_latency_ms: Vec<f64>,
    /// Received → pose ready per frame, milliseconds (bounded like `capture_latency_ms`).
    pub pose_latency_ms: Vec<f64>,
}

/// Latency samples kept per stage: at least this many of the most recent frames (about 4.5 min
/// at 240 Hz), at most twice as many; percentiles are over what is kept.
pub const LATENCY_WINDOW: usize = 1 << 16;

/// Appends `v`, dropping the oldest [`LATENCY_WINDOW`] samples once twice that many are held.
fn push_bounded(samples: &mut Vec<f64>, v: f64) {
    if samples.len() >= 2 * LATENCY_WINDOW {
        samples.drain(..LATENCY_WINDOW);
    }
    samples.push(v);
}

/// The recorded take.
#[derive(Debug, Clone)]
pub struct Recording {
    /// Markers in the server's unit and axes (NatNet: metres, Y-up), at the server's rate,
    /// `first_frame` = the first frame number received; gaps where frames were lost.
    pub markers: MarkerTrajectories,
    /// Timecode of sample 0 (`None` when the server sent none).
    pub start_timecode: Option<Timecode>,
    /// Frame numbers in the recorded range that never arrived.
    pub frames_missing: u64,
}

/// Why a recording could not be built.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// No frame arrived.
    #[error(
        "no frame arrived from the server: check the address, that it streams, and that no firewall drops UDP"
    )]
    NoFrames,
    /// No rate known.
    #[error("the server stated no frame rate and the frames carry no usable timestamps")]
    NoRate,
    /// Take assembly failed.
    #[error("building the take: {0}")]
    Data(#[from] mocap_data::DataError),
}

impl Recorder {
    /// An empty recorder.
    pub fn new(config: RecordConfig) -> Self {
        Self {
            config,
            model: None,
            rate_hz: None,
            frames: BTreeMap::new(),
            highest: None,
            first: None,
            seen: std::collections::BTreeSet::new(),
            missing: 0,
            first_stamp: None,
            last_stamp: None,
            counters: RecordCounters::default(),
            capture_latency_ms: Vec::new(),
            pose_latency_ms: Vec::new(),
        }
    }

    /// The limits it records with.
    pub fn config(&self) -> &RecordConfig {
        &self.config
    }

    /// The latest model definition received.
    pub fn model_def(&self) -> Option<&ModelDef> {
        self.model.as_ref()
    }

    /// The server's rate, once known.
    pub fn rate(&self) -> Option<FrameRate> {
        self.rate_hz.and_then(|hz| FrameRate::from_hz(hz).ok())
    }

    /// Handles one event; returns the fate of a frame event.
    pub fn event(&mut self, ev: &LiveEvent) -> Option<FrameFate> {
        match ev {
            LiveEvent::ModelDef(d) => {
                self.model = Some(d.clone());
                None
            }
            LiveEvent::FrameRate(hz) => {
                self.rate_hz = Some(*hz);
                None
            }
            LiveEvent::ServerInfo(_) => None,
            LiveEvent::Frame(f) => Some(self.frame(f)),
        }
    }

    /// Stores a frame by its number.
    pub fn frame(&mut self, rf: &ReceivedFrame) -> FrameFate {
        self.counters.frames_received += 1;
        if let Some(s) = rf.server_latency_s {
            push_bounded(&mut self.capture_latency_ms, s * 1000.0);
        }
        let n = rf.frame.frame_number as i64;
        let mut fate = FrameFate::Stored;
        if let Some(h) = self.highest {
            if n <= h {
                self.counters.frames_out_of_order += 1;
                fate = FrameFate::StoredLate;
            }
            let first = self.first.unwrap_or(n);
            if (n - h).abs() > self.config.max_jump_frames || n < first {
                if n > h {
                    self.counters.frames_out_of_order += 1;
                }
                return FrameFate::Discarded;
            }
            if self.seen.contains(&n) {
                return FrameFate::Discarded;
            }
        }
        if self.config.keep_frames && self.frames.len() >= self.config.max_frames {
            self.counters.frames_over_capacity += 1;
            return FrameFate::Discarded;
        }
        // Gaps: numbers skipped when the highest advances, refilled by late frames.
        match self.highest {
            Some(h) if n > h => self.missing += (n - h - 1) as u64,
            Some(_) => self.missing = self.missing.saturating_sub(1),
            None => {}
        }
        self.first.get_or_insert(n);
        self.seen.insert(n);
        let floor = self.highest.map_or(n, |h| h.max(n)) - self.config.max_jump_frames;
        while self.seen.first().is_some_and(|f| *f < floor) {
            self.seen.pop_first();
        }
        let mut markers = Vec::with_capacity(rf.frame.labeled_markers.len());
        for m in &rf.frame.labeled_markers {
            if m.position.iter().all(|c| c.is_finite()) {
                markers.push((m.id, m.position, m.residual));
            } else {
                self.counters.markers_non_finite += 1;
            }
        }
        let ts = rf.frame.timing.timestamp;
        if ts.is_finite() {
            if self.first_stamp.is_none_or(|(f, _)| n < f) {
                self.first_stamp = Some((n, ts));
            }
            if self.last_stamp.is_none_or(|(l, _)| n > l) {
                self.last_stamp = Some((n, ts));
            }
        }
        if self.config.keep_frames {
            self.frames.insert(
                n,
                Stored {
                    markers,
                    timecode: rf.frame.timing.timecode,
                },
            );
        }
        self.highest = Some(self.highest.map_or(n, |h| h.max(n)));
        fate
    }

    /// Notes that the pose of a frame received at `received` is ready now.
    pub fn pose_ready(&mut self, received: Instant) {
        push_bounded(
            &mut self.pose_latency_ms,
            received.elapsed().as_secs_f64() * 1000.0,
        );
    }

    /// Frames stored so far.
    pub fn frames_stored(&self) -> usize {
        self.frames.len()
    }

    /// Frame numbers between the first and the highest received that never arrived.
    pub fn frames_missing(&self) -> u64 {
        self.missing
    }

    /// Labels of the model definition's marker sets (`SET:MARKER`) in wire order, and the
    /// column of every labeled-marker id.
    pub fn columns(&self) -> (Vec<String>, HashMap<i32, usize>) {
        labels_of(self.model.as_ref())
    }

    fn estimated_rate(&self) -> Option<FrameRate> {
        let ((n0, t0), (n1, t1)) = (self.first_stamp?, self.last_stamp?);
        let hz = (n1 - n0) as f64 / (t1 - t0);
        FrameRate::from_hz(hz).ok()
    }

    /// Builds the take.
    pub fn finish(&self) -> Result<Recording, RecordError> {
        let (Some((&first, _)), Some(last)) = (self.frames.iter().next(), self.highest) else {
            return Err(RecordError::NoFrames);
        };
        let rate = self
            .rate()
            .or_else(|| self.estimated_rate())
            .ok_or(RecordError::NoRate)?;
        let (labels, column) = self.columns();
        let count = (last - first + 1) as usize;
        let mut t = MarkerTrajectories::new(labels, count, rate, LengthUnit::Metre, UpAxis::Y)?;
        for (&n, f) in &self.frames {
            for (id, p, r) in &f.markers {
                if let Some(&c) = column.get(id) {
                    t.set_sample(
                        (n - first) as usize,
                        c,
                        MarkerSample {
                            position: *p,
                            residual: r.max(0.0),
                            camera_mask: 0,
                            valid: true,
                        },
                    );
                }
            }
        }
        t.first_frame = if (1..=i64::from(u16::MAX)).contains(&first) {
            first
        } else {
            1
        };
        let format = TimecodeFormat::for_rate(rate);
        // A packed 0 is also what a server without timecode sends: take the first frame with a
        // non-zero timecode and count back to the recording's first frame.
        let start_timecode =
            self.frames
                .iter()
                .find(|(_, f)| f.timecode != 0)
                .and_then(|(&n, f)| {
                    let tc = natnet::timecode_from_packed(f.timecode, format)?;
                    Some(Timecode::from_frame_count(
                        tc.to_frame_count() - (n - first),
                        format,
                    ))
                });
        Ok(Recording {
            markers: t,
            start_timecode,
            frames_missing: self.frames_missing(),
        })
    }

    /// Counts labeled markers no model definition names (call once at the end).
    pub fn count_unknown(&mut self) {
        let (_, column) = self.columns();
        self.counters.markers_unknown = self
            .frames
            .values()
            .flat_map(|f| f.markers.iter())
            .filter(|(id, _, _)| !column.contains_key(id))
            .count() as u64;
    }
}

/// Labels (`SET:MARKER`, model-definition order) and the column of every labeled-marker id.
pub fn labels_of(model: Option<&ModelDef>) -> (Vec<String>, HashMap<i32, usize>) {
    let mut labels = Vec::new();
    let mut column = HashMap::new();
    if let Some(def) = model {
        for (si, set) in natnet::marker_set_defs(def).into_iter().enumerate() {
            let Ok(model_id) = u16::try_from(si + 1) else {
                break;
            };
            for (mi, name) in set.marker_names.iter().enumerate() {
                let Ok(marker) = u16::try_from(mi + 1) else {
                    break;
                };
                column.insert(natnet::marker_id(model_id, marker), labels.len());
                labels.push(format!("{}:{}", set.name, name));
            }
        }
    }
    (labels, column)
}

/// p50, p99 and max of a set of durations, milliseconds (`null`s when empty).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentiles {
    /// Median, ms.
    pub p50: Option<f64>,
    /// 99th percentile, ms.
    pub p99: Option<f64>,
    /// Largest, ms.
    pub max: Option<f64>,
}

impl Percentiles {
    /// Nearest-rank percentiles of `values` (non-finite values ignored).
    pub fn of(values: &[f64]) -> Self {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Self {
            p50: Some(rank(0.50)),
            p99: Some(rank(0.99)),
            max: v.last().copied(),
        }
    }
}

/// Latency per stage, milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencyReport {
    /// Capture (mid-exposure) → transmit, as the server stamps it.
    pub capture_to_received: Percentiles,
    /// Datagram read → pose ready (frame stored, and solved with `--solve`).
    pub received_to_pose_ready: Percentiles,
}

/// The JSON report of `mocap live record` (field names are a contract).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveReport {
    /// Frames decoded.
    pub frames_received: u64,
    /// Frames lost: numbers missing between the first and last recorded (lost on the network
    /// or dropped by the bounded queue), plus frames over the recording's capacity.
    pub frames_dropped: u64,
    /// Frames that arrived late, duplicated or from a restarted server.
    pub frames_out_of_order: u64,
    /// Datagrams that did not decode.
    pub packets_malformed: u64,
    /// Latency per stage, milliseconds.
    pub latency_ms: LatencyReport,
    /// RMS marker residual of the live solve over solved frames and actors, millimetres
    /// (`null` without `--solve`).
    pub solve_rms_mm: Option<f64>,
}

impl LiveReport {
    /// The report of `recorder` with the client's malformed-packet count.
    pub fn new(recorder: &Recorder, packets_malformed: u64) -> Self {
        Self {
            frames_received: recorder.counters.frames_received,
            frames_dropped: recorder.frames_missing() + recorder.counters.frames_over_capacity,
            frames_out_of_order: recorder.counters.frames_out_of_order,
            packets_malformed,
            latency_ms: LatencyReport {
                capture_to_received: Percentiles::of(&recorder.capture_latency_ms),
                received_to_pose_ready: Percentiles::of(&recorder.pose_latency_ms),
            },
            solve_rms_mm: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_samples_stay_bounded_and_keep_the_newest() {
        let mut v = Vec::new();
        for i in 0..(5 * LATENCY_WINDOW + 7) {
            push_bounded(&mut v, i as f64);
        }
        assert!(v.len() >= LATENCY_WINDOW && v.len() <= 2 * LATENCY_WINDOW);
        assert_eq!(v.last().copied(), Some((5 * LATENCY_WINDOW + 6) as f64));
        // Contiguous and newest-last: nothing in the middle was dropped.
        assert!(v.windows(2).all(|w| w[1] == w[0] + 1.0));
    }
}
