"""Ink map → signals: deskew, grid pitch, rows, time span, baselines and per-row tracing, shared by both digitizers.

The naive digitizer feeds colour-threshold ink; the U-Net feeds its predicted trace probability. Everything after
that (and the grid, which always comes from colour) is this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import grid as grid_mod
from .dewarp import flatten
from .ink import erase_labels, remove_straight_lines
from .layouts import PageLayoutSpec
from .rows import erase_ticks, find_rows, pulse_baseline, row_bands, trace_end_x
from .vectorize import INK_THRESHOLD, sample_polyline, stroke_width, trace_row


MAX_JUMP_MM = 4.0     # the trace is not followed across an ink gap wider than this (per missed column)
PULSE_TRUST_MV = 0.5  # a calibration pulse's foot further than this from the trace's median level is not the baseline


def _hold_edges(seg: np.ndarray) -> np.ndarray:
    """Fill NaN runs at either end of a segment with its first/last finite value (interior NaN stay)."""
    ok = np.flatnonzero(np.isfinite(seg))
    if ok.size:
        seg[: ok[0]] = seg[ok[0]]
        seg[ok[-1] + 1:] = seg[ok[-1]]
    return seg


def row_baseline(foot: float | None, stroke: float, level: float, px_per_mv: float) -> tuple[float, str]:
    """A row's 0 mV height (px) and where it came from: the calibration pulse's foot, unless there is none or it lies
    more than PULSE_TRUST_MV from the trace's median level (then a dashed grid line or a label passed for a pulse),
    else that median level."""
    if foot is not None and abs(foot - stroke / 2.0 + 0.5 - level) <= PULSE_TRUST_MV * px_per_mv:
        return foot - stroke / 2.0 + 0.5, "calibration pulse"
    return level, "median level"


@dataclass(frozen=True)
class Calibration:
    """How the page was printed (the digitizer assumes the standard unless told otherwise)."""

    fs: float = 500.0
    duration_s: float = 10.0
    speed_mm_s: float = 25.0
    gain_mm_mv: float = 10.0


@dataclass(frozen=True)
class Digitized:
    """Signals per lead (mV, NaN where the lead is not plotted) and what was detected on the way."""

    signals: dict[str, np.ndarray]
    n_samples: int
    detections: dict = field(default_factory=dict)


def digitize_maps(ink: np.ndarray, grid: np.ndarray, layout: PageLayoutSpec, cal: Calibration,
                  dewarp: str = "auto", grid_ink: np.ndarray | None = None) -> Digitized:
    """Signals of a page from its ink probability and grid darkness maps (both (H, W) in [0, 1]). ``dewarp``:
    flatten a bent page from its grid first (``auto``: when it is bent; ``always``; ``never``), with ``grid_ink``
    (default ``ink``) taken out of the grid before it is measured."""
    ink, grid, flattening = flatten(ink, grid, dewarp, grid_ink)
    rotation = grid_mod.estimate_rotation(np.maximum(grid, ink))
    if abs(rotation) > 1e-6:
        ink, grid = grid_mod.rotate(ink, rotation), grid_mod.rotate(grid, rotation)
    pitch = grid_mod.estimate_pitch(grid)
    ink, grid_removed = remove_straight_lines(ink, pitch.px_per_mm)
    mask = ink > INK_THRESHOLD
    h = ink.shape[0]
    centres = find_rows(mask, len(layout.rows), pitch.px_per_mm_y)
    bands = row_bands(centres, h)
    ends = [trace_end_x(mask, band, pitch.px_per_mm_x) for band, row in zip(bands, layout.rows) if row.is_rhythm]
    if not any(e is not None for e in ends):
        ends = [trace_end_x(mask, band, pitch.px_per_mm_x) for band in bands]
    ends = [e for e in ends if e is not None]
    px_per_s = cal.speed_mm_s * pitch.px_per_mm_x
    x_end = float(np.median(ends)) if ends else float(ink.shape[1])
    x_start = x_end - cal.duration_s * px_per_s
    n = int(round(cal.duration_s * cal.fs))
    x_samples = x_start + np.arange(n) / cal.fs * px_per_s
    if not grid_removed:  # a removed dark grid leaves the trace in scraps that could pass for letters
        ink = erase_labels(ink, layout.n_columns, x_start, cal.duration_s * px_per_s, pitch.px_per_mm)
    mask = ink > INK_THRESHOLD
    stroke = stroke_width(ink)
    px_per_mv = cal.gain_mm_mv * pitch.px_per_mm_y

    signals: dict[str, np.ndarray] = {}
    row_info = []
    for row, band, centre in zip(layout.rows, bands, centres):
        foot = pulse_baseline(mask, band, x_start, pitch.px_per_mm_y, cal.gain_mm_mv)
        start_y = foot - stroke / 2.0 if foot is not None else centre
        row_ink = ink
        if not row.is_rhythm:
            bounds = [x_start + c * (x_end - x_start) / len(row.leads) for c in range(1, len(row.leads))]
            row_ink = erase_ticks(ink, start_y, bounds, pitch.px_per_mm_y)
        xs, ys = trace_row(row_ink, band, x_start, x_end, start_y, stroke, MAX_JUMP_MM * pitch.px_per_mm_y + stroke)
        y = sample_polyline(xs, ys, x_samples)
        level = float(np.nanmedian(y)) if np.isfinite(y).any() else centre
        baseline, source = row_baseline(foot, stroke, level, px_per_mv)
        mv = (baseline - y) / px_per_mv
        per_col = n // len(row.leads)
        for c, lead in enumerate(row.leads):
            signals.setdefault(lead, np.full(n, np.nan))
            lo, hi = (0, n) if row.is_rhythm else (c * per_col, n if c == len(row.leads) - 1 else (c + 1) * per_col)
            signals[lead][lo:hi] = _hold_edges(mv[lo:hi].copy())
        row_info.append({"leads": list(row.leads), "centre_y": round(float(centre), 2), "band": list(band),
                         "baseline_y": round(float(baseline), 2), "baseline_from": source,
                         "traced_fraction": round(float(np.isfinite(y).mean()), 3)})
    detections = {
        "flattening": flattening.as_dict(),
        "rotation_deg": round(rotation, 3),
        "px_per_mm": round(pitch.px_per_mm, 4), "px_per_mm_x": round(pitch.px_per_mm_x, 4),
        "px_per_mm_y": round(pitch.px_per_mm_y, 4), "pitch_from": pitch.method,
        "dark_grid_removed_from_ink": grid_removed, "stroke_px": round(stroke, 2),
        "x_start": round(x_start, 2), "x_end": round(x_end, 2), "layout": layout.name, "rows": row_info,
        "calibration": {"fs": cal.fs, "duration_s": cal.duration_s, "speed_mm_s": cal.speed_mm_s,
                        "gain_mm_mv": cal.gain_mm_mv},
    }
    return Digitized(signals=signals, n_samples=n, detections=detections)
