//! `mocap bench c3d`: C3D read throughput and peak memory on a generated take, vs ezc3d.

use super::median;
use anyhow::{Context, bail};
use mocap_data::{FrameRate, LengthUnit, MarkerTrajectories, UpAxis};
use mocap_formats::c3d;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `mocap bench c3d`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Frames of the generated take (default: 1 hour at 120 Hz).
    #[arg(long, default_value_t = 432_000)]
    frames: usize,
    /// Markers of the generated take.
    #[arg(long, default_value_t = 60)]
    markers: usize,
    /// Directory for the generated files (default: /dev/shm if present, else the temp dir);
    /// they are deleted afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Timed reads (the median is reported); at least 3.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Internal: read FILE once and print the peak resident memory (VmHWM, KiB).
    #[arg(long, value_name = "FILE", hide = true)]
    read_only: Option<PathBuf>,
}

/// Generates a take: markers on slow circles, 1 % gaps, float storage.
fn generate(markers: usize, frames: usize) -> anyhow::Result<c3d::C3dFile> {
    let labels = (0..markers).map(|m| format!("M{m:03}")).collect();
    let mut t = MarkerTrajectories::new(
        labels,
        frames,
        FrameRate::FPS_120,
        LengthUnit::Millimetre,
        UpAxis::Z,
    )?;
    let n = markers.max(1);
    for (i, p) in t.positions_mut().iter_mut().enumerate() {
        let (f, m) = ((i / n) as f32, (i % n) as f32);
        let a = f * 0.01 + m;
        *p = [1000.0 * a.cos(), 1000.0 * a.sin(), 10.0 * m + 0.1 * f.sin()];
    }
    for (i, v) in t.valid_mut().iter_mut().enumerate() {
        *v = i % 100 != 7;
    }
    for (i, r) in t.residuals_mut().iter_mut().enumerate() {
        *r = (i % 20) as f32 * 0.1;
    }
    for (i, c) in t.camera_masks_mut().iter_mut().enumerate() {
        *c = (i % 128) as u8;
    }
    Ok(c3d::C3dFile::from_trajectories(t))
}

/// Peak resident set of this process (VmHWM), in KiB.
fn vm_hwm_kib() -> anyhow::Result<u64> {
    let s = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM line in /proc/self/status")
}

fn time_reads(path: &Path, runs: usize) -> anyhow::Result<(Vec<f64>, usize)> {
    let mut secs = Vec::new();
    let mut frames = 0;
    for _ in 0..runs {
        let t0 = Instant::now();
        let f = c3d::read_path(path)?;
        secs.push(t0.elapsed().as_secs_f64());
        frames = f.points.frame_count();
        drop(f);
    }
    Ok((secs, frames))
}

/// Times ezc3d reading `path` (`runs` times, median seconds), or `None` if it does not import.
fn time_ezc3d(path: &Path, runs: usize) -> Option<(f64, usize)> {
    let script = format!(
        "import time, ezc3d, statistics\n\
         ts=[]\n\
         for _ in range({runs}):\n\
         \x20   t=time.perf_counter(); c=ezc3d.c3d({p:?}); ts.append(time.perf_counter()-t)\n\
         print(statistics.median(ts), c['data']['points'].shape[2])\n",
        p = path.to_string_lossy()
    );
    let out = std::process::Command::new(super::python())
        .arg("-c")
        .arg(script)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout);
    let mut it = s.split_whitespace();
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

/// Runs `mocap bench c3d`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(file) = args.read_only {
        let f = c3d::read_path(&file)?;
        std::hint::black_box(&f);
        println!("{} {}", vm_hwm_kib()?, f.points.frame_count());
        return Ok(());
    }
    if args.frames == 0 || args.markers == 0 {
        bail!("--frames and --markers must be at least 1");
    }
    if args.runs < 3 {
        bail!("--runs must be at least 3 (the median of 3 or more reads is reported)");
    }
    let dir = args.dir.clone().unwrap_or_else(|| {
        let shm = PathBuf::from("/dev/shm");
        if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        }
    });
    let path = dir.join(format!("mocap-bench-c3d-{}.c3d", std::process::id()));
    let short = dir.join(format!("mocap-bench-c3d-{}-short.c3d", std::process::id()));
    let result = bench(&args, &path, &short);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&short);
    result
}

fn bench(args: &Args, path: &Path, short: &Path) -> anyhow::Result<()> {
    let t0 = Instant::now();
    let file = generate(args.markers, args.frames)?;
    c3d::write_path(&file, path)?;
    let write_s = t0.elapsed().as_secs_f64();
    drop(file);
    let bytes = std::fs::metadata(path)?.len();
    let point_bytes = (args.frames * args.markers * 16) as f64;

    let (secs, frames) = time_reads(path, args.runs)?;
    if frames != args.frames {
        bail!("read {frames} frames, wrote {}", args.frames);
    }
    let read_s = median(secs);
    let mbps = bytes as f64 / read_s / 1e6;

    // Peak memory of one read, in a fresh process.
    let exe = std::env::current_exe()?;
    let out = std::process::Command::new(exe)
        .args(["bench", "c3d", "--read-only"])
        .arg(path)
        .output()
        .context("re-running mocap for the memory measurement")?;
    if !out.status.success() {
        bail!(
            "memory child failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let hwm_kib: f64 = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .context("memory child printed no VmHWM")?;
    let peak_bytes = hwm_kib * 1024.0;

    // ezc3d comparison on a file it can read (≤ 65 535 frames).
    let short_frames = args.frames.min(65_535);
    let file = generate(args.markers, short_frames)?;
    c3d::write_path(&file, short)?;
    drop(file);
    let short_bytes = std::fs::metadata(short)?.len() as f64;
    let (s_secs, _) = time_reads(short, args.runs)?;
    let ours_short = short_bytes / median(s_secs) / 1e6;
    let ezc3d = time_ezc3d(short, args.runs).map(|(s, n)| (short_bytes / s / 1e6, n));

    if args.json {
        let v = serde_json::json!({
            "frames": args.frames,
            "markers": args.markers,
            "file_bytes": bytes,
            "write_s": write_s,
            "read_median_s": read_s,
            "read_mb_per_s": mbps,
            "peak_rss_bytes": peak_bytes,
            "peak_rss_over_point_data": peak_bytes / point_bytes,
            "short_frames": short_frames,
            "ours_short_mb_per_s": ours_short,
            "ezc3d_short_mb_per_s": ezc3d.map(|e| e.0),
            "ezc3d_short_frames_read": ezc3d.map(|e| e.1),
        });
        println!("{v}");
    } else {
        println!(
            "generated {} markers × {} frames: {:.1} MB in {:.2} s (generate + write)",
            args.markers,
            args.frames,
            bytes as f64 / 1e6,
            write_s
        );
        println!(
            "read (median of {}): {:.3} s = {:.0} MB/s",
            args.runs, read_s, mbps
        );
        println!(
            "peak RSS of one read (child process): {:.1} MB = {:.2} × point data ({:.1} MB)",
            peak_bytes / 1e6,
            peak_bytes / point_bytes,
            point_bytes / 1e6
        );
        println!(
            "{short_frames}-frame file ({:.1} MB): ours {ours_short:.0} MB/s",
            short_bytes / 1e6
        );
        match ezc3d {
            Some((e, n)) => println!("{short_frames}-frame file: ezc3d {e:.0} MB/s ({n} frames)"),
            None => println!("ezc3d not importable by MOCAP_PYTHON or python3: comparison skipped"),
        }
    }
    Ok(())
}
