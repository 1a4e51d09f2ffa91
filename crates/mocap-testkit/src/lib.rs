//! Test support shared by every crate's integration tests (a dev-dependency only).
//!
//! One rule for everything a test needs from outside the repository:
//! - **Real data** ([`data`], [`data_dir`]): `MOCAP_TEST_DATA` names the shared corpus. Unset, the
//!   test prints a notice and skips (a fresh clone passes `cargo test`); set, a missing file fails.
//! - **Peers** ([`python_module`], [`npm_package`], [`tool`]): the tools that judge our files
//!   (ezc3d, pysubs2, three.js, Blender, …). `.ci/run` installs the Python ones into one virtual
//!   environment named by `MOCAP_PYTHON` and the npm ones under `MOCAP_NPM_MODULES`. When a peer is
//!   missing, a local run skips with a notice, but under `CI=true` the test **fails**: in CI a
//!   missing peer is a broken install, never a pass.
//! - Every skip is appended to the file named by `MOCAP_SKIP_LOG` (when set), so `.ci/run`'s summary
//!   line counts them.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// True when running in CI (`CI` set to anything but `""`, `0` or `false`).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
        .unwrap_or(false)
}

/// Records a skip: a notice on stderr and a line in `MOCAP_SKIP_LOG`. Under CI a skip for a
/// missing peer is not allowed: this panics with `what` and how to install it.
///
/// `kind` is `"data"` for the corpus (skipping allowed everywhere, since a missing variable is a
/// local choice) or `"peer"` for a tool (fails under CI).
pub fn skip(kind: &str, what: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    if kind == "peer" && in_ci() {
        panic!(
            "{test}: {what}. CI=true, so a missing peer fails the test: run `bash .ci/run`, which installs \
             the peers (Python virtual environment, npm packages, Debian packages)"
        );
    }
    eprintln!("skipping {test}: {what}");
    if let Some(log) = std::env::var_os("MOCAP_SKIP_LOG")
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
    {
        let _ = writeln!(f, "{kind}\t{test}\t{what}");
    }
}

/// `$MOCAP_TEST_DATA`, or `None` after recording a skip when it is unset. Under CI an unset
/// variable fails: `.ci/run` always sets it.
pub fn data_dir() -> Option<PathBuf> {
    match std::env::var_os("MOCAP_TEST_DATA") {
        Some(d) => {
            let d = PathBuf::from(d);
            assert!(
                d.is_dir(),
                "MOCAP_TEST_DATA={} is not a folder: point it at the shared corpus (../shared/data)",
                d.display()
            );
            Some(d)
        }
        None => {
            if in_ci() {
                panic!(
                    "MOCAP_TEST_DATA is unset under CI=true: `.ci/run` sets it to ../shared/data"
                );
            }
            skip("data", "MOCAP_TEST_DATA unset");
            None
        }
    }
}

/// `$MOCAP_TEST_DATA/rel`: `None` (a recorded skip) when the variable is unset; a missing file
/// fails the test.
pub fn data(rel: &str) -> Option<PathBuf> {
    let p = data_dir()?.join(rel);
    assert!(
        p.exists(),
        "missing test file {} (MOCAP_TEST_DATA is set, so every corpus file must be there)",
        p.display()
    );
    Some(p)
}

/// The Python interpreter the peers live in: `MOCAP_PYTHON` (set by `.ci/run` to its virtual
/// environment), else `$HOME/.cache/mocap-studio/venv/bin/python` when that exists, else
/// `python3` from `PATH`.
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("MOCAP_PYTHON") {
        return PathBuf::from(p);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let venv = PathBuf::from(home).join(".cache/mocap-studio/venv/bin/python");
        if venv.is_file() {
            return venv;
        }
    }
    PathBuf::from("python3")
}

/// The interpreter of [`python`] when `import module` works in it; otherwise a recorded skip
/// (a failure under CI) and `None`. `module` may list several, comma-separated (`"numpy, scipy"`).
pub fn python_module(module: &str) -> Option<PathBuf> {
    let py = python();
    let ok = Command::new(&py)
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Some(py)
    } else {
        skip(
            "peer",
            &format!(
                "Python module `{module}` is not importable by {} (set MOCAP_PYTHON, or run `bash .ci/run` \
                 to build the virtual environment from .ci/requirements-interop.txt)",
                py.display()
            ),
        );
        None
    }
}

/// The `node_modules` folder holding npm `package`: `MOCAP_NPM_MODULES`, else
/// `$HOME/.cache/mocap-studio/npm/node_modules` (where `.ci/run` installs). `None` with a recorded
/// skip (a failure under CI) when the package or `node` is missing.
pub fn npm_package(package: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MOCAP_NPM_MODULES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/mocap-studio/npm/node_modules"))
        });
    let found = dir.filter(|d| d.join(package).join("package.json").is_file());
    match (found, tool("node")) {
        (Some(d), Some(_)) => Some(d),
        (None, _) => {
            skip(
                "peer",
                &format!(
                    "npm package `{package}` not found (set MOCAP_NPM_MODULES or run \
                     `npm install --prefix $HOME/.cache/mocap-studio/npm {package}`)"
                ),
            );
            None
        }
        (Some(_), None) => None,
    }
}

/// The full path of executable `name` on `PATH`; `None` with a recorded skip (a failure under
/// CI) when it is not there.
pub fn tool(name: &str) -> Option<PathBuf> {
    match which(name) {
        Some(p) => Some(p),
        None => {
            skip(
                "peer",
                &format!(
                    "`{name}` is not on PATH (install it; `.ci/install-deps` lists the Debian packages)"
                ),
            );
            None
        }
    }
}

/// `name` looked up on `PATH` without recording anything.
pub fn which(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let p = PathBuf::from(name);
        return p.is_file().then_some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs `python -c code args…` in the peers' interpreter and returns stdout; a non-zero exit fails
/// the test with the script's stderr.
pub fn run_python(py: &Path, code: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = Command::new(py)
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", py.display()));
    assert!(
        out.status.success(),
        "{} failed ({}): {}",
        py.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_finds_sh_and_not_nonsense() {
        assert!(which("sh").is_some());
        assert!(which("definitely-not-a-tool-mocap-9f3").is_none());
    }
}
