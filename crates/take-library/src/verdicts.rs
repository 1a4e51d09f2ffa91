//! Per-reviewer verdicts on a take's revision (the capture itself, or a derived version: a solve,
//! a clean-up), and retake counts. Each reviewer has one current verdict per revision (a new one
//! replaces theirs; the ledger keeps every one). The director's final approval stays the take's
//! status (`approved`, which only roles granted it may set).

use crate::db::{Db, p};
use crate::error::{LibraryError, Result};
use crate::keys::UserKey;
use crate::ledger::{self, LedgerEvent};
use crate::library::Library;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Migration 3 → 4 (the same SQL on both stores).
pub(crate) const MIGRATION: &str = "
CREATE TABLE verdict (
    take_id BIGINT NOT NULL REFERENCES take(id),
    revision BIGINT NOT NULL,
    reviewer TEXT NOT NULL,
    verdict TEXT NOT NULL,
    comment TEXT,
    time_utc_ms BIGINT NOT NULL,
    PRIMARY KEY (take_id, revision, reviewer)
);
";

/// A reviewer's decision on one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Good as it is.
    Approve,
    /// Needs changes (see the comment and the notes).
    Changes,
    /// Not usable: a retake.
    Reject,
}

impl Verdict {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Changes => "changes",
            Verdict::Reject => "reject",
        }
    }

    /// Parses `approve`, `changes` or `reject`.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "approve" => Ok(Verdict::Approve),
            "changes" => Ok(Verdict::Changes),
            "reject" => Ok(Verdict::Reject),
            other => Err(LibraryError::invalid(
                "verdict",
                format!("`{other}`; use approve, changes or reject"),
            )),
        }
    }
}

/// One reviewer's current verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewerVerdict {
    /// The take.
    pub take_id: i64,
    /// The derived version reviewed (`None`: the capture itself).
    pub revision: Option<i64>,
    /// Who.
    pub reviewer: String,
    /// `approve`, `changes` or `reject`.
    pub verdict: String,
    /// Why.
    pub comment: Option<String>,
    /// When, milliseconds since the Unix epoch (UTC).
    pub time_utc_ms: i64,
}

impl Library {
    /// Records `reviewer`'s verdict on a take (`revision` `None`) or on one of its derived
    /// versions (its id); replaces their earlier verdict on that revision. A ledger event. In a
    /// library with a review team, the reviewer must be a member.
    pub fn set_verdict(
        &mut self,
        take_id: i64,
        revision: Option<i64>,
        reviewer: &str,
        verdict: Verdict,
        comment: Option<&str>,
        key: Option<&UserKey>,
    ) -> Result<LedgerEvent> {
        self.write(|c| {
            if c.opt::<i64>("SELECT id FROM take WHERE id = ?1", p![take_id])?.is_none() {
                return Err(LibraryError::NoSuchTake(take_id.to_string()));
            }
            if let Some(rev) = revision {
                let owner: Option<i64> =
                    c.opt("SELECT take_id FROM derived_version WHERE id = ?1", p![rev])?;
                if owner != Some(take_id) {
                    return Err(LibraryError::invalid(
                        "revision",
                        format!("derived version {rev} is not a version of take {take_id}: list them with `mocap takes list --json`"),
                    ));
                }
            }
            let members: i64 = c.one("SELECT count(*) FROM member", p![])?;
            if members > 0
                && c.opt::<String>("SELECT role FROM member WHERE name = ?1", p![reviewer])?
                    .is_none()
            {
                return Err(LibraryError::invalid(
                    "reviewer",
                    format!("`{reviewer}` is not a member of this library's review team"),
                ));
            }
            let now = crate::util::now_utc_ms();
            let rev = revision.unwrap_or(0);
            c.execute(
                "DELETE FROM verdict WHERE take_id = ?1 AND revision = ?2 AND reviewer = ?3",
                p![take_id, rev, reviewer],
            )?;
            c.execute(
                "INSERT INTO verdict(take_id, revision, reviewer, verdict, comment, time_utc_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                p![take_id, rev, reviewer, verdict.as_str(), comment, now],
            )?;
            let body = json!({
                "type": "verdict",
                "revision": revision,
                "verdict": verdict.as_str(),
                "comment": comment,
            });
            ledger::append(c, Some(take_id), reviewer, &body, key)
        })
    }

    /// Every reviewer's current verdict on a take's revisions, by revision then reviewer.
    pub fn verdicts(&self, take_id: i64) -> Result<Vec<ReviewerVerdict>> {
        self.read(|c| {
            c.query_map(
                "SELECT take_id, revision, reviewer, verdict, comment, time_utc_ms FROM verdict WHERE take_id = ?1 ORDER BY revision, reviewer",
                p![take_id],
                |r| {
                    let rev: i64 = r.get(1)?;
                    Ok(ReviewerVerdict {
                        take_id: r.get(0)?,
                        revision: (rev != 0).then_some(rev),
                        reviewer: r.get(2)?,
                        verdict: r.get(3)?,
                        comment: r.get(4)?,
                        time_utc_ms: r.get(5)?,
                    })
                },
            )
        })
    }

    /// How many times the take was sent back (status set to `needs-fix` or `rejected`), from
    /// the ledger.
    pub fn retakes(&self, take_id: i64) -> Result<u64> {
        let events = self.read(|c| ledger::read_events(c, Some(take_id)))?;
        Ok(events
            .iter()
            .filter(|e| {
                serde_json::from_str::<Value>(&e.body).is_ok_and(|b| {
                    b.get("type").and_then(Value::as_str) == Some("status")
                        && matches!(
                            b.get("to").and_then(Value::as_str),
                            Some("needs-fix" | "rejected")
                        )
                })
            })
            .count() as u64)
    }
}

/// Replays verdict events and compares with the table: (seq, take, message) per problem.
pub(crate) fn verify_verdicts(
    c: &Db<'_>,
    events: &[LedgerEvent],
) -> Result<Vec<(Option<i64>, Option<i64>, String)>> {
    type Key = (i64, i64, String);
    let mut expected: BTreeMap<Key, (String, Option<String>, i64)> = BTreeMap::new();
    for e in events {
        let (Some(take), Ok(body)) = (e.take_id, serde_json::from_str::<Value>(&e.body)) else {
            continue;
        };
        if body.get("type").and_then(Value::as_str) != Some("verdict") {
            continue;
        }
        let rev = body.get("revision").and_then(Value::as_i64).unwrap_or(0);
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        expected.insert(
            (take, rev, e.author.clone()),
            (s("verdict").unwrap_or_default(), s("comment"), e.seq),
        );
    }
    let rows: Vec<(Key, (String, Option<String>))> = c.query_map(
        "SELECT take_id, revision, reviewer, verdict, comment FROM verdict",
        p![],
        |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), (r.get(3)?, r.get(4)?))),
    )?;
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (key, (verdict, comment)) in rows {
        match expected.get(&key) {
            Some((v, cm, _)) if *v == verdict && *cm == comment => {}
            Some((_, _, seq)) => problems.push((
                Some(*seq),
                Some(key.0),
                format!("{}'s verdict differs from what the ledger recorded", key.2),
            )),
            None => problems.push((
                None,
                Some(key.0),
                format!(
                    "{}'s verdict is not in the ledger (added behind its back)",
                    key.2
                ),
            )),
        }
        seen.insert(key);
    }
    for (key, (_, _, seq)) in &expected {
        if !seen.contains(key) {
            problems.push((
                Some(*seq),
                Some(key.0),
                format!("{}'s verdict was deleted", key.2),
            ));
        }
    }
    Ok(problems)
}
