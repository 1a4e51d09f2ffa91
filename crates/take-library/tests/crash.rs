//! A writer process is killed (SIGKILL) at random points during saves, 200 times (each after its
//! first one to three commits, so the test does not depend on the machine's speed); every note and
//! status change it reported as committed must survive, and the library must open and verify.
//!
//! The writer is this test binary itself, re-run with `--ignored --exact crash_writer_child` and
//! the library path in `TAKE_LIBRARY_CRASH_DB`; it prints `COMMIT …` after each commit.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use take_library::{Library, NewNote, OpenMode, TakeStatus};

const RUNS: usize = 200;

/// The writer (only does something when started by `writer_killed_at_random_points`).
#[test]
#[ignore = "helper process for writer_killed_at_random_points"]
fn crash_writer_child() {
    let db = std::env::var("TAKE_LIBRARY_CRASH_DB").expect("run by writer_killed_at_random_points");
    let run: u64 = std::env::var("TAKE_LIBRARY_CRASH_RUN")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0);
    let mut lib = Library::open(std::path::Path::new(&db), OpenMode::MustExist).expect("open");
    let ids: Vec<i64> = lib
        .all_takes()
        .expect("takes")
        .iter()
        .map(|t| t.summary.id)
        .collect();
    println!("READY");
    for i in 0.. {
        let id = ids[i % ids.len()];
        if i % 3 == 2 {
            let status = TakeStatus::ALL[(i + run as usize) % 5];
            let (_, event) = lib
                .set_status(id, status, "writer", None, None)
                .expect("status");
            println!("COMMIT status {} {} {}", event.seq, id, status);
        } else {
            let text = format!("run {run} note {i}: {}", "x".repeat(i % 50));
            let (note, _) = lib
                .add_note(
                    &NewNote {
                        take_id: id,
                        reply_to: None,
                        frame_start: Some(i as u64),
                        frame_end: None,
                        author: "writer".into(),
                        text,
                    },
                    None,
                )
                .expect("note");
            println!("COMMIT note {} {} {}", note.id, id, note.text);
        }
    }
}

#[test]
fn writer_killed_at_random_points() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = common::build_library_signing(dir.path(), 3, 0);
    let exe = std::env::current_exe().expect("test binary");
    let mut rng = fastrand::Rng::with_seed(0xc0ffee);
    let start = Instant::now();
    let (mut notes, mut statuses) = (0usize, 0usize);
    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("TAKE_LIBRARY_CRASH_DB", &db)
            .env("TAKE_LIBRARY_CRASH_RUN", run.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let pump = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until the writer is ready to save (libtest prints a header first), then kill it
        // after a random delay.
        let mut lines: Vec<String> = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(20)) {
                // libtest prints `test crash_writer_child ... ` without a newline before it.
                Ok(l) if l.ends_with("READY") => break,
                Ok(l) => lines.push(l),
                Err(e) => {
                    panic!("run {run}: the writer never became ready ({e}); output: {lines:?}")
                }
            }
        }
        // Let the writer commit one to three times first, however slow the machine is (a fixed
        // delay alone commits nothing on a loaded machine), then kill it after a random delay,
        // at a random point of a later save.
        let want = rng.usize(1..=3);
        let mut seen = 0;
        while seen < want {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => {
                    seen += usize::from(l.starts_with("COMMIT "));
                    lines.push(l);
                }
                Err(e) => {
                    panic!("run {run}: the writer committed nothing ({e}); output: {lines:?}")
                }
            }
        }
        std::thread::sleep(Duration::from_micros(rng.u64(0..40_000)));
        child.kill().expect("kill -9 writer");
        child.wait().expect("reap writer");
        pump.join().expect("pump");
        lines.extend(rx.try_iter());
        let committed: Vec<&String> = lines.iter().filter(|l| l.starts_with("COMMIT ")).collect();

        let mut lib = Library::open(&db, OpenMode::MustExist).expect("library opens after a kill");
        let report = lib.verify(false).expect("verify");
        assert!(report.is_intact(), "run {run}: {:?}", report.problems);
        for line in committed {
            let mut parts = line.splitn(5, ' ');
            let (_, what, id, take) = (parts.next(), parts.next(), parts.next(), parts.next());
            let rest = parts.next().unwrap_or_default();
            let id: i64 = id.and_then(|s| s.parse().ok()).expect("id");
            let take: i64 = take.and_then(|s| s.parse().ok()).expect("take");
            match what {
                Some("note") => {
                    let detail = lib.take(take).expect("take");
                    let note = detail.notes.iter().find(|n| n.id == id);
                    assert_eq!(
                        note.map(|n| n.text.as_str()),
                        Some(rest),
                        "run {run}: committed note {id} lost"
                    );
                    notes += 1;
                }
                Some("status") => {
                    let events = lib.events(Some(take)).expect("events");
                    let e = events
                        .iter()
                        .find(|e| e.seq == id)
                        .expect("committed status event lost");
                    assert!(
                        e.body.contains(&format!("\"to\":\"{rest}\"")),
                        "run {run}: {}",
                        e.body
                    );
                    statuses += 1;
                }
                other => panic!("unexpected line {other:?}"),
            }
        }
    }
    assert!(
        notes >= RUNS && statuses >= RUNS / 4,
        "the writer committed too little to test: {notes} notes, {statuses} statuses"
    );
    let mut lib = Library::open(&db, OpenMode::MustExist).expect("open");
    assert!(lib.verify(true).expect("verify").is_intact());
    eprintln!(
        "{RUNS} kills in {:?}: {notes} committed notes and {statuses} statuses checked",
        start.elapsed()
    );
}
