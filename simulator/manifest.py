"""The record of a generation run: ``run.json`` (what was asked) and ``manifest.jsonl`` (what is done).

A frame's manifest line is appended, flushed and fsynced only after all its files are in place, so after a crash or
``kill -9`` the manifest lists exactly the finished frames (a torn last line is ignored). Training code reads the
manifest: one JSON object per line with the frame's files, record, window, scene hash and sha256 checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .atomic import sweep_temporaries, write_json_atomic
from .errors import InputError
from .provenance import difference, made_by

MANIFEST = "manifest.jsonl"
RUN_FILE = "run.json"
FINAL_STATUSES = ("ok", "failed")  # "failed": the input is bad (retrying gives the same); "error" is retried


def frame_name(index: int, count: int) -> str:
    return f"frame_{index:0{max(6, len(str(count - 1)))}d}"


def frame_dir(index: int) -> str:
    """Frames are grouped 1000 to a folder so no folder grows huge."""
    return f"{index // 1000:03d}"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scene_hash(scene_dict: dict) -> str:
    """sha256 of the scene's canonical JSON: equal hashes mean equal scenes."""
    return hashlib.sha256(json.dumps(scene_dict, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_run(out_dir: Path, run: dict, other_version_ok: bool = False) -> None:
    """Write ``run.json``, or check that an existing one asked for the same set (else a one-line InputError).

    A larger ``count`` extends the set (frame i depends only on (seed, i), so the frames made stay valid), as long as
    the frame names keep their width. ``made_by`` lists the versions that made the set (:mod:`provenance`): a set
    begun by other code or libraries is finished only with ``other_version_ok``, which adds this one to the list."""
    path = out_dir / RUN_FILE
    if not path.exists():
        write_json_atomic(path, {**run, "made_by": [made_by()]})
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):  # not JSON, or not even UTF-8 text
        old = None
    if not isinstance(old, dict):
        raise InputError(f"--output: {path} is unreadable (not a run's settings); use a new folder")
    for key in run:
        if old.get(key) == run[key] or key == "count" and _extends(old.get(key), run[key]):
            continue
        hint = " (a larger count extends a set; a smaller one is refused)" if key == "count" else ""
        raise InputError(f"--output: {out_dir} holds a run with a different {key}{hint}; "
                         f"use a new folder or the same command")
    makers = old.get("made_by") or [None]  # None: a run.json from before versions were recorded
    changed = difference(makers[-1])
    if changed:
        if not other_version_ok:
            raise InputError(f"--output: {out_dir} was begun with {changed}, whose frames this one would not "
                             f"match; use a new folder, or --allow-other-version to finish the set anyway")
        makers = [*makers, made_by()]
    merged = {**old, **run, "made_by": makers}  # the set, perhaps extended or finished by another version
    if merged != old:
        write_json_atomic(path, merged)


def _extends(old_count: object, count: int) -> bool:
    """Whether a run of ``count`` frames can take over a folder made for ``old_count``: more frames, same names."""
    return isinstance(old_count, int) and 0 < old_count < count and frame_name(0, old_count) == frame_name(0, count)


def read_manifest(out_dir: Path) -> dict[int, dict]:
    """Frame index → its last manifest entry; a torn or garbled line (a killed writer) is skipped."""
    entries: dict[int, dict] = {}
    path = out_dir / MANIFEST
    if not path.exists():
        return entries
    for line in path.read_text(errors="replace").splitlines():  # a damaged line is skipped, not fatal
        try:
            entry = json.loads(line)
            entries[int(entry["frame"])] = entry
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
    return entries


def done_frames(entries: dict[int, dict]) -> set[int]:
    return {i for i, e in entries.items() if e.get("status") in FINAL_STATUSES}


def sweep_partial(out_dir: Path) -> int:
    """Remove the temporaries a killed run left (``.NAME.tmp-PID``, :mod:`atomic`) here and in our frame folders;
    nothing else: an output folder may hold the user's own files, hidden ones too."""
    folders = [out_dir, *(p for p in out_dir.iterdir() if p.is_dir() and p.name.isdigit())]
    return sum(sweep_temporaries(folder) for folder in folders)


class ManifestWriter:
    """Appends one line per finished frame, durably, and repairs a torn last line left by a killed run."""

    def __init__(self, out_dir: Path):
        path = out_dir / MANIFEST
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            with open(path, "ab") as fh:  # end the torn line so the next entry starts on its own line
                fh.write(b"\n")
        self._fh = open(path, "a", encoding="utf-8")

    def append(self, entry: dict) -> None:
        self._fh.write(json.dumps(entry, sort_keys=True, allow_nan=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> "ManifestWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
