//! The Cleanup panel: marker table, operation stack with parameters, curves. A pure function of
//! [`CleanupView`] returning [`UiCommand`]s; every stack change is an undoable
//! [`EditCommand::SetCleanupStack`].

mod curves;
mod face;
mod face_stack;
mod motion;
pub use face::*;
pub use face_stack::*;
pub use motion::*;

pub use curves::*;

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

use crate::cleanup::MarkerRow;
use crate::model::commands::CleanupCommand;
use crate::model::commands::MarkerColumn;
use crate::model::commands::PlaybackCommand;
use crate::model::commands::UiCommand;
use crate::model::edit::EditCommand;

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
    /// Which markers are listed (hidden groups are not).
    pub groups: &'a crate::model::groups::MarkerGroups,
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
    pub motion: crate::cleanup::motion::MotionView<'a>,
    /// The selected joint's rotation curves, when a joint (not a marker) is selected.
    pub joint: Option<JointCurves<'a>>,
    /// The take's face, when it has one (its channels are offered in the Curves view).
    pub face: Option<FaceCurvesView<'a>>,
    /// Outcome line per face entry of the stack.
    pub face_outcomes: &'a [String],
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

/// A new "Swap labels" operation: the selected marker and the next label (or the first two
/// labels); `None` when the take has fewer than two markers.
pub fn swap_labels_op(v: &CleanupView<'_>) -> Option<Operation> {
    let labels = &v.result.or(v.raw)?.labels;
    if labels.len() < 2 {
        return None;
    }
    let a = v.marker.filter(|&m| m < labels.len()).unwrap_or(0);
    let b = (a + 1) % labels.len();
    Some(Operation::SwapLabels {
        a: labels[a].clone(),
        b: labels[b].clone(),
    })
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
            if let Some(op) = swap_labels_op(v)
                && ui
                    .button("Swap labels")
                    .on_hover_text(
                        "Exchange two markers' trajectories over the I/O range (edit the labels in \
                         the entry)",
                    )
                    .clicked()
            {
                let mut s = stack.clone();
                let mut e = StackEntry::new(op);
                e.range = v.io;
                s.entries.push(e);
                out.push(edit(s, "Add Swap labels", None));
                out.push(UiCommand::Cleanup(CleanupCommand::SelectEntry(Some(
                    stack.entries.len(),
                ))));
                ui.close();
            }
        })
        .response
        .on_hover_text("New operations work on the selected marker (or all) over the I/O range (or the whole take)");
        let save = if v.saved { "Saved" } else { "💾 Save stack" };
        let save_button = ui.add_enabled(v.source.is_some() && !v.saved, egui::Button::new(save));
        crate::widgets::probe(&save_button, if v.saved { "stack_saved" } else { "save_stack" });
        if save_button
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
        // Both directions: a narrow column scrolls its table sideways instead of drawing it
        // over the stack (1280×720).
        egui::ScrollArea::both()
            .id_salt("cleanup_markers")
            .auto_shrink([false, false])
            .show(&mut cols[0], |ui| out.extend(marker_table(ui, v)));
        egui::ScrollArea::both()
            .id_salt("cleanup_stack")
            .auto_shrink([false, false])
            .show(&mut cols[1], |ui| {
                out.extend(stack_ui(ui, v, stack));
                ui.separator();
                out.extend(motion_ui(ui, v, stack));
                if let Some(f) = &v.face {
                    ui.separator();
                    let fv = FaceStackView {
                        face: f.face,
                        outcomes: v.face_outcomes,
                        io: v.io,
                    };
                    out.extend(face_stack_ui(ui, &fv, stack));
                }
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
            for r in v.rows.iter().filter(|r| v.groups.visible(r.gaps.marker)) {
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
    op_params_ui(ui, v, &mut e.op, i);
    // Range and markers.
    scope_ui(ui, v, &mut e);
    let c = crate::widgets::commit_text(ui, egui::Id::new(("op_note", i)), &e.note, |t| {
        egui::TextEdit::singleline(t)
            .hint_text("Note (why this operation)")
            .desired_width(f32::INFINITY)
    });
    if let Some(note) = c.committed {
        e.note = note;
    }
    (e != before).then(|| {
        let mut s = stack.clone();
        let name = e.op.name();
        s.entries[i] = e;
        edit(s, format!("Edit {name}"), merge)
    })
}

/// The operation's own parameters.
fn op_params_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, op: &mut Operation, i: usize) {
    match op {
        Operation::FillGaps(p) => {
            fill_gaps_params(ui, v, p, i);
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
                for (k, label) in [(0, a), (1, b)] {
                    if k == 1 {
                        ui.label("↔");
                    }
                    let c = crate::widgets::commit_text(
                        ui,
                        egui::Id::new(("swap_labels", i, k)),
                        label,
                        |t| egui::TextEdit::singleline(t).desired_width(70.0),
                    );
                    if let Some(t) = c.committed
                        && !t.trim().is_empty()
                    {
                        *label = t.trim().to_string();
                    }
                }
            });
        }
    }
}

/// Fill-gaps parameters: method, maximum gap, donor markers for rigid and pattern fills.
fn fill_gaps_params(ui: &mut egui::Ui, v: &CleanupView<'_>, p: &mut FillParams, i: usize) {
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
        let joined = p.donors.join(",");
        let mut donors = None;
        ui.horizontal(|ui| {
            let donors_label = ui.label("Donors");
            let c =
                crate::widgets::commit_text(ui, egui::Id::new(("fill_donors", i)), &joined, |t| {
                    egui::TextEdit::singleline(t)
                        .hint_text("automatic")
                        .desired_width(140.0)
                });
            c.response
                .labelled_by(donors_label.id)
                .on_hover_text("Donor markers, comma separated (Enter to apply)");
            donors = c.committed;
            if let (Some(m), Some(r)) = (v.marker, v.result)
                && let Some(l) = r.labels.get(m)
                && ui
                    .small_button("+ selected")
                    .on_hover_text("Add the marker selected in the viewport or table")
                    .clicked()
                && !p.donors.contains(l)
            {
                donors = Some(if joined.is_empty() {
                    l.clone()
                } else {
                    format!("{joined},{l}")
                });
            }
        });
        if let Some(donors) = donors {
            p.donors = donors
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
    }
}

/// The entry's frame range and markers (all, or the selected marker / the I/O range).
fn scope_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, e: &mut StackEntry) {
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
