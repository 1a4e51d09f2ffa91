//! Subtitle tracks in the studio, headless: demo tracks, cue edits through the undo stack,
//! QC one-click fixes, snapping, opening files.

use bevy::prelude::*;
use mocap_studio::core_plugins;
use mocap_studio::history::UndoStack;
use mocap_studio::model::edit::EditCommand;
use mocap_studio::model::edit::HistoryCommand;
use mocap_studio::model::session::SessionCommand;
use mocap_studio::model::subtitles::SubtitleCommand;
use mocap_studio::model::subtitles::SubtitleTracks;
use mocap_studio::subtitles::{ReferenceAudio, font_family_for, language_for};
use subtitles::qc::Rule;
use subtitles::{Format, Track};

fn app() -> App {
    let mut app = App::new();
    app.add_plugins(MinimalPlugins).add_plugins(core_plugins());
    app.world_mut().write_message(SessionCommand::LoadDemo);
    app.update();
    app
}

fn send(app: &mut App, c: SubtitleCommand) {
    app.world_mut().write_message(c);
    app.update();
}

fn history(app: &mut App, c: HistoryCommand) {
    app.world_mut().write_message(c);
    app.update();
}

fn tracks(app: &App) -> Vec<Track> {
    app.world()
        .resource::<SubtitleTracks>()
        .tracks
        .iter()
        .map(|t| t.track.clone())
        .collect()
}

fn en(app: &App) -> Track {
    app.world()
        .resource::<SubtitleTracks>()
        .get("en")
        .expect("en track")
        .track
        .clone()
}

fn times(t: &Track) -> Vec<(i64, i64)> {
    t.cues.iter().map(|c| (c.start_ms(), c.end_ms())).collect()
}

#[test]
fn demo_session_has_english_chinese_and_reference_audio() {
    let app = app();
    let subs = app.world().resource::<SubtitleTracks>();
    let langs: Vec<&str> = subs.tracks.iter().map(|t| t.lang.as_str()).collect();
    assert_eq!(langs, ["en", "zh-Hans"]);
    for t in &subs.tracks {
        assert_eq!(t.track.cues.len(), 4, "{}", t.lang);
        assert!(t.visible);
        assert!(t.qc_error.is_none(), "{:?}", t.qc_error);
        assert!(t.issues.is_empty(), "{}: {:?}", t.lang, t.issues);
    }
    let clip = app
        .world()
        .resource::<ReferenceAudio>()
        .clip
        .clone()
        .expect("demo audio");
    assert!(clip.peaks.duration_ms() >= 10_000);
    assert!(clip.speech_ms.len() >= 4, "{:?}", clip.speech_ms);
}

#[test]
fn edits_undo_and_redo_exactly() {
    let mut app = app();
    send(&mut app, SubtitleCommand::SetSnap(false));
    let initial = tracks(&app);
    let lang = || "en".to_string();
    send(
        &mut app,
        SubtitleCommand::Move {
            lang: lang(),
            index: 0,
            delta_ms: 1000,
        },
    );
    assert_eq!(times(&en(&app))[0], (1600, 3400));
    send(
        &mut app,
        SubtitleCommand::RetimeStart {
            lang: lang(),
            index: 2,
            ms: 6500,
        },
    );
    assert_eq!(times(&en(&app))[2], (6500, 7800));
    send(
        &mut app,
        SubtitleCommand::RetimeEnd {
            lang: lang(),
            index: 2,
            ms: 8800,
        },
    );
    assert_eq!(times(&en(&app))[2], (6500, 8800));
    send(
        &mut app,
        SubtitleCommand::Split {
            lang: lang(),
            index: 1,
            at_ms: 4600,
        },
    );
    let t = en(&app);
    assert_eq!(t.cues.len(), 5);
    assert_eq!(times(&t)[1], (3000, 4600));
    assert_eq!(times(&t)[2], (4600, 6200));
    send(
        &mut app,
        SubtitleCommand::Merge {
            lang: lang(),
            index: 3,
        },
    );
    send(
        &mut app,
        SubtitleCommand::SetText {
            lang: "zh-Hans".into(),
            index: 0,
            text: "好，开始。".into(),
        },
    );
    let edited = tracks(&app);
    assert_eq!(edited[0].cues.len(), 4);
    assert_eq!(edited[1].cues[0].text, "好，开始。");
    let stack = app.world().resource::<UndoStack>();
    assert_eq!(stack.done.len(), 6);
    assert!(
        stack
            .undo_label()
            .is_some_and(|l| l.contains("Edit cue text")),
        "{:?}",
        stack.undo_label()
    );
    for _ in 0..6 {
        history(&mut app, HistoryCommand::Undo);
    }
    assert_eq!(tracks(&app), initial, "undo restores the exact tracks");
    for _ in 0..6 {
        history(&mut app, HistoryCommand::Redo);
    }
    assert_eq!(tracks(&app), edited, "redo restores the exact edits");
    for _ in 0..6 {
        history(&mut app, HistoryCommand::Undo);
    }
    assert_eq!(tracks(&app), initial);
}

#[test]
fn several_commands_in_one_frame_chain() {
    let mut app = app();
    send(&mut app, SubtitleCommand::SetSnap(false));
    let initial = tracks(&app);
    for _ in 0..3 {
        app.world_mut().write_message(SubtitleCommand::Move {
            lang: "en".into(),
            index: 3,
            delta_ms: 100,
        });
    }
    app.update();
    assert_eq!(times(&en(&app))[3], (8_700, 9_700));
    for _ in 0..3 {
        history(&mut app, HistoryCommand::Undo);
    }
    assert_eq!(tracks(&app), initial);
}

#[test]
fn qc_one_click_fix_is_undoable() {
    let mut app = app();
    send(&mut app, SubtitleCommand::SetSnap(false));
    // 2410 ms is not on the 30 fps frame grid.
    send(
        &mut app,
        SubtitleCommand::RetimeEnd {
            lang: "en".into(),
            index: 0,
            ms: 2410,
        },
    );
    let subs = app.world().resource::<SubtitleTracks>();
    let t = subs.get("en").expect("en");
    assert!(
        t.issues
            .iter()
            .any(|i| i.cue_index == 0 && i.rule == Rule::FrameSnap),
        "{:?}",
        t.issues
    );
    assert!(t.fixes.iter().any(|f| f.cue_index == 0));
    let broken = en(&app);
    send(
        &mut app,
        SubtitleCommand::QcFix {
            lang: "en".into(),
            index: Some(0),
        },
    );
    let fixed = en(&app);
    assert_eq!(fixed.cues[0].end_ms() % 100, 0, "{:?}", fixed.cues[0]);
    assert_ne!(fixed, broken);
    let t = app
        .world()
        .resource::<SubtitleTracks>()
        .get("en")
        .expect("en")
        .clone();
    assert!(t.issues.iter().all(|i| i.cue_index != 0), "{:?}", t.issues);
    let stack = app.world().resource::<UndoStack>();
    assert!(matches!(
        stack.done.last().map(|e| &e.forward),
        Some(EditCommand::Subtitle { .. })
    ));
    assert_eq!(stack.done.last().and_then(|e| e.generation), None);
    history(&mut app, HistoryCommand::Undo);
    assert_eq!(en(&app), broken);
    history(&mut app, HistoryCommand::Redo);
    assert_eq!(en(&app), fixed);
}

#[test]
fn drags_snap_to_frames_and_cue_edges() {
    let mut app = app();
    // Without the reference audio the targets are the frame grid (30 fps) and other cues.
    app.world_mut().resource_mut::<ReferenceAudio>().clip = None;
    send(
        &mut app,
        SubtitleCommand::RetimeEnd {
            lang: "en".into(),
            index: 0,
            ms: 2712,
        },
    );
    assert_eq!(en(&app).cues[0].end_ms(), 2700, "nearest 30 fps frame");
    send(
        &mut app,
        SubtitleCommand::RetimeEnd {
            lang: "en".into(),
            index: 0,
            ms: 2950,
        },
    );
    assert_eq!(en(&app).cues[0].end_ms(), 3000, "next cue's start");
    send(
        &mut app,
        SubtitleCommand::Move {
            lang: "en".into(),
            index: 2,
            delta_ms: 10,
        },
    );
    let (s, e) = times(&en(&app))[2];
    assert_eq!(
        (s, e),
        (6800, 7800),
        "a 10 ms nudge (< half a frame) snaps back"
    );
    send(
        &mut app,
        SubtitleCommand::Move {
            lang: "en".into(),
            index: 2,
            delta_ms: 45,
        },
    );
    let (s, e) = times(&en(&app))[2];
    let rate = mocap_data::FrameRate::FPS_30;
    let frame = subtitles::time::ms_to_frame_round(s, rate);
    assert_eq!(frame, 205, "6845 ms lands on frame 205");
    assert_eq!(subtitles::time::frame_to_ms(frame, rate), s);
    assert_eq!(e - s, 1000, "a move keeps the duration");
}

#[test]
fn loading_replaces_tracks_and_drops_their_history() {
    let mut app = app();
    send(
        &mut app,
        SubtitleCommand::Move {
            lang: "en".into(),
            index: 0,
            delta_ms: 200,
        },
    );
    assert_eq!(app.world().resource::<UndoStack>().done.len(), 1);
    // A take edit stays undoable; the subtitle edit is dropped with its tracks.
    app.world_mut()
        .write_message(EditCommand::SetInPoint(Some(10)));
    app.update();
    send(&mut app, SubtitleCommand::LoadScriptTest);
    let subs = app.world().resource::<SubtitleTracks>();
    let langs: Vec<&str> = subs.tracks.iter().map(|t| t.lang.as_str()).collect();
    assert_eq!(langs, ["zh-Hans", "ja", "ko", "ar", "he", "th"]);
    let stack = app.world().resource::<UndoStack>();
    assert_eq!(stack.done.len(), 1);
    assert!(matches!(stack.done[0].forward, EditCommand::SetInPoint(_)));
}

#[test]
fn opening_a_file_takes_the_language_from_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scene.ja.srt");
    let mut t = Track::new(Format::Srt);
    t.cues = vec![subtitles::Cue::new("1", 0, 2000, "こんにちは")];
    subtitles::write_file(&t, &path).expect("write");
    let mut app = app();
    send(&mut app, SubtitleCommand::Open(path.clone()));
    let subs = app.world().resource::<SubtitleTracks>();
    let ja = subs.get("ja").expect("ja track");
    assert_eq!(ja.track.cues.len(), 1);
    assert_eq!(ja.source.as_deref(), Some(path.as_path()));
    assert_eq!(subs.tracks.len(), 3);
    // A missing file is reported with its name, nothing changes.
    send(
        &mut app,
        SubtitleCommand::Open(dir.path().join("missing.srt")),
    );
    let log = app.world().resource::<mocap_studio::model::log::AppLog>();
    assert!(
        log.entries.iter().any(|e| e.text.contains("missing.srt")),
        "{:?}",
        log.entries
    );
    // Language from the content when the name has none.
    let t = Track::new(Format::Srt);
    assert_eq!(language_for(std::path::Path::new("a.srt"), &t), "und");
    let mut t = Track::new(Format::Srt);
    t.cues = vec![subtitles::Cue::new("1", 0, 1, "שלום")];
    assert_eq!(language_for(std::path::Path::new("a.srt"), &t), "he");
}

#[test]
fn fonts_are_chosen_by_script() {
    assert_eq!(font_family_for("en", "Hello"), "Noto Sans");
    assert_eq!(font_family_for("zh-Hans", "你好"), "Noto Sans CJK SC");
    assert_eq!(font_family_for("zh-Hant", "你好"), "Noto Sans CJK TC");
    assert_eq!(font_family_for("ja", "日本"), "Noto Sans CJK JP");
    assert_eq!(font_family_for("ja", "こんにちは"), "Noto Sans CJK JP");
    assert_eq!(font_family_for("ko", "안녕"), "Noto Sans CJK KR");
    assert_eq!(font_family_for("ar", "مرحبا"), "Noto Sans Arabic");
    assert_eq!(font_family_for("he", "שלום"), "Noto Sans Hebrew");
    assert_eq!(font_family_for("th", "สวัสดี"), "Noto Sans Thai");
}

#[test]
fn subtitle_flags_parse_next_to_the_contract_flags() {
    use clap::Parser;
    use mocap_studio::cli::Args;
    let a = Args::try_parse_from([
        "mocap-studio",
        "--demo",
        "--subtitles",
        "a.en.srt",
        "--subtitles",
        "a.ar.vtt",
        "--reference-audio",
        "a.wav",
        "--demo-scripts",
        "--screenshot",
        "out.png",
        "--exit-after-frames",
        "30",
    ])
    .expect("parse");
    assert_eq!(a.subtitles.len(), 2);
    assert!(a.demo_scripts && a.wants_demo() && a.is_scripted());
    assert_eq!(
        a.reference_audio.as_deref(),
        Some(std::path::Path::new("a.wav"))
    );
    assert!(a.files.is_empty(), "subtitle files are not take files");
}

#[test]
fn edited_tracks_save_and_read_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = app();
    send(&mut app, SubtitleCommand::SetSnap(false));
    send(
        &mut app,
        SubtitleCommand::Split {
            lang: "zh-Hans".into(),
            index: 1,
            at_ms: 4600,
        },
    );
    // A generated track has no file yet: an error, nothing written.
    send(
        &mut app,
        SubtitleCommand::Save {
            lang: "zh-Hans".into(),
            path: None,
        },
    );
    let log = app.world().resource::<mocap_studio::model::log::AppLog>();
    assert!(
        log.entries
            .iter()
            .any(|e| e.text.contains("Cannot save the zh-Hans subtitles")),
        "{:?}",
        log.entries
    );
    let path = dir.path().join("demo.zh-Hans.vtt");
    send(
        &mut app,
        SubtitleCommand::Save {
            lang: "zh-Hans".into(),
            path: Some(path.clone()),
        },
    );
    let saved = subtitles::read_file(&path, None).expect("read back");
    let subs = app.world().resource::<SubtitleTracks>();
    let zh = subs.get("zh-Hans").expect("zh");
    assert_eq!(zh.source.as_deref(), Some(path.as_path()));
    assert_eq!(times(&saved), times(&zh.track));
    assert_eq!(saved.cues.len(), 5);
    let texts = |t: &Track| t.cues.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
    assert_eq!(texts(&saved), texts(&zh.track));
}

#[test]
fn shot_changes_from_an_edl_snap_cue_edges_and_show_on_a_lane() {
    let dir = tempfile::tempdir().expect("temp dir");
    let edl = dir.path().join("sc001.edl");
    // The demo take starts at 14:32:10:00 (30 fps non-drop): cuts 2 s and 3.5 s into it.
    std::fs::write(
        &edl,
        "TITLE: DEMO\nFCM: NON-DROP FRAME\n\n\
001  AX  V  C  01:00:00:00 01:00:02:00 14:32:08:00 14:32:12:00\n\
002  AX  V  C  02:00:00:00 02:00:01:15 14:32:12:00 14:32:13:15\n\
003  AX  V  C  03:00:00:00 03:00:05:00 14:32:13:15 14:32:18:15\n",
    )
    .expect("write");
    let mut app = app();
    app.world_mut().resource_mut::<ReferenceAudio>().clip = None;
    send(&mut app, SubtitleCommand::OpenShots(edl));
    let shots = app
        .world()
        .resource::<mocap_studio::subtitles::SubtitleSettings>()
        .shot_changes_ms
        .clone();
    assert_eq!(shots, [2000, 3500], "the cut before the take is dropped");
    let lanes = app
        .world()
        .resource::<mocap_studio::model::lanes::TimelineLanes>();
    let lane = lanes
        .extra
        .get(mocap_studio::subtitles::SHOTS_LANE)
        .expect("shots lane");
    assert_eq!(
        lane.ticks.iter().map(|t| t.0).collect::<Vec<_>>(),
        [240, 420],
        "frames at 120 Hz"
    );
    // Cue 0 ends at 2400 ms: dragging its end to 2070 snaps to the cut at 2000 ms.
    send(
        &mut app,
        SubtitleCommand::RetimeEnd {
            lang: "en".into(),
            index: 0,
            ms: 2070,
        },
    );
    assert_eq!(en(&app).cues[0].end_ms(), 2000);
    // A bad line is an error naming the file and line; the shots stay.
    let bad = dir.path().join("bad.edl");
    std::fs::write(&bad, "001  AX  V  C  01:00:00:00\n").expect("write");
    send(&mut app, SubtitleCommand::OpenShots(bad));
    let log = app.world().resource::<mocap_studio::model::log::AppLog>();
    assert!(
        log.entries
            .iter()
            .any(|e| e.text.contains("bad.edl line 1")),
        "{:?}",
        log.entries
    );
    assert_eq!(
        app.world()
            .resource::<mocap_studio::subtitles::SubtitleSettings>()
            .shot_changes_ms,
        [2000, 3500]
    );
}

/// Nothing the user did is lost (issue 14): removing a track and opening a file are undoable
/// edits of that language only; the other languages' edits stay undoable.
#[test]
fn removing_and_opening_tracks_are_undoable_and_keep_other_history() {
    let mut app = app();
    send(&mut app, SubtitleCommand::SetSnap(false));
    let zh_before = app
        .world()
        .resource::<SubtitleTracks>()
        .get("zh-Hans")
        .expect("zh-Hans track")
        .track
        .clone();
    let en_before = times(&en(&app));
    send(
        &mut app,
        SubtitleCommand::Move {
            lang: "en".into(),
            index: 0,
            delta_ms: 200,
        },
    );
    let en_moved = times(&en(&app));
    assert_ne!(en_moved, en_before);
    send(&mut app, SubtitleCommand::Remove("zh-Hans".into()));
    assert!(
        app.world()
            .resource::<SubtitleTracks>()
            .get("zh-Hans")
            .is_none()
    );
    assert_eq!(app.world().resource::<UndoStack>().done.len(), 2);

    // Opening another language keeps both edits undoable.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("scene.ja.srt");
    let mut t = Track::new(Format::Srt);
    t.cues = vec![subtitles::Cue::new("1", 0, 2000, "こんにちは")];
    subtitles::write_file(&t, &path).expect("write");
    send(&mut app, SubtitleCommand::Open(path));
    assert!(app.world().resource::<SubtitleTracks>().get("ja").is_some());
    assert_eq!(app.world().resource::<UndoStack>().done.len(), 3);

    history(&mut app, HistoryCommand::Undo); // the ja track goes
    assert!(app.world().resource::<SubtitleTracks>().get("ja").is_none());
    history(&mut app, HistoryCommand::Undo); // zh-Hans comes back, exactly
    let subs = app.world().resource::<SubtitleTracks>();
    assert_eq!(subs.get("zh-Hans").expect("restored").track, zh_before);
    assert_eq!(times(&en(&app)), en_moved, "en keeps its edit");
    history(&mut app, HistoryCommand::Undo); // the en move
    assert_eq!(times(&en(&app)), en_before);
    history(&mut app, HistoryCommand::Redo);
    history(&mut app, HistoryCommand::Redo);
    assert!(
        app.world()
            .resource::<SubtitleTracks>()
            .get("zh-Hans")
            .is_none()
    );
    assert_eq!(times(&en(&app)), en_moved);
}
