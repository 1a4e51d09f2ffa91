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
pub const SCHEMA_VERSION: i64 = 2;

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
];

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
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    identify(&conn, path)?;
    // Only now that the file is known to be ours (or empty) do we write to it.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate(&conn)?;
    Ok(conn)
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
