//! Errors of the farm crate.

use std::path::PathBuf;

/// What went wrong while planning or running farm jobs.
#[derive(Debug, thiserror::Error)]
pub enum FarmError {
    /// A file could not be read or written.
    #[error("{path}: {source} (check that the path exists and is writable)")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A plan or results file is not valid JSON of the expected shape.
    #[error("{path}: {message} (write it again with `mocap farm plan`)")]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the line and column when known.
        message: String,
    },
    /// The take library refused a query or a write.
    #[error("take library: {0}")]
    Library(#[from] take_library::LibraryError),
    /// The request itself is wrong (unknown step, no takes, …).
    #[error("{0}")]
    Invalid(String),
    /// A scheduler command failed.
    #[error("{command}: {message}")]
    Scheduler {
        /// The command line run (`sbatch …`).
        command: String,
        /// Its exit status and stderr, or why it could not start.
        message: String,
    },
    /// A motion file of a chunked solve cannot be stitched.
    #[error("{path}: {message}")]
    Stitch {
        /// The chunk file.
        path: PathBuf,
        /// What does not match.
        message: String,
    },
}

impl FarmError {
    /// An [`FarmError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        FarmError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with [`FarmError`].
pub type Result<T, E = FarmError> = std::result::Result<T, E>;
