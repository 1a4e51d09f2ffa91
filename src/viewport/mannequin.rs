//! The built-in mannequin in the app: the headless geometry of [`mocap_solver::mannequin`] (one
//! skinned capsule per bone, skeleton space: the skeleton's unit and up axis) turned into a Bevy
//! `Mesh` and inverse bind poses for a `SkinnedMesh`. The geometry itself lives only in the solver
//! crate, so the viewport and `mocap export-glb` draw the same body.
//!
//! The face: [`face_to_bevy_mesh`] turns `mocap_solver::mannequin_face`'s generated head (skin,
//! eyes, lids, tongue; vertex colours) into a mesh skinned to the head joint with the 52 ARKit
//! morph targets in canonical order, named; the body is then built without its head capsule.

use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::NoFrustumCulling;
use bevy::math::Mat4;
use bevy::mesh::morph::{MeshMorphWeights, MorphWeights};
use bevy::mesh::skinning::SkinnedMesh;
use bevy::mesh::{Indices, Mesh, PrimitiveTopology, VertexAttributeValues};
use bevy::prelude::*;

pub use mocap_solver::mannequin::{
    MannequinMesh, build, build_without_head, drawable_links, rest_height, rest_pose,
};
pub use mocap_solver::mannequin_face::{HeadFrame, face_mesh, head_frame};

/// The generated head as a Bevy mesh (position, normal, linear vertex colour, every vertex bound
/// to the head joint with weight 1; skeleton space) with the 52 ARKit morph targets (position
/// deltas, skeleton space) in [`mocap_data::face::ARKIT_BLENDSHAPES`] order and named so, plus
/// the head joint's index. `None` when the skeleton has no head joint.
pub fn face_to_bevy_mesh(skeleton: &mocap_data::Skeleton) -> Option<(Mesh, usize)> {
    use bevy::math::Vec3;
    use bevy::mesh::morph::MorphAttributes;
    let m = face_mesh(skeleton)?;
    let n = m.positions.len();
    let joint = u16::try_from(m.joint).ok()?;
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, m.positions);
    mesh.insert_attribute(Mesh::ATTRIBUTE_NORMAL, m.normals);
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_COLOR,
        m.colors
            .iter()
            .map(|c| [c[0], c[1], c[2], 1.0])
            .collect::<Vec<[f32; 4]>>(),
    );
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_JOINT_INDEX,
        VertexAttributeValues::Uint16x4(vec![[joint, 0, 0, 0]; n]),
    );
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_JOINT_WEIGHT,
        vec![[1.0f32, 0.0, 0.0, 0.0]; n],
    );
    mesh.insert_indices(Indices::U32(m.indices));
    // Target-major, one entry per vertex (the layout Bevy's glTF loader builds).
    let mut attrs = Vec::with_capacity(m.targets.len() * n);
    for t in &m.targets {
        attrs.extend((0..n).map(|i| {
            let d = t.position_deltas.get(i).copied().unwrap_or([0.0; 3]);
            MorphAttributes::new(Vec3::from_array(d), Vec3::ZERO, Vec3::ZERO)
        }));
    }
    mesh.set_morph_targets(attrs);
    mesh.set_morph_target_names(m.targets.iter().map(|t| t.name.clone()).collect());
    Some((mesh, m.joint))
}

/// Local unit axes (the character's up, left, forward) of `joint` at rest, for a
/// [`crate::face::FaceJoint`]: the head frame's skeleton-space axes turned into the joint's frame.
pub fn face_joint_axes(
    skeleton: &mocap_data::Skeleton,
    head: &HeadFrame,
    joint: usize,
) -> Option<[bevy::math::Vec3; 3]> {
    let rest = rest_pose(skeleton);
    let inv = rest.get(joint)?.rotation.inverse();
    let [left, up, fwd] = head.axes;
    let f = |v: mocap_data::DVec3| {
        let l = inv * v;
        bevy::math::Vec3::new(l.x as f32, l.y as f32, l.z as f32).normalize_or_zero()
    };
    Some([f(up), f(left), f(fwd)])
}

/// A Bevy triangle-list mesh (position, normal, joint indices, joint weights; skeleton space) and
/// the per-joint inverse bind poses for its `SkinnedMesh`. `None` for an empty mannequin.
pub fn to_bevy_mesh(m: MannequinMesh) -> Option<(Mesh, Vec<Mat4>)> {
    if m.positions.is_empty() {
        return None;
    }
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, m.positions);
    mesh.insert_attribute(Mesh::ATTRIBUTE_NORMAL, m.normals);
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_JOINT_INDEX,
        VertexAttributeValues::Uint16x4(m.joints),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_JOINT_WEIGHT, m.weights);
    mesh.insert_indices(Indices::U32(m.indices));
    let inv = m
        .inverse_bindposes
        .iter()
        .map(Mat4::from_cols_array)
        .collect();
    Some((mesh, inv))
}

/// The mannequin's face: the skinned head mesh with its own morph weights (52, ARKit order),
/// driven by [`crate::face::FacePlugin`] through [`crate::face::FaceMorphs`]; shown and hidden
/// with the mannequin.
pub(crate) fn spawn_mannequin_face(
    commands: &mut Commands,
    mesh: Handle<Mesh>,
    material: Handle<StandardMaterial>,
    skin: SkinnedMesh,
    name: String,
    actor: usize,
    root: Entity,
) {
    let weights = match MorphWeights::new(vec![0.0; 52], Some(mesh.clone())) {
        Ok(w) => w,
        Err(e) => {
            error!("mannequin face: {e}");
            return;
        }
    };
    let e = commands
        .spawn((
            Name::new(name),
            super::Mannequin,
            MannequinFace,
            Mesh3d(mesh),
            MeshMaterial3d(material),
            skin,
            weights,
            crate::face::FaceMorphs::arkit(actor),
            NoFrustumCulling,
            ChildOf(root),
        ))
        .id();
    commands.entity(e).insert(MeshMorphWeights::Reference(e));
}

/// The mannequin's face mesh entity (also a [`super::Mannequin`]).
#[derive(Component, Debug)]
pub struct MannequinFace;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::demo;
    use glam::{DMat4, DVec4};
    use mocap_data::{DVec3, fk};

    #[test]
    fn the_face_mesh_has_the_52_arkit_targets_on_the_head_joint() {
        let sk = demo::demo_skeleton();
        let (mesh, head) = face_to_bevy_mesh(&sk).expect("the demo skeleton has a head");
        assert_eq!(head, sk.joint_index("Head").unwrap());
        let n = mesh.count_vertices();
        assert!(n > 500, "{n} vertices");
        let names = mesh.morph_target_names().unwrap();
        assert_eq!(names, mocap_data::face::ARKIT_BLENDSHAPES.map(String::from));
        let targets = mesh.morph_targets().unwrap();
        assert_eq!(targets.len(), 52 * n);
        // Target-major: jawOpen's block moves vertices (centimetres, the demo's unit).
        let jaw = mocap_data::face::ARKIT_BLENDSHAPES
            .iter()
            .position(|x| *x == "jawOpen")
            .unwrap();
        let moved = targets[jaw * n..(jaw + 1) * n]
            .iter()
            .map(|a| a.position.length())
            .fold(0.0f32, f32::max);
        assert!(moved > 0.5, "jawOpen moves at most {moved} cm");
        // The body loses its head capsule: fewer vertices than the full mannequin.
        assert!(build_without_head(&sk, head).positions.len() < build(&sk).positions.len());
        // The head's local axes: the demo's rest pose has no joint rotations, so up is +Y.
        let h = head_frame(&sk).unwrap();
        let axes = face_joint_axes(&sk, &h, head).unwrap();
        assert!(axes[0].dot(bevy::math::Vec3::Y) > 0.9, "{axes:?}");
    }

    #[test]
    fn weights_are_normalised_and_indices_valid() {
        let sk = demo::demo_skeleton();
        let m = build(&sk);
        assert!(m.positions.len() > 1000);
        assert_eq!(m.positions.len(), m.weights.len());
        assert_eq!(m.inverse_bindposes.len(), sk.joints.len());
        for (w, j) in m.weights.iter().zip(&m.joints) {
            assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
            assert!(w.iter().all(|x| *x >= 0.0));
            assert!(j.iter().all(|&i| (i as usize) < sk.joints.len()));
        }
        assert!(m.indices.iter().all(|&i| (i as usize) < m.positions.len()));
        assert_eq!(m.indices.len() % 3, 0);
    }

    #[test]
    fn skinning_follows_the_posed_skeleton() {
        // CPU linear blend skinning of a walking frame: vertices bound only to the left shin stay
        // at the capsule radius from the posed shin bone.
        let d = demo::generate().unwrap();
        let sk = &d.skeleton;
        let m = build(sk);
        let frame = d.motion.frame(300);
        let pose = fk::pose(sk, frame);
        let shin = sk.joint_index("LeftLeg").unwrap();
        let foot = sk.joint_index("LeftFoot").unwrap();
        let (a, b) = (pose[shin].translation, pose[foot].translation);
        let mut checked = 0;
        for (i, p) in m.positions.iter().enumerate() {
            if m.joints[i][0] as usize != shin || m.weights[i][0] < 0.999 {
                continue;
            }
            let mut skinned = DVec4::ZERO;
            for k in 0..4 {
                let j = m.joints[i][k] as usize;
                let w = m.weights[i][k] as f64;
                let world = DMat4::from_rotation_translation(pose[j].rotation, pose[j].translation);
                let inv = DMat4::from_cols_array(&m.inverse_bindposes[j].map(|x| x as f64));
                skinned += world * inv * glam::Vec3::from_array(*p).as_dvec3().extend(1.0) * w;
            }
            let q = skinned.truncate();
            let ab = b - a;
            let t = ((q - a).dot(ab) / ab.length_squared()).clamp(0.0, 1.0);
            let dist = (q - (a + ab * t)).length();
            assert!(
                (2.5..9.0).contains(&dist),
                "vertex {i} is {dist} cm from the shin"
            );
            checked += 1;
        }
        assert!(checked >= 28, "{checked}");
    }

    #[test]
    fn skeletons_with_position_channels_everywhere_keep_their_shape() {
        // Every joint animated in translation (as Bandai-Namco BVH exports are), under a
        // ground-level root far from the hips: the rest pose uses the offsets and the
        // root-to-hips link is not a body part.
        let mut sk = demo::demo_skeleton();
        let mut root = mocap_data::Joint::new("Root", None, DVec3::ZERO);
        root.channels = sk.joints[0].channels.clone();
        for j in &mut sk.joints {
            j.parent = Some(j.parent.map_or(0, |p| p + 1));
            j.channels = sk_all_channels();
        }
        sk.joints[0].offset = DVec3::new(0.0, 95.0, -400.0);
        sk.joints.insert(0, root);
        sk.validate().unwrap();
        let links = drawable_links(&sk);
        assert!(!links[0] && !links[1], "root and root→hips are not drawn");
        assert!(links[2..].iter().all(|l| *l));
        let m = build(&sk);
        let demo_m = build(&demo::demo_skeleton());
        assert_eq!(m.positions.len(), demo_m.positions.len());
    }

    fn sk_all_channels() -> Vec<mocap_data::Channel> {
        use mocap_data::Channel::*;
        vec![
            Xposition, Yposition, Zposition, Zrotation, Xrotation, Yrotation,
        ]
    }
}
