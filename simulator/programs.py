"""GLSL programs loaded by name from ``shaders/``, compiled once per context and cached.

A shader may pull in a shared ``.glsl`` file from the same folder with a line ``#include "name.glsl"`` (after
``#version``); GLSL has no includes of its own, so the line is replaced by the file's text before compiling."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import moderngl
import numpy as np

SHADER_DIR = Path(__file__).resolve().parent.parent / "shaders"
INCLUDE = re.compile(r'^#include "([\w.-]+\.glsl)"[ \t]*$', re.MULTILINE)


def shader_source(shader_dir: Path, name: str, seen: tuple[str, ...] = ()) -> str:
    """The text of shader ``name`` with its ``#include "x.glsl"`` lines replaced by those files (each at most once
    on a chain: an include cycle is an error, not a hang)."""
    if name in seen:
        raise ValueError(f"shader include cycle: {' -> '.join((*seen, name))}")
    text = (shader_dir / name).read_text()
    return INCLUDE.sub(lambda m: shader_source(shader_dir, m.group(1), (*seen, name)), text)


class ProgramCache:
    def __init__(self, ctx: moderngl.Context, shader_dir: Path = SHADER_DIR):
        self.ctx = ctx
        self.shader_dir = shader_dir
        self._programs: dict[tuple, moderngl.Program] = {}
        self._setters: dict[int, Callable[..., None]] = {}  # by program (glo)

    def get(self, vert: str, frag: str, geom: str | None = None, defines: tuple[str, ...] = ()) -> moderngl.Program:
        """The program made of shader files (e.g. ``"scene.vert", "scene.frag"``, and a geometry shader if given),
        compiled on first use; each name in ``defines`` is ``#define``d in every stage (a variant chosen when
        compiling: a CPU rasteriser runs both sides of a branch on a uniform)."""
        key = (vert, frag, geom, defines)
        if key not in self._programs:
            def source(name: str) -> str:
                text = shader_source(self.shader_dir, name)
                head, newline, rest = text.partition("\n")  # #version must stay the first line
                return head + newline + "".join(f"#define {d}\n" for d in defines) + rest
            self._programs[key] = self.ctx.program(vertex_shader=source(vert), fragment_shader=source(frag),
                                                   geometry_shader=source(geom) if geom else None)
        return self._programs[key]

    def setter(self, prog: moderngl.Program) -> Callable[..., None]:
        """``set(name=value, ...)`` for uniforms; matrices and arrays of them go as float32 bytes, and uniforms the
        compiler optimised away are skipped. Made once per program: passes ask for it every frame."""
        if prog.glo not in self._setters:
            self._setters[prog.glo] = self._make_setter(prog)
        return self._setters[prog.glo]

    @staticmethod
    def _make_setter(prog: moderngl.Program) -> Callable[..., None]:
        names = frozenset(prog)  # a Program has no __contains__: ``in prog`` would walk its members every time

        def set_uniforms(**values: Any) -> None:
            for name, value in values.items():
                if name not in names:
                    continue
                if isinstance(value, np.ndarray) or (isinstance(value, list) and value
                                                      and isinstance(value[0], np.ndarray)):
                    prog[name].write(np.ascontiguousarray(value, dtype=np.float32).tobytes())
                else:
                    prog[name].value = value
        return set_uniforms
