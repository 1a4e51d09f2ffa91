//! The take library: a per-project catalogue (an SQLite file, or a PostgreSQL database for a team) of capture takes, their files (by path and
//! SHA-256), review statuses and frame-anchored notes, plus a tamper-evident approval ledger.
//!
//! Headless: no UI dependencies. Queries return plain structs ([`TakeSummary`], [`TakeDetail`],
//! [`Note`]) a UI can keep; edits that make sense to undo go through [`Library::execute`], which
//! returns the inverse [`Command`]. Every status change, note and approval is appended to the
//! ledger ([`ledger`]) in the same transaction as the change itself.
//!
//! Several processes (the studio app, the `mocap` CLI) may use one library at the same time: an
//! SQLite file runs in WAL mode with a busy timeout and writes take the write lock up front; on
//! PostgreSQL writes hold a per-library advisory lock and the ledger's `prev_hash` is UNIQUE
//! ([`store`]). [`migrate`] copies a library between the two stores.

pub mod dailies;
pub(crate) mod db;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod import;
pub mod keys;
pub mod ledger;
pub mod library;
pub mod migrate;
pub mod model;
pub mod naming;
pub mod notices;
pub mod report;
pub mod roles;
pub mod schema;
pub mod store;
pub mod synth;
pub mod util;
pub mod verdicts;
pub mod verify;

pub use error::{LibraryError, Result};
pub use keys::UserKey;
pub use ledger::LedgerEvent;
pub use library::{Command, Library, NewDerived, NewFile, NewNote, NewTake, TakeMetadata};
pub use model::{
    DerivedVersion, FileKind, Note, SearchResult, TakeDetail, TakeFile, TakeQuery, TakeRow,
    TakeStatus, TakeSummary, TakeTiming,
};
pub use schema::OpenMode;
pub use verify::{Problem, VerifyReport};
