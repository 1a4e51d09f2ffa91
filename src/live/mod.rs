//! The live stage in the studio. A [`LiveLink`] receives one body stream — a NatNet server
//! (Motive, `mocap live serve`) through `mocap_live::LiveWorker`, its markers optionally solved
//! live per actor by `mocap_live`'s `LiveSolver` and its skeletons (NatNet skeleton data, as
//! suits stream) posing their actors directly, or a VMC skeleton stream through `VmcReceiver` — and,
//! alongside, Live Link Face faces through `LiveLinkReceiver`: all on their own threads behind
//! bounded queues. Each `PreUpdate` drains them without waiting; while the link is followed,
//! the session's take is a *live take* ([`ring`]): the last few seconds of markers, skeleton
//! motions and face, with the playhead on the newest frame, so the viewport's markers, bones,
//! mannequin (and its face), characters (the character plugin solves the playhead's frame of the
//! ring on demand every update), selection, trails and HUD work unchanged.
//!
//! Recording ([`LiveCommand::StartRecording`]) keeps the connection: the NatNet worker starts
//! a recording session beside its monitoring one, the VMC and face sources keep their frames;
//! the timeline's working range shows the recorded span growing. [`LiveCommand::StopRecording`]
//! hands everything to a thread ([`save`]) that writes C3D (+ the live solve as BVH), or the
//! VMC BVH, and the face CSV, adds the take to the open library and, when done, opens it for
//! review ([`SessionCommand::Open`]). Nothing here waits on the network, a file or a thread.

pub mod face;
pub mod panel;
mod pump;
pub mod ring;
mod save;
pub mod vmc;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use bevy::prelude::*;
use mocap_data::FrameRate;
use mocap_live::{ClientConfig, LiveStatus, LiveWorker, RecordConfig, SolveConfig};

use crate::model::commands::LiveCommand;
use crate::model::library::TakeBrowser;
use crate::model::log::{AppLog, LogLevel};
use crate::model::session::SessionCommand;

pub use ring::{LIVE_WINDOW_S, LiveShape, live_take};

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
                (apply_live_commands, pump::pump_live)
                    .chain()
                    .in_set(LiveSet),
            )
            .add_systems(Last, pump::note_drawn.in_set(LiveSet));
    }
}

/// Received → drawn samples kept for the percentiles.
const DRAWN_SAMPLES: usize = 2000;

/// Frames buffered to calibrate each actor before the live solve (`mocap live record`'s
/// default).
pub const CALIBRATION_FRAMES: usize = 120;

/// The body stream's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// NatNet (Motive): markers, solved live when asked, and skeletons, which drive
    /// characters directly.
    NatNet,
    /// VMC over OSC: a humanoid skeleton's bones.
    Vmc,
}

/// What the link is connected to.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// The body stream's protocol.
    pub protocol: Protocol,
    /// NatNet: the server's command address; VMC: the local address listened on.
    pub server: SocketAddr,
    /// Multicast group, when not unicast (NatNet).
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
    /// The server's frame number (VMC: frames counted from the first).
    pub frame_number: i64,
    /// When its datagram was read.
    pub received: Instant,
}

/// The link to the live streams and what the Live panel shows of it.
#[derive(Resource)]
pub struct LiveLink {
    worker: Option<LiveWorker>,
    /// The VMC skeleton stream, when that is the body stream.
    pub vmc: Option<vmc::VmcSource>,
    /// The Live Link Face receiver, when listening.
    pub face: Option<face::FaceSource>,
    /// What the link is connected to (`None`: disconnected).
    pub connection: Option<Connection>,
    /// The NatNet worker's status, copied every update (labels, counters, latency report,
    /// silence).
    pub status: LiveStatus,
    /// Frames the app drained from the body stream (all updates, shown or not).
    pub frames_drained: u64,
    /// Frames the worker's queue dropped before the app drained them (a slow app), summed over
    /// the workers of this connection.
    pub frames_queue_dropped: u64,
    queue_dropped_base: u64,
    /// Marker set of the live solve (`None`: off).
    pub solve: Option<String>,
    solve_config: Option<SolveConfig>,
    /// When the running recording started (local clock), if one runs.
    pub recording_since: Option<Instant>,
    /// Frames of the live take's ring recorded so far (the timeline's working range).
    pub recorded_frames: usize,
    saving: Option<std::thread::JoinHandle<Result<save::Saved, String>>>,
    /// Folder recordings are written to (`None`: next to the open library, else the user's
    /// data folder; see [`LiveLink::folder`]).
    pub folder_override: Option<PathBuf>,
    /// The last recording written (its main file).
    pub last_saved: Option<PathBuf>,
    /// Whether the session's take is the live take (false after a recording or another take
    /// was opened; [`LiveCommand::ShowLive`] returns to it).
    pub following: bool,
    /// Session generation of the live take built by this link.
    generation: Option<u64>,
    /// What the live take holds.
    shape: Option<LiveShape>,
    /// The NatNet rate once known (kept while a worker restarts).
    rate: Option<FrameRate>,
    /// The newest body frame in the live take.
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
            vmc: None,
            face: None,
            connection: None,
            status: LiveStatus::default(),
            frames_drained: 0,
            frames_queue_dropped: 0,
            queue_dropped_base: 0,
            solve: None,
            solve_config: None,
            recording_since: None,
            recorded_frames: 0,
            saving: None,
            folder_override: None,
            last_saved: None,
            following: true,
            generation: None,
            shape: None,
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

    /// Whether a body stream or faces are being received.
    pub fn active(&self) -> bool {
        self.connection.is_some() || self.face.is_some()
    }

    /// Starts the body stream of `connection`, replacing the running one (stopped on a
    /// thread: the UI does not wait for it).
    fn start(&mut self, connection: &Connection) -> Result<(), String> {
        match connection.protocol {
            Protocol::NatNet => {
                let config = RecordConfig {
                    keep_frames: false,
                    ..RecordConfig::default()
                };
                let worker = LiveWorker::start(
                    connection.client_config(),
                    config,
                    self.solve_config.clone(),
                )
                .map_err(|e| format!("Cannot connect to {}: {e}", connection.server))?;
                self.retire();
                self.worker = Some(worker);
            }
            Protocol::Vmc => {
                let source = vmc::VmcSource::start(connection.server)?;
                self.retire();
                self.vmc = Some(source);
            }
        }
        Ok(())
    }

    /// Stops the running body stream (a NatNet worker's threads join on a thread of their own).
    fn retire(&mut self) {
        if let Some(w) = self.worker.take() {
            self.queue_dropped_base += w.updates.dropped();
            std::thread::spawn(move || drop(w));
        }
        self.vmc = None;
    }

    /// Forgets the live take (the next update rebuilds it).
    fn reset_take(&mut self) {
        self.following = true;
        self.generation = None;
        self.shape = None;
        self.shown = None;
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
        let connect = match cmd.clone() {
            LiveCommand::Connect {
                server,
                multicast,
                local,
            } => Some(Connection {
                protocol: Protocol::NatNet,
                server,
                multicast,
                local,
                since: Instant::now(),
            }),
            LiveCommand::ListenVmc { bind } => Some(Connection {
                protocol: Protocol::Vmc,
                server: bind,
                multicast: None,
                local: bind.ip(),
                since: Instant::now(),
            }),
            LiveCommand::SetSolve(set) => {
                set_solve(&mut link, &mut log, now, set);
                None
            }
            LiveCommand::ListenFaces(bind) => {
                link.face = None;
                if let Some(bind) = bind {
                    match face::FaceSource::start(bind) {
                        Ok(f) => {
                            log.push(
                                LogLevel::Info,
                                format!("Live: listening for Live Link Face on {}", f.local_addr()),
                                now,
                            );
                            link.face = Some(f);
                        }
                        Err(e) => {
                            log.push(LogLevel::Error, e.clone(), now);
                            link.error = Some(e);
                        }
                    }
                }
                link.reset_take();
                None
            }
            LiveCommand::Disconnect => {
                if link.recording_since.is_some() {
                    stop_recording(&mut link, browser.as_deref(), &mut log, now);
                }
                link.retire();
                link.face = None;
                if let Some(c) = link.connection.take() {
                    log.push(
                        LogLevel::Info,
                        format!("Live: disconnected from {}", c.server),
                        now,
                    );
                }
                link.generation = None;
                link.shape = None;
                None
            }
            LiveCommand::StartRecording => {
                start_recording(&mut link, &mut log, now);
                None
            }
            LiveCommand::StopRecording => {
                stop_recording(&mut link, browser.as_deref(), &mut log, now);
                None
            }
            LiveCommand::ShowLive => {
                link.reset_take();
                None
            }
            LiveCommand::SetFolder(f) => {
                log.push(
                    LogLevel::Info,
                    format!("Live: recordings go to {}", f.display()),
                    now,
                );
                link.folder_override = Some(f);
                None
            }
        };
        if let Some(c) = connect {
            connect_to(&mut link, browser.as_deref(), &mut log, now, c);
        }
    }
}

/// Replaces the body stream with `c`.
fn connect_to(
    link: &mut LiveLink,
    browser: Option<&TakeBrowser>,
    log: &mut AppLog,
    now: f64,
    c: Connection,
) {
    if link.recording_since.is_some() {
        stop_recording(link, browser, log, now);
    }
    match link.start(&c) {
        Ok(()) => {
            let what = match (c.protocol, c.multicast) {
                (Protocol::Vmc, _) => format!(
                    "listening for VMC on {}",
                    link.vmc.as_ref().map_or(c.server, |v| v.local_addr())
                ),
                (Protocol::NatNet, Some(g)) => {
                    format!(
                        "connecting to {} (multicast {g}, local {})",
                        c.server, c.local
                    )
                }
                (Protocol::NatNet, None) => {
                    format!("connecting to {} (unicast, local {})", c.server, c.local)
                }
            };
            log.push(LogLevel::Info, format!("Live: {what}"), now);
            link.connection = Some(c);
            link.status = LiveStatus::default();
            link.frames_drained = 0;
            link.frames_queue_dropped = 0;
            link.queue_dropped_base = 0;
            link.drawn_ms.clear();
            link.rate = None;
            link.error = None;
            link.reset_take();
        }
        Err(e) => {
            log.push(LogLevel::Error, e.clone(), now);
            link.error = Some(e);
        }
    }
}

/// Turns the live solve on (with marker set `set`) or off; a NatNet link restarts with it.
fn set_solve(link: &mut LiveLink, log: &mut AppLog, now: f64, set: Option<String>) {
    if link.solve == set {
        return;
    }
    if link.recording_since.is_some() {
        log.push(
            LogLevel::Warning,
            "Live: stop recording before changing the live solve",
            now,
        );
        return;
    }
    let config = match &set {
        None => None,
        Some(name) => {
            let skeleton = match mocap_solver::resolve::SolveSkeleton::template() {
                Ok(s) => s,
                Err(e) => {
                    let e = format!("Live: cannot solve live: {e}");
                    log.push(LogLevel::Error, e.clone(), now);
                    link.error = Some(e);
                    return;
                }
            };
            if let Err(e) = mocap_solver::markerset::MarkerSet::load(name) {
                let e = format!("Live: marker set {name}: {e}");
                log.push(LogLevel::Error, e.clone(), now);
                link.error = Some(e);
                return;
            }
            Some(SolveConfig {
                markerset: name.clone(),
                skeleton,
                calibration_frames: CALIBRATION_FRAMES,
                smooth: 0.01,
            })
        }
    };
    link.solve = set;
    link.solve_config = config;
    log.push(
        LogLevel::Info,
        match &link.solve {
            Some(s) => format!("Live: solving marker streams live with {s}"),
            None => "Live: live solve off".into(),
        },
        now,
    );
    if let Some(c) = link.connection.clone()
        && c.protocol == Protocol::NatNet
    {
        match link.start(&c) {
            Ok(()) => link.reset_take(),
            Err(e) => {
                log.push(LogLevel::Error, e.clone(), now);
                link.error = Some(e);
            }
        }
    }
}

fn start_recording(link: &mut LiveLink, log: &mut AppLog, now: f64) {
    if !link.active() {
        log.push(
            LogLevel::Warning,
            "Live: connect to a stream before recording",
            now,
        );
        return;
    }
    if link.recording_since.is_some() {
        return;
    }
    let solve = link.solve_config.clone();
    if let Some(w) = &link.worker {
        w.start_recording(solve);
    }
    if let Some(v) = &mut link.vmc {
        v.recording = Some(Vec::new());
        v.recording_overflow = 0;
    }
    if let Some(f) = &mut link.face {
        f.start_recording();
    }
    link.recording_since = Some(Instant::now());
    link.recorded_frames = 0;
    link.following = true;
    log.push(LogLevel::Info, "Live: recording", now);
}

/// Hands what was recorded to a saving thread; the streams keep running.
fn stop_recording(link: &mut LiveLink, browser: Option<&TakeBrowser>, log: &mut AppLog, now: f64) {
    if link.recording_since.take().is_none() {
        return;
    }
    let library = browser.and_then(|b| b.path.clone());
    let folder = link.folder(library.as_deref());
    let job = save::Job {
        natnet: link.worker.as_ref().map(|w| w.stop_recording()),
        vmc: link.vmc.as_mut().and_then(|v| {
            let frames = v.recording.take()?;
            Some((frames, v.rate.unwrap_or(FrameRate::FPS_60)))
        }),
        face: link.face.as_mut().and_then(|f| {
            let r = f.recorder.take()?;
            Some((r, f.malformed()))
        }),
        folder: folder.clone(),
        library,
    };
    log.push(
        LogLevel::Info,
        format!("Live: recording stopped; saving into {}", folder.display()),
        now,
    );
    link.saving = Some(std::thread::spawn(move || save::save_recording(job)));
}

/// Finishes a save that is done: logs it, opens the recording for review.
fn finish_save(
    link: &mut LiveLink,
    log: &mut AppLog,
    open: &mut MessageWriter<SessionCommand>,
    now: f64,
) {
    if !link.saving.as_ref().is_some_and(|h| h.is_finished()) {
        return;
    }
    let Some(h) = link.saving.take() else { return };
    match h.join() {
        Ok(Ok(saved)) => {
            for (level, line) in saved.log_lines() {
                log.push(level, line, now);
            }
            link.last_saved = Some(saved.path.clone());
            open.write(SessionCommand::Open(saved.files));
        }
        Ok(Err(e)) => {
            let e = format!("Live: recording not saved: {e}");
            log.push(LogLevel::Error, e.clone(), now);
            link.error = Some(e);
        }
        Err(_) => log.push(LogLevel::Error, "Live: the saving thread failed", now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
