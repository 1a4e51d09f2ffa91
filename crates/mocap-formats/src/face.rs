//! Face takes: Live Link Face CSV, generic CSV and JSON of named curves.
//!
//! **Live Link Face CSV** (what Epic's iPhone app exports):
//! ```text
//! Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,…,JawRight,JawLeft,…,TongueOut,HeadYaw,…,RightEyeRoll
//! 17:25:04:23.418,61,0.0123,0.0,…
//! ```
//! Columns are matched **by name** (the CSV puts `JawRight` before `JawLeft` and `MouthRight`
//! before `MouthLeft`, unlike the UDP packet), in any spelling
//! [`mocap_data::face::normalize_name`] accepts. `Timecode` is `HH:MM:SS:FF.sub`; the first row's
//! becomes [`FaceCurves::start_timecode`]. The file does not state its rate: it is
//! [`FaceReadOptions::rate`] when given, else the smallest common rate (24, 25, 30, 50, 60, 120) above
//! every `FF` seen (a warning says so).
//!
//! **Generic CSV**: a header of channel names, optionally with a `time` (seconds) or `frame` column;
//! the rate comes from the option, else from the time column's spacing, else 60 with a warning.
//!
//! **JSON**: `{"frame_rate": 60, "start_timecode": "01:00:00:00", "blendshapes": {"jawOpen": […]},
//! "rotations": {"headYaw": […]}}` (`frame_rate` may also be `"30000/1001"`; `null` values are
//! missing samples).
//!
//! Bad input: a row with fewer or more cells than the header, a cell that is not a number, or no
//! face channel at all is an error naming the line (and column). Missing samples (empty cells,
//! `NaN`, `null`) hold the previous frame's value (0 at the start); weights outside 0–1 are
//! clamped; columns that are no ARKit channel are kept under their own names. Each of these fixes
//! adds one warning saying how many values and where the first one was.
//!
//! Rows are parsed in parallel chunks (one per core) with a fast path for plain decimals.

use crate::face_bulk::{
    Repair, count_newlines, flush_block, par_map, read_file, repair_group, row_capacity,
    split_lines,
};
use crate::face_num::{cell_end, scan_num};
use crate::{FormatError, Location};
use mocap_data::face::{FaceChannel, normalize_name, pascal_case};
use mocap_data::{Curve, FaceCurves, FrameRate, Timecode, TimecodeFormat};
use std::io::Write;
use std::path::Path;

pub use crate::face_json::{read_json, to_json};

/// Live Link Face's CSV column order for the 61 channels (PascalCase; note `JawRight, JawLeft`
/// and `MouthRight, MouthLeft`). The writer uses this order.
pub const LIVE_LINK_FACE_CSV_COLUMNS: [&str; 61] = [
    "EyeBlinkLeft",
    "EyeLookDownLeft",
    "EyeLookInLeft",
    "EyeLookOutLeft",
    "EyeLookUpLeft",
    "EyeSquintLeft",
    "EyeWideLeft",
    "EyeBlinkRight",
    "EyeLookDownRight",
    "EyeLookInRight",
    "EyeLookOutRight",
    "EyeLookUpRight",
    "EyeSquintRight",
    "EyeWideRight",
    "JawForward",
    "JawRight",
    "JawLeft",
    "JawOpen",
    "MouthClose",
    "MouthFunnel",
    "MouthPucker",
    "MouthRight",
    "MouthLeft",
    "MouthSmileLeft",
    "MouthSmileRight",
    "MouthFrownLeft",
    "MouthFrownRight",
    "MouthDimpleLeft",
    "MouthDimpleRight",
    "MouthStretchLeft",
    "MouthStretchRight",
    "MouthRollLower",
    "MouthRollUpper",
    "MouthShrugLower",
    "MouthShrugUpper",
    "MouthPressLeft",
    "MouthPressRight",
    "MouthLowerDownLeft",
    "MouthLowerDownRight",
    "MouthUpperUpLeft",
    "MouthUpperUpRight",
    "BrowDownLeft",
    "BrowDownRight",
    "BrowInnerUp",
    "BrowOuterUpLeft",
    "BrowOuterUpRight",
    "CheekPuff",
    "CheekSquintLeft",
    "CheekSquintRight",
    "NoseSneerLeft",
    "NoseSneerRight",
    "TongueOut",
    "HeadYaw",
    "HeadPitch",
    "HeadRoll",
    "LeftEyeYaw",
    "LeftEyePitch",
    "LeftEyeRoll",
    "RightEyeYaw",
    "RightEyePitch",
    "RightEyeRoll",
];

/// What a face file leaves unstated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaceReadOptions {
    /// The take's rate; `None` infers it (see the module docs).
    pub rate: Option<FrameRate>,
}

/// Which layout a face CSV had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaceLayout {
    /// Live Link Face CSV (`Timecode,BlendShapeCount,…`).
    LiveLinkFace,
    /// CSV of named columns.
    GenericCsv,
    /// JSON of named curves.
    Json,
}

/// A face take as read: the curves plus what the reader had to fix or guess.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceTake {
    /// The curves (ARKit channels in canonical order first, then other weights in file order).
    pub curves: FaceCurves,
    /// The file's layout.
    pub layout: FaceLayout,
    /// True when the rate was inferred rather than given or stated.
    pub rate_inferred: bool,
    /// One line per kind of fix (clamped weights, filled samples, unknown names, guessed rate).
    pub warnings: Vec<String>,
}

fn mem() -> &'static Path {
    Path::new("<memory>")
}

pub(crate) fn at(line: usize, col: Option<usize>, msg: impl Into<String>) -> FormatError {
    FormatError::malformed(mem(), Location::Line(line, col), msg)
}

/// Reads a face file by extension: `.json` as JSON, anything else as CSV.
pub fn read_path(path: &Path, opts: FaceReadOptions) -> Result<FaceTake, FormatError> {
    let bytes = read_file(path).map_err(|e| FormatError::io(path, e))?;
    let is_json = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let mut take = if is_json {
        read_json(&bytes, opts)
    } else {
        read_csv(&bytes, opts)
    }
    .map_err(|e| e.with_path(path))?;
    let name = path.display();
    for w in &mut take.warnings {
        *w = format!("{name}: {w}");
    }
    Ok(take)
}

/// What a header column holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Timecode,
    Count,
    Time,
    Frame,
    /// Slot in the per-row value buffer.
    Value(usize),
}

/// A destination curve: canonical channel or an extra weight.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) channel: Option<FaceChannel>,
    pub(crate) name: String,
    pub(crate) column: usize,
}

/// `HH:MM:SS:FF[.sub]` → (seconds since midnight, FF): a byte-level fast path for the two-digit
/// form Live Link Face writes, else [`parse_llf_timecode_text`].
#[inline]
fn parse_llf_timecode(cell: &[u8]) -> Option<(u32, u32)> {
    if let [h1, h0, s1, m1, m0, s2, c1, c0, s3, f1, f0, rest @ ..] = cell
        && matches!(rest.first(), None | Some(b'.'))
        && [s1, s2, s3].iter().all(|c| matches!(c, b':' | b';'))
        && [h1, h0, m1, m0, c1, c0, f1, f0]
            .iter()
            .all(|c| c.is_ascii_digit())
    {
        let two = |a: u8, b: u8| (a - b'0') as u32 * 10 + (b - b'0') as u32;
        let (h, m, sec, ff) = (two(*h1, *h0), two(*m1, *m0), two(*c1, *c0), two(*f1, *f0));
        if h <= 23 && m <= 59 && sec <= 59 {
            return Some((h * 3600 + m * 60 + sec, ff));
        }
        return None;
    }
    parse_llf_timecode_text(cell)
}

/// [`parse_llf_timecode`] for any spelling: surrounding whitespace, 1–3 digit fields.
fn parse_llf_timecode_text(cell: &[u8]) -> Option<(u32, u32)> {
    let text = std::str::from_utf8(cell).ok()?.trim();
    let main = text.split('.').next()?;
    let mut it = main.split([':', ';']);
    let mut v = [0u32; 4];
    for slot in &mut v {
        let p = it.next()?;
        if p.is_empty() || p.len() > 3 {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    if it.next().is_some() || v[0] > 23 || v[1] > 59 || v[2] > 59 {
        return None;
    }
    Some((v[0] * 3600 + v[1] * 60 + v[2], v[3]))
}

/// Per-chunk parse result (the values go straight into the chunk's rows of the curves): times
/// (if a time column), timecodes (if any).
#[derive(Default)]
struct Chunk {
    rows: usize,
    times: Vec<f64>,
    first_tc: Option<(u32, u32)>,
    max_ff: u32,
    /// Blank lines after the last row (an error if a later chunk has rows).
    blank_tail: bool,
}

fn cell_text(b: &[u8], i: usize, end: usize) -> String {
    String::from_utf8_lossy(&b[i..end]).trim().to_string()
}

/// An error at line `li` of a chunk that only a bug in this reader can cause.
fn reader_bug(li: usize, col: Option<usize>, what: &str) -> (usize, FormatError) {
    let msg = format!("{what} (a reader bug: please report it with this file)");
    (li, at(0, col, msg))
}

/// Parses the rows of `text` into `dst` (one slice per value slot, channel-major, as many rows
/// as [`row_capacity`] allows: frame `r` of slot `v` is `dst[v][r]`).
fn parse_chunk(
    text: &[u8],
    cols: &[Col],
    mut dst: Vec<&mut [f32]>,
) -> Result<Chunk, (usize, FormatError)> {
    let mut out = Chunk::default();
    let mut blank_at: Option<usize> = None;
    // Rows are parsed into a small row-major block (in L1) and written out per curve every
    // `BLOCK` rows: long runs per curve instead of one value in each of the curves per row.
    const BLOCK: usize = 64;
    let (nvals, cap) = (dst.len(), dst.iter().map(|d| d.len()).min().unwrap_or(0));
    let (mut block, mut in_block) = (vec![0.0f32; BLOCK * nvals], 0usize);
    let len = text.len();
    let mut i = 0;
    let mut li = 0usize;
    while i < len {
        // A blank (whitespace-only) line?
        let mut k = i;
        while k < len && text[k] != b'\n' && text[k].is_ascii_whitespace() {
            k += 1;
        }
        if k == len || text[k] == b'\n' {
            blank_at.get_or_insert(li);
            i = k + 1;
            li += 1;
            continue;
        }
        if let Some(b) = blank_at {
            return Err((b, at(0, None, "blank line inside the data; remove it")));
        }
        if out.rows >= cap {
            return Err(reader_bug(li, None, "more rows than lines counted"));
        }
        let row = in_block * nvals;
        for (ci, col) in cols.iter().enumerate() {
            let end = match *col {
                Col::Value(slot) => {
                    let (v, end) = scan_num(text, i);
                    let cell = block.get_mut(row + slot);
                    match (v, cell) {
                        (None, Some(c)) => *c = f32::NAN,
                        (Some(Ok(v)), Some(c)) => *c = v,
                        (_, None) => {
                            return Err(reader_bug(li, Some(ci + 1), "a column without a curve"));
                        }
                        (Some(Err(())), _) => {
                            return Err((
                                li,
                                at(
                                    0,
                                    Some(ci + 1),
                                    format!("{:?} is not a number", cell_text(text, i, end)),
                                ),
                            ));
                        }
                    }
                    end
                }
                Col::Timecode => {
                    let end = cell_end(text, i);
                    let Some((s, ff)) = parse_llf_timecode(&text[i..end]) else {
                        return Err((
                            li,
                            at(
                                0,
                                Some(ci + 1),
                                format!(
                                    "timecode {:?} is not HH:MM:SS:FF[.sub]",
                                    cell_text(text, i, end)
                                ),
                            ),
                        ));
                    };
                    out.first_tc.get_or_insert((s, ff));
                    out.max_ff = out.max_ff.max(ff);
                    end
                }
                Col::Time => {
                    let (v, end) = scan_num(text, i);
                    match v {
                        Some(Ok(t)) if t.is_finite() => out.times.push(t as f64),
                        _ => {
                            return Err((
                                li,
                                at(0, Some(ci + 1), "time must be a number of seconds"),
                            ));
                        }
                    }
                    end
                }
                Col::Count | Col::Frame => cell_end(text, i),
            };
            let last = ci + 1 == cols.len();
            if !last {
                if text.get(end) == Some(&b',') {
                    i = end + 1;
                } else {
                    return Err((
                        li,
                        at(
                            0,
                            None,
                            format!(
                                "row has {} cells but the header has {}; the file is cut short \
                                 or a row lost its values",
                                ci + 1,
                                cols.len()
                            ),
                        ),
                    ));
                }
            } else {
                i = end;
            }
        }
        // End of row: an optional trailing comma and whitespace, then the newline.
        let mut k = i;
        if text.get(k) == Some(&b',') {
            k += 1;
        }
        while k < len && text[k] != b'\n' && text[k].is_ascii_whitespace() {
            k += 1;
        }
        if k < len && text[k] != b'\n' {
            return Err((
                li,
                at(
                    0,
                    Some(cols.len() + 1),
                    format!("more cells than the header's {}", cols.len()),
                ),
            ));
        }
        (out.rows, in_block) = (out.rows + 1, (in_block + 1) % BLOCK);
        if in_block == 0 {
            flush_block(&block, BLOCK, out.rows - BLOCK, &mut dst);
        }
        i = k + 1;
        li += 1;
    }
    flush_block(&block, in_block, out.rows - in_block, &mut dst);
    out.blank_tail = blank_at.is_some();
    Ok(out)
}

/// Sets the line of an error built with line 0.
fn relocate(e: FormatError, line: usize) -> FormatError {
    match e {
        FormatError::Malformed {
            path,
            location: Location::Line(_, c),
            message,
        } => FormatError::Malformed {
            path,
            location: Location::Line(line, c),
            message,
        },
        other => other,
    }
}

fn header_columns(
    header: &str,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Col>, Vec<Slot>), FormatError> {
    let mut cols = Vec::new();
    let mut slots: Vec<Slot> = Vec::new();
    for (ci, raw) in header.split(',').enumerate() {
        let name = raw.trim().trim_matches('"');
        let lower = name.to_ascii_lowercase();
        let col = match lower.as_str() {
            "timecode" => Col::Timecode,
            "blendshapecount" => Col::Count,
            "time" | "time_s" | "seconds" | "t" => Col::Time,
            "frame" | "frame#" | "frames" => Col::Frame,
            "" if ci + 1 == header.split(',').count() && ci > 0 => continue,
            "" => return Err(at(1, Some(ci + 1), "empty column name")),
            _ => {
                let channel = normalize_name(name);
                let canon = channel.map_or(name.to_string(), |c| c.name().to_string());
                if let Some(prev) = slots.iter().find(|s| s.name == canon) {
                    return Err(at(
                        1,
                        Some(ci + 1),
                        format!(
                            "column {name:?} is the same channel as column {} ({canon}); remove one",
                            prev.column + 1
                        ),
                    ));
                }
                if channel.is_none() {
                    warnings.push(format!(
                        "column {} {name:?} is no ARKit channel: kept as a curve under its own name",
                        ci + 1
                    ));
                }
                slots.push(Slot {
                    channel,
                    name: canon,
                    column: ci,
                });
                Col::Value(slots.len() - 1)
            }
        };
        cols.push(col);
    }
    if slots.iter().all(|s| s.channel.is_none()) {
        return Err(at(
            1,
            None,
            "no face channel in the header; expected Live Link Face's \
             `Timecode,BlendShapeCount,EyeBlinkLeft,…` or ARKit names such as jawOpen",
        ));
    }
    Ok((cols, slots))
}

const COMMON_RATES: [u32; 6] = [24, 25, 30, 50, 60, 120];

/// Reads a Live Link Face or generic CSV face take from memory. Errors name `<memory>`.
pub fn read_csv(bytes: &[u8], opts: FaceReadOptions) -> Result<FaceTake, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header = std::str::from_utf8(&bytes[..header_end])
        .map_err(|_| at(1, None, "header is not UTF-8 text"))?
        .trim_end_matches('\r');
    let mut warnings = Vec::new();
    let (cols, slots) = header_columns(header, &mut warnings)?;
    let nvals = slots.len();
    let body = bytes.get(header_end + 1..).unwrap_or(&[]);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(16);
    let pieces = split_lines(body, if body.len() < (1 << 20) { 1 } else { threads });
    // The curves, sized once from the line count: each piece parses into its own rows.
    let newlines: Vec<usize> = par_map(&pieces, |p| count_newlines(p));
    let caps: Vec<usize> = pieces
        .iter()
        .zip(&newlines)
        .map(|(p, &n)| row_capacity(p, n, cols.len()))
        .collect();
    let rows_max: usize = caps.iter().sum();
    let mut curves: Vec<Vec<f32>> = (0..nvals).map(|_| vec![0.0f32; rows_max]).collect();
    let mut dsts: Vec<Vec<&mut [f32]>> = pieces.iter().map(|_| Vec::with_capacity(nvals)).collect();
    for curve in &mut curves {
        let mut rest: &mut [f32] = curve;
        for (dst, &cap) in dsts.iter_mut().zip(&caps) {
            let all = std::mem::take(&mut rest);
            let (mine, more) = all.split_at_mut(cap.min(all.len()));
            dst.push(mine);
            rest = more;
        }
    }
    let results: Vec<Result<Chunk, (usize, FormatError)>> = std::thread::scope(|s| {
        let handles: Vec<_> = pieces
            .iter()
            .zip(dsts)
            .map(|(p, dst)| {
                let cols = &cols;
                s.spawn(move || parse_chunk(p, cols, dst))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((0, at(0, None, "reader thread failed"))))
            })
            .collect()
    });
    // Lines: header is line 1; every chunk's lines follow the previous chunk's. Rows are
    // contiguous: a chunk with fewer rows than its capacity has a blank tail, and a later chunk
    // with rows is then an error.
    let mut chunks = Vec::with_capacity(results.len());
    let mut line0 = 2;
    let mut ended = false;
    for ((r, &newlines), &cap) in results.into_iter().zip(&newlines).zip(&caps) {
        match r {
            Ok(c) => {
                if c.rows > 0 && ended {
                    return Err(at(line0 - 1, None, "blank line inside the data; remove it"));
                }
                ended |= c.blank_tail || c.rows < cap;
                chunks.push(c)
            }
            Err((li, e)) => return Err(relocate(e, line0 + li)),
        }
        line0 += newlines;
    }
    let frames: usize = chunks.iter().map(|c| c.rows).sum();
    for c in &mut curves {
        c.truncate(frames);
    }
    let is_llf = cols.contains(&Col::Timecode);
    let first_tc = chunks.iter().find_map(|c| c.first_tc);
    let max_ff = chunks.iter().map(|c| c.max_ff).max().unwrap_or(0);
    let times: Vec<f64> = chunks
        .iter()
        .flat_map(|c| c.times.iter().copied())
        .collect();

    let mut rate_inferred = false;
    let rate = match opts.rate {
        Some(r) => r,
        None if is_llf => {
            rate_inferred = true;
            let fps = COMMON_RATES
                .into_iter()
                .find(|&r| r > max_ff)
                .unwrap_or(max_ff + 1);
            warnings.push(format!(
                "the file states no rate: {fps} fps assumed from its timecodes (frames up to \
                 {max_ff}); pass the rate if it differs"
            ));
            FrameRate::integer(fps).map_err(|e| at(2, None, e.to_string()))?
        }
        None if times.len() >= 2 => {
            let dt = (times[times.len() - 1] - times[0]) / (times.len() - 1) as f64;
            FrameRate::from_hz(1.0 / dt).map_err(|e| {
                at(
                    2,
                    None,
                    format!("the time column gives no usable rate: {e}"),
                )
            })?
        }
        None => {
            rate_inferred = true;
            warnings.push("the file states no rate: 60 fps assumed".to_string());
            FrameRate::FPS_60
        }
    };
    let start_timecode = first_tc.map(|(s, ff)| {
        let format = TimecodeFormat::for_rate(rate);
        let fps = format.nominal_fps;
        Timecode::from_frame_count(
            s as i64 * fps as i64 + (ff.min(fps - 1)) as i64,
            TimecodeFormat {
                drop_frame: false,
                ..format
            },
        )
    });
    drop(chunks);
    let fixed = assemble(slots, curves, &mut warnings, |f| format!("line {}", f + 2));
    let (blendshapes, rotations) = fixed;
    let curves = FaceCurves::new(rate, start_timecode, blendshapes, rotations)
        .map_err(|e| at(1, None, e.to_string()))?;
    Ok(FaceTake {
        curves,
        layout: if is_llf {
            FaceLayout::LiveLinkFace
        } else {
            FaceLayout::GenericCsv
        },
        rate_inferred,
        warnings,
    })
}

/// Repairs missing samples, clamps weights and orders the curves canonically. `where_` names the
/// position of frame `f` for warnings.
pub(crate) fn assemble(
    slots: Vec<Slot>,
    mut values: Vec<Vec<f32>>,
    warnings: &mut Vec<String>,
    where_: impl Fn(usize) -> String,
) -> (Vec<Curve>, Vec<Curve>) {
    let mut filled = (0usize, None::<(usize, String)>);
    let mut clamped = (0usize, None::<(usize, String, f32)>);
    // Curves are repaired in parallel (a group of curves per core), then the counts and first
    // places are gathered in slot order, as a serial pass would find them.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let frames = values.first().map_or(0, Vec::len);
    let groups = if frames * values.len() < (1 << 20) {
        1
    } else {
        threads.clamp(1, 16)
    };
    let per = values.len().div_ceil(groups).max(1);
    let weights: Vec<bool> = slots
        .iter()
        .map(|s| !matches!(s.channel, Some(FaceChannel::Rotation(_))))
        .collect();
    let mut work: Vec<(&[bool], &mut [Vec<f32>])> =
        weights.chunks(per).zip(values.chunks_mut(per)).collect();
    let found: Vec<Vec<Repair>> = if work.len() < 2 {
        work.iter_mut().map(|(w, v)| repair_group(w, v)).collect()
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = work
                .iter_mut()
                .map(|(w, v)| s.spawn(move || repair_group(w, v)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    for (slot, r) in slots.iter().zip(found.into_iter().flatten()) {
        filled.0 += r.filled;
        if let Some(f) = r.first_filled {
            filled.1.get_or_insert((f, slot.name.clone()));
        }
        clamped.0 += r.clamped;
        if let Some((f, v)) = r.first_clamped {
            clamped.1.get_or_insert((f, slot.name.clone(), v));
        }
    }
    if let (n, Some((f, name))) = filled {
        warnings.push(format!(
            "{n} missing or non-finite values held from the previous frame (first: {}, {name})",
            where_(f)
        ));
    }
    if let (n, Some((f, name, v))) = clamped {
        warnings.push(format!(
            "{n} weights outside 0–1 clamped (first: {}, {name} = {v})",
            where_(f)
        ));
    }
    let mut pairs: Vec<(Slot, Vec<f32>)> = slots.into_iter().zip(values).collect();
    pairs.sort_by_key(|(s, _)| match s.channel {
        Some(FaceChannel::Blendshape(i)) => (0, i, s.column),
        Some(FaceChannel::Rotation(i)) => (2, i, s.column),
        None => (1, 0, s.column),
    });
    let mut blend = Vec::new();
    let mut rot = Vec::new();
    for (s, v) in pairs {
        let c = Curve {
            name: s.name,
            values: v,
        };
        match s.channel {
            Some(FaceChannel::Rotation(_)) => rot.push(c),
            _ => blend.push(c),
        }
    }
    (blend, rot)
}

/// Writes curves as Live Link Face CSV: `Timecode,BlendShapeCount,` then the ARKit channels the
/// take has in Live Link Face's CSV order (PascalCase), other weights under their names, then the
/// rotations. Timecodes count from `start_timecode` (or 00:00:00:00) at the take's rate.
pub fn write_csv<W: Write>(curves: &FaceCurves, out: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, out);
    let mut order: Vec<&Curve> = Vec::new();
    for col in LIVE_LINK_FACE_CSV_COLUMNS {
        if let Some(c) = curves.curve(col) {
            order.push(c);
        }
    }
    let known = order.len();
    order.extend(
        curves
            .blendshapes
            .iter()
            .chain(&curves.rotations)
            .filter(|c| normalize_name(&c.name).is_none()),
    );
    let pascal = |c: &Curve| match normalize_name(&c.name) {
        Some(ch) => pascal_case(ch.name()),
        None => c.name.replace(',', "_"),
    };
    // Unknown curves go before the rotations only in spirit: Live Link Face readers match by name.
    write!(w, "Timecode,BlendShapeCount")?;
    for c in &order {
        write!(w, ",{}", pascal(c))?;
    }
    writeln!(w)?;
    let format = TimecodeFormat::for_rate(curves.rate);
    let start = curves.start_timecode.map_or(0, |t| t.to_frame_count());
    let mut line = String::with_capacity(16 * (order.len() + 2));
    for f in 0..curves.frame_count() {
        line.clear();
        let tc = Timecode::from_frame_count(start + f as i64, format);
        use std::fmt::Write as _;
        let _ = write!(line, "{tc}.000,{known}");
        for c in &order {
            let v = c.values[f];
            let _ = if v == 0.0 {
                write!(line, ",0")
            } else {
                write!(line, ",{v:.6}")
            };
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

/// [`write_csv`] to a file.
pub fn write_csv_path(curves: &FaceCurves, path: &Path) -> Result<(), FormatError> {
    let file = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    write_csv(curves, file).map_err(|e| FormatError::io(path, e))
}
