"""The oracle digitizer inverts the whole chain: its signals score > 60 dB against the truth on flat and 3D frames,
hidden samples come back NaN, and the case study's driver runs end to end on one clean frame. The chain's exact
flattening (``digitize run --dewarp exact``) lays a photographed frame's trace where the flat page has it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys

import cv2
import numpy as np
import pytest

from eval import score_folders
from digitize.cli import main as digitize_main
from digitize.layouts import parse_layout
from eval.oracle import exact_flat_maps, oracle_record, write_oracle_record
from simulator.config import preset_scene
from simulator.frame import render_frame, write_frame
from simulator.gl_context import create_context
from simulator.layout import PageSpec
from simulator.records import load_record
from simulator.renderer import Renderer
from simulator.scene import Scene

from .conftest import ROOT

RECORD = ROOT / "assets" / "records" / "ptbxl" / "00001_lr"  # 12 leads, 100 Hz, 10 s
PAGE = PageSpec(dpi=100)


@pytest.fixture(scope="module")
def renderer():
    return Renderer(create_context())


def small_photo(preset: str, seed: int, zoom: float = 1.0) -> Scene:
    """A preset's scene at 100 dpi, 25 mm/s, 800×600 px (the preset's framing at half its size), optionally zoomed."""
    scene = preset_scene(preset, seed)
    page = dataclasses.replace(scene.page, dpi=100, speed_mm_s=25.0, gain_mm_mv=10.0, lead_gain_mm_mv={})
    cam = dataclasses.replace(scene.camera, width_px=800, height_px=600, distance_mm=scene.camera.distance_mm * zoom)
    return dataclasses.replace(scene, page=page, camera=cam)


def make_frame(tmp_path, scene: Scene, renderer=None):
    """Render and write one frame into ``tmp_path/ref``; returns its JSON path."""
    ref = tmp_path / "ref"
    ref.mkdir()
    write_frame(ref, "frame", render_frame(scene, load_record(RECORD), renderer))
    return ref / "frame.json"


def oracle_snr(tmp_path, sidecar) -> tuple[float, list]:
    """Challenge SNR of the oracle's record against the frame's truth, and its per-lead scores."""
    rec = oracle_record(sidecar)
    write_oracle_record(tmp_path / "oracle", rec)
    run = score_folders(tmp_path / "ref", tmp_path / "oracle")
    assert rec.n_unsolved == 0 and rec.max_residual_px < 1e-3
    return run.overall["snr"], run.records[0].leads


def test_flat_page_is_recovered_exactly(tmp_path):
    sidecar = make_frame(tmp_path, Scene(page=PAGE))
    snr, leads = oracle_snr(tmp_path, sidecar)
    assert snr > 60.0
    assert all(x.coverage == 1.0 for x in leads)


@pytest.mark.parametrize("preset", ["phone_photo", "folded_letter"])
def test_photographed_frame_is_recovered_exactly(tmp_path, renderer, preset):
    sidecar = make_frame(tmp_path, small_photo(preset, seed=3), renderer)
    _, leads = oracle_snr(tmp_path, sidecar)
    returned = [x.snr / x.coverage for x in leads if x.coverage > 0]  # SNR over the samples it returns
    assert len(returned) >= 10 and min(returned) > 60.0


def test_hidden_samples_come_back_nan(tmp_path, renderer):
    sidecar = make_frame(tmp_path, small_photo("phone_photo", seed=5, zoom=0.6), renderer)  # page edges cropped
    truth = json.loads(sidecar.read_text())
    rec = oracle_record(sidecar)
    hidden = shown = 0
    names = [lead["record_lead"] for lead in truth["leads"]]
    for lead in truth["leads"]:
        if names.count(lead["record_lead"]) > 1:  # a lead also on a rhythm strip: either copy may fill a sample
            continue
        col = rec.signals[lead["start_sample"]:lead["end_sample"], rec.lead_names.index(lead["record_lead"])]
        visible = np.asarray(lead["visible"])
        np.testing.assert_array_equal(np.isnan(col), ~visible)
        hidden, shown = hidden + (~visible).sum(), shown + visible.sum()
    assert hidden > 100 and shown > 100


def _case_study_module():
    """benchmarks/case_study.py, imported (benchmarks/ is not a package)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import case_study
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return case_study


def test_case_study_driver_runs_on_one_clean_frame(tmp_path):
    case_study = _case_study_module().case_study
    summary = case_study(tmp_path, ["clean"], count=1, seed=0, methods=["oracle", "naive"], eik_dir=None,
                         real_dir=None)
    rows = summary["presets"]["clean"]
    assert rows["oracle"]["snr_mean"] > 60.0 and rows["oracle"]["n_missing"] == 0
    assert rows["naive"]["n_frames"] == 1
    assert rows["naive"]["consistency"] > 10.0   # simulated records obey Einthoven's law; a good reading does too
    assert (tmp_path / "report.html").stat().st_size > 0
    assert (tmp_path / "runs" / "oracle.json").is_file() and (tmp_path / "runs" / "naive.json").is_file()
    assert "| clean | oracle |" in (tmp_path / "summary.md").read_text()

    # a record left by another digitizer (here: made from other code, its signal zeroed) is read again on a rerun,
    # never scored as it stands
    record = next((tmp_path / "digitized" / "naive").rglob("*.hea")).with_suffix("")
    sidecar = record.with_suffix(".json")
    made = json.loads(sidecar.read_text())
    made["made_from"]["code"] = "another digitizer"
    sidecar.write_text(json.dumps(made))
    record.with_suffix(".dat").write_bytes(bytes(record.with_suffix(".dat").stat().st_size))
    again = case_study(tmp_path, ["clean"], count=1, seed=0, methods=["naive"], eik_dir=None, real_dir=None)
    assert again["presets"]["clean"]["naive"]["snr_mean"] == pytest.approx(rows["naive"]["snr_mean"], abs=1e-6)

    # the digitizer reading the frame flattened with its own geometry: a flat page's is the identity
    exact = case_study(tmp_path, ["clean"], count=1, seed=0, methods=["naive_exact"], eik_dir=None, real_dir=None)
    assert exact["presets"]["clean"]["naive_exact"]["snr_mean"] == pytest.approx(rows["naive"]["snr_mean"], abs=1.0)
    assert any((tmp_path / "digitized" / "naive_exact").rglob("*.hea"))

    # images without signals (real photos) get the self-consistency estimate alone
    real = tmp_path / "real_in"
    real.mkdir()
    shutil.copyfile(next((tmp_path / "frames" / "clean").rglob("*.png")), real / "ecg00033.png")
    summary = case_study(tmp_path, ["clean"], count=1, seed=0, methods=["naive"], eik_dir=None, real_dir=real)
    assert summary["real"]["naive"] > 10.0
    assert "| real photos and scans | naive | 1 | — ± — |" in (tmp_path / "summary.md").read_text()


def test_exact_flattening_lays_the_photographed_trace_where_the_flat_page_has_it(tmp_path, renderer):
    scene = small_photo("phone_photo", seed=3)
    sidecar = make_frame(tmp_path, scene, renderer)
    truth = json.loads(sidecar.read_text())
    map_x, map_y, px_per_mm = exact_flat_maps(truth)
    w_mm, h_mm = truth["paper"]["width_mm"], truth["paper"]["height_mm"]
    assert map_x.shape == (round(h_mm * px_per_mm), round(w_mm * px_per_mm))
    # every visible sample: its flat-page position, through the maps, is its plotted pixel in the photo
    page_frame = render_frame(Scene(page=scene.page, seed=scene.seed), load_record(RECORD))
    flat = page_frame.truth
    page_px = truth["dpi"] / 25.4
    worst, n = 0.0, 0
    for lead, flat_lead in zip(truth["leads"], flat["leads"]):
        shown = np.asarray(lead["visible"], bool)
        img = np.array([r for r, v in zip(lead["plotted_pixels"], shown) if v], float)     # [y, x], centres +0.5
        page = np.array([r for r, v in zip(flat_lead["plotted_pixels"], shown) if v], float) * (px_per_mm / page_px)
        at = np.stack([cv2.remap(m, (page[:, 1] - 0.5).astype(np.float32)[None], (page[:, 0] - 0.5).astype(
            np.float32)[None], cv2.INTER_LINEAR)[0] for m in (map_y, map_x)], 1) + 0.5
        inside = (page[:, 1] < map_x.shape[1] - 1) & (page[:, 0] < map_x.shape[0] - 1)
        worst, n = max(worst, float(np.abs(at - img)[inside].max(initial=0.0))), n + int(inside.sum())
    assert n > 1000 and worst < 0.05
    # and the renderer agrees: the photo's trace mask, flattened, lies on the flat page's trace mask
    mask = cv2.imread(str(sidecar.with_name(truth["masks"]["trace"])), cv2.IMREAD_UNCHANGED)  # lead number, 0: none
    flat_mask = cv2.remap(mask, map_x, map_y, cv2.INTER_NEAREST, borderValue=0) > 0
    page_mask = page_frame.masks["trace"] > 0
    near = cv2.dilate(cv2.resize(page_mask.astype(np.uint8), flat_mask.shape[::-1], interpolation=cv2.INTER_AREA),
                      np.ones((3, 3), np.uint8)) > 0
    assert flat_mask.sum() > 2000 and (flat_mask & near).sum() / flat_mask.sum() > 0.95


def test_dewarp_exact_reads_a_frame_with_its_own_geometry_and_refuses_what_has_none(tmp_path, renderer, capsys):
    sidecar = make_frame(tmp_path, small_photo("phone_photo", seed=3), renderer)
    truth = json.loads(sidecar.read_text())
    image = sidecar.with_name(truth["image"])
    options = list(_case_study_module().calibration(truth))   # the page's layout, speed, gain, duration, rate
    layout = options[options.index("--layout") + 1]
    out = tmp_path / "exact"
    assert digitize_main(["run", str(image), *options, "-o", str(out), "--dewarp", "exact"]) == 0
    read = json.loads((out / "frame.json").read_text())
    assert read["flattening"]["reason"] == "given" and len(read["rows"]) == len(parse_layout(layout).rows)
    settings = read["made_from"]["settings"]
    assert settings["dewarp"] == "exact" and len(settings["sidecar_sha256"]) == 64
    capsys.readouterr()

    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(image, alone / image.name)
    small = tmp_path / "small"
    small.mkdir()
    shutil.copyfile(sidecar, small / sidecar.name)
    rgb = cv2.imread(str(image))
    cv2.imwrite(str(small / image.name), cv2.resize(rgb, (rgb.shape[1] // 2, rgb.shape[0] // 2)))
    for folder, message in ((alone, "has no frame sidecar frame.json beside it"),
                            (small, "is 400x300 px but its frame was rendered at 800x600")):
        assert digitize_main(["run", str(folder / image.name), "-o", str(tmp_path / "x"), "--dewarp", "exact"]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith("error: --dewarp exact:") and message in err
