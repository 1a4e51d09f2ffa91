//! Headless ECS test of the viewport camera's DCC bindings: real input messages (as winit would
//! send them) through Bevy's input plugin into `CameraPlugin`. No window, no GPU.

use bevy::input::ButtonState;
use bevy::input::InputPlugin;
use bevy::input::keyboard::{Key, KeyboardInput};
use bevy::input::mouse::{MouseButtonInput, MouseMotion, MouseScrollUnit, MouseWheel};
use bevy::input::touch::TouchPhase;
use bevy::prelude::*;
use mocap_studio::model::commands::CameraCommand;
use mocap_studio::viewport::camera::{CameraPlugin, OrbitCamera, SceneBounds, ViewportInput};

fn app() -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, InputPlugin, CameraPlugin));
    app.world_mut().resource_mut::<ViewportInput>().hovered = true;
    app.world_mut().resource_mut::<ViewportInput>().rect = Some(Rect::new(0.0, 0.0, 960.0, 540.0));
    app.update();
    app
}

fn cam(app: &mut App) -> OrbitCamera {
    *app.world_mut()
        .query::<&OrbitCamera>()
        .single(app.world())
        .expect("CameraPlugin spawns exactly one orbit camera")
}

fn button(app: &mut App, button: MouseButton, state: ButtonState) {
    app.world_mut().write_message(MouseButtonInput {
        button,
        state,
        window: Entity::PLACEHOLDER,
    });
}

fn alt(app: &mut App, state: ButtonState) {
    app.world_mut().write_message(KeyboardInput {
        key_code: KeyCode::AltLeft,
        logical_key: Key::Alt,
        state,
        text: None,
        repeat: false,
        window: Entity::PLACEHOLDER,
    });
}

fn drag(
    app: &mut App,
    with: MouseButton,
    alt_held: bool,
    delta: Vec2,
) -> (OrbitCamera, OrbitCamera) {
    let before = cam(app);
    if alt_held {
        alt(app, ButtonState::Pressed);
    }
    button(app, with, ButtonState::Pressed);
    app.update();
    app.world_mut().write_message(MouseMotion { delta });
    app.update();
    button(app, with, ButtonState::Released);
    if alt_held {
        alt(app, ButtonState::Released);
    }
    app.update();
    (before, cam(app))
}

#[test]
fn alt_lmb_orbits_alt_mmb_pans_alt_rmb_dollies() {
    let mut app = app();
    let (a, b) = drag(&mut app, MouseButton::Left, true, Vec2::new(50.0, 0.0));
    assert!((a.yaw - b.yaw).abs() > 0.1, "orbit changes yaw");
    assert_eq!(a.focus, b.focus);
    assert_eq!(a.distance, b.distance);

    let (a, b) = drag(&mut app, MouseButton::Middle, true, Vec2::new(40.0, 10.0));
    assert!((a.focus - b.focus).length() > 0.05, "pan moves the focus");
    assert_eq!(a.yaw, b.yaw);

    let (a, b) = drag(&mut app, MouseButton::Right, true, Vec2::new(60.0, 0.0));
    assert!(b.distance > a.distance, "dolly right = away");
    assert_eq!(a.focus, b.focus);

    // LMB without Alt is selection, not camera.
    let (a, b) = drag(&mut app, MouseButton::Left, false, Vec2::new(80.0, 30.0));
    assert_eq!(a, b);
}

#[test]
fn mmb_orbits_and_the_wheel_dollies_only_over_the_viewport() {
    let mut app = app();
    let (a, b) = drag(&mut app, MouseButton::Middle, false, Vec2::new(30.0, 0.0));
    assert!((a.yaw - b.yaw).abs() > 0.05);
    let wheel = |app: &mut App| {
        app.world_mut().write_message(MouseWheel {
            unit: MouseScrollUnit::Line,
            x: 0.0,
            y: 2.0,
            window: Entity::PLACEHOLDER,
            phase: TouchPhase::Moved,
        });
        app.update();
    };
    let d0 = cam(&mut app).distance;
    wheel(&mut app);
    let d1 = cam(&mut app).distance;
    assert!(d1 < d0, "wheel up zooms in");
    app.world_mut().resource_mut::<ViewportInput>().hovered = false;
    wheel(&mut app);
    assert_eq!(
        cam(&mut app).distance,
        d1,
        "the wheel over a panel leaves the camera alone"
    );
}

#[test]
fn f_frames_the_selection_or_everything() {
    let mut app = app();
    app.world_mut().resource_mut::<SceneBounds>().all =
        Some((Vec3::new(4.0, 0.0, 4.0), Vec3::new(5.0, 1.8, 5.0)));
    app.world_mut().write_message(CameraCommand::Frame);
    app.update();
    let c = cam(&mut app);
    assert!((c.focus - Vec3::new(4.5, 0.9, 4.5)).length() < 1e-4);
    app.world_mut().resource_mut::<SceneBounds>().selection =
        Some((Vec3::new(-1.1, 1.0, 0.0), Vec3::new(-0.9, 1.2, 0.2)));
    app.world_mut().write_message(CameraCommand::Frame);
    app.update();
    let s = cam(&mut app);
    assert!((s.focus - Vec3::new(-1.0, 1.1, 0.1)).length() < 1e-4);
    assert!(s.distance < c.distance);
}

#[test]
fn frame_all_ignores_the_selection() {
    let mut app = app();
    {
        let mut b = app.world_mut().resource_mut::<SceneBounds>();
        b.all = Some((Vec3::new(-2.0, 0.0, -1.0), Vec3::new(2.0, 1.8, 1.0)));
        b.selection = Some((Vec3::new(1.9, 1.0, 0.0), Vec3::new(2.0, 1.1, 0.1)));
    }
    app.world_mut().write_message(CameraCommand::FrameAll);
    app.update();
    let c = cam(&mut app);
    assert!(
        (c.focus - Vec3::new(0.0, 0.9, 0.0)).length() < 1e-4,
        "{:?}",
        c.focus
    );
}

#[test]
fn follow_toggle_keeps_the_focus_on_the_performers_and_keeps_the_orbit() {
    let mut app = app();
    app.init_resource::<mocap_studio::model::settings::Settings>();
    // Performers 4 m away along +X (markers as the viewport publishes them, world metres).
    let performers = Vec3::new(4.0, 1.0, 0.0);
    app.insert_resource(mocap_studio::viewport::MarkerWorld {
        positions: vec![
            Some(performers + Vec3::X * 0.2),
            None,
            Some(performers - Vec3::X * 0.2),
        ],
    });
    let start = cam(&mut app);
    // Off by default: nothing moves.
    for _ in 0..5 {
        app.update();
    }
    assert_eq!(cam(&mut app).focus, start.focus);
    // Shift+F / View → Follow performers.
    app.world_mut().write_message(CameraCommand::ToggleFollow);
    let mut moved = cam(&mut app);
    for _ in 0..2000 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        app.update();
        moved = cam(&mut app);
        if moved.focus.distance(performers) < 0.05 {
            break;
        }
    }
    assert!(
        app.world()
            .resource::<mocap_studio::model::settings::Settings>()
            .follow_performers
    );
    assert!(
        moved.focus.distance(performers) < 0.05,
        "focus {} eased onto {performers}",
        moved.focus
    );
    assert_eq!(
        (moved.distance, moved.yaw, moved.pitch),
        (start.distance, start.yaw, start.pitch),
        "the user's orbit and dolly are kept"
    );
    // Off again: the focus stays where it is while the performers move on.
    app.world_mut().write_message(CameraCommand::ToggleFollow);
    app.update();
    let held = cam(&mut app).focus;
    app.world_mut()
        .resource_mut::<mocap_studio::viewport::MarkerWorld>()
        .positions = vec![Some(Vec3::new(-5.0, 1.0, 0.0))];
    for _ in 0..5 {
        std::thread::sleep(std::time::Duration::from_millis(1));
        app.update();
    }
    assert_eq!(cam(&mut app).focus, held);
}
