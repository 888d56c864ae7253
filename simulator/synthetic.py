"""Simulated 12-lead records for unlimited private training data, clearly marked simulated.

Each record draws its own rhythm and wave shapes from the frame's generator, so no two frames (and no two runs with
different seeds) share a waveform. A record is built beat by beat as a sum of Gaussian waves P, Q, R, S, T per lead:
the waveform model of ECGSYN (McSharry et al., IEEE TBME 50(3), 2003), written in time instead of integrated as an
ODE. (neurokit2's ECGSYN integrates with an adaptive step that can leap over a narrow R wave: some of its records
carry a spike that decays over a second, up to 3× the QRS.) Leads I, II, V1–V6 are simulated; III, aVR, aVL and
aVF are derived from I and II, so Einthoven's and Goldberger's laws hold exactly.

The heart rate changes what it changes in a heart: P, PR and QRS keep their durations, while the T wave's time and
width follow Bazett (∝ √RR of the interval before the beat). Kinds (:data:`KINDS`): sinus rhythm, first-degree AV
block, wide QRS (left-bundle-branch-like), T-wave inversion or ST elevation in a lead group, AF-like (no P waves,
fibrillatory baseline, irregularly irregular RR) and low voltage; any of them may carry premature ventricular beats.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import InputError
from .layout import STANDARD_12
from .records import Beats, Record

FS_HZ = 500.0
PREFIX = "synthetic-"    # every simulated record's name starts with this
SIMULATED = ("I", "II", "V1", "V2", "V3", "V4", "V5", "V6")  # the others are derived from I and II
WAVES = ("P", "Q", "R", "S", "T")
# Typical wave amplitudes (mV) per lead, shaped like a normal 12-lead ECG: small P, tall R in II and V4-V5, rS in
# V1-V2 with the R/S transition at V3, upright T but for a small one in V1.
AMPLITUDE_MV = np.array([
    [0.08, -0.05, 0.60, -0.10, 0.20],   # I
    [0.12, -0.06, 1.00, -0.20, 0.30],   # II
    [0.06, 0.00, 0.20, -0.90, 0.05],    # V1
    [0.07, 0.00, 0.35, -1.20, 0.50],    # V2
    [0.07, -0.03, 0.70, -0.80, 0.50],   # V3
    [0.07, -0.06, 1.20, -0.50, 0.45],   # V4
    [0.07, -0.08, 1.10, -0.25, 0.35],   # V5
    [0.07, -0.08, 0.90, -0.10, 0.30]])  # V6
CENTRE_S = np.array([-0.17, -0.028, 0.0, 0.028, 0.25])  # wave centres relative to the R peak (T: at RR = 1 s)
WIDTH_S = np.array([[0.022, 0.022], [0.010, 0.010], [0.011, 0.011], [0.010, 0.010],
                    [0.060, 0.038]])  # Gaussian σ before and after each centre: the T wave rises slower than it falls
GROUPS = {"anterior": ("V1", "V2", "V3", "V4"), "inferior": ("II",), "lateral": ("I", "V5", "V6")}
RECIPROCAL = {"anterior": "inferior", "inferior": "lateral", "lateral": "inferior"}
# kind: (weight, heart-rate range in bpm)
KINDS = {"sinus": (0.44, (50.0, 120.0)), "av-block-1": (0.08, (50.0, 95.0)), "wide-qrs": (0.12, (50.0, 110.0)),
         "t-inversion": (0.10, (50.0, 110.0)), "st-elevation": (0.08, (50.0, 110.0)),
         "af": (0.12, (70.0, 140.0)), "low-voltage": (0.06, (55.0, 110.0))}
PVC_RECORDS = 0.15       # fraction of records with premature ventricular beats
INPUT = "synthetic"      # the --input word; "synthetic:af=2,sinus=1" draws those kinds in those proportions


@dataclass(frozen=True, eq=False)
class Morphology:
    """One record's rhythm and wave shapes; a record adds its beat times, wander and noise."""

    kind: str
    heart_rate: float            # mean, bpm
    rr_spread: float             # sinus: respiratory RR modulation; AF: σ of log RR (irregularly irregular)
    amplitude_mv: np.ndarray     # (8 leads, 5 waves) of a normal beat
    centre_s: np.ndarray         # (5,) wave centres relative to R (T at RR = 1 s)
    width_s: np.ndarray          # (5, 2) σ before and after each centre (T at RR = 1 s)
    st_mv: np.ndarray            # (8,) ST-segment shift per lead
    f_wave_mv: float             # AF's fibrillatory waves (0: none)
    pvc_rate: float              # chance that a beat is a premature ventricular one
    pvc_mv: np.ndarray           # (8,) a premature beat's QRS per lead (its T is opposite)
    wander_mv: np.ndarray        # (8,) baseline wander amplitude
    noise_mv: np.ndarray         # (8,) σ of the recording noise


def is_synthetic(source: str) -> bool:
    """Whether an --input item asks for simulated records (``synthetic``, or ``synthetic:`` with a mix of kinds)."""
    return source == INPUT or source.startswith(f"{INPUT}:")


def parse_kinds(source: str) -> dict[str, float] | None:
    """The mix of kinds an input item asks for: None for plain ``synthetic`` (:data:`KINDS`' own shares), else
    ``synthetic:af=2,sinus=1`` (a kind without ``=`` weighs 1). InputError names what is wrong."""
    if source == INPUT:
        return None
    mix: dict[str, float] = {}
    for part in source[len(INPUT) + 1:].split(","):
        name, _, weight = part.strip().partition("=")
        if name not in KINDS:
            raise InputError(f"--input {source}: unknown kind {name!r} (known: {', '.join(KINDS)})")
        try:
            value = float(weight) if weight else 1.0
        except ValueError:
            value = float("nan")
        if not (np.isfinite(value) and value >= 0):
            raise InputError(f"--input {source}: weight {weight!r} of {name} is not a number ≥ 0")
        mix[name] = value
    if sum(mix.values()) <= 0:
        raise InputError(f"--input {source}: the weights add up to 0")
    return mix


def draw_morphology(rng: np.random.Generator, kinds: dict[str, float] | None = None) -> Morphology:
    """A record's kind by ``kinds``' weights (default :data:`KINDS`' shares), then its rate and wave shapes."""
    names = list(kinds or KINDS)
    weights = np.array([kinds[k] if kinds else KINDS[k][0] for k in names])
    kind = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    n = len(SIMULATED)
    amp = AMPLITUDE_MV * rng.uniform(0.7, 1.3, AMPLITUDE_MV.shape) * rng.uniform(0.75, 1.3, (n, 1))
    centre, width = CENTRE_S * rng.uniform(0.92, 1.08, 5), WIDTH_S * rng.uniform(0.85, 1.15, (5, 1))
    st = np.zeros(n)
    lead = {name: k for k, name in enumerate(SIMULATED)}
    group = list(GROUPS)[int(rng.integers(len(GROUPS)))]
    in_group = [lead[name] for name in GROUPS[group]]
    if kind == "av-block-1":  # PR beyond 200 ms
        centre[0] *= rng.uniform(1.45, 1.9)
    elif kind == "wide-qrs":  # left-bundle-branch-like: broad R without q or S in I, V5, V6, its T wave opposite,
        centre[1:4] *= rng.uniform(1.6, 2.0)  # and a broad deep QS in V1-V2
        width[1:4] *= rng.uniform(2.2, 2.8)
        lateral = [lead["I"], lead["V5"], lead["V6"]]
        amp[np.ix_(lateral, [1, 3])] *= 0.1
        amp[lateral, 4] *= -rng.uniform(0.5, 1.0)
        amp[[lead["V1"], lead["V2"]], 2] *= 0.3
    elif kind == "t-inversion":
        amp[in_group, 4] *= -rng.uniform(0.5, 1.3)
    elif kind == "st-elevation":  # elevation in the group, depression in its reciprocal leads
        st[in_group] = rng.uniform(0.1, 0.3)
        st[[lead[name] for name in GROUPS[RECIPROCAL[group]]]] = -0.4 * rng.uniform(0.1, 0.3)
    elif kind == "af":
        amp[:, 0] = 0.0
    elif kind == "low-voltage":
        amp *= rng.uniform(0.35, 0.55)
    lo, hi = KINDS[kind][1]
    qrs = amp[:, 2] + amp[:, 3]  # the dominant deflection's sign: a premature beat points the other way
    return Morphology(
        kind=kind, heart_rate=float(rng.uniform(lo, hi)),
        rr_spread=float(rng.uniform(0.12, 0.25) if kind == "af" else rng.uniform(0.0, 0.05)),
        amplitude_mv=amp, centre_s=centre, width_s=width, st_mv=st,
        f_wave_mv=float(rng.uniform(0.03, 0.1)) if kind == "af" else 0.0,
        pvc_rate=float(rng.uniform(0.05, 0.2)) if rng.random() < PVC_RECORDS else 0.0,
        pvc_mv=-np.sign(qrs + 1e-9) * rng.uniform(1.0, 1.6, n) * np.abs(amp[:, 2:4]).max(axis=1),
        wander_mv=rng.uniform(0.0, 0.15, n), noise_mv=rng.uniform(0.002, 0.02, n))


def beat_times(morph: Morphology, duration_s: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray,
                                                                                            np.ndarray]:
    """R-peak times (s; from before the window's start to after its end), the RR interval before each beat, and
    which beats are premature ventricular ones (each followed by a compensatory pause)."""
    rr_mean = 60.0 / morph.heart_rate
    count = int(np.ceil((duration_s + 2.0) / (rr_mean * 0.5))) + 2  # enough beats at the shortest RR
    if morph.kind == "af":
        rr = rr_mean * np.exp(rng.normal(-0.5 * morph.rr_spread ** 2, morph.rr_spread, count))
    else:  # respiratory sinus arrhythmia (~0.25 Hz) and a little beat-to-beat jitter
        phase = 2 * np.pi * 0.25 * rr_mean * np.arange(count) + rng.uniform(0, 2 * np.pi)
        rr = rr_mean * (1 + morph.rr_spread * np.sin(phase) + rng.normal(0, 0.01, count))
    premature = (rng.random(count) < morph.pvc_rate) & (np.arange(count) > 0) & (np.arange(count) < count - 1)
    premature[1:] &= ~premature[:-1]  # no couplets; the first and last beats are normal (their pause is in range)
    coupling = rr * rng.uniform(0.55, 0.7, count)
    pause = np.roll(np.where(premature, 2 * rr - coupling, rr), 1)  # the beat after a premature one comes late
    rr = np.where(premature, coupling, np.where(np.roll(premature, 1), pause, rr))
    rr = np.clip(rr, 0.3, 2.0)
    times = -1.0 - rng.uniform(0, rr_mean) + np.cumsum(rr)
    return times, rr, premature


def simulate(morph: Morphology, duration_s: float, rng: np.random.Generator) -> tuple[np.ndarray, Beats]:
    """(samples, 8) leads I, II, V1–V6 in mV (every beat's waves, ST shifts, f-waves, wander and noise), and the
    beats in it: each R peak's sample, N for a normal beat and V for a premature ventricular one."""
    n = int(round(duration_s * FS_HZ))
    t = np.arange(n) / FS_HZ
    out = np.zeros((n, len(SIMULATED)))
    times, rr, premature = beat_times(morph, duration_s, rng)
    samples = np.round(times * FS_HZ).astype(np.int64)
    inside = (samples >= 0) & (samples < n)
    beats = Beats(samples[inside], tuple("V" if v else "N" for v in premature[inside]))
    for t_r, rr_before, pvc in zip(times, rr, premature):
        lo, hi = np.searchsorted(t, (t_r - 0.6, t_r + 1.0))
        if lo == hi:
            continue
        bazett = np.sqrt(rr_before)
        centre = morph.centre_s * np.array([1, 1, 1, 1, bazett])
        width = morph.width_s * np.array([1, 1, 1, 1, bazett])[:, None]
        amp = morph.amplitude_mv.copy()
        if pvc:  # no P wave; one wide QRS against the normal one, its T wave opposite
            amp[:, :4] = 0.0
            amp[:, 2] = morph.pvc_mv
            amp[:, 4] = -0.35 * morph.pvc_mv
            width = width.copy()
            width[2] = 0.04
        dt = t[lo:hi, None] - t_r - centre[None, :]                     # (samples, waves)
        sigma = np.where(dt < 0, width[:, 0], width[:, 1])
        out[lo:hi] += np.exp(-0.5 * (dt / sigma) ** 2) @ amp.T
        if not pvc and morph.st_mv.any():  # an ST shift: flat-topped from the end of the QRS into the T wave
            st = np.exp(-0.5 * ((t[lo:hi] - t_r - 0.6 * centre[4]) / (0.5 * centre[4])) ** 4)
            out[lo:hi] += st[:, None] * morph.st_mv[None, :]
    if morph.f_wave_mv:
        out += morph.f_wave_mv * _fibrillation(rng, n)
    for k in range(len(SIMULATED)):  # wander and noise, before the limb leads are derived
        wander = np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t + rng.uniform(0, 2 * np.pi))
        out[:, k] += morph.wander_mv[k] * wander + rng.normal(0, morph.noise_mv[k], n)
    return out, beats


def _fibrillation(rng: np.random.Generator, n: int) -> np.ndarray:
    """AF's fibrillatory waves, (n, 8) of about ±1: a 4–8 Hz oscillation whose rate and size drift, largest in V1
    and II."""
    t = np.arange(n) / FS_HZ
    freq = rng.uniform(4.5, 7.5) + 0.6 * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t + rng.uniform(0, 2 * np.pi))
    phase = 2 * np.pi * np.cumsum(freq) / FS_HZ
    size = 0.7 + 0.3 * np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * t + rng.uniform(0, 2 * np.pi))
    wave = size * np.sin(phase + rng.uniform(0, 2 * np.pi))
    per_lead = np.array([0.4, 0.8, 1.0, 0.7, 0.5, 0.4, 0.3, 0.3]) * rng.uniform(0.7, 1.3, len(SIMULATED))
    return wave[:, None] * per_lead[None, :]


def synthetic_record(rng: np.random.Generator, duration_s: float, kinds: dict[str, float] | None = None) -> Record:
    """A simulated 12-lead record of ``duration_s`` seconds at 500 Hz, its kind drawn by ``kinds``' weights (see
    :func:`parse_kinds`), named after it (``synthetic-af-1f3a9c07``)."""
    morph = draw_morphology(rng, kinds)
    signals, beats = simulate(morph, duration_s, rng)
    leads = dict(zip(SIMULATED, signals.T))
    i, ii = leads["I"], leads["II"]
    leads.update({"III": ii - i, "aVR": -(i + ii) / 2, "aVL": i - ii / 2, "aVF": ii - i / 2})
    signals = np.stack([leads[name] for name in STANDARD_12], axis=1)
    name = f"{PREFIX}{morph.kind}-{int(rng.integers(16**8)):08x}"
    return Record(name=name, fs=FS_HZ, signals=signals, lead_names=STANDARD_12, path=Path(name), beats=beats)

