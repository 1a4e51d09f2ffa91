//! Gap analysis of marker trajectories, and the frame-range / marker-selection types shared by
//! every repair operation.
//!
//! Frames are 0-based sample indices into the take (not file frame numbers); ranges are
//! half-open `[start, end)`.

use crate::SolverError;
use mocap_data::MarkerTrajectories;
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// A half-open range of frames `[start, end)`, in 0-based sample indices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameRange {
    /// First frame in the range (0-based sample index).
    pub start: usize,
    /// One past the last frame in the range (0-based sample index).
    pub end: usize,
}

impl FrameRange {
    /// The range `[start, end)` (frames).
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// Resolves an optional range against a take of `frame_count` frames: `None` is the whole
    /// take; a range that does not fit is an error (never silently clipped).
    pub fn resolve(range: Option<Self>, frame_count: usize) -> Result<Range<usize>, SolverError> {
        match range {
            None => Ok(0..frame_count),
            Some(r) if r.start <= r.end && r.end <= frame_count => Ok(r.start..r.end),
            Some(r) => Err(SolverError::InvalidRange {
                start: r.start,
                end: r.end,
                frame_count,
            }),
        }
    }
}

/// Which markers an operation touches.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MarkerSelection {
    /// Every marker of the take.
    #[default]
    All,
    /// Markers by exact label (the first marker with that label).
    Labels(Vec<String>),
    /// Markers by 0-based index in the take's label order.
    Indices(Vec<usize>),
}

impl MarkerSelection {
    /// Marker indices, ascending and without duplicates. Unknown labels or indices out of range
    /// are errors.
    pub fn resolve(&self, t: &MarkerTrajectories) -> Result<Vec<usize>, SolverError> {
        let mut out: Vec<usize> = match self {
            Self::All => (0..t.marker_count()).collect(),
            Self::Labels(ls) => ls
                .iter()
                .map(|l| {
                    t.marker_index(l)
                        .ok_or_else(|| SolverError::UnknownMarker(l.clone()))
                })
                .collect::<Result<_, _>>()?,
            Self::Indices(is) => is
                .iter()
                .map(|&i| {
                    if i < t.marker_count() {
                        Ok(i)
                    } else {
                        Err(SolverError::UnknownMarker(format!(
                            "#{i} (the take has {} markers)",
                            t.marker_count()
                        )))
                    }
                })
                .collect::<Result<_, _>>()?,
        };
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// One gap (run of invalid samples) of one marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gap {
    /// First missing frame (0-based sample index).
    pub start: usize,
    /// Number of missing frames.
    pub len: usize,
}

impl Gap {
    /// One past the last missing frame.
    pub fn end(&self) -> usize {
        self.start + self.len
    }
}

/// Every gap of `marker` over the whole take, in frame order. A gap touching frame 0 or the last
/// frame is included (it has no valid neighbour on that side).
pub fn marker_gaps(t: &MarkerTrajectories, marker: usize) -> Vec<Gap> {
    let n = t.marker_count();
    let valid = t.valid();
    let mut gaps = Vec::new();
    let mut start = None;
    for f in 0..t.frame_count() {
        let v = valid[f * n + marker];
        match (v, start) {
            (false, None) => start = Some(f),
            (true, Some(s)) => {
                gaps.push(Gap {
                    start: s,
                    len: f - s,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        gaps.push(Gap {
            start: s,
            len: t.frame_count() - s,
        });
    }
    gaps
}

/// Gap statistics of one marker over a frame range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerGapReport {
    /// Marker index in the take.
    pub marker: usize,
    /// Marker label.
    pub label: String,
    /// Gaps intersecting the range, clipped to it.
    pub gaps: Vec<Gap>,
    /// Length of the longest clipped gap, frames (0 when none).
    pub longest_gap: usize,
    /// Valid samples in the range, percent (100 for an empty range).
    pub valid_percent: f64,
}

/// Gap list, longest gap and percentage of valid samples of each selected marker over `range`
/// (`None`: the whole take).
pub fn gap_report(
    t: &MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<Vec<MarkerGapReport>, SolverError> {
    let r = FrameRange::resolve(range, t.frame_count())?;
    let len = r.end - r.start;
    let mut out = Vec::new();
    for m in markers.resolve(t)? {
        let gaps: Vec<Gap> = marker_gaps(t, m)
            .into_iter()
            .filter_map(|g| {
                let s = g.start.max(r.start);
                let e = g.end().min(r.end);
                (s < e).then(|| Gap {
                    start: s,
                    len: e - s,
                })
            })
            .collect();
        let missing: usize = gaps.iter().map(|g| g.len).sum();
        out.push(MarkerGapReport {
            marker: m,
            label: t.labels[m].clone(),
            longest_gap: gaps.iter().map(|g| g.len).max().unwrap_or(0),
            valid_percent: if len == 0 {
                100.0
            } else {
                100.0 * (len - missing) as f64 / len as f64
            },
            gaps,
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod test_util {
    use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};

    /// Trajectories from a closure giving each marker's position at each frame (all valid).
    pub fn make(
        markers: usize,
        frames: usize,
        f: impl Fn(usize, usize) -> [f32; 3],
    ) -> MarkerTrajectories {
        let labels = (0..markers).map(|i| format!("M{i}")).collect();
        MarkerTrajectories::from_fn(
            labels,
            frames,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |fr, m| MarkerSample {
                position: f(fr, m),
                residual: 0.5,
                camera_mask: 7,
                valid: true,
            },
        )
        .unwrap()
    }

    /// Marks `[start, end)` of `marker` as a gap.
    pub fn cut(t: &mut MarkerTrajectories, marker: usize, start: usize, end: usize) {
        for f in start..end {
            t.set_sample(f, marker, MarkerSample::GAP);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;

    #[test]
    fn gap_list_longest_and_percent() {
        let mut t = make(2, 100, |f, _| [f as f32, 0.0, 0.0]);
        cut(&mut t, 0, 0, 3);
        cut(&mut t, 0, 10, 20);
        cut(&mut t, 0, 95, 100);
        let g = marker_gaps(&t, 0);
        assert_eq!(
            g,
            vec![
                Gap { start: 0, len: 3 },
                Gap { start: 10, len: 10 },
                Gap { start: 95, len: 5 }
            ]
        );
        let r = gap_report(&t, None, &MarkerSelection::All).unwrap();
        assert_eq!(r[0].longest_gap, 10);
        assert!((r[0].valid_percent - 82.0).abs() < 1e-12);
        assert_eq!(r[1].gaps.len(), 0);
        assert_eq!(r[1].valid_percent, 100.0);
        // Clipped to a range.
        let r = gap_report(
            &t,
            Some(FrameRange::new(15, 50)),
            &MarkerSelection::Labels(vec!["M0".into()]),
        )
        .unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].gaps, vec![Gap { start: 15, len: 5 }]);
        assert!(gap_report(&t, Some(FrameRange::new(5, 101)), &MarkerSelection::All).is_err());
        assert!(matches!(
            MarkerSelection::Labels(vec!["nope".into()]).resolve(&t),
            Err(SolverError::UnknownMarker(_))
        ));
    }
}
