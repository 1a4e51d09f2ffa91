//! Any text split at the first NUL: ASF, then AMC against it; never panics.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Ok(text) = std::str::from_utf8(data) else {
            return;
        };
        let (asf_text, amc_text) = text.split_once('\0').unwrap_or((text, ""));
        if let Ok(asf) = mocap_formats::asf::parse_asf(asf_text) {
            let _ = asf.to_skeleton(mocap_data::LengthUnit::Millimetre);
            let _ = mocap_formats::asf::parse_amc(amc_text, &asf);
        }
    });
}
