//! VMC over OSC datagrams (what `VmcReceiver`'s thread decodes): any datagram gives frames and
//! counts, never a panic (the receiver's `catch_unwind` does not hide one here: afl.rs aborts on
//! any panic); every frame holds known bones with finite positions and unit rotations, and
//! finite blendshape weights.
//!
//! Input: one or more datagrams, split at the 4-byte marker `|VMC` (so a bare-message stream, a
//! frame spread over datagrams, and staged blendshapes carried over are reached). Each datagram
//! is cut at the UDP payload limit, as the socket would.
use mocap_live::vmc_in::{UNITY_BONES, VmcDecoder, VmcFrame};
use std::time::Instant;

const MAX_DATAGRAM: usize = 65_507;

fn check(f: &VmcFrame) {
    assert!(f.has_content(), "a frame without content was handed out");
    for (i, (b, p)) in f.bones.iter().enumerate() {
        assert!(*b < UNITY_BONES.len(), "bone index {b} outside the table");
        assert!(!f.bones[..i].iter().any(|(o, _)| o == b), "bone {b} twice");
        assert!(
            p.position.is_finite(),
            "bone {b}: position {:?}",
            p.position
        );
        assert!(
            (p.rotation.length() - 1.0).abs() < 1e-6,
            "bone {b}: rotation {:?}",
            p.rotation
        );
    }
    if let Some(r) = f.root {
        assert!(r.position.is_finite() && (r.rotation.length() - 1.0).abs() < 1e-6);
    }
    if let Some(t) = f.time_s {
        assert!(t.is_finite());
    }
    for (n, w) in &f.blendshapes {
        assert!(w.is_finite(), "blendshape {n:?} = {w}");
    }
}

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let mut d = VmcDecoder::default();
        let now = Instant::now();
        let mut rest = data;
        loop {
            let (dgram, next) = match rest.windows(4).position(|w| w == b"|VMC") {
                Some(p) => (&rest[..p], Some(&rest[p + 4..])),
                None => (rest, None),
            };
            let dgram = &dgram[..dgram.len().min(MAX_DATAGRAM)];
            let out = d.datagram(dgram, now);
            out.frames.iter().for_each(check);
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        if let Some(f) = d.flush() {
            check(&f);
        }
    });
}
