"""The ECG-Image-Kit paper's experiment with our tools: generate frames per preset, digitize, score per preset.

    python benchmarks/case_study.py [--count 3] [--presets clean scanner …] [--seed 2024] [--workers 1]
                                    [--output case_study_out] [--input synthetic] [--methods oracle naive unet
                                    naive_exact unet_exact]

For each preset, ``--count`` frames are generated from held-out records (default: simulated ``synthetic`` records,
which no shipped weights were trained on as images; see docs/case_study.md), digitized by three methods and scored
with the Challenge 2024 SNR plus RR/QT interval errors:

- ``oracle``: the frame's JSON plotted pixels mapped back through the inverse of the whole chain (eval/oracle.py);
  its SNR on the samples it returns must exceed 60 dB, which proves the chain and its ground truth are exact;
- ``naive``: the non-learned digitizer (``python -m digitize run --method naive``);
- ``unet``: the learned one (reported as unavailable when its weights are missing);
- ``naive_exact``, ``unet_exact`` (not run unless asked): the same digitizers reading each frame flattened with its
  own sheet and camera (``digitize run --dewarp exact``) instead of from its grid: the difference to ``naive`` and
  ``unet`` is what the grid-based flattening costs, the rest of the gap to the clean pages is the reading.

Every digitizer is told the page's layout, speed, gain and duration (what a user types on the command line), read
from the frame's JSON. The same methods are scored on ECG-Image-Kit's pages in /work/shared/data/eik-validation when
that folder exists, and run on the real photos and scans in /work/shared/data/real-reference, which have no signals:
for every set the table also gives the digitizer's self-consistency estimate (eval/consistency.py), the one figure
it has for those. Output: ``OUT/runs/<method>.json`` (the ``eval snr --json`` form), ``OUT/report.html``
(``eval report``), ``OUT/summary.md`` (the tables printed here). Rerunning the same command resumes: ``generate``
keeps finished frames and records already digitized are not redone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digitize.layouts import frame_calibration  # noqa: E402
from eval import score_folders  # noqa: E402
from eval.challenge2024 import nanmean_or_nan  # noqa: E402
from eval.clinical import summarize  # noqa: E402
from eval.consistency import folder_consistency  # noqa: E402
from eval.oracle import oracle_record, write_oracle_record  # noqa: E402
from eval.report import write_report  # noqa: E402

PRESETS = ("clean", "scanner", "phone_photo", "folded_letter", "crumpled")
METHODS = ("oracle", "naive", "unet")
EXACT_METHODS = ("naive_exact", "unet_exact")  # the digitizers flattening with the frame's own geometry
EIK_DIR = Path("/work/shared/data/eik-validation")
REAL_DIR = Path("/work/shared/data/real-reference")
REAL_LAYOUTS = {  # ECG-Image-Kit's sample-data/ecg-images, as we read them (ecg00014 repeats ecg00010; ecg00020 has
    "ecg00003": "3x4+1", "ecg00010": "3x4+1", "ecg00023": "3x4",  # 5 columns of non-standard leads: left out)
    "ecg00028": "3x4+1", "ecg00033": "3x4+1", "ecg00041": "3x4+1", "ecg00047": "3x4+1", "ecg00054": "3x4+1"}
PAPER = "ECG-Image-Kit paper (DnCNN trained on 21,801 QT-database images): SNR 11.17 ± 9.19 dB"
UNET_WEIGHTS = ROOT / "assets" / "weights" / "digitizer_unet.pt"


def generate(out: Path, preset: str, count: int, seed: int, workers: int, inputs: list[str]) -> Path:
    """``count`` frames of ``preset`` in ``out/frames/preset`` (resumes a killed run; same seed → same frames)."""
    folder = out / "frames" / preset
    cmd = [sys.executable, "-m", "simulator", "generate", "--output", str(folder), "--count", str(count),
           "--seed", str(seed), "--preset", preset, "--workers", str(workers), "--input", *inputs]
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    if rc != 0:  # e.g. the folder holds a run with another --count or --seed: generate said why above
        raise SystemExit(f"error: generate failed for {preset} (exit {rc}); use another --output or the same options")
    return folder


def frame_sidecars(frames: Path) -> list[Path]:
    """The JSON sidecars of a generate folder (not run.json)."""
    return sorted(p for p in frames.glob("*/*.json"))


def calibration(truth: dict) -> tuple[str, ...]:
    """The digitizer options that describe the page: layout, speed, gain, duration and output rate."""
    page = frame_calibration(truth)
    return ("--layout", str(page["layout"]), *(x for key in ("speed", "gain", "duration", "fs")
                                               for x in (f"--{key}", f"{page[key]:g}")))


def run_digitizer(method: str, images: list[Path], out_dir: Path, options: tuple[str, ...]) -> list[str]:
    """Digitize ``images`` into ``out_dir``; an image the digitizer fails on is left out (a missing record). Every
    image goes to the digitizer, whose own resume skips the records made from this image, these options, weights and
    digitizer code (a study rerun after a change to the digitizer reads every image again, never a stale record)."""
    if not images:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    name, exact, _ = method.partition("_exact")
    base = [sys.executable, "-m", "digitize", "run", "--output", str(out_dir), "--method", name, *options,
            *(["--dewarp", "exact"] if exact else [])]
    if subprocess.run(base + [str(p) for p in images], cwd=ROOT, capture_output=True, text=True).returncode == 0:
        return []
    failed = []
    for p in images:  # isolate the image(s) that broke the batch (the others are skipped as done)
        r = subprocess.run(base + [str(p)], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            failed.append(f"{p.name}: {(r.stderr.strip().splitlines() or ['exit ' + str(r.returncode)])[-1]}")
    return failed


def digitize_preset(method: str, frames: Path, out_dir: Path) -> list[str]:
    """Digitize one preset's frames with ``method`` (oracle in-process), keeping generate's folder structure."""
    failed: list[str] = []
    groups: dict[tuple, list[Path]] = defaultdict(list)
    for sidecar in frame_sidecars(frames):
        target = out_dir / sidecar.parent.name
        if method == "oracle":   # made again each time: cheap, and never stale after a change to the frames
            rec = oracle_record(sidecar)
            write_oracle_record(target, rec)
            if rec.n_unsolved:
                failed.append(f"{sidecar.stem}: {rec.n_unsolved} visible samples not inverted")
            continue
        truth = json.loads(sidecar.read_text())
        groups[(sidecar.parent.name, calibration(truth))].append(sidecar.parent / truth["image"])
    for (sub, options), images in groups.items():
        failed += run_digitizer(method, images, out_dir / sub, options)
    return failed


def mean_consistency(folder: Path) -> float:
    """Mean self-consistency estimate (dB, eval/consistency.py) of the records digitized into ``folder``: what the
    study can say of images without references, shown beside the SNR where there is one."""
    found = folder_consistency(folder)[0] if folder.is_dir() else []
    return nanmean_or_nan([r.snr_db for r in found])


def lead_snrs(records) -> np.ndarray:
    return np.array([x.snr for r in records for x in r.leads], dtype=float)


def summarize_records(records) -> dict:
    """SNR mean ± SD over leads, coverage, pooled RR/QT errors and the oracle's SNR on the samples it returned."""
    snr = lead_snrs(records)
    finite = snr[np.isfinite(snr)]
    raw = [x.snr / x.coverage for r in records for x in r.leads if x.coverage and np.isfinite(x.snr)]
    out = {"n_frames": len(records), "n_missing": sum(r.status != "ok" for r in records),
           "snr_mean": nanmean_or_nan(list(snr)), "snr_sd": float(np.std(finite)) if finite.size else float("nan"),
           "coverage": nanmean_or_nan([x.coverage for r in records for x in r.leads]),
           "snr_returned_min": float(min(raw)) if raw else float("nan"),
           "snr_returned_mean": nanmean_or_nan(raw)}
    for key in ("rr", "qt"):
        e = summarize([v for r in records for c in r.clinical for v in getattr(c, key).errors_ms])
        out[key] = {"n": e.n, "mean_ms": e.mean_ms, "sd_ms": e.sd_ms, "within_10ms": e.within_10ms,
                    "within_20ms": e.within_20ms}
    return out


def _f(v: float, digits: int = 2) -> str:
    return "—" if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def table(rows: list[tuple[str, str, dict]]) -> str:
    """Markdown table: one row per (group, method)."""
    head = ("| set | method | frames | SNR dB (mean ± SD over leads) | self-consistency dB | coverage | RR error ms | "
            "RR ≤10/≤20 ms | QT error ms | QT ≤10/≤20 ms |\n|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for group, method, s in rows:
        rr, qt = s["rr"], s["qt"]
        miss = f" ({s['n_missing']} missing)" if s["n_missing"] else ""
        lines.append(f"| {group} | {method} | {s['n_frames']}{miss} | {_f(s['snr_mean'])} ± {_f(s['snr_sd'])} | "
                     f"{_f(s.get('consistency', float('nan')))} | {_f(s['coverage'])} | "
                     f"{_f(rr['mean_ms'], 1)} ± {_f(rr['sd_ms'], 1)} (n={rr['n']}) | "
                     f"{_f(rr['within_10ms'])}/{_f(rr['within_20ms'])} | {_f(qt['mean_ms'], 1)} ± {_f(qt['sd_ms'], 1)} "
                     f"(n={qt['n']}) | {_f(qt['within_10ms'])}/{_f(qt['within_20ms'])} |")
    return head + "\n".join(lines) + "\n"


def eik_block(out: Path, methods: list[str], eik_dir: Path) -> tuple[list[tuple[str, str, dict]], list[Path]]:
    """Digitize ECG-Image-Kit's pages nk0–nk3 and score them against their truth (copied apart from source/)."""
    truth = out / "eik" / "truth"
    truth.mkdir(parents=True, exist_ok=True)
    for f in sorted(eik_dir.glob("nk*")):  # top level only: source/ holds records with the same stems
        if f.is_file() and not (truth / f.name).exists():
            shutil.copyfile(f, truth / f.name)
    images = sorted(truth.glob("nk*-0.png"))
    rows, runs = [], []
    for method in tqdm([m for m in methods if m in METHODS[1:]], desc="eik-validation", unit="method"):
        dig = out / "eik" / "digitized" / method
        failed = run_digitizer(method, images, dig, ("--layout", "3x4+1"))
        for line in failed:
            tqdm.write(f"  eik {method}: {line}")
        if not any(dig.glob("*.hea")):
            continue
        run = score_folders(truth, dig, metric="challenge2024", clinical=True)
        path = out / "runs" / f"eik_{method}.json"
        path.write_text(json.dumps(run.to_dict(), indent=1))
        rows.append(("eik-validation", method,
                     {**summarize_records(run.records), "consistency": mean_consistency(dig)}))
        runs.append(path)
    return rows, runs


def real_block(out: Path, methods: list[str], real_dir: Path) -> list[tuple[str, str, dict]]:
    """Digitize the real photos and scans in ``real_dir`` (REAL_LAYOUTS) and report what can be said without their
    signals: the self-consistency estimate. Read only: they are a test of the digitizer, never a training set."""
    rows = []
    for method in [m for m in methods if m in METHODS[1:]]:  # not *_exact: these have no geometry to take
        dig = out / "real" / method
        for layout in sorted(set(REAL_LAYOUTS.values())):
            images = [p for p in sorted(real_dir.glob("ecg*.*")) if REAL_LAYOUTS.get(p.stem) == layout]
            for line in run_digitizer(method, images, dig, ("--layout", layout)):
                tqdm.write(f"  real {method}: {line}")
        found = folder_consistency(dig)[0] if dig.is_dir() else []
        rows.append(("real photos and scans", method, {**summarize_records([]), "n_frames": len(found),
                                                       "consistency": nanmean_or_nan([r.snr_db for r in found])}))
    return rows


def case_study(out: Path, presets: list[str], count: int, seed: int, workers: int = 1,
               methods: tuple[str, ...] = METHODS, inputs: tuple[str, ...] = ("synthetic",),
               eik_dir: Path | None = EIK_DIR, real_dir: Path | None = REAL_DIR) -> dict:
    """Run the whole study into ``out`` and return its summary (also written to ``out/summary.json`` and ``.md``)."""
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    notes = [f"held-out records: {' '.join(inputs)}, run seed {seed} (frame i of every preset draws from "
             f"default_rng([{seed}, i]): the same record and printed page across the photographed presets)"]
    if not UNET_WEIGHTS.exists() and {"unet", "unet_exact"} & set(methods):
        notes.append(f"unet: unavailable (no weights at {UNET_WEIGHTS.relative_to(ROOT)})")
        methods = [m for m in methods if not m.startswith("unet")]
    methods = list(methods)
    for preset in presets:
        generate(out, preset, count, seed, workers, list(inputs))
    rows, runs, summary = [], [], {"notes": notes, "paper": PAPER, "presets": {}, "eik": {}}
    for method in methods:
        for preset in tqdm(presets, desc=f"digitize {method}", unit="preset"):
            for line in digitize_preset(method, out / "frames" / preset, out / "digitized" / method / preset):
                notes.append(f"{method} {preset}: {line}")
        tqdm.write(f"scoring {method} …")
        run = score_folders(out / "frames", out / "digitized" / method, metric="challenge2024", clinical=True)
        path = out / "runs" / f"{method}.json"
        path.write_text(json.dumps(run.to_dict(), indent=1))
        runs.append(path)
        by_preset = defaultdict(list)
        for r in run.records:
            by_preset[r.name.split("/", 1)[0]].append(r)
        for preset in presets:
            s = summarize_records(by_preset[preset])
            if method != "oracle":
                s["consistency"] = mean_consistency(out / "digitized" / method / preset)
            summary["presets"].setdefault(preset, {})[method] = s
            rows.append((preset, method, s))
    if eik_dir is not None and eik_dir.is_dir():
        eik_rows, eik_runs = eik_block(out, methods, eik_dir)
        rows += eik_rows
        runs += eik_runs
        summary["eik"] = {m: s for _, m, s in eik_rows}
    elif eik_dir is not None:
        notes.append(f"eik-validation: skipped ({eik_dir} is not on this machine)")
    if real_dir is not None and real_dir.is_dir():
        real_rows = real_block(out, methods, real_dir)
        rows += real_rows
        summary["real"] = {m: s["consistency"] for _, m, s in real_rows}
    elif real_dir is not None:
        notes.append(f"real photos: skipped ({real_dir} is not on this machine)")
    write_report(runs, out / "report.html")
    oracle_check = {p: summary["presets"][p]["oracle"]["snr_returned_min"] for p in presets
                    if "oracle" in summary["presets"].get(p, {})}
    summary["oracle_min_snr_returned_db"] = oracle_check
    text = (table(rows) + f"\nReference: {PAPER}.\n" + "".join(f"- {n}\n" for n in notes)
            + "".join(f"- oracle on {p}: lowest lead SNR over the samples it returns {_f(v)} dB\n"
                      for p, v in oracle_check.items()))
    (out / "summary.md").write_text(text)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    summary["text"] = text
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3, help="frames per preset (default 3)")
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=PRESETS)
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS + EXACT_METHODS)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=1, help="generate's worker processes")
    parser.add_argument("--input", nargs="+", default=["synthetic"], help="generate's --input (held-out records)")
    parser.add_argument("--output", default="case_study_out")
    args = parser.parse_args(argv)
    summary = case_study(Path(args.output), args.presets, args.count, args.seed, args.workers, args.methods,
                         args.input)
    print(summary["text"])
    print(f"report: {Path(args.output) / 'report.html'}")
    bad = {p: v for p, v in summary["oracle_min_snr_returned_db"].items() if not v > 60.0}
    if bad:
        print(f"ORACLE BELOW 60 dB: {bad} — the chain or its ground truth is not exact", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
