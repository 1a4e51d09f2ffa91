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

pub mod audio;
pub mod panel;

mod commands;
mod overlay;
pub use commands::*;

pub use overlay::*;

use crate::model::subtitles::{LangTrack, SubtitleChange, SubtitleCommand, SubtitleTracks};
pub use ::subtitles::language::{Script, guess_language, language_for, script_of};
use std::path::Path;

use ::subtitles::qc::{self, Fix, QcOptions};
use ::subtitles::snap::{SnapKind, SnapTargets, snap_move, snap_time};
use ::subtitles::vad::{Audio, VadParams, speech_regions};
use ::subtitles::waveform::Peaks;
use ::subtitles::{Track, edit};
use bevy::prelude::*;
use mocap_data::FrameRate;

use crate::history::{HistorySet, UndoStack};
use crate::model::edit::EditCommand;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::session::SessionCommand;
use crate::model::settings::Settings;
use crate::playback::Playback;
use crate::session::SessionSet;
use crate::viewport::camera::SceneCamera;

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
            .init_resource::<crate::model::lanes::TimelineLanes>()
            .add_systems(PreUpdate, shots_lane.after(HistorySet));
    }
}

/// Key of the shot-change lane in [`crate::model::lanes::TimelineLanes::extra`].
pub const SHOTS_LANE: &str = "shots";

/// Shot changes as ticks on a timeline lane (only when some are loaded).
fn shots_lane(
    settings: Res<SubtitleSettings>,
    session: Res<crate::model::session::Session>,
    mut lanes: ResMut<crate::model::lanes::TimelineLanes>,
) {
    if !settings.is_changed() && !session.is_changed() {
        return;
    }
    let lane = session.take.as_ref().and_then(|t| {
        (!settings.shot_changes_ms.is_empty()).then(|| crate::model::lanes::Lane {
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

/// What a file dropped on the window does when it is subtitles (`Open`) or a WAV
/// (`OpenAudio`); `None` for other files.
pub fn dropped_file_command(path: &Path) -> Option<SubtitleCommand> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if ext == "wav" {
        Some(SubtitleCommand::OpenAudio(path.to_path_buf()))
    } else if ::subtitles::Format::EXTENSIONS.contains(&ext.as_str()) {
        Some(SubtitleCommand::Open(path.to_path_buf()))
    } else {
        None
    }
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

/// The lines shown: (language, text, family).
type OverlayLines = Vec<(String, String, &'static str)>;
