//! Undoable edits of the take and the undo/redo stack.
//!
//! Every command that edits data is an [`EditCommand`]; applying it records its inverse on the
//! [`UndoStack`] (Ctrl+Z undoes, Ctrl+Shift+Z / Ctrl+Y redo). Playback and camera commands are
//! not edits and are not recorded.

use crate::model::edit::{EditCommand, HistoryCommand};
use bevy::prelude::*;

use crate::model::library::OpenLibrary;
use crate::model::library::TakeBrowser;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::session::Session;
use crate::session::SessionSet;

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
            .configure_sets(PreUpdate, HistorySet.after(SessionSet))
            .add_systems(PreUpdate, apply_edits.in_set(HistorySet));
    }
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
    mut subtitles: Option<ResMut<crate::model::subtitles::SubtitleTracks>>,
    mut bone_maps: Option<ResMut<crate::model::bonemap::CharacterBoneMaps>>,
    mut face_maps: Option<ResMut<crate::model::facemap::CharacterFaceMaps>>,
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
            } else if edit.is_face_map() {
                match face_maps.as_mut() {
                    Some(m) => edit.apply_to_face_maps(m),
                    None => Err("no characters with faces are loaded".into()),
                }
            } else if edit.is_bone_map() {
                match bone_maps.as_mut() {
                    Some(m) => edit.apply_to_bone_maps(m),
                    None => Err("no characters are loaded".into()),
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
                    generation: (!edit.is_library()
                        && !edit.is_subtitle()
                        && !edit.is_bone_map()
                        && !edit.is_face_map())
                    .then_some(generation),
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
    use crate::model::session::{SessionCommand, Take};
    use crate::session::SessionPlugin;

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
