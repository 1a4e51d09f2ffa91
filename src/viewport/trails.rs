//! Marker trails (±N frames around the playhead) and clean-up ghosts (raw vs cleaned positions).

#[allow(unused_imports)]
use super::*;

/// Trails for this run (`mocap-studio --trails N`), applied over the saved settings once they
/// are loaded, without saving them.
#[derive(Resource, Debug, Clone, Copy)]
pub struct TrailOverride {
    /// Frames either side of the playhead.
    pub frames: u32,
    /// Every marker (else the selected one).
    pub all: bool,
}

pub(crate) fn apply_trail_override(
    mut commands: Commands,
    wanted: Option<Res<TrailOverride>>,
    mut settings: ResMut<Settings>,
    session: Res<Session>,
) {
    let Some(t) = wanted else { return };
    // Wait for the take, by which time the saved settings have been loaded.
    if session.take.is_none() {
        return;
    }
    settings.trail_frames = t.frames;
    settings.trail_all = t.all;
    commands.remove_resource::<TrailOverride>();
}

/// Marker trails: each shown marker's path over `±settings.trail_frames` frames around the
/// playhead, in its marker colour, fading with distance in time; a gap breaks the line. Only
/// the selected marker unless `settings.trail_all`.
pub(crate) fn draw_trails(
    session: Res<Session>,
    settings: Res<Settings>,
    playback: Res<Playback>,
    selection: Res<Selection>,
    clouds: Query<&ChildOf, With<MarkerCloud>>,
    roots: Query<&Transform, With<TakeSpace>>,
    mut gizmos: Gizmos,
) {
    let n = settings.trail_frames as usize;
    if n == 0 || !settings.show_markers {
        return;
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let Some(markers) = take.markers.as_ref() else {
        return;
    };
    if markers.frame_count() == 0 {
        return;
    }
    let Some(space) = marker_space(&clouds, &roots) else {
        return;
    };
    let f = playback.frame().min(markers.frame_count() - 1);
    let (a, b) = trail_window(f, n, markers.frame_count());
    let which: Vec<usize> = if settings.trail_all {
        (0..markers.marker_count()).collect()
    } else {
        selection.marker.into_iter().collect()
    };
    for k in which {
        if k >= markers.marker_count() {
            continue;
        }
        let seg = take.marker_segments.get(k).and_then(|s| s.as_deref());
        let [r, g, bl] = marker_colour(&settings, seg, &markers.labels[k]);
        let base = Color::srgb_u8(r, g, bl);
        let mut run: Vec<(Vec3, Color)> = Vec::new();
        for t in a..=b {
            match markers.position(t, k) {
                Some(p) if p.iter().all(|c| c.is_finite()) => {
                    let age = t.abs_diff(f) as f32 / n as f32;
                    run.push((
                        space.transform_point(Vec3::from_array(p)),
                        base.with_alpha(1.0 - 0.85 * age),
                    ));
                }
                _ => {
                    if run.len() > 1 {
                        gizmos.linestrip_gradient(run.drain(..));
                    }
                    run.clear();
                }
            }
        }
        if run.len() > 1 {
            gizmos.linestrip_gradient(run);
        }
    }
}

/// Frames `[a, b]` (inclusive) of a trail of `n` frames either side of `frame` in a take of
/// `frames` frames.
pub fn trail_window(frame: usize, n: usize, frames: usize) -> (usize, usize) {
    let last = frames.saturating_sub(1);
    let f = frame.min(last);
    (f.saturating_sub(n), (f + n).min(last))
}

/// Clean-up before/after in the viewport: where the operation stack moved a marker at the
/// current frame, a faint ghost at its raw (captured) position joined to the cleaned one; a
/// filled gap has no ghost, only a ring around the filled marker.
pub(crate) fn draw_cleanup_ghosts(
    session: Res<Session>,
    settings: Res<Settings>,
    playback: Res<Playback>,
    cleanup: Option<Res<crate::cleanup::Cleanup>>,
    clouds: Query<&ChildOf, With<MarkerCloud>>,
    roots: Query<&Transform, With<TakeSpace>>,
    mut gizmos: Gizmos,
) {
    if !settings.show_markers {
        return;
    }
    let (Some(cleanup), Some(take)) = (cleanup, session.take.as_ref()) else {
        return;
    };
    let (Some(raw), Some(now)) = (cleanup.raw(), take.markers.as_ref()) else {
        return;
    };
    if take.cleanup.entries.is_empty()
        || raw.marker_count() != now.marker_count()
        || raw.frame_count() != now.frame_count()
        || now.frame_count() == 0
    {
        return;
    }
    let Some(space) = marker_space(&clouds, &roots) else {
        return;
    };
    let f = playback.frame().min(now.frame_count() - 1);
    let ghost = Color::srgba(1.0, 0.35, 1.0, 0.55);
    let filled = Color::srgba(0.4, 1.0, 0.9, 0.8);
    let r = settings.marker_radius_mm / 1000.0;
    for k in 0..now.marker_count() {
        let after = now.position(f, k);
        let before = raw.position(f, k);
        let to_world = |p: [f32; 3]| space.transform_point(Vec3::from_array(p));
        match (before, after) {
            (Some(b), Some(a)) if b != a => {
                let (b, a) = (to_world(b), to_world(a));
                gizmos.sphere(Isometry3d::from_translation(b), r, ghost);
                gizmos.line(b, a, ghost);
            }
            (None, Some(a)) => {
                gizmos.sphere(Isometry3d::from_translation(to_world(a)), r * 1.8, filled);
            }
            (Some(b), None) => {
                gizmos.sphere(Isometry3d::from_translation(to_world(b)), r, ghost);
            }
            _ => {}
        }
    }
}
