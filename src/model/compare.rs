//! Comparing the open take with a second one (another take, or the opened motion against its
//! re-solve): the [`Comparison`] resource the compare plugin fills, the Compare panel and the
//! viewport's ghost read, and the [`CompareCommand`]s that change it. View settings (offset,
//! layout) are not undoable edits: they change no data.

use std::path::PathBuf;

use bevy::prelude::*;
use mocap_data::{FrameIndex, LengthUnit, MarkerTrajectories, UpAxis};
use mocap_solver::compare::DifferenceSeries;

/// The world a comparison's skeleton joints are placed in: millimetres, Z up (the lab's, as
/// Vicon and CMU C3D files are), through `mocap_formats::world::Placement`.
pub const COMPARE_WORLD: (LengthUnit, UpAxis) = (LengthUnit::Millimetre, UpAxis::Z);

/// Requests of the Compare panel, the File menu, the Takes browser and the command line.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum CompareCommand {
    /// Load a second take as the comparison: C3D/TRC markers and/or a BVH or AMC motion (an
    /// AMC's ASF among the files, beside it, or alone in its folder), read by the same loaders
    /// as the session's.
    Open(Vec<PathBuf>),
    /// Compare the take's re-solve (shown) with the motion the take was opened with.
    OpenResolve,
    /// Drop the comparison.
    Close,
    /// The comparison's time against the take's: it is sampled at playhead + this, seconds.
    SetOffset(f64),
    /// Overlay or side by side.
    SetLayout(CompareLayout),
    /// Side by side: the comparison's distance along X, metres.
    SetSpacing(f32),
    /// Draw the comparison's ghost in the viewport.
    SetShow(bool),
}

/// Where the comparison is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareLayout {
    /// In the same place (same world).
    #[default]
    Overlay,
    /// Moved along X by [`Comparison::spacing_m`].
    SideBySide,
}

/// What the difference measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareItems {
    /// Skeleton joints, paired by joint name.
    Joints,
    /// Optical markers, paired by label (without actor prefix).
    Markers,
}

/// The second take, as loaded.
#[derive(Debug, Clone)]
pub struct ComparisonTake {
    /// Display name (file stem, or "opened motion").
    pub name: String,
    /// Files it was read from.
    pub sources: Vec<PathBuf>,
    /// Its markers, in their own unit, up axis and rate.
    pub markers: Option<MarkerTrajectories>,
    /// Its skeleton's joints as markers named after the joints, placed in [`COMPARE_WORLD`]
    /// (millimetres, Z up) at the motion's own rate.
    pub joints: Option<MarkerTrajectories>,
    /// Per joint of `joints`: its parent joint's index (bones are drawn to it).
    pub parents: Vec<Option<usize>>,
}

/// The difference between the take and the comparison.
#[derive(Debug, Clone)]
pub struct Difference {
    /// What is measured.
    pub items: CompareItems,
    /// Rate of the measured set (its frame 0 is the take's frame 0).
    pub rate: mocap_data::FrameRate,
    /// Per matched pair: the item's name in the take.
    pub labels: Vec<String>,
    /// Over the take's frames (of the measured set, at its rate): mean and max per frame,
    /// per-item means, in millimetres.
    pub series: DifferenceSeries,
    /// The frame of the measured set at the playhead.
    pub frame: FrameIndex,
    /// Per matched pair: distance at `frame`, millimetres (`None`: a gap, or no comparison
    /// frame there).
    pub at_frame: Vec<Option<f32>>,
    /// Items of the take's set and of the comparison's (matched or not).
    pub totals: (usize, usize),
}

/// The comparison: the second take, how it is shown, and its difference from the open take.
#[derive(Resource, Debug, Clone)]
pub struct Comparison {
    /// The loaded second take.
    pub take: Option<ComparisonTake>,
    /// Seconds added to the playhead's time to sample the comparison.
    pub offset_s: f64,
    /// Overlay or side by side.
    pub layout: CompareLayout,
    /// Side by side distance along X, metres.
    pub spacing_m: f32,
    /// Draw the ghost.
    pub show: bool,
    /// The difference, when both sides have something to measure.
    pub difference: Option<Difference>,
    /// Why the last load failed (cleared by the next load).
    pub message: Option<String>,
    /// Why nothing (or little) is measured: no matching names, nothing alike on both sides.
    pub note: Option<String>,
    /// Bumped whenever `take` is replaced.
    pub generation: u64,
}

impl Default for Comparison {
    fn default() -> Self {
        Self {
            take: None,
            offset_s: 0.0,
            layout: CompareLayout::Overlay,
            spacing_m: 1.5,
            show: true,
            difference: None,
            message: None,
            note: None,
            generation: 0,
        }
    }
}
