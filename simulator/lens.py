"""Brown–Conrady lens distortion applied to the geometry: the vertex shader moves every vertex to where
:func:`camera.project_points` puts it, so the rasteriser draws the final image directly, every layer at once.

Between vertices the image is straight (a triangle stays a triangle): a straight line of length ``L`` pixels misses
the true curve by about ``L² |d''| / 8``, where ``d''`` is the distortion's second derivative in pixels. With the
default 1.5 mm sheet mesh, the ~80 px table grid and occluder grids of 10 mm, that is below 0.01 px on the sheet
and about 0.2 px on the table at the presets' strongest distortion. Ground-truth layers come from the same
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


def lens_uniforms(cam: Camera) -> dict:
    """The uniforms of ``lens.glsl`` for this camera (``u_lens_on`` 0 when it has no distortion)."""
    k1, k2, p1, p2, k3 = cam.dist
    limit = lens_limit(cam)
    return dict(u_lens_on=int(has_distortion(cam)), u_lens_k=(k1, k2, k3, limit * limit), u_lens_p=(p1, p2),
                u_lens_f=(cam.fx, cam.cx, cam.cy), u_lens_canvas=(float(cam.width_px), float(cam.height_px)),
                u_lens_far=float(_radial(cam, np.array(limit)) / limit))
