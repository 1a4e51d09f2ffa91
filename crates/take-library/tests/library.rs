//! Catalogue behaviour: import, search, review, undo, derived versions, evidence, open errors.

mod common;

use std::path::Path;
use take_library::evidence::{verify_manifest, write_manifest};
use take_library::import::{MediaProbe, NoProbe, ProbeOutcome};
use take_library::naming::NamingPattern;
use take_library::{
    Command, FileKind, Library, LibraryError, NewDerived, NewNote, OpenMode, TakeMetadata,
    TakeQuery, TakeStatus, TakeTiming, UserKey,
};

fn names(lib: &mut Library, q: &TakeQuery) -> Vec<String> {
    lib.search(q)
        .expect("search")
        .takes
        .into_iter()
        .map(|t| t.name)
        .collect()
}

#[test]
fn import_progress_counts_every_file_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = common::make_capture(dir.path(), 3);
    let mut lib = Library::open(
        &common::location(dir.path(), "lib.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let progress = take_library::import::ImportProgress::default();
    let r = lib
        .import_folder_with_progress(
            &capture,
            &NamingPattern::default(),
            &NoProbe,
            "me",
            &progress,
        )
        .expect("import");
    let total = progress
        .files_total
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(total, r.files_added.len() + r.skipped.len());
    assert_eq!(
        progress
            .files_done
            .load(std::sync::atomic::Ordering::Relaxed),
        total
    );
}

#[test]
fn import_groups_files_and_is_idempotent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = common::make_capture(dir.path(), 3);
    let mut lib = Library::open(
        &common::location(dir.path(), "lib.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let r = lib
        .import_folder(&capture, &NamingPattern::default(), &NoProbe, "me")
        .expect("import");
    assert_eq!(
        r.takes_added,
        [
            "Scene_001_Take_001",
            "Scene_001_Take_002",
            "Scene_001_Take_003"
        ]
    );
    assert_eq!(r.files_added.len(), 9);
    assert_eq!(
        r.skipped.len(),
        2,
        "README and calibration.c3d: {:?}",
        r.skipped
    );
    // C3D and BVH have no reader here: reported, duration left unknown.
    assert_eq!(r.timing_unread.len(), 6);
    let take = lib
        .take(lib.resolve_take("Scene_001_Take_002").expect("take"))
        .expect("detail");
    assert_eq!(take.summary.scene, "001");
    assert_eq!(take.summary.number, Some(2));
    assert_eq!(take.summary.duration_frames, None);
    assert_eq!(take.session.as_deref(), Some("2026-11-20_stage_a"));
    let kinds: Vec<FileKind> = take.files.iter().map(|f| f.kind).collect();
    assert!(
        kinds.contains(&FileKind::C3d)
            && kinds.contains(&FileKind::Bvh)
            && kinds.contains(&FileKind::Audio)
    );
    for f in &take.files {
        let bytes = std::fs::read(&f.path).expect("read");
        use sha2::Digest;
        let want: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f.sha256, want, "{}", f.path);
        assert_eq!(f.size_bytes, bytes.len() as u64);
    }
    let events = lib.events(None).expect("events").len();

    // Second run: nothing new.
    let again = lib
        .import_folder(&capture, &NamingPattern::default(), &NoProbe, "me")
        .expect("import");
    assert!(again.takes_added.is_empty() && again.files_added.is_empty());
    assert_eq!(again.files_unchanged, 9);
    assert_eq!(lib.events(None).expect("events").len(), events);

    // Move one file, change another: both noticed and recorded.
    let day = capture.join("2026-11-20_stage_a");
    std::fs::create_dir_all(capture.join("moved")).expect("mkdir");
    std::fs::rename(
        day.join("S001_T001.bvh"),
        capture.join("moved").join("S001_T001.bvh"),
    )
    .expect("move");
    common::write_random(&day.join("Scene_001_Take_002.wav"), 999, 1500);
    let third = lib
        .import_folder(&capture, &NamingPattern::default(), &NoProbe, "me")
        .expect("import");
    assert_eq!(third.files_moved.len(), 1, "{third:?}");
    assert!(third.files_moved[0].1.ends_with("moved/S001_T001.bvh"));
    assert_eq!(third.files_changed.len(), 1);
    assert!(third.files_changed[0].0.ends_with("Scene_001_Take_002.wav"));
    assert!(third.files_added.is_empty() && third.takes_added.is_empty());
    assert!(third.files_missing.is_empty());
    let report = lib.verify(true).expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!(report.files_checked, 9);
}

#[test]
fn custom_pattern_and_probe_fill_timing() {
    struct Fixed;
    impl MediaProbe for Fixed {
        fn probe(&self, kind: FileKind, _: &Path) -> ProbeOutcome {
            match kind {
                FileKind::C3d => ProbeOutcome::Timing(TakeTiming {
                    duration_frames: 378,
                    rate: mocap_data::FrameRate::FPS_120,
                }),
                _ => ProbeOutcome::Failed("bad file".into()),
            }
        }
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = dir.path().join("cap");
    std::fs::create_dir_all(&cap).expect("mkdir");
    common::write_random(&cap.join("shot7x2.c3d"), 1, 100);
    common::write_random(&cap.join("shot7x2.bvh"), 2, 100);
    let mut lib = Library::open(
        &common::location(dir.path(), "l.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let pattern = NamingPattern::custom(r"^shot(?P<scene>\d+)x(?P<take>\d+)$").expect("pattern");
    let r = lib
        .import_folder(&cap, &pattern, &Fixed, "me")
        .expect("import");
    assert_eq!(r.takes_added, ["Scene_007_Take_002"]);
    assert!(
        r.timing_unread.is_empty(),
        "the C3D was read, the BVH not needed: {:?}",
        r.timing_unread
    );
    let id = lib.resolve_take("Scene_007_Take_002").expect("take");
    let t = lib.take(id).expect("detail");
    assert_eq!(t.summary.duration_frames, Some(378));
    assert_eq!(t.summary.rate, Some(mocap_data::FrameRate::FPS_120));
    // Notes are bounded by the known duration.
    let note = |frame| NewNote {
        take_id: id,
        reply_to: None,
        frame_start: Some(frame),
        frame_end: None,
        author: "a".into(),
        text: "x".into(),
    };
    assert!(lib.add_note(&note(377), None).is_ok());
    assert!(matches!(
        lib.add_note(&note(378), None),
        Err(LibraryError::Invalid { .. })
    ));
}

#[test]
fn search_filters_and_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(
        &common::location(dir.path(), "l.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    take_library::synth::generate(&mut lib, 200, 7).expect("generate");
    // On PostgreSQL the takes go in by COPY with their ledger events chained in one batch: the
    // chain and the tables must verify as if added one by one.
    let report = lib.verify(false).expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert!(
        report.events_checked >= 250,
        "200 registrations and 50 statuses: {report:?}"
    );
    let all = lib.all_takes().expect("all");
    assert_eq!(all.len(), 200);
    let mut total = 0;
    for q in [
        TakeQuery {
            scene: Some("3".into()),
            ..Default::default()
        },
        TakeQuery {
            actor: Some("alice".into()),
            ..Default::default()
        },
        TakeQuery {
            tag: Some("fight".into()),
            status: Some(TakeStatus::Approved),
            ..Default::default()
        },
        TakeQuery {
            text: Some("swor".into()),
            ..Default::default()
        },
        TakeQuery {
            captured_from_utc_ms: Some(1_767_225_600_000 + 86_400_000),
            captured_before_utc_ms: Some(1_767_225_600_000 + 3 * 86_400_000),
            ..Default::default()
        },
    ] {
        // Oracle: filter the full detail list in Rust.
        let want: Vec<String> = all
            .iter()
            .filter(|t| {
                q.scene
                    .as_ref()
                    .is_none_or(|s| t.summary.scene == format!("{:0>3}", s))
            })
            .filter(|t| {
                q.actor
                    .as_ref()
                    .is_none_or(|a| t.actors.iter().any(|x| x.eq_ignore_ascii_case(a)))
            })
            .filter(|t| {
                q.tag
                    .as_ref()
                    .is_none_or(|g| t.tags.iter().any(|x| x.eq_ignore_ascii_case(g)))
            })
            .filter(|t| q.status.is_none_or(|s| t.summary.status == s))
            .filter(|t| {
                q.text
                    .as_ref()
                    .is_none_or(|w| t.description.split(' ').any(|d| d.starts_with(w.as_str())))
            })
            .filter(|t| {
                q.captured_from_utc_ms
                    .is_none_or(|f| t.summary.captured_utc_ms.is_some_and(|c| c >= f))
            })
            .filter(|t| {
                q.captured_before_utc_ms
                    .is_none_or(|b| t.summary.captured_utc_ms.is_some_and(|c| c < b))
            })
            .map(|t| t.summary.name.clone())
            .collect();
        assert!(
            !want.is_empty(),
            "query {q:?} selects nothing; pick another"
        );
        assert!(want.len() < 200, "query {q:?} selects everything");
        assert_eq!(names(&mut lib, &q), want, "{q:?}");
        total += want.len();
    }
    assert!(total > 0);
    let paged = lib
        .search(&TakeQuery {
            limit: 10,
            offset: 5,
            ..Default::default()
        })
        .expect("page");
    assert_eq!(paged.total, 200);
    assert_eq!(paged.takes.len(), 10);
    assert_eq!(paged.takes[0].id, all[5].summary.id);
    // Notes are searchable too; punctuation-only text matches nothing instead of failing.
    let id = all[0].summary.id;
    lib.add_note(
        &NewNote {
            take_id: id,
            reply_to: None,
            frame_start: Some(1),
            frame_end: None,
            author: "a".into(),
            text: "kneepop visible".into(),
        },
        None,
    )
    .expect("note");
    assert_eq!(
        names(
            &mut lib,
            &TakeQuery {
                text: Some("KNEEPOP".into()),
                ..Default::default()
            }
        ),
        [all[0].summary.name.clone()]
    );
    assert!(
        names(
            &mut lib,
            &TakeQuery {
                text: Some("\"*(".into()),
                ..Default::default()
            }
        )
        .is_empty()
    );
}

#[test]
fn commands_undo_and_ledger_records_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 2);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_002").expect("take");
    assert_eq!(lib.resolve_take(&id.to_string()).expect("by id"), id);
    assert!(matches!(
        lib.resolve_take("nope"),
        Err(LibraryError::NoSuchTake(_))
    ));
    let before = lib.take(id).expect("detail").summary.status;
    let undo = lib
        .execute(
            &Command::SetStatus {
                take_id: id,
                status: TakeStatus::Rejected,
                author: "d".into(),
                comment: None,
            },
            None,
        )
        .expect("execute");
    assert_eq!(
        lib.take(id).expect("detail").summary.status,
        TakeStatus::Rejected
    );
    lib.execute(&undo, None).expect("undo");
    assert_eq!(lib.take(id).expect("detail").summary.status, before);

    let meta = TakeMetadata {
        description: "hero falls".into(),
        actors: vec!["Zoe".into(), "zoe".into(), " Max ".into()],
        tags: vec!["stunt".into()],
        marker_set: Some("53".into()),
        character: Some("Hero".into()),
        start_timecode: Some("01:00:00:00".into()),
    };
    let undo = lib
        .execute(
            &Command::SetMetadata {
                take_id: id,
                metadata: meta,
            },
            None,
        )
        .expect("meta");
    let t = lib.take(id).expect("detail");
    assert_eq!(t.actors, ["Max", "Zoe"]);
    assert_eq!(
        names(
            &mut lib,
            &TakeQuery {
                text: Some("hero falls".into()),
                ..Default::default()
            }
        ),
        ["Scene_001_Take_002"]
    );
    lib.execute(&undo, None).expect("undo meta");
    assert!(lib.take(id).expect("detail").actors.is_empty());
    assert!(
        names(
            &mut lib,
            &TakeQuery {
                text: Some("falls".into()),
                ..Default::default()
            }
        )
        .is_empty()
    );

    let note_id = t.notes[0].id;
    let undo = lib
        .execute(
            &Command::SetNoteResolved {
                note_id,
                resolved: !t.notes[0].resolved,
                author: "a".into(),
            },
            None,
        )
        .expect("resolve");
    lib.execute(&undo, None).expect("undo resolve");
    assert_eq!(
        lib.take(id).expect("detail").notes[0].resolved,
        t.notes[0].resolved
    );

    // Adding a note is undoable: undo retracts it (hidden everywhere, kept in the ledger), redo
    // restores the same note.
    let count = |lib: &mut Library| lib.take(id).expect("detail").notes.len();
    let notes_before = count(&mut lib);
    let undo_add = lib
        .execute(
            &Command::AddNote(NewNote {
                take_id: id,
                reply_to: None,
                frame_start: Some(3),
                frame_end: Some(9),
                author: "dir".into(),
                text: "zyzzyva posture".into(),
            }),
            None,
        )
        .expect("add note");
    assert_eq!(count(&mut lib), notes_before + 1);
    let row_notes = |lib: &mut Library| {
        let (rows, total) = lib
            .search_rows(&TakeQuery {
                text: Some("Scene_001_Take_002".into()),
                ..Default::default()
            })
            .expect("rows");
        assert_eq!(total, 1);
        (rows[0].notes, rows[0].open_notes)
    };
    assert_eq!(row_notes(&mut lib).0, notes_before as u64 + 1);
    let find = |lib: &mut Library, w: &str| {
        names(
            lib,
            &TakeQuery {
                text: Some(w.into()),
                ..Default::default()
            },
        )
    };
    assert_eq!(find(&mut lib, "zyzzyva"), ["Scene_001_Take_002"]);
    let Command::SetNoteRetracted { note_id: added, .. } = undo_add else {
        panic!("undo of AddNote is a retraction: {undo_add:?}");
    };
    let redo = lib.execute(&undo_add, None).expect("undo add");
    assert_eq!(count(&mut lib), notes_before);
    assert_eq!(row_notes(&mut lib).0, notes_before as u64);
    assert!(
        find(&mut lib, "zyzzyva").is_empty(),
        "retracted notes are not searched"
    );
    lib.execute(&redo, None).expect("redo add");
    let notes = lib.take(id).expect("detail").notes;
    assert_eq!(notes.len(), notes_before + 1);
    assert!(notes.iter().any(|n| n.id == added && n.frame_end == 9));
    assert!(lib.verify(false).expect("verify").is_intact());
    // Retracting behind the ledger's back is caught.
    lib.execute(&undo_add, None).expect("retract again");
    lib.execute(&redo, None).expect("restore again");

    // A take is found from one of its files' paths.
    let path = lib.take(id).expect("detail").files[0].path.clone();
    assert_eq!(
        lib.take_for_path(Path::new(&path)).expect("lookup"),
        Some(id)
    );
    assert_eq!(
        lib.take_for_path(Path::new("/nowhere/x.c3d"))
            .expect("lookup"),
        None
    );

    // Every change above that is review history is in the ledger, and the chain is intact.
    let types: Vec<String> = lib
        .events(Some(id))
        .expect("events")
        .iter()
        .map(|e| e.body_type())
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("take_registered"));
    assert_eq!(types.iter().filter(|t| *t == "status").count(), 3);
    assert_eq!(types.iter().filter(|t| *t == "note_resolved").count(), 2);
    assert_eq!(types.iter().filter(|t| *t == "note_retracted").count(), 4);
    let report = lib.verify(true).expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);

    // Invalid inputs are errors, not panics.
    let bad = NewNote {
        take_id: id,
        reply_to: None,
        frame_start: Some(5),
        frame_end: Some(4),
        author: "a".into(),
        text: "x".into(),
    };
    assert!(matches!(
        lib.add_note(&bad, None),
        Err(LibraryError::Invalid { .. })
    ));
    let other = lib.resolve_take("Scene_001_Take_001").expect("take");
    let cross = NewNote {
        take_id: other,
        reply_to: Some(note_id),
        frame_start: None,
        frame_end: None,
        author: "a".into(),
        text: "x".into(),
    };
    assert!(lib.add_note(&cross, None).is_err());
    assert!(matches!(
        lib.set_note_resolved(99_999, true, "a", None),
        Err(LibraryError::NoSuchNote(99_999))
    ));
    assert!(
        lib.set_status(id, TakeStatus::Approved, " ", None, None)
            .is_err()
    );
    assert!(TakeStatus::parse("great").is_err());
    assert_eq!(
        TakeStatus::parse("Needs_Fix").expect("parse"),
        TakeStatus::NeedsFix
    );
}

#[test]
fn derived_versions_are_numbered_and_verified() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 1);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_001").expect("take");
    let inputs: Vec<String> = lib
        .take(id)
        .expect("detail")
        .files
        .iter()
        .map(|f| f.sha256.clone())
        .collect();
    let out = dir.path().join("solve.bvh");
    for v in 1..=2 {
        common::write_random(&out, v, 64);
        let d = lib
            .record_derived(
                &NewDerived {
                    take_id: id,
                    kind: "solve".into(),
                    input_sha256: inputs.clone(),
                    operations: serde_json::json!({"solver": "ik", "iterations": v}),
                    output_path: out.clone(),
                    author: "tech".into(),
                },
                None,
            )
            .expect("derived");
        assert_eq!(d.version, v as i64);
    }
    let versions = lib.derived_versions(id).expect("versions");
    assert_eq!(versions.len(), 2);
    assert_ne!(versions[0].output_sha256, versions[1].output_sha256);
    assert_eq!(versions[1].input_sha256, inputs);
    assert!(lib.verify(false).expect("verify").is_intact());
}

#[test]
fn evidence_manifest_round_trip_and_tampering() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 2);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_001").expect("take");
    let m = lib.evidence(id, "test 1.0").expect("evidence");
    assert_eq!(m.take.status, "approved");
    assert_eq!(m.files.len(), 3);
    assert!(m.events.iter().any(|e| e.signature.is_some()));
    let path = dir.path().join("manifest.json");
    write_manifest(&m, &path).expect("write");
    let check = verify_manifest(&path).expect("check");
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    assert_eq!(check.files_checked, 3);

    // Editing the manifest is detected.
    let text = std::fs::read_to_string(&path).expect("read");
    let edited = text.replacen("\"approved\"", "\"rejected\"", 1);
    assert_ne!(edited, text);
    std::fs::write(&path, edited).expect("write");
    assert!(!verify_manifest(&path).expect("check").problems.is_empty());

    // A changed take file is detected.
    write_manifest(&m, &path).expect("write");
    let file = &m.files[0].path;
    let mut bytes = std::fs::read(file).expect("read");
    bytes[0] ^= 1;
    std::fs::write(file, bytes).expect("write");
    let check = verify_manifest(&path).expect("check");
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
    assert!(check.problems[0].contains(file.as_str()));

    std::fs::write(&path, "{}").expect("write");
    assert!(matches!(
        verify_manifest(&path),
        Err(LibraryError::Manifest { .. })
    ));

    // Against the library: consistent now, not after the chain is rewritten.
    assert_eq!(lib.check_manifest(&m).expect("check"), Vec::<String>::new());
    let first = m.events[0].seq;
    common::raw_execute(
        &db,
        &format!(
            "UPDATE ledger SET hash = CASE WHEN substr(hash, 1, 2) = '00' THEN 'ff' ELSE '00' END || substr(hash, 3) WHERE seq = {first}"
        ),
    );
    let problems = lib.check_manifest(&m).expect("check");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains(&format!("#{first}")), "{problems:?}");
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn refuses_foreign_corrupt_and_newer_files_without_touching_them() {
    if common::sqlite_only("identifying SQLite files") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.db");
    std::fs::write(&text, "this is a text file, not a database\n").expect("write");
    let foreign = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&foreign).expect("open");
        c.execute_batch("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('x');")
            .expect("create");
    }
    let other_app = dir.path().join("app.db");
    {
        let c = rusqlite::Connection::open(&other_app).expect("open");
        c.execute_batch("PRAGMA application_id = 1234;")
            .expect("pragma");
    }
    let newer = dir.path().join("newer.db");
    drop(Library::open(&newer, OpenMode::CreateIfMissing).expect("create"));
    {
        let c = rusqlite::Connection::open(&newer).expect("open");
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; PRAGMA user_version = 99;")
            .expect("pragma");
    }
    let before = snapshot(dir.path());
    assert!(matches!(
        Library::open(&text, OpenMode::CreateIfMissing),
        Err(LibraryError::NotSqlite(_))
    ));
    assert!(matches!(
        Library::open(&foreign, OpenMode::CreateIfMissing),
        Err(LibraryError::ForeignDatabase { .. })
    ));
    assert!(matches!(
        Library::open(&other_app, OpenMode::MustExist),
        Err(LibraryError::ForeignDatabase { .. })
    ));
    match Library::open(&newer, OpenMode::MustExist) {
        Err(e @ LibraryError::NewerSchema { found: 99, .. }) => {
            assert!(e.to_string().contains("upgrade"))
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
    let missing = dir.path().join("missing.db");
    assert!(matches!(
        Library::open(&missing, OpenMode::MustExist),
        Err(LibraryError::NotFound(_))
    ));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "a refused file was modified or a file was created"
    );
}

#[test]
fn missing_take_file_is_reported_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 2);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let file = lib.all_takes().expect("takes")[1].files[0].path.clone();
    std::fs::remove_file(&file).expect("remove");
    let report = lib.verify(true).expect("verify");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let msg = report.problems[0].to_string();
    assert!(
        msg.contains(&file) && msg.contains("cannot be read"),
        "{msg}"
    );
    // Without re-hashing, the ledger itself is intact.
    assert!(lib.verify(false).expect("verify").is_intact());
}

#[test]
fn readers_and_writers_at_the_same_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 4);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
                let ids: Vec<i64> = lib
                    .all_takes()
                    .expect("takes")
                    .iter()
                    .map(|t| t.summary.id)
                    .collect();
                for i in 0..60 {
                    let id = ids[i % ids.len()];
                    lib.add_note(
                        &NewNote {
                            take_id: id,
                            reply_to: None,
                            frame_start: Some(i as u64),
                            frame_end: None,
                            author: format!("w{w}"),
                            text: format!("n{i}"),
                        },
                        None,
                    )
                    .expect("note while others read and write");
                    lib.set_status(id, TakeStatus::ALL[i % 5], &format!("w{w}"), None, None)
                        .expect("status");
                }
            })
        })
        .collect();
    let reader = {
        let db = db.clone();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) || reads == 0 {
                lib.search(&TakeQuery {
                    text: Some("n1".into()),
                    ..Default::default()
                })
                .expect("search");
                let report = lib.verify(false).expect("verify while writing");
                assert!(
                    report.is_intact(),
                    "reader saw a torn state: {:?}",
                    report.problems
                );
                reads += 1;
            }
            reads
        })
    };
    for w in writers {
        w.join().expect("writer thread");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().expect("reader thread") > 0);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let notes: usize = lib
        .all_takes()
        .expect("takes")
        .iter()
        .map(|t| t.notes.len())
        .sum();
    assert_eq!(notes, 4 * 2 + 120);
    assert!(lib.verify(true).expect("verify").is_intact());
}

#[test]
fn real_capture_files_import_with_correct_hashes() {
    let Some(data) = mocap_testkit::data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = dir.path().join("cap");
    std::fs::create_dir_all(&cap).expect("mkdir");
    // (source, name in the capture folder, sha256 prefix from the data set's PROVENANCE.md)
    let files = [
        (
            "c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d",
            "walk_01.c3d",
            "7894dea197ca",
        ),
        (
            "bvh/bandai_dataset-1_walk_normal_001.bvh",
            "walk_01.bvh",
            "5764cebc2fed",
        ),
        (
            "bvh/bandai_dataset-1_kick_normal_001.bvh",
            "kick_01.bvh",
            "1194a1dae534",
        ),
    ];
    for (src, name, _) in files {
        let from = data.join(src);
        assert!(from.exists(), "missing test data file {}", from.display());
        std::fs::copy(&from, cap.join(name)).expect("copy");
    }
    let mut lib = Library::open(
        &common::location(dir.path(), "l.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let r = lib
        .import_folder(&cap, &NamingPattern::default(), &NoProbe, "me")
        .expect("import");
    assert_eq!(r.takes_added, ["kick_01", "walk_01"]);
    for (_, name, prefix) in files {
        let t = lib
            .take(lib.resolve_take(&name[..name.len() - 4]).expect("take"))
            .expect("detail");
        let f = t
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .expect("file");
        assert!(
            f.sha256.starts_with(prefix),
            "{name}: {} vs provenance {prefix}",
            f.sha256
        );
    }
    let key = UserKey::from_seed([1; 32]);
    let id = lib.resolve_take("walk_01").expect("take");
    lib.set_status(id, TakeStatus::Approved, "director", None, Some(&key))
        .expect("approve");
    assert!(lib.verify(true).expect("verify").is_intact());
}

#[test]
fn html_report_escapes_text_and_shows_timecodes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lib = Library::open(
        &common::location(dir.path(), "l.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let take = |name: &str, scene: &str, rate| take_library::NewTake {
        name: name.into(),
        scene: scene.into(),
        number: Some(1),
        session: None,
        timing: Some(TakeTiming {
            duration_frames: 10_000,
            rate,
        }),
        captured_utc_ms: None,
        description: String::new(),
        actors: vec!["Ann <b>".into()],
        tags: Vec::new(),
        marker_set: None,
        character: None,
        start_timecode: Some("01:00:00:00".into()),
        files: Vec::new(),
    };
    let a = lib
        .add_take(&take("A_01", "A", mocap_data::FrameRate::FPS_24), "me")
        .expect("take");
    let mut b = take("B_01", "B", mocap_data::FrameRate::FPS_24);
    b.session = Some(("Day 2".into(), Some("2026-11-21".into())));
    lib.add_take(&b, "me").expect("take");
    let note = NewNote {
        take_id: a,
        reply_to: None,
        frame_start: Some(48),
        frame_end: Some(60),
        author: "Dir & Co".into(),
        text: "<script>alert('x')</script>".into(),
    };
    lib.add_note(&note, None).expect("note");
    lib.set_status(a, TakeStatus::Approved, "d", None, None)
        .expect("status");
    let html = lib.report_html(Some("A"), "test").expect("report");
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    assert!(html.contains("Dir &amp; Co") && html.contains("Ann &lt;b&gt;"));
    // Frame 48 at 24 fps from a 01:00:00:00 start is 01:00:02:00; frame 60 is 01:00:02:12.
    assert!(html.contains("01:00:02:00–01:00:02:12"), "{html}");
    assert!(html.contains("class=\"approved\""));
    assert!(
        html.contains("A_01") && !html.contains("B_01"),
        "only scene A"
    );
    assert!(lib.report_html(None, "test").expect("all").contains("B_01"));
    // Per capture session (day).
    assert_eq!(lib.sessions().expect("sessions"), ["Day 2"]);
    let day = lib
        .report_html_for(None, Some("Day 2"), "test")
        .expect("day report");
    assert!(day.contains("B_01") && !day.contains("A_01"), "only day 2");
    assert!(day.contains("Review report: session Day 2"));
    assert!(
        lib.report_html_for(Some("A"), Some("Day 2"), "test")
            .is_err()
    );
    assert!(matches!(
        lib.report_html(Some("Z"), "test"),
        Err(LibraryError::Invalid { .. })
    ));
}

#[cfg(unix)]
#[test]
fn import_does_not_follow_folder_symlink_loops() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = common::make_capture(dir.path(), 1);
    std::os::unix::fs::symlink(&capture, capture.join("2026-11-20_stage_a").join("loop"))
        .expect("symlink");
    let mut lib = Library::open(
        &common::location(dir.path(), "l.db"),
        OpenMode::CreateIfMissing,
    )
    .expect("open");
    let r = lib
        .import_folder(&capture, &NamingPattern::default(), &NoProbe, "me")
        .expect("import");
    assert_eq!(r.takes_added.len(), 1);
    assert!(
        r.skipped
            .iter()
            .any(|(p, why)| p.ends_with("loop") && why.contains("link")),
        "{:?}",
        r.skipped
    );
}

#[test]
fn damaged_database_pages_give_an_error_not_a_panic() {
    if common::sqlite_only("garbles SQLite file pages") {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 3);
    common::checkpoint(&db);
    let mut bytes = std::fs::read(&db).expect("read");
    assert!(bytes.len() > 16_384, "library unexpectedly small");
    // Garble the second and third pages (schema and table b-trees live early in the file).
    for b in &mut bytes[4096..12_288] {
        *b = 0xA5;
    }
    std::fs::write(&db, &bytes).expect("write");
    let outcome = Library::open(&db, OpenMode::MustExist).and_then(|mut lib| lib.verify(true));
    match outcome {
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("backup") || msg.contains("not a take library"),
                "{msg}"
            );
        }
        Ok(report) => assert!(!report.is_intact(), "damage went unnoticed"),
    }
    assert_eq!(
        std::fs::read(&db).expect("read"),
        bytes,
        "a damaged library must not be rewritten"
    );
}

#[test]
fn data_version_moves_only_for_other_connections() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 1);
    let mut viewer = Library::open(&db, OpenMode::MustExist).expect("open");
    let mut writer = Library::open(&db, OpenMode::MustExist).expect("open");
    let v0 = viewer.data_version().expect("version");
    let id = viewer.resolve_take("Scene_001_Take_001").expect("take");
    viewer
        .set_status(id, TakeStatus::Circled, "own", None, None)
        .expect("own edit");
    assert_eq!(viewer.data_version().expect("version"), v0, "own commits");
    writer
        .set_status(id, TakeStatus::Approved, "other", None, None)
        .expect("other edit");
    assert_ne!(
        viewer.data_version().expect("version"),
        v0,
        "another connection's commit"
    );
    assert_eq!(
        viewer.take(id).expect("take").summary.status,
        TakeStatus::Approved
    );
}

#[test]
fn roles_decide_who_sets_which_status_and_the_ledger_records_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 2);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_001").expect("take");
    // No members yet: the library is open, and the first director can be added by anyone.
    lib.set_member("dana", Some("director"), "producer")
        .expect("first director");
    for (name, role) in [("sam", "supervisor"), ("cleo", "client"), ("art", "artist")] {
        lib.set_member(name, Some(role), "dana").expect("member");
    }
    assert!(
        lib.set_member("eve", Some("director"), "art").is_err(),
        "only a director"
    );
    assert!(
        lib.set_member("eve", Some("producer"), "dana").is_err(),
        "unknown role"
    );
    let refused = |lib: &mut Library, who: &str, status: TakeStatus| {
        lib.set_status(id, status, who, None, None)
            .expect_err(&format!("{who} may not set {status}"))
    };
    let e = refused(&mut lib, "sam", TakeStatus::Approved);
    assert!(e.to_string().contains("supervisor"), "{e}");
    refused(&mut lib, "cleo", TakeStatus::Circled);
    refused(&mut lib, "art", TakeStatus::Rejected);
    let e = refused(&mut lib, "stranger", TakeStatus::Circled);
    assert!(e.to_string().contains("not a member"), "{e}");
    let (_, event) = lib
        .set_status(id, TakeStatus::NeedsFix, "sam", None, None)
        .expect("a supervisor asks for a fix");
    assert!(
        event.body.contains("\"role\":\"supervisor\""),
        "{}",
        event.body
    );
    lib.set_status(id, TakeStatus::Circled, "art", None, None)
        .expect("an artist circles");
    // The director lets supervisors approve: now sam may.
    lib.set_grant("supervisor", TakeStatus::Approved, true, "dana")
        .expect("grant");
    assert!(
        lib.grants("supervisor")
            .expect("grants")
            .contains(&"approved".to_string())
    );
    lib.set_status(id, TakeStatus::Approved, "sam", None, None)
        .expect("granted");
    assert_eq!(lib.members().expect("members").len(), 4);
    let report = lib.verify(false).expect("verify");
    assert!(report.is_intact(), "{:?}", report.problems);
    // The team and its grants travel with a migrated library.
    let copy = common::location(dir.path(), "copy.db");
    let mut target = Library::open(&copy, OpenMode::CreateIfMissing).expect("target");
    let r = take_library::migrate::copy_library(&lib, &mut target, false).expect("migrate");
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(
        target.members().expect("members"),
        lib.members().expect("members")
    );
    // A member added behind the ledger's back is found.
    common::raw_execute(
        &db,
        "INSERT INTO member(name, role) VALUES ('mallory', 'director')",
    );
    let report = lib.verify(false).expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("review team differs")),
        "{:?}",
        report.problems
    );
}

#[test]
fn reviewers_give_verdicts_per_revision_and_retakes_are_counted() {
    use take_library::verdicts::Verdict;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 2);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let id = lib.resolve_take("Scene_001_Take_001").expect("take");
    let other = lib.resolve_take("Scene_001_Take_002").expect("take");
    let out = dir.path().join("solve_v1.bvh");
    std::fs::write(&out, "HIERARCHY\n").expect("write");
    let solve = lib
        .record_derived(
            &take_library::NewDerived {
                take_id: id,
                kind: "solve".into(),
                input_sha256: vec![],
                operations: serde_json::json!({"step": "solve"}),
                output_path: out,
                author: "pipeline".into(),
            },
            None,
        )
        .expect("derived");
    let retakes_before = lib.retakes(id).expect("retakes");
    lib.set_verdict(
        id,
        Some(solve.id),
        "sam",
        Verdict::Changes,
        Some("feet slide"),
        None,
    )
    .expect("verdict");
    lib.set_verdict(id, Some(solve.id), "cleo", Verdict::Approve, None, None)
        .expect("verdict");
    lib.set_verdict(id, None, "sam", Verdict::Approve, None, None)
        .expect("verdict on the capture");
    // A reviewer's newer verdict replaces theirs; the ledger keeps both.
    lib.set_verdict(
        id,
        Some(solve.id),
        "sam",
        Verdict::Approve,
        Some("fixed"),
        None,
    )
    .expect("verdict");
    assert!(
        lib.set_verdict(other, Some(solve.id), "sam", Verdict::Approve, None, None)
            .is_err(),
        "a revision of another take"
    );
    let v = lib.verdicts(id).expect("verdicts");
    let on_solve: Vec<(&str, &str)> = v
        .iter()
        .filter(|v| v.revision == Some(solve.id))
        .map(|v| (v.reviewer.as_str(), v.verdict.as_str()))
        .collect();
    assert_eq!(on_solve, vec![("cleo", "approve"), ("sam", "approve")]);
    assert_eq!(v.iter().filter(|v| v.revision.is_none()).count(), 1);
    let verdict_events = lib
        .events(Some(id))
        .expect("events")
        .iter()
        .filter(|e| e.body_type() == "verdict")
        .count();
    assert_eq!(verdict_events, 4);
    lib.set_status(id, TakeStatus::NeedsFix, "sam", None, None)
        .expect("retake");
    lib.set_status(id, TakeStatus::Approved, "dana", Some("final"), None)
        .expect("final");
    assert_eq!(lib.retakes(id).expect("retakes"), retakes_before + 1);
    assert!(lib.verify(false).expect("verify").is_intact());
    common::raw_execute(
        &db,
        "UPDATE verdict SET verdict = 'reject' WHERE reviewer = 'cleo'",
    );
    let report = lib.verify(false).expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("cleo's verdict differs")),
        "{:?}",
        report.problems
    );
}

#[test]
fn dailies_playlists_keep_their_order_and_export_as_html() {
    use take_library::verdicts::Verdict;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library(dir.path(), 3);
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    let ids: Vec<i64> = (1..=3)
        .map(|i| {
            lib.resolve_take(&format!("Scene_001_Take_00{i}"))
                .expect("take")
        })
        .collect();
    let out = dir.path().join("clean_v1.c3d");
    std::fs::write(&out, "cleaned").expect("write");
    let clean = lib
        .record_derived(
            &take_library::NewDerived {
                take_id: ids[2],
                kind: "cleanup".into(),
                input_sha256: vec![],
                operations: serde_json::json!({}),
                output_path: out,
                author: "pipeline".into(),
            },
            None,
        )
        .expect("derived");
    lib.set_verdict(
        ids[2],
        Some(clean.id),
        "dana",
        Verdict::Changes,
        Some("<jitter>"),
        None,
    )
    .expect("verdict");
    let order = [(ids[2], Some(clean.id)), (ids[0], None), (ids[1], None)];
    lib.set_playlist("Dailies 2026-11-20", &order, "sam")
        .expect("playlist");
    assert!(
        lib.set_playlist("bad", &[(ids[0], Some(clean.id))], "sam")
            .is_err()
    );
    let items = lib.playlist("Dailies 2026-11-20").expect("playlist");
    let got: Vec<(i64, Option<i64>)> = items.iter().map(|i| (i.take_id, i.revision)).collect();
    assert_eq!(got, order.to_vec());
    assert_eq!(
        lib.playlists().expect("names"),
        vec!["Dailies 2026-11-20".to_string()]
    );
    let html = lib
        .playlist_html("Dailies 2026-11-20", "test")
        .expect("html");
    let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(pos("Scene_001_Take_003") < pos("Scene_001_Take_001"));
    assert!(pos("Scene_001_Take_001") < pos("Scene_001_Take_002"));
    assert!(
        html.contains("cleanup v1") && html.contains("&lt;jitter&gt;"),
        "{html}"
    );
    assert!(lib.verify(false).expect("verify").is_intact());
    common::raw_execute(
        &db,
        "UPDATE playlist_item SET position = 9 WHERE position = 0",
    );
    let report = lib.verify(false).expect("verify");
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("differs")),
        "{:?}",
        report.problems
    );
}
