//! Helpers shared by the headless app tests.

// Each test binary uses a subset.
#![allow(dead_code)]

use bevy::prelude::*;
use std::path::{Path, PathBuf};

/// `$MOCAP_TEST_DATA`, or `None` after recording a skip when it is unset (a failure under CI).
#[allow(unused_imports)] // each test binary uses a subset
pub use mocap_testkit::data_dir;

/// `dir/rel`, which must exist: with `MOCAP_TEST_DATA` set, every corpus file must be there.
pub fn data_file(dir: &Path, rel: &str) -> PathBuf {
    let p = dir.join(rel);
    assert!(p.exists(), "missing test file {}", p.display());
    p
}
use mocap_studio::core_plugins;
use mocap_studio::model::log::AppLog;
use mocap_studio::model::log::LogLevel;

/// A headless app with the render-free plugins.
pub fn app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins(core_plugins());
    app
}

/// Queues a message for the next update.
pub fn send<M: Message>(app: &mut App, m: M) {
    app.world_mut().write_message(m);
}

/// Error lines of the app log.
pub fn errors(app: &App) -> Vec<String> {
    app.world()
        .resource::<AppLog>()
        .entries
        .iter()
        .filter(|e| e.level == LogLevel::Error)
        .map(|e| e.text.clone())
        .collect()
}
