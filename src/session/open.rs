//! Opening files without blocking the app: a worker thread reads and parses each file of a
//! [`SessionCommand::Open`] (or [`SessionCommand::AddActor`]) with the `mocap-formats` readers
//! ([`read_file`]) and sends it back; the session plugin installs each file into the take, in
//! order, as it arrives ([`install`]), while the viewport keeps drawing. Requests sent behind a
//! running open (close, export, the demo, another open) wait their turn in [`OpenQueue`], so
//! they apply in the order they were sent, as if each were immediate.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, TryRecvError};

use bevy::prelude::*;
use mocap_data::{Event, MarkerTrajectories, UpAxis};
use mocap_formats::FileKind;

use crate::model::session::{Opening, Session, SessionCommand};

/// One file as read on the worker thread, ready to go into the session.
pub(crate) enum ReadFile {
    /// A glTF/GLB character: Bevy's loader reads it (in the background) once it is listed.
    Character,
    /// A marker take (C3D, TRC) and its events.
    Markers {
        markers: MarkerTrajectories,
        events: Vec<Event>,
        summary: String,
    },
    /// A skeleton motion (BVH, or AMC with its ASF); `amc` says it used the pending ASF.
    Motion {
        loaded: Box<mocap_formats::world::LoadedMotion>,
        amc: bool,
        summary: String,
    },
    /// An ASF skeleton waiting for its AMC.
    Asf {
        asf: Box<mocap_formats::asf::AsfSkeleton>,
        summary: String,
    },
    /// A face take.
    Face {
        read: Box<mocap_formats::face::FaceTake>,
    },
}

/// One file's outcome from the worker: its index in the request and what was read.
type Outcome = (usize, Result<ReadFile, String>);

/// Files being read for one request.
pub(crate) struct FilesJob {
    /// The files, in request order, with their sizes in bytes (0 when unknown).
    files: Vec<(PathBuf, u64)>,
    /// [`SessionCommand::AddActor`]: a motion joins the take as another actor.
    add_actor: bool,
    /// The worker's outcomes, in file order.
    rx: Mutex<Receiver<Outcome>>,
    /// The next file to install.
    next: usize,
    /// Whether a skeleton motion of this request already went in (`None` until the first).
    motion_opened: Option<bool>,
    /// When the current file's read started (real-time app clock, seconds).
    since_s: f64,
}

/// What waits to change the session, in the order it was asked for.
pub(crate) enum Step {
    /// Files being read.
    Files(FilesJob),
    /// A request to apply when it reaches the front (nothing to read).
    Now(SessionCommand),
}

/// The session's pending requests: the front one runs; the rest wait behind it.
#[derive(Resource, Default)]
pub(crate) struct OpenQueue(pub(crate) VecDeque<Step>);

impl OpenQueue {
    /// The ASF an AMC opened now would pair with: the last ASF queued, else the session's.
    fn asf_hint(&self, session: &Session) -> Option<PathBuf> {
        self.0
            .iter()
            .rev()
            .filter_map(|s| match s {
                Step::Files(j) => j
                    .files
                    .iter()
                    .rev()
                    .find(|(p, _)| FileKind::from_path(p) == Some(FileKind::Asf))
                    .map(|(p, _)| p.clone()),
                Step::Now(_) => None,
            })
            .next()
            .or_else(|| session.pending_asf.as_ref().map(|(p, _)| p.clone()))
    }

    /// Starts reading `paths` on a worker thread and queues their installation.
    pub(crate) fn start(
        &mut self,
        session: &Session,
        paths: &[PathBuf],
        up_for_trc: UpAxis,
        add_actor: bool,
        now: f64,
    ) {
        let files: Vec<(PathBuf, u64)> = paths
            .iter()
            .map(|p| (p.clone(), std::fs::metadata(p).map_or(0, |m| m.len())))
            .collect();
        let (tx, rx) = std::sync::mpsc::channel();
        let mut asf = self.asf_hint(session);
        let todo = paths.to_vec();
        std::thread::spawn(move || {
            for (i, path) in todo.iter().enumerate() {
                let read = read_file(path, up_for_trc, &mut asf);
                if tx.send((i, read)).is_err() {
                    return; // the request was dropped (app closing)
                }
            }
        });
        self.0.push_back(Step::Files(FilesJob {
            files,
            add_actor,
            rx: Mutex::new(rx),
            next: 0,
            motion_opened: None,
            since_s: now,
        }));
    }

    /// What the HUD shows for the queue.
    pub(crate) fn opening(&self) -> Opening {
        let current = match self.0.front() {
            Some(Step::Files(j)) => j.files.get(j.next).map(|(p, n)| (p.clone(), *n, j.since_s)),
            _ => None,
        };
        let files_left = match self.0.front() {
            Some(Step::Files(j)) => j.files.len().saturating_sub(j.next),
            _ => 0,
        };
        Opening {
            current,
            files_left,
            queued: self.0.len(),
        }
    }
}

/// What the front of the queue gave: a file's outcome, a request to apply, or nothing yet.
pub(crate) enum Ready {
    /// A file of an open (or add-actor) request, read or failed.
    File {
        path: PathBuf,
        add_actor: bool,
        result: Result<String, String>,
    },
    /// A request that waited behind an open.
    Command(SessionCommand),
}

/// Takes the next ready item off the queue's front, installing a read file into `session`;
/// `None` while the front file is still being read, or when the queue is empty.
pub(crate) fn next_ready(queue: &mut OpenQueue, session: &mut Session, now: f64) -> Option<Ready> {
    let job = match queue.0.front_mut()? {
        Step::Now(_) => {
            let Some(Step::Now(cmd)) = queue.0.pop_front() else {
                return None;
            };
            return Some(Ready::Command(cmd));
        }
        Step::Files(job) => job,
    };
    if job.next >= job.files.len() {
        queue.0.pop_front();
        return next_ready(queue, session, now);
    }
    let received = job.rx.lock().ok()?.try_recv();
    let (i, read) = match received {
        Ok(o) => o,
        Err(TryRecvError::Empty) => return None,
        Err(TryRecvError::Disconnected) => (job.next, Err("the reading thread stopped".into())),
    };
    let (path, _) = job.files.get(i).cloned()?;
    job.next = i + 1;
    job.since_s = now;
    let add_actor = job.add_actor;
    let motion_opened = job.motion_opened.get_or_insert_with(|| {
        // Adding an actor: a take that already has a skeleton motion keeps it.
        add_actor
            && session
                .take
                .as_ref()
                .is_some_and(|t| t.skeleton.is_some() && t.motion.is_some())
    });
    let result = read.map(|r| install(session, &path, r, motion_opened));
    if job.next >= job.files.len() {
        queue.0.pop_front();
    }
    Some(Ready::File {
        path,
        add_actor,
        result,
    })
}

/// Reads and parses one file (on the worker thread). `asf` is the ASF an AMC pairs with; an ASF
/// read here becomes it.
pub(crate) fn read_file(
    path: &Path,
    up_for_trc: UpAxis,
    asf: &mut Option<PathBuf>,
) -> Result<ReadFile, String> {
    if !path.exists() {
        return Err("no such file".into());
    }
    if super::face::is_face_file(path) {
        let read =
            mocap_formats::face::read_path(path, Default::default()).map_err(|e| e.to_string())?;
        return Ok(ReadFile::Face {
            read: Box::new(read),
        });
    }
    let kind = FileKind::from_path(path).ok_or(
        "unknown file type (expected .c3d, .trc, .bvh, .asf, .amc, .gltf, .glb, or a face take .csv/.json)".to_string(),
    )?;
    let err = |e: mocap_formats::FormatError| e.to_string();
    match kind {
        FileKind::Gltf => Ok(ReadFile::Character),
        FileKind::C3d => {
            let file = mocap_formats::c3d::read_path(path).map_err(err)?;
            let summary = format!(
                "{} markers × {} frames at {} Hz ({}, {:?}-up), {} events{}",
                file.points.marker_count(),
                file.points.frame_count(),
                file.points.rate,
                file.points.unit,
                file.points.up_axis,
                file.events.len(),
                if file.warnings.is_empty() {
                    String::new()
                } else {
                    format!(", {} repaired problems", file.warnings.len())
                }
            );
            Ok(ReadFile::Markers {
                markers: file.points,
                events: file.events,
                summary,
            })
        }
        FileKind::Trc => {
            let opts = mocap_formats::trc::TrcOptions {
                up_axis: up_for_trc,
            };
            let file = mocap_formats::trc::read_path_with(path, &opts).map_err(err)?;
            let summary = format!(
                "{} markers × {} frames at {} Hz ({}, {:?}-up assumed)",
                file.markers.marker_count(),
                file.markers.frame_count(),
                file.markers.rate,
                file.markers.unit,
                file.markers.up_axis
            );
            Ok(ReadFile::Markers {
                markers: file.markers,
                events: Vec::new(),
                summary,
            })
        }
        FileKind::Bvh => {
            // The same loader as `mocap convert --like`: BVH states no unit, so it is guessed
            // from the figure's size (shown in the Inspector).
            let m = mocap_formats::world::load_motion(path, None).map_err(err)?;
            let guess = m
                .unit_guess
                .as_ref()
                .map(|g| format!("; unit {} guessed: {}", g.unit, g.reason))
                .unwrap_or_default();
            let summary = format!(
                "{} joints, {} frames at {} Hz{guess}",
                m.skeleton.joints.len(),
                m.motion.frame_count(),
                m.motion.rate,
            );
            Ok(ReadFile::Motion {
                loaded: Box::new(m),
                amc: false,
                summary,
            })
        }
        FileKind::Asf => {
            let read = mocap_formats::asf::read_asf_path(path).map_err(err)?;
            *asf = Some(path.to_path_buf());
            let summary = format!(
                "{} bones; open the matching .amc for its motion",
                read.bones.len()
            );
            Ok(ReadFile::Asf {
                asf: Box::new(read),
                summary,
            })
        }
        FileKind::Amc => {
            let asf_path = match asf.take() {
                Some(p) => p,
                None => {
                    let sibling = path.with_extension("asf");
                    let found = if sibling.exists() {
                        Some(sibling)
                    } else {
                        super::single_asf_in(path.parent().unwrap_or(Path::new(".")))
                    };
                    found.ok_or("open its .asf skeleton first (none found beside it)")?
                }
            };
            // One loader with `mocap convert --like`: Vicon's ASF axes and units, so the joints
            // land on the take's markers (CMU: on Vicon's own joint-centre points).
            let m = mocap_formats::world::load_motion(path, Some(&asf_path)).map_err(err)?;
            let summary = format!(
                "{} joints, {} frames at {} Hz (Acclaim files state no rate: assumed)",
                m.skeleton.joints.len(),
                m.motion.frame_count(),
                m.motion.rate
            );
            Ok(ReadFile::Motion {
                loaded: Box::new(m),
                amc: true,
                summary,
            })
        }
        FileKind::Fbx | FileKind::Audio | FileKind::Video | FileKind::Subtitle => Err(format!(
            "{kind:?} files are not opened as a take (subtitles and audio: File → Open subtitles…, \
             or drop them on the window)"
        )),
    }
}

/// Puts one read file into the session (main thread). Marker files fill the take's markers and
/// skeleton motions its character; a file whose part the current take already has starts a new
/// take. Returns the log's one-line summary.
pub(crate) fn install(
    session: &mut Session,
    path: &Path,
    read: ReadFile,
    motion_opened: &mut bool,
) -> String {
    match read {
        ReadFile::Character => {
            session.characters.push(path.to_path_buf());
            session.generation += 1;
            "glTF character (Bevy's glTF loader; see the log if it fails)".into()
        }
        ReadFile::Markers {
            markers,
            events,
            summary,
        } => {
            super::set_markers(session, path, markers, events);
            summary
        }
        ReadFile::Motion {
            loaded,
            amc,
            summary,
        } => {
            if amc {
                session.pending_asf = None;
            }
            super::set_or_add_character(session, path, *loaded, motion_opened, summary)
        }
        ReadFile::Asf { asf, summary } => {
            session.pending_asf = Some((path.to_path_buf(), *asf));
            summary
        }
        ReadFile::Face { read } => super::face::install_face(session, path, *read),
    }
}

/// Pumps `app.update()` until no file is being opened, at most `max_frames` times (a short
/// sleep between frames lets the reading thread run); `true` when the opens finished. For tests
/// and scripted runs that need the take before going on.
pub fn wait_until_opened(app: &mut App, max_frames: usize) -> bool {
    for _ in 0..max_frames {
        app.update();
        if !app
            .world()
            .get_resource::<Opening>()
            .is_some_and(Opening::busy)
        {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}
