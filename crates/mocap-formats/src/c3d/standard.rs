//! What the C3D standard says a writer must store, where our reader tolerates more: the
//! standard numeric types of the POINT/ANALOG/FORCE_PLATFORM parameters, analog offsets that
//! every reader decodes alike, and an `ANALOG:RATE` whose ratio to `POINT:RATE` is exact.

use super::params::{ParamData, Parameter, Parameters};

/// Parameters the C3D standard (C3D.org user guide, "The POINT/ANALOG/FORCE_PLATFORM groups")
/// stores as 16-bit integers. Readers such as py-c3d fetch them with fixed-width accessors and
/// refuse other types.
const STANDARD_INTS: [(&str, &str); 9] = [
    ("POINT", "USED"),
    ("POINT", "DATA_START"),
    ("ANALOG", "USED"),
    ("ANALOG", "OFFSET"),
    ("FORCE_PLATFORM", "USED"),
    ("FORCE_PLATFORM", "TYPE"),
    ("FORCE_PLATFORM", "ZERO"),
    ("FORCE_PLATFORM", "CHANNEL"),
    ("EVENT", "USED"),
];

/// Parameters the standard stores as 32-bit floats.
const STANDARD_FLOATS: [(&str, &str); 7] = [
    ("POINT", "SCALE"),
    ("POINT", "RATE"),
    ("ANALOG", "SCALE"),
    ("ANALOG", "GEN_SCALE"),
    ("ANALOG", "RATE"),
    ("FORCE_PLATFORM", "CORNERS"),
    ("FORCE_PLATFORM", "ORIGIN"),
];

/// Rewrites the standard parameters that a file stores in another numeric type (our reader
/// tolerates e.g. a float `ANALOG:OFFSET` or a byte `POINT:USED`; the standard and py-c3d do
/// not) in the standard type. Non-integer values are rounded; the analog calibration is derived
/// afterwards, so the data are encoded against what the file will say. Character data and
/// values that do not fit are left alone.
pub(super) fn standardise_types(params: &mut Parameters) {
    let unsigned = params
        .get("ANALOG", "FORMAT")
        .and_then(Parameter::string)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("UNSIGNED"));
    for (g, n) in STANDARD_INTS {
        let Some(p) = params.get_mut(g, n) else {
            continue;
        };
        let values: Vec<f64> = match &p.data {
            ParamData::Float(v) => v.iter().map(|&x| x as f64).collect(),
            ParamData::Byte(v) => v.iter().map(|&x| x as f64).collect(),
            _ => continue,
        };
        // Counts and unsigned offsets use the full 16 bits (read back with `count`).
        let wide = !(g == "ANALOG" && n == "OFFSET") || unsigned;
        let (lo, hi) = if wide {
            (i16::MIN as f64, u16::MAX as f64)
        } else {
            (i16::MIN as f64, i16::MAX as f64)
        };
        if values
            .iter()
            .any(|v| !v.is_finite() || v.round() < lo || v.round() > hi)
        {
            continue;
        }
        p.data = ParamData::Int(
            values
                .iter()
                .map(|v| {
                    let r = v.round();
                    if r > i16::MAX as f64 {
                        r as u16 as i16
                    } else {
                        r as i16
                    }
                })
                .collect(),
        );
    }
    for (g, n) in STANDARD_FLOATS {
        let Some(p) = params.get_mut(g, n) else {
            continue;
        };
        p.data = match &p.data {
            ParamData::Int(v) => ParamData::Float(v.iter().map(|&x| x as f32).collect()),
            ParamData::Byte(v) => ParamData::Float(v.iter().map(|&x| x as f32).collect()),
            _ => continue,
        };
    }
}

/// Float storage: re-bases to 0 every `ANALOG:OFFSET` that readers decode differently, so that
/// each reads the same values. With `ANALOG:FORMAT = UNSIGNED` an offset above 32 767 is stored
/// with the sign bit set (ezc3d reads it signed, py-c3d and we unsigned); a signed −32 768 is
/// read as +32 768 by us (a common unsigned offset written without the FORMAT flag) and as
/// −32 768 by the peers. In float storage the offset is only a constant subtracted from float
/// words, so 0 loses nothing: the words are encoded against the new offset.
pub(super) fn unambiguous_offsets(params: &mut Parameters) {
    let unsigned = params
        .get("ANALOG", "FORMAT")
        .and_then(Parameter::string)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("UNSIGNED"));
    if let Some(p) = params.get_mut("ANALOG", "OFFSET")
        && let ParamData::Int(v) = &mut p.data
    {
        for x in v.iter_mut() {
            if (unsigned && *x < 0) || *x == i16::MIN {
                *x = 0;
            }
        }
    }
}

/// The float ANALOG:RATE (samples per second) whose ratio to `point` (POINT:RATE, frames per
/// second) is exactly `spf` in double precision, as py-c3d checks; the nearest float to the
/// product when no float within 16 steps has that property.
pub(super) fn analog_rate_for(point: f32, spf: usize) -> f32 {
    let exact = |x: f32| x as f64 / point as f64 == spf as f64;
    let guess = (point as f64 * spf as f64) as f32;
    let (mut up, mut down) = (guess, guess);
    for _ in 0..16 {
        if exact(up) {
            return up;
        }
        if exact(down) {
            return down;
        }
        up = up.next_up();
        down = down.next_down();
    }
    guess
}
