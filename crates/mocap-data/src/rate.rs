//! Exact frame rates.

use crate::DataError;
use serde::{Deserialize, Serialize};

/// A 0-based sample index into a take (frame 0 is the first stored sample, whatever the file's
/// own first frame number is).
pub type FrameIndex = usize;

/// A frame rate as an exact, reduced rational `num / den` frames per second.
///
/// NTSC-family rates are exact: 23.976 is `24000/1001`, 29.97 is `30000/1001`,
/// 119.88 is `120000/1001`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FrameRate {
    num: u32,
    den: u32,
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl FrameRate {
    /// 23.976 (24000/1001) frames per second.
    pub const FPS_23_976: Self = Self {
        num: 24000,
        den: 1001,
    };
    /// 24 frames per second.
    pub const FPS_24: Self = Self { num: 24, den: 1 };
    /// 25 frames per second (PAL).
    pub const FPS_25: Self = Self { num: 25, den: 1 };
    /// 29.97 (30000/1001) frames per second (NTSC).
    pub const FPS_29_97: Self = Self {
        num: 30000,
        den: 1001,
    };
    /// 30 frames per second.
    pub const FPS_30: Self = Self { num: 30, den: 1 };
    /// 50 frames per second.
    pub const FPS_50: Self = Self { num: 50, den: 1 };
    /// 59.94 (60000/1001) frames per second.
    pub const FPS_59_94: Self = Self {
        num: 60000,
        den: 1001,
    };
    /// 60 frames per second.
    pub const FPS_60: Self = Self { num: 60, den: 1 };
    /// 119.88 (120000/1001) frames per second.
    pub const FPS_119_88: Self = Self {
        num: 120000,
        den: 1001,
    };
    /// 120 frames per second (common optical capture rate).
    pub const FPS_120: Self = Self { num: 120, den: 1 };
    /// 240 frames per second.
    pub const FPS_240: Self = Self { num: 240, den: 1 };

    /// An exact rate `num / den` frames per second, reduced. Errors on a zero part.
    pub fn new(num: u32, den: u32) -> Result<Self, DataError> {
        if num == 0 || den == 0 {
            return Err(DataError::InvalidRate(format!("{num}/{den}")));
        }
        let g = gcd(num as u64, den as u64) as u32;
        Ok(Self {
            num: num / g,
            den: den / g,
        })
    }

    /// An integer rate in frames per second.
    pub fn integer(fps: u32) -> Result<Self, DataError> {
        Self::new(fps, 1)
    }

    /// Interprets a rate given in Hz as a float (as files store it).
    ///
    /// Values within 0.01 % of an NTSC rate `n·1000/1001` become that exact rational; values
    /// within 1e-6 relative of an integer become the integer; anything else becomes the nearest
    /// rational with denominator 1000 (65.053 Hz → 65053/1000).
    pub fn from_hz(hz: f64) -> Result<Self, DataError> {
        if !hz.is_finite() || hz <= 0.0 || hz > 1.0e7 {
            return Err(DataError::InvalidRate(format!("{hz}")));
        }
        let rounded = hz.round();
        if rounded >= 1.0 && ((hz - rounded) / hz).abs() < 1e-6 {
            return Self::new(rounded as u32, 1);
        }
        let ntsc_n = (hz * 1001.0 / 1000.0).round();
        if ntsc_n >= 1.0 {
            let ntsc = ntsc_n * 1000.0 / 1001.0;
            if ((hz - ntsc) / hz).abs() < 1e-4 {
                return Self::new(ntsc_n as u32 * 1000, 1001);
            }
        }
        let num = (hz * 1000.0).round();
        if num < 1.0 {
            return Err(DataError::InvalidRate(format!("{hz}")));
        }
        Self::new(num as u32, 1000)
    }

    /// Numerator (frames).
    pub fn num(self) -> u32 {
        self.num
    }

    /// Denominator (seconds).
    pub fn den(self) -> u32 {
        self.den
    }

    /// The rate in frames per second as a float.
    pub fn hz(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Duration of one frame in seconds.
    pub fn frame_duration_s(self) -> f64 {
        self.den as f64 / self.num as f64
    }

    /// Whether this is an NTSC-family rate (`n·1000/1001`).
    pub fn is_ntsc(self) -> bool {
        self.den == 1001
    }

    /// The integer frame count per timecode second: 30 for 29.97, 24 for 23.976, 65 for 65.053.
    pub fn nominal_fps(self) -> u32 {
        (self.num as f64 / self.den as f64).round().max(1.0) as u32
    }

    /// Seconds at the start of frame `frame` (exact to f64 precision; frames may be negative).
    pub fn frames_to_seconds(self, frame: i64) -> f64 {
        frame as f64 * self.den as f64 / self.num as f64
    }

    /// The frame containing time `seconds` (floor), computed without accumulating error.
    pub fn seconds_to_frame_floor(self, seconds: f64) -> i64 {
        // Small epsilon so that frames_to_seconds(n) maps back to n despite rounding.
        (seconds * self.num as f64 / self.den as f64 + 1e-9).floor() as i64
    }

    /// The nearest frame to time `seconds`.
    pub fn seconds_to_frame_round(self, seconds: f64) -> i64 {
        (seconds * self.num as f64 / self.den as f64).round() as i64
    }

    /// Exact milliseconds (rounded to nearest) at the start of `frame`.
    pub fn frames_to_ms(self, frame: i64) -> i64 {
        let n = frame as i128 * 1000 * self.den as i128;
        let d = self.num as i128;
        // Round half away from zero.
        let q = if n >= 0 {
            (2 * n + d) / (2 * d)
        } else {
            -((-2 * n + d) / (2 * d))
        };
        q as i64
    }
}

impl Default for FrameRate {
    fn default() -> Self {
        Self::FPS_120
    }
}

impl std::fmt::Display for FrameRate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            let hz = self.hz();
            write!(f, "{}", (hz * 1000.0).round() / 1000.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_ntsc_rates() {
        assert_eq!(FrameRate::from_hz(23.976).unwrap(), FrameRate::FPS_23_976);
        assert_eq!(FrameRate::from_hz(29.97).unwrap(), FrameRate::FPS_29_97);
        assert_eq!(FrameRate::from_hz(59.94).unwrap(), FrameRate::FPS_59_94);
        assert_eq!(FrameRate::from_hz(119.88).unwrap(), FrameRate::FPS_119_88);
        assert_eq!(FrameRate::from_hz(120.0).unwrap(), FrameRate::FPS_120);
        assert_eq!(
            FrameRate::from_hz(1.0 / 0.0083333).unwrap(),
            FrameRate::FPS_120
        );
        assert_eq!(
            FrameRate::from_hz(65.053).unwrap(),
            FrameRate::new(65053, 1000).unwrap()
        );
        assert!(FrameRate::from_hz(0.0).is_err());
        assert!(FrameRate::from_hz(f64::NAN).is_err());
        assert!(FrameRate::new(1, 0).is_err());
    }

    #[test]
    fn display_and_nominal() {
        assert_eq!(FrameRate::FPS_29_97.to_string(), "29.97");
        assert_eq!(FrameRate::FPS_23_976.to_string(), "23.976");
        assert_eq!(FrameRate::FPS_120.to_string(), "120");
        assert_eq!(FrameRate::FPS_29_97.nominal_fps(), 30);
        assert_eq!(FrameRate::FPS_23_976.nominal_fps(), 24);
    }

    #[test]
    fn frame_time_conversions() {
        let r = FrameRate::FPS_29_97;
        // One hour of 29.97 is 107892 frames (and 3600 s exactly is 107892.107...).
        assert_eq!(r.seconds_to_frame_floor(3600.0), 107892);
        assert_eq!(r.frames_to_ms(30000), 1_001_000);
        for n in [-5i64, 0, 1, 17, 1001, 123_456] {
            assert_eq!(r.seconds_to_frame_floor(r.frames_to_seconds(n)), n);
            assert_eq!(
                FrameRate::FPS_120.seconds_to_frame_round(FrameRate::FPS_120.frames_to_seconds(n)),
                n
            );
        }
    }
}
