//! [`Library`]: the catalogue handle (an SQLite file or a PostgreSQL database per project).
//!
//! The handle, opening and the small queries live here; the rest by concern: `input` (what
//! callers hand in: [`NewTake`], [`NewNote`], …), `takes` (adding and reading takes, metadata,
//! derived versions), `review` (statuses and notes through the ledger), `search` (take queries)
//! and `command` (undoable [`Command`]s).

use crate::db::{Db, p};
use crate::error::{LibraryError, Result};
use crate::ledger::{self, LedgerEvent};
use crate::model::*;
use crate::schema::{self, OpenMode};
use crate::store::Store;
use mocap_data::FrameRate;
use std::path::{Path, PathBuf};

mod bulk;
mod command;
mod input;
mod review;
mod search;
mod takes;

pub use command::Command;
pub use input::{NewDerived, NewFile, NewNote, NewTake, TakeMetadata};
pub use takes::normalize_scene;
pub(crate) use takes::{insert_file, insert_take, refresh_fts};

/// Handle on one take library: an SQLite file or a PostgreSQL database. Not `Sync`; open one per
/// thread (SQLite WAL and PostgreSQL both let readers and one writer work at the same time,
/// across threads and processes).
pub struct Library {
    pub(crate) store: Store,
    path: PathBuf,
}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("path", &self.path).finish()
    }
}

impl Library {
    /// Opens the library at `path`; see [`OpenMode`]. Refuses (without writing anything) files
    /// that are not take libraries or have a newer schema.
    ///
    /// `path` is an SQLite file, or a PostgreSQL URL (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`,
    /// see [`crate::store::is_postgres_url`]): an existing, empty database is made a library by
    /// [`OpenMode::CreateIfMissing`] (the database itself is created by its administrator).
    pub fn open(path: &Path, mode: OpenMode) -> Result<Self> {
        let text = path.to_string_lossy();
        if crate::store::is_postgres_url(&text) {
            return Self::open_postgres(text.trim(), mode);
        }
        let conn = schema::open(path, mode)?;
        Ok(Self {
            store: Store::Lite(conn),
            path: path.to_path_buf(),
        })
    }

    /// Opens the library in the PostgreSQL database `url`; see [`Library::open`].
    pub fn open_postgres(url: &str, mode: OpenMode) -> Result<Self> {
        let shown = PathBuf::from(crate::store::redact_url(url));
        let store = crate::store::open_pg(url, &shown, mode == OpenMode::CreateIfMissing)?;
        Ok(Self { store, path: shown })
    }

    /// The database file, or the PostgreSQL URL with its password hidden.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the library lives in PostgreSQL (a team library), false for an SQLite file.
    pub fn is_postgres(&self) -> bool {
        matches!(self.store, Store::Pg(_))
    }

    /// Random id given to the library when it was created (hex).
    pub fn library_id(&self) -> Result<String> {
        self.store
            .read(|c| c.one("SELECT value FROM meta WHERE key = 'library_id'", p![]))
    }

    /// Runs `f` in a transaction holding the library's write lock; commits on `Ok`, rolls back
    /// on `Err`.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.store.write(f)
    }

    /// Runs `f` in a read transaction so it sees one consistent snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.store.read(f)
    }

    /// After a bulk import or generation: refreshes the query planner's statistics (SQLite:
    /// `PRAGMA optimize`; PostgreSQL: `VACUUM (ANALYZE)`, which also lets counts be answered
    /// from indexes). Safe at any time; other connections keep working.
    pub fn optimize(&mut self) -> Result<()> {
        self.store.optimize()
    }

    /// Finds a take by id (all digits) or by name.
    pub fn resolve_take(&self, key: &str) -> Result<i64> {
        let key = key.trim();
        let found = self.read(|c| {
            if let Some(id) = c.opt::<i64>("SELECT id FROM take WHERE name = ?1", p![key])? {
                return Ok(Some(id));
            }
            match key.parse::<i64>() {
                Ok(id) => c.opt::<i64>("SELECT id FROM take WHERE id = ?1", p![id]),
                Err(_) => Ok(None),
            }
        })?;
        found.ok_or_else(|| LibraryError::NoSuchTake(key.to_string()))
    }

    /// Every capture session (day) name, sorted.
    pub fn sessions(&mut self) -> Result<Vec<String>> {
        self.read(|c| c.query_map("SELECT name FROM session ORDER BY name", p![], |r| r.get(0)))
    }

    /// Every scene name, sorted.
    pub fn scenes(&mut self) -> Result<Vec<String>> {
        self.read(|c| c.query_map("SELECT name FROM scene ORDER BY name", p![], |r| r.get(0)))
    }

    /// A number that changes whenever another connection (the CLI, another studio) commits to
    /// the library; commits through this handle leave it unchanged (SQLite's
    /// `PRAGMA data_version`; on PostgreSQL, the count of other connections' commits announced
    /// by `NOTIFY`). Lets a browser skip re-reading an unchanged library: poll it (cheap: no
    /// query on PostgreSQL, one pragma on SQLite) a few times a second.
    pub fn data_version(&self) -> Result<i64> {
        self.store.data_version()
    }

    /// Blocks up to `timeout` until another connection commits to the library; returns true
    /// when one did (then re-read), false on timeout. PostgreSQL wakes on `NOTIFY` at once;
    /// SQLite polls `data_version` every 50 ms. For a UI thread use a short timeout (or
    /// [`Library::data_version`]); a background thread may wait longer.
    pub fn wait_for_change(&self, timeout: std::time::Duration) -> Result<bool> {
        self.store.wait_for_change(timeout)
    }

    /// The take a file belongs to, looked up by the path it was imported from (or, for a
    /// revision's output, the path it was recorded with).
    pub fn take_for_path(&self, path: &Path) -> Result<Option<i64>> {
        let text = path.to_string_lossy();
        self.read(|c| {
            let file = c.opt(
                "SELECT take_id FROM take_file WHERE path = ?1",
                p![text.as_ref()],
            )?;
            if file.is_some() {
                return Ok(file);
            }
            // A revision's output (a solved or cleaned-up file) belongs to its take too.
            c.opt(
                "SELECT take_id FROM derived_version WHERE output_path = ?1 ORDER BY id DESC",
                p![text.as_ref()],
            )
        })
    }

    /// Ledger events (all, or one take's), in chain order.
    pub fn events(&mut self, take_id: Option<i64>) -> Result<Vec<LedgerEvent>> {
        self.read(|c| ledger::read_events(c, take_id))
    }

    /// The recorded chain head: (number of events, hash of the last event).
    pub fn ledger_head(&mut self) -> Result<(i64, String)> {
        self.read(ledger::recorded_head)
    }

    /// Sets a take's duration and rate (from a file reader).
    pub fn set_timing(&mut self, take_id: i64, timing: TakeTiming) -> Result<()> {
        self.write(|c| {
            c.execute(
                "UPDATE take SET duration_frames = ?1, rate_num = ?2, rate_den = ?3 WHERE id = ?4",
                p![
                    i64::try_from(timing.duration_frames).unwrap_or(i64::MAX),
                    timing.rate.num(),
                    timing.rate.den(),
                    take_id
                ],
            )?;
            Ok(())
        })
    }

    /// Exact frame rate of a take, when known.
    pub fn take_rate(&self, take_id: i64) -> Result<Option<FrameRate>> {
        let r: Option<(Option<u32>, Option<u32>)> = self.read(|c| {
            c.query_opt(
                "SELECT rate_num, rate_den FROM take WHERE id = ?1",
                p![take_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })?;
        Ok(match r {
            Some((Some(n), Some(d))) => FrameRate::new(n, d).ok(),
            _ => None,
        })
    }

    /// Sequence number of the event with this hash, if the chain has it. A hash noted earlier
    /// (an evidence manifest's chain head, a printed `verify` head) that is no longer found means
    /// the ledger was rewritten since.
    pub fn find_event(&mut self, hash: &str) -> Result<Option<i64>> {
        let hash = hash.trim().to_ascii_lowercase();
        self.read(|c| c.opt("SELECT seq FROM ledger WHERE hash = ?1", p![hash]))
    }

    /// Runs the full integrity check; see [`crate::verify`].
    pub fn verify(&mut self, rehash_files: bool) -> Result<crate::verify::VerifyReport> {
        self.read(|c| crate::verify::verify(c, rehash_files))
    }
}
