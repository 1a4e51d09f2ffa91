//! Errors of the solver crate's repair, filter, contact and retargeting operations.

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
}
