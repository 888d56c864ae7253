"""Command line: ``snr`` scores a digitized folder against references; ``consistency`` estimates a folder's quality
without references (real photos); ``report`` renders runs as one HTML file.

Bad input prints one ``error: ...`` line to stderr and exits 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable
from pathlib import Path

from tqdm import tqdm

from simulator.atomic import write_bytes_atomic
from simulator.errors import InputError, run_command
from simulator.output import check_output_file

from .score import CHALLENGE_EXTRAS, METRICS, RunResult, score_folders

EXTRA_LABELS = {"snr_median": "SNR median", "ks": "KS metric", "asci": "ASCI metric",
                "wad": "Weighted absolute difference metric"}


def _fmt(v: float) -> str:
    return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _print_run(run: RunResult, clinical: bool) -> None:
    """Per record, extras, clinical figures, then ``SNR: <value> dB`` as the last line."""
    for r in run.records:
        line = f"{r.name:<32} {_fmt(r.snr):>9} dB"
        if run.metric == "challenge2024":
            line += f"  (no alignment {_fmt(r.snr_no_align)} dB)"
        print(line + ("" if r.status == "ok" else f"  [{r.status}]"))
    o = run.overall
    print(f"records: {o['n_records']}  missing records: {o['n_missing_records']}  "
          f"missing leads: {o['n_missing_leads']}")
    if run.metric == "challenge2024":
        print(f"SNR without alignment: {_fmt(o['snr_no_align'])} dB")
        for k in CHALLENGE_EXTRAS:
            print(f"{EXTRA_LABELS[k]}: {_fmt(o[k])}")
    if clinical:
        for key, label in (("rr", "RR"), ("qt", "QT")):
            e = run.clinical[key]
            print(f"{label} error: {_fmt(e.mean_ms)} ± {_fmt(e.sd_ms)} ms over {e.n} beats; "
                  f"within 10 ms {_fmt(e.within_10ms)}, within 20 ms {_fmt(e.within_20ms)}")
    print(f"SNR: {_fmt(o['snr'])} dB")


def cmd_snr(args: argparse.Namespace) -> int:
    check_output_file(args.json, "--json")
    def progress(items: list) -> Iterable:
        return tqdm(items, unit="record", disable=len(items) < 2 or None, dynamic_ncols=True, leave=False)

    run = score_folders(args.reference, args.digitized, metric=args.metric, align=not args.no_align,
                        resample=args.resample, clinical=args.clinical, progress=progress)
    for e in run.errors:
        print(f"warning: skipped {e['record']}: {e['message']}", file=sys.stderr)
    if not run.records:
        raise InputError(f"no record could be scored in {args.reference}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(args.json, json.dumps(run.to_dict(), indent=1).encode())
    _print_run(run, args.clinical)
    return 0


def cmd_consistency(args: argparse.Namespace) -> int:
    from .consistency import folder_consistency

    check_output_file(args.json, "--json")
    found, errors = folder_consistency(Path(args.digitized))
    for e in errors:
        print(f"warning: skipped {e['record']}: {e['message']}", file=sys.stderr)
    if not found:
        raise InputError(f"no digitized record in {args.digitized}")
    for r in found:
        checks = ", ".join(f"{c['name']} {_fmt(c['snr_db'])}" for c in r.checks) or "no check possible"
        print(f"{r.name:<32} {_fmt(r.snr_db):>9} dB  ({checks})")
    scored = [r.snr_db for r in found if math.isfinite(r.snr_db)]
    mean = sum(scored) / len(scored) if scored else float("nan")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        data = {"digitized_dir": args.digitized, "mean_snr_db": mean if scored else None,
                "records": [{"name": r.name, "snr_db": r.snr_db if math.isfinite(r.snr_db) else None,
                             "source": r.source, "checks": list(r.checks)} for r in found], "errors": errors}
        write_bytes_atomic(args.json, json.dumps(data, indent=1).encode())
    print(f"records: {len(found)}  without a possible check: {len(found) - len(scored)}")
    print(f"self-consistency: {_fmt(mean)} dB")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    check_output_file(args.output, "--output")
    if args.worst < 0:
        raise InputError(f"--worst: {args.worst} must be ≥ 0")
    out = write_report(args.runs, args.output, worst=args.worst)
    print(f"report: {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecg-eval", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    snr = sub.add_parser("snr", help="score digitized records against references",
                         description="Score a folder of digitized records against reference records (WFDB folders "
                                     "or the Kaggle 2025 train/<id>/<id>.csv layout). Last line: SNR: <value> dB.")
    snr.add_argument("--reference", required=True, help="folder of reference records (searched recursively)")
    snr.add_argument("--digitized", required=True, help="folder of digitized records (searched recursively)")
    snr.add_argument("--metric", choices=METRICS, default="challenge2024",
                     help="challenge2024 (default): PhysioNet Challenge 2024 as revised July 2024; "
                          "kaggle2025: the 2025 Kaggle rerun's metric")
    snr.add_argument("--no-align", action="store_true",
                     help="challenge2024 only: skip the alignment (the Challenge's --no_shift)")
    snr.add_argument("--resample", action="store_true",
                     help="convert the digitized records' fs and units to the reference's instead of failing")
    snr.add_argument("--clinical", action="store_true", help="also compute RR and QT interval errors (slower)")
    snr.add_argument("--json", metavar="PATH", help="write every figure to this JSON file (input of `report`)")
    snr.set_defaults(func=cmd_snr)

    con = sub.add_parser("consistency", help="estimate digitized records' quality without references",
                         description="How well each digitized record agrees with itself (Einthoven's and "
                                     "Goldberger's laws over leads printed at the same time, a rhythm strip against "
                                     "its lead's column): an SNR estimate, in dB, for images that have no reference "
                                     "signal, such as real photos. Blind to errors all leads share (timing, scale). "
                                     "Last line: self-consistency: <value> dB.")
    con.add_argument("--digitized", required=True, help="folder of digitized records (searched recursively)")
    con.add_argument("--json", metavar="PATH", help="write every figure to this JSON file")
    con.set_defaults(func=cmd_consistency)

    rep = sub.add_parser("report", help="write a single-file HTML report of one or more runs",
                         description="Render runs (JSON files written by `snr --json`, or folders holding one) as "
                                     "one self-contained HTML file, side by side.")
    rep.add_argument("runs", nargs="+", metavar="RUN", help="a JSON from `snr --json`, or a folder containing one")
    rep.add_argument("-o", "--output", default="report.html", help="HTML file to write (default: report.html)")
    rep.add_argument("--worst", type=int, default=6, help="worst records shown in each run's gallery (default 6)")
    rep.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.func(args))
