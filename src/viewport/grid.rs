//! The ground grid: a WGSL shader material (`shaders/grid.wgsl`) that follows the camera, and its scale labels along X and Z.

#[allow(unused_imports)]
use super::*;

/// Ground grid material (`shaders/grid.wgsl`).
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct GridMaterial {
    /// Colours and spacing.
    #[uniform(0)]
    pub params: GridParams,
}

/// Uniform block of [`GridMaterial`] (colours are linear RGBA).
#[derive(ShaderType, Debug, Clone, Copy)]
pub struct GridParams {
    /// Minor line colour.
    pub minor_color: Vec4,
    /// Major line colour.
    pub major_color: Vec4,
    /// X axis colour.
    pub x_axis_color: Vec4,
    /// Z axis colour.
    pub z_axis_color: Vec4,
    /// x: minor cell (m), y: cells per major line, z: fade start (m), w: fade end (m).
    pub params: Vec4,
}

impl Material for GridMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(GRID_SHADER)
    }
    fn alpha_mode(&self) -> AlphaMode {
        AlphaMode::Blend
    }
    fn enable_prepass() -> bool {
        false
    }
    fn enable_shadows() -> bool {
        false
    }
}

/// Scale labels of the ground grid at this frame: positions in logical window pixels (as
/// `Camera::world_to_viewport` gives them) and text ("2 m"), along the world X and Z axes.
#[derive(Resource, Debug, Default, Clone)]
pub struct GridLabels {
    /// Labels to draw.
    pub labels: Vec<(Vec2, String)>,
}

/// Label spacing (metres) for a camera `distance` (metres) from its focus: about ten labels
/// across the view.
pub fn grid_label_spacing(distance: f32) -> f32 {
    match distance {
        d if d < 6.0 => 0.5,
        d if d < 15.0 => 1.0,
        d if d < 40.0 => 2.0,
        d if d < 90.0 => 5.0,
        _ => 10.0,
    }
}

pub(crate) fn update_grid_labels(
    settings: Res<Settings>,
    cams: Query<
        (
            &Camera,
            &GlobalTransform,
            &crate::viewport::camera::OrbitCamera,
        ),
        With<SceneCamera>,
    >,
    mut out: ResMut<GridLabels>,
) {
    out.labels.clear();
    if !settings.show_grid {
        return;
    }
    let Ok((camera, cam_t, orbit)) = cams.single() else {
        return;
    };
    let step = grid_label_spacing(orbit.distance);
    // Labels around the focus (projected onto the ground), on the two axis lines.
    let centre = orbit.focus;
    for (axis, dir) in [("x", Vec3::X), ("z", Vec3::Z)] {
        let c = if axis == "x" { centre.x } else { centre.z };
        let k0 = (c / step).round() as i32;
        for k in (k0 - 8)..=(k0 + 8) {
            if k == 0 && axis == "z" {
                continue; // the origin is labelled once
            }
            let v = k as f32 * step;
            let Ok(p) = camera.world_to_viewport(cam_t, dir * v) else {
                continue;
            };
            let text = if v.fract() == 0.0 {
                format!("{v:.0} m")
            } else {
                format!("{v:.1} m")
            };
            out.labels.push((p, text));
        }
    }
}

/// The ground grid entity.
#[derive(Component, Debug)]
pub struct Grid;

/// Keeps the grid plane centred under the camera focus so it never ends (the shader fades it).
pub(crate) fn follow_grid(
    cams: Query<&crate::viewport::camera::OrbitCamera>,
    mut grid: Query<&mut Transform, With<Grid>>,
) {
    let (Ok(cam), Ok(mut t)) = (cams.single(), grid.single_mut()) else {
        return;
    };
    t.translation = Vec3::new(cam.focus.x, 0.0, cam.focus.z);
}
