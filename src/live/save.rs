//! Saving a recording, on its own thread: the NatNet recording session's markers as C3D (the
//! writer and start timecode `mocap live record` uses) and its live solve as BVH (one per actor,
//! as `--bvh` writes them), a VMC recording as BVH (`mocap_live::vmc_take`), the face as Live
//! Link Face CSV, then the take into the open take library.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mocap_data::FrameRate;
use mocap_formats::{bvh, c3d};
use mocap_live::vmc_in::VmcFrame;
use mocap_live::{FaceRecorder, LiveReport};

use crate::model::log::LogLevel;

/// What a stopped recording hands to the saving thread.
pub(super) struct Job {
    /// The NatNet worker's recording session, arriving on this channel.
    pub natnet: Option<mpsc::Receiver<mocap_live::Session>>,
    /// VMC frames recorded and the stream's rate.
    pub vmc: Option<(Vec<VmcFrame>, FrameRate)>,
    /// The face recording and the receiver's malformed-datagram count.
    pub face: Option<(FaceRecorder, u64)>,
    /// Folder to write into.
    pub folder: PathBuf,
    /// The open take library, if any.
    pub library: Option<PathBuf>,
}

/// A recording written to disk.
#[derive(Debug)]
pub(super) struct Saved {
    /// The take's main file (the C3D; the BVH of a skeleton stream; the face CSV alone).
    pub path: PathBuf,
    /// Every file written, the main one first (they open together for review).
    pub files: Vec<PathBuf>,
    /// What was written, for the log.
    pub lines: Vec<String>,
    /// Counters and latency of the NatNet recording.
    pub report: Option<LiveReport>,
    /// The take's id in the library, or why it did not join (`None`: no library open).
    pub library: Option<Result<i64, String>>,
}

impl Saved {
    /// What the log says about it.
    pub fn log_lines(&self) -> Vec<(LogLevel, String)> {
        let mut lines: Vec<(LogLevel, String)> = self
            .lines
            .iter()
            .map(|l| (LogLevel::Info, format!("Live: {l}")))
            .collect();
        if let Some(r) = &self.report {
            lines.push((
                LogLevel::Info,
                format!(
                    "Live: {} received, {} dropped, {} out of order",
                    r.frames_received, r.frames_dropped, r.frames_out_of_order
                ),
            ));
        }
        match &self.library {
            Some(Ok(id)) => lines.push((
                LogLevel::Info,
                format!(
                    "Live: {} joined the take library (take {id})",
                    self.path.display()
                ),
            )),
            Some(Err(e)) => lines.push((
                LogLevel::Warning,
                format!("Live: the recording is saved but not in the library: {e}"),
            )),
            None => {}
        }
        lines
    }
}

/// The first `live_NNN` stem with no file of it in `folder` (a name the take library's default
/// pattern files as scene "live", take NNN).
fn next_free(folder: &Path) -> String {
    let taken = |stem: &str| {
        ["c3d", "bvh", "face.csv", "csv"]
            .iter()
            .any(|ext| folder.join(format!("{stem}.{ext}")).exists())
    };
    (1..10_000)
        .map(|n| format!("live_{n:03}"))
        .find(|s| !taken(s))
        .unwrap_or_else(|| "live_9999".into())
}

/// Writes what `job` recorded into its folder and adds the take to the library.
pub(super) fn save_recording(job: Job) -> Result<Saved, String> {
    std::fs::create_dir_all(&job.folder).map_err(|e| {
        format!(
            "cannot create {}: {e} (choose another folder)",
            job.folder.display()
        )
    })?;
    let stem = next_free(&job.folder);
    let at = |ext: &str| job.folder.join(format!("{stem}.{ext}"));
    let mut files = Vec::new();
    let mut lines = Vec::new();
    let mut report = None;
    let mut timecode = None;
    if let Some(rx) = job.natnet {
        // The worker answers within one of its 20 ms polls; a stopped worker closes the channel.
        let session = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "the live worker handed back no recording (was it disconnected?)")?;
        let (rec, session) = mocap_live::worker::finish_session(session).ok_or(
            "no frame arrived while recording: check that the server streams (the Live panel's counters)",
        )?;
        let path = at("c3d");
        let mut file = c3d::C3dFile::from_trajectories(rec.markers.clone());
        if let Some(tc) = &rec.start_timecode {
            mocap_live::take::set_c3d_start_timecode(&mut file, tc);
        }
        c3d::write_path(&file, &path).map_err(|e| e.to_string())?;
        lines.push(format!(
            "recorded {} frames × {} markers at {} Hz to {}",
            rec.markers.frame_count(),
            rec.markers.marker_count(),
            rec.markers.rate,
            path.display()
        ));
        files.push(path);
        timecode = rec.start_timecode;
        if let Some(solver) = &session.solver {
            let motions = solver.motions().map_err(|e| e.to_string())?;
            for (i, (actor, sk, motion)) in motions.iter().enumerate() {
                let p = if i == 0 {
                    at("bvh")
                } else {
                    job.folder.join(format!("{stem}_{actor}.bvh"))
                };
                bvh::write_path(sk, motion, &p).map_err(|e| e.to_string())?;
                lines.push(format!(
                    "live solve of {actor}: {} frames to {}",
                    motion.frame_count(),
                    p.display()
                ));
                files.push(p);
            }
        }
        report = Some(session.report(0));
    }
    if let Some((frames, rate)) = job.vmc {
        let take = mocap_live::vmc_take::take_from_frames(&frames, rate)
            .map_err(|e| format!("the VMC recording: {e}"))?;
        let path = at("bvh");
        bvh::write_path(&take.skeleton, &take.motion, &path).map_err(|e| e.to_string())?;
        lines.push(format!(
            "recorded {} VMC frames × {} bones at {rate} Hz to {}",
            take.motion.frame_count(),
            take.skeleton.joints.len(),
            path.display()
        ));
        files.push(path);
    }
    if let Some((recorder, malformed)) = job.face {
        match recorder.finish() {
            Ok(rec) => {
                let path = if files.is_empty() {
                    at("csv")
                } else {
                    at("face.csv")
                };
                mocap_formats::face::write_csv_path(&rec.curves, &path)
                    .map_err(|e| e.to_string())?;
                lines.push(format!(
                    "recorded {} face frames of {} ({} lost, {} malformed packets) to {}",
                    rec.curves.frame_count(),
                    rec.subject,
                    rec.frames_missing,
                    malformed,
                    path.display()
                ));
                files.push(path);
            }
            Err(e) if files.is_empty() => return Err(format!("the face recording: {e}")),
            Err(e) => lines.push(format!("no face recorded: {e}")),
        }
    }
    let Some(path) = files.first().cloned() else {
        return Err("nothing was recorded: connect a stream first".into());
    };
    let library = job.library.as_deref().map(|db| {
        mocap_live::library::add_recording(
            db,
            &path,
            timecode.as_ref(),
            &crate::model::library::default_author(),
        )
        .map_err(|e| e.to_string())
    });
    Ok(Saved {
        path,
        files,
        lines,
        report,
        library,
    })
}
