"""The George B. Moody PhysioNet Challenge 2024 digitization metrics, as revised in July 2024.

Reimplemented from the official scoring code (physionetchallenges/evaluation-2024 ``evaluate_model.py`` with the
``-n/--no_shift`` option, and its ``helper_code.py``: ``align_signals``, ``convert_signal``, ``fft_correlate``,
``compute_snr``, ``compute_ks_metric``, ``compute_asci_metric``, ``compute_weighted_absolute_difference``). The same
numpy/scipy calls are made in the same order so that values, ties and edge cases (NaN, empty overlap, flat signals)
come out as the official code gives them. Where the official code crashes, this module documents what it does instead.

Per lead: the estimate is aligned to the reference by the 2D cross-correlation of the two signals quantised into
256-level binary images (Gaussian-smoothed, sigma 0.5); the shift is kept only when it is within 0.5 s and 1.0 (signal
units, mV) of zero. The SNR is taken over the samples finite in both, multiplied by the fraction of the reference's
finite samples the estimate covers. NaN means "not plotted" in the reference and "not digitized" in the estimate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.signal import fftconvolve, filtfilt

NUM_QUANT_LEVELS = 2**8
"""Quantisation levels of the signal images (evaluate_model.py: ``num_quant_levels = 2**8``)."""
MAX_VT_SHIFT = 1.0
"""Largest accepted vertical shift, in signal units (evaluate_model.py: ``max_vt_shift = 1.0``)."""
SMOOTH_SIGMA = 0.5
"""Gaussian smoothing of the signal images (helper_code.py ``align_signals(..., smooth=True, sigma=0.5)``)."""
ASCI_BETA = 0.05
"""Threshold factor of the ASCI metric (helper_code.py ``compute_asci_metric(..., beta=0.05)``)."""


def max_hz_shift(fs: float) -> float:
    """Largest accepted time shift in samples (evaluate_model.py: ``np.round(0.5*sampling_frequency)``)."""
    return float(np.round(0.5 * fs))


@dataclass(frozen=True)
class Alignment:
    """Result of :func:`align_signals`: the shifted estimate and the offsets found (samples, signal units)."""

    shifted: np.ndarray
    shift_samples: int
    shift_amplitude: float


@dataclass(frozen=True)
class LeadScore:
    """Every Challenge figure for one lead of one record."""

    lead: str
    snr: float
    snr_no_align: float
    snr_median: float
    ks: float
    asci: float
    wad: float
    shift_samples: int
    shift_amplitude: float
    shift_applied: bool
    coverage: float
    """Fraction of the reference's finite samples that the (aligned) estimate also has: the SNR's penalty factor."""
    status: str
    """``ok``, ``missing_lead`` (the estimate has no such lead) or ``missing_record`` (no estimate at all)."""


def convert_signal(x: np.ndarray, num_quant_levels: int, min_amp: float, max_amp: float, max_t: int) -> np.ndarray:
    """Quantise a 1D signal into a binary (levels × time) image; non-finite samples leave their column empty.

    helper_code.py ``convert_signal``. A flat signal (max == min) divides by zero exactly as the official code does.
    """
    idx = np.isfinite(x)
    t = np.arange(1, np.size(x) + 1)[idx]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.round((num_quant_levels - 1) * (x[idx] - min_amp) / (max_amp - min_amp) + 1).astype(int)
    y = np.clip(y, 1, num_quant_levels)
    image = np.zeros((num_quant_levels, max_t))
    image[y - 1, t - 1] = 1
    return image


def fft_correlate(a_ref: np.ndarray, a_est: np.ndarray) -> np.ndarray:
    """Full 2D cross-correlation via FFT convolution with the flipped estimate (helper_code.py ``fft_correlate``)."""
    return fftconvolve(a_ref, np.flip(np.flip(a_est, axis=0), axis=1), mode="full")


def _argmax2d(a: np.ndarray) -> tuple[int, int]:
    return tuple(int(i) for i in np.unravel_index(np.argmax(a), a.shape))  # type: ignore[return-value]


def _auto_peak(a_ref: np.ndarray) -> tuple[int, int]:
    """Peak of the reference image's full auto-correlation, without computing it.

    The official code computes ``fft_correlate(A_ref, A_ref)`` and takes its argmax. An auto-correlation peaks at
    zero lag, the centre (rows − 1, cols − 1), strictly for a non-zero image; an all-zero image (a reference with no
    finite sample) correlates to exact zeros, whose argmax is (0, 0). Skipping it halves the cost.
    """
    if not np.any(a_ref):
        return 0, 0
    return a_ref.shape[0] - 1, a_ref.shape[1] - 1


def align_signals(x_ref: np.ndarray, x_est: np.ndarray, num_quant_levels: int = NUM_QUANT_LEVELS,
                  smooth: bool = True, sigma: float = SMOOTH_SIGMA) -> Alignment:
    """Estimate the time and amplitude offset of ``x_est`` against ``x_ref`` and undo it.

    helper_code.py ``align_signals`` (Sameni, Koscova, Reyna, July 2024). A positive ``shift_samples`` means the
    estimate lags the reference; the shifted estimate is padded with NaN and keeps ``len(x_est)`` + max(0, -shift)
    samples.
    """
    x_ref = np.asarray(x_ref, dtype=float)
    x_est = np.asarray(x_est, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices, as in the official code
        min_amp = min(np.nanmin(x_ref), np.nanmin(x_est))
        max_amp = max(np.nanmax(x_ref), np.nanmax(x_est))
    max_t = max(np.size(x_ref), np.size(x_est))
    a_ref = convert_signal(x_ref, num_quant_levels, min_amp, max_amp, max_t)
    a_est = convert_signal(x_est, num_quant_levels, min_amp, max_amp, max_t)
    if smooth:
        a_ref = gaussian_filter(a_ref, sigma)
        a_est = gaussian_filter(a_est, sigma)
    idx_cross = _argmax2d(fft_correlate(a_ref, a_est))
    idx_auto = _auto_peak(a_ref)
    offset_hz = idx_auto[1] - idx_cross[1]
    offset_vt = (idx_auto[0] - idx_cross[0]) / (num_quant_levels - 1) * (max_amp - min_amp)
    if offset_hz < 0:
        shifted = np.concatenate((np.full(-offset_hz, np.nan), x_est))
    else:
        shifted = np.concatenate((x_est[offset_hz:], np.full(offset_hz, np.nan)))
    return Alignment(shifted - offset_vt, int(offset_hz), float(offset_vt))


def _finite_overlap(x_ref: np.ndarray, x_est: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """NaN-pad the shorter signal; return (ref, est) over samples finite in both, plus both finite masks."""
    x_ref = np.asarray(x_ref, dtype=float).copy()
    x_est = np.asarray(x_est, dtype=float).copy()
    if x_ref.ndim != 1 or x_est.ndim != 1:
        raise ValueError("signals must be one-dimensional")
    n = max(x_ref.size, x_est.size)
    x_ref = np.concatenate((x_ref, np.full(n - x_ref.size, np.nan)))
    x_est = np.concatenate((x_est, np.full(n - x_est.size, np.nan)))
    idx_ref, idx_est = np.isfinite(x_ref), np.isfinite(x_est)
    idx = idx_ref & idx_est
    return x_ref[idx], x_est[idx], idx_ref, idx


def compute_snr(x_ref: np.ndarray, x_est: np.ndarray, noise_median: bool = False) -> tuple[float, float, float]:
    """SNR in dB over the samples finite in both, times the coverage penalty; returns (snr, p_signal, p_noise).

    helper_code.py ``compute_snr(x_ref, x_est, keep_nans=True, signal_median=False, noise_median=...)``: inf when the
    noise power is 0, NaN when nothing overlaps or the reference power is 0 with non-zero noise. The penalty
    multiplies the dB value by (overlapping samples / finite reference samples).
    """
    ref, est, idx_ref, idx = _finite_overlap(x_ref, x_est)
    noise = ref - est
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty overlap is NaN, as officially
        p_signal = float(np.mean(ref**2))
        p_noise = float(np.median(noise**2)) if noise_median else float(np.mean(noise**2))
    if p_signal > 0 and p_noise > 0:
        snr = 10 * np.log10(p_signal / p_noise)
    elif p_noise == 0:
        snr = float("inf")
    else:
        snr = float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.sum(idx) / np.sum(idx_ref)
        snr = float(snr * alpha)
    return snr, p_signal, p_noise


def coverage(x_ref: np.ndarray, x_est: np.ndarray) -> float:
    """Fraction of the reference's finite samples that are finite in the estimate (the SNR's ``alpha``)."""
    _, _, idx_ref, idx = _finite_overlap(x_ref, x_est)
    return float(np.sum(idx) / np.sum(idx_ref)) if np.any(idx_ref) else float("nan")


def compute_ks_metric(x_ref: np.ndarray, x_est: np.ndarray) -> float:
    """1 − the largest gap between the normalised cumulative |signal| curves (helper_code.py ``compute_ks_metric``).

    NaN for an empty overlap, where the official code raises IndexError.
    """
    ref, est, _, _ = _finite_overlap(x_ref, x_est)
    if ref.size == 0:
        return float("nan")
    ref_cdf, est_cdf = np.nancumsum(np.abs(ref)), np.nancumsum(np.abs(est))
    if ref_cdf[-1] > 0:
        ref_cdf = ref_cdf / ref_cdf[-1]
    if est_cdf[-1] > 0:
        est_cdf = est_cdf / est_cdf[-1]
    return float(1.0 - np.max(np.abs(ref_cdf - est_cdf)))


def compute_asci_metric(x_ref: np.ndarray, x_est: np.ndarray, beta: float = ASCI_BETA) -> float:
    """Adaptive signed correlation index: mean of ±1 by |error| ≤ beta·std(ref) (helper_code.py)."""
    if beta <= 0 or beta > 1:
        raise ValueError("beta must be in (0, 1]")
    ref, est, _, _ = _finite_overlap(x_ref, x_est)
    if ref.size == 0:
        return float("nan")
    threshold = beta * np.std(ref)
    noise = np.abs(ref - est)
    discretized = np.where(noise <= threshold, 1.0, -1.0)
    return float(np.mean(discretized))


def compute_weighted_absolute_difference(x_ref: np.ndarray, x_est: np.ndarray, fs: float) -> float:
    """Mean |error| weighted by 1 − 0.5·(100 ms moving average of ref)/max (helper_code.py).

    NaN for an empty overlap, where the official code raises.
    """
    ref, est, _, _ = _finite_overlap(x_ref, x_est)
    m = round(0.1 * fs)
    if ref.size == 0 or m < 1:
        return float("nan")
    w = filtfilt(np.ones(m), m, ref, method="gust")
    with np.errstate(divide="ignore", invalid="ignore"):
        w = 1 - 0.5 / np.max(w) * w
        return float(np.sum(np.abs(ref - est) * w) / np.sum(w))


def score_lead(lead: str, x_ref: np.ndarray, x_est: np.ndarray, fs: float, align: bool = True,
               status: str = "ok") -> LeadScore:
    """All Challenge figures for one lead: align (if asked and within limits), then SNR and the extra scores.

    evaluate_model.py: the shift is applied only if ``abs(shift_hz) <= max_hz_shift and abs(shift_vt) <= 1.0``;
    the extra scores are computed on the same (possibly shifted) estimate.
    """
    x_ref = np.asarray(x_ref, dtype=float)
    x_est = np.asarray(x_est, dtype=float)
    shift_hz, shift_vt, applied = 0, 0.0, False
    est = x_est
    if align:
        a = align_signals(x_ref, x_est)
        shift_hz, shift_vt = a.shift_samples, a.shift_amplitude
        if abs(shift_hz) <= max_hz_shift(fs) and abs(shift_vt) <= MAX_VT_SHIFT:
            est, applied = a.shifted, True
    return LeadScore(
        lead=lead,
        snr=compute_snr(x_ref, est)[0],
        snr_no_align=compute_snr(x_ref, x_est)[0],
        snr_median=compute_snr(x_ref, est, noise_median=True)[0],
        ks=compute_ks_metric(x_ref, est),
        asci=compute_asci_metric(x_ref, est),
        wad=compute_weighted_absolute_difference(x_ref, est, fs),
        shift_samples=shift_hz,
        shift_amplitude=shift_vt,
        shift_applied=applied,
        coverage=coverage(x_ref, est),
        status=status,
    )


def nanmean_or_nan(values: list[float]) -> float:
    """Mean ignoring NaN, NaN when all are NaN or there are none (evaluate_model.py's aggregation)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0 or np.all(np.isnan(a)):
        return float("nan")
    return float(np.nanmean(a))
