//! Commands plugins send each other as Bevy messages: playback, clean-up, camera and the UI's
//! own [`UiCommand`] (which wraps the others, so panels return one list). Defined here, in the
//! model, so that no plugin imports another to talk to it.

use std::path::PathBuf;

use bevy::prelude::*;
use mocap_data::FrameIndex;
use serde::{Deserialize, Serialize};

use crate::model::edit::{EditCommand, HistoryCommand};
use crate::model::lanes::DisplayRate;
use crate::model::library::LibraryCommand;
use crate::model::session::SessionCommand;
use crate::model::settings::Settings;
use crate::model::subtitles::SubtitleCommand;

/// Slowest playback speed (magnitude).
pub const MIN_SPEED: f64 = 0.1;

/// Fastest playback speed (magnitude).
pub const MAX_SPEED: f64 = 4.0;

/// Transport requests from the timeline panel, shortcuts and tests.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum PlaybackCommand {
    /// Start playing forward at the current speed.
    Play,
    /// Stop (keep the position).
    Pause,
    /// Play/pause toggle (Space).
    TogglePlay,
    /// J: play backwards; again doubles reverse speed (up to 4×).
    ShuttleReverse,
    /// K: stop.
    ShuttleStop,
    /// L: play forwards; again doubles forward speed (up to 4×).
    ShuttleForward,
    /// Pause and move by this many frames (←/→).
    Step(i64),
    /// Go to the in point (or frame 0).
    GoToStart,
    /// Go to the out point (or the last frame).
    GoToEnd,
    /// Jump to a frame (scrubbing).
    Seek(FrameIndex),
    /// Set the speed magnitude (clamped to 0.1×–4×).
    SetSpeed(f64),
    /// Loop within in/out when playback reaches the end of the range.
    SetLoop(bool),
}

/// Requests of the Cleanup panel that are not stack edits.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum CleanupCommand {
    /// Save the stack beside the take (`NAME.ops.ron`).
    SaveStack,
    /// Save the stack to this file.
    SaveStackAs(PathBuf),
    /// Write the cleaned markers as C3D (the source C3D with its points replaced, as `mocap
    /// clean` does; TRC sources are written as TRC).
    Export(PathBuf),
    /// Select a stack entry (its parameters show in the panel).
    SelectEntry(Option<usize>),
    /// Sort the marker table by a column (again: reverse).
    SortMarkers(MarkerColumn),
    /// Detect label swaps on the current (cleaned) markers, without changing them; the panel
    /// lists them with a one-click fix each.
    FindSwaps(mocap_solver::swaps::SwapParams),
    /// Re-solve the current (cleaned) markers with the stack's solve stage, in the background
    /// (see [`crate::cleanup::motion`]).
    Resolve,
    /// Stop the running re-solve; the take stays as it was.
    CancelResolve,
    /// A contact lane's span was dragged from `from` to `to` (inclusive frames): an undoable
    /// contact edit of that foot (see [`crate::cleanup::motion`]).
    MoveLaneSpan {
        /// The lane's edit key (`cleanup_motion::CONTACT_LANES`).
        key: String,
        /// Span before.
        from: (usize, usize),
        /// Span after.
        to: (usize, usize),
    },
}

/// Columns of the marker table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MarkerColumn {
    /// Take order.
    #[default]
    Index,
    /// Label.
    Label,
    /// Number of gaps.
    Gaps,
    /// Longest gap, frames.
    Longest,
    /// Valid samples, percent.
    Valid,
    /// Mean residual.
    Residual,
}

/// View presets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewPreset {
    /// Free perspective orbit.
    Perspective,
    /// Orthographic, looking along −Z (from the front of a +Z-facing character).
    Front,
    /// Orthographic, looking along −X (from the character's left).
    Side,
    /// Orthographic, looking down −Y.
    Top,
}

/// Camera requests from menus, shortcuts and tests.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum CameraCommand {
    /// Frame the selection, or everything when nothing is selected.
    Frame,
    /// Switch to a view preset (keeps the focus point).
    View(ViewPreset),
    /// Frame the whole take over all its frames (done when a take is loaded).
    FrameTake,
    /// Frame everything on stage now (markers, skeletons, characters), selected or not.
    FrameAll,
    /// Turn following the performers on or off ([`crate::model::settings::Settings::follow_performers`]).
    ToggleFollow,
}

/// Requests of the Live panel (see [`crate::live`]): connect to a NatNet server or listen for a
/// VMC skeleton stream, solve live, receive faces, record.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum LiveCommand {
    /// Connect to a NatNet server (a running link is replaced). Addresses are IP literals: the
    /// UI never waits on a name lookup.
    Connect {
        /// The server's command address (HOST:1510).
        server: std::net::SocketAddr,
        /// Receive frames from this multicast group (data port 1511) instead of unicast.
        multicast: Option<std::net::Ipv4Addr>,
        /// Local address to bind (127.0.0.1; 0.0.0.0 to reach other hosts).
        local: std::net::IpAddr,
    },
    /// Listen for a VMC skeleton stream (an inertial suit, a VMC performer) on this local
    /// address (a running link is replaced).
    ListenVmc {
        /// Local address and port to bind (127.0.0.1:39539; 0.0.0.0 to hear other hosts).
        bind: std::net::SocketAddr,
    },
    /// Solve NatNet marker streams live with this marker set (preset name such as `cmu41`, or a
    /// JSON file), per actor calibrated then warm-started; `None`: no live solve. A connected
    /// link restarts with it.
    SetSolve(Option<String>),
    /// Receive Live Link Face (iPhone ARKit faces) on this local address; `None`: stop.
    ListenFaces(Option<std::net::SocketAddr>),
    /// Stop receiving (a recording in progress is saved first).
    Disconnect,
    /// Start recording the stream (every frame from now on, kept by the live stage).
    StartRecording,
    /// Stop recording: write the take as C3D, add it to the open library, open it for review.
    StopRecording,
    /// Show the live stream in the viewport again (after a recording or another take was
    /// opened for review).
    ShowLive,
    /// Write recordings into this folder.
    SetFolder(PathBuf),
}

/// Everything a panel can ask for.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Transport.
    Playback(PlaybackCommand),
    /// An undoable edit of the take.
    Edit(EditCommand),
    /// Undo / redo.
    History(HistoryCommand),
    /// Load / open / close.
    Session(SessionCommand),
    /// Camera framing and views.
    Camera(CameraCommand),
    /// Select a marker (or none).
    SelectMarker(Option<usize>),
    /// Select joint `.1` of actor `.0` (0: the primary skeleton), or clear the selection.
    SelectJoint(usize, Option<usize>),
    /// Show the native open-file dialog.
    OpenDialog,
    /// Native dialog to add another actor's motion (BVH / AMC) to the take.
    AddActorDialog,
    /// A span of the editable timeline lane `key` was resized from `from` to `to` (inclusive
    /// frames) by dragging an end.
    LaneSpanMoved {
        /// The lane's edit key.
        key: String,
        /// Span before.
        from: (usize, usize),
        /// Span after.
        to: (usize, usize),
    },
    /// Show the native save dialog, then export the character's motion as BVH.
    ExportBvhDialog,
    /// Show the native save dialog, then export the mannequin with the motion as GLB.
    ExportGlbDialog,
    /// Timecode display rate.
    SetDisplayRate(DisplayRate),
    /// Ruler in frames.
    SetShowFrames(bool),
    /// Answer the recovery offer.
    Recovery(crate::model::recovery::RecoveryCommand),
    /// Quit without saving (the unsaved-changes prompt's answer).
    QuitDiscard,
    /// Close the unsaved-changes prompt and keep working.
    CancelQuit,
    /// Show or hide a group of markers in the viewport and the tables.
    ShowMarkerGroup(crate::model::groups::MarkerGroup, bool),
    /// Replace the settings.
    SetSettings(Box<Settings>),
    /// Restore the default dock layout.
    ResetLayout,
    /// Reopen a closed tab.
    OpenTab(Tab),
    /// Clean-up requests (save the stack, select an entry…).
    Cleanup(CleanupCommand),
    /// Show the native save dialog, then export the cleaned markers (C3D or TRC).
    ExportCleanedDialog,
    /// Browse / open / export through the take library.
    Library(LibraryCommand),
    /// Subtitle tracks: load, edit cues, QC fixes, visibility.
    Subtitles(SubtitleCommand),
    /// The live stage: connect, record.
    Live(LiveCommand),
    /// Compare the take with a second one (load, offset, layout).
    Compare(crate::model::compare::CompareCommand),
    /// Show the native open dialog, then compare the take with the picked files.
    CompareDialog,
    /// The Bone Map tab: choose the character, pick a joint in the viewport, save the map.
    BoneMap(crate::model::bonemap::BoneMapCommand),
    /// The Face Map tab: choose the character, save the map.
    FaceMap(crate::model::facemap::FaceMapCommand),
    /// Show the native open dialog for subtitle files (or, `true`, a reference WAV).
    OpenSubtitlesDialog(bool),
    /// Show the native save dialog, then write that language's subtitle track.
    SaveSubtitlesDialog(String),
    /// Show the native open dialog for a shot list (EDL or timecodes).
    OpenShotsDialog,
    /// Show the native dialog to open or create a take library.
    OpenLibraryDialog,
    /// Ask where to write a dailies playlist's HTML review report (the playlist's name).
    ExportPlaylistDialog(String),
    /// Show the native folder dialog, then import that capture folder into the library.
    ImportFolderDialog,
    /// Show the native save dialog, then write the review report of a scene and/or capture
    /// session (day), or of everything.
    ExportReportDialog(Option<String>, Option<String>),
    /// Bring a tab to the front (opening it when closed).
    FocusTab(Tab),
    /// Bring the Review tab to the front and put the cursor in its note field (N).
    FocusNote,
    /// The Review panel's note draft changed (typed, added, or a recovered one taken in).
    NoteDraft {
        /// Library take id.
        take_id: i64,
        /// The take's name (for the unsaved-work list).
        take_name: String,
        /// The text in the note field.
        text: String,
    },
    /// Tell the user something went wrong (log + toast).
    Report(String),
    /// Quit the app.
    Quit,
}

/// The dock tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tab {
    /// The 3D view.
    Viewport,
    /// Transport, ruler and lanes.
    Timeline,
    /// Take library (later issue).
    Takes,
    /// Review notes (later issue).
    Review,
    /// Cleanup tools (later issue).
    Cleanup,
    /// Subtitle tracks side by side, QC flags and fixes.
    Subtitles,
    /// Properties of the take and selection, and display settings.
    Inspector,
    /// Messages.
    Log,
    /// The live stage: connection to a NatNet server, latency, recording.
    Live,
    /// A second take compared with this one: ghost, offset, difference per joint or marker.
    Compare,
    /// The characters' bone maps: which joint plays each humanoid bone.
    BoneMap,
    /// The characters' face maps: which ARKit channels drive each morph target.
    FaceMap,
}

impl Tab {
    /// The tab named `name` (its title, any case).
    pub fn parse(name: &str) -> Option<Self> {
        ALL_TABS
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(name.trim()))
    }

    /// The tab's title in the dock.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Viewport => "Viewport",
            Tab::Timeline => "Timeline",
            Tab::Takes => "Takes",
            Tab::Review => "Review",
            Tab::Cleanup => "Cleanup",
            Tab::Subtitles => "Subtitles",
            Tab::Inspector => "Inspector",
            Tab::Log => "Log",
            Tab::Live => "Live",
            Tab::Compare => "Compare",
            Tab::BoneMap => "Bone Map",
            Tab::FaceMap => "Face Map",
        }
    }
}

/// Every tab, in menu order.
pub const ALL_TABS: [Tab; 12] = [
    Tab::Viewport,
    Tab::Timeline,
    Tab::Inspector,
    Tab::Log,
    Tab::Takes,
    Tab::Review,
    Tab::Cleanup,
    Tab::Subtitles,
    Tab::Live,
    Tab::Compare,
    Tab::BoneMap,
    Tab::FaceMap,
];
