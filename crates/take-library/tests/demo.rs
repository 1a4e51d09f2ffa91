//! The generated demo library (`take_library::demo`): it verifies and holds what its docs say.

use take_library::demo::{self, PLAYLIST, PLAYLIST_LEN, SCENES, TAKES_PER_SCENE, TEAM};
use take_library::{Library, OpenMode, TakeStatus};

/// (name, status, notes as (author, text, resolved, reply), files' sha256) of every take.
type Content = Vec<(
    String,
    TakeStatus,
    Vec<(String, String, bool, bool)>,
    Vec<String>,
)>;

fn content(lib: &mut Library) -> Content {
    lib.all_takes()
        .expect("all takes")
        .into_iter()
        .map(|t| {
            (
                t.summary.name,
                t.summary.status,
                t.notes
                    .into_iter()
                    .map(|n| (n.author, n.text, n.resolved, n.reply_to.is_some()))
                    .collect(),
                t.files.into_iter().map(|f| f.sha256).collect(),
            )
        })
        .collect()
}

#[test]
fn demo_library_verifies_and_holds_what_the_docs_say() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");
    let made = demo::generate(&db).expect("generate the demo library");
    assert_eq!(made.files_dir, dir.path().join("demo-files"));
    assert_eq!(made.takes.len(), SCENES.len() * TAKES_PER_SCENE);

    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    // The whole ledger chain, the tables against it, and every file's hash on disk.
    let report = lib.verify(true).expect("verify");
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.events_checked as i64, made.events);
    assert_eq!(lib.ledger_head().expect("head").0, made.events);

    assert_eq!(lib.scenes().expect("scenes"), SCENES.to_vec());
    assert_eq!(lib.sessions().expect("sessions"), vec!["Day 1", "Day 2"]);
    let mut team: Vec<(String, String)> = TEAM
        .iter()
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .collect();
    team.sort();
    assert_eq!(lib.members().expect("members"), team);

    // Notes, replies, one resolved.
    let takes = lib.all_takes().expect("takes");
    let notes: Vec<_> = takes.iter().flat_map(|t| t.notes.iter()).collect();
    assert_eq!(
        notes.iter().filter(|n| n.reply_to.is_none()).count(),
        demo::NOTES
    );
    assert_eq!(
        notes.iter().filter(|n| n.reply_to.is_some()).count(),
        demo::REPLIES
    );
    assert_eq!(notes.iter().filter(|n| n.resolved).count(), 1);
    for t in &takes {
        assert!(!t.notes.is_empty(), "{} has no note", t.summary.name);
        assert_eq!(t.files.len(), 1);
        assert!(t.actors.len() == 2 && t.tags.len() == 2 && !t.description.is_empty());
        // The captures are real BVH files of the recorded length.
        let bvh = mocap_formats::bvh::read_path(std::path::Path::new(&t.files[0].path))
            .expect("the demo BVH parses");
        assert_eq!(
            bvh.motion.frame_count() as u64,
            t.summary.duration_frames.expect("duration")
        );
    }

    // Statuses: approved, rejected and still circled takes, each with its history in the ledger.
    let count = |s: TakeStatus| takes.iter().filter(|t| t.summary.status == s).count();
    assert_eq!(count(TakeStatus::Approved), SCENES.len());
    assert_eq!(count(TakeStatus::Rejected), SCENES.len());
    assert_eq!(count(TakeStatus::Circled), SCENES.len());
    let approved = takes
        .iter()
        .find(|t| t.summary.status == TakeStatus::Approved)
        .expect("an approved take");
    let history: Vec<String> = lib
        .events(Some(approved.summary.id))
        .expect("events")
        .into_iter()
        .filter(|e| e.body_type() == "status")
        .map(|e| e.author)
        .collect();
    assert_eq!(history, vec!["Kai", "Omar", "Ines"]);
    assert!(
        lib.events(None)
            .expect("events")
            .iter()
            .any(|e| e.body.contains("\"role\":\"director\"")),
        "status events record the author's role"
    );

    // Verdicts by several reviewers, on the capture and on cleanup revisions.
    let mut verdicts = Vec::new();
    for t in &takes {
        verdicts.extend(lib.verdicts(t.summary.id).expect("verdicts"));
    }
    assert_eq!(verdicts.len(), demo::VERDICTS);
    let mut reviewers: Vec<&str> = verdicts.iter().map(|v| v.reviewer.as_str()).collect();
    reviewers.sort();
    reviewers.dedup();
    assert_eq!(reviewers, vec!["Ines", "Omar", "Rosa"]);
    assert!(verdicts.iter().any(|v| v.revision.is_some()));

    // The dailies playlist, starting with the cleanup revisions.
    assert_eq!(lib.playlists().expect("playlists"), vec![PLAYLIST]);
    let playlist = lib.playlist(PLAYLIST).expect("playlist");
    assert_eq!(playlist.len(), PLAYLIST_LEN);
    assert!(playlist[0].revision.is_some());
    let html = lib.playlist_html(PLAYLIST, "demo test").expect("html");
    assert!(html.contains("Scene_010_Take_001"), "{html}");

    // A second path refuses to overwrite.
    assert!(demo::generate(&db).is_err());
}

#[test]
fn demo_library_is_deterministic() {
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    demo::generate(&a.path().join("demo.db")).expect("first");
    demo::generate(&b.path().join("demo.db")).expect("second");
    let mut la = Library::open(&a.path().join("demo.db"), OpenMode::MustExist).expect("open a");
    let mut lb = Library::open(&b.path().join("demo.db"), OpenMode::MustExist).expect("open b");
    assert_eq!(content(&mut la), content(&mut lb));
    assert_eq!(
        la.ledger_head().expect("head").0,
        lb.ledger_head().expect("head").0
    );
}
