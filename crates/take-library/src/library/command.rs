//! Undoable edits: [`Command`] and [`Library::execute`].

use super::Library;
use super::input::*;
use crate::error::Result;
use crate::keys::UserKey;
use crate::model::*;

/// An undoable edit. [`Library::execute`] returns the command that undoes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Set a take's status (a ledger event).
    SetStatus {
        /// The take.
        take_id: i64,
        /// New status.
        status: TakeStatus,
        /// Who.
        author: String,
        /// Why.
        comment: Option<String>,
    },
    /// Mark a note resolved or open again (a ledger event).
    SetNoteResolved {
        /// The note.
        note_id: i64,
        /// New flag.
        resolved: bool,
        /// Who.
        author: String,
    },
    /// Add a note (a ledger event); undone by [`Command::SetNoteRetracted`].
    AddNote(NewNote),
    /// Retract a note (hide it from the take; the row and its ledger history stay) or bring a
    /// retracted note back (a ledger event).
    SetNoteRetracted {
        /// The note.
        note_id: i64,
        /// New flag.
        retracted: bool,
        /// Who.
        author: String,
    },
    /// Replace a take's descriptive fields.
    SetMetadata {
        /// The take.
        take_id: i64,
        /// New values.
        metadata: TakeMetadata,
    },
}

impl Library {
    /// Applies an undoable command and returns the command that undoes it.
    pub fn execute(&mut self, command: &Command, key: Option<&UserKey>) -> Result<Command> {
        Ok(match command {
            Command::SetStatus {
                take_id,
                status,
                author,
                comment,
            } => {
                let (previous, _) =
                    self.set_status(*take_id, *status, author, comment.as_deref(), key)?;
                Command::SetStatus {
                    take_id: *take_id,
                    status: previous,
                    author: author.clone(),
                    comment: Some(format!("undo of status {status}")),
                }
            }
            Command::SetNoteResolved {
                note_id,
                resolved,
                author,
            } => {
                let previous = self.set_note_resolved(*note_id, *resolved, author, key)?;
                Command::SetNoteResolved {
                    note_id: *note_id,
                    resolved: previous,
                    author: author.clone(),
                }
            }
            Command::AddNote(note) => {
                let (stored, _) = self.add_note(note, key)?;
                Command::SetNoteRetracted {
                    note_id: stored.id,
                    retracted: true,
                    author: note.author.clone(),
                }
            }
            Command::SetNoteRetracted {
                note_id,
                retracted,
                author,
            } => {
                let previous = self.set_note_retracted(*note_id, *retracted, author, key)?;
                Command::SetNoteRetracted {
                    note_id: *note_id,
                    retracted: previous,
                    author: author.clone(),
                }
            }
            Command::SetMetadata { take_id, metadata } => {
                let previous = self.set_metadata(*take_id, metadata)?;
                Command::SetMetadata {
                    take_id: *take_id,
                    metadata: previous,
                }
            }
        })
    }
}
