#version 330 core
// Shadow mask: how much of each shadow-casting light reaches the visible surface, drawn at a fraction of the frame's
// resolution (soft shadows are smooth, and PCF is the costliest thing a CPU rasteriser does per pixel). The colour
// pass upsamples it with depth-aware weights (scene.frag, shadow_visibility), so shadows stop at silhouettes.
#define PCF_TAPS 16
#define SHADOW_SLOTS 2

uniform sampler2DShadow u_shadow_atlas;  // SHADOW_SLOTS square depth maps side by side
uniform mat4 u_shadow_vp[SHADOW_SLOTS];  // world -> light clip space
uniform float u_shadow_radius[SHADOW_SLOTS];  // PCF filter radius in shadow-map UV units
uniform float u_normal_offset[SHADOW_SLOTS];  // mm the lookup point moves off the surface (half the filter radius)
uniform int u_num_slots;                 // shadow maps in use (0-2)
uniform vec4 u_depth_row;                // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_mask;  // r, g: visibility of shadow slots 0 and 1; b: camera depth in mm (for the upsampling weights)

const vec2 POISSON[PCF_TAPS] = vec2[](  // a Poisson disc of radius 1
    vec2(-0.9420, -0.3991), vec2(0.9456, -0.7689), vec2(-0.0942, -0.9294), vec2(0.3450, 0.2939),
    vec2(-0.9159, 0.4577), vec2(-0.8154, -0.8791), vec2(-0.3828, 0.2768), vec2(0.9748, 0.7565),
    vec2(0.4432, -0.9751), vec2(0.5374, -0.4737), vec2(-0.2650, -0.4189), vec2(0.7920, 0.1909),
    vec2(-0.2419, 0.9971), vec2(-0.8141, 0.9144), vec2(0.1998, 0.7864), vec2(0.1438, -0.1410));

vec2 receiver_slope(int slot, vec3 pos, vec3 n) {
    // Receiver-plane depth bias: how the surface's shadow-map depth changes per unit of shadow-map uv on the plane
    // through this point with normal n (the exact face normal, so creases get their own planes). Each PCF tap then
    // compares against the surface's own depth at the tap's offset, so a wide filter on a slope does not shadow the
    // surface itself (acne). Chain rule through the projective light matrix along two tangents of the plane.
    mat4 m = u_shadow_vp[slot];
    vec4 c = m * vec4(pos, 1.0);
    vec3 t1 = normalize(cross(n, abs(n.z) < 0.9 ? vec3(0.0, 0.0, 1.0) : vec3(1.0, 0.0, 0.0)));
    vec3 t2 = cross(n, t1);
    vec4 a1 = m * vec4(t1, 0.0), a2 = m * vec4(t2, 0.0);
    vec3 d1 = 0.5 * (a1.xyz * c.w - c.xyz * a1.w) / (c.w * c.w);  // d(shadow coords)/d(t1), coords in [0, 1]
    vec3 d2 = 0.5 * (a2.xyz * c.w - c.xyz * a2.w) / (c.w * c.w);
    float det = d1.x * d2.y - d1.y * d2.x;
    if (abs(det) < 1e-14) return vec2(0.0);
    vec2 slope = vec2(d2.y * d1.z - d1.y * d2.z, d1.x * d2.z - d2.x * d1.z) / det;
    float len = length(slope);
    return len > 4.0 ? slope * (4.0 / len) : slope;  // grazing light: keep the bias bounded
}

float visibility(int slot, vec3 n) {
    // Normal offset: a wide filter on a curved receiver (a crease valley, a crumpled facet) would otherwise find the
    // surface itself above the tangent plane within its radius and shade it; lifting the lookup point by half the
    // radius clears slopes up to ~25 degrees and moves contact shadows by under a millimetre or two.
    vec3 pos = v_world + n * u_normal_offset[slot];
    vec4 clip = u_shadow_vp[slot] * vec4(pos, 1.0);
    vec3 p = clip.xyz / clip.w * 0.5 + 0.5;
    if (p.x <= 0.0 || p.x >= 1.0 || p.y <= 0.0 || p.y >= 1.0 || p.z >= 1.0) return 1.0;
    vec2 slope = receiver_slope(slot, pos, n);
    p.z -= 0.0004;  // constant bias: depth-map quantisation
    // Percentage-closer filtering: hardware-bilinear depth comparisons on a disc, rotated per pixel so that banding
    // turns into fine noise (which the upsampling then smooths).
    float a = 6.2831853 * fract(52.9829189 * fract(dot(gl_FragCoord.xy, vec2(0.06711056, 0.00583715))));
    mat2 rot = mat2(cos(a), sin(a), -sin(a), cos(a)) * u_shadow_radius[slot];
    float lit = 0.0;
    for (int i = 0; i < PCF_TAPS; ++i) {
        vec2 offset = rot * POISSON[i];
        vec2 uv = clamp(p.xy + offset, 0.0, 1.0);
        float z = p.z + dot(slope, offset);
        lit += texture(u_shadow_atlas, vec3((uv.x + float(slot)) / float(SHADOW_SLOTS), uv.y, z));
    }
    return lit / float(PCF_TAPS);
}

void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // the side we see
    vec2 vis = vec2(1.0);
    if (u_num_slots > 0) vis.x = visibility(0, n);
    if (u_num_slots > 1) vis.y = visibility(1, n);
    f_mask = vec4(vis, dot(u_depth_row.xyz, v_world) + u_depth_row.w, 1.0);
}
