"""A hand, a glove or a pen on the page: its outline and contact shadow are no trace, for either digitizer."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import wfdb

from digitize.ink import colour_maps
from digitize.layouts import parse_layout
from digitize.naive import digitize_naive
from digitize.pipeline import Calibration
from tests.test_digitize import FS, write_page

SKIN = (222, 170, 140)   # sRGB, light skin under white light
GLOVE = (60, 95, 190)    # a blue nitrile glove


def finger(rgb: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], colour: tuple[int, int, int]) -> None:
    """Paint a finger in place: a filled ellipse in ``colour`` with the dark outline a photo shows along its edge."""
    cv2.ellipse(rgb, centre, axes, 0, 0, 360, colour, -1, cv2.LINE_AA)
    cv2.ellipse(rgb, centre, axes, 0, 0, 360, (40, 30, 30), 2, cv2.LINE_AA)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[np.ndarray, wfdb.Record, dict]:
    """A clean 3x4+1 page (RGB), its truth record, and the truth JSON."""
    out = tmp_path_factory.mktemp("occluded")
    rgb = cv2.imread(str(write_page(out)))[:, :, ::-1].copy()
    return rgb, wfdb.rdrecord(str(out / "page")), json.loads((out / "page.json").read_text())


@pytest.mark.parametrize("colour", [SKIN, GLOVE])
def test_a_finger_and_its_outline_are_foreign_and_the_print_is_not(page, colour):
    rgb = page[0].copy()
    assert not colour_maps(rgb).foreign.any()    # grid, traces, labels and text are all print
    finger(rgb, (700, 700), (260, 45), colour)
    found = colour_maps(rgb).foreign
    inside = np.zeros(rgb.shape[:2], np.uint8)
    cv2.ellipse(inside, (700, 700), (262, 47), 0, 0, 360, 1, -1)
    assert found[inside > 0].mean() > 0.99       # the finger with its outline
    far = cv2.dilate(inside, np.ones((61, 61), np.uint8)) == 0
    assert not found[far].any()                  # nothing a few mm away from it


def test_a_shadow_on_the_page_is_not_foreign(page):
    """A shadow darkens the paper and the trace in it alike: the page's own colour, so its trace stays."""
    rgb = page[0].astype(np.float32)
    rgb[400:1100, 300:1200] *= 0.45
    assert not colour_maps(rgb.astype(np.uint8)).foreign.any()


def test_a_tinted_page_in_a_wide_white_margin_is_paper(page):
    """The paper's colour is read beside the trace, not from the brightest part of the image: a yellowed page
    scanned in the middle of a white bed is the paper, and the bed around it is what is foreign."""
    tinted = (page[0].astype(np.float32) * np.array([0.97, 0.86, 0.62])).astype(np.uint8)
    h, w = tinted.shape[:2]
    bed = np.full((2 * h, 2 * w, 3), 250, np.uint8)
    bed[h // 2: h // 2 + h, w // 2: w // 2 + w] = tinted
    found = colour_maps(bed).foreign
    assert found[h // 2 + 20: h // 2 + h - 20, w // 2 + 20: w // 2 + w - 20].mean() < 0.001


def test_the_naive_digitizer_does_not_trace_a_finger_s_outline(page):
    """A finger lies on lead I's row, its tip over the trace: the row is read on both sides of it, and under it
    bridged near the baseline, never along the finger's edge (the tracer had followed the outline up and down by
    over a millivolt in photos with a hand)."""
    rgb, truth, meta = page
    lead_i = next(lead for lead in meta["leads"] if lead["lead_name"] == "I")
    baseline = int(round(lead_i["baseline_y"]))
    x0 = int(round(lead_i["plotted_pixels"][0][1]))
    span = (x0 + 20, x0 + 280)                                    # the finger's extent along the row, px
    touched = rgb.copy()
    finger(touched, ((span[0] + span[1]) // 2, baseline - 100), ((span[1] - span[0]) // 2, 110), SKIN)
    assert colour_maps(touched).foreign[baseline - 100, span[0] + 130]
    result = digitize_naive(touched, parse_layout("3x4+1"), Calibration(fs=FS))
    est, ref = result.signals["I"], truth.p_signal[:, truth.sig_name.index("I")]
    quarter = len(ref) // 4
    x = np.asarray(lead_i["plotted_pixels"])[:quarter, 1]
    hidden = (x > span[0] - 15) & (x < span[1] + 15)
    err = est[:quarter] - ref[:quarter]
    err -= np.nanmedian(err[~hidden])
    assert np.isfinite(est[:quarter]).all()
    assert np.nanmax(np.abs(err[~hidden])) < 0.3                 # read as before on both sides of the finger
    assert np.nanmax(np.abs(est[:quarter][hidden])) < 1.2        # under it: near the trace, not up the finger

