"""Folds and dog-ears: rigid hinge rotations of parts of the flat sheet, stacked a paper thickness apart.

A fold pattern is a sequence of hinge steps, each rotating the page on one side of a straight, axis-aligned crease
about that crease's line on the table. The sheet's grid holds every fold crease twice (two coincident columns or
rows), so the two sides of a crease share no vertex: the crease stays a sharp line, and the zero-width strip between
the duplicates closes the hairline gap that the thickness offset opens.

Which crease angles are possible is decided by rigid folding. Parallel creases (half, letter) fold at any angle;
the letter's inner flap must be closed under an outer flap opened less than 60°, or the flaps would cross. The two
perpendicular creases of a quarter fold meet at a vertex that folds rigidly only while one of them is flat or
closed: below 90° the first crease stays closed and the second opens, above 90° the first lies flat (keeping a
shallow residual valley) and the second opens to ``angle_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .deform import Crease, DogEar, Fold
from .warps import crease_profile

RESIDUAL_WIDTH_MM = 25.0
"""Decay width of the shallow valley a crease keeps when it has been opened flat again."""


@dataclass(frozen=True)
class HingeStep:
    """One rigid rotation: the page on side ``moving`` (+1: larger coordinate) of the crease ``page[axis] = at``
    turns by ``angle_deg`` about the crease line. ``layers`` counts the layers the flap and what it lands on make
    once closed (1 for a single flap on the base), which sets how far the hinge is lifted for them to stack.
    ``sense`` +1 turns the flap over the printed side (valley), -1 behind it (mountain)."""

    axis: int
    at: float
    moving: int
    angle_deg: float
    layers: int
    sense: int


def fold_plan(f: Fold, size_mm: tuple[float, float]) -> tuple[list[HingeStep], list[Crease]]:
    """The hinge steps and the crease records of fold ``f`` on a page of ``size_mm``."""
    first = 0 if f.creases == "vertical" else 1
    length = size_mm[first]
    side = 1 if f.flap_side == "high" else -1
    sense = 1 if f.direction == "valley" else -1
    turn = 180.0 - f.angle_deg
    same, other = ("valley", "ridge") if sense > 0 else ("ridge", "valley")

    def line(axis: int, at: float, lo: float = 0.0, hi: float | None = None) -> tuple[tuple, tuple]:
        hi = size_mm[1 - axis] if hi is None else hi
        a, b = [0.0, 0.0], [0.0, 0.0]
        a[axis] = b[axis] = at
        a[1 - axis], b[1 - axis] = lo, hi
        return tuple(a), tuple(b)

    if f.pattern == "half":
        steps = [HingeStep(first, length / 2, side, turn, 1, sense)]
        creases = [Crease(*line(first, length / 2), same, f.strength)]
    elif f.pattern == "letter":
        inner_turn = turn if f.angle_deg >= 60.0 else 180.0
        lo, hi = length / 3, 2 * length / 3
        inner_at, outer_at = (lo, hi) if side > 0 else (hi, lo)
        steps = [HingeStep(first, inner_at, -side, inner_turn, 1, sense),
                 HingeStep(first, outer_at, side, turn, 2, sense)]
        creases = [Crease(*line(first, lo), same, f.strength), Crease(*line(first, hi), same, f.strength)]
    else:
        second = 1 - first
        mid, cross = length / 2, size_mm[second] / 2
        closed = f.angle_deg < 90.0
        steps = [HingeStep(first, mid, side, 180.0 if closed else 0.0, 1, sense),
                 HingeStep(second, cross, side, turn, 3 if closed else 1, sense)]
        # The second crease went through two layers: it is a valley on the base half and a ridge on the flipped half.
        base_lo, base_hi = (0.0, mid) if side > 0 else (mid, length)
        flip_lo, flip_hi = (mid, length) if side > 0 else (0.0, mid)
        creases = [Crease(*line(first, mid), same, f.strength),
                   Crease(*line(second, cross, base_lo, base_hi), same, f.strength),
                   Crease(*line(second, cross, flip_lo, flip_hi), other, f.strength)]
    return steps, creases


def grid_lines(f: Fold, size_mm: tuple[float, float]) -> tuple[list[float], list[float]]:
    """Page x and page y positions where the grid must hold a crease (as a duplicated line)."""
    steps, _ = fold_plan(f, size_mm)
    return ([s.at for s in steps if s.axis == 0], [s.at for s in steps if s.axis == 1])


def mirrored_cells(f: Fold, size_mm: tuple[float, float], gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """(R-1, C-1) bool: the grid cells that fold ``f`` turns over an odd number of times.

    Their triangles are split along the mirrored diagonal, so a closed flap lies over the panel beneath it in the
    same triangles: both layers then follow any later warp identically and never cross (a flap cut the other way
    passes through the panel by as much as the warp's twist across a cell, far more than a paper's thickness)."""
    cx, cy = (gx[:-1] + gx[1:]) / 2.0, (gy[:-1] + gy[1:]) / 2.0
    odd = np.zeros((len(cy), len(cx)), bool)
    for step in fold_plan(f, size_mm)[0]:
        centre = cx[None, :] if step.axis == 0 else cy[:, None]
        odd ^= centre > step.at if step.moving > 0 else centre < step.at
    return odd


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of vectors ``v`` (..., 3) about unit ``axis`` by ``angle`` radians."""
    c, s = np.cos(angle), np.sin(angle)
    return v * c + np.cross(axis, v) * s + np.outer(v @ axis, axis).reshape(v.shape) * (1.0 - c)


def _moving_mask(step: HingeStep, page: np.ndarray) -> np.ndarray:
    """Grid nodes on the moving side of the crease: its duplicated line goes to the moving side once, not twice."""
    coord = page[:, 0, 1] if step.axis == 1 else page[0, :, 0]
    hits = np.flatnonzero(coord == step.at)
    if len(hits) != 2:
        raise ValueError(f"crease at {step.at} mm is not a duplicated grid line")
    idx = np.arange(len(coord))
    line_mask = idx >= hits[1] if step.moving > 0 else idx <= hits[0]
    return line_mask[:, None] if step.axis == 1 else line_mask[None, :]


def hinge(step: HingeStep, pos: np.ndarray, page: np.ndarray, size_mm: tuple[float, float], thickness_mm: float,
          relief: tuple[float, float]) -> np.ndarray:
    """Rotate the moving side of ``step`` rigidly about its crease line, lifted so closed layers stack apart.

    ``relief`` is the (lowest, highest) z of the sheet before folding. Each layer then takes the paper's thickness
    plus that relief, so a sheet that was already creased still closes without passing through itself: turning by
    180° about a line at height h maps z to 2h - z, which clears the ``layers`` beneath by a thickness. The lift
    grows as sin²(turn / 2): a nearly open fold needs none, and lifting it would step the paper at the crease. A
    valley fold's line is never below the material on its crease, a mountain fold's never above it, so each layer
    there turns on its own circle about the line and no two cross.
    """
    if step.angle_deg == 0.0:
        return pos
    height = size_mm[1]
    mask = np.broadcast_to(_moving_mask(step, page), pos.shape[:2])
    low, high = relief
    layer = thickness_mm + (high - low)
    closing = np.sin(np.radians(step.angle_deg) / 2.0) ** 2
    rise = closing * (step.layers * layer / 2.0 + (high - low) / 2.0)
    # a line between a stack's layers, or below a creased sheet's raised crease, turned them through each other
    crease = pos[(page[..., step.axis] == step.at)][:, 2]
    lift = max(low + rise, float(crease.max())) if step.sense > 0 else min(high - rise, float(crease.min()))
    if step.axis == 0:  # constant page x: the line runs along world y
        pivot = np.array([step.at, 0.0, lift])
        into = np.array([float(step.moving), 0.0, 0.0])
    else:  # constant page y = world y of height - at, running along world x
        pivot = np.array([0.0, height - step.at, lift])
        into = np.array([0.0, -float(step.moving), 0.0])
    up = np.array([0.0, 0.0, float(step.sense)])
    axis = np.cross(into, up)
    out = pos.copy()
    out[mask] = pivot + _rotate(pos[mask] - pivot, axis, np.radians(step.angle_deg))
    return out


def fold(f: Fold, pos: np.ndarray, page: np.ndarray, size_mm: tuple[float, float],
         thickness_mm: float) -> tuple[np.ndarray, list[Crease]]:
    """Fold the flat sheet by pattern ``f``.

    A crease that rigid folding must leave flat keeps a shallow residual valley (non-isometric, but its slope at the
    crease is only a quarter of the opening's turn), which vanishes when the whole fold is opened flat.
    """
    steps, creases = fold_plan(f, size_mm)
    depth = RESIDUAL_WIDTH_MM * np.tan(np.radians(180.0 - f.angle_deg) / 4.0)
    relief = (float(pos[..., 2].min()), float(pos[..., 2].max()))
    for step in steps:
        if step.angle_deg == 0.0:
            pos = pos.copy()
            dist = np.abs(page[..., step.axis] - step.at)
            pos[..., 2] -= step.sense * depth * crease_profile(dist, RESIDUAL_WIDTH_MM)
        else:
            pos = hinge(step, pos, page, size_mm, thickness_mm, relief)
    return pos, creases


def dog_ear_line(d: DogEar, size_mm: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Page corner and the two ends of the fold line (on the two edges meeting at the corner), in page mm."""
    w, h = size_mm
    cx = w if "right" in d.corner else 0.0
    cy = h if "bottom" in d.corner else 0.0
    corner = np.array([cx, cy])
    along_x = min(d.size_mm, w) * (-1.0 if cx else 1.0)
    along_y = min(d.size_mm * d.aspect, h) * (-1.0 if cy else 1.0)
    return corner, corner + [along_x, 0.0], corner + [0.0, along_y]


def dog_ear(d: DogEar, pos: np.ndarray, page: np.ndarray, size_mm: tuple[float, float], cell_mm: float,
            thickness_mm: float) -> tuple[np.ndarray, list[Crease]]:
    """Fold a corner over the printed side about a diagonal line, bending round a thin cylinder.

    The diagonal cannot be a grid line, so instead of a hinge the paper bends around a cylinder whose arc spans at
    least two cells: no triangle straddles a kink, and the band reads as a sharp crease at photo scale. The radius
    also clears the sheet's relief (from crease lines drawn before), so the closed flap lies above the page.
    """
    corner, a, b = dog_ear_line(d, size_mm)
    along = (b - a) / np.linalg.norm(b - a)
    toward = np.array([-along[1], along[0]])
    if (corner - a) @ toward < 0:
        toward = -toward
    crease = [Crease(tuple(map(float, a)), tuple(map(float, b)), "valley", d.strength)]
    turn = np.pi - np.radians(d.angle_deg)
    if turn <= 0.0:
        return pos, crease  # opened flat again: only the crease mark remains
    low = float(pos[..., 2].min())
    relief = float(pos[..., 2].max()) - low
    radius = max(2.0 * cell_mm / turn, relief + thickness_mm / 2.0)
    band = radius * turn  # paper length on the arc
    s = (page - a) @ toward  # page mm from the fold line toward the corner
    sel = s > 0
    sc = s[sel]
    phi = np.minimum(sc, band) / radius
    rest = np.maximum(sc - band, 0.0)
    height = pos[sel, 2] - low  # relief carried along the surface normal, which turns with the paper
    # In-plane distance from the line and height: around the arc, then straight on along the flap.
    u = radius * np.sin(phi) + rest * np.cos(phi) - height * np.sin(phi)
    z = radius * (1.0 - np.cos(phi)) + rest * np.sin(phi) + height * np.cos(phi)
    toward_world = np.array([toward[0], -toward[1], 0.0])  # page y runs along world -y
    out = pos.copy()
    foot = pos[sel] - sc[:, None] * toward_world  # on the fold line: the corner is still flat here
    out[sel] = foot + u[:, None] * toward_world
    out[sel, 2] = low + z
    return out, crease
