//! The Motion section: the solve stage's settings (marker set, skeleton, actor, calibration), re-solve and foot-lock contacts.

#[allow(unused_imports)]
use super::*;

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
pub(crate) const SOLVE_STAGE_MERGE: u64 = u64::MAX - 7;

/// The solve stage's settings: marker set (preset or JSON file), skeleton file, calibration
/// frames, smoothing and actor. Every change is an undoable stack edit (a drag merges into one
/// step); the motion is re-solved with "Re-solve".
/// The actors the solve stage can be pointed at: label prefixes of `raw` in which marker set
/// `set_name` (a preset or a JSON file) finds enough of its markers, in order of appearance
/// (none for unprefixed labels, which are the only actor anyway).
pub(crate) fn actor_choices(raw: Option<&MarkerTrajectories>, set_name: &str) -> Vec<String> {
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
pub(crate) fn solve_stage_editor(
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
            let set_label = ui.label("Marker set");
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
                let c = crate::widgets::commit_text(
                    ui,
                    egui::Id::new("solve_markerset_text"),
                    &st.markerset,
                    |t| egui::TextEdit::singleline(t).desired_width(160.0),
                );
                c.response
                    .labelled_by(set_label.id)
                    .on_hover_text("A preset name or a marker-set JSON file (Enter to apply)");
                if let Some(text) = c.committed
                    && !text.trim().is_empty()
                {
                    st.markerset = text.trim().to_string();
                }
            });
            ui.end_row();
            let sk_label = ui.label("Skeleton");
            let sk = st
                .skeleton
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let c =
                crate::widgets::commit_text(ui, egui::Id::new("solve_skeleton_path"), &sk, |t| {
                    egui::TextEdit::singleline(t)
                        .hint_text("the take's skeleton")
                        .desired_width(220.0)
                });
            crate::widgets::probe(&c.response, "solve_skeleton");
            c.response.labelled_by(sk_label.id).on_hover_text(
                ".asf or .bvh file; empty: the take's own skeleton (Enter to apply)",
            );
            if let Some(sk) = c.committed {
                st.skeleton = (!sk.trim().is_empty()).then(|| sk.trim().into());
            }
            ui.end_row();
            ui.label("Calibrate on");
            if ui
                .add(
                    egui::DragValue::new(&mut st.calibration_frames)
                        .range(1..=raw.map_or(100_000, |r| r.frame_count().max(1)))
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
pub(crate) fn motion_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, stack: &OpStack) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let m = &v.motion;
    ui.strong("Solve");
    let Some(stage) = &stack.solve else {
        let add = ui.button("➕ Add solve stage");
        crate::widgets::probe(&add, "add_solve_stage");
        if add
            .on_hover_text("Solve the cleaned markers onto the take's skeleton (as `mocap clean --motion-out`)")
            .clicked()
        {
            let mut s = stack.clone();
            let mut stage = SolveStage::default();
            // Calibrate within the take (the default 600 frames is longer than many takes).
            if let Some(n) = v.raw.map(|r| r.frame_count()).filter(|&n| n > 0) {
                stage.calibration_frames = stage.calibration_frames.min(n);
            }
            s.solve = Some(stage);
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
            let resolve = ui.add_enabled(stage.enabled, egui::Button::new("▶ Re-solve"));
            crate::widgets::probe(&resolve, "resolve");
            if resolve
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
    out.extend(foot_lock_ui(ui, v, stack));
    out
}

/// The foot lock: on/off, remove, and the contacts of each foot under the playhead (add over the
/// I/O range, remove, nudge ends).
fn foot_lock_ui(ui: &mut egui::Ui, v: &CleanupView<'_>, stack: &OpStack) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let m = &v.motion;
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
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// The panel over a stack it owns: edits the panel emits are applied as the app would.
    fn harness(stack: OpStack) -> Harness<'static, OpStack> {
        Harness::new_ui_state(
            |ui, stack: &mut OpStack| {
                let Some(stage) = stack.solve.clone() else {
                    return;
                };
                for c in solve_stage_editor(ui, stack, &stage, None) {
                    if let UiCommand::Edit(EditCommand::SetCleanupStack { stack: s, .. }) = c {
                        *stack = *s;
                    }
                }
            },
            stack,
        )
    }

    #[test]
    fn typing_a_skeleton_path_and_enter_sets_the_solve_stage() {
        let stack = OpStack {
            solve: Some(SolveStage::default()),
            ..OpStack::default()
        };
        let mut h = harness(stack);
        h.get_by_label("Skeleton").click();
        h.run();
        h.get_by_label("Skeleton").type_text("/data/cmu/39.asf");
        h.run();
        assert_eq!(
            h.state().solve.as_ref().and_then(|s| s.skeleton.clone()),
            None,
            "not applied while typing"
        );
        h.key_press(egui::Key::Enter);
        h.run();
        assert_eq!(
            h.state().solve.as_ref().and_then(|s| s.skeleton.clone()),
            Some(std::path::PathBuf::from("/data/cmu/39.asf"))
        );
        // The marker set field too.
        h.get_by_label("Marker set").click();
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        h.get_by_label("Marker set").type_text("fullbody53");
        h.key_press(egui::Key::Enter);
        h.run();
        assert_eq!(
            h.state().solve.as_ref().map(|s| s.markerset.as_str()),
            Some("fullbody53")
        );
    }
}
