#version 330 core
// Anti-aliasing of silhouettes after a single-sampled colour pass: FXAA (Lottes' 3.11 "quality" algorithm) on
// silhouette pixels only, so the print inside the page (traces, grid, text: already filtered by the page texture's
// mipmaps) is never touched. Drawn only over the blocks edge_tiles.geom picks near surface changes. A pixel is on a
// silhouette when a 4-neighbour shows another surface (the colour pass writes the surface's object id into alpha:
// table 1, sheet 2, occluder 3, sheet's back 4, nothing 0) or when the depth steps there (a fold's edge over the
// sheet, a finger over a finger, a pen where it dips into a crumpled sheet): the second difference of linear depth
// across the pixel, zero on any plane however steep and large where one surface ends in front of another. Other
// pixels are discarded and keep the colour copied into the target before this pass.

uniform sampler2D u_color;   // linear radiance, alpha = object id (the colour pass's target)
uniform sampler2D u_depth;   // its depth buffer (window depth in [0, 1])
uniform ivec2 u_extent;      // pixels in use (the textures may be larger: the rest is stale)
uniform vec2 u_near_far;     // the projection's near and far planes, mm
uniform int u_ortho;         // 1: window depth is linear in eye depth

out vec4 f_color;

const float EDGE_MIN = 0.02;        // below this luma contrast an edge needs no smoothing
const float EDGE_REL = 0.08;        // ... nor below this fraction of the local maximum
const float SUBPIX = 0.5;           // how much a lone pixel (thinner than the edge search sees) is softened
const int SEARCH_STEPS = 10;
const float STEP[SEARCH_STEPS] = float[](1.0, 1.0, 1.0, 1.0, 1.5, 2.0, 2.0, 2.0, 4.0, 8.0);

vec2 texel;  // one texel in texture coordinates

float luma(vec3 c) { return sqrt(dot(max(c, 0.0), vec3(0.2126, 0.7152, 0.0722))); }  // roughly perceptual
vec2 inside(vec2 uv) { return clamp(uv, 0.5 * texel, (vec2(u_extent) - 0.5) * texel); }  // past it: stale pixels
float luma_at(vec2 uv) { return luma(texture(u_color, inside(uv)).rgb); }  // bilinear: between rows, their mean

float eye_depth(ivec2 p) {
    float d = texelFetch(u_depth, clamp(p, ivec2(0), u_extent - 1), 0).r;
    float n = u_near_far.x, f = u_near_far.y;
    if (u_ortho == 1) return n + d * (f - n);
    return 2.0 * n * f / (f + n - (2.0 * d - 1.0) * (f - n));
}

// ids: the object ids of the pixel's north, south, east and west neighbours
bool on_silhouette(ivec2 p, float id, vec4 ids) {
    vec4 step = abs(ids - id);
    if (max(max(step.x, step.y), max(step.z, step.w)) > 0.25) return true;
    float z = eye_depth(p);
    float bend_v = abs(eye_depth(p + ivec2(0, 1)) + eye_depth(p - ivec2(0, 1)) - 2.0 * z);
    float bend_h = abs(eye_depth(p + ivec2(1, 0)) + eye_depth(p - ivec2(1, 0)) - 2.0 * z);
    return max(bend_v, bend_h) > 1.0 + 0.004 * z;  // mm: far more than a crease bends over one pixel
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy);
    ivec2 last = u_extent - 1;
    vec4 centre = texelFetch(u_color, p, 0);
    vec4 north = texelFetch(u_color, min(p + ivec2(0, 1), last), 0);
    vec4 south = texelFetch(u_color, max(p - ivec2(0, 1), ivec2(0)), 0);
    vec4 east = texelFetch(u_color, min(p + ivec2(1, 0), last), 0);
    vec4 west = texelFetch(u_color, max(p - ivec2(1, 0), ivec2(0)), 0);
    f_color = centre;
    if (!on_silhouette(p, centre.a, vec4(north.a, south.a, east.a, west.a))) discard;

    texel = 1.0 / vec2(textureSize(u_color, 0));
    vec2 pos = (vec2(p) + 0.5) * texel;
    float m = luma(centre.rgb);
    float n = luma(north.rgb), s = luma(south.rgb), e = luma(east.rgb), w = luma(west.rgb);
    float hi = max(m, max(max(n, s), max(e, w)));
    float range = hi - min(m, min(min(n, s), min(e, w)));
    if (range < max(EDGE_MIN, hi * EDGE_REL)) return;
    float ne = luma(texelFetch(u_color, clamp(p + ivec2(1, 1), ivec2(0), last), 0).rgb);
    float nw = luma(texelFetch(u_color, clamp(p + ivec2(-1, 1), ivec2(0), last), 0).rgb);
    float se = luma(texelFetch(u_color, clamp(p + ivec2(1, -1), ivec2(0), last), 0).rgb);
    float sw = luma(texelFetch(u_color, clamp(p + ivec2(-1, -1), ivec2(0), last), 0).rgb);

    // Is the edge horizontal or vertical? Compare second differences across rows and across columns.
    float edge_h = abs(nw + sw - 2.0 * w) + 2.0 * abs(n + s - 2.0 * m) + abs(ne + se - 2.0 * e);
    float edge_v = abs(sw + se - 2.0 * s) + 2.0 * abs(w + e - 2.0 * m) + abs(nw + ne - 2.0 * n);
    bool horizontal = edge_h >= edge_v;
    float l1 = horizontal ? s : w;  // the neighbours across the edge
    float l2 = horizontal ? n : e;
    float g1 = l1 - m, g2 = l2 - m;
    bool towards_2 = abs(g2) >= abs(g1);  // the edge lies on the side of the steeper gradient
    float gradient = max(abs(g1), abs(g2));
    float across = towards_2 ? 1.0 : -1.0;
    float edge_luma = 0.5 * (m + (towards_2 ? l2 : l1));  // luma half-way across the edge

    // Walk along the edge, half a pixel across it (a bilinear tap averages both sides), until the averaged luma
    // leaves the edge's: that is where the staircase step ends on each side.
    vec2 along = horizontal ? vec2(texel.x, 0.0) : vec2(0.0, texel.y);
    vec2 mid = pos + (horizontal ? vec2(0.0, texel.y) : vec2(texel.x, 0.0)) * 0.5 * across;
    vec2 pos1 = mid - along, pos2 = mid + along;
    float end1 = luma_at(pos1) - edge_luma, end2 = luma_at(pos2) - edge_luma;
    float threshold = 0.25 * gradient;
    bool done1 = abs(end1) >= threshold, done2 = abs(end2) >= threshold;
    for (int i = 1; i < SEARCH_STEPS && !(done1 && done2); ++i) {
        if (!done1) { pos1 -= along * STEP[i]; end1 = luma_at(pos1) - edge_luma; done1 = abs(end1) >= threshold; }
        if (!done2) { pos2 += along * STEP[i]; end2 = luma_at(pos2) - edge_luma; done2 = abs(end2) >= threshold; }
    }
    float d1 = horizontal ? pos.x - pos1.x : pos.y - pos1.y;
    float d2 = horizontal ? pos2.x - pos.x : pos2.y - pos.y;
    // The nearer end decides: the reconstructed edge line crosses this pixel only if, at that end, the luma moves
    // away from ours (the step goes towards our side). The offset then grows from 0 mid-span to 1/2 at the end.
    bool centre_below = m - edge_luma < 0.0;
    bool good = ((d1 < d2 ? end1 : end2) < 0.0) != centre_below;
    float offset = good ? 0.5 - min(d1, d2) / (d1 + d2) : 0.0;

    // Sub-pixel term: a pixel unlike its whole neighbourhood (a sliver) is blended towards it.
    float average = (2.0 * (n + s + e + w) + ne + nw + se + sw) / 12.0;
    float lone = clamp(abs(average - m) / range, 0.0, 1.0);
    float soft = (-2.0 * lone + 3.0) * lone * lone;
    offset = max(offset, soft * soft * SUBPIX);

    vec2 shifted = pos + (horizontal ? vec2(0.0, texel.y) : vec2(texel.x, 0.0)) * offset * across;
    f_color = vec4(texture(u_color, inside(shifted)).rgb, centre.a);
}
