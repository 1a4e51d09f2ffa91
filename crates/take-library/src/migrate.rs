//! Copying a whole library from one store to another (`mocap takes migrate --from LIB.db --to
//! postgres://…`, or back): every row with its id, the ledger event by event, then both sides
//! verified and their chain heads compared.

use crate::db::{Row, p};
use crate::error::{LibraryError, Result};
use crate::library::{Library, refresh_fts};
use serde::Serialize;

/// Tables in the order their foreign keys allow, with the columns copied (the same on both
/// stores). `meta` and `project` are handled apart.
const TABLES: &[(&str, &str, &str)] = &[
    ("session", "id, project_id, name, capture_date", "id"),
    ("scene", "id, project_id, name", "id"),
    (
        "take",
        "id, scene_id, session_id, number, name, description, marker_set, \"character\", duration_frames, rate_num, rate_den, start_timecode, status, captured_utc_ms, created_utc_ms",
        "id",
    ),
    ("take_actor", "take_id, actor", "take_id, actor"),
    ("take_tag", "take_id, tag", "take_id, tag"),
    (
        "take_file",
        "id, take_id, kind, path, sha256, size_bytes, added_utc_ms",
        "id",
    ),
    (
        "derived_version",
        "id, take_id, kind, version, input_sha256, operations, output_path, output_sha256, author, created_utc_ms",
        "id",
    ),
    (
        "note",
        "id, take_id, reply_to, frame_start, frame_end, author, created_utc_ms, text, resolved, retracted",
        "id",
    ),
    ("member", "name, role", "name"),
    (
        "playlist_item",
        "playlist, position, take_id, revision",
        "playlist, position",
    ),
    (
        "verdict",
        "take_id, revision, reviewer, verdict, comment, time_utc_ms",
        "take_id, revision, reviewer",
    ),
    ("role_grant", "role, status", "role, status"),
    (
        "ledger",
        "seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash",
        "seq",
    ),
];

/// Tables whose `id` PostgreSQL generates (their sequences are moved past the copied ids).
const IDENTITY_TABLES: &[&str] = &[
    "project",
    "session",
    "scene",
    "take",
    "take_file",
    "derived_version",
    "note",
];

/// What [`copy_library`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrateReport {
    /// The source library (file, or URL without password).
    pub from: String,
    /// The target library.
    pub to: String,
    /// Rows copied per table, in copy order.
    pub rows: Vec<(String, u64)>,
    /// Ledger events in the source (and now in the target).
    pub events: u64,
    /// Chain head hash of the source after the copy.
    pub from_head: String,
    /// Chain head hash of the target after the copy (equal to `from_head` when all is well).
    pub to_head: String,
    /// Problems `verify` found in the source (empty: intact).
    pub from_problems: Vec<String>,
    /// Problems `verify` found in the target (empty: intact).
    pub to_problems: Vec<String>,
}

impl MigrateReport {
    /// True when both sides verify and end at the same chain head.
    pub fn is_ok(&self) -> bool {
        self.from_problems.is_empty()
            && self.to_problems.is_empty()
            && self.from_head == self.to_head
    }
}

/// Copies every take, file, note, derived version and ledger event of `from` into `to`, which
/// must be a new library (no takes, no ledger events). Refuses a source that does not verify.
/// `rehash_files` also re-hashes the take files on disk in both checks.
pub fn copy_library(from: &Library, to: &mut Library, rehash_files: bool) -> Result<MigrateReport> {
    let before = from.read(|c| crate::verify::verify(c, rehash_files))?;
    if let Some(problem) = before.first_problem() {
        return Err(LibraryError::invalid(
            "source library",
            format!(
                "it does not verify ({problem}; {} problems in all): run `mocap takes verify --db {}` and repair it before migrating",
                before.problems.len(),
                from.path().display()
            ),
        ));
    }
    // Everything, read in one snapshot.
    let (data, meta, project) = from.read(|c| {
        let data = TABLES
            .iter()
            .map(|(table, cols, order)| {
                c.query(&format!("SELECT {cols} FROM {table} ORDER BY {order}"), p![])
            })
            .collect::<Result<Vec<Vec<Row>>>>()?;
        let meta: Vec<(String, String)> = c.query_map(
            "SELECT key, value FROM meta WHERE key IN ('library_id', 'ledger_count', 'ledger_head')",
            p![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let project: Option<String> = c.opt("SELECT name FROM project WHERE id = 1", p![])?;
        Ok((data, meta, project))
    })?;
    let rows = to.write(|c| {
        let takes: i64 = c.one("SELECT count(*) FROM take", p![])?;
        let events: i64 = c.one("SELECT count(*) FROM ledger", p![])?;
        if takes > 0 || events > 0 {
            return Err(LibraryError::invalid(
                "target library",
                format!("it already has {takes} takes and {events} ledger events: migrate into a new, empty library"),
            ));
        }
        // The target's default grants give way to the source's (as its ledger built them).
        c.execute("DELETE FROM role_grant", p![])?;
        if let Some(name) = &project {
            c.execute("UPDATE project SET name = ?1 WHERE id = 1", p![name])?;
        }
        let mut counts = Vec::new();
        for ((table, cols, _), rows) in TABLES.iter().zip(&data) {
            let n = cols.split(',').count();
            let marks = (1..=n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO {table}({cols}) VALUES ({marks})");
            for row in rows {
                c.execute(&sql, &row.0)?;
            }
            counts.push((table.to_string(), rows.len() as u64));
        }
        for (key, value) in &meta {
            c.execute("UPDATE meta SET value = ?1 WHERE key = ?2", p![value, key])?;
        }
        let take_ids: Vec<i64> = c.query_map("SELECT id FROM take ORDER BY id", p![], |r| r.get(0))?;
        for id in take_ids {
            refresh_fts(c, id)?;
        }
        if c.is_pg() {
            for table in IDENTITY_TABLES {
                c.query(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    ),
                    p![],
                )?;
            }
        }
        Ok(counts)
    })?;
    let after_from = from.read(|c| crate::verify::verify(c, rehash_files))?;
    let after_to = to.read(|c| crate::verify::verify(c, rehash_files))?;
    let problems = |r: &crate::verify::VerifyReport| -> Vec<String> {
        r.problems.iter().map(ToString::to_string).collect()
    };
    Ok(MigrateReport {
        from: from.path().display().to_string(),
        to: to.path().display().to_string(),
        rows,
        events: after_from.events_checked,
        from_head: after_from.head.clone(),
        to_head: after_to.head.clone(),
        from_problems: problems(&after_from),
        to_problems: problems(&after_to),
    })
}
