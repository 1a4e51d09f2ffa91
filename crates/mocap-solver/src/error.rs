//! The solver crate's one error type: repair, filter, contact and retargeting operations, and
//! the solve side (model building, marker sets, calibration, IK).

/// Why a repair, filter, foot-contact or retargeting operation could not run.
///
/// Every message says what to change to make the call succeed.
#[derive(Debug, thiserror::Error)]
pub enum SolverError {
    /// A parameter is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: {expected}")]
    InvalidParameter {
        /// Parameter name as in the serialised params (and the CLI flag without `--`).
        name: &'static str,
        /// The value given, printed.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },
    /// A frame range that does not fit the take.
    #[error(
        "frame range {start}..{end} does not fit a take of {frame_count} frames; give 0 ≤ start ≤ end ≤ {frame_count} (0-based sample indices, end exclusive)"
    )]
    InvalidRange {
        /// First frame (0-based sample index).
        start: usize,
        /// One past the last frame.
        end: usize,
        /// Frames in the take.
        frame_count: usize,
    },
    /// A marker label or index that the take does not have.
    #[error("unknown marker {0:?}: use one of the take's labels (see `mocap info`)")]
    UnknownMarker(String),
    /// The caller cancelled a long operation (a solve) before it finished.
    #[error("cancelled")]
    Cancelled,
    /// A joint the operation needs is missing or unusable.
    #[error("joint problem: {0}")]
    Joint(String),
    /// A bone map that does not fit the skeletons, or cannot be read.
    #[error("bone map: {0}")]
    BoneMap(String),
    /// A glTF/GLB file that cannot be used as a retarget target.
    #[error("glTF target: {0}")]
    Gltf(String),
    /// The skeleton and motion do not fit each other.
    #[error(transparent)]
    Data(#[from] mocap_data::DataError),
    // --- solve side: model building, marker sets, calibration, IK ---
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
    /// An operation-stack file (`*.ops.ron`) that cannot be parsed.
    #[error(
        "operation stack {}:{line}:{col}: {reason}; see the format in the mocap_solver::stack docs (README: `mocap clean --ops`)",
        path.display()
    )]
    BadOpStack {
        /// The file (or `<string>` when parsed from memory).
        path: std::path::PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        col: usize,
        /// What the parser expected.
        reason: String,
    },
    /// An operation-stack file written by a newer version of the studio.
    #[error(
        "operation stack {}: format version {version} is newer than this build understands (version {supported}); update mocap",
        path.display()
    )]
    UnsupportedOpStackVersion {
        /// The file.
        path: std::path::PathBuf,
        /// The version in the file.
        version: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// One entry of an operation stack failed.
    #[error("operation stack entry #{index} ({op}): {source}")]
    StackEntry {
        /// 0-based index of the entry in the stack.
        index: usize,
        /// The operation's name (`FillGaps`, `Lowpass`, …).
        op: &'static str,
        /// Why it failed.
        source: Box<SolverError>,
    },
    /// A file (skeleton) could not be read.
    #[error(transparent)]
    Format(#[from] mocap_formats::FormatError),
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {error}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
}
