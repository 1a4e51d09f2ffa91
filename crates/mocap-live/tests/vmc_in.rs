//! VMC in: our `VmcSender` → `VmcReceiver` over 127.0.0.1 reproduces the pose and records as a
//! humanoid motion the retargeting maps; python-osc (1.10.2) as a foreign performer; garbage is
//! counted, never a panic.

use mocap_data::{
    Channel, DQuat, DVec3, FrameRate, Joint, LengthUnit, Motion, Skeleton, UpAxis, fk,
};
use mocap_live::vmc::VmcSender;
use mocap_live::vmc_in::{BonePose, VmcDecoder, VmcFrame, VmcInConfig, VmcReceiver};
use mocap_live::vmc_take::{estimate_rate, take_from_frames};
use mocap_solver::retarget::{BoneMap, HumanBone};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A small humanoid with Unity names, centimetres, Y-up, ZXY channels.
fn humanoid() -> Skeleton {
    let mut joints = Vec::new();
    let mut add = |name: &str, parent: Option<usize>, o: [f64; 3]| {
        let mut j = Joint::new(name, parent, DVec3::from_array(o));
        j.channels = if parent.is_none() {
            Channel::POSITION_ROTATION_ZXY.to_vec()
        } else {
            Channel::ROTATION_ZXY.to_vec()
        };
        joints.push(j);
        joints.len() - 1
    };
    let hips = add("Hips", None, [0.0, 95.0, 0.0]);
    let spine = add("Spine", Some(hips), [0.0, 10.0, 0.0]);
    let chest = add("Chest", Some(spine), [0.0, 15.0, 1.0]);
    let neck = add("Neck", Some(chest), [0.0, 25.0, -2.0]);
    add("Head", Some(neck), [0.0, 10.0, 1.0]);
    for (s, x) in [("Left", 1.0), ("Right", -1.0)] {
        let sh = add(&format!("{s}Shoulder"), Some(chest), [x * 4.0, 20.0, 0.0]);
        let ua = add(&format!("{s}UpperArm"), Some(sh), [x * 12.0, 0.0, 0.0]);
        let la = add(&format!("{s}LowerArm"), Some(ua), [x * 28.0, 0.0, 0.0]);
        add(&format!("{s}Hand"), Some(la), [x * 25.0, 0.0, 0.0]);
        let ul = add(&format!("{s}UpperLeg"), Some(hips), [x * 9.0, -5.0, 0.0]);
        let ll = add(&format!("{s}LowerLeg"), Some(ul), [0.0, -42.0, 0.0]);
        let ft = add(&format!("{s}Foot"), Some(ll), [0.0, -40.0, -1.0]);
        add(&format!("{s}Toes"), Some(ft), [0.0, -6.0, 12.0]);
    }
    Skeleton {
        joints,
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    }
}

/// Frames of a deterministic, varied pose (every rotation channel moving, the hips walking).
fn poses(sk: &Skeleton, n: usize) -> Motion {
    let mut m = Motion::zeros(sk, n, FrameRate::FPS_60).expect("motion");
    for f in 0..n {
        let t = f as f32 / 60.0;
        for (c, v) in m.frame_mut(f).iter_mut().enumerate() {
            let k = c as f32;
            *v = match c {
                0 => 30.0 * t,
                1 => 95.0 + 3.0 * (t * 7.0).sin(),
                2 => -20.0 * t,
                _ => 70.0 * (t * (1.0 + 0.13 * k) + 0.7 * k).sin(),
            };
        }
    }
    m
}

fn receiver() -> VmcReceiver {
    VmcReceiver::start(VmcInConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..VmcInConfig::default()
    })
    .expect("receiver binds")
}

fn collect(r: &VmcReceiver, n: usize) -> Vec<VmcFrame> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut out = Vec::new();
    while out.len() < n && Instant::now() < deadline {
        if let Some(f) = r.frames.pop_timeout(Duration::from_millis(50)) {
            out.push(f);
        }
    }
    out
}

fn angle(a: DQuat, b: DQuat) -> f64 {
    2.0 * a.dot(b).abs().min(1.0).acos()
}

#[test]
fn our_sender_to_receiver_reproduces_the_pose_and_records_a_humanoid() {
    let sk = humanoid();
    let motion = poses(&sk, 40);
    let r = receiver();
    let sender = VmcSender::new(r.local_addr(), &sk).expect("bone map");
    for f in 0..motion.frame_count() {
        sender
            .send(motion.frame(f), motion.rate.frames_to_seconds(f as i64))
            .expect("send");
        // Loopback UDP keeps up; a pause keeps the test from filling the socket buffer.
        std::thread::sleep(Duration::from_millis(2));
    }
    let frames = collect(&r, motion.frame_count());
    assert_eq!(frames.len(), motion.frame_count());
    assert_eq!(r.stats.packets_malformed.load(Ordering::Relaxed), 0);
    assert_eq!(r.stats.bones_unknown.load(Ordering::Relaxed), 0);
    let k = sk.unit.factor_to(LengthUnit::Metre);
    let (mut worst_rot, mut worst_pos) = (0.0f64, 0.0f64);
    for (f, frame) in frames.iter().enumerate() {
        assert_eq!(frame.loaded, Some(true));
        let t = frame.time_s.expect("time");
        assert!((t - motion.rate.frames_to_seconds(f as i64)).abs() < 1e-5);
        assert_eq!(frame.bones.len(), sk.joints.len());
        let world = fk::pose(&sk, motion.frame(f));
        for (j, joint) in sk.joints.iter().enumerate() {
            let got = frame.bone(&joint.name).expect("bone received");
            let (rot, pos) = match joint.parent {
                Some(p) => {
                    let inv = world[p].rotation.inverse();
                    (
                        inv * world[j].rotation,
                        inv * (world[j].translation - world[p].translation),
                    )
                }
                None => (world[j].rotation, world[j].translation),
            };
            worst_rot = worst_rot.max(angle(got.rotation, rot));
            worst_pos = worst_pos.max((got.position - pos * k).length());
        }
    }
    assert!(worst_rot < 1e-4, "rotation error {worst_rot} rad");
    assert!(worst_pos < 1e-5, "position error {worst_pos} m");

    // As a take: Unity-named joints, metres, world transforms as the source's.
    let rate = estimate_rate(&frames);
    assert_eq!(rate, FrameRate::FPS_60);
    let take = take_from_frames(&frames, rate).expect("take");
    assert_eq!(take.motion.frame_count(), motion.frame_count());
    assert!(take.face.is_none());
    assert_eq!(take.skeleton.unit, LengthUnit::Metre);
    let (map, _) = BoneMap::for_skeleton(&take.skeleton, &BoneMap::presets()).expect("mapped");
    let resolved = map.resolve(&take.skeleton);
    assert_eq!(resolved.len(), sk.joints.len(), "{resolved:?}");
    assert!(resolved.contains_key(&HumanBone::Hips));
    let (mut worst_rot, mut worst_pos) = (0.0f64, 0.0f64);
    for f in 0..motion.frame_count() {
        let src = fk::pose(&sk, motion.frame(f));
        let got = fk::pose(&take.skeleton, take.motion.frame(f));
        for (j, joint) in sk.joints.iter().enumerate() {
            let tj = take.skeleton.joint_index(&joint.name).expect("joint");
            worst_rot = worst_rot.max(angle(got[tj].rotation, src[j].rotation));
            worst_pos = worst_pos.max((got[tj].translation - src[j].translation * k).length());
        }
    }
    assert!(worst_rot < 1e-4, "world rotation error {worst_rot} rad");
    assert!(worst_pos < 1e-4, "world position error {worst_pos} m");
    eprintln!("round trip: rotation ≤ {worst_rot:.2e} rad, position ≤ {worst_pos:.2e} m");
}

/// python-osc as a foreign performer: a bundle of root, bones (one unknown), blendshapes; then
/// the same as bare messages, one per datagram.
#[test]
fn python_osc_performer_decodes_to_the_expected_values() {
    let Some(python) = mocap_testkit::python_module("pythonosc") else {
        return;
    };
    let r = receiver();
    let script = r#"
import sys
from pythonosc import osc_bundle_builder, osc_message_builder, udp_client
c = udp_client.SimpleUDPClient("127.0.0.1", int(sys.argv[1]))
def msg(addr, *args):
    m = osc_message_builder.OscMessageBuilder(address=addr)
    for a in args:
        m.add_arg(a, "s" if isinstance(a, str) else ("i" if isinstance(a, int) else "f"))
    return m.build()
frame = [
    msg("/VMC/Ext/OK", 1),
    msg("/VMC/Ext/T", 12.5),
    msg("/VMC/Ext/Root/Pos", "root", 1.0, 0.0, 2.0, 0.0, 0.7071068, 0.0, 0.7071068),
    msg("/VMC/Ext/Bone/Pos", "Hips", 0.1, 0.9, -0.2, 0.0, 0.0, 0.0, 1.0),
    msg("/VMC/Ext/Bone/Pos", "LeftUpperArm", 0.12, 0.0, 0.0, 0.1, 0.2, 0.3, 0.9273618),
    msg("/VMC/Ext/Bone/Pos", "Tail", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    msg("/VMC/Ext/Blend/Val", "Joy", 0.75),
    msg("/VMC/Ext/Blend/Val", "EyeBlinkLeft", 0.5),
    msg("/VMC/Ext/Blend/Apply"),
]
b = osc_bundle_builder.OscBundleBuilder(osc_bundle_builder.IMMEDIATELY)
for m in frame:
    b.add_content(m)
c.send(b.build())
for m in frame:
    c.send(m)
c.send(msg("/VMC/Ext/OK", 1))
"#;
    let port = r.local_addr().port().to_string();
    mocap_testkit::run_python(&python, script, &[port.as_ref()]);
    let frames = collect(&r, 2);
    assert_eq!(frames.len(), 2, "one frame per bundle, one per OK");
    assert_eq!(r.stats.packets_received.load(Ordering::Relaxed), 11);
    assert_eq!(r.stats.packets_malformed.load(Ordering::Relaxed), 0);
    assert_eq!(r.stats.bones_unknown.load(Ordering::Relaxed), 2);
    for f in &frames {
        assert_eq!(f.loaded, Some(true));
        assert_eq!(f.time_s, Some(12.5));
        let root = f.root.expect("root");
        assert!((root.position - DVec3::new(-1.0, 0.0, 2.0)).length() < 1e-6);
        // Unity's +90° about Y is −90° about Y in our right-handed space.
        let expect = DQuat::from_rotation_y(-std::f64::consts::FRAC_PI_2);
        assert!(angle(root.rotation, expect) < 1e-6, "{:?}", root.rotation);
        let hips = f.bone("Hips").expect("hips");
        assert!((hips.position - DVec3::new(-0.1, 0.9, -0.2)).length() < 1e-6);
        let arm: BonePose = f.bone("LeftUpperArm").expect("arm");
        assert!((arm.position - DVec3::new(-0.12, 0.0, 0.0)).length() < 1e-6);
        let q = DQuat::from_xyzw(0.1, -0.2, -0.3, 0.9273618).normalize();
        assert!(angle(arm.rotation, q) < 1e-6);
        assert_eq!(f.bones.len(), 2);
        assert_eq!(
            f.blendshapes,
            vec![("Joy".to_string(), 0.75), ("EyeBlinkLeft".to_string(), 0.5)]
        );
    }
    // Recorded: hips in the world = root ∘ hips; blendshapes as curves (ARKit name canonical).
    let take = take_from_frames(&frames, FrameRate::FPS_30).expect("take");
    let world = fk::pose(&take.skeleton, take.motion.frame(0));
    let expect = DVec3::new(-1.0, 0.0, 2.0)
        + DQuat::from_rotation_y(-std::f64::consts::FRAC_PI_2) * DVec3::new(-0.1, 0.9, -0.2);
    assert!((world[0].translation - expect).length() < 1e-5);
    let face = take.face.expect("blendshapes");
    let names: Vec<&str> = face.blendshapes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["eyeBlinkLeft", "Joy"]);
    assert_eq!(face.blendshapes[1].values, [0.75, 0.75]);
}

/// A real bundle of our sender, for truncating.
fn valid_bundle() -> Vec<u8> {
    static BUNDLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BUNDLE
        .get_or_init(|| {
            let sk = humanoid();
            let m = poses(&sk, 1);
            VmcSender::new(SocketAddr::from(([127, 0, 0, 1], 9)), &sk)
                .expect("bone map")
                .bundle(m.frame(0), 0.0)
                .expect("bundle")
        })
        .clone()
}

fn osc_message(addr: &str, tags: &str, args: &[u8]) -> Vec<u8> {
    let pad = |s: &str| {
        let mut v = s.as_bytes().to_vec();
        v.push(0);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    };
    let mut out = pad(addr);
    out.extend(pad(tags));
    out.extend_from_slice(args);
    out
}

#[test]
fn garbage_and_truncated_datagrams_are_counted_malformed() {
    let r = receiver();
    let s = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let good = valid_bundle();
    let mut nested = Vec::new();
    // 200 bundles nested in one another (VMC senders nest none).
    for _ in 0..200 {
        let mut b = b"#bundle\0".to_vec();
        b.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&(nested.len() as u32).to_be_bytes());
        b.extend_from_slice(&nested);
        if nested.is_empty() {
            b.truncate(16);
        }
        nested = b;
    }
    let nan = f32::NAN.to_be_bytes();
    let mut bone_nan = b"\0\0\0\0".to_vec(); // empty name string
    for _ in 0..7 {
        bone_nan.extend_from_slice(&nan);
    }
    let garbage: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"hello".to_vec(),
        (0..=255u8).collect(),
        good[..good.len() / 2].to_vec(),
        good[..good.len() - 3].to_vec(),
        b"#bundle\0\0\0\0\0\0\0\0\x01\xff\xff\xff\xff".to_vec(),
        nested,
        osc_message("/VMC/Ext/Bone/Pos", ",sfffffff", &bone_nan),
        osc_message("/VMC/Ext/Bone/Pos", ",i", &7i32.to_be_bytes()),
        osc_message("/VMC/Ext/T", ",s", b"now\0"),
    ];
    for g in &garbage {
        s.send_to(g, r.local_addr()).expect("send");
    }
    s.send_to(&good, r.local_addr()).expect("send");
    let frames = collect(&r, 1);
    assert_eq!(
        frames.len(),
        1,
        "the valid bundle after the garbage still decodes"
    );
    assert_eq!(frames[0].bones.len(), humanoid().joints.len());
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.stats.packets_received.load(Ordering::Relaxed) < garbage.len() as u64 + 1
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        r.stats.packets_received.load(Ordering::Relaxed),
        garbage.len() as u64 + 1
    );
    assert_eq!(
        r.stats.packets_malformed.load(Ordering::Relaxed),
        garbage.len() as u64
    );
}

#[test]
fn a_full_queue_drops_the_oldest_and_counts() {
    let r = VmcReceiver::start(VmcInConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        queue_capacity: 4,
    })
    .expect("receiver");
    let s = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let good = valid_bundle();
    for _ in 0..10 {
        s.send_to(&good, r.local_addr()).expect("send");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while r.stats.frames.load(Ordering::Relaxed) < 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(r.stats.frames.load(Ordering::Relaxed), 10);
    assert_eq!(r.frames.dropped(), 6);
    assert_eq!(r.frames.drain().len(), 4);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Any bytes, and any corruption of a real bundle: frames or counts, never a panic.
        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600),
                                flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8)) {
            let mut d = VmcDecoder::default();
            let _ = d.datagram(&bytes, Instant::now());
            let mut good = valid_bundle();
            let n = good.len();
            for (i, v) in flips {
                good[i % n] = v;
            }
            let _ = d.datagram(&good, Instant::now());
            let _ = d.flush();
        }
    }
}

/// Fuzzing found (fuzz/src/bin/vmc_in.rs): a `/VMC/Ext/Blend/Val` weight sent as an OSC double
/// that is finite but beyond f32's range became ±inf in the frame. It is now malformed and
/// not applied.
#[test]
fn blend_weight_double_beyond_f32_is_malformed_not_infinite() {
    let mut args = b"Blink_L\0".to_vec();
    args.extend_from_slice(&1e300f64.to_be_bytes());
    let mut d = VmcDecoder::default();
    let now = Instant::now();
    let val = d.datagram(&osc_message("/VMC/Ext/Blend/Val", ",sd", &args), now);
    assert!(val.malformed, "an out-of-range weight is counted malformed");
    let mut ok = b"A\0\0\0".to_vec();
    ok.extend_from_slice(&0.25f64.to_be_bytes());
    assert!(
        !d.datagram(&osc_message("/VMC/Ext/Blend/Val", ",sd", &ok), now)
            .malformed
    );
    d.datagram(&osc_message("/VMC/Ext/Blend/Apply", "", &[]), now);
    let f = d.flush().expect("a frame with blendshapes");
    assert_eq!(f.blendshapes, vec![("A".to_string(), 0.25)]);

    // The fuzzer's input (datagrams joined by `|VMC`, as the fuzz target splits them).
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fuzz_regressions/vmc_in/blend_val_double_beyond_f32.bin"
    ))
    .expect("regression input");
    let mut d = VmcDecoder::default();
    let mut frames = Vec::new();
    let mut malformed = 0;
    let mut rest = &bytes[..];
    loop {
        let (dgram, next) = match rest.windows(4).position(|w| w == b"|VMC") {
            Some(p) => (&rest[..p], Some(&rest[p + 4..])),
            None => (rest, None),
        };
        let out = d.datagram(dgram, now);
        malformed += out.malformed as usize;
        frames.extend(out.frames);
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    frames.extend(d.flush());
    assert!(malformed > 0);
    for f in &frames {
        for (n, w) in &f.blendshapes {
            assert!(w.is_finite(), "blendshape {n:?} = {w}");
        }
    }
}
