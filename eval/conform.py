"""Bring an estimate onto the reference's leads, units and sampling frequency.

Leads are matched by name, case-insensitively after stripping (helper_code.py ``normalize_names`` /
``reorder_signal``). A reference lead the estimate lacks becomes an all-NaN column, as the official code does for a
missing record (its ``reorder_signal`` would misalign or crash on a missing lead). Sampling frequency and units must
match, as the official code asserts, unless resampling is asked for explicitly.
"""

from __future__ import annotations

import numpy as np

from simulator.errors import InputError

from .io import Record

class MismatchError(InputError):
    """The estimate's fs or units differ from the reference's and resampling was not asked for: fatal for a run."""


UNIT_SCALE_TO_MV = {"v": 1000.0, "mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3}


def _key(name: str) -> str:
    return name.strip().casefold()


def match_leads(ref_leads: tuple[str, ...], est_leads: tuple[str, ...]) -> list[int | None]:
    """For each reference lead, the index of the estimate's lead of the same name, or None."""
    keys = [_key(n) for n in est_leads]
    if len(set(keys)) != len(keys):
        raise InputError(f"repeated lead names in the estimate: {', '.join(est_leads)}")
    return [keys.index(_key(n)) if _key(n) in keys else None for n in ref_leads]


def unit_scale(unit_from: str, unit_to: str) -> float:
    """Factor converting values in ``unit_from`` to ``unit_to`` (V, mV, uV)."""
    try:
        return UNIT_SCALE_TO_MV[unit_from.strip().casefold()] / UNIT_SCALE_TO_MV[unit_to.strip().casefold()]
    except KeyError:
        raise InputError(f"cannot convert units {unit_from!r} to {unit_to!r}")


def resample(x: np.ndarray, fs_from: float, fs_to: float) -> np.ndarray:
    """Linear resampling of one lead; a new sample is NaN when either neighbouring old sample is NaN."""
    n_to = int(round(x.size * fs_to / fs_from))
    if x.size == 0:
        return np.full(n_to, np.nan)
    t_from = np.arange(x.size) / fs_from
    t_to = np.arange(n_to) / fs_to
    finite = np.isfinite(x)
    values = np.interp(t_to, t_from, np.where(finite, x, 0.0))
    gaps = np.interp(t_to, t_from, (~finite).astype(float)) > 0
    values[gaps | (t_to > t_from[-1])] = np.nan
    return values


def conform_estimate(ref: Record, est: Record, allow_resample: bool) -> tuple[list[np.ndarray], list[str]]:
    """Per reference lead: the estimate's samples (in the reference's fs and units) and a status.

    Status ``ok`` or ``missing_lead`` (all-NaN). Mismatched fs or units raise :class:`MismatchError` unless
    ``allow_resample``; repeated lead names raise :class:`InputError`.
    """
    if est.fs != ref.fs and not allow_resample:
        raise MismatchError(f"{est.name}: sampling frequency {est.fs:g} Hz differs from the reference's {ref.fs:g} Hz "
                         "(use --resample)")
    index = match_leads(ref.leads, est.leads)
    columns, status = [], []
    n = est.signal.shape[0] if est.fs == ref.fs else int(round(est.signal.shape[0] * ref.fs / est.fs))
    for j, i in enumerate(index):
        if i is None:
            columns.append(np.full(n, np.nan))
            status.append("missing_lead")
            continue
        x = est.signal[:, i]
        if est.units[i] != ref.units[j]:
            if not allow_resample:
                raise MismatchError(f"{est.name}: lead {ref.leads[j]} is in {est.units[i]}, the reference in "
                                 f"{ref.units[j]} (use --resample)")
            x = x * unit_scale(est.units[i], ref.units[j])
        if est.fs != ref.fs:
            x = resample(x, est.fs, ref.fs)
        columns.append(x)
        status.append("ok")
    return columns, status
