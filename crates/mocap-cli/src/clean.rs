//! `mocap clean`: repair marker trajectories of a C3D file (swap repair → despike → gap fill →
//! low-pass), writing a new C3D with everything else (parameters, analog, events) preserved.

use anyhow::Context;
use mocap_solver::clean::{CleanParams, CleanReport};
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerGapReport, MarkerSelection, gap_report};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::swaps::SwapParams;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `mocap clean`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Steps run in this order: --fix-swaps, --despike, --fill, --lowpass. Frames are 0-based sample indices."
)]
pub struct Args {
    /// Input C3D file.
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
        println!("wrote {}", args.output.display());
    }
    Ok(())
}
