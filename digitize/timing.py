"""Where the plotted time span lies on the page: its first and last sample's columns, from the trace's ends and the
column separator ticks."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from .rows import (TICK_LENGTHS_MM, TICK_SEARCH_MM, bar_columns, end_pulse_x, joined_pulse_x, tick_columns,
                   trace_end_x, trace_level, trace_start_x)

CUT_MM = 3.0          # a trace end this close to where the picture stops may go on beyond it
SEPARATOR_REACH_MM = 20.0  # column separator ticks are looked for this far either side of the first estimate ...
SEPARATOR_AGREE_MM = 1.0   # ... and replace it when they put the span's start further from it than this
ENDS_DISAGREE_MM = 2.0     # rows' ends spread further than this (median absolute deviation), while their starts ...
STARTS_AGREE_MM = 0.5      # ... agree within this, time the page from its starts (ink faded at the rows' ends)
START_CONFIRMED_MM = 1.0   # a row's start where the picture stops is its start when a row the picture shows starts
                           # this close to it (a crumple's flattened page ends at the rows' starts)
CAP_SHORT_PX = 0.15         # a stroke's ink (over the ink threshold) reaches half its thickness less this past its end
                           # samples: 0.33 px less for our round caps, 0 for ECG-Image-Kit's square ones (measured)
PULSES_AGREE_MM = 1.0      # calibration pulses after the rows stand in line (MAD) in half the rows at least; else a
                           # row's last stretch that looks like one is a QRS a photo's edge cut off


def _out_of_picture(mask: np.ndarray, shown: np.ndarray, band: tuple[int, int], x: float, px_per_mm: float,
                    side: int) -> bool:
    """Whether the picture stops within CUT_MM of column ``x`` at the row's trace level (the median height of its ink
    in the band, give or take CUT_MM), to its right (``side`` 1) or left (-1): a trace's end or start there may be
    where the photo cut the page, not where the trace stops. At the trace's own height, because a photo's edge
    crosses a band aslant: shown above the trace and not beside it, the band as a whole looked uncut."""
    probe = int(round(x + side * CUT_MM * px_per_mm))
    if probe < 0 or probe >= shown.shape[1]:
        return True
    level = trace_level(mask, band)
    level = (band[0] + band[1]) // 2 if level is None else level
    reach = int(np.ceil(CUT_MM * px_per_mm))
    return float(shown[max(0, level - reach): level + reach + 1, probe].mean()) < 0.5


def _spread(xs: list[float]) -> float:
    """Median absolute deviation of the rows' values (px)."""
    return float(np.median(np.abs(np.asarray(xs) - np.median(xs))))


def _tall_columns(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, height_mm: float) -> np.ndarray:
    """Columns of a row band whose ink spans more than ``height_mm`` from top to bottom, widened by half a millimetre
    either side (a QRS stroke is slanted; the marks net draws it a pixel or two off)."""
    rows = ink[band[0]: band[1]]
    inked = rows.any(axis=0)
    span = rows.shape[0] - np.argmax(rows[::-1], axis=0) - np.argmax(rows, axis=0)
    tall = (inked & (span > height_mm * px_per_mm)).astype(np.uint8)
    return maximum_filter1d(tall, size=2 * int(round(0.5 * px_per_mm)) + 1) > 0


def separator_anchor(mask: np.ndarray, bands: list[tuple[int, int]], columns: list[int], lo: float, hi: float,
                     span_px: float, px_per_mm: float, broken: bool = True,
                     trace_only: np.ndarray | None = None) -> float | None:
    """The first sample's column within [lo, hi] that puts column separator ticks on the most column boundaries
    (every boundary of every row at once: a steep QRS may look like a tick, but not at each boundary and in each row),
    looking for whole ticks first and, if ``broken``, for broken ones if there are none (a page of narrow QRS at
    12.5 mm/s has them in plenty); None unless ticks stand on at least half the boundaries the rows show (and two or
    more) at one place only. The ticks found there then fix the column: the centre of their middle pixel. Given the
    trace net's map (``trace_only``; ``mask`` then holds the marks net's too), a tick where that map's ink stands
    tall is a QRS: the trace net leaves separators out, so at a separator it holds the baseline only."""
    tol = TICK_SEARCH_MM * px_per_mm
    candidates = np.arange(np.floor(lo - tol), np.ceil(hi + tol) + 1.0)
    if candidates.size == 0:
        return None
    rows = [(band, n_cols, np.flatnonzero(mask[band[0]: band[1]].any(axis=0)), bar_columns(mask, band, px_per_mm))
            for band, n_cols in zip(bands, columns) if n_cols > 1]   # bars do not depend on the tick lengths
    for side_mm, length_mm in TICK_LENGTHS_MM[: None if broken else 1]:
        score, seen, found = np.zeros(candidates.size), np.zeros(candidates.size), []
        for band, n_cols, inked, bars in rows:
            if inked.size == 0:
                continue
            ticks = tick_columns(mask, band, px_per_mm, side_mm, length_mm) | bars
            if trace_only is not None:
                ticks &= ~_tall_columns(trace_only, band, px_per_mm, length_mm / 2.0)
            near = maximum_filter1d(ticks.astype(np.uint8), size=2 * int(tol) + 1) > 0
            for k in range(1, n_cols):
                xb = np.round(candidates + k * span_px / n_cols).astype(int)
                inside = (xb > inked[0]) & (xb < inked[-1])   # a boundary the row's ink shows
                score += inside & near[np.clip(xb, 0, near.size - 1)]
                seen += inside
                found.append((ticks, k * span_px / n_cols))
        best = score.max()
        at = candidates[score == best]
        if best >= 2 and np.all(np.diff(at) == 1) and best >= 0.5 * seen[score == best].max():   # one place only
            centre = float(np.median(at))
            starts = []
            for ticks, offset in found:   # each tick near its boundary says where the first sample is
                xs = np.flatnonzero(ticks[max(0, int(centre + offset - tol)): int(centre + offset + tol) + 1])
                if xs.size:
                    starts.append(max(0, int(centre + offset - tol)) + float(np.median(xs)) + 0.5 - offset)
            return float(np.median(starts)) if starts else centre
    return None


def time_span(mask: np.ndarray, shown: np.ndarray, bands: list[tuple[int, int]], columns: list[int],
              px_per_mm: float, span_px: float, sample_px: float, stroke_px: float, pulse_mm: float,
              pulse_width_mm: float, trace_only: np.ndarray | None = None) -> tuple[float, float, str]:
    """Where the plotted time span starts and ends (x, px: the first sample's and one sample interval,
    ``sample_px``, past the last one's), and what fixed them.

    The ink of a stroke ``stroke_px`` thick reaches about half that (CAP_SHORT_PX less) beyond the first and last
    samples: the first inked pixel's left edge is the first sample's x less that reach, the last one's right edge
    the last sample's plus that reach. (The ink's ends taken as the span's put the page half a sample late or early
    at 100 Hz: 4-9 dB.)

    First estimate: the trace's end (before the calibration pulses, when they stand in line after the rows in half
    of them at least; the rows' start when those pulses touch the trace, or failing that the pulses' rising edge;
    the median over the rows, so a row whose faint end was lost or that a stray mark prolongs does not move it); the
    rows' start instead when their ends disagree by over ENDS_DISAGREE_MM while their starts agree within
    STARTS_AGREE_MM (a low-dpi scan or a shadow faded half the rows' ends), or when the picture stops right after
    that end (a photo that cut the page's side off; if the picture shows the start in under half the rows, only
    until the ticks say otherwise). A row's start where the picture stops counts as a start when a row the picture
    shows starts within START_CONFIRMED_MM of it: a flattened crumple ends where its rows start, and the median of
    the rest was a hand-covered row's start and one true one.

    Then the column separator ticks (``columns``: leads side by side in each row): found within SEPARATOR_REACH_MM of
    that estimate (between where the rows' ink starts and ends when the picture cut both sides off), they fix the
    span wherever they disagree with it by over SEPARATOR_AGREE_MM, as when grid lines left in the ink or a faint end
    move the trace's end; only whole ticks can move an estimate from a visible end (``trace_only``: see
    :func:`separator_anchor`). The image's right edge when no row has ink."""
    def in_line(xs: list[float | None]) -> list[float]:
        """The rows' pulses, if half the rows or more have one and they stand in line; else none."""
        found = [x for x in xs if x is not None]
        return found if 2 * len(found) >= len(bands) and _spread(found) < PULSES_AGREE_MM * px_per_mm else []

    after = bool(in_line([end_pulse_x(mask, b, px_per_mm, pulse_mm, pulse_width_mm) for b in bands]))
    joined = [] if after else in_line([joined_pulse_x(mask, b, px_per_mm, pulse_mm, pulse_width_mm) for b in bands])
    ends = [(e, b) for e, b in ((trace_end_x(mask, b, px_per_mm, (pulse_mm, pulse_width_mm) if after else None), b)
                                for b in bands) if e is not None]
    if not ends:
        return mask.shape[1] - span_px, float(mask.shape[1]), "image edge"
    cap = stroke_px / 2.0 - CAP_SHORT_PX
    x_end = float(np.median([e for e, _ in ends])) - cap + sample_px
    x_start, how = x_end - span_px, "trace end"
    reach = min(SEPARATOR_REACH_MM * px_per_mm, 0.4 * span_px / max(columns))
    lo, hi, agree = x_start - reach, x_start + reach, SEPARATOR_AGREE_MM * px_per_mm
    found = [(s, b) for s, b in ((trace_start_x(mask, b, px_per_mm, pulse_mm, pulse_width_mm), b) for b in bands)
             if s is not None]
    cut = [_out_of_picture(mask, shown, b, s, px_per_mm, -1) for s, b in found]
    shown_starts = [s for (s, _), c in zip(found, cut) if not c]
    starts = [s + cap for (s, _), c in zip(found, cut)
              if not c or any(abs(s - t) <= START_CONFIRMED_MM * px_per_mm for t in shown_starts)]
    end_cut = np.mean([_out_of_picture(mask, shown, b, e, px_per_mm, 1) for e, b in ends]) >= 0.5
    if joined:   # the trace runs into its pulses: its end is the pulses' end, its start tells
        if starts:
            x_start, how = float(np.median(starts)), "trace start (pulses joined to the rows' ends)"
        else:
            x_start, how = float(np.median(joined)) + sample_px - span_px, "pulses joined to the rows' ends"
        lo, hi = x_start - reach, x_start + reach
    elif (not end_cut and len(starts) >= 2 and _spread([e for e, _ in ends]) > ENDS_DISAGREE_MM * px_per_mm
            and _spread(starts) < STARTS_AGREE_MM * px_per_mm):
        x_start, how = float(np.median(starts)), "trace start (the rows' ends disagree)"
        lo, hi = x_start - reach, x_start + reach
    elif end_cut and starts and 2 * len(starts) >= len(found):
        x_start, how = float(np.median(starts)), "trace start (its end is out of the picture)"
        lo, hi = x_start - reach, x_start + reach
    elif end_cut and found:   # the picture cut both ends in most rows: the span starts between these two
        lo, hi, agree = x_start, float(np.median([s for s, _ in found])), 0.0
        if starts:
            x_start, how = float(np.median(starts)), "trace start (shown in under half the rows)"
        else:
            how = "trace end (both ends are out of the picture)"
    ticks = separator_anchor(mask, bands, columns, lo, hi, span_px, px_per_mm, broken=agree == 0.0,
                             trace_only=trace_only)
    if ticks is not None and abs(ticks - x_start) > agree:
        how = f"column separators ({how}: {(x_start - ticks) / px_per_mm:+.1f} mm)"
        x_start = ticks
    return x_start, x_start + span_px, how
