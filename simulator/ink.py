"""Handwriting and pen marks as ink in the page texture, so they bend, shade and hide with the sheet.

Notes are written in Hershey script fonts with a human hand's imperfections: slant, a drifting baseline, a slow
wobble of the pen, and pressure that varies along the line. Marks are circles drawn around a lead and underlines.
Everything is drawn with the trace rasteriser and recorded in an ``ink`` mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .coords import mm_to_px
from .layout import PageLayout
from .page import PageImage, draw_strokes
from .params import choices, rng
from .stroke import polyline_segments
from .text import text_item

NOTES = ("Pt c/o chest pain", "AF?", "compare w/ prior", "ST elev V2-V4?", "reviewed", "old MI?", "repeat ECG",
         "no acute change", "LBBB", "QTc long?", "call cardiology", "sinus rhythm", "post-op day 1", "HR 72",
         "STAT", "copy to chart", "K+ 5.9", "faxed")
PENS = {"blue": (25, 45, 150), "black": (30, 30, 35), "red": (170, 30, 35)}


@dataclass(frozen=True)
class InkSpec:
    """Handwritten notes and pen marks added to the printed page."""

    notes: int = field(default=0, metadata=rng(0, 12))
    circles: int = field(default=0, metadata=rng(0, 6))
    pen: str = field(default="blue", metadata=choices(*PENS))
    pen_width_mm: float = field(default=0.45, metadata=rng(0.15, 1.2))
    cap_height_mm: float = field(default=5.0, metadata=rng(2.0, 15.0))
    slant_deg: float = field(default=12.0, metadata=rng(-30.0, 40.0))
    wobble_mm: float = field(default=0.25, metadata=rng(0.0, 1.5))
    font: str = field(default="scriptc", metadata=choices("scriptc", "scripts", "cursive", "futural"))


def _hand(points: np.ndarray, spec: InkSpec, r: np.random.Generator) -> np.ndarray:
    """Add a slow pen wobble and baseline drift to (..., 2) points in mm."""
    phase = r.uniform(0, 2 * np.pi, 4)
    x, y = points[..., 0], points[..., 1]
    dx = spec.wobble_mm * np.sin(x / 3.1 + phase[0]) * np.cos(y / 2.3 + phase[1])
    dy = spec.wobble_mm * np.sin(x / 2.7 + phase[2]) + 0.6 * spec.wobble_mm * np.sin(x / 17.0 + phase[3])
    return np.stack([x + dx, y + dy], axis=-1)


def _note_segments(text: str, x: float, y: float, spec: InkSpec, r: np.random.Generator) -> np.ndarray:
    """Strokes (S, 2, 2) in mm of a slanted, slightly rotated, wobbly handwritten line."""
    item = text_item(text, x, y, spec.cap_height_mm * r.uniform(0.85, 1.15), "handwriting", font=spec.font)
    seg = item.segments.copy()
    slant = np.tan(np.radians(spec.slant_deg + r.normal(0, 4)))
    seg[..., 0] += (y - seg[..., 1]) * slant
    angle = np.radians(r.normal(0, 4))
    c, s = np.cos(angle), np.sin(angle)
    rel = seg - np.array([x, y])
    seg = np.stack([x + c * rel[..., 0] - s * rel[..., 1], y + s * rel[..., 0] + c * rel[..., 1]], axis=-1)
    return _hand(seg, spec, r)


def _circle(cx: float, cy: float, rx: float, ry: float, r: np.random.Generator, spec: InkSpec) -> np.ndarray:
    """A hand-drawn ellipse that overshoots its start, as (S, 2, 2) segments in mm."""
    turns = 2 * np.pi * r.uniform(1.05, 1.25)
    t = np.linspace(0, turns, 90) + r.uniform(0, 2 * np.pi)
    grow = 1 + 0.06 * t / turns
    pts = np.stack([cx + rx * grow * np.cos(t), cy + ry * grow * np.sin(t)], axis=1)
    return polyline_segments(_hand(pts, spec, r))


def add_ink(page: PageImage, layout: PageLayout, spec: InkSpec, seed: int) -> PageImage:
    """Write notes and circles onto the page texture; returns the new page with an ``ink`` mask."""
    r = np.random.default_rng([seed, 0x1AC])
    h, w = page.rgb.shape[:2]
    coverage = np.zeros((h, w), np.float32)
    pieces: list[np.ndarray] = []
    for _ in range(spec.notes):
        text = NOTES[r.integers(len(NOTES))]
        x = r.uniform(0.05, 0.7) * layout.width_mm
        y = r.uniform(0.08, 0.95) * layout.height_mm
        pieces.append(_note_segments(text, x, y, spec, r))
    for _ in range(spec.circles):
        if not layout.traces:
            break
        trace = layout.traces[r.integers(len(layout.traces))]
        span = (trace.end_sample - trace.start_sample) / layout.fs * layout.spec.speed_mm_s
        cx = trace.x0_mm + r.uniform(0.2, 0.8) * span
        pieces.append(_circle(cx, trace.baseline_mm - 3.0, r.uniform(6, 14), r.uniform(5, 9), r, spec))
    pressure = r.uniform(0.8, 1.0)
    ink_mask = np.zeros((h, w), np.uint8)
    for seg in pieces:
        draw_strokes(coverage, ink_mask, mm_to_px(seg, page.dpi), mm_to_px(spec.pen_width_mm, page.dpi),
                     strength=pressure)
    masks = {**page.masks, "ink": ink_mask}
    if not pieces:  # most pages carry no handwriting: nothing to mix
        return replace(page, masks=masks)
    rgb = page.rgb.copy()
    flat = rgb.reshape(-1, 3)
    inked = np.flatnonzero(coverage > 0)
    under = flat[inked].astype(np.float32)
    pen = np.asarray(PENS[spec.pen], np.float32)
    # Ballpoint ink is translucent: darken multiplicatively so the grid shows through it.
    mixed = under * (1 - coverage.ravel()[inked][:, None] * (1 - pen / 255.0))
    flat[inked] = (mixed + 0.5).astype(np.uint8)
    return replace(page, rgb=rgb, masks=masks, ink=np.maximum(page.ink, coverage))
