//! JSON face takes (see [`crate::face`] for the layout and the bad-input rules).

use crate::FormatError;
use crate::face::{FaceLayout, FaceReadOptions, FaceTake, Slot, assemble, at};
use mocap_data::face::normalize_name;
use mocap_data::{Curve, FaceCurves, FrameRate, Timecode, TimecodeFormat};

/// Reads a JSON face take (see the module docs) from memory.
pub fn read_json(bytes: &[u8], opts: FaceReadOptions) -> Result<FaceTake, FormatError> {
    use serde_json::Value;
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| at(e.line(), Some(e.column()), format!("not valid JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| at(1, None, "expected a JSON object with \"blendshapes\""))?;
    let mut warnings = Vec::new();
    let mut rate_inferred = false;
    let rate = match (opts.rate, obj.get("frame_rate")) {
        (Some(r), _) => r,
        (None, Some(Value::Number(n))) => n
            .as_f64()
            .ok_or(())
            .and_then(|hz| FrameRate::from_hz(hz).map_err(|_| ()))
            .map_err(|_| at(1, None, format!("frame_rate {n} is not a usable rate")))?,
        (None, Some(Value::String(s))) => {
            let (n, d) = s.split_once('/').unwrap_or((s, "1"));
            match (n.trim().parse(), d.trim().parse()) {
                (Ok(n), Ok(d)) => FrameRate::new(n, d).map_err(|e| at(1, None, e.to_string()))?,
                _ => return Err(at(1, None, format!("frame_rate {s:?} is not N or N/D"))),
            }
        }
        _ => {
            rate_inferred = true;
            warnings.push("no frame_rate: 60 fps assumed".to_string());
            FrameRate::FPS_60
        }
    };
    let start_timecode = match obj.get("start_timecode") {
        Some(Value::String(s)) => Some(
            Timecode::parse(s, TimecodeFormat::for_rate(rate).nominal_fps)
                .map_err(|e| at(1, None, e.to_string()))?,
        ),
        _ => None,
    };
    let mut slots = Vec::new();
    let mut values = Vec::new();
    let mut column = 0;
    for key in ["blendshapes", "curves", "rotations"] {
        let Some(map) = obj.get(key) else { continue };
        let map = map
            .as_object()
            .ok_or_else(|| at(1, None, format!("\"{key}\" must map names to arrays")))?;
        for (name, arr) in map {
            let arr = arr.as_array().ok_or_else(|| {
                at(
                    1,
                    None,
                    format!("\"{key}\".\"{name}\" must be an array of numbers"),
                )
            })?;
            let channel = normalize_name(name);
            if channel.is_none() {
                warnings.push(format!(
                    "curve {name:?} is no ARKit channel: kept under its own name"
                ));
            }
            let canon = channel.map_or(name.clone(), |c| c.name().to_string());
            if slots.iter().any(|s: &Slot| s.name == canon) {
                return Err(at(
                    1,
                    None,
                    format!("curve {name:?} appears twice ({canon})"),
                ));
            }
            let mut vals = Vec::with_capacity(arr.len());
            for (i, x) in arr.iter().enumerate() {
                vals.push(match x {
                    Value::Null => f32::NAN,
                    Value::Number(n) => n.as_f64().unwrap_or(f64::NAN) as f32,
                    _ => {
                        return Err(at(1, None, format!("\"{name}\"[{i}] is not a number")));
                    }
                });
            }
            if let Some(first) = values.first().map(Vec::len)
                && first != vals.len()
            {
                return Err(at(
                    1,
                    None,
                    format!(
                        "curve {name:?} has {} values, others have {first}",
                        vals.len()
                    ),
                ));
            }
            slots.push(Slot {
                channel,
                name: canon,
                column,
            });
            column += 1;
            values.push(vals);
        }
    }
    if slots.iter().all(|s| s.channel.is_none()) {
        return Err(at(
            1,
            None,
            "no ARKit curve in \"blendshapes\" (names such as jawOpen)",
        ));
    }
    let (blendshapes, rotations) = assemble(slots, values, &mut warnings, |f| format!("frame {f}"));
    let curves = FaceCurves::new(rate, start_timecode, blendshapes, rotations)
        .map_err(|e| at(1, None, e.to_string()))?;
    Ok(FaceTake {
        curves,
        layout: FaceLayout::Json,
        rate_inferred,
        warnings,
    })
}

/// Writes the JSON layout [`read_json`] reads.
pub fn to_json(curves: &FaceCurves) -> String {
    use serde_json::{Map, Value, json};
    let group = |cs: &[Curve]| {
        let mut m = Map::new();
        for c in cs {
            m.insert(c.name.clone(), json!(c.values));
        }
        Value::Object(m)
    };
    let rate = if curves.rate.den() == 1 {
        json!(curves.rate.num())
    } else {
        json!(format!("{}/{}", curves.rate.num(), curves.rate.den()))
    };
    json!({
        "frame_rate": rate,
        "start_timecode": curves.start_timecode.map(|t| t.to_string()),
        "blendshapes": group(&curves.blendshapes),
        "rotations": group(&curves.rotations),
    })
    .to_string()
}
