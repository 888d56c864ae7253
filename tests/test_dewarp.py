"""Flattening a bent page from its grid (digitize/dewarp.py): where each pixel lies on the paper, and what that does
for the digitizer. The bends are known maps applied to a rendered flat page, so the truth is exact and no GL is
needed; the rendered photos' accuracy is in docs/digitize.md."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
import wfdb

from digitize.dewarp import (BENT_MM, MAJOR_MM, _drop_off_scale, _lock_to_lines, _reduce_basis, _tile_acfs,
                             flatten, measure_page, page_coordinates)
from digitize.infer import UnetDigitizer
from digitize.ink import colour_maps, grid_lines
from digitize.layouts import LEAD_NAMES, parse_layout
from digitize.model import UNet
from digitize.naive import digitize_naive
from digitize.pipeline import Calibration

from eval.challenge2024 import score_lead

from .test_digitize import FS, write_page

DPI = 150
PX_PER_MM = DPI / 25.4


def bend(rgb: np.ndarray, keystone: float = 0.12, curl_px: float = 45.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The page as a photo of it bent: keystone perspective (the far edge narrower) and a sheet curled along its
    width (rows arch). Returns the photo and, for each of its pixels, the page px it shows (x, y)."""
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    u, v = x / w - 0.5, y / h - 0.5
    src_x = (x - w / 2) * (1.0 + keystone * (0.5 - v)) + w / 2
    src_y = y + curl_px * np.cos(np.pi * u) - curl_px * 0.5 + 0.03 * h * u * v
    photo = cv2.remap(rgb, src_x, src_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(90, 80, 70))
    return photo, src_x, src_y


def challenge_snr(truth: np.ndarray, signals: dict[str, np.ndarray]) -> float:
    """The Challenge 2024 score (aligned per lead, mean over leads) of digitized ``signals`` against ``truth``."""
    return float(np.mean([score_lead(lead, truth[:, j], signals[lead], FS).snr for j, lead in enumerate(LEAD_NAMES)]))


def page_error_mm(coords, shape: tuple[int, ...], page_px) -> np.ndarray:
    """Distances (mm) between where ``coords`` puts points of the grid's area (every 9 px of an image of ``shape``)
    on the page and where they are: ``page_px(x, y)`` gives their true page px. The origin is arbitrary."""
    h, w = shape[:2]
    y, x = np.mgrid[int(0.15 * h): int(0.85 * h): 9, int(0.1 * w): int(0.9 * w): 9]
    u, v = coords.at(x.ravel().astype(float), y.ravel().astype(float))
    true_x, true_y = page_px(x, y)
    err_u, err_v = u - true_x.ravel() / PX_PER_MM, v - true_y.ravel() / PX_PER_MM
    return np.hypot(err_u - np.median(err_u), err_v - np.median(err_v))


@pytest.fixture(scope="module")
def bent(tmp_path_factory):
    out = tmp_path_factory.mktemp("bent")
    rgb = cv2.imread(str(write_page(out, dpi=DPI)))[:, :, ::-1].copy()
    photo, src_x, src_y = bend(rgb)
    return rgb, photo, src_x, src_y, wfdb.rdrecord(str(out / "page")).p_signal


def test_page_coordinates_follow_a_known_bend_to_a_tenth_of_a_millimetre(bent):
    _, photo, src_x, src_y, _ = bent
    maps = colour_maps(photo)
    coords = page_coordinates(grid_lines(maps.grid, maps.ink))
    assert coords.px_per_mm == pytest.approx(PX_PER_MM, rel=0.12)
    err = page_error_mm(coords, photo.shape, lambda x, y: (src_x[y, x], src_y[y, x]))
    assert np.percentile(err, 50) < 0.05 and np.percentile(err, 95) < 0.1   # measured 0.02 and 0.06


def test_a_page_photographed_at_a_slant_is_followed_along_both_axes(bent):
    """Squashed to 0.76 of its height (a photo tilted by ~40°), the page's 5 mm steps along y are 24 % shorter than
    along x. Judged against one median for both axes, every y step was dropped as off scale and the page was left
    unflattened (0.2 % of the tiles reliable); each axis is now judged on its own."""
    rgb = bent[0]
    h, w = rgb.shape[:2]
    squash = 0.76
    photo = cv2.resize(rgb, (w, round(h * squash)), interpolation=cv2.INTER_AREA)
    maps = colour_maps(photo)
    coords = page_coordinates(grid_lines(maps.grid, maps.ink))
    assert coords.reliable_fraction > 0.6, coords.reliable_fraction   # measured 0.83
    err = page_error_mm(coords, photo.shape, lambda x, y: (x + 0.5, (y + 0.5) / squash))
    assert np.percentile(err, 95) < 0.25, np.percentile(err, [50, 95])   # measured 0.05 and 0.13


def test_a_diagonal_step_is_reduced_to_the_grid_side_it_stands_for():
    """A grid of lines correlates as well one cell along its diagonal as along a side, and foreshortened the diagonal
    falls within the cone about an image axis: whole regions of a close-up photo took it for the page's x (or y)
    step, and the page came out sheared a cell per cell (44 mm off at the median). A picked step is replaced by
    itself less the other step where that is clearly shorter and as strongly correlated."""
    sx, sy = 14.0, 10.5                               # 5 mm along x and y at the working scale (y foreshortened)
    y, x = np.mgrid[0:200, 0:200].astype(np.float32)
    off_x, off_y = x % sx, y % sy
    lines = (np.minimum(off_x, sx - off_x) < 1.0) | (np.minimum(off_y, sy - off_y) < 1.0)
    acfs, r = _tile_acfs(cv2.GaussianBlur(lines.astype(np.float32), (0, 0), 0.8), 12.0)
    ny, nx = acfs.shape[:2]
    side_x, side_y = np.broadcast_to([0.0, sx], (ny, nx, 2)), np.broadcast_to([sy, 0.0], (ny, nx, 2))
    diagonal = side_x + side_y                       # (dy, dx)
    along_x, along_y = _reduce_basis(diagonal, side_y, acfs, r, 12.0)
    assert np.allclose(along_x, side_x) and np.allclose(along_y, side_y)
    along_x, along_y = _reduce_basis(side_x, side_x - side_y, acfs, r, 12.0)   # a y step picked as the other one
    assert np.allclose(along_x, side_x) and np.allclose(along_y, -side_y)
    along_x, along_y = _reduce_basis(side_x, side_y, acfs, r, 12.0)   # a reduced pair is left alone
    assert np.allclose(along_x, side_x) and np.allclose(along_y, side_y)


def test_a_grid_as_dark_as_the_trace_is_followed_on_the_whole_grid_map(tmp_path):
    """A heavy black-and-white grid is in the ink, so taking the ink out of the grid map takes most of its lines:
    measured on what is left, under a third of the bent page was followed and the rest continued straight (4.7 mm
    off at the median). The whole grid map, traces included, follows most of it, and is used."""
    rgb = cv2.imread(str(write_page(tmp_path, dpi=DPI, grid="bw", grid_density=2.0)))[:, :, ::-1].copy()
    photo, src_x, src_y = bend(rgb)
    maps = colour_maps(photo)
    lines = grid_lines(maps.grid, maps.ink)
    assert page_coordinates(lines).reliable_fraction < 0.5            # measured 0.30
    coords = measure_page(lines, maps.grid)
    assert coords.reliable_fraction > 0.6                             # measured 0.82
    err = page_error_mm(coords, photo.shape, lambda x, y: (src_x[y, x], src_y[y, x]))
    assert np.percentile(err, 95) < 0.6, np.percentile(err, [50, 95])   # measured 0.07 and 0.32
    assert flatten(maps.ink, lines, maps.grid).how.reliable_fraction == coords.reliable_fraction


def test_a_flat_page_is_left_as_it_is(bent):
    rgb = bent[0]
    maps = colour_maps(rgb)
    lines = grid_lines(maps.grid, maps.ink)
    ink, flat_lines, grid, shown, how = flatten(maps.ink, lines, maps.grid)
    assert not how.applied and how.reason == "flat enough" and how.bend_mm < BENT_MM / 4
    assert ink is maps.ink and flat_lines is lines and grid is maps.grid and shown is None


def test_flattening_straightens_rows_the_digitizer_could_not_read(bent):
    _, photo, _, _, truth = bent
    scores, detections = {}, {}
    for mode in ("never", "auto"):
        result = digitize_naive(photo, parse_layout("3x4+1"), Calibration(fs=FS), dewarp=mode)
        scores[mode], detections[mode] = challenge_snr(truth, result.signals), result.detections
    assert detections["auto"]["flattening"]["applied"] and detections["auto"]["flattening"]["bend_mm"] > BENT_MM
    assert not detections["never"]["flattening"]["applied"]
    assert scores["never"] < 0.0 and scores["auto"] > 9.0, scores  # measured -4.6 and 11.1 dB; the flat page 18.6


def test_always_and_never_are_obeyed(bent):
    rgb = bent[0]
    maps = colour_maps(rgb)
    lines = grid_lines(maps.grid, maps.ink)
    forced = flatten(maps.ink, lines, maps.grid, "always").how
    ink, _, _, _, skipped = flatten(maps.ink, lines, maps.grid, "never")
    assert forced.applied and not skipped.applied and ink is maps.ink


def test_no_grid_no_flattening():
    blank = np.zeros((400, 600), np.float32)
    ink, lines, _, _, how = flatten(blank, blank, blank, "always")
    assert not how.applied and how.reason == "no grid" and lines is blank


def test_a_region_drifted_by_more_than_half_a_cell_is_locked_back_not_slipped():
    """A crease or a shadow can bias a whole region's lattice steps, so the integrated field drifts there by more than
    half a 5 mm cell; the nearest grid line is then the wrong one, and a region locked to it slips by a whole cell
    (ECG-Image-Kit's creased page did, and lost 3.6 dB flattened). The misfit is unwrapped across the page first."""
    step_px = 14.0                                   # 5 mm, the working scale
    h, w = 420, 560
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    off_x, off_y = x % step_px, y % step_px
    lines = (np.minimum(off_x, step_px - off_x) < 1.0) | (np.minimum(off_y, step_px - off_y) < 1.0)
    small = cv2.GaussianBlur(lines.astype(np.float32), (0, 0), 0.8)
    truth = x * (MAJOR_MM / step_px)
    drift = 3.5 * np.exp(-((x - 280) ** 2 + (y - 210) ** 2) / (2 * 70.0 ** 2))   # mm: 0.7 of a cell at its peak
    locked = _lock_to_lines(small, (truth + drift).astype(np.float32), step_px)
    err = locked - truth
    err -= np.median(err)
    inner = (slice(60, h - 60), slice(60, w - 60))
    # measured 0.48 mm at the peak (the two-cell demodulation blurs the drift); slipped, 5.5 mm
    assert np.abs(err[inner]).max() < 1.0, np.abs(err[inner]).max()


def test_a_region_locked_onto_an_aliased_beat_is_dropped_a_smoothly_foreshortened_page_kept():
    """Under ~4 px/mm the 1 mm lines' harmonics alias into a 6-7 mm beat, and a region of tiles can agree on that
    step together (a flat 72 dpi scan was then "bent" by 24-28 mm and resampled into a mess). Its steps stand out
    from a flat page's, which agree to a few %; a tilted photo's steps spread smoothly over a wide range, and stay."""
    rng = np.random.default_rng(0)
    ny, nx = 30, 40
    flat = [np.stack([rng.normal(0, 0.2, (ny, nx)), 14.0 + rng.normal(0, 0.2, (ny, nx))], -1) for _ in range(2)]
    flat[1][10:20, 5:25, 1] = 19.8                    # a region locked onto a 7 mm beat, along page y
    weights = [np.ones((ny, nx)), np.ones((ny, nx))]
    kept = _drop_off_scale(flat, weights)
    assert (kept[1][10:20, 5:25] == 0).all() and kept[1].sum() == ny * nx - 200 and kept[0].all()
    ramp = np.linspace(0.7, 1.3, nx)[None, :] * np.ones((ny, 1)) * 14.0   # foreshortened 0.7x to 1.3x across
    tilted = [np.stack([np.zeros((ny, nx)), ramp], -1), np.stack([np.zeros((ny, nx)), 0.9 * ramp], -1)]
    assert all(w.all() for w in _drop_off_scale(tilted, weights))


def test_both_digitizers_flatten_a_photo_alike(bent):
    """The page is measured on its grid, not on the trace detector's output: an untrained U-Net flattens the bent
    page exactly as the colour detector does."""
    photo = bent[1]
    torch.manual_seed(0)
    unet = UnetDigitizer(UNet(), tile=256).digitize(photo, parse_layout("3x4+1"), Calibration(fs=FS))
    naive = digitize_naive(photo, parse_layout("3x4+1"), Calibration(fs=FS))
    assert unet.detections["flattening"]["applied"]
    assert unet.detections["flattening"] == naive.detections["flattening"]
