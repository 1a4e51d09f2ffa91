//! `mocap bench stack`: the clean-up operation stack on a generated 10-minute 120 Hz take —
//! full evaluation (`OpStack::apply`) and incremental re-evaluation (`StackEvaluator`) after an
//! edit of the first entry's parameters, with a bit-identity check between the two.

use anyhow::Result;
use mocap_data::stats::median;
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerSelection};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::stack::{OpStack, Operation, StackEntry, StackEvaluator, same_bits};
use std::time::Instant;

/// Arguments of `mocap bench stack`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Take length, minutes (at 120 Hz).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Markers in the take.
    #[arg(long, default_value_t = 60)]
    markers: usize,
    /// Timed runs of the full evaluation.
    #[arg(long, default_value_t = 5)]
    full_repeats: usize,
    /// Timed incremental re-evaluations.
    #[arg(long, default_value_t = 30)]
    repeats: usize,
    /// Target: median incremental re-evaluation at most this many milliseconds.
    #[arg(long, default_value_t = 50.0)]
    target_ms: f64,
}

/// The benchmark's stack: five operations on one marker.
fn stack(label: &str, frames: usize, threshold_mads: f64) -> OpStack {
    let one = MarkerSelection::Labels(vec![label.to_string()]);
    let entry = |op, range| StackEntry {
        range,
        markers: one.clone(),
        ..StackEntry::new(op)
    };
    let mut s = OpStack::new();
    s.entries = vec![
        entry(
            Operation::Despike(DespikeParams {
                threshold_mads,
                ..DespikeParams::default()
            }),
            None,
        ),
        entry(
            Operation::DeleteSamples,
            Some(FrameRange::new(frames / 2, frames / 2 + 30)),
        ),
        entry(
            Operation::FillGaps(FillParams {
                method: FillMethod::Spline,
                max_gap: 40,
                ..FillParams::default()
            }),
            None,
        ),
        entry(
            Operation::FillGaps(FillParams {
                method: FillMethod::Linear,
                max_gap: 120,
                ..FillParams::default()
            }),
            None,
        ),
        entry(Operation::Lowpass(LowpassParams::default()), None),
    ];
    s
}

/// Runs `mocap bench stack`.
pub fn run(args: Args) -> Result<()> {
    let frames = (args.minutes * 60.0 * 120.0).round() as usize;
    let t0 = Instant::now();
    let take = mocap_solver::synth::cleanup_take(args.markers, frames, 0x57ac)?;
    println!(
        "generated take: {} markers × {} frames (120 Hz, {:.1} min), {:.2}% valid, in {:.2} s",
        take.marker_count(),
        take.frame_count(),
        args.minutes,
        100.0 * take.valid_fraction(),
        t0.elapsed().as_secs_f64()
    );
    let label = take
        .labels
        .get(take.marker_count() / 2)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the take needs at least one marker"))?;
    let thresholds = [8.0, 6.0];
    let stacks = thresholds.map(|th| stack(&label, frames, th));
    println!(
        "stack: {} operations on marker {label} (despike, delete 30 frames, spline fill, linear fill, low-pass)",
        stacks[0].entries.len()
    );

    let mut full_ms = Vec::new();
    let mut reference = None;
    for i in 0..args.full_repeats.max(1) {
        let t = Instant::now();
        let (out, _) = stacks[i % 2].apply(&take)?;
        full_ms.push(t.elapsed().as_secs_f64() * 1e3);
        if i % 2 == 0 {
            reference = Some(out);
        }
    }
    let full = median(&mut full_ms);
    println!(
        "full evaluation (OpStack::apply):          median {full:8.2} ms over {} runs",
        full_ms.len()
    );

    let t = Instant::now();
    let mut ev = StackEvaluator::new(take, stacks[0].clone());
    println!(
        "evaluator build (StackEvaluator::new):    {:8.2} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let mut inc_ms = Vec::new();
    let mut runs = (0, 0);
    for i in 1..=args.repeats.max(1) {
        let next = stacks[i % 2].clone();
        let t = Instant::now();
        let s = ev.set_stack(next);
        inc_ms.push(t.elapsed().as_secs_f64() * 1e3);
        runs = (s.marker_runs, s.full_runs);
    }
    let inc = median(&mut inc_ms);
    let max = inc_ms.last().copied().unwrap_or(f64::NAN);
    println!(
        "incremental re-evaluation after editing entry #0's parameters (StackEvaluator::set_stack): median {inc:.2} ms, max {max:.2} ms over {} edits ({} marker runs, {} whole-take runs per edit)",
        inc_ms.len(),
        runs.0,
        runs.1
    );
    // Bring the evaluator to stack 0 and compare with the full evaluation of stack 0.
    ev.set_stack(stacks[0].clone());
    let identical = reference
        .as_ref()
        .is_some_and(|r| same_bits(ev.result(), r));
    println!(
        "incremental result bit-identical to OpStack::apply: {}",
        if identical { "yes" } else { "NO" }
    );
    println!(
        "target: incremental ≤ {:.0} ms — {}",
        args.target_ms,
        if inc <= args.target_ms {
            "met"
        } else {
            "NOT met"
        }
    );
    if !identical {
        anyhow::bail!("the incremental result differs from the full evaluation");
    }
    Ok(())
}
