//! Subtitle panels: the per-language lanes under the timeline (drag to move, drag edges to
//! retime, right-click to split / merge / fix, double-click to edit the text), the reference
//! audio's waveform lane, and the Subtitles tab's side-by-side table with QC flags.
//!
//! Like every panel these are pure functions of a [`SubtitlesView`] returning
//! [`UiCommand`]s; the edits are applied by [`crate::subtitles`] through the undo stack.
//! Times are milliseconds of programme time (take frame 0 = 0 ms).

mod lanes;
pub use lanes::*;
#[cfg(test)]
mod table_tests;

use ::subtitles::snap::{snap_move, snap_time};
use bevy_egui::egui;

use crate::model::commands::PlaybackCommand;
use crate::model::commands::UiCommand;
use crate::model::subtitles::LangTrack;
use crate::model::subtitles::SubtitleCommand;
use crate::model::subtitles::SubtitleTracks;
use crate::subtitles::{
    ReferenceAudio, SubtitleSettings, plain_text, snap_kind_label, snap_targets,
};

/// What the subtitle lanes and table show (a snapshot of the subtitle resources).
#[derive(Debug, Clone, Copy)]
pub struct SubtitlesView<'a> {
    /// The tracks.
    pub tracks: &'a SubtitleTracks,
    /// The reference audio.
    pub audio: &'a ReferenceAudio,
    /// Snapping settings.
    pub settings: &'a SubtitleSettings,
    /// Playhead, milliseconds.
    pub playhead_ms: i64,
    /// The take's frame rate (seeking goes to take frames).
    pub rate: mocap_data::FrameRate,
}

/// Seek to the take frame nearest `ms`.
fn seek_ms(rate: mocap_data::FrameRate, ms: i64) -> UiCommand {
    UiCommand::Playback(PlaybackCommand::Seek(
        rate.seconds_to_frame_round(ms as f64 / 1000.0).max(0) as usize,
    ))
}

fn sub(c: SubtitleCommand) -> UiCommand {
    UiCommand::Subtitles(c)
}

/// `hh:mm:ss.mmm`.
pub fn format_ms(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let a = ms.unsigned_abs();
    format!(
        "{sign}{:02}:{:02}:{:02}.{:03}",
        a / 3_600_000,
        a / 60_000 % 60,
        a / 1000 % 60,
        a % 1000
    )
}

/// Drag state kept in egui memory between frames: which part is dragged, where it started.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Body,
    Start,
    End,
}

/// The inline text editor's state: (language, cue index, text, where).
type EditorState = (String, usize, String, egui::Pos2);

/// Short label of a QC rule for the table.
fn rule_label(rule: ::subtitles::qc::Rule) -> &'static str {
    use ::subtitles::qc::Rule as R;
    match rule {
        R::ReadingSpeed => "CPS",
        R::LineLength => "Line length",
        R::LineCount => "Lines",
        R::Kinsoku => "Kinsoku",
        R::MinDuration => "Too short",
        R::MaxDuration => "Too long",
        R::Overlap => "Overlap",
        R::MinGap => "Gap",
        R::ChainGap => "Chain gap",
        R::ShotChange => "Shot change",
        R::FrameSnap => "Off frame",
        R::NonPositiveDuration => "Duration ≤ 0",
        R::MasterTiming => "Master timing",
        R::SpeechOnset => "Speech onset",
    }
}

/// The Subtitles tab: languages (master, shown over the viewport, fix all), then the
/// side-by-side table: master and translations per cue (matched by index), QC flags and
/// one-click fixes.
pub fn subtitles_ui(ui: &mut egui::Ui, v: &SubtitlesView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let tracks = &v.tracks.tracks;
    if tracks.is_empty() {
        ui.horizontal(|ui| {
            if ui.button("Open subtitles…").clicked() {
                out.push(UiCommand::OpenSubtitlesDialog(false));
            }
            ui.weak("or drop SRT / VTT / ASS / TTML files here, or start with --subtitles FILE.");
        });
        return out;
    }
    let master = v.tracks.master.min(tracks.len() - 1);
    languages_bar(ui, v, master, &mut out);
    qc_bar(ui, tracks, &mut out);
    ui.separator();
    cue_table(ui, v, master, &mut out);
    out
}

/// Open/Audio/Shots, the master language, which languages show over the viewport, Snap, audio.
fn languages_bar(
    ui: &mut egui::Ui,
    v: &SubtitlesView<'_>,
    master: usize,
    out: &mut Vec<UiCommand>,
) {
    let tracks = &v.tracks.tracks;
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Open…")
            .on_hover_text("Add a language (SRT, VTT, ASS, TTML); the language comes from the file name, e.g. scene.ja.srt")
            .clicked()
        {
            out.push(UiCommand::OpenSubtitlesDialog(false));
        }
        if ui
            .button("Audio…")
            .on_hover_text("Open the reference audio (WAV): waveform lane and speech snapping")
            .clicked()
        {
            out.push(UiCommand::OpenSubtitlesDialog(true));
        }
        if ui
            .button("Shots…")
            .on_hover_text("Shot changes for snapping and QC: a CMX3600 EDL (record-in timecodes) or one timecode per line")
            .clicked()
        {
            out.push(UiCommand::OpenShotsDialog);
        }
        ui.separator();
        ui.label("Master");
        egui::ComboBox::from_id_salt("sub-master")
            .selected_text(&tracks[master].lang)
            .show_ui(ui, |ui| {
                for t in tracks {
                    if ui.selectable_label(t.lang == tracks[master].lang, &t.lang).clicked() {
                        out.push(sub(SubtitleCommand::SetMaster(t.lang.clone())));
                    }
                }
            });
        ui.separator();
        ui.label("Over viewport:");
        for t in tracks {
            let mut vis = t.visible;
            if ui.checkbox(&mut vis, &t.lang).changed() {
                out.push(sub(SubtitleCommand::SetVisible {
                    lang: t.lang.clone(),
                    visible: vis,
                }));
            }
        }
        ui.separator();
        let mut snap = v.settings.snap;
        if ui
            .toggle_value(&mut snap, "Snap")
            .on_hover_text(format!(
                "Snap lane drags to shot changes, cue edges, speech onsets (within {} ms) and the {} fps frame grid",
                v.settings.tolerance_ms, v.settings.rate
            ))
            .changed()
        {
            out.push(sub(SubtitleCommand::SetSnap(snap)));
        }
        if let Some(clip) = &v.audio.clip {
            ui.separator();
            ui.weak(format!(
                "Audio: {} ({:.1} s)",
                clip.name,
                clip.peaks.duration_ms() as f64 / 1000.0
            ));
        }
    });
}

/// Per language: QC issue count, Save, Save as…, Fix all.
fn qc_bar(ui: &mut egui::Ui, tracks: &[LangTrack], out: &mut Vec<UiCommand>) {
    ui.horizontal_wrapped(|ui| {
        for t in tracks {
            let n = t.issues.len();
            let label = match &t.qc_error {
                Some(_) => format!("{}: no QC profile", t.lang),
                None => format!("{}: {n} QC issue{}", t.lang, if n == 1 { "" } else { "s" }),
            };
            let r = ui.label(label);
            if let Some(e) = &t.qc_error {
                r.on_hover_text(e);
            }
            if t.source.is_some()
                && ui
                    .small_button("Save")
                    .on_hover_text(format!(
                        "Write to {}",
                        t.source
                            .as_deref()
                            .map_or(String::new(), |p| p.display().to_string())
                    ))
                    .clicked()
            {
                out.push(sub(SubtitleCommand::Save {
                    lang: t.lang.clone(),
                    path: None,
                }));
            }
            if ui
                .small_button("Save as…")
                .on_hover_text("SRT, VTT, ASS or TTML by the file's extension")
                .clicked()
            {
                out.push(UiCommand::SaveSubtitlesDialog(t.lang.clone()));
            }
            if !t.fixes.is_empty()
                && ui
                    .button(format!("Fix all {} ({})", t.lang, t.fixes.len()))
                    .on_hover_text("Apply every QC fix of this language (one undo step)")
                    .clicked()
            {
                out.push(sub(SubtitleCommand::QcFix {
                    lang: t.lang.clone(),
                    index: None,
                }));
            }
            ui.separator();
        }
    });
}

/// The side-by-side table: master and translations per cue (matched by index), QC per cell.
fn cue_table(ui: &mut egui::Ui, v: &SubtitlesView<'_>, master: usize, out: &mut Vec<UiCommand>) {
    let tracks = &v.tracks.tracks;
    let order: Vec<&LangTrack> = std::iter::once(&tracks[master])
        .chain(
            tracks
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != master)
                .map(|(_, t)| t),
        )
        .collect();
    let rows = order.iter().map(|t| t.track.cues.len()).max().unwrap_or(0);
    let current = tracks[master].cue_at(v.playhead_ms);
    // Fixed column widths and row height: only the visible rows are laid out (tracks have
    // hundreds of cues), and the header lines up with them.
    let widths: Vec<f32> = [COL_NUM, COL_TIME, COL_TIME]
        .into_iter()
        .chain(order.iter().flat_map(|_| [COL_TEXT, COL_QC]))
        .collect();
    egui::ScrollArea::horizontal()
        .id_salt("sub-table-h")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let heads: Vec<&str> = ["#", "Start", "End"]
                .into_iter()
                .chain(order.iter().flat_map(|t| [t.lang.as_str(), "QC"]))
                .collect();
            for (rect, text) in row_cells(ui, &widths, 20.0).into_iter().zip(heads) {
                cell_ui(ui, rect).strong(text);
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .id_salt("sub-table-v")
                .auto_shrink([false, false])
                .show_rows(ui, ROW_H, rows, |ui, range| {
                    for i in range {
                        let rects = row_cells(ui, &widths, ROW_H);
                        if i % 2 == 1
                            && let (Some(a), Some(b)) = (rects.first(), rects.last())
                        {
                            ui.painter()
                                .rect_filled(a.union(*b), 0.0, ui.visuals().faint_bg_color);
                        }
                        let mut cells = rects.into_iter();
                        let mut cell = |ui: &mut egui::Ui, f: &mut dyn FnMut(&mut egui::Ui)| {
                            if let Some(rect) = cells.next() {
                                f(&mut cell_ui(ui, rect));
                            }
                        };
                        let master_cue = order[0].track.cues.get(i);
                        cell(ui, &mut |ui| {
                            let num = egui::RichText::new((i + 1).to_string());
                            let num = if current == Some(i) {
                                num.color(egui::Color32::from_rgb(255, 196, 0)).strong()
                            } else {
                                num
                            };
                            if ui
                                .add(egui::Label::new(num).sense(egui::Sense::click()))
                                .on_hover_text("Click: go to the cue")
                                .clicked()
                                && let Some(c) = master_cue
                            {
                                out.push(seek_ms(v.rate, c.start_ms()));
                            }
                        });
                        cell(ui, &mut |ui| {
                            if let Some(c) = master_cue {
                                ui.monospace(format_ms(c.start_ms()));
                            }
                        });
                        cell(ui, &mut |ui| {
                            if let Some(c) = master_cue {
                                ui.monospace(format_ms(c.end_ms()));
                            }
                        });
                        for t in &order {
                            let cue = t.track.cues.get(i);
                            cell(ui, &mut |ui| match cue {
                                Some(c) => out.extend(text_cell(ui, t, i, &c.text)),
                                None => {
                                    ui.weak("—");
                                }
                            });
                            cell(ui, &mut |ui| {
                                if let Some(c) = cue {
                                    out.extend(qc_cell(
                                        ui,
                                        t,
                                        i,
                                        master_cue.map(|m| m.start_ms()),
                                        c.start_ms(),
                                    ));
                                }
                            });
                        }
                    }
                });
        });
}

/// Allocates a table row of `height` and returns its cells' rectangles (`widths`, 4 apart).
fn row_cells(ui: &mut egui::Ui, widths: &[f32], height: f32) -> Vec<egui::Rect> {
    let gap = 4.0;
    let total = widths.iter().sum::<f32>() + gap * widths.len() as f32;
    let (row, _) = ui.allocate_exact_size(egui::vec2(total, height), egui::Sense::hover());
    let mut x = row.left();
    widths
        .iter()
        .map(|w| {
            let r = egui::Rect::from_min_size(egui::pos2(x, row.top()), egui::vec2(*w, height));
            x += w + gap;
            r
        })
        .collect()
}

/// A child ui filling `rect` (left to right, vertically centred, clipped to it).
fn cell_ui(ui: &mut egui::Ui, rect: egui::Rect) -> egui::Ui {
    let mut child = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(rect)
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    child.set_clip_rect(rect.intersect(ui.clip_rect()));
    child
}

/// Table column widths and row height, points.
const COL_NUM: f32 = 32.0;
const COL_TIME: f32 = 100.0;
const COL_TEXT: f32 = 250.0;
const COL_QC: f32 = 170.0;
const ROW_H: f32 = 46.0;

/// An editable cue text; commits a [`SubtitleCommand::SetText`] when focus leaves it changed.
fn text_cell(ui: &mut egui::Ui, t: &LangTrack, index: usize, text: &str) -> Option<UiCommand> {
    let id = egui::Id::new(("sub-cell", t.lang.as_str(), index));
    let (w, h) = (COL_TEXT - 4.0, ROW_H - 4.0);
    let s = ui
        .allocate_ui(egui::vec2(w, h), |ui| {
            crate::widgets::commit_text(ui, id, text, |s| {
                egui::TextEdit::multiline(s)
                    .desired_rows(2)
                    .desired_width(w)
            })
        })
        .inner
        .committed?;
    Some(sub(SubtitleCommand::SetText {
        lang: t.lang.clone(),
        index,
        text: s,
    }))
}

/// QC flags of one cue, with a one-click fix when `qc::fix` changes it.
fn qc_cell(
    ui: &mut egui::Ui,
    t: &LangTrack,
    index: usize,
    master_start_ms: Option<i64>,
    start_ms: i64,
) -> Option<UiCommand> {
    let mut out = None;
    ui.horizontal(|ui| {
        let issues: Vec<_> = t.issues.iter().filter(|x| x.cue_index == index).collect();
        if issues.is_empty() {
            ui.colored_label(egui::Color32::from_rgb(110, 190, 120), "✔");
        }
        for x in issues {
            ui.colored_label(egui::Color32::from_rgb(235, 87, 87), rule_label(x.rule))
                .on_hover_text(&x.message);
        }
        if let Some(m) = master_start_ms
            && (m - start_ms).abs() > 500
        {
            ui.colored_label(egui::Color32::from_rgb(240, 190, 60), "≠ master")
                .on_hover_text(format!(
                    "Starts {} ms away from the master cue with the same number",
                    start_ms - m
                ));
        }
        let fixes: Vec<_> = t.fixes.iter().filter(|f| f.cue_index == index).collect();
        if !fixes.is_empty() {
            let tip: Vec<String> = fixes
                .iter()
                .map(|f| {
                    format!(
                        "{:?}: {:?} → {:?} ({:?})",
                        f.field, f.before, f.after, f.rule
                    )
                })
                .collect();
            if ui
                .small_button("Fix")
                .on_hover_text(tip.join("\n"))
                .clicked()
            {
                out = Some(sub(SubtitleCommand::QcFix {
                    lang: t.lang.clone(),
                    index: Some(index),
                }));
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subtitles::demo_tracks;

    /// Runs the lanes for a pointer drag from `from` to `to` (screen points) over a few
    /// frames; returns every command emitted.
    fn drag(view: &SubtitlesView<'_>, from: egui::Pos2, to: egui::Pos2) -> Vec<UiCommand> {
        let button = |pos, pressed| egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        let mid = from + (to - from) * 0.5;
        run_frames(
            view,
            vec![
                vec![egui::Event::PointerMoved(from)],
                vec![button(from, true)],
                vec![egui::Event::PointerMoved(mid)],
                vec![egui::Event::PointerMoved(to)],
                vec![button(to, false)],
                vec![],
            ],
        )
    }

    #[test]
    fn dragging_a_cue_moves_it_and_dragging_its_end_retimes_it() {
        let tracks = SubtitleTracks {
            tracks: demo_tracks(),
            ..Default::default()
        };
        let audio = ReferenceAudio::default();
        let settings = SubtitleSettings {
            snap: false,
            ..Default::default()
        };
        let view = SubtitlesView {
            tracks: &tracks,
            audio: &audio,
            settings: &settings,
            playhead_ms: 0,
            rate: mocap_data::FrameRate::FPS_120,
        };
        // 1000 px for 10 s: 10 ms per point. en cue 1 (3000–6200 ms) spans x 400–720 in the
        // first lane (y 100–118).
        let cmds = drag(&view, egui::pos2(550.0, 109.0), egui::pos2(600.0, 109.0));
        assert!(
            cmds.contains(&sub(SubtitleCommand::Move {
                lang: "en".into(),
                index: 1,
                delta_ms: 500,
            })),
            "{cmds:?}"
        );
        let cmds = drag(&view, egui::pos2(718.0, 109.0), egui::pos2(738.0, 109.0));
        assert!(
            cmds.contains(&sub(SubtitleCommand::RetimeEnd {
                lang: "en".into(),
                index: 1,
                ms: 6400,
            })),
            "{cmds:?}"
        );
        // The second lane is zh-Hans.
        let cmds = drag(&view, egui::pos2(402.0, 129.0), egui::pos2(392.0, 129.0));
        assert!(
            cmds.contains(&sub(SubtitleCommand::RetimeStart {
                lang: "zh-Hans".into(),
                index: 1,
                ms: 2900,
            })),
            "{cmds:?}"
        );
    }

    /// Runs `frames` of input events over the lanes; returns every command emitted.
    fn run_frames(view: &SubtitlesView<'_>, frames: Vec<Vec<egui::Event>>) -> Vec<UiCommand> {
        let ctx = egui::Context::default();
        let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1200.0, 400.0));
        let area = egui::Rect::from_min_size(
            egui::pos2(0.0, 100.0),
            egui::vec2(1200.0, lanes_height(view)),
        );
        let mut out = Vec::new();
        for (k, events) in frames.into_iter().enumerate() {
            let input = egui::RawInput {
                screen_rect: Some(screen),
                time: Some(k as f64 * 0.05),
                events,
                ..Default::default()
            };
            let mut full = ctx.run_ui(input, |ui| {
                out.extend(subtitle_lanes_ui(ui, area, 100.0, 1100.0, 10_000.0, view));
            });
            full.textures_delta.clear();
        }
        out
    }

    #[test]
    fn double_click_edits_the_text_inline() {
        let tracks = SubtitleTracks {
            tracks: demo_tracks(),
            ..Default::default()
        };
        let audio = ReferenceAudio::default();
        let settings = SubtitleSettings::default();
        let view = SubtitlesView {
            tracks: &tracks,
            audio: &audio,
            settings: &settings,
            playhead_ms: 0,
            rate: mocap_data::FrameRate::FPS_120,
        };
        let p = egui::pos2(550.0, 109.0);
        let button = |pressed| egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        };
        let ctrl_enter = egui::Event::Key {
            key: egui::Key::Enter,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::COMMAND,
        };
        let cmds = run_frames(
            &view,
            vec![
                vec![egui::Event::PointerMoved(p)],
                vec![button(true)],
                vec![button(false)],
                vec![button(true)],
                vec![button(false)],
                vec![],
                vec![egui::Event::Text(" Now!".into())],
                vec![ctrl_enter],
                vec![],
            ],
        );
        let set = cmds.iter().find_map(|c| match c {
            UiCommand::Subtitles(SubtitleCommand::SetText { lang, index, text }) => {
                Some((lang.clone(), *index, text.clone()))
            }
            _ => None,
        });
        let (lang, index, text) = set.unwrap_or_else(|| panic!("no SetText in {cmds:?}"));
        assert_eq!((lang.as_str(), index), ("en", 1));
        assert!(text.contains("Now!"), "{text:?}");
        assert!(
            text.contains("Start walking towards the camera"),
            "{text:?}"
        );
        assert!(cmds.contains(&sub(SubtitleCommand::Select(Some(("en".into(), 1))))));
    }

    #[test]
    fn times_format_as_clock() {
        assert_eq!(format_ms(3_723_045), "01:02:03.045");
        assert_eq!(format_ms(-1500), "-00:00:01.500");
    }
}
