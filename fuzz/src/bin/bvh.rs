//! Any bytes: the BVH reader returns Ok or a FormatError, never panics or over-allocates.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(file) = mocap_formats::bvh::parse(data) {
            let mut out = Vec::new();
            let _ = mocap_formats::bvh::write(&file.skeleton, &file.motion, &mut out);
        }
    });
}
