#version 330 core
// Colour pass, at full resolution: each pixel's albedo (the page's print, the table's texture, a solid colour) lit by
// the terms lighting.frag computed at reduced resolution. Output is linear radiance; exposure, white balance and tone
// mapping happen in post.
//     radiance = albedo * (sky colour * sky visibility + kd * diffuse irradiance) + mix(paper, ink specular, ink)
// Occluders are drawn by occluder.frag instead, lit per pixel. Alpha holds the surface's object id (table 1, sheet 2,
// sheet's back 4), as gt.frag writes it, for the edge anti-aliasing.

uniform sampler2D u_diffuse;               // lighting.frag's outputs: rgb diffuse irradiance, a sky visibility
uniform sampler2D u_spec_paper;            // rgb bare-paper specular, a depth key (lighting.frag)
uniform sampler2D u_spec_ink;              // rgb fully-inked specular
uniform vec2 u_light_ratio;                // lighting texels per frame pixel (about 1 / the reduction), per axis
uniform ivec2 u_light_extent;              // lighting texels in use (the textures may be larger: the rest is stale)
uniform vec4 u_depth_row;                  // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w
uniform vec3 u_ambient;                    // sky colour * intensity

uniform sampler2D u_albedo;                // page or table texture (sRGB decoded to linear by the sampler)
uniform int u_use_texture;
uniform vec3 u_color;                      // albedo when no texture, and colour of the paper's back side
uniform float u_gloss;                     // base specular weight of the material
uniform int u_is_sheet;
uniform int u_surface;                     // 0 table, 1 sheet

// A camera pixel integrates the page over its footprint: a box. One trilinear lookup at the footprint's mip level is
// about 1.7 times as wide as that box (the level's box of texels widened by the bilinear tent), which washed a thin
// trace out on a low-resolution scan (a 0.4 mm line at 72 dpi kept a third of its ink); one lookup at a finer level
// is sharp but aliases the 1 mm grid lines' harmonics into beats 6-7 mm long. So the footprint is read at 2x2 points
// a quarter of a pixel from its centre along each screen axis, each one level finer (half the derivatives): their
// mean is close to the box, and its response falls to zero at one cycle per pixel, where those harmonics alias.
// Up to 1.25 texels a pixel (FOOTPRINT_TAPS undefined: renderer.typical_texels_per_pixel) one lookup is as good.
vec3 footprint_albedo(vec2 uv, vec2 du, vec2 dv) {
#ifndef FOOTPRINT_TAPS
    return texture(u_albedo, uv).rgb;
#else
    vec3 sum = vec3(0.0);
    for (int i = 0; i < 4; i++) {
        vec2 o = vec2(float(i & 1) - 0.5, float(i >> 1) - 0.5) * 0.5;   // (±0.25, ±0.25) px
        sum += textureGrad(u_albedo, uv + o.x * du + o.y * dv, 0.5 * du, 0.5 * dv).rgb;
    }
    return 0.25 * sum;
#endif
}

in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
out vec4 f_color;

void main() {
    bool back = u_is_sheet == 1 && !gl_FrontFacing;
    vec3 albedo = u_color;
    vec2 du = dFdx(v_uv), dv = dFdy(v_uv);  // outside the branch: derivatives need every pixel of the quad
    if (u_use_texture == 1 && !back) albedo = footprint_albedo(v_uv, du, dv);
    // ink is darker than paper and glossier: its specular term is lighting.frag's inked one, its diffuse weight lower
    float ink = u_is_sheet == 1 && !back ? clamp(1.0 - dot(albedo, vec3(0.2126, 0.7152, 0.0722)) * 1.25, 0.0, 1.0) : 0.0;
    // a glossy coat adds a specular layer on top of the paper; it does not make the paper itself darker
    float kd = u_is_sheet == 1 ? 1.0 - 0.04 - 0.12 * ink : 1.0 - u_gloss;

    // The lighting terms, upsampled. Compiled twice (renderer._colour_pass): with SILHOUETTES for the blocks of
    // lighting texels near a surface change (edge_tiles.geom picks them), plain bilinear everywhere else, where all
    // four texels around a pixel lie on its surface and the two agree.
#ifdef SILHOUETTES
    // Joint bilateral upsampling: the 4 texels around this pixel, weighted bilinearly and only if they are on our
    // surface at a depth close to ours, so the lighting of the sheet does not bleed onto the table at its edge (or
    // onto a pen above it); if none is (a sliver thinner than a texel), the nearest key wins.
    // Bare-paper specular (whose alpha holds the depth) is weighted texel by texel. The other two terms take one
    // bilinear fetch each at the point whose bilinear weights have the same row and column sums as ours: exact when
    // a silhouette cuts off a row or a column of the four, a small leak when it cuts off one corner, and three times
    // cheaper than eight more fetches on a CPU rasteriser.
    float depth = dot(u_depth_row.xyz, v_world) + u_depth_row.w;
    float key = depth + 1e5 * float(back ? 2 : u_surface);  // as lighting.frag writes it
    vec2 p = gl_FragCoord.xy * u_light_ratio - 0.5;
    vec2 f = fract(p);
    ivec2 base = ivec2(floor(p));
    ivec2 last = u_light_extent - 1;
    float tolerance = 0.5 + 0.004 * depth;  // mm (renderer.SPLIT_STEP_MM): depth changes little across a texel
    vec4 sp[4];
    float w[4];
    float total = 0.0;
    for (int k = 0; k < 4; ++k) {
        ivec2 o = ivec2(k & 1, k >> 1);
        sp[k] = texelFetch(u_spec_paper, clamp(base + o, ivec2(0), last), 0);
        float dz = sp[k].a - key;
        float bilinear = (o.x == 1 ? f.x : 1.0 - f.x) * (o.y == 1 ? f.y : 1.0 - f.y);
        w[k] = (dz * dz < tolerance * tolerance ? bilinear : 0.0) + 1e-6 / (1.0 + dz * dz);
        total += w[k];
    }
    vec3 spec_paper = (w[0] * sp[0].rgb + w[1] * sp[1].rgb + w[2] * sp[2].rgb + w[3] * sp[3].rgb) / total;
    vec2 at = clamp(vec2(base) + 0.5 + vec2(w[1] + w[3], w[2] + w[3]) / total, vec2(0.5), vec2(last) + 0.5)
              / vec2(textureSize(u_diffuse, 0));
#else
    vec2 at = clamp(gl_FragCoord.xy * u_light_ratio, vec2(0.5), vec2(u_light_extent) - 0.5)
              / vec2(textureSize(u_diffuse, 0));
    vec3 spec_paper = texture(u_spec_paper, at).rgb;
#endif
    vec4 diffuse = texture(u_diffuse, at);
    vec3 spec_ink = texture(u_spec_ink, at).rgb;
    vec3 radiance = albedo * (u_ambient * diffuse.a + kd * diffuse.rgb) + mix(spec_paper, spec_ink, ink);
    f_color = vec4(radiance, back ? 4.0 : float(1 + u_surface));  // alpha: the object id (edge_aa.frag)
}
