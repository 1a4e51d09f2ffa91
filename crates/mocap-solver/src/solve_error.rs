//! Errors of the solve side (model building, marker sets, calibration, IK).

use thiserror::Error;

/// Why a solve-side operation could not run. Messages say what to do next.
#[derive(Debug, Error)]
pub enum SolveError {
    /// The skeleton cannot be turned into a solver model.
    #[error(
        "skeleton unusable for solving: {0}; check the skeleton file (parents before children, one root, channel lists)"
    )]
    BadSkeleton(String),
    /// A marker-set file could not be parsed or is inconsistent.
    #[error(
        "marker set `{name}` is invalid: {reason}; see the schema in crates/mocap-solver/presets/markersets/README.md"
    )]
    BadMarkerSet {
        /// Marker-set name or path.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// No preset with that name exists.
    #[error("unknown marker set `{0}`; use one of the presets ({presets}) or a path to a .json marker-set file", presets = crate::markerset::PRESET_NAMES.join(", "))]
    UnknownMarkerSet(String),
    /// Too few of the marker set's markers were found in the take (or on the skeleton).
    #[error(
        "only {found} of the marker set's {wanted} markers could be used for {actor} (need at least {needed}); missing: {missing}. Check the marker set matches the take's labels (a subject prefix like `Name:` is stripped automatically) and the skeleton's joint names"
    )]
    TooFewMarkers {
        /// Actor (label prefix) concerned, or `the take`.
        actor: String,
        /// Markers usable.
        found: usize,
        /// Markers in the marker set.
        wanted: usize,
        /// Minimum required.
        needed: usize,
        /// Comma-separated missing names (truncated).
        missing: String,
    },
    /// A calibration trial cannot determine the subject (too few frames, markers all at one
    /// point, …).
    #[error(
        "calibration trial is degenerate: {0}; record a static or range-of-motion trial with all markers visible"
    )]
    DegenerateCalibration(String),
    /// A subject file could not be read or does not fit.
    #[error("subject calibration unusable: {0}; recalibrate with --calibrate STATIC.c3d")]
    BadSubject(String),
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
