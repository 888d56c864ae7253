"""Anti-aliased strokes at sub-pixel precision: coverage from the exact distance to each segment.

A pixel's coverage is ``clamp(w/2 + 0.5 - d, 0, 1)`` where ``d`` is the distance from its centre to the nearest
segment and ``w`` the stroke width in px: a one-pixel linear ramp around a capsule of the true width. This is the
signed-distance anti-aliasing fonts and GPU line shaders use, computed here for every pixel a segment can touch, so
any width in mm and any sub-pixel position draw correctly (OpenCV's lines are integer-thickness).
"""

from __future__ import annotations

import numpy as np

MIN_WIDTH_PX = 1.0  # a printer cannot make a line thinner than its dot; keeps thin strokes visible at low dpi
NEAR_MARGIN = 1.0 + 1e-9  # squared distances within rounding of the reach still get the exact distance


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


def _box_pixels(lo: np.ndarray, nx: np.ndarray, ny: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The pixels of boxes of ``nx`` × ``ny`` pixels at ``lo`` (S, 2), enumerated row by row.

    Returns ``(row_seg, pix_row, row_y, x)``: each box row's segment and pixel y, and each pixel's row and x. Values
    shared by a box row are then computed once per row rather than once per pixel.
    """
    row_seg = np.repeat(np.arange(len(nx)), ny)
    row_y = lo[row_seg, 1] + (np.arange(row_seg.size) - np.repeat(np.cumsum(ny) - ny, ny))
    row_nx = nx[row_seg]
    pix_row = np.repeat(np.arange(row_seg.size), row_nx)
    x = lo[row_seg, 0][pix_row] + (np.arange(pix_row.size) - np.repeat(np.cumsum(row_nx) - row_nx, row_nx))
    return row_seg, pix_row, row_y, x


def stroke_pixels(segments: np.ndarray, width_px: float, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The pixels strokes (S, 2, 2) in px (x, y) cover on an (H, W) page: flat indices and float32 coverage > 0.

    A pixel appears once per segment that covers it (combine with a max). Distances are computed relative to the
    smallest patch that holds the strokes, as pages have always been drawn: the float rounding, hence the bytes,
    depend on that origin.
    """
    h, w = shape
    none = np.zeros(0, np.int64), np.zeros(0, np.float32)
    if len(segments) == 0:
        return none
    reach = max(width_px, MIN_WIDTH_PX) / 2.0 + 1.0
    pts = segments.reshape(-1, 2)
    x0 = int(max(0, np.floor(pts[:, 0].min() - reach)))
    y0 = int(max(0, np.floor(pts[:, 1].min() - reach)))
    x1 = int(min(w, np.ceil(pts[:, 0].max() + reach) + 1))
    y1 = int(min(h, np.ceil(pts[:, 1].max() + reach) + 1))
    if x1 <= x0 or y1 <= y0:
        return none
    iy, ix, cov = _patch_coverage(segments - np.array([x0, y0]), width_px, (y1 - y0, x1 - x0))
    return (iy + y0) * w + (ix + x0), cov


def _patch_coverage(segments: np.ndarray, width_px: float, shape: tuple[int, int]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixels (y, x) of an (H, W) patch that ``segments`` cover, with their float32 coverage, once per segment.

    Every pixel of each segment's bounding box is tested against that segment in float64, so a page's bytes do not
    depend on how the work is split; per-segment and per-row terms are gathered, not recomputed, and the exact
    distance (a slow hypot) is only taken where the squared distance says the pixel can be covered.
    """
    h, w = shape
    half = max(width_px, MIN_WIDTH_PX) / 2.0
    reach = half + 0.5
    a = segments[:, 0, :]
    b = segments[:, 1, :]
    lo = np.maximum(np.floor(np.minimum(a, b) - reach - 0.5).astype(np.int64), 0)
    hi = np.minimum(np.ceil(np.maximum(a, b) + reach - 0.5).astype(np.int64), [w - 1, h - 1])
    nx = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    ny = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    keep = (nx > 0) & (ny > 0)
    if not keep.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
    a, b, lo, nx, ny = a[keep], b[keep], lo[keep], nx[keep], ny[keep]
    dx, dy = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    len2 = dx ** 2 + dy ** 2
    den = np.where(len2 > 0, len2, 1.0)
    row_seg, pix_row, row_y, ix = _box_pixels(lo, nx, ny)
    row_py = row_y + 0.5 - a[row_seg, 1]
    row_dy = dy[row_seg]
    seg = row_seg[pix_row]
    px = ix + 0.5 - a[seg, 0]
    pdx = dx[seg]
    t = (px * pdx + (row_py * row_dy)[pix_row]) / den[seg]
    np.clip(t, 0.0, 1.0, out=t)
    ex, ey = px - t * pdx, row_py[pix_row] - t * row_dy[pix_row]
    near = np.flatnonzero(ex * ex + ey * ey < reach * reach * NEAR_MARGIN)  # hypot is slow: only where it can hit
    cov = np.clip(reach - np.hypot(ex[near], ey[near]), 0.0, 1.0).astype(np.float32)
    hit = np.flatnonzero(cov)
    near = near[hit]
    return row_y[pix_row[near]], ix[near], cov[hit]
