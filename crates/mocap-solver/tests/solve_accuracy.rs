//! Accuracy targets on real motion with synthetic markers (the shared data's Bandai Namco BVH).
//! Run with `MOCAP_TEST_DATA=/work/shared/data cargo test -p mocap-solver --test solve_accuracy`.

use mocap_solver::ik::SolveOptions;
use mocap_solver::markerset::MarkerSet;
use mocap_solver::synth::{AccuracyConfig, accuracy_run};

fn load(name: &str) -> Option<mocap_formats::bvh::BvhFile> {
    let path = mocap_testkit::data_dir()?.join("bvh").join(name);
    assert!(path.exists(), "missing test file {}", path.display());
    Some(mocap_formats::bvh::read_path(&path).expect("read BVH"))
}

fn config(noise: f64, occlusion: f64, swaps: f64) -> AccuracyConfig {
    AccuracyConfig {
        markerset: MarkerSet::preset("fullbody53").expect("preset"),
        noise_mm: noise,
        occlusion,
        swaps,
        seed: 1,
        frames: Some(0..120),
        solve: SolveOptions::default(),
    }
}

#[test]
fn noise_1mm_meets_3mm_and_1deg() {
    let Some(bvh) = load("bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    let r = accuracy_run(&bvh.skeleton, &bvh.motion, &config(1.0, 0.0, 0.0)).expect("run");
    eprintln!("{r:?}");
    assert!(r.automatic_markerset, "Bandai names do not fit fullbody53");
    assert!(r.joints_evaluated >= 20);
    assert!(r.mpjpe_mm <= 3.0, "MPJPE {} mm", r.mpjpe_mm);
    assert!(
        r.rotation_err_deg <= 1.0,
        "rotation error {}°",
        r.rotation_err_deg
    );
}

#[test]
fn occlusion_noise_and_swaps_meet_10mm() {
    let Some(bvh) = load("bandai_dataset-1_kick_normal_001.bvh") else {
        return;
    };
    let r = accuracy_run(&bvh.skeleton, &bvh.motion, &config(5.0, 0.10, 0.01)).expect("run");
    eprintln!("{r:?}");
    assert!((r.occluded_fraction - 0.10).abs() < 0.01, "{r:?}");
    assert!(r.swapped_fraction > 0.005, "{r:?}");
    assert!(r.mpjpe_mm <= 10.0, "MPJPE {} mm", r.mpjpe_mm);
}

/// The realistic run (the solver not told the truth: marker offsets off by up to 15 mm,
/// segment lengths by up to 5 %, 3 mm drift; the subject calibrated on a generated range of
/// motion) costs accuracy against the oracle, and stays within bounds (measured on the whole
/// walk: 9.8 mm, 6.8°; oracle 1.4 mm).
#[test]
fn realistic_run_is_calibrated_and_reports_the_oracle_beside_it() {
    let Some(bvh) = load("bandai_dataset-1_walk_normal_001.bvh") else {
        return;
    };
    use mocap_solver::synth_real::{Realism, realistic_run};
    let r = realistic_run(
        &bvh.skeleton,
        &bvh.motion,
        &config(1.0, 0.0, 0.0),
        &Realism::default(),
    )
    .expect("run");
    eprintln!("{r:?}");
    assert_eq!(r.frames, 120);
    assert!(r.rom_frames > 500, "{r:?}");
    assert!(r.oracle.mpjpe_mm <= 3.0, "{r:?}");
    assert!(
        r.calibrated.mpjpe_mm <= 20.0 && r.calibrated.rotation_err_deg <= 12.0,
        "{r:?}"
    );
    assert!(r.calibrated.mpjpe_mm > r.oracle.mpjpe_mm, "{r:?}");
}
