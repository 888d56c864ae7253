"""benchmarks/floor_shaders.py: the renderer's shaders with the fragment work taken out (``render.py --floor``)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from simulator.deform import Fold
from simulator.gl_context import create_context
from simulator.occluders import Occluder
from simulator.programs import SHADER_DIR
from simulator.renderer import GT_PASSES, PageTextures, Renderer
from simulator.sheet import SheetSpec, build_sheet
from tests.conftest import ROOT
from tests.render_scenes import background_preset, camera_preset, lighting_preset

sys.path.insert(0, str(ROOT / "benchmarks"))
from floor_shaders import floor_source, write_floor_shaders  # noqa: E402

sys.path.remove(str(ROOT / "benchmarks"))

SIZE_MM = (200.0, 150.0)


def test_main_is_replaced_and_the_rest_of_the_shader_kept():
    text = ("#version 330 core\nuniform sampler2D u_tex;\nin vec2 v_uv;\nflat in float v_id;\n"
            "layout(location = 1) out vec4 f_a;\nout float f_b;\n"
            "float helper(vec2 p) { return texture(u_tex, p).r; }\n"
            "void main() {\n    if (v_id > 0.5) { f_a = vec4(helper(v_uv)); }\n    f_b = 1.0;\n}\n// after\n")
    floored = floor_source(text)
    head, main = floored.split("void main()")
    assert head == text.split("void main()")[0]  # declarations and helpers untouched
    assert "texture" not in main and "helper" not in main and "if" not in main
    assert "dot(v_uv, vec2(1.0))" in main and "v_id" in main  # the inputs stay live
    assert "f_a = vec4(s);" in main and "f_b = float(s);" in main
    assert floored.endswith("}\n// after\n")


def test_a_shader_without_main_is_a_clear_error():
    with pytest.raises(ValueError, match="no main"):
        floor_source("#version 330 core\nvoid helper() {}\n")


def test_the_floored_renderer_draws_every_pass_and_samples_no_texture(tmp_path):
    """Every floored program compiles and links with its vertex shader (all passes, shadows, an occluder, edge AA),
    the layers come back the real renderer's shapes, and the colour no longer depends on the page: no fragment
    shader fetches it."""
    rng = np.random.default_rng(0)
    sheet = build_sheet(SheetSpec(width_mm=SIZE_MM[0], height_mm=SIZE_MM[1], cell_mm=5.0,
                                  deformations=(Fold(pattern="half", angle_deg=160.0),)), rng)
    cam = camera_preset("phone_photo", rng, SIZE_MM, image_size=(320, 240))
    light = lighting_preset("phone_photo", rng, (SIZE_MM[0] / 2, SIZE_MM[1] / 2))
    bg = background_preset("phone_photo", rng, SIZE_MM)
    bg = type(bg)(table=bg.table, color=bg.color, seed=bg.seed, occluders=(Occluder(kind="pen", x_mm=80.0,
                                                                                    y_mm=60.0),))
    white, grey = (PageTextures(np.full((300, 400, 3), v, np.uint8), {}) for v in (255, 90))
    ctx = create_context()
    floored = Renderer(ctx, shader_dir=write_floor_shaders(tmp_path / "floor"))
    real = Renderer(ctx)
    passes = GT_PASSES | {"rgb"}
    frames = {(name, page_name): r.render(sheet, page, cam, light, bg, passes=passes)
              for name, r in (("floor", floored), ("real", real)) for page_name, page in (("white", white),
                                                                                         ("grey", grey))}
    for layer, array in frames["real", "white"].items():
        assert frames["floor", "white"][layer].shape == array.shape, layer
    assert np.array_equal(frames["floor", "white"]["rgb"], frames["floor", "grey"]["rgb"])
    assert not np.array_equal(frames["real", "white"]["rgb"], frames["real", "grey"]["rgb"])
    assert {p.name for p in (tmp_path / "floor").iterdir()} == {p.name for p in SHADER_DIR.iterdir()}
