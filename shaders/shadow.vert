#version 330 core
// Shadow pass: depth of the sheet and occluders seen from one light.
uniform mat4 u_light_vp;  // light view-projection (world mm -> light clip space)
in vec3 in_pos;
void main() {
    gl_Position = u_light_vp * vec4(in_pos, 1.0);
}
