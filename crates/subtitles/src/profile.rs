//! Per-language QC profiles, stored as data files (`profiles/*.json`, embedded at build time)
//! with a source for every figure.

use crate::error::{Result, SubError};
use crate::width::CountMode;

/// A number with the place it comes from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figure {
    /// The value (unit given by the field name).
    pub value: f64,
    /// Where the value comes from; says so when unsure.
    pub source: String,
}

/// How lines are broken for a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineBreaking {
    /// Break at spaces; prefer after punctuation and before conjunctions.
    Latin,
    /// Break between characters (no spaces); avoid splitting Latin words and numbers.
    Cjk,
    /// As `Cjk` plus Japanese kinsoku rules (no line starts with 、。」 etc.).
    Ja,
    /// Thai: break at spaces only (no dictionary word segmentation here).
    Thai,
}

/// A language's timing and layout limits.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Profile {
    /// BCP-47 tag the profile is for.
    pub language: String,
    /// English name of the language.
    pub name: String,
    /// How characters are counted.
    pub count_mode: CountMode,
    /// Maximum characters per line (in the count mode's unit).
    pub max_chars_per_line: Figure,
    /// Maximum reading speed for adult programmes, characters per second.
    pub reading_speed_adult_cps: Figure,
    /// Maximum reading speed for children's programmes, characters per second.
    pub reading_speed_children_cps: Figure,
    /// Line-breaking rules.
    pub line_breaking: LineBreaking,
    /// Maximum lines per cue.
    pub max_lines: Figure,
    /// Minimum cue duration, milliseconds.
    pub min_duration_ms: Figure,
    /// Maximum cue duration, milliseconds.
    pub max_duration_ms: Figure,
    /// Minimum gap between consecutive cues, frames.
    pub min_gap_frames: Figure,
    /// Gaps up to this many frames are closed to the minimum gap (chaining), frames.
    pub chain_gap_frames: Figure,
    /// Cue starts/ends this close to a shot change are moved to it, frames.
    pub shot_change_window_frames: Figure,
}

const FILES: [(&str, &str); 11] = [
    ("en", include_str!("../profiles/en.json")),
    ("ja", include_str!("../profiles/ja.json")),
    ("ko", include_str!("../profiles/ko.json")),
    ("zh-Hans", include_str!("../profiles/zh-Hans.json")),
    ("zh-Hant", include_str!("../profiles/zh-Hant.json")),
    ("ar", include_str!("../profiles/ar.json")),
    ("es", include_str!("../profiles/es.json")),
    ("fr", include_str!("../profiles/fr.json")),
    ("de", include_str!("../profiles/de.json")),
    ("ru", include_str!("../profiles/ru.json")),
    ("th", include_str!("../profiles/th.json")),
];

/// Tags of the built-in profiles.
pub fn available() -> Vec<&'static str> {
    FILES.iter().map(|(t, _)| *t).collect()
}

/// The profile file key for a BCP-47 tag: exact match, script/region mapping for Chinese
/// (`zh-CN`/`zh-SG`/`zh` → `zh-Hans`, `zh-TW`/`zh-HK`/`zh-MO` → `zh-Hant`), else the primary
/// language subtag (`en-GB` → `en`).
fn key_for(tag: &str) -> Option<&'static str> {
    let lower = tag.trim().replace('_', "-").to_ascii_lowercase();
    if let Some((k, _)) = FILES.iter().find(|(k, _)| k.to_ascii_lowercase() == lower) {
        return Some(k);
    }
    let mut parts = lower.split('-');
    let primary = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    if primary == "zh" || primary == "cmn" || primary == "yue" {
        let trad = rest
            .iter()
            .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"))
            || primary == "yue";
        return Some(if trad { "zh-Hant" } else { "zh-Hans" });
    }
    FILES.iter().find(|(k, _)| *k == primary).map(|(k, _)| *k)
}

/// The built-in profile for a BCP-47 tag.
pub fn for_language(tag: &str) -> Result<Profile> {
    let key = key_for(tag).ok_or_else(|| {
        SubError::Profile(format!(
            "no QC profile for language {tag:?}; available: {} (add crates/subtitles/profiles/<tag>.json)",
            available().join(", ")
        ))
    })?;
    let text = FILES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, t)| *t)
        .unwrap_or_default();
    from_json(text, &format!("profiles/{key}.json"))
}

/// Parses a profile from JSON (`name` is used in error messages).
pub fn from_json(text: &str, name: &str) -> Result<Profile> {
    serde_json::from_str(text)
        .map_err(|e| SubError::Profile(format!("{name} line {}: {e}; fix the JSON", e.line())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_profiles_load_and_have_sources() {
        for tag in available() {
            let p = for_language(tag).expect("embedded profile parses");
            assert_eq!(p.language, tag);
            for f in [
                &p.max_chars_per_line,
                &p.reading_speed_adult_cps,
                &p.min_duration_ms,
            ] {
                assert!(f.value > 0.0 && !f.source.is_empty(), "{tag}");
            }
        }
        assert_eq!(
            for_language("en-US").expect("en").max_chars_per_line.value,
            42.0
        );
        assert_eq!(for_language("zh-TW").expect("zh").language, "zh-Hant");
        assert_eq!(for_language("zh-CN").expect("zh").language, "zh-Hans");
        assert_eq!(
            for_language("ja").expect("ja").max_chars_per_line.value,
            13.0
        );
        assert!(for_language("xx").is_err());
    }
}
