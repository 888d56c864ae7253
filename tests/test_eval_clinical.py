"""RR and QT interval errors on MIT-BIH record 100 (with its beat annotations) and an ECG-Image-Kit-style truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import wfdb

from eval.clinical import clinical_lead
from eval.score import score_folders
from simulator.records import read_beats

RECORDS = Path(__file__).resolve().parents[1] / "assets" / "records"
MITDB = str(RECORDS / "mitdb" / "100")
SECONDS = 30


@pytest.fixture(scope="module")
def mitdb():
    signal, fields = wfdb.rdsamp(MITDB, sampto=int(SECONDS * 360))
    return signal[:, 0], float(fields["fs"]), read_beats(Path(MITDB), 0, int(SECONDS * 360)).samples


def test_identical_signals_have_zero_rr_and_qt_error(mitdb):
    x, fs, beats = mitdb
    c = clinical_lead("MLII", x, x.copy(), fs, beats)
    assert c.beats_source == "annotations" and c.n_beats == beats.size == c.n_beats_found
    assert c.rr.n == beats.size - 1 and c.rr.mean_ms == 0 and c.rr.sd_ms == 0 and c.rr.within_10ms == 1.0
    assert c.qt.n > 0.8 * beats.size and c.qt.mean_ms == 0 and c.qt.within_20ms == 1.0


def test_known_shift_gives_small_rr_error(mitdb):
    x, fs, beats = mitdb
    est = np.concatenate((np.full(4, np.nan), x[:-4]))  # 11 ms late, not realigned
    c = clinical_lead("MLII", x, est, fs, beats)
    assert c.rr.n == beats.size - 1
    assert abs(c.rr.mean_ms) < 1 and c.rr.within_10ms == 1.0


def test_noise_gives_bounded_rr_error(mitdb):
    x, fs, beats = mitdb
    est = x + np.random.default_rng(0).normal(0, 0.02, x.size)
    c = clinical_lead("MLII", x, est, fs, beats)
    assert c.rr.n == beats.size - 1 and c.rr.within_20ms == 1.0 and abs(c.rr.mean_ms) < 2


def test_detected_beats_on_image_kit_style_truth():
    signal, fields = wfdb.rdsamp(str(RECORDS / "ptbxl" / "00001_lr"))
    fs = float(fields["fs"])
    ii = fields["sig_name"].index("II")  # lead II is the full-length rhythm strip on an ECG-Image-Kit page
    c = clinical_lead("II", signal[:, ii], signal[:, ii].copy(), fs)
    assert c.beats_source == "detected" and c.n_beats >= 5
    assert c.rr.mean_ms == 0 and c.rr.within_10ms == 1.0
    windowed = signal[:, 0].copy()
    windowed[int(2.5 * fs):] = np.nan  # lead I plotted for 2.5 s only: beats come from that window
    c = clinical_lead("I", windowed, windowed.copy(), fs)
    assert c.n_beats >= 1 and (c.rr.n == 0 or c.rr.mean_ms == 0)


def test_batch_uses_annotations_beside_the_reference(tmp_path: Path, mitdb):
    x, fs, beats = mitdb
    signal, fields = wfdb.rdsamp(MITDB, sampto=int(20 * fs))
    ann = wfdb.rdann(MITDB, "atr", sampto=int(20 * fs))
    for folder in ("ref", "est"):
        (tmp_path / folder).mkdir()
        wfdb.wrsamp("w", fs=fs, units=fields["units"], sig_name=fields["sig_name"], p_signal=signal,
                    fmt=["16"] * 2, adc_gain=[200.0] * 2, baseline=[0] * 2, write_dir=str(tmp_path / folder))
    wfdb.wrann("w", "atr", ann.sample, ann.symbol, write_dir=str(tmp_path / "ref"))
    run = score_folders(tmp_path / "ref", tmp_path / "est", clinical=True)
    lead = run.records[0].clinical[0]
    assert lead.beats_source == "annotations"
    assert run.clinical["rr"].n > 40 and run.clinical["rr"].mean_ms == 0
