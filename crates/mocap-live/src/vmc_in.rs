//! VMC over OSC in (Virtual Motion Capture protocol, protocol.vmc.info): the "Marionette" side
//! that inertial suits (Rokoko, Xsens through their VMC plug-ins), VSeeFace and other VMC
//! performers stream to on UDP 39539.
//!
//! [`VmcReceiver`] binds a UDP socket (127.0.0.1 unless told otherwise), decodes OSC packets and
//! bundles on its own thread and hands one [`VmcFrame`] per frame to its consumer through a
//! [`BoundedQueue`] (drop the oldest, counted). A frame ends with each bundle datagram, or, for
//! senders that send bare messages, when the next `/VMC/Ext/OK` arrives. Messages read:
//!
//! - `/VMC/Ext/OK (int)loaded …`: the sender's avatar state;
//! - `/VMC/Ext/T (float)time`: the sender's clock, seconds;
//! - `/VMC/Ext/Root/Pos (string)name p.x p.y p.z q.x q.y q.z q.w [scale, offset]`: the avatar
//!   root in the world;
//! - `/VMC/Ext/Bone/Pos (string)name p.x p.y p.z q.x q.y q.z q.w`: a Unity `HumanBodyBones`
//!   bone's local position and rotation (relative to its parent bone; the hips: to the root);
//! - `/VMC/Ext/Blend/Val (string)name (float)value` staged, then `/VMC/Ext/Blend/Apply`.
//!
//! Positions and rotations arrive in Unity's left-handed Y-up metres and are converted back to
//! our right-handed Y-up metres (the inverse of [`crate::vmc::to_unity`]). Unknown bone names
//! are counted and ignored; undecodable datagrams and messages with wrong arguments are counted
//! malformed; nothing on the wire can panic the thread. Other VMC addresses (cameras, devices,
//! MIDI, …) are ignored.

use crate::queue::BoundedQueue;
use mocap_data::{DQuat, DVec3};
use rosc::{OscMessage, OscPacket, OscType};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Unity `HumanBodyBones` names, parents before children, each with its ancestors nearest first
/// (a bone's parent is the first of these the stream has; the optional bones — chests, neck,
/// shoulders, toes, eyes, jaw, fingers — may be absent).
pub const UNITY_BONES: [(&str, &[&str]); 55] = {
    const SPINE: &[&str] = &["Hips"];
    const CHEST: &[&str] = &["Spine", "Hips"];
    const UPPER: &[&str] = &["Chest", "Spine", "Hips"];
    const NECK: &[&str] = &["UpperChest", "Chest", "Spine", "Hips"];
    const HEAD: &[&str] = &["Neck", "UpperChest", "Chest", "Spine", "Hips"];
    const FACE: &[&str] = &["Head", "Neck", "UpperChest", "Chest", "Spine", "Hips"];
    const SHOULDER: &[&str] = &["UpperChest", "Chest", "Spine", "Hips"];
    const L_ARM: &[&str] = &["LeftShoulder", "UpperChest", "Chest", "Spine", "Hips"];
    const R_ARM: &[&str] = &["RightShoulder", "UpperChest", "Chest", "Spine", "Hips"];
    [
        ("Hips", &[]),
        ("Spine", SPINE),
        ("Chest", CHEST),
        ("UpperChest", UPPER),
        ("Neck", NECK),
        ("Head", HEAD),
        ("LeftEye", FACE),
        ("RightEye", FACE),
        ("Jaw", FACE),
        ("LeftShoulder", SHOULDER),
        ("LeftUpperArm", L_ARM),
        ("LeftLowerArm", &["LeftUpperArm"]),
        ("LeftHand", &["LeftLowerArm"]),
        ("LeftThumbProximal", &["LeftHand"]),
        ("LeftThumbIntermediate", &["LeftThumbProximal", "LeftHand"]),
        (
            "LeftThumbDistal",
            &["LeftThumbIntermediate", "LeftThumbProximal", "LeftHand"],
        ),
        ("LeftIndexProximal", &["LeftHand"]),
        ("LeftIndexIntermediate", &["LeftIndexProximal", "LeftHand"]),
        (
            "LeftIndexDistal",
            &["LeftIndexIntermediate", "LeftIndexProximal", "LeftHand"],
        ),
        ("LeftMiddleProximal", &["LeftHand"]),
        (
            "LeftMiddleIntermediate",
            &["LeftMiddleProximal", "LeftHand"],
        ),
        (
            "LeftMiddleDistal",
            &["LeftMiddleIntermediate", "LeftMiddleProximal", "LeftHand"],
        ),
        ("LeftRingProximal", &["LeftHand"]),
        ("LeftRingIntermediate", &["LeftRingProximal", "LeftHand"]),
        (
            "LeftRingDistal",
            &["LeftRingIntermediate", "LeftRingProximal", "LeftHand"],
        ),
        ("LeftLittleProximal", &["LeftHand"]),
        (
            "LeftLittleIntermediate",
            &["LeftLittleProximal", "LeftHand"],
        ),
        (
            "LeftLittleDistal",
            &["LeftLittleIntermediate", "LeftLittleProximal", "LeftHand"],
        ),
        ("RightShoulder", SHOULDER),
        ("RightUpperArm", R_ARM),
        ("RightLowerArm", &["RightUpperArm"]),
        ("RightHand", &["RightLowerArm"]),
        ("RightThumbProximal", &["RightHand"]),
        (
            "RightThumbIntermediate",
            &["RightThumbProximal", "RightHand"],
        ),
        (
            "RightThumbDistal",
            &["RightThumbIntermediate", "RightThumbProximal", "RightHand"],
        ),
        ("RightIndexProximal", &["RightHand"]),
        (
            "RightIndexIntermediate",
            &["RightIndexProximal", "RightHand"],
        ),
        (
            "RightIndexDistal",
            &["RightIndexIntermediate", "RightIndexProximal", "RightHand"],
        ),
        ("RightMiddleProximal", &["RightHand"]),
        (
            "RightMiddleIntermediate",
            &["RightMiddleProximal", "RightHand"],
        ),
        (
            "RightMiddleDistal",
            &[
                "RightMiddleIntermediate",
                "RightMiddleProximal",
                "RightHand",
            ],
        ),
        ("RightRingProximal", &["RightHand"]),
        ("RightRingIntermediate", &["RightRingProximal", "RightHand"]),
        (
            "RightRingDistal",
            &["RightRingIntermediate", "RightRingProximal", "RightHand"],
        ),
        ("RightLittleProximal", &["RightHand"]),
        (
            "RightLittleIntermediate",
            &["RightLittleProximal", "RightHand"],
        ),
        (
            "RightLittleDistal",
            &[
                "RightLittleIntermediate",
                "RightLittleProximal",
                "RightHand",
            ],
        ),
        ("LeftUpperLeg", SPINE),
        ("LeftLowerLeg", &["LeftUpperLeg"]),
        ("LeftFoot", &["LeftLowerLeg"]),
        ("LeftToes", &["LeftFoot"]),
        ("RightUpperLeg", SPINE),
        ("RightLowerLeg", &["RightUpperLeg"]),
        ("RightFoot", &["RightLowerLeg"]),
        ("RightToes", &["RightFoot"]),
    ]
};

/// Index into [`UNITY_BONES`] of a bone name (exact, else ignoring ASCII case as tolerant VMC
/// receivers do).
pub fn unity_bone_index(name: &str) -> Option<usize> {
    UNITY_BONES
        .iter()
        .position(|(n, _)| *n == name)
        .or_else(|| {
            UNITY_BONES
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
        })
}

/// A position and rotation of Unity's left-handed Y-up space as our right-handed Y-up (X
/// mirrored back): the inverse of [`crate::vmc::to_unity`] with `up` = Y.
pub fn from_unity(p: DVec3, q: DQuat) -> (DVec3, DQuat) {
    (
        DVec3::new(-p.x, p.y, p.z),
        DQuat::from_xyzw(q.x, -q.y, -q.z, q.w),
    )
}

/// A transform as received, in our space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BonePose {
    /// Position relative to the parent bone (the hips: to the root; the root: in the world),
    /// metres, right-handed Y-up.
    pub position: DVec3,
    /// Rotation relative to the parent bone's frame (unit quaternion), right-handed Y-up.
    pub rotation: DQuat,
}

/// One frame of a VMC stream.
#[derive(Debug, Clone)]
pub struct VmcFrame {
    /// When its last datagram was read (local monotonic clock).
    pub received: Instant,
    /// The sender's clock (`/VMC/Ext/T`), seconds; `None` when the frame had none.
    pub time_s: Option<f64>,
    /// The sender's avatar state (`/VMC/Ext/OK`: 1 = loaded), when sent.
    pub loaded: Option<bool>,
    /// The avatar root in the world (`/VMC/Ext/Root/Pos`), when sent.
    pub root: Option<BonePose>,
    /// Bones by index into [`UNITY_BONES`], in arrival order (one entry per bone: the last
    /// message wins).
    pub bones: Vec<(usize, BonePose)>,
    /// Blendshape weights applied in this frame (`/VMC/Ext/Blend/Apply`), names as sent,
    /// unitless (VRM: 0–1); weights not re-sent keep their last value.
    pub blendshapes: Vec<(String, f32)>,
}

impl VmcFrame {
    fn new(received: Instant) -> Self {
        Self {
            received,
            time_s: None,
            loaded: None,
            root: None,
            bones: Vec::new(),
            blendshapes: Vec::new(),
        }
    }

    /// Whether it carries a pose or blendshapes (a frame of only OK/T is not one).
    pub fn has_content(&self) -> bool {
        self.root.is_some() || !self.bones.is_empty() || !self.blendshapes.is_empty()
    }

    /// The pose of bone `name` (Unity name), if the frame has it.
    pub fn bone(&self, name: &str) -> Option<BonePose> {
        let i = unity_bone_index(name)?;
        self.bones.iter().find(|(b, _)| *b == i).map(|(_, p)| *p)
    }
}

/// Counters of a running receiver.
#[derive(Debug, Default)]
pub struct VmcStats {
    /// Datagrams read.
    pub packets_received: AtomicU64,
    /// Datagrams that did not decode as OSC, or held a VMC message with wrong arguments
    /// (counted once per datagram).
    pub packets_malformed: AtomicU64,
    /// Frames handed to the queue.
    pub frames: AtomicU64,
    /// `/VMC/Ext/Bone/Pos` messages naming no Unity humanoid bone (ignored).
    pub bones_unknown: AtomicU64,
}

/// How to receive.
#[derive(Debug, Clone)]
pub struct VmcInConfig {
    /// Local address to bind (default 127.0.0.1:39539; 0.0.0.0 to hear other hosts).
    pub bind: SocketAddr,
    /// Frames held for the consumer before the oldest is dropped.
    pub queue_capacity: usize,
}

impl Default for VmcInConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), crate::vmc::VMC_PORT),
            queue_capacity: 4096,
        }
    }
}

/// Error starting a receiver.
#[derive(Debug, thiserror::Error)]
pub enum VmcInError {
    /// The socket could not be bound or set up.
    #[error(
        "VMC receiver socket ({what}): {source} (is another VMC receiver on that port? pick another with --vmc-in)"
    )]
    Io {
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running receiver; its thread stops when it is dropped.
#[derive(Debug)]
pub struct VmcReceiver {
    /// Frames, oldest first; [`BoundedQueue::dropped`] counts what overflowed.
    pub frames: Arc<BoundedQueue<VmcFrame>>,
    /// Live counters.
    pub stats: Arc<VmcStats>,
    local: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl VmcReceiver {
    /// Binds `config.bind` and starts the receiving thread.
    pub fn start(config: VmcInConfig) -> Result<Self, VmcInError> {
        let io = |what| move |source| VmcInError::Io { what, source };
        let socket = UdpSocket::bind(config.bind).map_err(io("bind"))?;
        // Best effort, as the NatNet client: a bigger buffer only absorbs longer bursts.
        let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(crate::client::RECEIVE_BUFFER);
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .map_err(io("timeout"))?;
        let local = socket.local_addr().map_err(io("local address"))?;
        let frames = Arc::new(BoundedQueue::new(config.queue_capacity));
        let stats = Arc::new(VmcStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (f, s, st) = (frames.clone(), stats.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("vmc-in".into())
            // OSC bundles nest: the decoder recurses once per level.
            .stack_size(8 << 20)
            .spawn(move || receive_loop(&socket, &f, &s, &st))
            .map_err(io("spawn"))?;
        Ok(Self {
            frames,
            stats,
            local,
            stop,
            thread: Some(thread),
        })
    }

    /// The address bound (the actual port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops the thread (a frame still being collected is queued) and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for VmcReceiver {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn receive_loop(
    socket: &UdpSocket,
    frames: &BoundedQueue<VmcFrame>,
    stats: &VmcStats,
    stop: &AtomicBool,
) {
    let mut buf = vec![0u8; 65536];
    let mut decoder = VmcDecoder::default();
    while !stop.load(Ordering::Relaxed) {
        let Ok((len, _)) = socket.recv_from(&mut buf) else {
            continue;
        };
        stats.packets_received.fetch_add(1, Ordering::Relaxed);
        let d = decoder.datagram(buf.get(..len).unwrap_or(&[]), Instant::now());
        if d.malformed {
            stats.packets_malformed.fetch_add(1, Ordering::Relaxed);
        }
        stats
            .bones_unknown
            .fetch_add(d.bones_unknown, Ordering::Relaxed);
        for f in d.frames {
            stats.frames.fetch_add(1, Ordering::Relaxed);
            frames.push(f);
        }
    }
    if let Some(f) = decoder.flush() {
        stats.frames.fetch_add(1, Ordering::Relaxed);
        frames.push(f);
    }
}

/// What one datagram gave.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Frames it completed.
    pub frames: Vec<VmcFrame>,
    /// Whether it did not decode, or held a VMC message with wrong arguments.
    pub malformed: bool,
    /// Bone messages naming no Unity humanoid bone.
    pub bones_unknown: u64,
}

/// The VMC decoder without the socket: datagrams in, frames out (what [`VmcReceiver`]'s thread
/// runs; usable on recorded datagrams).
#[derive(Debug, Default)]
pub struct VmcDecoder {
    pending: Option<VmcFrame>,
    /// `/VMC/Ext/Blend/Val` weights waiting for `/VMC/Ext/Blend/Apply`.
    staged: Vec<(String, f32)>,
}

/// Bundles nested deeper than this are malformed (VMC senders send one level).
const MAX_NESTING: usize = 8;

impl VmcDecoder {
    /// Decodes one datagram read at `received`.
    pub fn datagram(&mut self, bytes: &[u8], received: Instant) -> Decoded {
        let mut out = Decoded::default();
        // The decoder is bounds-checked; the guard keeps the thread alive should it not be.
        let packet = std::panic::catch_unwind(|| rosc::decoder::decode_udp(bytes));
        // Bytes left over: a truncated bundle (the decoder keeps the elements before the cut).
        let Ok(Ok(([], packet))) = packet else {
            out.malformed = true;
            return out;
        };
        match &packet {
            OscPacket::Message(m) => self.message(m, received, &mut out),
            OscPacket::Bundle(_) => {
                self.packet(&packet, received, 0, &mut out);
                if let Some(f) = self.pending.take() {
                    if f.has_content() {
                        out.frames.push(f);
                    } else {
                        self.pending = Some(f);
                    }
                }
            }
        }
        out
    }

    /// The frame being collected, if it has content (at the end of a stream).
    pub fn flush(&mut self) -> Option<VmcFrame> {
        self.pending.take().filter(VmcFrame::has_content)
    }

    fn packet(&mut self, p: &OscPacket, received: Instant, depth: usize, out: &mut Decoded) {
        match p {
            OscPacket::Message(m) => self.message(m, received, out),
            OscPacket::Bundle(b) if depth < MAX_NESTING => {
                for c in &b.content {
                    self.packet(c, received, depth + 1, out);
                }
            }
            OscPacket::Bundle(_) => out.malformed = true,
        }
    }

    fn message(&mut self, m: &OscMessage, received: Instant, out: &mut Decoded) {
        let addr = m.addr.as_str();
        if !addr.starts_with("/VMC/Ext/") {
            return;
        }
        if addr == "/VMC/Ext/OK"
            && let Some(f) = self.pending.take()
        {
            // A bare-message stream: OK opens the next frame.
            if f.has_content() {
                out.frames.push(f);
            }
        }
        let frame = self.pending.get_or_insert_with(|| VmcFrame::new(received));
        frame.received = received;
        let ok = match addr {
            "/VMC/Ext/OK" => match m.args.first().and_then(int) {
                Some(v) => {
                    frame.loaded = Some(v == 1);
                    true
                }
                None => false,
            },
            "/VMC/Ext/T" => match m.args.first().and_then(float) {
                Some(t) if t.is_finite() => {
                    frame.time_s = Some(t);
                    true
                }
                _ => false,
            },
            "/VMC/Ext/Root/Pos" => match transform(&m.args) {
                Some((_, p)) => {
                    frame.root = Some(p);
                    true
                }
                None => false,
            },
            "/VMC/Ext/Bone/Pos" => match transform(&m.args) {
                Some((name, p)) => {
                    match unity_bone_index(name) {
                        Some(i) => match frame.bones.iter_mut().find(|(b, _)| *b == i) {
                            Some(slot) => slot.1 = p,
                            None => frame.bones.push((i, p)),
                        },
                        None => out.bones_unknown += 1,
                    }
                    true
                }
                None => false,
            },
            // Checked after the conversion: a double beyond f32's range is finite but becomes
            // ±inf as f32 (found by fuzzing; fuzz/src/bin/vmc_in.rs).
            "/VMC/Ext/Blend/Val" => match (
                m.args.first(),
                m.args.get(1).and_then(float).map(|v| v as f32),
            ) {
                (Some(OscType::String(name)), Some(v)) if v.is_finite() => {
                    match self.staged.iter_mut().find(|(n, _)| n == name) {
                        Some(slot) => slot.1 = v,
                        None => self.staged.push((name.clone(), v)),
                    }
                    true
                }
                _ => false,
            },
            "/VMC/Ext/Blend/Apply" => {
                for (name, v) in self.staged.drain(..) {
                    match frame.blendshapes.iter_mut().find(|(n, _)| *n == name) {
                        Some(slot) => slot.1 = v,
                        None => frame.blendshapes.push((name, v)),
                    }
                }
                true
            }
            _ => true,
        };
        if !ok {
            out.malformed = true;
        }
    }
}

fn int(a: &OscType) -> Option<i64> {
    match a {
        OscType::Int(i) => Some(*i as i64),
        OscType::Long(i) => Some(*i),
        OscType::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

fn float(a: &OscType) -> Option<f64> {
    match a {
        OscType::Float(f) => Some(*f as f64),
        OscType::Double(f) => Some(*f),
        OscType::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// `name p.x p.y p.z q.x q.y q.z q.w …` in our space; `None` when anything is missing,
/// non-finite, or the quaternion is not (close to) unit length.
fn transform(args: &[OscType]) -> Option<(&str, BonePose)> {
    let Some(OscType::String(name)) = args.first() else {
        return None;
    };
    let mut v = [0.0f64; 7];
    for (i, slot) in v.iter_mut().enumerate() {
        *slot = args.get(i + 1).and_then(float).filter(|x| x.is_finite())?;
    }
    let q = DQuat::from_xyzw(v[3], v[4], v[5], v[6]);
    let len = q.length();
    if !(0.5..=1.5).contains(&len) {
        return None;
    }
    let (position, rotation) = from_unity(DVec3::new(v[0], v[1], v[2]), q / len);
    Some((name, BonePose { position, rotation }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vmc::to_unity;
    use mocap_data::UpAxis;

    #[test]
    fn from_unity_inverts_to_unity() {
        let p = DVec3::new(0.1, 0.9, -0.3);
        let q = DQuat::from_rotation_z(0.3)
            * DQuat::from_rotation_x(-0.7)
            * DQuat::from_rotation_y(1.1);
        let (up, uq) = to_unity(UpAxis::Y, p, q);
        let (bp, bq) = from_unity(up, uq);
        assert!((bp - p).length() < 1e-12);
        assert!(bq.dot(q).abs() > 1.0 - 1e-12);
    }

    #[test]
    fn table_is_parents_first() {
        for (i, (name, anc)) in UNITY_BONES.iter().enumerate() {
            assert_eq!(unity_bone_index(name), Some(i));
            for a in *anc {
                let ia = unity_bone_index(a).expect("ancestor in the table");
                assert!(ia < i, "{a} after {name}");
            }
        }
        assert_eq!(unity_bone_index("lefthand"), unity_bone_index("LeftHand"));
        assert_eq!(unity_bone_index("Tail"), None);
    }
}
