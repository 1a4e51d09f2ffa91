//! Which takes a plan covers: from the take library (a search, or the ids selected in the studio's
//! Takes browser) or from a folder of `.c3d` files. Shared by `mocap farm plan` and the studio.

use crate::error::{FarmError, Result};
use crate::plan::TakeInput;
use std::path::{Path, PathBuf};
use take_library::{FileKind, Library, TakeQuery};

/// Takes of the library matching `query` (every match: the query's limit is lifted), each with
/// its first `.c3d` file; takes without one are left out and named in the second list.
pub fn from_query(lib: &mut Library, query: &TakeQuery) -> Result<(Vec<TakeInput>, Vec<String>)> {
    let mut q = query.clone();
    q.limit = usize::MAX / 2;
    q.offset = 0;
    let ids: Vec<i64> = lib.search(&q)?.takes.iter().map(|t| t.id).collect();
    from_ids(lib, &ids)
}

/// The library takes with these ids (in this order), each with its first `.c3d` file; takes
/// without one are left out and named in the second list.
pub fn from_ids(lib: &mut Library, ids: &[i64]) -> Result<(Vec<TakeInput>, Vec<String>)> {
    let mut out = Vec::new();
    let mut without = Vec::new();
    for &id in ids {
        let d = lib.take(id)?;
        match d.files.iter().find(|f| f.kind == FileKind::C3d) {
            Some(f) => out.push(TakeInput {
                name: d.summary.name.clone(),
                take_id: Some(id),
                path: PathBuf::from(&f.path),
                frames: d.summary.duration_frames,
            }),
            None => without.push(d.summary.name.clone()),
        }
    }
    Ok((out, without))
}

/// The `.c3d` files of `dir` (not recursive), sorted by name, named by their stem. With
/// `need_frames` each file is read for its length (to decide chunking).
pub fn from_folder(dir: &Path, need_frames: bool) -> Result<Vec<TakeInput>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| FarmError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("c3d"))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let p = std::path::absolute(&p).map_err(|e| FarmError::io(&p, e))?;
            Ok(TakeInput {
                name: p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("take")
                    .to_string(),
                take_id: None,
                frames: if need_frames {
                    mocap_formats::c3d::read_path(&p)
                        .ok()
                        .map(|f| f.points.frame_count() as u64)
                } else {
                    None
                },
                path: p,
            })
        })
        .collect()
}

/// `mocap VERSION sha256:…` of the executable `exe`: a rebuilt tool makes recorded results stale.
pub fn tool_version(exe: &Path, version: &str) -> Result<String> {
    let (h, _) = take_library::util::hash_file(exe)?;
    Ok(format!("mocap {version} sha256:{}", &h[..16.min(h.len())]))
}
