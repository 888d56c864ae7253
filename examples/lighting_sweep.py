"""Lighting sweep: the key light circled around the sheet at two elevations and two intensities, as a contact sheet.

    python examples/lighting_sweep.py [--record assets/records/ptbxl/00001_lr] [--output /tmp/lighting.png] \
        [--frames DIR]
"""

from __future__ import annotations

import math

from simulator.atomic import write_image_atomic
from simulator.config import preset_scene
from simulator.records import load_record
from simulator.sweep import contact_sheet, grid, render_sweep, with_values
from sweep_cli import parse_args, run

AZIMUTHS_DEG = [0, 90, 180, 270]
ELEVATIONS_DEG = [25, 65]
INTENSITIES = [0.6, 1.2]
DISTANCE_MM = 1500.0


def key_light_positions(target: tuple[float, float, float]) -> list[tuple[float, float, float]]:
    """Points on a sphere around ``target``: each azimuth at each elevation above the table."""
    out = []
    for elev in ELEVATIONS_DEG:
        for az in AZIMUTHS_DEG:
            e, a = math.radians(elev), math.radians(az)
            out.append((round(target[0] + DISTANCE_MM * math.cos(e) * math.cos(a), 1),
                        round(target[1] + DISTANCE_MM * math.cos(e) * math.sin(a), 1),
                        round(DISTANCE_MM * math.sin(e), 1)))
    return out


def main() -> None:
    args = parse_args(__doc__, "/tmp/lighting.png")

    base = preset_scene("crumpled", args.seed)  # relief shows the light best
    base = with_values(base, {"camera.width_px": 640, "camera.height_px": 480, "camera.distance_mm": 420.0,
                              "camera.tilt_deg": 10.0, "background.occluders": [], "page.dpi": 150})
    target = base.lighting.lights[0].target
    variants = grid(base, {"lighting.lights.0.position": key_light_positions(target),
                           "lighting.lights.0.intensity": INTENSITIES})
    frames = render_sweep(variants, load_record(args.record, 0.0, 10.0), out_dir=args.frames, prefix="light")
    labels = []
    for k, f in enumerate(frames):
        light = k // len(INTENSITIES)
        labels.append(f"az {AZIMUTHS_DEG[light % len(AZIMUTHS_DEG)]} el {ELEVATIONS_DEG[light // len(AZIMUTHS_DEG)]}"
                      f" x{f.params['lighting.lights.0.intensity']}")
    write_image_atomic(args.output, contact_sheet([f.frame.image for f in frames], labels,
                                                  columns=len(AZIMUTHS_DEG) * len(INTENSITIES)))
    print(f"wrote {args.output} ({len(frames)} lightings)")


if __name__ == "__main__":
    run(main)
