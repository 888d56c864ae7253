"""The photographed-sheet presets: a named look → sheet, camera, lighting, table and post parameters for a page.

Each part's own module draws its parameters (``camera.preset``, ``lighting.preset``, ``background.preset``,
``post.preset``); this module adds the sheet's deformations and gathers them, sized to the page. The result is
plain data (absolute values), written whole into the JSON so the frame re-renders from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import background, camera, lighting, post
from .deform import CreaseLines, Curl, DogEar, Fold, Wrinkles
from .errors import InputError
from .sheet import SheetSpec

PHOTO_PRESETS = ("scanner", "phone_photo", "folded_letter", "crumpled")
PHOTO_SIZE = (1600, 1200)  # a phone photo after a messaging app: 1 mm of grid is ~4-5 px (REALISM.md)


@dataclass(frozen=True)
class PhotoParts:
    sheet: SheetSpec
    camera: camera.Camera
    lighting: lighting.Lighting
    background: background.Background
    post: post.PostFX


def _deformations(name: str, r: np.random.Generator, size: tuple[float, float]) -> tuple:
    """The sheet's deformations for a preset, in the order the sheet applies them."""
    if name == "scanner":  # pressed flat under glass; a handled page still shows faint creases in its texture
        return (CreaseLines(count=int(r.integers(0, 4)), depth_mm=0.05),) if r.random() < 0.4 else ()
    if name == "phone_photo":
        out: list = []
        if r.random() < 0.3:
            out.append(CreaseLines(count=int(r.integers(1, 5)), depth_mm=float(r.uniform(0.3, 1.0))))
        if r.random() < 0.2:
            out.append(DogEar(corner=str(r.choice(["top_left", "top_right", "bottom_left", "bottom_right"])),
                              size_mm=float(r.uniform(15, 35))))
        out.append(Curl(edge=str(r.choice(["left", "right", "top", "bottom", "whole"])),
                        radius_mm=float(r.uniform(90, 300)), length_mm=float(r.uniform(30, 80))))
        out.append(Wrinkles(amplitude_mm=float(r.uniform(0.2, 1.2)), scale_mm=float(r.uniform(50, 120))))
        return tuple(out)
    if name == "folded_letter":
        pattern = str(r.choice(["letter", "half", "quarter"], p=[0.6, 0.25, 0.15]))
        creases = "horizontal" if pattern == "letter" else str(r.choice(["vertical", "horizontal"]))
        return (Fold(pattern=pattern, creases=creases, angle_deg=float(r.uniform(150, 176)),
                     direction=str(r.choice(["valley", "mountain"]))),
                Wrinkles(amplitude_mm=float(r.uniform(0.2, 0.8)), scale_mm=float(r.uniform(60, 120))))
    if name == "crumpled":
        return (CreaseLines(count=int(r.integers(12, 40)), depth_mm=float(r.uniform(0.8, 2.5))),
                Wrinkles(amplitude_mm=float(r.uniform(0.8, 2.5)), scale_mm=float(r.uniform(25, 60)),
                         ridged=float(r.uniform(0.2, 0.6))))
    raise InputError(f"preset: {name!r} is not one of {', '.join(PHOTO_PRESETS)}")


def photo_parts(name: str, size_mm: tuple[float, float], dpi: float, seed: int) -> PhotoParts:
    """Draw every 3D parameter of preset ``name`` for a page of ``size_mm`` from ``seed``."""
    r = np.random.default_rng([seed, 0x3D])
    sheet = SheetSpec(width_mm=size_mm[0], height_mm=size_mm[1], cell_mm=1.5 if name == "crumpled" else 2.0,
                      deformations=_deformations(name, r, size_mm))
    image_size = PHOTO_SIZE if size_mm[0] >= size_mm[1] else PHOTO_SIZE[::-1]
    cam = camera.preset(name, r, size_mm, image_size=image_size, scan_dpi=min(dpi, 200.0))
    light = lighting.preset(name, r, (size_mm[0] / 2, size_mm[1] / 2))
    return PhotoParts(sheet=sheet, camera=cam, lighting=light, background=background.preset(name, r, size_mm),
                      post=post.preset(name, r))
