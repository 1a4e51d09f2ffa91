//! [`Library`]: the catalogue handle (one SQLite file per project).

use crate::db::{Db, Row, Value, p};
use crate::error::{LibraryError, Result};
use crate::keys::UserKey;
use crate::ledger::{self, LedgerEvent};
use crate::model::*;
use crate::schema::{self, OpenMode};
use crate::store::Store;
use crate::util::now_utc_ms;
use mocap_data::FrameRate;
use serde_json::json;
use std::path::{Path, PathBuf};

/// A take to add to the library.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTake {
    /// Unique take name.
    pub name: String,
    /// Scene name (created when new).
    pub scene: String,
    /// Take number within the scene.
    pub number: Option<i64>,
    /// Capture session (day) name and its date (`YYYY-MM-DD`, UTC), created when new.
    pub session: Option<(String, Option<String>)>,
    /// Duration and rate, when known.
    pub timing: Option<TakeTiming>,
    /// Capture time, milliseconds since the Unix epoch (UTC).
    pub captured_utc_ms: Option<i64>,
    /// Description.
    pub description: String,
    /// Performers.
    pub actors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Marker set.
    pub marker_set: Option<String>,
    /// Character.
    pub character: Option<String>,
    /// Start timecode text.
    pub start_timecode: Option<String>,
    /// Files (path + hash).
    pub files: Vec<NewFile>,
}

/// A file to attach to a take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// What it holds.
    pub kind: FileKind,
    /// Absolute path.
    pub path: String,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

/// Editable descriptive fields of a take (not part of the ledger).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TakeMetadata {
    /// Description.
    pub description: String,
    /// Performers.
    pub actors: Vec<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Marker set.
    pub marker_set: Option<String>,
    /// Character.
    pub character: Option<String>,
    /// Start timecode text (`HH:MM:SS:FF`).
    pub start_timecode: Option<String>,
}

/// A note to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNote {
    /// The take.
    pub take_id: i64,
    /// Note replied to (same take); a reply without a frame takes the parent's range.
    pub reply_to: Option<i64>,
    /// First frame (0-based frame index); `None` only for replies.
    pub frame_start: Option<u64>,
    /// Last frame (inclusive, 0-based); `None` = same as `frame_start`.
    pub frame_end: Option<u64>,
    /// Who writes it.
    pub author: String,
    /// The text.
    pub text: String,
}

/// A derived result to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDerived {
    /// The take.
    pub take_id: i64,
    /// What was derived (`solve`, `cleanup`, …).
    pub kind: String,
    /// SHA-256 (hex) of every input.
    pub input_sha256: Vec<String>,
    /// Operations applied (settings, steps).
    pub operations: serde_json::Value,
    /// The output file (hashed now).
    pub output_path: PathBuf,
    /// Who produced it.
    pub author: String,
}

/// A boolean column of a note that is changed through the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteFlag {
    Resolved,
    Retracted,
}

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

/// Handle on one take library: an SQLite file or a PostgreSQL database. Not `Sync`; open one per
/// thread (SQLite WAL and PostgreSQL both let readers and one writer work at the same time,
/// across threads and processes).
pub struct Library {
    pub(crate) store: Store,
    path: PathBuf,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.path).finish()
    }
}

/// Normalises a scene name: all-digit names are zero-padded to at least 3 digits (`12` → `012`).
pub fn normalize_scene(scene: &str) -> String {
    let s = scene.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let digits = s.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        format!("{digits:0>3}")
    } else {
        s.to_string()
    }
}

fn rate_from(num: Option<u32>, den: Option<u32>) -> Option<FrameRate> {
    // A rate that is not a valid FrameRate can only come from a raw edit: shown as unknown.
    FrameRate::new(num?, den?).ok()
}

const SUMMARY_COLUMNS: &str = "t.id, t.name, s.name, t.number, t.status, t.duration_frames, t.rate_num, t.rate_den, t.captured_utc_ms";

fn summary_from_row(r: &Row) -> Result<TakeSummary> {
    let status: String = r.get(4)?;
    Ok(TakeSummary {
        id: r.get(0)?,
        name: r.get(1)?,
        scene: r.get(2)?,
        number: r.get(3)?,
        // An unknown status string can only come from a raw edit; `verify` reports it.
        status: TakeStatus::parse(&status).unwrap_or(TakeStatus::None),
        duration_frames: r.get::<Option<i64>>(5)?.and_then(|d| u64::try_from(d).ok()),
        rate: rate_from(r.get(6)?, r.get(7)?),
        captured_utc_ms: r.get(8)?,
    })
}

fn note_from_row(r: &Row) -> Result<Note> {
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

const NOTE_COLUMNS: &str =
    "id, take_id, reply_to, frame_start, frame_end, author, created_utc_ms, text, resolved";

/// The words of a search text (prefix-matched, all required), or `None` when it has none.
fn fts_terms(text: &str) -> Option<Vec<String>> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    (!terms.is_empty()).then_some(terms)
}

/// Ids of the takes whose text matches every term (as a prefix), ascending: SQLite's FTS5 table,
/// or PostgreSQL's `tsvector` index.
fn fts_ids(c: &Db<'_>, terms: &[String]) -> Result<Vec<i64>> {
    if c.is_pg() {
        // Terms are letters and digits only, so they cannot carry tsquery operators.
        let q = terms
            .iter()
            .map(|t| format!("{}:*", t.to_lowercase()))
            .collect::<Vec<_>>()
            .join(" & ");
        id_list(
            c,
            "SELECT take_id FROM take_fts WHERE doc @@ to_tsquery('simple', ?1) ORDER BY take_id",
            &[Value::Text(q)],
        )
    } else {
        let m = terms
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" ");
        id_list(
            c,
            "SELECT rowid FROM take_fts WHERE take_fts MATCH ?1 ORDER BY rowid",
            &[Value::Text(m)],
        )
    }
}

/// Ids as an SQL list literal (`1,2,3`): integers only, so nothing can be injected.
fn id_sql_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Runs a query returning one integer column (ids) and collects it.
fn id_list(c: &Db<'_>, sql: &str, args: &[Value]) -> Result<Vec<i64>> {
    c.query_map(sql, args, |r| r.get(0))
}

/// Intersection of two ascending id lists.
fn intersect_sorted(a: &[i64], b: &[i64]) -> Vec<i64> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    out.sort_by_key(|s| s.to_lowercase());
    out.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    out
}

impl Library {
    /// Opens the library at `path`; see [`OpenMode`]. Refuses (without writing anything) files
    /// that are not take libraries or have a newer schema.
    ///
    /// `path` is an SQLite file, or a PostgreSQL URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`,
    /// see [`crate::store::is_postgres_url`]): an existing, empty database is made a library by
    /// [`OpenMode::CreateIfMissing`] (the database itself is created by its administrator).
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self> {
        let text = path.to_string_lossy();
        if crate::store::is_postgres_url(&text) {
            return Self::open_postgres(text.trim(), mode);
        }
        let conn = schema::open(path, mode)?;
        Ok(Self {
            store: Store::Lite(conn),
            path: path.to_path_buf(),
        })
    }

    /// Opens the library in the PostgreSQL database `url`; see [`Library::open`].
    pub fn open_postgres(url: &str, mode: OpenMode) -> Result<Self> {
        let shown = PathBuf::from(crate::store::redact_url(url));
        let store = crate::store::open_pg(url, &shown, mode == OpenMode::CreateIfMissing)?;
        Ok(Self { store, path: shown })
    }

    /// The database file, or the PostgreSQL URL with its password hidden.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the library lives in PostgreSQL (a team library), false for an SQLite file.
    pub fn is_postgres(&self) -> bool {
        matches!(self.store, Store::Pg(_))
    }

    /// Random id given to the library when it was created (hex).
    pub fn library_id(&self) -> Result<String> {
        self.store
            .read(|c| c.one("SELECT value FROM meta WHERE key = 'library_id'", p![]))
    }

    /// Runs `f` in a transaction holding the library's write lock; commits on `Ok`, rolls back
    /// on `Err`.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.store.write(f)
    }

    /// Runs `f` in a read transaction so it sees one consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.store.read(f)
    }

    /// Finds a take by id (all digits) or by name.
    pub fn resolve_take(&self, key: &str) -> Result<i64> {
        let key = key.trim();
        let found = self.read(|c| {
            if let Some(id) = c.opt::<i64>("SELECT id FROM take WHERE name = ?1", p![key])? {
                return Ok(Some(id));
            }
            match key.parse::<i64>() {
                Ok(id) => c.opt::<i64>("SELECT id FROM take WHERE id = ?1", p![id]),
                Err(_) => Ok(None),
            }
        })?;
        found.ok_or_else(|| LibraryError::NoSuchTake(key.to_string()))
    }

    /// Adds one take (and its scene/session) with a `take_registered` ledger event.
    pub fn add_take(&mut self, take: &NewTake, author: &str) -> Result<i64> {
        self.write(|c| insert_take(c, take, author))
    }

    /// Adds many takes in one transaction (bulk import, generated libraries).
    pub fn add_takes(&mut self, takes: &[NewTake], author: &str) -> Result<Vec<i64>> {
        self.write(|c| takes.iter().map(|t| insert_take(c, t, author)).collect())
    }

    /// Everything about one take.
    pub fn take(&mut self, take_id: i64) -> Result<TakeDetail> {
        self.read(|c| take_detail(c, take_id))
    }

    /// Every take with files and notes, by id (for `list --json`).
    pub fn all_takes(&mut self) -> Result<Vec<TakeDetail>> {
        self.read(|c| {
            let ids = id_list(c, "SELECT id FROM take ORDER BY id", &[])?;
            ids.into_iter().map(|id| take_detail(c, id)).collect()
        })
    }

    /// Searches takes like [`Library::search`] and adds, per row, the session, actors and note
    /// counts a take browser shows (a few indexed lookups per row of the page).
    pub fn search_rows(&mut self, q: &TakeQuery) -> Result<(Vec<TakeRow>, u64)> {
        let found = self.search(q)?;
        if self.is_postgres() {
            return self.read(|c| rows_batched(c, found));
        }
        self.read(|c| {
            let mut rows = Vec::with_capacity(found.takes.len());
            for summary in found.takes {
                let id = summary.id;
                let session: Option<String> = c.opt(
                    "SELECT s.name FROM take t JOIN session s ON s.id = t.session_id WHERE t.id = ?1",
                    p![id],
                )?;
                let (notes, open): (i64, i64) = c.query_row(
                    "SELECT count(*), count(*) FILTER (WHERE resolved = 0) FROM note WHERE take_id = ?1 AND retracted = 0",
                    p![id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                rows.push(TakeRow {
                    summary,
                    session,
                    actors: read_list(c, "take_actor", "actor", id)?,
                    notes: u64::try_from(notes).unwrap_or(0),
                    open_notes: u64::try_from(open).unwrap_or(0),
                });
            }
            Ok((rows, found.total))
        })
    }

    /// Every capture session (day) name, sorted.
    pub fn sessions(&mut self) -> Result<Vec<String>> {
        self.read(|c| c.query_map("SELECT name FROM session ORDER BY name", p![], |r| r.get(0)))
    }

    /// Every scene name, sorted.
    pub fn scenes(&mut self) -> Result<Vec<String>> {
        self.read(|c| c.query_map("SELECT name FROM scene ORDER BY name", p![], |r| r.get(0)))
    }

    /// Searches takes; see [`TakeQuery`].
    pub fn search(&mut self, q: &TakeQuery) -> Result<SearchResult> {
        use Value as V;
        // Filters on the take row itself become one SQL condition.
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<V> = Vec::new();
        let arg = |v: V, args: &mut Vec<V>| {
            args.push(v);
            format!("?{}", args.len())
        };
        if let Some(scene) = q.scene.as_deref() {
            let a = arg(V::Text(scene.trim().to_string()), &mut args);
            let b = arg(V::Text(normalize_scene(scene)), &mut args);
            wheres.push(format!(
                "t.scene_id IN (SELECT id FROM scene WHERE name IN ({a}, {b}))"
            ));
        }
        if let Some(session) = q.session.as_deref() {
            let p = arg(V::Text(session.trim().to_string()), &mut args);
            wheres.push(format!(
                "t.session_id IN (SELECT id FROM session WHERE name = {p})"
            ));
        }
        if let Some(status) = q.status {
            let p = arg(V::Text(status.as_str().into()), &mut args);
            wheres.push(format!("t.status = {p}"));
        }
        if let Some(from) = q.captured_from_utc_ms {
            let p = arg(V::Int(from), &mut args);
            wheres.push(format!("t.captured_utc_ms >= {p}"));
        }
        if let Some(before) = q.captured_before_utc_ms {
            let p = arg(V::Int(before), &mut args);
            wheres.push(format!("t.captured_utc_ms < {p}"));
        }
        let where_sql = if wheres.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wheres.join(" AND "))
        };
        let fts = match q.text.as_deref() {
            Some(text) => match fts_terms(text) {
                Some(m) => Some(m),
                None if !text.trim().is_empty() => {
                    // Only punctuation: nothing can match.
                    return Ok(SearchResult {
                        takes: Vec::new(),
                        total: 0,
                    });
                }
                None => None,
            },
            None => None,
        };
        let limit = if q.limit == 0 { 500 } else { q.limit };
        self.read(|c| {
            // Set filters (text, actor, tag) are read as sorted id lists straight from their
            // indexes and intersected here: far cheaper than probing `take` once per match.
            let mut sets: Vec<Vec<i64>> = Vec::new();
            if let Some(terms) = &fts {
                sets.push(fts_ids(c, terms)?);
            }
            if let Some(actor) = q.actor.as_deref() {
                sets.push(id_list(
                    c,
                    "SELECT take_id FROM take_actor WHERE actor = ?1 ORDER BY take_id",
                    &[V::Text(actor.trim().into())],
                )?);
            }
            if let Some(tag) = q.tag.as_deref() {
                sets.push(id_list(
                    c,
                    "SELECT take_id FROM take_tag WHERE tag = ?1 ORDER BY take_id",
                    &[V::Text(tag.trim().into())],
                )?);
            }
            if sets.is_empty() {
                // Only take-row filters: indexes answer count and page directly.
                let total: i64 = c.one(&format!("SELECT count(*) FROM take t {where_sql}"), &args)?;
                let mut page_args = args.clone();
                let l = arg(V::Int(i64::try_from(limit).unwrap_or(i64::MAX)), &mut page_args);
                let o = arg(V::Int(i64::try_from(q.offset).unwrap_or(i64::MAX)), &mut page_args);
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM take t JOIN scene s ON s.id = t.scene_id {where_sql} ORDER BY t.id LIMIT {l} OFFSET {o}"
                );
                let takes = c.query_map(&sql, &page_args, summary_from_row)?;
                return Ok(SearchResult {
                    takes,
                    total: u64::try_from(total).unwrap_or(0),
                });
            }
            sets.sort_by_key(Vec::len);
            let mut ids = sets.remove(0);
            for s in &sets {
                ids = intersect_sorted(&ids, s);
            }
            if !wheres.is_empty() && !ids.is_empty() {
                if c.is_pg() && ids.len() <= 5000 {
                    // Few candidates: one round trip checks them all against the row filters.
                    let list = id_sql_list(&ids);
                    ids = c
                        .query_once(&format!("SELECT t.id FROM take t {where_sql} AND t.id IN ({list}) ORDER BY t.id"), &args)?
                        .iter()
                        .map(|r| r.get(0))
                        .collect::<Result<_>>()?;
                } else if ids.len() <= 5000 {
                    // Few candidates: check each against the row filters.
                    let mut probe_args = args.clone();
                    let p = arg(V::Int(0), &mut probe_args);
                    let probe = format!("SELECT count(*) FROM take t {where_sql} AND t.id = {p}");
                    let last = probe_args.len() - 1;
                    let mut kept = Vec::with_capacity(ids.len());
                    for id in ids {
                        probe_args[last] = V::Int(id);
                        let hit: i64 = c.one(&probe, &probe_args)?;
                        if hit > 0 {
                            kept.push(id);
                        }
                    }
                    ids = kept;
                } else {
                    let rows = id_list(c, &format!("SELECT t.id FROM take t {where_sql} ORDER BY t.id"), &args)?;
                    ids = intersect_sorted(&ids, &rows);
                }
            }
            if c.is_pg() {
                // One round trip for the page (a server away, per-row queries would dominate).
                let page: Vec<i64> = ids.iter().skip(q.offset).take(limit).copied().collect();
                let mut takes = if page.is_empty() {
                    Vec::new()
                } else {
                    c.query_once(
                        &format!(
                            "SELECT {SUMMARY_COLUMNS} FROM take t JOIN scene s ON s.id = t.scene_id WHERE t.id IN ({})",
                            id_sql_list(&page)
                        ),
                        &[],
                    )?
                    .iter()
                    .map(summary_from_row)
                    .collect::<Result<Vec<_>>>()?
                };
                takes.sort_by_key(|t| t.id);
                return Ok(SearchResult {
                    takes,
                    total: ids.len() as u64,
                });
            }
            let one = format!(
                "SELECT {SUMMARY_COLUMNS} FROM take t JOIN scene s ON s.id = t.scene_id WHERE t.id = ?1"
            );
            let takes = ids
                .iter()
                .skip(q.offset)
                .take(limit)
                .map(|id| c.query_row(&one, p![*id], summary_from_row))
                .collect::<Result<Vec<_>>>()?;
            Ok(SearchResult {
                takes,
                total: ids.len() as u64,
            })
        })
    }

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
        self.write(|c| {
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
            let stored = c.query_row(
                &format!("SELECT {NOTE_COLUMNS} FROM note WHERE id = ?1"),
                p![id],
                note_from_row,
            )?;
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
    fn set_note_flag(
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

    /// A number that changes whenever another connection (the CLI, another studio) commits to
    /// the library; commits through this handle leave it unchanged (SQLite's
    /// `PRAGMA data_version`; on PostgreSQL, the count of other connections' commits announced
    /// by `NOTIFY`). Lets a browser skip re-reading an unchanged library: poll it (cheap: no
    /// query on PostgreSQL, one pragma on SQLite) a few times a second.
    pub fn data_version(&self) -> Result<i64> {
        self.store.data_version()
    }

    /// Blocks up to `timeout` until another connection commits to the library; returns true
    /// when one did (then re-read), false on timeout. PostgreSQL wakes on `NOTIFY` at once;
    /// SQLite polls `data_version` every 50 ms. For a UI thread use a short timeout (or
    /// [`Library::data_version`]); a background thread may wait longer.
    pub fn wait_for_change(&self, timeout: std::time::Duration) -> Result<bool> {
        self.store.wait_for_change(timeout)
    }

    /// The take a file belongs to, looked up by the path it was imported from.
    pub fn take_for_path(&self, path: &Path) -> Result<Option<i64>> {
        let text = path.to_string_lossy();
        self.read(|c| {
            c.opt(
                "SELECT take_id FROM take_file WHERE path = ?1",
                p![text.as_ref()],
            )
        })
    }

    /// Replaces a take's descriptive fields; returns the previous ones.
    pub fn set_metadata(&mut self, take_id: i64, m: &TakeMetadata) -> Result<TakeMetadata> {
        self.write(|c| {
            let previous = read_metadata(c, take_id)?;
            c.execute(
                "UPDATE take SET description = ?1, marker_set = ?2, \"character\" = ?3, start_timecode = ?4 WHERE id = ?5",
                p![m.description, m.marker_set, m.character, m.start_timecode, take_id],
            )?;
            replace_list(c, "take_actor", "actor", take_id, &m.actors)?;
            replace_list(c, "take_tag", "tag", take_id, &m.tags)?;
            refresh_fts(c, take_id)?;
            Ok(previous)
        })
    }

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

    /// Records a new version of a derived result (hashing the output file now); a ledger event.
    pub fn record_derived(
        &mut self,
        d: &NewDerived,
        key: Option<&UserKey>,
    ) -> Result<DerivedVersion> {
        let (output_sha256, _) = crate::util::hash_file(&d.output_path)?;
        let output_path = d.output_path.to_string_lossy().into_owned();
        self.write(|c| {
            let version: i64 = c.query_row(
                "SELECT coalesce(max(version), 0) + 1 FROM derived_version WHERE take_id = ?1 AND kind = ?2",
                p![d.take_id, d.kind],
                |r| r.get(0),
            )?;
            let inputs = serde_json::Value::from(d.input_sha256.clone());
            let ops = ledger::canonical_json(&d.operations);
            let now = now_utc_ms();
            let id = c.insert(
                "INSERT INTO derived_version(take_id, kind, version, input_sha256, operations, output_path, output_sha256, author, created_utc_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                p![d.take_id, d.kind, version, ledger::canonical_json(&inputs), ops, output_path, output_sha256, d.author, now],
            )?;
            let body = json!({
                "type": "derived",
                "derived_id": id,
                "kind": d.kind,
                "version": version,
                "input_sha256": inputs,
                "operations": d.operations,
                "output_path": output_path,
                "output_sha256": output_sha256,
            });
            ledger::append(c, Some(d.take_id), &d.author, &body, key)?;
            Ok(DerivedVersion {
                id,
                take_id: d.take_id,
                kind: d.kind.clone(),
                version,
                input_sha256: d.input_sha256.clone(),
                operations: d.operations.clone(),
                output_path,
                output_sha256,
                author: d.author.clone(),
                created_utc_ms: now,
            })
        })
    }

    /// Versions of derived results of a take, oldest first.
    pub fn derived_versions(&mut self, take_id: i64) -> Result<Vec<DerivedVersion>> {
        self.read(|c| {
            let rows = c.query_map(
                "SELECT id, take_id, kind, version, input_sha256, operations, output_path, output_sha256, author, created_utc_ms
                 FROM derived_version WHERE take_id = ?1 ORDER BY id",
                p![take_id],
                |r| {
                    Ok((
                        r.get::<i64>(0)?,
                        r.get::<i64>(1)?,
                        r.get::<String>(2)?,
                        r.get::<i64>(3)?,
                        r.get::<String>(4)?,
                        r.get::<String>(5)?,
                        r.get::<String>(6)?,
                        r.get::<String>(7)?,
                        r.get::<String>(8)?,
                        r.get::<i64>(9)?,
                    ))
                },
            )?;
            rows.into_iter()
                .map(|(id, take_id, kind, version, inputs, ops, output_path, output_sha256, author, created)| {
                    let bad = |what: &str| LibraryError::Corrupt(format!("derived version {id} has unreadable {what}"));
                    Ok(DerivedVersion {
                        id,
                        take_id,
                        kind,
                        version,
                        input_sha256: serde_json::from_str(&inputs).map_err(|_| bad("inputs"))?,
                        operations: serde_json::from_str(&ops).map_err(|_| bad("operations"))?,
                        output_path,
                        output_sha256,
                        author,
                        created_utc_ms: created,
                    })
                })
                .collect()
        })
    }

    /// Ledger events (all, or one take's), in chain order.
    pub fn events(&mut self, take_id: Option<i64>) -> Result<Vec<LedgerEvent>> {
        self.read(|c| ledger::read_events(c, take_id))
    }

    /// The recorded chain head: (number of events, hash of the last event).
    pub fn ledger_head(&mut self) -> Result<(i64, String)> {
        self.read(ledger::recorded_head)
    }

    /// Sets a take's duration and rate (from a file reader).
    pub fn set_timing(&mut self, take_id: i64, timing: TakeTiming) -> Result<()> {
        self.write(|c| {
            c.execute(
                "UPDATE take SET duration_frames = ?1, rate_num = ?2, rate_den = ?3 WHERE id = ?4",
                p![
                    i64::try_from(timing.duration_frames).unwrap_or(i64::MAX),
                    timing.rate.num(),
                    timing.rate.den(),
                    take_id
                ],
            )?;
            Ok(())
        })
    }

    /// Exact frame rate of a take, when known.
    pub fn take_rate(&self, take_id: i64) -> Result<Option<FrameRate>> {
        let r: Option<(Option<u32>, Option<u32>)> = self.read(|c| {
            c.query_opt(
                "SELECT rate_num, rate_den FROM take WHERE id = ?1",
                p![take_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        Ok(match r {
            Some((Some(n), Some(d))) => FrameRate::new(n, d).ok(),
            _ => None,
        })
    }

    /// Sequence number of the event with this hash, if the chain has it. A hash noted earlier
    /// (an evidence manifest's chain head, a printed `verify` head) that is no longer found means
    /// the ledger was rewritten since.
    pub fn find_event(&mut self, hash: &str) -> Result<Option<i64>> {
        let hash = hash.trim().to_ascii_lowercase();
        self.read(|c| c.opt("SELECT seq FROM ledger WHERE hash = ?1", p![hash]))
    }

    /// Runs the full integrity check; see [`crate::verify`].
    pub fn verify(&mut self, rehash_files: bool) -> Result<crate::verify::VerifyReport> {
        self.read(|c| crate::verify::verify(c, rehash_files))
    }
}

/// [`Library::search_rows`] in three queries for the whole page (PostgreSQL: round trips).
fn rows_batched(c: &Db<'_>, found: SearchResult) -> Result<(Vec<TakeRow>, u64)> {
    use std::collections::HashMap;
    if found.takes.is_empty() {
        return Ok((Vec::new(), found.total));
    }
    let ids: Vec<i64> = found.takes.iter().map(|t| t.id).collect();
    let list = id_sql_list(&ids);
    let mut sessions: HashMap<i64, String> = HashMap::new();
    for r in c.query_once(
        &format!("SELECT t.id, s.name FROM take t JOIN session s ON s.id = t.session_id WHERE t.id IN ({list})"),
        &[],
    )? {
        sessions.insert(r.get(0)?, r.get(1)?);
    }
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    for r in c.query_once(
        &format!("SELECT take_id, count(*), count(*) FILTER (WHERE resolved = 0) FROM note WHERE take_id IN ({list}) AND retracted = 0 GROUP BY take_id"),
        &[],
    )? {
        counts.insert(r.get(0)?, (r.get(1)?, r.get(2)?));
    }
    let mut actors: HashMap<i64, Vec<String>> = HashMap::new();
    for r in c.query_once(
        &format!("SELECT take_id, actor FROM take_actor WHERE take_id IN ({list}) ORDER BY take_id, actor"),
        &[],
    )? {
        actors.entry(r.get(0)?).or_default().push(r.get(1)?);
    }
    let rows = found
        .takes
        .into_iter()
        .map(|summary| {
            let id = summary.id;
            let (notes, open) = counts.get(&id).copied().unwrap_or((0, 0));
            TakeRow {
                summary,
                session: sessions.remove(&id),
                actors: actors.remove(&id).unwrap_or_default(),
                notes: u64::try_from(notes).unwrap_or(0),
                open_notes: u64::try_from(open).unwrap_or(0),
            }
        })
        .collect();
    Ok((rows, found.total))
}

fn read_metadata(c: &Db<'_>, take_id: i64) -> Result<TakeMetadata> {
    let (description, marker_set, character, start_timecode) = c
        .query_opt(
            "SELECT description, marker_set, \"character\", start_timecode FROM take WHERE id = ?1",
            p![take_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .ok_or_else(|| LibraryError::NoSuchTake(take_id.to_string()))?;
    Ok(TakeMetadata {
        description,
        actors: read_list(c, "take_actor", "actor", take_id)?,
        tags: read_list(c, "take_tag", "tag", take_id)?,
        marker_set,
        character,
        start_timecode,
    })
}

fn read_list(c: &Db<'_>, table: &str, column: &str, take_id: i64) -> Result<Vec<String>> {
    c.query_map(
        &format!("SELECT {column} FROM {table} WHERE take_id = ?1 ORDER BY {column}"),
        p![take_id],
        |r| r.get(0),
    )
}

fn replace_list(
    c: &Db<'_>,
    table: &str,
    column: &str,
    take_id: i64,
    items: &[String],
) -> Result<()> {
    c.execute(
        &format!("DELETE FROM {table} WHERE take_id = ?1"),
        p![take_id],
    )?;
    let insert = format!("INSERT INTO {table}(take_id, {column}) VALUES (?1, ?2)");
    for item in clean_list(items) {
        c.execute(&insert, p![take_id, item])?;
    }
    Ok(())
}

/// Rewrites the take's full-text row (FTS5 on SQLite, a `tsvector` on PostgreSQL).
pub(crate) fn refresh_fts(c: &Db<'_>, take_id: i64) -> Result<()> {
    if c.is_pg() {
        // The same text as below, assembled by the server in one round trip.
        c.execute(
            "INSERT INTO take_fts(take_id, doc)
             SELECT t.id, to_tsvector('simple', concat_ws(E'\\n', replace(t.name, '_', ' '), s.name, t.description,
                 (SELECT string_agg(actor, ' ' ORDER BY actor) FROM take_actor WHERE take_id = t.id),
                 (SELECT string_agg(tag, ' ' ORDER BY tag) FROM take_tag WHERE take_id = t.id),
                 t.\"character\", t.marker_set,
                 (SELECT string_agg(text, E'\\n' ORDER BY id) FROM note WHERE take_id = t.id AND retracted = 0)))
             FROM take t JOIN scene s ON s.id = t.scene_id WHERE t.id = ?1
             ON CONFLICT (take_id) DO UPDATE SET doc = excluded.doc",
            p![take_id],
        )?;
        return Ok(());
    }
    let (name, scene, description, character, marker_set): (String, String, String, Option<String>, Option<String>) = c
        .query_row(
            "SELECT t.name, s.name, t.description, t.\"character\", t.marker_set FROM take t JOIN scene s ON s.id = t.scene_id WHERE t.id = ?1",
            p![take_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
    let actors = read_list(c, "take_actor", "actor", take_id)?.join(" ");
    let tags = read_list(c, "take_tag", "tag", take_id)?.join(" ");
    let notes: Vec<String> = c.query_map(
        "SELECT text FROM note WHERE take_id = ?1 AND retracted = 0 ORDER BY id",
        p![take_id],
        |r| r.get(0),
    )?;
    let name = name.replace('_', " ");
    let character = character.unwrap_or_default();
    let marker_set = marker_set.unwrap_or_default();
    let notes = notes.join("\n");
    c.execute("DELETE FROM take_fts WHERE rowid = ?1", p![take_id])?;
    c.execute(
        "INSERT INTO take_fts(rowid, name, scene, description, actors, tags, character, marker_set, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        p![take_id, name, scene, description, actors, tags, character, marker_set, notes],
    )?;
    Ok(())
}

fn get_or_create(c: &Db<'_>, table: &str, name: &str, date: Option<&str>) -> Result<i64> {
    let existing: Option<i64> = c.opt(
        &format!("SELECT id FROM {table} WHERE project_id = 1 AND name = ?1"),
        p![name],
    )?;
    if let Some(id) = existing {
        return Ok(id);
    }
    if table == "session" {
        c.insert(
            "INSERT INTO session(project_id, name, capture_date) VALUES (1, ?1, ?2)",
            p![name, date],
        )
    } else {
        c.insert(
            &format!("INSERT INTO {table}(project_id, name) VALUES (1, ?1)"),
            p![name],
        )
    }
}

/// Inserts a take with its files and a `take_registered` event (inside the caller's transaction).
pub(crate) fn insert_take(c: &Db<'_>, t: &NewTake, author: &str) -> Result<i64> {
    if t.name.trim().is_empty() {
        return Err(LibraryError::invalid("take name", "empty"));
    }
    let scene_id = get_or_create(c, "scene", &normalize_scene(&t.scene), None)?;
    let session_id = match &t.session {
        Some((name, date)) => Some(get_or_create(c, "session", name, date.as_deref())?),
        None => None,
    };
    let (dur, num, den) = match t.timing {
        Some(tm) => (
            Some(i64::try_from(tm.duration_frames).unwrap_or(i64::MAX)),
            Some(tm.rate.num()),
            Some(tm.rate.den()),
        ),
        None => (None, None, None),
    };
    let now = now_utc_ms();
    let take_id = c
        .insert(
            "INSERT INTO take(scene_id, session_id, number, name, description, marker_set, \"character\", duration_frames, rate_num, rate_den, start_timecode, captured_utc_ms, created_utc_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            p![
                scene_id, session_id, t.number, t.name, t.description, t.marker_set, t.character, dur, num, den,
                t.start_timecode, t.captured_utc_ms, now
            ],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                LibraryError::invalid("take name", format!("a take named `{}` already exists", t.name))
            } else {
                e
            }
        })?;
    replace_list(c, "take_actor", "actor", take_id, &t.actors)?;
    replace_list(c, "take_tag", "tag", take_id, &t.tags)?;
    for f in &t.files {
        insert_file(c, take_id, f, now)?;
    }
    let body = json!({
        "type": "take_registered",
        "name": t.name,
        "scene": normalize_scene(&t.scene),
        "number": t.number,
    });
    ledger::append(c, Some(take_id), author, &body, None)?;
    refresh_fts(c, take_id)?;
    Ok(take_id)
}

pub(crate) fn insert_file(c: &Db<'_>, take_id: i64, f: &NewFile, now: i64) -> Result<i64> {
    c.insert(
        "INSERT INTO take_file(take_id, kind, path, sha256, size_bytes, added_utc_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        p![
            take_id,
            f.kind.as_str(),
            f.path,
            f.sha256,
            i64::try_from(f.size_bytes).unwrap_or(i64::MAX),
            now
        ],
    )
}

pub(crate) fn take_files(c: &Db<'_>, take_id: i64) -> Result<Vec<TakeFile>> {
    let mut rows: Vec<(i64, String, String, String, i64)> = c.query_map(
        "SELECT id, kind, path, sha256, size_bytes FROM take_file WHERE take_id = ?1",
        p![take_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    // By path in byte order on both stores (PostgreSQL's collation may differ from SQLite's).
    rows.sort_by(|a, b| a.2.cmp(&b.2));
    rows.into_iter()
        .map(|(id, kind, path, sha256, size)| {
            Ok(TakeFile {
                id,
                kind: FileKind::parse(&kind).ok_or_else(|| {
                    LibraryError::Corrupt(format!("file {id} has unknown kind `{kind}`"))
                })?,
                path,
                sha256,
                size_bytes: u64::try_from(size).unwrap_or(0),
            })
        })
        .collect()
}

pub(crate) fn take_detail(c: &Db<'_>, take_id: i64) -> Result<TakeDetail> {
    let summary = c
        .query_opt(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM take t JOIN scene s ON s.id = t.scene_id WHERE t.id = ?1"
            ),
            p![take_id],
            summary_from_row,
        )?
        .ok_or_else(|| LibraryError::NoSuchTake(take_id.to_string()))?;
    let session: Option<String> = c.opt(
        "SELECT s.name FROM take t JOIN session s ON s.id = t.session_id WHERE t.id = ?1",
        p![take_id],
    )?;
    let m = read_metadata(c, take_id)?;
    let notes = c.query_map(
        &format!(
            "SELECT {NOTE_COLUMNS} FROM note WHERE take_id = ?1 AND retracted = 0 ORDER BY id"
        ),
        p![take_id],
        note_from_row,
    )?;
    Ok(TakeDetail {
        summary,
        session,
        description: m.description,
        actors: m.actors,
        marker_set: m.marker_set,
        character: m.character,
        tags: m.tags,
        start_timecode: m.start_timecode,
        files: take_files(c, take_id)?,
        notes,
    })
}
