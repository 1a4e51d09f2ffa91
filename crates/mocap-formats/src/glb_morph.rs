//! Morph targets in the GLB writer: a second mesh (a face) rigidly bound to one joint of the
//! skin, with named morph targets and their weights animated over time.
//!
//! In the file: mesh 1 (`name`) with one primitive — `POSITION`, `NORMAL`, `COLOR_0` (linear RGB
//! vertex colours, multiplied with a white material), `JOINTS_0`/`WEIGHTS_0` (every vertex fully
//! on `joint`), `targets` of `POSITION` deltas — its default `weights` all 0 and the target names
//! in `extras.targetNames` (the convention Blender and three.js read); a node of that name using
//! skin 0; and, in the take's animation, one `weights` channel (LINEAR) sampling every frame.
//! Positions and deltas are given in skeleton space and unit, like [`super::SkinnedMesh`], and
//! converted the same way (metres, Y-up).

use crate::FormatError;
use crate::glb::{
    ARRAY_BUFFER, Bin, ELEMENT_ARRAY_BUFFER, FLOAT, UNSIGNED_INT, UNSIGNED_SHORT, f32_bytes,
    invalid,
};
use mocap_data::{DQuat, DVec3};
use serde_json::{Map, Value, json};
use std::path::Path;

/// One morph target: a name and a position offset per vertex.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MorphTarget {
    /// Target name (written to `extras.targetNames`), e.g. an ARKit blendshape name.
    pub name: String,
    /// Offset of every vertex at weight 1, skeleton unit, skeleton space.
    pub position_deltas: Vec<[f32; 3]>,
}

/// Morph weights over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MorphAnimation {
    /// Seconds between frames (frame `f` is at `f × frame_time_s`).
    pub frame_time_s: f64,
    /// Weights, frame-major: frame `f` is `weights[f * targets .. (f + 1) * targets]`, unitless.
    pub weights: Vec<f32>,
}

/// A mesh with morph targets, rigidly bound to one joint (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MorphMesh {
    /// Mesh and node name.
    pub name: String,
    /// The joint every vertex follows (index into `Skeleton::joints`).
    pub joint: usize,
    /// Vertex positions, skeleton unit, skeleton space, rest pose.
    pub positions: Vec<[f32; 3]>,
    /// Unit normals, skeleton space.
    pub normals: Vec<[f32; 3]>,
    /// Linear RGB colour per vertex, 0–1.
    pub colors: Vec<[f32; 3]>,
    /// Triangle list, counter-clockwise seen from outside.
    pub indices: Vec<u32>,
    /// The morph targets.
    pub targets: Vec<MorphTarget>,
    /// Their weights over time (`None`: no animation channel).
    pub animation: Option<MorphAnimation>,
}

/// Appends the mesh, its material and its node; returns the node index.
#[allow(clippy::too_many_arguments)]
pub(crate) fn add_mesh(
    bin: &mut Bin,
    doc: &mut Map<String, Value>,
    nodes: &mut Vec<Value>,
    scene_nodes: &mut Vec<usize>,
    m: &MorphMesh,
    joints: usize,
    (up, scale): (DQuat, f64),
    path: &Path,
) -> Result<usize, FormatError> {
    check_mesh(m, joints, path)?;
    let v = m.positions.len();
    let conv = |p: [f32; 3], s: f64| to_gltf(p, up, s);
    let bad = |what: &str| invalid(path, format!("morph mesh {}: non-finite {what}", m.name));
    let positions: Vec<[f32; 3]> = m
        .positions
        .iter()
        .map(|&p| conv(p, scale))
        .collect::<Option<_>>()
        .ok_or_else(|| bad("position"))?;
    let normals: Vec<[f32; 3]> = m
        .normals
        .iter()
        .map(|&p| {
            conv(p, 1.0).map(|n| {
                let l = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
                if l > 1e-12 {
                    n.map(|c| c / l)
                } else {
                    [0.0, 1.0, 0.0]
                }
            })
        })
        .collect::<Option<_>>()
        .ok_or_else(|| bad("normal"))?;
    let colors: Vec<[f32; 3]> = m
        .colors
        .iter()
        .map(|c| {
            c.map(|x| {
                if x.is_finite() {
                    x.clamp(0.0, 1.0)
                } else {
                    1.0
                }
            })
        })
        .collect();
    let pos = bin.vec3_accessor(&positions, true);
    let nrm = bin.vec3_accessor(&normals, false);
    let col = bin.vec3_accessor(&colors, false);
    let jb: Vec<u8> = (0..v)
        .flat_map(|_| [m.joint as u16, 0, 0, 0])
        .flat_map(u16::to_le_bytes)
        .collect();
    let jnt = bin.accessor(&jb, Some(ARRAY_BUFFER), UNSIGNED_SHORT, v, "VEC4", None);
    let wgt = bin.accessor(
        &f32_bytes((0..v).flat_map(|_| [1.0f32, 0.0, 0.0, 0.0])),
        Some(ARRAY_BUFFER),
        FLOAT,
        v,
        "VEC4",
        None,
    );
    let ib: Vec<u8> = m.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let idx = bin.accessor(
        &ib,
        Some(ELEMENT_ARRAY_BUFFER),
        UNSIGNED_INT,
        m.indices.len(),
        "SCALAR",
        None,
    );
    let targets = morph_targets(bin, m, (up, scale), path)?;
    let material = doc
        .get("materials")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if let Some(Value::Array(mats)) = doc.get_mut("materials") {
        mats.push(json!({
            "name": format!("{} skin", m.name),
            "pbrMetallicRoughness": { "baseColorFactor": [1.0, 1.0, 1.0, 1.0], "metallicFactor": 0.0, "roughnessFactor": 0.5 },
        }));
    }
    let mut prim = json!({
        "attributes": { "POSITION": pos, "NORMAL": nrm, "COLOR_0": col, "JOINTS_0": jnt, "WEIGHTS_0": wgt },
        "indices": idx,
        "material": material,
        "mode": 4,
    });
    let mut mesh = json!({ "name": m.name, "primitives": [] });
    if !targets.is_empty() {
        prim["targets"] = Value::Array(targets);
        mesh["weights"] = json!(vec![0.0; m.targets.len()]);
        mesh["extras"] =
            json!({ "targetNames": m.targets.iter().map(|t| t.name.clone()).collect::<Vec<_>>() });
    }
    mesh["primitives"] = json!([prim]);
    let mesh_index = match doc.get_mut("meshes") {
        Some(Value::Array(meshes)) => {
            meshes.push(mesh);
            meshes.len() - 1
        }
        _ => return Err(invalid(path, "a morphing mesh needs the skinned body mesh")),
    };
    nodes.push(json!({ "name": m.name, "mesh": mesh_index, "skin": 0 }));
    scene_nodes.push(nodes.len() - 1);
    Ok(nodes.len() - 1)
}

/// Checks the morph mesh's attribute lengths, joint and triangle list.
fn check_mesh(m: &MorphMesh, joints: usize, path: &Path) -> Result<(), FormatError> {
    let v = m.positions.len();
    if v == 0 || m.normals.len() != v || m.colors.len() != v {
        return Err(invalid(
            path,
            format!(
                "morph mesh {}: {v} positions, {} normals, {} colours; they must agree and be non-empty",
                m.name,
                m.normals.len(),
                m.colors.len()
            ),
        ));
    }
    if m.joint >= joints {
        return Err(invalid(
            path,
            format!("morph mesh {}: joint {} out of range", m.name, m.joint),
        ));
    }
    if m.indices.is_empty()
        || !m.indices.len().is_multiple_of(3)
        || m.indices.iter().any(|&i| i as usize >= v)
    {
        return Err(invalid(
            path,
            format!("morph mesh {}: bad triangle list", m.name),
        ));
    }
    Ok(())
}

/// `p` scaled by `s` and turned by `up` into glTF space; `None` if not finite.
fn to_gltf(p: [f32; 3], up: DQuat, s: f64) -> Option<[f32; 3]> {
    let q = up * (DVec3::from(p.map(f64::from)) * s);
    q.is_finite().then(|| q.as_vec3().to_array())
}

/// One `POSITION` morph target accessor per target of `m` (deltas in metres, glTF space).
fn morph_targets(
    bin: &mut Bin,
    m: &MorphMesh,
    (up, scale): (DQuat, f64),
    path: &Path,
) -> Result<Vec<Value>, FormatError> {
    let v = m.positions.len();
    let conv = |p: [f32; 3], s: f64| to_gltf(p, up, s);
    let bad = |what: &str| invalid(path, format!("morph mesh {}: non-finite {what}", m.name));
    let mut targets = Vec::with_capacity(m.targets.len());
    for t in &m.targets {
        if t.position_deltas.len() != v {
            return Err(invalid(
                path,
                format!(
                    "morph target {}: {} deltas for {v} vertices",
                    t.name,
                    t.position_deltas.len()
                ),
            ));
        }
        let d: Vec<[f32; 3]> = t
            .position_deltas
            .iter()
            .map(|&p| conv(p, scale))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("morph delta"))?;
        let acc = bin.vec3_accessor(&d, true);
        targets.push(json!({ "POSITION": acc }));
    }
    Ok(targets)
}

/// Appends the `weights` channel of `m.animation` for node `node`.
pub(crate) fn animate(
    bin: &mut Bin,
    m: &MorphMesh,
    node: usize,
    channels: &mut Vec<Value>,
    samplers: &mut Vec<Value>,
    path: &Path,
) -> Result<(), FormatError> {
    let (Some(a), k) = (&m.animation, m.targets.len()) else {
        return Ok(());
    };
    if k == 0 || a.weights.is_empty() {
        return Ok(());
    }
    if !a.weights.len().is_multiple_of(k) {
        return Err(invalid(
            path,
            format!(
                "{} morph weights are not a whole number of frames of {k}",
                a.weights.len()
            ),
        ));
    }
    if !a.frame_time_s.is_finite() || a.frame_time_s <= 0.0 {
        return Err(invalid(
            path,
            format!("morph frame time {} s; it must be positive", a.frame_time_s),
        ));
    }
    if let Some(i) = a.weights.iter().position(|w| !w.is_finite()) {
        return Err(invalid(path, format!("morph weight {i} is not finite")));
    }
    let frames = a.weights.len() / k;
    let times: Vec<f32> = (0..frames)
        .map(|f| (f as f64 * a.frame_time_s) as f32)
        .collect();
    let (t0, t1) = (times[0], times[frames - 1]);
    let input = bin.accessor(
        &f32_bytes(times),
        None,
        FLOAT,
        frames,
        "SCALAR",
        Some((vec![t0], vec![t1])),
    );
    let output = bin.accessor(
        &f32_bytes(a.weights.iter().copied()),
        None,
        FLOAT,
        frames * k,
        "SCALAR",
        None,
    );
    channels
        .push(json!({ "sampler": samplers.len(), "target": { "node": node, "path": "weights" } }));
    samplers.push(json!({ "input": input, "output": output, "interpolation": "LINEAR" }));
    Ok(())
}
