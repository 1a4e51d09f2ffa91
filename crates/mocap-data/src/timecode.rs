//! SMPTE timecode, including 29.97 and 59.94 drop-frame.

use crate::{DataError, FrameRate};
use serde::{Deserialize, Serialize};

/// How frames are counted in a timecode: the nominal integer frames per second and whether
/// frame numbers are dropped (SMPTE 12M drop-frame, only for 30 and 60 nominal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TimecodeFormat {
    /// Frames per timecode second (24, 25, 30, 50, 60, …; 30 for 29.97).
    pub nominal_fps: u32,
    /// Drop-frame counting: frame numbers 0–1 (0–3 at 60) are skipped at the start of every
    /// minute except every tenth. Only valid with nominal 30 or 60.
    pub drop_frame: bool,
}

impl TimecodeFormat {
    /// Non-drop-frame counting at `fps` frames per timecode second.
    pub fn ndf(fps: u32) -> Self {
        Self {
            nominal_fps: fps.max(1),
            drop_frame: false,
        }
    }

    /// The usual format for a rate: drop-frame for 29.97 and 59.94, non-drop otherwise.
    pub fn for_rate(rate: FrameRate) -> Self {
        let nominal_fps = rate.nominal_fps();
        Self {
            nominal_fps,
            drop_frame: rate.is_ntsc() && (nominal_fps == 30 || nominal_fps == 60),
        }
    }

    fn dropped_per_minute(self) -> i64 {
        if self.drop_frame {
            (self.nominal_fps / 15) as i64
        } else {
            0
        }
    }

    /// Frames in 24 hours of timecode in this format.
    pub fn frames_per_day(self) -> i64 {
        let fps = self.nominal_fps as i64;
        let drop = self.dropped_per_minute();
        24 * (60 * 60 * fps - 54 * drop)
    }
}

/// A SMPTE timecode `HH:MM:SS:FF` (`HH:MM:SS;FF` when drop-frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Timecode {
    /// Hours, 0–23.
    pub hours: u8,
    /// Minutes, 0–59.
    pub minutes: u8,
    /// Seconds, 0–59.
    pub seconds: u8,
    /// Frames within the second, 0 to nominal fps − 1.
    pub frames: u32,
    /// The counting format this timecode is expressed in.
    pub format: TimecodeFormat,
}

impl Timecode {
    /// The timecode of the `frame`-th frame counted from 00:00:00:00 (wraps at 24 hours;
    /// negative counts wrap backwards).
    pub fn from_frame_count(frame: i64, format: TimecodeFormat) -> Self {
        let fps = format.nominal_fps as i64;
        let mut n = frame.rem_euclid(format.frames_per_day());
        if format.drop_frame {
            let drop = format.dropped_per_minute();
            let per_10min = 10 * 60 * fps - 9 * drop;
            let per_min = 60 * fps - drop;
            let d = n / per_10min;
            let m = n % per_10min;
            n += 9 * drop * d;
            if m > drop {
                n += drop * ((m - drop) / per_min);
            }
        }
        let frames = (n % fps) as u32;
        let total_s = n / fps;
        Self {
            hours: ((total_s / 3600) % 24) as u8,
            minutes: ((total_s / 60) % 60) as u8,
            seconds: (total_s % 60) as u8,
            frames,
            format,
        }
    }

    /// The number of frames since 00:00:00:00.
    pub fn to_frame_count(&self) -> i64 {
        let fps = self.format.nominal_fps as i64;
        let total_minutes = 60 * self.hours as i64 + self.minutes as i64;
        let base = (3600 * self.hours as i64 + 60 * self.minutes as i64 + self.seconds as i64)
            * fps
            + self.frames as i64;
        base - self.format.dropped_per_minute() * (total_minutes - total_minutes / 10)
    }

    /// Parses `HH:MM:SS:FF`, `HH:MM:SS;FF` or `HH:MM:SS.FF`. A `;` (or `,`) before the frames
    /// means drop-frame and is only accepted for nominal 30/60 fps formats; `format.drop_frame`
    /// is then set accordingly.
    pub fn parse(text: &str, nominal_fps: u32) -> Result<Self, DataError> {
        let err = |reason: &str| DataError::InvalidTimecode {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim();
        let drop_frame = t.contains(';') || t.contains(',');
        let parts: Vec<&str> = t.split([':', ';', ',', '.']).collect();
        if parts.len() != 4 {
            return Err(err("expected HH:MM:SS:FF"));
        }
        let mut v = [0u32; 4];
        for (slot, p) in v.iter_mut().zip(&parts) {
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("each field must be 1-3 digits"));
            }
            *slot = p.parse().map_err(|_| err("not a number"))?;
        }
        let format = TimecodeFormat {
            nominal_fps: nominal_fps.max(1),
            drop_frame,
        };
        if drop_frame && !(nominal_fps == 30 || nominal_fps == 60) {
            return Err(err("drop-frame (;) exists only at 29.97 and 59.94"));
        }
        if v[0] > 23 || v[1] > 59 || v[2] > 59 {
            return Err(err("hours ≤ 23, minutes ≤ 59, seconds ≤ 59"));
        }
        if v[3] >= format.nominal_fps {
            return Err(err("frames must be below the frame rate"));
        }
        if drop_frame && v[2] == 0 && v[1] % 10 != 0 && (v[3] as i64) < format.dropped_per_minute()
        {
            return Err(err("this frame number is dropped in drop-frame timecode"));
        }
        Ok(Self {
            hours: v[0] as u8,
            minutes: v[1] as u8,
            seconds: v[2] as u8,
            frames: v[3],
            format,
        })
    }
}

impl std::fmt::Display for Timecode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sep = if self.format.drop_frame { ';' } else { ':' };
        let width = if self.format.nominal_fps > 100 { 3 } else { 2 };
        write!(
            f,
            "{:02}:{:02}:{:02}{sep}{:0width$}",
            self.hours, self.minutes, self.seconds, self.frames
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DF30: TimecodeFormat = TimecodeFormat {
        nominal_fps: 30,
        drop_frame: true,
    };
    const DF60: TimecodeFormat = TimecodeFormat {
        nominal_fps: 60,
        drop_frame: true,
    };

    #[test]
    fn drop_frame_known_values() {
        // The frame after 00:00:59;29 is 00:01:00;02 in 29.97 DF.
        let tc = Timecode::from_frame_count(1800, DF30);
        assert_eq!(tc.to_string(), "00:01:00;02");
        assert_eq!(
            Timecode::from_frame_count(1799, DF30).to_string(),
            "00:00:59;29"
        );
        // Ten minutes is 17982 frames and no frames are dropped at minute 10.
        assert_eq!(
            Timecode::from_frame_count(17982, DF30).to_string(),
            "00:10:00;00"
        );
        // One hour of 29.97 DF is 107892 frames.
        assert_eq!(
            Timecode::parse("01:00:00;00", 30).unwrap().to_frame_count(),
            107_892
        );
        assert_eq!(
            Timecode::from_frame_count(107_892 * 2, DF60).to_string(),
            "01:00:00;00"
        );
        assert!(Timecode::parse("00:01:00;01", 30).is_err());
        assert!(Timecode::parse("00:10:00;00", 30).is_ok());
        assert!(Timecode::parse("00:00:00;00", 25).is_err());
    }

    #[test]
    fn non_drop_values() {
        let f = TimecodeFormat::ndf(25);
        assert_eq!(
            Timecode::from_frame_count(90_000, f).to_string(),
            "01:00:00:00"
        );
        assert_eq!(
            Timecode::parse("01:00:00:00", 25).unwrap().to_frame_count(),
            90_000
        );
        assert_eq!(Timecode::from_frame_count(-1, f).to_string(), "23:59:59:24");
        assert!(Timecode::parse("01:00:00:25", 25).is_err());
        assert!(Timecode::parse("1:2:3", 25).is_err());
        assert_eq!(TimecodeFormat::for_rate(FrameRate::FPS_29_97), DF30);
        assert!(!TimecodeFormat::for_rate(FrameRate::FPS_23_976).drop_frame);
    }

    proptest! {
        #[test]
        fn frame_count_round_trips(n in 0i64..(24 * 107_892), fps in prop::sample::select(vec![24u32, 25, 30, 50, 60])) {
            for df in [false, true] {
                if df && fps != 30 && fps != 60 { continue; }
                let fmt = TimecodeFormat { nominal_fps: fps, drop_frame: df };
                let n = n % fmt.frames_per_day();
                let tc = Timecode::from_frame_count(n, fmt);
                prop_assert_eq!(tc.to_frame_count(), n);
                let parsed = Timecode::parse(&tc.to_string(), fps).unwrap();
                prop_assert_eq!(parsed, tc);
            }
        }
    }
}
