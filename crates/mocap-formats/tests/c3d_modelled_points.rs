//! Vicon's model outputs in a real C3D: CMU 39_01 holds 41 reconstructed markers and 289
//! modelled points (joint centres `PEL0`…, segment axes `LFEM1`…), told apart by their residuals
//! and camera masks, as the studio's marker groups show them.

use mocap_formats::c3d;

#[test]
fn cmu_39_01_has_41_reconstructed_markers_and_289_modelled_points() {
    let Some(path) = mocap_testkit::data("c3d_plus_skeleton/cmu_subject39_walk/39_01.c3d") else {
        return;
    };
    let file = c3d::read_path(&path).expect("39_01.c3d reads");
    let m = &file.points;
    assert_eq!(m.marker_count(), 330);
    let modelled = m.modelled_markers();
    let real: Vec<&str> = m
        .labels
        .iter()
        .zip(&modelled)
        .filter(|(_, v)| !**v)
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(real.len(), 41, "{real:?}");
    // Real markers whose names end in digits are still real.
    for l in [
        "SteveWalk:LFHD",
        "SteveWalk:C7",
        "SteveWalk:T10",
        "SteveWalk:LMT5",
    ] {
        assert!(real.contains(&l), "{l} is a reconstructed marker");
    }
    for l in ["SteveWalk:PEL0", "SteveWalk:LFEM1", "SteveWalk:LULN5"] {
        let k = m.marker_index(l).expect("label present");
        assert!(modelled[k], "{l} is a modelled point");
    }
}
