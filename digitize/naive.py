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
    result = digitize_maps(maps.ink, maps.grid, layout, cal, dewarp, rgb=rgb if view else None, foreign=maps.foreign)
    result.detections["method"] = "naive"
    return result
