"""Camera orbit: one record's sheet seen from a grid of camera tilts × azimuths, tiled into a contact sheet.

    python examples/camera_orbit.py [--record assets/records/ptbxl/00001_lr] [--output /tmp/orbit.png] [--frames DIR]

Every variant is rendered with one renderer (one GL context); each frame's JSON records its parameters under "sweep".
"""

from __future__ import annotations

from simulator.atomic import write_image_atomic
from simulator.config import preset_scene
from simulator.records import load_record
from simulator.sweep import contact_sheet, grid, render_sweep, with_values
from sweep_cli import parse_args, run

TILTS = [0, 20, 40]
AZIMUTHS = [-90, -30, 30, 90, 150, 210]


def main() -> None:
    args = parse_args(__doc__, "/tmp/orbit.png")

    base = preset_scene("phone_photo", args.seed)
    base = with_values(base, {  # the whole sheet in view, a mildly curled edge, nothing on top
        "camera.width_px": 640, "camera.height_px": 480, "camera.roll_deg": 0.0, "camera.distance_mm": 330.0,
        "sheet.deformations": [{"kind": "curl", "edge": "right", "radius_mm": 120.0, "length_mm": 50.0}],
        "background.occluders": [], "background.size_mm": 3000.0,  # steep views see 1 m past the sheet
        "page.dpi": 150})
    variants = grid(base, {"camera.tilt_deg": TILTS, "camera.azimuth_deg": AZIMUTHS})
    frames = render_sweep(variants, load_record(args.record, 0.0, 10.0), out_dir=args.frames, prefix="orbit")
    labels = [f"tilt {f.params['camera.tilt_deg']}  az {f.params['camera.azimuth_deg']}" for f in frames]
    write_image_atomic(args.output, contact_sheet([f.frame.image for f in frames], labels, columns=len(AZIMUTHS)))
    print(f"wrote {args.output} ({len(frames)} views)")


if __name__ == "__main__":
    run(main)
