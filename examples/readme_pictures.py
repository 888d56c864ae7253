"""Make the small example JPEGs in ``docs/renders/`` that the README shows: two frames per photo preset.

    python examples/readme_pictures.py [--out docs/renders]

Each picture is a frame exactly as ``generate`` draws it (preset YAML, seed), scaled to 960 px wide.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2

from simulator.atomic import write_image_atomic
from simulator.config import preset_scene
from simulator.errors import run_command
from simulator.frame import render_frame
from simulator.gl_context import create_context
from simulator.output import prepare_output_dir
from simulator.records import load_record
from simulator.renderer import Renderer

ROOT = Path(__file__).resolve().parent.parent
PICTURES = {"scanner": (1, 2), "phone_photo": (0, 1), "folded_letter": (0, 2), "crumpled": (3, 6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "renders"))
    args = parser.parse_args()
    out = prepare_output_dir(args.out)
    renderer = Renderer(create_context())
    record = load_record(ROOT / "assets" / "records" / "ptbxl" / "00001_lr")
    for preset, seeds in PICTURES.items():
        for seed in seeds:
            image = render_frame(preset_scene(preset, seed), record, renderer).image
            small = cv2.resize(image, (960, round(960 * image.shape[0] / image.shape[1])), interpolation=cv2.INTER_AREA)
            print(write_image_atomic(out / f"{preset}_{seed}.jpg", small, jpeg_quality=82))


if __name__ == "__main__":
    sys.exit(run_command(main))
