//! Readers and writers for motion-capture file formats.
//!
//! Every reader checks sizes and counts against the input length before allocating, returns a
//! [`FormatError`] naming the file and the byte offset or line of the problem, and never panics.

pub mod asf;
pub mod bvh;
pub mod c3d;
pub mod error;
pub mod face;
mod face_json;
pub mod glb;
mod glb_morph;
pub mod livelink;
pub mod trc;

pub use error::{FormatError, Location};

/// File formats this crate knows, detected from a path's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
}

impl FileKind {
    /// Detects the kind from the extension (case-insensitive).
    pub fn from_path(path: &std::path::Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "c3d" => Self::C3d,
            "bvh" => Self::Bvh,
            "asf" => Self::Asf,
            "amc" => Self::Amc,
            "trc" => Self::Trc,
            _ => return None,
        })
    }
}
