//! Cue editing for a timeline lane: move, retime, split, merge and retype cues. Every
//! operation changes the track in place and returns an [`Edit`] record that undoes it exactly
//! ([`Edit::revert`]) and redoes it ([`Edit::apply`]).
//!
//! An [`Edit`] replaces a contiguous run of cues (`before`) with another (`after`), so it can
//! record changes of cue count (split, merge) and of cue order as well as field changes.
//!
//! Order and overlap policy:
//! * The track is kept sorted by start time: a move or a new start that passes a neighbour's
//!   start re-sorts the edited cue into place (the record covers every cue between the old and
//!   the new position, and [`Edit::focus`] says where the cue went). Cues with equal starts keep
//!   their previous relative order.
//! * Overlaps are allowed, as in Subtitle Edit: a lane can drag a cue over its neighbour.
//!   [`crate::qc::check`] flags them ([`crate::qc::Rule::Overlap`]); [`overlapping`] lists
//!   them for drawing.
//! * A cue must keep a positive duration: retiming a start to or past the end (or an end to or
//!   before the start) and splitting outside a cue are refused with [`SubError::Invalid`].
//!
//! Ids: cues keep their ids through every edit. The second half of a split gets a new id
//! unique in the track (the largest numeric id + 1 when the cue's id is numeric, as in SRT;
//! `"<id>.2"` otherwise; empty stays empty). [`renumber`] sets ids to `1..=n` (SRT writing
//! numbers cues by position anyway).
//!
//! Times: a cue time authored in frames stays in frames when the new time is a whole frame at
//! that rate (a move by a whole number of frames, or a retime to a frame boundary such as
//! [`crate::snap::snap_time`] returns); otherwise it becomes integer milliseconds.

use crate::error::{Result, SubError};
use crate::markup::{self, Node, SpanKind};
use crate::model::{Cue, Format, Time, Track};
use crate::time::{frame_to_ms, ms_to_frame_round};
use unicode_segmentation::UnicodeSegmentation;

/// What an [`Edit`] did (for an undo menu: "Undo split").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EditKind {
    /// [`move_cue`].
    Move,
    /// [`retime_start`].
    RetimeStart,
    /// [`retime_end`].
    RetimeEnd,
    /// [`split_cue`].
    Split,
    /// [`merge_cues`].
    Merge,
    /// [`set_text`].
    SetText,
    /// [`renumber`].
    Renumber,
}

/// One undoable edit: the cues `before` at `index..index + before.len()` were replaced by the
/// cues `after` (at `index..index + after.len()`).
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    /// What the edit did.
    pub kind: EditKind,
    /// Index of the first cue of the replaced run.
    pub index: usize,
    /// The cues of the run before the edit.
    pub before: Vec<Cue>,
    /// The cues of the run after the edit.
    pub after: Vec<Cue>,
    /// Index in the edited track of the cue the edit was about (the moved cue where it landed,
    /// the first half of a split, the merged cue), for the lane's selection.
    pub focus: usize,
}

impl Edit {
    /// Whether the edit changed nothing (e.g. a move by 0 ms).
    pub fn is_noop(&self) -> bool {
        self.before == self.after
    }

    /// Re-applies the edit (redo). The track must hold `before` at `index`; otherwise nothing
    /// changes and [`SubError::Invalid`] is returned.
    pub fn apply(&self, track: &mut Track) -> Result<()> {
        splice_checked(track, self.index, &self.before, &self.after)
    }

    /// Undoes the edit. The track must hold `after` at `index`; otherwise nothing changes and
    /// [`SubError::Invalid`] is returned.
    pub fn revert(&self, track: &mut Track) -> Result<()> {
        splice_checked(track, self.index, &self.after, &self.before)
    }
}

fn splice_checked(track: &mut Track, index: usize, from: &[Cue], to: &[Cue]) -> Result<()> {
    let end = index.checked_add(from.len());
    let matches = end
        .and_then(|e| track.cues.get(index..e))
        .is_some_and(|run| run == from);
    if !matches {
        return Err(SubError::Invalid(format!(
            "edit at cue {index} does not match the track: it was changed since; drop the undo history for this track"
        )));
    }
    track
        .cues
        .splice(index..index + from.len(), to.iter().cloned());
    Ok(())
}

fn cue_index_error(track: &Track, index: usize) -> SubError {
    SubError::Invalid(format!(
        "cue {index} does not exist: the track has {} cues",
        track.cues.len()
    ))
}

fn check_index(track: &Track, index: usize) -> Result<()> {
    if index < track.cues.len() {
        Ok(())
    } else {
        Err(cue_index_error(track, index))
    }
}

/// `ms` in the representation of `old`: frames at `old`'s rate when `ms` is a frame boundary
/// there, else milliseconds.
fn time_like(old: Time, ms: i64) -> Time {
    if let Time::Frames { rate, .. } = old {
        let f = ms_to_frame_round(ms, rate);
        if frame_to_ms(f, rate) == ms {
            return Time::Frames { frame: f, rate };
        }
    }
    Time::Ms(ms)
}

/// `t` shifted by `delta_ms`: exact in frames when the delta is a whole number of frames at
/// `t`'s rate (as a rounded millisecond value).
fn shift(t: Time, delta_ms: i64) -> Time {
    if let Time::Frames { frame, rate } = t {
        let df = ms_to_frame_round(delta_ms, rate);
        if frame_to_ms(df, rate) == delta_ms {
            return Time::Frames {
                frame: frame.saturating_add(df),
                rate,
            };
        }
    }
    Time::Ms(t.ms().saturating_add(delta_ms))
}

/// Replaces cue `index` with `new` and moves it to keep starts ascending (ties keep the old
/// relative order); returns the record.
fn replace_sorted(track: &mut Track, index: usize, new: Cue, kind: EditKind) -> Edit {
    let key = new.start_ms();
    // Position among the other cues, ordered by (start, original index).
    let mut p = 0;
    for (j, c) in track.cues.iter().enumerate() {
        if j == index {
            continue;
        }
        if (c.start_ms(), j) < (key, index) {
            p += 1;
        }
    }
    // Keep the result sorted only relative to the neighbours it passes: the run between the
    // old and the new position.
    let lo = index.min(p);
    let hi = index.max(p);
    let before: Vec<Cue> = track.cues[lo..=hi].to_vec();
    track.cues.remove(index);
    track.cues.insert(p, new);
    let after: Vec<Cue> = track.cues[lo..=hi].to_vec();
    Edit {
        kind,
        index: lo,
        before,
        after,
        focus: p,
    }
}

/// Moves cue `index` by `delta_ms` (start and end together; the duration is kept), re-sorting
/// it among its neighbours if it passes one. Overlaps are allowed (see the module docs).
pub fn move_cue(track: &mut Track, index: usize, delta_ms: i64) -> Result<Edit> {
    check_index(track, index)?;
    let mut new = track.cues[index].clone();
    new.start = shift(new.start, delta_ms);
    new.end = shift(new.end, delta_ms);
    Ok(replace_sorted(track, index, new, EditKind::Move))
}

/// Sets the start of cue `index` to `new_ms` (must be before its end), re-sorting the cue if
/// it passes a neighbour's start.
pub fn retime_start(track: &mut Track, index: usize, new_ms: i64) -> Result<Edit> {
    check_index(track, index)?;
    let mut new = track.cues[index].clone();
    if new_ms >= new.end_ms() {
        return Err(SubError::Invalid(format!(
            "cue {index}: start {new_ms} ms is not before its end {} ms; move the end first",
            new.end_ms()
        )));
    }
    new.start = time_like(new.start, new_ms);
    Ok(replace_sorted(track, index, new, EditKind::RetimeStart))
}

/// Sets the end of cue `index` to `new_ms` (must be after its start).
pub fn retime_end(track: &mut Track, index: usize, new_ms: i64) -> Result<Edit> {
    check_index(track, index)?;
    let cue = &mut track.cues[index];
    if new_ms <= cue.start_ms() {
        return Err(SubError::Invalid(format!(
            "cue {index}: end {new_ms} ms is not after its start {} ms; move the start first",
            cue.start_ms()
        )));
    }
    let before = vec![cue.clone()];
    cue.end = time_like(cue.end, new_ms);
    Ok(Edit {
        kind: EditKind::RetimeEnd,
        index,
        before,
        after: vec![cue.clone()],
        focus: index,
    })
}

/// Replaces the text of cue `index` (in the track's markup, lines separated by `\n`).
pub fn set_text(track: &mut Track, index: usize, text: &str) -> Result<Edit> {
    check_index(track, index)?;
    let cue = &mut track.cues[index];
    let before = vec![cue.clone()];
    cue.text = text.to_string();
    Ok(Edit {
        kind: EditKind::SetText,
        index,
        before,
        after: vec![cue.clone()],
        focus: index,
    })
}

/// Splits cue `index` at `at_ms` (strictly inside the cue) into two cues: the first keeps the
/// id and ends at `at_ms`, the second starts there with a new id (see the module docs) and
/// follows the first (after any overlapping cues that start before `at_ms`).
///
/// The text is split where it reads naturally: at the line break when the cue has several
/// lines (the one nearest the split's proportional position), else at the space nearest the
/// proportional position, else (CJK and other unspaced text) between the user-perceived
/// characters (grapheme clusters) nearest it, preferring a break after punctuation and never
/// inside a run of Latin letters or digits. Markup is kept when the text is plain or one span
/// around plain text (each half gets the span). More complex markup (nested spans, ASS
/// override blocks) is split in the raw text: at a line break when there is one, else at the
/// space outside tags nearest the proportional position (a leading ASS override block such as
/// `{\an8}` is repeated on the second half); only text with neither is split as visible text
/// with its markup dropped.
pub fn split_cue(track: &mut Track, index: usize, at_ms: i64) -> Result<Edit> {
    check_index(track, index)?;
    let cue = &track.cues[index];
    let (s, e) = (cue.start_ms(), cue.end_ms());
    if !(at_ms > s && at_ms < e) {
        return Err(SubError::Invalid(format!(
            "cue {index}: split point {at_ms} ms is not inside the cue ({s}–{e} ms)"
        )));
    }
    let frac = (at_ms - s) as f64 / (e - s) as f64;
    let (t1, t2) = split_text(track.format, &cue.text, frac);
    let mut first = cue.clone();
    let mut second = cue.clone();
    let at = time_like(cue.end, at_ms);
    first.end = at;
    first.text = t1;
    second.start = time_like(cue.start, at_ms);
    second.text = t2;
    second.id = new_id(track, &cue.id);
    // When later cues overlap this one, the second half goes after those starting before it.
    let passed = track.cues[index + 1..]
        .iter()
        .take_while(|c| c.start_ms() <= at_ms)
        .count();
    let before: Vec<Cue> = track.cues[index..=index + passed].to_vec();
    let mut after = Vec::with_capacity(passed + 2);
    after.push(first);
    after.extend_from_slice(&before[1..]);
    after.push(second);
    track
        .cues
        .splice(index..=index + passed, after.iter().cloned());
    Ok(Edit {
        kind: EditKind::Split,
        index,
        before,
        after,
        focus: index,
    })
}

/// Merges cue `index` with the next cue: the merged cue keeps the first cue's id, settings and
/// style, spans both (earliest start to latest end) and joins the texts with a line break.
pub fn merge_cues(track: &mut Track, index: usize) -> Result<Edit> {
    check_index(track, index)?;
    if index + 1 >= track.cues.len() {
        return Err(SubError::Invalid(format!(
            "cue {index} is the last cue: there is no next cue to merge with"
        )));
    }
    let a = &track.cues[index];
    let b = &track.cues[index + 1];
    let mut merged = a.clone();
    if b.start_ms() < a.start_ms() {
        merged.start = b.start;
    }
    if b.end_ms() > a.end_ms() {
        merged.end = b.end;
    }
    let sep = match track.format {
        Format::Ass | Format::Ssa => "\\N",
        _ => "\n",
    };
    merged.text = match (a.text.is_empty(), b.text.is_empty()) {
        (true, _) => b.text.clone(),
        (false, true) => a.text.clone(),
        (false, false) => format!("{}{sep}{}", a.text, b.text),
    };
    let before = vec![a.clone(), b.clone()];
    track
        .cues
        .splice(index..=index + 1, std::iter::once(merged.clone()));
    Ok(Edit {
        kind: EditKind::Merge,
        index,
        before,
        after: vec![merged],
        focus: index,
    })
}

/// Sets every cue id to its 1-based position (`"1"`, `"2"`, …), as SRT numbers cues.
pub fn renumber(track: &mut Track) -> Edit {
    let before = track.cues.clone();
    for (i, c) in track.cues.iter_mut().enumerate() {
        c.id = (i + 1).to_string();
    }
    Edit {
        kind: EditKind::Renumber,
        index: 0,
        before,
        after: track.cues.clone(),
        focus: 0,
    }
}

/// Indices of the cues that overlap cue `index` in time (empty for a bad index).
pub fn overlapping(track: &Track, index: usize) -> Vec<usize> {
    let Some(c) = track.cues.get(index) else {
        return Vec::new();
    };
    let (s, e) = (c.start_ms(), c.end_ms());
    track
        .cues
        .iter()
        .enumerate()
        .filter(|&(j, o)| j != index && o.start_ms() < e && o.end_ms() > s)
        .map(|(j, _)| j)
        .collect()
}

/// A fresh id for the second half of a split of a cue with id `id`.
fn new_id(track: &Track, id: &str) -> String {
    if id.is_empty() {
        return String::new();
    }
    if id.parse::<u64>().is_ok() {
        let max = track
            .cues
            .iter()
            .filter_map(|c| c.id.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        return max.saturating_add(1).to_string();
    }
    let taken = |s: &str| track.cues.iter().any(|c| c.id == s);
    let mut k = 2u64;
    loop {
        let cand = format!("{id}.{k}");
        if !taken(&cand) {
            return cand;
        }
        k += 1;
    }
}

/// Splits cue text (in `format`'s markup) at the proportional position `frac` (0–1).
fn split_text(format: Format, text: &str, frac: f64) -> (String, String) {
    let nodes = markup::parse(format, text);
    let wrap = match nodes.as_slice() {
        [] | [Node::Text(_)] => Some(None),
        [Node::Span(s)]
            if s.kind != SpanKind::Ruby
                && s.kind != SpanKind::RubyText
                && s.children.iter().all(|c| matches!(c, Node::Text(_))) =>
        {
            Some(Some(s))
        }
        _ => None,
    };
    // Override blocks (ASS, and ASS-style blocks in SRT) would be lost by re-rendering.
    let overrides = text.contains('{') && matches!(format, Format::Ass | Format::Ssa | Format::Srt);
    let wrap = if overrides { None } else { wrap };
    let plain = markup::plain_text(&nodes);
    match wrap {
        Some(span) => {
            let (a, b) = split_plain(&plain, frac);
            let render = |t: String| {
                if t.is_empty() {
                    return t;
                }
                let inner = vec![Node::Text(t)];
                let n = match span {
                    Some(s) => vec![Node::Span(markup::Span {
                        children: inner,
                        ..s.clone()
                    })],
                    None => inner,
                };
                markup::render(format, &n)
            };
            (render(a), render(b))
        }
        None => {
            let sep = match format {
                Format::Ass | Format::Ssa => "\\N",
                _ => "\n",
            };
            if text.contains(sep) {
                let parts: Vec<&str> = text.split(sep).collect();
                let k = best_line_break(&parts, frac);
                let mut second = parts[k..].join(sep);
                carry_leading_override(format, text, &mut second);
                (parts[..k].join(sep), second)
            } else if let Some(split) = split_raw_at_space(format, text, frac) {
                split
            } else {
                split_plain(&plain, frac)
            }
        }
    }
}

/// Splits marked-up text at the space outside tags (`<…>`, `{…}`) nearest the proportional
/// position of the visible characters. A leading ASS override block (`{\an8}`, `{\pos(…)}`)
/// is repeated at the start of the second part so both halves keep it.
fn split_raw_at_space(format: Format, text: &str, frac: f64) -> Option<(String, String)> {
    let mut depth_angle = false;
    let mut depth_brace = false;
    let mut visible = 0usize;
    let mut cands: Vec<(usize, usize)> = Vec::new(); // (byte offset, visible index)
    for (off, c) in text.char_indices() {
        match c {
            '<' if !depth_brace => depth_angle = true,
            '>' if depth_angle => depth_angle = false,
            '{' if !depth_angle => depth_brace = true,
            '}' if depth_brace => depth_brace = false,
            _ if depth_angle || depth_brace => {}
            _ => {
                if c.is_whitespace() {
                    cands.push((off, visible));
                }
                visible += 1;
            }
        }
    }
    let target = frac.clamp(0.0, 1.0) * visible as f64;
    let (off, _) = cands
        .into_iter()
        .filter(|&(off, _)| !text[..off].trim().is_empty() && !text[off..].trim().is_empty())
        .min_by(|a, b| {
            (a.1 as f64 + 0.5 - target)
                .abs()
                .total_cmp(&(b.1 as f64 + 0.5 - target).abs())
        })?;
    let first = text[..off].trim_end().to_string();
    let mut second = text[off..].trim_start().to_string();
    carry_leading_override(format, text, &mut second);
    Some((first, second))
}

/// Repeats the leading ASS override block of `text` at the start of `second`.
fn carry_leading_override(format: Format, text: &str, second: &mut String) {
    if matches!(format, Format::Ass | Format::Ssa)
        && text.starts_with('{')
        && let Some(end) = text.find('}')
        && !second.starts_with(&text[..=end])
    {
        second.insert_str(0, &text[..=end]);
    }
}

/// The line index `k` (1..len) to split `lines` before, nearest the proportion `frac` of
/// characters.
fn best_line_break(lines: &[&str], frac: f64) -> usize {
    let lens: Vec<usize> = lines.iter().map(|l| l.graphemes(true).count()).collect();
    let total = lens.iter().sum::<usize>().max(1) as f64;
    let mut best = 1;
    let mut best_cost = f64::INFINITY;
    let mut acc = 0usize;
    for k in 1..lines.len() {
        acc += lens[k - 1];
        let cost = (acc as f64 / total - frac).abs();
        if cost < best_cost {
            best_cost = cost;
            best = k;
        }
    }
    best
}

/// Punctuation after which unspaced (CJK) text splits well.
const CJK_BREAK_AFTER: &str = "，。、！？；：…—,.!?;:）」』】》";

/// Splits plain text (lines separated by `\n`) at the proportional position `frac`.
fn split_plain(plain: &str, frac: f64) -> (String, String) {
    let lines: Vec<&str> = plain.split('\n').collect();
    if lines.len() >= 2 {
        let k = best_line_break(&lines, frac);
        return (lines[..k].join("\n"), lines[k..].join("\n"));
    }
    let g: Vec<(usize, &str)> = plain.grapheme_indices(true).collect();
    let n = g.len();
    if n < 2 {
        return (plain.to_string(), String::new());
    }
    let target = frac.clamp(0.0, 1.0) * n as f64;
    let is_space = |s: &str| s.chars().all(char::is_whitespace);
    // Word boundaries: spaces with non-space text on both sides.
    let first_word = g.iter().position(|(_, s)| !is_space(s));
    let last_word = g.iter().rposition(|(_, s)| !is_space(s));
    let spaces: Vec<usize> = (0..n)
        .filter(|&i| {
            is_space(g[i].1)
                && first_word.is_some_and(|f| f < i)
                && last_word.is_some_and(|l| l > i)
        })
        .collect();
    if let Some(&i) = spaces.iter().min_by(|&&a, &&b| {
        (a as f64 + 0.5 - target)
            .abs()
            .total_cmp(&(b as f64 + 0.5 - target).abs())
    }) {
        let at = g[i].0;
        return (
            plain[..at].trim_end().to_string(),
            plain[at..].trim_start().to_string(),
        );
    }
    // Unspaced text: between graphemes (k = number of graphemes in the first part).
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    let mut best = 1;
    let mut best_cost = f64::INFINITY;
    for k in 1..n {
        let mut cost = (k as f64 - target).abs();
        if g[k - 1].1.chars().all(|c| CJK_BREAK_AFTER.contains(c)) {
            cost -= 2.0;
        }
        if g[k].1.chars().all(|c| CJK_BREAK_AFTER.contains(c)) {
            cost += 100.0; // never start the second part with punctuation
        }
        if alnum(g[k - 1].1) && alnum(g[k].1) {
            cost += 50.0;
        }
        if cost < best_cost {
            best_cost = cost;
            best = k;
        }
    }
    let at = g[best].0;
    (plain[..at].to_string(), plain[at..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::FrameRate;

    fn track() -> Track {
        let mut t = Track::new(Format::Srt);
        t.cues = vec![
            Cue::new("1", 1000, 2000, "One"),
            Cue::new("2", 3000, 4000, "Two words"),
            Cue::new("3", 5000, 6000, "Three"),
        ];
        t
    }

    fn undo_redo(t: &mut Track, orig: &Track, e: &Edit) {
        let edited = t.clone();
        e.revert(t).expect("revert");
        assert_eq!(t, orig);
        e.apply(t).expect("apply");
        assert_eq!(*t, edited);
        assert!(e.apply(t).is_err() || e.is_noop(), "stale apply refused");
    }

    #[test]
    fn move_keeps_order_and_undoes() {
        let mut t = track();
        let orig = t.clone();
        let e = move_cue(&mut t, 1, 200).expect("move");
        assert_eq!((t.cues[1].start_ms(), t.cues[1].end_ms()), (3200, 4200));
        assert_eq!(e.focus, 1);
        undo_redo(&mut t, &orig, &e);
        // Past the third cue: re-sorted, ids kept.
        let mut t = track();
        let e = move_cue(&mut t, 0, 4500).expect("move");
        let ids: Vec<&str> = t.cues.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["2", "3", "1"]);
        assert_eq!((e.index, e.focus), (0, 2));
        assert_eq!(t.cues[2].start_ms(), 5500);
        assert_eq!(overlapping(&t, 2), vec![1]);
        undo_redo(&mut t, &orig, &e);
        // Backwards.
        let mut t = track();
        let e = move_cue(&mut t, 2, -4500).expect("move");
        let ids: Vec<&str> = t.cues.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["3", "1", "2"]);
        assert_eq!(e.focus, 0);
        undo_redo(&mut t, &orig, &e);
        assert!(move_cue(&mut t, 9, 1).is_err());
    }

    #[test]
    fn frame_times_stay_frames() {
        let r = FrameRate::FPS_23_976;
        let mut t = Track::new(Format::Srt);
        let mut c = Cue::new("1", 0, 0, "x");
        c.start = Time::Frames { frame: 24, rate: r };
        c.end = Time::Frames { frame: 48, rate: r };
        t.cues.push(c);
        let one_frame = frame_to_ms(1, r);
        move_cue(&mut t, 0, one_frame).expect("move");
        assert_eq!(t.cues[0].start, Time::Frames { frame: 25, rate: r });
        assert_eq!(t.cues[0].end, Time::Frames { frame: 49, rate: r });
        retime_end(&mut t, 0, frame_to_ms(60, r)).expect("end");
        assert_eq!(t.cues[0].end, Time::Frames { frame: 60, rate: r });
        retime_start(&mut t, 0, 1234).expect("start");
        assert_eq!(t.cues[0].start, Time::Ms(1234));
    }

    #[test]
    fn retime_validates_and_resorts() {
        let mut t = track();
        let orig = t.clone();
        assert!(retime_start(&mut t, 0, 2000).is_err());
        assert!(retime_end(&mut t, 0, 1000).is_err());
        assert_eq!(t, orig);
        let e = retime_end(&mut t, 0, 2500).expect("end");
        assert_eq!(t.cues[0].end_ms(), 2500);
        undo_redo(&mut t, &orig, &e);
        let mut t = track();
        let e = retime_start(&mut t, 2, 2500).expect("start");
        assert_eq!(t.cues[1].id, "3");
        assert_eq!(e.focus, 1);
        undo_redo(&mut t, &orig, &e);
    }

    #[test]
    fn split_two_lines_at_the_break() {
        let mut t = Track::new(Format::Srt);
        t.cues
            .push(Cue::new("7", 0, 4000, "Walk towards me,\nnice and slow."));
        let orig = t.clone();
        let e = split_cue(&mut t, 0, 1000).expect("split");
        assert_eq!(t.cues[0].text, "Walk towards me,");
        assert_eq!(t.cues[1].text, "nice and slow.");
        assert_eq!((t.cues[0].end_ms(), t.cues[1].start_ms()), (1000, 1000));
        assert_eq!((t.cues[0].id.as_str(), t.cues[1].id.as_str()), ("7", "8"));
        undo_redo(&mut t, &orig, &e);
        assert!(split_cue(&mut t, 0, 4000).is_err());
        assert!(split_cue(&mut t, 0, 0).is_err());
    }

    #[test]
    fn split_one_line_at_nearest_word() {
        let (a, b) = split_plain("Now turn to your left and wave", 0.5);
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("Now turn to your", "left and wave")
        );
        let (a, b) = split_plain("Now turn to your left and wave", 0.1);
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("Now", "turn to your left and wave")
        );
        let (a, b) = split_plain("Hello", 0.5);
        assert_eq!(a.len() + b.len(), 5, "a single word splits between letters");
        // Markup around everything is kept on both halves.
        let (a, b) = split_text(Format::Srt, "<i>slowly turn around</i>", 0.6);
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("<i>slowly turn</i>", "<i>around</i>")
        );
    }

    #[test]
    fn split_cjk_by_graphemes() {
        // Prefers the break after the comma near the middle.
        let (a, b) = split_plain("现在向左转，然后挥手", 0.5);
        assert_eq!((a.as_str(), b.as_str()), ("现在向左转，", "然后挥手"));
        let (a, b) = split_plain("慢慢朝我走过来", 0.6);
        assert_eq!(a.chars().count(), 4, "{a}|{b}");
        // Never inside a grapheme: e + combining acute, flags, family emoji.
        let s = "e\u{301}e\u{301}e\u{301}🇨🇳🇨🇳👨‍👩‍👧";
        for k in 0..=10 {
            let (a, b) = split_plain(s, k as f64 / 10.0);
            assert_eq!(format!("{a}{b}"), s);
            assert!(!b.starts_with('\u{301}') && !b.starts_with('\u{200D}'));
            assert_eq!(a.graphemes(true).count() + b.graphemes(true).count(), 6);
        }
        // Latin runs inside CJK are not cut.
        let (a, b) = split_plain("我们用GPS定位", 0.45);
        assert!(a.ends_with("GPS") || b.starts_with("GPS"), "{a}|{b}");
    }

    #[test]
    fn split_keeps_complex_markup() {
        let (a, b) = split_text(
            Format::Ass,
            "{\\an8}Turn to {\\i1}your{\\i0} left now",
            0.35,
        );
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("{\\an8}Turn to", "{\\an8}{\\i1}your{\\i0} left now")
        );
        let (a, b) = split_text(Format::Ass, "{\\pos(10,20)}Wave\\Nnow", 0.5);
        assert_eq!(
            (a.as_str(), b.as_str()),
            ("{\\pos(10,20)}Wave", "{\\pos(10,20)}now")
        );
        let (a, b) = split_text(Format::Srt, "<i>Turn</i> <b>and wave</b>", 0.2);
        assert_eq!((a.as_str(), b.as_str()), ("<i>Turn</i>", "<b>and wave</b>"));
    }

    #[test]
    fn merge_joins_with_newline() {
        let mut t = track();
        let orig = t.clone();
        let e = merge_cues(&mut t, 1).expect("merge");
        assert_eq!(t.cues.len(), 2);
        assert_eq!(t.cues[1].text, "Two words\nThree");
        assert_eq!((t.cues[1].start_ms(), t.cues[1].end_ms()), (3000, 6000));
        assert_eq!(t.cues[1].id, "2");
        undo_redo(&mut t, &orig, &e);
        assert!(merge_cues(&mut t, 2).is_err());
        let mut a = Track::new(Format::Ass);
        a.cues = vec![Cue::new("", 0, 1, "a"), Cue::new("", 1, 2, "b")];
        merge_cues(&mut a, 0).expect("merge");
        assert_eq!(a.cues[0].text, "a\\Nb");
    }

    #[test]
    fn split_then_merge_round_trips_text() {
        let mut t = track();
        split_cue(&mut t, 1, 3500).expect("split");
        assert_eq!(t.cues[1].text, "Two");
        assert_eq!(t.cues[2].text, "words");
        assert_eq!(t.cues[2].id, "4");
        merge_cues(&mut t, 1).expect("merge");
        assert_eq!(t.cues[1].text, "Two\nwords");
    }

    proptest::proptest! {
        /// Any sequence of edits undone in reverse order gives back the original track, and
        /// the track stays sorted by start.
        #[test]
        fn edits_undo_exactly(
            starts in proptest::collection::vec(0i64..20_000, 1..8),
            ops in proptest::collection::vec((0u8..6, 0usize..10, -5_000i64..5_000), 1..12),
        ) {
            let mut sorted = starts.clone();
            sorted.sort_unstable();
            let mut t = Track::new(Format::Srt);
            t.cues = sorted
                .iter()
                .enumerate()
                .map(|(i, &s)| Cue::new((i + 1).to_string(), s, s + 1500, "one two\n三四五"))
                .collect();
            let orig = t.clone();
            let mut done = Vec::new();
            for (op, i, d) in ops {
                let n = t.cues.len();
                let i = i % n;
                let (cs, ce) = (t.cues[i].start_ms(), t.cues[i].end_ms());
                let r = match op {
                    0 => move_cue(&mut t, i, d),
                    1 => retime_start(&mut t, i, cs + d / 10),
                    2 => retime_end(&mut t, i, ce + d / 10),
                    3 => split_cue(&mut t, i, cs + d.rem_euclid(1500)),
                    4 => merge_cues(&mut t, i),
                    _ => set_text(&mut t, i, "x"),
                };
                if let Ok(e) = r {
                    done.push(e);
                }
                proptest::prop_assert!(t.cues.windows(2).all(|w| w[0].start_ms() <= w[1].start_ms()));
            }
            for e in done.iter().rev() {
                proptest::prop_assert!(e.revert(&mut t).is_ok());
            }
            proptest::prop_assert_eq!(&t, &orig);
        }
    }

    #[test]
    fn set_text_and_renumber() {
        let mut t = track();
        let orig = t.clone();
        let e = set_text(&mut t, 0, "Uno").expect("text");
        assert_eq!(t.cues[0].text, "Uno");
        undo_redo(&mut t, &orig, &e);
        let mut t = track();
        split_cue(&mut t, 0, 1500).expect("split");
        let ids: Vec<String> = t.cues.iter().map(|c| c.id.clone()).collect();
        assert_eq!(ids, ["1", "4", "2", "3"]);
        let e = renumber(&mut t);
        let ids: Vec<String> = t.cues.iter().map(|c| c.id.clone()).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        e.revert(&mut t).expect("revert");
        assert_eq!(t.cues[1].id, "4");
        let mut named = Track::new(Format::WebVtt);
        named.cues = vec![Cue::new("intro", 0, 2000, "a b")];
        split_cue(&mut named, 0, 1000).expect("split");
        assert_eq!(named.cues[1].id, "intro.2");
    }
}
