//! ASS (v4+) and SSA (v4) reader and writer. Script info, styles, other sections (fonts,
//! graphics, project data) and every event field are kept, and event text is stored raw, so
//! override tags (`{\pos(…)\fad(…)\k20}`, drawings, karaoke) survive a round trip.

use crate::model::{AssEvent, AssHeader, Cue, Format, Time, Track};

const DEFAULT_EVENT_FORMAT: &str =
    "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";
const DEFAULT_STYLE_FORMAT: &str = "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding";
const DEFAULT_STYLE: &str = "Default,Arial,20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1";
const SSA_EVENT_FORMAT: &str =
    "Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";
const SSA_STYLE_FORMAT: &str = "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding";
const SSA_DEFAULT_STYLE: &str = "Default,Arial,20,16777215,255,0,0,0,0,1,2,2,2,10,10,10,0,1";

fn split_format(s: &str) -> Vec<String> {
    s.split(',').map(|f| f.trim().to_string()).collect()
}

/// Splits `s` into at most `n` comma-separated fields (the last keeps its commas).
fn split_n(s: &str, n: usize) -> Vec<&str> {
    s.splitn(n.max(1), ',').collect()
}

/// Parses an ASS time `H:MM:SS.cc` (lenient: any digit counts, `.` or `:` before the
/// fraction, fraction of any length) into milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut parts = s.split(':');
    let h: i64 = parts.next()?.trim().parse().ok()?;
    let m: i64 = parts.next()?.trim().parse().ok()?;
    let sec_part = parts.next()?;
    let (sec, frac) = match sec_part.split_once('.') {
        Some((a, b)) => (a, b),
        None => match parts.next() {
            Some(f) => (sec_part, f),
            None => (sec_part, ""),
        },
    };
    let sec: i64 = sec.trim().parse().ok()?;
    let frac = frac.trim();
    let frac_ms: i64 = if frac.is_empty() {
        0
    } else {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let f3: String = frac.chars().chain(std::iter::repeat('0')).take(3).collect();
        f3.parse().ok()?
    };
    if h < 0 || m < 0 || sec < 0 {
        return None;
    }
    let ms = h
        .checked_mul(3_600_000)?
        .checked_add(m.checked_mul(60_000)?)?
        .checked_add(sec.checked_mul(1000)?)?
        .checked_add(frac_ms)?;
    Some(if neg { -ms } else { ms })
}

/// Formats milliseconds as `H:MM:SS.cc` (rounded to the nearest centisecond; negative → 0).
pub fn format_time(ms: i64) -> String {
    let cs = (ms.max(0) + 5) / 10;
    format!(
        "{}:{:02}:{:02}.{:02}",
        cs / 360_000,
        (cs / 6000) % 60,
        (cs / 100) % 60,
        cs % 100
    )
}

/// Parses ASS/SSA text. Never fails: malformed lines are skipped.
pub fn parse(text: &str) -> Track {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut header = AssHeader::default();
    let mut track = Track::new(Format::Ass);
    let mut section = String::new();
    let mut event_format: Vec<String> = Vec::new();
    for raw in crate::text::Lines::new(text) {
        let line = raw.trim_start_matches('\u{FEFF}');
        let trimmed = line.trim();
        if trimmed.starts_with('[') && trimmed.ends_with(']') {
            section = trimmed[1..trimmed.len() - 1].to_string();
            let lower = section.to_ascii_lowercase();
            if lower == "v4 styles" {
                track.format = Format::Ssa;
            }
            if lower.ends_with("styles") {
                header.styles_section = section.clone();
            } else if lower != "script info" && lower != "events" {
                header.other_sections.push((section.clone(), Vec::new()));
            }
            continue;
        }
        let lower = section.to_ascii_lowercase();
        match lower.as_str() {
            "script info" => {
                if trimmed.is_empty() {
                    continue;
                }
                if let Some(c) = trimmed.strip_prefix(';') {
                    header.script_info.push((";".into(), c.to_string()));
                } else if let Some((k, v)) = trimmed.split_once(':') {
                    let (k, v) = (k.trim(), v.trim());
                    if k.eq_ignore_ascii_case("ScriptType") && v.eq_ignore_ascii_case("v4.00") {
                        track.format = Format::Ssa;
                    }
                    if k.eq_ignore_ascii_case("Language") && !v.is_empty() {
                        track.language = Some(v.to_string());
                    }
                    header.script_info.push((k.to_string(), v.to_string()));
                }
            }
            s if s.ends_with("styles") => {
                if let Some(f) = trimmed.strip_prefix("Format:") {
                    header.style_format = split_format(f);
                } else if let Some(st) = trimmed.strip_prefix("Style:") {
                    let n = if header.style_format.is_empty() {
                        usize::MAX
                    } else {
                        header.style_format.len()
                    };
                    header
                        .styles
                        .push(st.splitn(n, ',').map(|f| f.trim().to_string()).collect());
                }
            }
            "events" => {
                if let Some(f) = trimmed.strip_prefix("Format:") {
                    event_format = split_format(f);
                    header.event_format = event_format.clone();
                    continue;
                }
                let Some((kind, rest)) = line.split_once(':') else {
                    continue;
                };
                let kind = kind.trim();
                if kind == "Comment" {
                    header.comments.push(line.to_string());
                    continue;
                }
                if kind != "Dialogue" {
                    continue;
                }
                if event_format.is_empty() {
                    event_format = split_format(if track.format == Format::Ssa {
                        SSA_EVENT_FORMAT
                    } else {
                        DEFAULT_EVENT_FORMAT
                    });
                }
                let rest = rest.strip_prefix(' ').unwrap_or(rest);
                let fields = split_n(rest, event_format.len());
                if fields.len() < event_format.len() {
                    continue;
                }
                let mut cue = Cue::default();
                let mut ev = AssEvent {
                    kind: kind.to_string(),
                    fields: Vec::new(),
                };
                let mut ok = (false, false);
                for (name, value) in event_format.iter().zip(fields) {
                    match name.to_ascii_lowercase().as_str() {
                        "start" => {
                            if let Some(ms) = parse_time(value) {
                                cue.start = Time::Ms(ms);
                                ok.0 = true;
                            }
                        }
                        "end" => {
                            if let Some(ms) = parse_time(value) {
                                cue.end = Time::Ms(ms);
                                ok.1 = true;
                            }
                        }
                        "style" => cue.style = Some(value.trim().to_string()),
                        "text" => cue.text = value.to_string(),
                        _ => ev.fields.push((name.clone(), value.trim().to_string())),
                    }
                }
                if !(ok.0 && ok.1) {
                    continue;
                }
                cue.ass = Some(Box::new(ev));
                track.cues.push(cue);
            }
            _ => {
                if let Some((_, lines)) = header.other_sections.last_mut()
                    && !trimmed.is_empty()
                {
                    lines.push(line.to_string());
                }
            }
        }
    }
    track.ass = Some(Box::new(header));
    track
}

/// Writes a track as ASS v4+ (`ssa` false) or SSA v4. Kept headers are written back; a
/// `Default` style is added when the track has none.
pub fn write(track: &Track, ssa: bool) -> String {
    let mut out = String::with_capacity(track.cues.len() * 100 + 1024);
    let empty = AssHeader::default();
    let h: &AssHeader = track.ass.as_deref().unwrap_or(&empty);
    out.push_str("[Script Info]\n");
    let mut have_type = false;
    let mut have_lang = false;
    for (k, v) in &h.script_info {
        if k == ";" {
            out.push_str(&format!(";{v}\n"));
            continue;
        }
        if k.eq_ignore_ascii_case("ScriptType") {
            have_type = true;
            out.push_str(&format!(
                "ScriptType: {}\n",
                if ssa { "v4.00" } else { "v4.00+" }
            ));
            continue;
        }
        if k.eq_ignore_ascii_case("Language") {
            have_lang = true;
        }
        out.push_str(&format!("{k}: {v}\n"));
    }
    if !have_type {
        out.push_str(if ssa {
            "ScriptType: v4.00\n"
        } else {
            "ScriptType: v4.00+\n"
        });
    }
    if !have_lang && let Some(l) = &track.language {
        out.push_str(&format!("Language: {l}\n"));
    }
    if h.script_info.is_empty() {
        out.push_str("WrapStyle: 0\nScaledBorderAndShadow: yes\nPlayResX: 1920\nPlayResY: 1080\n");
    }
    out.push('\n');
    let same_kind = (track.format == Format::Ssa) == ssa;
    out.push_str(if ssa {
        "[V4 Styles]\n"
    } else {
        "[V4+ Styles]\n"
    });
    if !h.styles.is_empty() && same_kind && !h.style_format.is_empty() {
        out.push_str(&format!("Format: {}\n", h.style_format.join(", ")));
        for s in &h.styles {
            out.push_str(&format!("Style: {}\n", s.join(",")));
        }
    } else {
        out.push_str(&format!(
            "Format: {}\nStyle: {}\n",
            if ssa {
                SSA_STYLE_FORMAT
            } else {
                DEFAULT_STYLE_FORMAT
            },
            if ssa {
                SSA_DEFAULT_STYLE
            } else {
                DEFAULT_STYLE
            }
        ));
    }
    out.push('\n');
    out.push_str("[Events]\n");
    let fmt: Vec<String> = if !h.event_format.is_empty() && same_kind {
        h.event_format.clone()
    } else {
        split_format(if ssa {
            SSA_EVENT_FORMAT
        } else {
            DEFAULT_EVENT_FORMAT
        })
    };
    out.push_str(&format!("Format: {}\n", fmt.join(", ")));
    if same_kind {
        for c in &h.comments {
            out.push_str(c);
            out.push('\n');
        }
    }
    let convert = !matches!(track.format, Format::Ass | Format::Ssa);
    for cue in &track.cues {
        let kind = cue.ass.as_ref().map_or("Dialogue", |e| e.kind.as_str());
        out.push_str(kind);
        out.push_str(": ");
        let text = if convert {
            crate::markup::to_ass(&crate::markup::parse(track.format, &cue.text))
        } else {
            cue.text.replace('\n', "\\N")
        };
        let vals: Vec<String> = fmt
            .iter()
            .map(|name| match name.to_ascii_lowercase().as_str() {
                "start" => format_time(cue.start_ms()),
                "end" => format_time(cue.end_ms()),
                "style" => cue.style.clone().unwrap_or_else(|| "Default".into()),
                "text" => text.clone(),
                other => cue
                    .ass
                    .as_ref()
                    .and_then(|e| e.fields.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                    .map(|(_, v)| v.replace(',', ";"))
                    .unwrap_or_else(|| match other {
                        "layer" | "marked" => "0".into(),
                        "marginl" | "marginr" | "marginv" => "0".into(),
                        _ => String::new(),
                    }),
            })
            .collect();
        out.push_str(&vals.join(","));
        out.push('\n');
    }
    for (name, lines) in &h.other_sections {
        out.push_str(&format!("\n[{name}]\n"));
        for l in lines {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("0:00:01.50"), Some(1500));
        assert_eq!(parse_time("1:02:03.04"), Some(3_723_040));
        assert_eq!(parse_time("0:00:01.5"), Some(1500));
        assert_eq!(parse_time("garbage"), None);
        assert_eq!(format_time(3_723_040), "1:02:03.04");
        assert_eq!(format_time(1234), "0:00:01.23");
    }

    #[test]
    fn override_tags_survive_round_trip() {
        let src = "[Script Info]\nScriptType: v4.00+\nPlayResX: 640\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nComment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,note\nDialogue: 1,0:00:01.00,0:00:02.50,Default,Bob,0,0,0,,{\\pos(10,20)\\k20}Hi, {\\i1}you{\\i0}\\Nthere\n";
        let t = parse(src);
        assert_eq!(t.cues.len(), 1);
        assert_eq!(
            t.cues[0].text,
            "{\\pos(10,20)\\k20}Hi, {\\i1}you{\\i0}\\Nthere"
        );
        assert_eq!((t.cues[0].start_ms(), t.cues[0].end_ms()), (1000, 2500));
        let again = parse(&write(&t, false));
        assert_eq!(again.cues, t.cues);
        assert_eq!(again.ass, t.ass);
    }
}
