"""Writing a digitized page as a WFDB record (the layout's leads: the 12 standard ones for a standard page; mV, NaN =
not plotted), its detection JSON and, on request, its overlay image."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
import wfdb

from simulator.atomic import write_atomic, write_bytes_atomic, write_json_atomic
from simulator.errors import InputError

from .layouts import LEAD_NAMES
from .pipeline import Digitized

RESOLUTION_MV = 1e-3   # µV steps in 16-bit storage: ±32 mV range
LIMIT_MV = 32.0
MARK = "digitized by ecg-digitize"  # a comment in each header we write: tells our records from ground truth


def signal_matrix(signals: dict[str, np.ndarray], n_samples: int,
                  leads: tuple[str, ...] = LEAD_NAMES) -> np.ndarray:
    """(n_samples, len(leads)) mV in the order of ``leads``; leads not digitized are all NaN."""
    out = np.full((n_samples, len(leads)), np.nan)
    for i, lead in enumerate(leads):
        if lead in signals:
            out[:, i] = np.clip(signals[lead][:n_samples], -LIMIT_MV, LIMIT_MV)
    return out


def write_record(out_dir: Path, name: str, matrix: np.ndarray, fs: float,
                 leads: tuple[str, ...] = LEAD_NAMES) -> None:
    """Write ``name.hea/.dat`` atomically (the .dat lands before its header); ``leads`` names the matrix's columns."""
    n_leads = matrix.shape[1]
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{name}.wfdb-") as tmp:
        wfdb.wrsamp(name, fs=fs, units=["mV"] * n_leads, sig_name=list(leads), p_signal=matrix,
                    fmt=["16"] * n_leads, adc_gain=[1.0 / RESOLUTION_MV] * n_leads, baseline=[0] * n_leads,
                    comments=[MARK], write_dir=tmp)
        for ext in (".dat", ".hea"):
            source = Path(tmp) / f"{name}{ext}"
            write_atomic(out_dir / f"{name}{ext}", lambda dst, source=source: shutil.copyfile(source, dst))


def not_ours(out_dir: Path, name: str) -> str | None:
    """The file of record ``name`` in ``out_dir`` that digitizing would overwrite though the digitizer did not write
    it (a generated frame's ground-truth record or sidecar, say), or None. Ours: a header with :data:`MARK`, or a
    JSON of detections (it has ``method``; so do outputs from before the mark)."""
    hea, dat, detections = (out_dir / f"{name}{ext}" for ext in (".hea", ".dat", ".json"))
    if hea.is_file() and MARK in hea.read_text(errors="replace"):
        return None
    if detections.is_file():
        try:
            if "method" in json.loads(detections.read_text()):
                return None
        except (OSError, ValueError, TypeError):
            pass
        return detections.name
    return next((f.name for f in (hea, dat) if f.is_file()), None)


def write_detections(out_dir: Path, name: str, detections: dict) -> None:
    """``name.json``: what the digitizer found (grid pitch, rotation, rows, time span)."""
    write_json_atomic(out_dir / f"{name}.json", detections)


def write_overlay(path: Path, result: Digitized) -> None:
    """``path`` (JPEG, quality 90, atomically): :func:`digitize.overlay.draw_overlay` of ``result``."""
    from .overlay import draw_overlay

    ok, data = cv2.imencode(".jpg", draw_overlay(result)[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise InputError(f"cannot encode the overlay {path.name}")
    write_bytes_atomic(path, data.tobytes())
