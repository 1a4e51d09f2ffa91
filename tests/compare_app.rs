//! Compare takes, headless (`MinimalPlugins` + `CorePlugins`): `mocap-studio TAKE --compare
//! OTHER` loads the second take into `Comparison`, and its difference (per marker, or per joint
//! when both sides have a skeleton) follows the playhead and the time offset.
//!
//! Real-data tests read `MOCAP_TEST_DATA` (the shared data folder): unset → notice and return;
//! set and a file missing → failure.

mod common;

use std::path::{Path, PathBuf};

use clap::Parser;
use mocap_studio::cli::Args;
use mocap_studio::model::commands::PlaybackCommand;
use mocap_studio::model::compare::{CompareCommand, CompareItems, CompareLayout, Comparison};
use mocap_studio::model::session::SessionCommand;

use common::{app, data_dir, errors, send};

fn file(dir: &Path, rel: &str) -> PathBuf {
    let p = dir.join(rel);
    assert!(p.exists(), "missing {}", p.display());
    p
}

const T39: &str = "c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d";
const A39: &str = "c3d_plus_skeleton/cmu_subject39_walk/39_01.amc";
const T02: &str = "c3d_plus_skeleton/cmu_02_01_walk/02_01.c3d";

/// An app started as `mocap-studio ARGS…` would be: the files opened, the comparison asked for.
fn started(args: &[&str]) -> bevy::app::App {
    let args = Args::try_parse_from(std::iter::once("mocap-studio").chain(args.iter().copied()))
        .expect("arguments parse");
    let mut app = app();
    send(&mut app, SessionCommand::Open(args.files.clone()));
    send(&mut app, args.compare_command().expect("--compare given"));
    for c in args.compare_view_commands() {
        send(&mut app, c);
    }
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    app.update();
    app
}

fn comparison(app: &bevy::app::App) -> &Comparison {
    app.world().resource::<Comparison>()
}

#[test]
fn a_take_compared_with_itself_differs_by_nothing_until_offset() {
    let Some(dir) = data_dir() else { return };
    let t = file(&dir, T39);
    let t = t.to_str().expect("utf-8 path");
    let mut app = started(&[t, "--compare", t]);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let c = comparison(&app);
    assert_eq!(c.take.as_ref().expect("loaded").name, "39_01");
    let d = c.difference.as_ref().expect("difference measured");
    assert_eq!(d.items, CompareItems::Markers);
    assert_eq!(d.series.pairs.len(), 330);
    assert_eq!(d.totals, (330, 330));
    let o = d.series.overall().expect("frames compared");
    assert_eq!((o.mean_mm, o.max_mm, o.count), (0.0, 0.0, 378));
    assert!(d.at_frame.iter().flatten().all(|v| *v == 0.0));

    // One frame later in the comparison: the walk shows, at the playhead and over the take.
    send(&mut app, CompareCommand::SetOffset(1.0 / 120.0));
    send(&mut app, PlaybackCommand::Seek(200));
    app.update();
    app.update();
    let d = comparison(&app).difference.as_ref().expect("difference");
    assert_eq!(d.frame, 200);
    let now = mocap_solver::compare::summarize(&d.at_frame).expect("measured at 200");
    assert!(now.mean_mm > 3.0 && now.mean_mm < 40.0, "{now:?}");
    let o = d.series.overall().expect("frames compared");
    assert_eq!(o.count, 377);
    assert!(o.mean_mm > 3.0, "{o:?}");

    // View settings change no difference.
    send(
        &mut app,
        CompareCommand::SetLayout(CompareLayout::SideBySide),
    );
    send(&mut app, CompareCommand::SetSpacing(2.0));
    app.update();
    let c = comparison(&app);
    assert_eq!((c.layout, c.spacing_m), (CompareLayout::SideBySide, 2.0));
    send(&mut app, CompareCommand::Close);
    app.update();
    assert!(comparison(&app).take.is_none() && comparison(&app).difference.is_none());
}

#[test]
fn compare_layout_and_offset_flags_take_effect_at_start() {
    let Some(dir) = data_dir() else { return };
    let t = file(&dir, T39);
    let t = t.to_str().expect("utf-8 path");
    let app = started(&[
        t,
        "--compare",
        t,
        "--compare-layout",
        "side-by-side",
        "--compare-offset",
        "0.5",
    ]);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let c = comparison(&app);
    assert_eq!((c.layout, c.offset_s), (CompareLayout::SideBySide, 0.5));
    // Half a second (60 frames) later in the comparison: the take no longer matches itself,
    // and only the frames the offset leaves in range are compared.
    let o = c
        .difference
        .as_ref()
        .expect("difference")
        .series
        .overall()
        .expect("frames compared");
    assert_eq!(o.count, 378 - 60);
    assert!(o.mean_mm > 10.0, "{o:?}");
}

#[test]
fn two_subjects_differ_marker_by_marker() {
    let Some(dir) = data_dir() else { return };
    let (a, b) = (file(&dir, T39), file(&dir, T02));
    let app = started(&[
        a.to_str().expect("utf-8"),
        "--compare",
        b.to_str().expect("utf-8"),
    ]);
    let d = comparison(&app).difference.as_ref().expect("difference");
    assert_eq!(d.items, CompareItems::Markers);
    assert!(d.series.pairs.len() >= 35, "{}", d.series.pairs.len());
    // Paired by label without the subject prefix (SteveWalk: vs TakeoMonday:).
    assert!(
        d.labels.iter().any(|l| l == "SteveWalk:LFHD"),
        "{:?}",
        d.labels
    );
    let o = d.series.overall().expect("frames compared");
    assert!(o.mean_mm > 100.0, "{o:?}");
    assert_eq!(o.count, 343);
}

#[test]
fn skeletons_compare_joint_by_joint() {
    let Some(dir) = data_dir() else { return };
    let (c3d, amc) = (file(&dir, T39), file(&dir, A39));
    // The take: markers and Vicon's own solve; the comparison: the same solve.
    let mut app = started(&[
        c3d.to_str().expect("utf-8"),
        amc.to_str().expect("utf-8"),
        "--compare",
        amc.to_str().expect("utf-8"),
    ]);
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let d = comparison(&app).difference.as_ref().expect("difference");
    assert_eq!(d.items, CompareItems::Joints);
    assert!(d.labels.iter().any(|l| l == "lfemur"), "{:?}", d.labels);
    assert_eq!(d.series.pairs.len(), d.totals.0);
    let o = d.series.overall().expect("frames compared");
    assert!(o.max_mm < 1e-3, "{o:?}");
    // A missing file is an error in the log and the panel, and keeps the comparison.
    send(
        &mut app,
        CompareCommand::Open(vec![PathBuf::from("/nonexistent/other.c3d")]),
    );
    app.update();
    assert!(errors(&app).iter().any(|e| e.contains("no such file")));
    let c = comparison(&app);
    assert!(c.take.is_some());
    assert!(
        c.message
            .as_deref()
            .is_some_and(|m| m.contains("no such file"))
    );
}

/// Two takes of one scene in the Takes browser: open one, "Compare with the open take" on the
/// other (`LibraryCommand::CompareTake`) loads its files as the comparison.
#[test]
fn two_takes_of_a_scene_compare_from_the_takes_browser() {
    use mocap_studio::model::library::{LibraryCommand, TakeBrowser};
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp.path().join("capture");
    std::fs::create_dir_all(&folder).expect("mkdir");
    let mut app = app();
    // Two takes of scene 001: the demo performance written twice as BVH.
    send(&mut app, SessionCommand::LoadDemo);
    app.update();
    for name in ["Scene_001_Take_001", "Scene_001_Take_002"] {
        send(
            &mut app,
            SessionCommand::ExportBvh(folder.join(format!("{name}.bvh"))),
        );
        app.update();
    }
    send(&mut app, SessionCommand::Close);
    send(&mut app, LibraryCommand::Open(tmp.path().join("takes.db")));
    app.update();
    send(&mut app, LibraryCommand::ImportFolder(folder.clone()));
    app.update();
    let started = std::time::Instant::now();
    while app.world().resource::<TakeBrowser>().importing.is_some() {
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.update();
    }
    app.update();
    let id = |app: &bevy::app::App, name: &str| {
        app.world()
            .resource::<TakeBrowser>()
            .rows
            .iter()
            .find(|r| r.summary.name == name)
            .expect("row")
            .summary
            .id
    };
    let (first, second) = (
        id(&app, "Scene_001_Take_001"),
        id(&app, "Scene_001_Take_002"),
    );
    send(&mut app, LibraryCommand::OpenTake(first));
    app.update();
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    app.update();
    send(&mut app, LibraryCommand::CompareTake(second));
    app.update();
    app.update();
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let c = comparison(&app);
    assert_eq!(c.take.as_ref().expect("loaded").name, "Scene_001_Take_002");
    let d = c.difference.as_ref().expect("difference");
    // Both are skeletons: joint by joint, the same performance, so no distance.
    assert_eq!(d.items, CompareItems::Joints);
    assert!(d.labels.iter().any(|l| l == "RightHand"), "{:?}", d.labels);
    assert_eq!(d.series.pairs.len(), d.totals.0);
    let o = d.series.overall().expect("frames compared");
    assert_eq!(o.count, 1200);
    assert!(o.max_mm < 0.01, "{o:?}");
}
