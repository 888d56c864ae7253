"""The reference-free quality estimate: the leads' own identities and repeated leads, on its own and end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from digitize.cli import main as digitize_main
from digitize.layouts import LEAD_NAMES
from eval.cli import main as eval_main
from eval.consistency import consistency
from simulator.frame import render_frame, write_frame
from simulator.layout import PageSpec
from simulator.records import Record
from simulator.scene import Scene

FS = 500.0


def limb_record(seconds: float = 10.0) -> dict[str, np.ndarray]:
    """12 leads that obey Einthoven's and Goldberger's laws exactly: I and II of different shapes, the other limb
    leads derived from them, chest leads scaled copies of II with their own delay."""
    t = np.arange(int(seconds * FS)) / FS

    def beat(at: float, qrs: float, tw: float) -> np.ndarray:
        phase = t % 0.85
        return (0.1 * np.exp(-((phase - at + 0.15) / 0.025) ** 2) + qrs * np.exp(-((phase - at) / 0.012) ** 2)
                + tw * np.exp(-((phase - at - 0.25) / 0.05) ** 2))

    i, ii = beat(0.30, 0.6, 0.15), beat(0.31, 1.2, 0.3) - 0.3 * beat(0.33, 0.5, 0.0)
    leads = {"I": i, "II": ii, "III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2}
    for k, name in enumerate(("V1", "V2", "V3", "V4", "V5", "V6")):
        leads[name] = np.roll(ii, 3 * k) * (k - 2.5) / 2.0
    return leads


def test_exact_leads_agree_and_independent_noise_is_estimated_within_1_db():
    leads = limb_record()
    assert consistency(leads).snr_db > 60.0
    rng = np.random.default_rng(0)
    for sigma in (0.02, 0.1, 0.3):
        noisy = {k: v + rng.normal(0, sigma, v.size) for k, v in leads.items()}
        limb = np.stack([leads[k] for k in ("I", "II", "III", "aVR", "aVL", "aVF")])
        actual = 10 * np.log10(np.mean(limb ** 2) / sigma ** 2)
        assert consistency(noisy).snr_db == pytest.approx(actual, abs=1.0)


def test_lead_names_match_whatever_their_case():
    """PTB-XL names its augmented leads AVR, AVL, AVF: another digitizer's records may too."""
    upper = {k.upper() if k.startswith("a") else k: v for k, v in limb_record().items()}
    assert {c.name for c in consistency(upper).checks} == {"einthoven", "goldberger"}


def test_swapped_leads_are_caught():
    leads = limb_record()
    swapped = {**leads, "I": leads["II"], "II": leads["I"], "aVR": leads["aVF"], "aVF": leads["aVR"]}
    result = consistency(swapped)
    assert result.snr_db < 5.0 and {c.name for c in result.checks} == {"einthoven", "goldberger"}


def test_a_rhythm_strip_that_differs_from_its_column_is_caught():
    leads = limb_record()
    n = leads["II"].size
    column = np.where(np.arange(n) < n // 4, leads["II"], np.nan)   # II in the first column of a 3x4 page
    for lag, expect_low in ((0, False), (20, True)):   # the rhythm strip read 40 ms late
        rows = [{"II": column}, {"II": np.roll(leads["II"], lag)}]
        check = {c.name: c for c in consistency({"V1": leads["V1"]}, rows).checks}["II printed twice"]
        assert check.samples == n // 4
        assert (check.snr_db < 5.0) if expect_low else (check.snr_db > 60.0)


def test_a_shift_every_lead_shares_is_not_seen():
    """The blind spot it documents: the identities hold for leads all read late (a page timed wrongly)."""
    shifted = {k: np.roll(v, 50) for k, v in limb_record().items()}
    assert consistency(shifted).snr_db > 60.0


def test_no_check_is_possible_without_simultaneous_limb_leads():
    leads = limb_record()
    n = leads["I"].size
    quarters = {k: np.where((np.arange(n) // (n // 4)) == q, leads[k], np.nan)   # I, II, III never at one time
                for k, q in (("I", 0), ("II", 1), ("III", 2))}
    result = consistency({**quarters, "V1": leads["V1"]})
    assert np.isnan(result.snr_db) and result.checks == ()


@pytest.fixture(scope="module")
def digitized(tmp_path_factory) -> Path:
    """A flat 3x4+1 page of :func:`limb_record`, digitized by the CLI."""
    pages, out = tmp_path_factory.mktemp("pages"), tmp_path_factory.mktemp("digitized")
    leads = limb_record()
    record = Record(name="limb", fs=FS, signals=np.stack([leads[k] for k in LEAD_NAMES], 1), lead_names=LEAD_NAMES,
                    path=Path("limb"))
    page = PageSpec(layout="3x4", rhythm_leads=("II",), dpi=200)
    write_frame(pages, "limb", render_frame(Scene(page=page), record))
    assert digitize_main(["run", str(pages / "limb.png"), "--output", str(out), "--method", "naive"]) == 0
    return out


def test_the_digitizer_writes_its_estimate_and_eval_reads_it(digitized, tmp_path, capsys):
    written = json.loads((digitized / "limb.json").read_text())["consistency"]
    assert {c["name"] for c in written["checks"]} == {"einthoven", "goldberger", "II printed twice"}
    assert written["snr_db"] > 15.0   # a clean page read well agrees with itself
    capsys.readouterr()
    assert eval_main(["consistency", "--digitized", str(digitized), "--json", str(tmp_path / "c.json")]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == f"self-consistency: {written['snr_db']:.3f} dB"
    data = json.loads((tmp_path / "c.json").read_text())
    assert data["records"][0]["source"] == "digitizer" and data["mean_snr_db"] == written["snr_db"]


def test_another_digitizers_records_are_checked_from_their_signals(digitized, tmp_path, capsys):
    """Records without our JSON (another digitizer's) get the identities over their signals."""
    rec = wfdb.rdrecord(str(digitized / "limb"))
    wfdb.wrsamp("other", fs=FS, units=["mV"] * 12, sig_name=rec.sig_name, p_signal=rec.p_signal, fmt=["16"] * 12,
                write_dir=str(tmp_path))
    assert eval_main(["consistency", "--digitized", str(tmp_path), "--json", str(tmp_path / "c.json")]) == 0
    record = json.loads((tmp_path / "c.json").read_text())["records"][0]
    assert record["source"] == "record" and {c["name"] for c in record["checks"]} == {"einthoven", "goldberger"}
    assert record["snr_db"] > 15.0


@pytest.mark.parametrize("case", ["missing", "empty", "json_is_a_folder"])
def test_bad_input_is_one_line_and_exit_2(digitized, tmp_path, capsys, case):
    folder = {"missing": tmp_path / "nope", "empty": tmp_path, "json_is_a_folder": digitized}[case]
    args = ["consistency", "--digitized", str(folder)] + (["--json", str(tmp_path)] if case == "json_is_a_folder"
                                                          else [])
    assert eval_main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")
