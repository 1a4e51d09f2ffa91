//! TRC (track row column) marker files, as OpenSim and Motion Analysis write them.
//!
//! Layout (tab-separated, LF or CRLF):
//! ```text
//! PathFileType  4  (X/Y/Z)  walk.trc
//! DataRate  CameraRate  NumFrames  NumMarkers  Units  OrigDataRate  OrigDataStartFrame  OrigNumFrames
//! 120  120  2  2  mm  120  1  2
//! Frame#  Time  RASI      LASI
//!               X1  Y1  Z1  X2  Y2  Z2
//! (blank line)
//! 1  0  1.5  2  3  4  5  6
//! 2  0.008333  1.5  2  3  (gap: empty cells)
//! ```
//! Empty cells (or `NaN`) are gaps; cells missing at the end of a row are gaps too. TRC files do
//! not state an up axis; OpenSim uses Y-up, which is the default of [`TrcOptions::up_axis`].
//! Residuals and camera masks are not part of TRC: the reader sets them to 0 and the writer
//! drops them.

use crate::{FormatError, Location};
use mocap_data::{FrameRate, LengthUnit, MarkerTrajectories, UpAxis};
use std::io::Write;
use std::path::Path;

/// At most this many marker samples per input byte: rows may omit trailing gap cells, but a file
/// whose header would make the reader allocate more than this is rejected as implausible.
const MAX_SAMPLES_PER_BYTE: usize = 4;

/// A parsed TRC file: the trajectories plus the header values that have no place in
/// [`MarkerTrajectories`].
#[derive(Debug, Clone, PartialEq)]
pub struct TrcFile {
    /// The markers: positions in `markers.unit` (from `Units`), rate from `DataRate`,
    /// `first_frame` = the first row's `Frame#`, up axis from [`TrcOptions`].
    pub markers: MarkerTrajectories,
    /// `PathFileType` value (usually `4`).
    pub path_file_type: String,
    /// Axis label after the path file type (usually `(X/Y/Z)`).
    pub axes_label: String,
    /// File name recorded on the first line.
    pub file_name: String,
    /// `DataRate`, Hz, as written.
    pub data_rate_hz: f64,
    /// `CameraRate`, Hz (defaults to `DataRate` when absent).
    pub camera_rate_hz: f64,
    /// `OrigDataRate`, Hz (defaults to `DataRate` when absent).
    pub orig_data_rate_hz: f64,
    /// `OrigDataStartFrame`, file frame number (defaults to 1).
    pub orig_data_start_frame: i64,
    /// `OrigNumFrames`, frames (defaults to `NumFrames`).
    pub orig_num_frames: u64,
    /// `Units` exactly as written (e.g. `mm`, `m`).
    pub units: String,
    /// `Frame#` of every row, file numbering.
    pub frame_numbers: Vec<i64>,
    /// `Time` of every row, seconds.
    pub times_s: Vec<f64>,
}

/// What TRC leaves unstated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrcOptions {
    /// Up axis of the lab space (default Y-up, OpenSim's convention).
    pub up_axis: UpAxis,
}

impl Default for TrcOptions {
    fn default() -> Self {
        Self { up_axis: UpAxis::Y }
    }
}

fn mem() -> &'static Path {
    Path::new("<memory>")
}

fn at(line: usize, col: Option<usize>, msg: impl Into<String>) -> FormatError {
    FormatError::malformed(mem(), Location::Line(line, col), msg)
}

/// Parses a TRC file held in memory, with default [`TrcOptions`]. Errors name `<memory>`.
pub fn parse(bytes: &[u8]) -> Result<TrcFile, FormatError> {
    parse_with(bytes, &TrcOptions::default())
}

/// Reads a TRC file from disk, with default [`TrcOptions`].
pub fn read_path(path: &Path) -> Result<TrcFile, FormatError> {
    read_path_with(path, &TrcOptions::default())
}

/// Reads a TRC file from disk.
pub fn read_path_with(path: &Path, opts: &TrcOptions) -> Result<TrcFile, FormatError> {
    let bytes = std::fs::read(path).map_err(|e| FormatError::io(path, e))?;
    parse_with(&bytes, opts).map_err(|e| e.with_path(path))
}

/// 1-based column (in bytes) of cell `k` of a tab-split line.
fn cell_col(cells: &[&str], k: usize) -> usize {
    cells[..k].iter().map(|c| c.len() + 1).sum::<usize>() + 1
}

/// Parses a TRC file held in memory. Errors name `<memory>`.
pub fn parse_with(bytes: &[u8], opts: &TrcOptions) -> Result<TrcFile, FormatError> {
    let text = String::from_utf8_lossy(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes));
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let mut next_line = |what: &str| {
        lines.next().ok_or_else(|| {
            at(
                1,
                None,
                format!("file ends before the {what} line; is this a TRC file?"),
            )
        })
    };

    // Line 1: PathFileType 4 (X/Y/Z) name
    let (l1, first) = next_line("PathFileType")?;
    let c1: Vec<&str> = first.split('\t').collect();
    if !c1[0].trim().eq_ignore_ascii_case("PathFileType") {
        return Err(at(
            l1,
            Some(1),
            "expected `PathFileType` at the start of a TRC file",
        ));
    }
    let path_file_type = c1.get(1).map_or("", |s| s.trim()).to_string();
    let axes_label = c1.get(2).map_or("", |s| s.trim()).to_string();
    let file_name = c1
        .get(3..)
        .map_or(String::new(), |r| r.join("\t").trim().to_string());

    // Lines 2–3: header keys and values.
    let (l2, keys) = next_line("header names")?;
    let (l3, vals) = next_line("header values")?;
    let TrcHeader {
        data_rate_hz,
        camera_rate_hz,
        num_frames,
        num_markers,
        unit,
        units,
        orig_data_rate_hz,
        orig_data_start_frame,
        orig_num_frames,
        rate,
    } = parse_header_lines((l2, keys), (l3, vals))?;

    // Line 4: Frame# Time name _ _ name _ _ …
    let (l4, names) = next_line("marker name")?;
    let nc: Vec<&str> = names.split('\t').collect();
    if !nc[0].trim().eq_ignore_ascii_case("Frame#") {
        return Err(at(l4, Some(1), "expected the `Frame#  Time  marker…` line"));
    }
    let labels: Vec<String> = nc
        .iter()
        .skip(2)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if labels.len() != num_markers as usize {
        return Err(at(
            l4,
            None,
            format!(
                "{} marker names but `NumMarkers` is {num_markers}; fix the header or the name row",
                labels.len()
            ),
        ));
    }
    let m = labels.len();
    // Line 5: X1 Y1 Z1 … (checked loosely: it must not be a data row).
    let (l5, xyz) = next_line("X1 Y1 Z1")?;
    if xyz.split('\t').any(|c| c.trim().parse::<f64>().is_ok()) {
        return Err(at(
            l5,
            None,
            "expected the `X1 Y1 Z1 …` coordinate label line",
        ));
    }

    // Size check before allocating.
    let samples = (num_frames as usize).saturating_mul(m);
    if samples > bytes.len().saturating_mul(MAX_SAMPLES_PER_BYTE) + 1024 {
        return Err(at(
            l3,
            None,
            format!(
                "`NumFrames` {num_frames} × `NumMarkers` {m} cannot fit in a {}-byte file; the header is wrong",
                bytes.len()
            ),
        ));
    }
    let frames = num_frames as usize;
    let Rows {
        positions,
        valid,
        frame_numbers,
        times_s,
    } = data_rows(lines, frames, m)?;
    if frame_numbers.len() != frames {
        return Err(at(
            l3,
            None,
            format!(
                "`NumFrames` is {frames} but the file has {} data rows; the file is truncated or the header is wrong",
                frame_numbers.len()
            ),
        ));
    }
    let n = positions.len();
    let mut markers = MarkerTrajectories::from_parts(
        labels,
        frames,
        rate,
        unit,
        opts.up_axis,
        positions,
        vec![0.0; n],
        vec![0; n],
        valid,
    )
    .map_err(|e| at(l3, None, e.to_string()))?;
    markers.first_frame = frame_numbers.first().copied().unwrap_or(1);
    Ok(TrcFile {
        markers,
        path_file_type,
        axes_label,
        file_name,
        data_rate_hz,
        camera_rate_hz,
        orig_data_rate_hz,
        orig_data_start_frame,
        orig_num_frames,
        units: units.to_string(),
        frame_numbers,
        times_s,
    })
}

/// The values of TRC header lines 2–3.
struct TrcHeader<'a> {
    /// `DataRate` (frames per second).
    data_rate_hz: f64,
    /// `CameraRate` (frames per second; `DataRate` when absent).
    camera_rate_hz: f64,
    /// `NumFrames` (frames, not negative).
    num_frames: i64,
    /// `NumMarkers` (markers, not negative).
    num_markers: i64,
    /// `Units` parsed (length unit of the coordinates).
    unit: LengthUnit,
    /// `Units` as written.
    units: &'a str,
    /// `OrigDataRate` (frames per second; `DataRate` when absent).
    orig_data_rate_hz: f64,
    /// `OrigDataStartFrame` (frame number; 1 when absent).
    orig_data_start_frame: i64,
    /// `OrigNumFrames` (frames; `NumFrames` when absent).
    orig_num_frames: u64,
    /// `DataRate` as a frame rate.
    rate: FrameRate,
}

/// Parses header line 2 (names, line `l2`) and line 3 (values, line `l3`).
fn parse_header_lines<'a>(
    (l2, keys): (usize, &str),
    (l3, vals): (usize, &'a str),
) -> Result<TrcHeader<'a>, FormatError> {
    let keys: Vec<&str> = keys.split('\t').map(str::trim).collect();
    let vals: Vec<&str> = vals.split('\t').map(str::trim).collect();
    let get = |name: &str| -> Option<(usize, &str)> {
        let k = keys.iter().position(|k| k.eq_ignore_ascii_case(name))?;
        vals.get(k).map(|v| (k, *v)).filter(|(_, v)| !v.is_empty())
    };
    let need = |name: &str| {
        get(name).ok_or_else(|| {
            at(
                l2,
                None,
                format!("header `{name}` is missing or has no value on line {l3}"),
            )
        })
    };
    let float = |name: &str, (k, v): (usize, &str)| -> Result<f64, FormatError> {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite() && *x > 0.0)
            .ok_or_else(|| {
                at(
                    l3,
                    Some(cell_col(&vals, k)),
                    format!("`{name}` value `{v}` is not a positive number"),
                )
            })
    };
    let int = |name: &str, (k, v): (usize, &str)| -> Result<i64, FormatError> {
        v.parse::<i64>().ok().ok_or_else(|| {
            at(
                l3,
                Some(cell_col(&vals, k)),
                format!("`{name}` value `{v}` is not a whole number"),
            )
        })
    };
    let data_rate_hz = float("DataRate", need("DataRate")?)?;
    let camera_rate_hz = match get("CameraRate") {
        Some(v) => float("CameraRate", v)?,
        None => data_rate_hz,
    };
    let num_frames = int("NumFrames", need("NumFrames")?)?;
    let num_markers = int("NumMarkers", need("NumMarkers")?)?;
    if num_frames < 0 || num_markers < 0 {
        return Err(at(
            l3,
            None,
            "`NumFrames` and `NumMarkers` must not be negative",
        ));
    }
    let (uk, units) = need("Units")?;
    let unit = LengthUnit::parse(units).ok_or_else(|| FormatError::Unsupported {
        path: mem().to_path_buf(),
        location: Location::Line(l3, Some(cell_col(&vals, uk))),
        message: format!("`Units` `{units}`: use mm, cm, m or in"),
    })?;
    let orig_data_rate_hz = match get("OrigDataRate") {
        Some(v) => float("OrigDataRate", v)?,
        None => data_rate_hz,
    };
    let orig_data_start_frame = match get("OrigDataStartFrame") {
        Some(v) => int("OrigDataStartFrame", v)?,
        None => 1,
    };
    let orig_num_frames = match get("OrigNumFrames") {
        Some(v) => int("OrigNumFrames", v)?.max(0) as u64,
        None => num_frames as u64,
    };
    let rate = FrameRate::from_hz(data_rate_hz)
        .map_err(|e| at(l3, None, format!("`DataRate` {data_rate_hz}: {e}")))?;
    Ok(TrcHeader {
        data_rate_hz,
        camera_rate_hz,
        num_frames,
        num_markers,
        unit,
        units,
        orig_data_rate_hz,
        orig_data_start_frame,
        orig_num_frames,
        rate,
    })
}

/// The data rows of a TRC file, `m` markers per frame, frame-major.
struct Rows {
    /// Marker positions (file length unit, file axes); zero where not valid.
    positions: Vec<[f32; 3]>,
    /// Whether all three coordinates of a sample were present.
    valid: Vec<bool>,
    /// `Frame#` of each row.
    frame_numbers: Vec<i64>,
    /// `Time` of each row (seconds).
    times_s: Vec<f64>,
}

/// Reads the data rows after the header (at most `frames` of them, `m` markers each).
fn data_rows<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
    frames: usize,
    m: usize,
) -> Result<Rows, FormatError> {
    let samples = frames.saturating_mul(m);
    let mut positions: Vec<[f32; 3]> = Vec::with_capacity(samples);
    let mut valid: Vec<bool> = Vec::with_capacity(samples);
    let mut frame_numbers = Vec::with_capacity(frames);
    let mut times_s = Vec::with_capacity(frames);
    let expected_cells = 2 + 3 * m;
    for (ln, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        if frame_numbers.len() == frames {
            return Err(at(
                ln,
                None,
                format!("more data rows than `NumFrames` {frames}; fix the header"),
            ));
        }
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() > expected_cells
            && cells[expected_cells..].iter().any(|c| !c.trim().is_empty())
        {
            return Err(at(
                ln,
                Some(cell_col(&cells, expected_cells)),
                format!("more than {expected_cells} cells (Frame#, Time, 3 × {m} markers)"),
            ));
        }
        let fnum = cells[0].trim().parse::<i64>().map_err(|_| {
            at(
                ln,
                Some(1),
                format!("`Frame#` `{}` is not a whole number", cells[0].trim()),
            )
        })?;
        let time = cells
            .get(1)
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| at(ln, None, "row has no `Time` cell"))?;
        let time = time
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite())
            .ok_or_else(|| {
                at(
                    ln,
                    Some(cell_col(&cells, 1)),
                    format!("`Time` `{time}` is not a number"),
                )
            })?;
        frame_numbers.push(fnum);
        times_s.push(time);
        for k in 0..m {
            let mut p = [0.0f32; 3];
            let mut present = 0;
            for (a, pa) in p.iter_mut().enumerate() {
                let ci = 2 + 3 * k + a;
                let c = cells.get(ci).map_or("", |c| c.trim());
                if c.is_empty() || c.eq_ignore_ascii_case("nan") {
                    continue;
                }
                *pa = c
                    .parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| {
                        at(
                            ln,
                            Some(cell_col(&cells, ci)),
                            format!("`{c}` is not a number"),
                        )
                    })?;
                present += 1;
            }
            // A sample is valid only when all three coordinates are present.
            valid.push(present == 3);
            positions.push(if present == 3 { p } else { [0.0; 3] });
        }
    }
    Ok(Rows {
        positions,
        valid,
        frame_numbers,
        times_s,
    })
}

/// Writes `markers` as an OpenSim TRC file (tab-separated, `\n` line ends): `PathFileType 4
/// (X/Y/Z)`, the eight header values (`CameraRate`/`OrigDataRate` = the rate,
/// `OrigDataStartFrame` = `first_frame`), the marker-name and `X1 Y1 Z1` rows, a blank line, then
/// one row per frame with `Frame#` = `first_frame + i` and `Time` = `(Frame# − 1) / rate` seconds.
/// Positions are written in shortest round-trip form in `markers.unit`; gaps are empty cells.
/// Residuals and camera masks are dropped. Labels with tabs or line breaks are rejected.
pub fn write<W: Write>(markers: &MarkerTrajectories, w: W) -> Result<(), FormatError> {
    write_impl(markers, w, Path::new("<writer>"), "")
}

/// Writes a TRC file to `path` (see [`write()`]); the file name is recorded on the first line.
pub fn write_path(markers: &MarkerTrajectories, path: &Path) -> Result<(), FormatError> {
    let f = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    write_impl(markers, f, path, &name)
}

fn write_impl<W: Write>(
    markers: &MarkerTrajectories,
    w: W,
    path: &Path,
    name: &str,
) -> Result<(), FormatError> {
    if let Some(l) = markers
        .labels
        .iter()
        .find(|l| l.contains(['\t', '\n', '\r']) || l.trim().is_empty())
    {
        return Err(FormatError::InvalidData {
            path: path.to_path_buf(),
            message: format!(
                "marker label {l:?} cannot be written to TRC: labels must be non-empty without tabs or line breaks"
            ),
        });
    }
    let mut w = std::io::BufWriter::new(w);
    let io = |e: std::io::Error| FormatError::io(path, e);
    let rate = markers.rate;
    let hz = rate.hz();
    let nf = markers.frame_count();
    let m = markers.marker_count();
    let mut head = format!(
        "PathFileType\t4\t(X/Y/Z)\t{name}\nDataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n{hz}\t{hz}\t{nf}\t{m}\t{}\t{hz}\t{}\t{nf}\nFrame#\tTime",
        markers.unit.symbol(),
        markers.first_frame
    );
    for l in &markers.labels {
        head.push('\t');
        head.push_str(l);
        head.push_str("\t\t");
    }
    head.push_str("\n\t");
    for k in 1..=m {
        head.push_str(&format!("\tX{k}\tY{k}\tZ{k}"));
    }
    head.push_str("\n\n");
    w.write_all(head.as_bytes()).map_err(io)?;
    let mut row = String::new();
    use std::fmt::Write as _;
    for f in 0..nf {
        row.clear();
        let fnum = markers.first_frame + f as i64;
        let _ = write!(row, "{fnum}\t{}", rate.frames_to_seconds(fnum - 1));
        for (p, v) in markers
            .frame_positions(f)
            .iter()
            .zip(markers.frame_valid(f))
        {
            if *v && p.iter().all(|c| c.is_finite()) {
                let _ = write!(row, "\t{}\t{}\t{}", p[0], p[1], p[2]);
            } else {
                row.push_str("\t\t\t");
            }
        }
        row.push('\n');
        w.write_all(row.as_bytes()).map_err(io)?;
    }
    w.flush().map_err(io)
}
