"""The flat page's fast paths give exactly what the plain computations give: strokes, the cached grid, PNG."""

from __future__ import annotations

import io
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from simulator.encode import _adler32_combine, _short_run, encode_image, encode_png
from simulator.layout import PageSpec, plan_page
from simulator.page import _grid_rgb, _painted_grid, render_page
from simulator.stroke import MIN_WIDTH_PX, stroke_pixels
from simulator.synthetic import synthetic_record


def brute_force_coverage(segments: np.ndarray, width_px: float, shape: tuple[int, int]) -> np.ndarray:
    """Every pixel against every segment, with the rasteriser's formula: the reference for its box enumeration."""
    h, w = shape
    reach = max(width_px, MIN_WIDTH_PX) / 2.0 + 0.5
    px, py = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
    out = np.zeros(shape, np.float32)
    for (ax, ay), (bx, by) in segments:
        dx, dy = bx - ax, by - ay
        len2 = dx ** 2 + dy ** 2
        qx, qy = px - ax, py - ay
        t = np.clip((qx * dx + qy * dy) / (len2 if len2 > 0 else 1.0), 0.0, 1.0)
        cov = np.clip(reach - np.hypot(qx - t * dx, qy - t * dy), 0.0, 1.0).astype(np.float32)
        np.maximum(out, cov, out=out)
    return out


def test_stroke_pixels_equal_brute_force() -> None:
    rng = np.random.default_rng(4)
    shape = (40, 50)
    for width in (0.3, 1.0, 2.2, 5.5):
        segs = np.round(rng.uniform(-5, 55, (30, 2, 2)) * 64) / 64  # dyadic: exact in any patch's coordinates
        segs[:5, 1] = segs[:5, 0]                       # dots
        segs[5:10, 1, 0] = segs[5:10, 0, 0]             # vertical
        segs[10:15, 1, 1] = segs[10:15, 0, 1]           # horizontal
        pixels, cov = stroke_pixels(segs, width, shape)
        canvas = np.zeros(shape, np.float32)
        np.maximum.at(canvas.reshape(-1), pixels, cov)
        assert cov.min() > 0 and np.array_equal(canvas, brute_force_coverage(segs, width, shape))


def test_cached_grid_is_the_painted_grid_and_pages_do_not_share_it() -> None:
    record = synthetic_record(np.random.default_rng(1), 10.0)
    layout = plan_page(record, PageSpec(dpi=100, grid="green", minor_grid="dots"))
    shape = render_page(layout).rgb.shape[:2]
    first_rgb, first_mask = _grid_rgb(layout, shape)
    first_rgb[:] = 0  # a page inks its own copy
    first_mask[:] = 0
    cached_rgb, cached_mask = _grid_rgb(layout, shape)
    _painted_grid.cache_clear()
    fresh_rgb, fresh_mask = _grid_rgb(layout, shape)
    assert np.array_equal(cached_rgb, fresh_rgb) and np.array_equal(cached_mask, fresh_mask)
    assert fresh_rgb.any() and cached_rgb.flags.writeable and cached_mask.flags.writeable


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 3, 3), (300, 41), (1100, 13, 3)])
def test_png_decodes_to_the_same_pixels(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape) * 100 + shape[0])
    image = np.zeros(shape, np.uint8)
    image[::7] = rng.integers(0, 256, image[::7].shape)   # changing rows between runs of repeated rows...
    image[1000:1100] = 9                                    # ...of every length, including long ones
    png = encode_png(image)
    assert encode_image(image, ".png") == png
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(decoded[..., ::-1] if image.ndim == 3 else decoded, image)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), image)


def test_png_of_a_page_and_its_masks_decodes_to_the_same_pixels() -> None:
    layout = plan_page(synthetic_record(np.random.default_rng(2), 10.0), PageSpec(dpi=100, header=True))
    page = render_page(layout)
    for image in (page.rgb, *page.masks.values()):
        decoded = cv2.imdecode(np.frombuffer(encode_png(image), np.uint8), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(decoded[..., ::-1] if image.ndim == 3 else decoded, image)


def test_adler32_combine() -> None:
    a, b = b"\x02" + bytes(range(256)) * 300, bytes(70000)
    assert _adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b)) == zlib.adler32(a + b)


def test_png_bytes_do_not_depend_on_what_was_encoded_before() -> None:
    rng = np.random.default_rng(5)
    image = np.repeat(rng.integers(0, 3, (60, 1, 50), dtype=np.uint8), 3, axis=1).reshape(180, 50)  # short runs
    first = encode_png(image)
    encode_png(image[::-1].copy())
    assert encode_png(image) == first
    _short_run.cache_clear()
    assert encode_png(image) == first
