//! Helpers shared by the `mocap` CLI tests.

// Each test binary uses a subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `node script args…` with `NODE_PATH=modules` (a folder from
/// [`mocap_testkit::npm_package`], which also checks that `node` is there); its stdout as JSON.
/// A failing script fails the test with its stderr.
pub fn node_json(modules: &Path, script: &Path, args: &[&Path]) -> serde_json::Value {
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .env("NODE_PATH", modules)
        .output()
        .expect("run node");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the node script")
}

/// Writes `n` synthetic takes `Walk_01.c3d`, … of `frames + i` frames (different files) into `dir`.
pub fn write_takes(dir: &Path, n: usize, frames: usize) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("takes dir");
    (0..n)
        .map(|i| {
            let (_, t) = mocap_solver::resolve::synthetic_take(frames + i).expect("synthetic take");
            let p = dir.join(format!("Walk_{:02}.c3d", i + 1));
            mocap_formats::c3d::write_path(&mocap_formats::c3d::C3dFile::from_trajectories(t), &p)
                .expect("write c3d");
            p
        })
        .collect()
}

/// Runs `cmd`, failing the test with its stderr and stdout unless it succeeds; its stdout.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run mocap");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
