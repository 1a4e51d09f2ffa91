//! Helpers shared by the `mocap` CLI tests.

// Each test binary uses a subset.
#![allow(dead_code)]

use std::path::Path;
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
