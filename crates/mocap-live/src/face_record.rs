//! Recording one Live Link Face subject into [`FaceCurves`]: frames placed by frame number at the
//! packet's rate, gaps (NaN samples) where numbers were skipped, late frames filling their gap,
//! duplicates and strays counted; the start timecode is the first frame number at that rate.
//!
//! Memory is bounded by the recording's duration: [`FaceRecordConfig::max_seconds`] at the
//! stream's rate caps the frames kept (later ones are counted over capacity), and a frame number
//! further than [`FaceRecordConfig::max_jump_frames`] ahead is taken as garbage, not as a gap.

use crate::livelink::ReceivedFace;
use mocap_data::face::{ARKIT_BLENDSHAPES, FACE_ROTATIONS};
use mocap_data::{Curve, FaceCurves, FrameRate, Timecode, TimecodeFormat};
use serde::Serialize;

/// Limits of a face recording.
#[derive(Debug, Clone)]
pub struct FaceRecordConfig {
    /// Longest recording kept, seconds of stream at its rate (later frames are counted over
    /// capacity): bounds memory to 244 bytes × rate × this.
    pub max_seconds: f64,
    /// A frame number more than this many frames from the highest seen is taken as garbage
    /// (counted out of order) rather than opening a huge gap.
    pub max_jump_frames: i64,
    /// Record only this subject (name as the phone sends it); `None`: the first one heard.
    pub subject: Option<String>,
}

impl Default for FaceRecordConfig {
    fn default() -> Self {
        Self {
            max_seconds: 3600.0,
            max_jump_frames: 2_400,
            subject: None,
        }
    }
}

/// What happened to a frame handed to [`FaceRecorder::frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaceFate {
    /// Stored in order.
    Stored,
    /// Arrived late and filled its gap.
    StoredLate,
    /// Not stored: another subject, a duplicate, too old, too far ahead, another rate, or over
    /// capacity.
    Discarded,
}

/// Counters of a face recording.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FaceCounters {
    /// Frames of the recorded subject handed to the recorder (duplicates included).
    pub frames_received: u64,
    /// Frames whose number was not above the highest seen (late, duplicated, before the first)
    /// or jumped too far ahead.
    pub frames_out_of_order: u64,
    /// Of those, frames repeating a number already stored.
    pub frames_duplicate: u64,
    /// Frames not stored because the recording was full.
    pub frames_over_capacity: u64,
    /// Frames with no usable rate or a rate other than the recording's (not stored).
    pub frames_rate_mismatch: u64,
    /// Frames of other subjects (not recorded).
    pub frames_other_subject: u64,
    /// Weights that were non-finite or outside 0–1 (stored clamped; NaN → 0).
    pub weights_fixed: u64,
}

/// Why a face recording could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FaceRecordError {
    /// No frame of the subject arrived.
    #[error(
        "no Live Link Face frame arrived{}: check the phone's Live Link target (this host's address and port), that the app streams, and that no firewall drops UDP",
        subject.as_ref().map(|s| format!(" from subject {s:?}")).unwrap_or_default()
    )]
    NoFrames {
        /// The subject asked for, if any.
        subject: Option<String>,
    },
    /// Assembly failed.
    #[error("building the face curves: {0}")]
    Data(#[from] mocap_data::DataError),
}

/// The recorded face take.
#[derive(Debug, Clone)]
pub struct FaceRecording {
    /// 52 ARKit weights (unitless, 0–1) and 9 head/eye rotations (radians), at the stream's rate;
    /// frame 0 is the first frame number received; **NaN** where a frame never arrived (the face
    /// CSV writer writes `NaN`, which readers take as a missing sample).
    pub curves: FaceCurves,
    /// The subject recorded.
    pub subject: String,
    /// Its device id.
    pub device_id: String,
    /// Frame number of frame 0 (at `curves.rate`).
    pub first_frame_number: i64,
    /// Frame numbers in the recorded range that never arrived.
    pub frames_missing: u64,
}

/// The `face` object of `mocap live record --report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaceReport {
    /// Frames of the recorded subject received (duplicates included).
    pub frames_received: u64,
    /// Frames lost: numbers missing between the first and last recorded (lost on the network
    /// or dropped by the bounded queue), plus frames over the recording's capacity.
    pub frames_dropped: u64,
    /// Frames that arrived late, duplicated, before the first or jumped too far ahead.
    pub frames_out_of_order: u64,
    /// Of those, frames repeating a number already stored.
    pub frames_duplicate: u64,
    /// Datagrams on the port that did not decode.
    pub packets_malformed: u64,
    /// The subject recorded (`null` when none was heard).
    pub subject: Option<String>,
    /// Its rate, frames per second (`null` when none was heard).
    pub rate: Option<f64>,
    /// Frames in the recording (gaps included).
    pub frames_recorded: usize,
    /// Timecode of the recording's first frame (`null` when none was heard).
    pub start_timecode: Option<String>,
    /// Frames of other subjects on the same port (not recorded).
    pub frames_other_subject: u64,
}

impl FaceReport {
    /// The report of `recorder` with the receiver's malformed-datagram count.
    pub fn new(recorder: &FaceRecorder, packets_malformed: u64) -> Self {
        let c = &recorder.counters;
        let rate = recorder.rate();
        Self {
            frames_received: c.frames_received,
            frames_dropped: recorder.frames_dropped(),
            frames_out_of_order: c.frames_out_of_order,
            frames_duplicate: c.frames_duplicate,
            packets_malformed,
            subject: recorder.subject().map(|(s, _)| s.to_string()),
            rate: rate.map(FrameRate::hz),
            frames_recorded: recorder.rows.len(),
            start_timecode: rate.zip(recorder.first).map(|(r, f)| {
                Timecode::from_frame_count(f, TimecodeFormat::for_rate(r)).to_string()
            }),
            frames_other_subject: c.frames_other_subject,
        }
    }
}

/// Accumulates the frames of one subject.
#[derive(Debug)]
pub struct FaceRecorder {
    config: FaceRecordConfig,
    subject: Option<(String, String)>,
    rate: Option<FrameRate>,
    max_frames: usize,
    first: Option<i64>,
    highest: Option<i64>,
    /// One row per frame number from `first`: 52 weights then 9 rotations; `None` = gap.
    rows: Vec<Option<[f32; 61]>>,
    missing: u64,
    /// Counters so far.
    pub counters: FaceCounters,
}

impl FaceRecorder {
    /// An empty recorder.
    pub fn new(config: FaceRecordConfig) -> Self {
        Self {
            config,
            subject: None,
            rate: None,
            max_frames: 0,
            first: None,
            highest: None,
            rows: Vec::new(),
            missing: 0,
            counters: FaceCounters::default(),
        }
    }

    /// The recorded subject's name and device id, once its first frame arrived.
    pub fn subject(&self) -> Option<(&str, &str)> {
        self.subject.as_ref().map(|(s, d)| (s.as_str(), d.as_str()))
    }

    /// The stream's rate, once known.
    pub fn rate(&self) -> Option<FrameRate> {
        self.rate
    }

    /// Frames stored so far (gaps excluded).
    pub fn frames_stored(&self) -> usize {
        self.rows.iter().filter(|r| r.is_some()).count()
    }

    /// Frame numbers between the first and the highest received that never arrived.
    pub fn frames_missing(&self) -> u64 {
        self.missing
    }

    /// Frames lost: numbers never arrived plus frames over capacity.
    pub fn frames_dropped(&self) -> u64 {
        self.missing + self.counters.frames_over_capacity
    }

    /// Stores a frame by its number.
    pub fn frame(&mut self, rf: &ReceivedFace) -> FaceFate {
        match &self.subject {
            Some((s, d)) if *s != rf.subject || *d != rf.device_id => {
                self.counters.frames_other_subject += 1;
                return FaceFate::Discarded;
            }
            None if self
                .config
                .subject
                .as_ref()
                .is_some_and(|want| *want != rf.subject) =>
            {
                self.counters.frames_other_subject += 1;
                return FaceFate::Discarded;
            }
            _ => {}
        }
        self.counters.frames_received += 1;
        let Some(rate) = rf
            .frame
            .rate()
            .filter(|r| self.rate.is_none_or(|k| k == *r))
        else {
            self.counters.frames_rate_mismatch += 1;
            return FaceFate::Discarded;
        };
        let n = rf.frame.frame_number as i64;
        let (first, highest) = match (self.first, self.highest) {
            (Some(f), Some(h)) => (f, h),
            _ => {
                self.subject = Some((rf.subject.clone(), rf.device_id.clone()));
                self.rate = Some(rate);
                let frames = (self.config.max_seconds.max(0.0) * rate.hz()).ceil();
                self.max_frames = if frames.is_finite() {
                    (frames as usize).max(1)
                } else {
                    1
                };
                self.first = Some(n);
                self.highest = Some(n);
                self.store(0, rf);
                return FaceFate::Stored;
            }
        };
        if n <= highest {
            self.counters.frames_out_of_order += 1;
            let Some(row) = usize::try_from(n - first)
                .ok()
                .and_then(|i| self.rows.get(i))
            else {
                return FaceFate::Discarded; // before the first frame
            };
            if row.is_some() {
                self.counters.frames_duplicate += 1;
                return FaceFate::Discarded;
            }
            self.missing = self.missing.saturating_sub(1);
            self.store((n - first) as usize, rf);
            return FaceFate::StoredLate;
        }
        if n - highest > self.config.max_jump_frames {
            self.counters.frames_out_of_order += 1;
            return FaceFate::Discarded;
        }
        let index = (n - first) as usize;
        if index >= self.max_frames {
            self.counters.frames_over_capacity += 1;
            return FaceFate::Discarded;
        }
        self.missing += (n - highest - 1) as u64;
        self.highest = Some(n);
        self.store(index, rf);
        FaceFate::Stored
    }

    fn store(&mut self, index: usize, rf: &ReceivedFace) {
        if self.rows.len() <= index {
            self.rows.resize(index + 1, None);
        }
        let (weights, fixed) = rf.frame.weights_clamped();
        self.counters.weights_fixed += fixed as u64;
        let mut row = [0.0f32; 61];
        row[..52].copy_from_slice(&weights);
        row[52..].copy_from_slice(&rf.frame.rotations());
        if let Some(slot) = self.rows.get_mut(index) {
            *slot = Some(row);
        }
    }

    /// Builds the take: 52 weight curves in ARKit order and 9 rotation curves, NaN at gaps.
    pub fn finish(&self) -> Result<FaceRecording, FaceRecordError> {
        let (Some((subject, device_id)), Some(rate), Some(first)) =
            (&self.subject, self.rate, self.first)
        else {
            return Err(FaceRecordError::NoFrames {
                subject: self.config.subject.clone(),
            });
        };
        let column = |k: usize| -> Vec<f32> {
            self.rows
                .iter()
                .map(|r| r.as_ref().map_or(f32::NAN, |v| v[k]))
                .collect()
        };
        let curve = |(k, name): (usize, &&str)| Curve {
            name: (*name).to_string(),
            values: column(k),
        };
        let blendshapes = ARKIT_BLENDSHAPES.iter().enumerate().map(curve).collect();
        let rotations = FACE_ROTATIONS
            .iter()
            .enumerate()
            .map(|(k, n)| curve((52 + k, n)))
            .collect();
        let format = TimecodeFormat::for_rate(rate);
        let start = Timecode::from_frame_count(first, format);
        Ok(FaceRecording {
            curves: FaceCurves::new(rate, Some(start), blendshapes, rotations)?,
            subject: subject.clone(),
            device_id: device_id.clone(),
            first_frame_number: first,
            frames_missing: self.missing,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_formats::livelink::{FaceFrame, VALUE_COUNT};
    use std::time::Instant;

    fn face(subject: &str, n: i32, rate: i32) -> ReceivedFace {
        let mut values = [0.0f32; VALUE_COUNT];
        values[17] = (n % 100) as f32 / 100.0; // jawOpen
        values[52] = -(n as f32) / 1000.0; // headYaw
        ReceivedFace {
            subject: subject.into(),
            device_id: format!("${subject}"),
            frame: FaceFrame {
                frame_number: n,
                subframe: 0.0,
                rate_num: rate,
                rate_den: 1,
                values,
            },
            received: Instant::now(),
            from: "127.0.0.1:9".parse().expect("address"),
        }
    }

    #[test]
    fn gaps_reordering_and_duplicates() {
        let mut r = FaceRecorder::new(FaceRecordConfig::default());
        use FaceFate::*;
        let fates: Vec<FaceFate> = [
            ("A", 100),
            ("A", 101),
            ("B", 102), // another phone on the same port
            ("A", 103), // 102 skipped
            ("A", 105), // 104 skipped
            ("A", 104), // late: fills its gap
            ("A", 105), // duplicate
            ("A", 99),  // before the first
            ("A", 9_000),
            ("A", 106),
        ]
        .iter()
        .map(|&(s, n)| r.frame(&face(s, n, 60)))
        .collect();
        assert_eq!(
            fates,
            vec![
                Stored, Stored, Discarded, Stored, Stored, StoredLate, Discarded, Discarded,
                Discarded, Stored
            ]
        );
        let c = &r.counters;
        assert_eq!(c.frames_received, 9);
        assert_eq!(c.frames_other_subject, 1);
        assert_eq!(c.frames_out_of_order, 4); // 104 late, 105 again, 99, 9000
        assert_eq!(c.frames_duplicate, 1);
        assert_eq!(r.frames_missing(), 1); // 102
        assert_eq!(r.frames_dropped(), 1);
        let report = FaceReport::new(&r, 3);
        assert_eq!(
            (
                report.frames_received,
                report.frames_dropped,
                report.frames_out_of_order,
                report.packets_malformed,
                report.frames_recorded
            ),
            (9, 1, 4, 3, 7)
        );
        assert_eq!(report.subject.as_deref(), Some("A"));
        assert_eq!(report.rate, Some(60.0));
        assert_eq!(report.start_timecode.as_deref(), Some("00:00:01:40"));
        let rec = r.finish().expect("a recording");
        assert_eq!(rec.subject, "A");
        assert_eq!(rec.first_frame_number, 100);
        assert_eq!(rec.frames_missing, 1);
        let f = &rec.curves;
        assert_eq!(f.rate, FrameRate::FPS_60);
        assert_eq!(f.frame_count(), 7);
        assert_eq!((f.blendshapes.len(), f.rotations.len()), (52, 9));
        let jaw = &f.curve("jawOpen").expect("jawOpen").values;
        assert_eq!(jaw[..2], [0.0, 0.01]);
        assert!(jaw[2].is_nan(), "frame 102 is a gap");
        assert_eq!(jaw[3..], [0.03, 0.04, 0.05, 0.06]);
        let yaw = &f.curve("headYaw").expect("headYaw").values;
        assert_eq!(yaw[4], -0.104);
        // Timecode of frame number 100 at 60 fps.
        assert_eq!(
            f.start_timecode.map(|t| t.to_string()),
            Some("00:00:01:40".into())
        );
    }

    #[test]
    fn subject_choice_rate_changes_and_capacity() {
        let mut r = FaceRecorder::new(FaceRecordConfig {
            max_seconds: 0.04, // 3 frames at 60 fps (2.4, rounded up)
            subject: Some("B".into()),
            ..FaceRecordConfig::default()
        });
        assert!(matches!(
            r.finish(),
            Err(FaceRecordError::NoFrames { subject: Some(_) })
        ));
        r.frame(&face("A", 1, 60));
        r.frame(&face("B", 10, 60));
        r.frame(&face("B", 11, 30)); // another rate
        r.frame(&face("B", 11, 0)); // no rate
        for n in 12..20 {
            r.frame(&face("B", n, 60));
        }
        let c = &r.counters;
        assert_eq!(c.frames_other_subject, 1);
        assert_eq!(c.frames_rate_mismatch, 2);
        assert_eq!(c.frames_over_capacity, 7); // 13..20 beyond 3 frames (10, 11 gap, 12)
        let rec = r.finish().expect("a recording");
        assert_eq!(rec.curves.frame_count(), 3);
        assert_eq!(r.frames_dropped(), 1 + 7);
    }

    #[test]
    fn bad_weights_are_clamped_and_counted() {
        let mut r = FaceRecorder::new(FaceRecordConfig::default());
        let mut f = face("A", 5, 60);
        f.frame.values[0] = f32::NAN;
        f.frame.values[1] = 2.0;
        f.frame.values[53] = f32::INFINITY;
        r.frame(&f);
        assert_eq!(r.counters.weights_fixed, 2);
        let rec = r.finish().expect("a recording");
        assert_eq!(rec.curves.blendshapes[0].values, vec![0.0]);
        assert_eq!(rec.curves.blendshapes[1].values, vec![1.0]);
        assert_eq!(rec.curves.rotations[1].values, vec![0.0]);
    }
}
