//! `mocap info`: what a capture file holds, for people and (with `--json`) for scripts.

use anyhow::{Context, bail};
use mocap_data::{MarkerTrajectories, Motion, Skeleton};
use mocap_formats::{FileKind, asf, bvh, c3d, trc};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Arguments of `mocap info`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// The ASF skeleton an AMC motion file refers to (required for `.amc`).
    #[arg(long, value_name = "X.asf")]
    skeleton: Option<PathBuf>,
    /// The file to inspect (.c3d, .bvh, .amc with --skeleton, .asf, .trc).
    file: PathBuf,
}

/// Runs `mocap info`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let kind = FileKind::from_path(&args.file)
        .filter(|k| k.is_capture())
        .with_context(|| {
            format!(
                "{}: unknown file type; expected .c3d, .bvh, .asf, .amc or .trc",
                args.file.display()
            )
        })?;
    let info = match kind {
        FileKind::C3d => c3d_info(&c3d::read_path(&args.file)?),
        FileKind::Bvh => {
            let f = bvh::read_path(&args.file)?;
            let g = bvh::guess_unit(&f.skeleton);
            let mut v = skeleton_info("bvh", &f.skeleton, &f.motion);
            v["unit_guess"] = json!({
                "unit": g.unit.symbol(),
                "size_m": g.size_m,
                "plausible": g.plausible,
                "reason": g.reason,
            });
            v
        }
        FileKind::Amc => {
            let Some(asf_path) = &args.skeleton else {
                bail!(
                    "{}: an AMC file needs its skeleton: add --skeleton X.asf",
                    args.file.display()
                )
            };
            let a = asf::read_asf_path(asf_path)?;
            let motion = asf::read_amc_path(&args.file, &a)?;
            let sk = a.to_skeleton(mocap_data::LengthUnit::Millimetre);
            let mut v = skeleton_info("amc", &sk, &motion);
            v["skeleton_file"] = json!(asf_path.display().to_string());
            v
        }
        FileKind::Asf => {
            let a = asf::read_asf_path(&args.file)?;
            let sk = a.to_skeleton(mocap_data::LengthUnit::Millimetre);
            json!({
                "format": "asf",
                "joints": sk.joints.iter().map(|j| j.name.clone()).collect::<Vec<_>>(),
                "channels": sk.channel_count(),
                "units": sk.unit.symbol(),
            })
        }
        FileKind::Trc => {
            let t = trc::read_path(&args.file)?;
            let mut v = markers_info("trc", &t.markers);
            v["first_frame"] = json!(t.markers.first_frame);
            v
        }
        other => anyhow::bail!(
            "{}: {other:?} files hold no capture data `mocap info` reads",
            args.file.display()
        ),
    };
    if args.json {
        println!("{}", serde_json::to_string(&info)?);
    } else {
        print_text(&info);
    }
    Ok(())
}

fn markers_info(format: &str, m: &MarkerTrajectories) -> Value {
    let first: Vec<Value> = (0..m.marker_count())
        .map(|i| {
            if m.frame_count() == 0 {
                return Value::Null;
            }
            match m.position(0, i) {
                Some(p) => json!([short(p[0]), short(p[1]), short(p[2])]),
                None => Value::Null,
            }
        })
        .collect();
    json!({
        "format": format,
        "frames": m.frame_count(),
        "first_frame": m.first_frame,
        "rate_hz": m.rate.hz(),
        "units": m.unit.symbol(),
        "markers": m.labels,
        "first_frame_xyz": first,
        "valid_fraction": m.valid_fraction(),
    })
}

/// An f32 as the f64 with the same shortest decimal form (248.58334, not 248.58334350585938).
fn short(x: f32) -> f64 {
    x.to_string().parse().unwrap_or(x as f64)
}

fn c3d_info(f: &c3d::C3dFile) -> Value {
    let mut v = markers_info("c3d", &f.points);
    v["analog"] = json!({
        "channels": f.analog.channel_count(),
        "rate_hz": f.analog.rate_hz,
        "labels": f.analog.labels,
    });
    v["events"] = Value::Array(
        f.events
            .iter()
            .map(|e| json!({"label": e.label, "context": e.context, "time_s": e.time_s, "description": e.description}))
            .collect(),
    );
    v
}

fn skeleton_info(format: &str, sk: &Skeleton, motion: &Motion) -> Value {
    json!({
        "format": format,
        "frames": motion.frame_count(),
        "frame_time_s": motion.frame_time_s,
        "rate_hz": motion.rate.hz(),
        "joints": sk.joints.iter().map(|j| j.name.clone()).collect::<Vec<_>>(),
        "channels": sk.channel_count(),
        "units": sk.unit.symbol(),
    })
}

fn print_text(v: &Value) {
    let Some(obj) = v.as_object() else { return };
    for (k, val) in obj {
        let s = match val {
            Value::Array(a) if a.len() > 12 => {
                let head: Vec<String> = a.iter().take(12).map(|x| x.to_string()).collect();
                format!("[{}, … {} in all]", head.join(", "), a.len())
            }
            other => other.to_string(),
        };
        println!("{k:>16}: {s}");
    }
}
