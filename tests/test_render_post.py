"""Post-processing on synthetic radiance: neutral settings, exposure, white balance, noise, blur, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.post import PostFX, apply_post, kelvin_to_rgb


def layers(value: float = 0.5, shape=(64, 96)) -> dict[str, np.ndarray]:
    return {"rgb": np.full((*shape, 3), value, np.float32), "depth": np.full(shape, 300.0, np.float32)}


def test_neutral_post_is_a_grey_in_grey_out_tone_curve():
    out = apply_post(layers(0.18), PostFX(tone="clip"), np.random.default_rng(0))
    assert out.dtype == np.uint8 and out.shape == (64, 96, 3)
    assert np.all(out == out[0, 0]) and abs(int(out[0, 0, 0]) - 118) <= 1  # sRGB of linear 0.18


def test_exposure_brightens_and_the_tone_curve_saturates():
    lo = apply_post(layers(0.2), PostFX(exposure_ev=0.0), np.random.default_rng(0))
    hi = apply_post(layers(0.2), PostFX(exposure_ev=1.0), np.random.default_rng(0))
    assert hi.mean() > lo.mean()
    assert apply_post(layers(50.0), PostFX(), np.random.default_rng(0)).min() == 255


def test_white_balance_for_a_warm_light_cools_the_image():
    assert np.allclose(kelvin_to_rgb(6500.0), 1.0, atol=0.05)
    out = apply_post(layers(0.3), PostFX(white_balance_k=3200.0), np.random.default_rng(0))
    assert out[0, 0, 2] > out[0, 0, 0]  # the camera expects tungsten: blue gains up, red down


def test_noise_is_seeded_and_grows_with_signal():
    fx = PostFX(shot_noise=0.01, read_noise=0.0, tone="clip")
    a = apply_post(layers(0.05), fx, np.random.default_rng(7))
    b = apply_post(layers(0.05), fx, np.random.default_rng(7))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, apply_post(layers(0.05), fx, np.random.default_rng(8)))
    linear = lambda im: (im.astype(float) / 255.0) ** 2.2  # noqa: E731 - undo the sRGB encoding (roughly)
    dark = linear(apply_post(layers(0.02), fx, np.random.default_rng(1))).std()
    bright = linear(apply_post(layers(0.2), fx, np.random.default_rng(1))).std()
    assert bright > 2 * dark > 0


@pytest.mark.parametrize("fx", [PostFX(motion_blur_px=6.0, tone="clip"), PostFX(dof_aperture_px=4.0, tone="clip")])
def test_blur_softens_an_edge(fx):
    img = layers(0.1)
    img["rgb"][:, 48:] = 0.8
    img["depth"][:] = 600.0  # far behind the centre's focus distance for depth of field
    img["depth"][32, 48] = 300.0
    sharp = apply_post(img, PostFX(tone="clip"), np.random.default_rng(0)).astype(float)
    soft = apply_post(img, fx, np.random.default_rng(0)).astype(float)
    edge = lambda im: np.abs(np.diff(im[10, :, 1])).max()  # noqa: E731 - steepest step along a row
    assert edge(soft) < edge(sharp)


def test_vignetting_darkens_corners_only():
    out = apply_post(layers(0.3), PostFX(vignetting=0.5, tone="clip"), np.random.default_rng(0))
    assert out[0, 0, 0] < out[32, 48, 0] == apply_post(layers(0.3), PostFX(tone="clip"),
                                                       np.random.default_rng(0))[32, 48, 0]


def test_sensor_noise_draws_are_standard_normal_in_every_channel():
    from simulator.post import _normal_filler

    def draws(seed: int) -> np.ndarray:
        fill = _normal_filler(np.random.default_rng(seed))
        z = np.empty((2, 100, 300, 3), np.float32)
        fill(z[0])
        fill(z[1])  # a second block continues the sequence
        return z.reshape(200, 300, 3)

    z = draws(5)
    for c in range(3):  # each channel, not only the first (OpenCV's randn takes its scalars per channel)
        assert abs(z[..., c].mean()) < 0.02 and abs(z[..., c].std() - 1.0) < 0.02
    assert abs(np.corrcoef(z[..., 0].ravel(), z[..., 1].ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(z[:100].ravel(), z[100:].ravel())[0, 1]) < 0.02
    assert np.array_equal(z, draws(5)) and not np.array_equal(z, draws(6))


def test_a_colour_filter_keeps_flat_colours_and_makes_noise_blotchy_and_fine_detail_fringed():
    """Behind a Bayer filter each photosite records one colour and the camera interpolates the others: a flat colour
    comes back as it was, sensor noise spreads over neighbouring pixels and channels (a phone photo's blotchy colour
    noise), and one-pixel grey stripes pick up colour (the fringes and moiré of fine detail)."""
    flat = {"rgb": np.broadcast_to(np.array([0.05, 0.12, 0.3], np.float32), (64, 96, 3)).copy()}
    clean = PostFX(tone="clip")
    bayer = PostFX(tone="clip", bayer=True)
    a = apply_post(flat, clean, np.random.default_rng(0)).astype(int)
    b = apply_post(flat, bayer, np.random.default_rng(0)).astype(int)
    assert np.abs(a - b).max() <= 1

    def neighbour_correlation(fx: PostFX) -> float:
        out = apply_post(flat, fx, np.random.default_rng(3)).astype(float)[4:-4, 4:-4, 1]
        z = out - out.mean()
        return float((z[:, 1:] * z[:, :-1]).mean() / z.var())

    noisy = dict(shot_noise=0.002, read_noise=0.01, tone="clip")
    assert abs(neighbour_correlation(PostFX(**noisy))) < 0.1
    assert neighbour_correlation(PostFX(**noisy, bayer=True)) > 0.3

    stripes = {"rgb": np.zeros((64, 96, 3), np.float32)}
    stripes["rgb"][:, ::3] = 0.6  # grey lines one pixel wide, every third column
    chroma = lambda im: np.abs(im[..., 0].astype(int) - im[..., 2].astype(int))[4:-4, 4:-4].mean()  # noqa: E731
    assert chroma(apply_post(stripes, clean, np.random.default_rng(0))) == 0
    assert chroma(apply_post(stripes, bayer, np.random.default_rng(0))) > 5


@pytest.mark.parametrize("fx", [PostFX(shot_noise=0.002, read_noise=0.01, vignetting=0.3, dof_aperture_px=3.0,
                                       motion_blur_px=2.0), PostFX(shot_noise=0.002, bayer=True)])
def test_post_in_place_makes_the_same_photo_and_otherwise_leaves_the_radiance_untouched(fx):
    radiance = layers(0.1)
    radiance["rgb"][:, 40:] = 0.7
    radiance["depth"][:, :20] = 900.0
    before = radiance["rgb"].copy()
    copied = apply_post(radiance, fx, np.random.default_rng(4))
    assert np.array_equal(radiance["rgb"], before)
    assert np.array_equal(apply_post(radiance, fx, np.random.default_rng(4), overwrite=True), copied)
