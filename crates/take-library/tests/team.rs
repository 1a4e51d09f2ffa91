//! A team on one library: 16 writer processes at once on SQLite and on PostgreSQL (every
//! committed note, reply, resolution, verdict and status is there afterwards and the chain
//! verifies), and
//! 1 000 random tamperings of a PostgreSQL library, every one detected (or refused by the
//! database itself).
//!
//! The writers are this test binary, re-run with `--ignored --exact team_writer_child` and the
//! library in `TEAM_DB`; each prints `COMMIT …` after each commit.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use take_library::verdicts::Verdict;
use take_library::{Library, NewNote, OpenMode, TakeStatus};

const WRITERS: usize = 16;
const OPS: usize = 24;

/// One writer (only does something when started by `concurrent_writers`).
#[test]
#[ignore = "helper process for the concurrent writer tests"]
fn team_writer_child() {
    let db = std::env::var("TEAM_DB").expect("run by concurrent_writers");
    let w: usize = std::env::var("TEAM_WRITER")
        .ok()
        .and_then(|r| r.parse().ok())
        .expect("TEAM_WRITER");
    let mut lib = Library::open(Path::new(&db), OpenMode::MustExist).expect("open");
    let ids: Vec<i64> = lib
        .all_takes()
        .expect("takes")
        .iter()
        .map(|t| t.summary.id)
        .collect();
    let author = format!("writer{w}");
    let mut last_note = None;
    for i in 0..OPS {
        let id = ids[(w + i) % ids.len()];
        match i % 4 {
            0 | 1 => {
                // A note, or a reply to this writer's previous note.
                let reply_to = if i % 4 == 1 {
                    last_note.map(|(n, _)| n)
                } else {
                    None
                };
                let take_id = match (reply_to, last_note) {
                    (Some(_), Some((_, t))) => t,
                    _ => id,
                };
                let text = format!("w{w} op{i} @mention{}", (w + 1) % WRITERS);
                let (note, _) = lib
                    .add_note(
                        &NewNote {
                            take_id,
                            reply_to,
                            frame_start: reply_to.is_none().then_some(i as u64),
                            frame_end: None,
                            author: author.clone(),
                            text,
                        },
                        None,
                    )
                    .expect("note");
                last_note = Some((note.id, take_id));
                println!("COMMIT note {} {} {}", note.id, take_id, note.text);
            }
            2 => {
                let status = TakeStatus::ALL[(w + i) % 5];
                let (_, event) = lib
                    .set_status(id, status, &author, Some("verdict"), None)
                    .expect("status");
                println!("COMMIT status {} {} {}", event.seq, id, status);
            }
            _ if (i / 4) % 2 == 1 => {
                let verdict = [Verdict::Approve, Verdict::Changes, Verdict::Reject][(w + i) % 3];
                let event = lib
                    .set_verdict(id, None, &author, verdict, Some("dailies"), None)
                    .expect("verdict");
                println!("COMMIT verdict {} {} {}", event.seq, id, verdict.as_str());
            }
            _ => {
                if let Some((note, take)) = last_note {
                    lib.set_note_resolved(note, true, &author, None)
                        .expect("resolve");
                    println!("COMMIT resolved {note} {take} -");
                }
            }
        }
    }
    println!("DONE");
}

/// Runs [`WRITERS`] writer processes on `db` at once and checks every committed write.
fn concurrent_writers(db: &Path) {
    let exe = std::env::current_exe().expect("test binary");
    let before = Library::open(db, OpenMode::MustExist)
        .expect("open")
        .events(None)
        .expect("events")
        .len();
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new(&exe)
                .args([
                    "--ignored",
                    "--exact",
                    "team_writer_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("TEAM_DB", db)
                .env("TEAM_WRITER", w.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn writer")
        })
        .collect();
    let mut commits = Vec::new();
    for (w, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("writer output");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && stdout.contains("DONE"),
            "writer {w} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        commits.extend(
            stdout
                .lines()
                .filter_map(|l| l.find("COMMIT ").map(|i| l[i..].to_string())),
        );
    }
    let mut lib = Library::open(db, OpenMode::MustExist).expect("open");
    let report = lib.verify(true).expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    let events = lib.events(None).expect("events");
    assert_eq!(
        events.len(),
        before + commits.len(),
        "one ledger event per committed write"
    );
    let takes = lib.all_takes().expect("takes");
    let (mut notes, mut verdicts) = (0, 0);
    for line in &commits {
        let parts: Vec<&str> = line.splitn(5, ' ').collect();
        let (what, id, take, rest) = (parts[1], parts[2], parts[3], parts[4]);
        let id: i64 = id.parse().expect("id");
        let take: i64 = take.parse().expect("take");
        let detail = takes
            .iter()
            .find(|t| t.summary.id == take)
            .expect("take of a commit");
        match what {
            "note" => {
                let n = detail.notes.iter().find(|n| n.id == id);
                assert_eq!(n.map(|n| n.text.as_str()), Some(rest), "note {id} lost");
                notes += 1;
            }
            "resolved" => {
                let n = detail.notes.iter().find(|n| n.id == id).expect("note");
                assert!(n.resolved, "resolution of note {id} lost");
            }
            "status" => {
                let e = events.iter().find(|e| e.seq == id).expect("status event");
                assert!(e.body.contains(&format!("\"to\":\"{rest}\"")), "{}", e.body);
            }
            "verdict" => {
                let e = events.iter().find(|e| e.seq == id).expect("verdict event");
                assert!(
                    e.body.contains(&format!("\"verdict\":\"{rest}\"")),
                    "{}",
                    e.body
                );
                verdicts += 1;
            }
            other => panic!("unexpected commit {other}"),
        }
    }
    assert_eq!(notes, WRITERS * OPS / 2, "every writer's notes and replies");
    assert_eq!(verdicts, WRITERS * OPS / 8, "every writer's verdicts");
    // Each writer's verdicts are in the table (verify compared it with the ledger's replay).
    let in_table: usize = takes
        .iter()
        .map(|t| lib.verdicts(t.summary.id).expect("verdicts").len())
        .sum();
    assert_eq!(in_table, verdicts);
    // The rule for concurrent status changes: the newest committed change wins, and the ledger
    // keeps every one (verify checked that each take's status is its last status event).
    for t in &takes {
        let last = events
            .iter()
            .rev()
            .find(|e| e.take_id == Some(t.summary.id) && e.body_type() == "status");
        if let Some(e) = last {
            assert!(
                e.body
                    .contains(&format!("\"to\":\"{}\"", t.summary.status.as_str())),
                "take {}: status {} but last event {}",
                t.summary.id,
                t.summary.status,
                e.body
            );
        }
    }
}

#[test]
fn sixteen_writer_processes_on_sqlite() {
    if common::postgres_pass() {
        return; // ran in the SQLite pass
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library_at(&dir.path().join("lib.db"), dir.path(), 5, 0);
    concurrent_writers(&db);
}

#[test]
fn sixteen_writer_processes_on_postgres() {
    if common::postgres_pass() {
        return; // ran in the SQLite pass (it always uses PostgreSQL)
    }
    let Some(server) = common::postgres_server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = PathBuf::from(common::fresh_postgres_db(&server));
    let db = common::build_library_at(&db, dir.path(), 5, 0);
    concurrent_writers(&db);
}

#[test]
fn a_second_writer_cannot_fork_the_postgres_chain() {
    if common::postgres_pass() {
        return;
    }
    let Some(server) = common::postgres_server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = PathBuf::from(common::fresh_postgres_db(&server));
    let db = common::build_library_at(&db, dir.path(), 1, 0);
    // A raw insert that links to an event that already has a successor is refused.
    let mut c = postgres::Client::connect(&db.to_string_lossy(), postgres::NoTls).expect("raw");
    let err = c
        .batch_execute(
            "INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash)
             SELECT 1000, take_id, 'mallory', time_utc_ms, content_hashes, body, prev_hash, hash FROM ledger WHERE seq = 2",
        )
        .expect_err("a forked chain must be refused");
    assert_eq!(
        err.code(),
        Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        "{err}"
    );
}

mod pg_tamper {
    //! Random tamperings of a PostgreSQL library through a raw connection.

    pub const TEXT_COLUMNS: [&str; 7] = [
        "author",
        "body",
        "content_hashes",
        "prev_hash",
        "hash",
        "public_key",
        "signature",
    ];

    pub fn change_byte(text: &str, rng: &mut fastrand::Rng) -> String {
        let mut bytes = text.as_bytes().to_vec();
        if bytes.is_empty() {
            return "x".into();
        }
        let i = rng.usize(..bytes.len());
        let old = bytes[i];
        let new = loop {
            let c = if old.is_ascii_hexdigit() {
                b"0123456789abcdef"[rng.usize(..16)]
            } else {
                rng.u8(0x20..0x7f)
            };
            if c != old && !(old.is_ascii_hexdigit() && c.eq_ignore_ascii_case(&old)) {
                break c;
            }
        };
        bytes[i] = new;
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Applies one tampering; `Err` when the database itself refused it (a constraint).
    pub fn tamper(
        c: &mut postgres::Client,
        kind: usize,
        rng: &mut fastrand::Rng,
    ) -> Result<String, postgres::Error> {
        let n: i64 = c.query_one("SELECT count(*) FROM ledger", &[])?.get(0);
        let seq = rng.i64(1..=n);
        Ok(match kind {
            0 => loop {
                let col = TEXT_COLUMNS[rng.usize(..TEXT_COLUMNS.len())];
                let v: Option<String> = c
                    .query_one(&format!("SELECT {col} FROM ledger WHERE seq = $1"), &[&seq])?
                    .get(0);
                if let Some(v) = v {
                    let changed = change_byte(&v, rng);
                    c.execute(
                        &format!("UPDATE ledger SET {col} = $1 WHERE seq = $2"),
                        &[&changed, &seq],
                    )?;
                    break format!("byte of {col} in #{seq}");
                }
            },
            1 => {
                let delta = if rng.bool() {
                    rng.i64(1..100_000)
                } else {
                    -rng.i64(1..100_000)
                };
                c.execute(
                    "UPDATE ledger SET time_utc_ms = time_utc_ms + $1 WHERE seq = $2",
                    &[&delta, &seq],
                )?;
                format!("time of #{seq} by {delta} ms")
            }
            2 => {
                c.execute("DELETE FROM ledger WHERE seq = $1", &[&seq])?;
                format!("delete #{seq}")
            }
            3 => {
                let mut other = rng.i64(1..=n);
                while other == seq {
                    other = rng.i64(1..=n);
                }
                let cols = "take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash";
                c.batch_execute(&format!(
                    "BEGIN;
                     CREATE TEMP TABLE a AS SELECT {cols} FROM ledger WHERE seq = {seq};
                     CREATE TEMP TABLE b AS SELECT {cols} FROM ledger WHERE seq = {other};
                     DELETE FROM ledger WHERE seq IN ({seq}, {other});
                     INSERT INTO ledger(seq, {cols}) SELECT {seq}, * FROM b;
                     INSERT INTO ledger(seq, {cols}) SELECT {other}, * FROM a;
                     DROP TABLE a; DROP TABLE b;
                     COMMIT;"
                ))?;
                format!("swap #{seq} and #{other}")
            }
            4 => {
                let head: String = c
                    .query_one("SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1", &[])?
                    .get(0);
                let take: i64 = c
                    .query_one("SELECT take_id FROM ledger WHERE seq = $1", &[&seq])?
                    .get(0);
                let content: String = c
                    .query_one(
                        "SELECT content_hashes FROM ledger WHERE take_id = $1 ORDER BY seq DESC LIMIT 1",
                        &[&take],
                    )?
                    .get(0);
                let e = take_library::LedgerEvent {
                    seq: n + 1,
                    take_id: Some(take),
                    author: "mallory".into(),
                    time_utc_ms: 1_800_000_000_000,
                    content_hashes: content,
                    body: r#"{"comment":null,"from":"none","to":"approved","type":"status"}"#
                        .into(),
                    prev_hash: head,
                    public_key: None,
                    signature: None,
                    hash: String::new(),
                };
                let hash = e.compute_hash();
                c.execute(
                    "INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[&e.seq, &e.take_id, &e.author, &e.time_utc_ms, &e.content_hashes, &e.body, &e.prev_hash, &hash],
                )?;
                c.execute(
                    "UPDATE take SET status = 'approved' WHERE id = $1",
                    &[&take],
                )?;
                format!("forged event appended for take {take}")
            }
            5 => {
                // Inserted in the middle; copying the next event's prev_hash is refused by
                // UNIQUE(prev_hash) half the time, the other half invents one.
                let copy = rng.bool();
                c.batch_execute(&format!(
                    "BEGIN;
                     UPDATE ledger SET seq = -seq - 1 WHERE seq >= {seq};
                     UPDATE ledger SET seq = -seq WHERE seq < 0;
                     INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash)
                     SELECT {seq}, take_id, 'mallory', time_utc_ms, content_hashes, body,
                            CASE WHEN {copy} THEN prev_hash ELSE md5(prev_hash) || md5(hash) END, hash
                     FROM ledger WHERE seq = {next};
                     COMMIT;",
                    next = seq + 1
                ))?;
                format!("forged event inserted at #{seq} (copied prev_hash: {copy})")
            }
            6 => {
                let what = match rng.usize(..6) {
                    0 => {
                        c.batch_execute("UPDATE take SET status = CASE status WHEN 'approved' THEN 'rejected' ELSE 'approved' END WHERE id = (SELECT id FROM take ORDER BY random() LIMIT 1)")?;
                        "take status edited"
                    }
                    1 => {
                        c.batch_execute("UPDATE note SET text = text || '!' WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)")?;
                        "note text edited"
                    }
                    2 => {
                        c.batch_execute("DELETE FROM note WHERE id = (SELECT max(id) FROM note n WHERE NOT EXISTS (SELECT 1 FROM note r WHERE r.reply_to = n.id))")?;
                        "note deleted"
                    }
                    3 => {
                        c.batch_execute("UPDATE take_file SET sha256 = CASE substr(sha256, 1, 1) WHEN '0' THEN '1' ELSE '0' END || substr(sha256, 2) WHERE id = (SELECT id FROM take_file ORDER BY random() LIMIT 1)")?;
                        "file hash edited"
                    }
                    4 => {
                        c.batch_execute("UPDATE note SET retracted = 1 - retracted WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)")?;
                        "note retracted flag flipped"
                    }
                    _ => {
                        c.batch_execute("UPDATE note SET resolved = 1 - resolved WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)")?;
                        "note resolved flag flipped"
                    }
                };
                what.to_string()
            }
            _ => {
                // The head record rewound or advanced.
                c.execute(
                    "UPDATE meta SET value = (value::bigint + $1)::text WHERE key = 'ledger_count'",
                    &[&if rng.bool() { 1i64 } else { -1i64 }],
                )?;
                "ledger head count moved".into()
            }
        })
    }

    /// Saves the tables tampering touches into schema `pristine`.
    pub const SAVE: &str = "DROP SCHEMA IF EXISTS pristine CASCADE; CREATE SCHEMA pristine;
        CREATE TABLE pristine.ledger AS SELECT * FROM ledger;
        CREATE TABLE pristine.take AS SELECT id, status FROM take;
        CREATE TABLE pristine.take_file AS SELECT id, sha256 FROM take_file;
        CREATE TABLE pristine.note AS SELECT * FROM note;
        CREATE TABLE pristine.meta AS SELECT * FROM meta;";

    /// Puts them back.
    pub const RESTORE: &str = "BEGIN;
        DELETE FROM ledger; INSERT INTO ledger SELECT * FROM pristine.ledger;
        UPDATE take t SET status = p.status FROM pristine.take p WHERE t.id = p.id;
        UPDATE take_file f SET sha256 = p.sha256 FROM pristine.take_file p WHERE f.id = p.id;
        INSERT INTO note SELECT * FROM pristine.note ORDER BY id ON CONFLICT (id) DO UPDATE
            SET text = excluded.text, resolved = excluded.resolved, retracted = excluded.retracted;
        UPDATE meta m SET value = p.value FROM pristine.meta p WHERE m.key = p.key;
        COMMIT;";
}

#[test]
fn every_random_tampering_of_a_postgres_library_is_detected() {
    if common::postgres_pass() {
        return;
    }
    let Some(server) = common::postgres_server() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = PathBuf::from(common::fresh_postgres_db(&server));
    let db = common::build_library_at(&db, dir.path(), 6, 0);
    let url = db.to_string_lossy().into_owned();
    let mut raw = postgres::Client::connect(&url, postgres::NoTls).expect("raw");
    raw.batch_execute(pg_tamper::SAVE).expect("save");
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    assert!(lib.verify(false).expect("verify").is_intact());
    let seed = std::env::var("TAMPER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut counts, mut refused) = ([0usize; 8], 0usize);
    for i in 0..1000 {
        let kind = rng.usize(..8);
        counts[kind] += 1;
        let detected = match pg_tamper::tamper(&mut raw, kind, &mut rng) {
            Err(e) => {
                // Refused by a constraint (UNIQUE prev_hash, a foreign key): nothing changed.
                let _ = raw.batch_execute("ROLLBACK");
                assert!(e.as_db_error().is_some(), "tampering {i}: {e}");
                refused += 1;
                true
            }
            Ok(what) => {
                let detected = match lib.verify(false) {
                    Ok(report) => !report.is_intact(),
                    Err(_) => true,
                };
                assert!(
                    detected,
                    "tampering {i} (seed {seed}) went undetected: {what}"
                );
                detected
            }
        };
        assert!(detected);
        raw.batch_execute(pg_tamper::RESTORE).expect("restore");
    }
    assert!(
        counts.iter().all(|&c| c > 50),
        "every kind exercised: {counts:?}"
    );
    assert!(
        refused < 200,
        "most tamperings reached the tables: {refused} refused"
    );
    let report = lib.verify(true).expect("verify");
    assert!(
        report.is_intact(),
        "restored library: {:?}",
        report.problems
    );
    eprintln!(
        "1000 tamperings of a PostgreSQL library: {counts:?} by kind, {refused} refused by constraints, the rest detected by verify"
    );
}
