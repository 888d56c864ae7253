"""Rasterise a planned page: the RGB page texture and its masks (per-lead trace, grid, text, marks).

Grid lines are axis-aligned, so their anti-aliasing is the exact area each pixel overlaps a line, computed once per
row and column. Ink (traces, labels, pulses) uses :mod:`simulator.stroke`. Colours are mixed the way inks print:
grid over paper, then black ink over both.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .coords import mm_to_px, page_size_px
from .layout import MARK_WIDTH_MM, PageLayout
from .paper import GRID_SCHEMES
from .stroke import polyline_segments, stroke_pixels

DOT_MM = 0.30             # minor grid printed as dots
MASK_THRESHOLD = 0.25     # a pixel is in a mask when that layer covers at least this much of it
TEXT_WIDTH_MM = 0.25


@dataclass(frozen=True)
class PageImage:
    """The page texture (H, W, 3) uint8 and its masks (H, W) uint8, plus the ink coverage (H, W) float32."""

    rgb: np.ndarray
    masks: dict[str, np.ndarray]   # trace: lead index + 1 (0 none); grid, text, marks: 0/1
    ink: np.ndarray
    dpi: int
    width_mm: float
    height_mm: float


def _line_profile(n_px: int, dpi: float, origin_mm: float, extent_mm: float, step_mm: float, width_mm: float,
                  every: int = 1) -> np.ndarray:
    """Coverage (n_px,) of pixels by lines every ``step_mm`` (keeping each ``every``-th) from origin over extent."""
    edges = np.arange(n_px + 1, dtype=np.float64)
    k = np.arange(0, round(extent_mm / step_mm) + 1, every)
    centres = mm_to_px(origin_mm + k * step_mm, dpi)
    half = mm_to_px(width_mm, dpi) / 2.0
    cov = np.zeros(n_px)
    for c in centres:  # each line touches at most a few pixels
        i0, i1 = max(0, int(np.floor(c - half))), min(n_px, int(np.ceil(c + half)))
        if i1 > i0:
            seg = np.minimum(edges[i0 + 1:i1 + 1], c + half) - np.maximum(edges[i0:i1], c - half)
            cov[i0:i1] = np.maximum(cov[i0:i1], np.clip(seg, 0, 1))
    return cov.astype(np.float32)


def _grid_rgb(layout: PageLayout, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The grid printed on paper (H, W, 3) uint8 and its mask, new arrays gathered from the cached painting."""
    spec = layout.spec
    rows_rgb, rows_mask, row_of = _painted_grid(shape, spec.dpi, tuple(layout.grid_box_mm), spec.minor_grid,
                                                tuple(spec.grid_line_mm), spec.grid, spec.grid_density,
                                                tuple(spec.paper_rgb))
    return rows_rgb[row_of], rows_mask[row_of]


@lru_cache(maxsize=4)
def _painted_grid(shape: tuple[int, int], dpi: int, box_mm: tuple[float, float, float, float], minor_grid: str,
                  line_mm: tuple[float, float], grid: str, density: float,
                  paper_rgb: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid painted on paper, as its distinct rows (K, W, 3) uint8, their masks (K, W) uint8 and each page
    row's index among them (H,), read-only. Cached because a run's pages mostly share one grid.

    The grid is a max of row and column profiles, so rows with the same row-profile values are the same row: each
    distinct row is painted once (~200 at 200 dpi), and a page is gathered from them (~1 ms, where painting
    it whole costs ~20 ms at 200 dpi). That keeps a 600 dpi page cheap, and an entry small.
    """
    h, w = shape
    gx0, gy0, gx1, gy1 = box_mm
    ex, ey = gx1 - gx0, gy1 - gy0
    in_x = _line_profile(w, dpi, gx0 + ex / 2, 0, 1, ex)   # a "line" as wide as the box: its coverage
    in_y = _line_profile(h, dpi, gy0 + ey / 2, 0, 1, ey)
    dots = minor_grid == "dots"
    minor_w = DOT_MM if dots else line_mm[0]
    mx, my = _line_profile(w, dpi, gx0, ex, 1.0, minor_w), _line_profile(h, dpi, gy0, ey, 1.0, minor_w)
    jx = _line_profile(w, dpi, gx0, ex, 1.0, line_mm[1], every=5)
    jy = _line_profile(h, dpi, gy0, ey, 1.0, line_mm[1], every=5)

    def rows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(minor, major) coverage of the rows ``y``."""
        if dots:
            minor = my[y, None] * mx[None, :]
        else:
            minor = np.maximum(mx[None, :] * in_y[y, None], my[y, None] * in_x[None, :])
        major = np.maximum(jx[None, :] * in_y[y, None], jy[y, None] * in_x[None, :])
        return minor, major

    colours = GRID_SCHEMES[grid]
    paper = np.asarray(paper_rgb, np.float32)
    # A dot is printed in the major lines' full ink (as on real dotted papers): a dot of the pale minor tint would
    # hardly show.
    minor_rgb, major_rgb = (_printed_over(paper, c, density) for c in (colours.major if dots else colours.minor,
                                                                         colours.major))

    def paint(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        minor, major = rows(y)
        rgb = np.broadcast_to(paper, minor.shape + (3,)).copy()
        _blend(rgb, minor, minor_rgb)
        _blend(rgb, major, major_rgb)
        return (rgb + 0.5).astype(np.uint8), np.maximum(minor, major) >= MASK_THRESHOLD

    # A row's pixels depend only on its three profile values, which take few distinct values: paint each distinct
    # row once and gather.
    _, first, inverse = np.unique(np.stack([my, jy, in_y], axis=1), axis=0, return_index=True, return_inverse=True)
    rows_rgb, rows_mask = paint(first)
    rows_mask, inverse = rows_mask.astype(np.uint8), inverse.ravel()
    for array in (rows_rgb, rows_mask, inverse):
        array.flags.writeable = False
    return rows_rgb, rows_mask, inverse


def _printed_over(paper: np.ndarray, colour: tuple[int, int, int], density: float) -> np.ndarray:
    """The colour (3,) float32 of a grid ink whose scheme colour is its look on white paper, printed ``density``
    times as thick on ``paper``: inks filter the light the paper reflects, so transmittances multiply and a layer
    ``d`` times as thick transmits ``T**d`` (Beer-Lambert)."""
    transmittance = np.maximum(np.asarray(colour, np.float32), 0.5) / 255.0
    return paper * transmittance ** np.float32(density)


def _blend(rgb: np.ndarray, cov: np.ndarray, colour: np.ndarray) -> None:
    """In place: rgb ← rgb·(1−cov) + colour·cov."""
    rgb += cov[..., None] * (colour - rgb)


def draw_strokes(ink: np.ndarray, mask: np.ndarray, segments: np.ndarray, width_px: float, value: int = 1,
                 strength: float = 1.0) -> None:
    """Max-combine strokes (S, 2, 2) in px into ``ink`` coverage, and set ``value`` in ``mask`` where they cover."""
    pixels, cov = stroke_pixels(segments, width_px, ink.shape)
    if strength != 1.0:
        cov *= strength
    np.maximum.at(ink.reshape(-1), pixels, cov)
    mask.reshape(-1)[pixels[cov >= MASK_THRESHOLD]] = value


def render_page(layout: PageLayout) -> PageImage:
    """Rasterise ``layout`` at its dpi into the page texture and masks."""
    spec = layout.spec
    dpi = spec.dpi
    w, h = page_size_px(layout.width_mm, layout.height_mm, dpi)
    shape = (h, w)
    masks = {name: np.zeros(shape, np.uint8) for name in ("trace", "grid", "text", "marks")}
    if spec.grid != "none":
        rgb, masks["grid"] = _grid_rgb(layout, shape)
    else:
        rgb = np.empty((h, w, 3), np.uint8)
        rgb[:] = np.asarray(spec.paper_rgb, np.uint8)

    ink = np.zeros(shape, np.float32)
    trace_px = mm_to_px(spec.trace_width_mm, dpi)
    for i, trace in enumerate(layout.traces):
        segs = polyline_segments(mm_to_px(layout.sample_xy_mm(trace), dpi))
        draw_strokes(ink, masks["trace"], segs, trace_px, value=i + 1)
    for lines, width_mm in ((layout.pulses, MARK_WIDTH_MM), (layout.ticks, layout.tick_width_mm)):
        if lines:
            draw_strokes(ink, masks["marks"], np.concatenate([polyline_segments(mm_to_px(p, dpi)) for p in lines]),
                         mm_to_px(width_mm, dpi))
    for item in (*layout.labels, *layout.texts):
        draw_strokes(ink, masks["text"], mm_to_px(item.segments, dpi), mm_to_px(TEXT_WIDTH_MM, dpi))
    for x0, y0, x1, y1 in layout.redactions:  # a solid bar: the text under it is gone, the bar is ink
        c0, r0, c1, r1 = (max(0, int(round(float(v)))) for v in mm_to_px(np.array([x0, y0, x1, y1]), dpi))
        ink[r0:r1, c0:c1] = 1.0
        masks["text"][r0:r1, c0:c1] = 0
        masks["grid"][r0:r1, c0:c1] = 0
    inked = np.flatnonzero(ink > 0)  # a bool array's nonzero is ~3x faster than a float one's
    flat = rgb.reshape(-1, 3)
    under = flat[inked].astype(np.float32)
    cov = ink.reshape(-1)[inked][:, None]
    flat[inked] = (under + cov * (np.asarray(spec.trace_rgb, np.float32) - under) + 0.5).astype(np.uint8)
    return PageImage(rgb=rgb, masks=masks, ink=ink, dpi=dpi, width_mm=layout.width_mm, height_mm=layout.height_mm)
