"""The preview's scene and key handling, and one frame through its path (headless EGL instead of a window)."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.gl_context import create_context
from simulator.preview import View, frame_image, handle_key, scene_for
from simulator.records import load_record
from simulator.renderer import Renderer


def test_keys_change_the_view_and_stay_in_range():
    view = View(preset="scanner")
    for key in ("UP",) * 30 + ("LEFT", "MINUS", "L", "N", "P", "G"):
        view = handle_key(view, key)
    assert view.preset == "phone_photo" and view.seed == 1 and view.overlay and view.light_turn_deg == 30.0
    scene = scene_for(view)
    assert scene.camera.tilt_deg == 85.0  # clamped to the camera's valid range
    assert handle_key(view, "F12") == view


def test_light_turn_keeps_the_light_height():
    base, turned = scene_for(View()), scene_for(View(light_turn_deg=90.0))
    assert turned.lighting.lights[0].position[2] == base.lighting.lights[0].position[2]
    assert turned.lighting.lights[0].position[:2] != base.lighting.lights[0].position[:2]


@pytest.mark.parametrize("overlay", [False, True])
def test_preview_frame_renders(overlay):
    record = load_record("assets/records/ptbxl/00001_lr", duration_s=10.0)
    image = frame_image(View(seed=3, overlay=overlay), record, Renderer(create_context()))
    assert image.dtype == np.uint8 and image.ndim == 3 and image.std() > 10
    assert ((image == [0, 200, 255]).all(axis=2).any()) == overlay
