//! Live Link Face UDP packets: decoding never panics, what decodes encodes to the same bytes, and
//! what the receiver derives from a frame (device id, rate, clamped weights, rotations) is sane.
use mocap_formats::livelink::LiveLinkPacket;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        if let Ok(p) = LiveLinkPacket::decode(data) {
            // Names that are not UTF-8 come back with replacement characters; others are exact.
            if !p.subject.contains('\u{FFFD}') {
                assert_eq!(p.encode(), data, "re-encoding changes the packet");
            }
            // Compared as bytes: NaN values are not equal to themselves.
            assert_eq!(
                LiveLinkPacket::decode(&p.encode()).map(|q| q.encode()),
                Ok(p.encode())
            );
            let _ = p.device_id_str();
            if let Some(f) = &p.frame {
                if let Some(r) = f.rate() {
                    assert!(r.hz() > 0.0 && r.hz().is_finite(), "rate {r:?}");
                }
                let (w, fixed) = f.weights_clamped();
                assert!(w.iter().all(|v| (0.0..=1.0).contains(v)), "weights {w:?}");
                assert!(fixed <= w.len());
                assert!(f.rotations().iter().all(|v| v.is_finite()));
            }
        }
    });
}
