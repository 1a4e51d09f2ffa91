//! Real data: CMU subject 39, take 39_01 (Vicon MX, 120 Hz, 41 markers) with the subject's ASF.
//! Our solve of the raw markers must fit them (marker RMS ≤ 10 mm, the target) and put the
//! joints close to Vicon's own solve of the same take (FK of `39_01.amc` on `39.asf`).
//!
//! The target for the joints is 15 mm RMS; we measure 22.2 mm (marker RMS 5.16 mm).
//! Vicon's solve is not a rigid fit of these markers, which bounds how close any marker-fitting
//! solve can come to it: with each marker's best fixed offset on its segment, Vicon's poses
//! leave 22.4 mm RMS (ours 5.1 mm). Its head and pelvis joints move ~10 mm RMS against their own
//! rigid four-marker clusters, and the right elbow marker moves 33 mm in Vicon's humerus frame.
//! The largest joint differences left are down the right arm (rradius 44 mm).
//!
//! Of the 22.2 mm, 16.7 mm is constant over the take (where each solve puts the joints
//! relative to the markers) and 14.6 mm varies. Solving again with every marker at the offset
//! Vicon's own poses imply (as if calibrated Vicon's way) still leaves 17.7 mm: a solve that
//! fits these markers does not reach 15 mm even with Vicon's calibration.
//!
//! The cmu41 set's joint stiffness (spine, neck, clavicles) gives the smallest rotations where
//! one marker (T10) cannot split the back's bend between three joints. Without it the spine
//! zig-zagged (±15–30° of alternating side bend) and `upperback` was 31.6 mm off; now 13.3 mm.
//! This test guards those levels (joints ≤ 22.8 mm, `upperback` ≤ 16 mm, markers ≤ 5.5 mm) and
//! the rigid-fit finding.
//! Run with `MOCAP_TEST_DATA=/work/shared/data cargo test -p mocap-solver --test solve_cmu_real`.

use mocap_data::LengthUnit;
use mocap_formats::asf::{self, AmcOptions};
use mocap_solver::markerset::MarkerSet;
use mocap_solver::model::SolverModel;
use mocap_solver::pipeline::{self, Calibration, PipelineOptions};
use std::path::PathBuf;

fn dir() -> Option<PathBuf> {
    mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk")
}

#[test]
fn cmu_39_01_matches_vicon_solve() {
    let Some(d) = dir() else { return };
    for f in ["39.asf", "39_01.amc", "39_01.c3d"] {
        assert!(
            d.join(f).exists(),
            "missing test file {}",
            d.join(f).display()
        );
    }
    let asf = asf::read_asf_path(&d.join("39.asf")).expect("asf");
    let skeleton = asf.to_skeleton(LengthUnit::Millimetre);
    let take = mocap_formats::c3d::read_path(&d.join("39_01.c3d"))
        .expect("c3d")
        .points;
    let set = MarkerSet::preset("cmu41").expect("preset");
    let solves = pipeline::solve_take(
        &skeleton,
        &set,
        &take,
        Calibration::FromTake,
        &PipelineOptions::default(),
        None,
    )
    .expect("solve");
    assert_eq!(solves.len(), 1);
    let s = &solves[0];
    assert_eq!(s.actor, "SteveWalk");
    assert!(s.missing.is_empty(), "missing {:?}", s.missing);
    let failed = s.result.frame_ok.iter().filter(|ok| !**ok).count();
    assert_eq!(failed, 0);
    let (rms, max) = s.result.marker_rms_max_mm();
    eprintln!("marker RMS {rms:.2} mm, max {max:.2} mm");
    let reference = asf::read_amc_path_with(
        &d.join("39_01.amc"),
        &asf,
        &AmcOptions {
            unit: LengthUnit::Millimetre,
            ..AmcOptions::default()
        },
    )
    .expect("amc");
    let ref_model = SolverModel::new(&skeleton, &Default::default()).expect("model");
    let ours = s.solver.model().joint_positions(&s.result.motion);
    let theirs = ref_model.joint_positions(&reference);
    let names: Vec<String> = skeleton.joints.iter().map(|j| j.name.clone()).collect();
    let (turns, cmp) = pipeline::compare_joint_positions_any_heading(
        &names,
        &ours,
        &names,
        &theirs,
        mocap_data::UpAxis::Y,
        None,
    )
    .expect("cmp");
    // CMU's AMC world is the C3D lab turned a quarter about the vertical.
    assert_eq!(turns, 3, "heading between lab and AMC world");
    for (n, e) in &cmp.per_joint_rms_mm {
        eprintln!("  {n:12} {e:7.2} mm");
    }
    eprintln!(
        "joint RMS {:.2} mm, max {:.2} mm over {} frames",
        cmp.rms_mm, cmp.max_mm, cmp.frames
    );
    assert_eq!(cmp.frames, 378);
    assert!(rms <= 10.0, "marker RMS {rms} mm");
    assert!(rms <= 5.5, "marker RMS {rms} mm (was 5.16 mm)");
    assert!(
        cmp.rms_mm <= 22.8,
        "joint RMS vs Vicon {} mm (was 22.2 mm)",
        cmp.rms_mm
    );
    let joint = |j: &str| {
        cmp.per_joint_rms_mm
            .iter()
            .find(|(n, _)| n == j)
            .map(|(_, e)| *e)
    };
    assert!(
        joint("upperback").is_some_and(|e| e <= 16.0),
        "upperback {:?} mm: the spine's bend is no longer split evenly",
        joint("upperback")
    );
    // The same rigid-marker measure for both solves: ours follows the markers, Vicon's does not.
    let markers = s.marker_segments();
    let mine =
        pipeline::rigid_marker_fit(s.solver.model(), &s.result.motion, &take, &markers, 0, None)
            .expect("our fit");
    let vicon = pipeline::rigid_marker_fit(&ref_model, &reference, &take, &markers, turns, None)
        .expect("Vicon's fit");
    eprintln!(
        "markers as rigid points: ours {:.2} mm, Vicon's {:.2} mm",
        mine.rms_mm, vicon.rms_mm
    );
    assert!(mine.rms_mm <= 6.0, "ours {}", mine.rms_mm);
    // Most of the difference is constant over the take: where each solve puts the joints
    // relative to the markers (16.7 mm of the 22.2 mm).
    eprintln!(
        "joint difference: constant {:.2} mm, varying {:.2} mm",
        cmp.constant_rms_mm, cmp.varying_rms_mm
    );
    // (Upper bounds only: getting closer to Vicon's joints must never fail a test.)
    // Our solve again with every marker where Vicon's poses put it on average (the calibration
    // Vicon's solve implies): closer (measured 17.7 mm).
    assert!(pipeline::same_segment_frames(&s.solver, &ref_model));
    let again = pipeline::resolve_with_offsets(s, &take, &vicon.offsets_mm).expect("again");
    let with_vicon_offsets = pipeline::compare_joint_positions_turned(
        &names,
        &s.solver.model().joint_positions(&again.motion),
        turns,
        mocap_data::UpAxis::Y,
        &names,
        &theirs,
        None,
    )
    .expect("cmp");
    eprintln!(
        "with Vicon's marker offsets: joint RMS {:.2} mm, marker RMS {:.2} mm",
        with_vicon_offsets.rms_mm,
        again.marker_rms_max_mm().0
    );
    assert!(with_vicon_offsets.rms_mm < cmp.rms_mm);
    assert!(vicon.rms_mm >= 15.0, "Vicon's {}", vicon.rms_mm);
    let head: Vec<f64> = vicon
        .per_marker_rms_mm
        .iter()
        .filter(|(n, _)| n.ends_with("HD"))
        .map(|(_, e)| *e)
        .collect();
    assert_eq!(head.len(), 4);
    assert!(
        head.iter().all(|e| *e > 8.0),
        "Vicon's head markers {head:?}"
    );
    // The legs, driven by well-placed markers, agree better.
    for j in ["root", "lfemur", "rfemur", "lfoot", "rfoot"] {
        let e = cmp
            .per_joint_rms_mm
            .iter()
            .find(|(n, _)| n == j)
            .map(|(_, e)| *e);
        assert!(e.is_some_and(|e| e <= 21.0), "{j}: {e:?}");
    }
}
