//! The open session: the active take (skeleton, motion, markers, events) and the app log.
//!
//! Data flows one way: files or the demo generator → [`Session`] → viewport entities and panel view
//! models. Loading happens in [`SessionSet`] from [`SessionCommand`] messages; files are read on
//! a worker thread and installed when ready ([`open`]), so the app keeps drawing; a failed load
//! is logged (and shown as a toast by the UI), never a crash.

pub mod demo;
pub mod face;
pub mod open;

pub use open::wait_until_opened;

use crate::model::log::{AppLog, LogLevel};
use crate::model::session::{Actor, Opening, Session, SessionCommand, Take};
use mocap_formats::FileKind;
use std::path::{Path, PathBuf};

use bevy::prelude::*;
use mocap_data::{
    Event, FrameRate, MarkerTrajectories, Motion, Skeleton, Timecode, TimecodeFormat, UpAxis,
};

/// Systems that load data into the [`Session`].
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionSet;

/// Owns the [`Session`] and [`AppLog`] resources and applies [`SessionCommand`]s.
pub struct SessionPlugin;

impl Plugin for SessionPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Session>()
            .init_resource::<AppLog>()
            .add_message::<SessionCommand>()
            .init_resource::<Opening>()
            .init_resource::<open::OpenQueue>()
            .add_systems(
                PreUpdate,
                (apply_session_commands, install_opened)
                    .chain()
                    .in_set(SessionSet),
            );
    }
}

/// Starts reading the files of [`SessionCommand::Open`] and [`SessionCommand::AddActor`] on a
/// worker thread; other requests apply at once, or, behind a running open, in their turn.
fn apply_session_commands(
    mut commands: MessageReader<SessionCommand>,
    mut queue: ResMut<open::OpenQueue>,
    mut session: ResMut<Session>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
    settings: Option<Res<crate::model::settings::Settings>>,
) {
    let now = time.elapsed_secs_f64();
    let up_for_trc = settings.map_or(UpAxis::Y, |s| s.default_up_axis);
    for cmd in commands.read() {
        match cmd {
            SessionCommand::Open(paths) => queue.start(&session, paths, up_for_trc, false, now),
            SessionCommand::AddActor(path) => {
                queue.start(&session, std::slice::from_ref(path), UpAxis::Y, true, now);
            }
            cmd if queue.0.is_empty() => apply_now(cmd, &mut session, &mut log, now),
            cmd => queue.0.push_back(open::Step::Now(cmd.clone())),
        }
    }
}

/// Installs what the worker threads have read, in request order, and applies the requests that
/// waited behind them; keeps [`Opening`] (the HUD's line) current.
fn install_opened(
    mut queue: ResMut<open::OpenQueue>,
    mut session: ResMut<Session>,
    mut log: ResMut<AppLog>,
    mut opening: ResMut<Opening>,
    time: Res<Time<Real>>,
) {
    if queue.0.is_empty() && !opening.busy() {
        return;
    }
    let now = time.elapsed_secs_f64();
    while let Some(ready) = open::next_ready(&mut queue, &mut session, now) {
        match ready {
            open::Ready::File {
                path,
                add_actor: false,
                result,
            } => log_outcome(&mut log, now, "Opened", "Cannot open", &path, result),
            open::Ready::File { path, result, .. } => log_outcome(
                &mut log,
                now,
                "Added actor",
                "Cannot add actor",
                &path,
                result,
            ),
            open::Ready::Command(cmd) => apply_now(&cmd, &mut session, &mut log, now),
        }
    }
    opening.set_if_neq(queue.opening());
}

/// Applies a request that reads no file.
fn apply_now(cmd: &SessionCommand, session: &mut Session, log: &mut AppLog, now: f64) {
    match cmd {
        SessionCommand::LoadDemo => match demo::demo_take() {
            Ok(take) => {
                log.push(
                    LogLevel::Info,
                    format!(
                        "Demo take generated: {} frames at {} Hz, {} markers",
                        take.frame_count,
                        take.rate,
                        take.markers.as_ref().map_or(0, |m| m.marker_count())
                    ),
                    now,
                );
                session.take = Some(take);
                session.generation += 1;
            }
            Err(e) => log.push(LogLevel::Error, format!("Demo generation failed: {e}"), now),
        },
        SessionCommand::ExportBvh(path) => {
            let result = export_bvh(session, path);
            log_outcome(log, now, "Exported", "Cannot export", path, result);
        }
        SessionCommand::ExportGlb(path) => {
            let result = export_glb(session, path);
            log_outcome(log, now, "Exported", "Cannot export", path, result);
        }
        SessionCommand::Close => {
            session.take = None;
            session.characters.clear();
            session.generation += 1;
        }
        // Files are read on a worker thread ([`apply_session_commands`]).
        SessionCommand::Open(_) | SessionCommand::AddActor(_) => {}
    }
}

/// Logs the outcome of a file operation on `path`: `"{done} {path}: {what}"` as info, or
/// `"{failed} {path}: {error}"` as an error (shown as a toast).
fn log_outcome(
    log: &mut AppLog,
    now: f64,
    done: &str,
    failed: &str,
    path: &Path,
    result: Result<String, String>,
) {
    match result {
        Ok(what) => log.push(
            LogLevel::Info,
            format!("{done} {}: {what}", path.display()),
            now,
        ),
        Err(e) => log.push(
            LogLevel::Error,
            format!("{failed} {}: {e}", path.display()),
            now,
        ),
    }
}

/// One actor's export: file, skeleton, motion, actor name.
type ExportTarget<'a> = (PathBuf, &'a Skeleton, &'a Motion, String);

/// The take's actors to export: (file, skeleton, motion, name). The first actor goes to `path`,
/// each further one beside it as `STEM_ACTOR.EXT` ([`mocap_solver::resolve::actor_output_path`]).
fn export_targets<'a>(session: &'a Session, path: &Path) -> Result<Vec<ExportTarget<'a>>, String> {
    let take = session.take.as_ref().ok_or("no take is open")?;
    let mut out: Vec<ExportTarget<'a>> = Vec::new();
    for k in 0..=take.actors.len() {
        let Some((sk, motion)) = take.actor(k) else {
            continue;
        };
        let name = take.actor_name(k);
        let mut file = if out.is_empty() {
            path.to_path_buf()
        } else {
            mocap_solver::resolve::actor_output_path(path, &name)
        };
        // Two actors of one name (two files of one stem) get the actor's number too.
        if out.iter().any(|(f, ..)| *f == file) {
            file = mocap_solver::resolve::actor_output_path(path, &format!("{name}-{k}"));
        }
        out.push((file, sk, motion, name));
    }
    if out.is_empty() {
        return Err("the take has no skeleton and motion".into());
    }
    Ok(out)
}

/// What was written besides `path`, for the log: "; also A.bvh (actor), …".
fn also_written(targets: &[ExportTarget<'_>]) -> String {
    let rest: Vec<String> = targets
        .iter()
        .skip(1)
        .map(|(p, _, _, n)| format!("{} ({n})", p.display()))
        .collect();
    if rest.is_empty() {
        String::new()
    } else {
        format!("; also {}", rest.join(", "))
    }
}

fn export_bvh(session: &Session, path: &Path) -> Result<String, String> {
    let targets = export_targets(session, path)?;
    for (file, sk, motion, _) in &targets {
        mocap_formats::bvh::write_path(sk, motion, file).map_err(|e| e.to_string())?;
    }
    let (_, sk, motion, _) = &targets[0];
    Ok(format!(
        "{} joints, {} frames at {} Hz ({}){}",
        sk.joints.len(),
        motion.frame_count(),
        motion.rate,
        sk.unit,
        also_written(&targets)
    ))
}

fn export_glb(session: &Session, path: &Path) -> Result<String, String> {
    let targets = export_targets(session, path)?;
    for (file, sk, motion, name) in &targets {
        let bytes = mocap_solver::mannequin::to_glb(sk, motion, name)
            .map_err(|e| e.with_path(file).to_string())?;
        std::fs::write(file, bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    let (_, sk, motion, _) = &targets[0];
    Ok(format!(
        "mannequin with {} joints, {} frames at {} Hz (glTF: metres, Y-up){}",
        sk.joints.len(),
        motion.frame_count(),
        motion.rate,
        also_written(&targets)
    ))
}

pub(crate) fn single_asf_in(dir: &Path) -> Option<PathBuf> {
    let mut found = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| FileKind::from_path(p) == Some(FileKind::Asf));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

pub(crate) fn new_take(path: &Path, rate: FrameRate) -> Take {
    Take {
        name: path
            .file_stem()
            .map_or_else(|| "take".into(), |s| s.to_string_lossy().into_owned()),
        sources: Vec::new(),
        rate,
        frame_count: 0,
        start_timecode: Timecode::from_frame_count(0, TimecodeFormat::ndf(30)),
        skeleton: None,
        motion: None,
        markers: None,
        marker_segments: Vec::new(),
        events: Vec::new(),
        in_frame: None,
        out_frame: None,
        cleanup: Default::default(),
        actors: Vec::new(),
        solved: None,
        skeleton_axes: crate::model::session::AxisConvention::Up(mocap_data::UpAxis::Y),
        skeleton_unit_guess: None,
        face: None,
    }
}

fn set_markers(
    session: &mut Session,
    path: &Path,
    markers: MarkerTrajectories,
    events: Vec<Event>,
) {
    let reuse = session.take.as_ref().is_some_and(|t| t.markers.is_none());
    if !reuse {
        session.take = Some(new_take(path, markers.rate));
    }
    if let Some(take) = session.take.as_mut() {
        take.rate = markers.rate;
        take.frame_count = take.frame_count.max(markers.frame_count());
        take.marker_segments = vec![None; markers.marker_count()];
        take.markers = Some(markers);
        take.events = events;
        take.sources.push(path.to_path_buf());
    }
    session.generation += 1;
}

/// The first skeleton motion of an open batch becomes the take's character ([`set_character`]);
/// later ones join the take as further actors.
fn set_or_add_character(
    session: &mut Session,
    path: &Path,
    loaded: mocap_formats::world::LoadedMotion,
    motion_opened: &mut bool,
    summary: String,
) -> String {
    let mocap_formats::world::LoadedMotion {
        skeleton,
        motion,
        convention,
        unit_guess,
    } = loaded;
    let take_has_one = session
        .take
        .as_ref()
        .is_some_and(|t| t.skeleton.is_some() && t.motion.is_some());
    if *motion_opened
        && take_has_one
        && let Some(take) = session.take.as_mut()
    {
        let seconds = motion.rate.frames_to_seconds(motion.frame_count() as i64);
        let at_take_rate = usize::try_from(take.rate.seconds_to_frame_round(seconds)).unwrap_or(0);
        take.frame_count = take.frame_count.max(at_take_rate);
        take.actors.push(Actor {
            name: path
                .file_stem()
                .map_or_else(|| "actor".into(), |s| s.to_string_lossy().into_owned()),
            source: path.to_path_buf(),
            skeleton,
            motion,
            axes: convention,
            unit_guess,
        });
        take.sources.push(path.to_path_buf());
        let k = take.actors.len();
        session.generation += 1;
        return format!("{summary}; actor {} of the take", k + 1);
    }
    *motion_opened = true;
    set_character(session, path, skeleton, motion);
    if let Some(take) = session.take.as_mut() {
        take.skeleton_axes = convention;
        take.skeleton_unit_guess = unit_guess;
    }
    summary
}

fn set_character(session: &mut Session, path: &Path, skeleton: Skeleton, motion: Motion) {
    let reuse = session.take.as_ref().is_some_and(|t| t.skeleton.is_none());
    if !reuse {
        session.take = Some(new_take(path, motion.rate));
    }
    if let Some(take) = session.take.as_mut() {
        if take.markers.is_none() {
            take.rate = motion.rate;
        }
        take.frame_count = take.frame_count.max(motion.frame_count());
        take.skeleton = Some(skeleton);
        take.motion = Some(motion);
        take.sources.push(path.to_path_buf());
    }
    session.generation += 1;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        let mut app = App::new();
        app.add_plugins(MinimalPlugins).add_plugins(SessionPlugin);
        app
    }

    #[test]
    fn load_demo_fills_the_session() {
        let mut app = app();
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        let s = app.world().resource::<Session>();
        let take = s.take.as_ref().unwrap();
        assert_eq!(take.frame_count, 1200);
        assert_eq!(take.rate, FrameRate::FPS_120);
        assert_eq!(s.generation, 1);
        assert_eq!(take.range(), (0, 1199));
    }

    #[test]
    fn opening_a_missing_or_unknown_file_logs_an_error_and_keeps_running() {
        let mut app = app();
        app.world_mut().write_message(SessionCommand::Open(vec![
            PathBuf::from("/nonexistent/take.c3d"),
            PathBuf::from("Cargo.toml"),
        ]));
        assert!(wait_until_opened(&mut app, 10_000));
        let log = app.world().resource::<AppLog>();
        let errors: Vec<_> = log
            .entries
            .iter()
            .filter(|e| e.level == LogLevel::Error)
            .collect();
        assert_eq!(errors.len(), 2, "{:?}", log.entries);
        assert!(errors[0].text.contains("no such file"));
        assert!(errors[1].text.contains("unknown file type"));
    }

    #[test]
    fn demo_exports_as_bvh_and_reads_back() {
        let mut app = app();
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        let path = std::env::temp_dir().join(format!("mocap-studio-{}.bvh", std::process::id()));
        app.world_mut()
            .write_message(SessionCommand::ExportBvh(path.clone()));
        app.update();
        let back = mocap_formats::bvh::read_path(&path).unwrap();
        let take = app.world().resource::<Session>().take.clone().unwrap();
        let (sk, motion) = (take.skeleton.unwrap(), take.motion.unwrap());
        assert_eq!(back.skeleton.joints.len(), sk.joints.len());
        assert_eq!(back.motion.frame_count(), motion.frame_count());
        assert_eq!(back.motion.rate, motion.rate);
        // Same pose: the right hand at the wave.
        let hand = sk.joint_index("RightHand").unwrap();
        let a = mocap_data::fk::pose(&sk, motion.frame(1100))[hand].translation;
        let b = mocap_data::fk::pose(&back.skeleton, back.motion.frame(1100))[hand].translation;
        assert!((a - b).length() < 0.05, "{a} vs {b}");
        std::fs::remove_file(&path).unwrap();
        // Exporting with no take is an error message.
        app.world_mut().write_message(SessionCommand::Close);
        app.world_mut()
            .write_message(SessionCommand::ExportBvh(path.clone()));
        app.update();
        let log = app.world().resource::<AppLog>();
        assert_eq!(log.entries.last().unwrap().level, LogLevel::Error);
        assert!(!path.exists());
    }

    #[test]
    fn demo_exports_as_glb() {
        let mut app = app();
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        let path = std::env::temp_dir().join(format!("mocap-studio-{}.glb", std::process::id()));
        app.world_mut()
            .write_message(SessionCommand::ExportGlb(path.clone()));
        app.update();
        let log = app.world().resource::<AppLog>();
        assert_eq!(
            log.entries.last().unwrap().level,
            LogLevel::Info,
            "{:?}",
            log.entries
        );
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let take = app.world().resource::<Session>().take.clone().unwrap();
        assert_eq!(&bytes[..4], b"glTF");
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let doc: serde_json::Value = serde_json::from_slice(&bytes[20..20 + len]).unwrap();
        let joints = doc["skins"][0]["joints"].as_array().unwrap().len();
        assert_eq!(joints, take.skeleton.unwrap().joints.len());
        assert_eq!(doc["animations"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn every_actor_of_a_take_is_exported() {
        let mut app = app();
        app.world_mut().write_message(SessionCommand::LoadDemo);
        app.update();
        let dir = std::env::temp_dir().join(format!("mocap-studio-actors-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A second performer: the demo's own motion, saved and added as an actor.
        let second = dir.join("Guest Actor.bvh");
        app.world_mut()
            .write_message(SessionCommand::ExportBvh(second.clone()));
        app.update();
        app.world_mut()
            .write_message(SessionCommand::AddActor(second.clone()));
        assert!(wait_until_opened(&mut app, 10_000));
        let take = app.world().resource::<Session>().take.clone().unwrap();
        assert_eq!(take.actor_count(), 2);
        let out = dir.join("scene.bvh");
        app.world_mut()
            .write_message(SessionCommand::ExportBvh(out.clone()));
        app.update();
        let log = app.world().resource::<AppLog>();
        let last = log.entries.last().unwrap();
        assert_eq!(last.level, LogLevel::Info, "{:?}", log.entries);
        let beside = dir.join("scene_Guest_Actor.bvh");
        assert!(last.text.contains("scene_Guest_Actor.bvh"), "{}", last.text);
        for (file, k) in [(&out, 0), (&beside, 1)] {
            let back = mocap_formats::bvh::read_path(file).unwrap();
            let (sk, motion) = take.actor(k).unwrap();
            assert_eq!(back.skeleton.joints.len(), sk.joints.len());
            assert_eq!(back.motion.frame_count(), motion.frame_count());
        }
        // The GLB export writes one mannequin per actor the same way.
        let glb = dir.join("scene.glb");
        app.world_mut()
            .write_message(SessionCommand::ExportGlb(glb.clone()));
        app.update();
        for f in [glb, dir.join("scene_Guest_Actor.glb")] {
            let bytes = std::fs::read(&f).unwrap();
            assert_eq!(&bytes[..4], b"glTF", "{}", f.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn open_kind_by_extension() {
        assert_eq!(
            FileKind::from_path(Path::new("a/b.GLB")),
            Some(FileKind::Gltf)
        );
        assert_eq!(FileKind::from_path(Path::new("x.c3d")), Some(FileKind::C3d));
        assert_eq!(FileKind::from_path(Path::new("x.txt")), None);
    }
}
