"""Readers, batch scoring, the CLI and the HTML report, on records written to temporary folders."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import wfdb

from eval.cli import main
from eval.io import find_records, load_record
from eval.score import score_folders
from simulator.errors import InputError
from tests.conftest import multi_segment_record

FS = 100.0
LEADS = ["I", "II", "V1"]


def signals(n: int = 1000, leads: int = 3) -> np.ndarray:
    """Beat-like signals on a 0.002 mV grid (so 0.5× survives 16-bit storage at gain 1000 exactly)."""
    t = np.arange(n) / FS
    cols = [0.2 * np.sin(2 * np.pi * 0.7 * t + k) + (1 + 0.2 * k) * np.exp(-((np.mod(t, 0.8) - 0.4) / 0.02) ** 2)
            for k in range(leads)]
    return np.round(np.stack(cols, axis=1) * 500) / 500


def write(folder: Path, name: str, sig: np.ndarray, leads: list[str] = LEADS, fs: float = FS,
          units: str = "mV", gain: float = 1000.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    n = sig.shape[1]
    wfdb.wrsamp(name, fs=fs, units=[units] * n, sig_name=leads, p_signal=sig, fmt=["16"] * n,
                adc_gain=[gain] * n, baseline=[0] * n, write_dir=str(folder))
    return folder / name


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """ref/{a,b} and est/sub/a = 0.5 × ref/a with lead V1 missing and lead names in another case; b is missing."""
    ref, est = tmp_path / "ref", tmp_path / "est"
    write(ref, "a", signals())
    write(ref, "b", signals())
    write(est / "sub", "a", 0.5 * signals()[:, :2], leads=["i", "ii"])
    return ref, est


def test_find_records_recursive_and_kaggle_layout(tmp_path: Path):
    write(tmp_path / "x" / "y", "r1", signals())
    case = tmp_path / "train" / "7"
    case.mkdir(parents=True)
    (case / "7.csv").write_text("I,II\n0.1,0.2\n,0.3\n")
    (tmp_path / "train.csv").write_text("id,fs,sig_len\n7,250,2\n")
    found = find_records(tmp_path)
    assert set(found) == {"x/y/r1", "train/7/7"}
    rec = load_record("train/7/7", found["train/7/7"])
    assert rec.fs == 250 and rec.leads == ("I", "II") and math.isnan(rec.signal[1, 0])
    for fs in ("abc", "0", "nan"):  # were a float() error naming the record's CSV, and 0 a silent fallback
        (tmp_path / "train.csv").write_text(f"id,fs,sig_len\n7,{fs},2\n")
        with pytest.raises(InputError, match=rf"train.csv: fs '{fs}' of id 7 is not a frequency"):
            load_record("train/7/7", found["train/7/7"])
    (tmp_path / "train.csv").unlink()
    assert load_record("train/7/7", found["train/7/7"]).fs == 0.2  # 2 rows over the competition's 10 s


def test_a_multi_segment_reference_is_one_record(tmp_path: Path):
    """Its segments and layout were listed as references of their own, each a 'missing_record' against any
    digitization; now the record is scored whole, gaps and all, as wfdb reads it."""
    base = multi_segment_record(tmp_path / "ref")
    assert list(find_records(tmp_path / "ref")) == ["m"]
    whole, fields = wfdb.rdsamp(str(base))
    write(tmp_path / "est", "m", np.nan_to_num(whole), leads=fields["sig_name"], fs=fields["fs"])
    run = score_folders(tmp_path / "ref", tmp_path / "est", align=False)
    assert [(r.name, r.status) for r in run.records] == [("m", "ok")] and not run.errors
    assert all(lead.snr > 40 for lead in run.records[0].leads)


def test_missing_lead_and_missing_record_hand_computed(folders):
    ref, est = folders
    run = score_folders(ref, est, align=False)
    by = {r.name: r for r in run.records}
    assert by["sub/a"].status == "ok" and by["b"].status == "missing_record"
    lead = {x.lead: x for x in by["sub/a"].leads}
    assert lead["I"].snr == pytest.approx(10 * math.log10(4), abs=1e-9)
    assert lead["V1"].status == "missing_lead" and math.isnan(lead["V1"].snr)
    assert all(math.isnan(x.snr) for x in by["b"].leads)
    # The Challenge's mean ignores NaN: missing leads and records do not enter it.
    assert run.overall["snr"] == pytest.approx(10 * math.log10(4), abs=1e-9)
    assert run.overall["n_missing_records"] == 1 and run.overall["n_missing_leads"] == 1


def test_sampling_frequency_and_units_must_match_unless_resampling(tmp_path: Path, capsys):
    ref, est = tmp_path / "ref", tmp_path / "est"
    write(ref, "a", signals())
    write(est, "a", signals()[::2], fs=FS / 2)
    assert main(["snr", "--reference", str(ref), "--digitized", str(est)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "--resample" in err[0]
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--resample"]) == 0
    write(est, "a", signals() * 1000, units="uV", gain=1.0)
    assert main(["snr", "--reference", str(ref), "--digitized", str(est)]) == 2
    assert "uV" in capsys.readouterr().err
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--resample"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("SNR: ") and float(last.split()[1]) > 100  # µV → mV up to rounding


def test_cli_bad_inputs_one_line_exit_2(tmp_path: Path, capsys):
    ref = tmp_path / "ref"
    write(ref, "a", signals())
    cases = [
        ["snr", "--reference", str(tmp_path / "nope"), "--digitized", str(ref)],
        ["snr", "--reference", str(ref), "--digitized", str(tmp_path / "nope")],
        ["snr", "--reference", str(tmp_path / "empty"), "--digitized", str(ref)],
        ["report", str(tmp_path / "none.json")],
        ["report", str(tmp_path / "empty")],
        ["snr", "--reference", str(ref), "--digitized", str(ref), "--metric", "kaggle2025", "--no-align"],
        ["snr", "--reference", str(ref), "--digitized", str(ref), "--json", str(tmp_path)],  # a folder: found first
        ["report", str(tmp_path / "none.json"), "--worst", "-1"],
    ]
    (tmp_path / "empty").mkdir()
    for argv in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), (argv, err)


def test_a_digitized_record_two_references_could_own_is_refused(tmp_path: Path, capsys):
    """ref/x/r1 and ref/y/r1 against a flat est/r1: scoring one estimate twice would be silently wrong."""
    ref, est = tmp_path / "ref", tmp_path / "est"
    write(ref / "x", "r1", signals())
    write(ref / "y", "r1", signals())
    write(est, "r1", signals())
    assert main(["snr", "--reference", str(ref), "--digitized", str(est)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: digitized record r1 could be reference x/r1 or y/r1 (same name); point "
                          "--reference at one copy") and "\n" not in err
    for sub in ("x", "y"):  # with the references' subfolders each is matched by its relative name
        write(est / sub, "r1", signals())
    (est / "r1.hea").unlink()
    result = score_folders(ref, est)
    assert [r.name for r in result.records] == ["x/r1", "y/r1"] and all(r.snr > 100 for r in result.records)


def test_unreadable_record_is_reported_and_skipped(folders, capsys):
    ref, est = folders
    (est / "b.hea").write_text("b 3 100 1000\nb.dat 16 1000(0)/mV 16 0 0 0 0 I\n")  # lies about its signals
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--no-align"]) == 0
    captured = capsys.readouterr()
    assert "warning: skipped b" in captured.err
    assert captured.out.strip().splitlines()[-1] == f"SNR: {10 * math.log10(4):.3f} dB"
    dup = ref.parent / "dup"
    write(dup, "a", signals(), leads=["I", "i", "V1"])  # ambiguous lead names: this record is skipped, not fatal
    assert main(["snr", "--reference", str(ref), "--digitized", str(dup)]) == 0
    assert "warning: skipped a: repeated lead names" in capsys.readouterr().err
    bad = ref.parent / "bad"
    bad.mkdir()
    (bad / "z.hea").write_text("garbage\n")
    assert main(["snr", "--reference", str(bad), "--digitized", str(est)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error:")


def test_json_has_every_figure_and_report_is_one_html(folders, tmp_path: Path, capsys):
    ref, est = folders
    (est / "sub" / "a.png").write_bytes(_png())
    (ref / "a.json").write_text(json.dumps({"scene": {"preset": "phone"}}))
    out = tmp_path / "run" / "eval.json"
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--json", str(out)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("SNR: ")
    data = json.loads(out.read_text())
    assert {"snr", "snr_no_align", "snr_median", "ks", "asci", "wad"} <= set(data["overall"])
    rec = {r["name"]: r for r in data["records"]}["sub/a"]
    assert rec["preset"] == "phone" and rec["image"].endswith("a.png")
    assert {"snr", "snr_no_align", "shift_samples", "shift_amplitude", "coverage", "status"} <= set(rec["leads"][0])
    k = tmp_path / "k.json"
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--metric", "kaggle2025",
                 "--json", str(k)]) == 0
    html_path = tmp_path / "report.html"
    assert main(["report", str(out.parent), str(k), "-o", str(html_path)]) == 0
    text = html_path.read_text()
    assert text.count("data:image/png;base64,") >= 4 and "data:image/jpeg;base64," in text
    assert "phone" in text and 'src="http' not in text and "<link" not in text


def test_a_report_plots_a_digitization_shorter_than_its_alignment_shift(tmp_path: Path, capsys):
    """kaggle2025 shifted a 10-sample digitization by more than its length; plotting it was a numpy broadcast
    error that stopped the whole report."""
    ref, est = tmp_path / "ref", tmp_path / "est"
    write(ref, "a", signals())
    write(est, "a", signals()[900:910])
    run = tmp_path / "k.json"
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--metric", "kaggle2025",
                 "--json", str(run)]) == 0
    shifts = [lead["shift_samples"] for lead in json.loads(run.read_text())["records"][0]["leads"]]
    assert any(10 < s < 20 for s in shifts)  # the case: moved later by 1-2 times the digitized signal's length
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 0


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["records"][0]["leads"][0].update(snr="x"), "records[0].leads[0].snr: expected float, got str"),
    (lambda d: d["records"][0].pop("fs"), "records[0].fs: missing"),
    (lambda d: d.update(metric="f1"), "metric: 'f1' is not one of"),
    (lambda d: d.update(records={}), "records: expected a list, got dict"),
])
def test_a_report_refuses_a_run_json_that_snr_did_not_write(folders, tmp_path: Path, capsys, edit, message):
    """An edited or foreign run file is checked against RunResult's fields, not found out by a KeyError inside."""
    ref, est = folders
    run = tmp_path / "run.json"
    assert main(["snr", "--reference", str(ref), "--digitized", str(est), "--json", str(run)]) == 0
    data = json.loads(run.read_text())
    edit(data)
    run.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["report", str(run), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {run}: not a run as `eval snr --json` writes it (") and message in err
    assert not (tmp_path / "r.html").exists()


def test_kaggle_layout_scored_per_image(tmp_path: Path):
    sig = signals(1000, 12)
    leads = ["I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"]
    truth = sig.copy()
    for j in range(12):  # ECG-Image-Kit / Kaggle layout: each lead 2.5 s, lead II the full 10 s
        if leads[j] != "II":
            window = np.zeros(1000, bool)
            window[(j // 3) * 250:(j // 3 + 1) * 250] = True
            truth[~window, j] = np.nan
    case = tmp_path / "train" / "9"
    case.mkdir(parents=True)
    rows = [",".join(leads)] + [",".join("" if np.isnan(v) else f"{v:.3f}" for v in row) for row in truth]
    (case / "9.csv").write_text("\n".join(rows) + "\n")
    (case / "9-0001.png").write_bytes(_png())
    est = tmp_path / "est"
    write(est, "9-0001", sig, leads=leads)
    write(est, "9-0003", 0.5 * sig, leads=leads)
    run = score_folders(tmp_path / "train", est, metric="kaggle2025")
    by = {r.name: r for r in run.records}
    assert set(by) == {"9-0001", "9-0003"} and by["9-0001"].image.endswith("9-0001.png")
    assert by["9-0001"].snr == pytest.approx(10 * math.log10(384))
    assert run.overall["snr"] == pytest.approx(10 * math.log10((384 + by["9-0003"].extra["ratio"]) / 2))


@pytest.mark.parametrize("sub", [[], ["snr"], ["report"]])
def test_help_works(sub, capsys):
    with pytest.raises(SystemExit) as exc:
        main(sub + ["--help"])
    assert exc.value.code == 0 and "usage" in capsys.readouterr().out


def _png() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.full((40, 60, 3), 200, np.uint8))
    return buf.tobytes()
