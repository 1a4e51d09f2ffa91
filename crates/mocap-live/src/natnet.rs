//! NatNet 3.0–4.1 wire codec: what the client and server exchange, on top of the `natnet` crate.
//!
//! The `natnet` crate (0.1.0, Apache-2.0/MIT, no `unsafe`, no dependencies) encodes and decodes
//! server info, model definitions and frames of data in the 3.0, 3.1, 4.0 and 4.1 layouts with a
//! bounds-checked reader that caps preallocation at 256 entries; it was evaluated as sound (see
//! the crate README) and is used as is. This module adds what the live stage needs around it:
//! the two forms of NAT_CONNECT, the command strings (`FrameRate`, `Bitstream`), SMPTE timecode
//! packing, labeled-marker ids, and [`decode`], the one entry point every received datagram goes
//! through ([`fuzz_decode`] for the fuzzer).

use mocap_data::{Timecode, TimecodeFormat};
use natnet::ParsePolicy;
pub use natnet::{
    ConnectionInfo, DataSet, FrameOfData, FrameTiming, LabeledMarker, MarkerSet, MarkerSetDef,
    ModelDef, RawSection, RigidBody, RigidBodyDef, ServerInfo, Skeleton, SkeletonDef, Version,
};

/// Message id NAT_CONNECT (client → server).
pub const NAT_CONNECT: u16 = 0;
/// Message id NAT_SERVERINFO (server → client, answer to NAT_CONNECT).
pub const NAT_SERVERINFO: u16 = 1;
/// Message id NAT_REQUEST (client → server, a command string).
pub const NAT_REQUEST: u16 = 2;
/// Message id NAT_RESPONSE (server → client, answer to NAT_REQUEST).
pub const NAT_RESPONSE: u16 = 3;
/// Message id NAT_REQUEST_MODELDEF (client → server).
pub const NAT_REQUEST_MODELDEF: u16 = 4;
/// Message id NAT_MODELDEF (server → client).
pub const NAT_MODELDEF: u16 = 5;
/// Message id NAT_FRAMEOFDATA (server → client).
pub const NAT_FRAMEOFDATA: u16 = 7;
/// Message id NAT_DISCONNECT (client → server).
pub const NAT_DISCONNECT: u16 = 9;
/// Message id NAT_KEEPALIVE (client → server, unicast).
pub const NAT_KEEPALIVE: u16 = 10;
/// Message id NAT_UNRECOGNIZED_REQUEST (server → client).
pub const NAT_UNRECOGNIZED_REQUEST: u16 = 100;

/// The protocol version this crate streams and asks for.
pub const STREAM_VERSION: Version = Version::V4_1;
/// Largest datagram either side sends or accepts, bytes (IPv4 UDP payload limit).
pub const MAX_DATAGRAM: usize = 65_507;
/// Payload length of natnetsdk's NAT_CONNECT: "Ping", zeros, requested version at 265–268.
pub const CONNECT_SDK_PAYLOAD_LEN: usize = 271;

/// How a client says NAT_CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConnectForm {
    /// OptiTrack's SDK form (natnetsdk 4.1.1): 271 payload bytes, "Ping", zeros, the requested
    /// bitstream version at bytes 265–268.
    #[default]
    Sdk,
    /// The short form other clients send: the payload `"Ping\0"` (server's own version streamed).
    Ping,
}

/// One datagram, decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// NAT_CONNECT; `requested` is the bitstream version asked for (SDK form), if any.
    Connect {
        /// Version the client asks the server to stream (`None`: the server's own).
        requested: Option<Version>,
    },
    /// NAT_SERVERINFO.
    ServerInfo(Box<ServerInfo>),
    /// NAT_REQUEST with its command string (e.g. `FrameRate`, `Bitstream`).
    Request(String),
    /// NAT_RESPONSE: raw payload (a 4-byte value or a NUL-terminated string).
    Response(Vec<u8>),
    /// NAT_REQUEST_MODELDEF.
    RequestModelDef,
    /// NAT_MODELDEF.
    ModelDef(ModelDef),
    /// NAT_FRAMEOFDATA.
    Frame(Box<FrameOfData>),
    /// NAT_KEEPALIVE.
    KeepAlive,
    /// NAT_DISCONNECT.
    Disconnect,
    /// Any other well-formed message id (counted, ignored).
    Other(u16),
}

/// Why a datagram could not be decoded. Every variant is counted as a malformed packet.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    /// Shorter than the 4-byte header.
    #[error(
        "datagram of {0} bytes is shorter than the 4-byte NatNet header; the sender is not a NatNet peer"
    )]
    Short(usize),
    /// Longer than [`MAX_DATAGRAM`].
    #[error("datagram of {0} bytes exceeds the 65 507-byte UDP limit")]
    Oversized(usize),
    /// The header declares a different payload size than arrived.
    #[error(
        "header declares {declared} payload bytes but {actual} arrived (truncated or padded datagram)"
    )]
    SizeMismatch {
        /// Declared by the header.
        declared: usize,
        /// Bytes after the header.
        actual: usize,
    },
    /// The body does not parse in the stream's layout.
    #[error(
        "message {id} does not parse as NatNet {version}: {reason} (check the server's bitstream version)"
    )]
    Body {
        /// Message id.
        id: u16,
        /// Layout used.
        version: String,
        /// The codec's reason.
        reason: String,
    },
}

/// Decodes one datagram in the layout of `version` (the server's stream version). Never panics;
/// any input either decodes or yields a [`DecodeError`].
///
/// The header's declared size must match the payload (except when the 16-bit field saturates);
/// the client messages (connect, requests, keep-alive, disconnect) may carry more than declared
/// (natnetsdk appends a NUL), never less.
pub fn decode(datagram: &[u8], version: Version) -> Result<Packet, DecodeError> {
    if datagram.len() < 4 {
        return Err(DecodeError::Short(datagram.len()));
    }
    if datagram.len() > MAX_DATAGRAM {
        return Err(DecodeError::Oversized(datagram.len()));
    }
    let id = u16::from_le_bytes([datagram[0], datagram[1]]);
    let declared = u16::from_le_bytes([datagram[2], datagram[3]]) as usize;
    let payload = &datagram[4..];
    // Messages state their size exactly, but natnetsdk appends a NUL to every client message
    // (a keep-alive declares 0 bytes and sends 1), so those may carry more.
    let client_message = matches!(
        id,
        NAT_CONNECT | NAT_REQUEST | NAT_REQUEST_MODELDEF | 6 | NAT_DISCONNECT | NAT_KEEPALIVE
    );
    let saturated = declared == u16::MAX as usize && payload.len() > declared;
    let exact = declared == payload.len() || saturated;
    if (!client_message && !exact) || payload.len() < declared {
        return Err(DecodeError::SizeMismatch {
            declared,
            actual: payload.len(),
        });
    }
    let body = |e: natnet::Error| DecodeError::Body {
        id,
        version: version.to_string(),
        reason: e.to_string(),
    };
    Ok(match id {
        NAT_CONNECT => Packet::Connect {
            requested: natnet::command::ConnectOptions::parse(payload)
                .and_then(|o| o.bitstream_version),
        },
        NAT_SERVERINFO => Packet::ServerInfo(Box::new(
            ServerInfo::parse_payload_with_policy(payload, ParsePolicy::Strict).map_err(body)?,
        )),
        NAT_REQUEST => Packet::Request(c_string(payload)),
        NAT_RESPONSE => Packet::Response(payload.to_vec()),
        NAT_REQUEST_MODELDEF => Packet::RequestModelDef,
        NAT_MODELDEF => Packet::ModelDef(
            ModelDef::parse_payload_with_policy(payload, version, ParsePolicy::Strict)
                .map_err(body)?,
        ),
        NAT_FRAMEOFDATA => Packet::Frame(Box::new(
            FrameOfData::parse_payload_with_policy(payload, version, ParsePolicy::Strict)
                .map_err(body)?,
        )),
        NAT_KEEPALIVE => Packet::KeepAlive,
        NAT_DISCONNECT => Packet::Disconnect,
        other => Packet::Other(other),
    })
}

/// The fuzzer's entry point: decodes `data` in every supported layout (3.0, 3.1, 4.0, 4.1) and,
/// when a frame decodes, converts it as the recorder would. Returns how many layouts accepted it.
pub fn fuzz_decode(data: &[u8]) -> usize {
    let mut ok = 0;
    for v in [
        Version::new(3, 0, 0, 0),
        Version::new(3, 1, 0, 0),
        Version::new(4, 0, 0, 0),
        Version::V4_1,
    ] {
        if let Ok(p) = decode(data, v) {
            ok += 1;
            if let Packet::Frame(f) = p {
                let _ = f.decode_skeletons();
                let _ = unpack_timecode(f.timing.timecode);
            }
        }
    }
    ok
}

/// Text up to the first NUL (lossy UTF-8).
pub fn c_string(payload: &[u8]) -> String {
    let end = payload
        .iter()
        .position(|b| *b == 0)
        .unwrap_or(payload.len());
    String::from_utf8_lossy(&payload[..end]).into_owned()
}

/// `id`, `declared size`, payload.
pub fn frame_message(id: u16, payload: &[u8]) -> Vec<u8> {
    let declared = u16::try_from(payload.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&declared.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// A NAT_CONNECT datagram in `form`, asking for `version` (SDK form only).
pub fn connect_datagram(form: ConnectForm, version: Version) -> Vec<u8> {
    match form {
        ConnectForm::Sdk => {
            // Byte for byte what natnetsdk 4.1.1 sends: 270 bytes + a trailing NUL.
            let mut p = vec![0u8; CONNECT_SDK_PAYLOAD_LEN];
            p[..4].copy_from_slice(b"Ping");
            p[265..269].copy_from_slice(&version.to_bytes());
            frame_message(NAT_CONNECT, &p)
        }
        ConnectForm::Ping => frame_message(NAT_CONNECT, b"Ping\0"),
    }
}

/// A NAT_REQUEST carrying `command` (NUL-terminated).
pub fn request_datagram(command: &str) -> Vec<u8> {
    let mut p = command.as_bytes().to_vec();
    p.push(0);
    frame_message(NAT_REQUEST, &p)
}

/// A message with an empty payload (keep-alive, model-definition request, disconnect).
pub fn empty_datagram(id: u16) -> Vec<u8> {
    frame_message(id, &[])
}

/// Packs a timecode as NatNet does: `hours << 24 | minutes << 16 | seconds << 8 | frames`.
/// `None` when the frame field does not fit 8 bits (nominal rates above 255 fps).
pub fn pack_timecode(tc: &Timecode) -> Option<u32> {
    let frames = u8::try_from(tc.frames).ok()?;
    Some(
        (tc.hours as u32) << 24
            | (tc.minutes as u32) << 16
            | (tc.seconds as u32) << 8
            | frames as u32,
    )
}

/// Unpacks a NatNet timecode into `(hours, minutes, seconds, frames)`.
pub fn unpack_timecode(packed: u32) -> (u8, u8, u8, u8) {
    (
        (packed >> 24) as u8,
        (packed >> 16) as u8,
        (packed >> 8) as u8,
        packed as u8,
    )
}

/// A NatNet timecode as a [`Timecode`] in `format`; `None` when a field is out of range.
pub fn timecode_from_packed(packed: u32, format: TimecodeFormat) -> Option<Timecode> {
    let (h, m, s, f) = unpack_timecode(packed);
    (h < 24 && m < 60 && s < 60 && (f as u32) < format.nominal_fps).then_some(Timecode {
        hours: h,
        minutes: m,
        seconds: s,
        frames: f as u32,
        format,
    })
}

/// A labeled marker id: `model id << 16 | marker id` (marker ids 1-based within the model).
pub fn marker_id(model: u16, marker: u16) -> i32 {
    ((model as u32) << 16 | marker as u32) as i32
}

/// `(model id, marker id)` of a labeled marker id.
pub fn split_marker_id(id: i32) -> (u16, u16) {
    let u = id as u32;
    ((u >> 16) as u16, u as u16)
}

/// Marker-set definitions of a model definition, in wire order (model ids are 1-based in that
/// order).
pub fn marker_set_defs(def: &ModelDef) -> Vec<&MarkerSetDef> {
    def.datasets
        .iter()
        .filter_map(|d| match d {
            DataSet::MarkerSet(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// A model definition holding these marker sets.
pub fn model_def(sets: Vec<MarkerSetDef>) -> ModelDef {
    ModelDef {
        datasets: sets.into_iter().map(DataSet::MarkerSet).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_forms_decode_with_their_version() {
        let sdk = connect_datagram(ConnectForm::Sdk, Version::new(4, 1, 0, 0));
        assert_eq!(sdk.len(), 4 + 271);
        assert_eq!(
            decode(&sdk, STREAM_VERSION),
            Ok(Packet::Connect {
                requested: Some(Version::V4_1)
            })
        );
        let ping = connect_datagram(ConnectForm::Ping, STREAM_VERSION);
        assert_eq!(
            decode(&ping, STREAM_VERSION),
            Ok(Packet::Connect { requested: None })
        );
    }

    #[test]
    fn timecode_packs_and_unpacks() {
        let f = TimecodeFormat::ndf(120);
        let tc = Timecode::from_frame_count(3_723 * 120 + 17, f);
        let p = pack_timecode(&tc).expect("fits");
        assert_eq!(unpack_timecode(p), (1, 2, 3, 17));
        assert_eq!(timecode_from_packed(p, f), Some(tc));
        assert_eq!(timecode_from_packed(0xFF00_0000, f), None);
    }

    #[test]
    fn marker_ids_split() {
        let id = marker_id(3, 41);
        assert_eq!(id, 3 << 16 | 41);
        assert_eq!(split_marker_id(id), (3, 41));
    }

    #[test]
    fn size_mismatch_and_short_are_errors() {
        assert!(matches!(
            decode(&[7, 0], STREAM_VERSION),
            Err(DecodeError::Short(2))
        ));
        // A server message must state its size exactly…
        let mut m = empty_datagram(NAT_MODELDEF);
        m.push(1);
        assert!(matches!(
            decode(&m, STREAM_VERSION),
            Err(DecodeError::SizeMismatch { .. })
        ));
        // …a client message may carry natnetsdk's trailing NUL, never less than declared.
        let mut k = empty_datagram(NAT_KEEPALIVE);
        k.push(0);
        assert_eq!(decode(&k, STREAM_VERSION), Ok(Packet::KeepAlive));
        let mut short = frame_message(NAT_REQUEST, b"FrameRate\0");
        short.pop();
        assert!(decode(&short, STREAM_VERSION).is_err());
    }
}
