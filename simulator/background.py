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


def _tileable_resize(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Cubic upsampling of a periodic grid to ``shape`` that stays seamless: pad by wrapping, resize, crop."""
    gh, gw = grid.shape
    h, w = shape
    pad = 2  # cubic interpolation reads two cells either side
    big = cv2.resize(np.pad(grid, pad, mode="wrap"), (w * (gw + 2 * pad) // gw, h * (gh + 2 * pad) // gh),
                     interpolation=cv2.INTER_CUBIC)
    y0, x0 = h * pad // gh, w * pad // gw
    return big[y0:y0 + h, x0:x0 + w]


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
    y, x = np.mgrid[0:n, 0:n].astype(np.float32) / n
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
    lin = np.clip(base[None, None, :] * shade[..., None], 0.0, 1.0)
    return (np.power(lin, 1 / 2.2) * 255 + 0.5).astype(np.uint8)
