//! `mocap bench bvh`: BVH parse throughput and peak memory on a generated take, and forward
//! kinematics throughput on one core, compared with pybvh when it is installed.

use super::median;
use anyhow::{Context, bail};
use mocap_data::{
    Channel, DVec3, FrameRate, Joint, LengthUnit, Motion, RotationOrder, Skeleton, UpAxis, fk,
};
use mocap_formats::bvh;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Arguments of `mocap bench bvh`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Frames of the generated take, at 120 Hz (default: one hour = 432 000 frames).
    #[arg(long, default_value_t = 432_000)]
    frames: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Timed runs of each measurement; the median is reported (at least 3).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Directory for the generated files (default: /dev/shm when present, else the temp dir).
    /// The files are deleted afterwards.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Do not run pybvh even when it is installed.
    #[arg(long)]
    no_peer: bool,
    /// Internal: parse FILE once and print this process's peak memory as JSON (the benchmark runs
    /// itself this way to measure the parse alone).
    #[arg(long, hide = true, value_name = "FILE")]
    parse_only: Option<PathBuf>,
}

/// Joints of the CMU "cgspeed" BVH conversion (e.g. `131_03.bvh`): name, parent index, offset and
/// end site in centimetres (Y-up), taken from the CMU subject-39 ASF bone directions × lengths
/// (ASF units × 2.54/0.45 = cm).
const CGSPEED: [(&str, Option<usize>, [f64; 3], Option<[f64; 3]>); 31] = [
    ("Hips", None, [0.0, 0.0, 0.0], None),
    ("LHipJoint", Some(0), [0.0, 0.0, 0.0], None),
    ("LeftHip", Some(1), [7.9023, -9.7423, 4.7719], None),
    ("LeftKnee", Some(2), [13.2509, -36.4066, 0.0], None),
    ("LeftAnkle", Some(3), [14.1478, -38.8707, 0.0], None),
    (
        "LeftToe",
        Some(4),
        [0.7035, -1.9328, 11.0384],
        Some([0.0, 0.0, 5.6715]),
    ),
    ("RHipJoint", Some(0), [0.0, 0.0, 0.0], None),
    ("RightHip", Some(6), [-7.9563, -9.7423, 4.7719], None),
    ("RightKnee", Some(7), [-13.4284, -36.8944, 0.0], None),
    ("RightAnkle", Some(8), [-14.1377, -38.8430, 0.0], None),
    (
        "RightToe",
        Some(9),
        [-0.6907, -1.8976, 10.2607],
        Some([0.0, 0.0, 5.2914]),
    ),
    ("lowerback", Some(0), [0.0, 0.0, 0.0], None),
    ("Chest", Some(11), [-0.1211, 11.1147, 1.4915], None),
    ("Chest2", Some(12), [0.0859, 11.2598, 0.1178], None),
    ("lowerneck", Some(13), [0.1348, 11.4505, -0.5881], None),
    ("Neck", Some(14), [-0.1667, 9.6947, 0.1979], None),
    (
        "Head",
        Some(15),
        [0.2354, 9.3574, -0.6223],
        Some([0.0903, 10.2427, -0.2904]),
    ),
    ("LeftCollar", Some(13), [0.1348, 11.4505, -0.5881], None),
    ("LeftShoulder", Some(17), [15.6735, 9.0801, -4.4393], None),
    ("LeftElbow", Some(18), [26.1153, 0.0, 0.0], None),
    ("LeftWrist", Some(19), [17.5552, 0.0, 0.0], None),
    ("lhand", Some(20), [8.7776, 0.0, 0.0], None),
    (
        "LFingers",
        Some(21),
        [4.1985, 0.0, 0.0],
        Some([3.3850, 0.0, 0.0]),
    ),
    (
        "LThumb",
        Some(20),
        [8.7776, 0.0, 0.0],
        Some([3.4366, 0.0, 3.4366]),
    ),
    ("RightCollar", Some(13), [0.1348, 11.4505, -0.5881], None),
    ("RightShoulder", Some(24), [-15.4233, 9.2376, -4.2187], None),
    ("RightElbow", Some(25), [-25.7341, 0.0, 0.0], None),
    ("RightWrist", Some(26), [-18.2173, 0.0, 0.0], None),
    ("rhand", Some(27), [-9.1087, 0.0, 0.0], None),
    (
        "RFingers",
        Some(28),
        [-3.9561, 0.0, 0.0],
        Some([-3.1895, 0.0, 0.0]),
    ),
    (
        "RThumb",
        Some(27),
        [-9.1087, 0.0, 0.0],
        Some([-3.2382, 0.0, 3.2382]),
    ),
];

/// The 31-joint CMU cgspeed skeleton (96 channels): root `Xposition Yposition Zposition
/// Zrotation Yrotation Xrotation`, every other joint `Zrotation Xrotation Yrotation`; centimetres,
/// Y-up.
pub fn cgspeed_skeleton() -> Skeleton {
    let joints = CGSPEED
        .iter()
        .map(|&(name, parent, o, end)| {
            let mut j = Joint::new(name, parent, DVec3::from_array(o));
            j.end_site = end.map(DVec3::from_array);
            if parent.is_none() {
                j.channels = vec![
                    Channel::Xposition,
                    Channel::Yposition,
                    Channel::Zposition,
                    Channel::Zrotation,
                    Channel::Yrotation,
                    Channel::Xrotation,
                ];
                j.rotation_order = RotationOrder::Zyx;
            } else {
                j.channels = Channel::ROTATION_ZXY.to_vec();
                j.rotation_order = RotationOrder::Zxy;
            }
            j
        })
        .collect();
    Skeleton {
        joints,
        unit: LengthUnit::Centimetre,
        up_axis: UpAxis::Y,
    }
}

/// A walking-like motion for [`cgspeed_skeleton`] at 120 Hz: root wandering on a ~3 m circle at
/// hip height, every rotation a sum of two sinusoids (amplitudes 5–60°), values rounded to 1e-4
/// as exporters print them (about 7.7 bytes per value in text, like real files).
pub fn cgspeed_motion(skeleton: &Skeleton, frames: usize) -> anyhow::Result<Motion> {
    let mut m = Motion::zeros(skeleton, frames, FrameRate::FPS_120)?;
    let cpf = m.channels_per_frame;
    let q = |v: f64| ((v * 1e4).round() / 1e4) as f32;
    for (f, frame) in m.values.chunks_exact_mut(cpf).enumerate() {
        let t = f as f64 / 120.0;
        let w = std::f64::consts::TAU * 1.1 * t; // gait cycle ~1.1 Hz
        frame[0] = q(300.0 * (0.05 * t).sin());
        frame[1] = q(92.0 + 2.5 * (2.0 * w).sin());
        frame[2] = q(300.0 * (0.05 * t).cos());
        for (c, v) in frame.iter_mut().enumerate().skip(3) {
            let amp = 5.0 + (c * 37 % 56) as f64;
            let ph = c as f64 * 0.7;
            *v = q(amp * (w + ph).sin() + 0.2 * amp * (3.1 * w + 2.0 * ph).cos());
        }
    }
    Ok(m)
}

/// Peak resident memory of this process (VmHWM) in bytes, from /proc/self/status.
fn peak_rss_bytes() -> anyhow::Result<u64> {
    let s = std::fs::read_to_string("/proc/self/status").context("reading /proc/self/status")?;
    let line = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .context("no VmHWM in /proc/self/status")?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .context("malformed VmHWM line")?
        .parse()
        .context("malformed VmHWM value")?;
    Ok(kb * 1024)
}

/// CPU time (user + system) consumed so far by the calling thread, seconds, from
/// `/proc/thread-self/stat` (clock ticks of USER_HZ = 100 on Linux; 10 ms resolution). On a
/// machine shared with other work, wall time includes waiting for a core; CPU time does not.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state); utime and stime are fields 14 and 15.
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// The 1-minute load average, to flag measurements taken on a busy machine.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Deletes the file when dropped (also on error paths).
struct TempFile(PathBuf);
impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Wall and CPU seconds of one measured step.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall_s: f64,
    /// CPU time of this thread, when `/proc` tells it.
    cpu_s: Option<f64>,
}

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, Timing)> {
    let c0 = thread_cpu_s();
    let t = Instant::now();
    let v = f()?;
    let wall_s = t.elapsed().as_secs_f64();
    let cpu_s = c0.zip(thread_cpu_s()).map(|(a, b)| b - a);
    Ok((v, Timing { wall_s, cpu_s }))
}

/// Medians of wall and CPU seconds.
fn medians(t: &[Timing]) -> Timing {
    let cpu: Option<Vec<f64>> = t.iter().map(|x| x.cpu_s).collect();
    Timing {
        wall_s: median(t.iter().map(|x| x.wall_s).collect()),
        cpu_s: cpu.map(median),
    }
}

/// Median parse time over `runs` runs of `read_path`, checking the frame count.
fn time_parse(path: &Path, frames: usize, runs: usize) -> anyhow::Result<(Timing, bvh::BvhFile)> {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        drop(last.take());
        let (f, t) = timed(|| Ok(bvh::read_path(path)?))?;
        times.push(t);
        if f.motion.frame_count() != frames {
            bail!(
                "parsed {} frames, expected {frames}",
                f.motion.frame_count()
            );
        }
        last = Some(f);
    }
    Ok((medians(&times), last.context("no runs")?))
}

/// `x / seconds` for both timings (CPU figure `None` when unknown or too short to resolve).
fn rates(x: f64, t: Timing) -> (f64, Option<f64>) {
    (x / t.wall_s, t.cpu_s.filter(|c| *c >= 0.05).map(|c| x / c))
}

fn cpu_note(r: Option<f64>, what: &str) -> String {
    r.map_or_else(String::new, |v| format!(" ({v:.2} {what} per CPU second)"))
}

/// Runs `mocap bench bvh`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(file) = &args.parse_only {
        return parse_only(file);
    }
    if args.frames == 0 {
        bail!("--frames must be at least 1");
    }
    let runs = args.runs.max(3);
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None if Path::new("/dev/shm").is_dir() => PathBuf::from("/dev/shm"),
        None => std::env::temp_dir(),
    };
    let skeleton = cgspeed_skeleton();
    let say = |s: String| {
        if !args.json {
            eprintln!("{s}");
        }
    };

    // Generate.
    let t = Instant::now();
    let motion = cgspeed_motion(&skeleton, args.frames)?;
    let file = TempFile(dir.join(format!("mocap-bench-bvh-{}.bvh", std::process::id())));
    bvh::write_path(&skeleton, &motion, &file.0)?;
    let bytes = std::fs::metadata(&file.0)?.len();
    let write_s = t.elapsed().as_secs_f64();
    drop(motion);
    say(format!(
        "generated {} frames × 31 joints (96 channels) = {:.1} MB in {write_s:.1} s: {}",
        args.frames,
        bytes as f64 / 1e6,
        file.0.display()
    ));

    // Parse throughput.
    let load = load_average();
    let (parse_t, parsed) = time_parse(&file.0, args.frames, runs)?;
    let parse_s = parse_t.wall_s;
    let (parse_mb_s, parse_mb_cpu_s) = rates(bytes as f64 / 1e6, parse_t);
    say(format!(
        "parse: median {parse_s:.3} s of {runs} = {parse_mb_s:.0} MB/s{}",
        cpu_note(parse_mb_cpu_s.map(|v| v / 1e3), "GB")
    ));

    // Peak memory of a parse alone, in a child process.
    let (peak, baseline) = child_parse_rss(&file.0)?;
    let ratio = peak as f64 / bytes as f64;
    say(format!(
        "parse peak RSS (child process, VmHWM): {:.1} MB = {ratio:.2}× the file (process baseline {:.1} MB)",
        peak as f64 / 1e6,
        baseline as f64 / 1e6
    ));

    // Forward kinematics, one core.
    let mut positions = Vec::new();
    let mut fk_times = Vec::new();
    for _ in 0..runs {
        let ((), t) = timed(|| {
            Ok(fk::try_world_positions(
                &parsed.skeleton,
                &parsed.motion,
                &mut positions,
            )?)
        })?;
        fk_times.push(t);
    }
    let fk_t = medians(&fk_times);
    let fk_s = fk_t.wall_s;
    let (fk_fps, fk_fps_cpu) = rates(args.frames as f64, fk_t);
    // Sanity: agreement with the f64 reference on the first frames.
    let check = args.frames.min(2000);
    let max_err = fk_max_error(&parsed, &positions, check);
    say(format!(
        "forward kinematics (1 core, all 31 joints): median {fk_s:.3} s = {:.2} M frames/s{}; max |fast − f64 reference| over {check} frames = {max_err:.1e} cm",
        fk_fps / 1e6,
        cpu_note(fk_fps_cpu.map(|v| v / 1e6), "M frames")
    ));
    drop(positions);
    drop(parsed);

    // Peer: pybvh on a smaller file.
    let mut peer = serde_json::Value::Null;
    let have_pybvh = !args.no_peer
        && Command::new(super::python())
            .args(["-c", "import pybvh"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if have_pybvh {
        peer = pybvh_peer(&skeleton, &dir, args.frames, runs, &say)?;
    } else {
        say("pybvh: not importable by MOCAP_PYTHON or python3 (pinned in .ci/requirements-interop.txt) or --no-peer given".into());
    }

    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "frames": args.frames,
                "joints": 31,
                "channels": 96,
                "file_bytes": bytes,
                "parse_runs": runs,
                "parse_s_median": parse_s,
                "parse_mb_s": parse_mb_s,
                "parse_mb_per_cpu_s": parse_mb_cpu_s,
                "load_average_1min": load,
                "parse_peak_rss_bytes": peak,
                "parse_peak_rss_ratio": ratio,
                "process_baseline_rss_bytes": baseline,
                "fk_s_median": fk_s,
                "fk_frames_per_s": fk_fps,
                "fk_frames_per_cpu_s": fk_fps_cpu,
                "fk_max_abs_error_cm": max_err,
                "peer": peer,
            })
        );
    } else {
        println!(
            "bvh: {:.1} MB, parse {parse_mb_s:.0} MB/s, peak RSS {ratio:.2}× file, FK {:.2} M frames/s (1 core); 1-min load average {}",
            bytes as f64 / 1e6,
            fk_fps / 1e6,
            load.map_or("unknown".into(), |l| format!("{l:.2}"))
        );
    }
    Ok(())
}

/// `--parse-only FILE`: parses the file and prints the frame count and RSS as JSON (the child
/// process of the peak-memory measurement).
fn parse_only(file: &Path) -> anyhow::Result<()> {
    let before = peak_rss_bytes()?;
    let f = bvh::read_path(file)?;
    let peak = peak_rss_bytes()?;
    println!(
        "{}",
        serde_json::json!({
            "frames": f.motion.frame_count(),
            "baseline_rss_bytes": before,
            "peak_rss_bytes": peak,
        })
    );
    Ok(())
}

/// Peak and baseline RSS (bytes) of a parse of `file` alone, measured in a child process.
fn child_parse_rss(file: &Path) -> anyhow::Result<(u64, u64)> {
    let exe = std::env::current_exe().context("locating the mocap executable")?;
    let out = Command::new(&exe)
        .args(["bench", "bvh", "--parse-only"])
        .arg(file)
        .output()
        .with_context(|| format!("running {} bench bvh --parse-only", exe.display()))?;
    if !out.status.success() {
        bail!(
            "child parse failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let child: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("child printed no JSON")?;
    let peak = child["peak_rss_bytes"]
        .as_u64()
        .context("no peak_rss_bytes")?;
    let baseline = child["baseline_rss_bytes"].as_u64().unwrap_or(0);
    Ok((peak, baseline))
}

/// Largest coordinate difference (cm) between the fast FK `positions` and the f64 reference
/// over the first `check` frames.
fn fk_max_error(parsed: &bvh::BvhFile, positions: &[[f32; 3]], check: usize) -> f64 {
    let sub = Motion {
        values: parsed.motion.values[..check * parsed.motion.channels_per_frame].to_vec(),
        ..parsed.motion.clone()
    };
    let reference = fk::positions_reference(&parsed.skeleton, &sub);
    reference
        .iter()
        .zip(positions)
        .map(|(r, p)| {
            (r.x - p[0] as f64)
                .abs()
                .max((r.y - p[1] as f64).abs())
                .max((r.z - p[2] as f64).abs())
        })
        .fold(0.0, f64::max)
}

/// pybvh against our reader on a smaller file (at most 43 200 frames): the `peer` JSON.
fn pybvh_peer(
    skeleton: &Skeleton,
    dir: &Path,
    frames: usize,
    runs: usize,
    say: &dyn Fn(String),
) -> anyhow::Result<serde_json::Value> {
    let small_frames = frames.min(43_200);
    let small_motion = cgspeed_motion(skeleton, small_frames)?;
    let small = TempFile(dir.join(format!("mocap-bench-bvh-small-{}.bvh", std::process::id())));
    bvh::write_path(skeleton, &small_motion, &small.0)?;
    let small_bytes = std::fs::metadata(&small.0)?.len();
    let (ours_t, ours) = time_parse(&small.0, small_frames, runs)?;
    let ours_s = ours_t.wall_s;
    let mut ours_fk = Vec::new();
    let t = Instant::now();
    fk::try_world_positions(&ours.skeleton, &ours.motion, &mut ours_fk)?;
    let ours_fk_s = t.elapsed().as_secs_f64();
    let script = "import sys, time, json, resource, warnings\n\
warnings.simplefilter('ignore')\n\
import pybvh\n\
t0 = time.perf_counter(); b = pybvh.read_bvh_file(sys.argv[1], world_up='+y'); t1 = time.perf_counter()\n\
p = b.joint_positions(); t2 = time.perf_counter()\n\
print(json.dumps({'parse_s': t1 - t0, 'fk_s': t2 - t1, 'frames': int(len(b)), 'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n";
    let mut parse_times = Vec::new();
    let mut fk_times = Vec::new();
    let mut rss = 0u64;
    for _ in 0..runs {
        let o = Command::new(super::python())
            .args(["-c", script])
            .arg(&small.0)
            .output()
            .context("running Python (MOCAP_PYTHON or python3) for pybvh")?;
        if !o.status.success() {
            bail!(
                "pybvh failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        let v: serde_json::Value = serde_json::from_slice(&o.stdout)
            .with_context(|| format!("pybvh printed {:?}", String::from_utf8_lossy(&o.stdout)))?;
        if v["frames"].as_u64() != Some(small_frames as u64) {
            bail!("pybvh read {} frames, expected {small_frames}", v["frames"]);
        }
        parse_times.push(v["parse_s"].as_f64().unwrap_or(f64::NAN));
        fk_times.push(v["fk_s"].as_f64().unwrap_or(f64::NAN));
        rss = rss.max(v["maxrss_kb"].as_u64().unwrap_or(0) * 1024);
    }
    let py_parse = median(parse_times);
    let py_fk = median(fk_times);
    say(format!(
        "pybvh on a {small_frames}-frame file ({:.1} MB): parse {py_parse:.2} s = {:.1} MB/s (peak RSS {:.0} MB), FK {:.0} frames/s; ours on the same file: parse {ours_s:.3} s = {:.0} MB/s ({:.0}× pybvh), FK {:.2} M frames/s ({:.0}× pybvh)",
        small_bytes as f64 / 1e6,
        small_bytes as f64 / 1e6 / py_parse,
        rss as f64 / 1e6,
        small_frames as f64 / py_fk,
        small_bytes as f64 / 1e6 / ours_s,
        py_parse / ours_s,
        small_frames as f64 / ours_fk_s / 1e6,
        py_fk / ours_fk_s,
    ));
    Ok(serde_json::json!({
        "name": "pybvh",
        "frames": small_frames,
        "file_bytes": small_bytes,
        "parse_s": py_parse,
        "parse_mb_s": small_bytes as f64 / 1e6 / py_parse,
        "peak_rss_bytes": rss,
        "fk_frames_per_s": small_frames as f64 / py_fk,
        "ours_parse_s": ours_s,
        "ours_parse_mb_s": small_bytes as f64 / 1e6 / ours_s,
        "ours_fk_frames_per_s": small_frames as f64 / ours_fk_s,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgspeed_layout_matches_131_03() {
        let sk = cgspeed_skeleton();
        sk.validate().expect("valid");
        assert_eq!(sk.joints.len(), 31);
        assert_eq!(sk.channel_count(), 96);
        assert_eq!(sk.joints.iter().filter(|j| j.end_site.is_some()).count(), 7);
        assert_eq!(sk.joints[0].rotation_order, RotationOrder::Zyx);
        assert!(
            sk.joints[1..]
                .iter()
                .all(|j| j.rotation_order == RotationOrder::Zxy)
        );
        // The generated take survives our writer and reader bit for bit, and FK runs on it.
        let m = cgspeed_motion(&sk, 50).expect("motion");
        let mut bytes = Vec::new();
        bvh::write(&sk, &m, &mut bytes).expect("write");
        let back = bvh::parse(&bytes).expect("parse");
        assert_eq!(back.skeleton, sk);
        assert_eq!(back.motion.values, m.values);
        // About 7.7 bytes per value, like real exporter output.
        let per_value = bytes.len() as f64 / m.values.len() as f64;
        assert!((6.0..9.0).contains(&per_value), "{per_value}");
        let mut p = Vec::new();
        fk::try_world_positions(&sk, &m, &mut p).expect("fk");
        assert_eq!(p.len(), 50 * 31);
    }
}
