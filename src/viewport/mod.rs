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

pub mod camera;
pub mod mannequin;

mod bones;
mod grid;
mod markers;
mod picking;
mod trails;
pub use picking::*;

pub use trails::*;

pub use bones::*;

pub use markers::*;

pub use grid::*;

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

use crate::model::commands::CameraCommand;
use crate::model::groups::MarkerGroups;
use crate::model::log::AppLog;
use crate::model::log::LogLevel;
use crate::model::scene::CharacterStatus;
use crate::model::session::Session;
use crate::model::settings::Settings;
use crate::playback::{Playback, PlaybackSet};
use crate::viewport::camera::{SceneBounds, SceneCamera, ViewportInput};

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
            Shader::from_wgsl(include_str!("../../shaders/grid.wgsl"), "shaders/grid.wgsl"),
        ) {
            error!("grid shader: {e}");
        }
        if let Err(e) = shaders.insert(
            MARKER_SHADER.id(),
            Shader::from_wgsl(
                include_str!("../../shaders/markers.wgsl"),
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
        .init_resource::<MarkerGroups>()
        .init_resource::<BoneLinks>()
        .init_resource::<GridLabels>()
        .configure_sets(Update, ViewportSet.after(PlaybackSet))
        .configure_sets(PostUpdate, ViewportSet)
        .add_systems(Startup, spawn_environment)
        .add_systems(
            Update,
            (
                rebuild_scene,
                place_skeletons,
                select_startup_marker,
                select_startup_joint,
                apply_trail_override,
                pose_skeleton,
                classify_markers,
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

/// The transform that takes a skeleton's joint positions (lengths in `unit`, axes per `axes`) to
/// Bevy world space (metres, Y-up), through the same [`mocap_formats::world::Placement`] that
/// `mocap convert --like` uses: a Vicon ASF skeleton lands on its take's markers. For
/// `AxisConvention::Up(up)` it equals [`take_space_transform`]`(unit, up)`.
pub fn skeleton_space_transform(
    unit: LengthUnit,
    axes: mocap_formats::world::AxisConvention,
) -> Transform {
    use mocap_formats::world::{Placement, TakeWorld};
    let p = Placement::new(
        unit,
        axes,
        TakeWorld {
            unit: LengthUnit::Metre,
            up_axis: UpAxis::Y,
        },
    );
    let r = p.rotation;
    let col = |k: usize| Vec3::new(r[0][k] as f32, r[1][k] as f32, r[2][k] as f32);
    Transform {
        translation: Vec3::ZERO,
        rotation: Quat::from_mat3(&Mat3::from_cols(col(0), col(1), col(2))).normalize(),
        scale: Vec3::splat(p.scale as f32),
    }
}

/// World positions (m, Y-up) of the markers at the current frame; `None` in a gap.
#[derive(Resource, Debug, Default, Clone)]
pub struct MarkerWorld {
    /// Per marker.
    pub positions: Vec<Option<Vec3>>,
}

/// Root of one data container's space (see [`take_space_transform`]).
#[derive(Component, Debug)]
pub struct TakeSpace;

/// Root of actor `actor`'s skeleton space: placed by [`skeleton_space_transform`] from the
/// skeleton's unit and axes, again whenever they change (the Inspector's unit choice).
#[derive(Component, Debug)]
pub struct SkeletonSpace {
    /// Actor index (0: the take's primary skeleton).
    pub actor: usize,
}

/// Places each skeleton space again when the take changed (a unit edit keeps the generation).
fn place_skeletons(session: Res<Session>, mut spaces: Query<(&SkeletonSpace, &mut Transform)>) {
    if !session.is_changed() {
        return;
    }
    let Some(take) = &session.take else { return };
    for (s, mut t) in &mut spaces {
        if let Some((sk, _)) = take.actor(s.actor) {
            let want = skeleton_space_transform(sk.unit, take.actor_axes(s.actor));
            if *t != want {
                *t = want;
            }
        }
    }
}

/// A skeleton joint entity: joint `index` of actor `actor`'s skeleton (0: the take's primary
/// skeleton, see [`crate::model::session::Take::actor`]).
#[derive(Component, Debug)]
pub struct JointEntity {
    /// Actor index.
    pub actor: usize,
    /// Joint index.
    pub index: usize,
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

fn to_quat(q: mocap_data::DQuat) -> Quat {
    Quat::from_xyzw(q.x as f32, q.y as f32, q.z as f32, q.w as f32).normalize()
}

fn to_vec3(v: mocap_data::DVec3) -> Vec3 {
    Vec3::new(v.x as f32, v.y as f32, v.z as f32)
}

/// The scene's asset stores.
#[derive(bevy::ecs::system::SystemParam)]
struct SceneAssets<'w> {
    meshes: ResMut<'w, Assets<Mesh>>,
    std_materials: ResMut<'w, Assets<StandardMaterial>>,
    marker_materials: ResMut<'w, Assets<MarkerMaterial>>,
    bindposes: ResMut<'w, Assets<SkinnedMeshInverseBindposes>>,
}

fn rebuild_scene(
    mut commands: Commands,
    session: Res<Session>,
    settings: Res<Settings>,
    mut built: Local<Option<(u64, u64)>>,
    roots: Query<Entity, With<TakeSpace>>,
    mut assets: SceneAssets,
    mut selection: ResMut<Selection>,
    mut bounds: ResMut<SceneBounds>,
    mut camera: MessageWriter<CameraCommand>,
    asset_server: Res<AssetServer>,
    mut links: ResMut<BoneLinks>,
) {
    if built.is_some_and(|(g, _)| g == session.generation) && !session.is_changed() {
        return;
    }
    // A re-solve (or undoing one) can give the open take a skeleton it did not have, or one of
    // another shape: its joint entities are built again then, without reframing the camera.
    let shape = session.take.as_ref().map_or(0, |t| t.skeleton_shape());
    let new_take = built.is_none_or(|(g, _)| g != session.generation);
    if !new_take && built.is_some_and(|(_, s)| s == shape) {
        return;
    }
    *built = Some((session.generation, shape));
    for e in &roots {
        commands.entity(e).despawn();
    }
    *selection = Selection::default();
    bounds.take = None;
    spawn_characters(&mut commands, &session, &asset_server);
    let Some(take) = &session.take else { return };
    bounds.take = take_bounds(take);
    if new_take {
        camera.write(CameraCommand::FrameTake);
    }

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
        spawn_actor(&mut commands, &mut assets, &settings, take, k, sk);
    }
    if let Some(markers) = &take.markers {
        spawn_markers(&mut commands, &mut assets, &settings, take, markers);
    }
}

/// glTF / GLB characters: Bevy's glTF loader; glTF is metres, Y-up, like Bevy's world.
/// Character i plays actor i (cycling when there are more characters than actors).
fn spawn_characters(commands: &mut Commands, session: &Session, asset_server: &AssetServer) {
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
            crate::model::scene::CharacterModel {
                path: path.clone(),
                actor: i % actors,
            },
            WorldAssetRoot(handle),
            Transform::default(),
            Visibility::default(),
        ));
    }
}

/// Actor `k`'s skeleton space, joint entities (head and eyes turned by the face) and mannequin
/// (with the generated ARKit face).
fn spawn_actor(
    commands: &mut Commands,
    assets: &mut SceneAssets,
    settings: &Settings,
    take: &crate::model::session::Take,
    k: usize,
    sk: &mocap_data::Skeleton,
) {
    let root = commands
        .spawn((
            Name::new(format!(
                "Skeleton space: {} ({}, {:?}-up)",
                take.actor_name(k),
                sk.unit,
                sk.up_axis
            )),
            TakeSpace,
            SkeletonSpace { actor: k },
            skeleton_space_transform(sk.unit, take.actor_axes(k)),
            Visibility::default(),
        ))
        .id();
    let mut joint_entities: Vec<Entity> = Vec::with_capacity(sk.joints.len());
    let head = mannequin::head_frame(sk);
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
        // Head and eyes turn with the face's rotations (actor 0 holds the take's face).
        if k == 0
            && let Some(h) = &head
            && let Some(part) = crate::face::FacePart::from_joint_name(&j.name)
            && let Some(axes) = mannequin::face_joint_axes(sk, h, i)
        {
            commands
                .entity(e)
                .insert(crate::face::FaceJoint::new(k, part, axes));
        }
        joint_entities.push(e);
    }
    // The generated head with its 52 ARKit morph targets replaces the head capsule.
    let face = mannequin::face_to_bevy_mesh(sk);
    let body = match &face {
        Some((_, head_joint)) => mannequin::build_without_head(sk, *head_joint),
        None => mannequin::build(sk),
    };
    if let Some((mesh, inv)) = mannequin::to_bevy_mesh(body) {
        let inverse_bindposes = assets.bindposes.add(SkinnedMeshInverseBindposes::from(inv));
        if let Some((face_mesh, _)) = face {
            mannequin::spawn_mannequin_face(
                commands,
                assets.meshes.add(face_mesh),
                assets.std_materials.add(StandardMaterial {
                    perceptual_roughness: 0.5,
                    reflectance: 0.4,
                    ..default()
                }),
                SkinnedMesh {
                    inverse_bindposes: inverse_bindposes.clone(),
                    joints: joint_entities.clone(),
                },
                format!("Mannequin face: {}", take.actor_name(k)),
                k,
                root,
            );
        }
        commands.spawn((
            Name::new(format!("Mannequin: {}", take.actor_name(k))),
            Mannequin,
            Mesh3d(assets.meshes.add(mesh)),
            MeshMaterial3d(assets.std_materials.add(StandardMaterial {
                base_color: srgb(settings.colours.mannequin),
                perceptual_roughness: 0.55,
                reflectance: 0.4,
                ..default()
            })),
            SkinnedMesh {
                inverse_bindposes,
                joints: joint_entities,
            },
            NoFrustumCulling,
            ChildOf(root),
        ));
    }
}

/// The markers: GPU-instanced billboards in the take's marker space.
fn spawn_markers(
    commands: &mut Commands,
    assets: &mut SceneAssets,
    settings: &Settings,
    take: &crate::model::session::Take,
    markers: &mocap_data::MarkerTrajectories,
) {
    // GPU instancing: every marker is an entity sharing one quad mesh and one material, so
    // Bevy draws them all as instances of one batch; per instance, the transform carries the
    // centre and a `MeshTag` the colour and flags (see `shaders/markers.wgsl`).
    let quad = assets.meshes.add(marker_quad());
    let sel = srgb(settings.colours.marker_selected).to_linear();
    let material = assets.marker_materials.add(MarkerMaterial {
        params: marker_params(settings, sel),
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
                colour: marker_colour(settings, seg, label),
            },
            Mesh3d(quad.clone()),
            MeshMaterial3d(material.clone()),
            MeshTag(MARKER_TAG_GAP),
            Transform::default(),
            ChildOf(cloud),
        ));
    }
}

/// World-space (m, Y-up) bounds of a take over all its frames (every 10th frame sampled):
/// valid markers and skeleton joints.
pub fn take_bounds(take: &crate::model::session::Take) -> Option<(Vec3, Vec3)> {
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
    for (k, (sk, motion)) in (0..=take.actors.len()).filter_map(|k| Some((k, take.actor(k)?))) {
        let space = skeleton_space_transform(sk.unit, take.actor_axes(k));
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

/// What a click in the viewport picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// Marker index.
    Marker(usize),
    /// Joint index.
    Joint(usize),
}

fn update_bounds(
    world: Res<MarkerWorld>,
    selection: Res<Selection>,
    joints: Query<(&JointEntity, &GlobalTransform)>,
    skins: Query<(&SkinnedMesh, &InheritedVisibility)>,
    transforms: Query<&GlobalTransform>,
    mut bounds: ResMut<SceneBounds>,
) {
    // Characters (glTF skins) count too: F and A frame what is on stage, not only the markers.
    let skin_joints = skins
        .iter()
        .filter(|(_, v)| v.get())
        .flat_map(|(s, _)| s.joints.iter())
        .filter_map(|&e| transforms.get(e).ok())
        .map(GlobalTransform::translation);
    let mut lo = Vec3::splat(f32::MAX);
    let mut hi = Vec3::splat(f32::MIN);
    let mut any = false;
    for p in world
        .positions
        .iter()
        .flatten()
        .copied()
        .chain(joints.iter().map(|(_, g)| g.translation()))
        .chain(skin_joints)
        .filter(|p| p.is_finite())
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
        for (unit, up) in [
            (LengthUnit::Millimetre, UpAxis::Z),
            (LengthUnit::Centimetre, UpAxis::Y),
        ] {
            let a = take_space_transform(unit, up);
            let b = skeleton_space_transform(unit, mocap_formats::world::AxisConvention::Up(up));
            let p = Vec3::new(100.0, 200.0, 300.0);
            assert!(a.transform_point(p).distance(b.transform_point(p)) < 1e-4);
        }
        // Vicon's ASF axes: ASF (x, y, z) are the lab's (Y, Z, X), lab Z up → Bevy (X, Z, −Y).
        let v = skeleton_space_transform(
            LengthUnit::Millimetre,
            mocap_formats::world::AxisConvention::ViconAsf,
        );
        let q = v.transform_point(Vec3::new(1000.0, 2000.0, 3000.0));
        assert!(q.distance(Vec3::new(3.0, 2.0, -1.0)) < 1e-4, "{q}");
        assert!(
            (t.transform_point(Vec3::new(0.0, 95.0, 0.0)) - Vec3::new(0.0, 0.95, 0.0)).length()
                < 1e-6
        );
    }

    #[test]
    fn demo_take_bounds_cover_the_walk() {
        let take = crate::session::demo::demo_take().unwrap();
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
