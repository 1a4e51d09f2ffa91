//! Retargeting real BVH motion onto real skeletons of other families (BVH and glTF), checking
//! world-space bone directions on every frame, NaN-freedom and the scaled root path.
//! Needs `MOCAP_TEST_DATA` (skips with a notice when unset; fails when a file is missing).

use mocap_data::{DQuat, DVec3, Motion, Skeleton, fk};
use mocap_solver::retarget::{
    BoneMap, GltfTarget, HumanBone, RetargetedMotion, Retargeter, retarget, skeleton_from_gltf,
    up_axis_rotation,
};

fn bvh(dir: &std::path::Path, name: &str) -> (Skeleton, Motion) {
    let p = dir.join("bvh").join(name);
    assert!(p.is_file(), "missing test file {}", p.display());
    let f = mocap_formats::bvh::read_path(&p).expect("read bvh");
    (f.skeleton, f.motion)
}

fn glb(dir: &std::path::Path, rel: &str) -> GltfTarget {
    let p = dir.join(rel);
    assert!(p.is_file(), "missing test file {}", p.display());
    skeleton_from_gltf(&std::fs::read(&p).expect("read glb")).expect("glb skeleton")
}

struct Figures {
    /// Worst angle over frames and bones whose direction is matched exactly (degrees).
    chain_max_deg: f64,
    /// Worst angle of bones from a joint to a lateral (left/right) child (degrees): not matched
    /// exactly, the two skeletons' rest geometry differs there (e.g. CMU clavicles start at the
    /// neck base, Bandai shoulders beside it).
    lateral_max_deg: f64,
    /// Worst angle between the source's and the target's left−right axis (left child minus
    /// right child, made perpendicular to the joint's central bone), where both are defined.
    lateral_axis_max_deg: f64,
    bones_checked: usize,
}

fn angle_deg(a: DVec3, b: DVec3) -> f64 {
    let (Some(a), Some(b)) = (a.try_normalize(), b.try_normalize()) else {
        return 0.0;
    };
    a.dot(b).clamp(-1.0, 1.0).acos().to_degrees()
}

/// Checks the BVH-writable result (what `mocap retarget` writes) against the source.
fn check(source: &Skeleton, motion: &Motion, target: &Skeleton, r: &RetargetedMotion) -> Figures {
    let (out_sk, out_m) = r.to_bvh(target).expect("to_bvh");
    assert_eq!(out_m.frame_count(), motion.frame_count());
    assert!(out_m.values.iter().all(|v| v.is_finite()), "NaN in output");
    assert!(r.local_rotations.iter().all(|q| q.is_finite()));
    let u: DQuat = up_axis_rotation(source.up_axis, target.up_axis);
    let hips = r
        .bones
        .iter()
        .find(|b| b.parent.is_none())
        .expect("hips mapped");
    let mut chain_max: f64 = 0.0;
    let mut lateral_max: f64 = 0.0;
    let mut axis_max: f64 = 0.0;
    let mut checked = 0;
    let find = |b: HumanBone| r.bones.iter().find(|x| x.bone == b);
    for f in 0..motion.frame_count() {
        let ps = fk::pose(source, motion.frame(f));
        let pt = fk::pose(&out_sk, out_m.frame(f));
        // Root path: target hips = root_scale × source hips (world, up-axis converted).
        let want = u * ps[hips.source_joint].translation * r.root_scale;
        let got = pt[hips.target_joint].translation;
        assert!(
            (want - got).length() < 1e-4 * (1.0 + want.length()),
            "frame {f}: hips at {got} instead of {want}"
        );
        for b in &r.bones {
            let Some(p) = b.parent else { continue };
            let pb = r.bones.iter().find(|x| x.bone == p).expect("parent mapped");
            let ds = u * (ps[b.source_joint].translation - ps[pb.source_joint].translation);
            let dt = pt[b.target_joint].translation - pt[pb.target_joint].translation;
            if ds.length() < 1e-6 || dt.length() < 1e-6 {
                continue;
            }
            let a = angle_deg(ds, dt);
            assert!(a.is_finite());
            let siblings = r.bones.iter().filter(|x| x.parent == Some(p)).count();
            if siblings == 1 || b.bone.is_central() {
                chain_max = chain_max.max(a);
            } else {
                lateral_max = lateral_max.max(a);
            }
            checked += 1;
        }
        // Left−right axes of joints with a central child and a left/right pair of children.
        for b in &r.bones {
            let kids: Vec<_> = r
                .bones
                .iter()
                .filter(|x| x.parent == Some(b.bone))
                .collect();
            let Some(c) = kids.iter().find(|x| x.bone.is_central()) else {
                continue;
            };
            let Some(l) = kids.iter().find(|x| x.bone.is_left()) else {
                continue;
            };
            let Some(rr) = find(l.bone.mirror()) else {
                continue;
            };
            let perp = |v: DVec3, axis: DVec3| v - axis * v.dot(axis);
            let ds =
                (u * (ps[c.source_joint].translation - ps[b.source_joint].translation)).normalize();
            let ls = perp(
                u * (ps[l.source_joint].translation - ps[rr.source_joint].translation),
                ds,
            );
            let dt = (pt[c.target_joint].translation - pt[b.target_joint].translation).normalize();
            let lt = perp(
                pt[l.target_joint].translation - pt[rr.target_joint].translation,
                dt,
            );
            if ls.length() > 1e-6 && lt.length() > 1e-6 {
                axis_max = axis_max.max(angle_deg(ls, lt));
            }
        }
    }
    Figures {
        chain_max_deg: chain_max,
        lateral_max_deg: lateral_max,
        lateral_axis_max_deg: axis_max,
        bones_checked: checked,
    }
}

/// Mean over both sides of hip→knee + knee→ankle rest lengths, computed here independently.
fn leg(sk: &Skeleton, prefix: &str, l: [&str; 3], r: [&str; 3]) -> f64 {
    let rest = mocap_solver::retarget::rest_pose(sk);
    let p = |n: &str| rest[sk.joint_index(&format!("{prefix}{n}")).expect("joint")].translation;
    let side = |s: [&str; 3]| (p(s[1]) - p(s[0])).length() + (p(s[2]) - p(s[1])).length();
    0.5 * (side(l) + side(r))
}

/// World matrix of the parent node of glTF node `node` (identity for a scene root).
fn parent_world(doc: &gltf::Gltf, node: usize) -> glam::DMat4 {
    let parent = |n: usize| {
        doc.nodes()
            .find(|p| p.children().any(|c| c.index() == n))
            .map(|p| p.index())
    };
    let mut m = glam::DMat4::IDENTITY;
    let mut cur = parent(node);
    while let Some(p) = cur {
        let local = doc.nodes().nth(p).expect("node").transform().matrix();
        let local = glam::Mat4::from_cols_array_2d(&local).as_dmat4();
        m = local * m;
        cur = parent(p);
    }
    m
}

fn maps(source: &Skeleton, target: &Skeleton) -> (BoneMap, BoneMap) {
    let p = BoneMap::presets();
    (
        BoneMap::best_for(source, &p).expect("source map"),
        BoneMap::best_for(target, &p).expect("target map"),
    )
}

#[test]
fn bandai_walk_onto_mixamo_bvh_skeleton() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (s_sk, s_m) = bvh(&dir, "bandai_dataset-1_walk_normal_001.bvh");
    let (t_sk, _) = bvh(&dir, "bvhpython_test_freebvh.bvh");
    let (sm, tm) = maps(&s_sk, &t_sk);
    assert_eq!((sm.name.as_str(), tm.name.as_str()), ("bandai", "mixamo"));
    let r = retarget(&s_sk, &s_m, &sm, &t_sk, &tm).expect("retarget");
    assert_eq!(r.bones.len(), 21, "all but upperChest are common");
    let fig = check(&s_sk, &s_m, &t_sk, &r);
    eprintln!(
        "bandai→mixamo: {} bone-frames, chain max {:.4}°, lateral max {:.2}° (axis {:.4}°), root scale {:.4}",
        fig.bones_checked,
        fig.chain_max_deg,
        fig.lateral_max_deg,
        fig.lateral_axis_max_deg,
        r.root_scale
    );
    assert!(fig.chain_max_deg < 0.5, "{}", fig.chain_max_deg);
    assert!(
        fig.lateral_axis_max_deg < 0.5,
        "{}",
        fig.lateral_axis_max_deg
    );
    let want = leg(
        &t_sk,
        "mixamorig:",
        ["LeftUpLeg", "LeftLeg", "LeftFoot"],
        ["RightUpLeg", "RightLeg", "RightFoot"],
    ) / leg(
        &s_sk,
        "",
        ["UpperLeg_L", "LowerLeg_L", "Foot_L"],
        ["UpperLeg_R", "LowerLeg_R", "Foot_R"],
    );
    assert!(
        (r.root_scale / want - 1.0).abs() < 1e-9,
        "{} vs {want}",
        r.root_scale
    );
}

#[test]
fn bandai_walk_onto_soldier_glb() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (s_sk, s_m) = bvh(&dir, "bandai_dataset-1_walk_normal_001.bvh");
    let target = glb(&dir, "gltf/threejs_examples/Soldier.glb");
    assert_eq!(target.skeleton.joints.len(), 49);
    let (sm, tm) = maps(&s_sk, &target.skeleton);
    assert_eq!(tm.name, "mixamo");
    let r = retarget(&s_sk, &s_m, &sm, &target.skeleton, &tm).expect("retarget");
    let fig = check(&s_sk, &s_m, &target.skeleton, &r);
    eprintln!(
        "bandai→Soldier.glb: {} bone-frames, chain max {:.4}°, lateral max {:.2}° (axis {:.4}°), root scale {:.5} (cm→m)",
        fig.bones_checked,
        fig.chain_max_deg,
        fig.lateral_max_deg,
        fig.lateral_axis_max_deg,
        r.root_scale
    );
    assert!(fig.chain_max_deg < 0.5, "{}", fig.chain_max_deg);
    assert!(
        fig.lateral_axis_max_deg < 0.5,
        "{}",
        fig.lateral_axis_max_deg
    );
    // The scale is the leg-length ratio, source cm → target world metres (the Soldier's
    // `Character` node scales the cm rig by 0.00119, so its legs are ~0.1 m long in world space).
    let want = leg(
        &target.skeleton,
        "mixamorig:",
        ["LeftUpLeg", "LeftLeg", "LeftFoot"],
        ["RightUpLeg", "RightLeg", "RightFoot"],
    ) / leg(
        &s_sk,
        "",
        ["UpperLeg_L", "LowerLeg_L", "Foot_L"],
        ["UpperLeg_R", "LowerLeg_R", "Foot_R"],
    );
    assert!(
        (r.root_scale / want - 1.0).abs() < 1e-9,
        "{} vs {want}",
        r.root_scale
    );
    // Local rotations drive the glTF nodes: recomposing them reproduces the BVH result's
    // world directions (node rotations applied to the rest offsets).
    let sk = &target.skeleton;
    let nj = sk.joints.len();
    let gltf_doc = gltf::Gltf::open(dir.join("gltf/threejs_examples/Soldier.glb")).expect("gltf");
    for f in [0, s_m.frame_count() / 2, s_m.frame_count() - 1] {
        let mut w = vec![DQuat::IDENTITY; nj];
        let mut p = vec![DVec3::ZERO; nj];
        for (j, joint) in sk.joints.iter().enumerate() {
            let l = r.local_rotation(f, j);
            match joint.parent {
                Some(pa) => {
                    w[j] = w[pa] * l;
                    p[j] = p[pa] + w[pa] * joint.offset;
                }
                None => {
                    w[j] = l;
                    p[j] = r.root_translations[f];
                }
            }
        }
        let (bsk, bm) = r.to_bvh(sk).expect("bvh");
        let pt = fk::pose(&bsk, bm.frame(f));
        for j in 0..nj {
            assert!(
                (pt[j].translation - p[j]).length() < 1e-4,
                "frame {f} joint {j}"
            );
        }
        // Driving the glTF nodes: the root's node translation/rotation, composed with the
        // (scaled, rotated) `Character` node above it as the file has it, lands the hips where
        // the skeleton-space result says.
        let root = r.root_joint.expect("root joint");
        let node_t = target.node_translation(root, r.root_translations[f]);
        let node_r = target.node_rotation(root, r.local_rotation(f, root));
        let world = parent_world(&gltf_doc, target.nodes[root])
            * glam::DMat4::from_rotation_translation(node_r, node_t);
        let (_, wr, wt) = world.to_scale_rotation_translation();
        assert!((wt - r.root_translations[f]).length() < 1e-6, "frame {f}");
        assert!(
            wr.dot(r.local_rotation(f, root)).abs() > 1.0 - 1e-9,
            "frame {f}"
        );
        // Joints directly below their parent joint take the local rotation unchanged.
        let arm = sk.joint_index("mixamorig:LeftArm").expect("arm");
        let l = r.local_rotation(f, arm);
        assert!(target.node_rotation(arm, l).dot(l).abs() > 1.0 - 1e-12);
    }
    // Written as BVH with the GLB's joint names, and read back.
    let (bsk, bm) = r.to_bvh(sk).expect("bvh");
    let tmp = std::env::temp_dir().join(format!("retarget_soldier_{}.bvh", std::process::id()));
    mocap_formats::bvh::write_path(&bsk, &bm, &tmp).expect("write");
    let back = mocap_formats::bvh::read_path(&tmp).expect("read back");
    let _ = std::fs::remove_file(&tmp);
    let names: Vec<&str> = back
        .skeleton
        .joints
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(names[0], "mixamorig:Hips");
    assert!(names.contains(&"mixamorig:LeftForeArm"));
    assert_eq!(back.motion.frame_count(), s_m.frame_count());
}

#[test]
fn mixamo_bvh_onto_bandai_skeleton() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (s_sk, s_m) = bvh(&dir, "bvhpython_test_freebvh.bvh");
    let (t_sk, _) = bvh(&dir, "bandai_dataset-1_kick_normal_001.bvh");
    let (sm, tm) = maps(&s_sk, &t_sk);
    let r = retarget(&s_sk, &s_m, &sm, &t_sk, &tm).expect("retarget");
    // Bandai's hips carry position channels: root motion goes there, not to joint_Root.
    assert_eq!(r.root_joint, t_sk.joint_index("Hips"));
    let fig = check(&s_sk, &s_m, &t_sk, &r);
    eprintln!(
        "mixamo→bandai: {} bone-frames, chain max {:.4}°, lateral max {:.2}° (axis {:.4}°), root scale {:.4}",
        fig.bones_checked,
        fig.chain_max_deg,
        fig.lateral_max_deg,
        fig.lateral_axis_max_deg,
        r.root_scale
    );
    assert!(fig.chain_max_deg < 0.5, "{}", fig.chain_max_deg);
    assert!(
        fig.lateral_axis_max_deg < 0.5,
        "{}",
        fig.lateral_axis_max_deg
    );
}

/// CMU subject 39 (Acclaim ASF/AMC, rest rotations on every joint, bones with 1–3 DOF). The
/// cgspeed BVH `cmu_cgspeed_131_03.bvh` listed in bvh/PROVENANCE.md is not in the data folder,
/// so the CMU skeleton family is exercised through its ASF form.
fn cmu_asf(dir: &std::path::Path) -> (Skeleton, Motion) {
    let asf_p = dir.join("c3d_plus_skeleton/cmu_subject39_walk/39.asf");
    let amc_p = dir.join("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc");
    assert!(
        asf_p.is_file() && amc_p.is_file(),
        "missing test files under {}",
        dir.display()
    );
    let asf = mocap_formats::asf::read_asf_path(&asf_p).expect("asf");
    let opts = mocap_formats::asf::AmcOptions {
        unit: mocap_data::LengthUnit::Centimetre,
        ..Default::default()
    };
    let m = mocap_formats::asf::read_amc_path_with(&amc_p, &asf, &opts).expect("amc");
    (asf.to_skeleton(mocap_data::LengthUnit::Centimetre), m)
}

#[test]
fn bandai_walk_onto_cmu_asf_skeleton() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (s_sk, s_m) = bvh(&dir, "bandai_dataset-1_walk_normal_001.bvh");
    let (t_sk, _) = cmu_asf(&dir);
    let (sm, tm) = maps(&s_sk, &t_sk);
    assert_eq!(tm.name, "cmu_asf");
    let r = retarget(&s_sk, &s_m, &sm, &t_sk, &tm).expect("retarget");
    assert_eq!(r.bones.len(), 21, "all but upperChest are common");
    // The ASF target has rest rotations and 1-DOF knees: the BVH result bakes them.
    let fig = check(&s_sk, &s_m, &t_sk, &r);
    eprintln!(
        "bandai→CMU ASF: {} bone-frames, chain max {:.4}°, lateral max {:.2}° (axis {:.4}°), root scale {:.4}",
        fig.bones_checked,
        fig.chain_max_deg,
        fig.lateral_max_deg,
        fig.lateral_axis_max_deg,
        r.root_scale
    );
    assert!(fig.chain_max_deg < 0.5, "{}", fig.chain_max_deg);
    assert!(
        fig.lateral_axis_max_deg < 0.5,
        "{}",
        fig.lateral_axis_max_deg
    );
    let want = leg(
        &t_sk,
        "",
        ["lfemur", "ltibia", "lfoot"],
        ["rfemur", "rtibia", "rfoot"],
    ) / leg(
        &s_sk,
        "",
        ["UpperLeg_L", "LowerLeg_L", "Foot_L"],
        ["UpperLeg_R", "LowerLeg_R", "Foot_R"],
    );
    assert!(
        (r.root_scale / want - 1.0).abs() < 1e-9,
        "{} vs {want}",
        r.root_scale
    );
}

#[test]
fn cmu_asf_walk_onto_bandai_skeleton() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (s_sk, s_m) = cmu_asf(&dir);
    let (t_sk, _) = bvh(&dir, "bandai_dataset-2_walk-turn-left_active_001.bvh");
    let (sm, tm) = maps(&s_sk, &t_sk);
    assert_eq!((sm.name.as_str(), tm.name.as_str()), ("cmu_asf", "bandai"));
    let r = retarget(&s_sk, &s_m, &sm, &t_sk, &tm).expect("retarget");
    let fig = check(&s_sk, &s_m, &t_sk, &r);
    eprintln!(
        "CMU ASF→bandai: {} bone-frames, chain max {:.4}°, lateral max {:.2}° (axis {:.4}°), root scale {:.4}",
        fig.bones_checked,
        fig.chain_max_deg,
        fig.lateral_max_deg,
        fig.lateral_axis_max_deg,
        r.root_scale
    );
    assert!(fig.chain_max_deg < 0.5, "{}", fig.chain_max_deg);
    assert!(
        fig.lateral_axis_max_deg < 0.5,
        "{}",
        fig.lateral_axis_max_deg
    );
}

/// `Retargeter::frame` on demand (frames in any order) gives exactly the whole-motion result:
/// every value bit for bit, rotations up to the sign the whole-motion pass keeps continuous, and
/// exactly with that sign once `keep_signs_of` the previous frame is applied.
fn assert_per_frame_is_exact(
    what: &str,
    source: &Skeleton,
    motion: &Motion,
    target: &Skeleton,
) -> usize {
    let (sm, tm) = maps(source, target);
    let full = retarget(source, motion, &sm, target, &tm).expect("retarget");
    let t0 = std::time::Instant::now();
    let r = Retargeter::new(source, &sm, target, &tm).expect("prepare");
    let prep = t0.elapsed();
    assert_eq!(r.bones(), full.bones.as_slice());
    assert_eq!(r.root_joint(), full.root_joint);
    assert_eq!(r.root_scale().to_bits(), full.root_scale.to_bits());
    let nj = target.joints.len();
    let n = motion.frame_count();
    let bits = |q: DQuat| q.to_array().map(f64::to_bits);
    let mut flipped = 0;
    // Scattered order (a permutation of 0..n): no frame depends on another.
    let order: Vec<usize> = (0..n).map(|i| (i * 7_919 + 13) % n).collect();
    let mut seen = vec![false; n];
    let t0 = std::time::Instant::now();
    for &f in &order {
        seen[f] = true;
        let p = r.frame(motion, f).expect("frame");
        assert_eq!(p.local_rotations.len(), nj);
        let want = &full.local_rotations[f * nj..(f + 1) * nj];
        for (j, (q, w)) in p.local_rotations.iter().zip(want).enumerate() {
            if bits(*q) != bits(*w) {
                assert_eq!(
                    bits(-*q),
                    bits(*w),
                    "{what}: frame {f} joint {j}: {q} vs {w}"
                );
                flipped += 1;
            }
        }
        let t = p.root_translation.to_array().map(f64::to_bits);
        assert_eq!(t, full.root_translations[f].to_array().map(f64::to_bits));
        let h = p.hips_world.to_array().map(f64::to_bits);
        assert_eq!(h, full.hips_world[f].to_array().map(f64::to_bits));
        if f > 0 {
            let mut p = p;
            p.keep_signs_of(&full.local_rotations[(f - 1) * nj..f * nj]);
            assert!(
                p.local_rotations
                    .iter()
                    .zip(want)
                    .all(|(q, w)| bits(*q) == bits(*w)),
                "{what}: frame {f} after keep_signs_of"
            );
        }
    }
    let per_frame = t0.elapsed();
    assert!(seen.iter().all(|s| *s), "the order visits every frame");
    assert!(r.frame(motion, n).is_err(), "past the end is an error");
    eprintln!(
        "{what}: {n} frames × {nj} joints per-frame = full retarget ({flipped} rotations differ only in sign); prepare {:.3} ms, {:.1} µs per frame (this build)",
        prep.as_secs_f64() * 1e3,
        per_frame.as_secs_f64() * 1e6 / n as f64
    );
    n
}

#[test]
fn per_frame_retarget_equals_the_whole_motion_exactly() {
    let Some(dir) = mocap_testkit::data_dir() else {
        return;
    };
    let (walk_sk, walk) = bvh(&dir, "bandai_dataset-1_walk_normal_001.bvh");
    let soldier = glb(&dir, "gltf/threejs_examples/Soldier.glb");
    let (mixamo_sk, mixamo) = bvh(&dir, "bvhpython_test_freebvh.bvh");
    let (cmu_sk, cmu) = cmu_asf(&dir);
    let mut frames = 0;
    frames += assert_per_frame_is_exact("bandai→Soldier.glb", &walk_sk, &walk, &soldier.skeleton);
    frames += assert_per_frame_is_exact("bandai→mixamo BVH", &walk_sk, &walk, &mixamo_sk);
    frames += assert_per_frame_is_exact("mixamo BVH→bandai", &mixamo_sk, &mixamo, &walk_sk);
    frames += assert_per_frame_is_exact("bandai→CMU ASF", &walk_sk, &walk, &cmu_sk);
    frames += assert_per_frame_is_exact("CMU ASF→bandai", &cmu_sk, &cmu, &walk_sk);
    assert!(frames > 500, "{frames}");
}
