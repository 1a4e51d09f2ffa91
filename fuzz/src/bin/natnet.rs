//! NatNet datagrams (what the live client and server receive): decoding in every layout never
//! panics (`mocap_live::natnet::fuzz_decode`), and a frame or model definition that decodes
//! encodes to a datagram that decodes to the same thing.
use mocap_live::natnet::{self, Packet, Version};

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let _ = natnet::fuzz_decode(data);
        for v in [
            Version::new(3, 0, 0, 0),
            Version::new(4, 0, 0, 0),
            Version::V4_1,
        ] {
            // Compared as re-encoded bytes: NaN positions are not equal to themselves.
            match natnet::decode(data, v) {
                Ok(Packet::Frame(f)) => {
                    if let Ok(d) = f.to_datagram(v) {
                        match natnet::decode(&d, v) {
                            Ok(Packet::Frame(g)) => {
                                assert_eq!(g.to_datagram(v).ok(), Some(d), "frame changes");
                            }
                            other => panic!("our own frame datagram decodes as {other:?}"),
                        }
                    }
                }
                Ok(Packet::ModelDef(m)) => {
                    let _ = natnet::marker_set_defs(&m);
                    if let Ok(d) = m.to_datagram(v) {
                        match natnet::decode(&d, v) {
                            Ok(Packet::ModelDef(n)) => {
                                assert_eq!(n.to_datagram(v).ok(), Some(d), "model changes");
                            }
                            other => panic!("our own model datagram decodes as {other:?}"),
                        }
                    }
                }
                _ => {}
            }
        }
    });
}
