#![no_main]
//! Any bytes: the first byte picks the reader (SRT, WebVTT, ASS, SSA, TTML or sniffed), the rest
//! is the file. Reading (with encoding detection) and re-writing must never panic.
use libfuzzer_sys::fuzz_target;
use subtitles::Format;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let format = match pick % 6 {
        0 => Some(Format::Srt),
        1 => Some(Format::WebVtt),
        2 => Some(Format::Ass),
        3 => Some(Format::Ssa),
        4 => Some(Format::Ttml),
        _ => None,
    };
    if let Ok(track) = subtitles::read_bytes(rest, format, None) {
        for f in [Format::Srt, Format::WebVtt, Format::Ass, Format::Ttml] {
            let _ = subtitles::write_text(&track, f);
        }
    }
});
