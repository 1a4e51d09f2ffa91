//! Readers and writers for motion-capture file formats.
//!
//! Every reader checks sizes and counts against the input length before allocating, returns a
//! [`FormatError`] naming the file and the byte offset or line of the problem, and never panics.

pub mod asf;
pub mod bvh;
mod bvh_unit;
pub mod c3d;
pub mod error;
pub mod face;
mod face_bulk;
mod face_json;
pub mod face_map_file;
mod face_num;
pub mod glb;
mod glb_morph;
pub mod livelink;
pub mod trc;
pub mod world;

pub use error::{FormatError, Location};

/// What kind of file a path is, by its extension: the one classifier the CLI, the studio and the
/// take library share. The first five are read by this crate; the others are files a take carries
/// (characters, audio, video, subtitles) that other readers handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// C3D (`.c3d`).
    C3d,
    /// Biovision hierarchy (`.bvh`).
    Bvh,
    /// Acclaim skeleton (`.asf`).
    Asf,
    /// Acclaim motion (`.amc`).
    Amc,
    /// OpenSim/Motion Analysis track row column (`.trc`).
    Trc,
    /// glTF 2.0 character or scene (`.gltf`, `.glb`).
    Gltf,
    /// Autodesk FBX scene (`.fbx`; catalogued, not read).
    Fbx,
    /// Reference audio (`.wav`, `.aif(f)`, `.flac`).
    Audio,
    /// Reference video (`.mp4`, `.mov`, `.mkv`, `.avi`).
    Video,
    /// Subtitles or dialogue (`subtitles::Format::EXTENSIONS` and `.sbv`, `.sub`).
    Subtitle,
}

impl FileKind {
    /// Detects the kind from the extension (case-insensitive).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        Self::from_extension(path.extension()?.to_str()?)
    }

    /// The kind for an extension without its dot (case-insensitive).
    pub fn from_extension(ext: &str) -> Option<Self> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "c3d" => Self::C3d,
            "bvh" => Self::Bvh,
            "asf" => Self::Asf,
            "amc" => Self::Amc,
            "trc" => Self::Trc,
            "gltf" | "glb" => Self::Gltf,
            "fbx" => Self::Fbx,
            "wav" | "wave" | "aif" | "aiff" | "flac" => Self::Audio,
            "mp4" | "mov" | "mkv" | "avi" => Self::Video,
            "srt" | "vtt" | "webvtt" | "ass" | "ssa" | "ttml" | "xml" | "dfxp" | "imsc" | "sbv"
            | "sub" => Self::Subtitle,
            _ => return None,
        })
    }

    /// Whether this crate reads the file (markers or a skeleton motion).
    pub fn is_capture(self) -> bool {
        matches!(
            self,
            Self::C3d | Self::Bvh | Self::Asf | Self::Amc | Self::Trc
        )
    }
}
