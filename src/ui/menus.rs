//! The menu bar: File, Edit, View, Playback and Help.

#[allow(unused_imports)]
use super::*;

pub(crate) fn menu_bar(
    ui: &mut egui::Ui,
    settings: &Settings,
    undo: &UndoStack,
    open_tabs: &[Tab],
    has_character: bool,
    can_resolve: bool,
    unread: Option<usize>,
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        let file_menu = ui.menu_button("File", |ui| {
            if ui.button("Open…  (Ctrl+O)").clicked() {
                out.push(UiCommand::OpenDialog);
            }
            if ui
                .add_enabled(has_character, egui::Button::new("Add actor…"))
                .on_hover_text(
                    "Add another performer (BVH, or AMC with its ASF beside it) to this take",
                )
                .clicked()
            {
                out.push(UiCommand::AddActorDialog);
            }
            if ui
                .button("Compare with…")
                .on_hover_text(
                    "Show a second take (C3D/TRC, BVH, ASF+AMC) as a ghost, with its distance per joint or marker (Compare tab)",
                )
                .clicked()
            {
                out.push(UiCommand::CompareDialog);
            }
            if ui
                .add_enabled(can_resolve, egui::Button::new("Compare with re-solve"))
                .on_hover_text("The take's re-solve against the motion it was opened with")
                .on_disabled_hover_text(
                    "Needs a re-solve (Cleanup → Re-solve) of a take opened with a skeleton motion",
                )
                .clicked()
            {
                out.push(UiCommand::Compare(
                    crate::model::compare::CompareCommand::OpenResolve,
                ));
            }
            ui.menu_button("Open recent", |ui| {
                if settings.recent_files.is_empty() {
                    ui.weak("No recent files");
                }
                for p in &settings.recent_files {
                    if ui.button(p.display().to_string()).clicked() {
                        out.push(UiCommand::Session(SessionCommand::Open(vec![p.clone()])));
                    }
                }
            });
            let can_export = has_character;
            let export_bvh = ui.add_enabled(can_export, egui::Button::new("Export BVH…"));
            crate::widgets::probe(&export_bvh, "menu_export_bvh");
            if export_bvh
                .on_hover_text("One BVH per actor: the first in the file you name, others beside it as NAME_ACTOR.bvh")
                .on_disabled_hover_text("The take has no skeleton and motion")
                .clicked()
            {
                out.push(UiCommand::ExportBvhDialog);
            }
            if ui
                .add_enabled(can_export, egui::Button::new("Export GLB…"))
                .on_hover_text("One mannequin GLB per actor: the first in the file you name, others beside it as NAME_ACTOR.glb")
                .on_disabled_hover_text("The take has no skeleton and motion")
                .clicked()
            {
                out.push(UiCommand::ExportGlbDialog);
            }
            ui.separator();
            if ui.button("Take library…").clicked() {
                out.push(UiCommand::OpenLibraryDialog);
            }
            if let Some(p) = &settings.last_library
                && ui
                    .button(format!("Reopen library {}", p.display()))
                    .clicked()
            {
                out.push(UiCommand::Library(LibraryCommand::Open(p.clone())));
            }
            ui.separator();
            if ui.button("Demo take").clicked() {
                out.push(UiCommand::Session(SessionCommand::LoadDemo));
            }
            if ui.button("Close take").clicked() {
                out.push(UiCommand::Session(SessionCommand::Close));
            }
            ui.separator();
            if ui.button("Quit  (Ctrl+Q)").clicked() {
                out.push(UiCommand::Quit);
            }
        });
        crate::widgets::probe(&file_menu.response, "menu_file");
        out.extend(edit_view_window_menus(ui, settings, undo, open_tabs));
        if let Some(unread) = unread {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                out.extend(notices_button(ui, unread));
            });
        }
    });
    out
}

/// The top bar's notifications button (a take library is open): the unread count, highlighted
/// while there are any; a click shows the Takes tab with its notifications list open.
pub(crate) fn notices_button(ui: &mut egui::Ui, unread: usize) -> Vec<UiCommand> {
    let text = if unread > 0 {
        egui::RichText::new(format!("Notices {unread}"))
            .color(egui::Color32::from_rgb(255, 196, 61))
            .strong()
    } else {
        egui::RichText::new("Notices")
    };
    let clicked = ui
        .button(text)
        .on_hover_text(format!(
            "{unread} unread notification(s): @mentions in notes and status changes of your takes; click to show them in the Takes tab"
        ))
        .clicked();
    if clicked {
        vec![
            UiCommand::FocusTab(Tab::Takes),
            UiCommand::Library(LibraryCommand::ShowNotices(true)),
        ]
    } else {
        Vec::new()
    }
}

/// The Edit (undo/redo), View (camera presets, framing, follow) and Window (tabs) menus.
fn edit_view_window_menus(
    ui: &mut egui::Ui,
    settings: &Settings,
    undo: &UndoStack,
    open_tabs: &[Tab],
) -> Vec<UiCommand> {
    let mut out = Vec::new();
    ui.menu_button("Edit", |ui| {
        let undo_label = undo
            .undo_label()
            .map_or("Undo".to_string(), |l| format!("Undo {l}"));
        if ui
            .add_enabled(undo.undo_label().is_some(), egui::Button::new(undo_label))
            .on_hover_text("Ctrl+Z")
            .clicked()
        {
            out.push(UiCommand::History(HistoryCommand::Undo));
        }
        let redo_label = undo
            .redo_label()
            .map_or("Redo".to_string(), |l| format!("Redo {l}"));
        if ui
            .add_enabled(undo.redo_label().is_some(), egui::Button::new(redo_label))
            .on_hover_text("Ctrl+Shift+Z / Ctrl+Y")
            .clicked()
        {
            out.push(UiCommand::History(HistoryCommand::Redo));
        }
    });
    ui.menu_button("View", |ui| {
        for (label, p) in [
            ("Perspective  (Num 5)", ViewPreset::Perspective),
            ("Front  (Num 1)", ViewPreset::Front),
            ("Side  (Num 3)", ViewPreset::Side),
            ("Top  (Num 7)", ViewPreset::Top),
        ] {
            if ui.button(label).clicked() {
                out.push(UiCommand::Camera(CameraCommand::View(p)));
            }
        }
        if ui.button("Frame selection / all  (F)").clicked() {
            out.push(UiCommand::Camera(CameraCommand::Frame));
        }
        let mut follow = settings.follow_performers;
        if ui
            .checkbox(&mut follow, "Follow performers  (Shift+F)")
            .on_hover_text(
                "Keep the camera on the performers as they move; orbit and dolly still work",
            )
            .changed()
        {
            out.push(UiCommand::Camera(CameraCommand::ToggleFollow));
        }
    });
    ui.menu_button("Window", |ui| {
        for tab in ALL_TABS {
            let open = open_tabs.contains(&tab);
            if ui
                .add_enabled(!open, egui::Button::new(tab.title()))
                .on_disabled_hover_text("Already open")
                .clicked()
            {
                out.push(UiCommand::OpenTab(tab));
            }
        }
        ui.separator();
        if ui.button("Reset layout").clicked() {
            out.push(UiCommand::ResetLayout);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    /// The top bar with a library open (`unread`) or none; the commands of the last frame.
    fn bar(unread: Option<usize>) -> Harness<'static, Vec<UiCommand>> {
        let settings = Settings::default();
        let undo = UndoStack::default();
        Harness::builder().with_size([900.0, 60.0]).build_ui_state(
            move |ui, out: &mut Vec<UiCommand>| {
                *out = menu_bar(ui, &settings, &undo, &[], false, false, unread);
            },
            Vec::new(),
        )
    }

    /// The unread count shows in the top bar, and a click brings the Takes tab forward with its
    /// notifications list open (which marks them read).
    #[test]
    fn the_top_bar_shows_unread_notices_and_opens_them_in_the_takes_tab() {
        let mut h = bar(Some(3));
        h.run();
        h.get_by_label("Notices 3").click();
        h.run_steps(1);
        let out = h.state();
        assert!(
            out.iter()
                .any(|c| matches!(c, UiCommand::FocusTab(Tab::Takes))),
            "{out:?}"
        );
        assert!(
            out.iter()
                .any(|c| matches!(c, UiCommand::Library(LibraryCommand::ShowNotices(true)))),
            "{out:?}"
        );
    }

    #[test]
    fn without_a_library_the_top_bar_has_no_notices_button() {
        let mut h = bar(None);
        h.run();
        assert!(h.query_by_label("Notices").is_none());
        let mut h = bar(Some(0));
        h.run();
        assert!(h.query_by_label("Notices").is_some());
    }
}
