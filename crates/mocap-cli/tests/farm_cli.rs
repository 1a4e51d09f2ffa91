//! `mocap farm`: plans, the local engine, results in the take library, idempotent re-runs and
//! chunked solves. The Slurm tests (`farm_slurm.rs`) need a running Slurm.

mod common;

use common::{ok, write_takes};
use std::path::Path;
use std::process::Command;

fn mocap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
}

fn plan_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("plan")).expect("plan json")
}

/// Three synthetic takes (`Walk_01`…, 40–42 frames) in `dir/capture`, imported into
/// `dir/lib.db`: the folder and the library.
fn imported_library(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let takes = dir.join("capture");
    write_takes(&takes, 3, 40);
    let db = dir.join("lib.db");
    ok(mocap()
        .args(["takes", "import"])
        .arg(&takes)
        .arg("--db")
        .arg(&db));
    (takes, db)
}

#[test]
fn library_plan_runs_locally_records_versions_and_rerun_submits_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (takes, db) = imported_library(tmp.path());
    let plan = tmp.path().join("plan.json");
    let plan_cmd = || {
        let mut c = mocap();
        c.args(["farm", "plan", "--db"])
            .arg(&db)
            .args([
                "--steps",
                "solve,clean,export,qc",
                "--calibration-frames",
                "30",
                "-o",
            ])
            .arg(&plan);
        c
    };
    ok(&mut plan_cmd());
    let p = plan_json(&plan);
    let jobs = p["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 12, "3 takes × 4 steps");
    let by_id = |id: &str| jobs.iter().find(|j| j["id"] == id).expect(id).clone();
    assert_eq!(
        by_id("Walk_01/solve")["deps"],
        serde_json::json!(["Walk_01/clean"])
    );
    assert_eq!(
        by_id("Walk_01/export")["deps"],
        serde_json::json!(["Walk_01/solve"])
    );
    assert_eq!(
        by_id("Walk_01/qc")["deps"],
        serde_json::json!(["Walk_01/export"])
    );

    let report: serde_json::Value = serde_json::from_str(&ok(mocap()
        .args(["farm", "run"])
        .arg(&plan)
        .args(["--engine", "local", "--workers", "2"])))
    .expect("report");
    assert_eq!(report["submitted"], 12);
    assert_eq!(report["failed"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["recorded"].as_array().map(Vec::len), Some(12));

    // The farm's solve equals `mocap solve` run by hand on the farm's cleaned take.
    let out = tmp.path().join("plan.out/Walk_02");
    let by_hand = tmp.path().join("hand.bvh");
    ok(mocap()
        .arg("solve")
        .arg(out.join("Walk_02.clean.c3d"))
        .args(["--markerset", "cmu41", "--calibration-frames", "30", "-o"])
        .arg(&by_hand));
    assert_eq!(
        std::fs::read(&by_hand).expect("hand"),
        std::fs::read(out.join("Walk_02.bvh")).expect("farm")
    );
    assert!(out.join("Walk_02.glb").is_file());
    let qc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("Walk_02.qc.json")).expect("qc"))
            .expect("qc json");
    assert_eq!(qc["frames"], 41, "{qc}");

    // Versions in the library, with the farm's facts.
    let mut lib = take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("lib");
    let id = lib.resolve_take("Walk_02").expect("take");
    let versions = lib.derived_versions(id).expect("versions");
    let kinds: Vec<&str> = versions.iter().map(|v| v.kind.as_str()).collect();
    assert_eq!(kinds, ["clean", "solve", "export", "qc"]);
    let solve = &versions[1];
    assert_eq!(solve.operations["farm"]["engine"], "local");
    assert!(Path::new(solve.operations["farm"]["log_path"].as_str().expect("log")).is_file());
    assert_eq!(
        solve.input_sha256,
        vec![
            take_library::util::hash_file(&out.join("Walk_02.clean.c3d"))
                .expect("hash")
                .0
        ]
    );

    // Re-planning skips everything; re-running the old plan submits nothing.
    let rerun: serde_json::Value =
        serde_json::from_str(&ok(mocap().args(["farm", "run"]).arg(&plan))).expect("report");
    assert_eq!(rerun["submitted"], 0, "{rerun}");
    assert_eq!(rerun["up_to_date"], 12);
    ok(&mut plan_cmd());
    assert_eq!(plan_json(&plan)["jobs"].as_array().map(Vec::len), Some(0));

    // A changed take re-runs that take's jobs only.
    let walk3 = takes.join("Walk_03.c3d");
    write_takes(&tmp.path().join("other"), 1, 45);
    std::fs::copy(tmp.path().join("other/Walk_01.c3d"), &walk3).expect("replace");
    ok(mocap()
        .args(["takes", "import"])
        .arg(&takes)
        .arg("--db")
        .arg(&db));
    ok(&mut plan_cmd());
    let ids: Vec<String> = plan_json(&plan)["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "Walk_03/clean",
            "Walk_03/solve",
            "Walk_03/export",
            "Walk_03/qc"
        ]
    );
}

/// Joint world positions (mm) of a BVH, frame-major.
fn joint_positions(path: &Path) -> (usize, Vec<mocap_data::DVec3>) {
    // `mocap solve` writes millimetres.
    let f = mocap_formats::bvh::read_path_with(
        path,
        &mocap_formats::bvh::ReadOptions {
            unit: mocap_data::LengthUnit::Millimetre,
            ..mocap_formats::bvh::ReadOptions::default()
        },
    )
    .expect("bvh");
    let all: Vec<String> = f.skeleton.joints.iter().map(|j| j.name.clone()).collect();
    let sk = f.skeleton.clone();
    let model = mocap_solver::model::SolverModel::new(
        &sk,
        &mocap_solver::model::ModelOptions {
            translation_joints: all,
        },
    )
    .expect("model");
    (sk.joints.len(), model.joint_positions(&f.motion))
}

#[test]
fn chunked_solve_matches_one_piece_solve_at_the_joins() {
    let tmp = tempfile::tempdir().expect("tmp");
    let takes = tmp.path().join("capture");
    write_takes(&takes, 1, 700);
    let plan = tmp.path().join("plan.json");
    ok(mocap()
        .args(["farm", "plan"])
        .arg(&takes)
        .args([
            "--steps",
            "solve",
            "--calibration-frames",
            "60",
            "--chunk-frames",
            "256",
            "-o",
        ])
        .arg(&plan));
    let p = plan_json(&plan);
    let steps: Vec<&str> = p["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["step"].as_str().expect("step"))
        .collect();
    assert_eq!(
        steps,
        [
            "calibrate",
            "solve-chunk",
            "solve-chunk",
            "solve-chunk",
            "solve"
        ]
    );
    let report: serde_json::Value =
        serde_json::from_str(&ok(mocap().args(["farm", "run"]).arg(&plan))).expect("report");
    assert_eq!(
        report["recorded"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let whole = tmp.path().join("whole.bvh");
    ok(mocap()
        .arg("solve")
        .arg(takes.join("Walk_01.c3d"))
        .args(["--markerset", "cmu41", "--calibration-frames", "60", "-o"])
        .arg(&whole));
    let (n, a) = joint_positions(&whole);
    let (m, b) = joint_positions(&tmp.path().join("plan.out/Walk_01/Walk_01.bvh"));
    assert_eq!((n, a.len()), (m, b.len()), "same joints and frames");
    let frames = a.len() / n;
    assert_eq!(frames, 700);
    let mut worst: f64 = 0.0;
    for f in [254, 255, 256, 257, 510, 511, 512, 513] {
        for j in 0..n {
            worst = worst.max((a[f * n + j] - b[f * n + j]).length());
        }
    }
    assert!(
        worst < 0.1,
        "joints differ by {worst} mm at the chunk joins"
    );
    let whole_max = (0..a.len())
        .map(|i| (a[i] - b[i]).length())
        .fold(0.0, f64::max);
    assert!(whole_max < 0.1, "joints differ by {whole_max} mm somewhere");
}

/// The studio's "Send to farm" (`mocap_farm::send`): chosen takes of a library, run locally with
/// this `mocap`, results recorded as versions — what `farm plan --db` + `farm run` give.
#[test]
fn send_to_farm_runs_chosen_takes_and_records_versions() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (_, db) = imported_library(tmp.path());
    let lib = take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("lib");
    let ids = [
        lib.resolve_take("Walk_01").expect("take"),
        lib.resolve_take("Walk_03").expect("take"),
    ];
    drop(lib);
    let req = mocap_farm::send::SendRequest {
        library: db.clone(),
        take_ids: ids.to_vec(),
        steps: mocap_farm::Step::parse_list("clean,solve").expect("steps"),
        options: mocap_farm::StepOptions {
            calibration_frames: Some(30),
            ..mocap_farm::StepOptions::default()
        },
        program: std::path::PathBuf::from(env!("CARGO_BIN_EXE_mocap")),
        version: env!("CARGO_PKG_VERSION").into(),
        folder: tmp.path().join("farm"),
        workers: 2,
        max_retries: 0,
        engine: mocap_farm::Engine::Local,
    };
    let out = mocap_farm::send::send(&req).expect("send");
    assert_eq!(
        out.report.submitted, 4,
        "2 takes × 2 steps: {:?}",
        out.report
    );
    assert!(out.report.failed.is_empty(), "{:?}", out.report.failed);
    assert_eq!(out.report.recorded.len(), 4);
    let mut lib = take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("lib");
    let kinds = |lib: &mut take_library::Library, name: &str| -> Vec<String> {
        let id = lib.resolve_take(name).expect("take");
        lib.derived_versions(id)
            .expect("versions")
            .into_iter()
            .map(|v| v.kind)
            .collect()
    };
    assert_eq!(kinds(&mut lib, "Walk_01"), ["clean", "solve"]);
    assert!(kinds(&mut lib, "Walk_02").is_empty(), "not chosen");
    assert_eq!(kinds(&mut lib, "Walk_03"), ["clean", "solve"]);
    // Sending again finds every result current.
    let again = mocap_farm::send::send(&req).expect("send again");
    assert_eq!(again.report.submitted, 0);
    assert_eq!(again.report.up_to_date, 4);
}
