"""Reading records: windows cut from a record kept whole are wfdb's own numbers, and a record rewritten on disk is
read again rather than served from what was kept."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import wfdb

from simulator import records
from simulator.errors import InputError
from simulator.records import UNIT_TO_MV, find_records, load_record, read_header
from tests.conftest import RECORDS, STANDARD_LEADS, multi_segment_record, square_wave, write_record

BUNDLED = [RECORDS / "ptbxl" / "00001_lr", RECORDS / "ptbdb" / "s0010_re", RECORDS / "mitdb" / "100"]


@pytest.mark.parametrize("base", BUNDLED, ids=lambda p: p.name)
def test_windows_are_wfdbs_own_reads_of_them(base: Path) -> None:
    """Formats 16 and 212 (mitdb), whole records and windows at their start, middle and end."""
    header = read_header(base)
    assert header.n_sig * header.sig_len <= records.WHOLE_RECORD_VALUES  # the kept path is the one tested
    fs, n = header.fs, header.sig_len
    for start, seconds in ((0.0, 2.5), (n / fs / 3, 10.0), (n / fs - 1.0, 10.0), (0.0, None)):
        got = load_record(base, start, seconds, header)
        first = int(round(start * fs))
        last = n if seconds is None else min(n, first + int(np.ceil(seconds * fs)))
        want = wfdb.rdrecord(str(base), sampfrom=first, sampto=last, physical=True)
        scale = np.array([UNIT_TO_MV[(u or "mV").strip().lower()] for u in want.units])
        np.testing.assert_array_equal(got.signals, want.p_signal * scale)
        assert got.lead_names == tuple(want.sig_name) and got.start_sample == first


def test_a_long_record_is_read_a_window_at_a_time(tmp_path: Path, monkeypatch) -> None:
    write_record(tmp_path, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    kept = load_record(tmp_path / "r", 2.0, 3.0)
    monkeypatch.setattr(records, "WHOLE_RECORD_VALUES", 100)
    windowed = load_record(tmp_path / "r", 2.0, 3.0)
    np.testing.assert_array_equal(kept.signals, windowed.signals)


def test_a_record_rewritten_on_disk_is_read_again(tmp_path: Path) -> None:
    """Same name, same size, new samples and a new lead name: neither the kept header nor the kept samples
    survive the rewrite."""
    signal = square_wave(500, 10, 12)
    write_record(tmp_path, "r", signal, 500, STANDARD_LEADS)
    before = load_record(tmp_path / "r", 0.0, 10.0)
    stamp = (tmp_path / "r.dat").stat().st_mtime_ns
    write_record(tmp_path, "r", -signal, 500, ["X"] + STANDARD_LEADS[1:])
    for name in ("r.hea", "r.dat"):  # a coarse clock could give the rewrite the same time: move it on
        os.utime(tmp_path / name, ns=(stamp + 10**9, stamp + 10**9))
    after = load_record(tmp_path / "r", 0.0, 10.0)
    np.testing.assert_array_equal(after.signals, -before.signals)
    assert after.lead_names[0] == "X" and before.lead_names[0] == "I"


def test_a_multi_segment_record_reads_as_wfdb_reads_it(tmp_path: Path) -> None:
    """Its header was an AttributeError ('MultiRecord' has no 'fmt'); now windows across segments and gaps are
    wfdb's own numbers, and a damaged segment is named."""
    base = multi_segment_record(tmp_path)
    header = read_header(base)
    assert (header.sig_name, header.sig_len, header.fs) == (("I", "II", "V1"), 5000, 500.0)
    got = load_record(base, 3.0, 4.0, header)  # from segment a, across the gap, into segment b
    want = wfdb.rdrecord(str(base), sampfrom=1500, sampto=3500, physical=True)
    np.testing.assert_array_equal(got.signals, want.p_signal)
    assert np.isnan(got.signals[500:1500]).all() and np.isnan(got.signals[:500, 2]).all()
    (tmp_path / "b.dat").write_bytes(b"\0" * 10)
    with pytest.raises(InputError, match=r"record .*/b: data file b.dat is truncated"):
        read_header(base)


def test_generate_draws_frames_from_a_multi_segment_record(tmp_path: Path) -> None:
    from simulator.cli import main
    from simulator.manifest import read_manifest

    base = multi_segment_record(tmp_path / "in")
    assert find_records([tmp_path / "in"]) == [base]  # its segments and layout are not records of their own
    assert main(["generate", "-o", str(tmp_path / "out"), "-n", "2", "--preset", "clean", "--input",
                 str(tmp_path / "in"), "--no-progress"]) == 0
    assert [e["record"] for e in read_manifest(tmp_path / "out").values()] == ["m", "m"]
