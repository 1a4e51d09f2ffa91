//! Modal prompts: unsaved changes before quitting, recovered work at start; and the window
//! title, which marks unsaved work.

#[allow(unused_imports)]
use super::*;

/// The prompts over everything else; their buttons return commands.
pub(crate) fn prompts_ui(
    ctx: &egui::Context,
    unsaved: &Unsaved,
    offer: Option<&RecoveryOffer>,
    quit: Option<&QuitPrompt>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    if let Some(m) = offer.and_then(|o| o.0.as_ref()) {
        egui::Modal::new(egui::Id::new("recovery_offer")).show(ctx, |ui| {
            ui.heading("Recover unsaved work?");
            ui.label(format!(
                "Mocap Studio did not close normally. Unsaved work on {} was kept ({}):",
                m.take_name,
                saved_ago(m.written_unix_s)
            ));
            if m.stack.is_some() {
                ui.label("• the clean-up stack");
            }
            for t in &m.subtitles {
                ui.label(format!("• subtitles ({})", t.lang));
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .button("Restore")
                    .on_hover_text("Open the take again and put the work back (undoable)")
                    .clicked()
                {
                    out.push(UiCommand::Recovery(RecoveryCommand::Restore));
                }
                if ui.button("Discard").clicked() {
                    out.push(UiCommand::Recovery(RecoveryCommand::Discard));
                }
            });
        });
    } else if quit.is_some_and(|q| q.0) {
        egui::Modal::new(egui::Id::new("quit_prompt")).show(ctx, |ui| {
            ui.heading("Quit with unsaved changes?");
            for d in &unsaved.docs {
                ui.label(format!("• {d}"));
            }
            ui.weak("Save them from their panels (Cleanup: Save stack; Subtitles: Save).");
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui.button("Quit without saving").clicked() {
                    out.push(UiCommand::QuitDiscard);
                }
                if ui.button("Cancel").clicked() {
                    out.push(UiCommand::CancelQuit);
                }
            });
        });
    }
    out
}

fn saved_ago(unix_s: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let s = now.saturating_sub(unix_s);
    match s {
        0..60 => format!("saved {s} s ago"),
        60..3600 => format!("saved {} min ago", s / 60),
        3600..86400 => format!("saved {} h ago", s / 3600),
        _ => format!("saved {} days ago", s / 86400),
    }
}

/// The window's close button asks like File → Quit.
pub(crate) fn close_requested(
    mut requests: MessageReader<bevy::window::WindowCloseRequested>,
    mut out: MessageWriter<UiCommand>,
) {
    if requests.read().count() > 0 {
        out.write(UiCommand::Quit);
    }
}

/// "Mocap Studio — take ●" while work is unsaved.
pub(crate) fn window_title(
    unsaved: Res<Unsaved>,
    session: Res<Session>,
    mut windows: Query<&mut Window, With<PrimaryWindow>>,
) {
    if !unsaved.is_changed() && !session.is_changed() {
        return;
    }
    let name = session.take.as_ref().map(|t| t.name.as_str());
    let title = match (name, unsaved.docs.is_empty()) {
        (Some(n), true) => format!("Mocap Studio — {n}"),
        (Some(n), false) => format!("Mocap Studio — {n} ● unsaved"),
        (None, _) => "Mocap Studio".to_string(),
    };
    for mut w in &mut windows {
        if w.title != title {
            w.title = title.clone();
        }
    }
}
