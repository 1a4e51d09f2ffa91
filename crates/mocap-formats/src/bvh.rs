//! BVH (Biovision hierarchy) reader and writer.
//!
//! Reading streams the file in chunks ([`CHUNK_BYTES`]) and parses the motion values straight into
//! [`Motion::values`], so memory stays close to the size of the decoded `f32` values (about half
//! the size of a typical text file), never the whole file plus the values.
//!
//! Accepted input: any channel order per joint, 0–6 channels on any joint (a joint with position
//! channels takes them as its absolute local translation, as Bandai Namco files use them), `End
//! Site`, several roots, CRLF or LF, tabs or spaces, a UTF-8 byte-order mark, joint names with
//! `:` or spaces, numbers such as `.0083333`, `-0`, `5.1072e-06`. Keywords are case-insensitive.
//!
//! Checked: braces, `OFFSET`/`CHANNELS` syntax, unknown channel names, `Frames:` against the
//! number of data lines (both ways), the number of values on every data line against the channel
//! count (errors name the line and column), non-numeric tokens. A lying `Frames:` header never
//! makes the reader allocate more than the input length allows.
//!
//! BVH files do not state a length unit; [`ReadOptions::unit`] says what to label the skeleton with
//! (default centimetres) and [`BvhFile::to_unit`] rescales; [`guess_unit`] infers it from the
//! skeleton's size.

pub use crate::bvh_unit::{UnitGuess, guess_unit};
use crate::{FormatError, Location};
use mocap_data::{
    Channel, DQuat, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis,
};
use std::io::{Read, Write};
use std::path::Path;

/// Size of the read buffer used by [`read`] and [`read_path`], bytes (4 MiB).
pub const CHUNK_BYTES: usize = 4 << 20;

/// Longest header (everything before the first motion line) or single data line accepted, bytes.
const MAX_LINE_OR_HEADER: usize = 256 << 20;

/// Most channels one joint may declare (three positions and three rotations).
const MAX_CHANNELS_PER_JOINT: usize = 6;

/// A parsed BVH file.
#[derive(Debug, Clone, PartialEq)]
pub struct BvhFile {
    /// The hierarchy. Offsets and position channels are in `skeleton.unit` (as declared by
    /// [`ReadOptions::unit`]; BVH itself has no unit). Rest rotations are identity.
    pub skeleton: Skeleton,
    /// The motion: one frame per data line, channel values in file order (rotations in degrees,
    /// positions in `skeleton.unit`).
    pub motion: Motion,
}

/// How to interpret the parts of a BVH file that the format leaves unstated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Length unit the file's offsets and position channels are in (not rescaled, only labelled).
    /// Default: centimetres, the usual unit of game and Bandai Namco BVH files.
    pub unit: LengthUnit,
    /// Up axis of the file's world space. Default: Y-up, as BVH tools assume.
    pub up_axis: UpAxis,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            unit: LengthUnit::Centimetre,
            up_axis: UpAxis::Y,
        }
    }
}

impl BvhFile {
    /// A copy with every length (offsets, end sites, position channel values and their limits)
    /// converted from `skeleton.unit` to `unit`. Rotations are unchanged.
    pub fn to_unit(&self, unit: LengthUnit) -> BvhFile {
        let k = self.skeleton.unit.factor_to(unit);
        let mut out = self.clone();
        out.skeleton.unit = unit;
        let mut position_columns = Vec::new();
        let mut col = 0;
        for j in &mut out.skeleton.joints {
            j.offset *= k;
            if let Some(e) = &mut j.end_site {
                *e *= k;
            }
            for (i, c) in j.channels.iter().enumerate() {
                if !c.is_rotation() {
                    position_columns.push(col + i);
                    if let Some(Some((lo, hi))) = j.limits.get_mut(i) {
                        *lo *= k;
                        *hi *= k;
                    }
                }
            }
            col += j.channels.len();
        }
        let cpf = out.motion.channels_per_frame;
        if cpf > 0 {
            for frame in out.motion.values.chunks_exact_mut(cpf) {
                for &c in &position_columns {
                    if let Some(v) = frame.get_mut(c) {
                        *v = (*v as f64 * k) as f32;
                    }
                }
            }
        }
        out
    }
}

/// Parses a whole BVH file held in memory, with default [`ReadOptions`]. Errors name `<memory>`.
pub fn parse(bytes: &[u8]) -> Result<BvhFile, FormatError> {
    parse_with(bytes, &ReadOptions::default())
}

/// Parses a whole BVH file held in memory. Errors name `<memory>`.
pub fn parse_with(bytes: &[u8], opts: &ReadOptions) -> Result<BvhFile, FormatError> {
    let path = Path::new("<memory>");
    let bytes = strip_bom(bytes);
    let end = find_header_end(bytes, 0).unwrap_or(bytes.len());
    let header = parse_header(&bytes[..end], path, opts)?;
    let mut data = DataParser::new(&header, (bytes.len() - end) as u64, path)?;
    data.feed(&bytes[end..])?;
    data.finish(header)
}

/// Reads a BVH file from disk in [`CHUNK_BYTES`] chunks, with default [`ReadOptions`].
pub fn read_path(path: &Path) -> Result<BvhFile, FormatError> {
    read_path_with(path, &ReadOptions::default())
}

/// Reads a BVH file from disk in [`CHUNK_BYTES`] chunks.
pub fn read_path_with(path: &Path, opts: &ReadOptions) -> Result<BvhFile, FormatError> {
    let f = std::fs::File::open(path).map_err(|e| FormatError::io(path, e))?;
    let len = f.metadata().map(|m| m.len()).ok();
    read_impl(f, path, len, opts, CHUNK_BYTES)
}

/// Reads a BVH stream in [`CHUNK_BYTES`] chunks, with default [`ReadOptions`]; `path` only names
/// the source in errors.
pub fn read<R: Read>(r: R, path: &Path) -> Result<BvhFile, FormatError> {
    read_impl(r, path, None, &ReadOptions::default(), CHUNK_BYTES)
}

/// Reads a BVH stream in [`CHUNK_BYTES`] chunks; `path` only names the source in errors.
pub fn read_with<R: Read>(r: R, path: &Path, opts: &ReadOptions) -> Result<BvhFile, FormatError> {
    read_impl(r, path, None, opts, CHUNK_BYTES)
}

/// One `read` into `buf` (retried on `Interrupted`), returning the byte count (0 at end of input).
fn fill<R: Read>(r: &mut R, buf: &mut [u8], path: &Path) -> Result<usize, FormatError> {
    loop {
        match r.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FormatError::io(path, e)),
        }
    }
}

fn read_impl<R: Read>(
    mut r: R,
    path: &Path,
    size_hint: Option<u64>,
    opts: &ReadOptions,
    chunk: usize,
) -> Result<BvhFile, FormatError> {
    let mut buf: Vec<u8> = vec![0; chunk.max(1)];
    let mut len = 0usize;
    let mut eof = false;
    // Header: read until the line holding `Frame Time` is complete.
    let mut scan_from = 0usize;
    let header_end = loop {
        if let Some(end) = find_header_end(&buf[..len], scan_from) {
            break end;
        }
        // Rescan at most the last (incomplete) line next time.
        scan_from = buf[..len]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        if eof {
            break len;
        }
        if len == buf.len() {
            if buf.len() >= MAX_LINE_OR_HEADER {
                return Err(FormatError::malformed(
                    path,
                    Location::File,
                    "no `MOTION` / `Frame Time:` section in the first 256 MiB; is this a BVH file?",
                ));
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = fill(&mut r, &mut buf[len..], path)?;
        if n == 0 {
            eof = true;
        }
        len += n;
    };
    let bom = if buf[..len].starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let header = parse_header(&buf[bom..header_end], path, opts)?;
    let remaining = size_hint.map_or(u64::MAX, |s| s.saturating_sub(header_end as u64));
    let mut data = DataParser::new(&header, remaining, path)?;
    // Motion: process complete lines; keep the incomplete tail for the next read.
    let mut start = header_end;
    loop {
        if eof {
            data.feed(&buf[start..len])?;
            break;
        }
        let complete = buf[start..len]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|p| start + p + 1);
        if let Some(c) = complete {
            data.feed(&buf[start..c])?;
            start = c;
        }
        // Move the tail to the front and refill.
        buf.copy_within(start..len, 0);
        len -= start;
        start = 0;
        if len == buf.len() {
            if buf.len() >= MAX_LINE_OR_HEADER {
                return Err(FormatError::malformed(
                    path,
                    Location::Line(data.line, None),
                    "a motion line is longer than 256 MiB; the file is corrupt",
                ));
            }
            buf.resize(buf.len() * 2, 0);
        }
        let n = fill(&mut r, &mut buf[len..], path)?;
        if n == 0 {
            eof = true;
        }
        len += n;
    }
    drop(buf);
    data.finish(header)
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(b)
}

/// Position just after the line whose first token is `Frame` followed by `Time`
/// (case-insensitive), if that line is complete (ends with `\n`) in `buf`. Scans lines starting at
/// `from` (a line start).
fn find_header_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut pos = from;
    while pos < buf.len() {
        let nl = buf[pos..].iter().position(|&b| b == b'\n')? + pos;
        let line = &buf[pos..nl];
        let trimmed = trim_ascii_start(line);
        if trimmed.len() >= 10
            && trimmed[..5].eq_ignore_ascii_case(b"frame")
            && trim_ascii_start(&trimmed[5..]).len() >= 4
            && trim_ascii_start(&trimmed[5..])[..4].eq_ignore_ascii_case(b"time")
        {
            return Some(nl + 1);
        }
        pos = nl + 1;
    }
    None
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

// ---------------------------------------------------------------------------------------------
// Header

/// The parsed hierarchy and motion header.
struct Header {
    skeleton: Skeleton,
    frames: u64,
    frames_line: usize,
    frame_time_s: f64,
    rate: FrameRate,
    /// 1-based line number of the first line after the header.
    data_line: usize,
}

/// A whitespace-separated token of the header with its 1-based line and column.
#[derive(Clone, Copy)]
struct Tok<'a> {
    text: &'a [u8],
    line: usize,
    col: usize,
}

impl Tok<'_> {
    fn is(&self, kw: &str) -> bool {
        self.text.eq_ignore_ascii_case(kw.as_bytes())
    }
    fn loc(&self) -> Location {
        Location::Line(self.line, Some(self.col))
    }
    fn show(&self) -> String {
        let s = String::from_utf8_lossy(self.text);
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s.into_owned()
        }
    }
}

/// Header tokenizer tracking line and column.
struct Lexer<'a> {
    b: &'a [u8],
    i: usize,
    line: usize,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    fn new(b: &'a [u8]) -> Self {
        Self {
            b,
            i: 0,
            line: 1,
            line_start: 0,
        }
    }

    fn skip_ws(&mut self) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b'\n' {
                self.line += 1;
                self.line_start = self.i + 1;
            } else if !c.is_ascii_whitespace() {
                break;
            }
            self.i += 1;
        }
    }

    fn next(&mut self) -> Option<Tok<'a>> {
        self.skip_ws();
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if c.is_ascii_whitespace() {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| Tok {
            text: &self.b[start..self.i],
            line: self.line,
            col: start - self.line_start + 1,
        })
    }

    /// The rest of the current line (trimmed), advancing past it but not past the newline.
    fn rest_of_line(&mut self) -> (&'a [u8], usize) {
        while let Some(&c) = self.b.get(self.i) {
            if c == b'\n' || !c.is_ascii_whitespace() {
                break;
            }
            self.i += 1;
        }
        let start = self.i;
        let col = start - self.line_start + 1;
        while let Some(&c) = self.b.get(self.i) {
            if c == b'\n' {
                break;
            }
            self.i += 1;
        }
        let mut s = &self.b[start..self.i];
        while let Some((last, init)) = s.split_last() {
            if last.is_ascii_whitespace() {
                s = init;
            } else {
                break;
            }
        }
        (s, col)
    }

    fn pos(&self) -> Location {
        Location::Line(self.line, Some(self.i.saturating_sub(self.line_start) + 1))
    }
}

enum Open {
    Joint {
        index: usize,
        has_offset: bool,
        has_channels: bool,
    },
    EndSite {
        joint: usize,
        has_offset: bool,
    },
}

fn parse_header(b: &[u8], path: &Path, opts: &ReadOptions) -> Result<Header, FormatError> {
    let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
    let mut h = Hierarchy {
        lx: Lexer::new(b),
        joints: Vec::new(),
        stack: Vec::new(),
        path,
    };
    h.start()?;
    while h.statement()? {}
    let Hierarchy { mut lx, joints, .. } = h;
    if joints.is_empty() {
        return Err(err(lx.pos(), "the hierarchy has no `ROOT` joint".into()));
    }
    let frames_tok = frames_token(&mut lx, path)?;

    let frames = std::str::from_utf8(frames_tok.text)
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .ok_or_else(|| {
            err(
                frames_tok.loc(),
                format!(
                    "`Frames:` value `{}` is not a whole number",
                    frames_tok.show()
                ),
            )
        })?;

    let time_tok = frame_time_token(&mut lx, path)?;

    let frame_time_s = header_number(&time_tok, path, "Frame Time")?;
    if frame_time_s <= 0.0 {
        return Err(err(
            time_tok.loc(),
            format!(
                "`Frame Time: {}` must be a positive number of seconds (e.g. 0.0083333 for 120 Hz)",
                time_tok.show()
            ),
        ));
    }
    let rate = FrameRate::from_hz(1.0 / frame_time_s).map_err(|e| {
        err(
            time_tok.loc(),
            format!(
                "`Frame Time: {}` gives no usable frame rate: {e}",
                time_tok.show()
            ),
        )
    })?;

    if let Some(extra) = lx.next() {
        return Err(err(
            extra.loc(),
            format!("unexpected `{}` after `Frame Time:`", extra.show()),
        ));
    }
    let data_line = b.iter().filter(|&&c| c == b'\n').count() + 1;
    Ok(Header {
        skeleton: Skeleton {
            joints,
            unit: opts.unit,
            up_axis: opts.up_axis,
        },
        frames,
        frames_line: frames_tok.line,
        frame_time_s,
        rate,
        data_line,
    })
}

/// The token after `Frames:` (or the number glued to it, as in `Frames:120`).
fn frames_token<'a>(lx: &mut Lexer<'a>, path: &Path) -> Result<Tok<'a>, FormatError> {
    let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
    let ft = lx
        .next()
        .ok_or_else(|| err(lx.pos(), "missing `Frames:` after `MOTION`".into()))?;
    let tok = if ft.is("Frames:") {
        lx.next()
            .ok_or_else(|| err(lx.pos(), "missing the number after `Frames:`".into()))?
    } else if ft.text.len() > 7 && ft.text[..7].eq_ignore_ascii_case(b"Frames:") {
        Tok {
            text: &ft.text[7..],
            line: ft.line,
            col: ft.col + 7,
        }
    } else {
        return Err(err(
            ft.loc(),
            format!("expected `Frames:` after `MOTION`, found `{}`", ft.show()),
        ));
    };
    Ok(tok)
}

/// The token after `Frame Time:` (or the number glued to it, as in `Time:0.01`).
fn frame_time_token<'a>(lx: &mut Lexer<'a>, path: &Path) -> Result<Tok<'a>, FormatError> {
    let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
    let f1 = lx
        .next()
        .ok_or_else(|| err(lx.pos(), "missing `Frame Time:` after `Frames:`".into()))?;
    let f2 = lx.next();
    let tok = match f2 {
        Some(f2) if f1.is("Frame") && f2.is("Time:") => lx
            .next()
            .ok_or_else(|| err(lx.pos(), "missing the number after `Frame Time:`".into()))?,
        Some(f2)
            if f1.is("Frame")
                && f2.text.len() > 5
                && f2.text[..5].eq_ignore_ascii_case(b"Time:") =>
        {
            Tok {
                text: &f2.text[5..],
                line: f2.line,
                col: f2.col + 5,
            }
        }
        _ => {
            return Err(err(
                f1.loc(),
                format!(
                    "expected `Frame Time:` after `Frames:`, found `{}`",
                    f1.show()
                ),
            ));
        }
    };
    Ok(tok)
}

/// The `HIERARCHY` section being read: the joints so far and the open braces.
struct Hierarchy<'a> {
    /// Tokens of the file.
    lx: Lexer<'a>,
    /// Joints read so far, parents before children.
    joints: Vec<Joint>,
    /// Open `ROOT`/`JOINT`/`End Site` blocks, innermost last.
    stack: Vec<Open>,
    /// The file, for error messages.
    path: &'a Path,
}

impl Hierarchy<'_> {
    /// Checks the `HIERARCHY` keyword that starts the file.
    fn start(&mut self) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        match self.lx.next() {
            Some(t) if t.is("HIERARCHY") => {}
            Some(t) => {
                return Err(err(
                    t.loc(),
                    format!(
                        "expected `HIERARCHY` at the start of a BVH file, found `{}`",
                        t.show()
                    ),
                ));
            }
            None => {
                return Err(err(
                    Location::File,
                    "empty file; expected a BVH `HIERARCHY`".into(),
                ));
            }
        }
        Ok(())
    }

    /// Reads one statement; `false` once `MOTION` ends the hierarchy.
    fn statement(&mut self) -> Result<bool, FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        let Some(t) = self.lx.next() else {
            let msg = match self.stack.last() {
                Some(Open::Joint { index, .. }) => format!(
                    "file ends inside joint `{}`: missing `}}` and the `MOTION` section",
                    self.joints[*index].name
                ),
                Some(Open::EndSite { .. }) => "file ends inside an `End Site`: missing `}`".into(),
                None => "file ends before the `MOTION` section".into(),
            };
            return Err(err(self.lx.pos(), msg));
        };
        if t.is("ROOT") || t.is("JOINT") {
            self.joint(t)?;
        } else if t.is("End") {
            self.end_site(t)?;
        } else if t.is("OFFSET") {
            self.offset(t)?;
        } else if t.is("CHANNELS") {
            self.channels(t)?;
        } else if t.text == b"}" {
            self.close(t)?;
        } else if t.is("MOTION") {
            if let Some(Open::Joint { index, .. } | Open::EndSite { joint: index, .. }) =
                self.stack.last()
            {
                return Err(err(
                    t.loc(),
                    format!(
                        "`MOTION` while joint `{}` is still open: a `}}` is missing",
                        self.joints[*index].name
                    ),
                ));
            }
            return Ok(false);
        } else {
            return Err(err(
                t.loc(),
                format!(
                    "unexpected `{}` in the hierarchy (expected ROOT, JOINT, End Site, OFFSET, CHANNELS, braces or MOTION)",
                    t.show()
                ),
            ));
        }
        Ok(true)
    }

    /// `ROOT name {` or `JOINT name {`: opens a joint.
    fn joint(&mut self, t: Tok<'_>) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        let is_root = t.is("ROOT");
        let parent = match self.stack.last() {
            None if is_root => None,
            Some(Open::Joint { index, .. }) if !is_root => Some(*index),
            None => {
                return Err(err(
                    t.loc(),
                    "`JOINT` outside any `ROOT`: check the braces above".into(),
                ));
            }
            Some(Open::Joint { index, .. }) => {
                return Err(err(
                    t.loc(),
                    format!(
                        "`ROOT` inside joint `{}`: a `}}` is missing above",
                        self.joints[*index].name
                    ),
                ));
            }
            Some(Open::EndSite { .. }) => {
                return Err(err(
                    t.loc(),
                    "joint inside an `End Site`: a `}` is missing above".into(),
                ));
            }
        };
        let (mut name, col) = self.lx.rest_of_line();
        let mut brace_on_line = false;
        if let Some(n) = name.strip_suffix(b"{") {
            name = n;
            while let Some((last, init)) = name.split_last() {
                if last.is_ascii_whitespace() {
                    name = init;
                } else {
                    break;
                }
            }
            brace_on_line = true;
        }
        if name.is_empty() {
            return Err(err(
                Location::Line(t.line, Some(col)),
                format!("`{}` without a name", t.show()),
            ));
        }
        if !brace_on_line {
            match self.lx.next() {
                Some(b) if b.text == b"{" => {}
                Some(b) => {
                    return Err(err(
                        b.loc(),
                        format!(
                            "expected `{{` after joint `{}`, found `{}`",
                            String::from_utf8_lossy(name),
                            b.show()
                        ),
                    ));
                }
                None => {
                    return Err(err(
                        self.lx.pos(),
                        format!(
                            "file ends after joint `{}`: missing `{{`",
                            String::from_utf8_lossy(name)
                        ),
                    ));
                }
            }
        }
        let index = self.joints.len();
        self.joints.push(Joint::new(
            String::from_utf8_lossy(name).into_owned(),
            parent,
            DVec3::ZERO,
        ));
        self.stack.push(Open::Joint {
            index,
            has_offset: false,
            has_channels: false,
        });
        Ok(())
    }

    /// `End Site {`: opens the end site of the innermost joint.
    fn end_site(&mut self, t: Tok<'_>) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        match self.lx.next() {
            Some(s) if s.is("Site") => {}
            _ => return Err(err(t.loc(), "expected `End Site`".into())),
        }
        match self.lx.next() {
            Some(b) if b.text == b"{" => {}
            _ => return Err(err(t.loc(), "expected `{` after `End Site`".into())),
        }
        let joint = match self.stack.last() {
            Some(Open::Joint { index, .. }) => *index,
            _ => {
                return Err(err(
                    t.loc(),
                    "`End Site` outside a joint: check the braces above".into(),
                ));
            }
        };
        if self.joints[joint].end_site.is_some() {
            return Err(err(
                t.loc(),
                format!(
                    "joint `{}` has a second `End Site`; BVH allows one per joint",
                    self.joints[joint].name
                ),
            ));
        }
        self.stack.push(Open::EndSite {
            joint,
            has_offset: false,
        });
        Ok(())
    }

    /// `OFFSET x y z` of the innermost joint or end site.
    fn offset(&mut self, t: Tok<'_>) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        let mut v = [0.0f64; 3];
        for c in &mut v {
            let n = self.lx.next().ok_or_else(|| {
                err(
                    self.lx.pos(),
                    "file ends inside `OFFSET`: give three numbers".into(),
                )
            })?;
            *c = header_number(&n, self.path, "OFFSET")?;
        }
        let v = DVec3::from_array(v);
        match self.stack.last_mut() {
            Some(Open::Joint {
                index, has_offset, ..
            }) => {
                if *has_offset {
                    return Err(err(t.loc(), "second `OFFSET` in one joint".into()));
                }
                *has_offset = true;
                self.joints[*index].offset = v;
            }
            Some(Open::EndSite { joint, has_offset }) => {
                if *has_offset {
                    return Err(err(t.loc(), "second `OFFSET` in one `End Site`".into()));
                }
                *has_offset = true;
                self.joints[*joint].end_site = Some(v);
            }
            None => return Err(err(t.loc(), "`OFFSET` outside a joint".into())),
        }
        Ok(())
    }

    /// `CHANNELS n names…` of the innermost joint.
    fn channels(&mut self, t: Tok<'_>) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        let Some(Open::Joint {
            index,
            has_channels,
            ..
        }) = self.stack.last_mut()
        else {
            return Err(err(
                t.loc(),
                "`CHANNELS` outside a joint (an `End Site` has no channels)".into(),
            ));
        };
        if *has_channels {
            return Err(err(t.loc(), "second `CHANNELS` in one joint".into()));
        }
        *has_channels = true;
        let n_tok = self
            .lx
            .next()
            .ok_or_else(|| err(self.lx.pos(), "file ends inside `CHANNELS`".into()))?;
        let n = std::str::from_utf8(n_tok.text)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|n| *n <= MAX_CHANNELS_PER_JOINT)
            .ok_or_else(|| {
                err(
                    n_tok.loc(),
                    format!(
                        "channel count `{}` is not a number from 0 to 6",
                        n_tok.show()
                    ),
                )
            })?;
        let mut chans = Vec::with_capacity(n);
        for _ in 0..n {
            let c = self
                .lx
                .next()
                .ok_or_else(|| err(self.lx.pos(), format!("file ends inside `CHANNELS {n}`")))?;
            let ch = std::str::from_utf8(c.text)
                .ok()
                .and_then(Channel::parse)
                .ok_or_else(|| FormatError::Unsupported {
                    path: self.path.to_path_buf(),
                    location: c.loc(),
                    message: format!(
                        "channel `{}`: only X/Y/Z position and rotation channels are supported",
                        c.show()
                    ),
                })?;
            if chans.contains(&ch) {
                return Err(err(
                    c.loc(),
                    format!("channel `{}` listed twice", ch.name()),
                ));
            }
            chans.push(ch);
        }
        let j = &mut self.joints[*index];
        j.rotation_order = rotation_order_of(&chans);
        j.channels = chans;
        Ok(())
    }

    /// `}`: closes the innermost block, which must have had its `OFFSET`.
    fn close(&mut self, t: Tok<'_>) -> Result<(), FormatError> {
        let path = self.path;
        let err = |loc: Location, msg: String| FormatError::malformed(path, loc, msg);
        match self.stack.pop() {
            Some(Open::Joint {
                index,
                has_offset: false,
                ..
            }) => {
                return Err(err(
                    t.loc(),
                    format!("joint `{}` has no `OFFSET`", self.joints[index].name),
                ));
            }
            Some(Open::EndSite {
                has_offset: false, ..
            }) => return Err(err(t.loc(), "`End Site` without `OFFSET`".into())),
            Some(_) => {}
            None => return Err(err(t.loc(), "unmatched `}`".into())),
        }
        Ok(())
    }
}

/// The composition order implied by the rotation channels in file order; axes without a channel
/// (angle always 0) follow in X, Y, Z order. Without rotation channels: the default order (what a
/// joint without a `CHANNELS` line gets).
pub(crate) fn rotation_order_of(chans: &[Channel]) -> RotationOrder {
    if !chans.iter().any(|c| c.is_rotation()) {
        return RotationOrder::default();
    }
    let mut axes = [0usize; 3];
    let mut n = 0;
    for c in chans.iter().filter(|c| c.is_rotation()) {
        axes[n] = c.axis();
        n += 1;
    }
    for a in 0..3 {
        if !axes[..n].contains(&a) {
            axes[n] = a;
            n += 1;
        }
    }
    RotationOrder::from_axes(axes).unwrap_or_default()
}

fn header_number(t: &Tok<'_>, path: &Path, what: &str) -> Result<f64, FormatError> {
    std::str::from_utf8(t.text)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            FormatError::malformed(
                path,
                t.loc(),
                format!("`{what}` value `{}` is not a finite number", t.show()),
            )
        })
}

// ---------------------------------------------------------------------------------------------
// Motion data

struct DataParser<'p> {
    path: &'p Path,
    cpf: usize,
    declared: u64,
    frames_line: usize,
    values: Vec<f32>,
    frames: u64,
    /// 1-based number of the next line to parse.
    line: usize,
}

impl<'p> DataParser<'p> {
    /// `remaining` is an upper bound on the number of motion bytes (`u64::MAX` when unknown).
    fn new(h: &Header, remaining: u64, path: &'p Path) -> Result<Self, FormatError> {
        let cpf = h.skeleton.channel_count();
        if cpf == 0 && h.frames > 0 {
            return Err(FormatError::Unsupported {
                path: path.to_path_buf(),
                location: Location::Line(h.frames_line, None),
                message: "a skeleton without channels cannot carry motion frames".into(),
            });
        }
        // Every value needs at least two bytes (a digit and a separator): never reserve more
        // than the input can hold, nor more than 16 Mi values (64 MiB) when the length is
        // unknown (the vector then grows with the data actually read).
        let wanted = h.frames.saturating_mul(cpf as u64);
        let cap = wanted.min(remaining / 2 + 1).min(if remaining == u64::MAX {
            16 << 20
        } else {
            u64::MAX
        });
        let cap = usize::try_from(cap).unwrap_or(usize::MAX);
        let mut values = Vec::new();
        values.try_reserve_exact(cap).map_err(|_| {
            FormatError::malformed(
                path,
                Location::Line(h.frames_line, None),
                format!("cannot allocate {cap} motion values; the file is too large for memory"),
            )
        })?;
        Ok(Self {
            path,
            cpf,
            declared: h.frames,
            frames_line: h.frames_line,
            values,
            frames: 0,
            line: h.data_line,
        })
    }

    fn error(&self, line_start: usize, at: usize, msg: String) -> FormatError {
        FormatError::malformed(
            self.path,
            Location::Line(self.line, Some(at - line_start + 1)),
            msg,
        )
    }

    /// Parses the lines in `buf`; the end of `buf` ends a line.
    fn feed(&mut self, buf: &[u8]) -> Result<(), FormatError> {
        // The values vector is moved into a local so the hot loop keeps it in registers.
        let mut values = std::mem::take(&mut self.values);
        let r = self.feed_into(buf, &mut values);
        self.values = values;
        r
    }

    fn feed_into(&mut self, buf: &[u8], values: &mut Vec<f32>) -> Result<(), FormatError> {
        let n = buf.len();
        let cpf = self.cpf;
        let mut i = 0;
        while i < n {
            let line_start = i;
            let count = match parse_line(buf, i, cpf, values) {
                Ok((next, count)) => {
                    i = next;
                    count
                }
                Err(LineIssue::TooMany(at)) => {
                    return Err(self.error(
                        line_start,
                        at,
                        format!(
                            "more than {cpf} values on this motion line; the hierarchy declares {cpf} channels"
                        ),
                    ));
                }
                Err(LineIssue::NotNumber(at)) => {
                    let end = buf[at..]
                        .iter()
                        .position(|c| c.is_ascii_whitespace())
                        .map_or(n, |p| at + p);
                    let tok = String::from_utf8_lossy(&buf[at..end.min(at + 40)]).into_owned();
                    return Err(self.error(
                        line_start,
                        at,
                        format!("`{tok}` is not a number; motion lines hold only numbers"),
                    ));
                }
            };
            if count != 0 {
                if count != cpf {
                    let col_at = line_start
                        + buf[line_start..i.min(n)]
                            .iter()
                            .rposition(|c| !c.is_ascii_whitespace())
                            .map_or(0, |p| p + 1);
                    return Err(self.error(
                        line_start,
                        col_at,
                        format!(
                            "{count} values on this motion line, but the hierarchy declares {cpf} channels"
                        ),
                    ));
                }
                self.frames += 1;
                if self.frames > self.declared {
                    return Err(self.error(
                        line_start,
                        line_start,
                        format!(
                            "more motion lines than `Frames: {}` (line {}); fix the frame count",
                            self.declared, self.frames_line
                        ),
                    ));
                }
            }
            self.line += 1;
        }
        Ok(())
    }

    fn finish(mut self, h: Header) -> Result<BvhFile, FormatError> {
        if self.frames != self.declared {
            return Err(FormatError::malformed(
                self.path,
                Location::Line(self.frames_line, None),
                format!(
                    "`Frames: {}` but the file has {} motion lines; the file is truncated or the count is wrong",
                    self.declared, self.frames
                ),
            ));
        }
        self.values.shrink_to_fit();
        Ok(BvhFile {
            motion: Motion {
                rate: h.rate,
                frame_time_s: h.frame_time_s,
                channels_per_frame: self.cpf,
                values: self.values,
            },
            skeleton: h.skeleton,
        })
    }
}

/// Why a motion line could not be parsed, with the byte index of the offending token.
enum LineIssue {
    /// A value beyond the channel count starts here.
    TooMany(usize),
    /// A token that is not a number starts here.
    NotNumber(usize),
}

/// Parses one motion line starting at `buf[i]`, appending its values to `values`. Returns the
/// index after the line's `\n` (or past the end) and the number of values on the line.
#[inline(always)]
fn parse_line(
    buf: &[u8],
    mut i: usize,
    cpf: usize,
    values: &mut Vec<f32>,
) -> Result<(usize, usize), LineIssue> {
    let n = buf.len();
    let mut count = 0usize;
    loop {
        while i < n && matches!(buf[i], b' ' | b'\t' | b'\r' | b'\x0c') {
            i += 1;
        }
        if i >= n || buf[i] == b'\n' {
            return Ok((i + 1, count));
        }
        if count == cpf {
            return Err(LineIssue::TooMany(i));
        }
        let (v, end) = scan_f32(buf, i).ok_or(LineIssue::NotNumber(i))?;
        values.push(v);
        i = end;
        count += 1;
    }
}

const POW10_F32: [f32; 11] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
const POW10_F64: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];

/// Scans a decimal number (`[+-]digits[.digits][(e|E)[+-]digits]`, digits on at least one side of
/// the point) starting at `buf[i]` and returns the correctly rounded `f32` and the index after it.
/// `None` when the token is not such a number or is not followed by whitespace or the end.
///
/// Fast paths (exact by construction): mantissa `m < 2^24` with a power of ten `|e| ≤ 10` is one
/// correctly rounded `f32` operation on exact operands; `m < 2^50` with `-8 ≤ e ≤ 0` divides in
/// `f64` and the conversion to `f32` cannot double-round, because such a decimal is either an
/// `f32` rounding midpoint exactly or further than 2^-51 (relative) from every midpoint, beyond
/// the `f64` rounding error. Everything else goes to the standard library's correct parser.
#[inline(always)]
pub(crate) fn scan_f32(buf: &[u8], mut i: usize) -> Option<(f32, usize)> {
    let start = i;
    let n = buf.len();
    let mut neg = false;
    if let Some(&c) = buf.get(i)
        && (c == b'-' || c == b'+')
    {
        neg = c == b'-';
        i += 1;
    }
    // Up to 19 digits cannot overflow u64; longer mantissas take the exact slow path below.
    let mut m: u64 = 0;
    let int_start = i;
    while i < n && buf[i].is_ascii_digit() {
        m = m.wrapping_mul(10).wrapping_add((buf[i] - b'0') as u64);
        i += 1;
    }
    let mut digits = i - int_start;
    let mut exp: i32 = 0;
    if i < n && buf[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < n && buf[i].is_ascii_digit() {
            m = m.wrapping_mul(10).wrapping_add((buf[i] - b'0') as u64);
            i += 1;
        }
        digits += i - frac_start;
        exp = -i32::try_from(i - frac_start).unwrap_or(i32::MAX);
    }
    if digits == 0 {
        return None;
    }
    let exact = digits <= 19;
    if i < n && (buf[i] | 0x20) == b'e' {
        i += 1;
        let mut eneg = false;
        if i < n && (buf[i] == b'-' || buf[i] == b'+') {
            eneg = buf[i] == b'-';
            i += 1;
        }
        let mut e: i32 = 0;
        let e_start = i;
        while i < n {
            let d = buf[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            e = e.saturating_mul(10).saturating_add(d as i32).min(1_000_000);
            i += 1;
        }
        if i == e_start {
            return None;
        }
        exp = exp.saturating_add(if eneg { -e } else { e });
    }
    if i < n && !buf[i].is_ascii_whitespace() {
        return None;
    }
    let v = if exact && m < (1 << 24) && (-10..=10).contains(&exp) {
        let f = m as f32;
        if exp < 0 {
            f / POW10_F32[(-exp) as usize]
        } else {
            f * POW10_F32[exp as usize]
        }
    } else if exact && m < (1 << 50) && (-8..=0).contains(&exp) {
        (m as f64 / POW10_F64[(-exp) as usize]) as f32
    } else {
        // Only ASCII digits, signs, `.` and `e` were accepted above, so this is valid UTF-8.
        let s = std::str::from_utf8(&buf[start..i]).ok()?;
        return s.parse::<f32>().ok().map(|v| (v, i));
    };
    Some((if neg { -v } else { v }, i))
}

// ---------------------------------------------------------------------------------------------
// Writer

fn invalid(path: &Path, msg: String) -> FormatError {
    FormatError::InvalidData {
        path: path.to_path_buf(),
        message: msg,
    }
}

/// Writes `skeleton` and `motion` as BVH (tabs for indentation, `\n` line ends, one frame per
/// line, values in shortest round-trip `f32` form so reading back is lossless).
///
/// Joints are written depth-first (parents before children, siblings in index order); a joint
/// whose rotation channels are not listed in its `rotation_order` is written with its position
/// channels first and its rotation channels in `rotation_order`, values permuted to match, so
/// the file's FK equals the model's. Limits are not part of BVH and are not written.
///
/// Errors (`InvalidData`): a non-identity rest rotation (bake it first, e.g. with
/// [`crate::asf::amc_to_bvh`]), a motion that does not fit the skeleton, a joint name that is
/// empty or contains whitespace or braces, non-finite values.
pub fn write<W: Write>(skeleton: &Skeleton, motion: &Motion, w: W) -> Result<(), FormatError> {
    write_impl(skeleton, motion, w, Path::new("<writer>"))
}

/// Writes a BVH file to `path` (see [`write()`]).
pub fn write_path(skeleton: &Skeleton, motion: &Motion, path: &Path) -> Result<(), FormatError> {
    let f = std::fs::File::create(path).map_err(|e| FormatError::io(path, e))?;
    write_impl(skeleton, motion, f, path)
}

fn write_impl<W: Write>(
    skeleton: &Skeleton,
    motion: &Motion,
    w: W,
    path: &Path,
) -> Result<(), FormatError> {
    use std::fmt::Write as _;
    check_writable(skeleton, motion, path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
    let io = |e: std::io::Error| FormatError::io(path, e);
    let (mut text, columns) = hierarchy_text(skeleton, motion);
    let ft = if motion.frame_time_s.is_finite()
        && motion.frame_time_s > 0.0
        && FrameRate::from_hz(1.0 / motion.frame_time_s).ok() == Some(motion.rate)
    {
        motion.frame_time_s
    } else {
        motion.rate.frame_duration_s()
    };
    let _ = write!(
        text,
        "MOTION\nFrames: {}\nFrame Time: {}\n",
        motion.frame_count(),
        ft
    );
    w.write_all(text.as_bytes()).map_err(io)?;
    let cpf = motion.channels_per_frame;
    let identity = columns.iter().enumerate().all(|(i, &c)| i == c);
    let mut line = String::with_capacity(cpf * 12 + 2);
    if cpf > 0 {
        for frame in motion.values.chunks_exact(cpf) {
            line.clear();
            for (k, &c) in columns.iter().enumerate() {
                if k > 0 {
                    line.push(' ');
                }
                let v = if identity { frame[k] } else { frame[c] };
                let _ = write!(line, "{v}");
            }
            line.push('\n');
            w.write_all(line.as_bytes()).map_err(io)?;
        }
    }
    w.flush().map_err(io)?;
    Ok(())
}

/// Checks that the skeleton and motion can be written as BVH (names, no rest rotations, finite
/// values).
fn check_writable(skeleton: &Skeleton, motion: &Motion, path: &Path) -> Result<(), FormatError> {
    skeleton
        .validate()
        .map_err(|e| invalid(path, e.to_string()))?;
    motion
        .check(skeleton)
        .map_err(|e| invalid(path, e.to_string()))?;
    if skeleton.joints.is_empty() {
        return Err(invalid(path, "the skeleton has no joints".into()));
    }
    for j in &skeleton.joints {
        if j.name.is_empty()
            || j.name
                .chars()
                .any(|c| c.is_whitespace() || c == '{' || c == '}')
        {
            return Err(invalid(
                path,
                format!(
                    "joint name {:?} cannot be written to BVH: rename it without whitespace or braces",
                    j.name
                ),
            ));
        }
        if (j.rest_rotation.dot(DQuat::IDENTITY).abs() - 1.0).abs() > 1e-12 {
            return Err(invalid(
                path,
                format!(
                    "joint `{}` has a rest rotation, which BVH cannot hold; bake it into the motion first (e.g. asf::amc_to_bvh)",
                    j.name
                ),
            ));
        }
        let finite = j.offset.is_finite() && j.end_site.is_none_or(|e| e.is_finite());
        if !finite {
            return Err(invalid(
                path,
                format!("joint `{}` has a non-finite offset", j.name),
            ));
        }
    }
    if let Some(p) = motion.values.iter().position(|v| !v.is_finite()) {
        let cpf = motion.channels_per_frame.max(1);
        return Err(invalid(
            path,
            format!(
                "motion value at frame {} channel {} is not finite; fill or remove it first",
                p / cpf,
                p % cpf
            ),
        ));
    }
    Ok(())
}

/// The `HIERARCHY` section's text and, per output column, the motion channel it holds.
fn hierarchy_text(skeleton: &Skeleton, motion: &Motion) -> (String, Vec<usize>) {
    use std::fmt::Write as _;
    // Depth-first order and output column map.
    let offsets = skeleton.channel_offsets();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); skeleton.joints.len()];
    for (i, j) in skeleton.joints.iter().enumerate() {
        if let Some(p) = j.parent {
            children[p].push(i);
        }
    }
    let mut columns: Vec<usize> = Vec::with_capacity(motion.channels_per_frame);
    let mut text = String::from("HIERARCHY\n");
    // Explicit stack: (joint, entering?) so deep hierarchies do not overflow the call stack.
    let mut stack: Vec<(usize, bool)> = skeleton
        .joints
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, j)| j.parent.is_none())
        .map(|(i, _)| (i, true))
        .collect();
    let mut depth = 0usize;
    while let Some((ji, enter)) = stack.pop() {
        let j = &skeleton.joints[ji];
        let ind = "\t".repeat(depth);
        if !enter {
            depth -= 1;
            let ind = "\t".repeat(depth);
            if let Some(e) = j.end_site {
                let _ = writeln!(
                    text,
                    "{ind}\tEnd Site\n{ind}\t{{\n{ind}\t\tOFFSET {} {} {}\n{ind}\t}}",
                    e.x, e.y, e.z
                );
            }
            let _ = writeln!(text, "{ind}}}");
            continue;
        }
        let kw = if j.parent.is_none() { "ROOT" } else { "JOINT" };
        let _ = writeln!(text, "{ind}{kw} {}\n{ind}{{", j.name);
        let _ = writeln!(
            text,
            "{ind}\tOFFSET {} {} {}",
            j.offset.x, j.offset.y, j.offset.z
        );
        // Channel order: as stored when consistent with rotation_order, else positions then
        // rotations in rotation_order.
        let out_idx = channel_order(j);
        if !j.channels.is_empty() {
            let _ = write!(text, "{ind}\tCHANNELS {}", j.channels.len());
            for &k in &out_idx {
                let _ = write!(text, " {}", j.channels[k].name());
                columns.push(offsets[ji] + k);
            }
            text.push('\n');
        }
        stack.push((ji, false));
        for &c in children[ji].iter().rev() {
            stack.push((c, true));
        }
        depth += 1;
    }
    (text, columns)
}

/// The order in which joint `j`'s channels are written (indices into `j.channels`): as stored
/// when consistent with `rotation_order`, else positions then rotations in `rotation_order`.
fn channel_order(j: &Joint) -> Vec<usize> {
    let order = j.rotation_order.axes();
    let rot_axes: Vec<usize> = j
        .channels
        .iter()
        .filter(|c| c.is_rotation())
        .map(|c| c.axis())
        .collect();
    let expected: Vec<usize> = order
        .iter()
        .copied()
        .filter(|a| rot_axes.contains(a))
        .collect();
    let mut out_idx: Vec<usize> = (0..j.channels.len()).collect();
    if rot_axes != expected {
        out_idx = (0..j.channels.len())
            .filter(|&k| !j.channels[k].is_rotation())
            .collect();
        for a in expected {
            if let Some(k) = j
                .channels
                .iter()
                .position(|c| c.is_rotation() && c.axis() == a)
            {
                out_idx.push(k);
            }
        }
    }
    out_idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> Option<f32> {
        scan_f32(s.as_bytes(), 0).map(|(v, _)| v)
    }

    /// Tiny buffers force the header and single lines to straddle refills and the buffer to grow.
    #[test]
    fn small_chunks_give_the_same_result() {
        let text = "HIERARCHY\r\nROOT Hips\r\n{\r\n\tOFFSET 0 0 0\r\n\tCHANNELS 6 Xposition Yposition Zposition Zrotation Yrotation Xrotation\r\n\tJOINT mixamorig:Spine\r\n\t{\r\n\t\tOFFSET 0 10.5 0\r\n\t\tCHANNELS 3 Zrotation Xrotation Yrotation\r\n\t\tEnd Site\r\n\t\t{\r\n\t\t\tOFFSET 0 5 0\r\n\t\t}\r\n\t}\r\n}\r\nMOTION\r\nFrames: 3\r\nFrame Time: .0083333\r\n1 2 3 4 5 6 7 8 9\r\n-0 .5 5.1072e-06 1 1 1 1 1 1\r\n\t9 8 7 6 5 4 3 2 1";
        let want = parse(text.as_bytes()).expect("parse");
        assert_eq!(want.motion.frame_count(), 3);
        assert_eq!(want.motion.frame(1)[0].to_bits(), (-0.0f32).to_bits());
        assert_eq!(want.motion.frame(1)[2], 5.1072e-06);
        for chunk in [1, 2, 3, 7, 16, 64, 1000] {
            let got = read_impl(
                text.as_bytes(),
                Path::new("x.bvh"),
                None,
                &ReadOptions::default(),
                chunk,
            )
            .expect("read");
            assert_eq!(got, want, "chunk {chunk}");
        }
        // Errors carry the same line and column whatever the chunking.
        let bad = text.replace("4 5 6 7 8 9", "4 5 6 7 8");
        let e1 = parse(bad.as_bytes()).expect_err("short line").to_string();
        let e2 = read_impl(
            bad.as_bytes(),
            Path::new("<memory>"),
            None,
            &ReadOptions::default(),
            5,
        )
        .expect_err("short line")
        .to_string();
        assert_eq!(e1, e2);
        assert!(e1.contains("line 19, column 16"), "{e1}");
    }

    #[test]
    fn scanner_matches_std_parse() {
        for s in [
            "0",
            "-0",
            ".0083333",
            "5.1072e-06",
            "-12.345678",
            "1e10",
            "123456789012345678901234",
            "3.4028235e38",
            "1e-45",
            "0.1",
            "16777217",
            "-0.000001",
            "+7.5",
            "1E5",
            "33.554431",
            "0.30000001192092896",
            "9999999999999999999999.5",
        ] {
            let want: f32 = s.parse().unwrap_or_else(|_| panic!("{s}"));
            let got = scan(s).unwrap_or_else(|| panic!("scan {s}"));
            assert_eq!(got.to_bits(), want.to_bits(), "{s}");
        }
        for s in ["", "-", ".", "e5", "1e", "1.2.3", "abc", "1x", "nan", "--1"] {
            assert!(scan(s).is_none(), "{s:?} should not scan");
        }
    }

    #[test]
    fn scanner_round_trips_shortest_repr() {
        // A deterministic sweep over many f32 bit patterns of BVH-like magnitude.
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let v = f32::from_bits(x);
            if !v.is_finite() {
                continue;
            }
            let s = format!("{v}");
            let got = scan(&s).unwrap_or_else(|| panic!("scan {s}"));
            assert_eq!(got.to_bits(), v.to_bits(), "{s}");
            let e = format!("{v:e}");
            let got = scan(&e).unwrap_or_else(|| panic!("scan {e}"));
            assert_eq!(got.to_bits(), v.to_bits(), "{e}");
        }
    }
}
