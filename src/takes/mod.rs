//! The take library in the studio: browsing, opening and reviewing takes of a project's
//! `take-library` database (the same file the `mocap takes` CLI uses, at the same time).
//!
//! [`TakesPlugin`] owns the open [`Library`] and a snapshot of what the Takes and Review panels
//! show ([`TakeBrowser`]). Panels emit [`LibraryCommand`]s (browse, open, export) and
//! [`EditCommand::Library`](crate::model::edit::EditCommand::Library) edits (status, notes); the edits go through the undo stack in
//! [`crate::history`], so Ctrl+Z takes back an approval or a note (the ledger keeps both events).
//! The snapshot is re-read when an edit lands and every [`REFRESH_S`] seconds, so an import or a
//! note written by the CLI meanwhile shows up.

mod farm;
pub mod panel;
mod team;

use farm::{FarmJob, finish_farm, poll_farm, start_farm};
use team::{OpenJob, finish_open, follow_dailies, follow_settings_user, start_open};

use crate::model::commands::PlaybackCommand;
use crate::model::library::{
    DailiesPlay, LibraryCommand, OpenLibrary, SortColumn, TakeBrowser, default_author,
};
use crate::model::util::{natural_cmp, write_atomically};
use std::path::PathBuf;
use take_library::store::is_postgres_url;

use bevy::prelude::*;
use take_library::{FileKind, Library, OpenMode, TakeDetail, TakeRow, TakeStatus};

use crate::history::HistorySet;
use crate::model::lanes::Lane;
use crate::model::lanes::TimelineLanes;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::session::Session;
use crate::model::session::SessionCommand;
use crate::session::SessionSet;

/// How often the browser checks the library for other writers' commits, seconds (a re-read
/// follows only when one committed: SQLite's `data_version`, PostgreSQL's NOTIFY).
pub const REFRESH_S: f64 = 0.5;

/// Systems that open the library, apply [`LibraryCommand`]s and refresh the snapshot (after
/// [`HistorySet`], which applies library edits).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct TakesSet;

/// The take library, the Takes browser's state and the Review panel's data. A library is
/// opened with [`LibraryCommand::Open`] (`mocap-studio --library DB`, or the Takes panel).
pub struct TakesPlugin;

impl Plugin for TakesPlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(TakeBrowser::new(default_author()))
            .init_resource::<OpenLibrary>()
            .init_resource::<ImportJob>()
            .init_resource::<FarmJob>()
            .init_resource::<OpenJob>()
            .init_resource::<TimelineLanes>()
            .add_message::<LibraryCommand>()
            .add_message::<crate::model::compare::CompareCommand>()
            .configure_sets(PreUpdate, TakesSet.after(HistorySet).after(SessionSet))
            .add_systems(
                PreUpdate,
                (
                    apply_library_commands,
                    finish_open,
                    finish_import,
                    finish_farm,
                    poll_farm,
                    follow_session,
                    follow_settings_user,
                    refresh,
                    follow_dailies,
                )
                    .chain()
                    .in_set(TakesSet),
            );
    }
}

/// Sorts rows in place by `column`.
pub fn sort_rows(rows: &mut [TakeRow], column: SortColumn, ascending: bool) {
    let seconds = |r: &TakeRow| match (r.summary.duration_frames, r.summary.rate) {
        (Some(d), Some(rate)) => rate.frames_to_seconds(i64::try_from(d).unwrap_or(i64::MAX)),
        _ => -1.0,
    };
    rows.sort_by(|a, b| {
        let o = match column {
            SortColumn::Name => natural_cmp(&a.summary.name, &b.summary.name),
            SortColumn::Scene => natural_cmp(&a.summary.scene, &b.summary.scene)
                .then(a.summary.number.cmp(&b.summary.number)),
            SortColumn::Duration => seconds(a).total_cmp(&seconds(b)),
            SortColumn::Status => status_rank(a.summary.status).cmp(&status_rank(b.summary.status)),
            SortColumn::Actors => a.actors.cmp(&b.actors),
            SortColumn::Notes => a.notes.cmp(&b.notes),
        }
        .then(a.summary.id.cmp(&b.summary.id));
        if ascending { o } else { o.reverse() }
    });
}

/// Display order of statuses (best first).
pub fn status_rank(s: TakeStatus) -> u8 {
    match s {
        TakeStatus::Approved => 0,
        TakeStatus::Circled => 1,
        TakeStatus::NeedsFix => 2,
        TakeStatus::None => 3,
        TakeStatus::Rejected => 4,
    }
}

/// The files of a take the session can open, in a useful order (markers, then skeletons).
pub fn openable_files(detail: &TakeDetail) -> Vec<PathBuf> {
    let rank = |k: FileKind| match k {
        FileKind::C3d => Some(0),
        FileKind::Trc => Some(1),
        FileKind::Acclaim => Some(2),
        FileKind::Bvh => Some(3),
        _ => None,
    };
    let mut files: Vec<(u8, PathBuf)> = detail
        .files
        .iter()
        .filter_map(|f| rank(f.kind).map(|r| (r, PathBuf::from(&f.path))))
        .collect();
    // ASF before AMC: the session pairs them in that order.
    files.sort_by_key(|(r, p)| {
        let amc = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("amc"));
        (*r, amc)
    });
    // A take with markers and a BVH opens both; C3D + TRC of the same take: the C3D only.
    if files.iter().any(|(r, _)| *r == 0) {
        files.retain(|(r, _)| *r != 1);
    }
    files.into_iter().map(|(_, p)| p).collect()
}

/// The running import's result channel (see [`LibraryCommand::ImportFolder`]).
#[derive(Resource, Default)]
struct ImportJob(Option<std::sync::Mutex<std::sync::mpsc::Receiver<ImportResult>>>);

type ImportResult = Result<take_library::import::ImportReport, String>;

/// The result of a worker thread's job once it has one (the job is then cleared); `None` while
/// it runs or when there is none.
pub(crate) fn take_finished<T>(
    job: &mut Option<std::sync::Mutex<std::sync::mpsc::Receiver<Result<T, String>>>>,
    what: &str,
) -> Option<Result<T, String>> {
    let received = job.as_ref()?.lock().ok()?.try_recv();
    let result = match received {
        Ok(r) => r,
        Err(std::sync::mpsc::TryRecvError::Empty) => return None,
        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
            Err(format!("{what} stopped unexpectedly"))
        }
    };
    *job = None;
    Some(result)
}

/// Logs a finished import and re-reads the library.
fn finish_import(
    mut job: ResMut<ImportJob>,
    mut browser: ResMut<TakeBrowser>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let Some(result) = take_finished(&mut job.0, "the import") else {
        return;
    };
    let folder = browser.importing.take().map(|(f, _)| f).unwrap_or_default();
    let now = time.elapsed_secs_f64();
    match result {
        Ok(r) => {
            log.push(
                LogLevel::Info,
                format!(
                    "Imported {}: {} new takes, {} new files, {} moved, {} changed",
                    folder.display(),
                    r.takes_added.len(),
                    r.files_added.len(),
                    r.files_moved.len(),
                    r.files_changed.len()
                ),
                now,
            );
            browser.dirty = true;
        }
        Err(e) => log.push(
            LogLevel::Error,
            format!("Import {}: {e}", folder.display()),
            now,
        ),
    }
}

/// Starts importing `folder` on a worker thread (hashing a day of capture takes minutes): its
/// own library connection, progress in [`TakeBrowser::importing`].
fn start_import(
    folder: PathBuf,
    browser: &mut TakeBrowser,
    imports: &mut ImportJob,
    log: &mut AppLog,
    now: f64,
) {
    // Hashing a day of capture takes minutes: a worker thread with its own
    // connection does it; the panel shows its progress and stays responsive.
    let Some(path) = browser.path.clone() else {
        log.push(
            LogLevel::Warning,
            "Open or create a take library first (File → Take library…)",
            now,
        );
        return;
    };
    if browser.importing.is_some() {
        log.push(
            LogLevel::Warning,
            format!(
                "Not importing {}: another import is still running",
                folder.display()
            ),
            now,
        );
        return;
    }
    let progress = std::sync::Arc::new(take_library::import::ImportProgress::default());
    let author = browser.author.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    let (f, p) = (folder.clone(), progress.clone());
    std::thread::spawn(move || {
        let result = Library::open(&path, OpenMode::MustExist)
            .and_then(|mut l| {
                l.import_folder_with_progress(
                    &f,
                    &take_library::naming::NamingPattern::default(),
                    &take_library::import::FormatsProbe,
                    &author,
                    &p,
                )
            })
            .map_err(|e| e.to_string());
        let _ = tx.send(result);
    });
    imports.0 = Some(std::sync::Mutex::new(rx));
    browser.importing = Some((folder, progress));
}

/// Makes `lib` the open library (`path`: its file or URL) and resets what the browser showed.
pub(crate) fn install_library(
    lib: Library,
    path: PathBuf,
    library: &OpenLibrary,
    browser: &mut TakeBrowser,
    log: &mut AppLog,
    now: f64,
) {
    *library
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(lib);
    log.push(
        LogLevel::Info,
        format!(
            "Opened take library {}",
            take_library::store::redact_url(&path.to_string_lossy())
        ),
        now,
    );
    let author = std::mem::take(&mut browser.author);
    let (filter, sort) = (std::mem::take(&mut browser.filter), browser.sort);
    *browser = TakeBrowser::new(author);
    browser.sort = sort;
    // The day and scene filters name things of the old library.
    browser.filter.text = filter.text;
    browser.filter.status = filter.status;
    browser.path = Some(path);
    browser.dirty = true;
}

/// Opens take `id`'s files in the session; false (and a log line) when it has none to open.
fn open_take(
    id: i64,
    library: &OpenLibrary,
    browser: &mut TakeBrowser,
    session: &mut MessageWriter<SessionCommand>,
    log: &mut AppLog,
    now: f64,
) -> bool {
    let Some(files) = take_files(library, id, log, now) else {
        return false;
    };
    open_files(id, files, browser, session);
    true
}

/// Opens `files` as library take `id` (replacing the session's take).
fn open_files(
    id: i64,
    files: Vec<std::path::PathBuf>,
    browser: &mut TakeBrowser,
    session: &mut MessageWriter<SessionCommand>,
) {
    browser.pending_active = Some(id);
    browser.selected = Some(id);
    session.write(SessionCommand::Close);
    session.write(SessionCommand::Open(files));
}

/// Opens a dailies entry: its take's capture, with the output of the revision it names (a solve
/// or clean-up version recorded in the library) in place of the capture file it supersedes. A
/// revision whose output is gone plays the capture, after a warning that says which file.
fn open_entry(
    item: &take_library::dailies::PlaylistItem,
    library: &OpenLibrary,
    browser: &mut TakeBrowser,
    session: &mut MessageWriter<SessionCommand>,
    log: &mut AppLog,
    now: f64,
) -> bool {
    let id = item.take_id;
    let Some(capture) = take_files(library, id, log, now) else {
        return false;
    };
    let files = match item.revision {
        None => capture,
        Some(rev) => match library.with(|l| l.derived_versions(id)) {
            Some(Ok(versions)) => match versions.iter().find(|v| v.id == rev) {
                Some(v) if std::path::Path::new(&v.output_path).is_file() => {
                    log.push(
                        LogLevel::Info,
                        format!("Dailies: {} v{} ({})", v.kind, v.version, v.output_path),
                        now,
                    );
                    with_revision(capture, std::path::PathBuf::from(&v.output_path))
                }
                Some(v) => {
                    log.push(
                        LogLevel::Warning,
                        format!(
                            "Dailies: the {} v{} output {} is missing; playing the capture instead",
                            v.kind, v.version, v.output_path
                        ),
                        now,
                    );
                    capture
                }
                None => {
                    log.push(
                        LogLevel::Warning,
                        format!(
                            "Dailies: revision {rev} is not a version of take {id}; playing the capture instead"
                        ),
                        now,
                    );
                    capture
                }
            },
            Some(Err(e)) => {
                log.push(
                    LogLevel::Warning,
                    format!(
                        "Dailies: reading the revisions of take {id}: {e}; playing the capture"
                    ),
                    now,
                );
                capture
            }
            None => return false,
        },
    };
    open_files(id, files, browser, session);
    true
}

/// The capture files with a revision's `output` in place of those it supersedes: a skeleton
/// motion (BVH, ASF/AMC) replaces the capture's skeleton motion, markers (C3D, TRC) its markers;
/// other files stay (a solved BVH plays over the captured markers).
pub fn with_revision(
    capture: Vec<std::path::PathBuf>,
    output: std::path::PathBuf,
) -> Vec<std::path::PathBuf> {
    let family = |p: &std::path::Path| match p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .as_deref()
    {
        Some("bvh" | "asf" | "amc") => 1,
        Some("c3d" | "trc") => 2,
        _ => 0,
    };
    let out_family = family(&output);
    let mut files: Vec<_> = capture
        .into_iter()
        .filter(|p| out_family == 0 || family(p) != out_family)
        .collect();
    files.push(output);
    files
}

/// The capture files of library take `id` the studio can open, all present; `None` after
/// logging why not.
fn take_files(
    library: &OpenLibrary,
    id: i64,
    log: &mut AppLog,
    now: f64,
) -> Option<Vec<std::path::PathBuf>> {
    match library.with(|l| l.take(id))? {
        Ok(detail) => {
            let files = openable_files(&detail);
            if files.is_empty() {
                log.push(
                    LogLevel::Warning,
                    format!(
                        "Take {} has no file the studio can open (C3D, TRC, BVH, ASF/AMC)",
                        detail.summary.name
                    ),
                    now,
                );
                return None;
            }
            if let Some(missing) = files.iter().find(|p| !p.exists()) {
                log.push(
                    LogLevel::Error,
                    format!(
                        "Take {}: {} is missing (moved? re-run `mocap takes import` on its folder)",
                        detail.summary.name,
                        missing.display()
                    ),
                    now,
                );
                return None;
            }
            Some(files)
        }
        Err(e) => {
            log.push(LogLevel::Error, format!("Open take: {e}"), now);
            None
        }
    }
}

/// Starts playlist `name`: its first take opens, the others follow at each take's end.
fn play_dailies(
    name: String,
    library: &OpenLibrary,
    browser: &mut TakeBrowser,
    session: &mut MessageWriter<SessionCommand>,
    log: &mut AppLog,
    now: f64,
) {
    match library.with(|l| l.playlist(&name)) {
        Some(Ok(items)) if !items.is_empty() => {
            let first = items[0].clone();
            log.push(
                LogLevel::Info,
                format!("Playing dailies {name} ({} takes)", items.len()),
                now,
            );
            browser.dailies = Some(DailiesPlay::new(name, items));
            open_entry(&first, library, browser, session, log, now);
        }
        Some(Ok(_)) => log.push(
            LogLevel::Warning,
            format!("Dailies {name} has no takes"),
            now,
        ),
        Some(Err(e)) => log.push(LogLevel::Error, format!("Dailies {name}: {e}"), now),
        None => {}
    }
}

/// Moves the playing dailies `step` takes on (or back); past the last one they finish.
fn step_dailies(
    step: i64,
    library: &OpenLibrary,
    browser: &mut TakeBrowser,
    session: &mut MessageWriter<SessionCommand>,
    log: &mut AppLog,
    now: f64,
) {
    let Some(d) = browser.dailies.as_mut() else {
        return;
    };
    let next = d.index as i64 + step;
    let Some(item) = usize::try_from(next).ok().and_then(|i| d.items.get(i)) else {
        if next >= d.items.len() as i64 {
            log.push(LogLevel::Info, format!("Dailies {} finished", d.name), now);
            browser.dailies = None;
        }
        return;
    };
    let item = item.clone();
    d.index = next as usize;
    d.started = false;
    d.play_sent = false;
    open_entry(&item, library, browser, session, log, now);
}

/// Writes a report the library made (`None`: no library is open) to `path`, and logs the outcome
/// (`what`: "Review report", "Dailies report").
fn write_report<E: std::fmt::Display>(
    html: Option<Result<String, E>>,
    path: &std::path::Path,
    what: &str,
    log: &mut AppLog,
    now: f64,
) {
    let outcome = match html {
        Some(Ok(html)) => {
            write_atomically(path, html.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
        }
        Some(Err(e)) => Err(e.to_string()),
        None => Err("no take library is open".into()),
    };
    match outcome {
        Ok(()) => log.push(
            LogLevel::Info,
            format!("Wrote {} {}", what.to_lowercase(), path.display()),
            now,
        ),
        Err(e) => log.push(LogLevel::Error, format!("{what}: {e}"), now),
    }
}

#[allow(clippy::too_many_arguments)]
fn apply_library_commands(
    (mut farm, mut imports, mut opens): (ResMut<FarmJob>, ResMut<ImportJob>, ResMut<OpenJob>),
    mut commands: MessageReader<LibraryCommand>,
    mut browser: ResMut<TakeBrowser>,
    library: Res<OpenLibrary>,
    mut session: MessageWriter<SessionCommand>,
    mut transport: MessageWriter<PlaybackCommand>,
    mut compare: MessageWriter<crate::model::compare::CompareCommand>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for cmd in commands.read().cloned() {
        match cmd {
            LibraryCommand::Open(path) if is_postgres_url(&path.to_string_lossy()) => {
                start_open(path, &mut browser, &mut opens);
            }
            LibraryCommand::Open(path) => match Library::open(&path, OpenMode::CreateIfMissing) {
                Ok(lib) => install_library(lib, path, &library, &mut browser, &mut log, now),
                // A foreign, corrupt or newer file is refused untouched; say so, keep going.
                Err(e) => {
                    let text = format!("Cannot open take library {}: {e}", path.display());
                    log.push(LogLevel::Error, text.clone(), now);
                    browser.error = Some(text);
                }
            },
            LibraryCommand::Close => {
                *library
                    .0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                *browser = TakeBrowser::new(std::mem::take(&mut browser.author));
            }
            LibraryCommand::SetFilter(f) => {
                browser.filter = f;
                browser.dirty = true;
            }
            LibraryCommand::SortBy(c) => {
                let asc = if browser.sort.0 == c {
                    !browser.sort.1
                } else {
                    true
                };
                browser.sort = (c, asc);
                let (col, asc) = browser.sort;
                sort_rows(&mut browser.rows, col, asc);
            }
            LibraryCommand::Select(id) => {
                browser.selected = id;
                browser.picked.clear();
            }
            LibraryCommand::ToggleSelect(id) => browser.toggle_selected(id),
            LibraryCommand::OpenTake(id) => {
                open_take(id, &library, &mut browser, &mut session, &mut log, now);
            }
            LibraryCommand::OpenAt { take_id, frame } => {
                if browser.active.as_ref().map(|a| a.summary.id) == Some(take_id) {
                    if let Some(f) = frame {
                        transport.write(PlaybackCommand::Seek(f));
                    }
                } else if open_take(take_id, &library, &mut browser, &mut session, &mut log, now) {
                    browser.pending_seek = frame;
                }
            }
            LibraryCommand::CompareTake(id) => {
                if let Some(files) = take_files(&library, id, &mut log, now) {
                    compare.write(crate::model::compare::CompareCommand::Open(files));
                }
            }
            LibraryCommand::ReadNotices => browser.unread = 0,
            LibraryCommand::ShowNotices(shown) => {
                browser.show_notices = shown;
                if shown {
                    browser.unread = 0;
                }
            }
            LibraryCommand::PlayDailies(name) => {
                play_dailies(name, &library, &mut browser, &mut session, &mut log, now);
            }
            LibraryCommand::StepDailies(step) => {
                step_dailies(step, &library, &mut browser, &mut session, &mut log, now);
            }
            LibraryCommand::StopDailies => {
                browser.dailies = None;
                transport.write(PlaybackCommand::Pause);
            }
            LibraryCommand::ExportPlaylist { name, path } => {
                let html = library.with(|l| l.playlist_html(&name, "Mocap Studio"));
                write_report(html, &path, "Dailies report", &mut log, now);
            }
            LibraryCommand::ImportFolder(folder) => {
                start_import(folder, &mut browser, &mut imports, &mut log, now);
            }
            LibraryCommand::SendToFarm { ids, steps, engine } => {
                start_farm(ids, &steps, engine, &mut browser, &mut farm, &mut log, now);
            }
            LibraryCommand::ExportReport {
                path,
                scene,
                session,
            } => {
                let html = library.with(|l| {
                    l.report_html_for(scene.as_deref(), session.as_deref(), "Mocap Studio")
                });
                write_report(html, &path, "Review report", &mut log, now);
            }
            LibraryCommand::SetAuthor(a) => {
                if !a.trim().is_empty() {
                    browser.author = a.trim().to_string();
                }
            }
        }
    }
}

/// Finds the library take of the session's take (by the files it was opened from).
fn follow_session(
    mut transport: MessageWriter<PlaybackCommand>,
    session: Res<Session>,
    library: Res<OpenLibrary>,
    mut browser: ResMut<TakeBrowser>,
) {
    if browser.matched_generation == Some(session.generation) && !session.is_changed() {
        return;
    }
    let Some(take) = session.take.as_ref() else {
        if browser.active.is_some() {
            browser.active = None;
        }
        browser.matched_generation = Some(session.generation);
        return;
    };
    let pending = browser.pending_active.take();
    let found = library.with(|l| {
        let by_path = take.sources.iter().find_map(|p| {
            let abs = p.canonicalize().unwrap_or_else(|_| p.clone());
            l.take_for_path(&abs)
                .ok()
                .flatten()
                .or_else(|| l.take_for_path(p).ok().flatten())
        });
        by_path.or(pending).and_then(|id| l.take(id).ok())
    });
    browser.active = found.flatten();
    if let Some(a) = &browser.active {
        browser.selected = Some(a.summary.id);
        if let Some(f) = browser.pending_seek.take() {
            transport.write(PlaybackCommand::Seek(f));
        }
    }
    browser.matched_generation = Some(session.generation);
}

fn refresh(
    library: Res<OpenLibrary>,
    mut browser: ResMut<TakeBrowser>,
    mut lanes: ResMut<TimelineLanes>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    if !browser.dirty && now - browser.last_refresh_s < REFRESH_S {
        return;
    }
    browser.last_refresh_s = now;
    // The periodic check only re-reads when another connection has committed meanwhile (our
    // own edits set `dirty`).
    let version = library.with(|l| l.data_version().ok()).flatten();
    if !browser.dirty && version.is_some() && version == browser.seen_version {
        return;
    }
    browser.seen_version = version;
    browser.dirty = false;
    let query = browser.filter.query();
    let active_id = browser.active.as_ref().map(|a| a.summary.id);
    let read = library.with(|l| {
        let rows = l.search_rows(&query)?;
        let scenes = l.scenes()?;
        let sessions = l.sessions()?;
        let active = active_id.map(|id| l.take(id)).transpose()?;
        let playlists = l.playlists()?;
        Ok::<_, take_library::LibraryError>((rows, scenes, sessions, active, playlists))
    });
    library.with(|l| team::update_notices(l, &mut browser));
    match read {
        Some(Ok(((mut rows, total), scenes, sessions, active, playlists))) => {
            if browser.playlists != playlists {
                browser.playlists = playlists;
            }
            let (col, asc) = browser.sort;
            sort_rows(&mut rows, col, asc);
            if browser.rows != rows {
                browser.rows = rows;
            }
            browser.total = total;
            browser.scenes = scenes;
            browser.sessions = sessions;
            if browser.active != active {
                browser.active = active;
            }
            browser.error = None;
        }
        Some(Err(e)) => browser.error = Some(e.to_string()),
        None => {}
    }
    let lane = browser.active.as_ref().map(notes_lane);
    if lanes.extra.get(NOTES_LANE) != lane.as_ref() {
        match lane {
            Some(l) => {
                lanes.extra.insert(NOTES_LANE.into(), l);
            }
            None => {
                lanes.extra.remove(NOTES_LANE);
            }
        }
    }
}

/// Key of the review notes lane in [`TimelineLanes::extra`].
pub const NOTES_LANE: &str = "review-notes";

/// Review notes as timeline marks: a span per ranged note, a tick per single-frame note; open
/// notes amber, resolved ones grey.
pub fn notes_lane(detail: &TakeDetail) -> Lane {
    let mut lane = Lane {
        name: format!("Notes ({})", detail.notes.len()),
        spans: Vec::new(),
        ticks: Vec::new(),
        edit_key: None,
    };
    for n in &detail.notes {
        let colour = if n.resolved {
            [140, 140, 140]
        } else {
            [255, 196, 61]
        };
        let tip = format!(
            "{}{}: {}",
            n.author,
            if n.resolved { " (resolved)" } else { "" },
            n.text
        );
        let (a, b) = (n.frame_start as usize, n.frame_end as usize);
        if b > a {
            lane.spans.push((a, b, colour, tip));
        } else {
            lane.ticks.push((a, colour, tip));
        }
    }
    lane
}
