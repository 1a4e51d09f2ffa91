//! The C3D writer.

use super::params::{ParamData, Parameter, Parameters, serialize_section, to_latin1};
use super::read::{analog_calibration, group_events};
use super::standard::{analog_rate_for, standardise_types, unambiguous_offsets};
use super::{C3dFile, Processor, Storage};
use crate::FormatError;
use mocap_data::{AnalogData, Event, FrameRate, LengthUnit, MarkerTrajectories, UpAxis};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Output format of [`write_with`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteOptions {
    /// Number format (default Intel).
    pub processor: Processor,
    /// Point and analog storage (default float). Integer storage quantises coordinates to
    /// `scale` (in the points' unit) and fails if a coordinate exceeds ±32 767 steps.
    pub storage: Storage,
}

impl Default for WriteOptions {
    fn default() -> Self {
        Self {
            processor: Processor::Intel,
            storage: Storage::Float,
        }
    }
}

/// Writes `file` to `path` as an Intel, float-storage C3D file (errors name the path).
pub fn write_path(file: &C3dFile, path: &Path) -> Result<(), FormatError> {
    let f = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    write_impl(file, &mut w, WriteOptions::default(), path)?;
    w.flush().map_err(|e| FormatError::io(path, e))
}

/// Writes `file` as an Intel, float-storage C3D file.
///
/// The parameter section is kept; `POINT:USED/SCALE/RATE/FRAMES/DATA_START/LABELS/UNITS`,
/// `POINT:LONG_FRAMES` and `TRIAL:ACTUAL_START_FIELD/ACTUAL_END_FIELD` (beyond 65 535 frames),
/// `ANALOG:USED/LABELS/UNITS/RATE` and the `EVENT` group are updated where they disagree with
/// the data. Residuals are stored as multiples of [`C3dFile::residual_scale`] (0–255 steps) and
/// camera masks keep 7 bits.
pub fn write<W: Write>(file: &C3dFile, w: W) -> Result<(), FormatError> {
    write_impl(file, w, WriteOptions::default(), Path::new("<stream>"))
}

/// Writes `file` with the given processor and storage (e.g. DEC integer files for old tools).
pub fn write_with<W: Write>(file: &C3dFile, w: W, opts: WriteOptions) -> Result<(), FormatError> {
    write_impl(file, w, opts, Path::new("<stream>"))
}

/// Replaces `group:param` only if its data or dimensions differ.
fn set_if_changed(params: &mut Parameters, group: &str, p: Parameter) {
    if let Some(old) = params.get(group, &p.name)
        && old.data == p.data
        && old.dims == p.dims
    {
        return;
    }
    params.set(group, p);
}

/// Stores a count, keeping the existing parameter's type when it can hold the value.
fn set_count(params: &mut Parameters, group: &str, name: &str, value: u32) {
    if let Some(old) = params.get(group, name)
        && old.count() == Some(value)
    {
        return;
    }
    let data = match params.get(group, name).map(|p| &p.data) {
        Some(ParamData::Float(_)) => ParamData::Float(vec![value as f32]),
        Some(ParamData::Byte(_)) if value <= 255 => ParamData::Byte(vec![value as u8]),
        _ if value <= u16::MAX as u32 => ParamData::Int(vec![value as u16 as i16]),
        _ => ParamData::Float(vec![value as f32]),
    };
    params.set(group, Parameter::new(name, "", data));
}

/// Writes `strings` to `NAME`, `NAME2`, … (255 per parameter) unless they already read back
/// equal.
fn set_strings_multi(params: &mut Parameters, group: &str, name: &str, strings: &[String]) {
    let mut existing = params.strings_multi(group, name);
    if existing.len() < strings.len() && params.get(group, name).is_some() {
        // Missing trailing strings read back as empty ones.
        existing.resize(strings.len(), String::new());
    }
    if existing.len() >= strings.len() && existing[..strings.len()] == *strings {
        // Extra stored strings (more labels than points) are harmless and kept.
        return;
    }
    for k in 2.. {
        if !params.remove(group, &format!("{name}{k}")) {
            break;
        }
    }
    let chunks: Vec<&[String]> = if strings.is_empty() {
        vec![&[]]
    } else {
        strings.chunks(255).collect()
    };
    for (i, c) in chunks.iter().enumerate() {
        let n = if i == 0 {
            name.to_string()
        } else {
            format!("{name}{}", i + 1)
        };
        params.set(group, Parameter::from_strings(&n, "", c));
    }
}

/// What the data section needs, derived from the file and the options.
struct Plan {
    processor: Processor,
    float: bool,
    /// Signed POINT:SCALE written (negative for float storage).
    scale: f32,
    residual_scale: f32,
    /// Frame rate written to the header, equal to `POINT:RATE`'s first value (frames per second).
    rate: f32,
    frames: usize,
    points: usize,
    channels: usize,
    spf: usize,
    factor: Vec<f64>,
    offset: Vec<f64>,
    unsigned_analog: bool,
}

fn invalid(path: &Path, message: String) -> FormatError {
    FormatError::InvalidData {
        path: PathBuf::from(path),
        message,
    }
}

fn prepare(
    file: &C3dFile,
    opts: WriteOptions,
    path: &Path,
) -> Result<(Parameters, Plan), FormatError> {
    let pts = &file.points;
    let n = pts.marker_count();
    let frames = pts.frame_count();
    check_points(pts, path)?;
    let point_hz = pts.rate.hz();

    // Analog layout.
    let a = &file.analog;
    let ch = a.labels.len();
    let spf = samples_per_frame(a, frames, point_hz, path)?;

    let mut params = file.parameters.clone();
    standardise_types(&mut params);
    let (float, scale, residual_scale) = storage(file, opts, path)?;

    // POINT group.
    set_count(&mut params, "POINT", "USED", n as u32);
    set_if_changed(
        &mut params,
        "POINT",
        Parameter::new("SCALE", "", ParamData::Float(vec![scale])),
    );
    let rate = point_rate_and_frames(&mut params, pts, path)?;
    set_strings_multi(&mut params, "POINT", "LABELS", &pts.labels);
    point_units_and_axes(&mut params, pts);

    // ANALOG group.
    analog_group(&mut params, a, spf, rate);
    if (1..=255).contains(&ch) {
        pad_analog_calibration(&mut params, ch);
    }
    if float {
        unambiguous_offsets(&mut params);
    }
    let unsigned_analog = !float
        && params
            .get("ANALOG", "FORMAT")
            .and_then(Parameter::string)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("UNSIGNED"));
    let (factor, offset) = analog_calibration(&params, ch);

    // EVENT group: rewritten only if it would not read back as `file.events`.
    let mut read_back = group_events(&params);
    if read_back.is_empty() {
        read_back = header_events(file);
    }
    if read_back != file.events {
        write_event_group(&mut params, &file.events);
    }

    Ok((
        params,
        Plan {
            processor: opts.processor,
            float,
            scale,
            residual_scale,
            rate,
            frames,
            points: n,
            channels: ch,
            spf,
            factor,
            offset,
            unsigned_analog,
        },
    ))
}

/// Checks that the points fit a C3D file: marker count and first frame number.
fn check_points(pts: &MarkerTrajectories, path: &Path) -> Result<(), FormatError> {
    let n = pts.marker_count();
    if n > u16::MAX as usize {
        return Err(invalid(
            path,
            format!("{n} markers; C3D holds at most 65 535 points per frame"),
        ));
    }
    if pts.first_frame < 0 || pts.first_frame > u32::MAX as i64 {
        return Err(invalid(
            path,
            format!(
                "first frame number {} cannot be stored (C3D frame numbers are 0 to 4 294 967 295)",
                pts.first_frame
            ),
        ));
    }
    Ok(())
}

/// Analog samples per point frame, checked against the analog rate and the header's limits.
fn samples_per_frame(
    a: &AnalogData,
    frames: usize,
    point_hz: f64,
    path: &Path,
) -> Result<usize, FormatError> {
    let ch = a.labels.len();
    let spf = if ch > 0 {
        if !a.values.len().is_multiple_of(ch) {
            return Err(invalid(
                path,
                format!(
                    "{} analog values do not divide into {ch} channels",
                    a.values.len()
                ),
            ));
        }
        let samples = a.values.len() / ch;
        let spf = if frames > 0 {
            if !samples.is_multiple_of(frames) {
                return Err(invalid(
                    path,
                    format!(
                        "{samples} analog samples per channel are not a whole number per frame \
                         ({frames} frames); trim or resample the analog data"
                    ),
                ));
            }
            samples / frames
        } else {
            (a.rate_hz / point_hz).round().clamp(0.0, u16::MAX as f64) as usize
        };
        let expect = spf as f64 * point_hz;
        if spf == 0 || ((a.rate_hz - expect) / expect).abs() > 1e-3 {
            return Err(invalid(
                path,
                format!(
                    "analog rate {} Hz is not {spf} samples per frame × {point_hz} Hz; set \
                     analog.rate_hz to match the samples",
                    a.rate_hz
                ),
            ));
        }
        spf
    } else if a.rate_hz > 0.0 {
        (a.rate_hz / point_hz).round().clamp(0.0, u16::MAX as f64) as usize
    } else {
        0
    };
    let analog_total = ch.saturating_mul(spf);
    if analog_total > u16::MAX as usize {
        return Err(invalid(
            path,
            format!(
                "{ch} analog channels × {spf} samples per frame exceed the header's 65 535 limit"
            ),
        ));
    }

    Ok(spf)
}

/// Float or integer storage: (float, signed POINT:SCALE, residual scale).
fn storage(
    file: &C3dFile,
    opts: WriteOptions,
    path: &Path,
) -> Result<(bool, f32, f32), FormatError> {
    Ok(match opts.storage {
        Storage::Float => {
            let rs = file.residual_scale();
            (true, -rs, rs)
        }
        Storage::Integer { scale } => {
            if !(scale.is_finite() && scale > 0.0) {
                return Err(invalid(
                    path,
                    format!("integer storage needs a positive scale, got {scale}"),
                ));
            }
            (false, scale, scale)
        }
    })
}

/// Sets POINT:RATE, POINT:FRAMES (and LONG_FRAMES, TRIAL fields where needed); returns the frame
/// rate for the header (frames per second).
fn point_rate_and_frames(
    params: &mut Parameters,
    pts: &MarkerTrajectories,
    path: &Path,
) -> Result<f32, FormatError> {
    let point_hz = pts.rate.hz();
    let frames = pts.frame_count();
    let rate_ok = params
        .get("POINT", "RATE")
        .and_then(Parameter::first_f64)
        .and_then(|r| FrameRate::from_hz(r).ok())
        == Some(pts.rate);
    if !rate_ok {
        params.set(
            "POINT",
            Parameter::new("RATE", "", ParamData::Float(vec![point_hz as f32])),
        );
    }
    let rate = params
        .get("POINT", "RATE")
        .and_then(Parameter::first_f64)
        .map_or(point_hz as f32, |r| r as f32);
    let frames32 = u32::try_from(frames).map_err(|_| {
        invalid(
            path,
            format!("{frames} frames exceed C3D's 32-bit frame count"),
        )
    })?;
    let short_frames = match params.get("POINT", "FRAMES").map(|p| &p.data) {
        Some(ParamData::Float(_)) => frames32,
        _ => frames32.min(u16::MAX as u32),
    };
    set_count(params, "POINT", "FRAMES", short_frames);
    let first = pts.first_frame as u64;
    let last = (first + frames as u64).saturating_sub(1);
    if frames > u16::MAX as usize || params.get("POINT", "LONG_FRAMES").is_some() {
        set_count(params, "POINT", "LONG_FRAMES", frames32);
    }
    if last > u16::MAX as u64
        || first > u16::MAX as u64
        || (frames == 0 && first == 0)
        || params.get("TRIAL", "ACTUAL_START_FIELD").is_some()
        || params.get("TRIAL", "ACTUAL_END_FIELD").is_some()
    {
        let words = |v: u64| {
            ParamData::Int(vec![
                (v & 0xffff) as u16 as i16,
                ((v >> 16) & 0xffff) as u16 as i16,
            ])
        };
        set_if_changed(
            params,
            "TRIAL",
            Parameter::new("ACTUAL_START_FIELD", "", words(first)),
        );
        set_if_changed(
            params,
            "TRIAL",
            Parameter::new("ACTUAL_END_FIELD", "", words(last.max(first))),
        );
    }
    Ok(rate)
}

/// Sets POINT:UNITS and POINT:Y_SCREEN (and X_SCREEN) where they would not read back as `pts`.
fn point_units_and_axes(params: &mut Parameters, pts: &MarkerTrajectories) {
    let unit_now = params
        .get("POINT", "UNITS")
        .and_then(Parameter::string)
        .filter(|s| !s.is_empty())
        .map(|s| LengthUnit::parse(&s));
    let unit_ok = match unit_now {
        Some(u) => u == Some(pts.unit),
        None => pts.unit == LengthUnit::Millimetre,
    };
    if !unit_ok {
        params.set(
            "POINT",
            Parameter::new(
                "UNITS",
                "",
                ParamData::Char(pts.unit.symbol().as_bytes().to_vec()),
            ),
        );
    }
    let up_now = match params.get("POINT", "Y_SCREEN").and_then(Parameter::string) {
        Some(s) if s.trim().to_ascii_uppercase().ends_with('Y') => UpAxis::Y,
        _ => UpAxis::Z,
    };
    if up_now != pts.up_axis {
        let y = if pts.up_axis == UpAxis::Y { "+Y" } else { "+Z" };
        params.set(
            "POINT",
            Parameter::new("Y_SCREEN", "", ParamData::Char(y.as_bytes().to_vec())),
        );
        if params.get("POINT", "X_SCREEN").is_none() {
            params.set(
                "POINT",
                Parameter::new("X_SCREEN", "", ParamData::Char(b"+X".to_vec())),
            );
        }
    }
}

/// Sets the ANALOG group's USED, LABELS, UNITS and RATE for `spf` samples per frame at `rate`
/// frames per second.
fn analog_group(params: &mut Parameters, a: &AnalogData, spf: usize, rate: f32) {
    let ch = a.labels.len();
    if ch > 0 || params.group("ANALOG").is_some() {
        set_count(params, "ANALOG", "USED", ch as u32);
        set_strings_multi(params, "ANALOG", "LABELS", &a.labels);
        let mut units = a.units.clone();
        units.resize(ch, String::new());
        if ch > 0 || params.get("ANALOG", "UNITS").is_some() {
            set_strings_multi(params, "ANALOG", "UNITS", &units);
        }
        let stored = params.get("ANALOG", "RATE").and_then(Parameter::first_f64);
        // Readers check ANALOG:RATE / POINT:RATE == samples per frame exactly.
        let rate_same = stored.is_some_and(|r| {
            r as f32 == a.rate_hz as f32 && (spf == 0 || r / rate as f64 == spf as f64)
        });
        let rate_absent_ok = stored.is_none() && a.rate_hz == 0.0;
        if !rate_same && !rate_absent_ok {
            let r = if spf > 0 {
                analog_rate_for(rate, spf)
            } else {
                a.rate_hz as f32
            };
            params.set(
                "ANALOG",
                Parameter::new("RATE", "", ParamData::Float(vec![r])),
            );
        }
    }
}

/// Pads ANALOG:SCALE and ANALOG:OFFSET to one entry per channel (`ch` is 1 to 255).
fn pad_analog_calibration(params: &mut Parameters, ch: usize) {
    // Readers such as ezc3d index ANALOG:SCALE/OFFSET per channel (and crash when they are
    // short); pad with the values a missing entry means (scale 1, offset 0).
    let pad = |p: Option<&Parameter>, fill: ParamData| -> Option<Parameter> {
        let have = p.map_or(0, |p| p.data.len());
        if have >= ch {
            return None;
        }
        let mut q = p
            .cloned()
            .unwrap_or_else(|| Parameter::new("", "", fill.clone()));
        q.data = match (&q.data, fill) {
            (ParamData::Float(v), _) => {
                let mut v = v.clone();
                v.resize(ch, 1.0);
                ParamData::Float(v)
            }
            (ParamData::Int(v), _) => {
                let mut v = v.clone();
                v.resize(ch, 0);
                ParamData::Int(v)
            }
            (_, fill) => fill,
        };
        q.dims = vec![ch.min(255) as u8];
        Some(q)
    };
    if let Some(mut q) = pad(
        params.get("ANALOG", "SCALE"),
        ParamData::Float(vec![1.0; ch]),
    ) {
        q.name = "SCALE".into();
        params.set("ANALOG", q);
    }
    if let Some(mut q) = pad(params.get("ANALOG", "OFFSET"), ParamData::Int(vec![0; ch])) {
        q.name = "OFFSET".into();
        params.set("ANALOG", q);
    }
}

fn header_events(file: &C3dFile) -> Vec<Event> {
    if file.events.is_empty() {
        return Vec::new();
    }
    file.header
        .events
        .iter()
        .map(|e| Event {
            label: e.label.clone(),
            context: String::new(),
            time_s: e.time_s as f64,
            description: String::new(),
        })
        .collect()
}

fn write_event_group(params: &mut Parameters, events: &[Event]) {
    let strings =
        |f: fn(&Event) -> &String| events.iter().map(|e| f(e).clone()).collect::<Vec<_>>();
    set_count(params, "EVENT", "USED", events.len() as u32);
    let mut times = Vec::with_capacity(events.len() * 2);
    for e in events {
        let minutes = (e.time_s / 60.0).floor();
        times.push(minutes as f32);
        times.push((e.time_s - 60.0 * minutes) as f32);
    }
    let mut t = Parameter::new("TIMES", "", ParamData::Float(times));
    t.dims = vec![2, events.len().min(255) as u8];
    params.set("EVENT", t);
    for (name, v) in [
        ("LABELS", strings(|e| &e.label)),
        ("CONTEXTS", strings(|e| &e.context)),
        ("DESCRIPTIONS", strings(|e| &e.description)),
    ] {
        params.set("EVENT", Parameter::from_strings(name, "", &v));
    }
}

fn write_impl<W: Write>(
    file: &C3dFile,
    mut w: W,
    opts: WriteOptions,
    path: &Path,
) -> Result<(), FormatError> {
    let io = |e: std::io::Error| FormatError::io(path, e);
    if file.events.len() > 255 {
        return Err(invalid(
            path,
            format!(
                "{} events; C3D's EVENT group holds at most 255",
                file.events.len()
            ),
        ));
    }
    let (mut params, plan) = prepare(file, opts, path)?;
    // DATA_START is a fixed-size value, so one serialisation tells the section size.
    params.set(
        "POINT",
        Parameter::new("DATA_START", "", ParamData::Int(vec![0])),
    );
    let blocks = serialize_section(&params, plan.processor)
        .map_err(|m| invalid(path, m))?
        .len()
        / 512;
    let data_block = 2 + blocks;
    if data_block > u16::MAX as usize {
        return Err(invalid(path, "parameter section too large".to_string()));
    }
    let old_start = file.parameters.get("POINT", "DATA_START").cloned();
    let mut ds = Parameter::new(
        "DATA_START",
        "",
        ParamData::Int(vec![data_block as u16 as i16]),
    );
    if let Some(old) = old_start {
        ds.description = old.description;
        ds.locked = old.locked;
    }
    params.set("POINT", ds);
    let section = serialize_section(&params, plan.processor).map_err(|m| invalid(path, m))?;

    // Header.
    let p = plan.processor;
    let mut h = [0u8; 512];
    h[0] = 2;
    h[1] = 0x50;
    let put16 = |h: &mut [u8; 512], at: usize, v: u16| {
        h[at..at + 2].copy_from_slice(&p.put_i16(v as i16));
    };
    let first = file.points.first_frame as u64;
    let last = (first + plan.frames as u64).saturating_sub(1);
    put16(&mut h, 2, plan.points as u16);
    put16(&mut h, 4, (plan.channels * plan.spf) as u16);
    // An empty take is written as last = first − 1 (frame 0 uses 1 and 0; its true first frame
    // is in TRIAL:ACTUAL_START_FIELD) so that the header cannot be read as one frame.
    let (h_first, h_last) = if plan.frames == 0 {
        let f = first.clamp(1, u16::MAX as u64);
        (f, f - 1)
    } else {
        (first.min(u16::MAX as u64), last.min(u16::MAX as u64))
    };
    put16(&mut h, 6, h_first as u16);
    put16(&mut h, 8, h_last as u16);
    put16(&mut h, 10, file.header.max_interpolation_gap);
    h[12..16].copy_from_slice(&p.put_f32(plan.scale));
    put16(&mut h, 16, data_block as u16);
    put16(&mut h, 18, plan.spf.min(u16::MAX as usize) as u16);
    // The header's rate is the very float POINT:RATE holds (py-c3d compares them exactly).
    h[20..24].copy_from_slice(&p.put_f32(plan.rate));
    let hev = if file.events.is_empty() {
        &[][..]
    } else {
        &file.header.events[..file.header.events.len().min(18)]
    };
    if !hev.is_empty() {
        put16(&mut h, 298, 12345);
        put16(&mut h, 300, hev.len() as u16);
        for (i, e) in hev.iter().enumerate() {
            h[304 + 4 * i..308 + 4 * i].copy_from_slice(&p.put_f32(e.time_s));
            h[376 + i] = if e.displayed { 0 } else { 1 };
            let mut label = to_latin1(&e.label);
            label.resize(4, b' ');
            h[396 + 4 * i..400 + 4 * i].copy_from_slice(&label[..4]);
        }
    }
    w.write_all(&h).map_err(io)?;
    w.write_all(&section).map_err(io)?;

    // Data.
    let word = if plan.float { 4 } else { 2 };
    let stride = (plan.points * 4 + plan.channels * plan.spf) * word;
    let chunk_frames = ((4 << 20) / stride.max(1)).max(1);
    let mut buf: Vec<u8> = Vec::with_capacity(chunk_frames.min(plan.frames.max(1)) * stride);
    let mut total = 0usize;
    let pts = &file.points;
    let per_frame = plan.channels * plan.spf;
    let mut f0 = 0;
    while f0 < plan.frames {
        let nf = chunk_frames.min(plan.frames - f0);
        buf.clear();
        for f in f0..f0 + nf {
            encode_points(&plan, pts, f, &mut buf, path)?;
            if per_frame > 0 {
                let vals = &file.analog.values[f * per_frame..(f + 1) * per_frame];
                encode_analog(&plan, vals, &mut buf);
            }
        }
        w.write_all(&buf).map_err(io)?;
        total += buf.len();
        f0 += nf;
    }
    let pad = total.next_multiple_of(512) - total;
    w.write_all(&vec![0u8; pad]).map_err(io)?;
    Ok(())
}

fn encode_points(
    plan: &Plan,
    pts: &mocap_data::MarkerTrajectories,
    f: usize,
    out: &mut Vec<u8>,
    path: &Path,
) -> Result<(), FormatError> {
    let n = plan.points;
    let range = f * n..(f + 1) * n;
    let pos = &pts.positions()[range.clone()];
    let res = &pts.residuals()[range.clone()];
    let masks = &pts.camera_masks()[range.clone()];
    let valid = &pts.valid()[range];
    let p = plan.processor;
    let rs = plan.residual_scale;
    for i in 0..n {
        let ok = valid[i] && pos[i].iter().all(|c| c.is_finite());
        let rbyte = {
            let r = (res[i] / rs).round();
            if r.is_finite() {
                r.clamp(0.0, 255.0) as u32
            } else {
                0
            }
        };
        let packed = ((masks[i] as u32 & 0x7f) << 8) | rbyte;
        if plan.float {
            let (xyz, w4) = if ok {
                (pos[i], packed as f32)
            } else {
                ([0.0; 3], -1.0)
            };
            for c in xyz {
                out.extend_from_slice(&p.put_f32(c));
            }
            out.extend_from_slice(&p.put_f32(w4));
        } else {
            let sc = plan.scale;
            if ok {
                for (axis, c) in pos[i].iter().enumerate() {
                    let q = (*c / sc).round();
                    if !(-32768.0..=32767.0).contains(&q) {
                        return Err(invalid(
                            path,
                            format!(
                                "marker {:?} frame {f} axis {axis}: {c} does not fit 16-bit \
                                 integer storage with scale {sc}; use float storage or a larger scale",
                                pts.labels[i]
                            ),
                        ));
                    }
                    out.extend_from_slice(&p.put_i16(q as i16));
                }
                out.extend_from_slice(&p.put_i16(packed as u16 as i16));
            } else {
                for _ in 0..3 {
                    out.extend_from_slice(&p.put_i16(0));
                }
                out.extend_from_slice(&p.put_i16(-1));
            }
        }
    }
    Ok(())
}

/// The raw analog value that reads back as `value` (exactly, when `value` came from a read).
fn raw_float(value: f32, factor: f64, offset: f64) -> f32 {
    if factor == 0.0 || !factor.is_finite() {
        return offset as f32;
    }
    let back = |raw: f32| ((raw as f64 - offset) * factor) as f32;
    let guess = (value as f64 / factor + offset) as f32;
    if back(guess) == value || !value.is_finite() {
        return guess;
    }
    let (mut up, mut down) = (guess, guess);
    for _ in 0..8 {
        up = up.next_up();
        down = down.next_down();
        if back(up) == value {
            return up;
        }
        if back(down) == value {
            return down;
        }
    }
    guess
}

fn encode_analog(plan: &Plan, vals: &[f32], out: &mut Vec<u8>) {
    let p = plan.processor;
    let ch = plan.channels;
    for (i, &v) in vals.iter().enumerate() {
        let c = i % ch;
        let (k, off) = (plan.factor[c], plan.offset[c]);
        if plan.float {
            out.extend_from_slice(&p.put_f32(raw_float(v, k, off)));
        } else {
            let raw = if k == 0.0 || !k.is_finite() {
                off
            } else {
                (v as f64 / k + off).round()
            };
            let word = if plan.unsigned_analog {
                raw.clamp(0.0, 65535.0) as u16 as i16
            } else {
                raw.clamp(-32768.0, 32767.0) as i16
            };
            out.extend_from_slice(&p.put_i16(word));
        }
    }
}
