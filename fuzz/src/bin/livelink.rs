//! Live Link Face UDP packets: decoding never panics, and what decodes encodes to the same bytes.
use mocap_formats::livelink::LiveLinkPacket;

fn main() {
    afl::fuzz!(|data: &[u8]| {
    if let Ok(p) = LiveLinkPacket::decode(data) {
        // Names that are not UTF-8 come back with replacement characters; others are exact.
        if !p.subject.contains('\u{FFFD}') {
            assert_eq!(p.encode(), data, "re-encoding changes the packet");
        }
        // Compared as bytes: NaN values are not equal to themselves.
        assert_eq!(LiveLinkPacket::decode(&p.encode()).map(|q| q.encode()), Ok(p.encode()));
    }
    });
}
