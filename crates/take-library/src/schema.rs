//! Opening a library file safely and migrating its schema.
//!
//! A take library is an SQLite database with `PRAGMA application_id` = [`APPLICATION_ID`] and
//! `PRAGMA user_version` = schema version. Nothing is written to a file before it has been
//! identified as an empty database or as one of ours with a schema version we know.

use crate::error::{LibraryError, Result};
use rusqlite::{Connection, OpenFlags};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// `PRAGMA application_id` of a take library (ASCII `MCTL`).
pub const APPLICATION_ID: i64 = 0x4D43_544C;

/// Newest schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 6;

/// How long a connection waits for another writer before reporting "database is locked".
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Migrations: entry `i` brings a database from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE project (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_utc_ms INTEGER NOT NULL
);
CREATE TABLE session (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id),
    name TEXT NOT NULL,
    capture_date TEXT,
    UNIQUE (project_id, name)
);
CREATE TABLE scene (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES project(id),
    name TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE take (
    id INTEGER PRIMARY KEY,
    scene_id INTEGER NOT NULL REFERENCES scene(id),
    session_id INTEGER REFERENCES session(id),
    number INTEGER,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    marker_set TEXT,
    character TEXT,
    duration_frames INTEGER,
    rate_num INTEGER,
    rate_den INTEGER,
    start_timecode TEXT,
    status TEXT NOT NULL DEFAULT 'none',
    captured_utc_ms INTEGER,
    created_utc_ms INTEGER NOT NULL
);
CREATE INDEX take_scene ON take(scene_id, number);
CREATE INDEX take_status ON take(status);
CREATE INDEX take_captured ON take(captured_utc_ms);
CREATE TABLE take_actor (
    take_id INTEGER NOT NULL REFERENCES take(id),
    actor TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (take_id, actor)
) WITHOUT ROWID;
CREATE INDEX take_actor_actor ON take_actor(actor, take_id);
CREATE TABLE take_tag (
    take_id INTEGER NOT NULL REFERENCES take(id),
    tag TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (take_id, tag)
) WITHOUT ROWID;
CREATE INDEX take_tag_tag ON take_tag(tag, take_id);
CREATE TABLE take_file (
    id INTEGER PRIMARY KEY,
    take_id INTEGER NOT NULL REFERENCES take(id),
    kind TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    added_utc_ms INTEGER NOT NULL
);
CREATE INDEX take_file_take ON take_file(take_id);
CREATE INDEX take_file_hash ON take_file(sha256);
CREATE TABLE derived_version (
    id INTEGER PRIMARY KEY,
    take_id INTEGER NOT NULL REFERENCES take(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    input_sha256 TEXT NOT NULL,
    operations TEXT NOT NULL,
    output_path TEXT NOT NULL,
    output_sha256 TEXT NOT NULL,
    author TEXT NOT NULL,
    created_utc_ms INTEGER NOT NULL,
    UNIQUE (take_id, kind, version)
);
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    take_id INTEGER NOT NULL REFERENCES take(id),
    reply_to INTEGER REFERENCES note(id),
    frame_start INTEGER NOT NULL,
    frame_end INTEGER NOT NULL,
    author TEXT NOT NULL,
    created_utc_ms INTEGER NOT NULL,
    text TEXT NOT NULL,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX note_take ON note(take_id);
CREATE TABLE ledger (
    seq INTEGER PRIMARY KEY,
    take_id INTEGER,
    author TEXT NOT NULL,
    time_utc_ms INTEGER NOT NULL,
    content_hashes TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    public_key TEXT,
    signature TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX ledger_take ON ledger(take_id, seq);
CREATE VIRTUAL TABLE take_fts USING fts5(
    name, scene, description, actors, tags, character, marker_set, notes,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#,
    // 1 -> 2: a note can be retracted (undo of "add note"); the row stays, the ledger records it.
    r#"
ALTER TABLE note ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
"#,
    // 2 -> 3: review roles (who may set which status), see `roles`.
    crate::roles::MIGRATION,
    // 3 -> 4: per-reviewer verdicts on revisions, see `verdicts`.
    crate::verdicts::MIGRATION,
    // 4 -> 5: dailies playlists, see `dailies`.
    crate::dailies::MIGRATION,
    // 5 -> 6: indexes for lookups that scanned a table (see `INDEXES_6`).
    INDEXES_6,
];

/// Migration 5 → 6 (the same SQL on both stores): `find_event` / `verify --anchor` look events
/// up by hash, the session filter and replies by their ids, verdicts and playlists by take.
const INDEXES_6: &str = "
CREATE INDEX ledger_hash ON ledger(hash);
CREATE INDEX take_session ON take(session_id, id);
CREATE INDEX note_reply ON note(reply_to);
CREATE INDEX verdict_take ON verdict(take_id);
CREATE INDEX playlist_item_take ON playlist_item(take_id);
";

/// What to do when the database file does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create a new, empty library.
    CreateIfMissing,
    /// Fail with [`LibraryError::NotFound`].
    MustExist,
}

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Opens (and if needed creates and migrates) the library at `path`.
pub(crate) fn open(path: &Path, mode: OpenMode) -> Result<Connection> {
    let exists = path.exists();
    if !exists && mode == OpenMode::MustExist {
        return Err(LibraryError::NotFound(path.to_path_buf()));
    }
    if exists {
        check_header(path)?;
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if !exists {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags)?;
    conn.busy_handler(Some(busy_wait))?;
    // A note write alone runs a dozen distinct statements, a search as many more; with
    // rusqlite's default cache of 16 they would be compiled again on every call.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    identify(&conn, path)?;
    // Only now that the file is known to be ours (or empty) do we write to it.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&conn)?;
    Ok(conn)
}

/// Prepared statements a connection keeps (every distinct query the library runs fits).
const STATEMENT_CACHE: usize = 256;

/// Pause between two tries for a lock another connection holds.
const BUSY_STEP: Duration = Duration::from_micros(200);

/// Busy handler: retries every [`BUSY_STEP`] for up to [`BUSY_TIMEOUT`]. SQLite's own timeout
/// handler sleeps up to 100 ms between tries, so under many writers one could keep missing the
/// lock for a second or more (the p99 of a note write with 16 writers was 1.3 s); short steps
/// let a waiting writer in as soon as the lock is free.
fn busy_wait(attempt: i32) -> bool {
    let steps = BUSY_TIMEOUT.as_micros() / BUSY_STEP.as_micros();
    if u128::try_from(attempt).unwrap_or(u128::MAX) >= steps {
        return false;
    }
    std::thread::sleep(BUSY_STEP);
    true
}

/// Rejects files that are neither empty nor SQLite databases, without opening them with SQLite.
fn check_header(path: &Path) -> Result<()> {
    let mut file = std::fs::File::open(path).map_err(|e| LibraryError::io("open", path, e))?;
    let mut head = Vec::with_capacity(16);
    (&mut file)
        .take(16)
        .read_to_end(&mut head)
        .map_err(|e| LibraryError::io("read", path, e))?;
    if head.is_empty() || head.as_slice() == SQLITE_MAGIC {
        Ok(())
    } else {
        Err(LibraryError::NotSqlite(path.to_path_buf()))
    }
}

/// Checks `application_id`, `user_version` and, for id 0, that the database is empty.
fn identify(conn: &Connection, path: &Path) -> Result<()> {
    let read = |pragma: &str| -> Result<i64> {
        conn.query_row(&format!("PRAGMA {pragma}"), [], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _)
                    if f.code == rusqlite::ErrorCode::NotADatabase =>
                {
                    LibraryError::NotSqlite(path.to_path_buf())
                }
                other => LibraryError::Sql(other),
            })
    };
    let app = read("application_id")?;
    let version = read("user_version")?;
    if app == 0 {
        let objects: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if objects > 0 || version != 0 {
            return Err(LibraryError::ForeignDatabase {
                path: path.to_path_buf(),
                detail: format!(
                    "it has {objects} tables/indexes but no take-library application id"
                ),
            });
        }
        return Ok(());
    }
    if app != APPLICATION_ID {
        return Err(LibraryError::ForeignDatabase {
            path: path.to_path_buf(),
            detail: format!("application_id {app:#x}"),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(LibraryError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// Applies every missing migration, each in its own immediate transaction.
fn migrate(conn: &Connection) -> Result<()> {
    loop {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let step = (|| -> Result<bool> {
            let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(LibraryError::Corrupt(format!(
                    "schema version changed to {version} while opening"
                )));
            }
            let Some(sql) = usize::try_from(version)
                .ok()
                .and_then(|v| MIGRATIONS.get(v))
            else {
                return Ok(false);
            };
            conn.execute_batch(sql)?;
            if version == 0 {
                conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))?;
                let now = crate::util::now_utc_ms();
                let id = new_library_id()?;
                conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('library_id', ?1), ('ledger_count', '0'), ('ledger_head', ?2)",
                    rusqlite::params![id, crate::ledger::GENESIS_HASH],
                )?;
                conn.execute(
                    "INSERT INTO project(id, name, created_utc_ms) VALUES (1, 'default', ?1)",
                    [now],
                )?;
            }
            conn.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
            Ok(true)
        })();
        match step {
            Ok(true) => conn.execute_batch("COMMIT")?,
            Ok(false) => {
                conn.execute_batch("COMMIT")?;
                return Ok(());
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e);
            }
        }
    }
}

/// A random 128-bit library id (hex).
fn new_library_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        LibraryError::Corrupt(format!("no system randomness for the library id: {e}"))
    })?;
    Ok(crate::util::to_hex(&bytes))
}

/// `meta.application` of a take library on PostgreSQL (the counterpart of [`APPLICATION_ID`]).
pub const PG_APPLICATION: &str = "mocap-take-library";

/// The same migrations as [`MIGRATIONS`] in PostgreSQL's dialect: entry `i` brings a database
/// from version `i` to `i + 1`. Integers are `BIGINT`, flags `BIGINT` 0/1 (as in SQLite), actor
/// and tag names compare case-insensitively (an ICU collation, like SQLite's `NOCASE`), the
/// full-text index is a `tsvector` column, and `ledger.prev_hash` is UNIQUE so concurrent
/// writers can never fork the chain.
const PG_MIGRATIONS: &[&str] = &[
    // 0 -> 1
    r#"
CREATE COLLATION IF NOT EXISTS take_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE project (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    created_utc_ms BIGINT NOT NULL
);
CREATE TABLE session (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project(id),
    name TEXT NOT NULL,
    capture_date TEXT,
    UNIQUE (project_id, name)
);
CREATE TABLE scene (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES project(id),
    name TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE take (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    scene_id BIGINT NOT NULL REFERENCES scene(id),
    session_id BIGINT REFERENCES session(id),
    number BIGINT,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    marker_set TEXT,
    "character" TEXT,
    duration_frames BIGINT,
    rate_num BIGINT,
    rate_den BIGINT,
    start_timecode TEXT,
    status TEXT NOT NULL DEFAULT 'none',
    captured_utc_ms BIGINT,
    created_utc_ms BIGINT NOT NULL
);
CREATE INDEX take_scene ON take(scene_id, number);
CREATE INDEX take_status ON take(status);
CREATE INDEX take_captured ON take(captured_utc_ms);
CREATE TABLE take_actor (
    take_id BIGINT NOT NULL REFERENCES take(id),
    actor TEXT COLLATE take_nocase NOT NULL,
    PRIMARY KEY (take_id, actor)
);
CREATE INDEX take_actor_actor ON take_actor(actor, take_id);
CREATE TABLE take_tag (
    take_id BIGINT NOT NULL REFERENCES take(id),
    tag TEXT COLLATE take_nocase NOT NULL,
    PRIMARY KEY (take_id, tag)
);
CREATE INDEX take_tag_tag ON take_tag(tag, take_id);
CREATE TABLE take_file (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    take_id BIGINT NOT NULL REFERENCES take(id),
    kind TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    added_utc_ms BIGINT NOT NULL
);
CREATE INDEX take_file_take ON take_file(take_id);
CREATE INDEX take_file_hash ON take_file(sha256);
CREATE TABLE derived_version (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    take_id BIGINT NOT NULL REFERENCES take(id),
    kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    input_sha256 TEXT NOT NULL,
    operations TEXT NOT NULL,
    output_path TEXT NOT NULL,
    output_sha256 TEXT NOT NULL,
    author TEXT NOT NULL,
    created_utc_ms BIGINT NOT NULL,
    UNIQUE (take_id, kind, version)
);
CREATE TABLE note (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    take_id BIGINT NOT NULL REFERENCES take(id),
    reply_to BIGINT REFERENCES note(id),
    frame_start BIGINT NOT NULL,
    frame_end BIGINT NOT NULL,
    author TEXT NOT NULL,
    created_utc_ms BIGINT NOT NULL,
    text TEXT NOT NULL,
    resolved BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX note_take ON note(take_id);
CREATE TABLE ledger (
    seq BIGINT PRIMARY KEY,
    take_id BIGINT,
    author TEXT NOT NULL,
    time_utc_ms BIGINT NOT NULL,
    content_hashes TEXT NOT NULL,
    body TEXT NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    public_key TEXT,
    signature TEXT,
    hash TEXT NOT NULL
);
CREATE INDEX ledger_take ON ledger(take_id, seq);
CREATE TABLE take_fts (
    take_id BIGINT PRIMARY KEY,
    doc tsvector NOT NULL
);
CREATE INDEX take_fts_doc ON take_fts USING gin (doc);
"#,
    // 1 -> 2
    r#"
ALTER TABLE note ADD COLUMN retracted BIGINT NOT NULL DEFAULT 0;
"#,
    // 2 -> 3
    crate::roles::MIGRATION,
    // 3 -> 4
    crate::verdicts::MIGRATION,
    // 4 -> 5
    crate::dailies::MIGRATION,
    // 5 -> 6, then fresh planner statistics for the new indexes.
    PG_INDEXES_6,
];

/// [`INDEXES_6`] on PostgreSQL.
const PG_INDEXES_6: &str = "
CREATE INDEX ledger_hash ON ledger(hash);
CREATE INDEX take_session ON take(session_id, id);
CREATE INDEX note_reply ON note(reply_to);
CREATE INDEX verdict_take ON verdict(take_id);
CREATE INDEX playlist_item_take ON playlist_item(take_id);
ANALYZE;
";

/// Identifies a PostgreSQL database (inside the caller's transaction, which holds the write
/// lock) and applies every missing migration. Returns true when it changed the schema.
pub(crate) fn pg_identify_and_migrate(
    db: &crate::db::Db<'_>,
    shown: &Path,
    create: bool,
) -> Result<bool> {
    use crate::db::p;
    let tables: i64 = db.one(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
        p![],
    )?;
    let has_meta: i64 = db.one(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'",
        p![],
    )?;
    let mut version = if has_meta == 0 {
        if tables > 0 {
            return Err(LibraryError::ForeignDatabase {
                path: shown.to_path_buf(),
                detail: format!("it has {tables} tables but no take-library `meta` table"),
            });
        }
        if !create {
            return Err(LibraryError::NotFound(shown.to_path_buf()));
        }
        0
    } else {
        let app: Option<String> =
            db.opt("SELECT value FROM meta WHERE key = 'application'", p![])?;
        if app.as_deref() != Some(PG_APPLICATION) {
            return Err(LibraryError::ForeignDatabase {
                path: shown.to_path_buf(),
                detail: format!("its meta table names application {app:?}"),
            });
        }
        let v: Option<String> =
            db.opt("SELECT value FROM meta WHERE key = 'schema_version'", p![])?;
        v.and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| LibraryError::Corrupt("the schema_version record is missing".into()))?
    };
    if version > SCHEMA_VERSION {
        return Err(LibraryError::NewerSchema {
            path: shown.to_path_buf(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    let start = version;
    while let Some(sql) = usize::try_from(version)
        .ok()
        .and_then(|v| PG_MIGRATIONS.get(v))
    {
        db.batch(sql)?;
        if version == 0 {
            let now = crate::util::now_utc_ms();
            let id = new_library_id()?;
            db.execute(
                "INSERT INTO meta(key, value) VALUES ('application', ?1), ('schema_version', '0'), ('library_id', ?2), ('ledger_count', '0'), ('ledger_head', ?3)",
                p![PG_APPLICATION, id, crate::ledger::GENESIS_HASH],
            )?;
            db.execute(
                "INSERT INTO project(id, name, created_utc_ms) VALUES (1, 'default', ?1)",
                p![now],
            )?;
        }
        version += 1;
        db.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
            p![version.to_string()],
        )?;
    }
    Ok(version != start)
}
