//! `mocap bench face`: reading a generated 1-hour 60 Hz Live Link Face CSV take (52 blendshapes +
//! 9 rotations, the demo face generator's curves repeated over the hour), median of `--runs`
//! timed reads from the file (I/O included, page cache warm), against a target.

use anyhow::{Context, Result};
use mocap_data::FrameRate;
use mocap_formats::face::{FaceReadOptions, read_path, write_csv_path};
use mocap_solver::face_demo::{DialogueLine, demo_face};
use std::time::Instant;

/// Arguments of `mocap bench face`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Take length, minutes (at 60 Hz).
    #[arg(long, default_value_t = 60.0)]
    minutes: f64,
    /// Timed reads (the median is reported; at least 3).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Target: median read at most this many seconds.
    #[arg(long, default_value_t = 0.2)]
    target_s: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `mocap bench face`.
pub fn run(a: Args) -> Result<()> {
    let duration = a.minutes * 60.0;
    let script = [
        (0.6, 2.4, "Okay, whenever you're ready."),
        (3.0, 6.2, "Start walking towards the camera, nice and slow."),
        (6.8, 7.8, "Now wave!"),
        (8.4, 9.4, "And cut!"),
    ];
    let lines: Vec<DialogueLine<'_>> = (0..(duration / 10.0).ceil() as usize)
        .flat_map(|k| {
            script.iter().map(move |&(s, e, text)| DialogueLine {
                start_s: s + 10.0 * k as f64,
                end_s: e + 10.0 * k as f64,
                text,
            })
        })
        .collect();
    let mut face = demo_face(duration, FrameRate::FPS_60, &lines, (7.4, 9.0));
    face.start_timecode = mocap_data::Timecode::parse("10:00:00:00", 60).ok();
    let dir = std::env::temp_dir().join(format!("mocap-bench-face-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("{}", dir.display()))?;
    let path = dir.join("face_1h.csv");
    write_csv_path(&face, &path)?;
    let bytes = std::fs::metadata(&path)?.len();
    let opts = FaceReadOptions {
        rate: Some(FrameRate::FPS_60),
    };
    let _warm = read_path(&path, opts)?;
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut frames = 0;
    for _ in 0..a.runs.max(3) {
        let c0 = process_cpu_s();
        let t = Instant::now();
        let take = read_path(&path, opts)?;
        times.push(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, process_cpu_s()) {
            cpu.push(b - a);
        }
        frames = take.curves.frame_count();
        anyhow::ensure!(
            take.curves.blendshapes.len() == 52 && take.curves.rotations.len() == 9,
            "read back {} + {} channels",
            take.curves.blendshapes.len(),
            take.curves.rotations.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Driving 10 faces: per frame, sample the 52 ARKit weights of each take at the playhead and
    // map them onto a character's morph targets (the headless part of the studio's per-frame work).
    let names_pascal: Vec<String> = mocap_data::face::ARKIT_BLENDSHAPES
        .iter()
        .map(|n| mocap_data::face::pascal_case(n))
        .collect();
    let map = mocap_data::face_map::map_morph_targets(&names_pascal, mocap_data::MorphPreset::Auto);
    let lookup = face.arkit_lookup();
    let mut morph = vec![0.0f32; names_pascal.len()];
    let steps = 6000usize;
    let mut per_frame = Vec::with_capacity(steps);
    let mut sink = 0.0f32;
    for k in 0..steps {
        let t0 = Instant::now();
        for c in 0..10 {
            let t = (k as f64 * 0.37 + c as f64 * 61.0) % duration.max(1.0);
            let w = face.arkit_at(&lookup, t);
            map.weights(&w, &mut morph);
            sink += morph[17];
        }
        per_frame.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    per_frame.sort_by(f64::total_cmp);
    let drive_median_ms = per_frame[steps / 2];
    let drive_p99_ms = per_frame[steps * 99 / 100];
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let cpu_median = cpu.get(cpu.len() / 2).copied();
    let mb_s = bytes as f64 / 1e6 / median;
    let ok = median <= a.target_s;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "frames": frames, "channels": 61, "file_bytes": bytes,
                "read_median_s": median, "read_min_s": times[0], "mb_per_s": mb_s,
                "cpu_median_s": cpu_median,
                "drive_10_faces_median_ms": drive_median_ms, "drive_10_faces_p99_ms": drive_p99_ms,
                "target_s": a.target_s, "met": ok,
            })
        );
    } else {
        println!(
            "face CSV read, {frames} frames × 61 channels ({:.1} MB): median {median:.3} s \
             (min {:.3} s), {mb_s:.0} MB/s, CPU time {} s (all threads); target ≤ {} s: {}",
            bytes as f64 / 1e6,
            times[0],
            cpu_median.map_or("?".into(), |c| format!("{c:.3}")),
            a.target_s,
            if ok { "met" } else { "MISSED" }
        );
        println!(
            "driving 10 faces (sample 52 weights + map to 52 morph targets, per frame): median \
             {drive_median_ms:.4} ms, p99 {drive_p99_ms:.4} ms; target ≤ 0.5 ms"
        );
    }
    Ok(())
}

/// User + system CPU time of this process so far, seconds (Linux `/proc/self/stat`, 100 ticks/s).
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
