//! Compare takes (director and animator): a second take, or the opened motion against its
//! re-solve, loaded into [`Comparison`] by the same readers as the session's
//! (`mocap_formats::c3d`/`trc`, `mocap_formats::world::load_motion`), sampled by time at the
//! playhead plus an adjustable offset, and measured against the open take per joint (skeletons,
//! paired by joint name) or per marker (paired by label) by `mocap_solver::compare`: distances in
//! millimetres at the playhead and, per frame, their mean and max over the take.
//!
//! [`ComparePlugin`] is render-free (a core plugin); [`CompareGhostPlugin`] draws the comparison
//! in the viewport as translucent ghost markers and bones, overlaid or side by side; the Compare
//! tab is [`panel::compare_ui`].

pub mod panel;

use std::path::{Path, PathBuf};

use bevy::prelude::*;
use mocap_data::{FrameIndex, MarkerTrajectories, UpAxis};
use mocap_formats::FileKind;
use mocap_formats::world::{Placement, TakeWorld};

use crate::model::compare::{
    COMPARE_WORLD, CompareCommand, CompareItems, CompareLayout, Comparison, ComparisonTake,
    Difference,
};
use crate::model::log::{AppLog, LogLevel};
use crate::model::session::{Session, Take, motion_frame};
use crate::playback::{Playback, PlaybackSet};

/// Systems that load the comparison and measure it (after the clock).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompareSet;

/// Owns [`Comparison`], applies [`CompareCommand`]s and keeps its difference current.
pub struct ComparePlugin;

impl Plugin for ComparePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Comparison>()
            .init_resource::<PrimaryJoints>()
            .init_resource::<AppLog>()
            .add_message::<CompareCommand>()
            .configure_sets(Update, CompareSet.after(PlaybackSet))
            .add_systems(
                Update,
                (apply_compare_commands, update_difference)
                    .chain()
                    .in_set(CompareSet),
            );
    }
}

/// Draws the comparison's ghost in the viewport (needs Bevy's gizmos: not a core plugin).
pub struct CompareGhostPlugin;

impl Plugin for CompareGhostPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            PostUpdate,
            draw_ghost
                .in_set(CompareSet)
                .after(TransformSystems::Propagate),
        );
    }
}

/// The open take's primary skeleton joints placed in [`COMPARE_WORLD`], computed once per take
/// content (session generation and motion buffer).
#[derive(Resource, Debug, Default)]
pub struct PrimaryJoints {
    key: Option<(u64, usize, usize)>,
    /// Joints as markers named after the joints, millimetres, Z up, at the motion's rate.
    pub joints: Option<MarkerTrajectories>,
}

/// What the difference was last computed from: comparison generation, primary key, session
/// change tick stand-in, offset bits, items.
type SeriesKey = (u64, Option<(u64, usize, usize)>, u64, u64, CompareItems);

fn apply_compare_commands(
    mut commands: MessageReader<CompareCommand>,
    mut cmp: ResMut<Comparison>,
    session: Res<Session>,
    cleanup: Option<Res<crate::cleanup::Cleanup>>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
    settings: Option<Res<crate::model::settings::Settings>>,
) {
    let now = time.elapsed_secs_f64();
    let up_for_trc = settings.map_or(UpAxis::Y, |s| s.default_up_axis);
    for cmd in commands.read() {
        match cmd {
            CompareCommand::Open(paths) => {
                let what = paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                match load_comparison(paths, up_for_trc) {
                    Ok(c) => {
                        log.push(
                            LogLevel::Info,
                            format!("Comparing with {what}: {}", describe(&c)),
                            now,
                        );
                        set_take(&mut cmp, c);
                    }
                    Err(e) => {
                        log.push(
                            LogLevel::Error,
                            format!("Cannot compare with {what}: {e}"),
                            now,
                        );
                        cmp.message = Some(e);
                    }
                }
            }
            CompareCommand::OpenResolve => {
                match resolve_comparison(session.take.as_ref(), cleanup.as_deref()) {
                    Ok(c) => {
                        log.push(
                            LogLevel::Info,
                            format!("Comparing the re-solve with {}", describe(&c)),
                            now,
                        );
                        set_take(&mut cmp, c);
                    }
                    Err(e) => {
                        log.push(LogLevel::Error, format!("Cannot compare: {e}"), now);
                        cmp.message = Some(e);
                    }
                }
            }
            CompareCommand::Close => {
                cmp.take = None;
                cmp.difference = None;
                cmp.message = None;
                cmp.note = None;
                cmp.generation += 1;
            }
            CompareCommand::SetOffset(s) if s.is_finite() => cmp.offset_s = *s,
            CompareCommand::SetOffset(_) => {}
            CompareCommand::SetLayout(l) => cmp.layout = *l,
            CompareCommand::SetSpacing(m) if m.is_finite() => cmp.spacing_m = m.clamp(-50.0, 50.0),
            CompareCommand::SetSpacing(_) => {}
            CompareCommand::SetShow(b) => cmp.show = *b,
        }
    }
}

fn set_take(cmp: &mut Comparison, c: ComparisonTake) {
    cmp.take = Some(c);
    cmp.difference = None;
    cmp.message = None;
    cmp.generation += 1;
}

fn describe(c: &ComparisonTake) -> String {
    let mut parts = Vec::new();
    if let Some(m) = &c.markers {
        parts.push(format!(
            "{} markers × {} frames at {} Hz",
            m.marker_count(),
            m.frame_count(),
            m.rate
        ));
    }
    if let Some(j) = &c.joints {
        parts.push(format!(
            "{} joints × {} frames at {} Hz",
            j.marker_count(),
            j.frame_count(),
            j.rate
        ));
    }
    format!("{} ({})", c.name, parts.join(", "))
}

/// The placement of a skeleton into [`COMPARE_WORLD`].
fn compare_placement(
    unit: mocap_data::LengthUnit,
    axes: mocap_formats::world::AxisConvention,
) -> Placement {
    Placement::new(
        unit,
        axes,
        TakeWorld {
            unit: COMPARE_WORLD.0,
            up_axis: COMPARE_WORLD.1,
        },
    )
}

/// A skeleton's joints over its motion, placed in [`COMPARE_WORLD`].
fn placed_joints(
    skeleton: &mocap_data::Skeleton,
    motion: &mocap_data::Motion,
    axes: mocap_formats::world::AxisConvention,
) -> Result<MarkerTrajectories, String> {
    let p = compare_placement(skeleton.unit, axes);
    mocap_formats::world::joints_as_markers(skeleton, motion, &p, None).map_err(|e| e.to_string())
}

/// Reads the files of a second take: markers from a C3D or TRC, joints from a BVH or an AMC
/// (its ASF among `paths`, beside it, or the only one in its folder).
pub fn load_comparison(paths: &[PathBuf], up_for_trc: UpAxis) -> Result<ComparisonTake, String> {
    let err = |e: mocap_formats::FormatError| e.to_string();
    let asf = paths
        .iter()
        .find(|p| FileKind::from_path(p) == Some(FileKind::Asf));
    let mut take = ComparisonTake {
        name: String::new(),
        sources: Vec::new(),
        markers: None,
        joints: None,
        parents: Vec::new(),
    };
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file", path.display()));
        }
        match FileKind::from_path(path) {
            Some(FileKind::C3d) => {
                take.markers = Some(mocap_formats::c3d::read_path(path).map_err(err)?.points);
            }
            Some(FileKind::Trc) => {
                let opts = mocap_formats::trc::TrcOptions {
                    up_axis: up_for_trc,
                };
                let f = mocap_formats::trc::read_path_with(path, &opts).map_err(err)?;
                take.markers = Some(f.markers);
            }
            Some(FileKind::Bvh) | Some(FileKind::Amc) => {
                let asf_path = asf.cloned().or_else(|| sibling_asf(path));
                let m =
                    mocap_formats::world::load_motion(path, asf_path.as_deref()).map_err(err)?;
                take.joints = Some(placed_joints(&m.skeleton, &m.motion, m.convention)?);
                take.parents = m.skeleton.joints.iter().map(|j| j.parent).collect();
            }
            Some(FileKind::Asf) => continue,
            _ => {
                return Err(format!(
                    "{}: not a take to compare (expected .c3d, .trc, .bvh, or .amc with its .asf)",
                    path.display()
                ));
            }
        }
        if take.name.is_empty() {
            take.name = path
                .file_stem()
                .map_or_else(|| "comparison".into(), |s| s.to_string_lossy().into_owned());
        }
        take.sources.push(path.clone());
    }
    if take.markers.is_none() && take.joints.is_none() {
        return Err(
            "nothing to compare: give a C3D or TRC take, or a BVH or AMC motion (with its ASF)"
                .into(),
        );
    }
    Ok(take)
}

fn sibling_asf(amc: &Path) -> Option<PathBuf> {
    if FileKind::from_path(amc) != Some(FileKind::Amc) {
        return None;
    }
    let s = amc.with_extension("asf");
    if s.exists() {
        return Some(s);
    }
    crate::session::single_asf_in(amc.parent().unwrap_or(Path::new(".")))
}

/// The motion the take was opened with, as the comparison of its re-solve (shown as the take's
/// skeleton): needs a re-solve and an opened skeleton motion.
fn resolve_comparison(
    take: Option<&Take>,
    cleanup: Option<&crate::cleanup::Cleanup>,
) -> Result<ComparisonTake, String> {
    let take = take.ok_or("no take is open")?;
    if take.solved.is_none() {
        return Err("the take has no re-solve: Cleanup → Re-solve first".into());
    }
    let (skeleton, motion) = cleanup
        .and_then(|c| c.motion.original())
        .ok_or("the take was opened without a skeleton motion: there is nothing to compare the re-solve with")?;
    Ok(ComparisonTake {
        name: format!("{} (opened motion)", take.name),
        sources: take.sources.clone(),
        markers: None,
        joints: Some(placed_joints(skeleton, motion, take.skeleton_axes)?),
        parents: skeleton.joints.iter().map(|j| j.parent).collect(),
    })
}

/// Keeps [`PrimaryJoints`] for the take's current skeleton motion.
fn refresh_primary(take: &Take, generation: u64, primary: &mut PrimaryJoints) {
    let key = take
        .motion
        .as_ref()
        .map(|m| (generation, m.values.as_ptr() as usize, m.values.len()));
    if key == primary.key && (key.is_none() || primary.joints.is_some()) {
        return;
    }
    primary.key = key;
    primary.joints = take
        .skeleton
        .as_ref()
        .zip(take.motion.as_ref())
        .and_then(|(sk, m)| placed_joints(sk, m, take.actor_axes(0)).ok());
}

/// The sets to measure: (items, the take's, the comparison's).
fn measured_sets<'a>(
    take: &'a Take,
    primary: &'a PrimaryJoints,
    c: &'a ComparisonTake,
) -> Option<(CompareItems, &'a MarkerTrajectories, &'a MarkerTrajectories)> {
    use CompareItems::{Joints, Markers};
    match (
        primary.joints.as_ref(),
        take.markers.as_ref(),
        c.joints.as_ref(),
        c.markers.as_ref(),
    ) {
        (Some(a), _, Some(b), _) => Some((Joints, a, b)),
        (_, Some(a), _, Some(b)) => Some((Markers, a, b)),
        (_, Some(a), Some(b), None) => Some((Markers, a, b)),
        (Some(a), None, None, Some(b)) => Some((Joints, a, b)),
        _ => None,
    }
}

fn update_difference(
    session: Res<Session>,
    playback: Res<Playback>,
    mut cmp: ResMut<Comparison>,
    mut primary: ResMut<PrimaryJoints>,
    mut last: Local<Option<SeriesKey>>,
    mut session_changes: Local<u64>,
) {
    let Some(take) = session.take.as_ref() else {
        if cmp.difference.is_some() {
            cmp.difference = None;
        }
        return;
    };
    if cmp.take.is_none() {
        if cmp.difference.is_some() {
            cmp.difference = None;
        }
        return;
    }
    if session.is_changed() {
        *session_changes += 1;
    }
    refresh_primary(take, session.generation, &mut primary);
    let cmp = cmp.as_mut();
    let Some(c) = cmp.take.as_ref() else { return };
    let Some((items, a, b)) = measured_sets(take, &primary, c) else {
        cmp.difference = None;
        cmp.note = Some(
            "the take and the comparison have nothing alike to measure (markers or a skeleton)"
                .into(),
        );
        return;
    };
    let key: SeriesKey = (
        cmp.generation,
        primary.key,
        *session_changes,
        cmp.offset_s.to_bits(),
        items,
    );
    let frame = take_frame_in(take.rate, playback.frame(), a);
    if last.as_ref() != Some(&key) || cmp.difference.is_none() {
        let series = mocap_solver::compare::difference_series(a, b, cmp.offset_s);
        let labels = series
            .pairs
            .iter()
            .map(|(i, _)| a.labels.get(*i).cloned().unwrap_or_default())
            .collect();
        cmp.note = series.pairs.is_empty().then(|| {
            format!(
                "no {} of the take and the comparison share a name",
                match items {
                    CompareItems::Joints => "joints",
                    CompareItems::Markers => "markers",
                }
            )
        });
        cmp.difference = Some(Difference {
            items,
            rate: a.rate,
            labels,
            series,
            frame: usize::MAX,
            at_frame: Vec::new(),
            totals: (a.marker_count(), b.marker_count()),
        });
        *last = Some(key);
    }
    if let Some(d) = cmp.difference.as_mut()
        && d.frame != frame
    {
        d.at_frame =
            mocap_solver::compare::distances_at(a, b, &d.series.pairs, frame, cmp.offset_s);
        d.frame = frame;
    }
}

/// The frame of `set` (frame 0 at the take's frame 0, its own rate) at take frame `frame`.
fn take_frame_in(
    take_rate: mocap_data::FrameRate,
    frame: FrameIndex,
    set: &MarkerTrajectories,
) -> FrameIndex {
    motion_frame(take_rate, frame, set.rate, set.frame_count())
}

/// The comparison's frame of `set` shown at take frame `frame`, `None` outside it.
pub fn comparison_frame(
    take_rate: mocap_data::FrameRate,
    frame: FrameIndex,
    offset_s: f64,
    set: &MarkerTrajectories,
) -> Option<FrameIndex> {
    mocap_solver::compare::frame_at(take_rate, frame, offset_s, set.rate, set.frame_count())
}

/// Ghost colour: translucent white (markers are blue/orange/yellow by side, bones green, the
/// clean-up ghost magenta).
pub const GHOST: Color = Color::srgba(0.92, 0.92, 0.98, 0.5);

fn draw_ghost(
    cmp: Res<Comparison>,
    session: Res<Session>,
    playback: Res<Playback>,
    settings: Option<Res<crate::model::settings::Settings>>,
    mut gizmos: Gizmos,
) {
    let Some(c) = cmp.take.as_ref().filter(|_| cmp.show) else {
        return;
    };
    let rate = session.take.as_ref().map_or(playback.rate, |t| t.rate);
    let frame = playback.frame();
    let shift = match cmp.layout {
        CompareLayout::Overlay => Vec3::ZERO,
        CompareLayout::SideBySide => Vec3::X * cmp.spacing_m,
    };
    let r = settings.map_or(14.0, |s| s.marker_radius_mm) / 1000.0;
    if let Some(m) = &c.markers
        && let Some(f) = comparison_frame(rate, frame, cmp.offset_s, m)
    {
        let space = crate::viewport::take_space_transform(m.unit, m.up_axis);
        for k in 0..m.marker_count() {
            if let Some(p) = m.position(f, k)
                && p.iter().all(|v| v.is_finite())
            {
                let at = space.transform_point(Vec3::from_array(p)) + shift;
                gizmos.sphere(Isometry3d::from_translation(at), r, GHOST);
            }
        }
    }
    if let Some(j) = &c.joints
        && let Some(f) = comparison_frame(rate, frame, cmp.offset_s, j)
    {
        let space = crate::viewport::take_space_transform(COMPARE_WORLD.0, COMPARE_WORLD.1);
        let at = |k: usize| {
            j.position(f, k)
                .filter(|p| p.iter().all(|v| v.is_finite()))
                .map(|p| space.transform_point(Vec3::from_array(p)) + shift)
        };
        for k in 0..j.marker_count() {
            let Some(p) = at(k) else { continue };
            gizmos.sphere(Isometry3d::from_translation(p), r * 0.8, GHOST);
            if let Some(q) = c.parents.get(k).copied().flatten().and_then(at) {
                gizmos.line(q, p, GHOST);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$MOCAP_TEST_DATA/rel`; unset: a notice and `None`.
    fn data(rel: &str) -> Option<PathBuf> {
        let Some(root) = std::env::var_os("MOCAP_TEST_DATA") else {
            eprintln!("MOCAP_TEST_DATA unset: skipping");
            return None;
        };
        let p = PathBuf::from(root).join(rel);
        assert!(p.exists(), "missing corpus file {}", p.display());
        Some(p)
    }

    #[test]
    fn an_amc_loads_with_its_asf_beside_it_as_placed_joints() {
        let Some(amc) = data("c3d_plus_skeleton/cmu_subject39_walk/39_01.amc") else {
            return;
        };
        let c = load_comparison(std::slice::from_ref(&amc), UpAxis::Y).expect("loads");
        let j = c.joints.expect("joints");
        assert_eq!(c.parents.len(), j.marker_count());
        assert_eq!((j.unit, j.up_axis), COMPARE_WORLD);
        assert!(c.markers.is_none());
        assert_eq!(c.name, "39_01");
        let e = load_comparison(&[PathBuf::from("Cargo.toml")], UpAxis::Y).unwrap_err();
        assert!(e.contains("not a take to compare"), "{e}");
    }
}
