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
    ctx = create_context()
    renderer = Renderer(ctx)
    rng = np.random.default_rng(1)
    with ctx:
        for shape in [(300, 500, 3), (300, 500, 3), (211, 137, 3)]:  # again (its levels reused), then resized
            image = rng.integers(0, 256, shape, dtype=np.uint8)
            tex = renderer._srgb_mipmapped("page_rgb", image)
            for level, data in enumerate([image, *srgb_mip_chain(image)]):
                texels = np.frombuffer(tex.read(level=level), np.uint8).reshape(*data.shape[:2], 4)
                assert np.array_equal(texels[..., :3], data), f"level {level} of {shape}"
