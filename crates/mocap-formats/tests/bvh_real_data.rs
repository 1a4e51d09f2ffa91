//! BVH reader/writer and fast FK on the real files in `$MOCAP_TEST_DATA/bvh`.
//!
//! Expected values come from `bvh/PROVENANCE.md`. Every `.bvh` present must be in the table
//! below; files the table lists but the collection does not ship (PROVENANCE.md describes the
//! whole collection, the folder holds a subset) are reported and skipped.

use mocap_data::{Channel, RotationOrder, fk};
use mocap_formats::bvh;
use std::path::PathBuf;

fn data_dir() -> Option<PathBuf> {
    mocap_testkit::data("bvh")
}

struct Expect {
    file: &'static str,
    joints: usize,
    first_joint: &'static str,
    last_joint: &'static str,
    end_sites: usize,
    channels: usize,
    frames: usize,
    frame_time: f64,
    /// Rotation order of the root and of every other joint.
    root_order: RotationOrder,
    other_order: RotationOrder,
    /// Number of joints with 6 channels.
    six_channel_joints: usize,
}

const BANDAI_FIRST: &str = "joint_Root";
const BANDAI_LAST: &str = "Toes_R";

const TABLE: &[Expect] = &[
    Expect {
        file: "bandai_dataset-1_dance-short_normal_001.bvh",
        joints: 22,
        first_joint: BANDAI_FIRST,
        last_joint: BANDAI_LAST,
        end_sites: 5,
        channels: 132,
        frames: 1901,
        frame_time: 0.0333333,
        root_order: RotationOrder::Zxy,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 22,
    },
    Expect {
        file: "bandai_dataset-1_kick_normal_001.bvh",
        joints: 22,
        first_joint: BANDAI_FIRST,
        last_joint: BANDAI_LAST,
        end_sites: 5,
        channels: 132,
        frames: 358,
        frame_time: 0.0333333,
        root_order: RotationOrder::Zxy,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 22,
    },
    Expect {
        file: "bandai_dataset-1_walk_normal_001.bvh",
        joints: 22,
        first_joint: BANDAI_FIRST,
        last_joint: BANDAI_LAST,
        end_sites: 5,
        channels: 132,
        frames: 195,
        frame_time: 0.0333333,
        root_order: RotationOrder::Zxy,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 22,
    },
    Expect {
        file: "bandai_dataset-2_walk-turn-left_active_001.bvh",
        joints: 22,
        first_joint: BANDAI_FIRST,
        last_joint: BANDAI_LAST,
        end_sites: 5,
        channels: 132,
        frames: 130,
        frame_time: 0.0333333,
        root_order: RotationOrder::Zxy,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 22,
    },
    Expect {
        file: "bvhpython_test_freebvh.bvh",
        joints: 55,
        first_joint: "mixamorig:Hips",
        last_joint: "mixamorig:LeftToeBase",
        end_sites: 15,
        channels: 168,
        frames: 69,
        frame_time: 0.0333333,
        root_order: RotationOrder::Zyx,
        other_order: RotationOrder::Zyx,
        six_channel_joints: 1,
    },
    Expect {
        file: "bvhpython_test_mocapbank.bvh",
        joints: 19,
        first_joint: "Hips",
        last_joint: "RightAnkle",
        end_sites: 5,
        channels: 60,
        frames: 455,
        frame_time: 0.033333,
        root_order: RotationOrder::Zxy,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 1,
    },
    Expect {
        file: "cmu_cgspeed_131_03.bvh",
        joints: 31,
        first_joint: "Hips",
        last_joint: "RThumb",
        end_sites: 7,
        channels: 96,
        frames: 1102,
        frame_time: 0.0083333,
        root_order: RotationOrder::Zyx,
        other_order: RotationOrder::Zxy,
        six_channel_joints: 1,
    },
];

/// The files present, each with its table entry; fails on an unknown `.bvh` or an empty folder.
fn present() -> Option<Vec<(PathBuf, &'static Expect)>> {
    let dir = data_dir()?;
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let p = e.expect("dir entry").path();
        if p.extension().and_then(|x| x.to_str()) != Some("bvh") {
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        let exp = TABLE
            .iter()
            .find(|t| t.file == name)
            .unwrap_or_else(|| panic!("{name} is not in the PROVENANCE table of this test"));
        out.push((p, exp));
    }
    for t in TABLE {
        if !out.iter().any(|(_, e)| e.file == t.file) {
            eprintln!(
                "note: {} is listed in PROVENANCE.md but not in {}",
                t.file,
                dir.display()
            );
        }
    }
    assert!(!out.is_empty(), "no .bvh files in {}", dir.display());
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Some(out)
}

#[test]
fn real_files_match_provenance_table() {
    let Some(files) = present() else { return };
    for (path, e) in files {
        let f = bvh::read_path(&path).unwrap_or_else(|err| panic!("{err}"));
        let sk = &f.skeleton;
        let name = e.file;
        assert_eq!(sk.joints.len(), e.joints, "{name} joints");
        assert_eq!(sk.joints[0].name, e.first_joint, "{name}");
        assert_eq!(
            sk.joints.last().map(|j| j.name.as_str()),
            Some(e.last_joint),
            "{name}"
        );
        assert_eq!(
            sk.joints.iter().filter(|j| j.end_site.is_some()).count(),
            e.end_sites,
            "{name} end sites"
        );
        assert_eq!(sk.channel_count(), e.channels, "{name} channels");
        assert_eq!(f.motion.channels_per_frame, e.channels);
        assert_eq!(f.motion.frame_count(), e.frames, "{name} frames");
        assert_eq!(f.motion.values.len(), e.frames * e.channels);
        assert_eq!(f.motion.frame_time_s, e.frame_time, "{name} frame time");
        assert_eq!(f.motion.rate.hz().round(), (1.0 / e.frame_time).round());
        assert_eq!(
            sk.joints[0].rotation_order, e.root_order,
            "{name} root order"
        );
        assert!(
            sk.joints[1..]
                .iter()
                .all(|j| j.rotation_order == e.other_order),
            "{name}"
        );
        assert_eq!(
            sk.joints.iter().filter(|j| j.channels.len() == 6).count(),
            e.six_channel_joints,
            "{name} 6-channel joints"
        );
        assert!(
            sk.joints
                .iter()
                .all(|j| j.channels.len() == 6 || j.channels.len() == 3)
        );
        assert_eq!(sk.joints[0].channels[0], Channel::Xposition);
        assert_eq!(sk.unit, mocap_data::LengthUnit::Centimetre);
        sk.validate().expect("valid skeleton");
        f.motion.check(sk).expect("motion fits");
        assert!(f.motion.values.iter().all(|v| v.is_finite()));
        // The in-memory parser agrees with the streaming reader.
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(bvh::parse(&bytes).expect("parse"), f, "{name}");
    }
}

#[test]
fn real_files_spot_values() {
    let Some(files) = present() else { return };
    for (path, e) in files {
        let f = bvh::read_path(&path).expect("read");
        // First and last value of the first and last motion lines, taken from the text.
        let text = std::fs::read_to_string(&path).expect("utf-8");
        let lines: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.trim_start().starts_with("Frame Time"))
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(lines.len(), e.frames, "{}", e.file);
        let cpf = e.channels;
        for (fi, line) in [(0, lines[0]), (e.frames - 1, lines[e.frames - 1])] {
            let toks: Vec<f32> = line
                .split_whitespace()
                .map(|t| t.parse().expect("number"))
                .collect();
            assert_eq!(toks.len(), cpf);
            assert_eq!(f.motion.frame(fi), &toks[..], "{} frame {fi}", e.file);
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn real_files_write_read_round_trip() {
    let Some(files) = present() else { return };
    for (path, e) in files {
        let f = bvh::read_path(&path).expect("read");
        let mut out = Vec::new();
        bvh::write(&f.skeleton, &f.motion, &mut out).expect("write");
        let g = bvh::parse(&out).unwrap_or_else(|err| panic!("{}: {err}", e.file));
        assert_eq!(g.skeleton, f.skeleton, "{}", e.file);
        assert_eq!(g.motion.frame_time_s, f.motion.frame_time_s);
        assert_eq!(g.motion.rate, f.motion.rate);
        assert_eq!(bits(&g.motion.values), bits(&f.motion.values), "{}", e.file);
        // Writing again gives the same bytes.
        let mut again = Vec::new();
        bvh::write(&g.skeleton, &g.motion, &mut again).expect("write");
        assert_eq!(out, again);
    }
}

#[test]
fn real_files_fast_fk_matches_reference() {
    let Some(files) = present() else { return };
    for (path, e) in files {
        let f = bvh::read_path(&path).expect("read");
        let want = fk::positions_reference(&f.skeleton, &f.motion);
        let mut got = Vec::new();
        fk::world_positions(&f.skeleton, &f.motion, &mut got);
        assert_eq!(got.len(), e.frames * e.joints);
        let mut worst = 0.0f64;
        for (g, w) in got.iter().zip(&want) {
            for k in 0..3 {
                worst = worst.max((g[k] as f64 - w[k]).abs());
            }
        }
        eprintln!("{}: max |fast - reference| = {worst:.2e} cm", e.file);
        assert!(worst < 1e-3, "{}: {worst}", e.file);
    }
}
