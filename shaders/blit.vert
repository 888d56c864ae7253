#version 330 core
// A textured quad covering the viewport: the preview's frame, and the shadow-mask blur passes.
in vec2 in_pos;   // clip-space corner
in vec2 in_uv;    // OpenGL texture coordinates
out vec2 v_uv;
void main() {
    v_uv = in_uv;
    gl_Position = vec4(in_pos, 0.0, 1.0);
}
