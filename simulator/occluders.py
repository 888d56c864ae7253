"""Occluders: a hand, a pen and a clipboard clip, as small triangle meshes that cast and receive shadows.

Each is built from ellipsoids, swept tubes and boxes in a local frame (x along its length, z up, resting on z = 0),
then rotated about z by ``angle_deg`` and moved to ``(x_mm, y_mm, z_mm)`` in world mm. The hand is an adult's right
hand resting on the page, palm down: its origin is at the knuckles, fingers reach ~90 mm along +x with their tips on
the paper, and the wrist and forearm leave toward -x (so a hand at the sheet's edge comes with its arm, as in
photos).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .params import choices, rng

SEGMENT_MM = 10.0  # occluder grids' lines are at most this far apart at scale 1 (see _grid_triangles)


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
    translucency: float = 0.0  # light wrapping past the terminator (skin scatters light under its surface)


def _resample(pos: np.ndarray, nrm: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The grid with lines inserted along ``axis`` (evenly, by linear interpolation) so that neighbouring lines are at
    most ``SEGMENT_MM`` apart; the surface is unchanged, normals are interpolated."""
    gap = np.linalg.norm(np.diff(pos, axis=axis), axis=-1).max(axis=1 - axis)  # per interval, its widest point
    counts = np.maximum(1, np.ceil(gap / SEGMENT_MM)).astype(int)
    t = np.concatenate([i + np.arange(c) / c for i, c in enumerate(counts)] + [[float(len(counts))]])
    i0 = np.minimum(t.astype(int), len(counts) - 1)
    f = (t - i0).reshape((-1, 1, 1) if axis == 0 else (1, -1, 1))
    pos = np.take(pos, i0, axis) * (1 - f) + np.take(pos, i0 + 1, axis) * f
    nrm = np.take(nrm, i0, axis) * (1 - f) + np.take(nrm, i0 + 1, axis) * f
    length = np.linalg.norm(nrm, axis=-1, keepdims=True)
    return pos, np.where(length > 1e-12, nrm / np.maximum(length, 1e-12), nrm)


def _grid_triangles(pos: np.ndarray, nrm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unindexed triangles of a (rows, cols, 3) parametric grid of positions and normals, each wound so that it faces
    along its normals (the shader lights the side a triangle's winding faces). The grid is first resampled to
    ``SEGMENT_MM``: the lens bends only vertices (:mod:`lens`), and a pen's 120 mm barrel drawn as long thin triangles
    would stay straight under it."""
    pos, nrm = _resample(*_resample(np.asarray(pos, np.float64), np.asarray(nrm, np.float64), 0), 1)
    a, b = pos[:-1, :-1], pos[:-1, 1:]
    c, d = pos[1:, :-1], pos[1:, 1:]
    na, nb, nc, nd = nrm[:-1, :-1], nrm[:-1, 1:], nrm[1:, :-1], nrm[1:, 1:]
    tri = np.stack([a, c, b, b, c, d], axis=2).reshape(-1, 3, 3)
    ntri = np.stack([na, nc, nb, nb, nc, nd], axis=2).reshape(-1, 3, 3)
    facing = np.einsum("ij,ij->i", np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), ntri.sum(axis=1))
    flip = facing < 0
    tri[flip] = tri[flip][:, [0, 2, 1]]
    ntri[flip] = ntri[flip][:, [0, 2, 1]]
    return tri.reshape(-1, 3), ntri.reshape(-1, 3)


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


def _tube(path: np.ndarray, radii: np.ndarray, flatten: float = 1.0, n: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """A tube swept along a polyline ``path`` (k, 3) with a radius per point, its cross-section squashed vertically by
    ``flatten`` (fingers are wider than tall), and round caps at both ends. Normals are the cross-section's."""
    path = np.asarray(path, np.float64)
    tangent = np.gradient(path, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    side = np.cross(np.array([0.0, 0.0, 1.0]), tangent)
    side /= np.linalg.norm(side, axis=1, keepdims=True)
    up = np.cross(tangent, side)
    ph = np.linspace(0, 2 * np.pi, n + 1)[None, :, None]
    ring = np.cos(ph) * side[:, None, :] + np.sin(ph) * flatten * up[:, None, :]
    pos = path[:, None, :] + np.asarray(radii, np.float64)[:, None, None] * ring
    nrm = np.cos(ph) * side[:, None, :] + np.sin(ph) / flatten * up[:, None, :]
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True)
    tri, ntri = _grid_triangles(pos, nrm)
    caps = [_ellipsoid(path[i], (radii[i], radii[i], radii[i] * flatten), n // 2) for i in (0, -1)]
    return np.concatenate([tri] + [c for c, _ in caps]), np.concatenate([ntri] + [c for _, c in caps])


def _finger(base, spread_deg: float, lengths, radii, bends_deg, flatten: float = 0.85) -> tuple[np.ndarray, np.ndarray]:
    """A finger from its knuckle ``base``: three phalanges of ``lengths`` mm in a vertical plane turned ``spread_deg``
    about z, the first two pitched down by the cumulative ``bends_deg``, the last pitched so its pad rests on z = 0;
    radius tapering through ``radii`` (at the knuckle and each joint)."""
    spread = np.radians(spread_deg)
    heading = np.array([np.cos(spread), np.sin(spread)])
    points = [np.asarray(base, np.float64)]
    pitches = np.radians(np.cumsum(bends_deg))
    tip_z = points[0][2] - sum(length * np.sin(p) for length, p in zip(lengths[:2], pitches))
    last = np.arcsin(np.clip((tip_z - radii[-1] * flatten) / lengths[2], -0.2, 1.0))
    for length, pitch in zip(lengths, (*pitches, last)):
        step = np.array([*(heading * np.cos(pitch)), -np.sin(pitch)]) * length / 2
        points += [points[-1] + step, points[-1] + 2 * step]  # two segments per phalanx
    r = np.interp(np.arange(len(points)) / 2.0, np.arange(len(radii)), radii)
    return _tube(np.array(points), r, flatten)


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
        return [_box((-50, -12, 0), (50, 12, 4)), _ellipsoid((0, 0, 4), (50, 12, 4), 12),
                _box((-20, 8, 6), (20, 30, 9))], 0.8
    # hand: palm, forearm, four fingers whose tips rest on the paper, and a thumb (mm; origin at the middle knuckle)
    parts = [_ellipsoid((-42, 0, 15), (50, 41, 14), 14),  # palm and back of the hand
             _tube(np.array([[-78.0, 0, 16], [-130, -4, 22], [-230, -10, 30]]), np.array([27.0, 28, 31]), 0.62)]
    fingers = (  # knuckle (y), spread, phalanx lengths, radii at the knuckle and joints
        (25.0, 9.0, (36, 22, 18), (9.0, 8.2, 7.5, 6.8)),
        (8.0, 2.0, (41, 25, 19), (9.3, 8.5, 7.7, 7.0)),
        (-9.0, -5.0, (38, 24, 18), (8.8, 8.0, 7.3, 6.6)),
        (-25.0, -13.0, (30, 18, 16), (7.8, 7.0, 6.4, 5.8)),
    )
    for y, spread, lengths, radii in fingers:
        knuckle = (-6.0 - 0.15 * abs(y), y, 22.0)
        parts.append(_finger(knuckle, spread, lengths, radii, (6.0, 14.0)))
    parts.append(_finger((-50.0, 26.0, 14.0), 32.0, (40, 28, 24), (11.0, 9.5, 8.5, 7.5), (4.0, 6.0), 0.8))  # thumb
    return parts, 0.15


def photographer_mesh(position, right, down, forward) -> SolidMesh:
    """The photographer's phone and the hand holding it, placed by the camera's pose (its position and axes in world
    mm): behind the lens, so never in the frame, but they cast the soft shadow real photos show when the lamp is
    behind the photographer. (The head is left out: it would reach the height of low lamps and spread the shadow
    maps over a room.)"""
    parts = [_box((-20, -37, -9), (135, 37, -1)),  # the phone, lens 20 mm from one end, its body behind the lens
             _ellipsoid((150, 10, -25), (45, 40, 18), 10)]  # the hand holding its far end
    local = np.concatenate([p for p, _ in parts])
    axes = np.stack([right, down, forward]).astype(np.float64)  # rows: camera x, y, z in world coordinates
    normals = np.concatenate([n for _, n in parts]) @ axes
    pos = np.asarray(position, np.float64) + local @ axes
    return SolidMesh(pos.astype(np.float32), normals.astype(np.float32), (0.08, 0.07, 0.07), 0.1)


def occluder_mesh(occ: Occluder) -> SolidMesh:
    """World-space mesh of one occluder."""
    parts, gloss = _parts(occ.kind)
    pos = np.concatenate([p for p, _ in parts]) * occ.scale
    nrm = np.concatenate([n for _, n in parts])
    a = np.radians(occ.angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    pos = pos @ rot.T + np.array([occ.x_mm, occ.y_mm, occ.z_mm])
    return SolidMesh(pos.astype(np.float32), (nrm @ rot.T).astype(np.float32), occ.color, gloss,
                     translucency=0.35 if occ.kind == "hand" else 0.0)
