//! `mocap clean --ops OPS.ron` and `--save-ops`: the binary's output must be bit-identical to
//! `OpStack::apply` called in-process (what the studio's evaluator matches), on a synthetic take
//! and on a real CMU take (needs `MOCAP_TEST_DATA`; skips with a notice when unset, fails when
//! the file is missing); bad stack files give one `error:` line with file:line:col.

use mocap_data::MarkerTrajectories;
use mocap_formats::c3d::{self, C3dFile};
use mocap_solver::stack::{OpStack, same_bits};
use std::path::Path;
use std::process::{Command, Output};

use mocap_testkit::data;

fn mocap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
        .args(args)
        .output()
        .expect("run mocap")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "mocap failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The one `error:` line of a failed run.
fn error_line(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "expected exit 1");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one error line expected: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_string()
}

/// Runs `mocap clean IN --ops` with `ron` and checks the output C3D's markers against
/// `OpStack::apply` on the same input read in-process.
fn check_ops_bit_identical(input: &Path, ron: &str, dir: &Path) -> MarkerTrajectories {
    let ops = dir.join("take.ops.ron");
    std::fs::write(&ops, ron).expect("write ops");
    let out = dir.join("out.c3d");
    ok(&mocap(&[
        "clean",
        s(input),
        "--ops",
        s(&ops),
        "-o",
        s(&out),
    ]));
    let original = c3d::read_path(input).expect("read input").points;
    let stack = OpStack::load(&ops).expect("load stack");
    let (expected, report) = stack.apply(&original).expect("apply");
    assert_eq!(report.entries.len(), stack.entries.len());
    let written = c3d::read_path(&out).expect("read output").points;
    assert!(
        same_bits(&written, &expected),
        "`mocap clean --ops` output differs from OpStack::apply"
    );
    assert!(!same_bits(&written, &original), "the stack changed nothing");
    written
}

fn stack_text(labels: &[String], frames: usize) -> String {
    format!(
        r#"#![enable(implicit_some, unwrap_variant_newtypes)]
(
    version: 1,
    entries: [
        (op: FixSwaps()),
        (op: Despike(threshold_mads: 6.0), markers: Labels(["{a}", "{b}"])),
        (op: DeleteSamples, range: (start: {d0}, end: {d1}), markers: Labels(["{c}"]),
         note: "occluded by the prop"),
        (op: FillGaps(method: spline, max_gap: 40)),
        (op: Lowpass(cutoff_hz: 8.0, order: 4), range: (start: 10, end: {f})),
        (op: FillGaps(method: rigid), enabled: false),
    ],
)
"#,
        a = labels[0],
        b = labels[1],
        c = labels[2],
        d0 = frames / 3,
        d1 = frames / 3 + 12,
        f = frames - 10,
    )
}

#[test]
fn ops_output_is_bit_identical_to_in_process_apply_on_a_synthetic_take() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = mocap_solver::synth::cleanup_take(8, 1200, 5).expect("take");
    let input = dir.path().join("in.c3d");
    c3d::write_path(&C3dFile::from_trajectories(t.clone()), &input).expect("write");
    check_ops_bit_identical(&input, &stack_text(&t.labels, t.frame_count()), dir.path());
}

#[test]
fn ops_output_is_bit_identical_to_in_process_apply_on_a_real_take() {
    let Some(input) = data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let t = c3d::read_path(&input).expect("read").points;
    let written =
        check_ops_bit_identical(&input, &stack_text(&t.labels, t.frame_count()), dir.path());
    assert_eq!(written.frame_count(), t.frame_count());
    // The JSON report lists every entry.
    let ops = dir.path().join("take.ops.ron");
    let out = mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&ops),
        "-o",
        s(&dir.path().join("out2.c3d")),
        "--json",
    ]);
    ok(&out);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(j["report"]["entries"].as_array().map(Vec::len), Some(6));
    assert_eq!(j["report"]["entries"][5], "disabled");
}

#[test]
fn save_ops_from_flags_then_ops_gives_the_same_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = mocap_solver::synth::cleanup_take(6, 900, 9).expect("take");
    let input = dir.path().join("in.c3d");
    c3d::write_path(&C3dFile::from_trajectories(t), &input).expect("write");
    let ops = dir.path().join("in.ops.ron");
    let (a, b) = (dir.path().join("a.c3d"), dir.path().join("b.c3d"));
    ok(&mocap(&[
        "clean",
        s(&input),
        "--fix-swaps",
        "--despike",
        "--fill",
        "spline",
        "--lowpass",
        "6",
        "--frames",
        "20:880",
        "--markers",
        "M01,M02,M04",
        "--save-ops",
        s(&ops),
        "-o",
        s(&a),
    ]));
    let stack = OpStack::load(&ops).expect("saved stack");
    assert_eq!(stack.entries.len(), 4);
    ok(&mocap(&["clean", s(&input), "--ops", s(&ops), "-o", s(&b)]));
    assert_eq!(
        std::fs::read(&a).expect("a"),
        std::fs::read(&b).expect("b"),
        "flags and their saved stack give different files"
    );
}

#[test]
fn bad_stack_files_give_one_error_line_with_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let t = mocap_solver::synth::cleanup_take(3, 200, 1).expect("take");
    let input = dir.path().join("in.c3d");
    c3d::write_path(&C3dFile::from_trajectories(t), &input).expect("write");
    let out = dir.path().join("out.c3d");
    let bad = dir.path().join("bad.ops.ron");
    std::fs::write(&bad, "(\n  entries: [\n    (op: Lowpass(cutoff_hz: 6.0, order: 4),\n     enabled: maybe),\n  ],\n)\n").expect("write");
    let line = error_line(&mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&bad),
        "-o",
        s(&out),
    ]));
    assert!(line.contains(&format!("{}:4:", bad.display())), "{line}");
    assert!(!out.exists());
    // A stack that parses but does not fit the take: the entry is named.
    let unknown = dir.path().join("unknown.ops.ron");
    std::fs::write(
        &unknown,
        "(entries: [(op: Despike()), (op: Lowpass(cutoff_hz: 6.0, order: 4), markers: Labels([\"nope\"]))])",
    )
    .expect("write");
    let line = error_line(&mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&unknown),
        "-o",
        s(&out),
    ]));
    assert!(
        line.contains("operation stack entry #1 (Lowpass)") && line.contains("nope"),
        "{line}"
    );
    // A missing file.
    let line = error_line(&mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&dir.path().join("missing.ops.ron")),
        "-o",
        s(&out),
    ]));
    assert!(line.contains("missing.ops.ron"), "{line}");
    // --ops excludes the step flags.
    let r = mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&bad),
        "--fill",
        "linear",
        "-o",
        s(&out),
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("cannot be used with"));
}

/// A stack with marker operations, a solve stage and a foot lock with a user contact edit.
const SOLVE_STACK: &str = r#"(
    entries: [(op: FillGaps(method: spline, max_gap: 30))],
    solve: (markerset: "cmu41"),
    motion: [(op: FootLock(edits: [Add(foot: "lfoot", start: 20, end: 60)]))],
)"#;

#[test]
fn motion_out_is_bit_identical_to_in_process_apply_on_a_real_take() {
    let (Some(input), Some(asf)) = (
        data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d"),
        data("c3d_plus_skeleton/cmu_subject39_walk/39.asf"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let ops = dir.path().join("take.ops.ron");
    std::fs::write(&ops, SOLVE_STACK).expect("write ops");
    let (out, bvh) = (dir.path().join("out.c3d"), dir.path().join("out.bvh"));
    ok(&mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&ops),
        "-o",
        s(&out),
        "--motion-out",
        s(&bvh),
        "--skeleton",
        s(&asf),
    ]));
    // In process: the same reader, the same stack evaluation, the same writer.
    let stack = OpStack::load(&ops).expect("load");
    let raw = c3d::read_path(&input).expect("read").points;
    let sk = mocap_solver::resolve::SolveSkeleton::load(&asf, mocap_data::LengthUnit::Centimetre)
        .expect("skeleton");
    let o = mocap_solver::resolve::apply_stack(&stack, &raw, Some(&sk), None).expect("apply");
    let solved = o.solved.expect("solved");
    let (motion, reports) = o.motion.expect("motion");
    let expected = dir.path().join("expected.bvh");
    mocap_formats::bvh::write_path(&solved.skeleton, &motion, &expected).expect("write");
    assert_eq!(
        std::fs::read(&bvh).expect("cli bvh"),
        std::fs::read(&expected).expect("expected bvh"),
        "`mocap clean --motion-out` differs from resolve::apply_stack"
    );
    assert!(same_bits(
        &c3d::read_path(&out).expect("out").points,
        &o.markers
    ));
    // The foot lock did something: contacts pinned, the motion changed.
    let mocap_solver::resolve::MotionReport::FootLock(r) = &reports[0] else {
        panic!("{reports:?}")
    };
    assert!(
        r.contacts
            .iter()
            .any(|c| c.name == "lfoot" && c.start <= 20 && c.end >= 60)
    );
    assert!(r.frames_adjusted > 0);
    assert_ne!(motion, solved.motion);
    assert!(solved.frames_solved > solved.frames_failed);
    // Without a solve stage, --motion-out is refused.
    let plain = dir.path().join("plain.ops.ron");
    std::fs::write(&plain, "(entries: [])").expect("write");
    let e = error_line(&mocap(&[
        "clean",
        s(&input),
        "--ops",
        s(&plain),
        "-o",
        s(&out),
        "--motion-out",
        s(&bvh),
    ]));
    assert!(e.contains("solve stage"), "{e}");
}
