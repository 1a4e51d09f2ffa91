//! The take library as a team uses it: a PostgreSQL library connected on a worker thread,
//! notifications for the studio's user (mentions in notes, status changes of their takes) read
//! from the ledger whenever another writer commits, and dailies playlists played in sequence.

use std::path::PathBuf;

use bevy::prelude::*;
use take_library::{Library, OpenMode};

use super::take_finished;
use crate::model::commands::PlaybackCommand;
use crate::model::library::{LibraryCommand, MAX_NOTICES, OpenLibrary, TakeBrowser};
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::settings::Settings;
use crate::playback::Playback;

/// A library being opened on a worker thread (a PostgreSQL server may take seconds to answer,
/// or not answer at all): what was asked for and the result channel.
#[derive(Resource, Default)]
pub(crate) struct OpenJob(
    Option<(
        PathBuf,
        std::sync::Mutex<std::sync::mpsc::Receiver<OpenResult>>,
    )>,
);

type OpenResult = Result<Library, String>;

/// Starts connecting to the library `path` (a `postgres://` URL) on a worker thread; the one
/// open now stays until it succeeds.
pub(crate) fn start_open(path: PathBuf, browser: &mut TakeBrowser, job: &mut OpenJob) {
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.clone();
    std::thread::spawn(move || {
        let result = Library::open(&p, OpenMode::CreateIfMissing).map_err(|e| e.to_string());
        let _ = tx.send(result);
    });
    // A newer request replaces an older one still connecting (its result is dropped).
    job.0 = Some((path.clone(), std::sync::Mutex::new(rx)));
    browser.opening = Some(take_library::store::redact_url(&path.to_string_lossy()));
    browser.error = None;
}

/// Installs a library opened on the worker thread, or says why it could not be.
pub(crate) fn finish_open(
    mut job: ResMut<OpenJob>,
    mut browser: ResMut<TakeBrowser>,
    library: Res<OpenLibrary>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    let Some((path, rx)) = job.0.take() else {
        return;
    };
    let mut pending = Some(rx);
    let Some(result) = take_finished(&mut pending, "connecting to the library") else {
        job.0 = pending.map(|rx| (path, rx));
        return;
    };
    browser.opening = None;
    let now = time.elapsed_secs_f64();
    match result {
        Ok(lib) => super::install_library(lib, path, &library, &mut browser, &mut log, now),
        Err(e) => {
            let shown = take_library::store::redact_url(&path.to_string_lossy());
            let text = format!("Cannot open take library {shown}: {e}");
            log.push(LogLevel::Error, text.clone(), now);
            browser.error = Some(text);
        }
    }
}

/// Reads the notifications for the studio's user that arrived since the last read (called when
/// the library is re-read, i.e. when a writer committed). The first read only sets the mark:
/// what happened before the library was opened does not notify.
pub(crate) fn update_notices(lib: &mut Library, browser: &mut TakeBrowser) {
    let Some(mark) = browser.notice_mark else {
        browser.notice_mark = lib.ledger_seq().ok();
        return;
    };
    let Ok((new, next)) = lib.notices_since(&browser.author, mark) else {
        return;
    };
    browser.notice_mark = Some(next);
    if new.is_empty() {
        return;
    }
    browser.unread += new.len();
    browser.notices.extend(new);
    let over = browser.notices.len().saturating_sub(MAX_NOTICES);
    browser.notices.drain(..over);
    browser.unread = browser.unread.min(browser.notices.len());
}

/// The studio's user (the author of edits, whose notifications are shown) follows the settings.
pub(crate) fn follow_settings_user(
    settings: Option<Res<Settings>>,
    mut browser: ResMut<TakeBrowser>,
) {
    let Some(settings) = settings else { return };
    let user = settings.user.trim();
    if settings.is_changed() && !user.is_empty() && browser.author != user {
        browser.author = user.to_string();
    }
}

/// Plays dailies: once the entry's take is open, starts playback; when playback stops at the
/// take's last frame, goes on to the next entry.
pub(crate) fn follow_dailies(
    mut browser: ResMut<TakeBrowser>,
    playback: Option<Res<Playback>>,
    mut transport: MessageWriter<PlaybackCommand>,
    mut commands: MessageWriter<LibraryCommand>,
) {
    let active = browser.active.as_ref().map(|a| a.summary.id);
    let Some(playback) = playback else { return };
    let Some(d) = browser.dailies.as_mut() else {
        return;
    };
    let Some(item) = d.items.get(d.index) else {
        return;
    };
    if active != Some(item.take_id) || playback.frame_count == 0 {
        return;
    }
    if !d.started {
        if playback.playing {
            d.started = true;
        } else if !d.play_sent {
            // Looping would never reach the take's end.
            transport.write(PlaybackCommand::SetLoop(false));
            transport.write(PlaybackCommand::GoToStart);
            transport.write(PlaybackCommand::Play);
            d.play_sent = true;
        }
        return;
    }
    if !playback.playing && playback.frame() >= playback.range.1 {
        // Once: the next entry resets `started`.
        d.started = false;
        d.play_sent = true;
        commands.write(LibraryCommand::StepDailies(1));
    }
}
