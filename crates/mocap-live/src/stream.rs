//! A take as a NatNet stream: marker sets per actor prefix, labeled-marker ids, positions in
//! metres and Y-up as Motive sends them, the take's timecode.

use crate::natnet::{self, FrameOfData, LabeledMarker, MarkerSet, MarkerSetDef, ModelDef};
use mocap_data::{FrameRate, LengthUnit, MarkerTrajectories, Timecode, TimecodeFormat, UpAxis};
use mocap_solver::markerset::split_label;

/// Where one take column goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Index of the marker set (model id − 1).
    pub set: usize,
    /// Index of the marker within its set (marker id − 1).
    pub marker: usize,
}

/// A take ready to stream, frame by frame.
#[derive(Debug, Clone)]
pub struct TakeStream {
    /// The take, in metres and Y-up (Motive's space).
    pub markers: MarkerTrajectories,
    /// Marker sets in model-id order (id = index + 1): one per label prefix (the actor), in
    /// order of first appearance; labels without a prefix go into a set named `unprefixed_set`.
    pub sets: Vec<MarkerSetDef>,
    /// Per take column, its set and marker.
    pub slots: Vec<Slot>,
    /// Timecode of sample 0, counted at the take's rate.
    pub start_timecode: Timecode,
    /// Skeletons streamed beside the markers (see [`Self::set_motion`], [`Self::add_motion`]).
    pub motions: Vec<StreamedMotion>,
}

/// A skeleton motion streamed as a NatNet skeleton: one bone (rigid body) per joint, local
/// translation (metres, Y-up) and rotation relative to the parent, as Motive streams skeletons.
#[derive(Debug, Clone)]
pub struct StreamedMotion {
    /// The skeleton (its own unit and up axis).
    pub skeleton: mocap_data::Skeleton,
    /// Its motion (sampled by time at the take's frames).
    pub motion: mocap_data::Motion,
    /// Skeleton id (after the marker sets' model ids).
    pub id: i32,
    /// Skeleton name in the model definitions.
    pub name: String,
}

/// Error building a stream.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// More sets or markers than the 16-bit ids hold.
    #[error(
        "the take has {0} markers in one set or {0} sets; NatNet ids hold at most 65 535: split the take"
    )]
    TooMany(usize),
}

impl TakeStream {
    /// Builds the stream of `take`. `unprefixed_set` names the set of labels without an
    /// `ACTOR:` prefix (the CLI passes the file stem); `start_timecode` is the timecode of
    /// sample 0 (`None`: 00:00:00:00).
    pub fn new(
        take: &MarkerTrajectories,
        unprefixed_set: &str,
        start_timecode: Option<Timecode>,
    ) -> Result<Self, StreamError> {
        let markers = to_motive_space(take);
        let mut sets: Vec<MarkerSetDef> = Vec::new();
        let mut slots = Vec::with_capacity(take.labels.len());
        for label in &take.labels {
            let (prefix, name) = split_label(label);
            let set_name = if prefix.is_empty() {
                unprefixed_set
            } else {
                prefix
            };
            let set = match sets.iter().position(|s| s.name == set_name) {
                Some(i) => i,
                None => {
                    sets.push(MarkerSetDef {
                        name: set_name.to_string(),
                        marker_names: Vec::new(),
                    });
                    sets.len() - 1
                }
            };
            let names = &mut sets[set].marker_names;
            names.push(name.to_string());
            if names.len() > u16::MAX as usize {
                return Err(StreamError::TooMany(names.len()));
            }
            slots.push(Slot {
                set,
                marker: names.len() - 1,
            });
        }
        if sets.len() > u16::MAX as usize {
            return Err(StreamError::TooMany(sets.len()));
        }
        let format = TimecodeFormat::for_rate(take.rate);
        let start_timecode = start_timecode.unwrap_or(Timecode::from_frame_count(0, format));
        Ok(Self {
            markers,
            sets,
            slots,
            start_timecode,
            motions: Vec::new(),
        })
    }

    /// Streams `motion` of `skeleton` as the one NatNet skeleton beside the markers (named after
    /// the first marker set, else `Skeleton`).
    pub fn set_motion(
        &mut self,
        skeleton: &mocap_data::Skeleton,
        motion: &mocap_data::Motion,
    ) -> Result<(), StreamError> {
        self.motions.clear();
        let name = self
            .sets
            .first()
            .map_or_else(|| "Skeleton".to_string(), |s| s.name.clone());
        self.add_motion(name, skeleton, motion)
    }

    /// Streams `motion` of `skeleton` as a further NatNet skeleton named `name` (ids follow the
    /// marker sets' model ids and the skeletons before it).
    pub fn add_motion(
        &mut self,
        name: String,
        skeleton: &mocap_data::Skeleton,
        motion: &mocap_data::Motion,
    ) -> Result<(), StreamError> {
        if skeleton.joints.len() > u16::MAX as usize {
            return Err(StreamError::TooMany(skeleton.joints.len()));
        }
        let id = (self.sets.len() + self.motions.len()) as i32 + 1;
        self.motions.push(StreamedMotion {
            skeleton: skeleton.clone(),
            motion: motion.clone(),
            id,
            name,
        });
        Ok(())
    }

    /// Frames in the take.
    pub fn frame_count(&self) -> usize {
        self.markers.frame_count()
    }

    /// The take's rate.
    pub fn rate(&self) -> FrameRate {
        self.markers.rate
    }

    /// The model definition: the marker sets, then the skeleton if any.
    pub fn model_def(&self) -> ModelDef {
        let mut def = natnet::model_def(self.sets.clone());
        for m in &self.motions {
            let k = m.skeleton.unit.factor_to(LengthUnit::Metre);
            let up = m.skeleton.up_axis;
            let bones = m
                .skeleton
                .joints
                .iter()
                .enumerate()
                .map(|(j, joint)| natnet::RigidBodyDef {
                    name: joint.name.clone(),
                    id: j as i32 + 1,
                    parent_id: joint.parent.map_or(0, |p| p as i32 + 1),
                    offset: y_up_m(up, k, joint.offset.to_array()),
                    // No markers: an int32 count of 0.
                    tail: vec![0; 4],
                })
                .collect();
            def.datasets
                .push(natnet::DataSet::Skeleton(natnet::SkeletonDef {
                    name: m.name.clone(),
                    id: m.id,
                    rigid_bodies: bones,
                }));
        }
        def
    }

    fn skeleton_section(&self, index: usize) -> Option<natnet::RawSection> {
        if self.motions.is_empty() {
            return None;
        }
        let t = self.markers.rate.frames_to_seconds(index as i64);
        let skeletons: Vec<natnet::Skeleton> = self
            .motions
            .iter()
            .filter_map(|m| m.skeleton_at(t))
            .collect();
        natnet::RawSection::from_skeletons(&skeletons).ok()
    }

    /// Timecode of sample `index` (NatNet-packed; 0 when it does not fit).
    pub fn packed_timecode(&self, index: usize) -> u32 {
        let tc = Timecode::from_frame_count(
            self.start_timecode.to_frame_count() + index as i64,
            self.start_timecode.format,
        );
        natnet::pack_timecode(&tc).unwrap_or(0)
    }

    /// The frame of sample `index` (timing left zero; the server stamps it): every set with
    /// all its markers (gaps at the origin), and the labeled markers that are valid and
    /// finite, in take order.
    pub fn frame(&self, index: usize, frame_number: i32) -> FrameOfData {
        let pos = self.markers.frame_positions(index);
        let valid = self.markers.frame_valid(index);
        let res = self.markers.residuals();
        let base = index * self.markers.marker_count();
        let mut marker_sets: Vec<MarkerSet> = self
            .sets
            .iter()
            .map(|s| MarkerSet {
                name: s.name.clone(),
                markers: vec![[0.0; 3]; s.marker_names.len()],
            })
            .collect();
        let mut labeled = Vec::with_capacity(pos.len());
        for (c, slot) in self.slots.iter().enumerate() {
            let p = pos[c];
            if !valid[c] {
                continue;
            }
            marker_sets[slot.set].markers[slot.marker] = p;
            labeled.push(LabeledMarker {
                id: natnet::marker_id((slot.set + 1) as u16, (slot.marker + 1) as u16),
                position: p,
                size: 0.014,
                // Point-cloud solved, has model.
                params: 0x02 | 0x08,
                residual: res.get(base + c).copied().unwrap_or(0.0),
            });
        }
        let empty = || natnet::RawSection {
            count: 0,
            payload: Vec::new(),
        };
        FrameOfData {
            frame_number,
            marker_sets,
            other_markers: Vec::new(),
            rigid_bodies: Vec::new(),
            skeletons: self.skeleton_section(index).unwrap_or_else(empty),
            assets: empty(),
            labeled_markers: labeled,
            force_plates: empty(),
            devices: empty(),
            timing: natnet::FrameTiming {
                timecode: self.packed_timecode(index),
                timecode_subframe: 0,
                timestamp: self.markers.rate.frames_to_seconds(index as i64),
                camera_mid_exposure: 0,
                camera_data_received: 0,
                transmit: 0,
                precision_timestamp_secs: 0,
                precision_timestamp_fractional_secs: 0,
            },
            params: 0,
        }
    }
}

impl StreamedMotion {
    /// Its bones at `t` seconds (the nearest motion frame, held past the end): local poses,
    /// metres, Y-up; `None` when the motion has no frames.
    fn skeleton_at(&self, t: f64) -> Option<natnet::Skeleton> {
        let m = self;
        let frames = m.motion.frame_count();
        if frames == 0 {
            return None;
        }
        let mf = (m.motion.rate.seconds_to_frame_round(t).max(0) as usize).min(frames - 1);
        let cpf = m.motion.channels_per_frame;
        let values = m.motion.values.get(mf * cpf..(mf + 1) * cpf)?;
        let offs = m.skeleton.channel_offsets();
        let k = m.skeleton.unit.factor_to(LengthUnit::Metre);
        let up = m.skeleton.up_axis;
        let bones = (0..m.skeleton.joints.len())
            .map(|j| {
                let from = offs.get(j).copied().unwrap_or(0).min(values.len());
                let (q, p) = mocap_data::fk::local_transform(&m.skeleton, j, &values[from..]);
                let v = up.convert_point(UpAxis::Y, [q.x, q.y, q.z]);
                natnet::RigidBody {
                    id: ((m.id as u32) << 16 | (j as u32 + 1)) as i32,
                    position: y_up_m(up, k, p.to_array()),
                    orientation: [v[0] as f32, v[1] as f32, v[2] as f32, q.w as f32],
                    mean_marker_error: 0.0,
                    params: 0x01,
                }
            })
            .collect();
        Some(natnet::Skeleton {
            id: m.id,
            rigid_bodies: bones,
        })
    }
}

/// A point of unit `k` metres per unit in `up` axes, as metres Y-up.
fn y_up_m(up: UpAxis, k: f64, p: [f64; 3]) -> [f32; 3] {
    let q = up.convert_point(UpAxis::Y, [p[0] * k, p[1] * k, p[2] * k]);
    [q[0] as f32, q[1] as f32, q[2] as f32]
}

/// `take` in metres, Y-up (residuals in metres too).
pub fn to_motive_space(take: &MarkerTrajectories) -> MarkerTrajectories {
    let mut m = take.to_unit(LengthUnit::Metre);
    if m.up_axis != UpAxis::Y {
        let from = m.up_axis;
        for p in m.positions_mut() {
            let q = from.convert_point(UpAxis::Y, [p[0] as f64, p[1] as f64, p[2] as f64]);
            *p = [q[0] as f32, q[1] as f32, q[2] as f32];
        }
        m.up_axis = UpAxis::Y;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::MarkerSample;

    fn take() -> MarkerTrajectories {
        let labels = ["A:x", "B:y", "A:z", "w"].map(String::from).to_vec();
        let rate = FrameRate::integer(100).expect("rate");
        MarkerTrajectories::from_fn(
            labels,
            3,
            rate,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |f, m| MarkerSample {
                position: [m as f32 * 1000.0, f as f32 * 1000.0, 2000.0],
                residual: 1.0,
                camera_mask: 0,
                valid: !(f == 1 && m == 2),
            },
        )
        .expect("take")
    }

    #[test]
    fn sets_per_prefix_ids_and_metres_y_up() {
        let s = TakeStream::new(&take(), "solo", None).expect("stream");
        let names: Vec<_> = s.sets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "solo"]);
        assert_eq!(s.sets[0].marker_names, ["x", "z"]);
        let f = s.frame(1, 7);
        let ids: Vec<_> = f.labeled_markers.iter().map(|m| m.id).collect();
        assert_eq!(ids, [1 << 16 | 1, 2 << 16 | 1, 3 << 16 | 1]);
        // Z-up (x, y, z) mm → Y-up (x, z, −y) m.
        assert_eq!(f.labeled_markers[1].position, [1.0, 2.0, -1.0]);
        assert_eq!(f.labeled_markers[0].residual, 0.001);
    }

    #[test]
    fn a_motion_streams_as_a_skeleton_with_local_bones() {
        use mocap_data::{Channel, DVec3, Joint, Motion, Skeleton};
        let mut root = Joint::new("Hips", None, DVec3::ZERO);
        root.channels = vec![
            Channel::Xposition,
            Channel::Yposition,
            Channel::Zposition,
            Channel::Zrotation,
            Channel::Xrotation,
            Channel::Yrotation,
        ];
        let mut knee = Joint::new("Knee", Some(0), DVec3::new(0.0, 0.0, -400.0));
        knee.channels = vec![Channel::Zrotation, Channel::Xrotation, Channel::Yrotation];
        let skeleton = Skeleton {
            joints: vec![root, knee],
            unit: LengthUnit::Millimetre,
            up_axis: UpAxis::Z,
        };
        let rate = FrameRate::integer(100).expect("rate");
        let mut motion = Motion::zeros(&skeleton, 3, rate).expect("motion");
        // Frame 1: root at (100, 200, 900) mm, knee bent 90° about X.
        motion.values[9..18].copy_from_slice(&[100.0, 200.0, 900.0, 0.0, 0.0, 0.0, 0.0, 90.0, 0.0]);
        let mut s = TakeStream::new(&take(), "solo", None).expect("stream");
        s.set_motion(&skeleton, &motion).expect("motion fits");
        let def = s.model_def();
        let wire = def
            .to_datagram(natnet::STREAM_VERSION)
            .expect("model def encodes");
        let Ok(natnet::Packet::ModelDef(back)) = natnet::decode(&wire, natnet::STREAM_VERSION)
        else {
            panic!("model def decodes");
        };
        let Some(natnet::DataSet::Skeleton(sk)) = back.datasets.last() else {
            panic!("a skeleton definition");
        };
        assert_eq!(
            (sk.id, sk.name.as_str(), sk.rigid_bodies.len()),
            (4, "A", 2)
        );
        assert_eq!(sk.rigid_bodies[1].parent_id, 1);
        assert_eq!(sk.rigid_bodies[1].offset, [0.0, -0.4, 0.0]);
        let wire = s
            .frame(1, 2)
            .to_datagram(natnet::STREAM_VERSION)
            .expect("frame encodes");
        let Ok(natnet::Packet::Frame(f)) = natnet::decode(&wire, natnet::STREAM_VERSION) else {
            panic!("frame decodes");
        };
        let bones = &f.decode_skeletons().expect("skeleton section")[0].rigid_bodies;
        assert_eq!(bones[0].id, 4 << 16 | 1);
        // Z-up (100, 200, 900) mm → Y-up (0.1, 0.9, −0.2) m.
        assert_eq!(bones[0].position, [0.1, 0.9, -0.2]);
        // 90° about X stays 90° about X (X is shared by both conventions).
        let q = bones[1].orientation;
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((q[0] - h).abs() < 1e-6 && q[1].abs() < 1e-6 && q[2].abs() < 1e-6);
        assert!((q[3] - h).abs() < 1e-6);
    }
}
