#version 330 core
// Ground-truth pass (no multisampling): UV, camera depth, object id, normal, page masks (labels, never blended).
uniform usampler2D u_masks;   // page masks: r = trace lead index + 1, g = grid, b = text and marks, a = ink (bits)
uniform int u_object_id;      // 1 table, 2 sheet, 3 occluder (0 is left by the clear; 4 = back of the sheet)
uniform vec4 u_depth_row;     // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
// One target per layer, each in the dtype it is read back in, so every layer comes back without repacking.
layout(location = 0) out vec2 f_uv;        // u, v (image-style, v down); -1 off the sheet
layout(location = 1) out float f_depth;    // camera depth in mm
layout(location = 2) out float f_object;   // object id / 255 (an 8-bit normalised target)
layout(location = 3) out vec4 f_normal;    // world normal of the visible side, facing flag
layout(location = 4) out vec4 f_masks;     // mask values / 255

// The page masks under this pixel, as labels (never blended). By default the texel under its centre. Where a pixel
// covers more than 1.5 texels somewhere on the sheet, the renderer defines MINIFIED_MASKS (a CPU rasteriser runs
// both sides of a branch, so the box below would cost every frame): every texel of the box around the pixel's
// footprint on the page (half-extents from the UV's screen derivatives, which are the triangle's own), combined as
// the highest lead index and the other channels' bits or-ed, so a thin trace marks every pixel it reaches into,
// where the texel under the centre misses most of them. Up to 1.5 texels a pixel it is still the texel under the
// centre: pixel centres then step at most 1.5 texels, so a line that wide (0.2 mm at 200 dpi) marks every pixel.
#ifdef MINIFIED_MASKS
const int MAX_TAPS = 12;  // texels read per axis at most: every texel up to 12 texels a pixel, evenly spaced beyond
const float EDGE = 1e-3;  // texels: overlaps thinner than this are rounding
const float NEAREST_REACH = 0.75;  // half a pixel's footprint, in texels, up to which the centre's texel is used

uvec4 masks_under(vec2 uv) {
    ivec2 size = textureSize(u_masks, 0);
    vec2 t = uv * vec2(size);
    vec2 reach = 0.5 * (abs(dFdx(t)) + abs(dFdy(t)));
    if (max(reach.x, reach.y) <= NEAREST_REACH) return texelFetch(u_masks, clamp(ivec2(t), ivec2(0), size - 1), 0);
    // the texels the footprint [t - reach, t + reach) overlaps by more than EDGE (rounding must not add a row)
    ivec2 lo = clamp(ivec2(floor(t - reach + EDGE)), ivec2(0), size - 1);
    ivec2 hi = clamp(ivec2(ceil(t + reach - EDGE)) - 1, ivec2(0), size - 1);
    ivec2 stride = max(ivec2(1), (hi - lo + MAX_TAPS) / MAX_TAPS);
    uvec4 m = uvec4(0u);
    for (int y = lo.y; y <= hi.y; y += stride.y) {
        for (int x = lo.x; x <= hi.x; x += stride.x) {
            uvec4 s = texelFetch(u_masks, ivec2(x, y), 0);
            m = uvec4(max(m.r, s.r), m.gba | s.gba);
        }
    }
    return m;
}
#else
uvec4 masks_under(vec2 uv) {
    ivec2 size = textureSize(u_masks, 0);
    return texelFetch(u_masks, clamp(ivec2(uv * vec2(size)), ivec2(0), size - 1), 0);
}
#endif

void main() {
    f_depth = dot(u_depth_row.xyz, v_world) + u_depth_row.w;
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    f_normal = vec4(n, gl_FrontFacing ? 1.0 : -1.0);
    if (u_object_id == 2) {
        // id 2: the printed side of the sheet, 4: its blank back (seen through a fold)
        f_uv = v_uv;
        f_object = (gl_FrontFacing ? 2.0 : 4.0) / 255.0;
        uvec4 masks = masks_under(v_uv);  // for both sides: its derivatives need the whole 2x2 quad
        f_masks = gl_FrontFacing ? vec4(masks) / 255.0 : vec4(0.0);  // the back is blank
    } else {
        f_uv = vec2(-1.0);
        f_object = float(u_object_id) / 255.0;
        f_masks = vec4(0.0);
    }
}
