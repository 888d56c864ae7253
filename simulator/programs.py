"""GLSL programs loaded by name from ``shaders/``, compiled once per context and cached."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import moderngl
import numpy as np

SHADER_DIR = Path(__file__).resolve().parent.parent / "shaders"


class ProgramCache:
    def __init__(self, ctx: moderngl.Context, shader_dir: Path = SHADER_DIR):
        self.ctx = ctx
        self.shader_dir = shader_dir
        self._programs: dict[tuple[str, str], moderngl.Program] = {}

    def get(self, vert: str, frag: str) -> moderngl.Program:
        """The program made of two shader files (e.g. ``"scene.vert", "scene.frag"``), compiled on first use."""
        key = (vert, frag)
        if key not in self._programs:
            self._programs[key] = self.ctx.program(vertex_shader=(self.shader_dir / vert).read_text(),
                                                   fragment_shader=(self.shader_dir / frag).read_text())
        return self._programs[key]

    @staticmethod
    def setter(prog: moderngl.Program) -> Callable[..., None]:
        """``set(name=value, ...)`` for uniforms; matrices and arrays of them go as float32 bytes, and uniforms the
        compiler optimised away are skipped."""

        def set_uniforms(**values: Any) -> None:
            for name, value in values.items():
                if name not in prog:
                    continue
                if isinstance(value, np.ndarray) or (isinstance(value, list) and value
                                                      and isinstance(value[0], np.ndarray)):
                    prog[name].write(np.ascontiguousarray(value, dtype=np.float32).tobytes())
                else:
                    prog[name].value = value
        return set_uniforms
