//! `mocap farm run --engine slurm` against a real Slurm (`.ci/run` starts a single-node one and
//! sets `MOCAP_SLURM=1` and `SLURM_CONF`; locally: `eval "$(bash .ci/slurm.sh start)"`). Without
//! it these tests skip, and fail under `CI=true`. Also the OpenCue job `cuecmd --pretend` shows.

mod common;

use common::{ok, write_takes};
use std::path::Path;
use std::process::{Command, Output};

fn mocap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
}

/// True when a Slurm controller answers (`MOCAP_SLURM=1` and `sbatch` on PATH); otherwise a
/// recorded skip (a failure under CI).
fn slurm() -> bool {
    if std::env::var_os("MOCAP_SLURM").is_none() {
        mocap_testkit::skip(
            "peer",
            "no Slurm: MOCAP_SLURM is unset (start one with `eval \"$(bash .ci/slurm.sh start)\"`)",
        );
        return false;
    }
    mocap_testkit::tool("sbatch").is_some() && mocap_testkit::tool("squeue").is_some()
}

fn plan(takes: &Path, plan: &Path, steps: &str) {
    ok(mocap()
        .args(["farm", "plan"])
        .arg(takes)
        .args(["--steps", steps, "--calibration-frames", "20", "-o"])
        .arg(plan));
}

fn run(plan: &Path, engine: &str, retries: u32) -> (Output, serde_json::Value) {
    let out = mocap()
        .args(["farm", "run"])
        .arg(plan)
        .args([
            "--engine",
            engine,
            "--max-retries",
            &retries.to_string(),
            "--timeout",
            "900",
        ])
        .output()
        .expect("run mocap");
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no report ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        )
    });
    (out, report)
}

#[test]
fn twenty_takes_solved_through_slurm_equal_local_runs_byte_for_byte() {
    if !slurm() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let takes = tmp.path().join("capture");
    let files = write_takes(&takes, 20, 30);
    let (local, farm) = (tmp.path().join("local.json"), tmp.path().join("slurm.json"));
    plan(&takes, &local, "solve,export");
    plan(&takes, &farm, "solve,export");
    let (out, r) = run(&local, "local", 0);
    assert!(out.status.success(), "{r}");
    let (out, r) = run(&farm, "slurm", 0);
    assert!(out.status.success(), "{r}");
    assert_eq!(r["submitted"], 40);
    assert_eq!(r["recorded"].as_array().map(Vec::len), Some(40), "{r}");
    for f in &files {
        let name = f.file_stem().and_then(|s| s.to_str()).expect("name");
        for ext in ["bvh", "glb"] {
            let a = std::fs::read(tmp.path().join(format!("local.out/{name}/{name}.{ext}")))
                .expect("local");
            let b = std::fs::read(tmp.path().join(format!("slurm.out/{name}/{name}.{ext}")))
                .expect("slurm");
            assert!(
                a == b,
                "{name}.{ext} differs between the local and the Slurm run"
            );
        }
    }
    // Recorded with Slurm's job ids; running the plan again submits nothing.
    let records: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("slurm.out/farm-results.json")).expect("records"),
    )
    .expect("records json");
    let ids: Vec<&str> = records
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["operations"]["farm"]["job_id"].as_str().expect("job id"))
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.split_once('_').is_some_and(|(a, b)| {
                a.chars().all(|c| c.is_ascii_digit()) && b.chars().all(|c| c.is_ascii_digit())
            })),
        "{ids:?}"
    );
    let (out, r) = run(&farm, "slurm", 0);
    assert!(out.status.success());
    assert_eq!(
        (r["submitted"].clone(), r["up_to_date"].clone()),
        (0.into(), 40.into()),
        "{r}"
    );
}

#[test]
fn slurm_retries_a_flaky_job_and_reports_one_that_always_fails() {
    if !slurm() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let takes = tmp.path().join("capture");
    let files = write_takes(&takes, 3, 30);
    let plan_path = tmp.path().join("plan.json");
    plan(&takes, &plan_path, "solve,export");
    // Walk_01's solve fails on its first attempt (a flag file decides), then runs as planned.
    let flag = tmp.path().join("failed-once");
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan_path).expect("plan")).expect("json");
    for job in p["jobs"].as_array_mut().expect("jobs") {
        if job["id"] == "Walk_01/solve" {
            let program = job["program"].clone();
            let mut args = vec![
                serde_json::json!("-c"),
                serde_json::json!(format!(
                    "if [ -e '{}' ]; then exec \"$0\" \"$@\"; else touch '{}'; echo planned failure >&2; exit 3; fi",
                    flag.display(),
                    flag.display()
                )),
                program,
            ];
            args.extend(job["args"].as_array().expect("args").iter().cloned());
            job["program"] = "/bin/sh".into();
            job["args"] = args.into();
        }
    }
    std::fs::write(&plan_path, serde_json::to_string(&p).expect("json")).expect("write plan");
    // Walk_02's take is broken after planning: its solve fails every time.
    std::fs::write(&files[1], b"not a C3D file").expect("break take");

    let (out, r) = run(&plan_path, "slurm", 1);
    assert!(!out.status.success(), "a failed job fails the run: {r}");
    let failed = r["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 1, "{r}");
    assert_eq!(failed[0]["job"], "Walk_02/solve");
    assert_eq!(failed[0]["attempts"], 2);
    let tail = failed[0]["log_tail"].as_str().expect("log tail");
    assert!(
        tail.contains("Walk_02.c3d") && tail.contains("attempt 2"),
        "{tail}"
    );
    assert!(Path::new(failed[0]["log"].as_str().expect("log")).is_file());
    assert_eq!(r["not_run"], serde_json::json!(["Walk_02/export"]));
    let mut done: Vec<&str> = r["succeeded"]
        .as_array()
        .expect("succeeded")
        .iter()
        .map(|s| s.as_str().expect("id"))
        .collect();
    done.sort_unstable();
    assert_eq!(
        done,
        [
            "Walk_01/export",
            "Walk_01/solve",
            "Walk_03/export",
            "Walk_03/solve"
        ]
    );
    let status: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("plan.farm/status/Walk_01_solve.json"))
            .expect("status"),
    )
    .expect("status json");
    assert_eq!(
        status["attempts"], 2,
        "failed once, then succeeded: {status}"
    );
    let log = std::fs::read_to_string(status["log"].as_str().expect("log")).expect("log");
    assert!(log.contains("planned failure"), "{log}");
}

#[test]
fn opencue_pretend_shows_the_job_it_would_submit() {
    let Some(py) = mocap_testkit::python_module("cuecmd") else {
        return;
    };
    let cuecmd = py.with_file_name("cuecmd");
    let tmp = tempfile::tempdir().expect("tmp");
    let takes = tmp.path().join("capture");
    write_takes(&takes, 2, 30);
    let plan_path = tmp.path().join("plan.json");
    plan(&takes, &plan_path, "solve,export");
    let out = mocap()
        .args(["farm", "run"])
        .arg(&plan_path)
        .args(["--engine", "opencue", "--pretend"])
        .env("MOCAP_CUECMD", &cuecmd)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).expect("report");
    let subs = r["submissions"].as_array().expect("submissions");
    assert_eq!(
        subs.len(),
        2,
        "one cuecmd job per level (solve, export): {r}"
    );
    let level0 =
        std::fs::read_to_string(tmp.path().join("plan.farm/opencue/level-0.cmds")).expect("cmds");
    let lines: Vec<&str> = level0.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains("farm exec") && lines[0].contains("Walk_01/solve"),
        "{level0}"
    );
    assert!(
        subs[0].as_str().expect("text").contains("plan-level0"),
        "{}",
        subs[0]
    );
    // Nothing ran: no output, no status.
    assert!(!tmp.path().join("plan.out/Walk_01/Walk_01.bvh").exists());
}

#[test]
fn chunked_solve_through_slurm_equals_the_local_chunked_solve() {
    if !slurm() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let takes = tmp.path().join("capture");
    write_takes(&takes, 1, 600);
    for name in ["local", "slurm"] {
        ok(mocap()
            .args(["farm", "plan"])
            .arg(&takes)
            .args([
                "--steps",
                "solve",
                "--calibration-frames",
                "20",
                "--chunk-frames",
                "256",
                "-o",
            ])
            .arg(tmp.path().join(format!("{name}.json"))));
    }
    let (out, r) = run(&tmp.path().join("local.json"), "local", 0);
    assert!(out.status.success(), "{r}");
    // Calibration, 3 chunks (an array waiting for the calibration) and the stitch (waiting for
    // the whole chunk array).
    let (out, r) = run(&tmp.path().join("slurm.json"), "slurm", 0);
    assert!(out.status.success(), "{r}");
    assert_eq!(r["submitted"], 5, "{r}");
    assert_eq!(r["recorded"].as_array().map(Vec::len), Some(1), "{r}");
    let a = std::fs::read(tmp.path().join("local.out/Walk_01/Walk_01.bvh")).expect("local");
    let b = std::fs::read(tmp.path().join("slurm.out/Walk_01/Walk_01.bvh")).expect("slurm");
    assert!(a == b, "the stitched solves differ");
}
