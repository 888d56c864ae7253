"""rerender: a sidecar gives back the same frame byte for byte, with added passes or changed values; bad input is one
line and leaves what exists alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "assets" / "records"
# a flat page and small photographed frames: both paths, quick on a CPU renderer
CONFIG = """
page.dpi: 100
one_of:
  choice:
    - {extends: clean}
    - {extends: phone_photo, camera: {width_px: 400, height_px: 300}, sheet.cell_mm: 6}
    - {extends: folded_letter, camera: {width_px: 400, height_px: 300}, sheet.cell_mm: 6}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A generate run of 5 frames over the bundled records (flat and photographed)."""
    folder = tmp_path_factory.mktemp("run")
    (folder / "small.yaml").write_text(CONFIG)
    assert main(["generate", "-o", str(folder / "out"), "-n", "5", "--seed", "11", "--config",
                 str(folder / "small.yaml"), "--input", str(RECORDS), "--no-progress"]) == 0
    return folder / "out"


def sidecars(out: Path) -> list[Path]:
    return sorted(out.glob("000/*.json"))


def test_sidecars_give_back_the_same_frames_with_added_passes(run: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert main(["rerender", *map(str, sidecars(run)), "-o", str(again), "--gt-passes", "depth,object",
                 "--no-progress"]) == 0
    photographed = 0
    for path in sidecars(run):
        old, new = json.loads(path.read_text()), json.loads((again / path.name).read_text())
        for name in [old["image"], *old["masks"].values(), f"{path.stem}.hea", f"{path.stem}.dat"]:
            assert (again / name).read_bytes() == (path.parent / name).read_bytes(), name
        assert [lead["plotted_pixels"] for lead in new["leads"]] == [lead["plotted_pixels"] for lead in old["leads"]]
        assert new["scene"] == old["scene"] and new["source"] == old["source"]
        if old["scene"]["sheet"] is not None:  # photographed: the asked passes, drawn where the image has things
            photographed += 1
            assert sorted(new["passes"]) == ["depth", "object"]
            depth, obj = (np.load(again / new["passes"][k]) for k in ("depth", "object"))
            assert depth.shape == obj.shape == (new["height"], new["width"])
            assert (depth[obj > 0] > 0).all() and (obj == 2).mean() > 0.2
    assert photographed >= 2


def test_a_simulated_record_is_rebuilt_from_its_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    (tmp_path / "small.yaml").write_text(CONFIG)
    assert main(["generate", "-o", str(out), "-n", "1", "--seed", "2", "--config", str(tmp_path / "small.yaml"),
                 "--input", "synthetic", "--no-progress"]) == 0
    (path,) = sidecars(out)
    assert main(["rerender", str(path), "-o", str(tmp_path / "again")]) == 0
    image = json.loads(path.read_text())["image"]
    assert (tmp_path / "again" / image).read_bytes() == (path.parent / image).read_bytes()
    alone = tmp_path / "alone" / "x" / path.name  # the sidecar without its run
    alone.parent.mkdir(parents=True)
    shutil.copy(path, alone)
    capsys.readouterr()
    assert main(["rerender", str(alone), "-o", str(tmp_path / "nope")]) == 2
    assert "run.json" in capsys.readouterr().err
    # an edited source or run.json is refused in one line (a numpy seed error, a TypeError before)
    sidecar = json.loads(path.read_text())
    edited = path.with_name("edited.json")
    for seed, message in (("x", "source.run_seed is 'x', not an integer"), (None, "source.run_seed is None"),
                          (float("nan"), "not JSON (NaN is not a JSON value)")):
        edited.write_text(json.dumps({**sidecar, "source": {**sidecar["source"], "run_seed": seed}}))
        assert main(["rerender", str(edited), "-o", str(tmp_path / "nope")]) == 2
        assert message in capsys.readouterr().err
    edited.write_text(json.dumps({**sidecar, "source": -1}))
    assert main(["rerender", str(edited), "-o", str(tmp_path / "nope")]) == 2
    assert "its source is -1, not the mapping" in capsys.readouterr().err
    (out / "run.json").write_text("[]")
    assert main(["rerender", str(path), "-o", str(tmp_path / "nope")]) == 2
    assert "not a generate run's record" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_a_frame_made_by_other_code_is_noted(run: Path, tmp_path: Path, capsys) -> None:
    """Its sidecar's made_by says another version drew it: the frame is rendered, with a note that it may differ."""
    old = tmp_path / "old"
    old.mkdir()
    path = sidecars(run)[0]
    for f in path.parent.glob(f"{path.stem}*"):
        shutil.copy(f, old / f.name)
    sidecar = json.loads(path.read_text())
    sidecar["made_by"] = {**sidecar["made_by"], "code": "0123456789abcdef"}
    (old / path.name).write_text(json.dumps(sidecar))
    assert main(["rerender", str(old / path.name), "-o", str(tmp_path / "again"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "note: 1 of them" in out and "code 0123456789abcdef" in out
    assert main(["rerender", str(path), "-o", str(tmp_path / "same"), "--no-progress"]) == 0
    assert "note" not in capsys.readouterr().out


def test_set_changes_that_value_of_that_frame(run: Path, tmp_path: Path) -> None:
    path = next(p for p in sidecars(run) if json.loads(p.read_text())["scene"]["sheet"] is not None)
    assert main(["rerender", str(path), "-o", str(tmp_path), "--set", "camera.width_px=320",
                 "--set", "post.read_noise=0"]) == 0
    new = json.loads((tmp_path / path.name).read_text())
    assert (new["width"], new["scene"]["camera"]["width_px"], new["scene"]["post"]["read_noise"]) == (320, 320, 0)
    assert new["rerender"]["set"] == {"camera.width_px": 320, "post.read_noise": 0}


def test_a_page_frame_needs_its_record(tmp_path: Path, capsys) -> None:
    record = RECORDS / "ptbxl" / "00001_lr"
    assert main(["page", str(record), "-o", str(tmp_path / "page"), "--dpi", "100"]) == 0
    (path,) = (tmp_path / "page").glob("*.json")
    assert main(["rerender", str(path), "-o", str(tmp_path / "a")]) == 2
    assert "--input" in capsys.readouterr().err
    assert main(["rerender", str(path), "-o", str(tmp_path / "b"), "--input", str(record)]) == 0
    image = json.loads(path.read_text())["image"]
    assert (tmp_path / "b" / image).read_bytes() == (path.parent / image).read_bytes()


def test_a_page_frame_rerendered_into_its_records_folder_never_overwrites_the_record(tmp_path: Path, capsys) -> None:
    """A page's sidecar is named after its record: rerendering it with --input REC -o REC's folder replaced the
    record by the frame's window."""
    for f in (RECORDS / "ptbxl").glob("00001_lr.*"):
        shutil.copy(f, tmp_path / f.name)
    assert main(["page", str(tmp_path / "00001_lr"), "-o", str(tmp_path / "page"), "--dpi", "100"]) == 0
    before = {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.is_file()}
    capsys.readouterr()
    assert main(["rerender", str(tmp_path / "page" / "00001_lr.json"), "--input", str(tmp_path / "00001_lr"),
                 "-o", str(tmp_path)]) == 2
    assert "would overwrite its input record" in capsys.readouterr().err
    assert {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.is_file()} == before


@pytest.mark.parametrize("case, message", [
    ("not_json", "not JSON"),
    ("no_scene", "not a frame sidecar"),
    ("own_folder", "would be overwritten"),
    ("unknown_key", "camera.widthpx: unknown key"),
    ("out_of_range", "camera.width_px: -3 is out of range"),
    ("malformed_set", "is not KEY=VALUE"),
    ("bad_pass", "unknown pass 'albedo'"),
])
def test_bad_input_is_one_line_and_touches_nothing(run: Path, tmp_path: Path, capsys, case: str,
                                                   message: str) -> None:
    path = next(p for p in sidecars(run) if json.loads(p.read_text())["scene"]["sheet"] is not None)
    before = {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}
    args = {"not_json": [str(run / "000" / f"{path.stem}.hea"), "-o", str(tmp_path)],
            "no_scene": [str(run / "run.json"), "-o", str(tmp_path)],
            "own_folder": [str(path), "-o", str(path.parent)],
            "unknown_key": [str(path), "-o", str(tmp_path), "--set", "camera.widthpx=320"],
            "out_of_range": [str(path), "-o", str(tmp_path), "--set", "camera.width_px=-3"],
            "malformed_set": [str(path), "-o", str(tmp_path), "--set", "camera.width_px"],
            "bad_pass": [str(path), "-o", str(tmp_path), "--gt-passes", "albedo"]}[case]
    capsys.readouterr()
    assert main(["rerender", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err, err
    assert {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()} == before
    assert not list(tmp_path.glob("*.json"))


def test_a_record_named_relative_to_another_folder_asks_for_input(run: Path, tmp_path: Path, capsys) -> None:
    sidecar = json.loads(sidecars(run)[0].read_text())
    sidecar["source"]["input"] = "records/elsewhere/100"  # as generate stores an --input given relative to its folder
    moved = tmp_path / "copy" / "frame.json"
    moved.parent.mkdir()
    moved.write_text(json.dumps(sidecar))
    assert main(["rerender", str(moved), "-o", str(tmp_path / "out")]) == 2
    assert "relative to the folder generate ran in" in capsys.readouterr().err
