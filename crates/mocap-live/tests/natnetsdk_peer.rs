//! OptiTrack's own Python sample client (`natnetsdk` 4.1.1 from PyPI) decodes frames from our
//! NatNet 4.1 server over unicast on 127.0.0.1, with our marker positions bit for bit.

use mocap_data::MarkerTrajectories;
use mocap_formats::c3d;
use mocap_live::natnet;
use mocap_live::{ServeConfig, TakeStream, serve};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn first_frames(t: &MarkerTrajectories, n: usize) -> MarkerTrajectories {
    let keep = n * t.marker_count();
    MarkerTrajectories::from_parts(
        t.labels.clone(),
        n,
        t.rate,
        t.unit,
        t.up_axis,
        t.positions()[..keep].to_vec(),
        t.residuals()[..keep].to_vec(),
        vec![0; keep],
        t.valid()[..keep].to_vec(),
    )
    .expect("first frames")
}

#[test]
fn natnetsdk_decodes_our_frames_over_unicast() {
    let Some(path) = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let Some(python) = mocap_testkit::python_module("natnetsdk") else {
        return;
    };
    let file = c3d::read_path(&path).expect("corpus take reads");
    let take = first_frames(&file.points, 240);
    let mut stream = TakeStream::new(&take, "39_01", None).expect("stream");
    // A skeleton section before the labeled markers: natnetsdk must walk it byte for byte to
    // find our markers where we put them.
    if let Some(bvh) = mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh") {
        let m = mocap_formats::bvh::read_path(&bvh).expect("BVH reads");
        stream
            .set_motion(&m.skeleton, &m.motion)
            .expect("skeleton fits");
    }
    let expected = stream.clone();
    let server = serve(
        stream,
        ServeConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            // Loop so a slow interpreter start still finds frames.
            looping: true,
            ..ServeConfig::default()
        },
    )
    .expect("server on loopback");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/natnetsdk_client.py");
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("natnetsdk.json");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(server.addr().port().to_string())
        .arg("60")
        .arg("20")
        .arg(&json)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    // Bounded wait: the script gives up after 20 s; kill it at 40.
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().expect("wait").is_none() {
        let _ = child.kill();
    }
    let out = child.wait_with_output().expect("peer output");
    server.stop();
    assert!(
        out.status.success(),
        "natnetsdk client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read(&json).expect("the peer wrote its JSON");
    let v: serde_json::Value = serde_json::from_slice(&text).expect("JSON from the peer");
    assert_eq!(v["app"], "Mocap Studio");
    let frames = v["frames"].as_array().expect("frames");
    assert!(
        frames.len() >= 20,
        "natnetsdk decoded only {} frames",
        frames.len()
    );
    let first = take.first_frame;
    let n = take.frame_count() as i64;
    for f in frames {
        assert_eq!(f["version"], serde_json::json!([4, 1]));
        let number = f["frame"].as_i64().expect("frame number");
        let index = ((number - first) % n) as usize;
        let ours = expected.frame(index, number as i32);
        let theirs = f["markers"].as_array().expect("markers");
        assert_eq!(theirs.len(), ours.labeled_markers.len(), "frame {number}");
        for (t, o) in theirs.iter().zip(&ours.labeled_markers) {
            assert_eq!(t[0].as_i64(), Some(o.id as i64));
            let (model, marker) = natnet::split_marker_id(o.id);
            assert!(model >= 1 && marker >= 1);
            for k in 0..3 {
                let got = t[k + 1].as_f64().expect("coordinate") as f32;
                assert_eq!(got.to_bits(), o.position[k].to_bits(), "frame {number}");
            }
        }
        assert_eq!(f["timecode"].as_u64(), Some(ours.timing.timecode as u64));
    }
}
