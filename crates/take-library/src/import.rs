//! Importing capture folders: scan, group files into takes by name, hash, register.
//!
//! Idempotent: a second run over the same folder adds nothing. A known file found at a new path
//! (same hash, old path gone) is recorded as moved; a known path with new content as changed. Both
//! are ledger events, so approvals made before a change stay tied to the old content.

use crate::db::p;
use crate::error::{LibraryError, Result};
use crate::library::{self, Library, NewFile, NewTake};
use crate::model::{FileKind, TakeTiming};
use crate::naming::NamingPattern;
use crate::util::{format_utc_date, hash_file, now_utc_ms};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How far an import is (read from another thread while it runs).
#[derive(Debug, Default)]
pub struct ImportProgress {
    /// Files found under the folder.
    pub files_total: AtomicUsize,
    /// Files looked at (hashed, or skipped) so far.
    pub files_done: AtomicUsize,
}

/// Result of reading a file's duration and rate.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeOutcome {
    /// Read.
    Timing(TakeTiming),
    /// No reader for this kind of file (duration stays unknown).
    Unsupported,
    /// The reader failed; the text says why.
    Failed(String),
}

/// Reads duration and rate from capture files (the CLI plugs the C3D/BVH readers in here).
pub trait MediaProbe {
    /// Duration and rate of the file at `path`.
    fn probe(&self, kind: FileKind, path: &Path) -> ProbeOutcome;
}

/// A probe that reads nothing (duration stays unknown).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProbe;

impl MediaProbe for NoProbe {
    fn probe(&self, _: FileKind, _: &Path) -> ProbeOutcome {
        ProbeOutcome::Unsupported
    }
}

/// Reads duration and rate with the `mocap-formats` C3D and BVH readers (what `mocap takes
/// import` and the studio use).
#[derive(Debug, Clone, Copy, Default)]
pub struct FormatsProbe;

impl MediaProbe for FormatsProbe {
    fn probe(&self, kind: FileKind, path: &Path) -> ProbeOutcome {
        let timing = |frames: usize, rate| {
            ProbeOutcome::Timing(crate::model::TakeTiming {
                duration_frames: frames as u64,
                rate,
            })
        };
        match kind {
            FileKind::C3d => match mocap_formats::c3d::read_path(path) {
                Ok(f) => timing(f.points.frame_count(), f.points.rate),
                Err(e) => ProbeOutcome::Failed(e.to_string()),
            },
            FileKind::Bvh => match mocap_formats::bvh::read_path(path) {
                Ok(f) => timing(f.motion.frame_count(), f.motion.rate),
                Err(e) => ProbeOutcome::Failed(e.to_string()),
            },
            _ => ProbeOutcome::Unsupported,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Takes created (names).
    pub takes_added: Vec<String>,
    /// Files attached (paths), including those of new takes.
    pub files_added: Vec<String>,
    /// Files already known at the same path with the same content.
    pub files_unchanged: u64,
    /// Known files found at a new path: (old path, new path).
    pub files_moved: Vec<(String, String)>,
    /// Known paths whose content changed: (path, old sha256, new sha256).
    pub files_changed: Vec<(String, String, String)>,
    /// Files not imported and why (unrecognised name, unknown extension, unreadable).
    pub skipped: Vec<(String, String)>,
    /// Capture files whose duration/rate could not be read and why.
    pub timing_unread: Vec<(String, String)>,
    /// Known files under the folder that are no longer on disk (and were not found moved).
    pub files_missing: Vec<String>,
}

struct Scanned {
    path: String,
    kind: FileKind,
    sha256: String,
    size: u64,
    mtime_utc_ms: Option<i64>,
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, skipped: &mut Vec<(String, String)>) -> Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| LibraryError::io("read folder", dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') {
            continue;
        }
        if p.to_str().is_none() {
            skipped.push((
                p.to_string_lossy().into_owned(),
                "the path is not valid UTF-8; rename it".into(),
            ));
            continue;
        }
        // Symlinked folders are not followed (they could loop); symlinked files are.
        let is_link_dir =
            std::fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) && p.is_dir();
        if is_link_dir {
            skipped.push((
                p.to_string_lossy().into_owned(),
                "symbolic link to a folder (not followed)".into(),
            ));
            continue;
        }
        match std::fs::metadata(&p) {
            Ok(m) if m.is_dir() => {
                // A folder we cannot read is reported, not fatal.
                if let Err(e) = walk(&p, out, skipped) {
                    skipped.push((p.to_string_lossy().into_owned(), e.to_string()));
                }
            }
            Ok(m) if m.is_file() => out.push(p),
            Ok(_) => {}
            Err(e) => skipped.push((
                p.to_string_lossy().into_owned(),
                format!("cannot stat: {e}"),
            )),
        }
    }
    Ok(())
}

/// Finds a `YYYY-MM-DD` (or `YYYYMMDD`) date in a folder name.
fn date_in(name: &str) -> Option<String> {
    let b = name.as_bytes();
    for i in 0..b.len() {
        for (len, dashed) in [(10usize, true), (8, false)] {
            let Some(s) = name.get(i..i + len) else {
                continue;
            };
            let candidate = if dashed {
                s.to_string()
            } else {
                if !s.bytes().all(|c| c.is_ascii_digit()) {
                    continue;
                }
                format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])
            };
            let before_ok = i == 0 || !b[i - 1].is_ascii_digit();
            let after_ok = b.get(i + len).is_none_or(|c| !c.is_ascii_digit());
            if before_ok
                && after_ok
                && crate::util::parse_utc_date(&candidate).is_some()
                && candidate.len() == 10
            {
                return Some(candidate);
            }
        }
    }
    None
}

impl Library {
    /// [`Library::import_folder`] reporting its progress in `progress` (files found, files
    /// hashed and grouped), for a caller on another thread (the studio's Takes panel).
    pub fn import_folder_with_progress(
        &mut self,
        folder: &Path,
        pattern: &NamingPattern,
        probe: &dyn MediaProbe,
        author: &str,
        progress: &ImportProgress,
    ) -> Result<ImportReport> {
        self.import_folder_inner(folder, pattern, probe, author, Some(progress))
    }

    /// Imports every take file under `folder` (recursively; hidden entries skipped).
    ///
    /// Files are hashed before any transaction; each take's changes are committed in one
    /// transaction, so an interrupted import leaves complete takes and can simply be re-run.
    pub fn import_folder(
        &mut self,
        folder: &Path,
        pattern: &NamingPattern,
        probe: &dyn MediaProbe,
        author: &str,
    ) -> Result<ImportReport> {
        self.import_folder_inner(folder, pattern, probe, author, None)
    }

    fn import_folder_inner(
        &mut self,
        folder: &Path,
        pattern: &NamingPattern,
        probe: &dyn MediaProbe,
        author: &str,
        progress: Option<&ImportProgress>,
    ) -> Result<ImportReport> {
        let folder =
            std::path::absolute(folder).map_err(|e| LibraryError::io("resolve", folder, e))?;
        if !folder.is_dir() {
            return Err(LibraryError::io(
                "import",
                &folder,
                std::io::Error::new(std::io::ErrorKind::NotFound, "not a folder"),
            ));
        }
        let mut report = ImportReport::default();
        let mut paths = Vec::new();
        walk(&folder, &mut paths, &mut report.skipped)?;
        if let Some(p) = progress {
            p.files_total.store(paths.len(), Ordering::Relaxed);
        }

        // Group recognised files by take; hash them (streaming).
        let mut groups: BTreeMap<String, (crate::naming::TakeKey, Vec<Scanned>)> = BTreeMap::new();
        for p in paths {
            if let Some(pr) = progress {
                pr.files_done.fetch_add(1, Ordering::Relaxed);
            }
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("")
                .to_string();
            let path_text = p.to_string_lossy().into_owned();
            let Some(kind) = p
                .extension()
                .and_then(|e| e.to_str())
                .and_then(FileKind::from_extension)
            else {
                report
                    .skipped
                    .push((path_text, "not a take file type".into()));
                continue;
            };
            let Some(key) = pattern.classify(&name) else {
                report
                    .skipped
                    .push((path_text, "name matches no take naming pattern".into()));
                continue;
            };
            let (sha256, size) = match hash_file(&p) {
                Ok(h) => h,
                Err(e) => {
                    report.skipped.push((path_text, e.to_string()));
                    continue;
                }
            };
            let mtime_utc_ms = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_millis()).ok());
            groups
                .entry(key.name.clone())
                .or_insert_with(|| (key, Vec::new()))
                .1
                .push(Scanned {
                    path: path_text,
                    kind,
                    sha256,
                    size,
                    mtime_utc_ms,
                });
        }

        for (_, (key, files)) in groups {
            self.import_group(&key, files, probe, author, &mut report)?;
        }

        // Known files under this folder that vanished (and were not seen moved).
        let prefix = format!("{}{}", folder.to_string_lossy(), std::path::MAIN_SEPARATOR);
        let mut known: Vec<String> = self.read(|c| {
            c.query_map(
                "SELECT path FROM take_file WHERE substr(path, 1, length(?1)) = ?1",
                p![prefix],
                |r| r.get(0),
            )
        })?;
        known.sort();
        report.files_missing = known
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        Ok(report)
    }

    fn import_group(
        &mut self,
        key: &crate::naming::TakeKey,
        files: Vec<Scanned>,
        probe: &dyn MediaProbe,
        author: &str,
        report: &mut ImportReport,
    ) -> Result<()> {
        // Timing from the first capture file that can be read (outside the transaction); the C3D
        // (the capture itself) wins over a BVH (a solve, possibly resampled).
        // Takes whose duration is already known are not read again.
        let mut timing: Option<TakeTiming> = None;
        let known_duration: Option<Option<i64>> = self.read(|c| {
            c.query_opt(
                "SELECT duration_frames FROM take WHERE name = ?1",
                p![key.name],
                |r| r.get(0),
            )
        })?;
        let capture_files = files
            .iter()
            .filter(|f| f.kind == FileKind::C3d)
            .chain(files.iter().filter(|f| f.kind == FileKind::Bvh))
            .filter(|_| !matches!(known_duration, Some(Some(_))));
        for f in capture_files {
            match probe.probe(f.kind, Path::new(&f.path)) {
                ProbeOutcome::Timing(t) => {
                    timing = Some(t);
                    break;
                }
                ProbeOutcome::Unsupported => report.timing_unread.push((
                    f.path.clone(),
                    "no reader available for this format yet".into(),
                )),
                ProbeOutcome::Failed(why) => report.timing_unread.push((f.path.clone(), why)),
            }
        }
        self.write(|c| {
            let now = now_utc_ms();
            let take_id: Option<i64> = c.opt("SELECT id FROM take WHERE name = ?1", p![key.name])?;
            let mut new_files = Vec::new();
            for f in files {
                let known: Option<(i64, i64, String)> = c.query_opt(
                    "SELECT id, take_id, sha256 FROM take_file WHERE path = ?1",
                    p![f.path],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                match known {
                    Some((_, _, sha)) if sha == f.sha256 => report.files_unchanged += 1,
                    Some((file_id, file_take, old)) => {
                        c.execute(
                            "UPDATE take_file SET sha256 = ?1, size_bytes = ?2 WHERE id = ?3",
                            p![f.sha256, i64::try_from(f.size).unwrap_or(i64::MAX), file_id],
                        )?;
                        let body = json!({"type": "file_changed", "path": f.path, "old_sha256": old, "new_sha256": f.sha256});
                        crate::ledger::append(c, Some(file_take), author, &body, None)?;
                        report.files_changed.push((f.path.clone(), old, f.sha256.clone()));
                    }
                    None => {
                        // Same content known at a path that no longer exists: a move.
                        let candidates: Vec<(i64, i64, String)> = c.query_map(
                            "SELECT id, take_id, path FROM take_file WHERE sha256 = ?1 ORDER BY id",
                            p![f.sha256],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )?;
                        if let Some((file_id, file_take, old_path)) =
                            candidates.into_iter().find(|(_, _, p)| !Path::new(p).exists())
                        {
                            c.execute("UPDATE take_file SET path = ?1 WHERE id = ?2", p![f.path, file_id])?;
                            let body = json!({"type": "file_moved", "old_path": old_path, "new_path": f.path, "sha256": f.sha256});
                            crate::ledger::append(c, Some(file_take), author, &body, None)?;
                            report.files_moved.push((old_path, f.path.clone()));
                        } else {
                            new_files.push(f);
                        }
                    }
                }
            }
            if new_files.is_empty() {
                return Ok(());
            }
            let as_new = |f: &Scanned| NewFile {
                kind: f.kind,
                path: f.path.clone(),
                sha256: f.sha256.clone(),
                size_bytes: f.size,
            };
            match take_id {
                Some(id) => {
                    for f in &new_files {
                        library::insert_file(c, id, &as_new(f), now)?;
                        let body = json!({"type": "file_added", "path": f.path, "kind": f.kind.as_str(), "sha256": f.sha256});
                        crate::ledger::append(c, Some(id), author, &body, None)?;
                        report.files_added.push(f.path.clone());
                    }
                    if let Some(t) = timing {
                        c.execute(
                            "UPDATE take SET duration_frames = ?1, rate_num = ?2, rate_den = ?3 WHERE id = ?4 AND duration_frames IS NULL",
                            p![i64::try_from(t.duration_frames).unwrap_or(i64::MAX), t.rate.num(), t.rate.den(), id],
                        )?;
                    }
                }
                None => {
                    let first = Path::new(&new_files[0].path);
                    let session_dir = first.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).unwrap_or("");
                    let captured = new_files.iter().filter_map(|f| f.mtime_utc_ms).min();
                    let date = first
                        .ancestors()
                        .filter_map(|a| a.file_name().and_then(|n| n.to_str()))
                        .find_map(date_in)
                        .or_else(|| captured.map(format_utc_date));
                    let take = NewTake {
                        name: key.name.clone(),
                        scene: key.scene.clone(),
                        number: Some(key.number),
                        session: (!session_dir.is_empty()).then(|| (session_dir.to_string(), date)),
                        timing,
                        captured_utc_ms: captured,
                        description: String::new(),
                        actors: Vec::new(),
                        tags: Vec::new(),
                        marker_set: None,
                        character: None,
                        start_timecode: None,
                        files: new_files.iter().map(as_new).collect(),
                    };
                    library::insert_take(c, &take, author)?;
                    report.takes_added.push(key.name.clone());
                    report.files_added.extend(new_files.iter().map(|f| f.path.clone()));
                }
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::date_in;

    #[test]
    fn dates_in_folder_names() {
        assert_eq!(date_in("2026-11-24_stage_a").as_deref(), Some("2026-11-24"));
        assert_eq!(date_in("day_20261124").as_deref(), Some("2026-11-24"));
        assert_eq!(date_in("take_123456789"), None);
        assert_eq!(date_in("2026-13-01"), None);
    }
}
