//! Undoable edits of the take and the undo/redo stack.
//!
//! Every command that edits data is an [`EditCommand`]; applying it records its inverse on the
//! [`UndoStack`] (Ctrl+Z undoes, Ctrl+Shift+Z / Ctrl+Y redo). Playback and camera commands are
//! not edits and are not recorded.

use bevy::prelude::*;
use mocap_data::{FrameIndex, Timecode};

use crate::session::{AppLog, LogLevel, Session, SessionSet, Take};
use crate::takes::{OpenLibrary, TakeBrowser};

/// Systems that apply edits and history commands (after [`SessionSet`]).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct HistorySet;

/// Owns the [`UndoStack`] and applies [`EditCommand`] / [`HistoryCommand`] messages.
pub struct HistoryPlugin;

impl Plugin for HistoryPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<UndoStack>()
            .add_message::<EditCommand>()
            .add_message::<HistoryCommand>()
            // Edits (in/out points) reach the clock in the frame they are made.
            .configure_sets(
                PreUpdate,
                HistorySet
                    .after(SessionSet)
                    .before(crate::playback::PlaybackSet),
            )
            .add_systems(PreUpdate, apply_edits.in_set(HistorySet));
    }
}

/// An edit of the active take. Each variant carries the new value; its inverse is computed when
/// it is applied.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum EditCommand {
    /// Set or clear the in point (first frame of the working range).
    SetInPoint(Option<FrameIndex>),
    /// Set or clear the out point (last frame of the working range, inclusive).
    SetOutPoint(Option<FrameIndex>),
    /// Change the timecode of frame 0.
    SetStartTimecode(Timecode),
    /// An edit of the take library (status, notes, metadata); applied to the open library by
    /// [`apply_edits`], recorded in its ledger. Undo applies the library's inverse command.
    Library(take_library::Command),
    /// Replace the take's clean-up operation stack (add, remove, toggle, reorder or edit an
    /// operation). `merge` groups a run of edits (dragging a slider) into one undo step: an edit
    /// with the same key as the previous one replaces it instead of stacking.
    SetCleanupStack {
        /// The new stack.
        stack: Box<mocap_solver::stack::OpStack>,
        /// What changed, for the Edit menu ("Add FillGaps", "Edit Lowpass").
        what: String,
        /// Merge key (e.g. the entry index of a parameter being dragged); `None`: never merged.
        merge: Option<u64>,
    },
    /// Replace the take's re-solved motion (the clean-up stack's solve result; `None`: back to
    /// the motion the take was opened with). One edit for a whole re-solve.
    SetSolvedMotion {
        /// The new solve result.
        solved: Option<std::sync::Arc<mocap_solver::resolve::SolvedMotion>>,
        /// What changed, for the Edit menu.
        what: String,
    },
    /// Rename marker `index`.
    RenameMarker {
        /// Marker index in the take's trajectories.
        index: usize,
        /// The new label.
        label: String,
    },
    /// A change of the `lang` subtitle track ([`crate::subtitles::SubtitleTracks`]), applied
    /// (`undo` false) or reverted (`undo` true); its inverse is the same change with `undo`
    /// flipped. Not bound to the take: subtitles outlive a take reload.
    Subtitle {
        /// Language of the track.
        lang: String,
        /// The recorded cue edit or QC fixes.
        change: crate::subtitles::SubtitleChange,
        /// Revert instead of apply.
        undo: bool,
    },
}

impl EditCommand {
    /// Short description for the Edit menu ("Undo Set in point").
    pub fn describe(&self) -> String {
        match self {
            Self::SetInPoint(Some(f)) => format!("Set in point to {f}"),
            Self::SetInPoint(None) => "Clear in point".into(),
            Self::SetOutPoint(Some(f)) => format!("Set out point to {f}"),
            Self::SetOutPoint(None) => "Clear out point".into(),
            Self::SetStartTimecode(tc) => format!("Set start timecode to {tc}"),
            Self::RenameMarker { label, .. } => format!("Rename marker to {label}"),
            Self::Library(c) => describe_library(c),
            Self::SetCleanupStack { what, .. } | Self::SetSolvedMotion { what, .. } => what.clone(),
            Self::Subtitle { lang, change, undo } => {
                format!(
                    "{}{} ({lang})",
                    if *undo { "Revert " } else { "" },
                    change.describe()
                )
            }
        }
    }

    /// Whether the edit changes the subtitle tracks rather than the loaded take.
    pub fn is_subtitle(&self) -> bool {
        matches!(self, Self::Subtitle { .. })
    }

    /// Applies a subtitle edit; returns the edit that undoes it.
    pub fn apply_to_subtitles(
        &self,
        tracks: &mut crate::subtitles::SubtitleTracks,
    ) -> Result<EditCommand, String> {
        match self {
            Self::Subtitle { lang, change, undo } => {
                tracks.apply_change(lang, change, *undo)?;
                Ok(Self::Subtitle {
                    lang: lang.clone(),
                    change: change.clone(),
                    undo: !*undo,
                })
            }
            _ => Err("not a subtitle edit".into()),
        }
    }

    /// Whether the edit changes the take library rather than the loaded take.
    pub fn is_library(&self) -> bool {
        matches!(self, Self::Library(_))
    }

    /// What Redo re-applies after this edit was undone with `undo_result` (what applying the
    /// inverse returned). Usually the edit itself; a note that was added and then retracted is
    /// brought back (the same note) rather than added a second time.
    pub fn redo_after_undo(&self, undo_result: EditCommand) -> EditCommand {
        match (self, &undo_result) {
            (
                Self::Library(take_library::Command::AddNote(_)),
                Self::Library(take_library::Command::SetNoteRetracted { .. }),
            ) => undo_result,
            _ => self.clone(),
        }
    }

    /// Applies a library edit; returns the edit that undoes it.
    pub fn apply_to_library(
        &self,
        library: &mut take_library::Library,
    ) -> Result<EditCommand, String> {
        match self {
            Self::Library(c) => library
                .execute(c, crate::takes::signing_key())
                .map(Self::Library)
                .map_err(|e| e.to_string()),
            _ => Err("not a library edit".into()),
        }
    }

    /// Applies the edit to `take`; returns the edit that undoes it.
    pub fn apply(&self, take: &mut Take) -> Result<EditCommand, String> {
        let last = take.frame_count.saturating_sub(1);
        Ok(match self {
            Self::Library(_) => return Err("a library edit needs the take library".into()),
            Self::SetCleanupStack { stack, what, merge } => {
                if take.markers.is_none() {
                    return Err("the take has no markers to clean".into());
                }
                let before = std::mem::replace(&mut take.cleanup, (**stack).clone());
                Self::SetCleanupStack {
                    stack: Box::new(before),
                    what: what.clone(),
                    merge: *merge,
                }
            }
            Self::SetSolvedMotion { solved, what } => {
                if take.markers.is_none() {
                    return Err("the take has no markers to solve".into());
                }
                let before = std::mem::replace(&mut take.solved, solved.clone());
                Self::SetSolvedMotion {
                    solved: before,
                    what: what.clone(),
                }
            }
            Self::Subtitle { .. } => return Err("a subtitle edit needs the subtitle tracks".into()),
            Self::SetInPoint(f) => {
                let before = take.in_frame;
                take.in_frame = f.map(|f| f.min(last));
                Self::SetInPoint(before)
            }
            Self::SetOutPoint(f) => {
                let before = take.out_frame;
                take.out_frame = f.map(|f| f.min(last));
                Self::SetOutPoint(before)
            }
            Self::SetStartTimecode(tc) => {
                let before = take.start_timecode;
                take.start_timecode = *tc;
                Self::SetStartTimecode(before)
            }
            Self::RenameMarker { index, label } => {
                let markers = take.markers.as_mut().ok_or("the take has no markers")?;
                let slot = markers
                    .labels
                    .get_mut(*index)
                    .ok_or_else(|| format!("no marker {index}"))?;
                let before = std::mem::replace(slot, label.clone());
                Self::RenameMarker {
                    index: *index,
                    label: before,
                }
            }
        })
    }
}

fn describe_library(c: &take_library::Command) -> String {
    use take_library::Command as C;
    match c {
        C::SetStatus { status, .. } => format!("Set status to {status}"),
        C::SetNoteResolved { resolved: true, .. } => "Resolve note".into(),
        C::SetNoteResolved {
            resolved: false, ..
        } => "Reopen note".into(),
        C::AddNote(n) if n.reply_to.is_some() => "Reply".into(),
        C::AddNote(n) => match (n.frame_start, n.frame_end) {
            (Some(a), Some(b)) if b > a => format!("Add note at {a}–{b}"),
            (Some(a), _) => format!("Add note at {a}"),
            _ => "Add note".into(),
        },
        C::SetNoteRetracted {
            retracted: true, ..
        } => "Remove note".into(),
        C::SetNoteRetracted {
            retracted: false, ..
        } => "Restore note".into(),
        C::SetMetadata { .. } => "Edit take details".into(),
    }
}

/// Undo / redo requests.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryCommand {
    /// Revert the last edit.
    Undo,
    /// Re-apply the last undone edit.
    Redo,
}

/// One applied edit: what was done and how to revert it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The edit as applied.
    pub forward: EditCommand,
    /// The edit that reverts it.
    pub inverse: EditCommand,
    /// The session generation it applies to (edits of a replaced take are dropped); `None` for
    /// library edits, which outlive the loaded take.
    pub generation: Option<u64>,
}

/// Undo and redo stacks.
#[derive(Resource, Debug, Default)]
pub struct UndoStack {
    /// Applied edits, oldest first.
    pub done: Vec<HistoryEntry>,
    /// Undone edits, most recently undone last.
    pub undone: Vec<HistoryEntry>,
}

impl UndoStack {
    /// Description of what Undo would revert.
    pub fn undo_label(&self) -> Option<String> {
        self.done.last().map(|e| e.forward.describe())
    }
    /// Description of what Redo would re-apply.
    pub fn redo_label(&self) -> Option<String> {
        self.undone.last().map(|e| e.forward.describe())
    }
}

fn apply_edits(
    mut edits: MessageReader<EditCommand>,
    mut history: MessageReader<HistoryCommand>,
    mut session: ResMut<Session>,
    mut stack: ResMut<UndoStack>,
    library: Option<Res<OpenLibrary>>,
    browser: Option<ResMut<TakeBrowser>>,
    mut subtitles: Option<ResMut<crate::subtitles::SubtitleTracks>>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let generation = session.generation;
    // A new take invalidates the history of the old one (library edits stay undoable).
    let stale = |e: &HistoryEntry| e.generation.is_some_and(|g| g != generation);
    stack.done.retain(|e| !stale(e));
    stack.undone.retain(|e| !stale(e));
    let now = time.elapsed_secs_f64();
    let mut library_changed = false;
    let mut run =
        |edit: &EditCommand, session: &mut ResMut<Session>| -> Result<EditCommand, String> {
            if edit.is_library() {
                library_changed = true;
                library
                    .as_ref()
                    .and_then(|l| l.with(|lib| edit.apply_to_library(lib)))
                    .unwrap_or_else(|| Err("no take library is open".into()))
            } else if edit.is_subtitle() {
                match subtitles.as_mut() {
                    Some(s) => edit.apply_to_subtitles(s),
                    None => Err("no subtitle tracks".into()),
                }
            } else {
                match session.take.as_mut() {
                    Some(take) => edit.apply(take),
                    None => Err("no take is loaded".into()),
                }
            }
        };
    let edits: Vec<EditCommand> = edits.read().cloned().collect();
    for edit in edits {
        match run(&edit, &mut session) {
            Ok(inverse) => {
                // A continuing drag: keep the first inverse, replace the forward edit.
                if let (
                    EditCommand::SetCleanupStack {
                        merge: Some(key), ..
                    },
                    Some(last),
                ) = (&edit, stack.done.last_mut())
                    && matches!(&last.forward, EditCommand::SetCleanupStack { merge: Some(k), .. } if k == key)
                    && last.generation == Some(generation)
                {
                    last.forward = edit;
                    stack.undone.clear();
                    continue;
                }
                stack.done.push(HistoryEntry {
                    generation: (!edit.is_library() && !edit.is_subtitle()).then_some(generation),
                    forward: edit,
                    inverse,
                });
                stack.undone.clear();
            }
            Err(e) => log.push(LogLevel::Error, format!("{}: {e}", edit.describe()), now),
        }
    }
    let requests: Vec<HistoryCommand> = history.read().copied().collect();
    for cmd in requests {
        match cmd {
            HistoryCommand::Undo => {
                let Some(mut entry) = stack.done.pop() else {
                    continue;
                };
                match run(&entry.inverse, &mut session) {
                    Ok(redo) => {
                        entry.forward = entry.forward.redo_after_undo(redo);
                        stack.undone.push(entry);
                    }
                    Err(e) => log.push(LogLevel::Error, format!("Undo failed: {e}"), now),
                }
            }
            HistoryCommand::Redo => {
                let Some(mut entry) = stack.undone.pop() else {
                    continue;
                };
                match run(&entry.forward, &mut session) {
                    Ok(inverse) => {
                        if entry.forward.is_library() {
                            entry.inverse = inverse;
                        }
                        stack.done.push(entry);
                    }
                    Err(e) => log.push(LogLevel::Error, format!("Redo failed: {e}"), now),
                }
            }
        }
    }
    if library_changed && let Some(mut b) = browser {
        b.mark_dirty();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{SessionCommand, SessionPlugin};

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins)
            .add_plugins((SessionPlugin, HistoryPlugin));
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        app
    }

    fn take(app: &App) -> &Take {
        app.world().resource::<Session>().take.as_ref().unwrap()
    }

    #[test]
    fn edits_undo_and_redo() {
        let mut app = app();
        app.world_mut()
            .write_message(EditCommand::SetInPoint(Some(100)));
        app.update();
        app.world_mut()
            .write_message(EditCommand::SetOutPoint(Some(5000)));
        app.update();
        assert_eq!(take(&app).range(), (100, 1199), "out clamped to the take");
        app.world_mut().write_message(HistoryCommand::Undo);
        app.update();
        assert_eq!(take(&app).out_frame, None);
        assert_eq!(take(&app).in_frame, Some(100));
        app.world_mut().write_message(HistoryCommand::Undo);
        app.update();
        assert_eq!(take(&app).in_frame, None);
        // Undo with an empty stack is a no-op.
        app.world_mut().write_message(HistoryCommand::Undo);
        app.update();
        app.world_mut().write_message(HistoryCommand::Redo);
        app.update();
        assert_eq!(take(&app).in_frame, Some(100));
        let stack = app.world().resource::<UndoStack>();
        assert_eq!(stack.undo_label().as_deref(), Some("Set in point to 100"));
        assert_eq!(stack.redo_label().as_deref(), Some("Set out point to 5000"));
        // A new edit clears the redo stack.
        app.world_mut().write_message(EditCommand::RenameMarker {
            index: 0,
            label: "NECK".into(),
        });
        app.update();
        assert!(app.world().resource::<UndoStack>().undone.is_empty());
        let labels = &take(&app).markers.as_ref().unwrap().labels;
        assert_eq!(labels[0], "NECK");
        app.world_mut().write_message(HistoryCommand::Undo);
        app.update();
        assert_eq!(take(&app).markers.as_ref().unwrap().labels[0], "C7");
    }

    #[test]
    fn failed_edit_is_logged_not_recorded() {
        let mut app = app();
        app.world_mut().write_message(EditCommand::RenameMarker {
            index: 999,
            label: "X".into(),
        });
        app.update();
        assert!(app.world().resource::<UndoStack>().done.is_empty());
        let log = app.world().resource::<AppLog>();
        assert!(log.entries.iter().any(|e| e.level == LogLevel::Error));
    }

    #[test]
    fn loading_a_new_take_clears_history() {
        let mut app = app();
        app.world_mut()
            .write_message(EditCommand::SetInPoint(Some(10)));
        app.update();
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        app.world_mut().write_message(HistoryCommand::Undo);
        app.update();
        assert_eq!(take(&app).in_frame, None);
        assert!(app.world().resource::<UndoStack>().done.is_empty());
    }
}
