"""Make the small example JPEGs in ``docs/renders/`` that the README shows: two frames per photo preset.

    python examples/readme_pictures.py [--out docs/renders]

Each picture is a frame exactly as ``generate`` draws it (preset YAML, seed), scaled to 960 px wide.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from simulator.config import preset_scene
from simulator.frame import render_frame
from simulator.gl_context import create_context
from simulator.records import load_record
from simulator.renderer import Renderer

PICTURES = {"scanner": (1, 2), "phone_photo": (0, 1), "folded_letter": (0, 2), "crumpled": (3, 6)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/renders")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    renderer = Renderer(create_context())
    record = load_record("assets/records/ptbxl/00001_lr")
    for preset, seeds in PICTURES.items():
        for seed in seeds:
            frame = render_frame(preset_scene(preset, seed), record, renderer)
            image = frame.image[..., ::-1]
            small = cv2.resize(image, (960, round(960 * image.shape[0] / image.shape[1])), interpolation=cv2.INTER_AREA)
            cv2.imwrite(str(out / f"{preset}_{seed}.jpg"), small, [cv2.IMWRITE_JPEG_QUALITY, 82])
            print(out / f"{preset}_{seed}.jpg")


if __name__ == "__main__":
    main()
