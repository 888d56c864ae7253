#version 330 core
// Ground-truth pass (no multisampling, nearest page texels): UV, camera depth, object id, normal, page masks.
uniform usampler2D u_masks;   // page masks: r = trace lead index + 1, g = grid, b = text, a = ink
uniform int u_object_id;      // 1 table, 2 sheet, 3 occluder (0 is left by the clear; 4 = back of the sheet)
uniform vec4 u_depth_row;     // third row of [R | t]: camera depth z = dot(row.xyz, X) + row.w
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
in float v_ao;
// One target per layer, each in the dtype it is read back in, so every layer comes back without repacking.
layout(location = 0) out vec2 f_uv;        // u, v (image-style, v down); -1 off the sheet
layout(location = 1) out float f_depth;    // camera depth in mm
layout(location = 2) out float f_object;   // object id / 255 (an 8-bit normalised target)
layout(location = 3) out vec4 f_normal;    // world normal of the visible side, facing flag
layout(location = 4) out vec4 f_masks;     // mask values / 255
void main() {
    f_depth = dot(u_depth_row.xyz, v_world) + u_depth_row.w;
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    f_normal = vec4(n, gl_FrontFacing ? 1.0 : -1.0);
    if (u_object_id == 2) {
        // id 2: the printed side of the sheet, 4: its blank back (seen through a fold)
        f_uv = v_uv;
        f_object = (gl_FrontFacing ? 2.0 : 4.0) / 255.0;
        ivec2 size = textureSize(u_masks, 0);
        ivec2 texel = clamp(ivec2(v_uv * vec2(size)), ivec2(0), size - 1);
        f_masks = gl_FrontFacing ? vec4(texelFetch(u_masks, texel, 0)) / 255.0 : vec4(0.0);  // the back is blank
    } else {
        f_uv = vec2(-1.0);
        f_object = float(u_object_id) / 255.0;
        f_masks = vec4(0.0);
    }
}
