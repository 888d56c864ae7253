"""The preview's scene and key handling, one frame through its path headless, and the real window under Xvfb."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from simulator.gl_context import create_context
from simulator.preview import View, frame_image, handle_key, scene_for
from simulator.records import load_record
from simulator.renderer import Renderer

ROOT = Path(__file__).resolve().parent.parent


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


def test_a_sidecar_opens_its_own_frame(tmp_path: Path):
    """--sidecar: the preview starts from a dataset frame's scene and record and shows exactly that frame; camera keys
    move around it, N and P go back to the presets. A flat page is refused before any window opens."""
    from simulator.cli import main as cli
    from simulator.errors import InputError
    from simulator.preview import main as preview
    from simulator.rerender import load_sidecar

    (tmp_path / "c.yaml").write_text("extends: phone_photo\ncamera: {width_px: 400, height_px: 300}\n")
    assert cli(["generate", "-o", str(tmp_path / "out"), "-n", "1", "--seed", "4", "--config", str(tmp_path / "c.yaml"),
                "--image-format", "png", "--no-progress"]) == 0
    sidecar = tmp_path / "out" / "000" / "frame_000000.json"
    loaded = load_sidecar(sidecar)
    view = View(base=loaded.scene)
    image = frame_image(view, loaded.record, Renderer(create_context()))
    written = cv2.imread(str(sidecar.with_suffix(".png")))[..., ::-1]
    assert np.array_equal(image, written)
    turned = handle_key(view, "RIGHT")
    assert turned.base is loaded.scene and scene_for(turned).camera.azimuth_deg != loaded.scene.camera.azimuth_deg
    assert handle_key(view, "N").base is None and handle_key(view, "P").base is None
    assert cli(["page", "assets/records/ptbxl/00001_lr", "-o", str(tmp_path / "flat"), "--dpi", "100"]) == 0
    with pytest.raises(InputError, match="flat page"):
        preview(["--sidecar", str(tmp_path / "flat" / "00001_lr.json"), "assets/records/ptbxl/00001_lr"])
    with pytest.raises(InputError, match="no such sidecar"):  # was a FileNotFoundError traceback
        preview(["--sidecar", str(tmp_path / "none.json")])
    with pytest.raises(InputError, match=r"^--seed: -1 must be ≥ 0"):  # was found by the first frame, in the window
        preview(["--seed", "-1"])


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb (setup.sh installs it)")
def test_the_preview_window_shows_what_generate_renders(tmp_path: Path):
    """``python -m simulator.preview`` in a real X window (Xvfb, the window's own GL context): the first frame, the
    frame after → (camera turned) and after G (trace overlay) are the frames the headless renderer makes for those
    views, scaled into the window, with no OpenGL error on the way."""
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1400x1000x24", sys.executable, "tests/preview_driver.py",
                           str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert set(json.loads((tmp_path / "gl_errors.json").read_text()).values()) == {"GL_NO_ERROR"}
    record = load_record("assets/records/ptbxl/00001_lr", duration_s=10.0)
    renderer = Renderer(create_context())
    views = {"start": View(seed=1), "RIGHT": View(seed=1, azimuth_deg=10.0), "G": View(seed=1, azimuth_deg=10.0,
                                                                                        overlay=True)}
    shots = {}
    for step, view in views.items():
        shot = cv2.cvtColor(cv2.imread(str(tmp_path / f"{step}.png")), cv2.COLOR_BGR2RGB).astype(np.float32)
        # the window samples the frame's texture bilinearly at pixel centres, as cv2's INTER_LINEAR does
        expected = cv2.resize(frame_image(view, record, renderer), shot.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        assert np.abs(shot - expected).mean() < 1.0, step  # 0.3 measured; the overlay alone changes 2.4
        shots[step] = shot
    assert np.abs(shots["RIGHT"] - shots["start"]).mean() > 1.0  # the key moved the camera
