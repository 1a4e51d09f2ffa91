//! Subject calibration on synthetic trials: offsets and scale are recovered, subject files round
//! trip, degenerate trials are refused.

mod solve_common;

use mocap_data::DVec3;
use mocap_solver::SolverError;
use mocap_solver::calibrate::{
    CalibrationOptions, SegmentScale, SubjectCalibration, calibrate, scale_segments, scale_skeleton,
};
use mocap_solver::markerset::MarkerSet;
use mocap_solver::model::{ModelOptions, SolverModel};
use mocap_solver::synth::{self, SynthRng};
use solve_common::{humanoid, walk_motion};

/// The automatic set with every offset pushed by a deterministic ±15 mm per axis.
fn perturbed(set: &MarkerSet) -> MarkerSet {
    let mut out = set.clone();
    let mut rng = SynthRng::new(11);
    for m in &mut out.markers {
        for v in &mut m.offset_mm {
            *v += 30.0 * rng.uniform() - 15.0;
        }
    }
    out
}

#[test]
fn calibration_recovers_marker_offsets() {
    let sk = humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let truth_set = MarkerSet::automatic(&model);
    let truth = truth_set.place(&model).0;
    let motion = walk_motion(&sk, 240);
    let mut take = synth::markers_from_motion(&model, &truth, &motion).expect("synth");
    synth::add_noise(&mut take, 0.5, &mut SynthRng::new(5));
    let guess = perturbed(&truth_set);
    let before: f64 = guess
        .place(&model)
        .0
        .iter()
        .zip(&truth)
        .map(|(g, t)| (DVec3::from_array(g.offset_mm) - DVec3::from_array(t.offset_mm)).length())
        .fold(0.0, f64::max);
    assert!(before > 10.0);
    let cal = calibrate(
        &sk,
        &ModelOptions::default(),
        &guess,
        &take,
        "",
        &CalibrationOptions {
            iterations: 30,
            ..CalibrationOptions::default()
        },
    )
    .expect("calibrate");
    // Offsets are recovered on segments with children; on leaf segments (head, hands, feet)
    // a rotation of the whole marker cloud about the joint is absorbed by the joint angles (a
    // true null space), so there only the fit and the joint positions are checked.
    let mut worst = 0.0f64;
    let (mut sum, mut sum0) = (0.0, 0.0);
    let mut n = 0usize;
    let guessed = guess.place(&model).0;
    for (t, g) in truth.iter().zip(&guessed) {
        let j = sk.joint_index(&t.segment).expect("segment");
        if sk.children(j).next().is_none() {
            continue;
        }
        let c = cal
            .markers
            .iter()
            .find(|c| c.name == t.name)
            .expect("marker");
        let e = (DVec3::from_array(c.offset_mm) - DVec3::from_array(t.offset_mm)).length();
        worst = worst.max(e);
        sum += e;
        sum0 += (DVec3::from_array(g.offset_mm) - DVec3::from_array(t.offset_mm)).length();
        n += 1;
    }
    let (mean, mean0) = (sum / n as f64, sum0 / n as f64);
    // Twist of a segment about its bone is only weakly seen in a short walk: a few mm remain.
    assert!(
        mean < 4.0 && mean < mean0 / 3.0,
        "mean offset error {mean} mm from {mean0} mm (worst {worst}, initial worst {before})"
    );
    assert!(
        cal.marker_rms_mm < 1.5,
        "calibration residual {}",
        cal.marker_rms_mm
    );
    // Solving with the calibrated markers puts the joints within a few mm of where they were
    // (the initial guesses were off by up to 23 mm).
    let b = mocap_solver::calibrate::bind_subject(&model, &cal, &take, "").expect("bind");
    let solver =
        mocap_solver::ik::IkSolver::new(model.clone(), b.markers, Default::default()).expect("s");
    let res = solver.solve_take(&take, None).expect("solve");
    let err = synth::compare_motions(&model, &motion, &res.motion, &[], None);
    assert!(err.mpjpe_mm < 5.0, "{err:?}");
    // Round trip through JSON (decimal text: equal to well below a micrometre).
    let back = SubjectCalibration::from_json(&cal.to_json()).expect("parse");
    assert_eq!(back.markers.len(), cal.markers.len());
    assert_eq!(back.markerset, cal.markerset);
    for (a, b) in back.markers.iter().zip(&cal.markers) {
        assert_eq!((&a.name, &a.segment), (&b.name, &b.segment));
        for k in 0..3 {
            assert!((a.offset_mm[k] - b.offset_mm[k]).abs() < 1e-9);
        }
    }
}

#[test]
fn calibration_fits_a_uniform_scale() {
    let sk = humanoid();
    let big = scale_skeleton(&sk, 1.12);
    let big_model = SolverModel::new(&big, &ModelOptions::default()).expect("model");
    let set = MarkerSet::automatic(&SolverModel::new(&sk, &ModelOptions::default()).expect("m"));
    // Markers of the automatic set scale with the skeleton when placed on the big one.
    let scaled_set = {
        let mut s = set.clone();
        for m in &mut s.markers {
            for v in &mut m.offset_mm {
                *v *= 1.12;
            }
        }
        s
    };
    let placed = scaled_set.place(&big_model).0;
    let take =
        synth::markers_from_motion(&big_model, &placed, &walk_motion(&big, 120)).expect("synth");
    let cal = calibrate(
        &sk,
        &ModelOptions::default(),
        &set,
        &take,
        "",
        &CalibrationOptions {
            fit_scale: true,
            ..CalibrationOptions::default()
        },
    )
    .expect("calibrate");
    assert!(
        (cal.skeleton_scale - 1.12).abs() < 0.02,
        "scale {}",
        cal.skeleton_scale
    );
    assert!(cal.marker_rms_mm < 5.0, "residual {}", cal.marker_rms_mm);
}

#[test]
fn calibration_fits_limb_lengths_of_a_template() {
    // Truth: the template with legs 10 % longer and arms 8 % shorter (thigh and shin, upper arm
    // and forearm); the markers sit at the same places on each segment as on the template.
    let sk = humanoid();
    let truth_factor = |name: &str| match name {
        "lfemur" | "ltibia" | "rfemur" | "rtibia" => 1.10,
        "lhumerus" | "lradius" | "rhumerus" | "rradius" => 0.92,
        _ => 1.0,
    };
    let truth_scales: Vec<SegmentScale> = sk
        .joints
        .iter()
        .filter(|j| truth_factor(&j.name) != 1.0)
        .map(|j| SegmentScale {
            segment: j.name.clone(),
            scale: truth_factor(&j.name),
        })
        .collect();
    let truth = scale_segments(&sk, &truth_scales);
    let truth_model = SolverModel::new(&truth, &ModelOptions::default()).expect("model");
    let set = MarkerSet::automatic(&SolverModel::new(&sk, &ModelOptions::default()).expect("m"));
    let placed = set.place(&truth_model).0;
    let take = synth::markers_from_motion(&truth_model, &placed, &walk_motion(&truth, 120))
        .expect("synth");
    let cal = calibrate(
        &sk,
        &ModelOptions::default(),
        &set,
        &take,
        "",
        &CalibrationOptions {
            fit_scale: true,
            ..CalibrationOptions::default()
        },
    )
    .expect("calibrate");
    // Effective length factor of every segment: uniform scale × its chain factor.
    for j in &sk.joints {
        let chain = cal
            .segment_scales
            .iter()
            .find(|s| s.segment == j.name)
            .map(|s| s.scale)
            .unwrap_or(1.0);
        let got = cal.skeleton_scale * chain;
        let want = truth_factor(&j.name);
        if want != 1.0 {
            assert!(
                (got - want).abs() < 0.025,
                "{}: length factor {got:.3}, truth {want}",
                j.name
            );
        }
    }
    // The calibrated skeleton's limb bones match the truth's (the other offsets, e.g. the hip
    // width, carry the uniform scale only).
    let fitted = cal.scaled_skeleton(&sk);
    for (a, b) in fitted.joints.iter().zip(&truth.joints) {
        let Some(p) = b.parent else { continue };
        if truth_factor(&truth.joints[p].name) == 1.0 {
            continue;
        }
        let (la, lb) = (a.offset.length(), b.offset.length());
        assert!(
            (la - lb).abs() <= 0.025 * lb + 1e-9,
            "{}: offset {la:.1} vs truth {lb:.1}",
            a.name
        );
    }
    assert!(cal.marker_rms_mm < 3.0, "residual {}", cal.marker_rms_mm);
    // Saved and loaded, the subject keeps its segment scales.
    let back = SubjectCalibration::from_json(&cal.to_json()).expect("parse");
    assert_eq!(back.segment_scales.len(), cal.segment_scales.len());
    for (a, b) in back.segment_scales.iter().zip(&cal.segment_scales) {
        assert_eq!(a.segment, b.segment);
        assert!((a.scale - b.scale).abs() < 1e-12);
    }
}

#[test]
fn degenerate_trials_are_refused() {
    let sk = humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let set = MarkerSet::automatic(&model);
    let placed = set.place(&model).0;
    let mut take =
        synth::markers_from_motion(&model, &placed, &walk_motion(&sk, 20)).expect("synth");
    // Every marker at one point.
    take.positions_mut()
        .iter_mut()
        .for_each(|p| *p = [1.0, 2.0, 3.0]);
    let e = calibrate(
        &sk,
        &ModelOptions::default(),
        &set,
        &take,
        "",
        &CalibrationOptions::default(),
    );
    assert!(
        matches!(e, Err(SolverError::DegenerateCalibration(_))),
        "{e:?}"
    );
    // No frame with enough markers.
    take.valid_mut().iter_mut().for_each(|v| *v = false);
    let e = calibrate(
        &sk,
        &ModelOptions::default(),
        &set,
        &take,
        "",
        &CalibrationOptions::default(),
    );
    assert!(
        matches!(e, Err(SolverError::DegenerateCalibration(_))),
        "{e:?}"
    );
    // A subject file of another format is refused with a clear error.
    assert!(matches!(
        SubjectCalibration::from_json(
            r#"{"format":"x","markerset":"a","actor":"","skeleton_scale":1,"markers":[],"frames_used":0,"marker_rms_mm":0}"#
        ),
        Err(SolverError::BadSubject(_))
    ));
}

#[test]
fn calibration_stops_when_cancelled() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let sk = humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let set = MarkerSet::automatic(&model);
    let take = synth::markers_from_motion(&model, &set.place(&model).0, &walk_motion(&sk, 240))
        .expect("synth");
    let opts = CalibrationOptions {
        fit_scale: true,
        ..CalibrationOptions::default()
    };
    let run = |cancel: Option<&AtomicBool>| {
        mocap_solver::calibrate::calibrate_cancellable(
            &sk,
            &ModelOptions::default(),
            &set,
            &take,
            "",
            &opts,
            cancel,
        )
    };
    // Already cancelled: nothing is done.
    let flag = AtomicBool::new(true);
    assert!(matches!(run(Some(&flag)), Err(SolverError::Cancelled)));
    // Cancelled while the scale searches run: it stops well before the whole calibration.
    let t0 = Instant::now();
    run(None).expect("uncancelled calibration");
    let whole = t0.elapsed();
    let flag = AtomicBool::new(false);
    let t0 = Instant::now();
    let r = std::thread::scope(|s| {
        let h = s.spawn(|| run(Some(&flag)));
        std::thread::sleep(whole / 10);
        flag.store(true, Ordering::Relaxed);
        h.join().expect("join")
    });
    let cancelled = t0.elapsed();
    assert!(matches!(r, Err(SolverError::Cancelled)), "{r:?}");
    assert!(
        cancelled < whole / 2 + Duration::from_millis(50),
        "cancelled after {cancelled:?}, the whole calibration takes {whole:?}"
    );
}
