//! Text decoding: BOM detection (UTF-8/16/32), legacy encodings via `encoding_rs`, detection by
//! validity and by `chardetng` heuristics, and encoding back to bytes.

use crate::error::{Result, SubError};
use std::borrow::Cow;

/// A text encoding this crate can read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8.
    Utf8,
    /// UTF-16 little endian.
    Utf16Le,
    /// UTF-16 big endian.
    Utf16Be,
    /// UTF-32 little endian (decoded here; `encoding_rs` has no UTF-32).
    Utf32Le,
    /// UTF-32 big endian.
    Utf32Be,
    /// A legacy single- or multi-byte encoding known to `encoding_rs` (Windows-1252, GBK,
    /// GB18030, Big5, Shift_JIS, EUC-KR, …).
    Legacy(&'static encoding_rs::Encoding),
}

impl TextEncoding {
    /// The encoding's canonical name (`UTF-8`, `UTF-16LE`, `UTF-32BE`, `windows-1252`, `GBK`, …).
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Utf32Le => "UTF-32LE",
            TextEncoding::Utf32Be => "UTF-32BE",
            TextEncoding::Legacy(e) => e.name(),
        }
    }

    /// Looks an encoding up by a WHATWG label (`utf-8`, `cp1252`, `gb18030`, `big5`, `sjis`, …)
    /// or `utf-32le` / `utf-32be`.
    pub fn from_label(label: &str) -> Option<Self> {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "utf-32le" | "utf32le" | "utf-32" | "utf32" => return Some(TextEncoding::Utf32Le),
            "utf-32be" | "utf32be" => return Some(TextEncoding::Utf32Be),
            "utf8" => return Some(TextEncoding::Utf8),
            "utf16le" | "utf-16" | "utf16" => return Some(TextEncoding::Utf16Le),
            "utf16be" => return Some(TextEncoding::Utf16Be),
            "cp932" | "sjis" | "shiftjis" => {
                return Some(TextEncoding::Legacy(encoding_rs::SHIFT_JIS));
            }
            "cp936" => return Some(TextEncoding::Legacy(encoding_rs::GBK)),
            "cp950" | "big5-hkscs" => return Some(TextEncoding::Legacy(encoding_rs::BIG5)),
            _ => {}
        }
        let e = encoding_rs::Encoding::for_label(l.as_bytes())?;
        Some(if e == encoding_rs::UTF_8 {
            TextEncoding::Utf8
        } else if e == encoding_rs::UTF_16LE {
            TextEncoding::Utf16Le
        } else if e == encoding_rs::UTF_16BE {
            TextEncoding::Utf16Be
        } else {
            TextEncoding::Legacy(e)
        })
    }
}

/// Decoded text and how it was decoded.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    /// The text, without any byte order mark. Borrowed when the input was BOM-less UTF-8.
    pub text: Cow<'a, str>,
    /// The encoding used.
    pub encoding: TextEncoding,
    /// Whether a byte order mark was present.
    pub had_bom: bool,
}

/// The encoding announced by a byte order mark, and the mark's length in bytes.
pub fn bom(bytes: &[u8]) -> Option<(TextEncoding, usize)> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some((TextEncoding::Utf32Le, 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some((TextEncoding::Utf32Be, 4)),
        [0xEF, 0xBB, 0xBF, ..] => Some((TextEncoding::Utf8, 3)),
        [0xFF, 0xFE, ..] => Some((TextEncoding::Utf16Le, 2)),
        [0xFE, 0xFF, ..] => Some((TextEncoding::Utf16Be, 2)),
        _ => None,
    }
}

/// Decodes `bytes`: with `explicit`, in that encoding (a BOM still wins, as browsers do);
/// otherwise by BOM, then as UTF-8 when valid, then BOM-less UTF-16/32 by NUL patterns, then by
/// the `chardetng` heuristic. Malformed sequences become U+FFFD; never fails for detection.
pub fn decode(bytes: &[u8], explicit: Option<TextEncoding>) -> Decoded<'_> {
    if let Some((enc, len)) = bom(bytes) {
        return Decoded {
            text: decode_as(&bytes[len..], enc),
            encoding: enc,
            had_bom: true,
        };
    }
    if explicit.is_none() || explicit == Some(TextEncoding::Utf8) {
        // The common case, validated once: BOM-less UTF-8 without NUL bytes (NULs may mean
        // BOM-less UTF-16/32, which `detect` checks).
        if let Ok(s) = std::str::from_utf8(bytes)
            && (explicit.is_some() || memchr::memchr(0, bytes).is_none())
        {
            return Decoded {
                text: Cow::Borrowed(s),
                encoding: TextEncoding::Utf8,
                had_bom: false,
            };
        }
    }
    let enc = explicit.unwrap_or_else(|| detect(bytes));
    Decoded {
        text: decode_as(bytes, enc),
        encoding: enc,
        had_bom: false,
    }
}

/// Like [`decode`] with an encoding label; errors when the label is unknown.
pub fn decode_with_label<'a>(bytes: &'a [u8], label: Option<&str>) -> Result<Decoded<'a>> {
    let explicit = match label {
        Some(l) => Some(TextEncoding::from_label(l).ok_or_else(|| SubError::Decode {
            encoding: l.to_string(),
            reason: "unknown encoding label".to_string(),
        })?),
        None => None,
    };
    Ok(decode(bytes, explicit))
}

/// Guesses the encoding of BOM-less bytes.
pub fn detect(bytes: &[u8]) -> TextEncoding {
    // BOM-less UTF-32/16: ASCII-heavy text has NUL bytes in fixed positions (and is valid
    // UTF-8 too, so this check comes first).
    if bytes.len() >= 8 && memchr::memchr(0, bytes).is_some() {
        let sample = &bytes[..bytes.len().min(4096)];
        let mut zeros = [0usize; 4];
        for (i, b) in sample.iter().enumerate() {
            if *b == 0 {
                zeros[i % 4] += 1;
            }
        }
        let quarter = sample.len() / 4;
        let high = |n: usize| n * 10 >= quarter * 7;
        if sample.len().is_multiple_of(4) && high(zeros[1]) && high(zeros[2]) && high(zeros[3]) {
            return TextEncoding::Utf32Le;
        }
        if sample.len().is_multiple_of(4) && high(zeros[0]) && high(zeros[1]) && high(zeros[2]) {
            return TextEncoding::Utf32Be;
        }
        let half = sample.len() / 2;
        let odd = zeros[1] + zeros[3];
        let even = zeros[0] + zeros[2];
        if odd * 10 >= half * 6 && even * 10 < half {
            return TextEncoding::Utf16Le;
        }
        if even * 10 >= half * 6 && odd * 10 < half {
            return TextEncoding::Utf16Be;
        }
    }
    if std::str::from_utf8(bytes).is_ok() {
        return TextEncoding::Utf8;
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(bytes, true);
    let e = det.guess(None, true);
    if e == encoding_rs::UTF_8 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Legacy(e)
    }
}

fn decode_as(bytes: &[u8], enc: TextEncoding) -> Cow<'_, str> {
    match enc {
        TextEncoding::Utf8 => String::from_utf8_lossy(bytes),
        TextEncoding::Utf16Le => encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0,
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE.decode_without_bom_handling(bytes).0,
        TextEncoding::Utf32Le | TextEncoding::Utf32Be => {
            let le = enc == TextEncoding::Utf32Le;
            let mut s = String::with_capacity(bytes.len() / 4);
            for ch in bytes.chunks(4) {
                let c = if ch.len() < 4 {
                    '\u{FFFD}'
                } else {
                    let a = [ch[0], ch[1], ch[2], ch[3]];
                    let v = if le {
                        u32::from_le_bytes(a)
                    } else {
                        u32::from_be_bytes(a)
                    };
                    char::from_u32(v).unwrap_or('\u{FFFD}')
                };
                s.push(c);
            }
            Cow::Owned(s)
        }
        TextEncoding::Legacy(e) => e.decode_without_bom_handling(bytes).0,
    }
}

/// Encodes `text` in `enc`, with a BOM when `with_bom` (ignored for legacy encodings).
/// Errors when a character cannot be represented in a legacy encoding.
pub fn encode(text: &str, enc: TextEncoding, with_bom: bool) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() + 4);
    match enc {
        TextEncoding::Utf8 => {
            if with_bom {
                out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            out.extend_from_slice(text.as_bytes());
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let le = enc == TextEncoding::Utf16Le;
            let mut push = |u: u16| {
                if le {
                    out.extend_from_slice(&u.to_le_bytes())
                } else {
                    out.extend_from_slice(&u.to_be_bytes())
                }
            };
            if with_bom {
                push(0xFEFF);
            }
            for u in text.encode_utf16() {
                push(u);
            }
        }
        TextEncoding::Utf32Le | TextEncoding::Utf32Be => {
            let le = enc == TextEncoding::Utf32Le;
            let iter = with_bom
                .then_some('\u{FEFF}')
                .into_iter()
                .chain(text.chars());
            for c in iter {
                let v = c as u32;
                out.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
            }
        }
        TextEncoding::Legacy(e) => {
            let (bytes, _, had_errors) = e.encode(text);
            if had_errors {
                return Err(SubError::Decode {
                    encoding: e.name().to_string(),
                    reason: "the text has characters this encoding cannot represent; write UTF-8 instead".to_string(),
                });
            }
            out.extend_from_slice(&bytes);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf32_round_trip_with_bom() {
        for enc in [
            TextEncoding::Utf32Le,
            TextEncoding::Utf32Be,
            TextEncoding::Utf16Be,
        ] {
            let bytes = encode("héllo 日本 😀", enc, true).expect("encodable");
            let d = decode(&bytes, None);
            assert_eq!(d.encoding, enc);
            assert!(d.had_bom);
            assert_eq!(d.text, "héllo 日本 😀");
        }
    }

    #[test]
    fn bomless_utf16_and_legacy_detection() {
        let bytes = encode(
            "1\n00:00:01,000 --> 00:00:02,000\nHello there\n",
            TextEncoding::Utf16Le,
            false,
        )
        .expect("encodable");
        assert_eq!(detect(&bytes), TextEncoding::Utf16Le);
        let (sjis, _, _) = encoding_rs::SHIFT_JIS
            .encode("こんにちは、世界。今日はいい天気ですね。字幕のテストです。");
        let d = decode(&sjis, None);
        assert_eq!(d.encoding.name(), "Shift_JIS");
        assert!(d.text.contains("字幕"));
    }

    #[test]
    fn legacy_chinese_and_western_detection() {
        let cases = [
            (
                encoding_rs::GBK,
                "我们明天去看电影吧。这部电影的字幕是简体中文的，翻译得很好。",
                &["GBK", "gb18030"][..],
            ),
            (
                encoding_rs::BIG5,
                "我們明天去看電影吧。這部電影的字幕是繁體中文的，翻譯得很好。",
                &["Big5"][..],
            ),
            (
                encoding_rs::WINDOWS_1252,
                "Où est la bibliothèque ? Je ne sais pas, peut-être à côté du café. Très bien, merci beaucoup.",
                &["windows-1252"][..],
            ),
        ];
        for (enc, text, names) in cases {
            let (bytes, _, errors) = enc.encode(text);
            assert!(!errors);
            let d = decode(&bytes, None);
            assert!(
                names.contains(&d.encoding.name()),
                "{} detected as {}",
                enc.name(),
                d.encoding.name()
            );
            assert_eq!(d.text, text);
            // Explicit labels work too.
            let e = decode_with_label(&bytes, Some(enc.name())).expect("known label");
            assert_eq!(e.text, text);
        }
        assert!(decode_with_label(b"x", Some("no-such-encoding")).is_err());
    }
}
