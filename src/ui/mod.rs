//! The egui shell: menu bar, docked tabs around the 3D view, HUD, toasts, shortcuts, dialogs.
//!
//! Panels are functions `fn(&mut egui::Ui, &View) -> Vec<UiCommand>`: they read a snapshot and
//! emit commands; [`dispatch_commands`] turns commands into the messages other plugins apply.
//! The dock layout and settings persist as JSON in [`crate::settings::config_dir`].

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{CameraOutputMode, Viewport};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::window::{FileDragAndDrop, PrimaryWindow};
use bevy_egui::{
    EguiContexts, EguiGlobalSettings, EguiPrimaryContextPass, PrimaryEguiContext, egui,
};
use egui_dock::{DockArea, DockState, NodeIndex, Style, TabViewer};
use mocap_data::{LengthUnit, Timecode, UpAxis};
use serde::{Deserialize, Serialize};

use crate::camera::{CameraCommand, SceneCamera, ViewPreset, ViewportInput};
use crate::cleanup::{Cleanup, CleanupCommand};
use crate::cleanup_ui::{CleanupView, cleanup_ui};
use crate::history::{EditCommand, HistoryCommand, UndoStack};
use crate::hotkeys::{Action, Hotkeys};
use crate::playback::{Playback, PlaybackCommand};
use crate::session::{AppLog, LogLevel, Session, SessionCommand};
use crate::settings::{Settings, config_dir, load_json, save_json};
use crate::subtitles::{ReferenceAudio, SubtitleCommand, SubtitleSettings, SubtitleTracks};
use crate::subtitles_ui::{SubtitlesView, subtitles_ui};
use crate::takes::{LibraryCommand, OpenLibrary, TakeBrowser};
use crate::takes_ui::{ReviewView, TakesView, review_ui, status_edit, takes_ui};
use crate::timeline::{
    DisplayRate, LaneRegistry, TimelineLanes, TimelineView, timecode_at, timeline_ui,
};
use crate::viewport::{MarkerWorld, Selection};

/// UI systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct UiSet;

/// The egui shell. `persist` controls whether layout and settings are read from and written to
/// the config directory (off for scripted screenshot runs, which must not depend on a user's
/// saved layout).
pub struct UiPlugin {
    /// Load and save layout/settings.
    pub persist: bool,
}

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(Persistence {
            enabled: self.persist,
        })
        .init_resource::<TimelineLanes>()
        .init_resource::<LaneRegistry>()
        .init_resource::<FileDialogs>()
        .init_resource::<crate::viewport::GridLabels>()
        .init_resource::<HudStats>()
        .init_resource::<NoteFocus>()
        .add_message::<UiCommand>()
        .add_systems(PreStartup, (load_persisted, setup_egui_camera))
        .add_systems(
            PreUpdate,
            (keyboard_shortcuts, file_drops, poll_file_dialogs).in_set(UiSet),
        )
        .add_systems(EguiPrimaryContextPass, ui_system.in_set(UiSet))
        .add_systems(
            Update,
            (dispatch_commands, rebuild_lanes, hud_stats).in_set(UiSet),
        )
        .add_systems(Last, (autosave, save_on_exit));
    }
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
    /// Show the native open dialog for subtitle files (or, `true`, a reference WAV).
    OpenSubtitlesDialog(bool),
    /// Show the native save dialog, then write that language's subtitle track.
    SaveSubtitlesDialog(String),
    /// Show the native open dialog for a shot list (EDL or timecodes).
    OpenShotsDialog,
    /// Show the native dialog to open or create a take library.
    OpenLibraryDialog,
    /// Show the native folder dialog, then import that capture folder into the library.
    ImportFolderDialog,
    /// Show the native save dialog, then write the review report of a scene and/or capture
    /// session (day), or of everything.
    ExportReportDialog(Option<String>, Option<String>),
    /// Bring a tab to the front (opening it when closed).
    FocusTab(Tab),
    /// Bring the Review tab to the front and put the cursor in its note field (N).
    FocusNote,
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
}

impl Tab {
    /// The tab named `name` (its title, any case).
    pub fn parse(name: &str) -> Option<Self> {
        ALL_TABS
            .into_iter()
            .find(|t| t.title().eq_ignore_ascii_case(name.trim()))
    }

    fn title(self) -> &'static str {
        match self {
            Tab::Viewport => "Viewport",
            Tab::Timeline => "Timeline",
            Tab::Takes => "Takes",
            Tab::Review => "Review",
            Tab::Cleanup => "Cleanup",
            Tab::Subtitles => "Subtitles",
            Tab::Inspector => "Inspector",
            Tab::Log => "Log",
        }
    }
}

/// The default dock layout: viewport centre; timeline, log and the later-issue tabs below;
/// inspector and takes on the right.
pub fn default_layout() -> DockState<Tab> {
    let mut dock = DockState::new(vec![Tab::Viewport]);
    let surface = dock.main_surface_mut();
    let [main, _right] =
        surface.split_right(NodeIndex::root(), 0.74, vec![Tab::Inspector, Tab::Takes]);
    surface.split_below(
        main,
        0.72,
        vec![
            Tab::Timeline,
            Tab::Log,
            Tab::Review,
            Tab::Cleanup,
            Tab::Subtitles,
        ],
    );
    dock
}

/// The dock layout.
#[derive(Resource)]
pub struct DockLayout(pub DockState<Tab>);

#[derive(Resource)]
struct Persistence {
    enabled: bool,
}

const LAYOUT_FILE: &str = "layout.json";
const SETTINGS_FILE: &str = "settings.json";

fn load_persisted(mut commands: Commands, persist: Res<Persistence>, mut log: ResMut<AppLog>) {
    let mut layout = default_layout();
    let mut settings = Settings::default();
    if persist.enabled
        && let Some(dir) = config_dir()
    {
        match load_json::<DockState<Tab>>(&dir, LAYOUT_FILE) {
            Ok(Some(l)) if l.iter_all_tabs().any(|(_, t)| *t == Tab::Viewport) => layout = l,
            Ok(_) => {}
            Err(e) => log.push(LogLevel::Warning, format!("Layout reset: {e}"), 0.0),
        }
        match load_json::<Settings>(&dir, SETTINGS_FILE) {
            Ok(Some(s)) => settings = s,
            Ok(None) => {}
            Err(e) => log.push(LogLevel::Warning, format!("Settings reset: {e}"), 0.0),
        }
    }
    commands.insert_resource(ClearColor(Color::srgb_u8(
        settings.colours.background[0],
        settings.colours.background[1],
        settings.colours.background[2],
    )));
    commands.insert_resource(DockLayout(layout));
    commands.insert_resource(settings);
}

/// Saves the layout and settings every few seconds when they changed, so a crash or a killed
/// process loses at most that much.
fn autosave(
    persist: Res<Persistence>,
    layout: Option<Res<DockLayout>>,
    settings: Res<Settings>,
    time: Res<Time<Real>>,
    mut last: Local<(f64, String, String)>,
) {
    let now = time.elapsed_secs_f64();
    if !persist.enabled || now - last.0 < 3.0 {
        return;
    }
    last.0 = now;
    let Some(dir) = config_dir() else { return };
    let settings_json = serde_json::to_string(&*settings).unwrap_or_default();
    if last.2.is_empty() {
        // First check: remember what was loaded; nothing to save yet.
        last.2 = settings_json.clone();
    } else if settings_json != last.2 {
        match save_json(&dir, SETTINGS_FILE, &*settings) {
            Ok(()) => last.2 = settings_json,
            Err(e) => warn!("Cannot save settings: {e}"),
        }
    }
    if let Some(layout) = layout {
        let mut value = serde_json::to_value(&layout.0).unwrap_or_default();
        crate::settings::zero_nonfinite_points(&mut value);
        let layout_json = value.to_string();
        if last.1.is_empty() {
            last.1 = layout_json;
        } else if layout_json != last.1 {
            match save_json(&dir, LAYOUT_FILE, &layout.0) {
                Ok(()) => last.1 = layout_json,
                Err(e) => warn!("Cannot save the layout: {e}"),
            }
        }
    }
}

fn save_on_exit(
    mut exit: MessageReader<AppExit>,
    persist: Res<Persistence>,
    layout: Option<Res<DockLayout>>,
    settings: Res<Settings>,
) {
    if exit.read().next().is_none() || !persist.enabled {
        return;
    }
    let Some(dir) = config_dir() else { return };
    if let Some(layout) = layout
        && let Err(e) = save_json(&dir, LAYOUT_FILE, &layout.0)
    {
        warn!("Cannot save the layout: {e}");
    }
    if let Err(e) = save_json(&dir, SETTINGS_FILE, &*settings) {
        warn!("Cannot save settings: {e}");
    }
}

/// The camera egui draws with (on top of the scene camera, drawing nothing else).
fn setup_egui_camera(mut commands: Commands, mut egui_settings: ResMut<EguiGlobalSettings>) {
    egui_settings.auto_create_primary_context = false;
    commands.spawn((
        Name::new("UI camera"),
        PrimaryEguiContext,
        Camera2d,
        RenderLayers::none(),
        Camera {
            order: 1,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
}

/// Pending results of native file dialogs (run on a worker thread so rendering continues).
#[derive(Resource)]
struct FileDialogs {
    /// Commands produced by a dialog's worker thread (open these files, export there).
    tx: Sender<Option<UiCommand>>,
    rx: Mutex<Receiver<Option<UiCommand>>>,
    open: bool,
}

impl FileDialogs {
    /// Runs a blocking native dialog on a worker thread (one at a time); its command comes back
    /// through the channel.
    fn spawn(&mut self, dialog: impl FnOnce() -> Option<UiCommand> + Send + 'static) {
        if self.open {
            return;
        }
        self.open = true;
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            // The app may have quit meanwhile: nothing to do then.
            let _ = tx.send(dialog());
        });
    }
}

impl Default for FileDialogs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tx,
            rx: Mutex::new(rx),
            open: false,
        }
    }
}

fn poll_file_dialogs(mut dialogs: ResMut<FileDialogs>, mut out: MessageWriter<UiCommand>) {
    let received: Vec<Option<UiCommand>> = match dialogs.rx.lock() {
        Ok(rx) => rx.try_iter().collect(),
        Err(_) => Vec::new(),
    };
    for cmd in received {
        dialogs.open = false;
        if let Some(cmd) = cmd {
            out.write(cmd);
        }
    }
}

fn file_drops(mut drops: MessageReader<FileDragAndDrop>, mut out: MessageWriter<UiCommand>) {
    let mut paths: Vec<PathBuf> = drops
        .read()
        .filter_map(|d| match d {
            FileDragAndDrop::DroppedFile { path_buf, .. } => Some(path_buf.clone()),
            _ => None,
        })
        .collect();
    // Subtitle files and WAVs go to the subtitle tracks, the rest to the session.
    paths.retain(|p| match crate::subtitles::dropped_file_command(p) {
        Some(c) => {
            out.write(UiCommand::Subtitles(c));
            false
        }
        None => true,
    });
    if !paths.is_empty() {
        out.write(UiCommand::Session(SessionCommand::Open(paths)));
    }
}

/// The command a key press triggers with the default hotkeys, if any (`ctrl` = Ctrl or Cmd);
/// actions that need the clock or the reviewed take (in/out points, review keys) give `None`.
pub fn shortcut_for(key: KeyCode, ctrl: bool, shift: bool) -> Option<UiCommand> {
    Hotkeys::default()
        .action_for(key, ctrl, shift)
        .and_then(command_for)
}

/// The command of a context-free hotkey action (`None` for in/out points and review actions,
/// which [`keyboard_shortcuts`] completes with the clock and the reviewed take).
pub fn command_for(action: Action) -> Option<UiCommand> {
    use PlaybackCommand as P;
    let pb = |c| Some(UiCommand::Playback(c));
    let view = |v| Some(UiCommand::Camera(CameraCommand::View(v)));
    match action {
        Action::PlayPause => pb(P::TogglePlay),
        Action::ShuttleReverse => pb(P::ShuttleReverse),
        Action::ShuttleStop => pb(P::ShuttleStop),
        Action::ShuttleForward => pb(P::ShuttleForward),
        Action::StepBack => pb(P::Step(-1)),
        Action::StepForward => pb(P::Step(1)),
        Action::StepBack10 => pb(P::Step(-10)),
        Action::StepForward10 => pb(P::Step(10)),
        Action::GoToStart => pb(P::GoToStart),
        Action::GoToEnd => pb(P::GoToEnd),
        Action::FrameSelection => Some(UiCommand::Camera(CameraCommand::Frame)),
        Action::ViewFront => view(ViewPreset::Front),
        Action::ViewSide => view(ViewPreset::Side),
        Action::ViewTop => view(ViewPreset::Top),
        Action::ViewPerspective => view(ViewPreset::Perspective),
        Action::ClearSelection => Some(UiCommand::SelectMarker(None)),
        Action::Undo => Some(UiCommand::History(HistoryCommand::Undo)),
        Action::Redo => Some(UiCommand::History(HistoryCommand::Redo)),
        Action::Open => Some(UiCommand::OpenDialog),
        Action::Quit => Some(UiCommand::Quit),
        Action::SetIn
        | Action::SetOut
        | Action::Circle
        | Action::Approve
        | Action::Reject
        | Action::Note => None,
    }
}

/// The N hotkey asked the Review panel to focus its note field.
#[derive(Resource, Debug, Default)]
struct NoteFocus(bool);

/// The review command a key sends (default hotkeys) for the take `target` (C circle — again:
/// uncircle —, A approve, R reject, N write a note).
pub fn review_shortcut(
    key: KeyCode,
    target: Option<(i64, take_library::TakeStatus)>,
    author: &str,
) -> Option<UiCommand> {
    review_action(
        Hotkeys::default().action_for(key, false, false)?,
        target,
        author,
    )
}

/// The review command of a hotkey action for the take `target` (`None` for other actions).
pub fn review_action(
    action: Action,
    target: Option<(i64, take_library::TakeStatus)>,
    author: &str,
) -> Option<UiCommand> {
    use take_library::TakeStatus as S;
    if action == Action::Note {
        return Some(UiCommand::FocusNote);
    }
    let (id, current) = target?;
    let status = match action {
        Action::Circle if current == S::Circled => S::None,
        Action::Circle => S::Circled,
        Action::Approve => S::Approved,
        Action::Reject => S::Rejected,
        _ => return None,
    };
    (status != current).then(|| status_edit(id, status, author, None))
}

fn keyboard_shortcuts(
    keys: Res<ButtonInput<KeyCode>>,
    settings: Res<Settings>,
    input: Res<ViewportInput>,
    playback: Res<Playback>,
    browser: Option<Res<TakeBrowser>>,
    mut out: MessageWriter<UiCommand>,
) {
    if input.keyboard_captured {
        return;
    }
    let ctrl = keys.any_pressed([
        KeyCode::ControlLeft,
        KeyCode::ControlRight,
        KeyCode::SuperLeft,
        KeyCode::SuperRight,
    ]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    for key in keys.get_just_pressed() {
        let Some(action) = settings.hotkeys.action_for(*key, ctrl, shift) else {
            continue;
        };
        let cmd = match action {
            // In / out set the range at the current frame (they need the clock).
            Action::SetIn => Some(UiCommand::Edit(EditCommand::SetInPoint(Some(
                playback.frame(),
            )))),
            Action::SetOut => Some(UiCommand::Edit(EditCommand::SetOutPoint(Some(
                playback.frame(),
            )))),
            // Review keys act on the reviewed take (or the Takes panel's selection).
            Action::Circle | Action::Approve | Action::Reject | Action::Note => {
                browser.as_ref().and_then(|b| {
                    let target = b.target().and_then(|id| {
                        let status = b
                            .active
                            .as_ref()
                            .filter(|a| a.summary.id == id)
                            .map(|a| a.summary.status)
                            .or_else(|| {
                                b.rows
                                    .iter()
                                    .find(|r| r.summary.id == id)
                                    .map(|r| r.summary.status)
                            })?;
                        Some((id, status))
                    });
                    review_action(action, target, &b.author)
                })
            }
            other => command_for(other),
        };
        if let Some(c) = cmd {
            out.write(c);
        }
    }
}

/// Writers of the panel plugins' messages (grouped: a system takes at most 16 parameters).
#[derive(bevy::ecs::system::SystemParam)]
struct PanelWriters<'w> {
    library: MessageWriter<'w, LibraryCommand>,
    cleanup: MessageWriter<'w, CleanupCommand>,
    subtitles: MessageWriter<'w, SubtitleCommand>,
}

/// Applies [`UiCommand`]s by writing the owning plugins' messages.
fn dispatch_commands(
    mut commands: MessageReader<UiCommand>,
    mut playback: MessageWriter<PlaybackCommand>,
    mut edits: MessageWriter<EditCommand>,
    mut history: MessageWriter<HistoryCommand>,
    mut session: MessageWriter<SessionCommand>,
    mut camera: MessageWriter<CameraCommand>,
    mut panels: PanelWriters,
    mut note_focus: ResMut<NoteFocus>,
    mut exit: MessageWriter<AppExit>,
    mut selection: ResMut<Selection>,
    mut settings: ResMut<Settings>,
    mut dialogs: ResMut<FileDialogs>,
    mut layout: Option<ResMut<DockLayout>>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    for cmd in commands.read() {
        match cmd.clone() {
            UiCommand::Playback(c) => {
                playback.write(c);
            }
            UiCommand::Edit(e) => {
                edits.write(e);
            }
            UiCommand::History(h) => {
                history.write(h);
            }
            UiCommand::Session(s) => {
                if let SessionCommand::Open(paths) = &s {
                    for p in paths.iter().filter(|p| p.exists()) {
                        settings.add_recent(p);
                    }
                }
                session.write(s);
            }
            UiCommand::Camera(c) => {
                camera.write(c);
            }
            UiCommand::SelectMarker(m) => selection.select_marker(m),
            UiCommand::SelectJoint(actor, j) => selection.select_actor_joint(actor, j),
            UiCommand::OpenDialog => {
                dialogs.spawn(|| {
                    let picked = rfd::FileDialog::new()
                        .set_title("Open motion capture files")
                        .add_filter(
                            "Motion capture",
                            &["c3d", "trc", "bvh", "asf", "amc", "glb", "gltf"],
                        )
                        .add_filter("All files", &["*"])
                        .pick_files()
                        .unwrap_or_default();
                    (!picked.is_empty()).then_some(UiCommand::Session(SessionCommand::Open(picked)))
                });
            }
            UiCommand::LaneSpanMoved { key, from, to } => {
                panels
                    .cleanup
                    .write(CleanupCommand::MoveLaneSpan { key, from, to });
            }
            UiCommand::AddActorDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Add an actor's motion")
                        .add_filter("Skeleton motion", &["bvh", "amc"])
                        .pick_file()
                        .map(|p| UiCommand::Session(SessionCommand::AddActor(p)))
                });
            }
            UiCommand::ExportBvhDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the take's motion as BVH (one file per actor)")
                        .add_filter("BVH", &["bvh"])
                        .set_file_name("take.bvh")
                        .save_file()
                        .map(|p| UiCommand::Session(SessionCommand::ExportBvh(p)))
                });
            }
            UiCommand::ExportGlbDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the mannequin with the take's motion as GLB (one file per actor)")
                        .add_filter("glTF binary", &["glb"])
                        .set_file_name("take.glb")
                        .save_file()
                        .map(|p| UiCommand::Session(SessionCommand::ExportGlb(p)))
                });
            }
            UiCommand::Cleanup(c) => {
                panels.cleanup.write(c);
            }
            UiCommand::ExportCleanedDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Export the cleaned markers")
                        .add_filter("C3D", &["c3d"])
                        .add_filter("TRC (OpenSim)", &["trc"])
                        .set_file_name("cleaned.c3d")
                        .save_file()
                        .map(|p| UiCommand::Cleanup(CleanupCommand::Export(p)))
                });
            }
            UiCommand::Library(c) => {
                if let LibraryCommand::Open(p) = &c {
                    settings.last_library = Some(p.clone());
                }
                panels.library.write(c);
            }
            UiCommand::Subtitles(c) => {
                panels.subtitles.write(c);
            }
            UiCommand::SaveSubtitlesDialog(lang) => {
                dialogs.spawn(move || {
                    rfd::FileDialog::new()
                        .set_title(format!("Save the {lang} subtitles"))
                        .add_filter("Subtitles", crate::subtitles::SUBTITLE_EXTENSIONS)
                        .set_file_name(format!("subtitles.{lang}.srt"))
                        .save_file()
                        .map(|p| {
                            UiCommand::Subtitles(SubtitleCommand::Save {
                                lang,
                                path: Some(p),
                            })
                        })
                });
            }
            UiCommand::OpenShotsDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Open a shot list")
                        .add_filter("EDL or timecode list", &["edl", "txt"])
                        .pick_file()
                        .map(|p| UiCommand::Subtitles(SubtitleCommand::OpenShots(p)))
                });
            }
            UiCommand::OpenSubtitlesDialog(audio) => {
                dialogs.spawn(move || {
                    let d = rfd::FileDialog::new();
                    if audio {
                        d.set_title("Open the reference audio")
                            .add_filter("WAV", &["wav"])
                            .pick_file()
                            .map(|p| UiCommand::Subtitles(SubtitleCommand::OpenAudio(p)))
                    } else {
                        d.set_title("Open subtitle tracks")
                            .add_filter("Subtitles", crate::subtitles::SUBTITLE_EXTENSIONS)
                            .pick_file()
                            .map(|p| UiCommand::Subtitles(SubtitleCommand::Open(p)))
                    }
                });
            }
            UiCommand::OpenLibraryDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Open or create a take library")
                        .add_filter("Take library", &["db", "sqlite", "mocaplib"])
                        .set_file_name("takes.db")
                        .save_file()
                        .map(|p| UiCommand::Library(LibraryCommand::Open(p)))
                });
            }
            UiCommand::ImportFolderDialog => {
                dialogs.spawn(|| {
                    rfd::FileDialog::new()
                        .set_title("Import a capture folder into the take library")
                        .pick_folder()
                        .map(|p| UiCommand::Library(LibraryCommand::ImportFolder(p)))
                });
            }
            UiCommand::ExportReportDialog(scene, session) => {
                dialogs.spawn(move || {
                    let name = match (&session, &scene) {
                        (Some(d), Some(s)) => format!("review-{d}-scene-{s}.html"),
                        (None, Some(s)) => format!("review-scene-{s}.html"),
                        (Some(d), None) => format!("review-{d}.html"),
                        (None, None) => "review.html".into(),
                    };
                    rfd::FileDialog::new()
                        .set_title("Write the review report (HTML)")
                        .add_filter("HTML", &["html"])
                        .set_file_name(name)
                        .save_file()
                        .map(|path| {
                            UiCommand::Library(LibraryCommand::ExportReport {
                                path,
                                scene,
                                session,
                            })
                        })
                });
            }
            UiCommand::FocusTab(tab) => {
                if let Some(l) = layout.as_mut() {
                    focus_tab(&mut l.0, tab);
                }
            }
            UiCommand::FocusNote => {
                if let Some(l) = layout.as_mut() {
                    focus_tab(&mut l.0, Tab::Review);
                }
                note_focus.0 = true;
            }
            UiCommand::SetDisplayRate(r) => settings.display_rate = r,
            UiCommand::SetShowFrames(f) => settings.show_frames = f,
            UiCommand::SetSettings(s) => *settings = *s,
            UiCommand::ResetLayout => {
                if let Some(l) = layout.as_mut() {
                    l.0 = default_layout();
                }
            }
            UiCommand::Report(text) => log.push(LogLevel::Warning, text, time.elapsed_secs_f64()),
            UiCommand::OpenTab(tab) => {
                if let Some(l) = layout.as_mut()
                    && l.0.find_tab(&tab).is_none()
                {
                    l.0.push_to_first_leaf(tab);
                }
            }
            UiCommand::Quit => {
                exit.write(AppExit::Success);
            }
        }
    }
}

/// Brings `tab` to the front of its leaf, opening it when it was closed.
pub fn focus_tab(dock: &mut DockState<Tab>, tab: Tab) {
    if dock.find_tab(&tab).is_none() {
        dock.push_to_first_leaf(tab);
    }
    if let Some(path) = dock.find_tab(&tab) {
        let _ = dock.set_active_tab(path);
    }
}

fn rebuild_lanes(
    session: Res<Session>,
    registry: Res<LaneRegistry>,
    mut lanes: ResMut<TimelineLanes>,
) {
    if !session.is_changed() && !registry.is_changed() {
        return;
    }
    // Gaps depend on content (generation); events and labels may change with edits.
    lanes.lanes = session
        .take
        .as_ref()
        .map(|t| registry.build(t))
        .unwrap_or_default();
    lanes.generation = session.generation;
}

/// Frame timing for the HUD.
#[derive(Resource, Debug, Default, Clone, Copy)]
pub struct HudStats {
    /// Smoothed render frames per second.
    pub render_fps: f64,
    /// Smoothed CPU frame time, milliseconds.
    pub frame_ms: f64,
}

fn hud_stats(time: Res<Time<Real>>, mut stats: ResMut<HudStats>) {
    let dt = time.delta_secs_f64();
    if dt <= 0.0 {
        return;
    }
    let a = 0.05;
    stats.frame_ms = stats.frame_ms * (1.0 - a) + dt * 1000.0 * a;
    stats.render_fps = 1000.0 / stats.frame_ms.max(1e-3);
}

/// Snapshot for the HUD overlay.
#[derive(Debug, Clone)]
pub struct HudView {
    /// Current frame / last frame.
    pub frame: (usize, usize),
    /// Formatted timecode.
    pub timecode: String,
    /// Take rate × speed, and measured distinct frames per second.
    pub playback: String,
    /// Render fps and CPU frame time.
    pub render: String,
    /// Take name.
    pub take: String,
    /// Ground-grid scale labels (logical window pixels, text).
    pub grid_labels: Vec<(egui::Vec2, String)>,
}

fn hud_ui(ui: &mut egui::Ui, rect: egui::Rect, hud: &HudView) {
    let painter = ui.painter_at(rect);
    for (p, text) in &hud.grid_labels {
        painter.text(
            egui::pos2(p.x + 3.0, p.y - 2.0),
            egui::Align2::LEFT_BOTTOM,
            text,
            egui::FontId::proportional(10.0),
            egui::Color32::from_gray(150),
        );
    }
    let lines = [
        hud.take.clone(),
        format!("{}   frame {} / {}", hud.timecode, hud.frame.0, hud.frame.1),
        hud.playback.clone(),
        hud.render.clone(),
    ];
    let font = egui::FontId::monospace(12.0);
    let pad = 8.0;
    let h = 16.0;
    let w = 330.0;
    let bg = egui::Rect::from_min_size(
        rect.min + egui::vec2(pad, pad),
        egui::vec2(w, h * lines.len() as f32 + 8.0),
    );
    painter.rect_filled(bg, 4.0, egui::Color32::from_black_alpha(130));
    for (i, l) in lines.iter().enumerate() {
        painter.text(
            bg.min + egui::vec2(8.0, 4.0 + h * i as f32),
            egui::Align2::LEFT_TOP,
            l,
            font.clone(),
            if i == 1 {
                egui::Color32::from_rgb(255, 214, 90)
            } else {
                egui::Color32::from_gray(225)
            },
        );
    }
    // Axis hint (bottom left): Bevy world is Y-up metres.
    painter.text(
        egui::pos2(rect.left() + pad, rect.bottom() - pad),
        egui::Align2::LEFT_BOTTOM,
        "Y-up · metres · Alt+LMB orbit · Alt+MMB pan · Alt+RMB dolly · F frame",
        egui::FontId::proportional(11.0),
        egui::Color32::from_gray(160),
    );
}

/// Snapshot for the inspector.
struct InspectorView<'a> {
    session: &'a Session,
    selection: Option<usize>,
    joint: Option<usize>,
    actor: usize,
    frame: usize,
    settings: &'a Settings,
    marker_world: &'a MarkerWorld,
}

/// Editable start timecode (at the take's timecode base; `;` before the frames = drop-frame).
/// Commits on Enter / focus loss as an undoable edit; a malformed entry is reported, not applied.
fn start_timecode_field(ui: &mut egui::Ui, current: Timecode) -> Option<UiCommand> {
    let id = ui.id().with("start_tc_edit");
    let mut text = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| current.to_string());
    let r = ui
        .add(
            egui::TextEdit::singleline(&mut text)
                .desired_width(110.0)
                .font(egui::TextStyle::Monospace),
        )
        .on_hover_text(format!(
            "Timecode of frame 0 at {} fps (HH:MM:SS:FF; ';' for drop-frame). Undoable.",
            current.format.nominal_fps
        ));
    if r.changed() {
        ui.data_mut(|d| d.insert_temp(id, text.clone()));
    }
    if !r.lost_focus() {
        return None;
    }
    ui.data_mut(|d| d.remove::<String>(id));
    match Timecode::parse(&text, current.format.nominal_fps) {
        Ok(tc) if tc != current => Some(UiCommand::Edit(EditCommand::SetStartTimecode(tc))),
        Ok(_) => None,
        Err(e) => Some(UiCommand::Report(format!(
            "Start timecode not changed: {e}"
        ))),
    }
}

fn inspector_ui(ui: &mut egui::Ui, v: &InspectorView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let unit = v.settings.display_unit;
    egui::CollapsingHeader::new("Take")
        .default_open(true)
        .show(ui, |ui| match &v.session.take {
            None => {
                ui.weak("No take loaded.");
            }
            Some(t) => {
                egui::Grid::new("take_grid").num_columns(2).show(ui, |ui| {
                    ui.label("Name");
                    ui.label(&t.name);
                    ui.end_row();
                    ui.label("Rate");
                    ui.label(format!("{} Hz", t.rate));
                    ui.end_row();
                    ui.label("Frames");
                    ui.label(format!(
                        "{} ({:.2} s)",
                        t.frame_count,
                        t.rate.frames_to_seconds(t.frame_count as i64)
                    ));
                    ui.end_row();
                    ui.label("Start TC");
                    out.extend(start_timecode_field(ui, t.start_timecode));
                    ui.end_row();
                    let (a, b) = t.range();
                    ui.label("Range");
                    ui.label(format!("{a} – {b}"));
                    ui.end_row();
                    if let Some(m) = &t.markers {
                        ui.label("Markers");
                        ui.label(format!(
                            "{} ({}, {:?}-up), {:.2} % valid",
                            m.marker_count(),
                            m.unit,
                            m.up_axis,
                            m.valid_fraction() * 100.0
                        ));
                        ui.end_row();
                    }
                    if !t.actors.is_empty() {
                        ui.label("Actors");
                        ui.label(
                            std::iter::once(t.name.clone())
                                .chain(t.actors.iter().map(|a| a.name.clone()))
                                .collect::<Vec<_>>()
                                .join(", "),
                        );
                        ui.end_row();
                    }
                    if let Some(s) = &t.skeleton {
                        ui.label("Skeleton");
                        ui.label(format!(
                            "{} joints ({}, {:?}-up)",
                            s.joints.len(),
                            s.unit,
                            s.up_axis
                        ));
                        ui.end_row();
                    }
                    ui.label("Events");
                    ui.label(t.events.len().to_string());
                    ui.end_row();
                });
            }
        });
    egui::CollapsingHeader::new("Selection")
        .default_open(true)
        .show(ui, |ui| {
            let marker = v.session.take.as_ref().and_then(|t| t.markers.as_ref());
            match (marker, v.selection) {
                (Some(m), Some(k)) if k < m.marker_count() => {
                    let mut label = m.labels[k].clone();
                    ui.horizontal(|ui| {
                        ui.label("Label");
                        let r = ui.text_edit_singleline(&mut label);
                        if r.lost_focus() && label != m.labels[k] && !label.trim().is_empty() {
                            out.push(UiCommand::Edit(EditCommand::RenameMarker {
                                index: k,
                                label: label.trim().to_string(),
                            }));
                        }
                    });
                    let f = v.frame.min(m.frame_count().saturating_sub(1));
                    let s = m.sample(f, k);
                    if s.valid {
                        let fct = m.unit.factor_to(unit);
                        ui.label(format!(
                            "Position ({}, {:?}-up lab): {:.1}, {:.1}, {:.1} {}",
                            unit,
                            m.up_axis,
                            s.position[0] as f64 * fct,
                            s.position[1] as f64 * fct,
                            s.position[2] as f64 * fct,
                            unit
                        ));
                        ui.label(format!("Residual: {:.2} {}", s.residual as f64 * fct, unit));
                        if let Some(Some(w)) = v.marker_world.positions.get(k) {
                            ui.weak(format!(
                                "Viewport (m, Y-up): {:.3}, {:.3}, {:.3}",
                                w.x, w.y, w.z
                            ));
                        }
                    } else {
                        ui.colored_label(egui::Color32::from_rgb(235, 87, 87), "Gap at this frame");
                    }
                    if ui.button("Frame selection (F)").clicked() {
                        out.push(UiCommand::Camera(CameraCommand::Frame));
                    }
                }
                _ => match v.session.take.as_ref().zip(v.joint) {
                    Some((t, j)) => out.extend(joint_ui(ui, t, v.actor, j, v.frame, unit)),
                    None => {
                        ui.weak("Click a marker or joint in the viewport to select it.");
                    }
                },
            }
        });
    egui::CollapsingHeader::new("Display")
        .default_open(true)
        .show(ui, |ui| {
            let mut s = v.settings.clone();
            ui.checkbox(&mut s.show_markers, "Markers");
            ui.checkbox(&mut s.show_bones, "Bones");
            ui.checkbox(&mut s.show_mannequin, "Mannequin");
            ui.checkbox(&mut s.show_grid, "Grid");
            ui.horizontal(|ui| {
                ui.add(egui::Slider::new(&mut s.trail_frames, 0..=240).text("Trails ± frames"));
                ui.checkbox(&mut s.trail_all, "all markers")
                    .on_hover_text("Off: only the selected marker has a trail");
            });
            ui.checkbox(&mut s.show_hud, "HUD");
            ui.add(
                egui::Slider::new(&mut s.marker_radius_mm, 4.0..=40.0).text("Marker radius (mm)"),
            );
            egui::ComboBox::from_label("Display unit")
                .selected_text(s.display_unit.symbol())
                .show_ui(ui, |ui| {
                    for u in [
                        LengthUnit::Millimetre,
                        LengthUnit::Centimetre,
                        LengthUnit::Metre,
                        LengthUnit::Inch,
                    ] {
                        ui.selectable_value(&mut s.display_unit, u, u.symbol());
                    }
                });
            egui::ComboBox::from_label("Up axis for files without one")
                .selected_text(format!("{:?}", s.default_up_axis))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut s.default_up_axis, UpAxis::Y, "Y");
                    ui.selectable_value(&mut s.default_up_axis, UpAxis::Z, "Z");
                });
            let colour = |ui: &mut egui::Ui, label: &str, c: &mut [u8; 3]| {
                ui.horizontal(|ui| {
                    ui.color_edit_button_srgb(c);
                    ui.label(label);
                });
            };
            colour(ui, "Background", &mut s.colours.background);
            colour(ui, "Left markers", &mut s.colours.marker_left);
            colour(ui, "Right markers", &mut s.colours.marker_right);
            colour(ui, "Centre markers", &mut s.colours.marker_centre);
            colour(ui, "Bones", &mut s.colours.bones);
            if s != *v.settings {
                out.push(UiCommand::SetSettings(Box::new(s)));
            }
        });
    egui::CollapsingHeader::new("Hotkeys")
        .default_open(false)
        .show(ui, |ui| out.extend(hotkeys_ui(ui, v.settings)));
    out
}

/// Hotkey bindings: one editable line per action (comma-separated chords such as
/// `Ctrl+Shift+KeyZ`), conflicts in red, reset. Saved with the settings.
fn hotkeys_ui(ui: &mut egui::Ui, settings: &Settings) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let conflicts = settings.hotkeys.conflicts();
    egui::Grid::new("hotkeys_grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for action in Action::ALL {
                ui.label(action.label());
                let current = crate::hotkeys::format_chords(&settings.hotkeys.chords(action));
                let id = ui.id().with(("hotkey", action));
                let mut text = ui
                    .data_mut(|d| d.get_temp::<String>(id))
                    .unwrap_or_else(|| current.clone());
                let clash = conflicts.iter().any(|(_, a)| a.contains(&action));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .desired_width(150.0)
                        .font(egui::TextStyle::Monospace)
                        .text_color_opt(clash.then_some(egui::Color32::from_rgb(235, 87, 87))),
                );
                if r.changed() {
                    ui.data_mut(|d| d.insert_temp(id, text.clone()));
                }
                if r.lost_focus() {
                    ui.data_mut(|d| d.remove::<String>(id));
                    if text != current {
                        match crate::hotkeys::parse_chords(&text) {
                            Ok(chords) => {
                                let mut s = settings.clone();
                                s.hotkeys.set(action, chords);
                                out.push(UiCommand::SetSettings(Box::new(s)));
                            }
                            Err(e) => out.push(UiCommand::Report(format!(
                                "Hotkey for {} not changed: {e}",
                                action.label()
                            ))),
                        }
                    }
                }
                ui.end_row();
            }
        });
    for (chord, actions) in &conflicts {
        ui.colored_label(
            egui::Color32::from_rgb(235, 87, 87),
            format!(
                "{chord} is bound to {}: the first one wins",
                actions
                    .iter()
                    .map(|a| a.label())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
    if ui
        .add_enabled(
            settings.hotkeys != Hotkeys::default(),
            egui::Button::new("Reset hotkeys to defaults"),
        )
        .clicked()
    {
        let mut s = settings.clone();
        s.hotkeys = Hotkeys::default();
        out.push(UiCommand::SetSettings(Box::new(s)));
    }
    out
}

/// The selected joint: name, parent, channel values at the current frame (degrees; translations
/// in the display unit), limits, and its world position in the take's space.
fn joint_ui(
    ui: &mut egui::Ui,
    take: &crate::session::Take,
    actor: usize,
    j: usize,
    frame: usize,
    unit: mocap_data::LengthUnit,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let sk = match actor {
        0 => take.skeleton.as_ref(),
        _ => take.actors.get(actor - 1).map(|a| &a.skeleton),
    };
    let Some(sk) = sk else {
        return out;
    };
    let Some(joint) = sk.joints.get(j) else {
        return out;
    };
    let fct = sk.unit.factor_to(unit);
    egui::Grid::new("joint_grid").num_columns(2).show(ui, |ui| {
        if take.actor_count() > 1 {
            ui.label("Actor");
            ui.label(take.actor_name(actor));
            ui.end_row();
        }
        ui.label("Joint");
        ui.strong(&joint.name);
        ui.end_row();
        ui.label("Parent");
        match joint
            .parent
            .and_then(|p| sk.joints.get(p).map(|pj| (p, pj)))
        {
            Some((p, pj)) => {
                if ui.link(&pj.name).clicked() {
                    out.push(UiCommand::SelectJoint(actor, Some(p)));
                }
            }
            None => {
                ui.weak("(root)");
            }
        }
        ui.end_row();
        let children: Vec<usize> = sk.children(j).collect();
        if !children.is_empty() {
            ui.label("Children");
            ui.horizontal_wrapped(|ui| {
                for c in children {
                    if ui.link(&sk.joints[c].name).clicked() {
                        out.push(UiCommand::SelectJoint(actor, Some(c)));
                    }
                }
            });
            ui.end_row();
        }
        ui.label("Offset");
        ui.label(format!(
            "{:.1}, {:.1}, {:.1} {unit}",
            joint.offset.x * fct,
            joint.offset.y * fct,
            joint.offset.z * fct
        ));
        ui.end_row();
    });
    let motion = take
        .actor(actor)
        .map(|(_, m)| m)
        .filter(|m| m.frame_count() > 0 && m.channels_per_frame == sk.channel_count());
    let Some(motion) = motion else {
        ui.weak("No motion for this skeleton.");
        return out;
    };
    let f = crate::session::motion_frame(take.rate, frame, motion.rate, motion.frame_count());
    let values = motion.frame(f);
    let start = sk.channel_offsets()[j];
    if joint.channels.is_empty() {
        ui.weak("No channels (fixed joint).");
    }
    egui::Grid::new("joint_channels")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for (c, ch) in joint.channels.iter().enumerate() {
                let v = values.get(start + c).copied().unwrap_or(f32::NAN) as f64;
                ui.monospace(ch.name());
                if ch.is_rotation() {
                    ui.monospace(format!("{v:>9.2}°"));
                } else {
                    ui.monospace(format!("{:>9.1} {unit}", v * fct));
                }
                match joint.limits.get(c).copied().flatten() {
                    Some((lo, hi)) if ch.is_rotation() => ui.weak(format!("[{lo:.0}°, {hi:.0}°]")),
                    Some((lo, hi)) => ui.weak(format!("[{:.0}, {:.0}]", lo * fct, hi * fct)),
                    None => ui.weak(""),
                };
                ui.end_row();
            }
        });
    let pose = mocap_data::fk::pose(sk, values);
    if let Some(w) = pose.get(j) {
        let p = w.translation * fct;
        ui.label(format!(
            "World position ({unit}, {:?}-up): {:.1}, {:.1}, {:.1}",
            sk.up_axis, p.x, p.y, p.z
        ));
    }
    if ui.button("Frame selection (F)").clicked() {
        out.push(UiCommand::Camera(CameraCommand::Frame));
    }
    out
}

fn log_ui(ui: &mut egui::Ui, log: &AppLog) {
    egui::ScrollArea::vertical()
        .stick_to_bottom(true)
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for e in &log.entries {
                let (tag, colour) = match e.level {
                    LogLevel::Info => ("info ", ui.visuals().text_color()),
                    LogLevel::Warning => ("warn ", egui::Color32::from_rgb(240, 190, 60)),
                    LogLevel::Error => ("error", egui::Color32::from_rgb(235, 87, 87)),
                };
                ui.label(
                    egui::RichText::new(format!("{:>7.2}s {tag}  {}", e.at_s, e.text))
                        .monospace()
                        .color(colour),
                );
            }
        });
}

fn placeholder_ui(ui: &mut egui::Ui, what: &str) {
    ui.add_space(12.0);
    ui.vertical_centered(|ui| {
        ui.heading(what);
        ui.add_space(6.0);
        ui.weak(
            "Coming in a later issue: this tab is reserved in the layout but has no features yet.",
        );
    });
}

struct Viewer<'a> {
    timeline: TimelineView<'a>,
    hud: Option<HudView>,
    inspector: InspectorView<'a>,
    log: &'a AppLog,
    subtitles: Option<SubtitlesView<'a>>,
    takes: Option<TakesView<'a>>,
    cleanup: Option<CleanupView<'a>>,
    review: ReviewView<'a>,
    commands: Vec<UiCommand>,
    viewport_rect: Option<egui::Rect>,
    viewport_hovered: bool,
}

impl TabViewer for Viewer<'_> {
    type Tab = Tab;

    fn title(&mut self, tab: &mut Tab) -> egui::WidgetText {
        tab.title().into()
    }

    fn id(&mut self, tab: &mut Tab) -> egui::Id {
        egui::Id::new(("mocap-studio-tab", tab.title()))
    }

    fn ui(&mut self, ui: &mut egui::Ui, tab: &mut Tab) {
        match tab {
            Tab::Viewport => {
                let rect = ui.max_rect();
                let resp = ui.allocate_rect(rect, egui::Sense::hover());
                self.viewport_rect = Some(rect);
                self.viewport_hovered = resp.hovered();
                if let Some(h) = &self.hud {
                    hud_ui(ui, rect, h);
                }
            }
            Tab::Timeline => {
                let c = timeline_ui(ui, &self.timeline);
                self.commands.extend(c);
            }
            Tab::Inspector => {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    let c = inspector_ui(ui, &self.inspector);
                    self.commands.extend(c);
                });
            }
            Tab::Log => log_ui(ui, self.log),
            Tab::Takes => match &self.takes {
                Some(v) => {
                    let c = takes_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Take library"),
            },
            Tab::Review => {
                let c = review_ui(ui, &self.review);
                self.commands.extend(c);
            }
            Tab::Cleanup => match &self.cleanup {
                Some(v) => {
                    let c = cleanup_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Cleanup"),
            },
            Tab::Subtitles => match &self.subtitles {
                Some(v) => {
                    let c = subtitles_ui(ui, v);
                    self.commands.extend(c);
                }
                None => placeholder_ui(ui, "Subtitles"),
            },
        }
    }

    fn clear_background(&self, tab: &Tab) -> bool {
        *tab != Tab::Viewport
    }

    fn scroll_bars(&self, _tab: &Tab) -> [bool; 2] {
        // Every panel scrolls its own content (tables keep their headers in view).
        [false, false]
    }

    fn is_closeable(&self, tab: &Tab) -> bool {
        *tab != Tab::Viewport
    }
}

/// Every tab, in menu order.
pub const ALL_TABS: [Tab; 8] = [
    Tab::Viewport,
    Tab::Timeline,
    Tab::Inspector,
    Tab::Log,
    Tab::Takes,
    Tab::Review,
    Tab::Cleanup,
    Tab::Subtitles,
];

fn menu_bar(
    ui: &mut egui::Ui,
    settings: &Settings,
    undo: &UndoStack,
    open_tabs: &[Tab],
    has_character: bool,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("Open…  (Ctrl+O)").clicked() {
                out.push(UiCommand::OpenDialog);
            }
            if ui
                .add_enabled(has_character, egui::Button::new("Add actor…"))
                .on_hover_text(
                    "Add another performer (BVH, or AMC with its ASF beside it) to this take",
                )
                .clicked()
            {
                out.push(UiCommand::AddActorDialog);
            }
            ui.menu_button("Open recent", |ui| {
                if settings.recent_files.is_empty() {
                    ui.weak("No recent files");
                }
                for p in &settings.recent_files {
                    if ui.button(p.display().to_string()).clicked() {
                        out.push(UiCommand::Session(SessionCommand::Open(vec![p.clone()])));
                    }
                }
            });
            let can_export = has_character;
            if ui
                .add_enabled(can_export, egui::Button::new("Export BVH…"))
                .on_hover_text("One BVH per actor: the first in the file you name, others beside it as NAME_ACTOR.bvh")
                .on_disabled_hover_text("The take has no skeleton and motion")
                .clicked()
            {
                out.push(UiCommand::ExportBvhDialog);
            }
            if ui
                .add_enabled(can_export, egui::Button::new("Export GLB…"))
                .on_hover_text("One mannequin GLB per actor: the first in the file you name, others beside it as NAME_ACTOR.glb")
                .on_disabled_hover_text("The take has no skeleton and motion")
                .clicked()
            {
                out.push(UiCommand::ExportGlbDialog);
            }
            ui.separator();
            if ui.button("Take library…").clicked() {
                out.push(UiCommand::OpenLibraryDialog);
            }
            if let Some(p) = &settings.last_library
                && ui
                    .button(format!("Reopen library {}", p.display()))
                    .clicked()
            {
                out.push(UiCommand::Library(LibraryCommand::Open(p.clone())));
            }
            ui.separator();
            if ui.button("Demo take").clicked() {
                out.push(UiCommand::Session(SessionCommand::LoadDemo));
            }
            if ui.button("Close take").clicked() {
                out.push(UiCommand::Session(SessionCommand::Close));
            }
            ui.separator();
            if ui.button("Quit  (Ctrl+Q)").clicked() {
                out.push(UiCommand::Quit);
            }
        });
        ui.menu_button("Edit", |ui| {
            let undo_label = undo
                .undo_label()
                .map_or("Undo".to_string(), |l| format!("Undo {l}"));
            if ui
                .add_enabled(undo.undo_label().is_some(), egui::Button::new(undo_label))
                .on_hover_text("Ctrl+Z")
                .clicked()
            {
                out.push(UiCommand::History(HistoryCommand::Undo));
            }
            let redo_label = undo
                .redo_label()
                .map_or("Redo".to_string(), |l| format!("Redo {l}"));
            if ui
                .add_enabled(undo.redo_label().is_some(), egui::Button::new(redo_label))
                .on_hover_text("Ctrl+Shift+Z / Ctrl+Y")
                .clicked()
            {
                out.push(UiCommand::History(HistoryCommand::Redo));
            }
        });
        ui.menu_button("View", |ui| {
            for (label, p) in [
                ("Perspective  (Num 5)", ViewPreset::Perspective),
                ("Front  (Num 1)", ViewPreset::Front),
                ("Side  (Num 3)", ViewPreset::Side),
                ("Top  (Num 7)", ViewPreset::Top),
            ] {
                if ui.button(label).clicked() {
                    out.push(UiCommand::Camera(CameraCommand::View(p)));
                }
            }
            if ui.button("Frame selection / all  (F)").clicked() {
                out.push(UiCommand::Camera(CameraCommand::Frame));
            }
        });
        ui.menu_button("Window", |ui| {
            for tab in ALL_TABS {
                let open = open_tabs.contains(&tab);
                if ui
                    .add_enabled(!open, egui::Button::new(tab.title()))
                    .on_disabled_hover_text("Already open")
                    .clicked()
                {
                    out.push(UiCommand::OpenTab(tab));
                }
            }
            ui.separator();
            if ui.button("Reset layout").clicked() {
                out.push(UiCommand::ResetLayout);
            }
        });
    });
    out
}

#[derive(bevy::ecs::system::SystemParam)]
struct UiData<'w> {
    session: Res<'w, Session>,
    playback: Res<'w, Playback>,
    settings: Res<'w, Settings>,
    undo: Res<'w, UndoStack>,
    lanes: Res<'w, TimelineLanes>,
    log: Res<'w, AppLog>,
    selection: Res<'w, Selection>,
    marker_world: Res<'w, MarkerWorld>,
    grid_labels: Res<'w, crate::viewport::GridLabels>,
    stats: Res<'w, HudStats>,
    time: Res<'w, Time<Real>>,
    browser: Option<Res<'w, TakeBrowser>>,
    library: Option<Res<'w, OpenLibrary>>,
    cleanup: Option<Res<'w, Cleanup>>,
    subtitles: Option<Res<'w, SubtitleTracks>>,
    reference_audio: Option<Res<'w, ReferenceAudio>>,
    subtitle_settings: Option<Res<'w, SubtitleSettings>>,
}

fn ui_system(
    mut contexts: EguiContexts,
    data: UiData,
    mut note_focus: ResMut<NoteFocus>,
    mut layout: ResMut<DockLayout>,
    mut input: ResMut<ViewportInput>,
    mut scene_cam: Query<&mut Camera, With<SceneCamera>>,
    window: Query<&Window, With<PrimaryWindow>>,
    mut out: MessageWriter<UiCommand>,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let take = data.session.take.as_ref();
    let frame = data.playback.frame();
    let timecode = take
        .map(|t| {
            timecode_at(frame, t.rate, t.start_timecode, data.settings.display_rate).to_string()
        })
        .unwrap_or_else(|| "--:--:--:--".into());
    let subtitles = match (
        &data.subtitles,
        &data.reference_audio,
        &data.subtitle_settings,
    ) {
        (Some(tracks), Some(audio), Some(settings)) => Some(SubtitlesView {
            tracks,
            audio,
            settings,
            playhead_ms: (data.playback.position_s * 1000.0).round() as i64,
            rate: data.playback.rate,
        }),
        _ => None,
    };
    let timeline = TimelineView {
        frame,
        frame_count: data.playback.frame_count,
        rate: data.playback.rate,
        in_frame: take.and_then(|t| t.in_frame),
        out_frame: take.and_then(|t| t.out_frame),
        playing: data.playback.playing,
        speed: data.playback.speed,
        direction: data.playback.direction,
        looping: data.playback.looping,
        timecode: timecode.clone(),
        display_rate: data.settings.display_rate,
        show_frames: data.settings.show_frames,
        lanes: data.lanes.all(),
        start_timecode: take.map(|t| t.start_timecode),
        subtitles,
    };
    let hud = (data.settings.show_hud && take.is_some()).then(|| HudView {
        frame: (frame, data.playback.frame_count.saturating_sub(1)),
        timecode: format!("{timecode} @{}", data.settings.display_rate.label()),
        playback: format!(
            "take {} Hz × {:.2}{}  ·  playback {:.1} fps",
            data.playback.rate,
            data.playback.speed,
            if data.playback.direction < 0.0 {
                " ◀"
            } else {
                ""
            },
            if data.playback.playing {
                data.playback.measured_fps
            } else {
                0.0
            }
        ),
        render: format!(
            "render {:.1} fps  ·  CPU frame {:.1} ms",
            data.stats.render_fps, data.stats.frame_ms
        ),
        take: take.map(|t| t.name.clone()).unwrap_or_default(),
        grid_labels: data
            .grid_labels
            .labels
            .iter()
            .map(|(p, t)| (egui::vec2(p.x, p.y), t.clone()))
            .collect(),
    });
    let mut viewer = Viewer {
        timeline,
        hud,
        inspector: InspectorView {
            session: &data.session,
            selection: data.selection.marker,
            joint: data.selection.joint,
            actor: data.selection.actor,
            frame,
            settings: &data.settings,
            marker_world: &data.marker_world,
        },
        log: &data.log,
        subtitles,
        takes: data.browser.as_ref().map(|b| TakesView {
            path: b.path.as_deref(),
            rows: &b.rows,
            total: b.total,
            scenes: &b.scenes,
            sessions: &b.sessions,
            filter: &b.filter,
            sort: b.sort,
            selected: b.selected,
            active: b.active.as_ref().map(|a| a.summary.id),
            error: b.error.as_deref(),
            author: &b.author,
        }),
        cleanup: data.cleanup.as_ref().map(|c| CleanupView {
            stack: take.filter(|t| t.markers.is_some()).map(|t| &t.cleanup),
            saved: take.is_some_and(|t| c.saved.as_ref() == Some(&t.cleanup))
                || take.is_some_and(|t| c.saved.is_none() && t.cleanup.entries.is_empty()),
            source: c.source.as_deref(),
            rows: &c.rows,
            sort: c.sort,
            selected_entry: c.selected_entry,
            outcomes: &c.outcomes,
            last_eval: c.last_eval,
            marker: data.selection.marker,
            swaps: c.swaps.as_deref(),
            motion: c.motion.view(),
            joint: take.and_then(|t| {
                let j = data.selection.joint?;
                let (skeleton, after) = t.actor(data.selection.actor)?;
                let before = t
                    .solved
                    .as_ref()
                    .filter(|s| {
                        data.selection.actor == 0
                            && s.motion.channels_per_frame == skeleton.channel_count()
                    })
                    .map(|s| &s.motion);
                Some(crate::cleanup_ui::JointCurves {
                    name: &skeleton.joints.get(j)?.name,
                    skeleton,
                    index: j,
                    after,
                    before,
                    take_rate: t.rate,
                    take_frames: t.frame_count,
                })
            }),
            raw: c.raw().or_else(|| take.and_then(|t| t.markers.as_ref())),
            result: take.and_then(|t| t.markers.as_ref()),
            frame,
            io: take
                .filter(|t| t.in_frame.is_some() || t.out_frame.is_some())
                .map(|t| {
                    let (a, b) = t.range();
                    mocap_solver::gaps::FrameRange::new(a, b + 1)
                }),
        }),
        review: ReviewView {
            take: data.browser.as_ref().and_then(|b| b.active.as_ref()),
            has_library: data
                .library
                .as_ref()
                .is_some_and(|l| l.with(|_| ()).is_some()),
            frame,
            range: take
                .filter(|t| t.in_frame.is_some() || t.out_frame.is_some())
                .map(|t| t.range()),
            rate: data.playback.rate,
            start_timecode: take.map(|t| t.start_timecode).unwrap_or_else(|| {
                Timecode::from_frame_count(0, data.settings.display_rate.format())
            }),
            display_rate: data.settings.display_rate,
            author: data
                .browser
                .as_ref()
                .map_or("studio", |b| b.author.as_str()),
            focus_note: std::mem::take(&mut note_focus.0),
        },
        commands: Vec::new(),
        viewport_rect: None,
        viewport_hovered: false,
    };

    let mut root = egui::Ui::new(
        ctx.clone(),
        "studio-root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let mut commands = Vec::new();
    let open_tabs: Vec<Tab> = layout.0.iter_all_tabs().map(|(_, t)| *t).collect();
    egui::Panel::top("menu_bar").show(&mut root, |ui| {
        let has_character = take.is_some_and(|t| t.skeleton.is_some() && t.motion.is_some());
        commands.extend(menu_bar(
            ui,
            &data.settings,
            &data.undo,
            &open_tabs,
            has_character,
        ));
    });
    egui::CentralPanel::no_frame().show(&mut root, |ui| {
        DockArea::new(&mut layout.0)
            .style(Style::from_egui(ui.style()))
            .show_leaf_collapse_buttons(false)
            .show_inside(ui, &mut viewer);
    });
    commands.append(&mut viewer.commands);
    warm_glyphs(&ctx);
    toasts(&ctx, &data.log, data.time.elapsed_secs_f64());

    // Put the 3D camera's viewport on the Viewport tab (physical pixels).
    let ppp = ctx.pixels_per_point();
    let window_size = window
        .single()
        .map(|w| w.physical_size())
        .unwrap_or(UVec2::ONE);
    if let Ok(mut cam) = scene_cam.single_mut() {
        match viewer.viewport_rect {
            // A minimised (zero-sized) window has no room for a viewport: render nothing.
            Some(r)
                if r.width() >= 2.0
                    && r.height() >= 2.0
                    && window_size.x >= 2
                    && window_size.y >= 2 =>
            {
                let min = UVec2::new(
                    (r.min.x * ppp).max(0.0) as u32,
                    (r.min.y * ppp).max(0.0) as u32,
                )
                .min(window_size.saturating_sub(UVec2::ONE));
                let size = UVec2::new((r.width() * ppp) as u32, (r.height() * ppp) as u32)
                    .min(window_size - min)
                    .max(UVec2::ONE);
                cam.is_active = true;
                cam.viewport = Some(Viewport {
                    physical_position: min,
                    physical_size: size,
                    ..default()
                });
            }
            _ => cam.is_active = false,
        }
    }
    input.rect = viewer
        .viewport_rect
        .map(|r| Rect::new(r.min.x, r.min.y, r.max.x, r.max.y));
    input.hovered = viewer.viewport_hovered && !ctx.egui_is_using_pointer();
    input.keyboard_captured = ctx.egui_wants_keyboard_input();
    for c in commands {
        out.write(c);
    }
    Ok(())
}

/// Lays out every glyph the HUD and timeline counters use, every frame.
///
/// egui rasterises a glyph into its font atlas the first time it is laid out and the atlas
/// upload reaches the GPU a frame later, so a digit seen for the first time would be missing for
/// one frame (visible in screenshots of changing counters). Laying them out up front avoids that;
/// egui caches the layouts, so repeating it each frame costs a hash lookup, and it also covers
/// atlas rebuilds (scale factor changes).
fn warm_glyphs(ctx: &egui::Context) {
    // egui positions glyphs at sub-pixel offsets and rasterises each offset bin separately, so
    // lay the digits out at every column offset of a monospace row (and shifted proportional
    // rows), not just once.
    const GLYPHS: &str = "0123456789:;.,/×-–—@#%()[] fpsmsHzframeplaybackrenderCPUtake◀▶⏸⏴⏵⏮⏭🔁";
    let text: String = (0..12)
        .map(|shift| {
            format!(
                "{}{GLYPHS}\n{}{GLYPHS}",
                "0".repeat(shift),
                ".".repeat(shift)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut fonts: Vec<egui::FontId> = ctx.global_style().text_styles.values().cloned().collect();
    for size in [10.0, 11.0, 12.0, 15.0, 16.0] {
        fonts.push(egui::FontId::monospace(size));
        fonts.push(egui::FontId::proportional(size));
    }
    ctx.fonts_mut(|f| {
        for font in fonts {
            let _ = f.layout_no_wrap(text.clone(), font, egui::Color32::WHITE);
        }
    });
}

/// Recent errors and warnings as toasts in the bottom-right corner (6 s).
fn toasts(ctx: &egui::Context, log: &AppLog, now: f64) {
    let recent: Vec<_> = log
        .entries
        .iter()
        .rev()
        .filter(|e| e.level != LogLevel::Info && now - e.at_s < 6.0)
        .take(4)
        .collect();
    if recent.is_empty() {
        return;
    }
    egui::Area::new(egui::Id::new("toasts"))
        .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-16.0, -16.0))
        .order(egui::Order::Foreground)
        .show(ctx, |ui| {
            for e in recent {
                let colour = if e.level == LogLevel::Error {
                    egui::Color32::from_rgb(150, 40, 40)
                } else {
                    egui::Color32::from_rgb(140, 100, 20)
                };
                egui::Frame::new()
                    .fill(colour)
                    .corner_radius(6.0)
                    .inner_margin(10.0)
                    .show(ui, |ui| {
                        ui.set_max_width(420.0);
                        ui.colored_label(egui::Color32::WHITE, &e.text);
                    });
                ui.add_space(6.0);
            }
        });
    ctx.request_repaint();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortcuts_map_to_commands() {
        use PlaybackCommand as P;
        assert_eq!(
            shortcut_for(KeyCode::Space, false, false),
            Some(UiCommand::Playback(P::TogglePlay))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyL, false, false),
            Some(UiCommand::Playback(P::ShuttleForward))
        );
        assert_eq!(
            shortcut_for(KeyCode::ArrowLeft, false, true),
            Some(UiCommand::Playback(P::Step(-10)))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyZ, true, false),
            Some(UiCommand::History(HistoryCommand::Undo))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyZ, true, true),
            Some(UiCommand::History(HistoryCommand::Redo))
        );
        assert_eq!(
            shortcut_for(KeyCode::KeyY, true, false),
            Some(UiCommand::History(HistoryCommand::Redo))
        );
        assert_eq!(shortcut_for(KeyCode::KeyZ, false, false), None);
    }

    #[test]
    fn default_layout_has_every_tab_once() {
        let d = default_layout();
        let tabs: Vec<Tab> = d.iter_all_tabs().map(|(_, t)| *t).collect();
        for t in [
            Tab::Viewport,
            Tab::Timeline,
            Tab::Takes,
            Tab::Review,
            Tab::Cleanup,
            Tab::Subtitles,
            Tab::Inspector,
            Tab::Log,
        ] {
            assert_eq!(tabs.iter().filter(|x| **x == t).count(), 1, "{t:?}");
        }
        // The layout survives the save/load round trip (persistence between runs), including
        // its not-yet-laid-out (infinite) rectangles.
        let dir = std::env::temp_dir().join(format!("mocap-studio-layout-{}", std::process::id()));
        save_json(&dir, LAYOUT_FILE, &d).unwrap();
        let back: DockState<Tab> = load_json(&dir, LAYOUT_FILE).unwrap().unwrap();
        let back_tabs: Vec<Tab> = back.iter_all_tabs().map(|(_, t)| *t).collect();
        assert_eq!(back_tabs, tabs);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
