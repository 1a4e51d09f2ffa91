//! Errors of the subtitle crate. Every message names the file or line where it can and says
//! what to do next.

/// Anything that can go wrong reading, writing or processing a subtitle track.
#[derive(Debug, thiserror::Error)]
pub enum SubError {
    /// The bytes are not in the encoding that was asked for or detected.
    #[error(
        "cannot decode the file as {encoding}: {reason}; pass the right encoding explicitly (e.g. --encoding windows-1252)"
    )]
    Decode {
        /// Encoding name.
        encoding: String,
        /// What went wrong.
        reason: String,
    },
    /// A syntax error that makes the whole file unusable (per-cue errors are skipped instead).
    #[error("{}line {line}: {reason}", file_prefix(file))]
    Syntax {
        /// The file, when known (empty otherwise).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// The file format could not be recognised.
    #[error("unknown subtitle format{0}: use a .srt, .vtt, .ass/.ssa or .ttml/.xml/.dfxp file")]
    UnknownFormat(String),
    /// An XML error in a TTML document.
    #[error("TTML: {0}; check that the document is well-formed XML")]
    Xml(String),
    /// A language profile that is missing or malformed.
    #[error("profile: {0}")]
    Profile(String),
    /// Audio that cannot be analysed.
    #[error("audio: {0}")]
    Audio(String),
    /// An invalid argument (time, rate, …).
    #[error("{0}")]
    Invalid(String),
    /// An I/O error, with the path.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error (already in the message, so not chained as a source).
        error: std::io::Error,
    },
}

fn file_prefix(file: &str) -> String {
    if file.is_empty() {
        String::new()
    } else {
        format!("{file} ")
    }
}

/// Result alias for this crate.
pub type Result<T, E = SubError> = std::result::Result<T, E>;
