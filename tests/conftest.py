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


def multi_segment_record(folder: Path) -> Path:
    """In ``folder`` (made): a variable-layout multi-segment record, as MIMIC's waveform databases store them: a
    layout segment naming the signals (I, II, V1), a segment with I and II, a 2 s gap (``~``), one with II and V1."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, leads in (("a", ["I", "II"]), ("b", ["II", "V1"])):
        wfdb.wrsamp(name, fs=500, units=["mV"] * 2, sig_name=leads, p_signal=np.round(rng.normal(0, 0.3, (2000, 2)), 3),
                    fmt=["16"] * 2, write_dir=str(folder))
    (folder / "m_layout.hea").write_text("m_layout 3 500 0\n" + "".join(
        f"m_layout.dat 16 1000/mV 16 0 0 0 0 {lead}\n" for lead in ("I", "II", "V1")))
    (folder / "m.hea").write_text("m/4 3 500 5000\nm_layout 0\na 2000\n~ 1000\nb 2000\n")
    return folder / "m"


@pytest.fixture
def square_record(tmp_path: Path) -> Path:
    """12 standard leads, 500 Hz, 12 s of a 1 mV square wave (period 0.5 s, high from 0.1 to 0.3 s)."""
    return write_record(tmp_path, "square", square_wave(500, 12, 12), 500, STANDARD_LEADS)
