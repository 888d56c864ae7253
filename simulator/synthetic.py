"""Simulated 12-lead records (neurokit2's ECGSYN model) for unlimited private training data, clearly marked simulated.

neurokit2's ``multileads`` output breaks Einthoven's law and gives every lead the same amplitude, so we simulate only
I, II and V1–V6 (one ECGSYN run each, with per-lead wave gains, jittered), scale each to a plausible
amplitude, and derive III = II − I, aVR = −(I + II)/2, aVL = I − II/2, aVF = II − I/2.

ECGSYN is slow (~0.15 s per lead and 10 s), so a small bank of base morphologies is simulated lazily and cached per
process; each record varies its base by heart rate (time stretch), per-lead amplitude, baseline wander and noise,
all drawn from the generator passed in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from .layout import STANDARD_12
from .records import Record

FS_HZ = 500.0
BASE_S = 17.0            # length of a bank entry: a 10 s window at the fastest rate (stretch 0.6)
BANK_SIZE = 48           # distinct base morphologies
PREFIX = "synthetic-"    # every simulated record's name starts with this
# Gains of ECGSYN's default wave amplitudes (P, Q, R, S, T) per lead, shaped like a normal 12-lead ECG (tall R in II
# and V4-V5, rS in V1-V2, R/S transition at V3). neurokit2's own multileads table gives lead II a tiny QRS.
GAINS = {"I": (0.8, 0.6, 0.7, 0.5, 0.8), "II": (1.0, 0.6, 1.0, 0.6, 1.0), "V1": (0.5, 0.0, 0.25, 2.5, 0.2),
         "V2": (0.6, 0.0, 0.5, 2.5, 1.3), "V3": (0.7, 0.2, 0.8, 1.6, 1.3), "V4": (0.8, 0.4, 1.2, 1.0, 1.2),
         "V5": (0.9, 0.6, 1.1, 0.5, 1.0), "V6": (0.9, 0.6, 0.9, 0.3, 0.9)}
# Peak-to-peak QRS amplitude ranges (mV) drawn per lead: small limb leads, tall mid-precordial leads.
AMPLITUDE_MV = {"I": (0.5, 1.3), "II": (0.8, 1.9), "V1": (0.6, 1.6), "V2": (1.0, 2.6), "V3": (1.0, 2.6),
                "V4": (1.0, 2.8), "V5": (0.8, 2.4), "V6": (0.6, 1.8)}
ECGSYN_AI = np.array([1.2, -5.0, 30.0, -7.5, 0.75])  # ECGSYN's default wave amplitudes, scaled by the gains above


@lru_cache(maxsize=BANK_SIZE)
def base_signals(bank: int) -> np.ndarray:
    """(BASE_S × FS_HZ, 8) normalised leads I, II, V1–V6 of bank entry ``bank``; deterministic in ``bank``."""
    import neurokit2 as nk  # heavy import, only when synthetic records are asked for

    rng = np.random.default_rng([0x5EC6, bank])
    heart_rate = float(rng.uniform(60.0, 85.0))
    out = []
    for lead, gamma in GAINS.items():
        ai = ECGSYN_AI * np.asarray(gamma) * rng.uniform(0.8, 1.2, 5)
        ecg = nk.ecg_simulate(duration=BASE_S, sampling_rate=int(FS_HZ), heart_rate=heart_rate, heart_rate_std=2,
                              method="ecgsyn", noise=0, random_state=bank, ai=tuple(ai))
        ecg = np.asarray(ecg, np.float64)
        ecg = ecg - np.median(ecg)
        out.append(ecg / max(np.ptp(ecg), 1e-6))
    return np.stack(out, axis=1)


def synthetic_record(rng: np.random.Generator, duration_s: float) -> Record:
    """A simulated 12-lead record of ``duration_s`` seconds (at most ~23 s) at 500 Hz."""
    bank = int(rng.integers(BANK_SIZE))
    base = base_signals(bank)
    # > 1: slower heart (60-85 bpm base → ~45-140 bpm); a window longer than 10 s only gets the slower rates
    stretch = float(rng.uniform(max(0.6, duration_s / (BASE_S - 0.1)), 1.35))
    n = int(round(min(duration_s, (BASE_S - 0.1) * stretch) * FS_HZ))
    t_base = np.arange(n) / FS_HZ / stretch
    grid = np.arange(base.shape[0]) / FS_HZ
    leads = {name: np.interp(t_base, grid, base[:, k]) for k, name in enumerate(GAINS)}
    for name in leads:
        lo, hi = AMPLITUDE_MV[name]
        leads[name] = leads[name] * rng.uniform(lo, hi)
    t = np.arange(n) / FS_HZ
    for name in ("I", "II", *[f"V{i}" for i in range(1, 7)]):  # wander and noise before deriving the limb leads
        wander = rng.uniform(0, 0.15) * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
        leads[name] = leads[name] + wander + rng.normal(0, rng.uniform(0.002, 0.02), n)
    i, ii = leads["I"], leads["II"]
    leads.update({"III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2})
    signals = np.stack([leads[name] for name in STANDARD_12], axis=1)
    name = f"{PREFIX}{bank:02d}-{int(rng.integers(16**8)):08x}"
    return Record(name=name, fs=FS_HZ, signals=signals, lead_names=STANDARD_12, path=Path(name))
