//! Spike detection and removal on marker trajectories.
//!
//! Each valid sample is scored by its distance from the position predicted by its nearest valid
//! neighbours: linear interpolation between the previous and next valid samples (for adjacent
//! neighbours this is half the acceleration magnitude `|p[t−1] − 2p[t] + p[t+1]|`), or, at the
//! edge of a valid run, the distance from the constant-velocity extrapolation of the two
//! previous (next) samples. Alongside this raw deviation, each sample has an *implied
//! acceleration score*: the deviation divided by `(t − a)·(b − t)` for neighbours `a < t < b`
//! (`(t − a)·(t − a₂)` when extrapolating), which is what a constant acceleration of the same
//! strength would produce over that span, in millimetres at one-frame spacing.
//!
//! A sample is a spike when **both** scores exceed
//! `max(median + threshold_mads · 1.4826 · MAD, min_deviation_mm)`, the median and MAD taken over
//! the marker's initial scores in the range. Spikes are removed greedily, largest raw deviation
//! first, and the neighbours are re-scored after each removal, so a multi-frame spike is removed
//! whole while a sustained natural acceleration (a toe-off, a heel strike), whose implied
//! acceleration does not grow as neighbours are bridged, does not cascade into a run of
//! removals. Removed samples become gaps.

use crate::SolverError;
use crate::gaps::{FrameRange, MarkerSelection};
use mocap_data::stats::median;
use mocap_data::{MarkerSample, MarkerTrajectories};
use serde::{Deserialize, Serialize};

/// Parameters of [`apply`]. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DespikeParams {
    /// Threshold in robust standard deviations (1.4826 · median absolute deviation) above the
    /// median score.
    pub threshold_mads: f64,
    /// A sample closer than this to its prediction is never a spike, millimetres (converted to
    /// the take's unit). The default 10 mm sits above the deviations natural impacts (heel
    /// strikes) produce at 120 Hz; lower frame rates need a higher value.
    pub min_deviation_mm: f64,
    /// Longest spike removed, frames: predictions use neighbours at most this many frames plus
    /// one away.
    pub max_spike_frames: usize,
}

impl Default for DespikeParams {
    fn default() -> Self {
        Self {
            threshold_mads: 8.0,
            min_deviation_mm: 10.0,
            max_spike_frames: 5,
        }
    }
}

/// One removed sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// Marker index.
    pub marker: usize,
    /// Marker label.
    pub label: String,
    /// Frame (0-based sample index).
    pub frame: usize,
    /// Distance from the predicted position when removed, in the take's unit.
    pub deviation: f64,
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DespikeReport {
    /// Removed samples, by marker then frame.
    pub spikes: Vec<Spike>,
}

/// Finds spikes of the selected markers in `range` (`None`: whole take) and turns them into
/// gaps. Neighbours outside the range may serve as predictors; only samples inside are removed.
pub fn apply(
    params: &DespikeParams,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<DespikeReport, SolverError> {
    if !(params.threshold_mads.is_finite() && params.threshold_mads > 0.0) {
        return Err(SolverError::InvalidParameter {
            name: "threshold_mads",
            value: params.threshold_mads.to_string(),
            expected: "a positive number of robust standard deviations (8 is typical)".into(),
        });
    }
    if !(params.min_deviation_mm.is_finite() && params.min_deviation_mm >= 0.0) {
        return Err(SolverError::InvalidParameter {
            name: "min_deviation_mm",
            value: params.min_deviation_mm.to_string(),
            expected: "a distance ≥ 0 in millimetres".into(),
        });
    }
    if params.max_spike_frames == 0 {
        return Err(SolverError::InvalidParameter {
            name: "max_spike_frames",
            value: "0".into(),
            expected: "at least 1 frame".into(),
        });
    }
    let r = FrameRange::resolve(range, t.frame_count())?;
    let min_dev = params.min_deviation_mm / t.unit.to_mm();
    let mut report = DespikeReport::default();
    for m in markers.resolve(t)? {
        let mut valid: Vec<bool> = (0..t.frame_count())
            .map(|f| t.position(f, m).is_some())
            .collect();
        let pos: Vec<[f64; 3]> = (0..t.frame_count())
            .map(|f| t.sample(f, m).position.map(|v| v as f64))
            .collect();
        let reach = params.max_spike_frames + 1;
        let mut scores: Vec<Option<(f64, f64)>> = vec![None; t.frame_count()];
        for f in r.clone() {
            scores[f] = score(&pos, &valid, f, reach);
        }
        let mut initial: Vec<f64> = scores.iter().flatten().map(|s| s.0).collect();
        if initial.len() < 3 {
            continue;
        }
        let med = median(&mut initial);
        let mut dev: Vec<f64> = initial.iter().map(|s| (s - med).abs()).collect();
        let mad = median(&mut dev);
        let threshold = (med + params.threshold_mads * 1.4826 * mad).max(min_dev);
        let mut removed = Vec::new();
        loop {
            let worst = scores
                .iter()
                .enumerate()
                .filter_map(|(f, s)| {
                    s.filter(|s| s.0 > threshold && s.1 > threshold)
                        .map(|s| (f, s.0))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            let Some((f, s)) = worst else { break };
            valid[f] = false;
            scores[f] = None;
            removed.push((f, s));
            let lo = f.saturating_sub(2 * reach).max(r.start);
            let hi = (f + 2 * reach + 1).min(r.end);
            for g in lo..hi {
                scores[g] = score(&pos, &valid, g, reach);
            }
        }
        removed.sort_by_key(|x| x.0);
        for (f, s) in removed {
            t.set_sample(f, m, MarkerSample::GAP);
            report.spikes.push(Spike {
                marker: m,
                label: t.labels[m].clone(),
                frame: f,
                deviation: s,
            });
        }
    }
    Ok(report)
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Raw deviation of sample `f` from its neighbours' prediction and its implied acceleration
/// score (see the module docs), `None` when `f` is invalid or has too few valid neighbours
/// within `reach` frames.
fn score(pos: &[[f64; 3]], valid: &[bool], f: usize, reach: usize) -> Option<(f64, f64)> {
    if !valid[f] {
        return None;
    }
    let prev = |from: usize| (from.saturating_sub(reach)..from).rev().find(|&g| valid[g]);
    let next = |from: usize| (from + 1..(from + reach + 1).min(valid.len())).find(|&g| valid[g]);
    let lerp = |a: usize, b: usize, at: usize| -> [f64; 3] {
        let w = (at as f64 - a as f64) / (b as f64 - a as f64);
        std::array::from_fn(|k| pos[a][k] + (pos[b][k] - pos[a][k]) * w)
    };
    let with = |dev: f64, span: usize| (dev, dev / span as f64);
    match (prev(f), next(f)) {
        (Some(a), Some(b)) => Some(with(dist(pos[f], lerp(a, b, f)), (f - a) * (b - f))),
        (Some(a), None) => prev(a).map(|a2| with(dist(pos[f], lerp(a2, a, f)), (f - a) * (f - a2))),
        (None, Some(b)) => next(b).map(|b2| with(dist(pos[f], lerp(b, b2, f)), (b - f) * (b2 - f))),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaps::test_util::{cut, make};

    /// Smooth 2-D motion plus ±0.5 mm deterministic jitter.
    fn smooth(frames: usize) -> MarkerTrajectories {
        make(2, frames, |f, m| {
            let s = f as f32 / 120.0;
            let j = ((f * 7919 + m * 104_729) % 101) as f32 / 100.0 - 0.5;
            [
                400.0 * (1.7 * s).sin() + j,
                300.0 * (1.1 * s + m as f32).cos() - j,
                900.0 + 50.0 * s,
            ]
        })
    }

    #[test]
    fn spikes_become_gaps_and_nothing_else_does() {
        let clean = smooth(600);
        let mut t = clean.clone();
        cut(&mut t, 0, 300, 320);
        let mut bump = |f: usize, d: [f32; 3]| {
            let mut s = t.sample(f, 0);
            for k in 0..3 {
                s.position[k] += d[k];
            }
            t.set_sample(f, 0, s);
        };
        bump(50, [40.0, 0.0, 0.0]); // single-frame spike
        bump(200, [0.0, -25.0, 10.0]); // two-frame spike
        bump(201, [0.0, -28.0, 12.0]);
        bump(299, [0.0, 0.0, 60.0]); // right before a gap
        let r = apply(
            &DespikeParams::default(),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        let frames: Vec<(usize, usize)> = r.spikes.iter().map(|s| (s.marker, s.frame)).collect();
        assert_eq!(frames, vec![(0, 50), (0, 200), (0, 201), (0, 299)]);
        for f in [50, 200, 201, 299] {
            assert!(t.position(f, 0).is_none());
        }
        // Everything else untouched.
        for f in (0..600).filter(|f| ![50, 200, 201, 299].contains(f) && !(300..320).contains(f)) {
            assert_eq!(t.position(f, 0), clean.position(f, 0), "frame {f}");
        }
        // Clean data has no spikes.
        let mut c = clean.clone();
        let r = apply(
            &DespikeParams::default(),
            &mut c,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        assert!(r.spikes.is_empty(), "{r:?}");
        assert_eq!(c, clean);
    }

    #[test]
    fn a_glitch_during_strong_acceleration_does_not_cascade() {
        // Constant acceleration of 12 mm/frame² (half-acceleration 6 mm, below the 10 mm floor)
        // along y, like a toe-off, with a 12 mm glitch at frame 50. Bridging the glitch's
        // neighbours over wider spans deviates 12 mm, 18 mm, … from the chord, but the implied
        // acceleration stays 6 mm: only the glitch goes.
        let mut t = make(1, 100, |f, _| {
            let x = f as f32 - 40.0;
            let y = if x > 0.0 { -6.0 * x * x } else { 0.0 };
            [200.0, y, 100.0]
        });
        let mut s = t.sample(50, 0);
        s.position[0] += 12.0;
        t.set_sample(50, 0, s);
        let r = apply(
            &DespikeParams::default(),
            &mut t,
            None,
            &MarkerSelection::All,
        )
        .unwrap();
        let frames: Vec<usize> = r.spikes.iter().map(|s| s.frame).collect();
        assert_eq!(frames, vec![50]);
    }

    #[test]
    fn range_limits_removal() {
        let mut t = smooth(300);
        let mut s = t.sample(100, 1);
        s.position[0] += 50.0;
        t.set_sample(100, 1, s);
        let before = t.clone();
        let r = apply(
            &DespikeParams::default(),
            &mut t,
            Some(FrameRange::new(150, 300)),
            &MarkerSelection::All,
        )
        .unwrap();
        assert!(r.spikes.is_empty());
        assert_eq!(t, before);
        let r = apply(
            &DespikeParams::default(),
            &mut t,
            None,
            &MarkerSelection::Indices(vec![1]),
        )
        .unwrap();
        assert_eq!(r.spikes.len(), 1);
        assert_eq!((r.spikes[0].frame, r.spikes[0].label.as_str()), (100, "M1"));
        assert!((r.spikes[0].deviation - 50.0).abs() < 1.0);
    }
}
