//! ≥ 1 000 random tamperings of a real library file (raw SQL and file edits); every one must be
//! detected by `verify`.

mod common;

use rusqlite::{Connection, params};
use take_library::{Library, OpenMode};

const TAMPERINGS: usize = 1000;

/// Columns of `ledger` a byte can be changed in.
const TEXT_COLUMNS: [&str; 7] = [
    "author",
    "body",
    "content_hashes",
    "prev_hash",
    "hash",
    "public_key",
    "signature",
];

fn change_byte(text: &str, rng: &mut fastrand::Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return "x".into();
    }
    let i = rng.usize(..bytes.len());
    let old = bytes[i];
    // Keep it printable ASCII (and hex-looking for hex fields) but always different.
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

fn tamper_db(c: &Connection, kind: usize, rng: &mut fastrand::Rng) -> String {
    let n: i64 = c
        .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
        .expect("count");
    let seq = rng.i64(1..=n);
    match kind {
        0 => {
            // Change a byte in a text column of one event (skipping NULL columns).
            loop {
                let col = TEXT_COLUMNS[rng.usize(..TEXT_COLUMNS.len())];
                let v: Option<String> = c
                    .query_row(
                        &format!("SELECT {col} FROM ledger WHERE seq = ?1"),
                        [seq],
                        |r| r.get(0),
                    )
                    .expect("read");
                if let Some(v) = v {
                    let changed = change_byte(&v, rng);
                    c.execute(
                        &format!("UPDATE ledger SET {col} = ?1 WHERE seq = ?2"),
                        params![changed, seq],
                    )
                    .expect("update");
                    return format!("byte of {col} in #{seq}");
                }
            }
        }
        1 => {
            let delta = if rng.bool() {
                rng.i64(1..100_000)
            } else {
                -rng.i64(1..100_000)
            };
            c.execute(
                "UPDATE ledger SET time_utc_ms = time_utc_ms + ?1 WHERE seq = ?2",
                params![delta, seq],
            )
            .expect("update");
            format!("time of #{seq} by {delta} ms")
        }
        2 => {
            c.execute("DELETE FROM ledger WHERE seq = ?1", [seq])
                .expect("delete");
            format!("delete #{seq}")
        }
        3 => {
            // Swap the contents of two events (the sequence numbers stay in place).
            let mut other = rng.i64(1..=n);
            while other == seq {
                other = rng.i64(1..=n);
            }
            let cols = "take_id, author, time_utc_ms, content_hashes, body, prev_hash, public_key, signature, hash";
            c.execute_batch(&format!(
                "CREATE TEMP TABLE a AS SELECT {cols} FROM ledger WHERE seq = {seq};
                 CREATE TEMP TABLE b AS SELECT {cols} FROM ledger WHERE seq = {other};
                 DELETE FROM ledger WHERE seq IN ({seq}, {other});
                 INSERT INTO ledger(seq, {cols}) SELECT {seq}, * FROM b;
                 INSERT INTO ledger(seq, {cols}) SELECT {other}, * FROM a;"
            ))
            .expect("swap");
            format!("swap #{seq} and #{other}")
        }
        4 => {
            // A forged event appended with a correct hash linked to the real head.
            let head: String = c
                .query_row(
                    "SELECT hash FROM ledger ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .expect("head");
            let take: i64 = c
                .query_row("SELECT take_id FROM ledger WHERE seq = ?1", [seq], |r| {
                    r.get(0)
                })
                .expect("take");
            let content: String = c
                .query_row("SELECT content_hashes FROM ledger WHERE take_id = ?1 ORDER BY seq DESC LIMIT 1", [take], |r| r.get(0))
                .expect("content");
            let body = r#"{"comment":null,"from":"none","to":"approved","type":"status"}"#;
            let e = take_library::LedgerEvent {
                seq: n + 1,
                take_id: Some(take),
                author: "mallory".into(),
                time_utc_ms: 1_800_000_000_000,
                content_hashes: content,
                body: body.into(),
                prev_hash: head,
                public_key: None,
                signature: None,
                hash: String::new(),
            };
            let hash = e.compute_hash();
            c.execute(
                "INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![e.seq, e.take_id, e.author, e.time_utc_ms, e.content_hashes, e.body, e.prev_hash, hash],
            )
            .expect("insert");
            c.execute("UPDATE take SET status = 'approved' WHERE id = ?1", [take])
                .expect("status");
            format!("forged event appended for take {take}")
        }
        5 => {
            // A forged event inserted in the middle (renumbering the events after it).
            c.execute_batch(&format!(
                "UPDATE ledger SET seq = -seq - 1 WHERE seq >= {seq};
                 UPDATE ledger SET seq = -seq WHERE seq < 0;"
            ))
            .expect("renumber");
            c.execute(
                "INSERT INTO ledger(seq, take_id, author, time_utc_ms, content_hashes, body, prev_hash, hash)
                 SELECT ?1, take_id, 'mallory', time_utc_ms, content_hashes, body, prev_hash, hash FROM ledger WHERE seq = ?2",
                params![seq, seq + 1],
            )
            .expect("insert");
            format!("forged event inserted at #{seq}")
        }
        6 => {
            // Tables edited behind the ledger's back.
            match rng.usize(..6) {
                0 => {
                    c.execute("UPDATE take SET status = CASE status WHEN 'approved' THEN 'rejected' ELSE 'approved' END WHERE id = (SELECT id FROM take ORDER BY random() LIMIT 1)", []).expect("status");
                    "take status edited".into()
                }
                1 => {
                    c.execute("UPDATE note SET text = text || '!' WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)", []).expect("note");
                    "note text edited".into()
                }
                2 => {
                    c.execute("DELETE FROM note WHERE id = (SELECT max(id) FROM note)", [])
                        .expect("note");
                    "note deleted".into()
                }
                3 => {
                    let files: i64 = c
                        .query_row("SELECT count(*) FROM take_file", [], |r| r.get(0))
                        .expect("count");
                    let n = c
                        .execute(
                            "UPDATE take_file SET sha256 = CASE substr(sha256, 1, 1) WHEN '0' THEN '1' ELSE '0' END || substr(sha256, 2)
                             WHERE id = (SELECT id FROM take_file ORDER BY id LIMIT 1 OFFSET ?1)",
                            [rng.i64(0..files)],
                        )
                        .expect("file");
                    assert_eq!(n, 1);
                    "file hash edited".into()
                }
                4 => {
                    c.execute("UPDATE note SET retracted = 1 - retracted WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)", []).expect("note");
                    "note retracted flag flipped".into()
                }
                _ => {
                    c.execute("UPDATE note SET resolved = 1 - resolved WHERE id = (SELECT id FROM note ORDER BY random() LIMIT 1)", []).expect("note");
                    "note resolved flag flipped".into()
                }
            }
        }
        _ => unreachable!("tamper kind"),
    }
}

fn tamper_file(lib_files: &[String], rng: &mut fastrand::Rng) -> (String, Vec<u8>, String) {
    let path = lib_files[rng.usize(..lib_files.len())].clone();
    let original = std::fs::read(&path).expect("read take file");
    let mut bytes = original.clone();
    let what = match rng.usize(..3) {
        0 => {
            let i = rng.usize(..bytes.len());
            bytes[i] ^= 1 << rng.u32(..8);
            "bit flipped"
        }
        1 => {
            bytes.push(rng.u8(..));
            "byte appended"
        }
        _ => {
            bytes.truncate(bytes.len() - 1);
            "byte removed"
        }
    };
    std::fs::write(&path, &bytes).expect("tamper file");
    (path, original, what.to_string())
}

#[test]
fn every_random_tampering_is_detected() {
    if common::sqlite_only("raw SQLite edits (tests/team.rs tampers PostgreSQL)") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let pristine = common::build_library_signing(dir.path(), 6, 0);
    common::checkpoint(&pristine);
    let files: Vec<String> = {
        let mut lib = Library::open(&pristine, OpenMode::MustExist).expect("open");
        let report = lib.verify(true).expect("verify");
        assert!(
            report.is_intact(),
            "pristine library: {:?}",
            report.problems
        );
        assert!(report.events_checked > 20);
        lib.all_takes()
            .expect("takes")
            .into_iter()
            .flat_map(|t| t.files)
            .map(|f| f.path)
            .collect()
    };
    common::checkpoint(&pristine);
    let pristine_bytes = std::fs::read(&pristine).expect("read");
    let work = dir.path().join("work.db");
    let seed = std::env::var("TAMPER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = [0usize; 8];
    for i in 0..TAMPERINGS {
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", work.display()));
        }
        std::fs::write(&work, &pristine_bytes).expect("copy");
        let kind = rng.usize(..8);
        counts[kind] += 1;
        let mut restore = None;
        let what = if kind == 7 {
            let (path, original, what) = tamper_file(&files, &mut rng);
            restore = Some((path.clone(), original));
            format!("take file {path}: {what}")
        } else {
            let c = Connection::open(&work).expect("raw open");
            // A scratch copy: no need to wait for the disk.
            c.execute_batch("PRAGMA synchronous = OFF").expect("pragma");
            let what = tamper_db(&c, kind, &mut rng);
            drop(c);
            what
        };
        let detected = match Library::open(&work, OpenMode::MustExist) {
            Ok(mut lib) => match lib.verify(true) {
                Ok(report) => !report.is_intact(),
                Err(_) => true,
            },
            Err(_) => true,
        };
        if let Some((path, original)) = restore {
            std::fs::write(&path, original).expect("restore take file");
        }
        assert!(
            detected,
            "tampering {i} (seed {seed}) went undetected: {what}"
        );
    }
    assert!(
        counts.iter().all(|&c| c > 50),
        "every kind exercised: {counts:?}"
    );
    // And the untouched library still verifies.
    std::fs::write(&work, &pristine_bytes).expect("copy");
    assert!(
        Library::open(&work, OpenMode::MustExist)
            .expect("open")
            .verify(true)
            .expect("verify")
            .is_intact()
    );
}

#[test]
fn tampered_ledger_refuses_new_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 1);
    common::raw_execute(
        &db,
        "DELETE FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)",
    );
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_001").expect("take");
    let before = lib.events(None).expect("events").len();
    let err = lib
        .set_status(id, take_library::TakeStatus::Approved, "d", None, None)
        .expect_err("appending onto a tampered chain must fail");
    assert!(err.to_string().contains("verify"), "{err}");
    assert_eq!(lib.events(None).expect("events").len(), before);
}
