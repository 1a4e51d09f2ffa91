//! `mocap`: the studio pipeline's command-line tool.
//!
//! Contract: exit 0 on success; on any error exit 1 with a single `error: …` line on stderr.
//! Never exits 101 (panics are caught and reported as errors).

mod bench;
mod bonemap;
mod clean;
mod convert;
mod export;
mod face;
mod farm;
mod info;
mod live;
mod live_face;
mod live_vmc;
mod retarget;
mod solve;
mod subs;
mod takes;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Mocap Studio pipeline tool.
#[derive(Parser)]
#[command(
    name = "mocap",
    version,
    about = "Mocap Studio pipeline tool: inspect, convert, solve, clean, retarget, catalogue, live"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print what a capture file holds (`--json` for scripts).
    Info(info::Args),
    /// Convert between formats by extension (c3d↔trc, amc→bvh, bvh→bvh).
    Convert(convert::Args),
    /// Solve labelled markers onto a skeleton and write BVH.
    Solve(solve::Args),
    /// Repair marker trajectories: fill gaps, filter, despike, fix swaps.
    Clean(clean::Args),
    /// Retarget motion onto another skeleton.
    Retarget(retarget::Args),
    /// Print the bone map a character gets (preset or automatic) with a confidence per bone.
    Bonemap(bonemap::Args),
    /// Benchmarks that print measured figures.
    Bench(bench::Args),
    /// The take library: import, list, status, notes, ledger verification, evidence.
    Takes(takes::Args),
    /// Subtitle tracks: info, convert, QC.
    Subs(subs::Args),
    /// Facial performance takes: info, convert (Live Link Face CSV, generic CSV, JSON).
    Face(face::Args),
    /// Export the built-in mannequin playing a BVH or ASF/AMC take as GLB (glTF 2.0).
    ExportGlb(export::Args),
    /// The pipeline on a render farm: plans, local/Slurm/OpenCue runs, chunk stitching.
    Farm(farm::Args),
    /// The live stage: stream a take as a NatNet 4.1 server, record a NatNet stream.
    Live(live::Args),
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Info(a) => info::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Solve(a) => solve::run(a),
        Command::Clean(a) => clean::run(a),
        Command::Retarget(a) => retarget::run(a),
        Command::Bonemap(a) => bonemap::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Takes(a) => takes::run(a),
        Command::Subs(a) => subs::run(a),
        Command::Face(a) => face::run(a),
        Command::ExportGlb(a) => export::run(a),
        Command::Farm(a) => farm::run(a),
        Command::Live(a) => live::run(a),
    }
}

fn main() -> ExitCode {
    // A panic is a bug, but the contract says exit 1 with one `error:` line, never 101.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("error: internal error{at}: {msg} (please report this with the input file)");
    }));
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    ExitCode::SUCCESS
                }
                _ => {
                    let _ = e.print();
                    ExitCode::from(1)
                }
            };
        }
    };
    match std::panic::catch_unwind(|| run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            // One line: the chain joined with ": ".
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            ExitCode::from(1)
        }
        Err(_) => ExitCode::from(1),
    }
}
