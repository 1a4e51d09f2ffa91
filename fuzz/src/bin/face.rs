//! Face takes: Live Link Face / generic CSV and JSON must never panic; what reads must write
//! and read back with the same shape.
use mocap_formats::face::{FaceReadOptions, read_csv, read_json, write_csv};

fn main() {
    afl::fuzz!(|data: &[u8]| {
    let opts = FaceReadOptions::default();
    let _ = read_json(data, opts);
    // Also behind a valid header, so the row parser is reached.
    let mut with_header = b"Timecode,BlendShapeCount,JawOpen,EyeBlinkLeft,HeadYaw\n".to_vec();
    with_header.extend_from_slice(data);
    for bytes in [data, &with_header[..]] {
        if let Ok(take) = read_csv(bytes, opts) {
            let mut out = Vec::new();
            if write_csv(&take.curves, &mut out).is_ok() {
                let back = read_csv(&out, FaceReadOptions { rate: Some(take.curves.rate) })
                    .expect("our own CSV reads back");
                assert_eq!(back.curves.frame_count(), take.curves.frame_count());
            }
        }
    }
    });
}
