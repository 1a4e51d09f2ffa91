//! "Send to farm" from the Takes browser: the chosen take's pipeline steps run on this machine's
//! farm runner (the `mocap` binary built beside the tests), the app stays responsive meanwhile,
//! and the results come back as versions in the library.

mod common;

use bevy::prelude::*;
use common::{app, errors, send};
use mocap_studio::model::library::{LibraryCommand, TakeBrowser};
use mocap_studio::model::log::AppLog;
use std::time::{Duration, Instant};

#[test]
fn send_to_farm_records_versions_and_logs_the_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let capture = tmp.path().join("capture");
    std::fs::create_dir_all(&capture).expect("capture dir");
    for (i, name) in ["Walk_01", "Walk_02"].iter().enumerate() {
        let (_, t) = mocap_solver::resolve::synthetic_take(40 + i).expect("synthetic take");
        mocap_formats::c3d::write_path(
            &mocap_formats::c3d::C3dFile::from_trajectories(t),
            &capture.join(format!("{name}.c3d")),
        )
        .expect("write c3d");
    }
    let db = tmp.path().join("takes.db");
    let mut app = app();
    send(&mut app, LibraryCommand::Open(db.clone()));
    app.update();
    send(&mut app, LibraryCommand::ImportFolder(capture));
    let wait = |app: &mut App, busy: fn(&TakeBrowser) -> bool| {
        let started = Instant::now();
        app.update();
        while busy(app.world().resource::<TakeBrowser>()) {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "finished in time"
            );
            std::thread::sleep(Duration::from_millis(20));
            app.update();
        }
        app.update();
    };
    wait(&mut app, |b| b.importing.is_some());
    let id = app
        .world()
        .resource::<TakeBrowser>()
        .rows
        .iter()
        .find(|r| r.summary.name == "Walk_02")
        .expect("Walk_02 imported")
        .summary
        .id;
    send(
        &mut app,
        LibraryCommand::SendToFarm {
            ids: vec![id],
            steps: "clean".into(),
            engine: mocap_farm::Engine::Local,
        },
    );
    wait(&mut app, |b| b.farm.is_some());
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let log: Vec<String> = app
        .world()
        .resource::<AppLog>()
        .entries
        .iter()
        .map(|e| e.text.clone())
        .collect();
    assert!(
        log.iter().any(
            |l| l.contains("Farm (clean on 1 take(s), local): 1 job(s) run")
                && l.contains("1 new version(s), 0 failed")
        ),
        "{log:?}"
    );
    let mut lib = take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("lib");
    let kinds: Vec<String> = lib
        .derived_versions(id)
        .expect("versions")
        .into_iter()
        .map(|v| v.kind)
        .collect();
    assert_eq!(kinds, ["clean"]);
    let other = lib.resolve_take("Walk_01").expect("take");
    assert!(lib.derived_versions(other).expect("versions").is_empty());
    // The farm's files went beside the library.
    assert!(tmp.path().join("farm").is_dir());
}
