"""Flattening a photographed page from its printed grid, so bent rows become straight before they are traced.

Perspective, curl, folds and crumples bend the rows of a photographed ECG; the rest of the pipeline assumes straight
rows at one scale. The grid is a ruler printed everywhere on the page, so it says where each pixel lies on the paper:

1. **Scale.** The grid's pitch in overlapping image quarters (less smeared by perspective than the whole image); the
   image is then worked on at a scale where 5 mm is about 14 px.
2. **The 5 mm lattice, tile by tile.** A window's autocorrelation peaks at the image displacement of one 5 mm step
   along the page's x and y. The peaks are picked in a cone about the image axes, the pair reduced so that neither
   is a diagonal of the grid's cells, then picked again near a robust smooth of that field, so a weak tile takes its
   true peak rather than a 4 or 6 mm one.
3. **Page coordinates.** Page x and y (mm) are the least-squares fields whose gradients are the inverse of those
   displacement pairs where tiles are reliable, continued straight (zero second difference) where they are not:
   text, shadows, hands, the table. They are then locked to the ruled lines: the grid demodulated by the field's own
   5 mm phase gives the misfit, unwrapped across the page so that a region that drifted by over half a cell is
   moved back rather than onto the wrong line.
4. **Resampling.** Page mm → image px by linear interpolation over the reliable pixels; the ink and grid maps are
   remapped onto a flat page at the photo's own scale.

``flatten`` does this only when the page is bent: a page the rows of which an affine map straightens (a scan, a flat
page, a photo taken square on) is returned as it is, so the rotation and pitch steps handle it as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import cv2
import numpy as np
import scipy.sparse as sp
from scipy import fft
from numpy.lib.stride_tricks import sliding_window_view
from scipy.interpolate import LinearNDInterpolator
from scipy.ndimage import binary_fill_holes, map_coordinates
from scipy.sparse.linalg import spsolve

from .grid import regional_pitch

MAJOR_MM = 5.0          # the lattice tracked: major grid lines (minor ones blur away at the working scale)
WORK_PX = 14.0          # px per 5 mm at the working scale
MINOR_BLUR_PX = 1.5      # Gaussian blur that erases the minor lines at the working scale, keeping the major ones
WINDOW = 64             # autocorrelation window (px at the working scale: ~4.5 major cells)
STRIDE = 8              # between window centres
CONE_DEG = 40.0         # a lattice step along page x lies within this of the image x axis (y: of the y axis)
STEP_RANGE = (0.6, 1.6)  # ... and is this many working 5 mm steps long (the scale estimate is within ~15 %)
AGREE = 0.08            # a tile is reliable when its steps are within this fraction of the smoothed field's
STRAIGHT_WEIGHT = 0.05  # weight of "continue straight" against a reliable tile's gradient in the integration
OFF_SCALE = 0.15        # a tile's step this far from its axis's median length, and ...
OFF_SCALE_MADS = 4.0    # ... this many (robust) deviations of that axis's steps, is not the 5 mm lattice's
GRID_FALLBACK = 0.5     # below this fraction of reliable tiles on the grid lines, the whole grid map is tried ...
FALLBACK_GAIN = 1.5     # ... and used when this many times as much of it is reliable
MIN_RELIABLE = 0.25     # below this fraction of reliable tiles on the paper, the grid cannot be trusted: no flattening
MIN_RELIABLE_TILES = 12  # ... nor with fewer reliable tiles than this (too few for an affine fit to mean anything)
BENT_MM = 1.0           # flatten when an affine map misplaces some reliable tiles (95th percentile) by more than this
TRUST_MARGIN_TILES = 3  # the flat page reaches this many tiles beyond the reliable ones (their half window)
MAX_SIDE = 4000         # px: the flattened page is never larger than this


@dataclass(frozen=True)
class Flattening:
    """What ``flatten`` found: whether it resampled the page, and the figures it decided by."""

    applied: bool
    reason: str
    reliable_fraction: float
    bend_mm: float          # 95th percentile distance of reliable tiles from the best affine map (mm)
    px_per_mm: float        # the flattened page's scale (the grid's regional pitch in the photo)
    maps: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)  # remap's x, y

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Another image of the photo's size resampled onto the flat page as the maps were (itself if not applied):
        the photo itself, to show what the digitizer read (``digitize run --overlay``)."""
        if self.maps is None:
            return image
        return cv2.remap(image, *self.maps, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)

    def as_dict(self) -> dict:
        return {"applied": self.applied, "reason": self.reason, "reliable_fraction": round(self.reliable_fraction, 3),
                "bend_mm": round(self.bend_mm, 3), "px_per_mm": round(self.px_per_mm, 3)}


@dataclass(frozen=True)
class PageCoordinates:
    """Page x and y (mm, arbitrary origin) of every pixel of an image, at the working scale, and where the tiles that
    measured them were reliable."""

    u: np.ndarray           # (h, w) mm along the page's x, per working-scale pixel
    v: np.ndarray           # (h, w) mm along the page's y
    steps: np.ndarray       # (ny, nx, 2, 2) per tile: working px (rows: image x, y) of 5 mm along page x and y (cols)
    reliable: np.ndarray    # (ny, nx) bool
    on_paper: np.ndarray    # (ny, nx) bool: paper with some grid around the tile's centre
    scale: float            # working px per full-resolution px
    px_per_mm: float        # full-resolution px per mm (grid.regional_pitch)

    @property
    def reliable_fraction(self) -> float:
        """The share of the paper's tiles whose steps were measured reliably."""
        return float(self.reliable.sum() / max(1, self.on_paper.sum()))

    def tile_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Full-resolution (x, y) of the tile centres, each (ny, nx)."""
        ny, nx = self.reliable.shape
        ty, tx = np.meshgrid(np.arange(ny) * STRIDE - 0.5, np.arange(nx) * STRIDE - 0.5, indexing="ij")
        return (tx + 0.5) / self.scale - 0.5, (ty + 0.5) / self.scale - 0.5

    def at(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Page (x, y) mm at full-resolution image points."""
        pos = np.stack([(np.asarray(y) + 0.5) * self.scale - 0.5, (np.asarray(x) + 0.5) * self.scale - 0.5])
        return (map_coordinates(self.u, pos, order=1, mode="nearest"),
                map_coordinates(self.v, pos, order=1, mode="nearest"))

    def px_per_page_mm(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """(..., 2, 2) full-resolution image px per page mm at image points (the tiles' steps, interpolated)."""
        pos = np.stack([((np.asarray(y) + 0.5) * self.scale) / STRIDE, ((np.asarray(x) + 0.5) * self.scale) / STRIDE])
        parts = [map_coordinates(self.steps[..., i, j], pos, order=1, mode="nearest") for i in (0, 1) for j in (0, 1)]
        return np.stack(parts, -1).reshape(*np.shape(x), 2, 2) / (MAJOR_MM * self.scale)


def _tile_acfs(small: np.ndarray, step_px: float) -> tuple[np.ndarray, int]:
    """Normalised autocorrelations (ny, nx, 2R+1, 2R+1) of Hann windows centred every STRIDE px, cropped to R."""
    h, w = small.shape
    r = int(np.ceil(STEP_RANGE[1] * step_px)) + 1
    hann = np.outer(np.hanning(WINDOW), np.hanning(WINDOW)).astype(np.float32)
    size = (2 * WINDOW, 2 * WINDOW)  # zero-padded: no circular wrap

    def centred(f: np.ndarray) -> np.ndarray:
        a = fft.fftshift(fft.irfft2(f * np.conj(f), size, workers=-1), axes=(-2, -1))
        return a[..., WINDOW - r: WINDOW + r + 1, WINDOW - r: WINDOW + r + 1]

    overlap = centred(fft.rfft2(hann, size))  # the window's own autocorrelation: undoes its taper
    view = sliding_window_view(np.pad(small.astype(np.float32), WINDOW // 2), (WINDOW, WINDOW))
    ys, xs = np.arange(0, h, STRIDE), np.arange(0, w, STRIDE)
    out = np.zeros((len(ys), len(xs), 2 * r + 1, 2 * r + 1), np.float32)
    for i, y in enumerate(ys):
        t = view[y, xs]
        t = (t - t.mean(axis=(1, 2), keepdims=True)) * hann
        a = centred(fft.rfft2(t, size, workers=-1)) / overlap
        out[i] = a / np.maximum(a[:, r, r], 1e-12)[:, None, None]
    return out, r


def _peaks(acfs: np.ndarray, r: int, step_px: float, axis: int, guide: np.ndarray | None = None) -> tuple:
    """Per tile the autocorrelation peak (dy, dx) of a 5 mm step along page ``axis`` (1: x, 0: y) and its contrast:
    the strongest in the cone about that image axis, or with ``guide`` the strongest within 20 % of the guide."""
    ny, nx, s, _ = acfs.shape
    cube = acfs.reshape(ny * nx, s, s)
    idx = np.arange(len(cube))
    if guide is None:
        yy, xx = np.mgrid[-r: r + 1, -r: r + 1]
        along, across = (xx, yy) if axis == 1 else (yy, xx)
        length = np.hypot(yy, xx)
        allowed = ((length >= STEP_RANGE[0] * step_px) & (length <= STEP_RANGE[1] * step_px)
                   & (np.degrees(np.arctan2(np.abs(across), along)) < CONE_DEG)).ravel()[None, :]
        py, px = np.divmod(np.argmax(np.where(allowed, cube.reshape(len(cube), -1), -np.inf), axis=1), s)
    else:
        # only the lags within reach of each tile's guide are read (a window about it), in the same row-major order,
        # so the pick is the one a search over every lag would make
        g = guide.reshape(-1, 2)
        radius = 0.2 * np.hypot(g[:, 0], g[:, 1])
        w = int(np.ceil(radius.max())) + 1
        dy, dx = np.mgrid[-w: w + 1, -w: w + 1]
        wy = (np.round(g[:, 0]).astype(int) + r)[:, None, None] + dy
        wx = (np.round(g[:, 1]).astype(int) + r)[:, None, None] + dx
        allowed = ((wy >= 0) & (wy < s) & (wx >= 0) & (wx < s)
                   & (np.hypot(wy - r - g[:, :1, None], wx - r - g[:, 1:, None]) <= radius[:, None, None]))
        vals = cube[idx[:, None, None], np.clip(wy, 0, s - 1), np.clip(wx, 0, s - 1)]
        k = np.argmax(np.where(allowed, vals, -np.inf).reshape(len(cube), -1), axis=1)
        found = allowed.reshape(len(cube), -1).any(axis=1)   # none: the full search's argmax picks lag index 0
        py = np.where(found, wy.reshape(len(cube), -1)[idx, k], 0)
        px = np.where(found, wx.reshape(len(cube), -1)[idx, k], 0)
    py, px = np.clip(py, 1, s - 2), np.clip(px, 1, s - 2)
    top = cube[idx, py, px]

    def offset(before: np.ndarray, after: np.ndarray) -> np.ndarray:  # parabola through three samples
        den = before - 2 * top + after
        return np.where(den < 0, np.clip(0.5 * (before - after) / np.where(den < 0, den, -1.0), -0.5, 0.5), 0.0)

    vy = py + offset(cube[idx, py - 1, px], cube[idx, py + 1, px]) - r
    vx = px + offset(cube[idx, py, px - 1], cube[idx, py, px + 1]) - r
    # contrast: the peak against the half step, where a grid has no line (a 10 mm peak has a line there)
    hy, hx = np.clip(np.round(r + vy / 2).astype(int), 0, s - 1), np.clip(np.round(r + vx / 2).astype(int), 0, s - 1)
    contrast = top - cube[idx, hy, hx]
    return np.stack([vy, vx], -1).reshape(ny, nx, 2), contrast.reshape(ny, nx)


def _acf_at(acfs: np.ndarray, r: int, vec: np.ndarray) -> np.ndarray:
    """Per tile the autocorrelation's highest value within a lag of ``vec`` (ny, nx, 2: dy, dx)."""
    ny, nx, s, _ = acfs.shape
    iy, ix = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
    cy, cx = np.round(vec[..., 0]).astype(int) + r, np.round(vec[..., 1]).astype(int) + r
    return np.max([acfs[iy, ix, np.clip(cy + dy, 0, s - 1), np.clip(cx + dx, 0, s - 1)]
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1)], axis=0)


def _reduce_basis(along_x: np.ndarray, along_y: np.ndarray, acfs: np.ndarray, r: int,
                  step_px: float) -> tuple[np.ndarray, np.ndarray]:
    """Per tile, the two picked 5 mm steps made the shortest pair spanning the same lattice (Lagrange reduction).

    A grid of lines correlates as well at a diagonal step (one cell along x and one along y) as at a side's: its
    autocorrelation is the sum of the horizontal and the vertical lines' own, each of which peaks at any multiple of
    its spacing whatever the other coordinate. Seen at a slant, the diagonal enters the cone about an image axis and
    whole regions of a tile field picked it consistently, so they passed as reliable: the page came out sheared (a
    close-up photo) or torn where two regions met. A step is replaced by itself less a whole multiple of the other
    where that is clearly shorter and the autocorrelation peaks there as well."""
    a, b = along_x.copy(), along_y.copy()
    for _ in range(2):
        for p, q in ((b, a), (a, b)):     # reduce p by q, in place
            k = np.round((p * q).sum(-1) / np.maximum((q * q).sum(-1), 1e-9))
            cand = p - k[..., None] * q
            length, new_length = np.linalg.norm(p, axis=-1), np.linalg.norm(cand, axis=-1)
            better = ((k != 0) & (new_length < 0.85 * length) & (new_length >= STEP_RANGE[0] * step_px)
                      & (_acf_at(acfs, r, cand) >= 0.7 * _acf_at(acfs, r, p)))
            p[better] = cand[better]
    return a, b


def _drop_off_scale(vecs: list[np.ndarray], weights: list[np.ndarray]) -> list[np.ndarray]:
    """The weights with the tiles whose step is an outlier among the page's set to 0: a step length more than
    OFF_SCALE of its axis's median away from it, and more than OFF_SCALE_MADS median absolute deviations. On a scan
    under ~4 px/mm the 1 mm lines alias into a beat whose period is near a whole number of px (6 or 7 mm at 72 dpi),
    which a region's tiles can lock onto together, agreeing with each other; a flat page's true steps are all within
    a few % of one length, so those stand out. A tilted or crumpled page's steps spread smoothly and widely: none do.
    Each axis is judged on its own: a page photographed at a slant is foreshortened along one axis, and pooled, the
    steps along the other (over 15 % longer from a tilt of ~32°) were all dropped and the page left unflattened."""
    out = []
    for vec, weight in zip(vecs, weights):
        length = np.linalg.norm(vec, axis=-1)
        kept = length[weight > 0]
        if not kept.size:
            out.append(weight)
            continue
        median = float(np.median(kept))
        limit = max(OFF_SCALE * median, OFF_SCALE_MADS * 1.4826 * float(np.median(np.abs(kept - median))))
        out.append(np.where(np.abs(length - median) > limit, 0.0, weight))
    return out


def _smooth(vec: np.ndarray, weight: np.ndarray, sigma: float, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """A weighted Gaussian average of a vector field that drops tiles disagreeing with it by more than AGREE;
    where no tile supports it, a broader average. Returns the field and the surviving weights."""
    w = np.clip(weight, 0, None).astype(np.float32)

    def average(s: float) -> np.ndarray:
        den = cv2.GaussianBlur(w, (0, 0), s) + 1e-9
        return np.stack([cv2.GaussianBlur((w * vec[..., k]).astype(np.float32), (0, 0), s) / den
                         for k in range(2)], -1)

    field = average(sigma)
    for _ in range(rounds):
        dev = np.linalg.norm(vec - field, axis=-1) / np.maximum(np.linalg.norm(field, axis=-1), 1e-6)
        w = np.where(dev < AGREE, w, 0.0).astype(np.float32)
        field = average(sigma)
    thin = cv2.GaussianBlur(w, (0, 0), sigma) < 1e-3 * max(float(w.max()), 1e-9)
    field = np.where(thin[..., None], average(4 * sigma), field)
    return field, w


def _integrate(gx: np.ndarray, gy: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """The field (ny, nx) whose steps between neighbouring tiles match ``gx``, ``gy`` (per tile step) where both
    tiles are weighted, and whose second differences vanish elsewhere (least squares, one sparse solve)."""
    ny, nx = gx.shape
    idx = np.arange(ny * nx).reshape(ny, nx)
    rows, cols, vals, rhs = [], [], [], []

    def equations(terms: list[tuple[np.ndarray, float]], target: np.ndarray, w: np.ndarray) -> None:
        start = sum(len(b) for b in rhs)
        n = target.size
        for cells, coef in terms:
            rows.append(np.arange(start, start + n))
            cols.append(cells.ravel())
            vals.append(coef * np.broadcast_to(w, target.shape).ravel())
        rhs.append((target * w).ravel())

    wx = np.sqrt(np.minimum(weight[:, 1:], weight[:, :-1]))
    wy = np.sqrt(np.minimum(weight[1:], weight[:-1]))
    equations([(idx[:, 1:], 1.0), (idx[:, :-1], -1.0)], 0.5 * (gx[:, 1:] + gx[:, :-1]), wx)
    equations([(idx[1:], 1.0), (idx[:-1], -1.0)], 0.5 * (gy[1:] + gy[:-1]), wy)
    zero = np.zeros
    equations([(idx[:, 2:], 1.0), (idx[:, 1:-1], -2.0), (idx[:, :-2], 1.0)], zero((ny, nx - 2)), STRAIGHT_WEIGHT)
    equations([(idx[2:], 1.0), (idx[1:-1], -2.0), (idx[:-2], 1.0)], zero((ny - 2, nx)), STRAIGHT_WEIGHT)
    equations([(idx[1:, 1:], 1.0), (idx[1:, :-1], -1.0), (idx[:-1, 1:], -1.0), (idx[:-1, :-1], 1.0)],
              zero((ny - 1, nx - 1)), STRAIGHT_WEIGHT)
    equations([(idx[:1, :1], 1.0)], zero((1, 1)), 1e-3)  # the origin
    m = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(sum(len(b) for b in rhs), ny * nx))
    mt = m.T.tocsr()
    return spsolve((mt @ m).tocsc(), mt @ np.concatenate(rhs)).reshape(ny, nx)


def page_coordinates(grid: np.ndarray) -> PageCoordinates | None:
    """Page x and y (mm) at tile centres of a grid darkness map (trace ink already taken out), or None when the
    map holds no grid to measure."""
    h, w = grid.shape
    px_per_mm = regional_pitch(grid)
    if px_per_mm is None:
        return None
    scale = min(1.0, WORK_PX / (MAJOR_MM * px_per_mm))
    small = cv2.resize(grid.astype(np.float32), (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    if min(small.shape) < WINDOW:
        return None
    step_px = MAJOR_MM * px_per_mm * scale
    # blurred so the 1 mm lines (~2.8 px here) fade to an even tone and only the 5 mm lattice correlates
    acfs, r = _tile_acfs(cv2.GaussianBlur(small, (0, 0), MINOR_BLUR_PX), step_px)
    firsts = [_peaks(acfs, r, step_px, axis) for axis in (1, 0)]   # page x, then page y
    reduced = _reduce_basis(firsts[0][0], firsts[1][0], acfs, r, step_px)
    vecs, fields, weights = [], [], []
    for axis, first, (_, contrast) in zip((1, 0), reduced, firsts):
        guide, _ = _smooth(first, contrast, sigma=3.0, rounds=3)
        vec, contrast = _peaks(acfs, r, step_px, axis, guide)
        field, weight = _smooth(vec, contrast, sigma=1.5, rounds=2)
        vecs.append(vec)
        fields.append(field)
        weights.append(weight)
    weights = _drop_off_scale(vecs, weights)
    steps = [np.where((w > 0)[..., None], v, f) for v, f, w in zip(vecs, fields, weights)]
    weight = np.minimum(*weights)
    # columns: image (x, y) displacement of a 5 mm step along page x and along page y
    jac = np.stack([np.stack([steps[0][..., 1], steps[1][..., 1]], -1),
                    np.stack([steps[0][..., 0], steps[1][..., 0]], -1)], -2)
    singular = np.abs(np.linalg.det(jac)) < 0.1 * step_px ** 2
    jac[singular] = np.eye(2) * step_px
    grad = np.linalg.inv(jac) * MAJOR_MM * STRIDE      # mm per tile step: rows (page x, page y), columns (x, y)
    weight = np.where(singular, 0.0, weight)
    sh, sw = small.shape
    ty, tx = np.meshgrid((np.arange(sh) + 0.5) / STRIDE, (np.arange(sw) + 0.5) / STRIDE, indexing="ij")
    fields = []
    for row in (0, 1):
        tiles = _integrate(grad[..., row, 0], grad[..., row, 1], weight)
        fine = map_coordinates(tiles, np.stack([ty, tx]), order=1, mode="nearest").astype(np.float32)
        fields.append(_lock_to_lines(small, fine, step_px))
    centre = small[::STRIDE, ::STRIDE]
    paper = cv2.GaussianBlur(small, (0, 0), step_px)[::STRIDE, ::STRIDE] > 0.25 * float(np.percentile(centre, 90))
    return PageCoordinates(u=fields[0], v=fields[1], steps=jac, reliable=weight > 0, on_paper=paper | (weight > 0),
                           scale=scale, px_per_mm=px_per_mm)


def _wrap(mm: np.ndarray) -> np.ndarray:
    """Lengths wrapped into one 5 mm cell, [-2.5, 2.5)."""
    return (mm + MAJOR_MM / 2) % MAJOR_MM - MAJOR_MM / 2


def _lock_to_lines(small: np.ndarray, field: np.ndarray, step_px: float) -> np.ndarray:
    """``field`` (mm) corrected so that the major grid lines fall where it reads a multiple of 5 mm (up to one
    constant). The grid demodulated by the field's own 5 mm phase over two cells gives the local misfit, but only
    modulo 5 mm; where the field has drifted by more than half a cell (a crease or a shadow across the grid biases a
    whole region's steps the same way) the nearest multiple is the wrong one, and the region would slip by a cell.
    So the misfit is first unwrapped across the page (least squares on its wrapped differences between tiles, like
    the fields themselves) and only its fine part is taken from the demodulation; where the grid is too faint to
    demodulate, the unwrapped misfit is continued smoothly."""
    phase = (2.0 * np.pi / MAJOR_MM) * field
    cos, sin = (small * np.cos(phase)).astype(np.float32), (small * -np.sin(phase)).astype(np.float32)
    sigma = 2.0 * step_px
    z = cv2.GaussianBlur(cos, (0, 0), sigma) + 1j * cv2.GaussianBlur(sin, (0, 0), sigma)
    depth = np.abs(z) / (cv2.GaussianBlur(small.astype(np.float32), (0, 0), sigma) + 1e-6)
    total = z[depth > np.median(depth)].sum()
    misfit = np.angle(z * np.conj(total)) * (MAJOR_MM / (2.0 * np.pi))
    clear = depth > 0.5 * np.median(depth)
    tiles, weight = misfit[::STRIDE, ::STRIDE], clear[::STRIDE, ::STRIDE].astype(np.float64)
    gx, gy = np.zeros_like(tiles), np.zeros_like(tiles)
    gx[:, 1:-1] = _wrap(tiles[:, 2:] - tiles[:, :-2]) / 2   # central differences: the edge tiles get no weight
    gy[1:-1] = _wrap(tiles[2:] - tiles[:-2]) / 2
    weight[:, [0, -1]] = 0.0
    weight[[0, -1]] = 0.0
    smooth = _integrate(gx, gy, weight)
    smooth += np.median(_wrap(tiles - smooth)[weight > 0]) if weight.any() else 0.0
    sh, sw = small.shape
    ty, tx = np.meshgrid(np.arange(sh) / STRIDE, np.arange(sw) / STRIDE, indexing="ij")
    unwrapped = map_coordinates(smooth, np.stack([ty, tx]), order=1, mode="nearest")
    return field + np.where(clear, misfit + MAJOR_MM * np.round((unwrapped - misfit) / MAJOR_MM), unwrapped)


def bend_mm(coords: PageCoordinates) -> float:
    """How far the reliable tiles lie from the best affine map image → page (95th percentile, mm)."""
    xx, yy = coords.tile_centres()
    sel = coords.reliable
    u, v = coords.at(xx[sel], yy[sel])
    a = np.stack([xx[sel], yy[sel], np.ones(sel.sum())], -1)
    target = np.stack([u, v], -1)
    fit = np.linalg.lstsq(a, target, rcond=None)[0]
    return float(np.percentile(np.linalg.norm(a @ fit - target, axis=-1), 95))


def _flat_maps(coords: PageCoordinates, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """cv2.remap maps of the flat page: for each of its pixels the image px it comes from (-1 off the paper).

    A first guess interpolates between tile centres (page mm → image px); Newton steps on the per-pixel page
    coordinates then move each point to where the image reads exactly its page position.
    """
    xx, yy = coords.tile_centres()
    use = cv2.dilate(coords.reliable.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & coords.on_paper
    u, v = coords.at(xx[use], yy[use])
    pts = np.stack([u, v], -1)
    margin = TRUST_MARGIN_TILES * STRIDE / (coords.px_per_mm * coords.scale)   # mm
    lo, hi = pts.min(axis=0) - margin, pts.max(axis=0) + margin
    scale = min(coords.px_per_mm, MAX_SIDE / max(float((hi - lo).max()), 1e-6))
    out_w, out_h = (int(np.ceil((hi - lo)[k] * scale)) + 1 for k in range(2))
    inverse = LinearNDInterpolator(pts, np.stack([xx[use], yy[use]], -1), fill_value=np.nan)
    # solved every 4 px of the flat page and interpolated between (the map is smooth at that scale); beyond the
    # measured tiles' hull (the grid's last few mm), the first guess is the best affine map
    gy, gx = np.arange(0, out_h + 4, 4), np.arange(0, out_w + 4, 4)
    want_u, want_v = np.meshgrid(lo[0] + gx / scale, lo[1] + gy / scale)
    guess = inverse(want_u, want_v)
    affine = np.linalg.lstsq(np.stack([u, v, np.ones_like(u)], -1), np.stack([xx[use], yy[use]], -1), rcond=None)[0]
    flat_guess = np.stack([want_u, want_v, np.ones_like(want_u)], -1) @ affine
    guess = np.where(np.isfinite(guess), guess, flat_guess)
    x, y = guess[..., 0], guess[..., 1]
    for _ in range(3):
        got_u, got_v = coords.at(x, y)
        step = coords.px_per_page_mm(x, y) @ np.stack([want_u - got_u, want_v - got_v], -1)[..., None]
        x, y = x + step[..., 0, 0], y + step[..., 1, 0]
    got_u, got_v = coords.at(x, y)
    inside = np.hypot(want_u - got_u, want_v - got_v) < 0.5   # converged (not a fold's hidden side)
    h, w = shape
    # only where the grid was measured (its gaps and holes filled, a margin of three tiles, about the half window
    # by which the last reliable tiles stop short of the grid's edge): beyond, the map is a guess and whatever it
    # shows there (table, the sheet's edge) could pass for a trace's end
    closed = cv2.morphologyEx(coords.reliable.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    reach = 2 * TRUST_MARGIN_TILES + 1
    trusted = cv2.dilate(binary_fill_holes(closed).astype(np.uint8), np.ones((reach, reach), np.uint8))
    tile_pos = np.stack([(y + 0.5) * coords.scale / STRIDE, (x + 0.5) * coords.scale / STRIDE])
    inside &= map_coordinates(trusted.astype(np.float32), tile_pos, order=0, mode="constant") > 0
    inside &= (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    coarse = np.stack([np.where(inside, x, -1e4), np.where(inside, y, -1e4)], -1).astype(np.float32)
    fine = cv2.resize(coarse, (len(gx) * 4, len(gy) * 4), interpolation=cv2.INTER_LINEAR)[:out_h, :out_w]
    off = cv2.resize((~inside).astype(np.float32), (len(gx) * 4, len(gy) * 4),
                     interpolation=cv2.INTER_LINEAR)[:out_h, :out_w] > 0
    fine[off] = -1.0
    return fine[..., 0], fine[..., 1]


class FlatPage(NamedTuple):
    """What :func:`flatten` returns: the maps (on the flat page, or as they were), where they show the page (None:
    everywhere, the maps are the image's own) and what was done."""

    ink: np.ndarray
    lines: np.ndarray
    grid: np.ndarray
    shown: np.ndarray | None
    how: Flattening


@dataclass(frozen=True)
class GivenMaps:
    """A flattening made elsewhere, used instead of measuring the grid: for every flat-page pixel, the image pixel
    it shows (``cv2.remap``'s maps, float32, outside the image for what the picture does not show) and the flat
    page's px per mm. ``digitize run --dewarp exact`` takes them from a rendered frame's own sheet and camera
    (:func:`eval.oracle.exact_flat_maps`), to measure what the grid-based flattening costs a digitizer."""

    map_x: np.ndarray
    map_y: np.ndarray
    px_per_mm: float


def measure_page(lines: np.ndarray, grid: np.ndarray) -> PageCoordinates | None:
    """Page coordinates measured on the grid lines (the grid with the ink taken out) or, where those leave under
    GRID_FALLBACK of the paper reliable, on the whole grid map when FALLBACK_GAIN times as much of that is reliable.
    A black-and-white or heavy grey grid is as dark as the trace, so most of its lines go out with the ink, and the
    page was continued straight from the few tiles left (a crumpled photo: not flattened; a tilted one, 5.4 mm off
    at the 90th percentile). The traces in the whole map can mislead it too (a tile field locked a cell off between
    two rows), so it must follow clearly more of the page to be taken."""
    coords = page_coordinates(lines)
    if coords is not None and coords.reliable_fraction >= GRID_FALLBACK:
        return coords
    whole = page_coordinates(grid)
    if whole is None or (coords is not None and whole.reliable_fraction < FALLBACK_GAIN * coords.reliable_fraction):
        return coords
    return whole


def flatten(ink: np.ndarray, lines: np.ndarray, grid: np.ndarray, mode: str | GivenMaps = "auto") -> FlatPage:
    """The ink, grid-line and grid maps resampled onto the flat page when it is bent (``auto``) or always
    (``always``); ``never`` returns them as they are, and :class:`GivenMaps` resamples them with those maps. The
    page is measured on ``lines``, the grid with the ink taken out (:func:`~.ink.grid_lines`), so that a trace
    crossing the grid does not pass for a line, or on ``grid`` where that follows clearly more
    (:func:`measure_page`)."""
    if isinstance(mode, GivenMaps):
        return _resampled(ink, lines, grid, mode.map_x, mode.map_y, Flattening(
            True, "given", 1.0, 0.0, mode.px_per_mm, (mode.map_x, mode.map_y)))
    if mode == "never":
        return FlatPage(ink, lines, grid, None, Flattening(False, "not asked", 0.0, 0.0, 0.0))
    coords = measure_page(lines, grid)
    if coords is None:
        return FlatPage(ink, lines, grid, None, Flattening(False, "no grid", 0.0, 0.0, 0.0))
    reliable = coords.reliable_fraction
    if reliable < MIN_RELIABLE or coords.reliable.sum() < MIN_RELIABLE_TILES:
        return FlatPage(ink, lines, grid, None, Flattening(False, "grid too faint to follow", reliable, 0.0,
                                                           coords.px_per_mm))
    bend = bend_mm(coords)
    if mode == "auto" and bend <= BENT_MM:
        return FlatPage(ink, lines, grid, None, Flattening(False, "flat enough", reliable, bend, coords.px_per_mm))
    map_x, map_y = _flat_maps(coords, lines.shape)
    return _resampled(ink, lines, grid, map_x, map_y, Flattening(True, "bent", reliable, bend, coords.px_per_mm,
                                                                (map_x, map_y)))


def _resampled(ink: np.ndarray, lines: np.ndarray, grid: np.ndarray, map_x: np.ndarray, map_y: np.ndarray,
               how: Flattening) -> FlatPage:
    """The three maps remapped onto the flat page, and where it shows the image (the rest reads 0: no ink)."""

    def warp(img: np.ndarray) -> np.ndarray:
        return cv2.remap(img.astype(np.float32), map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                         borderValue=0.0)

    shown = warp(np.ones(lines.shape, np.float32)) > 0.5
    return FlatPage(warp(ink), warp(lines), warp(grid), shown, how)
