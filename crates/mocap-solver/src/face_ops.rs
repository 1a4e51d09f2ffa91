//! Curve operations on facial performances, for the clean-up stack: low-pass, despike, clamp,
//! gain/offset per channel, blink repair. Saved in the take's `NAME.ops.ron` under `face:` and
//! run by `mocap clean --face` like the marker entries:
//!
//! ```ron
//! face: [
//!     (op: FaceDespike(threshold: 0.25)),
//!     (op: FaceLowpass(cutoff_hz: 8.0), channels: Names(["jawOpen", "mouthFunnel"])),
//!     (op: GainOffset(gain: 1.2, offset: -0.05), channels: Names(["browInnerUp"])),
//!     (op: BlinkRepair(min_closed: 0.8, max_gap_frames: 3)),
//!     (op: Clamp(min: 0.0, max: 1.0)),
//! ]
//! ```
//!
//! Channels are named in any spelling [`mocap_data::face::normalize_name`] accepts (or exactly,
//! for non-ARKit curves); frames are 0-based, ranges half-open. Weights are unitless 0–1;
//! rotation curves are radians. Every operation is deterministic.

use crate::SolverError;
use crate::filter::{butter_lowpass, filtfilt};
use crate::gaps::FrameRange;
use mocap_data::{Curve, FaceCurves};
use serde::{Deserialize, Serialize};

/// Which curves an entry works on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub enum ChannelSelection {
    /// Every blendshape curve (rotations are left alone).
    #[default]
    Blendshapes,
    /// Every curve, rotations included.
    All,
    /// These curves (any spelling of ARKit names).
    Names(Vec<String>),
}

/// A curve operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FaceOp {
    /// Zero-phase Butterworth low-pass (forward–backward, like the marker low-pass).
    FaceLowpass {
        /// Cut-off, Hz (below half the take's rate).
        cutoff_hz: f64,
        /// Filter order (1–8; default 2, doubled by the forward–backward pass).
        #[serde(default = "two")]
        order: usize,
    },
    /// Single-frame spikes: a sample further than `threshold` from both neighbours, on the same
    /// side, becomes the mean of its neighbours.
    FaceDespike {
        /// Jump that marks a spike, in the curve's unit (weight units for blendshapes).
        threshold: f32,
    },
    /// Values limited to `min..=max`.
    Clamp {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
    /// `value · gain + offset` (then 0–1 for blendshapes).
    GainOffset {
        /// Multiplier.
        gain: f32,
        /// Added after the gain.
        offset: f32,
    },
    /// Blink repair on `eyeBlinkLeft`/`eyeBlinkRight` (the entry's channels are ignored): short
    /// dropouts inside a blink (at most `max_gap_frames` frames below `min_closed` between closed
    /// frames) are filled with the closed level, and the two eyes' closures are made to agree when
    /// one eye blinked and the other barely moved (tracking lost one eye) — the weaker eye gets
    /// the stronger eye's curve during that blink.
    BlinkRepair {
        /// Weight at or above which an eye counts as closed (default 0.8).
        #[serde(default = "closed")]
        min_closed: f32,
        /// Longest dropout inside a blink that is filled, frames (default 3).
        #[serde(default = "three")]
        max_gap_frames: usize,
    },
}

fn two() -> usize {
    2
}
fn three() -> usize {
    3
}
fn closed() -> f32 {
    0.8
}
fn yes() -> bool {
    true
}

impl FaceOp {
    /// The variant's name as written in the RON file.
    pub fn name(&self) -> &'static str {
        match self {
            Self::FaceLowpass { .. } => "FaceLowpass",
            Self::FaceDespike { .. } => "FaceDespike",
            Self::Clamp { .. } => "Clamp",
            Self::GainOffset { .. } => "GainOffset",
            Self::BlinkRepair { .. } => "BlinkRepair",
        }
    }
}

/// One face entry of the stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaceEntry {
    /// The operation.
    pub op: FaceOp,
    /// Disabled entries are skipped.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Frames it works on (`None`: the whole take), 0-based, end exclusive.
    #[serde(default)]
    pub range: Option<FrameRange>,
    /// Curves it works on.
    #[serde(default)]
    pub channels: ChannelSelection,
    /// Free text; does not affect the result.
    #[serde(default)]
    pub note: String,
}

impl FaceEntry {
    /// An enabled entry of `op` over the whole take and every blendshape.
    pub fn new(op: FaceOp) -> Self {
        Self {
            op,
            enabled: true,
            range: None,
            channels: ChannelSelection::Blendshapes,
            note: String::new(),
        }
    }
}

/// What one entry changed: samples whose value differs afterwards.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FaceOpReport {
    /// Samples changed, over all curves.
    pub samples_changed: usize,
    /// Curves with at least one change.
    pub curves_changed: usize,
}

fn bad(name: &'static str, value: impl std::fmt::Display, expected: &str) -> SolverError {
    SolverError::InvalidParameter {
        name,
        value: value.to_string(),
        expected: expected.to_string(),
    }
}

/// Indices into `blendshapes` (false) or `rotations` (true) the selection names.
fn select(face: &FaceCurves, sel: &ChannelSelection) -> Result<Vec<(bool, usize)>, SolverError> {
    Ok(match sel {
        ChannelSelection::Blendshapes => (0..face.blendshapes.len()).map(|i| (false, i)).collect(),
        ChannelSelection::All => (0..face.blendshapes.len())
            .map(|i| (false, i))
            .chain((0..face.rotations.len()).map(|i| (true, i)))
            .collect(),
        ChannelSelection::Names(names) => {
            let mut out = Vec::new();
            for n in names {
                let Some(c) = face.curve(n) else {
                    return Err(SolverError::InvalidParameter {
                        name: "channels",
                        value: n.clone(),
                        expected: "a curve of the take (see `mocap face info`)".into(),
                    });
                };
                let rot = face.rotations.iter().any(|r| r.name == c.name);
                let list = if rot {
                    &face.rotations
                } else {
                    &face.blendshapes
                };
                let i = list.iter().position(|x| x.name == c.name).unwrap_or(0);
                out.push((rot, i));
            }
            out
        }
    })
}

fn despike(v: &mut [f32], threshold: f32) {
    let orig = v.to_vec();
    for i in 1..orig.len().saturating_sub(1) {
        let (a, x, b) = (orig[i - 1], orig[i], orig[i + 1]);
        let up = x - a > threshold && x - b > threshold;
        let down = a - x > threshold && b - x > threshold;
        if up || down {
            v[i] = 0.5 * (a + b);
        }
    }
}

fn blink_repair(l: &mut [f32], r: &mut [f32], min_closed: f32, max_gap: usize) {
    for v in [&mut *l, &mut *r] {
        // Fill short dropouts between closed frames.
        let mut last_closed: Option<usize> = None;
        for i in 0..v.len() {
            if v[i] >= min_closed {
                if let Some(p) = last_closed
                    && i - p > 1
                    && i - p - 1 <= max_gap
                {
                    let level = v[p].min(v[i]);
                    for x in &mut v[p + 1..i] {
                        *x = x.max(level);
                    }
                }
                last_closed = Some(i);
            }
        }
    }
    // One eye closed while the other stayed open (below a quarter of the threshold): copy.
    let n = l.len().min(r.len());
    let mut i = 0;
    while i < n {
        let (lc, rc) = (l[i] >= min_closed, r[i] >= min_closed);
        if lc == rc {
            i += 1;
            continue;
        }
        // The blink's extent on the closed eye: while above a tenth of the threshold.
        let src_left = lc;
        let (s, e) = {
            let src: &[f32] = if src_left { l } else { r };
            let mut s = i;
            while s > 0 && src[s - 1] > 0.1 * min_closed {
                s -= 1;
            }
            let mut e = i;
            while e < n && src[e] > 0.1 * min_closed {
                e += 1;
            }
            (s, e)
        };
        let other_max = if src_left { &r[s..e] } else { &l[s..e] }
            .iter()
            .fold(0.0f32, |m, &x| m.max(x));
        if other_max < 0.25 * min_closed {
            if src_left {
                r[s..e].copy_from_slice(&l[s..e]);
            } else {
                l[s..e].copy_from_slice(&r[s..e]);
            }
        }
        i = e.max(i + 1);
    }
}

/// Runs one entry on `face` in place.
pub fn apply_entry(e: &FaceEntry, face: &mut FaceCurves) -> Result<FaceOpReport, SolverError> {
    let frames = face.frame_count();
    let range = FrameRange::resolve(e.range, frames)?;
    let before = face.clone();
    match &e.op {
        FaceOp::BlinkRepair {
            min_closed,
            max_gap_frames,
        } => {
            if !(0.05..=1.0).contains(min_closed) {
                return Err(bad("min_closed", min_closed, "a weight in 0.05–1"));
            }
            let find = |n: &str| face.blendshapes.iter().position(|c| c.name == n);
            let (Some(li), Some(ri)) = (find("eyeBlinkLeft"), find("eyeBlinkRight")) else {
                return Err(bad(
                    "channels",
                    "eyeBlinkLeft/eyeBlinkRight",
                    "a take with both blink curves",
                ));
            };
            let mut l = face.blendshapes[li].values[range.clone()].to_vec();
            let mut r = face.blendshapes[ri].values[range.clone()].to_vec();
            blink_repair(&mut l, &mut r, *min_closed, *max_gap_frames);
            face.blendshapes[li].values[range.clone()].copy_from_slice(&l);
            face.blendshapes[ri].values[range.clone()].copy_from_slice(&r);
        }
        op => {
            let rate = face.rate.hz();
            let filter = match op {
                FaceOp::FaceLowpass { cutoff_hz, order } => {
                    if !(1..=8).contains(order) {
                        return Err(bad("order", order, "1 to 8"));
                    }
                    if !(*cutoff_hz > 0.0 && *cutoff_hz < 0.5 * rate) {
                        return Err(bad(
                            "cutoff_hz",
                            cutoff_hz,
                            &format!("between 0 and {} Hz (half the take's rate)", 0.5 * rate),
                        ));
                    }
                    Some(butter_lowpass(*order, *cutoff_hz, rate)?)
                }
                FaceOp::FaceDespike { threshold } if threshold.is_nan() || *threshold <= 0.0 => {
                    return Err(bad("threshold", threshold, "a positive jump"));
                }
                FaceOp::Clamp { min, max } if min.is_nan() || max.is_nan() || min > max => {
                    return Err(bad("min", min, "at most max"));
                }
                FaceOp::GainOffset { gain, offset }
                    if !(gain.is_finite() && offset.is_finite()) =>
                {
                    return Err(bad("gain", gain, "finite gain and offset"));
                }
                _ => None,
            };
            for (rot, i) in select(face, &e.channels)? {
                let curve: &mut Curve = if rot {
                    &mut face.rotations[i]
                } else {
                    &mut face.blendshapes[i]
                };
                let v = &mut curve.values[range.clone()];
                match op {
                    FaceOp::FaceLowpass { .. } => {
                        if let Some(f) = &filter {
                            let x: Vec<f64> = v.iter().map(|&a| a as f64).collect();
                            for (o, y) in v.iter_mut().zip(filtfilt(f, &x)?) {
                                *o = y as f32;
                            }
                        }
                    }
                    FaceOp::FaceDespike { threshold } => despike(v, *threshold),
                    FaceOp::Clamp { min, max } => {
                        v.iter_mut().for_each(|x| *x = x.clamp(*min, *max))
                    }
                    FaceOp::GainOffset { gain, offset } => {
                        v.iter_mut().for_each(|x| *x = *x * gain + offset)
                    }
                    FaceOp::BlinkRepair { .. } => {}
                }
                if !rot {
                    v.iter_mut().for_each(|x| *x = x.clamp(0.0, 1.0));
                }
            }
        }
    }
    let mut report = FaceOpReport::default();
    for (a, b) in face
        .blendshapes
        .iter()
        .chain(&face.rotations)
        .zip(before.blendshapes.iter().chain(&before.rotations))
    {
        let n = a
            .values
            .iter()
            .zip(&b.values)
            .filter(|(x, y)| x.to_bits() != y.to_bits())
            .count();
        report.samples_changed += n;
        report.curves_changed += usize::from(n > 0);
    }
    Ok(report)
}

/// Applies the enabled entries in order to a copy of `face`; stops at the first failing entry
/// with [`SolverError::StackEntry`] (index into `entries`).
pub fn apply(
    entries: &[FaceEntry],
    face: &FaceCurves,
) -> Result<(FaceCurves, Vec<Option<FaceOpReport>>), SolverError> {
    let mut out = face.clone();
    let mut reports = Vec::with_capacity(entries.len());
    for (index, e) in entries.iter().enumerate() {
        if !e.enabled {
            reports.push(None);
            continue;
        }
        let r = apply_entry(e, &mut out).map_err(|source| SolverError::StackEntry {
            index,
            op: e.op.name(),
            source: Box::new(source),
        })?;
        reports.push(Some(r));
    }
    Ok((out, reports))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face_demo::{DialogueLine, demo_face};
    use mocap_data::FrameRate;

    fn demo() -> FaceCurves {
        let lines = [DialogueLine {
            start_s: 0.5,
            end_s: 3.0,
            text: "Start walking towards the camera",
        }];
        demo_face(6.0, FrameRate::FPS_60, &lines, (4.0, 5.5))
    }

    fn rms_diff(a: &[f32], b: &[f32]) -> f32 {
        (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f32>() / a.len() as f32).sqrt()
    }

    #[test]
    fn lowpass_removes_jitter_and_despike_removes_spikes() {
        let mut clean = demo();
        // A slow expression (0.5 Hz) under the jitter.
        for (f, v) in clean
            .curve_mut("cheekPuff")
            .unwrap()
            .values
            .iter_mut()
            .enumerate()
        {
            *v = 0.5 + 0.3 * (std::f32::consts::TAU * 0.5 * f as f32 / 60.0).sin();
        }
        let mut noisy = clean.clone();
        let jaw = noisy.curve_mut("cheekPuff").unwrap();
        let mut seed = 1u32;
        for v in &mut jaw.values {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *v = (*v + ((seed >> 9) as f32 / (1 << 23) as f32 - 0.5) * 0.1).clamp(0.0, 1.0);
        }
        // Spikes on the brow: single frames jumping to 1.
        for f in [50, 120, 200] {
            noisy.curve_mut("browDownLeft").unwrap().values[f] = 1.0;
        }
        let entries = [
            FaceEntry::new(FaceOp::FaceDespike { threshold: 0.3 }),
            FaceEntry {
                channels: ChannelSelection::Names(vec!["CheekPuff".into()]),
                ..FaceEntry::new(FaceOp::FaceLowpass {
                    cutoff_hz: 6.0,
                    order: 2,
                })
            },
        ];
        let (out, rep) = apply(&entries, &noisy).unwrap();
        let c = |f: &FaceCurves, n: &str| f.curve(n).unwrap().values.clone();
        let before = rms_diff(&c(&noisy, "cheekPuff"), &c(&clean, "cheekPuff"));
        let after = rms_diff(&c(&out, "cheekPuff"), &c(&clean, "cheekPuff"));
        assert!(after < 0.6 * before, "jitter {before} → {after}");
        assert_eq!(c(&out, "browDownLeft"), c(&clean, "browDownLeft"));
        assert_eq!(rep[0].as_ref().unwrap().samples_changed, 3);
        // Only the selected channel was low-passed.
        assert_eq!(c(&out, "mouthPucker"), c(&clean, "mouthPucker"));
    }

    #[test]
    fn gain_offset_clamp_and_blink_repair() {
        let mut f = demo();
        let entries = [
            FaceEntry {
                channels: ChannelSelection::Names(vec!["browInnerUp".into()]),
                range: Some(FrameRange::new(0, 300)),
                ..FaceEntry::new(FaceOp::GainOffset {
                    gain: 2.0,
                    offset: 0.1,
                })
            },
            FaceEntry::new(FaceOp::Clamp { min: 0.0, max: 0.9 }),
        ];
        let (out, _) = apply(&entries, &f).unwrap();
        let brow = &out.curve("browInnerUp").unwrap().values;
        assert!((brow[10] - 0.1).abs() < 1e-6); // 0 · 2 + 0.1
        assert!(
            brow[300..]
                .iter()
                .zip(&f.curve("browInnerUp").unwrap().values[300..])
                .all(|(a, b)| *a == b.min(0.9))
        );
        assert!(
            out.blendshapes
                .iter()
                .all(|c| c.values.iter().all(|&v| v <= 0.9))
        );

        // Blink repair: a two-frame dropout in the left blink, and a right blink the tracker lost.
        let l = f.curve("eyeBlinkLeft").unwrap().values.clone();
        let peak = (0..l.len()).max_by(|&a, &b| l[a].total_cmp(&l[b])).unwrap();
        let lv = &mut f.curve_mut("eyeBlinkLeft").unwrap().values;
        lv[peak - 1] = 0.95;
        lv[peak] = 0.1;
        lv[peak + 1] = 0.1;
        lv[peak + 2] = 0.95;
        let rv = &mut f.curve_mut("eyeBlinkRight").unwrap().values;
        for v in &mut rv[peak - 10..peak + 10] {
            *v = 0.0;
        }
        let (out, rep) = apply(
            &[FaceEntry::new(FaceOp::BlinkRepair {
                min_closed: 0.8,
                max_gap_frames: 3,
            })],
            &f,
        )
        .unwrap();
        let l2 = &out.curve("eyeBlinkLeft").unwrap().values;
        let r2 = &out.curve("eyeBlinkRight").unwrap().values;
        assert!(l2[peak] >= 0.9 && l2[peak + 1] >= 0.9, "dropout filled");
        assert!(
            r2[peak] >= 0.9,
            "right eye follows the left during the blink"
        );
        assert!(rep[0].as_ref().unwrap().samples_changed > 2);
        // Errors name the entry.
        let e = apply(
            &[FaceEntry::new(FaceOp::FaceLowpass {
                cutoff_hz: 40.0,
                order: 2,
            })],
            &f,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("#0 (FaceLowpass)") && e.to_string().contains("cutoff_hz"),
            "{e}"
        );
    }

    #[test]
    fn face_entries_round_trip_through_the_ops_sidecar() {
        let text = r#"#![enable(implicit_some, unwrap_variant_newtypes)]
(
    version: 1,
    face: [
        (op: FaceDespike(threshold: 0.25)),
        (op: FaceLowpass(cutoff_hz: 8.0), channels: Names(["jawOpen"]), range: (start: 0, end: 100)),
        (op: GainOffset(gain: 1.2, offset: -0.05), enabled: false, note: "brows weak"),
        (op: BlinkRepair()),
        (op: Clamp(min: 0.0, max: 1.0), channels: All),
    ],
)"#;
        let stack =
            crate::stack::OpStack::from_ron(text, std::path::Path::new("t.ops.ron")).unwrap();
        assert_eq!(stack.face.len(), 5);
        assert_eq!(
            stack.face[3].op,
            FaceOp::BlinkRepair {
                min_closed: 0.8,
                max_gap_frames: 3
            }
        );
        assert_eq!(
            stack.face[1].op,
            FaceOp::FaceLowpass {
                cutoff_hz: 8.0,
                order: 2
            }
        );
        assert!(!stack.face[2].enabled);
        assert!(stack.entries.is_empty());
        let again =
            crate::stack::OpStack::from_ron(&stack.to_ron(), std::path::Path::new("t.ops.ron"))
                .unwrap();
        assert_eq!(again, stack);
        let (out, rep) = apply(&stack.face, &demo()).unwrap();
        assert_eq!(out.frame_count(), 360);
        assert!(rep[2].is_none());
    }
}
