//! Takes on disk for the live stage: the start timecode kept in a C3D's `TIMECODE` group.
//!
//! Layout (as Vicon Nexus writes it): `TIMECODE:FIRST_FRAME` = hours, minutes, seconds, frames
//! (int16 ×4) of sample 0, `TIMECODE:DROP_FRAMES` (0/1), `TIMECODE:SUBFRAMESPERFRAME` (1), and
//! `TIMECODE:RATE` (float, nominal timecode frames per second; ours, read back when present).

use mocap_data::{FrameRate, Timecode, TimecodeFormat};
use mocap_formats::c3d::{C3dFile, Group, ParamData, Parameter};

/// The start timecode stored in `file`, if any (counted at its `TIMECODE:RATE`, else at the
/// usual format for the point rate).
pub fn c3d_start_timecode(file: &C3dFile) -> Option<Timecode> {
    let first = file.parameters.get("TIMECODE", "FIRST_FRAME")?.values_f64();
    if first.len() < 4 || first.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let mut format = TimecodeFormat::for_rate(file.points.rate);
    if let Some(r) = file
        .parameters
        .get("TIMECODE", "RATE")
        .and_then(Parameter::first_f64)
        .filter(|r| r.is_finite() && *r >= 1.0 && *r < 10_000.0)
    {
        format.nominal_fps = r.round() as u32;
    }
    if let Some(d) = file
        .parameters
        .get("TIMECODE", "DROP_FRAMES")
        .and_then(Parameter::first_f64)
    {
        format.drop_frame = d != 0.0 && (format.nominal_fps == 30 || format.nominal_fps == 60);
    }
    let tc = Timecode {
        hours: first[0] as u8,
        minutes: first[1] as u8,
        seconds: first[2] as u8,
        frames: first[3] as u32,
        format,
    };
    (tc.hours < 24 && tc.minutes < 60 && tc.seconds < 60 && tc.frames < format.nominal_fps)
        .then_some(tc)
}

/// Stores `tc` as the start timecode of `file` (creates the `TIMECODE` group).
pub fn set_c3d_start_timecode(file: &mut C3dFile, tc: &Timecode) {
    if file.parameters.group("TIMECODE").is_none() {
        let id = file
            .parameters
            .groups
            .iter()
            .map(|g| g.id)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        file.parameters
            .groups
            .push(Group::new(id, "TIMECODE", "Timecode of the first frame"));
    }
    let int = |v: i64| v.clamp(i16::MIN as i64, i16::MAX as i64) as i16;
    let p = &mut file.parameters;
    p.set(
        "TIMECODE",
        Parameter::new(
            "FIRST_FRAME",
            "Hours, minutes, seconds, frames of the first frame",
            ParamData::Int(vec![
                tc.hours as i16,
                tc.minutes as i16,
                tc.seconds as i16,
                int(tc.frames as i64),
            ]),
        ),
    );
    p.set(
        "TIMECODE",
        Parameter::new(
            "DROP_FRAMES",
            "1 for drop-frame timecode",
            ParamData::Int(vec![tc.format.drop_frame as i16]),
        ),
    );
    p.set(
        "TIMECODE",
        Parameter::new(
            "SUBFRAMESPERFRAME",
            "Sub-frames per timecode frame",
            ParamData::Int(vec![1]),
        ),
    );
    p.set(
        "TIMECODE",
        Parameter::new(
            "RATE",
            "Nominal timecode frames per second",
            ParamData::Float(vec![tc.format.nominal_fps as f32]),
        ),
    );
}

/// The usual timecode format for `rate` (see [`TimecodeFormat::for_rate`]).
pub fn timecode_format(rate: FrameRate) -> TimecodeFormat {
    TimecodeFormat::for_rate(rate)
}
