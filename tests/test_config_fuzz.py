"""Every preset's config with one value replaced by something meant to break it (a wrong type, NaN, an overflowing
or inverted distribution, a drawn variant kind, a mapping where a number goes): each is either accepted and draws
scenes, or refused with one short line naming the key; never a traceback from numpy or Python.

This is how the thirteenth session found 38 of 2400 such configs passing validation and failing at the first draw
(uniform [nan, 1], weights: 3, int_uniform beyond 64 bits, weights summing past a float), a TypeError for a drawn
``kind``, and errors quoting whole sub-trees; the fixed seed keeps it a regression test (300 configs, ~4 s).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from simulator.config import load_config, preset_names, sample_scene, validate_config
from simulator.errors import InputError

MUTATIONS_PER_PRESET = 50
BAD = [None, True, -1, 0, 1e9, -1e9, float("nan"), float("inf"), "x", "", "1e3", [], [1], [1, 2, 3], {}, {"a": 1},
       2**70, -1e300, {"uniform": [1, 0]}, {"uniform": [0, "a"]}, {"uniform": [float("nan"), 1]},
       {"uniform": [-1e308, 1e308]}, {"uniform": [0, 1], "extra": 2}, {"normal": [0, -1]},
       {"normal": [0, 1], "clip": [2, 1]}, {"normal": [1e308, 1e308]}, {"log_uniform": [-1, 1]},
       {"log_uniform": [1e-300, 1e300]}, {"int_uniform": [0.5, 3]}, {"int_uniform": [0, 2**70]},
       {"int_log_uniform": [1, 1e300]}, {"int_normal": [1e300, 1], "clip": [0, 1e300]}, {"choice": []},
       {"choice": [{}]}, {"choice": {"a": -1}}, {"choice": [1, 2], "weights": [1]},
       {"choice": [1, 2], "weights": [1e308, 1e308]}, {"choice": {"a": 1e-320}}, {"constant": None}, {"one_of": 3},
       {"one_of": [1]}, {"kind": "nope"}]


def _leaves(node, path=()):
    """Every path into a config tree (mappings and lists), leaves and inner nodes alike."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _leaves(value, path + (i,))
    if path:
        yield path


def _mutated(base: dict, gen: np.random.Generator) -> tuple[dict, tuple, object]:
    config = copy.deepcopy(base)
    paths = list(_leaves(config))
    path, value = paths[gen.integers(len(paths))], copy.deepcopy(BAD[gen.integers(len(BAD))])
    node = config
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return config, path, value


@pytest.mark.parametrize("preset", preset_names())
def test_a_broken_value_anywhere_is_accepted_or_refused_in_one_line(preset):
    base = load_config(preset)
    gen = np.random.default_rng([2026, 13, preset_names().index(preset)])
    refused = 0
    for _ in range(MUTATIONS_PER_PRESET):
        config, path, value = _mutated(base, gen)
        try:
            validate_config(config)
            draws = np.random.default_rng(1)
            for _ in range(4):
                sample_scene(config, draws)
        except InputError as exc:
            message = str(exc)
            assert "\n" not in message and len(message) < 300, (path, value, message)
            refused += 1
    assert refused >= MUTATIONS_PER_PRESET // 2  # the values are meant to break things: most must be refused
