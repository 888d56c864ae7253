#version 330 core
// Lighting pass, at reduced resolution (about 0.5 mm of the page): what paper, table and occluders receive from up to
// 4 lights, 2 of them shadowed (visibility upsampled from the blurred shadow mask, shadow_mask.frag), and the sky.
// Lighting is smooth at this scale (the mesh's normals vary over millimetres); the print is not, so albedo is left to
// the full-resolution colour pass (scene.frag), which upsamples these terms and applies them to each pixel's albedo.
#include "lighting.glsl"

uniform float u_gloss;                     // base specular weight of the material
uniform int u_is_sheet;
uniform int u_surface;                     // 0 table, 1 sheet, 3 occluder: lighting is never mixed across surfaces

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
layout(location = 0) out vec4 f_diffuse;     // rgb: sum of lights' diffuse irradiance; a: sky visibility
layout(location = 1) out vec4 f_spec_paper;  // rgb: specular radiance of bare paper (or the material); a: key
layout(location = 2) out vec4 f_spec_ink;    // rgb: specular radiance where the print is fully inked

void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;                      // light the side we see
    // Ink is darker than paper and glossier. The print is not known at this resolution, so the specular term is
    // computed for bare paper and for full ink; the colour pass mixes them by each pixel's ink.
    bool printed = u_is_sheet == 1 && gl_FrontFacing;
    // Paper's lobe is broad (matte sheen); glossy thermal paper (gloss 0.1-0.3) narrows it into glare streaks.
    float sharpen = u_is_sheet == 1 ? 6000.0 * u_gloss * u_gloss : 0.0;
    float widen = u_is_sheet == 1 ? 1.0 : 2.0 + 20.0 * u_gloss;
    vec3 diffuse_sum, spec_paper, spec_ink;
    light_terms(v_world, n, u_gloss, 12.0 * widen + sharpen, u_gloss + 0.12, 60.0 * widen + sharpen, printed,
                diffuse_sum, spec_paper, spec_ink);
    f_diffuse = vec4(diffuse_sum, sky_visibility(n, v_ao));
    // the upsampling key: camera depth in mm, offset by 1e5 mm per surface (the sheet's back is a surface of its own)
    float surface = float(u_surface == 1 && !gl_FrontFacing ? 2 : u_surface);
    f_spec_paper = vec4(spec_paper, dot(u_depth_row.xyz, v_world) + u_depth_row.w + 1e5 * surface);
    f_spec_ink = vec4(printed ? spec_ink : spec_paper, 1.0);
}
