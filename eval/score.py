"""Batch scoring: a reference folder against a digitized folder, returning every figure as plain dataclasses.

A digitized record matches a reference record by relative name, else by stem, else as ``<stem>-<suffix>`` (one per
image, as in the Kaggle layout ``<id>-<type>``); a match by stem that two references share is refused. A reference
with no match is a missing record, scored as the Challenge does (an all-NaN estimate). An unreadable record is
reported in ``errors`` and skipped.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from simulator.errors import InputError
from simulator.records import read_beats

from . import challenge2024, kaggle2025
from .clinical import ClinicalLead, IntervalErrors, clinical_lead, summarize
from .conform import MismatchError, conform_estimate
from .io import Record, find_image, find_records, load_record, read_preset

METRICS = ("challenge2024", "kaggle2025")
CHALLENGE_EXTRAS = ("snr_median", "ks", "asci", "wad")


@dataclass
class RecordScore:
    """Figures for one digitized record (one image) against its reference."""

    name: str
    reference: str
    reference_path: str
    digitized_path: str | None
    image: str | None
    preset: str | None
    status: str
    """``ok`` or ``missing_record``."""
    fs: float
    snr: float
    """challenge2024: mean over leads ignoring NaN; kaggle2025: 10·log10 of the image's capped ratio."""
    snr_no_align: float
    extra: dict[str, float]
    leads: list[challenge2024.LeadScore | kaggle2025.KaggleLead]
    clinical: list[ClinicalLead] = field(default_factory=list)


@dataclass
class RunResult:
    """A whole run: overall figures, per record (with per lead inside), errors, pooled clinical figures."""

    metric: str
    align: bool
    reference_dir: str
    digitized_dir: str
    overall: dict[str, float]
    records: list[RecordScore]
    errors: list[dict[str, str]]
    clinical: dict[str, IntervalErrors]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: NaN → null, ±inf → "inf"/"-inf"."""
        return jsonable(dataclasses.asdict(self))


def jsonable(obj: Any) -> Any:
    """Replace non-finite floats by JSON-safe values, recursively."""
    if isinstance(obj, dict):
        return {k: jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return None if math.isnan(v) else ("inf" if v == math.inf else "-inf" if v == -math.inf else v)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _stem(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _matches(name: str, est: dict[str, Path], ref_stems: set[str]) -> list[str]:
    """Digitized record names for a reference: same relative name, same stem, or ``<stem>-<suffix>`` (unless that
    is itself a reference's stem)."""
    if name in est:
        return [name]
    stem = _stem(name)
    exact = [n for n in est if _stem(n) == stem]
    if exact:
        return exact[:1]
    return sorted(n for n in est if _stem(n).startswith(stem + "-") and _stem(n) not in ref_stems)


def _check_unambiguous(refs: dict[str, Path], ests: dict[str, Path], ref_stems: set[str]) -> None:
    """A digitized record matched by stem must have one reference of that stem: with ``a/r1`` and ``b/r1`` as
    references, a digitized ``r1`` would be scored against both (InputError)."""
    seen: dict[str, str] = {}
    for name in sorted(refs):
        other = seen.setdefault(_stem(name), name)
        if other == name:
            continue
        for candidate in (other, name):
            loose = [n for n in _matches(candidate, ests, ref_stems) if n != candidate]
            if loose:
                raise InputError(f"digitized record {loose[0]} could be reference {other} or {name} (same name); "
                                 f"point --reference at one copy of each record, or give the digitized records "
                                 f"the references' subfolders")


def shifted(x: np.ndarray, lag: int) -> np.ndarray:
    """``x`` moved ``lag`` samples earlier (later if negative), NaN-padded, same length (all NaN when the lag is
    longer than ``x``)."""
    if lag == 0:
        return x
    lag = int(np.clip(lag, -x.size, x.size))
    out = np.full(x.size, np.nan)
    if lag > 0:
        out[:max(x.size - lag, 0)] = x[lag:]
    else:
        out[-lag:] = x[:x.size + lag]
    return out


def _annotated_beats(ref: Record) -> np.ndarray | None:
    """The reference's annotated beats (its ``NAME.atr``: MIT-BIH's, or the one our truth records carry), if any;
    an unreadable file is a warning and the beats are detected instead."""
    beats = read_beats(Path(ref.path), 0, ref.signal.shape[0])
    return beats.samples if beats is not None else None


def _score_challenge(ref: Record, columns: list[np.ndarray], status: list[str], align: bool) -> list:
    return [challenge2024.score_lead(lead, ref.signal[:, j], columns[j], ref.fs, align, status[j])
            for j, lead in enumerate(ref.leads)]


def _score_kaggle(ref: Record, columns: list[np.ndarray], status: list[str]) -> list:
    """The 12 standard leads present in the reference, each over the reference's finite samples."""
    keys = [n.strip().casefold() for n in ref.leads]
    out = []
    for lead in kaggle2025.LEADS:
        if lead.casefold() not in keys:
            continue
        j = keys.index(lead.casefold())
        plotted = np.isfinite(ref.signal[:, j])
        if not plotted.any():
            continue
        est = np.full(ref.signal.shape[0], np.nan)
        n = min(columns[j].size, est.size)
        est[:n] = columns[j][:n]
        out.append(kaggle2025.score_lead(ref.leads[j], ref.signal[plotted, j], est[plotted], ref.fs, status[j]))
    return out


def _lag(lead: challenge2024.LeadScore | kaggle2025.KaggleLead) -> int:
    """How many samples the digitized lead lags the reference, from the metric's own alignment."""
    if isinstance(lead, challenge2024.LeadScore):
        return lead.shift_samples if lead.shift_applied else 0
    return -lead.shift_samples


def _clinical(ref: Record, columns: list[np.ndarray], leads: list, align: bool) -> list[ClinicalLead]:
    beats = _annotated_beats(ref)
    by_name = {x.lead: x for x in leads}
    out = []
    for j, name in enumerate(ref.leads):
        lead = by_name.get(name)
        if lead is None or lead.status != "ok":
            continue
        est = shifted(columns[j], _lag(lead) if align else 0)
        out.append(clinical_lead(name, ref.signal[:, j], est, ref.fs, beats))
    return out


def _record_score(metric: str, ref: Record, est: Record | None, name: str, leads: list,
                  clinical: list[ClinicalLead]) -> RecordScore:
    item_stem, ref_stem = _stem(name), _stem(ref.name)
    image = find_image(est.path.with_suffix("") if est.path.suffix == ".csv" else est.path) if est else None
    image = image or find_image(ref.path.parent / item_stem)
    preset = read_preset(ref.path.parent / (item_stem + ".json")) or read_preset(ref.path.parent / (ref_stem + ".json"))
    if metric == "challenge2024":
        snr = challenge2024.nanmean_or_nan([x.snr for x in leads])
        snr_no_align = challenge2024.nanmean_or_nan([x.snr_no_align for x in leads])
        extra = {k: challenge2024.nanmean_or_nan([getattr(x, k) for x in leads]) for k in CHALLENGE_EXTRAS}
    else:
        r = kaggle2025.image_ratio(leads) if leads else float("nan")
        snr = kaggle2025.final_score([r]) if leads else float("nan")
        snr_no_align, extra = float("nan"), {"ratio": r}
    return RecordScore(
        name=name, reference=ref.name, reference_path=str(ref.path),
        digitized_path=str(est.path) if est is not None else None,
        image=str(image) if image else None, preset=preset,
        status="ok" if est is not None else "missing_record", fs=ref.fs,
        snr=snr, snr_no_align=snr_no_align, extra=extra, leads=leads, clinical=clinical,
    )


def _overall(metric: str, records: list[RecordScore]) -> dict[str, float]:
    leads = [x for r in records for x in r.leads]
    out: dict[str, float] = {
        "n_records": len({r.reference for r in records}),
        "n_items": len(records),
        "n_missing_records": sum(r.status == "missing_record" for r in records),
        "n_missing_leads": sum(x.status == "missing_lead" for x in leads),
    }
    if metric == "challenge2024":
        out["snr"] = challenge2024.nanmean_or_nan([x.snr for x in leads])
        out["snr_no_align"] = challenge2024.nanmean_or_nan([x.snr_no_align for x in leads])
        for k in CHALLENGE_EXTRAS:
            out[k] = challenge2024.nanmean_or_nan([getattr(x, k) for x in leads])
        out["coverage"] = challenge2024.nanmean_or_nan([x.coverage for x in leads])
    else:
        out["snr"] = kaggle2025.final_score([r.extra["ratio"] for r in records if r.leads])
    return out


def _score_item(metric: str, ref: Record, est_name: str | None, ests: dict[str, Path], align: bool,
                resample: bool, clinical: bool) -> RecordScore:
    """One digitized record (or a missing one, ``est_name`` None) against its reference."""
    est = load_record(est_name, ests[est_name]) if est_name is not None else None
    if est is not None:
        columns, status = conform_estimate(ref, est, resample)
    else:
        columns = [np.full(ref.signal.shape[0], np.nan) for _ in ref.leads]
        status = ["missing_record"] * len(ref.leads)
    if metric == "challenge2024":
        leads = _score_challenge(ref, columns, status, align)
    else:
        leads = _score_kaggle(ref, columns, status)
    clin = _clinical(ref, columns, leads, align) if clinical and est is not None else []
    return _record_score(metric, ref, est, est_name or ref.name, leads, clin)


def score_folders(reference: str | Path, digitized: str | Path, metric: str = "challenge2024", align: bool = True,
                  resample: bool = False, clinical: bool = False,
                  progress: Callable[[Iterable], Iterable] | None = None) -> RunResult:
    """Score every reference record against its digitization(s); see the module docstring for matching.
    ``progress`` wraps the loop over reference records (the CLI passes a tqdm bar: alignment and the clinical
    figures take seconds a record).

    Raises :class:`InputError` for a missing folder, a folder without records, an unknown metric, or mismatched
    fs/units without ``resample``. ``align=False`` skips the alignment (Challenge ``--no_shift``); kaggle2025 always
    aligns, as its metric does.
    """
    if metric not in METRICS:
        raise InputError(f"unknown metric {metric!r} (choose from {', '.join(METRICS)})")
    if metric == "kaggle2025" and not align:
        raise InputError("kaggle2025 always aligns (its metric has no unaligned form); drop --no-align")
    ref_dir, est_dir = Path(reference), Path(digitized)
    refs = find_records(ref_dir)
    ests = find_records(est_dir)
    if not refs:
        raise InputError(f"no records (.hea or <id>/<id>.csv) in {ref_dir}")
    records: list[RecordScore] = []
    errors: list[dict[str, str]] = []
    ref_stems = {_stem(n) for n in refs}
    _check_unambiguous(refs, ests, ref_stems)
    for ref_name, ref_path in (progress or iter)(list(refs.items())):
        try:
            ref = load_record(ref_name, ref_path)
        except InputError as exc:
            errors.append({"record": ref_name, "message": str(exc)})
            continue
        for est_name in _matches(ref_name, ests, ref_stems) or [None]:
            try:
                records.append(_score_item(metric, ref, est_name, ests, align, resample, clinical))
            except MismatchError:
                raise
            except InputError as exc:
                errors.append({"record": est_name or ref_name, "message": str(exc)})
            except MemoryError:
                errors.append({"record": est_name or ref_name,
                               "message": f"out of memory aligning {ref.signal.shape[0]} samples (try --no-align)"})
    pooled = {}
    if clinical:
        for key in ("rr", "qt"):
            pooled[key] = summarize([e for r in records for c in r.clinical for e in getattr(c, key).errors_ms])
    return RunResult(metric, align, str(ref_dir.resolve()), str(est_dir.resolve()), _overall(metric, records),
                     records, errors, pooled)
