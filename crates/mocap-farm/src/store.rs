//! Where farm results are recorded: the take library (derived versions through its public API)
//! or, for a folder plan, a JSON file of the same records beside the outputs.
//!
//! A record holds the input hashes, the operations (`{"op": {step, options, tool_version},
//! "farm": {engine, job_id, log_path}}`), the output path and its hash. A result is reused when the
//! step, the `op` part and the input hashes are equal and the output file still has its hash.

use crate::error::{FarmError, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use take_library::{Library, NewDerived, OpenMode};

/// Where results are recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreSpec {
    /// A take library file (results become derived versions of the takes).
    Library(PathBuf),
    /// A JSON file of records (folder plans).
    Folder(PathBuf),
}

/// The take a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeRef {
    /// Take name.
    pub name: String,
    /// Library id (required for a library store).
    pub take_id: Option<i64>,
}

/// A current recorded result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Output file (absolute).
    pub output_path: PathBuf,
    /// Version number (1 = first of its kind for the take).
    pub version: i64,
}

/// Farm facts stored with a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarmInfo {
    /// Engine that ran the job (`local`, `slurm`, `opencue`).
    pub engine: String,
    /// The scheduler's job id (`1234_5` for a Slurm array task; `local-PID-N` locally).
    pub job_id: String,
    /// The job's log file (absolute).
    pub log_path: PathBuf,
    /// The plan's job id (`TAKE/STEP`).
    pub plan_job: String,
}

/// One record of a folder store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FolderRecord {
    /// Take name.
    pub take: String,
    /// Step (`clean`, `solve`, …).
    pub kind: String,
    /// Version (1-based per take and kind).
    pub version: i64,
    /// SHA-256 (hex) of every input.
    pub input_sha256: Vec<String>,
    /// `{"op": …, "farm": …}`.
    pub operations: Value,
    /// Output file.
    pub output_path: PathBuf,
    /// SHA-256 (hex) of the output when recorded.
    pub output_sha256: String,
    /// When, milliseconds since the Unix epoch (UTC).
    pub created_utc_ms: i64,
}

/// An open store.
#[derive(Debug)]
pub enum Store {
    /// A take library.
    Library(Library),
    /// A folder's JSON records (read at open, rewritten at each record).
    Folder {
        /// The JSON file.
        path: PathBuf,
        /// Its records.
        records: Vec<FolderRecord>,
    },
}

/// Writes `bytes` to `path` through a temporary file and a rename (creating the folder).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| FarmError::io(dir, e))?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| FarmError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| FarmError::io(path, e))
}

fn output_intact(path: &Path, sha: &str) -> bool {
    take_library::util::hash_file(path).is_ok_and(|(h, _)| h == sha)
}

impl Store {
    /// Opens the library (it must exist) or reads the folder's records (none when absent).
    pub fn open(spec: &StoreSpec) -> Result<Store> {
        Ok(match spec {
            StoreSpec::Library(p) => Store::Library(Library::open(p, OpenMode::MustExist)?),
            StoreSpec::Folder(p) => {
                let records = match std::fs::read_to_string(p) {
                    Ok(text) => serde_json::from_str(&text).map_err(|e| FarmError::BadFile {
                        path: p.clone(),
                        message: format!(
                            "line {} column {}: {e} (delete it to record afresh)",
                            e.line(),
                            e.column()
                        ),
                    })?,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                    Err(e) => return Err(FarmError::io(p, e)),
                };
                Store::Folder {
                    path: p.clone(),
                    records,
                }
            }
        })
    }

    /// The newest current result of `kind` for `take` with these input hashes and operations
    /// (`op`: step, options, tool version), whose output file still has the recorded hash.
    pub fn find(
        &mut self,
        take: &TakeRef,
        kind: &str,
        inputs: &[String],
        op: &Value,
    ) -> Result<Option<Recorded>> {
        let candidates: Vec<(PathBuf, String, i64)> = match self {
            Store::Library(lib) => {
                let id = library_take(take)?;
                lib.derived_versions(id)?
                    .into_iter()
                    .filter(|d| {
                        d.kind == kind
                            && d.input_sha256 == inputs
                            && d.operations.get("op") == Some(op)
                    })
                    .map(|d| (PathBuf::from(d.output_path), d.output_sha256, d.version))
                    .collect()
            }
            Store::Folder { records, .. } => records
                .iter()
                .filter(|r| {
                    r.take == take.name
                        && r.kind == kind
                        && r.input_sha256 == inputs
                        && r.operations.get("op") == Some(op)
                })
                .map(|r| (r.output_path.clone(), r.output_sha256.clone(), r.version))
                .collect(),
        };
        Ok(candidates
            .into_iter()
            .rev()
            .find(|(p, h, _)| output_intact(p, h))
            .map(|(output_path, _, version)| Recorded {
                output_path,
                version,
            }))
    }

    /// Records a new version of `kind` for `take`: input hashes, `{"op": op, "farm": farm}` and the
    /// output (hashed now). Returns the version number.
    pub fn record(
        &mut self,
        take: &TakeRef,
        kind: &str,
        inputs: Vec<String>,
        op: &Value,
        farm: &FarmInfo,
        output: &Path,
    ) -> Result<i64> {
        let operations = serde_json::json!({ "op": op, "farm": farm });
        match self {
            Store::Library(lib) => {
                let d = lib.record_derived(
                    &NewDerived {
                        take_id: library_take(take)?,
                        kind: kind.into(),
                        input_sha256: inputs,
                        operations,
                        output_path: output.to_path_buf(),
                        author: "mocap farm".into(),
                    },
                    None,
                )?;
                Ok(d.version)
            }
            Store::Folder { path, records } => {
                let (sha, _) = take_library::util::hash_file(output)?;
                let version = records
                    .iter()
                    .filter(|r| r.take == take.name && r.kind == kind)
                    .map(|r| r.version)
                    .max()
                    .unwrap_or(0)
                    + 1;
                records.push(FolderRecord {
                    take: take.name.clone(),
                    kind: kind.into(),
                    version,
                    input_sha256: inputs,
                    operations,
                    output_path: output.to_path_buf(),
                    output_sha256: sha,
                    created_utc_ms: take_library::util::now_utc_ms(),
                });
                let text = serde_json::to_string_pretty(records)
                    .map_err(|e| FarmError::Invalid(format!("cannot serialise records: {e}")))?;
                write_atomic(path, text.as_bytes())?;
                Ok(version)
            }
        }
    }
}

fn library_take(take: &TakeRef) -> Result<i64> {
    take.take_id.ok_or_else(|| {
        FarmError::Invalid(format!(
            "take `{}` has no library id: plan it with --db LIBRARY",
            take.name
        ))
    })
}
