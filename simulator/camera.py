"""The camera: intrinsics, look-at pose and Brown–Conrady distortion, as one frozen dataclass and pure functions.

Two equivalent forms are built from the same numbers, once:
- OpenCV form: ``K`` and ``(R, t)`` with camera axes x right, y down, z forward; ``x_cam = R @ X_world + t``.
  ``K`` uses this project's image convention (:mod:`simulator.coords`: origin at the top-left *corner*, pixel centres
  at +0.5), so ``cx = width / 2`` for a centred principal point. OpenCV's own functions put centres on integers: pass
  them ``K`` with ``cx, cy`` reduced by 0.5 (see :func:`opencv_matrix`).
- OpenGL form: view and projection matrices for the rasteriser (camera looks down -z, y up), see :func:`gl_matrices`.

Orthographic cameras keep the framing of the perspective camera they replace: at the target distance one pixel covers
the same number of millimetres (``distance_mm / fx``), so switching projection does not change the scale at the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .errors import InputError
from .lens import lens_limit
from .params import choices, rng

GL_NEAR_MM = 5.0  # near clip plane of the rasteriser (everything closer is clipped)


@dataclass(frozen=True)
class Camera:
    """Pinhole (or orthographic) camera looking at ``target`` from ``distance_mm`` away."""

    width_px: int = field(default=1600, metadata=rng(16, 16384))
    height_px: int = field(default=1200, metadata=rng(16, 16384))
    projection: str = field(default="perspective", metadata=choices("perspective", "orthographic"))
    focal_mm: float = field(default=26.0, metadata=rng(0.0, 2000.0, lo_open=True))
    sensor_width_mm: float = field(default=36.0, metadata=rng(0.0, 200.0, lo_open=True))
    principal_dx_px: float = field(default=0.0, metadata=rng(-2000.0, 2000.0))  # principal point - image centre
    principal_dy_px: float = field(default=0.0, metadata=rng(-2000.0, 2000.0))
    target: tuple[float, float, float] = field(default=(139.7, 108.0, 0.0), metadata=rng(-5000.0, 5000.0))
    distance_mm: float = field(default=450.0, metadata=rng(0.0, 20000.0, lo_open=True))
    tilt_deg: float = field(default=0.0, metadata=rng(0.0, 85.0))  # angle from straight down; > 90 = below the table
    azimuth_deg: float = field(default=-90.0, metadata=rng(-360.0, 360.0))  # direction the camera leans toward
    roll_deg: float = field(default=0.0, metadata=rng(-180.0, 180.0))
    dist: tuple[float, float, float, float, float] = field(default=(0.0, 0.0, 0.0, 0.0, 0.0), metadata=rng(-1.0, 1.0))

    def check(self, name: str = "") -> None:
        """The target on or above the table (with ``tilt_deg`` ≤ 85° the camera is then above it too), and a lens
        that does not fold the image."""
        prefix = f"{name}." if name else ""
        if self.target[2] < 0.0:
            raise InputError(f"{prefix}target: {self.target[2]} mm is below the table (z must be ≥ 0)")
        lens_limit(self, name or "camera")  # refuses a distortion that folds inside the frame

    @property
    def fx(self) -> float:
        """Focal length in pixels (square pixels: fy = fx)."""
        return self.focal_mm / self.sensor_width_mm * self.width_px

    @property
    def cx(self) -> float:
        return self.width_px / 2.0 + self.principal_dx_px

    @property
    def cy(self) -> float:
        return self.height_px / 2.0 + self.principal_dy_px

    @property
    def ortho_px_per_mm(self) -> float:
        """Orthographic scale: pixels per millimetre (the perspective scale at the target)."""
        return self.fx / self.distance_mm

    def position(self) -> np.ndarray:
        """Camera centre in world mm."""
        return _position(self.target, self.distance_mm, self.tilt_deg, self.azimuth_deg)


def _position(target, distance_mm: float, tilt_deg: float, azimuth_deg: float) -> np.ndarray:
    """The centre of a camera ``distance_mm`` from ``target``, leaning ``tilt_deg`` toward ``azimuth_deg``."""
    tilt, az = np.radians(tilt_deg), np.radians(azimuth_deg)
    offset = np.array([np.sin(tilt) * np.cos(az), np.sin(tilt) * np.sin(az), np.cos(tilt)])
    return np.asarray(target, dtype=np.float64) + distance_mm * offset


def intrinsics_matrix(cam: Camera) -> np.ndarray:
    """3×3 ``K`` in this project's pixel convention (centres at +0.5)."""
    return np.array([[cam.fx, 0.0, cam.cx], [0.0, cam.fx, cam.cy], [0.0, 0.0, 1.0]])


def opencv_matrix(cam: Camera) -> np.ndarray:
    """``K`` for OpenCV functions, whose pixel centres sit on integers."""
    k = intrinsics_matrix(cam)
    k[0, 2] -= 0.5
    k[1, 2] -= 0.5
    return k


def extrinsics(cam: Camera) -> tuple[np.ndarray, np.ndarray]:
    """``(R, t)`` with ``x_cam = R @ X_world + t``; OpenCV axes (x right, y down, z forward).

    Looking straight down, image right is world +x and image down is world -y, so the page reads upright.
    Read-only arrays, cached by pose (each pass of a frame asks again: on a GPU that was a good part of a frame's
    Python).
    """
    return _extrinsics(tuple(float(v) for v in cam.target), float(cam.distance_mm), float(cam.tilt_deg),
                       float(cam.azimuth_deg), float(cam.roll_deg))


@lru_cache(maxsize=16)
def _extrinsics(target: tuple[float, ...], distance_mm: float, tilt_deg: float, azimuth_deg: float,
                roll_deg: float) -> tuple[np.ndarray, np.ndarray]:
    centre = _position(target, distance_mm, tilt_deg, azimuth_deg)
    z_c = np.asarray(target, dtype=np.float64) - centre
    z_c /= np.linalg.norm(z_c)
    up = np.array([0.0, 1.0, 0.0])  # world +y is the top of the page
    x_c = np.cross(z_c, up)
    x_c /= np.linalg.norm(x_c)
    y_c = np.cross(z_c, x_c)
    roll = np.radians(roll_deg)  # rotate the image axes about the optical axis
    x_r = np.cos(roll) * x_c + np.sin(roll) * y_c
    y_r = -np.sin(roll) * x_c + np.cos(roll) * y_c
    r = np.stack([x_r, y_r, z_c])
    t = -r @ centre
    r.setflags(write=False)
    t.setflags(write=False)
    return r, t


def camera_space(cam: Camera, world: np.ndarray) -> np.ndarray:
    """World points ``(..., 3)`` in OpenCV camera coordinates."""
    r, t = extrinsics(cam)
    return np.asarray(world, dtype=np.float64) @ r.T + t


def normalized_coords(cam: Camera, cam_pts: np.ndarray) -> np.ndarray:
    """Undistorted normalised image coordinates ``(..., 2)``: x/z for perspective, x/distance for orthographic."""
    if cam.projection == "orthographic":
        return cam_pts[..., :2] / cam.distance_mm
    with np.errstate(divide="ignore", invalid="ignore"):
        return cam_pts[..., :2] / cam_pts[..., 2:3]


def distort(cam: Camera, xy: np.ndarray) -> np.ndarray:
    """Brown–Conrady: distorted normalised coordinates of undistorted ones ``(..., 2)``."""
    k1, k2, p1, p2, k3 = cam.dist
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
    xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
    yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
    return np.stack([xd, yd], axis=-1)


def to_pixels(cam: Camera, xy: np.ndarray) -> np.ndarray:
    """Image pixels (centres at +0.5) of normalised coordinates."""
    return np.stack([cam.fx * xy[..., 0] + cam.cx, cam.fx * xy[..., 1] + cam.cy], axis=-1)


def project_points(cam: Camera, world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image pixels ``(K, 2)`` (x, y; with lens distortion) and camera depth ``z`` in mm ``(K,)`` of world points."""
    pts = camera_space(cam, world)
    return to_pixels(cam, distort(cam, normalized_coords(cam, pts))), pts[..., 2]


def far_plane(cam: Camera, scene_radius_mm: float) -> float:
    """A far clip plane that keeps the whole scene (sheet, table, occluders) in the depth range, with as much again
    to spare: the table is drawn deeper than it is (renderer._clip_push), and past the far plane it would vanish.
    (Depth precision is set by the near plane: a farther far plane costs none.)"""
    return 2.0 * (cam.distance_mm + 2.0 * scene_radius_mm + 100.0)


def gl_matrices(cam: Camera, far_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """(view, projection) 4×4 float32 matrices for OpenGL (column-vector convention, transpose before upload).

    view = diag(1, -1, -1, 1) · [R | t]: OpenCV camera axes → OpenGL eye axes (y up, looking down -z).
    projection maps eye coordinates to clip space so that NDC x = 2 u / W - 1 and NDC y = 1 - 2 v / H, where (u, v)
    are the pixel coordinates ``K`` gives (before distortion; the vertex shader applies the lens, :mod:`lens`).
    """
    r, t = extrinsics(cam)
    view = np.eye(4)
    view[:3, :3], view[:3, 3] = r, t
    view = np.diag([1.0, -1.0, -1.0, 1.0]) @ view
    w, h, n, f = cam.width_px, cam.height_px, GL_NEAR_MM, far_mm
    proj = np.zeros((4, 4))
    if cam.projection == "orthographic":
        s = cam.ortho_px_per_mm
        proj[0] = [2 * s / w, 0, 0, 2 * cam.cx / w - 1]  # u = s x_e + cx
        proj[1] = [0, 2 * s / h, 0, 1 - 2 * cam.cy / h]  # v = -s y_e + cy
        proj[2] = [0, 0, -2 / (f - n), -(f + n) / (f - n)]
        proj[3] = [0, 0, 0, 1]
    else:
        fx = cam.fx
        proj[0] = [2 * fx / w, 0, (w - 2 * cam.cx) / w, 0]  # u = fx x_e / -z_e + cx, w_clip = -z_e
        proj[1] = [0, 2 * fx / h, (2 * cam.cy - h) / h, 0]  # v = -fx y_e / -z_e + cy
        proj[2] = [0, 0, -(f + n) / (f - n), -2 * f * n / (f - n)]
        proj[3] = [0, 0, -1, 0]
    return view.astype(np.float32), proj.astype(np.float32)


def camera_record(cam: Camera) -> dict[str, list]:
    """K, R, t and distortion coefficients for the JSON sidecar (K in this project's pixel convention)."""
    r, t = extrinsics(cam)
    return {"K": intrinsics_matrix(cam).tolist(), "R": r.tolist(), "t": t.tolist(), "dist": list(cam.dist),
            "projection": cam.projection}
