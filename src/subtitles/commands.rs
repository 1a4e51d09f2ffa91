//! Applies `SubtitleCommand`s: opening tracks, audio and shot lists, cue edits and QC fixes as undoable `EditCommand::Subtitle`s.

#[allow(unused_imports)]
use super::*;

pub(crate) fn load_audio(path: &Path) -> Result<AudioClip, String> {
    let audio = ::subtitles::vad::read_wav(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    );
    Ok(AudioClip::new(name, audio))
}

/// Computes a cue edit on a scratch copy of the track (the copy is kept so that several
/// commands of one frame chain), or `Err` with the reason.
pub(crate) fn cue_edit(
    scratch: &mut Vec<(String, Track)>,
    tracks: &SubtitleTracks,
    lang: &str,
    f: impl FnOnce(&mut Track) -> ::subtitles::Result<edit::Edit>,
) -> Result<edit::Edit, String> {
    f(scratch_track(scratch, tracks, lang)?).map_err(|e| e.to_string())
}

/// `lang`'s scratch copy, made from its track on first use.
fn scratch_track<'s>(
    scratch: &'s mut Vec<(String, Track)>,
    tracks: &SubtitleTracks,
    lang: &str,
) -> Result<&'s mut Track, String> {
    if !scratch.iter().any(|(l, _)| l == lang) {
        let t = tracks
            .get(lang)
            .ok_or_else(|| format!("no {lang} subtitle track"))?;
        scratch.push((lang.to_string(), t.track.clone()));
    }
    scratch
        .iter_mut()
        .find(|(l, _)| l == lang)
        .map(|(_, t)| t)
        .ok_or_else(|| format!("no {lang} subtitle track"))
}

/// Shot changes of `path` in milliseconds from the loaded take's first frame (timecodes
/// counted in the take's start-timecode format).
pub fn load_shots(
    path: &Path,
    session: &crate::model::session::Session,
) -> Result<Vec<i64>, String> {
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

pub(crate) fn apply_subtitle_commands(
    mut commands: MessageReader<SubtitleCommand>,
    mut session_commands: MessageReader<SessionCommand>,
    mut tracks: ResMut<SubtitleTracks>,
    mut audio: ResMut<ReferenceAudio>,
    mut settings: ResMut<SubtitleSettings>,
    mut stack: ResMut<UndoStack>,
    mut edits: MessageWriter<EditCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
    session: Res<crate::model::session::Session>,
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
    // Cue edits of one frame chain on scratch copies of their tracks.
    let mut scratch: Vec<(String, Track)> = Vec::new();
    let mut replaced = false;
    for cmd in cmds {
        let mut out: Vec<EditCommand> = Vec::new();
        match cmd {
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
            SubtitleCommand::QcFix { lang, index } => {
                match qc_fix(&mut scratch, &tracks, &settings, &lang, index) {
                    Ok(f) if f.is_empty() => log.push(
                        LogLevel::Info,
                        format!("Subtitles ({lang}): nothing to fix"),
                        now,
                    ),
                    Ok(f) => out.push(EditCommand::Subtitle {
                        lang,
                        change: SubtitleChange::Qc(f),
                        undo: false,
                    }),
                    Err(e) => log.push(LogLevel::Error, format!("Subtitles ({lang}): {e}"), now),
                }
            }
            cmd => match cue_command(cmd, &mut scratch, &tracks, &audio, &settings) {
                Ok((_, Ok(e))) if e.is_noop() => {}
                Ok((lang, Ok(e))) => out.push(EditCommand::Subtitle {
                    lang,
                    change: SubtitleChange::Cue(e),
                    undo: false,
                }),
                Ok((lang, Err(e))) => {
                    log.push(LogLevel::Error, format!("Subtitles ({lang}): {e}"), now)
                }
                Err(cmd) => {
                    let mut doc = DocumentCtx {
                        tracks: &mut tracks,
                        audio: &mut audio,
                        settings: &mut settings,
                        log: &mut log,
                        session: &session,
                        now,
                    };
                    replaced |= apply_document_command(cmd, &mut doc, &mut out);
                }
            },
        }
        for e in out {
            edits.write(e);
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

/// What a document command (open, save, remove, restore, demo, audio, shots) reads and writes.
struct DocumentCtx<'a> {
    tracks: &'a mut SubtitleTracks,
    audio: &'a mut ReferenceAudio,
    settings: &'a mut SubtitleSettings,
    log: &'a mut AppLog,
    session: &'a crate::model::session::Session,
    /// App time of this frame, seconds (the log's clock).
    now: f64,
}

/// Applies one document command; undoable track changes go to `out`. Returns whether every
/// track was replaced (the demo and script test sets), which ends their undo history.
fn apply_document_command(
    cmd: SubtitleCommand,
    cx: &mut DocumentCtx<'_>,
    out: &mut Vec<EditCommand>,
) -> bool {
    let now = cx.now;
    match cmd {
        SubtitleCommand::LoadDemo | SubtitleCommand::LoadScriptTest => {
            let demo = matches!(cmd, SubtitleCommand::LoadDemo);
            cx.tracks.tracks.clear();
            for t in if demo {
                demo_tracks()
            } else {
                script_test_tracks()
            } {
                cx.tracks.insert(t);
            }
            cx.tracks.master = 0;
            if demo {
                cx.audio.clip = Some(AudioClip::new(
                    "generated reference audio",
                    ::subtitles::demo::demo_reference_audio(DEMO_AUDIO_RATE_HZ),
                ));
            }
            return true;
        }
        SubtitleCommand::Open(path) => match ::subtitles::read_file(&path, None) {
            Ok(track) => {
                let lang = language_for(&path, &track);
                cx.log.push(
                    LogLevel::Info,
                    format!(
                        "Subtitles {}: {} cues, language {lang}",
                        path.display(),
                        track.cues.len()
                    ),
                    now,
                );
                // Undoable, and only this language's history is affected.
                let before = cx.tracks.get(&lang).cloned().map(Box::new);
                out.push(EditCommand::Subtitle {
                    lang: lang.clone(),
                    change: SubtitleChange::Track {
                        before,
                        after: Some(Box::new(LangTrack::new(lang, track, Some(path)))),
                    },
                    undo: false,
                });
            }
            Err(e) => cx.log.push(
                LogLevel::Error,
                format!("Cannot open subtitles {}: {e}", path.display()),
                now,
            ),
        },
        SubtitleCommand::Restore {
            lang,
            track,
            source,
        } => {
            cx.log.push(
                LogLevel::Info,
                format!("Subtitles ({lang}) restored: {} cues", track.cues.len()),
                now,
            );
            let mut t = LangTrack::new(lang.clone(), *track, source);
            t.saved = None;
            let before = cx.tracks.get(&lang).cloned().map(Box::new);
            out.push(EditCommand::Subtitle {
                lang,
                change: SubtitleChange::Track {
                    before,
                    after: Some(Box::new(t)),
                },
                undo: false,
            });
        }
        SubtitleCommand::OpenShots(path) => match load_shots(&path, cx.session) {
            Ok(ms) => {
                cx.log.push(
                    LogLevel::Info,
                    format!("{} shot changes from {}", ms.len(), path.display()),
                    now,
                );
                cx.settings.shot_changes_ms = ms;
            }
            Err(e) => cx
                .log
                .push(LogLevel::Error, format!("Cannot read shots: {e}"), now),
        },
        SubtitleCommand::OpenAudio(path) => match load_audio(&path) {
            Ok(clip) => {
                cx.log.push(
                    LogLevel::Info,
                    format!(
                        "Reference audio {}: {:.1} s, {} speech regions",
                        path.display(),
                        clip.peaks.duration_ms() as f64 / 1000.0,
                        clip.speech_ms.len()
                    ),
                    now,
                );
                cx.audio.clip = Some(clip);
            }
            Err(e) => cx.log.push(
                LogLevel::Error,
                format!("Cannot open reference audio {e}"),
                now,
            ),
        },
        SubtitleCommand::Save { lang, path } => save_track(cx, &lang, path),
        SubtitleCommand::Remove(lang) => {
            // Undoable (Ctrl+Z brings the track back); other languages keep their history.
            if let Some(t) = cx.tracks.get(&lang) {
                out.push(EditCommand::Subtitle {
                    lang: lang.clone(),
                    change: SubtitleChange::Track {
                        before: Some(Box::new(t.clone())),
                        after: None,
                    },
                    undo: false,
                });
            }
        }
        // Cue edits, QC fixes and view settings are handled by the caller.
        _ => {}
    }
    false
}

/// Writes `lang`'s track to `path`, or back to the file it came from; marks it saved.
fn save_track(cx: &mut DocumentCtx<'_>, lang: &str, path: Option<std::path::PathBuf>) {
    let target = path.or_else(|| cx.tracks.get(lang).and_then(|t| t.source.clone()));
    let result = match (cx.tracks.get(lang), target) {
        (None, _) => Err(format!("no {lang} subtitle track")),
        (Some(_), None) => Err("generated track: choose a file (Save as…)".into()),
        (Some(t), Some(p)) => ::subtitles::write_file(&t.track, &p)
            .map(|()| p)
            .map_err(|e| e.to_string()),
    };
    match result {
        Ok(p) => {
            cx.log.push(
                LogLevel::Info,
                format!("Subtitles ({lang}) saved to {}", p.display()),
                cx.now,
            );
            if let Some(t) = cx.tracks.get_mut(lang) {
                t.source = Some(p);
                t.saved = Some(t.track.clone());
            }
        }
        Err(e) => cx.log.push(
            LogLevel::Error,
            format!("Cannot save the {lang} subtitles: {e}"),
            cx.now,
        ),
    }
}

/// The cue edit of a cue command (move, retime, split, merge, text), computed on the scratch copy
/// of its track, with the command's language; `Err(cmd)` hands back any other command.
#[allow(clippy::result_large_err)] // the Err is the command itself, handed straight back
fn cue_command(
    cmd: SubtitleCommand,
    scratch: &mut Vec<(String, Track)>,
    tracks: &SubtitleTracks,
    audio: &ReferenceAudio,
    settings: &SubtitleSettings,
) -> Result<(String, Result<edit::Edit, String>), SubtitleCommand> {
    let snap = settings.snap;
    Ok(match cmd {
        SubtitleCommand::Move {
            lang,
            index,
            delta_ms,
        } => {
            let targets = snap_targets(tracks, audio, settings, &lang, Some(index));
            let r = cue_edit(scratch, tracks, &lang, |t| {
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
            (lang, r)
        }
        SubtitleCommand::RetimeStart { lang, index, ms } => {
            let ms = snapped(snap, ms, tracks, audio, settings, &lang, index);
            let r = cue_edit(scratch, tracks, &lang, |t| edit::retime_start(t, index, ms));
            (lang, r)
        }
        SubtitleCommand::RetimeEnd { lang, index, ms } => {
            let ms = snapped(snap, ms, tracks, audio, settings, &lang, index);
            let r = cue_edit(scratch, tracks, &lang, |t| edit::retime_end(t, index, ms));
            (lang, r)
        }
        SubtitleCommand::Split { lang, index, at_ms } => {
            let r = cue_edit(scratch, tracks, &lang, |t| edit::split_cue(t, index, at_ms));
            (lang, r)
        }
        SubtitleCommand::Merge { lang, index } => {
            let r = cue_edit(scratch, tracks, &lang, |t| edit::merge_cues(t, index));
            (lang, r)
        }
        SubtitleCommand::SetText { lang, index, text } => {
            let r = cue_edit(scratch, tracks, &lang, |t| edit::set_text(t, index, &text));
            (lang, r)
        }
        other => return Err(other),
    })
}

/// QC fixes of `lang` (one cue, or all with `index` `None`), applied to its scratch copy.
fn qc_fix(
    scratch: &mut Vec<(String, Track)>,
    tracks: &SubtitleTracks,
    settings: &SubtitleSettings,
    lang: &str,
    index: Option<usize>,
) -> Result<Vec<Fix>, String> {
    let o = qc_options(lang, settings)?;
    let track = scratch_track(scratch, tracks, lang)?;
    let mut probe = track.clone();
    let fixes: Vec<Fix> = qc::fix(&mut probe, &o)
        .into_iter()
        .filter(|f| index.is_none_or(|i| f.cue_index == i))
        .collect();
    qc::apply(track, &fixes).map_err(|e| format!("QC fix of cue {} does not apply", e.cue_id))?;
    Ok(fixes)
}

/// `ms` snapped for editing cue `index` of `lang` when `snap` is on.
pub(crate) fn snapped(
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
