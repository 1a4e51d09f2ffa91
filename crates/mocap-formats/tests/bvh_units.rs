//! BVH has no unit field: [`bvh::guess_unit`] on the real corpus (documented units in
//! `bvh/PROVENANCE.md`) and on the same skeletons rescaled to every unit.

use mocap_data::LengthUnit;
use mocap_formats::bvh;

fn corpus() -> Vec<(String, bvh::BvhFile)> {
    let Some(dir) = mocap_testkit::data_dir() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("bvh"))
        .expect("bvh folder")
        .flatten()
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("bvh")) {
            let f = bvh::read_path(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push((
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                f,
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 4, "bvh corpus incomplete");
    out
}

#[test]
fn corpus_bvh_units_are_guessed_from_the_skeleton() {
    for (name, f) in corpus() {
        let g = bvh::guess_unit(&f.skeleton);
        eprintln!("{name}: {:?} {:.2} m — {}", g.unit, g.size_m, g.reason);
        assert!(g.plausible, "{name}: {}", g.reason);
        assert!(g.reason.contains(g.unit.symbol()), "{name}: {}", g.reason);
        // Bandai Namco and Mixamo files are documented in centimetres.
        if name.starts_with("bandai") || name.contains("freebvh") {
            assert_eq!(g.unit, LengthUnit::Centimetre, "{name}: {}", g.reason);
        }
        // The same skeleton written in another unit is recognised as that unit.
        let f_cm = {
            let mut c = f.clone();
            c.skeleton.unit = g.unit;
            c.to_unit(LengthUnit::Centimetre)
        };
        for u in [
            LengthUnit::Millimetre,
            LengthUnit::Centimetre,
            LengthUnit::Metre,
            LengthUnit::Inch,
        ] {
            let mut other = f_cm.to_unit(u);
            other.skeleton.unit = LengthUnit::Centimetre; // what a reader would label it
            let h = bvh::guess_unit(&other.skeleton);
            assert_eq!(h.unit, u, "{name} rescaled to {u:?}: {}", h.reason);
            assert!(
                (h.size_m - g.size_m).abs() < 1e-6 * g.size_m,
                "{name} {u:?}"
            );
        }
    }
}

#[test]
fn a_skeleton_without_size_is_flagged() {
    let f = bvh::parse(
        b"HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 3 Zrotation Xrotation Yrotation\n \
          End Site\n {\n  OFFSET 0 0 0\n }\n}\nMOTION\nFrames: 1\nFrame Time: 0.1\n0 0 0\n",
    )
    .expect("parse");
    let g = bvh::guess_unit(&f.skeleton);
    assert!(!g.plausible);
    assert_eq!(g.unit, LengthUnit::Centimetre);
    assert!(g.reason.contains("no size"), "{}", g.reason);
}
