//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use take_library::import::NoProbe;
use take_library::naming::NamingPattern;
use take_library::{Library, NewNote, OpenMode, TakeStatus, UserKey};

/// Writes `len` pseudo-random bytes derived from `seed`.
pub fn write_random(path: &Path, seed: u64, len: usize) {
    let mut rng = take_library::synth::SplitMix::new(seed);
    let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(path, bytes).expect("write capture file");
}

/// A capture folder with `takes` takes of scene 1, each a C3D, a BVH and a WAV (plus a README
/// and an unrecognised file that must be skipped).
pub fn make_capture(root: &Path, takes: usize) -> PathBuf {
    let day = root.join("capture").join("2026-11-20_stage_a");
    std::fs::create_dir_all(&day).expect("mkdir");
    for t in 1..=takes {
        write_random(
            &day.join(format!("Scene_001_Take_{t:03}.c3d")),
            t as u64,
            3000 + t * 17,
        );
        write_random(
            &day.join(format!("S001_T{t:03}.bvh")),
            100 + t as u64,
            2000 + t * 5,
        );
        write_random(
            &day.join(format!("Scene_001_Take_{t:03}.wav")),
            200 + t as u64,
            1500,
        );
    }
    std::fs::write(day.join("README.txt"), "notes").expect("write");
    std::fs::write(day.join("calibration.c3d"), "x").expect("write");
    root.join("capture")
}

/// Creates a library at `root/lib.db`, imports a capture of `takes` takes and adds review history:
/// statuses (some signed), notes with replies, a resolved note.
pub fn build_library(root: &Path, takes: usize) -> PathBuf {
    build_library_signing(root, takes, 2)
}

/// [`build_library`] signing the status and note of every `sign_every`-th take (ed25519 checks
/// are slow in debug builds, so the tamper test signs few; 0 = only the final approval).
pub fn build_library_signing(root: &Path, takes: usize, sign_every: usize) -> PathBuf {
    build_library_at(&location(root, "lib.db"), root, takes, sign_every)
}

/// [`build_library_signing`] into the library at `db` (a file or a `postgres://` URL).
pub fn build_library_at(db: &Path, root: &Path, takes: usize, sign_every: usize) -> PathBuf {
    let db = db.to_path_buf();
    let capture = make_capture(root, takes);
    let mut lib = Library::open(&db, OpenMode::CreateIfMissing).expect("create library");
    lib.import_folder(&capture, &NamingPattern::default(), &NoProbe, "importer")
        .expect("import");
    let key = UserKey::from_seed([42; 32]);
    let ids: Vec<i64> = lib
        .all_takes()
        .expect("takes")
        .iter()
        .map(|t| t.summary.id)
        .collect();
    for (i, &id) in ids.iter().enumerate() {
        let status = TakeStatus::ALL[1 + i % 4];
        let signer = (sign_every > 0 && i % sign_every == 0).then_some(&key);
        lib.set_status(id, status, "director", Some("on set"), signer)
            .expect("status");
        let (note, _) = lib
            .add_note(
                &NewNote {
                    take_id: id,
                    reply_to: None,
                    frame_start: Some(10 * i as u64),
                    frame_end: Some(10 * i as u64 + 5),
                    author: "animator".into(),
                    text: format!("foot slides here ({i})"),
                },
                signer,
            )
            .expect("note");
        lib.add_note(
            &NewNote {
                take_id: id,
                reply_to: Some(note.id),
                frame_start: None,
                frame_end: None,
                author: "director".into(),
                text: "agreed, fix it".into(),
            },
            None,
        )
        .expect("reply");
        if i % 3 == 0 {
            lib.set_note_resolved(note.id, true, "animator", None)
                .expect("resolve");
        }
    }
    if let Some(&first) = ids.first() {
        lib.set_status(first, TakeStatus::Approved, "director", None, Some(&key))
            .expect("approve");
    }
    db
}

/// Copies a library file after checkpointing its WAL, so the copy is complete on its own.
pub fn checkpoint(db: &Path) {
    if is_url(db) {
        return;
    }
    let c = rusqlite::Connection::open(db).expect("open");
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}

/// The PostgreSQL server the tests may use (`MOCAP_TEST_POSTGRES`, a URL such as
/// `postgres://postgres@127.0.0.1:5432/postgres` that may create databases; `.ci/run` starts a
/// throwaway server and sets it). Unset: `None` after a skip notice, but a failure under
/// `CI=true` (a missing peer).
pub fn postgres_server() -> Option<String> {
    match std::env::var("MOCAP_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            mocap_testkit::skip(
                "peer",
                "MOCAP_TEST_POSTGRES is not set (a postgres:// URL of a server that may create databases; `.ci/run` starts one)",
            );
            None
        }
    }
}

/// True when this run tests the PostgreSQL store (`TAKE_LIBRARY_TEST_STORE=postgres`, set by
/// `.ci/run` for the second pass of the suite).
pub fn postgres_pass() -> bool {
    std::env::var("TAKE_LIBRARY_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// A new, empty PostgreSQL database on `server` (dropped first if left over), as a URL.
pub fn fresh_postgres_db(server: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "take_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin =
        postgres::Client::connect(server, postgres::NoTls).expect("connect to MOCAP_TEST_POSTGRES");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop left-over test database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    with_database(server, &name)
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let root = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    format!("{root}/{name}{query}")
}

/// Where a test's library lives: `root/file` (SQLite), or on the PostgreSQL pass of the suite a
/// fresh database on `MOCAP_TEST_POSTGRES` (as a `postgres://` URL in a `PathBuf`).
pub fn location(root: &Path, file: &str) -> PathBuf {
    if postgres_pass() {
        let server = std::env::var("MOCAP_TEST_POSTGRES")
            .expect("TAKE_LIBRARY_TEST_STORE=postgres needs MOCAP_TEST_POSTGRES");
        PathBuf::from(fresh_postgres_db(&server))
    } else {
        root.join(file)
    }
}

/// On the PostgreSQL pass, prints why a test that is about SQLite files does not apply and
/// returns true (the caller returns).
pub fn sqlite_only(why: &str) -> bool {
    if postgres_pass() {
        eprintln!("not on the PostgreSQL pass: {why}");
        return true;
    }
    false
}

/// True when a test library location is a PostgreSQL URL.
pub fn is_url(db: &Path) -> bool {
    take_library::store::is_postgres_url(&db.to_string_lossy())
}

/// Runs raw SQL (no parameters) on a library behind its back, on either store.
pub fn raw_execute(db: &Path, sql: &str) {
    if is_url(db) {
        let mut c =
            postgres::Client::connect(&db.to_string_lossy(), postgres::NoTls).expect("raw connect");
        c.batch_execute(sql).expect("raw sql");
    } else {
        let c = rusqlite::Connection::open(db).expect("raw open");
        c.execute_batch(sql).expect("raw sql");
    }
}
