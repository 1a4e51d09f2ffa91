//! The 3D viewport content: ground grid, markers, skeleton bones, mannequin, lights, picking.
//!
//! ## Spaces (converted in exactly one place)
//! Bevy's world is **metres, Y-up**. Each data container keeps its own unit and up axis; its root
//! entity gets the transform from [`take_space_transform`] (scale to metres, rotate Z-up to Y-up),
//! and everything under it (joint entities, the marker mesh) stays in the data's native units.
//!
//! ## Shaders
//! `shaders/grid.wgsl` and `shaders/markers.wgsl` are compiled into the binary with
//! `include_str!` and registered under fixed handles, so the binary renders correctly when run
//! from any directory (no asset folder needed).

use bevy::asset::LoadState;
use bevy::asset::{RenderAssetUsages, uuid_handle};
use bevy::camera::visibility::NoFrustumCulling;
use bevy::gizmos::config::{DefaultGizmoConfigGroup, GizmoConfigStore};
use bevy::gltf::GltfAssetLabel;
use bevy::mesh::skinning::{SkinnedMesh, SkinnedMeshInverseBindposes};
use bevy::mesh::{Indices, MeshTag, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, ShaderType};
use bevy::shader::ShaderRef;
use bevy::world_serialization::WorldAssetRoot;
use mocap_data::{LengthUnit, UpAxis};

use crate::camera::{CameraCommand, SceneBounds, SceneCamera, ViewportInput};
use crate::character::CharacterStatus;
use crate::mannequin;
use crate::playback::{Playback, PlaybackSet};
use crate::session::{AppLog, LogLevel, Session};
use crate::settings::Settings;

/// Viewport content systems (after playback).
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewportSet;

/// Registers the grid and marker materials and keeps the scene in sync with the session.
pub struct ViewportPlugin;

const GRID_SHADER: Handle<Shader> = uuid_handle!("6f1b8c1e-4f0a-4c3e-9a57-2b1c7d9e0a11");
const MARKER_SHADER: Handle<Shader> = uuid_handle!("0d3a5e7c-8b2f-4e61-a9c4-5f7e1b3d2c22");

impl Plugin for ViewportPlugin {
    fn build(&self, app: &mut App) {
        let mut shaders = app.world_mut().resource_mut::<Assets<Shader>>();
        // Fixed handles: inserting cannot fail for a fresh id; log instead of panicking anyway.
        if let Err(e) = shaders.insert(
            GRID_SHADER.id(),
            Shader::from_wgsl(include_str!("../shaders/grid.wgsl"), "shaders/grid.wgsl"),
        ) {
            error!("grid shader: {e}");
        }
        if let Err(e) = shaders.insert(
            MARKER_SHADER.id(),
            Shader::from_wgsl(
                include_str!("../shaders/markers.wgsl"),
                "shaders/markers.wgsl",
            ),
        ) {
            error!("marker shader: {e}");
        }
        app.add_plugins((
            MaterialPlugin::<GridMaterial>::default(),
            MaterialPlugin::<MarkerMaterial>::default(),
        ))
        .init_resource::<Selection>()
        .init_resource::<MarkerWorld>()
        .init_resource::<BoneLinks>()
        .init_resource::<GridLabels>()
        .configure_sets(Update, ViewportSet.after(PlaybackSet))
        .configure_sets(PostUpdate, ViewportSet)
        .add_systems(Startup, spawn_environment)
        .add_systems(
            Update,
            (
                rebuild_scene,
                select_startup_marker,
                select_startup_joint,
                apply_trail_override,
                pose_skeleton,
                update_markers,
                apply_visibility_settings,
                follow_grid,
                report_gltf_failures,
            )
                .chain()
                .in_set(ViewportSet),
        )
        // Bones, picking and bounds read joint world transforms: after this frame's propagation,
        // or the bones would trail the mannequin by a frame.
        .add_systems(
            PostUpdate,
            (
                draw_bones,
                draw_trails,
                draw_cleanup_ghosts,
                pick,
                update_bounds,
                update_grid_labels,
            )
                .chain()
                .in_set(ViewportSet)
                .after(TransformSystems::Propagate),
        );
    }
}

/// The transform that takes positions in `unit` / `up` to Bevy world space (metres, Y-up).
/// Z-up data is rotated −90° about X: `(x, y, z)` → `(x, z, −y)`, as
/// [`UpAxis::convert_point`] does.
pub fn take_space_transform(unit: LengthUnit, up: UpAxis) -> Transform {
    let scale = unit.factor_to(LengthUnit::Metre) as f32;
    let rotation = match up {
        UpAxis::Y => Quat::IDENTITY,
        UpAxis::Z => Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2),
    };
    Transform {
        translation: Vec3::ZERO,
        rotation,
        scale: Vec3::splat(scale),
    }
}

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

/// Marker billboard material (`shaders/markers.wgsl`).
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct MarkerMaterial {
    /// Size and highlight colour.
    #[uniform(0)]
    pub params: MarkerParams,
}

/// Uniform block of [`MarkerMaterial`].
#[derive(ShaderType, Debug, Clone, Copy)]
pub struct MarkerParams {
    /// x: radius in metres, y: scale of the selected marker, z: minimum radius in pixels.
    pub size: Vec4,
    /// Ring colour of the selected marker (linear).
    pub selected_color: Vec4,
}

impl Material for MarkerMaterial {
    fn vertex_shader() -> ShaderRef {
        ShaderRef::Handle(MARKER_SHADER)
    }
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(MARKER_SHADER)
    }
    fn enable_prepass() -> bool {
        false
    }
    fn enable_shadows() -> bool {
        false
    }
}

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

/// World positions (m, Y-up) of the markers at the current frame; `None` in a gap.
#[derive(Resource, Debug, Default, Clone)]
pub struct MarkerWorld {
    /// Per marker.
    pub positions: Vec<Option<Vec3>>,
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

fn update_grid_labels(
    settings: Res<Settings>,
    cams: Query<(&Camera, &GlobalTransform, &crate::camera::OrbitCamera), With<SceneCamera>>,
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

/// Root of one data container's space (see [`take_space_transform`]).
#[derive(Component, Debug)]
pub struct TakeSpace;

/// A skeleton joint entity: joint `index` of actor `actor`'s skeleton (0: the take's primary
/// skeleton, see [`crate::session::Take::actor`]).
#[derive(Component, Debug)]
pub struct JointEntity {
    /// Actor index.
    pub actor: usize,
    /// Joint index.
    pub index: usize,
}

/// The parent of the marker instances (shown or hidden as a whole).
#[derive(Component, Debug)]
pub struct MarkerCloud {
    material: Handle<MarkerMaterial>,
}

/// One marker's billboard instance; `index` into the take's marker trajectories.
#[derive(Component, Debug)]
pub struct MarkerInstance {
    /// Marker index.
    pub index: usize,
    /// Its sRGB colour ([`marker_colour`]), refreshed when the settings or the session change.
    pub colour: [u8; 3],
}

/// The mannequin mesh entity.
#[derive(Component, Debug)]
pub struct Mannequin;

/// A glTF character being loaded or shown.
#[derive(Component, Debug)]
pub struct GltfCharacter {
    path: std::path::PathBuf,
    reported: bool,
}

/// Reports glTF load failures in the app log (toast) instead of only the terminal.
fn report_gltf_failures(
    asset_server: Res<AssetServer>,
    mut chars: Query<(&mut GltfCharacter, &WorldAssetRoot)>,
    mut log: ResMut<AppLog>,
    time: Res<Time<Real>>,
) {
    for (mut c, root) in &mut chars {
        if c.reported {
            continue;
        }
        match asset_server.load_state(root.0.id()) {
            LoadState::Failed(e) => {
                c.reported = true;
                log.push(
                    LogLevel::Error,
                    format!("Cannot load {}: {e}", c.path.display()),
                    time.elapsed_secs_f64(),
                );
            }
            LoadState::Loaded => c.reported = true,
            _ => {}
        }
    }
}

/// The ground grid entity.
#[derive(Component, Debug)]
pub struct Grid;

fn srgb(c: [u8; 3]) -> Color {
    Color::srgb_u8(c[0], c[1], c[2])
}

fn spawn_environment(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut grids: ResMut<Assets<GridMaterial>>,
    mut gizmo_store: ResMut<GizmoConfigStore>,
) {
    commands.insert_resource(GlobalAmbientLight {
        color: Color::srgb(0.75, 0.8, 0.9),
        brightness: 350.0,
        affects_lightmapped_meshes: true,
    });
    commands.spawn((
        Name::new("Key light"),
        DirectionalLight {
            illuminance: 6_000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(3.0, 6.0, 4.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        Name::new("Fill light"),
        DirectionalLight {
            illuminance: 1_800.0,
            color: Color::srgb(0.75, 0.82, 1.0),
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_xyz(-4.0, 2.0, -3.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    let line = |c: [f32; 4]| Vec4::from_array(c);
    commands.spawn((
        Name::new("Ground grid"),
        Grid,
        Mesh3d(meshes.add(Plane3d::default().mesh().size(1.0, 1.0))),
        MeshMaterial3d(grids.add(GridMaterial {
            params: GridParams {
                minor_color: line([0.40, 0.42, 0.46, 0.16]),
                major_color: line([0.50, 0.53, 0.58, 0.42]),
                x_axis_color: line([0.80, 0.28, 0.28, 0.8]),
                z_axis_color: line([0.28, 0.45, 0.88, 0.8]),
                params: Vec4::new(0.1, 10.0, 12.0, 60.0),
            },
        })),
        Transform::from_scale(Vec3::new(400.0, 1.0, 400.0)),
        NoFrustumCulling,
    ));
    // Bones draw on top of the mannequin.
    let (cfg, _) = gizmo_store.config_mut::<DefaultGizmoConfigGroup>();
    cfg.depth_bias = -1.0;
    cfg.line.width = 2.5;
}

/// Keeps the grid plane centred under the camera focus so it never ends (the shader fades it).
fn follow_grid(
    cams: Query<&crate::camera::OrbitCamera>,
    mut grid: Query<&mut Transform, With<Grid>>,
) {
    let (Ok(cam), Ok(mut t)) = (cams.single(), grid.single_mut()) else {
        return;
    };
    t.translation = Vec3::new(cam.focus.x, 0.0, cam.focus.z);
}

fn to_quat(q: mocap_data::DQuat) -> Quat {
    Quat::from_xyzw(q.x as f32, q.y as f32, q.z as f32, q.w as f32).normalize()
}

fn to_vec3(v: mocap_data::DVec3) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

/// Marker colour from its segment (when known) or its label's side prefix (`L…` / `R…`).
pub fn marker_colour(settings: &Settings, segment: Option<&str>, label: &str) -> [u8; 3] {
    let c = &settings.colours;
    let side = |s: &str| {
        let l = s.to_ascii_lowercase();
        if l.starts_with("left") {
            Some(true)
        } else if l.starts_with("right") {
            Some(false)
        } else {
            None
        }
    };
    let by_segment = segment.and_then(side);
    // Vicon-style labels carry the subject name: "Subject:LFHD".
    let label = label.rsplit(':').next().unwrap_or(label);
    let by_label = {
        let mut ch = label.chars();
        match (ch.next(), ch.next()) {
            (Some('L'), Some(n)) if n.is_ascii_uppercase() => Some(true),
            (Some('R'), Some(n)) if n.is_ascii_uppercase() && label != "RBAK" => Some(false),
            _ => None,
        }
    };
    let lower_limb = segment.is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        s.contains("leg") || s.contains("foot") || s.contains("toe")
    });
    let base = match by_segment.or(if segment.is_some() { None } else { by_label }) {
        Some(true) => c.marker_left,
        Some(false) => c.marker_right,
        None => c.marker_centre,
    };
    if lower_limb {
        // Legs a shade darker than arms on the same side.
        base.map(|x| (x as f32 * 0.78) as u8)
    } else {
        base
    }
}

/// A marker to select once the take is loaded (`mocap-studio --marker LABEL`).
#[derive(Resource, Debug, Clone)]
pub struct StartupMarker(pub String);

/// A joint to select once the take is loaded (`mocap-studio --joint NAME`).
#[derive(Resource, Debug, Clone)]
pub struct StartupJoint(pub String);

/// Trails for this run (`mocap-studio --trails N`), applied over the saved settings once they
/// are loaded, without saving them.
#[derive(Resource, Debug, Clone, Copy)]
pub struct TrailOverride {
    /// Frames either side of the playhead.
    pub frames: u32,
    /// Every marker (else the selected one).
    pub all: bool,
}

fn apply_trail_override(
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

fn select_startup_joint(
    mut commands: Commands,
    wanted: Option<Res<StartupJoint>>,
    session: Res<Session>,
    mut selection: ResMut<Selection>,
    mut log: ResMut<crate::session::AppLog>,
) {
    let Some(wanted) = wanted else { return };
    let Some(sk) = session.take.as_ref().and_then(|t| t.skeleton.as_ref()) else {
        return;
    };
    match sk.joint_index(&wanted.0) {
        Some(j) => selection.select_joint(Some(j)),
        None => log.push(
            crate::session::LogLevel::Warning,
            format!(
                "--joint {}: the skeleton has no joint with that name",
                wanted.0
            ),
            0.0,
        ),
    }
    commands.remove_resource::<StartupJoint>();
}

fn select_startup_marker(
    mut commands: Commands,
    wanted: Option<Res<StartupMarker>>,
    session: Res<Session>,
    mut selection: ResMut<Selection>,
    mut log: ResMut<crate::session::AppLog>,
) {
    let Some(wanted) = wanted else { return };
    let Some(markers) = session.take.as_ref().and_then(|t| t.markers.as_ref()) else {
        return;
    };
    match markers.labels.iter().position(|l| *l == wanted.0) {
        Some(k) => selection.select_marker(Some(k)),
        None => log.push(
            crate::session::LogLevel::Warning,
            format!(
                "--marker {}: the take has no marker with that label",
                wanted.0
            ),
            0.0,
        ),
    }
    commands.remove_resource::<StartupMarker>();
}

fn rebuild_scene(
    mut commands: Commands,
    session: Res<Session>,
    settings: Res<Settings>,
    mut built: Local<Option<u64>>,
    roots: Query<Entity, With<TakeSpace>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut std_materials: ResMut<Assets<StandardMaterial>>,
    mut marker_materials: ResMut<Assets<MarkerMaterial>>,
    mut bindposes: ResMut<Assets<SkinnedMeshInverseBindposes>>,
    mut selection: ResMut<Selection>,
    mut bounds: ResMut<SceneBounds>,
    mut camera: MessageWriter<CameraCommand>,
    asset_server: Res<AssetServer>,
    mut links: ResMut<BoneLinks>,
) {
    if *built == Some(session.generation) {
        return;
    }
    *built = Some(session.generation);
    for e in &roots {
        commands.entity(e).despawn();
    }
    *selection = Selection::default();
    bounds.take = None;
    // glTF / GLB characters: Bevy's glTF loader; glTF is metres, Y-up, like Bevy's world.
    // Character i plays actor i (cycling when there are more characters than actors).
    let actors = session.take.as_ref().map_or(1, |t| t.actor_count().max(1));
    for (i, path) in session.characters.iter().enumerate() {
        let handle = asset_server.load(GltfAssetLabel::Scene(0).from_asset(path.clone()));
        commands.spawn((
            Name::new(format!("glTF {}", path.display())),
            TakeSpace,
            GltfCharacter {
                path: path.clone(),
                reported: false,
            },
            // Driven by the take's motion through `CharacterPlugin`.
            crate::character::CharacterModel {
                path: path.clone(),
                actor: i % actors,
            },
            WorldAssetRoot(handle),
            Transform::default(),
            Visibility::default(),
        ));
    }
    let Some(take) = &session.take else { return };
    bounds.take = take_bounds(take);
    camera.write(CameraCommand::FrameTake);

    links.0.clear();
    for k in 0..=take.actors.len() {
        let sk = match k {
            0 => take.skeleton.as_ref(),
            _ => take.actors.get(k - 1).map(|a| &a.skeleton),
        };
        let Some(sk) = sk else {
            links.0.push(Vec::new());
            continue;
        };
        links.0.push(mannequin::drawable_links(sk));
        let root = commands
            .spawn((
                Name::new(format!(
                    "Skeleton space: {} ({}, {:?}-up)",
                    take.actor_name(k),
                    sk.unit,
                    sk.up_axis
                )),
                TakeSpace,
                take_space_transform(sk.unit, sk.up_axis),
                Visibility::default(),
            ))
            .id();
        let mut joint_entities: Vec<Entity> = Vec::with_capacity(sk.joints.len());
        for (i, j) in sk.joints.iter().enumerate() {
            let parent = j
                .parent
                .and_then(|p| joint_entities.get(p).copied())
                .unwrap_or(root);
            let e = commands
                .spawn((
                    Name::new(j.name.clone()),
                    JointEntity { actor: k, index: i },
                    Transform::from_translation(to_vec3(j.offset))
                        .with_rotation(to_quat(j.rest_rotation)),
                    Visibility::default(),
                    ChildOf(parent),
                ))
                .id();
            joint_entities.push(e);
        }
        if let Some((mesh, inv)) = mannequin::to_bevy_mesh(mannequin::build(sk)) {
            commands.spawn((
                Name::new(format!("Mannequin: {}", take.actor_name(k))),
                Mannequin,
                Mesh3d(meshes.add(mesh)),
                MeshMaterial3d(std_materials.add(StandardMaterial {
                    base_color: srgb(settings.colours.mannequin),
                    perceptual_roughness: 0.55,
                    reflectance: 0.4,
                    ..default()
                })),
                SkinnedMesh {
                    inverse_bindposes: bindposes.add(SkinnedMeshInverseBindposes::from(inv)),
                    joints: joint_entities,
                },
                NoFrustumCulling,
                ChildOf(root),
            ));
        }
    }

    if let Some(markers) = &take.markers {
        // GPU instancing: every marker is an entity sharing one quad mesh and one material, so
        // Bevy draws them all as instances of one batch; per instance, the transform carries the
        // centre and a `MeshTag` the colour and flags (see `shaders/markers.wgsl`).
        let quad = meshes.add(marker_quad());
        let sel = srgb(settings.colours.marker_selected).to_linear();
        let material = marker_materials.add(MarkerMaterial {
            params: marker_params(&settings, sel),
        });
        let root = commands
            .spawn((
                Name::new(format!(
                    "Marker space ({}, {:?}-up)",
                    markers.unit, markers.up_axis
                )),
                TakeSpace,
                take_space_transform(markers.unit, markers.up_axis),
                Visibility::default(),
            ))
            .id();
        let cloud = commands
            .spawn((
                Name::new("Markers"),
                MarkerCloud {
                    material: material.clone(),
                },
                Transform::default(),
                Visibility::default(),
                ChildOf(root),
            ))
            .id();
        for (k, label) in markers.labels.iter().enumerate() {
            let seg = take.marker_segments.get(k).and_then(|s| s.as_deref());
            commands.spawn((
                Name::new(label.clone()),
                MarkerInstance {
                    index: k,
                    colour: marker_colour(&settings, seg, label),
                },
                Mesh3d(quad.clone()),
                MeshMaterial3d(material.clone()),
                MeshTag(MARKER_TAG_GAP),
                Transform::default(),
                ChildOf(cloud),
            ));
        }
    }
}

/// `MeshTag` bit of the selected marker (bits 0–23 hold its sRGB colour as `0xRRGGBB`).
pub const MARKER_TAG_SELECTED: u32 = 1 << 24;
/// `MeshTag` bit of a marker in a gap at this frame: the shader draws nothing.
pub const MARKER_TAG_GAP: u32 = 1 << 25;

/// Packs a marker's per-instance data for `shaders/markers.wgsl`.
pub fn marker_tag(srgb: [u8; 3], selected: bool, gap: bool) -> u32 {
    let [r, g, b] = srgb.map(u32::from);
    (r << 16)
        | (g << 8)
        | b
        | if selected { MARKER_TAG_SELECTED } else { 0 }
        | if gap { MARKER_TAG_GAP } else { 0 }
}

/// The marker billboard: one quad whose four vertices sit at the marker centre (the transform's
/// origin) with their corner in `UV_0`; the vertex shader expands it towards the camera.
fn marker_quad() -> Mesh {
    let mut mesh = Mesh::new(
        PrimitiveTopology::TriangleList,
        RenderAssetUsages::default(),
    );
    mesh.insert_attribute(Mesh::ATTRIBUTE_POSITION, vec![[0.0f32; 3]; 4]);
    mesh.insert_attribute(
        Mesh::ATTRIBUTE_UV_0,
        vec![[-1.0f32, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]],
    );
    mesh.insert_indices(Indices::U32(vec![0, 1, 2, 0, 2, 3]));
    mesh
}

fn marker_params(settings: &Settings, selected: LinearRgba) -> MarkerParams {
    MarkerParams {
        size: Vec4::new(settings.marker_radius_mm / 1000.0, 1.5, 2.5, 0.0),
        selected_color: Vec4::from_array(selected.to_f32_array()),
    }
}

/// World-space (m, Y-up) bounds of a take over all its frames (every 10th frame sampled):
/// valid markers and skeleton joints.
pub fn take_bounds(take: &crate::session::Take) -> Option<(Vec3, Vec3)> {
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut add = |p: Vec3| {
        if p.is_finite() {
            lo = lo.min(p);
            hi = hi.max(p);
        }
    };
    if let Some(m) = &take.markers {
        let space = take_space_transform(m.unit, m.up_axis);
        for f in (0..m.frame_count()).step_by(10) {
            for (p, ok) in m.frame_positions(f).iter().zip(m.frame_valid(f)) {
                if *ok {
                    add(space.transform_point(Vec3::from_array(*p)));
                }
            }
        }
    }
    for (sk, motion) in (0..=take.actors.len()).filter_map(|k| take.actor(k)) {
        let space = take_space_transform(sk.unit, sk.up_axis);
        if motion.channels_per_frame == sk.channel_count() {
            for f in (0..motion.frame_count()).step_by(10) {
                for j in mocap_data::fk::pose(sk, motion.frame(f)) {
                    add(space.transform_point(to_vec3(j.translation)));
                }
            }
        }
    }
    (lo.x <= hi.x).then_some((lo, hi))
}

fn pose_skeleton(
    session: Res<Session>,
    playback: Res<Playback>,
    mut joints: Query<(&JointEntity, &mut Transform)>,
) {
    let Some(take) = &session.take else { return };
    // Per actor: skeleton, its frame's values and channel offsets (None: nothing to pose).
    let posed: Vec<Option<(&mocap_data::Skeleton, &[f32], Vec<usize>)>> = (0..=take.actors.len())
        .map(|k| {
            let (sk, motion) = take.actor(k)?;
            if motion.frame_count() == 0 || motion.channels_per_frame != sk.channel_count() {
                return None;
            }
            let f = crate::session::motion_frame(
                take.rate,
                playback.frame(),
                motion.rate,
                motion.frame_count(),
            );
            Some((sk, motion.frame(f), sk.channel_offsets()))
        })
        .collect();
    for (je, mut t) in &mut joints {
        let Some(Some((sk, values, offsets))) = posed.get(je.actor) else {
            continue;
        };
        let Some(joint) = sk.joints.get(je.index) else {
            continue;
        };
        let start = offsets[je.index];
        let vals = values
            .get(start..start + joint.channels.len())
            .unwrap_or(&[]);
        let (r, tr) = mocap_data::fk::local_transform(sk, je.index, vals);
        t.translation = to_vec3(tr);
        t.rotation = to_quat(r);
    }
}

fn update_markers(
    session: Res<Session>,
    playback: Res<Playback>,
    selection: Res<Selection>,
    settings: Res<Settings>,
    clouds: Query<&ChildOf, With<MarkerCloud>>,
    roots: Query<&Transform, (With<TakeSpace>, Without<MarkerInstance>)>,
    mut instances: Query<(&mut MarkerInstance, &mut Transform, &mut MeshTag)>,
    mut world: ResMut<MarkerWorld>,
) {
    // Colours follow labels and settings: recomputed only when either may have changed.
    let recolour = settings.is_changed() || session.is_changed();
    world.positions.clear();
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let Some(markers) = take.markers.as_ref() else {
        return;
    };
    let Some(space) = marker_space(&clouds, &roots) else {
        return;
    };
    let n = markers.marker_count();
    if markers.frame_count() == 0 {
        return;
    }
    let f = playback.frame().min(markers.frame_count() - 1);
    let pos = markers.frame_positions(f);
    let valid = markers.frame_valid(f);
    world.positions.resize(n, None);
    for (mut instance, mut t, mut tag) in &mut instances {
        let k = instance.index;
        if k >= n {
            continue;
        }
        let ok = valid[k] && pos[k].iter().all(|c| c.is_finite());
        if recolour {
            let seg = take.marker_segments.get(k).and_then(|s| s.as_deref());
            let colour = marker_colour(&settings, seg, &markers.labels[k]);
            if instance.colour != colour {
                instance.colour = colour;
            }
        }
        let packed = marker_tag(instance.colour, selection.marker == Some(k), !ok);
        // Only real changes: an unchanged instance is not re-uploaded.
        if tag.0 != packed {
            tag.0 = packed;
        }
        if ok {
            let p = Vec3::from_array(pos[k]);
            if t.translation != p {
                t.translation = p;
            }
            world.positions[k] = Some(space.transform_point(p));
        }
    }
}

/// Per actor, which parent→joint links are drawn as bones (see [`mannequin::drawable_links`]).
#[derive(Resource, Debug, Default, Clone)]
pub struct BoneLinks(pub Vec<Vec<bool>>);

fn draw_bones(
    session: Res<Session>,
    settings: Res<Settings>,
    selection: Res<Selection>,
    links: Res<BoneLinks>,
    joints: Query<(&JointEntity, &GlobalTransform)>,
    mut gizmos: Gizmos,
    characters: Option<Res<CharacterStatus>>,
) {
    // A driven glTF character shows the motion instead (see `CharacterStatus`).
    if !settings.show_bones || characters.is_some_and(|c| c.driven > 0) {
        return;
    }
    let Some(take) = session.take.as_ref() else {
        return;
    };
    let colour = srgb(settings.colours.bones);
    for k in 0..=take.actors.len() {
        let Some((sk, _)) = take.actor(k) else {
            continue;
        };
        let mut world: Vec<Option<GlobalTransform>> = vec![None; sk.joints.len()];
        for (je, gt) in &joints {
            if je.actor == k
                && let Some(slot) = world.get_mut(je.index)
            {
                *slot = Some(*gt);
            }
        }
        let drawn = links.0.get(k);
        for (i, j) in sk.joints.iter().enumerate() {
            let Some(gt) = world[i] else { continue };
            let p = gt.translation();
            if let Some(parent) = j.parent.and_then(|p| world[p])
                && drawn.and_then(|l| l.get(i)).copied().unwrap_or(true)
            {
                gizmos.line(parent.translation(), p, colour);
            }
            if let Some(e) = j.end_site {
                gizmos.line(p, gt.transform_point(to_vec3(e)), colour);
            }
            gizmos.sphere(Isometry3d::from_translation(p), 0.012, colour);
            if selection.joint == Some(i) && selection.actor == k {
                let c = srgb(settings.colours.marker_selected);
                gizmos.sphere(Isometry3d::from_translation(p), 0.03, c);
                gizmos.sphere(Isometry3d::from_translation(p), 0.034, c);
            }
        }
    }
}

/// Marker trails: each shown marker's path over `±settings.trail_frames` frames around the
/// playhead, in its marker colour, fading with distance in time; a gap breaks the line. Only
/// the selected marker unless `settings.trail_all`.
fn draw_trails(
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

/// The transform of the markers' take space (the marker cloud's root): the skeleton may have
/// another root with another unit and up axis.
fn marker_space<F: bevy::ecs::query::QueryFilter>(
    clouds: &Query<&ChildOf, With<MarkerCloud>>,
    roots: &Query<&Transform, F>,
) -> Option<Transform> {
    let parent = clouds.iter().next()?.parent();
    roots.get(parent).ok().copied()
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
fn draw_cleanup_ghosts(
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

fn pick(
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

/// What a click in the viewport picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// Marker index.
    Marker(usize),
    /// Joint index.
    Joint(usize),
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

fn update_bounds(
    world: Res<MarkerWorld>,
    selection: Res<Selection>,
    joints: Query<(&JointEntity, &GlobalTransform)>,
    mut bounds: ResMut<SceneBounds>,
) {
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut any = false;
    for p in world
        .positions
        .iter()
        .flatten()
        .copied()
        .chain(joints.iter().map(|(_, g)| g.translation()))
    {
        lo = lo.min(p);
        hi = hi.max(p);
        any = true;
    }
    bounds.all = any.then_some((lo, hi));
    let joint = selection.joint.and_then(|j| {
        joints
            .iter()
            .find(|(je, _)| je.index == j && je.actor == selection.actor)
            .map(|(_, g)| g.translation())
    });
    bounds.selection = selection
        .marker
        .and_then(|m| world.positions.get(m).copied().flatten())
        .or(joint)
        .map(|p| (p - Vec3::splat(0.15), p + Vec3::splat(0.15)));
}

fn apply_visibility_settings(
    settings: Res<Settings>,
    clouds: Query<&MarkerCloud>,
    mut marker_materials: ResMut<Assets<MarkerMaterial>>,
    mut q: ParamSet<(
        Query<&mut Visibility, With<MarkerCloud>>,
        Query<&mut Visibility, With<Mannequin>>,
        Query<&mut Visibility, With<Grid>>,
    )>,
    mut clear: ResMut<ClearColor>,
    characters: Option<Res<CharacterStatus>>,
) {
    let characters_changed = characters.as_ref().is_some_and(|c| c.is_changed());
    if !settings.is_changed() && !characters_changed {
        return;
    }
    let driven = characters.is_some_and(|c| c.driven > 0);
    let sel = srgb(settings.colours.marker_selected).to_linear();
    for cloud in &clouds {
        if let Some(mut m) = marker_materials.get_mut(&cloud.material) {
            m.params = marker_params(&settings, sel);
        }
    }
    let vis = |on: bool| {
        if on {
            Visibility::Inherited
        } else {
            Visibility::Hidden
        }
    };
    for mut v in &mut q.p0() {
        *v = vis(settings.show_markers);
    }
    for mut v in &mut q.p1() {
        *v = vis(settings.show_mannequin && !driven);
    }
    for mut v in &mut q.p2() {
        *v = vis(settings.show_grid);
    }
    clear.0 = srgb(settings.colours.background);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn z_up_millimetres_become_y_up_metres() {
        let t = take_space_transform(LengthUnit::Millimetre, UpAxis::Z);
        let p = t.transform_point(Vec3::new(100.0, 200.0, 1700.0));
        let expect = UpAxis::Z.convert_point(UpAxis::Y, [0.1, 0.2, 1.7]);
        assert!(
            (p - Vec3::new(expect[0] as f32, expect[1] as f32, expect[2] as f32)).length() < 1e-5
        );
        let t = take_space_transform(LengthUnit::Centimetre, UpAxis::Y);
        assert!(
            (t.transform_point(Vec3::new(0.0, 95.0, 0.0)) - Vec3::new(0.0, 0.95, 0.0)).length()
                < 1e-6
        );
    }

    #[test]
    fn demo_take_bounds_cover_the_walk() {
        let take = crate::session::Take::demo().unwrap();
        let (lo, hi) = take_bounds(&take).unwrap();
        // The walk starts at z = -2.5 m, turns to +X; head height ~1.8 m; feet near the floor.
        assert!(lo.z < -2.3 && hi.x > 1.5, "{lo} {hi}");
        assert!(lo.y > -0.1 && lo.y < 0.15, "{lo}");
        assert!(hi.y > 1.6 && hi.y < 2.3, "{hi}");
    }

    #[test]
    fn colours_by_side_and_segment() {
        let s = Settings::default();
        let c = &s.colours;
        assert_eq!(marker_colour(&s, None, "LASI"), c.marker_left);
        assert_eq!(marker_colour(&s, None, "RASI"), c.marker_right);
        assert_eq!(marker_colour(&s, None, "Gordon:LKNE"), c.marker_left);
        assert_eq!(marker_colour(&s, None, "C7"), c.marker_centre);
        assert_eq!(marker_colour(&s, Some("Spine1"), "RBAK"), c.marker_centre);
        assert_ne!(
            marker_colour(&s, Some("LeftLeg"), "LKNE"),
            c.marker_left,
            "legs darker"
        );
    }

    #[test]
    fn picking_takes_the_nearest_within_reach() {
        let pts = [
            Some(Vec3::new(10.0, 0.0, 0.0)),
            None,
            Some(Vec3::new(14.0, 0.0, 0.0)),
        ];
        let proj = |p: Vec3| Some(p.truncate());
        assert_eq!(pick_nearest(&pts, Vec2::new(13.0, 0.0), 5.0, proj), Some(2));
        assert_eq!(pick_nearest(&pts, Vec2::new(11.0, 0.0), 5.0, proj), Some(0));
        assert_eq!(pick_nearest(&pts, Vec2::new(40.0, 0.0), 5.0, proj), None);
    }

    #[test]
    fn grid_labels_space_out_with_distance() {
        assert_eq!(grid_label_spacing(3.0), 0.5);
        assert_eq!(grid_label_spacing(8.0), 1.0);
        assert_eq!(grid_label_spacing(200.0), 10.0);
        let mut last = 0.0;
        for d in [1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0] {
            let s = grid_label_spacing(d);
            assert!(s >= last);
            last = s;
        }
    }

    #[test]
    fn marker_tags_pack_colour_and_flags() {
        assert_eq!(marker_tag([0x12, 0x34, 0x56], false, false), 0x12_3456);
        let t = marker_tag([255, 0, 1], true, true);
        assert_eq!(t & 0xFF_FFFF, 0xFF_0001);
        assert_ne!(t & MARKER_TAG_SELECTED, 0);
        assert_ne!(t & MARKER_TAG_GAP, 0);
        assert_eq!(
            marker_tag([255; 3], false, false) & (MARKER_TAG_SELECTED | MARKER_TAG_GAP),
            0
        );
    }

    #[test]
    fn picking_chooses_between_markers_and_joints() {
        let markers = [Some(Vec3::new(10.0, 0.0, 0.0)), None];
        let joints = [
            None,
            Some(Vec3::new(20.0, 0.0, 0.0)),
            Some(Vec3::new(12.0, 0.0, 0.0)),
        ];
        let proj = |p: Vec3| Some(p.truncate());
        let pick = |x: f32| pick_marker_or_joint(&markers, &joints, Vec2::new(x, 0.0), 5.0, proj);
        assert_eq!(pick(9.0), Some(Picked::Marker(0)));
        assert_eq!(pick(11.5), Some(Picked::Joint(2)));
        // Equidistant: the marker wins.
        assert_eq!(pick(11.0), Some(Picked::Marker(0)));
        assert_eq!(pick(21.0), Some(Picked::Joint(1)));
        assert_eq!(pick(30.0), None);
        assert_eq!(
            pick_marker_or_joint(&[], &joints, Vec2::new(19.0, 0.0), 5.0, proj),
            Some(Picked::Joint(1))
        );
    }

    #[test]
    fn trail_window_clamps_to_the_take() {
        assert_eq!(trail_window(100, 30, 1000), (70, 130));
        assert_eq!(trail_window(10, 30, 1000), (0, 40));
        assert_eq!(trail_window(990, 30, 1000), (960, 999));
        assert_eq!(trail_window(5000, 30, 1000), (969, 999));
        assert_eq!(trail_window(0, 0, 1), (0, 0));
    }

    #[test]
    fn selecting_a_joint_clears_the_marker_and_back() {
        let mut s = Selection::default();
        s.select_marker(Some(3));
        s.select_joint(Some(5));
        assert_eq!((s.marker, s.joint, s.actor), (None, Some(5), 0));
        s.select_actor_joint(2, Some(4));
        assert_eq!((s.marker, s.joint, s.actor), (None, Some(4), 2));
        s.select_marker(Some(1));
        assert_eq!((s.marker, s.joint, s.actor), (Some(1), None, 0));
    }
}
