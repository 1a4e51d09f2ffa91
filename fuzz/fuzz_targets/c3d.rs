#![no_main]
//! Any bytes: the C3D reader returns Ok or a FormatError, never panics or over-allocates.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = mocap_formats::c3d::parse(data) {
        // Whatever reads must also write.
        let mut out = Vec::new();
        let _ = mocap_formats::c3d::write(&file, &mut out);
    }
});
