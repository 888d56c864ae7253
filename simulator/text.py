"""Printed text as Hershey stroke-font polylines in page millimetres (labels, header, footer).

Stroke fonts draw with the same anti-aliased rasteriser as the traces, so text is ink like everything else and its
bounding box is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from HersheyFonts import HersheyFonts

_NORM = 100.0  # the font is normalised to this height; we rescale from it


@lru_cache(maxsize=8)
def _font(name: str) -> tuple[HersheyFonts, float, float]:
    """A loaded font with its baseline and cap height in normalised units (y up)."""
    font = HersheyFonts()
    font.load_default_font(name)
    font.normalize_rendering(_NORM)
    ys = np.array(list(font.lines_for_text("H")))[..., 1]
    return font, float(ys.min()), float(ys.max() - ys.min())


@dataclass(frozen=True)
class TextItem:
    """A line of text: its strokes in mm (``segments[k] = [[x0, y0], [x1, y1]]``) and its bounding box."""

    text: str
    kind: str  # "label" | "header" | "footer" | "handwriting"
    segments: np.ndarray
    bbox_mm: tuple[float, float, float, float]  # x0, y0, x1, y1
    lead_name: str | None = None
    redacted: bool = False  # printed, then covered by a redaction bar


def text_item(text: str, x_mm: float, baseline_mm: float, cap_height_mm: float, kind: str,
              font: str = "futural", lead_name: str | None = None) -> TextItem:
    """Lay ``text`` out with its left end at ``x_mm`` and its baseline at ``baseline_mm`` (page y down)."""
    hf, base, cap = _font(font)
    scale = cap_height_mm / cap
    raw = np.array(list(hf.lines_for_text(text)), dtype=np.float64).reshape(-1, 2, 2)
    seg = np.empty_like(raw)
    seg[..., 0] = x_mm + raw[..., 0] * scale
    seg[..., 1] = baseline_mm - (raw[..., 1] - base) * scale
    if len(seg):
        pts = seg.reshape(-1, 2)
        bbox = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
    else:
        bbox = (x_mm, baseline_mm - cap_height_mm, x_mm, baseline_mm)
    return TextItem(text=text, kind=kind, segments=seg, bbox_mm=bbox, lead_name=lead_name)
