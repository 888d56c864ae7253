"""Image statistics of our frames beside real photos and scans: is the printed grid as heavy, the paper as bright,
the trace as dark as in real pictures? (REALISM.md; judge presets against real images, not our own look.)

    python benchmarks/realism.py FRAMES_DIR [MORE_DIRS ...] [--real /work/shared/data/real-reference]

Per set: the grid's darkness over the paper (the colour detector's grid map with the ink taken out, mean over the
paper: what made our photos' grids measure fainter than real ones), the paper's brightness (median over the paper
of the mean channel) and the ink level (1st percentile of the image's brightness). Medians over a set's images, with
their range. A folder is searched recursively for frame images (`*.jpg`, and `*.png` that are not masks).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitize.ink import colour_maps, grid_lines  # noqa: E402

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real-reference"
STATS = ("grid darkness", "paper brightness", "ink level")


def image_stats(path: Path) -> tuple[float, float, float]:
    """(grid darkness over the paper, paper brightness, ink level) of one image, each in [0, 1]."""
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise ValueError(f"{path}: not an image")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    maps = colour_maps(rgb)
    lines = grid_lines(maps.grid, maps.ink)
    grey = rgb.mean(axis=2) / 255.0
    paper = maps.paper if maps.paper.any() else np.ones(grey.shape, bool)
    return float(lines[paper].mean()), float(np.median(grey[paper])), float(np.percentile(grey, 1))


def frame_images(folder: Path) -> list[Path]:
    """The frame images under ``folder``: JPEG and PNG files that are not masks (passes are .npy)."""
    found = [p for ext in ("*.jpg", "*.png") for p in folder.rglob(ext)]
    return sorted(p for p in found if "_mask_" not in p.name)


def summarise(name: str, images: list[Path]) -> str:
    stats = np.array([image_stats(p) for p in images])
    cells = [f"{np.median(stats[:, k]):.3f} ({stats[:, k].min():.3f}-{stats[:, k].max():.3f})"
             for k in range(len(STATS))]
    return f"| {name} | {len(images)} | " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of frames (e.g. a generate output)")
    parser.add_argument("--real", type=Path, default=REAL, help="real photos and scans to compare with")
    args = parser.parse_args(argv)
    rows = []
    for i, folder in enumerate([args.real, *args.folders]):
        images = frame_images(folder) if folder.is_dir() else []
        if not images:
            if i:
                print(f"error: {folder}: no frame images there", file=sys.stderr)
                return 2
            print(f"({folder}: not here, so no real images to compare with)")
            continue
        try:
            rows.append(summarise(str(folder) if i else "real: " + folder.name, images))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    print("| set | images | " + " | ".join(f"{s} (median, range)" for s in STATS) + " |")
    print("|---|---|" + "---|" * len(STATS))
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
