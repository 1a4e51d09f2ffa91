//! Adding many takes at once on PostgreSQL: the same rows, ledger events and full-text documents
//! as [`super::takes::insert_take`] one by one, sent as a few `COPY` streams and set-based
//! statements per batch instead of about ten round trips per take (a million takes went from
//! hours to minutes).

use super::NewTake;
use super::takes::{clean_list, get_or_create, normalize_scene};
use crate::db::{Db, Value, copy_text};
use crate::error::{LibraryError, Result};
use crate::ledger::{self, BatchEvent};
use crate::util::now_utc_ms;
use serde_json::json;
use std::collections::HashMap;

/// Appends one text-format `COPY` row of `cols` to `out`.
fn copy_row(out: &mut String, cols: &[Option<&str>]) {
    for (i, col) in cols.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        copy_text(out, *col);
    }
    out.push('\n');
}

/// Inserts `takes` in the caller's write transaction (PostgreSQL); returns their ids in order.
pub(super) fn insert_takes_pg(c: &Db<'_>, takes: &[NewTake], author: &str) -> Result<Vec<i64>> {
    if takes.is_empty() {
        return Ok(Vec::new());
    }
    check_names(c, takes)?;
    // Scenes and sessions: few per batch, looked up (or made) once each.
    let mut scenes: HashMap<String, i64> = HashMap::new();
    let mut sessions: HashMap<String, i64> = HashMap::new();
    let ids: Vec<i64> = c.query_map(
        "SELECT nextval(pg_get_serial_sequence('take', 'id')) FROM generate_series(1, ?1)",
        &[Value::Int(i64::try_from(takes.len()).unwrap_or(i64::MAX))],
        |r| r.get(0),
    )?;
    if ids.len() != takes.len() {
        return Err(LibraryError::Corrupt(format!(
            "the server handed out {} take ids for {} takes (internal error)",
            ids.len(),
            takes.len()
        )));
    }
    let now = now_utc_ms();
    let now_s = now.to_string();
    let (mut take_rows, mut actor_rows, mut tag_rows, mut file_rows) =
        (String::new(), String::new(), String::new(), String::new());
    let mut events: Vec<BatchEvent> = Vec::with_capacity(takes.len());
    for (t, &id) in takes.iter().zip(&ids) {
        let scene = normalize_scene(&t.scene);
        let scene_id = match scenes.get(&scene) {
            Some(&s) => s,
            None => {
                let s = get_or_create(c, "scene", &scene, None)?;
                scenes.insert(scene.clone(), s);
                s
            }
        };
        let session_id = match &t.session {
            Some((name, date)) => Some(match sessions.get(name) {
                Some(&s) => s,
                None => {
                    let s = get_or_create(c, "session", name, date.as_deref())?;
                    sessions.insert(name.clone(), s);
                    s
                }
            }),
            None => None,
        };
        let (dur, num, den) = match t.timing {
            Some(tm) => (
                Some(
                    i64::try_from(tm.duration_frames)
                        .unwrap_or(i64::MAX)
                        .to_string(),
                ),
                Some(tm.rate.num().to_string()),
                Some(tm.rate.den().to_string()),
            ),
            None => (None, None, None),
        };
        let id_s = id.to_string();
        copy_row(
            &mut take_rows,
            &[
                Some(&id_s),
                Some(&scene_id.to_string()),
                session_id.map(|s| s.to_string()).as_deref(),
                t.number.map(|n| n.to_string()).as_deref(),
                Some(&t.name),
                Some(&t.description),
                t.marker_set.as_deref(),
                t.character.as_deref(),
                dur.as_deref(),
                num.as_deref(),
                den.as_deref(),
                t.start_timecode.as_deref(),
                t.captured_utc_ms.map(|m| m.to_string()).as_deref(),
                Some(&now_s),
            ],
        );
        for actor in clean_list(&t.actors) {
            copy_row(&mut actor_rows, &[Some(&id_s), Some(&actor)]);
        }
        for tag in clean_list(&t.tags) {
            copy_row(&mut tag_rows, &[Some(&id_s), Some(&tag)]);
        }
        for f in &t.files {
            copy_row(
                &mut file_rows,
                &[
                    Some(&id_s),
                    Some(f.kind.as_str()),
                    Some(&f.path),
                    Some(&f.sha256),
                    Some(&i64::try_from(f.size_bytes).unwrap_or(i64::MAX).to_string()),
                    Some(&now_s),
                ],
            );
        }
        let content = ledger::files_json(
            t.files
                .iter()
                .map(|f| {
                    (
                        f.kind.as_str().to_string(),
                        f.path.clone(),
                        f.sha256.clone(),
                    )
                })
                .collect(),
        );
        let body = json!({
            "type": "take_registered",
            "name": t.name,
            "scene": scene,
            "number": t.number,
        });
        events.push((Some(id), body, content));
    }
    c.pg_copy_in(
        "COPY take(id, scene_id, session_id, number, name, description, marker_set, \"character\", duration_frames, rate_num, rate_den, start_timecode, captured_utc_ms, created_utc_ms) FROM STDIN",
        take_rows.as_bytes(),
    )?;
    c.pg_copy_in(
        "COPY take_actor(take_id, actor) FROM STDIN",
        actor_rows.as_bytes(),
    )?;
    c.pg_copy_in(
        "COPY take_tag(take_id, tag) FROM STDIN",
        tag_rows.as_bytes(),
    )?;
    c.pg_copy_in(
        "COPY take_file(take_id, kind, path, sha256, size_bytes, added_utc_ms) FROM STDIN",
        file_rows.as_bytes(),
    )?;
    ledger::append_batch(c, author, &events)?;
    fts_batch(c, &ids)?;
    Ok(ids)
}

/// Refuses empty names and names already taken (in the library or earlier in the batch), as
/// adding the takes one by one would.
fn check_names(c: &Db<'_>, takes: &[NewTake]) -> Result<()> {
    let mut names: HashMap<&str, ()> = HashMap::with_capacity(takes.len());
    for t in takes {
        if t.name.trim().is_empty() {
            return Err(LibraryError::invalid("take name", "empty"));
        }
        if names.insert(t.name.as_str(), ()).is_some() {
            return Err(LibraryError::invalid(
                "take name",
                format!("a take named `{}` already exists", t.name),
            ));
        }
    }
    let all_names =
        serde_json::Value::from(takes.iter().map(|t| t.name.clone()).collect::<Vec<_>>());
    let taken: Option<String> = c.opt(
        "SELECT name FROM take WHERE name IN (SELECT json_array_elements_text(?1::json)) LIMIT 1",
        &[Value::Text(all_names.to_string())],
    )?;
    if let Some(name) = taken {
        return Err(LibraryError::invalid(
            "take name",
            format!("a take named `{name}` already exists"),
        ));
    }
    Ok(())
}

/// The full-text documents of the batch `ids` in one statement.
fn fts_batch(c: &Db<'_>, ids: &[i64]) -> Result<()> {
    // The full-text documents of the whole batch in one statement (the text `refresh_fts` makes).
    let (Some(&first), Some(&last)) = (ids.iter().min(), ids.iter().max()) else {
        return Ok(());
    };
    c.execute(
        "INSERT INTO take_fts(take_id, doc)
         SELECT t.id, to_tsvector('simple', concat_ws(E'\\n', replace(t.name, '_', ' '), s.name, t.description,
             (SELECT string_agg(actor, ' ' ORDER BY actor) FROM take_actor WHERE take_id = t.id),
             (SELECT string_agg(tag, ' ' ORDER BY tag) FROM take_tag WHERE take_id = t.id),
             t.\"character\", t.marker_set,
             (SELECT string_agg(text, E'\\n' ORDER BY id) FROM note WHERE take_id = t.id AND retracted = 0)))
         FROM take t JOIN scene s ON s.id = t.scene_id
         WHERE t.id BETWEEN ?1 AND ?2 AND t.id IN (SELECT json_array_elements_text(?3::json)::bigint)
         ON CONFLICT (take_id) DO UPDATE SET doc = excluded.doc",
        &[
            Value::Int(first),
            Value::Int(last),
            Value::Text(serde_json::Value::from(ids.to_vec()).to_string()),
        ],
    )?;
    Ok(())
}
