// Optical markers as camera-facing billboards shaded like small spheres, GPU-instanced.
//
// Every marker is one instance of the same quad mesh and material (Bevy batches them into one
// instanced draw). Per instance: the mesh transform puts the quad's origin at the marker centre
// (its parents convert the take's unit and up axis to Bevy metres, Y-up), and the `MeshTag`
// holds the marker's sRGB colour in bits 0-23, bit 24 = selected, bit 25 = gap (nothing drawn).
// Vertex inputs (Bevy mesh attribute locations):
//   @location(0) POSITION: (0, 0, 0), the instance origin;
//   @location(2) UV_0: quad corner in [-1, 1]².

#import bevy_pbr::mesh_functions::{get_world_from_local, get_tag, mesh_position_local_to_world}
#import bevy_pbr::view_transformations::{position_world_to_view, position_view_to_clip}
#import bevy_pbr::mesh_view_bindings::view

struct MarkerParams {
    // x: radius (m), y: scale of the selected marker, z: minimum radius (pixels), w: unused.
    size: vec4<f32>,
    selected_color: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: MarkerParams;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(2) corner: vec2<f32>,
};

const TAG_SELECTED: u32 = 16777216u; // 1 << 24
const TAG_GAP: u32 = 33554432u;      // 1 << 25

// sRGB transfer function, decoded (IEC 61966-2-1).
fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

struct VertexOut {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) selected: f32,
};

@vertex
fn vertex(v: Vertex) -> VertexOut {
    let world_from_local = get_world_from_local(v.instance_index);
    let world = mesh_position_local_to_world(world_from_local, vec4<f32>(v.position, 1.0));
    let tag = get_tag(v.instance_index);
    let selected = (tag & TAG_SELECTED) != 0u;
    let gap = (tag & TAG_GAP) != 0u;
    let srgb = vec3<f32>(
        f32((tag >> 16u) & 255u),
        f32((tag >> 8u) & 255u),
        f32(tag & 255u),
    ) / 255.0;
    var view_pos = position_world_to_view(world.xyz);
    // Size of one pixel in view units at this depth (perspective: grows with distance;
    // orthographic: constant), so far markers never shrink below `size.z` pixels.
    let ortho = view.clip_from_view[3][3] > 0.5;
    let depth = select(max(-view_pos.z, 1e-4), 1.0, ortho);
    let pixel = 2.0 * depth / (view.viewport.w * view.clip_from_view[1][1]);
    // A gap collapses the quad to a point: nothing is rasterised.
    let radius = max(params.size.x, params.size.z * pixel) * select(1.0, params.size.y, selected)
        * select(1.0, 0.0, gap);
    view_pos = view_pos + vec3<f32>(v.corner * radius, radius); // towards the camera by r
    var out: VertexOut;
    out.clip_position = position_view_to_clip(view_pos);
    out.corner = v.corner;
    out.color = vec4<f32>(srgb_to_linear(srgb), 1.0);
    out.selected = select(0.0, 1.0, selected);
    return out;
}

@fragment
fn fragment(in: VertexOut) -> @location(0) vec4<f32> {
    let d2 = dot(in.corner, in.corner);
    if (d2 > 1.0) {
        discard;
    }
    // Sphere impostor normal in view space, lit by a head light from the upper left.
    let n = vec3<f32>(in.corner.x, in.corner.y, sqrt(1.0 - d2));
    let l = normalize(vec3<f32>(-0.35, 0.55, 0.75));
    let diffuse = max(dot(n, l), 0.0);
    let h = normalize(l + vec3<f32>(0.0, 0.0, 1.0));
    let spec = pow(max(dot(n, h), 0.0), 40.0);
    var rgb = in.color.rgb * (0.28 + 0.8 * diffuse) + vec3<f32>(0.35 * spec);
    if (in.selected > 0.5 && d2 > 0.55) {
        rgb = params.selected_color.rgb; // highlight ring
    }
    return vec4<f32>(rgb, 1.0);
}
