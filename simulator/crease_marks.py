"""Crease marks in the page texture: broken, lighter fibre lines with a faint band of dirt, on the geometric creases.

Folding cracks the paper's surface and the ink on it, so a crease reads as a thin whitened line (brightest where
fibres broke, fading where they did not) inside a slightly greyer band where handling left dirt. Each crease is
drawn only in a narrow band of pixels around its segment, walked along the segment's major axis, so the cost is
proportional to its length, not to the page.
"""

from __future__ import annotations

import numpy as np

from . import coords
from .deform import Crease

CORE_SIGMA_MM = 0.12
"""Half-width of the whitened fibre line."""
DIRT_SIGMA_MM = 0.5
"""Half-width of the dirt band."""
REACH_MM = 2.5 * DIRT_SIGMA_MM
"""Pixels farther than this from a crease are never touched."""
WHITEN = 0.45
"""Fraction of the way to white that a full-strength crease core moves a pixel."""
DARKEN = 0.07
"""Fraction by which full-strength dirt darkens a pixel."""


def _wobble(length: float, spacing: float, lo: float, hi: float, rng: np.random.Generator):
    """A random 1-D profile along a crease: knots every ``spacing`` mm with values in [lo, hi], linearly joined."""
    knots = np.arange(0.0, length + 2 * spacing, spacing)
    values = rng.uniform(lo, hi, size=len(knots))
    return lambda t: np.interp(t, knots, values)


def _band(a_px: np.ndarray, b_px: np.ndarray, reach_px: float, shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Integer pixel (row, col) indices within ``reach_px`` of segment a–b (a superset), walking its major axis."""
    major = 0 if abs(b_px[0] - a_px[0]) >= abs(b_px[1] - a_px[1]) else 1  # 0: x (columns) is the major axis
    lo = int(np.floor(min(a_px[major], b_px[major]) - reach_px))
    hi = int(np.ceil(max(a_px[major], b_px[major]) + reach_px))
    limit = shape[1] if major == 0 else shape[0]
    steps = np.arange(max(lo, 0), min(hi, limit))
    delta = b_px - a_px
    slope = delta[1 - major] / delta[major] if delta[major] else 0.0
    # Centre of the line on each pixel column (or row), clamped to the segment's span along the major axis.
    centre_major = np.clip(steps + 0.5, min(a_px[major], b_px[major]), max(a_px[major], b_px[major]))
    centre = a_px[1 - major] + (centre_major - a_px[major]) * slope
    half = int(np.ceil(reach_px * np.hypot(1.0, slope))) + 1
    offsets = np.arange(-half, half + 1)
    minor = np.floor(centre)[:, None].astype(int) + offsets[None, :]
    major_idx = np.broadcast_to(steps[:, None], minor.shape)
    other_limit = shape[0] if major == 0 else shape[1]
    keep = (minor >= 0) & (minor < other_limit)
    minor, major_idx = minor[keep], major_idx[keep]
    return (minor, major_idx) if major == 0 else (major_idx, minor)


def mark_creases(page_rgb: np.ndarray, creases: list[Crease], dpi: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``page_rgb`` (H, W, 3) uint8 with each crease drawn as a whitened fibre line and faint dirt."""
    out = page_rgb.copy()
    flat = out.reshape(-1, 3)
    width = out.shape[1]
    px_per_mm = float(coords.mm_to_px(1.0, dpi))
    for crease in creases:
        a = np.asarray(coords.mm_to_px(np.asarray(crease.start_mm, dtype=np.float64), dpi))
        b = np.asarray(coords.mm_to_px(np.asarray(crease.end_mm, dtype=np.float64), dpi))
        length = float(np.hypot(*(b - a)))
        if length < 1.0 or crease.strength <= 0.0:
            continue
        rows, cols = _band(a, b, REACH_MM * px_per_mm, out.shape[:2])
        direction = (b - a) / length
        # Page mm along the crease from its start, and across it, of each pixel centre.
        x = ((cols + 0.5 - a[0]) / px_per_mm).astype(np.float32)
        y = ((rows + 0.5 - a[1]) / px_per_mm).astype(np.float32)
        along = x * np.float32(direction[0]) + y * np.float32(direction[1])
        dist = np.abs(y * np.float32(direction[0]) - x * np.float32(direction[1]))
        length_mm = length / px_per_mm
        beyond = np.maximum(np.maximum(-along, along - length_mm), 0.0)
        near = (dist <= REACH_MM) & (beyond <= REACH_MM)
        idx = (rows * width + cols)[near]
        along, dist, beyond = along[near], dist[near], beyond[near]
        ends = np.exp(-((beyond / DIRT_SIGMA_MM) ** 2))
        dirt = _wobble(length_mm, 6.0, 0.3, 1.0, rng)(along)
        grime = (crease.strength * DARKEN) * dirt * ends * np.exp(-((dist / DIRT_SIGMA_MM) ** 2))
        pixel = flat[idx].astype(np.float32) * (1.0 - grime)[:, None]
        fibres = _wobble(length_mm, 0.6, 0.2, 1.0, rng)
        core = dist < 3.0 * CORE_SIGMA_MM  # the whitened line is thin: only its pixels need the fibre term
        whiten = np.exp(-((dist[core] / CORE_SIGMA_MM) ** 2))
        lift = (crease.strength * WHITEN) * fibres(along[core]) * ends[core] * whiten
        pixel[core] += (255.0 - pixel[core]) * lift[:, None]
        flat[idx] = np.clip(np.rint(pixel), 0, 255).astype(np.uint8)
    return out
