"""Ink map → signals: deskew, grid pitch, rows, time span, baselines and per-row tracing, shared by both digitizers.

The naive digitizer feeds colour-threshold ink; the U-Net feeds its predicted trace probability, and its marks
(calibration pulses, column separators) in a map of their own. Everything after that (and the grid, which always
comes from colour) is this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import grid as grid_mod
from .dewarp import GivenMaps, flatten
from .ink import erase_labels, grid_lines, remove_ruled_lines, remove_straight_lines, remove_wavy_grid_rows
from .layouts import PageLayoutSpec
from .rows import erase_ticks, find_rows, on_grid_rows, pulse_baseline, row_bands
from .timing import time_span
from .vectorize import INK_THRESHOLD, sample_polyline, stroke_extent, stroke_width, trace_row


MAX_JUMP_MM = 4.0     # the trace is not followed across an ink gap wider than this (per missed column)
PULSE_TRUST_MV = 0.5  # a calibration pulse's foot further than this from the trace's median level is not the baseline
PULSE_WIDTH_S = 0.3   # a calibration pulse (0.2 s) is narrower than this ...
PULSE_LEADS_MM = 4.0  # ... plus its flat lead-in and lead-out
CLEARLY_MORE_PERIODIC = 0.1  # ACF contrast by which all marks must beat the grid lines to measure the grid (a grid
                             # scores 0.5-1, a page whose grid cannot be found under 0.15)


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


def measure_grid(ink: np.ndarray, lines: np.ndarray, grid: np.ndarray) -> tuple[float, grid_mod.GridPitch, str]:
    """The page's rotation and grid pitch, and which map gave them: the grid lines (the grid with the ink taken out),
    unless the whole grid map is clearly the more periodic at the pitch it gives. Taken out, the traces no longer
    outweigh a faint grid (a low-dpi scan, whose rows and simultaneous beats are periodic too); but a black-and-white
    grid is in the ink and goes out with it. A page without grid lines is deskewed on its traces."""
    measured = []
    for name, marks in (("grid lines", lines), ("all marks", grid)):
        has_grid = float(marks.mean()) >= grid_mod.NO_GRID_LEVEL
        rotation = grid_mod.estimate_rotation(marks if has_grid else np.maximum(marks, ink))
        pitch = grid_mod.estimate_pitch(grid_mod.rotate(marks, rotation) if abs(rotation) > 1e-6 else marks)
        measured.append((rotation, pitch, name))
    clearly = measured[1][1].strength > measured[0][1].strength + CLEARLY_MORE_PERIODIC
    return measured[1] if clearly else measured[0]


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
    row_signals: list[dict[str, np.ndarray]] = field(default_factory=list)
    """Each printed row's leads over their own columns (NaN elsewhere): a rhythm strip's lead is in ``signals``
    over the whole span, the same lead printed in a column only here."""
    view: np.ndarray | None = None
    """The photo as the digitizer read it (flattened and deskewed; the ``detections``' positions are in its pixels),
    when it was given one."""


def digitize_maps(ink: np.ndarray, grid: np.ndarray, layout: PageLayoutSpec, cal: Calibration,
                  dewarp: str | GivenMaps = "auto", grid_ink: np.ndarray | None = None, rgb: np.ndarray | None = None,
                  mark_ink: np.ndarray | None = None, foreign: np.ndarray | None = None) -> Digitized:
    """Signals of a page from its ink probability and grid darkness maps (both (H, W) in [0, 1]). ``dewarp``:
    flatten a bent page from its grid first (``auto``: when it is bent; ``always``; ``never``; or with
    :class:`~.dewarp.GivenMaps` made elsewhere). The grid is
    measured (bends, rotation, pitch) with ``grid_ink`` (default ``ink``) taken out of it. Given the photo
    (``rgb``), the result's ``view`` is that photo flattened and deskewed as the maps were. ``mark_ink``: the
    calibration pulses and column separators when ``ink`` leaves them out (the U-Net's maps); the time span and the
    pulses' baselines are then found in both maps together, the traces in ``ink`` alone, where a dotted separator
    through the trace cannot lead the tracer off. ``foreign`` (:func:`~.ink.foreign_blobs`): where neither map holds
    ink, a hand's or a pen's outline that both detectors see as strokes; the grid is measured as the image shows it."""
    lines = grid_lines(grid, ink if grid_ink is None else grid_ink)
    if foreign is not None:
        ink = np.where(foreign, 0.0, ink).astype(np.float32)
        mark_ink = None if mark_ink is None else np.where(foreign, 0.0, mark_ink).astype(np.float32)
    ink, lines, grid, shown, flattening = flatten(ink, lines, grid, dewarp)
    shown = np.ones(ink.shape, np.float32) if shown is None else shown.astype(np.float32)
    rotation, pitch, grid_from = measure_grid(ink, lines, grid)
    marks = lines if grid_from == "grid lines" else grid
    mark_ink = None if mark_ink is None else flattening.apply(mark_ink)
    if abs(rotation) > 1e-6:
        ink, shown, marks = (grid_mod.rotate(m, rotation) for m in (ink, shown, marks))
        mark_ink = None if mark_ink is None else grid_mod.rotate(mark_ink, rotation)
    view = None if rgb is None else flattening.apply(rgb)
    if view is not None and abs(rotation) > 1e-6:
        view = grid_mod.rotate(view, rotation)
    before = ink
    ink, grid_removed = remove_straight_lines(ink, pitch.px_per_mm)
    ink, ruled = remove_ruled_lines(ink, shown, pitch.px_per_mm, found_on=before)
    wavy = 0
    if flattening.applied:   # a flattened photo's lines stay wavy by a pixel or two: no pixel row holds them
        ink, wavy = remove_wavy_grid_rows(ink, pitch.px_per_mm, found_on=before)
    mask = ink > INK_THRESHOLD
    h = ink.shape[0]
    on_grid = on_grid_rows(marks, pitch.px_per_mm_x)
    centres = find_rows(mask, len(layout.rows), pitch.px_per_mm_y, on_grid, shown.mean(axis=1))
    bands = row_bands(centres, h)
    span_px = cal.duration_s * cal.speed_mm_s * pitch.px_per_mm_x
    n = int(round(cal.duration_s * cal.fs))
    marked = None if mark_ink is None else mark_ink > INK_THRESHOLD
    with_marks = mask if marked is None else mask | marked
    x_start, x_end, time_from = time_span(with_marks, shown > 0.5, bands, [len(row.leads) for row in layout.rows],
                                          pitch.px_per_mm_x, span_px, span_px / n, stroke_extent(mask), cal.gain_mm_mv,
                                          PULSE_WIDTH_S * cal.speed_mm_s + PULSE_LEADS_MM,
                                          trace_only=None if marked is None else mask)
    x_samples = x_start + np.arange(n) * span_px / n
    if not grid_removed:  # a removed dark grid leaves the trace in scraps that could pass for letters
        ink = erase_labels(ink, layout.n_columns, x_start, span_px, pitch.px_per_mm)
    mask = ink > INK_THRESHOLD
    with_marks = mask if marked is None else mask | marked
    stroke = stroke_width(ink)
    px_per_mv = cal.gain_mm_mv * pitch.px_per_mm_y

    signals: dict[str, np.ndarray] = {}
    row_signals: list[dict[str, np.ndarray]] = []
    row_info = []
    for row, band, centre in zip(layout.rows, bands, centres):
        foot = pulse_baseline(with_marks, band, x_start, x_end, pitch.px_per_mm_y, cal.gain_mm_mv)
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
        row_signals.append({})
        for c, lead in enumerate(row.leads):
            if not lead:   # this column has no lead in this row (a lead-list layout's shorter column)
                continue
            lo, hi = (0, n) if row.is_rhythm else (c * per_col, n if c == len(row.leads) - 1 else (c + 1) * per_col)
            row_signals[-1][lead] = np.full(n, np.nan)
            row_signals[-1][lead][lo:hi] = _hold_edges(mv[lo:hi].copy())
            signals.setdefault(lead, np.full(n, np.nan))[lo:hi] = row_signals[-1][lead][lo:hi]
        row_info.append({"leads": list(row.leads), "centre_y": round(float(centre), 2), "band": list(band),
                         "baseline_y": round(float(baseline), 2), "baseline_from": source,
                         "traced_fraction": round(float(np.isfinite(y).mean()), 3)})
    detections = {
        "flattening": flattening.as_dict(),
        "rotation_deg": round(rotation, 3),
        "px_per_mm": round(pitch.px_per_mm, 4), "px_per_mm_x": round(pitch.px_per_mm_x, 4),
        "px_per_mm_y": round(pitch.px_per_mm_y, 4), "pitch_from": pitch.method, "grid_from": grid_from,
        "ruled_lines_removed": ruled, "wavy_grid_px_removed": wavy,
        "dark_grid_removed_from_ink": grid_removed, "stroke_px": round(stroke, 2),
        "x_start": round(x_start, 2), "x_end": round(x_end, 2), "time_from": time_from, "layout": layout.name,
        "rows": row_info, "rows_on_grid": on_grid is not None,
        "calibration": {"fs": cal.fs, "duration_s": cal.duration_s, "speed_mm_s": cal.speed_mm_s,
                        "gain_mm_mv": cal.gain_mm_mv},
    }
    return Digitized(signals=signals, n_samples=n, detections=detections, row_signals=row_signals, view=view)
