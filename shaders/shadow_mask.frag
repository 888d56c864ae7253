#version 330 core
// Shadow mask: how much of each shadow-casting light reaches the visible surface, drawn at a fraction of the frame's
// resolution (soft shadows are smooth, and PCF is the costliest thing a CPU rasteriser does per pixel). The lighting
// pass (lighting.frag) upsamples it with depth-aware weights, and the colour pass the lighting the same way
// (scene.frag), so shadows stop at silhouettes.
// Penumbrae follow the light's size (percentage-closer soft shadows): a blocker search finds how far above the
// surface the shadow casters are, and the filter widens with that distance, so a pen's shadow is crisp where it
// touches the paper and a phone held 20 cm up casts a broad soft one.
#define TAPS 16         // filter and blocker-search taps
#define BIAS_MM 1.0      // depth bias, mm
#define MIN_GAP_MM 5.0   // casters nearer the surface than this are contact shadows, not penumbra makers
#define WANDER 0.05      // the filter's bias grows with its radius: 3 mm at a 60 mm penumbra
#define SEARCH_NEAR_MM 20.0
#define SEARCH_FAR_MM 150.0
#define SHADOW_SLOTS 2

uniform sampler2DShadow u_shadow_atlas;  // SHADOW_SLOTS square depth maps side by side (hardware comparison)
uniform sampler2D u_shadow_depth;        // the same atlas read as depths (blocker search)
uniform mat4 u_shadow_vp[SHADOW_SLOTS];  // world -> light clip space
uniform int u_slot_ortho[SHADOW_SLOTS];  // 1: directional light (orthographic map), 0: point or spot (perspective)
uniform vec2 u_slot_range[SHADOW_SLOTS]; // near and far plane of the map, mm from the light
uniform float u_slot_half[SHADOW_SLOTS]; // map half-width: mm (orthographic) or tan(half angle) (perspective)
uniform float u_slot_size[SHADOW_SLOTS]; // light radius in mm (0: a fixed filter of u_slot_soft)
uniform float u_slot_soft[SHADOW_SLOTS]; // smallest penumbra radius in mm (Light.softness_mm)
uniform float u_slot_dist[SHADOW_SLOTS]; // directional light: nominal distance of its source, mm
uniform float u_normal_offset[SHADOW_SLOTS];  // mm the lookup point moves off the surface (half the least radius)
uniform int u_num_slots;                 // shadow maps in use (0-2)
uniform float u_texels_per_mm;           // mask texels per mm of surface at 1 mm camera depth (fx / mask scale)
uniform vec4 u_depth_row;                // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_mask;  // r, g: visibility of shadow slots 0, 1; b: camera depth in mm (for depth-aware filtering);
                  // a: the widest penumbra here, in mask texels (how far shadow_blur.frag may smooth)

const vec2 POISSON[TAPS] = vec2[](  // a Poisson disc inside radius 1, by angle (every other tap also covers it)
    vec2(-0.5570, -0.1321), vec2(-0.7635, -0.5003), vec2(-0.4520, -0.8479), vec2(-0.2019, -0.4411),
    vec2(0.0158, -0.8278), vec2(0.6353, -0.7281), vec2(0.2645, -0.2713), vec2(0.8125, -0.1962),
    vec2(0.9315, 0.2893), vec2(0.5027, 0.3103), vec2(0.4849, 0.8124), vec2(0.0783, 0.2751),
    vec2(0.0756, 0.9289), vec2(-0.3939, 0.7764), vec2(-0.4390, 0.2752), vec2(-0.8887, 0.2462));

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

float linear_depth(int slot, float z) {
    // map depth in [0, 1] -> distance from the light along its axis, mm
    vec2 r = u_slot_range[slot];
    if (u_slot_ortho[slot] == 1) return r.x + z * (r.y - r.x);
    return 2.0 * r.x * r.y / (r.y + r.x - (2.0 * z - 1.0) * (r.y - r.x));
}

float depth_per_mm(int slot, float dist) {
    // how much the map's [0, 1] depth changes per mm of distance from the light, at that distance
    vec2 r = u_slot_range[slot];
    return u_slot_ortho[slot] == 1 ? 1.0 / (r.y - r.x) : r.x * r.y / ((r.y - r.x) * dist * dist);
}

float mm_per_uv(int slot, float dist) {
    // width of the shadow map, in mm, at a distance from the light
    return 2.0 * (u_slot_ortho[slot] == 1 ? u_slot_half[slot] : dist * u_slot_half[slot]);
}

float penumbra_mm[SHADOW_SLOTS] = float[](0.0, 0.0);  // set by visibility(): the filter radius it used

float visibility(int slot, vec3 n) {
    // Normal offset: a wide filter on a curved receiver (a crease valley, a crumpled facet) would otherwise find the
    // surface itself above the tangent plane within its radius and shade it; lifting the lookup point by half the
    // least radius clears slopes up to ~25 degrees and moves contact shadows by under a millimetre or two.
    vec3 pos = v_world + n * u_normal_offset[slot];
    vec4 clip = u_shadow_vp[slot] * vec4(pos, 1.0);
    vec3 p = clip.xyz / clip.w * 0.5 + 0.5;
    if (p.x <= 0.0 || p.x >= 1.0 || p.y <= 0.0 || p.y >= 1.0 || p.z >= 1.0) return 1.0;
    vec2 slope = receiver_slope(slot, pos, n);
    float receiver = linear_depth(slot, p.z);
    // constant bias of BIAS_MM in depth-map units: clears the map's quantisation and keeps the paper from shadowing
    // the table it lies on (0.25 mm below it) under wide filters
    p.z -= BIAS_MM * depth_per_mm(slot, receiver);
    float uv_per_mm = 1.0 / mm_per_uv(slot, receiver);
    float radius_mm = u_slot_soft[slot];
    if (u_slot_size[slot] > 0.0) {
        // Blocker search over the disc through which the surface sees the light: the mean distance of what is
        // nearer the light than the surface sets the penumbra (similar triangles: light size x gap / blocker).
        // Two rings: even taps search near (a pen's thin shadow must not fall between taps), odd taps far (a
        // phone 20 cm up has a penumbra as wide as the light is large, and its edge must fade, not stop).
        float near_search = clamp(0.5 * u_slot_size[slot], u_slot_soft[slot], SEARCH_NEAR_MM) * uv_per_mm;
        float far_search = clamp(u_slot_size[slot], u_slot_soft[slot], SEARCH_FAR_MM) * uv_per_mm;
        // Only casters MIN_GAP_MM above the surface count: the paper's own wrinkles would drag the mean toward it
        float gap = MIN_GAP_MM * depth_per_mm(slot, receiver);
        float blockers = 0.0, found = 0.0;
        for (int i = 0; i < TAPS; ++i) {
            vec2 offset = ((i & 1) == 0 ? near_search : far_search) * POISSON[i];
            vec2 uv = clamp(p.xy + offset, 0.0, 1.0);
            float z = texture(u_shadow_depth, vec2((uv.x + float(slot)) / float(SHADOW_SLOTS), uv.y)).r;
            if (z < p.z + dot(slope, offset) - gap) { blockers += linear_depth(slot, z); found += 1.0; }
        }
        if (found > 0.0) {  // none: only contact shadows here, which keep the least penumbra
            float blocker = blockers / found;
            float source = u_slot_ortho[slot] == 1 ? u_slot_dist[slot] : blocker;
            radius_mm = max(radius_mm, u_slot_size[slot] * max(receiver - blocker, 0.0) / max(source, 1.0));
        }
    }
    penumbra_mm[slot] = radius_mm;
    // Percentage-closer filtering: hardware-bilinear depth comparisons on a disc of the penumbra's radius.
    // Taps are weighted down toward the rim (1 - 0.9 r^2), so a blocker entering the disc darkens it gradually
    // instead of by one tap's share at once: no steps at the penumbra's outer edge.
    // The disc turns from texel to texel, so the few taps' banding becomes noise that shadow_blur.frag removes.
    float a = 6.2831853 * fract(52.9829189 * fract(dot(gl_FragCoord.xy, vec2(0.06711056, 0.00583715))));
    mat2 rot = mat2(cos(a), sin(a), -sin(a), cos(a)) * (radius_mm * uv_per_mm);
    // a wide disc spans a curved surface: let the surface stray from its tangent plane by a share of the radius
    float wander = WANDER * radius_mm * depth_per_mm(slot, receiver);
    float lit = 0.0, total = 0.0;
    for (int i = 0; i < TAPS; ++i) {
        vec2 offset = rot * POISSON[i];
        vec2 uv = clamp(p.xy + offset, 0.0, 1.0);
        float z = p.z + dot(slope, offset) - wander;
        float w = 1.0 - 0.9 * dot(POISSON[i], POISSON[i]);
        lit += w * texture(u_shadow_atlas, vec3((uv.x + float(slot)) / float(SHADOW_SLOTS), uv.y, z));
        total += w;
    }
    return lit / total;
}

void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;  // the side we see
    vec2 vis = vec2(1.0);
    if (u_num_slots > 0) vis.x = visibility(0, n);
    if (u_num_slots > 1) vis.y = visibility(1, n);
    float depth = dot(u_depth_row.xyz, v_world) + u_depth_row.w;
    float penumbra = max(vis.x < 1.0 ? penumbra_mm[0] : 0.0, vis.y < 1.0 ? penumbra_mm[1] : 0.0);
    f_mask = vec4(vis, depth, penumbra * u_texels_per_mm / max(depth, 1.0));
}
