//! Dailies: named, ordered playlists of takes or their revisions for a review session, played in
//! sequence in the studio with their notes and exported as an HTML review report. Setting a
//! playlist is a ledger event (the whole ordered list), replayed by `verify`.

use crate::db::{Db, p};
use crate::error::{LibraryError, Result};
use crate::ledger::{self, LedgerEvent};
use crate::library::Library;
use crate::report::escape_html;
use crate::util::format_utc_ms;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Migration 4 → 5 (the same SQL on both stores).
pub(crate) const MIGRATION: &str = "
CREATE TABLE playlist_item (
    playlist TEXT NOT NULL,
    position BIGINT NOT NULL,
    take_id BIGINT NOT NULL REFERENCES take(id),
    revision BIGINT NOT NULL,
    PRIMARY KEY (playlist, position)
);
";

/// One entry of a dailies playlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaylistItem {
    /// Position in the playlist, from 0.
    pub position: i64,
    /// The take.
    pub take_id: i64,
    /// The derived version to show (`None`: the capture itself).
    pub revision: Option<i64>,
}

impl Library {
    /// Sets the playlist `name` to `items` (takes, or take revisions: derived version ids), in
    /// play order; an empty list removes it. A ledger event.
    pub fn set_playlist(
        &mut self,
        name: &str,
        items: &[(i64, Option<i64>)],
        by: &str,
    ) -> Result<LedgerEvent> {
        let name = name.trim();
        if name.is_empty() {
            return Err(LibraryError::invalid("playlist", "empty name"));
        }
        self.write(|c| {
            for (take, rev) in items {
                if c.opt::<i64>("SELECT id FROM take WHERE id = ?1", p![*take])?.is_none() {
                    return Err(LibraryError::NoSuchTake(take.to_string()));
                }
                if let Some(rev) = rev {
                    let owner: Option<i64> =
                        c.opt("SELECT take_id FROM derived_version WHERE id = ?1", p![*rev])?;
                    if owner != Some(*take) {
                        return Err(LibraryError::invalid(
                            "revision",
                            format!("derived version {rev} is not a version of take {take}"),
                        ));
                    }
                }
            }
            c.execute("DELETE FROM playlist_item WHERE playlist = ?1", p![name])?;
            for (i, (take, rev)) in items.iter().enumerate() {
                c.execute(
                    "INSERT INTO playlist_item(playlist, position, take_id, revision) VALUES (?1, ?2, ?3, ?4)",
                    p![name, i as i64, *take, rev.unwrap_or(0)],
                )?;
            }
            let list: Vec<Value> = items
                .iter()
                .map(|(t, r)| json!({"take_id": t, "revision": r}))
                .collect();
            let body = json!({"type": "playlist", "name": name, "items": list});
            ledger::append(c, None, by, &body, None)
        })
    }

    /// Every playlist name, sorted.
    pub fn playlists(&self) -> Result<Vec<String>> {
        self.read(|c| {
            c.query_map(
                "SELECT DISTINCT playlist FROM playlist_item ORDER BY playlist",
                p![],
                |r| r.get(0),
            )
        })
    }

    /// The playlist `name` in play order (empty when there is none).
    pub fn playlist(&self, name: &str) -> Result<Vec<PlaylistItem>> {
        self.read(|c| read_playlist(c, name))
    }

    /// The playlist as a self-contained HTML review report: every entry in play order with its
    /// status, reviewers' verdicts on that revision, and notes.
    pub fn playlist_html(&mut self, name: &str, generator: &str) -> Result<String> {
        let items = self.playlist(name)?;
        if items.is_empty() {
            return Err(LibraryError::invalid(
                "playlist",
                format!("no playlist named `{name}`"),
            ));
        }
        let e = escape_html;
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dailies: {}</title>\n<style>\
body{{font-family:sans-serif;margin:2em;color:#222}}table{{border-collapse:collapse}}\
td,th{{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}}th{{background:#eee}}</style></head><body>\n\
<h1>Dailies: {}</h1>\n<p>Generated {} by {}.</p>\n<table><tr><th>#</th><th>Take</th><th>Revision</th><th>Status</th><th>Verdicts</th><th>Notes</th></tr>\n",
            e(name),
            e(name),
            e(&format_utc_ms(crate::util::now_utc_ms())),
            e(generator)
        );
        for item in &items {
            let t = self.take(item.take_id)?;
            let revision = match item.revision {
                Some(rev) => self
                    .derived_versions(item.take_id)?
                    .into_iter()
                    .find(|d| d.id == rev)
                    .map(|d| format!("{} v{}", d.kind, d.version))
                    .unwrap_or_else(|| format!("version {rev}")),
                None => "capture".into(),
            };
            let verdicts: Vec<String> = self
                .verdicts(item.take_id)?
                .into_iter()
                .filter(|v| v.revision == item.revision)
                .map(|v| {
                    format!(
                        "<b>{}</b>: {}{}",
                        e(&v.reviewer),
                        e(&v.verdict),
                        v.comment
                            .map(|c| format!(" ({})", e(&c)))
                            .unwrap_or_default()
                    )
                })
                .collect();
            let notes: Vec<String> = t
                .notes
                .iter()
                .map(|n| {
                    format!(
                        "#{} frame {}: <b>{}</b>: {}",
                        n.id,
                        n.frame_start,
                        e(&n.author),
                        e(&n.text)
                    )
                })
                .collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                item.position + 1,
                e(&t.summary.name),
                e(&revision),
                e(t.summary.status.as_str()),
                verdicts.join("<br>"),
                notes.join("<br>")
            );
        }
        h.push_str("</table>\n</body></html>\n");
        Ok(h)
    }
}

fn read_playlist(c: &Db<'_>, name: &str) -> Result<Vec<PlaylistItem>> {
    c.query_map(
        "SELECT position, take_id, revision FROM playlist_item WHERE playlist = ?1 ORDER BY position",
        p![name],
        |r| {
            let rev: i64 = r.get(2)?;
            Ok(PlaylistItem {
                position: r.get(0)?,
                take_id: r.get(1)?,
                revision: (rev != 0).then_some(rev),
            })
        },
    )
}

/// Replays playlist events and compares with the table: (seq, take, message) per problem.
pub(crate) fn verify_playlists(
    c: &Db<'_>,
    events: &[LedgerEvent],
) -> Result<Vec<(Option<i64>, Option<i64>, String)>> {
    let mut expected: BTreeMap<String, (Vec<(i64, i64)>, i64)> = BTreeMap::new();
    for e in events {
        let Ok(body) = serde_json::from_str::<Value>(&e.body) else {
            continue;
        };
        if body.get("type").and_then(Value::as_str) != Some("playlist") {
            continue;
        }
        let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
        let items: Vec<(i64, i64)> = body
            .get("items")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|i| {
                        (
                            i.get("take_id").and_then(Value::as_i64).unwrap_or(0),
                            i.get("revision").and_then(Value::as_i64).unwrap_or(0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if items.is_empty() {
            expected.remove(name);
        } else {
            expected.insert(name.to_string(), (items, e.seq));
        }
    }
    let rows: Vec<(String, i64, i64)> = c.query_map(
        "SELECT playlist, take_id, revision FROM playlist_item ORDER BY playlist, position",
        p![],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let mut actual: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for (name, take, rev) in rows {
        actual.entry(name).or_default().push((take, rev));
    }
    let mut problems = Vec::new();
    for (name, items) in &actual {
        match expected.get(name) {
            Some((want, _)) if want == items => {}
            Some((_, seq)) => problems.push((
                Some(*seq),
                None,
                format!("playlist `{name}` differs from what the ledger recorded"),
            )),
            None => problems.push((
                None,
                None,
                format!("playlist `{name}` is not in the ledger (added behind its back)"),
            )),
        }
    }
    for (name, (_, seq)) in &expected {
        if !actual.contains_key(name) {
            problems.push((Some(*seq), None, format!("playlist `{name}` was deleted")));
        }
    }
    Ok(problems)
}
