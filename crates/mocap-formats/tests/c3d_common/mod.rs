//! Helpers shared by the C3D integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A file under `$MOCAP_TEST_DATA/c3d`; panics (fails the test) if it is missing.
pub fn c3d_file(root: &Path, rel: &str) -> PathBuf {
    let p = root.join("c3d").join(rel);
    assert!(p.is_file(), "test data file missing: {}", p.display());
    p
}

/// Every `.c3d` file under `dir`, sorted.
pub fn walk_c3d(dir: &Path) -> Vec<PathBuf> {
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
            } else if p
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("c3d"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Asserts two reads of (supposedly) the same take are equal: labels, counts, rate, validity,
/// positions within `tol` (in the file unit), analog values within `atol` + relative 1e-5.
pub fn assert_same_take(
    a: &mocap_formats::c3d::C3dFile,
    b: &mocap_formats::c3d::C3dFile,
    tol: f32,
    atol: f32,
    what: &str,
) {
    assert_eq!(a.points.labels, b.points.labels, "{what}: labels");
    assert_eq!(
        a.points.frame_count(),
        b.points.frame_count(),
        "{what}: frames"
    );
    assert_eq!(a.points.rate, b.points.rate, "{what}: rate");
    assert_eq!(
        a.points.first_frame, b.points.first_frame,
        "{what}: first frame"
    );
    assert_eq!(a.points.unit, b.points.unit, "{what}: unit");
    assert_eq!(a.points.valid(), b.points.valid(), "{what}: validity");
    for (i, (p, q)) in a
        .points
        .positions()
        .iter()
        .zip(b.points.positions())
        .enumerate()
    {
        for k in 0..3 {
            assert!(
                (p[k] - q[k]).abs() <= tol,
                "{what}: sample {i} axis {k}: {} vs {}",
                p[k],
                q[k]
            );
        }
    }
    assert_eq!(a.analog.labels, b.analog.labels, "{what}: analog labels");
    assert_eq!(a.analog.rate_hz, b.analog.rate_hz, "{what}: analog rate");
    assert_eq!(
        a.analog.values.len(),
        b.analog.values.len(),
        "{what}: analog count"
    );
    for (i, (x, y)) in a.analog.values.iter().zip(&b.analog.values).enumerate() {
        assert!(
            (x - y).abs() <= atol + 1e-5 * x.abs().max(y.abs()),
            "{what}: analog value {i}: {x} vs {y}"
        );
    }
}
