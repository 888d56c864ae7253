"""Occluders: a hand-like shape, a pen and a clipboard clip, as small triangle meshes that cast and receive shadows.

Each is built from ellipsoids, cylinders and boxes in a local frame (x along its length, z up, resting on z = 0), then
rotated about z by ``angle_deg`` and moved to ``(x_mm, y_mm, z_mm)`` in world mm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import choices, rng


@dataclass(frozen=True)
class Occluder:
    kind: str = field(default="pen", metadata=choices("hand", "pen", "clip"))
    x_mm: float = field(default=0.0, metadata=rng(-5000.0, 5000.0))
    y_mm: float = field(default=0.0, metadata=rng(-5000.0, 5000.0))
    z_mm: float = field(default=0.0, metadata=rng(0.0, 2000.0))  # lift above the table
    angle_deg: float = field(default=0.0, metadata=rng(-360.0, 360.0))
    scale: float = field(default=1.0, metadata=rng(0.1, 10.0, lo_open=True))
    color: tuple[float, float, float] = field(default=(0.05, 0.07, 0.2), metadata=rng(0.0, 1.0))


@dataclass(frozen=True)
class SolidMesh:
    """A plain-coloured triangle mesh in world mm (unindexed triangles; flat or smooth normals per vertex)."""

    vertices: np.ndarray  # (N, 3) float32, N a multiple of 3
    normals: np.ndarray  # (N, 3) float32
    color: tuple[float, float, float]
    gloss: float  # 0 matte … 1 shiny


def _grid_triangles(pos: np.ndarray, nrm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unindexed triangles of a (rows, cols, 3) parametric grid of positions and normals."""
    a, b = pos[:-1, :-1], pos[:-1, 1:]
    c, d = pos[1:, :-1], pos[1:, 1:]
    na, nb, nc, nd = nrm[:-1, :-1], nrm[:-1, 1:], nrm[1:, :-1], nrm[1:, 1:]
    tri = np.stack([a, c, b, b, c, d], axis=2).reshape(-1, 3)
    ntri = np.stack([na, nc, nb, nb, nc, nd], axis=2).reshape(-1, 3)
    return tri, ntri


def _ellipsoid(centre, radii, n: int = 16) -> tuple[np.ndarray, np.ndarray]:
    th = np.linspace(0, np.pi, n + 1)[:, None]
    ph = np.linspace(0, 2 * np.pi, 2 * n + 1)[None, :]
    unit = np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th) + 0 * ph], axis=-1)
    pos = unit * radii + centre
    nrm = unit / np.asarray(radii, dtype=np.float64)  # normal of an ellipsoid: gradient of its implicit function
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    return _grid_triangles(pos, nrm)


def _cylinder_x(x0: float, x1: float, r0: float, r1: float, z: float, n: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """A (possibly tapered) tube along x at height z, radius r0 at x0 to r1 at x1 (ends left open)."""
    ph = np.linspace(0, 2 * np.pi, n + 1)[None, :]
    x = np.array([[x0], [x1]])
    r = np.array([[r0], [r1]])
    pos = np.stack([x + 0 * ph, r * np.cos(ph), z + r * np.sin(ph)], axis=-1)
    slope = (r0 - r1) / max(x1 - x0, 1e-6)
    nrm = np.stack([slope + 0 * ph + 0 * x, np.cos(ph) + 0 * x, np.sin(ph) + 0 * x], axis=-1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    return _grid_triangles(pos, nrm)


def _box(lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    tris, nrms = [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            u, v = [a for a in range(3) if a != axis]
            quad = np.zeros((2, 2, 3))
            for i, su in enumerate((lo[u], hi[u])):
                for j, sv in enumerate((lo[v], hi[v])):
                    quad[i, j, axis] = hi[axis] if sign > 0 else lo[axis]
                    quad[i, j, u], quad[i, j, v] = su, sv
            n = np.zeros((2, 2, 3))
            n[..., axis] = sign
            t, tn = _grid_triangles(quad, n)
            tris.append(t)
            nrms.append(tn)
    return np.concatenate(tris), np.concatenate(nrms)


def _parts(kind: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], float]:
    """Local-frame parts of an occluder and its gloss."""
    if kind == "pen":  # 140 mm barrel, 5 mm radius, conical tip, clip ridge
        return [_cylinder_x(0, 120, 5, 5, 5), _cylinder_x(120, 140, 5, 0.6, 5),
                _ellipsoid((0, 0, 5), (2, 5, 5), 8), _box((5, -1.5, 9), (45, 1.5, 11))], 0.6
    if kind == "clip":  # spring clip of a clipboard: a low metal hump and a lever
        return [_box((-50, -12, 0), (50, 12, 4)), _ellipsoid((0, 0, 4), (50, 12, 6), 12),
                _box((-20, 8, 6), (20, 30, 9))], 0.8
    # hand: a flat palm, four fingers reaching along +x whose pads rest on the paper, and a thumb
    parts = [_ellipsoid((-42, 0, 15), (46, 40, 11), 14)]
    for dy, length in ((-27, 62), (-9, 74), (9, 78), (27, 68)):
        parts.append(_ellipsoid((length / 2 - 2, dy, 7), (length / 2 + 6, 7.5, 6), 10))
    parts.append(_ellipsoid((-10, 44, 9), (28, 9, 7), 10))
    return parts, 0.15


def occluder_mesh(occ: Occluder) -> SolidMesh:
    """World-space mesh of one occluder."""
    parts, gloss = _parts(occ.kind)
    pos = np.concatenate([p for p, _ in parts]) * occ.scale
    nrm = np.concatenate([n for _, n in parts])
    a = np.radians(occ.angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    pos = pos @ rot.T + np.array([occ.x_mm, occ.y_mm, occ.z_mm])
    return SolidMesh(pos.astype(np.float32), (nrm @ rot.T).astype(np.float32), occ.color, gloss)
