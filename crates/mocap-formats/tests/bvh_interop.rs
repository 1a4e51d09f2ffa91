//! A BVH we write is read by a second, independent parser: the `bvh` Python package (20tab
//! bvh-python, pinned in `.ci/requirements-interop.txt`), run in the peers' interpreter
//! (`mocap_testkit::python_module`): skipped with a notice locally when it is missing, failed under
//! `CI=true`.

use mocap_data::{
    Channel, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
};
use mocap_formats::bvh;
use std::path::{Path, PathBuf};

const SCRIPT: &str = r#"
import json, sys
from bvh import Bvh
with open(sys.argv[1]) as f:
    m = Bvh(f.read())
names = m.get_joints_names()
first = names[0]
out = {
    "joints": names,
    "nframes": m.nframes,
    "frame_time": m.frame_time,
    "first_channels": m.joint_channels(first),
    "frame0": [float(v) for v in m.frames[0]],
    "last": [float(v) for v in m.frames[-1]],
    "offsets": [list(m.joint_offset(n)) for n in names],
}
print(json.dumps(out))
"#;

/// Reads `path` with bvh-python in the interpreter `py` (a failure names the script's stderr).
fn python_read(py: &Path, path: &Path) -> serde_json::Value {
    let out = mocap_testkit::run_python(py, SCRIPT, &[path.as_os_str()]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("bvh-python on {}: {e}", path.display()))
}

fn check(py: &Path, sk: &Skeleton, m: &Motion, tag: &str) {
    let dir = std::env::temp_dir().join(format!("mocap-bvh-interop-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p: PathBuf = dir.join(format!("{tag}.bvh"));
    bvh::write_path(sk, m, &p).expect("write");
    let v = python_read(py, &p);
    let names: Vec<&str> = v["joints"]
        .as_array()
        .expect("joints")
        .iter()
        .map(|n| n.as_str().expect("str"))
        .collect();
    let ours: Vec<&str> = sk.joints.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, ours, "{tag}");
    assert_eq!(v["nframes"].as_u64(), Some(m.frame_count() as u64), "{tag}");
    assert_eq!(v["frame_time"].as_f64(), Some(m.frame_time_s), "{tag}");
    let chans: Vec<&str> = v["first_channels"]
        .as_array()
        .expect("ch")
        .iter()
        .map(|c| c.as_str().expect("s"))
        .collect();
    let ours_ch: Vec<&str> = sk.joints[0].channels.iter().map(|c| c.name()).collect();
    assert_eq!(chans, ours_ch, "{tag}");
    for (key, f) in [("frame0", 0), ("last", m.frame_count() - 1)] {
        let vals: Vec<f32> = v[key]
            .as_array()
            .expect("vals")
            .iter()
            .map(|x| x.as_f64().expect("f") as f32)
            .collect();
        assert_eq!(vals, m.frame(f), "{tag} {key}");
    }
    for (j, o) in sk
        .joints
        .iter()
        .zip(v["offsets"].as_array().expect("offsets"))
    {
        let o: Vec<f64> = o
            .as_array()
            .expect("xyz")
            .iter()
            .map(|x| x.as_f64().expect("f"))
            .collect();
        assert_eq!(o, [j.offset.x, j.offset.y, j.offset.z], "{tag} {}", j.name);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn python_bvh_reads_our_generated_file() {
    let Some(py) = mocap_testkit::python_module("bvh") else {
        return;
    };
    let mut root = Joint::new("mixamorig:Hips", None, DVec3::new(0.0, 93.5, 0.0));
    root.channels = vec![
        Channel::Xposition,
        Channel::Yposition,
        Channel::Zposition,
        Channel::Zrotation,
        Channel::Yrotation,
        Channel::Xrotation,
    ];
    root.rotation_order = RotationOrder::Zyx;
    let mut spine = Joint::new("mixamorig:Spine", Some(0), DVec3::new(0.0, 10.25, -0.5));
    spine.channels = Channel::ROTATION_ZXY.to_vec();
    let mut head = Joint::new("Head", Some(1), DVec3::new(0.0, 30.0, 0.0));
    head.channels = Channel::ROTATION_ZXY.to_vec();
    head.end_site = Some(DVec3::new(0.0, 12.0, 0.0));
    let sk = Skeleton {
        joints: vec![root, spine, head],
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    };
    let mut m = Motion::zeros(&sk, 25, FrameRate::FPS_120).expect("motion");
    for (i, v) in m.values.iter_mut().enumerate() {
        *v = ((i as f32) * 0.37).sin() * 45.0 + if i % 7 == 0 { 5.1072e-06 } else { 0.0 };
    }
    m.values[1] = -0.0;
    check(&py, &sk, &m, "generated");
}

#[test]
fn python_bvh_reads_our_rewrite_of_real_files() {
    let Some(dir) = mocap_testkit::data("bvh") else {
        return;
    };
    let Some(py) = mocap_testkit::python_module("bvh") else {
        return;
    };
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("bvh dir") {
        let p = e.expect("entry").path();
        if p.extension().and_then(|x| x.to_str()) != Some("bvh") {
            continue;
        }
        let f = bvh::read_path(&p).unwrap_or_else(|e| panic!("{e}"));
        let tag = p
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        check(&py, &f.skeleton, &f.motion, &tag);
        n += 1;
    }
    assert!(n > 0, "no .bvh files in {}", dir.display());
}

/// Forward kinematics agrees with pybvh's (pinned in `.ci/requirements-interop.txt`), an independent implementation,
/// on a BVH we write with mixed rotation orders (root ZYX, others ZXY, like CMU cgspeed files)
/// and on the real Mixamo-rig file. (pybvh refuses position channels on non-root joints, so the
/// Bandai files cannot be compared this way.)
#[test]
fn pybvh_forward_kinematics_agrees() {
    let Some(py) = mocap_testkit::python_module("pybvh") else {
        return;
    };
    let script = "import sys, json, warnings\n\
warnings.simplefilter('ignore')\n\
import pybvh\n\
b = pybvh.read_bvh_file(sys.argv[1], world_up='+y')\n\
print(json.dumps(b.joint_positions().tolist()))\n";
    let dir = std::env::temp_dir().join(format!("mocap-pybvh-fk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut files: Vec<PathBuf> = Vec::new();
    // Generated: mixed orders, root position channels, end sites.
    let mut root = Joint::new("Hips", None, DVec3::new(0.0, 0.0, 0.0));
    root.channels = vec![
        Channel::Xposition,
        Channel::Yposition,
        Channel::Zposition,
        Channel::Zrotation,
        Channel::Yrotation,
        Channel::Xrotation,
    ];
    root.rotation_order = RotationOrder::Zyx;
    let mut joints = vec![root];
    for (i, off) in [[7.9, -9.7, 4.8], [13.3, -36.4, 0.0], [14.1, -38.9, 0.0]]
        .iter()
        .enumerate()
    {
        let mut j = Joint::new(format!("L{i}"), Some(i), DVec3::from_array(*off));
        j.channels = Channel::ROTATION_ZXY.to_vec();
        joints.push(j);
    }
    joints[3].end_site = Some(DVec3::new(0.0, -5.0, 10.0));
    let sk = Skeleton {
        joints,
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    };
    let mut m = Motion::zeros(&sk, 40, FrameRate::FPS_120).expect("motion");
    for (i, v) in m.values.iter_mut().enumerate() {
        *v = ((i as f32) * 0.61).sin() * 70.0;
    }
    let p = dir.join("mixed.bvh");
    bvh::write_path(&sk, &m, &p).expect("write");
    files.push(p);
    if let Some(real) = mocap_testkit::data("bvh/bvhpython_test_freebvh.bvh") {
        files.push(real);
    }
    for path in files {
        let f = bvh::read_path(&path).unwrap_or_else(|e| panic!("{e}"));
        let out = mocap_testkit::run_python(&py, script, &[path.as_os_str()]);
        let theirs: Vec<Vec<Vec<f64>>> = serde_json::from_str(&out).expect("json");
        let ours = mocap_data::fk::positions_reference(&f.skeleton, &f.motion);
        let nj = f.skeleton.joints.len();
        assert_eq!(theirs.len(), f.motion.frame_count());
        let mut worst = 0.0f64;
        for (fi, frame) in theirs.iter().enumerate() {
            assert_eq!(frame.len(), nj, "{}", path.display());
            for (j, q) in frame.iter().enumerate() {
                worst = worst.max((ours[fi * nj + j] - DVec3::new(q[0], q[1], q[2])).length());
            }
        }
        eprintln!("{}: max |ours − pybvh| = {worst:.2e}", path.display());
        // pybvh works partly in lower precision; a convention error would be centimetres.
        assert!(worst < 1e-4, "{}: {worst}", path.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
