#![no_main]
//! Any bytes: the TRC reader returns Ok or a FormatError, never panics.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = mocap_formats::trc::parse(data) {
        let mut out = Vec::new();
        let _ = mocap_formats::trc::write(&file.markers, &mut out);
    }
});
