"""The learned digitizer: the U-Net's trace probability replaces the colour threshold, then the shared pipeline.

The image is cut into overlapping tiles (reflect-padded to a multiple of 8); each tile's centre part is kept, so
seams never show. The grid (pitch, rotation) still comes from colour. Two nets of the same shape: the trace net's map
is what the tracer follows; the marks net's (trace, calibration pulses and column separators) is where the pipeline
looks for the pulses and separators it times the page by. One net with both maps read the trace worse (ECG-Image-
Kit's pages 20.1 → 17.1 dB), and one net drawing both in one map leads the tracer up dotted separators.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from simulator.errors import InputError

from .dewarp import GivenMaps
from .ink import colour_maps
from .layouts import PageLayoutSpec
from .model import UNet, to_input
from .pipeline import Calibration, Digitized, digitize_maps

OVERLAP = 32          # px of context discarded at each inner tile edge
MAX_SIDE = 3400       # larger images are scaled down for the net (it was trained at 100-300 dpi)


def load_model(path: Path, marks: bool = False) -> UNet:
    """The U-Net stored by ``train`` (weights file or checkpoint): the trace net, or with ``marks`` the marks net
    (trained with ``--marks``); InputError when it is missing, not ours, or the other kind."""
    option = "--marks-weights" if marks else "--weights"
    if not path.is_file():
        raise InputError(f"{option}: {path} is a folder, not a weights file" if path.is_dir() else
                         f"{option}: {path} not found")
    try:  # weights_only: tensors and plain data, never code (a .pt from elsewhere cannot run anything on load)
        state = torch.load(path, map_location="cpu", weights_only=True)
        model = UNet(state.get("width", state.get("config", {}).get("width", 16)))
        model.load_state_dict(state["model"])
    except Exception as exc:  # torch.load and load_state_dict raise many kinds; all mean "not our weights"
        raise InputError(f"{option}: {path} is not a digitizer U-Net ({type(exc).__name__})") from None
    if bool(state.get("config", {}).get("marks", False)) != marks:
        raise InputError(f"{option}: {path} is the " + ("trace net (trained without --marks)" if marks else
                                                        "marks net (trained with --marks): give it as --marks-weights"))
    return model.eval()


def predict_trace(model: UNet, rgb: np.ndarray, tile: int = 512) -> np.ndarray:
    """(H, W) float32 trace-ink probability of an RGB image."""
    h, w = rgb.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    img = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    ih, iw = img.shape[:2]
    tile = min(tile, -(-(max(ih, iw) + 2 * OVERLAP) // 8) * 8)  # no tile larger than the padded image needs
    step = tile - 2 * OVERLAP
    ny, nx = max(1, int(np.ceil(ih / step))), max(1, int(np.ceil(iw / step)))
    padded = cv2.copyMakeBorder(img, OVERLAP, ny * step - ih + OVERLAP, OVERLAP, nx * step - iw + OVERLAP,
                                cv2.BORDER_REFLECT)
    prob = np.zeros((ny * step, nx * step), np.float32)
    with torch.no_grad():
        for ty in range(ny):
            for tx in range(nx):
                y0, x0 = ty * step, tx * step
                patch = torch.from_numpy(np.ascontiguousarray(padded[y0: y0 + tile, x0: x0 + tile]))[None]
                logits = model(to_input(patch))[0, 0].numpy()
                prob[y0: y0 + step, x0: x0 + step] = 1.0 / (1.0 + np.exp(-logits[OVERLAP:-OVERLAP, OVERLAP:-OVERLAP]))
    prob = prob[:ih, :iw]
    return cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR) if scale < 1 else prob


@dataclass
class UnetDigitizer:
    """The loaded trace net, the marks net (None: the pipeline looks for the marks in the trace map) and the tile
    size; ``digitize`` has the same signature as the naive digitizer."""

    model: UNet
    tile: int = 512
    marks_model: UNet | None = None

    @staticmethod
    def load(path: Path, tile: int = 512, marks_path: Path | None = None) -> "UnetDigitizer":
        if tile % 8 or tile <= 2 * OVERLAP:
            raise InputError(f"--tile: {tile} must be a multiple of 8 above {2 * OVERLAP}")
        return UnetDigitizer(load_model(path), tile,
                             None if marks_path is None else load_model(marks_path, marks=True))

    def digitize(self, rgb: np.ndarray, layout: PageLayoutSpec, cal: Calibration,
                 dewarp: str | GivenMaps = "auto", view: bool = False) -> Digitized:
        ink = predict_trace(self.model, rgb, self.tile)
        mark_ink = None if self.marks_model is None else predict_trace(self.marks_model, rgb, self.tile)
        maps = colour_maps(rgb)
        # the page is flattened from the grid as the naive digitizer sees it, so both flatten a photo alike
        result = digitize_maps(ink, maps.grid, layout, cal, dewarp, grid_ink=maps.ink, rgb=rgb if view else None,
                               mark_ink=mark_ink, foreign=maps.foreign)
        result.detections["method"] = "unet"
        return result
