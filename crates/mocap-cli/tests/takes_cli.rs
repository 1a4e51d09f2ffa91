//! `mocap takes` end to end: the CLI contract scripts rely on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mocap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

fn ok(args: &[&str]) -> String {
    let out = mocap(args);
    assert!(
        out.status.success(),
        "mocap {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail cleanly: exit 1 and one `error: …` line.
fn fails(args: &[&str]) -> String {
    let out = mocap(args);
    assert_eq!(out.status.code(), Some(1), "mocap {args:?} should exit 1");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert!(!err.contains("internal error"), "panicked: {err}");
    err
}

fn write_bytes(path: &Path, seed: u8, len: usize) {
    let bytes: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    std::fs::write(path, bytes).expect("write");
}

fn capture(root: &Path) -> PathBuf {
    let day = root.join("cap").join("day1");
    std::fs::create_dir_all(&day).expect("mkdir");
    write_bytes(&day.join("Scene_012_Take_003.wav"), 1, 4000);
    write_bytes(&day.join("S012_T003.srt"), 2, 300);
    write_bytes(&day.join("Scene_012_Take_004.wav"), 3, 4000);
    root.join("cap")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn import_list_status_note_verify_evidence() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db = dir.path().join("takes.db");
    let db = s(&db);
    let out = ok(&["takes", "--db", db, "import", s(&cap)]);
    assert!(out.contains("2 take(s) added"), "{out}");
    let out = ok(&["takes", "--db", db, "import", s(&cap)]);
    assert!(
        out.contains("0 take(s) added, 0 file(s) added, 3 unchanged"),
        "{out}"
    );

    ok(&[
        "takes",
        "--db",
        db,
        "status",
        "Scene_012_Take_003",
        "approved",
        "--by",
        "director",
        "--comment",
        "great",
    ]);
    let key = dir.path().join("me.key");
    ok(&["takes", "keygen", "-o", s(&key)]);
    ok(&[
        "takes",
        "--db",
        db,
        "status",
        "2",
        "needs-fix",
        "--by",
        "director",
        "--key",
        s(&key),
    ]);
    ok(&[
        "takes",
        "--db",
        db,
        "note",
        "Scene_012_Take_003",
        "--frame",
        "12",
        "--to",
        "40",
        "--by",
        "anim",
        "knee pops",
    ]);

    let list: serde_json::Value =
        serde_json::from_str(&ok(&["takes", "--db", db, "list", "--json"])).expect("json");
    let takes = list.as_array().expect("array of takes");
    assert_eq!(takes.len(), 2);
    let t = &takes[0];
    assert_eq!(t["name"], "Scene_012_Take_003");
    assert_eq!(t["scene"], "012");
    assert_eq!(t["status"], "approved");
    assert!(t["id"].is_i64());
    assert_eq!(t["files"].as_array().map(Vec::len), Some(2));
    for f in t["files"].as_array().expect("files") {
        assert_eq!(f["sha256"].as_str().map(str::len), Some(64));
    }
    assert_eq!(t["notes"][0]["frame_start"], 12);
    assert_eq!(t["notes"][0]["frame_end"], 40);
    assert_eq!(t["notes"][0]["author"], "anim");
    assert_eq!(t["notes"][0]["text"], "knee pops");
    assert_eq!(takes[1]["status"], "needs-fix");
    let filtered: serde_json::Value = serde_json::from_str(&ok(&[
        "takes",
        "--db",
        db,
        "list",
        "--json",
        "--status",
        "needs-fix",
    ]))
    .expect("json");
    assert_eq!(filtered.as_array().map(Vec::len), Some(1));

    let out = ok(&["takes", "--db", db, "verify"]);
    assert!(out.contains("ledger intact"), "{out}");

    let log: serde_json::Value =
        serde_json::from_str(&ok(&["takes", "--db", db, "log", "2", "--json"])).expect("json");
    let log = log.as_array().expect("events");
    assert_eq!(log.len(), 2, "registered + signed status: {log:?}");
    assert!(log[1]["body"].as_str().expect("body").contains("needs-fix"));
    assert_eq!(log[1]["signature"].as_str().map(str::len), Some(128));

    let report = dir.path().join("report.html");
    ok(&[
        "takes",
        "--db",
        db,
        "report",
        "--scene",
        "12",
        "-o",
        s(&report),
    ]);
    let html = std::fs::read_to_string(&report).expect("report");
    assert!(html.contains("Scene_012_Take_003") && html.contains("knee pops"));
    assert!(html.contains("class=\"needs-fix\""));
    fails(&[
        "takes",
        "--db",
        db,
        "report",
        "--scene",
        "99",
        "-o",
        s(&report),
    ]);

    let manifest = dir.path().join("manifest.json");
    ok(&[
        "takes",
        "--db",
        db,
        "evidence",
        "Scene_012_Take_003",
        "-o",
        s(&manifest),
    ]);
    let out = ok(&["takes", "evidence", "--verify", s(&manifest)]);
    assert!(out.contains("evidence intact"), "{out}");
    ok(&["takes", "--db", db, "evidence", "--verify", s(&manifest)]);
    // Against another library, the manifest is refused.
    let other = dir.path().join("other.db");
    ok(&["takes", "--db", s(&other), "import", s(&cap)]);
    let err = fails(&[
        "takes",
        "--db",
        s(&other),
        "evidence",
        "--verify",
        s(&manifest),
    ]);
    assert!(err.contains("comes from library"), "{err}");
    // The manifest's chain head anchors the ledger: it must stay in the chain.
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("read")).expect("json");
    let head = m["chain_head"]["hash"].as_str().expect("head").to_string();
    ok(&[
        "takes",
        "--db",
        db,
        "verify",
        "--no-files",
        "--anchor",
        &head,
    ]);
    let err = fails(&[
        "takes",
        "--db",
        db,
        "verify",
        "--no-files",
        "--anchor",
        &"0".repeat(64),
    ]);
    assert!(err.contains("anchor"), "{err}");

    // A changed take file: verify and the manifest check both fail naming it.
    let wav = cap.join("day1").join("Scene_012_Take_003.wav");
    write_bytes(&wav, 9, 4000);
    let err = fails(&["takes", "--db", db, "verify"]);
    assert!(err.contains("Scene_012_Take_003.wav"), "{err}");
    let err = fails(&["takes", "evidence", "--verify", s(&manifest)]);
    assert!(err.contains("Scene_012_Take_003.wav"), "{err}");
    // Re-importing records the change; the ledger is intact again.
    let out = ok(&["takes", "--db", db, "import", s(&cap)]);
    assert!(out.contains("1 changed"), "{out}");
    ok(&["takes", "--db", db, "verify"]);
}

#[test]
fn verify_names_the_first_bad_event() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db_path = dir.path().join("takes.db");
    let db = s(&db_path);
    ok(&["takes", "--db", db, "import", s(&cap)]);
    for status in ["circled", "approved", "rejected"] {
        ok(&["takes", "--db", db, "status", "1", status, "--by", "d"]);
    }
    // Rewrite the author of event #4 with raw SQL, as a forger would.
    let c = rusqlite::Connection::open(&db_path).expect("sqlite");
    c.execute("UPDATE ledger SET author = 'mallory' WHERE seq = 4", [])
        .expect("tamper");
    drop(c);
    let err = fails(&["takes", "--db", db, "verify"]);
    assert!(err.contains("event #4"), "{err}");
}

#[test]
fn errors_exit_1_without_touching_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db_path = dir.path().join("takes.db");
    let db = s(&db_path);
    ok(&["takes", "--db", db, "import", s(&cap)]);
    fails(&[
        "takes",
        "--db",
        db,
        "status",
        "no-such-take",
        "approved",
        "--by",
        "d",
    ]);
    fails(&["takes", "--db", db, "status", "1", "brilliant", "--by", "d"]);
    fails(&[
        "takes", "--db", db, "note", "1", "--frame", "9", "--to", "3", "--by", "d", "x",
    ]);
    fails(&["takes", "--db", db, "note", "1", "--by", "d", "no frame"]);
    fails(&[
        "takes",
        "--db",
        db,
        "status",
        "1",
        "approved",
        "--by",
        "d",
        "--key",
        s(&dir.path().join("none.key")),
    ]);
    fails(&["takes", "list", "--json"]);
    fails(&["takes", "--db", s(&dir.path().join("absent.db")), "list"]);
    assert!(!dir.path().join("absent.db").exists());
    fails(&[
        "takes",
        "evidence",
        "--verify",
        s(&dir.path().join("absent.json")),
    ]);

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database").expect("write");
    let err = fails(&["takes", "--db", s(&text), "import", s(&cap)]);
    assert!(err.contains("not a take library"), "{err}");
    assert_eq!(std::fs::read(&text).expect("read"), b"not a database");

    let foreign = dir.path().join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&foreign).expect("sqlite");
        c.execute_batch("CREATE TABLE invoices(id INTEGER PRIMARY KEY)")
            .expect("create");
    }
    let before = std::fs::read(&foreign).expect("read");
    let err = fails(&["takes", "--db", s(&foreign), "list"]);
    assert!(err.contains("another application"), "{err}");
    assert_eq!(std::fs::read(&foreign).expect("read"), before);
}

#[test]
fn real_files_get_duration_from_the_readers() {
    let Some(data) = mocap_testkit::data_dir() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = dir.path().join("cap");
    std::fs::create_dir_all(&cap).expect("mkdir");
    let c3d = data.join("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d");
    let bvh = data.join("bvh/bandai_dataset-1_kick_normal_001.bvh");
    for f in [&c3d, &bvh] {
        assert!(f.exists(), "missing test data file {}", f.display());
    }
    std::fs::copy(&c3d, cap.join("walk_01.c3d")).expect("copy");
    std::fs::copy(&bvh, cap.join("kick_01.bvh")).expect("copy");
    let db_path = dir.path().join("takes.db");
    let db = s(&db_path);
    ok(&["takes", "--db", db, "import", s(&cap)]);
    let list: serde_json::Value =
        serde_json::from_str(&ok(&["takes", "--db", db, "list", "--json"])).expect("json");
    let by_name = |n: &str| {
        list.as_array()
            .and_then(|a| a.iter().find(|t| t["name"] == n))
            .cloned()
            .expect("take")
    };
    // Frame counts and rates from the data set's PROVENANCE.md.
    let walk = by_name("walk_01");
    assert_eq!(walk["duration_frames"], 378);
    assert_eq!(walk["rate_fps"], "120");
    let kick = by_name("kick_01");
    assert_eq!(kick["duration_frames"], 358);
    assert_eq!(kick["rate_fps"], "30");
}

/// A fresh database on the PostgreSQL server of `MOCAP_TEST_POSTGRES` (skips locally without it,
/// fails under `CI=true`).
fn fresh_postgres(tag: &str) -> Option<String> {
    let server = match std::env::var("MOCAP_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => url.trim().to_string(),
        _ => {
            mocap_testkit::skip(
                "peer",
                "MOCAP_TEST_POSTGRES is not set (a postgres:// URL of a server that may create databases; `.ci/run` starts one)",
            );
            return None;
        }
    };
    let name = format!("cli_{tag}_{}", std::process::id());
    let mut admin = postgres::Client::connect(&server, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (server.clone(), String::new()),
    };
    let root = base.rsplit_once('/').map_or(base.as_str(), |(r, _)| r);
    Some(format!("{root}/{name}{query}"))
}

fn review_state(list_json: &str) -> Vec<(String, String, Vec<String>)> {
    let v: serde_json::Value = serde_json::from_str(list_json).expect("list --json");
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or_default().to_string(),
                t["status"].as_str().unwrap_or_default().to_string(),
                t["notes"]
                    .as_array()
                    .map(|n| {
                        n.iter()
                            .map(|n| n["text"].as_str().unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn migrate_sqlite_to_postgres_and_back_verifies_both_sides() {
    let Some(url) = fresh_postgres("migrate") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db = dir.path().join("takes.db");
    let db = s(&db);
    ok(&["takes", "--db", db, "import", s(&cap), "--by", "ingest"]);
    ok(&[
        "takes",
        "--db",
        db,
        "status",
        "Scene_012_Take_003",
        "approved",
        "--by",
        "director",
    ]);
    ok(&[
        "takes",
        "--db",
        db,
        "note",
        "Scene_012_Take_004",
        "--frame",
        "0",
        "--by",
        "anna",
        "hand pops",
    ]);
    let out = ok(&["takes", "migrate", "--from", db, "--to", &url, "--json"]);
    let r: serde_json::Value = serde_json::from_str(&out).expect("report json");
    assert_eq!(r["from_head"], r["to_head"], "{out}");
    assert!(r["events"].as_u64().unwrap_or(0) >= 4, "{out}");
    assert_eq!(r["to_problems"].as_array().map(Vec::len), Some(0), "{out}");
    // The team library answers like the file, and keeps working.
    let lite = review_state(&ok(&["takes", "--db", db, "list", "--json"]));
    let team = review_state(&ok(&["takes", "--db", &url, "list", "--json"]));
    assert_eq!(lite, team);
    ok(&["takes", "--db", &url, "verify"]);
    ok(&[
        "takes",
        "--db",
        &url,
        "note",
        "Scene_012_Take_003",
        "--frame",
        "1",
        "--by",
        "dir",
        "good",
    ]);
    let found = ok(&["takes", "--db", &url, "list", "--text", "pops"]);
    assert!(found.contains("Scene_012_Take_004"), "{found}");
    // A second copy into the now non-empty database is refused.
    let err = fails(&["takes", "migrate", "--from", db, "--to", &url]);
    assert!(err.contains("empty"), "{err}");
    // And back into a new file.
    let back = dir.path().join("back.db");
    ok(&["takes", "migrate", "--from", &url, "--to", s(&back)]);
    ok(&["takes", "--db", s(&back), "verify"]);
    let back_state = review_state(&ok(&["takes", "--db", s(&back), "list", "--json"]));
    assert_eq!(
        back_state,
        review_state(&ok(&["takes", "--db", &url, "list", "--json"]))
    );
}

#[test]
fn review_team_roles_are_enforced_by_the_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db = dir.path().join("takes.db");
    let db = s(&db);
    ok(&["takes", "--db", db, "import", s(&cap)]);
    ok(&[
        "takes", "--db", db, "member", "dana", "--role", "director", "--by", "producer",
    ]);
    ok(&[
        "takes",
        "--db",
        db,
        "member",
        "sam",
        "--role",
        "supervisor",
        "--by",
        "dana",
    ]);
    let err = fails(&[
        "takes",
        "--db",
        db,
        "status",
        "Scene_012_Take_003",
        "approved",
        "--by",
        "sam",
    ]);
    assert!(err.contains("supervisor"), "{err}");
    let err = fails(&[
        "takes",
        "--db",
        db,
        "grant",
        "supervisor",
        "approved",
        "--by",
        "sam",
    ]);
    assert!(err.contains("director"), "{err}");
    let out = ok(&[
        "takes",
        "--db",
        db,
        "grant",
        "supervisor",
        "approved",
        "--by",
        "dana",
    ]);
    assert!(out.contains("approved"), "{out}");
    ok(&[
        "takes",
        "--db",
        db,
        "status",
        "Scene_012_Take_003",
        "approved",
        "--by",
        "sam",
    ]);
    ok(&[
        "takes", "--db", db, "member", "sam", "--remove", "--by", "dana",
    ]);
    fails(&[
        "takes",
        "--db",
        db,
        "status",
        "Scene_012_Take_003",
        "circled",
        "--by",
        "sam",
    ]);
    ok(&["takes", "--db", db, "verify"]);
}

#[test]
fn verdicts_and_dailies_from_the_cli() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cap = capture(dir.path());
    let db = dir.path().join("takes.db");
    let db = s(&db);
    ok(&["takes", "--db", db, "import", s(&cap)]);
    ok(&[
        "takes",
        "--db",
        db,
        "verdict",
        "Scene_012_Take_004",
        "changes",
        "--by",
        "sam",
        "--comment",
        "knee pops",
    ]);
    fails(&[
        "takes",
        "--db",
        db,
        "verdict",
        "Scene_012_Take_004",
        "maybe",
        "--by",
        "sam",
    ]);
    ok(&[
        "takes",
        "--db",
        db,
        "dailies",
        "day1",
        "Scene_012_Take_004",
        "Scene_012_Take_003",
        "--by",
        "sam",
    ]);
    let html = dir.path().join("dailies.html");
    ok(&[
        "takes",
        "--db",
        db,
        "report",
        "--dailies",
        "day1",
        "-o",
        s(&html),
    ]);
    let text = std::fs::read_to_string(&html).expect("html");
    let a = text.find("Scene_012_Take_004").expect("first entry");
    let b = text.find("Scene_012_Take_003").expect("second entry");
    assert!(a < b && text.contains("knee pops"), "{text}");
    ok(&["takes", "--db", db, "verify"]);
}

#[test]
fn demo_library_from_the_cli_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("demo.db");
    let out = ok(&["takes", "demo", "--db", s(&db)]);
    assert!(out.contains("9 takes"), "{out}");
    let verify = ok(&["takes", "verify", "--db", s(&db)]);
    assert!(verify.contains("ledger intact"), "{verify}");
    assert!(verify.contains("9 file(s) re-hashed"), "{verify}");
    let list: serde_json::Value =
        serde_json::from_str(&ok(&["takes", "list", "--db", s(&db), "--json"])).expect("json");
    let takes = list.as_array().expect("a list of takes");
    assert_eq!(takes.len(), 9);
    assert!(
        takes
            .iter()
            .all(|t| !t["notes"].as_array().expect("notes").is_empty())
    );
    // Never over an existing library.
    let err = fails(&["takes", "demo", "--db", s(&db)]);
    assert!(err.contains("exists"), "{err}");
}
