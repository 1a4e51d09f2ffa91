//! NatNet skeleton streams (Motive's solved skeletons, inertial suits streaming through a NatNet
//! bridge, `mocap live serve --motion`) as skeleton motions: they drive characters directly,
//! without the marker solve.
//!
//! The model definitions describe each skeleton's bones (name, id, parent id, offset from the
//! parent in metres, Y-up); each frame carries every bone's pose as position + quaternion,
//! relative to its parent (Motive's default "local" bone coordinates). [`SkeletonStream`] turns
//! a definition into a [`mocap_data::Skeleton`] (metres, Y-up; every joint with position and
//! rotation channels, ZXY, since bones stream their local position too and a suit's or a
//! BVH's bones may stretch) and each frame into one frame of its channel values.

use crate::natnet::{self, DataSet, FrameOfData, ModelDef, SkeletonDef};
use mocap_data::{Channel, DQuat, DVec3, Joint, LengthUnit, RotationOrder, Skeleton, UpAxis};

/// One skeleton of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSkeleton {
    /// Its name in the model definitions (the actor).
    pub name: String,
    /// Its id in frames of data.
    pub id: i32,
    /// The skeleton: one joint per bone (the bone's name), metres, Y-up; parents precede
    /// children.
    pub skeleton: Skeleton,
    /// Per joint, its bone's id within the skeleton (the low 16 bits of the frame's bone id).
    pub bone_ids: Vec<i32>,
    /// The newest pose: channel values on [`Self::skeleton`] (metres, degrees); `None` before
    /// the first frame that carried this skeleton.
    pub pose: Option<Vec<f32>>,
}

/// The skeletons of a stream and their newest poses.
#[derive(Debug, Clone, Default)]
pub struct SkeletonStream {
    /// Skeletons in model-definition order.
    pub skeletons: Vec<StreamSkeleton>,
    /// Frames whose skeleton section did not decode (counted, skipped).
    pub sections_malformed: u64,
}

impl SkeletonStream {
    /// Takes the skeletons of a (new) model definition; poses start over.
    pub fn set_model_def(&mut self, def: &ModelDef) {
        self.skeletons = def
            .datasets
            .iter()
            .filter_map(|d| match d {
                DataSet::Skeleton(s) => Some(skeleton_of(s)),
                _ => None,
            })
            .filter(|s| !s.skeleton.joints.is_empty())
            .collect();
    }

    /// Whether the model definitions described any skeleton.
    pub fn is_empty(&self) -> bool {
        self.skeletons.is_empty()
    }

    /// Poses every described skeleton `frame` carries; returns how many. A bone the frame
    /// lacks (or with a non-finite pose) keeps its previous values.
    pub fn update(&mut self, frame: &FrameOfData) -> usize {
        if self.skeletons.is_empty() || frame.skeletons.count == 0 {
            return 0;
        }
        let Ok(decoded) = frame.decode_skeletons() else {
            self.sections_malformed += 1;
            return 0;
        };
        let mut n = 0;
        for d in &decoded {
            if let Some(s) = self.skeletons.iter_mut().find(|s| s.id == d.id) {
                s.set_pose(&d.rigid_bodies);
                n += 1;
            }
        }
        n
    }

    /// Each posed skeleton's name and newest pose.
    pub fn poses(&self) -> impl Iterator<Item = (&str, &[f32])> {
        self.skeletons
            .iter()
            .filter_map(|s| Some((s.name.as_str(), s.pose.as_deref()?)))
    }
}

impl StreamSkeleton {
    /// Writes `bones` (wire ids, local poses, metres) as the newest pose.
    pub fn set_pose(&mut self, bones: &[natnet::RigidBody]) {
        let sk = &self.skeleton;
        let cpf = sk.channel_count();
        let prev = self.pose.clone();
        let mut values = prev.clone().unwrap_or_else(|| rest_values(sk, cpf));
        let mut c = 0;
        for (j, joint) in sk.joints.iter().enumerate() {
            let n = joint.channels.len();
            let bone_id = self.bone_ids.get(j).copied().unwrap_or(-1);
            let bone = bones
                .iter()
                .find(|b| b.id == bone_id || (b.id as u32 & 0xFFFF) as i32 == bone_id);
            if let Some(b) = bone {
                let [x, y, z, w] = b.orientation.map(f64::from);
                let q = DQuat::from_xyzw(x, y, z, w);
                let len = q.length();
                let position = b.position.map(f64::from);
                if len.is_finite() && len > 1e-6 && position.iter().all(|v| v.is_finite()) {
                    let angles = joint.rotation_order.from_quat(q / len);
                    for (k, ch) in joint.channels.iter().enumerate() {
                        let v = if ch.is_rotation() {
                            angles[ch.axis()]
                        } else {
                            position[ch.axis()]
                        };
                        if let Some(slot) = values.get_mut(c + k) {
                            let mut v = v as f32;
                            // Unwrap: the equivalent angle nearest the previous frame's.
                            if ch.is_rotation()
                                && let Some(pv) = prev.as_ref().and_then(|p| p.get(c + k))
                            {
                                v += 360.0 * ((pv - v) / 360.0).round();
                            }
                            *slot = v;
                        }
                    }
                }
            }
            c += n;
        }
        self.pose = Some(values);
    }
}

/// Channel values of the rest pose: positions at the offsets, rotations 0.
fn rest_values(sk: &Skeleton, cpf: usize) -> Vec<f32> {
    let mut v = Vec::with_capacity(cpf);
    for j in &sk.joints {
        let o = j.offset.to_array();
        v.extend(j.channels.iter().map(|c| {
            if c.is_rotation() {
                0.0
            } else {
                o[c.axis()] as f32
            }
        }));
    }
    v
}

/// The skeleton a definition describes. Bones whose parent is not among them (NatNet's −1 or
/// 0) are roots; bones are reordered so that parents precede children (a cycle's bones become
/// roots).
pub fn skeleton_of(def: &SkeletonDef) -> StreamSkeleton {
    let bones = &def.rigid_bodies;
    let parent_of = |i: usize| -> Option<usize> {
        let p = bones.get(i)?.parent_id;
        bones.iter().position(|b| b.id == p && p > 0)
    };
    // Parents first: repeatedly take every bone whose parent is placed (or absent).
    let mut order: Vec<usize> = Vec::with_capacity(bones.len());
    let mut placed = vec![false; bones.len()];
    loop {
        let before = order.len();
        for i in 0..bones.len() {
            if !placed[i] && parent_of(i).is_none_or(|p| placed[p] && p != i) {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            break;
        }
    }
    // A cycle: its bones become roots.
    let cyclic: Vec<usize> = (0..bones.len()).filter(|&i| !placed[i]).collect();
    order.extend(cyclic.iter().copied());
    let mut index_of = vec![usize::MAX; bones.len()];
    for (k, &i) in order.iter().enumerate() {
        index_of[i] = k;
    }
    let joints = order
        .iter()
        .map(|&i| {
            let b = &bones[i];
            let parent = parent_of(i)
                .filter(|_| !cyclic.contains(&i))
                .map(|p| index_of[p]);
            let offset = if b.offset.iter().all(|v| v.is_finite()) {
                DVec3::new(b.offset[0] as f64, b.offset[1] as f64, b.offset[2] as f64)
            } else {
                DVec3::ZERO
            };
            let mut j = Joint::new(b.name.clone(), parent, offset);
            j.channels = Channel::POSITION_ROTATION_ZXY.to_vec();
            j.rotation_order = RotationOrder::Zxy;
            j
        })
        .collect();
    StreamSkeleton {
        name: def.name.clone(),
        id: def.id,
        skeleton: Skeleton {
            joints,
            unit: LengthUnit::Metre,
            up_axis: UpAxis::Y,
        },
        bone_ids: order.iter().map(|&i| bones[i].id).collect(),
        pose: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::natnet::{RigidBody, RigidBodyDef};
    use mocap_data::fk;

    fn def() -> SkeletonDef {
        let bone = |name: &str, id, parent_id, offset| RigidBodyDef {
            name: name.into(),
            id,
            parent_id,
            offset,
            tail: vec![0; 4],
        };
        // Children listed before their parent on purpose; the root's parent is −1.
        SkeletonDef {
            name: "Actor1".into(),
            id: 7,
            rigid_bodies: vec![
                bone("Knee", 3, 2, [0.0, -0.4, 0.0]),
                bone("Hip", 1, -1, [0.0, 0.0, 0.0]),
                bone("Thigh", 2, 1, [0.1, 0.0, 0.0]),
            ],
        }
    }

    #[test]
    fn bones_become_joints_parents_first_and_frames_their_channel_values() {
        let s = skeleton_of(&def());
        let names: Vec<_> = s.skeleton.joints.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["Hip", "Thigh", "Knee"]);
        assert_eq!(s.bone_ids, [1, 2, 3]);
        assert!(s.skeleton.validate().is_ok());
        assert_eq!(s.skeleton.joints[2].parent, Some(1));
        assert_eq!(s.skeleton.channel_count(), 18);

        let mut stream = SkeletonStream {
            skeletons: vec![s],
            ..SkeletonStream::default()
        };
        let h = std::f32::consts::FRAC_1_SQRT_2;
        let bone = |id: i32, position, orientation| RigidBody {
            id: 7 << 16 | id,
            position,
            orientation,
            mean_marker_error: 0.0,
            params: 1,
        };
        let frame_bones = vec![
            bone(1, [1.0, 0.9, 2.0], [0.0, h, 0.0, h]), // hips turned 90° about Y
            bone(2, [0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]),
            bone(3, [0.0, -0.4, 0.0], [h, 0.0, 0.0, h]), // knee bent 90° about X
        ];
        let sk = stream.skeletons[0].clone();
        stream.skeletons[0].set_pose(&frame_bones);
        let pose = stream.skeletons[0].pose.clone().expect("posed");
        let world = fk::pose(&sk.skeleton, &pose);
        let close = |a: DVec3, b: DVec3| (a - b).length() < 1e-6;
        assert!(close(world[0].translation, DVec3::new(1.0, 0.9, 2.0)));
        // The thigh's +X offset turned 90° about Y points along −Z.
        assert!(close(world[1].translation, DVec3::new(1.0, 0.9, 1.9)));
        assert!(close(world[2].translation, DVec3::new(1.0, 0.5, 1.9)));
        let want = DQuat::from_rotation_y(std::f64::consts::FRAC_PI_2)
            * DQuat::from_rotation_x(std::f64::consts::FRAC_PI_2);
        assert!(world[2].rotation.angle_between(want) < 1e-6);
        // A frame without the knee, with a NaN hip: both hold.
        stream.skeletons[0].set_pose(&[bone(1, [f32::NAN, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0])]);
        assert_eq!(stream.skeletons[0].pose.as_deref(), Some(pose.as_slice()));
        assert_eq!(stream.poses().count(), 1);
    }

    #[test]
    fn a_cycle_and_an_unknown_parent_make_roots_not_a_panic() {
        let mut d = def();
        d.rigid_bodies[1].parent_id = 3; // Hip ← Knee ← Thigh ← Hip
        d.rigid_bodies.push(RigidBodyDef {
            name: "Stray".into(),
            id: 9,
            parent_id: 42,
            offset: [f32::NAN; 3],
            tail: Vec::new(),
        });
        let s = skeleton_of(&d);
        assert_eq!(s.skeleton.joints.len(), 4);
        assert!(s.skeleton.validate().is_ok());
        assert!(s.skeleton.joints.iter().all(|j| j.offset.is_finite()));
    }
}
