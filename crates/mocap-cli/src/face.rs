//! `mocap face`: facial performance takes (Live Link Face CSV, generic CSV, JSON).

use anyhow::Context;
use mocap_data::face::{ARKIT_BLENDSHAPES, arkit_index};
use mocap_data::{FrameRate, Timecode, TimecodeFormat};
use mocap_formats::face::{self, FaceReadOptions};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Arguments of `mocap face`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    which: Which,
}

#[derive(clap::Subcommand, Debug)]
enum Which {
    /// Channels, rate, duration, timecode and value ranges of a face take.
    Info(InfoArgs),
    /// Convert a face take by extension (.csv ↔ .json; CSV is written in Live Link Face layout).
    Convert(ConvertArgs),
}

/// Arguments of `mocap face info`.
#[derive(clap::Args, Debug)]
pub struct InfoArgs {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The take's rate in fps (`60`, `59.94`, `30000/1001`) when the file does not state it.
    #[arg(long, value_name = "FPS")]
    rate: Option<String>,
    /// The face take (.csv or .json).
    file: PathBuf,
}

/// Arguments of `mocap face convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The take's rate in fps when the input does not state it.
    #[arg(long, value_name = "FPS")]
    rate: Option<String>,
    /// Input face take (.csv or .json).
    input: PathBuf,
    /// Output (.csv or .json).
    output: PathBuf,
}

/// Parses `60`, `59.94` or `30000/1001`.
pub fn parse_rate(s: &str) -> anyhow::Result<FrameRate> {
    let r = match s.split_once('/') {
        Some((n, d)) => FrameRate::new(
            n.trim().parse().context("rate numerator")?,
            d.trim().parse().context("rate denominator")?,
        ),
        None => FrameRate::from_hz(s.trim().parse().with_context(|| {
            format!("--rate {s:?}: give frames per second such as 60 or 30000/1001")
        })?),
    };
    Ok(r?)
}

/// Reads a face take with an optional `--rate`.
pub fn read(path: &Path, rate: Option<&str>) -> anyhow::Result<face::FaceTake> {
    let rate = rate.map(parse_rate).transpose()?;
    Ok(face::read_path(path, FaceReadOptions { rate })?)
}

fn r4(x: f32) -> f64 {
    (x as f64 * 1e4).round() / 1e4
}

/// The report `mocap face info --json` prints.
pub fn info_json(path: &Path, take: &face::FaceTake) -> Value {
    let c = &take.curves;
    let frames = c.frame_count();
    let channel = |cur: &mocap_data::Curve, kind: &str| {
        let r = cur.range();
        json!({
            "name": cur.name,
            "kind": kind,
            "arkit": arkit_index(&cur.name).is_some(),
            "min": r4(r.min),
            "max": r4(r.max),
            "mean": r4(r.mean),
        })
    };
    let mut channels: Vec<Value> = c
        .blendshapes
        .iter()
        .map(|x| channel(x, "blendshape"))
        .collect();
    channels.extend(c.rotations.iter().map(|x| channel(x, "rotation")));
    let lookup = c.arkit_lookup();
    let missing: Vec<&str> = (0..52)
        .filter(|&i| lookup[i].is_none())
        .map(|i| ARKIT_BLENDSHAPES[i])
        .collect();
    let end_tc = c.start_timecode.map(|t| {
        let fmt = TimecodeFormat {
            drop_frame: t.format.drop_frame,
            ..TimecodeFormat::for_rate(c.rate)
        };
        Timecode::from_frame_count(t.to_frame_count() + frames.saturating_sub(1) as i64, fmt)
            .to_string()
    });
    json!({
        "file": path.display().to_string(),
        "format": take.layout,
        "frames": frames,
        "rate": format!("{}/{}", c.rate.num(), c.rate.den()),
        "rate_hz": c.rate.hz(),
        "rate_inferred": take.rate_inferred,
        "duration_s": c.duration_s(),
        "start_timecode": c.start_timecode.map(|t| t.to_string()),
        "end_timecode": end_tc,
        "arkit_channels": 52 - missing.len(),
        "missing_arkit": missing,
        "rotation_channels": c.rotations.len(),
        "rotation_unit": "rad",
        "weight_range": [0.0, 1.0],
        "channels": channels,
        "warnings": take.warnings,
    })
}

/// `true` for face take files (`.csv`, `.json`), which `mocap clean` treats as faces.
pub fn is_face_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("json"))
}

/// Writes a face take by extension (`.json` or CSV in Live Link Face layout).
pub fn write(curves: &mocap_data::FaceCurves, path: &Path) -> anyhow::Result<()> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        std::fs::write(path, face::to_json(curves))
            .with_context(|| format!("{}: cannot write", path.display()))?;
    } else {
        face::write_csv_path(curves, path)?;
    }
    Ok(())
}

/// `mocap clean FACE.csv --ops OPS.ron -o OUT.csv`: the stack's `face:` entries on a face take.
pub fn clean(input: &Path, ops: &Path, output: &Path, as_json: bool) -> anyhow::Result<()> {
    let stack = mocap_solver::stack::OpStack::load(ops)?;
    if stack.face.is_empty() {
        anyhow::bail!(
            "{}: the stack has no `face:` entries to run on {}",
            ops.display(),
            input.display()
        );
    }
    let take = read(input, None)?;
    for w in &take.warnings {
        eprintln!("warning: {w}");
    }
    let (out, reports) = mocap_solver::face_ops::apply(&stack.face, &take.curves)
        .with_context(|| format!("{}", ops.display()))?;
    write(&out, output)?;
    let entries: Vec<Value> = stack
        .face
        .iter()
        .zip(&reports)
        .map(|(e, r)| match r {
            Some(r) => json!({"op": e.op.name(), "samples_changed": r.samples_changed, "curves_changed": r.curves_changed}),
            None => json!({"op": e.op.name(), "disabled": true}),
        })
        .collect();
    if as_json {
        println!(
            "{}",
            json!({"input": input.display().to_string(), "output": output.display().to_string(), "frames": out.frame_count(), "entries": entries})
        );
    } else {
        for e in &entries {
            eprintln!("{e}");
        }
        eprintln!("wrote {} ({} frames)", output.display(), out.frame_count());
    }
    Ok(())
}

/// Runs `mocap face`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.which {
        Which::Info(a) => {
            let take = read(&a.file, a.rate.as_deref())?;
            let v = info_json(&a.file, &take);
            if a.json {
                println!("{}", serde_json::to_string(&v)?);
            } else {
                for w in &take.warnings {
                    eprintln!("warning: {w}");
                }
                let c = &take.curves;
                println!("{}: {:?}", a.file.display(), take.layout);
                println!(
                    "  {} frames at {} fps{} = {:.3} s, timecode {} – {}",
                    c.frame_count(),
                    c.rate.hz(),
                    if take.rate_inferred {
                        " (inferred)"
                    } else {
                        ""
                    },
                    c.duration_s(),
                    v["start_timecode"].as_str().unwrap_or("none"),
                    v["end_timecode"].as_str().unwrap_or("none"),
                );
                println!(
                    "  {} ARKit blendshapes, {} other weights, {} rotations (rad)",
                    v["arkit_channels"],
                    c.blendshapes.len() as u64 - v["arkit_channels"].as_u64().unwrap_or(0),
                    c.rotations.len()
                );
                for ch in v["channels"].as_array().into_iter().flatten() {
                    println!(
                        "  {:<22} {:>8} {:>8} {:>8}",
                        ch["name"].as_str().unwrap_or(""),
                        ch["min"],
                        ch["max"],
                        ch["mean"]
                    );
                }
            }
            Ok(())
        }
        Which::Convert(a) => {
            let take = read(&a.input, a.rate.as_deref())?;
            for w in &take.warnings {
                eprintln!("warning: {w}");
            }
            write(&take.curves, &a.output)
        }
    }
}
