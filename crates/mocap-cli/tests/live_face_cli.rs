//! `mocap live record --livelink-face` through the binary: a face recorded alone from packets our
//! own encoder sends (values, gap, duplicate, other phone, garbage, timecode, report), the face
//! beside a NatNet body take (`<stem>.face.csv`, the report's `face` object next to the body's
//! fields), and the errors for a missing stream or a face-only C3D.

use mocap_data::{FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::face::{FaceReadOptions, read_path};
use mocap_formats::livelink::{FaceFrame, LiveLinkPacket, VALUE_COUNT};
use std::io::{BufRead, BufReader};
use std::net::UdpSocket;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn mocap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
}

/// A free loopback UDP port (bound then released).
fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The value we send for frame number `n`, channel `i`.
fn value(n: i32, i: usize) -> f32 {
    if i < 52 {
        ((n as usize * 3 + i) % 32) as f32 / 32.0
    } else {
        (i as f32 - 56.0) / 8.0
    }
}

fn packet(subject: &str, n: i32) -> Vec<u8> {
    let mut values = [0.0f32; VALUE_COUNT];
    for (i, v) in values.iter_mut().enumerate() {
        *v = value(n, i);
    }
    LiveLinkPacket::new(
        &format!("${subject}-0000-0000-0000-000000000000"),
        subject,
        Some(FaceFrame {
            frame_number: n,
            subframe: 0.0,
            rate_num: 60,
            rate_den: 1,
            values,
        }),
    )
    .encode()
}

/// Waits until the recorder says it listens (so no packet is sent before the bind).
fn wait_listening(child: &mut Child) -> Vec<String> {
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.expect("stderr line");
        let done = line.contains("listening for Live Link Face");
        lines.push(line);
        if done {
            return lines;
        }
    }
    panic!("the recorder never listened: {lines:?}");
}

/// Frames 1000..1060 of `CliFace` without 1030, 1010 twice, another phone, and garbage.
fn send_face(port: u16) {
    let tx = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let to = ("127.0.0.1", port);
    for n in 1000..1060 {
        if n == 1030 {
            continue;
        }
        tx.send_to(&packet("CliFace", n), to).expect("send");
        if n == 1010 {
            tx.send_to(&packet("CliFace", n), to)
                .expect("send duplicate");
            tx.send_to(&packet("OtherPhone", 5), to)
                .expect("send other");
            tx.send_to(b"garbage", to).expect("send garbage");
            let p = packet("CliFace", 1);
            tx.send_to(&p[..p.len() - 1], to).expect("send truncated");
            tx.send_to(&[p.as_slice(), b"xx"].concat(), to)
                .expect("send overlong");
        }
        if n % 10 == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn check_face(csv: &Path, face: &serde_json::Value) {
    let take = read_path(
        csv,
        FaceReadOptions {
            rate: Some(FrameRate::FPS_60),
        },
    )
    .expect("our reader reads the face");
    let f = &take.curves;
    assert_eq!(f.frame_count(), 60);
    // Frame number 1000 at 60 fps: 16 s 40 frames.
    assert_eq!(
        f.start_timecode.map(|t| t.to_string()),
        Some("00:00:16:40".into())
    );
    let names = mocap_data::face::ARKIT_BLENDSHAPES
        .iter()
        .chain(&mocap_data::face::FACE_ROTATIONS);
    for (i, name) in names.enumerate() {
        let v = &f.curve(name).expect(name).values;
        for (k, got) in v.iter().enumerate() {
            // 1030 never came: the reader holds 1029 over the gap.
            let n = 1000 + k as i32 - i32::from(k == 30);
            assert_eq!(*got, value(n, i), "{name} frame {k}");
        }
    }
    assert_eq!(face["frames_received"], 60);
    assert_eq!(face["frames_dropped"], 1);
    assert_eq!(face["frames_out_of_order"], 1);
    assert_eq!(face["packets_malformed"], 3);
    assert_eq!(face["subject"], "CliFace");
    assert_eq!(face["rate"], 60.0);
}

#[test]
fn records_a_face_alone_from_our_encoder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("face.csv");
    let report = dir.path().join("r.json");
    let port = free_port();
    let mut child = mocap()
        .args(["live", "record", "--livelink-face"])
        .arg(port.to_string())
        .args(["--idle-timeout", "1", "--connect-timeout", "20", "-o"])
        .arg(&csv)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("record starts");
    let lines = wait_listening(&mut child);
    assert!(
        lines
            .iter()
            .any(|l| l.contains(&format!("127.0.0.1:{port}"))),
        "{lines:?}"
    );
    send_face(port);
    let out = child.wait_with_output().expect("record ends");
    assert!(out.status.success(), "record failed: {out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("recorded 60 face frames of CliFace"),
        "{stdout}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    let keys: Vec<&String> = r.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["face"]);
    check_face(&csv, &r["face"]);
}

#[test]
fn records_a_face_beside_a_natnet_take() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A 60-frame body take at 60 Hz: three markers on circles.
    let body = dir.path().join("body.c3d");
    let traj = MarkerTrajectories::from_fn(
        vec!["A:M1".into(), "A:M2".into(), "A:M3".into()],
        60,
        FrameRate::FPS_60,
        LengthUnit::Millimetre,
        UpAxis::Z,
        |f, m| MarkerSample {
            position: [100.0 * (f as f32 / 10.0).cos(), m as f32 * 50.0, 1000.0],
            residual: 0.5,
            camera_mask: 3,
            valid: true,
        },
    )
    .expect("trajectories");
    mocap_formats::c3d::write_path(&mocap_formats::c3d::C3dFile::from_trajectories(traj), &body)
        .expect("C3D writes");
    let natnet = format!("127.0.0.1:{}", free_port());
    let mut server = mocap()
        .args(["live", "serve"])
        .arg(&body)
        .args(["--natnet", "--bind", &natnet])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let take = dir.path().join("take_07.c3d");
    let report = dir.path().join("r.json");
    let port = free_port();
    let mut child = mocap()
        .args(["live", "record", "--natnet", &natnet, "--livelink-face"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--face-subject", "CliFace", "--idle-timeout", "1", "-o"])
        .arg(&take)
        .arg("--report")
        .arg(&report)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("record starts");
    wait_listening(&mut child);
    send_face(port);
    let out = child.wait_with_output().expect("record ends");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "record failed: {out:?}");
    let recorded = mocap_formats::c3d::read_path(&take).expect("body take");
    assert_eq!(recorded.points.frame_count(), 60);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    // The body's fields are unchanged; the face joins them.
    for k in [
        "frames_received",
        "frames_dropped",
        "frames_out_of_order",
        "packets_malformed",
        "latency_ms",
        "solve_rms_mm",
        "face",
    ] {
        assert!(r.get(k).is_some(), "report lacks {k}: {r}");
    }
    assert_eq!(r["frames_received"], 60);
    assert_eq!(r["face"]["frames_other_subject"], 1);
    check_face(&dir.path().join("take_07.face.csv"), &r["face"]);
}

#[test]
fn errors_without_a_stream_or_with_a_face_only_c3d() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        let out = mocap()
            .args(["live", "record"])
            .args(args)
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let out = dir.path().join("x.csv");
    let e = run(&["-o", out.to_str().expect("UTF-8 path")]);
    assert!(
        e.contains("--natnet") && e.contains("--livelink-face"),
        "{e}"
    );
    let c3d = dir.path().join("x.c3d");
    let e = run(&[
        "--livelink-face",
        &free_port().to_string(),
        "-o",
        c3d.to_str().expect("UTF-8 path"),
    ]);
    assert!(e.contains("FACE.csv"), "{e}");
    let e = run(&[
        "--livelink-face",
        &free_port().to_string(),
        "--solve",
        "--markerset",
        "cmu41",
        "-o",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert!(e.contains("--solve needs a body stream"), "{e}");
    let e = run(&[
        "--livelink-face",
        &free_port().to_string(),
        "--connect-timeout",
        "0.3",
        "-o",
        out.to_str().expect("UTF-8 path"),
    ]);
    assert!(e.contains("no Live Link Face frame"), "{e}");
    assert!(!out.exists());
}
