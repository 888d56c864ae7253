"""Training crops from our frames: image tiles and their masks, with augmentations that make the net transfer.

Frames are ``NAME.png`` (or .jpg) beside ``NAME_mask_trace.png`` (value = lead index + 1, 0 = no trace) and, for the
marks net, which learns the printed marks with the trace, ``NAME_mask_marks.png`` (calibration pulses, column
separators). Each frame is read once and cut into crops with a random scale and small rotation (a cache in memory);
photometric augmentations (brightness, contrast, tint, shading, blur, noise, JPEG) are drawn fresh for every batch.
All randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from simulator.errors import InputError

MASK_SUFFIX = "_mask_trace.png"
MARKS_SUFFIX = "_mask_marks.png"
IMAGE_EXTS = (".png", ".jpg", ".jpeg")


def find_frames(folders: list[Path]) -> list[tuple[Path, Path]]:
    """(image, trace mask) pairs under the folders (recursive), sorted; InputError when there are none."""
    pairs = []
    for folder in folders:
        if not folder.is_dir():
            raise InputError(f"--data: {folder} is not a folder")
        for mask in sorted(folder.rglob(f"*{MASK_SUFFIX}")):
            stem = mask.name[: -len(MASK_SUFFIX)]
            candidates = (mask.with_name(stem + ext) for ext in IMAGE_EXTS)
            image = next((path for path in candidates if path.is_file()), None)
            if image is not None:
                pairs.append((image, mask))
    if not pairs:
        raise InputError(f"--data: no frames with {MASK_SUFFIX} masks in {', '.join(map(str, folders))}")
    return pairs


@dataclass(frozen=True)
class CropBank:
    """Cached crops: images (N, T, T, 3) uint8 and target masks (N, T, T) uint8 (0..255 soft coverage)."""

    images: np.ndarray
    masks: np.ndarray


def _crop(image: np.ndarray, mask: np.ndarray, centre: tuple[float, float], tile: int, scale: float, angle: float,
          ) -> tuple[np.ndarray, np.ndarray]:
    """A tile×tile crop around ``centre`` (x, y), scaled by ``scale`` and rotated by ``angle`` degrees."""
    m = cv2.getRotationMatrix2D(centre, angle, scale)
    m[:, 2] += np.array([tile / 2.0, tile / 2.0]) - np.array(centre)
    img = cv2.warpAffine(image, m, (tile, tile), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_REFLECT)
    msk = cv2.warpAffine(mask, m, (tile, tile), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return img, msk


def _read_mask(path: Path, image_path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A mask as 0/255, checked to be readable and of the image's size (InputError): a mask of another size would
    teach the net ink where there is none."""
    mask = cv2.imread(str(path), cv2.IMREAD_UNCHANGED) if path.is_file() else None
    if mask is None or mask.size == 0:
        raise InputError(f"--data: {path} cannot be read as an image" if path.is_file() else
                         f"--data: {path.name} is missing beside {image_path.name} (--marks learns from it)")
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    if mask.shape != shape:
        raise InputError(f"--data: {path.name} is {mask.shape[1]}×{mask.shape[0]} px but its image "
                         f"{image_path.name} is {shape[1]}×{shape[0]}")
    return (mask > 0).astype(np.uint8) * 255


def _read_frame(image_path: Path, mask_path: Path, marks: bool) -> tuple[np.ndarray, np.ndarray]:
    """A frame's RGB image and its target: the trace mask, with the marks mask added when ``marks``."""
    image = cv2.imread(str(image_path), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise InputError(f"--data: {image_path} cannot be read as an image")
    target = _read_mask(mask_path, image_path, image.shape[:2])
    if marks:
        marks_path = mask_path.with_name(mask_path.name[: -len(MASK_SUFFIX)] + MARKS_SUFFIX)
        target = np.maximum(target, _read_mask(marks_path, image_path, image.shape[:2]))
    return image[:, :, ::-1], target


def build_bank(pairs: list[tuple[Path, Path]], crops_per_frame: int, tile: int, rng: np.random.Generator,
               marks: bool = False, progress=None) -> CropBank:
    """Cut every frame into ``crops_per_frame`` crops, most centred on target ink."""
    images, masks = [], []
    for image_path, mask_path in (progress(pairs) if progress else pairs):
        rgb, target = _read_frame(image_path, mask_path, marks)
        ys, xs = np.nonzero(target)
        h, w = target.shape
        for _ in range(crops_per_frame):
            if xs.size and rng.random() < 0.75:
                k = int(rng.integers(xs.size))
                centre = (float(xs[k]), float(ys[k]))
            else:
                centre = (float(rng.uniform(0, w)), float(rng.uniform(0, h)))
            scale = float(np.exp(rng.uniform(np.log(0.6), np.log(1.5))))
            angle = float(rng.normal(0.0, 3.0))
            img, msk = _crop(rgb, target, centre, tile, scale, angle)
            images.append(img)
            masks.append(msk)
    return CropBank(images=np.stack(images), masks=np.stack(masks))


def photometric(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Colour order, gamma, brightness/contrast, tint, shading, blur, sensor noise and JPEG, each drawn at random.

    Channel shuffles and strong tints show grids of every colour on paper of every colour; a high gamma darkens the
    grid toward the trace, so the net learns to tell them apart by shape and neutrality, not by lightness alone.
    """
    x = img[:, :, rng.permutation(3)] if rng.random() < 0.3 else img
    x = x.astype(np.float32) / 255.0
    if rng.random() < 0.5:
        x = x ** rng.uniform(0.7, 2.5)
    x = (x - 0.5) * rng.uniform(0.6, 1.2) + 0.5 + rng.uniform(-0.12, 0.08)
    x *= (rng.uniform(0.55, 1.1, size=3) if rng.random() < 0.4 else rng.uniform(0.85, 1.1, size=3))[None, None, :]
    if rng.random() < 0.5:                                                  # shading across the crop
        t = img.shape[0]
        g = np.linspace(-1, 1, t, dtype=np.float32)
        a, b = rng.normal(0, 0.25, size=2)
        x *= (1.0 + a * g[None, :, None] + b * g[:, None, None]).clip(0.4, 1.4)
    x = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        x = cv2.GaussianBlur(x, (0, 0), float(rng.uniform(0.3, 1.3)))
    if rng.random() < 0.4:
        noise = rng.normal(0, rng.uniform(2, 10), size=x.shape).astype(np.float32)
        x = np.clip(x.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.4:
        ok, buf = cv2.imencode(".jpg", x[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        x = cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]
    return np.ascontiguousarray(x)


def batch(bank: CropBank, size: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A training batch: (B, T, T, 3) uint8 images (augmented, randomly flipped) and (B, T, T) float32 targets."""
    idx = rng.integers(len(bank.images), size=size)
    imgs, tgts = [], []
    for i in idx:
        img, msk = bank.images[i], bank.masks[i]
        if rng.random() < 0.5:
            img, msk = img[:, ::-1], msk[:, ::-1]
        imgs.append(photometric(np.ascontiguousarray(img), rng))
        tgts.append(msk.astype(np.float32) / 255.0)
    return np.stack(imgs), np.stack(tgts)
