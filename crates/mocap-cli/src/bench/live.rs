//! `mocap bench live`: the live path end to end on loopback. A NatNet 4.1 server streams 5
//! actors × 53 markers (fullbody53 placed on CMU subject 39's skeleton driven by our solve of
//! 39_01, actors 2 m apart) at 240 Hz; a client receives it, a session records it and solves
//! every actor live (warm-started). Prints received → pose ready p50/p99/max after a warm-up.
//!
//! `--skeletons`: the skeleton path instead (how inertial suits stream): the same 5 actors as
//! NatNet skeletons (CMU subject 39's bones posed by the same solve, no markers), posed from
//! their bones without the marker solve.

use anyhow::bail;
use mocap_data::{FrameRate, LengthUnit, MarkerTrajectories};
use mocap_formats::{asf, c3d};
use mocap_live::{ClientConfig, LiveClient, RecordConfig, ServeConfig, Session, SolveConfig};
use mocap_solver::markerset::MarkerSet;
use mocap_solver::model::SolverModel;
use mocap_solver::pipeline::{self, Calibration, PipelineOptions};
use mocap_solver::resolve::SolveSkeleton;
use mocap_solver::synth;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Arguments of `mocap bench live`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// CMU subject 39's skeleton (default: `$MOCAP_TEST_DATA/c3d_plus_skeleton/cmu_subject39_walk/39.asf`).
    #[arg(long, value_name = "X.asf")]
    asf: Option<PathBuf>,
    /// The 41-marker take whose solve drives the actors (default: `39_01.c3d` beside it).
    #[arg(long, value_name = "X.c3d")]
    take: Option<PathBuf>,
    /// Actors streamed.
    #[arg(long, default_value_t = 5)]
    actors: usize,
    /// Stream rate, Hz.
    #[arg(long, default_value_t = 240)]
    rate: u32,
    /// Seconds streamed after calibration and warm-up before measuring.
    #[arg(long, default_value_t = 3.0)]
    warmup: f64,
    /// Seconds measured.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Soak: put a relay in front of the server that drops, reorders and garbles this
    /// fraction of frames each (e.g. 0.05), and compare its counts with the recorder's.
    #[arg(long, value_name = "P")]
    impair: Option<f64>,
    /// Stream the actors as NatNet skeletons (no markers) and measure the skeleton path
    /// (bones → poses, no solve) instead of the marker solve.
    #[arg(long)]
    skeletons: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct LiveBench {
    path: &'static str,
    actors: usize,
    joints_per_actor: Option<usize>,
    markers_per_actor: usize,
    rate_hz: u32,
    frames_measured: usize,
    received_to_pose_ready_p50_ms: Option<f64>,
    received_to_pose_ready_p99_ms: Option<f64>,
    received_to_pose_ready_max_ms: Option<f64>,
    capture_to_received_p99_ms: Option<f64>,
    frames_dropped: u64,
    packets_malformed: u64,
    solve_rms_mm: Option<f64>,
    frames_out_of_order: u64,
    impaired_dropped: Option<u64>,
    impaired_reordered: Option<u64>,
    impaired_garbage: Option<u64>,
    rss_mib_at_measure_start: Option<f64>,
    rss_mib_at_end: Option<f64>,
}

/// Resident set size of this process, MiB (Linux).
fn rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn default_data(file: &str) -> anyhow::Result<PathBuf> {
    let Some(d) = std::env::var_os("MOCAP_TEST_DATA") else {
        bail!(
            "no --asf/--take given and MOCAP_TEST_DATA is unset: pass them or set MOCAP_TEST_DATA"
        )
    };
    Ok(PathBuf::from(d)
        .join("c3d_plus_skeleton/cmu_subject39_walk")
        .join(file))
}

/// What the bench streams.
struct Streamed {
    /// `actors` copies of fullbody53, 2 m apart (metres as the synthesis gives them).
    markers: MarkerTrajectories,
    /// The skeleton the actors are solved onto.
    skeleton: SolveSkeleton,
    /// Markers per actor.
    markers_per_actor: usize,
    /// CMU subject 39's skeleton and the solved motion at the stream's rate (the skeleton
    /// path streams it per actor).
    motion: (mocap_data::Skeleton, mocap_data::Motion),
}

/// The streamed take: `actors` copies of fullbody53 driven by the solve of `take`, 2 m apart.
fn actors_take(
    asf_path: &Path,
    take_path: &Path,
    actors: usize,
    rate: u32,
) -> anyhow::Result<Streamed> {
    let skeleton = asf::read_asf_path(asf_path)?.to_skeleton(LengthUnit::Millimetre);
    let take = c3d::read_path(take_path)?.points;
    let solves = pipeline::solve_take(
        &skeleton,
        &MarkerSet::preset("cmu41")?,
        &take,
        Calibration::FromTake,
        &PipelineOptions::default(),
        None,
    )?;
    let Some(first) = solves.first() else {
        bail!("{}: no actor found", take_path.display());
    };
    let model = SolverModel::new(&skeleton, &Default::default())?;
    let (placed, unplaced) = MarkerSet::preset("fullbody53")?.place(&model);
    if !unplaced.is_empty() {
        bail!(
            "fullbody53 does not fit {}: {unplaced:?}",
            asf_path.display()
        );
    }
    let one = synth::markers_from_motion(&model, &placed, &first.result.motion)?;
    let m = one.marker_count();
    let labels = (0..actors)
        .flat_map(|a| {
            one.labels
                .iter()
                .map(move |l| format!("Actor{}:{l}", a + 1))
        })
        .collect();
    let multi = MarkerTrajectories::from_fn(
        labels,
        one.frame_count(),
        FrameRate::integer(rate)?,
        one.unit,
        one.up_axis,
        |f, c| {
            let mut s = one.sample(f, c % m);
            s.position[0] += 2000.0 * (c / m) as f32;
            s
        },
    )?;
    let mut motion = first.result.motion.clone();
    motion.rate = FrameRate::integer(rate)?;
    Ok(Streamed {
        markers: multi,
        skeleton: SolveSkeleton::from_skeleton(skeleton.clone()),
        markers_per_actor: m,
        motion: (skeleton, motion),
    })
}

/// Runs `mocap bench live`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let asf_path = match &args.asf {
        Some(p) => p.clone(),
        None => default_data("39.asf")?,
    };
    let take_path = match &args.take {
        Some(p) => p.clone(),
        None => default_data("39_01.c3d")?,
    };
    let streamed = actors_take(&asf_path, &take_path, args.actors, args.rate)?;
    let (skeleton, m) = (streamed.skeleton, streamed.markers_per_actor);
    let (sk, motion) = &streamed.motion;
    let stream = if args.skeletons {
        // A suit's stream: skeletons only.
        let none = MarkerTrajectories::new(
            Vec::new(),
            motion.frame_count(),
            motion.rate,
            LengthUnit::Metre,
            mocap_data::UpAxis::Y,
        )?;
        let mut s = mocap_live::TakeStream::new(&none, "bench", None)?;
        for a in 0..args.actors {
            s.add_motion(format!("Actor{}", a + 1), sk, motion)?;
        }
        s
    } else {
        mocap_live::TakeStream::new(&streamed.markers, "bench", None)?
    };
    let server = mocap_live::serve(
        stream,
        ServeConfig {
            bind: "127.0.0.1:0".parse()?,
            looping: true,
            ..ServeConfig::default()
        },
    )?;
    let relay = match args.impair {
        Some(p) => Some(mocap_live::impair::Relay::start(
            server.addr(),
            mocap_live::impair::Impairment {
                loss: p,
                reorder: p,
                garbage: p,
                until_frame: i64::MAX,
                seed: 1,
            },
        )?),
        None => None,
    };
    let target = relay.as_ref().map_or(server.addr(), |r| r.addr());
    let client = LiveClient::start(ClientConfig::new(target))?;
    let mut rss_start = None;
    // Nothing kept but counters, timings and each actor's latest pose: memory stays flat.
    let mut session = Session::new(
        RecordConfig {
            keep_frames: false,
            ..RecordConfig::default()
        },
        (!args.skeletons).then_some(SolveConfig {
            markerset: "fullbody53".into(),
            skeleton,
            calibration_frames: 120,
            smooth: 0.01,
        }),
    );
    // Calibration gets 120 s; then warm-up and measurement.
    let give_up = Instant::now() + Duration::from_secs_f64(120.0 + args.warmup + args.seconds);
    let mut measuring_since: Option<Instant> = None;
    let mut warm_since: Option<Instant> = None;
    while Instant::now() < give_up {
        if let Some(ev) = client.events.pop_timeout(Duration::from_millis(20)) {
            session.handle(&ev)?;
        }
        let calibrated = if args.skeletons {
            session.skeletons.poses().count() == args.actors
        } else {
            session.solver.as_ref().is_some_and(|s| s.is_calibrated())
        };
        if calibrated && warm_since.is_none() {
            warm_since = Some(Instant::now());
        }
        match (warm_since, measuring_since) {
            (Some(w), None) if w.elapsed().as_secs_f64() >= args.warmup => {
                session.recorder.pose_latency_ms.clear();
                session.recorder.capture_latency_ms.clear();
                rss_start = rss_mib();
                measuring_since = Some(Instant::now());
            }
            (_, Some(s)) if s.elapsed().as_secs_f64() >= args.seconds => break,
            _ => {}
        }
    }
    if measuring_since.is_none() {
        bail!(
            "{} within 120 s",
            if args.skeletons {
                "not every streamed skeleton was posed"
            } else {
                "the live solve never got past calibration"
            }
        );
    }
    let malformed = client.stats.packets_malformed.load(Ordering::Relaxed);
    client.stop();
    server.stop();
    let report = session.report(malformed);
    let lat = report.latency_ms;
    let counts = relay.as_ref().map(|r| {
        let c = &r.counts;
        (
            c.dropped.load(Ordering::Relaxed),
            c.reordered.load(Ordering::Relaxed),
            c.garbage.load(Ordering::Relaxed),
        )
    });
    let out = LiveBench {
        path: if args.skeletons {
            "skeletons (bones → poses, no solve)"
        } else {
            "markers (live solve)"
        },
        actors: args.actors,
        joints_per_actor: args.skeletons.then_some(sk.joints.len()),
        markers_per_actor: if args.skeletons { 0 } else { m },
        rate_hz: args.rate,
        frames_measured: session.recorder.pose_latency_ms.len(),
        received_to_pose_ready_p50_ms: lat.received_to_pose_ready.p50,
        received_to_pose_ready_p99_ms: lat.received_to_pose_ready.p99,
        received_to_pose_ready_max_ms: lat.received_to_pose_ready.max,
        capture_to_received_p99_ms: lat.capture_to_received.p99,
        frames_dropped: report.frames_dropped,
        packets_malformed: report.packets_malformed,
        solve_rms_mm: report.solve_rms_mm,
        frames_out_of_order: report.frames_out_of_order,
        impaired_dropped: counts.map(|c| c.0),
        impaired_reordered: counts.map(|c| c.1),
        impaired_garbage: counts.map(|c| c.2),
        rss_mib_at_measure_start: rss_start,
        rss_mib_at_end: rss_mib(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_text(&out, counts);
    }
    Ok(())
}

/// The figures of `out` as text; `counts`: the impairing relay's dropped, reordered and garbled
/// packets, when one ran.
fn print_text(out: &LiveBench, counts: Option<(u64, u64, u64)>) {
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3}"));
    let what = match out.joints_per_actor {
        Some(j) => format!("{j}-joint skeletons"),
        None => format!("{} markers", out.markers_per_actor),
    };
    println!(
        "live, {}: {} actors × {} at {} Hz over NatNet on 127.0.0.1, {} frames measured: received → pose ready p50 {} ms, p99 {} ms, max {} ms; capture → received p99 {} ms; {} dropped, {} malformed; solve RMS {} mm",
        out.path,
        out.actors,
        what,
        out.rate_hz,
        out.frames_measured,
        f(out.received_to_pose_ready_p50_ms),
        f(out.received_to_pose_ready_p99_ms),
        f(out.received_to_pose_ready_max_ms),
        f(out.capture_to_received_p99_ms),
        out.frames_dropped,
        out.packets_malformed,
        f(out.solve_rms_mm)
    );
    if let Some((d, r, g)) = counts {
        println!(
            "impaired: relay dropped {d}, reordered {r}, garbled {g}; recorder counted {} dropped, {} out of order, {} malformed",
            out.frames_dropped, out.frames_out_of_order, out.packets_malformed
        );
    }
    println!(
        "memory: RSS {} MiB when measuring began, {} MiB at the end",
        f(out.rss_mib_at_measure_start),
        f(out.rss_mib_at_end)
    );
}
