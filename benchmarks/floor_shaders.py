"""The renderer's shaders with every fragment shader's work taken out: what rasterising costs before any shading.

``write_floor_shaders(dst)`` copies ``shaders/`` to ``dst`` with each fragment shader's ``main`` replaced by one that
writes its outputs from its interpolated inputs and nothing else (no texture fetch, no lighting, no discard). The
vertex and geometry shaders stay as they are, so every pass rasterises the same triangles into the same targets:
a frame drawn with these costs what a renderer with free shading would (``render.py --floor``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from simulator.programs import SHADER_DIR

_TYPES = r"(float|vec2|vec3|vec4)"
_INPUT = re.compile(rf"^\s*(?:flat\s+)?in\s+{_TYPES}\s+(\w+)\s*;", re.MULTILINE)
_OUTPUT = re.compile(rf"^\s*(?:layout\s*\([^)]*\)\s*)?out\s+{_TYPES}\s+(\w+)\s*;", re.MULTILINE)
_MAIN = re.compile(r"\bvoid\s+main\s*\(\s*\)\s*\{")


def _main_span(text: str) -> tuple[int, int]:
    """Start and end (past its closing brace) of ``void main() {...}`` in ``text``."""
    match = _MAIN.search(text)
    if match is None:
        raise ValueError("no main()")
    depth = 0
    for i in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return match.start(), i + 1
    raise ValueError("main() has no closing brace")


def floor_source(text: str) -> str:
    """``text`` (a fragment shader) with a ``main`` that writes each output as the sum of the inputs' components:
    the inputs stay live, so the rasteriser still interpolates them."""
    start, end = _main_span(text)
    terms = ["gl_FragCoord.x * 1e-3"]
    for kind, name in _INPUT.findall(text):
        terms.append(name if kind == "float" else f"dot({name}, {kind}(1.0))")
    writes = "".join(f"    {name} = {kind}(s);\n" for kind, name in _OUTPUT.findall(text))
    body = f"void main() {{\n    float s = {' + '.join(terms)};\n{writes}}}"
    return text[:start] + body + text[end:]


def write_floor_shaders(dst: Path, src: Path = SHADER_DIR) -> Path:
    """``src``'s shaders in ``dst`` (made if needed), each fragment shader floored (:func:`floor_source`)."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.iterdir():
        if path.suffix == ".frag":
            (dst / path.name).write_text(floor_source(path.read_text()))
        elif path.is_file():
            shutil.copyfile(path, dst / path.name)
    return dst
