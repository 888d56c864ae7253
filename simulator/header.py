"""Synthetic printed-header text: patient, ward, date and device fields that look real but are made up.

Nothing here comes from the record's header except its sampling frequency, so no personal data reaches a page.
"""

from __future__ import annotations

import numpy as np

_GIVEN = ("Alex", "Sam", "Robin", "Jordan", "Kim", "Noa", "Eli", "Mika", "Toni", "Rene", "Sasha", "Lou")
_FAMILY = ("Doe", "Roe", "Synth", "Example", "Sample", "Placeholder", "Testcase", "Fictive")
_WARDS = ("Cardiology 3B", "Emergency", "ICU 2", "Outpatients", "General 7", "CCU", "Pre-op clinic")
_READS = ("Sinus rhythm", "Sinus rhythm, normal ECG", "Sinus tachycardia", "Atrial fibrillation", "Borderline ECG",
          "Left axis deviation", "Nonspecific T wave abnormality")
_DEVICES = ("ECG-Sim 12", "CardioPrint 300", "RhythmWriter 5", "EKG-Synth XL")


def header_lines(seed: int, fs: float) -> list[str]:
    """Eight header lines drawn from ``seed``: name/ID, birth date/sex, date/ward, device/sampling, measurements.

    The measurements and the interpretation are made up like the rest (marked "unconfirmed" as machines print).
    """
    r = np.random.default_rng([seed, 0x4EAD])
    name = f"{r.choice(_FAMILY).upper()}, {r.choice(_GIVEN)} (SYNTHETIC)"
    pid = f"ID {r.integers(10**7, 10**8)}"
    born = f"DOB {r.integers(1, 29):02d}.{r.integers(1, 13):02d}.{r.integers(1930, 2006)}"
    sex = f"Sex {r.choice(('F', 'M', 'X'))}"
    when = (f"{r.integers(1, 29):02d}.{r.integers(1, 13):02d}.{r.integers(2030, 2040)} "
            f"{r.integers(0, 24):02d}:{r.integers(0, 60):02d}")
    ward = f"Ward: {r.choice(_WARDS)}"
    device = f"Device {r.choice(_DEVICES)}"
    rate, pr, qrs = r.integers(48, 130), r.integers(120, 220), r.integers(70, 130)
    qt = int(r.integers(320, 460))
    qtc = int(qt / np.sqrt(60.0 / rate))
    measures = f"Rate {rate}  PR {pr}  QRS {qrs}  QT/QTc {qt}/{qtc} ms"
    read = f"{r.choice(_READS)}   (unconfirmed)"
    return [name, pid, f"{born}   {sex}", when, ward, f"{device}   {fs:g} Hz", measures, read]
