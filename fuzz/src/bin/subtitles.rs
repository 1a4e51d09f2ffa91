//! Any bytes: the first byte picks the reader (SRT, WebVTT, ASS, SSA, TTML or sniffed), the rest
//! is the file. Reading (with encoding detection) and re-writing must never panic.
use subtitles::Format;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        let Some((&pick, rest)) = data.split_first() else {
            return;
        };
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
}
