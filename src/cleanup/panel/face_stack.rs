//! The stack's face operations (low-pass, despike, clamp, gain/offset, blink repair) in the
//! Cleanup tab: add, enable, edit, limit to a channel, remove — every change an undoable
//! `SetCleanupStack` edit of `OpStack::face`, the same entries `mocap clean --ops` runs.

#[allow(unused_imports)]
use super::*;
use mocap_solver::face_ops::{ChannelSelection, FaceEntry, FaceOp};

/// The operations the "Add face operation" menu offers, with their defaults.
pub fn face_add_menu() -> Vec<(&'static str, FaceOp)> {
    vec![
        (
            "Low-pass",
            FaceOp::FaceLowpass {
                cutoff_hz: 8.0,
                order: 2,
            },
        ),
        ("Despike", FaceOp::FaceDespike { threshold: 0.3 }),
        ("Clamp", FaceOp::Clamp { min: 0.0, max: 1.0 }),
        (
            "Gain / offset",
            FaceOp::GainOffset {
                gain: 1.0,
                offset: 0.0,
            },
        ),
        (
            "Blink repair",
            FaceOp::BlinkRepair {
                min_closed: 0.8,
                max_gap_frames: 3,
            },
        ),
    ]
}

/// What the Face section shows.
#[derive(Debug, Clone, Copy)]
pub struct FaceStackView<'a> {
    /// The take's face (after the stack).
    pub face: &'a mocap_data::FaceCurves,
    /// Outcome line per face entry.
    pub outcomes: &'a [String],
    /// I/O range as a half-open frame range, when set.
    pub io: Option<FrameRange>,
}

/// The Face section (shown when the take has a face).
pub(crate) fn face_stack_ui(
    ui: &mut egui::Ui,
    v: &FaceStackView<'_>,
    stack: &OpStack,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.strong("Face");
    let picked = picked_face_channel(ui.ctx());
    ui.menu_button("➕ Add face operation", |ui| {
        for (label, op) in face_add_menu() {
            if ui.button(label).clicked() {
                let mut s = stack.clone();
                let mut e = FaceEntry::new(op);
                // On the channel picked in the Curves view, over the I/O range, like the marker
                // operations.
                if let Some(p) = &picked {
                    e.channels = ChannelSelection::Names(vec![p.clone()]);
                }
                e.range = v.io;
                s.face.push(e);
                out.push(edit(s, format!("Add face {label}"), None));
                ui.close();
            }
        }
    })
    .response
    .on_hover_text(
        "Curve operations on the face (blendshape weights, head/eye rotations): on the channel \
         picked in the Curves view (or every blendshape) over the I/O range (or the whole take)",
    );
    if stack.face.is_empty() {
        ui.weak(format!(
            "No face operations: {} curves as captured.",
            v.face.blendshapes.len() + v.face.rotations.len()
        ));
    }
    for (i, e) in stack.face.iter().enumerate() {
        ui.push_id(("face_entry", i), |ui| {
            out.extend(face_entry_ui(ui, v, stack, i, e, picked.as_deref()));
        });
    }
    out
}

fn face_entry_ui(
    ui: &mut egui::Ui,
    v: &FaceStackView<'_>,
    stack: &OpStack,
    i: usize,
    e: &FaceEntry,
    picked: Option<&str>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let mut next = e.clone();
    // Drags of one entry's values merge into one undo step.
    let merge = Some(10_000 + i as u64);
    ui.horizontal(|ui| {
        ui.checkbox(&mut next.enabled, "")
            .on_hover_text("Enable / disable");
        ui.label(egui::RichText::new(e.op.name()).strong());
        let channels = match &e.channels {
            ChannelSelection::Blendshapes => "blendshapes".to_string(),
            ChannelSelection::All => "all curves".to_string(),
            ChannelSelection::Names(n) => n.join(", "),
        };
        ui.weak(channels);
        if let Some(o) = v.outcomes.get(i) {
            ui.weak(format!("· {o}"));
        }
        if ui
            .small_button("🗑")
            .on_hover_text("Remove this face operation")
            .clicked()
        {
            let mut s = stack.clone();
            s.face.remove(i);
            out.push(edit(s, format!("Remove face {}", e.op.name()), None));
        }
    });
    ui.horizontal_wrapped(|ui| {
        match &mut next.op {
            FaceOp::FaceLowpass { cutoff_hz, order } => {
                ui.add(
                    egui::DragValue::new(cutoff_hz)
                        .range(0.1..=60.0)
                        .speed(0.1)
                        .prefix("cutoff ")
                        .suffix(" Hz"),
                );
                ui.add(egui::DragValue::new(order).range(1..=8).prefix("order "));
            }
            FaceOp::FaceDespike { threshold } => {
                ui.add(
                    egui::DragValue::new(threshold)
                        .range(0.01..=2.0)
                        .speed(0.01)
                        .prefix("threshold "),
                );
            }
            FaceOp::Clamp { min, max } => {
                ui.add(
                    egui::DragValue::new(min)
                        .range(-10.0..=10.0)
                        .speed(0.01)
                        .prefix("min "),
                );
                ui.add(
                    egui::DragValue::new(max)
                        .range(-10.0..=10.0)
                        .speed(0.01)
                        .prefix("max "),
                );
            }
            FaceOp::GainOffset { gain, offset } => {
                ui.add(
                    egui::DragValue::new(gain)
                        .range(0.0..=10.0)
                        .speed(0.01)
                        .prefix("gain "),
                );
                ui.add(
                    egui::DragValue::new(offset)
                        .range(-1.0..=1.0)
                        .speed(0.01)
                        .prefix("offset "),
                );
            }
            FaceOp::BlinkRepair {
                min_closed,
                max_gap_frames,
            } => {
                ui.add(
                    egui::DragValue::new(min_closed)
                        .range(0.05..=1.0)
                        .speed(0.01)
                        .prefix("closed ≥ "),
                );
                ui.add(
                    egui::DragValue::new(max_gap_frames)
                        .range(1..=30)
                        .prefix("gaps ≤ ")
                        .suffix(" frames"),
                );
            }
        }
        if !matches!(next.op, FaceOp::BlinkRepair { .. }) {
            egui::ComboBox::from_id_salt("channels")
                .selected_text("channels")
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut next.channels,
                        ChannelSelection::Blendshapes,
                        "every blendshape",
                    );
                    ui.selectable_value(&mut next.channels, ChannelSelection::All, "all curves");
                    if let Some(p) = picked {
                        ui.selectable_value(
                            &mut next.channels,
                            ChannelSelection::Names(vec![p.to_string()]),
                            format!("only {p}"),
                        );
                    }
                });
        }
        match e.range {
            Some(r) => {
                ui.weak(format!("frames {}–{}", r.start, r.end.saturating_sub(1)));
                if ui.small_button("all frames").clicked() {
                    next.range = None;
                }
            }
            None => {
                if let Some(io) = v.io
                    && ui.small_button("use I/O").clicked()
                {
                    next.range = Some(io);
                }
            }
        }
    });
    if next != *e {
        let mut s = stack.clone();
        s.face[i] = next;
        out.push(edit(s, format!("Edit face {}", e.op.name()), merge));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    #[test]
    fn adding_a_face_operation_edits_the_stack() {
        let face = crate::session::demo::demo_face(10.0);
        let stack = OpStack::default();
        let mut h = Harness::new_ui_state(
            move |ui, out: &mut Vec<UiCommand>| {
                let view = FaceStackView {
                    face: &face,
                    outcomes: &[],
                    io: None,
                };
                out.extend(face_stack_ui(ui, &view, &stack));
            },
            Vec::new(),
        );
        h.get_by_label("➕ Add face operation").click();
        h.run();
        h.get_by_label("Blink repair").click();
        h.run();
        let stacks: Vec<&OpStack> = h
            .state()
            .iter()
            .filter_map(|c| match c {
                UiCommand::Edit(EditCommand::SetCleanupStack { stack, .. }) => Some(&**stack),
                _ => None,
            })
            .collect();
        let s = stacks.last().expect("an edit of the stack");
        assert_eq!(s.face.len(), 1);
        assert!(matches!(s.face[0].op, FaceOp::BlinkRepair { .. }));
    }
}
