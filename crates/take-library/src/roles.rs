//! Review roles: who may set which take status, as data in the library and checked by it (not
//! only by a UI), every change recorded in the ledger.
//!
//! A library without members is open (anyone may set any status, as before roles existed). Once
//! a member is added, every status change needs an author who is a member whose role grants the
//! new status; the status event then records the role. The grants start as
//! [`DEFAULT_GRANTS`] and can be changed by a director ([`Library::set_grant`]).

use crate::db::{Db, p};
use crate::error::{LibraryError, Result};
use crate::ledger::{self, LedgerEvent};
use crate::library::Library;
use crate::model::TakeStatus;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// The roles of a review team.
pub const ROLES: [&str; 4] = ["artist", "supervisor", "director", "client"];

/// Statuses each role may set in a new library: (role, status).
pub const DEFAULT_GRANTS: &[(&str, &str)] = &[
    ("artist", "none"),
    ("artist", "circled"),
    ("supervisor", "none"),
    ("supervisor", "circled"),
    ("supervisor", "needs-fix"),
    ("supervisor", "rejected"),
    ("director", "none"),
    ("director", "circled"),
    ("director", "needs-fix"),
    ("director", "rejected"),
    ("director", "approved"),
];

fn check_role(role: &str) -> Result<()> {
    if ROLES.contains(&role) {
        Ok(())
    } else {
        Err(LibraryError::invalid(
            "role",
            format!("`{role}`; use artist, supervisor, director or client"),
        ))
    }
}

/// The role of `name`, when the library has members; `Ok(None)` when it has none (open).
fn role_of(c: &Db<'_>, name: &str) -> Result<Option<Option<String>>> {
    let members: i64 = c.one("SELECT count(*) FROM member", p![])?;
    if members == 0 {
        return Ok(None);
    }
    Ok(Some(c.opt(
        "SELECT role FROM member WHERE name = ?1",
        p![name],
    )?))
}

/// Checks that `author` may set `status` (inside the write transaction); returns the author's
/// role to record in the event (`None` in an open library).
pub(crate) fn check_status(c: &Db<'_>, author: &str, status: TakeStatus) -> Result<Option<String>> {
    let Some(role) = role_of(c, author)? else {
        return Ok(None);
    };
    let Some(role) = role else {
        return Err(LibraryError::invalid(
            "author",
            format!(
                "`{author}` is not a member of this library's review team: a director adds them with `Library::set_member`"
            ),
        ));
    };
    let granted: i64 = c.one(
        "SELECT count(*) FROM role_grant WHERE role = ?1 AND status = ?2",
        p![role, status.as_str()],
    )?;
    if granted == 0 {
        return Err(LibraryError::invalid(
            "status",
            format!(
                "`{author}` is a {role}, and a {role} may not set `{status}`: ask someone whose role may"
            ),
        ));
    }
    Ok(Some(role))
}

/// Membership and grant changes need a director once the library has one.
fn check_admin(c: &Db<'_>, by: &str) -> Result<()> {
    let directors: i64 = c.one("SELECT count(*) FROM member WHERE role = 'director'", p![])?;
    if directors == 0 {
        return Ok(());
    }
    match c.opt::<String>("SELECT role FROM member WHERE name = ?1", p![by])? {
        Some(r) if r == "director" => Ok(()),
        _ => Err(LibraryError::invalid(
            "author",
            format!(
                "`{by}` is not a director: only a director changes the review team and its grants"
            ),
        )),
    }
}

impl Library {
    /// Adds `name` to the review team with `role` (or changes their role), or removes them with
    /// `None`; a ledger event. Once the team has a director, only a director may do this.
    pub fn set_member(&mut self, name: &str, role: Option<&str>, by: &str) -> Result<LedgerEvent> {
        let name = name.trim();
        if name.is_empty() {
            return Err(LibraryError::invalid("member", "empty name"));
        }
        if let Some(r) = role {
            check_role(r)?;
        }
        self.write(|c| {
            check_admin(c, by)?;
            c.execute("DELETE FROM member WHERE name = ?1", p![name])?;
            if let Some(r) = role {
                c.execute(
                    "INSERT INTO member(name, role) VALUES (?1, ?2)",
                    p![name, r],
                )?;
            }
            let body = json!({"type": "member", "name": name, "role": role});
            ledger::append(c, None, by, &body, None)
        })
    }

    /// Lets `role` set `status` (or no longer); a director's decision, a ledger event.
    pub fn set_grant(
        &mut self,
        role: &str,
        status: TakeStatus,
        allowed: bool,
        by: &str,
    ) -> Result<LedgerEvent> {
        check_role(role)?;
        self.write(|c| {
            check_admin(c, by)?;
            c.execute(
                "DELETE FROM role_grant WHERE role = ?1 AND status = ?2",
                p![role, status.as_str()],
            )?;
            if allowed {
                c.execute(
                    "INSERT INTO role_grant(role, status) VALUES (?1, ?2)",
                    p![role, status.as_str()],
                )?;
            }
            let body = json!({"type": "grant", "role": role, "status": status.as_str(), "allowed": allowed});
            ledger::append(c, None, by, &body, None)
        })
    }

    /// The review team: (name, role), by name.
    pub fn members(&self) -> Result<Vec<(String, String)>> {
        self.read(|c| {
            c.query_map("SELECT name, role FROM member ORDER BY name", p![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
    }

    /// Statuses `role` may set, sorted.
    pub fn grants(&self, role: &str) -> Result<Vec<String>> {
        self.read(|c| {
            c.query_map(
                "SELECT status FROM role_grant WHERE role = ?1 ORDER BY status",
                p![role],
                |r| r.get(0),
            )
        })
    }
}

/// Replays member and grant events and checks the tables and every status event against them:
/// (seq, take, message) for each problem.
pub(crate) fn verify_roles(
    c: &Db<'_>,
    events: &[LedgerEvent],
) -> Result<Vec<(Option<i64>, Option<i64>, String)>> {
    let mut problems = Vec::new();
    let mut members: BTreeMap<String, String> = BTreeMap::new();
    let mut grants: BTreeSet<(String, String)> = DEFAULT_GRANTS
        .iter()
        .map(|(r, s)| (r.to_string(), s.to_string()))
        .collect();
    for e in events {
        let Ok(body) = serde_json::from_str::<Value>(&e.body) else {
            continue;
        };
        let s = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        match s("type").as_deref() {
            Some("member") => {
                let name = s("name").unwrap_or_default();
                match s("role") {
                    Some(r) => members.insert(name, r),
                    None => members.remove(&name),
                };
            }
            Some("grant") => {
                let key = (
                    s("role").unwrap_or_default(),
                    s("status").unwrap_or_default(),
                );
                if body.get("allowed").and_then(Value::as_bool) == Some(true) {
                    grants.insert(key);
                } else {
                    grants.remove(&key);
                }
            }
            Some("status") if !members.is_empty() => {
                let to = s("to").unwrap_or_default();
                let ok = members
                    .get(&e.author)
                    .is_some_and(|r| grants.contains(&(r.clone(), to.clone())));
                if !ok {
                    problems.push((
                        Some(e.seq),
                        e.take_id,
                        format!("`{}` set status `{to}` without a role that may", e.author),
                    ));
                }
            }
            _ => {}
        }
    }
    let table_members: BTreeMap<String, String> = c
        .query_map("SELECT name, role FROM member", p![], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect();
    if table_members != members {
        problems.push((
            None,
            None,
            "the review team differs from what the ledger recorded (members edited behind its back)".into(),
        ));
    }
    let table_grants: BTreeSet<(String, String)> = c
        .query_map("SELECT role, status FROM role_grant", p![], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .into_iter()
        .collect();
    if table_grants != grants {
        problems.push((
            None,
            None,
            "the role grants differ from what the ledger recorded (edited behind its back)".into(),
        ));
    }
    Ok(problems)
}

/// Migration 2 → 3 (the same SQL on both stores): the role tables with [`DEFAULT_GRANTS`].
pub(crate) const MIGRATION: &str = "
CREATE TABLE member (name TEXT PRIMARY KEY, role TEXT NOT NULL);
CREATE TABLE role_grant (role TEXT NOT NULL, status TEXT NOT NULL, PRIMARY KEY (role, status));
INSERT INTO role_grant(role, status) VALUES
    ('artist', 'none'), ('artist', 'circled'),
    ('supervisor', 'none'), ('supervisor', 'circled'), ('supervisor', 'needs-fix'), ('supervisor', 'rejected'),
    ('director', 'none'), ('director', 'circled'), ('director', 'needs-fix'), ('director', 'rejected'), ('director', 'approved');
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migration_seeds_the_default_grants() {
        let c = rusqlite::Connection::open_in_memory().expect("memory db");
        c.execute_batch(MIGRATION).expect("migration");
        let db = Db::Lite(&c);
        let rows: BTreeSet<(String, String)> = db
            .query_map("SELECT role, status FROM role_grant", p![], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("grants")
            .into_iter()
            .collect();
        let defaults: BTreeSet<(String, String)> = DEFAULT_GRANTS
            .iter()
            .map(|(r, s)| (r.to_string(), s.to_string()))
            .collect();
        assert_eq!(rows, defaults);
    }
}
