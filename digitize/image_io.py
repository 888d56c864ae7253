"""Reading input images as RGB arrays, with every way that can fail turned into one line (InputError)."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np

from simulator.errors import InputError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
MIN_SIDE_PX = 64  # below this a page's 4-6 rows of traces are a few pixels tall: nothing to read

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # our own line says why an image is unreadable


def read_rgb(path: Path | str) -> np.ndarray:
    """(H, W, 3) uint8 RGB of an image file; InputError if it is missing or not an image."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"image {p}: not found")
    img = cv2.imread(str(p), cv2.IMREAD_COLOR)
    if img is None or img.size == 0:
        raise InputError(f"image {p}: cannot be read as an image")
    if min(img.shape[:2]) < MIN_SIDE_PX:
        raise InputError(f"image {p}: {img.shape[1]}×{img.shape[0]} px is too small to hold an ECG "
                         f"(at least {MIN_SIDE_PX} px a side)")
    return np.ascontiguousarray(img[:, :, ::-1])


def expand_inputs(items: list[str]) -> list[Path]:
    """Image paths from files and folders (a folder gives its images, searched recursively and sorted, masks and
    overlays excluded); InputError if nothing is found."""
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and not _is_ours(f))
            if not found:
                raise InputError(f"folder {p}: no images in it")
            out += found
        elif p.is_file():
            out.append(p)
        else:
            raise InputError(f"image {p}: not found")
    if not out:
        raise InputError("no input images given")
    names: dict[str, Path] = {}
    for path in out:  # each image's record is named after it: two of one name would overwrite each other
        name = record_name(path)
        if names.setdefault(name, path) != path:
            raise InputError(f"images {names[name]} and {path} would both write record {name}; "
                             f"digitize them into separate folders")
    return out


def record_name(image: Path) -> str:
    """The WFDB record an image's signals are written to: its stem, with each character wfdb refuses in a record
    name (space, dot, ...) replaced by ``_`` (a phone's "IMG 0042.jpg" gives ``IMG_0042``)."""
    return re.sub(r"[^-\w]", "_", image.stem)


OVERLAY_SUFFIX = "_overlay"  # NAME_overlay.jpg: what the digitizer read on NAME (digitize run --overlay)


def _is_ours(p: Path) -> bool:
    """Our frames' ground-truth masks and the digitizer's overlays sit beside images; they are not inputs."""
    return "_mask_" in p.stem or p.stem.endswith(OVERLAY_SUFFIX)
