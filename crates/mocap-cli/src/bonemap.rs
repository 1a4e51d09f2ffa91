//! `mocap bonemap`: the bone map a character gets (a preset, or the automatic map from its
//! topology and joint names) with a confidence per bone.

use anyhow::Context;
use mocap_data::Skeleton;
use mocap_solver::retarget::{BoneMap, HumanBone, skeleton_from_gltf};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Arguments of `mocap bonemap`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The character (.glb, .gltf with embedded buffers, or .bvh).
    pub character: PathBuf,
    /// Bone map files (JSON) to try before the presets and the automatic map.
    #[arg(long = "map")]
    pub maps: Vec<PathBuf>,
    /// Print JSON: {"character", "map", "bones": {"hips": {"joint", "confidence"}, …}}.
    #[arg(long)]
    pub json: bool,
}

fn load(path: &std::path::Path) -> anyhow::Result<Skeleton> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if matches!(ext.as_deref(), Some("glb" | "gltf")) {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(skeleton_from_gltf(&bytes)
            .with_context(|| path.display().to_string())?
            .skeleton)
    } else {
        Ok(mocap_formats::bvh::read_path(path)?.skeleton)
    }
}

/// Runs `mocap bonemap`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let sk = load(&args.character)?;
    let mut candidates = Vec::new();
    for p in &args.maps {
        candidates.push(BoneMap::read_path(p)?);
    }
    candidates.extend(BoneMap::presets());
    let (map, conf) = BoneMap::for_skeleton(&sk, &candidates)
        .with_context(|| args.character.display().to_string())?;
    let resolved = map.resolve(&sk);
    let bones: serde_json::Map<String, Value> = HumanBone::ALL
        .iter()
        .filter_map(|b| {
            let j = resolved.get(b)?;
            Some((
                b.name().to_string(),
                json!({
                    "joint": sk.joints[*j].name,
                    "confidence": conf.get(b).copied().unwrap_or(1.0),
                }),
            ))
        })
        .collect();
    if args.json {
        println!(
            "{}",
            json!({
                "character": args.character.display().to_string(),
                "map": map.name,
                "bones": bones,
            })
        );
    } else {
        println!("{} ({} map):", args.character.display(), map.name);
        for (b, v) in &bones {
            println!(
                "{b:>14}: {} ({:.2})",
                v["joint"].as_str().unwrap_or(""),
                v["confidence"].as_f64().unwrap_or(0.0)
            );
        }
    }
    Ok(())
}
