//! `mocap live record --livelink-face`: Live Link Face (iPhone ARKit face) recorded alone into a
//! face CSV, or beside a NatNet body stream as `<stem>.face.csv` next to the C3D. The receiving
//! and recording are `mocap-live`'s ([`LiveLinkReceiver`], [`FaceRecorder`]).

use anyhow::{Context, Result, bail};
use mocap_formats::face::write_csv_path;
use mocap_live::{FaceRecordConfig, FaceRecorder, FaceReport, LiveLinkConfig, LiveLinkReceiver};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `--livelink-face PORT` (bound on `local`) or `ADDR:PORT`.
pub fn parse_addr(s: &str, local: IpAddr) -> Result<SocketAddr> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(local, port));
    }
    s.parse::<SocketAddr>().with_context(|| {
        format!(
            "--livelink-face {s:?}: give a port (11111, bound on --local) or ADDR:PORT \
             (0.0.0.0:11111 to hear a phone on the network)"
        )
    })
}

/// Where the face of a take goes: `-o` itself when recording the face alone (a CSV), else
/// `<stem>.face.csv` beside the body take.
pub fn output_path(output: &Path, with_body: bool) -> Result<PathBuf> {
    let is_c3d = output
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("c3d"));
    if !with_body {
        if is_c3d {
            bail!(
                "-o {}: a face recorded alone is written as Live Link Face CSV: give -o FACE.csv, \
                 or add --natnet HOST:PORT to record a body take beside it",
                output.display()
            );
        }
        return Ok(output.to_path_buf());
    }
    let stem = output
        .file_stem()
        .map_or("take".into(), |s| s.to_string_lossy().into_owned());
    Ok(output.with_file_name(format!("{stem}.face.csv")))
}

/// A running face capture: the receiver and the recorder of one subject.
pub struct FaceCapture {
    rx: LiveLinkReceiver,
    recorder: FaceRecorder,
    /// When the subject's first frame arrived.
    pub first_frame: Option<Instant>,
    /// When the subject's latest frame arrived.
    pub last_frame: Instant,
}

impl FaceCapture {
    /// Binds `addr` and records `subject` (the first one heard when `None`), at most
    /// `max_seconds` of stream.
    pub fn start(addr: SocketAddr, subject: Option<String>, max_seconds: f64) -> Result<Self> {
        let rx = LiveLinkReceiver::start(LiveLinkConfig {
            bind: addr,
            ..LiveLinkConfig::default()
        })?;
        eprintln!(
            "listening for Live Link Face on {} (set it as the phone's Live Link target)",
            rx.local_addr()
        );
        Ok(Self {
            rx,
            recorder: FaceRecorder::new(FaceRecordConfig {
                max_seconds,
                subject,
                ..FaceRecordConfig::default()
            }),
            first_frame: None,
            last_frame: Instant::now(),
        })
    }

    fn take(&mut self, f: &mocap_live::ReceivedFace) {
        let before = self.recorder.counters.frames_received;
        self.recorder.frame(f);
        // Any frame of the subject (a duplicate too) shows the phone is still sending.
        if self.recorder.counters.frames_received > before {
            self.last_frame = Instant::now();
            self.first_frame.get_or_insert(self.last_frame);
        }
    }

    /// Records every frame waiting, without blocking.
    pub fn pump(&mut self) {
        for f in self.rx.frames.drain() {
            self.take(&f);
        }
    }

    /// Records the next frame, waiting at most `timeout` for one.
    pub fn pump_wait(&mut self, timeout: Duration) {
        if let Some(f) = self.rx.frames.pop_timeout(timeout) {
            self.take(&f);
        }
    }

    /// Whether frames wait in the queue.
    pub fn pending(&self) -> bool {
        !self.rx.frames.is_empty()
    }

    /// The receiver's address.
    pub fn addr(&self) -> SocketAddr {
        self.rx.local_addr()
    }

    /// Stops receiving, writes the face CSV to `path` when the subject was heard (otherwise
    /// warns, or fails when `required`) and returns the report.
    pub fn finish(mut self, path: &Path, required: bool) -> Result<FaceReport> {
        self.pump();
        let malformed = LiveLinkReceiver::count(&self.rx.stats.packets_malformed);
        let heard = self.rx.subjects();
        let addr = self.rx.local_addr();
        self.rx.stop();
        let report = FaceReport::new(&self.recorder, malformed);
        match self.recorder.finish() {
            Ok(rec) => {
                write_csv_path(&rec.curves, path)?;
                println!(
                    "recorded {} face frames of {} at {} fps ({} received, {} dropped, {} out of order, {} malformed packets) to {}",
                    rec.curves.frame_count(),
                    rec.subject,
                    rec.curves.rate.hz(),
                    report.frames_received,
                    report.frames_dropped,
                    report.frames_out_of_order,
                    report.packets_malformed,
                    path.display()
                );
            }
            Err(e) => {
                let names: Vec<String> = heard.iter().map(|s| format!("{:?}", s.subject)).collect();
                let hint = if names.is_empty() {
                    String::new()
                } else {
                    format!(" (subjects heard on {addr}: {})", names.join(", "))
                };
                if required {
                    bail!("{e}{hint}");
                }
                eprintln!("warning: no face take written: {e}{hint}");
            }
        }
        Ok(report)
    }
}

/// `mocap live record --livelink-face` without `--natnet`: the face alone.
pub fn record_alone(
    addr: SocketAddr,
    subject: Option<String>,
    output: &Path,
    report_path: Option<&Path>,
    duration: Option<f64>,
    idle_timeout: f64,
    connect_timeout: f64,
) -> Result<()> {
    let path = output_path(output, false)?;
    let max_seconds = duration.map_or(3600.0, |d| d + 1.0);
    let mut face = FaceCapture::start(addr, subject, max_seconds)?;
    let started = Instant::now();
    let idle = Duration::from_secs_f64(idle_timeout.max(0.1));
    loop {
        face.pump_wait(Duration::from_millis(20));
        match face.first_frame {
            None if started.elapsed().as_secs_f64() > connect_timeout => bail!(
                "no Live Link Face frame on {} within {connect_timeout} s: is the phone's Live Link \
                 target this host's address and port (bind 0.0.0.0 to hear the network)?",
                face.addr()
            ),
            Some(f) if duration.is_some_and(|d| f.elapsed().as_secs_f64() >= d) => break,
            Some(_) if face.last_frame.elapsed() >= idle && !face.pending() => break,
            _ => {}
        }
    }
    let report = face.finish(&path, true)?;
    if let Some(r) = report_path {
        let json = serde_json::json!({ "face": report });
        std::fs::write(r, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("writing {}", r.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_paths() {
        let lo: IpAddr = "127.0.0.1".parse().expect("ip");
        assert_eq!(
            parse_addr("11111", lo).expect("port").to_string(),
            "127.0.0.1:11111"
        );
        assert_eq!(
            parse_addr("0.0.0.0:9000", lo).expect("addr").to_string(),
            "0.0.0.0:9000"
        );
        assert!(parse_addr("phone", lo).is_err());
        assert_eq!(
            output_path(Path::new("out/take_01.c3d"), true).expect("beside"),
            Path::new("out/take_01.face.csv")
        );
        assert_eq!(
            output_path(Path::new("f.csv"), false).expect("alone"),
            Path::new("f.csv")
        );
        assert!(output_path(Path::new("f.c3d"), false).is_err());
    }
}
