//! `mocap convert`: convert between capture formats by extension.

use anyhow::{Context, bail};
use mocap_data::LengthUnit;
use mocap_formats::{FileKind, asf, bvh, c3d, trc, world};
use std::path::PathBuf;

/// Arguments of `mocap convert`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The ASF skeleton an AMC input refers to (required for `.amc`).
    #[arg(long, value_name = "X.asf")]
    skeleton: Option<PathBuf>,
    /// A marker take (.c3d, .trc) whose world, unit and rate a motion → .trc conversion uses.
    #[arg(long, value_name = "TAKE.c3d")]
    like: Option<PathBuf>,
    /// Length unit of a BVH written from ASF/AMC (`mm`, `cm`, `m`, `in`).
    #[arg(long, default_value = "cm", value_parser = parse_unit)]
    bvh_unit: LengthUnit,
    /// Input file (.c3d, .trc, .amc, .bvh).
    input: PathBuf,
    /// Output file (.c3d, .trc, .bvh); its extension picks the format.
    output: PathBuf,
}

fn parse_unit(s: &str) -> Result<LengthUnit, String> {
    LengthUnit::parse(s).ok_or_else(|| format!("unknown unit {s:?}; use mm, cm, m or in"))
}

fn kind(p: &std::path::Path) -> anyhow::Result<FileKind> {
    FileKind::from_path(p).with_context(|| {
        format!(
            "{}: unknown file type; expected .c3d, .trc, .amc or .bvh",
            p.display()
        )
    })
}

/// Runs `mocap convert`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (from, to) = (kind(&args.input)?, kind(&args.output)?);
    match (from, to) {
        (FileKind::C3d, FileKind::Trc) => {
            let f = c3d::read_path(&args.input)?;
            trc::write_path(&f.points, &args.output)?;
        }
        (FileKind::Trc, FileKind::C3d) => {
            let t = trc::read_path(&args.input)?;
            c3d::write_path(&c3d::C3dFile::from_trajectories(t.markers), &args.output)?;
        }
        (FileKind::C3d, FileKind::C3d) => {
            let f = c3d::read_path(&args.input)?;
            c3d::write_path(&f, &args.output)?;
        }
        (FileKind::Trc, FileKind::Trc) => {
            let t = trc::read_path(&args.input)?;
            trc::write_path(&t.markers, &args.output)?;
        }
        (FileKind::Amc, FileKind::Bvh) => {
            let Some(asf_path) = &args.skeleton else {
                bail!(
                    "{}: an AMC file needs its skeleton: add --skeleton X.asf",
                    args.input.display()
                )
            };
            let a = asf::read_asf_path(asf_path)?;
            let motion = asf::read_amc_path(&args.input, &a)?;
            let (sk, m) = asf::amc_to_bvh(&a, &motion, args.bvh_unit);
            bvh::write_path(&sk, &m, &args.output)?;
        }
        (FileKind::Amc | FileKind::Bvh, FileKind::Trc) => {
            let m = world::load_motion(&args.input, args.skeleton.as_deref())?;
            if let Some(g) = &m.unit_guess {
                eprintln!("BVH unit: {} ({})", g.unit.symbol(), g.reason);
            }
            let like = match &args.like {
                None => None,
                Some(p) => Some(match kind(p)? {
                    FileKind::C3d => c3d::read_path(p)?.points,
                    FileKind::Trc => trc::read_path(p)?.markers,
                    k => bail!(
                        "{}: --like needs a marker take (.c3d, .trc), not {k:?}",
                        p.display()
                    ),
                }),
            };
            let markers = world::motion_as_markers(&m, like.as_ref())
                .with_context(|| format!("placing {}", args.input.display()))?;
            trc::write_path(&markers, &args.output)?;
        }
        (FileKind::Bvh, FileKind::Bvh) => {
            let f = bvh::read_path(&args.input)?;
            bvh::write_path(&f.skeleton, &f.motion, &args.output)?;
        }
        (a, b) => bail!(
            "cannot convert {a:?} to {b:?}; supported: c3d↔trc, c3d→c3d, trc→trc, amc→bvh (with --skeleton), amc|bvh→trc (joints as markers, --like TAKE for its world), bvh→bvh"
        ),
    }
    eprintln!("wrote {}", args.output.display());
    Ok(())
}
