//! Headless tests of the Takes and Review panels' data path (`MinimalPlugins` + `CorePlugins`):
//! open a take library, import a capture folder, open a take from it, change its status and add
//! notes through undoable edits, see the notes lane, and check the ledger afterwards with a
//! second connection (as the `mocap takes` CLI would, at the same time).

use std::path::Path;

mod common;

use bevy::prelude::*;
use common::{app, errors, send};
use mocap_studio::history::UndoStack;
use mocap_studio::model::commands::UiCommand;
use mocap_studio::model::edit::EditCommand;
use mocap_studio::model::edit::HistoryCommand;
use mocap_studio::model::lanes::TimelineLanes;
use mocap_studio::model::library::LibraryCommand;
use mocap_studio::model::library::SortColumn;
use mocap_studio::model::library::TakeBrowser;
use mocap_studio::model::library::TakeFilter;
use mocap_studio::model::session::Session;
use mocap_studio::model::session::SessionCommand;
use mocap_studio::takes::{NOTES_LANE, notes_lane, sort_rows};
use mocap_studio::ui::review_shortcut;
use take_library::{Command, Library, NewNote, OpenMode, TakeStatus};

fn browser(app: &App) -> &TakeBrowser {
    app.world().resource::<TakeBrowser>()
}

/// A capture folder with three takes of two scenes, written as BVH from the demo performance.
fn capture_folder(app: &mut App, dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    send(app, SessionCommand::LoadDemo);
    app.update();
    for name in [
        "Scene_001_Take_001",
        "Scene_001_Take_002",
        "Scene_002_Take_001",
    ] {
        send(
            app,
            SessionCommand::ExportBvh(dir.join(format!("{name}.bvh"))),
        );
        app.update();
    }
    send(app, SessionCommand::Close);
    app.update();
    assert!(errors(app).is_empty(), "{:?}", errors(app));
}

#[test]
fn library_browse_open_review_and_undo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let folder = tmp.path().join("capture");
    let db = tmp.path().join("takes.db");
    let mut app = app();
    capture_folder(&mut app, &folder);

    send(&mut app, LibraryCommand::Open(db.clone()));
    app.update();
    send(&mut app, LibraryCommand::ImportFolder(folder.clone()));
    app.update();
    // The import runs on a worker thread: the app keeps updating meanwhile.
    let started = std::time::Instant::now();
    while browser(&app).importing.is_some() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "import finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.update();
    }
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let b = browser(&app);
    assert_eq!(b.rows.len(), 3);
    assert_eq!(b.scenes, ["001", "002"]);
    // Durations come from the BVH reader (the demo is 1200 frames at 120 Hz).
    assert!(
        b.rows
            .iter()
            .all(|r| r.summary.duration_frames == Some(1200))
    );

    // Filter by scene; sort by name descending.
    send(
        &mut app,
        LibraryCommand::SetFilter(TakeFilter {
            scene: Some("001".into()),
            ..Default::default()
        }),
    );
    app.update();
    assert_eq!(browser(&app).rows.len(), 2);
    send(&mut app, LibraryCommand::SortBy(SortColumn::Name));
    app.update();
    let names: Vec<&str> = browser(&app)
        .rows
        .iter()
        .map(|r| r.summary.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Scene_001_Take_002", "Scene_001_Take_001"],
        "second click on the sorted column reverses"
    );
    send(&mut app, LibraryCommand::SetFilter(TakeFilter::default()));
    app.update();

    // Double-click: the take's files open in the session and the Review panel follows it.
    let id = browser(&app)
        .rows
        .iter()
        .find(|r| r.summary.name == "Scene_001_Take_002")
        .expect("row")
        .summary
        .id;
    send(&mut app, LibraryCommand::OpenTake(id));
    app.update();
    // The files are read on a worker thread.
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    app.update();
    let take = app
        .world()
        .resource::<Session>()
        .take
        .as_ref()
        .expect("take");
    assert_eq!(take.frame_count, 1200);
    let active = browser(&app).active.as_ref().expect("reviewed take");
    assert_eq!(active.summary.id, id);
    assert_eq!(browser(&app).target(), Some(id));

    // A approves (the hotkey's command), undo takes it back, redo re-applies.
    let Some(UiCommand::Edit(approve)) =
        review_shortcut(KeyCode::KeyA, Some((id, TakeStatus::None)), "director")
    else {
        panic!("A approves");
    };
    send(&mut app, approve);
    app.update();
    let status = |app: &App| browser(app).active.as_ref().expect("active").summary.status;
    assert_eq!(status(&app), TakeStatus::Approved);
    assert_eq!(
        app.world().resource::<UndoStack>().undo_label().as_deref(),
        Some("Set status to approved")
    );
    send(&mut app, HistoryCommand::Undo);
    app.update();
    assert_eq!(status(&app), TakeStatus::None);
    send(&mut app, HistoryCommand::Redo);
    app.update();
    assert_eq!(status(&app), TakeStatus::Approved);
    // C on a circled take uncircles it; A on an approved take does nothing.
    assert!(review_shortcut(KeyCode::KeyA, Some((id, TakeStatus::Approved)), "d").is_none());
    assert!(matches!(
        review_shortcut(KeyCode::KeyC, Some((id, TakeStatus::Circled)), "d"),
        Some(UiCommand::Edit(EditCommand::Library(Command::SetStatus {
            status: TakeStatus::None,
            ..
        })))
    ));

    // A note over the I/O range shows on the timeline lane; undo removes it, redo restores the
    // same note.
    let note = |text: &str, reply_to: Option<i64>, range: Option<(u64, u64)>| {
        EditCommand::Library(Command::AddNote(NewNote {
            take_id: id,
            reply_to,
            frame_start: range.map(|r| r.0),
            frame_end: range.map(|r| r.1),
            author: "director".into(),
            text: text.into(),
        }))
    };
    send(&mut app, note("left foot slides", None, Some((240, 300))));
    app.update();
    let notes = &browser(&app).active.as_ref().expect("active").notes;
    assert_eq!(notes.len(), 1);
    let note_id = notes[0].id;
    let lane = app
        .world()
        .resource::<TimelineLanes>()
        .extra
        .get(NOTES_LANE)
        .cloned()
        .expect("notes lane");
    assert_eq!(lane.spans.len(), 1);
    assert_eq!((lane.spans[0].0, lane.spans[0].1), (240, 300));
    send(&mut app, note("agreed, will fix", Some(note_id), None));
    app.update();
    assert_eq!(
        browser(&app).active.as_ref().expect("active").notes.len(),
        2
    );
    send(&mut app, HistoryCommand::Undo); // the reply
    send(&mut app, HistoryCommand::Undo); // the note
    app.update();
    assert!(
        browser(&app)
            .active
            .as_ref()
            .expect("active")
            .notes
            .is_empty()
    );
    let lane = &app.world().resource::<TimelineLanes>().extra[NOTES_LANE];
    assert!(lane.spans.is_empty() && lane.ticks.is_empty());
    send(&mut app, HistoryCommand::Redo);
    app.update();
    let notes = &browser(&app).active.as_ref().expect("active").notes;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].id, note_id, "redo restores the same note");

    // Resolve it (undoable too).
    send(
        &mut app,
        EditCommand::Library(Command::SetNoteResolved {
            note_id,
            resolved: true,
            author: "animator".into(),
        }),
    );
    app.update();
    assert!(browser(&app).active.as_ref().expect("active").notes[0].resolved);
    assert_eq!(
        notes_lane(browser(&app).active.as_ref().expect("active")).spans[0].2,
        [140, 140, 140]
    );

    // Library edits survive opening another take (they are not edits of the loaded take).
    let other = browser(&app)
        .rows
        .iter()
        .find(|r| r.summary.name == "Scene_002_Take_001")
        .expect("row")
        .summary
        .id;
    send(&mut app, LibraryCommand::OpenTake(other));
    app.update();
    assert!(mocap_studio::session::wait_until_opened(&mut app, 20_000));
    app.update();
    assert_eq!(
        browser(&app).active.as_ref().expect("active").summary.id,
        other
    );
    send(&mut app, HistoryCommand::Undo); // un-resolve the note of the first take
    app.update();

    // A second connection (the CLI, say) sees everything, and the ledger is intact.
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let t = lib.take(id).expect("take");
    assert_eq!(t.summary.status, TakeStatus::Approved);
    assert_eq!(t.notes.len(), 1);
    assert!(!t.notes[0].resolved);
    assert!(lib.verify(true).expect("verify").is_intact());
    // A note written by the other connection shows up after the periodic refresh.
    lib.add_note(
        &NewNote {
            take_id: other,
            reply_to: None,
            frame_start: Some(10),
            frame_end: None,
            author: "cli".into(),
            text: "from the command line".into(),
        },
        None,
    )
    .expect("cli note");
    app.world_mut().resource_mut::<TakeBrowser>().mark_dirty();
    app.update();
    assert_eq!(
        browser(&app).active.as_ref().expect("active").notes.len(),
        1
    );
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));

    // The review report of one scene, written from the studio.
    let report = tmp.path().join("review-scene-001.html");
    send(
        &mut app,
        LibraryCommand::ExportReport {
            path: report.clone(),
            scene: Some("001".into()),
            session: None,
        },
    );
    app.update();
    assert!(errors(&app).is_empty(), "{:?}", errors(&app));
    let html = std::fs::read_to_string(&report).expect("report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Scene_001_Take_002") && html.contains("left foot slides"));
    assert!(!html.contains("Scene_002_Take_001"), "only scene 001");
    // A scene that does not exist is an error in the log, and no file is written.
    let none = tmp.path().join("none.html");
    send(
        &mut app,
        LibraryCommand::ExportReport {
            path: none.clone(),
            scene: Some("999".into()),
            session: None,
        },
    );
    app.update();
    assert!(errors(&app).iter().any(|e| e.contains("999")));
    assert!(!none.exists());
}

#[test]
fn foreign_or_corrupt_library_is_refused_untouched() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bad = tmp.path().join("not-a-library.db");
    let bytes = b"this is not SQLite at all, and must stay exactly like this".repeat(100);
    std::fs::write(&bad, &bytes).expect("write");
    let mut app = app();
    send(&mut app, LibraryCommand::Open(bad.clone()));
    app.update();
    let errs = errors(&app);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].contains("not-a-library.db"), "{}", errs[0]);
    assert!(browser(&app).path.is_none());
    assert_eq!(std::fs::read(&bad).expect("read"), bytes);
    // Edits without a library are errors in the log, not panics.
    send(
        &mut app,
        EditCommand::Library(Command::SetStatus {
            take_id: 1,
            status: TakeStatus::Approved,
            author: "x".into(),
            comment: None,
        }),
    );
    app.update();
    assert!(errors(&app).iter().any(|e| e.contains("no take library")));
}

#[test]
fn sorting_is_natural_and_stable() {
    use take_library::{TakeRow, TakeSummary};
    let row = |id, name: &str, status, notes| TakeRow {
        summary: TakeSummary {
            id,
            name: name.into(),
            scene: "001".into(),
            number: None,
            status,
            duration_frames: Some(id as u64 * 100),
            rate: Some(mocap_data::FrameRate::FPS_120),
            captured_utc_ms: None,
        },
        session: None,
        actors: Vec::new(),
        notes,
        open_notes: 0,
    };
    let mut rows = vec![
        row(1, "Take_10", TakeStatus::Rejected, 0),
        row(2, "Take_2", TakeStatus::Approved, 5),
        row(3, "take_1", TakeStatus::None, 1),
    ];
    sort_rows(&mut rows, SortColumn::Name, true);
    let names: Vec<_> = rows.iter().map(|r| r.summary.name.as_str()).collect();
    assert_eq!(names, ["take_1", "Take_2", "Take_10"]);
    sort_rows(&mut rows, SortColumn::Status, true);
    assert_eq!(rows[0].summary.status, TakeStatus::Approved);
    assert_eq!(rows[2].summary.status, TakeStatus::Rejected);
    sort_rows(&mut rows, SortColumn::Notes, false);
    assert_eq!(rows[0].notes, 5);
    sort_rows(&mut rows, SortColumn::Duration, false);
    assert_eq!(rows[0].summary.id, 3);
}
