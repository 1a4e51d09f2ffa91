//! The Takes and Review panels: pure functions of a snapshot ([`TakesView`], [`ReviewView`])
//! that return [`UiCommand`]s. Data edits are [`EditCommand::Library`] (undoable); browsing is
//! [`LibraryCommand`].

mod review;
mod team;
#[cfg(test)]
mod tests;
pub use review::*;
pub use team::notice_text;

use std::collections::BTreeMap;
use std::path::Path;

use bevy_egui::egui;
use mocap_data::{FrameIndex, FrameRate, Timecode};
use take_library::{Command, NewNote, Note, TakeDetail, TakeRow, TakeStatus};

use crate::model::commands::PlaybackCommand;
use crate::model::commands::UiCommand;
use crate::model::edit::EditCommand;
use crate::model::lanes::DisplayRate;
use crate::model::lanes::timecode_at;
use crate::model::library::LibraryCommand;
use crate::model::library::SortColumn;
use crate::model::library::TakeFilter;

/// What the Takes panel shows.
#[derive(Debug, Clone)]
pub struct TakesView<'a> {
    /// The open library file.
    pub path: Option<&'a Path>,
    /// Rows (sorted).
    pub rows: &'a [TakeRow],
    /// Matches in total.
    pub total: u64,
    /// Every scene.
    pub scenes: &'a [String],
    /// Every capture session (day).
    pub sessions: &'a [String],
    /// Current filter.
    pub filter: &'a TakeFilter,
    /// Sort column and direction.
    pub sort: (SortColumn, bool),
    /// Selected take id.
    pub selected: Option<i64>,
    /// Further takes selected with Ctrl/⌘-click (ids).
    pub picked: &'a [i64],
    /// The take open in the session (id).
    pub active: Option<i64>,
    /// Last read error.
    pub error: Option<&'a str>,
    /// Author of edits.
    pub author: &'a str,
    /// A folder being imported: the folder, files looked at, files found.
    pub importing: Option<(&'a Path, usize, usize)>,
    /// A farm run from the studio: what runs, seconds since it started.
    pub farm: Option<(&'a str, f64)>,
    /// Its jobs: (finished, failed, in the plan).
    pub farm_progress: Option<(usize, usize, usize)>,
    /// Farm engines and why each cannot run here (if so).
    pub engines: &'a [mocap_farm::send::EngineChoice],
    /// Recently opened libraries (files and URLs), most recent first.
    pub recent: &'a [String],
    /// A team library being connected to (its URL, password hidden).
    pub opening: Option<&'a str>,
    /// Notifications for `author`, oldest first.
    pub notices: &'a [take_library::notices::Notice],
    /// How many of `notices` are unread.
    pub unread: usize,
    /// The notifications list is shown open (asked for from the top bar).
    pub show_notices: bool,
    /// Dailies playlists of the library.
    pub playlists: &'a [String],
    /// The dailies playlist being played.
    pub dailies: Option<&'a crate::model::library::DailiesPlay>,
}

/// True when the take is selected (clicked, or added with Ctrl/⌘-click).
fn is_selected(v: &TakesView<'_>, id: i64) -> bool {
    v.selected == Some(id) || v.picked.contains(&id)
}

/// A click on a take's row: select it, or with Ctrl/⌘ held add it to the selection or take it
/// out (the modifiers of the release are looked at too: a click can come with its own).
fn click(ui: &egui::Ui, id: i64) -> UiCommand {
    let command = ui.input(|i| {
        i.modifiers.command
            || i.events.iter().any(|e| {
                matches!(e, egui::Event::PointerButton { pressed: false, modifiers, .. }
                    if modifiers.command)
            })
    });
    UiCommand::Library(if command {
        LibraryCommand::ToggleSelect(id)
    } else {
        LibraryCommand::Select(Some(id))
    })
}

/// Colour of a status badge.
pub fn status_colour(s: TakeStatus) -> egui::Color32 {
    match s {
        TakeStatus::None => egui::Color32::from_gray(110),
        TakeStatus::Circled => egui::Color32::from_rgb(90, 160, 255),
        TakeStatus::Approved => egui::Color32::from_rgb(80, 190, 110),
        TakeStatus::Rejected => egui::Color32::from_rgb(220, 80, 80),
        TakeStatus::NeedsFix => egui::Color32::from_rgb(235, 170, 50),
    }
}

/// Short badge text of a status.
pub fn status_label(s: TakeStatus) -> &'static str {
    match s {
        TakeStatus::None => "—",
        TakeStatus::Circled => "● circled",
        TakeStatus::Approved => "✔ approved",
        TakeStatus::Rejected => "✖ rejected",
        TakeStatus::NeedsFix => "⚠ needs fix",
    }
}

fn badge(ui: &mut egui::Ui, s: TakeStatus) {
    ui.label(
        egui::RichText::new(status_label(s))
            .color(status_colour(s))
            .strong(),
    );
}

/// Duration as `m:ss.s`, or `?`.
pub fn duration_text(frames: Option<u64>, rate: Option<FrameRate>) -> String {
    match (frames, rate) {
        (Some(f), Some(r)) => {
            let s = r.frames_to_seconds(i64::try_from(f).unwrap_or(i64::MAX));
            format!("{}:{:04.1}", (s / 60.0).floor() as u64, s % 60.0)
        }
        _ => "?".into(),
    }
}

/// The status command the C / A / R hotkeys (and buttons) send for `take_id`.
pub fn status_edit(
    take_id: i64,
    status: TakeStatus,
    author: &str,
    comment: Option<String>,
) -> UiCommand {
    UiCommand::Edit(EditCommand::Library(Command::SetStatus {
        take_id,
        status,
        author: author.to_string(),
        comment,
    }))
}

/// The Takes panel: library bar, filters, a tree by capture day and scene, and the table.
pub fn takes_ui(ui: &mut egui::Ui, v: &TakesView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let lib = |c| UiCommand::Library(c);
    team::library_bar(ui, v, &mut out);
    if v.path.is_some() {
        ui.horizontal(|ui| {
            if ui.button("Import folder…").clicked() {
                out.push(UiCommand::ImportFolderDialog);
            }
            team::farm_menu(ui, v, &mut out);
            if ui
                .button("Review report…")
                .on_hover_text(
                    "A self-contained HTML page of the filtered day and scene (or everything)",
                )
                .clicked()
            {
                out.push(UiCommand::ExportReportDialog(
                    v.filter.scene.clone(),
                    v.filter.session.clone(),
                ));
            }
        });
    }
    if let Some(e) = v.error {
        ui.colored_label(egui::Color32::from_rgb(235, 87, 87), e);
    }
    if let Some((what, secs)) = v.farm {
        ui.horizontal(|ui| {
            ui.spinner();
            let jobs = match v.farm_progress {
                Some((done, failed, total)) => {
                    format!(", {done} of {total} jobs done, {failed} failed")
                }
                None => String::new(),
            };
            ui.label(format!("Farm: {what}, running for {secs:.0} s{jobs}"));
        });
    }
    if let Some((folder, done, total)) = v.importing {
        let fraction = if total > 0 {
            done as f32 / total as f32
        } else {
            0.0
        };
        ui.add(
            egui::ProgressBar::new(fraction)
                .show_percentage()
                .text(format!(
                    "Importing {}: {done} of {total} files hashed",
                    folder.display()
                )),
        );
    }
    if v.path.is_none() {
        ui.add_space(8.0);
        ui.weak(
            "Open a project's take library (a .db file made by `mocap takes import`) or create \
             one, then import capture folders. Takes are grouped by day and scene.",
        );
        return out;
    }
    team::dailies_ui(ui, v, &mut out);
    // Filters.
    ui.horizontal(|ui| {
        let mut f = v.filter.clone();
        let r = ui.add(
            egui::TextEdit::singleline(&mut f.text)
                .hint_text("Search names, actors, tags, notes…")
                .desired_width(220.0),
        );
        egui::ComboBox::from_id_salt("takes_status_filter")
            .selected_text(f.status.map_or("Any status", status_label))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.status, None, "Any status");
                for s in TakeStatus::ALL {
                    ui.selectable_value(&mut f.status, Some(s), status_label(s));
                }
            });
        egui::ComboBox::from_id_salt("takes_scene_filter")
            .selected_text(f.scene.as_deref().unwrap_or("Any scene"))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.scene, None, "Any scene");
                for s in v.scenes {
                    ui.selectable_value(&mut f.scene, Some(s.clone()), s);
                }
            });
        if !v.sessions.is_empty() {
            egui::ComboBox::from_id_salt("takes_session_filter")
                .selected_text(f.session.as_deref().unwrap_or("Any day"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut f.session, None, "Any day");
                    for s in v.sessions {
                        ui.selectable_value(&mut f.session, Some(s.clone()), s);
                    }
                });
        }
        if f != *v.filter && (r.changed() || f.text == v.filter.text) {
            out.push(lib(LibraryCommand::SetFilter(f)));
        }
        ui.weak(format!(
            "{} of {} takes",
            v.rows.len(),
            v.total.max(v.rows.len() as u64)
        ));
    });
    ui.separator();
    let avail = ui.available_size();
    if avail.x >= 640.0 {
        // Wide: tree on the left, table on the right.
        ui.horizontal_top(|ui| {
            ui.allocate_ui_with_layout(
                egui::vec2(190.0, avail.y),
                egui::Layout::top_down(egui::Align::Min),
                |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("takes_tree")
                        .auto_shrink([false, false])
                        .show(ui, |ui| out.extend(tree_ui(ui, v)));
                },
            );
            ui.separator();
            ui.vertical(|ui| out.extend(table_ui(ui, v)));
        });
    } else {
        // Narrow (docked beside the viewport): the tree folds above the table.
        egui::CollapsingHeader::new("Days and scenes")
            .id_salt("takes_tree_fold")
            .default_open(false)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("takes_tree")
                    .max_height(avail.y * 0.4)
                    .show(ui, |ui| out.extend(tree_ui(ui, v)));
            });
        out.extend(table_ui(ui, v));
    }
    out
}

/// A take's context menu: compare the open take with it.
fn compare_menu(r: &egui::Response, v: &TakesView<'_>, id: i64, out: &mut Vec<UiCommand>) {
    r.context_menu(|ui| {
        let other = v.active.is_some_and(|a| a != id);
        if ui
            .add_enabled(other, egui::Button::new("Compare with the open take"))
            .on_hover_text("Show this take as a ghost beside the open one (Compare tab)")
            .on_disabled_hover_text("Open another take first (double-click), then compare")
            .clicked()
        {
            out.push(UiCommand::Library(LibraryCommand::CompareTake(id)));
            ui.close();
        }
    });
}

fn tree_ui(ui: &mut egui::Ui, v: &TakesView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let mut days: BTreeMap<&str, BTreeMap<&str, Vec<&TakeRow>>> = BTreeMap::new();
    for r in v.rows {
        days.entry(r.session.as_deref().unwrap_or("(no day)"))
            .or_default()
            .entry(r.summary.scene.as_str())
            .or_default()
            .push(r);
    }
    for (day, scenes) in days {
        egui::CollapsingHeader::new(day)
            .id_salt(("day", day))
            .default_open(true)
            .show(ui, |ui| {
                for (scene, mut takes) in scenes {
                    takes.sort_by_key(|t| (t.summary.number, t.summary.id));
                    let header = egui::CollapsingHeader::new(format!("Scene {scene}"))
                        .id_salt(("scene", day, scene))
                        .default_open(false)
                        .show(ui, |ui| {
                            for t in takes {
                                let sel = is_selected(v, t.summary.id);
                                let text = egui::RichText::new(&t.summary.name)
                                    .color(status_colour(t.summary.status));
                                let r = ui.selectable_label(sel, text);
                                compare_menu(&r, v, t.summary.id, &mut out);
                                if r.double_clicked() {
                                    out.push(UiCommand::Library(LibraryCommand::OpenTake(
                                        t.summary.id,
                                    )));
                                } else if r.clicked() {
                                    out.push(click(ui, t.summary.id));
                                }
                            }
                        });
                    if header.header_response.secondary_clicked() {
                        let mut f = v.filter.clone();
                        f.scene = Some(scene.to_string());
                        f.session = (day != "(no day)").then(|| day.to_string());
                        out.push(UiCommand::Library(LibraryCommand::SetFilter(f)));
                    }
                }
            });
    }
    out
}

const COLUMNS: [(SortColumn, &str, f32); 6] = [
    (SortColumn::Name, "Take", 170.0),
    (SortColumn::Scene, "Scene", 60.0),
    (SortColumn::Duration, "Length", 60.0),
    (SortColumn::Status, "Status", 95.0),
    (SortColumn::Actors, "Actors", 120.0),
    (SortColumn::Notes, "Notes", 50.0),
];

fn table_ui(ui: &mut egui::Ui, v: &TakesView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    // Header and rows scroll sideways together when the panel is narrower than the columns.
    egui::ScrollArea::horizontal()
        .id_salt("takes_table_h")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.vertical(|ui| out.extend(table_body(ui, v)));
        });
    out
}

fn table_body(ui: &mut egui::Ui, v: &TakesView<'_>) -> Vec<UiCommand> {
    let mut out = Vec::new();
    let cell = |ui: &mut egui::Ui, w: f32, add: &mut dyn FnMut(&mut egui::Ui)| {
        ui.allocate_ui_with_layout(
            egui::vec2(w, 18.0),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_width(w);
                ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
                add(ui);
            },
        );
    };
    ui.horizontal(|ui| {
        for (col, name, w) in COLUMNS {
            let arrow = match v.sort {
                (c, true) if c == col => " ⏶",
                (c, false) if c == col => " ⏷",
                _ => "",
            };
            cell(ui, w, &mut |ui| {
                if ui
                    .add(
                        egui::Label::new(egui::RichText::new(format!("{name}{arrow}")).strong())
                            .sense(egui::Sense::click()),
                    )
                    .on_hover_text("Sort (again: reverse)")
                    .clicked()
                {
                    out.push(UiCommand::Library(LibraryCommand::SortBy(col)));
                }
            });
        }
    });
    ui.separator();
    let row_h = 20.0;
    egui::ScrollArea::vertical()
        .id_salt("takes_table")
        .auto_shrink([false, false])
        .show_rows(ui, row_h, v.rows.len(), |ui, range| {
            for r in &v.rows[range] {
                let id = r.summary.id;
                let selected = is_selected(v, id);
                let row = ui.horizontal(|ui| {
                    cell(ui, COLUMNS[0].2, &mut |ui| {
                        let mut text = egui::RichText::new(&r.summary.name);
                        if v.active == Some(id) {
                            text = text.strong().underline();
                        }
                        ui.add(egui::Label::new(text).selectable(false).truncate());
                    });
                    cell(ui, COLUMNS[1].2, &mut |ui| {
                        ui.label(&r.summary.scene);
                    });
                    cell(ui, COLUMNS[2].2, &mut |ui| {
                        ui.monospace(duration_text(r.summary.duration_frames, r.summary.rate));
                    });
                    cell(ui, COLUMNS[3].2, &mut |ui| badge(ui, r.summary.status));
                    cell(ui, COLUMNS[4].2, &mut |ui| {
                        ui.add(
                            egui::Label::new(r.actors.join(", "))
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    cell(ui, COLUMNS[5].2, &mut |ui| {
                        if r.open_notes > 0 {
                            ui.label(
                                egui::RichText::new(format!("{} ({} open)", r.notes, r.open_notes))
                                    .color(egui::Color32::from_rgb(255, 196, 61)),
                            );
                        } else {
                            ui.label(r.notes.to_string());
                        }
                    });
                });
                let resp = ui.interact(
                    row.response.rect,
                    egui::Id::new(("take_row", id)),
                    egui::Sense::click(),
                );
                if selected {
                    ui.painter().rect_filled(
                        row.response.rect,
                        2.0,
                        ui.visuals().selection.bg_fill.gamma_multiply(0.35),
                    );
                }
                compare_menu(&resp, v, id, &mut out);
                if resp.double_clicked() {
                    out.push(UiCommand::Library(LibraryCommand::OpenTake(id)));
                } else if resp.clicked() {
                    out.push(click(ui, id));
                }
                resp.on_hover_text(
                    "Click: select · Ctrl/⌘-click: add to the selection (Send to farm) · \
                     double-click: open · C circle · A approve · R reject",
                );
            }
        });
    if v.rows.is_empty() {
        ui.weak("No take matches. Import a capture folder, or clear the filters.");
    }
    out
}
