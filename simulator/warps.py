"""Curl, crease lines and wrinkles: displacements applied on top of the (possibly folded) sheet.

Crease lines are drawn on the flat paper (before any fold) in page coordinates, so the texture's crease marks land
exactly on the geometric crease and a later fold carries them with the paper. Curl and wrinkles are space warps in
world coordinates, so layers stacked by a fold move together and stay apart.
"""

from __future__ import annotations

import noise
import numpy as np
from scipy.ndimage import map_coordinates

from .deform import Crease, CreaseLines, Curl, Wrinkles
from .errors import InputError


def crease_profile(dist_mm: np.ndarray, width_mm: float) -> np.ndarray:
    """Height profile of a crease at unsigned distance ``dist_mm``: 1 on the line (a kink), decaying over the width."""
    return np.exp(-np.abs(dist_mm) / width_mm)


def curl(c: Curl, pos: np.ndarray, size_mm: tuple[float, float], name: str = "curl") -> np.ndarray:
    """Bend the sheet around a cylinder of ``radius_mm``: an edge strip curls up, or the whole page bows.

    InputError (naming ``name``) when part of the bent sheet stands at least the radius off the table on the
    cylinder's side (a fold's flaps opened to ~110° stand ~50 mm high): the bend would take it through the axis."""
    w, h = size_mm
    r = c.radius_mm
    if c.edge == "whole":
        along = 0 if c.axis == "y" else 1  # the world coordinate across the cylinder's axis
        start = (w if along == 0 else h) / 2.0
        s = pos[..., along] - start
        sign = -1.0 if c.arch else 1.0
    else:
        along = 0 if c.edge in ("left", "right") else 1
        extent = w if along == 0 else h
        # Page top is world y = h; a curl grows from the named edge inward over length_mm.
        high_edge = c.edge in ("right", "top")
        start = extent - c.length_mm if high_edge else c.length_mm
        s = pos[..., along] - start if high_edge else start - pos[..., along]
        s = np.maximum(s, 0.0)
        sign = 1.0
    phi = s / r
    z = pos[..., 2]
    radial = r - sign * z  # distance from the cylinder's axis
    through = (s != 0) & (radial <= 0)
    if through.any():
        raise InputError(f"{name}.radius_mm: {r:g} mm is less than the {float(np.abs(z[through]).max()):.0f} mm "
                         "that the sheet stands in the curl (a fold's flaps): it would bend them through its axis")
    out = pos.copy()
    offset = radial * np.sin(phi)
    if c.edge == "whole":
        out[..., along] = start + offset
    else:
        direction = 1.0 if high_edge else -1.0
        out[..., along] = np.where(s > 0, start + direction * offset, pos[..., along])
    out[..., 2] = sign * (r - radial * np.cos(phi))
    return out


def _clip_to_page(p: np.ndarray, d: np.ndarray, t0: float, t1: float, size_mm: tuple[float, float]) -> tuple:
    """Clip the segment ``p + t d``, t in [t0, t1], to the page rectangle (Liang–Barsky)."""
    for axis, extent in ((0, size_mm[0]), (1, size_mm[1])):
        if abs(d[axis]) < 1e-12:
            continue
        ta, tb = sorted(((0.0 - p[axis]) / d[axis], (extent - p[axis]) / d[axis]))
        t0, t1 = max(t0, ta), min(t1, tb)
    return p + t0 * d, p + t1 * d


def crease_lines(c: CreaseLines, pos: np.ndarray, page: np.ndarray, size_mm: tuple[float, float],
                 gen: np.random.Generator) -> tuple[np.ndarray, list[Crease]]:
    """Add ``count`` random straight ridges/valleys (page coordinates) to the flat sheet, along world z."""
    w, h = size_mm
    out = pos.copy()
    creases = []
    for _ in range(c.count):
        centre = gen.uniform([0.05 * w, 0.05 * h], [0.95 * w, 0.95 * h])
        # Hand folds run roughly square to the page edges; crumple creases run any way.
        if gen.uniform() < c.axis_bias:
            angle = gen.choice([0.0, 0.5 * np.pi]) + gen.normal(0.0, 0.12)
        else:
            angle = gen.uniform(0.0, np.pi)
        d = np.array([np.cos(angle), np.sin(angle)])
        half = 0.5 * c.length_mm * gen.uniform(0.5, 1.5)
        a, b = _clip_to_page(centre, d, -half, half, size_mm)
        depth = c.depth_mm * gen.uniform(0.3, 1.0)
        ridge = gen.uniform() < c.ridge_fraction
        length = float(np.linalg.norm(b - a))
        if length < 1.0:
            continue
        rel = page - a
        along = rel @ d
        across = rel @ np.array([-d[1], d[0]])
        beyond = np.maximum(np.maximum(-along, along - length), 0.0)
        taper = np.exp(-((beyond / c.width_mm) ** 2))
        out[..., 2] += (1.0 if ridge else -1.0) * depth * crease_profile(across, c.width_mm) * taper
        strength = c.strength * depth / max(c.depth_mm, 1e-9)
        creases.append(Crease(tuple(map(float, a)), tuple(map(float, b)), "ridge" if ridge else "valley", strength))
    return out, creases


def _noise_lattice(x: np.ndarray, y: np.ndarray, wr: Wrinkles, gen: np.random.Generator) -> np.ndarray:
    """Height at lattice points: fBm Perlin mixed with ridged simplex noise, roughly in [-1, 1]."""
    base = int(gen.integers(0, 256))
    ox, oy = gen.uniform(-200.0, 200.0, size=2)
    xs = x / wr.scale_mm + ox
    ys = y / wr.scale_mm + oy
    fbm = np.array([[noise.pnoise2(u, v, octaves=wr.octaves, base=base) for u in xs] for v in ys]) / 0.6
    if wr.ridged == 0.0:
        return fbm
    ridge = np.zeros_like(fbm)
    amp, total = 1.0, 0.0
    for octave in range(wr.octaves):
        f = 2.0 ** octave
        ridge += amp * np.array([[1.0 - abs(noise.snoise2(u * f, v * f, base=base + 1 + octave))
                                  for u in xs] for v in ys])
        total += amp
        amp *= 0.5
    ridge = 2.0 * ridge / total - 1.0
    return (1.0 - wr.ridged) * fbm + wr.ridged * ridge


def wrinkles(wr: Wrinkles, pos: np.ndarray, gen: np.random.Generator) -> np.ndarray:
    """Displace along world z by noise of world x, y, sampled on a coarse lattice and interpolated (bicubic)."""
    step = max(wr.scale_mm / 8.0, 2.0)
    lo = pos[..., :2].reshape(-1, 2).min(axis=0) - 2 * step
    hi = pos[..., :2].reshape(-1, 2).max(axis=0) + 2 * step
    x = np.arange(lo[0], hi[0] + step, step)
    y = np.arange(lo[1], hi[1] + step, step)
    grid = _noise_lattice(x, y, wr, gen)
    coords = np.stack([(pos[..., 1] - lo[1]) / step, (pos[..., 0] - lo[0]) / step])
    out = pos.copy()
    out[..., 2] += wr.amplitude_mm * map_coordinates(grid, coords.reshape(2, -1), order=3, mode="nearest").reshape(
        pos.shape[:2])
    return out
