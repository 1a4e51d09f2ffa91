//! Analog channels (force plates, EMG) sampled alongside the markers.

use serde::{Deserialize, Serialize};

/// Analog data of a take, already scaled to physical units.
///
/// Samples are stored sample-major: index `sample * channel_count + channel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AnalogData {
    /// Channel labels in file order.
    pub labels: Vec<String>,
    /// Physical unit of each channel (`N`, `Nmm`, `V`, …), empty when the file states none.
    pub units: Vec<String>,
    /// Analog sampling rate in Hz (a whole multiple of the point rate in C3D files).
    pub rate_hz: f64,
    /// Scaled values: `(raw − offset) × channel_scale × general_scale`, sample-major.
    pub values: Vec<f32>,
}

impl AnalogData {
    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.labels.len()
    }

    /// Number of samples per channel.
    pub fn sample_count(&self) -> usize {
        self.values
            .len()
            .checked_div(self.labels.len())
            .unwrap_or(0)
    }

    /// The value of `channel` at `sample`. Panics if out of range.
    pub fn value(&self, sample: usize, channel: usize) -> f32 {
        self.values[sample * self.labels.len() + channel]
    }
}
