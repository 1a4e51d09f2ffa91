//! Foot contacts and foot lock on real solved motion (Bandai Namco walk, BVH).
//! Needs `MOCAP_TEST_DATA` (skips with a notice when unset; fails when the file is missing).

use mocap_data::fk;
use mocap_solver::foot::{ContactParams, FootLockParams, detect_contacts, foot_lock};

fn walk() -> Option<mocap_formats::bvh::BvhFile> {
    let p = mocap_testkit::data("bvh/bandai_dataset-1_walk_normal_001.bvh")?;
    Some(mocap_formats::bvh::read_path(&p).expect("read bvh"))
}

#[test]
fn walk_contacts_and_foot_lock() {
    let Some(file) = walk() else { return };
    let sk = &file.skeleton;
    let contacts =
        detect_contacts(&ContactParams::default(), sk, &file.motion, None).expect("contacts");
    for c in &contacts {
        eprintln!("{:>8} {:>4}..{:<4}", c.name, c.start, c.end);
    }
    let foot_l = sk.joint_index("Foot_L").expect("Foot_L");
    let foot_r = sk.joint_index("Foot_R").expect("Foot_R");
    let n_l = contacts.iter().filter(|c| c.joint == foot_l).count();
    let n_r = contacts.iter().filter(|c| c.joint == foot_r).count();
    // A 6.5 s walk: several steps per foot, and the stance phases of the two feet alternate
    // (no frame where both ankles are in the air for long is required, but each foot lifts).
    assert!(n_l >= 2 && n_r >= 2, "left {n_l}, right {n_r}");
    let frames = file.motion.frame_count();
    for c in &contacts {
        assert!(c.start < c.end && c.end <= frames);
        assert!(c.end - c.start < frames, "a foot never lifts: {c:?}");
    }

    let mut m = file.motion.clone();
    let params = FootLockParams::default();
    let r = foot_lock(&params, sk, &mut m, None).expect("foot lock");
    eprintln!(
        "foot lock: {} contacts, {} frames adjusted, max residual {:.4} mm; {} frames out of reach (max {:.1} mm)",
        r.contacts.len(),
        r.frames_adjusted,
        r.max_residual_mm,
        r.unreachable_frames,
        r.max_unreachable_mm
    );
    assert!(r.frames_adjusted > 0);
    assert!(r.max_residual_mm < 0.5, "{}", r.max_residual_mm);
    // Pins out of the leg's reach happen in a walk (the ankle rolls forward during stance);
    // there the leg is straightened towards the pin, checked below.
    assert!(r.unreachable_frames < r.frames_adjusted);
    assert!(m.values.iter().all(|v| v.is_finite()));
    // Pinned: during every ankle contact the ankle stays where the contact started, wherever
    // the hip is close enough for the leg to reach the pin.
    let mm = sk.unit.to_mm();
    let mut worst: f64 = 0.0;
    let mut pinned = 0;
    for c in r
        .contacts
        .iter()
        .filter(|c| c.joint == foot_l || c.joint == foot_r)
    {
        let pin = fk::pose(sk, file.motion.frame(c.start))[c.joint].translation;
        let knee = sk.joints[c.joint].parent.expect("knee");
        let hip = sk.joints[knee].parent.expect("hip");
        let rest = mocap_solver::retarget::rest_pose(sk);
        let len = (rest[knee].translation - rest[hip].translation).length()
            + (rest[c.joint].translation - rest[knee].translation).length();
        for f in c.start..c.end {
            let pose = fk::pose(sk, m.frame(f));
            let drift = (pose[c.joint].translation - pin).length() * mm;
            if (pose[hip].translation - pin).length() < len * (1.0 - 1e-4) {
                worst = worst.max(drift);
                pinned += 1;
            } else {
                let orig = fk::pose(sk, file.motion.frame(f))[c.joint].translation;
                assert!(
                    drift <= (orig - pin).length() * mm + 1e-3,
                    "frame {f}: lock moved the foot away"
                );
            }
        }
    }
    eprintln!("worst pin drift {worst:.4} mm over {pinned} reachable contact frames");
    assert!(pinned > 100);
    assert!(worst < 0.5, "{worst} mm");
    // Only leg rotation channels changed.
    let offsets = sk.channel_offsets();
    let mut allowed = vec![false; m.channels_per_frame];
    for name in [
        "UpperLeg_L",
        "LowerLeg_L",
        "Foot_L",
        "UpperLeg_R",
        "LowerLeg_R",
        "Foot_R",
    ] {
        let j = sk.joint_index(name).expect("leg joint");
        for (c, ch) in sk.joints[j].channels.iter().enumerate() {
            allowed[offsets[j] + c] = ch.is_rotation();
        }
    }
    for f in 0..frames {
        for (c, ok) in allowed.iter().enumerate() {
            if !ok {
                assert_eq!(
                    m.frame(f)[c],
                    file.motion.frame(f)[c],
                    "frame {f} channel {c}"
                );
            }
        }
    }
}
