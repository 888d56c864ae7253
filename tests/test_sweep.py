"""The sweep API: grids and random draws over dotted scene keys, rendered with their parameters in the JSON."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from simulator.errors import InputError
from simulator.layout import PageSpec
from simulator.records import load_record
from simulator.scene import Scene
from simulator.sweep import contact_sheet, grid, random_draws, render_sweep, set_path, with_values

RECORD = Path(__file__).resolve().parent.parent / "assets" / "records" / "ptbxl" / "00001_lr"
BASE = Scene(page=PageSpec(dpi=100))


def test_grid_covers_every_combination():
    variants = grid(BASE, {"page.grid": ["red", "green", "bw"], "page.gain_mm_mv": [5.0, 10.0]})
    assert len(variants) == 6
    assert [v.params for v in variants[:2]] == [{"page.grid": "red", "page.gain_mm_mv": 5.0},
                                                {"page.grid": "red", "page.gain_mm_mv": 10.0}]
    assert all(v.scene.page.grid == v.params["page.grid"] for v in variants)
    assert all(v.scene.page.dpi == 100 for v in variants)


def test_random_draws_are_seeded():
    dists = {"page.trace_width_mm": {"uniform": [0.2, 0.5]}, "page.grid": {"choice": ["red", "pink"]}}
    a, b = random_draws(BASE, dists, 5, seed=3), random_draws(BASE, dists, 5, seed=3)
    assert [v.params for v in a] == [v.params for v in b] and len(a) == 5
    assert all(0.2 <= v.scene.page.trace_width_mm < 0.5 for v in a)


def test_bad_keys_and_values_name_the_key():
    with pytest.raises(InputError, match="page.dpii: unknown key"):
        with_values(BASE, {"page.dpii": 3})
    with pytest.raises(InputError, match="page.dpi: 20 is out of range"):
        grid(BASE, {"page.dpi": [20]})


def test_a_sweep_is_checked_before_anything_is_drawn():
    """A distribution reaching out of its key's range is refused before any draw (it would fail at a random one),
    and an empty axis or a count below one is refused rather than giving no frames."""
    from simulator.config import preset_scene
    photo = preset_scene("phone_photo", 0)
    with pytest.raises(InputError, match=r"^camera\.tilt_deg: 95\.0 is out of range"):
        random_draws(photo, {"camera.tilt_deg": {"uniform": [0, 95]}}, 3)
    with pytest.raises(InputError, match=r"^lighting\.lights\[0\]\.intensity: -1\.0 is out of range"):
        random_draws(photo, {"lighting.lights.0.intensity": {"uniform": [-1, 2]}}, 3)
    with pytest.raises(InputError, match=r"^n: 0 draws"):
        random_draws(photo, {"camera.tilt_deg": {"uniform": [0, 30]}}, 0)
    with pytest.raises(InputError, match=r"^camera\.tilt_deg: a sweep axis needs at least one value"):
        grid(photo, {"camera.tilt_deg": [], "camera.roll_deg": [0, 5]})
    assert len(random_draws(photo, {"lighting.lights.0.intensity": {"uniform": [0.5, 2]}}, 3)) == 3


def test_set_path_indexes_lists():
    tree = {"lights": [{"intensity": 1.0}, {"intensity": 2.0}]}
    set_path(tree, "lights.1.intensity", 5.0)
    assert tree["lights"][1]["intensity"] == 5.0
    with pytest.raises(InputError, match="has no item 4"):
        set_path(tree, "lights.4.intensity", 1.0)


def test_render_sweep_writes_frames_with_their_params(tmp_path):
    record = load_record(RECORD, 0.0, 10.0)
    variants = grid(BASE, {"page.grid": ["red", "green"], "page.minor_grid": ["lines", "dots"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = render_sweep(variants, record, out_dir=tmp_path, prefix="s")
    assert len(frames) == 4
    for i, f in enumerate(frames):
        truth = json.loads((tmp_path / f"s_{i:03d}.json").read_text())
        assert truth["sweep"] == {"index": i, "params": variants[i].params}
        assert truth["scene"]["page"]["grid"] == variants[i].params["page.grid"]
        assert f"s_{i:03d}.png" in f.files
    assert frames[0].frame.image.shape == frames[1].frame.image.shape
    assert (frames[0].frame.image != frames[2].frame.image).any()  # red vs green grid


def test_contact_sheet_tiles_thumbnails():
    images = [np.full((100, 200, 3), v, np.uint8) for v in (0, 100, 200)]
    sheet = contact_sheet(images, ["a", "b", "c"], columns=2, thumb_width=50)
    assert sheet.shape == (2 * 25, 2 * 50, 3) and sheet.dtype == np.uint8
    assert sheet[20, 60:90].mean() > 90  # the second thumbnail, below its label
    for args in (([], [], 2), (images, ["a"], 2), (images, ["a", "b", "c"], 0)):  # were ValueError, ZeroDivision
        with pytest.raises(InputError, match="^contact sheet: "):
            contact_sheet(*args)


def test_a_prefix_wfdb_cannot_name_is_refused_before_anything_is_written(tmp_path):
    """The prefix names each frame's WFDB truth record, which wfdb refused after the image and masks were out."""
    record = load_record(RECORD, 0.0, 10.0)
    with pytest.raises(InputError, match="^prefix: 'my sweep' is not a WFDB record name"):
        render_sweep(grid(BASE, {"page.grid": ["red"]}), record, out_dir=tmp_path / "out", prefix="my sweep")
    assert not (tmp_path / "out").exists()


def test_camera_sweep_reuses_one_renderer():
    from simulator import workers
    from simulator.config import load_config, merge, sample_scene

    small = {"page": {"dpi": 100}, "camera": {"width_px": 160, "height_px": 120}, "sheet": {"cell_mm": 8.0}}
    base = sample_scene(merge(load_config("phone_photo"), small), np.random.default_rng(0))
    variants = grid(base, {"camera.tilt_deg": [0.0, 30.0], "camera.azimuth_deg": [-90.0, 90.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = render_sweep(variants[:1], load_record(RECORD, 0.0, 10.0))
        renderer = workers.process_renderer()
        frames = render_sweep(variants, load_record(RECORD, 0.0, 10.0))
    assert workers.process_renderer() is renderer and len(frames) == 4
    assert (first[0].frame.image == frames[0].frame.image).all()
    assert [f.frame.truth["sweep"]["params"]["camera.tilt_deg"] for f in frames] == [0.0, 0.0, 30.0, 30.0]
    assert frames[0].frame.image.shape == (120, 160, 3)
    assert (frames[0].frame.image != frames[2].frame.image).any()


def _without_reuse(monkeypatch) -> None:
    """Every stage's last result forgotten (:mod:`simulator.reuse`), so the next frame is made from scratch."""
    from simulator import frame, photograph, workers
    from simulator.reuse import LastResult

    renderer = workers.process_renderer()
    for owner, name in ((frame, "_LAST_PAGE"), (photograph, "_LAST_DEFORMED"), (photograph, "_LAST_DRAWN"),
                        (photograph, "_LAST_TEXTURE"), (renderer, "_last_page"), (renderer, "_last_sheet"),
                        (renderer, "_last_table"), (renderer, "_last_solids"), (renderer, "_last_table_texture")):
        monkeypatch.setattr(owner, name, LastResult())


def test_a_sweep_reusing_page_sheet_and_texture_makes_the_frames_made_from_scratch(monkeypatch):
    """Variants that keep or change the page, the sheet, the camera, the table, the occluders and the seed, in an
    order that reuses each stage's last result and then needs it again after something else: every frame is the one
    made from scratch."""
    from simulator import workers
    from simulator.config import load_config, merge, sample_scene
    from simulator.reuse import forget_all

    small = {"page": {"dpi": 100}, "camera": {"width_px": 200, "height_px": 150}, "sheet": {"cell_mm": 8.0}}
    base = sample_scene(merge(load_config("folded_letter"), small), np.random.default_rng(2))
    variants = [with_values(base, values) for values in (
        {}, {"lighting.lights.0.intensity": 2.0},
        {"camera.tilt_deg": 25.0, "camera.width_px": 400, "camera.height_px": 300},  # another simplification
        {"page.grid": "green"}, {"ink.notes": 2}, {}, {"sheet.deformations.0.pattern": "half"},  # other creases
        {"seed": base.seed + 1}, {"sheet.tolerance_px": 0.0}, {"background.occluders": []},
        {"background.size_mm": 900.0}, {"background.occluders": []}, {"background.photographer": False},
        {"background.texture_mm": 150.0})]
    record = load_record(RECORD, 0.0, 10.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        swept = [workers.render_scene(scene, record, ["uv", "depth"]) for scene in variants]
        for scene, frame in zip(variants, swept):
            with monkeypatch.context() as patch:
                _without_reuse(patch)
                alone = workers.render_scene(scene, load_record(RECORD, 0.0, 10.0), ["uv", "depth"])
            assert np.array_equal(frame.image, alone.image)
            assert all(np.array_equal(frame.masks[k], alone.masks[k]) for k in alone.masks)
            assert all(np.array_equal(frame.passes[k], alone.passes[k]) for k in alone.passes)
            assert json.dumps(frame.truth) == json.dumps(alone.truth)
    forget_all()  # the restored last results describe buffers the frames made alone have since overwritten
    assert not np.array_equal(swept[0].image, swept[1].image)  # each change shows
    assert not np.array_equal(swept[0].image, swept[3].image)
    assert np.array_equal(swept[0].image, swept[5].image)
