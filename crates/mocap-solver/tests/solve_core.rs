//! Solver core tests on a synthetic humanoid: analytic Jacobian, exact recovery, robustness,
//! limits, determinism of the parallel batch, several actors, bad input.

mod solve_common;

use mocap_data::{DVec3, MarkerSample, MarkerTrajectories};
use mocap_solver::SolverError;
use mocap_solver::ik::{IkSolver, RobustLoss, SolveOptions};
use mocap_solver::markerset::{self, MarkerSet, PlacedMarker};
use mocap_solver::model::{ModelOptions, SolverModel};
use mocap_solver::synth::{self, compare_motions};
use solve_common::{humanoid, walk_motion};

fn setup(
    frames: usize,
) -> (
    SolverModel,
    Vec<PlacedMarker>,
    mocap_data::Motion,
    MarkerTrajectories,
) {
    let sk = humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let placed = MarkerSet::automatic(&model).place(&model).0;
    let motion = walk_motion(&sk, frames);
    let take = synth::markers_from_motion(&model, &placed, &motion).expect("synth");
    (model, placed, motion, take)
}

fn solver(
    model: &SolverModel,
    placed: &[PlacedMarker],
    take: &MarkerTrajectories,
    opts: SolveOptions,
) -> IkSolver {
    let b = markerset::bind(model, placed, &take.labels, "");
    assert!(b.missing.is_empty());
    IkSolver::new(model.clone(), b.markers, opts).expect("solver")
}

#[test]
fn analytic_jacobian_matches_finite_differences() {
    let (model, placed, motion, take) = setup(40);
    let s = solver(&model, &placed, &take, SolveOptions::default());
    let mut ws = s.workspace();
    let pose = model.pose_from_channels(motion.frame(33));
    let jac = s.jacobian(&pose, &mut ws);
    let n = s.active_dof_count();
    assert_eq!(
        n, model.dof_count,
        "every DOF moves a marker with the automatic set"
    );
    let m = s.markers().len();
    let h = 1e-6;
    let mut worst = 0.0f64;
    for k in 0..n {
        let mut step = vec![0.0; n];
        step[k] = h;
        let mut plus = pose.clone();
        s.apply_active_step(&mut plus, &step, &mut ws);
        step[k] = -h;
        let mut minus = pose.clone();
        s.apply_active_step(&mut minus, &step, &mut ws);
        let pp = s.marker_positions(&plus, &mut ws);
        let pm = s.marker_positions(&minus, &mut ws);
        for i in 0..m {
            let fd = (pp[i] - pm[i]) / (2.0 * h);
            for r in 0..3 {
                let a = jac[(3 * i + r) * n + k];
                let e = (a - fd[r]).abs() / (1.0 + fd[r].abs());
                worst = worst.max(e);
            }
        }
    }
    assert!(
        worst < 1e-5,
        "analytic vs finite-difference Jacobian: worst rel. error {worst}"
    );
}

#[test]
fn exact_markers_recover_the_pose() {
    let (model, placed, motion, take) = setup(120);
    let s = solver(&model, &placed, &take, SolveOptions::default());
    let res = s.solve_take(&take, None).expect("solve");
    assert!(res.frame_ok.iter().all(|ok| *ok));
    let err = compare_motions(&model, &motion, &res.motion, &[], None);
    assert!(err.max_mm <= 0.1, "joint error {err:?}");
    assert!(err.rotation_err_deg < 0.05, "{err:?}");
    let (rms, max) = res.marker_rms_max_mm();
    assert!(rms < 0.05 && max < 0.1, "marker residuals {rms} {max}");
    // Warm start: most frames converge in very few iterations.
    let mut it = res.iterations.clone();
    it.sort();
    assert!(
        it[it.len() / 2] <= 4,
        "median iterations {}",
        it[it.len() / 2]
    );
}

fn swap_run(take: &mut MarkerTrajectories, a: usize, b: usize, frames: std::ops::Range<usize>) {
    for f in frames {
        let sa = take.sample(f, a);
        let sb = take.sample(f, b);
        take.set_sample(f, a, sb);
        take.set_sample(f, b, sa);
    }
}

#[test]
fn robust_loss_resists_a_swapped_marker() {
    let (model, placed, motion, mut take) = setup(60);
    // Swap a hand marker with a head marker for 30 frames: a gross labelling error.
    let a = take.marker_index("lhand_m1").expect("marker");
    let b = take.marker_index("head_m2").expect("marker");
    swap_run(&mut take, a, b, 20..50);
    let robust = solver(&model, &placed, &take, SolveOptions::default())
        .solve_take(&take, None)
        .expect("solve");
    let plain = solver(
        &model,
        &placed,
        &take,
        SolveOptions {
            loss: RobustLoss::None,
            ..SolveOptions::default()
        },
    )
    .solve_take(&take, None)
    .expect("solve");
    let er = compare_motions(&model, &motion, &robust.motion, &[], None);
    let ep = compare_motions(&model, &motion, &plain.motion, &[], None);
    assert!(
        er.mpjpe_mm < 1.0,
        "robust solve with a swapped pair: {er:?}"
    );
    assert!(
        ep.mpjpe_mm > 3.0 * er.mpjpe_mm,
        "plain LS should suffer: {ep:?} vs {er:?}"
    );
    // The swapped markers show up in the per-marker residuals.
    let m = robust.marker_names.len();
    let ia = robust
        .marker_names
        .iter()
        .position(|n| n == "lhand_m1")
        .expect("name");
    assert!(robust.residual_mm[30 * m + ia] > 100.0);
}

#[test]
fn joint_limits_are_respected() {
    let sk = humanoid();
    // Truth from an unlimited copy, with the knees hyperextended to -25°.
    let mut free = sk.clone();
    for j in &mut free.joints {
        j.limits.clear();
    }
    let free_model = SolverModel::new(&free, &ModelOptions::default()).expect("model");
    let mut motion = walk_motion(&free, 30);
    let knee = free.joint_index("ltibia").expect("knee");
    let col = free.channel_offsets()[knee];
    for f in 0..30 {
        motion.frame_mut(f)[col] = -25.0;
    }
    let placed = MarkerSet::automatic(&free_model).place(&free_model).0;
    let take = synth::markers_from_motion(&free_model, &placed, &motion).expect("synth");
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let s = solver(&model, &placed, &take, SolveOptions::default());
    let res = s.solve_take(&take, None).expect("solve");
    for f in 0..30 {
        let v = res.motion.frame(f)[col];
        assert!(
            v >= -5.0 - 1e-3,
            "frame {f}: knee {v}° beyond the -5° limit"
        );
        assert!(v < -4.0, "frame {f}: knee should sit on the limit, got {v}");
    }
}

#[test]
fn parallel_batch_is_identical_to_serial() {
    let (model, placed, _motion, mut take) = setup(150);
    let mut rng = synth::SynthRng::new(3);
    synth::add_noise(&mut take, 2.0, &mut rng);
    synth::occlude(&mut take, 0.05, 1, 20, &mut rng);
    let opts = SolveOptions {
        chunk_frames: 32,
        temporal_weight: 0.05,
        ..SolveOptions::default()
    };
    let serial = solver(
        &model,
        &placed,
        &take,
        SolveOptions {
            parallel: false,
            ..opts.clone()
        },
    )
    .solve_take(&take, None)
    .expect("serial");
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let par = pool.install(|| {
            solver(
                &model,
                &placed,
                &take,
                SolveOptions {
                    parallel: true,
                    ..opts.clone()
                },
            )
            .solve_take(&take, None)
            .expect("parallel")
        });
        assert_eq!(par.motion.values.len(), serial.motion.values.len());
        let same = par
            .motion
            .values
            .iter()
            .zip(&serial.motion.values)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "parallel ({threads} threads) differs from serial");
        assert_eq!(par.frame_ok, serial.frame_ok);
        assert_eq!(par.iterations, serial.iterations);
    }
}

#[test]
fn two_actors_in_one_take_are_solved_independently() {
    let (model, placed, motion, one) = setup(60);
    // Second actor: same skeleton, motion shifted by 2 m along X and 25 frames in phase.
    let sk = humanoid();
    let mut motion2 = walk_motion(&sk, 85);
    motion2.values.drain(..25 * motion2.channels_per_frame);
    for f in 0..60 {
        motion2.frame_mut(f)[0] += 2000.0;
    }
    let two = synth::markers_from_motion(&model, &placed, &motion2).expect("synth");
    let m = one.marker_count();
    let mut labels = Vec::new();
    for l in &one.labels {
        labels.push(format!("Actor1:{l}"));
    }
    for l in &two.labels {
        labels.push(format!("Actor2:{l}"));
    }
    let mut take =
        MarkerTrajectories::new(labels, 60, one.rate, one.unit, one.up_axis).expect("take");
    for f in 0..60 {
        for k in 0..m {
            take.set_sample(f, k, one.sample(f, k));
            take.set_sample(f, m + k, two.sample(f, k));
        }
    }
    let names: Vec<&str> = placed.iter().map(|p| p.name.as_str()).collect();
    let actors = markerset::actors_in_take(&take.labels, names.iter().copied(), 4);
    assert_eq!(actors, vec!["Actor1".to_string(), "Actor2".to_string()]);
    for (actor, truth) in actors.iter().zip([&motion, &motion2]) {
        let b = markerset::bind(&model, &placed, &take.labels, actor);
        assert_eq!(b.markers.len(), m);
        let s = IkSolver::new(model.clone(), b.markers, SolveOptions::default()).expect("solver");
        let res = s.solve_take(&take, None).expect("solve");
        let e = compare_motions(&model, truth, &res.motion, &[], None);
        assert!(e.max_mm < 0.1, "{actor}: {e:?}");
    }
}

#[test]
fn missing_markers_warn_or_fail_clearly() {
    let (model, placed, _motion, take) = setup(10);
    // Drop 5 columns: still solvable, the binding lists them.
    let keep: Vec<String> = take.labels.iter().skip(5).cloned().collect();
    let b = markerset::bind(&model, &placed, &keep, "");
    assert_eq!(b.missing.len(), 5);
    markerset::check_binding(&b, placed.len()).expect("enough markers remain");
    // Keep only 6 of 48: a clear error naming what is missing.
    let few: Vec<String> = take.labels.iter().take(6).cloned().collect();
    let b = markerset::bind(&model, &placed, &few, "");
    match markerset::check_binding(&b, placed.len()) {
        Err(SolverError::TooFewMarkers {
            found,
            needed,
            missing,
            ..
        }) => {
            assert_eq!(found, 6);
            assert!(needed > 6);
            assert!(!missing.is_empty());
        }
        other => panic!("expected TooFewMarkers, got {other:?}"),
    }
}

#[test]
fn nan_samples_gaps_and_a_vanishing_actor_never_panic() {
    let (model, placed, motion, mut take) = setup(90);
    let m = take.marker_count();
    // NaN / inf samples flagged valid (a corrupt file), and frames 30..45 with no markers.
    for f in 0..90 {
        let p = take.sample(f, f % m);
        take.set_sample(
            f,
            f % m,
            MarkerSample {
                position: [f32::NAN, f32::INFINITY, 0.0],
                ..p
            },
        );
    }
    for f in 30..45 {
        for k in 0..m {
            take.set_sample(f, k, MarkerSample::GAP);
        }
    }
    let s = solver(&model, &placed, &take, SolveOptions::default());
    let res = s.solve_take(&take, None).expect("solve");
    for f in 0..90 {
        assert_eq!(res.frame_ok[f], !(30..45).contains(&f), "frame {f}");
    }
    assert!(res.motion.values.iter().all(|v| v.is_finite()));
    let e = compare_motions(&model, &motion, &res.motion, &[], Some(&res.frame_ok));
    assert!(e.max_mm < 0.1, "{e:?}");
    assert_eq!(e.frames, 75);
    // A take with no markers at all: every frame failed, no panic.
    let mut empty = take.clone();
    empty.valid_mut().iter_mut().for_each(|v| *v = false);
    let res = s.solve_take(&empty, None).expect("solve");
    assert!(res.frame_ok.iter().all(|ok| !ok));
    let _ = DVec3::ZERO;
}

/// One frame of `model` posed by `set` (joint name → local rotation), as a motion.
fn posed_motion(model: &SolverModel, set: &[(&str, mocap_data::DQuat)]) -> mocap_data::Motion {
    let mut pose = model.rest_pose();
    for (name, q) in set {
        let j = model.joint_index(name).expect("joint");
        pose.rotation[j] = *q;
    }
    let cpf = model.skeleton.channel_count();
    let mut values = vec![0.0f32; cpf];
    model.write_channels(&pose, &mut values);
    mocap_data::Motion {
        rate: mocap_data::FrameRate::FPS_120,
        frame_time_s: 1.0 / 120.0,
        channels_per_frame: cpf,
        values,
    }
}

#[test]
fn stiffness_splits_what_the_markers_cannot_and_keeps_what_they_see() {
    use mocap_data::DQuat;
    use mocap_solver::ik::JointStiffness;
    let sk = solve_common::humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    // No marker on the lower back: only the chest (and what hangs on it) is seen, so a twist of
    // the lower back about its own bone can be traded against the chest's.
    let placed: Vec<PlacedMarker> = MarkerSet::automatic(&model)
        .place(&model)
        .0
        .into_iter()
        .filter(|m| m.segment != "lowerback")
        .collect();
    let lb = model.joint_index("lowerback").expect("lowerback");
    let th = model.joint_index("thorax").expect("thorax");
    let stiff = SolveOptions {
        stiffness: vec![JointStiffness {
            joints: vec!["LowerBack".into(), "thorax".into()],
            weight: 0.1,
        }],
        ..SolveOptions::default()
    };
    let solve_one = |motion: &mocap_data::Motion| {
        let take = synth::markers_from_motion(&model, &placed, motion).expect("synth");
        let s = solver(&model, &placed, &take, stiff.clone());
        let res = s.solve_take(&take, None).expect("solve");
        let (rms, _) = res.marker_rms_max_mm();
        (model.pose_from_channels(res.motion.frame(0)), rms)
    };
    // 30° of twist, all in the lower back: the markers see only the sum; stiffness splits it
    // evenly (the smallest rotations that explain the markers).
    let twist = 30f64.to_radians();
    let (pose, rms) = solve_one(&posed_motion(
        &model,
        &[("lowerback", DQuat::from_rotation_y(twist))],
    ));
    let (ta, tb) = (
        pose.rotation[lb].to_axis_angle(),
        pose.rotation[th].to_axis_angle(),
    );
    let (a, b) = (ta.0.y * ta.1, tb.0.y * tb.1);
    assert!(rms < 0.5, "marker RMS {rms} mm");
    assert!((a + b - twist).abs() < 1f64.to_radians(), "{a} + {b}");
    assert!((a - b).abs() < 2f64.to_radians(), "split {a} / {b}");
    // A forward bend of the lower back moves the chest: the markers see it, and the weak
    // stiffness (cmu41's weight) leaves most of it where they put it (it costs about as much as
    // a 14 mm residual on one marker at 25°, so a few degrees move to the chest).
    let bend = 25f64.to_radians();
    let (pose, rms) = solve_one(&posed_motion(
        &model,
        &[("lowerback", DQuat::from_rotation_x(bend))],
    ));
    let ang = |q: DQuat| q.to_axis_angle().1.to_degrees();
    assert!(rms < 1.0, "marker RMS {rms} mm");
    assert!(
        (ang(pose.rotation[lb]) - 25.0).abs() < 3.5 && ang(pose.rotation[th]) < 3.0,
        "lowerback {}° thorax {}°",
        ang(pose.rotation[lb]),
        ang(pose.rotation[th])
    );
}

#[test]
fn stiffness_of_a_marker_set_is_checked_and_used() {
    let mut set = MarkerSet::preset("cmu41").expect("cmu41");
    assert!(
        set.stiffness
            .iter()
            .any(|s| s.joints.iter().any(|j| j == "lowerback")),
        "cmu41 stiffens its spine"
    );
    let opts = SolveOptions::default().for_set(&set);
    assert_eq!(opts.stiffness, set.stiffness);
    set.stiffness[0].weight = -1.0;
    let text = serde_json::to_string(&set).expect("json");
    let e = MarkerSet::from_json(&text, "bad.json").expect_err("negative stiffness");
    assert!(e.to_string().contains("stiffness"), "{e}");
}

#[test]
fn joint_comparison_splits_a_constant_offset_from_what_varies() {
    let names = vec!["a".to_string(), "b".to_string()];
    let frames = 10;
    let b: Vec<DVec3> = (0..frames * 2)
        .map(|i| DVec3::new(i as f64, 2.0 * i as f64, 0.0))
        .collect();
    // A constant (3, 4, 0) mm on every joint: all constant.
    let a: Vec<DVec3> = b.iter().map(|p| *p + DVec3::new(3.0, 4.0, 0.0)).collect();
    let c =
        mocap_solver::pipeline::compare_joint_positions(&names, &a, &names, &b, None).expect("cmp");
    assert!((c.rms_mm - 5.0).abs() < 1e-9, "{c:?}");
    assert!((c.constant_rms_mm - 5.0).abs() < 1e-9, "{c:?}");
    assert!(c.varying_rms_mm < 1e-6, "{c:?}");
    // ±2 mm alternating on x: nothing constant.
    let a: Vec<DVec3> = b
        .iter()
        .enumerate()
        .map(|(i, p)| *p + DVec3::X * if (i / 2) % 2 == 0 { 2.0 } else { -2.0 })
        .collect();
    let c =
        mocap_solver::pipeline::compare_joint_positions(&names, &a, &names, &b, None).expect("cmp");
    assert!((c.rms_mm - 2.0).abs() < 1e-9, "{c:?}");
    assert!(c.constant_rms_mm < 1e-9, "{c:?}");
    assert!((c.varying_rms_mm - 2.0).abs() < 1e-9, "{c:?}");
}

#[test]
fn solving_again_with_a_references_marker_offsets_removes_a_placement_difference() {
    use mocap_solver::pipeline::{self, Calibration, PipelineOptions};
    let sk = humanoid();
    let model = SolverModel::new(&sk, &ModelOptions::default()).expect("model");
    let motion = walk_motion(&sk, 90);
    let truth_set = MarkerSet::automatic(&model);
    let (placed, _) = truth_set.place(&model);
    let take = synth::markers_from_motion(&model, &placed, &motion).expect("synth");
    // Our "calibration" places every marker 25 mm off where it is: a placement convention
    // differing from the reference's (here the truth).
    let mut ours = truth_set.clone();
    for (i, m) in ours.markers.iter_mut().enumerate() {
        m.offset_mm[i % 3] += 25.0;
    }
    let solves = pipeline::solve_take(
        &sk,
        &ours,
        &take,
        Calibration::Preset,
        &PipelineOptions::default(),
        None,
    )
    .expect("solve");
    let s = &solves[0];
    let names: Vec<String> = sk.joints.iter().map(|j| j.name.clone()).collect();
    let truth = model.joint_positions(&motion);
    let before = pipeline::compare_joint_positions(
        &names,
        &s.solver.model().joint_positions(&s.result.motion),
        &names,
        &truth,
        None,
    )
    .expect("cmp");
    assert!(before.rms_mm > 5.0, "the offsets must matter: {before:?}");
    // The reference (the truth motion) fits the markers exactly with the true offsets.
    let markers = s.marker_segments();
    let fit = pipeline::rigid_marker_fit(&model, &motion, &take, &markers, 0, None).expect("fit");
    assert!(fit.rms_mm < 0.01, "{}", fit.rms_mm);
    assert_eq!(fit.offsets_mm.len(), placed.len());
    for (name, o) in &fit.offsets_mm {
        let p = placed.iter().find(|p| &p.name == name).expect("marker");
        assert!(
            (*o - DVec3::from_array(p.offset_mm)).length() < 0.01,
            "{name}"
        );
    }
    assert!(pipeline::same_segment_frames(&s.solver, &model));
    let again = pipeline::resolve_with_offsets(s, &take, &fit.offsets_mm).expect("again");
    let after = pipeline::compare_joint_positions(
        &names,
        &model.joint_positions(&again.motion),
        &names,
        &truth,
        None,
    )
    .expect("cmp");
    assert!(after.rms_mm < 0.1, "before {before:?}, after {after:?}");
    // The same skeleton with the first frame's root position baked into its offset (what a
    // BVH skeleton read for solving gets) has the same segment frames: the root's position is
    // solved, not fixed.
    let baked = mocap_solver::model::bake_position_channels(&sk, &motion, 0);
    assert!(baked.joints[0].offset.length() > 1.0, "the root must move");
    let baked_model = SolverModel::new(&baked, &ModelOptions::default()).expect("model");
    assert!(pipeline::same_segment_frames(&s.solver, &baked_model));
    // Another skeleton's segment frames do not take these offsets.
    let mut longer = sk.clone();
    for j in longer.joints.iter_mut().skip(1) {
        j.offset *= 1.1;
    }
    let other = SolverModel::new(&longer, &ModelOptions::default()).expect("model");
    assert!(!pipeline::same_segment_frames(&s.solver, &other));
}
