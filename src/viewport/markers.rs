//! Markers as GPU-instanced billboards: one entity per marker sharing a quad mesh and material, colour and flags in a `MeshTag`.

#[allow(unused_imports)]
use super::*;

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

/// The parent of the marker instances (shown or hidden as a whole).
#[derive(Component, Debug)]
pub struct MarkerCloud {
    pub(crate) material: Handle<MarkerMaterial>,
}

/// One marker's billboard instance; `index` into the take's marker trajectories.
#[derive(Component, Debug)]
pub struct MarkerInstance {
    /// Marker index.
    pub index: usize,
    /// Its sRGB colour ([`marker_colour`]), refreshed when the settings or the session change.
    pub colour: [u8; 3],
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
pub(crate) fn marker_quad() -> Mesh {
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

pub(crate) fn marker_params(settings: &Settings, selected: LinearRgba) -> MarkerParams {
    MarkerParams {
        size: Vec4::new(settings.marker_radius_mm / 1000.0, 1.5, 2.5, 0.0),
        selected_color: Vec4::from_array(selected.to_f32_array()),
    }
}

/// Sorts the take's markers into groups (modelled points, actor prefixes) when it changes.
pub(crate) fn classify_markers(session: Res<Session>, mut groups: ResMut<MarkerGroups>) {
    if groups.generation == Some(session.generation) {
        return;
    }
    match session.take.as_ref().and_then(|t| t.markers.as_ref()) {
        Some(m) => groups.classify(session.generation, &m.labels, m.modelled_markers()),
        None => groups.classify(session.generation, &[], Vec::new()),
    }
}

pub(crate) fn update_markers(
    session: Res<Session>,
    groups: Res<MarkerGroups>,
    playback: Res<Playback>,
    selection: Res<Selection>,
    settings: Res<Settings>,
    clouds: Query<&ChildOf, With<MarkerCloud>>,
    roots: Query<&Transform, (With<TakeSpace>, Without<MarkerInstance>)>,
    mut instances: Query<(&mut MarkerInstance, &mut Transform, &mut MeshTag)>,
    mut world: ResMut<MarkerWorld>,
) {
    // Colours follow labels and settings: recomputed only when either may have changed.
    let recolour = settings.is_changed() || session.is_changed() || groups.is_changed();
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
        let ok = valid[k] && pos[k].iter().all(|c| c.is_finite()) && groups.visible(k);
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

/// The transform of the markers' take space (the marker cloud's root): the skeleton may have
/// another root with another unit and up axis.
pub(crate) fn marker_space<F: bevy::ecs::query::QueryFilter>(
    clouds: &Query<&ChildOf, With<MarkerCloud>>,
    roots: &Query<&Transform, F>,
) -> Option<Transform> {
    let parent = clouds.iter().next()?.parent();
    roots.get(parent).ok().copied()
}
