"""Hand-built 3D scenes for the renderer tests and benchmark: each part drawn from a seed, sized to any page.

These are fixtures, not presets: the presets users run are the YAML files in ``simulator/presets``. Tests use these
to place the sheet, camera and lights exactly where a check needs them (e.g. a scanner at the test page's dpi).
"""

from __future__ import annotations

import numpy as np

from simulator.background import Background
from simulator.camera import Camera
from simulator.errors import InputError
from simulator.lighting import Light, Lighting
from simulator.occluders import Occluder
from simulator.post import PostFX

def camera_preset(name: str, rng_: np.random.Generator, sheet_size_mm: tuple[float, float],
           image_size: tuple[int, int] = (1600, 1200), scan_dpi: float = 200.0) -> Camera:
    """Camera for a named preset (``scanner``, ``phone_photo``, ``folded_letter``, ``crumpled``), jittered by ``rng_``.

    ``scanner`` is orthographic, straight down, framing the page at ``scan_dpi`` (image size = page size) with up to
    1° of skew; the photo presets are handheld: 26 mm-equivalent lens, 0–35° tilt, a few degrees of roll, the sheet
    filling most of the frame, mild barrel or pincushion distortion.
    """
    w_mm, h_mm = sheet_size_mm
    centre = (w_mm / 2.0, h_mm / 2.0, 0.0)
    if name == "scanner":
        width_px, height_px = int(round(w_mm * scan_dpi / 25.4)), int(round(h_mm * scan_dpi / 25.4))
        distance, focal = 500.0, 50.0
        sensor = focal * width_px / (distance * scan_dpi / 25.4)  # so that fx / distance = pixels per mm
        return Camera(width_px=width_px, height_px=height_px, projection="orthographic", focal_mm=focal,
                      sensor_width_mm=sensor, target=centre, distance_mm=distance, tilt_deg=0.0,
                      roll_deg=float(rng_.uniform(-1.0, 1.0)))
    max_tilt = {"phone_photo": 35.0, "folded_letter": 25.0, "crumpled": 30.0}.get(name)
    if max_tilt is None:
        raise InputError(f"camera preset: {name!r} is not one of 'scanner', 'phone_photo', 'folded_letter', 'crumpled'")
    width_px, height_px = image_size
    focal, sensor = 26.0 * rng_.uniform(0.95, 1.1), 36.0
    fill = rng_.uniform(0.85, 1.05)  # fraction of the frame width the sheet spans
    hfov_ratio = sensor / focal  # image width / distance
    distance = max(w_mm / fill / hfov_ratio, h_mm / fill / hfov_ratio * width_px / height_px)
    target = (centre[0] + rng_.uniform(-0.04, 0.04) * w_mm, centre[1] + rng_.uniform(-0.04, 0.04) * h_mm, 0.0)
    k1 = rng_.uniform(-0.06, 0.04)
    return Camera(width_px=width_px, height_px=height_px, projection="perspective", focal_mm=float(focal),
                  sensor_width_mm=sensor, principal_dx_px=float(rng_.normal(0, 4)),
                  principal_dy_px=float(rng_.normal(0, 4)), target=tuple(float(v) for v in target),
                  distance_mm=float(distance), tilt_deg=float(rng_.uniform(0.0, max_tilt)),
                  azimuth_deg=float(rng_.uniform(-180.0, 180.0)), roll_deg=float(rng_.uniform(-6.0, 6.0)),
                  dist=(float(k1), float(-0.3 * k1 * rng_.uniform(0, 1)), 0.0, 0.0, 0.0))


def lighting_preset(name: str, rng_: np.random.Generator, centre: tuple[float, float]) -> Lighting:
    """Lighting for a named preset, jittered by ``rng_``; ``centre`` is the sheet centre in world mm."""
    cx, cy = centre
    target = (cx, cy, 0.0)
    if name == "scanner":  # a lamp bar under glass at 45° along the scan (as the preset): even, shadowless, no glare
        lamp = Light(kind="directional", position=(cx, cy - 800.0, 800.0), target=target, intensity=1.2,
                     color=(1.0, 1.0, 1.0), casts_shadow=False)
        return Lighting(lights=(lamp,),
                        ambient_color=(1.0, 1.0, 1.0), ambient_intensity=0.25, ao_strength=0.0)
    az = rng_.uniform(0, 2 * np.pi)
    elev = np.radians(rng_.uniform(25, 65))  # low sun shows relief: creases and curl cast soft shading
    dist = rng_.uniform(1200, 2500)
    key_pos = (float(cx + dist * np.cos(elev) * np.cos(az)), float(cy + dist * np.cos(elev) * np.sin(az)),
               float(dist * np.sin(elev)))
    warm = rng_.uniform(0.0, 1.0)
    key_color = (1.0, float(0.93 - 0.1 * warm), float(0.85 - 0.25 * warm))  # tungsten-ish ↔ neutral
    key = Light(kind="point", position=key_pos, target=target, color=key_color, intensity=float(rng_.uniform(0.8, 1.1)),
                softness_mm=float(rng_.uniform(1.0, 4.0)))
    fill_az = az + np.pi + rng_.uniform(-0.8, 0.8)
    fill = Light(kind="spot", position=(float(cx + 1500 * np.cos(fill_az)), float(cy + 1500 * np.sin(fill_az)), 1800.0),
                 target=target, color=(0.85, 0.92, 1.0), intensity=float(rng_.uniform(0.1, 0.3)), cone_deg=50.0,
                 casts_shadow=False)
    return Lighting(lights=(key, fill), ambient_color=(0.9, 0.94, 1.0),
                    ambient_intensity=float(rng_.uniform(0.2, 0.35)),
                    ao_strength=0.7 if name in ("folded_letter", "crumpled") else 0.5)


def background_preset(name: str, rng_: np.random.Generator, sheet_size: tuple[float, float]) -> Background:
    """Background for a named preset: scanner glass is plain white; photos get a random table and maybe occluders."""
    w, h = sheet_size
    if name == "scanner":
        return Background(table="plain", color=(0.85, 0.85, 0.85), seed=int(rng_.integers(2**31)), gloss=0.0)
    kind = str(rng_.choice(["wood", "laminate", "fabric", "plain"]))
    palette = {"wood": (0.45, 0.26, 0.12), "laminate": (0.55, 0.55, 0.52), "fabric": (0.15, 0.2, 0.3),
               "plain": (0.3, 0.3, 0.3)}
    color = tuple(float(c) for c in np.clip(np.array(palette[kind]) * rng_.uniform(0.7, 1.2, 3), 0, 1))
    occluders: list[Occluder] = []
    if rng_.random() < 0.5:
        occluders.append(Occluder(kind="pen", x_mm=float(rng_.uniform(0.6, 1.0) * w),
                                  y_mm=float(rng_.uniform(-0.1, 0.3) * h), angle_deg=float(rng_.uniform(0, 360)),
                                  color=(0.03, 0.05, 0.25)))
    if rng_.random() < 0.4:
        occluders.append(Occluder(kind="hand", x_mm=float(rng_.uniform(-0.2, 0.05) * w),
                                  y_mm=float(rng_.uniform(0.2, 0.8) * h), angle_deg=float(rng_.uniform(-30, 30)),
                                  z_mm=0.0, color=(0.62, 0.42, 0.32)))
    if name == "folded_letter" and rng_.random() < 0.5:
        occluders.append(Occluder(kind="clip", x_mm=w / 2, y_mm=h + 5.0, color=(0.6, 0.6, 0.62)))
    return Background(table=kind, color=color, seed=int(rng_.integers(2**31)), gloss=float(rng_.uniform(0.05, 0.4)),
                      occluders=tuple(occluders))


def post_preset(name: str, rng_: np.random.Generator) -> PostFX:
    """Post-processing for a named preset: scans are clean; phone photos get noise, vignetting, WB error, JPEG."""
    if name == "scanner":
        return PostFX(exposure_ev=0.0, tone="clip", jpeg_quality=int(rng_.integers(85, 98)))  # as the preset
    return PostFX(exposure_ev=float(rng_.uniform(-1.0, -0.3)), white_balance_k=float(rng_.uniform(4500, 7500)),
                  vignetting=float(rng_.uniform(0.1, 0.4)), dof_aperture_px=float(rng_.uniform(0.0, 3.0)),
                  motion_blur_px=float(rng_.choice([0.0, rng_.uniform(1.0, 3.0)], p=[0.7, 0.3])),
                  motion_angle_deg=float(rng_.uniform(0, 180)), shot_noise=float(rng_.uniform(0.0005, 0.003)),
                  read_noise=float(rng_.uniform(0.002, 0.008)), jpeg_quality=int(rng_.integers(60, 93)))


def uv_at(uv_layer: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(inside (K,), UV (inside.sum(), 2)): the UV layer read bilinearly between pixel centres at image points xy
    (K, 2) that lie at least 2 px inside the frame."""
    h, w = uv_layer.shape[:2]
    inside = (xy[:, 0] > 2) & (xy[:, 0] < w - 2) & (xy[:, 1] > 2) & (xy[:, 1] < h - 2)
    x, y = xy[inside, 0] - 0.5, xy[inside, 1] - 0.5
    i, j, a, b = y.astype(int), x.astype(int), (y % 1)[:, None], (x % 1)[:, None]
    uv = ((1 - a) * ((1 - b) * uv_layer[i, j] + b * uv_layer[i, j + 1])
          + a * ((1 - b) * uv_layer[i + 1, j] + b * uv_layer[i + 1, j + 1]))
    return inside, uv
