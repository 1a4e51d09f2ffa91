//! Shared helpers for the corpus tests.

#![allow(dead_code)]

use std::path::PathBuf;

/// `$MOCAP_TEST_DATA/subtitles`, or None (a recorded skip, see `mocap_testkit::data`) when the
/// variable is unset; fails when it is set and the folder is missing.
pub fn data_root() -> Option<PathBuf> {
    mocap_testkit::data("subtitles")
}

/// Reads a corpus file; fails the test when it is missing.
pub fn bytes(root: &std::path::Path, rel: &str) -> Vec<u8> {
    let p = root.join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("corpus file {} missing: {e}", p.display()))
}

/// Every file under `dir`, sorted.
pub fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
