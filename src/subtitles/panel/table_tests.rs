//! Panel tests of the Subtitles tab (egui_kittest): the languages bar, the QC bar and the
//! side-by-side table. Each test clicks or types as a user would and asserts the commands the
//! panel emits; the harness rebuilds the view from its state every frame, as the app does.

use super::*;
use ::subtitles::model::Time;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use crate::subtitles::{demo_tracks, qc_options};

/// The app's side: the tracks shown and everything the panel emitted.
struct App {
    tracks: SubtitleTracks,
    audio: ReferenceAudio,
    settings: SubtitleSettings,
    out: Vec<UiCommand>,
}

/// The demo's English and Chinese tracks, English read from a file; English cue 1 made 0.2 s
/// long (too short to read), with QC run as the app runs it.
fn app() -> App {
    let mut tracks = demo_tracks();
    tracks[0].source = Some("/stage/scene.en.srt".into());
    if let Some(c) = tracks[0].track.cues.get_mut(1) {
        c.end = Time::Ms(c.start_ms() + 200);
    }
    let settings = SubtitleSettings {
        snap: false,
        ..Default::default()
    };
    for t in &mut tracks {
        let o = qc_options(&t.lang, &settings).expect("QC profile");
        t.issues = ::subtitles::qc::check(&t.track, &o);
        let mut scratch = t.track.clone();
        t.fixes = ::subtitles::qc::fix(&mut scratch, &o);
    }
    App {
        tracks: SubtitleTracks {
            tracks,
            ..Default::default()
        },
        audio: ReferenceAudio::default(),
        settings,
        out: Vec::new(),
    }
}

fn harness(state: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1300.0, 500.0))
        .build_ui_state(
            |ui, s: &mut App| {
                let cmds = subtitles_ui(
                    ui,
                    &SubtitlesView {
                        tracks: &s.tracks,
                        audio: &s.audio,
                        settings: &s.settings,
                        playhead_ms: 0,
                        rate: mocap_data::FrameRate::FPS_120,
                    },
                );
                s.out.extend(cmds);
            },
            state,
        )
}

/// The first cue's text cell (master language).
fn cell<'h>(h: &'h Harness<'static, App>) -> egui_kittest::Node<'h> {
    h.get_all_by_role(egui::accesskit::Role::MultilineTextInput)
        .next()
        .expect("the first cue's text")
}

fn take_out(h: &mut Harness<'static, App>) -> Vec<UiCommand> {
    std::mem::take(&mut h.state_mut().out)
}

fn click(h: &mut Harness<'static, App>, label: &str) -> Vec<UiCommand> {
    h.get_by_label(label).click();
    h.run();
    take_out(h)
}

#[test]
fn the_file_buttons_ask_for_their_dialogs() {
    let mut h = harness(app());
    assert_eq!(
        click(&mut h, "Open…"),
        [UiCommand::OpenSubtitlesDialog(false)]
    );
    assert_eq!(
        click(&mut h, "Audio…"),
        [UiCommand::OpenSubtitlesDialog(true)]
    );
    assert_eq!(click(&mut h, "Shots…"), [UiCommand::OpenShotsDialog]);
    // Save (en was read from a file) and Save as… for each language.
    assert_eq!(
        click(&mut h, "Save"),
        [sub(SubtitleCommand::Save {
            lang: "en".into(),
            path: None,
        })]
    );
    let save_as: Vec<UiCommand> = (0..2)
        .flat_map(|k| {
            h.get_all_by_label("Save as…")
                .nth(k)
                .expect("Save as… per language")
                .click();
            h.run();
            take_out(&mut h)
        })
        .collect();
    assert_eq!(
        save_as,
        [
            UiCommand::SaveSubtitlesDialog("en".into()),
            UiCommand::SaveSubtitlesDialog("zh-Hans".into())
        ]
    );
}

#[test]
fn master_visibility_and_snap_send_their_settings() {
    let mut h = harness(app());
    // The master combo shows "en"; its popup lists both languages.
    h.get_by_role(egui::accesskit::Role::ComboBox).click();
    h.run();
    h.get_by_role_and_label(egui::accesskit::Role::Button, "zh-Hans")
        .click();
    h.run();
    let out = take_out(&mut h);
    assert!(
        out.contains(&sub(SubtitleCommand::SetMaster("zh-Hans".into()))),
        "choosing the master language: {out:?}"
    );
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "zh-Hans")
        .click();
    h.run();
    assert_eq!(
        take_out(&mut h),
        [sub(SubtitleCommand::SetVisible {
            lang: "zh-Hans".into(),
            visible: false,
        })]
    );
    assert_eq!(click(&mut h, "Snap"), [sub(SubtitleCommand::SetSnap(true))]);
}

#[test]
fn fix_all_and_one_fix_send_the_qc_fixes() {
    let mut h = harness(app());
    let n = h.state().tracks.tracks[0].fixes.len();
    assert!(n > 0, "a 0.2 s cue has a QC fix");
    assert_eq!(
        click(&mut h, &format!("Fix all en ({n})")),
        [sub(SubtitleCommand::QcFix {
            lang: "en".into(),
            index: None,
        })]
    );
    assert_eq!(
        click(&mut h, "Fix"),
        [sub(SubtitleCommand::QcFix {
            lang: "en".into(),
            index: Some(1),
        })]
    );
}

#[test]
fn typing_into_a_cue_commits_its_text_when_focus_leaves() {
    let mut h = harness(app());
    let before = cell(&h).value().unwrap_or_default();
    cell(&h).click();
    h.run();
    h.key_press(egui::Key::End);
    h.run();
    cell(&h).type_text(" now");
    h.run();
    assert!(take_out(&mut h).is_empty(), "nothing is sent while typing");
    // Enter in a multi-line cell is a line break; clicking elsewhere commits.
    h.get_by_label("Shots…").click();
    h.run();
    let out = take_out(&mut h);
    let text = out.iter().find_map(|c| match c {
        UiCommand::Subtitles(SubtitleCommand::SetText { lang, index, text })
            if lang == "en" && *index == 0 =>
        {
            Some(text.clone())
        }
        _ => None,
    });
    let text = text.unwrap_or_else(|| panic!("no SetText of en cue 0 in {out:?}"));
    assert!(text.ends_with(" now"), "{text:?}");
    assert!(text.starts_with(before.lines().next().unwrap_or_default()));
}

#[test]
fn clicking_a_cue_number_seeks_to_it() {
    let mut h = harness(app());
    let start = h.state().tracks.tracks[0].track.cues[2].start_ms();
    let out = click(&mut h, "3");
    assert_eq!(
        out,
        [UiCommand::Playback(PlaybackCommand::Seek(
            mocap_data::FrameRate::FPS_120.seconds_to_frame_round(start as f64 / 1000.0) as usize
        ))]
    );
}
