"""Challenge 2024 and Kaggle 2025 metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from eval import challenge2024 as C
from eval import kaggle2025 as K

FS = 100.0


def ecg_like(n: int = 1000, fs: float = FS) -> np.ndarray:
    """A beat-like test signal (narrow peaks on a slow wave), values on a 0.002 mV grid so scaling by 0.5 is exact."""
    t = np.arange(n) / fs
    x = 0.2 * np.sin(2 * np.pi * 0.7 * t) + 1.2 * np.exp(-((np.mod(t, 0.8) - 0.4) / 0.02) ** 2)
    return np.round(x * 500) / 500


def test_perfect_is_inf_with_perfect_extras():
    x = ecg_like()
    s = C.score_lead("II", x, x.copy(), FS)
    assert s.snr == math.inf and s.snr_no_align == math.inf and s.snr_median == math.inf
    assert s.ks == 1.0 and s.asci == 1.0 and s.wad == 0.0
    assert s.shift_samples == 0 and s.shift_amplitude == 0.0 and s.coverage == 1.0


def test_scaled_estimate_hand_computed():
    x = ecg_like()
    s = C.score_lead("II", x, 0.5 * x, FS, align=False)
    assert s.snr == pytest.approx(10 * math.log10(4), abs=1e-9)  # noise = 0.5 x → power ratio 4


def test_dc_offset_hand_computed_and_removed_by_alignment():
    x = ecg_like()
    s = C.score_lead("II", x, x + 0.3, FS)
    assert s.snr_no_align == pytest.approx(10 * math.log10(np.mean(x**2) / 0.09), abs=1e-9)
    step = (x.max() + 0.3 - x.min()) / 255  # one quantisation level
    assert s.shift_applied and s.shift_samples == 0
    assert abs(s.shift_amplitude - 0.3) <= step / 2 + 1e-12
    assert s.snr > s.snr_no_align + 20


def test_dc_offset_beyond_one_mv_is_not_applied():
    x = ecg_like()
    s = C.score_lead("II", x, x + 1.5, FS)
    assert not s.shift_applied
    assert s.snr == s.snr_no_align


def test_alignment_recovers_a_known_delay():
    x = ecg_like()
    d = 12
    est = np.concatenate((np.full(d, np.nan), x[:-d]))  # the estimate lags by d samples
    a = C.align_signals(x, est)
    assert a.shift_samples == d and a.shift_amplitude == 0.0
    s = C.score_lead("II", x, est, FS)
    assert s.shift_applied and s.snr == math.inf
    assert s.coverage == pytest.approx((x.size - d) / x.size)
    assert s.snr_no_align < 10


def test_delay_beyond_half_a_second_is_not_applied():
    x = ecg_like()
    d = 60  # 0.6 s at 100 Hz; the limit is round(0.5 fs) = 50 samples
    est = np.concatenate((x[-d:], x[:-d]))
    s = C.score_lead("II", x, est, FS)
    assert abs(s.shift_samples) > C.max_hz_shift(FS) or not s.shift_applied
    assert s.snr == s.snr_no_align


def test_nan_gap_coverage_penalty_hand_computed():
    x = ecg_like()
    noise = np.where(np.arange(x.size) % 2 == 0, 0.1, -0.1)
    est = x + noise
    est[750:] = np.nan  # the estimate covers 75 % of the reference
    s = C.score_lead("II", x, est, FS, align=False)
    expected = 10 * math.log10(np.mean(x[:750] ** 2) / 0.01) * 0.75
    assert s.snr == pytest.approx(expected, abs=1e-9)
    assert s.coverage == 0.75


def test_reference_nan_samples_are_not_scored():
    x = ecg_like()
    ref = x.copy()
    ref[:500] = np.nan  # unplotted in the reference: whatever the estimate has there is ignored
    est = x.copy()
    est[:500] = 99.0
    assert C.compute_snr(ref, est)[0] == math.inf


def test_all_nan_reference_lead_is_nan_and_ignored_by_the_mean():
    x = ecg_like()
    s = C.score_lead("V1", np.full(x.size, np.nan), x, FS)
    assert math.isnan(s.snr) and math.isnan(s.snr_no_align)
    assert C.nanmean_or_nan([s.snr, 6.0, 8.0]) == 7.0
    assert math.isnan(C.nanmean_or_nan([math.nan]))


def test_missing_estimate_is_nan():
    x = ecg_like()
    s = C.score_lead("II", x, np.full(x.size, np.nan), FS, status="missing_record")
    assert math.isnan(s.snr) and s.coverage == 0.0 and not s.shift_applied


def test_shorter_estimate_is_nan_padded():
    x = ecg_like()
    s = C.score_lead("II", x, 0.5 * x[:800], FS, align=False)
    assert s.snr == pytest.approx(10 * math.log10(4) * 0.8, abs=1e-9)


def test_ks_asci_wad_hand_computed():
    assert C.compute_ks_metric(np.ones(4), 2 * np.ones(4)) == 1.0
    assert C.compute_ks_metric(np.ones(4), np.array([0, 0, 0, 4.0])) == pytest.approx(0.25)
    ref = np.array([1.0, -1.0, 1.0, -1.0])  # std 1 → threshold 0.05
    assert C.compute_asci_metric(ref, ref + np.array([0, 0, 0, 0.1])) == 0.5
    ones = np.ones(100)  # a constant reference weighs every sample 0.5 → plain mean |error|
    assert C.compute_weighted_absolute_difference(ones, ones + 0.2, 100.0) == pytest.approx(0.2)
    median = C.compute_snr(ones, ones + np.r_[np.zeros(60), np.ones(40)], noise_median=True)[0]
    assert median == math.inf  # median noise power is 0


# Kaggle 2025: the cases of the metric's own docstring (fs = 1 Hz, so no time shift is allowed).
SOLUTION = {"I": [.1, .3, .4], "III": [.6, .6, .4], "aVR": [.2, .3, .4], "aVL": [.5, .2, .7], "aVF": [.2, .3, .4],
            "V1": [.8, .6, .7], "V2": [.2, .3, -.1], "V3": [.5, .6, .7], "V4": [.2, .9, .4], "V5": [.5, .6, .7],
            "V6": [.1, .3, .4], "II": [.6, .6, .4, .2, .3, .4, .5, .2, .7, .2, .3, .4]}


def kaggle_score(solution: dict, submission: dict) -> float:
    leads = [K.score_lead(lead, np.array(solution[lead]), np.array(submission[lead], dtype=float), 1.0)
             for lead in K.LEADS]
    return K.final_score([K.image_ratio(leads)])


def test_kaggle_docstring_cases():
    sub = {k: list(v) for k, v in SOLUTION.items()}
    assert round(kaggle_score(SOLUTION, sub), 4) == 25.8433  # perfect: 10·log10(384)
    sub["I"][0] = 0.9
    assert round(kaggle_score(SOLUTION, sub), 4) == 13.6291
    sub["III"][1] = 0.3
    assert round(kaggle_score(SOLUTION, sub), 4) == 13.0576
    zeros = {k: [0.0] * len(v) for k, v in SOLUTION.items()}
    assert kaggle_score(zeros, sub) == -384


def test_kaggle_alignment_docstring_cases():
    label = np.array([0, 0, 1, 2, 1, 0, 0.0])
    aligned, shift, _ = K.align_signals(label, np.array([1, 2, 1, 0, 0, 0, 0.0]))
    np.testing.assert_allclose(aligned, [np.nan, np.nan, 1, 2, 1, 0, 0], atol=1e-9)
    assert shift == 2
    aligned, _, vertical = K.align_signals(np.array([0, 1, 2, 1, 0.0]), np.array([10, 11, 12, 11, 10.0]))
    np.testing.assert_allclose(aligned, [0, 1, 2, 1, 0], atol=1e-9)
    assert vertical == pytest.approx(10)
    aligned, _, _ = K.align_signals(np.array([0, 0, 0, 0, 1, 2, 1.0]), np.array([1, 2, 1, 0, 0, 0, 0.0]), 10)
    np.testing.assert_allclose(aligned, [np.nan] * 4 + [1, 2, 1], atol=1e-9)


def test_kaggle_shift_limited_to_point_two_seconds():
    x = ecg_like()
    est = np.roll(x, 30)  # 0.3 s at 100 Hz: beyond the 20-sample limit
    assert abs(K.score_lead("II", x, est, FS).shift_samples) <= 20
    est = np.roll(x, 15)
    lead = K.score_lead("II", x, est, FS)
    assert lead.shift_samples == -15
    assert lead.p_noise == pytest.approx(np.sum(x[-15:] ** 2), rel=1e-6)  # only the uncovered end is noise


def test_kaggle_missing_samples_count_as_zero():
    x = ecg_like()
    est = x.copy()
    est[500:] = np.nan
    lead = K.score_lead("II", x, est, FS)
    assert lead.p_signal == pytest.approx(np.sum(x**2))
    assert lead.p_noise > 0.9 * np.sum(x[500:] ** 2) * 0.5
