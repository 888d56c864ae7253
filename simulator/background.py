"""The table under the sheet: a procedural material (wood, desk laminate, fabric, plain) and the occluders on it.

Textures are generated with numpy from the background's own ``seed`` (a scene parameter), never downloaded, so the
JSON sidecar re-renders the same table. Colours are linear RGB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from .occluders import Occluder
from .params import choices, rng

TEXTURE_PX = 1024


@dataclass(frozen=True)
class Background:
    table: str = field(default="wood", metadata=choices("wood", "laminate", "fabric", "plain"))
    color: tuple[float, float, float] = field(default=(0.42, 0.25, 0.13), metadata=rng(0.0, 1.0))
    seed: int = field(default=0, metadata=rng(0, 2**31 - 1))
    size_mm: float = field(default=1400.0, metadata=rng(10.0, 20000.0))  # side of the square table top
    texture_mm: float = field(default=600.0, metadata=rng(10.0, 20000.0))  # the texture repeats every texture_mm
    gloss: float = field(default=0.25, metadata=rng(0.0, 1.0))
    occluders: tuple[Occluder, ...] = ()
    photographer: bool = False  # the phone and hand behind the camera: unseen, but they cast a shadow


SHADE_STEPS = 1024  # table steps per unit of shade when a texture is gamma-encoded
STEP_PX = 32  # a coarse grid is first upsampled to this many pixels per cell, then to the texture


def _wrapped_resize(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cubic upsampling of a periodic grid to ``shape`` that stays seamless: pad by wrapping, resize, crop."""
    gh, gw = grid.shape
    h, w = shape
    pad = 2  # cubic interpolation reads two cells either side
    big = cv2.resize(np.pad(grid, pad, mode="wrap"), (w * (gw + 2 * pad) // gw, h * (gh + 2 * pad) // gh),
                     interpolation=cv2.INTER_CUBIC)
    y0, x0 = h * pad // gh, w * pad // gw
    return big[y0:y0 + h, x0:x0 + w]


def _tileable_resize(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Seamless cubic upsampling of a periodic grid to ``shape``. In two steps when the grid is coarse: the padding
    that keeps it seamless is two cells, which for a grid of a few cells would make the resized image several times
    the texture's size."""
    gh, gw = grid.shape
    h, w = shape
    if h > STEP_PX * gh and w > STEP_PX * gw:
        grid = _wrapped_resize(grid, (STEP_PX * gh, STEP_PX * gw))
    return _wrapped_resize(grid, shape)


def _fractal(rng_: np.random.Generator, shape: tuple[int, int], octaves: int, base: int) -> np.ndarray:
    """Tileable value noise in about [-1, 1]: random grids upsampled seamlessly, summed over octaves."""
    out = np.zeros(shape, np.float32)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        cells = base * 2**o
        out += amp * _tileable_resize(rng_.standard_normal((cells, cells)).astype(np.float32), shape)
        total += amp
        amp *= 0.5
    return out / (total * 1.5)


@lru_cache(maxsize=8)
def table_texture(bg: Background) -> np.ndarray:
    """(TEXTURE_PX, TEXTURE_PX, 3) uint8 sRGB texture of the table top, deterministic in ``bg``."""
    r = np.random.default_rng(bg.seed)
    n = TEXTURE_PX
    base = np.asarray(bg.color, np.float32)
    y = (np.arange(n, dtype=np.float32) / n)[:, None]  # broadcast against x: (n, 1) and (1, n)
    x = (np.arange(n, dtype=np.float32) / n)[None, :]
    if bg.table == "wood":  # long grain along x, warped rings, darker late-wood bands
        warp = _fractal(r, (n, n), 4, 3)
        rings = np.sin(2 * np.pi * (y * 11 + 2.5 * warp + 0.3 * np.sin(2 * np.pi * x)))
        fibres = _tileable_resize(r.standard_normal((n // 2, 12)).astype(np.float32), (n, n))  # streaks along x
        shade = 1.0 + 0.15 * rings + 0.08 * fibres + 0.1 * _fractal(r, (n, n), 2, 6)
    elif bg.table == "laminate":  # fine speckle on a flat colour
        shade = 1.0 + 0.05 * _fractal(r, (n, n), 2, 64) + 0.03 * r.standard_normal((n, n)).astype(np.float32)
    elif bg.table == "fabric":  # woven threads
        weave = np.sin(2 * np.pi * x * 300) * np.sin(2 * np.pi * y * 300)
        shade = 1.0 + 0.12 * weave + 0.1 * _fractal(r, (n, n), 3, 8)
    else:
        shade = 1.0 + 0.03 * _fractal(r, (n, n), 2, 4)
    return _shade_to_srgb(base, shade)


def _shade_to_srgb(base: np.ndarray, shade: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8: the linear colour ``base`` times ``shade`` (H, W), clipped, gamma-encoded. Through one table per
    channel over shade in steps of 1/SHADE_STEPS (finer than 8 bits resolve): four times cheaper than the arithmetic
    on every pixel."""
    levels = np.arange(4 * SHADE_STEPS, dtype=np.float64) / SHADE_STEPS  # shade 0 … 4
    lut = (np.clip(np.outer(levels, base), 0.0, 1.0) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)  # (levels, 3)
    index = np.clip(shade * SHADE_STEPS + 0.5, 0, len(levels) - 1).astype(np.uint16)
    return cv2.merge([np.take(lut[:, c], index) for c in range(3)])  # per channel: 3x faster than lut[index]
