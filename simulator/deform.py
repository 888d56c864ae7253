"""Sheet deformations as data: one frozen dataclass per kind, a tagged union over them, and the crease record.

Each deformation is a pure function of (current positions, page coordinates, params, rng) → new positions, applied
in the order listed in ``SheetSpec.deformations``. Positions live on the sheet's rectilinear grid, shape
``(rows, cols, 3)`` in world mm (rows follow page y, columns page x). Crease lines, dog-ears and the fold shape
the flat paper and come first, in that order; curl and wrinkles then warp whatever shape the sheet has.
The geometry lives in :mod:`simulator.folds` and :mod:`simulator.warps`; :mod:`simulator.sheet` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from .errors import InputError
from .params import rng


@dataclass(frozen=True)
class Crease:
    """A straight crease on the page: a segment in page mm, ``ridge`` or ``valley`` seen from the printed side.

    ``strength`` in [0, 1] scales how marked it is (fibre whitening in the texture, ambient occlusion in the render).
    """

    start_mm: tuple[float, float]
    end_mm: tuple[float, float]
    kind: Literal["ridge", "valley"]
    strength: float


@dataclass(frozen=True)
class Deformation:
    """Tagged union of the deformation kinds; ``VARIANTS`` maps each ``kind`` to its dataclass."""

    KIND: ClassVar[str] = ""
    VARIANTS: ClassVar[dict[str, type]] = {}


@dataclass(frozen=True)
class Fold(Deformation):
    """A letter folded along straight page creases, then opened to ``angle_deg`` (180 = flat, near 0 = closed).

    ``pattern``: ``half`` (one crease), ``letter`` (tri-fold, two parallel creases at thirds) or ``quarter`` (half, then
    half again across). ``creases`` says whether the first crease runs ``vertical`` (constant page x) or
    ``horizontal``. ``direction`` is the fold seen from the printed side: ``valley`` folds the flap over the print,
    ``mountain`` behind it. ``flap_side`` picks which side moves (``high`` = larger page coordinate); for a letter fold
    it is the outer flap, folded last. Rigid-folding limits decide the other creases' angles (see folds.py).
    """

    KIND: ClassVar[str] = "fold"
    pattern: Literal["half", "letter", "quarter"] = "half"
    angle_deg: float = field(default=170.0, metadata=rng(0.0, 180.0, lo_open=True))
    creases: Literal["vertical", "horizontal"] = "vertical"
    direction: Literal["valley", "mountain"] = "valley"
    flap_side: Literal["low", "high"] = "high"
    strength: float = field(default=0.8, metadata=rng(0.0, 1.0))


@dataclass(frozen=True)
class DogEar(Deformation):
    """A page corner folded over onto the printed side along a diagonal line.

    ``size_mm`` is the fold line's leg along the page's top/bottom edge, ``aspect`` the other leg's ratio to it.
    ``angle_deg`` is the opening like :class:`Fold` (near 0 = pressed flat on the page).
    """

    KIND: ClassVar[str] = "dog_ear"
    corner: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "top_right"
    size_mm: float = field(default=25.0, metadata=rng(2.0, 150.0))
    aspect: float = field(default=1.0, metadata=rng(0.3, 3.0))
    angle_deg: float = field(default=20.0, metadata=rng(0.0, 180.0, lo_open=True))
    strength: float = field(default=0.7, metadata=rng(0.0, 1.0))


@dataclass(frozen=True)
class Curl(Deformation):
    """Cylindrical bend: one ``edge`` curling up over ``length_mm`` of paper, or the ``whole`` page bent.

    For ``whole``, ``axis`` is the world axis the cylinder runs along and ``arch`` bends the middle up (the sheet then
    rests on two edges) instead of the edges up.
    """

    KIND: ClassVar[str] = "curl"
    edge: Literal["left", "right", "top", "bottom", "whole"] = "right"
    radius_mm: float = field(default=120.0, metadata=rng(5.0, 1.0e5))
    length_mm: float = field(default=60.0, metadata=rng(0.0, 1000.0))
    axis: Literal["x", "y"] = "y"
    arch: bool = False

    def check(self, name: str) -> None:
        """The curled part must not wrap onto itself (a turn of more than 270°)."""
        if self.edge != "whole" and self.length_mm / self.radius_mm > 1.5 * np.pi:
            prefix = f"{name}." if name else ""
            raise InputError(f"{prefix}length_mm: {self.length_mm} curls more than 270° at radius_mm "
                             f"{self.radius_mm} (must be ≤ {1.5 * np.pi * self.radius_mm:.1f})")


@dataclass(frozen=True)
class CreaseLines(Deformation):
    """Random straight creases (from handling or crumpling), each a sharp ridge or valley decaying over ``width_mm``.

    ``count`` lines, each with depth drawn in [0.3, 1] × ``depth_mm`` and length in [0.5, 1.5] × ``length_mm``
    (clipped to the page); ``axis_bias`` of them run near a page axis (folded by hand), the rest at any angle
    (crumpled); ``ridge_fraction`` of them are ridges.
    """

    KIND: ClassVar[str] = "crease_lines"
    count: int = field(default=3, metadata=rng(0, 200))
    depth_mm: float = field(default=0.8, metadata=rng(0.0, 10.0))
    width_mm: float = field(default=15.0, metadata=rng(1.0, 200.0))
    length_mm: float = field(default=250.0, metadata=rng(5.0, 5000.0))
    axis_bias: float = field(default=0.7, metadata=rng(0.0, 1.0))
    ridge_fraction: float = field(default=0.5, metadata=rng(0.0, 1.0))
    strength: float = field(default=0.5, metadata=rng(0.0, 1.0))


@dataclass(frozen=True)
class Wrinkles(Deformation):
    """Height noise: fBm Perlin noise mixed with ridged noise (sharp crumple ridges) by ``ridged``."""

    KIND: ClassVar[str] = "wrinkles"
    amplitude_mm: float = field(default=1.0, metadata=rng(0.0, 20.0))
    scale_mm: float = field(default=60.0, metadata=rng(5.0, 1000.0))
    octaves: int = field(default=4, metadata=rng(1, 8))
    ridged: float = field(default=0.3, metadata=rng(0.0, 1.0))


Deformation.VARIANTS = {cls.KIND: cls for cls in (Fold, DogEar, Curl, CreaseLines, Wrinkles)}

STAGE = {"crease_lines": 0, "dog_ear": 1, "fold": 2, "curl": 3, "wrinkles": 3}
"""Required order. Crease lines, dog-ears and the fold shape the flat paper, so a closed fold or dog-ear carries the
creases with it and stacks its layers clear of them; curl and wrinkles then warp the shaped sheet in world space,
moving stacked layers together."""


def check_order(deformations: tuple[Deformation, ...], name: str) -> None:
    """Raise InputError unless the deformations follow ``STAGE`` order with at most one fold."""
    stage, folds = 0, 0
    for i, d in enumerate(deformations):
        folds += d.KIND == "fold"
        if folds > 1:
            raise InputError(f"{name}[{i}]: only one fold per sheet (use pattern 'quarter' for two creases)")
        own = STAGE[d.KIND]
        if own < stage:
            later = sorted({k for k, v in STAGE.items() if v == stage})
            raise InputError(f"{name}[{i}]: {d.KIND} must come before {' and '.join(later)} "
                             "(order: crease_lines, dog_ear, fold, then curl and wrinkles)")
        stage = own
