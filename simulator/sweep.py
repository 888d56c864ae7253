"""Sweeps: vary a base scene over a grid or random draws of parameters and render every variant with one renderer.

    from simulator.sweep import grid, render_sweep
    variants = grid(base, {"camera.tilt_deg": [0, 15, 30], "camera.azimuth_deg": [-90, 0, 90]})
    frames = render_sweep(variants, record, out_dir="orbit")   # 9 frames, params in each JSON's "sweep"

Keys are dotted paths into ``Scene.to_dict()`` (a number indexes a list: ``lighting.lights.0.intensity``); every
variant is validated like a config. Random draws use the config distributions (:mod:`simulator.distributions`).
``generate`` renders through the same :func:`simulator.workers.render_scene`.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .config import check_tree, sample_values
from .errors import InputError
from .frame import Frame, write_frame
from .output import prepare_output_dir
from .records import Record
from .scene import Scene
from .truth import RECORD_NAME
from .workers import render_scene


@dataclass(frozen=True)
class Variant:
    """One point of a sweep: the parameters set (dotted key → value) and the resulting scene."""

    params: dict[str, Any]
    scene: Scene


@dataclass(frozen=True)
class SweepFrame:
    params: dict[str, Any]
    scene: Scene
    frame: Frame
    files: tuple[str, ...] = ()


def set_path(tree: dict, key: str, value: Any) -> None:
    """Set ``tree[a][b]...`` for the dotted ``key`` ``a.b...``; missing (or None) mappings are created."""
    parts = key.split(".")
    node: Any = tree
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise InputError(f"{key}: {'.'.join(parts[:i])} has no item {part}")
            node = node[int(part)]
            continue
        if not isinstance(node.get(part), (dict, list)):
            node[part] = {}
        node = node[part]
    last = parts[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            raise InputError(f"{key}: {'.'.join(parts[:-1])} has no item {last}")
        node[int(last)] = value
    else:
        node[last] = value


def with_values(scene: Scene, values: Mapping[str, Any]) -> Scene:
    """``scene`` with the dotted keys set to ``values``, validated (InputError names a bad key)."""
    tree = scene.to_dict()
    for key, value in values.items():
        set_path(tree, key, value)
    return Scene.from_dict(tree)


def grid(base: Scene, axes: Mapping[str, Sequence[Any]]) -> list[Variant]:
    """Every combination of the axes' values (the last axis varies fastest)."""
    values = {key: list(axis) for key, axis in axes.items()}
    for key, axis in values.items():
        if not axis:
            raise InputError(f"{key}: a sweep axis needs at least one value")
    keys = list(values)
    return [Variant(dict(zip(keys, combo)), with_values(base, dict(zip(keys, combo))))
            for combo in itertools.product(*values.values())]


def random_draws(base: Scene, distributions: Mapping[str, Any], n: int, seed: int = 0) -> list[Variant]:
    """``n`` variants whose keys are drawn from config distributions, e.g.
    ``{"camera.tilt_deg": {"uniform": [0, 30]}}``."""
    if n < 1:
        raise InputError(f"n: {n} draws; a sweep needs at least one")
    tree = base.to_dict()
    for key, node in distributions.items():
        set_path(tree, key, node)
    check_tree(tree)  # every distribution within its key's range, before anything is drawn
    rng = np.random.default_rng(seed)
    variants = []
    for _ in range(n):
        params = {key: sample_values(node, rng) for key, node in distributions.items()}
        variants.append(Variant(params, with_values(base, params)))
    return variants


def render_sweep(variants: Sequence[Variant], record: Record, out_dir: Path | str | None = None,
                 prefix: str = "sweep", passes: Sequence[str] = ()) -> list[SweepFrame]:
    """Render each variant of ``record`` (one renderer for all); with ``out_dir``, write PREFIX_NNN files too.

    Each frame's JSON carries ``"sweep": {"index": i, "params": {...}}``.
    """
    if out_dir is not None and not RECORD_NAME.fullmatch(prefix):  # it names WFDB records: refused after the image
        raise InputError(f"prefix: {prefix!r} is not a WFDB record name (letters, digits, - and _ only)")
    out = prepare_output_dir(out_dir) if out_dir is not None else None
    results = []
    for i, variant in enumerate(variants):
        frame = render_scene(variant.scene, record, passes)
        frame = dataclasses.replace(frame, truth={**frame.truth, "sweep": {"index": i, "params": variant.params}})
        files = tuple(write_frame(out, f"{prefix}_{i:03d}", frame)) if out is not None else ()
        results.append(SweepFrame(variant.params, variant.scene, frame, files))
    return results


def contact_sheet(images: Sequence[np.ndarray], labels: Sequence[str], columns: int,
                  thumb_width: int = 360) -> np.ndarray:
    """Tile RGB images (resized to ``thumb_width``) in rows of ``columns``, each with its label; returns RGB uint8."""
    import cv2  # only the contact sheet needs it here

    if not images or len(labels) != len(images) or columns < 1 or thumb_width < 1:
        raise InputError(f"contact sheet: {len(images)} images, {len(labels)} labels, {columns} columns and "
                         f"{thumb_width} px thumbnails; it needs at least one image, a label each, and ≥ 1 of both")
    thumbs = []
    for image, label in zip(images, labels):
        h, w = image.shape[:2]
        thumb = cv2.resize(np.ascontiguousarray(image[..., :3]), (thumb_width, max(1, round(h * thumb_width / w))),
                           interpolation=cv2.INTER_AREA)
        cv2.putText(thumb, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 3, cv2.LINE_AA)
        cv2.putText(thumb, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (20, 20, 20), 1, cv2.LINE_AA)
        thumbs.append(thumb)
    cell_h = max(t.shape[0] for t in thumbs)
    rows = -(-len(thumbs) // columns)
    sheet = np.full((rows * cell_h, columns * thumb_width, 3), 40, np.uint8)
    for k, thumb in enumerate(thumbs):
        r, c = divmod(k, columns)
        sheet[r * cell_h:r * cell_h + thumb.shape[0], c * thumb_width:(c + 1) * thumb_width] = thumb
    return sheet
