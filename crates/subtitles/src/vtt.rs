//! WebVTT reader and writer following the W3C WebVTT parsing algorithm (§6.1 "WebVTT file
//! parsing"): signature check, header, blocks (cues, `STYLE`, `REGION`, `NOTE`), cue timings
//! and settings with the spec's validation rules, and region settings. Cue text is kept raw
//! (as the spec's cue text); [`crate::markup::parse_vtt`] builds the cue text node tree.

use crate::error::{Result, SubError};
use crate::model::{
    Align, Cue, CueSettings, Format, LineAlign, PositionAlign, Time, Track, Vertical, VttHeader,
    VttRegion,
};
use crate::text::push_hms_ms;
use std::borrow::Cow;

/// Replaces NUL by U+FFFD and CRLF / CR by LF, as the parser's preprocessing requires.
fn preprocess(input: &str) -> Cow<'_, str> {
    if memchr::memchr2(b'\r', 0, input.as_bytes()).is_none() {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// ASCII whitespace as the WebVTT spec uses it (space, tab, LF, FF, CR).
#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r')
}

/// Collects a WebVTT timestamp at `b[*pos..]` (spec "collect a WebVTT timestamp"): returns
/// milliseconds, advancing `pos`. Hours may have any number of digits (≥ 2 when present).
pub(crate) fn collect_timestamp(b: &[u8], pos: &mut usize) -> Option<i64> {
    let mut hours_given = false;
    let (v1, n1) = crate::text::digits(b.get(*pos..)?);
    if n1 == 0 {
        return None;
    }
    if n1 != 2 || v1 > 59 {
        hours_given = true;
    }
    *pos += n1;
    if b.get(*pos) != Some(&b':') {
        return None;
    }
    *pos += 1;
    let (mut v2, n2) = crate::text::digits(&b[*pos..]);
    if n2 != 2 {
        return None;
    }
    *pos += n2;
    let mut v1 = v1;
    let v3;
    if hours_given || b.get(*pos) == Some(&b':') {
        if b.get(*pos) != Some(&b':') {
            return None;
        }
        *pos += 1;
        let (v, n3) = crate::text::digits(&b[*pos..]);
        if n3 != 2 {
            return None;
        }
        *pos += n3;
        v3 = v;
    } else {
        v3 = v2;
        v2 = v1;
        v1 = 0;
    }
    if b.get(*pos) != Some(&b'.') {
        return None;
    }
    *pos += 1;
    let (v4, n4) = crate::text::digits(&b[*pos..]);
    if n4 != 3 {
        return None;
    }
    *pos += n4;
    if v2 > 59 || v3 > 59 {
        return None;
    }
    // Saturated digits (absurd hour counts) make the product overflow: reject them.
    let ms = v1
        .checked_mul(3_600_000)?
        .checked_add(v2 * 60_000 + v3 * 1000 + v4)?;
    i64::try_from(ms).ok()
}

/// Parses a WebVTT percentage (`digits[.digits]%`) between 0 and 100.
fn parse_percentage(s: &str) -> Option<f64> {
    let body = s.strip_suffix('%')?;
    let bb = body.as_bytes();
    let (_, n) = crate::text::digits(bb);
    if n == 0 {
        return None;
    }
    if n < bb.len() {
        if bb[n] != b'.' {
            return None;
        }
        let (_, m) = crate::text::digits(&bb[n + 1..]);
        if m == 0 || n + 1 + m != bb.len() {
            return None;
        }
    }
    let v: f64 = body.parse().ok()?;
    (0.0..=100.0).contains(&v).then_some(v)
}

/// Parses the cue settings in `rest` into `settings` (spec "parse the WebVTT cue settings").
fn parse_settings(rest: &str, regions: &[VttRegion], settings: &mut CueSettings) {
    for setting in rest.split(|c: char| c.is_ascii() && is_ws(c as u8)) {
        let Some(colon) = setting.find(':') else {
            continue;
        };
        if colon == 0 || colon == setting.len() - 1 {
            continue;
        }
        let (name, value) = (&setting[..colon], &setting[colon + 1..]);
        match name {
            "region" => {
                settings.region = regions
                    .iter()
                    .rev()
                    .find(|r| r.id == value)
                    .map(|r| r.id.clone());
            }
            "vertical" => match value {
                "rl" => settings.vertical = Vertical::Rl,
                "lr" => settings.vertical = Vertical::Lr,
                _ => {}
            },
            "line" => {
                let (linepos, linealign) = match value.find(',') {
                    Some(i) => (&value[..i], Some(&value[i + 1..])),
                    None => (value, None),
                };
                if !linepos.bytes().any(|b| b.is_ascii_digit()) {
                    continue;
                }
                let percent = linepos.ends_with('%');
                let number = if percent {
                    match parse_percentage(linepos) {
                        Some(v) => v,
                        None => continue,
                    }
                } else {
                    let lb = linepos.as_bytes();
                    if !lb
                        .iter()
                        .all(|b| *b == b'-' || *b == b'.' || b.is_ascii_digit())
                    {
                        continue;
                    }
                    if lb.iter().skip(1).any(|b| *b == b'-') {
                        continue;
                    }
                    let dots: Vec<usize> = (0..lb.len()).filter(|i| lb[*i] == b'.').collect();
                    if dots.len() > 1 {
                        continue;
                    }
                    if let Some(&d) = dots.first() {
                        let before = d > 0 && lb[d - 1].is_ascii_digit();
                        let after = lb.get(d + 1).is_some_and(|b| b.is_ascii_digit());
                        if !before || !after {
                            continue;
                        }
                    }
                    match linepos.parse::<f64>() {
                        // -0 is 0 (WPT settings-line); out-of-range values are errors, as
                        // in the HTML rules for parsing floating-point number values.
                        Ok(v) if v.is_finite() => v + 0.0,
                        _ => continue,
                    }
                };
                match linealign {
                    Some("start") => settings.line_align = LineAlign::Start,
                    Some("center") => settings.line_align = LineAlign::Center,
                    Some("end") => settings.line_align = LineAlign::End,
                    Some(_) => continue,
                    None => {}
                }
                settings.snap_to_lines = !percent;
                settings.line = Some(number);
            }
            "position" => {
                let (colpos, colalign) = match value.find(',') {
                    Some(i) => (&value[..i], Some(&value[i + 1..])),
                    None => (value, None),
                };
                let Some(number) = parse_percentage(colpos) else {
                    continue;
                };
                match colalign {
                    Some("line-left") => settings.position_align = PositionAlign::LineLeft,
                    Some("center") => settings.position_align = PositionAlign::Center,
                    Some("line-right") => settings.position_align = PositionAlign::LineRight,
                    Some(_) => continue,
                    None => {}
                }
                settings.position = Some(number);
            }
            "size" => {
                if let Some(v) = parse_percentage(value) {
                    settings.size = v;
                }
            }
            "align" => match value {
                "start" => settings.align = Align::Start,
                "center" => settings.align = Align::Center,
                "end" => settings.align = Align::End,
                "left" => settings.align = Align::Left,
                "right" => settings.align = Align::Right,
                _ => {}
            },
            _ => {}
        }
    }
}

/// Collects cue timings and settings from a line (spec "collect WebVTT cue timings and
/// settings"). Returns None when the timings are invalid.
fn parse_timings(
    line: &str,
    regions: &[VttRegion],
) -> Option<(i64, i64, Option<Box<CueSettings>>)> {
    let b = line.as_bytes();
    let mut pos = 0;
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    let start = collect_timestamp(b, &mut pos)?;
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    if b.get(pos..pos + 3) != Some(b"-->") {
        return None;
    }
    pos += 3;
    while pos < b.len() && is_ws(b[pos]) {
        pos += 1;
    }
    let end = collect_timestamp(b, &mut pos)?;
    let rest = &line[pos..];
    let settings = if rest.bytes().all(is_ws) {
        None
    } else {
        let mut s = CueSettings::new();
        parse_settings(rest, regions, &mut s);
        (!s.is_default()).then(|| Box::new(s))
    };
    Some((start, end, settings))
}

/// Parses region settings from a REGION block's buffer (spec "collect WebVTT region settings").
fn parse_region(buffer: &str) -> VttRegion {
    let mut r = VttRegion::default();
    for setting in buffer.split(|c: char| c.is_ascii() && is_ws(c as u8)) {
        let Some(colon) = setting.find(':') else {
            continue;
        };
        if colon == 0 || colon == setting.len() - 1 {
            continue;
        }
        let (name, value) = (&setting[..colon], &setting[colon + 1..]);
        match name {
            "id" => r.id = value.to_string(),
            "width" => {
                if let Some(v) = parse_percentage(value) {
                    r.width = v;
                }
            }
            "lines" => {
                if value.bytes().all(|b| b.is_ascii_digit())
                    && let Ok(v) = value.parse::<f64>()
                {
                    r.lines = v;
                }
            }
            "regionanchor" | "viewportanchor" => {
                let Some(comma) = value.find(',') else {
                    continue;
                };
                let (Some(x), Some(y)) = (
                    parse_percentage(&value[..comma]),
                    parse_percentage(&value[comma + 1..]),
                ) else {
                    continue;
                };
                if name == "regionanchor" {
                    r.region_anchor = (x, y);
                } else {
                    r.viewport_anchor = (x, y);
                }
            }
            "scroll" if value == "up" => {
                r.scroll_up = true;
            }
            _ => {}
        }
    }
    r
}

enum Block {
    Cue(Cue),
    Style(String),
    Region(VttRegion),
    Other(String),
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    seen_cue: bool,
    arrow: memchr::memmem::Finder<'static>,
}

impl<'a> Parser<'a> {
    /// Collects a sequence of code points that are not LF.
    #[inline]
    fn line(&mut self) -> &'a str {
        let rest = &self.s.as_bytes()[self.pos..];
        let n = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let l = &self.s[self.pos..self.pos + n];
        self.pos += n;
        l
    }

    fn skip_lfs(&mut self) {
        let b = self.s.as_bytes();
        while self.pos < b.len() && b[self.pos] == b'\n' {
            self.pos += 1;
        }
    }

    /// Spec "collect a WebVTT block".
    fn block(&mut self, in_header: bool, regions: &[VttRegion]) -> Option<Block> {
        let mut line_count = 0;
        let mut previous_position = self.pos;
        // The buffer is a contiguous slice of the input as long as only whole lines are
        // appended; track it by range to avoid copying, and copy only when it gets reset.
        let mut buf_start = self.pos;
        let mut buf_end = self.pos;
        let mut buf_empty = true;
        let mut seen_arrow = false;
        let mut cue: Option<Cue> = None;
        let mut stylesheet = false;
        let mut region = false;
        loop {
            let line_start = self.pos;
            let line = self.line();
            line_count += 1;
            let seen_eof = self.pos >= self.s.len();
            if !seen_eof {
                self.pos += 1;
            }
            if self.arrow.find(line.as_bytes()).is_some() {
                if !in_header && (line_count == 1 || (line_count == 2 && !seen_arrow)) {
                    seen_arrow = true;
                    previous_position = self.pos;
                    let id = if buf_empty {
                        ""
                    } else {
                        &self.s[buf_start..buf_end]
                    };
                    match parse_timings(line, regions) {
                        Some((start, end, settings)) => {
                            cue = Some(Cue {
                                id: id.to_string(),
                                start: Time::Ms(start),
                                end: Time::Ms(end),
                                text: String::new(),
                                settings,
                                ..Default::default()
                            });
                            buf_empty = true;
                            self.seen_cue = true;
                        }
                        None => cue = None,
                    }
                } else {
                    self.pos = previous_position;
                    break;
                }
            } else if line.is_empty() {
                break;
            } else {
                if !in_header && line_count == 2 && !self.seen_cue && !buf_empty {
                    let buffer = &self.s[buf_start..buf_end];
                    let only_ws_after = |k: &str| {
                        buffer
                            .strip_prefix(k)
                            .is_some_and(|r| r.bytes().all(|b| b == b' ' || b == b'\t'))
                    };
                    if only_ws_after("STYLE") {
                        stylesheet = true;
                        buf_empty = true;
                    } else if only_ws_after("REGION") {
                        region = true;
                        buf_empty = true;
                    }
                }
                if buf_empty {
                    buf_start = line_start;
                    buf_empty = false;
                }
                // Lines are appended in order with a single LF between them, which is exactly
                // the input slice from buf_start to the end of this line.
                buf_end = line_start + line.len();
                previous_position = self.pos;
            }
            if seen_eof {
                break;
            }
        }
        let buffer = if buf_empty {
            ""
        } else {
            &self.s[buf_start..buf_end]
        };
        if let Some(mut c) = cue {
            c.text = buffer.to_string();
            return Some(Block::Cue(c));
        }
        if stylesheet {
            return Some(Block::Style(buffer.to_string()));
        }
        if region {
            return Some(Block::Region(parse_region(buffer)));
        }
        Some(Block::Other(buffer.to_string()))
    }
}

/// Parses a WebVTT file (already decoded to text; a leading BOM is skipped). Errors only when
/// the signature is wrong, as the spec requires ("WEBVTT" followed by space, tab or a line
/// break); every bad cue is skipped as the spec says.
pub fn parse(input: &str) -> Result<Track> {
    let input = input.strip_prefix('\u{FEFF}').unwrap_or(input);
    let text = preprocess(input);
    let s: &str = &text;
    let b = s.as_bytes();
    let sig_ok = b.len() >= 6
        && &b[..6] == b"WEBVTT"
        && (b.len() == 6 || matches!(b[6], b' ' | b'\t' | b'\n'));
    if !sig_ok {
        return Err(SubError::Syntax {
            file: String::new(),
            line: 1,
            reason: "not a WebVTT file: the first line must start with \"WEBVTT\" followed by a space, tab or line break".to_string(),
        });
    }
    let mut track = Track::new(Format::WebVtt);
    let mut header = VttHeader::default();
    let mut p = Parser {
        s,
        pos: 6,
        seen_cue: false,
        arrow: memchr::memmem::Finder::new(b"-->"),
    };
    track
        .cues
        .reserve(memchr::memmem::find_iter(b, b"-->").count());
    header.title = p.line().trim_start_matches([' ', '\t']).to_string();
    if p.pos < b.len() {
        p.pos += 1;
        if p.pos < b.len() {
            if b[p.pos] != b'\n' {
                // The rest of the header is ignored by the spec; a `Language: tag` line (a
                // common convention) gives the track's language.
                if let Some(Block::Other(buf)) = p.block(true, &header.regions) {
                    track.language = language_header(&buf);
                }
            } else {
                p.pos += 1;
            }
            p.skip_lfs();
            while p.pos < b.len() {
                match p.block(false, &header.regions) {
                    Some(Block::Cue(c)) => track.cues.push(c),
                    Some(Block::Style(css)) => header.styles.push(css),
                    Some(Block::Region(r)) => header.regions.push(r),
                    Some(Block::Other(buf)) => {
                        if let Some(rest) = buf.strip_prefix("NOTE")
                            && (rest.is_empty() || rest.starts_with([' ', '\t', '\n']))
                        {
                            header
                                .notes
                                .push(rest.trim_start_matches([' ', '\t', '\n']).to_string());
                        }
                    }
                    None => {}
                }
                p.skip_lfs();
            }
        }
    }
    track.vtt = Some(Box::new(header));
    Ok(track)
}

/// The value of a `Language:` line in header text, if any.
fn language_header(header: &str) -> Option<String> {
    header.split('\n').find_map(|l| {
        let (k, v) = l.split_once(':')?;
        let v = v.trim();
        (k.trim().eq_ignore_ascii_case("language") && !v.is_empty()).then(|| v.to_string())
    })
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The cue settings as they appear after the timings (`align:start line:0` …), empty when all
/// are defaults.
pub fn settings_string(s: &CueSettings) -> String {
    let mut parts: Vec<String> = Vec::new();
    match s.vertical {
        Vertical::Horizontal => {}
        Vertical::Rl => parts.push("vertical:rl".into()),
        Vertical::Lr => parts.push("vertical:lr".into()),
    }
    if let Some(line) = s.line {
        let mut v = fmt_num(line);
        if !s.snap_to_lines {
            v.push('%');
        }
        match s.line_align {
            LineAlign::Start => {}
            LineAlign::Center => v.push_str(",center"),
            LineAlign::End => v.push_str(",end"),
        }
        parts.push(format!("line:{v}"));
    }
    if let Some(p) = s.position {
        let mut v = format!("{}%", fmt_num(p));
        match s.position_align {
            PositionAlign::Auto => {}
            PositionAlign::LineLeft => v.push_str(",line-left"),
            PositionAlign::Center => v.push_str(",center"),
            PositionAlign::LineRight => v.push_str(",line-right"),
        }
        parts.push(format!("position:{v}"));
    }
    if s.size != 100.0 {
        parts.push(format!("size:{}%", fmt_num(s.size)));
    }
    if s.align != Align::Center {
        parts.push(format!("align:{}", s.align.as_str()));
    }
    if let Some(r) = &s.region
        && !r.is_empty()
        && !r.contains(|c: char| c.is_whitespace())
    {
        parts.push(format!("region:{r}"));
    }
    parts.join(" ")
}

/// Writes a track as WebVTT (UTF-8, LF). Text in another format's markup is converted to
/// WebVTT cue text; ids and text are sanitised so they read back identically (no `-->`, no
/// blank lines).
pub fn write(track: &Track) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(track.cues.len() * 90 + 64);
    out.extend_from_slice(b"WEBVTT");
    if let Some(h) = &track.vtt {
        let title = h.title.replace(['\n', '\r'], " ");
        if !title.is_empty() {
            out.push(b' ');
            out.extend_from_slice(title.as_bytes());
        }
    }
    out.push(b'\n');
    if let Some(lang) = &track.language {
        let lang = lang.replace(['\n', '\r'], "");
        if !lang.is_empty() && !lang.contains("-->") {
            out.extend_from_slice(b"Language: ");
            out.extend_from_slice(lang.as_bytes());
            out.push(b'\n');
        }
    }
    out.push(b'\n');
    if let Some(h) = &track.vtt {
        for r in &h.regions {
            out.extend_from_slice(b"REGION\n");
            if !r.id.is_empty() {
                out.extend_from_slice(format!("id:{}\n", r.id).as_bytes());
            }
            out.extend_from_slice(
                format!(
                    "width:{}%\nlines:{}\nregionanchor:{}%,{}%\nviewportanchor:{}%,{}%\n",
                    fmt_num(r.width),
                    fmt_num(r.lines),
                    fmt_num(r.region_anchor.0),
                    fmt_num(r.region_anchor.1),
                    fmt_num(r.viewport_anchor.0),
                    fmt_num(r.viewport_anchor.1)
                )
                .as_bytes(),
            );
            if r.scroll_up {
                out.extend_from_slice(b"scroll:up\n");
            }
            out.push(b'\n');
        }
        for css in &h.styles {
            out.extend_from_slice(b"STYLE\n");
            for l in css.split('\n').filter(|l| !l.trim().is_empty()) {
                out.extend_from_slice(l.replace("-->", "--").as_bytes());
                out.push(b'\n');
            }
            out.push(b'\n');
        }
        for note in &h.notes {
            out.extend_from_slice(b"NOTE");
            let note = note.replace("-->", "--");
            let lines: Vec<&str> = note.split('\n').filter(|l| !l.trim().is_empty()).collect();
            if lines.len() <= 1 {
                if let Some(l) = lines.first() {
                    out.push(b' ');
                    out.extend_from_slice(l.as_bytes());
                }
                out.push(b'\n');
            } else {
                out.push(b'\n');
                for l in lines {
                    out.extend_from_slice(l.as_bytes());
                    out.push(b'\n');
                }
            }
            out.push(b'\n');
        }
    }
    let convert = track.format != Format::WebVtt;
    let arrow = memchr::memmem::Finder::new(b"-->");
    let blank = memchr::memmem::Finder::new(b"\n\n");
    for cue in &track.cues {
        if !cue.id.is_empty() {
            let id = cue.id.replace(['\n', '\r'], " ").replace("-->", "->");
            out.extend_from_slice(id.as_bytes());
            out.push(b'\n');
        }
        push_hms_ms(&mut out, cue.start_ms(), b'.');
        out.extend_from_slice(b" --> ");
        push_hms_ms(&mut out, cue.end_ms(), b'.');
        if let Some(s) = &cue.settings {
            let st = settings_string(s);
            if !st.is_empty() {
                out.push(b' ');
                out.extend_from_slice(st.as_bytes());
            }
        }
        out.push(b'\n');
        let converted;
        let text: &str = if convert {
            converted = crate::markup::to_vtt(&crate::markup::parse(track.format, &cue.text));
            &converted
        } else {
            &cue.text
        };
        let tb = text.as_bytes();
        if arrow.find(tb).is_some()
            || blank.find(tb).is_some()
            || tb.first() == Some(&b'\n')
            || memchr::memchr(b'\r', tb).is_some()
        {
            for l in text.split(['\n', '\r']).filter(|l| !l.is_empty()) {
                out.extend_from_slice(l.replace("-->", "--&gt;").as_bytes());
                out.push(b'\n');
            }
        } else if !text.is_empty() {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_spec() {
        let ts = |s: &str| {
            let mut p = 0;
            collect_timestamp(s.as_bytes(), &mut p)
        };
        assert_eq!(ts("00:01.500"), Some(1500));
        assert_eq!(ts("01:00:00.000"), Some(3_600_000));
        assert_eq!(ts("100:00:00.000"), Some(360_000_000));
        assert_eq!(
            ts("60:00.000"),
            None,
            "60 as first of two fields means hours: needs :SS"
        );
        assert_eq!(ts("00:60.000"), None);
        assert_eq!(ts("0:00.500"), None);
        assert_eq!(ts("00:00.50"), None);
    }

    #[test]
    fn signature_rules() {
        assert!(parse("WEBVTT").is_ok());
        assert!(parse("WEBVTT FILE\n").is_ok());
        assert!(parse("WEBVTTX\n").is_err());
        assert!(parse("\u{FEFF}WEBVTT\n").is_ok());
        assert!(parse("WEBVT").is_err());
    }

    #[test]
    fn cue_settings_and_round_trip() {
        let src = "WEBVTT\n\nREGION\nid:r1\nwidth:40%\nlines:3\nregionanchor:0%,100%\nviewportanchor:10%,90%\nscroll:up\n\nintro\n00:00:01.000 --> 00:00:02.000 line:0 position:10%,line-left size:50% align:start region:r1\n<v Bob>Hi</v>\nthere\n\n";
        let t = parse(src).expect("valid");
        assert_eq!(t.cues.len(), 1);
        let s = t.cues[0].settings.as_ref().expect("settings");
        assert_eq!(s.line, Some(0.0));
        assert!(s.snap_to_lines);
        assert_eq!(s.position, Some(10.0));
        assert_eq!(s.position_align, PositionAlign::LineLeft);
        assert_eq!(s.size, 50.0);
        assert_eq!(s.align, Align::Start);
        assert_eq!(s.region.as_deref(), Some("r1"));
        assert_eq!(t.cues[0].text, "<v Bob>Hi</v>\nthere");
        let again = parse(&write(&t)).expect("valid");
        assert_eq!(again.cues, t.cues);
        assert_eq!(again.vtt, t.vtt);
    }

    #[test]
    fn language_header_round_trip() {
        let t =
            parse("WEBVTT\nKind: captions\nLanguage: ja\n\n00:01.000 --> 00:02.000\nこんにちは\n")
                .expect("valid");
        assert_eq!(t.language.as_deref(), Some("ja"));
        assert_eq!(t.cues.len(), 1);
        let again = parse(&write(&t)).expect("valid");
        assert_eq!(again.language.as_deref(), Some("ja"));
    }
}
