"""generate: same bytes for any worker count or backend, kill -9 then rerun = uninterrupted run, clear errors."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import wfdb

from simulator import provenance
from simulator.cli import main
from simulator.config import preset_scene
from simulator.errors import InputError
from simulator.manifest import read_manifest
from simulator.output import sole_writer
from simulator.provenance import made_by
from simulator.workers import Todo, _chunks, pick_window

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / "assets" / "records"
COUNT = 6
# Flat pages and small photographed ones (scanner, crumpled): every path, quick on a CPU renderer.
SMALL_CONFIG = """
page.dpi: 100
one_of:
  choice:
    - {extends: clean}
    - {extends: scanner, camera: {width_px: 330, height_px: 255}, sheet.cell_mm: 8}
    - {extends: crumpled, camera: {width_px: 320, height_px: 240}, sheet.cell_mm: 6}
  weights: [2, 1, 1]
"""


@pytest.fixture(scope="module")
def small_config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "small.yaml"
    path.write_text(SMALL_CONFIG)
    return path


def generate(out: Path, config: Path, *extra: str, count: int = COUNT) -> int:
    return main(["generate", "--output", str(out), "--count", str(count), "--seed", "7", "--config", str(config),
                 "--input", str(RECORDS), "--no-progress", *extra])


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file's bytes, except the manifest (its line order follows completion order)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.jsonl"}


def differing(folder: Path, reference: Path) -> list[str]:
    """Files missing from, extra in, or different from the reference run (empty when byte-identical)."""
    a, b = files_of(folder), files_of(reference)
    return sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))


def manifest_by_frame(folder: Path) -> dict[int, dict]:
    return read_manifest(folder)


@pytest.fixture(scope="module")
def reference(tmp_path_factory, small_config) -> Path:
    out = tmp_path_factory.mktemp("ref") / "set"
    assert generate(out, small_config) == 0
    return out


def test_reference_run_writes_frames_and_manifest(reference):
    entries = manifest_by_frame(reference)
    assert sorted(entries) == list(range(COUNT))
    for entry in entries.values():
        assert entry["status"] == "ok" and entry["window"]["duration_s"] > 0 and len(entry["scene_hash"]) == 64
        for name, digest in entry["files"].items():
            assert (reference / name).is_file() and len(digest) == 64
        truth = json.loads((reference / f"{entry['name']}.json").read_text())
        assert truth["source"]["frame"] == entry["frame"] and truth["scene"]["preset"] == entry["preset"]
        assert truth["made_by"] == made_by() and entry["code"] == made_by()["code"]
    assert {e["preset"] for e in entries.values()} == {"clean", "scanner", "crumpled"}  # flat and photographed
    run = json.loads((reference / "run.json").read_text())
    assert run["seed"] == 7 and run["count"] == COUNT and run["made_by"] == [made_by()]


def test_two_workers_give_identical_files(reference, small_config, tmp_path):
    out = tmp_path / "two"
    assert generate(out, small_config, "--workers", "2") == 0
    assert differing(out, reference) == []
    assert manifest_by_frame(out) == manifest_by_frame(reference)


def test_kill_then_rerun_equals_uninterrupted_run(reference, small_config, tmp_path):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "simulator", "generate", "--output", str(out), "--count", str(COUNT), "--seed", "7",
           "--config", str(small_config), "--input", str(RECORDS), "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = out / "manifest.jsonl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if manifest.exists() and manifest.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(manifest_by_frame(out))
    assert done_before < COUNT, "the run finished before it could be killed"
    assert generate(out, small_config) == 0
    assert differing(out, reference) == []
    assert manifest_by_frame(out) == manifest_by_frame(reference)


def test_a_full_disk_stops_the_run_and_a_rerun_finishes_it(reference, small_config, tmp_path, monkeypatch, capsys):
    """A full disk is not a bad frame: the run stops at the first write that fails (instead of failing every frame
    left), says so, and rerunning the same command once there is space gives the uninterrupted run's files."""
    import errno

    import simulator.workers as workers

    real, written = workers.write_frame, []

    def full_after_two(*args, **kwargs):
        written.append(args[1])
        if len(written) > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(workers, "write_frame", full_after_two)
    out = tmp_path / "full"
    assert generate(out, small_config) == 1
    assert len(written) == 3  # stopped at the failing frame
    err = capsys.readouterr().err
    assert "No space left on device" in err and "rerun the same command" in err
    assert [e["status"] for e in manifest_by_frame(out).values()] == ["ok", "ok", "error"]
    monkeypatch.undo()
    assert generate(out, small_config) == 0
    assert differing(out, reference) == []


def test_a_larger_count_extends_the_set_and_a_smaller_one_is_refused(reference, small_config, tmp_path, capsys):
    out = tmp_path / "grown"
    assert generate(out, small_config, count=COUNT - 2) == 0
    assert generate(out, small_config) == 0
    assert differing(out, reference) == []  # run.json now says COUNT, and the first frames were not redone
    assert manifest_by_frame(out) == manifest_by_frame(reference)
    assert "were already done" in capsys.readouterr().out
    assert generate(out, small_config, count=COUNT - 1) == 2
    assert "different count" in capsys.readouterr().err


def test_a_second_run_into_a_folder_being_written_is_refused(reference, small_config, tmp_path, capsys):
    """Two runs into one folder rendered every frame twice and each one's start swept away the other's
    temporaries. The first holds a lock the kernel drops when it dies, so a rerun after kill -9 still goes."""
    out = tmp_path / "busy"
    shutil.copytree(reference, out)
    before = files_of(out)
    with sole_writer(out):  # another run, mid-way
        assert generate(out, small_config) == 2
    assert "another run is writing to" in capsys.readouterr().err and files_of(out) == before
    assert generate(out, small_config) == 0  # the lock went with its holder


def test_a_file_system_without_locks_runs_with_a_warning(reference, small_config, tmp_path, monkeypatch, capsys):
    """Network mounts may refuse flock (ENOLCK): a cluster's shared output folder must still take a run."""
    import errno
    import fcntl

    def no_locks(*_args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    out = tmp_path / "nfs"
    shutil.copytree(reference, out)
    assert generate(out, small_config) == 0
    assert "warning: cannot lock" in capsys.readouterr().err  # the CLI prints warnings as one line each


def test_a_run_sweeps_its_temporaries_and_nothing_else(reference, small_config, tmp_path):
    """Resuming removed every hidden entry of a numbered folder: in an output folder the user already had (a year
    folder '2024' with a .git), their files went with our temporaries."""
    out = tmp_path / "mine"
    shutil.copytree(reference, out)
    (out / "2024" / ".git").mkdir(parents=True)
    (out / "2024" / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "000" / ".notes").write_text("mine")
    (out / "000" / ".frame_000009.png.tmp-4242").write_bytes(b"torn")  # a killed writer's temporary
    assert generate(out, small_config) == 0
    assert (out / "2024" / ".git" / "HEAD").is_file() and (out / "000" / ".notes").read_text() == "mine"
    assert not (out / "000" / ".frame_000009.png.tmp-4242").exists()


def test_a_manifest_line_damaged_past_text_is_skipped(reference, small_config, tmp_path, capsys):
    """A torn or corrupted manifest line is skipped on resume; bytes that are not UTF-8 were a UnicodeDecodeError."""
    out = tmp_path / "garbled"
    shutil.copytree(reference, out)
    with open(out / "manifest.jsonl", "ab") as f:
        f.write(b"\xff\xfe{\"frame\": 9\n")
    assert generate(out, small_config) == 0
    assert f"{COUNT} were already done" in capsys.readouterr().out


def test_rerun_of_a_finished_set_does_nothing(reference, small_config, tmp_path, capsys):
    out = tmp_path / "again"
    shutil.copytree(reference, out)
    before = (out / "manifest.jsonl").read_bytes()
    assert generate(out, small_config) == 0
    assert (out / "manifest.jsonl").read_bytes() == before
    assert f"{COUNT} were already done" in capsys.readouterr().out


def test_resume_with_a_different_seed_is_refused(reference, tmp_path, capsys):
    out = tmp_path / "other"
    shutil.copytree(reference, out)
    code = main(["generate", "--output", str(out), "--count", str(COUNT), "--seed", "8", "--preset", "clean",
                 "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "different seed" in err and "\n" not in err


@pytest.mark.parametrize("settings", [b"[]", b"null", b"{not json", b"\xff\xfe\x00"])  # the last: not even UTF-8
def test_a_damaged_run_json_is_refused_and_nothing_is_touched(reference, small_config, tmp_path, capsys, settings):
    out = tmp_path / "damaged"
    shutil.copytree(reference, out)
    (out / "run.json").write_bytes(settings)
    before = files_of(out)
    assert generate(out, small_config) == 2
    err = capsys.readouterr().err.strip()
    assert "run.json is unreadable" in err and "\n" not in err and files_of(out) == before


def test_a_set_begun_by_other_code_is_finished_only_when_asked(reference, small_config, tmp_path, capsys):
    """Other code may draw other bytes for the same (seed, i): finishing a set that another version began is refused
    in one line naming the difference, unless --allow-other-version; then run.json lists both versions and each
    manifest line names the code that made its frame."""
    out = tmp_path / "older"
    shutil.copytree(reference, out)
    run = json.loads((out / "run.json").read_text())
    older = {**made_by(), "code": "0123456789abcdef"}
    (out / "run.json").write_text(json.dumps({**run, "made_by": [older]}))
    manifest = out / "manifest.jsonl"
    kept = [line for line in manifest.read_text().splitlines() if json.loads(line)["frame"] < COUNT - 2]
    manifest.write_text("".join(f"{line}\n" for line in kept))  # the last two frames are left to do
    assert generate(out, small_config) == 2
    err = capsys.readouterr().err.strip()
    assert "begun with code 0123456789abcdef" in err and "--allow-other-version" in err and "\n" not in err
    assert len(manifest_by_frame(out)) == COUNT - 2  # nothing was done
    assert generate(out, small_config, "--allow-other-version") == 0
    assert json.loads((out / "run.json").read_text())["made_by"] == [older, made_by()]
    assert differing(out, reference) == ["run.json"]
    assert generate(out, small_config) == 0  # this version made the last frames: a rerun needs no flag


def test_the_code_fingerprint_follows_the_code_and_shaders(tmp_path, monkeypatch):
    """A copy of the code has the same fingerprint; a changed shader gives another."""
    real = provenance.code_fingerprint()
    for folder in ("simulator", "shaders"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "ROOT", tmp_path)
    try:
        provenance.code_fingerprint.cache_clear()
        assert provenance.code_fingerprint() == real
        shader = tmp_path / "shaders" / "blit.frag"
        shader.write_text(shader.read_text() + "\n// changed\n")
        provenance.code_fingerprint.cache_clear()
        assert provenance.code_fingerprint() != real
    finally:
        monkeypatch.undo()
        provenance.code_fingerprint.cache_clear()
    assert provenance.code_fingerprint() == real


def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: phone_photo\npage:\n  dpi: {int_uniform: [10, 200]}\n")
    code = main(["generate", "--output", str(tmp_path / "out"), "--count", "1", "--config", str(bad)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: page.dpi: 10 is out of range") and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_a_lens_that_folds_the_frame_is_refused_before_anything_runs(tmp_path, capsys):
    """The vertex shader needs a distortion that grows over the whole frame; one that folds back inside it is a
    config error naming the key, not a garbled dataset."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("extends: phone_photo\ncamera.focal_mm: 14.0\ncamera.dist: [-0.9, 0.0, 0.0, 0.0, 0.0]\n")
    code = main(["generate", "--output", str(tmp_path / "out"), "--count", "1", "--config", str(bad)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "camera.dist" in err and "folds" in err and "\n" not in err
    assert not (tmp_path / "out").exists()


def test_unknown_preset_and_missing_input(tmp_path, capsys):
    assert main(["generate", "-o", str(tmp_path / "a"), "-n", "1", "--preset", "glossy"]) == 2
    assert "unknown preset 'glossy'" in capsys.readouterr().err
    assert main(["generate", "-o", str(tmp_path / "b"), "-n", "1", "--input", str(tmp_path / "nope")]) == 2
    assert "not found" in capsys.readouterr().err
    (tmp_path / "binary.txt").write_bytes(b"\xb1\x00\xff")
    assert main(["generate", "-o", str(tmp_path / "d"), "-n", "1", "--input", str(tmp_path / "binary.txt")]) == 2
    assert "binary.txt is not a text list of records (not UTF-8)" in capsys.readouterr().err
    listed = tmp_path / "records.txt"  # a typo in a list file failed half the frames of the run, found only then
    listed.write_text(f"{RECORDS / 'ptbxl' / '00001_lr'}\n# a comment\nmitdb/10\n")
    assert main(["generate", "-o", str(tmp_path / "c"), "-n", "4", "--input", str(listed)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --input: {listed} names record {tmp_path / 'mitdb' / '10'}, which has no header 10.hea"
    assert not (tmp_path / "c").exists()


def test_a_bad_record_fails_its_frames_and_the_run_goes_on(tmp_path, small_config, capsys):
    inputs = tmp_path / "records"
    shutil.copytree(RECORDS / "ptbxl", inputs / "good")
    (inputs / "bad").mkdir()
    shutil.copy(RECORDS / "ptbxl" / "00001_lr.hea", inputs / "bad" / "broken.hea")
    (inputs / "bad" / "00001_lr.dat").write_bytes(b"\0" * 100)  # the header names this file; truncated
    code = main(["generate", "-o", str(tmp_path / "out"), "-n", "6", "--seed", "1", "--config", str(small_config),
                 "--input", str(inputs), "--no-progress"])
    entries = manifest_by_frame(tmp_path / "out")
    statuses = {e["status"] for e in entries.values()}
    assert code == 1 and statuses == {"ok", "failed"} and len(entries) == 6
    failed = [e for e in entries.values() if e["status"] == "failed"]
    assert all("truncated" in e["reason"] for e in failed)
    assert f"{len(failed)} × record" in capsys.readouterr().out


def test_an_unknown_rhythm_lead_names_the_config_key_and_the_record():
    """The window is planned on a stand-in record before the record is read: its error must name the real one."""
    scene = preset_scene("clean", 0)
    scene = dataclasses.replace(scene, page=dataclasses.replace(scene.page, rhythm_leads=("XYZ",)))
    with pytest.raises(InputError, match=r"^page.rhythm_leads .*'XYZ' .*record 00001_lr\)$"):
        pick_window(str(RECORDS / "ptbxl" / "00001_lr"), scene, np.random.default_rng(0))


@pytest.mark.parametrize("speed, record, printed_at", [
    (12.5, "ptbxl/00001_lr", 25.0),   # 10 s: a 3x4 page at 12.5 mm/s shows 20 s, so it is printed at 25 mm/s
    (12.5, "ptbdb/s0010_re", 12.5),   # 2 min: long enough for any speed
    (25.0, "ptbxl/00001_lr", 25.0),
    (50.0, "ptbxl/00001_lr", 50.0),
])
def test_a_record_shorter_than_the_page_is_printed_at_a_speed_it_fills(speed, record, printed_at):
    """A generated page never leaves half its rows blank because the drawn paper speed wants more signal than the
    record has: the window is whole (no NaN), and the scene says the speed it was printed at."""
    scene = preset_scene("clean", 0)
    scene = dataclasses.replace(scene, page=dataclasses.replace(scene.page, speed_mm_s=speed, layout="3x4",
                                                                rhythm_leads=("II",)))
    got, fitted = pick_window(str(RECORDS / record), scene, np.random.default_rng(0))
    assert fitted.page.speed_mm_s == printed_at
    assert not np.isnan(got.signals).any()
    assert got.signals.shape[0] / got.fs == pytest.approx(10.0 * 25.0 / printed_at, abs=1.0)


def test_an_output_folder_inside_the_input_folder_resumes(tmp_path, capsys):
    """With --input data -o data/out, a rerun found the first run's truth records as inputs and refused to resume
    ('a different inputs'); the frames' own records are no inputs, records beside the frame folders are."""
    for data, out in ((tmp_path / "a", tmp_path / "a" / "out"), (tmp_path / "b", tmp_path / "b" / "ptbxl")):
        shutil.copytree(RECORDS / "ptbxl", data / "ptbxl")
        for count in (2, 3):
            assert main(["generate", "-o", str(out), "-n", str(count), "--preset", "clean", "--input", str(data),
                         "--no-progress"]) == 0, capsys.readouterr().err
        assert json.loads((out / "run.json").read_text())["inputs"] == [str(data / "ptbxl" / "00001_lr")]
        assert sorted(manifest_by_frame(out)) == [0, 1, 2]


def test_the_frames_to_make_are_drawn_lazily():
    """A mistyped --count 10000000000 built a list of every index first, and the kernel killed the run."""
    todo = Todo(10**12, frozenset({0, 2}))
    assert len(todo) == 10**12 - 2 and next(_chunks(todo, 2)) == [1, 3, 4, 5, 6, 7, 8, 9]
    assert list(Todo(5, frozenset({1, 7}))) == [0, 2, 3, 4] and len(Todo(5, frozenset({1, 7}))) == 4


def test_clean_preset_equals_the_page_command(tmp_path):
    record = RECORDS / "ptbxl" / "00001_lr"  # 10 s: the page shows all of it, so the window starts at 0
    assert main(["page", str(record), "-o", str(tmp_path / "page"), "--name", "p"]) == 0
    assert main(["generate", "-o", str(tmp_path / "gen"), "-n", "1", "--preset", "clean", "--input", str(record),
                 "--no-progress"]) == 0
    gen = tmp_path / "gen" / "000"
    for suffix in (".png", "_mask_trace.png", "_mask_grid.png", ".dat"):
        assert (gen / f"frame_000000{suffix}").read_bytes() == (tmp_path / "page" / f"p{suffix}").read_bytes()


def test_synthetic_records(tmp_path):
    out = tmp_path / "syn"
    assert main(["generate", "-o", str(out), "-n", "1", "--input", "synthetic", "--no-progress"]) == 0
    entry = manifest_by_frame(out)[0]
    assert entry["record"].startswith("synthetic-") and entry["input"] == "synthetic"
    assert (out / f"{entry['name']}.hea").read_text().count("\n") >= 13  # 12 leads + header line


def test_ray_backend_gives_identical_files(reference, small_config, tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "ray"
    code = generate(out, small_config, "--backend", "ray", "--workers", "2")
    assert code == 0, [e for e in manifest_by_frame(out).values() if e["status"] != "ok"]
    assert differing(out, reference) == []


def test_truth_records_carry_beat_annotations_that_eval_scores_against(tmp_path: Path, capsys) -> None:
    """MIT-BIH's .atr beats (cut to the window) and a simulated record's R peaks reach each frame's truth as
    NAME.atr, listed in the manifest, and `eval` then takes RR beats from them instead of detecting them."""
    from eval.score import score_folders

    out = tmp_path / "out"
    assert main(["generate", "-o", str(out), "-n", "4", "--seed", "5", "--preset", "clean", "--input",
                 str(RECORDS / "mitdb" / "100"), "synthetic", "--no-progress"]) == 0
    entries = manifest_by_frame(out).values()
    assert {e["input"] == "synthetic" for e in entries} == {True, False}
    for e in entries:
        assert f"{e['name']}.atr" in e["files"]
        ann = wfdb.rdann(str(out / e["name"]), "atr")
        assert len(ann.sample) >= 5 and set(ann.symbol) <= set("NVA")
    est = tmp_path / "est"  # a perfect digitization: the truth signals without their annotations
    for e in entries:
        (est / e["name"]).parent.mkdir(parents=True, exist_ok=True)
        for ext in (".hea", ".dat"):
            shutil.copy(out / f"{e['name']}{ext}", est / f"{e['name']}{ext}")
    run = score_folders(out, est, clinical=True)
    leads = [c for r in run.records for c in r.clinical]
    assert leads and {c.beats_source for c in leads} == {"annotations"}
    assert all(c.rr.n == 0 or c.rr.mae_ms == 0 for c in leads) and sum(c.rr.n for c in leads) > 0
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for ext in (".hea", ".dat"):
        shutil.copy(RECORDS / "mitdb" / f"100{ext}", corrupt / f"100{ext}")
    (corrupt / "100.atr").write_bytes(b"\xff" * 7)
    capsys.readouterr()
    assert main(["generate", "-o", str(tmp_path / "c"), "-n", "1", "--preset", "clean", "--input",
                 str(corrupt / "100"), "--no-progress"]) == 0
    (entry,) = manifest_by_frame(tmp_path / "c").values()
    assert not any(f.endswith(".atr") for f in entry["files"])
    assert "100.atr cannot be read" in " ".join(entry["warnings"])
