//! SubRip (`.srt`) reader and writer, built for throughput: the reader works on the decoded
//! text in place (one allocation for the id and one for the text per cue) and the writer
//! formats timestamps with integer arithmetic.
//!
//! The reader is lenient the way players are: cue numbers may be missing, `.` may replace
//! `,`, hours and the fraction may be omitted (`00:01:41,04` is 41.04 s), coordinates after
//! the end time (`X1:40 …`) are ignored, a missing blank line before the next cue is
//! tolerated, and lines that are not part of a cue are skipped.

use crate::model::{Cue, Format, Time, Track};
use crate::text::{Lines, digits, is_blank, normalize_newlines, push_hms_ms, push_padded};

/// Parses an SRT timestamp `[H+:]MM:SS[,.]fff` at the start of `b` (after optional spaces):
/// returns (milliseconds, bytes consumed).
#[inline]
pub(crate) fn parse_timestamp(b: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    let mut parts = [0u64; 3];
    let mut n = 0;
    loop {
        let (v, len) = digits(&b[i..]);
        if len == 0 || len > 10 {
            return None;
        }
        parts[n] = v;
        n += 1;
        i += len;
        if n < 3 && i < b.len() && b[i] == b':' {
            i += 1;
            continue;
        }
        break;
    }
    if n < 2 {
        return None;
    }
    let (h, m, s) = if n == 3 {
        (parts[0], parts[1], parts[2])
    } else {
        (0, parts[0], parts[1])
    };
    if m > 59 || s > 59 {
        return None;
    }
    let mut frac = 0u64;
    if i < b.len() && (b[i] == b',' || b[i] == b'.') {
        let (v, len) = digits(&b[i + 1..]);
        if len > 0 {
            frac = match len {
                1 => v * 100,
                2 => v * 10,
                3 => v,
                _ => {
                    // Keep milliseconds, truncating finer digits.
                    let (ms, _) = digits(&b[i + 1..i + 4]);
                    ms
                }
            };
            i += 1 + len;
        }
    }
    let ms = h
        .checked_mul(3_600_000)?
        .checked_add(m * 60_000 + s * 1000 + frac)?;
    let ms = i64::try_from(ms).ok()?;
    Some((ms, i))
}

/// Parses a timing line `start --> end [coordinates]`.
#[inline]
pub(crate) fn parse_timing_line(line: &str) -> Option<(i64, i64)> {
    let b = line.as_bytes();
    let (start, used) = parse_timestamp(b)?;
    let mut i = used;
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    // The arrow must be exactly "-->".
    if b.len() < i + 3 || &b[i..i + 3] != b"-->" {
        return None;
    }
    let (end, _) = parse_timestamp(&b[i + 3..])?;
    Some((start, end))
}

fn is_index(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit())
}

/// Reads SRT text (already decoded) into a track. Never fails: unparseable lines are skipped.
pub fn parse(text: &str) -> Track {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut track = Track::new(Format::Srt);
    track
        .cues
        .reserve(memchr::memmem::find_iter(text.as_bytes(), b"-->").count());
    let mut lines = Lines::new(text);
    let mut pending_id: Option<&str> = None;
    let blank = memchr::memmem::Finder::new(b"\n\n");
    let has_cr = memchr::memchr(b'\r', text.as_bytes()).is_some();
    while let Some((line, next)) = lines.peek() {
        if is_blank(line) {
            lines.advance(next);
            continue;
        }
        let timing = parse_timing_line(line);
        let Some((start, end_time)) = timing else {
            // An index line (or garbage): remember it as the id if a timing line follows.
            lines.advance(next);
            pending_id = Some(line.trim());
            continue;
        };
        lines.advance(next);
        let id = pending_id.take().filter(|l| is_index(l)).unwrap_or("");
        // Fast path: the text runs to the next "\n\n" and holds no CR, no arrow (a missing
        // blank line) and no whitespace-only line; otherwise the line-by-line path below.
        let p = lines.pos();
        let rest = &text[p..];
        let rb = rest.as_bytes();
        // The search is bounded so that files without "\n\n" stay linear.
        const WINDOW: usize = 4096;
        let window = &rb[..rb.len().min(WINDOW)];
        let found = blank.find(window);
        if !has_cr
            && (found.is_some() || rb.len() <= WINDOW)
            && !rb.is_empty()
            && rb[0] != b'\n'
            && rb[0] != b' '
            && rb[0] != b'\t'
        {
            let end = found.unwrap_or(rb.len());
            let mut block = &rb[..end];
            while let [head @ .., b'\n'] = block {
                block = head;
            }
            // One pass over the (short) block: no "-->", no line starting with a space/tab.
            let simple = !block.windows(2).enumerate().any(|(k, w)| match w {
                [b'\n', b' ' | b'\t'] => true,
                [b'-', b'-'] => block.get(k + 2) == Some(&b'>'),
                _ => false,
            });
            if simple {
                track.cues.push(Cue {
                    id: id.to_string(),
                    start: Time::Ms(start),
                    end: Time::Ms(end_time),
                    text: rest[..block.len()].to_string(),
                    ..Default::default()
                });
                lines.seek(p + end);
                continue;
            }
        }
        // Text lines until a blank line, EOF, or a timing line (missing blank line).
        let text_start = lines.pos();
        let mut text_end = text_start;
        let mut last_line_start = text_start;
        let mut next_id: Option<&str> = None;
        while let Some((l, n)) = lines.peek() {
            if is_blank(l) {
                break;
            }
            if parse_timing_line(l).is_some() {
                // The previous line, if it is a number, was the next cue's index.
                if last_line_start < text_end {
                    let prev = &text[last_line_start..text_end];
                    let prev_line = prev.trim_end_matches(['\r', '\n']);
                    if is_index(prev_line) {
                        next_id = Some(prev_line.trim());
                        text_end = last_line_start;
                    }
                }
                break;
            }
            last_line_start = lines.pos();
            lines.advance(n);
            text_end = n;
        }
        let raw = text[text_start..text_end].trim_end_matches(['\r', '\n']);
        track.cues.push(Cue {
            id: id.to_string(),
            start: Time::Ms(start),
            end: Time::Ms(end_time),
            text: normalize_newlines(raw),
            ..Default::default()
        });
        pending_id = next_id;
    }
    track
}

/// Writes a track as SRT (UTF-8, LF line endings). Cues are numbered from 1; text in another
/// format's markup is converted to SRT tags; blank lines inside a cue are dropped (they would
/// end the cue).
pub fn write(track: &Track) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(track.cues.len() * 90);
    let convert = track.format != Format::Srt;
    for (i, cue) in track.cues.iter().enumerate() {
        push_padded(&mut out, (i + 1) as u64, 1);
        out.push(b'\n');
        push_hms_ms(&mut out, cue.start_ms(), b',');
        out.extend_from_slice(b" --> ");
        push_hms_ms(&mut out, cue.end_ms(), b',');
        out.push(b'\n');
        let converted;
        let text: &str = if convert {
            converted = crate::markup::to_srt(&crate::markup::parse(track.format, &cue.text));
            &converted
        } else {
            &cue.text
        };
        if text.contains("\n\n") || text.starts_with('\n') || text.ends_with('\n') {
            for l in text.split('\n').filter(|l| !is_blank(l)) {
                out.extend_from_slice(l.as_bytes());
                out.push(b'\n');
            }
        } else if !text.is_empty() {
            out.extend_from_slice(text.as_bytes());
            out.push(b'\n');
        }
        out.push(b'\n');
    }
    // Only whole `&str`s and ASCII were appended, so this cannot fail; fall back just in case.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_lenient() {
        assert_eq!(parse_timestamp(b"00:01:41,04"), Some((101_040, 11)));
        assert_eq!(parse_timestamp(b"00:01:39"), Some((99_000, 8)));
        assert_eq!(parse_timestamp(b"01:02:03.004"), Some((3_723_004, 12)));
        assert_eq!(parse_timestamp(b"02:03,5"), Some((123_500, 7)));
        assert_eq!(parse_timestamp(b"00:61:00,000"), None);
        assert_eq!(parse_timestamp(b"x"), None);
    }

    #[test]
    fn missing_blank_line_and_index() {
        let t = parse(
            "1\r\n00:00:01,000 --> 00:00:02,000\r\nA\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nB\r\n",
        );
        assert_eq!(t.cues.len(), 2);
        assert_eq!(t.cues[0].text, "A");
        assert_eq!(t.cues[1].id, "2");
        assert_eq!(t.cues[1].start_ms(), 3000);
    }

    #[test]
    fn round_trip() {
        let src = "1\n00:00:01,000 --> 00:00:02,500\n<i>Hello</i>\nworld\n\n2\n01:00:00,000 --> 01:00:01,000\nX\n\n";
        let t = parse(src);
        assert_eq!(write(&t), src);
    }
}
