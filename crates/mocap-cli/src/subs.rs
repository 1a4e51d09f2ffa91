//! `mocap subs`: subtitle tracks — info, convert, QC with fixes, alignment to a master track
//! and to speech onsets in reference audio.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use subtitles::{Format, Track, qc, time, vad};

/// Arguments of `mocap subs`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Subcommand, Debug)]
enum Cmd {
    /// Print a track's format, encoding, language and cues (`--json` for scripts).
    Info(InfoArgs),
    /// Convert between SRT, WebVTT, ASS/SSA and TTML (formats by extension).
    Convert(ConvertArgs),
    /// Check a track against a language profile; `--fix OUT` writes the repaired track.
    Qc(QcArgs),
    /// Copy timings from a master track to a translation (by cue id or order).
    Align(AlignArgs),
    /// Detect speech onsets in a WAV file; with `--snap`, snap a track's cue starts to them.
    Onsets(OnsetsArgs),
}

#[derive(clap::Args, Debug)]
struct InfoArgs {
    /// Subtitle file (.srt, .vtt, .ass, .ssa, .ttml, .xml, .dfxp).
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Input encoding (default: detected). E.g. windows-1252, shift_jis, gb18030, big5.
    #[arg(long)]
    encoding: Option<String>,
}

#[derive(clap::Args, Debug)]
struct ConvertArgs {
    /// Input file.
    input: PathBuf,
    /// Output file; the format follows its extension (srt, vtt, ass, ssa, ttml).
    output: PathBuf,
    /// Frame rate: times are re-timed onto this frame grid (and TTML declares it).
    #[arg(long)]
    fps: Option<String>,
    /// Input encoding (default: detected).
    #[arg(long)]
    encoding: Option<String>,
    /// Set the track's BCP-47 language tag.
    #[arg(long)]
    lang: Option<String>,
    /// Subtract a take's start timecode (e.g. 01:00:00:00; needs --fps).
    #[arg(long)]
    remove_offset: Option<String>,
    /// Read WebVTT with the strict WHATWG parser: cues whose timings are not WebVTT
    /// timestamps are dropped instead of repaired (with a warning each).
    #[arg(long)]
    strict: bool,
}

#[derive(clap::Args, Debug)]
struct QcArgs {
    /// Subtitle file.
    file: PathBuf,
    /// Language profile (BCP-47: en, ja, ko, zh-Hans, zh-Hant, ar, es, fr, de, ru, th).
    #[arg(long)]
    lang: String,
    /// Programme frame rate (23.976, 24, 25, 29.97, 30, 50, 59.94, 60).
    #[arg(long)]
    fps: String,
    /// Write the fixed track here (format by extension).
    #[arg(long)]
    fix: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Use the children's reading speed.
    #[arg(long)]
    children: bool,
    /// Shot changes: comma-separated frame numbers, or @FILE with one frame per line.
    #[arg(long)]
    shot_changes: Option<String>,
    /// Input encoding (default: detected).
    #[arg(long)]
    encoding: Option<String>,
}

#[derive(clap::Args, Debug)]
struct AlignArgs {
    /// Master track (timings are taken from it).
    master: PathBuf,
    /// Translation track.
    translation: PathBuf,
    /// Output file.
    output: PathBuf,
    /// Match cues by `id` or `order`.
    #[arg(long, default_value = "id")]
    by: String,
    /// Print the changes as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
struct OnsetsArgs {
    /// Reference audio (WAV: PCM 8/16/24/32-bit or 32-bit float).
    wav: PathBuf,
    /// Track whose cue starts are snapped to the onsets.
    #[arg(long)]
    snap: Option<PathBuf>,
    /// Output for the snapped track.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Frame rate for snapping.
    #[arg(long, default_value = "25")]
    fps: String,
    /// Largest move, milliseconds.
    #[arg(long, default_value_t = 500)]
    window_ms: i64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `mocap subs`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.cmd {
        Cmd::Info(a) => info(a),
        Cmd::Convert(a) => convert(a),
        Cmd::Qc(a) => qc_cmd(a),
        Cmd::Align(a) => align(a),
        Cmd::Onsets(a) => onsets(a),
    }
}

fn read(path: &Path, encoding: Option<&str>) -> anyhow::Result<Track> {
    // The library's errors already name the file.
    Ok(subtitles::read_file(path, encoding)?)
}

fn settings_json(s: &subtitles::CueSettings) -> Value {
    let num_or_auto = |v: Option<f64>| v.map_or(json!("auto"), |x| json!(x));
    json!({
        "vertical": match s.vertical {
            subtitles::Vertical::Horizontal => "",
            subtitles::Vertical::Rl => "rl",
            subtitles::Vertical::Lr => "lr",
        },
        "line": num_or_auto(s.line),
        "snap_to_lines": s.snap_to_lines,
        "line_align": match s.line_align {
            subtitles::LineAlign::Start => "start",
            subtitles::LineAlign::Center => "center",
            subtitles::LineAlign::End => "end",
        },
        "position": num_or_auto(s.position),
        "position_align": match s.position_align {
            subtitles::PositionAlign::Auto => "auto",
            subtitles::PositionAlign::LineLeft => "line-left",
            subtitles::PositionAlign::Center => "center",
            subtitles::PositionAlign::LineRight => "line-right",
        },
        "size": s.size,
        "align": s.align.as_str(),
        "region": s.region,
    })
}

fn info(a: InfoArgs) -> anyhow::Result<()> {
    let t = read(&a.file, a.encoding.as_deref())?;
    if a.json {
        let cues: Vec<Value> = t
            .cues
            .iter()
            .map(|c| {
                let mut v = json!({
                    "id": c.id,
                    "start_ms": c.start_ms(),
                    "end_ms": c.end_ms(),
                    "text": c.text,
                });
                if t.format == Format::WebVtt {
                    let s = c
                        .settings
                        .as_deref()
                        .cloned()
                        .unwrap_or_else(subtitles::CueSettings::new);
                    v["settings"] = settings_json(&s);
                } else if let Some(s) = &c.settings {
                    v["settings"] = settings_json(s);
                }
                v
            })
            .collect();
        let mut out = json!({
            "format": t.format.name(),
            "encoding": t.encoding,
            "cues": cues,
        });
        if let Some(l) = &t.language {
            out["language"] = json!(l);
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {} ({}), {} cues",
            a.file.display(),
            t.format.name(),
            t.encoding,
            t.cues.len()
        );
        if let Some(l) = &t.language {
            println!("language: {l}");
        }
        if let (Some(f), Some(l)) = (t.cues.first(), t.cues.last()) {
            println!("span: {} ms – {} ms", f.start_ms(), l.end_ms());
        }
    }
    Ok(())
}

fn out_format(path: &Path) -> anyhow::Result<Format> {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
        .with_context(|| {
            format!(
                "cannot tell the output format of {}: use .srt, .vtt, .ass, .ssa or .ttml",
                path.display()
            )
        })
}

fn write(track: &Track, path: &Path, rate: Option<mocap_data::FrameRate>) -> anyhow::Result<()> {
    let fmt = out_format(path)?;
    let text = if fmt == Format::Ttml {
        subtitles::ttml::write_with_rate(track, rate)
    } else {
        subtitles::write_text(track, fmt)
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn convert(a: ConvertArgs) -> anyhow::Result<()> {
    out_format(&a.output)?;
    let rate = a.fps.as_deref().map(time::parse_rate).transpose()?;
    let mut t = if a.strict {
        read(&a.input, a.encoding.as_deref())?
    } else {
        let (t, warnings) = subtitles::read_file_lenient(&a.input, a.encoding.as_deref())?;
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        t
    };
    if let Some(tc) = &a.remove_offset {
        let Some(r) = rate else {
            bail!("--remove-offset needs --fps to read the timecode");
        };
        time::remove_timecode_offset(&mut t, tc, r)?;
    }
    if let Some(r) = rate {
        time::retime_track(&mut t, r);
    }
    if let Some(l) = a.lang {
        t.language = Some(l);
    }
    write(&t, &a.output, rate)?;
    eprintln!("wrote {} cues to {}", t.cues.len(), a.output.display());
    Ok(())
}

fn shot_changes(spec: Option<&str>) -> anyhow::Result<Vec<i64>> {
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    let text = match spec.strip_prefix('@') {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading shot changes {p}"))?
        }
        None => spec.to_string(),
    };
    let mut v = Vec::new();
    for (i, tok) in text
        .split([',', '\n', ' ', '\t', '\r'])
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        v.push(
            tok.parse::<i64>().with_context(|| {
                format!("shot change {} ({tok:?}) is not a frame number", i + 1)
            })?,
        );
    }
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

fn qc_cmd(a: QcArgs) -> anyhow::Result<()> {
    let rate = time::parse_rate(&a.fps)?;
    let profile = subtitles::profile::for_language(&a.lang)?;
    let mut t = read(&a.file, a.encoding.as_deref())?;
    let opts = qc::QcOptions {
        profile,
        rate,
        children: a.children,
        shot_changes: shot_changes(a.shot_changes.as_deref())?,
    };
    let report = qc::check_and_fix(&mut t, &opts);
    if let Some(out) = &a.fix {
        write(&t, out, Some(rate))?;
    }
    if a.json {
        let v = json!({
            "file": a.file.display().to_string(),
            "language": a.lang,
            "profile": opts.profile.language,
            "fps": rate.to_string(),
            "cues": t.cues.len(),
            "issues": report.issues,
            "fixes": report.fixes,
            "remaining": report.remaining,
            "fixed_file": a.fix.as_ref().map(|p| p.display().to_string()),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        for i in &report.issues {
            println!(
                "cue {} ({}): {:?}: {}",
                i.cue_index + 1,
                i.cue_id,
                i.rule,
                i.message
            );
        }
        println!(
            "{} issues, {} fixes{}, {} remaining",
            report.issues.len(),
            report.fixes.len(),
            if a.fix.is_some() {
                " written"
            } else {
                " proposed (use --fix OUT to write)"
            },
            report.remaining.len()
        );
    }
    Ok(())
}

fn align(a: AlignArgs) -> anyhow::Result<()> {
    let by = match a.by.as_str() {
        "id" => subtitles::align::MatchBy::Id,
        "order" => subtitles::align::MatchBy::Order,
        other => bail!("--by {other:?}: use `id` or `order`"),
    };
    let master = read(&a.master, None)?;
    let mut tr = read(&a.translation, None)?;
    let fixes = subtitles::align::copy_timings(&master, &mut tr, by);
    write(&tr, &a.output, None)?;
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "fixes": fixes }))?
        );
    } else {
        println!("{} timings copied", fixes.len());
    }
    Ok(())
}

fn onsets(a: OnsetsArgs) -> anyhow::Result<()> {
    let audio = vad::read_wav(&a.wav)?;
    let on = vad::onsets(&audio, &vad::VadParams::default());
    let mut fixes = Vec::new();
    if let Some(p) = &a.snap {
        let rate = time::parse_rate(&a.fps)?;
        let mut t = read(p, None)?;
        fixes = subtitles::align::snap_to_onsets(&mut t, &on, a.window_ms, rate, 2);
        let Some(out) = &a.out else {
            bail!("--snap needs --out FILE for the snapped track");
        };
        write(&t, out, Some(rate))?;
    }
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "onsets_ms": on, "fixes": fixes }))?
        );
    } else {
        println!("{} speech onsets (ms): {:?}", on.len(), on);
        if a.snap.is_some() {
            println!("{} cue starts snapped", fixes.len());
        }
    }
    Ok(())
}
