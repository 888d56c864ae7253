// Brown–Conrady lens distortion applied to a clip-space position (simulator/lens.py): the vertex lands where
// camera.project_points puts it, so every pass rasterises the final, distorted image directly.
uniform int u_lens_on;       // 0: no distortion (the position is returned as it is)
uniform vec4 u_lens_k;       // k1, k2, k3, and the squared normalised radius up to which the model is exact
uniform vec2 u_lens_p;       // p1, p2 (tangential)
uniform vec3 u_lens_f;       // fx, cx, cy in pixels (image convention: origin top-left, v down)
uniform vec2 u_lens_canvas;  // width, height in pixels
uniform float u_lens_far;    // distorted / undistorted radius at the limit: the radial scale used beyond it

vec2 ndc_to_px(vec2 ndc) { return vec2(ndc.x + 1.0, 1.0 - ndc.y) * 0.5 * u_lens_canvas; }
vec2 px_to_ndc(vec2 px) { vec2 t = 2.0 * px / u_lens_canvas; return vec2(t.x - 1.0, 1.0 - t.y); }

vec2 brown_conrady(vec2 p) {  // camera.distort on normalised coordinates
    float r2 = dot(p, p);
    float radial = 1.0 + r2 * (u_lens_k.x + r2 * (u_lens_k.y + r2 * u_lens_k.z));
    float p1 = u_lens_p.x, p2 = u_lens_p.y;
    return p * radial + vec2(2.0 * p1 * p.x * p.y + p2 * (r2 + 2.0 * p.x * p.x),
                             p1 * (r2 + 2.0 * p.y * p.y) + 2.0 * p2 * p.x * p.y);
}

vec4 apply_lens(vec4 clip) {
    if (u_lens_on == 0) return clip;
    vec2 c = u_lens_f.yz;
    if (clip.w <= 0.0) {
        // at or behind the camera plane (corners of triangles the near plane clips; x / w is undefined at w = 0):
        // the far-field radial scale about the principal point, written in clip space, where it is linear, so the
        // clipper's new vertices land where the far-field map would put them
        vec2 c_ndc = px_to_ndc(c);
        return vec4(clip.xy * u_lens_far + (1.0 - u_lens_far) * c_ndc * clip.w, clip.zw);
    }
    vec2 p = (ndc_to_px(clip.xy / clip.w) - c) / u_lens_f.x;
    // past the limit the polynomial would fold back: distort the point on the limit circle, scale it out again
    float s = max(1.0, sqrt(dot(p, p) / u_lens_k.w));
    vec2 d = brown_conrady(p / s) * s;
    return vec4(px_to_ndc(d * u_lens_f.x + c) * clip.w, clip.zw);
}
