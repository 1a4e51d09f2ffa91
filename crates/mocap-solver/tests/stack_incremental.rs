//! The operation stack's incremental evaluator against the full recompute: after random
//! sequences of edits (toggle, parameter change, range/selection change, reorder, insert,
//! remove, note-only change), `StackEvaluator::result` must be bit-identical to
//! `OpStack::apply` and the reports equal. On synthetic takes (proptest) and on a real CMU take
//! (needs `MOCAP_TEST_DATA`; skips with a notice when unset, fails when the file is missing).

use mocap_data::MarkerTrajectories;
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerSelection};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::stack::{
    EntryOutcome, OpStack, Operation, StackEntry, StackEvaluator, same_bits,
};
use mocap_solver::swaps::SwapParams;
use mocap_solver::synth::{SynthRng, cleanup_take};
use proptest::prelude::*;

fn random_op(rng: &mut SynthRng, t: &MarkerTrajectories) -> Operation {
    let label = |rng: &mut SynthRng| t.labels[rng.range(0, t.marker_count() - 1)].clone();
    match rng.range(0, 9) {
        0..=2 => Operation::FillGaps(FillParams {
            method: [
                FillMethod::Linear,
                FillMethod::Spline,
                FillMethod::Linear,
                FillMethod::Spline,
                FillMethod::Rigid,
                FillMethod::Pattern,
            ][rng.range(0, 5)],
            max_gap: rng.range(3, 60),
            spline_context: rng.range(2, 4),
            ..FillParams::default()
        }),
        3 | 4 => Operation::Lowpass(LowpassParams {
            cutoff_hz: 3.0 + 12.0 * rng.uniform(),
            order: rng.range(1, 4),
        }),
        5 | 6 => Operation::Despike(DespikeParams {
            threshold_mads: 4.0 + 6.0 * rng.uniform(),
            min_deviation_mm: 2.0 + 10.0 * rng.uniform(),
            max_spike_frames: rng.range(1, 5),
        }),
        7 => Operation::FixSwaps(SwapParams {
            min_jump_mm: 8.0 + 20.0 * rng.uniform(),
            ..SwapParams::default()
        }),
        8 => {
            if rng.uniform() < 0.5 {
                Operation::DeleteSamples
            } else {
                Operation::Trim
            }
        }
        _ => Operation::SwapLabels {
            a: label(rng),
            b: label(rng),
        },
    }
}

fn random_entry(rng: &mut SynthRng, t: &MarkerTrajectories) -> StackEntry {
    let op = random_op(rng, t);
    let nf = t.frame_count();
    let range = match (&op, rng.range(0, 2)) {
        (Operation::DeleteSamples | Operation::Trim | Operation::SwapLabels { .. }, _) | (_, 0) => {
            let a = rng.range(0, nf);
            let b = rng.range(0, nf);
            Some(FrameRange::new(a.min(b), a.max(b)))
        }
        _ => None,
    };
    let k = t.marker_count();
    let markers = match rng.range(0, 3) {
        0 => MarkerSelection::All,
        1 | 2 => MarkerSelection::Labels(
            (0..rng.range(1, 3))
                .map(|_| t.labels[rng.range(0, k - 1)].clone())
                .collect(),
        ),
        _ => MarkerSelection::Indices((0..rng.range(1, 4)).map(|_| rng.range(0, k - 1)).collect()),
    };
    StackEntry {
        op,
        enabled: rng.uniform() < 0.85,
        range,
        markers,
        note: String::new(),
    }
}

/// Applies `steps` random edits, checking the evaluator against the full recompute after each.
fn check_random_edits(t: &MarkerTrajectories, seed: u64, steps: usize) {
    let mut rng = SynthRng::new(seed);
    let mut stack = OpStack::new();
    for _ in 0..rng.range(2, 5) {
        stack.entries.push(random_entry(&mut rng, t));
    }
    let mut ev = StackEvaluator::new(t.clone(), stack.clone());
    check(&ev, &stack, t, seed, "initial");
    for step in 0..steps {
        let len = stack.entries.len();
        let i = rng.range(0, len.saturating_sub(1));
        let what = match (len, rng.range(0, 7)) {
            (0, _) | (_, 0) => {
                let at = rng.range(0, len);
                stack.entries.insert(at, random_entry(&mut rng, t));
                "insert"
            }
            (_, 1) => {
                stack.entries[i].enabled = !stack.entries[i].enabled;
                "toggle"
            }
            (_, 2) => {
                stack.entries[i].op = random_op(&mut rng, t);
                "change op"
            }
            (_, 3) => {
                let j = rng.range(0, len - 1);
                let e = stack.entries.remove(i);
                stack.entries.insert(j, e);
                "reorder"
            }
            (_, 4) if len > 1 => {
                stack.entries.remove(i);
                "remove"
            }
            (_, 5) => {
                let r = random_entry(&mut rng, t);
                stack.entries[i].range = r.range;
                stack.entries[i].markers = r.markers;
                "change range/markers"
            }
            _ => {
                stack.entries[i].note = format!("note {step}");
                "note"
            }
        };
        ev.set_stack(stack.clone());
        check(&ev, &stack, t, seed, &format!("step {step}: {what} at {i}"));
    }
}

fn check(ev: &StackEvaluator, stack: &OpStack, t: &MarkerTrajectories, seed: u64, ctx: &str) {
    assert_eq!(ev.stack(), stack);
    let (full, report) = stack
        .apply(t)
        .unwrap_or_else(|e| panic!("seed {seed} {ctx}: {e}"));
    assert!(
        same_bits(ev.result(), &full),
        "seed {seed} {ctx}: incremental result differs from the full recompute\n{stack:#?}"
    );
    assert_eq!(ev.reports(), report, "seed {seed} {ctx}: reports differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_full_recompute_on_synthetic_takes(seed in any::<u64>()) {
        let t = cleanup_take(8, 900, seed ^ 0x5eed).expect("take");
        check_random_edits(&t, seed, 12);
    }
}

#[test]
fn incremental_equals_full_recompute_on_a_real_take() {
    let Some(p) = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let t = mocap_formats::c3d::read_path(&p).expect("read c3d").points;
    assert!(t.marker_count() > 10 && t.frame_count() > 100);
    for seed in 0..8 {
        check_random_edits(&t, seed, 16);
    }
}

#[test]
fn a_parameter_edit_reruns_only_the_markers_it_touches() {
    let t = cleanup_take(20, 3000, 7).expect("take");
    let one = MarkerSelection::Labels(vec!["M05".into()]);
    let entry = |op| StackEntry {
        markers: one.clone(),
        ..StackEntry::new(op)
    };
    let mut stack = OpStack::new();
    stack.entries = vec![
        entry(Operation::Despike(DespikeParams::default())),
        entry(Operation::FillGaps(FillParams {
            method: FillMethod::Spline,
            ..FillParams::default()
        })),
        // On every marker: must be replayed for the 19 others, re-run for M05 only.
        StackEntry::new(Operation::Lowpass(LowpassParams::default())),
        entry(Operation::FixSwaps(SwapParams::default())),
    ];
    let mut ev = StackEvaluator::new(t.clone(), stack.clone());
    stack.entries[0].op = Operation::Despike(DespikeParams {
        threshold_mads: 5.0,
        ..DespikeParams::default()
    });
    let s = ev.set_stack(stack.clone());
    assert_eq!(s.first_changed, 0);
    assert_eq!(s.marker_runs, 3, "{s:?}");
    // FixSwaps on M05 alone reads M05, which changed: re-run.
    assert_eq!(s.full_runs, 1, "{s:?}");
    let (full, _) = stack.apply(&t).expect("apply");
    assert!(same_bits(ev.result(), &full));
    // A note-only edit recomputes nothing.
    stack.entries[2].note = "smooth".into();
    let s = ev.set_stack(stack.clone());
    assert_eq!((s.entries_run, s.marker_runs, s.full_runs), (0, 0, 0));
    assert_eq!(ev.stack().entries[2].note, "smooth");
}

#[test]
fn failed_entries_pass_the_take_through() {
    let t = cleanup_take(6, 600, 3).expect("take");
    let mut stack = OpStack::new();
    stack.entries = vec![
        StackEntry::new(Operation::Despike(DespikeParams::default())),
        StackEntry {
            markers: MarkerSelection::Labels(vec!["nope".into()]),
            ..StackEntry::new(Operation::Lowpass(LowpassParams::default()))
        },
        StackEntry::new(Operation::Lowpass(LowpassParams {
            cutoff_hz: 100.0, // above Nyquist at 120 Hz
            order: 4,
        })),
        StackEntry::new(Operation::FillGaps(FillParams::default())),
    ];
    let ev = StackEvaluator::new(t.clone(), stack.clone());
    let r = ev.reports();
    assert!(matches!(&r.entries[1], EntryOutcome::Failed(m) if m.contains("nope")));
    assert!(matches!(&r.entries[2], EntryOutcome::Failed(m) if m.contains("cutoff")));
    assert_eq!(
        r.failures().iter().map(|f| f.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let e = stack.apply(&t).expect_err("strict apply fails");
    assert!(
        e.to_string()
            .starts_with("operation stack entry #1 (Lowpass)"),
        "{e}"
    );
    stack.entries[1].enabled = false;
    stack.entries[2].enabled = false;
    let (full, _) = stack.apply(&t).expect("apply");
    assert!(same_bits(ev.result(), &full));
}
