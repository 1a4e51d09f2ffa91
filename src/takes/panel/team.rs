//! The Takes panel's team parts: the library bar (open a file, or a team library by its
//! `postgres://` URL, recent libraries, the user), the notifications bell, the Dailies section
//! and the "Send to farm" menu with its engine choice.

use bevy_egui::egui;
use take_library::notices::{Notice, NoticeKind};

use super::{TakesView, status_label};
use crate::model::commands::UiCommand;
use crate::model::library::LibraryCommand;

fn lib(c: LibraryCommand) -> UiCommand {
    UiCommand::Library(c)
}

/// The library bar: what is open, open a file or a URL, recent libraries, the user, the bell.
pub(super) fn library_bar(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) {
    ui.horizontal_wrapped(|ui| {
        match v.path {
            Some(p) => {
                ui.label(egui::RichText::new("Library").strong());
                ui.monospace(take_library::store::redact_url(&p.to_string_lossy()))
                    .on_hover_text("The same library `mocap takes --db` uses");
            }
            None => {
                ui.weak("No take library open");
            }
        }
        if ui
            .button("Open / create…")
            .on_hover_text("A take library file (SQLite)")
            .clicked()
        {
            out.push(UiCommand::OpenLibraryDialog);
        }
        let c = crate::widgets::commit_text(ui, ui.id().with("library_url"), "", |t| {
            egui::TextEdit::singleline(t)
                .hint_text("postgres://user@host/db")
                .desired_width(180.0)
        });
        c.response.on_hover_text(
            "A team library on PostgreSQL: type its URL and press Enter (connects in the \
             background; the password is not remembered)",
        );
        if let Some(url) = c.committed.filter(|u| !u.trim().is_empty()) {
            if take_library::store::is_postgres_url(&url) {
                out.push(lib(LibraryCommand::Open(url.trim().into())));
            } else {
                out.push(UiCommand::Report(format!(
                    "Not a team library URL: `{url}` (expected postgres://USER@HOST[:PORT]/DATABASE)"
                )));
            }
        }
        if !v.recent.is_empty() {
            ui.menu_button("Recent", |ui| {
                for r in v.recent {
                    if ui.button(r).clicked() {
                        out.push(lib(LibraryCommand::Open(r.into())));
                        ui.close();
                    }
                }
            });
        }
        ui.label("User");
        let c = crate::widgets::commit_text(ui, ui.id().with("library_user"), v.author, |t| {
            egui::TextEdit::singleline(t).desired_width(80.0)
        });
        c.response.on_hover_text(
            "Your name: author of your notes and status changes; you are notified of @name \
             mentions and of status changes on takes you registered or reviewed",
        );
        if let Some(user) = c.committed.filter(|u| !u.trim().is_empty()) {
            out.push(lib(LibraryCommand::SetAuthor(user)));
        }
        if v.path.is_some() {
            bell(ui, v, out);
        }
    });
    if v.show_notices && v.path.is_some() {
        notices_list(ui, v, out);
    }
    if let Some(url) = v.opening {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Connecting to {url}…"));
        });
    }
}

/// One line about a notice.
pub fn notice_text(n: &Notice) -> String {
    match &n.kind {
        NoticeKind::Mention { .. } => format!(
            "{} mentioned you on {}{}: {}",
            n.author,
            n.take_name,
            n.frame
                .map(|f| format!(" at frame {f}"))
                .unwrap_or_default(),
            n.text
        ),
        NoticeKind::Status { from, to } => {
            let mut t = format!(
                "{} set {} from {} to {}",
                n.author,
                n.take_name,
                status_label(*from),
                status_label(*to)
            );
            if !n.text.is_empty() {
                t.push_str(&format!(": {}", n.text));
            }
            t
        }
    }
}

/// The notifications bell ("Notices" and the unread count: the UI font has no bell glyph); its
/// list opens a notice's take (at the note's frame).
fn bell(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) {
    let title = if v.unread > 0 {
        egui::RichText::new(format!("Notices {}", v.unread))
            .color(egui::Color32::from_rgb(255, 196, 61))
            .strong()
    } else {
        egui::RichText::new("Notices")
    };
    let r = ui.menu_button(title, |ui| {
        if v.notices.is_empty() {
            ui.weak(
                "No notifications: @mentions in notes and status changes of your takes appear here",
            );
        }
        if notice_buttons(ui, v, out) {
            ui.close();
        }
    });
    if r.inner.is_some() && v.unread > 0 {
        out.push(lib(LibraryCommand::ReadNotices));
    }
    r.response.on_hover_text(format!(
        "Notifications for {}: {} unread",
        v.author, v.unread
    ));
}

/// One button per notice, newest first, each opening its take (at the note's frame); true when
/// one was clicked.
fn notice_buttons(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) -> bool {
    let mut clicked = false;
    egui::ScrollArea::vertical()
        .id_salt("notices")
        .max_height(300.0)
        .show(ui, |ui| {
            for n in v.notices.iter().rev() {
                let when = take_library::util::format_utc_ms(n.time_utc_ms);
                if ui
                    .button(notice_text(n))
                    .on_hover_text(format!("{when} · click: open the take"))
                    .clicked()
                {
                    out.push(lib(LibraryCommand::OpenAt {
                        take_id: n.take_id,
                        frame: n.frame.and_then(|f| usize::try_from(f).ok()),
                    }));
                    clicked = true;
                }
            }
        });
    clicked
}

/// The notifications list shown open in the panel (the top bar's Notices button asked for it).
fn notices_list(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.strong(format!("Notifications for {}", v.author));
            if ui.button("Close").clicked() {
                out.push(lib(LibraryCommand::ShowNotices(false)));
            }
        });
        if v.notices.is_empty() {
            ui.weak(
                "No notifications: @mentions in notes and status changes of your takes appear here",
            );
        }
        notice_buttons(ui, v, out);
    });
}

/// The Dailies section: pick a playlist, play it in sequence, step, export its report.
pub(super) fn dailies_ui(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) {
    if v.playlists.is_empty() && v.dailies.is_none() {
        return;
    }
    let id = egui::Id::new("dailies_pick");
    let mut pick: String = ui
        .data_mut(|d| d.get_temp(id))
        .filter(|p: &String| v.playlists.contains(p))
        .or_else(|| v.playlists.first().cloned())
        .unwrap_or_default();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new("Dailies").strong());
        egui::ComboBox::from_id_salt("dailies_playlist")
            .selected_text(pick.as_str())
            .show_ui(ui, |ui| {
                for p in v.playlists {
                    ui.selectable_value(&mut pick, p.clone(), p);
                }
            });
        if ui
            .add_enabled(!pick.is_empty(), egui::Button::new("▶ Play"))
            .on_hover_text("Open each take in order with its notes; the next one at the take's end")
            .clicked()
        {
            out.push(lib(LibraryCommand::PlayDailies(pick.clone())));
        }
        if let Some(d) = v.dailies {
            if ui
                .add_enabled(d.index > 0, egui::Button::new("⏮ Prev"))
                .clicked()
            {
                out.push(lib(LibraryCommand::StepDailies(-1)));
            }
            if ui.button("⏭ Next").clicked() {
                out.push(lib(LibraryCommand::StepDailies(1)));
            }
            if ui.button("⏹ Stop").clicked() {
                out.push(lib(LibraryCommand::StopDailies));
            }
            let name = d
                .items
                .get(d.index)
                .map(|i| {
                    v.rows
                        .iter()
                        .find(|r| r.summary.id == i.take_id)
                        .map_or_else(|| format!("take {}", i.take_id), |r| r.summary.name.clone())
                })
                .unwrap_or_default();
            ui.label(format!(
                "{}: {} of {} · {name}",
                d.name,
                d.index + 1,
                d.items.len()
            ));
        }
        if ui
            .add_enabled(!pick.is_empty(), egui::Button::new("Report…"))
            .on_hover_text(
                "The playlist's HTML review report: each entry with status, verdicts and notes",
            )
            .clicked()
        {
            out.push(UiCommand::ExportPlaylistDialog(pick.clone()));
        }
    });
    ui.data_mut(|d| d.insert_temp(id, pick));
}

/// The "Send to farm" menu: steps and engine, on the selected take or on every listed take.
pub(super) fn farm_menu(ui: &mut egui::Ui, v: &TakesView<'_>, out: &mut Vec<UiCommand>) {
    let id = egui::Id::new("farm_steps");
    let mut steps: [bool; 4] = ui
        .data_mut(|d| d.get_temp(id))
        .unwrap_or([true, false, false, false]);
    let engine_id = egui::Id::new("farm_engine");
    let mut engine: mocap_farm::Engine = ui
        .data_mut(|d| d.get_temp(engine_id))
        .unwrap_or(mocap_farm::Engine::Local);
    ui.menu_button("Send to farm…", |ui| {
        ui.label("Steps (each take: clean → solve → export → qc; qc checks the export)");
        for (on, name) in steps.iter_mut().zip(["clean", "solve", "export", "qc"]) {
            ui.checkbox(on, name);
        }
        ui.separator();
        ui.label("Engine");
        for c in v.engines {
            let label = match c.engine {
                mocap_farm::Engine::Local => "local (this machine)",
                mocap_farm::Engine::Slurm => "slurm",
                mocap_farm::Engine::Opencue => "opencue",
            };
            let r = ui.add_enabled(
                c.unavailable.is_none(),
                egui::RadioButton::new(engine == c.engine, label),
            );
            if let Some(why) = &c.unavailable {
                ui.weak(why);
            }
            if r.clicked() {
                engine = c.engine;
            }
        }
        let list: Vec<&str> = ["clean", "solve", "export", "qc"]
            .into_iter()
            .zip(steps)
            .filter_map(|(n, on)| on.then_some(n))
            .collect();
        let send = |ids: Vec<i64>| {
            lib(LibraryCommand::SendToFarm {
                ids,
                steps: list.join(","),
                engine,
            })
        };
        ui.separator();
        let running = v.farm.is_some();
        let selection: Vec<i64> = v
            .selected
            .into_iter()
            .chain(v.picked.iter().copied())
            .collect();
        let label = match selection.len() {
            1 => "Selected take".to_string(),
            n => format!("{n} selected takes"),
        };
        if !selection.is_empty()
            && ui
                .add_enabled(!list.is_empty() && !running, egui::Button::new(label))
                .on_hover_text("Ctrl/⌘-click rows to select more takes")
                .clicked()
        {
            out.push(send(selection));
            ui.close();
        }
        if ui
            .add_enabled(
                !list.is_empty() && !running && !v.rows.is_empty(),
                egui::Button::new(format!("All {} listed takes", v.rows.len())),
            )
            .on_hover_text("The takes the filter shows (results become versions in the library)")
            .clicked()
        {
            out.push(send(v.rows.iter().map(|r| r.summary.id).collect()));
            ui.close();
        }
    })
    .response
    .on_hover_text(
        "Run the pipeline on a farm engine (as `mocap farm run --engine local|slurm|opencue`); \
         results become versions in the library",
    );
    ui.data_mut(|d| {
        d.insert_temp(id, steps);
        d.insert_temp(engine_id, engine);
    });
}
