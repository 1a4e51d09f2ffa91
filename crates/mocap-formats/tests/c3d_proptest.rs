//! Property tests: random trajectories survive write → read; damaged files never panic.

use mocap_data::{AnalogData, FrameRate, LengthUnit, MarkerSample, MarkerTrajectories, UpAxis};
use mocap_formats::c3d::{self, C3dFile};
use proptest::prelude::*;

fn trajectories() -> impl Strategy<Value = C3dFile> {
    (
        0usize..6,
        0usize..40,
        prop::sample::select(vec![
            FrameRate::FPS_120,
            FrameRate::FPS_29_97,
            FrameRate::new(65053, 1000).expect("rate"),
        ]),
        prop::sample::select(vec![LengthUnit::Millimetre, LengthUnit::Metre]),
        prop::sample::select(vec![UpAxis::Y, UpAxis::Z]),
        0i64..200_000,
        any::<u64>(),
    )
        .prop_map(|(markers, frames, rate, unit, up, first, seed)| {
            let labels = (0..markers)
                .map(|m| {
                    if m % 3 == 2 {
                        String::new()
                    } else {
                        format!("L{m}_{}", seed % 1000)
                    }
                })
                .collect();
            let mut t = MarkerTrajectories::new(labels, frames, rate, unit, up).expect("sizes");
            t.first_frame = first;
            let file0 = C3dFile::from_trajectories(t.clone());
            let step = file0.residual_scale();
            // Deterministic pseudo-random samples from the seed.
            let mut x = seed | 1;
            let mut next = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            for f in 0..frames {
                for m in 0..markers {
                    let r = next();
                    let s = if r % 5 == 0 {
                        MarkerSample::GAP
                    } else {
                        let c =
                            |k: u64| f32::from_bits((k as u32 & 0x807f_ffff) | 0x4000_0000) * 100.0;
                        MarkerSample {
                            position: [c(r), c(r >> 20), c(next())],
                            residual: (r >> 40) as u8 as f32 * step,
                            camera_mask: (r >> 50) as u8 & 0x7f,
                            valid: true,
                        }
                    };
                    t.set_sample(f, m, s);
                }
            }
            let mut file = C3dFile::from_trajectories(t);
            if frames > 0 && seed % 2 == 0 {
                let ch = 1 + (seed % 3) as usize;
                let spf = 1 + (seed % 4) as usize;
                file.analog = AnalogData {
                    labels: (0..ch).map(|c| format!("A{c}")).collect(),
                    units: vec!["V".into(); ch],
                    rate_hz: rate.hz() * spf as f64,
                    values: (0..frames * spf * ch)
                        .map(|i| (i as f32 * 0.37).sin() * 5.0)
                        .collect(),
                };
            }
            file
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_trajectories_round_trip(file in trajectories()) {
        let mut bytes = Vec::new();
        c3d::write(&file, &mut bytes).expect("write");
        prop_assert_eq!(bytes.len() % 512, 0);
        let back = c3d::parse(&bytes).expect("read");
        prop_assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        prop_assert_eq!(&back.points, &file.points);
        prop_assert_eq!(&back.analog, &file.analog);
        prop_assert_eq!(&back.events, &file.events);
    }

    #[test]
    fn damaged_files_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..24),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut t = MarkerTrajectories::new(
            vec!["A".into(), "B".into()], 30, FrameRate::FPS_60, LengthUnit::Millimetre, UpAxis::Z,
        ).expect("sizes");
        for f in 0..30 {
            t.set_sample(f, 1, MarkerSample { position: [1.0, 2.0, f as f32], residual: 0.1, camera_mask: 3, valid: true });
        }
        let mut file = C3dFile::from_trajectories(t);
        file.analog = AnalogData {
            labels: vec!["F".into()],
            units: vec!["N".into()],
            rate_hz: 120.0,
            values: vec![1.5; 60],
        };
        let mut bytes = Vec::new();
        c3d::write(&file, &mut bytes).expect("write");
        // Damage the header and parameter section most of the time, anywhere otherwise.
        let focus = bytes.len().min(1536);
        for (i, (at, v)) in edits.iter().enumerate() {
            let n = if i % 4 == 3 { bytes.len() } else { focus };
            let k = at.index(n);
            bytes[k] = *v;
        }
        if truncate {
            let n = cut.index(bytes.len() + 1);
            bytes.truncate(n);
        }
        let _ = c3d::parse(&bytes);
    }
}

/// Real files (DEC integer, Intel float with events and analog, Intel integer) with their header
/// and parameter section damaged byte by byte, and truncated everywhere: errors or repairs,
/// never a panic. Deterministic (xorshift), 150 variants per file.
#[test]
fn damaged_real_files_never_panic() {
    let Some(root) = mocap_testkit::data_dir() else {
        return;
    };
    for rel in [
        "c3d_org/sample_01/Eb015vi.c3d",
        "c3d_org/sample_23/Vicon_analysis.c3d",
        "c3d_org/sample_08/TESTDPI.c3d",
    ] {
        let p = root.join("c3d").join(rel);
        let original = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let param_end = 512 * (original[0] as usize + original[512 + 2] as usize);
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..150 {
            let mut b = original.clone();
            for _ in 0..(1 + next() % 8) {
                let at = (next() as usize) % param_end.min(b.len());
                b[at] = next() as u8;
            }
            if round % 5 == 0 {
                b.truncate((next() as usize) % (original.len() + 1));
            }
            let _ = c3d::parse(&b);
        }
    }
}
