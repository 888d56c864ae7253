"""Single-file HTML report of one or more runs (JSON written by ``eval snr --json``), side by side.

Tables per run, per preset and per lead; SNR distributions; RR/QT error histograms; a gallery of each run's worst
records with the image and the reference and digitized traces overlaid. Plots are matplotlib (Agg) PNGs inlined as
base64, so the file stands alone.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from simulator.atomic import write_bytes_atomic
from simulator.errors import InputError

from .conform import conform_estimate
from .io import load_record
from .kaggle2025 import final_score
from .run_json import run_problem
from .score import shifted

THUMB_WIDTH = 640


def load_run(path: str | Path) -> dict[str, Any]:
    """A run's JSON (or the first run JSON inside a folder), with "inf"/"-inf"/null turned back into floats."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such run: {path}")
    candidates = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for candidate in candidates:
        try:
            data = json.loads(candidate.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and "records" in data and "metric" in data:
            found = run_problem(data)
            if found:
                raise InputError(f"{candidate}: not a run as `eval snr --json` writes it ({found})")
            data["label"] = candidate.stem if not path.is_dir() else path.name
            return _floats(data)
    raise InputError(f"no run JSON (written by `eval snr --json`) in {path}")


TEXT_KEYS = frozenset({"image", "preset", "digitized_path", "reference_path"})


def _floats(obj: Any, key: str = "") -> Any:
    if isinstance(obj, dict):
        return {k: _floats(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_floats(v) for v in obj]
    if obj is None and key not in TEXT_KEYS:
        return math.nan
    if obj in ("inf", "-inf"):
        return float(obj)
    return obj


def _nanmean(values: list[float]) -> float:
    a = np.asarray(values, dtype=float)
    return float(np.nanmean(a)) if a.size and not np.all(np.isnan(a)) else math.nan


def _lead_db(lead: dict) -> float:
    """A lead's SNR in dB: the Challenge's per-lead value, or 10·log10(signal/noise) for kaggle2025."""
    if "snr" in lead:
        return lead["snr"]
    p_s, p_n = lead["p_signal"], lead["p_noise"]
    return math.inf if p_n == 0 else (math.nan if p_s == 0 else 10 * math.log10(p_s / p_n))


def _fig_png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _img(src: str, alt: str) -> str:
    return f'<img src="{src}" alt="{html.escape(alt)}">'


def _table(header: list[str], rows: list[list[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "–" if math.isnan(v) else f"{v:.3f}"
        return html.escape(str(v))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _overview(runs: list[dict]) -> str:
    keys = ["snr", "snr_no_align", "snr_median", "ks", "asci", "wad", "coverage", "n_records", "n_missing_records",
            "n_missing_leads"]
    rows = [[r["label"], r["metric"]] + [r["overall"].get(k, math.nan) for k in keys] for r in runs]
    return _table(["run", "metric"] + keys, rows)


def _group_snr(run: dict, records: list[dict]) -> float:
    """A group's SNR as the run's metric defines it: mean over leads, or 10·log10(mean capped ratio)."""
    if run["metric"] == "kaggle2025":
        return final_score([r["extra"]["ratio"] for r in records if r["leads"]])
    return _nanmean([x["snr"] for r in records for x in r["leads"]])


def _by_preset(runs: list[dict]) -> str:
    presets = sorted({r.get("preset") or "(none)" for run in runs for r in run["records"]})
    rows = [[p] + [_group_snr(run, [r for r in run["records"] if (r.get("preset") or "(none)") == p]) for run in runs]
            for p in presets]
    return _table(["preset"] + [f"{r['label']} SNR (dB)" for r in runs], rows)


def _by_lead(runs: list[dict]) -> str:
    leads: list[str] = []
    for run in runs:
        for r in run["records"]:
            leads += [x["lead"] for x in r["leads"] if x["lead"] not in leads]
    rows = [[lead] + [_nanmean([_lead_db(x) for r in run["records"] for x in r["leads"] if x["lead"] == lead])
                      for run in runs] for lead in leads]
    return _table(["lead"] + [f"{r['label']} mean SNR (dB)" for r in runs], rows)


def _distributions(runs: list[dict]) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2), layout="tight")
    for run in runs:
        v = np.asarray([r["snr"] for r in run["records"]], dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            ax.hist(v, bins=20, alpha=0.5, label=f"{run['label']} ({v.size} finite)")
    ax.set_xlabel("record SNR (dB)")
    ax.set_ylabel("records")
    ax.legend(fontsize=8)
    parts = [_img(_fig_png(fig), "record SNR histogram")]
    for run in runs:
        leads = list(dict.fromkeys(x["lead"] for r in run["records"] for x in r["leads"]))
        data = [[d for d in (_lead_db(x) for r in run["records"] for x in r["leads"] if x["lead"] == lead)
                 if np.isfinite(d)] for lead in leads]
        if not any(data):
            continue
        fig, ax = plt.subplots(figsize=(7, 3.2), layout="tight")
        ax.boxplot([d if d else [math.nan] for d in data], tick_labels=leads)
        ax.set_title(f"{run['label']}: per-lead SNR (finite values)")
        ax.set_ylabel("dB")
        parts.append(_img(_fig_png(fig), f"{run['label']} per-lead SNR"))
    return "".join(parts)


def _clinical(runs: list[dict]) -> str:
    import matplotlib.pyplot as plt

    with_clin = [r for r in runs if r.get("clinical")]
    if not with_clin:
        return "<p>No clinical figures in these runs (run <code>eval snr --clinical</code>).</p>"
    rows = []
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), layout="tight")
    for run in with_clin:
        for ax, key in zip(axes, ("rr", "qt")):
            e = run["clinical"][key]
            rows.append([run["label"], key.upper(), e["n"], e["mean_ms"], e["sd_ms"], e["mae_ms"], e["within_10ms"],
                         e["within_20ms"]])
            if e["errors_ms"]:
                ax.hist(np.clip(e["errors_ms"], -100, 100), bins=40, alpha=0.5, label=run["label"])
    for ax, key in zip(axes, ("RR", "QT")):
        ax.set_title(f"{key} error (ms, clipped to ±100)")
        ax.legend(fontsize=8)
    table = _table(["run", "interval", "beats", "mean (ms)", "SD (ms)", "MAE (ms)", "≤10 ms", "≤20 ms"], rows)
    return table + _img(_fig_png(fig), "RR and QT error histograms")


def _thumbnail(path: str | None) -> str:
    if not path or not Path(path).is_file():
        return "<p>(no image)</p>"
    import cv2

    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        return "<p>(unreadable image)</p>"
    scale = THUMB_WIDTH / image.shape[1]
    image = cv2.resize(image, (THUMB_WIDTH, max(1, int(image.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return _img("data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode(), path) if ok else ""


def _aligned(x: np.ndarray, lead: dict, metric: str) -> np.ndarray:
    """The digitized lead moved as the metric aligned it (for plotting)."""
    if metric == "kaggle2025":
        lag, offset = -int(lead["shift_samples"]), float(lead["vertical_shift"])
    elif lead.get("shift_applied"):
        lag, offset = int(lead["shift_samples"]), float(lead["shift_amplitude"])
    else:
        return x
    return shifted(x, lag) - offset


def _traces(record: dict, metric: str) -> str:
    import matplotlib.pyplot as plt

    try:
        ref = load_record(record["reference"], Path(record["reference_path"]))
        est = load_record(record["name"], Path(record["digitized_path"])) if record["digitized_path"] else None
        columns = conform_estimate(ref, est, True)[0] if est is not None else None
    except InputError as exc:
        return f"<p>(cannot plot: {html.escape(str(exc))})</p>"
    leads = {x["lead"]: x for x in record["leads"]}
    n = len(ref.leads)
    cols = 3 if n > 4 else 1
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10, 1.3 * rows), squeeze=False, sharex=True)
    t = np.arange(ref.signal.shape[0]) / ref.fs
    for j, name in enumerate(ref.leads):
        ax = axes[j % rows][j // rows]
        ax.plot(t, ref.signal[:, j], color="0.2", lw=1.4)
        if columns is not None and name in leads:
            y = _aligned(columns[j], leads[name], metric)[:t.size]
            ax.plot(t[:y.size], y, color="tab:red", lw=0.6)
        db = _lead_db(leads[name]) if name in leads else math.nan
        ax.set_title(f"{name}: {db:.1f} dB", fontsize=8, loc="left")
        ax.tick_params(labelsize=6)
    for k in range(n, rows * cols):
        axes[k % rows][k // rows].set_visible(False)
    fig.suptitle("reference (grey, thick) and aligned digitization (red)", fontsize=9)
    fig.subplots_adjust(left=0.04, right=0.99, top=1 - 0.5 / rows, bottom=0.25 / rows, hspace=0.7, wspace=0.12)
    return _img(_fig_png(fig), f"{record['name']} traces")


def _gallery(run: dict, worst: int) -> str:
    ranked = sorted(run["records"], key=lambda r: (r["snr"] if not math.isnan(r["snr"]) else math.inf))
    parts = []
    for r in ranked[:worst]:
        parts.append(f"<div class='case'><h4>{html.escape(r['name'])} — {r['snr']:.2f} dB "
                     f"({html.escape(r['status'])}, preset {html.escape(r.get('preset') or '–')})</h4>"
                     f"{_thumbnail(r.get('image'))}{_traces(r, run['metric'])}</div>")
    return "".join(parts) or "<p>(no records)</p>"


CSS = """body{font-family:sans-serif;margin:1.5em;max-width:1400px}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}img{max-width:100%;margin:.3em 0}
.case{border-top:1px solid #ddd;margin-top:1em}.runs{display:flex;gap:2em;flex-wrap:wrap}
.runs>div{flex:1;min-width:500px}"""


def write_report(run_paths: list[str | Path], output: str | Path, worst: int = 6) -> Path:
    """Render the runs into one self-contained HTML file and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    runs = [load_run(p) for p in run_paths]
    labels = [r["label"] for r in runs]
    for i, r in enumerate(runs):  # keep column headers distinct when files share a name
        if labels.count(r["label"]) > 1:
            r["label"] = f"{r['label']}#{i + 1}"
    galleries = "".join(f"<div><h3>{html.escape(r['label'])}</h3>{_gallery(r, worst)}</div>" for r in runs)
    body = (f"<h1>ECG digitization report</h1><h2>Runs</h2>{_overview(runs)}"
            f"<h2>By preset</h2>{_by_preset(runs)}<h2>By lead</h2>{_by_lead(runs)}"
            f"<h2>Distributions</h2>{_distributions(runs)}<h2>Clinical intervals</h2>{_clinical(runs)}"
            f"<h2>Worst records</h2><div class='runs'>{galleries}</div>")
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(output, (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>ECG digitization report"
                                f"</title><style>{CSS}</style></head><body>{body}</body></html>").encode())
    return output
