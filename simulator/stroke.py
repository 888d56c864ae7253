"""Anti-aliased strokes at sub-pixel precision: coverage from the exact distance to each segment.

A pixel's coverage is ``clamp(w/2 + 0.5 - d, 0, 1)`` where ``d`` is the distance from its centre to the nearest
segment and ``w`` the stroke width in px: a one-pixel linear ramp around a capsule of the true width. This is the
signed-distance anti-aliasing fonts and GPU line shaders use, computed here for every pixel a segment can touch, so
any width in mm and any sub-pixel position draw correctly (OpenCV's lines are integer-thickness).
"""

from __future__ import annotations

import numpy as np

MIN_WIDTH_PX = 1.0  # a printer cannot make a line thinner than its dot; keeps thin strokes visible at low dpi


def polyline_segments(points: np.ndarray) -> np.ndarray:
    """(S, 2, 2) segments of a polyline (K, 2); NaN points break it, and an isolated point becomes a dot."""
    p = np.asarray(points, dtype=np.float64)
    ok = ~np.isnan(p).any(axis=1)
    both = ok[:-1] & ok[1:]
    segs = np.stack([p[:-1][both], p[1:][both]], axis=1)
    left = np.r_[False, ok[:-1]]
    right = np.r_[ok[1:], False]
    lonely = ok & ~left & ~right
    if lonely.any():
        dots = np.repeat(p[lonely][:, None, :], 2, axis=1)
        segs = np.concatenate([segs, dots])
    return segs


def stroke_coverage(segments: np.ndarray, width_px: float, shape: tuple[int, int],
                    out: np.ndarray | None = None) -> np.ndarray:
    """Max-combine the coverage of ``segments`` (S, 2, 2) in px (x, y) into a float32 (H, W) canvas."""
    h, w = shape
    canvas = np.zeros(shape, np.float32) if out is None else out
    if len(segments) == 0:
        return canvas
    half = max(width_px, MIN_WIDTH_PX) / 2.0
    reach = half + 0.5
    a = segments[:, 0, :]
    b = segments[:, 1, :]
    lo = np.floor(np.minimum(a, b) - reach - 0.5).astype(np.int64)
    hi = np.ceil(np.maximum(a, b) + reach - 0.5).astype(np.int64)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [w - 1, h - 1])
    nx = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    ny = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    counts = nx * ny
    keep = counts > 0
    if not keep.any():
        return canvas
    seg_id = np.repeat(np.nonzero(keep)[0], counts[keep])
    start = np.repeat(np.cumsum(counts[keep]) - counts[keep], counts[keep])
    local = np.arange(seg_id.size) - start
    ix = lo[seg_id, 0] + local % nx[seg_id]
    iy = lo[seg_id, 1] + local // nx[seg_id]
    px = ix + 0.5 - a[seg_id, 0]
    py = iy + 0.5 - a[seg_id, 1]
    d = b[seg_id] - a[seg_id]
    len2 = (d ** 2).sum(axis=1)
    t = np.clip((px * d[:, 0] + py * d[:, 1]) / np.where(len2 > 0, len2, 1.0), 0.0, 1.0)
    dist = np.hypot(px - t * d[:, 0], py - t * d[:, 1])
    cov = np.clip(reach - dist, 0.0, 1.0).astype(np.float32)
    hit = cov > 0
    np.maximum.at(canvas.reshape(-1), (iy * w + ix)[hit], cov[hit])
    return canvas


def stroke_patch(segments: np.ndarray, width_px: float, shape: tuple[int, int]) -> tuple[np.ndarray, int, int]:
    """Coverage of ``segments`` on the smallest patch of an (H, W) page that holds them: (patch, x0, y0)."""
    h, w = shape
    if len(segments) == 0:
        return np.zeros((0, 0), np.float32), 0, 0
    reach = max(width_px, MIN_WIDTH_PX) / 2.0 + 1.0
    pts = segments.reshape(-1, 2)
    x0 = int(max(0, np.floor(pts[:, 0].min() - reach)))
    y0 = int(max(0, np.floor(pts[:, 1].min() - reach)))
    x1 = int(min(w, np.ceil(pts[:, 0].max() + reach) + 1))
    y1 = int(min(h, np.ceil(pts[:, 1].max() + reach) + 1))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 0), np.float32), 0, 0
    patch = stroke_coverage(segments - np.array([x0, y0]), width_px, (y1 - y0, x1 - x0))
    return patch, x0, y0
