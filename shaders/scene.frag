#version 330 core
// Colour pass: paper, table and occluders lit by up to 4 lights, 2 of them with PCF-filtered shadow maps.
// Output is linear radiance; exposure, white balance and tone mapping happen in post.
#define MAX_LIGHTS 4
#define PCF_TAPS 8
#define SHADOW_SLOTS 2

uniform int u_num_lights;
uniform int u_light_kind[MAX_LIGHTS];      // 0 directional, 1 point, 2 spot
uniform vec3 u_light_pos[MAX_LIGHTS];
uniform vec3 u_light_dir[MAX_LIGHTS];      // direction the light travels
uniform vec3 u_light_color[MAX_LIGHTS];    // colour * intensity (irradiance at the light's target)
uniform float u_light_range[MAX_LIGHTS];   // distance light -> target, for inverse-square falloff
uniform float u_light_cos_cone[MAX_LIGHTS];
uniform int u_light_shadow[MAX_LIGHTS];    // index of its shadow map, or -1

uniform sampler2DShadow u_shadow_atlas;     // SHADOW_SLOTS square depth maps side by side
uniform mat4 u_shadow_vp[2];               // world -> light clip space
uniform float u_shadow_radius[2];          // PCF filter radius in shadow-map UV units

uniform vec3 u_ambient;                    // sky colour * intensity
uniform float u_ao_strength;
uniform vec3 u_cam_pos;
uniform vec3 u_view_dir;                   // camera forward, used when u_ortho = 1
uniform int u_ortho;

uniform sampler2D u_albedo;                // page or table texture (sRGB decoded to linear by the sampler)
uniform int u_use_texture;
uniform vec3 u_color;                      // albedo when no texture, and colour of the paper's back side
uniform float u_gloss;                     // base specular weight of the material
uniform int u_is_sheet;

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_color;

const vec2 POISSON[PCF_TAPS] = vec2[](  // two rings of a disc of radius 1
    vec2(-0.7071, 0.7071), vec2(-0.0000, -0.8750), vec2(0.5303, 0.5303), vec2(-0.6250, -0.0000),
    vec2(0.3062, -0.3062), vec2(-0.0000, 0.3750), vec2(-0.1768, -0.1768), vec2(0.1250, 0.0000));

float shadow_lookup(int idx, vec3 pos, float ndotl) {
    // Percentage-closer filtering: 8 hardware-bilinear depth comparisons (32 texels) on a disc, rotated per pixel so
    // that banding turns into fine noise. Both shadow maps live side by side in one atlas (one sampler, no branching).
    vec4 clip = u_shadow_vp[idx] * vec4(pos, 1.0);
    vec3 p = clip.xyz / clip.w * 0.5 + 0.5;
    if (p.x <= 0.0 || p.x >= 1.0 || p.y <= 0.0 || p.y >= 1.0 || p.z >= 1.0) return 1.0;
    p.z -= 0.0004 + 0.0015 * (1.0 - ndotl);  // slope-scaled bias against acne
    float a = 6.2831853 * fract(52.9829189 * fract(dot(gl_FragCoord.xy, vec2(0.06711056, 0.00583715))));
    mat2 rot = mat2(cos(a), sin(a), -sin(a), cos(a)) * u_shadow_radius[idx];
    float lit = 0.0;
    for (int i = 0; i < PCF_TAPS; ++i) {
        vec2 uv = clamp(p.xy + rot * POISSON[i], 0.0, 1.0);
        lit += texture(u_shadow_atlas, vec3((uv.x + float(idx)) / float(SHADOW_SLOTS), uv.y, p.z));
    }
    return lit / float(PCF_TAPS);
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
        if (ndotl <= 0.0) continue;
        float vis = u_light_shadow[i] >= 0 ? shadow_lookup(u_light_shadow[i], v_world, ndotl) : 1.0;
        vec3 h = normalize(l + v);
        float f1 = clamp(1.0 - dot(v, h), 0.0, 1.0);
        float f2 = f1 * f1;
        float fresnel = 0.04 + 0.96 * f2 * f2 * f1;  // Schlick: the sheen rises at grazing angles
        float spec = ks * (shininess + 8.0) / 25.13 * pow(clamp(dot(n, h), 0.0, 1.0), shininess) * fresnel * 4.0;
        radiance += u_light_color[i] * atten * vis * ndotl * (albedo * kd + spec);
    }
    f_color = vec4(radiance, 1.0);
}
