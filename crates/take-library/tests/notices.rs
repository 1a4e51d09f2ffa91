//! Notifications read from the ledger ("changes since"): mentions and status changes of a user's
//! takes written by another connection, on SQLite and (with `TAKE_LIBRARY_TEST_STORE=postgres`)
//! on PostgreSQL.

mod common;

use take_library::notices::NoticeKind;
use take_library::verdicts::Verdict;
use take_library::{Library, NewNote, OpenMode, TakeStatus};

fn note(take_id: i64, frame: u64, author: &str, text: &str) -> NewNote {
    NewNote {
        take_id,
        reply_to: None,
        frame_start: Some(frame),
        frame_end: Some(frame),
        author: author.into(),
        text: text.into(),
    }
}

#[test]
fn mentions_and_status_changes_of_my_takes_since_a_mark() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Takes registered by "importer" (the owner); history by director and animator.
    let db = common::build_library(dir.path(), 3);
    let mine = Library::open(&db, OpenMode::MustExist).expect("open as importer");
    let mut other = Library::open(&db, OpenMode::MustExist).expect("open as others");
    let t1 = other.resolve_take("Scene_001_Take_001").expect("take 1");
    let t2 = other.resolve_take("Scene_001_Take_002").expect("take 2");
    let t3 = other.resolve_take("Scene_001_Take_003").expect("take 3");

    // Nothing that happened before the mark notifies.
    let mark = mine.ledger_seq().expect("seq");
    assert!(mark > 0);
    let (old, next) = mine.notices_since("importer", mark).expect("notices");
    assert!(old.is_empty());
    assert_eq!(next, mark);

    other
        .add_note(
            &note(t1, 7, "director", "@importer the left foot pops here"),
            None,
        )
        .expect("mention");
    other
        .add_note(&note(t1, 8, "director", "no mention of importer"), None)
        .expect("note");
    other
        .add_note(&note(t1, 9, "director", "@importers is someone else"), None)
        .expect("note");
    other
        .set_status(
            t2,
            TakeStatus::NeedsFix,
            "director",
            Some("redo hands"),
            None,
        )
        .expect("status of the importer's take");
    // The user's own changes never notify them.
    other
        .add_note(&note(t3, 3, "importer", "@importer note to self"), None)
        .expect("own note");
    other
        .set_status(t3, TakeStatus::Circled, "importer", None, None)
        .expect("own status");

    let (got, next) = mine.notices_since("Importer", mark).expect("notices");
    assert_eq!(next, mine.ledger_seq().expect("seq"));
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(matches!(got[0].kind, NoticeKind::Mention { .. }));
    assert_eq!(
        (got[0].take_id, got[0].frame, got[0].author.as_str()),
        (t1, Some(7), "director")
    );
    assert_eq!(got[0].take_name, "Scene_001_Take_001");
    assert_eq!(
        got[1].kind,
        NoticeKind::Status {
            // build_library gives the i-th take status ALL[1 + i % 4].
            from: TakeStatus::ALL[2],
            to: TakeStatus::NeedsFix
        }
    );
    assert_eq!((got[1].take_id, got[1].text.as_str()), (t2, "redo hands"));
    assert!(got[0].seq < got[1].seq);

    // Asked again from the returned mark: nothing new.
    assert!(
        mine.notices_since("importer", next)
            .expect("again")
            .0
            .is_empty()
    );

    // A reviewer's takes: carol gave a verdict on take 3, so its status changes notify her
    // (take 1, which she did not review, does not).
    let mark = mine.ledger_seq().expect("seq");
    other
        .set_verdict(t3, None, "carol", Verdict::Changes, None, None)
        .expect("verdict");
    other
        .set_status(t3, TakeStatus::Rejected, "director", None, None)
        .expect("status 3");
    other
        .set_status(t1, TakeStatus::Rejected, "director", None, None)
        .expect("status 1");
    let (carol, _) = mine.notices_since("carol", mark).expect("carol");
    assert_eq!(carol.len(), 1, "{carol:#?}");
    assert_eq!(carol[0].take_id, t3);
    assert!(matches!(
        carol[0].kind,
        NoticeKind::Status {
            to: TakeStatus::Rejected,
            ..
        }
    ));
    // No user: no notices, but the mark still moves.
    let (none, next) = mine.notices_since("  ", mark).expect("nobody");
    assert!(none.is_empty());
    assert!(next > mark);
}
