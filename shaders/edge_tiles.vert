#version 330 core
// One point per block of lighting texels (edge_tiles.geom's u_block), numbered by gl_VertexID (no vertex data):
// edge_tiles.geom decides whether the edge anti-aliasing (edge_aa.frag) or the colour pass's marks cover it.
uniform int u_columns;  // blocks per row
flat out ivec2 v_block;
void main() {
    v_block = ivec2(gl_VertexID % u_columns, gl_VertexID / u_columns);
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
