//! Helpers shared by the `mocap` CLI tests.

// Each test binary uses a subset.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `$MOCAP_TEST_DATA/rel`: `None` with a notice when the variable is unset; a missing file
/// fails the test.
pub fn data(rel: &str) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os("MOCAP_TEST_DATA") else {
        eprintln!("skipping: MOCAP_TEST_DATA unset");
        return None;
    };
    let p = PathBuf::from(dir).join(rel);
    assert!(p.is_file(), "missing test file {}", p.display());
    Some(p)
}

/// The `node_modules` directory holding the npm `package` (from `env_var`, else the folder
/// `.ci/run` installs into, `$HOME/.cache/mocap-studio/npm/node_modules`), if it is there.
pub fn npm_modules(env_var: &str, package: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os(env_var) {
        Some(d) => PathBuf::from(d),
        None => {
            PathBuf::from(std::env::var_os("HOME")?).join(".cache/mocap-studio/npm/node_modules")
        }
    };
    dir.join(package)
        .join("package.json")
        .is_file()
        .then_some(dir)
}

/// Runs `node script args…` with `NODE_PATH=modules`; its stdout as JSON. A failing script
/// fails the test with its stderr.
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
