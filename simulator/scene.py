"""A Scene gathers every stage's parameters; it is pure data, serialises to the JSON sidecar and re-renders a frame.

``Scene.sheet is None`` means the flat page path (no 3D render): the `clean` preset and the `page` command. A 3D
scene has all five of sheet, camera, lighting, background and post.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .background import Background
from .camera import Camera
from .errors import InputError
from .ink import InkSpec
from .layout import PageSpec
from .lighting import Lighting
from .paper import paper_size_mm
from .params import from_dict, rng, to_dict
from .post import PostFX
from .sheet import SheetSpec

PARTS_3D = ("sheet", "camera", "lighting", "background", "post")


@dataclass(frozen=True)
class Scene:
    """Everything that decides one frame, including its seed (each stage derives its own generator from it)."""

    page: PageSpec = field(default_factory=PageSpec)
    ink: InkSpec = field(default_factory=InkSpec)
    sheet: SheetSpec | None = None
    camera: Camera | None = None
    lighting: Lighting | None = None
    background: Background | None = None
    post: PostFX | None = None
    seed: int = field(default=0, metadata=rng(0))
    preset: str = "clean"

    @property
    def is_3d(self) -> bool:
        return self.sheet is not None

    def check(self, name: str = "") -> None:
        prefix = f"{name}." if name else ""
        given = [p for p in PARTS_3D if getattr(self, p) is not None]
        if given and len(given) != len(PARTS_3D):
            missing = [p for p in PARTS_3D if getattr(self, p) is None]
            raise InputError(f"{prefix}{missing[0]}: a 3D scene needs {', '.join(PARTS_3D)} "
                             f"(missing {', '.join(missing)})")
        if self.sheet is not None:
            w, h = paper_size_mm(self.page.paper, self.page.orientation)
            if abs(self.sheet.width_mm - w) > 1e-6 or abs(self.sheet.height_mm - h) > 1e-6:
                raise InputError(f"{prefix}sheet.width_mm: the sheet "
                                 f"({self.sheet.width_mm:g} × {self.sheet.height_mm:g} mm) "
                                 f"must match the page ({w:g} × {h:g} mm)")

    def to_dict(self) -> dict:
        return to_dict(self)

    @staticmethod
    def from_dict(data: dict) -> "Scene":
        return from_dict(Scene, data, "scene")
