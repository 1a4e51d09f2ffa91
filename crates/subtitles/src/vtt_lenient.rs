//! A lenient WebVTT reading for the studio and `mocap subs convert`: cue timings with missing
//! or short fractions (`00:01:39`, `00:01:41.04`, `0:01.5`, a comma for the dot) are repaired
//! to WebVTT timestamps before the strict parser ([`crate::vtt::parse`]) runs, with one warning
//! per repaired cue. A fraction is read as a decimal fraction of a second (`.04` = 40 ms, as
//! go-astisub and SRT readers read it). Timings that no reading explains (minutes or seconds
//! above 59, letters) are left for the strict parser, which drops the cue as the spec says.

use crate::error::Result;
use crate::model::Track;
use std::fmt::Write as _;

/// One cue timing the lenient reading repaired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// 1-based line number of the timing line.
    pub line: usize,
    /// The timing as written (start and end timestamps, without the cue settings).
    pub original: String,
    /// The timing as read (WebVTT timestamps).
    pub repaired: String,
}

impl std::fmt::Display for Repair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: cue timing \"{}\" is not WebVTT (three fraction digits required); read as \"{}\"",
            self.line, self.original, self.repaired
        )
    }
}

/// Whether `tok` is a timestamp the strict parser accepts, whole.
fn strict_ok(tok: &str) -> bool {
    let mut pos = 0;
    crate::vtt::collect_timestamp(tok.as_bytes(), &mut pos).is_some() && pos == tok.len()
}

/// Milliseconds of a lenient timestamp: `[h:]m:s[(.|,)f]`, minutes and seconds of 1–2 digits
/// up to 59, hours any digits, the fraction 0–3 digits.
fn lenient_ms(tok: &str) -> Option<i64> {
    let (clock, frac) = match tok.find(['.', ',']) {
        Some(i) => (&tok[..i], Some(&tok[i + 1..])),
        None => (tok, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let num = |s: &str, max_len: usize| -> Option<i64> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (h, m, s) = match parts.as_slice() {
        [m, s] => (0, num(m, 2)?, num(s, 2)?),
        [h, m, s] => (num(h, 9)?, num(m, 2)?, num(s, 2)?),
        _ => return None,
    };
    if m > 59 || s > 59 {
        return None;
    }
    let ms = match frac {
        None | Some("") => 0,
        Some(f) => num(f, 3)? * 10i64.pow(3 - f.len() as u32),
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

fn format_ms(ms: i64, out: &mut String) {
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let _ = write!(
        out,
        "{h:02}:{:02}:{:02}.{:03}",
        rest / 60_000,
        rest % 60_000 / 1000,
        rest % 1000
    );
}

/// Rewrites the cue timings of `input` that the strict parser would reject but a lenient
/// reading explains; returns the text to parse and the repairs (one per cue).
pub fn repair_timings(input: &str) -> (String, Vec<Repair>) {
    let mut out = String::with_capacity(input.len() + 64);
    let mut repairs = Vec::new();
    for (i, line) in input.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches(['\n', '\r']);
        let eol = &line[body.len()..];
        let Some(arrow) = body.find("-->") else {
            out.push_str(line);
            continue;
        };
        let start = body[..arrow].trim_matches([' ', '\t']);
        let after = body[arrow + 3..].trim_start_matches([' ', '\t']);
        let end_len = after.find([' ', '\t']).unwrap_or(after.len());
        let (end, settings) = after.split_at(end_len);
        if strict_ok(start) && strict_ok(end) {
            out.push_str(line);
            continue;
        }
        let (Some(a), Some(b)) = (lenient_ms(start), lenient_ms(end)) else {
            out.push_str(line);
            continue;
        };
        let mut repaired = String::new();
        format_ms(a, &mut repaired);
        repaired.push_str(" --> ");
        format_ms(b, &mut repaired);
        out.push_str(&repaired);
        out.push_str(settings);
        out.push_str(eol);
        repairs.push(Repair {
            line: i + 1,
            original: format!("{start} --> {end}"),
            repaired,
        });
    }
    (out, repairs)
}

/// Parses WebVTT leniently: [`repair_timings`], then the strict [`crate::vtt::parse`].
pub fn parse_lenient(input: &str) -> Result<(Track, Vec<Repair>)> {
    let (text, repairs) = repair_timings(input);
    Ok((crate::vtt::parse(&text)?, repairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_missing_fractions_are_repaired_once_per_cue() {
        let text = "WEBVTT\n\n00:01 --> 00:02.5 align:start\na\n\n1:02:03,25 --> 1:02:04.125\nb\n\n\
                    00:03.000 --> 00:04.000\nc\n\n00:61.0 --> 00:62.0\nd\n";
        let (t, r) = parse_lenient(text).expect("parse");
        let times: Vec<(i64, i64)> = t.cues.iter().map(|c| (c.start_ms(), c.end_ms())).collect();
        assert_eq!(
            times,
            vec![(1000, 2500), (3_723_250, 3_724_125), (3000, 4000)],
            "seconds above 59 stay invalid and the cue is dropped"
        );
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].line, r[1].line), (3, 6));
        assert_eq!(r[0].repaired, "00:00:01.000 --> 00:00:02.500");
        assert!(
            r[0].to_string().contains("\"00:01 --> 00:02.5\""),
            "{}",
            r[0]
        );
        let s = t.cues[0].settings.as_deref().expect("settings kept");
        assert_eq!(s.align, crate::model::Align::Start);
    }
}
