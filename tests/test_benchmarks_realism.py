"""benchmarks/realism.py: image statistics of frames beside real pictures (grid darkness, paper, ink)."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
PTBXL = ROOT / "assets" / "records" / "ptbxl" / "00001_lr"


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "realism.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_a_heavier_grid_measures_darker_and_masks_are_not_counted_as_frames(tmp_path):
    for name, density in (("faint", "0.5"), ("heavy", "2.0")):
        assert main(["page", str(PTBXL), "-o", str(tmp_path / name), "--dpi", "100", "--grid-density", density]) == 0
    out = _run(tmp_path / "faint", tmp_path / "heavy", "--real", tmp_path / "faint")
    assert out.returncode == 0, out.stderr
    rows = {line.split("|")[1].strip(): line.split("|")[2:-1] for line in out.stdout.splitlines()[2:]}
    assert {k: int(v[0]) for k, v in rows.items()} == {"real: faint": 1, str(tmp_path / "faint"): 1,
                                                      str(tmp_path / "heavy"): 1}   # the page, not its masks
    faint, heavy = (float(rows[str(tmp_path / n)][1].split()[0]) for n in ("faint", "heavy"))
    assert 0 < faint < heavy
    paper = float(rows[str(tmp_path / "faint")][2].split()[0])
    assert paper > 0.95                                  # white paper


def test_a_folder_without_frames_is_one_line_and_exit_code_2(tmp_path):
    cv2.imwrite(str(tmp_path / "x_mask_trace.png"), np.zeros((4, 4), np.uint8))
    out = _run(tmp_path, "--real", tmp_path / "absent")
    assert out.returncode == 2 and out.stderr.strip() == f"error: {tmp_path}: no frame images there"


def test_an_unreadable_image_is_one_line_naming_it(tmp_path):
    (tmp_path / "frame_000000.jpg").write_bytes(b"not a jpeg")
    out = _run(tmp_path, "--real", tmp_path / "absent")
    assert out.returncode == 2 and out.stderr.strip() == f"error: {tmp_path / 'frame_000000.jpg'}: not an image"
