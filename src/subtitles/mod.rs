//! Multilingual subtitle tracks in the studio (issue #6): the tracks, the reference audio, cue
//! edits through the undo stack, QC flags and one-click fixes, and the overlay over the 3D view.
//!
//! [`SubtitlesPlugin`] is render-free (it runs under `MinimalPlugins` in tests): it owns
//! [`SubtitleTracks`] (one [`LangTrack`] per language), [`ReferenceAudio`] (a WAV's waveform
//! peaks and speech regions) and [`SubtitleSettings`] (snapping, frame grid), and turns
//! [`SubtitleCommand`]s into [`EditCommand::Subtitle`] edits computed with
//! `::subtitles::edit` / `::subtitles::qc` on a scratch copy: [`crate::history`] applies them
//! (`::subtitles::edit::Edit::apply` / `revert`), so Ctrl+Z / Ctrl+Shift+Z undo and redo them.
//! Every time here is in milliseconds of programme time (= take time, frame 0 at 0 ms) unless
//! a name says frames.
//!
//! [`SubtitleOverlayPlugin`] draws the visible languages' current cues over the viewport with
//! Bevy's text (parley shaping: CJK, Arabic and Hebrew right to left, Thai), one system font per
//! script ([`font_family_for`]), and adds the same fonts to egui as fallbacks.

use std::path::{Path, PathBuf};

use ::subtitles::qc::{self, Fix, Issue, QcOptions};
use ::subtitles::snap::{SnapKind, SnapTargets, snap_move, snap_time};
use ::subtitles::vad::{Audio, VadParams, speech_regions};
use ::subtitles::waveform::Peaks;
use ::subtitles::{Track, edit};
use bevy::prelude::*;
use mocap_data::FrameRate;

use crate::camera::SceneCamera;
use crate::history::{EditCommand, HistorySet, UndoStack};
use crate::playback::Playback;
use crate::session::{AppLog, LogLevel, SessionCommand, SessionSet};
use crate::settings::Settings;

/// Systems that load tracks and audio, turn [`SubtitleCommand`]s into undoable edits (before
/// [`HistorySet`], which applies them in the same frame) and refresh QC flags.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SubtitlesSet;

/// The subtitle tracks, reference audio and their commands (render-free).
pub struct SubtitlesPlugin;

impl Plugin for SubtitlesPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SubtitleTracks>()
            .init_resource::<ReferenceAudio>()
            .init_resource::<SubtitleSettings>()
            .add_message::<SubtitleCommand>()
            .add_message::<SessionCommand>()
            .add_message::<EditCommand>()
            .configure_sets(PreUpdate, SubtitlesSet.after(SessionSet).before(HistorySet))
            .add_systems(
                PreUpdate,
                (follow_settings, apply_subtitle_commands)
                    .chain()
                    .in_set(SubtitlesSet),
            )
            .add_systems(PreUpdate, refresh_qc.after(HistorySet))
            .init_resource::<crate::timeline::TimelineLanes>()
            .add_systems(PreUpdate, shots_lane.after(HistorySet));
    }
}

/// Key of the shot-change lane in [`crate::timeline::TimelineLanes::extra`].
pub const SHOTS_LANE: &str = "shots";

/// Shot changes as ticks on a timeline lane (only when some are loaded).
fn shots_lane(
    settings: Res<SubtitleSettings>,
    session: Res<crate::session::Session>,
    mut lanes: ResMut<crate::timeline::TimelineLanes>,
) {
    if !settings.is_changed() && !session.is_changed() {
        return;
    }
    let lane = session.take.as_ref().and_then(|t| {
        (!settings.shot_changes_ms.is_empty()).then(|| crate::timeline::Lane {
            name: format!("Shots ({})", settings.shot_changes_ms.len()),
            spans: Vec::new(),
            ticks: settings
                .shot_changes_ms
                .iter()
                .map(|ms| {
                    let f = t.rate.seconds_to_frame_round(*ms as f64 / 1000.0).max(0) as usize;
                    (f, [200, 200, 255], format!("shot change at {} ms", ms))
                })
                .collect(),
            edit_key: None,
        })
    });
    if lanes.extra.get(SHOTS_LANE) != lane.as_ref() {
        match lane {
            Some(l) => {
                lanes.extra.insert(SHOTS_LANE.into(), l);
            }
            None => {
                lanes.extra.remove(SHOTS_LANE);
            }
        }
    }
}

/// Default snapping distance, milliseconds.
pub const SNAP_TOLERANCE_MS: i64 = 120;

/// Sample rate of the generated demo reference audio, Hz.
pub const DEMO_AUDIO_RATE_HZ: u32 = 16_000;

/// Samples per finest waveform bucket (the peaks pyramid halves from there).
const PEAK_BUCKET_SAMPLES: usize = 64;

/// One language's track.
#[derive(Debug, Clone, PartialEq)]
pub struct LangTrack {
    /// BCP-47 tag (`en`, `zh-Hans`, `ar`, …).
    pub lang: String,
    /// The cues.
    pub track: Track,
    /// The file it was read from (`None`: generated).
    pub source: Option<PathBuf>,
    /// Drawn over the viewport.
    pub visible: bool,
    /// QC problems per [`qc::check`] with the language's profile (refreshed on change).
    pub issues: Vec<Issue>,
    /// What [`qc::fix`] would change (refreshed on change), for the one-click fix buttons.
    pub fixes: Vec<Fix>,
    /// Why QC could not run (no profile for the language), if so.
    pub qc_error: Option<String>,
}

impl LangTrack {
    /// A visible track without QC results yet.
    pub fn new(lang: impl Into<String>, track: Track, source: Option<PathBuf>) -> Self {
        Self {
            lang: lang.into(),
            track,
            source,
            visible: true,
            issues: Vec::new(),
            fixes: Vec::new(),
            qc_error: None,
        }
    }

    /// Index of the cue shown at `t_ms` (the last one starting at or before it that has not
    /// ended), if any.
    pub fn cue_at(&self, t_ms: i64) -> Option<usize> {
        self.track
            .cues
            .iter()
            .rposition(|c| c.start_ms() <= t_ms && t_ms < c.end_ms())
    }
}

/// The loaded subtitle tracks, top to bottom in lane order.
#[derive(Resource, Debug, Default, Clone)]
pub struct SubtitleTracks {
    /// One track per language.
    pub tracks: Vec<LangTrack>,
    /// Index of the master language (the table's first text column).
    pub master: usize,
    /// The cue selected in a lane or the table: (language, cue index).
    pub selected: Option<(String, usize)>,
    /// Bumped when tracks are loaded or removed (not by edits).
    pub generation: u64,
}

impl SubtitleTracks {
    /// The track of `lang`.
    pub fn get(&self, lang: &str) -> Option<&LangTrack> {
        self.tracks.iter().find(|t| t.lang == lang)
    }

    /// The track of `lang`, mutable.
    pub fn get_mut(&mut self, lang: &str) -> Option<&mut LangTrack> {
        self.tracks.iter_mut().find(|t| t.lang == lang)
    }

    /// Adds a track, replacing the one of the same language.
    pub fn insert(&mut self, t: LangTrack) {
        match self.tracks.iter_mut().find(|x| x.lang == t.lang) {
            Some(slot) => *slot = t,
            None => self.tracks.push(t),
        }
        self.generation += 1;
    }

    /// Applies (`undo` false) or reverts (`undo` true) a change to `lang`'s track.
    pub fn apply_change(
        &mut self,
        lang: &str,
        change: &SubtitleChange,
        undo: bool,
    ) -> Result<(), String> {
        let t = self
            .get_mut(lang)
            .ok_or_else(|| format!("no {lang} subtitle track"))?;
        let track = &mut t.track;
        match (change, undo) {
            (SubtitleChange::Cue(e), false) => e.apply(track).map_err(|e| e.to_string()),
            (SubtitleChange::Cue(e), true) => e.revert(track).map_err(|e| e.to_string()),
            (SubtitleChange::Qc(f), false) => qc::apply(track, f)
                .map_err(|e| format!("QC fix of cue {} does not match the track", e.cue_id)),
            (SubtitleChange::Qc(f), true) => qc::revert(track, f)
                .map_err(|e| format!("QC fix of cue {} does not match the track", e.cue_id)),
        }
    }
}

/// A recorded change of one track: a cue edit or a set of QC fixes (each undoes exactly).
#[derive(Debug, Clone, PartialEq)]
pub enum SubtitleChange {
    /// A cue edit from `::subtitles::edit`.
    Cue(edit::Edit),
    /// QC fixes from `::subtitles::qc::fix`.
    Qc(Vec<Fix>),
}

impl SubtitleChange {
    /// Short description for the Edit menu.
    pub fn describe(&self) -> String {
        use edit::EditKind as K;
        match self {
            Self::Cue(e) => match e.kind {
                K::Move => "Move cue",
                K::RetimeStart => "Retime cue start",
                K::RetimeEnd => "Retime cue end",
                K::Split => "Split cue",
                K::Merge => "Merge cues",
                K::SetText => "Edit cue text",
                K::Renumber => "Renumber cues",
            }
            .to_string(),
            Self::Qc(f) if f.len() == 1 => "QC fix".into(),
            Self::Qc(f) => format!("{} QC fixes", f.len()),
        }
    }
}

/// A reference audio clip and what the lanes need from it.
#[derive(Debug, Clone)]
pub struct AudioClip {
    /// File name, or "generated".
    pub name: String,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// The samples (mono, −1..1), shared with the playback thread.
    pub samples: std::sync::Arc<Vec<f32>>,
    /// Min/max peaks for the waveform lane.
    pub peaks: Peaks,
    /// Speech regions `(start ms, end ms)` from `::subtitles::vad` (snapping targets).
    pub speech_ms: Vec<(i64, i64)>,
}

impl AudioClip {
    /// Peaks and speech regions of `audio`.
    pub fn new(name: impl Into<String>, audio: Audio) -> Self {
        let peaks = Peaks::build(&audio, PEAK_BUCKET_SAMPLES);
        let speech_ms = speech_regions(&audio, &VadParams::default());
        Self {
            name: name.into(),
            sample_rate_hz: audio.sample_rate,
            samples: std::sync::Arc::new(audio.samples),
            peaks,
            speech_ms,
        }
    }
}

/// The reference audio (WAV) of the subtitles, if any.
#[derive(Resource, Debug, Default, Clone)]
pub struct ReferenceAudio {
    /// The loaded clip.
    pub clip: Option<AudioClip>,
}

/// How lane edits snap.
#[derive(Resource, Debug, Clone, PartialEq)]
pub struct SubtitleSettings {
    /// Snap drags to shot changes, cue edges, speech and (always, when on) the frame grid.
    pub snap: bool,
    /// Snapping distance, milliseconds.
    pub tolerance_ms: i64,
    /// Frame grid (the timecode display rate) for snapping and QC.
    pub rate: FrameRate,
    /// Shot changes, milliseconds from the take's first frame (from `--shots` / Shots…).
    pub shot_changes_ms: Vec<i64>,
}

impl Default for SubtitleSettings {
    fn default() -> Self {
        Self {
            snap: true,
            tolerance_ms: SNAP_TOLERANCE_MS,
            rate: FrameRate::FPS_30,
            shot_changes_ms: Vec::new(),
        }
    }
}

/// The snapping targets for editing cue `exclude` of `lang`: frames, shot changes, the
/// language's other cues, speech regions of the reference audio.
pub fn snap_targets(
    tracks: &SubtitleTracks,
    audio: &ReferenceAudio,
    settings: &SubtitleSettings,
    lang: &str,
    exclude: Option<usize>,
) -> SnapTargets {
    let mut t = SnapTargets::new()
        .frames(settings.rate)
        .shot_changes(&settings.shot_changes_ms);
    if let Some(lt) = tracks.get(lang) {
        t = t.cues(&lt.track, exclude);
    }
    if let Some(clip) = &audio.clip {
        t = t.speech(&clip.speech_ms);
    }
    t
}

/// What the subtitle panels and lanes ask for. Times are milliseconds.
#[derive(Message, Debug, Clone, PartialEq)]
pub enum SubtitleCommand {
    /// Load the generated demo tracks (en, zh-Hans) and reference audio.
    LoadDemo,
    /// Replace the tracks with one line per script (zh-Hans, ja, ko, ar, he, th) shown for the
    /// whole take (`--demo-scripts`, for the shaping screenshot).
    LoadScriptTest,
    /// Read a subtitle file (SRT, VTT, ASS, TTML); the language comes from the file name
    /// (`name.zh-Hans.srt`), else the file, else the script of its text.
    Open(PathBuf),
    /// Read a WAV file as the reference audio.
    OpenAudio(PathBuf),
    /// Read shot changes (CMX3600 EDL record-ins, or one timecode per line) for snapping and
    /// QC; timecodes are absolute, placed against the take's start timecode.
    OpenShots(PathBuf),
    /// Remove a language.
    Remove(String),
    /// Write a language's track (format from the extension) to `path`, or back to the file it
    /// was read from (`None`).
    Save {
        /// Language.
        lang: String,
        /// Where; `None`: the track's source file.
        path: Option<PathBuf>,
    },
    /// Move cue `index` of `lang` by `delta_ms` (snapped when snapping is on).
    Move {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// Shift, milliseconds.
        delta_ms: i64,
    },
    /// Set the start of a cue (snapped when snapping is on).
    RetimeStart {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New start, milliseconds.
        ms: i64,
    },
    /// Set the end of a cue (snapped when snapping is on).
    RetimeEnd {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New end, milliseconds.
        ms: i64,
    },
    /// Split a cue at `at_ms`.
    Split {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// Split time, milliseconds.
        at_ms: i64,
    },
    /// Merge a cue with the next one.
    Merge {
        /// Language.
        lang: String,
        /// Cue index (the first of the two).
        index: usize,
    },
    /// Replace a cue's text.
    SetText {
        /// Language.
        lang: String,
        /// Cue index.
        index: usize,
        /// New text (the track's markup).
        text: String,
    },
    /// Apply what [`qc::fix`] changes for one cue (`Some`) or the whole track (`None`).
    QcFix {
        /// Language.
        lang: String,
        /// Cue index, or every cue.
        index: Option<usize>,
    },
    /// Show or hide a language over the viewport.
    SetVisible {
        /// Language.
        lang: String,
        /// Shown.
        visible: bool,
    },
    /// Make a language the master (table's first column).
    SetMaster(String),
    /// Select a cue (or none).
    Select(Option<(String, usize)>),
    /// Snapping on or off.
    SetSnap(bool),
}

/// File extensions of the subtitle formats `subtitles::read_file` reads.
pub const SUBTITLE_EXTENSIONS: &[&str] = &["srt", "vtt", "ass", "ssa", "ttml", "dfxp", "xml"];

/// What a file dropped on the window does when it is subtitles (`Open`) or a WAV
/// (`OpenAudio`); `None` for other files.
pub fn dropped_file_command(path: &Path) -> Option<SubtitleCommand> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if ext == "wav" {
        Some(SubtitleCommand::OpenAudio(path.to_path_buf()))
    } else if SUBTITLE_EXTENSIONS.contains(&ext.as_str()) {
        Some(SubtitleCommand::Open(path.to_path_buf()))
    } else {
        None
    }
}

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

/// System font files the overlay and egui use: (family name, path, face index in the file).
pub const FONT_FILES: [(&str, &str, u32); 10] = [
    (
        "Noto Sans",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        0,
    ),
    (
        "Noto Sans CJK JP",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        0,
    ),
    (
        "Noto Sans CJK KR",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        1,
    ),
    (
        "Noto Sans CJK SC",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        2,
    ),
    (
        "Noto Sans CJK TC",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        3,
    ),
    (
        "Noto Sans CJK HK",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        4,
    ),
    (
        "Noto Sans Arabic",
        "/usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Hebrew",
        "/usr/share/fonts/truetype/noto/NotoSansHebrew-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Thai",
        "/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf",
        0,
    ),
    (
        "Noto Sans Mono CJK JP",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        5,
    ),
];

/// The font family for a cue of language `lang` whose text is `text` (script first; the
/// language chooses the Han glyph variants: SC, TC, HK, JP, KR).
pub fn font_family_for(lang: &str, text: &str) -> &'static str {
    let l = lang.to_ascii_lowercase();
    match script_of(text) {
        Script::Latin => "Noto Sans",
        Script::Japanese => "Noto Sans CJK JP",
        Script::Hangul => "Noto Sans CJK KR",
        Script::Arabic => "Noto Sans Arabic",
        Script::Hebrew => "Noto Sans Hebrew",
        Script::Thai => "Noto Sans Thai",
        Script::Han if l.starts_with("ja") => "Noto Sans CJK JP",
        Script::Han if l.starts_with("ko") => "Noto Sans CJK KR",
        Script::Han if l.contains("hk") || l.starts_with("yue") => "Noto Sans CJK HK",
        Script::Han if l.contains("hant") || l.contains("tw") || l.contains("mo") => {
            "Noto Sans CJK TC"
        }
        Script::Han => "Noto Sans CJK SC",
    }
}

/// Lines of the script test (`--demo-scripts`): (language, text).
pub const SCRIPT_TEST: [(&str, &str); 6] = [
    ("zh-Hans", "简体中文：你好，世界！字幕测试。"),
    ("ja", "日本語：こんにちは、字幕のテストです。"),
    ("ko", "한국어: 안녕하세요, 자막 테스트입니다."),
    ("ar", "العربية: مرحبا بالعالم، هذا اختبار للترجمة."),
    ("he", "עברית: שלום עולם, זו בדיקת כתוביות."),
    ("th", "ภาษาไทย: สวัสดีชาวโลก นี่คือการทดสอบคำบรรยาย"),
];

/// The script-test tracks: one cue per script lasting ten minutes from 0 ms.
pub fn script_test_tracks() -> Vec<LangTrack> {
    SCRIPT_TEST
        .iter()
        .map(|(lang, text)| {
            let mut t = Track::new(::subtitles::Format::Srt);
            t.language = Some(lang.to_string());
            t.cues = vec![::subtitles::Cue::new("1", 0, 600_000, *text)];
            LangTrack::new(*lang, t, None)
        })
        .collect()
}

/// The generated demo tracks (en, zh-Hans).
pub fn demo_tracks() -> Vec<LangTrack> {
    ::subtitles::demo::demo_tracks()
        .into_iter()
        .map(|(lang, t)| LangTrack::new(lang, t, None))
        .collect()
}

/// The QC options for `lang` at the settings' frame rate.
pub fn qc_options(lang: &str, settings: &SubtitleSettings) -> Result<QcOptions, String> {
    let profile = ::subtitles::profile::for_language(lang).map_err(|e| e.to_string())?;
    Ok(QcOptions {
        profile,
        rate: settings.rate,
        children: false,
        shot_changes: settings
            .shot_changes_ms
            .iter()
            .map(|ms| ::subtitles::time::ms_to_frame_round(*ms, settings.rate))
            .collect(),
    })
}

/// Keeps the frame grid on the timecode display rate.
fn follow_settings(settings: Option<Res<Settings>>, mut subs: ResMut<SubtitleSettings>) {
    if let Some(s) = settings
        && (s.is_changed() || subs.is_added())
    {
        let rate = s.display_rate.rate();
        if subs.rate != rate {
            subs.rate = rate;
        }
    }
}

/// Re-runs QC on every track when tracks or settings change.
fn refresh_qc(mut tracks: ResMut<SubtitleTracks>, settings: Res<SubtitleSettings>) {
    if !tracks.is_changed() && !settings.is_changed() {
        return;
    }
    for t in &mut tracks.bypass_change_detection().tracks {
        match qc_options(&t.lang, &settings) {
            Ok(o) => {
                t.issues = qc::check(&t.track, &o);
                let mut scratch = t.track.clone();
                t.fixes = qc::fix(&mut scratch, &o);
                t.qc_error = None;
            }
            Err(e) => {
                t.issues.clear();
                t.fixes.clear();
                t.qc_error = Some(e);
            }
        }
    }
}

fn load_audio(path: &Path) -> Result<AudioClip, String> {
    let audio = ::subtitles::vad::read_wav(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    Ok(AudioClip::new(name, audio))
}

/// Computes a cue edit on a scratch copy of the track (the copy is kept so that several
/// commands of one frame chain), or `Err` with the reason.
fn cue_edit(
    scratch: &mut Vec<(String, Track)>,
    tracks: &SubtitleTracks,
    lang: &str,
    f: impl FnOnce(&mut Track) -> ::subtitles::Result<edit::Edit>,
) -> Result<edit::Edit, String> {
    if !scratch.iter().any(|(l, _)| l == lang) {
        let t = tracks
            .get(lang)
            .ok_or_else(|| format!("no {lang} subtitle track"))?;
        scratch.push((lang.to_string(), t.track.clone()));
    }
    let track = scratch
        .iter_mut()
        .find(|(l, _)| l == lang)
        .map(|(_, t)| t)
        .ok_or_else(|| format!("no {lang} subtitle track"))?;
    f(track).map_err(|e| e.to_string())
}

/// Shot changes of `path` in milliseconds from the loaded take's first frame (timecodes
/// counted in the take's start-timecode format).
pub fn load_shots(path: &Path, session: &crate::session::Session) -> Result<Vec<i64>, String> {
    let take = session
        .take
        .as_ref()
        .ok_or("open a take first: shot timecodes are placed against its start timecode")?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let start = take.start_timecode;
    let fmt = start.format;
    let shots = ::subtitles::shots::parse_shot_list(&text, fmt.nominal_fps, path)
        .map_err(|e| e.to_string())?;
    // Drop-frame counts run at the NTSC rate; otherwise one timecode frame is 1/nominal s.
    let rate = if fmt.drop_frame {
        FrameRate::new(fmt.nominal_fps * 1000, 1001)
    } else {
        FrameRate::integer(fmt.nominal_fps)
    }
    .map_err(|e| e.to_string())?;
    Ok(::subtitles::shots::shot_changes_ms(&shots, start, rate))
}

fn apply_subtitle_commands(
    mut commands: MessageReader<SubtitleCommand>,
    mut session_commands: MessageReader<SessionCommand>,
    mut tracks: ResMut<SubtitleTracks>,
    mut audio: ResMut<ReferenceAudio>,
    mut settings: ResMut<SubtitleSettings>,
    mut stack: ResMut<UndoStack>,
    mut edits: MessageWriter<EditCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
    session: Res<crate::session::Session>,
) {
    let now = time.elapsed_secs_f64();
    let mut cmds: Vec<SubtitleCommand> = session_commands
        .read()
        .filter(|c| matches!(c, SessionCommand::LoadDemo))
        .map(|_| SubtitleCommand::LoadDemo)
        .collect();
    cmds.extend(commands.read().cloned());
    if cmds.is_empty() {
        return;
    }
    let mut scratch: Vec<(String, Track)> = Vec::new();
    let mut replaced = false;
    for cmd in cmds {
        let mut push_edit = |lang: &str, r: Result<edit::Edit, String>, log: &mut AppLog| match r {
            Ok(e) if e.is_noop() => {}
            Ok(e) => {
                edits.write(EditCommand::Subtitle {
                    lang: lang.to_string(),
                    change: SubtitleChange::Cue(e),
                    undo: false,
                });
            }
            Err(e) => log.push(LogLevel::Error, format!("Subtitles ({lang}): {e}"), now),
        };
        let snap = settings.snap;
        match cmd {
            SubtitleCommand::LoadDemo => {
                tracks.tracks.clear();
                for t in demo_tracks() {
                    tracks.insert(t);
                }
                tracks.master = 0;
                audio.clip = Some(AudioClip::new(
                    "generated reference audio",
                    ::subtitles::demo::demo_reference_audio(DEMO_AUDIO_RATE_HZ),
                ));
                replaced = true;
            }
            SubtitleCommand::LoadScriptTest => {
                tracks.tracks.clear();
                for t in script_test_tracks() {
                    tracks.insert(t);
                }
                tracks.master = 0;
                replaced = true;
            }
            SubtitleCommand::Open(path) => match ::subtitles::read_file(&path, None) {
                Ok(track) => {
                    let lang = language_for(&path, &track);
                    log.push(
                        LogLevel::Info,
                        format!(
                            "Subtitles {}: {} cues, language {lang}",
                            path.display(),
                            track.cues.len()
                        ),
                        now,
                    );
                    tracks.insert(LangTrack::new(lang, track, Some(path)));
                    replaced = true;
                }
                Err(e) => log.push(
                    LogLevel::Error,
                    format!("Cannot open subtitles {}: {e}", path.display()),
                    now,
                ),
            },
            SubtitleCommand::OpenShots(path) => match load_shots(&path, &session) {
                Ok(ms) => {
                    log.push(
                        LogLevel::Info,
                        format!("{} shot changes from {}", ms.len(), path.display()),
                        now,
                    );
                    settings.shot_changes_ms = ms;
                }
                Err(e) => log.push(LogLevel::Error, format!("Cannot read shots: {e}"), now),
            },
            SubtitleCommand::OpenAudio(path) => match load_audio(&path) {
                Ok(clip) => {
                    log.push(
                        LogLevel::Info,
                        format!(
                            "Reference audio {}: {:.1} s, {} speech regions",
                            path.display(),
                            clip.peaks.duration_ms() as f64 / 1000.0,
                            clip.speech_ms.len()
                        ),
                        now,
                    );
                    audio.clip = Some(clip);
                }
                Err(e) => log.push(
                    LogLevel::Error,
                    format!("Cannot open reference audio {e}"),
                    now,
                ),
            },
            SubtitleCommand::Save { lang, path } => {
                let target = path.or_else(|| tracks.get(&lang).and_then(|t| t.source.clone()));
                let result = match (tracks.get(&lang), target) {
                    (None, _) => Err(format!("no {lang} subtitle track")),
                    (Some(_), None) => Err("generated track: choose a file (Save as…)".into()),
                    (Some(t), Some(p)) => ::subtitles::write_file(&t.track, &p)
                        .map(|()| p)
                        .map_err(|e| e.to_string()),
                };
                match result {
                    Ok(p) => {
                        log.push(
                            LogLevel::Info,
                            format!("Subtitles ({lang}) saved to {}", p.display()),
                            now,
                        );
                        if let Some(t) = tracks.get_mut(&lang) {
                            t.source = Some(p);
                        }
                    }
                    Err(e) => log.push(
                        LogLevel::Error,
                        format!("Cannot save the {lang} subtitles: {e}"),
                        now,
                    ),
                }
            }
            SubtitleCommand::Remove(lang) => {
                tracks.tracks.retain(|t| t.lang != lang);
                tracks.master = tracks.master.min(tracks.tracks.len().saturating_sub(1));
                tracks.generation += 1;
                replaced = true;
            }
            SubtitleCommand::Move {
                lang,
                index,
                delta_ms,
            } => {
                let targets = snap_targets(&tracks, &audio, &settings, &lang, Some(index));
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| {
                    let c = t
                        .cues
                        .get(index)
                        .ok_or_else(|| ::subtitles::SubError::Invalid(format!("no cue {index}")))?;
                    let d = if snap {
                        snap_move(
                            c.start_ms(),
                            c.end_ms(),
                            delta_ms,
                            &targets,
                            settings.tolerance_ms,
                        )
                        .map_or(delta_ms, |(d, _)| d)
                    } else {
                        delta_ms
                    };
                    edit::move_cue(t, index, d)
                });
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::RetimeStart { lang, index, ms } => {
                let ms = snapped(snap, ms, &tracks, &audio, &settings, &lang, index);
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| {
                    edit::retime_start(t, index, ms)
                });
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::RetimeEnd { lang, index, ms } => {
                let ms = snapped(snap, ms, &tracks, &audio, &settings, &lang, index);
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| {
                    edit::retime_end(t, index, ms)
                });
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::Split { lang, index, at_ms } => {
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| {
                    edit::split_cue(t, index, at_ms)
                });
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::Merge { lang, index } => {
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| edit::merge_cues(t, index));
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::SetText { lang, index, text } => {
                let r = cue_edit(&mut scratch, &tracks, &lang, |t| {
                    edit::set_text(t, index, &text)
                });
                push_edit(&lang, r, &mut log);
            }
            SubtitleCommand::QcFix { lang, index } => {
                let fixes = qc_options(&lang, &settings).and_then(|o| {
                    let track = match scratch.iter_mut().find(|(l, _)| *l == lang) {
                        Some((_, t)) => t,
                        None => {
                            let t = tracks
                                .get(&lang)
                                .ok_or_else(|| format!("no {lang} subtitle track"))?;
                            scratch.push((lang.clone(), t.track.clone()));
                            let last = scratch.len() - 1;
                            &mut scratch[last].1
                        }
                    };
                    let mut probe = track.clone();
                    let fixes: Vec<Fix> = qc::fix(&mut probe, &o)
                        .into_iter()
                        .filter(|f| index.is_none_or(|i| f.cue_index == i))
                        .collect();
                    qc::apply(track, &fixes)
                        .map_err(|e| format!("QC fix of cue {} does not apply", e.cue_id))?;
                    Ok(fixes)
                });
                match fixes {
                    Ok(f) if f.is_empty() => log.push(
                        LogLevel::Info,
                        format!("Subtitles ({lang}): nothing to fix"),
                        now,
                    ),
                    Ok(f) => {
                        edits.write(EditCommand::Subtitle {
                            lang,
                            change: SubtitleChange::Qc(f),
                            undo: false,
                        });
                    }
                    Err(e) => log.push(LogLevel::Error, format!("Subtitles ({lang}): {e}"), now),
                }
            }
            SubtitleCommand::SetVisible { lang, visible } => {
                if let Some(t) = tracks.get_mut(&lang) {
                    t.visible = visible;
                }
            }
            SubtitleCommand::SetMaster(lang) => {
                if let Some(i) = tracks.tracks.iter().position(|t| t.lang == lang) {
                    tracks.master = i;
                }
            }
            SubtitleCommand::Select(s) => tracks.selected = s,
            SubtitleCommand::SetSnap(on) => settings.snap = on,
        }
    }
    if replaced {
        // Edits recorded against replaced tracks cannot be undone any more.
        stack
            .done
            .retain(|e| !matches!(e.forward, EditCommand::Subtitle { .. }));
        stack
            .undone
            .retain(|e| !matches!(e.forward, EditCommand::Subtitle { .. }));
        tracks.selected = None;
    }
}

/// `ms` snapped for editing cue `index` of `lang` when `snap` is on.
fn snapped(
    snap: bool,
    ms: i64,
    tracks: &SubtitleTracks,
    audio: &ReferenceAudio,
    settings: &SubtitleSettings,
    lang: &str,
    index: usize,
) -> i64 {
    if !snap {
        return ms;
    }
    let targets = snap_targets(tracks, audio, settings, lang, Some(index));
    snap_time(ms, &targets, settings.tolerance_ms).map_or(ms, |(t, _)| t)
}

/// Human name of what a time snapped to (lane tooltip while dragging).
pub fn snap_kind_label(kind: SnapKind) -> &'static str {
    match kind {
        SnapKind::Frame => "frame",
        SnapKind::ShotChange => "shot change",
        SnapKind::CueStart => "cue start",
        SnapKind::CueEnd => "cue end",
        SnapKind::SpeechOnset => "speech onset",
        SnapKind::SpeechOffset => "speech offset",
    }
}

/// The plain text of a cue (markup removed).
pub fn plain_text(track: &Track, index: usize) -> String {
    track
        .cues
        .get(index)
        .map(|c| {
            ::subtitles::markup::plain_text(&::subtitles::markup::parse(track.format, &c.text))
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Overlay (needs a window and the renderer).

/// Draws the visible languages' current cues over the viewport with Bevy text and loads the
/// system fonts (also into egui, as fallbacks for CJK, Arabic, Hebrew and Thai).
pub struct SubtitleOverlayPlugin;

impl Plugin for SubtitleOverlayPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<SubtitleFonts>()
            .add_systems(Startup, load_fonts)
            .add_systems(PostUpdate, set_font_fallbacks.in_set(SubtitlesSet))
            .add_systems(
                bevy_egui::EguiPrimaryContextPass,
                add_egui_fonts.in_set(SubtitlesSet),
            )
            .add_systems(
                PostUpdate,
                update_overlay.before(bevy::ui::UiSystems::Prepare),
            );
    }
}

/// The system fonts found at start-up.
#[derive(Resource, Debug, Default)]
pub struct SubtitleFonts {
    /// Loaded font assets (kept alive).
    pub handles: Vec<Handle<Font>>,
    /// Families available, from [`FONT_FILES`].
    pub families: Vec<&'static str>,
    /// Font files for egui: (family, bytes, face index); taken once egui has them.
    egui_pending: Vec<(&'static str, std::sync::Arc<Vec<u8>>, u32)>,
}

fn load_fonts(mut fonts: ResMut<Assets<Font>>, mut loaded: ResMut<SubtitleFonts>) {
    let mut files: Vec<(&str, std::sync::Arc<Vec<u8>>)> = Vec::new();
    for (family, path, index) in FONT_FILES {
        let bytes = match files.iter().find(|(p, _)| *p == path) {
            Some((_, b)) => Some(b.clone()),
            None => match std::fs::read(path) {
                Ok(b) => {
                    let b = std::sync::Arc::new(b);
                    files.push((path, b.clone()));
                    // Bevy registers every face of a collection under its own family name.
                    loaded
                        .handles
                        .push(fonts.add(Font::from_bytes((*b).clone())));
                    Some(b)
                }
                Err(e) => {
                    warn!(
                        "Subtitle font missing: {path}: {e}. Text in {family} will not show; install fonts-noto-core and fonts-noto-cjk"
                    );
                    None
                }
            },
        };
        if let Some(b) = bytes {
            loaded.families.push(family);
            if family != "Noto Sans Mono CJK JP" && family != "Noto Sans CJK HK" {
                loaded.egui_pending.push((family, b, index));
            }
        }
    }
}

/// Per-script fallbacks in Bevy's font collection: a glyph the cue's font lacks (the ASCII
/// colon in Noto Sans Hebrew and Thai, Latin words in Arabic) comes from the script's Noto font,
/// then Noto Sans. Runs until the font assets are registered, then once.
fn set_font_fallbacks(
    mut font_cx: ResMut<bevy::text::FontCx>,
    fonts: Res<SubtitleFonts>,
    mut done: Local<bool>,
) {
    use parley::fontique::Script as S;
    if *done || fonts.families.is_empty() {
        return;
    }
    let collection = &mut font_cx.bypass_change_detection().collection;
    if collection.family_id("Noto Sans").is_none()
        && collection.family_id("Noto Sans Arabic").is_none()
    {
        return; // not registered yet
    }
    let table: [(&[u8; 4], &str); 10] = [
        (b"Hebr", "Noto Sans Hebrew"),
        (b"Thai", "Noto Sans Thai"),
        (b"Arab", "Noto Sans Arabic"),
        (b"Hani", "Noto Sans CJK SC"),
        (b"Hira", "Noto Sans CJK JP"),
        (b"Kana", "Noto Sans CJK JP"),
        (b"Hang", "Noto Sans CJK KR"),
        (b"Latn", "Noto Sans"),
        (b"Zyyy", "Noto Sans"),
        (b"Cyrl", "Noto Sans"),
    ];
    for (tag, family) in table {
        let ids: Vec<_> = [family, "Noto Sans", "Noto Sans CJK SC"]
            .iter()
            .filter_map(|f| collection.family_id(f))
            .collect();
        collection.append_fallbacks(S::from_bytes(*tag), ids.into_iter());
    }
    *done = true;
}

/// Adds the Noto fonts to egui as fallbacks (egui's own fonts have no CJK, Arabic, Hebrew or
/// Thai glyphs). egui does not shape text: Arabic shows unjoined there; the overlay shapes it.
fn add_egui_fonts(mut contexts: bevy_egui::EguiContexts, mut fonts: ResMut<SubtitleFonts>) {
    if fonts.egui_pending.is_empty() {
        return;
    }
    let Ok(ctx) = contexts.ctx_mut() else { return };
    use bevy_egui::egui;
    let mut defs = egui::FontDefinitions::default();
    // Simplified Chinese glyph variants first for Han characters in panels.
    let mut pending = std::mem::take(&mut fonts.egui_pending);
    pending.sort_by_key(|(f, _, _)| *f != "Noto Sans CJK SC");
    for (family, bytes, index) in pending {
        if family == "Noto Sans" {
            continue; // egui's default font covers Latin.
        }
        let mut data = egui::FontData::from_owned((*bytes).clone());
        data.index = index;
        defs.font_data
            .insert(family.to_string(), std::sync::Arc::new(data));
        for fam in [egui::FontFamily::Proportional, egui::FontFamily::Monospace] {
            defs.families
                .entry(fam)
                .or_default()
                .push(family.to_string());
        }
    }
    ctx.set_fonts(defs);
}

/// The overlay's root UI node.
#[derive(Component)]
struct OverlayRoot;

/// The lines shown: (language, text, family).
type OverlayLines = Vec<(String, String, &'static str)>;

fn update_overlay(
    mut commands: Commands,
    tracks: Res<SubtitleTracks>,
    playback: Res<Playback>,
    camera: Query<Entity, With<SceneCamera>>,
    root: Query<Entity, With<OverlayRoot>>,
    mut shown: Local<Option<OverlayLines>>,
) {
    let root = match root.single() {
        Ok(r) => r,
        Err(_) => {
            let Ok(cam) = camera.single() else { return };
            *shown = None;
            commands
                .spawn((
                    Name::new("Subtitle overlay"),
                    OverlayRoot,
                    Node {
                        position_type: PositionType::Absolute,
                        width: Val::Percent(100.0),
                        height: Val::Percent(100.0),
                        flex_direction: FlexDirection::Column,
                        justify_content: JustifyContent::FlexEnd,
                        align_items: AlignItems::Center,
                        padding: UiRect::bottom(Val::Px(28.0)),
                        row_gap: Val::Px(4.0),
                        ..default()
                    },
                    bevy::ui::UiTargetCamera(cam),
                ))
                .id()
        }
    };
    let t_ms = (playback.position_s * 1000.0).round() as i64;
    let lines: OverlayLines = tracks
        .tracks
        .iter()
        .filter(|t| t.visible)
        .filter_map(|t| {
            let i = t.cue_at(t_ms)?;
            let text = plain_text(&t.track, i);
            let family = font_family_for(&t.lang, &text);
            Some((t.lang.clone(), text, family))
        })
        .collect();
    if shown.as_ref() == Some(&lines) {
        return;
    }
    commands.entity(root).despawn_related::<Children>();
    commands.entity(root).with_children(|p| {
        for (_, text, family) in &lines {
            p.spawn((
                Node {
                    padding: UiRect::axes(Val::Px(10.0), Val::Px(2.0)),
                    max_width: Val::Percent(90.0),
                    ..default()
                },
                BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.55)),
            ))
            .with_children(|p| {
                p.spawn((
                    Text::new(text.clone()),
                    TextFont {
                        font: bevy::text::FontSource::Family((*family).into()),
                        font_size: bevy::text::FontSize::Px(24.0),
                        ..default()
                    },
                    TextColor(Color::WHITE),
                    TextLayout::justify(Justify::Center),
                ));
            });
        }
    });
    *shown = Some(lines);
}
