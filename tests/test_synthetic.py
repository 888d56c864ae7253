"""Simulated records: leads that obey Einthoven, rhythms and shapes that are what their kind says, and heart rates
that change what a heart's rate changes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulator.synthetic import (FS_HZ, KINDS, PREFIX, SIMULATED, Morphology, beat_times, draw_morphology, simulate,
                                 synthetic_record)


def one_of_each_kind() -> dict[str, Morphology]:
    """The first morphology of each kind drawn from seeds 0, 1, 2 …, without PVCs, wander or noise."""
    found: dict[str, Morphology] = {}
    seed = 0
    while len(found) < len(KINDS):
        morph = draw_morphology(np.random.default_rng(seed))
        found.setdefault(morph.kind, clean(morph))
        seed += 1
    return found


def clean(morph: Morphology) -> Morphology:
    zeros = np.zeros(len(SIMULATED))
    return dataclasses.replace(morph, pvc_rate=0.0, wander_mv=zeros, noise_mv=zeros, f_wave_mv=0.0)


def beats(y: np.ndarray, heart_rate: float) -> dict[str, np.ndarray]:
    """Per R peak of a clean lead (after the first second): the R wave's width at half height, the time from R to the
    T wave's peak and from the P wave's peak to R (ms), and the RR intervals (ms)."""
    rr_n = 60.0 / heart_rate * FS_HZ
    half = int(0.3 * rr_n)
    peaks = [i for i in range(int(FS_HZ), len(y) - int(FS_HZ))
             if y[i] == y[i - half:i + half + 1].max() and y[i] > 0.5 * y.max()]
    ms = 1000.0 / FS_HZ
    out: dict[str, list[float]] = {"fwhm": [], "r_t": [], "p_r": []}
    for p in peaks:
        above = y > y[p] / 2
        left, right = p, p
        while above[left]:
            left -= 1
        while above[right]:
            right += 1
        out["fwhm"].append((right - left) * ms)
        t0, t1 = p + int(0.12 * FS_HZ), p + int(0.55 * rr_n)
        r_t = t0 - p + int(np.argmax(y[t0:t1]))
        out["r_t"].append(r_t * ms)
        p0, p1 = p - int(min(0.45 * FS_HZ, rr_n - r_t - 0.04 * FS_HZ)), p - int(0.06 * FS_HZ)
        out["p_r"].append((p - p0 - int(np.argmax(y[p0:p1]))) * ms)
    return {k: np.array(v) for k, v in out.items()} | {"rr": np.diff(peaks) * ms}


def lead(signals: np.ndarray, name: str) -> np.ndarray:
    return signals[:, SIMULATED.index(name)]


def test_a_faster_heart_keeps_its_qrs_and_pr_and_shortens_qt_as_bazett() -> None:
    """The old bank stretched one waveform in time for every heart rate, so a 140 bpm record had a 0.6× QRS. Now QRS
    and PR keep their durations and R→T scales with √RR."""
    sinus = dataclasses.replace(one_of_each_kind()["sinus"], rr_spread=0.0)
    measured = {}
    for hr in (50.0, 130.0):
        morph = dataclasses.replace(sinus, heart_rate=hr)
        measured[hr] = beats(lead(simulate(morph, 12.0, np.random.default_rng(0))[0], "II"), hr)
    slow, fast = measured[50.0], measured[130.0]
    assert np.median(fast["fwhm"]) == pytest.approx(np.median(slow["fwhm"]), abs=2.5)  # one sample at 500 Hz is 2 ms
    assert np.median(fast["p_r"]) == pytest.approx(np.median(slow["p_r"]), abs=4.5)
    assert np.median(fast["r_t"]) / np.median(slow["r_t"]) == pytest.approx(np.sqrt(50.0 / 130.0), rel=0.05)
    assert np.median(fast["rr"]) == pytest.approx(60000 / 130, rel=0.03)


def test_each_kind_looks_like_its_name() -> None:
    kinds = one_of_each_kind()
    sig = {k: simulate(m, 12.0, np.random.default_rng(1))[0] for k, m in kinds.items()}
    measured = {k: beats(lead(s, "II"), kinds[k].heart_rate) for k, s in sig.items()}
    ref = measured["sinus"]
    assert np.median(measured["wide-qrs"]["fwhm"]) > 1.7 * np.median(ref["fwhm"])
    assert np.median(measured["av-block-1"]["p_r"]) > 1.35 * np.median(ref["p_r"])
    spread = {k: np.std(m["rr"]) / np.mean(m["rr"]) for k, m in measured.items()}
    assert spread["af"] > 0.08 and spread["af"] > 2 * max(v for k, v in spread.items() if k != "af")
    assert (kinds["af"].amplitude_mv[:, 0] == 0).all() and (kinds["sinus"].amplitude_mv[:, 0] > 0).all()
    assert (kinds["t-inversion"].amplitude_mv[:, 4] < 0).any() and (kinds["sinus"].amplitude_mv[:, 4] > 0).all()
    st = kinds["st-elevation"].st_mv
    assert st.max() >= 0.1 and st.min() < 0 and (kinds["sinus"].st_mv == 0).all()
    limb_qrs = np.ptp(sig["low-voltage"][:, :2], axis=0)
    assert (limb_qrs < 0.8).all() and np.ptp(sig["sinus"][:, 1]) > limb_qrs.max()


def test_premature_beats_come_early_and_are_followed_by_a_pause() -> None:
    morph = dataclasses.replace(one_of_each_kind()["sinus"], pvc_rate=0.3, rr_spread=0.0)
    times, rr, premature = beat_times(morph, 60.0, np.random.default_rng(2))
    rr_mean = 60.0 / morph.heart_rate
    assert premature.sum() >= 5 and not (premature[1:] & premature[:-1]).any()
    k = np.flatnonzero(premature)
    k = k[k + 1 < len(rr)]
    assert (rr[k] < 0.75 * rr_mean).all() and np.allclose(rr[k] + rr[k + 1], 2 * rr_mean, rtol=0.05)
    assert np.allclose(np.diff(times), rr[1:])


def test_records_obey_einthoven_and_name_their_kind() -> None:
    kinds = []
    for seed in range(40):
        record = synthetic_record(np.random.default_rng(seed), 10.0)
        by = dict(zip(record.lead_names, record.signals.T))
        np.testing.assert_allclose(by["III"], by["II"] - by["I"], atol=1e-12)
        np.testing.assert_allclose(by["aVR"], -(by["I"] + by["II"]) / 2, atol=1e-12)
        np.testing.assert_allclose(by["aVL"], by["I"] - by["II"] / 2, atol=1e-12)
        np.testing.assert_allclose(by["aVF"], by["II"] - by["I"] / 2, atol=1e-12)
        assert record.signals.shape == (int(10 * FS_HZ), 12) and np.isfinite(record.signals).all()
        assert record.name.startswith(PREFIX) and 0.2 < np.ptp(by["V3"]) < 5.0
        kinds.append(record.name[len(PREFIX):].rsplit("-", 1)[0])
    assert set(kinds) <= set(KINDS) and kinds.count("sinus") >= 10 and len(set(kinds)) >= 5
    again = synthetic_record(np.random.default_rng(3), 10.0)
    first = synthetic_record(np.random.default_rng(3), 10.0)
    assert again.name == first.name and np.array_equal(again.signals, first.signals)
    assert synthetic_record(np.random.default_rng(3), 23.5).signals.shape == (int(23.5 * FS_HZ), 12)


def test_annotated_beats_are_the_r_peaks_and_premature_ones_are_v() -> None:
    morph = dataclasses.replace(one_of_each_kind()["sinus"], pvc_rate=0.25)
    morph = dataclasses.replace(morph, noise_mv=np.zeros(len(SIMULATED)), wander_mv=np.zeros(len(SIMULATED)))
    signals, beats = simulate(morph, 30.0, np.random.default_rng(4))
    assert "V" in beats.symbols and beats.symbols.count("N") >= 15
    ii = lead(signals, "II")
    r = int(0.05 * FS_HZ)
    for sample, symbol in zip(beats.samples, beats.symbols):
        if symbol == "N" and r <= sample < len(ii) - r:
            assert abs(int(np.argmax(ii[sample - r:sample + r + 1])) - r) <= 1
    record = synthetic_record(np.random.default_rng(6), 10.0)
    assert record.beats is not None and len(record.beats.samples) >= 5
    assert (np.diff(record.beats.samples) > 0).all() and record.beats.samples.max() < record.n_samples


def test_a_mix_of_kinds_is_drawn_as_asked_and_replayed_by_rerender(tmp_path, capsys) -> None:
    """`--input synthetic:af=2,wide-qrs` draws only those kinds (a training set for one rhythm); a mistyped kind or
    weight is refused in one line before anything is written, and a frame of the mix is rebuilt by rerender."""
    from simulator.cli import main
    from simulator.manifest import read_manifest

    out = tmp_path / "mix"
    assert main(["generate", "-o", str(out), "-n", "6", "--seed", "3", "--preset", "clean", "--input",
                 "synthetic:af=2,wide-qrs", "--no-progress"]) == 0
    entries = list(read_manifest(out).values())
    kinds = {e["record"][len(PREFIX):].rsplit("-", 1)[0] for e in entries}
    assert kinds <= {"af", "wide-qrs"} and {e["input"] for e in entries} == {"synthetic:af=2,wide-qrs"}
    sidecar = out / f"{entries[0]['name']}.json"
    assert main(["rerender", str(sidecar), "-o", str(tmp_path / "again")]) == 0
    image = sidecar.with_suffix(".png")
    assert (tmp_path / "again" / image.name).read_bytes() == image.read_bytes()
    for spec, message in (("synthetic:vf=1", "unknown kind 'vf'"), ("synthetic:af=-1", "weight '-1' of af"),
                          ("synthetic:af=x", "weight 'x' of af"), ("synthetic:af=0", "add up to 0"),
                          ("synthetic:", "unknown kind ''")):
        capsys.readouterr()
        assert main(["generate", "-o", str(tmp_path / "bad"), "-n", "1", "--input", spec, "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert not (tmp_path / "bad").exists()
    plain = [synthetic_record(np.random.default_rng(k), 10.0).name for k in range(3)]
    assert plain == [synthetic_record(np.random.default_rng(k), 10.0, None).name for k in range(3)]
