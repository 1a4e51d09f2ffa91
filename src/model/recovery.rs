//! Unsaved work and its recovery, as data the UI shows: which documents have unsaved changes
//! (the title bar, the quit prompt), the recovery offered at start after a crash or a killed
//! process, and the commands that answer it. The recovery plugin (`src/recovery/`) fills these.

use bevy::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Documents with unsaved changes, in words ("Clean-up stack of 39_01.c3d (3 operations)",
/// "Subtitles (en)"); empty when everything is saved.
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct Unsaved {
    /// One line per document.
    pub docs: Vec<String>,
}

/// What the recovery folder holds: written last, after the documents it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryManifest {
    /// Format version (1).
    pub version: u32,
    /// When it was written, seconds since the Unix epoch.
    pub written_unix_s: u64,
    /// The process that wrote it (another running studio's folder is left alone).
    pub pid: u32,
    /// The take's files (empty: the demo take).
    pub take_sources: Vec<PathBuf>,
    /// The take's name, for the prompt.
    pub take_name: String,
    /// The clean-up stack's file in the folder, when it had unsaved changes.
    pub stack: Option<String>,
    /// Subtitle tracks with unsaved changes.
    pub subtitles: Vec<RecoveredTrack>,
    /// The review note being typed and not yet added (absent in folders written before it).
    #[serde(default)]
    pub note_draft: Option<RecoveredNote>,
}

/// A review note draft in the recovery folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveredNote {
    /// The library take it is for (take id).
    pub take_id: i64,
    /// The take's name.
    pub take_name: String,
    /// The text typed so far.
    pub text: String,
}

/// The note being typed in the Review panel and not yet added: unsaved work (listed in
/// [`Unsaved`], written to the recovery folder, restored into the note field).
#[derive(Resource, Debug, Clone, Default, PartialEq)]
pub struct NoteDraft {
    /// The library take it is for: (take id, take name).
    pub take: Option<(i64, String)>,
    /// The text typed so far (empty: no draft).
    pub text: String,
    /// A recovered draft waiting for the Review panel to show its take; the panel puts it in the
    /// note field and reports it back as the draft.
    pub restore: Option<String>,
}

/// One subtitle track in the recovery folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveredTrack {
    /// Language (BCP-47).
    pub lang: String,
    /// The file it was read from, if any (where Save writes it back).
    pub source: Option<PathBuf>,
    /// Its file in the recovery folder.
    pub file: String,
}

/// Unsaved work found at start, offered back until the user answers.
#[derive(Resource, Debug, Clone, Default)]
pub struct RecoveryOffer(pub Option<RecoveryManifest>);

/// The user's answer to the recovery offer, and quitting with unsaved work.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum RecoveryCommand {
    /// Open the take again and restore the unsaved documents (as undoable edits).
    Restore,
    /// Delete the recovered work.
    Discard,
}

/// The "quit with unsaved changes?" prompt is showing.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuitPrompt(pub bool);
