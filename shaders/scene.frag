#version 330 core
// Colour pass: paper, table and occluders lit by up to 4 lights, 2 of them shadowed (visibility from the
// low-resolution shadow mask, shadow_mask.frag). Output is linear radiance; exposure, white balance and tone mapping
// happen in post.
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
uniform float u_mask_scale;                // frame pixels per shadow-mask texel
uniform vec4 u_depth_row;                  // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w

uniform vec3 u_ambient;                    // sky colour * intensity
uniform float u_ao_strength;
uniform vec3 u_cam_pos;
uniform vec3 u_view_dir;                   // camera forward, used when u_ortho = 1
uniform int u_ortho;

uniform sampler2D u_albedo;                // page or table texture (sRGB decoded to linear by the sampler)
uniform int u_use_texture;
uniform vec3 u_color;                      // albedo when no texture, and colour of the paper's back side
uniform float u_gloss;                     // base specular weight of the material
uniform float u_translucency;               // diffuse light wrapping past the terminator (skin: ~0.35, paper: 0)
uniform int u_is_sheet;

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_color;

vec2 shadow_visibility() {
    // Joint bilateral upsampling of the shadow mask: the 4 texels around this pixel, weighted bilinearly and by how
    // close their depth is to ours, so a shadow on the sheet does not bleed onto the table below its edge (or onto a
    // pen above it). If none is on our surface (a sliver thinner than a texel), take the nearest in depth.
    float depth = dot(u_depth_row.xyz, v_world) + u_depth_row.w;
    vec2 p = gl_FragCoord.xy / u_mask_scale - 0.5;
    vec2 f = fract(p);
    ivec2 base = ivec2(floor(p));
    ivec2 last = textureSize(u_shadow_mask, 0) - 1;
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

void main() {
    vec3 n = normalize(v_normal);
    bool back = u_is_sheet == 1 && !gl_FrontFacing;
    if (!gl_FrontFacing) n = -n;                      // light the side we see
    vec3 albedo = u_color;
    if (u_use_texture == 1 && !back) albedo = texture(u_albedo, v_uv).rgb;
    // ink is darker than paper and glossier: raise the specular weight with the print's darkness
    float ink = u_is_sheet == 1 && !back ? clamp(1.0 - dot(albedo, vec3(0.2126, 0.7152, 0.0722)) * 1.25, 0.0, 1.0) : 0.0;
    float ks = u_gloss + 0.12 * ink;
    // Paper's lobe is broad (matte sheen); glossy thermal paper (gloss 0.1-0.3) narrows it into glare streaks.
    float shininess = u_is_sheet == 1 ? mix(12.0, 60.0, ink) + 6000.0 * u_gloss * u_gloss
                                      : mix(12.0, 60.0, ink) * (2.0 + 20.0 * u_gloss);
    // A glossy coat adds a specular layer on top of the paper; it does not make the paper itself darker.
    float kd = u_is_sheet == 1 ? 1.0 - 0.04 - 0.12 * ink : 1.0 - ks;
    vec3 v = u_ortho == 1 ? -u_view_dir : normalize(u_cam_pos - v_world);
    float ao = mix(1.0, v_ao, u_ao_strength);
    vec2 shadow = shadow_visibility();
    vec3 radiance = albedo * u_ambient * ao * (0.75 + 0.25 * n.z);  // sky: brighter on faces that look up
    for (int i = 0; i < MAX_LIGHTS; ++i) {
        if (i >= u_num_lights) break;
        vec3 l = -u_light_dir[i];
        float atten = 1.0;
        if (u_light_kind[i] != 0) {
            vec3 d = u_light_pos[i] - v_world;
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
        vec3 h = normalize(l + v);
        float f1 = clamp(1.0 - dot(v, h), 0.0, 1.0);
        float f2 = f1 * f1;
        float fresnel = 0.04 + 0.96 * f2 * f2 * f1;  // Schlick: the sheen rises at grazing angles
        float spec = ks * (shininess + 8.0) / 25.13 * pow(clamp(dot(n, h), 0.0, 1.0), shininess) * fresnel * 4.0;
        radiance += u_light_color[i] * atten * vis * (albedo * kd * diffuse + spec * max(ndotl, 0.0));
    }
    f_color = vec4(radiance, 1.0);
}
