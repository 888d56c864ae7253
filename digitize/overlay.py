"""What the digitizer read, drawn on the photo as it read it: to check a reading where there is no reference signal.

On the flattened, deskewed photo (``Digitized.view``): each lead's signal in red where it was traced, each row's
baseline in green, the time span's ends and the column boundaries in blue. A trace that leaves its ink, a baseline
off the trace's foot or a boundary off the separator ticks shows at a glance.
"""

from __future__ import annotations

import cv2
import numpy as np

from .pipeline import Digitized

SIGNAL = (220, 30, 30)      # RGB
BASELINE = (40, 170, 60)
SPAN = (40, 90, 230)


def _polyline(image: np.ndarray, xs: np.ndarray, ys: np.ndarray, colour: tuple[int, int, int]) -> None:
    """Draw the finite stretches of (xs, ys) as anti-aliased polylines (4 bits of sub-pixel precision)."""
    ok = np.isfinite(ys)
    runs = np.split(np.flatnonzero(ok), np.flatnonzero(np.diff(np.flatnonzero(ok)) > 1) + 1)
    for run in runs:
        if run.size < 2:
            continue
        pts = np.round(np.stack([xs[run], ys[run]], 1) * 16).astype(np.int32)
        cv2.polylines(image, [pts], False, colour, 1, cv2.LINE_AA, shift=4)


def draw_overlay(result: Digitized) -> np.ndarray:
    """An RGB image of ``result.view`` with what was read drawn on it; ValueError without a view."""
    if result.view is None:
        raise ValueError("the result has no view: digitize with view=True")
    image = np.ascontiguousarray(result.view.copy())
    d = result.detections
    x_start, x_end = d["x_start"], d["x_end"]
    px_per_mv = d["calibration"]["gain_mm_mv"] * d["px_per_mm_y"]
    xs = x_start + np.arange(result.n_samples) * (x_end - x_start) / result.n_samples
    height = image.shape[0]
    for row, leads in zip(d["rows"], result.row_signals):
        top, bottom = row["band"]
        baseline = row["baseline_y"]
        cv2.line(image, (int(round(x_start)), int(round(baseline))), (int(round(x_end)), int(round(baseline))),
                 BASELINE, 1, cv2.LINE_AA)
        n_cols = len(row["leads"])
        for c in range(n_cols + 1):
            x = int(round(x_start + c * (x_end - x_start) / n_cols))
            cv2.line(image, (x, max(0, top)), (x, min(height - 1, bottom)), SPAN, 1, cv2.LINE_AA)
        for mv in leads.values():
            _polyline(image, xs, baseline - mv * px_per_mv, SIGNAL)
    return image
