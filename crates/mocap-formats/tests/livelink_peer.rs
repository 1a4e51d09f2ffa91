//! Live Link Face packets against PyPI `pylivelinkface` 0.1 (pinned in
//! `.ci/requirements-interop.txt`): it encodes packets we decode, and decodes ours.

use mocap_formats::livelink::{FaceFrame, LiveLinkPacket, VALUE_COUNT};
use std::ffi::OsStr;

const ENCODE: &str = r#"
import sys
from pylivelinkface import PyLiveLinkFace, FaceBlendShape
face = PyLiveLinkFace(name="PeerSubject", uuid="$12345678-90ab-cdef-1234-567890abcdef", fps=60)
for i in range(61):
    v = (i + 1) / 64.0 if i < 52 else -(i - 51) / 16.0
    face.set_blendshape(FaceBlendShape(i), v, no_filter=True)
sys.stdout.write(face.encode().hex())
"#;

const DECODE: &str = r#"
import sys, json
from pylivelinkface import PyLiveLinkFace, FaceBlendShape
ok, face = PyLiveLinkFace.decode(bytes.fromhex(sys.argv[1]))
print(json.dumps({"ok": ok, "name": face.name, "uuid": face.uuid, "fps": face.fps,
    "den": face._denominator, "frames": face._frames, "sub": face._sub_frame,
    "jaw": face.get_blendshape(FaceBlendShape.JawOpen),
    "values": list(face._blend_shapes)}))
"#;

#[test]
fn pylivelinkface_packets_decode_and_ours_decode_there() {
    let Some(py) = mocap_testkit::python_module("pylivelinkface") else {
        return;
    };
    // Theirs → ours.
    let hex = mocap_testkit::run_python(&py, ENCODE, &[]);
    let bytes: Vec<u8> = (0..hex.trim().len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let p = LiveLinkPacket::decode(&bytes).unwrap();
    assert_eq!(p.version, 6);
    assert_eq!(p.subject, "PeerSubject");
    assert_eq!(p.device_id_str(), "$12345678-90ab-cdef-1234-567890abcdef");
    let f = p.frame.as_ref().expect("a face frame");
    assert_eq!((f.rate_num, f.rate_den), (60, 1));
    for (i, v) in f.values.iter().enumerate() {
        let want = if i < 52 {
            (i + 1) as f32 / 64.0
        } else {
            -((i - 51) as f32) / 16.0
        };
        assert_eq!(*v, want, "value {i}");
    }
    // The weights, now canonical: jawOpen is index 17.
    assert_eq!(f.weights_clamped().0[17], 18.0 / 64.0);

    // Ours → theirs.
    let mut values = [0.0f32; VALUE_COUNT];
    for (i, v) in values.iter_mut().enumerate() {
        *v = (i as f32) / 128.0;
    }
    let ours = LiveLinkPacket::new(
        "$abcdefab-1234-5678-9abc-def012345678",
        "Studio",
        Some(FaceFrame {
            frame_number: 4_321_000,
            subframe: 0.25,
            rate_num: 30,
            rate_den: 1,
            values,
        }),
    );
    let hex: String = ours.encode().iter().map(|b| format!("{b:02x}")).collect();
    let out = mocap_testkit::run_python(&py, DECODE, &[OsStr::new(&hex)]);
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(j["ok"], true);
    assert_eq!(j["name"], "Studio");
    assert_eq!(j["uuid"], "$abcdefab-1234-5678-9abc-def012345678");
    assert_eq!((j["fps"].as_i64(), j["den"].as_i64()), (Some(30), Some(1)));
    assert_eq!(j["frames"].as_i64(), Some(4_321_000));
    assert_eq!(j["sub"].as_f64(), Some(0.25));
    assert_eq!(j["jaw"].as_f64(), Some(17.0 / 128.0));
    let back: Vec<f32> = j["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(back, values);
}
