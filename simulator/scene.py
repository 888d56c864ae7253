"""A Scene gathers every stage's parameters; it is pure data, serialises to the JSON sidecar and re-renders a frame.

``Scene.sheet is None`` means the flat page path (no 3D render): the `clean` preset and the `page` command.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ink import InkSpec
from .layout import PageSpec
from .params import from_dict, rng, to_dict


@dataclass(frozen=True)
class Scene:
    """Everything that decides one frame, including its seed (each stage derives its own generator from it)."""

    page: PageSpec = field(default_factory=PageSpec)
    ink: InkSpec = field(default_factory=InkSpec)
    seed: int = field(default=0, metadata=rng(0))
    preset: str = "clean"

    def to_dict(self) -> dict:
        return to_dict(self)

    @staticmethod
    def from_dict(data: dict) -> "Scene":
        return from_dict(Scene, data, "scene")
