//! Subtitle panels: the per-language lanes under the timeline (drag to move, drag edges to
//! retime, right-click to split / merge / fix, double-click to edit the text), the reference
//! audio's waveform lane, and the Subtitles tab's side-by-side table with QC flags.
//!
//! Like every panel these are pure functions of a [`SubtitlesView`] returning
//! [`UiCommand`]s; the edits are applied by [`crate::subtitles`] through the undo stack.
//! Times are milliseconds of programme time (take frame 0 = 0 ms).

use ::subtitles::snap::{snap_move, snap_time};
use bevy_egui::egui;

use crate::playback::PlaybackCommand;
use crate::subtitles::{
    LangTrack, ReferenceAudio, SubtitleCommand, SubtitleSettings, SubtitleTracks, plain_text,
    snap_kind_label, snap_targets,
};
use crate::ui::UiCommand;

/// Height of one language lane, points.
pub const SUB_LANE_H: f32 = 20.0;
/// Height of the waveform lane, points.
pub const WAVE_LANE_H: f32 = 36.0;
/// Width of the grab zone at each end of a cue block, points.
const EDGE_W: f32 = 5.0;

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

/// Total height of the subtitle and waveform lanes, points.
pub fn lanes_height(v: &SubtitlesView<'_>) -> f32 {
    v.tracks.tracks.len() as f32 * SUB_LANE_H
        + if v.audio.clip.is_some() {
            WAVE_LANE_H
        } else {
            0.0
        }
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

/// The lanes under the timeline, drawn in `area` (full timeline width; the name column is left
/// of `x0`). `x0`..`x1` spans 0..`span_ms`.
pub fn subtitle_lanes_ui(
    ui: &mut egui::Ui,
    area: egui::Rect,
    x0: f32,
    x1: f32,
    span_ms: f64,
    v: &SubtitlesView<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    if span_ms <= 0.0 || x1 <= x0 {
        return out;
    }
    let px_per_ms = (x1 - x0) as f64 / span_ms;
    let x_of = |ms: i64| x0 + (ms as f64 * px_per_ms) as f32;
    let painter = ui.painter_at(area);
    let text_col = ui.visuals().text_color();
    let mut y = area.top();
    for lt in &v.tracks.tracks {
        let lane = egui::Rect::from_min_max(
            egui::pos2(area.left(), y),
            egui::pos2(area.right(), y + SUB_LANE_H - 2.0),
        );
        painter.rect_filled(lane, 0.0, ui.visuals().faint_bg_color);
        let eye = if lt.visible { "👁 " } else { "" };
        painter.text(
            egui::pos2(area.left() + 6.0, lane.center().y),
            egui::Align2::LEFT_CENTER,
            format!("{eye}{}", lt.lang),
            egui::FontId::proportional(11.0),
            text_col,
        );
        out.extend(lane_cues(ui, lane, x0, x1, px_per_ms, &x_of, lt, v));
        y += SUB_LANE_H;
    }
    if let Some(clip) = &v.audio.clip {
        let lane = egui::Rect::from_min_max(
            egui::pos2(area.left(), y),
            egui::pos2(area.right(), y + WAVE_LANE_H - 2.0),
        );
        painter.rect_filled(lane, 0.0, ui.visuals().faint_bg_color);
        painter
            .text(
                egui::pos2(area.left() + 6.0, lane.center().y),
                egui::Align2::LEFT_CENTER,
                "🔊 Audio",
                egui::FontId::proportional(11.0),
                text_col,
            )
            .width();
        for (a, b) in &clip.speech_ms {
            let r = egui::Rect::from_min_max(
                egui::pos2(x_of(*a).max(x0), lane.top()),
                egui::pos2(x_of(*b).min(x1), lane.bottom()),
            );
            if r.width() > 0.0 {
                painter.rect_filled(
                    r,
                    0.0,
                    egui::Color32::from_rgba_unmultiplied(90, 200, 120, 28),
                );
            }
        }
        let width_px = (x1 - x0).max(1.0) as usize;
        let peaks = clip.peaks.range(0, span_ms.round() as i64, width_px);
        let mid = lane.center().y;
        let half = lane.height() * 0.5 - 1.0;
        let colour = egui::Color32::from_rgb(120, 200, 150);
        for (i, (lo, hi)) in peaks.iter().enumerate() {
            let x = x0 + i as f32 + 0.5;
            let (top, bottom) = (
                mid - hi.clamp(-1.0, 1.0) * half,
                mid - lo.clamp(-1.0, 1.0) * half,
            );
            painter.line_segment(
                [egui::pos2(x, top), egui::pos2(x, bottom.max(top + 1.0))],
                egui::Stroke::new(1.0, colour),
            );
        }
        let hover = ui.rect_contains_pointer(lane);
        if hover {
            egui::Tooltip::always_open(
                ui.ctx().clone(),
                ui.layer_id(),
                egui::Id::new("wave-tip"),
                egui::PopupAnchor::Pointer,
            )
            .show(|ui| {
                ui.label(format!(
                    "Reference audio: {} · {:.1} s · {} speech regions (green; snapping targets). Click to scrub (silent); plays with the clock at 1× forward.",
                    clip.name,
                    clip.peaks.duration_ms() as f64 / 1000.0,
                    clip.speech_ms.len()
                ));
            });
        }
    }
    out.extend(text_editor(ui));
    out
}

/// The cue blocks of one lane, with their interactions.
fn lane_cues(
    ui: &mut egui::Ui,
    lane: egui::Rect,
    x0: f32,
    x1: f32,
    px_per_ms: f64,
    x_of: &dyn Fn(i64) -> f32,
    lt: &LangTrack,
    v: &SubtitlesView<'_>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let painter =
        ui.painter_at(lane.intersect(egui::Rect::from_x_y_ranges(x0..=x1, lane.y_range())));
    let lang = lt.lang.as_str();
    for (i, cue) in lt.track.cues.iter().enumerate() {
        let (s, e) = (cue.start_ms(), cue.end_ms());
        let block = egui::Rect::from_min_max(
            egui::pos2(x_of(s), lane.top() + 1.0),
            egui::pos2(x_of(e).max(x_of(s) + 3.0), lane.bottom() - 1.0),
        );
        if block.right() < x0 || block.left() > x1 {
            continue;
        }
        let id = egui::Id::new(("sub-cue", lang, i));
        let body = ui.interact(block, id.with("body"), egui::Sense::click_and_drag());
        let edge_w = EDGE_W.min(block.width() / 3.0);
        let start_edge = ui.interact(
            egui::Rect::from_min_size(block.min, egui::vec2(edge_w, block.height())),
            id.with("start"),
            egui::Sense::drag(),
        );
        let end_edge = ui.interact(
            egui::Rect::from_min_max(egui::pos2(block.right() - edge_w, block.top()), block.max),
            id.with("end"),
            egui::Sense::drag(),
        );
        if start_edge.hovered() || end_edge.hovered() || start_edge.dragged() || end_edge.dragged()
        {
            ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
        }
        let issues: Vec<&::subtitles::qc::Issue> =
            lt.issues.iter().filter(|x| x.cue_index == i).collect();
        let selected = v
            .tracks
            .selected
            .as_ref()
            .is_some_and(|(l, k)| l == lang && *k == i);
        let fill = if selected {
            egui::Color32::from_rgb(90, 130, 210)
        } else {
            egui::Color32::from_rgb(60, 95, 160)
        };
        painter.rect_filled(block, 2.0, fill);
        let stroke = if !issues.is_empty() {
            egui::Stroke::new(1.5, egui::Color32::from_rgb(235, 87, 87))
        } else if selected {
            egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 214, 90))
        } else {
            egui::Stroke::new(1.0, egui::Color32::from_rgb(110, 150, 220))
        };
        painter.rect_stroke(block, 2.0, stroke, egui::StrokeKind::Inside);
        let text = plain_text(&lt.track, i).replace('\n', " ");
        if block.width() > 14.0 {
            ui.painter_at(block.shrink(2.0)).text(
                egui::pos2(block.left() + 4.0, block.center().y),
                egui::Align2::LEFT_CENTER,
                &text,
                egui::FontId::proportional(11.0),
                egui::Color32::WHITE,
            );
        }
        // Dragging: body moves, edges retime; the preview shows the snapped result.
        for (resp, part) in [
            (&body, Part::Body),
            (&start_edge, Part::Start),
            (&end_edge, Part::End),
        ] {
            let key = id.with("drag-origin");
            // The drag starts once the pointer has moved a few points: measure from the press.
            if resp.drag_started()
                && let Some(p) = ui
                    .input(|i| i.pointer.press_origin())
                    .or(resp.interact_pointer_pos())
            {
                ui.data_mut(|d| d.insert_temp(key, p.x));
            }
            if !(resp.dragged() || resp.drag_stopped()) {
                continue;
            }
            let Some(origin) = ui.data(|d| d.get_temp::<f32>(key)) else {
                continue;
            };
            let px = ui
                .input(|inp| inp.pointer.interact_pos())
                .map_or(origin, |p| p.x);
            let delta_ms = ((px - origin) as f64 / px_per_ms).round() as i64;
            let targets = snap_targets(v.tracks, v.audio, v.settings, lang, Some(i));
            let tol = v.settings.tolerance_ms;
            let (ns, ne, kind) = match part {
                Part::Body => {
                    let (d, k) = if v.settings.snap {
                        snap_move(s, e, delta_ms, &targets, tol)
                            .map_or((delta_ms, None), |(d, k)| (d, Some(k)))
                    } else {
                        (delta_ms, None)
                    };
                    (s + d, e + d, k)
                }
                Part::Start => {
                    let (t, k) = if v.settings.snap {
                        snap_time(s + delta_ms, &targets, tol)
                            .map_or((s + delta_ms, None), |(t, k)| (t, Some(k)))
                    } else {
                        (s + delta_ms, None)
                    };
                    (t, e, k)
                }
                Part::End => {
                    let (t, k) = if v.settings.snap {
                        snap_time(e + delta_ms, &targets, tol)
                            .map_or((e + delta_ms, None), |(t, k)| (t, Some(k)))
                    } else {
                        (e + delta_ms, None)
                    };
                    (s, t, k)
                }
            };
            let ghost = egui::Rect::from_min_max(
                egui::pos2(x_of(ns), block.top()),
                egui::pos2(x_of(ne).max(x_of(ns) + 2.0), block.bottom()),
            );
            ui.painter().rect_stroke(
                ghost,
                2.0,
                egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 214, 90)),
                egui::StrokeKind::Outside,
            );
            let label = format!(
                "{} – {}{}",
                format_ms(ns),
                format_ms(ne),
                kind.map_or(String::new(), |k| format!("  ⟶ {}", snap_kind_label(k)))
            );
            ui.painter().text(
                ghost.left_top() - egui::vec2(0.0, 2.0),
                egui::Align2::LEFT_BOTTOM,
                label,
                egui::FontId::monospace(10.0),
                egui::Color32::from_rgb(255, 214, 90),
            );
            if resp.drag_stopped() {
                ui.data_mut(|d| d.remove::<f32>(key));
                if delta_ms != 0 {
                    let lang = lang.to_string();
                    out.push(sub(match part {
                        Part::Body => SubtitleCommand::Move {
                            lang,
                            index: i,
                            delta_ms,
                        },
                        Part::Start => SubtitleCommand::RetimeStart {
                            lang,
                            index: i,
                            ms: s + delta_ms,
                        },
                        Part::End => SubtitleCommand::RetimeEnd {
                            lang,
                            index: i,
                            ms: e + delta_ms,
                        },
                    }));
                }
            }
        }
        if body.clicked() {
            out.push(sub(SubtitleCommand::Select(Some((lang.to_string(), i)))));
        }
        if body.double_clicked() {
            open_editor(ui, lang, i, &cue.text, block.left_bottom());
        }
        let inside = s < v.playhead_ms && v.playhead_ms < e;
        body.context_menu(|ui| {
            if ui
                .add_enabled(inside, egui::Button::new("Split at playhead"))
                .on_disabled_hover_text("Put the playhead inside the cue")
                .clicked()
            {
                out.push(sub(SubtitleCommand::Split {
                    lang: lang.to_string(),
                    index: i,
                    at_ms: v.playhead_ms,
                }));
                ui.close();
            }
            if ui
                .add_enabled(
                    i + 1 < lt.track.cues.len(),
                    egui::Button::new("Merge with next"),
                )
                .clicked()
            {
                out.push(sub(SubtitleCommand::Merge {
                    lang: lang.to_string(),
                    index: i,
                }));
                ui.close();
            }
            if ui.button("Edit text…").clicked() {
                open_editor(ui, lang, i, &cue.text, block.left_bottom());
                ui.close();
            }
            let fixable = lt.fixes.iter().any(|f| f.cue_index == i);
            if ui
                .add_enabled(fixable, egui::Button::new("Fix QC issues"))
                .clicked()
            {
                out.push(sub(SubtitleCommand::QcFix {
                    lang: lang.to_string(),
                    index: Some(i),
                }));
                ui.close();
            }
            if ui.button("Go to start").clicked() {
                out.push(seek_ms(v.rate, s));
                ui.close();
            }
        });
        if body.hovered() && !body.dragged() {
            body.on_hover_ui_at_pointer(|ui| {
                ui.label(format!("{lang} #{} {} – {}", cue.id, format_ms(s), format_ms(e)));
                ui.label(&text);
                for x in &issues {
                    ui.colored_label(egui::Color32::from_rgb(235, 87, 87), &x.message);
                }
                ui.weak("Drag to move, drag an edge to retime, double-click to edit, right-click for split / merge / fix.");
            });
        }
    }
    out
}

/// The inline text editor's state: (language, cue index, text, where).
type EditorState = (String, usize, String, egui::Pos2);

fn editor_id() -> egui::Id {
    egui::Id::new("subtitle-cue-editor")
}

fn open_editor(ui: &egui::Ui, lang: &str, index: usize, text: &str, at: egui::Pos2) {
    let state: EditorState = (lang.to_string(), index, text.to_string(), at);
    ui.data_mut(|d| d.insert_temp(editor_id(), state));
}

/// The inline cue text editor (a small window at the cue), when open.
fn text_editor(ui: &egui::Ui) -> Option<UiCommand> {
    let mut state: EditorState = ui.data(|d| d.get_temp(editor_id()))?;
    let mut done = None;
    egui::Area::new(editor_id().with("area"))
        .fixed_pos(state.3)
        .order(egui::Order::Foreground)
        .show(ui.ctx(), |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.label(format!("{} cue {}", state.0, state.1 + 1));
                // Taken before the text field sees them (Enter alone inserts a line break).
                let ctrl_enter =
                    ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
                let escape =
                    ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape));
                let r = ui.add(
                    egui::TextEdit::multiline(&mut state.2)
                        .desired_rows(2)
                        .desired_width(320.0),
                );
                r.request_focus();
                ui.horizontal(|ui| {
                    if ui.button("OK (Ctrl+Enter)").clicked() || ctrl_enter {
                        done = Some(true);
                    }
                    if ui.button("Cancel (Esc)").clicked() || escape {
                        done = Some(false);
                    }
                });
            });
        });
    match done {
        None => {
            ui.data_mut(|d| d.insert_temp(editor_id(), state));
            None
        }
        Some(commit) => {
            ui.data_mut(|d| d.remove::<EditorState>(editor_id()));
            commit.then(|| {
                sub(SubtitleCommand::SetText {
                    lang: state.0,
                    index: state.1,
                    text: state.2,
                })
            })
        }
    }
}

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
    ui.separator();
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
    out
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
    let mut s = ui
        .data_mut(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| text.to_string());
    let r = ui.add_sized(
        egui::vec2(COL_TEXT - 4.0, ROW_H - 4.0),
        egui::TextEdit::multiline(&mut s)
            .id(id.with("edit"))
            .desired_rows(2),
    );
    if r.changed() {
        ui.data_mut(|d| d.insert_temp(id, s.clone()));
    }
    if !r.lost_focus() {
        return None;
    }
    ui.data_mut(|d| d.remove::<String>(id));
    (s != text).then(|| {
        sub(SubtitleCommand::SetText {
            lang: t.lang.clone(),
            index,
            text: s,
        })
    })
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
