//! The marker clean-up pipeline `mocap clean` runs, as one pure function so the studio's
//! operation stack gives bit-identical results: label-swap repair → spike removal → gap fill →
//! low-pass filter, each step optional.
//!
//! The order matters: swaps are fixed first (a swap looks like two spikes), spikes become gaps
//! before filling, and filtering comes last so filled gaps are smoothed with their
//! surroundings.

use crate::SolverError;
use crate::fill::{FillParams, FillReport};
use crate::filter::{LowpassParams, LowpassReport};
use crate::gaps::{FrameRange, MarkerSelection};
use crate::spikes::{DespikeParams, DespikeReport};
use crate::swaps::{SwapParams, SwapReport};
use mocap_data::MarkerTrajectories;
use serde::{Deserialize, Serialize};

/// Which steps run, with their parameters (`None`: step skipped). Serialisable.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CleanParams {
    /// Label-swap repair.
    pub fix_swaps: Option<SwapParams>,
    /// Spike removal.
    pub despike: Option<DespikeParams>,
    /// Gap filling.
    pub fill: Option<FillParams>,
    /// Zero-phase Butterworth low-pass.
    pub lowpass: Option<LowpassParams>,
}

/// What each step did (`None`: not run).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CleanReport {
    /// Label swaps undone.
    pub swaps: Option<SwapReport>,
    /// Spikes removed.
    pub despike: Option<DespikeReport>,
    /// Gaps filled or left.
    pub fill: Option<FillReport>,
    /// Low-pass filter.
    pub lowpass: Option<LowpassReport>,
}

/// Runs the enabled steps in order on the selected markers within `range` (`None`: whole take).
pub fn apply(
    params: &CleanParams,
    t: &mut MarkerTrajectories,
    range: Option<FrameRange>,
    markers: &MarkerSelection,
) -> Result<CleanReport, SolverError> {
    let mut report = CleanReport::default();
    if let Some(p) = &params.fix_swaps {
        report.swaps = Some(crate::swaps::apply(p, t, range, markers)?);
    }
    if let Some(p) = &params.despike {
        report.despike = Some(crate::spikes::apply(p, t, range, markers)?);
    }
    if let Some(p) = &params.fill {
        report.fill = Some(crate::fill::apply(p, t, range, markers)?);
    }
    if let Some(p) = &params.lowpass {
        report.lowpass = Some(crate::filter::apply(p, t, range, markers)?);
    }
    Ok(report)
}
