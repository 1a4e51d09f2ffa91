//! A generated demo library for the studio's demo session and for trying the review workflow.
//!
//! [`generate`] creates a new SQLite library at a path and a folder of small BVH captures beside
//! it (`<stem>-files/`), so every take's files exist and hash correctly. It holds:
//!
//! - a review team of four ([`TEAM`]): a director, a supervisor, an artist and a client;
//! - [`SCENES`].len() scenes with [`TAKES_PER_SCENE`] takes each (two capture days), every take
//!   with actors, tags, a description and one BVH capture;
//! - a `cleanup` revision (a derived BVH) of the first take of every scene;
//! - frame-anchored notes on every take plus replies ([`NOTES`] notes and [`REPLIES`] replies in
//!   all, one of them resolved);
//! - verdicts by several reviewers on the capture and on the cleanup revisions ([`VERDICTS`]);
//! - a status history in the ledger: takes circled by the artist, sent back by the supervisor
//!   (`needs-fix`), approved or rejected by the director;
//! - a dailies playlist [`PLAYLIST`] of [`PLAYLIST_LEN`] entries (cleanup revisions where there
//!   is one).
//!
//! The content is deterministic (names, files, notes, verdicts, statuses, playlist); event times
//! and the library id are those of the moment it is generated.

use crate::error::{LibraryError, Result};
use crate::library::{Library, NewDerived, NewFile, NewNote, NewTake};
use crate::model::{FileKind, TakeStatus, TakeTiming};
use crate::schema::OpenMode;
use crate::verdicts::Verdict;
use mocap_data::FrameRate;
use std::path::{Path, PathBuf};

/// The review team: (name, role).
pub const TEAM: [(&str, &str); 4] = [
    ("Ines", "director"),
    ("Omar", "supervisor"),
    ("Kai", "artist"),
    ("Rosa", "client"),
];
/// Scene names (digit names are stored zero-padded: `010`).
pub const SCENES: [&str; 3] = ["010", "020", "030"];
/// Takes per scene.
pub const TAKES_PER_SCENE: usize = 3;
/// Name of the dailies playlist.
pub const PLAYLIST: &str = "Dailies Day 2";
/// Entries of the dailies playlist.
pub const PLAYLIST_LEN: usize = 5;
/// Top-level notes (one per take, plus one more on every scene's first take).
pub const NOTES: usize = SCENES.len() * TAKES_PER_SCENE + SCENES.len();
/// Replies to notes (one on every scene's first take).
pub const REPLIES: usize = SCENES.len();
/// Verdicts recorded (three reviewers on every cleanup revision, one on every other take).
pub const VERDICTS: usize = SCENES.len() * 3 + SCENES.len() * (TAKES_PER_SCENE - 1);

/// Frames of every generated capture (at 30 fps: 4 seconds).
const FRAMES: u64 = 120;
/// 2026-03-02T09:00:00Z, the first capture day.
const DAY1_UTC_MS: i64 = 1_772_442_000_000;

/// What [`generate`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLibrary {
    /// The SQLite library file.
    pub db: PathBuf,
    /// The folder holding the takes' BVH files.
    pub files_dir: PathBuf,
    /// Take ids, in creation order.
    pub takes: Vec<i64>,
    /// Ledger events written.
    pub events: i64,
}

const ACTORS: [&str; 4] = ["Alice", "Bruno", "Chen", "Dana"];
const TAGS: [&str; 5] = ["fight", "walk", "dialogue", "stunt", "run"];
const ACTIONS: [&str; 9] = [
    "sword parry on the stairs",
    "walk to the door and glance back",
    "stumble, recover and run",
    "kneel and embrace",
    "ladder climb, wave from the top",
    "crouch behind cover, shout",
    "spin and throw",
    "limp across the courtyard",
    "catch the falling crate",
];

/// Creates the demo library at `db` (which must not exist) and its files in `<stem>-files/`
/// beside it.
pub fn generate(db: &Path) -> Result<DemoLibrary> {
    if db.exists() {
        return Err(LibraryError::invalid(
            "demo library",
            format!("{} exists; pass a new path", db.display()),
        ));
    }
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo".into());
    let files_dir = db.with_file_name(format!("{stem}-files"));
    std::fs::create_dir_all(&files_dir)
        .map_err(|e| LibraryError::io("create the folder", &files_dir, e))?;
    let mut lib = Library::open(db, OpenMode::CreateIfMissing)?;
    let [director, _, artist, _] = TEAM.map(|(name, _)| name);
    for (name, role) in TEAM {
        lib.set_member(name, Some(role), director)?;
    }

    let (takes, cleanups) = add_takes(&mut lib, &files_dir, artist)?;

    add_notes(&mut lib, &takes, &cleanups)?;

    add_statuses(&mut lib, &takes)?;

    add_verdicts(&mut lib, &takes, &cleanups)?;

    // Dailies: the cleanup revisions, then two captures.
    let mut items: Vec<(i64, Option<i64>)> = cleanups.iter().map(|&(t, r)| (t, Some(r))).collect();
    items.extend(
        takes
            .iter()
            .filter(|t| !cleanups.iter().any(|(c, _)| c == *t))
            .take(PLAYLIST_LEN - cleanups.len())
            .map(|&t| (t, None)),
    );
    lib.set_playlist(PLAYLIST, &items, director)?;
    let (events, _) = lib.ledger_head()?;
    Ok(DemoLibrary {
        db: db.to_path_buf(),
        files_dir,
        takes,
        events,
    })
}

/// The takes of every scene, each with its BVH file, and a cleanup revision of each scene's
/// first take: the take ids and the (take id, derived version id) pairs.
fn add_takes(
    lib: &mut Library,
    files_dir: &Path,
    artist: &str,
) -> Result<(Vec<i64>, Vec<(i64, i64)>)> {
    let mut takes = Vec::new();
    let mut cleanups = Vec::new();
    for (s, scene) in SCENES.iter().enumerate() {
        for n in 0..TAKES_PER_SCENE {
            let i = s * TAKES_PER_SCENE + n;
            let name = format!("Scene_{scene}_Take_{:03}", n + 1);
            let path = files_dir.join(format!("{name}.bvh"));
            let file = write_bvh(&path, i, 0.0)?;
            let day = if s < 2 { 0 } else { 1 };
            let take = NewTake {
                name: name.clone(),
                scene: (*scene).to_string(),
                number: Some(n as i64 + 1),
                session: Some((
                    format!("Day {}", day + 1),
                    Some(format!("2026-03-0{}", day + 2)),
                )),
                timing: Some(TakeTiming {
                    duration_frames: FRAMES,
                    rate: FrameRate::FPS_30,
                }),
                captured_utc_ms: Some(DAY1_UTC_MS + day * 86_400_000 + i as i64 * 15 * 60_000),
                description: ACTIONS[i % ACTIONS.len()].to_string(),
                actors: vec![
                    ACTORS[i % ACTORS.len()].to_string(),
                    ACTORS[(i + 1 + s) % ACTORS.len()].to_string(),
                ],
                tags: vec![
                    TAGS[s % TAGS.len()].to_string(),
                    TAGS[(s + 1 + i % 4) % TAGS.len()].to_string(),
                ],
                marker_set: Some("Standard-53".into()),
                character: Some(format!("Hero{}", s + 1)),
                start_timecode: Some(format!("09:{:02}:00:00", i * 15 % 60)),
                files: vec![file],
            };
            let id = lib.add_take(&take, artist)?;
            takes.push(id);
            if n == 0 {
                let out = files_dir.join(format!("{name}.cleanup_v1.bvh"));
                let _cleaned = write_bvh(&out, i, 0.5)?;
                let d = lib.record_derived(
                    &NewDerived {
                        take_id: id,
                        kind: "cleanup".into(),
                        input_sha256: vec![take.files[0].sha256.clone()],
                        operations: serde_json::json!({"filter": "butterworth", "cutoff_hz": 6, "gap_fill": "spline"}),
                        output_path: out,
                        author: artist.into(),
                    },
                    None,
                )?;
                cleanups.push((id, d.id));
            }
        }
    }
    Ok((takes, cleanups))
}

/// Notes on every take, and a client question with the artist's reply on every cleanup.
fn add_notes(lib: &mut Library, takes: &[i64], cleanups: &[(i64, i64)]) -> Result<()> {
    let [director, supervisor, artist, client] = TEAM.map(|(name, _)| name);
    for (k, &take_id) in takes.iter().enumerate() {
        let author = if k % 2 == 0 { supervisor } else { director };
        let start = (k as u64 * 13) % (FRAMES - 20);
        lib.add_note(
            &NewNote {
                take_id,
                reply_to: None,
                frame_start: Some(start),
                frame_end: Some(start + 12),
                author: author.into(),
                text: format!(
                    "{}: check the {} here",
                    if k % 2 == 0 { "Foot slide" } else { "Timing" },
                    ["left foot", "right hand", "head turn"][k % 3]
                ),
            },
            None,
        )?;
    }
    for &(take_id, _) in cleanups {
        let (question, _) = lib.add_note(
            &NewNote {
                take_id,
                reply_to: None,
                frame_start: Some(40),
                frame_end: Some(64),
                author: client.into(),
                text: "Can the landing read heavier? @Kai".into(),
            },
            None,
        )?;
        lib.add_note(
            &NewNote {
                take_id,
                reply_to: Some(question.id),
                frame_start: None,
                frame_end: None,
                author: artist.into(),
                text: "Done in cleanup v1: weight shift from frame 48".into(),
            },
            None,
        )?;
        if take_id == takes[0] {
            lib.set_note_resolved(question.id, true, client, None)?;
        }
    }
    Ok(())
}

/// Status history: circled on set, sent back, then the director's decision.
fn add_statuses(lib: &mut Library, takes: &[i64]) -> Result<()> {
    let [director, supervisor, artist, _] = TEAM.map(|(name, _)| name);
    for (k, &take_id) in takes.iter().enumerate() {
        lib.set_status(
            take_id,
            TakeStatus::Circled,
            artist,
            Some("circled on set"),
            None,
        )?;
        match k % 3 {
            0 => {
                lib.set_status(
                    take_id,
                    TakeStatus::NeedsFix,
                    supervisor,
                    Some("foot slide; see notes"),
                    None,
                )?;
                lib.set_status(
                    take_id,
                    TakeStatus::Approved,
                    director,
                    Some("cleanup v1 approved"),
                    None,
                )?;
            }
            1 => {}
            _ => {
                lib.set_status(
                    take_id,
                    TakeStatus::Rejected,
                    director,
                    Some("retake: performance"),
                    None,
                )?;
            }
        }
    }
    Ok(())
}

/// Verdicts: three reviewers on every cleanup revision, one on the other takes.
fn add_verdicts(lib: &mut Library, takes: &[i64], cleanups: &[(i64, i64)]) -> Result<()> {
    let [director, supervisor, _, client] = TEAM.map(|(name, _)| name);
    for &(take_id, rev) in cleanups {
        lib.set_verdict(
            take_id,
            Some(rev),
            supervisor,
            Verdict::Approve,
            Some("clean contacts"),
            None,
        )?;
        lib.set_verdict(
            take_id,
            Some(rev),
            client,
            Verdict::Changes,
            Some("landing too light"),
            None,
        )?;
        lib.set_verdict(
            take_id,
            Some(rev),
            director,
            Verdict::Approve,
            Some("final"),
            None,
        )?;
    }
    for (k, &take_id) in takes.iter().enumerate() {
        if cleanups.iter().any(|&(t, _)| t == take_id) {
            continue;
        }
        let (verdict, comment) = if k % 3 == 2 {
            (Verdict::Reject, "retake")
        } else {
            (Verdict::Changes, "needs cleanup")
        };
        lib.set_verdict(take_id, None, supervisor, verdict, Some(comment), None)?;
    }
    Ok(())
}

/// Writes a small BVH (hips, spine, head, one arm; [`FRAMES`] frames at 30 fps, centimetres)
/// whose motion depends on `variant`; `smooth` in 0..1 damps it (a "cleanup"). Returns the file
/// to attach.
fn write_bvh(path: &Path, variant: usize, smooth: f64) -> Result<NewFile> {
    let mut text = String::from(
        "HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0 0\n  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n  JOINT Spine\n  {\n    OFFSET 0 10 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n    JOINT Head\n    {\n      OFFSET 0 50 0\n      CHANNELS 3 Zrotation Xrotation Yrotation\n      End Site\n      {\n        OFFSET 0 15 0\n      }\n    }\n    JOINT LeftArm\n    {\n      OFFSET 15 45 0\n      CHANNELS 3 Zrotation Xrotation Yrotation\n      End Site\n      {\n        OFFSET 30 0 0\n      }\n    }\n  }\n}\n",
    );
    text.push_str(&format!(
        "MOTION\nFrames: {FRAMES}\nFrame Time: 0.0333333\n"
    ));
    let amp = (10.0 + variant as f64 * 2.0) * (1.0 - 0.5 * smooth);
    for f in 0..FRAMES {
        let t = f as f64 / 30.0;
        let phase = t * std::f64::consts::TAU * (0.5 + variant as f64 * 0.05);
        let x = t * 40.0;
        let y = 95.0 + 2.0 * phase.sin();
        let spine = amp * 0.3 * phase.cos();
        let head = amp * 0.5 * (phase * 0.5).sin();
        let arm = amp * 3.0 * phase.sin();
        text.push_str(&format!(
            "{x:.3} {y:.3} 0.000 0.000 0.000 {:.3} {spine:.3} 0.000 0.000 {head:.3} 0.000 0.000 {arm:.3} 0.000 0.000\n",
            amp * 0.2 * phase.sin()
        ));
    }
    std::fs::write(path, &text).map_err(|e| LibraryError::io("write", path, e))?;
    let (sha256, size_bytes) = crate::util::hash_file(path)?;
    Ok(NewFile {
        kind: FileKind::Bvh,
        path: path.to_string_lossy().into_owned(),
        sha256,
        size_bytes,
    })
}
