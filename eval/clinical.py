"""Clinical interval errors between a reference lead and its digitization: RR and QT, in milliseconds.

Beats come from the record's annotations when there are any (MIT-BIH ``.atr``), otherwise from neurokit2's R-peak
detector on the reference. Each beat's R peak is then located the same way in both signals (the extremum of the
lead's QRS polarity within ±100 ms of the beat), so identical signals give zero error and beats are matched one to one.
QT runs from QRS onset to T offset, both from neurokit2's wavelet delineation (``ecg_delineate(method="dwt")``) given
those R peaks, computed separately on each signal. The QT database's expert annotations are not available here, so
the reference's QT is the delineator's, not an expert's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

SEARCH_S = 0.1
"""Half-width of the window around a beat in which its R peak is located."""


@dataclass(frozen=True)
class IntervalErrors:
    """Summary of per-beat interval errors (digitized − reference), in ms."""

    n: int
    mean_ms: float
    sd_ms: float
    mae_ms: float
    within_10ms: float
    within_20ms: float
    errors_ms: list[float] = field(repr=False)


@dataclass(frozen=True)
class ClinicalLead:
    """RR and QT errors of one lead, with where its beats came from."""

    lead: str
    beats_source: str
    """``annotations`` or ``detected``."""
    n_beats: int
    n_beats_found: int
    """Reference beats whose R peak was also found in the digitized lead."""
    rr: IntervalErrors
    qt: IntervalErrors


def summarize(errors_ms: list[float] | np.ndarray) -> IntervalErrors:
    """Mean ± SD, mean absolute error and the fractions within 10 ms / 20 ms of finite errors."""
    e = np.asarray(errors_ms, dtype=float)
    e = e[np.isfinite(e)]
    if e.size == 0:
        nan = float("nan")
        return IntervalErrors(0, nan, nan, nan, nan, nan, [])
    return IntervalErrors(
        n=int(e.size), mean_ms=float(np.mean(e)), sd_ms=float(np.std(e)), mae_ms=float(np.mean(np.abs(e))),
        within_10ms=float(np.mean(np.abs(e) <= 10)), within_20ms=float(np.mean(np.abs(e) <= 20)),
        errors_ms=[round(float(v), 3) for v in e],
    )


def longest_finite_run(x: np.ndarray) -> tuple[int, int]:
    """[start, stop) of the longest run of finite samples ((0, 0) if none)."""
    finite = np.concatenate(([False], np.isfinite(x), [False]))
    edges = np.flatnonzero(np.diff(finite.astype(int)))
    if edges.size == 0:
        return 0, 0
    starts, stops = edges[::2], edges[1::2]
    k = int(np.argmax(stops - starts))
    return int(starts[k]), int(stops[k])


def detect_beats(x: np.ndarray, fs: float) -> np.ndarray:
    """R peaks found by neurokit2 in the longest finite run of ``x`` (empty if it finds none)."""
    import neurokit2 as nk

    start, stop = longest_finite_run(x)
    if stop - start < int(fs):
        return np.zeros(0, dtype=int)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cleaned = nk.ecg_clean(x[start:stop], sampling_rate=fs)
            _, info = nk.ecg_peaks(cleaned, sampling_rate=fs)
    except Exception:  # neurokit2 fails in many ways on short or flat signals; that means "no beats"
        return np.zeros(0, dtype=int)
    return np.asarray(info["ECG_R_Peaks"], dtype=int) + start


def qrs_polarity(x: np.ndarray, beats: np.ndarray, fs: float) -> float:
    """+1 if the lead's QRS complexes point up around the beats, −1 if down."""
    w = int(SEARCH_S * fs)
    ups, downs = [], []
    base = np.nanmedian(x) if np.any(np.isfinite(x)) else 0.0
    for b in beats:
        seg = x[max(b - w, 0):b + w + 1]
        if np.any(np.isfinite(seg)):
            ups.append(np.nanmax(seg) - base)
            downs.append(base - np.nanmin(seg))
    return 1.0 if not ups or np.median(ups) >= np.median(downs) else -1.0


def locate_peaks(x: np.ndarray, beats: np.ndarray, fs: float, polarity: float) -> np.ndarray:
    """Each beat's R peak: argmax of polarity·x within ±100 ms; NaN if under half of that window is finite."""
    w = int(SEARCH_S * fs)
    peaks = np.full(beats.size, np.nan)
    for k, b in enumerate(beats):
        lo, hi = max(b - w, 0), min(b + w + 1, x.size)
        seg = polarity * x[lo:hi]
        if hi > lo and np.sum(np.isfinite(seg)) * 2 >= (2 * w + 1):
            peaks[k] = lo + int(np.nanargmax(seg))
    return peaks


def rr_errors(peaks_ref: np.ndarray, peaks_est: np.ndarray, fs: float) -> np.ndarray:
    """Per consecutive beat pair: digitized RR − reference RR, in ms (NaN where a peak is missing)."""
    return (np.diff(peaks_est) - np.diff(peaks_ref)) * 1000.0 / fs


def qt_intervals(x: np.ndarray, peaks: np.ndarray, fs: float) -> np.ndarray:
    """Per beat: T offset − QRS onset in ms from neurokit2's DWT delineation (NaN where it finds none)."""
    import neurokit2 as nk

    qt = np.full(peaks.size, np.nan)
    start, stop = longest_finite_run(x)
    inside = np.isfinite(peaks) & (peaks >= start) & (peaks < stop)
    if stop - start < int(fs) or np.sum(inside) < 2:
        return qt
    local = (peaks[inside] - start).astype(int)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _, waves = nk.ecg_delineate(x[start:stop], rpeaks=local, sampling_rate=fs, method="dwt")
    except Exception:  # delineation fails on very short or odd segments; that means "no QT"
        return qt
    onsets = np.asarray(waves.get("ECG_R_Onsets", []), dtype=float)
    offsets = np.asarray(waves.get("ECG_T_Offsets", []), dtype=float)
    if onsets.size == local.size and offsets.size == local.size:
        qt[inside] = (offsets - onsets) * 1000.0 / fs
    return qt


def clinical_lead(lead: str, x_ref: np.ndarray, x_est: np.ndarray, fs: float,
                  annotated_beats: np.ndarray | None = None) -> ClinicalLead:
    """RR and QT errors of one lead; ``x_est`` should already be aligned in time to ``x_ref``."""
    x_ref = np.asarray(x_ref, dtype=float)
    x_est = np.asarray(x_est, dtype=float)
    if annotated_beats is not None and annotated_beats.size:
        beats, source = annotated_beats[(annotated_beats >= 0) & (annotated_beats < x_ref.size)], "annotations"
        beats = beats[np.isfinite(x_ref[beats])]
    else:
        beats, source = detect_beats(x_ref, fs), "detected"
    polarity = qrs_polarity(x_ref, beats, fs)
    peaks_ref = locate_peaks(x_ref, beats, fs, polarity)
    peaks_est = locate_peaks(x_est, beats, fs, polarity)
    qt_err = qt_intervals(x_est, peaks_est, fs) - qt_intervals(x_ref, peaks_ref, fs)
    return ClinicalLead(
        lead=lead, beats_source=source, n_beats=int(beats.size),
        n_beats_found=int(np.sum(np.isfinite(peaks_ref) & np.isfinite(peaks_est))),
        rr=summarize(rr_errors(peaks_ref, peaks_est, fs)), qt=summarize(qt_err),
    )
