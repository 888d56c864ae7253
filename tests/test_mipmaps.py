"""The page's and the table's mip chains, made on the CPU: GL's level sizes, averaging in linear light, and the
texture the renderer samples holds exactly these levels."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.gl_context import create_context
from simulator.mipmaps import level_sizes, srgb_mip_chain
from simulator.renderer import Renderer


@pytest.mark.parametrize("shape", [(1700, 2200, 3), (7, 5, 3), (1, 9, 3), (6, 4)])
def test_levels_have_gl_sizes_down_to_one_texel(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    chain = srgb_mip_chain(image)
    h, w = shape[:2]
    expected = [(max(1, h >> k), max(1, w >> k)) for k in range(1, max(h, w).bit_length())]
    assert [level.shape[:2] for level in chain] == expected == [s[::-1] for s in level_sizes(w, h)]
    assert all(level.dtype == np.uint8 and level.shape[2:] == shape[2:] for level in chain)
    assert chain[-1].shape[:2] == (1, 1)


def test_black_and_white_texels_average_to_half_the_light_not_half_the_code():
    """A 1-texel black/white checker is mid-grey light: sRGB 188, not 128 (what averaging the codes would give)."""
    checker = (np.indices((64, 64)).sum(axis=0) % 2 * 255).astype(np.uint8)
    image = np.repeat(checker[..., None], 3, axis=2)
    chain = srgb_mip_chain(image)
    assert np.all(chain[0] == 188) and np.all(chain[-1] == 188)


def test_a_flat_colour_keeps_its_code_at_every_level():
    image = np.empty((40, 70, 3), np.uint8)
    image[:] = (231, 120, 17)
    assert all(np.all(level == (231, 120, 17)) for level in srgb_mip_chain(image))


def test_the_texture_holds_the_chain_at_every_level():
    """Textures are kept by size, a few per name: sizes come again, new ones push the least recent out, and the
    texture of every upload holds that image's chain; another name's texture is never pushed out by these."""
    from simulator.renderer import MIPMAPPED_KEPT

    ctx = create_context()
    renderer = Renderer(ctx)
    rng = np.random.default_rng(1)
    with ctx:
        table = renderer._srgb_mipmapped("table", rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
        shapes = [(300, 500), (300, 500), (211, 137), (120, 90), (64, 64), (300, 500), (211, 137), (120, 90)]
        for shape in shapes:
            image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
            tex = renderer._srgb_mipmapped("page_rgb", image)
            for level, data in enumerate([image, *srgb_mip_chain(image)]):
                texels = np.frombuffer(tex.read(level=level), np.uint8).reshape(*data.shape[:2], 4)
                assert np.array_equal(texels[..., :3], data), f"level {level} of {shape}"
            assert sum(name == "page_rgb" for name, _, _ in renderer._mipmapped) <= MIPMAPPED_KEPT
        assert renderer._mipmapped[("table", 64, 64)] is table and table.read(level=0)


def test_gl_made_and_cpu_made_chains_agree_where_gl_filters_evenly():
    """A GPU's renderer lets the GL make the chain (cpu_mipmaps=False). Where a level halves an even size, GL's
    chain and ours agree within a code; below (odd sizes) Mesa's samples fall off the texel centres, so only the
    photo's overall brightness is compared there: a tilted, distant page sampling levels 2-3."""
    from simulator.background import Background
    from simulator.camera import Camera
    from simulator.layout import PageSpec, plan_page
    from simulator.lighting import Lighting
    from simulator.page import render_page
    from simulator.records import load_record
    from simulator.renderer import PageTextures
    from simulator.sheet import SheetSpec, build_sheet

    layout = plan_page(load_record("assets/records/ptbxl/00001_lr"), PageSpec(dpi=200))
    image = render_page(layout)
    assert image.rgb.shape[0] % 4 == image.rgb.shape[1] % 4 == 0  # levels 1 and 2 halve even sizes
    size = (layout.width_mm, layout.height_mm)
    sheet = build_sheet(SheetSpec(width_mm=size[0], height_mm=size[1], cell_mm=10.0), np.random.default_rng(0))
    cam = Camera(width_px=800, height_px=600, target=(size[0] / 2, size[1] / 2, 0.0), distance_mm=450.0,
                 tilt_deg=40.0)
    frames, levels = [], []
    for cpu in (True, False):
        ctx = create_context()
        renderer = Renderer(ctx, cpu_mipmaps=cpu)
        layers = renderer.render(sheet, PageTextures(image.rgb, image.masks), cam, Lighting(), Background(),
                                 passes={"rgb", "object"})
        frames.append(layers["rgb"][layers["object"] == 2])
        with ctx:
            texture = renderer._mipmapped[("page_rgb", image.rgb.shape[1], image.rgb.shape[0])]
            levels.append([np.frombuffer(texture.read(level=k), np.uint8).astype(int) for k in (1, 2)])
    for ours, gl in zip(*levels):
        assert np.abs(ours - gl).max() <= 1
    cpu_made, gl_made = frames
    assert abs(cpu_made.mean() - gl_made.mean()) < 0.005 * cpu_made.mean()
