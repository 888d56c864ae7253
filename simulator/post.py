"""Camera post-processing: from the renderer's linear radiance to the 8-bit sRGB photo.

Order follows the light through a camera: motion blur and depth of field (optics, on radiance), vignetting, exposure,
optionally a Bayer colour filter (each photosite keeps one of R, G, B), sensor noise (shot noise grows with the
signal, read noise does not), a 16-bit linear readout clipped at saturation, demosaicing where there was a colour
filter (so noise becomes blotchy colour noise and fine detail gets colour fringes, as in phone photos), then white
balance gains, tone curve and sRGB encoding through one table per channel. JPEG quality is stored here but
applied by the writer, and anti-aliasing (``msaa``, ``edge_aa``) by the renderer. Vectorised numpy/cv2, in place,
the per-pixel stages in blocks of rows that stay in the CPU's cache; the only randomness is the noise, seeded from
the generator passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import cv2
import numpy as np

from .errors import InputError
from .params import choices, rng
from .srgb import from_linear, to_linear

SATURATION = 8.0  # radiance at which a photosite saturates (the 16-bit readout's full scale; filmic is white by 8)
READOUT_MAX = 65535
CHUNK_ROWS = 32  # rows per block of the per-pixel stages: 0.8 MB of float32 at 2200 px wide


@dataclass(frozen=True)
class PostFX:
    exposure_ev: float = field(default=0.0, metadata=rng(-8.0, 8.0))
    white_balance_k: float = field(default=6500.0, metadata=rng(1500.0, 15000.0))  # the illuminant the camera assumes
    tone: str = field(default="filmic", metadata=choices("filmic", "reinhard", "clip"))
    vignetting: float = field(default=0.0, metadata=rng(0.0, 1.0))  # light lost at the frame corners
    dof_aperture_px: float = field(default=0.0, metadata=rng(0.0, 50.0))  # blur radius at twice the focus distance
    dof_focus_mm: float = field(default=0.0, metadata=rng(0.0, 1e5))  # 0 = focus on the image centre's depth
    motion_blur_px: float = field(default=0.0, metadata=rng(0.0, 100.0))
    motion_angle_deg: float = field(default=0.0, metadata=rng(-360.0, 360.0))
    shot_noise: float = field(default=0.0, metadata=rng(0.0, 1.0))  # variance per unit signal
    read_noise: float = field(default=0.0, metadata=rng(0.0, 1.0))  # standard deviation
    jpeg_quality: int = field(default=92, metadata=rng(1, 100))
    # Anti-aliased edges, one way or the other: multisampling (colour samples per pixel; the closer to a real
    # pixel's average), or FXAA on silhouettes only (edge_aa; shaders/edge_aa.frag). On a CPU rasteriser 4 samples
    # cost ~0.3 s a 2200x1700 frame and the edge pass ~0.05 s; on a GPU both are cheap.
    msaa: int = field(default=1, metadata=choices(1, 2, 4, 8))
    edge_aa: bool = True
    # The sensor sees through an RGGB colour filter and the camera demosaics: colour noise and fringes on fine detail.
    # Off in the presets: demosaicing at the output resolution overstates the fringes of phone photos, which are
    # demosaiced at ~3x their final size and chroma-denoised.
    bayer: bool = False

    def check(self, name: str = "") -> None:
        prefix = f"{name}." if name else ""
        if self.edge_aa and self.msaa > 1:
            raise InputError(f"{prefix}edge_aa: true with {prefix}msaa: {self.msaa} would smooth the edges twice; "
                             f"set {prefix}edge_aa: false to multisample")


def kelvin_to_rgb(kelvin: float) -> np.ndarray:
    """Approximate linear RGB of a black body (Tanner Helland's fit), normalised to green = 1."""
    t = kelvin / 100.0
    r = 255.0 if t <= 66 else 329.698727446 * (t - 60) ** -0.1332047592
    g = 99.4708025861 * np.log(t) - 161.1195681661 if t <= 66 else 288.1221695283 * (t - 60) ** -0.0755148492
    b = 255.0 if t >= 66 else (0.0 if t <= 19 else 138.5177312231 * np.log(t - 10) - 305.0447927307)
    srgb = np.clip(np.array([r, g, b]) / 255.0, 1e-3, 1.0)
    lin = to_linear(srgb)
    return lin / lin[1]


def _tone_srgb(x: np.ndarray, tone: str) -> np.ndarray:
    """8-bit sRGB of linear radiance ``x`` through the tone curve."""
    if tone == "filmic":  # ACES fit (Narkowicz 2015)
        y = (x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)
    elif tone == "reinhard":
        y = x / (1.0 + x) * 1.25
    else:
        y = x
    y = np.clip(y, 0.0, 1.0)
    return (from_linear(y) * 255.0 + 0.5).astype(np.uint8)


@lru_cache(maxsize=8)
def _readout_lut(tone: str, white_balance_k: float) -> np.ndarray:
    """(3, 65536) uint8: each channel's 16-bit linear readout → white balance gain → tone curve → sRGB."""
    gains = 1.0 / kelvin_to_rgb(white_balance_k) * kelvin_to_rgb(6500.0)
    x = np.arange(READOUT_MAX + 1) * (SATURATION / READOUT_MAX)
    return np.stack([_tone_srgb(x * g, tone) for g in gains])


def _motion_blur(img: np.ndarray, length: float, angle_deg: float) -> np.ndarray:
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    d = np.array([np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))]) * length / 2
    cv2.line(kernel, (int(round(c - d[0])), int(round(c - d[1]))), (int(round(c + d[0])), int(round(c + d[1]))),
             1.0, 1, cv2.LINE_AA)
    return cv2.filter2D(img, -1, kernel / kernel.sum(), borderType=cv2.BORDER_REFLECT)


def _depth_of_field(img: np.ndarray, depth: np.ndarray, aperture_px: float, focus_mm: float) -> np.ndarray:
    """Blend the sharp image toward a blurred copy by each pixel's circle of confusion (thin lens, radius in px)."""
    h, w = depth.shape
    far = np.float32(depth.max() if depth.max() > 0 else 1.0)
    z = np.where(depth > 0, depth, far).astype(np.float32)
    focus = np.float32(focus_mm if focus_mm > 0 else z[h // 2, w // 2])
    weight = np.divide(focus, z, out=z)  # reuses z: weight = |1 - focus / z| = circle of confusion / aperture_px
    np.subtract(1.0, weight, out=weight)
    np.abs(weight, out=weight)
    np.minimum(weight, 1.0, out=weight)
    k = 2 * int(np.ceil(aperture_px)) + 1
    blurred = cv2.GaussianBlur(img, (k, k), aperture_px / 2.0)
    blurred -= img
    blurred *= weight[..., None]
    img += blurred
    return img


@lru_cache(maxsize=2)
def _radius2(h: int, w: int) -> np.ndarray:
    """Squared distance from the frame centre, 0 at the centre and 2 at the corners (float32, cached per size)."""
    y = ((np.arange(h, dtype=np.float32) - h / 2) / (h / 2)) ** 2
    x = ((np.arange(w, dtype=np.float32) - w / 2) / (w / 2)) ** 2
    return y[:, None] + x[None, :]


def _vignette(h: int, w: int, strength: float, r0: int, rows: int) -> np.ndarray:
    """Relative illumination of rows ``r0 … r0 + rows`` of an h×w frame: 1 at the centre falling smoothly to
    (1 - strength)² at the corners."""
    v = _radius2(h, w)[r0:r0 + rows] * np.float32(-strength / 2.0)
    v += np.float32(1.0)
    v *= v
    return v


def _normal_filler(rng_: np.random.Generator) -> Callable[[np.ndarray], None]:
    """A function that fills float32 arrays with standard normal draws, seeded from ``rng_``; successive calls
    continue one sequence. OpenCV's generator (seeded here, so the draws depend only on ``rng_``) is ~4x faster
    than numpy's, and its sequence does not depend on OpenCV's thread count."""
    cv2.setRNGSeed(int(rng_.integers(0, 2**31 - 1)))

    def fill(out: np.ndarray) -> None:
        cv2.randn(out.reshape(-1, 1), 0.0, 1.0)  # one column: randn's mean and deviation are per channel

    return fill


def _add_noise(signal: np.ndarray, post: PostFX, fill_normal: Callable[[np.ndarray], None],
               scratch: np.ndarray) -> None:
    """In place: Gaussian noise of variance shot × signal + read² on each pixel's value in each channel.
    ``scratch`` is a float32 array of ``signal``'s shape (two of them, stacked) to work in."""
    sigma, noise = scratch
    np.maximum(signal, 0.0, out=sigma)
    sigma *= np.float32(post.shot_noise)
    sigma += np.float32(post.read_noise) ** 2
    np.sqrt(sigma, out=sigma)
    fill_normal(noise)
    sigma *= noise
    signal += sigma


def _mosaic(block: np.ndarray) -> np.ndarray:
    """(rows, W) photosite values of an (rows, W, 3) block starting on an even row, through an RGGB filter."""
    out = np.empty(block.shape[:2], np.float32)
    out[0::2, 0::2] = block[0::2, 0::2, 0]
    out[0::2, 1::2] = block[0::2, 1::2, 1]
    out[1::2, 0::2] = block[1::2, 0::2, 1]
    out[1::2, 1::2] = block[1::2, 1::2, 2]
    return out


def apply_post(layers: dict[str, np.ndarray], post: PostFX, rng_: np.random.Generator, overwrite: bool = False
               ) -> np.ndarray:
    """(H, W, 3) uint8 sRGB photo from ``layers['rgb']`` (linear radiance; left untouched unless ``overwrite``, when a
    float32 array is worked on in place instead of copied); ``layers['depth']`` enables depth of field. The blurs
    work on the float32 frame; the per-pixel stages (vignetting, exposure, colour filter, noise, readout) then run
    over blocks of ``CHUNK_ROWS`` rows, whose temporaries stay in the CPU's cache (a frame-sized temporary costs
    ~10 ms at 2200×1700)."""
    img = (np.asarray if overwrite else np.array)(layers["rgb"], dtype=np.float32, order="C")
    h, w = img.shape[:2]
    if post.motion_blur_px >= 1.0:
        img = _motion_blur(img, post.motion_blur_px, post.motion_angle_deg)
    if post.dof_aperture_px > 0.5 and "depth" in layers:
        img = _depth_of_field(img, layers["depth"], post.dof_aperture_px, post.dof_focus_mm)
    gain = np.float32(2.0**post.exposure_ev)
    fill_normal = _normal_filler(rng_) if post.shot_noise > 0 or post.read_noise > 0 else None
    channels = () if post.bayer else (3,)  # one value per photosite behind a colour filter
    scratch = np.empty((2, CHUNK_ROWS, w, *channels), np.float32)
    lut = _readout_lut(post.tone, post.white_balance_k)
    out = np.empty((h, w, 3), np.uint8)
    # behind a colour filter the whole readout is demosaiced at the end; without one, each block goes through the
    # tables while it is still in cache (a third faster than one pass over the frame, and no 22 MB readout)
    readout = np.empty((h, w) if post.bayer else (CHUNK_ROWS, w, 3), np.uint16)
    for r0 in range(0, h, CHUNK_ROWS):  # CHUNK_ROWS is even: every block starts on the filter's R/G row
        block = img[r0:r0 + CHUNK_ROWS]
        rows = len(block)
        if post.vignetting > 0:
            np.multiply(block, (gain * _vignette(h, w, post.vignetting, r0, rows))[..., None], out=block)
        else:
            block *= gain
        signal = _mosaic(block) if post.bayer else block
        if fill_normal is not None:
            _add_noise(signal, post, fill_normal, scratch[:, :rows])
        np.clip(signal, 0.0, SATURATION, out=signal)
        signal *= np.float32(READOUT_MAX / SATURATION)
        signal += np.float32(0.5)
        if post.bayer:
            np.copyto(readout[r0:r0 + rows], signal, casting="unsafe")  # truncating value + 0.5: rounds
        else:
            np.copyto(readout[:rows], signal, casting="unsafe")
            _through_tables(lut, readout[:rows], out[r0:r0 + rows])
    if post.bayer:  # edge-aware demosaicing; OpenCV names an RGGB filter by its second row, "BG"
        _through_tables(lut, cv2.cvtColor(readout, cv2.COLOR_BayerBG2RGB_EA), out)
    return out


def _through_tables(lut: np.ndarray, readout: np.ndarray, out: np.ndarray) -> None:
    """``out`` (..., 3) uint8 = each channel of the 16-bit ``readout`` through its table (:func:`_readout_lut`)."""
    for c in range(3):
        np.take(lut[c], readout[..., c], out=out[..., c], mode="clip")
