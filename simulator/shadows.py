"""Shadow-map matrices for the key lights and per-vertex ambient occlusion of the sheet.

Shadows: each shadow-casting light gets a depth map that just encloses the sheet and occluders (a bounding sphere);
directional lights use an orthographic map, point and spot lights a perspective one from the light's position.
Ambient occlusion: a crease valley or the cavity under a folded flap sees less of the sky. We estimate it from the
mesh's concavity: how far the average of a vertex's neighbours lies above it along its normal (a discrete mean
curvature), measured at the one-ring and, after smoothing, at a few rings' scale. Cheap, stable, no ray casting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .lighting import Light

SHADOW_MAP_PX = 2048


def shadow_mask_scale(width_px: int) -> int:
    """Frame pixels per shadow-mask texel: about 1 mm of a page filling the frame (8 at 2200 px wide, 5 at 1280, 4 at
    960-1199, less below), since soft shadows are smoother than light and their filter is costly per texel; the
    narrowest penumbra, a light's least softness of ~2 mm, still spans a few texels."""
    return max(1, min(8, width_px // 240))


def light_scale(width_px: int) -> int:
    """Frame pixels per texel of the lighting terms: about 0.5 mm of a page filling the frame, finer than the mesh
    that shapes the light (4 from 1920 px wide, 3 from 1440, 2 from 960, 1 below)."""
    return max(1, min(4, width_px // 480))


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """OpenGL view matrix (looking down -z) from ``eye`` toward ``target``."""
    f = target - eye
    f = f / np.linalg.norm(f)
    up = np.array([0.0, 1.0, 0.0]) if abs(f[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    s = np.cross(f, up)
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3] = s, u, -f
    m[:3, 3] = -m[:3, :3] @ eye
    return m


@dataclass(frozen=True)
class ShadowView:
    """A shadow map's camera, and what the shadow-mask shader needs to measure penumbrae in mm."""

    matrix: np.ndarray  # 4×4 world → light clip space
    ortho: bool  # directional light: orthographic map
    near: float  # mm from the light
    far: float
    half: float  # map half-width: mm (orthographic) or tan(half angle) (perspective)
    soft_mm: float  # least penumbra radius: the light's softness, at least 1.5 map texels


def light_view_proj(light: Light, centre: np.ndarray, radius: float) -> ShadowView:
    """The shadow map of ``light`` covering a sphere (``centre``, ``radius`` mm) of the scene's shadow casters."""
    if light.kind == "directional":
        eye = centre - light.direction() * 3.0 * radius
        n, f, half = radius, 5.0 * radius, radius
        proj = np.array([[1 / radius, 0, 0, 0], [0, 1 / radius, 0, 0],
                         [0, 0, -2 / (f - n), -(f + n) / (f - n)], [0, 0, 0, 1]])
    else:
        eye = np.asarray(light.position, dtype=np.float64)
        d = np.linalg.norm(centre - eye)
        angle = np.arcsin(min(radius / d, 0.99))
        n, f, half = max(d - 1.5 * radius, 1.0), d + 1.5 * radius, float(np.tan(angle))
        c = 1.0 / half
        proj = np.array([[c, 0, 0, 0], [0, c, 0, 0],
                         [0, 0, -(f + n) / (f - n), -2 * f * n / (f - n)], [0, 0, -1, 0]])
    soft = max(light.softness_mm, 1.5 * 2.0 * radius / SHADOW_MAP_PX)
    return ShadowView(proj @ look_at(eye, centre), light.kind == "directional", float(n), float(f), half, soft)


def _neighbour_mean(adj: sp.csr_matrix, deg: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (adj @ values) / deg[:, None] if values.ndim == 2 else (adj @ values) / deg


def vertex_ao(vertices: np.ndarray, faces: np.ndarray, normals: np.ndarray) -> np.ndarray:
    """(N,) float32 ambient visibility in [0.25, 1]: 1 on open or convex paper, lower in valleys and under flaps."""
    n = len(vertices)
    e = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    adj = sp.coo_matrix((np.ones(len(e) * 2), (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)).tocsr()
    adj.data[:] = 1.0  # duplicate edges summed above: back to a plain 0/1 adjacency
    deg = np.maximum(np.asarray(adj.sum(axis=1)).ravel(), 1.0)
    pos = vertices.astype(np.float64)
    edge = np.linalg.norm(pos[e[:, 0]] - pos[e[:, 1]], axis=1).mean()
    lap = _neighbour_mean(adj, deg, pos) - pos
    concave = np.clip(np.einsum("ij,ij->i", lap, normals) / edge, 0.0, None)  # ~cos(half the valley angle)
    broad = concave.copy()
    for _ in range(6):  # spread to a few rings: wide valleys and flap cavities darken, not only the crease line
        broad = _neighbour_mean(adj, deg, broad)
    occlusion = 0.9 * concave + 2.5 * broad
    return np.clip(1.0 - occlusion, 0.25, 1.0).astype(np.float32)
