//! The Cleanup panel: marker table, operation stack with parameters, curves. A pure function of
//! [`CleanupView`] returning [`UiCommand`]s; every stack change is an undoable
//! [`EditCommand::SetCleanupStack`].

use bevy_egui::egui;
use egui_plot::{Line, LineStyle, Plot, Span, VLine};
use mocap_data::{FrameIndex, MarkerTrajectories};
use mocap_solver::fill::{FillMethod, FillParams};
use mocap_solver::filter::LowpassParams;
use mocap_solver::gaps::{FrameRange, MarkerSelection};
use mocap_solver::resolve::{ContactEdit, FootLockStage, MotionEntry, MotionOperation, SolveStage};
use mocap_solver::spikes::DespikeParams;
use mocap_solver::stack::{OpStack, Operation, StackEntry};
use mocap_solver::swaps::SwapParams;

use crate::cleanup::{CleanupCommand, MarkerColumn, MarkerRow};
use crate::history::EditCommand;
use crate::playback::PlaybackCommand;
use crate::ui::UiCommand;

/// What the Cleanup panel shows.
#[derive(Debug, Clone, Copy)]
pub struct CleanupView<'a> {
    /// The take's stack (`None`: no take with markers).
    pub stack: Option<&'a OpStack>,
    /// Whether the stack equals the saved sidecar.
    pub saved: bool,
    /// Marker file of the take (sidecar beside it).
    pub source: Option<&'a std::path::Path>,
    /// Marker rows (cleaned result).
    pub rows: &'a [MarkerRow],
    /// Marker table sort.
    pub sort: (MarkerColumn, bool),
    /// Selected stack entry.
    pub selected_entry: Option<usize>,
    /// Outcome line per entry.
    pub outcomes: &'a [String],
    /// Last evaluation: milliseconds, marker runs.
    pub last_eval: Option<(f64, usize)>,
    /// Selected marker.
    pub marker: Option<usize>,
    /// Raw markers (before the stack).
    pub raw: Option<&'a MarkerTrajectories>,
    /// Cleaned markers (after the stack).
    pub result: Option<&'a MarkerTrajectories>,
    /// Current frame.
    pub frame: FrameIndex,
    /// I/O range as a half-open frame range, when set.
    pub io: Option<FrameRange>,
    /// Swaps found on the current result, if searched.
    pub swaps: Option<&'a [crate::cleanup::SwapSpan]>,
    /// Re-solve progress, pinned contacts.
    pub motion: crate::cleanup_motion::MotionView<'a>,
    /// The selected joint's rotation curves, when a joint (not a marker) is selected.
    pub joint: Option<JointCurves<'a>>,
}

/// A selected joint's rotation channels over the take, after the stack (the motion shown) and,
/// when the take has a re-solve, before its motion operations (foot lock).
#[derive(Debug, Clone, Copy)]
pub struct JointCurves<'a> {
    /// Joint name.
    pub name: &'a str,
    /// The joint's skeleton.
    pub skeleton: &'a mocap_data::Skeleton,
    /// Joint index in `skeleton`.
    pub index: usize,
    /// Motion shown (degrees for rotation channels).
    pub after: &'a mocap_data::Motion,
    /// The solve before its motion operations, same skeleton layout.
    pub before: Option<&'a mocap_data::Motion>,
    /// Take rate vs motion rate: the motion's frame for a take frame.
    pub take_rate: mocap_data::FrameRate,
    /// Frames of the take.
    pub take_frames: usize,
}

fn edit(stack: OpStack, what: impl Into<String>, merge: Option<u64>) -> UiCommand {
    UiCommand::Edit(EditCommand::SetCleanupStack {
        stack: Box::new(stack),
        what: what.into(),
        merge,
    })
}

/// A new entry on the selected marker (or all) and the I/O range (or the whole take).
pub fn entry_for(op: Operation, v: &CleanupView<'_>) -> StackEntry {
    let mut e = StackEntry::new(op);
    e.range = v.io;
    if let (Some(m), Some(r)) = (v.marker, v.result)
        && let Some(l) = r.labels.get(m)
    {
        e.markers = MarkerSelection::Labels(vec![l.clone()]);
    }
    e
}

/// Operations offered by the "Add" buttons.
pub fn add_menu() -> Vec<(&'static str, Operation)> {
    let fill = |method| {
        Operation::FillGaps(FillParams {
            method,
            ..FillParams::default()
        })
    };
    vec![
        ("Fill: linear", fill(FillMethod::Linear)),
        ("Fill: spline", fill(FillMethod::Spline)),
        ("Fill: rigid body", fill(FillMethod::Rigid)),
        ("Fill: pattern", fill(FillMethod::Pattern)),
        ("Low-pass", Operation::Lowpass(LowpassParams::default())),
        ("Despike", Operation::Despike(DespikeParams::default())),
        ("Fix swaps", Operation::FixSwaps(SwapParams::default())),
        ("Delete samples", Operation::DeleteSamples),
        ("Trim to range", Operation::Trim),
    ]
}

/// The Cleanup panel.
pub fn cleanup_ui(ui: &mut egui::Ui, v: &CleanupView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some(stack) = v.stack else {
        ui.add_space(8.0);
        ui.weak("Open a take with markers (C3D or TRC) to clean it.");
        return out;
    };
    // Toolbar.
    ui.horizontal_wrapped(|ui| {
        ui.menu_button("➕ Add operation", |ui| {
            for (label, op) in add_menu() {
                if ui.button(label).clicked() {
                    let mut s = stack.clone();
                    let e = entry_for(op, v);
                    s.entries.push(e);
                    out.push(edit(s, format!("Add {label}"), None));
                    out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(Some(
                        stack.entries.len(),
                    ))));
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text("New operations work on the selected marker (or all) over the I/O range (or the whole take)");
        let save = if v.saved { "Saved" } else { "💾 Save stack" };
        if ui
            .add_enabled(v.source.is_some() && !v.saved, egui::Button::new(save))
            .on_hover_text(match v.source {
                Some(p) => format!(
                    "Write {} (loaded again with the take; `mocap clean --ops` runs it)",
                    OpStack::sidecar_path(p).display()
                ),
                None => "The take was not read from a marker file".into(),
            })
            .clicked()
        {
            out.push(UiCommand::Cleanup(CleanupCommand::SaveStack));
        }
        if ui.button("Export cleaned…").clicked() {
            out.push(UiCommand::ExportCleanedDialog);
        }
        if let Some((ms, runs)) = v.last_eval {
            ui.weak(format!("evaluated in {ms:.1} ms ({runs} marker runs)"));
        }
    });
    ui.separator();
    ui.columns(3, |cols| {
        egui::ScrollArea::vertical()
            .id_salt("cleanup_markers")
            .auto_shrink([false, false])
            .show(&mut cols[0], |ui| out.extend(marker_table(ui, v)));
        egui::ScrollArea::vertical()
            .id_salt("cleanup_stack")
            .auto_shrink([false, false])
            .show(&mut cols[1], |ui| {
                out.extend(stack_ui(ui, v, stack));
                ui.separator();
                out.extend(motion_ui(ui, v, stack));
            });
        out.extend(curves_ui(&mut cols[2], v));
    });
    out
}

fn marker_table(ui: &mut egui::Ui, v: &CleanupView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    egui::Grid::new("cleanup_marker_grid")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for (col, name) in [
                (MarkerColumn::Label, "Marker"),
                (MarkerColumn::Gaps, "Gaps"),
                (MarkerColumn::Longest, "Longest"),
                (MarkerColumn::Valid, "Valid %"),
                (MarkerColumn::Residual, "Residual"),
            ] {
                let arrow = match v.sort {
                    (c, true) if c == col => " ⏶",
                    (c, false) if c == col => " ⏷",
                    _ => "",
                };
                if ui
                    .add(
                        egui::Label::new(egui::RichText::new(format!("{name}{arrow}")).strong())
                            .sense(egui::Sense::click()),
                    )
                    .clicked()
                {
                    out.push(UiCommand::Cleanup(CleanupCommand::SortMarkers(col)));
                }
            }
            ui.end_row();
            for r in v.rows {
                let g = &r.gaps;
                let sel = v.marker == Some(g.marker);
                if ui.selectable_label(sel, &g.label).clicked() {
                    out.push(UiCommand::SelectMarker(Some(g.marker)));
                }
                // Click the gap count: jump to the next gap after the current frame.
                let next = g
                    .gaps
                    .iter()
                    .find(|gap| gap.start > v.frame)
                    .or(g.gaps.first());
                let gaps_text =
                    egui::RichText::new(g.gaps.len().to_string()).color(if g.gaps.is_empty() {
                        ui.visuals().weak_text_color()
                    } else {
                        egui::Color32::from_rgb(235, 87, 87)
                    });
                let r_gaps = ui.add(egui::Label::new(gaps_text).sense(egui::Sense::click()));
                if let Some(gap) = next
                    && r_gaps
                        .on_hover_text(format!(
                            "Jump to the next gap: frames {}–{}",
                            gap.start,
                            gap.end().saturating_sub(1)
                        ))
                        .clicked()
                {
                    out.push(UiCommand::SelectMarker(Some(g.marker)));
                    out.push(UiCommand::Playback(PlaybackCommand::Seek(gap.start)));
                }
                ui.monospace(g.longest_gap.to_string());
                ui.monospace(format!("{:.1}", g.valid_percent));
                ui.monospace(r.mean_residual.map_or("–".into(), |m| format!("{m:.2}")));
                ui.end_row();
            }
        });
    out
}

fn stack_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, stack: &OpStack) -> Vec<UiCommand> {
    let mut out = Vec::new();
    if stack.entries.is_empty() {
        ui.weak("No operations: the take is shown as captured. Add one above.");
    }
    let n = stack.entries.len();
    for (i, e) in stack.entries.iter().enumerate() {
        let selected = v.selected_entry == Some(i);
        ui.horizontal(|ui| {
            let mut on = e.enabled;
            if ui
                .checkbox(&mut on, "")
                .on_hover_text("Enable / disable")
                .changed()
            {
                let mut s = stack.clone();
                s.entries[i].enabled = on;
                let what = if on { "Enable" } else { "Disable" };
                out.push(edit(s, format!("{what} {}", e.op.name()), None));
            }
            let title = format!("{}. {}", i + 1, summary(e));
            if ui.selectable_label(selected, title).clicked() {
                out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(
                    (!selected).then_some(i),
                )));
            }
            if ui
                .add_enabled(i > 0, egui::Button::new("⏶").small())
                .clicked()
            {
                let mut s = stack.clone();
                s.entries.swap(i, i - 1);
                out.push(edit(s, format!("Move {} up", e.op.name()), None));
                out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(Some(i - 1))));
            }
            if ui
                .add_enabled(i + 1 < n, egui::Button::new("⏷").small())
                .clicked()
            {
                let mut s = stack.clone();
                s.entries.swap(i, i + 1);
                out.push(edit(s, format!("Move {} down", e.op.name()), None));
                out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(Some(i + 1))));
            }
            if ui.small_button("🗑").on_hover_text("Remove").clicked() {
                let mut s = stack.clone();
                s.entries.remove(i);
                out.push(edit(s, format!("Remove {}", e.op.name()), None));
                out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(None)));
            }
        });
        if let Some(o) = v.outcomes.get(i).filter(|o| !o.is_empty()) {
            let colour = if o.starts_with("failed") {
                egui::Color32::from_rgb(235, 87, 87)
            } else {
                ui.visuals().weak_text_color()
            };
            ui.label(
                egui::RichText::new(format!("    {o}"))
                    .small()
                    .color(colour),
            );
        }
        if selected {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                if let Some(s) = params_ui(ui, v, stack, i) {
                    out.push(s);
                }
            });
        }
    }
    ui.separator();
    out.extend(swaps_ui(ui, v, stack));
    out
}

/// Detected label swaps with a one-click fix each (a `SwapLabels` entry over the swap's frames).
fn swaps_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, stack: &OpStack) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new("Label swaps").strong());
        if ui
            .small_button("Find")
            .on_hover_text(
                "Detect swaps on the cleaned markers (nothing changes until you fix one)",
            )
            .clicked()
        {
            out.push(UiCommand::Cleanup(CleanupCommand::FindSwaps(
                SwapParams::default(),
            )));
        }
    });
    match v.swaps {
        None => {
            ui.weak("Not searched since the last change.");
        }
        Some([]) => {
            ui.weak("No swaps found.");
        }
        Some(list) => {
            for s in list {
                ui.horizontal(|ui| {
                    if ui
                        .link(format!(
                            "{}–{}",
                            s.frames.start,
                            s.frames.end.saturating_sub(1)
                        ))
                        .clicked()
                    {
                        out.push(UiCommand::Playback(PlaybackCommand::Seek(s.frames.start)));
                    }
                    ui.label(format!("{} ↔ {}", s.labels[0], s.labels[1]));
                    if ui.small_button("Fix").clicked() {
                        let mut st = stack.clone();
                        let mut e = StackEntry::new(Operation::SwapLabels {
                            a: s.labels[0].clone(),
                            b: s.labels[1].clone(),
                        });
                        e.range = Some(s.frames);
                        st.entries.push(e);
                        out.push(edit(
                            st,
                            format!("Fix swap {} ↔ {}", s.labels[0], s.labels[1]),
                            None,
                        ));
                    }
                });
            }
        }
    }
    out
}

/// One-line description of an entry: operation, key parameter, markers, range.
pub fn summary(e: &StackEntry) -> String {
    let op = match &e.op {
        Operation::FillGaps(p) => format!("Fill {} ≤ {} fr", p.method, p.max_gap),
        Operation::Lowpass(p) => format!("Low-pass {} Hz ×{}", p.cutoff_hz, p.order),
        Operation::Despike(p) => format!("Despike {} MAD", p.threshold_mads),
        Operation::FixSwaps(_) => "Fix swaps".into(),
        Operation::DeleteSamples => "Delete samples".into(),
        Operation::Trim => "Trim".into(),
        Operation::SwapLabels { a, b } => format!("Swap {a} ↔ {b}"),
    };
    let markers = match &e.markers {
        MarkerSelection::All => "all".to_string(),
        MarkerSelection::Labels(l) => l.join(","),
        MarkerSelection::Indices(i) => format!("{} markers", i.len()),
    };
    let range = e.range.map_or("all frames".into(), |r| {
        format!("{}–{}", r.start, r.end.saturating_sub(1))
    });
    format!("{op} · {markers} · {range}")
}

/// The parameter editor of entry `i`; returns the edit when a value changed (drags of one entry
/// merge into one undo step).
fn params_ui(
    ui: &mut egui::Ui,
    v: &CleanupView<'_>,
    stack: &OpStack,
    i: usize,
) -> Option<UiCommand> {
    let mut e = stack.entries[i].clone();
    let before = e.clone();
    let merge = Some(i as u64 + 1);
    match &mut e.op {
        Operation::FillGaps(p) => {
            egui::ComboBox::from_label("Method")
                .selected_text(p.method.to_string())
                .show_ui(ui, |ui| {
                    for m in [
                        FillMethod::Linear,
                        FillMethod::Spline,
                        FillMethod::Rigid,
                        FillMethod::Pattern,
                    ] {
                        ui.selectable_value(&mut p.method, m, m.to_string());
                    }
                });
            ui.add(
                egui::DragValue::new(&mut p.max_gap)
                    .range(1..=100_000)
                    .prefix("max gap ")
                    .suffix(" frames"),
            );
            if matches!(p.method, FillMethod::Rigid | FillMethod::Pattern) {
                let mut donors = p.donors.join(",");
                ui.horizontal(|ui| {
                    ui.label("Donors");
                    ui.add(
                        egui::TextEdit::singleline(&mut donors)
                            .hint_text("automatic")
                            .desired_width(140.0),
                    );
                    if let (Some(m), Some(r)) = (v.marker, v.result)
                        && let Some(l) = r.labels.get(m)
                        && ui
                            .small_button("+ selected")
                            .on_hover_text("Add the marker selected in the viewport or table")
                            .clicked()
                        && !p.donors.contains(l)
                    {
                        donors = if donors.is_empty() {
                            l.clone()
                        } else {
                            format!("{donors},{l}")
                        };
                    }
                });
                p.donors = donors
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
            }
        }
        Operation::Lowpass(p) => {
            ui.add(
                egui::DragValue::new(&mut p.cutoff_hz)
                    .range(0.1..=1000.0)
                    .speed(0.1)
                    .prefix("cutoff ")
                    .suffix(" Hz"),
            );
            ui.add(
                egui::DragValue::new(&mut p.order)
                    .range(1..=8)
                    .prefix("order "),
            );
        }
        Operation::Despike(p) => {
            ui.add(
                egui::DragValue::new(&mut p.threshold_mads)
                    .range(2.0..=50.0)
                    .speed(0.1)
                    .prefix("threshold ")
                    .suffix(" robust SD"),
            );
            ui.add(
                egui::DragValue::new(&mut p.min_deviation_mm)
                    .range(0.0..=1000.0)
                    .prefix("at least ")
                    .suffix(" mm"),
            );
        }
        Operation::FixSwaps(p) => {
            ui.add(
                egui::DragValue::new(&mut p.min_jump_mm)
                    .range(1.0..=1000.0)
                    .prefix("min jump ")
                    .suffix(" mm"),
            );
        }
        Operation::DeleteSamples | Operation::Trim => {}
        Operation::SwapLabels { a, b } => {
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(a).desired_width(70.0));
                ui.label("↔");
                ui.add(egui::TextEdit::singleline(b).desired_width(70.0));
            });
        }
    }
    // Range and markers.
    ui.horizontal(|ui| {
        match e.range {
            Some(r) => {
                ui.label(format!("frames {}–{}", r.start, r.end.saturating_sub(1)));
                if ui.small_button("all frames").clicked() {
                    e.range = None;
                }
            }
            None => {
                ui.label("all frames");
            }
        }
        if let Some(io) = v.io
            && e.range != Some(io)
            && ui.small_button("use I/O").clicked()
        {
            e.range = Some(io);
        }
    });
    ui.horizontal(|ui| {
        match &e.markers {
            MarkerSelection::All => {
                ui.label("all markers");
            }
            MarkerSelection::Labels(l) => {
                ui.label(l.join(", "));
                if ui.small_button("all markers").clicked() {
                    e.markers = MarkerSelection::All;
                }
            }
            MarkerSelection::Indices(_) => {}
        }
        if let (Some(m), Some(r)) = (v.marker, v.result)
            && let Some(l) = r.labels.get(m)
            && e.markers != MarkerSelection::Labels(vec![l.clone()])
            && ui.small_button(format!("only {l}")).clicked()
        {
            e.markers = MarkerSelection::Labels(vec![l.clone()]);
        }
    });
    let mut note = e.note.clone();
    ui.add(
        egui::TextEdit::singleline(&mut note)
            .hint_text("Note (why this operation)")
            .desired_width(f32::INFINITY),
    );
    e.note = note;
    (e != before).then(|| {
        let mut s = stack.clone();
        let name = e.op.name();
        s.entries[i] = e;
        edit(s, format!("Edit {name}"), merge)
    })
}

/// X/Y/Z (or channel) colours of the curves.
const CURVE_COLOURS: [egui::Color32; 3] = [
    egui::Color32::from_rgb(235, 87, 87),
    egui::Color32::from_rgb(90, 200, 110),
    egui::Color32::from_rgb(90, 150, 255),
];

/// The frames a curve plot shows (the I/O range, else the take of `n` frames) and the
/// decimation step that keeps at most ~4000 points per curve.
fn curve_frames(v: &CleanupView<'_>, n: usize) -> (usize, usize, usize) {
    let (a, b) = match v.io {
        Some(r) => (r.start, r.end.min(n)),
        None => (0, n),
    };
    (a, b, ((b - a) / 4000).max(1))
}

/// A curve plot over frames `[a, b)` of a take of `n` frames: shaded `spans` (label, frames,
/// colour), the curves `draw` adds, the playhead; a click seeks there.
fn curve_plot(
    ui: &mut egui::Ui,
    id: &str,
    v: &CleanupView<'_>,
    (a, b, n): (usize, usize, usize),
    spans: &[(&str, usize, usize, egui::Color32)],
    draw: impl FnOnce(&mut egui_plot::PlotUi<'_>),
) -> Vec<UiCommand> {
    let resp = Plot::new(id).allow_scroll(false).show(ui, |plot| {
        plot.set_plot_bounds_x(a as f64..=b.saturating_sub(1).max(a + 1) as f64);
        for (label, s, e, fill) in spans {
            plot.span(Span::new(*label, *s as f64..=*e as f64).fill(*fill));
        }
        draw(plot);
        plot.vline(VLine::new("frame", v.frame as f64).color(egui::Color32::from_rgb(255, 196, 0)));
        plot.pointer_coordinate()
    });
    let mut out = Vec::new();
    if resp.response.clicked()
        && let Some(p) = resp.inner
    {
        out.push(UiCommand::Playback(PlaybackCommand::Seek(
            p.x.round().clamp(0.0, n.saturating_sub(1) as f64) as usize,
        )));
    }
    out
}

/// Rotation curves (degrees) of the selected joint, after the stack (solid) and before its
/// motion operations (dashed); click to seek.
fn joint_curves_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, j: &JointCurves<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let Some(joint) = j.skeleton.joints.get(j.index) else {
        return out;
    };
    let start = j.skeleton.channel_offsets()[j.index];
    let rot: Vec<(usize, &'static str)> = joint
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is_rotation())
        .map(|(k, c)| (start + k, c.name()))
        .collect();
    if rot.is_empty() {
        ui.weak(format!("{}: no rotation channels.", j.name));
        return out;
    }
    ui.label(
        egui::RichText::new(format!(
            "{} — rotation channels (degrees), after (solid){}",
            j.name,
            if j.before.is_some() {
                " and before the foot lock (dashed)"
            } else {
                ""
            }
        ))
        .strong(),
    );
    let n = j.take_frames;
    let (a, b, step) = curve_frames(v, n);
    let series = |m: &mocap_data::Motion, ch: usize| -> Vec<[f64; 2]> {
        if m.frame_count() == 0 || m.channels_per_frame != j.skeleton.channel_count() {
            return Vec::new();
        }
        (a..b)
            .step_by(step)
            .map(|f| {
                let mf = crate::session::motion_frame(j.take_rate, f, m.rate, m.frame_count());
                [f as f64, f64::from(m.frame(mf)[ch])]
            })
            .collect()
    };
    let fill = egui::Color32::from_rgba_unmultiplied(86, 180, 233, 40);
    let contacts: Vec<(&str, usize, usize, egui::Color32)> = v
        .motion
        .contacts
        .iter()
        .filter(|c| c.name == j.name)
        .map(|c| ("contact", c.start, c.end, fill))
        .collect();
    out.extend(curve_plot(
        ui,
        "cleanup_joint_curves",
        v,
        (a, b, n),
        &contacts,
        |plot| {
            for (i, (ch, name)) in rot.iter().enumerate() {
                let c = CURVE_COLOURS[i % 3];
                if let Some(before) = j.before {
                    plot.line(
                        Line::new(format!("{name} before"), series(before, *ch))
                            .color(c.gamma_multiply(0.5))
                            .style(LineStyle::dashed_loose()),
                    );
                }
                plot.line(Line::new(*name, series(j.after, *ch)).color(c));
            }
        },
    ));
    out
}

fn curves_ui(ui: &mut egui::Ui, v: &CleanupView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    if v.marker.is_none()
        && let Some(j) = &v.joint
    {
        return joint_curves_ui(ui, v, j);
    }
    let (Some(m), Some(raw), Some(result)) = (v.marker, v.raw, v.result) else {
        ui.weak(
            "Select a marker (table or viewport) to see its X/Y/Z curves before and after, or a \
             joint for its rotation curves.",
        );
        return out;
    };
    if m >= result.marker_count() || m >= raw.marker_count() {
        return out;
    }
    ui.label(
        egui::RichText::new(format!(
            "{} — X/Y/Z ({}), after (solid) and before (dashed)",
            result.labels[m],
            result.unit.symbol()
        ))
        .strong(),
    );
    let n = result.frame_count();
    let (a, b, step) = curve_frames(v, n);
    let series = |t: &MarkerTrajectories, axis: usize| -> Vec<Vec<[f64; 2]>> {
        // Split at gaps so gaps are not bridged by a line.
        let mut runs = Vec::new();
        let mut cur: Vec<[f64; 2]> = Vec::new();
        let mut f = a;
        while f < b {
            match t.position(f, m) {
                Some(p) => cur.push([f as f64, f64::from(p[axis])]),
                None if !cur.is_empty() => runs.push(std::mem::take(&mut cur)),
                None => {}
            }
            f += step;
        }
        if !cur.is_empty() {
            runs.push(cur);
        }
        runs
    };
    let fill = egui::Color32::from_rgba_unmultiplied(235, 87, 87, 40);
    let gaps_after: Vec<(&str, usize, usize, egui::Color32)> = v
        .rows
        .iter()
        .find(|r| r.gaps.marker == m)
        .map(|r| {
            r.gaps
                .gaps
                .iter()
                .map(|g| ("gap", g.start, g.end(), fill))
                .collect()
        })
        .unwrap_or_default();
    out.extend(curve_plot(
        ui,
        "cleanup_curves",
        v,
        (a, b, n),
        &gaps_after,
        |plot| {
            for (axis, name) in ["X", "Y", "Z"].iter().enumerate() {
                for run in series(raw, axis) {
                    plot.line(
                        Line::new(format!("{name} before"), run)
                            .color(CURVE_COLOURS[axis].gamma_multiply(0.5))
                            .style(LineStyle::dashed_loose()),
                    );
                }
                for run in series(result, axis) {
                    plot.line(Line::new(*name, run).color(CURVE_COLOURS[axis]));
                }
            }
        },
    ));
    out
}

/// The stack with `edit` appended to its first foot-lock entry's contact edits.
pub fn with_contact_edit(stack: &OpStack, edit: ContactEdit) -> Option<OpStack> {
    let mut s = stack.clone();
    let e = s
        .motion
        .iter_mut()
        .find(|e| matches!(e.op, MotionOperation::FootLock(_)))?;
    let MotionOperation::FootLock(f) = &mut e.op;
    f.edits.push(edit);
    Some(s)
}

/// Undo-merge key of drags on the solve stage's numbers (distinct from the marker entries').
const SOLVE_STAGE_MERGE: u64 = u64::MAX - 7;

/// The solve stage's settings: marker set (preset or JSON file), skeleton file, calibration
/// frames, smoothing and actor. Every change is an undoable stack edit (a drag merges into one
/// step); the motion is re-solved with "Re-solve".
/// The actors the solve stage can be pointed at: label prefixes of `raw` in which marker set
/// `set_name` (a preset or a JSON file) finds enough of its markers, in order of appearance
/// (none for unprefixed labels, which are the only actor anyway).
fn actor_choices(raw: Option<&MarkerTrajectories>, set_name: &str) -> Vec<String> {
    let Some(t) = raw else { return Vec::new() };
    let Ok(set) = mocap_solver::markerset::MarkerSet::load(set_name) else {
        return Vec::new();
    };
    mocap_solver::pipeline::find_actors(t, &set)
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect()
}

/// The solve stage's fields. `raw`: the take's markers, whose actors (label prefixes the marker
/// set finds) the Actor menu lists when opened.
fn solve_stage_editor(
    ui: &mut egui::Ui,
    stack: &OpStack,
    stage: &SolveStage,
    raw: Option<&MarkerTrajectories>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let mut st = stage.clone();
    let mut merge = None;
    egui::Grid::new("solve_stage_grid")
        .num_columns(2)
        .show(ui, |ui| {
            ui.label("Marker set");
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("solve_markerset")
                    .selected_text(if matches!(st.markerset.as_str(), "cmu41" | "fullbody53") {
                        st.markerset.clone()
                    } else {
                        "file".to_string()
                    })
                    .show_ui(ui, |ui| {
                        for p in ["cmu41", "fullbody53"] {
                            ui.selectable_value(&mut st.markerset, p.to_string(), p);
                        }
                    });
                let mut text = st.markerset.clone();
                if ui
                    .add(egui::TextEdit::singleline(&mut text).desired_width(160.0))
                    .on_hover_text("A preset name or a marker-set JSON file")
                    .lost_focus()
                    && !text.trim().is_empty()
                {
                    st.markerset = text.trim().to_string();
                }
            });
            ui.end_row();
            ui.label("Skeleton");
            let mut sk = st
                .skeleton
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if ui
                .add(
                    egui::TextEdit::singleline(&mut sk)
                        .hint_text("the take's skeleton")
                        .desired_width(220.0),
                )
                .on_hover_text(".asf or .bvh file; empty: the take's own skeleton")
                .lost_focus()
            {
                st.skeleton = (!sk.trim().is_empty()).then(|| sk.trim().into());
            }
            ui.end_row();
            ui.label("Calibrate on");
            if ui
                .add(
                    egui::DragValue::new(&mut st.calibration_frames)
                        .range(1..=100_000)
                        .suffix(" frames"),
                )
                .dragged()
            {
                merge = Some(SOLVE_STAGE_MERGE);
            }
            ui.end_row();
            ui.label("Smoothing");
            if ui
                .add(
                    egui::DragValue::new(&mut st.smooth)
                        .range(0.0..=100.0)
                        .speed(0.01),
                )
                .on_hover_text("Temporal smoothness weight (0 = off), as `mocap solve --smooth`")
                .dragged()
            {
                merge = Some(SOLVE_STAGE_MERGE);
            }
            ui.end_row();
            ui.label("Actor");
            let set_name = st.markerset.clone();
            egui::ComboBox::from_id_salt("solve_actor")
                .selected_text(st.actor.clone().unwrap_or_else(|| "first found".into()))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut st.actor, None, "first found");
                    // Listed only while the menu is open.
                    for a in actor_choices(raw, &set_name) {
                        let text = a.clone();
                        ui.selectable_value(&mut st.actor, Some(a), text);
                    }
                })
                .response
                .on_hover_text(
                    "Which performer to solve: a label prefix before ':' (e.g. SteveWalk) \
                     the marker set finds in the take; first found when none is chosen",
                );
            ui.end_row();
        });
    if st != *stage {
        let mut s = stack.clone();
        s.solve = Some(st);
        out.push(edit(s, "Edit solve stage", merge));
    }
    out
}

/// The solve stage (Re-solve with progress and Cancel) and the foot lock (contacts of each foot
/// under the playhead, add over the I/O range, remove, nudge ends).
fn motion_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, stack: &OpStack) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let m = &v.motion;
    ui.strong("Solve");
    let Some(stage) = &stack.solve else {
        if ui
            .button("➕ Add solve stage")
            .on_hover_text("Solve the cleaned markers onto the take's skeleton (as `mocap clean --motion-out`)")
            .clicked()
        {
            let mut s = stack.clone();
            s.solve = Some(SolveStage::default());
            out.push(edit(s, "Add solve stage", None));
        }
        return out;
    };
    ui.horizontal(|ui| {
        let mut on = stage.enabled;
        if ui.checkbox(&mut on, "").changed() {
            let mut s = stack.clone();
            if let Some(st) = &mut s.solve {
                st.enabled = on;
            }
            out.push(edit(s, "Toggle solve stage", None));
        }
        ui.label("Solve the cleaned markers onto the skeleton");
        if ui
            .small_button("🗑")
            .on_hover_text("Remove the solve stage")
            .clicked()
        {
            let mut s = stack.clone();
            s.solve = None;
            out.push(edit(s, "Remove solve stage", None));
        }
    });
    out.extend(solve_stage_editor(ui, stack, stage, v.raw));
    match m.job {
        Some((fraction, done, total, secs)) => {
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(160.0)
                        .text(format!("{done}/{total} frames, {secs:.0} s")),
                );
                if ui
                    .add_enabled(!m.cancelling, egui::Button::new("Cancel"))
                    .clicked()
                {
                    out.push(UiCommand::Cleanup(CleanupCommand::CancelResolve));
                }
            });
        }
        None => {
            if ui
                .add_enabled(stage.enabled, egui::Button::new("▶ Re-solve"))
                .on_hover_text(
                    "Solve the cleaned markers in the background; the result is one undoable edit",
                )
                .clicked()
            {
                out.push(UiCommand::Cleanup(CleanupCommand::Resolve));
            }
        }
    }
    if let Some(s) = m.status {
        ui.weak(s);
    }
    ui.add_space(4.0);
    ui.strong("Foot lock");
    let Some(fi) = stack
        .motion
        .iter()
        .position(|e| matches!(e.op, MotionOperation::FootLock(_)))
    else {
        if ui.button("➕ Add foot lock").clicked() {
            let mut s = stack.clone();
            s.motion.push(MotionEntry::new(MotionOperation::FootLock(
                FootLockStage::default(),
            )));
            out.push(edit(s, "Add foot lock", None));
        }
        return out;
    };
    ui.horizontal(|ui| {
        let mut on = stack.motion[fi].enabled;
        if ui
            .checkbox(&mut on, "pin the feet during contacts")
            .changed()
        {
            let mut s = stack.clone();
            s.motion[fi].enabled = on;
            out.push(edit(s, "Toggle foot lock", None));
        }
        if ui
            .small_button("🗑")
            .on_hover_text("Remove the foot lock")
            .clicked()
        {
            let mut s = stack.clone();
            s.motion.remove(fi);
            out.push(edit(s, "Remove foot lock", None));
        }
    });
    if m.feet.is_empty() {
        ui.weak("Re-solve to see and edit the contacts.");
        return out;
    }
    for (side, foot) in m.feet.iter().enumerate().take(2) {
        let under = m
            .contacts
            .iter()
            .find(|c| c.name == *foot && c.start <= v.frame && v.frame < c.end);
        let count = m.contacts.iter().filter(|c| c.name == *foot).count();
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "{} ({foot}): {count}",
                if side == 0 { "L" } else { "R" }
            ));
            let mut push = |e: ContactEdit, what: &str| {
                if let Some(s) = with_contact_edit(stack, e) {
                    out.push(edit(s, format!("{what} ({foot})"), None));
                }
            };
            if let Some(r) = v.io
                && ui
                    .button("Add over I/O")
                    .on_hover_text("A contact over the in/out range")
                    .clicked()
            {
                push(
                    ContactEdit::Add {
                        foot: foot.clone(),
                        start: r.start,
                        end: r.end,
                    },
                    "Add contact",
                );
            }
            let Some(c) = under else {
                ui.weak("no contact at the playhead");
                return;
            };
            ui.weak(format!("{}–{}", c.start, c.end - 1));
            if ui.button("Remove").clicked() {
                push(
                    ContactEdit::Remove {
                        foot: foot.clone(),
                        frame: v.frame,
                    },
                    "Remove contact",
                );
            }
            for (label, ds, de) in [
                ("⏴[", -1i64, 0i64),
                ("[⏵", 1, 0),
                ("]⏴", 0, -1),
                ("⏵]", 0, 1),
            ] {
                let start = (c.start as i64 + ds).max(0) as usize;
                let end = (c.end as i64 + de).max(start as i64 + 1) as usize;
                if ui
                    .small_button(label)
                    .on_hover_text("Nudge the contact's start or end by one frame")
                    .clicked()
                {
                    push(
                        ContactEdit::Set {
                            foot: foot.clone(),
                            frame: v.frame,
                            start,
                            end,
                        },
                        "Move contact",
                    );
                }
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actor_menu_lists_the_performers_the_marker_set_finds() {
        let set = mocap_solver::markerset::MarkerSet::load("cmu41").expect("preset");
        let mut labels: Vec<String> = Vec::new();
        for actor in ["Alice", "Bob"] {
            labels.extend(set.markers.iter().map(|m| format!("{actor}:{}", m.name)));
        }
        // A prop with a few unrelated markers is not a performer.
        labels.extend(["Prop:A", "Prop:B", "Prop:C"].map(String::from));
        let n = labels.len();
        let take = MarkerTrajectories::from_parts(
            labels,
            1,
            mocap_data::FrameRate::FPS_120,
            mocap_data::LengthUnit::Millimetre,
            mocap_data::UpAxis::Z,
            vec![[0.0; 3]; n],
            vec![0.0; n],
            vec![0; n],
            vec![true; n],
        )
        .expect("take");
        assert_eq!(actor_choices(Some(&take), "cmu41"), ["Alice", "Bob"]);
        assert!(actor_choices(None, "cmu41").is_empty());
        assert!(actor_choices(Some(&take), "no-such-set.json").is_empty());
    }
}
