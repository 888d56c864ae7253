"""Checking a run's JSON against the dataclasses that wrote it (``RunResult``), before a report reads it.

``eval snr --json`` writes ``RunResult.to_dict()``; ``report`` reads it back. A run file edited by hand, cut short or
written by something else would otherwise fail deep inside the report with a KeyError or TypeError. The expected
shape is read from the dataclasses' type hints, so it follows them when a field is added.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from typing import Any

from .score import METRICS, RunResult

NON_FINITE = ("inf", "-inf")  # how ``jsonable`` writes ±inf (NaN is null)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def problem(value: Any, tp: Any, path: str) -> str | None:
    """Where ``value`` (parsed JSON) does not fit type ``tp``, as ``path: expected ..., got ...``; None if it fits."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return None
    if origin in (typing.Union, types.UnionType):
        problems = [problem(value, arg, path) for arg in args]
        return None if None in problems else problems[0]
    if tp is type(None):
        return None if value is None else f"{path}: expected null, got {_kind(value)}"
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            return f"{path}: expected a mapping, got {_kind(value)}"
        for f in dataclasses.fields(tp):
            if f.name not in value:
                return f"{path}.{f.name}: missing"
            found = problem(value[f.name], _hints(tp)[f.name], f"{path}.{f.name}")
            if found:
                return found
        return None
    if origin is list:
        if not isinstance(value, list):
            return f"{path}: expected a list, got {_kind(value)}"
        return next((p for i, item in enumerate(value) if (p := problem(item, args[0], f"{path}[{i}]"))), None)
    if origin is dict:
        if not isinstance(value, dict):
            return f"{path}: expected a mapping, got {_kind(value)}"
        return next((p for k, item in value.items() if (p := problem(item, args[1], f"{path}.{k}"))), None)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    fits = {float: number or value is None or value in NON_FINITE,  # NaN is written as null
            int: number and float(value).is_integer(), bool: isinstance(value, bool), str: isinstance(value, str)}
    return None if fits.get(tp, True) else f"{path}: expected {tp.__name__}, got {_kind(value)}"


def run_problem(data: dict) -> str | None:
    """What keeps ``data`` from being a run as ``eval snr --json`` writes it, or None."""
    if data.get("metric") not in METRICS:
        return f"metric: {data.get('metric')!r} is not one of {', '.join(METRICS)}"
    found = problem(data, RunResult, "run")
    return found.removeprefix("run.") if found else None
