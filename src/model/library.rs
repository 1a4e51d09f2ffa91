//! The open take library and the Takes browser's state: the [`OpenLibrary`] resource (one
//! `take_library::Library`), the browser's filter, sort and rows ([`TakeBrowser`]) and the
//! [`LibraryCommand`]s the panels send.

use std::path::PathBuf;
use std::sync::Mutex;

use bevy::prelude::*;
use take_library::{Library, TakeDetail, TakeQuery, TakeRow, TakeStatus, UserKey};

/// The user name written as author of notes and status changes: `$MOCAP_USER`, else `$USER`.
pub fn default_author() -> String {
    ["MOCAP_USER", "USER", "USERNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
        .unwrap_or_else(|| "studio".into())
}

/// The open library file. `Library` holds a SQLite connection (`Send`, not `Sync`), hence the
/// mutex; only systems of this plugin and [`crate::history`] lock it, never across frames.
#[derive(Resource, Default)]
pub struct OpenLibrary(pub Mutex<Option<Library>>);

impl OpenLibrary {
    /// Runs `f` on the open library; `None` when no library is open.
    pub fn with<R>(&self, f: impl FnOnce(&mut Library) -> R) -> Option<R> {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.as_mut().map(f)
    }
}

/// Columns of the Takes table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortColumn {
    /// Take name.
    #[default]
    Name,
    /// Scene, then take number.
    Scene,
    /// Duration, seconds.
    Duration,
    /// Review status.
    Status,
    /// Performers.
    Actors,
    /// Number of notes.
    Notes,
}

/// Filters of the Takes panel (all must match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakeFilter {
    /// Words searched in names, scenes, descriptions, actors, tags and notes (prefix match).
    pub text: String,
    /// Only this status.
    pub status: Option<TakeStatus>,
    /// Only this scene (exact name).
    pub scene: Option<String>,
    /// Only this capture session (day).
    pub session: Option<String>,
}

impl TakeFilter {
    /// The library query for this filter.
    pub fn query(&self) -> TakeQuery {
        TakeQuery {
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
            status: self.status,
            scene: self.scene.clone(),
            session: self.session.clone(),
            limit: PAGE_ROWS,
            ..Default::default()
        }
    }
}

/// What the Takes and Review panels show: a snapshot re-read from the library.
#[derive(Resource, Debug, Default)]
pub struct TakeBrowser {
    /// The open library file.
    pub path: Option<PathBuf>,
    /// Rows matching the filter (at most [`PAGE_ROWS`]), sorted by `sort`.
    pub rows: Vec<TakeRow>,
    /// Matches in total (may exceed `rows.len()`).
    pub total: u64,
    /// Every scene name in the library (for the scene filter).
    pub scenes: Vec<String>,
    /// Every capture session (day) name (for the session filter).
    pub sessions: Vec<String>,
    /// Current filter.
    pub filter: TakeFilter,
    /// Sort column and ascending flag.
    pub sort: (SortColumn, bool),
    /// Row selected in the table (take id).
    pub selected: Option<i64>,
    /// Further rows selected with Ctrl/⌘-click (take ids, in click order, without `selected`):
    /// "Send to farm" runs on [`TakeBrowser::selection`].
    pub picked: Vec<i64>,
    /// The library take matching the take open in the session, with its notes.
    pub active: Option<TakeDetail>,
    /// Author of edits made from the studio.
    pub author: String,
    /// Last error reading the library (shown in the panel).
    pub error: Option<String>,
    /// Take id whose files are being opened (becomes `active` once the session has them).
    pub(crate) pending_active: Option<i64>,
    /// Re-read on the next update.
    pub(crate) dirty: bool,
    /// Time of the last check for changes, seconds.
    pub(crate) last_refresh_s: f64,
    /// The library's data version at the last re-read (see `Library::data_version`).
    pub(crate) seen_version: Option<i64>,
    /// Session generation `active` was matched against.
    pub(crate) matched_generation: Option<u64>,
    /// A farm run started from the studio: what it runs (in words) and when it started.
    pub farm: Option<(String, std::time::Instant)>,
    /// The running farm run's jobs: (finished, failed, in the plan), from its status files.
    pub farm_progress: Option<(usize, usize, usize)>,
    /// A PostgreSQL library being connected to on a worker thread: its URL (password hidden).
    pub opening: Option<String>,
    /// Notifications for [`TakeBrowser::author`] since the library was opened, oldest first
    /// (at most [`MAX_NOTICES`]).
    pub notices: Vec<take_library::notices::Notice>,
    /// How many of `notices` arrived since the list was last looked at.
    pub unread: usize,
    /// The Takes panel shows the notifications list open (the top bar's Notices button).
    pub show_notices: bool,
    /// Ledger sequence number up to which notifications were read (`None`: not yet).
    pub(crate) notice_mark: Option<i64>,
    /// Frame to go to once the take being opened is in the session (a notification's note).
    pub(crate) pending_seek: Option<usize>,
    /// Dailies playlists of the library (names).
    pub playlists: Vec<String>,
    /// The dailies playlist being played in sequence.
    pub dailies: Option<DailiesPlay>,
    /// Farm engines and whether each can run on this machine (looked up once).
    pub engines: Vec<mocap_farm::send::EngineChoice>,
    /// A capture folder being imported on a worker thread: the folder and its progress.
    pub importing: Option<(
        PathBuf,
        std::sync::Arc<take_library::import::ImportProgress>,
    )>,
}

impl TakeBrowser {
    /// An empty browser (no library), sorted by name ascending.
    pub fn new(author: String) -> Self {
        Self {
            author,
            sort: (SortColumn::Name, true),
            engines: mocap_farm::send::engine_choices(),
            ..Default::default()
        }
    }

    /// The take the C / A / R hotkeys and the Review panel act on: the session's take when it is
    /// in the library, else the table's selection.
    pub fn target(&self) -> Option<i64> {
        self.active.as_ref().map(|t| t.summary.id).or(self.selected)
    }

    /// Every selected take: `selected`, then the Ctrl/⌘-clicked ones.
    pub fn selection(&self) -> Vec<i64> {
        self.selected
            .into_iter()
            .chain(self.picked.iter().copied())
            .collect()
    }

    /// Ctrl/⌘-click on a row: adds the take to the selection, or takes it out when it is in
    /// (the next selected take then becomes `selected`).
    pub fn toggle_selected(&mut self, id: i64) {
        if let Some(i) = self.picked.iter().position(|&p| p == id) {
            self.picked.remove(i);
        } else if self.selected == Some(id) {
            self.selected = (!self.picked.is_empty()).then(|| self.picked.remove(0));
        } else if self.selected.is_none() {
            self.selected = Some(id);
        } else {
            self.picked.push(id);
        }
    }

    /// True once notifications are being followed (the library was read once after opening:
    /// later commits by others notify).
    pub fn notices_ready(&self) -> bool {
        self.notice_mark.is_some()
    }

    /// Asks for a re-read on the next update (after an edit).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }
}

/// Most notifications kept in [`TakeBrowser::notices`] (older ones are dropped).
pub const MAX_NOTICES: usize = 200;

/// A dailies playlist played in sequence: each take opened in order with its notes, the next
/// one when playback reaches the end of the take.
#[derive(Debug, Clone, PartialEq)]
pub struct DailiesPlay {
    /// Playlist name.
    pub name: String,
    /// Its entries in play order.
    pub items: Vec<take_library::dailies::PlaylistItem>,
    /// Index into `items` of the entry shown.
    pub index: usize,
    /// The entry's take is open and was seen playing (its end then advances the playlist).
    pub(crate) started: bool,
    /// Play was asked for the entry's take.
    pub(crate) play_sent: bool,
}

impl DailiesPlay {
    /// A playlist at its first entry.
    pub fn new(name: String, items: Vec<take_library::dailies::PlaylistItem>) -> Self {
        Self {
            name,
            items,
            index: 0,
            started: false,
            play_sent: false,
        }
    }
}

/// Requests to the take library that are not data edits (edits are [`EditCommand::Library`](crate::model::edit::EditCommand::Library)).
#[derive(Message, Debug, Clone, PartialEq)]
pub enum LibraryCommand {
    /// Open (or create, when missing) a library file, or a PostgreSQL library by its
    /// `postgres://` URL (connected on a worker thread).
    Open(PathBuf),
    /// Close the library.
    Close,
    /// Replace the filter.
    SetFilter(TakeFilter),
    /// Sort by a column (again: reverse).
    SortBy(SortColumn),
    /// Select a row (only it: the Ctrl/⌘-click selection is dropped).
    Select(Option<i64>),
    /// Add a row to the selection, or take it out when it is in (Ctrl/⌘-click).
    ToggleSelect(i64),
    /// Open a take's capture files in the session.
    OpenTake(i64),
    /// Compare the open take with this take's capture files (see [`crate::model::compare`]).
    CompareTake(i64),
    /// Import a capture folder (as `mocap takes import`).
    ImportFolder(PathBuf),
    /// Run pipeline steps (`clean,solve,export,qc`, as `mocap farm plan --steps`) on these takes
    /// on this machine's farm runner; results become versions in the library.
    SendToFarm {
        /// Library take ids.
        ids: Vec<i64>,
        /// Comma-separated steps.
        steps: String,
        /// The scheduler: local, slurm or opencue.
        engine: mocap_farm::Engine,
    },
    /// Mark every notification read (the list was opened).
    ReadNotices,
    /// Show (true: and mark read) or hide the notifications list in the Takes panel.
    ShowNotices(bool),
    /// Open a take and go to a frame (a notification's note).
    OpenAt {
        /// Library take id.
        take_id: i64,
        /// Frame index from 0 of the take (`None`: stay at the start).
        frame: Option<usize>,
    },
    /// Play a dailies playlist from its first entry.
    PlayDailies(String),
    /// Go to the next (+1) or previous (−1) dailies entry.
    StepDailies(i64),
    /// Stop playing dailies (the open take stays).
    StopDailies,
    /// Write a playlist's HTML review report.
    ExportPlaylist {
        /// Playlist name.
        name: String,
        /// Output file.
        path: PathBuf,
    },
    /// Write the review report (HTML) for a scene and/or a capture session, or for every take.
    ExportReport {
        /// Output file.
        path: PathBuf,
        /// Scene, or `None` for every scene.
        scene: Option<String>,
        /// Capture session (day), or `None` for every session.
        session: Option<String>,
    },
    /// Change the author name used for notes and status changes.
    SetAuthor(String),
}

/// Signing key for ledger events written from the studio: none (events are hash-chained but
/// unsigned); `mocap takes` signs with `--key`.
pub fn signing_key() -> Option<&'static UserKey> {
    None
}

/// Rows shown per page in the Takes table.
pub const PAGE_ROWS: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_clicks_add_takes_to_the_selection_and_take_them_out() {
        let mut b = TakeBrowser::new("me".into());
        b.toggle_selected(4);
        assert_eq!((b.selected, b.selection()), (Some(4), vec![4]));
        b.toggle_selected(9);
        b.toggle_selected(2);
        assert_eq!(b.selection(), [4, 9, 2]);
        b.toggle_selected(9);
        assert_eq!(b.selection(), [4, 2]);
        // Taking out the first one: the next becomes the selected take.
        b.toggle_selected(4);
        assert_eq!((b.selected, b.selection()), (Some(2), vec![2]));
        b.toggle_selected(2);
        assert_eq!((b.selected, b.selection()), (None, vec![]));
    }
}
