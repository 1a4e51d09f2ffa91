//! Which language a subtitle track is in, and which script its text is written in: from the file
//! name's BCP-47 tag (`scene.zh-Hans.srt`), else the track's own language field, else guessed from
//! the text's script. The studio uses it to label tracks and pick fonts; `mocap subs` to name
//! languages.

use std::path::Path;

use crate::Track;

/// The language of a subtitle file: the last dot-separated part of its stem when it looks like
/// a BCP-47 tag (`demo.zh-Hans.srt` → `zh-Hans`), else the track's own language, else guessed
/// from the script of the text ([`guess_language`]).
pub fn language_for(path: &Path, track: &Track) -> String {
    let from_name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.rsplit_once('.').map(|(_, tag)| tag.to_string()))
        .filter(|tag| looks_like_tag(tag));
    from_name
        .or_else(|| track.language.clone().filter(|l| !l.trim().is_empty()))
        .unwrap_or_else(|| {
            let text: String = track.cues.iter().map(|c| c.text.as_str()).collect();
            guess_language(&text).to_string()
        })
}

fn looks_like_tag(tag: &str) -> bool {
    let mut parts = tag.split(['-', '_']);
    let primary = parts.next().unwrap_or("");
    (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The writing systems the overlay picks a font for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Latin, Cyrillic, Greek and anything else Noto Sans covers.
    Latin,
    /// Chinese characters (Han) without kana or hangul.
    Han,
    /// Japanese (kana present).
    Japanese,
    /// Korean (hangul present).
    Hangul,
    /// Arabic (right to left).
    Arabic,
    /// Hebrew (right to left).
    Hebrew,
    /// Thai.
    Thai,
}

/// The dominant script of `text`: kana → Japanese, hangul → Korean, then Arabic, Hebrew,
/// Thai, Han by first occurrence; Latin when none.
pub fn script_of(text: &str) -> Script {
    let mut han = false;
    for c in text.chars() {
        match c as u32 {
            0x3040..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9D => return Script::Japanese,
            0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => return Script::Hangul,
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x08A0..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => return Script::Arabic,
            0x0590..=0x05FF | 0xFB1D..=0xFB4F => return Script::Hebrew,
            0x0E00..=0x0E7F => return Script::Thai,
            0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF => han = true,
            _ => {}
        }
    }
    if han { Script::Han } else { Script::Latin }
}

/// A language tag for text whose file gave none.
pub fn guess_language(text: &str) -> &'static str {
    match script_of(text) {
        Script::Latin => "und",
        Script::Han => "zh-Hans",
        Script::Japanese => "ja",
        Script::Hangul => "ko",
        Script::Arabic => "ar",
        Script::Hebrew => "he",
        Script::Thai => "th",
    }
}
