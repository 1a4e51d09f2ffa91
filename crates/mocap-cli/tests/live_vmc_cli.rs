//! `mocap live record --vmc-in`: our `VmcSender` streams a real motion (Bandai walk) and a
//! blendshape to the binary, which records a BVH (centimetres), a face CSV and a report; the BVH
//! reads back with our reader and reproduces the source's world rotations and hips path.

use mocap_data::{DQuat, fk};
use mocap_formats::bvh;
use mocap_live::vmc::VmcSender;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mocap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// An OSC bundle of `/VMC/Ext/Blend/Val "Joy" value`, `… "EyeBlinkLeft" value / 2` (a VRM
/// clip and a Perfect Sync ARKit one) and `/VMC/Ext/Blend/Apply`.
fn blend_bundle(value: f32) -> Vec<u8> {
    let pad = |b: &[u8]| {
        let mut v = b.to_vec();
        v.push(0);
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
        v
    };
    let val = |name: &[u8], v: f32| {
        let mut m = pad(b"/VMC/Ext/Blend/Val");
        m.extend(pad(b",sf"));
        m.extend(pad(name));
        m.extend_from_slice(&v.to_be_bytes());
        m
    };
    let mut apply = pad(b"/VMC/Ext/Blend/Apply");
    apply.extend(pad(b","));
    let mut out = b"#bundle\0\0\0\0\0\0\0\0\x01".to_vec();
    for m in [val(b"Joy", value), val(b"EyeBlinkLeft", value / 2.0), apply] {
        out.extend_from_slice(&(m.len() as u32).to_be_bytes());
        out.extend(m);
    }
    out
}

fn angle(a: DQuat, b: DQuat) -> f64 {
    2.0 * a.dot(b).abs().min(1.0).acos()
}

#[test]
fn record_vmc_stream_to_bvh_face_csv_and_report() {
    let Some(src) = mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let file = bvh::read_path(&src).expect("source BVH");
    let (sk, motion) = (&file.skeleton, &file.motion);
    let out = tempfile::tempdir().expect("temp dir");
    let bvh_out = out.path().join("suit.bvh");
    let report = out.path().join("r.json");
    let port = free_port();
    let mut child = mocap()
        .args(["live", "record", "--vmc-in", &port.to_string()])
        .args(["--duration", "60", "--idle-timeout", "1", "-o"])
        .arg(&bvh_out)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("record starts");
    // Send only once it listens, so frame k of the recording is frame k of the source.
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    stderr.read_line(&mut line).expect("a line");
    assert!(line.contains("listening for VMC"), "{line}");
    let target = SocketAddr::from(([127, 0, 0, 1], port));
    let sender = VmcSender::new(target, sk).expect("bone map");
    let blend = UdpSocket::bind("127.0.0.1:0").expect("socket");
    let n = 60.min(motion.frame_count());
    for f in 0..n {
        if f == 10 {
            blend.send_to(&blend_bundle(0.5), target).expect("send");
        }
        sender
            .send(motion.frame(f), motion.rate.frames_to_seconds(f as i64))
            .expect("send");
        std::thread::sleep(Duration::from_millis(3));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let done = child.wait_with_output().expect("record output");
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stderr, &mut rest);
    assert!(done.status.success(), "record failed: {rest}");
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(stdout.contains(&format!("recorded {n} frames")), "{stdout}");

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    assert_eq!(r["frames_recorded"], n);
    assert_eq!(r["frames_received"], n + 1);
    assert_eq!(r["frames_dropped"], 0);
    assert_eq!(r["packets_malformed"], 0);
    assert_eq!(r["bones_unknown"], 0);
    assert_eq!(r["rate_hz"].as_f64(), Some(motion.rate.hz()));
    assert_eq!(r["blendshapes"], serde_json::json!(["eyeBlinkLeft", "Joy"]));
    let bones: Vec<String> = serde_json::from_value(r["bones"].clone()).expect("bones");
    assert_eq!(bones.len(), sender.bone_names().len());

    // The BVH reads back (centimetres, our default); world rotations and the hips path match.
    let rec = bvh::read_path(&bvh_out).expect("recorded BVH reads");
    assert_eq!(rec.motion.frame_count(), n);
    assert_eq!(rec.motion.rate, motion.rate);
    let map =
        mocap_solver::retarget::BoneMap::best_for(sk, &mocap_solver::retarget::BoneMap::presets())
            .expect("source map");
    let pairs: Vec<(usize, usize)> = map
        .resolve(sk)
        .into_iter()
        .map(|(b, j)| {
            let name = mocap_live::vmc::unity_name(b);
            (j, rec.skeleton.joint_index(&name).expect("recorded joint"))
        })
        .collect();
    let k = sk.unit.factor_to(rec.skeleton.unit);
    let (mut worst_rot, mut worst_hips) = (0.0f64, 0.0f64);
    for f in 0..n {
        let a = fk::pose(sk, motion.frame(f));
        let b = fk::pose(&rec.skeleton, rec.motion.frame(f));
        for &(js, jr) in &pairs {
            worst_rot = worst_rot.max(angle(a[js].rotation, b[jr].rotation));
        }
        let (hs, hr) = pairs[0];
        worst_hips = worst_hips.max((a[hs].translation * k - b[hr].translation).length());
    }
    assert!(worst_rot < 1e-4, "world rotation error {worst_rot} rad");
    assert!(worst_hips < 1e-3, "hips path error {worst_hips} cm");

    // It drives a character through the retargeting: back onto the source skeleton (the `vrm`
    // preset maps the Unity names), the mapped joints turn as in the source.
    let back = out.path().join("back.bvh");
    let o = mocap()
        .args(["retarget"])
        .arg(&bvh_out)
        .arg("--to")
        .arg(&src)
        .arg("-o")
        .arg(&back)
        .arg("--json")
        .output()
        .expect("retarget runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rj: serde_json::Value = serde_json::from_slice(&o.stdout).expect("retarget JSON");
    assert_eq!(rj["source_map"], "vrm");
    assert_eq!(
        rj["bones"].as_array().map(Vec::len),
        Some(pairs.len()),
        "{rj}"
    );
    let back = bvh::read_path(&back).expect("retargeted BVH");
    let mut worst_back = 0.0f64;
    for f in 0..n {
        let a = fk::pose(sk, motion.frame(f));
        let b = fk::pose(&back.skeleton, back.motion.frame(f));
        for &(js, _) in &pairs {
            worst_back = worst_back.max(angle(a[js].rotation, b[js].rotation));
        }
    }
    eprintln!(
        "VMC record: world rotation ≤ {worst_rot:.2e} rad, hips ≤ {worst_hips:.2e} cm; retargeted back ≤ {worst_back:.2e} rad"
    );
    assert!(
        worst_back < 1e-4,
        "retargeted back: rotation error {worst_back} rad"
    );

    // The blendshape: 0 before it was applied, 0.5 from then on.
    let face_csv = out.path().join("suit.face.csv");
    let face = mocap_formats::face::read_path(&face_csv, Default::default()).expect("face CSV");
    let joy = face.curves.curve("Joy").expect("Joy curve");
    assert_eq!(joy.values.len(), n);
    assert_eq!(joy.values[9], 0.0);
    assert_eq!(joy.values[10], 0.5);
    assert_eq!(joy.values[n - 1], 0.5);
    let blink = face
        .curves
        .curve("eyeBlinkLeft")
        .expect("eyeBlinkLeft curve");
    assert_eq!((blink.values[9], blink.values[10]), (0.0, 0.25));
}

#[test]
fn record_without_an_input_says_which_flags() {
    let out = tempfile::tempdir().expect("temp dir");
    let o = mocap()
        .args(["live", "record", "-o"])
        .arg(out.path().join("x.c3d"))
        .output()
        .expect("runs");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--natnet") && err.contains("--vmc-in"),
        "{err}"
    );
    let o = mocap()
        .args([
            "live",
            "record",
            "--natnet",
            "127.0.0.1:1510",
            "--vmc-in",
            "39539",
            "-o",
        ])
        .arg(out.path().join("x.bvh"))
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
    let o = mocap()
        .args([
            "live",
            "record",
            "--livelink-face",
            "11111",
            "--vmc-in",
            "39539",
            "-o",
        ])
        .arg(out.path().join("x.bvh"))
        .output()
        .expect("runs");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be used with"));
}
