"""Handwriting and pen marks: ink lands in the texture and its mask, deterministically, without touching the truth."""

from __future__ import annotations

import cv2
import numpy as np

from simulator.frame import render_frame
from simulator.ink import InkSpec
from simulator.layout import PageSpec
from simulator.records import load_record
from simulator.scene import Scene
from tests.conftest import RECORDS


def _frame(seed: int, ink: InkSpec):
    record = load_record(RECORDS / "ptbxl" / "00001_lr")
    return render_frame(Scene(page=PageSpec(dpi=100), ink=ink, seed=seed), record)


def test_ink_mask_marks_pen_coloured_pixels() -> None:
    plain = _frame(1, InkSpec())
    noted = _frame(1, InkSpec(notes=4, circles=2, pen="blue"))
    mask = noted.masks["ink"].astype(bool)
    assert mask.sum() > 500
    changed = np.abs(noted.image.astype(int) - plain.image.astype(int)).sum(axis=2) > 30
    rim = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert not (changed & ~rim).any()  # ink changes only pixels in its mask or its one-pixel anti-aliased rim
    blue = noted.image[mask].astype(int)
    assert (blue[:, 2] - blue[:, 0]).mean() > 20  # ballpoint blue
    assert plain.truth["leads"] == noted.truth["leads"]  # notes never move the trace truth


def test_ink_is_deterministic_per_seed() -> None:
    a = _frame(5, InkSpec(notes=3, circles=1))
    b = _frame(5, InkSpec(notes=3, circles=1))
    c = _frame(6, InkSpec(notes=3, circles=1))
    assert np.array_equal(a.image, b.image)
    assert not np.array_equal(a.image, c.image)
