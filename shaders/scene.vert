#version 330 core
// Every pass seen by the camera (shadow mask, lighting, colour, ground truth): world-space position, normal, page UV
// and ambient occlusion per vertex, placed through the camera and its lens distortion.
#include "lens.glsl"
uniform mat4 u_view_proj;  // camera projection * view, built from the camera's K, R, t (camera.gl_matrices)
uniform float u_depth_push;  // 0, or for the table: its clip z moved back along its view rays (renderer.py)
in vec3 in_pos;
in vec3 in_normal;
in vec2 in_uv;    // image-style page UV (v down): the renderer uploads textures top row first
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
    // Moving every vertex of a surface away from the eye by the same factor s changes only clip z, by a constant:
    // projection(s * eye) is, up to the homogeneous factor s, clip + (0, 0, B (1/s - 1), 0) with B the projection's
    // constant z term (an orthographic push by d mm adds -A d). So the table is drawn where it is, only deeper.
    gl_Position.z += u_depth_push;
    // Upside down: framebuffer row 0 (which OpenGL reads back first) is the image's top row, so read-backs need no
    // flip. It mirrors the winding too: the renderer makes clockwise triangles front-facing for these passes.
    gl_Position.y = -gl_Position.y;
}
