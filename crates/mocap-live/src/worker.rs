//! A live session on its own thread, for a frame-driven consumer such as the studio: the
//! worker owns the [`LiveClient`] and the [`Session`] (recording, live solve) and publishes
//! each frame's markers and poses through a small [`BoundedQueue`] that the consumer drains
//! once per drawn frame. Nothing the consumer calls waits on the network or the solver.

use crate::client::{ClientConfig, ClientError, LiveClient, LiveEvent};
use crate::queue::BoundedQueue;
use crate::record::{LiveReport, RecordConfig, Recording, labels_of};
use crate::session::{Session, SolveConfig};
use mocap_data::{MarkerSample, Skeleton};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Each solved actor's latest pose: name and channel values (its skeleton's unit, degrees;
    /// the skeleton is in [`LiveStatus::skeletons`]).
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
    /// Each solved actor's skeleton (its unit; rest rotations as the solver's model).
    pub skeletons: Vec<(String, Skeleton)>,
    /// The report so far (counters, latency per stage, solve RMS).
    pub report: LiveReport,
    /// The last error in words (a failed calibration, …); the session keeps recording.
    pub error: Option<String>,
    /// Seconds since the last datagram (`None` before any): a banner above a second or two.
    pub silent_s: Option<f64>,
}

/// A running live session.
#[derive(Debug)]
pub struct LiveWorker {
    /// Frames for the consumer, oldest first (small: a slow consumer loses old frames, counted
    /// in [`BoundedQueue::dropped`]).
    pub updates: Arc<BoundedQueue<LiveUpdate>>,
    status: Arc<Mutex<LiveStatus>>,
    stop: Arc<AtomicBool>,
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
        let thread = std::thread::Builder::new()
            .name("live-session".into())
            .spawn(move || run(client, Session::new(record, solve), &u, &s, &st))
            .map_err(|source| ClientError::Io {
                what: "spawn",
                source,
            })?;
        Ok(Self {
            updates,
            status,
            stop,
            thread: Some(thread),
        })
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
        let mut s = self.finish()?;
        let _ = s.finish_solve();
        s.recorder.count_unknown();
        let r = s.recorder.finish().ok()?;
        Some((r, s))
    }
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(
    client: LiveClient,
    mut session: Session,
    updates: &BoundedQueue<LiveUpdate>,
    status: &Mutex<LiveStatus>,
    stop: &AtomicBool,
) -> Session {
    let mut columns = HashMap::new();
    let mut labels_known = false;
    let mut pending: VecDeque<RawFrame> = VecDeque::new();
    let mut last_heard: Option<Instant> = None;
    let mut last_status = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let ev = client.events.pop_timeout(Duration::from_millis(20));
        let mut st_changes: Option<LiveStatus> = None;
        if let Some(ev) = &ev {
            last_heard = Some(Instant::now());
            let result = session.handle(ev);
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
                    let poses = session.solver.as_ref().map_or_else(Vec::new, |s| {
                        (0..s.actors.len())
                            .filter_map(|i| {
                                let (_, pose, _) = s.latest_pose(i)?;
                                Some((s.actors[i].actor.clone(), pose.to_vec()))
                            })
                            .collect()
                    });
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
            if let Some(s) = &session.solver
                && st.skeletons.len() != s.actors.len()
            {
                st.skeletons = (0..s.actors.len())
                    .filter_map(|i| {
                        let (sk, _, _) = s.latest_pose(i)?;
                        Some((s.actors[i].actor.clone(), sk.clone()))
                    })
                    .collect();
            }
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
