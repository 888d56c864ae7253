"""Seconds per flat page and peak memory: 12 leads × 10 s @ 500 Hz, 3x4+1, Letter, 200 dpi, all ground truth written.

Run: ``python benchmarks/page.py [--pages N]``. Prints the split (plan, raster, truth JSON, files) and the total;
for one core, run under ``taskset -c 0``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from simulator.frame import render_frame, write_frame
from simulator.layout import PageSpec, plan_page
from simulator.page import render_page
from simulator.records import Record
from simulator.scene import Scene
from simulator.truth import page_truth


def synthetic_record(i: int) -> Record:
    """12 leads × 10 s at 500 Hz of ECG-like signal (a sum of sharp and slow bumps), so ink is realistic; each page
    ``i`` gets its own heart rate and amplitudes, so no cache sees the same trace twice."""
    t = np.arange(5000) / 500
    beat = np.mod(t, 0.6 + 0.037 * (i % 11))
    qrs = 1.2 * np.exp(-((beat - 0.3) / 0.012) ** 2) - 0.3 * np.exp(-((beat - 0.33) / 0.01) ** 2)
    twave = 0.3 * np.exp(-((beat - 0.55) / 0.05) ** 2)
    base = qrs + twave
    sig = np.stack([base * (0.5 + 0.1 * k + 0.013 * i) * (-1 if k == 3 else 1) for k in range(12)], axis=1)
    names = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
    return Record(name="bench", fs=500.0, signals=sig, lead_names=names, path=Path("bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    records = [synthetic_record(i) for i in range(args.pages)]
    scene = Scene(page=PageSpec(layout="3x4", rhythm_leads=("II",), dpi=200))
    parts = {"plan": 0.0, "raster": 0.0, "truth": 0.0}
    for i in range(2):  # warm-up: imports, font loading
        render_frame(scene, synthetic_record(1000 + i))
    for record in records:
        t0 = time.perf_counter()
        layout = plan_page(record, scene.page)
        t1 = time.perf_counter()
        page = render_page(layout)
        t2 = time.perf_counter()
        page_truth(layout, page)
        t3 = time.perf_counter()
        parts["plan"] += t1 - t0
        parts["raster"] += t2 - t1
        parts["truth"] += t3 - t2
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        for i, record in enumerate(records):
            write_frame(Path(tmp), f"p{i}", render_frame(scene, record))
        total = (time.perf_counter() - t0) / args.pages
    n = args.pages
    print(f"pages: {n}  (12 leads x 10 s @ 500 Hz, 3x4+1, letter, 200 dpi, 2200x1700)")
    for name, secs in parts.items():
        print(f"  {name:7s} {secs / n:.4f} s/page")
    print(f"  files   {total - sum(parts.values()) / n:.4f} s/page (PNG, masks, JSON, WFDB, atomic)")
    print(f"total: {total:.4f} s/page end to end   ({1.28 / total:.1f}x faster than ECG-Image-Kit's 1.28 s plain page)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
