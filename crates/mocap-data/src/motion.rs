//! Per-frame joint channel values.

use crate::{DataError, FrameRate, Skeleton};
use serde::{Deserialize, Serialize};

/// Channel values of a skeleton over time, frame-major: frame `f` is
/// `values[f * channels_per_frame .. (f + 1) * channels_per_frame]`, in the order of the
/// skeleton's joints and their `channels`. Rotations in degrees, positions in the skeleton's unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Motion {
    /// Sampling rate.
    pub rate: FrameRate,
    /// Frame time exactly as the source stated it, in seconds (BVH `Frame Time`), for lossless
    /// round trips; `rate` is its exact interpretation.
    pub frame_time_s: f64,
    /// Values per frame (= the skeleton's channel count).
    pub channels_per_frame: usize,
    /// All values, frame-major.
    pub values: Vec<f32>,
}

impl Motion {
    /// A motion of `frames` frames for `skeleton`, all zeros.
    pub fn zeros(skeleton: &Skeleton, frames: usize, rate: FrameRate) -> Result<Self, DataError> {
        let cpf = skeleton.channel_count();
        let n = cpf.checked_mul(frames).ok_or(DataError::TooLarge {
            what: "motion values",
            count: u128::MAX,
        })?;
        Ok(Self {
            rate,
            frame_time_s: rate.frame_duration_s(),
            channels_per_frame: cpf,
            values: vec![0.0; n],
        })
    }

    /// Number of frames.
    pub fn frame_count(&self) -> usize {
        self.values
            .len()
            .checked_div(self.channels_per_frame)
            .unwrap_or(0)
    }

    /// Values of frame `f`. Panics if out of range.
    pub fn frame(&self, f: usize) -> &[f32] {
        &self.values[f * self.channels_per_frame..(f + 1) * self.channels_per_frame]
    }

    /// Values of frame `f`, mutable. Panics if out of range.
    pub fn frame_mut(&mut self, f: usize) -> &mut [f32] {
        let c = self.channels_per_frame;
        &mut self.values[f * c..(f + 1) * c]
    }

    /// Checks that the motion fits `skeleton`.
    pub fn check(&self, skeleton: &Skeleton) -> Result<(), DataError> {
        let cpf = skeleton.channel_count();
        if cpf != self.channels_per_frame || (cpf > 0 && !self.values.len().is_multiple_of(cpf)) {
            return Err(DataError::LengthMismatch {
                what: "motion channels per frame",
                expected: cpf,
                actual: self.channels_per_frame,
            });
        }
        Ok(())
    }
}
