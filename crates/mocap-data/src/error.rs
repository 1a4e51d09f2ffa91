//! Errors of the data model.

/// An inconsistency in data handed to a constructor, or a value out of its range.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DataError {
    /// Array lengths do not agree with the declared frame/marker/channel counts.
    #[error(
        "{what}: expected {expected} elements, got {actual}; check the frame and channel counts"
    )]
    LengthMismatch {
        /// What was being built.
        what: &'static str,
        /// Length implied by the counts.
        expected: usize,
        /// Length supplied.
        actual: usize,
    },
    /// A frame rate that is zero, negative, not finite or not representable.
    #[error("invalid frame rate {0}: give a positive rate such as 24, 25, 29.97 or 120")]
    InvalidRate(String),
    /// A timecode string or value that does not exist at the given rate.
    #[error("invalid timecode {value:?}: {reason}")]
    InvalidTimecode {
        /// The text or value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A count whose product would overflow memory sizes.
    #[error("{what} is too large ({count}); the file or request is probably corrupt")]
    TooLarge {
        /// What was counted.
        what: &'static str,
        /// The count.
        count: u128,
    },
    /// A skeleton whose joints are not in parent-before-child order or name a missing parent.
    #[error("invalid skeleton: {0}")]
    InvalidSkeleton(String),
}
