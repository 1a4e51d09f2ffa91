//! Label-swap detection and repair.
//!
//! Frames are scanned in order. At frame `f`, each selected marker visible at `f − 1` and `f`
//! is compared with its constant-velocity prediction `p[f−1] + (p[f−1] − p[f−2])` (or `p[f−1]`
//! when `f − 2` is a gap). When a marker misses its prediction by more than `min_jump_mm` and
//! exchanging its sample with another selected marker's makes both continuous (the summed
//! prediction error after the exchange is below `max_cost_ratio` times the error before), the
//! two labels are swapped back from `f` to the end of the range. The following swap in the data
//! is then detected the same way and undone in turn, so each swapped stretch is restored.
//! Swaps across gaps (a marker reappearing under the other's label) are not detected.

use crate::SolverError;
use crate::gaps::{FrameRange, MarkerSelection};
use mocap_data::MarkerTrajectories;
use serde::{Deserialize, Serialize};

/// Parameters of [`apply`]. Serialisable (JSON/RON) for the app's operation stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SwapParams {
    /// Smallest miss of a marker's constant-velocity prediction that can start a swap,
    /// millimetres (converted to the take's unit).
    pub min_jump_mm: f64,
    /// Swap when the error with exchanged labels is below this fraction of the error as
    /// labelled (0 < ratio < 1).
    pub max_cost_ratio: f64,
}

impl Default for SwapParams {
    fn default() -> Self {
        Self {
            min_jump_mm: 15.0,
            max_cost_ratio: 0.25,
        }
    }
}

/// One detected (and undone) label exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwapEvent {
    /// First frame whose labels were exchanged back (0-based sample index).
    pub frame: usize,
    /// The two markers (indices), lower first.
    pub markers: [usize; 2],
    /// Their labels.
    pub labels: [String; 2],
}

/// What [`apply`] did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SwapReport {
    /// Every exchange undone, in frame order.
    pub swaps: Vec<SwapEvent>,
}

fn d(a: [f32; 3], b: [f64; 3]) -> f64 {
    let x = a[0] as f64 - b[0];
    let y = a[1] as f64 - b[1];
    let z = a[2] as f64 - b[2];
    (x * x + y * y + z * z).sqrt()
}

/// Detects label swaps among the selected markers in `range` (`None`: whole take) and
/// exchanges the samples back.
pub fn apply(
    params: &SwapParams,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<SwapReport, SolverError> {
    if !(params.min_jump_mm.is_finite() && params.min_jump_mm > 0.0) {
        return Err(SolverError::InvalidParameter {
            name: "min_jump_mm",
            value: params.min_jump_mm.to_string(),
            expected: "a positive distance in millimetres (15 is typical at 120 Hz)".into(),
        });
    }
    if !(params.max_cost_ratio > 0.0 && params.max_cost_ratio < 1.0) {
        return Err(SolverError::InvalidParameter {
            name: "max_cost_ratio",
            value: params.max_cost_ratio.to_string(),
            expected: "a ratio strictly between 0 and 1 (0.25 is typical)".into(),
        });
    }
    let r = FrameRange::resolve(range, t.frame_count())?;
    let sel = markers.resolve(t)?;
    let min_jump = params.min_jump_mm / t.unit.to_mm();
    let mut report = SwapReport::default();
    for f in r.start.max(1)..r.end {
        // Predictions of every selected marker visible at f-1 and f.
        let pred: Vec<Option<[f64; 3]>> = sel
            .iter()
            .map(|&m| {
                t.position(f, m)?;
                let p1 = t.position(f - 1, m)?.map(|v| v as f64);
                let p2 = f
                    .checked_sub(2)
                    .filter(|&g| g >= r.start)
                    .and_then(|g| t.position(g, m))
                    .map(|p| p.map(|v| v as f64))
                    .unwrap_or(p1);
                Some(std::array::from_fn(|k| 2.0 * p1[k] - p2[k]))
            })
            .collect();
        let mut done = vec![false; sel.len()];
        for a in 0..sel.len() {
            let (Some(pa), false) = (pred[a], done[a]) else {
                continue;
            };
            let (ma, cur_a) = (sel[a], t.position(f, sel[a]).unwrap_or_default());
            let ea = d(cur_a, pa);
            if ea <= min_jump {
                continue;
            }
            let mut best: Option<(f64, usize)> = None;
            for b in 0..sel.len() {
                let (Some(pb), false) = (pred[b], done[b] || b == a) else {
                    continue;
                };
                let cur_b = t.position(f, sel[b]).unwrap_or_default();
                let keep = ea + d(cur_b, pb);
                let swap = d(cur_b, pa) + d(cur_a, pb);
                if swap < params.max_cost_ratio * keep && best.is_none_or(|x| swap < x.0) {
                    best = Some((swap, b));
                }
            }
            if let Some((_, b)) = best {
                let mb = sel[b];
                for g in f..r.end {
                    let sa = t.sample(g, ma);
                    let sb = t.sample(g, mb);
                    t.set_sample(g, ma, sb);
                    t.set_sample(g, mb, sa);
                }
                done[a] = true;
                done[b] = true;
                let (lo, hi) = (ma.min(mb), ma.max(mb));
                report.swaps.push(SwapEvent {
                    frame: f,
                    markers: [lo, hi],
                    labels: [t.labels[lo].clone(), t.labels[hi].clone()],
                });
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gaps::test_util::make;

    fn take() -> MarkerTrajectories {
        make(4, 300, |f, m| {
            let s = f as f32 / 120.0;
            match m {
                0 => [300.0 * (2.0 * s).sin(), 100.0, 1000.0],
                1 => [300.0 * (2.0 * s).sin(), 180.0, 1000.0 + 20.0 * s],
                2 => [0.0, 300.0 * s, 500.0],
                _ => [1000.0, 1000.0 + 50.0 * (3.0 * s).cos(), 1200.0],
            }
        })
    }

    fn exchange(t: &mut MarkerTrajectories, a: usize, b: usize, r: std::ops::Range<usize>) {
        for g in r {
            let sa = t.sample(g, a);
            let sb = t.sample(g, b);
            t.set_sample(g, a, sb);
            t.set_sample(g, b, sa);
        }
    }

    #[test]
    fn swap_fix_restores_the_original() {
        let truth = take();
        let mut t = truth.clone();
        exchange(&mut t, 0, 1, 50..80);
        exchange(&mut t, 1, 2, 150..151);
        exchange(&mut t, 0, 1, 250..300); // until the end of the take
        let r = apply(&SwapParams::default(), &mut t, None, &MarkerSelection::All).unwrap();
        assert_eq!(t, truth);
        let ev: Vec<(usize, [usize; 2])> = r.swaps.iter().map(|e| (e.frame, e.markers)).collect();
        assert_eq!(
            ev,
            vec![
                (50, [0, 1]),
                (80, [0, 1]),
                (150, [1, 2]),
                (151, [1, 2]),
                (250, [0, 1])
            ]
        );
        // Clean data: nothing to do.
        let mut c = truth.clone();
        assert!(
            apply(&SwapParams::default(), &mut c, None, &MarkerSelection::All)
                .unwrap()
                .swaps
                .is_empty()
        );
        assert_eq!(c, truth);
    }

    #[test]
    fn selection_and_range_limit_the_repair() {
        let truth = take();
        let mut t = truth.clone();
        exchange(&mut t, 0, 1, 50..80);
        let before = t.clone();
        let sel = MarkerSelection::Labels(vec!["M0".into(), "M2".into()]);
        let r = apply(&SwapParams::default(), &mut t, None, &sel).unwrap();
        assert!(r.swaps.is_empty());
        assert_eq!(t, before);
        // A range that contains only the swap back at 80: fixes 80..120, which is wrong for
        // the truth but is exactly what was asked (labels are exchanged from 80 on).
        let r = apply(
            &SwapParams::default(),
            &mut t,
            Some(FrameRange::new(60, 120)),
            &MarkerSelection::All,
        )
        .unwrap();
        assert_eq!(r.swaps.len(), 1);
        assert_eq!(r.swaps[0].frame, 80);
        assert!(
            apply(
                &SwapParams {
                    max_cost_ratio: 1.5,
                    ..SwapParams::default()
                },
                &mut t,
                None,
                &MarkerSelection::All
            )
            .is_err()
        );
    }
}
