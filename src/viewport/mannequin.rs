//! The built-in mannequin in the app: the headless geometry of [`mocap_solver::mannequin`] (one
//! skinned capsule per bone, skeleton space: the skeleton's unit and up axis) turned into a Bevy
//! `Mesh` and inverse bind poses for a `SkinnedMesh`. The geometry itself lives only in the solver
//! crate, so the viewport and `mocap export-glb` draw the same body.

use bevy::asset::RenderAssetUsages;
use bevy::math::Mat4;
use bevy::mesh::{Indices, Mesh, PrimitiveTopology, VertexAttributeValues};

pub use mocap_solver::mannequin::{MannequinMesh, build, drawable_links, rest_height, rest_pose};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::demo;
    use glam::{DMat4, DVec4};
    use mocap_data::{DVec3, fk};

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
