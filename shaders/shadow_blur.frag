#version 330 core
// Shadow-mask blur, one direction per pass (run across, then down). A 5-tap binomial filter whose step follows the
// penumbra radius stored in the mask's alpha (in mask texels) and whose weights fall off with depth difference, so it
// never blurs across a silhouette: wide penumbrae, filtered with 16 rotated taps and so noisy, come out smooth, while
// contact shadows (alpha near 0) are left as they are.
uniform sampler2D u_mask;   // r, g: visibility of shadow slots 0, 1; b: camera depth in mm; a: penumbra in texels
uniform vec2 u_direction;   // (1, 0) across, (0, 1) down
uniform vec2 u_extent;      // texels in use (the texture may be larger: its other texels are stale)
in vec2 v_uv;
out vec4 f_mask;

const float W[5] = float[](1.0, 4.0, 6.0, 4.0, 1.0);

void main() {
    ivec2 size = textureSize(u_mask, 0);
    vec4 centre = texelFetch(u_mask, ivec2(gl_FragCoord.xy), 0);
    float stride = clamp(centre.a / 2.0, 0.0, 4.0);  // taps span ±2 strides: the penumbra's radius
    float tolerance = 0.5 + 0.004 * centre.b;       // mm, as in the colour pass's upsampling
    vec2 sum = vec2(0.0);
    float total = 0.0;
    for (int k = -2; k <= 2; ++k) {
        vec2 at = clamp(gl_FragCoord.xy + u_direction * (float(k) * stride), vec2(0.5), u_extent - 0.5);
        vec4 s = texture(u_mask, at / vec2(size));
        float dz = s.b - centre.b;
        float w = W[k + 2] * exp(-dz * dz / (tolerance * tolerance));
        sum += w * s.rg;
        total += w;
    }
    f_mask = vec4(sum / total, centre.b, centre.a);
}
