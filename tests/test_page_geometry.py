"""Geometry of the flat page: ink lands where the layout says, measured in the rendered image itself."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import wfdb

from simulator.cli import main
from tests.conftest import STANDARD_LEADS, square_wave, write_record

PERIOD_S, HIGH_S = 0.5, (0.1, 0.3)


def render(record: Path, out: Path, *extra: str) -> dict:
    assert main(["page", str(record), "--output", str(out), "--grid", "none", *extra]) == 0
    return json.loads((out / f"{record.name}.json").read_text())


def darkness(out: Path, name: str) -> np.ndarray:
    image = cv2.imread(str(out / f"{name}.png"), cv2.IMREAD_GRAYSCALE).astype(np.float64)
    return 255.0 - image


def centroid(values: np.ndarray, lo: int) -> float:
    """Darkness-weighted centre (pixel-centre convention) of a 1-D window starting at index ``lo``."""
    idx = np.arange(lo, lo + len(values)) + 0.5
    return float((values * idx).sum() / values.sum())


def measure_lead(dark: np.ndarray, lead: dict, fs: float, px_per_s: float, px_per_mv: float) -> None:
    """Plateau heights and edge positions measured in the image agree with the layout's scale and the JSON."""
    pts = np.array(lead["plotted_pixels"], dtype=float)  # [y, x]
    start = lead["start_sample"]
    n = np.arange(start, lead["end_sample"])
    t = n / fs
    phase = np.mod(t, PERIOD_S)
    label = lead.get("text_bounding_box")
    clear = pts[:, 1] > label["1"][1] + 4 if label else np.ones(len(pts), bool)  # right of the lead's label
    # Plateau samples well inside each level: measure the ink's vertical centre at the sample's column.
    m = max(0.04, 6.0 / px_per_s)  # stay clear of the vertical edges
    for level, sel in ((1.0, (phase > HIGH_S[0] + m) & (phase < HIGH_S[1] - m)),
                       (0.0, (phase > HIGH_S[1] + m) & (phase < PERIOD_S - m))):
        for k in np.nonzero(sel & clear)[0][::37][:6]:
            y, x = pts[k]
            col = dark[int(y) - 8:int(y) + 9, int(x)]
            assert col.sum() > 0, "no ink under a plotted sample"
            assert abs(centroid(col, int(y) - 8) - y) <= 0.5
            assert abs(y - (lead["baseline_y"] - level * px_per_mv)) <= 0.5
    # Rising edges: the ink's horizontal centre half-way up the step.
    edges = np.nonzero(np.diff(((phase >= HIGH_S[0]) & (phase < HIGH_S[1])).astype(int)) == 1)[0] + 1
    measured, expected = [], []
    for k in edges:
        if k < 1 or not clear[k]:
            continue
        y_mid = lead["baseline_y"] - 0.5 * px_per_mv
        x_mid = 0.5 * (pts[k - 1, 1] + pts[k, 1])
        row = dark[int(y_mid), int(x_mid) - 6:int(x_mid) + 7]
        x_meas = centroid(row, int(x_mid) - 6)
        assert abs(x_meas - x_mid) <= 0.5
        expected_x = lead["x_start"] + ((n[k - 1] + n[k]) / 2 / fs - start / fs) * px_per_s
        assert abs(x_meas - expected_x) <= 0.5
        measured.append(x_meas)
        expected.append(((n[k - 1] + n[k]) / 2 / fs))
    if len(measured) > 1:  # the paper speed, measured in the image alone
        speed = (measured[-1] - measured[0]) / (expected[-1] - expected[0])
        assert abs(speed / px_per_s - 1) < 0.005


@pytest.mark.parametrize("layout,speed,gain,dpi,paper", [
    ("3x4+1", 25, 10, 200, "letter/landscape"), ("6x2", 25, 5, 100, "letter/landscape"),
    ("12x1", 25, 5, 300, "letter/landscape"), ("3x4+3", 12.5, 10, 150, "letter/landscape"),
    ("3x4", 50, 20, 200, "letter/landscape"), ("12x1", 50, 5, 600, "letter/landscape"),
    ("3x4+1", 25, 10, 200, "a4/portrait"), ("6x2+1", 25, 10, 300, "a4/landscape"),
    ("12x1", 25, 5, 100, "letter/portrait"),
])
def test_samples_land_where_the_layout_says(tmp_path: Path, square_record: Path, layout, speed, gain, dpi,
                                            paper) -> None:
    size, orientation = paper.split("/")
    truth = render(square_record, tmp_path / "out", "--layout", layout, "--speed", str(speed), "--gain", str(gain),
                   "--dpi", str(dpi), "--paper", size, "--orientation", orientation)
    assert truth["paper"]["size"] == size and truth["paper"]["orientation"] == orientation
    dark = darkness(tmp_path / "out", "square")
    px_per_mm = dpi / 25.4
    assert truth["px_per_second"] == pytest.approx(speed * px_per_mm)
    assert truth["px_per_mv"] == pytest.approx(gain * px_per_mm)
    for lead in truth["leads"][::3]:
        measure_lead(dark, lead, truth["sampling_frequency"], speed * px_per_mm, gain * px_per_mm)


def test_auto_layout_places_every_lead_of_odd_lead_sets(tmp_path: Path) -> None:
    leads = ["MLII", "V5", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13"]
    rec = write_record(tmp_path, "odd", square_wave(360, 12, len(leads)), 360, leads)
    truth = render(rec, tmp_path / "out", "--layout", "auto")
    assert sorted(lead["lead_name"] for lead in truth["leads"]) == sorted(leads)
    assert truth["number_of_columns_in_image"] == 2
    dark = darkness(tmp_path / "out", "odd")
    for lead in truth["leads"][::4]:
        measure_lead(dark, lead, 360, truth["px_per_second"], truth["px_per_mv"])


def test_every_plotted_coordinate_is_on_trace_ink(tmp_path: Path) -> None:
    rec = Path(__file__).resolve().parents[1] / "assets" / "records" / "ptbxl" / "00001_lr"
    for dpi in ("100", "300"):
        out = tmp_path / dpi
        assert main(["page", str(rec), "--output", str(out), "--dpi", dpi, "--layout", "3x4+1"]) == 0
        truth = json.loads((out / "00001_lr.json").read_text())
        mask = cv2.imread(str(out / "00001_lr_mask_trace.png"), cv2.IMREAD_UNCHANGED)
        for i, lead in enumerate(truth["leads"]):
            pts = np.array([p for p in lead["plotted_pixels"] if p[0] is not None])
            under = mask[pts[:, 0].astype(int), pts[:, 1].astype(int)]
            assert (under > 0).all()
            assert (under == i + 1).mean() > 0.9  # other leads may cross it where QRS complexes overlap


def test_plotted_pixels_invert_to_the_signal_above_60_db(tmp_path: Path) -> None:
    rec = Path(__file__).resolve().parents[1] / "assets" / "records" / "ptbdb" / "s0010_re"
    assert main(["page", str(rec), "--output", str(tmp_path), "--layout", "3x4+1", "--lead-gain", "V1=5"]) == 0
    truth = json.loads((tmp_path / "s0010_re.json").read_text())
    plotted = wfdb.rdrecord(str(tmp_path / "s0010_re"))
    assert plotted.units == ["mV"] * 15 and plotted.fs == 1000
    names = [n.lower() for n in plotted.sig_name]
    signal, noise = 0.0, 0.0
    for lead in truth["leads"]:
        pts = np.array(lead["plotted_pixels"], dtype=float)
        v = (lead["baseline_y"] - pts[:, 0]) / lead["px_per_mv"]
        ref = plotted.p_signal[lead["start_sample"]:lead["end_sample"], names.index(lead["record_lead"].lower())]
        ok = ~np.isnan(ref)
        signal += (ref[ok] ** 2).sum()
        noise += ((ref[ok] - v[ok]) ** 2).sum()
    assert 10 * np.log10(signal / noise) > 60


def test_truth_record_holds_exactly_the_plotted_samples(tmp_path: Path) -> None:
    rec = Path(__file__).resolve().parents[1] / "assets" / "records" / "ptbdb" / "s0010_re"
    assert main(["page", str(rec), "--output", str(tmp_path), "--layout", "3x4+1"]) == 0
    plotted = wfdb.rdrecord(str(tmp_path / "s0010_re"))
    sig = plotted.p_signal
    assert sig.shape == (10000, 15)
    assert plotted.sig_name[:3] == ["i", "ii", "iii"]
    quarter = 2500
    i_col = sig[:, 0]   # lead I: first column only
    assert not np.isnan(i_col[:quarter]).any() and np.isnan(i_col[quarter:]).all()
    assert not np.isnan(sig[:, 1]).any()  # lead II: column and rhythm strip cover all 10 s
    v1 = sig[:, 6]
    assert np.isnan(v1[:2 * quarter]).all() and not np.isnan(v1[2 * quarter:3 * quarter]).any()
    assert np.isnan(sig[:, 12:]).all()  # Frank leads are not on a 3x4 page
    source = wfdb.rdrecord(str(rec), sampto=10000).p_signal
    assert np.nanmax(np.abs(sig[:quarter, 0] - source[:quarter, 0])) <= 0.0005 + 1e-9


def test_nan_samples_leave_a_gap(tmp_path: Path) -> None:
    sig = square_wave(500, 10, 12)
    sig[600:700, :] = np.nan  # 1.2 s to 1.4 s, inside column 1 (I, II, III) and the rhythm strip
    rec = write_record(tmp_path, "gap", sig, 500, STANDARD_LEADS)
    truth = render(rec, tmp_path / "out", "--layout", "3x4+1")
    dark = darkness(tmp_path / "out", "gap")
    lead = truth["leads"][0]
    pts = lead["plotted_pixels"]
    assert all(p == [None, None] for p in pts[600:700])
    x_gap = lead["x_start"] + 1.3 * truth["px_per_second"]
    rows = slice(int(lead["baseline_y"] - truth["px_per_mv"] * 1.2), int(lead["baseline_y"] + 5))
    band = dark[rows, int(x_gap) - 3:int(x_gap) + 4]
    assert band.max() < 5  # no ink in the gap


def test_tall_complexes_overlap_the_next_row(tmp_path: Path) -> None:
    sig = np.zeros((5000, 12))
    sig[400:420, :] = -6.0  # a -6 mV spike: 60 mm below the baseline at 10 mm/mV, into the next row
    rec = write_record(tmp_path, "tall", sig, 500, STANDARD_LEADS)
    truth = render(rec, tmp_path / "out", "--layout", "3x4+1")
    lead_i, lead_ii = truth["leads"][0], truth["leads"][1]
    lowest = max(p[0] for p in lead_i["plotted_pixels"])
    assert lowest > lead_ii["baseline_y"]  # not clipped at the row boundary
    assert lowest < truth["height"]
