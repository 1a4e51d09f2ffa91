//! `mocap-studio --bench` runs end to end on a short take: the C3D opens, seeks land, and all
//! ten generated characters are retargeted and driven (the bench returns an error otherwise).
//! The figures themselves are printed, not asserted (speed lives in the benchmark).

#[test]
fn bench_runs_on_a_short_take_with_ten_driven_characters() {
    let dir = std::env::temp_dir().join(format!("mocap-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let result = mocap_studio::bench::run_with(&dir, 1_200);
    let _ = std::fs::remove_dir_all(&dir);
    result.expect("bench on a 1 200-frame take");
}
