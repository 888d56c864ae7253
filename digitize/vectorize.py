"""One row of ink → one polyline y(x): per pixel column, the ink run that continues the previous column's run.

Where two neighbouring columns meet, their runs overlap in the stroke's cross-section at that edge, so the middle of
the overlap is the centreline there, at any slope and stroke width: those edge points make the polyline. A column
adds a point of its own where the stroke is flat (a short run: its weighted centroid) and where it turns (a peak or
trough inside the column: the run's end, less half a stroke), so sharp R waves keep their height.
"""

from __future__ import annotations

import numpy as np

INK_THRESHOLD = 0.5


MAX_HOLE_PX = 2   # runs this close are one stroke (antialiasing leaves holes in steep thin strokes)


def ink_runs(col: np.ndarray, hole: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) inclusive of the True runs of a boolean column, bridging holes of up to ``hole`` px."""
    ys = np.flatnonzero(col)
    if ys.size == 0:
        return ys, ys
    breaks = np.flatnonzero(np.diff(ys) > 1 + hole)
    return ys[np.concatenate([[0], breaks + 1])], ys[np.concatenate([breaks, [ys.size - 1]])]


def stroke_width(ink: np.ndarray) -> float:
    """Typical vertical thickness of a stroke in px: the median length of the short ink runs."""
    mask = ink > INK_THRESHOLD
    cols = np.flatnonzero(mask.any(axis=0))
    lengths: list[int] = []
    for x in cols[:: max(1, cols.size // 400)]:
        s, e = ink_runs(mask[:, x])
        lengths += list(e - s + 1)
    return float(np.median(lengths)) if lengths else 1.0


def stroke_extent(mask: np.ndarray) -> float:
    """How far (px, sub-pixel) a stroke's ink reaches across it: the mean length of the flat strokes' vertical runs
    (those at most 1.5 times the median; a 2.2 px stroke leaves runs of 2 and 3 px, by its phase), each column
    weighing the same, so a dotted line's hundred short runs in one column do not outweigh the traces'. The span's
    ends are measured in the same ink, so they sit half this beyond the first and last samples."""
    cols = np.flatnonzero(mask.any(axis=0))
    per_column = [e - s + 1 for s, e in (ink_runs(mask[:, x]) for x in cols[:: max(1, cols.size // 400)])]
    if not per_column:
        return 1.0
    flat = 1.5 * float(np.median(np.concatenate(per_column)))
    means = [float(lengths[lengths <= flat].mean()) for lengths in per_column if (lengths <= flat).any()]
    return float(np.mean(means)) if means else 1.0


def column_ranges(ink: np.ndarray, band: tuple[int, int], x0: float, x1: float, y_start: float,
                  stroke_px: float, max_jump_px: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per column from x0 to x1: (x centre, run top, run bottom, centroid) in px (the run covers [top, bottom));
    NaN without ink.

    A run more than ``max_jump_px`` away from the last one (a quarter more per column missed since, up to
    ten times) is not followed.
    """
    top, bottom = band
    cols = np.arange(max(0, int(x0)), min(ink.shape[1], int(np.ceil(x1))))
    out = np.full((3, cols.size), np.nan)
    prev = (y_start - top, y_start - top)
    misses = 0
    for i, x in enumerate(cols):
        w = ink[top:bottom, x]
        s, e = ink_runs(w > INK_THRESHOLD, MAX_HOLE_PX)
        gap = np.maximum(0, np.maximum(s - prev[1], prev[0] - e))
        ok = gap <= max_jump_px * min(10.0, 1 + misses / 4)  # farther ink is a label or a neighbour, not the trace
        if not ok.any():
            misses += 1
            continue
        s, e, gap = s[ok], e[ok], gap[ok]
        centre_gap = np.abs((s + e) / 2.0 - (prev[0] + prev[1]) / 2.0)
        k = int(np.lexsort((centre_gap, gap))[0])
        a, b = int(s[k]), int(e[k])
        lo, hi = max(0, a - 1), min(w.size, b + 2)     # one antialiased pixel either side sharpens the centroid
        seg = w[lo:hi].astype(np.float64)
        c = lo + float(np.sum(seg * np.arange(seg.size)) / max(seg.sum(), 1e-9)) + 0.5
        out[:, i] = (a, b + 1.0, c)
        prev = (a, b)
        misses = 0
    return cols + 0.5, out[0] + top, out[1] + top, out[2] + top


def trace_row(ink: np.ndarray, band: tuple[int, int], x0: float, x1: float, y_start: float,
              stroke_px: float, max_jump_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Polyline ``(x, y)`` in px (pixel centres at +0.5) of the trace in a row band from column x0 to x1.

    Columns without ink give no point (the caller interpolates across them).
    """
    xc, top, bottom, cen = column_ranges(ink, band, x0, x1, y_start, stroke_px, max_jump_px)
    half = stroke_px / 2.0
    ok = np.isfinite(cen)
    pair = ok[:-1] & ok[1:]
    edge = (np.maximum(top[:-1], top[1:]) + np.minimum(bottom[:-1], bottom[1:])) / 2.0   # between i and i+1
    left = np.concatenate([[np.nan], np.where(pair, edge, np.nan)])
    right = np.concatenate([np.where(pair, edge, np.nan), [np.nan]])
    short = (bottom - top) <= 2.0 * stroke_px + 1.0
    with np.errstate(invalid="ignore"):
        peak = (top + half < np.fmin(left, right)) & (top + half < cen)       # y is down: up is smaller
        trough = (bottom - half > np.fmax(left, right)) & (bottom - half > cen)
        flank = np.isfinite(left) & np.isfinite(right) & ((left - cen) * (right - cen) < 0)
    peak &= ~flank
    trough &= ~flank
    centre = np.where(peak, top + half, np.where(trough, bottom - half, cen))
    own = ok & (short | peak | trough | ~(np.isfinite(left) & np.isfinite(right)))
    xs = np.concatenate([xc[own], (xc[:-1] + 0.5)[pair]])
    ys = np.concatenate([centre[own], edge[pair]])
    order = np.argsort(xs, kind="stable")
    return xs[order], ys[order]


def sample_polyline(xs: np.ndarray, ys: np.ndarray, x_samples: np.ndarray) -> np.ndarray:
    """y at each sample x by linear interpolation; NaN outside the traced extent."""
    if xs.size < 2:
        return np.full(x_samples.shape, np.nan)
    y = np.interp(x_samples, xs, ys)
    y[(x_samples < xs[0] - 1.0) | (x_samples > xs[-1] + 1.0)] = np.nan
    return y
