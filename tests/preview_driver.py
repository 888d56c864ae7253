"""Drive ``python -m simulator.preview`` in a real window (run under Xvfb by tests/test_render_preview.py).

Opens the preview exactly as a user would, draws a frame, presses keys, and saves what the window shows after each
step as PNGs, with the OpenGL error state, in the folder given on the command line. The event loop is replaced by
these steps.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import moderngl
import numpy as np
import pyglet

from simulator import preview

STEPS = ("start", "RIGHT", "G")  # first frame, the camera turned, the trace mask overlaid


def _screen() -> np.ndarray:
    """The window's back buffer as (H, W, 3) RGB, top row first."""
    buffer = pyglet.image.get_buffer_manager().get_color_buffer()
    data = buffer.get_image_data().get_data("RGB", buffer.width * 3)
    return np.frombuffer(data, np.uint8).reshape(buffer.height, buffer.width, 3)[::-1]


def _run_steps(out: Path) -> None:
    window = next(iter(pyglet.app.windows))
    ctx = moderngl.get_context()
    dispatch = pyglet.event.EventDispatcher.dispatch_event  # now, not via the window's queue (filled by its loop)
    errors = {}
    for step in STEPS:
        if step != "start":
            dispatch(window, "on_key_press", getattr(pyglet.window.key, step), 0)
        dispatch(window, "on_draw")
        errors[step] = ctx.error
        cv2.imwrite(str(out / f"{step}.png"), cv2.cvtColor(_screen(), cv2.COLOR_RGB2BGR))
        window.flip()
    (out / "gl_errors.json").write_text(json.dumps(errors))
    window.close()


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    pyglet.app.run = lambda *args, **kwargs: _run_steps(folder)
    sys.exit(preview.main(["--preset", "phone_photo", "--seed", "1"]))
