"""Printer styles of the flat page: where the calibration pulse stands, how columns are separated, and that the
digitizer reads every style (real pages differ in both: ../shared/data/real-reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from digitize.cli import main as digitize_main
from simulator.cli import main
from simulator.coords import mm_to_px
from simulator.layout import BAR_MM, BAR_WIDTH_MM, TRACE_FROM_EDGE_MM, PageSpec, plan_page
from simulator.page import render_page
from simulator.records import Record
from tests.conftest import STANDARD_LEADS, square_wave, write_record

FS = 500.0


def record(fs: float = FS) -> Record:
    return Record(name="sq", fs=fs, signals=square_wave(fs, 12, 12), lead_names=tuple(STANDARD_LEADS),
                  path=Path("sq"))


@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
@pytest.mark.parametrize("pulse,gap", [("start", 1.5), ("end", 1.5), ("end", 0.0), ("none", 1.5)])
def test_the_pulse_stands_where_asked_and_the_page_shows_as_many_seconds(pulse, gap, orientation):
    spec = dict(layout="3x4", rhythm_leads=("II",), orientation=orientation)
    page = plan_page(record(), PageSpec(pulse=pulse, pulse_gap_mm=gap, **spec))
    standard = plan_page(record(), PageSpec(**spec))
    assert page.signals.shape == standard.signals.shape          # the same seconds, 10 s in landscape
    gx0, _, gx1, _ = page.grid_box_mm
    starts = [t.x0_mm for t in page.traces if t.col == 0]
    last = max(t.x0_mm + (t.end_sample - 1 - t.start_sample) / FS * 25.0 for t in page.traces)
    if pulse == "none":
        assert page.pulses == () and min(starts) == gx0 + TRACE_FROM_EDGE_MM
        return
    baselines = sorted({t.baseline_mm for t in page.traces})
    assert sorted(p[0, 1] for p in page.pulses) == baselines         # one per row, its foot on the row's baseline
    xs = np.concatenate([p[:, 0] for p in page.pulses])
    if pulse == "start":
        assert gx0 < xs.min() and xs.max() < min(starts)
    else:
        assert xs.min() >= last + gap and xs.max() <= gx1


@pytest.mark.parametrize("style", ["ticks", "bars", "dotted", "none"])
def test_column_separators_are_drawn_at_every_boundary_in_their_style(style):
    page = plan_page(record(), PageSpec(layout="3x4", rhythm_leads=("II",), separators=style, pulse="none"))
    marks = render_page(page).masks["marks"] > 0
    cells = [t for t in page.traces if t.col > 0]
    assert {round(t.x0_mm, 6) for t in cells} == {round(page.traces[0].x0_mm + c * 62.5, 6) for c in (1, 2, 3)}
    px = 200 / 25.4
    for t in cells:
        x, y = int(mm_to_px(t.x0_mm, 200)), int(mm_to_px(t.baseline_mm, 200))
        column = marks[:, x - 2: x + 3].any(axis=1)
        at_baseline = column[y - int(1.5 * px): y + int(1.5 * px)].any()
        beside = column[y - int(5 * px): y - int(3 * px)].any() and column[y + int(3 * px): y + int(5 * px)].any()
        between_rows = column[y - int(20 * px): y - int(12 * px)]
        if style == "ticks":
            assert at_baseline and column[y - int(2.5 * px): y + int(2.5 * px)].all() and not between_rows.any()
        elif style == "bars":
            gap = int((BAR_MM[0] - BAR_WIDTH_MM) * px)              # the trace's way between the bars
            assert not column[y - gap: y + gap].any() and beside
        elif style == "dotted":
            assert beside and 0.15 < between_rows.mean() < 0.6        # dots through the rows, not a solid line
        else:
            assert not column.any()


@pytest.mark.parametrize("gap", ["1.5", "0"])
def test_a_100_hz_page_with_its_pulses_after_the_rows_is_timed_to_a_fraction_of_a_sample(tmp_path, gap):
    """Pulses after the rows, 1.5 mm off or touching them, no separators. The trace's end was the pulse's
    (0.4 s late), and the span's ends were the ink's, half a stroke beyond the samples: at 100 Hz, half a sample off
    (4-9 dB). Pulses joined to the rows leave the rows' starts to time the page."""
    rec = write_record(tmp_path, "lr", np.stack([square_wave(100.0, 12, 1)[:, 0] * (1 + k / 12) for k in range(12)],
                                                1), 100.0, STANDARD_LEADS)
    out, dig = tmp_path / "page", tmp_path / "dig"
    assert main(["page", str(rec), "-o", str(out), "--pulse", "end", "--pulse-gap", gap, "--separators", "none"]) == 0
    assert digitize_main(["run", str(out / "lr.png"), "-o", str(dig), "--method", "naive", "--fs", "100"]) == 0
    truth = json.loads((out / "lr.json").read_text())
    found = json.loads((dig / "lr.json").read_text())
    assert found["time_from"] == ("trace end" if gap != "0" else "trace start (pulses joined to the rows' ends)")
    assert found["x_start"] == pytest.approx(truth["leads"][0]["plotted_pixels"][0][1], abs=0.6)
    assert {row["baseline_from"] for row in found["rows"]} == {"calibration pulse"}
    ref, est = wfdb.rdrecord(str(out / "lr")).p_signal, wfdb.rdrecord(str(dig / "lr")).p_signal
    ok = np.isfinite(ref) & np.isfinite(est)
    assert (np.abs(ref[ok] - est[ok]) < 0.1).mean() > 0.85    # all but the samples on each edge's vertical stroke


def _major_line(spec: PageSpec) -> tuple[np.ndarray, np.ndarray]:
    """The page's pixels (W, 3) and grid mask (W,) along a pixel row halfway between two minor lines, so the only
    grid it crosses is the vertical lines; and the x in px of the first major line's centre."""
    page = plan_page(record(), PageSpec(**{"layout": "3x4", "pulse": "none", "separators": "none", **spec}))
    image = render_page(page)
    gx0, gy0, _, _ = page.grid_box_mm
    y = int(mm_to_px(gy0 + 2.5, 200))          # between the grid's 2 and 3 mm lines, and far from a baseline
    return image.rgb[y].astype(float), image.masks["grid"][y], mm_to_px(gx0 + 5.0, 200)


def test_grid_lines_are_as_wide_as_asked_and_darken_with_their_density():
    """Printers differ in how wide and how heavily they print the grid (REALISM.md: some grids rival the trace):
    a major line covers its width in the mask, and at density d its colour is the paper's times the scheme's
    transmittance to the power d, on white and tinted paper alike (inks filter the light the paper reflects)."""
    for major in (0.2, 0.5):
        rgb, mask, centre = _major_line({"grid_line_mm": (0.1, major)})
        near = slice(int(centre) - 5, int(centre) + 6)     # the minor lines stand 1 mm (7.9 px) away
        coverage = (255.0 - rgb[near, 1]) / (255.0 - 90.0)  # green: the red scheme's major line has 90 of 255
        assert coverage.sum() == pytest.approx(major / 25.4 * 200, abs=0.02)   # its exact area, in px
        assert mask[near].sum() == pytest.approx(major / 25.4 * 200, abs=1.5)
    red = np.array([232, 90, 80]) / 255.0                        # the red scheme's major line on white paper
    for paper in ((255, 255, 255), (240, 225, 200)):
        for density in (1.0, 2.0):
            rgb, _, centre = _major_line({"grid_line_mm": (0.1, 0.5), "grid_density": density, "paper_rgb": paper})
            expect = np.asarray(paper) * red ** density
            assert rgb[int(centre)] == pytest.approx(expect, abs=1.0)
            assert rgb[int(centre) + 4] == pytest.approx(paper, abs=1.0)  # half a mm on: bare paper


def test_a_dotted_minor_grid_is_printed_in_the_major_lines_ink():
    """Real dotted papers print their dots as dark as the major lines; dots of the pale minor tint would not show."""
    page = plan_page(record(), PageSpec(dpi=400, grid="pink", minor_grid="dots", pulse="none", separators="none"))
    rgb = render_page(page).rgb
    gx0, gy0, _, _ = page.grid_box_mm
    x, y = (int(mm_to_px(v + 1.0, 400)) for v in (gx0, gy0 + 2.0))   # a dot 0.3 mm (4.7 px) wide, off the traces
    assert rgb[y, x] == pytest.approx((240, 150, 165), abs=1.0)
    assert rgb[y, x + 8] == pytest.approx((255, 255, 255), abs=1.0)   # half a mm on: paper


def test_an_unknown_style_is_one_line_naming_it(tmp_path, capsys):
    rec = write_record(tmp_path, "sq", square_wave(FS, 12, 12), FS, STANDARD_LEADS)
    for option, value, named in (("--pulse", "middle", "pulse"), ("--separators", "stars", "separators"),
                                 ("--pulse-gap", "-1", "pulse_gap_mm"), ("--pulse-gap", "nan", "pulse_gap_mm"),
                                 ("--grid-density", "0", "grid_density"), ("--grid-density", "inf", "grid_density")):
        assert main(["page", str(rec), "-o", str(tmp_path / "out"), option, value]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and named in err[0] and value in err[0]
    assert not (tmp_path / "out" / "sq.png").exists()
