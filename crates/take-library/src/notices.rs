//! Notifications for one user, read from the ledger: notes that mention `@user`, and status
//! changes of the user's takes (a take is the user's when they registered it, i.e. wrote its
//! `take_registered` event, or gave a verdict on any of its revisions). Only other people's
//! events count. The ledger's sequence number is the "since" mark: a caller keeps the last
//! sequence it has seen ([`Library::ledger_seq`]) and asks for what came after
//! ([`Library::notices_since`]), on either store.

use crate::db::{Db, p};
use crate::error::Result;
use crate::library::Library;
use crate::model::TakeStatus;
use serde::Serialize;
use serde_json::Value;

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NoticeKind {
    /// A note (or reply) whose text mentions `@user`.
    Mention {
        /// The note's id.
        note_id: i64,
    },
    /// A status change of one of the user's takes.
    Status {
        /// The status before.
        from: TakeStatus,
        /// The status after.
        to: TakeStatus,
    },
}

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Ledger sequence number of the event (increasing).
    pub seq: i64,
    /// The take.
    pub take_id: i64,
    /// The take's name.
    pub take_name: String,
    /// Who wrote the note or changed the status.
    pub author: String,
    /// When, milliseconds since the Unix epoch (UTC).
    pub time_utc_ms: i64,
    /// Mention or status change.
    pub kind: NoticeKind,
    /// First frame of the note (frame index from 0 of the take); `None` for a status change.
    pub frame: Option<u64>,
    /// The note's text, or the status change's comment (empty when none).
    pub text: String,
}

/// True when `text` mentions `@user` (case-insensitive; the name must end there: `@ann` is not
/// a mention of `an`).
pub fn mentions(text: &str, user: &str) -> bool {
    let user = user.trim();
    if user.is_empty() {
        return false;
    }
    let lower = text.to_lowercase();
    let needle = format!("@{}", user.to_lowercase());
    lower.match_indices(&needle).any(|(i, m)| {
        let before_ok = lower[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !is_name_char(c));
        // The name ends at anything but a name character; a '.' ends it when no name
        // character follows (end of a sentence, not `@anna.smith`).
        let mut rest = lower[i + m.len()..].chars();
        let after_ok = match rest.next() {
            None => true,
            Some('.') => rest.next().is_none_or(|c| !is_name_char(c)),
            Some(c) => !is_name_char(c),
        };
        before_ok && after_ok
    })
}

/// A character a user name may contain (besides '.', which may also end a sentence).
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Most events one [`Library::notices_since`] call looks at (the caller asks again from the
/// returned mark for the rest).
pub const MAX_EVENTS_PER_CALL: i64 = 5000;

impl Library {
    /// The sequence number of the ledger's last event (0 for an empty ledger): the mark to ask
    /// [`Library::notices_since`] from, so that only later events notify.
    pub fn ledger_seq(&self) -> Result<i64> {
        self.read(|c| c.one("SELECT COALESCE(MAX(seq), 0) FROM ledger", p![]))
    }

    /// Notices for `user` in the events after `after_seq` (at most [`MAX_EVENTS_PER_CALL`]
    /// events looked at), oldest first, and the sequence number to ask from next time.
    pub fn notices_since(&self, user: &str, after_seq: i64) -> Result<(Vec<Notice>, i64)> {
        self.read(|c| notices(c, user, after_seq))
    }
}

fn notices(c: &Db<'_>, user: &str, after_seq: i64) -> Result<(Vec<Notice>, i64)> {
    type Event = (i64, Option<i64>, String, i64, String);
    let events: Vec<Event> = c.query_map(
        "SELECT seq, take_id, author, time_utc_ms, body FROM ledger WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        p![after_seq, MAX_EVENTS_PER_CALL],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    let next = events.last().map_or(after_seq, |e| e.0);
    let user = user.trim();
    let mut out = Vec::new();
    if user.is_empty() {
        return Ok((out, next));
    }
    for (seq, take_id, author, time_utc_ms, body) in events {
        let Some(take_id) = take_id else { continue };
        if author.trim().eq_ignore_ascii_case(user) {
            continue;
        }
        let Ok(body) = serde_json::from_str::<Value>(&body) else {
            continue;
        };
        let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
        let (kind, frame) = match text("type") {
            "note" if mentions(text("text"), user) => {
                let Some(note_id) = body.get("note_id").and_then(Value::as_i64) else {
                    continue;
                };
                let frame = body
                    .get("frame_start")
                    .and_then(Value::as_i64)
                    .and_then(|f| u64::try_from(f).ok());
                (NoticeKind::Mention { note_id }, frame)
            }
            "status" => {
                let (Ok(from), Ok(to)) = (
                    TakeStatus::parse(text("from")),
                    TakeStatus::parse(text("to")),
                ) else {
                    continue;
                };
                if !is_users_take(c, take_id, user)? {
                    continue;
                }
                (NoticeKind::Status { from, to }, None)
            }
            _ => continue,
        };
        let take_name: String = c
            .opt("SELECT name FROM take WHERE id = ?1", p![take_id])?
            .unwrap_or_else(|| format!("take {take_id}"));
        let text = match &kind {
            NoticeKind::Mention { .. } => text("text"),
            NoticeKind::Status { .. } => text("comment"),
        }
        .to_string();
        out.push(Notice {
            seq,
            take_id,
            take_name,
            author,
            time_utc_ms,
            kind,
            frame,
            text,
        });
    }
    Ok((out, next))
}

/// True when `user` registered the take or gave a verdict on it.
fn is_users_take(c: &Db<'_>, take_id: i64, user: &str) -> Result<bool> {
    let owner: Option<String> = c.opt(
        "SELECT author FROM ledger WHERE take_id = ?1 ORDER BY seq LIMIT 1",
        p![take_id],
    )?;
    if owner.is_some_and(|o| o.trim().eq_ignore_ascii_case(user)) {
        return Ok(true);
    }
    let reviewed: i64 = c.one(
        "SELECT COUNT(*) FROM verdict WHERE take_id = ?1 AND LOWER(reviewer) = LOWER(?2)",
        p![take_id, user],
    )?;
    Ok(reviewed > 0)
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn mentions_need_the_whole_name() {
        assert!(mentions("@anna please look at the feet", "anna"));
        assert!(mentions("feet slide, @Anna.", "anna"));
        assert!(mentions("cc @anna, @bo", "bo"));
        assert!(!mentions("@annabel look", "anna"));
        assert!(!mentions("mail anna@studio.example", "studio"));
        assert!(!mentions("no mention of anna", "anna"));
        assert!(!mentions("@ everyone", ""));
    }
}
