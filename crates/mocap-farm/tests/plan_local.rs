//! Plans, the folder store and the local engine with shell jobs (no `mocap` binary needed).

use mocap_farm::engine::{Engine, RunOptions};
use mocap_farm::plan::{Job, PLAN_FORMAT, Plan, PlanRequest, Step, StepOptions, TakeInput};
use mocap_farm::store::StoreSpec;
use std::path::{Path, PathBuf};

fn request(dir: &Path, n: usize, steps: &[Step]) -> PlanRequest {
    let takes = (0..n)
        .map(|i| {
            let p = dir.join(format!("take{i}.c3d"));
            std::fs::write(&p, format!("markers {i}")).expect("take");
            TakeInput {
                name: format!("take{i}"),
                take_id: None,
                path: p,
                frames: Some(100),
            }
        })
        .collect();
    PlanRequest {
        takes,
        steps: steps.to_vec(),
        options: StepOptions::default(),
        out_dir: dir.join("out"),
        work_dir: dir.join("work"),
        program: PathBuf::from("/bin/true"),
        tool_version: "test 1".into(),
        store: StoreSpec::Folder(dir.join("out/results.json")),
    }
}

/// A job running `sh -c SCRIPT` that writes `output`.
fn sh_job(dir: &Path, id: &str, task: u32, script: &str, deps: &[&str]) -> Job {
    let output = dir.join(format!("out/{id}.txt"));
    Job {
        id: id.into(),
        take: id.into(),
        take_id: None,
        task,
        step: "test".into(),
        program: PathBuf::from("/bin/sh"),
        args: vec![
            "-c".into(),
            script.replace("$OUT", &output.to_string_lossy()),
        ],
        stdout: None,
        inputs: Vec::new(),
        output,
        deps: deps.iter().map(|d| d.to_string()).collect(),
        record: true,
        serves: None,
        operations: serde_json::json!({"step": "test"}),
    }
}

fn plan_of(dir: &Path, jobs: Vec<Job>) -> Plan {
    Plan {
        format: PLAN_FORMAT.into(),
        tool_version: "test".into(),
        store: StoreSpec::Folder(dir.join("out/results.json")),
        work_dir: dir.join("work"),
        out_dir: dir.join("out"),
        jobs,
        up_to_date: Vec::new(),
    }
}

fn local(dir: &Path, retries: u32) -> RunOptions {
    RunOptions {
        engine: Engine::Local,
        max_retries: retries,
        workers: 2,
        plan_path: dir.join("plan.json"),
        program: PathBuf::from("/bin/true"),
        pretend: false,
        timeout_s: 60.0,
    }
}

#[test]
fn steps_are_chained_in_pipeline_order_whatever_the_order_given() {
    let steps = Step::parse_list("qc, solve,clean,export").expect("steps");
    assert_eq!(steps, [Step::Clean, Step::Solve, Step::Export, Step::Qc]);
    assert!(Step::parse_list("solve,render").is_err());
    let tmp = tempfile::tempdir().expect("tmp");
    let jobs = mocap_farm::plan::build_jobs(&request(tmp.path(), 2, &steps)).expect("jobs");
    let ids: Vec<(&str, &[String])> = jobs
        .iter()
        .map(|j| (j.id.as_str(), j.deps.as_slice()))
        .collect();
    assert_eq!(ids.len(), 8);
    assert_eq!(ids[0], ("take0/clean", &[][..]));
    assert_eq!(ids[1].0, "take0/solve");
    assert_eq!(ids[1].1, ["take0/clean"]);
    assert_eq!(ids[3].1, ["take0/export"]);
    // The solve reads the cleaned take.
    assert_eq!(jobs[1].inputs, [jobs[0].output.clone()]);
    assert_eq!(jobs[1].args[1], jobs[0].output.to_string_lossy());
}

#[test]
fn chunked_take_gets_calibration_chunks_and_stitch() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut req = request(tmp.path(), 1, &[Step::Solve, Step::Export]);
    req.takes[0].frames = Some(1000);
    req.options.chunk_frames = 300;
    let jobs = mocap_farm::plan::build_jobs(&req).expect("jobs");
    let steps: Vec<&str> = jobs.iter().map(|j| j.step.as_str()).collect();
    assert_eq!(
        steps,
        ["calibrate", "solve-chunk", "solve-chunk", "solve", "export"]
    );
    assert!(
        jobs[1].args.iter().any(|a| a == "0:512"),
        "{:?}",
        jobs[1].args
    );
    assert!(
        jobs[2].args.iter().any(|a| a == "256:1000"),
        "{:?}",
        jobs[2].args
    );
    assert_eq!(jobs[3].deps, ["take0/solve-chunk-0", "take0/solve-chunk-1"]);
    assert_eq!(jobs[3].args[..4], ["farm", "stitch", "--overlap", "256"]);
    assert!(
        jobs[..3]
            .iter()
            .all(|j| !j.record && j.serves.as_deref() == Some("take0/solve"))
    );
}

#[test]
fn local_engine_retries_records_and_skips_current_results() {
    let tmp = tempfile::tempdir().expect("tmp");
    let d = tmp.path();
    let flag = d.join("flag");
    let flaky = format!(
        "if [ -e '{}' ]; then echo ok > $OUT; else touch '{}'; echo first try fails >&2; exit 4; fi",
        flag.display(),
        flag.display()
    );
    let jobs = vec![
        sh_job(d, "a", 0, "echo a > $OUT", &[]),
        sh_job(d, "b", 1, &flaky, &[]),
        sh_job(d, "c", 2, "echo broken >&2; exit 2", &[]),
        sh_job(d, "d", 2, "echo d > $OUT", &["c"]),
        sh_job(d, "e", 0, "echo e > $OUT", &["a"]),
    ];
    let mut plan = plan_of(d, jobs);
    let r = mocap_farm::run_plan(&mut plan, &local(d, 1)).expect("run");
    let mut ok = r.succeeded.clone();
    ok.sort();
    assert_eq!(ok, ["a", "b", "e"]);
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].outcome.job, "c");
    assert_eq!(r.failed[0].outcome.attempts, 2);
    assert_eq!(r.failed[0].outcome.exit_code, Some(2));
    assert!(
        r.failed[0].log_tail.contains("broken"),
        "{}",
        r.failed[0].log_tail
    );
    assert_eq!(r.not_run, ["d"]);
    assert_eq!(r.recorded.len(), 3);
    let status = std::fs::read_to_string(d.join("work/status/b.json")).expect("status");
    assert!(status.contains("\"attempts\":2"), "{status}");

    // Again: the three recorded results are current; c and d run again (and fail again).
    let mut again = plan_of(d, plan.jobs.clone());
    let r = mocap_farm::run_plan(&mut again, &local(d, 0)).expect("run");
    assert_eq!((r.submitted, r.up_to_date), (2, 3));
    // A changed output is no longer current.
    std::fs::write(d.join("out/a.txt"), "edited").expect("edit");
    let mut third = plan_of(d, plan.jobs.clone());
    let r = mocap_farm::run_plan(&mut third, &local(d, 0)).expect("run");
    let mut ran = r.succeeded.clone();
    ran.sort();
    assert_eq!(ran, ["a", "e"], "a re-runs, and e after it");
}
