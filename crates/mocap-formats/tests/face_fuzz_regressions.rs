//! Inputs the `face` fuzz target (fuzz/src/bin/face.rs) found, kept byte for byte in
//! `tests/fuzz_regressions/face/`: each must read without a panic, and what reads must write and
//! read back with the same number of frames (the target's own property).

use mocap_formats::face::{FaceReadOptions, read_csv, read_json, write_csv};
use std::path::Path;

fn check(data: &[u8]) {
    let opts = FaceReadOptions::default();
    let _ = read_json(data, opts);
    let mut with_header = b"Timecode,BlendShapeCount,JawOpen,EyeBlinkLeft,HeadYaw\n".to_vec();
    with_header.extend_from_slice(data);
    for bytes in [data, &with_header[..]] {
        if let Ok(take) = read_csv(bytes, opts) {
            let mut out = Vec::new();
            if write_csv(&take.curves, &mut out).is_ok() {
                let back = read_csv(
                    &out,
                    FaceReadOptions {
                        rate: Some(take.curves.rate),
                    },
                )
                .unwrap_or_else(|e| {
                    panic!(
                        "our own CSV reads back: {e}\n{}",
                        String::from_utf8_lossy(&out)
                    )
                });
                assert_eq!(
                    back.curves.frame_count(),
                    take.curves.frame_count(),
                    "{}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
}

#[test]
fn every_kept_input_reads_and_round_trips() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions/face");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("regressions folder") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "bin") {
            check(&std::fs::read(&p).expect("read"));
            n += 1;
        }
    }
    assert!(n > 0, "no inputs in {}", dir.display());
}
