//! VMC over OSC out (Virtual Motion Capture protocol, protocol.vmc.info; receivers listen on
//! UDP 39539): a skeleton's pose as humanoid bones, one OSC bundle per frame.
//!
//! Each bundle holds `/VMC/Ext/OK 1`, `/VMC/Ext/T time`, `/VMC/Ext/Root/Pos "root"` at the
//! origin, and `/VMC/Ext/Bone/Pos name px py pz qx qy qz qw` for every humanoid bone the
//! skeleton maps (Unity `HumanBodyBones` names: `Hips`, `LeftUpperLeg`, …): position and
//! rotation relative to the nearest mapped parent bone (the hips: in the world), metres, in
//! Unity's left-handed Y-up space. Rotations are the skeleton's own (relative to its rest
//! pose as the joint offsets define it), not re-based on a T-pose.

use mocap_data::{DQuat, DVec3, LengthUnit, Skeleton, UpAxis, fk};
use mocap_solver::retarget::{BoneMap, HumanBone};
use rosc::{OscBundle, OscMessage, OscPacket, OscTime, OscType};
use std::net::{SocketAddr, UdpSocket};

/// The port VMC receivers listen on.
pub const VMC_PORT: u16 = 39539;

/// Why VMC could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum VmcError {
    /// No humanoid bone map fits the skeleton.
    #[error(
        "no humanoid bone map fits the skeleton ({0}); VMC needs named hips, legs, spine and arms"
    )]
    NoBoneMap(String),
    /// A socket error.
    #[error("VMC socket: {0} (check the --vmc address)")]
    Io(#[from] std::io::Error),
    /// OSC encoding failed.
    #[error("encoding the OSC bundle: {0}")]
    Osc(String),
}

/// Sends a skeleton's poses over VMC.
#[derive(Debug)]
pub struct VmcSender {
    socket: UdpSocket,
    target: SocketAddr,
    skeleton: Skeleton,
    /// Mapped bones: (Unity name, joint, joint of the nearest mapped parent bone).
    bones: Vec<(String, usize, Option<usize>)>,
}

/// Unity's name of a humanoid bone (`leftUpperLeg` → `LeftUpperLeg`).
pub fn unity_name(b: HumanBone) -> String {
    let n = b.name();
    let mut c = n.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

impl VmcSender {
    /// A sender of `skeleton`'s poses to `target` (bound on loopback when the target is, else
    /// on every interface).
    pub fn new(target: SocketAddr, skeleton: &Skeleton) -> Result<Self, VmcError> {
        let map = BoneMap::best_for(skeleton, &BoneMap::presets())
            .map_err(|e| VmcError::NoBoneMap(e.to_string()))?;
        let resolved = map.resolve(skeleton);
        let bones = resolved
            .iter()
            .map(|(b, &j)| {
                let parent = b.ancestors().iter().find_map(|a| resolved.get(a).copied());
                (unity_name(*b), j, parent)
            })
            .collect();
        let local: SocketAddr = if target.ip().is_loopback() {
            SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            SocketAddr::from(([0, 0, 0, 0], 0))
        };
        Ok(Self {
            socket: UdpSocket::bind(local)?,
            target,
            skeleton: skeleton.clone(),
            bones,
        })
    }

    /// Unity names of the bones sent, in bundle order.
    pub fn bone_names(&self) -> Vec<&str> {
        self.bones.iter().map(|(n, _, _)| n.as_str()).collect()
    }

    /// The OSC bundle of one frame of channel values (the skeleton's units, degrees) at
    /// `time_s` seconds.
    pub fn bundle(&self, values: &[f32], time_s: f64) -> Result<Vec<u8>, VmcError> {
        let world = fk::pose(&self.skeleton, values);
        let k = self.skeleton.unit.factor_to(LengthUnit::Metre);
        let up = self.skeleton.up_axis;
        let f = |x: f64| OscType::Float(x as f32);
        let msg = |addr: &str, args: Vec<OscType>| {
            OscPacket::Message(OscMessage {
                addr: addr.into(),
                args,
            })
        };
        let mut content = vec![
            msg("/VMC/Ext/OK", vec![OscType::Int(1)]),
            msg("/VMC/Ext/T", vec![f(time_s)]),
            msg(
                "/VMC/Ext/Root/Pos",
                vec![
                    OscType::String("root".into()),
                    f(0.0),
                    f(0.0),
                    f(0.0),
                    f(0.0),
                    f(0.0),
                    f(0.0),
                    f(1.0),
                ],
            ),
        ];
        for (name, j, parent) in &self.bones {
            let (Some(w), pw) = (world.get(*j), parent.and_then(|p| world.get(p))) else {
                continue;
            };
            let (rot, pos) = match pw {
                Some(p) => {
                    let inv = p.rotation.inverse();
                    (inv * w.rotation, inv * (w.translation - p.translation))
                }
                None => (w.rotation, w.translation),
            };
            let (p, q) = to_unity(up, pos * k, rot);
            content.push(msg(
                "/VMC/Ext/Bone/Pos",
                vec![
                    OscType::String(name.clone()),
                    f(p.x),
                    f(p.y),
                    f(p.z),
                    f(q.x),
                    f(q.y),
                    f(q.z),
                    f(q.w),
                ],
            ));
        }
        rosc::encoder::encode(&OscPacket::Bundle(OscBundle {
            // "Immediately" (OSC time tag 1).
            timetag: OscTime {
                seconds: 0,
                fractional: 1,
            },
            content,
        }))
        .map_err(|e| VmcError::Osc(e.to_string()))
    }

    /// Sends one frame (see [`Self::bundle`]).
    pub fn send(&self, values: &[f32], time_s: f64) -> Result<(), VmcError> {
        let b = self.bundle(values, time_s)?;
        self.socket.send_to(&b, self.target)?;
        Ok(())
    }
}

/// A position and rotation of a right-handed `up` space as Unity's left-handed Y-up (X
/// mirrored).
pub fn to_unity(up: UpAxis, p: DVec3, q: DQuat) -> (DVec3, DQuat) {
    let p = up.convert_point(UpAxis::Y, p.to_array());
    let v = up.convert_point(UpAxis::Y, [q.x, q.y, q.z]);
    (
        DVec3::new(-p[0], p[1], p[2]),
        DQuat::from_xyzw(v[0], -v[1], -v[2], q.w),
    )
}
