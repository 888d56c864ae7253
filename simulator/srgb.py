"""The sRGB transfer function (IEC 61966-2-1), both ways, on float arrays in [0, 1]."""

from __future__ import annotations

import numpy as np


def to_linear(srgb: np.ndarray) -> np.ndarray:
    """Linear light of sRGB-encoded values."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def from_linear(linear: np.ndarray) -> np.ndarray:
    """sRGB-encoded values of linear light."""
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.power(linear, 1 / 2.4) - 0.055)
