//! TTML / IMSC 1.1 reader and writer (via `quick-xml`).
//!
//! Reading: `tt` parameters (`ttp:frameRate`, `ttp:frameRateMultiplier`, `ttp:subFrameRate`,
//! `ttp:tickRate`, `ttp:timeBase`), head styling and layout, `body`/`div`/`p`/`span`/`br`
//! with parallel time containment (`begin`/`end`/`dur` relative to the parent), clock-time
//! (`hh:mm:ss.fff`, `hh:mm:ss:ff[.sub]`) and offset-time (`12.5s`, `250ms`, `3f`, `900t`, `1h`,
//! `2m`) expressions. Frame-based times stay exact frame counts ([`Time::Frames`]). Italic,
//! bold and underline (inline or via referenced styles) become WebVTT-style markup in the
//! cue text; regions at the top map to `line:0`.
//!
//! Writing: an IMSC 1.1 Text Profile document (`ttp:contentProfiles`), styles and regions in
//! the head, one `p` per cue with `br` line breaks and styled `span`s.

use crate::error::{Result, SubError};
use crate::markup::{Node, SpanKind};
use crate::model::{Cue, CueSettings, Format, Time, Track, TtmlHeader};
use mocap_data::FrameRate;
use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

#[derive(Clone, Copy)]
struct TimeParams {
    rate: FrameRate,
    rate_given: bool,
    sub_frame_rate: u64,
    tick_rate: u64,
    smpte: bool,
}

fn attr_map(e: &BytesStart<'_>) -> Vec<(String, String)> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let k = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let v = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned());
            (k, v)
        })
        .collect()
}

/// Looks up an attribute by local name (ignoring the prefix).
fn get<'a>(attrs: &'a [(String, String)], local: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(k, _)| k.rsplit(':').next() == Some(local))
        .map(|(_, v)| v.as_str())
}

/// Parses a TTML time expression into an exact [`Time`].
fn parse_time(s: &str, p: &TimeParams) -> Option<Time> {
    let s = s.trim();
    let rate = p.rate;
    let ms_time = |num: i128, den: i128| -> Option<Time> {
        // Round num/den seconds to ms.
        if den <= 0 {
            return None;
        }
        let n = num * 1000;
        let v = if n >= 0 {
            (2 * n + den) / (2 * den)
        } else {
            -((-2 * n + den) / (2 * den))
        };
        i64::try_from(v).ok().map(Time::Ms)
    };
    // Every number is ASCII digits with a bounded length, so the i128 arithmetic below cannot
    // overflow whatever the document says.
    let num = |t: &str, max: usize| -> Option<i128> {
        (!t.is_empty() && t.len() <= max && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let frac = |f: &str| -> Option<(i128, i128)> {
        // (value, denominator) of a decimal fraction, keeping at most 9 digits.
        if f.is_empty() {
            return Some((0, 1));
        }
        if !f.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let d = &f[..f.len().min(9)];
        Some((d.parse().ok()?, 10i128.pow(d.len() as u32)))
    };
    if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() < 3 || parts.len() > 4 {
            return None;
        }
        let h = num(parts[0], 9)?;
        let m = num(parts[1], 2)?;
        if parts.len() == 3 {
            // hh:mm:ss(.fraction)
            let (sec, f) = parts[2].split_once('.').unwrap_or((parts[2], ""));
            let sec = num(sec, 2)?;
            let (fv, den) = frac(f)?;
            return ms_time(((h * 60 + m) * 60 + sec) * den + fv, den);
        }
        // hh:mm:ss:frames(.subframes)
        let sec = num(parts[2], 2)?;
        let (fr, sub) = parts[3].split_once('.').unwrap_or((parts[3], "0"));
        let fr = num(fr, 9)?;
        let sub = num(sub, 9)?;
        let whole = (h * 60 + m) * 60 + sec;
        let nominal = rate.nominal_fps() as i128;
        if sub == 0 && (p.smpte || rate.den() == 1) {
            // A frame label: exact frame count.
            let frame = whole * nominal + fr;
            return i64::try_from(frame)
                .ok()
                .map(|frame| Time::Frames { frame, rate });
        }
        // Media time: seconds + (frames + sub/subFrameRate) / effective rate.
        let sfr = p.sub_frame_rate.clamp(1, 1_000_000) as i128;
        let rn = rate.num() as i128;
        let rd = rate.den() as i128;
        // t = whole + (fr·sfr + sub)·den / (sfr·num)
        return ms_time(whole * sfr * rn + (fr * sfr + sub) * rd, sfr * rn);
    }
    // Offset time: number metric.
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, metric) = s.split_at(split);
    let (int, f) = number.split_once('.').unwrap_or((number, ""));
    let (fv, den) = frac(f)?;
    let v: i128 = num(int, 15)? * den + fv;
    match metric {
        "h" => ms_time(v * 3600, den),
        "m" => ms_time(v * 60, den),
        "s" => ms_time(v, den),
        "ms" => ms_time(v, den * 1000),
        "f" => {
            if den == 1 {
                i64::try_from(v)
                    .ok()
                    .map(|frame| Time::Frames { frame, rate })
            } else {
                ms_time(v * rate.den() as i128, den * rate.num() as i128)
            }
        }
        "t" => ms_time(v, den * p.tick_rate.clamp(1, 1 << 40) as i128),
        _ => None,
    }
}

fn add(a: Time, b: Time) -> Time {
    match (a, b) {
        (Time::Ms(0), b) => b,
        (a, Time::Ms(0)) => a,
        (Time::Frames { frame: x, rate: r1 }, Time::Frames { frame: y, rate: r2 }) if r1 == r2 => {
            Time::Frames {
                frame: x.saturating_add(y),
                rate: r1,
            }
        }
        _ => Time::Ms(a.ms().saturating_add(b.ms())),
    }
}

#[derive(Clone, Default)]
struct Style {
    italic: bool,
    bold: bool,
    underline: bool,
}

fn style_of(
    attrs: &[(String, String)],
    styles: &[(String, Vec<(String, String)>)],
    depth: usize,
) -> Style {
    let mut st = Style::default();
    if depth < 8
        && let Some(refs) = get(attrs, "style")
    {
        for r in refs.split_whitespace() {
            if let Some((_, a)) = styles.iter().find(|(id, _)| id == r) {
                let s = style_of(a, styles, depth + 1);
                st.italic |= s.italic;
                st.bold |= s.bold;
                st.underline |= s.underline;
            }
        }
    }
    for (k, v) in attrs {
        match k.rsplit(':').next() {
            Some("fontStyle") => st.italic = v == "italic" || v == "oblique",
            Some("fontWeight") => st.bold = v == "bold",
            Some("textDecoration") => {
                st.underline = v.contains("underline") && !v.contains("noUnderline")
            }
            _ => {}
        }
    }
    st
}

struct Frame {
    begin: Time,
    end: Option<Time>,
    style: Style,
    /// Region in effect (own `region` attribute or inherited).
    region: Option<String>,
}

/// Parses a TTML document.
pub fn parse(text: &str) -> Result<Track> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut p = TtmlParser {
        track: Track::new(Format::Ttml),
        header: TtmlHeader::default(),
        params: TimeParams {
            rate: FrameRate::FPS_30,
            rate_given: false,
            sub_frame_rate: 1,
            tick_rate: 1,
            smpte: false,
        },
        names: Vec::new(),
        frames: Vec::new(),
        in_p: 0,
        cur: None,
        region_pos: Vec::new(),
        saw_tt: false,
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| SubError::Xml(format!("at byte {}: {e}", reader.buffer_position())))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                p.start(e, matches!(ev, Event::Empty(_)));
            }
            Event::End(_) => p.end(),
            Event::Text(t) if p.cur.is_some() => {
                p.push_text(t.decode().map(|c| c.into_owned()).unwrap_or_default())
            }
            Event::CData(t) if p.cur.is_some() => {
                p.push_text(String::from_utf8_lossy(&t.into_inner()).into_owned())
            }
            Event::GeneralRef(r) if p.cur.is_some() => p.push_text(reference_text(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    if !p.saw_tt {
        return Err(SubError::Xml(
            "no <tt> root element: this is not a TTML document".into(),
        ));
    }
    p.track.ttml = Some(Box::new(p.header));
    Ok(p.track)
}

/// A cue being read: the cue, its text nodes, and the open `<span>`s (style, children).
type OpenCue = (Cue, Vec<Node>, Vec<(Style, Vec<Node>)>);

/// The state of a TTML parse between XML events.
struct TtmlParser {
    /// The track read so far.
    track: Track,
    /// Header data (frame rate, styles, regions) for writing back.
    header: TtmlHeader,
    /// Timing parameters from `<tt>`.
    params: TimeParams,
    /// Element stack: local names.
    names: Vec<String>,
    /// Timing, style and region of each open timed element.
    frames: Vec<Frame>,
    /// Depth of the open `<p>` in `names` (0 = none).
    in_p: usize,
    /// The cue of the open `<p>`.
    cur: Option<OpenCue>,
    /// Region id and whether it is at the top.
    region_pos: Vec<(String, bool)>,
    /// Whether the `<tt>` root was seen.
    saw_tt: bool,
}

impl TtmlParser {
    /// A start (or empty, `empty`) element.
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        let attrs = attr_map(e);
        match local.as_str() {
            "tt" => self.tt(&attrs),
            "style" if self.names.iter().any(|n| n == "styling") => {
                if let Some(id) = get(&attrs, "id") {
                    let rest: Vec<(String, String)> = attrs
                        .iter()
                        .filter(|(k, _)| !k.ends_with(":id"))
                        .cloned()
                        .collect();
                    self.header.styles.push((id.to_string(), rest));
                }
            }
            "region" if self.names.iter().any(|n| n == "layout") => {
                if let Some(id) = get(&attrs, "id") {
                    let top = get(&attrs, "displayAlign") == Some("before")
                        || get(&attrs, "origin")
                            .and_then(|o| o.split_whitespace().nth(1))
                            .and_then(|y| y.trim_end_matches('%').parse::<f64>().ok())
                            .is_some_and(|y| y < 40.0);
                    self.region_pos.push((id.to_string(), top));
                    let rest: Vec<(String, String)> = attrs
                        .iter()
                        .filter(|(k, _)| !k.ends_with(":id"))
                        .cloned()
                        .collect();
                    self.header.regions.push((id.to_string(), rest));
                }
            }
            "body" | "div" | "p" | "span" => self.timed(&local, &attrs, empty),
            "br" => {
                if let Some((_, nodes, spans)) = self.cur.as_mut() {
                    let target = spans.last_mut().map_or(nodes, |(_, n)| n);
                    target.push(Node::Text("\n".into()));
                }
            }
            _ => {}
        }
        if !empty {
            self.names.push(local);
        }
    }

    /// `<tt>`: language and the timing parameters.
    fn tt(&mut self, attrs: &[(String, String)]) {
        self.saw_tt = true;
        if let Some(l) = get(attrs, "lang")
            && !l.is_empty()
        {
            self.track.language = Some(l.to_string());
        }
        let fr: Option<u32> = get(attrs, "frameRate").and_then(|v| v.trim().parse().ok());
        let mult = get(attrs, "frameRateMultiplier").and_then(|v| {
            let mut it = v.split([' ', ':']).filter(|s| !s.is_empty());
            let a: u32 = it.next()?.parse().ok()?;
            let b: u32 = it.next()?.parse().ok()?;
            Some((a, b))
        });
        if let Some(fr) = fr.filter(|f| *f > 0) {
            let (a, b) = mult.unwrap_or((1, 1));
            if let Ok(r) = FrameRate::new(fr.saturating_mul(a), b.max(1)) {
                self.params.rate = r;
                self.params.rate_given = true;
                self.header.frame_rate = Some(r);
            }
        }
        if let Some(s) = get(attrs, "subFrameRate").and_then(|v| v.trim().parse().ok()) {
            self.params.sub_frame_rate = s;
        }
        match get(attrs, "tickRate").and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(t) if t > 0 => {
                self.params.tick_rate = t;
                self.header.tick_rate = Some(t);
            }
            _ => {
                if self.params.rate_given {
                    self.params.tick_rate = (self.params.rate.hz().round() as u64).max(1)
                        * self.params.sub_frame_rate.max(1);
                }
            }
        }
        self.params.smpte = get(attrs, "timeBase") == Some("smpte");
    }

    /// `<body>`, `<div>`, `<p>` or `<span>`: timing and style frames, cues and spans.
    fn timed(&mut self, local: &str, attrs: &[(String, String)], empty: bool) {
        let parent_begin = self.frames.last().map_or(Time::Ms(0), |f| f.begin);
        let parent_end = self.frames.last().and_then(|f| f.end);
        let parent_style = self
            .frames
            .last()
            .map(|f| f.style.clone())
            .unwrap_or_default();
        let begin_rel = get(attrs, "begin").and_then(|v| parse_time(v, &self.params));
        let end_rel = get(attrs, "end").and_then(|v| parse_time(v, &self.params));
        let dur = get(attrs, "dur").and_then(|v| parse_time(v, &self.params));
        let begin = begin_rel.map_or(parent_begin, |b| add(parent_begin, b));
        let end = match (end_rel, dur) {
            (Some(e), _) => Some(add(parent_begin, e)),
            (None, Some(d)) => Some(add(begin, d)),
            _ => parent_end,
        };
        let style = {
            let own = style_of(attrs, &self.header.styles, 0);
            Style {
                italic: own.italic || parent_style.italic,
                bold: own.bold || parent_style.bold,
                underline: own.underline || parent_style.underline,
            }
        };
        if local == "p" && self.cur.is_none() {
            let mut cue = Cue {
                id: get(attrs, "id").unwrap_or("").to_string(),
                start: begin,
                end: end.unwrap_or(begin),
                style: get(attrs, "style").map(str::to_string),
                ..Default::default()
            };
            let region = get(attrs, "region")
                .map(str::to_string)
                .or_else(|| self.frames.last().and_then(|f| f.region.clone()));
            if let Some(r) = region
                && self.region_pos.iter().any(|(id, top)| *id == r && *top)
            {
                let mut s = CueSettings::new();
                s.line = Some(0.0);
                cue.settings = Some(Box::new(s));
            }
            if !empty {
                self.in_p = self.names.len() + 1;
                self.cur = Some((cue, Vec::new(), Vec::new()));
            } else {
                self.track.cues.push(cue);
            }
        } else if local == "span"
            && self.cur.is_some()
            && !empty
            && let Some((_, _, spans)) = self.cur.as_mut()
        {
            spans.push((style.clone(), Vec::new()));
        }
        if !empty {
            let region = get(attrs, "region")
                .map(str::to_string)
                .or_else(|| self.frames.last().and_then(|f| f.region.clone()));
            self.frames.push(Frame {
                begin,
                end,
                style,
                region,
            });
        }
    }

    /// An end element.
    fn end(&mut self) {
        let Some(local) = self.names.pop() else {
            return;
        };
        if matches!(local.as_str(), "body" | "div" | "p" | "span") {
            self.frames.pop();
        }
        if local == "span"
            && let Some((_, nodes, spans)) = self.cur.as_mut()
            && let Some((st, children)) = spans.pop()
        {
            let parent = spans.last().map(|(s, _)| s.clone()).unwrap_or_default();
            let mut n = children;
            for (on, was, kind) in [
                (st.underline, parent.underline, SpanKind::Underline),
                (st.bold, parent.bold, SpanKind::Bold),
                (st.italic, parent.italic, SpanKind::Italic),
            ] {
                if on && !was {
                    n = vec![Node::Span(crate::markup::Span {
                        kind,
                        classes: Vec::new(),
                        annotation: None,
                        children: n,
                    })];
                }
            }
            let target = spans.last_mut().map_or(nodes, |(_, c)| c);
            target.extend(n);
        }
        if local == "p" && self.names.len() + 1 == self.in_p {
            self.in_p = 0;
            if let Some((mut cue, nodes, _)) = self.cur.take() {
                cue.text = crate::markup::to_vtt(&normalize_space(nodes));
                self.track.cues.push(cue);
            }
        }
    }

    /// Text inside the open cue (into the innermost open span).
    fn push_text(&mut self, s: String) {
        if let Some((_, nodes, spans)) = self.cur.as_mut() {
            let target = spans.last_mut().map_or(nodes, |(_, n)| n);
            target.push(Node::Text(s));
        }
    }
}

/// The text of a character or entity reference (unknown entities kept as written).
fn reference_text(r: &BytesRef<'_>) -> String {
    if r.is_char_ref() {
        r.resolve_char_ref()
            .ok()
            .flatten()
            .map(String::from)
            .unwrap_or_default()
    } else {
        match r
            .decode()
            .map(|c| c.into_owned())
            .unwrap_or_default()
            .as_str()
        {
            "amp" => "&".into(),
            "lt" => "<".into(),
            "gt" => ">".into(),
            "quot" => "\"".into(),
            "apos" => "'".into(),
            other => format!("&{other};"),
        }
    }
}

/// XML default whitespace handling: runs of whitespace collapse to one space; spaces next to
/// line breaks and at the ends are removed.
fn normalize_space(nodes: Vec<Node>) -> Vec<Node> {
    fn collapse(nodes: Vec<Node>, prev_space: &mut bool) -> Vec<Node> {
        let mut out = Vec::new();
        for n in nodes {
            match n {
                Node::Text(t) => {
                    let mut s = String::new();
                    for c in t.chars() {
                        if c == '\n' && t == "\n" {
                            s.push('\n');
                            *prev_space = true;
                        } else if c.is_whitespace() && c != '\u{A0}' {
                            if !*prev_space {
                                s.push(' ');
                            }
                            *prev_space = true;
                        } else {
                            s.push(c);
                            *prev_space = false;
                        }
                    }
                    out.push(Node::Text(s));
                }
                Node::Span(mut sp) => {
                    sp.children = collapse(sp.children, prev_space);
                    out.push(Node::Span(sp));
                }
                other => out.push(other),
            }
        }
        out
    }
    let mut prev = true;
    let nodes = crate::markup::merge_text(collapse(nodes, &mut prev));
    // Trim spaces around line breaks and at both ends via the rendered plain structure.
    fn trim(nodes: Vec<Node>) -> Vec<Node> {
        nodes
            .into_iter()
            .map(|n| match n {
                Node::Text(t) => Node::Text(t.replace(" \n", "\n").replace("\n ", "\n")),
                Node::Span(mut s) => {
                    s.children = trim(s.children);
                    Node::Span(s)
                }
                o => o,
            })
            .collect()
    }
    let mut nodes = trim(nodes);
    if let Some(Node::Text(t)) = nodes.first_mut() {
        *t = t.trim_start().to_string();
    }
    if let Some(Node::Text(t)) = nodes.last_mut() {
        *t = t.trim_end().to_string();
    }
    nodes.retain(|n| !matches!(n, Node::Text(t) if t.is_empty()));
    nodes
}

fn xml_escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn time_attr(t: Time, rate: Option<FrameRate>) -> String {
    match (t, rate) {
        (Time::Frames { frame, rate: r }, Some(fr)) if r == fr => format!("{}f", frame.max(0)),
        _ => {
            let ms = t.ms().max(0);
            format!(
                "{:02}:{:02}:{:02}.{:03}",
                ms / 3_600_000,
                (ms / 60_000) % 60,
                (ms / 1000) % 60,
                ms % 1000
            )
        }
    }
}

fn nodes_to_xml(nodes: &[Node], out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => {
                let mut first = true;
                for line in t.split('\n') {
                    if !first {
                        out.push_str("<br/>");
                    }
                    first = false;
                    out.push_str(&xml_escape(line));
                }
            }
            Node::Timestamp(_) => {}
            Node::Span(s) => {
                let attr = match s.kind {
                    SpanKind::Italic => Some("tts:fontStyle=\"italic\""),
                    SpanKind::Bold => Some("tts:fontWeight=\"bold\""),
                    SpanKind::Underline => Some("tts:textDecoration=\"underline\""),
                    _ => None,
                };
                match attr {
                    Some(a) => {
                        out.push_str(&format!("<span {a}>"));
                        nodes_to_xml(&s.children, out);
                        out.push_str("</span>");
                    }
                    None if s.kind == SpanKind::RubyText => {
                        out.push('(');
                        nodes_to_xml(&s.children, out);
                        out.push(')');
                    }
                    None => nodes_to_xml(&s.children, out),
                }
            }
        }
    }
}

/// Writes an IMSC 1.1 Text Profile document. Times are clock times in milliseconds, or
/// frame offsets (`123f`) when the cue times count frames at the track's frame rate.
pub fn write(track: &Track) -> String {
    let rate = track.ttml.as_ref().and_then(|h| h.frame_rate).or_else(|| {
        track.cues.iter().find_map(|c| match c.start {
            Time::Frames { rate, .. } => Some(rate),
            _ => None,
        })
    });
    write_with_rate(track, rate)
}

/// Like [`write()`] with an explicit frame rate for `ttp:frameRate` (frame-counted times at
/// that rate are written as frame offsets).
pub fn write_with_rate(track: &Track, rate: Option<FrameRate>) -> String {
    let mut out = String::with_capacity(track.cues.len() * 120 + 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<tt xmlns=\"http://www.w3.org/ns/ttml\" xmlns:ttp=\"http://www.w3.org/ns/ttml#parameter\" xmlns:tts=\"http://www.w3.org/ns/ttml#styling\" xmlns:ttm=\"http://www.w3.org/ns/ttml#metadata\"");
    out.push_str(" ttp:contentProfiles=\"http://www.w3.org/ns/ttml/profile/imsc1.1/text\" ttp:timeBase=\"media\"");
    if let Some(r) = rate {
        let nominal = r.nominal_fps();
        out.push_str(&format!(" ttp:frameRate=\"{nominal}\""));
        // frameRateMultiplier n d such that nominal·n/d = num/den.
        let (n, d) = (r.num() as u64, r.den() as u64 * nominal as u64);
        if n != d {
            let g = gcd(n, d);
            out.push_str(&format!(" ttp:frameRateMultiplier=\"{} {}\"", n / g, d / g));
        }
    }
    out.push_str(&format!(
        " xml:lang=\"{}\">\n",
        xml_escape(track.language.as_deref().unwrap_or(""))
    ));
    out.push_str("  <head>\n    <styling>\n      <style xml:id=\"s0\" tts:fontFamily=\"proportionalSansSerif\" tts:fontSize=\"100%\" tts:textAlign=\"center\" tts:color=\"white\" tts:backgroundColor=\"rgba(0,0,0,0.75)\"/>\n    </styling>\n");
    out.push_str("    <layout>\n      <region xml:id=\"bottom\" tts:origin=\"10% 10%\" tts:extent=\"80% 80%\" tts:displayAlign=\"after\"/>\n      <region xml:id=\"top\" tts:origin=\"10% 10%\" tts:extent=\"80% 80%\" tts:displayAlign=\"before\"/>\n    </layout>\n  </head>\n");
    out.push_str("  <body style=\"s0\">\n    <div>\n");
    for (i, cue) in track.cues.iter().enumerate() {
        let nodes = crate::markup::parse(track.format, &cue.text);
        let top = cue
            .settings
            .as_ref()
            .and_then(|s| {
                s.line.map(|l| {
                    if s.snap_to_lines {
                        (0.0..3.0).contains(&l)
                    } else {
                        l < 40.0
                    }
                })
            })
            .unwrap_or(false);
        let id = if cue.id.is_empty() || !is_ncname(&cue.id) {
            format!("c{}", i + 1)
        } else {
            cue.id.clone()
        };
        out.push_str(&format!(
            "      <p xml:id=\"{}\" begin=\"{}\" end=\"{}\" region=\"{}\">",
            xml_escape(&id),
            time_attr(cue.start, rate),
            time_attr(cue.end, rate),
            if top { "top" } else { "bottom" }
        ));
        nodes_to_xml(&nodes, &mut out);
        out.push_str("</p>\n");
    }
    out.push_str("    </div>\n  </body>\n</tt>\n");
    out
}

fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rate: FrameRate, smpte: bool) -> TimeParams {
        TimeParams {
            rate,
            rate_given: true,
            sub_frame_rate: 1,
            tick_rate: 10_000_000,
            smpte,
        }
    }

    #[test]
    fn time_expressions() {
        let r24 = p(FrameRate::FPS_24, false);
        assert_eq!(parse_time("00:00:01.375", &r24), Some(Time::Ms(1375)));
        assert_eq!(
            parse_time("01:00:00:12", &r24),
            Some(Time::Frames {
                frame: 86_412,
                rate: FrameRate::FPS_24
            })
        );
        assert_eq!(
            parse_time("12f", &r24),
            Some(Time::Frames {
                frame: 12,
                rate: FrameRate::FPS_24
            })
        );
        assert_eq!(parse_time("0.76s", &r24), Some(Time::Ms(760)));
        assert_eq!(parse_time("250ms", &r24), Some(Time::Ms(250)));
        assert_eq!(parse_time("1.5m", &r24), Some(Time::Ms(90_000)));
        assert_eq!(parse_time("15000000t", &r24), Some(Time::Ms(1500)));
        // 23.976 media time: 1 s + 12 frames of 1001/24000 s = 1.5005 s.
        let ntsc = p(FrameRate::FPS_23_976, false);
        assert_eq!(parse_time("00:00:01:12", &ntsc), Some(Time::Ms(1501)));
        let smpte = p(FrameRate::FPS_23_976, true);
        assert_eq!(
            parse_time("00:00:01:12", &smpte),
            Some(Time::Frames {
                frame: 36,
                rate: FrameRate::FPS_23_976
            })
        );
    }

    #[test]
    fn round_trip_with_styles_and_frames() {
        let src = r#"<?xml version="1.0"?>
<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter" xmlns:tts="http://www.w3.org/ns/ttml#styling" ttp:frameRate="24" ttp:frameRateMultiplier="1000 1001" xml:lang="ja">
<head><styling><style xml:id="it" tts:fontStyle="italic"/></styling></head>
<body><div begin="10s">
<p xml:id="a" begin="00:00:01.000" end="00:00:02.000">Hello <span style="it">dear</span><br/>  world &amp; co</p>
<p begin="48f" dur="24f">B</p>
</div></body></tt>"#;
        let t = parse(src).expect("valid TTML");
        assert_eq!(t.language.as_deref(), Some("ja"));
        assert_eq!(t.cues.len(), 2);
        assert_eq!(t.cues[0].text, "Hello <i>dear</i>\nworld &amp; co");
        assert_eq!(t.cues[0].start_ms(), 11_000);
        assert_eq!(t.cues[1].start_ms(), 10_000 + 2002);
        let again = parse(&write(&t)).expect("own output parses");
        assert_eq!(again.cues.len(), 2);
        for (a, b) in again.cues.iter().zip(&t.cues) {
            assert_eq!(
                (a.start_ms(), a.end_ms(), &a.text),
                (b.start_ms(), b.end_ms(), &b.text)
            );
        }
        assert!(write(&t).contains("ttp:frameRateMultiplier=\"1000 1001\""));
    }
}
