"""Scene configs: YAML or TOML files of distributions over the Scene's fields, with presets they can extend.

A config mirrors ``Scene.to_dict()``: nested mappings (or dotted keys such as ``camera.tilt_deg``) whose leaves are
values or distributions (:mod:`simulator.distributions`). Keys are checked against the Scene dataclass tree by
introspection, so a new Scene field is configurable without touching this module. ``extends: NAME`` (or a list) starts
from a preset in ``simulator/presets/`` or from another file (path relative to this one); later keys override.

The generator owns two fields: ``seed`` (drawn per frame) and ``page.start_s`` (the window start, drawn per record).
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from . import distributions as dists
from .errors import InputError, brief
from .params import _check_value, _convert, type_hints
from .scene import Scene

PRESET_DIR = Path(__file__).parent / "presets"
SUFFIXES = (".yaml", ".yml", ".toml")
GENERATOR_KEYS = ("seed",)  # drawn by the generator for every frame; a config may not set them
ONE_OF = "one_of"  # a list (or weighted choice) of partial mappings; the pick fills keys its siblings leave unset


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader reading exponent numbers as YAML 1.2 does: PyYAML follows YAML 1.1, where ``1e-3`` and
    ``2.5e3`` are strings (it wants ``1.0e-3`` and ``2.5e+3``), which someone writing a config never means."""


_EXPONENT_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _EXPONENT_FLOAT, list("-+0123456789"))


def load_yaml(text: str) -> Any:
    """Parse YAML text (safe: plain data only), with exponent numbers read as floats."""
    return yaml.load(text, Loader=_Loader)


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml") if not p.stem.startswith("_"))


def load_config(source: str | Path, option: str = "--config") -> dict:
    """A preset name or a config file → one merged mapping (``extends`` resolved, dotted keys expanded); errors name
    ``option``, the way the source was given (``--config``, ``--preset``)."""
    return _load(source, Path.cwd(), (), option)


def _read(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--config: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"--config: {path.name} is not UTF-8 text, so not a YAML or TOML config") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else load_yaml(text)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"--config: {path.name} is not valid {path.suffix[1:].upper()} ({first})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"--config: {path.name} must hold a mapping of scene keys, got {type(data).__name__}")
    return data


def _locate(source: str | Path, base: Path, option: str) -> Path:
    """The file of a preset name or a config path (relative to ``base``); InputError names ``option``."""
    text = str(source)
    path = Path(text) if Path(text).is_absolute() else base / text
    if Path(text).suffix.lower() not in SUFFIXES:
        preset = PRESET_DIR / f"{text}.yaml"
        if preset.is_file():
            return preset
        if path.is_dir():
            raise InputError(f"{option}: {path} is a folder, not a config file")
        if path.is_file():
            raise InputError(f"{option}: {path.name} is not a config file (.yaml, .yml or .toml)")
        raise InputError(f"{option}: unknown preset {text!r} (known: {', '.join(preset_names())})")
    if not path.is_file():
        raise InputError(f"{option}: file {path} not found")
    return path


def _load(source: str | Path, base: Path, chain: tuple[Path, ...], option: str = "extends") -> dict:
    path = _locate(source, base, option).resolve()
    if path in chain:
        raise InputError(f"extends: {path.name} extends itself (through {' → '.join(p.name for p in chain)})")
    return _resolve(expand_dotted(_read(path)), path.parent, chain + (path,))


def _resolve(node: Any, base: Path, chain: tuple[Path, ...]) -> Any:
    """Replace every ``extends`` (at the top or inside a ``one_of`` option) by the configs it names, merged."""
    if isinstance(node, list):
        return [_resolve(v, base, chain) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: v if k == "choice" and isinstance(v, dict) else _resolve(v, base, chain) for k, v in node.items()}
    parents = node.pop("extends", [])
    if not isinstance(parents, (str, list)):
        raise InputError(f"extends: {brief(parents)} is not a preset name, a file name or a list of them")
    merged: dict = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        if not isinstance(parent, str):
            raise InputError(f"extends: {brief(parent)} is not a preset name or file name")
        merged = merge(merged, _load(parent, base, chain))
    return merge(merged, node)


def expand_dotted(node: Any) -> Any:
    """``{"camera.tilt_deg": 5}`` → ``{"camera": {"tilt_deg": 5}}``, at every level (a choice's value: weight
    mapping excepted: its keys are values)."""
    if isinstance(node, list):
        return [expand_dotted(v) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict = {}
    for key, value in node.items():
        value = value if key == "choice" and isinstance(value, dict) else expand_dotted(value)
        head, *rest = str(key).split(".") if isinstance(key, str) and "." in key else [key]
        for part in reversed(rest):
            value = {part: value}
        out = merge(out, {head: value})
    return out


def merge(base: dict, override: dict) -> dict:
    """Deep merge: nested mappings merge key by key; a value or distribution replaces what was there."""
    out = dict(base)
    for key, value in override.items():
        old = out.get(key)
        if (isinstance(old, dict) and isinstance(value, dict)
                and not dists.is_distribution(old) and not dists.is_distribution(value)):
            out[key] = merge(old, value)
        else:
            out[key] = value
    return out


# --- validation --------------------------------------------------------------------------------------------------

def validate_config(config: dict) -> None:
    """Check every key, type and range against the Scene tree; InputError names the first bad key."""
    for key in GENERATOR_KEYS:
        if key in config:
            raise InputError(f"{key}: set per frame by the generator; remove it from the config")
    check_tree(config)
    rng = np.random.default_rng(0)
    for _ in range(64):  # cross-field checks (each dataclass's check()) on many draws
        sample_scene(config, rng)


def check_tree(tree: dict) -> None:
    """Check a (partial) Scene tree whose values may be distributions: keys, types, and that every distribution stays
    within its key's range; draws nothing."""
    _check(tree, Scene, "", {})


def _strip_optional(tp: Any) -> Any:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _is_numeric(tp: Any) -> bool:
    return _strip_optional(tp) in (int, float)


def _check(node: Any, tp: Any, name: str, meta: typing.Mapping) -> None:
    """Check a config node against the type ``tp`` (with the field's range/choices ``meta``)."""
    label = name or "config"
    bare = _strip_optional(tp)
    is_class = isinstance(bare, type) and dataclasses.is_dataclass(bare)
    if dists.is_distribution(node) and not (is_class and any(k in _fields(bare) for k in node)):
        _check_distribution(dists.parse(node, label), tp, label, meta)
        return
    if node is None or not is_class:
        if isinstance(node, (list, tuple)) and typing.get_origin(bare) in (tuple, list):
            args = typing.get_args(bare)
            fixed = args and args[-1] is not Ellipsis
            if fixed and len(node) != len(args):
                raise InputError(f"{label}: expected {len(args)} values, got {len(node)}")
            for i, item in enumerate(node):
                _check(item, args[i] if fixed else (args[0] if args else Any), f"{label}[{i}]", meta)
            return
        if isinstance(node, dict) and typing.get_origin(bare) is dict:
            for k, v in node.items():
                _check(v, typing.get_args(bare)[1], f"{label}.{k}", meta)
            return
        value = _convert(label, tp, node)
        if value is not None:
            _check_value(label, value, meta)
        return
    if not isinstance(node, dict):
        raise InputError(f"{label}: expected a mapping of {bare.__name__} fields, got {brief(node)}")
    if ONE_OF in node:
        rest = {k: v for k, v in node.items() if k != ONE_OF}
        for option in _one_of(node[ONE_OF], f"{name + '.' if name else ''}{ONE_OF}").options:
            _check(merge(option, rest), tp, name, meta)
        return
    cls = bare
    variants = getattr(cls, "VARIANTS", None)
    if variants:
        if not isinstance(node.get("kind"), str) or node["kind"] not in variants:  # a drawn kind is no str
            raise InputError(f"{label}.kind: {brief(node.get('kind'))} is not one of {', '.join(map(repr, variants))}"
                             " (to draw the kind, choose between whole mappings)")
        cls, node = variants[node["kind"]], {k: v for k, v in node.items() if k != "kind"}
    fields, hints = _fields(cls), type_hints(cls)
    prefix = f"{name}." if name else ""
    for key, value in node.items():
        if key not in fields:
            raise InputError(f"{prefix}{key}: unknown key (known: {', '.join(fields)})")
        _check(value, hints[key], prefix + key, fields[key].metadata)


def _one_of(node: Any, name: str) -> dists.Distribution:
    """The choice of partial mappings a ``one_of`` key holds (a plain list means equal weights)."""
    d = None
    if isinstance(node, (list, dict)):
        d = dists.parse({"choice": node} if isinstance(node, list) else node, name)
    if d is None or d.kind != "choice" or not all(isinstance(o, dict) for o in d.options):
        raise InputError(f"{name}: expected a list of mappings (or a choice of mappings), got {brief(node)}")
    return d


def _fields(cls: type) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _check_distribution(d: dists.Distribution, tp: Any, name: str, meta: typing.Mapping) -> None:
    if d.kind in ("choice", "constant"):
        for option in d.options:
            _check(option, tp, name, meta)
        return
    if not _is_numeric(tp):
        raise InputError(f"{name}: a {d.kind} distribution gives numbers but this key takes {_type_name(tp)}")
    if _strip_optional(tp) is int and not d.integer:
        raise InputError(f"{name}: integer key; use int_{d.kind} instead of {d.kind}")
    if "choices" in meta:
        raise InputError(f"{name}: takes one of {', '.join(map(repr, meta['choices']))}; use a choice distribution")
    support = d.support()
    lo, hi, _ = meta.get("range", (None, None, False))
    if support is None and (lo is not None or hi is not None):
        raise InputError(f"{name}: an unclipped normal can leave the range [{lo}, {hi}]; add clip: [low, high]")
    if support is not None and all(math.isfinite(v) for v in support):
        for end in support:
            _check_value(name, int(end) if d.integer else end, meta)


def _type_name(tp: Any) -> str:
    return getattr(_strip_optional(tp), "__name__", str(tp))


# --- sampling ----------------------------------------------------------------------------------------------------

def sample_values(node: Any, rng: np.random.Generator) -> Any:
    """Replace every distribution in a config tree by a draw (options of a choice are sampled after the pick)."""
    if dists.is_distribution(node):
        return sample_values(dists.parse(node, "config").sample(rng), rng)
    if isinstance(node, dict) and ONE_OF in node:
        picked = _one_of(node[ONE_OF], ONE_OF).sample(rng)
        return sample_values(merge(picked, {k: v for k, v in node.items() if k != ONE_OF}), rng)
    if isinstance(node, dict):
        return {k: sample_values(v, rng) for k, v in node.items()}
    if isinstance(node, list):
        return [sample_values(v, rng) for v in node]
    return node


def sample_scene(config: dict, rng: np.random.Generator) -> Scene:
    """One Scene drawn from a config; its ``seed`` (for the stages' own generators) is drawn too."""
    values = sample_values(config, rng)
    values["seed"] = int(rng.integers(0, 2**31 - 1))
    return Scene.from_dict(values)


def preset_scene(name: str, seed: int) -> Scene:
    """Draw ``seed``'s scene of a preset (or config file), as ``generate`` draws a frame's scene."""
    return sample_scene(load_config(name), np.random.default_rng([seed, 0x5CE]))
