//! Binary glTF 2.0 (GLB) writer: a skeleton as a node hierarchy, a skinned mesh bound to it and
//! the motion as one animation, for Blender, three.js and any glTF viewer.
//!
//! Spaces and units. Input is in the skeleton's space: its [`LengthUnit`] and [`UpAxis`], joint
//! transforms as [`mocap_data::fk`] defines them (`local = T(translation) · rest_rotation ·
//! R(channels)`, rotations in degrees). Output is glTF's space: **metres, +Y up, right-handed**.
//! Every length (offsets, position channels, mesh positions) is scaled to metres; a Z-up skeleton
//! is turned Y-up explicitly by rotating its root node by −90° about X (`(x, y, z) → (x, z, −y)`,
//! as [`UpAxis::convert_point`]), so world positions in the file equal the source's forward
//! kinematics, converted. Times are seconds from frame 0 (`frame × motion.frame_time_s`).
//!
//! Layout: node `j` is joint `j` (rest TRS from `offset` and `rest_rotation`), node `n` (after the
//! joints) holds the mesh and the skin; the skin lists every joint and carries the inverse bind
//! matrices of the rest pose (position channels at their offsets, rotation channels zero — the
//! pose the mesh is modelled in). One animation samples, with LINEAR interpolation, the rotation
//! of every joint with rotation channels and the translation of every joint with position
//! channels at every frame. One buffer in the BIN chunk; chunks and buffer views 4-byte aligned.

use crate::FormatError;
use glam::DMat4;
use mocap_data::{DQuat, DVec3, LengthUnit, Motion, Skeleton, UpAxis, fk};
use serde_json::{Map, Value, json};
use std::io::Write;
use std::path::Path;

/// The `asset.generator` string written into every file.
pub const GENERATOR: &str = concat!(
    "Mocap Studio (mocap-formats ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// A triangle mesh skinned to a skeleton, modelled in the skeleton's rest pose in **skeleton
/// space** (the skeleton's unit and up axis). All per-vertex vectors have the same length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SkinnedMesh {
    /// Vertex positions, skeleton unit, skeleton space, rest pose.
    pub positions: Vec<[f32; 3]>,
    /// Vertex normals (unit length; re-normalised on writing), skeleton space.
    pub normals: Vec<[f32; 3]>,
    /// Up to four joint indices per vertex (indices into `Skeleton::joints`).
    pub joints: Vec<[u16; 4]>,
    /// Matching weights, non-negative, summing to 1 (re-normalised on writing).
    pub weights: Vec<[f32; 4]>,
    /// Triangle list, counter-clockwise seen from outside.
    pub indices: Vec<u32>,
    /// Base colour, linear RGBA in 0..=1.
    pub base_color: [f32; 4],
}

pub use crate::glb_morph::{MorphAnimation, MorphMesh, MorphTarget};

pub(crate) const FLOAT: u32 = 5126;
pub(crate) const UNSIGNED_SHORT: u32 = 5123;
pub(crate) const UNSIGNED_INT: u32 = 5125;
pub(crate) const ARRAY_BUFFER: u32 = 34962;
pub(crate) const ELEMENT_ARRAY_BUFFER: u32 = 34963;

pub(crate) fn invalid(path: &Path, message: impl Into<String>) -> FormatError {
    FormatError::InvalidData {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Writes a GLB of `skeleton`, `mesh` bound to it, and `motion` as an animation named
/// `animation_name` (see the module docs for spaces and layout).
///
/// Errors (`InvalidData`): an invalid skeleton or a motion that does not fit it, no joints or
/// more than one root joint, more than 65 536 joints, mesh attribute lengths that differ, an
/// index or joint index out of range, a triangle list whose length is not a multiple of 3, a
/// vertex with no positive weight, a non-positive frame time, or any non-finite value.
pub fn write<W: Write>(
    skeleton: &Skeleton,
    motion: &Motion,
    mesh: &SkinnedMesh,
    animation_name: &str,
    mut w: W,
) -> Result<(), FormatError> {
    let path = Path::new("<writer>");
    let bytes = build(skeleton, motion, mesh, None, animation_name, path)?;
    w.write_all(&bytes).map_err(|e| FormatError::io(path, e))
}

/// Writes a GLB to `path` (see [`write()`]).
pub fn write_path(
    skeleton: &Skeleton,
    motion: &Motion,
    mesh: &SkinnedMesh,
    animation_name: &str,
    path: &Path,
) -> Result<(), FormatError> {
    let bytes = build(skeleton, motion, mesh, None, animation_name, path)?;
    std::fs::write(path, bytes).map_err(|e| FormatError::io(path, e))
}

/// The GLB as bytes (see [`write()`]).
pub fn to_vec(
    skeleton: &Skeleton,
    motion: &Motion,
    mesh: &SkinnedMesh,
    animation_name: &str,
) -> Result<Vec<u8>, FormatError> {
    build(
        skeleton,
        motion,
        mesh,
        None,
        animation_name,
        Path::new("<memory>"),
    )
}

/// The GLB as bytes with a second, morphing mesh (a face) bound to one joint and its weights
/// animated beside the motion (see [`MorphMesh`]).
pub fn to_vec_with_morph(
    skeleton: &Skeleton,
    motion: &Motion,
    mesh: &SkinnedMesh,
    morph: &MorphMesh,
    animation_name: &str,
) -> Result<Vec<u8>, FormatError> {
    build(
        skeleton,
        motion,
        mesh,
        Some(morph),
        animation_name,
        Path::new("<memory>"),
    )
}

/// The rotation that turns `up` space into glTF's Y-up space.
pub fn to_y_up(up: UpAxis) -> DQuat {
    match up {
        UpAxis::Y => DQuat::IDENTITY,
        UpAxis::Z => DQuat::from_rotation_x(-std::f64::consts::FRAC_PI_2),
    }
}

/// The binary chunk under construction: buffer views and accessors into it.
#[derive(Default)]
pub(crate) struct Bin {
    pub(crate) data: Vec<u8>,
    pub(crate) views: Vec<Value>,
    pub(crate) accessors: Vec<Value>,
}

impl Bin {
    /// Appends `bytes` as a new buffer view at a 4-byte aligned offset; returns its index.
    fn view(&mut self, bytes: &[u8], target: Option<u32>) -> usize {
        while !self.data.len().is_multiple_of(4) {
            self.data.push(0);
        }
        let mut v = json!({
            "buffer": 0,
            "byteOffset": self.data.len(),
            "byteLength": bytes.len(),
        });
        if let Some(t) = target {
            v["target"] = json!(t);
        }
        self.data.extend_from_slice(bytes);
        self.views.push(v);
        self.views.len() - 1
    }

    /// Appends an accessor over the whole of a new view of `bytes`; returns its index.
    /// An accessor of `points` (`VEC3` of `f32`, one per vertex) in an `ARRAY_BUFFER` view, with
    /// their bounds when `bounds` (glTF requires them on positions).
    pub(crate) fn vec3_accessor(&mut self, points: &[[f32; 3]], bounds: bool) -> usize {
        self.accessor(
            &f32_bytes(points.iter().flatten().copied()),
            Some(ARRAY_BUFFER),
            FLOAT,
            points.len(),
            "VEC3",
            bounds.then(|| min_max(points)),
        )
    }

    pub(crate) fn accessor(
        &mut self,
        bytes: &[u8],
        target: Option<u32>,
        component_type: u32,
        count: usize,
        kind: &str,
        min_max: Option<(Vec<f32>, Vec<f32>)>,
    ) -> usize {
        let view = self.view(bytes, target);
        let mut a = json!({
            "bufferView": view,
            "componentType": component_type,
            "count": count,
            "type": kind,
        });
        if let Some((min, max)) = min_max {
            a["min"] = json!(min);
            a["max"] = json!(max);
        }
        self.accessors.push(a);
        self.accessors.len() - 1
    }
}

pub(crate) fn f32_bytes(values: impl IntoIterator<Item = f32>) -> Vec<u8> {
    values.into_iter().flat_map(f32::to_le_bytes).collect()
}

/// Per-component minimum and maximum of `N`-vectors.
pub(crate) fn min_max<const N: usize>(v: &[[f32; N]]) -> (Vec<f32>, Vec<f32>) {
    let mut lo = [f32::INFINITY; N];
    let mut hi = [f32::NEG_INFINITY; N];
    for p in v {
        for k in 0..N {
            lo[k] = lo[k].min(p[k]);
            hi[k] = hi[k].max(p[k]);
        }
    }
    (lo.to_vec(), hi.to_vec())
}

fn quat_json(q: DQuat) -> Value {
    json!([q.x, q.y, q.z, q.w])
}

fn vec_json(v: DVec3) -> Value {
    json!([v.x, v.y, v.z])
}

fn finite_quat(q: DQuat) -> bool {
    q.is_finite() && q.length_squared() > 0.0
}

/// Joint indices and weights with duplicates merged, zero weights on joint 0, largest first and
/// the sum exactly 1 in f32 (what the glTF validator demands of `JOINTS_0`/`WEIGHTS_0`).
fn clean_influences(joints: [u16; 4], weights: [f32; 4]) -> Option<([u16; 4], [f32; 4])> {
    let mut merged: Vec<(u16, f64)> = Vec::with_capacity(4);
    for (j, w) in joints.iter().zip(weights) {
        if !w.is_finite() || w < 0.0 {
            return None;
        }
        if w == 0.0 {
            continue;
        }
        match merged.iter_mut().find(|(k, _)| k == j) {
            Some((_, acc)) => *acc += w as f64,
            None => merged.push((*j, w as f64)),
        }
    }
    let total: f64 = merged.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return None;
    }
    merged.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut oj = [0u16; 4];
    let mut ow = [0f32; 4];
    for (k, (j, w)) in merged.iter().enumerate() {
        oj[k] = *j;
        ow[k] = (w / total) as f32;
    }
    // The largest weight takes the f32 rounding so the sum is 1.
    ow[0] = 1.0 - ow[1..].iter().sum::<f32>();
    Some((oj, ow))
}

fn build(
    skeleton: &Skeleton,
    motion: &Motion,
    mesh: &SkinnedMesh,
    morph: Option<&MorphMesh>,
    animation_name: &str,
    path: &Path,
) -> Result<Vec<u8>, FormatError> {
    let n = check_skeleton(skeleton, motion, path)?;
    let space = Space {
        up: to_y_up(skeleton.up_axis),
        scale: skeleton.unit.factor_to(LengthUnit::Metre),
    };

    let mut bin = Bin::default();

    // --- nodes: joints in rest pose, then the mesh node ---
    let (mut nodes, rest_world) = rest_nodes(skeleton, &space, path)?;
    let root = skeleton
        .joints
        .iter()
        .position(|j| j.parent.is_none())
        .unwrap_or(0);
    let mut scene_nodes = vec![root];

    // --- mesh and skin ---
    let mut doc = Map::new();
    let v = mesh.positions.len();
    if v > 0 {
        check_mesh(mesh, path)?;
        let vertices = vertex_attributes(mesh, n, &space, path)?;
        let ibm = inverse_bind_matrices(skeleton, &rest_world, path)?;
        add_skinned_mesh(&mut bin, &mut doc, mesh, &vertices, ibm, n, root);
        nodes.push(json!({ "name": "Mesh", "mesh": 0, "skin": 0 }));
        scene_nodes.push(n);
    }
    let morph_node = match morph {
        Some(m) if v > 0 => Some(crate::glb_morph::add_mesh(
            &mut bin,
            &mut doc,
            &mut nodes,
            &mut scene_nodes,
            m,
            n,
            (space.up, space.scale),
            path,
        )?),
        Some(_) => return Err(invalid(path, "a morphing mesh needs the skinned body mesh")),
        None => None,
    };
    let mut samplers = Vec::new();
    let mut channels = Vec::new();

    // --- animation ---
    animate_joints(
        &mut bin,
        skeleton,
        motion,
        &space,
        (&mut channels, &mut samplers),
        path,
    )?;
    if let (Some(m), Some(node)) = (morph, morph_node) {
        crate::glb_morph::animate(&mut bin, m, node, &mut channels, &mut samplers, path)?;
    }
    if !channels.is_empty() {
        doc.insert(
            "animations".into(),
            json!([{ "name": animation_name, "channels": channels, "samplers": samplers }]),
        );
    }

    // --- document ---
    assemble(doc, bin, (nodes, scene_nodes), animation_name, path)
}

/// Checks what a skinned glTF needs of the skeleton and the motion; returns the joint count.
fn check_skeleton(skeleton: &Skeleton, motion: &Motion, path: &Path) -> Result<usize, FormatError> {
    skeleton
        .validate()
        .map_err(|e| invalid(path, e.to_string()))?;
    motion
        .check(skeleton)
        .map_err(|e| invalid(path, e.to_string()))?;
    let n = skeleton.joints.len();
    if n == 0 {
        return Err(invalid(path, "the skeleton has no joints"));
    }
    if n > u16::MAX as usize + 1 {
        return Err(invalid(
            path,
            format!("{n} joints; a skinned mesh can address at most 65 536"),
        ));
    }
    let roots = skeleton
        .joints
        .iter()
        .filter(|j| j.parent.is_none())
        .count();
    if roots != 1 {
        return Err(invalid(
            path,
            format!("the skeleton has {roots} root joints; a glTF skin needs exactly one"),
        ));
    }
    Ok(n)
}

/// The turn from the skeleton's space into glTF's (Y up, metres).
struct Space {
    /// Rotation from the skeleton's up axis to +Y (unitless quaternion).
    up: DQuat,
    /// Skeleton length unit to metres (metres per unit).
    scale: f64,
}

impl Space {
    /// Local transform in glTF space: lengths in metres, the up-axis turn on the root.
    fn local(&self, skeleton: &Skeleton, j: usize, r: DQuat, t: DVec3) -> (DQuat, DVec3) {
        if skeleton.joints[j].parent.is_none() {
            ((self.up * r).normalize(), self.up * (t * self.scale))
        } else {
            (r.normalize(), t * self.scale)
        }
    }
}

/// One glTF node per joint in rest pose, and each joint's rest world matrix (glTF space, metres).
fn rest_nodes(
    skeleton: &Skeleton,
    space: &Space,
    path: &Path,
) -> Result<(Vec<Value>, Vec<DMat4>), FormatError> {
    let n = skeleton.joints.len();
    let mut nodes: Vec<Value> = Vec::with_capacity(n + 1);
    let mut rest_world: Vec<DMat4> = Vec::with_capacity(n);
    for (j, joint) in skeleton.joints.iter().enumerate() {
        let (r, t) = space.local(skeleton, j, joint.rest_rotation, joint.offset);
        if !finite_quat(r) || !t.is_finite() {
            return Err(invalid(
                path,
                format!("joint {}: non-finite offset or rest rotation", joint.name),
            ));
        }
        let local = DMat4::from_rotation_translation(r, t);
        rest_world.push(match joint.parent {
            Some(p) => rest_world[p] * local,
            None => local,
        });
        let mut node = Map::new();
        node.insert("name".into(), json!(joint.name));
        node.insert("translation".into(), vec_json(t));
        node.insert("rotation".into(), quat_json(r));
        let children: Vec<usize> = skeleton.children(j).collect();
        if !children.is_empty() {
            node.insert("children".into(), json!(children));
        }
        nodes.push(Value::Object(node));
    }
    Ok((nodes, rest_world))
}

/// Checks that the mesh attributes agree in length and the indices form valid triangles.
fn check_mesh(mesh: &SkinnedMesh, path: &Path) -> Result<(), FormatError> {
    let v = mesh.positions.len();
    if mesh.normals.len() != v || mesh.joints.len() != v || mesh.weights.len() != v {
        return Err(invalid(
            path,
            format!(
                "mesh attributes differ in length: {v} positions, {} normals, {} joints, {} weights",
                mesh.normals.len(),
                mesh.joints.len(),
                mesh.weights.len()
            ),
        ));
    }
    if mesh.indices.is_empty() || !mesh.indices.len().is_multiple_of(3) {
        return Err(invalid(
            path,
            format!(
                "{} mesh indices; a triangle list needs a positive multiple of 3",
                mesh.indices.len()
            ),
        ));
    }
    if let Some(i) = mesh.indices.iter().find(|&&i| i as usize >= v) {
        return Err(invalid(
            path,
            format!("mesh index {i} is out of range for {v} vertices"),
        ));
    }
    Ok(())
}

/// Per-vertex attributes in glTF space, ready for the buffer.
struct Vertices {
    /// Positions (metres, glTF space).
    positions: Vec<[f32; 3]>,
    /// Unit normals (glTF space).
    normals: Vec<[f32; 3]>,
    /// Up to four joint indices per vertex (indices into the skeleton's joints).
    joints: Vec<[u16; 4]>,
    /// The matching weights, summing to 1 (unitless).
    weights: Vec<[f32; 4]>,
}

/// Converts and checks every vertex of `mesh` for a skeleton of `n` joints.
fn vertex_attributes(
    mesh: &SkinnedMesh,
    n: usize,
    space: &Space,
    path: &Path,
) -> Result<Vertices, FormatError> {
    let v = mesh.positions.len();
    let mut out = Vertices {
        positions: Vec::with_capacity(v),
        normals: Vec::with_capacity(v),
        joints: Vec::with_capacity(v),
        weights: Vec::with_capacity(v),
    };
    for i in 0..v {
        let p = DVec3::from(mesh.positions[i].map(f64::from));
        let q = space.up * (p * space.scale);
        if !q.is_finite() {
            return Err(invalid(path, format!("vertex {i}: non-finite position")));
        }
        out.positions.push(q.as_vec3().to_array());
        let nr = space.up * DVec3::from(mesh.normals[i].map(f64::from));
        if !nr.is_finite() {
            return Err(invalid(path, format!("vertex {i}: non-finite normal")));
        }
        out.normals
            .push(nr.try_normalize().unwrap_or(DVec3::Y).as_vec3().to_array());
        if let Some(j) = mesh.joints[i].iter().find(|&&j| j as usize >= n) {
            return Err(invalid(
                path,
                format!("vertex {i}: joint index {j} is out of range for {n} joints"),
            ));
        }
        let (oj, ow) = clean_influences(mesh.joints[i], mesh.weights[i]).ok_or_else(|| {
            invalid(
                path,
                format!("vertex {i}: weights must be finite, non-negative, not all zero"),
            )
        })?;
        out.joints.push(oj);
        out.weights.push(ow);
    }
    Ok(out)
}

/// The inverse bind matrices of every joint, column-major, 16 floats each.
fn inverse_bind_matrices(
    skeleton: &Skeleton,
    rest_world: &[DMat4],
    path: &Path,
) -> Result<Vec<f32>, FormatError> {
    let mut ibm = Vec::with_capacity(16 * rest_world.len());
    for (j, m) in rest_world.iter().enumerate() {
        let inv = m.inverse();
        if !inv.is_finite() {
            return Err(invalid(
                path,
                format!("joint {}: singular rest transform", skeleton.joints[j].name),
            ));
        }
        let mut cols = inv.as_mat4().to_cols_array();
        // Affine: the last row is exactly (0, 0, 0, 1).
        cols[3] = 0.0;
        cols[7] = 0.0;
        cols[11] = 0.0;
        cols[15] = 1.0;
        ibm.extend(cols);
    }
    Ok(ibm)
}

/// Writes the checked mesh's accessors, material, mesh and skin into `bin` and `doc`.
fn add_skinned_mesh(
    bin: &mut Bin,
    doc: &mut Map<String, Value>,
    mesh: &SkinnedMesh,
    vertices: &Vertices,
    ibm: Vec<f32>,
    n: usize,
    root: usize,
) {
    let v = mesh.positions.len();
    let pos_acc = bin.vec3_accessor(&vertices.positions, true);
    let nrm_acc = bin.vec3_accessor(&vertices.normals, false);
    let joint_bytes: Vec<u8> = vertices
        .joints
        .iter()
        .flatten()
        .flat_map(|j| j.to_le_bytes())
        .collect();
    let jnt_acc = bin.accessor(
        &joint_bytes,
        Some(ARRAY_BUFFER),
        UNSIGNED_SHORT,
        v,
        "VEC4",
        None,
    );
    let wgt_acc = bin.accessor(
        &f32_bytes(vertices.weights.iter().flatten().copied()),
        Some(ARRAY_BUFFER),
        FLOAT,
        v,
        "VEC4",
        None,
    );
    let index_bytes: Vec<u8> = mesh.indices.iter().flat_map(|i| i.to_le_bytes()).collect();
    let idx_acc = bin.accessor(
        &index_bytes,
        Some(ELEMENT_ARRAY_BUFFER),
        UNSIGNED_INT,
        mesh.indices.len(),
        "SCALAR",
        None,
    );
    let ibm_acc = bin.accessor(&f32_bytes(ibm), None, FLOAT, n, "MAT4", None);
    let color = mesh.base_color.map(|c| {
        if c.is_finite() {
            c.clamp(0.0, 1.0)
        } else {
            1.0
        }
    });
    doc.insert(
        "materials".into(),
        json!([{
            "name": "Skin",
            "pbrMetallicRoughness": {
                "baseColorFactor": color,
                "metallicFactor": 0.0,
                "roughnessFactor": 0.55,
            },
        }]),
    );
    doc.insert(
        "meshes".into(),
        json!([{
            "name": "Mesh",
            "primitives": [{
                "attributes": {
                    "POSITION": pos_acc,
                    "NORMAL": nrm_acc,
                    "JOINTS_0": jnt_acc,
                    "WEIGHTS_0": wgt_acc,
                },
                "indices": idx_acc,
                "material": 0,
                "mode": 4,
            }],
        }]),
    );
    doc.insert(
        "skins".into(),
        json!([{
            "name": "Skeleton",
            "inverseBindMatrices": ibm_acc,
            "joints": (0..n).collect::<Vec<_>>(),
            "skeleton": root,
        }]),
    );
}

/// Adds one LINEAR sampler and channel per animated joint property (rotation, translation).
fn animate_joints(
    bin: &mut Bin,
    skeleton: &Skeleton,
    motion: &Motion,
    space: &Space,
    (channels, samplers): (&mut Vec<Value>, &mut Vec<Value>),
    path: &Path,
) -> Result<(), FormatError> {
    let frames = motion.frame_count();
    if frames == 0 {
        return Ok(());
    }
    let dt = motion.frame_time_s;
    if !dt.is_finite() || dt <= 0.0 {
        return Err(invalid(
            path,
            format!("frame time {dt} s; it must be positive"),
        ));
    }
    let times: Vec<f32> = (0..frames).map(|f| (f as f64 * dt) as f32).collect();
    if times.windows(2).any(|w| w[1] <= w[0]) {
        return Err(invalid(
            path,
            "frame times do not increase in single precision; the take is too long",
        ));
    }
    let (rotations, translations) = sample_joints(skeleton, motion, space, path)?;
    let (t0, t1) = (times[0], times[frames - 1]);
    let input = bin.accessor(
        &f32_bytes(times),
        None,
        FLOAT,
        frames,
        "SCALAR",
        Some((vec![t0], vec![t1])),
    );
    for j in 0..skeleton.joints.len() {
        for (data, kind, target) in [
            (&rotations[j], "VEC4", "rotation"),
            (&translations[j], "VEC3", "translation"),
        ] {
            if data.is_empty() {
                continue;
            }
            let out = bin.accessor(
                &f32_bytes(data.iter().copied()),
                None,
                FLOAT,
                frames,
                kind,
                None,
            );
            channels.push(json!({
                "sampler": samplers.len(),
                "target": { "node": j, "path": target },
            }));
            samplers.push(json!({
                "input": input,
                "output": out,
                "interpolation": "LINEAR",
            }));
        }
    }
    Ok(())
}

/// Per joint, the rotation keys (x, y, z, w per frame) and translation keys (x, y, z per
/// frame, metres) in glTF space; empty where the joint has no such channels.
type JointKeys = (Vec<Vec<f32>>, Vec<Vec<f32>>);

/// Samples every frame of `motion` into per-joint glTF keys.
fn sample_joints(
    skeleton: &Skeleton,
    motion: &Motion,
    space: &Space,
    path: &Path,
) -> Result<JointKeys, FormatError> {
    let n = skeleton.joints.len();
    let offsets = skeleton.channel_offsets();
    let rotated: Vec<bool> = skeleton
        .joints
        .iter()
        .map(|j| j.rotation_dof() > 0)
        .collect();
    let moved: Vec<bool> = skeleton
        .joints
        .iter()
        .map(|j| j.channels.iter().any(|c| !c.is_rotation()))
        .collect();
    let mut rotations: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut translations: Vec<Vec<f32>> = vec![Vec::new(); n];
    let mut previous: Vec<DQuat> = vec![DQuat::IDENTITY; n];
    for f in 0..motion.frame_count() {
        let frame = motion.frame(f);
        if let Some(k) = frame.iter().position(|x| !x.is_finite()) {
            return Err(invalid(
                path,
                format!("frame {f}, channel {k}: non-finite value"),
            ));
        }
        for (j, joint) in skeleton.joints.iter().enumerate() {
            if !rotated[j] && !moved[j] {
                continue;
            }
            let vals = &frame[offsets[j]..offsets[j] + joint.channels.len()];
            let (r, t) = fk::local_transform(skeleton, j, vals);
            let (mut r, t) = space.local(skeleton, j, r, t);
            if !finite_quat(r) || !t.is_finite() {
                return Err(invalid(
                    path,
                    format!("frame {f}, joint {}: non-finite transform", joint.name),
                ));
            }
            if rotated[j] {
                // Same hemisphere as the previous key, so LINEAR takes the short way.
                if f > 0 && r.dot(previous[j]) < 0.0 {
                    r = -r;
                }
                previous[j] = r;
                rotations[j].extend([r.x as f32, r.y as f32, r.z as f32, r.w as f32]);
            }
            if moved[j] {
                translations[j].extend([t.x as f32, t.y as f32, t.z as f32]);
            }
        }
    }
    Ok((rotations, translations))
}

/// Pads the buffer, finishes the JSON document and writes the GLB container.
fn assemble(
    mut doc: Map<String, Value>,
    mut bin: Bin,
    (nodes, scene_nodes): (Vec<Value>, Vec<usize>),
    animation_name: &str,
    path: &Path,
) -> Result<Vec<u8>, FormatError> {
    while !bin.data.len().is_multiple_of(4) {
        bin.data.push(0);
    }
    doc.insert(
        "asset".into(),
        json!({ "version": "2.0", "generator": GENERATOR }),
    );
    doc.insert("scene".into(), json!(0));
    doc.insert(
        "scenes".into(),
        json!([{ "name": animation_name, "nodes": scene_nodes }]),
    );
    doc.insert("nodes".into(), Value::Array(nodes));
    if !bin.data.is_empty() {
        doc.insert("buffers".into(), json!([{ "byteLength": bin.data.len() }]));
        doc.insert("bufferViews".into(), Value::Array(bin.views));
        doc.insert("accessors".into(), Value::Array(bin.accessors));
    }
    let mut json_bytes =
        serde_json::to_vec(&Value::Object(doc)).map_err(|e| invalid(path, format!("JSON: {e}")))?;
    while !json_bytes.len().is_multiple_of(4) {
        json_bytes.push(b' ');
    }
    let bin_chunk = if bin.data.is_empty() {
        0
    } else {
        8 + bin.data.len()
    };
    let total = 12 + 8 + json_bytes.len() + bin_chunk;
    let total32 = u32::try_from(total).map_err(|_| {
        invalid(
            path,
            format!("{total} bytes; GLB files are limited to 4 GiB"),
        )
    })?;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&total32.to_le_bytes());
    out.extend_from_slice(&(json_bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json_bytes);
    if !bin.data.is_empty() {
        out.extend_from_slice(&(bin.data.len() as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(&bin.data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::{Channel, FrameRate, Joint};

    /// Root (translating, rotating) → spine (rest rotation) → arm with an end site; centimetres.
    fn skeleton(up_axis: UpAxis) -> Skeleton {
        let mut root = Joint::new("Hips", None, DVec3::new(1.0, 90.0, 2.0));
        root.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
        let mut spine = Joint::new("Spine", Some(0), DVec3::new(0.0, 20.0, 0.0));
        spine.rest_rotation = DQuat::from_rotation_z(0.3);
        spine.channels = Channel::ROTATION_ZXY.to_vec();
        let mut arm = Joint::new("LeftArm", Some(1), DVec3::new(15.0, 5.0, 0.0));
        arm.channels = vec![Channel::Xrotation, Channel::Yrotation];
        arm.end_site = Some(DVec3::new(25.0, 0.0, 0.0));
        let mut hand = Joint::new("LeftHand", Some(2), DVec3::new(25.0, 0.0, 0.0));
        hand.end_site = Some(DVec3::new(8.0, 0.0, 0.0));
        Skeleton {
            joints: vec![root, spine, arm, hand],
            unit: LengthUnit::Centimetre,
            up_axis,
        }
    }

    fn motion(sk: &Skeleton) -> Motion {
        let mut m = Motion::zeros(sk, 5, FrameRate::FPS_30).expect("motion");
        for f in 0..5 {
            let x = f as f32;
            m.frame_mut(f).copy_from_slice(&[
                3.0 * x,
                90.0 + x,
                -2.0 * x,
                10.0 * x,
                -5.0 * x,
                170.0 + 5.0 * x,
                20.0 - 3.0 * x,
                7.0 * x,
                -12.0,
                40.0 * x,
                -25.0 + x,
            ]);
        }
        m
    }

    /// A little box-ish triangle fan per joint, weighted to the joint and its parent.
    fn mesh(sk: &Skeleton) -> SkinnedMesh {
        let rest = fk::pose(sk, &vec![0.0; sk.channel_count()]);
        let mut m = SkinnedMesh {
            base_color: [0.3, 0.32, 0.35, 1.0],
            ..Default::default()
        };
        for (j, t) in rest.iter().enumerate() {
            let base = m.positions.len() as u32;
            for d in [DVec3::X, DVec3::Y, DVec3::Z] {
                m.positions
                    .push((t.translation + d * 3.0).as_vec3().to_array());
                m.normals.push(d.as_vec3().to_array());
                let p = sk.joints[j].parent.unwrap_or(j) as u16;
                // Duplicates and unused slots, as the mannequin writes them.
                m.joints.push([j as u16, p, j as u16, j as u16]);
                m.weights.push([0.7, 0.3, 0.0, 0.0]);
            }
            m.indices.extend([base, base + 1, base + 2]);
        }
        m
    }

    fn parse(bytes: &[u8]) -> gltf::Gltf {
        gltf::Gltf::from_slice(bytes).expect("valid glTF")
    }

    /// World transform of every node at animation key `k`, from the file's TRS and samplers.
    fn world_at_key(g: &gltf::Gltf, k: usize) -> Vec<DMat4> {
        let blob = g.blob.as_deref().expect("BIN chunk");
        let nodes: Vec<_> = g.nodes().collect();
        let mut local: Vec<(DVec3, DQuat)> = nodes
            .iter()
            .map(|n| {
                let (t, r, s) = n.transform().decomposed();
                assert_eq!(s, [1.0; 3]);
                (
                    DVec3::from(t.map(f64::from)),
                    DQuat::from_array(r.map(f64::from)),
                )
            })
            .collect();
        let anim = g.animations().next().expect("one animation");
        for ch in anim.channels() {
            assert_eq!(
                ch.sampler().interpolation(),
                gltf::animation::Interpolation::Linear
            );
            let node = ch.target().node().index();
            let reader = ch.reader(|_| Some(blob));
            match reader.read_outputs().expect("outputs") {
                gltf::animation::util::ReadOutputs::Rotations(r) => {
                    let q = r.into_f32().nth(k).expect("key");
                    local[node].1 = DQuat::from_array(q.map(f64::from));
                }
                gltf::animation::util::ReadOutputs::Translations(t) => {
                    let v = t.into_iter().nth(k).expect("key");
                    local[node].0 = DVec3::from(v.map(f64::from));
                }
                _ => panic!("unexpected channel"),
            }
        }
        let mut parent = vec![None; nodes.len()];
        for n in &nodes {
            for c in n.children() {
                parent[c.index()] = Some(n.index());
            }
        }
        let mut world = vec![DMat4::IDENTITY; nodes.len()];
        // Joints are written parents first.
        for i in 0..nodes.len() {
            let l = DMat4::from_rotation_translation(local[i].1, local[i].0);
            world[i] = match parent[i] {
                Some(p) => world[p] * l,
                None => l,
            };
        }
        world
    }

    fn check_round_trip(up_axis: UpAxis) {
        let sk = skeleton(up_axis);
        let m = motion(&sk);
        let bytes = to_vec(&sk, &m, &mesh(&sk), "Take").expect("write");
        // Header, chunk alignment.
        assert_eq!(&bytes[0..4], b"glTF");
        assert_eq!(
            u32::from_le_bytes(bytes[8..12].try_into().expect("4")) as usize,
            bytes.len()
        );
        let json_len = u32::from_le_bytes(bytes[12..16].try_into().expect("4")) as usize;
        assert_eq!(json_len % 4, 0);
        assert_eq!(bytes.len() % 4, 0);
        let g = parse(&bytes);
        assert_eq!(
            g.document.as_json().asset.generator.as_deref(),
            Some(GENERATOR)
        );

        // Hierarchy and names.
        let nodes: Vec<_> = g.nodes().collect();
        assert_eq!(nodes.len(), sk.joints.len() + 1);
        for (j, joint) in sk.joints.iter().enumerate() {
            assert_eq!(nodes[j].name(), Some(joint.name.as_str()));
            let kids: Vec<usize> = nodes[j].children().map(|c| c.index()).collect();
            assert_eq!(kids, sk.children(j).collect::<Vec<_>>());
        }
        let skin = g.skins().next().expect("skin");
        assert_eq!(skin.joints().count(), sk.joints.len());
        assert_eq!(skin.skeleton().map(|n| n.index()), Some(0));
        for buf_view in g.views() {
            assert_eq!(buf_view.offset() % 4, 0);
        }

        // Inverse bind matrices undo the rest pose.
        let blob = g.blob.as_deref().expect("BIN chunk");
        let ibm: Vec<[[f32; 4]; 4]> = skin
            .reader(|_| Some(blob))
            .read_inverse_bind_matrices()
            .expect("IBM")
            .collect();
        let rest = fk::pose(
            &sk,
            &[1.0, 90.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        let scale = LengthUnit::Centimetre.factor_to(LengthUnit::Metre);
        let up = to_y_up(up_axis);
        for (j, t) in rest.iter().enumerate() {
            let w = DMat4::from_rotation_translation(up * t.rotation, up * (t.translation * scale));
            let inv = DMat4::from_cols_array_2d(&ibm[j].map(|c| c.map(f64::from)));
            let id = w * inv;
            assert!(id.abs_diff_eq(DMat4::IDENTITY, 1e-5), "joint {j}: {id}");
        }

        // POSITION min/max match the data.
        let prim = g
            .meshes()
            .next()
            .expect("mesh")
            .primitives()
            .next()
            .expect("primitive");
        let pos: Vec<[f32; 3]> = prim
            .reader(|_| Some(blob))
            .read_positions()
            .expect("positions")
            .collect();
        let bb = prim.bounding_box();
        for k in 0..3 {
            let lo = pos.iter().map(|p| p[k]).fold(f32::INFINITY, f32::min);
            let hi = pos.iter().map(|p| p[k]).fold(f32::NEG_INFINITY, f32::max);
            assert_eq!((bb.min[k], bb.max[k]), (lo, hi));
        }
        let weights: Vec<[f32; 4]> = prim
            .reader(|_| Some(blob))
            .read_weights(0)
            .expect("weights")
            .into_f32()
            .collect();
        let joints: Vec<[u16; 4]> = prim
            .reader(|_| Some(blob))
            .read_joints(0)
            .expect("joints")
            .into_u16()
            .collect();
        for (w, j) in weights.iter().zip(&joints) {
            assert_eq!(w.iter().sum::<f32>(), 1.0);
            for a in 0..4 {
                if w[a] == 0.0 {
                    assert_eq!(j[a], 0);
                }
                for b in 0..a {
                    assert!(w[a] == 0.0 || j[a] != j[b], "duplicate joint {j:?}");
                }
            }
        }

        // Animated world positions equal the source's FK, in metres, Y-up.
        let anim = g.animations().next().expect("animation");
        assert_eq!(anim.name(), Some("Take"));
        for k in [0, 2, 4] {
            let world = world_at_key(&g, k);
            let src = fk::pose(&sk, m.frame(k));
            for (j, t) in src.iter().enumerate() {
                let want = up * (t.translation * scale);
                let got = world[j].w_axis.truncate();
                assert!(
                    (got - want).length() < 1e-4,
                    "key {k}, joint {j}: {got} vs {want}"
                );
                let r = DQuat::from_mat4(&world[j]);
                assert!(
                    r.dot(up * t.rotation).abs() > 1.0 - 1e-6,
                    "key {k}, joint {j}"
                );
            }
        }
        // Key times are the frame times.
        let ch = anim.channels().next().expect("channel");
        let times: Vec<f32> = ch
            .reader(|_| Some(blob))
            .read_inputs()
            .expect("inputs")
            .collect();
        assert_eq!(times.len(), 5);
        assert!((times[4] - 4.0 / 30.0).abs() < 1e-6);
    }

    #[test]
    fn y_up_round_trip_through_gltf() {
        check_round_trip(UpAxis::Y);
    }

    #[test]
    fn z_up_is_converted_explicitly() {
        check_round_trip(UpAxis::Z);
        let q = to_y_up(UpAxis::Z);
        let p = [1.0, 2.0, 3.0];
        let c = UpAxis::Z.convert_point(UpAxis::Y, p);
        assert!((q * DVec3::from(p) - DVec3::from(c)).length() < 1e-12);
    }

    #[test]
    fn bad_input_is_invalid_data() {
        let sk = skeleton(UpAxis::Y);
        let mut m = motion(&sk);
        let good = mesh(&sk);
        m.values[3] = f32::NAN;
        assert!(matches!(
            to_vec(&sk, &m, &good, "Take"),
            Err(FormatError::InvalidData { .. })
        ));
        let m = motion(&sk);
        let mut bad = good.clone();
        bad.joints[0][1] = 99;
        assert!(matches!(
            to_vec(&sk, &m, &bad, "Take"),
            Err(FormatError::InvalidData { .. })
        ));
        let mut bad = good.clone();
        bad.indices.push(0);
        assert!(matches!(
            to_vec(&sk, &m, &bad, "Take"),
            Err(FormatError::InvalidData { .. })
        ));
        let mut bad = good;
        bad.weights[2] = [0.0; 4];
        assert!(matches!(
            to_vec(&sk, &m, &bad, "Take"),
            Err(FormatError::InvalidData { .. })
        ));
    }

    #[test]
    fn skeleton_without_mesh_or_frames_still_parses() {
        let sk = skeleton(UpAxis::Y);
        let m = Motion::zeros(&sk, 0, FrameRate::FPS_30).expect("motion");
        let bytes = to_vec(&sk, &m, &SkinnedMesh::default(), "Empty").expect("write");
        let g = parse(&bytes);
        assert_eq!(g.nodes().count(), sk.joints.len());
        assert_eq!(g.animations().count(), 0);
    }
}
