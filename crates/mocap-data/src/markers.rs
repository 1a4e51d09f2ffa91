//! Labelled optical marker trajectories, stored contiguously.

use crate::{DataError, FrameIndex, FrameRate, LengthUnit, UpAxis};
use serde::{Deserialize, Serialize};

/// One marker at one frame, as read from the columns of [`MarkerTrajectories`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkerSample {
    /// Position in the container's [`LengthUnit`] and [`UpAxis`] (lab/world space).
    pub position: [f32; 3],
    /// Reconstruction residual in the container's length unit (≥ 0), as reported by the capture
    /// system; 0 when unknown or interpolated.
    pub residual: f32,
    /// Bit mask of the cameras (1–7 in C3D) that saw the marker; 0 when unknown.
    pub camera_mask: u8,
    /// `false` for a gap (occluded or invalid sample); `position` is then meaningless.
    pub valid: bool,
}

impl MarkerSample {
    /// A gap.
    pub const GAP: Self = Self {
        position: [0.0; 3],
        residual: 0.0,
        camera_mask: 0,
        valid: false,
    };
}

/// Labelled marker trajectories of one take.
///
/// Samples are stored frame-major in four parallel arrays (positions, residuals, camera masks,
/// validity), index `frame * marker_count + marker`; there is no allocation per sample. Gaps are
/// samples whose validity flag is `false`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerTrajectories {
    /// Marker labels in file order (may be empty strings or duplicates, as real files have).
    pub labels: Vec<String>,
    /// Sampling rate of the trajectories.
    pub rate: FrameRate,
    /// File frame number of sample 0 (C3D's header "first frame", usually 1).
    pub first_frame: i64,
    /// Unit of every position and residual.
    pub unit: LengthUnit,
    /// Up axis of the lab space the positions are in.
    pub up_axis: UpAxis,
    frame_count: usize,
    positions: Vec<[f32; 3]>,
    residuals: Vec<f32>,
    camera_masks: Vec<u8>,
    valid: Vec<bool>,
}

impl MarkerTrajectories {
    /// Trajectories of `labels.len()` markers × `frame_count` frames, all gaps.
    pub fn new(
        labels: Vec<String>,
        frame_count: usize,
        rate: FrameRate,
        unit: LengthUnit,
        up_axis: UpAxis,
    ) -> Result<Self, DataError> {
        let n = labels
            .len()
            .checked_mul(frame_count)
            .ok_or(DataError::TooLarge {
                what: "marker samples",
                count: u128::MAX,
            })?;
        Ok(Self {
            labels,
            rate,
            first_frame: 1,
            unit,
            up_axis,
            frame_count,
            positions: vec![[0.0; 3]; n],
            residuals: vec![0.0; n],
            camera_masks: vec![0; n],
            valid: vec![false; n],
        })
    }

    /// Builds from already filled frame-major arrays. All four must have
    /// `labels.len() * frame_count` elements.
    pub fn from_parts(
        labels: Vec<String>,
        frame_count: usize,
        rate: FrameRate,
        unit: LengthUnit,
        up_axis: UpAxis,
        positions: Vec<[f32; 3]>,
        residuals: Vec<f32>,
        camera_masks: Vec<u8>,
        valid: Vec<bool>,
    ) -> Result<Self, DataError> {
        let n = labels.len().saturating_mul(frame_count);
        for (what, len) in [
            ("positions", positions.len()),
            ("residuals", residuals.len()),
            ("camera masks", camera_masks.len()),
            ("validity flags", valid.len()),
        ] {
            if len != n {
                return Err(DataError::LengthMismatch {
                    what,
                    expected: n,
                    actual: len,
                });
            }
        }
        Ok(Self {
            labels,
            rate,
            first_frame: 1,
            unit,
            up_axis,
            frame_count,
            positions,
            residuals,
            camera_masks,
            valid,
        })
    }

    /// Trajectories of `labels.len()` markers × `frame_count` frames whose sample at each
    /// (frame, marker) is `sample(frame, marker)`, called frame by frame. Errors as [`Self::new`].
    pub fn from_fn(
        labels: Vec<String>,
        frame_count: usize,
        rate: FrameRate,
        unit: LengthUnit,
        up_axis: UpAxis,
        mut sample: impl FnMut(FrameIndex, usize) -> MarkerSample,
    ) -> Result<Self, DataError> {
        let mut t = Self::new(labels, frame_count, rate, unit, up_axis)?;
        let markers = t.labels.len();
        for f in 0..frame_count {
            for m in 0..markers {
                t.set_sample(f, m, sample(f, m));
            }
        }
        Ok(t)
    }

    /// Number of markers.
    pub fn marker_count(&self) -> usize {
        self.labels.len()
    }

    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.frame_count
    }

    /// Duration in seconds (`frame_count / rate`).
    pub fn duration_s(&self) -> f64 {
        self.rate.frames_to_seconds(self.frame_count as i64)
    }

    /// Index of the first marker whose label equals `label` (exact match).
    pub fn marker_index(&self, label: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == label)
    }

    #[inline]
    fn idx(&self, frame: FrameIndex, marker: usize) -> usize {
        debug_assert!(marker < self.labels.len() && frame < self.frame_count);
        frame * self.labels.len() + marker
    }

    /// The sample of `marker` at `frame`. Panics if either is out of range.
    #[inline]
    pub fn sample(&self, frame: FrameIndex, marker: usize) -> MarkerSample {
        let i = self.idx(frame, marker);
        MarkerSample {
            position: self.positions[i],
            residual: self.residuals[i],
            camera_mask: self.camera_masks[i],
            valid: self.valid[i],
        }
    }

    /// Position of `marker` at `frame`, or `None` in a gap. Panics if out of range.
    #[inline]
    pub fn position(&self, frame: FrameIndex, marker: usize) -> Option<[f32; 3]> {
        let i = self.idx(frame, marker);
        self.valid[i].then(|| self.positions[i])
    }

    /// Overwrites one sample. Panics if out of range.
    #[inline]
    pub fn set_sample(&mut self, frame: FrameIndex, marker: usize, s: MarkerSample) {
        let i = self.idx(frame, marker);
        self.positions[i] = s.position;
        self.residuals[i] = s.residual;
        self.camera_masks[i] = s.camera_mask;
        self.valid[i] = s.valid;
    }

    /// Positions of all markers at `frame` (gaps included: check [`Self::frame_valid`]).
    pub fn frame_positions(&self, frame: FrameIndex) -> &[[f32; 3]] {
        let n = self.labels.len();
        &self.positions[frame * n..(frame + 1) * n]
    }

    /// Validity flags of all markers at `frame`.
    pub fn frame_valid(&self, frame: FrameIndex) -> &[bool] {
        let n = self.labels.len();
        &self.valid[frame * n..(frame + 1) * n]
    }

    /// All positions, frame-major.
    pub fn positions(&self) -> &[[f32; 3]] {
        &self.positions
    }
    /// All positions, frame-major, mutable.
    pub fn positions_mut(&mut self) -> &mut [[f32; 3]] {
        &mut self.positions
    }
    /// All residuals, frame-major.
    pub fn residuals(&self) -> &[f32] {
        &self.residuals
    }
    /// All residuals, frame-major, mutable.
    pub fn residuals_mut(&mut self) -> &mut [f32] {
        &mut self.residuals
    }
    /// All camera masks, frame-major.
    pub fn camera_masks(&self) -> &[u8] {
        &self.camera_masks
    }
    /// All camera masks, frame-major, mutable.
    pub fn camera_masks_mut(&mut self) -> &mut [u8] {
        &mut self.camera_masks
    }
    /// All validity flags, frame-major.
    pub fn valid(&self) -> &[bool] {
        &self.valid
    }
    /// All validity flags, frame-major, mutable.
    pub fn valid_mut(&mut self) -> &mut [bool] {
        &mut self.valid
    }

    /// Which markers are modelled (virtual) points rather than reconstructed ones: every
    /// valid sample has residual 0 and no camera bit, while the take records residuals for
    /// other markers. Vicon's joint centres and segment axes (`PEL0`, `LFEM1`, …) are such
    /// points; the C3D standard reads residual 0 as "computed or interpolated, not
    /// reconstructed". A take that records no residual at all has no modelled markers.
    pub fn modelled_markers(&self) -> Vec<bool> {
        let n = self.marker_count();
        let mut seen = vec![false; n];
        let mut measured = vec![false; n];
        for (i, &v) in self.valid.iter().enumerate() {
            if !v {
                continue;
            }
            let k = i % n.max(1);
            seen[k] = true;
            if self.residuals[i] != 0.0 || self.camera_masks[i] != 0 {
                measured[k] = true;
            }
        }
        if !measured.iter().any(|&m| m) {
            return vec![false; n];
        }
        seen.iter().zip(&measured).map(|(&s, &m)| s && !m).collect()
    }

    /// Fraction of samples that are valid (1.0 for an empty take).
    pub fn valid_fraction(&self) -> f64 {
        if self.valid.is_empty() {
            return 1.0;
        }
        self.valid.iter().filter(|v| **v).count() as f64 / self.valid.len() as f64
    }

    /// Returns a copy converted to `unit` (positions and residuals scaled).
    pub fn to_unit(&self, unit: LengthUnit) -> Self {
        let k = self.unit.factor_to(unit) as f32;
        let mut out = self.clone();
        out.unit = unit;
        for p in &mut out.positions {
            for c in p.iter_mut() {
                *c *= k;
            }
        }
        for r in &mut out.residuals {
            *r *= k;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_fn_fills_every_sample_frame_by_frame() {
        let mut calls = Vec::new();
        let t = MarkerTrajectories::from_fn(
            vec!["A".into(), "B".into()],
            3,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |f, m| {
                calls.push((f, m));
                if (f, m) == (1, 0) {
                    MarkerSample::GAP
                } else {
                    MarkerSample {
                        position: [f as f32, m as f32, 0.0],
                        residual: 0.5,
                        camera_mask: 1,
                        valid: true,
                    }
                }
            },
        )
        .expect("take");
        assert_eq!(calls, [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1)]);
        assert!(!t.sample(1, 0).valid);
        assert_eq!(t.sample(2, 1).position, [2.0, 1.0, 0.0]);
    }

    #[test]
    fn modelled_markers_are_those_never_reconstructed() {
        // A: reconstructed (residual, cameras); B: modelled (residual 0, no camera); C: a gap
        // everywhere (unknown, not modelled).
        let t = MarkerTrajectories::from_fn(
            vec!["A".into(), "B".into(), "C".into()],
            4,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |f, m| match m {
                0 => MarkerSample {
                    position: [f as f32, 0.0, 0.0],
                    residual: if f == 2 { 0.0 } else { 0.8 },
                    camera_mask: if f == 2 { 0 } else { 0b101 },
                    valid: true,
                },
                1 => MarkerSample {
                    position: [0.0, f as f32, 0.0],
                    residual: 0.0,
                    camera_mask: 0,
                    valid: true,
                },
                _ => MarkerSample::GAP,
            },
        )
        .expect("take");
        assert_eq!(t.modelled_markers(), [false, true, false]);
        // A take that records no residuals at all (e.g. from a TRC) has no modelled markers.
        let plain = MarkerTrajectories::from_fn(
            vec!["A".into(), "B".into()],
            2,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |_, _| MarkerSample {
                position: [1.0, 2.0, 3.0],
                residual: 0.0,
                camera_mask: 0,
                valid: true,
            },
        )
        .expect("take");
        assert_eq!(plain.modelled_markers(), [false, false]);
    }

    #[test]
    fn layout_and_access() {
        let mut t = MarkerTrajectories::new(
            vec!["A".into(), "B".into()],
            3,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
        )
        .unwrap();
        assert_eq!(t.valid_fraction(), 0.0);
        t.set_sample(
            2,
            1,
            MarkerSample {
                position: [1.0, 2.0, 3.0],
                residual: 0.5,
                camera_mask: 3,
                valid: true,
            },
        );
        assert_eq!(t.position(2, 1), Some([1.0, 2.0, 3.0]));
        assert_eq!(t.position(2, 0), None);
        assert_eq!(t.positions()[5], [1.0, 2.0, 3.0]);
        assert_eq!(t.marker_index("B"), Some(1));
        let m = t.to_unit(LengthUnit::Metre);
        assert_eq!(m.position(2, 1), Some([0.001, 0.002, 0.003]));
        assert!((t.valid_fraction() - 1.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn from_parts_checks_lengths() {
        let e = MarkerTrajectories::from_parts(
            vec!["A".into()],
            2,
            FrameRate::FPS_60,
            LengthUnit::Millimetre,
            UpAxis::Z,
            vec![[0.0; 3]; 2],
            vec![0.0; 1],
            vec![0; 2],
            vec![true; 2],
        );
        assert!(matches!(
            e,
            Err(DataError::LengthMismatch {
                what: "residuals",
                ..
            })
        ));
    }
}
