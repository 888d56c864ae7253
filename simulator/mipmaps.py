"""Mipmap chains of sRGB textures, made on the CPU.

GL would make them (``glGenerateMipmap``), and on Mesa's llvmpipe in as much time (~25 ms for a new 2200×1700 page
on one core), but not as well: its levels of odd size sample off the texel centres (up to 70 codes from an area average
at 212×275 for a page's grid and traces) and an 8-bit texture's levels drift darker by ~1 code a level. Here
each level averages the level above by area, in 16-bit linear light (a thin dark line on white fades to the grey a
camera would see), at GL's level sizes: level k is max(1, W >> k) × max(1, H >> k).
"""

from __future__ import annotations

import cv2
import numpy as np

from .srgb import from_linear, to_linear

# sRGB byte → linear light in 16 bits, and back: 16 bits resolve the darkest sRGB steps (1/255 of sRGB is
# 1/3295 of linear light near black)
_DECODE = np.round(to_linear(np.arange(256) / 255.0) * 65535).astype(np.uint16)
_ENCODE = np.round(from_linear(np.arange(65536) / 65535.0) * 255).astype(np.uint8)


def level_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """(width, height) of mip levels 1, 2, … down to 1×1, as GL sizes them."""
    sizes = []
    while width > 1 or height > 1:
        width, height = max(1, width // 2), max(1, height // 2)
        sizes.append((width, height))
    return sizes


def srgb_mip_chain(image: np.ndarray) -> list[np.ndarray]:
    """Mip levels 1, 2, … of an (H, W, C) uint8 sRGB image (C channels all sRGB-encoded), each uint8 (h, w, C)."""
    linear = cv2.LUT(image, _DECODE)  # uint16, same shape
    levels = []
    for size in level_sizes(image.shape[1], image.shape[0]):
        linear = cv2.resize(linear, size, interpolation=cv2.INTER_AREA)
        linear = linear.reshape(size[1], size[0], *image.shape[2:])  # resize drops the axis of a single channel
        levels.append(np.take(_ENCODE, linear, mode="clip"))  # clip: no bounds check (none can fail)
    return levels
