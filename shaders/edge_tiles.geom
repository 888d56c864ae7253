#version 330 core
// Where the edge anti-aliasing runs (edge_aa.frag), and where the colour pass upsamples the lighting with care for
// silhouettes (scene.frag's SILHOUETTES; renderer._colour_pass marks them in the depth buffer): over each block of
// u_block x u_block texels of the lighting terms that lies within ``u_reach`` texels of a surface change.
// lighting.frag keys its texels by camera depth + 1e5 mm per surface (table, sheet, sheet's back, occluder); a
// silhouette between two adjacent texel centres lies within those two texels, and the texels within reach around them
// cover the pixels FXAA changes beside it (and each pixel whose four nearest texels straddle it). A CPU rasteriser runs
// every branch of a fragment shader on every pixel it covers, and sets up each triangle at a cost of thousands of
// pixels' worth: so the blocks are drawn each at most once, and large enough to be few (about 12 pixels a side).
// This is what makes the pass cost what the silhouettes' length costs instead of what the frame's area does. Keys
// also differ in depth on steep surfaces with no silhouette: that costs a few more blocks, and edge_aa.frag leaves
// their pixels alone.
layout(points) in;
layout(triangle_strip, max_vertices = 4) out;

const int MAX_BLOCK = 8;
const int MAX_REACH = 2;
const int SIDE = MAX_BLOCK + 2 * MAX_REACH;
uniform sampler2D u_keys;     // lighting.frag's f_spec_paper: alpha is the key
uniform ivec2 u_key_extent;   // lighting texels in use
uniform int u_block;          // texels per block side, up to MAX_BLOCK (edge_tiles.vert numbers blocks, not texels)
uniform int u_reach;          // texels to cover around a change (1 or 2: the margin in pixels / pixels per texel)
uniform vec2 u_texel_px;      // frame pixels per lighting texel, per axis
uniform vec2 u_canvas;        // frame width, height in pixels
uniform float u_tolerance;    // mm of depth that count as a step, at 0 mm (grows by 0.4% of the depth)
uniform float u_z;            // the quads' depth, normalised device coordinates (the colour pass marks blocks by it)

flat in ivec2 v_block[];

float key(ivec2 t) { return texelFetch(u_keys, clamp(t, ivec2(0), u_key_extent - 1), 0).a; }
bool changes(float a, float b) { return abs(a - b) > u_tolerance + 0.004 * mod(min(a, b), 1e5); }

void main() {
    ivec2 t0 = v_block[0] * u_block;  // the block's first texel
    float k[SIDE * SIDE];  // the block and u_reach texels around it, row by row from (MAX_REACH, MAX_REACH) = t0
    int lo = MAX_REACH - u_reach, hi = MAX_REACH + u_block - 1 + u_reach;
    for (int j = lo; j <= hi; ++j)
        for (int i = lo; i <= hi; ++i) k[j * SIDE + i] = key(t0 + ivec2(i, j) - MAX_REACH);
    bool near = false;  // does any pair of adjacent texels in the window differ?
    for (int j = lo; j <= hi; ++j) {
        for (int i = lo; i <= hi; ++i) {
            if (i < hi && changes(k[j * SIDE + i], k[j * SIDE + i + 1])) near = true;
            if (j < hi && changes(k[j * SIDE + i], k[(j + 1) * SIDE + i])) near = true;
        }
    }
    if (!near) return;
    vec2 a = vec2(t0) * u_texel_px / u_canvas * 2.0 - 1.0;
    vec2 b = vec2(t0 + u_block) * u_texel_px / u_canvas * 2.0 - 1.0;
    gl_Position = vec4(a.x, a.y, u_z, 1.0); EmitVertex();
    gl_Position = vec4(b.x, a.y, u_z, 1.0); EmitVertex();
    gl_Position = vec4(a.x, b.y, u_z, 1.0); EmitVertex();
    gl_Position = vec4(b.x, b.y, u_z, 1.0); EmitVertex();
    EndPrimitive();
}
