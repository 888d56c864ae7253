"""The one place an OpenGL context is made; everything else takes a ``moderngl.Context``.

Headless runs use an EGL standalone context (Mesa llvmpipe on a CPU machine, the GPU's driver on a GPU machine);
the preview window passes its own context to the renderer instead of calling this.
"""

from __future__ import annotations

import moderngl

from .errors import InputError

REQUIRED_GL = 330
INSTALL_HINT = "apt-get install -y libegl1 libgl1-mesa-dri"


def create_context(backend: str = "egl") -> moderngl.Context:
    """A standalone (headless) OpenGL ≥ 3.3 core context, or a one-line InputError saying what to install."""
    try:
        ctx = moderngl.create_context(standalone=True, backend=backend, require=REQUIRED_GL)
    except Exception as exc:  # moderngl raises plain Exceptions whose text depends on the platform
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"no OpenGL context ({backend}: {reason}); install EGL and Mesa: {INSTALL_HINT}") from None
    return ctx
