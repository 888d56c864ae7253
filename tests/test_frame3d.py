"""Photographed frames made the way users make them (YAML presets → render_frame): truth agrees with the image."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import jsonschema
import numpy as np
import pytest

from simulator.config import preset_scene
from simulator.errors import InputError
from simulator.frame import render_frame, write_frame
from simulator.gl_context import create_context
from simulator.records import load_record
from simulator.renderer import Renderer
from simulator.scene import Scene
from tests.conftest import RECORDS, ROOT


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(create_context())


@pytest.fixture(scope="module")
def record():
    return load_record(RECORDS / "ptbxl" / "00001_lr")


@pytest.mark.parametrize("preset", ["scanner", "phone_photo", "folded_letter", "crumpled"])
def test_visible_samples_sit_on_dark_trace_pixels(renderer, record, preset: str) -> None:
    """Dark: darker than the local paper by half as much as the frame's trace ink is (a thin trace on a 100 dpi scan
    is only ~10 % darker than its paper, a thick one on a photo ~60 %)."""
    frame = render_frame(preset_scene(preset, 1), record, renderer)
    lum = frame.image.astype(np.float32).mean(axis=2)
    paper = cv2.dilate(lum, np.ones((15, 15), np.uint8))  # the local paper brightness
    ink = float(np.median((lum / paper)[frame.masks["trace"] > 0]))
    threshold = 1.0 - 0.5 * (1.0 - ink)
    assert threshold < 0.97                               # the trace does show
    dark, on_mask, n_visible, n_total = [], [], 0, 0
    for lead in frame.truth["leads"]:
        pts = np.array([p if p[0] is not None else [np.nan, np.nan] for p in lead["plotted_pixels"]], float)
        vis = np.array(lead["visible"])
        n_total += np.isfinite(pts[:, 0]).sum()
        n_visible += vis.sum()
        row, col = pts[vis, 0].astype(int), pts[vis, 1].astype(int)
        dark.append(lum[row, col] < threshold * paper[row, col])
        on_mask.append(frame.masks["trace"][row, col] == lead["mask_value"])
    assert n_visible > 0.6 * n_total
    assert np.concatenate(dark).mean() >= 0.9
    assert np.concatenate(on_mask).mean() >= 0.9
    assert frame.image.shape[:2] == (frame.truth["height"], frame.truth["width"])
    assert np.array(frame.truth["camera"]["K"]).shape == (3, 3)


def test_the_json_re_renders_the_same_frame(tmp_path: Path, renderer, record) -> None:
    frame = render_frame(preset_scene("folded_letter", 4), record, renderer)
    write_frame(tmp_path, "f", frame, "png")
    truth = json.loads((tmp_path / "f.json").read_text())
    jsonschema.validate(truth, json.loads((ROOT / "docs" / "page.schema.json").read_text()))
    assert all(len(lead["visible"]) == len(lead["plotted_pixels"]) for lead in truth["leads"])
    again = render_frame(Scene.from_dict(truth["scene"]), record, renderer)
    assert np.array_equal(again.image, frame.image)
    assert again.truth["leads"][0]["plotted_pixels"] == truth["leads"][0]["plotted_pixels"]


def test_a_half_built_3d_scene_names_what_is_missing() -> None:
    scene = preset_scene("phone_photo", 0).to_dict()
    scene["camera"] = None
    with pytest.raises(InputError, match="camera"):
        Scene.from_dict(scene)
    scene = preset_scene("phone_photo", 0).to_dict()
    scene["sheet"]["width_mm"] = 100.0
    with pytest.raises(InputError, match="sheet.width_mm"):
        Scene.from_dict(scene)


def test_glossy_paper_shows_glare_where_the_lamp_reflects(renderer, record) -> None:
    """With the key light at the camera's mirror position, glossy paper is much brighter there than matte paper."""
    import dataclasses

    scene = preset_scene("phone_photo", 2)
    cam = scene.camera
    target = np.asarray(cam.target)
    offset = cam.position() - target
    mirror = target + 3.0 * np.array([-offset[0], -offset[1], offset[2]])
    key = dataclasses.replace(scene.lighting.lights[0], position=tuple(map(float, mirror)),
                              target=tuple(map(float, target)))
    scene = dataclasses.replace(scene, lighting=dataclasses.replace(scene.lighting, lights=(key,)),
                                background=dataclasses.replace(scene.background, occluders=()),
                                post=dataclasses.replace(scene.post, exposure_ev=-1.5))  # paper below the shoulder
    bright = []
    for gloss in (0.04, 0.25):
        frame = render_frame(dataclasses.replace(scene, sheet=dataclasses.replace(scene.sheet, gloss=gloss)),
                             record, renderer)
        bright.append(np.percentile(frame.image.astype(np.float32).mean(axis=2), 99.5))
    assert bright[1] > bright[0] + 10


def test_the_photographers_phone_casts_a_shadow_but_is_never_in_the_frame(renderer, record) -> None:
    """With the lamp behind and above the photographer, the phone and hand at the camera shade part of the page;
    they are behind the lens, so the ground truth (what is where in the frame) does not change at all, also under
    the presets' strongest barrel distortion (the lens shader must not fold them into the frame)."""
    import dataclasses

    scene = preset_scene("phone_photo", 4)
    cam = dataclasses.replace(scene.camera, dist=(-0.06, -0.01, 0.0, 0.0, 0.0))
    scene = dataclasses.replace(scene, camera=cam)
    target = np.asarray(cam.target)
    away = cam.position() - target
    away[2] = 0.0
    lamp = target + 500.0 * away / np.linalg.norm(away) + np.array([0.0, 0.0, 1100.0])
    key = dataclasses.replace(scene.lighting.lights[0], position=tuple(map(float, lamp)), size_mm=60.0)
    frames = []
    for photographer in (False, True):
        frames.append(render_frame(dataclasses.replace(
            scene, lighting=dataclasses.replace(scene.lighting, lights=(key,)),
            background=dataclasses.replace(scene.background, occluders=(), photographer=photographer)),
            record, renderer, passes={"uv", "object"}))
    for name in ("uv", "object"):
        assert np.array_equal(frames[0].passes[name], frames[1].passes[name])
    paper = frames[0].passes["object"] == 2
    ratio = (frames[1].image.astype(np.float32).mean(axis=2)[paper] + 1.0) / \
        (frames[0].image.astype(np.float32).mean(axis=2)[paper] + 1.0)
    assert np.percentile(ratio, 5) < 0.85  # a real shadow on part of the page
    assert np.median(ratio) > 0.5  # not a blackout


def test_a_wide_soft_shadow_fades_in_without_a_hard_edge(renderer, record) -> None:
    """The photographer's shadow under a big lamp has a penumbra several cm wide. Where it crosses from the table onto
    the paper, and where the blocker search's reach ends, it must fade, not step (both once drew a hard edge)."""
    import dataclasses
    import math

    import cv2

    from simulator.sweep import with_values

    base = with_values(preset_scene("crumpled", 0), {
        "camera.width_px": 640, "camera.height_px": 480, "camera.distance_mm": 420.0, "camera.tilt_deg": 10.0,
        "camera.azimuth_deg": -121.2, "camera.roll_deg": 0.0,   # the photographer between the lamp and the sheet
        "background.occluders": [], "page.dpi": 150, "post.shot_noise": 0.0, "post.read_noise": 0.0})
    target = base.lighting.lights[0].target
    up, back = math.radians(65), 1500.0
    lamp = (target[0] - back * math.cos(up), target[1], back * math.sin(up))
    scene = with_values(base, {"lighting.lights.0.position": lamp, "lighting.lights.0.size_mm": 180.0})
    images = [render_frame(dataclasses.replace(scene, background=dataclasses.replace(
        scene.background, photographer=photographer)), record, renderer).image.astype(np.float32).mean(axis=2)
        for photographer in (False, True)]
    shade = cv2.blur((images[1] + 1.0) / (images[0] + 1.0), (5, 5))
    assert shade.min() < 0.8  # the shadow is there
    assert np.percentile(np.abs(shade[:, 4:] - shade[:, :-4]), 99.9) < 0.12  # and it has no step (0.18 with one)
