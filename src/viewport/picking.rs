//! Picking markers and joints with the mouse, and the selection they set.

#[allow(unused_imports)]
use super::*;

/// The selected marker or joint (UI state, not an undoable edit). At most one of the two is set:
/// picking one clears the other.
#[derive(Resource, Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Index into the take's marker trajectories.
    pub marker: Option<usize>,
    /// Index into the joints of actor `actor`'s skeleton.
    pub joint: Option<usize>,
    /// The actor whose joint is selected (0: the primary skeleton).
    pub actor: usize,
}

impl Selection {
    /// Selects marker `k` (or nothing), clearing any joint.
    pub fn select_marker(&mut self, k: Option<usize>) {
        self.marker = k;
        self.joint = None;
        self.actor = 0;
    }

    /// Selects joint `j` of the primary skeleton (or nothing), clearing any marker.
    pub fn select_joint(&mut self, j: Option<usize>) {
        self.select_actor_joint(0, j);
    }

    /// Selects joint `j` of actor `actor` (or nothing), clearing any marker.
    pub fn select_actor_joint(&mut self, actor: usize, j: Option<usize>) {
        self.joint = j;
        self.actor = if j.is_some() { actor } else { 0 };
        self.marker = None;
    }
}

/// A marker to select once the take is loaded (`mocap-studio --marker LABEL`).
#[derive(Resource, Debug, Clone)]
pub struct StartupMarker(pub String);

/// A joint to select once the take is loaded (`mocap-studio --joint NAME`).
#[derive(Resource, Debug, Clone)]
pub struct StartupJoint(pub String);

pub(crate) fn select_startup_joint(
    mut commands: Commands,
    wanted: Option<Res<StartupJoint>>,
    session: Res<Session>,
    mut selection: ResMut<Selection>,
    mut log: ResMut<crate::model::log::AppLog>,
) {
    let Some(wanted) = wanted else { return };
    let Some(sk) = session.take.as_ref().and_then(|t| t.skeleton.as_ref()) else {
        return;
    };
    match sk.joint_index(&wanted.0) {
        Some(j) => selection.select_joint(Some(j)),
        None => log.push(
            crate::model::log::LogLevel::Warning,
            format!(
                "--joint {}: the skeleton has no joint with that name",
                wanted.0
            ),
            0.0,
        ),
    }
    commands.remove_resource::<StartupJoint>();
}

pub(crate) fn select_startup_marker(
    mut commands: Commands,
    wanted: Option<Res<StartupMarker>>,
    session: Res<Session>,
    mut selection: ResMut<Selection>,
    mut log: ResMut<crate::model::log::AppLog>,
) {
    let Some(wanted) = wanted else { return };
    let Some(markers) = session.take.as_ref().and_then(|t| t.markers.as_ref()) else {
        return;
    };
    match markers.labels.iter().position(|l| *l == wanted.0) {
        Some(k) => selection.select_marker(Some(k)),
        None => log.push(
            crate::model::log::LogLevel::Warning,
            format!(
                "--marker {}: the take has no marker with that label",
                wanted.0
            ),
            0.0,
        ),
    }
    commands.remove_resource::<StartupMarker>();
}

pub(crate) fn pick(
    input: Res<ViewportInput>,
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    windows: Query<&Window>,
    cams: Query<(&Camera, &GlobalTransform), With<SceneCamera>>,
    world: Res<MarkerWorld>,
    settings: Res<Settings>,
    joints: Query<(&JointEntity, &GlobalTransform)>,
    characters: Option<Res<CharacterStatus>>,
    mut selection: ResMut<Selection>,
) {
    if !input.hovered
        || !buttons.just_pressed(MouseButton::Left)
        || keys.any_pressed([KeyCode::AltLeft, KeyCode::AltRight])
    {
        return;
    }
    let (Ok(window), Ok((camera, cam_t))) = (windows.single(), cams.single()) else {
        return;
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    // `world_to_viewport` answers in logical window pixels (the camera's viewport offset is
    // included), like the cursor.
    let local = cursor;
    let markers: &[Option<Vec3>] = if settings.show_markers {
        &world.positions
    } else {
        &[]
    };
    // Joints are pickable where they are drawn: bones shown and no glTF character driven.
    let mut joint_pos: Vec<Option<Vec3>> = Vec::new();
    let mut joint_ids: Vec<(usize, usize)> = Vec::new();
    if settings.show_bones && characters.is_none_or(|c| c.driven == 0) {
        for (je, gt) in &joints {
            joint_pos.push(Some(gt.translation()));
            joint_ids.push((je.actor, je.index));
        }
    }
    let project = |p: Vec3| camera.world_to_viewport(cam_t, p).ok();
    match pick_marker_or_joint(markers, &joint_pos, local, 12.0, project) {
        Some(Picked::Marker(k)) => selection.select_marker(Some(k)),
        Some(Picked::Joint(j)) => {
            let (actor, index) = joint_ids[j];
            selection.select_actor_joint(actor, Some(index));
        }
        None => *selection = Selection::default(),
    }
}

/// The marker or joint whose projection is nearest to `cursor` (logical window pixels), within
/// `max_px`; a marker wins a tie (markers sit on the body, joints inside it).
pub fn pick_marker_or_joint(
    markers: &[Option<Vec3>],
    joints: &[Option<Vec3>],
    cursor: Vec2,
    max_px: f32,
    project: impl Fn(Vec3) -> Option<Vec2>,
) -> Option<Picked> {
    let nearest = |ps: &[Option<Vec3>]| {
        ps.iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let d = project((*p)?)?.distance(cursor);
                (d <= max_px).then_some((i, d))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    match (nearest(markers), nearest(joints)) {
        (Some((m, dm)), Some((j, dj))) => Some(if dj < dm {
            Picked::Joint(j)
        } else {
            Picked::Marker(m)
        }),
        (Some((m, _)), None) => Some(Picked::Marker(m)),
        (None, Some((j, _))) => Some(Picked::Joint(j)),
        (None, None) => None,
    }
}

/// Index of the marker whose projection is nearest to `cursor` (viewport pixels), within
/// `max_px`.
pub fn pick_nearest(
    positions: &[Option<Vec3>],
    cursor: Vec2,
    max_px: f32,
    project: impl Fn(Vec3) -> Option<Vec2>,
) -> Option<usize> {
    match pick_marker_or_joint(positions, &[], cursor, max_px, project) {
        Some(Picked::Marker(k)) => Some(k),
        _ => None,
    }
}
