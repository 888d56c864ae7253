"""What a digitized record was made from, so that rerunning a batch finishes it rather than starting over.

Each record's JSON (written after its ``.hea``/``.dat``, so its presence means the record is whole) keeps
``made_from``: the image's sha256, the options that shape the output, the U-Net weights' sha256 and a fingerprint of
the digitizer's code. A rerun skips an image whose output was made from exactly that, and digitizes the others
again: an interrupted batch resumes, and a changed option, image, model or digitizer redoes what it changes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

from simulator.manifest import sha256_file

CODE_DIR = Path(__file__).resolve().parent


@functools.cache
def code_fingerprint() -> str:
    """sha256 (first 16 hex digits) of the digitizer's Python files."""
    h = hashlib.sha256()
    for path in sorted(CODE_DIR.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def made_from(image: Path, settings: dict) -> dict:
    """The ``made_from`` entry of ``image``'s output under ``settings`` (options, weights' hash)."""
    return {"image_sha256": sha256_file(image), "settings": settings, "code": code_fingerprint()}


def already_done(out: Path, name: str, made: dict) -> bool:
    """Whether ``out`` holds record ``name`` whole, made from exactly ``made``."""
    if not all((out / f"{name}{ext}").is_file() for ext in (".hea", ".dat", ".json")):
        return False
    try:
        return json.loads((out / f"{name}.json").read_text()).get("made_from") == made
    except (OSError, ValueError, AttributeError):  # unreadable or not a mapping: digitize it again
        return False
