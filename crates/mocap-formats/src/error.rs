//! The error type shared by every reader and writer.

use std::path::PathBuf;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// Byte offset from the start of the file (binary formats).
    Byte(u64),
    /// 1-based line number, and optionally a 1-based column (text formats).
    Line(usize, Option<usize>),
    /// The whole file / no specific position.
    File,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Byte(b) => write!(f, "byte {b}"),
            Location::Line(l, Some(c)) => write!(f, "line {l}, column {c}"),
            Location::Line(l, None) => write!(f, "line {l}"),
            Location::File => f.write_str("file"),
        }
    }
}

/// An error reading or writing a capture file. Messages name the file and position and say what
/// to do next.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file could not be opened, read or written. (The OS error is part of the message and
    /// deliberately not a `source()`, so `{:#}` chains do not repeat it.)
    #[error("{path}: {error}; check the path and permissions")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// The content is malformed at a known position.
    #[error("{path}: {location}: {message}")]
    Malformed {
        /// The file (or `<memory>` for in-memory input).
        path: PathBuf,
        /// Where.
        location: Location,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A feature of the file that this reader does not support.
    #[error("{path}: {location}: unsupported: {message}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Where.
        location: Location,
        /// What is unsupported.
        message: String,
    },
    /// Data handed to a writer or converter is inconsistent.
    #[error("{path}: cannot write: {message}")]
    InvalidData {
        /// The destination file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl FormatError {
    /// A [`FormatError::Malformed`] for `path` at `location`.
    pub fn malformed(
        path: impl Into<PathBuf>,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            path: path.into(),
            location,
            message: message.into(),
        }
    }

    /// A [`FormatError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            error: source,
        }
    }

    /// Replaces the path this error names (readers parsing from memory use `<memory>`, and the
    /// `read_path` wrappers put the real file name in).
    pub fn with_path(mut self, p: impl Into<PathBuf>) -> Self {
        let p = p.into();
        match &mut self {
            Self::Io { path, .. }
            | Self::Malformed { path, .. }
            | Self::Unsupported { path, .. }
            | Self::InvalidData { path, .. } => *path = p,
        }
        self
    }
}
