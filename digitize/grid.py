"""Grid pitch (pixels per millimetre) and page rotation, from the periodic printed grid.

Pitch: the autocorrelation of the grid map's column and row profiles peaks at multiples of the line spacing. The
fundamental spacing is the lag whose multiples score highest against the half-way lags; whether it is the 1 mm or the
5 mm spacing is decided by the 1 mm sub-structure, else by which one makes the image a plausible page width. The
estimate is refined on a far multiple of the spacing, so it is sub-pixel.
Rotation: the angle at which the row profile of the grid (and traces) is sharpest.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

MIN_PX_PER_MM = 1.5        # ~40 dpi
MAX_PX_PER_MM = 30.0       # ~760 dpi
PAGE_WIDTH_MM = 279.4      # letter landscape: the prior when 1 mm vs 5 mm cannot be told apart
MAX_ROTATION_DEG = 10.0
REACH = 1.2                # a period known to 1/4 px finds its peak at this many periods' multiple (0.3 / 0.25)
NO_GRID_LEVEL = 1e-3       # a grid map darker than this on average has a grid


@dataclass(frozen=True)
class GridPitch:
    """Pixels per millimetre along x and y, their mean, how it was found, and how periodic the map is at the spacing
    found (the mean over both axes of the autocorrelation's on/off contrast there; 0 without a grid)."""

    px_per_mm_x: float
    px_per_mm_y: float
    method: str
    strength: float = 0.0

    @property
    def px_per_mm(self) -> float:
        return 0.5 * (self.px_per_mm_x + self.px_per_mm_y)


def _acf(profile: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of a detrended profile (lags 0..n-1)."""
    p = np.asarray(profile, dtype=np.float64)
    x = p - gaussian_filter1d(p, 15.0)
    n = len(x)
    f = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n]
    acf /= np.arange(n, 0, -1)          # unbiased: long lags average fewer products
    return acf / max(acf[0], 1e-12)


def _contrasts(acf: np.ndarray, periods: np.ndarray, k_max: int = 6) -> np.ndarray:
    """Per period: mean ACF at its multiples minus the mean at the half-way lags (linear interpolation between lags;
    lags past the ACF's end are left out; -inf when none of the multiples is in reach)."""
    k = np.arange(1, k_max + 1)

    def sample(lags: np.ndarray) -> np.ndarray:
        i = lags.astype(int)
        t = lags - i
        inside = i + 1 < len(acf)
        i = np.where(inside, i, 0)
        return np.where(inside, (1 - t) * acf[i] + t * acf[i + 1], np.nan)

    on = sample(periods[:, None] * k)
    off = sample(periods[:, None] * (k - 0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # a period none of whose multiples fits: -inf below
        score = np.nanmean(on, axis=1) - np.nanmean(off, axis=1)
    return np.where(np.isnan(on).all(axis=1), -np.inf, score)


def _contrast(acf: np.ndarray, period: float, k_max: int = 6) -> float:
    """Mean ACF at multiples of ``period`` minus the mean at the half-way lags."""
    return float(_contrasts(acf, np.array([period], dtype=np.float64), k_max)[0])


def _peak_period(acf: np.ndarray, period: float, k: int) -> float | None:
    """The period from the ACF peak within 0.3 periods of ``k`` periods (parabolic, sub-pixel); None out of reach."""
    c = k * period
    lo, hi = int(c - 0.3 * period), int(c + 0.3 * period) + 1
    if lo < 1 or hi + 1 >= len(acf):
        return None
    i = lo + int(np.argmax(acf[lo:hi]))
    a, b, d = acf[i - 1], acf[i], acf[i + 1]
    den = a - 2 * b + d
    offset = 0.5 * (a - d) / den if den < 0 else 0.0
    return (i + float(np.clip(offset, -0.5, 0.5))) / k


def _refine(acf: np.ndarray, period: float) -> float:
    """Sub-pixel period from the ACF peak nearest the farthest usable multiple of ``period``.

    A period known to within ``e`` px finds its peak at multiples up to ``0.3 * period / e``. The coarse period (the
    first lag of a quarter-pixel grid that scores well, e <= 1/4) reaches REACH periods; refined at the k-th multiple
    (e <= 0.5 / k) it reaches ``0.6 * period * k``. A page's 5 mm lines get to the far multiple in one step; a short
    period (1 mm lines) climbs there, where taken straight it landed between two peaks (1.7 % off)."""
    far = int(len(acf) * 0.35 / period)
    best, k = period, min(far, int(REACH * period))
    while k >= 1:
        found = _peak_period(acf, best, k)
        if found is None:
            break
        best = found
        if k >= far:
            return best
        k = min(far, max(k + 1, int(0.6 * best * k)))
    for k in (int(len(acf) * 0.2 / best), 5, 1):   # the far multiple is out of the profile's reach
        found = _peak_period(acf, best, k) if k >= 1 else None
        if found is not None:
            return found
    return best


def _fundamental(acf: np.ndarray) -> float:
    """Line spacing in px: the candidate period with the highest on/off ACF contrast."""
    lags = np.arange(max(3.0, MIN_PX_PER_MM), min(len(acf) / 7, 5 * MAX_PX_PER_MM), 0.25)
    scores = _contrasts(acf, lags)
    good = np.flatnonzero(scores >= 0.7 * np.nanmax(scores))   # multiples of the spacing score as well: take the first
    return float(lags[good[0]])


def _axis_pitch(profile: np.ndarray, extent_px: int) -> tuple[float, str, float]:
    """px per mm along one axis of the image, which grid level decided it, and the ACF contrast at the spacing."""
    acf = _acf(profile)
    period = _refine(acf, _fundamental(acf))
    strength = _contrast(acf, period)
    if period / 5.0 >= 2.0 and _contrast(acf, period / 5.0) > 0.25 * strength:
        return period / 5.0, "5mm+1mm", strength
    # one visible level: 1 mm or 5 mm, whichever makes a page-sized image
    as_minor, as_major = period, period / 5.0
    err = lambda ppmm: abs(np.log(extent_px / ppmm / PAGE_WIDTH_MM))  # noqa: E731
    ok_minor = MIN_PX_PER_MM <= as_minor <= MAX_PX_PER_MM
    if ok_minor and (as_major < MIN_PX_PER_MM or err(as_minor) < err(as_major)):
        return as_minor, "1mm", strength
    return as_major, "5mm", strength


def estimate_pitch(grid: np.ndarray) -> GridPitch:
    """Grid pitch of a (deskewed) grid map; falls back to a letter-width page when there is no grid."""
    h, w = grid.shape
    if float(grid.mean()) < NO_GRID_LEVEL:
        ppmm = max(w, h) / PAGE_WIDTH_MM
        return GridPitch(ppmm, ppmm, "page-width prior (no grid)")
    px_x, how_x, strength_x = _axis_pitch(grid.mean(axis=0), max(w, h))
    px_y, how_y, strength_y = _axis_pitch(grid.mean(axis=1), max(w, h))
    if abs(px_x / px_y - 1.0) > 0.1:       # disagreeing axes: trust the one with the 1 mm sub-structure
        px_x = px_y = px_x if how_x == "5mm+1mm" else px_y
    return GridPitch(px_x, px_y, f"x:{how_x} y:{how_y}", 0.5 * (strength_x + strength_y))


def rotate(image: np.ndarray, degrees: float, border: float | int = 0) -> np.ndarray:
    """Rotate about the image centre (positive = counter-clockwise on screen), same size, linear interpolation."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), degrees, 1.0)
    return cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=border)


def _sharpness(small: np.ndarray, degrees: float) -> float:
    """How peaky the row and column profiles are after rotating by ``degrees``."""
    r = rotate(small, degrees)
    h, w = r.shape
    core = r[h // 8: h - h // 8, w // 8: w - w // 8]
    return float(np.var(np.diff(core.mean(axis=1))) + np.var(np.diff(core.mean(axis=0))))


def estimate_rotation(marks: np.ndarray) -> float:
    """Degrees to rotate the image by (with :func:`rotate`) so that grid lines and traces are axis-aligned.

    Coarse to fine in angle and resolution together: the sharpness peak is about one pixel of shear wide, so a small
    copy finds it roughly and larger copies pin it down.
    """
    h, w = marks.shape
    best = 0.0
    for width, step, span in ((256, 0.25, MAX_ROTATION_DEG), (700, 0.05, 0.3), (1400, 0.01, 0.06)):
        scale = min(1.0, width / max(h, w))
        small = cv2.resize(marks, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        angles = best + np.arange(-span, span + 1e-9, step)
        best = float(angles[int(np.argmax([_sharpness(small, a) for a in angles]))])
    return best


def regional_pitch(marks: np.ndarray) -> float | None:
    """px per mm of a photographed grid, from its overlapping half-size quarters, each deskewed on its own
    (perspective smears the whole image's profiles; a quarter is nearly affine). Quarters showing mostly table or a
    hand give scattered values, so the answer is the median of the group of values agreeing within 12 % that has the
    most periodic profiles (the sum of their autocorrelation contrasts). None when there is no grid."""
    h, w = marks.shape
    values, strengths = [], []
    for fy in (0.0, 0.25, 0.5):
        for fx in (0.0, 0.25, 0.5):
            part = marks[int(fy * h): int(fy * h) + h // 2, int(fx * w): int(fx * w) + w // 2]
            if min(part.shape) < 32 or float(part.mean()) < 0.02:
                continue
            part = rotate(part, estimate_rotation(part))
            for profile in (part.mean(axis=0), part.mean(axis=1)):
                px_per_mm, _, strength = _axis_pitch(profile, max(h, w))
                values.append(px_per_mm)
                strengths.append(max(0.0, strength))
    if not values:
        return None
    v, s = np.array(values), np.array(strengths)
    agree = np.abs(np.log(v[:, None] / v[None, :])) < np.log(1.12)
    return float(np.median(v[agree[int(np.argmax(agree @ s))]]))
