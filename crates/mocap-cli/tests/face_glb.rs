//! `mocap export-glb … --face CURVES.csv`: the mannequin with a generated face whose 52 ARKit
//! morph targets play the take. The Khronos glTF validator reports no errors, and three.js's
//! GLTFLoader + AnimationMixer read back the weights we wrote at chosen times.

use std::path::Path;
use std::process::Command;

mod common;

/// Hips → Spine → Neck → Head (end site), and two arms; centimetres, Y-up, facing +Z.
const BVH: &str = "HIERARCHY
ROOT Hips
{
  OFFSET 0 95 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Spine
  {
    OFFSET 0 20 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Neck
    {
      OFFSET 0 35 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      JOINT Head
      {
        OFFSET 0 10 0
        CHANNELS 3 Zrotation Xrotation Yrotation
        End Site
        {
          OFFSET 0 20 0
        }
      }
    }
    JOINT LeftArm
    {
      OFFSET 18 30 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 50 0 0
      }
    }
    JOINT RightArm
    {
      OFFSET -18 30 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET -50 0 0
      }
    }
  }
}
MOTION
Frames: 30
Frame Time: 0.0333333
";

/// 60 frames at 60 fps: jawOpen ramps f/59, eyeBlinkLeft is 1 on frames 20–30, mouthSmileRight
/// is 0.5, in PascalCase with an unknown extra column.
fn face_csv() -> String {
    let mut s =
        String::from("Timecode,BlendShapeCount,JawOpen,EyeBlinkLeft,MouthSmileRight,Extra\n");
    for f in 0..60 {
        let blink = if (20..=30).contains(&f) { 1.0 } else { 0.0 };
        s += &format!(
            "00:00:{:02}:{:02}.000,61,{},{blink},0.5,0.3\n",
            f / 60,
            f % 60,
            f as f64 / 59.0
        );
    }
    s
}

#[test]
fn face_weights_pass_the_validator_and_play_in_threejs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bvh = dir.path().join("actor.bvh");
    let mut text = BVH.to_string();
    for f in 0..30 {
        text += &format!(
            "0 95 0 0 0 0 0 {} 0 0 0 0 0 {} 0 0 0 0 0 0 0\n",
            f,
            f as f64 * 0.5
        );
    }
    std::fs::write(&bvh, text).expect("write");
    let csv = dir.path().join("face.csv");
    std::fs::write(&csv, face_csv()).expect("write");
    let out = dir.path().join("face.glb");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("export-glb")
        .arg(&bvh)
        .arg("--face")
        .arg(&csv)
        .arg("--face-rate")
        .arg("60")
        .arg("-o")
        .arg(&out)
        .output()
        .expect("run mocap");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains("Extra"));

    // Our own reading of the JSON chunk: 52 named targets, a weights channel of 60 keys.
    let bytes = std::fs::read(&out).expect("GLB");
    let len = u32::from_le_bytes(bytes[12..16].try_into().expect("4 bytes")) as usize;
    let doc: serde_json::Value = serde_json::from_slice(&bytes[20..20 + len]).expect("JSON");
    let face = doc["meshes"]
        .as_array()
        .expect("meshes")
        .iter()
        .find(|m| m["name"] == "Face")
        .expect("Face mesh");
    assert_eq!(
        face["primitives"][0]["targets"].as_array().map(Vec::len),
        Some(52)
    );
    let names = face["extras"]["targetNames"]
        .as_array()
        .expect("targetNames");
    assert_eq!(
        (names[0].as_str(), names[51].as_str()),
        (Some("eyeBlinkLeft"), Some("tongueOut"))
    );
    let anim = &doc["animations"][0];
    let ch = anim["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["target"]["path"] == "weights")
        .expect("weights channel");
    let sampler = &anim["samplers"][ch["sampler"].as_u64().expect("sampler") as usize];
    assert_eq!(
        doc["accessors"][sampler["input"].as_u64().expect("input") as usize]["count"],
        60
    );

    let Some(validator) = mocap_testkit::npm_package("gltf-validator") else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gltf_validate.js");
    let v = common::node_json(&validator, &script, &[&out]);
    assert_eq!(v["numErrors"], 0, "validator: {}", v["messages"]);

    let Some(three) = mocap_testkit::npm_package("three") else {
        return;
    };
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/threejs-load.mjs");
    let times = ["0", "0.25833333", "0.41666667", "0.5", "0.98333333"];
    let args: Vec<&Path> = std::iter::once(out.as_path())
        .chain(times.iter().map(Path::new))
        .collect();
    let r = common::node_json(&three, &script, &args);
    assert_eq!(r["morph"]["mesh"], "Face");
    let w = |k: usize, name: &str| r["morph"]["weights"][k][name].as_f64().unwrap_or(f64::NAN);
    let eps = 1e-4;
    for (k, t) in times.iter().enumerate() {
        let t: f64 = t.parse().expect("time");
        let jaw = (t * 60.0) / 59.0;
        assert!(
            (w(k, "jawOpen") - jaw).abs() < eps,
            "jawOpen at {t}: {}",
            w(k, "jawOpen")
        );
        assert!((w(k, "mouthSmileRight") - 0.5).abs() < eps);
        assert_eq!(w(k, "browInnerUp"), 0.0);
    }
    assert_eq!(w(0, "eyeBlinkLeft"), 0.0);
    assert!((w(2, "eyeBlinkLeft") - 1.0).abs() < eps);
    // Between frames 30 (1.0) and 31 (0.0): 0.5 at frame 30.5.
    let r2 = common::node_json(&three, &script, &[out.as_path(), Path::new("0.50833333")]);
    assert!(
        (r2["morph"]["weights"][0]["eyeBlinkLeft"]
            .as_f64()
            .unwrap_or(0.0)
            - 0.5)
            .abs()
            < 1e-3
    );
}

/// The GLB's morph weight animation: (keys, the output floats, key-major, 52 per key).
fn weight_keys(bytes: &[u8]) -> (usize, Vec<f32>) {
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    let len = u32_at(12) as usize;
    let doc: serde_json::Value = serde_json::from_slice(&bytes[20..20 + len]).expect("JSON");
    let bin = &bytes[28 + len..];
    let anim = &doc["animations"][0];
    let ch = anim["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["target"]["path"] == "weights")
        .expect("weights channel");
    let sampler = &anim["samplers"][ch["sampler"].as_u64().expect("sampler") as usize];
    let keys = doc["accessors"][sampler["input"].as_u64().expect("input") as usize]["count"]
        .as_u64()
        .expect("count") as usize;
    let acc = &doc["accessors"][sampler["output"].as_u64().expect("output") as usize];
    let view = &doc["bufferViews"][acc["bufferView"].as_u64().expect("view") as usize];
    let start = view["byteOffset"].as_u64().unwrap_or(0) as usize
        + acc["byteOffset"].as_u64().unwrap_or(0) as usize;
    let n = acc["count"].as_u64().expect("count") as usize;
    let vals = (0..n)
        .map(|k| f32::from_le_bytes(bin[start + 4 * k..start + 4 * k + 4].try_into().expect("4")))
        .collect();
    (keys, vals)
}

#[test]
fn a_face_map_file_reassigns_the_faces_targets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bvh = dir.path().join("actor.bvh");
    let mut text = BVH.to_string();
    for _ in 0..30 {
        text += "0 95 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
    }
    std::fs::write(&bvh, text).expect("write");
    let csv = dir.path().join("face.csv");
    std::fs::write(&csv, face_csv()).expect("write");
    // jawOpen follows the smile at half strength; mouthSmileRight keeps its channel; eyeBlinkLeft
    // is listed undriven (and the other 49 targets are not listed).
    let map = dir.path().join("Mannequin.facemap.json");
    std::fs::write(
        &map,
        r#"{"format": "mocap-studio face map", "version": 1, "preset": "ArkitCamel",
            "targets": [
              {"target": "jawOpen", "channels": [["MouthSmileRight", 0.5]]},
              {"target": "mouthSmileRight", "channels": [["mouthSmileRight", 1.0]]},
              {"target": "eyeBlinkLeft", "channels": []}
            ]}"#,
    )
    .expect("write");
    let export = |map_arg: Option<&Path>, out: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mocap"));
        c.arg("export-glb")
            .arg(&bvh)
            .arg("--face")
            .arg(&csv)
            .args(["--face-rate", "60", "-o"])
            .arg(out);
        if let Some(m) = map_arg {
            c.arg("--face-map").arg(m);
        }
        let run = c.output().expect("run mocap");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    let plain = dir.path().join("plain.glb");
    export(None, &plain);
    let mapped = dir.path().join("mapped.glb");
    let log = export(Some(&map), &mapped);
    assert!(log.contains("2 of 52 morph targets driven"), "{log}");
    let idx = |n: &str| {
        mocap_data::face::ARKIT_BLENDSHAPES
            .iter()
            .position(|x| *x == n)
            .expect("ARKit name")
    };
    let (jaw, blink, smile) = (idx("jawOpen"), idx("eyeBlinkLeft"), idx("mouthSmileRight"));
    let (keys, w) = weight_keys(&std::fs::read(&mapped).expect("GLB"));
    let (keys0, w0) = weight_keys(&std::fs::read(&plain).expect("GLB"));
    assert_eq!((keys, keys0), (60, 60));
    // Frame 25: the plain export has the jaw at 25/59 and the blink at 1.
    let at = |w: &[f32], k: usize, t: usize| w[k * 52 + t];
    assert!((at(&w0, 25, jaw) - 25.0 / 59.0).abs() < 1e-5);
    assert_eq!(at(&w0, 25, blink), 1.0);
    for k in [0, 25, 59] {
        assert!((at(&w, k, jaw) - 0.25).abs() < 1e-6, "jaw at {k}");
        assert!((at(&w, k, smile) - 0.5).abs() < 1e-6);
        assert_eq!(at(&w, k, blink), 0.0);
    }
    // A map naming no ARKit channel is refused with the file and the reason.
    std::fs::write(
        &map,
        r#"{"format": "mocap-studio face map", "version": 1,
            "targets": [{"target": "jawOpen", "channels": [["jawOpn", 1]]}]}"#,
    )
    .expect("write");
    let run = Command::new(env!("CARGO_BIN_EXE_mocap"))
        .arg("export-glb")
        .arg(&bvh)
        .args(["--face"])
        .arg(&csv)
        .arg("--face-map")
        .arg(&map)
        .arg("-o")
        .arg(dir.path().join("bad.glb"))
        .output()
        .expect("run mocap");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        err.contains("Mannequin.facemap.json") && err.contains("no ARKit channel"),
        "{err}"
    );
}
