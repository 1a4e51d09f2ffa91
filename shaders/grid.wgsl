// Infinite ground grid for the Mocap Studio viewport.
//
// Drawn on a large plane at y = 0 in Bevy world space (metres, Y-up). Lines are computed per
// pixel from the world position with screen-space derivatives, so they stay one pixel wide at any
// distance; minor lines fade out where they would alias, everything fades with distance from the
// camera, and the world X (red) and Z (blue) axes are drawn through the origin.

#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

struct GridParams {
    minor_color: vec4<f32>,
    major_color: vec4<f32>,
    x_axis_color: vec4<f32>,
    z_axis_color: vec4<f32>,
    // x: minor cell size (m), y: minor cells per major line, z: fade start (m), w: fade end (m).
    params: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> grid: GridParams;

// Coverage (0–1) of grid lines of unit spacing in `coord`, `width` pixels wide.
fn lines(coord: vec2<f32>, width: f32) -> f32 {
    let d = max(fwidth(coord), vec2<f32>(1e-6));
    let dist = abs(fract(coord - 0.5) - 0.5) / d;
    let l = min(dist.x, dist.y);
    return 1.0 - clamp(l - (width - 1.0) * 0.5, 0.0, 1.0);
}

// Coverage of the single line where `c` = 0, `width` pixels wide.
fn axis_line(c: f32, width: f32) -> f32 {
    let d = max(fwidth(c), 1e-6);
    return 1.0 - clamp(abs(c) / d - (width - 1.0) * 0.5, 0.0, 1.0);
}

fn over(dst: vec4<f32>, src: vec4<f32>, coverage: f32) -> vec4<f32> {
    let a = src.a * coverage;
    return vec4<f32>(mix(dst.rgb, src.rgb, a), dst.a + a * (1.0 - dst.a));
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let p = in.world_position.xz;
    let cell = grid.params.x;
    let major_cell = cell * grid.params.y;

    // Minor lines vanish smoothly where cells get smaller than ~6 px.
    let cells_per_px = max(fwidth(p.x), fwidth(p.y)) / cell;
    let minor_fade = 1.0 - smoothstep(0.08, 0.25, cells_per_px);

    var c = vec4<f32>(0.0);
    c = over(c, grid.minor_color, lines(p / cell, 1.0) * minor_fade);
    c = over(c, grid.major_color, lines(p / major_cell, 1.4));
    c = over(c, grid.x_axis_color, axis_line(p.y, 2.0)); // the X axis is the line z = 0
    c = over(c, grid.z_axis_color, axis_line(p.x, 2.0)); // the Z axis is the line x = 0

    // Fade with distance from the camera, and at grazing angles where lines would shimmer.
    let to_eye = view.world_position - in.world_position.xyz;
    let dist = length(to_eye);
    let fade = 1.0 - smoothstep(grid.params.z, grid.params.w, dist);
    let grazing = smoothstep(0.02, 0.15, abs(to_eye.y) / max(dist, 1e-4));
    let alpha = c.a * fade * grazing;
    if (alpha < 0.003) {
        discard;
    }
    return vec4<f32>(c.rgb, alpha);
}
