#version 330 core
// Colour and ground-truth passes: world-space position, normal, page UV and ambient occlusion per vertex, placed
// through the camera and its lens distortion.
#include "lens.glsl"
uniform mat4 u_view_proj;  // camera projection * view, built from the camera's K, R, t (camera.gl_matrices)
in vec3 in_pos;
in vec3 in_normal;
in vec2 in_uv;    // OpenGL texture coordinates (v up), from coords.uv_to_gl
in float in_ao;   // 1 = open, 0 = fully occluded
out vec3 v_world;
out vec3 v_normal;
out vec2 v_uv;
out float v_ao;
void main() {
    v_world = in_pos;
    v_normal = in_normal;
    v_uv = in_uv;
    v_ao = in_ao;
    gl_Position = apply_lens(u_view_proj * vec4(in_pos, 1.0));
}
