"""Readers, searching folders recursively: WFDB folders (ours, the Challenge's) and the Kaggle 2025 layout
(``train/<id>/<id>.csv``).

A record is named by its path relative to the folder without extension (``sub/00001_lr``), as the Challenge's
``helper_code.find_records`` does. Images and preset sidecars beside a record are looked up by stem.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from simulator.errors import InputError
from simulator.records import records_in

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
KAGGLE_SECONDS = 10.0
"""Duration of every Kaggle 2025 record; used for fs when no ``train.csv`` gives it."""


@dataclass(frozen=True)
class Record:
    """One multi-lead signal: samples × leads, NaN where a lead was not plotted (reference) or not found (estimate)."""

    name: str
    path: Path
    signal: np.ndarray
    leads: tuple[str, ...]
    fs: float
    units: tuple[str, ...]


def find_records(folder: Path) -> dict[str, Path]:
    """Map record name → record path (WFDB: path without ``.hea``; Kaggle: the ``<id>/<id>.csv`` file)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}")
    found: dict[str, Path] = {}
    for csv_path in sorted(folder.rglob("*.csv")):
        if csv_path.stem == csv_path.parent.name:
            found[csv_path.relative_to(folder).with_suffix("").as_posix()] = csv_path
    for base in records_in(folder):  # a multi-segment record's segments are not records of their own
        found[base.relative_to(folder).as_posix()] = base
    return found


def load_record(name: str, path: Path) -> Record:
    """Read a WFDB record or a Kaggle CSV; any failure becomes one-line :class:`InputError`."""
    try:
        if path.suffix == ".csv":
            return _load_kaggle(name, path)
        signal, fields = wfdb.rdsamp(str(path))
    except InputError:
        raise
    except Exception as exc:  # wfdb raises many kinds; all mean "unreadable"
        raise InputError(f"cannot read record {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    signal = np.asarray(signal, dtype=float).reshape(-1, fields["n_sig"])
    return Record(name, path, signal, tuple(fields["sig_name"]), float(fields["fs"]), tuple(fields["units"]))


def _load_kaggle(name: str, path: Path) -> Record:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise InputError(f"cannot read record {path}: no samples")
    leads = tuple(h.strip() for h in rows[0])
    try:
        signal = np.array([[float(v) if v.strip() else np.nan for v in row] for row in rows[1:]], dtype=float)
    except ValueError as exc:
        raise InputError(f"cannot read record {path}: {exc}")
    if signal.ndim != 2 or signal.shape[1] != len(leads):
        raise InputError(f"cannot read record {path}: rows do not match the {len(leads)} columns")
    fs = _kaggle_fs(path) or signal.shape[0] / KAGGLE_SECONDS
    return Record(name, path, signal, leads, float(fs), ("mV",) * len(leads))


def _kaggle_fs(csv_path: Path) -> float | None:
    """fs from the ``train.csv`` (columns id, fs, sig_len) found up to three folders above the record."""
    for parent in list(csv_path.parents)[1:4]:
        table = parent / "train.csv"
        if table.is_file():
            with open(table, newline="") as f:
                for row in csv.DictReader(f):
                    if row.get("id") == csv_path.stem and row.get("fs"):
                        try:
                            fs = float(row["fs"])
                        except ValueError:
                            fs = math.nan
                        if not (math.isfinite(fs) and fs > 0):
                            raise InputError(f"{table}: fs {row['fs']!r} of id {csv_path.stem} is not a frequency")
                        return fs
    return None


def find_image(stem: Path) -> Path | None:
    """An image with the record's stem beside it (``NAME.png``/``.jpg``), if any."""
    for ext in IMAGE_EXTENSIONS:
        candidate = stem.parent / (stem.name + ext)
        if candidate.is_file():
            return candidate
    return None


def read_preset(sidecar: Path) -> str | None:
    """The ``preset`` (or ``scene.preset``) of a JSON sidecar, if the file exists and has one."""
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    preset = data.get("preset")
    if preset is None and isinstance(data.get("scene"), dict):
        preset = data["scene"].get("preset")
    return str(preset) if preset is not None else None
