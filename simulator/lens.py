"""Brown–Conrady lens distortion applied to rendered images, consistent with :func:`camera.project_points`.

The rasteriser draws an undistorted image of a slightly larger canvas (:func:`render_camera`); each output pixel then
takes its value from its undistorted source position (the distortion inverted by fixed-point iteration). A point that
projects to ``p`` undistorted lands at ``distort(p)`` in the output, exactly where :func:`camera.project_points` puts
it. Maps are computed on a coarse grid, upsampled (the distortion field is smooth) and cached per camera.
Ground-truth layers (masks, UV, depth, ids) are remapped with nearest filtering so every value is a real rendered one.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import cv2
import numpy as np

from .camera import Camera, distort

MAP_STEP_PX = 8  # coarse grid spacing of the remap field
UNDISTORT_ITERATIONS = 30
MARGIN_STEP_PX = 32  # the undistorted canvas grows in steps, so most frames reuse the renderer's framebuffers


def has_distortion(cam: Camera) -> bool:
    return any(c != 0.0 for c in cam.dist)


def undistort(cam: Camera, xy_d: np.ndarray) -> np.ndarray:
    """Undistorted normalised coordinates of distorted ones, by fixed-point iteration of :func:`camera.distort`."""
    xy = xy_d.copy()
    for _ in range(UNDISTORT_ITERATIONS):
        xy = xy + (xy_d - distort(cam, xy))
    return xy


def _source_px(cam: Camera, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Undistorted pixel position (…, 2) of output pixel coordinates u, v (continuous, centres at +0.5)."""
    xy_d = np.stack([(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fx], axis=-1)
    xy = undistort(cam, xy_d)
    return np.stack([xy[..., 0] * cam.fx + cam.cx, xy[..., 1] * cam.fx + cam.cy], axis=-1)


def source_margin(cam: Camera) -> int:
    """Pixels the undistorted canvas must extend past each image edge to cover every output pixel's source."""
    if not has_distortion(cam):
        return 0
    w, h = cam.width_px, cam.height_px
    s = np.linspace(0.0, 1.0, 129)
    border = np.concatenate([np.stack([s * w, 0 * s], 1), np.stack([s * w, 0 * s + h], 1),
                             np.stack([0 * s, s * h], 1), np.stack([0 * s + w, s * h], 1)])
    src = _source_px(cam, border[:, 0], border[:, 1])
    over = max(-src[:, 0].min(), -src[:, 1].min(), src[:, 0].max() - w, src[:, 1].max() - h, 0.0)
    return int(np.ceil((over + 2) / MARGIN_STEP_PX)) * MARGIN_STEP_PX  # steps: frames share framebuffer sizes


def render_camera(cam: Camera) -> tuple[Camera, int]:
    """(undistorted camera for the rasteriser, margin): same K, canvas grown by ``margin`` on every side."""
    m = source_margin(cam)
    width = cam.width_px + 2 * m
    return dataclasses.replace(cam, width_px=width, height_px=cam.height_px + 2 * m,
                               sensor_width_mm=cam.sensor_width_mm * width / cam.width_px,  # keeps fx in pixels
                               dist=(0.0, 0.0, 0.0, 0.0, 0.0)), m


@lru_cache(maxsize=2)
def _upsample_grid(w: int, h: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Coarse-grid coordinates of every output pixel index (for upsampling a field sampled every ``step`` px)."""
    gx = np.broadcast_to((np.arange(w, dtype=np.float32) / step)[None, :], (h, w))
    gy = np.broadcast_to((np.arange(h, dtype=np.float32) / step)[:, None], (h, w))
    return np.ascontiguousarray(gx), np.ascontiguousarray(gy)


@lru_cache(maxsize=2)
def remap_maps(cam: Camera) -> tuple[np.ndarray, np.ndarray] | None:
    """cv2.remap maps (float32, OpenCV integer-centre convention) into the margin-padded undistorted canvas."""
    if not has_distortion(cam):
        return None
    m = source_margin(cam)
    w, h = cam.width_px, cam.height_px
    nx, ny = (w - 1) // MAP_STEP_PX + 2, (h - 1) // MAP_STEP_PX + 2
    u = np.arange(nx, dtype=np.float64) * MAP_STEP_PX + 0.5  # coarse nodes at output pixel centres
    v = np.arange(ny, dtype=np.float64) * MAP_STEP_PX + 0.5
    src = _source_px(cam, *np.meshgrid(u, v)) + (m - 0.5)  # into the padded canvas, OpenCV centre convention
    coarse_x = src[..., 0].astype(np.float32)
    coarse_y = src[..., 1].astype(np.float32)
    gx, gy = _upsample_grid(w, h, MAP_STEP_PX)
    map_x = cv2.remap(coarse_x, gx, gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    map_y = cv2.remap(coarse_y, gx, gy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return map_x, map_y


@lru_cache(maxsize=2)
def _bottom_up_maps(cam: Camera) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`remap_maps` reading from an image stored bottom row first (as OpenGL reads it back)."""
    maps = remap_maps(cam)
    if maps is None:
        return None
    canvas_h = cam.height_px + 2 * source_margin(cam)
    return maps[0], np.float32(canvas_h - 1) - maps[1]


def apply_lens(cam: Camera, image: np.ndarray, nearest: bool, bottom_up: bool = False) -> np.ndarray:
    """Distort one undistorted layer rendered with :func:`render_camera` (linear for colour, nearest for GT).

    ``bottom_up``: ``image`` is in OpenGL's row order (bottom row first); the flip to image rows is folded into the
    same remap, so a read-back layer is touched once. Always returns a new array."""
    maps = _bottom_up_maps(cam) if bottom_up else remap_maps(cam)
    if maps is None:
        return cv2.flip(image, 0) if bottom_up else image.copy()
    interp = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    return cv2.remap(image, maps[0], maps[1], interp, borderMode=cv2.BORDER_REPLICATE)
