"""Live 3D preview: one window, the same Renderer and frame path as ``generate``, keys to move camera and light.

    python -m simulator.preview [RECORD] [--preset phone_photo] [--seed 0]
    python -m simulator.preview --sidecar out/000/frame_000012.json     # a dataset frame, to look around it

Keys: ←/→ azimuth, ↑/↓ tilt, +/- distance, [ / ] roll, L turns the key light about the sheet, N next seed,
P next preset (N and P leave a sidecar's scene for the presets'), G shows the warped trace mask over the frame,
Esc quits. The window's own OpenGL context drives the renderer (no EGL); everything it shows is exactly what
``generate`` would write for the same scene.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .camera import Camera
from .config import preset_scene
from .errors import InputError, run_command
from .frame import render_frame
from .lighting import Lighting
from .records import load_record
from .scene import Scene

DEFAULT_RECORD = "assets/records/ptbxl/00001_lr"
TRACE_TINT = np.array([0, 200, 255], np.uint8)
PHOTO_PRESETS = ("scanner", "phone_photo", "folded_letter", "crumpled")  # presets that always photograph a sheet


@dataclass(frozen=True)
class View:
    """What the viewer changed on top of the preset's scene."""

    preset: str = "phone_photo"
    seed: int = 0
    tilt_deg: float = 0.0  # added to the camera's tilt
    azimuth_deg: float = 0.0
    roll_deg: float = 0.0
    distance_scale: float = 1.0
    light_turn_deg: float = 0.0  # key light rotated about the vertical through the sheet centre
    overlay: bool = False
    base: Scene | None = field(default=None, repr=False)  # a sidecar's scene, shown instead of the preset's


def _turn_light(lighting: Lighting, centre: np.ndarray, degrees: float) -> Lighting:
    if not lighting.lights or degrees == 0.0:
        return lighting
    a = np.radians(degrees)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    key = lighting.lights[0]
    xy = rot @ (np.asarray(key.position[:2]) - centre) + centre
    key = dataclasses.replace(key, position=(float(xy[0]), float(xy[1]), key.position[2]))
    return dataclasses.replace(lighting, lights=(key, *lighting.lights[1:]))


def scene_for(view: View) -> Scene:
    """The sidecar's or the preset's scene with the viewer's camera and light changes (kept in valid ranges)."""
    scene = view.base if view.base is not None else preset_scene(view.preset, view.seed)
    cam: Camera = scene.camera
    cam = dataclasses.replace(cam, tilt_deg=float(np.clip(cam.tilt_deg + view.tilt_deg, 0.0, 85.0)),
                              azimuth_deg=float((cam.azimuth_deg + view.azimuth_deg + 180.0) % 360.0 - 180.0),
                              roll_deg=float((cam.roll_deg + view.roll_deg + 180.0) % 360.0 - 180.0),
                              distance_mm=cam.distance_mm * view.distance_scale)
    centre = np.array([scene.sheet.width_mm / 2, scene.sheet.height_mm / 2])
    return dataclasses.replace(scene, camera=cam, lighting=_turn_light(scene.lighting, centre, view.light_turn_deg))


def handle_key(view: View, key: str) -> View:
    """The view after a key press (pyglet key names: LEFT, RIGHT, UP, DOWN, PLUS, EQUAL, MINUS, …)."""
    step = {"LEFT": ("azimuth_deg", -10.0), "RIGHT": ("azimuth_deg", 10.0), "UP": ("tilt_deg", 5.0),
            "DOWN": ("tilt_deg", -5.0), "BRACKETLEFT": ("roll_deg", -5.0), "BRACKETRIGHT": ("roll_deg", 5.0),
            "L": ("light_turn_deg", 30.0), "N": ("seed", 1)}
    if key in step:
        name, delta = step[key]
        base = None if name == "seed" else view.base
        return dataclasses.replace(view, **{name: getattr(view, name) + delta}, base=base)
    if key in ("PLUS", "EQUAL", "NUM_ADD"):
        return dataclasses.replace(view, distance_scale=view.distance_scale / 1.15)
    if key in ("MINUS", "NUM_SUBTRACT"):
        return dataclasses.replace(view, distance_scale=view.distance_scale * 1.15)
    if key == "P":
        presets = PHOTO_PRESETS
        return dataclasses.replace(view, preset=presets[(presets.index(view.preset) + 1) % len(presets)], base=None)
    if key == "G":
        return dataclasses.replace(view, overlay=not view.overlay)
    return view


def frame_image(view: View, record, renderer) -> np.ndarray:
    """(H, W, 3) uint8 frame for the view, with the warped trace mask tinted over it when ``view.overlay``."""
    frame = render_frame(scene_for(view), record, renderer)
    image = frame.image
    if view.overlay:
        image = image.copy()
        image[frame.masks["trace"] > 0] = TRACE_TINT
    return image


def _open_window():
    """(pyglet, a 1200×900 OpenGL 3.3 window), or a one-line InputError without pyglet or a display."""
    try:
        import pyglet
    except ImportError:
        raise InputError("the preview needs pyglet: pip install 'ecg-paper-sim[preview]'") from None
    try:
        import pyglet.window  # opens a hidden window: fails here when there is no display

        config = pyglet.gl.Config(major_version=3, minor_version=3, forward_compatible=True, double_buffer=True)
        return pyglet, pyglet.window.Window(1200, 900, "ECG sheet preview", resizable=True, config=config)
    except Exception as exc:  # no display, or no OpenGL 3.3 on it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot open a preview window ({reason}); it needs a display") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.preview", description=__doc__.splitlines()[0])
    parser.add_argument("record", nargs="?", default=None, help="WFDB record (default: PTB-XL 00001, or the "
                                                                   "sidecar's own)")
    parser.add_argument("--preset", default="phone_photo", choices=PHOTO_PRESETS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sidecar", default=None, metavar="FRAME.json",
                        help="start from a frame's JSON sidecar (generate, rerender or a sweep): its scene and record")
    args = parser.parse_args(argv)
    import moderngl

    from .programs import ProgramCache
    from .renderer import Renderer

    if args.seed < 0:
        raise InputError(f"--seed: {args.seed} must be ≥ 0")
    view = View(preset=args.preset, seed=args.seed)
    if args.sidecar:
        from .rerender import load_sidecar
        loaded = load_sidecar(Path(args.sidecar), record_path=args.record)
        record, view = loaded.record, dataclasses.replace(view, base=loaded.scene)
        if not loaded.scene.is_3d:
            raise InputError(f"{args.sidecar}: a flat page (no sheet or camera) has nothing to look around")
    else:
        record = load_record(args.record or DEFAULT_RECORD, duration_s=10.0)
    pyglet, window = _open_window()
    ctx = moderngl.create_context()  # the window's context, current after it opened
    renderer = Renderer(ctx)
    prog = ProgramCache(ctx).get("blit.vert", "blit.frag")
    quad = ctx.buffer(np.array([-1, -1, 0, 0, 1, -1, 1, 0, -1, 1, 0, 1, 1, 1, 1, 1], np.float32).tobytes())
    vao = ctx.vertex_array(prog, [(quad, "2f 2f", "in_pos", "in_uv")])
    state = {"view": view, "texture": None, "dirty": True}

    @window.event
    def on_draw():
        if state["dirty"]:
            image = frame_image(state["view"], record, renderer)
            if state["texture"] is not None:
                state["texture"].release()
            state["texture"] = ctx.texture((image.shape[1], image.shape[0]), 3, np.ascontiguousarray(image[::-1]))
            state["dirty"] = False
            window.set_caption(("sidecar scene, " if state["view"].base is not None else "") + f"{state['view']}")
        ctx.screen.use()
        ctx.clear(0.1, 0.1, 0.1)
        h, w = state["texture"].size[1], state["texture"].size[0]
        fw, fh = window.get_framebuffer_size()
        scale = min(fw / w, fh / h)  # letterbox: keep the frame's aspect ratio
        ctx.viewport = (int((fw - w * scale) / 2), int((fh - h * scale) / 2), int(w * scale), int(h * scale))
        state["texture"].use(location=0)
        vao.render(moderngl.TRIANGLE_STRIP)

    @window.event
    def on_key_press(symbol, _modifiers):
        name = pyglet.window.key.symbol_string(symbol)
        if name == "ESCAPE":
            window.close()
            return
        view = handle_key(state["view"], name)
        state["dirty"] |= view != state["view"]
        state["view"] = view

    pyglet.app.run()
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
