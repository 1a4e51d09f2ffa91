//! Panel tests of the Takes tab (egui_kittest): the team bar (library file or URL, recent
//! libraries, user, notices bell), the search and filter fields, the buttons and the table. Each
//! test types, presses Enter or clicks as a user would and asserts the commands the panel emits.
//! The harness plays the app's part: it rebuilds the view from its state every frame and applies
//! the filter and user commands to that state.

use super::*;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use take_library::TakeSummary;
use take_library::notices::{Notice, NoticeKind};

/// The app's side: what the panel is shown and everything it emitted.
struct App {
    path: Option<std::path::PathBuf>,
    rows: Vec<TakeRow>,
    filter: TakeFilter,
    author: String,
    recent: Vec<String>,
    notices: Vec<Notice>,
    unread: usize,
    scenes: Vec<String>,
    out: Vec<UiCommand>,
}

fn row(id: i64, name: &str, scene: &str, status: TakeStatus) -> TakeRow {
    TakeRow {
        summary: TakeSummary {
            id,
            name: name.into(),
            scene: scene.into(),
            number: Some(id),
            status,
            duration_frames: Some(600),
            rate: Some(FrameRate::integer(120).expect("rate")),
            captured_utc_ms: None,
        },
        session: Some("2026-12-01".into()),
        actors: vec!["ann".into()],
        notes: 0,
        open_notes: 0,
    }
}

fn app(library: bool) -> App {
    App {
        path: library.then(|| "/stage/project.db".into()),
        rows: vec![
            row(1, "walk_01", "walk", TakeStatus::Circled),
            row(2, "kick_01", "kick", TakeStatus::None),
        ],
        filter: TakeFilter::default(),
        author: "ann".into(),
        recent: vec!["/stage/old.db".into(), "postgres://ann@db/stage".into()],
        notices: vec![Notice {
            seq: 5,
            take_id: 2,
            take_name: "kick_01".into(),
            author: "director".into(),
            time_utc_ms: 1_764_590_400_000,
            kind: NoticeKind::Mention { note_id: 9 },
            frame: Some(240),
            text: "@ann the kick lands late".into(),
        }],
        unread: 1,
        scenes: vec!["kick".into(), "walk".into()],
        out: Vec::new(),
    }
}

fn harness(state: App) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1100.0, 600.0))
        .build_ui_state(
            |ui, s: &mut App| {
                let cmds = {
                    let v = TakesView {
                        path: s.path.as_deref(),
                        rows: &s.rows,
                        total: s.rows.len() as u64,
                        scenes: &s.scenes,
                        sessions: &[],
                        filter: &s.filter,
                        sort: (SortColumn::Name, true),
                        selected: None,
                        picked: &[],
                        active: None,
                        error: None,
                        author: &s.author,
                        importing: None,
                        farm: None,
                        farm_progress: None,
                        engines: &[],
                        recent: &s.recent,
                        opening: None,
                        notices: &s.notices,
                        unread: s.unread,
                        show_notices: false,
                        playlists: &[],
                        dailies: None,
                    };
                    takes_ui(ui, &v)
                };
                for c in &cmds {
                    match c {
                        UiCommand::Library(LibraryCommand::SetFilter(f)) => s.filter = f.clone(),
                        UiCommand::Library(LibraryCommand::SetAuthor(a)) => s.author = a.clone(),
                        _ => {}
                    }
                }
                s.out.extend(cmds);
            },
            state,
        )
}

/// The text fields in order: library URL, user, then (with a library open) the search.
fn field<'h>(h: &'h Harness<'static, App>, k: usize) -> egui_kittest::Node<'h> {
    h.get_all_by_role(egui::accesskit::Role::TextInput)
        .nth(k)
        .unwrap_or_else(|| panic!("text field {k}"))
}

/// Clicks text field `k`, selects all, types `text` (no Enter).
fn type_into(h: &mut Harness<'static, App>, k: usize, text: &str) {
    field(h, k).click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    field(h, k).type_text(text);
    h.run();
}

/// The filter combos in order: status, scene.
fn combo<'h>(h: &'h Harness<'static, App>, k: usize) -> egui_kittest::Node<'h> {
    h.get_all_by_role(egui::accesskit::Role::ComboBox)
        .nth(k)
        .unwrap_or_else(|| panic!("combo {k}"))
}

fn take_out(h: &mut Harness<'static, App>) -> Vec<UiCommand> {
    std::mem::take(&mut h.state_mut().out)
}

#[test]
fn a_team_library_url_typed_and_entered_opens_it() {
    let mut h = harness(app(false));
    type_into(&mut h, 0, "postgres://ann@db.stage:5432/takes");
    assert!(take_out(&mut h).is_empty(), "nothing is sent while typing");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(
        take_out(&mut h),
        [UiCommand::Library(LibraryCommand::Open(
            "postgres://ann@db.stage:5432/takes".into()
        ))]
    );
}

#[test]
fn a_url_that_is_not_a_team_library_is_reported_not_opened() {
    let mut h = harness(app(false));
    type_into(&mut h, 0, "http://example.com/takes");
    h.key_press(egui::Key::Enter);
    h.run();
    let out = take_out(&mut h);
    assert!(
        matches!(out.as_slice(), [UiCommand::Report(m)] if m.contains("Not a team library URL")),
        "{out:?}"
    );
}

#[test]
fn the_user_field_commits_on_enter_and_keeps_the_name() {
    let mut h = harness(app(true));
    type_into(&mut h, 1, "director");
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(
        take_out(&mut h),
        [UiCommand::Library(LibraryCommand::SetAuthor(
            "director".into()
        ))]
    );
    assert_eq!(field(&h, 1).value().as_deref(), Some("director"));
    // Esc gives the name back unchanged and sends nothing.
    type_into(&mut h, 1, "typo");
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(take_out(&mut h).is_empty());
    assert_eq!(field(&h, 1).value().as_deref(), Some("director"));
}

#[test]
fn open_create_and_recent_libraries_choose_the_store() {
    let mut h = harness(app(false));
    h.get_by_label("Open / create…").click();
    h.run();
    assert_eq!(take_out(&mut h), [UiCommand::OpenLibraryDialog]);
    h.get_by_label("Recent").click();
    h.run();
    h.get_by_label("postgres://ann@db/stage").click();
    h.run();
    assert_eq!(
        take_out(&mut h),
        [UiCommand::Library(LibraryCommand::Open(
            "postgres://ann@db/stage".into()
        ))]
    );
}

#[test]
fn the_notices_bell_marks_read_and_opens_the_take_at_the_frame() {
    let mut h = harness(app(true));
    h.get_by_label("Notices 1").click();
    h.run();
    let out = take_out(&mut h);
    assert!(
        !out.is_empty()
            && out
                .iter()
                .all(|c| *c == UiCommand::Library(LibraryCommand::ReadNotices)),
        "opening the list marks the notices read: {out:?}"
    );
    h.state_mut().unread = 0;
    h.run();
    h.get_by_label("director mentioned you on kick_01 at frame 240: @ann the kick lands late")
        .click();
    h.run();
    assert!(
        take_out(&mut h).contains(&UiCommand::Library(LibraryCommand::OpenAt {
            take_id: 2,
            frame: Some(240),
        }))
    );
}

#[test]
fn typing_a_search_filters_as_you_type() {
    let mut h = harness(app(true));
    type_into(&mut h, 2, "walk");
    let filters: Vec<String> = take_out(&mut h)
        .into_iter()
        .filter_map(|c| match c {
            UiCommand::Library(LibraryCommand::SetFilter(f)) => Some(f.text),
            _ => None,
        })
        .collect();
    assert_eq!(
        filters.last().map(String::as_str),
        Some("walk"),
        "{filters:?}"
    );
    assert_eq!(h.state().filter.text, "walk");
    assert_eq!(field(&h, 2).value().as_deref(), Some("walk"));
}

#[test]
fn the_status_and_scene_filters_send_the_filter() {
    let mut h = harness(app(true));
    combo(&h, 0).click();
    h.run();
    h.get_by_label("✔ approved").click();
    h.run();
    let f = |status, scene: Option<&str>| {
        UiCommand::Library(LibraryCommand::SetFilter(TakeFilter {
            text: String::new(),
            status,
            scene: scene.map(Into::into),
            session: None,
        }))
    };
    assert_eq!(take_out(&mut h), [f(Some(TakeStatus::Approved), None)]);
    combo(&h, 1).click();
    h.run();
    // The scene is listed in the combo's popup and in the tree ("Scene kick"): the popup's.
    h.get_all_by_label("kick")
        .last()
        .expect("the scene in the popup")
        .click();
    h.run();
    assert_eq!(
        take_out(&mut h),
        [f(Some(TakeStatus::Approved), Some("kick"))]
    );
}

#[test]
fn the_library_buttons_and_the_table_send_their_commands() {
    let mut h = harness(app(true));
    h.get_by_label("Import folder…").click();
    h.run();
    assert_eq!(take_out(&mut h), [UiCommand::ImportFolderDialog]);
    h.get_by_label("Review report…").click();
    h.run();
    assert_eq!(
        take_out(&mut h),
        [UiCommand::ExportReportDialog(None, None)]
    );
    h.get_by_label("Length").click();
    h.run();
    assert_eq!(
        take_out(&mut h),
        [UiCommand::Library(LibraryCommand::SortBy(
            SortColumn::Duration
        ))]
    );
}
