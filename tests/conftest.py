"""Shared fixtures: synthetic WFDB records with known features, written to temporary folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "assets" / "records"
STANDARD_LEADS = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]


def write_record(folder: Path, name: str, signals: np.ndarray, fs: float, leads: list[str],
                 units: str = "mV", fmt: str = "16", gain: float = 1000.0) -> Path:
    """Write a WFDB record (16-bit unless told) and return its base path."""
    n = signals.shape[1]
    wfdb.wrsamp(name, fs=fs, units=[units] * n, sig_name=leads, p_signal=signals, fmt=[fmt] * n,
                adc_gain=[gain] * n, baseline=[0] * n, write_dir=str(folder))
    return folder / name


def square_wave(fs: float, seconds: float, n_leads: int, amp: float = 1.0, period: float = 0.5,
                high: tuple[float, float] = (0.1, 0.3)) -> np.ndarray:
    """A square wave per lead: ``amp`` mV while ``t mod period`` is in ``high``, else 0 (edges at known times)."""
    t = np.arange(int(round(seconds * fs))) / fs
    phase = np.mod(t, period)
    wave = np.where((phase >= high[0]) & (phase < high[1]), amp, 0.0)
    return np.repeat(wave[:, None], n_leads, axis=1)


@pytest.fixture
def square_record(tmp_path: Path) -> Path:
    """12 standard leads, 500 Hz, 12 s of a 1 mV square wave (period 0.5 s, high from 0.1 to 0.3 s)."""
    return write_record(tmp_path, "square", square_wave(500, 12, 12), 500, STANDARD_LEADS)
