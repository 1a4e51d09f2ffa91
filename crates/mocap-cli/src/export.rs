//! `mocap export-glb`: the built-in mannequin playing a BVH or ASF/AMC take, as a GLB file
//! (glTF 2.0 binary: metres, +Y up) for Blender, three.js and other glTF viewers.

use anyhow::{Context, bail};
use mocap_data::LengthUnit;
use mocap_formats::{FileKind, asf, bvh};
use std::path::PathBuf;

/// Arguments of `mocap export-glb`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input motion: a `.bvh`, or an `.amc` with `--skeleton`.
    pub input: PathBuf,
    /// The ASF skeleton an AMC input refers to (required for `.amc`).
    #[arg(long, value_name = "X.asf")]
    pub skeleton: Option<PathBuf>,
    /// A face take (Live Link Face CSV, generic CSV or JSON): the mannequin gets a face with the
    /// 52 ARKit morph targets whose weights play this take (from time 0, at the take's rate).
    #[arg(long, value_name = "CURVES.csv")]
    pub face: Option<PathBuf>,
    /// The face take's rate in fps when its file does not state it (e.g. 60).
    #[arg(long, value_name = "FPS", requires = "face")]
    pub face_rate: Option<String>,
    /// A face map (`CHARACTER.facemap.json`, as the studio's Face Map tab saves it): which ARKit
    /// channels drive each of the face's 52 morph targets (named by ARKit's camelCase names);
    /// targets the map does not name stay neutral.
    #[arg(long, value_name = "MAP.json", requires = "face")]
    pub face_map: Option<PathBuf>,
    /// Output GLB file.
    #[arg(short = 'o', long = "output", value_name = "OUT.glb")]
    pub output: PathBuf,
}

/// Runs `mocap export-glb`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (skeleton, motion) = match FileKind::from_path(&args.input) {
        Some(FileKind::Bvh) => {
            let f = bvh::read_path(&args.input)?;
            (f.skeleton, f.motion)
        }
        Some(FileKind::Amc) => {
            let Some(asf_path) = &args.skeleton else {
                bail!(
                    "{}: an AMC file needs its skeleton: add --skeleton X.asf",
                    args.input.display()
                )
            };
            let a = asf::read_asf_path(asf_path)?;
            // `read_amc_path` lays values out for the ASF skeleton in millimetres.
            let motion = asf::read_amc_path(&args.input, &a)?;
            (a.to_skeleton(LengthUnit::Millimetre), motion)
        }
        _ => bail!(
            "{}: unsupported input; export-glb reads .bvh, or .amc with --skeleton X.asf",
            args.input.display()
        ),
    };
    let name = args
        .input
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Take")
        .to_string();
    let bytes = match &args.face {
        None => mocap_solver::mannequin::to_glb(&skeleton, &motion, &name),
        Some(face_path) => {
            let take = crate::face::read(face_path, args.face_rate.as_deref())?;
            for w in &take.warnings {
                eprintln!("warning: {w}");
            }
            let curves = match &args.face_map {
                None => take.curves,
                Some(p) => {
                    let map = mocap_formats::face_map_file::read_face_map(p)?;
                    let (curves, driven) = through_face_map(&take.curves, &map);
                    eprintln!(
                        "face map {}: {driven} of 52 morph targets driven",
                        p.display()
                    );
                    curves
                }
            };
            mocap_solver::mannequin_face::to_glb_with_face(&skeleton, &motion, &curves, &name)
        }
    }
    .map_err(|e| e.with_path(&args.output))?;
    std::fs::write(&args.output, bytes)
        .with_context(|| format!("{}: cannot write", args.output.display()))?;
    eprintln!(
        "wrote {} ({} joints, {} frames)",
        args.output.display(),
        skeleton.joints.len(),
        motion.frame_count()
    );
    Ok(())
}

/// The mannequin face's 52 ARKit-named targets driven through `map` (applied by target name):
/// curves named as the targets, each frame's weights from the take's ARKit weights; returns
/// them and how many targets the map drives.
pub fn through_face_map(
    face: &mocap_data::FaceCurves,
    map: &mocap_data::FaceMap,
) -> (mocap_data::FaceCurves, usize) {
    use mocap_data::face::ARKIT_BLENDSHAPES;
    let map = map.remap(&ARKIT_BLENDSHAPES);
    let frames = face.frame_count();
    let mut out = mocap_data::FaceCurves::zeros_arkit(face.rate, frames);
    out.start_timecode = face.start_timecode;
    out.rotations = face.rotations.clone();
    let lookup = face.arkit_lookup();
    let mut src = [0.0f32; 52];
    let mut dst = [0.0f32; 52];
    for f in 0..frames {
        for (w, c) in src.iter_mut().zip(&lookup) {
            *w = c
                .and_then(|c| face.blendshapes.get(c))
                .and_then(|c| c.values.get(f))
                .copied()
                .unwrap_or(0.0);
        }
        map.weights(&src, &mut dst);
        for (c, w) in out.blendshapes.iter_mut().zip(dst) {
            if let Some(v) = c.values.get_mut(f) {
                *v = w;
            }
        }
    }
    (out, map.bindings.len())
}
