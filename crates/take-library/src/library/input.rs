//! What callers hand the library: new takes, files, notes, derived results and metadata.

use crate::model::*;
use std::path::PathBuf;

/// A take to add to the library.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTake {
    /// Unique take name.
    pub name: String,
    /// Scene name (created when new).
    pub scene: String,
    /// Take number within the scene.
    pub number: Option<i64>,
    /// Capture session (day) name and its date (`YYYY-MM-DD`, UTC), created when new.
    pub session: Option<(String, Option<String>)>,
    /// Duration and rate, when known.
    pub timing: Option<TakeTiming>,
    /// Capture time, milliseconds since the Unix epoch (UTC).
    pub captured_utc_ms: Option<i64>,
    /// Description.
    pub description: String,
    /// Performers.
    pub actors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Marker set.
    pub marker_set: Option<String>,
    /// Character.
    pub character: Option<String>,
    /// Start timecode text.
    pub start_timecode: Option<String>,
    /// Files (path + hash).
    pub files: Vec<NewFile>,
}

/// A file to attach to a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// What it holds.
    pub kind: FileKind,
    /// Absolute path.
    pub path: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// Editable descriptive fields of a take (not part of the ledger).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakeMetadata {
    /// Description.
    pub description: String,
    /// Performers.
    pub actors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Marker set.
    pub marker_set: Option<String>,
    /// Character.
    pub character: Option<String>,
    /// Start timecode text (`HH:MM:SS:FF`).
    pub start_timecode: Option<String>,
}

/// A note to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    /// The take.
    pub take_id: i64,
    /// Note replied to (same take); a reply without a frame takes the parent's range.
    pub reply_to: Option<i64>,
    /// First frame (0-based frame index); `None` only for replies.
    pub frame_start: Option<u64>,
    /// Last frame (inclusive, 0-based); `None` = same as `frame_start`.
    pub frame_end: Option<u64>,
    /// Who writes it.
    pub author: String,
    /// The text.
    pub text: String,
}

/// A derived result to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDerived {
    /// The take.
    pub take_id: i64,
    /// What was derived (`solve`, `cleanup`, …).
    pub kind: String,
    /// SHA-256 (hex) of every input.
    pub input_sha256: Vec<String>,
    /// Operations applied (settings, steps).
    pub operations: serde_json::Value,
    /// The output file (hashed now).
    pub output_path: PathBuf,
    /// Who produced it.
    pub author: String,
}
