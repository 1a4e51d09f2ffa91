//! Searching takes: [`Library::search`] and the take-browser rows of [`Library::search_rows`].

use super::Library;
use super::takes::*;
use crate::db::{Db, Value, p};
use crate::error::Result;
use crate::model::*;

/// The words of a search text (prefix-matched, all required), or `None` when it has none.
pub(super) fn fts_terms(text: &str) -> Option<Vec<String>> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    (!terms.is_empty()).then_some(terms)
}

/// Ids of the takes whose text matches every term (as a prefix), ascending: SQLite's FTS5 table,
/// or PostgreSQL's `tsvector` index.
pub(super) fn fts_ids(c: &Db<'_>, terms: &[String]) -> Result<Vec<i64>> {
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
pub(super) fn id_sql_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Runs a query returning one integer column (ids) and collects it.
pub(super) fn id_list(c: &Db<'_>, sql: &str, args: &[Value]) -> Result<Vec<i64>> {
    c.query_map(sql, args, |r| r.get(0))
}

/// Intersection of two ascending id lists.
pub(super) fn intersect_sorted(a: &[i64], b: &[i64]) -> Vec<i64> {
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

impl Library {
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
        if self.is_postgres() {
            return self.read(|c| search_pg(c, q, wheres, args, fts.as_deref(), limit));
        }
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
                ids = filter_by_rows(c, ids, &where_sql, &args)?;
            }
            page(c, &ids, q.offset, limit)
        })
    }
}

/// Keeps the candidate `ids` (sorted) that pass the take-row filters `where_sql` (with `args`).
fn filter_by_rows(
    c: &Db<'_>,
    mut ids: Vec<i64>,
    where_sql: &str,
    args: &[Value],
) -> Result<Vec<i64>> {
    use Value as V;
    let arg = |v: V, args: &mut Vec<V>| {
        args.push(v);
        format!("?{}", args.len())
    };
    if c.is_pg() && ids.len() <= 5000 {
        // Few candidates: one round trip checks them all against the row filters.
        let list = id_sql_list(&ids);
        ids = c
            .query_once(
                &format!("SELECT t.id FROM take t {where_sql} AND t.id IN ({list}) ORDER BY t.id"),
                args,
            )?
            .iter()
            .map(|r| r.get(0))
            .collect::<Result<_>>()?;
    } else if ids.len() <= 5000 {
        // Few candidates: check each against the row filters.
        let mut probe_args = args.to_vec();
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
        let rows = id_list(
            c,
            &format!("SELECT t.id FROM take t {where_sql} ORDER BY t.id"),
            args,
        )?;
        ids = intersect_sorted(&ids, &rows);
    }
    Ok(ids)
}

/// The summaries of `ids[offset..offset + limit]` and the total count.
fn page(c: &Db<'_>, ids: &[i64], offset: usize, limit: usize) -> Result<SearchResult> {
    if c.is_pg() {
        // One round trip for the page (a server away, per-row queries would dominate).
        let page: Vec<i64> = ids.iter().skip(offset).take(limit).copied().collect();
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
        .skip(offset)
        .take(limit)
        .map(|id| c.query_row(&one, p![*id], summary_from_row))
        .collect::<Result<Vec<_>>>()?;
    Ok(SearchResult {
        takes,
        total: ids.len() as u64,
    })
}

/// [`Library::search_rows`] in three queries for the whole page (PostgreSQL: round trips).
pub(super) fn rows_batched(c: &Db<'_>, found: SearchResult) -> Result<(Vec<TakeRow>, u64)> {
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

/// [`Library::search`] on PostgreSQL: the whole filter runs in the server, as one count and one
/// page query, so no list of matching ids crosses the connection (at a million takes a broad
/// word matches hundreds of thousands). Text, actor and tag filters become semi-joins the
/// planner drives from their indexes (`take_fts`'s GIN, `take_actor_actor`, `take_tag_tag`); a
/// count over a single set filter is answered from its own index alone.
fn search_pg(
    c: &Db<'_>,
    q: &TakeQuery,
    mut wheres: Vec<String>,
    mut args: Vec<Value>,
    fts: Option<&[String]>,
    limit: usize,
) -> Result<SearchResult> {
    use Value as V;
    let row_filters = wheres.len();
    // (condition on `t`, the same set counted alone) for each set filter.
    let mut sets: Vec<(String, String)> = Vec::new();
    let mut arg = |v: V| {
        args.push(v);
        format!("?{}", args.len())
    };
    if let Some(terms) = fts {
        // Terms are letters and digits only, so they cannot carry tsquery operators.
        let tsq = terms
            .iter()
            .map(|t| format!("{}:*", t.to_lowercase()))
            .collect::<Vec<_>>()
            .join(" & ");
        let p = arg(V::Text(tsq));
        sets.push((
            format!(
                "t.id IN (SELECT take_id FROM take_fts WHERE doc @@ to_tsquery('simple', {p}))"
            ),
            format!("SELECT count(*) FROM take_fts WHERE doc @@ to_tsquery('simple', {p})"),
        ));
    }
    if let Some(actor) = q.actor.as_deref() {
        let p = arg(V::Text(actor.trim().into()));
        sets.push((
            format!("t.id IN (SELECT take_id FROM take_actor WHERE actor = {p})"),
            format!("SELECT count(*) FROM take_actor WHERE actor = {p}"),
        ));
    }
    if let Some(tag) = q.tag.as_deref() {
        let p = arg(V::Text(tag.trim().into()));
        sets.push((
            format!("t.id IN (SELECT take_id FROM take_tag WHERE tag = {p})"),
            format!("SELECT count(*) FROM take_tag WHERE tag = {p}"),
        ));
    }
    let count_sql = match sets.as_slice() {
        [(_, alone)] if row_filters == 0 => alone.clone(),
        _ => {
            wheres.extend(sets.iter().map(|(cond, _)| cond.clone()));
            let where_sql = if wheres.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", wheres.join(" AND "))
            };
            format!("SELECT count(*) FROM take t {where_sql}")
        }
    };
    if sets.len() == 1 && row_filters == 0 {
        wheres.push(sets[0].0.clone());
    }
    // Every parameter is named by both statements (PostgreSQL must type each one it is sent).
    let total: i64 = c.one(&count_sql, &args)?;
    let where_sql = if wheres.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", wheres.join(" AND "))
    };
    let n = args.len();
    let mut page_args = args;
    page_args.push(V::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    page_args.push(V::Int(i64::try_from(q.offset).unwrap_or(i64::MAX)));
    let page_sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM take t JOIN scene s ON s.id = t.scene_id {where_sql} ORDER BY t.id LIMIT ?{} OFFSET ?{}",
        n + 1,
        n + 2
    );
    let takes = c.query_map(&page_sql, &page_args, summary_from_row)?;
    Ok(SearchResult {
        takes,
        total: u64::try_from(total).unwrap_or(0),
    })
}
