"""Colour-based ink and grid maps: trace ink is dark and has the ink's own hue *relative to the local paper colour*.

Each channel is divided by a smooth estimate of the paper behind it (a grey closing that erases thin dark strokes), so
tinted paper, shading and wrinkles cancel out; what stays dark in every channel is ink, what stays tinted is grid.
The ink's chroma is read off the darkest pixels, so black traces reject coloured grids tightly and a blue pen still
counts as ink.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .vectorize import INK_THRESHOLD

WORK_WIDTH = 1100          # background is estimated on a copy about this wide (fast, and blind to thin strokes)
OUTSIDE_LEVEL = 0.25       # background darker than this fraction of the paper level is not paper (scan borders)
INK_VALUE = (0.40, 0.25)   # normalised brightness: ink probability 1 below lo, 0 above lo + width ...
CHROMA_MARGIN = 0.05       # ... and chroma: 1 up to the ink's own chroma plus this, 0 a width further on
CHROMA_WIDTH = 0.08
DARKEST_FRACTION = 0.003   # the darkest pixels of the well-lit paper say what colour the trace ink is ...
LIT_LEVEL = 0.7            # ... well lit: background at least this fraction of the paper level (not a scanner lid's
                           # dark strip or the blur around it, whose grey would pass for the ink's colour)
VALUE_MARGIN = 0.2         # ink is up to this much brighter than its darkest pixels (antialiased edges)
FOREIGN_CHROMA = 0.06      # a hand, a glove, a pen or the table: its chromaticity this far from the paper's ...
FOREIGN_WIDTH = 0.009      # ... over a blob this wide (fraction of the image's long side: ~3 mm of a photographed page)
FOREIGN_RIM = 0.5          # ... and the rim around it (fraction of that width) where its edge and contact shadow lie
MIN_BESIDE_PX = 2000       # paper pixels beside the ink enough to tell the paper's colour by


@dataclass(frozen=True)
class ColourMaps:
    """Per-pixel maps of one image, all (H, W) float32 in [0, 1]."""

    ink: np.ndarray        # probability of trace (or text) ink
    grid: np.ndarray       # darkness of every printed mark (grid lines dominate; used for pitch and skew)
    paper: np.ndarray      # True where the pixel is paper (not a border or background around the sheet)
    foreign: np.ndarray    # True on and around something lying on the page or beside it (:func:`foreign_blobs`):
                           # no trace there, but the grid is measured with the maps as they are


def paper_background(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 estimate of the bare paper colour at each pixel."""
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_WIDTH / w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    closed = cv2.GaussianBlur(closed.astype(np.float32), (0, 0), 4.0)
    return cv2.resize(closed, (w, h), interpolation=cv2.INTER_LINEAR)


def _paper_chroma(chroma: np.ndarray, level: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The paper's chromaticity: the brighter half of the pixels just beside the ink (the trace is printed on the
    paper, whatever lies around the sheet), else the brightest fifth of the image."""
    strong = ink > 0.5
    beside = cv2.dilate(strong.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool) & (ink < 0.1)
    if beside.sum() < MIN_BESIDE_PX:
        return np.median(chroma[level >= np.quantile(level, 0.8)], axis=0)
    return np.median(chroma[beside & (level >= np.median(level[beside]))], axis=0)


def foreign_blobs(rgb: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """True on and around what is neither paper nor print: a hand or glove on the page, a pen, the table beside it.

    Its colour is far from the paper's (chromaticity, read beside the ``ink``) over a blob wider than ~3 mm of a
    photographed page, which no trace stroke, grid line or letter is (an opening removes those); the rim around it
    holds its outline and contact shadow, which both ink detectors take for a stroke and the tracer had followed along
    a finger. A shadow keeps the paper's chromaticity, so the trace in it stays."""
    img = rgb.astype(np.float32) + 1.0
    chroma = img / img.sum(axis=2, keepdims=True)
    level = img.mean(axis=2)
    paper_chroma = _paper_chroma(chroma, level, ink)
    far = np.sqrt(np.square(chroma - paper_chroma).sum(axis=2)) > FOREIGN_CHROMA
    h, w = level.shape
    size = max(5, round(FOREIGN_WIDTH * max(h, w)) | 1)
    blobs = cv2.morphologyEx(far.astype(np.uint8), cv2.MORPH_OPEN,
                             cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    rim = max(3, round(FOREIGN_RIM * size) | 1)
    return cv2.dilate(blobs, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rim, rim))) > 0


def colour_maps(rgb: np.ndarray) -> ColourMaps:
    """Ink, grid and paper maps from colour alone (the naive digitizer's detector)."""
    img = rgb.astype(np.float32)
    bg = paper_background(rgb)
    bg_level = bg.max(axis=2)
    paper = bg_level > OUTSIDE_LEVEL * float(np.percentile(bg_level, 90))
    norm = np.clip(img / np.maximum(bg, 1.0), 0.0, 1.5)
    value = norm.max(axis=2)
    chroma = value - norm.min(axis=2)
    lit = bg_level > LIT_LEVEL * float(np.percentile(bg_level, 90))
    on_paper = value[lit]
    darkest = on_paper <= np.quantile(on_paper, DARKEST_FRACTION) if on_paper.size else np.zeros(0, bool)
    ink_value = float(np.median(on_paper[darkest])) if darkest.any() else 0.0
    ink_chroma = float(np.median(chroma[lit][darkest])) if darkest.any() else 0.0
    value_lo = min(max(INK_VALUE[0], ink_value + VALUE_MARGIN), 0.9 - INK_VALUE[1])   # a faint scan: lift the bar
    dark = np.clip((value_lo + INK_VALUE[1] - value) / INK_VALUE[1], 0.0, 1.0)
    chroma_lo = ink_chroma + CHROMA_MARGIN
    neutral = np.clip((chroma_lo + CHROMA_WIDTH - chroma) / CHROMA_WIDTH, 0.0, 1.0)
    ink = dark * neutral * paper
    grid = np.clip(1.0 - norm.min(axis=2), 0.0, 1.0) * paper
    return ColourMaps(ink=ink.astype(np.float32), grid=grid.astype(np.float32), paper=paper,
                      foreign=foreign_blobs(rgb, ink))


def grid_lines(grid: np.ndarray, ink: np.ndarray) -> np.ndarray:
    """The grid map with the ink taken out: printed lines only, for measuring the grid's pitch, rotation and bends.

    Left in, the traces outweigh a faint grid (a low-dpi scan, a pink grid): rows of trace make the row profile
    periodic at the row spacing, and a 3x4 page's simultaneous beats make the column profile periodic at the heart
    rate, either of which then passes for the grid's pitch.
    """
    return grid * (1.0 - np.clip(ink, 0.0, 1.0))


def _straight_lines(mask: np.ndarray, length: int) -> np.ndarray:
    """Pixels of horizontal or vertical runs of ink at least ``length`` px long."""
    horiz = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1)))
    vert = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, length)))
    return (horiz | vert).astype(bool)


def remove_straight_lines(ink: np.ndarray, px_per_mm: float) -> tuple[np.ndarray, bool]:
    """Erase ruled lines from an ink map: frames and borders (straight for 40 mm or more) always, and a dark grid
    (straight for 15 mm, making up much of the ink) when there is one. Returns the map and whether a grid went.

    Calibration pulses (10 mm), separator ticks (6 mm) and real traces are never that straight for that long.
    """
    mask = (ink > 0.5).astype(np.uint8)
    lines = _straight_lines(mask, max(40, int(round(40.0 * px_per_mm))))
    grid = _straight_lines(mask, max(15, int(round(15.0 * px_per_mm))))
    had_grid = bool(grid.sum() >= 0.3 * max(1, mask.sum()))
    if had_grid:
        lines |= grid
    if not lines.any():
        return ink, had_grid
    lines = cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    return np.where(lines, 0.0, ink).astype(np.float32), had_grid


RULED_LEVEL = 0.3          # a grid line is ink this strong (a grey grid line's ink hovers about the trace's 0.5) ...
RULED_COLUMN = 0.3         # ... over this fraction of the page's height in one pixel column ...
RULED_ROW = 0.5            # ... or of its width in one pixel row ...
RULED_PERIOD_MM = 5.0      # ... with another such line this far away (a grid is periodic; aligned QRS complexes of a
                           # 12x1 page or a flat rhythm strip are not)


def _periodic(lines: np.ndarray, period_px: float) -> np.ndarray:
    """Which of the candidate line positions have another candidate one period away (within a pixel) on either side."""
    near = np.convolve(lines.astype(np.int32), np.ones(3, np.int32), mode="same") > 0   # within a pixel
    p = int(round(period_px))
    ahead, behind = np.zeros_like(near), np.zeros_like(near)
    if 0 < p < near.size:
        ahead[:-p], behind[p:] = near[p:], near[:-p]
    return lines & (ahead | behind)


def remove_ruled_lines(ink: np.ndarray, shown: np.ndarray, px_per_mm: float,
                       found_on: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Erase the pixel columns and rows that ink runs the length of and that recur at the grid's 5 mm: the lines of a
    black-and-white grid, which break into dashes (a resampled line steps between pixel rows, its grey dips under
    the trace's level) that the straight-run eraser misses. ``shown`` is where the map shows the page. Returns the
    map and how many pixel lines went.

    Only the line's own pixels go, so a trace crossing it keeps a gap of a pixel or two (the tracer bridges it).
    """
    page = shown > 0.5
    strong = ((ink if found_on is None else found_on) > RULED_LEVEL) & page
    period = RULED_PERIOD_MM * px_per_mm
    cols = _periodic(strong.sum(axis=0) > RULED_COLUMN * np.maximum(1, page.sum(axis=0)), period)
    rows = _periodic(strong.sum(axis=1) > RULED_ROW * np.maximum(1, page.sum(axis=1)), period)
    if not (cols.any() or rows.any()):
        return ink, 0
    out = ink.copy()
    out[:, cols] = 0.0
    out[rows] = 0.0
    return out, int(cols.sum() + rows.sum())


WAVY_LINE_MM = 8.0         # a grid line left wavy by the flattening of a photo is straight over this length ...
WAVY_LINE_COVER = 0.5      # ... where ink > RULED_LEVEL covers this share of it (dots and dashes joined first)
DOT_JOIN_MM = 1.3          # the dots of a dotted grid, 1 mm apart, join into lines over gaps this long
WAVY_GRID_SHARE = 0.3      # such lines are erased only when they hold this share of the ink at least (a grid in it)


def _wavy_rows(strong: np.ndarray, window: int, join: int, period: float) -> np.ndarray:
    """Pixels of horizontal grid lines in ``strong``: inked, after joining gaps of ``join`` px along the row, over
    WAVY_LINE_COVER of the ``window`` px around them, with another such line ``period`` px (the grid's 5 mm, within
    a pixel) above and below; or, covering as much of three windows, above or below (the grid's border lines).
    A calibration pulse's two edges, 5 mm apart and 5-20 mm tall, are neither."""
    joined = cv2.morphologyEx(strong.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, join), np.uint8))
    joined = cv2.dilate(joined, np.ones((3, 1), np.uint8)).astype(np.float32)  # a line wavy by a pixel stays in
    line = (cv2.blur(joined, (window, 1), borderType=cv2.BORDER_REFLECT) > WAVY_LINE_COVER).astype(np.uint8)
    long = cv2.blur(joined, (3 * window, 1), borderType=cv2.BORDER_REFLECT) > WAVY_LINE_COVER
    near = cv2.dilate(line, np.ones((3, 1), np.uint8)).astype(bool)
    above, below = np.zeros_like(near), np.zeros_like(near)
    p = int(round(period))
    if 0 < p < line.shape[0]:
        above[p:], below[:-p] = near[:-p], near[p:]
    return line.astype(bool) & strong & ((above & below) | (long & (above | below)))


def remove_wavy_grid_rows(ink: np.ndarray, px_per_mm: float,
                          found_on: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Erase the horizontal lines of a dark grid that are straight only locally: a photographed page's, which the
    flattening leaves wavy by a pixel or two, so that no pixel row holds a line (``remove_ruled_lines``) and no
    straight run is long (``remove_straight_lines``). A line is ink covering most of WAVY_LINE_MM along itself with
    another 5 mm away on both sides (a grid is periodic; a trace's flat baseline is not); dotted lines count, their
    dots joined first. Returns the map and how many pixels went (0 when none).

    Done only when the grid's lines, both ways, hold WAVY_GRID_SHARE of the ink: then the grid is in the ink (a
    heavy grey, green or black grid the colour detector cannot tell from the trace), and the tracer, which follows
    the ink run continuing the last one, ran along its horizontal lines for whole columns of the page. The vertical
    lines stay: the tracer crosses them in a column or two, and erasing them would take with them the steep
    strokes of the R waves that lie within a pixel or two of one. A baseline lying along a line goes with it; the
    tracer bridges the gap.
    """
    strong = (ink if found_on is None else found_on) > RULED_LEVEL
    window = max(5, int(round(WAVY_LINE_MM * px_per_mm)))
    join = max(2, int(round(DOT_JOIN_MM * px_per_mm)))
    period = RULED_PERIOD_MM * px_per_mm
    rows = _wavy_rows(strong, window, join, period)
    columns = _wavy_rows(strong.T, window, join, period).T
    inked = ink > INK_THRESHOLD
    if not inked.any() or ((rows | columns) & inked).sum() < WAVY_GRID_SHARE * inked.sum():
        return ink, 0
    return np.where(rows, 0.0, ink).astype(np.float32), int(rows.sum())


LABEL_ZONE_MM = (-1.0, 10.0)   # lead labels sit at the start of each column, within this span of it
LABEL_MAX_MM = (9.0, 6.0)      # and are smaller than this (width, height)
LABEL_MIN_HEIGHT_MM = 1.5      # but taller than this (a flat scrap of trace is not a letter)
LABEL_LINK_LEVEL = 0.15        # marks are the ink's parts joined by ink at least this strong


def erase_labels(ink: np.ndarray, n_columns: int, x_start: float, width_px: float, px_per_mm: float) -> np.ndarray:
    """Erase small ink marks (lead labels) lying wholly in the first few mm of a column.

    A mark is a part of the ink map joined by faint ink (LABEL_LINK_LEVEL), not only by ink above the trace
    threshold: a thin grey label on a low-dpi scan passes that threshold only in scraps, each too small to look like
    a letter, and a faint trace does so in scraps that look like letters (an R wave whose steep strokes are faint).
    The trace is one long mark crossing these zones, so it stays; a label left in would pull the tracer off the trace
    wherever the trace is faint.
    """
    mask = (ink > LABEL_LINK_LEVEL).astype(np.uint8)
    n, marks, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    starts = [x_start + c * width_px / n_columns for c in range(n_columns)]
    label = np.zeros(n, bool)
    for i in range(1, n):
        x, y, w, h, _ = stats[i]
        if w > LABEL_MAX_MM[0] * px_per_mm or not LABEL_MIN_HEIGHT_MM * px_per_mm <= h <= LABEL_MAX_MM[1] * px_per_mm:
            continue
        label[i] = any(s + LABEL_ZONE_MM[0] * px_per_mm <= x and x + w <= s + LABEL_ZONE_MM[1] * px_per_mm
                       for s in starts)
    return np.where(label[marks], 0.0, ink).astype(np.float32) if label.any() else ink
