//! Integrity check of a take library: the ledger chain, the tables against the ledger, and the
//! take files on disk against their recorded hashes.

use crate::db::{Db, p};
use crate::error::Result;
use crate::ledger::{self, GENESIS_HASH, LedgerEvent};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One thing found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The ledger event concerned (`seq`), when the problem is in the chain or tied to an event.
    pub seq: Option<i64>,
    /// The take concerned (id), when known.
    pub take_id: Option<i64>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.seq, self.take_id) {
            (Some(s), _) => write!(f, "event #{s}: {}", self.message),
            (None, Some(t)) => write!(f, "take {t}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// Outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Events read from the ledger.
    pub events_checked: u64,
    /// Take files re-hashed on disk.
    pub files_checked: u64,
    /// Hash of the last event (the chain head) as found in the ledger.
    pub head: String,
    /// Everything wrong: chain problems first (by event), then table/file problems.
    pub problems: Vec<Problem>,
}

impl VerifyReport {
    /// True when nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// The first problem (the first bad event when the chain is broken).
    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

#[derive(Default)]
struct ExpectedNote {
    take_id: Option<i64>,
    reply_to: Option<i64>,
    frame_start: i64,
    frame_end: i64,
    author: String,
    text: String,
    resolved: bool,
    retracted: bool,
    seq: i64,
}

/// Checks everything; never stops at the first problem. `rehash_files` also re-hashes every take
/// file on disk (slow for big libraries, but that is what detects a changed capture file).
pub(crate) fn verify(c: &Db<'_>, rehash_files: bool) -> Result<VerifyReport> {
    let events = ledger::read_events(c, None)?;
    let (mut problems, prev_hash) = check_chain(&events);
    check_head(c, &events, &prev_hash, &mut problems);

    // Replay the ledger into the state the tables must have.
    let expected = replay(&events);

    // Takes: registered, status as the ledger says, files as the last event recorded them.
    check_takes(c, &expected, &mut problems)?;

    // Notes: every row has its event and matches it; every event's note still exists.
    check_notes(c, &expected.notes, &mut problems)?;

    // Derived versions.
    check_derived(c, &expected.derived, &mut problems)?;

    // Review roles: the team and grants as the ledger built them; statuses set with a right.
    for (seq, take_id, message) in crate::roles::verify_roles(c, &events)?
        .into_iter()
        .chain(crate::verdicts::verify_verdicts(c, &events)?)
        .chain(crate::dailies::verify_playlists(c, &events)?)
    {
        problems.push(Problem {
            seq,
            take_id,
            message,
        });
    }

    // Files on disk.
    let files_checked = if rehash_files {
        check_files(c, &mut problems)?
    } else {
        0
    };
    Ok(VerifyReport {
        events_checked: events.len() as u64,
        files_checked,
        head: prev_hash,
        problems,
    })
}

/// Sequence numbers, links and self-hashes of the events: the problems and the last hash.
fn check_chain(events: &[LedgerEvent]) -> (Vec<Problem>, String) {
    let mut chain = Vec::new();
    let mut prev_hash = GENESIS_HASH.to_string();
    for (i, e) in events.iter().enumerate() {
        let expected_seq = i as i64 + 1;
        let mut bad = |m: String| {
            chain.push(Problem {
                seq: Some(e.seq),
                take_id: e.take_id,
                message: m,
            })
        };
        if e.seq != expected_seq {
            bad(format!(
                "out of sequence (expected #{expected_seq}): events were deleted, inserted or renumbered"
            ));
        }
        if e.prev_hash != prev_hash {
            bad(format!(
                "does not link to the event before it (prev_hash {} but the previous event hashes to {prev_hash}): events were deleted, inserted, reordered or edited",
                e.prev_hash
            ));
        }
        if let Err(m) = e.check_self() {
            bad(m);
        }
        prev_hash = e.hash.clone();
    }
    (chain, prev_hash)
}

/// The recorded head (count and hash) against the chain's end `prev_hash`.
fn check_head(c: &Db<'_>, events: &[LedgerEvent], prev_hash: &str, problems: &mut Vec<Problem>) {
    let mut other = |seq: Option<i64>, take_id: Option<i64>, message: String| {
        problems.push(Problem {
            seq,
            take_id,
            message,
        })
    };
    match ledger::recorded_head(c) {
        Ok((count, head)) => {
            if count != events.len() as i64 || head != prev_hash {
                other(
                    events.last().map(|e| e.seq),
                    None,
                    format!(
                        "the ledger ends at #{} ({}) but its recorded head is #{count} ({head}): events were removed from or added to the end",
                        events.len(),
                        prev_hash
                    ),
                );
            }
        }
        Err(e) => other(None, None, e.to_string()),
    }
}

/// The table state the ledger implies (per take or row id: the value and the event's seq).
#[derive(Default)]
struct Expected {
    /// Take id → (status, seq of the event that set it).
    status: BTreeMap<i64, (String, i64)>,
    /// Take id → (name, seq of its registration).
    registered: BTreeMap<i64, (String, i64)>,
    /// Take id → (content hashes, seq) of its last event.
    last_content: BTreeMap<i64, (String, i64)>,
    /// Note id → the note as the ledger left it.
    notes: BTreeMap<i64, ExpectedNote>,
    /// Derived version id → (version, output sha256, seq).
    derived: BTreeMap<i64, (i64, String, i64)>,
}

/// Replays the ledger into the state the tables must have.
fn replay(events: &[LedgerEvent]) -> Expected {
    let Expected {
        mut status,
        mut registered,
        mut last_content,
        mut notes,
        mut derived,
    } = Expected::default();
    for e in events {
        let Ok(body) = serde_json::from_str::<Value>(&e.body) else {
            continue; // already reported by check_self
        };
        let Some(take_id) = e.take_id else { continue };
        last_content.insert(take_id, (e.content_hashes.clone(), e.seq));
        let s = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let n = |k: &str| body.get(k).and_then(Value::as_i64);
        match body.get("type").and_then(Value::as_str).unwrap_or_default() {
            "take_registered" => {
                registered.insert(take_id, (s("name"), e.seq));
            }
            "status" => {
                status.insert(take_id, (s("to"), e.seq));
            }
            "note" => {
                if let Some(id) = n("note_id") {
                    notes.insert(
                        id,
                        ExpectedNote {
                            take_id: Some(take_id),
                            reply_to: n("reply_to"),
                            frame_start: n("frame_start").unwrap_or(-1),
                            frame_end: n("frame_end").unwrap_or(-1),
                            author: e.author.clone(),
                            text: s("text"),
                            resolved: false,
                            retracted: false,
                            seq: e.seq,
                        },
                    );
                }
            }
            "note_resolved" => {
                if let Some(note) = n("note_id").and_then(|id| notes.get_mut(&id)) {
                    note.resolved = body
                        .get("resolved")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    note.seq = e.seq;
                }
            }
            "note_retracted" => {
                if let Some(note) = n("note_id").and_then(|id| notes.get_mut(&id)) {
                    note.retracted = body
                        .get("retracted")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                    note.seq = e.seq;
                }
            }
            "derived" => {
                if let Some(id) = n("derived_id") {
                    derived.insert(id, (n("version").unwrap_or(-1), s("output_sha256"), e.seq));
                }
            }
            _ => {}
        }
    }
    Expected {
        status,
        registered,
        last_content,
        notes,
        derived,
    }
}

/// Takes: registered, status as the ledger says, files as the last event recorded them.
fn check_takes(c: &Db<'_>, expected: &Expected, problems: &mut Vec<Problem>) -> Result<()> {
    let Expected {
        status,
        registered,
        last_content,
        ..
    } = expected;
    let mut other = |seq: Option<i64>, take_id: Option<i64>, message: String| {
        problems.push(Problem {
            seq,
            take_id,
            message,
        })
    };
    let takes: Vec<(i64, String, String)> =
        c.query_map("SELECT id, name, status FROM take ORDER BY id", p![], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let take_ids: BTreeSet<i64> = takes.iter().map(|t| t.0).collect();
    for (id, name, st) in &takes {
        match registered.get(id) {
            None => other(
                None,
                Some(*id),
                format!("take `{name}` is not registered in the ledger (added behind its back)"),
            ),
            Some((n, seq)) if n != name => other(
                Some(*seq),
                Some(*id),
                format!("take renamed from `{n}` to `{name}` outside the ledger"),
            ),
            Some(_) => {}
        }
        let (expected, seq) = status
            .get(id)
            .map(|(s, q)| (s.as_str(), Some(*q)))
            .unwrap_or(("none", None));
        if st != expected {
            other(
                seq,
                Some(*id),
                format!("take `{name}` has status `{st}` but the ledger says `{expected}`"),
            );
        }
        let current = ledger::content_hashes(c, Some(*id))?;
        if let Some((recorded, seq)) = last_content.get(id)
            && *recorded != current
        {
            other(
                Some(*seq),
                Some(*id),
                format!(
                    "take `{name}`'s files differ from the hashes its last ledger event recorded"
                ),
            );
        }
    }
    for (id, (name, seq)) in registered {
        if !take_ids.contains(id) {
            other(Some(*seq), Some(*id), format!("take `{name}` was deleted"));
        }
    }
    Ok(())
}

/// Notes: every row has its event and matches it; every event's note still exists.
fn check_notes(
    c: &Db<'_>,
    notes: &BTreeMap<i64, ExpectedNote>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let mut other = |seq: Option<i64>, take_id: Option<i64>, message: String| {
        problems.push(Problem {
            seq,
            take_id,
            message,
        })
    };
    type NoteRow = (i64, i64, Option<i64>, i64, i64, String, String, bool, bool);
    let rows: Vec<NoteRow> = c.query_map(
        "SELECT id, take_id, reply_to, frame_start, frame_end, author, text, resolved, retracted FROM note ORDER BY id",
        p![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
    )?;
    let mut seen = BTreeSet::new();
    for (id, take_id, reply_to, fs, fe, author, text, resolved, retracted) in rows {
        seen.insert(id);
        match notes.get(&id) {
            None => other(
                None,
                Some(take_id),
                format!("note {id} is not in the ledger (added behind its back)"),
            ),
            Some(x) => {
                let same = x.take_id == Some(take_id)
                    && x.reply_to == reply_to
                    && x.frame_start == fs
                    && x.frame_end == fe
                    && x.author == author
                    && x.text == text
                    && x.resolved == resolved
                    && x.retracted == retracted;
                if !same {
                    other(
                        Some(x.seq),
                        Some(take_id),
                        format!("note {id} differs from what the ledger recorded"),
                    );
                }
            }
        }
    }
    for (id, x) in notes {
        if !seen.contains(id) {
            other(Some(x.seq), x.take_id, format!("note {id} was deleted"));
        }
    }
    Ok(())
}

/// Derived versions: every row matches its event; every event's row still exists.
fn check_derived(
    c: &Db<'_>,
    derived: &BTreeMap<i64, (i64, String, i64)>,
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let mut other = |seq: Option<i64>, take_id: Option<i64>, message: String| {
        problems.push(Problem {
            seq,
            take_id,
            message,
        })
    };
    let rows: Vec<(i64, i64, String)> = c.query_map(
        "SELECT id, version, output_sha256 FROM derived_version ORDER BY id",
        p![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut seen = BTreeSet::new();
    for (id, version, sha) in rows {
        seen.insert(id);
        match derived.get(&id) {
            Some((v, s, _)) if *v == version && *s == sha => {}
            Some((_, _, seq)) => other(
                Some(*seq),
                None,
                format!("derived version {id} differs from the ledger"),
            ),
            None => other(
                None,
                None,
                format!("derived version {id} is not in the ledger"),
            ),
        }
    }
    for (id, (_, _, seq)) in derived {
        if !seen.contains(id) {
            other(
                Some(*seq),
                None,
                format!("derived version {id} was deleted"),
            );
        }
    }
    Ok(())
}

/// Re-hashes every take file on disk; returns how many were checked.
fn check_files(c: &Db<'_>, problems: &mut Vec<Problem>) -> Result<u64> {
    let mut other = |seq: Option<i64>, take_id: Option<i64>, message: String| {
        problems.push(Problem {
            seq,
            take_id,
            message,
        })
    };
    let mut files_checked = 0;
    let files: Vec<(i64, String, String)> = c.query_map(
        "SELECT take_id, path, sha256 FROM take_file ORDER BY id",
        p![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    for (take_id, path, sha) in files {
        files_checked += 1;
        match crate::util::hash_file(Path::new(&path)) {
            Ok((h, _)) if h == sha => {}
            Ok((h, _)) => other(
                None,
                Some(take_id),
                format!(
                    "file {path} changed on disk (sha256 {h}, recorded {sha}); re-import it to record the change"
                ),
            ),
            Err(e) => other(
                None,
                Some(take_id),
                format!(
                    "file {path} cannot be read ({e}); restore it or re-import the folder it moved to"
                ),
            ),
        }
    }
    Ok(files_checked)
}

/// Event helper for callers that have events in hand (evidence manifests).
pub fn check_event_list(events: &[LedgerEvent]) -> Vec<Problem> {
    events
        .iter()
        .filter_map(|e| {
            e.check_self().err().map(|m| Problem {
                seq: Some(e.seq),
                take_id: e.take_id,
                message: m,
            })
        })
        .collect()
}
