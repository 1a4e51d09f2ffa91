//! The live stage in the studio: a [`LiveLink`] to a NatNet server (Motive, `mocap live serve`)
//! through `mocap_live::LiveWorker`, which receives, records and times frames on its own
//! threads. Each `PreUpdate` drains the worker's frames without waiting; while the link is
//! followed, the session's take is a *live take*: the last few seconds of the stream's markers
//! (labels from the model definitions, metres, Y-up, at the stream's rate) with the playhead on
//! the newest frame, so the viewport's markers, selection, trails and HUD work unchanged.
//!
//! Recording: [`LiveCommand::StartRecording`] starts a worker that keeps every frame;
//! [`LiveCommand::StopRecording`] hands it to a thread that writes the take as C3D (the writer
//! `mocap live record` uses), adds it to the open take library and, when done, opens it for
//! review ([`SessionCommand::Open`]). Nothing here waits on the network, a file or a thread.

pub mod panel;
mod save;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::prelude::*;
use mocap_data::{FrameRate, LengthUnit, MarkerTrajectories, Timecode, TimecodeFormat, UpAxis};
use mocap_live::{ClientConfig, LiveStatus, LiveUpdate, LiveWorker, RecordConfig};

use crate::model::commands::{LiveCommand, PlaybackCommand};
use crate::model::library::TakeBrowser;
use crate::model::log::{AppLog, LogLevel};
use crate::model::session::{AxisConvention, Session, SessionCommand, Take};

/// Systems that drain the live stage into the session (after [`crate::session::SessionSet`],
/// before [`crate::playback::PlaybackSet`], so the playhead follows the newest frame in the
/// same update).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct LiveSet;

/// Owns the [`LiveLink`] and applies [`LiveCommand`]s.
pub struct LivePlugin;

impl Plugin for LivePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<LiveLink>()
            .add_message::<LiveCommand>()
            .configure_sets(
                PreUpdate,
                LiveSet
                    .after(crate::session::SessionSet)
                    .before(crate::playback::PlaybackSet),
            )
            .add_systems(
                PreUpdate,
                (apply_live_commands, pump_live).chain().in_set(LiveSet),
            )
            .add_systems(Last, note_drawn.in_set(LiveSet));
    }
}

/// Seconds of the stream the live take keeps (a ring: older frames scroll out).
pub const LIVE_WINDOW_S: f64 = 4.0;

/// Received → drawn samples kept for the percentiles.
const DRAWN_SAMPLES: usize = 2000;

/// Without a `FrameRate` answer this long after the labels, the live take assumes 120 Hz.
const RATE_WAIT: Duration = Duration::from_secs(2);

/// What the link is connected to.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// The server's command address.
    pub server: std::net::SocketAddr,
    /// Multicast group, when not unicast.
    pub multicast: Option<std::net::Ipv4Addr>,
    /// Local address bound.
    pub local: std::net::IpAddr,
    /// When the link was started (local monotonic clock).
    pub since: Instant,
}

impl Connection {
    fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new(self.server);
        c.multicast = self.multicast;
        c.local = self.local;
        c
    }
}

/// The newest frame shown in the viewport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShownFrame {
    /// The server's frame number.
    pub frame_number: i64,
    /// When its datagram was read.
    pub received: Instant,
}

/// The link to a live server and what the Live panel shows of it.
#[derive(Resource)]
pub struct LiveLink {
    worker: Option<LiveWorker>,
    /// What the link is connected to (`None`: disconnected).
    pub connection: Option<Connection>,
    /// The worker's status, copied every update (labels, counters, latency report, silence).
    pub status: LiveStatus,
    /// Frames the app drained from the worker (all updates, shown or not).
    pub frames_drained: u64,
    /// Frames the worker's queue dropped before the app drained them (a slow app), summed over
    /// the workers of this connection.
    pub frames_queue_dropped: u64,
    queue_dropped_base: u64,
    /// When the running recording started (local clock), if one runs.
    pub recording_since: Option<Instant>,
    saving: Option<std::thread::JoinHandle<Result<save::Saved, String>>>,
    /// Folder recordings are written to (`None`: next to the open library, else the user's
    /// data folder; see [`LiveLink::folder`]).
    pub folder_override: Option<PathBuf>,
    /// The last recording written.
    pub last_saved: Option<PathBuf>,
    /// Whether the session's take is the live take (false after a recording or another take
    /// was opened; [`LiveCommand::ShowLive`] returns to it).
    pub following: bool,
    /// Session generation of the live take built by this link.
    generation: Option<u64>,
    labels: Vec<String>,
    rate: Option<FrameRate>,
    /// The newest frame in the live take.
    pub shown: Option<ShownFrame>,
    fresh: bool,
    /// Received → drawn (end of the update that put the frame in the scene), milliseconds.
    pub drawn_ms: VecDeque<f64>,
    /// The last error in words (a refused connection, a failed save).
    pub error: Option<String>,
}

impl Default for LiveLink {
    fn default() -> Self {
        Self {
            worker: None,
            connection: None,
            status: LiveStatus::default(),
            frames_drained: 0,
            frames_queue_dropped: 0,
            queue_dropped_base: 0,
            recording_since: None,
            saving: None,
            folder_override: None,
            last_saved: None,
            following: true,
            generation: None,
            labels: Vec::new(),
            rate: None,
            shown: None,
            fresh: false,
            drawn_ms: VecDeque::new(),
            error: None,
        }
    }
}

impl LiveLink {
    /// Whether a recording is being written.
    pub fn saving(&self) -> bool {
        self.saving.is_some()
    }

    /// The folder recordings go to: the override, else `recordings/` beside the open library
    /// `library`, else `$XDG_DATA_HOME/mocap-studio/recordings` (`~/.local/share/…`).
    pub fn folder(&self, library: Option<&std::path::Path>) -> PathBuf {
        if let Some(f) = &self.folder_override {
            return f.clone();
        }
        if let Some(dir) = library.and_then(|l| l.parent()) {
            return dir.join("recordings");
        }
        crate::model::settings::data_dir().join("recordings")
    }

    /// p50 and p99 of received → drawn, milliseconds.
    pub fn drawn_percentiles(&self) -> mocap_live::record::Percentiles {
        let v: Vec<f64> = self.drawn_ms.iter().copied().collect();
        mocap_live::record::Percentiles::of(&v)
    }

    /// Starts a worker for `connection` (keeping every frame when `record`), replacing the
    /// running one (stopped on a thread: the UI does not wait for it).
    fn start(&mut self, connection: &Connection, record: bool) -> Result<(), String> {
        let config = RecordConfig {
            keep_frames: record,
            ..RecordConfig::default()
        };
        let worker = LiveWorker::start(connection.client_config(), config, None)
            .map_err(|e| format!("Cannot connect to {}: {e}", connection.server))?;
        self.retire_worker();
        self.worker = Some(worker);
        Ok(())
    }

    /// Stops the running worker on a thread (its threads join there).
    fn retire_worker(&mut self) {
        if let Some(w) = self.worker.take() {
            self.queue_dropped_base += w.updates.dropped();
            std::thread::spawn(move || drop(w));
        }
    }
}

fn apply_live_commands(
    mut commands: MessageReader<LiveCommand>,
    mut link: ResMut<LiveLink>,
    mut log: ResMut<AppLog>,
    browser: Option<Res<TakeBrowser>>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    for cmd in commands.read() {
        match cmd.clone() {
            LiveCommand::Connect {
                server,
                multicast,
                local,
            } => {
                if link.recording_since.is_some() {
                    stop_recording(&mut link, browser.as_deref(), &mut log, now, false);
                }
                let c = Connection {
                    server,
                    multicast,
                    local,
                    since: Instant::now(),
                };
                match link.start(&c, false) {
                    Ok(()) => {
                        let how = match multicast {
                            Some(g) => format!("multicast {g}"),
                            None => "unicast".into(),
                        };
                        log.push(
                            LogLevel::Info,
                            format!("Live: connecting to {server} ({how}, local {local})"),
                            now,
                        );
                        link.connection = Some(c);
                        link.status = LiveStatus::default();
                        link.frames_drained = 0;
                        link.frames_queue_dropped = 0;
                        link.queue_dropped_base = 0;
                        link.drawn_ms.clear();
                        link.shown = None;
                        link.following = true;
                        link.generation = None;
                        link.rate = None;
                        link.labels.clear();
                        link.error = None;
                    }
                    Err(e) => {
                        log.push(LogLevel::Error, e.clone(), now);
                        link.error = Some(e);
                    }
                }
            }
            LiveCommand::Disconnect => {
                if link.recording_since.is_some() {
                    stop_recording(&mut link, browser.as_deref(), &mut log, now, false);
                }
                link.retire_worker();
                if let Some(c) = link.connection.take() {
                    log.push(
                        LogLevel::Info,
                        format!("Live: disconnected from {}", c.server),
                        now,
                    );
                }
                link.generation = None;
            }
            LiveCommand::StartRecording => {
                let Some(c) = link.connection.clone() else {
                    log.push(
                        LogLevel::Warning,
                        "Live: connect to a server before recording",
                        now,
                    );
                    continue;
                };
                if link.recording_since.is_some() {
                    continue;
                }
                // A worker that keeps every frame from now on (the monitoring one keeps none).
                match link.start(&c, true) {
                    Ok(()) => {
                        link.recording_since = Some(Instant::now());
                        link.following = true;
                        log.push(LogLevel::Info, "Live: recording", now);
                    }
                    Err(e) => {
                        log.push(LogLevel::Error, e.clone(), now);
                        link.error = Some(e);
                    }
                }
            }
            LiveCommand::StopRecording => {
                stop_recording(&mut link, browser.as_deref(), &mut log, now, true);
            }
            LiveCommand::ShowLive => {
                link.following = true;
                link.generation = None;
            }
            LiveCommand::SetFolder(f) => {
                log.push(
                    LogLevel::Info,
                    format!("Live: recordings go to {}", f.display()),
                    now,
                );
                link.folder_override = Some(f);
            }
        }
    }
}

/// Hands the recording worker to a saving thread and, when `monitor`, keeps the link
/// connected with a worker that keeps no frames.
fn stop_recording(
    link: &mut LiveLink,
    browser: Option<&TakeBrowser>,
    log: &mut AppLog,
    now: f64,
    monitor: bool,
) {
    if link.recording_since.take().is_none() {
        return;
    }
    let Some(worker) = link.worker.take() else {
        return;
    };
    link.queue_dropped_base += worker.updates.dropped();
    let library = browser.and_then(|b| b.path.clone());
    let folder = link.folder(library.as_deref());
    log.push(
        LogLevel::Info,
        format!("Live: recording stopped; saving into {}", folder.display()),
        now,
    );
    link.saving = Some(std::thread::spawn(move || {
        save::save_recording(worker, &folder, library.as_deref())
    }));
    if monitor
        && let Some(c) = link.connection.clone()
        && let Err(e) = link.start(&c, false)
    {
        log.push(LogLevel::Error, e.clone(), now);
        link.error = Some(e);
    }
}

/// Drains the worker, keeps the live take and the playhead on the newest frame, and finishes
/// saves.
fn pump_live(
    mut link: ResMut<LiveLink>,
    mut session: ResMut<Session>,
    mut log: ResMut<AppLog>,
    mut playback: MessageWriter<PlaybackCommand>,
    mut open: MessageWriter<SessionCommand>,
    time: Res<Time<Real>>,
) {
    let now = time.elapsed_secs_f64();
    if link.saving.as_ref().is_some_and(|h| h.is_finished())
        && let Some(h) = link.saving.take()
    {
        match h.join() {
            Ok(Ok(saved)) => {
                for (level, line) in saved.log_lines() {
                    log.push(level, line, now);
                }
                link.last_saved = Some(saved.path.clone());
                open.write(SessionCommand::Open(vec![saved.path]));
            }
            Ok(Err(e)) => {
                let e = format!("Live: recording not saved: {e}");
                log.push(LogLevel::Error, e.clone(), now);
                link.error = Some(e);
            }
            Err(_) => log.push(LogLevel::Error, "Live: the saving thread failed", now),
        }
    }
    let Some(worker) = &link.worker else {
        return;
    };
    let status = worker.status();
    let updates = worker.updates.drain();
    let dropped = worker.updates.dropped();
    link.frames_queue_dropped = link.queue_dropped_base + dropped;
    link.frames_drained += updates.len() as u64;
    link.status = status;
    if !link.following {
        return;
    }
    // Another take was opened (a recording for review, a file): stop driving the session.
    if let Some(g) = link.generation
        && g != session.generation
    {
        link.following = false;
        link.generation = None;
        return;
    }
    if link.status.labels.is_empty() {
        return;
    }
    let rate = link
        .status
        .rate_hz
        .and_then(|hz| FrameRate::from_hz(hz).ok())
        // A worker started for a recording asks again: keep the rate known meanwhile.
        .or(link.rate)
        .or_else(|| {
            let waited = link
                .connection
                .as_ref()
                .is_some_and(|c| c.since.elapsed() > RATE_WAIT);
            waited.then_some(FrameRate::FPS_120)
        });
    let Some(rate) = rate else {
        return;
    };
    if link.generation.is_none() || link.labels != link.status.labels || link.rate != Some(rate) {
        let name = format!(
            "Live: {}",
            link.status.server.as_deref().unwrap_or("NatNet server")
        );
        match live_take(name, link.status.labels.clone(), rate) {
            Ok(take) => {
                log.push(
                    LogLevel::Info,
                    format!(
                        "Live: {} markers at {rate} Hz from {}",
                        link.status.labels.len(),
                        link.status.server.as_deref().unwrap_or("the server")
                    ),
                    now,
                );
                session.take = Some(take);
                session.generation += 1;
                link.generation = Some(session.generation);
                link.labels = link.status.labels.clone();
                link.rate = Some(rate);
                link.shown = None;
            }
            Err(e) => {
                log.push(LogLevel::Error, format!("Live: {e}"), now);
                link.following = false;
                return;
            }
        }
    }
    let newest = push_updates(&mut session, &mut link, &updates);
    if newest {
        if let Some(t) = &session.take {
            playback.write(PlaybackCommand::Pause);
            playback.write(PlaybackCommand::Seek(t.frame_count.saturating_sub(1)));
        }
        link.fresh = true;
    }
}

/// An empty live take: `labels` × [`LIVE_WINDOW_S`] of gaps at `rate`, metres, Y-up.
pub fn live_take(
    name: String,
    labels: Vec<String>,
    rate: FrameRate,
) -> Result<Take, mocap_data::DataError> {
    let frames = ((LIVE_WINDOW_S * rate.hz()).ceil() as usize).max(2);
    let n = labels.len();
    let markers = MarkerTrajectories::new(labels, frames, rate, LengthUnit::Metre, UpAxis::Y)?;
    Ok(Take {
        name,
        sources: Vec::new(),
        rate,
        frame_count: frames,
        start_timecode: Timecode::from_frame_count(0, TimecodeFormat::for_rate(rate)),
        skeleton: None,
        skeleton_axes: AxisConvention::Up(UpAxis::Y),
        skeleton_unit_guess: None,
        face: None,
        motion: None,
        markers: Some(markers),
        marker_segments: vec![None; n],
        events: Vec::new(),
        in_frame: None,
        out_frame: None,
        cleanup: Default::default(),
        actors: Vec::new(),
        solved: None,
    })
}

/// Scrolls the live take by the frames that arrived (gaps for numbers that did not) and writes
/// the newest frames at its end. Returns whether the newest frame changed.
fn push_updates(session: &mut Session, link: &mut LiveLink, updates: &[LiveUpdate]) -> bool {
    let Some(markers) = session.take.as_mut().and_then(|t| t.markers.as_mut()) else {
        return false;
    };
    let n = markers.marker_count();
    let frames = markers.frame_count();
    let mut changed = false;
    for u in updates {
        if u.markers.len() != n {
            continue;
        }
        let shift = match link.shown {
            Some(s) if u.frame_number <= s.frame_number => continue,
            Some(s) => usize::try_from(u.frame_number - s.frame_number).unwrap_or(frames),
            None => frames,
        }
        .min(frames);
        scroll(markers, shift);
        let last = frames - 1;
        for (k, s) in u.markers.iter().enumerate() {
            markers.set_sample(last, k, *s);
        }
        link.shown = Some(ShownFrame {
            frame_number: u.frame_number,
            received: u.received,
        });
        changed = true;
    }
    changed
}

/// Moves every sample `shift` frames earlier; the last `shift` frames become gaps.
fn scroll(markers: &mut MarkerTrajectories, shift: usize) {
    let n = markers.marker_count();
    let frames = markers.frame_count();
    let keep = frames.saturating_sub(shift) * n;
    let from = shift.min(frames) * n;
    markers.positions_mut().copy_within(from.., 0);
    markers.residuals_mut().copy_within(from.., 0);
    markers.camera_masks_mut().copy_within(from.., 0);
    let valid = markers.valid_mut();
    valid.copy_within(from.., 0);
    valid[keep..].fill(false);
}

/// Notes received → drawn for the frame this update put in the scene (the renderer extracts
/// after `Last`).
fn note_drawn(mut link: ResMut<LiveLink>) {
    if !link.fresh {
        return;
    }
    link.fresh = false;
    if let Some(s) = link.shown {
        let ms = s.received.elapsed().as_secs_f64() * 1000.0;
        if link.drawn_ms.len() >= DRAWN_SAMPLES {
            link.drawn_ms.pop_front();
        }
        link.drawn_ms.push_back(ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mocap_data::MarkerSample;

    fn update(frame_number: i64, x: f32) -> LiveUpdate {
        LiveUpdate {
            frame_number,
            received: Instant::now(),
            markers: vec![
                MarkerSample {
                    position: [x, 1.0, 2.0],
                    residual: 0.0,
                    camera_mask: 0,
                    valid: true,
                },
                MarkerSample::GAP,
            ],
            poses: Vec::new(),
        }
    }

    #[test]
    fn frames_scroll_through_the_ring_with_gaps_for_lost_numbers() {
        let rate = FrameRate::integer(100).expect("rate");
        let take = live_take("Live".into(), vec!["A:a".into(), "A:b".into()], rate).expect("take");
        let last = take.frame_count - 1;
        assert_eq!(take.frame_count, 400, "4 s at 100 Hz");
        let mut session = Session {
            take: Some(take),
            ..Session::default()
        };
        let mut link = LiveLink::default();
        // 10, a late duplicate, then 13: 11 and 12 never came.
        let ups = [update(10, 0.1), update(9, 9.0), update(13, 0.4)];
        assert!(push_updates(&mut session, &mut link, &ups));
        let m = session
            .take
            .as_ref()
            .and_then(|t| t.markers.as_ref())
            .expect("markers");
        assert_eq!(m.position(last, 0), Some([0.4, 1.0, 2.0]));
        assert_eq!(m.position(last - 1, 0), None, "12 lost");
        assert_eq!(m.position(last - 2, 0), None, "11 lost");
        assert_eq!(m.position(last - 3, 0), Some([0.1, 1.0, 2.0]));
        assert_eq!(m.position(last, 1), None, "a gap stays a gap");
        assert_eq!(link.shown.map(|s| s.frame_number), Some(13));
        // Nothing newer: nothing changes.
        assert!(!push_updates(&mut session, &mut link, &[update(12, 5.0)]));
        // A jump longer than the ring clears it.
        assert!(push_updates(&mut session, &mut link, &[update(5000, 0.5)]));
        let m = session
            .take
            .as_ref()
            .and_then(|t| t.markers.as_ref())
            .expect("markers");
        assert_eq!(m.position(last, 0), Some([0.5, 1.0, 2.0]));
        assert_eq!((0..last).filter(|&f| m.position(f, 0).is_some()).count(), 0);
    }

    #[test]
    fn recordings_go_beside_the_library_unless_told() {
        let mut link = LiveLink::default();
        assert_eq!(
            link.folder(Some(std::path::Path::new("/data/show/takes.db"))),
            PathBuf::from("/data/show/recordings")
        );
        assert!(link.folder(None).ends_with("mocap-studio/recordings"));
        link.folder_override = Some("/x".into());
        assert_eq!(link.folder(None), PathBuf::from("/x"));
    }
}
