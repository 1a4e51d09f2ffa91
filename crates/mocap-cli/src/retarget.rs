//! `mocap retarget`: BVH motion onto another skeleton (BVH or glTF/GLB skin), written as BVH.

use anyhow::Context;
use mocap_data::Skeleton;
use mocap_solver::retarget::{BoneMap, retarget, skeleton_from_gltf};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arguments of `mocap retarget`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Bone maps: each skeleton uses the map (from --map files, then the built-in presets bandai, cmu_asf, cmu_cgspeed, mixamo, vrm) that names the most of its joints, or, when none names 14 bones, the automatic map from its topology and joint names (see `mocap bonemap`). A map file is JSON: {\"name\": \"mine\", \"bones\": {\"hips\": \"pelvis\", \"leftUpperArm\": \"l_arm\", ...}} with glTF/VRM humanoid bone names as keys."
)]
pub struct Args {
    /// Source motion (BVH).
    pub input: PathBuf,
    /// Target skeleton: a BVH file (its motion is ignored) or a glTF/GLB file (first skin).
    #[arg(long = "to")]
    pub to: PathBuf,
    /// Bone map file (JSON); repeat for source and target maps.
    #[arg(long = "map")]
    pub maps: Vec<PathBuf>,
    /// Output BVH file (glTF targets keep their joint names; lengths in the source's unit).
    #[arg(short = 'o', long = "output")]
    pub output: PathBuf,
    /// Print the report as JSON on stdout instead of the summary.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    input: &'a Path,
    target: &'a Path,
    output: &'a Path,
    source_map: &'a str,
    target_map: &'a str,
    frames: usize,
    rate_hz: f64,
    root_scale: f64,
    root_joint: Option<&'a str>,
    bones: Vec<(&'static str, &'a str, &'a str)>,
}

fn is_gltf(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("glb" | "gltf")
    )
}

/// Runs `mocap retarget`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let src = mocap_formats::bvh::read_path(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let target: Skeleton = if is_gltf(&args.to) {
        let bytes = std::fs::read(&args.to)
            .with_context(|| format!("cannot read {}", args.to.display()))?;
        skeleton_from_gltf(&bytes)
            .with_context(|| format!("{}", args.to.display()))?
            .skeleton
    } else {
        mocap_formats::bvh::read_path(&args.to)
            .with_context(|| format!("cannot read {}", args.to.display()))?
            .skeleton
    };
    let mut candidates = Vec::new();
    for p in &args.maps {
        candidates.push(BoneMap::read_path(p)?);
    }
    candidates.extend(BoneMap::presets());
    let (source_map, _) =
        BoneMap::for_skeleton(&src.skeleton, &candidates).context("source skeleton")?;
    let (target_map, _) = BoneMap::for_skeleton(&target, &candidates)
        .with_context(|| format!("target skeleton {}", args.to.display()))?;
    let r = retarget(
        &src.skeleton,
        &src.motion,
        &source_map,
        &target,
        &target_map,
    )?;
    let (sk, motion) = r.to_bvh(&target)?;
    // BVH has no unit: write lengths in the source file's unit (BVH tools assume centimetres).
    let out = mocap_formats::bvh::BvhFile {
        skeleton: sk,
        motion,
    }
    .to_unit(src.skeleton.unit);
    mocap_formats::bvh::write_path(&out.skeleton, &out.motion, &args.output)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    let report = Report {
        input: &args.input,
        target: &args.to,
        output: &args.output,
        source_map: &source_map.name,
        target_map: &target_map.name,
        frames: r.frame_count,
        rate_hz: r.rate.hz(),
        root_scale: r.root_scale,
        root_joint: r.root_joint.map(|j| target.joints[j].name.as_str()),
        bones: r
            .bones
            .iter()
            .map(|b| {
                (
                    b.bone.name(),
                    src.skeleton.joints[b.source_joint].name.as_str(),
                    target.joints[b.target_joint].name.as_str(),
                )
            })
            .collect(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} ({} map) → {} ({} map): {} bones mapped, {} frames at {} Hz",
            args.input.display(),
            report.source_map,
            args.to.display(),
            report.target_map,
            report.bones.len(),
            report.frames,
            report.rate_hz
        );
        println!(
            "root motion on {} scaled by {:.6} (target leg length / source leg length, target unit per source unit)",
            report
                .root_joint
                .unwrap_or("(none: no joint can translate)"),
            report.root_scale
        );
        println!("wrote {}", args.output.display());
    }
    Ok(())
}
