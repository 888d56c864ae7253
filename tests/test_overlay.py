"""``digitize run --overlay``: what was read, drawn on the photo as the digitizer read it (flattened, deskewed)."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest

from digitize.cli import main
from digitize.grid import rotate
from digitize.image_io import expand_inputs
from digitize.layouts import parse_layout
from digitize.naive import digitize_naive
from digitize.overlay import SIGNAL, draw_overlay
from digitize.pipeline import Calibration

from .test_dewarp import DPI, bend
from .test_digitize import FS, write_page


def on_ink(overlay: np.ndarray, image: np.ndarray) -> float:
    """Share of the drawn signal's pixels with the image's ink (a dark pixel) within 2 px."""
    drawn = np.all(np.abs(overlay.astype(int) - SIGNAL) < 60, axis=2) & np.any(overlay != image, axis=2)
    dark = cv2.dilate((image.min(axis=2) < 110).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return float(dark[drawn].mean())


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("overlay")
    return cv2.imread(str(write_page(out, dpi=DPI)))[:, :, ::-1].copy()


@pytest.mark.parametrize("how", ["bent", "turned"])
def test_the_signal_is_drawn_on_the_ink_of_the_page_as_read(page, how):
    """A photo bent by perspective and curl is flattened, a turned page deskewed: the view is the image those
    positions belong to, so the drawn signal lies on its ink (and not on the photo's own, which is elsewhere)."""
    photo = bend(page)[0] if how == "bent" else rotate(page, 4.0, border=(255, 255, 255))
    result = digitize_naive(photo, parse_layout("3x4+1"), Calibration(fs=FS), view=True)
    applied = result.detections["flattening"]["applied"]
    assert applied if how == "bent" else abs(result.detections["rotation_deg"]) > 3.5
    overlay = draw_overlay(result)
    assert overlay.shape == result.view.shape
    assert on_ink(overlay, result.view) > 0.9
    if result.view.shape == photo.shape:
        assert on_ink(overlay, photo) < 0.75


def test_the_cli_writes_the_overlay_and_never_reads_it_as_an_image(tmp_path, capsys):
    (tmp_path / "page").mkdir()
    out = tmp_path / "in"   # digitized beside the image: a later run over the folder must not take the overlay
    out.mkdir()
    image = out / "page.png"
    shutil.copyfile(write_page(tmp_path / "page"), image)
    assert main(["run", str(image), "--output", str(out), "--overlay"]) == 0
    overlay = cv2.imread(str(out / "page_overlay.jpg"))
    assert overlay.shape == cv2.imread(str(image)).shape
    assert expand_inputs([str(out)]) == [image]
    assert main(["run", str(image), "--output", str(out)]) == 0          # without --overlay: redone, not skipped
    assert "already done" not in capsys.readouterr().out
