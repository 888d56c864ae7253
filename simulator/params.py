"""Scene parameters as data: frozen dataclasses ↔ plain dicts (JSON/YAML), with validation that names the key.

Every stage owns a frozen dataclass of its parameters. Fields carry their valid range in metadata
(``field(default=..., metadata=rng(lo, hi))`` or ``choices(...)``), so one generic check serves the CLI, config files
and JSON sidecars alike, and the error always names the offending key (``camera.focal_mm``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, TypeVar

from .errors import InputError, brief

T = TypeVar("T")


def rng(lo: float | None = None, hi: float | None = None, *, lo_open: bool = False) -> dict:
    """Field metadata: inclusive range [lo, hi] (or (lo, hi] with ``lo_open``)."""
    return {"range": (lo, hi, lo_open)}


def choices(*values: object) -> dict:
    """Field metadata: the value must be one of ``values``."""
    return {"choices": tuple(values)}


def to_dict(obj: Any) -> Any:
    """Plain (JSON-ready) form of a dataclass tree; tuples become lists; a tagged union records its ``kind``."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        kind = getattr(type(obj), "KIND", None)
        return {"kind": kind, **out} if kind else out
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def _check_value(name: str, value: Any, meta: typing.Mapping) -> None:
    if "choices" in meta and value not in meta["choices"]:
        raise InputError(f"{name}: {brief(value)} is not one of {', '.join(map(repr, meta['choices']))}")
    if "range" in meta and isinstance(value, (int, float)) and not isinstance(value, bool):
        lo, hi, lo_open = meta["range"]
        if value != value:  # NaN
            raise InputError(f"{name}: NaN is not allowed")
        shown = f"{value:.6g}" if isinstance(value, int) and abs(value) >= 1e15 else value  # not 300 digits
        if lo is not None and (value <= lo if lo_open else value < lo):
            raise InputError(f"{name}: {shown} is out of range (must be {'>' if lo_open else '≥'} {lo})")
        if hi is not None and value > hi:
            raise InputError(f"{name}: {shown} is out of range (must be ≤ {hi})")


def _convert(name: str, tp: Any, value: Any) -> Any:
    """Convert a plain value to type ``tp`` or raise an InputError naming ``name``."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(name, arg, value)
            except InputError as exc:
                errors.append(str(exc))
        raise InputError(errors[0] if len(errors) == 1 else f"{name}: {brief(value)} does not fit {tp}")
    if origin is typing.Literal:
        if value not in args:
            raise InputError(f"{name}: {brief(value)} is not one of {', '.join(map(repr, args))}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{name}: expected a list, got {type(value).__name__}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise InputError(f"{name}: expected {len(args)} values, got {len(value)}")
            return tuple(_convert(f"{name}[{i}]", a, v) for i, (a, v) in enumerate(zip(args, value)))
        item = args[0] if args else Any
        seq = [_convert(f"{name}[{i}]", item, v) for i, v in enumerate(value)]
        return tuple(seq) if origin is tuple else seq
    if origin is dict:
        if not isinstance(value, dict):
            raise InputError(f"{name}: expected a mapping, got {type(value).__name__}")
        return {str(k): _convert(f"{name}.{k}", args[1] if args else Any, v) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        return from_dict(tp, value, name)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{name}: expected a number, got {brief(value)}")
        if not math.isfinite(value):  # NaN passes every range comparison; inf overflows integer conversions
            raise InputError(f"{name}: {value} is not a finite number")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise InputError(f"{name}: expected an integer, got {brief(value)}")
        return int(value)
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"{name}: expected true or false, got {brief(value)}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"{name}: expected a string, got {brief(value)}")
        return value
    return value


@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """``typing.get_type_hints(cls)``, resolved once per class: it re-evaluates every annotation on each call, and a
    dataset builds a few hundred dataclasses per frame (and thousands while its config is validated)."""
    return typing.get_type_hints(cls)


def from_dict(cls: type[T], data: Any, name: str = "") -> T:
    """Build dataclass ``cls`` from a plain dict, checking keys, types and ranges.

    A class with ``VARIANTS`` (a dict kind → dataclass) is a tagged union: ``data["kind"]`` picks the variant.
    """
    prefix = f"{name}." if name else ""
    if not isinstance(data, dict):
        raise InputError(f"{name or cls.__name__}: expected a mapping, got {type(data).__name__}")
    variants = getattr(cls, "VARIANTS", None)
    if variants and cls not in variants.values():  # the union itself, not one of its variants
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in variants:
            raise InputError(f"{prefix}kind: {brief(kind)} is not one of {', '.join(map(repr, variants))}")
        cls = variants[kind]
        data = {k: v for k, v in data.items() if k != "kind"}
    elif "kind" in data and getattr(cls, "KIND", None) == data["kind"]:
        data = {k: v for k, v in data.items() if k != "kind"}
    hints = type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InputError(f"{prefix}{unknown[0]}: unknown key (known: {', '.join(fields)})")
    kwargs = {}
    for key, value in data.items():
        kwargs[key] = _convert(prefix + key, hints[key], value)
    try:
        obj = cls(**kwargs)
    except TypeError as exc:
        raise InputError(f"{name or cls.__name__}: {exc}") from None
    validate(obj, name)
    return obj


def validate(obj: Any, name: str = "") -> None:
    """Check every field's range/choices metadata (recursively) and the dataclass's own ``check()`` if it has one."""
    prefix = f"{name}." if name else ""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                if dataclasses.is_dataclass(v):
                    validate(v, f"{prefix}{f.name}[{i}]")
                else:
                    _check_value(f"{prefix}{f.name}[{i}]", v, f.metadata)
        elif dataclasses.is_dataclass(value):
            validate(value, prefix + f.name)
        elif value is not None:
            _check_value(prefix + f.name, value, f.metadata)
    check = getattr(obj, "check", None)
    if callable(check):
        check(name)
