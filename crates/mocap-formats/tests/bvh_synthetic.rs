//! BVH syntax variants, validation errors (with line and column), writer behaviour.

use mocap_data::{
    Channel, DQuat, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
    fk,
};
use mocap_formats::{FormatError, Location, bvh};

/// Root with only 3 rotation channels (three.js `pirouette.bvh` style), a 6-channel child whose
/// position channels are its absolute local translation (Bandai style), tabs, `:` in names,
/// several number spellings, an End Site.
const VARIANTS: &str = "HIERARCHY
ROOT hip
{
\tOFFSET 0 0 0
\tCHANNELS 3 Zrotation Xrotation Yrotation
\tJOINT mixamorig:Spine
\t{
\t\tOFFSET 0 10 0
\t\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation
\t\tJOINT Head
\t\t{
\t\t\tOFFSET 0 5 0
\t\t\tEnd Site
\t\t\t{
\t\t\t\tOFFSET 0 2.5 0
\t\t\t}
\t\t}
\t}
}
MOTION
Frames: 2
Frame Time: .0333333
90 0 0 1 20 3 0 0 0
-0 .5 5.1072e-06 +1.5 -2E1 3e0 0 0 0
";

#[test]
fn syntax_variants() {
    let f = bvh::parse(VARIANTS.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let sk = &f.skeleton;
    assert_eq!(sk.joints.len(), 3);
    assert_eq!(sk.joints[1].name, "mixamorig:Spine");
    assert_eq!(sk.joints[0].channels.len(), 3);
    assert_eq!(sk.joints[0].rotation_order, RotationOrder::Zxy);
    assert_eq!(sk.joints[1].rotation_order, RotationOrder::Zyx);
    assert_eq!(sk.joints[2].end_site, Some(DVec3::new(0.0, 2.5, 0.0)));
    assert_eq!(sk.joints[2].parent, Some(1));
    assert_eq!(f.motion.frame_time_s, 0.0333333);
    assert_eq!(f.motion.rate, FrameRate::FPS_30);
    let f1 = f.motion.frame(1);
    assert_eq!(f1[0].to_bits(), (-0.0f32).to_bits());
    assert_eq!(&f1[1..6], &[0.5, 5.1072e-06, 1.5, -20.0, 3.0]);
    // FK: frame 0 rotates the root 90° about Z; the Spine's position channels (1, 20, 3)
    // replace its offset, so it sits at Rz(90°)·(1, 20, 3) = (-20, 1, 3), the head 5 further
    // along the rotated Y axis.
    let p = fk::positions_reference(sk, &f.motion);
    assert!(
        (p[1] - DVec3::new(-20.0, 1.0, 3.0)).length() < 1e-9,
        "{:?}",
        p[1]
    );
    assert!(
        (p[2] - DVec3::new(-25.0, 1.0, 3.0)).length() < 1e-9,
        "{:?}",
        p[2]
    );
    // CRLF gives the same.
    let crlf = bvh::parse(VARIANTS.replace('\n', "\r\n").as_bytes()).expect("crlf");
    assert_eq!(crlf, f);
    // Choosing the unit labels without rescaling; to_unit rescales lengths only.
    let mm = bvh::parse_with(
        VARIANTS.as_bytes(),
        &bvh::ReadOptions {
            unit: LengthUnit::Millimetre,
            up_axis: UpAxis::Z,
        },
    )
    .expect("parse");
    assert_eq!(mm.skeleton.unit, LengthUnit::Millimetre);
    assert_eq!(mm.skeleton.up_axis, UpAxis::Z);
    assert_eq!(mm.motion, f.motion);
    let m = f.to_unit(LengthUnit::Metre);
    assert_eq!(m.skeleton.joints[1].offset, DVec3::new(0.0, 0.1, 0.0));
    assert_eq!(&m.motion.frame(0)[..6], &[90.0, 0.0, 0.0, 0.01, 0.2, 0.03]);
}

fn err_at(text: &str) -> (FormatError, Location) {
    let e = bvh::parse(text.as_bytes()).expect_err("should fail");
    let loc = match &e {
        FormatError::Malformed { location, .. } | FormatError::Unsupported { location, .. } => {
            *location
        }
        other => panic!("unexpected error kind {other}"),
    };
    (e, loc)
}

#[test]
fn validation_errors_name_line_and_column() {
    // (replace, with, expected location, message fragment)
    let cases: &[(&str, &str, Location, &str)] = &[
        (
            "90 0 0 1 20 3 0 0 0",
            "90 0 0 1 20 3 0 0",
            Location::Line(23, Some(18)),
            "8 values",
        ),
        (
            "90 0 0 1 20 3 0 0 0",
            "90 0 0 1 20 3 0 0 0 7",
            Location::Line(23, Some(21)),
            "more than 9",
        ),
        (
            "+1.5",
            "1.5x",
            Location::Line(24, Some(18)),
            "`1.5x` is not a number",
        ),
        (
            "Frames: 2",
            "Frames: 3",
            Location::Line(21, None),
            "2 motion lines",
        ),
        (
            "Frames: 2",
            "Frames: 1",
            Location::Line(24, Some(1)),
            "more motion lines",
        ),
        (
            "Frames: 2",
            "Frames: 18446744073709551615",
            Location::Line(21, None),
            "2 motion lines",
        ),
        (
            "Frames: 2",
            "Frames: -2",
            Location::Line(21, Some(9)),
            "whole number",
        ),
        (
            "\t\t\t}\n\t\t}",
            "\t\t\t}\n",
            Location::Line(20, Some(1)),
            "still open",
        ),
        (
            "Yrotation\n\tJOINT",
            "Wrotation\n\tJOINT",
            Location::Line(5, Some(33)),
            "Wrotation",
        ),
        (
            "CHANNELS 3 Z",
            "CHANNELS 7 Z",
            Location::Line(5, Some(11)),
            "0 to 6",
        ),
        (
            "Zrotation Xrotation Yrotation\n\tJOINT",
            "Zrotation Xrotation Zrotation\n\tJOINT",
            Location::Line(5, Some(33)),
            "twice",
        ),
        (
            "\t\t\t\tOFFSET 0 2.5 0\n",
            "",
            Location::Line(15, Some(4)),
            "without `OFFSET`",
        ),
        (
            "OFFSET 0 10 0",
            "OFFSET 0 ten 0",
            Location::Line(8, Some(12)),
            "not a finite number",
        ),
        (
            "Frame Time: .0333333",
            "Frame Time: 0",
            Location::Line(22, Some(13)),
            "positive",
        ),
        (
            "ROOT hip",
            "JOINT hip",
            Location::Line(2, Some(1)),
            "outside any `ROOT`",
        ),
        (
            "HIERARCHY",
            "HIERARCHIE",
            Location::Line(1, Some(1)),
            "HIERARCHY",
        ),
    ];
    for (from, to, want, needle) in cases {
        assert!(VARIANTS.contains(from), "{from}");
        let text = VARIANTS.replacen(from, to, 1);
        let (e, loc) = err_at(&text);
        assert_eq!(loc, *want, "{to:?}: {e}");
        assert!(e.to_string().contains(needle), "{to:?}: {e}");
        assert!(e.to_string().starts_with("<memory>: "), "{e}");
    }
    // Truncated anywhere: an error, never a panic.
    for cut in 0..VARIANTS.len() - 1 {
        let r = bvh::parse(&VARIANTS.as_bytes()[..cut]);
        assert!(r.is_err(), "cut at {cut} parsed");
    }
}

#[test]
fn read_path_names_the_file() {
    let dir = std::env::temp_dir().join(format!("mocap-bvh-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let p = dir.join("broken.bvh");
    std::fs::write(&p, VARIANTS.replacen("+1.5", "oops", 1)).expect("write");
    let e = bvh::read_path(&p).expect_err("broken");
    assert!(
        e.to_string()
            .starts_with(&format!("{}: line 24, column 18", p.display())),
        "{e}"
    );
    let missing = bvh::read_path(&dir.join("missing.bvh")).expect_err("missing");
    assert!(matches!(missing, FormatError::Io { .. }));
    let _ = std::fs::remove_dir_all(&dir);
}

fn chain() -> Skeleton {
    let mut root = Joint::new("root", None, DVec3::new(1.0, 2.0, 3.0));
    root.channels = vec![
        Channel::Xposition,
        Channel::Yposition,
        Channel::Zposition,
        Channel::Yrotation,
        Channel::Xrotation,
        Channel::Zrotation,
    ];
    root.rotation_order = RotationOrder::Yxz;
    // Joint 1 is the root's *second* child in index order: the file is written depth-first.
    let mut a = Joint::new("a", Some(0), DVec3::new(0.0, 10.0, 0.0));
    // Channels listed X, Z, Y while the composition order is Z, X, Y: the writer must reorder.
    a.channels = vec![Channel::Xrotation, Channel::Zrotation, Channel::Yrotation];
    a.rotation_order = RotationOrder::Zxy;
    let mut b = Joint::new("b", Some(0), DVec3::new(5.0, 0.0, 0.0));
    b.channels = vec![Channel::Zrotation];
    b.end_site = Some(DVec3::new(1.0, 0.0, 0.0));
    let mut c = Joint::new("c", Some(1), DVec3::new(0.0, 4.0, 0.0));
    c.channels = vec![Channel::Xrotation, Channel::Yrotation];
    c.rotation_order = RotationOrder::Xyz;
    Skeleton {
        joints: vec![root, a, b, c],
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    }
}

#[test]
fn writer_reorders_channels_and_keeps_fk() {
    let sk = chain();
    let mut m = Motion::zeros(&sk, 3, FrameRate::FPS_120).expect("motion");
    for (i, v) in m.values.iter_mut().enumerate() {
        *v = (i as f32 * 7.3).sin() * 80.0;
    }
    let mut out = Vec::new();
    bvh::write(&sk, &m, &mut out).expect("write");
    let text = String::from_utf8(out.clone()).expect("utf-8");
    assert!(
        text.contains("CHANNELS 3 Zrotation Xrotation Yrotation"),
        "{text}"
    );
    let back = bvh::parse(&out).expect("read");
    assert_eq!(back.skeleton.joints[1].name, "a");
    assert_eq!(back.skeleton.joints[2].name, "c");
    assert_eq!(back.skeleton.joints[3].name, "b");
    // Same world positions, joint by joint (matched by name).
    let want = fk::positions_reference(&sk, &m);
    let got = fk::positions_reference(&back.skeleton, &back.motion);
    for f in 0..3 {
        for (j, joint) in sk.joints.iter().enumerate() {
            let k = back.skeleton.joint_index(&joint.name).expect("joint");
            assert!((want[f * 4 + j] - got[f * 4 + k]).length() < 1e-9);
        }
    }
    // A second round trip is exact.
    let mut again = Vec::new();
    bvh::write(&back.skeleton, &back.motion, &mut again).expect("write");
    assert_eq!(again, out);
}

#[test]
fn writer_rejects_what_bvh_cannot_hold() {
    let sk = chain();
    let m = Motion::zeros(&sk, 2, FrameRate::FPS_30).expect("motion");
    let mut rest = sk.clone();
    rest.joints[1].rest_rotation = DQuat::from_rotation_x(0.3);
    let mut spaced = sk.clone();
    spaced.joints[2].name = "left hand".into();
    let mut nan = m.clone();
    nan.values[5] = f32::NAN;
    let mut short = m.clone();
    short.channels_per_frame = 3;
    for (s, mm, needle) in [
        (&rest, &m, "rest rotation"),
        (&spaced, &m, "whitespace"),
        (&sk, &nan, "frame 0 channel 5"),
        (&sk, &short, "channels per frame"),
    ] {
        let e = bvh::write(s, mm, Vec::new()).expect_err(needle);
        assert!(matches!(e, FormatError::InvalidData { .. }), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }
}
