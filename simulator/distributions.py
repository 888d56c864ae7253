"""Distributions a config file can give for any scene parameter, written as one-key mappings.

    tilt_deg: 12                                   # a constant (or {constant: 12})
    tilt_deg: {uniform: [0, 35]}                   # real in [lo, hi)
    roll_deg: {normal: [0, 3], clip: [-10, 10]}    # mean, std; clip is optional
    focal_mm: {log_uniform: [18, 70]}              # lo > 0; uniform in log space
    dpi: {int_uniform: [150, 300]}                 # integer in [lo, hi], both included
    grid: {choice: {red: 6, pink: 2, bw: 1}}       # value: weight
    layout: {choice: [3x4, 6x2], weights: [3, 1]}  # any values (mappings too); weights optional
    int_normal / int_log_uniform                   # the integer forms (rounded; clip applies after rounding)

Choice options may themselves contain distributions (sampled after the option is picked), so whole sub-trees such as
a list of deformations can be drawn. Every draw takes a ``numpy.random.Generator``; nothing else is random.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError, brief

NAMES = ("constant", "uniform", "normal", "log_uniform", "choice", "int_uniform", "int_normal", "int_log_uniform")
INT64 = (-2.0**63, 2.0**63 - 1024)  # the integers numpy draws, as the nearest floats inside them
EXTRA_KEYS = {"normal": {"clip"}, "int_normal": {"clip"}, "choice": {"weights"}}


@dataclass(frozen=True)
class Distribution:
    """One parsed distribution: ``kind`` from :data:`NAMES`, its numeric ``args``, options and weights for a choice."""

    kind: str
    args: tuple[float, ...] = ()
    clip: tuple[float, float] | None = None
    options: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()

    @property
    def integer(self) -> bool:
        return self.kind.startswith("int_")

    def support(self) -> tuple[float, float] | None:
        """(lo, hi) every numeric draw lies in, or None when unbounded (an unclipped normal) or not numeric."""
        if self.kind in ("uniform", "log_uniform", "int_uniform", "int_log_uniform"):
            return self.args[0], self.args[1]
        if self.kind in ("normal", "int_normal"):
            return self.clip
        return None

    def sample(self, rng: np.random.Generator) -> Any:
        """One draw. A choice returns its option as written (the caller samples distributions inside it)."""
        k, a = self.kind, self.args
        if k == "constant":
            return self.options[0]
        if k == "choice":
            p = np.asarray(self.weights) / sum(self.weights)
            return self.options[int(rng.choice(len(self.options), p=p))]
        if k in ("uniform", "int_uniform"):
            value = rng.uniform(a[0], a[1]) if k == "uniform" else rng.integers(int(a[0]), int(a[1]), endpoint=True)
        elif k in ("normal", "int_normal"):
            value = rng.normal(a[0], a[1])
        else:
            value = math.exp(rng.uniform(math.log(a[0]), math.log(a[1])))
        if self.integer:
            value = int(round(float(value)))
        if self.clip is not None:
            value = min(max(value, self.clip[0]), self.clip[1])
            value = int(value) if self.integer else value
        return int(value) if self.integer else float(value)


def is_distribution(node: Any) -> bool:
    """A mapping whose keys name a distribution (one of :data:`NAMES`)."""
    return isinstance(node, dict) and any(k in NAMES for k in node)


def _pair(name: str, kind: str, value: Any) -> tuple[float, float]:
    """Two finite numbers whose difference is finite too (numpy cannot draw across a wider span)."""
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise InputError(f"{name}: {kind} needs two numbers [a, b], got {brief(value)}")
    a, b = float(value[0]), float(value[1])
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(b - a)):
        raise InputError(f"{name}: {kind} needs two finite numbers [a, b], got {brief(value)}")
    return a, b


def parse(node: dict, name: str) -> Distribution:
    """Check and parse a distribution mapping; InputError names the key on any mistake."""
    kinds = [k for k in node if k in NAMES]
    if len(kinds) != 1:
        raise InputError(f"{name}: give one distribution, not {', '.join(kinds)}")
    kind = kinds[0]
    extra = set(node) - {kind} - EXTRA_KEYS.get(kind, set())
    if extra:
        raise InputError(f"{name}: unknown key {sorted(extra)[0]!r} for a {kind} distribution")
    value = node[kind]
    if kind == "constant":
        return Distribution(kind, options=(value,))
    if kind == "choice":
        return _parse_choice(node, name)
    lo, hi = _pair(name, kind, value)
    if kind in ("normal", "int_normal"):
        if hi < 0:
            raise InputError(f"{name}: {kind} needs [mean, std] with std ≥ 0, got {brief(value)}")
        clip = _pair(f"{name}.clip", "clip", node["clip"]) if "clip" in node else None
        if clip is not None and clip[0] > clip[1]:
            raise InputError(f"{name}.clip: low {clip[0]} is above high {clip[1]}")
        return Distribution(kind, (lo, hi), clip=clip)
    if lo > hi:
        raise InputError(f"{name}: {kind} low {lo} is above high {hi}")
    if kind in ("log_uniform", "int_log_uniform") and lo <= 0:
        raise InputError(f"{name}: {kind} needs low > 0, got {lo}")
    if kind.startswith("int_") and not (lo.is_integer() and hi.is_integer()):
        raise InputError(f"{name}: {kind} bounds must be integers, got {brief(value)}")
    if kind.startswith("int_") and not (INT64[0] <= lo and hi <= INT64[1]):
        raise InputError(f"{name}: {kind} bounds must fit in 64 bits, got {brief(value)}")
    return Distribution(kind, (lo, hi))


def _parse_choice(node: dict, name: str) -> Distribution:
    value = node["choice"]
    if isinstance(value, dict):
        if "weights" in node:
            raise InputError(f"{name}: give weights either as the choice mapping's values or as weights, not both")
        options, weights = tuple(value), tuple(value.values())
    elif isinstance(value, list) and value:
        options = tuple(value)
        weights = node.get("weights", [1.0] * len(options))
        if not isinstance(weights, list):
            raise InputError(f"{name}: weights needs a list of numbers, one per option, got {brief(weights)}")
        weights = tuple(weights)
    else:
        raise InputError(f"{name}: choice needs a non-empty list or a value: weight mapping, got {brief(value)}")
    if len(weights) != len(options):
        raise InputError(f"{name}: {len(options)} options but {len(weights)} weights")
    for w in weights:
        if isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 or not math.isfinite(w):
            raise InputError(f"{name}: choice weight {brief(w)} is not a number ≥ 0")
    if sum(weights) <= 0:
        raise InputError(f"{name}: choice weights add up to 0")
    if not math.isfinite(sum(weights)):
        raise InputError(f"{name}: choice weights add up to more than a float holds")
    return Distribution("choice", options=options, weights=tuple(float(w) for w in weights))
