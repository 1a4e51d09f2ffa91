//! A recorded take joins the take library through its public import API.

use mocap_data::Timecode;
use std::path::Path;
use take_library::import::FormatsProbe;
use take_library::naming::NamingPattern;
use take_library::{Library, OpenMode, TakeMetadata};

/// Why a recording could not join the library.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The library refused.
    #[error("take library: {0}")]
    Library(#[from] take_library::LibraryError),
    /// The file's name does not follow the naming pattern.
    #[error(
        "{path} was not imported ({reason}); name recordings like Scene_012_Take_003.c3d or walk_01.c3d"
    )]
    NotImported {
        /// The file.
        path: String,
        /// The library's reason.
        reason: String,
    },
    /// Path resolution failed.
    #[error("cannot resolve {0}: {1}")]
    Path(String, std::io::Error),
}

/// Imports the folder of `take_file` into the library at `db` (created if missing; files
/// already known are unchanged) and sets the take's start timecode. Returns the take's id.
pub fn add_recording(
    db: &Path,
    take_file: &Path,
    start_timecode: Option<&Timecode>,
    author: &str,
) -> Result<i64, AddError> {
    let abs = std::path::absolute(take_file)
        .map_err(|e| AddError::Path(take_file.display().to_string(), e))?;
    let folder = abs.parent().unwrap_or(Path::new("/"));
    let mut lib = Library::open(db, OpenMode::CreateIfMissing)?;
    let report = lib.import_folder(folder, &NamingPattern::default(), &FormatsProbe, author)?;
    let Some(id) = lib.take_for_path(&abs)? else {
        let text = abs.to_string_lossy().into_owned();
        let reason = report
            .skipped
            .iter()
            .find(|(p, _)| *p == text)
            .map_or_else(|| "not found after import".to_string(), |(_, r)| r.clone());
        return Err(AddError::NotImported { path: text, reason });
    };
    if let Some(tc) = start_timecode {
        let d = lib.take(id)?;
        lib.set_metadata(
            id,
            &TakeMetadata {
                description: d.description,
                actors: d.actors,
                tags: d.tags,
                marker_set: d.marker_set,
                character: d.character,
                start_timecode: Some(tc.to_string()),
            },
        )?;
    }
    Ok(id)
}
