"""The truth record's own writer gives byte for byte what wfdb.wrsamp writes, and wfdb reads it back."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
import wfdb

from simulator.layout import TRUTH_RESOLUTION_MV, PageSpec, plan_page
from simulator.records import Beats, Record, load_record
from simulator.truth import plotted_signals, write_truth_record
from tests.conftest import RECORDS, STANDARD_LEADS


def record(fs: float, seconds: float, leads: list[str], seed: int = 0) -> Record:
    """Noisy mV signals with NaN gaps and values at the ±32 mV clip."""
    rng = np.random.default_rng(seed)
    sig = rng.normal(0, 1.5, (round(seconds * fs), len(leads)))
    sig[rng.random(sig.shape) < 0.02] = np.nan
    sig[5, 0], sig[6, 0] = 40.0, -40.0
    return Record(name="r", fs=fs, signals=sig, lead_names=tuple(leads), path=Path("r"))


def wfdb_files(folder: Path, name: str, layout) -> tuple[bytes, bytes]:
    """The .hea and .dat that wfdb.wrsamp writes for the layout's plotted signals."""
    sig = plotted_signals(layout)
    n = sig.shape[1]
    wfdb.wrsamp(name, fs=layout.fs, units=["mV"] * n, sig_name=list(layout.record_lead_names), p_signal=sig,
                fmt=["16"] * n, adc_gain=[1.0 / TRUTH_RESOLUTION_MV] * n, baseline=[0] * n, write_dir=str(folder))
    return (folder / f"{name}.hea").read_bytes(), (folder / f"{name}.dat").read_bytes()


@pytest.mark.parametrize("fs,seconds,leads,spec", [
    (500.0, 12.0, STANDARD_LEADS, PageSpec()),
    (257.0, 4.0, STANDARD_LEADS[:8], PageSpec(layout="6x2", rhythm_leads=("II", "V1"))),  # short: padded with NaN
    (128.5, 9.0, ["MLII", "V5"], PageSpec(layout="auto", rhythm_leads=())),
    (1000, 10.0, ["I", "II"], PageSpec(layout="12x1", rhythm_leads=())),
])
def test_truth_record_bytes_equal_wfdb(tmp_path: Path, fs, seconds, leads, spec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout = plan_page(record(fs, seconds, leads), spec)
    (tmp_path / "ours").mkdir()
    (tmp_path / "wfdb").mkdir()
    write_truth_record(tmp_path / "ours", "t-1_x", layout)
    hea, dat = wfdb_files(tmp_path / "wfdb", "t-1_x", layout)
    assert (tmp_path / "ours" / "t-1_x.hea").read_bytes() == hea
    assert (tmp_path / "ours" / "t-1_x.dat").read_bytes() == dat
    ours = wfdb.rdrecord(str(tmp_path / "ours" / "t-1_x"))
    theirs = wfdb.rdrecord(str(tmp_path / "wfdb" / "t-1_x"))
    assert ours.fs == theirs.fs and ours.sig_name == theirs.sig_name
    np.testing.assert_array_equal(ours.p_signal, theirs.p_signal)
    np.testing.assert_allclose(ours.p_signal, plotted_signals(layout), atol=1e-9)
    assert sorted(p.name for p in (tmp_path / "ours").iterdir()) == ["t-1_x.dat", "t-1_x.hea"]  # no temporaries


@pytest.mark.parametrize("name,leads", [("a.b", ["I"]), ("a b", ["I"]), ("ok", ["I", "I"]), ("ok", [" I"]),
                                        ("ok", ["I\x01"])])
def test_names_wfdb_refuses_are_refused(tmp_path: Path, name: str, leads: list[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout = plan_page(record(500.0, 10.0, leads), PageSpec(layout="auto", rhythm_leads=()))
    with pytest.raises(Exception) as theirs:
        wfdb_files(tmp_path, name, layout)
    with pytest.raises(type(theirs.value), match=str(theirs.value).replace(".", r"\.")[:30]):
        write_truth_record(tmp_path, name, layout)


def test_beat_annotations_are_the_bytes_wfdb_writes_and_only_the_windows(tmp_path: Path) -> None:
    """A frame's truth carries the beats of its window as NAME.atr (MIT-BIH's own, cut and shifted; a simulated
    record's R peaks), so RR can be scored against annotated beats; gaps over 1023 samples need wfdb's SKIP."""
    samples = np.array([0, 3, 1023, 1024, 2100, 70000 + 2100, 70001 + 2100])
    symbols = ("N", "V", "N", "A", "/", "N", "L")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layout = dataclasses.replace(plan_page(record(500.0, 10.0, ["I", "II"]), PageSpec(layout="auto")),
                                     beats=Beats(samples, symbols))
    (tmp_path / "wfdb").mkdir()
    files = write_truth_record(tmp_path, "t", layout)
    assert files == ["t.dat", "t.atr", "t.hea"]
    wfdb.wrann("t", "atr", samples, symbol=list(symbols), write_dir=str(tmp_path / "wfdb"))
    assert (tmp_path / "t.atr").read_bytes() == (tmp_path / "wfdb" / "t.atr").read_bytes()
    ann = wfdb.rdann(str(tmp_path / "t"), "atr")
    assert ann.sample.tolist() == samples.tolist() and tuple(ann.symbol) == symbols

    window = load_record(RECORDS / "mitdb" / "100", 60.0, 10.0)
    whole = wfdb.rdann(str(RECORDS / "mitdb" / "100"), "atr", sampfrom=21600, sampto=21600 + 3600)
    beats = [(s - 21600, c) for s, c in zip(whole.sample, whole.symbol) if c in "NVA"]
    assert list(zip(window.beats.samples.tolist(), window.beats.symbols)) == beats and len(beats) >= 10
