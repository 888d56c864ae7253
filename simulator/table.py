"""The table top's mesh: a grid, fine where the camera sees it, without the cells the sheet certainly hides.

Fine where seen: the lens bends only vertices (:mod:`lens`), so seen cells must be small in the image; cells the lens
cannot show need no detail, so the grid runs from the seen part straight to the table's edges.

Without hidden cells: a CPU rasteriser shades the table under the sheet when it multisamples (Mesa's llvmpipe rejects
hidden fragments poorly then, ~0.1 s a frame at 2200 px), so cells inside the sheet's outline, with a margin, are left
out. Left out is exact: the sheet lies between the camera and the table, casts the table's shadows from the light's
side, and the table casts none. A point inside the projected outline (odd winding) is covered by the sheet, since the
outline is the border of a continuous image of the page.
"""

from __future__ import annotations

import cv2
import numpy as np

from .camera import Camera, camera_space, distort, normalized_coords, project_points, to_pixels
from .lens import has_distortion, lens_limit, lens_span

TABLE_Z_MM = -0.25  # the table top sits a hair below the paper so the flat sheet never z-fights with it
CELL_PX = 80.0  # the grid's cells where the camera sees them, in pixels at the target's distance
MAX_CELLS = 200  # per side
COVER_PX = 8  # pixel of the sheet-coverage mask, in image pixels
MARGIN_PX = 24  # kept cells reach this far under the sheet: the colour pass reads lighting texels a few px past it
STRAY_PX = 4.0
"""How far the lens may move a point inside a table cell in the frame from where the cell is drawn (straight between
its corners), and the table's depth with it: the renderer draws the table deeper by a pixel more than this many
pixels' depth change (:func:`depth_push`), so it never shows through the sheet lying a quarter millimetre above it."""


def grid_lines(cam: Camera, centre_xy: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray]:
    """Grid lines (x, y in mm): over the part of the table the lens can show (within :func:`lens.lens_limit`), about
    ``CELL_PX`` apart in the image, or closer where the lens would bend a cell in the frame by more than
    ``STRAY_PX`` (:func:`lens.lens_span`); then straight to the table's edges."""
    lo, hi = centre_xy - half, centre_xy + half
    edges = np.array([lo[0], hi[0]]), np.array([lo[1], hi[1]])
    finest = 2.0 * half / MAX_CELLS
    cell = max(CELL_PX * cam.distance_mm / cam.fx, finest)
    limit = lens_limit(cam)
    for _ in range(3):
        n = int(np.ceil(2.0 * half / cell))
        xs, ys = np.linspace(lo[0], hi[0], n + 1), np.linspace(lo[1], hi[1], n + 1)
        x, y = np.meshgrid(xs, ys)
        pts = camera_space(cam, np.stack([x, y, np.full_like(x, TABLE_Z_MM)], axis=-1))
        ray = normalized_coords(cam, pts)
        seen = (pts[..., 2] > 0) & (np.hypot(*np.moveaxis(ray, -1, 0)) <= limit)
        if not seen.any():
            return edges
        near = np.zeros(seen.shape, bool)
        near[seen] = near_frame(cam, to_pixels(cam, distort(cam, ray[seen])))
        if not has_distortion(cam) or not near.any() or cell <= finest:
            break
        longest, span = _longest_diagonal(ray, seen, near), lens_span(cam, ray[near], STRAY_PX)
        if longest <= span:
            break
        cell = max(0.95 * cell * span / longest, finest)
    rows, cols = np.nonzero(seen)
    # one more line each side, so every cell that reaches into the seen region is in the fine part
    fine_x = xs[max(cols.min() - 1, 0): cols.max() + 2]
    fine_y = ys[max(rows.min() - 1, 0): rows.max() + 2]
    return np.unique(np.r_[edges[0], fine_x]), np.unique(np.r_[edges[1], fine_y])


def near_frame(cam: Camera, xy: np.ndarray) -> np.ndarray:
    """(K,) bool: image points (K, 2) in the frame or within a quarter of its size around it, where a table cell
    reaching into the frame may have its corners."""
    size = np.array([cam.width_px, cam.height_px])
    return ((xy >= -0.25 * size) & (xy <= 1.25 * size)).all(axis=1)


def _longest_diagonal(ray: np.ndarray, seen: np.ndarray, near: np.ndarray) -> float:
    """The longest diagonal (normalised image coordinates), so the longest triangle edge, of the seen cells with a
    corner ``near`` the frame."""
    cells = seen[:-1, :-1] & seen[1:, 1:] & seen[:-1, 1:] & seen[1:, :-1]
    cells &= near[:-1, :-1] | near[1:, 1:] | near[:-1, 1:] | near[1:, :-1]
    diagonals = np.maximum(np.linalg.norm(ray[1:, 1:] - ray[:-1, :-1], axis=-1),
                           np.linalg.norm(ray[1:, :-1] - ray[:-1, 1:], axis=-1))
    return float(diagonals[cells].max()) if cells.any() else 0.0


def depth_push(cam: Camera, points: np.ndarray) -> tuple[float, float]:
    """How far the table must be drawn deeper, along its view rays, under the sheet's world ``points`` (K, 3): the
    change of its depth over ``STRAY_PX`` + 1 pixels there (in or near the frame), relative to the depth for a
    perspective camera (the factor minus one by which the eye distance grows), in millimetres for an orthographic
    one; and the table's greatest depth there (mm). The lens is included: the derivatives are taken through
    :func:`camera.project_points`."""
    on_table = np.column_stack([points[:, 0], points[:, 1], np.full(len(points), TABLE_Z_MM)])
    xy, z = project_points(cam, on_table)
    steps = [project_points(cam, on_table + shift) for shift in ([1.0, 0.0, 0.0], [0.0, 1.0, 0.0])]  # 1 mm
    jac = np.stack([s_xy - xy for s_xy, _ in steps], axis=-1)  # (K, 2, 2): pixels per mm of table x and y
    grad = np.stack([s_z - z for _, s_z in steps], axis=-1)  # (K, 2): depth per mm of table x and y
    ok = (z > 0) & np.isfinite(xy).all(axis=1) & (np.abs(np.linalg.det(jac)) > 1e-9) & near_frame(cam, xy)
    if not ok.any():
        return 0.0, 0.0
    per_px = np.linalg.solve(np.swapaxes(jac[ok], 1, 2), grad[ok][..., None])[..., 0]  # depth per pixel (u, v)
    change = (STRAY_PX + 1.0) * np.linalg.norm(per_px, axis=1)
    push = (change / z[ok]).max() if cam.projection == "perspective" else change.max()
    return float(push), float(z[ok].max())


def hidden_cells(cam: Camera, outline: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """(len(ys) - 1, len(xs) - 1) bool: cells whose whole image lies at least ``MARGIN_PX`` inside the sheet's
    projected ``outline`` (:meth:`Sheet.outline`). A cell is drawn as straight edges between its corners, so it lies
    within their bounding box."""
    hidden = np.zeros((len(ys) - 1, len(xs) - 1), bool)
    border, z = project_points(cam, outline)
    if (z <= 0).any():  # the outline crosses the camera's plane: nothing is certain
        return hidden
    h, w = -(-cam.height_px // COVER_PX), -(-cam.width_px // COVER_PX)
    cover = np.zeros((h, w), np.uint8)
    cv2.fillPoly(cover, [np.round(border / COVER_PX * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    r = int(np.ceil(MARGIN_PX / COVER_PX)) + 1  # +1: fillPoly also marks the outline's own partly covered pixels
    cover = cv2.erode(cover, np.ones((2 * r + 1, 2 * r + 1), np.uint8), borderValue=0)
    total = cv2.integral(cover)  # (h + 1, w + 1): covered mask pixels above and left of each corner
    x, y = np.meshgrid(xs, ys)
    corners, zc = project_points(cam, np.stack([x, y, np.full_like(x, TABLE_Z_MM)], axis=-1).reshape(-1, 3))
    corners = corners.reshape(*x.shape, 2) / COVER_PX
    in_front = (zc.reshape(x.shape) > 0)
    quad = np.stack([corners[:-1, :-1], corners[:-1, 1:], corners[1:, :-1], corners[1:, 1:]])
    lo = np.floor(quad.min(axis=0)).astype(int)
    hi = np.ceil(quad.max(axis=0)).astype(int)
    ok = (lo[..., 0] >= 0) & (lo[..., 1] >= 0) & (hi[..., 0] <= w) & (hi[..., 1] <= h)
    ok &= in_front[:-1, :-1] & in_front[:-1, 1:] & in_front[1:, :-1] & in_front[1:, 1:]
    x0, y0 = np.clip(lo[..., 0], 0, w), np.clip(lo[..., 1], 0, h)
    x1, y1 = np.clip(hi[..., 0], 0, w), np.clip(hi[..., 1], 0, h)
    covered = total[y1, x1] - total[y0, x1] - total[y1, x0] + total[y0, x0]
    hidden[ok] = covered[ok] == ((x1 - x0) * (y1 - y0))[ok]
    return hidden


def table_mesh(cam: Camera, outline: np.ndarray, centre_xy: np.ndarray, half: float,
               texture_mm: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(positions, normals, texture coordinates, faces) of the table top, facing up, counter-clockwise from +z."""
    xs, ys = grid_lines(cam, centre_xy, half)
    x, y = np.meshgrid(xs, ys)
    pos = np.column_stack([x.ravel(), y.ravel(), np.full(x.size, TABLE_Z_MM)])
    nx = len(xs)
    keep = ~hidden_cells(cam, outline, xs, ys)
    j, i = np.nonzero(keep)
    a = j * nx + i  # each kept cell's lower-left corner
    faces = np.column_stack([a, a + 1, a + nx, a + 1, a + nx + 1, a + nx]).reshape(-1, 3)
    return pos, np.tile([0.0, 0.0, 1.0], (len(pos), 1)), pos[:, :2] / texture_mm, faces
