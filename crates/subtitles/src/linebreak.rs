//! Re-breaking subtitle lines at natural boundaries.
//!
//! Latin-script languages break at spaces: the best split fits the line limit, is balanced,
//! prefers to follow punctuation and to precede a conjunction, and avoids leaving an article
//! or preposition at a line end. CJK text breaks between characters but never inside a run
//! of Latin letters or digits; Japanese also follows kinsoku shori (no line starts with
//! closing punctuation or small kana, no line ends with an opening bracket).

use crate::profile::LineBreaking;
use crate::width::{CountMode, length_halves};

/// Characters that may not start a line in Japanese (kinsoku shori, JIS X 4051 line-start
/// prohibited characters) — also applied to Chinese closing punctuation.
pub const NO_LINE_START: &str = "、。，．・：；？！゛゜ヽヾゝゞ々ー）〕］｝〉》」』】〙〗〟’”｠»ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ‐゠–〜…‥,.:;?!)]}%";

/// Characters that may not end a line (opening brackets and quotes).
pub const NO_LINE_END: &str = "（〔［｛〈《「『【〘〖〝‘“｟«([{";

const CONJUNCTIONS: &[&str] = &[
    // en
    "and",
    "but",
    "or",
    "so",
    "because",
    "which",
    "that",
    "who",
    "when",
    "while",
    "if",
    "although",
    "though",
    "until",
    "unless",
    "where", // fr
    "et",
    "mais",
    "ou",
    "donc",
    "car",
    "que",
    "qui",
    "quand",
    "parce", // es
    "y",
    "pero",
    "o",
    "porque",
    "cuando",
    "aunque", // de
    "und",
    "aber",
    "oder",
    "weil",
    "dass",
    "wenn",
    "denn", // ru
    "и",
    "но",
    "или",
    "что",
    "потому",
    "когда",
    "если",
];

const WEAK_LINE_ENDS: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "for", "with", "my", "your", "his", "her",
    "le", "la", "les", "un", "une", "des", "de", "du", "el", "los", "las", "der", "die", "das",
    "ein", "eine",
];

fn is_cjk_breakable(c: char) -> bool {
    // Between characters where either side is not an alphanumeric ASCII run.
    !(c.is_ascii_alphanumeric())
}

/// A candidate split: byte index where line 2 starts and where line 1 ends.
struct Cand {
    end1: usize,
    start2: usize,
}

fn candidates(text: &str, rules: LineBreaking) -> Vec<Cand> {
    let mut out = Vec::new();
    match rules {
        LineBreaking::Latin | LineBreaking::Thai => {
            for (i, c) in text.char_indices() {
                if c == ' ' {
                    out.push(Cand {
                        end1: i,
                        start2: i + 1,
                    });
                }
            }
        }
        LineBreaking::Cjk | LineBreaking::Ja => {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            for k in 1..chars.len() {
                let (i, c) = chars[k];
                let prev = chars[k - 1].1;
                if c == ' ' {
                    out.push(Cand {
                        end1: i,
                        start2: i + 1,
                    });
                    continue;
                }
                if prev == ' ' {
                    continue;
                }
                if !is_cjk_breakable(c) && !is_cjk_breakable(prev) {
                    continue; // inside a Latin word or number
                }
                if NO_LINE_START.contains(c) || NO_LINE_END.contains(prev) {
                    continue; // kinsoku
                }
                out.push(Cand { end1: i, start2: i });
            }
        }
    }
    out
}

fn cost(
    l1: &str,
    l2: &str,
    max_halves: usize,
    mode: CountMode,
    rules: LineBreaking,
) -> Option<i64> {
    let w1 = length_halves(l1, mode);
    let w2 = length_halves(l2, mode);
    if w1 > max_halves || w2 > max_halves || l1.is_empty() || l2.is_empty() {
        return None;
    }
    // Balance in half-character units; bonuses scale with the line limit so that they weigh
    // the same for a 42-character English line and a 13-character Japanese one.
    let max = max_halves as i64;
    let mut c = (w1 as i64 - w2 as i64).abs();
    // Slight preference for a longer bottom line (pyramid shape).
    if w1 > w2 {
        c += 1;
    }
    let last = l1.chars().last().unwrap_or(' ');
    if ",.;:!?、。，；：！？…」』）】".contains(last) {
        c -= max * 6 / 10;
    }
    if matches!(rules, LineBreaking::Latin | LineBreaking::Thai) {
        let first_word = l2
            .split(' ')
            .next()
            .unwrap_or("")
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if CONJUNCTIONS.contains(&first_word.as_str()) {
            c -= max * 3 / 10;
        }
        let last_word = l1.rsplit(' ').next().unwrap_or("").to_lowercase();
        if WEAK_LINE_ENDS.contains(&last_word.as_str()) {
            c += max * 4 / 10;
        }
    }
    Some(c)
}

/// Joins a cue's lines into one run of text (a space between lines for scripts that use
/// spaces; none for CJK unless both sides are Latin).
pub fn unbreak(text: &str, rules: LineBreaking) -> String {
    let mut out = String::new();
    for line in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            let prev = out.chars().last().unwrap_or(' ');
            let next = line.chars().next().unwrap_or(' ');
            let cjk = matches!(rules, LineBreaking::Cjk | LineBreaking::Ja);
            if !cjk || (prev.is_ascii_alphanumeric() && next.is_ascii_alphanumeric()) {
                out.push(' ');
            }
        }
        out.push_str(line);
    }
    out
}

/// Re-breaks `text` into at most `max_lines` lines of at most `max_chars` (in `mode` units:
/// full-width characters for CJK profiles). Returns `None` when no arrangement fits (the
/// caller keeps the text and reports it). A single line is used whenever it fits.
pub fn rebreak(
    text: &str,
    max_chars: f64,
    max_lines: usize,
    mode: CountMode,
    rules: LineBreaking,
) -> Option<String> {
    let max_halves = (max_chars * 2.0).floor().max(0.0) as usize;
    let one = unbreak(text, rules);
    if length_halves(&one, mode) <= max_halves {
        return Some(one);
    }
    if max_lines < 2 {
        return None;
    }
    let cands = candidates(&one, rules);
    let best = cands
        .iter()
        .filter_map(|c| {
            let (l1, l2) = (&one[..c.end1], &one[c.start2..]);
            cost(l1, l2, max_halves, mode, rules).map(|k| (k, c))
        })
        .min_by_key(|(k, _)| *k);
    if let Some((_, c)) = best {
        return Some(format!("{}\n{}", &one[..c.end1], &one[c.start2..]));
    }
    if max_lines < 3 {
        return None;
    }
    // More lines allowed: greedy fill at legal break points.
    let mut lines: Vec<String> = Vec::new();
    let mut rest = one.as_str();
    while length_halves(rest, mode) > max_halves {
        let cs = candidates(rest, rules);
        let c = cs
            .iter()
            .rev()
            .find(|c| length_halves(&rest[..c.end1], mode) <= max_halves)?;
        lines.push(rest[..c.end1].to_string());
        rest = &rest[c.start2..];
        if lines.len() >= max_lines {
            return None;
        }
    }
    lines.push(rest.to_string());
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_balanced_break_after_punctuation() {
        let t = "I told you already, we can't stay here any longer tonight";
        let r = rebreak(t, 42.0, 2, CountMode::Halfwidth, LineBreaking::Latin).expect("fits");
        assert_eq!(
            r,
            "I told you already,\nwe can't stay here any longer tonight"
        );
    }

    #[test]
    fn english_prefers_before_conjunction() {
        let t = "We waited for hours at the station and nobody ever came to get us";
        let r = rebreak(t, 42.0, 2, CountMode::Halfwidth, LineBreaking::Latin).expect("fits");
        assert_eq!(
            r,
            "We waited for hours at the station\nand nobody ever came to get us"
        );
    }

    #[test]
    fn japanese_kinsoku() {
        // 18 full-width characters: must become two lines of ≤ 13, and no line may start
        // with 。 or 」.
        let t = "「今日はとても寒いですね」と彼は言った。";
        let r = rebreak(t, 13.0, 2, CountMode::Fullwidth, LineBreaking::Ja).expect("fits");
        for line in r.split('\n') {
            let first = line.chars().next().expect("non-empty");
            assert!(!NO_LINE_START.contains(first), "{r}");
            assert!(length_halves(line, CountMode::Fullwidth) <= 26, "{r}");
        }
        assert_eq!(r, "「今日はとても寒いですね」\nと彼は言った。");
    }

    #[test]
    fn cjk_never_splits_latin_words() {
        let t = "我们明天去Starbucks喝咖啡然后去看电影吧";
        let r = rebreak(t, 16.0, 2, CountMode::Fullwidth, LineBreaking::Cjk).expect("fits");
        assert!(r.contains("Starbucks"), "{r}");
        assert_eq!(r.split('\n').count(), 2);
    }
}
