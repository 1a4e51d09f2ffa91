//! Shot changes for snapping and QC, read from an editorial shot list: a CMX3600 EDL (each
//! event's record-in timecode starts a shot) or a plain list with one timecode per line.
//!
//! Timecodes are absolute (as the editor and the capture stage share them); [`shot_changes_ms`]
//! turns them into milliseconds from the take's first frame, given the take's start timecode.

use std::path::Path;

use mocap_data::{FrameRate, Timecode};

use crate::error::{Result, SubError};

fn syntax(path: &Path, line: usize, reason: impl Into<String>) -> SubError {
    SubError::Syntax {
        file: path.display().to_string(),
        line,
        reason: reason.into(),
    }
}

fn looks_like_timecode(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().enumerate().all(|(i, c)| {
            if i % 3 == 2 {
                b":;.,".contains(c)
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Reads shot starts from `text`: CMX3600 EDL events (`001  AX  V  C  SRC_IN SRC_OUT REC_IN
/// REC_OUT`, record-in taken) or lines holding one timecode. `TITLE:`/`FCM:` headers, `*`
/// comments and blank lines are skipped. `nominal_fps` is the timecode base (30 for 29.97;
/// `;` marks drop-frame). Returns the timecodes sorted, without duplicates. `path` names the
/// file in errors.
pub fn parse_shot_list(text: &str, nominal_fps: u32, path: &Path) -> Result<Vec<Timecode>> {
    let mut out: Vec<Timecode> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        let upper = line.to_ascii_uppercase();
        if line.is_empty()
            || line.starts_with('*')
            || upper.starts_with("TITLE:")
            || upper.starts_with("FCM:")
            || upper.starts_with("M2")
        {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let tc_text = if fields.len() == 1 && looks_like_timecode(fields[0]) {
            fields[0]
        } else if fields
            .first()
            .is_some_and(|f| f.chars().all(|c| c.is_ascii_digit()))
        {
            // An EDL event: the last four fields are source in/out and record in/out.
            let tcs: Vec<&str> = fields
                .iter()
                .copied()
                .filter(|f| looks_like_timecode(f))
                .collect();
            if tcs.len() != 4 {
                return Err(syntax(
                    path,
                    line_no,
                    format!(
                        "EDL event `{line}` has {} timecodes, expected 4 (source in/out, record in/out)",
                        tcs.len()
                    ),
                ));
            }
            tcs[2]
        } else {
            return Err(syntax(
                path,
                line_no,
                format!(
                    "`{line}` is neither a CMX3600 EDL event nor a timecode (HH:MM:SS:FF); \
                     comment it out with `*`"
                ),
            ));
        };
        let tc = Timecode::parse(tc_text, nominal_fps)
            .map_err(|e| syntax(path, line_no, format!("timecode `{tc_text}`: {e}")))?;
        out.push(tc);
    }
    out.sort_by_key(Timecode::to_frame_count);
    out.dedup_by_key(|t| t.to_frame_count());
    Ok(out)
}

/// Shot changes in milliseconds from the take's first frame (whose timecode is `start`), at the
/// take's real `rate` (29.97 for a nominal-30 drop-frame count); changes before the take are
/// dropped.
pub fn shot_changes_ms(shots: &[Timecode], start: Timecode, rate: FrameRate) -> Vec<i64> {
    let s = start.to_frame_count();
    shots
        .iter()
        .map(|t| t.to_frame_count() - s)
        .filter(|f| *f >= 0)
        .map(|f| rate.frames_to_ms(f))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::TimecodeFormat;

    const EDL: &str = "TITLE: SC012 EDIT\r\nFCM: NON-DROP FRAME\r\n\r\n\
001  AX       V     C        01:00:00:00 01:00:04:00 10:00:00:00 10:00:04:00\r\n\
* FROM CLIP NAME: A001_C003\r\n\
002  AX       V     C        02:10:00:12 02:10:03:00 10:00:04:00 10:00:06:12\r\n\
003  AX       V     C        03:00:00:00 03:00:01:00 10:00:06:12 10:00:07:12\r\n";

    #[test]
    fn edl_record_ins_become_shot_changes() {
        let p = Path::new("sc012.edl");
        let shots = parse_shot_list(EDL, 30, p).expect("parse");
        let text: Vec<String> = shots.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["10:00:00:00", "10:00:04:00", "10:00:06:12"]);
        let start = Timecode::parse("10:00:00:00", 30).expect("tc");
        let ms = shot_changes_ms(&shots, start, FrameRate::FPS_30);
        assert_eq!(ms, [0, 4000, 6400]);
        // A take that starts later drops the earlier cut.
        let start =
            Timecode::from_frame_count(start.to_frame_count() + 30, TimecodeFormat::ndf(30));
        assert_eq!(
            shot_changes_ms(&shots, start, FrameRate::FPS_30),
            [3000, 5400]
        );
    }

    #[test]
    fn plain_lists_and_errors_with_line_numbers() {
        let p = Path::new("shots.txt");
        let shots = parse_shot_list("* cuts\n00:00:02:00\n00:00:01:00\n00:00:02:00\n", 25, p)
            .expect("parse");
        assert_eq!(shots.len(), 2, "sorted, duplicates removed");
        assert_eq!(shots[0].to_string(), "00:00:01:00");
        let e = parse_shot_list("00:00:01:00\nhello\n", 25, p).expect_err("bad line");
        assert!(e.to_string().starts_with("shots.txt line 2: "), "{e}");
        let e = parse_shot_list("001 AX V C 01:00:00:00 01:00:01:00\n", 25, p).expect_err("short");
        assert!(e.to_string().starts_with("shots.txt line 1: "), "{e}");
        assert!(
            parse_shot_list("00:00:01:30\n", 25, p).is_err(),
            "frame 30 at 25 fps"
        );
    }
}
