"""The page command's files: schema, determinism, and every bad input as one line with exit code 2."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest
import wfdb

from simulator.cli import main
from tests.conftest import RECORDS, ROOT, STANDARD_LEADS, square_wave, write_record

PTBXL = RECORDS / "ptbxl" / "00001_lr"


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_json_matches_the_schema(tmp_path: Path) -> None:
    schema = json.loads((ROOT / "docs" / "page.schema.json").read_text())
    assert main(["page", str(PTBXL), "-o", str(tmp_path), "--header", "--seed", "4"]) == 0
    truth = json.loads((tmp_path / "00001_lr.json").read_text())
    jsonschema.validate(truth, schema)
    assert {"trace", "grid", "text"} <= set(truth["masks"])
    assert truth["record_id"] == "00001_lr" and truth["seed"] == 4


def test_redaction_bars_hide_header_lines_and_the_truth_says_so(tmp_path: Path) -> None:
    """--redact 3 prints black bars over name, ID and birth date: dark pixels, no text mask under them, the JSON
    marks those lines redacted and gives the bars' boxes (schema-valid)."""
    assert main(["page", str(PTBXL), "-o", str(tmp_path), "--header", "--redact", "3", "--seed", "4"]) == 0
    truth = json.loads((tmp_path / "00001_lr.json").read_text())
    jsonschema.validate(truth, json.loads((ROOT / "docs" / "page.schema.json").read_text()))
    header = [t for t in truth["text_items"] if t["kind"] == "header"]
    assert [t["redacted"] for t in header] == [True] * 3 + [False] * (len(header) - 3)
    image = cv2.imread(str(tmp_path / "00001_lr.png"), cv2.IMREAD_GRAYSCALE)
    text = cv2.imread(str(tmp_path / truth["masks"]["text"]), cv2.IMREAD_GRAYSCALE)
    assert len(truth["redactions"]) == 3
    for bar, line in zip(truth["redactions"], header):
        (y0, x0), (y1, x1) = bar["0"], bar["2"]
        rows, cols = slice(int(y0) + 1, int(y1)), slice(int(x0) + 1, int(x1))
        assert image[rows, cols].mean() < 60 and not text[rows, cols].any()
        (ty0, tx0), (ty1, tx1) = line["bounding_box"]["0"], line["bounding_box"]["2"]
        assert x0 < tx0 and y0 < ty0 and tx1 < x1 and ty1 < y1  # the bar covers its line
    visible = header[3]["bounding_box"]
    (vy0, vx0), (vy1, vx1) = visible["0"], visible["2"]
    assert text[int(vy0):int(vy1) + 1, int(vx0):int(vx1) + 1].any()  # the next line is still printed


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for run in ("a", "b"):
        assert main(["page", str(PTBXL), "-o", str(tmp_path / run), "--header", "--seed", "7"]) == 0
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert main(["page", str(PTBXL), "-o", str(tmp_path / "c"), "--header", "--seed", "8"]) == 0
    assert digest(tmp_path / "c")["00001_lr.png"] != digest(tmp_path / "a")["00001_lr.png"]


def test_header_is_synthetic(tmp_path: Path) -> None:
    assert main(["page", str(RECORDS / "ptbdb" / "s0010_re"), "-o", str(tmp_path), "--header"]) == 0
    texts = " ".join(t["text"] for t in json.loads((tmp_path / "s0010_re.json").read_text())["text_items"])
    assert "SYNTHETIC" in texts
    assert "81" not in texts.split() and "01/10/1990" not in texts  # the record's age and date never reach the page


def test_microvolt_records_are_converted(tmp_path: Path) -> None:
    sig = square_wave(500, 10, 12)
    write_record(tmp_path, "mv", sig, 500, STANDARD_LEADS)
    write_record(tmp_path, "uv", sig * 1000, 500, STANDARD_LEADS, units="uV", gain=1.0)
    for name in ("mv", "uv"):
        assert main(["page", str(tmp_path / name), "-o", str(tmp_path / "out"), "--grid", "none"]) == 0
    a = json.loads((tmp_path / "out" / "mv.json").read_text())["leads"]
    b = json.loads((tmp_path / "out" / "uv.json").read_text())["leads"]
    assert a[0]["plotted_pixels"] == b[0]["plotted_pixels"]


def test_short_record_is_padded_with_a_warning(tmp_path: Path, capsys) -> None:
    write_record(tmp_path, "short", square_wave(500, 4, 12), 500, STANDARD_LEADS)
    code, err = run_cli(capsys, "page", str(tmp_path / "short"), "-o", str(tmp_path / "out"))
    assert code == 0 and "warning:" in err and "blank" in err
    truth = wfdb.rdrecord(str(tmp_path / "out" / "short"))
    assert truth.sig_len == 5000 and np.isnan(truth.p_signal[2000:, :]).all()


def test_missing_lead_leaves_its_cell_empty(tmp_path: Path, capsys) -> None:
    leads = [x for x in STANDARD_LEADS if x != "V3"]
    write_record(tmp_path, "nov3", square_wave(500, 10, 11), 500, leads)
    code, err = run_cli(capsys, "page", str(tmp_path / "nov3"), "-o", str(tmp_path / "out"))
    assert code == 0 and "V3" in err
    truth = json.loads((tmp_path / "out" / "nov3.json").read_text())
    assert "V3" in truth["missing_leads"] and "V3" not in [lead["lead_name"] for lead in truth["leads"]]


def _bad_records(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Broken records, each with a word its error line must contain."""
    tmp.mkdir()
    good = write_record(tmp, "good", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    cases: dict[str, tuple[Path, str]] = {}
    (tmp / "nohea").mkdir()
    cases["missing .hea"] = (tmp / "nohea" / "x", "header")
    d = tmp / "nodat"
    d.mkdir()
    write_record(d, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    (d / "r.dat").unlink()
    cases["missing .dat"] = (d / "r", "data file")
    d = tmp / "trunc"
    d.mkdir()
    write_record(d, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    (d / "r.dat").write_bytes((d / "r.dat").read_bytes()[:1000])
    cases["truncated .dat"] = (d / "r", "truncated")
    d = tmp / "long"
    d.mkdir()
    write_record(d, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    (d / "r.dat").write_bytes((d / "r.dat").read_bytes() * 2)
    cases["length mismatch"] = (d / "r", "mismatch")
    d = tmp / "fmt"
    d.mkdir()
    write_record(d, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS)
    hea = (d / "r.hea").read_text().replace("r.dat 16 ", "r.dat 516 ")
    (d / "r.hea").write_text(hea)
    cases["unsupported format"] = (d / "r", "format")
    d = tmp / "zero"
    d.mkdir()
    (d / "r.hea").write_text("r 1 500 0\nr.dat 16 1000/mV 16 0 0 0 0 I\n")
    (d / "r.dat").write_bytes(b"")
    cases["zero length"] = (d / "r", "zero-length")
    d = tmp / "nan"
    d.mkdir()
    write_record(d, "r", np.full((5000, 12), np.nan), 500, STANDARD_LEADS)
    cases["all NaN"] = (d / "r", "NaN")
    d = tmp / "units"
    d.mkdir()
    write_record(d, "r", square_wave(500, 10, 12), 500, STANDARD_LEADS, units="furlong")
    cases["unknown units"] = (d / "r", "units")
    d = tmp / "slow"
    d.mkdir()
    write_record(d, "r", square_wave(40, 10, 12), 40, STANDARD_LEADS)
    cases["fs below 50 Hz"] = (d / "r", "below 50")
    cases["good"] = (good, "")
    return cases


@pytest.mark.parametrize("case", ["missing .hea", "missing .dat", "truncated .dat", "length mismatch",
                                  "unsupported format", "zero length", "all NaN", "unknown units", "fs below 50 Hz"])
def test_bad_records_fail_cleanly_and_leave_the_output_intact(tmp_path: Path, capsys, case: str) -> None:
    cases = _bad_records(tmp_path / "in")
    out = tmp_path / "out"
    assert main(["page", str(cases["good"][0]), "-o", str(out)]) == 0
    (out / "keep.txt").write_text("earlier work")
    before = digest(out)
    capsys.readouterr()
    path, word = cases[case]
    code, err = run_cli(capsys, "page", str(path), "-o", str(out), "--name", "good")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and word in lines[0], err
    assert digest(out) == before


def test_a_write_error_names_the_file_asked_for_not_the_temporary(tmp_path: Path) -> None:
    """An atomic write fails on its temporary ('.x.json.tmp-123'); the error must name x.json."""
    from simulator.atomic import write_bytes_atomic

    (tmp_path / "x.json").mkdir()  # a folder where the file should go
    with pytest.raises(IsADirectoryError) as err:
        write_bytes_atomic(tmp_path / "x.json", b"{}")
    assert err.value.filename == str(tmp_path / "x.json") and not list(tmp_path.glob(".x.json.tmp-*"))


def test_a_page_written_into_its_records_folder_never_overwrites_the_record(tmp_path: Path, capsys) -> None:
    """The page's truth record is named after the record: -o the record's own folder replaced the input record by
    the plotted window. Refused, nothing written; another --name writes beside it."""
    for f in PTBXL.parent.glob(f"{PTBXL.name}.*"):
        (tmp_path / f.name).write_bytes(f.read_bytes())
    before = digest(tmp_path)
    code, err = run_cli(capsys, "page", str(tmp_path / PTBXL.name), "-o", str(tmp_path), "--duration", "5")
    assert code == 2 and "would overwrite the input record" in err and digest(tmp_path) == before
    code, _ = run_cli(capsys, "page", str(tmp_path / PTBXL.name), "-o", str(tmp_path), "--name", "page")
    assert code == 0 and (tmp_path / "page.hea").is_file()
    assert {f: h for f, h in digest(tmp_path).items() if f in before} == before


@pytest.mark.parametrize("argv,word", [
    (["--layout", "5x5"], "layout"), (["--rhythm-leads", "Q7"], "Q7"), (["--lead-gain", "V9=10"], "V9"),
    (["--dpi", "50"], "dpi"), (["--dpi", "601"], "dpi"), (["--speed", "30"], "speed"), (["--gain", "7"], "gain"),
    (["--layout", "3x4+4"], "rhythm"), (["--layout", "12x1+1"], "rhythm"), (["--duration", "40"], "duration"),
    (["--grid", "purple"], "grid"), (["--start", "99"], "start"), (["--paper", "legal"], "paper"),
    # found by fuzzing the options: an OverflowError, and a wfdb ValueError after the image was written
    (["--duration", "inf"], "duration_s: inf is not a finite number"), (["--start", "inf"], "start_s: inf"),
    (["--trace-width", "nan"], "trace_width_mm: nan"), (["--name", "a b"], "--name: 'a b' is not a WFDB record"),
    (["--duration", "0.001"], "a trace needs at least 2"),  # no sample a column: an IndexError after the image
])
def test_bad_options_fail_cleanly(tmp_path: Path, capsys, argv: list[str], word: str) -> None:
    code, err = run_cli(capsys, "page", str(PTBXL), "-o", str(tmp_path / "out"), *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and word in lines[0], err
    assert not any((tmp_path / "out").glob("*.png"))


def test_output_path_that_is_a_file_or_unwritable(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("precious")
    for target in (blocker, blocker / "sub"):
        code, err = run_cli(capsys, "page", str(PTBXL), "-o", str(target))
        assert code == 2 and err.startswith("error: --output") and len(err.strip().splitlines()) == 1
    assert blocker.read_text() == "precious"


def test_real_process_exit_code_and_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "simulator", "page", str(tmp_path / "absent"), "-o", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    help_ = subprocess.run([sys.executable, "-m", "simulator", "page", "--help"], capture_output=True, text=True,
                           cwd=ROOT)
    assert help_.returncode == 0 and "--layout" in help_.stdout
