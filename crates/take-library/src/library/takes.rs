//! Take rows: adding takes with their files, reading details, metadata and derived versions.

use super::Library;
use super::{input::*, review::*, search::*};
use crate::db::{Db, Row, p};
use crate::error::{LibraryError, Result};
use crate::keys::UserKey;
use crate::ledger;
use crate::model::*;
use crate::util::now_utc_ms;
use mocap_data::FrameRate;
use serde_json::json;

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

pub(super) fn rate_from(num: Option<u32>, den: Option<u32>) -> Option<FrameRate> {
    // A rate that is not a valid FrameRate can only come from a raw edit: shown as unknown.
    FrameRate::new(num?, den?).ok()
}

pub(super) const SUMMARY_COLUMNS: &str = "t.id, t.name, s.name, t.number, t.status, t.duration_frames, t.rate_num, t.rate_den, t.captured_utc_ms";

pub(super) fn summary_from_row(r: &Row) -> Result<TakeSummary> {
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

pub(super) fn clean_list(items: &[String]) -> Vec<String> {
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
    /// Adds one take (and its scene/session) with a `take_registered` ledger event.
    pub fn add_take(&mut self, take: &NewTake, author: &str) -> Result<i64> {
        self.write(|c| insert_take(c, take, author))
    }

    /// Adds many takes in one transaction (bulk import, generated libraries).
    pub fn add_takes(&mut self, takes: &[NewTake], author: &str) -> Result<Vec<i64>> {
        self.write(|c| {
            if c.is_pg() && takes.len() > 1 {
                return super::bulk::insert_takes_pg(c, takes, author);
            }
            takes.iter().map(|t| insert_take(c, t, author)).collect()
        })
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
}

pub(super) fn read_metadata(c: &Db<'_>, take_id: i64) -> Result<TakeMetadata> {
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

pub(super) fn read_list(
    c: &Db<'_>,
    table: &str,
    column: &str,
    take_id: i64,
) -> Result<Vec<String>> {
    c.query_map(
        &format!("SELECT {column} FROM {table} WHERE take_id = ?1 ORDER BY {column}"),
        p![take_id],
        |r| r.get(0),
    )
}

pub(super) fn replace_list(
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

pub(super) fn get_or_create(
    c: &Db<'_>,
    table: &str,
    name: &str,
    date: Option<&str>,
) -> Result<i64> {
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
