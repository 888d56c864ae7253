#version 330 core
// Colour pass for occluders (pen, clip, hand, the photographer's phone): lit per pixel with the model of
// lighting.glsl, since their geometry (a pen's clip, a finger's rim) is finer than the reduced resolution at which
// the sheet and table are lit, and they cover little of the frame. Output is linear radiance, as scene.frag's.
#include "lighting.glsl"

uniform vec3 u_ambient;                    // sky colour * intensity
uniform vec3 u_color;                      // the occluder's albedo
uniform float u_gloss;                     // its specular weight

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_color;

void main() {
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    vec3 diffuse_sum, spec, unused;
    light_terms(v_world, n, u_gloss, 12.0 * (2.0 + 20.0 * u_gloss), 0.0, 1.0, false, diffuse_sum, spec, unused);
    f_color = vec4(u_color * (u_ambient * sky_visibility(n, v_ao) + (1.0 - u_gloss) * diffuse_sum) + spec,
                   3.0);  // alpha: the occluder's object id (edge_aa.frag)
}
