//! python-osc (1.10.2) decodes our VMC bundles: bone names, the hips' world position, and local
//! rotations that compose back to the skeleton's world rotations. Real motion (Bandai walk).

use mocap_data::{DQuat, DVec3, LengthUnit, UpAxis, fk};
use mocap_formats::bvh;
use mocap_live::vmc::{VmcSender, to_unity};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn from_unity(v: &[f64]) -> (DVec3, DQuat) {
    // Unity (left-handed Y-up) back to right-handed Y-up: mirror X again.
    (
        DVec3::new(-v[0], v[1], v[2]),
        DQuat::from_xyzw(v[3], -v[4], -v[5], v[6]),
    )
}

#[test]
fn python_osc_decodes_vmc_bones() {
    let Some(path) = mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let Some(python) = mocap_testkit::python_module("pythonosc") else {
        return;
    };
    let file = bvh::read_path(&path).expect("BVH reads");
    let (sk, motion) = (&file.skeleton, &file.motion);
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let sender = VmcSender::new(SocketAddr::from(([127, 0, 0, 1], port)), sk).expect("bone map");
    let names = sender.bone_names();
    for b in [
        "Hips",
        "Spine",
        "Head",
        "LeftUpperLeg",
        "LeftLowerLeg",
        "RightHand",
    ] {
        assert!(names.contains(&b), "{b} not mapped: {names:?}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let json = dir.path().join("vmc.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/python_osc_vmc.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .arg("10")
        .arg("20")
        .arg(&json)
        .stdout(Stdio::null())
        .spawn()
        .expect("python runs");
    // Send frames until the receiver has what it wants (bounded in count and time).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut i = 0usize;
    while child.try_wait().expect("wait").is_none() && Instant::now() < deadline {
        let f = i % motion.frame_count();
        let t = motion.rate.frames_to_seconds(f as i64);
        sender.send(motion.frame(f), t).expect("send");
        i += 1;
        std::thread::sleep(Duration::from_millis(20));
    }
    if child.try_wait().expect("wait").is_none() {
        let _ = child.kill();
    }
    assert!(child.wait().expect("exit").success());
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("peer JSON")).expect("JSON");
    let frames = v["frames"].as_array().expect("frames");
    assert_eq!(frames.len(), 10, "python-osc got {} bundles", frames.len());
    assert!(v["ok"].as_array().expect("ok").iter().all(|o| o == 1));
    let k = sk.unit.factor_to(LengthUnit::Metre);
    for fr in frames {
        let t = fr["t"].as_f64().expect("time");
        let f = motion.rate.seconds_to_frame_round(t) as usize;
        let world = fk::pose(sk, motion.frame(f));
        let bones: HashMap<String, Vec<f64>> = fr["bones"]
            .as_object()
            .expect("bones")
            .iter()
            .map(|(n, v)| {
                let vals = v.as_array().expect("values").iter();
                (
                    n.clone(),
                    vals.map(|x| x.as_f64().expect("float")).collect(),
                )
            })
            .collect();
        assert_eq!(bones.len(), names.len());
        // Hips: world position in metres, Unity space.
        let hips = sk
            .joint_index(&sender_joint(sk, "hips"))
            .expect("hips joint");
        let (p, _) = to_unity(sk.up_axis, world[hips].translation * k, DQuat::IDENTITY);
        let got = &bones["Hips"];
        for (a, b) in [p.x, p.y, p.z].iter().zip(got) {
            assert!((a - b).abs() < 1e-5, "hips {a} vs {b}");
        }
        // Hips ∘ LeftUpperLeg ∘ LeftLowerLeg local rotations = the knee's world rotation.
        let chain = ["Hips", "LeftUpperLeg", "LeftLowerLeg"].map(|n| from_unity(&bones[n]).1);
        let composed = chain[0] * chain[1] * chain[2];
        let knee = sk
            .joint_index(&sender_joint(sk, "leftlowerleg"))
            .expect("knee");
        let q = world[knee].rotation;
        let v = sk.up_axis.convert_point(UpAxis::Y, [q.x, q.y, q.z]);
        let expect = DQuat::from_xyzw(v[0], v[1], v[2], q.w);
        assert!(
            composed.dot(expect).abs() > 1.0 - 1e-5,
            "knee rotation {composed:?} vs {expect:?}"
        );
    }
}

/// The skeleton's joint that the bone map gives `bone` (lower-case humanoid name).
fn sender_joint(sk: &mocap_data::Skeleton, bone: &str) -> String {
    use mocap_solver::retarget::BoneMap;
    let map = BoneMap::best_for(sk, &BoneMap::presets()).expect("map");
    map.resolve(sk)
        .into_iter()
        .find(|(b, _)| b.name().eq_ignore_ascii_case(bone))
        .map(|(_, j)| sk.joints[j].name.clone())
        .expect("bone mapped")
}
