"""Where the printed rows are, where the plotted time span starts and ends, and each row's baseline."""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from .vectorize import ink_runs

BIN_MM = 5.0            # a row's score counts the 5 mm wide columns of the page that have ink near it
ROW_REACH_MM = 3.0      # ink this close (vertically) counts for a row
MIN_ROW_GAP_MM = 9.0    # printed rows are at least this far apart ...
MIN_ROW_SHARE = 0.3     # ... and at least this share of an even split of the page height
LINE_WIDTH_MM = 2.0     # a stretch of ink columns this narrow ...
LINE_SPAN = 0.6         # ... whose ink spans this share of a row's band is a ruled line, not the trace's end
PULSE_SEARCH_MM = 22.0  # the calibration pulse sits this close before the first sample
STRIP_MM = 5.0          # the grid's presence is measured in strips this tall ...
SEGMENT_MM = 25.0       # ... from the 5 mm period of their column profile in pieces this long (a bent grid's phase
PERIOD_SCALES = (0.9, 0.95, 1.0, 1.05, 1.1)  # drifts; its local period may be off the page's by a few percent)
OFF_PERIOD_MM = 3.7     # a period no grid has: what the same measure gives without a grid
CLEAR_GRID = 2.5        # the page shows a grid where its strips are this much more periodic at 5 mm than at 3.7 ...
ON_GRID = 0.3           # ... and a strip is on the grid when it is at least this share as periodic as most strips
WEAK_ROW = 0.25         # a row scoring under this share of the strong rows' score is not taken as found ...
EVEN_ROWS = 0.2         # ... when the others are evenly spaced to this share of their spacing, and is moved to
CLEARLY_CROPPED = 0.25  # ... the end of them the picture shows less by this share of the pixel row
OFF_GRID_WEIGHT = 0.5   # a height off the grid counts this much: a header line loses to a row 30 % shorter, and a
                        # real row where the grid fails to show (blur, glare) still beats a stray mark


def _periodicity(marks: np.ndarray, px_per_mm: float, periods_mm: tuple[float, ...]) -> list[np.ndarray]:
    """For each period, (H,) how strongly the strip around each pixel row repeats with it along x (Fourier
    magnitude of its column profile, per segment, best of a few nearby periods)."""
    h, w = marks.shape
    strip = max(1, int(round(STRIP_MM * px_per_mm)))
    seg = max(8, int(round(SEGMENT_MM * px_per_mm)))
    n_seg = max(1, w // seg)
    seg = min(seg, w)
    profiles = cv2.blur(marks.astype(np.float32), (1, strip))[:, : n_seg * seg].reshape(h, n_seg, seg)
    profiles = profiles - profiles.mean(axis=2, keepdims=True)
    x = np.arange(seg, dtype=np.float32)
    out = []
    for period_mm in periods_mm:
        best = np.zeros(h, np.float32)
        for scale in PERIOD_SCALES:
            phase = 2.0 * np.pi * scale / (period_mm * px_per_mm) * x
            re, im = profiles @ np.cos(phase), profiles @ np.sin(phase)
            best = np.maximum(best, np.hypot(re, im).mean(axis=1) / seg)
        out.append(best)
    return out


def on_grid_rows(marks: np.ndarray, px_per_mm: float) -> np.ndarray | None:
    """(H,) bool: the pixel rows that lie on the printed grid, or None where the page shows no clear grid.

    ECG traces are printed on the grid; a header or footer is printed on the paper around it, and a line of it that
    spans the page (a long interpretation above a record shorter than the page) could otherwise pass for a row.
    """
    on, off = _periodicity(marks, px_per_mm, (5.0, OFF_PERIOD_MM))
    typical = float(np.percentile(on, 75))
    if typical <= CLEAR_GRID * float(np.percentile(off, 75)):
        return None
    return on >= ON_GRID * typical


def find_rows(ink: np.ndarray, n_rows: int, px_per_mm: float, on_grid: np.ndarray | None = None,
              shown: np.ndarray | None = None) -> np.ndarray:
    """(n_rows,) y centres of the rows, top to bottom: the heights where ink spreads over most of the width, those
    off the grid (where ``on_grid``, (H,) bool, says so) counting half. A row the picture does not show (``shown``,
    (H,): the share of each pixel row that shows the page) is placed where the printed rows' spacing puts it, which
    may be outside the image (:func:`_complete_rows`).

    Counting covered 5 mm columns (not ink pixels) makes a long trace beat a dense line of text.
    """
    h, w = ink.shape
    bin_px = max(1, int(round(BIN_MM * px_per_mm)))
    n_bins = w // bin_px
    covered = ink[:, : n_bins * bin_px].reshape(h, n_bins, bin_px).any(axis=2)
    covered = maximum_filter1d(covered.astype(np.uint8), size=max(1, int(2 * ROW_REACH_MM * px_per_mm)), axis=0)
    score = gaussian_filter1d(covered.sum(axis=1).astype(np.float64), 1.5 * px_per_mm)
    gap = int(max(MIN_ROW_GAP_MM * px_per_mm, MIN_ROW_SHARE * h / n_rows))
    if on_grid is not None:
        score = np.where(on_grid, score, OFF_GRID_WEIGHT * score)
    picked: list[int] = []
    for y in np.argsort(score)[::-1]:
        if score[y] <= 0 or len(picked) == n_rows:
            break
        if all(abs(int(y) - p) >= gap for p in picked):
            picked.append(int(y))
    if len(picked) < n_rows:  # too few ink rows: spread the rest evenly (their leads come out flat)
        picked += list(np.linspace(0.1 * h, 0.9 * h, n_rows - len(picked)).astype(int))
    centres = np.sort(np.array(picked, dtype=np.float64))
    return _complete_rows(centres, score, np.ones(h) if shown is None else shown)


def _complete_rows(centres: np.ndarray, score: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """The rows with each weak one (under WEAK_ROW of the strong rows' score) moved to where the strong rows'
    spacing continues them, above the first or below the last, when the strong rows are evenly spaced and the weak
    one is not there already. A photo that crops the page's last row still shows the others, and the row finder,
    asked for the layout's number, took a stray mark above the first (the paper's edge, a header line) for a row:
    every row's leads were then read from the row above theirs. Of the two places, the one the picture shows clearly
    less (outside the image: not at all); where it does not tell them apart (both outside an image that was not
    flattened), the weak row stays. Rows out of the picture read as NaN."""
    values = np.array([_at(score, y) for y in centres])
    top_half = np.sort(values)[len(values) // 2:]
    strong = values >= WEAK_ROW * float(np.median(top_half)) if top_half.size else np.ones(len(values), bool)
    kept = centres[strong]
    if strong.all() or kept.size < 2:
        return centres
    spacing = float(np.median(np.diff(kept)))
    if spacing <= 0 or np.any(np.abs(np.diff(kept) / spacing - 1.0) > EVEN_ROWS):
        return centres
    rows = list(kept)
    for y in centres[~strong]:
        above, below = rows[0] - spacing, rows[-1] + spacing
        on_spacing = min(abs(y - above), abs(y - below)) <= EVEN_ROWS * spacing   # already where a row goes
        seen_above, seen_below = _at(shown, above), _at(shown, below)
        if on_spacing or abs(seen_above - seen_below) < CLEARLY_CROPPED:
            rows.append(float(y))
        else:
            rows.append(above if seen_above < seen_below else below)
        rows.sort()
    return np.array(rows, dtype=np.float64)


def _at(profile: np.ndarray, y: float) -> float:
    """A per-pixel-row profile's value at height ``y``; 0 outside the image."""
    return float(profile[int(y)]) if 0 <= y < len(profile) else 0.0


def row_bands(centres: np.ndarray, height: int) -> list[tuple[int, int]]:
    """(top, bottom) pixel band of each row: half-way to the neighbouring rows, clipped to the image (a row placed
    beyond its edge keeps what of its band the image holds, or none)."""
    mids = (centres[1:] + centres[:-1]) / 2.0
    spacing = float(np.median(np.diff(centres))) if len(centres) > 1 else height / 2.0
    tops = np.concatenate([[centres[0] - spacing / 2.0], mids])
    bottoms = np.concatenate([mids, [centres[-1] + spacing / 2.0]])
    clipped_tops = [min(max(0, int(t)), height) for t in tops]
    return [(t, max(t, min(height, int(np.ceil(b))))) for t, b in zip(clipped_tops, bottoms)]


def _stretches(rows: np.ndarray, px_per_mm: float) -> list[tuple[int, int, int, bool]]:
    """Runs of inked columns in a band, left to right, at least 1 mm long: (first column, last column, height its
    ink spans, whether it is a ruled line: at most LINE_WIDTH_MM wide, its ink spanning most of the band's height,
    even in dashes)."""
    xs = np.flatnonzero(rows.any(axis=0))
    if xs.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(xs) > 2)
    out = []
    for s, e in zip(np.concatenate([[0], breaks + 1]), np.concatenate([breaks, [xs.size - 1]])):
        width = xs[e] - xs[s] + 1
        if width < max(2, int(px_per_mm)):
            continue
        inked = np.flatnonzero(rows[:, xs[s]: xs[e] + 1].any(axis=1))
        height = int(inked[-1] - inked[0] + 1)
        line = width <= LINE_WIDTH_MM * px_per_mm and height >= LINE_SPAN * len(rows)
        out.append((int(xs[s]), int(xs[e]), height, line))
    return out


PULSE_TOP = 0.4        # a calibration pulse's flat top covers this share of its columns at least (0.2 s of 0.32)


def _is_pulse(width: int, height: int, px_per_mm: float, pulse_mm: float, pulse_width_mm: float) -> bool:
    """Whether an ink stretch ``width`` px wide whose ink spans ``height`` px may be a calibration pulse: at most
    ``pulse_width_mm`` wide, its ink spanning most of the pulse's ``pulse_mm`` height."""
    return width <= pulse_width_mm * px_per_mm and height >= 0.7 * pulse_mm * px_per_mm


def _flat_topped(rows: np.ndarray, first: int, last: int, px_per_mm: float) -> bool:
    """Whether the ink from column ``first`` to ``last`` is flat on top (within 0.5 mm of its highest point over
    PULSE_TOP of its columns), as a pulse is and a QRS is not."""
    inked = rows[:, first: last + 1]
    tops = np.argmax(inked, axis=0)[inked.any(axis=0)]
    return bool(np.mean(tops <= tops.min() + 0.5 * px_per_mm) >= PULSE_TOP)


def _trace_stretches(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, pulse_mm: float,
                     pulse_width_mm: float) -> list[tuple[int, int]]:
    """(first, last) columns of a band's ink stretches that are neither ruled lines nor a calibration pulse."""
    return [(s, e) for s, e, height, line in _stretches(ink[band[0]: band[1]], px_per_mm)
            if not (line or _is_pulse(e - s + 1, height, px_per_mm, pulse_mm, pulse_width_mm))]


def _last_stretch(rows: np.ndarray, px_per_mm: float) -> tuple[int, int, int] | None:
    """(first, last column, ink height) of a band's last ink stretch that is not a ruled line; None without one."""
    last = [(s, e, h) for s, e, h, line in _stretches(rows, px_per_mm) if not line]
    return last[-1] if last else None


def trace_end_x(ink: np.ndarray, band: tuple[int, int], px_per_mm: float,
                pulse: tuple[float, float] | None = None) -> float | None:
    """Right end of the trace in a row band: the last column of the last ink stretch at least 1 mm long that is not a
    ruled line (the grid's border, a dark grid line beyond the trace's end) nor, given the pulse's (height, width)
    in mm, a calibration pulse printed after the trace; the band's last ink when there is no such stretch."""
    rows = ink[band[0]: band[1]]
    if not rows.any():
        return None
    if pulse is None:
        ends = [e for _, e, _, line in _stretches(rows, px_per_mm) if not line]
    else:
        ends = [e for _, e in _trace_stretches(ink, band, px_per_mm, *pulse)]
    return float(ends[-1] if ends else np.flatnonzero(rows.any(axis=0))[-1]) + 1.0


def end_pulse_x(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, pulse_mm: float,
                pulse_width_mm: float) -> float | None:
    """Last column of a calibration pulse printed after the trace (the band's last stretch that is not a ruled
    line, if it is a pulse and flat on top: a QRS that a photo's edge cut off is as narrow and tall, but peaked);
    None otherwise. Its last column, since the pulses of a page end in line even where a thin top broke one in two
    (a 72 dpi scan)."""
    rows = ink[band[0]: band[1]]
    last = _last_stretch(rows, px_per_mm)
    if last and _is_pulse(last[1] - last[0] + 1, last[2], px_per_mm, pulse_mm, pulse_width_mm) \
            and _flat_topped(rows, last[0], last[1], px_per_mm):
        return float(last[1])
    return None


def joined_pulse_x(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, pulse_mm: float,
                   pulse_width_mm: float) -> float | None:
    """Rising edge of a calibration pulse printed touching the trace's end (as some printers do), or None: in
    the last ``pulse_width_mm`` of the row's last stretch (not a ruled line), a column inked over most of the pulse's
    height from which the ink's top runs flat (within 0.5 mm) for a quarter of that width or more, as a pulse's top
    does for 0.2 s; a QRS is as tall but peaked, a T wave flat but low."""
    rows = ink[band[0]: band[1]]
    last = _last_stretch(rows, px_per_mm)
    if last is None:
        return None
    lo = max(last[0], int(last[1] - pulse_width_mm * px_per_mm))
    window = rows[:, lo: last[1] + 1]
    inked = window.any(axis=0)
    tops = np.where(inked, np.argmax(window, axis=0), -1)
    bottoms = np.where(inked, window.shape[0] - 1 - np.argmax(window[::-1], axis=0), -1)
    for k in np.flatnonzero(inked & (bottoms - tops + 1 >= 0.8 * pulse_mm * px_per_mm)):
        flat = inked[k:] & (np.abs(tops[k:] - tops[k]) <= 0.5 * px_per_mm)
        if np.argmin(np.append(flat, False)) >= 0.25 * pulse_width_mm * px_per_mm:
            return float(lo + k)
    return None


def trace_start_x(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, pulse_mm: float,
                  pulse_width_mm: float) -> float | None:
    """Left end of the trace in a row band: the first column of the first ink stretch at least 1 mm long that is
    neither a ruled line nor the calibration pulse; None when there is no such stretch."""
    stretches = _trace_stretches(ink, band, px_per_mm, pulse_mm, pulse_width_mm)
    return float(stretches[0][0]) if stretches else None


def pulse_baseline(ink: np.ndarray, band: tuple[int, int], x_start: float, x_end: float, px_per_mm: float,
                   pulse_mm: float) -> float | None:
    """Baseline y from the calibration pulse's foot, if a pulse of about ``pulse_mm`` height stands before the trace
    or, failing that, after it."""
    w = ink.shape[1]
    before = (max(0, int(x_start - PULSE_SEARCH_MM * px_per_mm)), max(0, int(x_start - 0.3 * px_per_mm)))
    after = (min(w, int(x_end + 0.3 * px_per_mm)), min(w, int(x_end + PULSE_SEARCH_MM * px_per_mm)))
    for x0, x1 in (before, after):
        foot = _pulse_foot(ink[band[0]: band[1], x0: max(x0, x1)], px_per_mm, pulse_mm)
        if foot is not None:
            return foot + band[0]
    return None


def _pulse_foot(region: np.ndarray, px_per_mm: float, pulse_mm: float) -> float | None:
    """The median bottom of the columns of ``region`` whose longest ink run is about ``pulse_mm`` tall (a pulse's
    sides and top); None unless two columns or more are."""
    if region.size == 0:
        return None
    feet = []
    for col in region.T:
        ys = np.flatnonzero(col)
        if ys.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(ys) > 1)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [ys.size - 1]])
        lengths = ys[ends] - ys[starts] + 1
        k = int(np.argmax(lengths))
        if 0.8 * pulse_mm * px_per_mm <= lengths[k] <= 1.25 * pulse_mm * px_per_mm:
            feet.append(ys[ends[k]])
    if len(feet) < 2:
        return None
    return float(np.median(feet))


TICK_SEARCH_MM = 1.5    # separator ticks stand on a column boundary, within this distance of it
TICK_REACH_MM = 2.0     # and cross the baseline, reaching at least this far above and below it
TICK_LENGTHS_MM = ((1.0, 4.0), (0.5, 2.5))  # a tick found without the baseline reaches at least the first figure
                                           # beyond the trace's level on both sides and is at least the second long
                                           # (ours are 6 mm, ECG-Image-Kit's bars about 7); the second pair finds a
                                           # faint tick, broken where its stroke went grey


def trace_level(ink: np.ndarray, band: tuple[int, int]) -> int | None:
    """The row's trace level: the median height (image row) of the ink in its band; None without ink."""
    ys = np.nonzero(ink[band[0]: band[1]])[0]
    return band[0] + int(np.median(ys)) if ys.size else None


def tick_columns(ink: np.ndarray, band: tuple[int, int], px_per_mm: float, side_mm: float,
                 length_mm: float) -> np.ndarray:
    """Which columns of a row band may hold a column separator tick: ink unbroken through the row's trace level (the
    median height of its ink), reaching ``side_mm`` beyond it on both sides and ``length_mm`` in all, and ending free
    at one end at least (nothing in the row beyond that end, two columns either side). A steep QRS stroke is as long,
    but it is slanted, so each of its ends runs on into the next column; the caller asks for ticks at every column
    boundary of every row at once."""
    rows = ink[band[0]: band[1]]
    level = trace_level(ink, band)
    if level is None:
        return np.zeros(ink.shape[1], bool)
    level -= band[0]
    pad = np.zeros((1, rows.shape[1]), bool)
    up = np.argmin(np.vstack([rows[level::-1], pad]), axis=0)      # ink pixels from the level upwards, level included
    down = np.argmin(np.vstack([rows[level:], pad]), axis=0)
    side = side_mm * px_per_mm
    long = (up > side) & (down > side) & (up + down - 1 >= length_mm * px_per_mm)
    height = rows.shape[0]
    for x in np.flatnonzero(long):
        beyond = [y for y in (level - up[x], level + down[x]) if 0 <= y < height]
        long[x] = any(not rows[y, max(0, x - 2): x + 3].any() for y in beyond) or len(beyond) < 2
    return long


BAR_GAP_MM = (0.3, 4.0)  # a separator bar (Mortara) starts this far above or below the trace's ink at its level ...
BAR_LENGTH_MM = 2.5      # ... and runs on at least this long


def bar_columns(ink: np.ndarray, band: tuple[int, int], px_per_mm: float) -> np.ndarray:
    """Which columns of a row band hold a separator bar pair: above and below the row's trace level, the first ink
    run at least BAR_LENGTH_MM long starts BAR_GAP_MM away, past a blank (the trace passes between the two bars).
    A QRS runs through the level; a label stands on one side only."""
    rows = ink[band[0]: band[1]]
    level = trace_level(ink, band)
    found = np.zeros(ink.shape[1], bool)
    if level is None:
        return found
    level -= band[0]
    near, far = (int(round(g * px_per_mm)) for g in BAR_GAP_MM)
    length = BAR_LENGTH_MM * px_per_mm
    away = np.flatnonzero(rows[: max(0, level - near)].any(axis=0) & rows[level + near + 1:].any(axis=0))

    def bar(column: np.ndarray) -> bool:   # from the level outwards, the first long run starts past a blank
        starts, ends = ink_runs(column)
        long = np.flatnonzero(ends - starts + 1 >= length)
        return bool(long.size) and near <= starts[long[0]] <= far

    for x in away:
        found[x] = bar(rows[level::-1, x]) and bar(rows[level:, x])
    return found


def erase_ticks(ink: np.ndarray, baseline: float, boundaries: list[float], px_per_mm: float) -> np.ndarray:
    """Erase the column separator ticks of one row: near each boundary, the columns whose ink runs unbroken from
    ``TICK_REACH_MM`` above the baseline to as far below it. A QRS at the boundary rises from the baseline on one
    side only, so it stays."""
    h, w = ink.shape
    reach = TICK_REACH_MM * px_per_mm
    y0, y1 = int(round(baseline - reach)), int(round(baseline + reach)) + 1
    if y0 < 0 or y1 > h:
        return ink
    out = ink
    for xb in boundaries:
        xs = range(max(0, int(xb - TICK_SEARCH_MM * px_per_mm)), min(w, int(xb + TICK_SEARCH_MM * px_per_mm) + 1))
        tick = [x for x in xs if (ink[y0:y1, x] > 0.5).all()]
        if not tick:
            continue
        if out is ink:
            out = ink.copy()
        lo, hi = min(tick) - 1, max(tick) + 2
        out[max(0, int(baseline - 4 * reach)): int(baseline + 4 * reach), max(0, lo): hi] = 0.0
    return out
