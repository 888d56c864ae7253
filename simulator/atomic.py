"""Atomic file writes: write to a temporary file in the same folder, then rename over the target.

A crash or ``kill -9`` mid-write leaves either the old file or the new one, never a partial file; temporaries are
named ``.NAME.tmp-PID`` so a later run can sweep them away. Files are not fsynced one by one (that would cost more
than rendering them): a killed process cannot tear a renamed file, and the generator's manifest, which is fsynced,
only lists frames whose files were all renamed into place.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .encode import encode_image

TMP_MARK = ".tmp-"


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")


def write_atomic(path: Path | str, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` to fill a temporary file, then rename it to ``path``."""
    path = Path(path)
    tmp = _tmp_path(path)
    try:
        writer(tmp)
        os.replace(tmp, path)
    except OSError as exc:  # name the file the caller asked for, not our temporary
        if exc.errno is None:
            raise
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_json_atomic(path: Path | str, obj: object) -> Path:
    text = json.dumps(obj, separators=(",", ":"), allow_nan=False)  # compact: the C encoder, ~10x faster than indent
    return write_bytes_atomic(path, text.encode())


def write_image_atomic(path: Path | str, image: np.ndarray, jpeg_quality: int = 95) -> Path:
    path = Path(path)
    return write_bytes_atomic(path, encode_image(image, path.suffix, jpeg_quality))


def sweep_temporaries(folder: Path | str) -> int:
    """Remove temporaries left by a killed run; returns how many were removed."""
    n = 0
    for p in Path(folder).glob(f".*{TMP_MARK}*"):
        p.unlink(missing_ok=True)
        n += 1
    return n
