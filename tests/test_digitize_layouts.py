"""The digitizer reads every page the simulator prints: standard layouts by name, and any other lead set (the ``auto``
layout of a 2-lead Holter record, or of a record with more leads than fit one column) as its list of leads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import wfdb

from digitize.cli import main
from digitize.layouts import frame_layout, parse_layout
from simulator.errors import InputError
from simulator.frame import render_frame, write_frame
from simulator.layout import PageSpec
from simulator.records import Record
from simulator.scene import Scene
from tests.test_digitize import FS, beat_record, snr_db, write_page


def leads_record(names: tuple[str, ...]) -> Record:
    """:func:`beat_record`'s beats under other lead names (each its own amplitude)."""
    base = beat_record().signals
    signals = np.stack([base[:, k % base.shape[1]] for k in range(len(names))], axis=1)
    return Record(name="leads", fs=FS, signals=signals, lead_names=names, path=Path("leads"))


def auto_page(out: Path, names: tuple[str, ...]) -> dict:
    """A flat page of :func:`leads_record` with the ``auto`` layout, written to ``out/page.*``; its truth JSON."""
    frame = render_frame(Scene(page=PageSpec(layout="auto", rhythm_leads=(), dpi=200)), leads_record(names))
    write_frame(out, "page", frame)
    return json.loads((out / "page.json").read_text())


@pytest.mark.parametrize(("text", "name", "rows", "leads"), [
    ("MLII,V5", "MLII,V5", [("MLII",), ("V5",)], ("MLII", "V5")),
    ("ECG 1,Resp (sum)", "ECG 1,Resp (sum)", [("ECG 1",), ("Resp (sum)",)], ("ECG 1", "Resp (sum)")),
    ("II", "II", [("II",)], ("II",)),
    (" I, II ,III/aVR,aVL ", "I,II,III/aVR,aVL", [("I", "aVR"), ("II", "aVL"), ("III", "")],
     ("I", "II", "III", "aVR", "aVL")),
])
def test_a_lead_list_is_a_layout_column_by_column(text, name, rows, leads):
    """Rows top to bottom, "" where a shorter column has no lead; the record's leads in the page's order."""
    spec = parse_layout(text)
    assert spec.name == name and spec.n_columns == name.count("/") + 1
    assert [r.leads for r in spec.rows] == rows and spec.leads == leads


def test_standard_layouts_keep_the_12_leads():
    spec = parse_layout("3x4+1")
    assert len(spec.leads) == 12 and [len(r.leads) for r in spec.rows] == [4, 4, 4, 1]


@pytest.mark.parametrize(("text", "says"), [
    ("3x5", "unknown layout '3x5'"),
    ("3x4+4", "unknown layout '3x4+4'"),
    ("MLII,,V5", "'' is not a lead name"),
    ("MLII,V\x075", "'V\\x075' is not a lead name"),
    ("MLII,mlii", "lead 'mlii' is listed twice"),
])
def test_a_bad_layout_is_named(text, says):
    with pytest.raises(InputError, match="--layout") as err:
        parse_layout(text)
    assert says in str(err.value)


def test_cli_refuses_a_bad_layout_in_one_line(tmp_path, capsys):
    image = tmp_path / "x.png"
    image.write_bytes(b"")
    assert main(["run", str(image), "--output", str(tmp_path / "out"), "--layout", "MLII,,V5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --layout") and not (tmp_path / "out").exists()


def test_a_two_lead_holter_page_is_read_into_its_own_leads(tmp_path):
    """MIT-BIH's MLII and V5, one above the other over 10 s (what ``generate`` prints for the bundled record 100)."""
    truth = auto_page(tmp_path, ("MLII", "V5"))
    assert frame_layout(truth) == "MLII,V5"
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "page.png"), "--output", str(out), "--method", "naive",
                 "--layout", frame_layout(truth)]) == 0
    rec, ref = wfdb.rdrecord(str(out / "page")), wfdb.rdrecord(str(tmp_path / "page"))
    assert rec.sig_name == ["MLII", "V5"] == ref.sig_name
    assert np.isfinite(rec.p_signal).all()
    assert snr_db(ref.p_signal, rec.p_signal[: ref.sig_len]) > 13.5


def test_a_page_of_15_leads_in_two_columns_is_read_column_by_column(tmp_path):
    """PTB's 15 leads (the 12 and Frank's X, Y, Z) printed with ``auto``: eight rows, two columns of 5 s each, the
    second column one lead short."""
    names = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6", "vx", "vy", "vz")
    truth = auto_page(tmp_path, names)
    layout = frame_layout(truth)
    assert layout == "I,II,III,aVR,aVL,aVF,V1,V2/V3,V4,V5,V6,vx,vy,vz"
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "page.png"), "--output", str(out), "--method", "naive",
                 "--layout", layout]) == 0
    rec, ref = wfdb.rdrecord(str(out / "page")), wfdb.rdrecord(str(tmp_path / "page"))
    assert rec.sig_name == list(names)
    half = rec.sig_len // 2
    lead = {name: rec.p_signal[:, k] for k, name in enumerate(rec.sig_name)}
    assert np.isfinite(lead["I"][:half]).all() and np.isnan(lead["I"][half:]).all()
    assert np.isnan(lead["vz"][:half]).all() and np.isfinite(lead["vz"][half:]).all()
    assert snr_db(ref.p_signal, rec.p_signal[: ref.sig_len]) > 11.5


def test_frame_layout_names_a_standard_page():
    assert frame_layout({"page_spec": {"layout": "3x4", "rhythm_leads": ["II"]}}) == "3x4+1"
    assert frame_layout({"page_spec": {"layout": "6x2", "rhythm_leads": []}}) == "6x2+0"
    assert frame_layout({"page_spec": {"layout": "12x1", "rhythm_leads": []}}) == "12x1"


def test_from_sidecar_reads_each_frame_as_it_was_printed(tmp_path, capsys):
    """A folder of frames in different layouts (what ``generate`` makes from the bundled records), digitized in one
    run: each image's layout, speed, gain and duration come from its sidecar, so each record holds its own leads."""
    frames = tmp_path / "frames"
    frames.mkdir()
    auto_page(frames, ("MLII", "V5"))
    (frames / "page.png").rename(frames / "holter.png")
    (frames / "page.json").rename(frames / "holter.json")
    write_page(frames, name="standard", speed_mm_s=50.0)   # 4 s on the page
    for stem in ("page", "standard"):     # the ground truth records stay apart from the images
        for ext in (".hea", ".dat"):
            if (frames / f"{stem}{ext}").exists():
                (frames / f"{stem}{ext}").rename(tmp_path / f"{stem}{ext}")
    out = tmp_path / "out"
    assert main(["run", str(frames), "--output", str(out), "--method", "naive", "--from-sidecar"]) == 0
    holter, standard = wfdb.rdrecord(str(out / "holter")), wfdb.rdrecord(str(out / "standard"))
    truth = wfdb.rdrecord(str(tmp_path / "standard"))
    assert holter.sig_name == ["MLII", "V5"] and holter.sig_len == 5000             # 10 s at 500 Hz
    assert len(standard.sig_name) == 12 and standard.sig_len == truth.sig_len == 2000   # 4 s, read at 50 mm/s
    assert snr_db(truth.p_signal, standard.p_signal) > 12.0
    capsys.readouterr()
    (frames / "standard.json").unlink()
    assert main(["run", str(frames / "standard.png"), "--output", str(tmp_path / "o2"), "--from-sidecar"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --from-sidecar: standard.png has no frame sidecar standard.json beside it"]
