//! The append-only approval ledger: a SHA-256 hash chain of events.
//!
//! Event hash = SHA-256 of [`event_preimage`]: a length-prefixed encoding of the sequence number,
//! take id, author, UTC time, the take's content hashes (canonical JSON), the event body
//! (canonical JSON), the previous event's hash and the signer's public key. The optional ed25519
//! signature signs the 32 raw bytes of the event hash. The head (last hash and event count) is
//! also kept in the `meta` table, so deleting the last events or appending forged ones is noticed.
//!
//! What this proves, and what it does not: any edit, deletion, insertion or reordering of events
//! made without also rewriting every later event *and* the head record is detected by
//! [`crate::verify`]. Someone with write access who rewrites the whole tail consistently is
//! detected only against a hash noted before (an evidence manifest's `chain_head`, checked with
//! `mocap takes verify --anchor HASH`), and can never produce a valid signature for a user key
//! they do not hold: treat only signed approvals from known public keys as attributable.

use crate::db::{Db, Row, p};
use crate::error::{LibraryError, Result};
use crate::keys::UserKey;
use crate::util::{from_hex, now_utc_ms, sha256_hex};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEvent {
    /// Position in the chain, 1 for the first event.
    pub seq: i64,
    /// The take the event is about (`None` for library-wide events).
    pub take_id: Option<i64>,
    /// Who caused it.
    pub author: String,
    /// When, milliseconds since the Unix epoch (UTC).
    pub time_utc_ms: i64,
    /// The take's files at that moment: canonical JSON array of `{kind, path, sha256}` sorted by
    /// path (`[]` for library-wide events).
    pub content_hashes: String,
    /// What happened: canonical JSON object with a `type` field.
    pub body: String,
    /// Hash of the previous event ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// Signer's ed25519 public key (hex), when signed.
    pub public_key: Option<String>,
    /// ed25519 signature (hex) of the raw event hash bytes, when signed.
    pub signature: Option<String>,
    /// SHA-256 (hex) of [`event_preimage`].
    pub hash: String,
}

impl LedgerEvent {
    /// Recomputes the hash from the fields (ignores the stored `hash`).
    pub fn compute_hash(&self) -> String {
        sha256_hex(&event_preimage(
            self.seq,
            self.take_id,
            &self.author,
            self.time_utc_ms,
            &self.content_hashes,
            &self.body,
            &self.prev_hash,
            self.public_key.as_deref(),
        ))
    }

    /// Checks the event on its own: hash, canonical JSON, signature. `Err` says what is wrong.
    pub fn check_self(&self) -> Result<(), String> {
        let computed = self.compute_hash();
        if computed != self.hash {
            return Err(format!(
                "stored hash {} does not match its content (recomputed {computed}): the event was edited",
                self.hash
            ));
        }
        for (name, text) in [
            ("body", &self.body),
            ("content hashes", &self.content_hashes),
        ] {
            match serde_json::from_str::<Value>(text) {
                Ok(v) if canonical_json(&v) == *text => {}
                _ => return Err(format!("{name} is not canonical JSON")),
            }
        }
        match (&self.public_key, &self.signature) {
            (None, None) => Ok(()),
            (Some(pk), Some(sig)) => {
                let raw = from_hex(&self.hash).ok_or("hash is not hex")?;
                crate::keys::verify_signature(pk, &raw, sig)
                    .map_err(|e| format!("signature invalid: {e}"))
            }
            (Some(_), None) => Err("signed by a public key but the signature is missing".into()),
            (None, Some(_)) => Err("has a signature but no public key".into()),
        }
    }

    /// The `type` field of the body (empty when unreadable).
    pub fn body_type(&self) -> String {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default()
    }
}

/// The byte string an event hash is computed over.
pub fn event_preimage(
    seq: i64,
    take_id: Option<i64>,
    author: &str,
    time_utc_ms: i64,
    content_hashes: &str,
    body: &str,
    prev_hash: &str,
    public_key: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len() + content_hashes.len());
    out.extend_from_slice(b"mocap-take-ledger/v1\n");
    let mut field = |value: Option<&[u8]>| match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    };
    field(Some(seq.to_string().as_bytes()));
    field(take_id.map(|t| t.to_string()).as_deref().map(str::as_bytes));
    field(Some(author.as_bytes()));
    field(Some(time_utc_ms.to_string().as_bytes()));
    field(Some(content_hashes.as_bytes()));
    field(Some(body.as_bytes()));
    field(Some(prev_hash.as_bytes()));
    field(public_key.map(str::as_bytes));
    out
}

/// Canonical JSON: object keys sorted by byte order, no whitespace, serde_json string escaping.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Reads all events in `seq` order.
pub(crate) fn read_events(conn: &Db<'_>, take_id: Option<i64>) -> Result<Vec<LedgerEvent>> {
    let sql = "SELECT seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash FROM ledger";
    let map = |r: &Row| -> Result<LedgerEvent> {
        Ok(LedgerEvent {
            seq: r.get(0)?,
            take_id: r.get(1)?,
            author: r.get(2)?,
            time_utc_ms: r.get(3)?,
            content_hashes: r.get(4)?,
            body: r.get(5)?,
            prev_hash: r.get(6)?,
            public_key: r.get(7)?,
            signature: r.get(8)?,
            hash: r.get(9)?,
        })
    };
    match take_id {
        Some(t) => conn.query_map(
            &format!("{sql} WHERE take_id = ?1 ORDER BY seq"),
            p![t],
            map,
        ),
        None => conn.query_map(&format!("{sql} ORDER BY seq"), p![], map),
    }
}

/// The head recorded in `meta`: (event count, last hash).
pub(crate) fn recorded_head(conn: &Db<'_>) -> Result<(i64, String)> {
    let pairs: Vec<(String, String)> = conn.query_map(
        "SELECT key, value FROM meta WHERE key IN ('ledger_count', 'ledger_head')",
        p![],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let get = |key: &str| -> Result<Option<String>> {
        Ok(pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    };
    let count = get("ledger_count")?
        .and_then(|c| c.parse::<i64>().ok())
        .ok_or_else(|| LibraryError::Corrupt("the ledger head record is missing".into()))?;
    let head = get("ledger_head")?
        .ok_or_else(|| LibraryError::Corrupt("the ledger head record is missing".into()))?;
    Ok((count, head))
}

/// Canonical content hashes of a take's current files (sorted by path in byte order, the same
/// on both stores whatever PostgreSQL's collation).
pub(crate) fn content_hashes(conn: &Db<'_>, take_id: Option<i64>) -> Result<String> {
    let Some(take_id) = take_id else {
        return Ok("[]".into());
    };
    let files: Vec<(String, String, String)> = conn.query_map(
        "SELECT kind, path, sha256 FROM take_file WHERE take_id = ?1",
        p![take_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(files_json(files))
}

/// The canonical JSON of (kind, path, sha256) rows, sorted by path.
pub(crate) fn files_json(mut files: Vec<(String, String, String)>) -> String {
    files.sort_by(|a, b| a.1.cmp(&b.1));
    let files = files
        .into_iter()
        .map(|(kind, path, sha256)| serde_json::json!({"kind": kind, "path": path, "sha256": sha256}))
        .collect();
    canonical_json(&Value::Array(files))
}

/// The chain as the write lock holder sees it: (recorded event count, recorded head hash,
/// last event (seq, hash)) and the take's content hashes.
type ChainState = (i64, String, Option<(i64, String)>, String);

/// Reads [`ChainState`] holding the write lock. On PostgreSQL one round trip takes the advisory
/// lock (a no-op when the transaction holds it) and reads everything after it; on SQLite the
/// transaction holds the file's write lock already.
fn lock_and_read_chain(conn: &Db<'_>, take_id: Option<i64>) -> Result<ChainState> {
    if !conn.is_pg() {
        let (count, head) = recorded_head(conn)?;
        let last = conn.query_opt(
            "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1",
            p![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        return Ok((count, head, last, content_hashes(conn, take_id)?));
    }
    // `take_id` is an integer, so formatting it into the SQL cannot inject anything.
    let files_sql = match take_id {
        Some(id) => format!("SELECT kind, path, sha256 FROM take_file WHERE take_id = {id}"),
        None => "SELECT kind, path, sha256 FROM take_file WHERE false".into(),
    };
    let sets = conn.pg_simple(&format!(
        "SELECT pg_advisory_xact_lock({lock});
         SELECT (SELECT value FROM meta WHERE key = 'ledger_count'), (SELECT value FROM meta WHERE key = 'ledger_head'), l.seq, l.hash
           FROM (SELECT 1) one LEFT JOIN (SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1) l ON true;
         {files_sql}",
        lock = crate::store::WRITE_LOCK_KEY
    ))?;
    let missing = || LibraryError::Corrupt("the ledger head record is missing".into());
    let [_, head_rows, file_rows] = sets.as_slice() else {
        return Err(LibraryError::Corrupt(format!(
            "reading the ledger head returned {} result sets, not 3 (internal error)",
            sets.len()
        )));
    };
    let row = head_rows.first().ok_or_else(missing)?;
    let cell = |i: usize| row.get(i).cloned().flatten();
    let count = cell(0)
        .and_then(|c| c.parse::<i64>().ok())
        .ok_or_else(missing)?;
    let head = cell(1).ok_or_else(missing)?;
    let last = match (cell(2), cell(3)) {
        (Some(seq), Some(hash)) => Some((
            seq.parse::<i64>().map_err(|_| {
                LibraryError::Corrupt(format!("ledger seq `{seq}` is not a number"))
            })?,
            hash,
        )),
        _ => None,
    };
    let files = file_rows
        .iter()
        .map(|r| match r.as_slice() {
            [Some(k), Some(p), Some(s)] => Ok((k.clone(), p.clone(), s.clone())),
            _ => Err(LibraryError::Corrupt("a take file row has NULLs".into())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((count, head, last, files_json(files)))
}

/// Appends an event inside the caller's (immediate) transaction and moves the head.
///
/// Refuses to append when the stored chain head does not match the last event (a tampered
/// ledger must be investigated with `verify` first).
pub(crate) fn append(
    conn: &Db<'_>,
    take_id: Option<i64>,
    author: &str,
    body: &Value,
    key: Option<&UserKey>,
) -> Result<LedgerEvent> {
    if author.trim().is_empty() {
        return Err(LibraryError::invalid("author", "empty; pass --by USER"));
    }
    // From here the transaction holds the library's write lock (SQLite: BEGIN IMMEDIATE;
    // PostgreSQL: the advisory lock, taken now if the caller has not), so the head read here
    // cannot move before the insert; and on PostgreSQL `prev_hash` is UNIQUE, so even a writer
    // that bypassed the lock could not fork the chain.
    let (count, head, last, content) = lock_and_read_chain(conn, take_id)?;
    let (last_seq, last_hash) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    if last_seq != count || last_hash != head {
        return Err(LibraryError::Corrupt(format!(
            "the ledger's last event (#{last_seq}) does not match its recorded head (#{count}); nothing was written"
        )));
    }
    let seq = last_seq + 1;
    let body = canonical_json(body);
    let time = now_utc_ms();
    let public_key = key.map(UserKey::public_key_hex);
    let hash = sha256_hex(&event_preimage(
        seq,
        take_id,
        author,
        time,
        &content,
        &body,
        &last_hash,
        public_key.as_deref(),
    ));
    let signature = match key {
        Some(k) => {
            let raw = from_hex(&hash)
                .ok_or_else(|| LibraryError::Corrupt("computed hash is not hex".into()))?;
            Some(k.sign_hex(&raw))
        }
        None => None,
    };
    if conn.is_pg() {
        // The event and the head in one statement: one round trip less under the lock.
        conn.execute(
            "WITH e AS (
                INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING seq)
             UPDATE meta SET value = CASE key WHEN 'ledger_count' THEN ?11 ELSE ?10 END
             WHERE key IN ('ledger_count', 'ledger_head') AND EXISTS (SELECT 1 FROM e)",
            p![seq, take_id, author, time, content, body, last_hash, public_key, signature, hash, seq.to_string()],
        )?;
    } else {
        conn.execute(
            "INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            p![seq, take_id, author, time, content, body, last_hash, public_key, signature, hash],
        )?;
        conn.execute(
            "UPDATE meta SET value = CASE key WHEN 'ledger_count' THEN ?1 ELSE ?2 END WHERE key IN ('ledger_count', 'ledger_head')",
            p![seq.to_string(), hash],
        )?;
    }
    Ok(LedgerEvent {
        seq,
        take_id,
        author: author.to_string(),
        time_utc_ms: time,
        content_hashes: content,
        body,
        prev_hash: last_hash,
        public_key,
        signature,
        hash,
    })
}

/// One event of [`append_batch`]: (take, body, the take's content hashes as [`files_json`]).
pub(crate) type BatchEvent = (Option<i64>, Value, String);

/// PostgreSQL only: appends `events` (unsigned, by `author`) in order inside the caller's
/// transaction, as [`append`] would one by one, but with the chain head read once under the write
/// lock, the hashes computed here and the rows sent in one `COPY`; the head moves once. For bulk
/// loads (a generated or migrated library), where one round trip per event would dominate.
pub(crate) fn append_batch(conn: &Db<'_>, author: &str, events: &[BatchEvent]) -> Result<()> {
    if author.trim().is_empty() {
        return Err(LibraryError::invalid("author", "empty; pass --by USER"));
    }
    if events.is_empty() {
        return Ok(());
    }
    let (count, head, last, _) = lock_and_read_chain(conn, None)?;
    let (mut seq, mut prev) = last.unwrap_or((0, GENESIS_HASH.to_string()));
    if seq != count || prev != head {
        return Err(LibraryError::Corrupt(format!(
            "the ledger's last event (#{seq}) does not match its recorded head (#{count}); nothing was written"
        )));
    }
    let mut data = String::with_capacity(events.len() * 400);
    for (take_id, body, content) in events {
        seq += 1;
        let body = canonical_json(body);
        let time = now_utc_ms();
        let hash = sha256_hex(&event_preimage(
            seq, *take_id, author, time, content, &body, &prev, None,
        ));
        let take = take_id.map(|t| t.to_string());
        for (i, col) in [
            Some(seq.to_string().as_str()),
            take.as_deref(),
            Some(author),
            Some(time.to_string().as_str()),
            Some(content.as_str()),
            Some(body.as_str()),
            Some(prev.as_str()),
            Some(hash.as_str()),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                data.push('\t');
            }
            crate::db::copy_text(&mut data, col);
        }
        data.push('\n');
        prev = hash;
    }
    conn.pg_copy_in(
        "COPY ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash) FROM STDIN",
        data.as_bytes(),
    )?;
    conn.execute(
        "UPDATE meta SET value = CASE key WHEN 'ledger_count' THEN ?1 ELSE ?2 END WHERE key IN ('ledger_count', 'ledger_head')",
        p![seq.to_string(), prev],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_is_compact() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, {"z":1,"a":"x\"y"}], "a": null }"#).expect("json");
        assert_eq!(
            canonical_json(&v),
            r#"{"a":null,"b":[1,{"a":"x\"y","z":1}]}"#
        );
    }

    #[test]
    fn preimage_separates_fields() {
        // Moving a character between adjacent fields must change the preimage.
        let a = event_preimage(1, Some(2), "ab", 3, "[]", "{}", GENESIS_HASH, None);
        let b = event_preimage(1, Some(2), "a", 3, "b[]", "{}", GENESIS_HASH, None);
        assert_ne!(a, b);
        let c = event_preimage(1, None, "ab", 3, "[]", "{}", GENESIS_HASH, None);
        assert_ne!(a, c);
        let d = event_preimage(1, Some(2), "ab", 3, "[]", "{}", GENESIS_HASH, Some(""));
        assert_ne!(
            event_preimage(1, Some(2), "ab", 3, "[]", "{}", GENESIS_HASH, None),
            d
        );
    }
}
