"""Brown–Conrady lens distortion applied to the geometry: the vertex shader moves every vertex to where
:func:`camera.project_points` puts it, so the rasteriser draws the final image directly, every layer at once.

Between vertices the image is straight (a triangle stays a triangle): a straight line of length ``L`` pixels misses
the true curve by about ``L² |d''| / 8``, where ``d''`` is the distortion's second derivative in pixels. The sheet's
cells are small (the simplifier merges them only within 0.05 px, :func:`lens_span`), occluders are meshed in 10 mm
grids, and the table's grid is refined until its cells in the frame stray by at most ``table.STRAY_PX``, the table
then drawn deeper by more than that so it never shows through the sheet. Ground-truth layers come from the same
rasterisation as the colour, so they agree with the image exactly.

The polynomial holds only over the part of the field it was fitted to: far outside the frame it folds back (barrel
distortion pulls distant points toward the centre again). So the exact model is applied up to a radius past the
frame's corners, :func:`lens_limit`, and beyond it (and behind the camera) points are scaled radially by the factor at
that radius, which is linear and so keeps clipped triangles right. A distortion that folds inside the frame is refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError

if TYPE_CHECKING:  # camera.py validates its distortion with lens_limit
    from .camera import Camera

CORNER_MARGIN = 1.25  # the exact model reaches this far past the frame's farthest corner (distorted radius)


def has_distortion(cam: Camera) -> bool:
    return any(c != 0.0 for c in cam.dist)


def _radial(cam: Camera, r: np.ndarray) -> np.ndarray:
    """The radial part of the distortion: distorted radius of undistorted normalised radius ``r``."""
    k1, k2, _, _, k3 = cam.dist
    r2 = r * r
    return r * (1.0 + r2 * (k1 + r2 * (k2 + r2 * k3)))


def lens_limit(cam: Camera, name: str = "camera") -> float:
    """Undistorted normalised radius up to which the distortion is applied exactly: where the distorted radius reaches
    ``CORNER_MARGIN`` times the frame's farthest corner, or where the radial map stops growing if that comes first.
    Raises :class:`InputError` when the map folds back before covering the frame (the coefficients describe no lens
    for this field of view)."""
    corners = np.array([[0.0, 0.0], [cam.width_px, 0.0], [0.0, cam.height_px], [cam.width_px, cam.height_px]])
    corner = float(np.max(np.hypot(corners[:, 0] - cam.cx, corners[:, 1] - cam.cy)) / cam.fx)
    if not has_distortion(cam):
        return CORNER_MARGIN * corner
    r = np.linspace(0.0, 8.0 * corner, 8001)
    g = _radial(cam, r)
    growing = np.diff(g) > 0
    fold = int(np.argmin(growing)) if not growing.all() else len(growing)  # first step where g stops growing
    reach = np.nonzero(g[: fold + 1] >= CORNER_MARGIN * corner)[0]
    if len(reach):
        return float(r[reach[0]])
    if g[fold] >= 1.02 * corner:  # grows just past the corners: exact up to the fold
        return float(r[fold])
    raise InputError(f"{name}.dist: {list(cam.dist)} folds the image back on itself inside the frame (the distorted "
                     f"radius peaks at {g[fold]:.3f} but the corners are at {corner:.3f}, in focal lengths)")


def lens_span(camera: Camera, ray: np.ndarray, tol_px: float) -> float:
    """The longest triangle edge (normalised image coordinates), over the part of the image that the undistorted
    rays ``ray`` (K, 2) span, that the lens cannot bend by more than ``tol_px``. The drawn point is the linear
    interpolation of the distortion D over the triangle (in perspective-corrected weights), which misses D by at
    most half its largest second derivative times the squared radius of the triangle's smallest enclosing circle
    (Waldron 1998), a radius at most the longest edge over √3: √2 κ L² / 6 for both components together, κ bounding
    |D_xx| + |D_xy| + |D_yy| (pixels per normalised unit squared), measured numerically."""
    from .camera import distort, to_pixels  # camera.py imports this module

    if not has_distortion(camera):
        return np.inf
    lo, hi = ray.min(axis=0), ray.max(axis=0)
    h = 1e-3 * max(float((hi - lo).max()), 1e-6)
    x, y = np.meshgrid(np.linspace(lo[0], hi[0], 24), np.linspace(lo[1], hi[1], 24))
    image = lambda dx, dy: to_pixels(camera, distort(camera, np.stack([x + dx, y + dy], axis=-1)))  # noqa: E731
    centre = image(0, 0)
    d_xx = (image(h, 0) - 2 * centre + image(-h, 0)) / h**2
    d_yy = (image(0, h) - 2 * centre + image(0, -h)) / h**2
    d_xy = (image(h, h) - image(h, -h) - image(-h, h) + image(-h, -h)) / (4 * h**2)
    kappa = float((np.abs(d_xx) + np.abs(d_xy) + np.abs(d_yy)).max())
    return float(np.sqrt(6 * tol_px / (np.sqrt(2) * kappa))) if kappa > 0 else np.inf


def lens_uniforms(cam: Camera) -> dict:
    """The uniforms of ``lens.glsl`` for this camera (``u_lens_on`` 0 when it has no distortion)."""
    k1, k2, p1, p2, k3 = cam.dist
    limit = lens_limit(cam)
    return dict(u_lens_on=int(has_distortion(cam)), u_lens_k=(k1, k2, k3, limit * limit), u_lens_p=(p1, p2),
                u_lens_f=(cam.fx, cam.cx, cam.cy), u_lens_canvas=(float(cam.width_px), float(cam.height_px)),
                u_lens_far=float(_radial(cam, np.array(limit)) / limit))
