//! Review edits recorded in the ledger: statuses and frame-anchored notes.

use super::Library;
use super::{input::*, takes::*};
use crate::db::{Row, p};
use crate::error::{LibraryError, Result};
use crate::keys::UserKey;
use crate::ledger::{self, LedgerEvent};
use crate::model::*;
use crate::util::now_utc_ms;
use serde_json::json;

/// A boolean column of a note that is changed through the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoteFlag {
    Resolved,
    Retracted,
}

pub(super) fn note_from_row(r: &Row) -> Result<Note> {
    Ok(Note {
        id: r.get(0)?,
        take_id: r.get(1)?,
        reply_to: r.get(2)?,
        frame_start: u64::try_from(r.get::<i64>(3)?).unwrap_or(0),
        frame_end: u64::try_from(r.get::<i64>(4)?).unwrap_or(0),
        author: r.get(5)?,
        created_utc_ms: r.get(6)?,
        text: r.get(7)?,
        resolved: r.get(8)?,
    })
}

pub(super) const NOTE_COLUMNS: &str =
    "id, take_id, reply_to, frame_start, frame_end, author, created_utc_ms, text, resolved";

impl Library {
    /// Sets a take's status, recording a ledger event in the same transaction. Returns the event
    /// and the previous status.
    pub fn set_status(
        &mut self,
        take_id: i64,
        status: TakeStatus,
        author: &str,
        comment: Option<&str>,
        key: Option<&UserKey>,
    ) -> Result<(TakeStatus, LedgerEvent)> {
        self.write(|c| {
            let previous: String = c
                .opt("SELECT status FROM take WHERE id = ?1", p![take_id])?
                .ok_or_else(|| LibraryError::NoSuchTake(take_id.to_string()))?;
            let previous = TakeStatus::parse(&previous).map_err(|_| {
                LibraryError::Corrupt(format!("take {take_id} has status `{previous}`"))
            })?;
            let role = crate::roles::check_status(c, author, status)?;
            c.execute(
                "UPDATE take SET status = ?1 WHERE id = ?2",
                p![status.as_str(), take_id],
            )?;
            let mut body = json!({
                "type": "status",
                "from": previous.as_str(),
                "to": status.as_str(),
                "comment": comment,
            });
            if let Some(role) = role {
                body["role"] = json!(role);
            }
            let event = ledger::append(c, Some(take_id), author, &body, key)?;
            Ok((previous, event))
        })
    }

    /// Adds a note (a ledger event in the same transaction).
    pub fn add_note(
        &mut self,
        note: &NewNote,
        key: Option<&UserKey>,
    ) -> Result<(Note, LedgerEvent)> {
        if note.text.trim().is_empty() {
            return Err(LibraryError::invalid("note", "the text is empty"));
        }
        // Only appends (a note row, then its event): PostgreSQL takes the write lock at the event.
        self.store.write_appending(|c| {
            let duration: Option<i64> = c
                .query_opt("SELECT duration_frames FROM take WHERE id = ?1", p![note.take_id], |r| r.get(0))?
                .ok_or_else(|| LibraryError::NoSuchTake(note.take_id.to_string()))?;
            let (start, end) = match (note.reply_to, note.frame_start) {
                (_, Some(s)) => (s, note.frame_end.unwrap_or(s)),
                (Some(parent), None) => {
                    let (pt, ps, pe): (i64, i64, i64) = c
                        .query_opt(
                            "SELECT take_id, frame_start, frame_end FROM note WHERE id = ?1",
                            p![parent],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )?
                        .ok_or(LibraryError::NoSuchNote(parent))?;
                    if pt != note.take_id {
                        return Err(LibraryError::invalid("reply", format!("note {parent} belongs to another take")));
                    }
                    (u64::try_from(ps).unwrap_or(0), u64::try_from(pe).unwrap_or(0))
                }
                (None, None) => {
                    return Err(LibraryError::invalid("frame range", "a note needs --frame N (or --reply-to NOTE)"));
                }
            };
            if end < start {
                return Err(LibraryError::invalid("frame range", format!("--to {end} is before --frame {start}")));
            }
            if let Some(d) = duration.and_then(|d| u64::try_from(d).ok())
                && end >= d
            {
                return Err(LibraryError::invalid(
                    "frame range",
                    format!("frame {end} is past the take's last frame {} (it has {d} frames, numbered from 0)", d.saturating_sub(1)),
                ));
            }
            let start_i = i64::try_from(start).map_err(|_| LibraryError::invalid("frame range", "frame too large"))?;
            let end_i = i64::try_from(end).map_err(|_| LibraryError::invalid("frame range", "frame too large"))?;
            if let Some(parent) = note.reply_to {
                let pt: Option<i64> = c.opt("SELECT take_id FROM note WHERE id = ?1", p![parent])?;
                match pt {
                    None => return Err(LibraryError::NoSuchNote(parent)),
                    Some(t) if t != note.take_id => {
                        return Err(LibraryError::invalid("reply", format!("note {parent} belongs to another take")));
                    }
                    Some(_) => {}
                }
            }
            let now = now_utc_ms();
            let id = c.insert(
                "INSERT INTO note(take_id, reply_to, frame_start, frame_end, author, created_utc_ms, text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                p![note.take_id, note.reply_to, start_i, end_i, note.author, now, note.text],
            )?;
            let body = json!({
                "type": "note",
                "note_id": id,
                "reply_to": note.reply_to,
                "frame_start": start_i,
                "frame_end": end_i,
                "text": note.text,
            });
            let event = ledger::append(c, Some(note.take_id), &note.author, &body, key)?;
            refresh_fts(c, note.take_id)?;
            let stored = Note {
                id,
                take_id: note.take_id,
                reply_to: note.reply_to,
                frame_start: start,
                frame_end: end,
                author: note.author.clone(),
                created_utc_ms: now,
                text: note.text.clone(),
                resolved: false,
            };
            Ok((stored, event))
        })
    }

    /// Marks a note resolved (or open again); a ledger event. Returns the previous flag.
    pub fn set_note_resolved(
        &mut self,
        note_id: i64,
        resolved: bool,
        author: &str,
        key: Option<&UserKey>,
    ) -> Result<bool> {
        self.set_note_flag(NoteFlag::Resolved, note_id, resolved, author, key)
    }

    /// Retracts a note (or restores a retracted one); a ledger event. A retracted note is kept
    /// (the ledger never forgets) but no longer listed, searched or reported. Returns the
    /// previous flag.
    pub fn set_note_retracted(
        &mut self,
        note_id: i64,
        retracted: bool,
        author: &str,
        key: Option<&UserKey>,
    ) -> Result<bool> {
        self.set_note_flag(NoteFlag::Retracted, note_id, retracted, author, key)
    }

    /// Sets one boolean column of a note with its ledger event, in one transaction.
    pub(super) fn set_note_flag(
        &mut self,
        flag: NoteFlag,
        note_id: i64,
        value: bool,
        author: &str,
        key: Option<&UserKey>,
    ) -> Result<bool> {
        let (column, event) = match flag {
            NoteFlag::Resolved => ("resolved", "note_resolved"),
            NoteFlag::Retracted => ("retracted", "note_retracted"),
        };
        self.write(|c| {
            let (take_id, previous): (i64, bool) = c
                .query_opt(
                    &format!("SELECT take_id, {column} FROM note WHERE id = ?1"),
                    p![note_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?
                .ok_or(LibraryError::NoSuchNote(note_id))?;
            c.execute(
                &format!("UPDATE note SET {column} = ?1 WHERE id = ?2"),
                p![value, note_id],
            )?;
            let body = json!({"type": event, "note_id": note_id, (column): value});
            ledger::append(c, Some(take_id), author, &body, key)?;
            if flag == NoteFlag::Retracted {
                refresh_fts(c, take_id)?;
            }
            Ok(previous)
        })
    }
}
