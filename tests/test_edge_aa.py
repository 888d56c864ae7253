"""The passes drawn over the blocks near surface changes that shaders/edge_tiles.geom picks, on llvmpipe: the
anti-aliasing of silhouettes after a single-sampled colour pass (shaders/edge_aa.frag), and the colour pass's
careful upsampling of the lighting terms (scene.frag with SILHOUETTES; plain bilinear elsewhere).

Edge AA must bring edges closer to a supersampled frame, reach every pixel that FXAA over the whole frame would
change, and leave every other pixel (the print on the page above all) exactly as the colour pass drew it. The split
colour pass must match the careful upsampling drawn everywhere.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from simulator import renderer as renderer_module
from simulator.deform import CreaseLines, Fold, Wrinkles
from simulator.errors import InputError
from simulator.gl_context import create_context
from simulator.layout import PageSpec, plan_page
from simulator.occluders import Occluder
from simulator.page import render_page
from simulator.records import load_record
from simulator.renderer import PageTextures, Renderer
from tests.test_render import scene

OCCLUDERS = (Occluder(kind="hand", x_mm=170.0, y_mm=60.0, angle_deg=150.0),
             Occluder(kind="pen", x_mm=60.0, y_mm=50.0, angle_deg=20.0),
             Occluder(kind="clip", x_mm=140.0, y_mm=205.0))
SCENES = {  # preset, deformations
    "letter fold, hand, pen, clip": ("folded_letter", (Fold(pattern="letter", creases="horizontal", angle_deg=150.0),)),
    "crumpled, hand, pen, clip": ("crumpled", (CreaseLines(count=12, depth_mm=1.5),
                                               Wrinkles(amplitude_mm=2.0, scale_mm=30.0))),
}


@pytest.fixture(scope="module")
def renderer():
    return Renderer(create_context())


@pytest.fixture(scope="module")
def page():
    layout = plan_page(load_record("assets/records/ptbxl/00001_lr"), PageSpec(dpi=100, trace_width_mm=0.45))
    image = render_page(layout)
    return (layout.width_mm, layout.height_mm), PageTextures(image.rgb, image.masks)


def silhouette_pixels(layers) -> np.ndarray:
    """Pixels beside a neighbour of another object, or at a step in depth (its second difference, as edge_aa.frag
    tests it), from the ground-truth layers."""
    obj = layers["object"].astype(np.int16)
    z = layers["depth"].astype(np.float64)
    out = np.zeros(obj.shape, bool)
    rows, cols = obj[1:] != obj[:-1], obj[:, 1:] != obj[:, :-1]
    out[1:] |= rows
    out[:-1] |= rows
    out[:, 1:] |= cols
    out[:, :-1] |= cols
    limit = 1.0 + 0.004 * z
    out[1:-1] |= np.abs(z[2:] - 2 * z[1:-1] + z[:-2]) > limit[1:-1]
    out[:, 1:-1] |= np.abs(z[:, 2:] - 2 * z[:, 1:-1] + z[:, :-2]) > limit[:, 1:-1]
    return out


@pytest.mark.parametrize("name", list(SCENES))
def test_the_blocks_reach_every_pixel_fxaa_over_the_whole_frame_changes(renderer, page, monkeypatch, name):
    size, textures = page
    preset, deformations = SCENES[name]
    sheet, cam, light, bg, _, _ = scene(preset, 5, size, deformations=deformations, occluders=OCCLUDERS)
    plain = renderer.render(sheet, textures, cam, light, bg, edge_aa=False)["rgb"]
    blocks = renderer.render(sheet, textures, cam, light, bg, edge_aa=True)["rgb"]
    monkeypatch.setattr(renderer_module, "EDGE_STEP_MM", -1.0)  # every block counts as near a change
    whole = renderer.render(sheet, textures, cam, light, bg, edge_aa=True)["rgb"]
    changed = np.any(whole != plain, axis=2).sum()
    assert changed > 2000
    # all but slivers thinner than a lighting texel (a sheet's edge grazing the frame's border: a few pixels)
    assert np.any(blocks != whole, axis=2).sum() <= 0.002 * changed


@pytest.mark.parametrize("name", list(SCENES))
def test_plain_upsampling_away_from_surface_changes_matches_the_careful_one(renderer, page, monkeypatch, name):
    size, textures = page
    preset, deformations = SCENES[name]
    sheet, cam, light, bg, _, _ = scene(preset, 5, size, deformations=deformations, occluders=OCCLUDERS)

    def colour(split_step_mm: float) -> np.ndarray:
        monkeypatch.setattr(renderer_module, "SPLIT_STEP_MM", split_step_mm)
        return renderer.render(sheet, textures, cam, light, bg, edge_aa=False)["rgb"]

    def relative(a, b):
        return np.abs(a - b).max(axis=2) / np.maximum(b.max(axis=2), 1e-3)

    careful = colour(-1.0)  # every block counts as near a change: the careful upsampling everywhere
    assert relative(colour(renderer_module.SPLIT_STEP_MM), careful).max() < 0.01  # half-float rounding, steep slopes
    # and the careful upsampling matters: drawn nowhere, the lighting of one surface bleeds onto the next
    assert (relative(colour(1e9), careful) > 0.05).sum() > 1000


def test_edge_aa_smooths_silhouettes_and_leaves_every_other_pixel_alone(renderer, page):
    size, textures = page
    preset, deformations = SCENES["letter fold, hand, pen, clip"]
    sheet, cam, light, bg, _, _ = scene(preset, 5, size, deformations=deformations, occluders=OCCLUDERS)
    plain = renderer.render(sheet, textures, cam, light, bg, passes={"rgb", "object", "depth"}, edge_aa=False)
    smooth = renderer.render(sheet, textures, cam, light, bg, passes={"rgb"}, edge_aa=True)["rgb"]
    k = 3  # reference: 3x3 the pixels, multisampled, averaged down to the frame's pixels
    big = dataclasses.replace(cam, width_px=cam.width_px * k, height_px=cam.height_px * k,
                              principal_dx_px=cam.principal_dx_px * k, principal_dy_px=cam.principal_dy_px * k)
    ref = renderer.render(sheet, textures, big, light, bg, passes={"rgb"}, msaa=4, edge_aa=False)["rgb"]
    ref = cv2.resize(ref, (cam.width_px, cam.height_px), interpolation=cv2.INTER_AREA)

    def tone(x):  # compare as a display would show them
        return x / (1.0 + x)

    near = cv2.dilate(silhouette_pixels(plain).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    err_plain = np.abs(tone(plain["rgb"]) - tone(ref)).mean(axis=2)[near].mean()
    err_smooth = np.abs(tone(smooth) - tone(ref)).mean(axis=2)[near].mean()
    assert err_smooth < 0.75 * err_plain
    changed = np.any(smooth != plain["rgb"], axis=2)
    assert changed.sum() > 1000
    assert not changed[~near].any()  # the print, the table's texture, the occluders' faces: untouched


def test_multisampling_past_the_device_limit_names_the_setting(renderer, page):
    size, textures = page
    sheet, cam, light, bg, _, _ = scene("scanner", 1, size)
    if renderer.ctx.max_samples >= 8:
        pytest.skip("this device multisamples 8 times")
    with pytest.raises(InputError, match="post.msaa: 8 samples per pixel"):
        renderer.render(sheet, textures, cam, light, bg, msaa=8, edge_aa=False)
