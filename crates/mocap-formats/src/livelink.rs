//! Live Link Face UDP packets (Epic's iPhone app, version 6), bytes ↔ struct; no sockets.
//!
//! Layout (as the app and PyPI `pylivelinkface` 0.1 write it):
//!
//! | bytes | field |
//! |---|---|
//! | 4 | version, i32 **little-endian** (6) |
//! | 37 | device id, UTF-8 (`$` + a UUID) |
//! | 4 | subject name length, i32 big-endian |
//! | n | subject name, UTF-8 |
//! | 4 + 4 | frame number i32 BE, subframe f32 BE |
//! | 4 + 4 | rate numerator i32 BE, denominator i32 BE |
//! | 1 | value count, u8 (61) |
//! | 61 × 4 | f32 BE: the 52 ARKit blendshapes in [`ARKIT_BLENDSHAPES`] order, then head yaw, pitch, roll and left/right eye yaw, pitch, roll ([`FACE_ROTATIONS`], radians) |
//!
//! A packet that ends right after the subject name carries no frame (the app announces a subject
//! that way): it decodes with [`LiveLinkPacket::frame`] `None`. Anything shorter, a count other
//! than 61, a name length beyond the packet or trailing bytes is a [`LiveLinkError`] naming the
//! byte offset; decoding never panics. Non-finite or out-of-range values are kept as sent:
//! [`FaceFrame::weights_clamped`] gives the usable weights and counts the fixes.
//!
//! [`ARKIT_BLENDSHAPES`]: mocap_data::face::ARKIT_BLENDSHAPES
//! [`FACE_ROTATIONS`]: mocap_data::face::FACE_ROTATIONS

use mocap_data::FrameRate;

/// The UDP port Live Link Face sends to by default.
pub const DEFAULT_PORT: u16 = 11111;
/// The packet version this codec writes (and the app sends).
pub const VERSION: i32 = 6;
/// Bytes of the device id field.
pub const DEVICE_ID_LEN: usize = 37;
/// Values per frame: 52 blendshapes + 9 rotations.
pub const VALUE_COUNT: usize = 61;
/// Longest subject name accepted (bytes).
pub const MAX_NAME_LEN: usize = 1024;

/// A malformed packet.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LiveLinkError {
    /// The packet ends before a field.
    #[error(
        "Live Link Face packet: byte {offset}: ends before the {field} ({len} bytes in all); the sender is not Live Link Face or the datagram was cut"
    )]
    Truncated {
        /// Where the missing field starts.
        offset: usize,
        /// Which field.
        field: &'static str,
        /// Packet length.
        len: usize,
    },
    /// A field holds an impossible value.
    #[error("Live Link Face packet: byte {offset}: {message}")]
    Invalid {
        /// Where the field starts.
        offset: usize,
        /// What is wrong.
        message: String,
    },
}

/// One frame of face data.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceFrame {
    /// Frame number at the sender's rate (its timecode as a frame count).
    pub frame_number: i32,
    /// Fraction of a frame (the app sends 0–1; `pylivelinkface` sends a constant).
    pub subframe: f32,
    /// Rate numerator, frames.
    pub rate_num: i32,
    /// Rate denominator, seconds (`pylivelinkface` sends 0 below 60 fps).
    pub rate_den: i32,
    /// The 61 values as sent: 52 weights (unitless, 0–1) then 9 rotations (radians).
    pub values: [f32; VALUE_COUNT],
}

impl FaceFrame {
    /// The 52 blendshape weights with NaN/∞ set to 0 and others clamped to 0–1, and how many
    /// values needed that.
    pub fn weights_clamped(&self) -> ([f32; 52], usize) {
        let mut out = [0.0; 52];
        let mut fixed = 0;
        for (o, &v) in out.iter_mut().zip(&self.values[..52]) {
            let c = if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            };
            if c != v {
                fixed += 1;
            }
            *o = c;
        }
        (out, fixed)
    }

    /// Head yaw, pitch, roll, then left and right eye yaw, pitch, roll (radians; NaN → 0).
    pub fn rotations(&self) -> [f32; 9] {
        let mut r = [0.0; 9];
        for (o, &v) in r.iter_mut().zip(&self.values[52..]) {
            *o = if v.is_finite() { v } else { 0.0 };
        }
        r
    }

    /// The sender's rate; a zero or negative denominator is read as 1 (`pylivelinkface` sends
    /// 0 for rates below 60).
    pub fn rate(&self) -> Option<FrameRate> {
        let num = u32::try_from(self.rate_num).ok()?;
        let den = u32::try_from(self.rate_den)
            .ok()
            .filter(|&d| d > 0)
            .unwrap_or(1);
        FrameRate::new(num, den).ok()
    }
}

/// A decoded packet.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveLinkPacket {
    /// Packet version (6).
    pub version: i32,
    /// Device id bytes (`$` + UUID, UTF-8, NUL-padded when shorter).
    pub device_id: [u8; DEVICE_ID_LEN],
    /// Subject name (UTF-8; invalid bytes replaced).
    pub subject: String,
    /// The face data, or `None` for a subject announcement.
    pub frame: Option<FaceFrame>,
}

fn take<'a>(
    b: &'a [u8],
    at: usize,
    n: usize,
    field: &'static str,
) -> Result<&'a [u8], LiveLinkError> {
    b.get(at..at + n).ok_or(LiveLinkError::Truncated {
        offset: at,
        field,
        len: b.len(),
    })
}

fn be_i32(b: &[u8], at: usize, field: &'static str) -> Result<i32, LiveLinkError> {
    let s = take(b, at, 4, field)?;
    Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl LiveLinkPacket {
    /// A packet for device `device_id` (truncated or NUL-padded to 37 bytes) and `subject`.
    pub fn new(device_id: &str, subject: &str, frame: Option<FaceFrame>) -> Self {
        let mut id = [0u8; DEVICE_ID_LEN];
        for (d, s) in id.iter_mut().zip(device_id.bytes()) {
            *d = s;
        }
        Self {
            version: VERSION,
            device_id: id,
            subject: subject.to_string(),
            frame,
        }
    }

    /// The device id as text (trailing NULs removed).
    pub fn device_id_str(&self) -> String {
        String::from_utf8_lossy(&self.device_id)
            .trim_end_matches('\0')
            .to_string()
    }

    /// Decodes one datagram.
    pub fn decode(b: &[u8]) -> Result<Self, LiveLinkError> {
        let v = take(b, 0, 4, "version")?;
        let version = i32::from_le_bytes([v[0], v[1], v[2], v[3]]);
        let mut device_id = [0u8; DEVICE_ID_LEN];
        device_id.copy_from_slice(take(b, 4, DEVICE_ID_LEN, "device id")?);
        let name_len = be_i32(b, 41, "subject name length")?;
        let name_len = usize::try_from(name_len)
            .ok()
            .filter(|&n| n <= MAX_NAME_LEN)
            .ok_or_else(|| LiveLinkError::Invalid {
                offset: 41,
                message: format!("subject name length {name_len} is outside 0–{MAX_NAME_LEN}"),
            })?;
        let subject = String::from_utf8_lossy(take(b, 45, name_len, "subject name")?).into_owned();
        let mut at = 45 + name_len;
        if b.len() == at {
            return Ok(Self {
                version,
                device_id,
                subject,
                frame: None,
            });
        }
        let frame_number = be_i32(b, at, "frame number")?;
        let subframe = f32::from_bits(be_i32(b, at + 4, "subframe")? as u32);
        let rate_num = be_i32(b, at + 8, "rate numerator")?;
        let rate_den = be_i32(b, at + 12, "rate denominator")?;
        at += 16;
        let count = take(b, at, 1, "value count")?[0];
        if count as usize != VALUE_COUNT {
            return Err(LiveLinkError::Invalid {
                offset: at,
                message: format!("value count {count}, expected {VALUE_COUNT}"),
            });
        }
        at += 1;
        let data = take(b, at, VALUE_COUNT * 4, "61 values")?;
        let end = at + VALUE_COUNT * 4;
        if b.len() != end {
            return Err(LiveLinkError::Invalid {
                offset: end,
                message: format!("{} bytes after the 61 values", b.len() - end),
            });
        }
        let mut values = [0.0f32; VALUE_COUNT];
        for (v, c) in values.iter_mut().zip(data.chunks_exact(4)) {
            *v = f32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        Ok(Self {
            version,
            device_id,
            subject,
            frame: Some(FaceFrame {
                frame_number,
                subframe,
                rate_num,
                rate_den,
                values,
            }),
        })
    }

    /// Encodes the packet (the layout in the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let name = self.subject.as_bytes();
        let name = &name[..name.len().min(MAX_NAME_LEN)];
        let mut out = Vec::with_capacity(45 + name.len() + 17 + VALUE_COUNT * 4);
        out.extend_from_slice(&self.version.to_le_bytes());
        out.extend_from_slice(&self.device_id);
        out.extend_from_slice(&(name.len() as i32).to_be_bytes());
        out.extend_from_slice(name);
        if let Some(f) = &self.frame {
            out.extend_from_slice(&f.frame_number.to_be_bytes());
            out.extend_from_slice(&f.subframe.to_be_bytes());
            out.extend_from_slice(&f.rate_num.to_be_bytes());
            out.extend_from_slice(&f.rate_den.to_be_bytes());
            out.push(VALUE_COUNT as u8);
            for v in f.values {
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LiveLinkPacket {
        let mut values = [0.0; VALUE_COUNT];
        for (i, v) in values.iter_mut().enumerate() {
            *v = i as f32 / 100.0;
        }
        values[60] = -0.25;
        LiveLinkPacket::new(
            "$0123456789abcdef0123456789abcdef0123",
            "iPhone",
            Some(FaceFrame {
                frame_number: 123_456,
                subframe: 0.5,
                rate_num: 60,
                rate_den: 1,
                values,
            }),
        )
    }

    #[test]
    fn round_trips_and_lays_out_bytes() {
        let p = sample();
        let b = p.encode();
        assert_eq!(b.len(), 4 + 37 + 4 + 6 + 16 + 1 + 244);
        assert_eq!(&b[..4], &[6, 0, 0, 0]);
        assert_eq!(&b[41..45], &[0, 0, 0, 6]);
        assert_eq!(b[45 + 6 + 16], 61);
        // jawOpen (index 17) = 0.17, big-endian.
        let at = 45 + 6 + 17 + 17 * 4;
        assert_eq!(&b[at..at + 4], &0.17f32.to_be_bytes());
        assert_eq!(LiveLinkPacket::decode(&b).unwrap(), p);
        assert_eq!(p.device_id_str().len(), 37);
        // A subject announcement: no frame.
        let mut a = p.clone();
        a.frame = None;
        assert_eq!(LiveLinkPacket::decode(&a.encode()).unwrap().frame, None);
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error() {
        let b = sample().encode();
        for n in 0..b.len() {
            if n == 45 + 6 {
                continue; // exactly a subject announcement
            }
            assert!(LiveLinkPacket::decode(&b[..n]).is_err(), "length {n}");
        }
        let mut bad = b.clone();
        bad[45 + 6 + 16] = 60;
        let e = LiveLinkPacket::decode(&bad).unwrap_err().to_string();
        assert!(e.contains("byte 67") && e.contains("value count 60"), "{e}");
        let mut long = b.clone();
        long.push(0);
        assert!(LiveLinkPacket::decode(&long).is_err());
        let mut neg = b;
        neg[41] = 0xFF;
        assert!(
            LiveLinkPacket::decode(&neg)
                .unwrap_err()
                .to_string()
                .contains("name length")
        );
    }

    #[test]
    fn bad_weights_are_clamped_and_counted() {
        let mut p = sample();
        let f = p.frame.as_mut().unwrap();
        f.values[0] = f32::NAN;
        f.values[1] = 1.5;
        f.values[2] = -0.1;
        f.rate_den = 0;
        let (w, fixed) = f.weights_clamped();
        assert_eq!((w[0], w[1], w[2], fixed), (0.0, 1.0, 0.0, 3));
        assert_eq!(f.rate(), Some(FrameRate::FPS_60));
        assert_eq!(f.rotations()[8], -0.25);
    }
}
