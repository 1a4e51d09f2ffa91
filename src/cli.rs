//! Command line of `mocap-studio`.
//!
//! `mocap-studio [--demo] [FILES…] [--screenshot OUT.png] [--exit-after-frames N]` — these flag
//! names are a contract relied on by external checks.

use std::path::PathBuf;

use clap::Parser;

/// Mocap Studio: review, solve, clean and deliver motion capture.
#[derive(Debug, Clone, Parser, PartialEq)]
#[command(name = "mocap-studio", version, about)]
pub struct Args {
    /// Open the generated demo performance (the default when no files are given).
    #[arg(long)]
    pub demo: bool,

    /// Files to open: C3D, TRC, BVH, ASF+AMC, glTF/GLB.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,

    /// Save a PNG of the window after --exit-after-frames frames (default 60), then exit.
    #[arg(long, value_name = "OUT.png")]
    pub screenshot: Option<PathBuf>,

    /// Render this many frames, then exit (after saving the screenshot, if asked).
    #[arg(long, value_name = "N")]
    pub exit_after_frames: Option<u32>,

    /// Take library (SQLite file of `mocap takes`) to open in the Takes panel; created when
    /// missing.
    #[arg(long, value_name = "DB")]
    pub library: Option<PathBuf>,

    /// Dock tab to bring to the front at start-up (viewport, timeline, takes, review, cleanup,
    /// subtitles, inspector, log, live, "bone map", "face map").
    #[arg(long, value_name = "TAB")]
    pub tab: Option<String>,

    /// Connect the Live tab at start-up to this NatNet server (IP:PORT), e.g. a
    /// `mocap live serve … --natnet`.
    #[arg(long, value_name = "IP:PORT")]
    pub live_natnet: Option<std::net::SocketAddr>,

    /// Solve the live NatNet stream with this marker set (cmu41, fullbody53 or a JSON file).
    #[arg(long, value_name = "SET")]
    pub live_solve: Option<String>,

    /// Listen for Live Link Face (iPhone faces) on this local IP:PORT at start-up.
    #[arg(long, value_name = "IP:PORT")]
    pub live_faces: Option<std::net::SocketAddr>,

    /// Marker to select at start-up (by label), e.g. to show its curves in the Cleanup tab.
    #[arg(long, value_name = "LABEL")]
    pub marker: Option<String>,

    /// Skeleton joint to select at start-up (by name): the Inspector shows its channels.
    #[arg(long, value_name = "NAME")]
    pub joint: Option<String>,

    /// Marker trails of N frames either side of the playhead for this run (0 = off); the saved
    /// setting is not changed. With --marker, the selected marker's trail; else every marker's.
    #[arg(long, value_name = "N")]
    pub trails: Option<u32>,

    /// Print performance figures on a generated 1-hour take (no window) and exit.
    #[arg(long)]
    pub bench: bool,

    /// Print only the background re-solve figures (10-minute take; no window) and exit.
    #[arg(long)]
    pub bench_resolve: bool,

    /// Subtitle file to open (SRT, VTT, ASS, TTML; repeatable). The language comes from the
    /// file name (`name.zh-Hans.srt`), else the file, else the script of its text.
    #[arg(long = "subtitles", value_name = "FILE")]
    pub subtitles: Vec<PathBuf>,

    /// Reference audio (WAV) for the subtitle lanes: waveform and speech snapping.
    #[arg(long, value_name = "WAV")]
    pub reference_audio: Option<PathBuf>,

    /// Shot changes for subtitle snapping and QC: a CMX3600 EDL (record-in timecodes) or one
    /// timecode per line, absolute, placed against the take's start timecode.
    #[arg(long, value_name = "EDL")]
    pub shots: Option<PathBuf>,

    /// Show one subtitle line per script (Chinese, Japanese, Korean, Arabic, Hebrew, Thai) over
    /// the viewport for the whole take (a shaping check for screenshots).
    #[arg(long)]
    pub demo_scripts: bool,

    /// Compare the opened take with this one (C3D, TRC, BVH, or AMC with its ASF beside it;
    /// repeat for markers and a motion): ghost in the viewport, difference in the Compare tab.
    #[arg(long = "compare", value_name = "FILE")]
    pub compare: Vec<PathBuf>,

    /// How the comparison is drawn in the viewport: `overlay` (same place, ghost colour) or
    /// `side-by-side` (moved along X), as the Compare tab's Layout.
    #[arg(long, value_name = "LAYOUT", value_parser = parse_layout)]
    pub compare_layout: Option<crate::model::compare::CompareLayout>,

    /// The comparison's time offset in seconds (sampled at playhead + offset), as the Compare
    /// tab's Time offset; negative values allowed.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true, value_parser = parse_offset)]
    pub compare_offset: Option<f64>,

    /// Window width in logical pixels.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,

    /// Window height in logical pixels.
    #[arg(long, default_value_t = 720)]
    pub height: u32,
}

impl Args {
    /// Whether the demo take is loaded: `--demo`, or no files at all.
    pub fn wants_demo(&self) -> bool {
        self.demo || self.files.is_empty()
    }

    /// The comparison `--compare` asks for, if any.
    pub fn compare_command(&self) -> Option<crate::model::compare::CompareCommand> {
        (!self.compare.is_empty())
            .then(|| crate::model::compare::CompareCommand::Open(self.compare.clone()))
    }

    /// The comparison's view settings `--compare-layout` and `--compare-offset` ask for: the
    /// same commands the Compare tab sends.
    pub fn compare_view_commands(&self) -> Vec<crate::model::compare::CompareCommand> {
        use crate::model::compare::CompareCommand;
        let mut out = Vec::new();
        if let Some(l) = self.compare_layout {
            out.push(CompareCommand::SetLayout(l));
        }
        if let Some(s) = self.compare_offset {
            out.push(CompareCommand::SetOffset(s));
        }
        out
    }

    /// Scripted (CI) run: no saved layout or settings are read or written.
    pub fn is_scripted(&self) -> bool {
        self.screenshot.is_some() || self.exit_after_frames.is_some()
    }
}

fn parse_layout(s: &str) -> Result<crate::model::compare::CompareLayout, String> {
    use crate::model::compare::CompareLayout;
    match s.to_ascii_lowercase().as_str() {
        "overlay" => Ok(CompareLayout::Overlay),
        "side-by-side" | "side_by_side" | "sidebyside" => Ok(CompareLayout::SideBySide),
        _ => Err(format!("no such layout {s:?}: use overlay or side-by-side")),
    }
}

fn parse_offset(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "{s:?} is not a time in seconds (e.g. 0.5 or -1.25)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_flags_parse() {
        let a = Args::try_parse_from([
            "mocap-studio",
            "--demo",
            "--screenshot",
            "out.png",
            "--exit-after-frames",
            "90",
        ])
        .unwrap();
        assert!(a.demo && a.wants_demo() && a.is_scripted());
        assert_eq!(a.screenshot, Some(PathBuf::from("out.png")));
        assert_eq!(a.exit_after_frames, Some(90));
        let b = Args::try_parse_from(["mocap-studio", "take.c3d", "character.glb", "motion.bvh"])
            .unwrap();
        assert_eq!(b.files.len(), 3);
        assert!(!b.wants_demo() && !b.is_scripted());
        assert!(Args::try_parse_from(["mocap-studio"]).unwrap().wants_demo());
        assert!(Args::try_parse_from(["mocap-studio", "--exit-after-frames", "x"]).is_err());
    }

    #[test]
    fn compare_view_flags_parse_into_the_panels_commands() {
        use crate::model::compare::{CompareCommand, CompareLayout};
        let a = Args::try_parse_from([
            "mocap-studio",
            "a.c3d",
            "--compare",
            "b.c3d",
            "--compare-layout",
            "side-by-side",
            "--compare-offset",
            "-0.25",
        ])
        .unwrap();
        assert_eq!(
            a.compare_view_commands(),
            vec![
                CompareCommand::SetLayout(CompareLayout::SideBySide),
                CompareCommand::SetOffset(-0.25)
            ]
        );
        let b = Args::try_parse_from(["mocap-studio", "--compare-layout", "overlay"]).unwrap();
        assert_eq!(
            b.compare_view_commands(),
            vec![CompareCommand::SetLayout(CompareLayout::Overlay)]
        );
        assert!(Args::try_parse_from(["mocap-studio", "--compare-layout", "grid"]).is_err());
        assert!(Args::try_parse_from(["mocap-studio", "--compare-offset", "nan"]).is_err());
        assert!(
            Args::try_parse_from(["mocap-studio"])
                .unwrap()
                .compare_view_commands()
                .is_empty()
        );
    }
}
