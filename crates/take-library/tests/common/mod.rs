//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use take_library::import::NoProbe;
use take_library::naming::NamingPattern;
use take_library::{Library, NewNote, OpenMode, TakeStatus, UserKey};

/// Writes `len` pseudo-random bytes derived from `seed`.
pub fn write_random(path: &Path, seed: u64, len: usize) {
    let mut rng = take_library::synth::SplitMix::new(seed);
    let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
    std::fs::write(path, bytes).expect("write capture file");
}

/// A capture folder with `takes` takes of scene 1, each a C3D, a BVH and a WAV (plus a README
/// and an unrecognised file that must be skipped).
pub fn make_capture(root: &Path, takes: usize) -> PathBuf {
    let day = root.join("capture").join("2026-11-20_stage_a");
    std::fs::create_dir_all(&day).expect("mkdir");
    for t in 1..=takes {
        write_random(
            &day.join(format!("Scene_001_Take_{t:03}.c3d")),
            t as u64,
            3000 + t * 17,
        );
        write_random(
            &day.join(format!("S001_T{t:03}.bvh")),
            100 + t as u64,
            2000 + t * 5,
        );
        write_random(
            &day.join(format!("Scene_001_Take_{t:03}.wav")),
            200 + t as u64,
            1500,
        );
    }
    std::fs::write(day.join("README.txt"), "notes").expect("write");
    std::fs::write(day.join("calibration.c3d"), "x").expect("write");
    root.join("capture")
}

/// Creates a library at `root/lib.db`, imports a capture of `takes` takes and adds review history:
/// statuses (some signed), notes with replies, a resolved note.
pub fn build_library(root: &Path, takes: usize) -> PathBuf {
    build_library_signing(root, takes, 2)
}

/// [`build_library`] signing the status and note of every `sign_every`-th take (ed25519 checks
/// are slow in debug builds, so the tamper test signs few; 0 = only the final approval).
pub fn build_library_signing(root: &Path, takes: usize, sign_every: usize) -> PathBuf {
    let capture = make_capture(root, takes);
    let db = root.join("lib.db");
    let mut lib = Library::open(&db, OpenMode::CreateIfMissing).expect("create library");
    lib.import_folder(&capture, &NamingPattern::default(), &NoProbe, "importer")
        .expect("import");
    let key = UserKey::from_seed([42; 32]);
    let ids: Vec<i64> = lib
        .all_takes()
        .expect("takes")
        .iter()
        .map(|t| t.summary.id)
        .collect();
    for (i, &id) in ids.iter().enumerate() {
        let status = TakeStatus::ALL[1 + i % 4];
        let signer = (sign_every > 0 && i % sign_every == 0).then_some(&key);
        lib.set_status(id, status, "director", Some("on set"), signer)
            .expect("status");
        let (note, _) = lib
            .add_note(
                &NewNote {
                    take_id: id,
                    reply_to: None,
                    frame_start: Some(10 * i as u64),
                    frame_end: Some(10 * i as u64 + 5),
                    author: "animator".into(),
                    text: format!("foot slides here ({i})"),
                },
                signer,
            )
            .expect("note");
        lib.add_note(
            &NewNote {
                take_id: id,
                reply_to: Some(note.id),
                frame_start: None,
                frame_end: None,
                author: "director".into(),
                text: "agreed, fix it".into(),
            },
            None,
        )
        .expect("reply");
        if i % 3 == 0 {
            lib.set_note_resolved(note.id, true, "animator", None)
                .expect("resolve");
        }
    }
    if let Some(&first) = ids.first() {
        lib.set_status(first, TakeStatus::Approved, "director", None, Some(&key))
            .expect("approve");
    }
    db
}

/// Copies a library file after checkpointing its WAL, so the copy is complete on its own.
pub fn checkpoint(db: &Path) {
    let c = rusqlite::Connection::open(db).expect("open");
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .expect("checkpoint");
}
