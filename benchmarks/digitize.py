"""Seconds per image for the naive digitizer with and without flattening, for the flattening alone, and for the
U-Net digitizer with its trace net alone and with the marks net beside it.

Run: ``python benchmarks/digitize.py [--count 3] [--presets clean phone_photo crumpled] [--seed 5]``. Generates
``--count`` frames per preset (simulated records) into a temporary folder, then times in this process, per preset:
``digitize_naive`` with ``--dewarp never`` and ``auto`` (the ratio is what flattening adds to reading a page) and
``flatten`` by itself on the colour maps; then ``--method unet`` as ``run`` loads it, with ``--marks-weights none``
and with the shipped marks net (the ratio is what the second net costs). For one core, run under ``taskset -c 0``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitize.cli import DEFAULT_MARKS_WEIGHTS, DEFAULT_WEIGHTS  # noqa: E402
from digitize.dewarp import flatten  # noqa: E402
from digitize.infer import UnetDigitizer  # noqa: E402
from digitize.ink import colour_maps, grid_lines  # noqa: E402
from digitize.layouts import parse_layout  # noqa: E402
from digitize.naive import digitize_naive  # noqa: E402
from digitize.pipeline import Calibration  # noqa: E402


def frames(folder: Path, preset: str, count: int, seed: int) -> list[tuple[np.ndarray, str, Calibration]]:
    """``count`` generated frames of ``preset``: (RGB image, layout name, calibration from its JSON)."""
    out = folder / preset
    subprocess.run([sys.executable, "-m", "simulator", "generate", "--output", str(out), "--count", str(count),
                    "--seed", str(seed), "--preset", preset, "--input", "synthetic"], cwd=ROOT, check=True,
                   capture_output=True)
    got = []
    for sidecar in sorted(out.glob("*/*.json")):
        truth = json.loads(sidecar.read_text())
        spec = truth["page_spec"]
        layout = spec["layout"] + (f"+{len(spec['rhythm_leads'])}" if spec["layout"] != "12x1" else "")
        leads = truth["leads"]
        fs = truth["sampling_frequency"]
        duration = (max(x["end_sample"] for x in leads) - min(x["start_sample"] for x in leads)) / fs
        rgb = cv2.cvtColor(cv2.imread(str(sidecar.parent / truth["image"])), cv2.COLOR_BGR2RGB)
        got.append((rgb, layout, Calibration(fs=fs, duration_s=duration, speed_mm_s=spec["speed_mm_s"],
                                             gain_mm_mv=spec["gain_mm_mv"])))
    return got


def seconds(fn, items: list) -> float:
    """Mean wall seconds of ``fn(item)`` over ``items``."""
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / max(1, len(items))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=["clean", "phone_photo", "crumpled"])
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        unet = {"trace": UnetDigitizer.load(DEFAULT_WEIGHTS),
                "both": UnetDigitizer.load(DEFAULT_WEIGHTS, marks_path=DEFAULT_MARKS_WEIGHTS)}
        print(f"{'preset':14s} {'px':>11s} {'never s':>8s} {'auto s':>8s} {'ratio':>6s} {'flatten s':>9s} flattened "
              f"{'unet s':>7s} {'+marks s':>8s} {'ratio':>6s}")
        for preset in args.presets:
            items = frames(Path(tmp), preset, args.count, args.seed)
            never = seconds(lambda f: digitize_naive(f[0], parse_layout(f[1]), f[2], dewarp="never"), items)
            auto = seconds(lambda f: digitize_naive(f[0], parse_layout(f[1]), f[2], dewarp="auto"), items)
            maps = [colour_maps(f[0]) for f in items]
            applied = sum(flatten(m.ink, grid_lines(m.grid, m.ink), m.grid).how.applied for m in maps)
            alone = seconds(lambda m: flatten(m.ink, grid_lines(m.grid, m.ink), m.grid), maps)
            nets = {k: seconds(lambda f, d=d: d.digitize(f[0], parse_layout(f[1]), f[2]), items)
                    for k, d in unet.items()}
            h, w = items[0][0].shape[:2]
            print(f"{preset:14s} {w:>5d}x{h:<5d} {never:8.2f} {auto:8.2f} {auto / never:6.2f} {alone:9.2f} "
                  f"{applied:>5d}/{len(items):<3d} {nets['trace']:7.2f} {nets['both']:8.2f} "
                  f"{nets['both'] / nets['trace']:6.2f}")


if __name__ == "__main__":
    main()
