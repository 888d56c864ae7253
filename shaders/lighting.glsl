// Shared by lighting.frag (light at reduced resolution) and occluder.frag (lit per pixel): the lights, the
// soft-shadow mask's upsampling and the shading model. Shaders include it after their version line (programs.py).
#define MAX_LIGHTS 4

uniform int u_num_lights;
uniform int u_light_kind[MAX_LIGHTS];      // 0 directional, 1 point, 2 spot
uniform vec3 u_light_pos[MAX_LIGHTS];
uniform vec3 u_light_dir[MAX_LIGHTS];      // direction the light travels
uniform vec3 u_light_color[MAX_LIGHTS];    // colour * intensity (irradiance at the light's target)
uniform float u_light_range[MAX_LIGHTS];   // distance light -> target, for inverse-square falloff
uniform float u_light_cos_cone[MAX_LIGHTS];
uniform int u_light_shadow[MAX_LIGHTS];    // its channel in the shadow mask (0 or 1), or -1

uniform sampler2D u_shadow_mask;           // r, g: light visibility of shadow slots 0, 1; b: camera depth in mm
uniform vec2 u_mask_ratio;                 // shadow-mask texels per fragment of the current pass, per axis
uniform ivec2 u_mask_extent;               // shadow-mask texels in use (the texture may be larger: the rest is stale)
uniform vec4 u_depth_row;                  // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w

uniform float u_ao_strength;
uniform vec3 u_cam_pos;
uniform vec3 u_view_dir;                   // camera forward, used when u_ortho = 1
uniform int u_ortho;

uniform float u_translucency;              // diffuse light wrapping past the terminator (skin: ~0.35, paper: 0)

vec2 shadow_visibility(vec3 world) {
    // Joint bilateral upsampling of the shadow mask (drawn at a lower resolution than this pass): the 4 texels
    // around this one, weighted bilinearly and by how close their depth is to ours, so a shadow on the sheet does
    // not bleed onto the table below its edge (or onto a pen above it). If none is on our surface (a sliver thinner
    // than a texel), take the nearest in depth.
    float depth = dot(u_depth_row.xyz, world) + u_depth_row.w;
    vec2 p = gl_FragCoord.xy * u_mask_ratio - 0.5;
    vec2 f = fract(p);
    ivec2 base = ivec2(floor(p));
    ivec2 last = u_mask_extent - 1;
    float tolerance = 0.5 + 0.004 * depth;  // mm: a surface's depth changes little across one texel
    vec2 sum = vec2(0.0);
    float total = 0.0, best = 1e30;
    vec2 nearest = vec2(1.0);
    for (int k = 0; k < 4; ++k) {
        ivec2 o = ivec2(k & 1, k >> 1);
        vec4 s = texelFetch(u_shadow_mask, clamp(base + o, ivec2(0), last), 0);
        float dz = abs(s.b - depth);
        float w = (o.x == 1 ? f.x : 1.0 - f.x) * (o.y == 1 ? f.y : 1.0 - f.y) * exp(-dz * dz / (tolerance * tolerance));
        sum += w * s.rg;
        total += w;
        if (dz < best) { best = dz; nearest = s.rg; }
    }
    return total > 1e-4 ? sum / total : nearest;
}

// Specular radiance of one light for a material of weight ks and lobe exponent shininess (normalised Blinn-Phong
// with Schlick's Fresnel: the sheen rises at grazing angles).
float specular(vec3 n, vec3 l, vec3 v, float ks, float shininess) {
    vec3 h = normalize(l + v);
    float f1 = clamp(1.0 - dot(v, h), 0.0, 1.0);
    float f2 = f1 * f1;
    float fresnel = 0.04 + 0.96 * f2 * f2 * f1;
    return ks * (shininess + 8.0) / 25.13 * pow(clamp(dot(n, h), 0.0, 1.0), shininess) * fresnel * 4.0;
}

// What a surface point receives from the lights, as irradiance summed for diffuse reflection, and the specular
// radiance it reflects for bare material (ks_paper, sh_paper) and for full ink (ks_ink, sh_ink, only if inked).
void light_terms(vec3 world, vec3 n, float ks_paper, float sh_paper, float ks_ink, float sh_ink, bool inked,
                 out vec3 diffuse_sum, out vec3 spec_paper, out vec3 spec_ink) {
    vec3 v = u_ortho == 1 ? -u_view_dir : normalize(u_cam_pos - world);
    vec2 shadow = shadow_visibility(world);
    diffuse_sum = vec3(0.0);
    spec_paper = vec3(0.0);
    spec_ink = vec3(0.0);
    for (int i = 0; i < MAX_LIGHTS; ++i) {
        if (i >= u_num_lights) break;
        vec3 l = -u_light_dir[i];
        float atten = 1.0;
        if (u_light_kind[i] != 0) {
            vec3 d = u_light_pos[i] - world;
            float dist = length(d);
            l = d / dist;
            float ratio = u_light_range[i] / dist;
            atten = ratio * ratio;  // inverse square, 1 at the light's target
            if (u_light_kind[i] == 2)
                atten *= smoothstep(u_light_cos_cone[i], mix(u_light_cos_cone[i], 1.0, 0.3), dot(-l, u_light_dir[i]));
        }
        float ndotl = dot(n, l);
        // wrap lighting: light scattered under a translucent surface (skin) still reaches it a little past the
        // terminator, softening the shading the way a matte plastic-looking mesh would not
        float diffuse = (ndotl + u_translucency) / (1.0 + u_translucency);
        if (diffuse <= 0.0) continue;
        float vis = u_light_shadow[i] == 0 ? shadow.x : (u_light_shadow[i] == 1 ? shadow.y : 1.0);
        vec3 irradiance = u_light_color[i] * atten * vis;
        diffuse_sum += irradiance * diffuse;
        float lit = max(ndotl, 0.0);
        spec_paper += irradiance * lit * specular(n, l, v, ks_paper, sh_paper);
        if (inked) spec_ink += irradiance * lit * specular(n, l, v, ks_ink, sh_ink);
    }
}

// Sky light reaching a surface: less in crease valleys and under flaps (ambient occlusion), more on faces that look up.
float sky_visibility(vec3 n, float ao) {
    return mix(1.0, ao, u_ao_strength) * (0.75 + 0.25 * n.z);
}
