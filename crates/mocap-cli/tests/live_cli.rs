//! `mocap live serve` → `mocap live record` through the binary: the contract's flags, the
//! report's field names, the C3D's labels, rate and timecode, the live solve's BVH, the take
//! library entry.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mocap() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mocap"))
}

/// A free loopback UDP port (bound then released).
fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn serve_then_record_with_live_solve_report_and_library() {
    let Some(take) = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let dir = take.parent().expect("corpus folder").to_path_buf();
    let out = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = mocap()
        .args(["live", "serve"])
        .arg(&take)
        .args(["--natnet", "--bind", &addr, "--speed", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let rec = out.path().join("walk_01.c3d");
    let bvh = out.path().join("walk_01.bvh");
    let report = out.path().join("r.json");
    let db = out.path().join("library.sqlite");
    let status = mocap()
        .args([
            "live",
            "record",
            "--natnet",
            &addr,
            "--duration",
            "60",
            "-o",
        ])
        .arg(&rec)
        .args(["--solve", "--markerset", "cmu41", "--skeleton"])
        .arg(dir.join("39.asf"))
        .arg("--bvh")
        .arg(&bvh)
        .arg("--report")
        .arg(&report)
        .arg("--db")
        .arg(&db)
        .status()
        .expect("record runs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = server.kill();
    let served = server.wait_with_output().expect("serve output");
    assert!(status.success(), "record failed");
    assert!(served.status.success(), "serve failed");
    assert!(String::from_utf8_lossy(&served.stdout).contains("sent 378 frames"));

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
    let keys: Vec<&str> = r
        .as_object()
        .expect("object")
        .keys()
        .map(|k| k.as_str())
        .collect();
    for k in [
        "frames_received",
        "frames_dropped",
        "frames_out_of_order",
        "packets_malformed",
        "latency_ms",
        "solve_rms_mm",
    ] {
        assert!(keys.contains(&k), "report lacks {k}");
    }
    assert_eq!(r["frames_received"], 378);
    assert_eq!(r["frames_dropped"], 0);
    assert_eq!(r["frames_out_of_order"], 0);
    assert_eq!(r["packets_malformed"], 0);
    for stage in ["capture_to_received", "received_to_pose_ready"] {
        for p in ["p50", "p99", "max"] {
            let v = r["latency_ms"][stage][p].as_f64().expect("a latency");
            assert!(v >= 0.0, "{stage}.{p}");
        }
    }
    // `mocap solve` calibrated on the whole take gets 5.2 mm; live calibrates on 120 frames.
    let rms = r["solve_rms_mm"].as_f64().expect("solve RMS");
    assert!(rms > 1.0 && rms < 8.0, "live solve RMS {rms} mm");

    let source = mocap_formats::c3d::read_path(&take).expect("source");
    let recorded = mocap_formats::c3d::read_path(&rec).expect("recorded take");
    assert_eq!(recorded.points.labels, source.points.labels);
    assert_eq!(recorded.points.rate, source.points.rate);
    assert_eq!(recorded.points.frame_count(), 378);
    let tc = mocap_live::take::c3d_start_timecode(&recorded).expect("timecode in the C3D");
    assert_eq!(tc.to_frame_count(), 0);

    let motion = mocap_formats::bvh::read_path(&bvh).expect("live solve BVH");
    assert_eq!(motion.motion.frame_count(), 378);

    let lib = take_library::Library::open(&db, take_library::OpenMode::MustExist).expect("library");
    let id = lib
        .take_for_path(&std::path::absolute(&rec).expect("abs"))
        .expect("query")
        .expect("the take is in the library");
    let mut lib = lib;
    let detail = lib.take(id).expect("take");
    assert_eq!(
        detail.start_timecode.as_deref(),
        Some(tc.to_string().as_str())
    );
    assert!(Path::new(&rec).is_file());
}

#[test]
fn serve_with_motion_streams_a_skeleton_whose_bones_match_the_bvh_fk() {
    use mocap_data::{DVec3, LengthUnit, UpAxis, fk};
    use mocap_live::{ClientConfig, LiveClient, LiveEvent, SkeletonStream};
    let (Some(take), Some(bvh)) = (
        mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d"),
        mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh"),
    ) else {
        return;
    };
    let points = mocap_formats::c3d::read_path(&take)
        .expect("the take")
        .points;
    let walk = mocap_formats::bvh::read_path(&bvh).expect("the walk");
    let (sk, motion) = (&walk.skeleton, &walk.motion);
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = mocap()
        .args(["live", "serve"])
        .arg(&take)
        .arg("--motion")
        .arg(&bvh)
        .args(["--natnet", "--bind", &addr, "--loop"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    std::thread::sleep(Duration::from_millis(300));
    let client = LiveClient::start(ClientConfig::new(addr.parse().expect("addr"))).expect("client");
    let mut skeletons = SkeletonStream::default();
    let mut checked = 0;
    let k = sk.unit.factor_to(LengthUnit::Metre);
    let deadline = Instant::now() + Duration::from_secs(30);
    while checked < 30 && Instant::now() < deadline {
        let Some(ev) = client.events.pop_timeout(Duration::from_millis(50)) else {
            continue;
        };
        match ev {
            LiveEvent::ModelDef(d) => skeletons.set_model_def(&d),
            LiveEvent::Frame(rf) if !skeletons.is_empty() => {
                assert_eq!(skeletons.update(&rf.frame), 1, "one skeleton a frame");
                let s = &skeletons.skeletons[0];
                let set = points.labels[0].split(':').next().unwrap_or_default();
                assert_eq!(s.name, set, "named after the take's first marker set");
                assert_eq!(s.skeleton.joints.len(), sk.joints.len());
                // The take's sample → the motion's frame at that time (the server's sampling).
                let index = (rf.frame.frame_number as i64 - points.first_frame)
                    .rem_euclid(points.frame_count() as i64);
                let t = points.rate.frames_to_seconds(index);
                let mf = (motion.rate.seconds_to_frame_round(t).max(0) as usize)
                    .min(motion.frame_count() - 1);
                let got = fk::pose(&s.skeleton, s.pose.as_deref().expect("posed"));
                let want = fk::pose(sk, motion.frame(mf));
                for (j, joint) in sk.joints.iter().enumerate() {
                    let lj = s
                        .skeleton
                        .joint_index(&joint.name)
                        .expect("a bone per joint");
                    let w = sk
                        .up_axis
                        .convert_point(UpAxis::Y, (want[j].translation * k).to_array());
                    let g = got[lj].translation;
                    // f32 on the wire: within float rounding of a metre-scale body.
                    assert!(
                        (g - DVec3::from_array(w)).length() < 1e-4,
                        "{} at motion frame {mf}: {g:?} vs {w:?}",
                        joint.name
                    );
                }
                checked += 1;
            }
            _ => {}
        }
    }
    client.stop();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(checked, 30, "30 frames with a skeleton compared");
}
