//! Quality control that fixes: checks a track against a language [`Profile`] and repairs
//! what it can. Every change is a [`Fix`] record (cue, field, before, after, rule) that can be
//! re-applied with [`apply`] or undone with [`revert`], so a UI can show and undo each one.
//!
//! Times are judged on the frame grid of the given rate: gaps and windows are counted in
//! frames, durations in milliseconds, reading speed in characters per second (the profile's
//! counting unit: full-width characters for CJK, where half-width counts 0.5).

use crate::linebreak;
use crate::markup::{self, Node, SpanKind};
use crate::model::{Cue, Format, Time, Track};
use crate::profile::Profile;
use crate::time::{frame_to_ms, ms_to_frame_round};
use crate::width::length_halves;
use mocap_data::FrameRate;

/// The QC rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Characters per second above the profile's reading speed.
    ReadingSpeed,
    /// A line longer than the profile allows.
    LineLength,
    /// More lines than the profile allows.
    LineCount,
    /// A Japanese line break against kinsoku shori (a line starting with closing
    /// punctuation or small kana, or ending with an opening bracket).
    Kinsoku,
    /// Shorter than the minimum duration.
    MinDuration,
    /// Longer than the maximum duration.
    MaxDuration,
    /// Overlaps the next cue.
    Overlap,
    /// Closer to the next cue than the minimum gap.
    MinGap,
    /// A small gap that should be closed to the minimum gap (chaining).
    ChainGap,
    /// A start or end near, but not on, a shot change.
    ShotChange,
    /// A time that is not on the frame grid.
    FrameSnap,
    /// End not after start.
    NonPositiveDuration,
    /// Timing copied from a master track ([`crate::align::copy_timings`]).
    MasterTiming,
    /// Start snapped to a speech onset ([`crate::align::snap_to_onsets`]).
    SpeechOnset,
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Issue {
    /// Index of the cue in the track (0-based).
    pub cue_index: usize,
    /// The cue's id.
    pub cue_id: String,
    /// The rule broken.
    pub rule: Rule,
    /// Human-readable description with the measured value and the limit.
    pub message: String,
    /// The measured value (unit per rule: cps, characters, lines, ms, frames).
    pub value: f64,
    /// The limit (same unit as `value`).
    pub limit: f64,
}

/// The cue field a fix changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Start time.
    Start,
    /// End time.
    End,
    /// Text.
    Text,
}

/// A field value before or after a fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A time (exact).
    Time(Time),
    /// Cue text.
    Text(String),
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Time(t) => s.serialize_i64(t.ms()),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

/// One change made by a fixer. `before`/`after` serialise as milliseconds for times.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fix {
    /// Index of the cue in the track (0-based).
    pub cue_index: usize,
    /// The cue's id.
    pub cue_id: String,
    /// The field changed.
    pub field: Field,
    /// The value before the fix.
    pub before: Value,
    /// The value after the fix.
    pub after: Value,
    /// The rule that asked for it.
    pub rule: Rule,
}

/// What to check against.
#[derive(Debug, Clone)]
pub struct QcOptions {
    /// The language's limits.
    pub profile: Profile,
    /// The programme's frame rate.
    pub rate: FrameRate,
    /// Use the children's reading speed.
    pub children: bool,
    /// Shot changes, as frame numbers at `rate`, sorted ascending.
    pub shot_changes: Vec<i64>,
}

/// The outcome of [`check_and_fix`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct QcReport {
    /// Issues found before fixing.
    pub issues: Vec<Issue>,
    /// Fixes made, in order.
    pub fixes: Vec<Fix>,
    /// Issues still present after fixing (need a human).
    pub remaining: Vec<Issue>,
}

struct Limits {
    max_halves: usize,
    max_chars: f64,
    max_lines: usize,
    cps: f64,
    min_dur_ms: i64,
    max_dur_ms: i64,
    min_dur_f: i64,
    max_dur_f: i64,
    min_gap: i64,
    chain_gap: i64,
    window: i64,
}

fn limits(o: &QcOptions) -> Limits {
    let p = &o.profile;
    let r = o.rate;
    let min_dur_ms = (p.min_duration_ms.value.round() as i64).clamp(0, 1 << 40);
    let max_dur_ms = (p.max_duration_ms.value.round() as i64).clamp(0, 1 << 40);
    // Frames needed to reach a duration: ceil(ms · num / (1000 · den)).
    let ceil_f = |ms: i64| -> i64 {
        let n = ms as i128 * r.num() as i128;
        let d = 1000 * r.den() as i128;
        ((n + d - 1) / d) as i64
    };
    let floor_f =
        |ms: i64| -> i64 { (ms as i128 * r.num() as i128 / (1000 * r.den() as i128)) as i64 };
    Limits {
        max_halves: (p.max_chars_per_line.value * 2.0).floor() as usize,
        max_chars: p.max_chars_per_line.value,
        max_lines: p.max_lines.value.round().max(1.0) as usize,
        cps: if o.children {
            p.reading_speed_children_cps.value
        } else {
            p.reading_speed_adult_cps.value
        },
        min_dur_ms,
        max_dur_ms,
        min_dur_f: ceil_f(min_dur_ms).clamp(0, 1 << 40),
        max_dur_f: floor_f(max_dur_ms).clamp(0, 1 << 40),
        min_gap: (p.min_gap_frames.value.round() as i64).clamp(0, 1 << 40),
        chain_gap: (p.chain_gap_frames.value.round() as i64).clamp(0, 1 << 40),
        window: (p.shot_change_window_frames.value.round() as i64).clamp(0, 1 << 40),
    }
}

/// Whether a line break in `lines` breaks the kinsoku rules (profiles with Japanese breaking).
fn kinsoku_violation(lines: &[&str], o: &QcOptions) -> bool {
    o.profile.line_breaking == crate::profile::LineBreaking::Ja
        && lines.windows(2).any(|w| {
            w[1].chars()
                .next()
                .is_some_and(|c| linebreak::NO_LINE_START.contains(c))
                || w[0]
                    .chars()
                    .last()
                    .is_some_and(|c| linebreak::NO_LINE_END.contains(c))
        })
}

/// The visible text of a cue (markup removed, ruby annotations left out).
fn visible(track: &Track, text: &str) -> String {
    markup::plain_text(&markup::parse(track.format, text))
}

/// Characters of a cue text in the profile's unit (line breaks not counted), in halves.
fn char_halves(o: &QcOptions, plain: &str) -> usize {
    plain
        .split('\n')
        .map(|l| length_halves(l, o.profile.count_mode))
        .sum()
}

/// Frame numbers are clamped to ±2^52 inside QC (about 2.4 million years at 60 fps), so sums
/// and differences of a few of them can never overflow, whatever the input file holds.
const FRAME_LIMIT: i64 = 1 << 52;

fn frames(t: Time, rate: FrameRate) -> i64 {
    t.frame_at(rate).clamp(-FRAME_LIMIT, FRAME_LIMIT)
}

/// Shot changes clamped like cue frames, sorted.
fn shots(o: &QcOptions) -> Vec<i64> {
    let mut v: Vec<i64> = o
        .shot_changes
        .iter()
        .map(|f| (*f).clamp(-FRAME_LIMIT, FRAME_LIMIT))
        .collect();
    v.sort_unstable();
    v
}

/// Checks a track without changing it.
pub fn check(track: &Track, o: &QcOptions) -> Vec<Issue> {
    let l = limits(o);
    let shot_list = shots(o);
    let r = o.rate;
    let mut out = Vec::new();
    for (i, c) in track.cues.iter().enumerate() {
        let mut push = |rule: Rule, message: String, value: f64, limit: f64| {
            out.push(Issue {
                cue_index: i,
                cue_id: c.id.clone(),
                rule,
                message,
                value,
                limit,
            })
        };
        let dur = timing_issues(c, &l, r, &mut push);
        text_issues(track, c, o, &l, dur, &mut push);
        spacing_issues(track, i, &l, r, &shot_list, &mut push);
    }
    out
}

/// Where [`check`]'s helpers report an issue of the cue: rule, message, value, limit.
type Push<'a> = &'a mut dyn FnMut(Rule, String, f64, f64);

/// Duration limits and the frame grid; returns the cue's duration (ms).
fn timing_issues(c: &Cue, l: &Limits, r: FrameRate, push: Push<'_>) -> i64 {
    let (s_ms, e_ms) = (c.start_ms(), c.end_ms());
    let dur = e_ms.saturating_sub(s_ms);
    if dur <= 0 {
        push(
            Rule::NonPositiveDuration,
            format!("ends {} ms before it starts", dur.saturating_neg()),
            dur as f64,
            0.0,
        );
    } else {
        if dur < l.min_dur_ms {
            push(
                Rule::MinDuration,
                format!("lasts {dur} ms, minimum {} ms", l.min_dur_ms),
                dur as f64,
                l.min_dur_ms as f64,
            );
        }
        if dur > l.max_dur_ms {
            push(
                Rule::MaxDuration,
                format!("lasts {dur} ms, maximum {} ms", l.max_dur_ms),
                dur as f64,
                l.max_dur_ms as f64,
            );
        }
    }
    for (what, t) in [("start", c.start), ("end", c.end)] {
        let on_grid = match t {
            Time::Frames { rate, .. } if rate == r => true,
            other => frame_to_ms(ms_to_frame_round(other.ms(), r), r) == other.ms(),
        };
        if !on_grid {
            push(
                Rule::FrameSnap,
                format!("{what} {} ms is not on the {r} fps frame grid", t.ms()),
                t.ms() as f64,
                0.0,
            );
        }
    }
    dur
}

/// Line breaking (kinsoku), line count and length, reading speed (`dur` in ms).
fn text_issues(track: &Track, c: &Cue, o: &QcOptions, l: &Limits, dur: i64, push: Push<'_>) {
    let plain = visible(track, &c.text);
    let lines: Vec<&str> = plain.split('\n').collect();
    if kinsoku_violation(&lines, o) {
        push(
            Rule::Kinsoku,
            "a line starts with closing punctuation or small kana, or ends with an opening bracket"
                .to_string(),
            0.0,
            0.0,
        );
    }
    if lines.len() > l.max_lines {
        push(
            Rule::LineCount,
            format!("{} lines, maximum {}", lines.len(), l.max_lines),
            lines.len() as f64,
            l.max_lines as f64,
        );
    }
    for line in &lines {
        let h = length_halves(line, o.profile.count_mode);
        if h > l.max_halves {
            push(
                Rule::LineLength,
                format!(
                    "line {line:?} is {} characters, maximum {}",
                    h as f64 / 2.0,
                    l.max_chars
                ),
                h as f64 / 2.0,
                l.max_chars,
            );
        }
    }
    if dur > 0 {
        let chars = char_halves(o, &plain) as f64 / 2.0;
        let cps = chars * 1000.0 / dur as f64;
        if cps > l.cps + 1e-9 {
            push(
                Rule::ReadingSpeed,
                format!(
                    "{cps:.1} characters/s ({chars} characters in {dur} ms), maximum {}",
                    l.cps
                ),
                cps,
                l.cps,
            );
        }
    }
}

/// Gap to the next cue and distance to shot changes of cue `i`.
fn spacing_issues(
    track: &Track,
    i: usize,
    l: &Limits,
    r: FrameRate,
    shot_list: &[i64],
    push: Push<'_>,
) {
    let c = &track.cues[i];
    let n = track.cues.len();
    let (sf, ef) = (frames(c.start, r), frames(c.end, r));
    if i + 1 < n {
        let next = &track.cues[i + 1];
        let nf = frames(next.start, r);
        let gap = nf.saturating_sub(ef);
        if gap < 0 {
            push(
                Rule::Overlap,
                format!("overlaps the next cue by {} frames", -gap),
                gap as f64,
                0.0,
            );
        } else if gap < l.min_gap {
            push(
                Rule::MinGap,
                format!("{gap} frames before the next cue, minimum {}", l.min_gap),
                gap as f64,
                l.min_gap as f64,
            );
        } else if gap > l.min_gap && gap <= l.chain_gap {
            push(
                Rule::ChainGap,
                format!(
                    "{gap}-frame gap to the next cue should be closed to {} frames",
                    l.min_gap
                ),
                gap as f64,
                l.min_gap as f64,
            );
        }
    }
    if let Some(sc) = nearest(shot_list, sf)
        && sc != sf
        && (sc - sf).abs() <= l.window
    {
        push(
            Rule::ShotChange,
            format!(
                "starts {} frames from the shot change at frame {sc}",
                sf - sc
            ),
            (sf - sc) as f64,
            0.0,
        );
    }
    if let Some(sc) = nearest(shot_list, ef) {
        let target = sc - l.min_gap;
        if ef != target && ef != sc && (sc - ef).abs() <= l.window && target > sf {
            push(
                Rule::ShotChange,
                format!(
                    "ends {} frames from the shot change at frame {sc}; end {} frames before it",
                    ef - sc,
                    l.min_gap
                ),
                (ef - sc) as f64,
                -(l.min_gap as f64),
            );
        }
    }
}

fn nearest(sorted: &[i64], f: i64) -> Option<i64> {
    let i = sorted.partition_point(|&x| x < f);
    let a = i.checked_sub(1).and_then(|k| sorted.get(k)).copied();
    let b = sorted.get(i).copied();
    match (a, b) {
        (Some(a), Some(b)) => Some(if f - a <= b - f { a } else { b }),
        (a, b) => a.or(b),
    }
}

pub(crate) struct Fixer<'a> {
    pub(crate) track: &'a mut Track,
    pub(crate) rate: FrameRate,
    pub(crate) fixes: Vec<Fix>,
}

impl Fixer<'_> {
    pub(crate) fn set_time(&mut self, i: usize, field: Field, frame: i64, rule: Rule) {
        let rate = self.rate;
        let cue = &mut self.track.cues[i];
        let slot = if field == Field::Start {
            &mut cue.start
        } else {
            &mut cue.end
        };
        let new = Time::Frames { frame, rate };
        if slot.ms() == new.ms() && slot.frame_at(rate) == frame {
            // Same moment: only normalise the representation when it is already exact.
            if matches!(slot, Time::Frames { .. }) {
                return;
            }
        }
        if *slot == new {
            return;
        }
        let before = *slot;
        *slot = new;
        self.fixes.push(Fix {
            cue_index: i,
            cue_id: cue.id.clone(),
            field,
            before: Value::Time(before),
            after: Value::Time(new),
            rule,
        });
    }

    pub(crate) fn sf(&self, i: usize) -> i64 {
        frames(self.track.cues[i].start, self.rate)
    }

    pub(crate) fn ef(&self, i: usize) -> i64 {
        frames(self.track.cues[i].end, self.rate)
    }
}

/// Re-breaks a cue's text to the profile when it breaks the line length or count rules.
/// Markup is kept when the cue is plain text or one span around everything; otherwise the
/// cue is left for a human.
fn rebreak_text(track: &Track, text: &str, o: &QcOptions, l: &Limits) -> Option<String> {
    // ASS override blocks (also found in SRT files) would be lost by re-rendering: leave
    // such cues for a human.
    if text.contains('{') && matches!(track.format, Format::Ass | Format::Ssa | Format::Srt) {
        return None;
    }
    let nodes = markup::parse(track.format, text);
    let plain = markup::plain_text(&nodes);
    let lines: Vec<&str> = plain.split('\n').collect();
    let bad = lines.len() > l.max_lines
        || kinsoku_violation(&lines, o)
        || lines
            .iter()
            .any(|x| length_halves(x, o.profile.count_mode) > l.max_halves);
    if !bad {
        return None;
    }
    let wrap: Option<&crate::markup::Span> = match nodes.as_slice() {
        [Node::Text(_)] | [] => None,
        [Node::Span(s)]
            if s.kind != SpanKind::Ruby
                && s.children.iter().all(|c| matches!(c, Node::Text(_))) =>
        {
            Some(s)
        }
        _ => return None,
    };
    let new_plain = linebreak::rebreak(
        &plain,
        l.max_chars,
        l.max_lines,
        o.profile.count_mode,
        o.profile.line_breaking,
    )?;
    let new_nodes = vec![Node::Text(new_plain)];
    let new_nodes = match wrap {
        Some(s) => vec![Node::Span(crate::markup::Span {
            children: new_nodes,
            ..s.clone()
        })],
        None => new_nodes,
    };
    let rendered = markup::render(track.format, &new_nodes);
    (rendered != text).then_some(rendered)
}

/// Fixes what can be fixed, in this order: snap to frames, re-break lines, shot changes,
/// overlaps, chaining small gaps, minimum gaps, then durations and reading speed (extending
/// into free time only, never creating an overlap or breaking the minimum gap). Returns the
/// fixes made; the track is changed in place.
pub fn fix(track: &mut Track, o: &QcOptions) -> Vec<Fix> {
    let l = limits(o);
    let shot_list = shots(o);
    let rate = o.rate;
    let mut fx = Fixer {
        track,
        rate,
        fixes: Vec::new(),
    };
    let n = fx.track.cues.len();
    // 1. Snap to the frame grid.
    for i in 0..n {
        for field in [Field::Start, Field::End] {
            let t = if field == Field::Start {
                fx.track.cues[i].start
            } else {
                fx.track.cues[i].end
            };
            let on_grid = matches!(t, Time::Frames { rate: r, .. } if r == rate);
            let f = frames(t, rate);
            if !on_grid && frame_to_ms(f, rate) != t.ms() {
                fx.set_time(i, field, f, Rule::FrameSnap);
            }
        }
    }
    // 2. Line breaking.
    for i in 0..n {
        let text = fx.track.cues[i].text.clone();
        if let Some(new) = rebreak_text(fx.track, &text, o, &l) {
            let plain_old = visible(fx.track, &text);
            let old_lines: Vec<&str> = plain_old.split('\n').collect();
            let rule = if old_lines.len() > l.max_lines {
                Rule::LineCount
            } else if old_lines
                .iter()
                .any(|x| length_halves(x, o.profile.count_mode) > l.max_halves)
            {
                Rule::LineLength
            } else {
                Rule::Kinsoku
            };
            fx.track.cues[i].text = new.clone();
            fx.fixes.push(Fix {
                cue_index: i,
                cue_id: fx.track.cues[i].id.clone(),
                field: Field::Text,
                before: Value::Text(text),
                after: Value::Text(new),
                rule,
            });
        }
    }
    // 3. Shot changes: starts move onto a near shot change, ends to min_gap before it.
    if !shot_list.is_empty() {
        for i in 0..n {
            let (sf, ef) = (fx.sf(i), fx.ef(i));
            let prev_end = if i > 0 { Some(fx.ef(i - 1)) } else { None };
            if let Some(sc) = nearest(&shot_list, sf) {
                let ok_prev = prev_end.is_none_or(|pe| sc >= pe + l.min_gap);
                if sc != sf && (sc - sf).abs() <= l.window && sc < ef && ok_prev {
                    fx.set_time(i, Field::Start, sc, Rule::ShotChange);
                }
            }
            let sf = fx.sf(i);
            if let Some(sc) = nearest(&shot_list, ef) {
                let target = sc - l.min_gap;
                if ef != target && ef != sc && (sc - ef).abs() <= l.window && target > sf {
                    fx.set_time(i, Field::End, target, Rule::ShotChange);
                }
            }
        }
    }
    // 4–6. Overlaps, chaining and minimum gaps: adjust the earlier cue's end.
    for i in 0..n.saturating_sub(1) {
        let (sf, ef, nf) = (fx.sf(i), fx.ef(i), fx.sf(i + 1));
        let gap = nf - ef;
        let rule = if gap < 0 {
            Rule::Overlap
        } else if gap < l.min_gap {
            Rule::MinGap
        } else if gap > l.min_gap && gap <= l.chain_gap {
            Rule::ChainGap
        } else {
            continue;
        };
        let target = nf - l.min_gap;
        if target > sf {
            fx.set_time(i, Field::End, target, rule);
        } else if rule != Rule::ChainGap {
            // No room to shorten: push the next cue's start instead, if it stays valid.
            let ns = ef + l.min_gap;
            if ns < fx.ef(i + 1) {
                fx.set_time(i + 1, Field::Start, ns, rule);
            }
        }
    }
    // 7. Durations and reading speed.
    for i in 0..n {
        let (sf, ef) = (fx.sf(i), fx.ef(i));
        if ef - sf > l.max_dur_f {
            fx.set_time(i, Field::End, sf + l.max_dur_f, Rule::MaxDuration);
            continue;
        }
        let plain = visible(fx.track, &fx.track.cues[i].text);
        let chars = char_halves(o, &plain) as f64 / 2.0;
        // Frames needed for the reading speed: ceil(chars / cps · fps).
        let need_rs = if l.cps > 0.0 {
            ((chars / l.cps * rate.num() as f64 / rate.den() as f64 - 1e-9).ceil() as i64)
                .clamp(0, 1 << 40)
        } else {
            0
        };
        let dur = ef - sf;
        let (want, rule) = if dur < l.min_dur_f && l.min_dur_f >= need_rs {
            (l.min_dur_f, Rule::MinDuration)
        } else if dur < need_rs {
            (need_rs.min(l.max_dur_f), Rule::ReadingSpeed)
        } else {
            continue;
        };
        if want <= dur {
            continue;
        }
        // Extend the end into free time, then the start back.
        let limit_end = if i + 1 < n {
            fx.sf(i + 1) - l.min_gap
        } else {
            i64::MAX
        };
        let new_end = (sf + want).min(limit_end).max(ef);
        if new_end > ef {
            fx.set_time(i, Field::End, new_end, rule);
        }
        let still = want - (new_end - sf);
        if still > 0 {
            let limit_start = if i > 0 { fx.ef(i - 1) + l.min_gap } else { 0 };
            let new_start = (sf - still).max(limit_start).min(sf);
            if new_start < sf {
                fx.set_time(i, Field::Start, new_start, rule);
            }
        }
    }
    fx.fixes
}

/// Checks, fixes, and checks again.
pub fn check_and_fix(track: &mut Track, o: &QcOptions) -> QcReport {
    let issues = check(track, o);
    let fixes = fix(track, o);
    let remaining = check(track, o);
    QcReport {
        issues,
        fixes,
        remaining,
    }
}

/// Error from [`apply`] / [`revert`]: the track no longer holds the value a fix expects.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "fix {index} (cue {cue_id:?}, {field:?}) does not match the track: it was edited since; re-run QC"
)]
pub struct FixMismatch {
    /// Index of the fix in the list.
    pub index: usize,
    /// The cue's id.
    pub cue_id: String,
    /// The field.
    pub field: Field,
}

fn set(
    track: &mut Track,
    f: &Fix,
    index: usize,
    from: &Value,
    to: &Value,
) -> Result<(), FixMismatch> {
    let err = || FixMismatch {
        index,
        cue_id: f.cue_id.clone(),
        field: f.field,
    };
    let cue = track.cues.get_mut(f.cue_index).ok_or_else(err)?;
    match (f.field, from, to) {
        (Field::Start, Value::Time(a), Value::Time(b)) if cue.start == *a => cue.start = *b,
        (Field::End, Value::Time(a), Value::Time(b)) if cue.end == *a => cue.end = *b,
        (Field::Text, Value::Text(a), Value::Text(b)) if cue.text == *a => cue.text = b.clone(),
        _ => return Err(err()),
    }
    Ok(())
}

/// Applies fixes in order (each must find its `before` value). On a mismatch, fixes already
/// applied by this call are rolled back and the error returned.
pub fn apply(track: &mut Track, fixes: &[Fix]) -> Result<(), FixMismatch> {
    for (k, f) in fixes.iter().enumerate() {
        if let Err(e) = set(track, f, k, &f.before, &f.after) {
            for (j, g) in fixes[..k].iter().enumerate().rev() {
                let _ = set(track, g, j, &g.after, &g.before);
            }
            return Err(e);
        }
    }
    Ok(())
}

/// Undoes fixes (in reverse order; each must find its `after` value). On a mismatch, fixes
/// already undone by this call are re-applied and the error returned.
pub fn revert(track: &mut Track, fixes: &[Fix]) -> Result<(), FixMismatch> {
    for (k, f) in fixes.iter().enumerate().rev() {
        if let Err(e) = set(track, f, k, &f.after, &f.before) {
            for (j, g) in fixes.iter().enumerate().skip(k + 1) {
                let _ = set(track, g, j, &g.before, &g.after);
            }
            return Err(e);
        }
    }
    Ok(())
}
