"""Where each ECG sample lands in the final image, and whether it can be seen there.

``project_samples`` follows a sample exactly as the renderer drew it: page UV → world point on the deformed mesh
(``sheet.uv_to_world``, barycentric) → camera (same R, t, K) → Brown–Conrady distortion (the polynomial the vertex
shader applies, :mod:`lens`). A sample is ``visible`` when
1. it lands inside the image, in front of the camera;
2. nothing is nearer the camera at its pixel: its camera depth is at most the rendered depth there plus ``tol_mm``
   (catches occluders and sheet layers well above it);
3. if the pixel shows the sheet, it shows *this part* of its *printed side*: the rendered UV at the pixel lies within
   a few pixel footprints of the sample's UV on the page, and the pixel is not the blank back. This catches a flap
   folded flat on top, where depth alone cannot tell two layers a paper's thickness apart, and a flap whose print
   faces the table;
4. if the pixel shows something else (the sample lies on the sheet's silhouette, and the pixel's centre just misses
   the sheet), a neighbouring pixel shows this part of the printed side, and the printed side faces the camera
   there: seen from behind, the sheet's edge shows its blank back, and beyond a fold's rim its print is not drawn.
It reads the ``depth``, ``uv`` and ``object`` layers of the same render.
"""

from __future__ import annotations

import numpy as np

from .camera import Camera, project_points

SHEET_FRONT, SHEET_BACK = 2, 4  # the renderer's object ids of the sheet's printed side and its blank back


def project_samples(sheet, camera: Camera, uv_samples: np.ndarray, layers: dict[str, np.ndarray],
                    page_size_mm: tuple[float, float], tol_mm: float = 1.0,
                    tol_footprints: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
    """(xy (K, 2) image px with centres at +0.5, NaN for NaN samples; visible (K,) bool) of page UVs (K, 2)."""
    uv = np.asarray(uv_samples, dtype=np.float64)
    world = sheet.uv_to_world(uv)
    xy, z = project_points(camera, world)
    finite = np.isfinite(xy).all(axis=1) & np.isfinite(z)
    xy[~finite] = np.nan
    h, w = layers["depth"].shape
    inside = finite & (z > 0)
    inside[finite] &= (xy[finite, 0] >= 0) & (xy[finite, 0] < w) & (xy[finite, 1] >= 0) & (xy[finite, 1] < h)
    visible = np.zeros(len(uv), dtype=bool)
    idx = np.flatnonzero(inside)
    if idx.size == 0:
        return xy, visible
    col = np.minimum(xy[idx, 0].astype(np.int64), w - 1)
    row = np.minimum(xy[idx, 1].astype(np.int64), h - 1)
    depth = layers["depth"][row, col]
    unobstructed = (depth <= 0) | (z[idx] <= depth + tol_mm)
    obj = layers["object"][row, col]
    on_sheet = (obj == SHEET_FRONT) | (obj == SHEET_BACK)
    # page distance (mm) between the sample and what the pixel shows, against the pixel's footprint on the page
    shown = layers["uv"][row, col].astype(np.float64)
    page_dist = np.linalg.norm((shown - uv[idx]) * np.asarray(page_size_mm), axis=1)
    footprint = z[idx] / camera.fx if camera.projection == "perspective" else 1.0 / camera.ortho_px_per_mm
    footprint = np.broadcast_to(footprint, idx.shape)
    reach = tol_footprints * footprint + 0.25  # page mm within which a pixel shows "this part" of the page
    visible[idx] = unobstructed & (~on_sheet | ((page_dist <= reach) & (obj == SHEET_FRONT)))
    edge = visible[idx] & ~on_sheet
    if edge.any():
        beside = _printed_beside(layers, row[edge], col[edge], uv[idx[edge]], reach[edge] + 1.5 * footprint[edge],
                                 page_size_mm)
        facing = _faces_camera(sheet, camera, uv[idx[edge]], world[idx[edge]])
        visible[idx[edge]] = beside & facing
    return xy, visible


def _printed_beside(layers: dict[str, np.ndarray], row: np.ndarray, col: np.ndarray, uv: np.ndarray,
                    reach_mm: np.ndarray, page_size_mm: tuple[float, float]) -> np.ndarray:
    """(K,) whether a pixel of the 3×3 block around (row, col) shows the printed side within ``reach_mm`` of ``uv``."""
    h, w = layers["object"].shape
    found = np.zeros(len(row), bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            r, c = np.clip(row + dy, 0, h - 1), np.clip(col + dx, 0, w - 1)
            dist = np.linalg.norm((layers["uv"][r, c].astype(np.float64) - uv) * np.asarray(page_size_mm), axis=1)
            found |= (layers["object"][r, c] == SHEET_FRONT) & (dist <= reach_mm)
    return found


def _faces_camera(sheet, camera: Camera, uv: np.ndarray, world: np.ndarray) -> np.ndarray:
    """(K,) whether the printed side of the sheet faces the camera at page UVs ``uv`` (world points ``world``): its
    normal, from the mesh 0.05 mm either side along the page's axes, against the direction to the camera."""
    step = 0.05 / np.array([sheet.width_mm, sheet.height_mm])
    along_u = sheet.uv_to_world(uv + [step[0], 0.0]) - sheet.uv_to_world(uv - [step[0], 0.0])
    along_v = sheet.uv_to_world(uv + [0.0, step[1]]) - sheet.uv_to_world(uv - [0.0, step[1]])
    front = np.cross(along_v, along_u)  # v runs down the page: (v × u) is +z on a flat sheet, the printed side up
    toward = camera.position() - (world if camera.projection == "perspective" else np.asarray(camera.target))
    return (front * toward).sum(axis=1) > 0.0


def bounding_box(xy: np.ndarray) -> list[float] | None:
    """[x0, y0, x1, y1] of the finite points of ``xy`` (image px), or None when there are none."""
    pts = xy[np.isfinite(xy).all(axis=1)]
    if len(pts) == 0:
        return None
    return [float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())]
