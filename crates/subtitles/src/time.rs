//! Exact conversions between milliseconds, frames and SMPTE timecode; snapping; frame-rate
//! conversion as a speed change or as a re-timing; timecode offsets.
//!
//! All arithmetic is integer (i128 intermediates), rounding half away from zero, so results
//! do not drift: a frame → ms → frame round trip is the identity at every supported rate.

use crate::error::{Result, SubError};
use crate::model::{Time, Track};
use mocap_data::{FrameRate, Timecode, TimecodeFormat};

/// Rounds `n / d` to the nearest integer, half away from zero (`d` > 0).
fn div_round(n: i128, d: i128) -> i128 {
    if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    }
}

/// Floors `n / d` (`d` > 0).
fn div_floor(n: i128, d: i128) -> i128 {
    n.div_euclid(d)
}

fn clamp_i64(v: i128) -> i64 {
    v.clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

/// The frame whose start is nearest to `ms` milliseconds at `rate`.
pub fn ms_to_frame_round(ms: i64, rate: FrameRate) -> i64 {
    clamp_i64(div_round(
        ms as i128 * rate.num() as i128,
        1000 * rate.den() as i128,
    ))
}

/// The frame on screen at `ms` milliseconds at `rate` (the last frame starting at or before).
pub fn ms_to_frame_floor(ms: i64, rate: FrameRate) -> i64 {
    clamp_i64(div_floor(
        ms as i128 * rate.num() as i128,
        1000 * rate.den() as i128,
    ))
}

/// Milliseconds at the start of `frame` at `rate`, rounded to the nearest millisecond.
pub fn frame_to_ms(frame: i64, rate: FrameRate) -> i64 {
    clamp_i64(div_round(
        frame as i128 * 1000 * rate.den() as i128,
        rate.num() as i128,
    ))
}

/// `ms` moved to the nearest frame boundary at `rate` (in milliseconds).
pub fn snap_ms(ms: i64, rate: FrameRate) -> i64 {
    frame_to_ms(ms_to_frame_round(ms, rate), rate)
}

/// The frame at `to` nearest to the start of `frame` at `from` (re-timing onto a new grid).
pub fn rescale_frames(frame: i64, from: FrameRate, to: FrameRate) -> i64 {
    // t = frame · from.den / from.num seconds; frame' = t · to.num / to.den.
    clamp_i64(div_round(
        frame as i128 * from.den() as i128 * to.num() as i128,
        from.num() as i128 * to.den() as i128,
    ))
}

/// SMPTE timecode of a frame count at `rate` (drop-frame for 29.97 and 59.94).
pub fn frame_to_timecode(frame: i64, rate: FrameRate) -> Timecode {
    Timecode::from_frame_count(frame, TimecodeFormat::for_rate(rate))
}

/// SMPTE timecode of a millisecond time (the frame on screen at that time).
pub fn ms_to_timecode(ms: i64, rate: FrameRate) -> Timecode {
    frame_to_timecode(ms_to_frame_floor(ms, rate), rate)
}

/// Frame count since 00:00:00:00 of a timecode string at `rate` (`01:00:00:00`, drop-frame
/// `00:01:00;02` at 29.97).
pub fn timecode_to_frame(text: &str, rate: FrameRate) -> Result<i64> {
    let tc = Timecode::parse(text, rate.nominal_fps())
        .map_err(|e| SubError::Invalid(format!("timecode {text:?}: {e}")))?;
    Ok(tc.to_frame_count())
}

/// Milliseconds since 00:00:00:00 of a timecode string at `rate`.
pub fn timecode_to_ms(text: &str, rate: FrameRate) -> Result<i64> {
    Ok(frame_to_ms(timecode_to_frame(text, rate)?, rate))
}

/// Parses a frame rate: `23.976`, `24`, `25`, `29.97`, `30`, `50`, `59.94`, `60`, or `N/D`.
pub fn parse_rate(text: &str) -> Result<FrameRate> {
    let t = text.trim();
    let bad = || {
        SubError::Invalid(format!(
            "frame rate {text:?}: use e.g. 23.976, 24, 25, 29.97, 30, 50, 59.94, 60 or 30000/1001"
        ))
    };
    if let Some((n, d)) = t.split_once('/') {
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        let d: u32 = d.trim().parse().map_err(|_| bad())?;
        return FrameRate::new(n, d).map_err(|_| bad());
    }
    let hz: f64 = t.parse().map_err(|_| bad())?;
    if !(hz.is_finite() && hz > 0.0 && hz <= 1000.0) {
        return Err(bad());
    }
    FrameRate::from_hz(hz).map_err(|_| bad())
}

/// Moves a time by a frame-rate change played as a speed change (e.g. PAL slowdown 25 →
/// 23.976: each frame keeps its number, so times grow by 25/23.976).
pub fn speed_change(t: Time, from: FrameRate, to: FrameRate) -> Time {
    match t {
        Time::Frames { frame, rate } if rate == from => Time::Frames { frame, rate: to },
        other => {
            let ms = other.ms();
            // ms' = ms · (from/to) = ms · from.num · to.den / (from.den · to.num)
            Time::Ms(clamp_i64(div_round(
                ms as i128 * from.num() as i128 * to.den() as i128,
                from.den() as i128 * to.num() as i128,
            )))
        }
    }
}

/// Re-times onto a new frame grid: the same moment, snapped to the nearest frame at `to`.
pub fn retime(t: Time, to: FrameRate) -> Time {
    Time::Frames {
        frame: t.frame_at(to),
        rate: to,
    }
}

/// Applies [`speed_change`] to every cue of a track.
pub fn speed_change_track(track: &mut Track, from: FrameRate, to: FrameRate) {
    for c in &mut track.cues {
        c.start = speed_change(c.start, from, to);
        c.end = speed_change(c.end, from, to);
    }
}

/// Applies [`retime`] to every cue of a track.
pub fn retime_track(track: &mut Track, to: FrameRate) {
    for c in &mut track.cues {
        c.start = retime(c.start, to);
        c.end = retime(c.end, to);
    }
}

/// Shifts a time by `delta_frames` frames at `rate` (exact when `t` counts frames at `rate`).
pub fn shift_frames(t: Time, delta_frames: i64, rate: FrameRate) -> Time {
    match t {
        Time::Frames { frame, rate: r } if r == rate => Time::Frames {
            frame: frame.saturating_add(delta_frames),
            rate,
        },
        other => Time::Ms(other.ms().saturating_add(frame_to_ms(delta_frames, rate))),
    }
}

/// Makes a track's times relative to a take starting at timecode `start_tc` (e.g. subtitles
/// timed against `01:00:00:00` record timecode become 0-based): subtracts the timecode.
pub fn remove_timecode_offset(track: &mut Track, start_tc: &str, rate: FrameRate) -> Result<()> {
    let f = timecode_to_frame(start_tc, rate)?;
    for c in &mut track.cues {
        c.start = shift_frames(c.start, -f, rate);
        c.end = shift_frames(c.end, -f, rate);
    }
    Ok(())
}

/// The inverse of [`remove_timecode_offset`]: times become record-timecode based.
pub fn add_timecode_offset(track: &mut Track, start_tc: &str, rate: FrameRate) -> Result<()> {
    let f = timecode_to_frame(start_tc, rate)?;
    for c in &mut track.cues {
        c.start = shift_frames(c.start, f, rate);
        c.end = shift_frames(c.end, f, rate);
    }
    Ok(())
}

/// The frame rates the studio delivers at.
pub const DELIVERY_RATES: [FrameRate; 8] = [
    FrameRate::FPS_23_976,
    FrameRate::FPS_24,
    FrameRate::FPS_25,
    FrameRate::FPS_29_97,
    FrameRate::FPS_30,
    FrameRate::FPS_50,
    FrameRate::FPS_59_94,
    FrameRate::FPS_60,
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_values() {
        // 1 hour at 29.97 DF is 107 892 frames and 3 600 000 ms of timecode-time ≈ 3603.6 s real.
        assert_eq!(
            timecode_to_frame("01:00:00;00", FrameRate::FPS_29_97).ok(),
            Some(107_892)
        );
        assert_eq!(frame_to_ms(107_892, FrameRate::FPS_29_97), 3_599_996);
        assert_eq!(frame_to_ms(24, FrameRate::FPS_23_976), 1001);
        assert_eq!(ms_to_frame_round(1001, FrameRate::FPS_23_976), 24);
        assert_eq!(
            ms_to_timecode(3_600_000, FrameRate::FPS_25).to_string(),
            "01:00:00:00"
        );
        assert_eq!(
            frame_to_timecode(1800, FrameRate::FPS_29_97).to_string(),
            "00:01:00;02"
        );
        // PAL slowdown: 25 → 23.976 scales times by 25·1001/24000.
        assert_eq!(
            speed_change(Time::Ms(24_000), FrameRate::FPS_25, FrameRate::FPS_23_976),
            Time::Ms(25_025)
        );
        assert_eq!(
            retime(Time::Ms(1000), FrameRate::FPS_23_976),
            Time::Frames {
                frame: 24,
                rate: FrameRate::FPS_23_976
            }
        );
        assert_eq!(parse_rate("29.97").ok(), Some(FrameRate::FPS_29_97));
        assert!(parse_rate("abc").is_err());
        assert!(parse_rate("0").is_err());
    }

    #[test]
    fn take_offset() {
        let mut t = Track::new(crate::Format::Srt);
        t.cues.push(crate::Cue::new("1", 3_600_000, 3_602_000, "x"));
        remove_timecode_offset(&mut t, "01:00:00:00", FrameRate::FPS_25).expect("valid tc");
        assert_eq!((t.cues[0].start_ms(), t.cues[0].end_ms()), (0, 2000));
        add_timecode_offset(&mut t, "01:00:00:00", FrameRate::FPS_25).expect("valid tc");
        assert_eq!(t.cues[0].start_ms(), 3_600_000);
    }

    fn rate() -> impl Strategy<Value = FrameRate> {
        (0usize..DELIVERY_RATES.len()).prop_map(|i| DELIVERY_RATES[i])
    }

    proptest! {
        #[test]
        fn frame_ms_frame_is_identity(f in -10_000_000i64..10_000_000, r in rate()) {
            prop_assert_eq!(ms_to_frame_round(frame_to_ms(f, r), r), f);
        }

        #[test]
        fn snapping_is_idempotent_and_close(ms in -100_000_000i64..100_000_000, r in rate()) {
            let s = snap_ms(ms, r);
            prop_assert_eq!(snap_ms(s, r), s);
            // Within half a frame (+1 ms of rounding).
            let half = (500 * r.den() as i64) / r.num() as i64 + 1;
            prop_assert!((s - ms).abs() <= half);
        }

        #[test]
        fn floor_is_at_or_before(ms in 0i64..100_000_000, r in rate()) {
            let f = ms_to_frame_floor(ms, r);
            prop_assert!(f * 1000 * r.den() as i64 <= ms * r.num() as i64);
            prop_assert!((f + 1) * 1000 * r.den() as i64 > ms * r.num() as i64);
        }

        #[test]
        fn timecode_round_trip(f in 0i64..2_000_000, r in rate()) {
            let tc = frame_to_timecode(f, r);
            prop_assert_eq!(timecode_to_frame(&tc.to_string(), r).ok(), Some(f));
        }

        #[test]
        fn speed_change_inverts(ms in 0i64..50_000_000, a in rate(), b in rate()) {
            let there = speed_change(Time::Ms(ms), a, b);
            let back = speed_change(there, b, a).ms();
            // One rounding each way: within 1 ms.
            prop_assert!((back - ms).abs() <= 1);
            let f = Time::Frames { frame: ms / 40, rate: a };
            prop_assert_eq!(speed_change(speed_change(f, a, b), b, a), f);
        }

        #[test]
        fn retime_lands_within_half_frame(f in 0i64..5_000_000, a in rate(), b in rate()) {
            let t = Time::Frames { frame: f, rate: a };
            let r = retime(t, b);
            let err = (r.ms() - t.ms()).abs();
            prop_assert!(err <= (500 * b.den() as i64) / b.num() as i64 + 1);
        }
    }
}
