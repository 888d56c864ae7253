"""Configs: distributions, extends/merge, validation errors that name the key, presets that all render."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from simulator import distributions as dists
from simulator.config import expand_dotted, load_config, merge, preset_names, sample_scene, validate_config
from simulator.errors import InputError
from simulator.records import load_record
from simulator.workers import render_scene

RECORD = Path(__file__).resolve().parent.parent / "assets" / "records" / "ptbxl" / "00001_lr"


def draws(node: dict, n: int = 400) -> list:
    d = dists.parse(node, "x")
    rng = np.random.default_rng(0)
    return [d.sample(rng) for _ in range(n)]


def test_distributions_stay_in_their_support():
    assert all(2.0 <= v < 5.0 for v in draws({"uniform": [2, 5]}))
    ints = draws({"int_uniform": [1, 3]})
    assert set(ints) == {1, 2, 3} and all(isinstance(v, int) for v in ints)
    assert all(-1.0 <= v <= 1.0 for v in draws({"normal": [0, 5], "clip": [-1, 1]}))
    logs = draws({"log_uniform": [1, 1000]})
    assert all(1 <= v <= 1000 for v in logs) and np.median(logs) < 100  # log-uniform: median near 31.6
    assert set(draws({"int_log_uniform": [1, 4]})) <= {1, 2, 3, 4}
    assert draws({"constant": [1, 2]}, 3) == [[1, 2]] * 3


def test_choice_weights():
    picked = draws({"choice": {"a": 1, "b": 0, "c": 3}}, 800)
    assert "b" not in picked and 0.65 < picked.count("c") / len(picked) < 0.85
    assert set(draws({"choice": [1, 2], "weights": [0, 1]}, 50)) == {2}


@pytest.mark.parametrize("node, message", [
    ({"uniform": [3, 1]}, "above high"),
    ({"uniform": [1]}, "two numbers"),
    ({"log_uniform": [0, 1]}, "low > 0"),
    ({"normal": [0, -1]}, "std ≥ 0"),
    ({"choice": []}, "non-empty"),
    ({"choice": [1, 2], "weights": [1]}, "2 options but 1 weights"),
    ({"choice": [1, 2], "weights": [0, 0]}, "add up to 0"),
    ({"uniform": [0, 1], "clip": [0, 1]}, "unknown key 'clip'"),
    ({"int_uniform": [0.5, 2]}, "must be integers"),
    # found by mutating the presets' configs: each was a numpy traceback when the first frame was drawn
    ({"uniform": [float("nan"), 1]}, "two finite numbers"),
    ({"log_uniform": [1, float("inf")]}, "two finite numbers"),
    ({"uniform": [-1e308, 1e308]}, "two finite numbers"),  # numpy cannot draw across a span wider than a float
    ({"int_uniform": [0, 2**70]}, "fit in 64 bits"),
    ({"choice": [1, 2], "weights": 3}, "weights needs a list"),
    ({"choice": [1, 2], "weights": [1e308, 1e308]}, "more than a float holds"),
])
def test_bad_distributions(node, message):
    with pytest.raises(InputError, match=message):
        dists.parse(node, "x")


def test_dotted_keys_and_merge():
    assert expand_dotted({"page.dpi": 100, "page": {"grid": "red"}}) == {"page": {"dpi": 100, "grid": "red"}}
    base = {"page": {"dpi": {"int_uniform": [100, 200]}, "grid": "red"}}
    merged = merge(base, {"page": {"dpi": 150}})
    assert merged == {"page": {"dpi": 150, "grid": "red"}}
    # a distribution replaces a mapping wholesale rather than merging into it
    assert merge({"a": {"b": 1}}, {"a": {"choice": [1, 2]}}) == {"a": {"choice": [1, 2]}}


def test_extends_toml_and_yaml(tmp_path):
    (tmp_path / "base.toml").write_text('extends = "scanner"\n[page]\ndpi = 100\ngrid = "green"\n')
    (tmp_path / "top.yaml").write_text("extends: base.toml\npage.grid: bw\n")
    config = load_config(tmp_path / "top.yaml")
    validate_config(config)
    scene = sample_scene(config, np.random.default_rng(1))
    assert (scene.preset, scene.page.dpi, scene.page.grid) == ("scanner", 100, "bw")


def test_extends_cycle_is_an_error(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(InputError, match="extends itself"):
        load_config(tmp_path / "a.yaml")


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe\x00not text", "--config: c.yaml is not UTF-8 text"),  # was a UnicodeDecodeError traceback
    (b"extends: 5\n", "extends: 5 is not a preset name, a file name or a list of them"),  # was a TypeError
    (b"extends: [scanner, glossy]\n", "extends: unknown preset 'glossy'"),  # named --preset, which was not given
])
def test_a_config_file_that_cannot_be_one_is_refused_in_one_line(tmp_path, content, message):
    (tmp_path / "c.yaml").write_bytes(content)
    with pytest.raises(InputError, match=f"^{message}"):
        load_config(tmp_path / "c.yaml")


def test_a_folder_or_a_sidecar_given_as_config_is_named_for_what_it_is(tmp_path):
    (tmp_path / "frame.json").write_text("{}")
    with pytest.raises(InputError, match=r"^--config: .* is a folder, not a config file"):
        load_config(tmp_path)
    with pytest.raises(InputError, match=r"^--config: frame.json is not a config file \(.yaml, .yml or .toml\)"):
        load_config(tmp_path / "frame.json")
    (tmp_path / "scanner").mkdir()  # a folder named like a preset does not hide the preset
    (tmp_path / "c.yaml").write_text("extends: scanner\n")
    assert load_config(tmp_path / "c.yaml")["preset"] == "scanner"


@pytest.mark.parametrize("config, message", [
    ({"page.dpii": 100}, "page.dpii: unknown key"),
    ({"camera_x": 1}, "camera_x: unknown key"),
    ({"page.dpi": 50}, "page.dpi: 50 is out of range"),
    ({"page.dpi": "high"}, "page.dpi: expected an integer"),
    ({"page.dpi": {"uniform": [100, 200]}}, "page.dpi: integer key; use int_uniform"),
    ({"page.dpi": {"int_uniform": [50, 200]}}, "page.dpi: 50 is out of range"),
    ({"page.grid": {"choice": ["red", "purple"]}}, "page.grid: 'purple' is not one of"),
    ({"page.trace_width_mm": {"normal": [0.3, 0.1]}}, "page.trace_width_mm: an unclipped normal"),
    ({"page.speed_mm_s": {"uniform": [10, 30]}}, "page.speed_mm_s: takes one of"),
    ({"page.grid": {"uniform": [0, 1]}}, "page.grid: a uniform distribution gives numbers"),
    ({"seed": 3}, "seed: set per frame"),
    ({"page": {"one_of": [{"layout": "12x1", "rhythm_leads": ["II"]}]}}, "rhythm strips go with"),
    ({"page": {"one_of": 3}}, "page.one_of: expected a list of mappings"),
    ({"page.redacted_lines": 5}, "page.redacted_lines: 5 is out of range"),
    ({"page.trace_rgb": [20, 20, 300]}, "page.trace_rgb[2]: 300 is out of range (must be ≤ 255)"),
    ({"page.paper_rgb": [255, -1, 255]}, "page.paper_rgb[1]: -1 is out of range (must be ≥ 0)"),
    ({"post.msaa": 3}, "post.msaa: 3 is not one of"),
    ({"post.msaa": 4}, "post.msaa: 4 would smooth the edges twice; set scene.post.edge_aa: false"),
    ({"background.photographer": "yes"}, "background.photographer"),
    ({"lighting": {"lights": [{"kind": "point", "size_mm": -1.0}]}}, "size_mm: -1.0 is out of range"),
    ({"sheet.deformations": [{"kind": {"choice": ["curl", "wrinkles"]}}]}, "kind: {'choice'"),  # was a TypeError
])
def test_validation_names_the_key(config, message):
    with pytest.raises(InputError) as err:
        validate_config(expand_dotted(config))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_an_error_quotes_at_most_a_short_piece_of_what_was_written():
    """A mistake inside a preset-sized sub-tree quotes its start, not the thousands of characters after it."""
    options = [{"camera": {"width_px": 320 + i, "target": [{"uniform": [0, 1]}, 0.0, 0.0]}} for i in range(40)]
    with pytest.raises(InputError) as err:
        validate_config({"one_of": [*options, "1e3"]})
    assert str(err.value).startswith("one_of: expected a list of mappings") and len(str(err.value)) < 160


def test_yaml_numbers_with_an_exponent_are_numbers(tmp_path):
    """PyYAML follows YAML 1.1, where 1e-3 and 2.5e3 are strings; a config means numbers."""
    (tmp_path / "c.yaml").write_text("extends: phone_photo\npost.read_noise: 2e-3\ncamera.focal_mm: 2.6E1\n")
    config = load_config(tmp_path / "c.yaml")
    assert config["post"]["read_noise"] == 0.002 and config["camera"]["focal_mm"] == 26.0
    validate_config(config)


def test_one_of_fills_what_its_siblings_leave_unset():
    options = [{"layout": "6x2"}, {"layout": "12x1", "rhythm_leads": [], "grid": "bw"}]
    config = expand_dotted({"page": {"grid": "green", "one_of": {"choice": options, "weights": [0, 1]}}})
    validate_config(config)
    scene = sample_scene(config, np.random.default_rng(0))
    assert (scene.page.layout, scene.page.grid, scene.page.rhythm_leads) == ("12x1", "green", ())


def test_sampling_is_deterministic():
    config = load_config("challenge_like")
    a = [sample_scene(config, np.random.default_rng([7, i])) for i in range(5)]
    b = [sample_scene(config, np.random.default_rng([7, i])) for i in range(5)]
    assert a == b and len({s.seed for s in a}) == 5


def test_required_presets_exist():
    assert {"clean", "scanner", "phone_photo", "folded_letter", "crumpled", "challenge_like"} <= set(preset_names())


SMALL = {"page": {"dpi": 100}, "camera": {"width_px": 320, "height_px": 240}, "sheet": {"cell_mm": 6.0}}


@pytest.mark.parametrize("preset", preset_names())
def test_presets_validate_and_render(preset):
    validate_config(load_config(preset))
    config = load_config(preset)
    scene = sample_scene(config, np.random.default_rng(3))
    if scene.is_3d:  # render small: the preset's own sizes are checked above
        scene = sample_scene(merge(config, SMALL), np.random.default_rng(3))
    else:
        scene = sample_scene(merge(config, {"page": {"dpi": 100}}), np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = render_scene(scene, load_record(RECORD, 0.0, 10.0))
    assert frame.image.ndim == 3 and frame.image.min() < 200  # ink shows
    assert frame.truth["scene"]["preset"] == scene.preset
    assert scene.is_3d == (preset != "clean") or preset == "challenge_like"
