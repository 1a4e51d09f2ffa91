//! Multilingual subtitle tracks for Mocap Studio (headless).
//!
//! * Model: [`Track`]s of [`Cue`]s with exact times ([`Time`]: integer milliseconds or frames
//!   at an exact [`mocap_data::FrameRate`]), styled text ([`markup`]) and positions
//!   ([`CueSettings`]).
//! * Formats: [`srt`], [`vtt`] (the W3C WebVTT parsing algorithm), [`ass`] (ASS/SSA with
//!   override tags preserved), [`ttml`] (TTML / IMSC 1.1 Text Profile); [`encoding`] handles
//!   BOMs, UTF-16/32 and legacy code pages.
//! * Time: [`time`] converts between milliseconds, frames and SMPTE timecode exactly.
//! * QC: [`qc`] checks per-language [`profile`]s and fixes what it finds, each fix a
//!   reversible [`qc::Fix`] record; [`linebreak`] re-breaks lines.
//! * Alignment: [`align`] copies timings between tracks and snaps cue starts to speech onsets
//!   found by [`vad`].
//! * Timeline lane support: [`edit`] (move, retime, split, merge, retype cues; each an
//!   undoable [`edit::Edit`]), [`snap`] (snapping to shot changes, cue edges, speech and
//!   frames), [`waveform`] (multi-resolution min/max peaks) and [`demo`] (generated demo
//!   tracks in English and Simplified Chinese with matching reference audio).
//!
//! No GUI crate is in this crate's dependency tree.

pub mod align;
pub mod ass;
pub mod demo;
pub mod edit;
pub mod encoding;
mod entities;
pub mod error;
pub mod language;
pub mod linebreak;
pub mod markup;
pub mod model;
pub mod profile;
pub mod qc;
pub mod shots;
pub mod snap;
pub mod srt;
mod text;
pub mod time;
pub mod ttml;
pub mod vad;
pub mod vtt;
pub mod vtt_lenient;
pub mod waveform;
pub mod width;

pub use encoding::TextEncoding;
pub use error::{Result, SubError};
pub use model::{
    Align, AssEvent, AssHeader, Cue, CueSettings, Format, LineAlign, PositionAlign, Time, Track,
    TtmlHeader, Vertical, VttHeader, VttRegion,
};

use std::path::Path;

/// Guesses a format from the text itself: `WEBVTT` signature, `[Script Info]`, an XML `<tt`
/// root, or an SRT timing line.
pub fn sniff_format(text: &str) -> Option<Format> {
    let t = text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']);
    if t.starts_with("WEBVTT") {
        return Some(Format::WebVtt);
    }
    let head: String = t.chars().take(4096).collect();
    if head.starts_with("[Script Info]") || head.contains("\n[Events]") {
        return Some(if head.contains("[V4 Styles]") {
            Format::Ssa
        } else {
            Format::Ass
        });
    }
    if head.starts_with('<') && head.contains("<tt") {
        return Some(Format::Ttml);
    }
    if head
        .lines()
        .take(20)
        .any(|l| srt::parse_timing_line(l).is_some())
    {
        return Some(Format::Srt);
    }
    None
}

/// Parses decoded text in a given format.
pub fn parse_text(text: &str, format: Format) -> Result<Track> {
    match format {
        Format::Srt => Ok(srt::parse(text)),
        Format::WebVtt => vtt::parse(text),
        Format::Ass | Format::Ssa => Ok(ass::parse(text)),
        Format::Ttml => ttml::parse(text),
    }
}

/// Decodes and parses bytes. `format` None: sniffed from the text; `encoding` None: detected
/// (BOM, valid UTF-8, heuristic). The track's `encoding` records what was used.
pub fn read_bytes(bytes: &[u8], format: Option<Format>, encoding: Option<&str>) -> Result<Track> {
    let decoded = encoding::decode_with_label(bytes, encoding)?;
    let format = match format {
        Some(f) => f,
        None => sniff_format(&decoded.text).ok_or_else(|| {
            SubError::UnknownFormat(": the content is not SRT, WebVTT, ASS/SSA or TTML".into())
        })?,
    };
    let mut track = parse_text(&decoded.text, format)?;
    track.encoding = decoded.encoding.name().to_string();
    Ok(track)
}

/// [`read_file`], reading WebVTT leniently ([`vtt_lenient`]): the track and one warning per
/// repaired cue (empty for other formats, which have their own tolerant readers).
pub fn read_file_lenient(path: &Path, encoding: Option<&str>) -> Result<(Track, Vec<String>)> {
    let bytes = std::fs::read(path).map_err(|error| SubError::Io {
        path: path.display().to_string(),
        error,
    })?;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension);
    let decoded = encoding::decode_with_label(&bytes, encoding)?;
    let is_vtt = format == Some(Format::WebVtt)
        || (format.is_none() && sniff_format(&decoded.text) == Some(Format::WebVtt));
    if !is_vtt {
        return Ok((read_file(path, encoding)?, Vec::new()));
    }
    let (mut track, repairs) = vtt_lenient::parse_lenient(&decoded.text).map_err(|e| match e {
        SubError::Syntax { line, reason, .. } => SubError::Syntax {
            file: path.display().to_string(),
            line,
            reason,
        },
        e => e,
    })?;
    track.encoding = decoded.encoding.name().to_string();
    let file = path.display();
    Ok((
        track,
        repairs.iter().map(|r| format!("{file}: {r}")).collect(),
    ))
}

/// Reads a subtitle file; the format comes from the extension, else from the content.
pub fn read_file(path: &Path, encoding: Option<&str>) -> Result<Track> {
    let bytes = std::fs::read(path).map_err(|error| SubError::Io {
        path: path.display().to_string(),
        error,
    })?;
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension);
    let sniffed = format.is_none();
    read_bytes(&bytes, format, encoding).map_err(|e| match e {
        SubError::UnknownFormat(_) if sniffed => {
            SubError::UnknownFormat(format!(" for {}", path.display()))
        }
        SubError::Syntax { line, reason, .. } => SubError::Syntax {
            file: path.display().to_string(),
            line,
            reason,
        },
        e => e,
    })
}

/// Serialises a track in `format` (UTF-8 text). Cue text is converted between markups when the
/// track's format differs.
pub fn write_text(track: &Track, format: Format) -> String {
    match format {
        Format::Srt => srt::write(track),
        Format::WebVtt => vtt::write(track),
        Format::Ass => ass::write(track, false),
        Format::Ssa => ass::write(track, true),
        Format::Ttml => ttml::write(track),
    }
}

/// Writes a track to `path` in the format named by its extension (UTF-8).
pub fn write_file(track: &Track, path: &Path) -> Result<()> {
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
        .ok_or_else(|| SubError::UnknownFormat(format!(" for output {}", path.display())))?;
    std::fs::write(path, write_text(track, format)).map_err(|error| SubError::Io {
        path: path.display().to_string(),
        error,
    })
}
