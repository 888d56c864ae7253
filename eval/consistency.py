"""How well a digitized 12-lead record agrees with itself: a quality estimate that needs no reference signal.

Real photos of paper ECGs come without their signals, so the Challenge SNR cannot score a digitizer on them. But
the leads of one ECG are not independent, and a page shows some of them at the same time or twice:

- Einthoven's law, II = I + III, and Goldberger's, aVR + aVL + aVF = 0, hold sample by sample for leads plotted at
  the same time (the first column of a 3x4 page, the limb leads of a 6x2 page);
- a rhythm strip repeats the lead printed in its column (II over the first 2.5 s of a 3x4+1 page).

If each lead's error were independent with power σ², the residual of an identity with coefficients ±1 over k leads
would have power k·σ², so σ² is estimated as the residual's power over k, and the page's SNR as the leads' power
over σ² (their power less σ², at least a tenth of it: the Challenge divides by the reference's power, not the
estimate's). The residual's
mean is taken out first, as the Challenge's alignment takes out a lead's vertical offset.

What it cannot see: an error every lead of a column shares (the page timed or scaled wrongly, a column flattened
off), since the identities hold for shifted or scaled leads too. It is an upper bound of the reading's quality
rather than a measure of it; docs/eval.md gives how it follows the Challenge SNR where the truth is known.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from simulator.errors import InputError

IDENTITIES: dict[str, dict[str, float]] = {
    "einthoven": {"I": 1.0, "III": 1.0, "II": -1.0},    # I + III - II = 0
    "goldberger": {"aVR": 1.0, "aVL": 1.0, "aVF": 1.0},  # aVR + aVL + aVF = 0
}
MIN_SAMPLES = 50  # an identity or a repeated lead seen over fewer samples than this is not scored
FLOOR = 0.1       # a reading whose error outweighs its signal scores as if a tenth of its power were signal
                  # (at most -9.5 dB)


@dataclass(frozen=True)
class Check:
    """One identity or repeated lead: its estimated per-lead SNR and how many samples it was taken over."""

    name: str
    snr_db: float
    samples: int
    signal_power: float
    noise_power: float


@dataclass(frozen=True)
class Consistency:
    """A record's checks and their pooled estimate (NaN when no check had enough samples)."""

    snr_db: float
    checks: tuple[Check, ...]

    def as_dict(self) -> dict:
        return {"snr_db": _round(self.snr_db), "checks": [{**asdict(c), "snr_db": _round(c.snr_db),
                                                          "signal_power": _round(c.signal_power, 5),
                                                          "noise_power": _round(c.noise_power, 5)}
                                                         for c in self.checks]}


def _round(x: float, digits: int = 2) -> float | None:
    return round(float(x), digits) if np.isfinite(x) else None


def _db(signal: float, noise: float) -> float:
    return 10 * np.log10(signal / noise) if noise > 0 and signal > 0 else (np.inf if signal > 0 else np.nan)


def _check(name: str, leads: list[np.ndarray], coefficients: list[float]) -> Check | None:
    """The check of ``Σ c·lead = 0`` over the samples where every lead is finite."""
    stack = np.stack(leads)
    both = np.all(np.isfinite(stack), axis=0)
    if both.sum() < MIN_SAMPLES:
        return None
    x = stack[:, both]
    residual = np.asarray(coefficients) @ x
    noise = float(np.var(residual)) / float(np.sum(np.square(coefficients)))
    power = float(np.mean(np.square(x)))
    signal = max(power - noise, FLOOR * power)   # the leads' power less their estimated error's
    return Check(name, float(_db(signal, noise)), int(both.sum()), signal, noise)


def consistency(signals: dict[str, np.ndarray], row_signals: list[dict[str, np.ndarray]] | None = None
                ) -> Consistency:
    """The checks a record allows: the identities over its simultaneous leads (``signals``, lead → samples, NaN where
    not plotted) and, given the rows the page printed (``row_signals``, each lead → samples over its part of the
    row), every lead that two rows show at the same time. Lead names match case-insensitively (PTB-XL's AVR).
    Pooled: the checks' signal and noise powers, weighted by their samples."""
    checks = []
    by_name = {lead.lower(): np.asarray(x, float) for lead, x in signals.items()}
    for name, terms in IDENTITIES.items():
        if all(lead.lower() in by_name for lead in terms):
            check = _check(name, [by_name[lead.lower()] for lead in terms], list(terms.values()))
            checks += [check] if check else []
    seen: dict[str, np.ndarray] = {}
    for row in row_signals or []:
        for lead, x in row.items():
            if lead in seen:
                check = _check(f"{lead} printed twice", [np.asarray(x, float), seen[lead]], [1.0, -1.0])
                checks += [check] if check else []
            else:
                seen[lead] = np.asarray(x, float)
    if not checks:
        return Consistency(float("nan"), ())
    weights = np.array([c.samples for c in checks], float)
    signal = float(np.average([c.signal_power for c in checks], weights=weights))
    noise = float(np.average([c.noise_power for c in checks], weights=weights))
    return Consistency(float(_db(signal, noise)), tuple(checks))


@dataclass(frozen=True)
class RecordConsistency:
    """One digitized record's estimate and where it came from."""

    name: str
    snr_db: float
    checks: tuple[dict, ...]
    source: str
    """``digitizer`` (its JSON, with the leads printed twice) or ``record`` (the identities over the WFDB record)."""


def folder_consistency(folder: Path) -> tuple[list[RecordConsistency], list[dict[str, str]]]:
    """Every digitized record in ``folder`` (searched recursively): the estimate our digitizer wrote in the record's
    JSON, or for another digitizer's records the identities over its signals. Unreadable records are returned as
    errors, not raised."""
    from .io import find_records, load_record

    found, errors = [], []
    for name, path in find_records(folder).items():
        sidecar = path.with_suffix(".json") if path.suffix != ".csv" else None
        try:
            written = json.loads(sidecar.read_text()).get("consistency") if sidecar and sidecar.is_file() else None
        except (OSError, ValueError):
            written = None
        if isinstance(written, dict) and "snr_db" in written:
            snr = written["snr_db"]
            found.append(RecordConsistency(name, float("nan") if snr is None else float(snr),
                                           tuple(written.get("checks", ())), "digitizer"))
            continue
        try:
            record = load_record(name, path)
        except InputError as exc:
            errors.append({"record": name, "message": str(exc)})
            continue
        result = consistency({lead: record.signal[:, k] for k, lead in enumerate(record.leads)})
        found.append(RecordConsistency(name, result.snr_db, tuple(result.as_dict()["checks"]), "record"))
    return found, errors
