//! A live session on its own thread, for a frame-driven consumer such as the studio: the
//! worker owns the [`LiveClient`] and the [`Session`] (recording, live solve) and publishes
//! each frame's markers and poses through a small [`BoundedQueue`] that the consumer drains
//! once per drawn frame. Nothing the consumer calls waits on the network or the solver.
//!
//! Recording without reconnecting: [`LiveWorker::start_recording`] starts a second session that
//! keeps every frame from then on (and solves them from its own calibration when asked, as
//! `mocap live record --solve` does), fed the same events; [`LiveWorker::stop_recording`]
//! hands it back through a channel while the link stays up.

use crate::client::{ClientConfig, ClientError, LiveClient, LiveEvent};
use crate::queue::BoundedQueue;
use crate::record::{LiveReport, RecordConfig, Recording, labels_of};
use crate::session::{Session, SolveConfig};
use mocap_data::{MarkerSample, Skeleton};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One frame for the consumer.
#[derive(Debug, Clone)]
pub struct LiveUpdate {
    /// The server's frame number.
    pub frame_number: i64,
    /// When its datagram was read (for the received → drawn latency).
    pub received: Instant,
    /// One sample per label of [`LiveStatus::labels`] (metres, Y-up; gaps invalid).
    pub markers: Vec<MarkerSample>,
    /// Each actor's latest pose (the stream's own skeletons, else the live solve's): name and
    /// channel values (its skeleton's unit, degrees; the skeleton is in
    /// [`LiveStatus::skeletons`]).
    pub poses: Vec<(String, Vec<f32>)>,
}

/// What the consumer shows besides frames (read with [`LiveWorker::status`]).
#[derive(Debug, Clone, Default)]
pub struct LiveStatus {
    /// The server's application name once it answered.
    pub server: Option<String>,
    /// Marker labels (`SET:MARKER`) from the model definitions.
    pub labels: Vec<String>,
    /// The server's frame rate, Hz, once it answered the `FrameRate` command.
    pub rate_hz: Option<f64>,
    /// Each actor's skeleton: the stream's own (NatNet skeleton descriptions: metres, Y-up),
    /// then the live solve's (its unit; rest rotations as the solver's model).
    pub skeletons: Vec<(String, Skeleton)>,
    /// The report so far (counters, latency per stage, solve RMS).
    pub report: LiveReport,
    /// The last error in words (a failed calibration, …); the session keeps recording.
    pub error: Option<String>,
    /// Seconds since the last datagram (`None` before any): a banner above a second or two.
    pub silent_s: Option<f64>,
    /// Frames stored by the running recording (`None`: not recording).
    pub recording_frames: Option<usize>,
}

/// Requests to the worker thread.
enum Control {
    /// Start a recording session (solving with this configuration when given).
    Start(Option<SolveConfig>),
    /// Hand the recording session back here.
    Stop(mpsc::Sender<Session>),
}

/// A running live session.
#[derive(Debug)]
pub struct LiveWorker {
    /// Frames for the consumer, oldest first (small: a slow consumer loses old frames, counted
    /// in [`BoundedQueue::dropped`]).
    pub updates: Arc<BoundedQueue<LiveUpdate>>,
    status: Arc<Mutex<LiveStatus>>,
    stop: Arc<AtomicBool>,
    control: mpsc::Sender<Control>,
    thread: Option<JoinHandle<Session>>,
}

impl LiveWorker {
    /// Connects and starts the worker thread.
    pub fn start(
        client: ClientConfig,
        record: RecordConfig,
        solve: Option<SolveConfig>,
    ) -> Result<Self, ClientError> {
        let client = LiveClient::start(client)?;
        let updates = Arc::new(BoundedQueue::new(16));
        let status = Arc::new(Mutex::new(LiveStatus::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (u, s, st) = (updates.clone(), status.clone(), stop.clone());
        let (control, requests) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("live-session".into())
            .spawn(move || {
                let recording = RecordConfig {
                    keep_frames: true,
                    ..record.clone()
                };
                let sink = Sinks {
                    updates: &u,
                    status: &s,
                    stop: &st,
                    requests: &requests,
                    recording,
                };
                run(client, Session::new(record, solve), &sink)
            })
            .map_err(|source| ClientError::Io {
                what: "spawn",
                source,
            })?;
        Ok(Self {
            updates,
            status,
            stop,
            control,
            thread: Some(thread),
        })
    }

    /// Starts keeping every frame from now on in a recording session (solved from its own
    /// calibration when `solve` is given); the link stays up. A running recording is replaced.
    pub fn start_recording(&self, solve: Option<SolveConfig>) {
        let _ = self.control.send(Control::Start(solve));
    }

    /// Ends the running recording: its session (recorder, solver) arrives on the returned
    /// channel once the worker thread sees the request (at most a few tens of milliseconds);
    /// the channel closes without one when nothing was recording. Finish it with
    /// [`finish_session`].
    pub fn stop_recording(&self) -> mpsc::Receiver<Session> {
        let (tx, rx) = mpsc::channel();
        let _ = self.control.send(Control::Stop(tx));
        rx
    }

    /// A copy of the status (cheap: no frame data).
    pub fn status(&self) -> LiveStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops receiving and returns the session (its recorder and solver) for saving.
    pub fn finish(mut self) -> Option<Session> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().and_then(|t| t.join().ok())
    }

    /// Stops, then builds the recording (see [`crate::Recorder::finish`]).
    pub fn finish_recording(self) -> Option<(Recording, Session)> {
        finish_session(self.finish()?)
    }
}

/// Solves what a session still buffers and builds its recording (`None`: nothing stored).
pub fn finish_session(mut s: Session) -> Option<(Recording, Session)> {
    let _ = s.finish_solve();
    s.recorder.count_unknown();
    let r = s.recorder.finish().ok()?;
    Some((r, s))
}

/// Where the worker thread publishes, and what it is asked.
struct Sinks<'a> {
    updates: &'a BoundedQueue<LiveUpdate>,
    status: &'a Mutex<LiveStatus>,
    stop: &'a AtomicBool,
    requests: &'a mpsc::Receiver<Control>,
    /// Limits of a recording session.
    recording: RecordConfig,
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(client: LiveClient, mut session: Session, sink: &Sinks<'_>) -> Session {
    let (updates, status, stop) = (sink.updates, sink.status, sink.stop);
    // The latest server info, model definitions and rate: a recording session starts with them.
    let mut context: Vec<LiveEvent> = Vec::new();
    let mut recording: Option<Session> = None;
    let mut columns = HashMap::new();
    let mut labels_known = false;
    let mut pending: VecDeque<RawFrame> = VecDeque::new();
    let mut last_heard: Option<Instant> = None;
    let mut last_status = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        while let Ok(req) = sink.requests.try_recv() {
            match req {
                Control::Start(solve) => {
                    let mut r = Session::new(sink.recording.clone(), solve);
                    for e in &context {
                        let _ = r.handle(e);
                    }
                    recording = Some(r);
                }
                Control::Stop(tx) => {
                    if let Some(r) = recording.take() {
                        let _ = tx.send(r);
                    }
                }
            }
        }
        let ev = client.events.pop_timeout(Duration::from_millis(20));
        let mut st_changes: Option<LiveStatus> = None;
        if let Some(ev) = &ev {
            last_heard = Some(Instant::now());
            if !matches!(ev, LiveEvent::Frame(_)) {
                context.retain(|c| std::mem::discriminant(c) != std::mem::discriminant(ev));
                context.push(ev.clone());
            }
            let mut result = session.handle(ev);
            if let Some(r) = &mut recording
                && let Err(e) = r.handle(ev)
                && result.is_ok()
            {
                result = Err(e);
            }
            match ev {
                LiveEvent::ModelDef(d) => {
                    let (labels, c) = labels_of(Some(d));
                    columns = c;
                    labels_known = true;
                    for raw in pending.drain(..) {
                        updates.push(raw.labelled(&columns));
                    }
                    let mut st = snapshot(status);
                    st.labels = labels;
                    st_changes = Some(st);
                }
                LiveEvent::ServerInfo(i) => {
                    let mut st = snapshot(status);
                    st.server = Some(i.application_name.clone());
                    st_changes = Some(st);
                }
                LiveEvent::Frame(rf) => {
                    let poses = session.actor_poses();
                    let raw = RawFrame {
                        frame_number: rf.frame.frame_number as i64,
                        received: rf.received,
                        markers: rf
                            .frame
                            .labeled_markers
                            .iter()
                            .map(|m| (m.id, m.position))
                            .collect(),
                        poses,
                    };
                    if labels_known {
                        updates.push(raw.labelled(&columns));
                    } else {
                        // Streaming began before the model definitions answered: hold the
                        // frames (as many as the consumer's queue) until the labels are known.
                        if pending.len() >= updates.capacity() {
                            pending.pop_front();
                            updates.count_dropped(1);
                        }
                        pending.push_back(raw);
                    }
                }
                LiveEvent::FrameRate(hz) => {
                    let mut st = snapshot(status);
                    st.rate_hz = Some(*hz);
                    st_changes = Some(st);
                }
            }
            if let Err(e) = result {
                let mut st = st_changes.take().unwrap_or_else(|| snapshot(status));
                st.error = Some(e.to_string());
                st_changes = Some(st);
            }
        }
        // Counters and silence, a few times a second.
        if st_changes.is_some() || last_status.elapsed() > Duration::from_millis(250) {
            let mut st = st_changes.unwrap_or_else(|| snapshot(status));
            let malformed = client.stats.packets_malformed.load(Ordering::Relaxed);
            st.report = session.report(malformed);
            st.silent_s = last_heard.map(|t| t.elapsed().as_secs_f64());
            st.recording_frames = recording.as_ref().map(|r| r.recorder.frames_stored());
            st.skeletons = session.actor_skeletons();
            *status.lock().unwrap_or_else(|p| p.into_inner()) = st;
            last_status = Instant::now();
        }
    }
    client.stop();
    session
}

/// A frame as received, before its markers are put in label order.
struct RawFrame {
    frame_number: i64,
    received: Instant,
    /// Marker id (NatNet's model/marker id) and position (metres, Y-up).
    markers: Vec<(i32, [f32; 3])>,
    poses: Vec<(String, Vec<f32>)>,
}

impl RawFrame {
    /// One sample per label column; markers without a column (unknown id) or with a
    /// non-finite position stay gaps.
    fn labelled(self, columns: &HashMap<i32, usize>) -> LiveUpdate {
        let mut markers = vec![MarkerSample::GAP; columns.len()];
        for (id, position) in self.markers {
            if let Some(&c) = columns.get(&id)
                && position.iter().all(|v| v.is_finite())
                && let Some(s) = markers.get_mut(c)
            {
                s.position = position;
                s.valid = true;
            }
        }
        LiveUpdate {
            frame_number: self.frame_number,
            received: self.received,
            markers,
            poses: self.poses,
        }
    }
}

fn snapshot(status: &Mutex<LiveStatus>) -> LiveStatus {
    status.lock().unwrap_or_else(|p| p.into_inner()).clone()
}
