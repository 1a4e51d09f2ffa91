//! Display-width-aware text measures for QC: East Asian full-width characters take two
//! columns, combining marks and other zero-width characters none (`unicode-width`), and
//! grapheme clusters (`unicode-segmentation`) are the unit of "characters".

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// Terminal-style display columns of `s`: full-width CJK = 2, most others 1, combining marks 0.
pub fn columns(s: &str) -> usize {
    s.graphemes(true)
        .map(|g| UnicodeWidthStr::width(g).min(2))
        .sum()
}

/// Number of user-perceived characters (extended grapheme clusters).
pub fn graphemes(s: &str) -> usize {
    s.graphemes(true).count()
}

/// How a language counts line length and reading speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountMode {
    /// One per grapheme cluster, except full-width characters count 2 (Latin, Cyrillic, Arabic,
    /// Thai: combining marks count 0).
    Halfwidth,
    /// Full-width characters count 1 and half-width 0.5 (Japanese, Chinese, Korean guides).
    Fullwidth,
}

/// Length of `s` in the profile's unit, in halves (to stay integer): `Halfwidth` counts 2 per
/// column, `Fullwidth` 1 per column (so a full-width character is 2 halves = 1 unit).
pub fn length_halves(s: &str, mode: CountMode) -> usize {
    let c = columns(s);
    match mode {
        CountMode::Halfwidth => c * 2,
        CountMode::Fullwidth => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(columns("abc"), 3);
        assert_eq!(columns("日本語"), 6);
        assert_eq!(columns("e\u{301}"), 1, "combining acute is zero width");
        assert_eq!(columns("ｱｲｳ"), 3, "half-width katakana");
        assert_eq!(
            length_halves("日本語ab", CountMode::Fullwidth),
            8,
            "3 + 2×0.5 = 4 units"
        );
        assert_eq!(
            length_halves("สวัสดี", CountMode::Halfwidth),
            2 * columns("สวัสดี")
        );
        assert_eq!(graphemes("สวัสดี"), 4);
    }
}
