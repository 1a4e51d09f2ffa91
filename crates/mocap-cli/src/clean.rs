//! `mocap clean`: repair marker trajectories of a C3D file (swap repair → despike → gap fill →
//! low-pass), writing a new C3D with everything else (parameters, analog, events) preserved.
//!
//! With `--ops OPS.ron` the operation stack in that file (the studio's clean-up stack, see
//! `mocap_solver::stack`) is applied instead of the step flags, through the same
//! `OpStack::apply` the app's evaluator matches bit for bit; `--save-ops OPS.ron` writes the
//! stack equivalent of the step flags given.

use anyhow::Context;
use mocap_solver::clean::{CleanParams, CleanReport};
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerGapReport, MarkerSelection, gap_report};
use mocap_solver::resolve::{self, SolveSkeleton};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::stack::{EntryOutcome, OpReport, OpStack, StackReport};
use mocap_solver::swaps::SwapParams;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `mocap clean`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Steps run in this order: --fix-swaps, --despike, --fill, --lowpass. Frames are 0-based sample indices.\nWith --ops OPS.ron the file's operation stack runs instead of the step flags (the take's sidecar is TAKE.ops.ron, saved by the studio); --save-ops OPS.ron writes the stack equivalent of the step flags."
)]
pub struct Args {
    /// Input C3D file (or a face take, .csv/.json, cleaned by the `face:` entries of `--ops`).
    pub input: PathBuf,
    /// Output C3D file.
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Fill gaps: linear, spline (not-a-knot cubic through 3 valid samples each side), rigid
    /// (≥ 3 donor markers on the same segment), pattern (one donor marker's motion).
    #[arg(long, value_parser = parse_fill)]
    pub fill: Option<FillMethod>,
    /// Longest gap to fill, in frames; longer gaps are left alone.
    #[arg(long = "max-gap", default_value_t = 60)]
    pub max_gap: usize,
    /// Donor markers for rigid/pattern fill, comma-separated labels (default: chosen
    /// automatically per gap).
    #[arg(long, value_delimiter = ',')]
    pub donors: Vec<String>,
    /// Zero-phase Butterworth low-pass cutoff, Hz (below half the frame rate).
    #[arg(long)]
    pub lowpass: Option<f64>,
    /// Butterworth order of the low-pass (each pass; 1–8).
    #[arg(long, default_value_t = 4)]
    pub order: usize,
    /// Remove spikes (acceleration outliers beyond 8 robust SDs and 10 mm) → gaps.
    #[arg(long)]
    pub despike: bool,
    /// Detect and undo label swaps between markers.
    #[arg(long = "fix-swaps")]
    pub fix_swaps: bool,
    /// Only these frames, `START:END` (0-based sample indices, END exclusive).
    #[arg(long, value_parser = parse_range)]
    pub frames: Option<FrameRange>,
    /// Only these markers, comma-separated labels.
    #[arg(long, value_delimiter = ',')]
    pub markers: Vec<String>,
    /// Print the full report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Apply this operation stack (RON, as the studio saves beside the take: TAKE.ops.ron)
    /// instead of the step flags.
    #[arg(long, value_name = "OPS.ron", conflicts_with_all = [
        "fill", "max_gap", "donors", "lowpass", "order", "despike", "fix_swaps", "frames",
        "markers", "save_ops",
    ])]
    pub ops: Option<PathBuf>,
    /// With `--ops`: solve the cleaned markers as the stack's solve stage says, apply its
    /// motion operations (foot lock) and write the motion here as BVH (millimetres) — what the
    /// studio shows after Re-solve.
    #[arg(long = "motion-out", value_name = "OUT.bvh", requires = "ops")]
    pub motion_out: Option<PathBuf>,
    /// Skeleton for `--motion-out` (.asf, or .bvh in centimetres); default: the stack's solve
    /// stage `skeleton`, else the built-in template.
    #[arg(long, value_name = "X.asf|X.bvh", requires = "motion_out")]
    pub skeleton: Option<PathBuf>,
    /// Also write the operation stack equivalent of the step flags to this file (a starting
    /// point for the studio or `--ops`).
    #[arg(long = "save-ops", value_name = "OPS.ron")]
    pub save_ops: Option<PathBuf>,
}

fn parse_fill(s: &str) -> Result<FillMethod, String> {
    s.parse()
        .map_err(|e: mocap_solver::SolverError| e.to_string())
}

fn parse_range(s: &str) -> Result<FrameRange, String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: give START:END, e.g. 100:250"))?;
    let p = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|e| format!("{x:?} in {s:?}: {e}"))
    };
    Ok(FrameRange::new(p(a)?, p(b)?))
}

/// Totals printed by the summary and included in the JSON report.
#[derive(Debug, Serialize)]
struct Summary {
    frames: usize,
    markers: usize,
    gaps_before: usize,
    gaps_filled: usize,
    frames_filled: usize,
    gaps_left: usize,
    spikes_removed: usize,
    swaps_fixed: usize,
    lowpass_runs: usize,
    valid_percent_before: f64,
    valid_percent_after: f64,
}

#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    input: &'a std::path::Path,
    output: &'a std::path::Path,
    params: &'a CleanParams,
    summary: &'a Summary,
    report: &'a CleanReport,
    /// Per marker: gap list (start frame, length in frames), longest gap, % valid — before.
    gaps_before: &'a [MarkerGapReport],
    /// The same after cleaning.
    gaps_after: &'a [MarkerGapReport],
}

fn count_gaps(t: &mocap_data::MarkerTrajectories) -> usize {
    (0..t.marker_count())
        .map(|m| mocap_solver::gaps::marker_gaps(t, m).len())
        .sum()
}

/// Runs `mocap clean`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if crate::face::is_face_file(&args.input) {
        let Some(ops) = &args.ops else {
            anyhow::bail!(
                "{}: a face take is cleaned by an operation stack's `face:` entries: add --ops OPS.ron",
                args.input.display()
            );
        };
        return crate::face::clean(&args.input, ops, &args.output, args.json);
    }
    if let Some(ops) = &args.ops {
        return run_ops(&args, ops);
    }
    if args.fill.is_none() && args.lowpass.is_none() && !args.despike && !args.fix_swaps {
        anyhow::bail!(
            "nothing to do: give at least one of --fill METHOD, --lowpass HZ, --despike, --fix-swaps"
        );
    }
    if !args.donors.is_empty()
        && !matches!(args.fill, Some(FillMethod::Rigid | FillMethod::Pattern))
    {
        anyhow::bail!("--donors only applies to --fill rigid or --fill pattern");
    }
    let mut file = mocap_formats::c3d::read_path(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let params = CleanParams {
        fix_swaps: args.fix_swaps.then(SwapParams::default),
        despike: args.despike.then(DespikeParams::default),
        fill: args.fill.map(|method| FillParams {
            method,
            max_gap: args.max_gap,
            donors: args.donors.clone(),
            ..FillParams::default()
        }),
        lowpass: args.lowpass.map(|cutoff_hz| LowpassParams {
            cutoff_hz,
            order: args.order,
        }),
    };
    let markers = if args.markers.is_empty() {
        MarkerSelection::All
    } else {
        MarkerSelection::Labels(args.markers.clone())
    };
    if let Some(path) = &args.save_ops {
        OpStack::from_clean_params(&params, args.frames, &markers).save(path)?;
    }
    let t = &mut file.points;
    let report_before = gap_report(t, args.frames, &markers)?;
    let gaps_before = count_gaps(t);
    let valid_before = 100.0 * t.valid_fraction();
    let report = mocap_solver::clean::apply(&params, t, args.frames, &markers)?;
    let summary = Summary {
        frames: t.frame_count(),
        markers: t.marker_count(),
        gaps_before,
        gaps_filled: report.fill.as_ref().map_or(0, |f| f.gaps_filled),
        frames_filled: report.fill.as_ref().map_or(0, |f| f.frames_filled),
        gaps_left: count_gaps(t),
        spikes_removed: report.despike.as_ref().map_or(0, |d| d.spikes.len()),
        swaps_fixed: report.swaps.as_ref().map_or(0, |s| s.swaps.len()),
        lowpass_runs: report.lowpass.as_ref().map_or(0, |l| l.runs_filtered),
        valid_percent_before: valid_before,
        valid_percent_after: 100.0 * t.valid_fraction(),
    };
    mocap_formats::c3d::write_path(&file, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if args.json {
        let report_after = gap_report(&file.points, args.frames, &markers)?;
        let j = JsonReport {
            input: &args.input,
            output: &args.output,
            params: &params,
            summary: &summary,
            report: &report,
            gaps_before: &report_before,
            gaps_after: &report_after,
        };
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        println!(
            "{}: {} markers × {} frames",
            args.input.display(),
            summary.markers,
            summary.frames
        );
        if params.fix_swaps.is_some() {
            println!("swaps fixed:   {}", summary.swaps_fixed);
        }
        if params.despike.is_some() {
            println!("spikes:        {} samples removed", summary.spikes_removed);
        }
        if let (Some(p), Some(f)) = (&params.fill, &report.fill) {
            println!(
                "gaps filled:   {} ({} frames, {:?}, max gap {} frames); {} gaps left unfilled",
                f.gaps_filled,
                f.frames_filled,
                p.method,
                p.max_gap,
                f.gaps.len() - f.gaps_filled
            );
        }
        if let Some(p) = &params.lowpass {
            println!(
                "lowpass:       {} Hz, order {}, {} valid runs filtered",
                p.cutoff_hz, p.order, summary.lowpass_runs
            );
        }
        println!(
            "valid samples: {:.2}% → {:.2}%; gaps {} → {}",
            summary.valid_percent_before,
            summary.valid_percent_after,
            summary.gaps_before,
            summary.gaps_left
        );
        if let Some(path) = &args.save_ops {
            println!("wrote {} (operation stack)", path.display());
        }
        println!("wrote {}", args.output.display());
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct OpsJsonReport<'a> {
    input: &'a std::path::Path,
    output: &'a std::path::Path,
    ops: &'a std::path::Path,
    stack: &'a OpStack,
    summary: &'a Summary,
    report: &'a StackReport,
    gaps_before: &'a [MarkerGapReport],
    gaps_after: &'a [MarkerGapReport],
}

/// One line describing what an entry did.
fn describe(r: &OpReport) -> String {
    match r {
        OpReport::Fill(f) => format!(
            "{} gaps filled ({} frames), {} left",
            f.gaps_filled,
            f.frames_filled,
            f.gaps.len() - f.gaps_filled
        ),
        OpReport::Lowpass(l) => format!("{} valid runs filtered", l.runs_filtered),
        OpReport::Despike(d) => format!("{} spike samples removed", d.spikes.len()),
        OpReport::Swaps(s) => format!("{} swaps fixed", s.swaps.len()),
        OpReport::Samples { changed } => format!("{changed} samples changed"),
    }
}

/// `mocap clean IN --ops OPS.ron -o OUT`.
fn run_ops(args: &Args, ops: &std::path::Path) -> anyhow::Result<()> {
    let stack = OpStack::load(ops)?;
    let mut file = mocap_formats::c3d::read_path(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let all = MarkerSelection::All;
    let report_before = gap_report(&file.points, None, &all)?;
    let gaps_before = count_gaps(&file.points);
    let valid_before = 100.0 * file.points.valid_fraction();
    let skeleton = match &args.skeleton {
        Some(p) => Some(SolveSkeleton::load(p, mocap_data::LengthUnit::Centimetre)?),
        None => None,
    };
    let (out, report, motion) = match &args.motion_out {
        Some(path) => {
            if !stack.solve.as_ref().is_some_and(|s| s.enabled) {
                anyhow::bail!(
                    "{}: --motion-out needs an enabled solve stage in the stack (`solve: (markerset: \"cmu41\")`)",
                    ops.display()
                );
            }
            let o = resolve::apply_stack(&stack, &file.points, skeleton.as_ref(), None)?;
            let (Some(solved), Some((motion, _))) = (o.solved, o.motion) else {
                anyhow::bail!("the solve stage produced no motion");
            };
            mocap_formats::bvh::write_path(&solved.skeleton, &motion, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let line = format!(
                "solved {} frame(s) ({} failed), marker RMS {:.2} mm; wrote {}",
                solved.frames_solved,
                solved.frames_failed,
                solved.marker_rms_mm,
                path.display()
            );
            (o.markers, o.report, Some(line))
        }
        None => {
            let (out, report) = stack.apply(&file.points)?;
            (out, report, None)
        }
    };
    file.points = out;
    let t = &file.points;
    let done = || {
        report.entries.iter().filter_map(|e| match e {
            EntryOutcome::Done(r) => Some(r),
            _ => None,
        })
    };
    let summary = Summary {
        frames: t.frame_count(),
        markers: t.marker_count(),
        gaps_before,
        gaps_filled: done()
            .map(|r| match r {
                OpReport::Fill(f) => f.gaps_filled,
                _ => 0,
            })
            .sum(),
        frames_filled: done()
            .map(|r| match r {
                OpReport::Fill(f) => f.frames_filled,
                _ => 0,
            })
            .sum(),
        gaps_left: count_gaps(t),
        spikes_removed: done()
            .map(|r| match r {
                OpReport::Despike(d) => d.spikes.len(),
                _ => 0,
            })
            .sum(),
        swaps_fixed: done()
            .map(|r| match r {
                OpReport::Swaps(s) => s.swaps.len(),
                _ => 0,
            })
            .sum(),
        lowpass_runs: done()
            .map(|r| match r {
                OpReport::Lowpass(l) => l.runs_filtered,
                _ => 0,
            })
            .sum(),
        valid_percent_before: valid_before,
        valid_percent_after: 100.0 * t.valid_fraction(),
    };
    mocap_formats::c3d::write_path(&file, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    if args.json {
        let report_after = gap_report(&file.points, None, &all)?;
        let j = OpsJsonReport {
            input: &args.input,
            output: &args.output,
            ops,
            stack: &stack,
            summary: &summary,
            report: &report,
            gaps_before: &report_before,
            gaps_after: &report_after,
        };
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        println!(
            "{}: {} markers × {} frames; {} operations from {}",
            args.input.display(),
            summary.markers,
            summary.frames,
            stack.entries.len(),
            ops.display()
        );
        for (i, (e, o)) in stack.entries.iter().zip(&report.entries).enumerate() {
            let what = match o {
                EntryOutcome::Disabled => "disabled".to_string(),
                EntryOutcome::Done(r) => describe(r),
                EntryOutcome::Failed(m) => format!("failed: {m}"),
            };
            println!("#{i} {:<14} {what}", e.op.name());
        }
        println!(
            "valid samples: {:.2}% → {:.2}%; gaps {} → {}",
            summary.valid_percent_before,
            summary.valid_percent_after,
            summary.gaps_before,
            summary.gaps_left
        );
        println!("wrote {}", args.output.display());
    }
    if let Some(line) = motion {
        eprintln!("{line}");
    }
    Ok(())
}
