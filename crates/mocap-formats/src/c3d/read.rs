//! The C3D reader.

use super::params::{ParamData, Parameter, Parameters, latin1, parse_section};
use super::{C3dFile, Header, HeaderEvent, Processor, Storage};
use crate::{FormatError, Location};
use mocap_data::{AnalogData, Event, FrameRate, LengthUnit, MarkerTrajectories, UpAxis};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// Largest parameter region we read (the format allows 255 blocks; extra room for files whose
/// last parameters overflow the declared block count).
const MAX_PARAM_REGION: u64 = 4 << 20;
/// Bytes of the data section each thread reads and decodes per step: small enough that the
/// decoder reads them back from the core's L2 cache (measured 4 MiB → 256 KiB: the decode loop's
/// share of a read fell from 32 % to 25 % of the profile).
const CHUNK_BYTES: usize = 256 << 10;
/// A sequential stream is read this many chunks at a time, each read then decoded on all cores.
const STREAM_CHUNKS: usize = 16;

/// Header fields, decoded with the file's processor conventions.
struct RawHeader {
    points: u16,
    analog_total: u16,
    first_frame: u16,
    last_frame: u16,
    max_gap: u16,
    scale: f32,
    data_start: u16,
    spf: u16,
    rate: f32,
    events: Vec<HeaderEvent>,
}

fn decode_header(h: &[u8; 512], p: Processor) -> RawHeader {
    let w = |at: usize| p.u16([h[at], h[at + 1]]);
    let f = |at: usize| p.f32([h[at], h[at + 1], h[at + 2], h[at + 3]]);
    let n_events = w(300) as usize;
    let mut events = Vec::new();
    if (1..=18).contains(&n_events) {
        for i in 0..n_events {
            let label = &h[396 + 4 * i..400 + 4 * i];
            let end = label
                .iter()
                .rposition(|&b| b != b' ' && b != 0)
                .map_or(0, |e| e + 1);
            events.push(HeaderEvent {
                label: latin1(&label[..end]),
                time_s: f(304 + 4 * i),
                displayed: h[376 + i] == 0,
            });
        }
    }
    RawHeader {
        points: w(2),
        analog_total: w(4),
        first_frame: w(6),
        last_frame: w(8),
        max_gap: w(10),
        scale: f(12),
        data_start: w(16),
        spf: w(18),
        rate: f(20),
        events,
    }
}

/// How the data section is laid out, after reconciling header and parameters.
struct Layout {
    processor: Processor,
    float: bool,
    points: usize,
    /// Analog words per frame (channels × samples per frame, plus any unusable remainder).
    analog_total: usize,
    channels: usize,
    spf: usize,
    frames: usize,
    data_start: u64,
    /// Length per integer step (integer storage).
    int_scale: f32,
    /// Length per residual step.
    residual_scale: f32,
    unsigned_analog: bool,
}

impl Layout {
    fn word(&self) -> usize {
        if self.float { 4 } else { 2 }
    }
    fn point_bytes(&self) -> usize {
        self.points * 4 * self.word()
    }
    fn stride(&self) -> usize {
        (self.points * 4 + self.analog_total) * self.word()
    }
}

/// Where the data section is read from.
pub(crate) enum Source<'a> {
    /// The stream handed to [`read`], read sequentially.
    Stream,
    /// The file the stream reads (positional reads, one range per thread).
    #[cfg(unix)]
    File(&'a std::fs::File),
    /// The whole file in memory (decoded in place).
    Bytes(&'a [u8]),
}

/// Reads a C3D file: header and parameters from `r`, the data section from `src`.
pub(crate) fn read<R: Read + Seek>(
    mut r: R,
    path: &Path,
    src: Source<'_>,
    opts: &ReadOptions,
) -> Result<C3dFile, FormatError> {
    let io = |e: std::io::Error| FormatError::io(path, e);
    let bad = |at: u64, msg: String| FormatError::malformed(path, Location::Byte(at), msg);
    let file_len = r.seek(SeekFrom::End(0)).map_err(io)?;
    if file_len < 512 {
        return Err(bad(
            file_len,
            format!(
                "the file has {file_len} bytes but a C3D file starts with a 512-byte header; \
                 it is empty or truncated — re-export or re-copy it"
            ),
        ));
    }
    r.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut h = [0u8; 512];
    r.read_exact(&mut h).map_err(io)?;
    if h[1] != 0x50 {
        return Err(bad(
            1,
            format!(
                "byte 1 is 0x{:02x}, not the C3D key 0x50: this is not a C3D file",
                h[1]
            ),
        ));
    }
    let mut warnings = Vec::new();

    // --- Parameter section -------------------------------------------------------------------
    let (params, processor) = read_parameters(&mut r, &h, file_len, path, &mut warnings)?;
    let processor = processor.unwrap_or_else(|| guess_processor(&h));
    let hdr = decode_header(&h, processor);

    // --- Layout ----------------------------------------------------------------------------------
    let layout = reconcile(&hdr, &params, processor, file_len, &mut warnings)
        .map_err(|(at, msg)| bad(at, msg))?;

    // --- Metadata --------------------------------------------------------------------------------
    let rate = point_rate(&hdr, &params, &mut warnings);
    let (labels, unit, up_axis) = point_metadata(&params, layout.points, &mut warnings);
    let first_frame = first_frame(&hdr, &params);

    // --- Analog metadata ----------------------------------------------------------------------
    let ch = layout.channels;
    let mut a_labels = params.strings_multi("ANALOG", "LABELS");
    a_labels.resize(ch, String::new());
    let mut a_units = params.strings_multi("ANALOG", "UNITS");
    a_units.resize(ch, String::new());
    let (factor, offset) = analog_calibration(&params, ch);
    let analog_rate = analog_rate(&params, &layout, rate, &mut warnings);

    // --- Data ------------------------------------------------------------------------------------
    let mut out = Outputs::zeroed(&layout);
    if layout.frames > 0 && layout.stride() > 0 {
        let cal = Calibration {
            factor: &factor,
            offset: &offset,
        };
        let done = match src {
            Source::Stream => read_stream(&mut r, &layout, &cal, &mut out, opts),
            #[cfg(unix)]
            Source::File(f) => decode_positional(f, &layout, &cal, &mut out, opts),
            Source::Bytes(b) => decode_positional(b, &layout, &cal, &mut out, opts),
        };
        done.map_err(|(at, msg)| bad(at, msg))?;
    }

    let mut points = MarkerTrajectories::from_parts(
        labels,
        layout.frames,
        rate,
        unit,
        up_axis,
        out.positions,
        out.residuals,
        out.masks,
        out.valid,
    )
    .map_err(|e| bad(layout.data_start, e.to_string()))?;
    points.first_frame = first_frame;
    let analog = AnalogData {
        labels: a_labels,
        units: a_units,
        rate_hz: analog_rate,
        values: out.analog,
    };
    let events = file_events(&params, &hdr);
    let storage = if layout.float {
        Storage::Float
    } else {
        Storage::Integer {
            scale: layout.int_scale,
        }
    };
    Ok(C3dFile {
        points,
        analog,
        events,
        parameters: params,
        processor,
        storage,
        header: Header {
            max_interpolation_gap: hdr.max_gap,
            point_scale: hdr.scale,
            events: hdr.events,
        },
        warnings,
    })
}

/// Reads the parameter section the header points at: the parameters and the processor type
/// (`None` when the section does not say). Problems in the section become warnings.
fn read_parameters<R: Read + Seek>(
    r: &mut R,
    h: &[u8; 512],
    file_len: u64,
    path: &Path,
    warnings: &mut Vec<String>,
) -> Result<(Parameters, Option<Processor>), FormatError> {
    let io = |e: std::io::Error| FormatError::io(path, e);
    let param_block = h[0] as u64;
    let ps = param_block.saturating_sub(1) * 512;
    let mut params = Parameters::default();
    let mut processor = None;
    if param_block >= 2 && ps + 4 <= file_len {
        let mut sec = [0u8; 4];
        r.seek(SeekFrom::Start(ps)).map_err(io)?;
        r.read_exact(&mut sec).map_err(io)?;
        processor = Processor::from_code(sec[3]);
        let proc = processor.unwrap_or_else(|| guess_processor(h));
        if processor.is_none() {
            warnings.push(format!(
                "byte {} (processor type) is {}, not 84/85/86; assuming {proc:?}",
                ps + 3,
                sec[3]
            ));
        }
        let hdr = decode_header(h, proc);
        let data_byte = (hdr.data_start as u64).saturating_sub(1) * 512;
        let declared = ps + (sec[2].max(1) as u64) * 512;
        let mut end = if data_byte > ps {
            data_byte.max(declared)
        } else {
            declared
        };
        end = end.min(file_len).min(ps + MAX_PARAM_REGION);
        let mut region = vec![0u8; (end - ps) as usize];
        r.seek(SeekFrom::Start(ps)).map_err(io)?;
        r.read_exact(&mut region).map_err(io)?;
        let parsed = parse_section(&region, ps, proc);
        if let Some((at, msg)) = parsed.problem {
            warnings.push(format!(
                "byte {at}: {msg}; kept the {} group(s) read before it",
                parsed.params.groups.len()
            ));
        }
        params = parsed.params;
    } else {
        warnings.push(format!(
            "byte 0: the parameter section pointer (block {param_block}) is not inside the file; \
             using the header only"
        ));
    }
    Ok((params, processor))
}

/// The file's events: the EVENT group, else the header's event block.
fn file_events(params: &Parameters, hdr: &RawHeader) -> Vec<Event> {
    let mut events = group_events(params);
    if events.is_empty() {
        events = hdr
            .events
            .iter()
            .map(|e| Event {
                label: e.label.clone(),
                context: String::new(),
                time_s: e.time_s as f64,
                description: String::new(),
            })
            .collect();
    }
    events
}

/// POINT:LABELS (one per point, `points` of them), POINT:UNITS and the up axis from
/// POINT:Y_SCREEN.
fn point_metadata(
    params: &Parameters,
    points: usize,
    warnings: &mut Vec<String>,
) -> (Vec<String>, LengthUnit, UpAxis) {
    let mut labels = params.strings_multi("POINT", "LABELS");
    if labels.len() < points && points > 0 {
        if params.group("POINT").is_some() {
            warnings.push(format!(
                "POINT:LABELS has {} label(s) for {} points; the rest are unlabelled",
                labels.len(),
                points
            ));
        }
        labels.resize(points, String::new());
    }
    labels.truncate(points);
    let unit = match params.get("POINT", "UNITS").and_then(Parameter::string) {
        Some(s) if !s.is_empty() => LengthUnit::parse(&s).unwrap_or_else(|| {
            warnings.push(format!(
                "POINT:UNITS {s:?} is not a known length unit; assuming millimetres"
            ));
            LengthUnit::Millimetre
        }),
        _ => LengthUnit::Millimetre,
    };
    let up_axis = match params.get("POINT", "Y_SCREEN").and_then(Parameter::string) {
        Some(s) if s.trim().to_ascii_uppercase().ends_with('Y') => UpAxis::Y,
        _ => UpAxis::Z,
    };
    (labels, unit, up_axis)
}

/// Guesses the processor of a file whose parameter section does not say: MIPS if the
/// big-endian reading of the header's frame numbers is consistent and the little-endian one is
/// not, else Intel.
fn guess_processor(h: &[u8; 512]) -> Processor {
    let ok = |p: Processor| {
        let hd = decode_header(h, p);
        hd.first_frame >= 1 && hd.last_frame >= hd.first_frame && hd.data_start >= 2
    };
    if !ok(Processor::Intel) && ok(Processor::Mips) {
        Processor::Mips
    } else {
        Processor::Intel
    }
}

fn count(params: &Parameters, g: &str, p: &str) -> Option<u32> {
    params.get(g, p).and_then(Parameter::count)
}

/// A 32-bit frame number stored as two 16-bit words (TRIAL:ACTUAL_START_FIELD / END_FIELD).
fn two_word(params: &Parameters, name: &str) -> Option<u64> {
    let c = params.get("TRIAL", name)?.counts();
    match c.as_slice() {
        [Some(lo), Some(hi), ..] => Some(*lo as u64 + ((*hi as u64) << 16)),
        [Some(lo)] => Some(*lo as u64),
        _ => None,
    }
}

fn header_saturated(hdr: &RawHeader) -> bool {
    hdr.last_frame == u16::MAX || hdr.last_frame < hdr.first_frame
}

fn first_frame(hdr: &RawHeader, params: &Parameters) -> i64 {
    match two_word(params, "ACTUAL_START_FIELD") {
        Some(s) if header_saturated(hdr) || hdr.first_frame == u16::MAX || s > 65535 => s as i64,
        _ => hdr.first_frame as i64,
    }
}

fn reconcile(
    hdr: &RawHeader,
    params: &Parameters,
    processor: Processor,
    file_len: u64,
    warnings: &mut Vec<String>,
) -> Result<Layout, (u64, String)> {
    // Point count: the header describes the data layout.
    let points = hdr.points as usize;
    if let Some(used) = count(params, "POINT", "USED")
        && used as usize != points
    {
        warnings.push(format!(
            "POINT:USED is {used} but the header says {points} points per frame; using the header"
        ));
    }

    // Storage and scale: POINT:SCALE, else the header.
    let scale = point_scale(hdr, params, points, warnings)?;
    let float = scale < 0.0;
    let word = if float { 4usize } else { 2 };

    // Analog layout: header words 3 (analog words per frame) and 10 (samples per frame).
    let (analog_total, channels, spf) = analog_layout(hdr, params, warnings);
    let spf = if channels == 0 { 0 } else { spf };
    let unsigned_analog = !float
        && params
            .get("ANALOG", "FORMAT")
            .and_then(Parameter::string)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("UNSIGNED"));

    // Frame count: the header unless it saturated at 65 535 (or wrapped), then the long forms.
    let mut frames = declared_frames(hdr, params);

    let stride = ((points * 4 + analog_total) * word) as u64;
    // Data start: POINT:DATA_START, else the header; prefer the one whose data fit the file.
    let p_start = count(params, "POINT", "DATA_START").filter(|s| *s >= 2);
    let h_start = Some(hdr.data_start as u32).filter(|s| *s >= 2);
    let fits =
        |b: u32| ((b as u64 - 1) * 512).saturating_add(frames.saturating_mul(stride)) <= file_len;
    let start_block = match (p_start, h_start) {
        (Some(p), Some(h)) if p != h => {
            let chosen = if fits(p) || !fits(h) { p } else { h };
            warnings.push(format!(
                "POINT:DATA_START is block {p} but the header says block {h}; using block {chosen}"
            ));
            chosen
        }
        (Some(p), _) => p,
        (None, Some(h)) => h,
        (None, None) => {
            return Err((
                16,
                "no data section: the header's data-start block and POINT:DATA_START are both \
                 missing or below 2"
                    .to_string(),
            ));
        }
    };
    let data_start = (start_block as u64 - 1) * 512;
    let available = file_len.saturating_sub(data_start);
    if stride > 0 && frames.saturating_mul(stride) > available {
        let fit = available / stride;
        warnings.push(format!(
            "the data section (byte {data_start}) holds {fit} complete frame(s) of {stride} bytes \
             but {frames} are declared; reading {fit}"
        ));
        frames = fit;
    }
    if stride == 0 {
        frames = frames.min(file_len);
    }
    let residual_scale = scale.abs() as f32;
    Ok(Layout {
        processor,
        float,
        points,
        analog_total,
        channels,
        spf,
        frames: frames as usize,
        data_start,
        int_scale: scale.abs() as f32,
        residual_scale,
        unsigned_analog,
    })
}

/// The signed point scale: POINT:SCALE, else the header's (negative for float storage).
fn point_scale(
    hdr: &RawHeader,
    params: &Parameters,
    points: usize,
    warnings: &mut Vec<String>,
) -> Result<f64, (u64, String)> {
    let valid_scale = |s: f64| s.is_finite() && s != 0.0;
    let p_scale = params
        .get("POINT", "SCALE")
        .and_then(Parameter::first_f64)
        .filter(|s| valid_scale(*s));
    let h_scale = Some(hdr.scale as f64).filter(|s| valid_scale(*s));
    Ok(match (p_scale, h_scale) {
        (Some(p), Some(h)) => {
            if (p < 0.0) != (h < 0.0) {
                warnings.push(format!(
                    "POINT:SCALE ({p}) and the header scale ({h}) disagree on integer vs float \
                     storage; using POINT:SCALE"
                ));
            }
            p
        }
        (Some(p), None) => p,
        (None, Some(h)) => h,
        (None, None) if points == 0 => -1.0,
        (None, None) => {
            return Err((
                12,
                "neither POINT:SCALE nor the header give a usable point scale (both 0 or not a \
                 number); the file cannot be decoded"
                    .to_string(),
            ));
        }
    })
}

/// Analog words per frame, channels and samples per frame (before zeroing `spf` when there
/// are no channels).
fn analog_layout(
    hdr: &RawHeader,
    params: &Parameters,
    warnings: &mut Vec<String>,
) -> (usize, usize, usize) {
    let analog_total = hdr.analog_total as usize;
    let mut spf = hdr.spf as usize;
    if spf == 0 && analog_total > 0 {
        let a = params
            .get("ANALOG", "RATE")
            .and_then(Parameter::first_f64)
            .unwrap_or(0.0);
        let pr = params
            .get("POINT", "RATE")
            .and_then(Parameter::first_f64)
            .unwrap_or(hdr.rate as f64);
        spf = if a > 0.0 && pr > 0.0 {
            ((a / pr).round() as usize).max(1)
        } else {
            1
        };
        warnings.push(format!(
            "the header gives 0 analog samples per frame; using {spf}"
        ));
    }
    let channels = analog_total.checked_div(spf).unwrap_or(0);
    if spf > 0 && !analog_total.is_multiple_of(spf) {
        warnings.push(format!(
            "{analog_total} analog words per frame is not a multiple of {spf} samples per frame; \
             the last {} word(s) of each frame are ignored",
            analog_total % spf
        ));
    }
    if let Some(used) = count(params, "ANALOG", "USED")
        && used as usize != channels
        && analog_total > 0
    {
        warnings.push(format!(
            "ANALOG:USED is {used} but the header implies {channels} channels; using the header"
        ));
    }
    (analog_total, channels, spf)
}

/// The declared frame count: the header unless it saturated at 65 535 (or wrapped), then the
/// long forms (TRIAL fields, POINT:LONG_FRAMES, POINT:FRAMES).
fn declared_frames(hdr: &RawHeader, params: &Parameters) -> u64 {
    let header_frames = if hdr.last_frame >= hdr.first_frame {
        (hdr.last_frame - hdr.first_frame) as u64 + 1
    } else {
        0
    };
    let mut frames = header_frames;
    if header_saturated(hdr) {
        let trial = match (
            two_word(params, "ACTUAL_START_FIELD"),
            two_word(params, "ACTUAL_END_FIELD"),
        ) {
            (Some(s), Some(e)) if e >= s => Some(e - s + 1),
            _ => None,
        };
        let long = count(params, "POINT", "LONG_FRAMES").map(u64::from);
        let pframes = count(params, "POINT", "FRAMES").map(u64::from);
        if pframes == Some(0) {
            // An explicit empty take (the header cannot say "no frames" for frame 0).
            frames = 0;
        } else if let Some(f) = trial.or(long).or(pframes).filter(|f| *f > 0) {
            frames = f;
        }
    }
    frames
}

fn point_rate(hdr: &RawHeader, params: &Parameters, warnings: &mut Vec<String>) -> FrameRate {
    let p = params
        .get("POINT", "RATE")
        .and_then(Parameter::first_f64)
        .and_then(|r| FrameRate::from_hz(r).ok());
    let h = FrameRate::from_hz(hdr.rate as f64).ok();
    match (p, h) {
        (Some(p), _) => p,
        (None, Some(h)) => h,
        (None, None) => {
            warnings.push(
                "neither POINT:RATE nor the header give a valid frame rate; assuming 1 frame per \
                 second (frame numbers then read as seconds)"
                    .to_string(),
            );
            FrameRate::integer(1).unwrap_or_default()
        }
    }
}

fn analog_rate(
    params: &Parameters,
    layout: &Layout,
    rate: FrameRate,
    warnings: &mut Vec<String>,
) -> f64 {
    let from_layout = rate.hz() * layout.spf as f64;
    let p = params
        .get("ANALOG", "RATE")
        .and_then(Parameter::first_f64)
        .filter(|r| r.is_finite() && *r > 0.0);
    match p {
        Some(p) if layout.spf == 0 => p,
        // The f32 parameter of an exact multiple (29.97 × 4): report the exact rate.
        Some(p) if ((p - from_layout) / from_layout).abs() < 1e-6 => from_layout,
        Some(p) if ((p - from_layout) / from_layout).abs() < 1e-3 => p,
        Some(p) => {
            warnings.push(format!(
                "ANALOG:RATE is {p} Hz but the data hold {} samples per {} Hz frame; using {from_layout} Hz",
                layout.spf,
                rate.hz()
            ));
            from_layout
        }
        None => from_layout,
    }
}

/// ANALOG:OFFSET values. 16-bit offsets are read unsigned when ANALOG:FORMAT is UNSIGNED
/// (as py-c3d does; sample_17's offsets such as −32 750 = 32 786 then match the resting data),
/// and −32 768 is read as 32 768 in any file: it is the midpoint of a 16-bit converter and
/// meaningless as a signed offset (sample_07, "note the values of ANALOG:OFFSET"; ezc3d agrees).
/// Per-channel analog calibration for `ch` channels: `(factor, offset)` such that the physical
/// value is `(raw − offset) × factor`, with `factor = ANALOG:SCALE[c] × ANALOG:GEN_SCALE`
/// (missing or non-finite entries count as 1) and `offset` from [`analog_offsets`] (missing as 0).
pub(crate) fn analog_calibration(params: &Parameters, ch: usize) -> (Vec<f64>, Vec<f64>) {
    let gen_scale = params
        .get("ANALOG", "GEN_SCALE")
        .and_then(Parameter::first_f64)
        .filter(|g| g.is_finite())
        .unwrap_or(1.0);
    let scales = params
        .get("ANALOG", "SCALE")
        .map(Parameter::values_f64)
        .unwrap_or_default();
    let offsets = analog_offsets(params);
    let factor = (0..ch)
        .map(|c| {
            scales
                .get(c)
                .copied()
                .filter(|s| s.is_finite())
                .unwrap_or(1.0)
                * gen_scale
        })
        .collect();
    let offset = (0..ch)
        .map(|c| offsets.get(c).copied().unwrap_or(0.0))
        .collect();
    (factor, offset)
}

pub(crate) fn analog_offsets(params: &Parameters) -> Vec<f64> {
    let unsigned = params
        .get("ANALOG", "FORMAT")
        .and_then(Parameter::string)
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("UNSIGNED"));
    match params.get("ANALOG", "OFFSET") {
        Some(Parameter {
            data: ParamData::Int(v),
            ..
        }) => v
            .iter()
            .map(|&x| {
                if unsigned || x == i16::MIN {
                    x as u16 as f64
                } else {
                    x as f64
                }
            })
            .collect(),
        Some(p) => p.values_f64(),
        None => Vec::new(),
    }
}

pub(crate) fn group_events(params: &Parameters) -> Vec<Event> {
    let Some(times) = params.get("EVENT", "TIMES") else {
        return Vec::new();
    };
    let t = times.values_f64();
    let mut n = t.len() / 2;
    if let Some(used) = count(params, "EVENT", "USED") {
        n = n.min(used as usize);
    }
    let labels = params.strings_multi("EVENT", "LABELS");
    let contexts = params.strings_multi("EVENT", "CONTEXTS");
    let descriptions = params.strings_multi("EVENT", "DESCRIPTIONS");
    let get = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
    (0..n)
        .map(|i| Event {
            label: get(&labels, i),
            context: get(&contexts, i),
            time_s: 60.0 * t[2 * i] + t[2 * i + 1],
            description: get(&descriptions, i),
        })
        .collect()
}

struct Outputs {
    positions: Vec<[f32; 3]>,
    residuals: Vec<f32>,
    masks: Vec<u8>,
    valid: Vec<bool>,
    analog: Vec<f32>,
}

impl Outputs {
    /// Zeroed arrays for every sample of `l`. They come from the allocator's zeroed pages
    /// (`calloc`), so nothing is written twice: the decoder's first write faults each page in,
    /// on the thread that decodes it.
    fn zeroed(l: &Layout) -> Self {
        let n = l.frames * l.points;
        Outputs {
            positions: vec![[0.0; 3]; n],
            residuals: vec![0.0; n],
            masks: vec![0; n],
            valid: vec![false; n],
            analog: vec![0.0; l.frames * l.spf * l.channels],
        }
    }
}

/// Per-channel analog calibration: physical = (raw − offset) × factor.
struct Calibration<'a> {
    factor: &'a [f64],
    offset: &'a [f64],
}

/// How the data section is decoded. The defaults suit every file; tests use other values to run
/// the parallel path on small inputs and compare it with the serial one.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Threads decoding the data section (count); 0 = one per available core, at most 8.
    pub threads: usize,
    /// Data sections smaller than this (bytes) are decoded on one thread.
    pub parallel_min_bytes: u64,
    /// Bytes each thread reads and decodes per step (rounded down to whole frames, at least one
    /// frame); a sequential stream is read 16 such steps at a time.
    pub chunk_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            parallel_min_bytes: PARALLEL_MIN_BYTES,
            chunk_bytes: CHUNK_BYTES,
        }
    }
}

impl ReadOptions {
    /// Threads for a data section of `bytes` bytes and `frames` frames.
    fn threads_for(&self, bytes: u64, frames: usize) -> usize {
        if bytes < self.parallel_min_bytes {
            return 1;
        }
        let t = if self.threads == 0 {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(MAX_THREADS)
        } else {
            self.threads
        };
        t.clamp(1, frames.max(1))
    }
}

/// Data sections smaller than this (bytes) are decoded on one thread.
const PARALLEL_MIN_BYTES: u64 = 2 << 20;
/// Most threads used by default.
const MAX_THREADS: usize = 8;

/// The error of a failed data-section read at byte `at` (frames `f0..f1`).
fn read_failure(at: u64, f0: usize, f1: usize, e: &std::io::Error) -> (u64, String) {
    (
        at,
        format!(
            "cannot read frames {f0}..{f1} of the data section: {e}; the file is shorter than \
             when it was opened (truncated or being rewritten) — re-copy it and read it again"
        ),
    )
}

/// Reads the data section from a sequential stream in chunks; each chunk is decoded on the
/// available cores.
fn read_stream<R: Read + Seek>(
    r: &mut R,
    l: &Layout,
    cal: &Calibration<'_>,
    out: &mut Outputs,
    opts: &ReadOptions,
) -> Result<(), (u64, String)> {
    r.seek(SeekFrom::Start(l.data_start))
        .map_err(|e| read_failure(l.data_start, 0, l.frames, &e))?;
    let stride = l.stride();
    let chunk_frames = (opts.chunk_bytes.saturating_mul(STREAM_CHUNKS) / stride).max(1);
    let mut buf = vec![0u8; chunk_frames.min(l.frames) * stride];
    let mut f0 = 0;
    while f0 < l.frames {
        let nf = chunk_frames.min(l.frames - f0);
        let bytes = &mut buf[..nf * stride];
        let at = l.data_start + (f0 * stride) as u64;
        r.read_exact(bytes)
            .map_err(|e| read_failure(at, f0, f0 + nf, &e))?;
        let threads = opts.threads_for(bytes.len() as u64, nf);
        decode_chunk(l, bytes, cal, Frames::of(out, l, f0, nf), threads);
        f0 += nf;
    }
    Ok(())
}

/// Positional access to the bytes of a file.
trait Fetch: Sync {
    /// The `len` bytes at `at`, read into `buf` if they are not already in memory.
    fn fetch<'b>(&'b self, buf: &'b mut Vec<u8>, at: u64, len: usize) -> std::io::Result<&'b [u8]>;
}

impl Fetch for [u8] {
    fn fetch<'b>(&'b self, _: &'b mut Vec<u8>, at: u64, len: usize) -> std::io::Result<&'b [u8]> {
        usize::try_from(at)
            .ok()
            .and_then(|a| self.get(a..a.checked_add(len)?))
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "failed to fill whole buffer",
                )
            })
    }
}

#[cfg(unix)]
impl Fetch for std::fs::File {
    fn fetch<'b>(&'b self, buf: &'b mut Vec<u8>, at: u64, len: usize) -> std::io::Result<&'b [u8]> {
        use std::os::unix::fs::FileExt;
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let b = &mut buf[..len];
        self.read_exact_at(b, at)?;
        Ok(b)
    }
}

/// Decodes the data section from positional reads: the frames are split into one contiguous
/// range per thread, and each thread reads its own byte range (in chunks) and decodes it straight
/// into its own part of the output arrays, so reading, decoding and the first-touch page faults
/// of the output all run on every core. The result does not depend on the split.
fn decode_positional<F: Fetch + ?Sized>(
    src: &F,
    l: &Layout,
    cal: &Calibration<'_>,
    out: &mut Outputs,
    opts: &ReadOptions,
) -> Result<(), (u64, String)> {
    let stride = l.stride();
    let threads = opts.threads_for((l.frames * stride) as u64, l.frames);
    let chunk_frames = (opts.chunk_bytes / stride).max(1);
    let per = l.frames.div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = Frames::of(out, l, 0, l.frames);
    let mut f0 = 0;
    while f0 < l.frames {
        let k = per.min(l.frames - f0);
        let (part, tail) = rest.split(l, k);
        parts.push((f0, k, part));
        rest = tail;
        f0 += k;
    }
    let run = |(f0, k, mut frames): (usize, usize, Frames<'_>)| -> Result<(), (u64, String)> {
        let mut buf = Vec::new();
        let mut done = 0;
        while done < k {
            let n = chunk_frames.min(k - done);
            let (head, tail) = frames.split(l, n);
            let (a, at) = (f0 + done, l.data_start + ((f0 + done) * stride) as u64);
            let bytes = src
                .fetch(&mut buf, at, n * stride)
                .map_err(|e| read_failure(at, a, a + n, &e))?;
            decode_frames(l, bytes, cal, head);
            frames = tail;
            done += n;
        }
        Ok(())
    };
    if parts.len() < 2 {
        return parts.into_iter().try_for_each(run);
    }
    // A small work queue: if a thread cannot be started, the others (and this one) take its
    // part, so a failed spawn costs speed, never data.
    let queue = std::sync::Mutex::new(parts);
    let failures = std::sync::Mutex::new(Vec::new());
    let work = || {
        loop {
            let next = match queue.lock() {
                Ok(mut q) => q.pop(),
                Err(poisoned) => poisoned.into_inner().pop(),
            };
            let Some(part) = next else { break };
            if let Err(e) = run(part) {
                match failures.lock() {
                    Ok(mut f) => f.push(e),
                    Err(poisoned) => poisoned.into_inner().push(e),
                }
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
    let failures = failures
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The first failure in file order, as a serial read would report.
    match failures.into_iter().min_by_key(|(at, _)| *at) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Number decoding of one processor type, monomorphised into the decode loops.
trait Codec {
    fn f32(b: [u8; 4]) -> f32;
    fn i16(b: [u8; 2]) -> i16;
}
struct Le;
struct Be;
struct Vax;
impl Codec for Le {
    #[inline(always)]
    fn f32(b: [u8; 4]) -> f32 {
        f32::from_le_bytes(b)
    }
    #[inline(always)]
    fn i16(b: [u8; 2]) -> i16 {
        i16::from_le_bytes(b)
    }
}
impl Codec for Be {
    #[inline(always)]
    fn f32(b: [u8; 4]) -> f32 {
        f32::from_be_bytes(b)
    }
    #[inline(always)]
    fn i16(b: [u8; 2]) -> i16 {
        i16::from_be_bytes(b)
    }
}
impl Codec for Vax {
    #[inline(always)]
    fn f32(b: [u8; 4]) -> f32 {
        super::num::vax_to_f32(b)
    }
    #[inline(always)]
    fn i16(b: [u8; 2]) -> i16 {
        i16::from_le_bytes(b)
    }
}

/// The output arrays of a run of whole frames.
struct Frames<'a> {
    positions: &'a mut [[f32; 3]],
    residuals: &'a mut [f32],
    masks: &'a mut [u8],
    valid: &'a mut [bool],
    analog: &'a mut [f32],
}

impl<'a> Frames<'a> {
    /// Splits after `k` frames.
    fn split(self, l: &Layout, k: usize) -> (Frames<'a>, Frames<'a>) {
        let (np, na) = (l.points, l.spf * l.channels);
        let (p0, p1) = self.positions.split_at_mut(k * np);
        let (r0, r1) = self.residuals.split_at_mut(k * np);
        let (m0, m1) = self.masks.split_at_mut(k * np);
        let (v0, v1) = self.valid.split_at_mut(k * np);
        let (a0, a1) = self.analog.split_at_mut(k * na);
        (
            Frames {
                positions: p0,
                residuals: r0,
                masks: m0,
                valid: v0,
                analog: a0,
            },
            Frames {
                positions: p1,
                residuals: r1,
                masks: m1,
                valid: v1,
                analog: a1,
            },
        )
    }

    /// The frames `f0..f0 + nf` of `out`.
    fn of(out: &'a mut Outputs, l: &Layout, f0: usize, nf: usize) -> Self {
        let (np, na) = (l.points, l.spf * l.channels);
        let p = f0 * np..(f0 + nf) * np;
        Frames {
            positions: &mut out.positions[p.clone()],
            residuals: &mut out.residuals[p.clone()],
            masks: &mut out.masks[p.clone()],
            valid: &mut out.valid[p],
            analog: &mut out.analog[f0 * na..(f0 + nf) * na],
        }
    }
}

/// Decodes one chunk of whole frames on `threads` threads (split by frames).
fn decode_chunk(
    l: &Layout,
    bytes: &[u8],
    cal: &Calibration<'_>,
    frames: Frames<'_>,
    threads: usize,
) {
    if threads < 2 {
        decode_frames(l, bytes, cal, frames);
        return;
    }
    let nf = bytes.len() / l.stride();
    let per = nf.div_ceil(threads);
    let mut parts = Vec::with_capacity(threads);
    let mut rest = frames;
    let mut rest_bytes = bytes;
    while !rest_bytes.is_empty() {
        let k = per.min(rest_bytes.len() / l.stride());
        let (part, tail) = rest.split(l, k);
        let (part_bytes, tail_bytes) = rest_bytes.split_at(k * l.stride());
        parts.push((part_bytes, part));
        rest = tail;
        rest_bytes = tail_bytes;
    }
    let queue = std::sync::Mutex::new(parts);
    let work = || {
        loop {
            let next = match queue.lock() {
                Ok(mut q) => q.pop(),
                Err(poisoned) => poisoned.into_inner().pop(),
            };
            let Some((b, part)) = next else { break };
            decode_frames(l, b, cal, part);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            let _ = std::thread::Builder::new().spawn_scoped(s, work);
        }
        work();
    });
}

fn decode_frames(l: &Layout, bytes: &[u8], cal: &Calibration<'_>, out: Frames<'_>) {
    match l.processor {
        Processor::Intel => decode_frames_with::<Le>(l, bytes, cal, out),
        Processor::Dec => decode_frames_with::<Vax>(l, bytes, cal, out),
        Processor::Mips => decode_frames_with::<Be>(l, bytes, cal, out),
    }
}

fn decode_frames_with<C: Codec>(l: &Layout, bytes: &[u8], cal: &Calibration<'_>, out: Frames<'_>) {
    let (factor, offset) = (cal.factor, cal.offset);
    let np = l.points;
    let stride = l.stride();
    let pb = l.point_bytes();
    if l.analog_total == 0 {
        // Points of consecutive frames are contiguous: one tight loop over the whole run.
        decode_points::<C>(l, bytes, out.positions, out.residuals, out.masks, out.valid);
        return;
    }
    let ch = l.channels;
    let per_frame = l.spf * ch;
    let nf = out
        .positions
        .len()
        .checked_div(np)
        .unwrap_or(out.analog.len() / per_frame.max(1));
    for f in 0..nf {
        let frame = &bytes[f * stride..(f + 1) * stride];
        let pr = f * np..(f + 1) * np;
        decode_points::<C>(
            l,
            &frame[..pb],
            &mut out.positions[pr.clone()],
            &mut out.residuals[pr.clone()],
            &mut out.masks[pr.clone()],
            &mut out.valid[pr],
        );
        let a_out = &mut out.analog[f * per_frame..(f + 1) * per_frame];
        let a_in = &frame[pb..];
        if l.float {
            for (i, (o, b)) in a_out.iter_mut().zip(a_in.chunks_exact(4)).enumerate() {
                let c = i % ch;
                let raw = C::f32([b[0], b[1], b[2], b[3]]) as f64;
                *o = ((raw - offset[c]) * factor[c]) as f32;
            }
        } else {
            for (i, (o, b)) in a_out.iter_mut().zip(a_in.chunks_exact(2)).enumerate() {
                let c = i % ch;
                let v = C::i16([b[0], b[1]]);
                let raw = if l.unsigned_analog {
                    v as u16 as f64
                } else {
                    v as f64
                };
                *o = ((raw - offset[c]) * factor[c]) as f32;
            }
        }
    }
}

#[inline(always)]
fn decode_points<C: Codec>(
    l: &Layout,
    bytes: &[u8],
    pos: &mut [[f32; 3]],
    res: &mut [f32],
    mask: &mut [u8],
    valid: &mut [bool],
) {
    if l.float {
        let rs = l.residual_scale;
        let (src, _) = bytes.as_chunks::<16>();
        for ((((s, p), r), m), v) in src
            .iter()
            .zip(pos.iter_mut())
            .zip(res.iter_mut())
            .zip(mask.iter_mut())
            .zip(valid.iter_mut())
        {
            let x = C::f32([s[0], s[1], s[2], s[3]]);
            let y = C::f32([s[4], s[5], s[6], s[7]]);
            let z = C::f32([s[8], s[9], s[10], s[11]]);
            let w = C::f32([s[12], s[13], s[14], s[15]]);
            // Gap: the 4th word is negative (sign bit set) or not a number, or a coordinate is
            // not finite. Otherwise the 4th word's integer value packs camera mask (high byte)
            // and residual (low byte), as the standard says. Some writers store the 16-bit
            // integer-format word in the float's upper half instead (e.g. 0x7F00_7F00, a float
            // of 1.7e38 that no 16-bit value explains): beyond 65 535 the upper half is that
            // word (all cameras, residual 0 in that example; ezc3d reads residual 0 too).
            // Non-short-circuit `&` keeps the loop free of branches.
            let ok =
                !w.is_sign_negative() & !w.is_nan() & x.is_finite() & y.is_finite() & z.is_finite();
            let word = if w < 65536.0 {
                w as u32
            } else {
                w.to_bits() >> 16
            };
            let iw = word * ok as u32;
            *p = if ok { [x, y, z] } else { [0.0; 3] };
            *r = (iw & 0xff) as f32 * rs;
            *m = ((iw >> 8) & 0x7f) as u8;
            *v = ok;
        }
    } else {
        let sc = l.int_scale;
        let (src, _) = bytes.as_chunks::<8>();
        for ((((s, p), r), m), v) in src
            .iter()
            .zip(pos.iter_mut())
            .zip(res.iter_mut())
            .zip(mask.iter_mut())
            .zip(valid.iter_mut())
        {
            let x = C::i16([s[0], s[1]]);
            let y = C::i16([s[2], s[3]]);
            let z = C::i16([s[4], s[5]]);
            let w = C::i16([s[6], s[7]]);
            let ok = w >= 0;
            *p = if ok {
                [x as f32 * sc, y as f32 * sc, z as f32 * sc]
            } else {
                [0.0; 3]
            };
            *r = if ok { (w & 0xff) as f32 * sc } else { 0.0 };
            *m = if ok { ((w >> 8) & 0x7f) as u8 } else { 0 };
            *v = ok;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::c3d;
    use mocap_data::MarkerSample;

    fn take(markers: usize, frames: usize) -> Vec<u8> {
        let labels = (0..markers).map(|m| format!("M{m}")).collect();
        let t = MarkerTrajectories::from_fn(
            labels,
            frames,
            FrameRate::FPS_120,
            LengthUnit::Millimetre,
            UpAxis::Z,
            |f, m| MarkerSample {
                position: [f as f32, m as f32, 1.0],
                residual: 0.2,
                camera_mask: 3,
                valid: true,
            },
        )
        .expect("sizes");
        let mut bytes = Vec::new();
        c3d::write(&C3dFile::from_trajectories(t), &mut bytes).expect("write");
        bytes
    }

    /// The byte offset of a "byte N:" error.
    fn offset_of(e: &FormatError) -> u64 {
        match e {
            FormatError::Malformed {
                location: Location::Byte(at),
                message,
                ..
            } => {
                assert!(message.contains("cannot read frames"), "{message}");
                assert!(message.contains("re-copy"), "{message}");
                *at
            }
            other => panic!("not a read failure at a byte offset: {other}"),
        }
    }

    #[test]
    fn data_cut_short_after_the_layout_was_read_names_the_unreadable_chunk() {
        // The layout comes from the complete file and the data from a shorter copy (as when a
        // file is truncated while it is read): every path fails at the chunk holding the cut.
        let frames = 200;
        let bytes = take(4, frames);
        let stride = 4 * 4 * 4;
        let data_start = (bytes.len() - frames * stride) as u64;
        let cut = data_start as usize + 150 * stride + 10;
        let path = Path::new("cut.c3d");
        let dir = std::env::temp_dir().join(format!("mocap-c3d-cut-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let short = dir.join("short.c3d");
        std::fs::write(&short, &bytes[..cut]).expect("write");
        let short_file = std::fs::File::open(&short).expect("open");
        for threads in [1, 2, 3, 7] {
            for chunk_bytes in [stride, 4096, CHUNK_BYTES] {
                let opts = ReadOptions {
                    threads,
                    parallel_min_bytes: 0,
                    chunk_bytes,
                };
                let chunk = (chunk_bytes / stride * stride) as u64;
                let sources = [
                    Source::Bytes(&bytes[..cut]),
                    #[cfg(unix)]
                    Source::File(&short_file),
                ];
                for src in sources {
                    let e = read(std::io::Cursor::new(&bytes), path, src, &opts)
                        .expect_err("the data section is cut short");
                    assert!(e.to_string().starts_with("cut.c3d: byte "), "{e}");
                    let at = offset_of(&e);
                    assert!(
                        at >= data_start && at <= cut as u64 && cut as u64 - at < chunk,
                        "{threads} threads, {chunk_bytes}-byte chunks: {e}"
                    );
                }
            }
        }
        // One thread with the default chunk reads the whole section in one go, from its start.
        let opts = ReadOptions {
            threads: 1,
            ..ReadOptions::default()
        };
        let e = read(
            std::io::Cursor::new(&bytes),
            path,
            Source::Bytes(&bytes[..cut]),
            &opts,
        )
        .expect_err("cut");
        assert_eq!(offset_of(&e), data_start);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_intact_file_reads_the_same_on_every_path() {
        let bytes = take(3, 500);
        let path = Path::new("t.c3d");
        let reference = read(
            std::io::Cursor::new(&bytes),
            path,
            Source::Stream,
            &ReadOptions {
                threads: 1,
                ..ReadOptions::default()
            },
        )
        .expect("read");
        for threads in [2, 5] {
            let opts = ReadOptions {
                threads,
                parallel_min_bytes: 0,
                chunk_bytes: 100,
            };
            let f = read(
                std::io::Cursor::new(&bytes),
                path,
                Source::Bytes(&bytes),
                &opts,
            )
            .expect("read");
            assert_eq!(f, reference);
        }
    }
}
