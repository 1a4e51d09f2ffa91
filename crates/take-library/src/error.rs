//! Errors of the take library. Every message says what went wrong and what to do next.

use std::path::PathBuf;

/// Everything that can go wrong in the take library.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The database file does not exist and the operation does not create one.
    #[error(
        "no take library at {path}: create one with `mocap takes --db {path} import FOLDER`",
        path = .0.display()
    )]
    NotFound(PathBuf),
    /// The file exists but is not an SQLite database (e.g. a text file).
    #[error(
        "{path} is not a take library (not an SQLite database); it was left untouched: check the --db path",
        path = .0.display()
    )]
    NotSqlite(PathBuf),
    /// The file is an SQLite database written by another application.
    #[error(
        "{path} is an SQLite database of another application ({detail}); it was left untouched: check the --db path",
        path = .path.display()
    )]
    ForeignDatabase {
        /// The database file.
        path: PathBuf,
        /// What identified it as foreign.
        detail: String,
    },
    /// The library was written by a newer version of the tool.
    #[error(
        "{path} has take-library schema version {found}, newer than this tool understands ({known}); it was left untouched: upgrade mocap",
        path = .path.display()
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Schema version found in the file (`PRAGMA user_version`).
        found: i64,
        /// Newest schema version this build knows.
        known: i64,
    },
    /// SQLite reported an error (the detail is part of the message, not a separate source, so
    /// error chains print it once).
    #[error(
        "database error: {0} (if the database is busy, retry; if it is damaged, restore it from a backup)"
    )]
    Sql(rusqlite::Error),
    /// PostgreSQL reported an error, or the server could not be reached.
    #[error(
        "PostgreSQL error: {detail} (check the server is running and the --db URL names the database, user and password)"
    )]
    Postgres {
        /// What the server or the client library said.
        detail: String,
        /// The SQLSTATE code, when the server answered (`23505` = unique violation).
        code: Option<String>,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {error}", path = .path.display())]
    Io {
        /// What was being done ("read", "hash", "write", …).
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying error (part of the message).
        error: std::io::Error,
    },
    /// No take matches the given id or name.
    #[error("no take named or numbered `{0}`: list the takes with `mocap takes list`")]
    NoSuchTake(String),
    /// No note has the given id.
    #[error("no note with id {0}: list notes with `mocap takes list --json`")]
    NoSuchNote(i64),
    /// A value given by the caller is not acceptable.
    #[error("invalid {what}: {detail}")]
    Invalid {
        /// Which input ("status", "frame range", "naming pattern", …).
        what: &'static str,
        /// Why, and what is accepted.
        detail: String,
    },
    /// The library content is inconsistent in a way that prevents the operation.
    #[error("the take library is inconsistent: {0}; run `mocap takes verify` for details")]
    Corrupt(String),
    /// A key file could not be used.
    #[error("key file {path}: {detail}", path = .path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// What is wrong and what is expected.
        detail: String,
    },
    /// An evidence manifest could not be read.
    #[error("evidence manifest {path}: {detail}", path = .path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
}

impl From<rusqlite::Error> for LibraryError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<postgres::Error> for LibraryError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => Self::Postgres {
                detail: match db.detail() {
                    Some(d) => format!("{}: {d}", db.message()),
                    None => db.message().to_string(),
                },
                code: Some(db.code().code().to_string()),
            },
            None => {
                use std::error::Error as _;
                let mut detail = e.to_string();
                let mut source = e.source();
                while let Some(s) = source {
                    detail.push_str(&format!(": {s}"));
                    source = s.source();
                }
                Self::Postgres { detail, code: None }
            }
        }
    }
}

/// Result alias of this crate.
pub type Result<T, E = LibraryError> = std::result::Result<T, E>;

impl LibraryError {
    /// Builds an [`LibraryError::Io`] error.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        error: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            error,
        }
    }

    /// True when a UNIQUE constraint refused the change (on either store).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            Self::Sql(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::ConstraintViolation
            }
            Self::Postgres { code, .. } => code.as_deref() == Some("23505"),
            _ => false,
        }
    }

    /// Builds an [`LibraryError::Invalid`] error.
    pub(crate) fn invalid(what: &'static str, detail: impl Into<String>) -> Self {
        Self::Invalid {
            what,
            detail: detail.into(),
        }
    }
}
