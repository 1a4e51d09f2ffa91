//! `mocap live`: the live stage without the stage. `serve` streams a take as a NatNet 4.1
//! server in real time; `record` receives a NatNet stream into a C3D take (optionally solved
//! live to BVH, added to the take library) and/or a Live Link Face stream into a face CSV
//! (`live_face`), with a JSON report. The logic is `mocap-live`'s.

use crate::live_face;
use anyhow::{Context, Result, bail};
use mocap_data::LengthUnit;
use mocap_formats::{bvh, c3d};
use mocap_live::natnet::ConnectForm;
use mocap_live::{ClientConfig, LiveClient, RecordConfig, ServeConfig, Session, SolveConfig};
use mocap_solver::resolve::{SolveSkeleton, actor_output_path};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Arguments of `mocap live`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: LiveCommand,
}

#[derive(clap::Subcommand, Debug)]
enum LiveCommand {
    /// Stream a take in real time as a NatNet 4.1 server (labeled markers in metres, a marker
    /// set per actor prefix, the take's timecode). Playback starts with the first client.
    Serve(ServeArgs),
    /// Receive a NatNet stream into a C3D take, optionally solving it live to BVH, and/or a
    /// Live Link Face stream into a face CSV (`--livelink-face`); or, with --vmc-in, a VMC
    /// skeleton stream (suits, VSeeFace) straight to BVH.
    Record(Box<RecordArgs>),
    /// Send a skeleton motion over VMC (OSC) in real time: humanoid bones to a VMC receiver.
    SendVmc(SendVmcArgs),
}

#[derive(clap::Args, Debug)]
struct SendVmcArgs {
    /// The motion (.bvh).
    motion: PathBuf,
    /// The VMC receiver.
    #[arg(long, default_value = "127.0.0.1:39539", value_name = "HOST:PORT")]
    vmc: SocketAddr,
    /// Length unit of the BVH (BVH files do not state one).
    #[arg(long, default_value = "cm")]
    bvh_unit: String,
    /// Start again after the last frame.
    #[arg(long = "loop")]
    looping: bool,
    /// Playback speed (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// The take (.c3d).
    take: PathBuf,
    /// Skeleton motion to stream beside the markers (.bvh).
    #[arg(long, value_name = "X.bvh")]
    motion: Option<PathBuf>,
    /// Serve the NatNet 4.1 protocol (the only one so far).
    #[arg(long, required = true)]
    natnet: bool,
    /// Command address (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1:1510", value_name = "ADDR:PORT")]
    bind: SocketAddr,
    /// Start again after the last frame.
    #[arg(long = "loop")]
    looping: bool,
    /// Playback speed (1 = real time).
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Also stream to this multicast group (GROUP or GROUP:PORT; port 1511 by default).
    #[arg(long, value_name = "GROUP[:PORT]")]
    multicast: Option<String>,
}

#[derive(clap::Args, Debug)]
struct RecordArgs {
    /// The NatNet server's command address (give this, --livelink-face, or both).
    #[arg(long, value_name = "HOST:PORT")]
    natnet: Option<String>,
    /// Record Live Link Face (iPhone ARKit face) packets arriving on this UDP port (bound on
    /// --local) or ADDR:PORT (0.0.0.0:11111 hears a phone on the network). Alone, -o is the face
    /// CSV; with --natnet, the face goes to `<stem>.face.csv` beside the C3D.
    #[arg(long, value_name = "PORT|ADDR:PORT")]
    livelink_face: Option<String>,
    /// Record this Live Link Face subject (the phone's subject name); default: the first heard.
    #[arg(long, value_name = "NAME", requires = "livelink_face")]
    face_subject: Option<String>,
    /// Record a VMC (OSC) skeleton stream instead, listening on PORT (127.0.0.1) or ADDR:PORT;
    /// -o is then the BVH (centimetres), blendshapes go to `<stem>.face.csv`.
    #[arg(long, value_name = "PORT|ADDR:PORT", conflicts_with_all = ["natnet", "livelink_face", "solve", "multicast", "db"])]
    vmc_in: Option<String>,
    /// Receive from this multicast group instead of unicast.
    #[arg(long, value_name = "GROUP")]
    multicast: Option<Ipv4Addr>,
    /// Data port of the multicast stream.
    #[arg(long, default_value_t = 1511)]
    data_port: u16,
    /// Local address to receive on (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    local: IpAddr,
    /// NAT_CONNECT form: `sdk` (natnetsdk's 271 bytes) or `ping` ("Ping\0").
    #[arg(long, default_value = "sdk", value_parser = parse_form)]
    connect: ConnectForm,
    /// Stop after this many seconds of stream (from the first frame).
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
    /// Stop when no frame came for this many seconds (after the first).
    #[arg(long, default_value_t = 2.0, value_name = "S")]
    idle_timeout: f64,
    /// Give up when no frame came within this many seconds.
    #[arg(long, default_value_t = 10.0, value_name = "S")]
    connect_timeout: f64,
    /// Output take (a face recorded alone: the face CSV; with --vmc-in: the BVH).
    #[arg(short = 'o', long = "output", value_name = "TAKE.c3d|FACE.csv|OUT.bvh")]
    output: PathBuf,
    /// Solve every actor live.
    #[arg(long, requires = "markerset")]
    solve: bool,
    /// Marker set of the solve: preset (`cmu41`, `fullbody53`) or JSON file.
    #[arg(long, value_name = "NAME|FILE")]
    markerset: Option<String>,
    /// Skeleton to solve onto (.asf or .bvh); default: the built-in template.
    #[arg(long, value_name = "X.asf|X.bvh")]
    skeleton: Option<PathBuf>,
    /// Length unit of a BVH skeleton.
    #[arg(long, default_value = "cm")]
    bvh_unit: String,
    /// Frames buffered to calibrate each subject before solving live.
    #[arg(long, default_value_t = 120, value_name = "N")]
    calibration_frames: usize,
    /// Write the live solve here (one BVH per actor, `OUT_<actor>.bvh` beside it for others).
    #[arg(long, value_name = "OUT.bvh", requires = "solve")]
    bvh: Option<PathBuf>,
    /// Write the JSON report here.
    #[arg(long, value_name = "R.json")]
    report: Option<PathBuf>,
    /// Add the take to this take library.
    #[arg(long, value_name = "LIBRARY")]
    db: Option<PathBuf>,
    /// Rebroadcast the first actor's live solve over VMC (OSC) to this receiver.
    #[arg(long, value_name = "HOST:PORT", requires = "solve")]
    vmc: Option<SocketAddr>,
}

fn parse_form(s: &str) -> Result<ConnectForm, String> {
    match s {
        "sdk" => Ok(ConnectForm::Sdk),
        "ping" => Ok(ConnectForm::Ping),
        _ => Err(format!("unknown connect form {s:?}; use sdk or ping")),
    }
}

pub fn run(args: Args) -> Result<()> {
    match args.command {
        LiveCommand::Serve(a) => serve(a),
        LiveCommand::Record(a) => record(*a),
        LiveCommand::SendVmc(a) => send_vmc(a),
    }
}

fn send_vmc(a: SendVmcArgs) -> Result<()> {
    if !(a.speed.is_finite() && a.speed > 0.0) {
        bail!(
            "--speed {} must be a positive number (1 = real time)",
            a.speed
        );
    }
    let unit = LengthUnit::parse(&a.bvh_unit)
        .with_context(|| format!("--bvh-unit {}: use mm, cm, m or in", a.bvh_unit))?;
    let f = bvh::read_path_with(
        &a.motion,
        &bvh::ReadOptions {
            unit,
            ..bvh::ReadOptions::default()
        },
    )?;
    let sender = mocap_live::vmc::VmcSender::new(a.vmc, &f.skeleton)?;
    let n = f.motion.frame_count();
    if n == 0 {
        bail!("{} has no frames", a.motion.display());
    }
    eprintln!(
        "sending {} ({n} frames, {} bones) over VMC to {}",
        a.motion.display(),
        sender.bone_names().len(),
        a.vmc
    );
    let step = f.motion.rate.frame_duration_s() / a.speed;
    let start = Instant::now();
    let mut sent = 0u64;
    loop {
        let i = (sent % n as u64) as usize;
        if !a.looping && sent >= n as u64 {
            break;
        }
        let due = start + Duration::from_secs_f64(sent as f64 * step);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        sender.send(
            f.motion.frame(i),
            f.motion.rate.frames_to_seconds(sent as i64),
        )?;
        sent += 1;
    }
    println!("sent {sent} VMC bundles to {}", a.vmc);
    Ok(())
}

fn serve(a: ServeArgs) -> Result<()> {
    let file = c3d::read_path(&a.take)?;
    let stem = a
        .take
        .file_stem()
        .map_or("take".into(), |s| s.to_string_lossy().into_owned());
    let tc = mocap_live::take::c3d_start_timecode(&file);
    let mut stream = mocap_live::TakeStream::new(&file.points, &stem, tc)?;
    if let Some(m) = &a.motion {
        let f = bvh::read_path(m)?;
        stream.set_motion(&f.skeleton, &f.motion)?;
    }
    let multicast = match &a.multicast {
        Some(g) => Some(parse_group(g)?),
        None => None,
    };
    let config = ServeConfig {
        bind: a.bind,
        speed: a.speed,
        looping: a.looping,
        multicast,
        ..ServeConfig::default()
    };
    let frames = stream.frame_count();
    let hz = stream.rate().hz();
    let server = mocap_live::serve(stream, config)?;
    eprintln!(
        "serving {} ({frames} frames at {hz} Hz) on {} (NatNet 4.1); playback starts with the first client",
        a.take.display(),
        server.addr()
    );
    let stats = server.stats.clone();
    server.join();
    println!(
        "sent {} frames to {} client connection(s); {} malformed packet(s) received",
        stats.frames_sent.load(std::sync::atomic::Ordering::Relaxed),
        stats.connects.load(std::sync::atomic::Ordering::Relaxed),
        stats
            .packets_malformed
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}

fn parse_group(s: &str) -> Result<SocketAddrV4> {
    if let Ok(a) = s.parse::<SocketAddrV4>() {
        return Ok(a);
    }
    let ip: Ipv4Addr = s
        .parse()
        .with_context(|| format!("--multicast {s:?}: give GROUP or GROUP:PORT"))?;
    Ok(SocketAddrV4::new(ip, 1511))
}

fn record(a: RecordArgs) -> Result<()> {
    if let Some(listen) = a.vmc_in {
        return crate::live_vmc::record_vmc(crate::live_vmc::VmcRecord {
            listen,
            duration: a.duration,
            idle_timeout: a.idle_timeout,
            connect_timeout: a.connect_timeout,
            output: a.output,
            report: a.report,
        });
    }
    let face_addr = a
        .livelink_face
        .as_deref()
        .map(|s| live_face::parse_addr(s, a.local))
        .transpose()?;
    let Some(natnet) = a.natnet.clone() else {
        return record_face_only(&a, face_addr);
    };
    let server = natnet
        .to_socket_addrs()
        .with_context(|| format!("--natnet {natnet}: give HOST:PORT"))?
        .find(SocketAddr::is_ipv4)
        .with_context(|| format!("--natnet {natnet}: no IPv4 address"))?;
    // The face of the take, beside the C3D; its memory bounded by the take's length.
    let mut face = match face_addr {
        Some(addr) => {
            let max_s = a
                .duration
                .map_or(3600.0, |d| d + a.connect_timeout.max(0.0) + 1.0);
            Some((
                live_face::FaceCapture::start(addr, a.face_subject.clone(), max_s)?,
                live_face::output_path(&a.output, true)?,
            ))
        }
        None => None,
    };
    let solve = solve_config(&a)?;
    let mut config = ClientConfig::new(server);
    config.multicast = a.multicast;
    config.data_port = a.data_port;
    config.local = a.local;
    config.connect_form = a.connect;
    let client = LiveClient::start(config)?;
    let mut session = Session::new(RecordConfig::default(), solve);
    let started = Instant::now();
    let mut first_frame: Option<Instant> = None;
    let mut last_frame = Instant::now();
    let idle = Duration::from_secs_f64(a.idle_timeout.max(0.1));
    let mut vmc: Option<mocap_live::vmc::VmcSender> = None;
    let mut vmc_sent = 0usize;
    loop {
        if let Some((f, _)) = &mut face {
            f.pump();
        }
        if let Some(ev) = client.events.pop_timeout(Duration::from_millis(20)) {
            session.handle(&ev)?;
            if let (Some(target), Some(solver)) = (a.vmc, &session.solver)
                && let Some((sk, pose, n)) = solver.latest_pose(0)
                && n > vmc_sent
            {
                if vmc.is_none() {
                    vmc = Some(mocap_live::vmc::VmcSender::new(target, sk)?);
                }
                if let (Some(v), Some(rate)) = (&vmc, session.recorder.rate()) {
                    v.send(pose, rate.frames_to_seconds(n as i64 - 1))?;
                }
                vmc_sent = n;
            }
            if matches!(ev, mocap_live::LiveEvent::Frame(_)) {
                // After handling: a calibration pause is not the server going quiet.
                last_frame = Instant::now();
                first_frame.get_or_insert(last_frame);
            }
        }
        match first_frame {
            None if started.elapsed().as_secs_f64() > a.connect_timeout => {
                bail!(
                    "no frame from {server} within {} s: is `mocap live serve` or Motive streaming there?",
                    a.connect_timeout
                )
            }
            Some(f) if a.duration.is_some_and(|d| f.elapsed().as_secs_f64() >= d) => break,
            Some(_) if last_frame.elapsed() >= idle && client.events.is_empty() => break,
            _ => {}
        }
    }
    let malformed = client
        .stats
        .packets_malformed
        .load(std::sync::atomic::Ordering::Relaxed);
    client.stop();
    session.finish_solve()?;
    session.recorder.count_unknown();
    let recording = session.recorder.finish()?;
    let mut file = c3d::C3dFile::from_trajectories(recording.markers.clone());
    if let Some(tc) = &recording.start_timecode {
        mocap_live::take::set_c3d_start_timecode(&mut file, tc);
    }
    c3d::write_path(&file, &a.output)?;
    let report = session.report(malformed);
    let face_report = match face {
        Some((f, path)) => Some(f.finish(&path, false)?),
        None => None,
    };
    if let (Some(out), Some(solver)) = (&a.bvh, &session.solver) {
        for (i, (actor, sk, motion)) in solver.motions()?.iter().enumerate() {
            let path = if i == 0 {
                out.clone()
            } else {
                actor_output_path(out, actor)
            };
            bvh::write_path(sk, motion, &path)?;
        }
    }
    if let Some(r) = &a.report {
        let mut json = serde_json::to_value(&report)?;
        if let (Some(fr), Some(obj)) = (&face_report, json.as_object_mut()) {
            obj.insert("face".into(), serde_json::to_value(fr)?);
        }
        std::fs::write(r, serde_json::to_string_pretty(&json)? + "\n")
            .with_context(|| format!("writing {}", r.display()))?;
    }
    if let Some(db) = &a.db {
        let author = std::env::var("USER").unwrap_or_else(|_| "mocap".into());
        let id = mocap_live::library::add_recording(
            db,
            &a.output,
            recording.start_timecode.as_ref(),
            &author,
        )?;
        eprintln!("take {id} in {}", db.display());
    }
    let c = &session.recorder.counters;
    println!(
        "recorded {} frames ({} received, {} dropped, {} out of order, {} malformed packets, {} non-finite markers) to {}",
        recording.markers.frame_count(),
        report.frames_received,
        report.frames_dropped,
        report.frames_out_of_order,
        report.packets_malformed,
        c.markers_non_finite,
        a.output.display()
    );
    Ok(())
}

/// `record` without `--natnet`: the Live Link Face stream alone (the body-stream flags refused).
fn record_face_only(a: &RecordArgs, face_addr: Option<SocketAddr>) -> Result<()> {
    let Some(face_addr) = face_addr else {
        bail!(
            "nothing to record: give --natnet HOST:PORT (a NatNet body stream), \
             --livelink-face PORT (Live Link Face), or both; or --vmc-in PORT|ADDR:PORT \
             (a VMC skeleton stream)"
        );
    };
    for (given, flag) in [
        (a.solve, "--solve"),
        (a.bvh.is_some(), "--bvh"),
        (a.vmc.is_some(), "--vmc"),
        (a.db.is_some(), "--db"),
        (a.multicast.is_some(), "--multicast"),
    ] {
        if given {
            bail!("{flag} needs a body stream: add --natnet HOST:PORT");
        }
    }
    live_face::record_alone(
        face_addr,
        a.face_subject.clone(),
        &a.output,
        a.report.as_deref(),
        a.duration,
        a.idle_timeout,
        a.connect_timeout,
    )
}

/// The live solve configuration of `--solve` (`None` without it).
fn solve_config(a: &RecordArgs) -> Result<Option<SolveConfig>> {
    if !a.solve {
        return Ok(None);
    }
    let unit = LengthUnit::parse(&a.bvh_unit)
        .with_context(|| format!("--bvh-unit {}: use mm, cm, m or in", a.bvh_unit))?;
    let skeleton = match &a.skeleton {
        Some(p) => SolveSkeleton::load(p, unit)?,
        None => SolveSkeleton::template()?,
    };
    Ok(Some(SolveConfig {
        markerset: a.markerset.clone().unwrap_or_default(),
        skeleton,
        calibration_frames: a.calibration_frames,
        smooth: 0.01,
    }))
}
