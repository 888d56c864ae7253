"""What made a frame: the simulator's version, a fingerprint of the code and shaders that draw it, and the versions of
the libraries whose arithmetic reaches its bytes.

Same seed, same bytes holds for the same code: a run resumed after the code changed would mix frames of two versions
in one set, unnoticed. So ``run.json`` and every sidecar record :func:`made_by`, and ``generate`` refuses to finish
a set that other code began unless told to (``--allow-other-version``; run.json then lists every version that
contributed, and each manifest line names its frame's ``code``).
"""

from __future__ import annotations

import functools
import hashlib
import platform
from importlib import metadata
from pathlib import Path

from . import __version__

ROOT = Path(__file__).resolve().parent.parent
CODE = (("simulator", "*.py"), ("simulator/presets", "*.yaml"), ("shaders", "*"))  # what decides a frame's bytes
LIBRARIES = ("numpy", "scipy", "opencv-python-headless", "moderngl", "wfdb", "noise", "Hershey-Fonts")


@functools.cache
def code_fingerprint() -> str:
    """sha256 (first 16 hex digits) of the simulator's Python files, presets and shaders, with their paths."""
    h = hashlib.sha256()
    for folder, pattern in CODE:
        for path in sorted((ROOT / folder).glob(pattern)):
            if path.is_file():
                h.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def _made_by() -> tuple:
    return (("simulator", __version__), ("code", code_fingerprint()), ("python", platform.python_version()),
            ("libraries", tuple((name, _version(name)) for name in LIBRARIES)))


def made_by() -> dict:
    """{simulator, code, python, libraries: {name: version or None}}: a fresh dict (callers may add to it)."""
    record = dict(_made_by())
    record["libraries"] = dict(record["libraries"])
    return record


def difference(recorded: dict | None, current: dict | None = None) -> str | None:
    """How ``recorded`` (a :func:`made_by`, or None where none was recorded) differs from ``current`` (by default
    this process's), in words naming the first difference, or None when they agree."""
    current = made_by() if current is None else current
    if recorded == current:
        return None
    if not isinstance(recorded, dict):
        return "a version of the simulator that recorded none"
    for key in ("simulator", "code", "python"):
        if recorded.get(key) != current[key]:
            return f"{key} {recorded.get(key)} (this is {current[key]})"
    libraries = recorded.get("libraries") or {}
    for name, version in current["libraries"].items():
        if libraries.get(name) != version:
            return f"{name} {libraries.get(name)} (this is {version})"
    return "other versions"
