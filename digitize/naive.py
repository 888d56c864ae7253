"""The non-learned digitizer: colour thresholds find the ink, then the shared pipeline."""

from __future__ import annotations

import numpy as np

from .dewarp import GivenMaps
from .ink import colour_maps
from .layouts import PageLayoutSpec
from .pipeline import Calibration, Digitized, digitize_maps


def digitize_naive(rgb: np.ndarray, layout: PageLayoutSpec, cal: Calibration,
                   dewarp: str | GivenMaps = "auto", view: bool = False) -> Digitized:
    """Signals of an RGB page image, ink found by colour alone (``dewarp``, ``view``: see :func:`digitize_maps`;
    ``view`` keeps the image as it was read)."""
    maps = colour_maps(rgb)
    traced = np.where(maps.foreign, 0.0, maps.ink).astype(np.float32)   # a finger's outline is no trace
    result = digitize_maps(traced, maps.grid, layout, cal, dewarp, grid_ink=maps.ink, rgb=rgb if view else None)
    result.detections["method"] = "naive"
    return result
