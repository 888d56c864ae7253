"""The digitizers on our flat pages: signal recovery, grid pitch, deskew, WFDB output, CLI errors, U-Net training."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
import wfdb

from digitize.cli import main
from digitize.dataset import _read_frame
from digitize.grid import estimate_pitch, estimate_rotation, rotate
from digitize.infer import UnetDigitizer, predict_trace
from digitize.ink import colour_maps, erase_labels, remove_ruled_lines, remove_wavy_grid_rows
from digitize.layouts import LEAD_NAMES, parse_layout
from digitize.model import UNet, to_input
from digitize.naive import digitize_naive
from digitize.pipeline import Calibration, digitize_maps, row_baseline
from digitize.rows import end_pulse_x, joined_pulse_x, pulse_baseline, trace_end_x, trace_start_x
from digitize.timing import separator_anchor, time_span
from digitize.train import TrainConfig, checkpoint_path, train
from eval.challenge2024 import score_lead
from simulator.frame import render_frame, write_frame
from simulator.layout import PageSpec
from simulator.records import Record
from simulator.scene import Scene

FS = 500.0


def beat_record(seconds: float = 10.0) -> Record:
    """A 12-lead record of Gaussian P-QRS-T beats at 75 bpm, a different amplitude per lead (deterministic)."""
    t = np.arange(int(seconds * FS)) / FS
    phase = (t % 0.8)
    wave = (0.12 * np.exp(-((phase - 0.15) / 0.025) ** 2) + 1.0 * np.exp(-((phase - 0.30) / 0.012) ** 2)
            - 0.25 * np.exp(-((phase - 0.33) / 0.010) ** 2) + 0.3 * np.exp(-((phase - 0.55) / 0.045) ** 2))
    gains = np.linspace(-0.8, 1.4, 12)
    gains[np.abs(gains) < 0.3] = 0.5
    signals = wave[:, None] * gains[None, :] + 0.05 * np.sin(2 * np.pi * 0.3 * t)[:, None]
    return Record(name="beats", fs=FS, signals=signals, lead_names=LEAD_NAMES, path=Path("beats"))


def write_page(out: Path, name: str = "page", **spec) -> Path:
    """Render a flat 3x4+1 page of :func:`beat_record` into ``out``; returns the image path."""
    page = PageSpec(**{"layout": "3x4", "rhythm_leads": ("II",), "dpi": 200, **spec})
    frame = render_frame(Scene(page=page), beat_record())
    write_frame(out, name, frame)
    return out / f"{name}.png"


def snr_db(ref: np.ndarray, est: np.ndarray) -> float:
    """Mean over leads of 10·log10(Σref² / Σ(ref−est)²) on the samples both have (offset removed per lead)."""
    out = []
    for j in range(ref.shape[1]):
        ok = np.isfinite(ref[:, j]) & np.isfinite(est[:, j])
        if ok.sum() < 10:
            continue
        r, e = ref[ok, j], est[ok, j]
        e = e - np.median(e - r)
        out.append(10 * np.log10(np.sum(r ** 2) / max(np.sum((r - e) ** 2), 1e-12)))
    return float(np.mean(out))


@pytest.fixture(scope="module")
def page_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("page")
    write_page(out)
    return out


def test_naive_recovers_clean_page_above_14_db(page_dir):
    """Unaligned, so the time span must be right to a sample or so: the first sample within 0.6 px of where the page
    put it (the ink's end is known to a pixel, whose phase moves it by ±0.3 px on average)."""
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1]
    result = digitize_naive(rgb, parse_layout("3x4+1"), Calibration(fs=FS))
    truth = wfdb.rdrecord(str(page_dir / "page")).p_signal
    est = np.stack([result.signals[lead] for lead in LEAD_NAMES], axis=1)
    assert snr_db(truth, est) > 14.0
    first = json.loads((page_dir / "page.json").read_text())["leads"][0]["plotted_pixels"][0][1]
    assert result.detections["x_start"] == pytest.approx(first, abs=0.6)
    assert abs(result.detections["px_per_mm"] - 200 / 25.4) < 0.02 * 200 / 25.4


def test_a_dark_lid_strip_does_not_set_the_ink_colour(tmp_path):
    """A scan with the lid left open has a dark grey strip at its edge: its darkest pixels (and the blur around
    them) were taken for the ink's colour, so a blue trace counted as tinted grid and nothing was traced."""
    rgb = cv2.imread(str(write_page(tmp_path, trace_rgb=(60, 70, 170))))[:, :, ::-1].copy()
    truth = wfdb.rdrecord(str(tmp_path / "page")).p_signal
    scores = []
    for lid in (False, True):
        if lid:  # the open lid, down the left edge and along the top, outside the grid
            rgb[:, :60] = 55
            rgb[:40] = 55
        result = digitize_naive(rgb, parse_layout("3x4+1"), Calibration(fs=FS))
        scores.append(snr_db(truth, np.stack([result.signals[lead] for lead in LEAD_NAMES], axis=1)))
    assert scores[0] > 6.0 and scores[1] > scores[0] - 1.5


@pytest.mark.parametrize("dpi", [100, 150, 300])
@pytest.mark.parametrize("grid", ["red", "bw"])
def test_grid_pitch_within_2_percent(tmp_path, dpi, grid):
    rgb = cv2.imread(str(write_page(tmp_path, dpi=dpi, grid=grid)))[:, :, ::-1]
    pitch = estimate_pitch(colour_maps(rgb).grid)
    assert pitch.px_per_mm == pytest.approx(dpi / 25.4, rel=0.02)


def test_deskew_recovers_known_rotation(page_dir):
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1]
    tilted = rotate(rgb, 3.0, border=(255, 255, 255))
    assert estimate_rotation(colour_maps(tilted).grid) == pytest.approx(-3.0, abs=0.1)


def test_cli_writes_12_leads_with_nan_outside_the_plotted_quarter(page_dir, tmp_path, capsys):
    assert main(["run", str(page_dir / "page.png"), "--output", str(tmp_path), "--method", "naive"]) == 0
    rec = wfdb.rdrecord(str(tmp_path / "page"))
    assert rec.sig_name == list(LEAD_NAMES) and rec.units == ["mV"] * 12 and rec.fs == FS
    sig, n = rec.p_signal, rec.sig_len
    quarter = n // 4
    lead = {name: sig[:, i] for i, name in enumerate(rec.sig_name)}
    assert np.isfinite(lead["I"][:quarter]).all() and np.isnan(lead["I"][quarter:]).all()
    assert np.isnan(lead["V4"][: 3 * quarter]).all() and np.isfinite(lead["V4"][3 * quarter:]).all()
    assert np.isfinite(lead["II"]).all()          # the rhythm strip covers all 10 s
    detections = json.loads((tmp_path / "page.json").read_text())
    assert detections["made_from"]["settings"]["dewarp"] == "auto"   # a rerun with another --dewarp redoes it
    assert detections["flattening"]["reason"] == "flat enough" and not detections["flattening"]["applied"]


@pytest.mark.parametrize("make_input", ["missing", "empty_folder", "not_an_image", "bad_layout", "missing_weights",
                                        "garbage_weights", "huge_fs"])
def test_cli_bad_inputs_exit_2_with_one_line(tmp_path, page_dir, capsys, make_input):
    args = ["run", str(tmp_path / "nothing.png")]
    if make_input == "empty_folder":
        (tmp_path / "empty").mkdir()
        args = ["run", str(tmp_path / "empty")]
    elif make_input == "not_an_image":
        (tmp_path / "fake.png").write_text("not a png")
        args = ["run", str(tmp_path / "fake.png")]
    elif make_input == "bad_layout":
        args = ["run", str(tmp_path / "nothing.png"), "--layout", "5x5"]
    elif make_input == "missing_weights":
        args = ["run", str(page_dir / "page.png"), "--method", "unet", "--weights", str(tmp_path / "none.pt")]
    elif make_input == "huge_fs":  # 1e9 Hz × 10 s asked numpy for 75 GB (a MemoryError, or the OOM killer)
        args = ["run", str(page_dir / "page.png"), "--fs", "1e9"]
    elif make_input == "garbage_weights":  # was an UnpicklingError traceback; loaded as data only, never as code
        (tmp_path / "w.pt").write_bytes(bytes(range(256)) * 4)
        args = ["run", str(page_dir / "page.png"), "--method", "unet", "--weights", str(tmp_path / "w.pt")]
    assert main(args + ["--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_the_shipped_nets_read_a_clean_page_timed_and_based_on_its_marks(page_dir, tmp_path):
    """The shipped trace and marks nets, as ``run --method unet`` loads them: the page's signals, its span within a
    pixel, every row's baseline from its calibration pulse (which the trace net alone leaves out), and both weights'
    fingerprints in the record of what the output was made from."""
    assert main(["run", str(page_dir / "page.png"), "--output", str(tmp_path), "--method", "unet"]) == 0
    rec = wfdb.rdrecord(str(tmp_path / "page"))
    truth = wfdb.rdrecord(str(page_dir / "page")).p_signal
    assert snr_db(truth, rec.p_signal) > 12.0
    found = json.loads((tmp_path / "page.json").read_text())
    first = json.loads((page_dir / "page.json").read_text())["leads"][0]["plotted_pixels"][0][1]
    assert found["x_start"] == pytest.approx(first, abs=1.0)
    assert {row["baseline_from"] for row in found["rows"]} == {"calibration pulse"}
    assert found["made_from"]["settings"]["marks_weights_sha256"] is not None


def test_a_batch_skips_the_images_it_cannot_read_and_says_so(page_dir, tmp_path, capsys):
    """Like generate with a bad record: the others are digitized, each bad one named, exit 1 at the end."""
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "page.png").write_bytes((page_dir / "page.png").read_bytes())
    (batch / "fake.png").write_text("not a png")
    cv2.imwrite(str(batch / "tiny.png"), np.full((10, 10, 3), 255, np.uint8))
    assert main(["run", str(batch), "--output", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: 2 of 3 images could not be digitized (listed above)"
    assert any("fake.png: cannot be read" in line for line in err)
    assert any("tiny.png: 10×10 px is too small" in line for line in err)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["page.dat", "page.hea", "page.json"]


def test_a_rerun_finishes_a_batch_and_redoes_only_what_changed(page_dir, tmp_path, capsys):
    """An interrupted batch of thousands of photos started over; now an image digitized from the same bytes with
    the same options, model and code is skipped, and a changed option or image is digitized again."""
    batch, out = tmp_path / "batch", tmp_path / "out"
    batch.mkdir()
    for name in ("a", "b"):
        (batch / f"{name}.png").write_bytes((page_dir / "page.png").read_bytes())
    assert main(["run", str(batch), "-o", str(out)]) == 0
    stamps = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    (out / "b.json").unlink()  # b was being written when the batch was killed: its record is not whole
    capsys.readouterr()
    assert main(["run", str(batch), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].endswith("1 were already done with these settings")
    assert all((out / n).stat().st_mtime_ns == t for n, t in stamps.items() if n.startswith("a."))
    assert main(["run", str(batch), "-o", str(out), "--gain", "20"]) == 0
    assert json.loads((out / "a.json").read_text())["made_from"]["settings"]["gain"] == 20.0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f"2 images digitized into {out}"


def test_digitizing_a_frames_folder_into_itself_is_refused(page_dir, tmp_path, capsys):
    """Its records share the images' names: the frame's ground-truth record and sidecar were overwritten."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for f in page_dir.iterdir():
        (frames / f.name).write_bytes(f.read_bytes())
    before = {f.name: f.read_bytes() for f in frames.iterdir()}
    assert main(["run", str(frames), "-o", str(frames)]) == 2
    assert "holds page.json, which digitize did not write" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in frames.iterdir()} == before
    out = tmp_path / "out"  # our own records, whole or cut short by a kill, are ours to redo
    assert main(["run", str(frames / "page.png"), "-o", str(out)]) == 0
    (out / "page.json").unlink()
    assert main(["run", str(frames / "page.png"), "-o", str(out)]) == 0


def test_two_images_of_one_name_are_refused_before_anything_is_written(page_dir, tmp_path, capsys):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "page.png").write_bytes((page_dir / "page.png").read_bytes())
    assert main(["run", str(tmp_path / "a"), str(tmp_path / "b"), "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "would both write record page" in err and err.count("\n") == 1 and not (tmp_path / "out").exists()


def test_an_image_name_wfdb_refuses_gives_a_record_name_it_takes(page_dir, tmp_path):
    """A phone's "IMG 0042.scan.png" was a wfdb ValueError traceback: the record is IMG_0042_scan instead."""
    image = tmp_path / "IMG 0042.scan.png"
    image.write_bytes((page_dir / "page.png").read_bytes())
    assert main(["run", str(image), "--output", str(tmp_path / "out")]) == 0
    assert wfdb.rdheader(str(tmp_path / "out" / "IMG_0042_scan")).sig_name == list(LEAD_NAMES)
    assert json.loads((tmp_path / "out" / "IMG_0042_scan.json").read_text())["image"] == str(image)


def test_a_tile_larger_than_the_image_is_the_image_sized_tile():
    """--tile 100000 asked OpenCV for 30 GB of padding; a tile beyond the padded image changes nothing."""
    model = UNet(4).eval()
    rgb = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    fitted = predict_trace(model, rgb, tile=368)  # 300 px + 2 × 32 px of context, a multiple of 8
    assert np.array_equal(predict_trace(model, rgb, tile=100_000), fitted) and fitted.shape == (200, 300)


def test_unet_forward_backward_shapes():
    model = UNet(width=4)
    x = to_input(torch.randint(0, 255, (2, 64, 96, 3), dtype=torch.uint8))
    y = model(x)
    assert y.shape == (2, 1, 64, 96)
    y.mean().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_train_resume_continues_from_checkpoint(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_page(data, "a", dpi=100)
    cfg = TrainConfig(epochs=2, steps_per_epoch=1, batch_size=2, tile=32, width=4, crops_per_frame=4, threads=1)
    straight = train([data], tmp_path / "straight.pt", cfg)
    stopped = train([data], tmp_path / "resumed.pt", cfg, stop_after=1)
    assert not stopped["finished"] and checkpoint_path(tmp_path / "resumed.pt").is_file()
    assert not (tmp_path / "resumed.pt").exists()
    resumed = train([data], tmp_path / "resumed.pt", cfg, resume=True)
    assert straight["finished"] and resumed["finished"]
    a = torch.load(tmp_path / "straight.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "resumed.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_marks_net_learns_the_marks_and_each_net_loads_only_as_itself(tmp_path, capsys):
    """``--marks`` trains on the trace and marks masks together (a target the trace net's is inside); the trace net
    given as --marks-weights, or the marks net as --weights, is refused in one line, never read as the other."""
    data = tmp_path / "data"
    data.mkdir()
    write_page(data, "a", dpi=100)
    trace = cv2.imread(str(data / "a_mask_trace.png"), cv2.IMREAD_UNCHANGED) > 0
    marks = cv2.imread(str(data / "a_mask_marks.png"), cv2.IMREAD_UNCHANGED) > 0
    target = _read_frame(data / "a.png", data / "a_mask_trace.png", marks=True)[1] > 0
    assert marks.any() and np.array_equal(target, trace | marks)
    for kind in ("trace", "marks"):
        assert main(["train", "--data", str(data), "--out", str(tmp_path / f"{kind}.pt"), "--epochs", "1",
                     "--steps", "1", "--tile", "32", "--width", "4", "--threads", "1",
                     *(["--marks"] if kind == "marks" else [])]) == 0
    digitizer = UnetDigitizer.load(tmp_path / "trace.pt", tile=256, marks_path=tmp_path / "marks.pt")
    assert digitizer.marks_model is not None
    images = str(data / "a.png")
    for weights, marks_weights, message in (
            ("marks.pt", "none", "--weights: " + str(tmp_path / "marks.pt") + " is the marks net (trained with "
                                 "--marks): give it as --marks-weights"),
            ("trace.pt", "trace.pt", "--marks-weights: " + str(tmp_path / "trace.pt") + " is the trace net")):
        capsys.readouterr()
        assert main(["run", images, "-o", str(tmp_path / "out"), "--method", "unet", "--weights",
                     str(tmp_path / weights), "--marks-weights",
                     marks_weights if marks_weights == "none" else str(tmp_path / marks_weights)]) == 2
        assert message in capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("damage, message", [
    ("out_is_a_folder", "--out: "),  # found after training before: the weights were lost
    ("small_mask", "page_mask_trace.png is 10×10 px but its image page.png is 1100×850"),
    ("no_marks_mask", "page_mask_marks.png is missing beside page.png (--marks learns from it)"),
    ("small_marks_mask", "page_mask_marks.png is 10×10 px but its image page.png is 1100×850"),
    ("garbled_mask", "page_mask_trace.png cannot be read as an image"),
    ("stop_after_0", "--stop-after: 0 epochs must be at least 1"),
])
def test_train_refuses_damaged_frames_and_options_in_one_line(tmp_path, capsys, damage, message):
    """A mask of another size than its image trained the net on ink where there is none, silently."""
    data = tmp_path / "data"
    data.mkdir()
    write_page(data, dpi=100)
    extra, out = [], tmp_path / "w.pt"
    if damage == "out_is_a_folder":
        out = tmp_path
    elif damage == "small_mask":
        cv2.imwrite(str(data / "page_mask_trace.png"), np.zeros((10, 10), np.uint8))
    elif damage == "no_marks_mask":
        (data / "page_mask_marks.png").unlink()
        extra = ["--marks"]
    elif damage == "small_marks_mask":
        cv2.imwrite(str(data / "page_mask_marks.png"), np.zeros((10, 10), np.uint8))
        extra = ["--marks"]
    elif damage == "garbled_mask":
        (data / "page_mask_trace.png").write_bytes(b"not a png")
    else:
        extra = ["--stop-after", "0"]
    assert main(["train", "--data", str(data), "--out", str(out), "--epochs", "1", "--steps", "1",
                 "--tile", "32", "--width", "4", *extra]) == 2
    last = capsys.readouterr().err.splitlines()[-1]  # after the frame-reading progress bar, if it began
    assert last.startswith("error: ") and message in last
    assert not (tmp_path / "w.pt").exists()


def test_the_marks_map_times_a_cut_page_and_gives_the_baselines(tmp_path):
    """The U-Net's trace map leaves the separator ticks and calibration pulses out (they would lead the tracer off);
    in a map of their own they still time a picture that cut both ends of the rows off (10 mm off without them) and
    give each row's 0 mV on the whole page (the traces' median level without them)."""
    write_page(tmp_path, dpi=150)
    px_per_mm = 150 / 25.4
    first = json.loads((tmp_path / "page.json").read_text())["leads"][0]["plotted_pixels"][0][1]
    rgb, trace, marks = (cv2.imread(str(tmp_path / name), cv2.IMREAD_UNCHANGED)
                         for name in ("page.png", "page_mask_trace.png", "page_mask_marks.png"))
    cut = int(first + 12 * px_per_mm), int(first + 240 * px_per_mm)   # a picture that cuts both ends of the rows
    found = {}
    for c0, c1 in ((0, rgb.shape[1]), cut):
        grid = colour_maps(np.ascontiguousarray(rgb[:, c0:c1, ::-1])).grid
        for with_marks in (True, False):
            result = digitize_maps((trace[:, c0:c1] > 0).astype(np.float32), grid, parse_layout("3x4+1"),
                                   Calibration(fs=FS),
                                   mark_ink=(marks[:, c0:c1] > 0).astype(np.float32) if with_marks else None)
            found[c0 > 0, with_marks] = result.detections, (result.detections["x_start"] + c0 - first) / px_per_mm
    assert found[True, True][1] == pytest.approx(0.0, abs=0.1)
    assert found[True, True][0]["time_from"].startswith("column separators")
    assert abs(found[True, False][1]) > 5.0
    assert {row["baseline_from"] for row in found[False, True][0]["rows"]} == {"calibration pulse"}
    assert {row["baseline_from"] for row in found[False, False][0]["rows"]} == {"median level"}


def test_a_mark_where_the_trace_net_stands_tall_is_no_separator():
    """Simultaneous R waves stand in every row at every column boundary of a fast, regular rhythm and pass for
    separator ticks; the trace net leaves the ticks out (it holds only the baseline there), so a tick where its map
    stands tall is a QRS (a Challenge-like photo's span moved 15.4 mm onto the R waves, -1.8 dB instead of 6.6)."""
    px_per_mm, span = 4.0, 960.0
    trace = np.zeros((300, 1000), bool)
    for row in range(3):
        trace[100 * row + 49: 100 * row + 52, 20:980] = True                   # the baseline, 3 px thick
        for k in range(1, 4):
            x = int(20 + k * span / 4)
            trace[100 * row + 28: 100 * row + 72, x + 40: x + 42] = True     # an R wave 10 mm after each boundary
    marks = trace.copy()
    for row in range(2):                                                      # faint ticks: two rows of three
        for k in range(1, 4):
            x = int(20 + k * span / 4)
            marks[100 * row + 30: 100 * row + 70, x: x + 2] = True
    bands = [(0, 100), (100, 200), (200, 300)]
    args = (bands, [4, 4, 4], 0.0, 80.0, span, px_per_mm)
    assert separator_anchor(marks, *args, broken=False) == pytest.approx(60.5, abs=1.0)   # on the R waves
    assert separator_anchor(marks, *args, broken=False, trace_only=trace) == pytest.approx(20.5, abs=1.0)


def test_the_trace_ends_before_a_dashed_border_line():
    """A photographed dotted grid's border shows as a dashed vertical line a few px wide past the trace's end: it was
    taken for the trace's last stretch, so every lead came out shifted by the gap (0.6 s on a phone photo)."""
    band = np.zeros((100, 800), bool)
    band[48:51, 100:600] = True                        # the trace, 125 mm at 4 px/mm
    for y0 in range(5, 95, 10):
        band[y0: y0 + 5, 680:685] = True               # dashes of the border, 5 px wide
    assert trace_end_x(band, (0, 100), 4.0) == 600.0
    band[30:70, 596:600] = True                        # a QRS at the very end is the trace, not a line
    assert trace_end_x(band, (0, 100), 4.0) == 600.0


def test_a_pulse_foot_far_from_the_trace_is_not_the_baseline():
    px_per_mv = 10 * 200 / 25.4
    assert row_baseline(500.0, 2.0, 505.0, px_per_mv) == (499.5, "calibration pulse")
    assert row_baseline(500.0 - 1.4 * px_per_mv, 2.0, 505.0, px_per_mv) == (505.0, "median level")
    assert row_baseline(None, 2.0, 505.0, px_per_mv) == (505.0, "median level")


def _pulse_at(band: np.ndarray, x: int) -> None:
    """A calibration pulse from column ``x``: 8 mm with its lead-in and -out at 4 px/mm, rising 10 mm."""
    band[70:72, x: x + 32] = True
    band[30:72, x + 6: x + 8] = True
    band[30:32, x + 6: x + 26] = True
    band[30:72, x + 24: x + 26] = True


def test_trace_start_skips_the_calibration_pulse_and_the_border():
    band = np.zeros((100, 800), bool)
    band[5:95, 20:24] = True                           # the grid's border: a ruled line
    _pulse_at(band, 40)
    band[60:62, 100:600] = True                        # the trace
    assert trace_start_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) == 100.0


def test_trace_end_skips_a_calibration_pulse_printed_after_the_trace():
    """Mortara's printers put the pulse at the rows' right end: taken for the trace's end, it put the whole page
    a pulse's width (0.4 s) late."""
    band = np.zeros((100, 800), bool)
    band[60:62, 100:600] = True                        # the trace
    _pulse_at(band, 606)                               # 1.5 mm after it
    band[5:95, 680:684] = True                         # the grid's border
    assert end_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) == 637.0
    assert trace_end_x(band, (0, 100), 4.0, pulse=(10.0, 11.5)) == 600.0
    assert pulse_baseline(band, (0, 100), 100.0, 600.0, 4.0, 10.0) == 71.0   # its foot is the baseline
    band[:, 600:] = False                              # a photo cut the row at a QRS: peaked, not a pulse
    band[60:62, 600:615] = True
    band[20:62, 615:618] = True
    band[20:62, 625:628] = True
    band[20:23, 615:628] = False
    band[20:23, 618:625] = True
    assert end_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) is None
    assert joined_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) is None


def test_a_pulse_touching_the_trace_is_found_by_its_square_top():
    """Some printers join the pulse to the row's end: one ink stretch, so only its shape tells it from the trace. A QRS
    at the end is as tall but peaked; a T wave as flat but low."""
    band = np.zeros((100, 800), bool)
    band[70:72, 100:606] = True                        # the trace at its baseline, running into ...
    _pulse_at(band, 606)                               # ... the pulse's lead-in
    assert joined_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) == 612.0   # its rising edge
    band[:, 606:] = False
    band[30:72, 596:598] = True                        # a QRS at the end instead: up and straight down
    band[30:32, 596:599] = True
    band[30:72, 598:600] = True
    assert joined_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) is None
    band[:, 590:] = False
    band[60:62, 590:620] = True                        # a low, flat T wave
    band[60:72, 590:592] = True
    assert joined_pulse_x(band, (0, 100), 4.0, pulse_mm=10.0, pulse_width_mm=11.5) is None


def test_a_page_cut_off_at_the_right_is_timed_from_its_start(page_dir):
    """A photo that cuts the page's right side off cuts the trace's end off with it: the time span then comes from
    where the rows start (timed from the cut, every lead was 1.3 s late here)."""
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1]
    truth = wfdb.rdrecord(str(page_dir / "page")).p_signal
    full = digitize_naive(np.ascontiguousarray(rgb), parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    cut = digitize_naive(np.ascontiguousarray(rgb[:, : int(0.88 * rgb.shape[1])]), parse_layout("3x4+1"),
                         Calibration(fs=FS), dewarp="never")
    assert full.detections["time_from"] == "trace end"
    assert cut.detections["time_from"].startswith("trace start")
    assert cut.detections["x_start"] == pytest.approx(full.detections["x_start"], abs=2.0)   # 0.25 mm at 200 dpi
    for lead in ("I", "III", "aVR", "aVL", "aVF"):   # whole in the picture
        j = LEAD_NAMES.index(lead)
        assert score_lead(lead, truth[:, j], cut.signals[lead], FS).snr > 15.0, lead


def test_a_page_cut_off_at_both_sides_is_timed_from_its_column_separators(page_dir):
    """A photo that cuts both ends of every row off leaves neither end to time the page from: the ticks between the
    columns do (timed from the cut end, every lead was 0.16 s early and a tenth of each went to its neighbour).
    Without ticks, the QRS complexes (simultaneous in all rows) are not taken for them."""
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1]
    truth = wfdb.rdrecord(str(page_dir / "page")).p_signal
    sidecar = json.loads((page_dir / "page.json").read_text())
    first = sidecar["leads"][0]["plotted_pixels"][0][1]
    left, right = int(first) + 35, int(first + 9.8 * sidecar["px_per_second"])    # 0.18 s and 0.2 s cut off
    cut = np.ascontiguousarray(rgb[:, left:right])
    result = digitize_naive(cut, parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    assert result.detections["time_from"].startswith("column separators")
    assert result.detections["x_start"] == pytest.approx(first - left, abs=1.5)
    for lead in ("aVR", "aVL", "aVF", "V3"):   # whole in the picture (no pulse: the baseline is the median level)
        j = LEAD_NAMES.index(lead)
        assert score_lead(lead, truth[:, j], result.signals[lead], FS).snr > 15.0, lead

    no_ticks = cut.copy()
    mm = sidecar["px_per_second"] / 25.0
    for lead in sidecar["leads"]:
        if lead["column"] > 0:
            x = int(round(lead["x_start"])) - left
            y = lead["baseline_y"]
            no_ticks[int(y - 3.5 * mm): int(y + 3.5 * mm), x - 2: x + 3] = 255
    result = digitize_naive(no_ticks, parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    assert result.detections["time_from"].startswith("trace end")


def test_separator_bars_beside_the_baseline_time_a_page_cut_off_at_both_sides(tmp_path):
    """Mortara marks columns with a bar above and one below the baseline, the trace passing between: no ink runs
    through the trace's level, so they are found as pairs past a blank (a QRS runs through the level)."""
    image = write_page(tmp_path, separators="bars", pulse="end", pulse_gap_mm=0.0)
    rgb = cv2.imread(str(image))[:, :, ::-1]
    sidecar = json.loads((tmp_path / "page.json").read_text())
    first = sidecar["leads"][0]["plotted_pixels"][0][1]
    left, right = int(first) + 35, int(first + 9.8 * sidecar["px_per_second"])
    result = digitize_naive(np.ascontiguousarray(rgb[:, left:right]), parse_layout("3x4+1"), Calibration(fs=FS),
                            dewarp="never")
    assert result.detections["time_from"].startswith("column separators")
    assert result.detections["x_start"] == pytest.approx(first - left, abs=1.5)


def test_column_separators_correct_a_trace_end_that_runs_on(page_dir):
    """Ink running on past every row's end (a black-and-white grid's last lines that the erasers missed, joined to
    the trace) moves the trace's end; the ticks between the columns put the span back (it was 0.16 s late)."""
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1].copy()
    sidecar = json.loads((page_dir / "page.json").read_text())
    mm = sidecar["px_per_second"] / 25.0
    for lead in sidecar["leads"]:
        if lead["column"] == max(other["column"] for other in sidecar["leads"] if other["row"] == lead["row"]):
            y, x = (int(round(v)) for v in lead["plotted_pixels"][-1])
            rgb[y - 1: y + 2, x: x + int(4 * mm)] = 0
    result = digitize_naive(rgb, parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    assert result.detections["time_from"].startswith("column separators (trace end: +")
    assert result.detections["x_start"] == pytest.approx(sidecar["leads"][0]["plotted_pixels"][0][1], abs=1.5)


def test_one_row_whose_start_faded_inside_the_picture_does_not_time_a_page_cut_at_both_sides():
    """Three 4-column rows run off both sides of a photo; the rhythm strip's start faded 10 mm inside its left edge.
    A start the picture shows in under half the rows gives way to the ticks, broken ones included, so they time the
    page (the faded start alone timed it 10 mm late; short and faint, its ticks could not correct a visible start)."""
    px_per_mm, span = 4.0, 1000.0                      # the span starts at column 0, which the picture does not show
    mask = np.zeros((800, 1000), bool)
    shown = np.zeros((800, 1000), bool)
    shown[:, 50:950] = True
    for y in (100, 300, 500):
        mask[y - 1: y + 1, 50:950] = True
        for x in (250, 500, 750):
            mask[y - 6: y + 6, x: x + 2] = True        # separator ticks, 3 mm of them above the ink threshold
    mask[699:701, 90:950] = True
    bands = [(0, 200), (200, 400), (400, 600), (600, 800)]
    x_start, x_end, how = time_span(mask, shown, bands, [4, 4, 4, 1], px_per_mm, span,
                                    span / 5000, 2.0, 10.0, 11.5)
    assert how.startswith("column separators (trace start (shown in under half the rows)")
    assert x_start == pytest.approx(0.0, abs=1.5) and x_end == pytest.approx(span, abs=1.5)


def test_rows_whose_ends_disagree_are_timed_from_their_starts():
    """Two of four rows faded 18-20 mm before their end (a 72 dpi scan, a shadow) while all four start together: the
    starts time the page (the median end timed it 9 mm early)."""
    px_per_mm, span = 4.0, 800.0
    mask = np.zeros((800, 1000), bool)
    for y, end in ((100, 900), (300, 900), (500, 820), (700, 830)):
        mask[y - 1: y + 1, 100:end] = True
    bands = [(0, 200), (200, 400), (400, 600), (600, 800)]
    x_start, x_end, how = time_span(mask, np.ones_like(mask), bands, [4, 4, 4, 1], px_per_mm, span,
                                    span / 5000, 2.0, 10.0, 11.5)
    assert how == "trace start (the rows' ends disagree)"
    assert x_start == pytest.approx(100.0, abs=1.0)


def test_a_start_where_the_picture_stops_counts_when_a_shown_row_starts_there():
    """A flattened crumple whose right side the photo cut off: the picture stops just left of the third row's start,
    a hand covers the second row's first 20 mm, and only the first row's start has paper to its left. The third
    row's start agrees with the first's, so it counts: the page is timed from there (the median of the first two
    starts timed it 10 mm late)."""
    px_per_mm, span = 4.0, 1000.0
    mask = np.zeros((600, 1000), bool)
    shown = np.zeros((600, 1000), bool)
    shown[:, :900] = True
    shown[400:, :100] = False                          # the flattened page's edge beside the third row's start
    for y, start in ((100, 100), (300, 180), (500, 101)):
        mask[y - 1: y + 1, start:900] = True
    bands = [(0, 200), (200, 400), (400, 600)]
    x_start, _, how = time_span(mask, shown, bands, [4, 4, 4], px_per_mm, span, span / 5000, 2.0, 10.0, 11.5)
    assert how == "trace start (its end is out of the picture)"
    assert x_start == pytest.approx(101.0, abs=1.0)


def test_a_rhythm_strip_whose_end_is_lost_does_not_time_the_page(page_dir):
    """The rhythm strip's last 0.3 s gone (a faint end under the ink threshold, as on a dim photo): the page is timed
    from the rows' median end, so the three rows that end where the page's time ends outvote it (timed from the
    rhythm strip alone, every lead was 0.3 s early)."""
    rgb = cv2.imread(str(page_dir / "page.png"))[:, :, ::-1].copy()
    truth = wfdb.rdrecord(str(page_dir / "page")).p_signal
    sidecar = json.loads((page_dir / "page.json").read_text())
    rhythm = np.array(next(lead for lead in sidecar["leads"] if lead["is_rhythm"])["plotted_pixels"])
    rgb[int(rhythm[:, 0].min()) - 20: int(rhythm[:, 0].max()) + 20,
        int(rhythm[-1, 1] - 0.3 * sidecar["px_per_second"]):] = 255
    result = digitize_naive(rgb, parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    assert result.detections["x_start"] == pytest.approx(rhythm[0, 1], abs=2.0)
    for lead in ("I", "aVR", "V4", "V6"):
        j = LEAD_NAMES.index(lead)
        assert score_lead(lead, truth[:, j], result.signals[lead], FS).snr > 15.0, lead


@pytest.mark.parametrize("scale", [1.0, 0.36])          # 200 and 72 dpi
def test_a_header_line_across_the_page_is_not_taken_for_a_row(tmp_path, scale):
    """A 7 s record on a 10 s page, under a header whose measurement and interpretation lines span the page: those
    lines covered more of the width than the shortened rows and one was taken for a row (a 72 dpi scan at 12 dB read
    at -1 dB). Heights off the printed grid count half; the header is printed on the paper above it."""
    page = PageSpec(layout="3x4", rhythm_leads=("II",), dpi=200, header=True, seed=2)   # seed 2: a long reading
    write_frame(tmp_path, "short", render_frame(Scene(page=page), beat_record(7.0)))
    rgb = cv2.imread(str(tmp_path / "short.png"))[:, :, ::-1]
    rgb = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale != 1.0 else rgb
    result = digitize_naive(rgb, parse_layout("3x4+1"), Calibration(fs=FS))
    truth = json.loads((tmp_path / "short.json").read_text())
    baselines = sorted({round(lead["plotted_pixels"][0][0]) for lead in truth["leads"] if lead["start_sample"] == 0})
    found = [row["centre_y"] / scale for row in result.detections["rows"]]
    assert found == pytest.approx(baselines, abs=2.5 * 200 / 25.4)   # each row within 2.5 mm of its baseline
    assert result.detections["rows_on_grid"]


def test_rows_are_not_confined_to_a_grid_a_page_does_not_have(tmp_path):
    write_page(tmp_path, grid="none")
    result = digitize_naive(cv2.imread(str(tmp_path / "page.png"))[:, :, ::-1], parse_layout("3x4+1"),
                            Calibration(fs=FS))
    assert not result.detections["rows_on_grid"] and len(result.detections["rows"]) == 4


def test_a_faint_grid_is_measured_without_the_traces():
    """On a 72 dpi scan the grid is faint and the traces are not: rows of trace and a 3x4 page's simultaneous beats
    are periodic too, and with them in the grid map the pitch came out 4x too large (11.3 px/mm for 2.8)."""
    px_per_mm = 72 / 25.4
    h, w = 595, 842
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)

    def lines(coord: np.ndarray) -> np.ndarray:   # 5 mm lines about a pixel wide
        return np.clip(1.0 - np.abs((coord / (5 * px_per_mm) + 0.5) % 1.0 - 0.5) * 5 * px_per_mm / 0.6, 0.0, 1.0)

    trace = np.zeros((h, w), np.uint8)
    beat_px = 0.62 * 25 * px_per_mm                    # 97 bpm: the beats are no multiple of the grid
    xs = np.arange(40, 800)
    phase = (xs - 40) % beat_px
    for row in range(4):
        ys = 160 + 110 * row - 25 * np.exp(-((phase - 10) / 1.5) ** 2) + 8 * np.exp(-((phase - 25) / 5) ** 2)
        cv2.polylines(trace, [np.stack([xs, ys], 1).astype(np.int32)], False, 255, 1)
    ink = (trace / 255.0).astype(np.float32)
    grid = np.maximum(0.08 * np.maximum(lines(x), lines(y)), ink).astype(np.float32)
    for degrees in (0.0, 0.65):
        result = digitize_maps(rotate(ink, degrees), rotate(grid, degrees), parse_layout("3x4+1"), Calibration(),
                               dewarp="never")
        assert result.detections["px_per_mm"] == pytest.approx(px_per_mm, rel=0.01)
        assert result.detections["rotation_deg"] == pytest.approx(-degrees, abs=0.05)


def test_labels_in_scraps_go_and_an_r_wave_in_scraps_stays():
    """A thin grey label on a low-dpi scan passes the ink threshold only in scraps too small to be letters, so it
    stayed and pulled the tracer off the trace; a faint R wave near a column's start passes it only at its tip and
    foot, and its tip (letter-sized) was erased as a label."""
    px_per_mm = 6.0
    ink = np.zeros((300, 900), np.float32)
    ink[200:202, 30:870] = 0.9                                   # the trace, one column from x = 30 mm ...
    cv2.line(ink, (450, 200), (460, 140), 0.3, 1)                 # ... an R wave 3 mm after the third column's start,
    cv2.line(ink, (460, 140), (470, 200), 0.3, 1)                 # its flanks faint
    ink[138:150, 455:466] = np.where(ink[138:150, 455:466] > 0, 0.9, 0.0)   # and its tip dark (2 mm)
    label = np.zeros_like(ink)                                   # a "V" 5 mm above the trace at the second
    cv2.line(label, (245, 150), (253, 172), 0.35, 1)              # column's start: faint strokes ...
    cv2.line(label, (253, 172), (261, 150), 0.35, 1)
    label[(label > 0) & (np.arange(900)[None, :] % 4 == 0)] = 0.8   # ... dark only in scraps of a pixel or two
    ink = np.maximum(ink, label)
    assert (ink[138:150, 455:466] > 0.5).sum() >= 10
    out = erase_labels(ink, n_columns=4, x_start=30.0, width_px=840.0, px_per_mm=px_per_mm)
    assert not (out[140:180, 240:270] > 0).any()                 # the label went, faint strokes and all
    assert (out[138:150, 455:466] == ink[138:150, 455:466]).all()   # the R wave stayed
    assert (out[200:202] == ink[200:202]).all()


@pytest.mark.parametrize("degrees", [0.0, 1.84])
def test_a_black_and_white_grid_is_measured_with_its_lines_in_the_ink(tmp_path, degrees):
    """A black-and-white grid is dark and neutral like the trace, so it is in the ink: measured on the grid with the
    ink taken out, its pitch came from the faint remains (1.7 % off, every lead ~0.1 s late by the page's end); a
    turned page, deskewed, kept dashes of its lines in the ink that the tracer ran along past the trace's end."""
    rgb = cv2.imread(str(write_page(tmp_path, grid="bw")))[:, :, ::-1]
    truth = wfdb.rdrecord(str(tmp_path / "page")).p_signal
    if degrees:
        rgb = rotate(rgb, degrees, border=(255, 255, 255))
    result = digitize_naive(np.ascontiguousarray(rgb), parse_layout("3x4+1"), Calibration(fs=FS), dewarp="never")
    assert result.detections["px_per_mm"] == pytest.approx(200 / 25.4, rel=0.002)
    assert np.mean([score_lead(lead, truth[:, j], result.signals[lead], FS).snr
                    for j, lead in enumerate(LEAD_NAMES)]) > 10.0


def test_a_grid_of_1_mm_lines_alone_is_measured_to_a_fraction_of_a_percent():
    """Where only the 1 mm lines are seen, the period found to a quarter pixel was taken straight to its 97th
    multiple, which lies between two peaks of the autocorrelation there: 7.74 px/mm for 7.87."""
    px_per_mm = 200 / 25.4
    x = np.arange(2200, dtype=np.float64)
    lines = np.clip(1.0 - np.abs((x / px_per_mm + 0.5) % 1.0 - 0.5) * px_per_mm / 0.7, 0.0, 1.0)
    grid = np.maximum(lines[None, :], lines[:1700, None]).astype(np.float32)   # the 1 mm lines, both ways
    pitch = estimate_pitch(grid)
    assert pitch.method == "x:1mm y:1mm"
    assert pitch.px_per_mm == pytest.approx(px_per_mm, rel=0.002)


def test_dashed_grid_lines_go_and_aligned_traces_stay():
    """A black-and-white grid resampled by the deskew breaks into dashes the straight-run eraser misses; its lines are
    the pixel columns and rows ink runs most of the length of, 5 mm apart. A 12x1 page's simultaneous QRS complexes
    line up in columns and a flat rhythm strip runs along a row, but neither recurs 5 mm away."""
    px_per_mm = 4.0
    h, w = 600, 1000
    ink = np.zeros((h, w), np.float32)
    for x in range(20, w, 20):                                   # vertical grid lines, dashed, grey
        ink[:, x] = np.where(np.arange(h) % 7 < 5, 0.45, 0.0)
    for y in range(20, h, 20):                                   # horizontal ones
        ink[y] = np.maximum(ink[y], np.where(np.arange(w) % 9 < 7, 0.45, 0.0))
    trace = np.zeros((h, w), np.float32)
    trace[437, 30:970] = 0.9                                     # a flat rhythm strip along one pixel row
    for top in range(30, 420, 35):                               # twelve rows' QRS complexes, aligned at x = 513
        trace[top: top + 30, 513] = 0.9
    ink = np.maximum(ink, trace)
    out, removed = remove_ruled_lines(ink, np.ones((h, w), np.float32), px_per_mm)
    assert removed == len(range(20, w, 20)) + len(range(20, h, 20))
    assert not (out[:, 20::20] > 0).any() and not (out[20::20] > 0).any()
    off_grid = np.ones(w, bool)
    off_grid[20::20] = False                                     # a trace keeps all but its crossings with lines
    assert (out[437, off_grid][1:-1] == trace[437, off_grid][1:-1]).all()
    assert (out[off_grid[:h], 513] == trace[off_grid[:h], 513]).all()


def _wavy_grid(h: int, w: int, px_per_mm: float, dotted: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A dark 5 mm grid as a flattened photo leaves it, every line wavy by up to 1.5 px (dotted: 1 mm dots): ink maps
    of its vertical and of its horizontal lines."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    period = 5.0 * px_per_mm
    wx = x + 1.5 * np.sin(2 * np.pi * y / 310.0)             # where each pixel lies on the page, bent
    wy = y + 1.5 * np.sin(2 * np.pi * x / 270.0 + 1.0)
    on_v = np.abs((wx - 12.0 + period / 2) % period - period / 2) < 0.8
    on_h = np.abs((wy - 12.0 + period / 2) % period - period / 2) < 0.8
    if dotted:
        on_v &= ((wy + 0.5) % px_per_mm) < 1.5
        on_h &= ((wx + 0.5) % px_per_mm) < 1.5
    return on_v.astype(np.float32) * 0.9, on_h.astype(np.float32) * 0.9


def _trace_with_pulse(h: int, w: int, px_per_mm: float, baseline: int) -> np.ndarray:
    """A row's trace: a 10 mm calibration pulse 5 mm wide, then a baseline with a 12 mm R wave every 20 mm."""
    ink = np.zeros((h, w), np.float32)
    x0, top = 30, baseline - int(10 * px_per_mm)
    pw = int(5 * px_per_mm)
    ink[top: baseline + 1, x0] = ink[top: baseline + 1, x0 + pw] = ink[top, x0: x0 + pw + 1] = 1.0
    xs = np.arange(x0 + pw + 8, w - 10)
    ys = np.full(xs.size, float(baseline))
    for c in range(x0 + pw + 40, w - 30, int(20 * px_per_mm)):      # R waves: up 12 mm over 1 mm, down over 1 mm
        up = np.abs(xs - c) < px_per_mm
        ys[up] = baseline - 12 * px_per_mm * (1 - np.abs(xs[up] - c) / px_per_mm)
    for a, b, ya, yb in zip(xs[:-1], xs[1:], ys[:-1], ys[1:]):
        lo, hi = sorted((int(round(ya)), int(round(yb))))
        ink[lo: hi + 2, a] = 1.0                                     # 2 px thick, steep parts joined
    return ink


@pytest.mark.parametrize("dotted", [False, True])
def test_a_dark_wavy_grid_loses_its_rows_and_the_trace_and_pulse_stay(dotted):
    """A flattened photo of a page with a dark grid: its lines are in the ink and wavy by a pixel or two, so neither
    pixel-row eraser finds them. The horizontal ones, locally straight and 5 mm apart on both sides, go; the
    vertical ones stay (the tracer crosses them), and so do the trace, whose R waves stand on vertical lines, and
    the calibration pulse, its edges 5 mm apart, but for the pixels they share with a horizontal line."""
    px_per_mm, h, w = 4.0, 420, 900
    vertical, horizontal = _wavy_grid(h, w, px_per_mm, dotted)
    grid = np.maximum(vertical, horizontal)
    trace = _trace_with_pulse(h, w, px_per_mm, baseline=222)       # half-way between two lines
    ink = np.maximum(grid, trace)
    out, removed = remove_wavy_grid_rows(ink, px_per_mm)
    near_trace = cv2.dilate((trace > 0).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    rows = (grid > 0.5) & (vertical < 0.5) & ~near_trace
    assert removed > 0 and (out[rows] > 0.5).mean() < 0.05         # measured 0.0 (lines and dots)
    assert (out[(vertical > 0.5) & ~near_trace] > 0.5).mean() > 0.75  # all but crossings (0.80)
    kept = (out > 0.5) & (trace > 0.5)
    assert kept[(trace > 0.5) & (grid < 0.5)].mean() > 0.9         # off the lines, all but crossings (0.95, 0.93)
    pulse = np.zeros_like(kept)
    pulse[:, 25:55] = True
    assert kept[pulse & (trace > 0.5)].mean() > 0.75               # the pulse keeps its edges and top (0.84)


def test_a_page_whose_grid_is_not_in_the_ink_keeps_its_ink():
    """Only a grid that makes up much of the ink is erased: a trace with a few line-like scraps is left alone."""
    px_per_mm, h, w = 4.0, 420, 900
    ink = _trace_with_pulse(h, w, px_per_mm, baseline=212)
    ink[112, 100:400] = ink[132, 100:400] = ink[92, 100:400] = 0.9   # three dark scraps of grid line, 5 mm apart
    out, removed = remove_wavy_grid_rows(ink, px_per_mm)
    assert removed == 0 and out is ink
