//! The subtitle documents: one [`LangTrack`] per language in [`SubtitleTracks`], their recorded
//! changes ([`SubtitleChange`], undoable) and the [`SubtitleCommand`]s the panels send.

use std::path::PathBuf;

use ::subtitles::qc::{self, Fix, Issue};
use ::subtitles::{Track, edit};
use bevy::prelude::*;

/// One language's track.
#[derive(Debug, Clone, PartialEq)]
pub struct LangTrack {
    /// BCP-47 tag (`en`, `zh-Hans`, `ar`, …).
    pub lang: String,
    /// The cues.
    pub track: Track,
    /// The file it was read from (`None`: generated).
    pub source: Option<PathBuf>,
    /// Drawn over the viewport.
    pub visible: bool,
    /// QC problems per [`qc::check`] with the language's profile (refreshed on change).
    pub issues: Vec<Issue>,
    /// What [`qc::fix`] would change (refreshed on change), for the one-click fix buttons.
    pub fixes: Vec<Fix>,
    /// Why QC could not run (no profile for the language), if so.
    pub qc_error: Option<String>,
    /// The cues as last read or saved (`None`: never saved as they are, e.g. restored from the
    /// recovery folder): the track has unsaved changes when they differ.
    pub saved: Option<Track>,
}

impl LangTrack {
    /// A visible track without QC results yet.
    pub fn new(lang: impl Into<String>, track: Track, source: Option<PathBuf>) -> Self {
        let track_copy = track.clone();
        Self {
            lang: lang.into(),
            track,
            source,
            visible: true,
            issues: Vec::new(),
            fixes: Vec::new(),
            qc_error: None,
            saved: Some(track_copy),
        }
    }

    /// Whether the cues differ from the file they were read from or last saved to.
    pub fn is_modified(&self) -> bool {
        self.saved.as_ref() != Some(&self.track)
    }

    /// Index of the cue shown at `t_ms` (the last one starting at or before it that has not
    /// ended), if any.
    pub fn cue_at(&self, t_ms: i64) -> Option<usize> {
        self.track
            .cues
            .iter()
            .rposition(|c| c.start_ms() <= t_ms && t_ms < c.end_ms())
    }
}

/// The loaded subtitle tracks, top to bottom in lane order.
#[derive(Resource, Debug, Default, Clone)]
pub struct SubtitleTracks {
    /// One track per language.
    pub tracks: Vec<LangTrack>,
    /// Index of the master language (the table's first text column).
    pub master: usize,
    /// The cue selected in a lane or the table: (language, cue index).
    pub selected: Option<(String, usize)>,
    /// Bumped when tracks are loaded or removed (not by edits).
    pub generation: u64,
}

impl SubtitleTracks {
    /// The track of `lang`.
    pub fn get(&self, lang: &str) -> Option<&LangTrack> {
        self.tracks.iter().find(|t| t.lang == lang)
    }

    /// The track of `lang`, mutable.
    pub fn get_mut(&mut self, lang: &str) -> Option<&mut LangTrack> {
        self.tracks.iter_mut().find(|t| t.lang == lang)
    }

    /// Adds a track, replacing the one of the same language.
    pub fn insert(&mut self, t: LangTrack) {
        match self.tracks.iter_mut().find(|x| x.lang == t.lang) {
            Some(slot) => *slot = t,
            None => self.tracks.push(t),
        }
        self.generation += 1;
    }

    /// Applies (`undo` false) or reverts (`undo` true) a change to `lang`'s track.
    pub fn apply_change(
        &mut self,
        lang: &str,
        change: &SubtitleChange,
        undo: bool,
    ) -> Result<(), String> {
        if let SubtitleChange::Track { before, after } = change {
            let (from, to) = if undo {
                (after, before)
            } else {
                (before, after)
            };
            if self.get(lang).map(|t| &t.track) != from.as_ref().map(|t| &t.track) {
                return Err(format!(
                    "the {lang} track changed since this edit was recorded"
                ));
            }
            match to {
                Some(t) => self.insert((**t).clone()),
                None => {
                    self.tracks.retain(|t| t.lang != lang);
                    self.master = self.master.min(self.tracks.len().saturating_sub(1));
                    self.generation += 1;
                }
            }
            if self.selected.as_ref().is_some_and(|(l, _)| l == lang) {
                self.selected = None;
            }
            return Ok(());
        }
        let t = self
            .get_mut(lang)
            .ok_or_else(|| format!("no {lang} subtitle track"))?;
        let track = &mut t.track;
        match (change, undo) {
            (SubtitleChange::Cue(e), false) => e.apply(track).map_err(|e| e.to_string()),
            (SubtitleChange::Cue(e), true) => e.revert(track).map_err(|e| e.to_string()),
            (SubtitleChange::Qc(f), false) => qc::apply(track, f)
                .map_err(|e| format!("QC fix of cue {} does not match the track", e.cue_id)),
            (SubtitleChange::Qc(f), true) => qc::revert(track, f)
                .map_err(|e| format!("QC fix of cue {} does not match the track", e.cue_id)),
            (SubtitleChange::Track { .. }, _) => unreachable!("handled above"),
        }
    }
}

/// A recorded change of one track: a cue edit or a set of QC fixes (each undoes exactly).
#[derive(Debug, Clone, PartialEq)]
pub enum SubtitleChange {
    /// A cue edit from `::subtitles::edit`.
    Cue(edit::Edit),
    /// QC fixes from `::subtitles::qc::fix`.
    Qc(Vec<Fix>),
    /// The language's whole track replaced: opened from a file (`before` the track it replaced,
    /// if any) or removed (`after` `None`). Undo puts `before` back; other languages' history
    /// is untouched.
    Track {
        /// The track before the change (`None`: the language had none).
        before: Option<Box<LangTrack>>,
        /// The track after it (`None`: removed).
        after: Option<Box<LangTrack>>,
    },
}

impl SubtitleChange {
    /// Short description for the Edit menu.
    pub fn describe(&self) -> String {
        use edit::EditKind as K;
        match self {
            Self::Cue(e) => match e.kind {
                K::Move => "Move cue",
                K::RetimeStart => "Retime cue start",
                K::RetimeEnd => "Retime cue end",
                K::Split => "Split cue",
                K::Merge => "Merge cues",
                K::SetText => "Edit cue text",
                K::Renumber => "Renumber cues",
            }
            .to_string(),
            Self::Track { after: None, .. } => "Remove track".into(),
            Self::Track { before: None, .. } => "Open track".into(),
            Self::Track { .. } => "Replace track".into(),
            Self::Qc(f) if f.len() == 1 => "QC fix".into(),
            Self::Qc(f) => format!("{} QC fixes", f.len()),
        }
    }
}

/// What the subtitle panels and lanes ask for. Times are milliseconds.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum SubtitleCommand {
    /// Load the generated demo tracks (en, zh-Hans) and reference audio.
    LoadDemo,
    /// Replace the tracks with one line per script (zh-Hans, ja, ko, ar, he, th) shown for the
    /// whole take (`--demo-scripts`, for the shaping screenshot).
    LoadScriptTest,
    /// Read a subtitle file (SRT, VTT, ASS, TTML); the language comes from the file name
    /// (`name.zh-Hans.srt`), else the file, else the script of its text.
    Open(PathBuf),
    /// Read a WAV file as the reference audio.
    OpenAudio(PathBuf),
    /// Read shot changes (CMX3600 EDL record-ins, or one timecode per line) for snapping and
    /// QC; timecodes are absolute, placed against the take's start timecode.
    OpenShots(PathBuf),
    /// Remove a language.
    Remove(String),
    /// Put back a track from the recovery folder, keeping `source` as where Save writes (the
    /// track shows as unsaved).
    Restore {
        /// Language.
        lang: String,
        /// The recovered track.
        track: Box<::subtitles::Track>,
        /// The file the track was read from before the crash, if any.
        source: Option<PathBuf>,
    },
    /// Write a language's track (format from the extension) to `path`, or back to the file it
    /// was read from (`None`).
    Save {
        /// Language.
        lang: String,
        /// Where; `None`: the track's source file.
        path: Option<PathBuf>,
    },
    /// Move cue `index` of `lang` by `delta_ms` (snapped when snapping is on).
    Move {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// Shift, milliseconds.
        delta_ms: i64,
    },
    /// Set the start of a cue (snapped when snapping is on).
    RetimeStart {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New start, milliseconds.
        ms: i64,
    },
    /// Set the end of a cue (snapped when snapping is on).
    RetimeEnd {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New end, milliseconds.
        ms: i64,
    },
    /// Split a cue at `at_ms`.
    Split {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// Split time, milliseconds.
        at_ms: i64,
    },
    /// Merge a cue with the next one.
    Merge {
        /// Language.
        lang: String,
        /// Cue index (the first of the two).
        index: usize,
    },
    /// Replace a cue's text.
    SetText {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New text (the track's markup).
        text: String,
    },
    /// Apply what [`qc::fix`] changes for one cue (`Some`) or the whole track (`None`).
    QcFix {
        /// Language.
        lang: String,
        /// Cue index, or every cue.
        index: Option<usize>,
    },
    /// Show or hide a language over the viewport.
    SetVisible {
        /// Language.
        lang: String,
        /// Shown.
        visible: bool,
    },
    /// Make a language the master (table's first column).
    SetMaster(String),
    /// Select a cue (or none).
    Select(Option<(String, usize)>),
    /// Snapping on or off.
    SetSnap(bool),
}
