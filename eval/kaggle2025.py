"""The metric of the 2025 rerun on Kaggle ("PhysioNet - Digitization of ECG Images", physionet-ecg-image-digitization).

Reimplemented from the competition's metric notebook (kaggle.com/code/metric/physionet-ecg-signal-extraction-metric:
``align_signals``, ``compute_power``, ``compute_snr``, ``_calculate_image_score``, ``score``), read in copies that
participants committed to public repositories (the notebook itself is not in our search index). Per image and lead:
the prediction is shifted in time by the lag (|lag| ≤ int(0.2·fs)) that maximises the cross-correlation of the
mean-removed signals, then offset vertically by the value minimising the squared error (Brent's method); signal and
noise power are summed over the 12 leads; the image's ratio is capped at 384; the score is
max(10·log10(mean ratio over images), −384).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.signal

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
MAX_TIME_SHIFT = 0.2
"""Largest time shift in seconds."""
PERFECT_SCORE = 384
"""Cap of an image's signal/noise ratio, and floor (negated) of the final dB score."""


@dataclass(frozen=True)
class KaggleLead:
    """Powers and shifts of one lead of one image."""

    lead: str
    p_signal: float
    p_noise: float
    shift_samples: int
    vertical_shift: float
    status: str
    """``ok`` or ``missing_lead`` (scored as an all-zero prediction)."""


def align_signals(label: np.ndarray, pred: np.ndarray,
                  max_shift: float = float("inf")) -> tuple[np.ndarray, int, float]:
    """Shift ``pred`` in time and amplitude onto ``label``; returns (aligned, time shift, vertical shift).

    The metric's ``align_signals``: a positive lag moves the prediction later (NaN-padded at the start). Ties in
    correlation go to the smallest |lag|. ``label`` must be finite and ``pred`` not all non-finite.
    """
    label_arr = np.asarray(label, dtype=np.float64)
    pred_arr = np.asarray(pred, dtype=np.float64)
    if np.any(~np.isfinite(label_arr)):
        raise ValueError("values in label should all be finite")
    if np.sum(np.isfinite(pred_arr)) == 0:
        raise ValueError("prediction can not all be infinite")
    correlation = scipy.signal.correlate(label_arr - np.mean(label_arr), pred_arr - np.mean(pred_arr), mode="full")
    n_label, n_pred = label_arr.size, pred_arr.size
    lags = scipy.signal.correlation_lags(n_label, n_pred, mode="full")
    valid = (lags >= -max_shift) & (lags <= max_shift)
    best = np.nanmax(correlation[valid])
    candidates = np.flatnonzero(correlation == best)
    time_shift = int(lags[min(candidates, key=lambda i: abs(lags[i]))])
    aligned = np.concatenate((
        np.full(max(time_shift, 0), np.nan),
        pred_arr[max(-time_shift, 0):min(n_label - time_shift, n_pred)],
        np.full(max(n_label - n_pred - time_shift, 0), np.nan),
    ))
    vertical = 0.0
    if np.any(np.isfinite(label_arr) & np.isfinite(aligned)):
        result = scipy.optimize.minimize_scalar(lambda v: np.nansum((label_arr - (aligned - v)) ** 2), method="Brent")
        vertical = float(result.x)
        aligned = aligned - vertical
    return aligned, time_shift, vertical


def compute_power(label: np.ndarray, prediction: np.ndarray) -> tuple[float, float]:
    """Signal and noise energy, non-finite predictions counted as 0 (the metric's ``compute_power``)."""
    prediction = np.where(np.isfinite(prediction), prediction, 0.0)
    return float(np.sum(label**2)), float(np.sum((label - prediction) ** 2))


def ratio(p_signal: float, p_noise: float) -> float:
    """One image's signal/noise ratio, capped at 384; 0 for zero signal (the metric's ``compute_snr``)."""
    if p_noise == 0:
        return float(PERFECT_SCORE)
    if p_signal == 0:
        return 0.0
    return min(p_signal / p_noise, PERFECT_SCORE)


def score_lead(lead: str, label: np.ndarray, pred: np.ndarray, fs: float, status: str = "ok") -> KaggleLead:
    """Align one lead (|lag| ≤ int(fs·0.2)) and return its powers.

    Deviation for our inputs (Kaggle submissions may not contain NaN): non-finite predicted samples are set to 0
    before alignment, which is what a participant would have had to submit.
    """
    pred = np.where(np.isfinite(pred), pred, 0.0)
    aligned, shift, vertical = align_signals(label, pred, int(fs * MAX_TIME_SHIFT))
    p_signal, p_noise = compute_power(np.asarray(label, dtype=float), aligned)
    return KaggleLead(lead, p_signal, p_noise, shift, vertical, status)


def image_ratio(leads: list[KaggleLead]) -> float:
    """Capped ratio of the powers summed over an image's leads (the metric's ``_calculate_image_score``)."""
    return ratio(sum(x.p_signal for x in leads), sum(x.p_noise for x in leads))


def final_score(ratios: list[float]) -> float:
    """max(10·log10(mean ratio), −384) over images (the metric's ``score``); NaN when there are no images."""
    if not ratios:
        return float("nan")
    with np.errstate(divide="ignore"):
        return max(float(10 * np.log10(np.mean(ratios))), -PERFECT_SCORE)
