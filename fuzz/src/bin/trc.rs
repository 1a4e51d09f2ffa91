//! Any bytes: the TRC reader returns Ok or a FormatError, never panics.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(file) = mocap_formats::trc::parse(data) {
            let mut out = Vec::new();
            let _ = mocap_formats::trc::write(&file.markers, &mut out);
        }
    });
}
