//! Timeline: timecode display, lanes under the ruler, and the timeline panel.
//!
//! The panel is a pure function of a [`TimelineView`] returning [`UiCommand`]s; it never touches
//! the ECS. Lanes are computed once per take ([`TimelineLanes`]), not per frame.

use crate::model::lanes::{DisplayRate, Lane, LaneSpanDrag, timecode_at};
use bevy::prelude::*;
use bevy_egui::egui;
use mocap_data::{FrameIndex, FrameRate, Timecode};

use crate::model::commands::MAX_SPEED;
use crate::model::commands::MIN_SPEED;
use crate::model::commands::PlaybackCommand;
use crate::model::commands::UiCommand;
use crate::model::edit::EditCommand;
use crate::model::session::Take;

/// Builds one lane from a take, or `None` when the take has nothing for it.
pub type LaneBuilder = fn(&Take) -> Option<Lane>;

/// The lane mechanism: builders registered by plugins, run top to bottom whenever the session
/// changes. Later issues add review notes, subtitles and audio lanes with
/// [`LaneRegistry::register`] from their own plugins; the timeline panel draws whatever is built.
#[derive(Resource, Debug, Clone)]
pub struct LaneRegistry {
    /// Builders in display order.
    pub builders: Vec<LaneBuilder>,
}

impl Default for LaneRegistry {
    fn default() -> Self {
        Self {
            builders: vec![gaps_lane, events_lane, crate::face::face_lane],
        }
    }
}

impl LaneRegistry {
    /// Adds a lane below the existing ones.
    pub fn register(&mut self, builder: LaneBuilder) {
        self.builders.push(builder);
    }

    /// Runs every builder on `take`.
    pub fn build(&self, take: &Take) -> Vec<Lane> {
        self.builders.iter().filter_map(|b| b(take)).collect()
    }
}

/// The default lanes (marker gaps, events) for a take.
pub fn build_lanes(take: &Take) -> Vec<Lane> {
    LaneRegistry::default().build(take)
}

/// Marker gaps: one span per gap of any marker.
pub fn gaps_lane(take: &Take) -> Option<Lane> {
    let m = take.markers.as_ref()?;
    let n = m.marker_count();
    let mut spans = Vec::new();
    let fc = m.frame_count();
    for k in 0..n {
        let mut push = |s: usize, e: usize| {
            spans.push((
                s,
                e,
                [235, 87, 87],
                format!("{}: gap of {} frames ({s}–{e})", m.labels[k], e + 1 - s),
            ));
        };
        let mut start: Option<usize> = None;
        for f in 0..fc {
            match (m.frame_valid(f)[k], start) {
                (false, None) => start = Some(f),
                (true, Some(s)) => {
                    push(s, f - 1);
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            push(s, fc - 1);
        }
    }
    spans.sort_by_key(|s| s.0);
    Some(Lane {
        name: format!("Gaps ({})", spans.len()),
        spans,
        ticks: Vec::new(),
        edit_key: None,
    })
}

/// Events (foot strikes, …) as ticks, coloured by side.
pub fn events_lane(take: &Take) -> Option<Lane> {
    if take.events.is_empty() {
        return None;
    }
    let ticks = take
        .events
        .iter()
        .map(|e| {
            let f = take.rate.seconds_to_frame_round(e.time_s).max(0) as usize;
            let colour = match (e.context.as_str(), e.label.as_str()) {
                ("Left", "Foot Strike") => [90, 160, 255],
                ("Left", _) => [150, 200, 255],
                ("Right", "Foot Strike") => [255, 140, 60],
                ("Right", _) => [255, 200, 140],
                _ => [230, 230, 120],
            };
            (
                f,
                colour,
                format!("{} {} @ {:.3} s", e.context, e.label, e.time_s),
            )
        })
        .collect();
    Some(Lane {
        name: "Events".into(),
        spans: Vec::new(),
        ticks,
        edit_key: None,
    })
}

/// Everything the timeline panel shows (a snapshot; the panel never reads the ECS).
#[derive(Debug, Clone)]
pub struct TimelineView<'a> {
    /// Current frame.
    pub frame: FrameIndex,
    /// Frames in the take (0 = nothing loaded).
    pub frame_count: usize,
    /// Take sampling rate.
    pub rate: FrameRate,
    /// In point, if set.
    pub in_frame: Option<FrameIndex>,
    /// Out point, if set.
    pub out_frame: Option<FrameIndex>,
    /// Whether the clock runs.
    pub playing: bool,
    /// Speed magnitude.
    pub speed: f64,
    /// +1 / −1.
    pub direction: f64,
    /// Loop on.
    pub looping: bool,
    /// Timecode of the current frame, formatted.
    pub timecode: String,
    /// Timecode display rate.
    pub display_rate: DisplayRate,
    /// Show frame numbers on the ruler instead of timecode.
    pub show_frames: bool,
    /// Lanes under the ruler.
    pub lanes: Vec<&'a Lane>,
    /// Start timecode of the take (for labels).
    pub start_timecode: Option<Timecode>,
    /// Subtitle lanes and the reference audio's waveform, drawn below the lanes.
    pub subtitles: Option<crate::subtitles::panel::SubtitlesView<'a>>,
}

const LANE_H: f32 = 16.0;
const RULER_H: f32 = 24.0;
const NAME_W: f32 = 96.0;

/// The timeline panel: transport bar, ruler with scrubbing, lanes.
pub fn timeline_ui(ui: &mut egui::Ui, v: &TimelineView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let pb = |c: PlaybackCommand| UiCommand::Playback(c);
    transport_bar(ui, v, &mut out);
    if v.frame_count == 0 {
        ui.weak("No take loaded. File → Open…, drop files here, or File → Demo take.");
        return out;
    }
    let sub_h = v
        .subtitles
        .as_ref()
        .map_or(0.0, crate::subtitles::panel::lanes_height);
    let height = RULER_H + LANE_H * v.lanes.len() as f32 + sub_h + 6.0;
    let (rect, response) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), height.max(ui.available_height())),
        egui::Sense::click_and_drag(),
    );
    let painter = ui.painter_at(rect);
    let g = Geometry {
        rect,
        track: egui::Rect::from_min_max(
            egui::pos2(rect.left() + NAME_W, rect.top()),
            egui::pos2(rect.right() - 8.0, rect.bottom()),
        ),
        last: v.frame_count.saturating_sub(1).max(1),
    };
    let (track, last) = (g.track, g.last);
    let x_of = |f: f32| g.x_of(f);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    // In/out range shading.
    let (a, b) = (v.in_frame.unwrap_or(0), v.out_frame.unwrap_or(last));
    let range_rect = egui::Rect::from_min_max(
        egui::pos2(x_of(a as f32), rect.top()),
        egui::pos2(x_of(b as f32), rect.bottom()),
    );
    painter.rect_filled(
        range_rect,
        0.0,
        egui::Color32::from_rgba_unmultiplied(80, 140, 255, 22),
    );
    paint_ruler(&painter, ui.visuals().text_color(), &g, v);
    let lane_tip = paint_lanes(&painter, ui.visuals(), &g, v, response.hover_pos());
    if let Some(s) = &v.subtitles {
        let top = rect.top() + RULER_H + LANE_H * v.lanes.len() as f32;
        let area = egui::Rect::from_min_max(
            egui::pos2(rect.left(), top),
            egui::pos2(rect.right(), top + sub_h),
        );
        let span_ms = v.rate.frames_to_seconds(last as i64) * 1000.0;
        out.extend(crate::subtitles::panel::subtitle_lanes_ui(
            ui,
            area,
            track.left(),
            track.right(),
            span_ms,
            s,
        ));
    }
    paint_playhead(&painter, &g, v.frame);
    if let Some(t) = lane_tip {
        response.clone().on_hover_text_at_pointer(t);
    }
    if lane_span_drag(ui, &response, &painter, &g, v, &mut out) {
        return out;
    }
    // Scrubbing.
    if (response.dragged() || response.clicked())
        && let Some(p) = response.interact_pointer_pos()
    {
        let t = ((p.x - track.left()) / track.width()).clamp(0.0, 1.0);
        let frame = (t * last as f32).round() as usize;
        if frame != v.frame || response.drag_started() {
            out.push(pb(PlaybackCommand::Seek(frame)));
        }
        if response.drag_started() && v.playing {
            out.push(pb(PlaybackCommand::Pause));
        }
    }
    out
}

/// Transport: go to in/out, step, play, loop, timecode and frame, speed, in/out points, the
/// timecode rate and the ruler's units. Fixed widths: the toolbar never shifts under the pointer.
fn transport_bar(ui: &mut egui::Ui, v: &TimelineView<'_>, out: &mut Vec<UiCommand>) {
    let pb = |c: PlaybackCommand| UiCommand::Playback(c);
    ui.horizontal_wrapped(|ui| {
        let icon = |s: &str| egui::RichText::new(s).size(15.0);
        if ui
            .button(icon("⏮"))
            .on_hover_text("Go to in point (Home)")
            .clicked()
        {
            out.push(pb(PlaybackCommand::GoToStart));
        }
        if ui
            .button(icon("⏴"))
            .on_hover_text("Previous frame (←)")
            .clicked()
        {
            out.push(pb(PlaybackCommand::Step(-1)));
        }
        let play_label = if v.playing { "⏸" } else { "▶" };
        // Fixed widths and always-present buttons: the toolbar never shifts under the pointer.
        if ui
            .add(egui::Button::new(icon(play_label)).min_size(egui::vec2(30.0, 0.0)))
            .on_hover_text("Play / pause (Space); J/K/L shuttle")
            .clicked()
        {
            out.push(pb(PlaybackCommand::TogglePlay));
        }
        if ui
            .button(icon("⏵"))
            .on_hover_text("Next frame (→)")
            .clicked()
        {
            out.push(pb(PlaybackCommand::Step(1)));
        }
        if ui
            .button(icon("⏭"))
            .on_hover_text("Go to out point (End)")
            .clicked()
        {
            out.push(pb(PlaybackCommand::GoToEnd));
        }
        let mut looping = v.looping;
        if ui
            .toggle_value(&mut looping, "🔁 Loop")
            .on_hover_text("Loop between in and out")
            .changed()
        {
            out.push(pb(PlaybackCommand::SetLoop(looping)));
        }
        ui.separator();
        ui.label(
            egui::RichText::new(&v.timecode)
                .monospace()
                .size(16.0)
                .strong(),
        )
        .on_hover_text(format!("Timecode at {} fps", v.display_rate.label()));
        ui.label(
            egui::RichText::new(format!(
                "{:>5} / {}",
                v.frame,
                v.frame_count.saturating_sub(1)
            ))
            .monospace(),
        )
        .on_hover_text(format!("Frame (take rate {} Hz)", v.rate));
        ui.separator();
        let mut speed = v.speed;
        let reverse = v.direction < 0.0;
        ui.add_sized(
            egui::vec2(14.0, ui.spacing().interact_size.y),
            egui::Label::new(if reverse { "◀" } else { "" }),
        )
        .on_hover_text("Playing backwards (J)");
        ui.label("Speed");
        if ui
            .add(
                egui::Slider::new(&mut speed, MIN_SPEED..=MAX_SPEED)
                    .logarithmic(true)
                    .max_decimals(2)
                    .suffix("×"),
            )
            .changed()
        {
            out.push(pb(PlaybackCommand::SetSpeed(speed)));
        }
        ui.separator();
        if ui
            .button("In")
            .on_hover_text("Set in point at the current frame (I)")
            .clicked()
        {
            out.push(UiCommand::Edit(EditCommand::SetInPoint(Some(v.frame))));
        }
        if ui
            .button("Out")
            .on_hover_text("Set out point at the current frame (O)")
            .clicked()
        {
            out.push(UiCommand::Edit(EditCommand::SetOutPoint(Some(v.frame))));
        }
        if ui
            .add_enabled(
                v.in_frame.is_some() || v.out_frame.is_some(),
                egui::Button::new("Clear range"),
            )
            .clicked()
        {
            out.push(UiCommand::Edit(EditCommand::SetInPoint(None)));
            out.push(UiCommand::Edit(EditCommand::SetOutPoint(None)));
        }
        ui.separator();
        let mut rate = v.display_rate;
        egui::ComboBox::from_id_salt("tc_rate")
            .width(72.0)
            .selected_text(format!("TC {}", rate.label()))
            .show_ui(ui, |ui| {
                for r in DisplayRate::ALL {
                    ui.selectable_value(&mut rate, r, r.label());
                }
            });
        if rate != v.display_rate {
            out.push(UiCommand::SetDisplayRate(rate));
        }
        let mut frames = v.show_frames;
        if ui
            .toggle_value(&mut frames, "# Frames")
            .on_hover_text("Ruler in frame numbers instead of timecode")
            .changed()
        {
            out.push(UiCommand::SetShowFrames(frames));
        }
    });
}

/// Where the timeline draws: the whole widget, the track right of the lane names, the last frame.
struct Geometry {
    /// The timeline widget, screen points.
    rect: egui::Rect,
    /// The frame axis: right of the lane names, screen points.
    track: egui::Rect,
    /// The take's last frame index (at least 1).
    last: usize,
}

impl Geometry {
    /// Screen x (points) of frame `f`.
    fn x_of(&self, f: f32) -> f32 {
        self.track.left() + self.track.width() * f / self.last as f32
    }
}

/// Ruler ticks and labels (timecode or frame numbers): the smallest step that keeps labels apart.
fn paint_ruler(
    painter: &egui::Painter,
    text_col: egui::Color32,
    g: &Geometry,
    v: &TimelineView<'_>,
) {
    let (rect, track, last) = (g.rect, g.track, g.last);
    let x_of = |f: f32| g.x_of(f);
    let px_per_frame = track.width() / last as f32;
    let steps = [
        1usize, 2, 5, 10, 12, 24, 30, 60, 120, 240, 600, 1200, 2400, 6000, 12000,
    ];
    let step = steps
        .iter()
        .copied()
        // Leave room for the longest label ("00:00:00;00" or a frame number).
        .find(|s| *s as f32 * px_per_frame >= if v.show_frames { 56.0 } else { 96.0 })
        .unwrap_or(24000);
    let mut f = 0;
    while f <= last {
        let x = x_of(f as f32);
        painter.line_segment(
            [egui::pos2(x, rect.top()), egui::pos2(x, rect.top() + 8.0)],
            egui::Stroke::new(1.0, text_col.gamma_multiply(0.6)),
        );
        let label = if v.show_frames {
            f.to_string()
        } else if let Some(start) = v.start_timecode {
            timecode_at(f, v.rate, start, v.display_rate).to_string()
        } else {
            f.to_string()
        };
        painter.text(
            egui::pos2(x + 3.0, rect.top() + 9.0),
            egui::Align2::LEFT_TOP,
            label,
            egui::FontId::monospace(10.0),
            text_col.gamma_multiply(0.8),
        );
        // Minor ticks.
        if step >= 5 {
            for k in 1..5 {
                let mf = f + step * k / 5;
                if mf > last {
                    break;
                }
                let mx = x_of(mf as f32);
                painter.line_segment(
                    [egui::pos2(mx, rect.top()), egui::pos2(mx, rect.top() + 4.0)],
                    egui::Stroke::new(1.0, text_col.gamma_multiply(0.3)),
                );
            }
        }
        f += step;
    }
}

/// The lanes' names, spans and ticks; returns the tooltip of what the pointer is over.
fn paint_lanes(
    painter: &egui::Painter,
    visuals: &egui::Visuals,
    g: &Geometry,
    v: &TimelineView<'_>,
    hover: Option<egui::Pos2>,
) -> Option<String> {
    let rect = g.rect;
    let x_of = |f: f32| g.x_of(f);
    let text_col = visuals.text_color();
    let mut lane_tip: Option<String> = None;
    for (i, lane) in v.lanes.iter().enumerate() {
        let y0 = rect.top() + RULER_H + i as f32 * LANE_H;
        let lane_rect = egui::Rect::from_min_max(
            egui::pos2(rect.left(), y0),
            egui::pos2(rect.right(), y0 + LANE_H - 2.0),
        );
        painter.rect_filled(lane_rect, 0.0, visuals.faint_bg_color);
        painter.text(
            egui::pos2(rect.left() + 6.0, y0 + LANE_H * 0.5 - 1.0),
            egui::Align2::LEFT_CENTER,
            &lane.name,
            egui::FontId::proportional(11.0),
            text_col,
        );
        let mut tip: Option<&str> = None;
        for (s, e, c, t) in &lane.spans {
            let r = egui::Rect::from_min_max(
                egui::pos2(x_of(*s as f32), y0 + 2.0),
                egui::pos2(
                    x_of(*e as f32).max(x_of(*s as f32) + 2.0),
                    y0 + LANE_H - 4.0,
                ),
            );
            painter.rect_filled(r, 1.0, egui::Color32::from_rgb(c[0], c[1], c[2]));
            if hover.is_some_and(|p| r.expand(2.0).contains(p)) {
                tip = Some(t);
            }
        }
        for (fr, c, t) in &lane.ticks {
            let x = x_of(*fr as f32);
            let r = egui::Rect::from_min_max(
                egui::pos2(x - 1.0, y0 + 2.0),
                egui::pos2(x + 1.0, y0 + LANE_H - 4.0),
            );
            painter.rect_filled(r, 0.0, egui::Color32::from_rgb(c[0], c[1], c[2]));
            if hover.is_some_and(|p| r.expand(3.0).contains(p)) {
                tip = Some(t);
            }
        }
        if let Some(t) = tip {
            lane_tip = Some(t.to_string());
        }
    }
    lane_tip
}

/// The playhead line and its handle on the ruler.
fn paint_playhead(painter: &egui::Painter, g: &Geometry, frame: usize) {
    let rect = g.rect;
    let px = g.x_of(frame as f32);
    painter.line_segment(
        [egui::pos2(px, rect.top()), egui::pos2(px, rect.bottom())],
        egui::Stroke::new(2.0, egui::Color32::from_rgb(255, 196, 0)),
    );
    painter.add(egui::Shape::convex_polygon(
        vec![
            egui::pos2(px - 6.0, rect.top()),
            egui::pos2(px + 6.0, rect.top()),
            egui::pos2(px, rect.top() + 8.0),
        ],
        egui::Color32::from_rgb(255, 196, 0),
        egui::Stroke::NONE,
    ));
}

/// Dragging the end of a span on an editable lane (e.g. a foot contact) resizes it; the edit is
/// sent once, when the drag ends. Returns whether such a drag is under way (no scrubbing then).
fn lane_span_drag(
    ui: &mut egui::Ui,
    response: &egui::Response,
    painter: &egui::Painter,
    geo: &Geometry,
    v: &TimelineView<'_>,
    out: &mut Vec<UiCommand>,
) -> bool {
    let (rect, track, last) = (geo.rect, geo.track, geo.last);
    let x_of = |f: f32| geo.x_of(f);
    let drag_id = ui.id().with("lane_span_drag");
    let frame_at = |x: f32| {
        (((x - track.left()) / track.width()).clamp(0.0, 1.0) * last as f32).round() as usize
    };
    if response.drag_started()
        && let Some(p) = response.interact_pointer_pos()
    {
        let row = ((p.y - rect.top() - RULER_H) / LANE_H).floor();
        let grabbed = (row >= 0.0)
            .then(|| v.lanes.get(row as usize))
            .flatten()
            .and_then(|lane| {
                let key = lane.edit_key.clone()?;
                lane.spans.iter().find_map(|(s, e, _, _)| {
                    let near = |f: usize| (x_of(f as f32) - p.x).abs() <= 5.0;
                    if near(*e) {
                        Some(LaneSpanDrag {
                            key: key.clone(),
                            from: (*s, *e),
                            end: true,
                        })
                    } else if near(*s) {
                        Some(LaneSpanDrag {
                            key: key.clone(),
                            from: (*s, *e),
                            end: false,
                        })
                    } else {
                        None
                    }
                })
            });
        ui.data_mut(|d| match grabbed {
            Some(g) => {
                d.insert_temp(drag_id, g);
            }
            None => d.remove::<LaneSpanDrag>(drag_id),
        });
    }
    let span_drag = ui.data(|d| d.get_temp::<LaneSpanDrag>(drag_id));
    if let Some(g) = &span_drag {
        let pointer = response.interact_pointer_pos().map(|p| frame_at(p.x));
        if let Some(f) = pointer {
            let to = g.moved_to(f);
            // Preview of the new extent.
            let row = v
                .lanes
                .iter()
                .position(|l| l.edit_key.as_deref() == Some(g.key.as_str()))
                .unwrap_or(0);
            let y0 = rect.top() + RULER_H + row as f32 * LANE_H;
            painter.rect_stroke(
                egui::Rect::from_min_max(
                    egui::pos2(x_of(to.0 as f32), y0 + 1.0),
                    egui::pos2(
                        x_of(to.1 as f32).max(x_of(to.0 as f32) + 2.0),
                        y0 + LANE_H - 3.0,
                    ),
                ),
                1.0,
                egui::Stroke::new(1.5, egui::Color32::WHITE),
                egui::StrokeKind::Inside,
            );
            if response.drag_stopped() {
                if to != g.from {
                    out.push(UiCommand::LaneSpanMoved {
                        key: g.key.clone(),
                        from: g.from,
                        to,
                    });
                }
                ui.data_mut(|d| d.remove::<LaneSpanDrag>(drag_id));
            }
        } else if response.drag_stopped() {
            ui.data_mut(|d| d.remove::<LaneSpanDrag>(drag_id));
        }
        return true;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dragging_a_span_end_keeps_it_at_least_one_frame() {
        let end = LaneSpanDrag {
            key: "k".into(),
            from: (10, 20),
            end: true,
        };
        assert_eq!(end.moved_to(25), (10, 25));
        assert_eq!(end.moved_to(3), (10, 10));
        let start = LaneSpanDrag { end: false, ..end };
        assert_eq!(start.moved_to(4), (4, 20));
        assert_eq!(start.moved_to(30), (20, 20));
    }

    #[test]
    fn timecode_from_start_at_display_rates() {
        let start = Timecode::parse("01:00:00:00", 30).unwrap();
        // 120 Hz take, frame 120 = 1 s later.
        let tc = timecode_at(120, FrameRate::FPS_120, start, DisplayRate::Fps30);
        assert_eq!(tc.to_string(), "01:00:01:00");
        let tc = timecode_at(60, FrameRate::FPS_120, start, DisplayRate::Fps30);
        assert_eq!(tc.to_string(), "01:00:00:15");
        let tc = timecode_at(119, FrameRate::FPS_120, start, DisplayRate::Fps25);
        assert_eq!(tc.to_string(), "01:00:00:24");
        // 29.97 DF: the start is converted through real time; 1 minute later drops 2 numbers.
        let start_df = Timecode::parse("00:00:59;29", 30).unwrap();
        let start_df = Timecode {
            format: DisplayRate::Fps29_97Df.format(),
            ..start_df
        };
        let one_frame = FrameRate::FPS_29_97;
        let tc = timecode_at(1, one_frame, start_df, DisplayRate::Fps29_97Df);
        assert_eq!(tc.to_string(), "00:01:00;02");
    }

    #[test]
    fn gap_lane_finds_demo_gaps() {
        let take = crate::session::demo::demo_take().unwrap();
        let lanes = build_lanes(&take);
        let gaps = &lanes[0];
        assert_eq!(gaps.spans.len(), crate::session::demo::DEMO_GAPS.len());
        let rwra = gaps.spans.iter().find(|s| s.3.starts_with("RWRA")).unwrap();
        assert_eq!(rwra.0, 240);
        assert!((275..=276).contains(&rwra.1), "{rwra:?}");
        assert_eq!(lanes[1].name, "Events");
        assert!(!lanes[1].ticks.is_empty());
        // The demo's face covers the whole take: one Face span from frame 0 to the end.
        assert_eq!(lanes[2].name, "Face");
        assert_eq!(lanes[2].spans.len(), 1);
        assert_eq!(lanes[2].spans[0].0, 0);
        assert!(lanes[2].spans[0].1 + 2 >= take.frame_count - 1);
        // Plugins add lanes through the registry.
        let mut reg = LaneRegistry::default();
        reg.register(|t| {
            Some(Lane {
                name: format!("Notes for {}", t.name),
                spans: Vec::new(),
                ticks: vec![(10, [255, 255, 255], "note".into())],
                edit_key: None,
            })
        });
        let lanes = reg.build(&take);
        assert_eq!(lanes.len(), 4);
        assert!(lanes[3].name.starts_with("Notes for Demo"));
    }

    mod panel {
        use super::*;
        use egui_kittest::Harness;
        use egui_kittest::kittest::Queryable;

        fn harness(lanes: Vec<Lane>) -> Harness<'static, Vec<UiCommand>> {
            Harness::builder()
                .with_size(egui::vec2(1000.0, 240.0))
                .build_ui_state(
                    move |ui, out: &mut Vec<UiCommand>| {
                        let view = TimelineView {
                            frame: 100,
                            frame_count: 1200,
                            rate: FrameRate::integer(120).expect("rate"),
                            in_frame: None,
                            out_frame: None,
                            playing: false,
                            speed: 1.0,
                            direction: 1.0,
                            looping: false,
                            timecode: "00:00:00:25".into(),
                            display_rate: DisplayRate::Fps30,
                            show_frames: false,
                            lanes: lanes.iter().collect(),
                            start_timecode: None,
                            subtitles: None,
                        };
                        out.extend(timeline_ui(ui, &view));
                    },
                    Vec::new(),
                )
        }

        #[test]
        fn transport_buttons_send_their_commands() {
            let mut h = harness(vec![]);
            h.get_by_label("▶").click();
            h.run();
            h.get_by_label("In").click();
            h.run();
            h.get_by_label("# Frames").click();
            h.run();
            let out = h.state();
            assert!(
                out.iter()
                    .any(|c| matches!(c, UiCommand::Playback(PlaybackCommand::TogglePlay))),
                "{out:?}"
            );
            assert!(
                out.iter()
                    .any(|c| matches!(c, UiCommand::Edit(EditCommand::SetInPoint(Some(100)))))
            );
            assert!(
                out.iter()
                    .any(|c| matches!(c, UiCommand::SetShowFrames(true)))
            );
        }
    }
}
