//! Saving a recording, on its own thread: the worker's frames as C3D (the writer and start
//! timecode `mocap live record` uses), then into the open take library.

use std::path::{Path, PathBuf};

use mocap_formats::c3d;
use mocap_live::{LiveReport, LiveWorker};

use crate::model::log::LogLevel;

/// A recording written to disk.
#[derive(Debug)]
pub(super) struct Saved {
    /// The C3D file.
    pub path: PathBuf,
    /// Frames in the file (gaps included).
    pub frames: usize,
    /// Markers per frame.
    pub markers: usize,
    /// The stream's rate.
    pub rate: mocap_data::FrameRate,
    /// Counters and latency of the recording.
    pub report: LiveReport,
    /// The take's id in the library, or why it did not join (`None`: no library open).
    pub library: Option<Result<i64, String>>,
}

impl Saved {
    /// What the log says about it.
    pub fn log_lines(&self) -> Vec<(LogLevel, String)> {
        let r = &self.report;
        let mut lines = vec![(
            LogLevel::Info,
            format!(
                "Live: recorded {} frames × {} markers at {} Hz to {} ({} received, {} dropped, {} out of order)",
                self.frames,
                self.markers,
                self.rate,
                self.path.display(),
                r.frames_received,
                r.frames_dropped,
                r.frames_out_of_order
            ),
        )];
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

/// The first `live_NNN.c3d` not in `folder` (a name the take library's default pattern files
/// as scene "live", take NNN).
fn next_free(folder: &Path) -> PathBuf {
    (1..10_000)
        .map(|n| folder.join(format!("live_{n:03}.c3d")))
        .find(|p| !p.exists())
        .unwrap_or_else(|| folder.join("live_9999.c3d"))
}

/// Stops `worker`, writes its recording into `folder` and adds it to the library at `library`.
pub(super) fn save_recording(
    worker: LiveWorker,
    folder: &Path,
    library: Option<&Path>,
) -> Result<Saved, String> {
    let (rec, session) = worker.finish_recording().ok_or(
        "no frame arrived while recording: check that the server streams (the Live panel's counters)",
    )?;
    std::fs::create_dir_all(folder).map_err(|e| {
        format!(
            "cannot create {}: {e} (choose another folder)",
            folder.display()
        )
    })?;
    let path = next_free(folder);
    let mut file = c3d::C3dFile::from_trajectories(rec.markers.clone());
    if let Some(tc) = &rec.start_timecode {
        mocap_live::take::set_c3d_start_timecode(&mut file, tc);
    }
    c3d::write_path(&file, &path).map_err(|e| e.to_string())?;
    let library = library.map(|db| {
        mocap_live::library::add_recording(
            db,
            &path,
            rec.start_timecode.as_ref(),
            &crate::model::library::default_author(),
        )
        .map_err(|e| e.to_string())
    });
    Ok(Saved {
        path,
        frames: rec.markers.frame_count(),
        markers: rec.markers.marker_count(),
        rate: rec.markers.rate,
        report: session.report(0),
        library,
    })
}
