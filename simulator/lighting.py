"""Lights as data: directional, point and spot lights plus an ambient sky term.

Colours are linear RGB; intensity scales the colour. Positions are world mm (z up); a directional light uses
``position`` only as the direction it shines *from* (toward ``target``). Shadows are soft as real ones are: a light
of radius ``size_mm`` gives a penumbra that grows with the gap between caster and receiver (similar triangles: a
pen's shadow is crisp where it touches the paper, a phone held 20 cm up casts a broad blur); ``softness_mm`` is the
least penumbra radius, even at contact. With ``size_mm = 0`` every shadow has the ``softness_mm`` penumbra.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .params import choices, rng

MAX_LIGHTS = 4  # the colour shader's light array size
MAX_SHADOW_LIGHTS = 2  # lights with a shadow map (the first ones with casts_shadow)


@dataclass(frozen=True)
class Light:
    kind: str = field(default="point", metadata=choices("directional", "point", "spot"))
    color: tuple[float, float, float] = field(default=(1.0, 0.96, 0.9), metadata=rng(0.0, 10.0))
    intensity: float = field(default=1.0, metadata=rng(0.0, 100.0))
    position: tuple[float, float, float] = field(default=(100.0, 400.0, 900.0), metadata=rng(-20000.0, 20000.0))
    target: tuple[float, float, float] = field(default=(140.0, 108.0, 0.0), metadata=rng(-20000.0, 20000.0))
    cone_deg: float = field(default=40.0, metadata=rng(1.0, 89.0))  # spot half-angle
    softness_mm: float = field(default=2.0, metadata=rng(0.0, 200.0))  # least penumbra radius (mm), even at contact
    size_mm: float = field(default=0.0, metadata=rng(0.0, 2000.0))  # emitter radius: penumbrae grow with the gap
    casts_shadow: bool = True

    def check(self, name: str = "") -> None:
        if self.kind != "directional" and self.position[2] <= 0.0:
            raise InputError(f"{name + '.' if name else ''}position: light is below the table (z must be > 0)")
        if np.allclose(self.position, self.target):
            raise InputError(f"{name + '.' if name else ''}target: equals the light's position")

    def direction(self) -> np.ndarray:
        """Unit vector the light travels along (from position toward target)."""
        d = np.subtract(self.target, self.position, dtype=np.float64)
        return d / np.linalg.norm(d)


@dataclass(frozen=True)
class Lighting:
    lights: tuple[Light, ...] = (Light(),)
    ambient_color: tuple[float, float, float] = field(default=(0.9, 0.93, 1.0), metadata=rng(0.0, 10.0))
    ambient_intensity: float = field(default=0.25, metadata=rng(0.0, 10.0))
    ao_strength: float = field(default=0.6, metadata=rng(0.0, 1.0))  # ambient occlusion in creases and folds

    def check(self, name: str = "") -> None:
        if len(self.lights) > MAX_LIGHTS:
            raise InputError(f"{name + '.' if name else ''}lights: {len(self.lights)} lights (at most {MAX_LIGHTS})")
