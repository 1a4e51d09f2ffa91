//! `mocap live record --vmc-in PORT|ADDR:PORT`: records a VMC skeleton stream (an inertial suit,
//! VSeeFace, any VMC performer) to BVH without the marker solve, blendshapes beside it as
//! `<stem>.face.csv`, with a JSON report. The logic is `mocap-live`'s `vmc_in` and `vmc_take`.

use anyhow::{Context, Result, bail};
use mocap_data::LengthUnit;
use mocap_formats::{bvh, face};
use mocap_live::vmc_in::{VmcInConfig, VmcReceiver};
use mocap_live::vmc_take;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// What `record_vmc` needs from `mocap live record`'s flags.
#[derive(Debug)]
pub struct VmcRecord {
    /// `--vmc-in`: PORT (on 127.0.0.1) or ADDR:PORT.
    pub listen: String,
    /// `--duration`, seconds from the first frame.
    pub duration: Option<f64>,
    /// `--idle-timeout`, seconds without a frame after the first.
    pub idle_timeout: f64,
    /// `--connect-timeout`, seconds to wait for the first frame.
    pub connect_timeout: f64,
    /// `-o`: the BVH.
    pub output: PathBuf,
    /// `--report`: the JSON report.
    pub report: Option<PathBuf>,
}

/// The JSON report of a VMC recording.
#[derive(Debug, serde::Serialize)]
struct VmcReport {
    /// Address listened on.
    listen: String,
    /// Datagrams read.
    packets_received: u64,
    /// Datagrams that did not decode or held malformed VMC messages.
    packets_malformed: u64,
    /// Frames decoded.
    frames_received: u64,
    /// Frames lost because the queue was full.
    frames_dropped: u64,
    /// Frames written to the BVH.
    frames_recorded: usize,
    /// Bone messages naming no Unity humanoid bone (ignored).
    bones_unknown: u64,
    /// Frame rate of the BVH, Hz (estimated from the sender's clock).
    rate_hz: f64,
    /// Length of the recording, seconds.
    duration_s: f64,
    /// Joints of the skeleton (Unity humanoid names).
    bones: Vec<String>,
    /// Blendshape curves written to the face CSV.
    blendshapes: Vec<String>,
    /// The BVH written (lengths in centimetres).
    bvh: String,
    /// The face CSV written, if any.
    face_csv: Option<String>,
}

/// `PORT` (loopback) or `ADDR:PORT`.
pub fn parse_listen(s: &str) -> Result<SocketAddr> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    s.parse::<SocketAddr>().with_context(|| {
        format!("--vmc-in {s:?}: give PORT (listens on 127.0.0.1) or ADDR:PORT (0.0.0.0:39539 hears other hosts)")
    })
}

/// Records the stream until `--duration` seconds from the first frame or `--idle-timeout`
/// seconds of silence, then writes the BVH, the face CSV and the report. Frames are held in
/// memory until then (about 4 KB per frame of 55 bones: 15 minutes at 60 Hz ≈ 200 MB).
pub fn record_vmc(a: VmcRecord) -> Result<()> {
    let bind = parse_listen(&a.listen)?;
    let receiver = VmcReceiver::start(VmcInConfig {
        bind,
        ..VmcInConfig::default()
    })?;
    eprintln!(
        "listening for VMC on {} (performers send to this port)",
        receiver.local_addr()
    );
    let started = Instant::now();
    let idle = Duration::from_secs_f64(a.idle_timeout.max(0.1));
    let mut frames = Vec::new();
    let mut first: Option<Instant> = None;
    let mut last = Instant::now();
    loop {
        if let Some(f) = receiver.frames.pop_timeout(Duration::from_millis(20)) {
            last = Instant::now();
            first.get_or_insert(last);
            frames.push(f);
        }
        match first {
            None if started.elapsed().as_secs_f64() > a.connect_timeout => bail!(
                "no VMC frame on {bind} within {} s: is the performer (VSeeFace, the suit's VMC output, `mocap live send-vmc`) sending to this address?",
                a.connect_timeout
            ),
            Some(f) if a.duration.is_some_and(|d| f.elapsed().as_secs_f64() >= d) => break,
            Some(_) if last.elapsed() >= idle && receiver.frames.is_empty() => break,
            _ => {}
        }
    }
    let stats = receiver.stats.clone();
    let dropped = receiver.frames.dropped();
    receiver.stop();
    let rate = vmc_take::estimate_rate(&frames);
    let take = vmc_take::take_from_frames(&frames, rate)?;
    // Centimetres, the usual BVH unit and every command's default `--bvh-unit`.
    let file = bvh::BvhFile {
        skeleton: take.skeleton.clone(),
        motion: take.motion.clone(),
    }
    .to_unit(LengthUnit::Centimetre);
    bvh::write_path(&file.skeleton, &file.motion, &a.output)?;
    let face_csv = match &take.face {
        Some(curves) => {
            let stem = a
                .output
                .file_stem()
                .map_or("take".into(), |s| s.to_string_lossy().into_owned());
            let path = a.output.with_file_name(format!("{stem}.face.csv"));
            face::write_csv_path(curves, &path)?;
            Some(path)
        }
        None => None,
    };
    let n = take.motion.frame_count();
    let report = VmcReport {
        listen: bind.to_string(),
        packets_received: stats.packets_received.load(Ordering::Relaxed),
        packets_malformed: stats.packets_malformed.load(Ordering::Relaxed),
        frames_received: stats.frames.load(Ordering::Relaxed),
        frames_dropped: dropped,
        frames_recorded: n,
        bones_unknown: stats.bones_unknown.load(Ordering::Relaxed),
        rate_hz: rate.hz(),
        duration_s: n as f64 / rate.hz(),
        bones: take
            .skeleton
            .joints
            .iter()
            .map(|j| j.name.clone())
            .collect(),
        blendshapes: take
            .face
            .as_ref()
            .map(|f| f.blendshapes.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
        bvh: a.output.display().to_string(),
        face_csv: face_csv.as_ref().map(|p| p.display().to_string()),
    };
    if let Some(r) = &a.report {
        std::fs::write(r, serde_json::to_string_pretty(&report)? + "\n")
            .with_context(|| format!("writing {}", r.display()))?;
    }
    println!(
        "recorded {n} frames at {} Hz ({} bones, {} blendshapes; {} received, {} dropped, {} malformed packets, {} unknown bones) to {}",
        rate.hz(),
        report.bones.len(),
        report.blendshapes.len(),
        report.frames_received,
        report.frames_dropped,
        report.packets_malformed,
        report.bones_unknown,
        a.output.display()
    );
    Ok(())
}
