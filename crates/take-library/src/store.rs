//! The two stores behind [`crate::Library`]: an SQLite file or a PostgreSQL database, chosen by
//! what `--db` names (a path, or a `postgres://` / `postgresql://` URL).
//!
//! Writes are serialised per library on both: SQLite takes the file's write lock up front
//! (`BEGIN IMMEDIATE`); PostgreSQL takes a transaction-scoped advisory lock
//! ([`WRITE_LOCK_KEY`]) before reading the ledger head, and `ledger.prev_hash` is UNIQUE there,
//! so two writers can never extend the chain from the same event. Every PostgreSQL write
//! transaction ends with `NOTIFY` on [`NOTIFY_CHANNEL`], which other open libraries count as
//! changes ([`crate::Library::data_version`], [`crate::Library::wait_for_change`]).
//!
//! Group commit on PostgreSQL: a write transaction commits without waiting for its WAL flush
//! (`SET LOCAL synchronous_commit = off`), so the write lock (and the server's NOTIFY queue lock)
//! is released as soon as the commit record is written, not after an fsync; then, outside the
//! lock, a one-round-trip transaction with the server's own `synchronous_commit` ([`FLUSH_SQL`])
//! waits until the WAL is flushed past it, so the write returns only once it is durable, as
//! before. Writers waiting for their flush share one fsync. The chain cannot lose an event and
//! keep a later one: a later event's commit record follows it in the WAL, and recovery replays a
//! prefix of the WAL. A server that refuses [`FLUSH_SQL`] gets plain synchronous commits.

use crate::db::{Db, PgTx};
use crate::error::{LibraryError, Result};
use postgres::fallible_iterator::FallibleIterator;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Key of the PostgreSQL advisory lock every write transaction (and schema migration) holds.
/// Advisory locks are per database, so this serialises writers of one library.
pub const WRITE_LOCK_KEY: i64 = 0x4D43_544C;

/// PostgreSQL channel a write transaction notifies when it commits.
pub const NOTIFY_CHANNEL: &str = "mocap_take_library";

/// A transaction that writes one WAL record and commits with the session's `synchronous_commit`:
/// it returns once the WAL is flushed past it, so past every commit this connection made before.
pub(crate) const FLUSH_SQL: &str =
    "BEGIN; SELECT pg_logical_emit_message(true, 'mocap_take_library', 'flush'); COMMIT";

/// True when `db` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(db: &str) -> bool {
    let db = db.trim_start();
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// The URL with any password replaced by `***` (for messages and [`crate::Library::path`]).
pub fn redact_url(url: &str) -> String {
    with_password(url, |user| format!("{user}:***"))
}

/// The URL with no password (`postgres://anna:pw@h/db` → `postgres://anna@h/db`): what may be
/// remembered, e.g. in a recent-libraries list.
pub fn without_password(url: &str) -> String {
    with_password(url, str::to_string)
}

/// `url` with its `user:password` part replaced by `user_info(user)`; unchanged when it has no
/// password.
fn with_password(url: &str, user_info: impl Fn(&str) -> String) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((info, host)) => match info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{}@{host}{tail}", user_info(user)),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// A PostgreSQL connection with its statement cache and change counter.
pub(crate) struct PgConn {
    pub(crate) client: postgres::Client,
    pub(crate) cache: HashMap<String, postgres::Statement>,
    /// Changes committed by other connections that this one has been told about.
    data_version: i64,
    /// This connection's server process id (its own notifications are not changes).
    pid: i32,
    /// Writes commit without waiting for the flush and then wait for it outside the write lock
    /// ([`FLUSH_SQL`] worked when the connection was opened); see the module documentation.
    group_commit: bool,
}

/// The store a library lives in.
pub(crate) enum Store {
    /// An SQLite file.
    Lite(rusqlite::Connection),
    /// A PostgreSQL database (the cell lets `&self` reads use the connection).
    Pg(Box<RefCell<PgConn>>),
}

impl Store {
    /// Runs `f` in a write transaction that holds the library's write lock; commits on `Ok`.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.write_locked(true, f)
    }

    /// Like [`Store::write`] for a change that only appends rows and then a ledger event (a
    /// note): on PostgreSQL the write lock is taken by [`crate::ledger::append`], so the work
    /// before it runs beside other writers and the lock is held only for the chain's head, the
    /// event and what `f` does after it. SQLite takes its write lock up front either way.
    pub(crate) fn write_appending<T>(&mut self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        self.write_locked(false, f)
    }

    fn write_locked<T>(
        &mut self,
        lock_first: bool,
        f: impl FnOnce(&Db<'_>) -> Result<T>,
    ) -> Result<T> {
        match self {
            Store::Lite(conn) => {
                // Writers in this process queue in order; other processes are met by the
                // busy handler (`schema::busy_wait`).
                let _turn = WriterQueue::for_file(conn.path().unwrap_or_default()).wait();
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(&Db::Lite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Store::Pg(cell) => {
                let PgConn {
                    client,
                    cache,
                    group_commit,
                    ..
                } = cell.get_mut();
                let group_commit = *group_commit;
                let out = {
                    let mut tx = client.transaction()?;
                    // NOTIFY is delivered at commit; sent now, it costs no round trip under the
                    // lock.
                    let no_wait = if group_commit {
                        "SET LOCAL synchronous_commit = off; "
                    } else {
                        ""
                    };
                    if lock_first {
                        tx.batch_execute(&format!(
                            "{no_wait}SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY}); NOTIFY {NOTIFY_CHANNEL}"
                        ))?;
                    } else {
                        tx.batch_execute(&format!("{no_wait}NOTIFY {NOTIFY_CHANNEL}"))?;
                    }
                    let db = Db::Pg(RefCell::new(PgTx { tx, cache }));
                    let out = f(&db)?;
                    let Db::Pg(cell) = db else {
                        unreachable!("built as Pg above")
                    };
                    cell.into_inner().tx.commit()?;
                    out
                };
                if group_commit {
                    // Durable before returning: wait for the flush, the lock already released.
                    client.batch_execute(FLUSH_SQL)?;
                }
                Ok(out)
            }
        }
    }

    /// Runs `f` in a read transaction (one consistent snapshot).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Db<'_>) -> Result<T>) -> Result<T> {
        match self {
            Store::Lite(conn) => {
                let tx = conn.unchecked_transaction()?;
                let out = f(&Db::Lite(&tx))?;
                tx.commit()?;
                Ok(out)
            }
            Store::Pg(cell) => {
                let mut guard = cell.borrow_mut();
                let PgConn { client, cache, .. } = &mut *guard;
                let tx = client
                    .build_transaction()
                    .isolation_level(postgres::IsolationLevel::RepeatableRead)
                    .read_only(true)
                    .start()?;
                let db = Db::Pg(RefCell::new(PgTx { tx, cache }));
                let out = f(&db)?;
                let Db::Pg(cell) = db else {
                    unreachable!("built as Pg above")
                };
                cell.into_inner().tx.commit()?;
                Ok(out)
            }
        }
    }

    /// Refreshes planner statistics after a bulk change (see [`crate::Library::optimize`]).
    pub(crate) fn optimize(&mut self) -> Result<()> {
        match self {
            Store::Lite(conn) => Ok(conn.execute_batch("PRAGMA optimize")?),
            Store::Pg(cell) => {
                // VACUUM cannot run in a transaction; it also marks pages all-visible, which
                // lets counts be answered from indexes.
                let pg = cell.get_mut();
                pg.client.batch_execute("VACUUM (ANALYZE)")?;
                Ok(())
            }
        }
    }

    /// A number that grows when another connection commits (see
    /// [`crate::Library::data_version`]).
    pub(crate) fn data_version(&self) -> Result<i64> {
        match self {
            Store::Lite(conn) => Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?),
            Store::Pg(cell) => {
                let mut guard = cell.borrow_mut();
                let pg = &mut *guard;
                let pid = pg.pid;
                // One round trip lets the server hand over notifications of commits that
                // finished before this call (they are delivered between transactions).
                pg.client.batch_execute("")?;
                let mut seen = 0;
                {
                    let mut n = pg.client.notifications();
                    let mut it = n.iter();
                    while let Some(note) = it.next()? {
                        if note.process_id() != pid {
                            seen += 1;
                        }
                    }
                }
                pg.data_version += seen;
                Ok(pg.data_version)
            }
        }
    }

    /// Waits up to `timeout` for another connection to commit; true when one did.
    pub(crate) fn wait_for_change(&self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        match self {
            Store::Lite(_) => {
                let start = self.data_version()?;
                loop {
                    if self.data_version()? != start {
                        return Ok(true);
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(false);
                    }
                    std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
                }
            }
            Store::Pg(cell) => {
                if self.data_version_pending()? {
                    return Ok(true);
                }
                let mut guard = cell.borrow_mut();
                let pg = &mut *guard;
                let pid = pg.pid;
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Ok(false);
                    }
                    let got = pg.client.notifications().timeout_iter(left).next()?;
                    match got {
                        Some(note) if note.process_id() != pid => {
                            pg.data_version += 1;
                            return Ok(true);
                        }
                        Some(_) => {}
                        None => return Ok(false),
                    }
                }
            }
        }
    }

    /// Drains already received notifications; true when one came from another connection.
    fn data_version_pending(&self) -> Result<bool> {
        let Store::Pg(cell) = self else {
            return Ok(false);
        };
        let before = cell.borrow().data_version;
        Ok(self.data_version()? != before)
    }
}

/// A first-come, first-served queue of the writers of one SQLite file in this process (the
/// studio's handles, a bench's threads). SQLite's file lock is not fair: waiting writers poll
/// it, and under 16 writers one could lose it many times in a row (a note write's p99 was over
/// a second). Holding a turn here before `BEGIN IMMEDIATE` serves them in arrival order.
struct WriterQueue {
    /// (next ticket to hand out, ticket now served).
    tickets: std::sync::Mutex<(u64, u64)>,
    turn: std::sync::Condvar,
}

/// A writer's turn; the next one is served when it is dropped.
struct Turn(std::sync::Arc<WriterQueue>);

impl WriterQueue {
    /// The queue of the file `path` (one per file for the life of the process).
    fn for_file(path: &str) -> std::sync::Arc<WriterQueue> {
        static QUEUES: std::sync::OnceLock<
            std::sync::Mutex<HashMap<String, std::sync::Arc<WriterQueue>>>,
        > = std::sync::OnceLock::new();
        let mut queues = QUEUES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        queues
            .entry(path.to_string())
            .or_insert_with(|| {
                std::sync::Arc::new(WriterQueue {
                    tickets: std::sync::Mutex::new((0, 0)),
                    turn: std::sync::Condvar::new(),
                })
            })
            .clone()
    }

    /// Takes a ticket and waits until it is served.
    fn wait(self: std::sync::Arc<Self>) -> Turn {
        {
            let mut t = self
                .tickets
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mine = t.0;
            t.0 += 1;
            while t.1 != mine {
                t = self
                    .turn
                    .wait(t)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
        }
        Turn(self)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut t = self
            .0
            .tickets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        t.1 += 1;
        self.0.turn.notify_all();
    }
}

/// Connects to the PostgreSQL database `url`, identifies it (empty, or a take library of a schema
/// version this build knows) and brings its schema up to date, holding the write lock.
pub(crate) fn open_pg(url: &str, shown: &std::path::Path, create: bool) -> Result<Store> {
    let config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        LibraryError::invalid(
            "PostgreSQL URL",
            format!("{e}: expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"),
        )
    })?;
    let mut client = config.connect(postgres::NoTls)?;
    client.batch_execute(&format!(
        "SET client_min_messages = warning; LISTEN {NOTIFY_CHANNEL}"
    ))?;
    let pid: i32 = client.query_one("SELECT pg_backend_pid()", &[])?.get(0);
    let mut cache = HashMap::new();
    {
        let mut tx = client.transaction()?;
        tx.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))?;
        let db = Db::Pg(RefCell::new(PgTx {
            tx,
            cache: &mut cache,
        }));
        let migrated = crate::schema::pg_identify_and_migrate(&db, shown, create)?;
        let Db::Pg(cell) = db else {
            unreachable!("built as Pg above")
        };
        let PgTx { mut tx, .. } = cell.into_inner();
        if migrated {
            tx.batch_execute(&format!("NOTIFY {NOTIFY_CHANNEL}"))?;
        }
        tx.commit()?;
    }
    // Statements prepared during migration may refer to tables created in it; start afresh.
    cache.clear();
    // Group commit needs FLUSH_SQL; a server that refuses it (a role without the right, an old
    // server) gets synchronous commits under the lock.
    let group_commit = client.batch_execute(FLUSH_SQL).is_ok();
    if !group_commit {
        // The failed statement may have left its transaction open.
        client.batch_execute("ROLLBACK")?;
    }
    Ok(Store::Pg(Box::new(RefCell::new(PgConn {
        client,
        cache,
        data_version: 0,
        pid,
        group_commit,
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_can_move_between_threads() {
        // The studio keeps it in a `Mutex` resource, which needs `Send` on both stores.
        fn assert_send<T: Send>() {}
        assert_send::<crate::Library>();
    }

    #[test]
    fn urls_are_told_from_paths_and_passwords_hidden() {
        assert!(is_postgres_url("postgres://u@127.0.0.1/lib"));
        assert!(is_postgres_url("postgresql://u@h/lib"));
        assert!(!is_postgres_url("/tmp/postgres://x.db"));
        assert!(!is_postgres_url("lib.db"));
        assert_eq!(
            redact_url("postgres://anna:secret@127.0.0.1:5432/lib"),
            "postgres://anna:***@127.0.0.1:5432/lib"
        );
        assert_eq!(
            redact_url("postgres://anna@127.0.0.1/lib"),
            "postgres://anna@127.0.0.1/lib"
        );
    }
}
