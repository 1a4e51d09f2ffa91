//! Subtitle lanes on the timeline: one lane of cues per visible language and the reference audio's waveform; drag to move or retime, double-click to edit.

#[allow(unused_imports)]
use super::*;

/// Height of one language lane, points.
pub const SUB_LANE_H: f32 = 20.0;

/// Height of the waveform lane, points.
pub const WAVE_LANE_H: f32 = 36.0;

/// Width of the grab zone at each end of a cue block, points.
pub(crate) const EDGE_W: f32 = 5.0;

/// Total height of the subtitle and waveform lanes, points.
pub fn lanes_height(v: &SubtitlesView<'_>) -> f32 {
    v.tracks.tracks.len() as f32 * SUB_LANE_H
        + if v.audio.clip.is_some() {
            WAVE_LANE_H
        } else {
            0.0
        }
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
pub(crate) fn lane_cues(
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
        let cx = CueCtx {
            lang,
            index: i,
            start_ms: s,
            end_ms: e,
            block,
            id: egui::Id::new(("sub-cue", lang, i)),
            px_per_ms,
            x_of,
            v,
        };
        let (body, start_edge, end_edge) = cue_responses(ui, &cx);
        let issues: Vec<&::subtitles::qc::Issue> =
            lt.issues.iter().filter(|x| x.cue_index == i).collect();
        let text = plain_text(&lt.track, i).replace('\n', " ");
        paint_cue(ui, &painter, &cx, &text, !issues.is_empty());
        // Dragging: body moves, edges retime; the preview shows the snapped result.
        for (resp, part) in [
            (&body, Part::Body),
            (&start_edge, Part::Start),
            (&end_edge, Part::End),
        ] {
            out.extend(cue_drag(ui, resp, part, &cx));
        }
        if body.clicked() {
            out.push(sub(SubtitleCommand::Select(Some((lang.to_string(), i)))));
        }
        if body.double_clicked() {
            open_editor(ui, lang, i, &cue.text, block.left_bottom());
        }
        cue_context_menu(&body, &cx, lt, &cue.text, &mut out);
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

/// One cue block on a lane: where it is and what the lane's interactions need.
struct CueCtx<'a> {
    lang: &'a str,
    /// The cue's index in its track.
    index: usize,
    /// The cue's start and end, milliseconds from the take's first frame.
    start_ms: i64,
    end_ms: i64,
    /// The block's rectangle, screen points.
    block: egui::Rect,
    id: egui::Id,
    /// Horizontal scale, screen points per millisecond.
    px_per_ms: f64,
    /// Screen x (points) of a time in milliseconds.
    x_of: &'a dyn Fn(i64) -> f32,
    v: &'a SubtitlesView<'a>,
}

/// The block's body (click, drag) and its two edges (drag to retime), with the resize cursor.
fn cue_responses(
    ui: &mut egui::Ui,
    cx: &CueCtx<'_>,
) -> (egui::Response, egui::Response, egui::Response) {
    let (block, id) = (cx.block, cx.id);
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
    if start_edge.hovered() || end_edge.hovered() || start_edge.dragged() || end_edge.dragged() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
    }
    (body, start_edge, end_edge)
}

/// Fill, outline (red with QC issues, yellow when selected) and text of a cue block.
fn paint_cue(
    ui: &egui::Ui,
    painter: &egui::Painter,
    cx: &CueCtx<'_>,
    text: &str,
    has_issues: bool,
) {
    let block = cx.block;
    let selected =
        cx.v.tracks
            .selected
            .as_ref()
            .is_some_and(|(l, k)| l == cx.lang && *k == cx.index);
    let fill = if selected {
        egui::Color32::from_rgb(90, 130, 210)
    } else {
        egui::Color32::from_rgb(60, 95, 160)
    };
    painter.rect_filled(block, 2.0, fill);
    let stroke = if has_issues {
        egui::Stroke::new(1.5, egui::Color32::from_rgb(235, 87, 87))
    } else if selected {
        egui::Stroke::new(1.5, egui::Color32::from_rgb(255, 214, 90))
    } else {
        egui::Stroke::new(1.0, egui::Color32::from_rgb(110, 150, 220))
    };
    painter.rect_stroke(block, 2.0, stroke, egui::StrokeKind::Inside);
    if block.width() > 14.0 {
        ui.painter_at(block.shrink(2.0)).text(
            egui::pos2(block.left() + 4.0, block.center().y),
            egui::Align2::LEFT_CENTER,
            text,
            egui::FontId::proportional(11.0),
            egui::Color32::WHITE,
        );
    }
}

/// A drag of the body or an edge: the snapped preview while dragging, the move or retime command
/// when the drag ends.
fn cue_drag(
    ui: &mut egui::Ui,
    resp: &egui::Response,
    part: Part,
    cx: &CueCtx<'_>,
) -> Option<UiCommand> {
    let (s, e, v) = (cx.start_ms, cx.end_ms, cx.v);
    let key = cx.id.with("drag-origin");
    // The drag starts once the pointer has moved a few points: measure from the press.
    if resp.drag_started()
        && let Some(p) = ui
            .input(|i| i.pointer.press_origin())
            .or(resp.interact_pointer_pos())
    {
        ui.data_mut(|d| d.insert_temp(key, p.x));
    }
    if !(resp.dragged() || resp.drag_stopped()) {
        return None;
    }
    let origin = ui.data(|d| d.get_temp::<f32>(key))?;
    let px = ui
        .input(|inp| inp.pointer.interact_pos())
        .map_or(origin, |p| p.x);
    let delta_ms = ((px - origin) as f64 / cx.px_per_ms).round() as i64;
    let targets = snap_targets(v.tracks, v.audio, v.settings, cx.lang, Some(cx.index));
    let tol = v.settings.tolerance_ms;
    let snap_at = |t: i64| {
        if v.settings.snap {
            snap_time(t, &targets, tol).map_or((t, None), |(t, k)| (t, Some(k)))
        } else {
            (t, None)
        }
    };
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
            let (t, k) = snap_at(s + delta_ms);
            (t, e, k)
        }
        Part::End => {
            let (t, k) = snap_at(e + delta_ms);
            (s, t, k)
        }
    };
    let x_of = cx.x_of;
    let ghost = egui::Rect::from_min_max(
        egui::pos2(x_of(ns), cx.block.top()),
        egui::pos2(x_of(ne).max(x_of(ns) + 2.0), cx.block.bottom()),
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
    if !resp.drag_stopped() {
        return None;
    }
    ui.data_mut(|d| d.remove::<f32>(key));
    if delta_ms == 0 {
        return None;
    }
    let (lang, index) = (cx.lang.to_string(), cx.index);
    Some(sub(match part {
        Part::Body => SubtitleCommand::Move {
            lang,
            index,
            delta_ms,
        },
        Part::Start => SubtitleCommand::RetimeStart {
            lang,
            index,
            ms: s + delta_ms,
        },
        Part::End => SubtitleCommand::RetimeEnd {
            lang,
            index,
            ms: e + delta_ms,
        },
    }))
}

/// The cue's right-click menu: split at the playhead, merge, edit text, fix QC, go to start.
fn cue_context_menu(
    body: &egui::Response,
    cx: &CueCtx<'_>,
    lt: &LangTrack,
    cue_text: &str,
    out: &mut Vec<UiCommand>,
) {
    let (lang, i, v) = (cx.lang, cx.index, cx.v);
    let inside = cx.start_ms < v.playhead_ms && v.playhead_ms < cx.end_ms;
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
            open_editor(ui, lang, i, cue_text, cx.block.left_bottom());
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
            out.push(seek_ms(v.rate, cx.start_ms));
            ui.close();
        }
    });
}

pub(crate) fn editor_id() -> egui::Id {
    egui::Id::new("subtitle-cue-editor")
}

pub(crate) fn open_editor(ui: &egui::Ui, lang: &str, index: usize, text: &str, at: egui::Pos2) {
    let state: EditorState = (lang.to_string(), index, text.to_string(), at);
    ui.data_mut(|d| d.insert_temp(editor_id(), state));
}

/// The inline cue text editor (a small window at the cue), when open.
pub(crate) fn text_editor(ui: &egui::Ui) -> Option<UiCommand> {
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
