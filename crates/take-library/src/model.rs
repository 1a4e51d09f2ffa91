//! Plain data returned by queries (a UI can hold and display them without touching the database).

use crate::error::{LibraryError, Result};
use mocap_data::FrameRate;
use serde::Serialize;
use std::fmt;

/// Review status of a take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TakeStatus {
    /// Not reviewed yet.
    None,
    /// Circled by the director on set (a preferred take, not yet approved).
    Circled,
    /// Approved for use.
    Approved,
    /// Rejected.
    Rejected,
    /// Usable after a fix (see the notes).
    NeedsFix,
}

impl TakeStatus {
    /// All statuses, in display order.
    pub const ALL: [TakeStatus; 5] = [
        TakeStatus::None,
        TakeStatus::Circled,
        TakeStatus::Approved,
        TakeStatus::Rejected,
        TakeStatus::NeedsFix,
    ];

    /// The stable name stored in the database and printed by the CLI (`needs-fix`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TakeStatus::None => "none",
            TakeStatus::Circled => "circled",
            TakeStatus::Approved => "approved",
            TakeStatus::Rejected => "rejected",
            TakeStatus::NeedsFix => "needs-fix",
        }
    }

    /// Parses a status name (case-insensitive; `needs_fix` and `needsfix` are accepted too).
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match t.as_str() {
            "none" => TakeStatus::None,
            "circled" => TakeStatus::Circled,
            "approved" => TakeStatus::Approved,
            "rejected" => TakeStatus::Rejected,
            "needs-fix" | "needsfix" => TakeStatus::NeedsFix,
            _ => {
                return Err(LibraryError::invalid(
                    "status",
                    format!("`{text}`; use one of none, circled, approved, rejected, needs-fix"),
                ));
            }
        })
    }
}

impl fmt::Display for TakeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a take file holds, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// C3D marker data.
    C3d,
    /// BVH skeleton motion.
    Bvh,
    /// FBX scene.
    Fbx,
    /// TRC marker data.
    Trc,
    /// Acclaim ASF/AMC.
    Acclaim,
    /// Audio (WAV, …).
    Audio,
    /// Video reference (MP4, MOV, …).
    Video,
    /// Subtitle / dialogue track (SRT, ASS, VTT, …).
    Subtitle,
}

impl FileKind {
    /// Kind from a file extension (case-insensitive); `None` for files that are not take files.
    pub fn from_extension(ext: &str) -> Option<Self> {
        // One classifier for the whole workspace: `mocap_formats::FileKind`; the library groups
        // the Acclaim pair and does not catalogue characters.
        use mocap_formats::FileKind as F;
        Some(match F::from_extension(ext)? {
            F::C3d => FileKind::C3d,
            F::Bvh => FileKind::Bvh,
            F::Fbx => FileKind::Fbx,
            F::Trc => FileKind::Trc,
            F::Asf | F::Amc => FileKind::Acclaim,
            F::Audio => FileKind::Audio,
            F::Video => FileKind::Video,
            F::Subtitle => FileKind::Subtitle,
            F::Gltf => return None,
        })
    }

    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::C3d => "c3d",
            FileKind::Bvh => "bvh",
            FileKind::Fbx => "fbx",
            FileKind::Trc => "trc",
            FileKind::Acclaim => "acclaim",
            FileKind::Audio => "audio",
            FileKind::Video => "video",
            FileKind::Subtitle => "subtitle",
        }
    }

    /// Inverse of [`FileKind::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "c3d" => FileKind::C3d,
            "bvh" => FileKind::Bvh,
            "fbx" => FileKind::Fbx,
            "trc" => FileKind::Trc,
            "acclaim" => FileKind::Acclaim,
            "audio" => FileKind::Audio,
            "video" => FileKind::Video,
            "subtitle" => FileKind::Subtitle,
            _ => return None,
        })
    }
}

/// A file belonging to a take, referenced by path and content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakeFile {
    /// Database id of the file row.
    pub id: i64,
    /// What the file holds.
    pub kind: FileKind,
    /// Absolute path where the file was last seen (as imported; not canonicalised through links).
    pub path: String,
    /// SHA-256 of the file content, lower-case hex.
    pub sha256: String,
    /// File size in bytes.
    pub size_bytes: u64,
}

/// Duration and rate of a take, read from its C3D/BVH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TakeTiming {
    /// Length in frames (samples at `rate`).
    pub duration_frames: u64,
    /// Capture rate (exact rational, frames per second).
    pub rate: FrameRate,
}

/// One row of a search: enough to show a take in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeSummary {
    /// Database id.
    pub id: i64,
    /// Take name (unique in the library).
    pub name: String,
    /// Scene name.
    pub scene: String,
    /// Take number within the scene (from the file name), if known.
    pub number: Option<i64>,
    /// Review status.
    pub status: TakeStatus,
    /// Length in frames at `rate`; `None` when not read (unknown format or reader missing).
    pub duration_frames: Option<u64>,
    /// Capture rate (exact rational, frames per second); `None` when unknown.
    pub rate: Option<FrameRate>,
    /// Capture time: earliest modification time of the take's files, milliseconds since the Unix
    /// epoch (UTC).
    pub captured_utc_ms: Option<i64>,
}

/// Everything known about a take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeDetail {
    /// Summary fields.
    #[serde(flatten)]
    pub summary: TakeSummary,
    /// Capture session (day) name.
    pub session: Option<String>,
    /// Free-text description.
    pub description: String,
    /// Performers in the take.
    pub actors: Vec<String>,
    /// Marker set name.
    pub marker_set: Option<String>,
    /// Character the performance drives.
    pub character: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Start timecode (`HH:MM:SS:FF`, `;` before frames for drop-frame), if known.
    pub start_timecode: Option<String>,
    /// The take's files.
    pub files: Vec<TakeFile>,
    /// Notes, oldest first (replies follow their thread order by id).
    pub notes: Vec<Note>,
}

/// A review note anchored to a frame or frame range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Database id.
    pub id: i64,
    /// The take it belongs to.
    pub take_id: i64,
    /// Note it replies to, if a reply.
    pub reply_to: Option<i64>,
    /// First frame (0-based frame index into the take) the note refers to.
    pub frame_start: u64,
    /// Last frame (inclusive, 0-based) of the range; equals `frame_start` for a single frame.
    pub frame_end: u64,
    /// Who wrote it.
    pub author: String,
    /// When, milliseconds since the Unix epoch (UTC).
    pub created_utc_ms: i64,
    /// The text.
    pub text: String,
    /// Whether the point was dealt with.
    pub resolved: bool,
}

/// A version of a derived result (solve, cleanup, …) of a take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DerivedVersion {
    /// Database id.
    pub id: i64,
    /// The take.
    pub take_id: i64,
    /// What was derived (`solve`, `cleanup`, …).
    pub kind: String,
    /// Version number, 1 for the first of this kind for this take.
    pub version: i64,
    /// SHA-256 (hex) of every input.
    pub input_sha256: Vec<String>,
    /// Operations applied, as JSON (tool settings, steps).
    pub operations: serde_json::Value,
    /// Where the output was written.
    pub output_path: String,
    /// SHA-256 (hex) of the output.
    pub output_sha256: String,
    /// Who produced it.
    pub author: String,
    /// When, milliseconds since the Unix epoch (UTC).
    pub created_utc_ms: i64,
}

/// Search filters; every `Some` field must match (AND).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TakeQuery {
    /// Full-text words (prefix match) over name, scene, description, actors, tags, character,
    /// marker set and notes.
    pub text: Option<String>,
    /// Exact scene name (numeric scenes match with or without leading zeros).
    pub scene: Option<String>,
    /// Exact actor name.
    pub actor: Option<String>,
    /// Exact capture session (day) name.
    pub session: Option<String>,
    /// Status.
    pub status: Option<TakeStatus>,
    /// Exact tag.
    pub tag: Option<String>,
    /// Captured at or after this time, milliseconds since the Unix epoch (UTC).
    pub captured_from_utc_ms: Option<i64>,
    /// Captured before this time, milliseconds since the Unix epoch (UTC).
    pub captured_before_utc_ms: Option<i64>,
    /// At most this many rows (0 = default of 500).
    pub limit: usize,
    /// Rows to skip (paging).
    pub offset: usize,
}

/// An exact rate as text: `"120"` or `"24000/1001"` (frames per second).
pub fn rate_text(rate: FrameRate) -> String {
    if rate.den() == 1 {
        rate.num().to_string()
    } else {
        format!("{}/{}", rate.num(), rate.den())
    }
}

/// One row of the studio's take browser: the summary plus what the table and tree show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TakeRow {
    /// Summary fields.
    #[serde(flatten)]
    pub summary: TakeSummary,
    /// Capture session (day) name, if known.
    pub session: Option<String>,
    /// Performers, sorted.
    pub actors: Vec<String>,
    /// Notes on the take (not counting retracted ones).
    pub notes: u64,
    /// Notes not yet resolved.
    pub open_notes: u64,
}

/// Result of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResult {
    /// Matching takes, by id, at most `limit`.
    pub takes: Vec<TakeSummary>,
    /// Number of matches in total (ignoring limit/offset).
    pub total: u64,
}
