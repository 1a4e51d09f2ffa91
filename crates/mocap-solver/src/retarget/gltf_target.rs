//! Target skeletons from glTF / GLB skins (headless: only the JSON scene graph is read).

use crate::SolverError;
use glam::{DQuat, DVec3};
use mocap_data::{Joint, LengthUnit, Skeleton, UpAxis};

/// A uniform-scale rigid transform: `p ↦ t + s · (r · p)`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Similarity {
    s: f64,
    r: DQuat,
    t: DVec3,
}

impl Similarity {
    const IDENTITY: Self = Self {
        s: 1.0,
        r: DQuat::IDENTITY,
        t: DVec3::ZERO,
    };
    fn then(self, child: Self) -> Self {
        Self {
            s: self.s * child.s,
            r: (self.r * child.r).normalize(),
            t: self.t + self.s * (self.r * child.t),
        }
    }
}

/// The skeleton of a glTF skin plus what is needed to drive its nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct GltfTarget {
    /// Joints of the first skin, parents before children, Y-up, **metres** (glTF units, with any
    /// uniform node scale above or between joints baked into the offsets). Rest rotations are the
    /// nodes' rest rotations relative to the parent joint; joints have no channels.
    pub skeleton: Skeleton,
    /// glTF node index of each joint.
    pub nodes: Vec<usize>,
    /// Per joint: the constant rotation between the parent joint's frame and the node's parent
    /// node frame (identity unless non-joint nodes sit between them, or for a root joint below a
    /// rotated non-joint node such as an `Armature`).
    pre_rotation: Vec<DQuat>,
    /// Per joint: world transform of the node's parent node at rest.
    parent_node_world: Vec<Similarity>,
}

impl GltfTarget {
    /// The glTF node `rotation` for `joint` given its local rotation relative to its parent
    /// joint (as [`super::RetargetedMotion::local_rotations`] holds).
    pub fn node_rotation(&self, joint: usize, local: DQuat) -> DQuat {
        (self.pre_rotation[joint] * local).normalize()
    }

    /// The glTF node `translation` for a **root** joint of the skeleton given its translation in
    /// skeleton space (metres, Y-up), undoing the transforms of non-joint ancestor nodes.
    pub fn node_translation(&self, joint: usize, skeleton_space: DVec3) -> DVec3 {
        let p = self.parent_node_world[joint];
        p.r.inverse() * (skeleton_space - p.t) / p.s
    }
}

fn err(msg: impl Into<String>) -> SolverError {
    SolverError::Gltf(msg.into())
}

/// Reads the first skin of a glTF (`.gltf` JSON with embedded or absent buffers) or GLB file's
/// bytes as a target skeleton. Errors when there is no skin, a joint is not in the node tree, or
/// a node on the way has a non-uniform or non-positive scale.
pub fn skeleton_from_gltf(bytes: &[u8]) -> Result<GltfTarget, SolverError> {
    let g = gltf::Gltf::from_slice(bytes).map_err(|e| {
        err(format!(
            "cannot parse the file ({e}); give a valid .glb or .gltf with a skinned character"
        ))
    })?;
    let skin = g
        .skins()
        .next()
        .ok_or_else(|| err("the file has no skin; give a rigged (skinned) character"))?;
    let n = g.nodes().count();
    let mut parent: Vec<Option<usize>> = vec![None; n];
    let mut local = vec![Similarity::IDENTITY; n];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for node in g.nodes() {
        let (t, r, s) = node.transform().decomposed();
        let [sx, sy, sz] = s.map(|v| v as f64);
        if !(sx > 0.0 && (sx - sy).abs() <= 1e-4 * sx && (sx - sz).abs() <= 1e-4 * sx) {
            // Only a problem if the node lies above a joint; checked below.
            local[node.index()].s = f64::NAN;
        } else {
            local[node.index()].s = sx;
        }
        let q = DQuat::from_xyzw(r[0] as f64, r[1] as f64, r[2] as f64, r[3] as f64);
        local[node.index()].r = normalize_or_identity(q);
        local[node.index()].t = DVec3::new(t[0] as f64, t[1] as f64, t[2] as f64);
        for c in node.children() {
            if parent[c.index()].is_some() {
                return Err(err(format!(
                    "node {} has two parents; the file is invalid",
                    c.index()
                )));
            }
            parent[c.index()] = Some(node.index());
            children[node.index()].push(c.index());
        }
    }
    let joints: Vec<usize> = skin.joints().map(|j| j.index()).collect();
    let is_joint = |i: usize| joints.contains(&i);
    // Depth-first order over the node forest (explicit stack; guards against cycles).
    let mut order = Vec::new();
    let mut visited = vec![false; n];
    let mut stack: Vec<usize> = (0..n).rev().filter(|&i| parent[i].is_none()).collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut visited[i], true) {
            continue;
        }
        if is_joint(i) {
            order.push(i);
        }
        stack.extend(children[i].iter().rev().copied());
    }
    if order.len() != joints.len() {
        return Err(err(
            "some skin joints are not reachable from a scene root (or are listed twice); the file is invalid",
        ));
    }
    // World transforms at rest.
    let mut world = vec![None::<Similarity>; n];
    fn world_of(
        i: usize,
        parent: &[Option<usize>],
        local: &[Similarity],
        world: &mut [Option<Similarity>],
    ) -> Similarity {
        let mut chain = vec![i];
        while let Some(p) = parent[*chain.last().unwrap_or(&i)] {
            if world[p].is_some() || chain.len() > parent.len() {
                break;
            }
            chain.push(p);
        }
        for &c in chain.iter().rev() {
            let base = parent[c]
                .and_then(|p| world[p])
                .unwrap_or(Similarity::IDENTITY);
            world[c] = Some(base.then(local[c]));
        }
        world[i].unwrap_or(Similarity::IDENTITY)
    }
    let mut sk_joints = Vec::with_capacity(order.len());
    let mut pre_rotation = Vec::with_capacity(order.len());
    let mut parent_node_world = Vec::with_capacity(order.len());
    let mut used_names = std::collections::BTreeSet::new();
    for &node in &order {
        let w = world_of(node, &parent, &local, &mut world);
        if !w.s.is_finite() || w.s <= 0.0 {
            return Err(err(format!(
                "joint node {node} (or a node above it) has a non-uniform or non-positive scale; apply the scale in the modelling tool and re-export"
            )));
        }
        let mut a = parent[node];
        while let Some(p) = a {
            if is_joint(p) {
                break;
            }
            a = parent[p];
        }
        let parent_joint = a.and_then(|p| order.iter().position(|&o| o == p));
        let pn_world = parent[node]
            .map(|p| world_of(p, &parent, &local, &mut world))
            .unwrap_or(Similarity::IDENTITY);
        let (offset, rest, pre) = match a {
            Some(pj) => {
                let pw = world_of(pj, &parent, &local, &mut world);
                (
                    pw.r.inverse() * (w.t - pw.t),
                    (pw.r.inverse() * w.r).normalize(),
                    (pn_world.r.inverse() * pw.r).normalize(),
                )
            }
            None => (w.t, w.r, pn_world.r.inverse()),
        };
        let gnode = g.nodes().nth(node);
        let base = gnode
            .as_ref()
            .and_then(|x| x.name())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| format!("joint{}", sk_joints.len()));
        let mut name = base.clone();
        let mut k = 2;
        while !used_names.insert(name.clone()) {
            name = format!("{base}_{k}");
            k += 1;
        }
        let mut j = Joint::new(name, parent_joint, offset);
        j.rest_rotation = rest;
        sk_joints.push(j);
        pre_rotation.push(pre);
        parent_node_world.push(pn_world);
    }
    let skeleton = Skeleton {
        joints: sk_joints,
        unit: LengthUnit::Metre,
        up_axis: UpAxis::Y,
    };
    skeleton.validate()?;
    Ok(GltfTarget {
        skeleton,
        nodes: order,
        pre_rotation,
        parent_node_world,
    })
}

/// Normalised, or identity for a zero/non-finite quaternion (invalid in glTF; tolerated).
fn normalize_or_identity(q: DQuat) -> DQuat {
    let l = q.length();
    if l.is_finite() && l > 1e-12 {
        q / l
    } else {
        DQuat::IDENTITY
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: f32 = std::f32::consts::FRAC_1_SQRT_2;

    fn doc(armature_scale: &str) -> String {
        format!(
            r#"{{"asset": {{"version": "2.0"}}, "scene": 0, "scenes": [{{"nodes": [0]}}],
            "nodes": [
              {{"name": "Armature", "rotation": [-{H}, 0, 0, {H}], "scale": {armature_scale}, "children": [1]}},
              {{"name": "Hips", "translation": [0, 0, 100], "children": [2]}},
              {{"name": "Group", "rotation": [0, {H}, 0, {H}], "children": [3]}},
              {{"name": "Spine", "translation": [0, 10, 0]}}
            ],
            "skins": [{{"joints": [3, 1]}}]}}"#
        )
    }

    #[test]
    fn skin_hierarchy_with_scaled_rotated_ancestors() {
        let g = skeleton_from_gltf(doc("[0.01, 0.01, 0.01]").as_bytes()).unwrap();
        let sk = &g.skeleton;
        let names: Vec<&str> = sk.joints.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(
            names,
            ["Hips", "Spine"],
            "parents first whatever the skin order"
        );
        assert_eq!(g.nodes, vec![1, 3]);
        assert_eq!(sk.joints[1].parent, Some(0));
        // Hips 1 m up in Y-up world metres; the spine 10 cm above it in the hips' frame.
        assert!((sk.joints[0].offset - DVec3::new(0.0, 1.0, 0.0)).length() < 1e-6);
        assert!((sk.joints[1].offset - DVec3::new(0.0, 0.1, 0.0)).length() < 1e-6);
        let ry = DQuat::from_rotation_y(std::f64::consts::FRAC_PI_2);
        assert!(sk.joints[1].rest_rotation.dot(ry).abs() > 1.0 - 1e-6);
        // Node values come back from skeleton-space values.
        let t = g.node_translation(0, DVec3::new(0.0, 1.0, 0.0));
        assert!((t - DVec3::new(0.0, 0.0, 100.0)).length() < 1e-3, "{t}");
        let q = g.node_rotation(0, sk.joints[0].rest_rotation);
        assert!(q.dot(DQuat::IDENTITY).abs() > 1.0 - 1e-6, "{q}");
        let q = g.node_rotation(1, sk.joints[1].rest_rotation);
        assert!(q.dot(DQuat::IDENTITY).abs() > 1.0 - 1e-6, "{q}");
    }

    #[test]
    fn unusable_files_are_errors() {
        assert!(matches!(
            skeleton_from_gltf(doc("[0.01, 0.02, 0.01]").as_bytes()),
            Err(SolverError::Gltf(m)) if m.contains("non-uniform")
        ));
        let no_skin = r#"{"asset": {"version": "2.0"}, "nodes": [{"name": "a"}]}"#;
        assert!(matches!(
            skeleton_from_gltf(no_skin.as_bytes()),
            Err(SolverError::Gltf(m)) if m.contains("no skin")
        ));
        assert!(skeleton_from_gltf(b"glTF\x02\x00\x00\x00garbage").is_err());
        assert!(skeleton_from_gltf(b"").is_err());
    }
}
