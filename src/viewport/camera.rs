//! The viewport camera: orbit / pan / dolly with DCC conventions, framing and view presets.
//!
//! Bindings (pointer over the Viewport tab, egui not using the pointer):
//! - Maya / MotionBuilder: Alt+LMB orbit, Alt+MMB pan, Alt+RMB dolly;
//! - trackpad/mouse friendly: MMB orbit, Shift+MMB pan, wheel dolly;
//! - F frames the selection (or everything); views front / side / top (orthographic) and
//!   perspective from the View menu or numpad 1 / 3 / 7 / 5.
//!
//! Everything here is in Bevy world space: metres, Y-up.

use crate::model::commands::{CameraCommand, ViewPreset};
use bevy::camera::ScalingMode;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll, MouseScrollUnit};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

/// Camera systems.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CameraSet;

/// Spawns the 3D camera and drives it from input and [`CameraCommand`]s.
pub struct CameraPlugin;

impl Plugin for CameraPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ViewportInput>()
            .init_resource::<SceneBounds>()
            .add_message::<CameraCommand>()
            .add_systems(Startup, spawn_camera)
            .add_systems(
                Update,
                (
                    orbit_input,
                    apply_camera_commands,
                    follow_performers,
                    update_camera_transform,
                )
                    .chain()
                    .in_set(CameraSet),
            );
    }
}

/// Where the 3D view is on screen and whether it may take pointer input (written by the UI).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct ViewportInput {
    /// Viewport rectangle in logical window pixels (None when the tab is hidden).
    pub rect: Option<Rect>,
    /// Pointer is over the viewport and egui is not using it.
    pub hovered: bool,
    /// egui has keyboard focus (text fields): camera shortcuts are ignored.
    pub keyboard_captured: bool,
}

/// World-space (m, Y-up) bounds of what the viewport shows, for framing (written by the viewport).
#[derive(Resource, Debug, Clone, Copy, Default)]
pub struct SceneBounds {
    /// Bounds of everything visible at the current frame.
    pub all: Option<(Vec3, Vec3)>,
    /// Bounds of the selection at the current frame.
    pub selection: Option<(Vec3, Vec3)>,
    /// Bounds of the whole take over all its frames (where the performance happens).
    pub take: Option<(Vec3, Vec3)>,
}

/// Orbit camera state. The camera looks at `focus` from `distance` metres away along the
/// direction given by `yaw` (about +Y) and `pitch` (elevation), radians.
#[derive(Component, Debug, Clone, Copy, PartialEq)]
pub struct OrbitCamera {
    /// Point orbited around, world metres.
    pub focus: Vec3,
    /// Distance from focus, metres.
    pub distance: f32,
    /// Azimuth, radians (0 = camera on +Z looking towards −Z).
    pub yaw: f32,
    /// Elevation, radians (positive = above the focus).
    pub pitch: f32,
    /// Current preset (orthographic for front/side/top).
    pub preset: ViewPreset,
}

impl Default for OrbitCamera {
    fn default() -> Self {
        Self {
            focus: Vec3::new(0.0, 0.9, 0.0),
            distance: 6.5,
            yaw: 0.6,
            pitch: 0.28,
            preset: ViewPreset::Perspective,
        }
    }
}

impl OrbitCamera {
    /// Camera position in world space.
    pub fn eye(&self) -> Vec3 {
        let dir = Vec3::new(
            self.pitch.cos() * self.yaw.sin(),
            self.pitch.sin(),
            self.pitch.cos() * self.yaw.cos(),
        );
        self.focus + dir * self.distance
    }

    /// Orbits by pointer motion in logical pixels.
    pub fn orbit(&mut self, delta: Vec2) {
        self.yaw -= delta.x * 0.008;
        self.pitch = (self.pitch + delta.y * 0.008).clamp(-1.55, 1.55);
        self.preset = ViewPreset::Perspective;
    }

    /// Pans by pointer motion in logical pixels, for a viewport `height_px` tall.
    pub fn pan(&mut self, delta: Vec2, height_px: f32) {
        let t = Transform::from_translation(self.eye()).looking_at(self.focus, Vec3::Y);
        // World metres per pixel at the focus distance (45° vertical field of view).
        let scale = 2.0 * self.distance * (std::f32::consts::FRAC_PI_8).tan() / height_px.max(1.0);
        self.focus += (-t.right() * delta.x + t.up() * delta.y) * scale;
    }

    /// Dollies by a factor (`> 1` moves away).
    pub fn dolly(&mut self, factor: f32) {
        self.distance = (self.distance * factor).clamp(0.05, 5000.0);
    }

    /// Dollies by `factor` towards (`< 1`) or away from the point under the cursor, given as
    /// normalised viewport coordinates (`ndc`: −1…1, +Y up) in a viewport of `aspect` (width /
    /// height): that point stays under the cursor, as zooming does in Maya or MotionBuilder.
    pub fn dolly_towards(&mut self, factor: f32, ndc: Vec2, aspect: f32) {
        let t = Transform::from_translation(self.eye()).looking_at(self.focus, self.up());
        // Half-height of the view at the focus distance (45° field of view; orthographic views
        // show `distance × 0.83` metres).
        let half_h = if self.preset == ViewPreset::Perspective {
            self.distance * std::f32::consts::FRAC_PI_8.tan()
        } else {
            self.distance * 0.415
        };
        let half_w = half_h * aspect.clamp(0.2, 5.0);
        let under = self.focus + t.right() * (ndc.x * half_w) + t.up() * (ndc.y * half_h);
        let before = self.distance;
        self.dolly(factor);
        let k = self.distance / before;
        self.focus = under + (self.focus - under) * k;
    }

    /// The camera's up vector (the top view looks down −Y with −Z up).
    pub fn up(&self) -> Vec3 {
        if self.preset == ViewPreset::Top {
            Vec3::NEG_Z
        } else {
            Vec3::Y
        }
    }

    /// Frames a world-space box in a viewport of the given aspect ratio (width / height).
    pub fn frame(&mut self, min: Vec3, max: Vec3, aspect: f32) {
        self.focus = (min + max) * 0.5;
        let half = ((max - min) * 0.5).max(Vec3::splat(0.025));
        // Fit the box's vertical half-extent in the 45° vertical field of view and its
        // horizontal radius in the horizontal one, then back off by the depth half-extent.
        let tan_v = (std::f32::consts::FRAC_PI_8).tan();
        let tan_h = tan_v * aspect.clamp(0.2, 5.0);
        let horizontal = half.x.hypot(half.z);
        let d = (half.y / tan_v).max(horizontal / tan_h);
        self.distance = (d * 1.08 + horizontal * 0.6).clamp(0.05, 5000.0);
    }

    /// Applies a view preset.
    pub fn set_view(&mut self, preset: ViewPreset) {
        let (yaw, pitch) = match preset {
            ViewPreset::Perspective => (0.6, 0.28),
            ViewPreset::Front => (0.0, 0.0),
            ViewPreset::Side => (std::f32::consts::FRAC_PI_2, 0.0),
            // Just short of straight down so the look-at basis stays defined.
            ViewPreset::Top => (0.0, std::f32::consts::FRAC_PI_2 - 1e-4),
        };
        self.yaw = yaw;
        self.pitch = pitch;
        self.preset = preset;
    }
}

/// Marks the 3D scene camera.
#[derive(Component, Debug)]
pub struct SceneCamera;

fn spawn_camera(mut commands: Commands) {
    let orbit = OrbitCamera::default();
    commands.spawn((
        Name::new("Scene camera"),
        SceneCamera,
        Camera3d::default(),
        Camera {
            order: 0,
            ..default()
        },
        Projection::Perspective(PerspectiveProjection {
            fov: std::f32::consts::FRAC_PI_4,
            near: 0.02,
            far: 2000.0,
            ..default()
        }),
        Transform::from_translation(orbit.eye()).looking_at(orbit.focus, Vec3::Y),
        orbit,
    ));
}

/// Which interaction a drag performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DragMode {
    /// Rotate around the focus.
    Orbit,
    /// Move the focus in the view plane.
    Pan,
    /// Move towards / away from the focus.
    Dolly,
}

/// Maps held buttons and modifiers to a drag mode (DCC conventions, see module docs).
pub fn drag_mode(
    alt: bool,
    shift: bool,
    left: bool,
    middle: bool,
    right: bool,
) -> Option<DragMode> {
    if alt {
        if left {
            return Some(DragMode::Orbit);
        }
        if middle {
            return Some(DragMode::Pan);
        }
        if right {
            return Some(DragMode::Dolly);
        }
        return None;
    }
    if middle {
        return Some(if shift {
            DragMode::Pan
        } else {
            DragMode::Orbit
        });
    }
    None
}

#[derive(Default)]
struct DragState {
    active: bool,
}

fn orbit_input(
    input: Res<ViewportInput>,
    windows: Query<&Window, With<PrimaryWindow>>,
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    mut cams: Query<&mut OrbitCamera>,
    mut drag: Local<DragState>,
) {
    let Ok(mut cam) = cams.single_mut() else {
        return;
    };
    let any = buttons.any_pressed([MouseButton::Left, MouseButton::Middle, MouseButton::Right]);
    if !any {
        drag.active = false;
    } else if input.hovered
        && buttons.any_just_pressed([MouseButton::Left, MouseButton::Middle, MouseButton::Right])
    {
        drag.active = true;
    }
    let alt = keys.any_pressed([KeyCode::AltLeft, KeyCode::AltRight]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    let height = input.rect.map_or(720.0, |r| r.height());
    if drag.active {
        let mode = drag_mode(
            alt,
            shift,
            buttons.pressed(MouseButton::Left),
            buttons.pressed(MouseButton::Middle),
            buttons.pressed(MouseButton::Right),
        );
        let d = motion.delta;
        match mode {
            Some(DragMode::Orbit) => cam.orbit(d),
            Some(DragMode::Pan) => cam.pan(d, height),
            Some(DragMode::Dolly) => cam.dolly((1.0f32 + 0.005).powf(d.x - d.y)),
            None => {}
        }
    }
    // The wheel acts only with the pointer over the viewport now (the hover flag is a frame
    // old: a wheel turned just after leaving it for a panel must scroll the panel only).
    let cursor = windows.single().ok().and_then(Window::cursor_position);
    let over = match (cursor, input.rect) {
        (Some(c), Some(r)) => input.hovered && r.contains(c),
        _ => input.hovered,
    };
    if over && scroll.delta.y != 0.0 {
        let lines = match scroll.unit {
            MouseScrollUnit::Line => scroll.delta.y,
            MouseScrollUnit::Pixel => scroll.delta.y / 40.0,
        };
        let factor = 0.88f32.powf(lines);
        match (cursor, input.rect) {
            (Some(c), Some(r)) if r.width() > 1.0 && r.height() > 1.0 => {
                let ndc = Vec2::new(
                    (c.x - r.min.x) / r.width() * 2.0 - 1.0,
                    1.0 - (c.y - r.min.y) / r.height() * 2.0,
                );
                cam.dolly_towards(factor, ndc, r.width() / r.height());
            }
            _ => cam.dolly(factor),
        }
    }
}

fn apply_camera_commands(
    mut commands: MessageReader<CameraCommand>,
    bounds: Res<SceneBounds>,
    input: Res<ViewportInput>,
    mut cams: Query<&mut OrbitCamera>,
    mut settings: Option<ResMut<crate::model::settings::Settings>>,
) {
    let aspect = input
        .rect
        .map_or(16.0 / 9.0, |r| r.width() / r.height().max(1.0));
    let Ok(mut cam) = cams.single_mut() else {
        commands.clear();
        return;
    };
    for cmd in commands.read() {
        match cmd {
            CameraCommand::Frame => {
                if let Some((a, b)) = bounds.selection.or(bounds.all) {
                    cam.frame(a, b, aspect);
                }
            }
            CameraCommand::View(p) => cam.set_view(*p),
            CameraCommand::FrameAll => {
                if let Some((a, b)) = bounds.all {
                    cam.frame(a, b, aspect);
                }
            }
            CameraCommand::FrameTake => {
                if let Some((a, b)) = bounds.take.or(bounds.all) {
                    cam.frame(a, b, aspect);
                }
            }
            CameraCommand::ToggleFollow => {
                if let Some(s) = settings.as_mut() {
                    s.follow_performers = !s.follow_performers;
                }
            }
        }
    }
}

/// Seconds for the followed focus to close half its distance to the performers' centroid.
pub const FOLLOW_HALF_LIFE_S: f32 = 0.12;

/// Where the performers are (world metres): the centroid of the markers seen this frame, else
/// of the skeletons' root joints; `None` when nothing is on stage.
pub fn performers_centroid(markers: &[Option<Vec3>], roots: &[Vec3]) -> Option<Vec3> {
    let mean = |it: &mut dyn Iterator<Item = Vec3>| {
        let (sum, n) = it
            .filter(|p| p.is_finite())
            .fold((Vec3::ZERO, 0u32), |(s, n), p| (s + p, n + 1));
        (n > 0).then(|| sum / n as f32)
    };
    mean(&mut markers.iter().flatten().copied()).or_else(|| mean(&mut roots.iter().copied()))
}

/// One frame of following: the focus eases from `focus` towards `target` (exponentially, half
/// the way every [`FOLLOW_HALF_LIFE_S`]), so a jump of the centroid (a marker dropping out)
/// never jerks the view; independent of the frame rate.
pub fn follow_step(focus: Vec3, target: Vec3, dt_s: f32) -> Vec3 {
    let k = 1.0 - 0.5f32.powf(dt_s.max(0.0) / FOLLOW_HALF_LIFE_S);
    focus + (target - focus) * k
}

/// With [`crate::model::settings::Settings::follow_performers`] on, keeps the orbit focus on the
/// performers (the user's orbit and dolly stay: only the focus moves). A driven glTF character
/// already carries the focus with its hips (`CharacterPlugin`), so then nothing is added here.
fn follow_performers(
    settings: Option<Res<crate::model::settings::Settings>>,
    markers: Option<Res<crate::viewport::MarkerWorld>>,
    joints: Query<(&crate::viewport::JointEntity, &GlobalTransform)>,
    characters: Option<Res<crate::model::scene::CharacterStatus>>,
    time: Res<Time<Real>>,
    mut cams: Query<&mut OrbitCamera>,
) {
    if !settings.is_some_and(|s| s.follow_performers) || characters.is_some_and(|c| c.driven > 0) {
        return;
    }
    let roots: Vec<Vec3> = joints
        .iter()
        .filter(|(j, _)| j.index == 0)
        .map(|(_, g)| g.translation())
        .collect();
    let shown: &[Option<Vec3>] = markers.as_ref().map_or(&[], |m| &m.positions);
    let (Some(target), Ok(mut cam)) = (performers_centroid(shown, &roots), cams.single_mut())
    else {
        return;
    };
    let next = follow_step(cam.focus, target, time.delta_secs());
    if next.distance_squared(cam.focus) > 1e-12 {
        cam.focus = next;
    }
}

fn update_camera_transform(
    mut cams: Query<(&OrbitCamera, &mut Transform, &mut Projection), Changed<OrbitCamera>>,
) {
    for (orbit, mut t, mut proj) in &mut cams {
        *t = Transform::from_translation(orbit.eye()).looking_at(orbit.focus, orbit.up());
        let want_ortho = orbit.preset != ViewPreset::Perspective;
        match (&mut *proj, want_ortho) {
            (Projection::Orthographic(o), true) => {
                o.scaling_mode = ScalingMode::FixedVertical {
                    viewport_height: orbit.distance * 0.83,
                };
            }
            (Projection::Perspective(_), false) => {}
            (_, true) => {
                *proj = Projection::Orthographic(OrthographicProjection {
                    scaling_mode: ScalingMode::FixedVertical {
                        viewport_height: orbit.distance * 0.83,
                    },
                    near: -1000.0,
                    far: 1000.0,
                    ..OrthographicProjection::default_3d()
                });
            }
            (_, false) => {
                *proj = Projection::Perspective(PerspectiveProjection {
                    fov: std::f32::consts::FRAC_PI_4,
                    near: 0.02,
                    far: 2000.0,
                    ..default()
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dcc_bindings() {
        assert_eq!(
            drag_mode(true, false, true, false, false),
            Some(DragMode::Orbit)
        );
        assert_eq!(
            drag_mode(true, false, false, true, false),
            Some(DragMode::Pan)
        );
        assert_eq!(
            drag_mode(true, false, false, false, true),
            Some(DragMode::Dolly)
        );
        assert_eq!(
            drag_mode(false, false, true, false, false),
            None,
            "LMB selects"
        );
        assert_eq!(
            drag_mode(false, false, false, true, false),
            Some(DragMode::Orbit)
        );
        assert_eq!(
            drag_mode(false, true, false, true, false),
            Some(DragMode::Pan)
        );
    }

    #[test]
    fn following_eases_onto_the_performers_centroid() {
        let markers = [
            Some(Vec3::new(1.0, 1.0, 0.0)),
            None,
            Some(Vec3::new(3.0, 1.0, 2.0)),
            Some(Vec3::NAN),
        ];
        let roots = [Vec3::new(9.0, 1.0, 9.0)];
        assert_eq!(
            performers_centroid(&markers, &roots),
            Some(Vec3::new(2.0, 1.0, 1.0)),
            "markers first, gaps and NaN skipped"
        );
        assert_eq!(performers_centroid(&[None], &roots), Some(roots[0]));
        assert_eq!(performers_centroid(&[], &[]), None);
        // Half the way per half-life, the same at 30 or 240 frames per second.
        let target = Vec3::new(2.0, 0.0, 0.0);
        let half = follow_step(Vec3::ZERO, target, FOLLOW_HALF_LIFE_S);
        assert!((half.x - 1.0).abs() < 1e-5, "{half}");
        let mut a = Vec3::ZERO;
        for _ in 0..8 {
            a = follow_step(a, target, 1.0 / 240.0);
        }
        let b = follow_step(Vec3::ZERO, target, 8.0 / 240.0);
        assert!((a - b).length() < 1e-5, "{a} vs {b}");
        // A walking performer is followed: after 2 s at 1.4 m/s the focus lags by about
        // speed × half-life / ln 2 (≈ 0.24 m), and the camera's offset from the focus is kept.
        let mut cam = OrbitCamera::default();
        let offset = cam.eye() - cam.focus;
        let dt = 1.0 / 60.0;
        for f in 1..=120 {
            let walker = Vec3::new(1.4 * f as f32 * dt, 0.9, 0.0);
            cam.focus = follow_step(cam.focus, walker, dt);
        }
        let lag = 1.4 * 2.0 - cam.focus.x;
        assert!((0.15..0.35).contains(&lag), "lag {lag} m");
        assert!(((cam.eye() - cam.focus) - offset).length() < 1e-4);
    }

    #[test]
    fn framing_puts_the_box_in_view() {
        let mut c = OrbitCamera::default();
        c.frame(
            Vec3::new(1.0, 0.0, 1.0),
            Vec3::new(2.0, 1.8, 2.0),
            16.0 / 9.0,
        );
        assert!((c.focus - Vec3::new(1.5, 0.9, 1.5)).length() < 1e-5);
        // The box's vertical half-extent fits in the 45° vertical field of view, with margin.
        let half_fov_v = (0.9 / c.distance).atan();
        assert!(
            half_fov_v < std::f32::consts::FRAC_PI_8 * 0.97,
            "{half_fov_v}"
        );
        assert!(c.distance < 4.0, "{}", c.distance);
        // A wide box in a narrow viewport needs more distance than in a wide one.
        let mut narrow = c;
        narrow.frame(Vec3::new(-3.0, 0.0, 0.0), Vec3::new(3.0, 1.8, 0.0), 0.5);
        let mut wide = c;
        wide.frame(Vec3::new(-3.0, 0.0, 0.0), Vec3::new(3.0, 1.8, 0.0), 2.0);
        assert!(narrow.distance > wide.distance * 2.0);
    }

    #[test]
    fn presets_and_orbit_limits() {
        let mut c = OrbitCamera::default();
        c.set_view(ViewPreset::Front);
        let eye = c.eye() - c.focus;
        assert!(eye.z > 0.0 && eye.x.abs() < 1e-4 && eye.y.abs() < 1e-4);
        c.set_view(ViewPreset::Top);
        assert!((c.eye() - c.focus).normalize().y > 0.99);
        c.orbit(Vec2::new(0.0, 10_000.0));
        assert!(c.pitch <= 1.55);
        assert_eq!(c.preset, ViewPreset::Perspective);
        c.dolly(1e9);
        assert_eq!(c.distance, 5000.0);
    }

    /// Where a world point lands in normalised viewport coordinates.
    fn project(cam: &OrbitCamera, p: Vec3, aspect: f32) -> Vec2 {
        let t = Transform::from_translation(cam.eye()).looking_at(cam.focus, cam.up());
        let local = t.compute_affine().inverse().transform_point3(p);
        let tan = std::f32::consts::FRAC_PI_8.tan();
        Vec2::new(
            local.x / (-local.z * tan * aspect),
            local.y / (-local.z * tan),
        )
    }

    #[test]
    fn the_wheel_zooms_towards_the_point_under_the_cursor() {
        let aspect = 16.0 / 9.0;
        let mut cam = OrbitCamera::default();
        let ndc = Vec2::new(0.6, -0.3);
        // The point under the cursor on the focus plane.
        let t = Transform::from_translation(cam.eye()).looking_at(cam.focus, cam.up());
        let h = cam.distance * std::f32::consts::FRAC_PI_8.tan();
        let p = cam.focus + t.right() * (ndc.x * h * aspect) + t.up() * (ndc.y * h);
        assert!((project(&cam, p, aspect) - ndc).length() < 1e-4);
        let d0 = cam.distance;
        for _ in 0..5 {
            cam.dolly_towards(0.88, ndc, aspect);
        }
        assert!(cam.distance < d0 * 0.6, "zoomed in");
        assert!(
            (project(&cam, p, aspect) - ndc).length() < 1e-3,
            "the point under the cursor stays there: {:?}",
            project(&cam, p, aspect)
        );
        // At the centre it is the plain dolly.
        let mut a = OrbitCamera::default();
        let mut b = a;
        a.dolly_towards(0.5, Vec2::ZERO, aspect);
        b.dolly(0.5);
        assert!((a.focus - b.focus).length() < 1e-5 && (a.distance - b.distance).abs() < 1e-5);
    }
}
