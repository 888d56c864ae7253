"""The coordinate conventions of the whole project, written down once.

- Page: millimetres, origin at the paper's top-left corner, x right, y down.
- Page pixels: ``px = mm * dpi / 25.4``; pixel ``i`` covers ``[i, i + 1)`` so its centre is at ``i + 0.5``.
- UV: ``u = x / width``, ``v = y / height`` (v down, like image rows).
- OpenGL: the renderer uploads textures top row first, so these UVs address them as they are, and draws every
  camera pass upside down (shaders/scene.vert, the one flip), so read-backs come top row first too.
  :func:`uv_to_gl` gives the v-up UVs that trimesh and OBJ files expect.
- World: millimetres, the table is the plane z = 0, +z up toward the camera; the flat sheet lies on it with the
  page's x along world +x and the page's y along world -y (so the page reads correctly seen from above).
- Image: pixels, origin top-left, x right, y down, centres at +0.5 (same as page pixels).
- Point lists in JSON (``plotted_pixels``) are ``[y, x]`` rows, as in ECG-Image-Kit.
"""

from __future__ import annotations

import numpy as np

MM_PER_INCH = 25.4


def mm_to_px(mm: np.ndarray | float, dpi: float) -> np.ndarray | float:
    """Continuous page-pixel coordinate of a page position in mm."""
    return mm * (dpi / MM_PER_INCH)


def px_to_mm(px: np.ndarray | float, dpi: float) -> np.ndarray | float:
    """Page position in mm of a continuous page-pixel coordinate."""
    return px * (MM_PER_INCH / dpi)


def page_size_px(width_mm: float, height_mm: float, dpi: float) -> tuple[int, int]:
    """(width, height) in whole pixels of a page raster at ``dpi``."""
    return int(round(mm_to_px(width_mm, dpi))), int(round(mm_to_px(height_mm, dpi)))


def page_to_uv(xy_mm: np.ndarray, width_mm: float, height_mm: float) -> np.ndarray:
    """UV (v down) of page points ``(..., 2)`` given in mm."""
    return np.asarray(xy_mm, dtype=np.float64) / np.array([width_mm, height_mm])


def uv_to_page(uv: np.ndarray, width_mm: float, height_mm: float) -> np.ndarray:
    """Page points in mm of UV coordinates ``(..., 2)`` (v down)."""
    return np.asarray(uv, dtype=np.float64) * np.array([width_mm, height_mm])


def uv_to_gl(uv: np.ndarray) -> np.ndarray:
    """V-up texture coordinates (origin at the bottom row, as trimesh and OBJ files have them) of image-style UVs."""
    out = np.array(uv, dtype=np.float32, copy=True)
    out[..., 1] = 1.0 - out[..., 1]
    return out


def page_to_world(xy_mm: np.ndarray, height_mm: float) -> np.ndarray:
    """World position (z = 0) of page points on the flat sheet: page y runs along world -y.

    The page's top-left corner sits at world (0, height, 0), so the sheet covers x in [0, W], y in [0, H].
    """
    xy = np.asarray(xy_mm, dtype=np.float64)
    out = np.zeros(xy.shape[:-1] + (3,))
    out[..., 0] = xy[..., 0]
    out[..., 1] = height_mm - xy[..., 1]
    return out


def yx_rows(x_px: np.ndarray, y_px: np.ndarray, decimals: int = 3) -> list[list[float]]:
    """``[[y, x], ...]`` rows for JSON; a point with a NaN coordinate becomes ``[None, None]`` (JSON null)."""
    pts = np.stack([np.round(y_px, decimals), np.round(x_px, decimals)], axis=-1)
    rows = pts.tolist()
    for i in np.nonzero(np.isnan(pts).any(axis=1))[0]:
        rows[i] = [None, None]
    return rows
